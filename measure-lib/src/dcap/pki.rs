//! The X.509 work of DCAP verification, on the RustCrypto crates dcap-qvl itself uses (`der`,
//! `x509-cert`, `p256`): certificates and CRLs kept with their exact DER bytes, ECDSA P-256
//! signature checks over the signed parts, validity windows and revocation lists. Intel's SGX PKI
//! uses ECDSA P-256 with SHA-256 everywhere; nothing else is accepted.

use der::{Decode, Encode, Header, Reader, SliceReader};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;

/// OID ecdsa-with-SHA256 (1.2.840.10045.4.3.2).
pub const ECDSA_WITH_SHA256: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

/// A certificate with its DER bytes.
#[derive(Clone, Debug)]
pub struct Cert {
    /// The whole certificate, DER.
    pub der: Vec<u8>,
    /// Parsed.
    pub cert: Certificate,
    tbs: core::ops::Range<usize>,
}

/// The first TLV inside the outer SEQUENCE: the signed part of a certificate or CRL.
fn signed_part(der: &[u8]) -> der::Result<core::ops::Range<usize>> {
    let mut r = SliceReader::new(der)?;
    let outer = Header::decode(&mut r)?;
    outer.tag().assert_eq(der::Tag::Sequence)?;
    let start = usize::try_from(r.position())?;
    let tbs = r.tlv_bytes()?;
    Ok(start..start + tbs.len())
}

impl Cert {
    /// Parses one DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Cert, String> {
        let cert = Certificate::from_der(der).map_err(|e| format!("not a DER certificate: {e}"))?;
        let tbs = signed_part(der).map_err(|e| format!("certificate structure: {e}"))?;
        Ok(Cert {
            der: der.to_vec(),
            cert,
            tbs,
        })
    }

    /// Parses one certificate, PEM or DER.
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<Cert, String> {
        if bytes.starts_with(&[0x30]) {
            return Cert::from_der(bytes);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| "neither DER nor PEM".to_string())?;
        let chain = parse_pem_chain(text)?;
        match <[Cert; 1]>::try_from(chain) {
            Ok([c]) => Ok(c),
            Err(v) => Err(format!("{} certificates where one was expected", v.len())),
        }
    }

    /// The bytes the issuer signed.
    pub fn tbs_bytes(&self) -> &[u8] {
        self.der.get(self.tbs.clone()).unwrap_or_default()
    }

    /// The subject's ECDSA P-256 key.
    pub fn public_key(&self) -> Result<VerifyingKey, String> {
        let spki = self.cert.tbs_certificate().subject_public_key_info();
        VerifyingKey::from_sec1_bytes(spki.subject_public_key.raw_bytes()).map_err(|_| {
            format!(
                "{}: the public key is not an ECDSA P-256 key",
                self.subject()
            )
        })
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> Result<Vec<u8>, String> {
        self.cert
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|e| e.to_string())
    }

    /// Subject name for messages: its common name, or the whole name (RFC 4514) without one.
    pub fn subject(&self) -> String {
        short_name(&self.cert.tbs_certificate().subject().to_string())
    }

    /// Issuer name for messages, as [`Cert::subject`].
    pub fn issuer(&self) -> String {
        short_name(&self.cert.tbs_certificate().issuer().to_string())
    }

    /// Serial number bytes (big-endian, as encoded).
    pub fn serial(&self) -> &[u8] {
        self.cert.tbs_certificate().serial_number().as_bytes()
    }

    /// notBefore, notAfter (Unix seconds).
    pub fn validity(&self) -> (u64, u64) {
        let v = self.cert.tbs_certificate().validity();
        (
            v.not_before.to_unix_duration().as_secs(),
            v.not_after.to_unix_duration().as_secs(),
        )
    }

    /// Is it valid at `now`?
    pub fn valid_at(&self, now: u64) -> bool {
        let (a, b) = self.validity();
        a <= now && now <= b
    }

    /// Is its issuer's name its subject's and its signature made by its own key?
    pub fn is_self_signed(&self) -> bool {
        self.cert.tbs_certificate().issuer() == self.cert.tbs_certificate().subject()
            && self.public_key().is_ok_and(|k| self.signed_by(&k).is_ok())
    }

    /// Is the issuer name of `self` the subject name of `issuer`?
    pub fn issued_by_name(&self, issuer: &Cert) -> bool {
        self.cert.tbs_certificate().issuer() == issuer.cert.tbs_certificate().subject()
    }

    /// Checks the signature with `key` (ecdsa-with-SHA256 only), through `memo`.
    pub fn signed_by_memo(&self, key: &VerifyingKey, memo: &SigMemo) -> Result<(), String> {
        let sig = self.cert.signature().raw_bytes();
        memo.get_or(key, self.tbs_bytes(), sig, || self.signed_by(key))
    }

    /// Checks the signature with `key` (ecdsa-with-SHA256 only).
    pub fn signed_by(&self, key: &VerifyingKey) -> Result<(), String> {
        if self.cert.signature_algorithm().oid != ECDSA_WITH_SHA256 {
            return Err(format!(
                "signature algorithm {} is not ecdsa-with-SHA256",
                self.cert.signature_algorithm().oid
            ));
        }
        let sig = self
            .cert
            .signature()
            .as_bytes()
            .ok_or("signature bit string has unused bits")?;
        verify_der(key, self.tbs_bytes(), sig)
    }

    /// BasicConstraints cA = true.
    pub fn is_ca(&self) -> bool {
        self.cert
            .tbs_certificate()
            .get_extension::<x509_cert::ext::pkix::BasicConstraints>()
            .ok()
            .flatten()
            .is_some_and(|(_, bc)| bc.ca)
    }
}

