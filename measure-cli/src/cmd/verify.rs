//! `sgx-measure verify`: is this evidence genuine, from the enclave we expect, bound to the data
//! we expect? Every check is printed with what was expected and what was found. Exit status 0:
//! every check passed; 1: a check failed; 2: unusable input (the field is named).
//!
//! The logic lives in `measure_lib` (`identity`, `dcap`, `ratls`, `check`); this file reads the
//! files, builds the library's inputs from the flags and draws the result.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use measure_core::configid::configid;
use measure_core::evidence::{Evidence, Quote};
use measure_core::profile::GramineVersion;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::entries::load;
use super::parse_version;
use crate::cmd::entries::From;
use measure_lib::check::{Check, Group, Status, Verification};
use measure_lib::dcap::{self, Collateral, Policy};
use measure_lib::identity::{ExpectedIdentity, FoundIdentity, ReportDataRule, parse_hex};
use measure_lib::ratls::RaTlsCert;
use measure_lib::{evidence, fsutil, verify};

/// Verify attestation evidence against the enclave you expect.
///
/// Evidence: a DCAP quote (verified cryptographically with stored collateral: quote signature,
/// attestation key, QE report, PCK chain, CRLs, TCB info, QE identity, TCB status), a Gramine
/// RA-TLS certificate (its quote, verified the same way, must bind the certificate's key), a
/// REPORT, a .sig or a bare MRENCLAVE. Expected identity: a base bundle plus a data owner's
/// entries, a final manifest plus libpal, an Intel SGX SDK enclave and its configuration
/// (`--sdk-enclave`, `--sdk-config`; see `sgx-measure sdk`), or an MRENCLAVE computed elsewhere.
///
/// Exit status: 0 every check passed, 1 a check failed, 2 unusable input.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure verify --bundle base.bundle --entries owner1.toml --sig owner1.sig --mrsigner 31ecbf4d643bddb30e2216800a2193f052328a5705e2fe300f0fde4dccb1d9f4 --isvprodid 1 --min-isvsvn 1\n  sgx-measure verify --expect-mrenclave 33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb --mrsigner 815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6 --isvprodid 0 --quote quote.bin --collateral collateral.json --now 2025-06-20T00:00:00Z --allow-tcb-status UpToDate,ConfigurationAndSWHardeningNeeded --report-data 48656c6c6f2c20776f726c6421\n  sgx-measure verify --json --bundle base.bundle --entries owner1.toml --mrenclave 29243f15e3d465f019d9df4b3586caf8bb184a6e6f315f9013a1c6a9851a96a6\n  sgx-measure verify --manifest app.manifest.sgx --libpal libpal.so --ra-tls-cert server.crt --collateral collateral.json\n  sgx-measure verify --sdk-enclave enclave.signed.so --sdk-config Enclave.config.xml --quote quote.bin --collateral collateral.json\n\nThe files of the first three are made by the commands of docs/verifier.md."
)]
#[command(group(clap::ArgGroup::new("evidence").required(true).args(["quote", "report", "sig", "mrenclave", "ra_tls_cert"])))]
#[command(group(clap::ArgGroup::new("identity").required(true).args(["bundle", "manifest", "expect_mrenclave", "sdk_enclave"])))]
pub struct VerifyArgs {
    /// Expected identity: the base bundle (with --entries).
    #[arg(long, value_name = "FILE", requires = "entries")]
    pub bundle: Option<PathBuf>,
    /// The data owner's entries (`-` for standard input), with --bundle.
    #[arg(long, value_name = "FILE", requires = "bundle")]
    pub entries: Option<PathBuf>,
    /// Entries format (default: detected).
    #[arg(long, value_enum)]
    pub from: Option<From>,
    /// For sha256sum entries: the URI prefix [default: file:].
    #[arg(long = "uri-prefix", value_name = "P")]
    pub uri_prefix: Option<String>,
    /// Expected identity: a final manifest (.manifest.sgx), with --libpal.
    #[arg(long, value_name = "FINAL.manifest.sgx", requires = "libpal")]
    pub manifest: Option<PathBuf>,
    /// The PAL (Gramine's sgx/libpal.so), with --manifest.
    #[arg(long, value_name = "FILE", requires = "manifest")]
    pub libpal: Option<PathBuf>,
    /// Gramine version whose layout rules apply to --manifest.
    #[arg(long, value_name = "V", default_value = "1.9", value_parser = parse_version)]
    pub gramine: GramineVersion,
    /// Expected identity: an MRENCLAVE computed elsewhere (64 hex digits).
    #[arg(long = "expect-mrenclave", value_name = "HEX")]
    pub expect_mrenclave: Option<String>,
    /// Expected identity: an Intel SGX SDK enclave (boxed: keeps `Command` small).
    #[command(flatten)]
    pub sdk: Box<SdkIdentityArgs>,
    /// Evidence: a DCAP quote (v3, v4 or v5; binary, hex or base64).
    #[arg(long, value_name = "FILE")]
    pub quote: Option<PathBuf>,
    /// Evidence: a Gramine RA-TLS certificate (PEM or DER): its quote is verified and must bind
    /// the certificate's public key.
    #[arg(long = "ra-tls-cert", value_name = "FILE")]
    pub ra_tls_cert: Option<PathBuf>,
    /// Evidence: a 432-byte SGX REPORT (binary, hex or base64).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Evidence: a SIGSTRUCT (.sig).
    #[arg(long, value_name = "FILE")]
    pub sig: Option<PathBuf>,
    /// Evidence: an MRENCLAVE value to compare (64 hex digits).
    #[arg(long, value_name = "HEX")]
    pub mrenclave: Option<String>,
    /// Quote collateral: dcap-qvl's QuoteCollateralV3 JSON (`sgx-measure collateral fetch`).
    #[arg(long, value_name = "FILE")]
    pub collateral: Option<PathBuf>,
    /// Trust anchor for the PCK chain and collateral (DER or PEM) [default: Intel SGX Root CA,
    /// pinned in the binary].
    #[arg(long = "root-ca", value_name = "FILE")]
    pub root_ca: Option<PathBuf>,
    /// Time of verification: Unix seconds or RFC 3339 [default: now].
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Accepted TCB statuses, comma-separated (UpToDate, SWHardeningNeeded, ConfigurationNeeded,
    /// ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded).
    #[arg(
        long = "allow-tcb-status",
        value_name = "LIST",
        default_value = "UpToDate",
        value_delimiter = ','
    )]
    pub allow_tcb_status: Vec<String>,
    /// Fail if the platform's TCB level lists this advisory (e.g. INTEL-SA-00615); repeatable.
    #[arg(long = "deny-advisory", value_name = "ID")]
    pub deny_advisory: Vec<String>,
    /// Do not verify the quote's signature chain: only when another component (your attestation
    /// service) has verified this very quote. The output says the chain was not verified.
    #[arg(long = "skip-quote-signature", conflicts_with_all = ["collateral", "root_ca"])]
    pub skip_quote_signature: bool,
    /// Expected MRSIGNER (64 hex digits).
    #[arg(long, value_name = "HEX")]
    pub mrsigner: Option<String>,
    /// Expected CONFIGID: `auto` (the entries' CONFIGID, see `sgx-measure configid`) or 128 hex
    /// digits.
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
    /// Expected REPORTDATA: its first bytes (hex, 1 to 64 bytes).
    #[arg(long = "report-data", value_name = "HEX")]
    pub report_data: Option<String>,
    /// Expected REPORTDATA: its first 32 bytes are the SHA-256 of FILE.
    #[arg(long = "report-data-sha256", value_name = "FILE")]
    pub report_data_sha256: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Print nothing: the exit status is the result.
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
}

