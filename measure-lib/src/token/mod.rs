//! Attestation tokens, verified offline: an Intel Trust Authority (ITA) or Azure Attestation
//! (MAA) token is evidence like a quote, once its signature is proved to come from the service.
//!
//! [`verify_token`] makes, each as its own named [`Check`]:
//!
//! - **token algorithm**: the header's `alg` is `PS384` or `RS256`, the two algorithms the
//!   services sign with. `none`, HMAC (`HS256`, ...: a verifier that accepted one would take an
//!   RSA public key as the HMAC secret) and every other algorithm are refused;
//! - **token key**: the header's `kid` is in the JWKS, an RSA signing key whose own `alg` (if
//!   stated) is the header's, carrying its certificate (`x5c`), whose public key is the JWK's;
//! - **signing certificate chain**: the `x5c` chain ends at the pinned `--trust-root` (ITA:
//!   token signing certificate, signing CA, root; MAA: one self-signed certificate, which is then
//!   the trust root itself), see [`chain::verify_chain`];
//! - **token signature**: verified with the certificate's key by `jsonwebtoken` (RustCrypto);
//! - **token expiry** and **token not before**: `exp`, `nbf` and `iat` at the time of
//!   verification, with [`LEEWAY_SECS`] of clock skew either way;
//! - **token issuer**: `iss` is the service's (or the one given);
//! - **attestation type**: an SGX enclave's token (ITA `attester_type`, MAA
//!   `x-ms-attestation-type` and `x-ms-ver`);
//! - **TCB status** and **advisory IDs** (ITA's `attester_tcb_status` and
//!   `attester_advisory_ids`; MAA tokens carry none: MAA applies its instance's TCB baseline);
//! - **nonce** when the relying party gave one (ITA `verifier_nonce.val`, MAA `nonce`).
//!
//! The enclave's identity ([`TokenClaims::identity`]) is then checked like any evidence's by
//! [`crate::identity::ExpectedIdentity::checks`]. Which service issued a token is told by its
//! claims (`sgx_*` or `x-ms-sgx-*`); a token with both or neither is refused.

pub mod chain;

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::check::{Check, Group, Status};
use crate::dcap::pki::{Cert, rfc3339};
use crate::dcap::{self, Statuses, TcbStatus};
use crate::identity::FoundIdentity;

/// The claims version (`x-ms-ver`) of the Azure Attestation tokens this reads.
const MAA_CLAIMS_VERSION: &str = "1.0"; // not a Gramine version

/// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY_SECS: u64 = 60;

/// The largest token or JWKS accepted (bytes).
pub const MAX_TOKEN_BYTES: usize = 1 << 20;

/// The algorithms accepted.
pub const ALLOWED_ALGORITHMS: [&str; 2] = ["PS384", "RS256"];

/// ITA's `iss`.
pub const ITA_ISSUER: &str = "Intel Trust Authority";

/// Why a token, JWKS or trust root cannot be used at all. A usable token that fails a check is
/// not an error but a failed [`Check`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token is not a compact JWS with JSON header and claims.
    #[error("token: {0}")]
    Format(String),
    /// A claim is missing or malformed.
    #[error("token claim {claim}: {reason}")]
    Claim {
        /// The claim.
        claim: String,
        /// What is wrong.
        reason: String,
    },
    /// The JWKS is malformed.
    #[error("JWKS: {0}")]
    Jwks(String),
    /// The trust root is unusable.
    #[error("trust root: {0}")]
    TrustRoot(String),
}

/// The attestation service that issued a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// Intel Trust Authority (claims `sgx_*`, `attester_*`).
    IntelTrustAuthority,
    /// Microsoft Azure Attestation (claims `x-ms-sgx-*`).
    AzureAttestation,
}

impl Service {
    /// Its name.
    pub const fn name(self) -> &'static str {
        match self {
            Service::IntelTrustAuthority => "Intel Trust Authority",
            Service::AzureAttestation => "Azure Attestation",
        }
    }
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A compact JWS, decoded but not verified.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// The JOSE header.
    pub header: Map<String, Value>,
    /// The claims.
    pub claims: Map<String, Value>,
    /// The signature bytes.
    pub signature: Vec<u8>,
    /// The token text (trimmed).
    pub text: String,
}

