//! Attestation-service tokens, signed by private PKIs shaped like the real services':
//!
//! - Intel Trust Authority: an RSA-3072 root CA, a "Signing CA" it issues, and a token signing
//!   certificate the signing CA issues (sha512WithRSAEncryption, as ITA's published chain); the
//!   JWKS key carries `x5c` = [leaf, signing CA, root]; tokens are PS384 (ITA's default) or
//!   RS256;
//! - Azure Attestation: an RSA-2048 key in a self-signed certificate (sha256WithRSAEncryption),
//!   RS256 tokens;
//! - an unrelated root that issues its own signing CA for the same ITA key (a chain to another
//!   root).
//!
//! The RSA keys are fixed (`keys/*.pem`, generated once for these tests: generating RSA keys at
//! test time takes seconds); certificates, JWKS and tokens are built here. PSS salts come from a
//! counter-based generator, so every call gives the same bytes.

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use hmac::{KeyInit, Mac};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use rsa::{PrivateKey, PublicKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::{NOW, bits, explicit, extension, int, key_usage, name, oid, seq, time, tlv};

/// `kid` of the ITA-style token signing key.
pub const ITA_KID: &str = "3fd751f2e0d0f52846c0ecd4972c6e99dfc642051cd339dd9b04381af8c0ddb8";
/// `kid` of the MAA-style signing key.
pub const MAA_KID: &str = "dRKh+hBcWUfQimSl3Iv6ZhStW3TSOt0ThwiTgUUqZAo=";
/// `iss` of ITA tokens.
pub const ITA_ISSUER: &str = "Intel Trust Authority";
/// `iss` of the MAA-style tokens (an instance URL, as MAA writes it).
pub const MAA_ISSUER: &str = "https://sgxmeasuretest.eus.attest.azure.net";
/// Subject CN of the ITA-style root.
pub const ITA_ROOT_CN: &str = "Test Trust Authority Root CA";
/// Subject CN of the ITA-style signing CA.
pub const ITA_CA_CN: &str = "Test Trust Authority ATS Signing CA";
/// Subject CN of the ITA-style token signing certificate.
pub const ITA_LEAF_CN: &str = "Test Trust Authority Attestation Token Signing";
/// Subject CN of the MAA-style self-signed certificate.
pub const MAA_CN: &str = "https://sgxmeasuretest.eus.attest.azure.net";
/// Subject CN of the unrelated root.
pub const OTHER_ROOT_CN: &str = "Impostor Root CA";

fn rsa_key(pem: &str) -> PrivateKey {
    PrivateKey::from_pkcs8_pem(pem).expect("test RSA key")
}

/// The DER SubjectPublicKeyInfo of an RSA key.
pub fn rsa_spki(key: &PublicKey) -> Vec<u8> {
    key.to_public_key_der()
        .expect("RSA SPKI")
        .as_bytes()
        .to_vec()
}

/// Certificate signature algorithms of these PKIs.
#[derive(Clone, Copy, Debug)]
pub enum CertAlg {
    /// sha256WithRSAEncryption.
    RsaSha256,
    /// sha512WithRSAEncryption.
    RsaSha512,
}

impl CertAlg {
    fn id(self) -> Vec<u8> {
        let o = match self {
            CertAlg::RsaSha256 => "1.2.840.113549.1.1.11",
            CertAlg::RsaSha512 => "1.2.840.113549.1.1.13",
        };
        seq(&[oid(o), tlv(0x05, &[])])
    }

    fn sign(self, key: &PrivateKey, msg: &[u8]) -> Vec<u8> {
        match self {
            CertAlg::RsaSha256 => key.pkcs1v15_sign::<Sha256>(msg),
            CertAlg::RsaSha512 => key.pkcs1v15_sign::<Sha512>(msg),
        }
        .expect("RSA signature")
    }
}

/// An RSA-signed certificate to issue.
pub struct RsaCertSpec<'a> {
    /// Serial number.
    pub serial: u64,
    /// Subject CN.
    pub subject: &'a str,
    /// Issuer CN.
    pub issuer: &'a str,
    /// Subject public key (DER SubjectPublicKeyInfo).
    pub spki: Vec<u8>,
    /// Issuer key.
    pub issuer_key: &'a PrivateKey,
    /// Signature algorithm.
    pub alg: CertAlg,
    /// notBefore, notAfter.
    pub validity: (u64, u64),
    /// CA certificate?
    pub ca: bool,
}

