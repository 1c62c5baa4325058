//! The verifier's MRENCLAVE for a base bundle plus a data owner's entries: the bundle's append
//! policy enforced (`measure_core::append`), or, for reproducing what Gramine itself computes,
//! Gramine's own semantics with no policy at all ([`Policy::UnsafeGramineSemantics`]).
//!
//! A data owner's entry appended to the base of one of Gramine's append test vectors gives the
//! MRENCLAVE and the `.manifest.sgx` that `gramine-sgx-sign` v1.9 gave the combined manifest:
//!
//! ```
//! use measure_lib::append::{Policy, append};
//! use measure_lib::bundle::make;
//! use measure_lib::entries::Entries;
//! use measure_lib::hashing::FileHasher;
//! use measure_lib::pipeline::Options;
//! use measure_core::GramineVersion;
//! use measure_core::bundle::Bundle;
//!
//! let case = "../testdata/vectors/public/pa01-append-1-entry";
//! // The algorithm owner's bundle (see crate::bundle), files allowed under /data/.
//! let base = std::fs::read(format!("{case}/expected-base/v1.9_tomliw-1.2.0/out.manifest.sgx"))
//!     .expect("base manifest");
//! let libpal = std::fs::read("../testdata/vectors/public/elf/pal-basic.so").expect("libpal");
//! let opts = Options::new(GramineVersion::V1_9);
//! let made = make(&base, &libpal, "pal-basic.so", &["file:/data/".into()], &opts, &mut FileHasher::new(None)?)?;
//! let bundle = Bundle::parse(&made.bytes)?;
//!
//! // The data owner's entries, in any format (here TOML tables).
//! let entries = Entries::load(format!("{case}/entries.toml").as_ref(), None, None)?;
//! let out = append(&bundle, &entries, Policy::Enforce, true)?;
//! let gramine = format!("{case}/expected/v1.9_tomliw-1.2.0");
//! assert_eq!(
//!     hex::encode(out.mrenclave),
//!     "0bfa28479c5a79e8551268ee22f7150de6721fa66ea0332cb2862a87452e9550"
//! );
//! assert_eq!(out.manifest, Some(std::fs::read(format!("{gramine}/out.manifest.sgx")).unwrap()));
//!
//! // An entry outside /data/ is refused: it could plant code in the enclave.
//! let planted = Entries::parse(
//!     br#"[{"uri": "file:/usr/lib/libc.so.6", "sha256": "00000000000000000000000000000000000000000000000000000000000000ff"}]"#,
//!     None,
//!     None,
//! )?;
//! assert!(append(&bundle, &planted, Policy::Enforce, false).is_err());
//! # Ok::<(), measure_lib::Error>(())
//! ```

use indexmap::IndexMap;
use measure_core::append::{AppendedManifest, mrenclave_unchecked};
use measure_core::bundle::Bundle;
use measure_core::engine::{self, SliceSource};
use measure_core::measure::MeasurementHasher;
use measure_core::rules::Expansion;

use crate::appended::Measure;
use crate::bundle::entry_value;
use crate::entries::Entries;
use crate::entries::stream::EntriesInput;
use crate::error::{Error, Result};
use crate::manifest::{ManifestError, pypath};
use crate::toml::{self, Value};

/// What is enforced on appended entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// The bundle's append policy: entries only under its allowed prefixes, no URI of the base,
    /// no duplicate (see `measure_core::append`).
    Enforce,
    /// UNSAFE: no policy, Gramine's own semantics (duplicates dropped, an appended hash silently
    /// replacing a base entry that had none). For reproducing what Gramine computes, never for
    /// deciding whether to trust an enclave.
    UnsafeGramineSemantics,
}

/// The result of an append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    /// MRENCLAVE of the base enclave with the entries appended.
    pub mrenclave: [u8; 32],
    /// The final manifest (the `.manifest.sgx` `gramine-sgx-sign` would write), when asked for.
    pub manifest: Option<Vec<u8>>,
}

/// MRENCLAVE of `bundle` with `entries` appended under `policy`; with `render_manifest`, also
/// the final manifest's bytes.
pub fn append(
    bundle: &Bundle<'_>,
    entries: &Entries,
    policy: Policy,
    render_manifest: bool,
) -> Result<Appended> {
    let list = entries.entry_list()?;
    match policy {
        Policy::UnsafeGramineSemantics => {
            let bytes = unsafe_gramine_semantics(bundle, entries)?;
            let mrenclave = measure_rendered(bundle, &bytes)?;
            Ok(Appended {
                mrenclave,
                manifest: render_manifest.then_some(bytes),
            })
        }
        Policy::Enforce => {
            crate::appended::check_policy_in_memory(bundle, &list)
                .map_err(|v| entries.policy_error(v))?;
            let mrenclave = mrenclave_unchecked(bundle, list)?;
            let manifest = render_manifest.then(|| {
                let mut v = Vec::new();
                AppendedManifest::new(bundle, list).render(&mut |c| v.extend_from_slice(c));
                v
            });
            Ok(Appended {
                mrenclave,
                manifest,
            })
        }
    }
}

/// What [`append_input`] computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppendedInput {
    /// MRENCLAVE of the base enclave with the entries appended.
    pub mrenclave: [u8; 32],
    /// Number of entries.
    pub count: usize,
}