fn decode_part(part: &str, what: &str) -> Result<Vec<u8>, TokenError> {
    Base64UrlUnpadded::decode_vec(part)
        .map_err(|_| TokenError::Format(format!("the {what} is not unpadded base64url")))
}

fn json_object(bytes: &[u8], what: &str) -> Result<Map<String, Value>, TokenError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(TokenError::Format(format!(
            "the {what} is not a JSON object"
        ))),
        Err(e) => Err(TokenError::Format(format!("the {what} is not JSON ({e})"))),
    }
}

impl Token {
    /// Decodes a compact JWS (`header.claims.signature`, base64url without padding).
    pub fn parse(text: &str) -> Result<Token, TokenError> {
        let text = text.trim();
        if text.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Format(format!(
                "{} bytes, at most {MAX_TOKEN_BYTES}",
                text.len()
            )));
        }
        let parts: Vec<&str> = text.split('.').collect();
        let [h, c, s] = parts.as_slice() else {
            return Err(TokenError::Format(match parts.len() {
                5 => "5 parts: an encrypted token (JWE); give the signed token (JWS)".into(),
                n => format!("{n} part(s) separated by '.', a signed token (JWS) has 3"),
            }));
        };
        let header = json_object(&decode_part(h, "header")?, "header")?;
        let claims = json_object(&decode_part(c, "claims part")?, "claims part")?;
        let signature = decode_part(s, "signature")?;
        Ok(Token {
            header,
            claims,
            signature,
            text: text.to_string(),
        })
    }

    /// The header's `alg`.
    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    /// The header's `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    /// The claims, typed.
    pub fn typed_claims(&self) -> Result<TokenClaims, TokenError> {
        TokenClaims::from_claims(&self.claims)
    }
}

/// The claims a verifier decides on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenClaims {
    /// Who issued it (told by its claims).
    pub service: Service,
    /// The enclave's identity.
    #[serde(skip)]
    pub identity: FoundIdentity,
    /// ITA `attester_tcb_status`.
    pub tcb_status: Option<String>,
    /// ITA `attester_tcb_date`.
    pub tcb_date: Option<String>,
    /// ITA `attester_advisory_ids`.
    pub advisory_ids: Vec<String>,
    /// ITA `attester_type`, MAA `x-ms-attestation-type`.
    pub attestation_type: Option<String>,
    /// ITA `ver`, MAA `x-ms-ver`.
    pub version: Option<String>,
    /// ITA `verifier_nonce.val`, MAA `nonce`.
    pub nonce: Option<String>,
    /// `iss`.
    pub iss: Option<String>,
    /// `iat` (Unix seconds).
    pub iat: Option<u64>,
    /// `nbf`.
    pub nbf: Option<u64>,
    /// `exp`.
    pub exp: Option<u64>,
}

struct Claims<'a>(&'a Map<String, Value>);

impl Claims<'_> {
    fn err(claim: &str, reason: impl Into<String>) -> TokenError {
        TokenError::Claim {
            claim: claim.to_string(),
            reason: reason.into(),
        }
    }

    fn get(&self, claim: &str) -> Option<&Value> {
        self.0.get(claim).filter(|v| !v.is_null())
    }

    fn string(&self, claim: &str) -> Result<Option<String>, TokenError> {
        match self.get(claim) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(Self::err(claim, format!("{v} is not a string"))),
        }
    }

    fn hex<const N: usize>(&self, claim: &str) -> Result<Option<[u8; N]>, TokenError> {
        let Some(s) = self.string(claim)? else {
            return Ok(None);
        };
        let v = hex::decode(&s).map_err(|e| Self::err(claim, format!("not hex ({e})")))?;
        let n = v.len();
        v.try_into()
            .map(Some)
            .map_err(|_| Self::err(claim, format!("{n} bytes, expected {N}")))
    }

    fn required_hex<const N: usize>(&self, claim: &str) -> Result<[u8; N], TokenError> {
        self.hex(claim)?
            .ok_or_else(|| Self::err(claim, "missing: an SGX token always carries it"))
    }

    fn u16(&self, claim: &str) -> Result<Option<u16>, TokenError> {
        match self.get(claim) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| Self::err(claim, format!("{v} is not an integer from 0 to 65535"))),
        }
    }

    fn required_u16(&self, claim: &str) -> Result<u16, TokenError> {
        self.u16(claim)?
            .ok_or_else(|| Self::err(claim, "missing: an SGX token always carries it"))
    }

    fn bool(&self, claim: &str) -> Result<bool, TokenError> {
        match self.get(claim) {
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(Self::err(claim, format!("{v} is not true or false"))),
            None => Err(Self::err(
                claim,
                "missing: without it a debug enclave could not be told from a production one",
            )),
        }
    }

    fn time(&self, claim: &str) -> Result<Option<u64>, TokenError> {
        match self.get(claim) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .or_else(|| {
                    v.as_f64()
                        .filter(|f| f.is_finite() && *f >= 0.0 && *f < 1e15)
                        .map(|f| f as u64)
                })
                .map(Some)
                .ok_or_else(|| Self::err(claim, format!("{v} is not a NumericDate"))),
        }
    }

    fn strings(&self, claim: &str) -> Result<Vec<String>, TokenError> {
        match self.get(claim) {
            None => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| Self::err(claim, format!("{v} is not a string")))
                })
                .collect(),
            Some(v) => Err(Self::err(claim, format!("{v} is not an array"))),
        }
    }
}

