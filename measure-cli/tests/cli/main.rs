//! The command line's integration tests, one test crate (each crate under `tests/` is a binary
//! of its own, linked separately): one module per area. Run one area with a filter, e.g.
//! `cargo test -p measure-cli --test cli sign_vectors::`.
//!
//! Data the tests read lives beside this directory: `tests/data/`, `tests/toml_diff/`,
//! `tests/toml0102_diff/`, and `testdata/` at the top of the repository.

mod common;

mod append_legacy;
mod append_vectors;
mod cli_convention;
mod cli_help;
mod collateral_cli;
mod dcap_cli;
mod diff_cli;
mod docs_commands;
mod engine_bad_input;
mod engine_vectors;
mod fuzz_regressions;
mod pipeline_cli;
mod policy_cli;
mod quote_cli;
mod sdk_cli;
mod sign_outputs;
mod sign_vectors;
mod sigstruct_cli;
mod sigstruct_vectors;
mod token_cli;
mod toml0102_diff;
mod toml_diff;
mod toml_vectors;
mod verify_cli;
