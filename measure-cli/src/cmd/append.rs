//! `sgx-measure append`: the verifier's MRENCLAVE for a base bundle plus a data owner's entries.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use measure_core::bundle::Bundle;
use sha2::{Digest, Sha256};

use super::entries::{in_file, load, open};
use crate::cmd::entries::From;
use measure_lib::append::{Policy, append, append_input};
use measure_lib::fsutil;

/// Compute the MRENCLAVE of the bundle's enclave with a data owner's entries appended to
/// sgx.trusted_files, after enforcing the bundle's append policy.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure append --bundle base.bundle --entries owner1.toml -q\n  sgx-measure append --bundle base.bundle --entries SHA256SUMS --from sha256sum --uri-prefix file:/data/ --print-manifest final.manifest.sgx"
)]
pub struct AppendArgs {
    /// The base bundle (from `sgx-measure bundle`).
    #[arg(long, value_name = "FILE")]
    pub bundle: PathBuf,
    /// The data owner's entries (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    pub entries: PathBuf,
    /// Entries format (default: detected).
    #[arg(long, value_enum)]
    pub from: Option<From>,
    /// For sha256sum entries: the URI prefix put before each path [default: file:].
    #[arg(long = "uri-prefix", value_name = "P")]
    pub uri_prefix: Option<String>,
    /// Print only the MRENCLAVE (64 hex digits) and a newline.
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
    /// Print the result as JSON (`mrenclave`, `entries_appended`, `policy_enforced`,
    /// `bundle_sha256`).
    #[arg(long)]
    pub json: bool,
    /// Also write the final manifest (the .manifest.sgx gramine-sgx-sign would write).
    #[arg(long = "print-manifest", value_name = "FILE")]
    pub print_manifest: Option<PathBuf>,
    /// UNSAFE: skip the append policy and apply Gramine's own semantics (duplicates dropped, an
    /// appended hash silently replacing a base entry that had none). For reproducing what Gramine
    /// computes, never for deciding whether to trust an enclave.
    #[arg(long = "unsafe-no-policy")]
    pub unsafe_no_policy: bool,
}

/// Runs the command.
pub fn run(args: &AppendArgs) -> Result<()> {
    let bundle_bytes = fsutil::read(&args.bundle, "bundle")?;
    let bundle = Bundle::parse(&bundle_bytes)
        .with_context(|| format!("bundle {}", args.bundle.display()))?;
    let (mrenclave, count) = if args.unsafe_no_policy {
        let entries = load(&args.entries, args.from, args.uri_prefix.as_deref())?;
        entries.entry_list()?;
        eprintln!(
            "sgx-measure: WARNING: --unsafe-no-policy: the append policy is NOT enforced. Appended entries may shadow or replace the base enclave's own files (a planted library is code). Use this only to reproduce Gramine's result, never to decide whether to trust an enclave."
        );
        let out = append(
            &bundle,
            &entries,
            Policy::UnsafeGramineSemantics,
            args.print_manifest.is_some(),
        )?;
        if let (Some(path), Some(bytes)) = (&args.print_manifest, &out.manifest) {
            fsutil::write_atomic(path, bytes)?;
        }
        (out.mrenclave, entries.len())
    } else {
        // Streamed: the entries are read (not held) once to check them, and once more as the
        // final manifest is measured (and written, with --print-manifest).
        let input = open(&args.entries, args.from, args.uri_prefix.as_deref())?;
        let mut staged = match &args.print_manifest {
            Some(path) => Some(fsutil::stage(path, b"")?),
            None => None,
        };
        let out = {
            let mut writer = staged
                .as_mut()
                .map(|s| s.file_mut())
                .transpose()?
                .map(|f| std::io::BufWriter::with_capacity(1 << 20, f));
            let out = append_input(
                &bundle,
                &input,
                writer.as_mut().map(|w| w as &mut dyn std::io::Write),
            )
            .map_err(|e| in_file(e, &args.entries))?;
            if let Some(mut w) = writer {
                w.flush()
                    .map_err(|e| anyhow::anyhow!("cannot write the manifest: {e}"))?;
            }
            out
        };
        if let Some(s) = staged {
            s.commit()?;
        }
        (out.mrenclave, out.count)
    };
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let doc = serde_json::json!({
            "mrenclave": hex::encode(mrenclave),
            "entries_appended": count,
            "policy_enforced": !args.unsafe_no_policy,
            "bundle_sha256": hex::encode(Sha256::digest(&bundle_bytes)),
        });
        writeln!(stdout, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else if args.quiet {
        writeln!(stdout, "{}", hex::encode(mrenclave))?;
    } else {
        writeln!(stdout, "mrenclave: {}", hex::encode(mrenclave))?;
        writeln!(
            stdout,
            "entries appended: {} (policy {})",
            count,
            if args.unsafe_no_policy {
                "NOT enforced"
            } else {
                "enforced"
            }
        )?;
        writeln!(
            stdout,
            "bundle sha256: {}",
            hex::encode(Sha256::digest(&bundle_bytes))
        )?;
    }
    Ok(())
}
