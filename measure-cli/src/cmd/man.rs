//! `sgx-measure man`: man pages generated from the CLI definition.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use measure_lib::fsutil;

/// Write man pages (roff, section 1) generated from the command definition: sgx-measure.1 and
/// one page per subcommand (sgx-measure-verify.1, sgx-measure-entries-convert.1, ...).
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure man -o man\n  man -l man/sgx-measure-verify.1\n  sudo sgx-measure man -o /usr/local/share/man/man1"
)]
pub struct ManArgs {
    /// Directory to write the pages to (created if missing).
    #[arg(short, long, value_name = "DIR", default_value = ".")]
    pub output: PathBuf,
    /// Do not list the pages written.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Every man page: (file name, roff text), the main page first, then each subcommand depth
/// first in definition order (the generated `help` subcommands aside).
pub fn pages() -> Result<Vec<(String, Vec<u8>)>> {
    fn walk(cmd: &clap::Command, out: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
        let man = clap_mangen::Man::new(cmd.clone());
        let mut text = Vec::new();
        man.render(&mut text)?;
        out.push((man.get_filename(), text));
        for sub in cmd.get_subcommands() {
            if sub.get_name() != "help" && !sub.is_hide_set() {
                walk(sub, out)?;
            }
        }
        Ok(())
    }
    let mut cmd = crate::cli::command();
    // Sets every subcommand's display name (`sgx-measure-entries-convert`), which names its page.
    cmd.build();
    let mut out = Vec::new();
    walk(&cmd, &mut out)?;
    Ok(out)
}

/// Runs the command.
pub fn run(args: &ManArgs) -> Result<()> {
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("cannot create {}", args.output.display()))?;
    for (name, text) in pages()? {
        let path = args.output.join(&name);
        fsutil::write_atomic(&path, &text)?;
        if !args.quiet {
            println!("{}", path.display());
        }
    }
    Ok(())
}
