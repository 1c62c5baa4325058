//! Does this evidence come from the enclave we expect? The checks `sgx-measure verify` prints: the
//! bundle's append policy on the entries, MRENCLAVE (the bundle plus the entries), and whatever
//! the relying party expects of MRSIGNER, ISVPRODID, ISVSVN, DEBUG and CONFIGID, each with what was
//! expected and what was found.
//!
//! ```no_run
//! use measure_lib::entries::Entries;
//! use measure_lib::verify::{Expected, Found, verify};
//! use measure_core::bundle::Bundle;
//!
//! let bytes = std::fs::read("base.bundle").expect("bundle");
//! let bundle = Bundle::parse(&bytes)?;
//! let entries = Entries::load("owner1.toml".as_ref(), None, None)?;
//! let found = Found::from_evidence_file("quote.bin".as_ref(), false)?;
//! let verdict = verify(&bundle, &entries, &found, &Expected::default())?;
//! for check in &verdict.checks {
//!     println!("{}: {}", check.name, if check.pass { "pass" } else { "FAIL" });
//! }
//! # Ok::<(), measure_lib::Error>(())
//! ```

use std::path::Path;

use measure_core::append::{check_policy, mrenclave_unchecked};
use measure_core::bundle::Bundle;
use measure_core::sigstruct::Sigstruct;
use sha2::{Digest, Sha256};

use crate::entries::Entries;
use crate::error::{Error, Result};
use crate::evidence::{self, EvidenceFileError, EvidenceKind};
use crate::{fsutil, sigstruct};

/// One check: what is checked, whether it passed, what was expected and found, and a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// What is checked (`MRENCLAVE`, `MRSIGNER`, ...).
    pub name: &'static str,
    /// Passed?
    pub pass: bool,
    /// The expected value.
    pub expected: String,
    /// The value found.
    pub found: String,
    /// A note.
    pub detail: String,
}

impl Check {
    /// A check that passes when `expected == found`.
    pub fn equal(
        name: &'static str,
        expected: impl Into<String>,
        found: impl Into<String>,
        detail: impl Into<String>,
    ) -> Check {
        let (expected, found) = (expected.into(), found.into());
        Check {
            name,
            pass: expected == found,
            expected,
            found,
            detail: detail.into(),
        }
    }
}

/// The enclave identity read from the evidence given (a quote, a report, a `.sig` or a bare
/// MRENCLAVE), and what that evidence could not prove.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// What the evidence is (`quote v4 quote.bin (base64)`).
    pub what: String,
    /// MRENCLAVE (a `.sig`'s ENCLAVEHASH).
    pub mrenclave: [u8; 32],
    /// MRSIGNER, if the evidence has it.
    pub mrsigner: Option<[u8; 32]>,
    /// ISVPRODID, if the evidence has it.
    pub isvprodid: Option<u16>,
    /// ISVSVN, if the evidence has it.
    pub isvsvn: Option<u16>,
    /// The DEBUG attribute, if the evidence has it.
    pub debug: Option<bool>,
    /// CONFIGID, if the evidence has it (reports and quotes).
    pub configid: Option<[u8; 64]>,
    /// What was not verified.
    pub notes: Vec<String>,
    /// Checks of the evidence itself (a `.sig`'s signature).
    pub extra: Vec<Check>,
}

impl Found {
    /// A quote (`report == false`) or a REPORT (`report == true`) read from a file (raw, hex or
    /// base64). Its signature, QE report and certificate chain (or a report's MAC) are not
    /// verified: the notes say so.
    pub fn from_evidence_file(path: &Path, report: bool) -> Result<Found> {
        let ev = evidence::load(path)?;
        if report != matches!(ev.kind, EvidenceKind::Report) {
            return Err(EvidenceFileError::WrongKind {
                path: path.to_path_buf(),
                found: ev.kind,
                wanted: if report { "report" } else { "quote" },
            }
            .into());
        }
        let id = &ev.identity;
        let note = if report {
            "report MAC NOT verified (only the target enclave can)"
        } else {
            "quote signature, QE report and PCK certificate chain NOT verified by this command"
        };
        Ok(Found {
            what: format!("{} {} ({})", ev.kind, path.display(), ev.encoding),
            mrenclave: id.mr_enclave,
            mrsigner: Some(id.mr_signer),
            isvprodid: Some(id.isv_prod_id),
            isvsvn: Some(id.isv_svn),
            debug: Some(id.attributes.debug()),
            configid: Some(id.config_id),
            notes: vec![note.to_string()],
            extra: vec![],
        })
    }

    /// A SIGSTRUCT (`.sig`) file: its ENCLAVEHASH, MRSIGNER, ISV values and DEBUG flag, and
    /// whether its signature verifies.
    pub fn from_sigstruct_file(path: &Path) -> Result<Found> {
        let bytes = fsutil::read(path, "SIGSTRUCT")?;
        let sig = Sigstruct::parse(&bytes)
            .map_err(|e| Error::from(e).context(path.display().to_string()))?;
        Ok(Found::from_sigstruct(&sig, &path.display().to_string()))
    }

