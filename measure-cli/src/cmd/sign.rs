//! `sgx-measure sign`: gramine-sgx-sign's job, byte for byte: the `.manifest.sgx` and the `.sig`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use sha2::{Digest, Sha256};

use super::pipeline::PipelineArgs;
use measure_lib::pipeline::depfile;
use measure_lib::report::verbose_report;
use measure_lib::signer::Signer;
use measure_lib::sigstruct::{default_key_path, default_sigfile, load_private_key, parse_date};
use measure_lib::{fsutil, outputs};
use rsa::PrivateKey;

pub use measure_lib::signer::DEFAULT_LIBPAL;

/// Sign an enclave as gramine-sgx-sign does: write the .manifest.sgx and the .sig (SIGSTRUCT),
/// byte-identical to Gramine's for the same inputs, key and date.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure sign -m app.manifest -o app.manifest.sgx -l libpal.so -k enclave-key.pem -d 2026-01-01\n  sgx-measure sign -m app.manifest -o app.manifest.sgx -l libpal.so --signing-data app.tbs   # two-step signing"
)]
pub struct SignArgs {
    /// Input manifest (.manifest; `-` for standard input, with -s).
    #[arg(short = 'm', long, value_name = "FILE")]
    pub manifest: PathBuf,
    /// Output final manifest (.manifest.sgx).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: PathBuf,
    /// The PAL.
    #[arg(short = 'l', long, value_name = "FILE", default_value = DEFAULT_LIBPAL)]
    pub libpal: PathBuf,
    /// RSA-3072 signing key with exponent 3 (PEM) [default: $XDG_CONFIG_HOME/gramine/enclave-key.pem].
    #[arg(
        short = 'k',
        long,
        value_name = "FILE",
        conflicts_with = "signing_data"
    )]
    pub key: Option<PathBuf>,
    /// Passphrase of an encrypted key.
    #[arg(
        short = 'p',
        long,
        visible_alias = "password",
        value_name = "PASSPHRASE"
    )]
    pub passphrase: Option<String>,
    /// Output .sig [default: the input manifest's name (-m, as gramine-sgx-sign derives it) with
    /// .manifest replaced by .sig].
    #[arg(short = 's', long, value_name = "FILE")]
    pub sigfile: Option<PathBuf>,
    /// SIGSTRUCT date: YYYY-MM-DD or "today".
    #[arg(short = 'd', long, value_name = "DATE", default_value = "today")]
    pub date: String,
    /// Write a Make/Ninja depfile listing the files the outputs depend on.
    #[arg(long, value_name = "FILE")]
    pub depfile: Option<PathBuf>,
    /// Two-step signing: instead of signing, write the 256 bytes to be signed (and print their
    /// SHA-256); sign them elsewhere and finish with `sgx-measure sigstruct attach`.
    #[arg(long = "signing-data", value_name = "FILE")]
    pub signing_data: Option<PathBuf>,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// Print gramine-sgx-sign's report (the default), and which PAL and key were used (on
    /// standard error).
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Print nothing but errors.
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
    /// Print the result as JSON instead of the report (`manifest`, `sig`, `mrenclave`, and
    /// `mrsigner` or, for two-step signing, `signing_data_sha256`).
    #[arg(long, conflicts_with = "verbose")]
    pub json: bool,
}

/// Reads and checks the signing key (none for two-step signing).
fn load_key(args: &SignArgs) -> Result<Option<(PrivateKey, PathBuf)>> {
    if args.signing_data.is_some() {
        return Ok(None);
    }
    let path = args
        .key
        .clone()
        .or_else(default_key_path)
        .unwrap_or_else(|| PathBuf::from(".config/gramine/enclave-key.pem"));
    if !path.exists() {
        bail!(
            "signing key {} not found (give one with -k, create one with `sgx-measure gen-key`, or use --signing-data for two-step signing)",
            path.display()
        );
    }
    Ok(Some((
        load_private_key(&path, args.passphrase.as_deref())?,
        path,
    )))
}

/// Waits for a helper thread of [`run`].
fn joined<T>(job: std::thread::ScopedJoinHandle<'_, Result<T>>, what: &str) -> Result<T> {
    job.join()
        .unwrap_or_else(|_| Err(anyhow!("{what} failed unexpectedly")))
}

