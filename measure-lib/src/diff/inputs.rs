//! Reading each input as what it is (by content): a bundle, a SIGSTRUCT, or a manifest (final
//! or source).

use std::path::{Path, PathBuf};

use measure_core::append::AppendedManifest;
use measure_core::bundle::{self, Bundle};
use measure_core::elf::{Elf, LoadSegment};
use measure_core::engine::{self, PalImage};
use measure_core::entries::{self as core_entries, EntryList};
use measure_core::layout::{Layout, LayoutParams};
use measure_core::profile::GramineVersion;
use measure_core::sigstruct::{self as core_sig, Sigstruct};

use super::report::InputKind;
use super::sections::plural;
use super::{DiffOptions, SideOptions};
use crate::attrs::layout_attrs;
use crate::error::{Error, Result, ResultExt, chain};
use crate::fsutil;
use crate::hashing::FileHasher;
use crate::manifest::pypath;
use crate::pipeline::{self, Options};
use crate::toml::{Table, TomlError, Value};

/// What the content says an input is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detected {
    /// Starts with `SGXMBNDL`.
    Bundle,
    /// Starts with Gramine's SIGSTRUCT header (1808 bytes when whole).
    Sig,
    /// Anything else: read as a TOML manifest.
    Toml,
}

/// Detects an input's kind from its bytes.
pub fn detect(bytes: &[u8]) -> Detected {
    if bytes.starts_with(bundle::MAGIC) {
        Detected::Bundle
    } else if bytes.starts_with(&core_sig::HEADER) {
        // Of any length: a truncated or padded .sig is reported as a SIGSTRUCT of the wrong
        // size, not as a manifest that is not UTF-8.
        Detected::Sig
    } else {
        Detected::Toml
    }
}

/// A PAL's segments, owned (from an ELF file or a bundle).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct OwnedPal {
    pub(super) entry: u64,
    pub(super) segments: Vec<OwnedSegment>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct OwnedSegment {
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
    flags: u32,
    data: Vec<u8>,
}

impl OwnedPal {
    fn of<P: PalImage>(pal: &P) -> Self {
        OwnedPal {
            entry: pal.entry(),
            segments: pal
                .segments()
                .map(|s| OwnedSegment {
                    offset: s.offset,
                    vaddr: s.vaddr,
                    filesz: s.filesz,
                    memsz: s.memsz,
                    flags: s.flags,
                    data: s.data.to_vec(),
                })
                .collect(),
        }
    }
}

impl OwnedSegment {
    pub(super) fn load(&self) -> LoadSegment<'_> {
        LoadSegment {
            offset: self.offset,
            vaddr: self.vaddr,
            filesz: self.filesz,
            memsz: self.memsz,
            flags: self.flags,
            data: &self.data,
        }
    }
}

impl PalImage for OwnedPal {
    fn entry(&self) -> u64 {
        self.entry
    }
    fn segments(&self) -> impl Iterator<Item = LoadSegment<'_>> {
        self.segments.iter().map(OwnedSegment::load)
    }
}

/// An input that can be measured.
pub(super) struct Measurable {
    /// The measured manifest bytes.
    pub(super) bytes: Vec<u8>,
    /// Those bytes parsed (as the version's reader does).
    pub(super) table: Table,
    pub(super) params: LayoutParams,
    pub(super) pal: OwnedPal,
    /// Where the PAL came from.
    pub(super) pal_source: String,
    pub(super) layout: Layout,
}

/// One input, loaded.
pub(super) struct Side {
    pub(super) label: &'static str,
    pub(super) path: PathBuf,
    pub(super) kind: InputKind,
    pub(super) version: GramineVersion,
    pub(super) reading: String,
    pub(super) notes: Vec<String>,
    pub(super) measurable: Option<Measurable>,
    pub(super) sig: Option<Sigstruct>,
    /// For a bundle with entries appended: how many, and from where.
    pub(super) entries: Option<(usize, PathBuf)>,
}

impl Side {
    /// A `.sig`'s ENCLAVEHASH.
    pub(super) fn claimed(&self) -> Option<[u8; 32]> {
        self.sig.as_ref().map(|s| s.enclave_hash)
    }
}

fn invalid(message: String) -> Error {
    Error::Invalid(message)
}

