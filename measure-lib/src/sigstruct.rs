//! SIGSTRUCT (`.sig`) building, signing and verification, byte-identical to `gramine-sgx-sign`.
//!
//! # Signing a measured manifest (what `sgx-measure sign` does)
//!
//! ```no_run
//! use measure_lib::sigstruct::{load_private_key, make_sigstruct, parse_date, sign};
//! # fn demo(measured: &measure_lib::measure::Measured) -> measure_lib::Result<()> {
//! let version = measure_core::profile::GramineVersion::V1_9;
//! let key = load_private_key("enclave-key.pem".as_ref(), None)?;
//! let mut sig = make_sigstruct(&measured.manifest, measured.mrenclave, version, parse_date("today")?)?;
//! // Two-step signing stops here: write `sig.signing_data()` (256 bytes) for the offline signer.
//! sign(&mut sig, &key)?;
//! measure_lib::fsutil::write_atomic("app.sig".as_ref(), &sig.to_bytes())?;
//! # Ok(()) }
//! ```
//!
//! * [`make_sigstruct`]: the to-be-signed SIGSTRUCT of `get_tbssigstruct` (date, MRENCLAVE, ISV
//!   values, attributes and masks, with the version's rules and errors).
//! * [`sign`]: RSA-3072, e = 3, PKCS#1 v1.5 over SHA-256 of [`Sigstruct::signing_data`], then
//!   modulus, exponent, signature, Q1 and Q2, as `Sigstruct.sign` stores them.
//! * [`attach_signature`]: the same with a signature made elsewhere (two-step / HSM signing; the
//!   signature is the big-endian PKCS#1 v1.5 signature that `openssl pkeyutl` or `openssl dgst
//!   -sign` write).
//! * [`verify`]: checks a SIGSTRUCT's signature, Q1, Q2, exponent and modulus.
//! * [`load_private_key`] / [`parse_private_key_pem`]: PEM keys (PKCS#1 `RSA PRIVATE KEY`,
//!   PKCS#8 `PRIVATE KEY`, passphrase-protected PKCS#8 `ENCRYPTED PRIVATE KEY`) with Gramine's
//!   checks (3072 bits, exponent 3).
//! * [`parse_date`]: `--date`: `"today"` or `YYYY-MM-DD` (a date that exists, or `0000-00-00`).
//! * [`default_sigfile`]: Gramine's default `.sig` path for a manifest path.

use std::path::{Path, PathBuf};

use crypto_bigint::ConcatenatingMul;
use measure_core::attributes::{
    AttributeInput, AttributesError, CpuFeatureValues, CpuFeatures, IsvField, ManifestValue,
    enclave_attributes,
};
use measure_core::profile::GramineVersion;
use measure_core::sigstruct::{DateEncoding, EXPONENT, KEY_BITS, KEY_SIZE, SigstructError, offset};
pub use measure_core::sigstruct::{SigDate, Sigstruct};
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::traits::PublicKeyParts;
use rsa::{BoxedUint, PrivateKey, PublicKey};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::manifest::ManifestError;
use crate::toml::{Table, Value};

