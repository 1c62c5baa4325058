//! `sgx-measure quote view`: show every field of SGX attestation evidence (a DCAP quote v3/v4/v5
//! or a 432-byte REPORT), the KSS fields included. The JSON output is documented in
//! `docs/evidence.md`.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};
use measure_core::evidence::quote::{
    attestation_key_type_name, body_type_name, cert_type_name, tee_type_name,
};
use measure_core::evidence::{Evidence, Quote, Report, ReportBody};
use serde_json::{Value, json};

use measure_lib::evidence::{self, LoadedEvidence};

/// Show SGX attestation evidence (DCAP quotes, reports).
#[derive(Args, Debug)]
#[command(after_help = "Example:\n  sgx-measure quote view quote.bin")]
pub struct QuoteArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: QuoteCommand,
}

/// `sgx-measure quote` subcommands.
#[derive(Subcommand, Debug)]
pub enum QuoteCommand {
    /// Show every field of a quote or report.
    View(ViewArgs),
}

/// Show every field of a DCAP quote (v3, v4, v5; SGX only) or of a 432-byte SGX REPORT: the
/// header, the enclave's report body with the KSS fields (ISVEXTPRODID, ISVFAMILYID, CONFIGID,
/// CONFIGSVN) and a summary of the signature data.
///
/// The file may hold the raw bytes, or hex or base64 text of them; which one is found from the
/// content. Nothing is verified: not the quote signature, not the QE report signature, not the PCK
/// certificate chain, not a report's MAC.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  sgx-measure quote view quote.bin\n  \
                        sgx-measure quote view quote.b64 --json | jq .report_body.mr_enclave")]
pub struct ViewArgs {
    /// The evidence file (binary, hex or base64).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Print JSON (stable field names, see docs/evidence.md).
    #[arg(long)]
    pub json: bool,
    /// Print only the enclave's MRENCLAVE (64 hex digits).
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
}

/// Runs `sgx-measure quote ...`.
pub fn run(args: &QuoteArgs) -> Result<()> {
    match &args.command {
        QuoteCommand::View(a) => view(a),
    }
}

fn view(args: &ViewArgs) -> Result<()> {
    let loaded = evidence::load(&args.file)?;
    if args.json {
        let mut s = serde_json::to_string_pretty(&to_json(&loaded))?;
        s.push('\n');
        print!("{s}");
    } else if args.quiet {
        println!("{}", hex(&loaded.evidence().report_body().mr_enclave));
    } else {
        print!("{}", to_text(&loaded));
    }
    Ok(())
}

fn hex(b: &[u8]) -> String {
    hex::encode(b)
}

/// The JSON document of `quote view --json`.
pub fn to_json(loaded: &LoadedEvidence) -> Value {
    let ev = loaded.evidence();
    let (kind, version, quote, report) = match &ev {
        Evidence::Report(r) => ("report", Value::Null, Value::Null, report_json(r)),
        Evidence::Quote(q) => ("quote", json!(q.header.version), quote_json(q), Value::Null),
    };
    json!({
        "kind": kind,
        "quote_version": version,
        "encoding": loaded.encoding.as_str(),
        "size": loaded.bytes.len(),
        "report_body": body_json(ev.report_body()),
        "quote": quote,
        "report": report,
        "verified": false,
    })
}

fn report_json(r: &Report) -> Value {
    json!({ "key_id": hex(&r.key_id), "mac": hex(&r.mac) })
}