/// Issues a certificate signed with RSA (DER).
pub fn issue_rsa(spec: &RsaCertSpec<'_>) -> Vec<u8> {
    let exts = vec![
        if spec.ca {
            extension("2.5.29.19", true, &seq(&[tlv(0x01, &[0xff])]))
        } else {
            extension("2.5.29.19", true, &seq(&[]))
        },
        extension(
            "2.5.29.15",
            true,
            &key_usage(if spec.ca { 0x06 } else { 0x80 }),
        ),
    ];
    let tbs = seq(&[
        explicit(0, &int(2)),
        int(spec.serial),
        spec.alg.id(),
        name(spec.issuer),
        seq(&[time(spec.validity.0), time(spec.validity.1)]),
        name(spec.subject),
        spec.spki.clone(),
        explicit(3, &seq(&exts)),
    ]);
    let sig = spec.alg.sign(spec.issuer_key, &tbs);
    seq(&[tbs.clone(), spec.alg.id(), bits(&sig)])
}

/// A counter-based byte source (SHA-256 of a label and a counter): deterministic PSS salts.
pub struct CounterRng {
    label: Vec<u8>,
    counter: u64,
}

impl CounterRng {
    /// A generator for `label`.
    pub fn new(label: &[u8]) -> CounterRng {
        CounterRng {
            label: label.to_vec(),
            counter: 0,
        }
    }
}

impl getrandom::rand_core::TryRng for CounterRng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(32) {
            let mut h = Sha256::new();
            h.update(&self.label);
            h.update(self.counter.to_le_bytes());
            self.counter += 1;
            let d = h.finalize();
            chunk.copy_from_slice(&d[..chunk.len()]);
        }
        Ok(())
    }
}

impl getrandom::rand_core::TryCryptoRng for CounterRng {}

/// How a test token is signed.
#[derive(Clone, Copy, Debug)]
pub enum Alg<'a> {
    /// RSASSA-PSS, SHA-384, salt of 48 bytes (ITA's default).
    Ps384(&'a PrivateKey),
    /// RSASSA-PKCS1-v1_5, SHA-256.
    Rs256(&'a PrivateKey),
    /// `alg: none`, empty signature.
    None,
    /// HMAC-SHA256 keyed with these bytes (the classic confusion: the RSA public key as secret).
    Hs256(&'a [u8]),
}

impl Alg<'_> {
    /// The header's `alg`.
    pub fn name(self) -> &'static str {
        match self {
            Alg::Ps384(_) => "PS384",
            Alg::Rs256(_) => "RS256",
            Alg::None => "none",
            Alg::Hs256(_) => "HS256",
        }
    }
}

/// A compact JWS: base64url(header) . base64url(claims) . base64url(signature).
pub fn sign_jwt(header: &Value, claims: &Value, alg: Alg<'_>) -> String {
    let signing_input = format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(header.to_string().as_bytes()),
        Base64UrlUnpadded::encode_string(claims.to_string().as_bytes())
    );
    let msg = signing_input.as_bytes();
    let sig = match alg {
        Alg::Ps384(k) => {
            let mut rng = CounterRng::new(msg);
            k.pss_sign_with_rng::<Sha384, _>(&mut rng, msg)
                .expect("PS384")
        }
        Alg::Rs256(k) => k.pkcs1v15_sign::<Sha256>(msg).expect("RS256"),
        Alg::None => Vec::new(),
        Alg::Hs256(secret) => {
            let mut mac = hmac::Hmac::<Sha256>::new_from_slice(secret).expect("HMAC key");
            mac.update(msg);
            mac.finalize().into_bytes().to_vec()
        }
    };
    format!("{signing_input}.{}", Base64UrlUnpadded::encode_string(&sig))
}

