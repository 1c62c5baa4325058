//! Gramine RA-TLS certificates (`tools/sgx/ra-tls/ra_tls_attest.c`): a self-signed X.509
//! certificate whose key the enclave generated, carrying SGX quotes in two extensions:
//!
//! - the legacy one (Gramine v1.0 on), OID 1.2.840.113741.1337.6 (Gramine writes the bytes
//!   `06 09 2A 86 48 86 F8 4D 8A 39 06`): the raw quote, whose REPORTDATA starts with
//!   SHA-256(the certificate's DER SubjectPublicKeyInfo);
//! - the TCG DICE tagged-evidence one (Gramine v1.8 on), OID 2.23.133.5.4.9: CBOR
//!   `tag 60000 [ bstr quote, bstr claims ]`, where `claims` is a serialized CBOR map
//!   `{ "pubkey-hash": bstr(serialized [ hash-alg-id, bstr hash(SubjectPublicKeyInfo) ]) }`
//!   (hash-alg-id from IANA's Named Information registry: 1 SHA-256, 7 SHA-384, 8 SHA-512) and the
//!   quote's REPORTDATA starts with SHA-256(claims).
//!
//! As Gramine's verifier does, the tagged evidence is used when present, the legacy quote
//! otherwise, and the first 32 bytes of REPORTDATA are compared. Unlike Gramine's verifier, tagged
//! evidence whose claims do not include `pubkey-hash` fails (nothing would bind the key).

use const_oid::ObjectIdentifier;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::check::{Check, Group, Status};
use crate::dcap::pki::Cert;

/// The legacy RA-TLS quote extension.
pub const LEGACY_QUOTE_OID: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113741.1337.6");
/// TCG DICE tagged evidence.
pub const TCG_TAGGED_EVIDENCE_OID: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.23.133.5.4.9");
/// CBOR tag of "ECDSA SGX quote" tagged evidence, as Gramine writes it.
pub const TCG_TEE_QUOTE_CBOR_TAG: u64 = 60000;

/// Why a file is not a usable RA-TLS certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("RA-TLS certificate: {0}")]
pub struct RaTlsError(pub String);

/// Which extension the verified quote came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Binding {
    /// Legacy: REPORTDATA[0..32] = SHA-256(SubjectPublicKeyInfo).
    Legacy,
    /// TCG DICE tagged evidence with its serialized claims and the pubkey-hash claim, if any.
    Tcg {
        /// Serialized CBOR claims map.
        claims: Vec<u8>,
        /// (hash-alg-id, hash) of the pubkey-hash claim.
        pubkey_hash: Option<(u64, Vec<u8>)>,
    },
}

/// An RA-TLS certificate, parsed.
#[derive(Clone, Debug)]
pub struct RaTlsCert {
    /// The certificate.
    pub cert: Cert,
    /// DER SubjectPublicKeyInfo (what Gramine hashes).
    pub spki: Vec<u8>,
    /// The quote to verify.
    pub quote: Vec<u8>,
    /// How it binds the key.
    pub binding: Binding,
    /// Both extensions were present.
    pub has_both: bool,
}

impl RaTlsCert {
    /// Parses a PEM or DER certificate.
    pub fn parse(bytes: &[u8]) -> Result<RaTlsCert, RaTlsError> {
        let cert = Cert::from_pem_or_der(bytes).map_err(RaTlsError)?;
        let spki = cert.spki_der().map_err(RaTlsError)?;
        let ext = |oid: ObjectIdentifier| {
            cert.cert
                .tbs_certificate()
                .extensions()
                .into_iter()
                .flatten()
                .find(|e| e.extn_id == oid)
                .map(|e| e.extn_value.as_bytes().to_vec())
        };
        let legacy = ext(LEGACY_QUOTE_OID);
        let tcg = ext(TCG_TAGGED_EVIDENCE_OID);
        let has_both = legacy.is_some() && tcg.is_some();
        let (quote, binding) = match (tcg, legacy) {
            (Some(evidence), _) => parse_tagged_evidence(&evidence)?,
            (None, Some(q)) => (q, Binding::Legacy),
            (None, None) => {
                return Err(RaTlsError(format!(
                    "{}: no SGX quote extension ({TCG_TAGGED_EVIDENCE_OID} or {LEGACY_QUOTE_OID})",
                    cert.subject()
                )));
            }
        };
        Ok(RaTlsCert {
            cert,
            spki,
            quote,
            binding,
            has_both,
        })
    }

    /// Which extension, for the output.
    pub fn describe(&self) -> String {
        let which = match self.binding {
            Binding::Legacy => format!("legacy extension {LEGACY_QUOTE_OID}"),
            Binding::Tcg { .. } => format!("TCG DICE tagged evidence {TCG_TAGGED_EVIDENCE_OID}"),
        };
        format!(
            "quote from the {which}{}",
            if self.has_both { " (both present)" } else { "" }
        )
    }

