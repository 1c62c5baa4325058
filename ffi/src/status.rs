//! Stable status codes. Values are never renumbered or reused.

/// Success.
pub const SGXM_OK: u32 = 0;
/// A required pointer argument was NULL.
pub const SGXM_ERR_NULL_ARGUMENT: u32 = 1;
/// A serialized hasher state has the wrong length.
pub const SGXM_ERR_BAD_STATE_LENGTH: u32 = 2;

/// A static, NUL-terminated description of `status` (also for unknown codes).
#[unsafe(no_mangle)]
pub extern "C" fn sgxm_status_str(status: u32) -> *const core::ffi::c_char {
    let s: &'static core::ffi::CStr = match status {
        SGXM_OK => c"success",
        SGXM_ERR_NULL_ARGUMENT => c"a required pointer argument is NULL",
        SGXM_ERR_BAD_STATE_LENGTH => c"serialized hasher state must be exactly 40 bytes",
        _ => c"unknown status code",
    };
    s.as_ptr()
}
