//! `sgx-measure append`: the verifier's MRENCLAVE for a base bundle plus a data owner's entries.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use indexmap::IndexMap;
use measure_core::append::{AppendError, AppendedManifest, check_policy, mrenclave_unchecked};
use measure_core::bundle::{self, Bundle};
use measure_core::engine::{self, SliceSource};
use measure_core::entries::EntryList;
use measure_core::measure::MeasurementHasher;
use measure_core::profile::GramineVersion;
use sha2::{Digest, Sha256};

use super::entries::load;
use crate::cmd::entries::From;
use measure_lib::entries::EntryRec;
use measure_lib::fsutil;
use measure_lib::manifest::pypath;
use measure_lib::toml::{self, Dialect, Table, Value};

/// Compute the MRENCLAVE of the bundle's enclave with a data owner's entries appended to
/// sgx.trusted_files, after enforcing the bundle's append policy.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure append --bundle base.bundle --entries owner1.toml -q\n  sgx-measure append --bundle base.bundle --entries SHA256SUMS --from sha256sum --uri-prefix file:/data/ --print-manifest final.manifest.sgx"
)]
pub struct AppendArgs {
    /// The base bundle (from `sgx-measure bundle`).
    #[arg(long, value_name = "FILE")]
    pub bundle: PathBuf,
    /// The data owner's entries (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    pub entries: PathBuf,
    /// Entries format (default: detected).
    #[arg(long, value_enum)]
    pub from: Option<From>,
    /// For sha256sum entries: the URI prefix put before each path [default: file:].
    #[arg(long = "uri-prefix", value_name = "P")]
    pub uri_prefix: Option<String>,
    /// Print only the MRENCLAVE (64 hex digits) and a newline.
    #[arg(short, long)]
    pub quiet: bool,
    /// Also write the final manifest (the .manifest.sgx gramine-sgx-sign would write).
    #[arg(long = "print-manifest", value_name = "FILE")]
    pub print_manifest: Option<PathBuf>,
    /// UNSAFE: skip the append policy and apply Gramine's own semantics (duplicates dropped, an
    /// appended hash silently replacing a base entry that had none). For reproducing what Gramine
    /// computes, never for deciding whether to trust an enclave.
    #[arg(long = "unsafe-no-policy")]
    pub unsafe_no_policy: bool,
}

fn describe(e: &AppendError, recs: &[EntryRec]) -> String {
    match e {
        AppendError::Policy(v) => {
            let uri = |i: u32| {
                recs.get(i as usize)
                    .map(|r| pypath::repr_str(&r.uri))
                    .unwrap_or_default()
            };
            let mut s = format!("append policy: {v} [entry {}: {}]", v.index, uri(v.index));
            if v.kind == measure_core::append::PolicyKind::Duplicate {
                s.push_str(&format!(" [entry {}: {}]", v.other, uri(v.other)));
            }
            s
        }
        other => other.to_string(),
    }
}

/// Runs the command.
pub fn run(args: &AppendArgs) -> Result<()> {
    let bundle_bytes = fsutil::read(&args.bundle, "bundle")?;
    let bundle = Bundle::parse(&bundle_bytes)
        .with_context(|| format!("bundle {}", args.bundle.display()))?;
    let (recs, list_bytes) = load(&args.entries, args.from, args.uri_prefix.as_deref())?;
    let list = EntryList::parse(&list_bytes)?;

    let (mrenclave, manifest_bytes) = if args.unsafe_no_policy {
        eprintln!(
            "sgx-measure: WARNING: --unsafe-no-policy: the append policy is NOT enforced. Appended entries may shadow or replace the base enclave's own files (a planted library is code). Use this only to reproduce Gramine's result, never to decide whether to trust an enclave."
        );
        unsafe_gramine_semantics(&bundle, &recs)?
    } else {
        check_policy(&bundle, &list, &Sha256::digest(&list_bytes).into())
            .map_err(|v| anyhow::anyhow!(describe(&AppendError::Policy(v), &recs)))?;
        let m = mrenclave_unchecked(&bundle, list)?;
        let bytes = args.print_manifest.as_ref().map(|_| {
            let mut v = Vec::new();
            AppendedManifest::new(&bundle, list).render(&mut |c| v.extend_from_slice(c));
            v
        });
        (m, bytes)
    };
    if let (Some(path), Some(bytes)) = (&args.print_manifest, manifest_bytes) {
        fsutil::write_atomic(path, &bytes)?;
    }
    let mut out = std::io::stdout().lock();
    if args.quiet {
        writeln!(out, "{}", hex::encode(mrenclave))?;
    } else {
        writeln!(out, "mrenclave: {}", hex::encode(mrenclave))?;
        writeln!(
            out,
            "entries appended: {} (policy {})",
            recs.len(),
            if args.unsafe_no_policy {
                "NOT enforced"
            } else {
                "enforced"
            }
        )?;
        writeln!(
            out,
            "bundle sha256: {}",
            hex::encode(Sha256::digest(&bundle_bytes))
        )?;
    }
    Ok(())
}

