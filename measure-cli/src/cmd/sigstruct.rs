//! `sgx-measure sigstruct view|verify|attach`: read, check and assemble SIGSTRUCT (`.sig`) files.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use measure_core::profile::GramineVersion;
use measure_core::sigstruct::{DateEncoding, SIGNING_DATA_SIZE, Sigstruct};

use super::parse_version;
use crate::outcome::{CheckFailed, Status};
use measure_lib::fsutil;
use measure_lib::measure::measure_manifest;
use measure_lib::sigstruct::{
    ViewFormat, attach_signature, load_public_key, make_sigstruct, verify, view,
};

/// Show, verify or assemble SIGSTRUCT (.sig) files.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure sigstruct view app.sig\n  sgx-measure sigstruct verify app.sig --manifest app.manifest.sgx --libpal libpal.so"
)]
pub struct SigstructArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: SigstructCommand,
}

/// `sgx-measure sigstruct` subcommands.
#[derive(Subcommand, Debug)]
pub enum SigstructCommand {
    /// Show a .sig as `gramine-sgx-sigstruct-view --verbose` does.
    View(ViewArgs),
    /// Check a .sig's RSA signature, Q1, Q2 (and, with a manifest, its MRENCLAVE).
    Verify(VerifyArgs),
    /// Build a .sig from signing data and a signature made elsewhere (two-step / HSM signing).
    Attach(AttachArgs),
}

/// Show a .sig as `gramine-sgx-sigstruct-view --verbose` does.
///
/// The text, `--json` and `--toml` outputs are byte-identical to Gramine's tool (same field
/// names and order; like Gramine, the JSON has no final newline).
#[derive(Args, Debug)]
#[command(after_help = "Example:\n  sgx-measure sigstruct view app.sig --json")]
pub struct ViewArgs {
    /// The SIGSTRUCT file (binary, or hex or base64 text of it).
    #[arg(value_name = "FILE.sig")]
    pub file: PathBuf,
    /// Print JSON (`--output-format json`).
    #[arg(long, conflicts_with_all = ["toml", "output_format"])]
    pub json: bool,
    /// Print TOML (`--output-format toml`).
    #[arg(long, conflicts_with = "output_format")]
    pub toml: bool,
    /// text, json or toml, as Gramine's `gramine-sgx-sigstruct-view --output-format` takes it.
    #[arg(long = "output-format", value_enum, value_name = "FORMAT")]
    pub output_format: Option<OutputFormat>,
    /// Only MRSIGNER, MRENCLAVE, ISV values and the debug flag (the tool without --verbose).
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Every field (the default; accepted as Gramine's viewer takes it).
    #[arg(short, long)]
    pub verbose: bool,
    /// Gramine version that wrote the .sig: v1.4 and older store DATE in binary (Gramine's own
    /// viewer, v1.5+, rejects those as misencoded); v1.5 prints the year without zero padding.
    #[arg(long, value_name = "V", default_value = GramineVersion::LATEST.as_str(), value_parser = parse_version)]
    pub gramine: GramineVersion,
}

/// `sigstruct view --output-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Gramine's text.
    Text,
    /// Gramine's JSON (no final newline, as Gramine prints it).
    Json,
    /// Gramine's TOML.
    Toml,
}

