//! The enclave identity in SGX attestation evidence: a 432-byte REPORT or an Intel DCAP quote
//! (v3, v4, v5) with an SGX report body.
//!
//! Parsing only: no signature, certificate chain or MAC is verified here.

use core::slice;

use measure_core::evidence::{Evidence, EvidenceError, ReportBody};

use crate::status::*;

/// ATTRIBUTES.FLAGS bit INIT.
pub const SGXM_ATTRIBUTE_INIT: u64 = 0x1;
/// ATTRIBUTES.FLAGS bit DEBUG: a debug enclave, whose memory the host can read.
pub const SGXM_ATTRIBUTE_DEBUG: u64 = 0x2;
/// ATTRIBUTES.FLAGS bit MODE64BIT.
pub const SGXM_ATTRIBUTE_MODE64BIT: u64 = 0x4;
/// ATTRIBUTES.FLAGS bit PROVISIONKEY.
pub const SGXM_ATTRIBUTE_PROVISION_KEY: u64 = 0x10;
/// ATTRIBUTES.FLAGS bit EINITTOKEN_KEY.
pub const SGXM_ATTRIBUTE_EINITTOKEN_KEY: u64 = 0x20;
/// ATTRIBUTES.FLAGS bit CET.
pub const SGXM_ATTRIBUTE_CET: u64 = 0x40;
/// ATTRIBUTES.FLAGS bit KSS: Key Separation and Sharing; without it ISVEXTPRODID, ISVFAMILYID,
/// CONFIGID and CONFIGSVN are zero.
pub const SGXM_ATTRIBUTE_KSS: u64 = 0x80;
/// ATTRIBUTES.FLAGS bit AEXNOTIFY.
pub const SGXM_ATTRIBUTE_AEX_NOTIFY: u64 = 0x400;

/// Every field of the enclave's report body (REPORTBODY), reserved bytes aside, as read from
/// evidence by `sgxm_identity_from_evidence`. Integers are in host byte order; byte arrays are
/// copied as they appear in the report. 272 bytes, no implicit padding.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct sgxm_identity {
    /// ATTRIBUTES.FLAGS (see the `SGXM_ATTRIBUTE_*` bits).
    pub attributes_flags: u64,
    /// ATTRIBUTES.XFRM.
    pub attributes_xfrm: u64,
    /// MISCSELECT.
    pub misc_select: u32,
    /// 0 if the evidence was a REPORT, else the quote version (3, 4 or 5).
    pub quote_version: u32,
    /// ISVPRODID.
    pub isv_prod_id: u16,
    /// ISVSVN.
    pub isv_svn: u16,
    /// CONFIGSVN (KSS).
    pub config_svn: u16,
    /// Always 0.
    pub reserved: u16,
    /// CPUSVN.
    pub cpu_svn: [u8; 16],
    /// ISVEXTPRODID (KSS).
    pub isv_ext_prod_id: [u8; 16],
    /// MRENCLAVE.
    pub mr_enclave: [u8; 32],
    /// MRSIGNER.
    pub mr_signer: [u8; 32],
    /// CONFIGID (KSS).
    pub config_id: [u8; 64],
    /// ISVFAMILYID (KSS).
    pub isv_family_id: [u8; 16],
    /// REPORTDATA.
    pub report_data: [u8; 64],
}

impl sgxm_identity {
    fn new(b: &ReportBody, quote_version: u16) -> Self {
        sgxm_identity {
            attributes_flags: b.attributes.flags,
            attributes_xfrm: b.attributes.xfrm,
            misc_select: b.misc_select,
            quote_version: u32::from(quote_version),
            isv_prod_id: b.isv_prod_id,
            isv_svn: b.isv_svn,
            config_svn: b.config_svn,
            reserved: 0,
            cpu_svn: b.cpu_svn,
            isv_ext_prod_id: b.isv_ext_prod_id,
            mr_enclave: b.mr_enclave,
            mr_signer: b.mr_signer,
            config_id: b.config_id,
            isv_family_id: b.isv_family_id,
            report_data: b.report_data,
        }
    }
}

