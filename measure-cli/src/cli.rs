//! The `sgx-measure` command line: every subcommand and flag. The binary parses it; `completions`,
//! `man` and the tests walk the same definition ([`command`]).

use clap::{CommandFactory, Parser, Subcommand};

use crate::cmd;

/// `sgx-measure`.
#[derive(Parser, Debug)]
#[command(
    name = "sgx-measure",
    version,
    about,
    long_about = None,
    after_help = "Examples:\n  sgx-measure mrenclave -m app.manifest.sgx -l libpal.so -q\n  sgx-measure help verify\n\nUser guide: docs/README.md"
)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Every subcommand.
#[derive(Subcommand, Debug)]
pub enum Command {
    Mrenclave(cmd::mrenclave::MrenclaveArgs),
    Sign(cmd::sign::SignArgs),
    Expand(cmd::expand::ExpandArgs),
    HashFiles(cmd::hash_files::HashFilesArgs),
    Entries(cmd::entries::EntriesArgs),
    Bundle(cmd::bundle::BundleArgs),
    Append(cmd::append::AppendArgs),
    Configid(cmd::configid::ConfigidArgs),
    Verify(Box<cmd::verify::VerifyArgs>),
    Policy(Box<cmd::policy::PolicyArgs>),
    Diff(cmd::diff::DiffArgs),
    Sigstruct(cmd::sigstruct::SigstructArgs),
    GenKey(cmd::gen_key::GenKeyArgs),
    Quote(cmd::quote::QuoteArgs),
    Token(cmd::token::TokenArgs),
    Collateral(cmd::collateral::CollateralArgs),
    Sdk(cmd::sdk::SdkArgs),
    Completions(cmd::completions::CompletionsArgs),
    Man(cmd::man::ManArgs),
}

/// The clap command tree of `sgx-measure` (not yet built: call `build()` to see the generated
/// `help` subcommands and propagated settings).
pub fn command() -> clap::Command {
    Cli::command()
}