/// The CN of an RFC 4514 name, or the name.
pub fn short_name(rfc4514: &str) -> String {
    rfc4514
        .split(',')
        .find_map(|rdn| rdn.strip_prefix("CN="))
        .map_or_else(|| rfc4514.to_string(), str::to_string)
}

/// Results of signature checks of certificates, CRLs and collateral documents, kept by a
/// [`Verifier`](super::Verifier) so that what every quote of a platform shares (the collateral,
/// the PCK CA, the PCK certificate) is checked once. Keyed by SHA-256 of the key, the message and
/// the signature: a hit is the very same check. Bounded (4,096 entries; past that, checks are made
/// and not kept).
#[derive(Debug, Default)]
pub struct SigMemo(std::sync::Mutex<std::collections::HashMap<[u8; 32], Result<(), String>>>);

impl SigMemo {
    /// The result of `check`, computed once per (key, message, signature).
    pub fn get_or(
        &self,
        key: &VerifyingKey,
        msg: &[u8],
        sig: &[u8],
        check: impl FnOnce() -> Result<(), String>,
    ) -> Result<(), String> {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        h.update(key.to_sec1_bytes());
        h.update((msg.len() as u64).to_le_bytes());
        h.update(msg);
        h.update(sig);
        let id: [u8; 32] = h.finalize().into();
        if let Some(r) = self.0.lock().ok().and_then(|m| m.get(&id).cloned()) {
            return r;
        }
        let r = check();
        if let Ok(mut m) = self.0.lock()
            && m.len() < 4096
        {
            m.insert(id, r.clone());
        }
        r
    }
}

/// Checks a DER-encoded ECDSA signature.
pub fn verify_der(key: &VerifyingKey, msg: &[u8], sig_der: &[u8]) -> Result<(), String> {
    let sig = Signature::from_der(sig_der).map_err(|_| "malformed ECDSA signature".to_string())?;
    key.verify(msg, &sig)
        .map_err(|_| "signature does not verify".to_string())
}

/// Checks a raw `r || s` ECDSA P-256 signature (64 bytes).
pub fn verify_raw(key: &VerifyingKey, msg: &[u8], sig: &[u8]) -> Result<(), String> {
    let sig = Signature::from_slice(sig).map_err(|_| {
        format!(
            "malformed ECDSA signature ({} bytes, r and s must be in range)",
            sig.len()
        )
    })?;
    key.verify(msg, &sig)
        .map_err(|_| "signature does not verify".to_string())
}

/// A raw attestation key (`x || y`, 64 bytes) as a verifying key.
pub fn raw_p256_key(xy: &[u8; 64]) -> Result<VerifyingKey, String> {
    let mut sec1 = [0u8; 65];
    sec1[0] = 4;
    sec1[1..].copy_from_slice(xy);
    VerifyingKey::from_sec1_bytes(&sec1).map_err(|_| "not a point on P-256".to_string())
}