/// A JOSE header: `alg`, `kid`, `typ`, and `jku` as the services write it.
pub fn header(alg: &str, kid: &str, jku: &str) -> Value {
    json!({"alg": alg, "jku": jku, "kid": kid, "typ": "JWT"})
}

/// The identity a test token asserts.
#[derive(Clone, Debug)]
pub struct TokenIdentity {
    /// MRENCLAVE.
    pub mrenclave: [u8; 32],
    /// MRSIGNER.
    pub mrsigner: [u8; 32],
    /// ISVPRODID.
    pub isvprodid: u16,
    /// ISVSVN.
    pub isvsvn: u16,
    /// Debug enclave.
    pub debug: bool,
    /// CONFIGID (KSS).
    pub configid: Option<[u8; 64]>,
    /// CONFIGSVN (KSS).
    pub config_svn: u16,
    /// REPORTDATA.
    pub report_data: [u8; 64],
}

impl Default for TokenIdentity {
    fn default() -> Self {
        TokenIdentity {
            mrenclave: [0x11; 32],
            mrsigner: [0x22; 32],
            isvprodid: 1,
            isvsvn: 3,
            debug: false,
            configid: None,
            config_svn: 0,
            report_data: [0x33; 64],
        }
    }
}

/// ITA's SGX claims (token v1 layout) for `id`, issued at [`NOW`] minus a minute, valid for five
/// minutes, TCB `UpToDate`, with a verifier nonce.
pub fn ita_claims(id: &TokenIdentity) -> Value {
    let iat = NOW - 60;
    let mut c = json!({
        "sgx_mrenclave": hex::encode(id.mrenclave),
        "sgx_mrsigner": hex::encode(id.mrsigner),
        "sgx_isvprodid": id.isvprodid,
        "sgx_isvsvn": id.isvsvn,
        "sgx_report_data": hex::encode(id.report_data),
        "sgx_is_debuggable": id.debug,
        "attester_held_data": "AQID",
        "verifier_nonce": {
            "val": "dGVzdCBub25jZQ==",
            "iat": "MjAyNS0wNi0xOSAyMzo1OTowMCArMDAwMCBVVEM=",
            "signature": "c2lnbmF0dXJl"
        },
        "attester_tcb_status": "UpToDate",
        "attester_tcb_date": "2024-03-13T00:00:00Z",
        "attester_advisory_ids": [],
        "attester_type": "SGX",
        "dbgstat": if id.debug { "enabled" } else { "disabled" },
        "ver": "1.0.0",
        "exp": iat + 300,
        "jti": "7ed09b08-b410-4b60-93d3-b30824b5e780",
        "iat": iat,
        "iss": ITA_ISSUER,
        "nbf": iat,
    });
    if let Some(cfg) = id.configid {
        c["sgx_config_id"] = json!(hex::encode(cfg));
    }
    c
}

/// MAA's SGX claims (`x-ms-*`) for `id`, issued at [`NOW`] minus a minute, valid for eight hours.
pub fn maa_claims(id: &TokenIdentity) -> Value {
    let iat = NOW - 60;
    let mut c = json!({
        "exp": iat + 8 * 3600,
        "iat": iat,
        "iss": MAA_ISSUER,
        "jti": "5f64fd3d1d0f5d8e0f6e8c0b4c6a0f8c9d3e2b1a0f9e8d7c6b5a4f3e2d1c0b9a",
        "nbf": iat,
        "nonce": "nonce-1234",
        "x-ms-attestation-type": "sgx",
        "x-ms-policy-hash": "wm9mHlvTU82e8UqoOy1Yj1FBRSNkfe99-69IYDq9eWs",
        "x-ms-sgx-collateral": {},
        "x-ms-sgx-ehd": "AQID",
        "x-ms-sgx-is-debuggable": id.debug,
        "x-ms-sgx-mrenclave": hex::encode(id.mrenclave),
        "x-ms-sgx-mrsigner": hex::encode(id.mrsigner),
        "x-ms-sgx-product-id": id.isvprodid,
        "x-ms-sgx-report-data": hex::encode(id.report_data),
        "x-ms-sgx-svn": id.isvsvn,
        "x-ms-ver": "1.0",
    });
    if let Some(cfg) = id.configid {
        c["x-ms-sgx-config-id"] = json!(hex::encode(cfg));
        c["x-ms-sgx-config-svn"] = json!(id.config_svn);
        c["x-ms-sgx-isv-extended-product-id"] = json!(hex::encode([0u8; 16]));
        c["x-ms-sgx-isv-family-id"] = json!(hex::encode([0u8; 16]));
    }
    c
}

