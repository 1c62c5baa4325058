//! `sgx-measure verify`: does this evidence come from the enclave we expect? Every check is
//! printed with what was expected and what was found; the exit status is 0 only if all pass.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use measure_core::append::{check_policy, mrenclave_unchecked};
use measure_core::bundle::Bundle;
use measure_core::configid::configid;
use measure_core::entries::EntryList;
use measure_core::sigstruct::Sigstruct;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::entries::load;
use crate::cmd::entries::From;
use measure_lib::{evidence, fsutil, sigstruct};

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

/// One check of the tree.
#[derive(Clone, Debug)]
pub struct Check {
    /// What is checked (`MRENCLAVE`, `MRSIGNER`, ...).
    pub name: &'static str,
    /// Passed?
    pub pass: bool,
    /// The expected value.
    pub expected: String,
    /// The value found.
    pub found: String,
    /// A note.
    pub detail: String,
}

fn check(
    name: &'static str,
    expected: impl Into<String>,
    found: impl Into<String>,
    detail: impl Into<String>,
) -> Check {
    let (expected, found) = (expected.into(), found.into());
    Check {
        name,
        pass: expected == found,
        expected,
        found,
        detail: detail.into(),
    }
}

fn parse_hex<const N: usize>(s: &str, what: &str) -> Result<[u8; N]> {
    let v = hex::decode(s.trim()).with_context(|| format!("{what}: not hex"))?;
    v.try_into()
        .map_err(|v: Vec<u8>| anyhow::anyhow!("{what}: {} bytes, expected {N}", v.len()))
}

/// The identity fields a check reads, from whichever evidence was given.
struct Found {
    what: String,
    mrenclave: [u8; 32],
    mrsigner: Option<[u8; 32]>,
    isvprodid: Option<u16>,
    isvsvn: Option<u16>,
    debug: Option<bool>,
    configid: Option<[u8; 64]>,
    notes: Vec<String>,
    extra: Vec<Check>,
}

fn found_from_args(args: &VerifyArgs) -> Result<Found> {
    if let Some(path) = args.quote.as_ref().or(args.report.as_ref()) {
        let ev = evidence::load(path)?;
        let id = &ev.identity;
        let wanted_report = args.report.is_some();
        if wanted_report != matches!(ev.kind, evidence::EvidenceKind::Report) {
            bail!(
                "{} holds a {}, not a {}",
                path.display(),
                ev.kind,
                if wanted_report { "report" } else { "quote" }
            );
        }
        let mut notes = vec![];
        if !wanted_report {
            notes.push(
                "quote signature, QE report and PCK certificate chain NOT verified by this command"
                    .to_string(),
            );
        } else {
            notes.push("report MAC NOT verified (only the target enclave can)".to_string());
        }
        return Ok(Found {
            what: format!("{} {} ({})", ev.kind, path.display(), ev.encoding),
            mrenclave: id.mr_enclave,
            mrsigner: Some(id.mr_signer),
            isvprodid: Some(id.isv_prod_id),
            isvsvn: Some(id.isv_svn),
            debug: Some(id.attributes.debug()),
            configid: Some(id.config_id),
            notes,
            extra: vec![],
        });
    }
    if let Some(path) = &args.sig {
        let bytes = fsutil::read(path, "SIGSTRUCT")?;
        let sig = Sigstruct::parse(&bytes).with_context(|| format!("{}", path.display()))?;
        let v = sigstruct::verify(&sig);
        let extra = vec![Check {
            name: "SIGNATURE",
            pass: v.ok(),
            expected: "valid RSA-3072 signature, Q1, Q2".into(),
            found: if v.ok() {
                "valid RSA-3072 signature, Q1, Q2".into()
            } else {
                format!("invalid: {}", v.failed().join(", "))
            },
            detail: String::new(),
        }];
        return Ok(Found {
            what: format!("SIGSTRUCT {}", path.display()),
            mrenclave: sig.enclave_hash,
            mrsigner: Some(sig.mrsigner()),
            isvprodid: Some(sig.isv_prod_id),
            isvsvn: Some(sig.isv_svn),
            debug: Some(sig.attribute_flags & 0x2 != 0),
            configid: None,
            notes: vec![],
            extra,
        });
    }
    let m = args.mrenclave.as_deref().unwrap_or_default();
    Ok(Found {
        what: "an MRENCLAVE value".into(),
        mrenclave: parse_hex::<32>(m, "--mrenclave")?,
        mrsigner: None,
        isvprodid: None,
        isvsvn: None,
        debug: None,
        configid: None,
        notes: vec![],
        extra: vec![],
    })
}

