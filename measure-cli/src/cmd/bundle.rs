//! `sgx-measure bundle`: the algorithm owner's base bundle.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use sha2::{Digest, Sha256};

use super::pipeline::PipelineArgs;
use measure_lib::bundle::{self, Made};
use measure_lib::fsutil;

/// Make a base bundle: everything a verifier needs to recompute MRENCLAVE for this base manifest
/// and PAL with any data owner's entries appended (see docs/formats.md).
///
/// Base trusted files are expanded and hashed exactly as `sign` does. Without --allow-prefix the
/// bundle accepts no appended entry; each prefix must start with file: and end with /.
#[derive(Args, Debug)]
#[command(
    after_help = "Example:\n  sgx-measure bundle -m base.manifest -l libpal.so --allow-prefix file:/data/ -o base.bundle"
)]
pub struct BundleArgs {
    /// The base manifest (.manifest, as given to gramine-sgx-sign; never the signed .manifest.sgx,
    /// whose expanded list hides which entries had no hash).
    #[arg(short = 'm', long, value_name = "FILE")]
    pub manifest: PathBuf,
    /// The PAL.
    #[arg(short = 'l', long, value_name = "FILE", default_value = super::sign::DEFAULT_LIBPAL)]
    pub libpal: PathBuf,
    /// URI prefix data owners' entries may use (repeatable).
    #[arg(long = "allow-prefix", value_name = "URI_PREFIX")]
    pub allow_prefix: Vec<String>,
    /// Output bundle.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: PathBuf,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// Say which PAL was measured (on standard error).
    #[arg(short, long)]
    pub verbose: bool,
    /// Print only the bundle's SHA-256.
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
    /// Print the result as JSON (`bundle`, `size`, `sha256`, `base_mrenclave`,
    /// `base_trusted_files`, `allow_prefix`).
    #[arg(long)]
    pub json: bool,
}

/// Builds a bundle from the command's arguments.
pub fn make(args: &BundleArgs) -> Result<Made> {
    for p in &args.allow_prefix {
        bundle::check_prefix(p)?;
    }
    let opts = args.pipeline.options()?;
    opts.dialect()?;
    let input = fsutil::read(&args.manifest, "manifest")?;
    let libpal = measure_lib::signer::read_libpal(&args.libpal)?;
    if args.verbose {
        eprintln!("libpal: {}", args.libpal.display());
    }
    let mut hasher = crate::progress::file_hasher(args.pipeline.hash_cache.as_deref(), args.quiet)?;
    Ok(bundle::make(
        &input,
        &libpal,
        &args.libpal.display().to_string(),
        &args.allow_prefix,
        &opts,
        &mut hasher,
    )?)
}

/// Runs the command.
pub fn run(args: &BundleArgs) -> Result<()> {
    let made = make(args)?;
    fsutil::write_atomic(&args.output, &made.bytes)?;
    let digest = hex::encode(Sha256::digest(&made.bytes));
    if args.json {
        let doc = serde_json::json!({
            "bundle": args.output.display().to_string(),
            "size": made.bytes.len(),
            "sha256": digest,
            "base_mrenclave": hex::encode(made.base_mrenclave),
            "base_trusted_files": made.base_files,
            "allow_prefix": args.allow_prefix,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else if args.quiet {
        println!("{digest}");
    } else {
        println!(
            "bundle: {} ({} bytes)",
            args.output.display(),
            made.bytes.len()
        );
        println!("bundle sha256: {digest}");
        println!("base mrenclave: {}", hex::encode(made.base_mrenclave));
        println!("base trusted files: {}", made.base_files);
        if args.allow_prefix.is_empty() {
            println!("append policy: no entries may be appended (no --allow-prefix)");
        } else {
            println!(
                "append policy: entries under {}",
                args.allow_prefix.join(", ")
            );
        }
    }
    Ok(())
}
