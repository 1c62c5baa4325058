//! The checks of a DCAP quote, one link of the trust chain each:
//!
//! ```text
//! trusted root ─┬─ PCK CA ── PCK certificate ── signs ── QE report ── REPORTDATA binds ──┐
//!               │   (root CA CRL)  (PCK CRL)                (QE identity)                  │
//!               ├─ TCB signing certificate ── signs ── TCB info ── TCB level of the PCK    │
//!               └─ (same or other) ────────── signs ── QE identity                         │
//!                                      attestation key ── signs ── quote header + report body
//! ```
//!
//! The checks are made independently of each other wherever the inputs allow (a broken PCK chain
//! does not hide a bad quote signature); a check whose input is missing is skipped, saying why.

use dcap_qvl::intel::PckExtension;
use dcap_qvl::{TcbLevel, TcbStatus, TcbStatusWithAdvisory};
use measure_core::evidence::Quote;
use measure_core::evidence::quote::CERT_TYPE_PCK_CERT_CHAIN;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::pki::{Cert, SigMemo, raw_p256_key, rfc3339, verify_raw};
use super::{Collateral, DcapError, Policy, Statuses};
use crate::check::{Check, Group, Status};

/// Intel's QE vendor ID.
pub const INTEL_QE_VENDOR_ID: [u8; 16] = [
    0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07,
];

/// Check ids and names of quote verification, in order.
pub mod ids {
    /// ECDSA signature of the header and report body by the attestation key.
    pub const QUOTE_SIGNATURE: (&str, &str) = ("quote_signature", "quote signature");
    /// QE REPORTDATA = SHA-256(attestation key || QE authentication data) || 32 zero bytes.
    pub const ATTESTATION_KEY: (&str, &str) = ("attestation_key_binding", "attestation key");
    /// QE report signed by the PCK key.
    pub const QE_REPORT_SIGNATURE: (&str, &str) = ("qe_report_signature", "QE report signature");
    /// PCK certificate ← PCK CA ← trusted root.
    pub const PCK_CHAIN: (&str, &str) = ("pck_chain", "PCK chain");
    /// Root CA CRL: signed by the root, current, PCK CA and TCB signer not revoked.
    pub const ROOT_CA_CRL: (&str, &str) = ("root_ca_crl", "root CA CRL");
    /// PCK CRL: signed by the PCK CA, current, PCK certificate not revoked.
    pub const PCK_CRL: (&str, &str) = ("pck_crl", "PCK CRL");
    /// TCB info: signer chain, signature, validity window, FMSPC and PCE ID of the platform.
    pub const TCB_INFO: (&str, &str) = ("tcb_info", "TCB info");
    /// QE identity collateral: signer chain, signature, validity window.
    pub const QE_IDENTITY_COLLATERAL: (&str, &str) =
        ("qe_identity_signature", "QE identity signature");
    /// The QE report matches the QE identity (MRSIGNER, ISVPRODID, masked MISCSELECT and
    /// ATTRIBUTES, ISVSVN level), QE vendor is Intel.
    pub const QE_IDENTITY: (&str, &str) = ("qe_identity", "QE identity");
    /// Converged TCB status is accepted.
    pub const TCB_STATUS: (&str, &str) = ("tcb_status", "TCB status");
    /// No denied advisory ID.
    pub const ADVISORIES: (&str, &str) = ("advisory_ids", "advisory IDs");
    /// dcap-qvl reaches the same verdict.
    pub const DCAP_QVL: (&str, &str) = ("dcap_qvl", "dcap-qvl");
}

/// The outcome of [`verify_quote`].
#[derive(Clone, Debug, Serialize)]
pub struct QuoteVerification {
    /// The checks, in the order of [`ids`].
    pub checks: Vec<Check>,
    /// The converged TCB status (platform and QE), when it could be computed.
    pub tcb_status: Option<String>,
    /// Advisory IDs of the platform and QE TCB levels.
    pub advisory_ids: Vec<String>,
    /// The platform's TCB level status.
    pub platform_status: Option<String>,
    /// The QE's TCB level status.
    pub qe_status: Option<String>,
    /// The platform's FMSPC (from the PCK certificate).
    pub fmspc: Option<String>,
    /// The time of verification.
    pub now: String,
}

