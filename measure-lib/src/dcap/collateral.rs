//! Quote verification collateral: the JSON form of dcap-qvl's `QuoteCollateralV3` (what
//! `sgx-measure collateral fetch` writes, documented in docs/formats.md), and its parsed
//! contents. Parsing checks only structure (every PEM chain, CRL and JSON document must parse,
//! signatures must be 64 bytes, dates must be RFC 3339): a structural problem is unusable input,
//! named by its field. Whether the contents are genuine and current is what verification checks.

use dcap_qvl::{QeIdentity, QuoteCollateralV3, TcbInfo};

use super::DcapError;
use super::pki::{Cert, Crl, parse_pem_chain, parse_rfc3339};

/// Collateral, parsed.
#[derive(Clone, Debug)]
pub struct Collateral {
    /// As stored.
    pub raw: QuoteCollateralV3,
    /// `pck_crl_issuer_chain`: the PCK CA (processor or platform) and the root.
    pub pck_crl_issuer_chain: Vec<Cert>,
    /// `root_ca_crl`: revokes intermediate CAs; signed by the root.
    pub root_ca_crl: Crl,
    /// `pck_crl`: revokes PCK certificates; signed by the PCK CA.
    pub pck_crl: Crl,
    /// `tcb_info_issuer_chain`: TCB signing certificate and the root.
    pub tcb_info_issuer_chain: Vec<Cert>,
    /// `tcb_info`, parsed.
    pub tcb_info: TcbInfo,
    /// `tcb_info` issueDate and nextUpdate (Unix seconds).
    pub tcb_info_window: (u64, u64),
    /// `qe_identity_issuer_chain`.
    pub qe_identity_issuer_chain: Vec<Cert>,
    /// `qe_identity`, parsed.
    pub qe_identity: QeIdentity,
    /// `qe_identity` issueDate and nextUpdate (Unix seconds).
    pub qe_identity_window: (u64, u64),
    /// `pck_certificate_chain`, if stored.
    pub pck_certificate_chain: Option<Vec<Cert>>,
}

fn field(field: &'static str) -> impl Fn(String) -> DcapError {
    move |reason| DcapError::Collateral { field, reason }
}

fn window(name: &'static str, issue: &str, next: &str) -> Result<(u64, u64), DcapError> {
    let i = parse_rfc3339(issue)
        .ok_or_else(|| field(name)(format!("issueDate {issue:?} is not an RFC 3339 time")))?;
    let n = parse_rfc3339(next)
        .ok_or_else(|| field(name)(format!("nextUpdate {next:?} is not an RFC 3339 time")))?;
    Ok((i, n))
}

