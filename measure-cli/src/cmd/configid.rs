//! `sgx-measure configid`: the 64-byte CONFIGID committing to a data owner's entries.

use std::path::PathBuf;

use anyhow::Result;
use base64ct::Encoding as _;
use clap::Args;

use super::entries::{in_file, open};
use crate::cmd::entries::From;

/// Print the CONFIGID of a data owner's entries (128 hex digits): the SHA-256 of the canonical
/// entry list, then 32 zero bytes.
///
/// A runtime with Key Separation and Sharing can set it when the enclave starts (Occlum:
/// `metadata.enable_kss` in Occlum.json and `occlum run --config-id BASE64`; SGX SDK:
/// `sgx_create_enclave_ex` with `SGX_CREATE_ENCLAVE_EX_KSS`), so that the enclave's reports and
/// quotes commit to the entries. Gramine does not set CONFIGID today.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure configid --entries owner1.toml\n  occlum run --config-id \"$(sgx-measure configid --entries owner1.toml --base64)\" /bin/app"
)]
pub struct ConfigidArgs {
    /// The entries (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    pub entries: PathBuf,
    /// Entries format (default: detected).
    #[arg(long, value_enum)]
    pub from: Option<From>,
    /// For sha256sum entries: the URI prefix [default: file:].
    #[arg(long = "uri-prefix", value_name = "P")]
    pub uri_prefix: Option<String>,
    /// Print the 64 bytes in standard base64 (what `occlum run --config-id` takes) instead of
    /// hex.
    #[arg(long)]
    pub base64: bool,
    /// Print only the CONFIGID (what is printed anyway; accepted as every command accepts it).
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
    /// Print `{"configid": HEX, "base64": BASE64}`.
    #[arg(long)]
    pub json: bool,
}

/// Runs the command.
pub fn run(args: &ConfigidArgs) -> Result<()> {
    // One streamed pass: memory stays flat for any number of entries (canonical list and
    // sha256sum input).
    let input = open(&args.entries, args.from, args.uri_prefix.as_deref())?;
    let id = input
        .for_each(&mut |_| Ok(()))
        .map_err(|e| in_file(e, &args.entries))?
        .configid();
    if args.json {
        let doc = serde_json::json!({
            "configid": hex::encode(id),
            "base64": base64ct::Base64::encode_string(&id),
        });
        println!("{doc}");
    } else if args.base64 {
        println!("{}", base64ct::Base64::encode_string(&id));
    } else {
        println!("{}", hex::encode(id));
    }
    Ok(())
}
