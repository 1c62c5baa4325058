//! Intel SGX DCAP (ECDSA) quotes, versions 3, 4 and 5, carrying an SGX enclave report body.
//!
//! Layout (all integers little-endian; "Intel SGX ECDSA Quote Library API", appendix "Quote
//! Format", and the DCAP headers `sgx_quote_3.h`, `sgx_quote_4.h`, `sgx_quote_5.h`):
//!
//! ```text
//! v3, v4:  header (48) | ISV report body (384) | signature data length (u32) | signature data
//! v5:      header (48) | body type (u16) = 1 | body size (u32) = 384 | ISV report body (384)
//!          | signature data length (u32) | signature data
//!
//! header:  version (u16) | attestation key type (u16) = 2 | TEE type (u32) = 0 (SGX)
//!          | QE SVN (u16) | PCE SVN (u16) | QE vendor ID (16) | user data (20)
//!
//! signature data (ECDSA-256-with-P-256):
//!   v3:    quote signature (64) | attestation public key (64) | QE report certification data
//!   v4/v5: quote signature (64) | attestation public key (64)
//!          | certification data type (u16) = 6 | size (u32) | QE report certification data
//!
//! QE report certification data:
//!          QE report body (384) | QE report signature (64) | QE auth data size (u16)
//!          | QE auth data | certification data type (u16) | size (u32) | certification data
//! ```
//!
//! Certification data of type 5 is the PCK certificate chain (PEM: PCK certificate,
//! intermediate CA, root CA), often followed by a NUL byte.

use super::reader::Reader;
use super::report::{REPORT_BODY_SIZE, ReportBody};
use super::{EvidenceError, Part};

/// Size of the quote header.
pub const QUOTE_HEADER_SIZE: usize = 48;
/// Size of the v5 body descriptor (body type u16, body size u32).
pub const BODY_DESCRIPTOR_SIZE: usize = 6;
/// Size of an ECDSA P-256 signature (r || s, big-endian).
pub const ECDSA_SIGNATURE_SIZE: usize = 64;
/// Size of an ECDSA P-256 public key (x || y, big-endian).
pub const ECDSA_PUBLIC_KEY_SIZE: usize = 64;
/// Size of a certification data header (type u16, size u32).
pub const CERTIFICATION_DATA_HEADER_SIZE: usize = 6;

/// Attestation key type ECDSA-256-with-P-256, the only one DCAP quotes use.
pub const ATTESTATION_KEY_TYPE_ECDSA_P256: u16 = 2;
/// Attestation key type ECDSA-384-with-P-384 (defined, never produced; not supported).
pub const ATTESTATION_KEY_TYPE_ECDSA_P384: u16 = 3;
/// TEE type of SGX quotes.
pub const TEE_TYPE_SGX: u32 = 0;
/// TEE type of TDX quotes.
pub const TEE_TYPE_TDX: u32 = 0x81;
/// v5 body type: SGX enclave report body.
pub const BODY_TYPE_SGX: u16 = 1;
/// v5 body type: TDX 1.0 TD report.
pub const BODY_TYPE_TDX_1_0: u16 = 2;
/// v5 body type: TDX 1.5 TD report.
pub const BODY_TYPE_TDX_1_5: u16 = 3;
/// Certification data type 5: PCK certificate chain (PEM).
pub const CERT_TYPE_PCK_CERT_CHAIN: u16 = 5;
/// Certification data type 6: QE report certification data (v4 and v5 signature data).
pub const CERT_TYPE_QE_REPORT_CERTIFICATION_DATA: u16 = 6;

/// Smallest possible v3 quote (no QE auth data, empty certification data).
pub const MIN_QUOTE_V3_SIZE: usize = QUOTE_HEADER_SIZE + REPORT_BODY_SIZE + 4 + MIN_QE_PART + 128;
/// Smallest possible v4 quote.
pub const MIN_QUOTE_V4_SIZE: usize = MIN_QUOTE_V3_SIZE + CERTIFICATION_DATA_HEADER_SIZE;
/// Smallest possible v5 quote.
pub const MIN_QUOTE_V5_SIZE: usize = MIN_QUOTE_V4_SIZE + BODY_DESCRIPTOR_SIZE;
const MIN_QE_PART: usize =
    REPORT_BODY_SIZE + ECDSA_SIGNATURE_SIZE + 2 + CERTIFICATION_DATA_HEADER_SIZE;

