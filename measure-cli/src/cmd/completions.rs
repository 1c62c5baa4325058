//! `sgx-measure completions`: shell completion scripts generated from the CLI definition.

use std::io::Write as _;

use anyhow::Result;
use clap::{Args, ValueEnum};

/// Print a shell completion script for sgx-measure (generated from the command definition, so
/// it always matches this binary's subcommands and flags).
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure completions bash > ~/.local/share/bash-completion/completions/sgx-measure\n  sgx-measure completions zsh > ~/.zfunc/_sgx-measure   # with fpath+=(~/.zfunc) before compinit\n  sgx-measure completions fish > ~/.config/fish/completions/sgx-measure.fish"
)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

/// Shells with completion scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// bash (with the bash-completion package).
    Bash,
    /// zsh (a `_sgx-measure` file in a directory of `fpath`).
    Zsh,
    /// fish.
    Fish,
}

/// The completion script for `shell`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut cmd = crate::cli::command();
    let mut out = Vec::new();
    let name = cmd.get_name().to_string();
    match shell {
        Shell::Bash => {
            clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, name.clone(), &mut out);
            out = fix_bash_hyphenated_name(&out, &name);
        }
        Shell::Zsh => clap_complete::generate(clap_complete::Shell::Zsh, &mut cmd, name, &mut out),
        Shell::Fish => {
            clap_complete::generate(clap_complete::Shell::Fish, &mut cmd, name, &mut out)
        }
    }
    out
}

/// clap_complete's bash script names the state of a subcommand two ways when the binary's name
/// has a hyphen (clap-rs/clap#6421): `sgx__measure__subcmd__verify` where the words are read,
/// `sgx__subcmd__measure__subcmd__verify` where the subcommand's options are listed, so nothing
/// after the subcommand's name was completed. One spelling is used for both.
fn fix_bash_hyphenated_name(script: &[u8], name: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(script);
    let wrong = name.replace('-', "__subcmd__");
    let right = name.replace('-', "__");
    text.replace(&format!("{wrong}__subcmd__"), &format!("{right}__subcmd__"))
        .into_bytes()
}

/// Runs the command.
pub fn run(args: &CompletionsArgs) -> Result<()> {
    std::io::stdout().lock().write_all(&script(args.shell))?;
    Ok(())
}