/// Runs the command. Nothing is written unless everything succeeds, and the outputs are put in
/// place together (`measure_lib::outputs`): a kill at any point leaves the old ones or the new.
///
/// Two cores share the work: the key is read and checked while the manifest is expanded, and
/// the final manifest is written to its temporary file while it is measured.
pub fn run(args: &SignArgs) -> Result<()> {
    let opts = args.pipeline.options()?;
    opts.dialect()?;
    let date = parse_date(&args.date)?;
    let key_path = match (&args.key, &args.signing_data) {
        (_, Some(_)) => None,
        (Some(k), None) => Some(k.clone()),
        (None, None) => default_key_path(),
    };
    let from_stdin = args.manifest.as_os_str() == "-";
    let sig_path = match (&args.signing_data, &args.sigfile) {
        (Some(p), _) | (None, Some(p)) => p.clone(),
        (None, None) if from_stdin => bail!(
            "-m - reads the manifest from standard input: give the .sig with -s (its default name comes from the input manifest's)"
        ),
        (None, None) => default_sigfile(&args.manifest),
    };
    let sig_what = if args.signing_data.is_some() {
        "signing data"
    } else {
        ".sig"
    };
    let mut outputs: Vec<fsutil::Named<'_>> =
        vec![("output manifest", &args.output), (sig_what, &sig_path)];
    if let Some(d) = &args.depfile {
        outputs.push(("depfile", d));
    }
    let mut inputs: Vec<fsutil::Named<'_>> = vec![("libpal", &args.libpal)];
    if let Some(k) = &key_path {
        inputs.push(("signing key", k));
    }
    if let Some(c) = &args.pipeline.hash_cache {
        inputs.push(("hash cache", c));
    }
    let no_ids = Default::default();
    fsutil::check_distinct(&outputs, &inputs, &no_ids)?;
    // The input manifest may be the output manifest only when signing a final manifest in place
    // (checked once it is rendered); never another output.
    if !from_stdin {
        fsutil::check_distinct(&outputs[1..], &[("manifest", &args.manifest)], &no_ids)?;
    }
    let in_place = !from_stdin && fsutil::same_file(&args.output, &args.manifest);
    let dests: Vec<&std::path::Path> = outputs.iter().map(|(_, p)| *p).collect();
    let output_set = outputs::OutputSet::begin(&dests)?;
    let set = &output_set;
    let (hasher, report) = std::thread::scope(|scope| -> Result<_> {
        // Started on another thread when the system gives one, read in place otherwise.
        let key_job = std::thread::Builder::new()
            .spawn_scoped(scope, || load_key(args))
            .ok();
        let prepared = (|| -> Result<_> {
            let input = fsutil::read_or_stdin(&args.manifest, "manifest")?;
            let signer = Signer::with_options(opts.clone())
                .libpal_file(&args.libpal)?
                .date(date);
            let mut hasher =
                crate::progress::file_hasher(args.pipeline.hash_cache.as_deref(), args.quiet)?;
            let fin = signer.expand(&input, &mut hasher)?;
            // An output that is one of the trusted files just hashed would change it.
            fsutil::check_distinct(&outputs, &[], hasher.opened_files())?;
            if in_place && fin.text.as_bytes() != input.as_slice() {
                bail!(
                    "the output manifest {} is the input manifest, which signing changes (it is not a final manifest): writing it would overwrite the source manifest; give another -o",
                    args.output.display()
                );
            }
            let text = std::sync::Arc::clone(&fin.text);
            let staged_manifest = std::thread::Builder::new()
                .spawn_scoped(scope, {
                    let text = std::sync::Arc::clone(&text);
                    move || Ok(set.write(0, text.as_bytes())?)
                })
                .ok();
            let unsigned = signer.measure(fin)?;
            Ok((unsigned, hasher, text, staged_manifest))
        })();
        // A bad key is reported first, whatever else failed (it used to be read first).
        let key = match key_job {
            Some(job) => joined(job, "reading the signing key")?,
            None => load_key(args)?,
        };
        let (unsigned, hasher, text, staged_manifest) = prepared?;

        let version = opts.version;
        let mut report = if args.quiet || args.json {
            String::new()
        } else {
            verbose_report(version, &unsigned.measured)
        };
        let mut summary = serde_json::json!({
            "manifest": args.output.display().to_string(),
            "sig": sig_path.display().to_string(),
            "mrenclave": hex::encode(unsigned.measured.mrenclave),
        });
        let (deps, sig_bytes) = match &key {
            Some((key, _)) => {
                let signed = unsigned.sign(key)?;
                summary["mrsigner"] = hex::encode(signed.sigstruct.mrsigner()).into();
                (signed.deps, signed.sigstruct.to_bytes().to_vec())
            }
            None => {
                let data = unsigned.signing_data();
                summary["signing_data_sha256"] = hex::encode(Sha256::digest(data)).into();
                if !args.quiet && !args.json {
                    report.push_str(&format!(
                        "Signing data written to {}; sign its SHA-256 with the enclave key:\n    {}\n",
                        sig_path.display(),
                        hex::encode(Sha256::digest(data))
                    ));
                }
                (unsigned.deps, data.to_vec())
            }
        };

        // Every output is written before any is put in place.
        match staged_manifest {
            Some(job) => joined(job, "writing the manifest")?,
            None => set.write(0, text.as_bytes())?,
        }
        set.write(1, &sig_bytes)?;
        if let Some(depfile_path) = &args.depfile {
            let mut deps = deps;
            deps.push(args.libpal.clone());
            if let Some((_, key_path)) = &key {
                deps.push(key_path.clone());
            }
            set.write(2, depfile(&args.output, &deps)?.as_bytes())
                .with_context(|| format!("writing the depfile {}", depfile_path.display()))?;
        }
        if args.json {
            report = format!("{}\n", serde_json::to_string_pretty(&summary)?);
        }
        Ok((hasher, report))
    })?;
    output_set.commit()?;
    if args.verbose {
        eprintln!("libpal: {}", args.libpal.display());
        if let Some(k) = &key_path {
            eprintln!("signing key: {}", k.display());
        }
    }
    hasher.save_cache()?;
    std::io::stdout().lock().write_all(report.as_bytes())?;
    Ok(())
}
