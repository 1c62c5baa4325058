//! Does this evidence come from the enclave we expect? The library entry points under
//! `sgx-measure verify`, on the shared result model ([`crate::check`]) and expected identity
//! ([`crate::identity`]):
//!
//! - [`Found`]: the identity some evidence shows (a quote, a REPORT, a `.sig`, a bare MRENCLAVE),
//!   the checks of the evidence itself (a `.sig`'s signature) and what it could not prove;
//! - [`verify`]: checks it against the enclave a base bundle plus a data owner's entries describe
//!   and the relying party's expectations.
//!
//! A quote's signature chain is verified by `measure_lib::dcap` (feature `dcap`, with collateral); [`Found`] of a quote
//! file says in its notes that this function alone does not.
//!
//! Checking the `.sig` that `gramine-sgx-sign` v1.9 wrote for a base manifest plus a data
//! owner's entry (one of Gramine's append test vectors) against the base's bundle and the
//! entries; then against a data owner whose entries differ:
//!
//! ```
//! use measure_lib::bundle::make;
//! use measure_lib::entries::Entries;
//! use measure_lib::hashing::FileHasher;
//! use measure_lib::identity::ExpectedIdentity;
//! use measure_lib::pipeline::Options;
//! use measure_lib::verify::{Found, verify};
//! use measure_core::GramineVersion;
//! use measure_core::bundle::Bundle;
//!
//! let case = "../testdata/vectors/public/pa01-append-1-entry";
//! let base = std::fs::read(format!("{case}/expected-base/v1.9_tomliw-1.2.0/out.manifest.sgx"))
//!     .expect("base manifest");
//! let libpal = std::fs::read("../testdata/vectors/public/elf/pal-basic.so").expect("libpal");
//! let opts = Options::new(GramineVersion::V1_9);
//! let made = make(&base, &libpal, "pal-basic.so", &["file:/data/".into()], &opts, &mut FileHasher::new(None)?)?;
//! let bundle = Bundle::parse(&made.bytes)?;
//! let entries = Entries::load(format!("{case}/entries.toml").as_ref(), None, None)?;
//!
//! let sig = format!("{case}/expected/v1.9_tomliw-1.2.0/out.sig");
//! let found = Found::from_sigstruct_file(sig.as_ref())?;
//! let verdict = verify(&bundle, &entries, &found, &ExpectedIdentity::default())?;
//! assert!(verdict.ok, "{:?}", verdict.failed());
//! assert!(verdict.checks.iter().any(|c| c.id == "mrenclave" && c.pass));
//!
//! // Another data owner's entries: the same .sig is not their enclave.
//! let other = Entries::parse(
//!     br#"[{"uri": "file:/data/owner2/input.npz", "sha256": "6d054439eb7f38ee0e2010ac049749a0f91a5131cbfe1b9f90571d7c5abf6a8b"}]"#,
//!     None,
//!     None,
//! )?;
//! let verdict = verify(&bundle, &other, &found, &ExpectedIdentity::default())?;
//! assert!(!verdict.ok);
//! assert_eq!(verdict.failed(), ["MRENCLAVE"]);
//! # Ok::<(), measure_lib::Error>(())
//! ```

use std::path::Path;

use measure_core::append::mrenclave_unchecked;
use measure_core::bundle::Bundle;
use measure_core::sigstruct::Sigstruct;

use crate::appended::{Measure, check_policy_in_memory, evaluate};
pub use crate::check::Check;
use crate::check::{Group, Status};
use crate::entries::Entries;
use crate::entries::stream::EntriesInput;
use crate::error::{Error, Result};
use crate::evidence::{self, EvidenceFileError, EvidenceKind};
use crate::identity::{ExpectedIdentity, ExpectedMrenclave, FoundIdentity};
use crate::{fsutil, sigstruct};

