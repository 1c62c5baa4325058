//! `sgx-measure`: reproduce and verify Gramine SGX enclave measurements.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sgx_measure_cli::cmd;

#[derive(Parser, Debug)]
#[command(name = "sgx-measure", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Mrenclave(cmd::mrenclave::MrenclaveArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Mrenclave(a) => cmd::mrenclave::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sgx-measure: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