/// `verify`'s SDK enclave identity source.
#[derive(Args, Debug, Default)]
pub struct SdkIdentityArgs {
    /// Expected identity: an Intel SGX SDK enclave (`enclave.so`, signed or not); MRENCLAVE is
    /// what `sgx_sign` computes for it with --sdk-config.
    #[arg(long = "sdk-enclave", value_name = "FILE")]
    pub sdk_enclave: Option<PathBuf>,
    /// The SDK enclave's configuration (`Enclave.config.xml`; without it, `sgx_sign`'s defaults).
    #[arg(long = "sdk-config", value_name = "FILE", requires = "sdk_enclave")]
    pub sdk_config: Option<PathBuf>,
    /// The `sgx_sign` release for --sdk-enclave [default: the one the enclave was built with].
    #[arg(long = "sdk-version", value_name = "VERSION", requires = "sdk_enclave", value_parser = super::sdk::parse_version)]
    pub sdk_version: Option<measure_core::sdk::SdkVersion>,
}

const HOW_TO_GET_COLLATERAL: &str = "a quote is only evidence once its signature chain is verified: give --collateral FILE \
(get it once with `sgx-measure collateral fetch --quote QUOTE --pccs URL -o collateral.json`, from Intel's PCS \
https://api.trustedservices.intel.com or your PCCS), or --skip-quote-signature if another component has already \
verified this very quote";

