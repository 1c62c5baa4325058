//! The `sgx-measure` command line tool: argument parsing, rendering and process concerns, on top
//! of the std library `measure-lib`.

// The doc comments of the argument structs are clap's help text, written for a terminal: a URL,
// `[default: ...]` or `<instance>` there stays plain text.
#![allow(
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags
)]

pub mod cli;
pub mod cmd;
pub mod outcome;
pub mod progress;
pub mod signals;
