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
use measure_core::evidence::{Evidence, Quote};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::identity::{self, IdentityArgs, Inputs};
use measure_lib::check::{Check, Group, Status, Verification};
use measure_lib::dcap::{self, Collateral, Policy, pki};
use measure_lib::identity::{FoundIdentity, ReportDataRule, parse_hex};
use measure_lib::policy::Expected;
use measure_lib::ratls::RaTlsCert;
use measure_lib::{evidence, fsutil, token, verify};

/// Verify attestation evidence against the enclave you expect.
///
/// Evidence: a DCAP quote (verified cryptographically with stored collateral: quote signature,
/// attestation key, QE report, PCK chain, CRLs, TCB info, QE identity, TCB status), a Gramine
/// RA-TLS certificate (its quote, verified the same way, must bind the certificate's key), an
/// Intel Trust Authority or Azure Attestation token (signature, key, certificate chain to the
/// pinned root, times, issuer, TCB status), a REPORT, a .sig or a bare MRENCLAVE. Expected
/// identity: a base bundle plus one or several data owners' entries, a final manifest plus
/// libpal, an MRENCLAVE computed elsewhere, or a policy document.
///
/// Exit status: 0 every check passed, 1 a check failed, 2 unusable input.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure verify --bundle base.bundle --entries owner1.toml --sig owner1.sig --mrsigner 31ecbf4d643bddb30e2216800a2193f052328a5705e2fe300f0fde4dccb1d9f4 --isvprodid 1 --min-isvsvn 1\n  sgx-measure verify --expect-mrenclave 33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb --mrsigner 815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6 --isvprodid 0 --quote quote.bin --collateral collateral.json --now 2025-06-20T00:00:00Z --allow-tcb-status UpToDate,ConfigurationAndSWHardeningNeeded --report-data 48656c6c6f2c20776f726c6421\n  sgx-measure verify --json --bundle base.bundle --entries owner1.toml --mrenclave 29243f15e3d465f019d9df4b3586caf8bb184a6e6f315f9013a1c6a9851a96a6\n  sgx-measure verify --manifest app.manifest.sgx --libpal libpal.so --ra-tls-cert server.crt --collateral collateral.json\n  sgx-measure verify --sdk-enclave enclave.signed.so --sdk-config Enclave.config.xml --quote quote.bin --collateral collateral.json\n  sgx-measure verify --token ita-token.jwt --jwks ita-certs.json --trust-root ita-root.pem --policy expected.json\n  sgx-measure verify --bundle base.bundle --entries owners/ --token ita.jwt --jwks ita-certs.json --trust-root ita-root.pem --configid auto\n\nThe files of the first three are made by the commands of docs/verifier.md; those of the first token example by docs/policies.md."
)]
#[command(group(clap::ArgGroup::new("evidence").required(true).args(["quote", "report", "sig", "mrenclave", "ra_tls_cert", "token"])))]
pub struct VerifyArgs {
    /// The expected identity.
    #[command(flatten)]
    pub identity: IdentityArgs,
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
    /// Evidence: an Intel Trust Authority or Azure Attestation token (JWT), with --jwks and
    /// --trust-root.
    #[arg(long, value_name = "FILE", requires_all = ["jwks", "trust_root"])]
    pub token: Option<PathBuf>,
    /// The service's token signing keys (JWKS, as served at `<service>/certs`), with --token.
    #[arg(long, value_name = "FILE", requires = "token")]
    pub jwks: Option<PathBuf>,
    /// The pinned trust root of the token signing keys (PEM or DER), with --token: Intel Trust
    /// Authority's root CA, or an Azure Attestation instance's self-signed signing certificate.
    #[arg(long = "trust-root", value_name = "FILE", requires = "token")]
    pub trust_root: Option<PathBuf>,
    /// The token's expected issuer (`iss`) [default: `Intel Trust Authority` for ITA tokens; any
    /// https://<instance>.attest.azure.net for Azure Attestation].
    #[arg(long, value_name = "ISS", requires = "token")]
    pub issuer: Option<String>,
    /// The nonce the token must carry (ITA: `verifier_nonce.val`; Azure Attestation: `nonce`),
    /// exactly as the service returned it.
    #[arg(long, value_name = "VALUE", requires = "token")]
    pub nonce: Option<String>,
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
    /// Do not verify the quote's signature chain: only when another component (your attestation
    /// service) has verified this very quote. The output says the chain was not verified.
    #[arg(long = "skip-quote-signature", conflicts_with_all = ["collateral", "root_ca"])]
    pub skip_quote_signature: bool,
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

const HOW_TO_GET_COLLATERAL: &str = "a quote is only evidence once its signature chain is verified: give --collateral FILE \
(get it once with `sgx-measure collateral fetch --quote QUOTE --pccs URL -o collateral.json`, from Intel's PCS \
https://api.trustedservices.intel.com or your PCCS), or --skip-quote-signature if another component has already \
verified this very quote";

/// The expected identity with this command's binding rules (REPORTDATA).
fn expected_identity(args: &VerifyArgs, inputs: &mut Inputs) -> Result<Expected> {
    let mut e = identity::expected(&args.identity, inputs)?;
    if let Some(r) = &args.report_data {
        e.identity.report_data.push(ReportDataRule::prefix_hex(r)?);
    }
    if let Some(p) = &args.report_data_sha256 {
        let bytes = fsutil::read(p, "--report-data-sha256 file")?;
        e.identity
            .report_data
            .push(ReportDataRule::sha256_of(&bytes, p.display().to_string()));
    }
    Ok(e)
}

fn now(args: &VerifyArgs) -> Result<u64> {
    Ok(match &args.now {
        Some(t) => dcap::parse_time(t)?,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default(),
    })
}

/// The quote's chain, verified with the collateral (or skipped on request).
fn quote_checks(
    args: &VerifyArgs,
    expected: &Expected,
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
    let mut policy = Policy::intel(now(args)?);
    if let Some(root) = &args.root_ca {
        let der = fsutil::read(root, "root CA")?;
        policy = policy
            .with_root(&der)
            .with_context(|| format!("--root-ca {}", root.display()))?;
    }
    policy.allowed_statuses = expected.statuses();
    policy.denied_advisories = expected.denied_advisories.clone();
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
    let mut inputs = Inputs::new();
    let expected = expected_identity(args, &mut inputs)?;
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
        quote_checks(args, &expected, &quote, &mut out, &mut inputs)?;
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
            Evidence::Quote(q) => quote_checks(args, &expected, &q, &mut out, &mut inputs)?,
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
    } else if let Some(path) = &args.token {
        let (w, f) = token_checks(args, &expected, path, &mut out, &mut inputs)?;
        what = w;
        found = f;
    } else if let Some(path) = &args.sig {
        let f = if args.identity.sdk.sdk_enclave.is_some() {
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
    if (args.collateral.is_some() || args.root_ca.is_some() || args.skip_quote_signature)
        && args.quote.is_none()
        && args.ra_tls_cert.is_none()
    {
        bail!("--collateral and --root-ca verify a quote: give --quote or --ra-tls-cert");
    }
    // Which enclave, then is the evidence genuine, then the rest of the identity, the bindings.
    let (token_binding, evidence): (Vec<Check>, Vec<Check>) = std::mem::take(&mut out.checks)
        .into_iter()
        .partition(|c| c.group == Group::Binding);
    out.checks = verify::ordered(
        expected.identity.checks(&found),
        evidence,
        binding.into_iter().chain(token_binding).collect(),
    );
    let matched: Vec<String> = expected
        .identity
        .matching(&found)
        .iter()
        .filter_map(|m| m.owner.clone())
        .collect();
    if expected.identity.mrenclaves.len() > 1 || !matched.is_empty() {
        inputs.json.insert("owner".into(), json!(matched.first()));
        inputs.json.insert("owners_matched".into(), json!(matched));
    }

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

/// An attestation token: its checks, and the identity its claims show.
fn token_checks(
    args: &VerifyArgs,
    expected: &Expected,
    path: &std::path::Path,
    out: &mut Verification,
    inputs: &mut Inputs,
) -> Result<(String, FoundIdentity)> {
    let (Some(jwks_path), Some(root_path)) = (&args.jwks, &args.trust_root) else {
        bail!("--token needs --jwks and --trust-root");
    };
    let text = fsutil::read(path, "token")?;
    let text = std::str::from_utf8(&text)
        .map_err(|_| anyhow!("{}: a token is text (base64url and dots)", path.display()))?;
    let parsed = token::Token::parse(text).with_context(|| format!("{}", path.display()))?;
    let jwks_bytes = fsutil::read(jwks_path, "JWKS")?;
    let jwks =
        token::Jwks::parse(&jwks_bytes).with_context(|| format!("{}", jwks_path.display()))?;
    let root = fsutil::read(root_path, "trust root")?;
    let mut policy = token::TokenPolicy::new(&root, now(args)?)
        .with_context(|| format!("--trust-root {}", root_path.display()))?;
    policy.issuer = args.issuer.clone();
    policy.nonce = args.nonce.clone();
    policy.allowed_statuses = expected.statuses();
    policy.denied_advisories = expected.denied_advisories.clone();
    let v = token::verify_token(&parsed, &jwks, &policy)
        .with_context(|| format!("{}", path.display()))?;
    inputs.lines.push((
        "keys",
        format!(
            "{} (sha256 {}), trust root {} (sha256 {}), at {}",
            jwks_path.display(),
            hex::encode(Sha256::digest(&jwks_bytes)),
            policy.trust_root.subject(),
            hex::encode(Sha256::digest(&policy.trust_root.der)),
            pki::rfc3339(policy.now)
        ),
    ));
    inputs.json.insert(
        "token".into(),
        v.report_json(
            &path.display().to_string(),
            &jwks_path.display().to_string(),
            &jwks_bytes,
            &policy,
        ),
    );
    if let Some(tcb) = v.tcb_json() {
        inputs.json.insert("tcb".into(), tcb);
    }
    if v.nonce_unchecked(&policy) {
        out.notes.push(
            "the token carries a nonce that was not checked (--nonce): without it, a replayed token passes as well"
                .into(),
        );
    }
    out.extend(v.checks.clone());
    Ok((
        v.describe(&path.display().to_string()),
        v.claims.identity.clone(),
    ))
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
