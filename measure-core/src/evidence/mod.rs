//! SGX attestation evidence: local REPORTs and Intel DCAP (ECDSA) quotes v3, v4 and v5 with an
//! SGX enclave report body, parsed field by field, including the Key Separation and Sharing
//! (KSS) fields ISVEXTPRODID, ISVFAMILYID, CONFIGID and CONFIGSVN that some parsers leave in
//! reserved bytes.
//!
//! - [`ReportBody`] / [`Report`]: the 384-byte REPORTBODY and the 432-byte REPORT.
//! - [`Quote`]: header, (v5) body descriptor, ISV report body and the ECDSA signature data down
//!   to the PCK certificate chain, with every length checked.
//! - [`Evidence::parse`]: either of the two, told apart by content (a REPORT is exactly 432 bytes;
//!   no quote can be that short).
//!
//! Parsing never allocates and never panics: fixed-size fields are copied out, variable-size
//! parts (QE authentication data, certification data, the PEM chain) borrow from the input, and
//! every problem is an [`EvidenceError`] naming the part and offset concerned.
//!
//! # What is not checked here
//! This module checks the *structure* of the evidence only. It does **not** verify the quote's
//! ECDSA signature, the QE report signature, the binding of the attestation key to the QE
//! report's REPORTDATA, the PCK certificate chain, TCB levels or QE identity, nor a REPORT's MAC.
//! Evidence that parses is not authentic until those checks pass (a later version of this crate's
//! verifier does them); until then, only use the parsed identity for display or for comparisons
//! whose result is not trusted.

// No input may reach a panic: no indexing, no unchecked arithmetic, no unwrap in this module.
#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use core::fmt;

pub mod quote;
mod reader;
pub mod report;

#[cfg(test)]
mod builder;
#[cfg(test)]
mod tests;

pub use quote::{
    BodyDescriptor, CertificationData, CertificationDataHeader, EcdsaSignatureData,
    QeReportCertificationData, Quote, QuoteHeader,
};
pub use report::{Attributes, REPORT_BODY_SIZE, REPORT_SIZE, Report, ReportBody};

/// The part of the evidence an [`EvidenceError`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Part {
    /// A whole REPORT.
    Report,
    /// A standalone report body.
    ReportBody,
    /// A whole quote.
    Quote,
    /// The 48-byte quote header.
    QuoteHeader,
    /// The v5 body descriptor.
    BodyDescriptor,
    /// The ISV enclave report body of a quote.
    IsvReportBody,
    /// The signature data length field.
    SignatureDataLength,
    /// The signature data.
    SignatureData,
    /// The ECDSA signature over the quote.
    QuoteSignature,
    /// The attestation public key.
    AttestationKey,
    /// v4/v5: the header (type 6, size) of the certification data that wraps the QE report
    /// certification data.
    QeReportCertificationDataHeader,
    /// v4/v5: the QE report certification data.
    QeReportCertificationData,
    /// The QE report body.
    QeReport,
    /// The QE report signature.
    QeReportSignature,
    /// The QE authentication data size field.
    QeAuthDataSize,
    /// The QE authentication data.
    QeAuthData,
    /// The header (type, size) of the PCK certification data.
    CertificationDataHeader,
    /// The PCK certification data.
    CertificationData,
}

