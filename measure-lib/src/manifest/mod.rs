//! Gramine's manifest processing per version: what `gramine-sgx-sign` does between reading the
//! `.manifest` and writing the `.manifest.sgx` (the `Manifest` constructor's defaults, then
//! `expand_all_trusted_files`).

pub mod chroot;
mod error;
pub mod legacy;
pub mod pypath;
pub mod trusted;

use std::path::PathBuf;

use measure_core::profile::GramineVersion;

pub use error::{ManifestError, TRUSTED_FILES_DOC};

use crate::error::Result;
use crate::hashing::FileHasher;
use crate::toml::{self, Table, Value};

/// Gramine's default LibOS, inserted as `loader.entrypoint.uri` by v1.8 and later (Debian and
/// Ubuntu packages' `PKGLIBDIR`).
pub const DEFAULT_LIBOS: &str = "/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so";

pub use crate::pipeline::Options;

fn table_entry<'a>(t: &'a mut Table, key: &str, what: &str) -> Result<&'a mut Table> {
    match t.setdefault(key, Value::Table(Table::new())) {
        Value::Table(t) => Ok(t),
        other => Err(ManifestError::NotATable {
            key: what.into(),
            found: other.type_name(),
        }
        .into()),
    }
}

fn b(v: bool) -> Value {
    Value::Boolean(v)
}
fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

/// The `Manifest` constructor of the given version: defaults inserted in that version's order,
/// `sgx.trusted_files` entries turned into tables, and (v1.8+) `loader.entrypoint` completed,
/// hashing the LibOS when it has no `sha256`.
pub fn apply_defaults(manifest: &mut Table, opts: &Options, hasher: &mut FileHasher) -> Result<()> {
    use GramineVersion::*;
    let v = opts.version;
    if v <= V1_3 {
        return legacy::construct(manifest, v, &opts.warnings);
    }
    let sgx = table_entry(manifest, "sgx", "sgx")?;
    sgx.setdefault("trusted_files", Value::Array(Vec::new()));
    match v {
        // Returned above.
        V1_0 | V1_1 | V1_2 | V1_3 => {}
        V1_4 => {
            sgx.setdefault("enclave_size", s("256M"));
            if !sgx.contains_key("thread_num") {
                sgx.setdefault("max_threads", Value::Integer(4));
            }
            for (k, val) in [
                ("isvprodid", Value::Integer(0)),
                ("isvsvn", Value::Integer(0)),
                ("remote_attestation", s("none")),
            ] {
                sgx.setdefault(k, val);
            }
            for k in [
                "debug",
                "require_avx",
                "require_avx512",
                "require_mpx",
                "require_pkru",
                "require_amx",
                "require_exinfo",
                "nonpie_binary",
                "enable_stats",
            ] {
                sgx.setdefault(k, b(false));
            }
        }
        V1_5 => {
            for (k, val) in [
                ("max_threads", Value::Integer(4)),
                ("isvprodid", Value::Integer(0)),
                ("isvsvn", Value::Integer(0)),
                ("remote_attestation", s("none")),
            ] {
                sgx.setdefault(k, val);
            }
            for k in [
                "debug",
                "require_avx",
                "require_avx512",
                "require_mpx",
                "require_pkru",
                "require_amx",
                "require_exinfo",
                "enable_stats",
                "edmm_enable",
            ] {
                sgx.setdefault(k, b(false));
            }
            set_enclave_size(sgx);
        }
        V1_6 | V1_7 | V1_8 | V1_9 => {
            for (k, val) in [
                ("max_threads", Value::Integer(4)),
                ("isvprodid", Value::Integer(0)),
                ("isvsvn", Value::Integer(0)),
                ("remote_attestation", s("none")),
                ("debug", b(false)),
                ("enable_stats", b(false)),
                ("edmm_enable", b(false)),
            ] {
                sgx.setdefault(k, val);
            }
            set_enclave_size(sgx);
            // v1.6 and v1.7 still accept the deprecated `require_*` keys and then skip the new
            // defaults they would conflict with.
            let legacy = v <= V1_7;
            if !(legacy && sgx.contains_key("require_exinfo")) {
                sgx.setdefault("use_exinfo", b(false));
            }
            let deprecated = [
                "require_avx",
                "require_avx512",
                "require_amx",
                "require_mpx",
                "require_pkru",
            ];
            if !(legacy && deprecated.iter().any(|k| sgx.contains_key(k))) {
                let cpu = table_entry(sgx, "cpu_features", "sgx.cpu_features")?;
                for (k, val) in [
                    ("avx", "unspecified"),
                    ("avx512", "unspecified"),
                    ("amx", "unspecified"),
                    ("mpx", "disabled"),
                    ("pkru", "disabled"),
                ] {
                    cpu.setdefault(k, s(val));
                }
            }
        }
    }

    // Every entry becomes a table with a `uri`; anything else is refused.
    let Some(Value::Array(list)) = sgx.get_mut("trusted_files") else {
        return Err(ManifestError::TrustedFilesSyntax.into());
    };
    for item in list.iter_mut() {
        match item {
            Value::Table(t) if t.contains_key("uri") => {}
            Value::String(uri) => {
                let mut t = Table::new();
                t.insert("uri", Value::String(std::mem::take(uri)));
                *item = Value::Table(t);
            }
            other => {
                return Err(ManifestError::UnknownTrustedFileFormat {
                    entry: pypath::repr(other),
                }
                .into());
            }
        }
    }

    if v >= V1_8 {
        set_loader_entrypoint(manifest, opts, hasher)?;
    }
    Ok(())
}

