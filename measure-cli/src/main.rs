//! `sgx-measure`: reproduce and verify Gramine SGX enclave measurements.

use std::process::ExitCode;

use clap::FromArgMatches as _;
use sgx_measure_cli::cli::{Cli, Command};
use sgx_measure_cli::cmd;
use sgx_measure_cli::outcome::{self, Status};

/// Parsing and rendering large manifests allocate a lot: mimalloc is faster than the system's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    outcome::quiet_on_broken_pipe();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let matches = match sgx_measure_cli::cli::matches(&args) {
        Ok(m) => m,
        Err(e) => return outcome::usage_error(e, &args),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => return outcome::usage_error(e, &args),
    };
    // Before the command runs: before any output is staged and before any other thread starts
    // (threads inherit the blocked signals). Parsing the arguments starts none.
    if cli.command.writes_outputs() {
        sgx_measure_cli::signals::install();
    } else {
        measure_lib::outputs::refuse_staging();
    }
    let json = outcome::wants_json(&matches);
    // Exit statuses (docs/cli.md): 0 success or "same", 1 a check failed or "different",
    // 2 unusable input, usage error or unwritable output.
    let result: anyhow::Result<Status> = match &cli.command {
        Command::Mrenclave(a) => cmd::mrenclave::run(a).map(Into::into),
        Command::Sign(a) => cmd::sign::run(a).map(Into::into),
        Command::Expand(a) => cmd::expand::run(a).map(Into::into),
        Command::HashFiles(a) => cmd::hash_files::run(a).map(Into::into),
        Command::Entries(a) => cmd::entries::run(a).map(Into::into),
        Command::Bundle(a) => cmd::bundle::run(a).map(Into::into),
        Command::Append(a) => cmd::append::run(a).map(Into::into),
        Command::Configid(a) => cmd::configid::run(a).map(Into::into),
        Command::Verify(a) => cmd::verify::run(a).map(Into::into),
        Command::Diff(a) => cmd::diff::run(a).map(Into::into).map_err(|e| e.0),
        Command::Sigstruct(a) => cmd::sigstruct::run(a),
        Command::GenKey(a) => cmd::gen_key::run(a).map(Into::into),
        Command::Policy(a) => cmd::policy::run(a).map(Into::into),
        Command::Quote(a) => cmd::quote::run(a).map(Into::into),
        Command::Token(a) => cmd::token::run(a).map(Into::into),
        Command::Collateral(a) => cmd::collateral::run(a).map(Into::into),
        Command::Sdk(a) => cmd::sdk::run(a).map(Into::into),
        Command::Completions(a) => cmd::completions::run(a).map(Into::into),
        Command::Man(a) => cmd::man::run(a).map(Into::into),
    };
    outcome::finish(result, json)
}
