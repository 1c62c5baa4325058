//! The enclave a relying party expects, and the checks of found evidence against it.
//!
//! An [`ExpectedIdentity`] is built from one source of the expected MRENCLAVE (a base bundle plus
//! a data owner's entries: [`crate::verify::expected_from_bundle`]; a final manifest plus libpal;
//! or a value computed elsewhere; more
//! sources, such as SGX SDK enclaves, add a constructor) and the options every source shares
//! (MRSIGNER, ISVPRODID, minimum ISVSVN, CONFIGID, debug, report-data binding). Any evidence
//! that yields a [`FoundIdentity`] (a quote, a report, a `.sig`, an attestation token's claims) is
//! checked against it by [`ExpectedIdentity::checks`], with the same named checks.

use measure_core::evidence::ReportBody;
use measure_core::profile::GramineVersion;
use sha2::{Digest, Sha256};

use crate::check::{Check, Group, Status};

/// Why an expected identity could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// A value given as hex is malformed.
    #[error("{option}: {reason}")]
    BadValue {
        /// The option.
        option: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The bundle, entries, manifest or libpal cannot be used.
    #[error("{what}: {reason}")]
    Source {
        /// Which input.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// A hex value as users paste it: surrounding blanks and one `0x`/`0X` prefix (as C, Python and
/// Intel's tools print values) are not part of it.
pub fn strip_hex_prefix(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s)
}

/// Parses exactly `N` bytes of hex (an optional `0x` prefix allowed).
pub fn parse_hex<const N: usize>(s: &str, option: &'static str) -> Result<[u8; N], IdentityError> {
    let v = hex::decode(strip_hex_prefix(s)).map_err(|e| IdentityError::BadValue {
        option,
        reason: format!("not hex ({e})"),
    })?;
    v.try_into().map_err(|v: Vec<u8>| IdentityError::BadValue {
        option,
        reason: format!("{} bytes, expected {N}", v.len()),
    })
}

/// The expected MRENCLAVE and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedMrenclave {
    /// The value.
    pub value: [u8; 32],
    /// Where it came from, for the output (`base bundle + entries`, ...).
    pub source: String,
}

/// What REPORTDATA must hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportDataRule {
    /// REPORTDATA starts with these bytes (1 to 64).
    Prefix(Vec<u8>),
    /// The first 32 bytes are this SHA-256 (of a file, as OpenFL binds its certificate).
    Sha256 {
        /// The digest.
        digest: [u8; 32],
        /// Of what.
        of: String,
    },
}

impl ReportDataRule {
    /// `--report-data HEX`: 1 to 64 bytes.
    pub fn prefix_hex(s: &str) -> Result<ReportDataRule, IdentityError> {
        let v = hex::decode(strip_hex_prefix(s)).map_err(|e| IdentityError::BadValue {
            option: "--report-data",
            reason: format!("not hex ({e})"),
        })?;
        if v.is_empty() || v.len() > 64 {
            return Err(IdentityError::BadValue {
                option: "--report-data",
                reason: format!("{} bytes; REPORTDATA is 64 bytes (give 1 to 64)", v.len()),
            });
        }
        Ok(ReportDataRule::Prefix(v))
    }

    /// `--report-data-sha256 FILE`.
    pub fn sha256_of(bytes: &[u8], of: impl Into<String>) -> ReportDataRule {
        ReportDataRule::Sha256 {
            digest: Sha256::digest(bytes).into(),
            of: of.into(),
        }
    }

    fn check(&self, found: &[u8; 64]) -> Check {
        let (want, detail): (&[u8], String) = match self {
            ReportDataRule::Prefix(p) => (
                p,
                if p.len() == 64 {
                    "all 64 bytes".into()
                } else {
                    format!("the first {} bytes", p.len())
                },
            ),
            ReportDataRule::Sha256 { digest, of } => {
                (digest, format!("the first 32 bytes: SHA-256 of {of}"))
            }
        };
        let got = found.get(..want.len()).unwrap_or_default();
        Check::new(
            "report_data",
            "REPORTDATA",
            Group::Binding,
            if got == want {
                Status::Pass
            } else {
                Status::Fail
            },
            hex::encode(want),
            hex::encode(got),
            detail,
        )
    }
}

/// The enclave a relying party expects.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpectedIdentity {
    /// The expected MRENCLAVE, if any (a token or `.sig` check may pin only MRSIGNER).
    pub mrenclave: Option<ExpectedMrenclave>,
    /// Checks made while computing it (the append policy of a bundle's entries).
    pub source_checks: Vec<Check>,
    /// Expected MRSIGNER.
    pub mrsigner: Option<[u8; 32]>,
    /// Expected ISVPRODID.
    pub isvprodid: Option<u16>,
    /// Minimum ISVSVN.
    pub min_isvsvn: Option<u16>,
    /// Expected CONFIGID and what it is.
    pub configid: Option<([u8; 64], String)>,
    /// Accept a debug enclave.
    pub allow_debug: bool,
    /// What REPORTDATA must hold.
    pub report_data: Vec<ReportDataRule>,
}