    /// The binding check: the quote's REPORTDATA binds this certificate's public key.
    pub fn check(&self, report_data: &[u8; 64]) -> Check {
        let spki_sha = Sha256::digest(&self.spki);
        let rd = hex::encode(&report_data[..32]);
        let (ok, expected, found, detail) = match &self.binding {
            Binding::Legacy => (
                report_data[..32] == spki_sha[..],
                format!(
                    "REPORTDATA[0..32] = SHA-256(certificate public key) = {}",
                    hex::encode(spki_sha)
                ),
                rd,
                "Gramine RA-TLS, legacy quote extension".to_string(),
            ),
            Binding::Tcg {
                claims,
                pubkey_hash,
            } => {
                let claims_sha = Sha256::digest(claims);
                let bound = report_data[..32] == claims_sha[..];
                let key = match pubkey_hash {
                    None => {
                        Err("the claims have no pubkey-hash: nothing binds the key".to_string())
                    }
                    Some((alg, h)) => match hash_by_iana(*alg, &self.spki) {
                        None => Err(format!("unknown hash algorithm {alg} in pubkey-hash")),
                        Some(want) if &want == h => Ok(()),
                        Some(want) => Err(format!(
                            "pubkey-hash {} is not the certificate key's {}",
                            hex::encode(h),
                            hex::encode(want)
                        )),
                    },
                };
                let found = match (&key, bound) {
                    (Ok(()), true) => format!("{rd} (pubkey-hash claim matches the key)"),
                    (Err(e), _) => format!("{rd}; {e}"),
                    (Ok(()), false) => format!("{rd}: NOT the SHA-256 of the claims"),
                };
                (
                    bound && key.is_ok(),
                    format!(
                        "REPORTDATA[0..32] = SHA-256(claims) = {}, claims' pubkey-hash = hash(certificate public key)",
                        hex::encode(claims_sha)
                    ),
                    found,
                    "Gramine RA-TLS, TCG DICE tagged evidence".to_string(),
                )
            }
        };
        Check::new(
            "ra_tls_key",
            "RA-TLS key",
            Group::Binding,
            if ok { Status::Pass } else { Status::Fail },
            expected,
            found,
            detail,
        )
    }
}

fn hash_by_iana(alg: u64, data: &[u8]) -> Option<Vec<u8>> {
    match alg {
        1 => Some(Sha256::digest(data).to_vec()),
        7 => Some(Sha384::digest(data).to_vec()),
        8 => Some(Sha512::digest(data).to_vec()),
        _ => None,
    }
}

fn parse_tagged_evidence(bytes: &[u8]) -> Result<(Vec<u8>, Binding), RaTlsError> {
    let bad = |s: &str| RaTlsError(format!("tagged evidence: {s}"));
    let item = cbor::decode_all(bytes).map_err(|e| bad(&e))?;
    let cbor::Item::Tag(tag, inner) = item else {
        return Err(bad("not a CBOR tag"));
    };
    if tag != TCG_TEE_QUOTE_CBOR_TAG {
        return Err(bad(&format!(
            "CBOR tag {tag}, expected {TCG_TEE_QUOTE_CBOR_TAG}"
        )));
    }
    let cbor::Item::Array(parts) = *inner else {
        return Err(bad("not an array"));
    };
    let [cbor::Item::Bytes(quote), cbor::Item::Bytes(claims)] = parts.as_slice() else {
        return Err(bad("not [bstr quote, bstr claims]"));
    };
    if claims.is_empty() {
        return Err(bad("empty claims"));
    }
    let map = cbor::decode_all(claims).map_err(|e| bad(&format!("claims: {e}")))?;
    let cbor::Item::Map(pairs) = map else {
        return Err(bad("claims are not a CBOR map"));
    };
    let mut pubkey_hash = None;
    for (k, v) in pairs {
        let cbor::Item::Text(k) = k else {
            return Err(bad("a claim key is not a text string"));
        };
        if k == "pubkey-hash" {
            let cbor::Item::Bytes(entry) = v else {
                return Err(bad("pubkey-hash is not a byte string"));
            };
            let entry = cbor::decode_all(&entry).map_err(|e| bad(&format!("pubkey-hash: {e}")))?;
            let cbor::Item::Array(e) = entry else {
                return Err(bad("pubkey-hash is not [alg, hash]"));
            };
            let [cbor::Item::Uint(alg), cbor::Item::Bytes(h)] = e.as_slice() else {
                return Err(bad("pubkey-hash is not [uint alg, bstr hash]"));
            };
            pubkey_hash = Some((*alg, h.clone()));
        }
    }
    Ok((
        quote.clone(),
        Binding::Tcg {
            claims: claims.clone(),
            pubkey_hash,
        },
    ))
}

