//! The verifier's C entry points: MRENCLAVE for a base bundle plus appended entries, and CONFIGID.

use core::slice;

use measure_core::append::{AppendError, mrenclave_append};
use measure_core::configid::configid;
use measure_core::entries::EntriesError;

use crate::status::*;

/// Borrows `len` bytes at `ptr`; `None` for NULL. A zero length with a non-NULL pointer is an
/// empty slice.
///
/// # Safety
/// `ptr` must be NULL or valid for reads of `len` bytes for the returned lifetime.
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> Option<&'a [u8]> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: non-NULL, and the caller guarantees `len` readable bytes.
    Some(unsafe { slice::from_raw_parts(ptr, len) })
}

/// Recomputes the MRENCLAVE of the bundle's enclave with the entries (canonical entry list,
/// `sgx-measure entries v1`) appended to `sgx.trusted_files`, after enforcing the bundle's append
/// policy. Returns `SGXM_OK` and writes `mrenclave_out` only on success.
///
/// Allocates nothing; uses at most 48 KiB of stack.
///
/// # Safety
/// `bundle` and `entries` must be NULL or valid for reads of their lengths; `mrenclave_out` must be
/// NULL or valid for writes of 32 bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sgxm_mrenclave_append(
    bundle: *const u8,
    bundle_len: usize,
    entries: *const u8,
    entries_len: usize,
    mrenclave_out: *mut u8,
) -> u32 {
    // SAFETY: the caller's contract is forwarded unchanged; NULL for the index is allowed.
    unsafe {
        sgxm_mrenclave_append_ex(
            bundle,
            bundle_len,
            entries,
            entries_len,
            mrenclave_out,
            core::ptr::null_mut(),
        )
    }
}

/// Like `sgxm_mrenclave_append`; on a policy or entry-list error it also writes to
/// `failing_entry_out` (when not NULL) the 0-based index of the offending entry (for entry-list
/// errors: the 1-based line number).
///
/// # Safety
/// As `sgxm_mrenclave_append`; `failing_entry_out` must be NULL or valid for writes of a `uint32_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sgxm_mrenclave_append_ex(
    bundle: *const u8,
    bundle_len: usize,
    entries: *const u8,
    entries_len: usize,
    mrenclave_out: *mut u8,
    failing_entry_out: *mut u32,
) -> u32 {
    // SAFETY: forwarded from the caller's contract.
    let (Some(bundle), Some(entries)) = (unsafe { bytes(bundle, bundle_len) }, unsafe {
        bytes(entries, entries_len)
    }) else {
        return SGXM_ERR_NULL_ARGUMENT;
    };
    if mrenclave_out.is_null() {
        return SGXM_ERR_NULL_ARGUMENT;
    }
    match mrenclave_append(bundle, entries) {
        Ok(m) => {
            // SAFETY: non-NULL and writable for 32 bytes per the contract; `m` is a distinct
            // local, so the regions do not overlap.
            unsafe { core::ptr::copy_nonoverlapping(m.as_ptr(), mrenclave_out, m.len()) };
            SGXM_OK
        }
        Err(e) => {
            let index = match &e {
                AppendError::Policy(p) => Some(p.index),
                AppendError::Entries(
                    EntriesError::BadSeparator { line }
                    | EntriesError::NotUtf8 { line }
                    | EntriesError::BadEscape { line }
                    | EntriesError::Unescaped { line }
                    | EntriesError::EmptyUri { line },
                ) => Some(*line),
                AppendError::Entries(
                    EntriesError::BadHeader
                    | EntriesError::MissingFinalNewline
                    | EntriesError::TooMany,
                )
                | AppendError::Bundle(_)
                | AppendError::Measure(_) => None,
            };
            if let (Some(i), false) = (index, failing_entry_out.is_null()) {
                // SAFETY: non-NULL and writable per the contract.
                unsafe { *failing_entry_out = i };
            }
            append_status(&e)
        }
    }
}

/// Writes the 64-byte CONFIGID of a canonical entry list: SHA-256 of the list, then 32 zero bytes.
/// Returns `SGXM_OK` and writes `configid_out` only on success.
///
/// # Safety
/// `entries` must be NULL or valid for reads of `entries_len` bytes; `configid_out` must be NULL
/// or valid for writes of 64 bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sgxm_configid(
    entries: *const u8,
    entries_len: usize,
    configid_out: *mut u8,
) -> u32 {
    // SAFETY: forwarded from the caller's contract.
    let Some(entries) = (unsafe { bytes(entries, entries_len) }) else {
        return SGXM_ERR_NULL_ARGUMENT;
    };
    if configid_out.is_null() {
        return SGXM_ERR_NULL_ARGUMENT;
    }
    match configid(entries) {
        Ok(c) => {
            // SAFETY: non-NULL and writable for 64 bytes per the contract; `c` is a distinct local.
            unsafe { core::ptr::copy_nonoverlapping(c.as_ptr(), configid_out, c.len()) };
            SGXM_OK
        }
        Err(e) => entries_status(&e),
    }
}
