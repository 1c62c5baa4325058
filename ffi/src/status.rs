//! Stable status codes. Values are never renumbered or reused.

/// Success.
pub const SGXM_OK: u32 = 0;
/// A required pointer argument was NULL.
pub const SGXM_ERR_NULL_ARGUMENT: u32 = 1;
/// A serialized hasher state has the wrong length.
pub const SGXM_ERR_BAD_STATE_LENGTH: u32 = 2;

// 100-199: SGX evidence (reports and DCAP quotes) is malformed or not supported.
/// The evidence ends inside a fixed-size part.
pub const SGXM_ERR_EVIDENCE_TRUNCATED: u32 = 100;
/// A length field in the evidence points past the end of its enclosing structure.
pub const SGXM_ERR_EVIDENCE_LENGTH_PAST_END: u32 = 101;
/// Bytes are left over after the evidence or one of its length-delimited parts.
pub const SGXM_ERR_EVIDENCE_TRAILING_BYTES: u32 = 102;
/// The quote version is not 3, 4 or 5.
pub const SGXM_ERR_QUOTE_UNSUPPORTED_VERSION: u32 = 103;
/// The quote's attestation key type is not ECDSA-256-with-P-256.
pub const SGXM_ERR_QUOTE_UNSUPPORTED_KEY_TYPE: u32 = 104;
/// The quote is not an SGX quote (e.g. a TDX quote).
pub const SGXM_ERR_QUOTE_NOT_SGX: u32 = 105;
/// The v5 quote body is not an SGX enclave report body.
pub const SGXM_ERR_QUOTE_UNSUPPORTED_BODY_TYPE: u32 = 106;
/// The v5 quote body size is not 384.
pub const SGXM_ERR_QUOTE_BAD_BODY_SIZE: u32 = 107;
/// The v4/v5 signature data does not hold certification data of type 6.
pub const SGXM_ERR_QUOTE_UNEXPECTED_CERTIFICATION_TYPE: u32 = 108;
/// The evidence is malformed in another way.
pub const SGXM_ERR_EVIDENCE_MALFORMED: u32 = 109;

/// A static, NUL-terminated description of `status` (also for unknown codes).
#[unsafe(no_mangle)]
pub extern "C" fn sgxm_status_str(status: u32) -> *const core::ffi::c_char {
    let s: &'static core::ffi::CStr = match status {
        SGXM_OK => c"success",
        SGXM_ERR_NULL_ARGUMENT => c"a required pointer argument is NULL",
        SGXM_ERR_BAD_STATE_LENGTH => c"serialized hasher state must be exactly 40 bytes",
        SGXM_ERR_EVIDENCE_TRUNCATED => c"evidence is truncated",
        SGXM_ERR_EVIDENCE_LENGTH_PAST_END => c"a length field in the evidence points past its end",
        SGXM_ERR_EVIDENCE_TRAILING_BYTES => c"evidence has unexpected trailing bytes",
        SGXM_ERR_QUOTE_UNSUPPORTED_VERSION => c"quote version not supported (only 3, 4 and 5)",
        SGXM_ERR_QUOTE_UNSUPPORTED_KEY_TYPE => {
            c"quote attestation key type not supported (only ECDSA-256-with-P-256)"
        }
        SGXM_ERR_QUOTE_NOT_SGX => c"not an SGX quote (TEE type is not 0; e.g. a TDX quote)",
        SGXM_ERR_QUOTE_UNSUPPORTED_BODY_TYPE => {
            c"v5 quote body is not an SGX enclave report (e.g. a TDX report)"
        }
        SGXM_ERR_QUOTE_BAD_BODY_SIZE => c"v5 quote body size is not 384 for an SGX report body",
        SGXM_ERR_QUOTE_UNEXPECTED_CERTIFICATION_TYPE => {
            c"v4/v5 quote certification data is not of type 6 (QE report certification data)"
        }
        SGXM_ERR_EVIDENCE_MALFORMED => c"evidence is malformed",
        _ => c"unknown status code",
    };
    s.as_ptr()
}
