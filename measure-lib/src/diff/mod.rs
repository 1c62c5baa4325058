//! Why two enclaves measure differently.
//!
//! Each input is read as what it is (by content): a bundle (`SGXMBNDL`), a SIGSTRUCT (1808
//! bytes starting with Gramine's header), or else a TOML manifest. A manifest is *final* (a
//! `.manifest.sgx`, measured as given, byte for byte) when Gramine's manifest pipeline would not
//! change it: either its output is byte for byte the input, or the pipeline would add or change
//! no value (a complete manifest written by another TOML writer). Otherwise it is a *source*
//! manifest and the bytes the pipeline writes (what `sgx-measure expand` writes) are measured.
//!
//! [`diff`] computes a [`DiffReport`] once: four sections (layout attributes, manifest keys,
//! PAL segments, the first diverging measurement record) or, when a `.sig` is involved, the
//! SIGSTRUCT fields. Its serde serialization is the JSON report (`docs/diff.md`); the command
//! line's text report is a rendering of it. The record streams are compared through SHA-256
//! midstate checkpoints (`measure_core::diff`), so nothing of the enclave is held in memory.
//!
//! ```no_run
//! use measure_lib::diff::{DiffOptions, diff};
//!
//! let report = diff("a.manifest.sgx".as_ref(), "b.manifest.sgx".as_ref(), &DiffOptions::default())?;
//! if !report.same {
//!     println!("{}", serde_json::to_string_pretty(&report).expect("JSON"));
//! }
//! # Ok::<(), measure_lib::Error>(())
//! ```

pub mod fmt;
mod inputs;
mod records;
pub mod report;
mod sections;
mod stream;

use std::path::{Path, PathBuf};

use measure_core::profile::GramineVersion;
use sha2::{Digest, Sha256};

pub use inputs::{Detected, detect};
pub use report::*;

use crate::entries::Entries;
use crate::error::{Error, Result};
use crate::pipeline;

/// What is given for one input (A or B).
#[derive(Clone, Debug, Default)]
pub struct SideOptions {
    /// `A` or `B`.
    pub label: &'static str,
    /// `a` or `b`: the prefix of this side's own flags (`--a-libpal`), named in errors.
    pub flag: &'static str,
    /// The PAL for a manifest (default: [`DiffOptions::default_libpal`]).
    pub libpal: Option<PathBuf>,
    /// Whether the PAL was given for this side only (then it is an error for a bundle or a
    /// `.sig`).
    pub libpal_own: bool,
    /// Gramine version (default: the latest; a bundle names its own).
    pub gramine: Option<GramineVersion>,
    /// Whether the version was given for this side only (then it must match a bundle's).
    pub gramine_own: bool,
    /// Entries appended to a bundle.
    pub entries: Option<PathBuf>,
    /// Whether the entries were given for this side only (then it must be a bundle).
    pub entries_own: bool,
}

/// Reads a data owner's entries file.
pub type EntriesLoader<'a> = dyn Fn(&Path) -> Result<Entries> + 'a;

/// The options of [`diff`].
pub struct DiffOptions<'a> {
    /// Input A.
    pub a: SideOptions,
    /// Input B.
    pub b: SideOptions,
    /// Whether entries were given for both sides (`--entries`): then one side must be a bundle.
    pub entries_for_both: bool,
    /// Whether a PAL was given for both sides (`--libpal`): then one side must be a manifest.
    pub libpal_for_both: bool,
    /// Gramine's installed PAL, for manifests given none.
    pub default_libpal: PathBuf,
    /// The manifest pipeline's options for source manifests (the version is each side's).
    pub pipeline: pipeline::Options,
    /// Reads entries files.
    pub load_entries: Box<EntriesLoader<'a>>,
}

