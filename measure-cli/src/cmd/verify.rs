//! `sgx-measure verify`: does this evidence come from the enclave we expect? Every check is
//! printed with what was expected and what was found; the exit status is 0 only if all pass.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use measure_core::bundle::Bundle;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::entries::load;
use crate::cmd::entries::From;
use measure_lib::fsutil;
use measure_lib::verify::{Expected, ExpectedConfigid, Found, verify};

/// Verify attestation evidence (an SGX quote or report), a .sig or a bare MRENCLAVE against the
/// enclave a base bundle plus a data owner's entries describes.
///
/// The quote's signature chain (QE report, PCK certificates) is NOT verified by this version;
/// check it with a quote verification library first. The output says so.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure verify --bundle base.bundle --entries owner1.toml --quote quote.bin --mrsigner 31ecbf4d...d9f4 --isvprodid 0 --min-isvsvn 1\n  sgx-measure verify --bundle base.bundle --entries owner1.toml --sig app.sig --json"
)]
#[command(group(clap::ArgGroup::new("evidence").required(true).args(["quote", "report", "sig", "mrenclave"])))]
pub struct VerifyArgs {
    /// The base bundle.
    #[arg(long, value_name = "FILE")]
    pub bundle: PathBuf,
    /// The data owner's entries (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    pub entries: PathBuf,
    /// Entries format (default: detected).
    #[arg(long, value_enum)]
    pub from: Option<From>,
    /// For sha256sum entries: the URI prefix [default: file:].
    #[arg(long = "uri-prefix", value_name = "P")]
    pub uri_prefix: Option<String>,
    /// A DCAP quote (v3, v4 or v5; binary, hex or base64).
    #[arg(long, value_name = "FILE")]
    pub quote: Option<PathBuf>,
    /// A 432-byte SGX REPORT (binary, hex or base64).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// A SIGSTRUCT (.sig).
    #[arg(long, value_name = "FILE")]
    pub sig: Option<PathBuf>,
    /// An MRENCLAVE value to compare (64 hex digits).
    #[arg(long, value_name = "HEX")]
    pub mrenclave: Option<String>,
    /// Expected MRSIGNER (64 hex digits).
    #[arg(long, value_name = "HEX")]
    pub mrsigner: Option<String>,
    /// Expected CONFIGID: `auto` (the entries' CONFIGID, see `sgx-measure configid`) or 128 hex digits.
    #[arg(long, value_name = "auto|HEX")]
    pub configid: Option<String>,
    /// Expected ISVPRODID.
    #[arg(long, value_name = "N")]
    pub isvprodid: Option<u16>,
    /// Minimum ISVSVN.
    #[arg(long = "min-isvsvn", value_name = "N")]
    pub min_isvsvn: Option<u16>,
    /// Accept a debug enclave (by default the DEBUG attribute must be clear).
    #[arg(long = "allow-debug")]
    pub allow_debug: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_hex<const N: usize>(s: &str, what: &str) -> Result<[u8; N]> {
    let v = hex::decode(s.trim()).with_context(|| format!("{what}: not hex"))?;
    v.try_into()
        .map_err(|v: Vec<u8>| anyhow::anyhow!("{what}: {} bytes, expected {N}", v.len()))
}

fn found_from_args(args: &VerifyArgs) -> Result<Found> {
    if let Some(path) = args.quote.as_ref().or(args.report.as_ref()) {
        return Ok(Found::from_evidence_file(path, args.report.is_some())?);
    }
    if let Some(path) = &args.sig {
        return Ok(Found::from_sigstruct_file(path)?);
    }
    let m = args.mrenclave.as_deref().unwrap_or_default();
    Ok(Found::from_mrenclave(parse_hex::<32>(m, "--mrenclave")?))
}

/// Runs the command; `Err` only for unusable input, a failed check gives exit status 1.
pub fn run(args: &VerifyArgs) -> Result<bool> {
    let bundle_bytes = fsutil::read(&args.bundle, "bundle")?;
    let bundle = Bundle::parse(&bundle_bytes)
        .with_context(|| format!("bundle {}", args.bundle.display()))?;
    let entries = load(&args.entries, args.from, args.uri_prefix.as_deref())?;
    entries.entry_list()?;
    let found = found_from_args(args)?;
    let expected = Expected {
        mrsigner: args
            .mrsigner
            .as_deref()
            .map(|m| parse_hex::<32>(m, "--mrsigner"))
            .transpose()?,
        configid: match args.configid.as_deref() {
            None => None,
            Some("auto") => Some(ExpectedConfigid::Auto),
            Some(hex) => Some(ExpectedConfigid::Value(parse_hex::<64>(hex, "--configid")?)),
        },
        isvprodid: args.isvprodid,
        min_isvsvn: args.min_isvsvn,
        allow_debug: args.allow_debug,
    };
    let verdict = verify(&bundle, &entries, &found, &expected)?;
    let checks = &verdict.checks;
    let recs = &entries.records;
    let ok = verdict.ok;
    let bundle_sha = hex::encode(Sha256::digest(&bundle_bytes));
    let out = if args.json {
        let v = json!({
            "ok": ok,
            "bundle": {"path": args.bundle.display().to_string(), "sha256": bundle_sha, "gramine": bundle.params.version.as_str()},
            "entries": {"path": args.entries.display().to_string(), "count": recs.len(), "configid": hex::encode(verdict.entries_configid)},
            "evidence": found.what,
            "notes": found.notes,
            "checks": checks.iter().map(|c| json!({"name": c.name, "pass": c.pass, "expected": c.expected, "found": c.found, "detail": c.detail})).collect::<Vec<_>>(),
            "failed": checks.iter().filter(|c| !c.pass).map(|c| c.name).collect::<Vec<_>>(),
        });
        format!("{}\n", serde_json::to_string_pretty(&v)?)
    } else {
        let mut s = format!("verify: {}\n", if ok { "PASS" } else { "FAIL" });
        s.push_str(&format!(
            "├─ bundle    {} (sha256 {bundle_sha}, Gramine {})\n",
            args.bundle.display(),
            bundle.params.version
        ));
        s.push_str(&format!(
            "├─ entries   {} ({} entries)\n",
            args.entries.display(),
            recs.len()
        ));
        s.push_str(&format!("├─ evidence  {}\n", found.what));
        for n in &found.notes {
            s.push_str(&format!("│  └─ NOTE: {n}\n"));
        }
        for c in checks {
            s.push_str(&format!(
                "├─ {:<13} {}\n",
                c.name,
                if c.pass { "pass" } else { "FAIL" }
            ));
            s.push_str(&format!("│  ├─ expected: {}\n", c.expected));
            s.push_str(&format!(
                "│  {} found:    {}\n",
                if c.detail.is_empty() {
                    "└─"
                } else {
                    "├─"
                },
                c.found
            ));
            if !c.detail.is_empty() {
                s.push_str(&format!("│  └─ {}\n", c.detail));
            }
        }
        let failed = verdict.failed();
        if failed.is_empty() {
            s.push_str("└─ result: every check passed\n");
        } else {
            s.push_str(&format!("└─ result: FAILED: {}\n", failed.join(", ")));
        }
        s
    };
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(ok)
}
