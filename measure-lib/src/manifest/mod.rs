//! Gramine's manifest processing per version: what `gramine-sgx-sign` does between reading the
//! `.manifest` and writing the `.manifest.sgx` (the `Manifest` constructor's defaults, then
//! `expand_all_trusted_files`).

pub mod chroot;
mod constructor;
mod error;
pub mod legacy;
pub mod pypath;
pub mod trusted;

use std::path::PathBuf;

use measure_core::rules::Expansion;

pub use error::{ManifestError, TRUSTED_FILES_DOC};

use crate::error::Result;
use crate::hashing::FileHasher;
use crate::toml::{self, Table};

/// Gramine's default LibOS, inserted as `loader.entrypoint.uri` by v1.8 and later (Debian and
/// Ubuntu packages' `PKGLIBDIR`).
pub const DEFAULT_LIBOS: &str = "/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so";

pub use crate::pipeline::Options;

/// The `Manifest` constructor of the given version (its rules row's `constructor`): defaults
/// inserted in that version's order, `sgx.trusted_files` entries turned into tables, and (v1.8+)
/// `loader.entrypoint` completed, hashing the LibOS when it has no `sha256`.
pub fn apply_defaults(manifest: &mut Table, opts: &Options, hasher: &mut FileHasher) -> Result<()> {
    constructor::construct(
        manifest,
        opts.version.rules(),
        &opts.warnings,
        Some((opts, hasher)),
    )
}

/// The `Manifest` constructor without completing `loader.entrypoint` (nothing is hashed): the
/// defaults and table forms a final manifest already holds.
pub(crate) fn apply_defaults_only(manifest: &mut Table, opts: &Options) -> Result<()> {
    constructor::construct(manifest, opts.version.rules(), &opts.warnings, None)
}

/// What the pipeline produced.
pub struct Expanded {
    /// The final manifest (render it with [`toml::emit()`]).
    pub manifest: Table,
    /// Files the result depends on (expanded trusted files), for `--depfile`.
    pub deps: Vec<PathBuf>,
    /// For each final trusted file: whether its hash was computed here (the input had none).
    pub hashed_here: Vec<bool>,
}

/// Reads, completes and expands a manifest: everything `gramine-sgx-sign` does before writing the
/// `.manifest.sgx`.
pub fn expand(manifest_bytes: &[u8], opts: &Options, hasher: &mut FileHasher) -> Result<Expanded> {
    let rules = opts.version.rules();
    if let Expansion::InOrder { .. } = rules.trusted_files.expansion {
        return legacy::expand(manifest_bytes, opts, hasher);
    }
    let text = toml::decode_text(manifest_bytes)?;
    let mut manifest = toml::parse_for(&text, rules.default_writer())?;
    apply_defaults(&mut manifest, opts, hasher)?;
    let outcome = trusted::expand(&mut manifest, opts.version, opts.chroot.as_deref(), hasher)?;
    Ok(Expanded {
        manifest,
        deps: outcome.deps,
        hashed_here: outcome.hashed_here,
    })
}