/// The status code of an evidence error.
pub(crate) fn evidence_status(e: &EvidenceError) -> u32 {
    match e {
        EvidenceError::Truncated { .. } => SGXM_ERR_EVIDENCE_TRUNCATED,
        EvidenceError::LengthPastEnd { .. } => SGXM_ERR_EVIDENCE_LENGTH_PAST_END,
        EvidenceError::TrailingBytes { .. } => SGXM_ERR_EVIDENCE_TRAILING_BYTES,
        EvidenceError::UnsupportedVersion { .. } => SGXM_ERR_QUOTE_UNSUPPORTED_VERSION,
        EvidenceError::UnsupportedAttestationKeyType { .. } => SGXM_ERR_QUOTE_UNSUPPORTED_KEY_TYPE,
        EvidenceError::NotSgx { .. } => SGXM_ERR_QUOTE_NOT_SGX,
        EvidenceError::UnsupportedBodyType { .. } => SGXM_ERR_QUOTE_UNSUPPORTED_BODY_TYPE,
        EvidenceError::BodySizeMismatch { .. } => SGXM_ERR_QUOTE_BAD_BODY_SIZE,
        EvidenceError::UnexpectedCertificationDataType { .. } => {
            SGXM_ERR_QUOTE_UNEXPECTED_CERTIFICATION_TYPE
        }
        // `Evidence::parse` reads 432 bytes as a REPORT and anything else as a quote, whose
        // report body is cut at its exact size: a wrong size cannot come out of it.
        EvidenceError::WrongSize { .. } => SGXM_ERR_INTERNAL,
    }
}

/// Reads the enclave identity from SGX evidence: a 432-byte REPORT (`sgx_report_t`), or an Intel
/// DCAP quote of version 3, 4 or 5 with attestation key type ECDSA-256-with-P-256 and TEE type
/// SGX, whose every length field is checked (truncated, trailing or inconsistent bytes are
/// errors). Returns `SGXM_OK` and writes `*out` only on success.
///
/// This only parses the evidence. It does **not** verify the quote signature, the QE report
/// signature, the PCK certificate chain or a REPORT's MAC: until those are verified elsewhere,
/// the identity is only what the evidence claims.
///
/// Errors: `SGXM_ERR_NULL_ARGUMENT` (`evidence` or `out` NULL), `SGXM_ERR_EVIDENCE_TRUNCATED`,
/// `SGXM_ERR_EVIDENCE_LENGTH_PAST_END`, `SGXM_ERR_EVIDENCE_TRAILING_BYTES`,
/// `SGXM_ERR_QUOTE_UNSUPPORTED_VERSION`, `SGXM_ERR_QUOTE_UNSUPPORTED_KEY_TYPE`,
/// `SGXM_ERR_QUOTE_NOT_SGX` (e.g. a TDX quote), `SGXM_ERR_QUOTE_UNSUPPORTED_BODY_TYPE`,
/// `SGXM_ERR_QUOTE_BAD_BODY_SIZE`, `SGXM_ERR_QUOTE_UNEXPECTED_CERTIFICATION_TYPE`,
/// `SGXM_ERR_EVIDENCE_MALFORMED`, `SGXM_ERR_INTERNAL` (a bug); `sgxm_status_str` describes each.
///
/// Allocates nothing; uses about 2 KiB of stack.
///
/// # Safety
/// `evidence` must be NULL or valid for reads of `evidence_len` bytes (at most `PTRDIFF_MAX`);
/// `out` must be NULL or valid for writes of one `sgxm_identity`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sgxm_identity_from_evidence(
    evidence: *const u8,
    evidence_len: usize,
    out: *mut sgxm_identity,
) -> u32 {
    if evidence.is_null() || out.is_null() {
        return SGXM_ERR_NULL_ARGUMENT;
    }
    // SAFETY: non-NULL, and the caller guarantees `evidence_len` readable bytes.
    let bytes = unsafe { slice::from_raw_parts(evidence, evidence_len) };
    match Evidence::parse(bytes) {
        Ok(ev) => {
            let id = sgxm_identity::new(ev.report_body(), ev.quote_version().unwrap_or(0));
            // SAFETY: non-NULL, and the caller guarantees it is valid for writes.
            unsafe { out.write(id) };
            SGXM_OK
        }
        Err(e) => evidence_status(&e),
    }
}

#[cfg(test)]
mod tests {
    use core::ffi::CStr;
    use core::mem::{offset_of, size_of};
    use core::ptr;
    use std::vec::Vec;

    use super::*;
    use crate::status::sgxm_status_str;

    const SGX_V3: &[u8] = include_bytes!("../../testdata/evidence/dcap-qvl-sgx-v3.bin");
    const OCCLUM_V3: &[u8] = include_bytes!("../../testdata/evidence/trustee-occlum-v3.bin");
    const TDX_V4: &[u8] = include_bytes!("../../testdata/evidence/dcap-qvl-tdx-v4.bin");
    const TDX_V5: &[u8] = include_bytes!("../../testdata/evidence/trustee-tdx-v5.bin");
    const SYN_V4: &[u8] = include_bytes!("../../testdata/evidence/synthetic/quote-v4.bin");
    const SYN_V5: &[u8] = include_bytes!("../../testdata/evidence/synthetic/quote-v5.bin");
    const SYN_REPORT: &[u8] = include_bytes!("../../testdata/evidence/synthetic/report.bin");