    /// A SIGSTRUCT (`name` says where it came from).
    pub fn from_sigstruct(sig: &Sigstruct, name: &str) -> Found {
        let v = sigstruct::verify(sig);
        let valid = "valid RSA-3072 signature, Q1, Q2";
        let extra = vec![Check {
            name: "SIGNATURE",
            pass: v.ok(),
            expected: valid.into(),
            found: if v.ok() {
                valid.into()
            } else {
                format!("invalid: {}", v.failed().join(", "))
            },
            detail: String::new(),
        }];
        Found {
            what: format!("SIGSTRUCT {name}"),
            mrenclave: sig.enclave_hash,
            mrsigner: Some(sig.mrsigner()),
            isvprodid: Some(sig.isv_prod_id),
            isvsvn: Some(sig.isv_svn),
            debug: Some(sig.is_debug()),
            configid: None,
            notes: vec![],
            extra,
        }
    }

    /// A bare MRENCLAVE value.
    pub fn from_mrenclave(mrenclave: [u8; 32]) -> Found {
        Found {
            what: "an MRENCLAVE value".into(),
            mrenclave,
            mrsigner: None,
            isvprodid: None,
            isvsvn: None,
            debug: None,
            configid: None,
            notes: vec![],
            extra: vec![],
        }
    }
}

/// Expected CONFIGID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpectedConfigid {
    /// The entries' own CONFIGID (`sgx-measure configid`).
    Auto,
    /// This value.
    Value([u8; 64]),
}

/// What the relying party expects besides MRENCLAVE.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expected {
    /// MRSIGNER.
    pub mrsigner: Option<[u8; 32]>,
    /// CONFIGID.
    pub configid: Option<ExpectedConfigid>,
    /// ISVPRODID.
    pub isvprodid: Option<u16>,
    /// Minimum ISVSVN.
    pub min_isvsvn: Option<u16>,
    /// Accept a debug enclave (by default the DEBUG attribute must be clear).
    pub allow_debug: bool,
}

/// The outcome of [`verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Whether every check passed.
    pub ok: bool,
    /// The checks, in order.
    pub checks: Vec<Check>,
    /// The entries' CONFIGID.
    pub entries_configid: [u8; 64],
}

impl Verdict {
    /// The names of the failed checks.
    pub fn failed(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| !c.pass)
            .map(|c| c.name)
            .collect()
    }
}

const ABSENT: &str = "(not in the evidence)";

/// Checks `found` against the enclave `bundle` plus `entries` describes and the expectations.
pub fn verify(
    bundle: &Bundle<'_>,
    entries: &Entries,
    found: &Found,
    expected: &Expected,
) -> Result<Verdict> {
    let list = entries.entry_list()?;
    let mut checks = Vec::new();
    let policy = check_policy(bundle, &list, &Sha256::digest(&entries.list).into());
    let allowed = "every entry allowed";
    checks.push(Check {
        name: "append policy",
        pass: policy.is_ok(),
        expected: allowed.into(),
        found: match &policy {
            Ok(()) => allowed.into(),
            Err(v) => format!(
                "{v} ({})",
                entries
                    .records
                    .get(v.index as usize)
                    .map(|r| r.uri.as_str())
                    .unwrap_or("?")
            ),
        },
        detail: format!("{} entries", entries.len()),
    });
    let expected_mrenclave = mrenclave_unchecked(bundle, list)?;
    checks.push(Check::equal(
        "MRENCLAVE",
        hex::encode(expected_mrenclave),
        hex::encode(found.mrenclave),
        "base bundle + entries",
    ));
    checks.extend(found.extra.iter().cloned());
    if let Some(want) = expected.mrsigner {
        checks.push(Check::equal(
            "MRSIGNER",
            hex::encode(want),
            found
                .mrsigner
                .map(hex::encode)
                .unwrap_or_else(|| ABSENT.into()),
            "",
        ));
    }
    if let Some(want) = expected.isvprodid {
        checks.push(Check::equal(
            "ISVPRODID",
            want.to_string(),
            found
                .isvprodid
                .map(|v| v.to_string())
                .unwrap_or_else(|| ABSENT.into()),
            "",
        ));
    }
    if let Some(min) = expected.min_isvsvn {
        let f = found.isvsvn;
        checks.push(Check {
            name: "ISVSVN",
            pass: f.is_some_and(|v| v >= min),
            expected: format!(">= {min}"),
            found: f.map(|v| v.to_string()).unwrap_or_else(|| ABSENT.into()),
            detail: String::new(),
        });
    }
    if let Some(debug) = found.debug {
        checks.push(Check {
            name: "DEBUG",
            pass: expected.allow_debug || !debug,
            expected: if expected.allow_debug {
                "any (--allow-debug)".into()
            } else {
                "0 (production enclave)".into()
            },
            found: if debug {
                "1 (debug enclave: its memory can be read by the host)".into()
            } else {
                "0".into()
            },
            detail: String::new(),
        });
    }
    let entries_configid = entries.configid()?;
    if let Some(want) = expected.configid {
        let (want, detail) = match want {
            ExpectedConfigid::Auto => (
                entries_configid,
                "SHA-256 of the canonical entry list, 32 zero bytes",
            ),
            ExpectedConfigid::Value(v) => (v, ""),
        };
        let f = match found.configid {
            Some(c) => hex::encode(c),
            None => "(not in this evidence: CONFIGID is only in reports and quotes)".into(),
        };
        checks.push(Check::equal("CONFIGID", hex::encode(want), f, detail));
    }
    Ok(Verdict {
        ok: checks.iter().all(|c| c.pass),
        checks,
        entries_configid,
    })
}
