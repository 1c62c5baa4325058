//! `sgx-measure collateral fetch|view`: get a quote's verification collateral once from Intel's
//! PCS or a PCCS and store it; show what stored collateral holds. Verification with it is offline
//! (`sgx-measure verify --quote Q --collateral FILE`).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use clap::{Args, Subcommand, ValueEnum};
use measure_core::evidence::Evidence;
use measure_lib::dcap::Collateral;
use measure_lib::dcap::pccs::{self, Update};
use measure_lib::{evidence, fsutil};

/// Fetch and inspect DCAP quote verification collateral.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure collateral fetch --quote quote.bin --pccs https://api.trustedservices.intel.com -o collateral.json\n  sgx-measure collateral view collateral.json"
)]
pub struct CollateralArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: CollateralCommand,
}

/// `sgx-measure collateral` subcommands.
#[derive(Subcommand, Debug)]
pub enum CollateralCommand {
    /// Fetch a quote's collateral (Intel PCS or PCCS, v4 API) into a JSON file.
    Fetch(FetchArgs),
    /// Show stored collateral: issuers, issue and next-update dates, FMSPC, TCB levels.
    View(ViewArgs),
}

/// TCB evaluation data set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum UpdateArg {
    /// What Intel enforces now.
    Standard,
    /// The newest set, published early.
    Early,
}

/// Fetch the collateral of a quote: PCK CRL, root CA CRL, TCB info for the quote's FMSPC, QE
/// identity, with their issuer chains, written as dcap-qvl's QuoteCollateralV3 JSON
/// (docs/formats.md). Written atomically; nothing is verified here.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure collateral fetch --quote quote.bin --pccs https://api.trustedservices.intel.com -o collateral.json\n  sgx-measure collateral fetch --quote quote.bin --pccs https://pccs.example.com:8081 -o collateral.json --update early"
)]
pub struct FetchArgs {
    /// The quote (binary, hex or base64) whose platform's collateral to fetch.
    #[arg(long, value_name = "FILE")]
    pub quote: PathBuf,
    /// Base URL of Intel's PCS (https://api.trustedservices.intel.com) or of a PCCS.
    #[arg(long, value_name = "URL")]
    pub pccs: String,
    /// Output file.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// TCB evaluation data set.
    #[arg(long, value_enum, default_value = "standard")]
    pub update: UpdateArg,
    /// Print nothing (the summary otherwise goes to standard error).
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
    /// Print the summary of what was stored as JSON (as `collateral view --json`).
    #[arg(long)]
    pub json: bool,
}

/// Show what collateral holds: FMSPC, until when it is current, TCB levels, QE identity levels,
/// issuer chains and CRLs.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure collateral view collateral.json\n  sgx-measure collateral view collateral.json --json"
)]
pub struct ViewArgs {
    /// The collateral (QuoteCollateralV3 JSON).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Print only until when the collateral is current (its earliest next update).
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
}

/// Runs `sgx-measure collateral ...`.
pub fn run(args: &CollateralArgs) -> Result<()> {
    match &args.command {
        CollateralCommand::Fetch(a) => fetch(a),
        CollateralCommand::View(a) => view(a),
    }
}

fn fetch(args: &FetchArgs) -> Result<()> {
    let ev = evidence::load(&args.quote)?;
    let Evidence::Quote(quote) = ev.evidence() else {
        return Err(anyhow!(
            "{} holds a report, not a quote",
            args.quote.display()
        ));
    };
    let update = match args.update {
        UpdateArg::Standard => Update::Standard,
        UpdateArg::Early => Update::Early,
    };
    let raw = pccs::fetch(&quote, &args.pccs, update)?;
    // Check the structure before writing: what is stored must load.
    let json = Collateral::to_json(&raw);
    let parsed = Collateral::from_json(json.as_bytes()).context("the fetched collateral")?;
    fsutil::write_atomic(&args.output, json.as_bytes())?;
    let s = parsed.summary();
    if args.json {
        std::io::stdout()
            .lock()
            .write_all(format!("{}\n", serde_json::to_string_pretty(&s)?).as_bytes())?;
        return Ok(());
    }
    if args.quiet {
        return Ok(());
    }
    eprintln!(
        "collateral for FMSPC {} written to {} (TCB info issued {}, verify before {})",
        s.fmspc,
        args.output.display(),
        s.tcb_info_issue_date,
        s.valid_until
    );
    Ok(())
}

fn view(args: &ViewArgs) -> Result<()> {
    let bytes = fsutil::read(&args.file, "collateral")?;
    let c = Collateral::from_json(&bytes).with_context(|| format!("{}", args.file.display()))?;
    let s = c.summary();
    let out = if args.json {
        format!("{}\n", serde_json::to_string_pretty(&s)?)
    } else if args.quiet {
        format!("{}\n", s.valid_until)
    } else {
        let mut o = String::new();
        writeln!(o, "collateral: {}", args.file.display())?;
        writeln!(o, "fmspc:        {} (PCE ID {})", s.fmspc, s.pce_id)?;
        writeln!(o, "valid until:  {} (earliest next update)", s.valid_until)?;
        writeln!(
            o,
            "tcb info:     {} v{}, issued {}, next update {}, evaluation data number {}",
            s.tcb_info_id,
            s.tcb_info_version,
            s.tcb_info_issue_date,
            s.tcb_info_next_update,
            s.tcb_evaluation_data_number
        )?;
        for (i, l) in s.tcb_levels.iter().enumerate() {
            let svns: Vec<String> = l.svns.iter().map(u16::to_string).collect();
            writeln!(
                o,
                "  level {:>2}: {:<34} tcb date {}  sgx [{}] pcesvn {}{}",
                i + 1,
                l.status,
                l.tcb_date,
                svns.join(" "),
                l.pcesvn.unwrap_or_default(),
                advisories(&l.advisory_ids)
            )?;
        }
        writeln!(
            o,
            "qe identity:  issued {}, next update {}, MRSIGNER {}, ISVPRODID {}",
            s.qe_identity_issue_date, s.qe_identity_next_update, s.qe_mrsigner, s.qe_isvprodid
        )?;
        for l in &s.qe_tcb_levels {
            writeln!(
                o,
                "  isvsvn {:>3}: {:<17} tcb date {}{}",
                l.svns.first().copied().unwrap_or_default(),
                l.status,
                l.tcb_date,
                advisories(&l.advisory_ids)
            )?;
        }
        for (name, chain) in [
            ("tcb info issuer chain", &s.tcb_info_issuer_chain),
            ("qe identity issuer chain", &s.qe_identity_issuer_chain),
            ("pck crl issuer chain", &s.pck_crl_issuer_chain),
        ] {
            writeln!(o, "{name}:")?;
            for c in chain {
                writeln!(
                    o,
                    "  {} (issuer {}), valid {} to {}",
                    c.subject, c.issuer, c.not_before, c.not_after
                )?;
            }
        }
        for (name, crl) in [("root ca crl", &s.root_ca_crl), ("pck crl", &s.pck_crl)] {
            writeln!(
                o,
                "{name}:{} issuer {}, this update {}, next update {}, {} revoked",
                if name == "pck crl" { "     " } else { " " },
                crl.issuer,
                crl.this_update,
                crl.next_update.as_deref().unwrap_or("(none)"),
                crl.revoked
            )?;
        }
        o
    };
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(())
}

fn advisories(ids: &[String]) -> String {
    if ids.is_empty() {
        String::new()
    } else {
        format!("  advisories {}", ids.join(", "))
    }
}