impl TokenClaims {
    /// Reads the claims of an ITA or MAA SGX token.
    pub fn from_claims(map: &Map<String, Value>) -> Result<TokenClaims, TokenError> {
        let c = Claims(map);
        let ita = map.keys().any(|k| k.starts_with("sgx_"));
        let maa = map.keys().any(|k| k.starts_with("x-ms-sgx-"));
        let service = match (ita, maa) {
            (true, false) => Service::IntelTrustAuthority,
            (false, true) => Service::AzureAttestation,
            (true, true) => {
                return Err(TokenError::Format(
                    "both Intel Trust Authority (sgx_*) and Azure Attestation (x-ms-sgx-*) claims: refused, the issuer cannot be told".into(),
                ));
            }
            (false, false) => {
                let hint = if map.contains_key("tdx") || map.keys().any(|k| k.starts_with("tdx_")) {
                    " (a TDX token?)"
                } else if map.keys().any(|k| k.starts_with("amber_sgx_")) {
                    " (a Project Amber token: its amber_sgx_* claims predate Intel Trust Authority's sgx_*)"
                } else if map.contains_key("sgx") {
                    " (an ITA v2 token nests claims per TEE: give a v1 SGX token)"
                } else {
                    ""
                };
                return Err(TokenError::Format(format!(
                    "no SGX claims (sgx_* of Intel Trust Authority, x-ms-sgx-* of Azure Attestation){hint}"
                )));
            }
        };
        let (iss, iat, nbf, exp) = (
            c.string("iss")?,
            c.time("iat")?,
            c.time("nbf")?,
            c.time("exp")?,
        );
        Ok(match service {
            Service::IntelTrustAuthority => TokenClaims {
                service,
                identity: FoundIdentity {
                    mrenclave: c.required_hex("sgx_mrenclave")?,
                    mrsigner: Some(c.required_hex("sgx_mrsigner")?),
                    isvprodid: Some(c.required_u16("sgx_isvprodid")?),
                    isvsvn: Some(c.required_u16("sgx_isvsvn")?),
                    debug: Some(c.bool("sgx_is_debuggable")?),
                    configid: c.hex("sgx_config_id")?,
                    config_svn: None,
                    isv_ext_prod_id: None,
                    isv_family_id: None,
                    report_data: c.hex("sgx_report_data")?,
                },
                tcb_status: c.string("attester_tcb_status")?,
                tcb_date: c.string("attester_tcb_date")?,
                advisory_ids: c.strings("attester_advisory_ids")?,
                attestation_type: c.string("attester_type")?,
                version: c.string("ver")?,
                nonce: match c.get("verifier_nonce") {
                    None => None,
                    Some(Value::Object(n)) => Claims(n)
                        .string("val")
                        .map_err(|_| Claims::err("verifier_nonce", "its val is not a string"))?,
                    Some(v) => {
                        return Err(Claims::err(
                            "verifier_nonce",
                            format!("{v} is not an object"),
                        ));
                    }
                },
                iss,
                iat,
                nbf,
                exp,
            },
            Service::AzureAttestation => TokenClaims {
                service,
                identity: FoundIdentity {
                    mrenclave: c.required_hex("x-ms-sgx-mrenclave")?,
                    mrsigner: Some(c.required_hex("x-ms-sgx-mrsigner")?),
                    isvprodid: Some(c.required_u16("x-ms-sgx-product-id")?),
                    isvsvn: Some(c.required_u16("x-ms-sgx-svn")?),
                    debug: Some(c.bool("x-ms-sgx-is-debuggable")?),
                    configid: c.hex("x-ms-sgx-config-id")?,
                    config_svn: c.u16("x-ms-sgx-config-svn")?,
                    isv_ext_prod_id: c.hex("x-ms-sgx-isv-extended-product-id")?,
                    isv_family_id: c.hex("x-ms-sgx-isv-family-id")?,
                    report_data: c.hex("x-ms-sgx-report-data")?,
                },
                tcb_status: None,
                tcb_date: None,
                advisory_ids: Vec::new(),
                attestation_type: c.string("x-ms-attestation-type")?,
                version: c.string("x-ms-ver")?,
                nonce: c.string("nonce")?,
                iss,
                iat,
                nbf,
                exp,
            },
        })
    }
}