/// The advisory check of a platform's TCB level (quotes and tokens alike): the advisory IDs it
/// lists (`Err` naming those denied) and what was expected.
pub(crate) fn advisories(
    listed: &[String],
    denied_ids: &[String],
) -> (Result<String, String>, String) {
    let denied: Vec<&str> = listed
        .iter()
        .filter(|a| denied_ids.iter().any(|d| d.eq_ignore_ascii_case(a)))
        .map(String::as_str)
        .collect();
    let list = if listed.is_empty() {
        "none".to_string()
    } else {
        listed.join(", ")
    };
    let found = if denied.is_empty() {
        Ok(list)
    } else {
        Err(format!("{list} (denied: {})", denied.join(", ")))
    };
    let expected = if denied_ids.is_empty() {
        "any (no --deny-advisory)".to_string()
    } else {
        format!("none of: {}", denied_ids.join(", "))
    };
    (found, expected)
}

fn check(
    (id, name): (&'static str, &'static str),
    ok: Result<String, String>,
    expected: impl Into<String>,
    detail: impl Into<String>,
) -> Check {
    match ok {
        Ok(found) => Check::new(
            id,
            name,
            Group::Evidence,
            Status::Pass,
            expected,
            found,
            detail,
        ),
        Err(why) => Check::new(
            id,
            name,
            Group::Evidence,
            Status::Fail,
            expected,
            why,
            detail,
        ),
    }
}

fn skipped((id, name): (&'static str, &'static str), expected: &str, why: &str) -> Check {
    Check::skipped(id, name, Group::Evidence, expected, why)
}

/// The PCK chain as given (quote certification data type 5, or the collateral).
fn pck_certs(
    quote: &Quote<'_>,
    collateral: &Collateral,
) -> Result<(Vec<Cert>, &'static str), DcapError> {
    if let Some(c) = &collateral.pck_certificate_chain {
        return Ok((c.clone(), "collateral pck_certificate_chain"));
    }
    let cd = quote.certification_data();
    if cd.cert_type != CERT_TYPE_PCK_CERT_CHAIN {
        return Err(DcapError::Quote {
            part: "certification data",
            reason: format!(
                "type {} ({}) carries no PCK certificate chain: store the platform's PCK chain in the collateral's pck_certificate_chain",
                cd.cert_type,
                measure_core::evidence::quote::cert_type_name(cd.cert_type)
            ),
        });
    }
    let pem = quote.pck_cert_chain().unwrap_or_default();
    let text = std::str::from_utf8(pem).map_err(|_| DcapError::Quote {
        part: "certification data (PCK certificate chain)",
        reason: "not PEM text".into(),
    })?;
    let certs = super::pki::parse_pem_chain(text).map_err(|reason| DcapError::Quote {
        part: "certification data (PCK certificate chain)",
        reason,
    })?;
    Ok((certs, "quote certification data"))
}

/// Walks `chain` (leaf first) up to `root`: each certificate signed by the next (or the root),
/// each valid at `now`, each issuer a CA. A copy of the root at the end is allowed; any other
/// certificate that does not chain is an error. Returns the certificates below the root.
fn chain_to_root<'a>(
    chain: &'a [Cert],
    root: &Cert,
    now: u64,
    memo: &SigMemo,
) -> Result<Vec<&'a Cert>, String> {
    let mut path: Vec<&Cert> = Vec::new();
    for c in chain {
        if c.der == root.der {
            break;
        }
        path.push(c);
    }
    if path.is_empty() {
        return Err("no certificate below the root".into());
    }
    if path.len() + 1 < chain.len() {
        return Err("certificates after the root".into());
    }
    for (i, c) in path.iter().enumerate() {
        let issuer = path.get(i + 1).copied().unwrap_or(root);
        let is_root = path.get(i + 1).is_none();
        if !c.issued_by_name(issuer) {
            return Err(if is_root {
                format!(
                    "{} is issued by {}, not by the trusted root {}",
                    c.subject(),
                    c.issuer(),
                    root.subject()
                )
            } else {
                format!(
                    "{} is issued by {}, not by {}",
                    c.subject(),
                    c.issuer(),
                    issuer.subject()
                )
            });
        }
        let key = issuer.public_key()?;
        c.signed_by_memo(&key, memo).map_err(|e| {
            if is_root {
                format!(
                    "{}: not signed by the trusted root's key ({e})",
                    c.subject()
                )
            } else {
                format!("{}: not signed by {} ({e})", c.subject(), issuer.subject())
            }
        })?;
        if i > 0 && !c.is_ca() {
            return Err(format!("{} is not a CA certificate", c.subject()));
        }
        let (nb, na) = c.validity();
        if !c.valid_at(now) {
            return Err(format!(
                "{} is valid from {} to {}, not at {}",
                c.subject(),
                rfc3339(nb),
                rfc3339(na),
                rfc3339(now)
            ));
        }
    }
    if !root.valid_at(now) {
        let (nb, na) = root.validity();
        return Err(format!(
            "the root {} is valid from {} to {}, not at {}",
            root.subject(),
            rfc3339(nb),
            rfc3339(na),
            rfc3339(now)
        ));
    }
    Ok(path)
}