/// A key that cannot be used to sign SIGSTRUCTs (or to check their signature).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key (what) is not usable: see the source.
    #[error("{what}")]
    In {
        /// The key (`signing key app.pem`).
        what: String,
        /// Why.
        #[source]
        source: Box<KeyError>,
    },
    /// Not RSA-3072.
    #[error("Invalid RSA key: expected key size {KEY_BITS}, got {bits}")]
    Size {
        /// The modulus size.
        bits: usize,
    },
    /// Not exponent 3.
    #[error("Invalid RSA key: expected exponent {EXPONENT}, got {exponent}")]
    Exponent {
        /// The exponent (decimal).
        exponent: String,
    },
    /// Not PEM text.
    #[error("{what} is not a PEM file")]
    NotText {
        /// The key.
        what: String,
    },
    /// No PEM block.
    #[error("{what} is not a PEM file (no \"-----BEGIN ...-----\" line)")]
    NotPem {
        /// The key.
        what: String,
    },
    /// An encrypted key without a passphrase.
    #[error("{what} is encrypted: give its passphrase with -p/--passphrase")]
    NeedsPassphrase {
        /// The key.
        what: String,
    },
    /// The passphrase does not decrypt the key.
    #[error("cannot decrypt {what} (wrong passphrase, or an unsupported cipher): {reason}")]
    Decrypt {
        /// The key.
        what: String,
        /// The decryption error.
        reason: String,
    },
    /// OpenSSL's legacy key encryption.
    #[error(
        "{what} is encrypted in the legacy OpenSSL format (Proc-Type/DEK-Info), which is not supported; convert it to PKCS#8: openssl pkcs8 -topk8 -v2 aes-256-cbc -in OLD.pem -out NEW.pem"
    )]
    LegacyEncrypted {
        /// The key.
        what: String,
    },
    /// A passphrase for a key that is not encrypted.
    #[error("a passphrase was given but {what} is not encrypted")]
    NotEncrypted {
        /// The key.
        what: String,
    },
    /// A PEM block that does not decode as the key its label names.
    #[error("{what}: invalid {format}: {reason}")]
    Invalid {
        /// The key.
        what: String,
        /// `PKCS#1 RSA private key`, ...
        format: &'static str,
        /// The decoding error.
        reason: String,
    },
    /// A PEM block that holds no private key.
    #[error(
        "Invalid key: {what} holds a {label:?}, expected an RSA private key (\"RSA PRIVATE KEY\", \"PRIVATE KEY\" or \"ENCRYPTED PRIVATE KEY\")"
    )]
    NotPrivateKey {
        /// The key.
        what: String,
        /// The PEM label found.
        label: String,
    },
    /// A PEM block that holds no public key.
    #[error("{what} holds a {label:?}, expected an RSA public key (\"PUBLIC KEY\")")]
    NotPublicKey {
        /// The key.
        what: String,
        /// The PEM label found.
        label: String,
    },
    /// Key generation failed.
    #[error("cannot generate an RSA key: {reason}")]
    Generate {
        /// The error.
        reason: String,
    },
    /// PEM encoding failed.
    #[error("cannot encode the key: {reason}")]
    Encode {
        /// The error.
        reason: String,
    },
}

impl KeyError {
    fn about(self, what: &str) -> KeyError {
        KeyError::In {
            what: what.to_string(),
            source: Box::new(self),
        }
    }
}

/// A signature that cannot be put in a SIGSTRUCT.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// Not 384 bytes.
    #[error("the signature is {len} bytes, expected {KEY_SIZE} (an RSA-3072 signature)")]
    Size {
        /// Its length.
        len: usize,
    },
    /// The bytes are in little-endian order.
    #[error(
        "the signature is byte-reversed (little-endian); give the big-endian signature as openssl writes it"
    )]
    Reversed,
    /// Not a signature of the signing data under this key.
    #[error(
        "the signature does not verify with this public key over this signing data ({reason}); it must be an RSA PKCS#1 v1.5 signature over SHA-256 of the 256-byte signing data"
    )]
    DoesNotVerify {
        /// The verifier's error.
        reason: String,
    },
    /// RSA signing failed.
    #[error("RSA signing failed: {reason}")]
    Signing {
        /// The error.
        reason: String,
    },
}

fn manifest_value(v: Option<&Value>) -> ManifestValue<'_> {
    match v {
        None => ManifestValue::Absent,
        Some(Value::Boolean(b)) => ManifestValue::Bool(*b),
        Some(Value::Integer(i)) => ManifestValue::Int(*i),
        Some(Value::Float(f)) => ManifestValue::Float(*f),
        Some(Value::String(s)) => ManifestValue::Str(s),
        Some(_) => ManifestValue::Other,
    }
}