/// One RSA key of a JWKS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jwk {
    /// `kid`.
    pub kid: Option<String>,
    /// `kty`.
    pub kty: String,
    /// `alg`, if stated.
    pub alg: Option<String>,
    /// `use`, if stated.
    pub use_: Option<String>,
    /// Modulus (`n`), big-endian, if given.
    pub n: Option<Vec<u8>>,
    /// Public exponent (`e`), if given.
    pub e: Option<Vec<u8>>,
    /// The `x5c` certificates (DER), leaf first.
    pub x5c: Vec<Vec<u8>>,
}

/// A JSON Web Key Set (`{"keys": [...]}`), as the services publish it at `/certs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jwks {
    /// The keys.
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// Parses a JWKS (a single JWK is refused: save the whole `/certs` document).
    pub fn parse(bytes: &[u8]) -> Result<Jwks, TokenError> {
        if bytes.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Jwks(format!(
                "{} bytes, at most {MAX_TOKEN_BYTES}",
                bytes.len()
            )));
        }
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| TokenError::Jwks(format!("not JSON ({e})")))?;
        let keys = v
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| TokenError::Jwks("no \"keys\" array".into()))?;
        let keys = keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let err = |r: String| TokenError::Jwks(format!("key {}: {r}", i + 1));
                let obj = k.as_object().ok_or_else(|| err("not an object".into()))?;
                let s = |name: &str| -> Result<Option<String>, TokenError> {
                    match obj.get(name) {
                        None | Some(Value::Null) => Ok(None),
                        Some(Value::String(s)) => Ok(Some(s.clone())),
                        Some(_) => Err(err(format!("{name} is not a string"))),
                    }
                };
                let b64url = |name: &str| -> Result<Option<Vec<u8>>, TokenError> {
                    s(name)?
                        .map(|t| {
                            Base64UrlUnpadded::decode_vec(t.trim_end_matches('='))
                                .map_err(|_| err(format!("{name} is not base64url")))
                        })
                        .transpose()
                };
                let x5c = match obj.get("x5c") {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(a)) => a
                        .iter()
                        .enumerate()
                        .map(|(j, c)| {
                            c.as_str()
                                .and_then(|t| Base64::decode_vec(t).ok())
                                .ok_or_else(|| {
                                    err(format!("x5c certificate {} is not base64 text", j + 1))
                                })
                        })
                        .collect::<Result<_, _>>()?,
                    Some(_) => return Err(err("x5c is not an array".into())),
                };
                Ok(Jwk {
                    kid: s("kid")?,
                    kty: s("kty")?.ok_or_else(|| err("no kty".into()))?,
                    alg: s("alg")?,
                    use_: s("use")?,
                    n: b64url("n")?,
                    e: b64url("e")?,
                    x5c,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Jwks { keys })
    }

    /// The key with this `kid`.
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid.as_deref() == Some(kid))
    }
}

/// What the relying party accepts of a token.
#[derive(Clone, Debug)]
pub struct TokenPolicy {
    /// The pinned trust root: ITA's root CA, or MAA's self-signed signing certificate.
    pub trust_root: Cert,
    /// Time of verification, Unix seconds.
    pub now: u64,
    /// Clock skew tolerated (default [`LEEWAY_SECS`]).
    pub leeway: u64,
    /// The expected `iss` (default: `Intel Trust Authority` for ITA; for MAA an
    /// `https://<instance>.attest.azure.net` URL).
    pub issuer: Option<String>,
    /// Accepted TCB statuses (ITA).
    pub allowed_statuses: Vec<TcbStatus>,
    /// Advisory IDs that fail the verification whatever the status (ITA).
    pub denied_advisories: Vec<String>,
    /// The nonce the token must carry.
    pub nonce: Option<String>,
}

