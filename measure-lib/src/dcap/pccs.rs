//! Fetching collateral for a quote from Intel's PCS or a PCCS (the v4 API), once, to store it
//! and verify offline later.
//!
//! ```text
//! GET {base}/sgx/certification/v4/pckcrl?ca=processor|platform&encoding=der
//!     body: PCK CRL; header SGX-PCK-CRL-Issuer-Chain (URL-encoded PEM)
//! GET {base}/sgx/certification/v4/tcb?fmspc=FMSPC&update=standard|early
//!     body: {"tcbInfo": {...}, "signature": "hex"}; header TCB-Info-Issuer-Chain
//!           (SGX-TCB-Info-Issuer-Chain on older servers)
//! GET {base}/sgx/certification/v4/qe/identity?update=standard|early
//!     body: {"enclaveIdentity": {...}, "signature": "hex"};
//!     header SGX-Enclave-Identity-Issuer-Chain
//! GET {base}/sgx/certification/v4/rootcacrl (PCCS: hex or DER), else the CRL distribution point
//!     of the root certificate (Intel PCS)
//! ```
//!
//! The signed documents are stored exactly as served (the raw text of `tcbInfo` and
//! `enclaveIdentity`, not a re-serialization), so their signatures verify byte for byte.

use std::time::Duration;

use dcap_qvl::QuoteCollateralV3;
use measure_core::evidence::Quote;
use measure_core::evidence::quote::CERT_TYPE_PCK_CERT_CHAIN;
use serde_json::value::RawValue;

use super::pki::{Cert, parse_pem_chain};

/// Intel's Provisioning Certification Service.
pub const INTEL_PCS_URL: &str = "https://api.trustedservices.intel.com";

/// Why fetching failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The quote cannot say what to fetch.
    #[error("quote: {0}")]
    Quote(String),
    /// The server could not be reached or answered an error.
    #[error("GET {url}: {reason}")]
    Http {
        /// The URL.
        url: String,
        /// What happened.
        reason: String,
    },
    /// The server answered something that is not collateral.
    #[error("{what} from {url}: {reason}")]
    Response {
        /// Which document.
        what: &'static str,
        /// The URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
}

/// Which TCB evaluation data set to fetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Update {
    /// What Intel enforces now.
    #[default]
    Standard,
    /// The newest set, published early.
    Early,
}

impl Update {
    fn as_str(self) -> &'static str {
        match self {
            Update::Standard => "standard",
            Update::Early => "early",
        }
    }
}

/// What a quote needs: its platform's FMSPC and its PCK CA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Platform {
    /// FMSPC, upper-case hex.
    pub fmspc: String,
    /// `processor` or `platform`.
    pub ca: &'static str,
}

/// Reads the FMSPC and the PCK CA from the quote's PCK chain (certification data type 5).
pub fn platform_of(quote: &Quote<'_>) -> Result<Platform, FetchError> {
    if quote.certification_data().cert_type != CERT_TYPE_PCK_CERT_CHAIN {
        return Err(FetchError::Quote(format!(
            "certification data type {} carries no PCK certificate chain (only type 5 is supported for fetching)",
            quote.certification_data().cert_type
        )));
    }
    let pem = std::str::from_utf8(quote.pck_cert_chain().unwrap_or_default())
        .map_err(|_| FetchError::Quote("the PCK certificate chain is not PEM text".into()))?;
    let chain = parse_pem_chain(pem).map_err(|e| FetchError::Quote(format!("PCK chain: {e}")))?;
    let leaf = chain
        .first()
        .ok_or_else(|| FetchError::Quote("empty PCK chain".into()))?;
    let ext =
        dcap_qvl::intel::parse_pck_extension_with::<dcap_qvl::configs::RustCryptoConfig>(&leaf.der)
            .map_err(|e| FetchError::Quote(format!("PCK certificate SGX extension: {e:#}")))?;
    let issuer = leaf.issuer().to_ascii_lowercase();
    let ca = if issuer.contains("platform") {
        "platform"
    } else if issuer.contains("processor") {
        "processor"
    } else {
        return Err(FetchError::Quote(format!(
            "PCK certificate issuer {:?} is neither a Processor nor a Platform CA",
            leaf.issuer()
        )));
    };
    Ok(Platform {
        fmspc: hex::encode_upper(ext.fmspc),
        ca,
    })
}

struct Response {
    body: Vec<u8>,
    headers: Vec<(String, String)>,
}

impl Response {
    fn header(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|n| {
            self.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.as_str())
        })
    }
}

fn get(agent: &ureq::Agent, url: &str) -> Result<Response, FetchError> {
    let err = |reason: String| FetchError::Http {
        url: url.to_string(),
        reason,
    };
    let mut resp = agent.get(url).call().map_err(|e| err(e.to_string()))?;
    let headers = resp
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let body = resp
        .body_mut()
        .with_config()
        .limit(16 << 20)
        .read_to_vec()
        .map_err(|e| err(format!("reading the body: {e}")))?;
    Ok(Response { body, headers })
}

/// Percent-decoding of a header value.
fn url_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let h = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or("bad percent-encoding")?;
                out.push(h);
                i += 3;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| "not UTF-8".to_string())
}

/// A CRL body as DER: DER as is, PEM or hex text decoded.
fn crl_der(body: &[u8]) -> Result<Vec<u8>, String> {
    if body.first() == Some(&0x30) {
        return Ok(body.to_vec());
    }
    let text = std::str::from_utf8(body).map_err(|_| "neither DER, PEM nor hex".to_string())?;
    let t = text.trim();
    if t.starts_with("-----BEGIN") {
        return der::pem::decode_vec(t.as_bytes())
            .map(|(_, d)| d)
            .map_err(|e| format!("bad PEM: {e}"));
    }
    hex::decode(t).map_err(|_| "neither DER, PEM nor hex".to_string())
}