/// The enclave identity read from the evidence given, the checks of the evidence itself, and
/// what that evidence could not prove.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// What the evidence is (`quote v4 quote.bin (base64)`).
    pub what: String,
    /// The identity fields it shows.
    pub identity: FoundIdentity,
    /// What was not verified.
    pub notes: Vec<String>,
    /// Checks of the evidence itself (a `.sig`'s signature).
    pub extra: Vec<Check>,
}

impl Found {
    /// A quote (`report == false`) or a REPORT (`report == true`) read from a file (raw, hex or
    /// base64). Its signature chain (or a report's MAC) is not verified here: the notes say so.
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
        let note = if report {
            "report MAC NOT verified (only the target enclave can)"
        } else {
            "quote signature, QE report and PCK certificate chain NOT verified by this function (measure_lib::dcap does it with collateral)"
        };
        Ok(Found {
            what: format!("{} {} ({})", ev.kind, path.display(), ev.encoding),
            identity: FoundIdentity::from_report_body(&ev.identity),
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
        let extra = vec![Check::new(
            "sigstruct_signature",
            "SIGNATURE",
            Group::Evidence,
            if v.ok() { Status::Pass } else { Status::Fail },
            valid,
            if v.ok() {
                valid.to_string()
            } else {
                format!("invalid: {}", v.failed().join(", "))
            },
            "",
        )];
        Found {
            what: format!("SIGSTRUCT {name}"),
            identity: FoundIdentity {
                mrenclave: sig.enclave_hash,
                mrsigner: Some(sig.mrsigner()),
                isvprodid: Some(sig.isv_prod_id),
                isvsvn: Some(sig.isv_svn),
                debug: Some(sig.is_debug()),
                configid: None,
                config_svn: None,
                isv_ext_prod_id: None,
                isv_family_id: None,
                report_data: None,
            },
            notes: vec![],
            extra,
        }
    }

    /// A bare MRENCLAVE value.
    pub fn from_mrenclave(mrenclave: [u8; 32]) -> Found {
        Found {
            what: "an MRENCLAVE value".into(),
            identity: FoundIdentity {
                mrenclave,
                ..FoundIdentity::default()
            },
            notes: vec![],
            extra: vec![],
        }
    }
}

/// The outcome of [`verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Whether no check failed.
    pub ok: bool,
    /// The checks, in order: the append policy and MRENCLAVE, the evidence's own checks, the
    /// rest of the identity, the bindings.
    pub checks: Vec<Check>,
    /// The entries' CONFIGID.
    pub entries_configid: [u8; 64],
}

impl Verdict {
    /// The names of the failed checks.
    pub fn failed(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| c.failed())
            .map(|c| c.name)
            .collect()
    }
}

/// The expected identity of `bundle` plus `entries` (append policy enforced as a check), with
/// the options of `options` (its MRENCLAVEs and source checks are replaced).
pub fn expected_from_bundle(
    bundle: &Bundle<'_>,
    entries: &Entries,
    options: &ExpectedIdentity,
) -> Result<ExpectedIdentity> {
    expected_from_owners(bundle, &[(None, entries)], options)
}

/// What [`expected_from_input`] read of the entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntriesRead {
    /// Number of entries.
    pub count: usize,
    /// Their CONFIGID.
    pub configid: [u8; 64],
}

/// [`expected_from_bundle`] for entries of any size, streamed from `input` (see
/// [`crate::appended`]): read twice, never held.
pub fn expected_from_input(
    bundle: &Bundle<'_>,
    input: &EntriesInput,
    options: &ExpectedIdentity,
) -> Result<(ExpectedIdentity, EntriesRead)> {
    let outcome = evaluate(bundle, input, Measure::Always, None)?;
    let allowed = "every entry allowed";
    let policy_check = Check::new(
        "append_policy",
        "append policy",
        Group::Identity,
        if outcome.policy.is_ok() {
            Status::Pass
        } else {
            Status::Fail
        },
        allowed,
        match &outcome.policy {
            Ok(()) => allowed.to_string(),
            Err(r) => format!("{} ({})", r.violation, r.uri),
        },
        format!("{} entries", outcome.count),
    );
    let Some(value) = outcome.mrenclave else {
        return Err(Error::Internal("the entries were not measured".into()));
    };
    Ok((
        ExpectedIdentity {
            mrenclaves: vec![ExpectedMrenclave {
                value,
                source: "base bundle + entries".into(),
                owner: None,
                configid: Some(outcome.configid),
            }],
            source_checks: vec![policy_check],
            ..options.clone()
        },
        EntriesRead {
            count: outcome.count,
            configid: outcome.configid,
        },
    ))
}