/// [`append`] with the bundle's policy enforced, for entries of any size: they are streamed
/// from `input` (see [`crate::appended`]), never held, and the final manifest, when
/// `manifest_out` is given, is written there as it is measured.
pub fn append_input(
    bundle: &Bundle<'_>,
    input: &EntriesInput,
    manifest_out: Option<&mut dyn std::io::Write>,
) -> Result<AppendedInput> {
    let out = crate::appended::evaluate(bundle, input, Measure::IfAllowed, manifest_out)?;
    if let Err(r) = out.policy {
        return Err(r.into_error());
    }
    match out.mrenclave {
        Some(mrenclave) => Ok(AppendedInput {
            mrenclave,
            count: out.count,
        }),
        None => Err(Error::Internal(
            "entries admitted by the policy were not measured".into(),
        )),
    }
}

/// The base manifest as the bundle stores it.
fn base_manifest(b: &Bundle<'_>) -> Vec<u8> {
    match (b.empty_manifest, b.inline_form) {
        (Some(m), _) => m.to_vec(),
        (None, Some(f)) => [f.prefix, f.suffix].concat(),
        (None, None) => [b.sections_form.prefix, b.sections_form.suffix].concat(),
    }
}

/// Gramine's processing of `base + entries` without any policy: the base manifest re-read from
/// the bundle, its trusted-file list merged as the bundle's Gramine version merges duplicates,
/// written by the bundle's TOML writer.
fn unsafe_gramine_semantics(b: &Bundle<'_>, entries: &Entries) -> Result<Vec<u8>> {
    let base_bytes = base_manifest(b);
    let dialect = b.dialect;
    let mut table = toml::parse_for(&toml::decode_text(&base_bytes)?, dialect)?;
    let Some(base) = b.base_entries() else {
        return Err(Error::Invalid(
            "the bundle has no base entries section".into(),
        ));
    };
    let base: Vec<(String, String, bool)> = base
        .map(|e| {
            (
                String::from_utf8_lossy(e.uri).into_owned(),
                String::from_utf8_lossy(e.sha256).into_owned(),
                e.hashed_by_bundle,
            )
        })
        .collect();
    let expansion = b.params.version.rules().trusted_files.expansion;
    // URI -> (hash known before hashing?, the hash written in the end).
    let mut files: IndexMap<String, (bool, String)> = IndexMap::new();
    let key = |uri: &str| -> String {
        match expansion {
            Expansion::ByPath => pypath::normalize(uri.strip_prefix("file:").unwrap_or(uri)),
            _ => uri.to_string(),
        }
    };
    let all = base
        .iter()
        .map(|(u, s, computed)| (u.as_str(), s.as_str(), !computed))
        .chain(
            entries
                .records
                .iter()
                .map(|r| (r.uri.as_str(), r.sha256.as_str(), true)),
        );
    if let Expansion::InOrder { .. } = expansion {
        // v1.0 to v1.3 keep every entry, duplicates included; an empty hash would make them hash
        // the file, which a verifier cannot do.
        let mut list = Vec::new();
        for (uri, sha, _) in all {
            if sha.is_empty() {
                return Err(Error::Invalid(format!(
                    "entry {} has an empty sha256",
                    pypath::repr_str(uri)
                )));
            }
            list.push(entry_value(uri, sha));
        }
        if let Some(Value::Table(sgx)) = table.get_mut("sgx") {
            sgx.insert("trusted_files", Value::Array(list));
        }
        return Ok(toml::try_emit(&table, dialect)?.into_bytes());
    }
    for (uri, sha, has_hash) in all {
        let k = key(uri);
        match files.get(&k) {
            None => {
                files.insert(k, (has_hash, sha.to_string()));
            }
            // v1.6+: a second hash for a URI must equal the first; an entry without a hash
            // (hashed only when the bundle was made) is replaced in place by a later one.
            Some((true, old_sha)) if expansion == Expansion::ByUri => {
                if has_hash && old_sha != sha {
                    return Err(ManifestError::ConflictingHashes {
                        uri: pypath::repr_str(uri),
                        first: old_sha.clone(),
                        second: sha.to_string(),
                    }
                    .into());
                }
            }
            Some((false, _)) if expansion == Expansion::ByUri => {
                files.insert(k, (has_hash, sha.to_string()));
            }
            Some(_) => {} // v1.4/v1.5: the first entry for a path wins
        }
    }
    let list: Vec<Value> = files
        .into_iter()
        .map(|(k, (_, sha))| {
            let uri = match expansion {
                Expansion::ByPath => format!("file:{k}"),
                _ => k,
            };
            entry_value(&uri, &sha)
        })
        .collect();
    if let Some(Value::Table(sgx)) = table.get_mut("sgx") {
        sgx.insert("trusted_files", Value::Array(list));
    }
    Ok(toml::try_emit(&table, dialect)?.into_bytes())
}

/// MRENCLAVE of a fully rendered manifest with the bundle's layout and PAL.
fn measure_rendered(b: &Bundle<'_>, bytes: &[u8]) -> Result<[u8; 32]> {
    let layout = engine::layout_for(b.params, bytes.len() as u64, &b.pal)?;
    let mut hasher = MeasurementHasher::new();
    engine::measure(
        &layout,
        &mut SliceSource::new(bytes),
        &b.pal,
        &mut hasher,
        &mut (),
    )?;
    Ok(hasher.finish())
}
