//! The `sgx-measure` command line: every subcommand and flag. The binary parses it; `completions`,
//! `man` and the tests walk the same definition ([`command`]).

use clap::{CommandFactory, Parser, Subcommand};

use crate::cmd;

// The command line is defined twice by one macro, identical but for clap's `defer`: `Cli`, the
// whole tree (what `completions`, `man`, the help and the tests walk, and what the arguments are
// read into), and `LazyCli`, where a subcommand's arguments are only defined once the command
// line selects it. Defining the whole tree (~40 commands, hundreds of arguments) took about
// 0.1 ms of every run; [`matches`] parses with the lazy tree when the first argument names a
// subcommand, and with the whole tree otherwise (help, a version flag, a typo: they list the
// subcommands, which the lazy tree only knows by name).
macro_rules! command_line {
    (
        $cli_vis:vis struct $cli:ident;
        $(#[$sub_attr:meta])* $sub_vis:vis enum $sub:ident;
    ) => {
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
        // The argument group derive makes of the struct, named as in the whole tree.
        #[group(id = "Cli")]
        $cli_vis struct $cli {
            /// The subcommand.
            #[command(subcommand)]
            pub command: $sub,
        }

        /// Every subcommand.
        #[derive(Subcommand, Debug)]
        $(#[$sub_attr])*
        $sub_vis enum $sub {
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
    };
}

command_line! {
    pub struct Cli;
    pub enum Command;
}

command_line! {
    struct LazyCli;
    #[command(defer = true)]
    enum LazyCommand;
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

/// Parses a command line (`args[0]` the program) as [`command`] does, defining only the
/// subcommand it selects when its first argument names one (see `command_line!`); read the
/// result with `Cli::from_arg_matches`.
pub fn matches(args: &[std::ffi::OsString]) -> Result<clap::ArgMatches, clap::Error> {
    let lazy = LazyCli::command();
    let names_a_subcommand = args
        .get(1)
        .and_then(|a| a.to_str())
        .is_some_and(|a| lazy.find_subcommand(a).is_some());
    if names_a_subcommand {
        lazy.try_get_matches_from(args)
    } else {
        command().try_get_matches_from(args)
    }
}