/// Byte offsets in a quote.
pub mod offset {
    /// Version (u16).
    pub const VERSION: usize = 0;
    /// Attestation key type (u16).
    pub const ATTESTATION_KEY_TYPE: usize = 2;
    /// TEE type (u32; reserved, zero, in v3).
    pub const TEE_TYPE: usize = 4;
    /// QE SVN (u16).
    pub const QE_SVN: usize = 8;
    /// PCE SVN (u16).
    pub const PCE_SVN: usize = 10;
    /// QE vendor ID (16 bytes).
    pub const QE_VENDOR_ID: usize = 12;
    /// User data (20 bytes; the first 16 are the QE ID for Intel's QE).
    pub const USER_DATA: usize = 28;
    /// v3/v4: the ISV report body.
    pub const V3_REPORT_BODY: usize = 48;
    /// v3/v4: the signature data length (u32).
    pub const V3_SIGNATURE_DATA_LEN: usize = 432;
    /// v3/v4: the signature data.
    pub const V3_SIGNATURE_DATA: usize = 436;
    /// v5: body type (u16).
    pub const V5_BODY_TYPE: usize = 48;
    /// v5: body size (u32).
    pub const V5_BODY_SIZE: usize = 50;
    /// v5: the ISV report body.
    pub const V5_REPORT_BODY: usize = 54;
    /// v5: the signature data length (u32).
    pub const V5_SIGNATURE_DATA_LEN: usize = 438;
    /// v5: the signature data.
    pub const V5_SIGNATURE_DATA: usize = 442;

    /// Offsets within the signature data.
    pub mod signature_data {
        /// ECDSA signature over the header and body (64 bytes).
        pub const SIGNATURE: usize = 0;
        /// Attestation public key (64 bytes).
        pub const ATTESTATION_KEY: usize = 64;
        /// v3: the QE report certification data (QE report first).
        pub const V3_QE_REPORT: usize = 128;
        /// v4/v5: certification data type (u16) of the outer certification data (6).
        pub const V4_CERT_TYPE: usize = 128;
        /// v4/v5: its size (u32).
        pub const V4_CERT_SIZE: usize = 130;
        /// v4/v5: the QE report certification data (QE report first).
        pub const V4_QE_REPORT: usize = 134;
    }

    /// Offsets within the QE report certification data.
    pub mod qe_report_certification_data {
        /// QE report body (384 bytes).
        pub const QE_REPORT: usize = 0;
        /// QE report signature (64 bytes).
        pub const QE_REPORT_SIGNATURE: usize = 384;
        /// QE authentication data size (u16).
        pub const QE_AUTH_DATA_SIZE: usize = 448;
        /// QE authentication data.
        pub const QE_AUTH_DATA: usize = 450;
    }
}

/// The name of an attestation key type.
pub const fn attestation_key_type_name(key_type: u16) -> &'static str {
    match key_type {
        0 => "EPID",
        ATTESTATION_KEY_TYPE_ECDSA_P256 => "ECDSA-256-with-P-256",
        ATTESTATION_KEY_TYPE_ECDSA_P384 => "ECDSA-384-with-P-384",
        _ => "unknown",
    }
}

/// The name of a TEE type.
pub const fn tee_type_name(tee_type: u32) -> &'static str {
    match tee_type {
        TEE_TYPE_SGX => "SGX",
        TEE_TYPE_TDX => "TDX",
        _ => "unknown",
    }
}

/// The name of a certification data type (`sgx_ql_cert_key_type_t`).
pub const fn cert_type_name(cert_type: u16) -> &'static str {
    match cert_type {
        1 => "PPID_CLEARTEXT",
        2 => "PPID_RSA2048_ENCRYPTED",
        3 => "PPID_RSA3072_ENCRYPTED",
        4 => "PCK_CLEARTEXT",
        CERT_TYPE_PCK_CERT_CHAIN => "PCK_CERT_CHAIN",
        CERT_TYPE_QE_REPORT_CERTIFICATION_DATA => "ECDSA_SIG_AUX_DATA",
        _ => "unknown",
    }
}

/// The name of a v5 body type.
pub const fn body_type_name(body_type: u16) -> &'static str {
    match body_type {
        BODY_TYPE_SGX => "SGX enclave report",
        BODY_TYPE_TDX_1_0 => "TDX 1.0 TD report",
        BODY_TYPE_TDX_1_5 => "TDX 1.5 TD report",
        _ => "unknown",
    }
}

/// The quote header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct QuoteHeader {
    /// Quote version: 3, 4 or 5.
    pub version: u16,
    /// Attestation key type: 2 (ECDSA-256-with-P-256).
    pub attestation_key_type: u16,
    /// TEE type: 0 (SGX). In v3 these four bytes are reserved (zero).
    pub tee_type: u32,
    /// ISVSVN of the Quoting Enclave.
    pub qe_svn: u16,
    /// ISVSVN of the Provisioning Certification Enclave.
    pub pce_svn: u16,
    /// QE vendor ID (Intel's QE: `939a7233f79c4ca9940a0db3957f0607`).
    pub qe_vendor_id: [u8; 16],
    /// User data of the attestation key owner (Intel's QE: the QE ID, then 4 zero bytes).
    pub user_data: [u8; 20],
}

