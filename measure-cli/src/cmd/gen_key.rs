//! `sgx-measure gen-key`: a new enclave signing key, like `gramine-sgx-gen-private-key`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use measure_lib::fsutil;
use measure_lib::sigstruct::{default_key_path, generate_private_key, private_key_pem};

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
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
    /// Print `{"key": PATH, "mrsigner": HEX}` (MRSIGNER: the SHA-256 of the key's modulus, as
    /// SGX computes it).
    #[arg(long)]
    pub json: bool,
}

/// Runs the command.
pub fn run(args: &GenKeyArgs) -> Result<()> {
    let path = match &args.output {
        Some(p) => p.clone(),
        None => default_key_path()
            .context("neither XDG_CONFIG_HOME nor HOME is set: give the key path with -o")?,
    };
    if !args.force && path.symlink_metadata().is_ok() {
        return Err(measure_lib::Error::Exists { path }.into());
    }
    let key = generate_private_key()?;
    fsutil::write_private(&path, private_key_pem(&key)?.as_bytes(), args.force)?;
    if args.json {
        let doc = serde_json::json!({
            "key": path.display().to_string(),
            "mrsigner": hex::encode(measure_lib::sigstruct::mrsigner_of(&key)?),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else if !args.quiet {
        println!("wrote RSA 3072 private key to {}", path.display());
    }
    Ok(())
}