/// Check a .sig: the RSA-3072 signature over its signing data, Q1, Q2, the exponent and modulus,
/// and print MRSIGNER.
///
/// With --manifest and --libpal, MRENCLAVE is also recomputed from the final manifest
/// (.manifest.sgx) and compared with ENCLAVEHASH, and the attributes Gramine derives from the
/// manifest are compared with the .sig's. Exits non-zero naming each failed check.
#[derive(Args, Debug)]
#[command(
    after_help = "Example:\n  sgx-measure sigstruct verify app.sig --manifest app.manifest.sgx --libpal libpal.so --gramine 1.9"
)]
pub struct VerifyArgs {
    /// The SIGSTRUCT file.
    #[arg(value_name = "FILE.sig")]
    pub file: PathBuf,
    /// The final manifest (.manifest.sgx) whose MRENCLAVE the .sig must hold.
    #[arg(short = 'm', long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// The PAL (Gramine's sgx/libpal.so), with --manifest [default: Gramine's installed PAL, as
    /// for mrenclave, sign and bundle].
    #[arg(short = 'l', long, value_name = "FILE", requires = "manifest")]
    pub libpal: Option<PathBuf>,
    /// Gramine version whose rules apply (layout, attributes, date encoding).
    #[arg(long, value_name = "V", default_value = GramineVersion::LATEST.as_str(), value_parser = parse_version)]
    pub gramine: GramineVersion,
    /// With --manifest: measure it as it is even if it is not final (a source manifest is
    /// refused otherwise).
    #[arg(long, requires = "manifest")]
    pub as_is: bool,
    /// Print nothing: the exit status is the result (0 every check passed, 1 one failed).
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
    /// Print the checks as JSON (`ok`, `file`, `checks` [{`name`, `ok`, `detail`}], `failed`,
    /// `mrsigner`, `mrenclave`).
    #[arg(long)]
    pub json: bool,
}

/// Assemble a .sig from the signing data (`sgx-measure sign --signing-data`) and an RSA signature
/// made elsewhere, e.g. offline or in an HSM.
///
/// The signature must be the PKCS#1 v1.5 RSA-3072 signature over SHA-256 of the 256-byte signing
/// data, big-endian as openssl writes it. It is checked before the .sig is written.
#[derive(Args, Debug)]
#[command(after_help = "Example:\n  \
    openssl dgst -sha256 -binary -out data.sha256 data.bin\n  \
    openssl pkeyutl -sign -inkey key.pem -pkeyopt digest:sha256 -in data.sha256 -out sig.bin\n  \
    openssl pkey -in key.pem -pubout -out pub.pem\n  \
    sgx-measure sigstruct attach --signing-data data.bin --signature sig.bin --public-key pub.pem -o app.sig")]
pub struct AttachArgs {
    /// The 256-byte signing data.
    #[arg(long, value_name = "FILE")]
    pub signing_data: PathBuf,
    /// The 384-byte big-endian RSA signature.
    #[arg(long, value_name = "FILE")]
    pub signature: PathBuf,
    /// The signer's public key (PEM: PUBLIC KEY or RSA PUBLIC KEY; RSA-3072, exponent 3).
    #[arg(long, value_name = "FILE")]
    pub public_key: PathBuf,
    /// The .sig to write (atomically).
    #[arg(short, long, value_name = "FILE.sig")]
    pub output: PathBuf,
    /// Print nothing.
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
    /// Print `{"output", "mrsigner", "mrenclave"}`.
    #[arg(long)]
    pub json: bool,
}

/// Runs the command.
pub fn run(args: &SigstructArgs) -> Result<Status> {
    match &args.command {
        SigstructCommand::View(a) => run_view(a).map(Into::into),
        SigstructCommand::Verify(a) => run_verify(a),
        SigstructCommand::Attach(a) => run_attach(a).map(Into::into),
    }
}

fn read_sigstruct(path: &std::path::Path) -> Result<Sigstruct> {
    let mut bytes = fsutil::read(path, "SIGSTRUCT")?;
    // Hex or base64 text of a .sig, as `quote view` reads evidence.
    if let Some((_, decoded)) = measure_lib::evidence::decode_text(&bytes)
        && decoded.len() == measure_core::sigstruct::SIGSTRUCT_SIZE
    {
        bytes = decoded;
    }
    Sigstruct::parse(&bytes).with_context(|| format!("{}", path.display()))
}