impl TokenPolicy {
    /// `root` (one certificate, PEM or DER) pinned, at `now`, `UpToDate` only.
    pub fn new(root: &[u8], now: u64) -> Result<TokenPolicy, TokenError> {
        let trust_root = Cert::from_pem_or_der(root).map_err(TokenError::TrustRoot)?;
        Ok(TokenPolicy {
            trust_root,
            now,
            leeway: LEEWAY_SECS,
            issuer: None,
            allowed_statuses: vec![TcbStatus::UpToDate],
            denied_advisories: Vec::new(),
            nonce: None,
        })
    }
}

/// The outcome of [`verify_token`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenVerification {
    /// The claims.
    pub claims: TokenClaims,
    /// The checks of the token (group evidence; the nonce: binding).
    pub checks: Vec<Check>,
    /// The header's `alg` and `kid`.
    pub alg: String,
    /// `kid`.
    pub kid: String,
    /// The certificate chain's subjects, leaf to root, when it verified.
    pub chain: Vec<String>,
}

impl TokenVerification {
    /// `Intel Trust Authority token NAME (PS384 signed, kid ...)`: the evidence line of a report.
    pub fn describe(&self, token: &str) -> String {
        format!(
            "{} token {token} ({} signed, kid {})",
            self.claims.service,
            self.alg,
            if self.kid.is_empty() {
                "(none)"
            } else {
                &self.kid
            }
        )
    }

    /// The `token` object of a JSON report: the token (named `token`), its claims' times, the
    /// keys it was checked with (the JWKS `jwks`, whose bytes are `jwks_bytes`) and `policy`.
    pub fn report_json(
        &self,
        token: &str,
        jwks: &str,
        jwks_bytes: &[u8],
        policy: &TokenPolicy,
    ) -> Value {
        use sha2::Digest as _;
        let c = &self.claims;
        serde_json::json!({
            "path": token,
            "service": c.service,
            "alg": self.alg,
            "kid": self.kid,
            "iss": c.iss,
            "iat": c.iat,
            "nbf": c.nbf,
            "exp": c.exp,
            "jwks": jwks,
            "jwks_sha256": hex::encode(sha2::Sha256::digest(jwks_bytes)),
            "trust_root": policy.trust_root.subject(),
            "trust_root_sha256": hex::encode(sha2::Sha256::digest(&policy.trust_root.der)),
            "chain": self.chain,
            "now": rfc3339(policy.now),
        })
    }

    /// The `tcb` object of a JSON report: only an Intel Trust Authority token states the TCB.
    pub fn tcb_json(&self) -> Option<Value> {
        let c = &self.claims;
        (c.service == Service::IntelTrustAuthority).then(|| {
            serde_json::json!({
                "status": c.tcb_status,
                "advisory_ids": c.advisory_ids,
                "tcb_date": c.tcb_date,
            })
        })
    }

    /// Whether the token carries a nonce that `policy` did not check (a replayed token would
    /// pass as well: reports say so).
    pub fn nonce_unchecked(&self, policy: &TokenPolicy) -> bool {
        policy.nonce.is_none() && self.claims.nonce.is_some()
    }
}

fn pass_fail(ok: bool) -> Status {
    if ok { Status::Pass } else { Status::Fail }
}