fn set_enclave_size(sgx: &mut Table) {
    let edmm = sgx.get("edmm_enable").is_some_and(Value::is_truthy);
    sgx.setdefault("enclave_size", s(if edmm { "1024G" } else { "256M" }));
}

fn set_loader_entrypoint(
    manifest: &mut Table,
    opts: &Options,
    hasher: &mut FileHasher,
) -> Result<()> {
    let loader = table_entry(manifest, "loader", "loader")?;
    let ep = loader.setdefault("entrypoint", Value::Table(Table::new()));
    if opts.version == GramineVersion::V1_8
        && let Value::String(uri) = ep
    {
        // v1.8 still accepts the deprecated `loader.entrypoint = "file:..."` (with a warning).
        opts.warnings.warn(
            "WARNING: `loader.entrypoint = \"file:...\"` manifest syntax is deprecated, please switch to `loader.entrypoint.uri = \"file:...\"`",
        );
        let mut t = Table::new();
        t.insert("uri", Value::String(std::mem::take(uri)));
        *ep = Value::Table(t);
    }
    let Value::Table(ep) = ep else {
        return Err(ManifestError::EntrypointFormat.into());
    };
    if !ep.contains_key("uri") {
        let libos = opts.libos.to_str().ok_or(ManifestError::LibosNotUtf8)?;
        ep.insert("uri", Value::String(format!("file:{libos}")));
    }
    if !ep.contains_key("sha256")
        && let Some(sha) = &opts.libos_sha256
    {
        let uri = ep.get("uri").and_then(Value::as_str).unwrap_or_default();
        let libos = opts.libos.to_str().unwrap_or_default();
        // It stands in for reading the LibOS, and only for that file.
        if uri.strip_prefix("file:").map(pypath::normalize) == Some(pypath::normalize(libos)) {
            ep.insert("sha256", Value::String(sha.clone()));
        }
    }
    if !ep.contains_key("sha256") {
        let uri = ep
            .get("uri")
            .cloned()
            .unwrap_or(Value::String(String::new()));
        let Some(uri) = uri.as_str() else {
            return Err(ManifestError::EntrypointUriNotString.into());
        };
        let Some(path) = uri.strip_prefix("file:") else {
            return Err(ManifestError::UnsupportedUri { uri: uri.into() }.into());
        };
        let path = PathBuf::from(pypath::normalize(path));
        let hash = match hasher.hash_all(std::slice::from_ref(&path)).pop() {
            Some(Ok(h)) => hex::encode(h),
            Some(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ManifestError::EntrypointMissing {
                    path: pypath::repr_str(&path.to_string_lossy()),
                }
                .into());
            }
            Some(Err(source)) => {
                return Err(ManifestError::EntrypointHash { path, source }.into());
            }
            None => {
                return Err(ManifestError::EntrypointHash {
                    path,
                    source: std::io::Error::other("not hashed"),
                }
                .into());
            }
        };
        ep.insert("sha256", Value::String(hash));
    }
    Ok(())
}

/// What the pipeline produced.
pub struct Expanded {
    /// The final manifest (render it with [`toml::emit`]).
    pub manifest: Table,
    /// Files the result depends on (expanded trusted files), for `--depfile`.
    pub deps: Vec<PathBuf>,
    /// For each final trusted file: whether its hash was computed here (the input had none).
    pub hashed_here: Vec<bool>,
}

/// Reads, completes and expands a manifest: everything `gramine-sgx-sign` does before writing the
/// `.manifest.sgx`.
pub fn expand(manifest_bytes: &[u8], opts: &Options, hasher: &mut FileHasher) -> Result<Expanded> {
    if opts.version <= GramineVersion::V1_3 {
        return legacy::expand(manifest_bytes, opts, hasher);
    }
    let text = toml::decode_text(manifest_bytes)?;
    let mut manifest = toml::parse(&text)?;
    apply_defaults(&mut manifest, opts, hasher)?;
    let outcome = trusted::expand(&mut manifest, opts.version, opts.chroot.as_deref(), hasher)?;
    Ok(Expanded {
        manifest,
        deps: outcome.deps,
        hashed_here: outcome.hashed_here,
    })
}
