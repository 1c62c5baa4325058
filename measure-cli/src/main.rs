//! `sgx-measure`: reproduce and verify Gramine SGX enclave measurements.

use std::process::ExitCode;

use clap::Parser;
use sgx_measure_cli::cli::{Cli, Command};
use sgx_measure_cli::cmd;

/// Parsing and rendering large manifests allocate a lot: mimalloc is faster than the system's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // First, before any other thread starts (they inherit the blocked signals).
    sgx_measure_cli::signals::install();
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Mrenclave(a) => cmd::mrenclave::run(a),
        Command::Sign(a) => cmd::sign::run(a),
        Command::Expand(a) => cmd::expand::run(a),
        Command::HashFiles(a) => cmd::hash_files::run(a),
        Command::Entries(a) => cmd::entries::run(a),
        Command::Bundle(a) => cmd::bundle::run(a),
        Command::Append(a) => cmd::append::run(a),
        Command::Configid(a) => cmd::configid::run(a),
        // verify: 0 every check passed, 1 a check failed, 2 unusable input.
        Command::Verify(a) => match cmd::verify::run(a) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => {
                eprintln!("sgx-measure: error: {e:#}");
                return ExitCode::from(2);
            }
        },
        // diff: 0 same MRENCLAVE, 1 different, 2 unusable input.
        Command::Diff(a) => match cmd::diff::run(a) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => {
                eprintln!("sgx-measure: error: {e}");
                return ExitCode::from(2);
            }
        },
        Command::Sigstruct(a) => cmd::sigstruct::run(a),
        Command::GenKey(a) => cmd::gen_key::run(a),
        Command::Policy(a) => cmd::policy::run(a),
        Command::Quote(a) => cmd::quote::run(a),
        Command::Token(a) => cmd::token::run(a),
        Command::Collateral(a) => cmd::collateral::run(a),
        Command::Sdk(a) => cmd::sdk::run(a),
        Command::Completions(a) => cmd::completions::run(a),
        Command::Man(a) => cmd::man::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sgx-measure: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
