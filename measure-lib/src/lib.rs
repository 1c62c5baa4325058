//! The std library of sgx-measure: everything that needs `std` (files, TOML in Gramine's
//! dialects, parallel hashing, RSA), on top of the no_std `measure-core`. The `sgx-measure`
//! command line tool, the benchmarks and the Python package are built on it.

pub mod append;
pub mod attrs;
pub mod bundle;
pub mod check;
pub mod dataset;
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
pub mod policy;
pub mod ratls;
pub mod report;
pub mod signer;
pub mod sigstruct;
pub mod token;
pub mod toml;
pub mod verify;

pub use error::{Error, Result};