    fn sentinel() -> sgxm_identity {
        sgxm_identity {
            attributes_flags: 0xdead,
            attributes_xfrm: 0xbeef,
            misc_select: 7,
            quote_version: 99,
            isv_prod_id: 1,
            isv_svn: 2,
            config_svn: 3,
            reserved: 4,
            cpu_svn: [0x5a; 16],
            isv_ext_prod_id: [0x5a; 16],
            mr_enclave: [0x5a; 32],
            mr_signer: [0x5a; 32],
            config_id: [0x5a; 64],
            isv_family_id: [0x5a; 16],
            report_data: [0x5a; 64],
        }
    }

    fn identity(bytes: &[u8]) -> Result<sgxm_identity, u32> {
        let mut out = sentinel();
        // SAFETY: valid slice and output.
        let rc = unsafe { sgxm_identity_from_evidence(bytes.as_ptr(), bytes.len(), &mut out) };
        if rc == SGXM_OK {
            Ok(out)
        } else {
            assert_eq!(out, sentinel(), "output written on failure");
            Err(rc)
        }
    }

    fn status_str(rc: u32) -> &'static str {
        // SAFETY: sgxm_status_str returns a static NUL-terminated string.
        unsafe { CStr::from_ptr(sgxm_status_str(rc)) }
            .to_str()
            .unwrap()
    }

    #[test]
    fn evidence_attribute_bits_match_the_core() {
        use measure_core::evidence::report;
        // Literal values above so that cbindgen can export them.
        assert_eq!(SGXM_ATTRIBUTE_INIT, report::FLAG_INIT);
        assert_eq!(SGXM_ATTRIBUTE_DEBUG, report::FLAG_DEBUG);
        assert_eq!(SGXM_ATTRIBUTE_MODE64BIT, report::FLAG_MODE64BIT);
        assert_eq!(SGXM_ATTRIBUTE_PROVISION_KEY, report::FLAG_PROVISION_KEY);
        assert_eq!(SGXM_ATTRIBUTE_EINITTOKEN_KEY, report::FLAG_EINITTOKEN_KEY);
        assert_eq!(SGXM_ATTRIBUTE_CET, report::FLAG_CET);
        assert_eq!(SGXM_ATTRIBUTE_KSS, report::FLAG_KSS);
        assert_eq!(SGXM_ATTRIBUTE_AEX_NOTIFY, report::FLAG_AEX_NOTIFY);
    }

    #[test]
    fn evidence_identity_layout() {
        assert_eq!(size_of::<sgxm_identity>(), 272);
        let offsets = [
            (offset_of!(sgxm_identity, attributes_flags), 0),
            (offset_of!(sgxm_identity, attributes_xfrm), 8),
            (offset_of!(sgxm_identity, misc_select), 16),
            (offset_of!(sgxm_identity, quote_version), 20),
            (offset_of!(sgxm_identity, isv_prod_id), 24),
            (offset_of!(sgxm_identity, isv_svn), 26),
            (offset_of!(sgxm_identity, config_svn), 28),
            (offset_of!(sgxm_identity, reserved), 30),
            (offset_of!(sgxm_identity, cpu_svn), 32),
            (offset_of!(sgxm_identity, isv_ext_prod_id), 48),
            (offset_of!(sgxm_identity, mr_enclave), 64),
            (offset_of!(sgxm_identity, mr_signer), 96),
            (offset_of!(sgxm_identity, config_id), 128),
            (offset_of!(sgxm_identity, isv_family_id), 192),
            (offset_of!(sgxm_identity, report_data), 208),
        ];
        for (got, want) in offsets {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn evidence_identity_from_real_and_synthetic_evidence() {
        let id = identity(SGX_V3).unwrap();
        assert_eq!(id.quote_version, 3);
        assert_eq!(id.attributes_flags, 0x5);
        assert_eq!(id.attributes_xfrm, 0xe7);
        assert_eq!(id.mr_enclave[..4], [0x33, 0xd8, 0x73, 0x6d]);
        assert_eq!(id.mr_signer[..4], [0x81, 0x5f, 0x42, 0xf1]);
        assert_eq!(&id.report_data[..13], b"Hello, world!");
        assert_eq!((id.isv_prod_id, id.isv_svn, id.config_svn), (0, 0, 0));
        assert_eq!(id.reserved, 0);

        let id = identity(OCCLUM_V3).unwrap();
        assert_eq!(id.misc_select, 1);
        assert_eq!(&id.report_data[..4], b"test");

        for (bytes, version) in [(SYN_V4, 4), (SYN_V5, 5), (SYN_REPORT, 0)] {
            let id = identity(bytes).unwrap();
            let ev = Evidence::parse(bytes).unwrap();
            let b = ev.report_body();
            assert_eq!(id.quote_version, version);
            assert_eq!(id, sgxm_identity::new(b, version as u16));
            // Every KSS field is carried.
            assert_ne!(id.attributes_flags & SGXM_ATTRIBUTE_KSS, 0);
            assert_eq!(id.isv_ext_prod_id, b.isv_ext_prod_id);
            assert_eq!(id.isv_family_id, b.isv_family_id);
            assert_eq!(id.config_id, b.config_id);
            assert_eq!(id.config_svn, b.config_svn);
            assert_ne!(id.config_svn, 0);
            assert_eq!(id.cpu_svn, b.cpu_svn);
        }
    }

    #[test]
    fn evidence_errors_have_codes_and_texts() {
        assert_eq!(identity(TDX_V4), Err(SGXM_ERR_QUOTE_NOT_SGX));
        assert_eq!(identity(TDX_V5), Err(SGXM_ERR_QUOTE_NOT_SGX));
        assert!(status_str(SGXM_ERR_QUOTE_NOT_SGX).contains("TDX"));
        assert_eq!(identity(&[]), Err(SGXM_ERR_EVIDENCE_TRUNCATED));
        assert_eq!(
            identity(&SGX_V3[..1000]),
            Err(SGXM_ERR_EVIDENCE_LENGTH_PAST_END)
        );
        let mut v: Vec<u8> = SGX_V3.to_vec();
        v.push(0);
        assert_eq!(identity(&v), Err(SGXM_ERR_EVIDENCE_TRAILING_BYTES));
        let with = |at: usize, b: &[u8], base: &[u8]| {
            let mut v = base.to_vec();
            v[at..at + b.len()].copy_from_slice(b);
            identity(&v)
        };
        assert_eq!(
            with(0, &[2, 0], SGX_V3),
            Err(SGXM_ERR_QUOTE_UNSUPPORTED_VERSION)
        );
        assert_eq!(
            with(2, &[3, 0], SGX_V3),
            Err(SGXM_ERR_QUOTE_UNSUPPORTED_KEY_TYPE)
        );
        assert_eq!(
            with(48, &[2, 0], SYN_V5),
            Err(SGXM_ERR_QUOTE_UNSUPPORTED_BODY_TYPE)
        );
        assert_eq!(
            with(50, &[0, 0, 0, 0], SYN_V5),
            Err(SGXM_ERR_QUOTE_BAD_BODY_SIZE)
        );
        assert_eq!(
            with(436 + 128, &[5, 0], SYN_V4),
            Err(SGXM_ERR_QUOTE_UNEXPECTED_CERTIFICATION_TYPE)
        );
        // Every prefix of every input fails cleanly (or, at 432 bytes, is a REPORT).
        for input in [SGX_V3, SYN_V4, SYN_V5] {
            for n in 0..input.len() {
                let r = identity(&input[..n]);
                assert_eq!(r.is_ok(), n == 432, "prefix {n}");
            }
        }
        // Impossible from `Evidence::parse` (it cuts every part at its size): a bug, not a
        // malformation.
        assert_eq!(
            evidence_status(&EvidenceError::WrongSize {
                part: measure_core::evidence::Part::Report,
                len: 1
            }),
            SGXM_ERR_INTERNAL
        );
        for rc in [
            SGXM_ERR_EVIDENCE_TRUNCATED,
            SGXM_ERR_EVIDENCE_LENGTH_PAST_END,
            SGXM_ERR_EVIDENCE_TRAILING_BYTES,
            SGXM_ERR_QUOTE_UNSUPPORTED_VERSION,
            SGXM_ERR_QUOTE_UNSUPPORTED_KEY_TYPE,
            SGXM_ERR_QUOTE_NOT_SGX,
            SGXM_ERR_QUOTE_UNSUPPORTED_BODY_TYPE,
            SGXM_ERR_QUOTE_BAD_BODY_SIZE,
            SGXM_ERR_QUOTE_UNEXPECTED_CERTIFICATION_TYPE,
            SGXM_ERR_EVIDENCE_MALFORMED,
        ] {
            assert!((100..200).contains(&rc));
            assert_ne!(status_str(rc), "unknown status code", "{rc}");
        }
    }

    #[test]
    fn evidence_null_arguments() {
        let mut out = sentinel();
        // SAFETY: NULL pointers are allowed and checked.
        unsafe {
            assert_eq!(
                sgxm_identity_from_evidence(ptr::null(), 0, &mut out),
                SGXM_ERR_NULL_ARGUMENT
            );
            assert_eq!(
                sgxm_identity_from_evidence(SGX_V3.as_ptr(), SGX_V3.len(), ptr::null_mut()),
                SGXM_ERR_NULL_ARGUMENT
            );
        }
        assert_eq!(out, sentinel());
    }
}
