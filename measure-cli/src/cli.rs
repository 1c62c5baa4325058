//! The `sgx-measure` command line: every subcommand and flag. The binary parses it; `completions`,
//! `man` and the tests walk the same definition ([`command`]).

use clap::{CommandFactory, Parser, Subcommand};

use crate::cmd;

/// `sgx-measure`.
#[derive(Parser, Debug)]
#[command(
    name = "sgx-measure",
    version = version(),
    about,
    long_about = None,
    after_help = concat!(
        "Examples:\n  sgx-measure mrenclave -m app.manifest.sgx -l libpal.so -q\n  sgx-measure help verify\n\n",
        "Exit status: 0 success or same, 1 a check failed or different, 2 unusable input or usage error.\n",
        "User guide: ",
        env!("CARGO_PKG_REPOSITORY"),
        "/blob/main/docs/README.md (docs/README.md in the source tree); man pages: sgx-measure man -o DIR"
    )
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

impl Command {
    /// Whether the command may put an output file in place, and so needs the interruption
    /// handler (`signals.rs`) that removes its temporary files. The commands that only print a
    /// measurement run without it: its thread costs about 0.1 ms of every run, a noticeable part
    /// of a small `sdk mrenclave`. Should one of them stage an output anyway, measure-lib refuses
    /// it (`outputs::refuse_staging`). Every new command writes outputs until shown otherwise.
    pub fn writes_outputs(&self) -> bool {
        use cmd::sdk::SdkCommand;
        match self {
            // Prints the MRENCLAVE; settles the journal a killed `sign` left beside the
            // manifest, which is safe to interrupt at any point, as a kill is.
            Command::Mrenclave(_) => false,
            Command::Sdk(a) => !matches!(a.command, SdkCommand::Mrenclave(_)),
            Command::Sign(_)
            | Command::Expand(_)
            | Command::HashFiles(_)
            | Command::Entries(_)
            | Command::Bundle(_)
            | Command::Append(_)
            | Command::Configid(_)
            | Command::Verify(_)
            | Command::Policy(_)
            | Command::Diff(_)
            | Command::Sigstruct(_)
            | Command::GenKey(_)
            | Command::Quote(_)
            | Command::Token(_)
            | Command::Collateral(_)
            | Command::Completions(_)
            | Command::Man(_) => true,
        }
    }
}

/// `sgx-measure --version`: the release, the commit it was built from, and the Gramine versions
/// whose signer it reproduces, so two builds are told apart.
pub fn version() -> &'static str {
    static VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let all = measure_core::profile::GramineVersion::ALL;
        let first = all.first().map(|v| v.as_str()).unwrap_or_default();
        let last = all.last().map(|v| v.as_str()).unwrap_or_default();
        format!(
            "{} (commit {}; Gramine {first} to {last})",
            env!("CARGO_PKG_VERSION"),
            env!("SGX_MEASURE_COMMIT")
        )
    });
    &VERSION
}

/// The clap command tree of `sgx-measure` (not yet built: call `build()` to see the generated
/// `help` subcommands and propagated settings).
pub fn command() -> clap::Command {
    Cli::command()
}