fn window_check(what: &str, (issue, next): (u64, u64), now: u64) -> Result<(), String> {
    if now < issue {
        return Err(format!(
            "{what} issued {} is not valid yet at {}",
            rfc3339(issue),
            rfc3339(now)
        ));
    }
    if now > next {
        return Err(format!(
            "{what} expired: next update was due {}, now is {} (fetch fresh collateral)",
            rfc3339(next),
            rfc3339(now)
        ));
    }
    Ok(())
}

fn crl_check(
    memo: &SigMemo,
    crl: &super::pki::Crl,
    issuer: &Cert,
    now: u64,
    not_revoked: &[&Cert],
) -> Result<String, String> {
    crl.check_issuer_memo(issuer, memo)?;
    let (this, next) = crl.window();
    if now < this {
        return Err(format!(
            "CRL issued {} is not valid yet at {}",
            rfc3339(this),
            rfc3339(now)
        ));
    }
    match next {
        Some(n) if now > n => {
            return Err(format!(
                "CRL expired: next update was due {}, now is {} (fetch fresh collateral)",
                rfc3339(n),
                rfc3339(now)
            ));
        }
        None => return Err("CRL has no nextUpdate".into()),
        _ => {}
    }
    for c in not_revoked {
        if crl.revokes(c.serial()) {
            return Err(format!(
                "{} (serial {}) is REVOKED by this CRL",
                c.subject(),
                hex::encode(c.serial())
            ));
        }
    }
    Ok(format!(
        "signed by {}, current until {}, {} revoked serial(s), none of ours",
        issuer.subject(),
        rfc3339(next.unwrap_or_default()),
        crl.revoked_count()
    ))
}

/// A signed collateral document: its signer chain to the root, its signature, its window.
fn signed_document(
    memo: &SigMemo,
    what: &str,
    chain: &[Cert],
    body: &str,
    signature: &[u8],
    window: (u64, u64),
    policy: &Policy,
) -> Result<(String, Cert), String> {
    let path = chain_to_root(chain, &policy.root, policy.now, memo)
        .map_err(|e| format!("{what} signer chain: {e}"))?;
    let [signer] = path.as_slice() else {
        return Err(format!(
            "{what} signer chain: the signer must be issued directly by the root ({} certificates below it)",
            path.len()
        ));
    };
    let key = signer.public_key()?;
    memo.get_or(&key, body.as_bytes(), signature, || {
        verify_raw(&key, body.as_bytes(), signature)
    })
    .map_err(|e| format!("{what} signature by {}: {e}", signer.subject()))?;
    window_check(what, window, policy.now)?;
    Ok((
        format!(
            "signed by {}, issued {}, next update {}",
            signer.subject(),
            rfc3339(window.0),
            rfc3339(window.1)
        ),
        (*signer).clone(),
    ))
}

fn hex_eq(a: &str, b: &[u8]) -> bool {
    hex::decode(a).is_ok_and(|v| v == b)
}

/// The TCB level of the platform: the first level, in Intel QVL's order (SGX components, then
/// PCE SVN, highest first), that every component of the platform meets.
fn platform_level(collateral: &Collateral, ext: &PckExtension) -> Result<TcbLevel, String> {
    let mut levels = collateral.tcb_info.tcb_levels.clone();
    levels.sort_by(|a, b| {
        b.tcb
            .sgx_components
            .cmp(&a.tcb.sgx_components)
            .then(b.tcb.pce_svn.cmp(&a.tcb.pce_svn))
    });
    for level in levels {
        let short = level
            .shortfalls(&ext.cpu_svn, ext.pce_svn, None)
            .map_err(|e| format!("TCB level: {e}"))?;
        if short.is_empty() {
            return Ok(level);
        }
    }
    Err(format!(
        "no TCB level of the TCB info is met by the platform (CPUSVN {}, PCESVN {}): the platform is below every level Intel lists",
        hex::encode(ext.cpu_svn),
        ext.pce_svn
    ))
}

