//! `sgx-measure`: reproduce and verify Gramine SGX enclave measurements.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
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
    Sign(cmd::sign::SignArgs),
    Expand(cmd::expand::ExpandArgs),
    HashFiles(cmd::hash_files::HashFilesArgs),
    Entries(cmd::entries::EntriesArgs),
    Bundle(cmd::bundle::BundleArgs),
    Append(cmd::append::AppendArgs),
    Configid(cmd::configid::ConfigidArgs),
    Verify(cmd::verify::VerifyArgs),
    Diff(cmd::diff::DiffArgs),
    Sigstruct(cmd::sigstruct::SigstructArgs),
    GenKey(cmd::gen_key::GenKeyArgs),
    Quote(cmd::quote::QuoteArgs),
}

fn main() -> ExitCode {
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
        Command::Verify(a) => match cmd::verify::run(a) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
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
        Command::Quote(a) => cmd::quote::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sgx-measure: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