/// Checks the token's key against the JWKS and its certificate chain against the trust root;
/// returns the checks and, when both pass, the leaf certificate's RSA key.
fn key_and_chain(
    token: &Token,
    jwks: &Jwks,
    policy: &TokenPolicy,
    alg: &str,
) -> (Vec<Check>, Option<rsa::PublicKey>, Vec<String>) {
    use rsa::traits::PublicKeyParts;
    let ev = Group::Evidence;
    let chain_name = ("token_chain", "signing certificate chain");
    let chain_expected = format!(
        "x5c ending at the trust root {}",
        policy.trust_root.subject()
    );
    let key_expected = "the kid's RSA key in the JWKS, with its x5c certificate";
    let key_fail = |found: String| {
        (
            vec![
                Check::new(
                    "token_key",
                    "token key",
                    ev,
                    Status::Fail,
                    key_expected,
                    found,
                    "",
                ),
                Check::skipped(
                    chain_name.0,
                    chain_name.1,
                    ev,
                    chain_expected.clone(),
                    "no usable key",
                ),
            ],
            None,
            Vec::new(),
        )
    };
    let Some(kid) = token.kid() else {
        return key_fail("no kid in the token header".into());
    };
    let Some(jwk) = jwks.find(kid) else {
        return key_fail(format!(
            "kid {kid} is not in the JWKS ({} key(s): {})",
            jwks.keys.len(),
            jwks.keys
                .iter()
                .map(|k| k.kid.clone().unwrap_or_else(|| "(no kid)".into()))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
    if jwk.kty != "RSA" {
        return key_fail(format!("kid {kid}: a {} key, not RSA", jwk.kty));
    }
    if let Some(u) = jwk.use_.as_deref().filter(|u| *u != "sig") {
        return key_fail(format!("kid {kid}: use {u:?}, not a signing key"));
    }
    if let Some(a) = jwk.alg.as_deref().filter(|a| *a != alg) {
        return key_fail(format!(
            "kid {kid} is a {a} key; the token says {alg} (an algorithm not allowed for the key)"
        ));
    }
    if jwk.x5c.is_empty() {
        return key_fail(format!(
            "kid {kid} has no x5c certificate: its key cannot be tied to the trust root"
        ));
    }
    let certs: Result<Vec<Cert>, String> = jwk
        .x5c
        .iter()
        .enumerate()
        .map(|(i, der)| Cert::from_der(der).map_err(|e| format!("x5c certificate {}: {e}", i + 1)))
        .collect();
    let certs = match certs {
        Ok(c) => c,
        Err(e) => return key_fail(format!("kid {kid}: {e}")),
    };
    let Some(leaf) = certs.first() else {
        return key_fail(format!("kid {kid}: no certificate"));
    };
    let key = match chain::rsa_key(leaf) {
        Ok(k) => k,
        Err(e) => return key_fail(format!("kid {kid}: {e}")),
    };
    if let (Some(n), Some(e)) = (&jwk.n, &jwk.e) {
        let strip = |b: &[u8]| {
            b.iter()
                .skip_while(|&&x| x == 0)
                .copied()
                .collect::<Vec<u8>>()
        };
        if strip(n) != strip(&key.n_bytes()) || strip(e) != strip(&key.e_bytes()) {
            return key_fail(format!(
                "kid {kid}: the JWK's n and e are not the key of its certificate {}",
                leaf.subject()
            ));
        }
    } else if jwk.n.is_some() || jwk.e.is_some() {
        return key_fail(format!("kid {kid}: n without e or e without n"));
    }
    let bits = key.n_bytes().len() * 8;
    let key_check = Check::new(
        "token_key",
        "token key",
        ev,
        Status::Pass,
        key_expected,
        format!("kid {kid}: RSA-{bits}, certificate {}", leaf.subject()),
        format!("{} certificate(s) in x5c", certs.len()),
    );
    match chain::verify_chain(&certs, &policy.trust_root, policy.now) {
        Ok(path) => (
            vec![
                key_check,
                Check::new(
                    chain_name.0,
                    chain_name.1,
                    ev,
                    Status::Pass,
                    chain_expected,
                    path.join(" <- "),
                    format!("valid at {}", rfc3339(policy.now)),
                ),
            ],
            Some(key),
            path,
        ),
        Err(e) => (
            vec![
                key_check,
                Check::new(
                    chain_name.0,
                    chain_name.1,
                    ev,
                    Status::Fail,
                    chain_expected,
                    e,
                    "",
                ),
            ],
            None,
            Vec::new(),
        ),
    }
}

/// The signature, verified by `jsonwebtoken` with the certificate's key.
fn signature_check(token: &Token, alg: &str, key: Option<&rsa::PublicKey>) -> Check {
    use rsa::traits::PublicKeyParts;
    let (id, name, ev) = ("token_signature", "token signature", Group::Evidence);
    let expected = format!("{alg} signature by the certificate's key");
    let algorithm = match alg {
        "PS384" => jsonwebtoken::Algorithm::PS384,
        "RS256" => jsonwebtoken::Algorithm::RS256,
        _ => {
            return Check::skipped(
                id,
                name,
                ev,
                "a PS384 or RS256 signature",
                "algorithm refused",
            );
        }
    };
    let Some(key) = key else {
        return Check::skipped(id, name, ev, expected, "no trusted key (see above)");
    };
    let n = Base64UrlUnpadded::encode_string(&key.n_bytes());
    let e = Base64UrlUnpadded::encode_string(&key.e_bytes());
    let decoding = match jsonwebtoken::DecodingKey::from_rsa_components(&n, &e) {
        Ok(k) => k,
        Err(err) => {
            return Check::new(id, name, ev, Status::Fail, expected, err.to_string(), "");
        }
    };
    let mut validation = jsonwebtoken::Validation::new(algorithm);
    // Times, issuer and audience are checks of their own, at the given time of verification.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    match jsonwebtoken::decode::<Value>(&token.text, &decoding, &validation) {
        Ok(_) => Check::new(
            id,
            name,
            ev,
            Status::Pass,
            expected.clone(),
            format!("valid {alg} signature ({} bytes)", token.signature.len()),
            "",
        ),
        Err(err) => Check::new(
            id,
            name,
            ev,
            Status::Fail,
            expected,
            match err.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                    "signature does not verify: the token was changed or signed by another key"
                        .to_string()
                }
                _ => format!("not verified: {err}"),
            },
            "",
        ),
    }
}