/// What the header of the output says about the inputs.
struct Inputs {
    lines: Vec<(&'static str, String)>,
    json: serde_json::Map<String, Value>,
}

fn expected_identity(
    args: &VerifyArgs,
    inputs: &mut Inputs,
) -> Result<(ExpectedIdentity, Option<Vec<u8>>)> {
    let mut list_bytes = None;
    let mut id = if let (Some(bundle), Some(entries)) = (&args.bundle, &args.entries) {
        let bundle_bytes = fsutil::read(bundle, "bundle")?;
        let parsed = measure_core::bundle::Bundle::parse(&bundle_bytes)
            .with_context(|| format!("bundle {}", bundle.display()))?;
        let loaded = load(entries, args.from, args.uri_prefix.as_deref())?;
        let (recs, list) = (&loaded.records, loaded.list.clone());
        let id = verify::expected_from_bundle(&parsed, &loaded, &ExpectedIdentity::default())
            .with_context(|| format!("bundle {}", bundle.display()))?;
        let sha = hex::encode(Sha256::digest(&bundle_bytes));
        let version = parsed.params.version;
        inputs.lines.push((
            "bundle",
            format!("{} (sha256 {sha}, Gramine {version})", bundle.display()),
        ));
        let version = version.as_str();
        inputs.lines.push((
            "entries",
            format!("{} ({} entries)", entries.display(), recs.len()),
        ));
        inputs.json.insert(
            "bundle".into(),
            json!({"path": bundle.display().to_string(), "sha256": sha, "gramine": version}),
        );
        inputs.json.insert(
            "entries".into(),
            json!({"path": entries.display().to_string(), "count": recs.len(), "configid": hex::encode(configid(&list)?)}),
        );
        list_bytes = Some(list);
        id
    } else if let (Some(manifest), Some(libpal)) = (&args.manifest, &args.libpal) {
        let m = fsutil::read(manifest, "manifest")?;
        let l = fsutil::read(libpal, "libpal")?;
        let id =
            ExpectedIdentity::from_manifest(&m, &l, &libpal.display().to_string(), args.gramine)?;
        inputs.lines.push((
            "manifest",
            format!(
                "{} (sha256 {}), libpal {}",
                manifest.display(),
                hex::encode(Sha256::digest(&m)),
                libpal.display()
            ),
        ));
        inputs.json.insert(
            "manifest".into(),
            json!({"path": manifest.display().to_string(), "sha256": hex::encode(Sha256::digest(&m)), "libpal": libpal.display().to_string(), "gramine": args.gramine.as_str()}),
        );
        id
    } else if let Some(enclave) = &args.sdk.sdk_enclave {
        let (what, mrenclave) = super::sdk::expected_mrenclave(
            enclave,
            args.sdk.sdk_config.as_deref(),
            args.sdk.sdk_version,
        )?;
        inputs.lines.push(("sdk", what.clone()));
        inputs.json.insert("sdk_enclave".into(), json!(what));
        ExpectedIdentity {
            mrenclave: Some(measure_lib::identity::ExpectedMrenclave {
                value: mrenclave,
                source: "SDK enclave + configuration (sgx_sign)".into(),
            }),
            ..ExpectedIdentity::default()
        }
    } else {
        let v = args.expect_mrenclave.as_deref().unwrap_or_default();
        let id = ExpectedIdentity::from_mrenclave_hex(v)?;
        inputs.lines.push(("expected", "--expect-mrenclave".into()));
        id
    };
    if let Some(m) = &args.mrsigner {
        id.mrsigner = Some(parse_hex::<32>(m, "--mrsigner")?);
    }
    id.isvprodid = args.isvprodid;
    id.min_isvsvn = args.min_isvsvn;
    id.allow_debug = args.allow_debug;
    if let Some(c) = &args.configid {
        id.configid = Some(if c == "auto" {
            let list = list_bytes.as_deref().ok_or_else(|| {
                anyhow!(
                    "--configid auto needs --bundle and --entries (give 128 hex digits otherwise)"
                )
            })?;
            (
                configid(list)?,
                "SHA-256 of the canonical entry list, 32 zero bytes".to_string(),
            )
        } else {
            (parse_hex::<64>(c, "--configid")?, String::new())
        });
    }
    if let Some(r) = &args.report_data {
        id.report_data.push(ReportDataRule::prefix_hex(r)?);
    }
    if let Some(p) = &args.report_data_sha256 {
        let bytes = fsutil::read(p, "--report-data-sha256 file")?;
        id.report_data
            .push(ReportDataRule::sha256_of(&bytes, p.display().to_string()));
    }
    Ok((id, list_bytes))
}

/// The quote's chain, verified with the collateral (or skipped on request).
fn quote_checks(
    args: &VerifyArgs,
    quote: &Quote<'_>,
    out: &mut Verification,
    inputs: &mut Inputs,
) -> Result<()> {
    let Some(path) = &args.collateral else {
        if !args.skip_quote_signature {
            bail!("--quote without --collateral: {HOW_TO_GET_COLLATERAL}");
        }
        out.notes.push(
            "quote signature chain NOT verified by this command (--skip-quote-signature): only the identity below was compared; trust it only if another component verified this very quote".into(),
        );
        out.checks.push(Check::skipped(
            "quote_chain",
            "quote chain",
            Group::Evidence,
            "quote signature, QE report, PCK chain, CRLs, TCB info, QE identity, TCB status",
            "--skip-quote-signature: verified by another component, not by this command",
        ));
        return Ok(());
    };
    let bytes = fsutil::read(path, "collateral")?;
    let collateral =
        Collateral::from_json(&bytes).with_context(|| format!("{}", path.display()))?;
    let now = match &args.now {
        Some(t) => dcap::parse_time(t)?,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default(),
    };
    let mut policy = Policy::intel(now);
    if let Some(root) = &args.root_ca {
        let der = fsutil::read(root, "root CA")?;
        policy = policy
            .with_root(&der)
            .with_context(|| format!("--root-ca {}", root.display()))?;
    }
    policy.allowed_statuses = args
        .allow_tcb_status
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| dcap::parse_tcb_status(s))
        .collect::<Result<_, _>>()?;
    if policy.allowed_statuses.contains(&dcap::TcbStatus::Revoked) {
        bail!(
            "--allow-tcb-status: Revoked is never accepted (the platform's keys are compromised)"
        );
    }
    policy.denied_advisories = args.deny_advisory.clone();
    let v = dcap::verify_quote(quote, &collateral, &policy)?;
    let t = &collateral.tcb_info;
    inputs.lines.push((
        "collateral",
        format!(
            "{} (FMSPC {}, TCB info issued {}, next update {}), root {}, at {}",
            path.display(),
            t.fmspc,
            t.issue_date,
            t.next_update,
            policy.root.subject(),
            v.now
        ),
    ));
    inputs.json.insert(
        "collateral".into(),
        json!({
            "path": path.display().to_string(),
            "fmspc": t.fmspc,
            "tcb_info_issue_date": t.issue_date,
            "tcb_info_next_update": t.next_update,
            "root": policy.root.subject(),
            "root_sha256": hex::encode(Sha256::digest(&policy.root.der)),
            "now": v.now,
        }),
    );
    inputs.json.insert(
        "tcb".into(),
        json!({
            "status": v.tcb_status,
            "advisory_ids": v.advisory_ids,
            "platform_status": v.platform_status,
            "qe_status": v.qe_status,
            "fmspc": v.fmspc,
        }),
    );
    out.extend(v.checks);
    Ok(())
}

