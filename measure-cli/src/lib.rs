//! The `sgx-measure` command line tool's library: everything that needs `std` (files, TOML,
//! parallel hashing, RSA), on top of the no_std `measure-core`.

pub mod attrs;
pub mod cli;
pub mod cmd;
pub mod entries;
pub mod evidence;
pub mod fsutil;
pub mod hashing;
pub mod manifest;
pub mod report;
pub mod sigstruct;
pub mod toml;
