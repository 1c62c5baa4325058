//! `sgx-measure hash-files`: the data owner's command. Hashes files (and directories, expanded as
//! Gramine expands a directory URI) and emits `{uri, sha256}` entries.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use measure_lib::dataset::{self, Hashed, Skipped};
use measure_lib::fsutil;
use measure_lib::shard::Shard;

/// Output format of the entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EntryFormat {
    /// `[[sgx.trusted_files]]` tables with `uri` and `sha256`.
    Toml,
    /// A JSON array of `{"uri": ..., "sha256": ...}`, one object per line.
    Json,
    /// `sha256sum` lines (`<hash>  <path>`, path = URI without `file:`).
    Sha256sum,
}

impl From<EntryFormat> for dataset::EntryFormat {
    fn from(f: EntryFormat) -> Self {
        match f {
            EntryFormat::Toml => dataset::EntryFormat::Toml,
            EntryFormat::Json => dataset::EntryFormat::Json,
            EntryFormat::Sha256sum => dataset::EntryFormat::Sha256sum,
        }
    }
}

/// Hash dataset files at hardware speed and print the trusted-file entries a data owner publishes.
///
/// A directory is expanded as Gramine expands a directory URI (`file:DIR/`): depth-first, entries
/// sorted by name, symlinked directories not followed, unreadable and special files skipped.
/// URIs are `file:` + the path as given, or with --uri-prefix, the prefix + the path relative to
/// the argument (the file name for a file argument), so files can be hashed where they are stored
/// but listed where the enclave sees them.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure hash-files /mnt/datasets/owner1 --uri-prefix file:/data/ -o entries.toml\n  sgx-measure hash-files data/ --format sha256sum"
)]
pub struct HashFilesArgs {
    /// Files or directories to hash.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// URI prefix replacing each argument's own path (e.g. file:/data/).
    #[arg(long = "uri-prefix", value_name = "PREFIX")]
    pub uri_prefix: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "toml")]
    pub format: EntryFormat,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Hash cache (see `sign --help`).
    #[arg(long = "hash-cache", value_name = "FILE")]
    pub hash_cache: Option<PathBuf>,
    /// No progress bar, and no note of skipped paths.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Hash only shard K of N (K from 0) of the files and write a shard file; `sgx-measure
    /// entries merge` joins the N shard files into exactly this command's output without
    /// --shard (in --format). Every shard walks the whole tree; the files are numbered in walk
    /// order and shard K takes numbers K*n/N to (K+1)*n/N.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// A summary on standard error: files hashed, and each path skipped with the reason.
    #[arg(short, long)]
    pub verbose: bool,
}

fn parse_shard(s: &str) -> std::result::Result<Shard, String> {
    Shard::parse(s).map_err(|e| e.to_string())
}

/// The summary on standard error: with `-v` always, each skipped path listed; otherwise one line,
/// only when something was skipped (Gramine leaves the same paths out of a directory URI, so the
/// entries are right, but a dataset with a dangling link is usually not what its owner meant).
fn report_skipped(hashed: usize, skipped: &[Skipped], verbose: bool) {
    let mut counts: Vec<(dataset::SkipReason, usize)> = Vec::new();
    for s in skipped {
        match counts.iter_mut().find(|(r, _)| *r == s.reason) {
            Some((_, n)) => *n += 1,
            None => counts.push((s.reason, 1)),
        }
    }
    let kinds: Vec<String> = counts.iter().map(|(r, n)| r.describe(*n)).collect();
    if verbose {
        eprintln!(
            "hash-files: {hashed} files hashed, {} skipped{}",
            skipped.len(),
            if kinds.is_empty() {
                String::new()
            } else {
                format!(" ({})", kinds.join(", "))
            }
        );
        for s in skipped {
            eprintln!(
                "skipped {}: {}",
                s.path.display(),
                s.reason.describe(1).trim_start_matches("1 ")
            );
        }
    } else if !skipped.is_empty() {
        eprintln!(
            "hash-files: skipped {} (not hashed, as Gramine skips them in a directory; -v lists them)",
            kinds.join(", ")
        );
    }
}

/// Runs the command.
pub fn run(args: &HashFilesArgs) -> Result<()> {
    let mut hasher = crate::progress::file_hasher(args.hash_cache.as_deref(), args.quiet)?;
    let (hashed, skipped) = dataset::hash_files_reporting_skipped(
        &args.paths,
        args.uri_prefix.as_deref(),
        &mut hasher,
        args.shard,
        args.format.into(),
    )?;
    let write = |out: &mut dyn std::io::Write| -> std::io::Result<()> {
        match &hashed {
            Hashed::All(entries) => entries.render_to(args.format.into(), out),
            Hashed::Shard(s) => out.write_all(&s.to_bytes()),
        }
    };
    match &args.output {
        Some(path) => {
            let mut staged = fsutil::stage(path, b"")?;
            staged
                .file_mut()
                .and_then(|f| {
                    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
                    write(&mut w).and_then(|()| w.flush())
                })
                .with_context(|| format!("cannot write {}", path.display()))?;
            staged.commit()?;
        }
        None => {
            let mut w = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
            write(&mut w).and_then(|()| w.flush())?;
        }
    }
    hasher.save_cache()?;
    if !args.quiet {
        let count = match &hashed {
            Hashed::All(entries) => entries.len(),
            Hashed::Shard(s) => s.entries.len(),
        };
        report_skipped(count, &skipped, args.verbose);
    }
    Ok(())
}