/// The `sgx.*` values that the SIGSTRUCT attributes depend on.
pub fn attribute_input(manifest: &Table) -> Result<AttributeInput<'_>> {
    let sgx = match manifest.get("sgx") {
        None => return Ok(AttributeInput::default()),
        Some(Value::Table(t)) => t,
        Some(other) => {
            return Err(ManifestError::NotATable {
                key: "sgx".into(),
                found: other.type_name(),
            }
            .into());
        }
    };
    let get = |k: &str| manifest_value(sgx.get(k));
    let cpu_features = match sgx.get("cpu_features") {
        None => CpuFeatures::Absent,
        Some(Value::Table(t)) => {
            let f = |k: &str| manifest_value(t.get(k));
            CpuFeatures::Table(CpuFeatureValues {
                avx: f("avx"),
                avx512: f("avx512"),
                amx: f("amx"),
                mpx: f("mpx"),
                pkru: f("pkru"),
            })
        }
        Some(_) => CpuFeatures::NotTable,
    };
    Ok(AttributeInput {
        isvprodid: get("isvprodid"),
        isvsvn: get("isvsvn"),
        debug: get("debug"),
        use_exinfo: get("use_exinfo"),
        require_exinfo: get("require_exinfo"),
        support_exinfo: get("support_exinfo"),
        require_avx: get("require_avx"),
        require_avx512: get("require_avx512"),
        require_mpx: get("require_mpx"),
        require_pkru: get("require_pkru"),
        require_amx: get("require_amx"),
        cpu_features,
    })
}

/// Python's `str()` of a scalar, for Gramine-like error messages.
fn python_repr(v: Option<&Value>) -> String {
    match v {
        Some(Value::Float(f)) if f.fract() == 0.0 && f.is_finite() => format!("{f:.1}"),
        Some(v @ (Value::String(_) | Value::Integer(_) | Value::Boolean(_) | Value::Float(_))) => {
            v.python_str()
        }
        Some(v) => format!("<{}>", v.type_name()),
        None => "None".into(),
    }
}

/// The to-be-signed SIGSTRUCT that `gramine-sgx-sign` of `version` builds for a final manifest
/// (`get_tbssigstruct`): `date` in the version's encoding, `mrenclave`, ISVPRODID / ISVSVN and
/// the attributes from the manifest's `sgx` table (Gramine's defaults for missing keys). The
/// signature fields are zero until [`sign`] or [`attach_signature`].
///
/// Errors are Gramine's: an ISV value outside 0..=65535, a `sgx.cpu_features` value it refuses,
/// and (v1.6/v1.7) deprecated keys next to their replacements.
pub fn make_sigstruct(
    manifest: &Table,
    mrenclave: [u8; 32],
    version: GramineVersion,
    date: SigDate,
) -> Result<Sigstruct> {
    let input = attribute_input(manifest)?;
    let attrs = enclave_attributes(&input, version).map_err(|e| match e {
        AttributesError::IsvNotU16 { field, value: None } => {
            let key = match field {
                IsvField::ProdId => "isvprodid",
                IsvField::Svn => "isvsvn",
            };
            let v = manifest.get_path(&["sgx", key]);
            Error::from(ManifestError::IsvNotU16 {
                key: field.key(),
                found: v.map(Value::type_name).unwrap_or("nothing"),
                shown: python_repr(v),
            })
        }
        e => Error::from(e),
    })?;
    Ok(Sigstruct::unsigned(&attrs, mrenclave, date, version)?)
}

/// Parses `--date`: `today` (any case; the local date, as `datetime.date.today()`) or
/// `YYYY-MM-DD` with exactly 4, 2 and 2 digits (Gramine's `BCDDateParamType` pattern) naming a
/// date that exists, as Python's `datetime.date` requires: year 1 to 9999, month 1 to 12, day
/// within the month (leap years as in the Gregorian calendar). A date that does not exist
/// (2026-13-01, 2026-02-30, 0000-01-01) is refused rather than written into the SIGSTRUCT: it
/// is almost always a typo. The one exception is `0000-00-00`, the "no date" value Gramine
/// v1.6+ accepts on purpose.
pub fn parse_date(s: &str) -> Result<SigDate> {
    if s.eq_ignore_ascii_case("today") {
        use chrono::Datelike;
        let today = chrono::Local::now().date_naive();
        let date = u16::try_from(today.year())
            .ok()
            .and_then(|year| SigDate::new(year, today.month() as u8, today.day() as u8));
        return date
            .ok_or_else(|| Error::Invalid(format!("the current date {today} is out of range")));
    }
    let date = SigDate::parse(s).ok_or_else(|| {
        Error::Invalid(format!(
            "invalid date {s:?}: expecting \"today\" or YYYY-MM-DD"
        ))
    })?;
    if date
        == (SigDate {
            year: 0,
            month: 0,
            day: 0,
        })
    {
        return Ok(date);
    }
    if let Some(problem) = calendar_problem(date) {
        return Err(Error::Invalid(format!(
            "invalid date {s:?}: {problem} (Python's datetime.date refuses it; 0000-00-00 is the only date accepted that does not exist)"
        )));
    }
    Ok(date)
}

