//! Intel SGX SDK enclaves (and Occlum's LibOS enclave, which is one): MRENCLAVE, signing,
//! two-step signing and `dump`, byte-identical to the SDK's `sgx_sign` 2.20 to 2.26 (and Occlum's copy of 2.20).
//!
//! The rules live in [`measure_core::sdk`]; this module adds the files: the configuration XML
//! ([`xml`]), keys, the date, the signed enclave, and the dump format ([`dump`]).
//!
//! ```no_run
//! # fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use measure_lib::sdk;
//! let enclave = std::fs::read("enclave.so")?;
//! let config = std::fs::read("Enclave.config.xml")?;
//! let prepared = sdk::prepare(&enclave, Some(&config), None, Default::default())?;
//! println!("{}", hex::encode(prepared.mrenclave()));
//! let key = measure_lib::sigstruct::load_private_key("key.pem".as_ref(), None)?;
//! let signed = sdk::sign(&prepared, &key, sdk::date_today())?;
//! measure_lib::fsutil::write_atomic("enclave.signed.so".as_ref(), &signed.file)?;
//! # Ok(()) }
//! ```

pub mod dump;
pub mod xml;

use measure_core::sdk::SdkElfError;
use measure_core::sdk::css::date_word;
use measure_core::sdk::metadata::FIPS_SIG_SIZE;
pub use measure_core::sdk::{
    ElfOptions, Param, SdkConfig, SdkElf, SdkEnclave, SdkError, SdkVersion, SignOptions,
    detect_version,
};
use measure_core::sigstruct::{KEY_SIZE, SIGNING_DATA_SIZE, SigDate, Sigstruct};
use rsa::traits::PublicKeyParts;
use rsa::{BoxedUint, PrivateKey, PublicKey};
use sha2::Sha256;

use crate::error::Result;

/// What the SDK part of this library refuses, besides `sgx_sign`'s own refusals of the enclave
/// and configuration ([`SdkError`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SdkFileError {
    /// The configuration is not XML that tinyxml2 reads, or not shaped as `sgx_sign` wants.
    #[error("Configuration file format is not correct")]
    Xml(#[source] xml::XmlError),
    /// A parameter element is refused.
    #[error("Configuration file format is not correct: line {line}: <{element}>")]
    Element {
        /// Line of the element.
        line: usize,
        /// The element name.
        element: String,
        /// Why.
        #[source]
        source: measure_core::sdk::ConfigError,
    },
    /// `sgx_sign` refuses the enclave or the configuration, or the layout cannot be built.
    #[error(transparent)]
    Enclave(#[from] SdkError),
    /// A `-d`/`--date` that is not a date.
    #[error("invalid date {0:?}: expected YYYY-MM-DD, YYYYMMDD or \"today\"")]
    Date(String),
    /// The signing material given to `catsig` is not 256 bytes.
    #[error("The unsigned file is not correct: it is {len} bytes, gendata writes 256")]
    SigningMaterialSize {
        /// Its size.
        len: usize,
    },
    /// The signing material does not match the enclave and configuration.
    #[error(
        "The unsigned file content doesn't match the configuration file (if provided) or the internal configuration defaults"
    )]
    SigningMaterialMismatch,
    /// The signature given to `catsig` is not 384 bytes.
    #[error("The signature file is not correct: it is {len} bytes, expected 384")]
    SignatureSize {
        /// Its size.
        len: usize,
    },
    /// The throw-away FIPS signing key or signature could not be made.
    #[error("FIPS signature: {0}")]
    Fips(String),
    /// `dump`: the file is not an enclave `sgx_sign dump` reads.
    #[error("the input enclave file is not correct")]
    DumpElf(#[source] SdkElfError),
    /// `dump`: the metadata extends past the end of the file.
    #[error("the metadata at file offset {offset:#x} extends past the end of the file")]
    DumpTruncated {
        /// File offset of the metadata block.
        offset: u64,
    },
    /// `dump`: the enclave is not signed.
    #[error(
        "the enclave is not signed: its metadata note holds no metadata (sgx_sign dump would print zeros)"
    )]
    NotSigned,
    /// `dump`: a metadata block of size 0, which `sgx_sign dump` fails on.
    #[error("metadata with size 0: sgx_sign dump fails on it")]
    ZeroSizeMetadata,
}

impl From<SdkError> for crate::error::Error {
    fn from(e: SdkError) -> Self {
        SdkFileError::Enclave(e).into()
    }
}

