//! The `x5c` chain of a token signing key: certificates, leaf first, each signed by the next,
//! ending at (or issued by) the pinned trust root. Attestation services sign their certificates
//! with RSA (Intel Trust Authority: sha512WithRSAEncryption; Azure Attestation:
//! sha256WithRSAEncryption); ECDSA P-256 with SHA-256 is accepted too. Nothing else is.

use der::asn1::ObjectIdentifier;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use sha2::{Sha256, Sha384, Sha512};

use crate::dcap::pki::{Cert, ECDSA_WITH_SHA256, rfc3339, verify_der};

const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// The most certificates an `x5c` may hold (ITA's: 3).
pub const MAX_CHAIN: usize = 5;

/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;

/// The subject's RSA key of `cert`, if it has one.
pub fn rsa_key(cert: &Cert) -> Result<rsa::PublicKey, String> {
    let spki = cert.cert.tbs_certificate().subject_public_key_info();
    if spki.algorithm.oid != RSA_ENCRYPTION {
        return Err(format!(
            "{}: the key is not an RSA key (algorithm {})",
            cert.subject(),
            spki.algorithm.oid
        ));
    }
    let der = cert.spki_der()?;
    let key = rsa::PublicKey::from_public_key_der(&der)
        .map_err(|e| format!("{}: bad RSA key: {e}", cert.subject()))?;
    let bits = key.n_bytes().len() * 8;
    if bits < MIN_RSA_BITS {
        return Err(format!(
            "{}: RSA-{bits} key, at least {MIN_RSA_BITS} bits required",
            cert.subject()
        ));
    }
    Ok(key)
}

/// Checks that `issuer`'s key signed `cert`.
pub fn check_signed_by(cert: &Cert, issuer: &Cert) -> Result<(), String> {
    let alg = cert.cert.signature_algorithm().oid;
    let sig = cert
        .cert
        .signature()
        .as_bytes()
        .ok_or("signature bit string has unused bits")?;
    let msg = cert.tbs_bytes();
    let fail = |e: String| {
        format!(
            "{} is not signed by {}: {e}",
            cert.subject(),
            issuer.subject()
        )
    };
    if alg == ECDSA_WITH_SHA256 {
        let key = issuer.public_key().map_err(fail)?;
        return verify_der(&key, msg, sig).map_err(fail);
    }
    let key = rsa_key(issuer).map_err(fail)?;
    let r = match alg {
        a if a == SHA256_WITH_RSA => key.pkcs1v15_verify::<Sha256>(msg, sig),
        a if a == SHA384_WITH_RSA => key.pkcs1v15_verify::<Sha384>(msg, sig),
        a if a == SHA512_WITH_RSA => key.pkcs1v15_verify::<Sha512>(msg, sig),
        other => {
            return Err(format!(
                "{}: signature algorithm {other} is not accepted (sha256/384/512WithRSAEncryption, ecdsa-with-SHA256)",
                cert.subject()
            ));
        }
    };
    r.map_err(|_| fail("signature does not verify".into()))
}

/// Verifies `chain` (leaf first) at `now` against `root`: every certificate valid at `now`,
/// each signed by the next one, which is a CA certificate named as its issuer, and the last one
/// either `root` itself (byte for byte) or issued and signed by `root`. Returns the subjects from
/// the leaf to the root.
pub fn verify_chain(chain: &[Cert], root: &Cert, now: u64) -> Result<Vec<String>, String> {
    let Some(last) = chain.last() else {
        return Err("no certificate".into());
    };
    if chain.len() > MAX_CHAIN {
        return Err(format!("{} certificates, at most {MAX_CHAIN}", chain.len()));
    }
    let anchored_in_chain = last.der == root.der;
    let mut path: Vec<&Cert> = chain.iter().collect();
    if !anchored_in_chain {
        path.push(root);
    }
    for c in &path {
        if !c.valid_at(now) {
            let (a, b) = c.validity();
            return Err(format!(
                "{} is not valid at {} (valid {} to {})",
                c.subject(),
                rfc3339(now),
                rfc3339(a),
                rfc3339(b)
            ));
        }
    }
    for pair in path.windows(2) {
        let [cert, issuer] = pair else { continue };
        if !cert.issued_by_name(issuer) {
            return Err(if std::ptr::eq(*issuer, root) {
                format!(
                    "the chain ends at {} (issued by {}), not at the trust root {}",
                    cert.subject(),
                    cert.issuer(),
                    root.subject()
                )
            } else {
                format!(
                    "{} names {} as issuer, but the next certificate is {}",
                    cert.subject(),
                    cert.issuer(),
                    issuer.subject()
                )
            });
        }
        if !issuer.is_ca() {
            return Err(format!(
                "{} issues {} but is not a CA certificate",
                issuer.subject(),
                cert.subject()
            ));
        }
        check_signed_by(cert, issuer)?;
    }
    if anchored_in_chain && chain.len() == 1 {
        // A self-signed signing certificate (Azure Attestation): pinned as the trust root; its
        // own signature is checked too, so a damaged certificate is not taken as the pin.
        check_signed_by(last, last)?;
    }
    Ok(path.iter().map(|c| c.subject()).collect())
}
