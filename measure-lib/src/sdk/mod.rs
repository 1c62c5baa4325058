//! Intel SGX SDK enclaves (and Occlum's LibOS enclave, which is one): MRENCLAVE, signing,
//! two-step signing and `dump`, byte-identical to the SDK's `sgx_sign` 2.20 to 2.26 (and Occlum's copy of 2.20).
//!
//! The rules live in [`measure_core::sdk`]; this module adds the files: the configuration XML
//! ([`xml`]), keys, the date, the signed enclave, and the dump format ([`dump`]).
//!
//! ```no_run
//! # fn demo() -> anyhow::Result<()> {
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

use anyhow::{Context, Result, anyhow, bail};
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

/// Reads a SIGSTRUCT as the SDK writes it (`-cssfile`, or the one in a signed enclave): the
/// SDM's 12-byte HEADER, then TYPE (0, or bit 31 for `ReleaseType` 1), then HEADER2 at 24.
pub fn parse_css(bytes: &[u8]) -> Result<Sigstruct> {
    let raw: &[u8; measure_core::sigstruct::SIGSTRUCT_SIZE] = bytes.try_into().map_err(|_| {
        anyhow!(
            "not a SIGSTRUCT: {} bytes instead of {}",
            bytes.len(),
            measure_core::sigstruct::SIGSTRUCT_SIZE
        )
    })?;
    let s = Sigstruct::from_bytes_unchecked(raw);
    let kind = u32::from_le_bytes([s.header[12], s.header[13], s.header[14], s.header[15]]);
    if s.header[..12] != measure_core::sdk::css::HEADER12 || (kind != 0 && kind != 1 << 31) {
        bail!("not a SIGSTRUCT: HEADER and TYPE (bytes 0..16) do not have the fixed values");
    }
    if s.header2 != measure_core::sigstruct::HEADER2 {
        bail!("not a SIGSTRUCT: HEADER2 (bytes 24..40) does not have the fixed value");
    }
    Ok(s)
}

/// `sgx_sign`'s message for every configuration error, followed here by the reason.
const XML_FORMAT: &str = "Configuration file format is not correct";

/// Reads `Enclave.config.xml` for `version`'s `sgx_sign`: the XML, then each element.
pub fn parse_config(xml: &[u8], version: SdkVersion) -> Result<SdkConfig> {
    let elements = xml::config_elements(xml).map_err(|e| anyhow!("{XML_FORMAT}: {e}"))?;
    let mut config = SdkConfig::new();
    for e in &elements {
        let name = std::str::from_utf8(&e.name).unwrap_or("\u{fffd}");
        config
            .apply_element(name, e.text.as_deref(), version)
            .map_err(|err| {
                anyhow!(
                    "{XML_FORMAT}: line {}: <{}>: {err}",
                    e.line,
                    String::from_utf8_lossy(&e.name)
                )
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

fn sdk_error(e: SdkError) -> anyhow::Error {
    anyhow!("{e}")
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
            Err(SdkError::UnsupportedSdkVersion { found }) => {
                return Err(sdk_error(SdkError::UnsupportedSdkVersion { found }));
            }
            // No readable version word: any release refuses it, at its own step.
            Err(_) => SdkVersion::LATEST,
        },
        (None, Err(_)) => SdkVersion::LATEST,
    };
    let config = match config_xml {
        Some(xml) => parse_config(xml, version)?,
        None => SdkConfig::new(),
    };
    let elf = elf.map_err(|e| sdk_error(SdkError::Elf(e)))?;
    let enclave = SdkEnclave::new(elf, &config, version, options).map_err(sdk_error)?;
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
        .ok_or_else(|| anyhow!("invalid date {s:?}: expected YYYY-MM-DD, YYYYMMDD or \"today\""))
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
    let key = PrivateKey::new_with_exp(&mut rng, 3072, BoxedUint::from(65537u64))
        .map_err(|e| anyhow!("cannot generate the FIPS signing key: {e}"))?;
    let sig = key
        .pkcs1v15_sign::<Sha256>(&css.to_bytes())
        .map_err(|e| anyhow!("FIPS signature failed: {e}"))?;
    let mut out = [0u8; FIPS_SIG_SIZE as usize];
    let n = key.n().as_ref().to_le_bytes();
    let e = key.e().to_le_bytes();
    out[..KEY_SIZE].copy_from_slice(n.get(..KEY_SIZE).context("modulus size")?);
    out[KEY_SIZE..KEY_SIZE + 3].copy_from_slice(e.get(..3).context("exponent size")?);
    out[KEY_SIZE + 4..].copy_from_slice(sig.get(..KEY_SIZE).context("signature size")?);
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
    e.write_metadata(&css, fips.as_ref(), &mut metadata)
        .map_err(sdk_error)?;
    let input = e.elf.data();
    let off = usize::try_from(e.elf.metadata_offset()).context("metadata offset")?;
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
    if signing_material.len() != SIGNING_DATA_SIZE {
        bail!(
            "The unsigned file is not correct: it is {} bytes, gendata writes {SIGNING_DATA_SIZE}",
            signing_material.len()
        );
    }
    let date = u32::from_le_bytes(signing_material[20..24].try_into().context("date")?);
    let mut css = p.enclave.enclave_css(date);
    if css.signing_data()[..] != signing_material[..] {
        bail!(
            "The unsigned file content doesn't match the configuration file (if provided) or the internal configuration defaults"
        );
    }
    if signature.len() != KEY_SIZE {
        bail!(
            "The signature file is not correct: it is {} bytes, expected {KEY_SIZE}",
            signature.len()
        );
    }
    crate::sigstruct::attach_signature(&mut css, key, signature)?;
    finish(p, css)
}