/// Why `datetime.date(year, month, day)` would raise `ValueError`, if it would.
fn calendar_problem(d: SigDate) -> Option<String> {
    if !(1..=9999).contains(&d.year) {
        return Some("year must be between 1 and 9999".into());
    }
    if !(1..=12).contains(&d.month) {
        return Some("month must be between 1 and 12".into());
    }
    let leap =
        d.year.is_multiple_of(4) && (!d.year.is_multiple_of(100) || d.year.is_multiple_of(400));
    let days = match d.month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (d.day < 1 || d.day > days).then(|| format!("day must be between 1 and {days} in that month"))
}

/// Gramine's default `.sig` path: the manifest path with a final `.manifest` replaced by `.sig`,
/// otherwise with `.sig` appended (`app.manifest` → `app.sig`, `app.toml` → `app.toml.sig`).
pub fn default_sigfile(manifest: &Path) -> PathBuf {
    let s = manifest.as_os_str().to_string_lossy();
    match s.strip_suffix(".manifest") {
        Some(stem) => PathBuf::from(format!("{stem}.sig")),
        None => {
            let mut p = manifest.as_os_str().to_owned();
            p.push(".sig");
            PathBuf::from(p)
        }
    }
}

/// Gramine's default signing key (`SGX_RSA_KEY_PATH`): `$XDG_CONFIG_HOME/gramine/enclave-key.pem`,
/// or `~/.config/gramine/enclave-key.pem` when `XDG_CONFIG_HOME` is not set (as Python's
/// `os.getenv('XDG_CONFIG_HOME', os.path.expanduser('~/.config'))`); `None` without either
/// variable.
pub fn default_key_path() -> Option<PathBuf> {
    let config = match std::env::var_os("XDG_CONFIG_HOME") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".config"),
    };
    Some(config.join("gramine").join("enclave-key.pem"))
}

/// Checks a key as Gramine's `load_private_key_from_pem_file` does: 3072 bits, exponent 3.
pub fn check_key(key: &impl PublicKeyParts) -> Result<(), KeyError> {
    let bits = key.n().as_ref().bit_width_vartime() as usize;
    if bits != KEY_BITS {
        return Err(KeyError::Size { bits });
    }
    let e = key.e();
    if *e != BoxedUint::from(u64::from(EXPONENT)) {
        return Err(KeyError::Exponent {
            exponent: e.to_string_radix_vartime(10).to_string(),
        });
    }
    Ok(())
}

/// The PEM label (`RSA PRIVATE KEY`, ...) of the first PEM block.
fn pem_label(pem: &str) -> Option<&str> {
    let start = pem.find("-----BEGIN ")? + "-----BEGIN ".len();
    let rest = pem.get(start..)?;
    let end = rest.find("-----")?;
    rest.get(..end)
}