/// Runs the command. `Ok(true)`: every check passed; `Ok(false)`: one failed; `Err`: unusable
/// input (exit status 2).
pub fn run(args: &VerifyArgs) -> Result<bool> {
    let mut inputs = Inputs {
        lines: Vec::new(),
        json: serde_json::Map::new(),
    };
    let (expected, _) = expected_identity(args, &mut inputs)?;
    let mut out = Verification::default();
    let found;
    let what;
    let mut binding: Option<Check> = None;
    if let Some(path) = &args.ra_tls_cert {
        let bytes = fsutil::read(path, "RA-TLS certificate")?;
        let cert = RaTlsCert::parse(&bytes).with_context(|| format!("{}", path.display()))?;
        let quote = Quote::parse(&cert.quote).map_err(|e| {
            anyhow!(
                "{}: the quote in the RA-TLS certificate: {e}",
                path.display()
            )
        })?;
        what = format!(
            "RA-TLS certificate {} ({}, quote v{})",
            path.display(),
            cert.describe(),
            quote.version()
        );
        quote_checks(args, &quote, &mut out, &mut inputs)?;
        binding = Some(cert.check(&quote.report_body.report_data));
        found = FoundIdentity::from_report_body(&quote.report_body);
    } else if let Some(path) = args.quote.as_ref().or(args.report.as_ref()) {
        let ev = evidence::load(path)?;
        let wanted_report = args.report.is_some();
        if wanted_report != matches!(ev.kind, evidence::EvidenceKind::Report) {
            bail!(
                "{} holds a {}, not a {}",
                path.display(),
                ev.kind,
                if wanted_report { "report" } else { "quote" }
            );
        }
        what = format!("{} {} ({})", ev.kind, path.display(), ev.encoding);
        match ev.evidence() {
            Evidence::Quote(q) => quote_checks(args, &q, &mut out, &mut inputs)?,
            Evidence::Report(_) => {
                if args.collateral.is_some() {
                    bail!(
                        "--collateral verifies quotes; a REPORT has a MAC only its target enclave can check"
                    );
                }
                out.notes
                    .push("report MAC NOT verified (only the target enclave can)".into());
            }
        }
        found = FoundIdentity::from_report_body(&ev.identity);
    } else if let Some(path) = &args.sig {
        let f = if args.sdk.sdk_enclave.is_some() {
            // The SDK's SIGSTRUCT TYPE (bit 31 for ReleaseType 1) is part of Gramine's HEADER.
            let bytes = fsutil::read(path, "SIGSTRUCT")?;
            let sig = measure_lib::sdk::parse_css(&bytes)
                .with_context(|| format!("{}", path.display()))?;
            verify::Found::from_sigstruct(&sig, &path.display().to_string())
        } else {
            verify::Found::from_sigstruct_file(path)?
        };
        out.extend(f.extra);
        what = f.what;
        found = f.identity;
    } else {
        let m = args.mrenclave.as_deref().unwrap_or_default();
        what = "an MRENCLAVE value".into();
        found = FoundIdentity {
            mrenclave: parse_hex::<32>(m, "--mrenclave")?,
            ..FoundIdentity::default()
        };
    }
    if (args.collateral.is_some() || args.root_ca.is_some())
        && args.quote.is_none()
        && args.ra_tls_cert.is_none()
    {
        bail!("--collateral and --root-ca verify a quote: give --quote or --ra-tls-cert");
    }
    // Which enclave, then is the evidence genuine, then the rest of the identity, the bindings.
    out.checks = verify::ordered(
        expected.checks(&found),
        std::mem::take(&mut out.checks),
        binding.into_iter().collect(),
    );

    let ok = out.ok();
    let text = if args.json {
        let mut j = serde_json::Map::new();
        j.insert("ok".into(), json!(ok));
        j.extend(inputs.json);
        j.insert("evidence".into(), json!(what));
        j.insert("notes".into(), json!(out.notes));
        j.insert("checks".into(), serde_json::to_value(&out.checks)?);
        j.insert("failed".into(), json!(out.failed()));
        format!("{}\n", serde_json::to_string_pretty(&Value::Object(j))?)
    } else if args.quiet {
        String::new()
    } else {
        render_tree(&inputs.lines, &what, &out)
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ok)
}