/// The identity fields some evidence shows (`None` where it has no such field).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FoundIdentity {
    /// MRENCLAVE.
    pub mrenclave: [u8; 32],
    /// MRSIGNER.
    pub mrsigner: Option<[u8; 32]>,
    /// ISVPRODID.
    pub isvprodid: Option<u16>,
    /// ISVSVN.
    pub isvsvn: Option<u16>,
    /// DEBUG attribute.
    pub debug: Option<bool>,
    /// CONFIGID.
    pub configid: Option<[u8; 64]>,
    /// REPORTDATA.
    pub report_data: Option<[u8; 64]>,
}

impl FoundIdentity {
    /// From a report body (of a REPORT or a quote).
    pub fn from_report_body(b: &ReportBody) -> FoundIdentity {
        FoundIdentity {
            mrenclave: b.mr_enclave,
            mrsigner: Some(b.mr_signer),
            isvprodid: Some(b.isv_prod_id),
            isvsvn: Some(b.isv_svn),
            debug: Some(b.attributes.debug()),
            configid: Some(b.config_id),
            report_data: Some(b.report_data),
        }
    }
}

const ABSENT: &str = "(not in the evidence)";

impl ExpectedIdentity {
    /// The expected MRENCLAVE of a final manifest (`.manifest.sgx`) and a PAL.
    pub fn from_manifest(
        manifest: &[u8],
        libpal: &[u8],
        libpal_name: &str,
        version: GramineVersion,
    ) -> Result<ExpectedIdentity, IdentityError> {
        let m = crate::measure::measure_manifest(manifest, libpal, libpal_name, version).map_err(
            |e| IdentityError::Source {
                what: "manifest + libpal",
                reason: crate::error::chain(&e),
            },
        )?;
        Ok(ExpectedIdentity {
            mrenclave: Some(ExpectedMrenclave {
                value: m.mrenclave,
                source: format!("final manifest + libpal (Gramine {version})"),
            }),
            ..ExpectedIdentity::default()
        })
    }

    /// An MRENCLAVE computed elsewhere (64 hex digits).
    pub fn from_mrenclave_hex(s: &str) -> Result<ExpectedIdentity, IdentityError> {
        Ok(ExpectedIdentity {
            mrenclave: Some(ExpectedMrenclave {
                value: parse_hex::<32>(s, "--expect-mrenclave")?,
                source: "--expect-mrenclave".into(),
            }),
            ..ExpectedIdentity::default()
        })
    }

    /// The identity checks of `found`: the source's own checks, MRENCLAVE, then every option
    /// that was set, DEBUG whenever the evidence shows it, and the REPORTDATA rules.
    pub fn checks(&self, found: &FoundIdentity) -> Vec<Check> {
        let mut out = self.source_checks.clone();
        let id = Group::Identity;
        if let Some(m) = &self.mrenclave {
            out.push(Check::compare(
                "mrenclave",
                "MRENCLAVE",
                id,
                hex::encode(m.value),
                hex::encode(found.mrenclave),
                m.source.clone(),
            ));
        }
        if let Some(want) = self.mrsigner {
            out.push(Check::compare(
                "mrsigner",
                "MRSIGNER",
                id,
                hex::encode(want),
                found.mrsigner.map_or_else(|| ABSENT.into(), hex::encode),
                "",
            ));
        }
        if let Some(want) = self.isvprodid {
            out.push(Check::compare(
                "isvprodid",
                "ISVPRODID",
                id,
                want.to_string(),
                found
                    .isvprodid
                    .map_or_else(|| ABSENT.into(), |v| v.to_string()),
                "",
            ));
        }
        if let Some(min) = self.min_isvsvn {
            out.push(Check::new(
                "isvsvn",
                "ISVSVN",
                id,
                if found.isvsvn.is_some_and(|v| v >= min) {
                    Status::Pass
                } else {
                    Status::Fail
                },
                format!(">= {min}"),
                found
                    .isvsvn
                    .map_or_else(|| ABSENT.into(), |v| v.to_string()),
                "",
            ));
        }
        if let Some(debug) = found.debug {
            out.push(Check::new(
                "debug",
                "DEBUG",
                id,
                if self.allow_debug || !debug {
                    Status::Pass
                } else {
                    Status::Fail
                },
                if self.allow_debug {
                    "any (--allow-debug)"
                } else {
                    "0 (production enclave)"
                },
                if debug {
                    "1 (debug enclave: its memory can be read by the host)"
                } else {
                    "0"
                },
                "",
            ));
        }
        if let Some((want, detail)) = &self.configid {
            out.push(Check::compare(
                "configid",
                "CONFIGID",
                id,
                hex::encode(want),
                found.configid.map_or_else(
                    || "(not in this evidence: CONFIGID is only in reports and quotes)".into(),
                    hex::encode,
                ),
                detail.clone(),
            ));
        }
        for rule in &self.report_data {
            out.push(match &found.report_data {
                Some(rd) => rule.check(rd),
                None => Check::new(
                    "report_data",
                    "REPORTDATA",
                    Group::Binding,
                    Status::Fail,
                    "a REPORTDATA binding",
                    "(not in this evidence: only reports and quotes carry REPORTDATA)",
                    "",
                ),
            });
        }
        out
    }
}
