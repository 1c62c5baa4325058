//! `sgx-measure token view`: the header and SGX claims of an attestation token, decoded, without
//! verifying anything (`verify --token` does).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use measure_lib::dcap::pki::rfc3339;
use measure_lib::fsutil;
use measure_lib::token::{Token, TokenClaims};

/// Show attestation tokens (Intel Trust Authority, Azure Attestation).
#[derive(Args, Debug)]
#[command(after_help = "Example:\n  sgx-measure token view ita-token.jwt")]
pub struct TokenArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: TokenCommand,
}

/// `sgx-measure token` subcommands.
#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Show a token's header and SGX claims.
    View(ViewArgs),
}

/// Show a token's header, the service that issued it (told by its claims), the enclave's
/// identity, TCB status, nonce and validity times. Nothing is verified: not the signature, not
/// the key, not the times; use `sgx-measure verify --token`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  sgx-measure token view ita-token.jwt\n  \
                        sgx-measure token view maa-token.jwt --json")]
pub struct ViewArgs {
    /// The token (a compact JWS).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Print the header and every claim as JSON.
    #[arg(long)]
    pub json: bool,
    /// Print only the enclave's MRENCLAVE claim (64 hex digits), as `quote view -q` does.
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
}

/// Runs `sgx-measure token ...`.
pub fn run(args: &TokenArgs) -> Result<()> {
    match &args.command {
        TokenCommand::View(a) => view(a),
    }
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "(absent)".to_string(), |v| v.to_string())
}

fn time(t: Option<u64>) -> String {
    t.map_or_else(|| "(absent)".into(), |t| format!("{} ({t})", rfc3339(t)))
}

fn view(args: &ViewArgs) -> Result<()> {
    let bytes = fsutil::read(&args.file, "token")?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| anyhow!("{}: a token is text", args.file.display()))?;
    let token = Token::parse(text).with_context(|| format!("{}", args.file.display()))?;
    let claims = TokenClaims::from_claims(&token.claims)
        .with_context(|| format!("{}", args.file.display()))?;
    let out = if args.json {
        let mut s = serde_json::to_string_pretty(&json!({
            "service": claims.service,
            "verified": false,
            "header": Value::Object(token.header.clone()),
            "claims": Value::Object(token.claims.clone()),
            "signature_bytes": token.signature.len(),
        }))?;
        s.push('\n');
        s
    } else if args.quiet {
        format!("{}\n", hex::encode(claims.identity.mrenclave))
    } else {
        let h = |k: &str| {
            token
                .header
                .get(k)
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .unwrap_or_else(|| "(absent)".into())
        };
        let id = &claims.identity;
        let mut s = String::new();
        writeln!(
            s,
            "token: {} ({} bytes)",
            args.file.display(),
            token.text.len()
        )?;
        writeln!(s, "service:     {}", claims.service)?;
        writeln!(
            s,
            "NOTE:        nothing verified (signature, key, times): use sgx-measure verify --token"
        )?;
        writeln!(s, "header:      alg {}, kid {}", h("alg"), h("kid"))?;
        writeln!(s, "             jku {}", h("jku"))?;
        writeln!(s, "signature:   {} bytes", token.signature.len())?;
        writeln!(s, "mrenclave:   {}", hex::encode(id.mrenclave))?;
        writeln!(s, "mrsigner:    {}", opt(id.mrsigner.map(hex::encode)))?;
        writeln!(s, "isvprodid:   {}", opt(id.isvprodid))?;
        writeln!(s, "isvsvn:      {}", opt(id.isvsvn))?;
        writeln!(s, "debuggable:  {}", opt(id.debug))?;
        writeln!(s, "configid:    {}", opt(id.configid.map(hex::encode)))?;
        if id.config_svn.is_some() || id.isv_ext_prod_id.is_some() || id.isv_family_id.is_some() {
            writeln!(s, "configsvn:   {}", opt(id.config_svn))?;
            writeln!(
                s,
                "isvextprodid: {}",
                opt(id.isv_ext_prod_id.map(hex::encode))
            )?;
            writeln!(s, "isvfamilyid: {}", opt(id.isv_family_id.map(hex::encode)))?;
        }
        writeln!(s, "report data: {}", opt(id.report_data.map(hex::encode)))?;
        writeln!(
            s,
            "tcb status:  {}{}",
            opt(claims.tcb_status.as_deref()),
            claims
                .tcb_date
                .as_deref()
                .map(|d| format!(" (TCB date {d})"))
                .unwrap_or_default()
        )?;
        writeln!(
            s,
            "advisories:  {}",
            if claims.advisory_ids.is_empty() {
                "none".to_string()
            } else {
                claims.advisory_ids.join(", ")
            }
        )?;
        writeln!(
            s,
            "type:        {}",
            opt(claims.attestation_type.as_deref())
        )?;
        writeln!(s, "nonce:       {}", opt(claims.nonce.as_deref()))?;
        writeln!(s, "issuer:      {}", opt(claims.iss.as_deref()))?;
        writeln!(s, "issued at:   {}", time(claims.iat))?;
        writeln!(s, "not before:  {}", time(claims.nbf))?;
        writeln!(s, "expires:     {}", time(claims.exp))?;
        s
    };
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(())
}
