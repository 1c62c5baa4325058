//! `sgx-measure expand`: the `.manifest.sgx` that gramine-sgx-sign would write, without signing.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::pipeline::PipelineArgs;
use measure_lib::{fsutil, pipeline};

/// Write the final manifest (.manifest.sgx) exactly as gramine-sgx-sign would: defaults,
/// trusted files expanded and hashed, written by tomli_w.
#[derive(Args, Debug)]
#[command(
    after_help = "Example:\n  sgx-measure expand --manifest app.manifest --output app.manifest.sgx --gramine 1.9"
)]
pub struct ExpandArgs {
    /// Input manifest (.manifest).
    #[arg(short = 'm', long, value_name = "FILE")]
    pub manifest: PathBuf,
    /// Output (.manifest.sgx).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: PathBuf,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// No progress bar and no summary.
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
    /// Print the summary as JSON on standard output (`output`, `trusted_files`, `bytes_hashed`,
    /// `cache_hits`).
    #[arg(long)]
    pub json: bool,
}

/// Runs the command.
pub fn run(args: &ExpandArgs) -> Result<()> {
    let opts = args.pipeline.options()?;
    opts.dialect()?;
    let input = fsutil::read(&args.manifest, "manifest")?;
    let mut hasher = crate::progress::file_hasher(args.pipeline.hash_cache.as_deref(), args.quiet)?;
    let expanded = pipeline::run(&input, &opts, &mut hasher)?;
    fsutil::write_atomic(&args.output, expanded.text.as_bytes())?;
    hasher.save_cache()?;
    if args.json {
        let doc = serde_json::json!({
            "output": args.output.display().to_string(),
            "trusted_files": expanded.deps.len(),
            "bytes_hashed": hasher.bytes_hashed,
            "cache_hits": hasher.cache_hits,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else if !args.quiet {
        eprintln!(
            "wrote {} ({} trusted files; {} bytes hashed, {} from the hash cache)",
            args.output.display(),
            expanded.deps.len(),
            hasher.bytes_hashed,
            hasher.cache_hits
        );
    }
    Ok(())
}
