//! The `sgx-measure` command line tool: argument parsing, rendering and process concerns, on top
//! of the std library `measure-lib`.

// The doc comments of the argument structs are clap's help text: a URL there stays plain text.
#![allow(rustdoc::bare_urls)]

pub mod cli;
pub mod cmd;
pub mod outcome;
pub mod progress;
pub mod signals;