/// Parses a PEM private key: PKCS#1 (`RSA PRIVATE KEY`), PKCS#8 (`PRIVATE KEY`) or
/// passphrase-protected PKCS#8 (`ENCRYPTED PRIVATE KEY`, PBES2). Then checks it with
/// [`check_key`]. `what` names the key in errors.
pub fn parse_private_key_pem(
    pem: &str,
    passphrase: Option<&str>,
    what: &str,
) -> Result<PrivateKey, KeyError> {
    let what_s = || what.to_string();
    let invalid = |format: &'static str| {
        move |e: rsa::pkcs8::Error| KeyError::Invalid {
            what: what.to_string(),
            format,
            reason: e.to_string(),
        }
    };
    let label = pem_label(pem).ok_or_else(|| KeyError::NotPem { what: what_s() })?;
    let key = match label {
        "ENCRYPTED PRIVATE KEY" => {
            let pass = passphrase.ok_or_else(|| KeyError::NeedsPassphrase { what: what_s() })?;
            PrivateKey::from_pkcs8_encrypted_pem(pem, pass.as_bytes()).map_err(|e| {
                KeyError::Decrypt {
                    what: what_s(),
                    reason: e.to_string(),
                }
            })?
        }
        "RSA PRIVATE KEY" if pem.contains("Proc-Type: 4,ENCRYPTED") => {
            return Err(KeyError::LegacyEncrypted { what: what_s() });
        }
        "RSA PRIVATE KEY" | "PRIVATE KEY" if passphrase.is_some() => {
            return Err(KeyError::NotEncrypted { what: what_s() });
        }
        "RSA PRIVATE KEY" => PrivateKey::from_pkcs1_pem(pem).map_err(|e| KeyError::Invalid {
            what: what_s(),
            format: "PKCS#1 RSA private key",
            reason: e.to_string(),
        })?,
        "PRIVATE KEY" => PrivateKey::from_pkcs8_pem(pem)
            .map_err(invalid("PKCS#8 private key (SGX needs an RSA key)"))?,
        other => {
            return Err(KeyError::NotPrivateKey {
                what: what_s(),
                label: other.to_string(),
            });
        }
    };
    check_key(&key).map_err(|e| e.about(what))?;
    Ok(key)
}

/// Reads and parses a PEM private key file (see [`parse_private_key_pem`]).
pub fn load_private_key(path: &Path, passphrase: Option<&str>) -> Result<PrivateKey> {
    let bytes = crate::fsutil::read(path, "signing key")?;
    let what = format!("signing key {}", path.display());
    let text = String::from_utf8(bytes).map_err(|_| KeyError::NotText { what: what.clone() })?;
    Ok(parse_private_key_pem(&text, passphrase, &what)?)
}

/// Parses a PEM public key: SubjectPublicKeyInfo (`PUBLIC KEY`, what `openssl pkey -pubout`
/// writes) or PKCS#1 (`RSA PUBLIC KEY`); a private key file is accepted too. Checked with
/// [`check_key`].
pub fn parse_public_key_pem(pem: &str, what: &str) -> Result<PublicKey, KeyError> {
    let invalid = |format: &'static str, reason: String| KeyError::Invalid {
        what: what.to_string(),
        format,
        reason,
    };
    let label = pem_label(pem).ok_or_else(|| KeyError::NotPem {
        what: what.to_string(),
    })?;
    let key = match label {
        "PUBLIC KEY" => PublicKey::from_public_key_pem(pem)
            .map_err(|e| invalid("RSA public key", e.to_string()))?,
        "RSA PUBLIC KEY" => PublicKey::from_pkcs1_pem(pem)
            .map_err(|e| invalid("PKCS#1 RSA public key", e.to_string()))?,
        "RSA PRIVATE KEY" | "PRIVATE KEY" => {
            parse_private_key_pem(pem, None, what)?.to_public_key()
        }
        other => {
            return Err(KeyError::NotPublicKey {
                what: what.to_string(),
                label: other.to_string(),
            });
        }
    };
    check_key(&key).map_err(|e| e.about(what))?;
    Ok(key)
}

/// Reads and parses a PEM public key file (see [`parse_public_key_pem`]).
pub fn load_public_key(path: &Path) -> Result<PublicKey> {
    let bytes = crate::fsutil::read(path, "public key")?;
    let what = format!("public key {}", path.display());
    let text = String::from_utf8(bytes).map_err(|_| KeyError::NotText { what: what.clone() })?;
    Ok(parse_public_key_pem(&text, &what)?)
}

/// A new RSA-3072 key with exponent 3, like `gramine-sgx-gen-private-key`.
pub fn generate_private_key() -> Result<PrivateKey, KeyError> {
    let mut rng = getrandom::SysRng;
    PrivateKey::new_with_exp(&mut rng, KEY_BITS, BoxedUint::from(u64::from(EXPONENT))).map_err(
        |e| KeyError::Generate {
            reason: e.to_string(),
        },
    )
}