/// Verifies `token` with the keys of `jwks` under `policy`. The identity is left to
/// [`crate::identity::ExpectedIdentity::checks`] on [`TokenClaims::identity`].
pub fn verify_token(
    token: &Token,
    jwks: &Jwks,
    policy: &TokenPolicy,
) -> Result<TokenVerification, TokenError> {
    let claims = token.typed_claims()?;
    let ev = Group::Evidence;
    let mut checks = Vec::new();
    let alg = token.alg().unwrap_or("(none given)").to_string();
    let allowed = ALLOWED_ALGORITHMS.contains(&alg.as_str());
    checks.push(Check::new(
        "token_algorithm",
        "token algorithm",
        ev,
        pass_fail(allowed),
        "PS384 or RS256",
        alg.clone(),
        if allowed {
            String::new()
        } else if alg == "none" {
            "an unsigned token proves nothing".into()
        } else if alg.starts_with("HS") {
            "HMAC is refused: a verifier that accepted it would check the MAC with the service's public key as the secret, which anyone has".into()
        } else {
            "not an algorithm attestation services sign with".into()
        },
    ));
    let (key_checks, key, chain) = key_and_chain(token, jwks, policy, &alg);
    checks.extend(key_checks);
    checks.push(signature_check(
        token,
        if allowed { &alg } else { "" },
        key.as_ref(),
    ));

    let now = policy.now;
    let leeway = policy.leeway;
    checks.push(match claims.exp {
        Some(exp) => Check::new(
            "token_expiry",
            "token expiry",
            ev,
            pass_fail(now <= exp.saturating_add(leeway)),
            format!("exp after {} (leeway {leeway} s)", rfc3339(now)),
            format!("exp {}", rfc3339(exp)),
            if now > exp.saturating_add(leeway) {
                "the token has expired: get a new one from the service"
            } else {
                ""
            },
        ),
        None => Check::new(
            "token_expiry",
            "token expiry",
            ev,
            Status::Fail,
            "an exp claim",
            "no exp: a token that never expires is refused",
            "",
        ),
    });
    let early = |t: Option<u64>| t.is_some_and(|t| t > now.saturating_add(leeway));
    let shown = |name: &str, t: Option<u64>| t.map(|t| format!("{name} {}", rfc3339(t)));
    let found: Vec<String> = [shown("nbf", claims.nbf), shown("iat", claims.iat)]
        .into_iter()
        .flatten()
        .collect();
    checks.push(Check::new(
        "token_not_before",
        "token not before",
        ev,
        pass_fail(!early(claims.nbf) && !early(claims.iat)),
        format!("nbf and iat not after {} (leeway {leeway} s)", rfc3339(now)),
        if found.is_empty() {
            "no nbf or iat".to_string()
        } else {
            found.join(", ")
        },
        if early(claims.nbf) || early(claims.iat) {
            "the token is not valid yet: check the clocks (or --now)"
        } else {
            ""
        },
    ));
    let iss = claims.iss.clone().unwrap_or_else(|| "(no iss)".into());
    checks.push(match (&policy.issuer, claims.service) {
        (Some(want), _) => Check::compare("token_issuer", "token issuer", ev, want, iss, ""),
        (None, Service::IntelTrustAuthority) => {
            Check::compare("token_issuer", "token issuer", ev, ITA_ISSUER, iss, "")
        }
        (None, Service::AzureAttestation) => {
            let ok = iss
                .strip_prefix("https://")
                .map(|h| h.trim_end_matches('/'))
                .is_some_and(|h| {
                    h.ends_with(".attest.azure.net") && !h.contains('/') && !h.contains('@')
                });
            Check::new(
                "token_issuer",
                "token issuer",
                ev,
                pass_fail(ok),
                "https://<instance>.attest.azure.net (give --issuer to pin your instance)",
                iss,
                "",
            )
        }
    });
    checks.push(match claims.service {
        Service::IntelTrustAuthority => Check::compare(
            "attestation_type",
            "attestation type",
            ev,
            "SGX",
            claims
                .attestation_type
                .clone()
                .unwrap_or_else(|| "(no attester_type)".into()),
            "attester_type",
        ),
        Service::AzureAttestation => {
            let t = claims.attestation_type.as_deref().unwrap_or("(none)");
            let v = claims.version.as_deref().unwrap_or("(none)");
            Check::new(
                "attestation_type",
                "attestation type",
                ev,
                pass_fail(t == "sgx" && v == MAA_CLAIMS_VERSION),
                format!("sgx, claims version {MAA_CLAIMS_VERSION}"),
                format!("{t}, claims version {v}"),
                "x-ms-attestation-type, x-ms-ver",
            )
        }
    });
    let statuses = format!("one of: {}", Statuses(&policy.allowed_statuses));
    match (claims.service, &claims.tcb_status) {
        (Service::AzureAttestation, _) => {
            checks.push(Check::skipped(
                dcap::verify::ids::TCB_STATUS.0,
                dcap::verify::ids::TCB_STATUS.1,
                ev,
                statuses,
                "Azure Attestation tokens carry no TCB status: the instance enforces its TCB baseline (x-ms-sgx-tcbidentifier) before it issues a token",
            ));
        }
        (Service::IntelTrustAuthority, None) => {
            checks.push(Check::new(
                dcap::verify::ids::TCB_STATUS.0,
                dcap::verify::ids::TCB_STATUS.1,
                ev,
                Status::Fail,
                statuses,
                "no attester_tcb_status",
                "",
            ));
        }
        (Service::IntelTrustAuthority, Some(s)) => {
            let parsed = dcap::parse_tcb_status(s).ok();
            let ok = parsed
                .is_some_and(|p| p != TcbStatus::Revoked && policy.allowed_statuses.contains(&p));
            let date = claims
                .tcb_date
                .as_deref()
                .map(|d| format!(" (TCB date {d})"))
                .unwrap_or_default();
            checks.push(Check::new(
                dcap::verify::ids::TCB_STATUS.0,
                dcap::verify::ids::TCB_STATUS.1,
                ev,
                pass_fail(ok),
                statuses,
                format!("{s}{date}"),
                parsed.map_or("not a TCB status", dcap::verify::status_meaning),
            ));
            let (found, expected) =
                dcap::verify::advisories(&claims.advisory_ids, &policy.denied_advisories);
            checks.push(Check::new(
                dcap::verify::ids::ADVISORIES.0,
                dcap::verify::ids::ADVISORIES.1,
                ev,
                pass_fail(found.is_ok()),
                expected,
                found.unwrap_or_else(|denied| denied),
                "",
            ));
        }
    }
    if let Some(want) = &policy.nonce {
        checks.push(Check::compare(
            "nonce",
            "nonce",
            Group::Binding,
            want.clone(),
            claims
                .nonce
                .clone()
                .unwrap_or_else(|| "(no nonce in the token)".into()),
            match claims.service {
                Service::IntelTrustAuthority => "verifier_nonce.val",
                Service::AzureAttestation => "nonce",
            },
        ));
    }
    Ok(TokenVerification {
        claims,
        checks,
        kid: token.kid().unwrap_or_default().to_string(),
        alg,
        chain,
    })
}