fn run_view(args: &ViewArgs) -> Result<()> {
    let sig = read_sigstruct(&args.file)?;
    let format = match args.output_format {
        Some(OutputFormat::Json) => ViewFormat::Json,
        Some(OutputFormat::Toml) => ViewFormat::Toml,
        Some(OutputFormat::Text) => ViewFormat::Text,
        None if args.json => ViewFormat::Json,
        None if args.toml => ViewFormat::Toml,
        None => ViewFormat::Text,
    };
    let out = view(&sig, format, !args.quiet, args.gramine)
        .with_context(|| format!("{}", args.file.display()))?;
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(())
}

fn run_verify(args: &VerifyArgs) -> Result<Status> {
    // A sign killed while putting this pair in place: finish (or undo) it first.
    if let Some(m) = &args.manifest {
        measure_lib::outputs::settle(m)?;
    }
    let sig = read_sigstruct(&args.file)?;
    // (name, passed, detail)
    let mut checks: Vec<(String, bool, String)> = verify(&sig)
        .checks
        .iter()
        .map(|(name, r)| match r {
            Ok(()) => (name.to_string(), true, String::new()),
            Err(e) => (name.to_string(), false, e.to_string()),
        })
        .collect();

    if let Some(manifest_path) = &args.manifest {
        let libpal_path = &args
            .libpal
            .clone()
            .unwrap_or_else(|| PathBuf::from(measure_lib::signer::DEFAULT_LIBPAL));
        let manifest = fsutil::read(manifest_path, "manifest")?;
        if !args.as_is {
            measure_lib::pipeline::require_final(&manifest, args.gramine, manifest_path)?;
        }
        let libpal = measure_lib::signer::read_libpal(libpal_path)?;
        let m = measure_manifest(
            &manifest,
            &libpal,
            &libpal_path.display().to_string(),
            args.gramine,
        )?;
        checks.push(if m.mrenclave == sig.enclave_hash {
            (
                "ENCLAVEHASH".into(),
                true,
                format!(
                    "MRENCLAVE recomputed from {}, Gramine {}",
                    manifest_path.display(),
                    args.gramine
                ),
            )
        } else {
            (
                "ENCLAVEHASH".into(),
                false,
                format!("the manifest gives MRENCLAVE {}", hex::encode(m.mrenclave)),
            )
        });
        // The attributes Gramine derives from the manifest (the date is not checked).
        let date = sig.date(DateEncoding::for_version(args.gramine)).ok();
        let date = date
            .or(measure_core::sigstruct::SigDate::new(0, 0, 0))
            .context("date")?;
        checks.push(
            match make_sigstruct(&m.manifest, m.mrenclave, args.gramine, date) {
                Ok(want) => {
                    let mut diffs = Vec::new();
                    let mut cmp = |name: &str, a: u64, b: u64| {
                        if a != b {
                            diffs.push(format!("{name} is {a:#x}, the manifest gives {b:#x}"));
                        }
                    };
                    cmp(
                        "ATTRIBUTES.FLAGS",
                        sig.attribute_flags,
                        want.attribute_flags,
                    );
                    cmp("ATTRIBUTES.XFRM", sig.attribute_xfrm, want.attribute_xfrm);
                    cmp(
                        "ATTRIBUTEMASK.FLAGS",
                        sig.attribute_flags_mask,
                        want.attribute_flags_mask,
                    );
                    cmp(
                        "ATTRIBUTEMASK.XFRM",
                        sig.attribute_xfrm_mask,
                        want.attribute_xfrm_mask,
                    );
                    cmp(
                        "MISCSELECT",
                        sig.misc_select.into(),
                        want.misc_select.into(),
                    );
                    cmp("MISCMASK", sig.misc_mask.into(), want.misc_mask.into());
                    cmp("ISVPRODID", sig.isv_prod_id.into(), want.isv_prod_id.into());
                    cmp("ISVSVN", sig.isv_svn.into(), want.isv_svn.into());
                    if diffs.is_empty() {
                        (
                            "ATTRIBUTES".into(),
                            true,
                            "as Gramine derives them from the manifest".into(),
                        )
                    } else {
                        ("ATTRIBUTES".into(), false, diffs.join("; "))
                    }
                }
                Err(e) => ("ATTRIBUTES".into(), false, format!("{e:#}")),
            },
        );
    }
    let failed: Vec<&str> = checks
        .iter()
        .filter(|(_, ok, _)| !ok)
        .map(|(name, _, _)| name.as_str())
        .collect();
    let mrsigner = hex::encode(sig.mrsigner());
    let mrenclave = hex::encode(sig.enclave_hash);
    let out = if args.json {
        let list: Vec<_> = checks
            .iter()
            .map(|(name, ok, detail)| serde_json::json!({"name": name, "ok": ok, "detail": detail}))
            .collect();
        let doc = serde_json::json!({
            "ok": failed.is_empty(),
            "file": args.file.display().to_string(),
            "checks": list,
            "failed": failed,
            "mrsigner": mrsigner,
            "mrenclave": mrenclave,
        });
        format!("{}\n", serde_json::to_string_pretty(&doc)?)
    } else if args.quiet {
        String::new()
    } else {
        // The signature's own checks first, then MRSIGNER and MRENCLAVE, then the manifest's.
        let mut out = String::new();
        let mut ids_written = false;
        for (name, ok, detail) in &checks {
            if !ids_written && (name == "ENCLAVEHASH" || name == "ATTRIBUTES") {
                out.push_str(&format!("mrsigner: {mrsigner}\nmrenclave: {mrenclave}\n"));
                ids_written = true;
            }
            match (ok, detail.is_empty()) {
                (true, true) => out.push_str(&format!("{name}: OK\n")),
                (true, false) => out.push_str(&format!("{name}: OK ({detail})\n")),
                (false, _) => out.push_str(&format!("{name}: FAILED: {detail}\n")),
            }
        }
        if !ids_written {
            out.push_str(&format!("mrsigner: {mrsigner}\nmrenclave: {mrenclave}\n"));
        }
        out
    };
    std::io::stdout().lock().write_all(out.as_bytes())?;
    if failed.is_empty() {
        Ok(Status::Success)
    } else if args.json || args.quiet {
        Ok(Status::CheckFailed)
    } else {
        Err(CheckFailed(format!(
            "{}: verification failed: {}",
            args.file.display(),
            failed.join(", ")
        ))
        .into())
    }
}