/// A minimal CBOR (RFC 8949) decoder for the definite-length items RA-TLS uses.
pub mod cbor {
    /// A decoded item.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum Item {
        /// Major type 0.
        Uint(u64),
        /// Major type 2.
        Bytes(Vec<u8>),
        /// Major type 3.
        Text(String),
        /// Major type 4.
        Array(Vec<Item>),
        /// Major type 5.
        Map(Vec<(Item, Item)>),
        /// Major type 6.
        Tag(u64, Box<Item>),
    }

    /// Decodes exactly one item filling `b`.
    pub fn decode_all(b: &[u8]) -> Result<Item, String> {
        let mut pos = 0;
        let item = decode(b, &mut pos, 0)?;
        if pos != b.len() {
            return Err(format!(
                "{} trailing byte(s) after the CBOR item",
                b.len() - pos
            ));
        }
        Ok(item)
    }

    fn take<'a>(b: &'a [u8], pos: &mut usize, n: usize) -> Result<&'a [u8], String> {
        let end = pos
            .checked_add(n)
            .filter(|&e| e <= b.len())
            .ok_or("truncated CBOR")?;
        let s = &b[*pos..end];
        *pos = end;
        Ok(s)
    }

    fn decode(b: &[u8], pos: &mut usize, depth: u32) -> Result<Item, String> {
        if depth > 16 {
            return Err("CBOR nested too deeply".into());
        }
        let first = take(b, pos, 1)?[0];
        let (major, info) = (first >> 5, first & 0x1f);
        let arg = match info {
            0..=23 => u64::from(info),
            24 => u64::from(take(b, pos, 1)?[0]),
            25 => u64::from(u16::from_be_bytes(
                take(b, pos, 2)?.try_into().unwrap_or_default(),
            )),
            26 => u64::from(u32::from_be_bytes(
                take(b, pos, 4)?.try_into().unwrap_or_default(),
            )),
            27 => u64::from_be_bytes(take(b, pos, 8)?.try_into().unwrap_or_default()),
            _ => return Err("indefinite or reserved CBOR length".into()),
        };
        let len = |arg: u64| usize::try_from(arg).map_err(|_| "CBOR length too large".to_string());
        Ok(match major {
            0 => Item::Uint(arg),
            2 => Item::Bytes(take(b, pos, len(arg)?)?.to_vec()),
            3 => Item::Text(
                String::from_utf8(take(b, pos, len(arg)?)?.to_vec())
                    .map_err(|_| "CBOR text is not UTF-8")?,
            ),
            4 => {
                let n = len(arg)?;
                if n > b.len() {
                    return Err("truncated CBOR array".into());
                }
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    v.push(decode(b, pos, depth + 1)?);
                }
                Item::Array(v)
            }
            5 => {
                let n = len(arg)?;
                if n > b.len() {
                    return Err("truncated CBOR map".into());
                }
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    let k = decode(b, pos, depth + 1)?;
                    let val = decode(b, pos, depth + 1)?;
                    v.push((k, val));
                }
                Item::Map(v)
            }
            6 => Item::Tag(arg, Box::new(decode(b, pos, depth + 1)?)),
            _ => return Err(format!("unsupported CBOR major type {major}")),
        })
    }

    /// Encodes an item (definite lengths, shortest arguments), as libcbor does.
    pub fn encode(item: &Item, out: &mut Vec<u8>) {
        fn head(major: u8, arg: u64, out: &mut Vec<u8>) {
            let m = major << 5;
            match arg {
                0..=23 => out.push(m | arg as u8),
                24..=0xff => out.extend([m | 24, arg as u8]),
                0x100..=0xffff => {
                    out.push(m | 25);
                    out.extend((arg as u16).to_be_bytes());
                }
                0x1_0000..=0xffff_ffff => {
                    out.push(m | 26);
                    out.extend((arg as u32).to_be_bytes());
                }
                _ => {
                    out.push(m | 27);
                    out.extend(arg.to_be_bytes());
                }
            }
        }
        match item {
            Item::Uint(n) => head(0, *n, out),
            Item::Bytes(b) => {
                head(2, b.len() as u64, out);
                out.extend(b);
            }
            Item::Text(t) => {
                head(3, t.len() as u64, out);
                out.extend(t.as_bytes());
            }
            Item::Array(v) => {
                head(4, v.len() as u64, out);
                v.iter().for_each(|i| encode(i, out));
            }
            Item::Map(v) => {
                head(5, v.len() as u64, out);
                for (k, val) in v {
                    encode(k, out);
                    encode(val, out);
                }
            }
            Item::Tag(t, i) => {
                head(6, *t, out);
                encode(i, out);
            }
        }
    }
}