/// The key as PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`, what Gramine writes).
pub fn private_key_pem(key: &PrivateKey) -> Result<String, KeyError> {
    let pem = key
        .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
        .map_err(|e| KeyError::Encode {
            reason: e.to_string(),
        })?;
    Ok(pem.as_str().to_owned())
}

/// MRSIGNER of a key: the SHA-256 of its modulus as SIGSTRUCT stores it (384 bytes,
/// little-endian), what every enclave signed with it reports.
pub fn mrsigner_of(key: &PrivateKey) -> Result<[u8; 32]> {
    let modulus = le_bytes(key.n(), "the modulus")?;
    Ok(Sha256::digest(modulus).into())
}

/// `n` as 384 little-endian bytes.
fn le_bytes(n: &BoxedUint, what: &str) -> Result<[u8; KEY_SIZE]> {
    let bytes = n.to_le_bytes();
    let (low, high) = bytes.split_at(bytes.len().min(KEY_SIZE));
    if high.iter().any(|&b| b != 0) {
        return Err(Error::Internal(format!(
            "{what} does not fit in {KEY_SIZE} bytes"
        )));
    }
    let mut out = [0u8; KEY_SIZE];
    out.get_mut(..low.len())
        .ok_or_else(|| Error::Internal(format!("{what} does not fit")))?
        .copy_from_slice(low);
    Ok(out)
}

/// Q1 = floor(s² / n) and Q2 = floor((s² mod n) · s / n), as `Sigstruct.sign` computes them
/// (they let the CPU check s³ mod n without a division).
fn q1_q2(signature: &BoxedUint, key: &PublicKey) -> Result<([u8; KEY_SIZE], [u8; KEY_SIZE])> {
    let n = key.n();
    let square = signature.concatenating_mul(signature);
    let (q1, rem) = square.div_rem(n);
    let (q2, _) = rem.concatenating_mul(signature).div_rem(n);
    Ok((le_bytes(&q1, "Q1")?, le_bytes(&q2, "Q2")?))
}

/// Fills MODULUS, EXPONENT, SIGNATURE, Q1 and Q2 from `key` and a big-endian PKCS#1 v1.5
/// signature over [`Sigstruct::signing_data`], after checking that it verifies.
///
/// `signature_be` is what `openssl pkeyutl -sign` / `openssl dgst -sha256 -sign` write (384
/// bytes, big-endian); SIGSTRUCT stores it little-endian.
pub fn attach_signature(sig: &mut Sigstruct, key: &PublicKey, signature_be: &[u8]) -> Result<()> {
    check_key(key)?;
    if signature_be.len() != KEY_SIZE {
        return Err(SignatureError::Size {
            len: signature_be.len(),
        }
        .into());
    }
    let hash = Sha256::digest(sig.signing_data());
    if let Err(e) = key.pkcs1v15_verify_prehash::<Sha256>(&hash, signature_be) {
        let mut reversed = signature_be.to_vec();
        reversed.reverse();
        if key
            .pkcs1v15_verify_prehash::<Sha256>(&hash, &reversed)
            .is_ok()
        {
            return Err(SignatureError::Reversed.into());
        }
        return Err(SignatureError::DoesNotVerify {
            reason: e.to_string(),
        }
        .into());
    }
    let s = BoxedUint::from_be_slice(signature_be, KEY_BITS as u32).map_err(|e| {
        SignatureError::DoesNotVerify {
            reason: e.to_string(),
        }
    })?;
    let (q1, q2) = q1_q2(&s, key)?;
    sig.modulus = le_bytes(key.n().as_ref(), "modulus")?;
    sig.exponent = EXPONENT;
    sig.signature = le_bytes(&s, "signature")?;
    sig.q1 = q1;
    sig.q2 = q2;
    Ok(())
}

