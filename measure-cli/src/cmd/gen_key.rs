//! `sgx-measure gen-key`: a new enclave signing key, like `gramine-sgx-gen-private-key`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;

use measure_lib::sigstruct::{generate_private_key, private_key_pem};

/// Generate an RSA-3072 private key with public exponent 3 (what SGX requires), written as a
/// PKCS#1 PEM file readable only by its owner, like gramine-sgx-gen-private-key.
///
/// Refuses to overwrite an existing file unless -f is given. Without -o the key goes to
/// Gramine's default path, $XDG_CONFIG_HOME/gramine/enclave-key.pem
/// (~/.config/gramine/enclave-key.pem).
#[derive(Args, Debug)]
#[command(after_help = "Example:\n  sgx-measure gen-key -o enclave-key.pem")]
pub struct GenKeyArgs {
    /// Where to write the key (default: Gramine's enclave-key.pem).
    #[arg(short, long, value_name = "KEY.pem")]
    pub output: Option<PathBuf>,
    /// Overwrite an existing file.
    #[arg(short, long)]
    pub force: bool,
    /// Do not print the key path.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Gramine's `SGX_RSA_KEY_PATH`.
pub fn default_key_path() -> Result<PathBuf> {
    let config = match std::env::var_os("XDG_CONFIG_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => {
            let home = std::env::var_os("HOME")
                .context("neither XDG_CONFIG_HOME nor HOME is set: give the key path with -o")?;
            PathBuf::from(home).join(".config")
        }
    };
    Ok(config.join("gramine").join("enclave-key.pem"))
}

/// Writes `bytes` to `path` with mode 0600, atomically; fails if `path` exists unless `force`.
fn write_private(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    if !force && path.symlink_metadata().is_ok() {
        bail!("refusing to overwrite {}, use -f to force", path.display());
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // tempfile creates the file with mode 0600.
    let mut tmp = tempfile::Builder::new()
        .prefix(".sgx-measure-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    if force {
        tmp.persist(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                anyhow::anyhow!("refusing to overwrite {}, use -f to force", path.display())
            } else {
                anyhow::Error::new(e.error).context(format!("cannot write {}", path.display()))
            }
        })?;
    }
    Ok(())
}

/// Runs the command.
pub fn run(args: &GenKeyArgs) -> Result<()> {
    let path = match &args.output {
        Some(p) => p.clone(),
        None => default_key_path()?,
    };
    if !args.force && path.symlink_metadata().is_ok() {
        bail!("refusing to overwrite {}, use -f to force", path.display());
    }
    let key = generate_private_key()?;
    write_private(&path, private_key_pem(&key)?.as_bytes(), args.force)?;
    if !args.quiet {
        println!("wrote RSA 3072 private key to {}", path.display());
    }
    Ok(())
}
