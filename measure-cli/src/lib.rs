//! The `sgx-measure` command line tool: argument parsing, rendering and process concerns, on top
//! of the std library `measure-lib`.

pub mod cli;
pub mod cmd;
pub mod outcome;
pub mod progress;
pub mod signals;