fn body_json(b: &ReportBody) -> Value {
    let a = &b.attributes;
    json!({
        "cpu_svn": hex(&b.cpu_svn),
        "misc_select": b.misc_select,
        "misc_select_exinfo": b.misc_exinfo(),
        "misc_select_cpinfo": b.misc_cpinfo(),
        "isv_ext_prod_id": hex(&b.isv_ext_prod_id),
        "attributes": {
            "flags": a.flags,
            "xfrm": a.xfrm,
            "init": a.init(),
            "debug": a.debug(),
            "mode64bit": a.mode64bit(),
            "provision_key": a.provision_key(),
            "einittoken_key": a.einittoken_key(),
            "cet": a.cet(),
            "kss": a.kss(),
            "aex_notify": a.aex_notify(),
        },
        "mr_enclave": hex(&b.mr_enclave),
        "mr_signer": hex(&b.mr_signer),
        "config_id": hex(&b.config_id),
        "isv_prod_id": b.isv_prod_id,
        "isv_svn": b.isv_svn,
        "config_svn": b.config_svn,
        "isv_family_id": hex(&b.isv_family_id),
        "report_data": hex(&b.report_data),
        "reserved1": hex(&b.reserved1),
        "reserved2": hex(&b.reserved2),
        "reserved3": hex(&b.reserved3),
        "reserved4": hex(&b.reserved4),
        "kss_fields_zero": b.kss_fields_zero(),
        "kss_consistent": b.kss_consistent(),
        "reserved_zero": b.reserved_zero(),
    })
}

fn pem_count(pem: &[u8]) -> usize {
    let needle = b"-----BEGIN CERTIFICATE-----";
    pem.windows(needle.len()).filter(|w| w == needle).count()
}