pub(super) fn load_side(opts: &DiffOptions<'_>, o: &SideOptions, path: &Path) -> Result<Side> {
    let bytes = fsutil::read(path, &format!("input {}", o.label))?;
    match detect(&bytes) {
        Detected::Bundle => load_bundle(opts, o, path, &bytes),
        Detected::Sig => load_sig(o, path, &bytes),
        Detected::Toml => load_manifest(opts, o, path, bytes),
    }
}

fn refuse_entries(o: &SideOptions, what: &str) -> Result<()> {
    if o.entries_own {
        return Err(invalid(format!(
            "--{}-entries: {} is {what}; entries are appended to bundles only",
            o.flag, o.label
        )));
    }
    Ok(())
}

fn load_sig(o: &SideOptions, path: &Path, bytes: &[u8]) -> Result<Side> {
    refuse_entries(o, "a SIGSTRUCT")?;
    if o.libpal_own {
        return Err(invalid(format!(
            "--{}-libpal: {} is a SIGSTRUCT, which holds ENCLAVEHASH and no layout to measure",
            o.flag, o.label
        )));
    }
    let sig = Sigstruct::parse(bytes)
        .with_context(|| format!("{} {}: not a valid SIGSTRUCT", o.label, path.display()))?;
    Ok(Side {
        label: o.label,
        path: path.to_path_buf(),
        kind: InputKind::Sig,
        version: o.gramine.unwrap_or(GramineVersion::LATEST),
        reading: "SIGSTRUCT (1808 bytes with Gramine's header): only ENCLAVEHASH and the SIGSTRUCT fields can be compared".into(),
        notes: vec![],
        measurable: None,
        sig: Some(sig),
        entries: None,
    })
}

fn load_bundle(opts: &DiffOptions<'_>, o: &SideOptions, path: &Path, bytes: &[u8]) -> Result<Side> {
    if o.libpal_own {
        return Err(invalid(format!(
            "--{}-libpal: {} is a bundle, which carries its own PAL",
            o.flag, o.label
        )));
    }
    let b = Bundle::parse(bytes).with_context(|| format!("{} {}", o.label, path.display()))?;
    let version = b.params.version;
    let mut notes = vec![];
    if let Some(v) = o.gramine
        && v != version
    {
        if o.gramine_own {
            return Err(invalid(format!(
                "--{}-gramine {v}: {} is a bundle made for Gramine {version}",
                o.flag, o.label
            )));
        }
        notes.push(format!(
            "--gramine {v} does not apply to {}: the bundle was made for Gramine {version}",
            o.label
        ));
    }
    let (list_bytes, appended) = match &o.entries {
        Some(p) => {
            let entries = (opts.load_entries)(p)?;
            let list_for_policy = EntryList::parse(&entries.list)?;
            crate::appended::check_policy_in_memory(&b, &list_for_policy).map_err(|violation| {
                let uri = entries
                    .records
                    .get(violation.index as usize)
                    .map(|r| pypath::repr_str(&r.uri))
                    .unwrap_or_default();
                Error::Policy {
                    violation,
                    uri,
                    other: None,
                }
                .context(format!(
                    "{} {}: entries {}",
                    o.label,
                    path.display(),
                    p.display()
                ))
            })?;
            let n = entries.len();
            (entries.list, Some((n, p.clone())))
        }
        None => (core_entries::HEADER.to_vec(), None),
    };
    let list = EntryList::parse(&list_bytes)?;
    let mut rendered = Vec::new();
    AppendedManifest::new(&b, list).render(&mut |c| rendered.extend_from_slice(c));
    let table = match pipeline::read_final(&rendered, version, &opts.pipeline.warnings) {
        Ok(t) => t,
        Err(e) => {
            notes.push(format!(
                "the manifest of {} does not parse as TOML ({}); its keys are not compared",
                o.label,
                chain(&e)
            ));
            Table::new()
        }
    };
    let pal = OwnedPal::of(&b.pal);
    let layout = engine::layout_for(b.params, rendered.len() as u64, &pal)
        .with_context(|| format!("{} {}", o.label, path.display()))?;
    let reading = match &appended {
        Some((n, p)) => format!(
            "bundle with {} from {} appended (append policy enforced)",
            plural(*n as u64, "entry", "entries"),
            p.display()
        ),
        None => "bundle, base manifest (no entries appended)".into(),
    };
    Ok(Side {
        label: o.label,
        path: path.to_path_buf(),
        kind: InputKind::Bundle,
        version,
        reading,
        notes,
        measurable: Some(Measurable {
            bytes: rendered,
            table,
            params: b.params,
            pal,
            pal_source: "the bundle's PAL".into(),
            layout,
        }),
        sig: None,
        entries: appended,
    })
}

