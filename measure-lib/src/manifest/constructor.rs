//! The `Manifest` constructor of every Gramine version, driven by its rules row
//! (`measure_core::rules::Rules::constructor`): defaults inserted in the version's order,
//! `sgx.trusted_files` entries turned into tables, and (v1.8+) `loader.entrypoint` completed.

use std::path::PathBuf;

use measure_core::rules::{DefaultValue, Rules, Step};

use super::{ManifestError, Options, pypath};
use crate::error::{Error, Result};
use crate::hashing::FileHasher;
use crate::pipeline::Warnings;
use crate::toml::{Table, Value};

/// The error as the version reports it: v1.0 to v1.3 name the Python exception.
pub(super) fn styled(rules: &Rules, exception: &'static str, error: ManifestError) -> Error {
    if rules.python_exception_names {
        ManifestError::python(exception, error).into()
    } else {
        error.into()
    }
}

/// `t.setdefault(key, {})`, which must be a table (`what` names it in the error).
fn table_entry<'a>(
    rules: &Rules,
    t: &'a mut Table,
    key: &str,
    what: &str,
) -> Result<&'a mut Table> {
    match t.setdefault(key, Value::Table(Table::new())) {
        Value::Table(t) => Ok(t),
        other if rules.python_exception_names => Err(styled(
            rules,
            "AttributeError",
            ManifestError::NoAttribute {
                found: other.type_name(),
                attribute: "setdefault",
                concerns: format!("manifest key `{what}` must be a table"),
            },
        )),
        other => Err(ManifestError::NotATable {
            key: what.into(),
            found: other.type_name(),
        }
        .into()),
    }
}

/// The `sgx` table, once the first step made sure it is one.
fn sgx(manifest: &mut Table) -> Result<&mut Table> {
    match manifest.get_mut("sgx") {
        Some(Value::Table(t)) => Ok(t),
        _ => Err(ManifestError::NoSgxTable.into()),
    }
}

fn value(v: DefaultValue) -> Value {
    match v {
        DefaultValue::Bool(b) => Value::Boolean(b),
        DefaultValue::Int(i) => Value::Integer(i),
        DefaultValue::Str(s) => Value::String(s.to_string()),
        DefaultValue::EmptyList => Value::Array(Vec::new()),
    }
}

/// Runs the constructor of `rules` on a parsed manifest. `entrypoint` gives what completing
/// `loader.entrypoint` needs (the LibOS and a hasher); without it that step is skipped.
pub(super) fn construct(
    manifest: &mut Table,
    rules: &Rules,
    warnings: &Warnings,
    mut entrypoint: Option<(&Options, &mut FileHasher)>,
) -> Result<()> {
    table_entry(rules, manifest, "sgx", "sgx")?;
    for step in rules.constructor {
        match *step {
            Step::Sgx(key, v) => {
                sgx(manifest)?.setdefault(key, value(v));
            }
            Step::SgxUnless(key, v, unless) => {
                let sgx = sgx(manifest)?;
                if !unless.iter().any(|k| sgx.contains_key(k)) {
                    sgx.setdefault(key, value(v));
                }
            }
            Step::EnclaveSize { plain, edmm } => {
                let sgx = sgx(manifest)?;
                let with_edmm = sgx.get("edmm_enable").is_some_and(Value::is_truthy);
                sgx.setdefault(
                    "enclave_size",
                    Value::String(if with_edmm { edmm } else { plain }.to_string()),
                );
            }
            Step::CpuFeatures { defaults, unless } => {
                let sgx = sgx(manifest)?;
                if !unless.iter().any(|k| sgx.contains_key(k)) {
                    let cpu = table_entry(rules, sgx, "cpu_features", "sgx.cpu_features")?;
                    for (k, v) in defaults {
                        cpu.setdefault(k, Value::String(v.to_string()));
                    }
                }
            }
            Step::TrustedFilesToTables => trusted_files_to_tables(sgx(manifest)?, rules, warnings)?,
            Step::Loader(key, v) => {
                table_entry(rules, manifest, "loader", "loader")?.setdefault(key, value(v));
            }
            Step::LoaderEntrypoint { deprecated_string } => {
                if let Some((opts, hasher)) = entrypoint.as_mut() {
                    set_loader_entrypoint(manifest, rules, opts, hasher, deprecated_string)?;
                }
            }
        }
    }
    Ok(())
}

/// Every entry becomes a table with a `uri` (a string is the URI); anything else is refused.
fn trusted_files_to_tables(sgx: &mut Table, rules: &Rules, warnings: &Warnings) -> Result<()> {
    let unknown = |v: &Value| {
        styled(
            rules,
            "ManifestError",
            ManifestError::UnknownTrustedFileFormat {
                entry: pypath::repr(v),
            },
        )
    };
    let mut list = match sgx.get_mut("trusted_files") {
        Some(Value::Array(items)) => std::mem::take(items),
        Some(Value::Table(t)) if rules.trusted_files.table_syntax => {
            warnings.warn(&format!(
                "This trusted files syntax is deprecated, please move to the new one: {}",
                super::TRUSTED_FILES_DOC
            ));
            let mut out = Vec::with_capacity(t.len());
            for (_, tf) in t.iter() {
                match tf {
                    Value::String(_) => out.push(tf.clone()),
                    other => return Err(unknown(other)),
                }
            }
            out
        }
        // Iterating over a string gives its characters.
        Some(Value::String(s)) if rules.trusted_files.table_syntax => {
            s.chars().map(|c| Value::String(c.to_string())).collect()
        }
        Some(other) if rules.trusted_files.table_syntax => {
            return Err(styled(
                rules,
                "TypeError",
                ManifestError::NotIterable {
                    found: other.type_name(),
                    key: "sgx.trusted_files".into(),
                },
            ));
        }
        _ => {
            return Err(styled(
                rules,
                "ValueError",
                ManifestError::TrustedFilesSyntax,
            ));
        }
    };
    for item in list.iter_mut() {
        match item {
            Value::Table(t) if t.contains_key("uri") => {}
            Value::String(uri) => {
                let mut t = Table::new();
                t.insert("uri", Value::String(std::mem::take(uri)));
                *item = Value::Table(t);
            }
            other => return Err(unknown(other)),
        }
    }
    sgx.insert("trusted_files", Value::Array(list));
    Ok(())
}

/// `loader.entrypoint` completed: a table (v1.8 also accepts the deprecated string form), the
/// LibOS as its `uri` when it has none, and its `sha256` (the LibOS's, given or hashed).
fn set_loader_entrypoint(
    manifest: &mut Table,
    rules: &Rules,
    opts: &Options,
    hasher: &mut FileHasher,
    deprecated_string: bool,
) -> Result<()> {
    let loader = table_entry(rules, manifest, "loader", "loader")?;
    let ep = loader.setdefault("entrypoint", Value::Table(Table::new()));
    if deprecated_string && let Value::String(uri) = ep {
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
