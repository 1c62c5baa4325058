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

/// An expected MRENCLAVE and where it came from: with several data owners (a federation), one
/// per owner, each named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedMrenclave {
    /// The value.
    pub value: [u8; 32],
    /// Where it came from, for the output (`base bundle + entries`, ...).
    pub source: String,
    /// The data owner whose entries give it (named when there are several).
    pub owner: Option<String>,
    /// That owner's CONFIGID (SHA-256 of its canonical entry list, then 32 zero bytes), the
    /// value `--configid auto` expects of an enclave with this MRENCLAVE.
    pub configid: Option<[u8; 64]>,
}

impl ExpectedMrenclave {
    /// A value from `source`, no owner.
    pub fn new(value: [u8; 32], source: impl Into<String>) -> ExpectedMrenclave {
        ExpectedMrenclave {
            value,
            source: source.into(),
            owner: None,
            configid: None,
        }
    }

    /// `owner1 (base bundle + entries)`, or the source alone.
    pub fn describe(&self) -> String {
        match &self.owner {
            Some(o) => format!("{o}: {}", self.source),
            None => self.source.clone(),
        }
    }
}

/// What CONFIGID must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigidRule {
    /// This value (what it is, for the output).
    Value([u8; 64], String),
    /// The CONFIGID of the data owner whose MRENCLAVE the evidence has (`--configid auto`).
    PerOwner,
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
    /// The accepted MRENCLAVEs: one, or one per data owner of a federation (the evidence must
    /// have one of them). Empty: MRENCLAVE is not checked.
    pub mrenclaves: Vec<ExpectedMrenclave>,
    /// Checks made while computing them (the append policy of the owners' entries).
    pub source_checks: Vec<Check>,
    /// Expected MRSIGNER.
    pub mrsigner: Option<[u8; 32]>,
    /// Expected ISVPRODID.
    pub isvprodid: Option<u16>,
    /// Minimum ISVSVN.
    pub min_isvsvn: Option<u16>,
    /// Expected CONFIGID.
    pub configid: Option<ConfigidRule>,
    /// Minimum CONFIGSVN (KSS).
    pub min_config_svn: Option<u16>,
    /// Expected ISVEXTPRODID (KSS).
    pub isv_ext_prod_id: Option<[u8; 16]>,
    /// Expected ISVFAMILYID (KSS).
    pub isv_family_id: Option<[u8; 16]>,
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
    /// CONFIGSVN.
    pub config_svn: Option<u16>,
    /// ISVEXTPRODID.
    pub isv_ext_prod_id: Option<[u8; 16]>,
    /// ISVFAMILYID.
    pub isv_family_id: Option<[u8; 16]>,
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
            config_svn: Some(b.config_svn),
            isv_ext_prod_id: Some(b.isv_ext_prod_id),
            isv_family_id: Some(b.isv_family_id),
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
            mrenclaves: vec![ExpectedMrenclave::new(
                m.mrenclave,
                format!("final manifest + libpal (Gramine {version})"),
            )],
            ..ExpectedIdentity::default()
        })
    }

    /// An MRENCLAVE computed elsewhere (64 hex digits).
    pub fn from_mrenclave_hex(s: &str) -> Result<ExpectedIdentity, IdentityError> {
        Ok(ExpectedIdentity {
            mrenclaves: vec![ExpectedMrenclave::new(
                parse_hex::<32>(s, "--expect-mrenclave")?,
                "--expect-mrenclave",
            )],
            ..ExpectedIdentity::default()
        })
    }

    /// The expected MRENCLAVEs that `found` has (several only if owners share one).
    pub fn matching(&self, found: &FoundIdentity) -> Vec<&ExpectedMrenclave> {
        self.mrenclaves
            .iter()
            .filter(|m| m.value == found.mrenclave)
            .collect()
    }

    /// The identity checks of `found`: the source's own checks, MRENCLAVE (one of the owners'),
    /// then every option that was set, DEBUG whenever the evidence shows it, and the REPORTDATA
    /// rules.
    pub fn checks(&self, found: &FoundIdentity) -> Vec<Check> {
        let mut out = self.source_checks.clone();
        let id = Group::Identity;
        let matched = self.matching(found);
        match self.mrenclaves.as_slice() {
            [] => {}
            [m] => out.push(Check::compare(
                "mrenclave",
                "MRENCLAVE",
                id,
                hex::encode(m.value),
                hex::encode(found.mrenclave),
                m.describe(),
            )),
            all => {
                let names = |ms: &[&ExpectedMrenclave]| {
                    ms.iter()
                        .map(|m| m.owner.clone().unwrap_or_else(|| m.source.clone()))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let listed: Vec<&ExpectedMrenclave> = all.iter().collect();
                out.push(Check::new(
                    "mrenclave",
                    "MRENCLAVE",
                    id,
                    if matched.is_empty() {
                        Status::Fail
                    } else {
                        Status::Pass
                    },
                    format!("one of {} data owners' MRENCLAVEs", all.len()),
                    if matched.is_empty() {
                        format!("{} (no owner's)", hex::encode(found.mrenclave))
                    } else {
                        format!("{} ({})", hex::encode(found.mrenclave), names(&matched))
                    },
                    if matched.is_empty() {
                        let mut d = all
                            .iter()
                            .take(8)
                            .map(|m| {
                                format!(
                                    "{} {}",
                                    m.owner.as_deref().unwrap_or(&m.source),
                                    hex::encode(m.value)
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("; ");
                        if all.len() > 8 {
                            d.push_str(&format!("; and {} more", all.len() - 8));
                        }
                        d
                    } else {
                        format!("{} ({} listed: {})", matched[0].source, all.len(), {
                            let n = names(&listed);
                            if n.len() > 200 {
                                format!("{}...", n.chars().take(200).collect::<String>())
                            } else {
                                n
                            }
                        })
                    },
                ));
            }
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
        match &self.configid {
            None => {}
            Some(ConfigidRule::Value(want, detail)) => out.push(Check::compare(
                "configid",
                "CONFIGID",
                id,
                hex::encode(want),
                found.configid.map_or_else(|| ABSENT.into(), hex::encode),
                detail.clone(),
            )),
            Some(ConfigidRule::PerOwner) => {
                let detail = "SHA-256 of the canonical entry list, 32 zero bytes";
                let wanted: Vec<[u8; 64]> = matched.iter().filter_map(|m| m.configid).collect();
                out.push(match (wanted.first(), found.configid) {
                    (None, _) => Check::skipped(
                        "configid",
                        "CONFIGID",
                        id,
                        "the entries' CONFIGID of the owner whose MRENCLAVE it is",
                        "no data owner's MRENCLAVE matched (see MRENCLAVE)",
                    ),
                    (Some(first), Some(got)) => {
                        let ok = wanted.contains(&got);
                        Check::new(
                            "configid",
                            "CONFIGID",
                            id,
                            if ok { Status::Pass } else { Status::Fail },
                            hex::encode(if ok { got } else { *first }),
                            hex::encode(got),
                            match (self.mrenclaves.len(), matched.first()) {
                                (2.., Some(m)) => format!(
                                    "{detail} of {}",
                                    m.owner.as_deref().unwrap_or(&m.source)
                                ),
                                _ => detail.to_string(),
                            },
                        )
                    }
                    (Some(first), None) => Check::new(
                        "configid",
                        "CONFIGID",
                        id,
                        Status::Fail,
                        hex::encode(first),
                        ABSENT,
                        detail,
                    ),
                });
            }
        }
        if let Some(min) = self.min_config_svn {
            out.push(Check::new(
                "config_svn",
                "CONFIGSVN",
                id,
                if found.config_svn.is_some_and(|v| v >= min) {
                    Status::Pass
                } else {
                    Status::Fail
                },
                format!(">= {min}"),
                found
                    .config_svn
                    .map_or_else(|| ABSENT.into(), |v| v.to_string()),
                "",
            ));
        }
        if let Some(want) = self.isv_ext_prod_id {
            out.push(Check::compare(
                "isv_ext_prod_id",
                "ISVEXTPRODID",
                id,
                hex::encode(want),
                found
                    .isv_ext_prod_id
                    .map_or_else(|| ABSENT.into(), hex::encode),
                "",
            ));
        }
        if let Some(want) = self.isv_family_id {
            out.push(Check::compare(
                "isv_family_id",
                "ISVFAMILYID",
                id,
                hex::encode(want),
                found
                    .isv_family_id
                    .map_or_else(|| ABSENT.into(), hex::encode),
                "",
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
                    "(not in this evidence: reports, quotes and attestation tokens carry REPORTDATA)",
                    "",
                ),
            });
        }
        out
    }
}
