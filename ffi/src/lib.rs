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
// No panic path reachable from C, made checkable: no unwrap, expect, panic, indexing that can
// fail or arithmetic that can overflow outside tests.
#![cfg_attr(
    not(test),
    deny(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

// Host builds (the cdylib and staticlib for ordinary programs, and the tests) link std for its
// panic runtime and allocator. The enclave build (`ffi/build-enclave.sh`, `--cfg sgxm_enclave`)
// links neither: it has its own panic handler below and no allocator at all, so any code path
// that allocated would fail to link; nothing in this library needs one.
#[cfg(not(sgxm_enclave))]
extern crate std;

/// The library's version, `MAJOR.MINOR.PATCH` (also in `sgx_measure.pc`).
const VERSION: &core::ffi::CStr =
    match core::ffi::CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes())
    {
        Ok(v) => v,
        Err(_) => c"unknown",
    };

/// The library's version, `MAJOR.MINOR.PATCH`, as a static NUL-terminated string (what
/// `pkg-config --modversion sgx_measure` prints for the installed library).
#[unsafe(no_mangle)]
pub extern "C" fn sgxm_version() -> *const core::ffi::c_char {
    VERSION.as_ptr()
}

pub mod evidence;
pub mod hasher;
pub mod sdk;
pub mod status;
pub mod verify;

/// Panic handler of the enclave build. No input reaches a panic in this library (the core crate
/// returns errors instead); should one happen anyway, trap rather than unwind into C.
#[cfg(sgxm_enclave)]
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

/// The standard library's precompiled `core` refers to the unwinding personality routine in its
/// unwind tables. Nothing unwinds in the enclave build (panic = abort), so this is never called;
/// it only resolves that reference so the archive needs no outside symbol.
#[cfg(sgxm_enclave)]
#[unsafe(no_mangle)]
pub extern "C" fn rust_eh_personality() {}