/// The QE identity check and the QE's TCB level.
fn qe_identity(
    quote: &Quote<'_>,
    collateral: &Collateral,
) -> Result<(String, dcap_qvl::QeTcbLevel), String> {
    let qe = &quote.signature_data.qe.qe_report;
    let id = &collateral.qe_identity;
    if quote.header.qe_vendor_id != INTEL_QE_VENDOR_ID {
        return Err(format!(
            "QE vendor ID {} is not Intel's {}",
            hex::encode(quote.header.qe_vendor_id),
            hex::encode(INTEL_QE_VENDOR_ID)
        ));
    }
    if id.id != "QE" || id.version != 2 {
        return Err(format!(
            "QE identity is {:?} version {}, an SGX quote needs \"QE\" version 2",
            id.id, id.version
        ));
    }
    if qe.mr_signer != id.mrsigner {
        return Err(format!(
            "QE MRSIGNER {} is not {}",
            hex::encode(qe.mr_signer),
            hex::encode(id.mrsigner)
        ));
    }
    if qe.isv_prod_id != id.isvprodid {
        return Err(format!(
            "QE ISVPRODID {} is not {}",
            qe.isv_prod_id, id.isvprodid
        ));
    }
    let mask = u32::from_le_bytes(id.miscselect_mask);
    if qe.misc_select & mask != u32::from_le_bytes(id.miscselect) & mask {
        return Err(format!(
            "QE MISCSELECT {:08x} does not match {} under mask {}",
            qe.misc_select,
            hex::encode(id.miscselect),
            hex::encode(id.miscselect_mask)
        ));
    }
    let mut attrs = [0u8; 16];
    attrs[..8].copy_from_slice(&qe.attributes.flags.to_le_bytes());
    attrs[8..].copy_from_slice(&qe.attributes.xfrm.to_le_bytes());
    if attrs
        .iter()
        .zip(id.attributes_mask.iter().zip(id.attributes.iter()))
        .any(|(a, (m, e))| a & m != e & m)
    {
        return Err(format!(
            "QE ATTRIBUTES {} do not match {} under mask {}",
            hex::encode(attrs),
            hex::encode(id.attributes),
            hex::encode(id.attributes_mask)
        ));
    }
    let level = id
        .tcb_levels
        .iter()
        .find(|l| qe.isv_svn >= l.tcb.isvsvn)
        .ok_or_else(|| {
            format!(
                "QE ISVSVN {} is below every QE identity TCB level (lowest {})",
                qe.isv_svn,
                id.tcb_levels.last().map_or(0, |l| l.tcb.isvsvn)
            )
        })?;
    Ok((
        format!(
            "Intel QE, MRSIGNER {}, ISVPRODID {}, ISVSVN {} (level {}: {})",
            hex::encode(qe.mr_signer),
            qe.isv_prod_id,
            qe.isv_svn,
            level.tcb.isvsvn,
            level.tcb_status
        ),
        level.clone(),
    ))
}

/// Verifies a quote with collateral under a policy, dcap-qvl cross-checking it. `Err` only for
/// input that cannot be verified at all (a malformed PCK chain, no PCK chain); every failed link
/// is a failed check. To verify many quotes with the same collateral, keep a [`Verifier`].
pub fn verify_quote(
    quote: &Quote<'_>,
    collateral: &Collateral,
    policy: &Policy,
) -> Result<QuoteVerification, DcapError> {
    verify_with(quote, collateral, policy, &SigMemo::default(), None)
}

/// When dcap-qvl verifies the quotes a [`Verifier`] is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CrossCheck {
    /// Every quote (what [`verify_quote`] and `sgx-measure verify` do).
    #[default]
    EveryQuote,
    /// The first quote of each platform (PCK certificate) that dcap-qvl accepts; later quotes of
    /// that platform reuse its verdict on the platform (chain, collateral, TCB status), and their
    /// own signatures (quote, QE report) are checked by this crate's checks alone.
    OncePerPlatform,
}

/// Verifies quotes against one collateral and policy. What quotes of a platform share is checked
/// once and kept: the signatures of the collateral (TCB info, QE identity, CRLs) and of the
/// certificates (signers, PCK CA, PCK certificate). Each quote's own signatures (the quote by
/// the attestation key, the QE report by the PCK key) and every other check are made for every
/// quote.
#[derive(Debug)]
pub struct Verifier {
    collateral: Collateral,
    policy: Policy,
    cross_check: CrossCheck,
    memo: SigMemo,
    platforms: Platforms,
}

impl Verifier {
    /// A verifier for quotes under `policy` with `collateral`, dcap-qvl cross-checking every quote.
    pub fn new(collateral: Collateral, policy: Policy) -> Verifier {
        Verifier {
            collateral,
            policy,
            cross_check: CrossCheck::EveryQuote,
            memo: SigMemo::default(),
            platforms: Default::default(),
        }
    }

    /// Chooses when dcap-qvl cross-checks.
    pub fn cross_check(mut self, when: CrossCheck) -> Verifier {
        self.cross_check = when;
        self
    }