fn issuer_chain(
    resp: &Response,
    names: &[&str],
    what: &'static str,
    url: &str,
) -> Result<String, FetchError> {
    let bad = |reason: String| FetchError::Response {
        what,
        url: url.to_string(),
        reason,
    };
    let raw = resp
        .header(names)
        .ok_or_else(|| bad(format!("no {} header", names.join(" or "))))?;
    let pem = url_decode(raw).map_err(|e| bad(format!("{}: {e}", names[0])))?;
    parse_pem_chain(&pem).map_err(|e| bad(format!("issuer chain: {e}")))?;
    Ok(pem)
}

/// `{"<key>": {...}, "signature": "hex"}`: the raw text of the document and the signature.
fn signed_json(
    body: &[u8],
    key: &str,
    what: &'static str,
    url: &str,
) -> Result<(String, Vec<u8>), FetchError> {
    let bad = |reason: String| FetchError::Response {
        what,
        url: url.to_string(),
        reason,
    };
    let text = std::str::from_utf8(body).map_err(|_| bad("not UTF-8".into()))?;
    let map: std::collections::HashMap<String, &RawValue> =
        serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let doc = map
        .get(key)
        .ok_or_else(|| bad(format!("no \"{key}\"")))?
        .get()
        .to_string();
    let sig: String = map
        .get("signature")
        .ok_or_else(|| bad("no \"signature\"".into()))
        .and_then(|r| {
            serde_json::from_str(r.get()).map_err(|_| bad("signature is not a string".into()))
        })?;
    let sig = hex::decode(&sig).map_err(|_| bad("signature is not hex".into()))?;
    Ok((doc, sig))
}

/// Fetches the collateral of `quote` from `base` (Intel PCS or a PCCS).
pub fn fetch(
    quote: &Quote<'_>,
    base: &str,
    update: Update,
) -> Result<QuoteCollateralV3, FetchError> {
    let platform = platform_of(quote)?;
    let base = base
        .trim_end_matches('/')
        .trim_end_matches("/sgx/certification/v4");
    let v4 = format!("{base}/sgx/certification/v4");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(60)))
        .http_status_as_error(true)
        .build()
        .into();

    let url = format!("{v4}/pckcrl?ca={}&encoding=der", platform.ca);
    let r = get(&agent, &url)?;
    let pck_crl_issuer_chain = issuer_chain(&r, &["SGX-PCK-CRL-Issuer-Chain"], "PCK CRL", &url)?;
    let pck_crl = crl_der(&r.body).map_err(|reason| FetchError::Response {
        what: "PCK CRL",
        url: url.clone(),
        reason,
    })?;

    let url = format!(
        "{v4}/tcb?fmspc={}&update={}",
        platform.fmspc,
        update.as_str()
    );
    let r = get(&agent, &url)?;
    let tcb_info_issuer_chain = issuer_chain(
        &r,
        &["TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain"],
        "TCB info",
        &url,
    )?;
    let (tcb_info, tcb_info_signature) = signed_json(&r.body, "tcbInfo", "TCB info", &url)?;

    let url = format!("{v4}/qe/identity?update={}", update.as_str());
    let r = get(&agent, &url)?;
    let qe_identity_issuer_chain = issuer_chain(
        &r,
        &["SGX-Enclave-Identity-Issuer-Chain"],
        "QE identity",
        &url,
    )?;
    let (qe_identity, qe_identity_signature) =
        signed_json(&r.body, "enclaveIdentity", "QE identity", &url)?;

    // The root CA CRL: a PCCS serves it; Intel's PCS does not, the root names where it is.
    let url = format!("{v4}/rootcacrl");
    let root_ca_crl = match get(&agent, &url).map(|r| crl_der(&r.body)) {
        Ok(Ok(der)) => der,
        first => {
            let root = parse_pem_chain(&qe_identity_issuer_chain)
                .ok()
                .and_then(|c| c.last().cloned());
            let dp = root.as_ref().and_then(crl_distribution_point);
            match dp {
                Some(dp) => {
                    let r = get(&agent, &dp)?;
                    crl_der(&r.body).map_err(|reason| FetchError::Response {
                        what: "root CA CRL",
                        url: dp.clone(),
                        reason,
                    })?
                }
                None => {
                    return Err(FetchError::Response {
                        what: "root CA CRL",
                        url,
                        reason: match first {
                            Err(e) => e.to_string(),
                            Ok(Err(e)) => e,
                            Ok(Ok(_)) => String::new(),
                        } + "; and the root certificate names no CRL distribution point",
                    });
                }
            }
        }
    };
    Ok(QuoteCollateralV3 {
        pck_crl_issuer_chain,
        root_ca_crl,
        pck_crl,
        tcb_info_issuer_chain,
        tcb_info,
        tcb_info_signature,
        qe_identity_issuer_chain,
        qe_identity,
        qe_identity_signature,
        pck_certificate_chain: None,
    })
}

/// The first URI of a certificate's CRL distribution points.
fn crl_distribution_point(cert: &Cert) -> Option<String> {
    use x509_cert::ext::pkix::CrlDistributionPoints;
    use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
    let (_, dps) = cert
        .cert
        .tbs_certificate()
        .get_extension::<CrlDistributionPoints>()
        .ok()??;
    dps.0.iter().find_map(|dp| match &dp.distribution_point {
        Some(DistributionPointName::FullName(names)) => names.iter().find_map(|n| match n {
            GeneralName::UniformResourceIdentifier(u) => Some(u.to_string()),
            _ => None,
        }),
        _ => None,
    })
}