/// The token PKIs.
pub struct TokenPki {
    /// ITA-style root key.
    pub ita_root_key: PrivateKey,
    /// ITA-style signing CA key.
    pub ita_ca_key: PrivateKey,
    /// ITA-style token signing key.
    pub ita_key: PrivateKey,
    /// MAA-style signing key.
    pub maa_key: PrivateKey,
    /// The unrelated root's key.
    pub other_root_key: PrivateKey,
    /// ITA-style root certificate (DER).
    pub ita_root: Vec<u8>,
    /// ITA-style signing CA certificate (DER).
    pub ita_ca: Vec<u8>,
    /// ITA-style token signing certificate (DER).
    pub ita_leaf: Vec<u8>,
    /// MAA-style self-signed certificate (DER).
    pub maa_cert: Vec<u8>,
    /// The unrelated root (DER).
    pub other_root: Vec<u8>,
    /// A signing CA of the same name and key as ITA's, issued by the unrelated root (DER).
    pub other_ca: Vec<u8>,
}

impl Default for TokenPki {
    fn default() -> Self {
        TokenPki::new()
    }
}

impl TokenPki {
    /// Loads the keys and issues the certificates.
    pub fn new() -> TokenPki {
        let ita_root_key = rsa_key(include_str!("keys/ita-root.pem"));
        let ita_ca_key = rsa_key(include_str!("keys/ita-signing-ca.pem"));
        let ita_key = rsa_key(include_str!("keys/ita-token-signing.pem"));
        let maa_key = rsa_key(include_str!("keys/maa-signing.pem"));
        let other_root_key = rsa_key(include_str!("keys/other-root.pem"));
        let year = 365 * 86_400;
        let root_validity = (NOW - 2 * year, NOW + 24 * year);
        let ita_root = issue_rsa(&RsaCertSpec {
            serial: 1,
            subject: ITA_ROOT_CN,
            issuer: ITA_ROOT_CN,
            spki: rsa_spki(ita_root_key.as_public_key()),
            issuer_key: &ita_root_key,
            alg: CertAlg::RsaSha512,
            validity: root_validity,
            ca: true,
        });
        let ca = |issuer: &str, issuer_key: &PrivateKey| {
            issue_rsa(&RsaCertSpec {
                serial: 2,
                subject: ITA_CA_CN,
                issuer,
                spki: rsa_spki(ita_ca_key.as_public_key()),
                issuer_key,
                alg: CertAlg::RsaSha512,
                validity: (NOW - 2 * year, NOW + 11 * year),
                ca: true,
            })
        };
        let ita_ca = ca(ITA_ROOT_CN, &ita_root_key);
        let ita_leaf = issue_rsa(&RsaCertSpec {
            serial: 3,
            subject: ITA_LEAF_CN,
            issuer: ITA_CA_CN,
            spki: rsa_spki(ita_key.as_public_key()),
            issuer_key: &ita_ca_key,
            alg: CertAlg::RsaSha512,
            validity: (NOW - 30 * 86_400, NOW + 335 * 86_400),
            ca: false,
        });
        let maa_cert = issue_rsa(&RsaCertSpec {
            serial: 0x4d41,
            subject: MAA_CN,
            issuer: MAA_CN,
            spki: rsa_spki(maa_key.as_public_key()),
            issuer_key: &maa_key,
            alg: CertAlg::RsaSha256,
            validity: (NOW - 30 * 86_400, NOW + 3 * year),
            ca: false,
        });
        let other_root = issue_rsa(&RsaCertSpec {
            serial: 1,
            subject: OTHER_ROOT_CN,
            issuer: OTHER_ROOT_CN,
            spki: rsa_spki(other_root_key.as_public_key()),
            issuer_key: &other_root_key,
            alg: CertAlg::RsaSha256,
            validity: root_validity,
            ca: true,
        });
        let other_ca = issue_rsa(&RsaCertSpec {
            serial: 2,
            subject: ITA_CA_CN,
            issuer: OTHER_ROOT_CN,
            spki: rsa_spki(ita_ca_key.as_public_key()),
            issuer_key: &other_root_key,
            alg: CertAlg::RsaSha256,
            validity: (NOW - 2 * year, NOW + 11 * year),
            ca: true,
        });
        TokenPki {
            ita_root_key,
            ita_ca_key,
            ita_key,
            maa_key,
            other_root_key,
            ita_root,
            ita_ca,
            ita_leaf,
            maa_cert,
            other_root,
            other_ca,
        }
    }