/// Whether a manifest looks expanded: every trusted file a table with a `uri` (not a directory)
/// and a `sha256`.
fn looks_final(t: &Table) -> bool {
    match t.get_path(&["sgx", "trusted_files"]) {
        None => true,
        Some(Value::Array(items)) => items.iter().all(|i| {
            i.as_table().is_some_and(|t| {
                t.contains_key("sha256")
                    && t.get("uri")
                        .and_then(Value::as_str)
                        .is_some_and(|u| !u.ends_with('/'))
            })
        }),
        Some(_) => false,
    }
}

/// A manifest: final (measured as given) when the pipeline would not change it, else source
/// (the pipeline's output is measured).
fn load_manifest(
    opts: &DiffOptions<'_>,
    o: &SideOptions,
    path: &Path,
    bytes: Vec<u8>,
) -> Result<Side> {
    refuse_entries(o, "a manifest")?;
    let version = o.gramine.unwrap_or(GramineVersion::LATEST);
    let ctx = || format!("{} {}", o.label, path.display());
    let warnings = &opts.pipeline.warnings;
    let given = pipeline::read_final(&bytes, version, warnings).with_context(ctx)?;
    let pipeline_opts = Options {
        version,
        ..opts.pipeline.clone()
    };
    // A TOML writer this version never used (`--tomli-w 0.4` with v1.0-v1.3) is refused as
    // `sign` refuses it, not taken for a pipeline failure of a final manifest.
    pipeline_opts.dialect().with_context(ctx)?;
    let mut hasher = FileHasher::new(None)?;
    let mut notes = vec![];
    let (kind, measured_bytes, table, reading) = match pipeline::run(
        &bytes,
        &pipeline_opts,
        &mut hasher,
    ) {
        Ok(fin) => {
            // The pipeline adds or changes nothing when its expanded manifest is the input as
            // the version's reader parses it (before the constructor's defaults).
            let unchanged =
                pipeline::parse_source(&bytes, version).is_ok_and(|source| source == fin.expanded);
            if fin.text.as_bytes() == bytes.as_slice() {
                (
                        InputKind::FinalManifest,
                        bytes,
                        given,
                        "final manifest: the manifest pipeline writes it back byte for byte; measured as given".to_string(),
                    )
            } else if unchanged {
                (
                        InputKind::FinalManifest,
                        bytes,
                        given,
                        "final manifest: the manifest pipeline would add or change no value (it is written differently than this tomli_w writes); measured as given, byte for byte".to_string(),
                    )
            } else {
                let (out, measured) = fin.into_measured().with_context(ctx)?;
                let n = out.len();
                (
                    InputKind::SourceManifest,
                    std::sync::Arc::unwrap_or_clone(out).into_bytes(),
                    measured,
                    format!(
                        "source manifest: run through Gramine {version}'s manifest pipeline (as `sgx-measure expand`); the {n} bytes it writes are measured"
                    ),
                )
            }
        }
        Err(e @ Error::Toml(TomlError::Unwritable { .. })) => return Err(e.context(ctx())),
        Err(e) if looks_final(&given) => {
            notes.push(format!(
                    "the manifest pipeline fails on {} ({}); every trusted file already has a hash, so it is read as a final manifest",
                    o.label,
                    chain(&e)
                ));
            (
                InputKind::FinalManifest,
                bytes,
                given,
                "final manifest (every trusted file has a hash); measured as given".to_string(),
            )
        }
        Err(e) => return Err(e.context(format!("{}: manifest pipeline", ctx()))),
    };
    let params = layout_attrs(&table, version).with_context(ctx)?.params;
    let libpal_path = o
        .libpal
        .clone()
        .unwrap_or_else(|| opts.default_libpal.clone());
    let libpal = crate::signer::read_libpal(&libpal_path)?;
    let elf = Elf::parse(&libpal).map_err(|source| Error::Pal {
        name: libpal_path.display().to_string(),
        source,
    })?;
    let pal = OwnedPal::of(&elf);
    let layout = engine::layout_for(params, measured_bytes.len() as u64, &pal).with_context(ctx)?;
    Ok(Side {
        label: o.label,
        path: path.to_path_buf(),
        kind,
        version,
        reading,
        notes,
        measurable: Some(Measurable {
            bytes: measured_bytes,
            table,
            params,
            pal,
            pal_source: libpal_path.display().to_string(),
            layout,
        }),
        sig: None,
        entries: None,
    })
}