/// The base manifest as the bundle stores it.
fn base_manifest(b: &Bundle<'_>) -> Vec<u8> {
    match (b.empty_manifest, b.inline_form) {
        (Some(m), _) => m.to_vec(),
        (None, Some(f)) => [f.prefix, f.suffix].concat(),
        (None, None) => [b.sections_form.prefix, b.sections_form.suffix].concat(),
    }
}

/// Gramine's processing of `base + entries` without any policy: the full std pipeline on the
/// base manifest re-read from the bundle, with its trusted-file list merged as the bundle's
/// Gramine version merges duplicates.
fn unsafe_gramine_semantics(
    b: &Bundle<'_>,
    recs: &[EntryRec],
) -> Result<([u8; 32], Option<Vec<u8>>)> {
    let base_bytes = base_manifest(b);
    let dialect = match b.dialect {
        bundle::Dialect::TomliW04 => Dialect::TomliW04,
        bundle::Dialect::TomliW1 => Dialect::TomliW1,
        bundle::Dialect::Toml0102 => Dialect::Toml0102,
    };
    let mut table = toml::parse_for(&toml::decode_text(&base_bytes)?, dialect)?;
    let Some(base) = b.base_entries() else {
        bail!("the bundle has no base entries section")
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
    let version = b.params.version;
    // URI -> (hash known before hashing?, the hash written in the end).
    let mut files: IndexMap<String, (bool, String)> = IndexMap::new();
    let key = |uri: &str| -> String {
        if version >= GramineVersion::V1_6 {
            uri.to_string()
        } else {
            pypath::normalize(uri.strip_prefix("file:").unwrap_or(uri))
        }
    };
    let all = base
        .iter()
        .map(|(u, s, computed)| (u.as_str(), s.as_str(), !computed))
        .chain(
            recs.iter()
                .map(|r| (r.uri.as_str(), r.sha256.as_str(), true)),
        );
    if version <= GramineVersion::V1_3 {
        // v1.0 to v1.3 keep every entry, duplicates included; an empty hash would make them hash
        // the file, which a verifier cannot do.
        let mut list = Vec::new();
        for (uri, sha, _) in all {
            if sha.is_empty() {
                bail!("entry {} has an empty sha256", pypath::repr_str(uri));
            }
            let mut e = Table::new();
            e.insert("uri", Value::String(uri.to_string()));
            e.insert("sha256", Value::String(sha.to_string()));
            list.push(Value::Table(e));
        }
        if let Some(Value::Table(sgx)) = table.get_mut("sgx") {
            sgx.insert("trusted_files", Value::Array(list));
        }
        return measure_rendered(b, toml::try_emit(&table, dialect)?.into_bytes());
    }
    for (uri, sha, has_hash) in all {
        let k = key(uri);
        match files.get(&k) {
            None => {
                files.insert(k, (has_hash, sha.to_string()));
            }
            // v1.6+: a second hash for a URI must equal the first; an entry without a hash
            // (hashed only when the bundle was made) is replaced in place by a later one.
            Some((true, old_sha)) if version >= GramineVersion::V1_6 => {
                if has_hash && old_sha != sha {
                    bail!(
                        "Two different sha256 values ({old_sha} and {sha}) for the same URI {}",
                        pypath::repr_str(uri)
                    );
                }
            }
            Some((false, _)) if version >= GramineVersion::V1_6 => {
                files.insert(k, (has_hash, sha.to_string()));
            }
            Some(_) => {} // v1.4/v1.5: the first entry for a path wins
        }
    }
    let list: Vec<Value> = files
        .into_iter()
        .map(|(k, (_, sha))| {
            let mut e = Table::new();
            let uri = if version >= GramineVersion::V1_6 {
                k
            } else {
                format!("file:{k}")
            };
            e.insert("uri", Value::String(uri));
            e.insert("sha256", Value::String(sha));
            Value::Table(e)
        })
        .collect();
    if let Some(Value::Table(sgx)) = table.get_mut("sgx") {
        sgx.insert("trusted_files", Value::Array(list));
    }
    measure_rendered(b, toml::try_emit(&table, dialect)?.into_bytes())
}

/// MRENCLAVE of a fully rendered manifest with the bundle's layout and PAL.
fn measure_rendered(b: &Bundle<'_>, bytes: Vec<u8>) -> Result<([u8; 32], Option<Vec<u8>>)> {
    let layout = engine::layout_for(b.params, bytes.len() as u64, &b.pal)?;
    let mut hasher = MeasurementHasher::new();
    engine::measure(
        &layout,
        &mut SliceSource::new(&bytes),
        &b.pal,
        &mut hasher,
        &mut (),
    )?;
    Ok((hasher.finish(), Some(bytes)))
}
