//! A caller-allocated, resumable MRENCLAVE hasher.

use measure_core::measure::{EEXTEND_CHUNK, eadd_record, ecreate_record, eextend_record};
use measure_core::sha256::Midstate;

use crate::status::*;

/// MRENCLAVE hasher state: 8 SHA-256 state words and the number of 64-byte blocks hashed.
/// Allocate it anywhere (stack, static; `SGXM_HASHER_SIZE` bytes aligned to
/// `SGXM_HASHER_ALIGN`), check the header matches the library once with
/// `sgxm_hasher_check_layout`, initialise it with `sgxm_hasher_init`. A misaligned pointer is
/// refused with `SGXM_ERR_MISALIGNED_ARGUMENT`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sgxm_hasher {
    /// SHA-256 chaining words.
    pub state: [u32; 8],
    /// 64-byte blocks hashed so far.
    pub blocks: u64,
}

impl sgxm_hasher {
    fn mid(&self) -> Midstate {
        Midstate {
            state: self.state,
            blocks: self.blocks,
        }
    }
    fn set(&mut self, m: Midstate) {
        self.state = m.state;
        self.blocks = m.blocks;
    }
}

/// `sizeof(sgxm_hasher)`: allocate this many bytes (or the struct itself).
pub const SGXM_HASHER_SIZE: usize = 40;
/// `_Alignof(sgxm_hasher)`: a hasher must be allocated at an address aligned to this.
pub const SGXM_HASHER_ALIGN: usize = 8;
const _: () = assert!(core::mem::size_of::<sgxm_hasher>() == SGXM_HASHER_SIZE);
const _: () = assert!(core::mem::align_of::<sgxm_hasher>() == SGXM_HASHER_ALIGN);

/// Checks that the `sgxm_hasher` the caller allocates (from its copy of the header) has this
/// library's size and alignment: pass `sizeof(sgxm_hasher)` and `_Alignof(sgxm_hasher)`.
/// `SGXM_ERR_HASHER_LAYOUT` means the header and the library come from different versions.
#[unsafe(no_mangle)]
pub extern "C" fn sgxm_hasher_check_layout(size: usize, align: usize) -> u32 {
    if size == SGXM_HASHER_SIZE && align == SGXM_HASHER_ALIGN {
        SGXM_OK
    } else {
        SGXM_ERR_HASHER_LAYOUT
    }
}

/// The hasher behind `hasher`: `Err` with the status for a NULL or misaligned pointer.
///
/// # Safety
/// `hasher` must be NULL or valid for reads and writes of `sgxm_hasher` (if aligned).
unsafe fn hasher_mut<'a>(hasher: *mut sgxm_hasher) -> Result<&'a mut sgxm_hasher, u32> {
    if !hasher.is_aligned() {
        return Err(SGXM_ERR_MISALIGNED_ARGUMENT);
    }
    // SAFETY: aligned, and NULL or valid per the contract; NULL is checked.
    unsafe { hasher.as_mut() }.ok_or(SGXM_ERR_NULL_ARGUMENT)
}

/// The hasher behind `hasher`, read-only (see [`hasher_mut`]).
///
/// # Safety
/// `hasher` must be NULL or valid for reads of `sgxm_hasher` (if aligned).
unsafe fn hasher_ref<'a>(hasher: *const sgxm_hasher) -> Result<&'a sgxm_hasher, u32> {
    if !hasher.is_aligned() {
        return Err(SGXM_ERR_MISALIGNED_ARGUMENT);
    }
    // SAFETY: aligned, and NULL or valid per the contract; NULL is checked.
    unsafe { hasher.as_ref() }.ok_or(SGXM_ERR_NULL_ARGUMENT)
}

/// Length of the serialized state written by `sgxm_hasher_save`.
pub const SGXM_HASHER_STATE_LEN: usize = 40;
const _: () = assert!(SGXM_HASHER_STATE_LEN == Midstate::SERIALIZED_LEN);

/// Resets `hasher` to the state before ECREATE.
///
/// # Safety
/// `hasher` must be NULL or valid for writes of `sgxm_hasher`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sgxm_hasher_init(hasher: *mut sgxm_hasher) -> u32 {
    // SAFETY: the caller guarantees validity; NULL and alignment are checked.
    match unsafe { hasher_mut(hasher) } {
        Ok(h) => {
            h.set(Midstate::INITIAL);
            SGXM_OK
        }
        Err(status) => status,
    }
}

fn with_hasher(hasher: *mut sgxm_hasher, f: impl FnOnce(&mut Midstate)) -> u32 {
    // SAFETY: every public caller documents that `hasher` is NULL or valid; NULL and alignment
    // are checked.
    let h = match unsafe { hasher_mut(hasher) } {
        Ok(h) => h,
        Err(status) => return status,
    };
    let mut m = h.mid();
    f(&mut m);
    h.set(m);
    SGXM_OK
}