/// Signs `sig` in place as `gramine-sgx-sign` does: RSA PKCS#1 v1.5 over SHA-256 of
/// [`Sigstruct::signing_data`], then MODULUS, EXPONENT (3), SIGNATURE, Q1 and Q2. The key must be
/// RSA-3072 with exponent 3. PKCS#1 v1.5 is deterministic, so the result is byte-identical to
/// Gramine's for the same key and fields. The private-key operation is the `rsa` crate's CRT
/// exponentiation on constant-time bignums, checked by re-encrypting, without blinding (see
/// `measure-cli/Cargo.toml`). No blinding is asked for explicitly (no random source given), so
/// it stays so when another crate of the build turns on `rsa`'s `getrandom` feature (the token
/// verifier's `jsonwebtoken` does).
pub fn sign(sig: &mut Sigstruct, key: &PrivateKey) -> Result<()> {
    use rsa::traits::SignatureScheme as _;
    check_key(key)?;
    let hash = Sha256::digest(sig.signing_data());
    let signature = rsa::Pkcs1v15Sign::new::<Sha256>()
        .sign(None::<&mut getrandom::SysRng>, key, &hash)
        .map_err(|e| SignatureError::Signing {
            reason: e.to_string(),
        })?;
    attach_signature(sig, key.as_public_key(), &signature)
}

/// Output format of [`view`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewFormat {
    /// `Attributes:` and indented `key: value` lines.
    Text,
    /// `json.dump(..., indent=4)` (no final newline).
    Json,
    /// `tomli_w.dump`.
    Toml,
}

/// What `gramine-sgx-sigstruct-view` prints for `sig` (`verbose` = `--verbose`). `version` is
/// the Gramine version that wrote it (date encoding; v1.5's unpadded year).
pub fn view(
    sig: &Sigstruct,
    format: ViewFormat,
    verbose: bool,
    version: GramineVersion,
) -> Result<String, SigstructError> {
    enum V {
        S(String),
        I(u64),
        B(bool),
    }
    let date = sig.date(DateEncoding::for_version(version))?;
    let date = if version.rules().view_unpadded_year {
        format!("{}-{:02}-{:02}", date.year, date.month, date.day)
    } else {
        date.to_string()
    };
    let mut fields = vec![
        ("mr_signer", V::S(hex::encode(sig.mrsigner()))),
        ("mr_enclave", V::S(hex::encode(sig.enclave_hash))),
        ("isv_prod_id", V::I(sig.isv_prod_id.into())),
        ("isv_svn", V::I(sig.isv_svn.into())),
    ];
    if verbose {
        fields.extend([
            (
                "attribute_flags",
                V::S(format!("{:#x}", sig.attribute_flags)),
            ),
            (
                "attribute_xfrms",
                V::S(format!("{:#x}", sig.attribute_xfrm)),
            ),
            ("misc_select", V::S(format!("{:#x}", sig.misc_select))),
            (
                "attribute_flags_mask",
                V::S(format!("{:#x}", sig.attribute_flags_mask)),
            ),
            (
                "attribute_xfrm_mask",
                V::S(format!("{:#x}", sig.attribute_xfrm_mask)),
            ),
            ("misc_mask", V::S(format!("{:#x}", sig.misc_mask))),
            ("date", V::S(date)),
        ]);
    }
    fields.push(("debug_enclave", V::B(sig.is_debug())));

    let mut out = String::new();
    match format {
        ViewFormat::Text => {
            out.push_str("Attributes:\n");
            for (k, v) in &fields {
                let v = match v {
                    V::S(s) => s.clone(),
                    V::I(i) => i.to_string(),
                    V::B(true) => "True".into(),
                    V::B(false) => "False".into(),
                };
                out.push_str(&format!("    {k}: {v}\n"));
            }
        }
        ViewFormat::Toml => {
            // All strings here are hex digits, digits and dashes: no escaping needed.
            for (k, v) in &fields {
                let v = match v {
                    V::S(s) => format!("\"{s}\""),
                    V::I(i) => i.to_string(),
                    V::B(b) => b.to_string(),
                };
                out.push_str(&format!("{k} = {v}\n"));
            }
        }
        ViewFormat::Json => {
            out.push_str("{\n");
            let n = fields.len();
            for (i, (k, v)) in fields.iter().enumerate() {
                let v = match v {
                    V::S(s) => format!("\"{s}\""),
                    V::I(i) => i.to_string(),
                    V::B(b) => b.to_string(),
                };
                let comma = if i + 1 < n { "," } else { "" };
                out.push_str(&format!("    \"{k}\": {v}{comma}\n"));
            }
            out.push('}');
        }
    }
    Ok(out)
}

