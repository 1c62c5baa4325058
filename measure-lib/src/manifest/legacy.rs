//! Gramine v1.0 to v1.3 (`Expansion::InOrder` in their rules rows): `expand_all_trusted_files`
//! of the releases that read and wrote manifests with the Python `toml` 0.10.2 library (their
//! constructor is a rules row like any other: `super::constructor`).
//!
//! What differs from v1.4 and later:
//! * expansion keeps every entry in order, duplicates included, writes a file's URI exactly as
//!   given and a directory's files as `file:` + the normalised path, and hashes as it goes (so
//!   the first failing entry decides the error); v1.0 also expands `loader.preload` (a
//!   comma-separated list, minus URIs already listed, sorted), v1.1 the whole `loader.preload`
//!   string as one URI; v1.0 hashes unreadable files of a directory (and fails), v1.1+ skip them;
//! * the signer writes the manifest, then reads the written file back with `toml.loads` and this
//!   constructor, and measures what that gives ([`reread`]).

use std::path::{Path, PathBuf};

use measure_core::profile::GramineVersion;
use measure_core::rules::{Expansion, Preload};

use super::trusted::{Outcome, is_dir, is_file, readable, rglob_sorted};
use super::{Expanded, ManifestError, Options, pypath};
use crate::error::{Error, Result};
use crate::hashing::FileHasher;
use crate::pipeline::Warnings;
use crate::toml::{self, Table, Value};

/// The error as Gramine v1.0 to v1.3 report it, with the Python exception's name.
fn py(exception: &'static str, error: ManifestError) -> Error {
    ManifestError::python(exception, error).into()
}

fn unknown_format(v: &Value) -> Error {
    py(
        "ManifestError",
        ManifestError::UnknownTrustedFileFormat {
            entry: pypath::repr(v),
        },
    )
}

/// One entry of the expanded list, before hashing.
struct Planned {
    uri: Value,
    /// The precomputed hash, or the file to hash.
    sha256: Result<Value, PathBuf>,
}

struct Expander {
    /// v1.1+: unreadable files of a directory skipped, the directory and everything below it
    /// listed as dependencies.
    skip_unreadable: bool,
    planned: Vec<Planned>,
    deps: Vec<PathBuf>,
}

impl Expander {
    /// `append_trusted_dir_or_file(trusted_files, val, expanded)`.
    fn add(&mut self, val: &Value) -> Result<()> {
        let uri = match val {
            Value::Table(t) => {
                let uri = t
                    .get("uri")
                    .cloned()
                    .unwrap_or(Value::String(String::new()));
                if let Some(sha) = t.get("sha256").filter(|v| v.is_truthy()) {
                    self.planned.push(Planned {
                        uri,
                        sha256: Ok(sha.clone()),
                    });
                    return Ok(());
                }
                uri
            }
            Value::String(_) => val.clone(),
            other => return Err(unknown_format(other)),
        };
        let Some(uri_str) = uri.as_str() else {
            return Err(py(
                "AttributeError",
                ManifestError::NoAttribute {
                    found: uri.type_name(),
                    attribute: "startswith",
                    concerns: format!("trusted file URI {}", pypath::repr(&uri)),
                },
            ));
        };
        let Some(raw) = uri_str.strip_prefix("file:") else {
            return Err(py(
                "ManifestError",
                ManifestError::UnsupportedUri {
                    uri: uri_str.into(),
                },
            ));
        };
        let path = pypath::normalize(raw);
        let p = Path::new(&path);
        if !p.exists() {
            return Err(py("ManifestError", ManifestError::CannotResolve { path }));
        }
        let v1_1 = self.skip_unreadable;
        if is_dir(p) {
            if !uri_str.ends_with('/') {
                return Err(py(
                    "ManifestError",
                    ManifestError::DirectoryUriWithoutSlash {
                        uri: uri_str.into(),
                    },
                ));
            }
            if v1_1 {
                self.deps.push(PathBuf::from(&path));
            }
            for sub in rglob_sorted(&path)? {
                let sp = PathBuf::from(&sub);
                if v1_1 {
                    self.deps.push(sp.clone());
                }
                if is_file(&sp) && (!v1_1 || readable(&sp)) {
                    if !v1_1 {
                        self.deps.push(sp.clone());
                    }
                    self.planned.push(Planned {
                        uri: Value::String(format!("file:{sub}")),
                        sha256: Err(sp),
                    });
                }
            }
        } else {
            if !is_file(p) {
                return Err(py("AssertionError", ManifestError::NotRegularFile { path }));
            }
            self.planned.push(Planned {
                uri: uri.clone(),
                sha256: Err(PathBuf::from(&path)),
            });
            self.deps.push(PathBuf::from(path));
        }
        Ok(())
    }
}