impl Part {
    /// A short description, for messages.
    pub const fn name(self) -> &'static str {
        match self {
            Part::Report => "REPORT",
            Part::ReportBody => "report body",
            Part::Quote => "quote",
            Part::QuoteHeader => "quote header",
            Part::BodyDescriptor => "v5 body descriptor (body type and size)",
            Part::IsvReportBody => "ISV enclave report body",
            Part::SignatureDataLength => "signature data length",
            Part::SignatureData => "signature data",
            Part::QuoteSignature => "quote signature",
            Part::AttestationKey => "attestation public key",
            Part::QeReportCertificationDataHeader => {
                "certification data header (type 6 and size) of the QE report certification data"
            }
            Part::QeReportCertificationData => "QE report certification data",
            Part::QeReport => "QE report",
            Part::QeReportSignature => "QE report signature",
            Part::QeAuthDataSize => "QE authentication data size",
            Part::QeAuthData => "QE authentication data",
            Part::CertificationDataHeader => "certification data header (type and size)",
            Part::CertificationData => "certification data",
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why bytes are not a REPORT or a supported quote.
///
/// Not `#[non_exhaustive]`: the C ABI maps every variant to a status code of its own, and a new
/// variant must fail to compile there until it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EvidenceError {
    /// The input ends inside a fixed-size part.
    Truncated {
        /// The part being read.
        part: Part,
        /// Offset of the part in the input.
        offset: usize,
        /// Bytes the part needs.
        needed: usize,
        /// Bytes left in the enclosing structure.
        available: usize,
    },
    /// A length field points past the end of the enclosing structure.
    LengthPastEnd {
        /// The part whose length was declared.
        part: Part,
        /// Offset of the part in the input.
        offset: usize,
        /// The declared length.
        declared: u32,
        /// Bytes left in the enclosing structure.
        available: usize,
    },
    /// Bytes are left over after a complete structure (the lengths inside add up to less than
    /// its size).
    TrailingBytes {
        /// The structure followed by extra bytes.
        part: Part,
        /// Offset of the first extra byte.
        offset: usize,
        /// Number of extra bytes.
        extra: usize,
    },
    /// A fixed-size structure parsed on its own has the wrong length.
    WrongSize {
        /// [`Part::Report`] (432 bytes) or [`Part::ReportBody`] (384 bytes).
        part: Part,
        /// The length found.
        len: usize,
    },
    /// The quote version is not 3, 4 or 5.
    UnsupportedVersion {
        /// The version found.
        version: u16,
    },
    /// The attestation key type is not ECDSA-256-with-P-256 (2).
    UnsupportedAttestationKeyType {
        /// The type found.
        key_type: u16,
    },
    /// The TEE type is not SGX (0): a TDX quote (0x81) or something unknown.
    NotSgx {
        /// The TEE type found.
        tee_type: u32,
    },
    /// The v5 body type is not an SGX enclave report body (1).
    UnsupportedBodyType {
        /// The type found.
        body_type: u16,
    },
    /// The v5 body size is not 384 for an SGX report body.
    BodySizeMismatch {
        /// The size found.
        size: u32,
    },
    /// The v4/v5 signature data holds certification data of another type than 6.
    UnexpectedCertificationDataType {
        /// The type found.
        found: u16,
        /// The type required.
        expected: u16,
    },
}

impl core::error::Error for EvidenceError {}

impl fmt::Display for EvidenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EvidenceError::Truncated {
                part,
                offset,
                needed,
                available,
            } => write!(
                f,
                "truncated evidence: the {part} at byte {offset} needs {needed} bytes, only {available} remain"
            ),
            EvidenceError::LengthPastEnd {
                part,
                offset,
                declared,
                available,
            } => write!(
                f,
                "length points past the end: the {part} at byte {offset} is declared as {declared} bytes, only {available} remain"
            ),
            EvidenceError::TrailingBytes {
                part,
                offset,
                extra,
            } => write!(
                f,
                "{extra} unexpected trailing byte(s) at byte {offset}, after the end of the {part}"
            ),
            EvidenceError::WrongSize { part, len } => {
                let expected = match part {
                    Part::ReportBody => REPORT_BODY_SIZE,
                    _ => REPORT_SIZE,
                };
                write!(f, "not a {part}: {len} bytes instead of {expected}")
            }
            EvidenceError::UnsupportedVersion { version } => {
                write!(
                    f,
                    "unsupported quote version {version} (supported: 3, 4 and 5"
                )?;
                if matches!(version, 1 | 2) {
                    f.write_str("; versions 1 and 2 are EPID quotes")?;
                }
                f.write_str(")")
            }
            EvidenceError::UnsupportedAttestationKeyType { key_type } => write!(
                f,
                "unsupported attestation key type {key_type} ({}): only 2 (ECDSA-256-with-P-256) is supported",
                quote::attestation_key_type_name(key_type)
            ),
            EvidenceError::NotSgx { tee_type } => {
                if tee_type == quote::TEE_TYPE_TDX {
                    write!(
                        f,
                        "a TDX quote (TEE type {tee_type:#x}): only SGX quotes (TEE type 0) are supported"
                    )
                } else {
                    write!(
                        f,
                        "unknown TEE type {tee_type:#x}: only SGX quotes (TEE type 0) are supported"
                    )
                }
            }
            EvidenceError::UnsupportedBodyType { body_type } => write!(
                f,
                "unsupported quote body type {body_type} ({}): only SGX enclave report bodies (type 1) are supported",
                quote::body_type_name(body_type)
            ),
            EvidenceError::BodySizeMismatch { size } => write!(
                f,
                "the v5 body descriptor gives size {size} for an SGX report body (type 1), which is {REPORT_BODY_SIZE} bytes"
            ),
            EvidenceError::UnexpectedCertificationDataType { found, expected } => write!(
                f,
                "certification data of type {found} ({}) where type {expected} ({}) is required",
                quote::cert_type_name(found),
                quote::cert_type_name(expected)
            ),
        }
    }
}

/// A REPORT or a quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
// A Quote is ~1 KiB and a Report 432 bytes; without a heap, boxing is not an option.
#[allow(clippy::large_enum_variant)]
pub enum Evidence<'a> {
    /// A 432-byte REPORT.
    Report(Report),
    /// A DCAP quote.
    Quote(Quote<'a>),
}

impl<'a> Evidence<'a> {
    /// Parses a REPORT (exactly [`REPORT_SIZE`] bytes, which no quote can be) or else a quote.
    pub fn parse(bytes: &'a [u8]) -> Result<Evidence<'a>, EvidenceError> {
        if bytes.len() == REPORT_SIZE {
            Report::parse(bytes).map(Evidence::Report)
        } else {
            Quote::parse(bytes).map(Evidence::Quote)
        }
    }

    /// The enclave's report body.
    pub const fn report_body(&self) -> &ReportBody {
        match self {
            Evidence::Report(r) => &r.body,
            Evidence::Quote(q) => &q.report_body,
        }
    }

    /// The quote version, or `None` for a REPORT.
    pub const fn quote_version(&self) -> Option<u16> {
        match self {
            Evidence::Report(_) => None,
            Evidence::Quote(q) => Some(q.header.version),
        }
    }
}