/// The expected identity of a federation: `bundle` plus each data owner's entries, one
/// MRENCLAVE per owner (named, when a name is given), every owner's entries checked against the
/// bundle's append policy (one check: the first owner whose entries break it is named), with the
/// options of `options` (its MRENCLAVEs and source checks are replaced).
pub fn expected_from_owners(
    bundle: &Bundle<'_>,
    owners: &[(Option<&str>, &Entries)],
    options: &ExpectedIdentity,
) -> Result<ExpectedIdentity> {
    let allowed = "every entry allowed";
    let mut violation = None;
    let mut mrenclaves = Vec::with_capacity(owners.len());
    let mut total = 0usize;
    for (name, entries) in owners {
        let list = entries.entry_list()?;
        total += entries.len();
        let policy = check_policy_in_memory(bundle, &list);
        if let (Err(v), None) = (&policy, &violation) {
            let uri = entries
                .records
                .get(v.index as usize)
                .map(|r| r.uri.as_str())
                .unwrap_or("?");
            violation = Some(match name {
                Some(n) => format!("{n}: {v} ({uri})"),
                None => format!("{v} ({uri})"),
            });
        }
        let value = mrenclave_unchecked(bundle, list)?;
        mrenclaves.push(ExpectedMrenclave {
            value,
            source: "base bundle + entries".into(),
            owner: name.map(str::to_string),
            configid: Some(entries.configid()?),
        });
    }
    let several = owners.len() > 1;
    let policy_check = Check::new(
        "append_policy",
        "append policy",
        Group::Identity,
        if violation.is_none() {
            Status::Pass
        } else {
            Status::Fail
        },
        if several {
            "every entry of every owner allowed"
        } else {
            allowed
        },
        violation.unwrap_or_else(|| allowed.to_string()),
        if several {
            format!("{} owners, {total} entries", owners.len())
        } else {
            format!("{total} entries")
        },
    );
    Ok(ExpectedIdentity {
        mrenclaves,
        source_checks: vec![policy_check],
        ..options.clone()
    })
}

/// Orders checks as `sgx-measure verify` prints them: which enclave (the source's checks and
/// MRENCLAVE), whether the evidence is genuine, the rest of the identity, the bindings.
pub fn ordered(identity: Vec<Check>, evidence: Vec<Check>, binding: Vec<Check>) -> Vec<Check> {
    let (head, rest): (Vec<Check>, Vec<Check>) = identity
        .into_iter()
        .partition(|c| matches!(c.id, "append_policy" | "mrenclave"));
    let (ident, bind): (Vec<Check>, Vec<Check>) =
        rest.into_iter().partition(|c| c.group == Group::Identity);
    head.into_iter()
        .chain(evidence)
        .chain(ident)
        .chain(binding)
        .chain(bind)
        .collect()
}

/// Checks `found` against the enclave `bundle` plus `entries` describe and the expectations of
/// `options` (MRSIGNER, ISVPRODID, minimum ISVSVN, CONFIGID, debug, REPORTDATA).
pub fn verify(
    bundle: &Bundle<'_>,
    entries: &Entries,
    found: &Found,
    options: &ExpectedIdentity,
) -> Result<Verdict> {
    let expected = expected_from_bundle(bundle, entries, options)?;
    let checks = ordered(
        expected.checks(&found.identity),
        found.extra.clone(),
        Vec::new(),
    );
    Ok(Verdict {
        ok: !checks.iter().any(Check::failed),
        checks,
        entries_configid: entries.configid()?,
    })
}