    /// A JWKS with one RSA key (`kid`, `alg`, `n`, `e`, `x5c` as given, standard base64).
    pub fn jwks(key: &PublicKey, kid: &str, alg: &str, x5c: &[&[u8]]) -> String {
        let k = json!({
            "alg": alg,
            "e": Base64UrlUnpadded::encode_string(&key.e_bytes()),
            "kid": kid,
            "kty": "RSA",
            "n": Base64UrlUnpadded::encode_string(&key.n_bytes()),
            "x5c": x5c.iter().map(|c| Base64::encode_string(c)).collect::<Vec<_>>(),
        });
        serde_json::to_string_pretty(&json!({ "keys": [k] })).expect("JSON")
    }

    /// ITA's JWKS: the token signing key with [leaf, signing CA, root].
    pub fn ita_jwks(&self) -> String {
        Self::jwks(
            self.ita_key.as_public_key(),
            ITA_KID,
            "PS384",
            &[&self.ita_leaf, &self.ita_ca, &self.ita_root],
        )
    }

    /// The same key, its signing CA issued by the unrelated root.
    pub fn ita_jwks_other_root(&self) -> String {
        Self::jwks(
            self.ita_key.as_public_key(),
            ITA_KID,
            "PS384",
            &[&self.ita_leaf, &self.other_ca, &self.other_root],
        )
    }

    /// MAA's JWKS: the key with its self-signed certificate.
    pub fn maa_jwks(&self) -> String {
        let k = json!({
            "kid": MAA_KID,
            "kty": "RSA",
            "x5c": [Base64::encode_string(&self.maa_cert)],
        });
        serde_json::to_string_pretty(&json!({ "keys": [k] })).expect("JSON")
    }

    /// An ITA-style token for `claims`.
    pub fn ita_token(&self, claims: &Value, ps384: bool) -> String {
        let alg = if ps384 {
            Alg::Ps384(&self.ita_key)
        } else {
            Alg::Rs256(&self.ita_key)
        };
        sign_jwt(
            &header(
                alg.name(),
                ITA_KID,
                "https://portal.trustauthority.intel.com/certs",
            ),
            claims,
            alg,
        )
    }

    /// An MAA-style RS256 token for `claims`.
    pub fn maa_token(&self, claims: &Value) -> String {
        sign_jwt(
            &header("RS256", MAA_KID, &format!("{MAA_ISSUER}/certs")),
            claims,
            Alg::Rs256(&self.maa_key),
        )
    }

    /// The PEM of the ITA token signing key's public key (what an HS256 forgery is keyed with).
    pub fn ita_public_pem(&self) -> String {
        self.ita_key
            .as_public_key()
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .expect("PEM")
    }
}
