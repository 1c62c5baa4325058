//! C ABI of sgx-measure (library `sgx_measure`).
//!
//! Conventions (after rustls-ffi): every symbol is prefixed `sgxm_`; functions return a
//! `uint32_t` status (0 = success, other values never renumbered, see [`status`]); outputs are
//! caller-allocated and written only on success; every pointer is NULL-checked. The crate is
//! `#![no_std]`, allocates nothing and has no panic path reachable from input, so it can be linked
//! into enclaves (see `ffi/build-enclave.sh`).

#![no_std]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]
#![allow(non_camel_case_types)]

#[cfg(test)]
extern crate std;

pub mod hasher;
pub mod status;

/// Last-resort panic handler for builds without std. No input reaches a panic in this library
/// (the core crate returns errors instead); should one happen anyway, trap rather than unwind
/// into C.
#[cfg(not(test))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `ud2` raises #UD and never returns; it touches no memory or registers we rely on.
    unsafe {
        core::arch::asm!("ud2", options(noreturn, nomem, nostack))
    }
    #[cfg(not(target_arch = "x86_64"))]
    loop {
        core::hint::spin_loop();
    }
}

/// A global allocator that refuses every allocation.
///
/// The library never allocates. A workspace build links `alloc` (another member enables
/// `measure-core`'s `alloc` feature), which requires an allocator symbol; this one makes any
/// allocation fail loudly instead of silently using a heap that an enclave may not have. The C
/// tests rely on it: a call that allocated would trap.
#[cfg(not(test))]
struct NoHeap;

#[cfg(not(test))]
// SAFETY: returning null is always a valid GlobalAlloc answer ("allocation failed"), and
// dealloc is never reached because nothing is ever allocated.
unsafe impl core::alloc::GlobalAlloc for NoHeap {
    unsafe fn alloc(&self, _: core::alloc::Layout) -> *mut u8 {
        core::ptr::null_mut()
    }
    unsafe fn dealloc(&self, _: *mut u8, _: core::alloc::Layout) {}
}

#[cfg(not(test))]
#[global_allocator]
static NO_HEAP: NoHeap = NoHeap;