/// Reads a SIGSTRUCT as the SDK writes it (`-cssfile`, or the one in a signed enclave): the
/// SDM's 12-byte HEADER, then TYPE (0, or bit 31 for `ReleaseType` 1), then HEADER2 at 24.
pub fn parse_css(bytes: &[u8]) -> Result<Sigstruct> {
    use measure_core::sigstruct::{SIGSTRUCT_SIZE, SigstructError};
    let raw: &[u8; SIGSTRUCT_SIZE] = bytes
        .try_into()
        .map_err(|_| SigstructError::WrongLength { len: bytes.len() })?;
    let s = Sigstruct::from_bytes_unchecked(raw);
    let kind = u32::from_le_bytes([s.header[12], s.header[13], s.header[14], s.header[15]]);
    if s.header[..12] != measure_core::sdk::css::HEADER12 || (kind != 0 && kind != 1 << 31) {
        return Err(SigstructError::BadHeader.into());
    }
    if s.header2 != measure_core::sigstruct::HEADER2 {
        return Err(SigstructError::BadHeader2.into());
    }
    Ok(s)
}

/// Reads `Enclave.config.xml` for `version`'s `sgx_sign`: the XML, then each element.
pub fn parse_config(xml: &[u8], version: SdkVersion) -> Result<SdkConfig> {
    let elements = xml::config_elements(xml).map_err(SdkFileError::Xml)?;
    let mut config = SdkConfig::new();
    for e in &elements {
        let name = std::str::from_utf8(&e.name).unwrap_or("\u{fffd}");
        config
            .apply_element(name, e.text.as_deref(), version)
            .map_err(|source| SdkFileError::Element {
                line: e.line,
                element: String::from_utf8_lossy(&e.name).into_owned(),
                source,
            })?;
    }
    Ok(config)
}

/// An enclave checked and laid out as `sgx_sign` of its release would, ready to measure and
/// sign (it borrows the enclave bytes).
#[derive(Clone, Copy, Debug)]
pub struct Prepared<'a> {
    /// The enclave, layout and templates.
    pub enclave: SdkEnclave<'a>,
}

impl Prepared<'_> {
    /// MRENCLAVE.
    pub fn mrenclave(&self) -> [u8; 32] {
        self.enclave.mrenclave()
    }

    /// The release reproduced.
    pub fn version(&self) -> SdkVersion {
        self.enclave.version
    }
}

/// Checks and lays out `enclave` with a configuration (`None`: `sgx_sign` without `-config`)
/// for `version` (`None`: the release the enclave was built with, from its `g_global_data`).
/// Errors come in `sgx_sign`'s order: configuration file, then enclave file, then the
/// configuration's consistency and the layout.
pub fn prepare<'a>(
    enclave: &'a [u8],
    config_xml: Option<&[u8]>,
    version: Option<SdkVersion>,
    options: SignOptions,
) -> Result<Prepared<'a>> {
    let elf = SdkElf::parse(enclave);
    let version = match (version, &elf) {
        (Some(v), _) => v,
        (None, Ok(elf)) => match detect_version(elf) {
            Ok(v) => v,
            Err(e @ SdkError::UnsupportedSdkVersion { .. }) => return Err(e.into()),
            // No readable version word: any release refuses it, at its own step.
            Err(_) => SdkVersion::LATEST,
        },
        (None, Err(_)) => SdkVersion::LATEST,
    };
    let config = match config_xml {
        Some(xml) => parse_config(xml, version)?,
        None => SdkConfig::new(),
    };
    let elf = elf.map_err(SdkError::Elf)?;
    let enclave = SdkEnclave::new(elf, &config, version, options)?;
    Ok(Prepared { enclave })
}

/// The SIGSTRUCT DATE word for a date (`yyyymmdd` read as hex, as `sgx_sign` writes it).
pub fn date_of(d: SigDate) -> u32 {
    date_word(d.year, d.month, d.day)
}

/// Today's date in UTC (`sgx_sign` dates with `gmtime`).
pub fn date_today() -> u32 {
    use chrono::Datelike;
    let now = chrono::Utc::now().date_naive();
    date_word(now.year() as u16, now.month() as u8, now.day() as u8)
}

/// Parses `-d`/`--date`: `YYYY-MM-DD`, `YYYYMMDD`, or `today` (UTC).
pub fn parse_date(s: &str) -> Result<u32> {
    if s == "today" {
        return Ok(date_today());
    }
    let d = if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        SigDate::parse(&format!("{}-{}-{}", &s[..4], &s[4..6], &s[6..]))
    } else {
        SigDate::parse(s)
    };
    d.map(date_of)
        .ok_or_else(|| SdkFileError::Date(s.to_string()).into())
}

/// A signed enclave: the SIGSTRUCT, the metadata block and the whole file.
#[derive(Clone, Debug)]
pub struct Signed {
    /// The signed `enclave_css`.
    pub css: Sigstruct,
    /// The `METADATA_SIZE` bytes written at the metadata note's descriptor.
    pub metadata: Vec<u8>,
    /// The signed enclave file.
    pub file: Vec<u8>,
}

