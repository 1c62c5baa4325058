//! `sgx-measure mrenclave`: MRENCLAVE of a final manifest and a PAL.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use measure_core::profile::GramineVersion;
use serde_json::json;

use super::parse_version;
use super::pipeline::stderr_warnings;
use measure_lib::fsutil;
use measure_lib::measure::{Measured, measure_parsed};
use measure_lib::pipeline::read_final;
use measure_lib::report::verbose_report;

/// Compute MRENCLAVE from a final manifest (.manifest.sgx) and libpal.so, as gramine-sgx-sign does.
///
/// The manifest bytes are measured exactly as given (nothing is re-rendered); only the keys the
/// layout reads (sgx.enclave_size, sgx.max_threads, sgx.edmm_enable, and for v1.4 and older
/// sgx.nonpie_binary / sgx.thread_num) are parsed.
#[derive(Args, Debug)]
#[command(
    after_help = "Example:\n  sgx-measure mrenclave --manifest app.manifest.sgx --libpal libpal.so --gramine 1.9 -q"
)]
pub struct MrenclaveArgs {
    /// The final manifest (what gramine-sgx-sign writes as .manifest.sgx).
    #[arg(short = 'm', long, value_name = "FILE")]
    pub manifest: PathBuf,
    /// The PAL (Gramine's sgx/libpal.so).
    #[arg(short = 'l', long, value_name = "FILE", default_value = measure_lib::signer::DEFAULT_LIBPAL)]
    pub libpal: PathBuf,
    /// Gramine version whose layout rules apply.
    #[arg(long, value_name = "V", default_value = GramineVersion::LATEST.as_str(), value_parser = parse_version)]
    pub gramine: GramineVersion,
    /// Print gramine-sgx-sign's --verbose report (attributes, memory map, measurement).
    #[arg(short, long, conflicts_with_all = ["quiet", "json"])]
    pub verbose: bool,
    /// Print only the MRENCLAVE (64 hex digits) and a newline.
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
    /// Print the layout and the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Measure the manifest as it is even if it is not final (a source manifest, whose trusted
    /// files have no hashes or which lacks keys the signer writes, is refused otherwise).
    #[arg(long)]
    pub as_is: bool,
}

/// Runs the command.
pub fn run(args: &MrenclaveArgs) -> Result<()> {
    // A sign killed while putting this manifest in place: finish (or undo) it first.
    measure_lib::outputs::settle(&args.manifest)?;
    let manifest = fsutil::read(&args.manifest, "manifest")?;
    if !args.as_is {
        measure_lib::pipeline::require_final(&manifest, args.gramine, &args.manifest)?;
    }
    let libpal = measure_lib::signer::read_libpal(&args.libpal)?;
    let table = read_final(&manifest, args.gramine, &stderr_warnings())?;
    let m = measure_parsed(
        &manifest,
        table,
        &libpal,
        &args.libpal.display().to_string(),
        args.gramine,
    )?;
    let out = if args.quiet {
        format!("{}\n", hex::encode(m.mrenclave))
    } else if args.verbose {
        verbose_report(args.gramine, &m)
    } else if args.json {
        let mut s = serde_json::to_string_pretty(&json_report(args.gramine, &m))?;
        s.push('\n');
        s
    } else {
        let p = &m.attrs.params;
        format!(
            "Gramine {}: enclave_size {:#x}, max_threads {}, edmm {}\nmrenclave: {}\n",
            args.gramine,
            p.enclave_size,
            p.threads,
            p.edmm,
            hex::encode(m.mrenclave)
        )
    };
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(())
}

/// The `--json` document.
pub fn json_report(version: GramineVersion, m: &Measured) -> serde_json::Value {
    let l = &m.layout;
    let areas: Vec<_> = m
        .map
        .events
        .iter()
        .map(|e| {
            json!({
                "kind": e.kind.name(),
                "start": format!("{:#x}", e.addr),
                "end": format!("{:#x}", e.addr + e.size),
                "flags": e.flags,
                "measured": e.measured,
            })
        })
        .collect();
    json!({
        "gramine": version.as_str(),
        "enclave_size": l.params.enclave_size,
        "max_threads": l.params.threads,
        "edmm": l.params.edmm,
        "enclave_base": format!("{:#x}", l.enclave_base),
        "heap_min": format!("{:#x}", l.heap_min),
        "manifest_len": l.manifest_len,
        "pal_pinned": l.pal_map_start > 0,
        "areas": areas,
        "mrenclave": hex::encode(m.mrenclave),
        "sha256_blocks": m.sha256_blocks,
    })
}