impl Collateral {
    /// Parses the JSON text (dcap-qvl's serde form).
    pub fn from_json(bytes: &[u8]) -> Result<Collateral, DcapError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| DcapError::Collateral {
                field: "collateral",
                reason: format!("not JSON: {e}"),
            })?;
        let obj = value.as_object().ok_or_else(|| DcapError::Collateral {
            field: "collateral",
            reason: "not a JSON object".into(),
        })?;
        for (name, is_bytes) in FIELDS {
            match obj.get(name) {
                None if name == "pck_certificate_chain" => {}
                None => return Err(field(name)("missing".into())),
                Some(serde_json::Value::String(s)) => {
                    if is_bytes && hex::decode(s).is_err() {
                        return Err(field(name)("not a hex string".into()));
                    }
                }
                Some(serde_json::Value::Null) if name == "pck_certificate_chain" => {}
                Some(_) => {
                    return Err(field(name)(if is_bytes {
                        "not a hex string".into()
                    } else {
                        "not a string".into()
                    }));
                }
            }
        }
        let raw: QuoteCollateralV3 =
            serde_json::from_value(value).map_err(|e| DcapError::Collateral {
                field: "collateral",
                reason: format!("not QuoteCollateralV3 JSON: {e}"),
            })?;
        Collateral::from_raw(raw)
    }

    /// Parses every part of stored collateral.
    pub fn from_raw(raw: QuoteCollateralV3) -> Result<Collateral, DcapError> {
        let pck_crl_issuer_chain =
            parse_pem_chain(&raw.pck_crl_issuer_chain).map_err(field("pck_crl_issuer_chain"))?;
        let root_ca_crl = Crl::parse(&raw.root_ca_crl).map_err(field("root_ca_crl"))?;
        let pck_crl = Crl::parse(&raw.pck_crl).map_err(field("pck_crl"))?;
        let tcb_info_issuer_chain =
            parse_pem_chain(&raw.tcb_info_issuer_chain).map_err(field("tcb_info_issuer_chain"))?;
        let tcb_info: TcbInfo = serde_json::from_str(&raw.tcb_info)
            .map_err(|e| field("tcb_info")(format!("not TCB info JSON: {e}")))?;
        let tcb_info_window = window("tcb_info", &tcb_info.issue_date, &tcb_info.next_update)?;
        for (n, level) in tcb_info.tcb_levels.iter().enumerate() {
            if level.tcb.sgx_components.len() != 16 {
                return Err(field("tcb_info")(format!(
                    "TCB level {} has {} SGX TCB components, not 16",
                    n + 1,
                    level.tcb.sgx_components.len()
                )));
            }
        }
        if raw.tcb_info_signature.len() != 64 {
            return Err(field("tcb_info_signature")(format!(
                "{} bytes, an ECDSA P-256 signature (r || s) is 64",
                raw.tcb_info_signature.len()
            )));
        }
        let qe_identity_issuer_chain = parse_pem_chain(&raw.qe_identity_issuer_chain)
            .map_err(field("qe_identity_issuer_chain"))?;
        let qe_identity: QeIdentity = serde_json::from_str(&raw.qe_identity)
            .map_err(|e| field("qe_identity")(format!("not QE identity JSON: {e}")))?;
        let qe_identity_window = window(
            "qe_identity",
            &qe_identity.issue_date,
            &qe_identity.next_update,
        )?;
        if raw.qe_identity_signature.len() != 64 {
            return Err(field("qe_identity_signature")(format!(
                "{} bytes, an ECDSA P-256 signature (r || s) is 64",
                raw.qe_identity_signature.len()
            )));
        }
        let pck_certificate_chain = raw
            .pck_certificate_chain
            .as_deref()
            .map(parse_pem_chain)
            .transpose()
            .map_err(field("pck_certificate_chain"))?;
        Ok(Collateral {
            raw,
            pck_crl_issuer_chain,
            root_ca_crl,
            pck_crl,
            tcb_info_issuer_chain,
            tcb_info,
            tcb_info_window,
            qe_identity_issuer_chain,
            qe_identity,
            qe_identity_window,
            pck_certificate_chain,
        })
    }

    /// The JSON text (pretty, stable field order).
    pub fn to_json(raw: &QuoteCollateralV3) -> String {
        let mut s = serde_json::to_string_pretty(raw).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// The fields of `QuoteCollateralV3` and whether each holds bytes (a hex string).
const FIELDS: [(&str, bool); 10] = [
    ("pck_crl_issuer_chain", false),
    ("root_ca_crl", true),
    ("pck_crl", true),
    ("tcb_info_issuer_chain", false),
    ("tcb_info", false),
    ("tcb_info_signature", true),
    ("qe_identity_issuer_chain", false),
    ("qe_identity", false),
    ("qe_identity_signature", true),
    ("pck_certificate_chain", false),
];

/// A certificate, as `collateral view` shows it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CertSummary {
    /// Subject (common name).
    pub subject: String,
    /// Issuer (common name).
    pub issuer: String,
    /// notBefore, RFC 3339.
    pub not_before: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
}

/// A CRL, as `collateral view` shows it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CrlSummary {
    /// Issuer (common name).
    pub issuer: String,
    /// thisUpdate, RFC 3339.
    pub this_update: String,
    /// nextUpdate, RFC 3339.
    pub next_update: Option<String>,
    /// Number of revoked serials.
    pub revoked: usize,
}

/// One TCB level.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LevelSummary {
    /// Status.
    pub status: String,
    /// TCB date.
    pub tcb_date: String,
    /// The 16 SGX TCB component SVNs (TCB info) or the QE ISVSVN.
    pub svns: Vec<u16>,
    /// PCESVN (TCB info levels).
    pub pcesvn: Option<u16>,
    /// Advisory IDs.
    pub advisory_ids: Vec<String>,
}