/// `Manifest.expand_all_trusted_files` of v1.0 to v1.3 (the list must be as the constructor left
/// it).
pub fn expand_trusted(
    manifest: &mut Table,
    version: GramineVersion,
    hasher: &mut FileHasher,
) -> Result<Outcome> {
    let items = match manifest.get_path(&["sgx", "trusted_files"]) {
        Some(Value::Array(items)) => items.clone(),
        _ => return Err(ManifestError::TrustedFilesNotList.into()),
    };
    let Expansion::InOrder {
        preload,
        skip_unreadable,
    } = version.rules().trusted_files.expansion
    else {
        return Err(Error::Internal(format!(
            "Gramine {version} does not expand trusted files in order"
        )));
    };
    let mut ex = Expander {
        skip_unreadable,
        planned: Vec::new(),
        deps: Vec::new(),
    };
    // Gramine hashes as it goes: an error in a later entry only shows if every file before it
    // could be hashed.
    let mut pending_error = None;
    for item in &items {
        if let Err(e) = ex.add(item) {
            pending_error = Some(e);
            break;
        }
    }
    if pending_error.is_none() && preload != Preload::Ignored {
        let listed: Vec<String> = ex
            .planned
            .iter()
            .filter_map(|p| p.uri.as_str().map(str::to_string))
            .collect();
        let result = match (preload, manifest.get_path(&["loader", "preload"]).cloned()) {
            (Preload::CommaSeparated, Some(Value::String(s))) => {
                let mut uris: Vec<&str> = s
                    .split(',')
                    .filter(|u| !u.is_empty() && !listed.iter().any(|l| l == u))
                    .collect();
                uris.sort_unstable();
                uris.dedup();
                uris.into_iter()
                    .try_for_each(|u| ex.add(&Value::String(u.to_string())))
            }
            (Preload::CommaSeparated, Some(other)) => Err(py(
                "AttributeError",
                ManifestError::NoAttribute {
                    found: other.type_name(),
                    attribute: "split",
                    concerns: "loader.preload".into(),
                },
            )),
            (_, Some(v)) if v.is_truthy() => {
                if v.as_str().is_some_and(|s| listed.iter().any(|l| l == s)) {
                    Ok(())
                } else {
                    ex.add(&v)
                }
            }
            _ => Ok(()),
        };
        if let Err(e) = result {
            pending_error = Some(e);
        }
    }

    let jobs: Vec<PathBuf> = ex
        .planned
        .iter()
        .filter_map(|p| p.sha256.as_ref().err().cloned())
        .collect();
    let mut hashes = hasher.hash_all(&jobs).into_iter().zip(jobs.iter());
    let mut list = Vec::with_capacity(ex.planned.len());
    let mut hashed_here = Vec::with_capacity(ex.planned.len());
    for p in ex.planned {
        let (sha, here) = match p.sha256 {
            Ok(v) => (v, false),
            Err(_) => match hashes.next() {
                Some((Ok(h), _)) => (Value::String(hex::encode(h)), true),
                Some((Err(e), path)) => return Err(super::trusted::hash_error(version, path, e)),
                None => return Err(Error::Internal("missing hash".into())),
            },
        };
        let mut t = Table::new();
        t.insert("uri", p.uri);
        t.insert("sha256", sha);
        list.push(Value::Table(t));
        hashed_here.push(here);
    }
    if let Some(e) = pending_error {
        return Err(e);
    }
    if let Some(Value::Table(sgx)) = manifest.get_mut("sgx") {
        sgx.insert("trusted_files", Value::Array(list));
    }
    Ok(Outcome {
        deps: ex.deps,
        hashed_here,
    })
}

/// Reads, completes and expands a manifest as `gramine-sgx-sign` v1.0 to v1.3 does.
pub fn expand(manifest_bytes: &[u8], opts: &Options, hasher: &mut FileHasher) -> Result<Expanded> {
    let rules = opts.version.rules();
    if opts.chroot.is_some() && !rules.trusted_files.chroot {
        return Err(ManifestError::ChrootUnsupported {
            version: opts.version,
        }
        .into());
    }
    let text = toml::decode_text(manifest_bytes)?;
    let mut manifest = toml::parse_for(&text, rules.default_writer())?;
    super::apply_defaults(&mut manifest, opts, hasher)?;
    let outcome = expand_trusted(&mut manifest, opts.version, hasher)?;
    Ok(Expanded {
        manifest,
        deps: outcome.deps,
        hashed_here: outcome.hashed_here,
    })
}

/// What v1.0 to v1.3 measure: the written `.manifest.sgx` read back with `toml.loads` (no
/// newline translation) and the `Manifest` constructor.
pub fn reread(text: &str, version: GramineVersion, warnings: &Warnings) -> Result<Table> {
    let rules = version.rules();
    let mut manifest = toml::parse_for(text, rules.default_writer())?;
    super::constructor::construct(&mut manifest, rules, warnings, None)?;
    Ok(manifest)
}
