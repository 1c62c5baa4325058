//! Reproduces, byte for byte, what Gramine's `gramine-sgx-sign` computes for an SGX enclave:
//! the enclave memory layout, MRENCLAVE, and (in later modules) SIGSTRUCT, and verifies them.
//!
//! This crate is always `#![no_std]` and never panics on input: every parser and the measurement
//! engine return small `Copy` errors. It never builds the enclave image in memory; the measurement
//! streams page by page into a resumable SHA-256 state.
//!
//! # Cargo features
//! - `alloc` (default): owned conveniences that need a heap. The engine, parsers and verifier work
//!   without it, which is how the C ABI for enclaves is built.
//!
//! # SHA-256 backend
//! SHA-256 rounds come from `sha2::block_api::compress256`. By default `sha2` detects SHA-NI at run
//! time with CPUID; code that runs inside an enclave must not execute CPUID, so enclave builds fix
//! the backend at build time (`RUSTFLAGS='--cfg sha2_backend="soft"'`, or
//! `--cfg sha2_256_backend="x86-sha"` with `-C target-feature=+sha,+sse4.1`).

#![no_std]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// "Never panics on input", made checkable: no unwrap, expect, panic, indexing or arithmetic that
// can fail outside tests. Values from input use checked (typed error) or saturating operations;
// arithmetic bounded by construction wraps, or sits under a local `allow` that states the bound.
// The fuzz targets also run with overflow checks on (`.ci/run`).
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

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod append;
pub mod attributes;
pub mod bundle;
pub mod configid;
pub mod diff;
pub mod elf;
pub mod engine;
pub mod entries;
pub mod evidence;
pub mod layout;
pub mod measure;
pub mod profile;
pub mod python;
pub mod rules;
pub mod sdk;
pub mod sha256;
pub mod sigstruct;
pub mod size;

pub use engine::{ManifestSource, MeasureError, PalImage, SliceSource, mrenclave};
pub use layout::{Layout, LayoutError, LayoutParams};
pub use measure::{MeasurementHasher, RecordSink};
pub use profile::GramineVersion;
pub use sha256::Midstate;