impl QuoteHeader {
    fn read(r: &mut Reader<'_>) -> Result<QuoteHeader, EvidenceError> {
        let p = Part::QuoteHeader;
        let mut h = Reader::new(r.array::<QUOTE_HEADER_SIZE>(p)?, 0);
        Ok(QuoteHeader {
            version: h.u16(p)?,
            attestation_key_type: h.u16(p)?,
            tee_type: h.u32(p)?,
            qe_svn: h.u16(p)?,
            pce_svn: h.u16(p)?,
            qe_vendor_id: *h.array(p)?,
            user_data: *h.array(p)?,
        })
    }

    /// Version 3, 4 or 5; TEE type SGX; attestation key ECDSA P-256.
    fn check(&self) -> Result<(), EvidenceError> {
        if !matches!(self.version, 3..=5) {
            return Err(EvidenceError::UnsupportedVersion {
                version: self.version,
            });
        }
        if self.tee_type != TEE_TYPE_SGX {
            return Err(EvidenceError::NotSgx {
                tee_type: self.tee_type,
            });
        }
        if self.attestation_key_type != ATTESTATION_KEY_TYPE_ECDSA_P256 {
            return Err(EvidenceError::UnsupportedAttestationKeyType {
                key_type: self.attestation_key_type,
            });
        }
        Ok(())
    }
}

/// The v5 body descriptor: which report the quote body holds, and its size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BodyDescriptor {
    /// Body type: 1 (SGX enclave report body).
    pub body_type: u16,
    /// Body size: 384.
    pub size: u32,
}

/// A certification data header: type and size of the data that follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CertificationDataHeader {
    /// Certification data type (see [`cert_type_name`]).
    pub cert_type: u16,
    /// Size of the data in bytes.
    pub size: u32,
}

/// Certification data: the type and the bytes (borrowed from the quote).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CertificationData<'a> {
    /// Certification data type (see [`cert_type_name`]).
    pub cert_type: u16,
    /// The data.
    pub data: &'a [u8],
}

impl<'a> CertificationData<'a> {
    /// For type 5, the PEM PCK certificate chain, without the trailing NUL bytes that quoting
    /// libraries often append.
    pub fn pck_cert_chain(&self) -> Option<&'a [u8]> {
        if self.cert_type != CERT_TYPE_PCK_CERT_CHAIN {
            return None;
        }
        let mut pem = self.data;
        while let Some((&0, rest)) = pem.split_last() {
            pem = rest;
        }
        Some(pem)
    }
}

/// The QE report certification data: the Quoting Enclave's report (whose REPORTDATA binds the
/// attestation key and QE auth data), its signature by the PCK, and the PCK certification data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QeReportCertificationData<'a> {
    /// The QE's report body.
    pub qe_report: ReportBody,
    /// The raw 384 bytes of the QE report body (what the PCK signed).
    pub qe_report_raw: &'a [u8],
    /// ECDSA P-256 signature of the QE report by the PCK key.
    pub qe_report_signature: [u8; ECDSA_SIGNATURE_SIZE],
    /// QE authentication data (Intel's QE: 32 bytes).
    pub qe_auth_data: &'a [u8],
    /// Certification data (type 5: the PCK certificate chain).
    pub certification_data: CertificationData<'a>,
}

impl<'a> QeReportCertificationData<'a> {
    fn read(r: &mut Reader<'a>) -> Result<Self, EvidenceError> {
        let mut raw_reader = *r;
        let qe_report = ReportBody::read(r, Part::QeReport)?;
        let qe_report_raw = raw_reader
            .array::<REPORT_BODY_SIZE>(Part::QeReport)?
            .as_slice();
        let qe_report_signature = *r.array(Part::QeReportSignature)?;
        let auth_size = r.u16(Part::QeAuthDataSize)?;
        let qe_auth_data = r.bytes(u32::from(auth_size), Part::QeAuthData)?;
        let cert_type = r.u16(Part::CertificationDataHeader)?;
        let cert_size = r.u32(Part::CertificationDataHeader)?;
        let data = r.bytes(cert_size, Part::CertificationData)?;
        Ok(QeReportCertificationData {
            qe_report,
            qe_report_raw,
            qe_report_signature,
            qe_auth_data,
            certification_data: CertificationData { cert_type, data },
        })
    }
}

