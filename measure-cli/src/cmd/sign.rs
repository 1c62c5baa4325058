//! `sgx-measure sign`: gramine-sgx-sign's job, byte for byte: the `.manifest.sgx` and the `.sig`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use sha2::{Digest, Sha256};

use super::pipeline::PipelineArgs;
use measure_lib::fsutil;
use measure_lib::pipeline::depfile;
use measure_lib::report::verbose_report;
use measure_lib::signer::Signer;
use measure_lib::sigstruct::{default_key_path, default_sigfile, load_private_key, parse_date};
use rsa::PrivateKey;

pub use measure_lib::signer::DEFAULT_LIBPAL;

/// Sign an enclave as gramine-sgx-sign does: write the .manifest.sgx and the .sig (SIGSTRUCT),
/// byte-identical to Gramine's for the same inputs, key and date.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure sign -m app.manifest -o app.manifest.sgx -l libpal.so -k enclave-key.pem -d 2026-01-01\n  sgx-measure sign -m app.manifest -o app.manifest.sgx -l libpal.so --signing-data app.tbs   # two-step signing"
)]
pub struct SignArgs {
    /// Input manifest (.manifest).
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
    /// Output .sig [default: the manifest's name with .manifest replaced by .sig].
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
    /// Print gramine-sgx-sign's report (the default).
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
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

/// Runs the command. Nothing is written unless everything succeeds.
///
/// Two cores share the work: the key is read and checked while the manifest is expanded, and
/// the final manifest is written to its temporary file while it is measured.
pub fn run(args: &SignArgs) -> Result<()> {
    let opts = args.pipeline.options()?;
    opts.dialect()?;
    let date = parse_date(&args.date)?;
    std::thread::scope(|scope| {
        // Started on another thread when the system gives one, read in place otherwise.
        let key_job = std::thread::Builder::new()
            .spawn_scoped(scope, || load_key(args))
            .ok();
        let prepared = (|| -> Result<_> {
            let input = fsutil::read(&args.manifest, "manifest")?;
            let signer = Signer::with_options(opts.clone())
                .libpal_file(&args.libpal)?
                .date(date);
            let mut hasher =
                crate::progress::file_hasher(args.pipeline.hash_cache.as_deref(), args.quiet)?;
            let fin = signer.expand(&input, &mut hasher)?;
            let text = std::sync::Arc::new(fin.text.clone());
            let staged_manifest = std::thread::Builder::new()
                .spawn_scoped(scope, {
                    let text = std::sync::Arc::clone(&text);
                    move || Ok(fsutil::stage(&args.output, text.as_bytes())?)
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
        let mut report = if args.quiet {
            String::new()
        } else {
            verbose_report(version, &unsigned.measured)
        };
        let (deps, sig_output) = match (&key, &args.signing_data) {
            (Some((key, _)), _) => {
                let signed = unsigned.sign(key)?;
                let path = args
                    .sigfile
                    .clone()
                    .unwrap_or_else(|| default_sigfile(&args.manifest));
                (
                    signed.deps,
                    Some((path, signed.sigstruct.to_bytes().to_vec())),
                )
            }
            (None, Some(path)) => {
                let data = unsigned.signing_data();
                if !args.quiet {
                    report.push_str(&format!(
                        "Signing data written to {}; sign its SHA-256 with the enclave key:\n    {}\n",
                        path.display(),
                        hex::encode(Sha256::digest(data))
                    ));
                }
                (unsigned.deps, Some((path.clone(), data.to_vec())))
            }
            (None, None) => (unsigned.deps, None),
        };

        // Every output is staged before any is put in place.
        let mut staged = vec![match staged_manifest {
            Some(job) => joined(job, "writing the manifest")?,
            None => fsutil::stage(&args.output, text.as_bytes())?,
        }];
        if let Some((path, bytes)) = &sig_output {
            staged.push(fsutil::stage(path, bytes)?);
        }
        if let Some(depfile_path) = &args.depfile {
            let mut deps = deps;
            deps.push(args.libpal.clone());
            if let Some((_, key_path)) = &key {
                deps.push(key_path.clone());
            }
            staged.push(
                fsutil::stage(depfile_path, depfile(&args.output, &deps).as_bytes())
                    .context("writing the depfile")?,
            );
        }
        for file in staged {
            file.commit()?;
        }
        hasher.save_cache()?;
        std::io::stdout().lock().write_all(report.as_bytes())?;
        Ok(())
    })
}