fn quote_json(q: &Quote<'_>) -> Value {
    let h = &q.header;
    let sd = &q.signature_data;
    let cd = &sd.qe.certification_data;
    let chain = cd.pck_cert_chain();
    json!({
        "header": {
            "version": h.version,
            "attestation_key_type": h.attestation_key_type,
            "attestation_key_type_name": attestation_key_type_name(h.attestation_key_type),
            "tee_type": h.tee_type,
            "tee_type_name": tee_type_name(h.tee_type),
            "qe_svn": h.qe_svn,
            "pce_svn": h.pce_svn,
            "qe_vendor_id": hex(&h.qe_vendor_id),
            "user_data": hex(&h.user_data),
        },
        "body_descriptor": q.body_descriptor.map(|d| json!({
            "body_type": d.body_type,
            "body_type_name": body_type_name(d.body_type),
            "size": d.size,
        })),
        "signature_data": {
            "length": q.signature_data_len,
            "signature": hex(&sd.signature),
            "attestation_key": hex(&sd.attestation_key),
            "outer_certification_data": sd.outer_certification.map(|c| json!({
                "type": c.cert_type,
                "type_name": cert_type_name(c.cert_type),
                "size": c.size,
            })),
            "qe_report": body_json(&sd.qe.qe_report),
            "qe_report_signature": hex(&sd.qe.qe_report_signature),
            "qe_auth_data": hex(sd.qe.qe_auth_data),
            "qe_auth_data_size": sd.qe.qe_auth_data.len(),
            "certification_data": {
                "type": cd.cert_type,
                "type_name": cert_type_name(cd.cert_type),
                "size": cd.data.len(),
                "pck_cert_chain_present": chain.is_some(),
                "pck_cert_count": chain.map_or(0, pem_count),
                "data": hex(cd.data),
            },
        },
    })
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn body_text(out: &mut String, indent: &str, b: &ReportBody) {
    let a = &b.attributes;
    let mut set: Vec<&str> = [
        (a.init(), "init"),
        (a.debug(), "debug"),
        (a.mode64bit(), "mode64bit"),
        (a.provision_key(), "provision_key"),
        (a.einittoken_key(), "einittoken_key"),
        (a.cet(), "cet"),
        (a.kss(), "kss"),
        (a.aex_notify(), "aex_notify"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    if set.is_empty() {
        set.push("none");
    }
    let mut misc = Vec::new();
    if b.misc_exinfo() {
        misc.push("exinfo");
    }
    if b.misc_cpinfo() {
        misc.push("cpinfo");
    }
    let misc = if misc.is_empty() {
        String::new()
    } else {
        format!(" ({})", misc.join(", "))
    };
    let rows: Vec<(&str, String)> = vec![
        ("cpu_svn", hex(&b.cpu_svn)),
        ("misc_select", format!("{:#010x}{misc}", b.misc_select)),
        (
            "attributes.flags",
            format!("{:#018x} ({})", a.flags, set.join(", ")),
        ),
        ("attributes.xfrm", format!("{:#018x}", a.xfrm)),
        ("mr_enclave", hex(&b.mr_enclave)),
        ("mr_signer", hex(&b.mr_signer)),
        ("isv_prod_id", b.isv_prod_id.to_string()),
        ("isv_svn", b.isv_svn.to_string()),
        ("isv_ext_prod_id (KSS)", hex(&b.isv_ext_prod_id)),
        ("isv_family_id (KSS)", hex(&b.isv_family_id)),
        ("config_id (KSS)", hex(&b.config_id)),
        ("config_svn (KSS)", b.config_svn.to_string()),
        ("report_data", hex(&b.report_data)),
        ("debug", yes(b.is_debug()).to_string()),
        ("kss_consistent", yes(b.kss_consistent()).to_string()),
        ("reserved_zero", yes(b.reserved_zero()).to_string()),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "{indent}{:<24}{v}", format!("{k}:"));
    }
}

/// The text of `quote view`.
pub fn to_text(loaded: &LoadedEvidence) -> String {
    let ev = loaded.evidence();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "evidence: {} ({}, {} bytes)",
        loaded.kind,
        loaded.encoding,
        loaded.bytes.len()
    );
    match &ev {
        Evidence::Report(r) => {
            let _ = writeln!(out, "report_body:");
            body_text(&mut out, "  ", &r.body);
            let _ = writeln!(out, "{:<26}{}", "key_id:", hex(&r.key_id));
            let _ = writeln!(out, "{:<26}{}", "mac:", hex(&r.mac));
        }
        Evidence::Quote(q) => quote_text(&mut out, q),
    }
    let _ = writeln!(
        out,
        "note: parsed only; no signature, certificate chain or MAC was verified"
    );
    out
}

fn quote_text(out: &mut String, q: &Quote<'_>) {
    let h = &q.header;
    let _ = writeln!(out, "header:");
    let rows: Vec<(&str, String)> = vec![
        ("version", h.version.to_string()),
        (
            "attestation_key_type",
            format!(
                "{} ({})",
                h.attestation_key_type,
                attestation_key_type_name(h.attestation_key_type)
            ),
        ),
        (
            "tee_type",
            format!("{:#x} ({})", h.tee_type, tee_type_name(h.tee_type)),
        ),
        ("qe_svn", h.qe_svn.to_string()),
        ("pce_svn", h.pce_svn.to_string()),
        ("qe_vendor_id", hex(&h.qe_vendor_id)),
        ("user_data", hex(&h.user_data)),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "  {:<24}{v}", format!("{k}:"));
    }
    if let Some(d) = q.body_descriptor {
        let _ = writeln!(
            out,
            "body_descriptor:          type {} ({}), size {}",
            d.body_type,
            body_type_name(d.body_type),
            d.size
        );
    }
    let _ = writeln!(out, "report_body:");
    body_text(out, "  ", &q.report_body);
    let sd = &q.signature_data;
    let cd = &sd.qe.certification_data;
    let _ = writeln!(out, "signature_data:");
    let mut rows: Vec<(&str, String)> = vec![
        ("length", q.signature_data_len.to_string()),
        ("signature", hex(&sd.signature)),
        ("attestation_key", hex(&sd.attestation_key)),
    ];
    if let Some(c) = sd.outer_certification {
        rows.push((
            "outer_certification",
            format!(
                "type {} ({}), {} bytes",
                c.cert_type,
                cert_type_name(c.cert_type),
                c.size
            ),
        ));
    }
    rows.push(("qe_report_signature", hex(&sd.qe.qe_report_signature)));
    rows.push((
        "qe_auth_data",
        format!(
            "{} bytes: {}",
            sd.qe.qe_auth_data.len(),
            hex(sd.qe.qe_auth_data)
        ),
    ));
    rows.push((
        "certification_data",
        format!(
            "type {} ({}), {} bytes",
            cd.cert_type,
            cert_type_name(cd.cert_type),
            cd.data.len()
        ),
    ));
    rows.push((
        "pck_cert_chain",
        match cd.pck_cert_chain() {
            Some(pem) => format!("present, {} certificates", pem_count(pem)),
            None => "absent".to_string(),
        },
    ));
    for (k, v) in rows {
        let _ = writeln!(out, "  {:<24}{v}", format!("{k}:"));
    }
    let _ = writeln!(out, "  qe_report:");
    body_text(out, "    ", &sd.qe.qe_report);
}
