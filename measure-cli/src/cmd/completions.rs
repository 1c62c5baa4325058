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
            clap_complete::generate(clap_complete::Shell::Fish, &mut cmd, name.clone(), &mut out);
            out = add_fish_positional_values(out, &cmd, &name);
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

/// clap_complete's fish generator completes options only, not positional arguments (its
/// documented limit): `sgx-measure completions <TAB>` offered file names instead of the shells.
/// The values of positional arguments that have a fixed list are added, under the conditions the
/// generated script uses for that subcommand's options (one or two subcommand levels).
fn add_fish_positional_values(script: Vec<u8>, root: &clap::Command, name: &str) -> Vec<u8> {
    let using = format!("__fish_{}_using_subcommand", name.replace('-', "_"));
    let mut text = String::from_utf8_lossy(&script).into_owned();
    if !text.contains(&format!("function {using}")) {
        // A generator that spells its helpers otherwise: leave its script as it is.
        return script;
    }
    let quote = |s: &str| s.replace('\\', "\\\\").replace('\'', "\\'");
    let mut add = |path: &[&str], cmd: &clap::Command| {
        let condition = match path {
            [one] => format!("{using} {one}"),
            [one, two] => format!("{using} {one}; and __fish_seen_subcommand_from {two}"),
            _ => return,
        };
        for arg in cmd.get_positionals() {
            let values = arg.get_possible_values();
            if values.is_empty() {
                continue;
            }
            let names: Vec<&str> = values.iter().map(|v| v.get_name()).collect();
            for v in &values {
                text.push_str(&format!(
                    "complete -c {name} -n \"{condition}; and not __fish_seen_subcommand_from {}\" -f -a \"{}\"",
                    names.join(" "),
                    v.get_name()
                ));
                if let Some(help) = v.get_help() {
                    text.push_str(&format!(" -d '{}'", quote(&help.to_string())));
                }
                text.push('\n');
            }
        }
    };
    for sub in root.get_subcommands() {
        add(&[sub.get_name()], sub);
        for leaf in sub.get_subcommands() {
            add(&[sub.get_name(), leaf.get_name()], leaf);
        }
    }
    text.into_bytes()
}

/// Runs the command.
pub fn run(args: &CompletionsArgs) -> Result<()> {
    std::io::stdout().lock().write_all(&script(args.shell))?;
    Ok(())
}