/// Parses every certificate of a PEM text, in order.
pub fn parse_pem_chain(text: &str) -> Result<Vec<Cert>, String> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start..];
        let end = after
            .find(END)
            .ok_or_else(|| format!("certificate {} has no END line", out.len() + 1))?;
        let block = &after[..end + END.len()];
        let (label, der) = der::pem::decode_vec(block.as_bytes())
            .map_err(|e| format!("certificate {}: bad PEM: {e}", out.len() + 1))?;
        if label != "CERTIFICATE" {
            return Err(format!("unexpected PEM label {label}"));
        }
        out.push(Cert::from_der(&der).map_err(|e| format!("certificate {}: {e}", out.len() + 1))?);
        rest = &after[end + END.len()..];
    }
    if out.is_empty() {
        return Err("no PEM certificate".into());
    }
    Ok(out)
}

/// A certificate revocation list with its DER bytes.
#[derive(Clone, Debug)]
pub struct Crl {
    /// DER.
    pub der: Vec<u8>,
    /// Parsed.
    pub crl: CertificateList,
    tbs: core::ops::Range<usize>,
}

impl Crl {
    /// Parses a DER CRL (PEM is accepted too: PCCS serves both).
    pub fn parse(bytes: &[u8]) -> Result<Crl, String> {
        let der = if bytes.starts_with(b"-----BEGIN") {
            let (label, der) =
                der::pem::decode_vec(bytes).map_err(|e| format!("bad PEM CRL: {e}"))?;
            if label != "X509 CRL" {
                return Err(format!("PEM label {label}, expected X509 CRL"));
            }
            der
        } else {
            bytes.to_vec()
        };
        let crl = CertificateList::from_der(&der).map_err(|e| format!("not a DER CRL: {e}"))?;
        let tbs = signed_part(&der).map_err(|e| format!("CRL structure: {e}"))?;
        Ok(Crl { der, crl, tbs })
    }

    /// Issuer name, RFC 4514 text.
    pub fn issuer(&self) -> String {
        short_name(&self.crl.tbs_cert_list.issuer.to_string())
    }

    /// thisUpdate, nextUpdate (Unix seconds).
    pub fn window(&self) -> (u64, Option<u64>) {
        let t = &self.crl.tbs_cert_list;
        (
            t.this_update.to_unix_duration().as_secs(),
            t.next_update.map(|n| n.to_unix_duration().as_secs()),
        )
    }

    /// [`Crl::check_issuer`] through `memo`.
    pub fn check_issuer_memo(&self, issuer: &Cert, memo: &SigMemo) -> Result<(), String> {
        let key = issuer.public_key()?;
        let tbs = self.der.get(self.tbs.clone()).unwrap_or_default();
        memo.get_or(&key, tbs, self.crl.signature.raw_bytes(), || {
            self.check_issuer(issuer)
        })
    }

    /// Was it issued by `issuer` (name) and signed with its key?
    pub fn check_issuer(&self, issuer: &Cert) -> Result<(), String> {
        if &self.crl.tbs_cert_list.issuer != issuer.cert.tbs_certificate().subject() {
            return Err(format!(
                "CRL issuer {} is not {}",
                self.issuer(),
                issuer.subject()
            ));
        }
        if self.crl.signature_algorithm.oid != ECDSA_WITH_SHA256 {
            return Err(format!(
                "CRL signature algorithm {} is not ecdsa-with-SHA256",
                self.crl.signature_algorithm.oid
            ));
        }
        let key = issuer.public_key()?;
        let sig = self
            .crl
            .signature
            .as_bytes()
            .ok_or("CRL signature bit string has unused bits")?;
        verify_der(
            &key,
            self.der.get(self.tbs.clone()).unwrap_or_default(),
            sig,
        )
        .map_err(|e| format!("CRL {e}"))
    }

    /// Is the serial listed?
    pub fn revokes(&self, serial: &[u8]) -> bool {
        self.crl
            .tbs_cert_list
            .revoked_certificates
            .iter()
            .flatten()
            .any(|r| r.serial_number.as_bytes() == serial)
    }

    /// Number of revoked serials.
    pub fn revoked_count(&self) -> usize {
        self.crl
            .tbs_cert_list
            .revoked_certificates
            .as_ref()
            .map_or(0, Vec::len)
    }
}

/// Unix seconds as RFC 3339 (UTC, seconds).
pub fn rfc3339(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| format!("{secs} (Unix seconds)"))
}

/// Parses RFC 3339 to Unix seconds (times before 1970 are refused).
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .and_then(|d| u64::try_from(d.timestamp()).ok())
}

/// DER encoding, for tests and the CLI.
pub fn to_der<T: Encode>(v: &T) -> Result<Vec<u8>, String> {
    v.to_der().map_err(|e| e.to_string())
}