/// Runs the command; `Err` only for unusable input, a failed check gives exit status 1.
pub fn run(args: &VerifyArgs) -> Result<bool> {
    let bundle_bytes = fsutil::read(&args.bundle, "bundle")?;
    let bundle = Bundle::parse(&bundle_bytes)
        .with_context(|| format!("bundle {}", args.bundle.display()))?;
    let (recs, list_bytes) = load(&args.entries, args.from, args.uri_prefix.as_deref())?;
    let list = EntryList::parse(&list_bytes)?;
    let found = found_from_args(args)?;

    let mut checks = Vec::new();
    let policy = check_policy(&bundle, &list, &Sha256::digest(&list_bytes).into());
    checks.push(Check {
        name: "append policy",
        pass: policy.is_ok(),
        expected: "every entry allowed".into(),
        found: match &policy {
            Ok(()) => "every entry allowed".into(),
            Err(v) => format!(
                "{v} ({})",
                recs.get(v.index as usize)
                    .map(|r| r.uri.as_str())
                    .unwrap_or("?")
            ),
        },
        detail: format!("{} entries", recs.len()),
    });
    let expected_mrenclave = mrenclave_unchecked(&bundle, list)?;
    checks.push(check(
        "MRENCLAVE",
        hex::encode(expected_mrenclave),
        hex::encode(found.mrenclave),
        "base bundle + entries",
    ));
    checks.extend(found.extra.iter().cloned());
    if let Some(want) = &args.mrsigner {
        let want = hex::encode(parse_hex::<32>(want, "--mrsigner")?);
        checks.push(check(
            "MRSIGNER",
            want,
            found
                .mrsigner
                .map(hex::encode)
                .unwrap_or_else(|| "(not in the evidence)".into()),
            "",
        ));
    }
    if let Some(want) = args.isvprodid {
        checks.push(check(
            "ISVPRODID",
            want.to_string(),
            found
                .isvprodid
                .map(|v| v.to_string())
                .unwrap_or_else(|| "(not in the evidence)".into()),
            "",
        ));
    }
    if let Some(min) = args.min_isvsvn {
        let f = found.isvsvn;
        checks.push(Check {
            name: "ISVSVN",
            pass: f.is_some_and(|v| v >= min),
            expected: format!(">= {min}"),
            found: f
                .map(|v| v.to_string())
                .unwrap_or_else(|| "(not in the evidence)".into()),
            detail: String::new(),
        });
    }
    if let Some(debug) = found.debug {
        checks.push(Check {
            name: "DEBUG",
            pass: args.allow_debug || !debug,
            expected: if args.allow_debug {
                "any (--allow-debug)".into()
            } else {
                "0 (production enclave)".into()
            },
            found: if debug {
                "1 (debug enclave: its memory can be read by the host)".into()
            } else {
                "0".into()
            },
            detail: String::new(),
        });
    }
    if let Some(want) = &args.configid {
        let want = if want == "auto" {
            configid(&list_bytes)?
        } else {
            parse_hex::<64>(want, "--configid")?
        };
        let f = match found.configid {
            Some(c) => hex::encode(c),
            None => "(not in this evidence: CONFIGID is only in reports and quotes)".into(),
        };
        checks.push(check(
            "CONFIGID",
            hex::encode(want),
            f,
            if args.configid.as_deref() == Some("auto") {
                "SHA-256 of the canonical entry list, 32 zero bytes"
            } else {
                ""
            },
        ));
    }
    let ok = checks.iter().all(|c| c.pass);
    let bundle_sha = hex::encode(Sha256::digest(&bundle_bytes));
    let out = if args.json {
        let v = json!({
            "ok": ok,
            "bundle": {"path": args.bundle.display().to_string(), "sha256": bundle_sha, "gramine": bundle.params.version.as_str()},
            "entries": {"path": args.entries.display().to_string(), "count": recs.len(), "configid": hex::encode(configid(&list_bytes)?)},
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
        for c in &checks {
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
        let failed: Vec<_> = checks.iter().filter(|c| !c.pass).map(|c| c.name).collect();
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
