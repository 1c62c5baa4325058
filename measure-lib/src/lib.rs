//! The std library of sgx-measure: everything that needs `std` (files, TOML in Gramine's
//! dialects, parallel hashing, RSA), on top of the no_std `measure-core`. The `sgx-measure`
//! command line tool, the benchmarks and the Python package are built on it.
//!
//! # Cargo features
//! - `dcap`: DCAP quote verification with collateral (module `dcap`), collateral fetching and RA-TLS
//!   certificates (module `ratls`), through `dcap-qvl`, `p256`, `x509-cert` and `ureq`. Off by default
//!   (the `sgx-measure` command line enables it).

#![warn(missing_docs)]

pub mod append;
pub mod appended;
pub mod attrs;
pub mod bundle;
pub mod check;
pub mod dataset;
#[cfg(feature = "dcap")]
pub mod dcap;
pub mod diff;
pub mod entries;
pub mod error;
pub mod evidence;
pub mod fsutil;
pub mod hashing;
pub mod identity;
pub mod manifest;
pub mod measure;
pub mod outputs;
pub mod pipeline;
#[cfg(feature = "dcap")]
pub mod policy;
#[cfg(feature = "dcap")]
pub mod ratls;
pub mod report;
pub mod sdk;
pub mod shard;
pub mod signer;
pub mod sigstruct;
#[cfg(feature = "dcap")]
pub mod token;
pub mod toml;
pub mod verify;

pub use error::{Error, Result};