/// What `collateral view` shows: issuers, dates, FMSPC, TCB levels.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Summary {
    /// FMSPC of the TCB info.
    pub fmspc: String,
    /// PCE ID.
    pub pce_id: String,
    /// TCB info id and version.
    pub tcb_info_id: String,
    /// TCB info version.
    pub tcb_info_version: u8,
    /// TCB info issue date.
    pub tcb_info_issue_date: String,
    /// TCB info next update.
    pub tcb_info_next_update: String,
    /// TCB evaluation data number.
    pub tcb_evaluation_data_number: u32,
    /// TCB levels, as listed.
    pub tcb_levels: Vec<LevelSummary>,
    /// QE identity issue date.
    pub qe_identity_issue_date: String,
    /// QE identity next update.
    pub qe_identity_next_update: String,
    /// QE MRSIGNER.
    pub qe_mrsigner: String,
    /// QE ISVPRODID.
    pub qe_isvprodid: u16,
    /// QE TCB levels.
    pub qe_tcb_levels: Vec<LevelSummary>,
    /// TCB info signer chain.
    pub tcb_info_issuer_chain: Vec<CertSummary>,
    /// QE identity signer chain.
    pub qe_identity_issuer_chain: Vec<CertSummary>,
    /// PCK CRL issuer chain.
    pub pck_crl_issuer_chain: Vec<CertSummary>,
    /// Root CA CRL.
    pub root_ca_crl: CrlSummary,
    /// PCK CRL.
    pub pck_crl: CrlSummary,
    /// The earliest next update of all dated parts: verify before then.
    pub valid_until: String,
}

fn certs(chain: &[Cert]) -> Vec<CertSummary> {
    use super::pki::rfc3339;
    chain
        .iter()
        .map(|c| {
            let (a, b) = c.validity();
            CertSummary {
                subject: c.subject(),
                issuer: c.issuer(),
                not_before: rfc3339(a),
                not_after: rfc3339(b),
            }
        })
        .collect()
}

fn crl(c: &Crl) -> CrlSummary {
    use super::pki::rfc3339;
    let (this, next) = c.window();
    CrlSummary {
        issuer: c.issuer(),
        this_update: rfc3339(this),
        next_update: next.map(rfc3339),
        revoked: c.revoked_count(),
    }
}

impl Collateral {
    /// What `collateral view` shows.
    pub fn summary(&self) -> Summary {
        use super::pki::rfc3339;
        let t = &self.tcb_info;
        let q = &self.qe_identity;
        let valid_until = [
            Some(self.tcb_info_window.1),
            Some(self.qe_identity_window.1),
            self.root_ca_crl.window().1,
            self.pck_crl.window().1,
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or_default();
        Summary {
            fmspc: t.fmspc.clone(),
            pce_id: t.pce_id.clone(),
            tcb_info_id: t.id.clone(),
            tcb_info_version: t.version,
            tcb_info_issue_date: t.issue_date.clone(),
            tcb_info_next_update: t.next_update.clone(),
            tcb_evaluation_data_number: t.tcb_evaluation_data_number,
            tcb_levels: t
                .tcb_levels
                .iter()
                .map(|l| LevelSummary {
                    status: l.tcb_status.to_string(),
                    tcb_date: l.tcb_date.clone(),
                    svns: l
                        .tcb
                        .sgx_components
                        .iter()
                        .map(|c| u16::from(c.svn))
                        .collect(),
                    pcesvn: Some(l.tcb.pce_svn),
                    advisory_ids: l.advisory_ids.clone(),
                })
                .collect(),
            qe_identity_issue_date: q.issue_date.clone(),
            qe_identity_next_update: q.next_update.clone(),
            qe_mrsigner: hex::encode(q.mrsigner),
            qe_isvprodid: q.isvprodid,
            qe_tcb_levels: q
                .tcb_levels
                .iter()
                .map(|l| LevelSummary {
                    status: l.tcb_status.to_string(),
                    tcb_date: l.tcb_date.clone(),
                    svns: vec![l.tcb.isvsvn],
                    pcesvn: None,
                    advisory_ids: l.advisory_ids.clone(),
                })
                .collect(),
            tcb_info_issuer_chain: certs(&self.tcb_info_issuer_chain),
            qe_identity_issuer_chain: certs(&self.qe_identity_issuer_chain),
            pck_crl_issuer_chain: certs(&self.pck_crl_issuer_chain),
            root_ca_crl: crl(&self.root_ca_crl),
            pck_crl: crl(&self.pck_crl),
            valid_until: rfc3339(valid_until),
        }
    }
}
