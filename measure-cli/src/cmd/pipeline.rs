//! Options shared by the commands that run Gramine's manifest pipeline (`sign`, `expand`,
//! `bundle`).

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use measure_core::profile::GramineVersion;

use super::parse_version;
use measure_lib::manifest::DEFAULT_LIBOS;
use measure_lib::pipeline::{Options, Warnings};
use measure_lib::toml::TomlWriter;

/// `--tomli-w 1|0.4`: the tomli_w release of the signing machine.
pub fn tomli_w_parser() -> impl TypedValueParser<Value = TomlWriter> {
    PossibleValuesParser::new([
        PossibleValue::new("1").help("tomli_w 1.0.0 to 1.2.0 (Debian, Ubuntu, pip on Python 3.8+)"),
        PossibleValue::new("0.4").help("tomli_w 0.4.0 (RHEL/AlmaLinux 8 and 9 through EPEL)"),
    ])
    .map(|s| match s.as_str() {
        "0.4" => TomlWriter::TomliW04,
        _ => TomlWriter::TomliW1,
    })
}

/// A SHA-256 given on the command line: 64 hex digits (an optional `0x` before them), kept as
/// written without the prefix.
pub fn parse_sha256_hex(s: &str) -> Result<String, String> {
    let s = measure_lib::identity::strip_hex_prefix(s);
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s.to_string())
    } else {
        Err(format!("{s:?} is not a SHA-256 (64 hex digits)"))
    }
}

/// `--gramine`, `--tomli-w`, `--libos`, `--chroot`, `--hash-cache`.
#[derive(Args, Debug, Clone)]
pub struct PipelineArgs {
    /// Gramine version whose rules apply (defaults, trusted-file expansion, layout, SIGSTRUCT).
    #[arg(long, value_name = "V", default_value = GramineVersion::LATEST.as_str(), value_parser = parse_version)]
    pub gramine: GramineVersion,
    /// The tomli_w version that writes the .manifest.sgx on the signing machine (v1.4+; Gramine
    /// v1.0 to v1.3 always wrote with the Python `toml` 0.10.2 library).
    #[arg(long = "tomli-w", value_name = "1|0.4", default_value = "1", value_parser = tomli_w_parser())]
    pub tomli_w: TomlWriter,
    /// The LibOS inserted as loader.entrypoint.uri when the manifest has none (v1.8+); hashed when
    /// the manifest gives no loader.entrypoint.sha256.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_LIBOS)]
    pub libos: PathBuf,
    /// The SHA-256 of the LibOS (64 hex digits), used instead of reading --libos: for machines
    /// without Gramine installed.
    #[arg(long = "libos-sha256", value_name = "HEX", value_parser = parse_sha256_hex)]
    pub libos_sha256: Option<String>,
    /// Measure trusted files inside this directory as if it were / (symlinks resolved inside it).
    #[arg(long, value_name = "DIR")]
    pub chroot: Option<PathBuf>,
    /// Keep file hashes here, keyed by path, size, mtime, ctime and inode, so that unchanged files
    /// are never hashed twice.
    #[arg(long = "hash-cache", value_name = "FILE")]
    pub hash_cache: Option<PathBuf>,
}

impl PipelineArgs {
    /// The pipeline options; Gramine's warnings go to standard error.
    pub fn options(&self) -> Result<Options> {
        if let Some(c) = &self.chroot
            && !c.is_dir()
        {
            bail!("--chroot {}: not a directory", c.display());
        }
        Ok(Options {
            version: self.gramine,
            writer: Some(self.tomli_w),
            chroot: self.chroot.clone(),
            libos: self.libos.clone(),
            libos_sha256: self.libos_sha256.clone(),
            warnings: stderr_warnings(),
        })
    }
}

/// Gramine's warnings, printed on standard error as `gramine-sgx-sign` prints them.
pub fn stderr_warnings() -> Warnings {
    Warnings::new(|w| eprintln!("{w}"))
}