/// Hashes an ECREATE record.
///
/// # Safety
/// `hasher` must be NULL or point to an initialised `sgxm_hasher`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sgxm_hasher_ecreate(
    hasher: *mut sgxm_hasher,
    ssa_frame_pages: u32,
    enclave_size: u64,
) -> u32 {
    with_hasher(hasher, |m| {
        m.compress(&[ecreate_record(ssa_frame_pages, enclave_size)])
    })
}

/// Hashes an EADD record for the page at `offset` with SECINFO `flags`.
///
/// # Safety
/// `hasher` must be NULL or point to an initialised `sgxm_hasher`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sgxm_hasher_eadd(
    hasher: *mut sgxm_hasher,
    offset: u64,
    flags: u64,
) -> u32 {
    with_hasher(hasher, |m| m.compress(&[eadd_record(offset, flags)]))
}

/// Hashes an EEXTEND of the 256 bytes at `chunk` for enclave offset `offset`.
///
/// # Safety
/// `hasher` must be NULL or point to an initialised `sgxm_hasher`; `chunk` must be NULL or
/// valid for reads of 256 bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sgxm_hasher_eextend(
    hasher: *mut sgxm_hasher,
    offset: u64,
    chunk: *const u8,
) -> u32 {
    if chunk.is_null() {
        return SGXM_ERR_NULL_ARGUMENT;
    }
    // SAFETY: non-NULL and, per the contract, readable for 256 bytes (alignment 1).
    let chunk = unsafe { &*chunk.cast::<[u8; EEXTEND_CHUNK]>() };
    with_hasher(hasher, |m| {
        m.compress(&[eextend_record(offset)]);
        let (blocks, _) = chunk.as_chunks::<64>();
        m.compress(blocks);
    })
}

/// Writes the 40-byte serialized state (8 state words LE, block count LE) to `out`.
///
/// # Safety
/// `hasher` must be NULL or point to an initialised `sgxm_hasher`; `out` must be NULL or valid
/// for writes of 40 bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sgxm_hasher_save(hasher: *const sgxm_hasher, out: *mut u8) -> u32 {
    // SAFETY: the caller guarantees validity; NULL and alignment are checked.
    let h = match unsafe { hasher_ref(hasher) } {
        Ok(h) => h,
        Err(status) => return status,
    };
    if out.is_null() {
        return SGXM_ERR_NULL_ARGUMENT;
    }
    let state = h.mid().to_bytes();
    // SAFETY: non-NULL and writable for 40 bytes per the contract; `state` is a distinct local.
    unsafe { core::ptr::copy_nonoverlapping(state.as_ptr(), out, state.len()) };
    SGXM_OK
}

/// Restores a state written by `sgxm_hasher_save`.
///
/// # Safety
/// `hasher` must be NULL or valid for writes; `state` must be NULL or valid for reads of
/// `state_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sgxm_hasher_restore(
    hasher: *mut sgxm_hasher,
    state: *const u8,
    state_len: usize,
) -> u32 {
    if hasher.is_null() || state.is_null() {
        return SGXM_ERR_NULL_ARGUMENT;
    }
    if !hasher.is_aligned() {
        return SGXM_ERR_MISALIGNED_ARGUMENT;
    }
    if state_len != SGXM_HASHER_STATE_LEN {
        return SGXM_ERR_BAD_STATE_LENGTH;
    }
    // SAFETY: non-NULL and, per the contract, readable for `state_len` (= 40) bytes.
    let bytes = unsafe { &*state.cast::<[u8; SGXM_HASHER_STATE_LEN]>() };
    with_hasher(hasher, |m| *m = Midstate::from_bytes(bytes))
}

/// Writes MRENCLAVE (the SHA-256 of every record hashed) to `out`. The hasher is unchanged.
///
/// # Safety
/// `hasher` must be NULL or point to an initialised `sgxm_hasher`; `out` must be NULL or valid
/// for writes of 32 bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sgxm_hasher_finish(hasher: *const sgxm_hasher, out: *mut u8) -> u32 {
    // SAFETY: the caller guarantees validity; NULL and alignment are checked.
    let h = match unsafe { hasher_ref(hasher) } {
        Ok(h) => h,
        Err(status) => return status,
    };
    if out.is_null() {
        return SGXM_ERR_NULL_ARGUMENT;
    }
    let digest = h.mid().finalize();
    // SAFETY: non-NULL and writable for 32 bytes per the contract; `digest` is a distinct local.
    unsafe { core::ptr::copy_nonoverlapping(digest.as_ptr(), out, digest.len()) };
    SGXM_OK
}