/// The tree: inputs, evidence and its notes, one branch per check, the result.
pub fn render_tree(inputs: &[(&str, String)], what: &str, v: &Verification) -> String {
    let ok = v.ok();
    let mut s = format!("verify: {}\n", if ok { "PASS" } else { "FAIL" });
    for (k, line) in inputs.iter().filter(|(k, _)| *k != "collateral") {
        s.push_str(&format!("├─ {k:<9} {line}\n"));
    }
    s.push_str(&format!("├─ evidence  {what}\n"));
    for n in &v.notes {
        s.push_str(&format!("│  └─ NOTE: {n}\n"));
    }
    for (k, line) in inputs.iter().filter(|(k, _)| *k == "collateral") {
        s.push_str(&format!("├─ {k} {line}\n"));
    }
    let width = v
        .checks
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(0)
        .max(13);
    for c in &v.checks {
        s.push_str(&format!("├─ {:<width$} {}\n", c.name, c.status.label()));
        s.push_str(&format!("│  ├─ expected: {}\n", c.expected));
        let last = if c.detail.is_empty() {
            "└─"
        } else {
            "├─"
        };
        s.push_str(&format!("│  {last} found:    {}\n", c.found));
        if !c.detail.is_empty() {
            s.push_str(&format!("│  └─ {}\n", c.detail));
        }
    }
    let failed = v.failed();
    let skipped = v
        .checks
        .iter()
        .filter(|c| c.status == Status::Skipped)
        .count();
    if failed.is_empty() {
        if skipped > 0 {
            s.push_str(&format!(
                "└─ result: every check made passed ({skipped} skipped, see above)\n"
            ));
        } else {
            s.push_str("└─ result: every check passed\n");
        }
    } else {
        s.push_str(&format!("└─ result: FAILED: {}\n", failed.join(", ")));
    }
    s
}