fn run_attach(args: &AttachArgs) -> Result<()> {
    let data = fsutil::read(&args.signing_data, "signing data")?;
    if data.len() != SIGNING_DATA_SIZE {
        bail!(
            "signing data {} is {} bytes, expected {SIGNING_DATA_SIZE}",
            args.signing_data.display(),
            data.len()
        );
    }
    let mut sig = Sigstruct::from_signing_data(&data)
        .with_context(|| format!("signing data {}", args.signing_data.display()))?;
    let signature = fsutil::read(&args.signature, "signature")?;
    let key = load_public_key(&args.public_key)?;
    attach_signature(&mut sig, &key, &signature)
        .with_context(|| format!("signature {}", args.signature.display()))?;
    let v = verify(&sig);
    if !v.ok() {
        bail!(
            "the assembled SIGSTRUCT does not verify: {}",
            v.failed().join(", ")
        );
    }
    fsutil::write_atomic(&args.output, &sig.to_bytes())?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = serde_json::json!({
            "output": args.output.display().to_string(),
            "mrsigner": hex::encode(sig.mrsigner()),
            "mrenclave": hex::encode(sig.enclave_hash),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(());
    }
    if args.quiet {
        return Ok(());
    }
    writeln!(out, "wrote {}", args.output.display())?;
    writeln!(out, "mrsigner: {}", hex::encode(sig.mrsigner()))?;
    writeln!(out, "mrenclave: {}", hex::encode(sig.enclave_hash))?;
    Ok(())
}