/// The FIPS signature entry `sgx_sign` adds with IPP FIPS: a signature of the signed
/// SIGSTRUCT by a key generated for the occasion (RSA-3072, e = 65537), stored as modulus
/// (little-endian), exponent (little-endian) and signature (big-endian, as OpenSSL returns it).
fn fips_signature(css: &Sigstruct) -> Result<[u8; FIPS_SIG_SIZE as usize]> {
    let mut rng = getrandom::SysRng;
    let fail = |what: &str, e: &dyn std::fmt::Display| SdkFileError::Fips(format!("{what}: {e}"));
    let key = PrivateKey::new_with_exp(&mut rng, 3072, BoxedUint::from(65537u64))
        .map_err(|e| fail("cannot generate the key", &e))?;
    let sig = key
        .pkcs1v15_sign::<Sha256>(&css.to_bytes())
        .map_err(|e| fail("cannot sign", &e))?;
    let mut out = [0u8; FIPS_SIG_SIZE as usize];
    let n = key.n().as_ref().to_le_bytes();
    let e = key.e().to_le_bytes();
    let size = || fail("unexpected size", &"key or signature");
    out[..KEY_SIZE].copy_from_slice(n.get(..KEY_SIZE).ok_or_else(size)?);
    out[KEY_SIZE..KEY_SIZE + 3].copy_from_slice(e.get(..3).ok_or_else(size)?);
    out[KEY_SIZE + 4..].copy_from_slice(sig.get(..KEY_SIZE).ok_or_else(size)?);
    Ok(out)
}

/// The signed file: the input with `METADATA_SIZE` bytes written at the metadata note's
/// descriptor (extending the file when the note is too small and last, as `sgx_sign` does).
fn finish(p: &Prepared<'_>, css: Sigstruct) -> Result<Signed> {
    let e = &p.enclave;
    let fips = if e.params.ipp_fips {
        Some(fips_signature(&css)?)
    } else {
        None
    };
    let mut metadata = vec![0u8; e.version.metadata_size()];
    e.write_metadata(&css, fips.as_ref(), &mut metadata)?;
    let input = e.elf.data();
    // The note was found in the file, so its offset fits.
    let off = usize::try_from(e.elf.metadata_offset()).unwrap_or(usize::MAX);
    if off > input.len() {
        return Err(SdkError::MetadataOutsideFile.into());
    }
    let mut file = input.to_vec();
    let end = off + metadata.len();
    if file.len() < end {
        file.resize(end, 0);
    }
    file[off..end].copy_from_slice(&metadata);
    Ok(Signed {
        css,
        metadata,
        file,
    })
}

/// `sgx_sign sign`: the SIGSTRUCT dated `date`, signed with `key` (RSA-3072, e = 3), checked,
/// written into the metadata with its SGX1 copy.
pub fn sign(p: &Prepared<'_>, key: &PrivateKey, date: u32) -> Result<Signed> {
    let mut css = p.enclave.enclave_css(date);
    crate::sigstruct::sign(&mut css, key)?;
    finish(p, css)
}

/// `sgx_sign gendata`: the 256 bytes to sign (SIGSTRUCT header and body).
pub fn gendata(p: &Prepared<'_>, date: u32) -> [u8; SIGNING_DATA_SIZE] {
    p.enclave.enclave_css(date).signing_data()
}

/// `sgx_sign catsig`: the signed enclave from `gendata`'s output (whose date it keeps), a
/// signature of it (RSA PKCS#1 v1.5 over SHA-256, big-endian, 384 bytes, as `openssl dgst
/// -sha256 -sign` writes it) and the public key. Refused when the signing material does not
/// match the enclave and configuration, or the signature does not verify.
pub fn catsig(
    p: &Prepared<'_>,
    key: &PublicKey,
    signature: &[u8],
    signing_material: &[u8],
) -> Result<Signed> {
    let Some(date) = signing_material
        .get(20..24)
        .filter(|_| signing_material.len() == SIGNING_DATA_SIZE)
        .and_then(|d| <[u8; 4]>::try_from(d).ok())
    else {
        return Err(SdkFileError::SigningMaterialSize {
            len: signing_material.len(),
        }
        .into());
    };
    let mut css = p.enclave.enclave_css(u32::from_le_bytes(date));
    if css.signing_data()[..] != signing_material[..] {
        return Err(SdkFileError::SigningMaterialMismatch.into());
    }
    if signature.len() != KEY_SIZE {
        return Err(SdkFileError::SignatureSize {
            len: signature.len(),
        }
        .into());
    }
    crate::sigstruct::attach_signature(&mut css, key, signature)?;
    finish(p, css)
}