impl Default for DiffOptions<'_> {
    fn default() -> Self {
        DiffOptions {
            a: SideOptions {
                label: "A",
                flag: "a",
                ..Default::default()
            },
            b: SideOptions {
                label: "B",
                flag: "b",
                ..Default::default()
            },
            entries_for_both: false,
            libpal_for_both: false,
            default_libpal: PathBuf::from(crate::signer::DEFAULT_LIBPAL),
            pipeline: pipeline::Options::new(GramineVersion::LATEST),
            load_entries: Box::new(|p| Entries::load(p, None, None)),
        }
    }
}

/// Compares two inputs (manifests, bundles, `.sig` files) and explains why their MRENCLAVEs
/// differ. `Err` only for unusable input.
pub fn diff(a: &Path, b: &Path, opts: &DiffOptions<'_>) -> Result<DiffReport> {
    let a = inputs::load_side(opts, &opts.a, a)?;
    let b = inputs::load_side(opts, &opts.b, b)?;
    if opts.entries_for_both && a.kind != InputKind::Bundle && b.kind != InputKind::Bundle {
        return Err(Error::Invalid(
            "--entries: neither A nor B is a bundle; entries are appended to bundles only".into(),
        ));
    }
    if opts.libpal_for_both && !a.kind.is_manifest() && !b.kind.is_manifest() {
        return Err(Error::Invalid(
            "--libpal: neither A nor B is a manifest (bundles carry their PAL, a .sig has none)"
                .into(),
        ));
    }
    let meas = stream::measure_sides(&a, &b)?;
    let value = |i: usize, s: &inputs::Side| meas.mrenclave[i].or(s.claimed());
    let (va, vb) = (value(0, &a), value(1, &b));
    let same = va.is_some() && va == vb;

    let mut notes: Vec<String> = a.notes.iter().chain(&b.notes).cloned().collect();
    let both = match (&a.measurable, &b.measurable) {
        (Some(ma), Some(mb)) => Some((ma, mb)),
        _ => None,
    };
    let layout = both.map(|(ma, mb)| sections::layout_rows(&a, &b, ma, mb));
    let manifest = both.map(|(ma, mb)| sections::manifest_report(&ma.table, &mb.table));
    if let (Some((ma, mb)), Some(d)) = (both, &manifest)
        && d.is_empty()
        && ma.bytes != mb.bytes
    {
        notes.push(
            "the manifests hold the same keys and values but their bytes differ (formatting, comments or TOML writer)".into(),
        );
    }
    let pal = both.map(|(ma, mb)| sections::pal_report(ma, mb));
    let sigstruct =
        (a.sig.is_some() || b.sig.is_some()).then(|| sections::sig_rows(&a, &b, &meas, &mut notes));
    let divergence = match (&meas.divergence, both) {
        (Some(d), Some((ma, mb))) => Some(records::divergence_report(d, ma, mb)),
        _ => None,
    };
    Ok(DiffReport {
        schema: "sgx-measure-diff/1",
        same,
        a: side_report(&a, meas.mrenclave[0], meas.records[0]),
        b: side_report(&b, meas.mrenclave[1], meas.records[1]),
        method: meas.method,
        layout,
        manifest,
        pal,
        divergence,
        sigstruct,
        notes,
    })
}

fn side_report(s: &inputs::Side, mrenclave: Option<[u8; 32]>, records: Option<u64>) -> SideReport {
    let m = s.measurable.as_ref();
    SideReport {
        label: s.label,
        path: s.path.clone(),
        kind: s.kind,
        reading: s.reading.clone(),
        gramine: s.version.as_str(),
        libpal: m.map(|m| m.pal_source.clone()),
        entries: s.entries.as_ref().map(|(n, p)| EntriesUsed {
            path: p.clone(),
            count: *n,
        }),
        manifest_sha256: m.map(|m| hex::encode(Sha256::digest(&m.bytes))),
        manifest_bytes: m.map(|m| m.bytes.len()),
        records,
        mrenclave,
        enclavehash: s.claimed(),
    }
}