    /// The collateral.
    pub fn collateral(&self) -> &Collateral {
        &self.collateral
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Verifies one quote (see [`verify_quote`]).
    pub fn verify(&self, quote: &Quote<'_>) -> Result<QuoteVerification, DcapError> {
        let platforms =
            (self.cross_check == CrossCheck::OncePerPlatform).then_some(&self.platforms);
        verify_with(quote, &self.collateral, &self.policy, &self.memo, platforms)
    }
}

type Platforms = std::sync::Mutex<std::collections::HashMap<[u8; 32], (String, Vec<String>)>>;

fn verify_with(
    quote: &Quote<'_>,
    collateral: &Collateral,
    policy: &Policy,
    memo: &SigMemo,
    platforms: Option<&Platforms>,
) -> Result<QuoteVerification, DcapError> {
    let (pck_certs, pck_source) = pck_certs(quote, collateral)?;
    // The platform, for a cross-check made once per platform: its PCK certificate.
    let platform_id: Option<[u8; 32]> = platforms
        .and(pck_certs.first())
        .map(|l| Sha256::digest(&l.der).into());
    let earlier = platform_id.and_then(|id| {
        platforms
            .and_then(|p| p.lock().ok())
            .and_then(|m| m.get(&id).cloned())
    });
    // dcap-qvl works on a second thread while the checks below are made (in place when no
    // thread can be had).
    Ok(std::thread::scope(|scope| {
        let qvl = match earlier {
            Some(_) => None,
            None => std::thread::Builder::new()
                .spawn_scoped(scope, || qvl_verdict(quote, collateral, policy))
                .ok(),
        };
        let qvl = move || match qvl {
            Some(h) => h
                .join()
                .unwrap_or_else(|_| Some(Err("dcap-qvl panicked".to_string()))),
            None => qvl_verdict(quote, collateral, policy),
        };
        checks_of(
            quote,
            collateral,
            policy,
            memo,
            platforms,
            &pck_certs,
            pck_source,
            platform_id,
            earlier,
            qvl,
        )
    }))
}

#[allow(clippy::too_many_arguments)]
fn checks_of(
    quote: &Quote<'_>,
    collateral: &Collateral,
    policy: &Policy,
    memo: &SigMemo,
    platforms: Option<&Platforms>,
    pck_certs: &[Cert],
    pck_source: &str,
    platform_id: Option<[u8; 32]>,
    earlier: Option<(String, Vec<String>)>,
    qvl: impl FnOnce() -> QvlVerdict,
) -> QuoteVerification {
    let now = policy.now;
    let sd = &quote.signature_data;
    let mut checks = Vec::with_capacity(12);

    // Quote signature: the attestation key over the header and report body.
    let att_key = raw_p256_key(&sd.attestation_key);
    checks.push(check(
        ids::QUOTE_SIGNATURE,
        att_key
            .as_ref()
            .map_err(|e| format!("attestation key: {e}"))
            .and_then(|k| verify_raw(k, quote.signed_data, &sd.signature))
            .map(|()| "valid ECDSA P-256 signature by the attestation key".into()),
        "header and report body signed by the attestation key",
        format!("{} signed bytes", quote.signed_data.len()),
    ));

    // Attestation key binding: the QE vouches for the attestation key in its REPORTDATA.
    let mut h = Sha256::new();
    h.update(sd.attestation_key);
    h.update(sd.qe.qe_auth_data);
    let want: [u8; 32] = h.finalize().into();
    let rd = &sd.qe.qe_report.report_data;
    checks.push(check(
        ids::ATTESTATION_KEY,
        if rd[..32] == want && rd[32..] == [0u8; 32] {
            Ok(format!("QE REPORTDATA {}", hex::encode(rd)))
        } else {
            Err(format!(
                "QE REPORTDATA {}: the attestation key is NOT the one the QE vouched for",
                hex::encode(rd)
            ))
        },
        format!(
            "QE REPORTDATA = SHA-256(attestation key || QE auth data) = {} || 32 zero bytes",
            hex::encode(want)
        ),
        format!(
            "{} bytes of QE authentication data",
            sd.qe.qe_auth_data.len()
        ),
    ));

    // QE report signed by the PCK key.
    let leaf = pck_certs.first();
    checks.push(match leaf.map(Cert::public_key) {
        Some(Ok(key)) => check(
            ids::QE_REPORT_SIGNATURE,
            verify_raw(&key, sd.qe.qe_report_raw, &sd.qe.qe_report_signature)
                .map(|()| "valid ECDSA P-256 signature by the PCK key".into()),
            "QE report signed by the PCK certificate's key",
            format!("PCK certificate from the {pck_source}"),
        ),
        Some(Err(e)) => check(
            ids::QE_REPORT_SIGNATURE,
            Err(e),
            "QE report signed by the PCK certificate's key",
            "",
        ),
        None => skipped(
            ids::QE_REPORT_SIGNATURE,
            "QE report signed by the PCK key",
            "no PCK certificate",
        ),
    });

    // PCK chain to the trusted root, and the SGX extension of the PCK certificate.
    let path = chain_to_root(pck_certs, &policy.root, now, memo);
    let pck_ext = leaf.and_then(|l| {
        dcap_qvl::intel::parse_pck_extension_with::<dcap_qvl::configs::RustCryptoConfig>(&l.der)
            .ok()
    });
    checks.push(check(
        ids::PCK_CHAIN,
        match (&path, &pck_ext) {
            (Err(e), _) => Err(e.clone()),
            (Ok(_), None) => Err(
                "the PCK certificate has no valid Intel SGX extension (FMSPC, TCB, PCE ID)".into(),
            ),
            (Ok(p), Some(ext)) => Ok(format!(
                "{} ← trusted root, FMSPC {}",
                p.iter()
                    .map(|c| c.subject())
                    .collect::<Vec<_>>()
                    .join(" ← "),
                hex::encode_upper(ext.fmspc)
            )),
        },
        format!("PCK certificate ← PCK CA ← {}", policy.root.subject()),
        format!("from the {pck_source}, valid at {}", rfc3339(now)),
    ));
    let pck_ca = pck_certs.get(1);

    // CRLs.
    let tcb_signer = collateral.tcb_info_issuer_chain.first();
    let mut root_listed: Vec<&Cert> = Vec::new();
    root_listed.extend(pck_ca);
    root_listed.extend(tcb_signer);
    root_listed.extend(collateral.qe_identity_issuer_chain.first());
    checks.push(check(
        ids::ROOT_CA_CRL,
        crl_check(
            memo,
            &collateral.root_ca_crl,
            &policy.root,
            now,
            &root_listed,
        ),
        "signed by the trusted root, current; PCK CA and collateral signers not revoked",
        "",
    ));
    checks.push(match (pck_ca, leaf) {
        (Some(ca), Some(leaf)) => check(
            ids::PCK_CRL,
            crl_check(memo, &collateral.pck_crl, ca, now, &[leaf]),
            "signed by the PCK CA, current; PCK certificate not revoked",
            "",
        ),
        _ => skipped(
            ids::PCK_CRL,
            "PCK certificate not revoked",
            "the PCK chain has no PCK CA",
        ),
    });

    // TCB info and QE identity collateral.
    let tcb = signed_document(
        memo,
        "TCB info",
        &collateral.tcb_info_issuer_chain,
        &collateral.raw.tcb_info,
        &collateral.raw.tcb_info_signature,
        collateral.tcb_info_window,
        policy,
    )
    .and_then(|(found, _)| {
        let t = &collateral.tcb_info;
        if t.id != "SGX" || !(2..=3).contains(&t.version) {
            return Err(format!(
                "TCB info is {:?} version {}, an SGX quote needs \"SGX\" version 2 or 3",
                t.id, t.version
            ));
        }
        match &pck_ext {
            Some(ext) if !hex_eq(&t.fmspc, &ext.fmspc) => Err(format!(
                "TCB info is for FMSPC {}, the platform's (PCK certificate) is {}",
                t.fmspc,
                hex::encode_upper(ext.fmspc)
            )),
            Some(ext) if !hex_eq(&t.pce_id, &ext.pce_id) => Err(format!(
                "TCB info is for PCE ID {}, the platform's is {}",
                t.pce_id,
                hex::encode_upper(&ext.pce_id)
            )),
            _ => Ok(format!("{found}, FMSPC {}", t.fmspc)),
        }
    });
    checks.push(check(
        ids::TCB_INFO,
        tcb,
        "signed by a TCB signing certificate of the trusted root, current, for the platform's FMSPC",
        format!(
            "TCB evaluation data number {}",
            collateral.tcb_info.tcb_evaluation_data_number
        ),
    ));
    checks.push(check(
        ids::QE_IDENTITY_COLLATERAL,
        signed_document(
            memo,
            "QE identity",
            &collateral.qe_identity_issuer_chain,
            &collateral.raw.qe_identity,
            &collateral.raw.qe_identity_signature,
            collateral.qe_identity_window,
            policy,
        )
        .map(|(f, _)| f),
        "signed by a TCB signing certificate of the trusted root, current",
        format!(
            "TCB evaluation data number {}",
            collateral.qe_identity.tcb_evaluation_data_number
        ),
    ));

    // The QE report against the QE identity.
    let qe = qe_identity(quote, collateral);
    checks.push(check(
        ids::QE_IDENTITY,
        qe.as_ref().map(|(f, _)| f.clone()).map_err(Clone::clone),
        "the QE report is Intel's Quoting Enclave at an ISVSVN the QE identity lists",
        "",
    ));

    // TCB status and advisories.
    let platform = pck_ext
        .as_ref()
        .ok_or_else(|| "no PCK SGX extension".to_string())
        .and_then(|ext| platform_level(collateral, ext));
    let (mut tcb_status, mut advisory_ids, mut platform_status, mut qe_status) =
        (None, Vec::new(), None, None);
    match (&platform, &qe) {
        (Ok(level), Ok((_, qe_level))) => {
            let p = TcbStatusWithAdvisory::new(level.tcb_status, level.advisory_ids.clone());
            let q = TcbStatusWithAdvisory::new(qe_level.tcb_status, qe_level.advisory_ids.clone());
            let merged = p.merge(&q);
            let status = merged.status;
            let allowed = status != TcbStatus::Revoked && policy.allowed_statuses.contains(&status);
            let found = format!(
                "{status} (platform: {} at TCB date {}; QE: {})",
                level.tcb_status, level.tcb_date, qe_level.tcb_status
            );
            checks.push(check(
                ids::TCB_STATUS,
                if allowed { Ok(found) } else { Err(found) },
                format!("one of: {}", Statuses(&policy.allowed_statuses)),
                status_meaning(status),
            ));
            let (found, expected) = advisories(&merged.advisory_ids, &policy.denied_advisories);
            checks.push(check(ids::ADVISORIES, found, expected, ""));
            tcb_status = Some(status.to_string());
            advisory_ids = merged.advisory_ids;
            platform_status = Some(level.tcb_status.to_string());
            qe_status = Some(qe_level.tcb_status.to_string());
        }
        (Err(e), _) => {
            checks.push(check(
                ids::TCB_STATUS,
                Err(e.clone()),
                format!("one of: {}", Statuses(&policy.allowed_statuses)),
                "",
            ));
            checks.push(skipped(
                ids::ADVISORIES,
                "no denied advisory",
                "no TCB level",
            ));
        }
        (Ok(_), Err(_)) => {
            checks.push(check(
                ids::TCB_STATUS,
                Err("the QE has no TCB level (see QE identity)".into()),
                format!("one of: {}", Statuses(&policy.allowed_statuses)),
                "",
            ));
            checks.push(skipped(
                ids::ADVISORIES,
                "no denied advisory",
                "no QE TCB level",
            ));
        }
    }

    let qvl = match earlier {
        Some((status, advisories)) => {
            let found = format!(
                "verified a quote of this platform (same PCK certificate) with this collateral: {status} [{}]",
                advisories.join(", ")
            );
            let agree =
                tcb_status.as_deref() == Some(status.as_str()) && advisory_ids == advisories;
            check(
                ids::DCAP_QVL,
                if agree { Ok(found) } else { Err(found) },
                "dcap-qvl verifies the platform's quotes independently, same TCB status and advisory IDs",
                "cross-checked once per platform; this quote's own signatures are the checks above",
            )
        }
        None => {
            let c = dcap_qvl_check(qvl(), tcb_status.as_deref(), &advisory_ids);
            if let (Some(id), Some(p), Status::Pass, Some(status)) =
                (platform_id, platforms, c.status, &tcb_status)
                && let Ok(mut m) = p.lock()
                && m.len() < 4096
            {
                m.insert(id, (status.clone(), advisory_ids.clone()));
            }
            c
        }
    };
    checks.push(qvl);

    QuoteVerification {
        checks,
        tcb_status,
        advisory_ids,
        platform_status,
        qe_status,
        fmspc: pck_ext.map(|e| hex::encode_upper(e.fmspc)),
        now: rfc3339(now),
    }
}

/// dcap-qvl's verdict on a quote and collateral: `None` for quotes it does not verify (SGX v4,
/// v5), else its TCB status and advisory IDs or its error.
type QvlVerdict = Option<Result<(String, Vec<String>), String>>;

fn qvl_verdict(quote: &Quote<'_>, collateral: &Collateral, policy: &Policy) -> QvlVerdict {
    if quote.header.version != 3 {
        return None;
    }
    // The DEBUG attribute is an identity check of its own; let dcap-qvl judge the chain only.
    let verifier =
        dcap_qvl::verify::QuoteVerifier::<dcap_qvl::configs::RustCryptoConfig>::new_with_config(
            policy.root.der.clone(),
        )
        .allow_debug(true);
    Some(
        verifier
            .verify(quote.raw, &collateral.raw, policy.now)
            .map(|r| (r.status, r.advisory_ids))
            .map_err(|e| format!("{e:#}")),
    )
}

/// The `dcap_qvl` check: dcap-qvl's verdict must agree with ours.
fn dcap_qvl_check(verdict: QvlVerdict, status: Option<&str>, advisories: &[String]) -> Check {
    let expected = "dcap-qvl verifies the quote independently, same TCB status and advisory IDs";
    match verdict {
        None => skipped(
            ids::DCAP_QVL,
            expected,
            "dcap-qvl 0.7 verifies SGX quotes of version 3 only; the checks above are complete without it",
        ),
        Some(Ok((qvl_status, qvl_advisories))) => {
            let found = format!("verified: {qvl_status} [{}]", qvl_advisories.join(", "));
            if status == Some(qvl_status.as_str()) && qvl_advisories == advisories {
                check(ids::DCAP_QVL, Ok(found), expected, "")
            } else {
                check(
                    ids::DCAP_QVL,
                    Err(format!(
                        "{found}, but sgx-measure found {} [{}]",
                        status.unwrap_or("no status"),
                        advisories.join(", ")
                    )),
                    expected,
                    "the two verifiers disagree: refused",
                )
            }
        }
        Some(Err(msg)) => check(
            ids::DCAP_QVL,
            Err(format!("refused: {msg}")),
            expected,
            format!("concerns: {}", qvl_error_concerns(&msg)),
        ),
    }
}

/// The check a dcap-qvl error message is about (it reports one error for the whole chain).
pub fn qvl_error_concerns(msg: &str) -> &'static str {
    let m = msg.to_ascii_lowercase();
    let rules: [(&[&str], &str); 12] = [
        (&["isv enclave report signature"], ids::QUOTE_SIGNATURE.1),
        (&["qe report hash", "qe auth data"], ids::ATTESTATION_KEY.1),
        (
            &["qe_report in quote", "decode qe report"],
            ids::QE_REPORT_SIGNATURE.1,
        ),
        (&["root ca crl"], ids::ROOT_CA_CRL.1),
        (&["pck crl"], ids::PCK_CRL.1),
        (
            &["tcbinfo", "tcb info", "tcb_info", "fmspc"],
            ids::TCB_INFO.1,
        ),
        (
            &["qe identity", "qe_identity", "qeidentity"],
            ids::QE_IDENTITY_COLLATERAL.1,
        ),
        (
            &[
                "qe mrsigner",
                "qe isvprodid",
                "qe miscselect",
                "qe attributes",
                "qe isvsvn",
                "qe vendor",
            ],
            ids::QE_IDENTITY.1,
        ),
        (&["pck", "certificate chain", "root ca"], ids::PCK_CHAIN.1),
        (&["tcb level", "revoked", "tcb status"], ids::TCB_STATUS.1),
        (&["debug"], "DEBUG"),
        (&["quote"], "quote structure"),
    ];
    // More specific QE identity policy messages first.
    if let Some((_, c)) = rules
        .iter()
        .skip(7)
        .take(1)
        .chain(rules.iter())
        .find(|(keys, _)| keys.iter().any(|k| m.contains(k)))
    {
        return c;
    }
    "the whole chain"
}

/// What a TCB status means for the decision (docs/verifier.md says more).
pub fn status_meaning(s: TcbStatus) -> &'static str {
    match s {
        TcbStatus::UpToDate => "the platform's TCB is current: no known vulnerability needs action",
        TcbStatus::SWHardeningNeeded => {
            "TCB current, but advisories require software mitigations in the enclave"
        }
        TcbStatus::ConfigurationNeeded => {
            "TCB current, but the platform's configuration (BIOS) must change to be secure"
        }
        TcbStatus::ConfigurationAndSWHardeningNeeded => {
            "TCB current, but both platform configuration and enclave software mitigations are needed"
        }
        TcbStatus::OutOfDate => {
            "the platform's TCB (microcode, SGX components) has known vulnerabilities: update it"
        }
        TcbStatus::OutOfDateConfigurationNeeded => {
            "the TCB is out of date and the configuration must change too"
        }
        TcbStatus::Revoked => "the platform's keys are revoked: never trust it",
        TcbStatus::TDRelaunchAdvised | TcbStatus::TDRelaunchAdvisedConfigurationNeeded => {
            "a TDX status; not expected for SGX"
        }
    }
}
