//! Loading SGX attestation evidence (a 432-byte REPORT or a DCAP quote v3/v4/v5) from files, as
//! raw bytes or as hex or base64 text, into an owned value with the enclave identity.
//!
//! Nothing here checks signatures: see `measure_core::evidence`.

use std::fmt;
use std::path::Path;

use base64ct::{Base64, Base64Unpadded, Base64Url, Base64UrlUnpadded, Encoding as _};
use measure_core::evidence::{Evidence, EvidenceError, ReportBody};

use crate::error::Result;
use crate::fsutil;

/// Attestation evidence that cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceFileError {
    /// The file's contents are not evidence.
    #[error("{}", path.display())]
    InFile {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: DecodeError,
    },
    /// A quote where a report was expected, or the other way round.
    #[error("{} holds a {found}, not a {wanted}", path.display())]
    WrongKind {
        /// The file.
        path: std::path::PathBuf,
        /// What it holds.
        found: EvidenceKind,
        /// `report` or `quote`.
        wanted: &'static str,
    },
}

/// Bytes that are not SGX evidence, in any of the encodings tried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Nothing at all.
    #[error("not SGX evidence: the file is empty")]
    Empty,
    /// Read as the raw bytes (the contents are not hex or base64 text).
    #[error("not SGX evidence (read as {len} raw bytes; not hex or base64 text either): {error}")]
    Raw {
        /// Number of bytes.
        len: usize,
        /// Why the parser refused them.
        error: EvidenceError,
    },
    /// Read as text of the evidence.
    #[error("not SGX evidence (read as {encoding} text of {len} bytes): {error}")]
    Text {
        /// The text encoding.
        encoding: Encoding,
        /// Number of decoded bytes.
        len: usize,
        /// Why the parser refused them.
        error: EvidenceError,
    },
}

/// How the evidence was stored in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// The raw bytes.
    Binary,
    /// Hex text (optionally `0x`-prefixed, any whitespace).
    Hex,
    /// Base64 text (standard or URL-safe alphabet, padded or not, any whitespace).
    Base64,
}

impl Encoding {
    /// `binary`, `hex` or `base64`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Encoding::Binary => "binary",
            Encoding::Hex => "hex",
            Encoding::Base64 => "base64",
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of evidence was loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvidenceKind {
    /// A 432-byte REPORT.
    Report,
    /// A DCAP quote of this version (3, 4 or 5).
    Quote {
        /// The quote version.
        version: u16,
    },
}

impl fmt::Display for EvidenceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvidenceKind::Report => f.write_str("report"),
            EvidenceKind::Quote { version } => write!(f, "quote v{version}"),
        }
    }
}

/// Evidence loaded from a file: the decoded bytes and the identity of the enclave they describe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadedEvidence {
    /// Report or quote (and its version).
    pub kind: EvidenceKind,
    /// How the file stored it.
    pub encoding: Encoding,
    /// The decoded evidence bytes.
    pub bytes: Vec<u8>,
    /// The enclave's report body: MRENCLAVE, MRSIGNER, ISVPRODID, ISVSVN, attributes, the KSS
    /// fields, REPORTDATA.
    pub identity: ReportBody,
}

impl LoadedEvidence {
    /// Parses already decoded bytes.
    pub fn from_bytes(bytes: Vec<u8>, encoding: Encoding) -> Result<LoadedEvidence, EvidenceError> {
        let (kind, identity) = {
            let ev = Evidence::parse(&bytes)?;
            let kind = match ev.quote_version() {
                None => EvidenceKind::Report,
                Some(version) => EvidenceKind::Quote { version },
            };
            (kind, *ev.report_body())
        };
        Ok(LoadedEvidence {
            kind,
            encoding,
            bytes,
            identity,
        })
    }

    /// The parsed evidence, borrowing the bytes (all of its parts, signature data included).
    pub fn evidence(&self) -> Evidence<'_> {
        // `bytes` parsed when this value was made and is never changed afterwards.
        Evidence::parse(&self.bytes).expect("LoadedEvidence holds evidence that parses")
    }
}

/// Loads evidence from a file (raw, hex or base64; told apart by content).
pub fn load(path: &Path) -> Result<LoadedEvidence> {
    let data = fsutil::read(path, "evidence file")?;
    decode(&data).map_err(|source| {
        EvidenceFileError::InFile {
            path: path.to_path_buf(),
            source,
        }
        .into()
    })
}

/// Decodes file contents: raw evidence, or hex or base64 text of it.
///
/// Raw bytes are tried first (a quote starts with its version, 3 to 5, which is no text
/// character). Otherwise text that is all hex digits is hex, and text in the base64 alphabet is
/// base64. If nothing parses, the error is the parser's for the most plausible reading.
pub fn decode(data: &[u8]) -> Result<LoadedEvidence, DecodeError> {
    let raw_err = match LoadedEvidence::from_bytes(data.to_vec(), Encoding::Binary) {
        Ok(ev) => return Ok(ev),
        Err(e) => e,
    };
    let mut text_err = None;
    if let Some(text) = compact_text(data) {
        for (encoding, decoded) in [
            (Encoding::Hex, decode_hex(&text)),
            (Encoding::Base64, decode_base64(&text)),
        ] {
            let Some(bytes) = decoded else { continue };
            let len = bytes.len();
            match LoadedEvidence::from_bytes(bytes, encoding) {
                Ok(ev) => return Ok(ev),
                Err(e) => {
                    text_err.get_or_insert((encoding, len, e));
                }
            }
        }
    }
    Err(match text_err {
        Some((encoding, len, error)) => DecodeError::Text {
            encoding,
            len,
            error,
        },
        None if data.is_empty() => DecodeError::Empty,
        None => DecodeError::Raw {
            len: data.len(),
            error: raw_err,
        },
    })
}

/// The bytes that hex or base64 text stands for (read as [`decode`] reads evidence text: hex
/// first, optionally `0x`-prefixed, then base64 in any alphabet; whitespace ignored), or `None`
/// when the data is not such text. For other binary files given as text (a `.sig`).
pub fn decode_text(data: &[u8]) -> Option<(Encoding, Vec<u8>)> {
    let text = compact_text(data)?;
    decode_hex(&text)
        .map(|b| (Encoding::Hex, b))
        .or_else(|| decode_base64(&text).map(|b| (Encoding::Base64, b)))
}

/// The file as ASCII text without whitespace, if it is printable ASCII text.
fn compact_text(data: &[u8]) -> Option<String> {
    if data.is_empty()
        || !data
            .iter()
            .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        return None;
    }
    let s: String = data
        .iter()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|&b| char::from(b))
        .collect();
    (!s.is_empty()).then_some(s)
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let t = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    hex::decode(t).ok()
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let try_one = |f: fn(&mut [u8]) -> Result<&[u8], base64ct::InvalidEncodingError>| {
        let mut buf = text.as_bytes().to_vec();
        let n = f(&mut buf).ok()?.len();
        buf.truncate(n);
        Some(buf)
    };
    try_one(Base64::decode_in_place)
        .or_else(|| try_one(Base64Unpadded::decode_in_place))
        .or_else(|| try_one(Base64Url::decode_in_place))
        .or_else(|| try_one(Base64UrlUnpadded::decode_in_place))
}