/// The result of each check of [`verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    /// `(check name, Ok or the reason it failed)`, in order: `EXPONENT`, `MODULUS`,
    /// `SIGNATURE`, `Q1`, `Q2`, `RESERVED`.
    pub checks: Vec<(&'static str, std::result::Result<(), String>)>,
}

impl Verification {
    /// Whether every check passed.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|(_, r)| r.is_ok())
    }

    /// The names of the failed checks.
    pub fn failed(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|(_, r)| r.is_err())
            .map(|(n, _)| *n)
            .collect()
    }
}

/// Checks a SIGSTRUCT's signature as the CPU's EINIT would, plus Gramine's output rules:
/// EXPONENT is 3; MODULUS is a valid 3072-bit modulus; SIGNATURE is a PKCS#1 v1.5 SHA-256
/// signature of the signing data under MODULUS; Q1 and Q2 match the signature; the 12 reserved
/// bytes after ISVSVN (the only ones not covered by the signature) are zero.
pub fn verify(sig: &Sigstruct) -> Verification {
    let mut checks: Vec<(&'static str, std::result::Result<(), String>)> = Vec::new();
    checks.push((
        "EXPONENT",
        if sig.exponent == EXPONENT {
            Ok(())
        } else {
            Err(format!(
                "EXPONENT is {}, SGX requires {EXPONENT}",
                sig.exponent
            ))
        },
    ));
    let n = BoxedUint::from_le_slice(&sig.modulus, KEY_BITS as u32);
    let key = n.map_err(|e| format!("{e}")).and_then(|n| {
        let bits = n.bit_width_vartime() as usize;
        if bits != KEY_BITS {
            return Err(format!("MODULUS has {bits} bits, expected {KEY_BITS}"));
        }
        PublicKey::new(n, BoxedUint::from(u64::from(EXPONENT)))
            .map_err(|e| format!("MODULUS is not a valid RSA modulus: {e}"))
    });
    checks.push(("MODULUS", key.as_ref().map(|_| ()).map_err(Clone::clone)));
    let skipped = || Err("not checked: no valid modulus".to_string());
    match key {
        Ok(key) => {
            let mut be = sig.signature;
            be.reverse();
            let hash = Sha256::digest(sig.signing_data());
            checks.push((
                "SIGNATURE",
                key.pkcs1v15_verify_prehash::<Sha256>(&hash, &be)
                    .map_err(|e| format!("SIGNATURE does not verify: {e}")),
            ));
            let s = BoxedUint::from_le_slice(&sig.signature, KEY_BITS as u32);
            match s
                .map_err(|e| e.to_string())
                .and_then(|s| q1_q2(&s, &key).map_err(|e| e.to_string()))
            {
                Ok((q1, q2)) => {
                    checks.push((
                        "Q1",
                        if q1 == sig.q1 {
                            Ok(())
                        } else {
                            Err("Q1 does not match floor(SIGNATURE^2 / MODULUS)".into())
                        },
                    ));
                    checks.push((
                        "Q2",
                        if q2 == sig.q2 {
                            Ok(())
                        } else {
                            Err(
                                "Q2 does not match floor((SIGNATURE^2 mod MODULUS) * SIGNATURE / MODULUS)"
                                    .into(),
                            )
                        },
                    ));
                }
                Err(e) => {
                    checks.push(("Q1", Err(e.clone())));
                    checks.push(("Q2", Err(e)));
                }
            }
        }
        Err(_) => {
            checks.push(("SIGNATURE", skipped()));
            checks.push(("Q1", skipped()));
            checks.push(("Q2", skipped()));
        }
    }
    checks.push((
        "RESERVED",
        if sig.reserved4.iter().all(|&b| b == 0) {
            Ok(())
        } else {
            Err(format!(
                "reserved bytes {}..{} (not covered by the signature) are not zero",
                offset::RESERVED4,
                offset::Q1
            ))
        },
    ));
    Verification { checks }
}