/// The signature data of an ECDSA P-256 quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EcdsaSignatureData<'a> {
    /// ECDSA P-256 signature (r || s) by the attestation key over the header and body
    /// ([`Quote::signed_data`]).
    pub signature: [u8; ECDSA_SIGNATURE_SIZE],
    /// The attestation public key (x || y).
    pub attestation_key: [u8; ECDSA_PUBLIC_KEY_SIZE],
    /// v4/v5: the header of the certification data (type 6) that wraps the QE report
    /// certification data; `None` in v3, where the QE report certification data follows directly.
    pub outer_certification: Option<CertificationDataHeader>,
    /// The QE report certification data.
    pub qe: QeReportCertificationData<'a>,
}

/// A parsed DCAP quote with an SGX report body. Fixed-size fields are copied; variable-size parts
/// borrow from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Quote<'a> {
    /// The header.
    pub header: QuoteHeader,
    /// v5: the body descriptor (type 1, size 384); `None` in v3 and v4.
    pub body_descriptor: Option<BodyDescriptor>,
    /// The ISV enclave's report body: the identity being attested.
    pub report_body: ReportBody,
    /// The signature data length field.
    pub signature_data_len: u32,
    /// The signature data.
    pub signature_data: EcdsaSignatureData<'a>,
    /// The bytes the attestation key signed: the header and everything up to the end of the
    /// report body (432 bytes in v3/v4, 438 in v5).
    pub signed_data: &'a [u8],
    /// The whole quote.
    pub raw: &'a [u8],
}

impl<'a> Quote<'a> {
    /// Parses a quote. The input must be exactly one quote: trailing bytes are an error, at the
    /// end of the quote and at the end of every nested length-delimited structure.
    pub fn parse(bytes: &'a [u8]) -> Result<Quote<'a>, EvidenceError> {
        let mut r = Reader::new(bytes, 0);
        let header = QuoteHeader::read(&mut r)?;
        header.check()?;
        let body_descriptor = if header.version == 5 {
            let body_type = r.u16(Part::BodyDescriptor)?;
            let size = r.u32(Part::BodyDescriptor)?;
            if body_type != BODY_TYPE_SGX {
                return Err(EvidenceError::UnsupportedBodyType { body_type });
            }
            if usize::try_from(size).ok() != Some(REPORT_BODY_SIZE) {
                return Err(EvidenceError::BodySizeMismatch { size });
            }
            Some(BodyDescriptor { body_type, size })
        } else {
            None
        };
        let report_body = ReportBody::read(&mut r, Part::IsvReportBody)?;
        let signed_len = r.offset();
        let signed_data = bytes.get(..signed_len).unwrap_or_default();
        let signature_data_len = r.u32(Part::SignatureDataLength)?;
        let sig_offset = r.offset();
        let sig_bytes = r.bytes(signature_data_len, Part::SignatureData)?;
        r.finish(Part::Quote)?;

        let mut s = Reader::new(sig_bytes, sig_offset);
        let signature = *s.array(Part::QuoteSignature)?;
        let attestation_key = *s.array(Part::AttestationKey)?;
        let (outer_certification, qe) = if header.version == 3 {
            let qe = QeReportCertificationData::read(&mut s)?;
            s.finish(Part::SignatureData)?;
            (None, qe)
        } else {
            let cert_type = s.u16(Part::QeReportCertificationDataHeader)?;
            let size = s.u32(Part::QeReportCertificationDataHeader)?;
            if cert_type != CERT_TYPE_QE_REPORT_CERTIFICATION_DATA {
                return Err(EvidenceError::UnexpectedCertificationDataType {
                    found: cert_type,
                    expected: CERT_TYPE_QE_REPORT_CERTIFICATION_DATA,
                });
            }
            let inner_offset = s.offset();
            let inner = s.bytes(size, Part::QeReportCertificationData)?;
            s.finish(Part::SignatureData)?;
            let mut q = Reader::new(inner, inner_offset);
            let qe = QeReportCertificationData::read(&mut q)?;
            q.finish(Part::QeReportCertificationData)?;
            (Some(CertificationDataHeader { cert_type, size }), qe)
        };
        Ok(Quote {
            header,
            body_descriptor,
            report_body,
            signature_data_len,
            signature_data: EcdsaSignatureData {
                signature,
                attestation_key,
                outer_certification,
                qe,
            },
            signed_data,
            raw: bytes,
        })
    }

    /// The quote version (3, 4 or 5).
    pub const fn version(&self) -> u16 {
        self.header.version
    }

    /// The PCK certification data.
    pub const fn certification_data(&self) -> &CertificationData<'a> {
        &self.signature_data.qe.certification_data
    }

    /// The PEM PCK certificate chain, if the certification data is of type 5.
    pub fn pck_cert_chain(&self) -> Option<&'a [u8]> {
        self.signature_data.qe.certification_data.pck_cert_chain()
    }
}
