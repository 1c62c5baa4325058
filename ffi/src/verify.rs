//! The verifier's C entry points: MRENCLAVE for a base bundle plus appended entries, and CONFIGID.

use core::slice;

use measure_core::append::{self, AppendError, mrenclave_append_with_scratch};
use measure_core::configid::configid;
use measure_core::entries::{EntriesError, EntryList};

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
/// Allocates nothing; uses at most 48 KiB of stack and no other memory. Time is linear in the
/// size of the list (and of the enclave, which is measured) when the URIs are strictly
/// ascending, as `sgx-measure hash-files` writes them, or when there are at most 1,280 entries.
/// Longer unsorted lists still get the same answer, but repeated URIs are then searched in
/// O(n^2 / 1280) hashes: give such lists scratch memory with `sgxm_mrenclave_append_scratch`.
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
    // SAFETY: the caller's contract is forwarded unchanged; no scratch.
    unsafe {
        sgxm_mrenclave_append_scratch(
            bundle,
            bundle_len,
            entries,
            entries_len,
            core::ptr::null_mut(),
            0,
            mrenclave_out,
            failing_entry_out,
        )
    }
}

/// Bytes of scratch memory per entry that `sgxm_mrenclave_append_scratch` needs to check a list in
/// O(n log n) time (a 16-byte hash prefix and an 8-byte offset for each entry).
pub const SGXM_APPEND_SCRATCH_BYTES_PER_ENTRY: usize = 24;
const _: () = assert!(SGXM_APPEND_SCRATCH_BYTES_PER_ENTRY == append::SCRATCH_BYTES_PER_ENTRY);

/// Writes to `scratch_len_out` the scratch bytes `sgxm_mrenclave_append_scratch` needs for this
/// canonical entry list: 0 when its URIs are strictly ascending (as `sgx-measure hash-files`
/// writes them: no URI can repeat), else `SGXM_APPEND_SCRATCH_BYTES_PER_ENTRY` per entry (at most
/// 24 x 2^24 bytes, the list's entry limit). The list is validated as by
/// `sgxm_mrenclave_append`; time linear in its size; allocates nothing.
///
/// # Safety
/// `entries` must be NULL or valid for reads of `entries_len` bytes; `scratch_len_out` must be
/// NULL or valid for writes of a `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sgxm_append_scratch_size(
    entries: *const u8,
    entries_len: usize,
    scratch_len_out: *mut usize,
) -> u32 {
    // SAFETY: forwarded from the caller's contract.
    let Some(entries) = (unsafe { bytes(entries, entries_len) }) else {
        return SGXM_ERR_NULL_ARGUMENT;
    };
    if scratch_len_out.is_null() {
        return SGXM_ERR_NULL_ARGUMENT;
    }
    match EntryList::parse(entries) {
        Ok(list) => {
            // SAFETY: non-NULL and writable per the contract.
            unsafe { *scratch_len_out = append::scratch_len(&list) };
            SGXM_OK
        }
        Err(e) => entries_status(&e),
    }
}

/// `sgxm_mrenclave_append_ex` with caller-provided scratch memory for the append policy's check of
/// repeated URIs. Returns `SGXM_OK` and writes `mrenclave_out` only on success.
///
/// Memory: `scratch_len` bytes at `scratch` (any alignment, contents ignored and overwritten;
/// `scratch` may be NULL when `scratch_len` is 0), at most 48 KiB of stack, nothing allocated.
/// With at least the size `sgxm_append_scratch_size` reports (24 bytes per entry, or none for a
/// list with ascending URIs), the policy check takes O(n log n) time: on a 2-core x86-64 with
/// SHA-NI, about 0.2 us per entry for the check and 1 us per entry in all, measuring included
/// (1,000,000 entries of 100 bytes in under a second). With less scratch the answer is the same,
/// but a long unsorted list is searched in O(n^2 / records) hashes.
///
/// # Safety
/// As `sgxm_mrenclave_append_ex`; `scratch` must be NULL (with `scratch_len` 0) or valid for reads
/// and writes of `scratch_len` bytes, and must not overlap `bundle`, `entries` or the outputs.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn sgxm_mrenclave_append_scratch(
    bundle: *const u8,
    bundle_len: usize,
    entries: *const u8,
    entries_len: usize,
    scratch: *mut u8,
    scratch_len: usize,
    mrenclave_out: *mut u8,
    failing_entry_out: *mut u32,
) -> u32 {
    // SAFETY: forwarded from the caller's contract.
    let (Some(bundle), Some(entries)) = (unsafe { bytes(bundle, bundle_len) }, unsafe {
        bytes(entries, entries_len)
    }) else {
        return SGXM_ERR_NULL_ARGUMENT;
    };
    if mrenclave_out.is_null() || (scratch.is_null() && scratch_len != 0) {
        return SGXM_ERR_NULL_ARGUMENT;
    }
    let scratch: &mut [u8] = if scratch.is_null() {
        &mut []
    } else {
        // SAFETY: non-NULL, valid for reads and writes of `scratch_len` bytes and not overlapping
        // any other argument, per the contract.
        unsafe { slice::from_raw_parts_mut(scratch, scratch_len) }
    };
    match mrenclave_append_with_scratch(bundle, entries, scratch) {
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
