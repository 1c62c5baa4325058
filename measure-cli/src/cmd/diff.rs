//! `sgx-measure diff`: why two enclaves measure differently.
//!
//! Each input is read as what it is (by content): a bundle (`SGXMBNDL`), a SIGSTRUCT (1808
//! bytes starting with Gramine's header), or else a TOML manifest. A manifest is *final* (a
//! `.manifest.sgx`, measured as given, byte for byte) when Gramine's manifest pipeline would not
//! change it: either its output is byte for byte the input, or the pipeline would add or change
//! no value (a complete manifest written by another TOML writer). Otherwise it is a *source*
//! manifest and the bytes the pipeline writes (what `sgx-measure expand` writes) are measured.
//!
//! The report has four sections (layout attributes, manifest keys, PAL segments, the first
//! diverging measurement record) or, when a `.sig` is involved, the SIGSTRUCT fields. The record
//! streams are compared through SHA-256 midstate checkpoints (`measure_core::diff`), so nothing
//! of the enclave is held in memory. See `docs/diff.md` for the JSON structure.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use measure_core::append::{AppendedManifest, check_policy};
use measure_core::bundle::{self, Bundle};
use measure_core::diff::{
    self as core_diff, AreaSpan, Divergence, Interval, Location, PassResult, Record, RecordData,
    Region, ScratchBuf, Stream,
};
use measure_core::elf::{Elf, LoadSegment};
use measure_core::engine::{self, AreaKind, PAGE, PalImage, SliceSource, segment_page};
use measure_core::entries::{self as core_entries, EntryList};
use measure_core::layout::{Layout, LayoutParams};
use measure_core::profile::{BaseRule, GramineVersion, secinfo};
use measure_core::sha256::Midstate;
use measure_core::sigstruct::{self as core_sig, DateEncoding, SigDate, Sigstruct};
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

use super::entries::load;
use super::parse_version;
use super::pipeline::{parse_sha256_hex, stderr_warnings, tomli_w_parser};
use crate::cmd::entries::From;
use measure_lib::attrs::layout_attrs;
use measure_lib::error::chain;
use measure_lib::fsutil;
use measure_lib::hashing::FileHasher;
use measure_lib::manifest::{DEFAULT_LIBOS, pypath};
use measure_lib::pipeline;
use measure_lib::sigstruct::make_sigstruct;
use measure_lib::toml::{self, Table, Value};
use measure_lib::toml::{TomlError, TomlWriter};

/// Checkpoints kept per pass: the hash state every `records / 4096` records.
const CHECKPOINTS: usize = 4096;
/// Records replayed and compared one by one once the divergence is narrowed down.
const WINDOW: usize = 4096;
/// Items listed per category in the human report (the JSON lists all).
const LIST_LIMIT: usize = 40;

/// Explain why two enclaves measure differently: layout attributes, manifest keys (trusted files
/// by URI), PAL segments and pages, and the first measurement record where they part.
///
/// A and B are each a manifest (a source .manifest is run through the manifest pipeline as
/// `sgx-measure expand` does; a final .manifest.sgx, one the pipeline would not change, is
/// measured as given), a bundle (with --entries appended as `sgx-measure append` does, policy
/// enforced) or a .sig (only ENCLAVEHASH and the SIGSTRUCT fields are compared). The kind is
/// detected from the content.
///
/// Exit status: 0 if A and B have the same MRENCLAVE, 1 if they differ, 2 if an input is
/// unusable.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure diff app.manifest.sgx other/app.manifest.sgx --libpal libpal.so\n  sgx-measure diff app.manifest.sgx app.manifest.sgx --a-libpal old/libpal.so --b-libpal new/libpal.so\n  sgx-measure diff base.bundle final.manifest.sgx --entries owner1.toml --b-libpal libpal.so --json\n  sgx-measure diff app.sig app.manifest.sgx --libpal libpal.so --gramine 1.9"
)]
pub struct DiffArgs {
    /// First input: a manifest, a bundle or a .sig.
    #[arg(value_name = "A")]
    pub a: PathBuf,
    /// Second input: a manifest, a bundle or a .sig.
    #[arg(value_name = "B")]
    pub b: PathBuf,
    /// The PAL for every manifest input [default: Gramine's installed sgx/libpal.so].
    #[arg(short = 'l', long, value_name = "L", conflicts_with_all = ["a_libpal", "b_libpal"])]
    pub libpal: Option<PathBuf>,
    /// The PAL for A (a manifest).
    #[arg(long = "a-libpal", value_name = "LA")]
    pub a_libpal: Option<PathBuf>,
    /// The PAL for B (a manifest).
    #[arg(long = "b-libpal", value_name = "LB")]
    pub b_libpal: Option<PathBuf>,
    /// Gramine version of both inputs [default: 1.9; a bundle names its own].
    #[arg(long, value_name = "V", value_parser = parse_version, conflicts_with_all = ["a_gramine", "b_gramine"])]
    pub gramine: Option<GramineVersion>,
    /// Gramine version of A.
    #[arg(long = "a-gramine", value_name = "VA", value_parser = parse_version)]
    pub a_gramine: Option<GramineVersion>,
    /// Gramine version of B.
    #[arg(long = "b-gramine", value_name = "VB", value_parser = parse_version)]
    pub b_gramine: Option<GramineVersion>,
    /// A data owner's entries appended to every bundle input.
    #[arg(long, value_name = "E", conflicts_with_all = ["a_entries", "b_entries"])]
    pub entries: Option<PathBuf>,
    /// Entries appended to A (a bundle).
    #[arg(long = "a-entries", value_name = "EA")]
    pub a_entries: Option<PathBuf>,
    /// Entries appended to B (a bundle).
    #[arg(long = "b-entries", value_name = "EB")]
    pub b_entries: Option<PathBuf>,
    /// Entries format (default: detected).
    #[arg(long, value_enum)]
    pub from: Option<From>,
    /// For sha256sum entries: the URI prefix [default: file:].
    #[arg(long = "uri-prefix", value_name = "P")]
    pub uri_prefix: Option<String>,
    /// Source manifests: the tomli_w version of the signing machine (v1.4+).
    #[arg(long = "tomli-w", value_name = "1|0.4", default_value = "1", value_parser = tomli_w_parser())]
    pub tomli_w: TomlWriter,
    /// Source manifests: the LibOS inserted as loader.entrypoint.uri (v1.8+).
    #[arg(long, value_name = "FILE", default_value = DEFAULT_LIBOS)]
    pub libos: PathBuf,
    /// Source manifests: the LibOS's SHA-256, instead of reading --libos.
    #[arg(long = "libos-sha256", value_name = "HEX", value_parser = parse_sha256_hex)]
    pub libos_sha256: Option<String>,
    /// Source manifests: measure trusted files inside this directory as if it were /.
    #[arg(long, value_name = "DIR")]
    pub chroot: Option<PathBuf>,
    /// Print the report as JSON (structure in docs/diff.md).
    #[arg(long)]
    pub json: bool,
}

/// How an input was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A source manifest, run through the manifest pipeline.
    SourceManifest,
    /// A final manifest, measured as given.
    FinalManifest,
    /// A bundle, with entries appended when given.
    Bundle,
    /// A SIGSTRUCT.
    Sig,
}

impl InputKind {
    /// The name used in both reports.
    pub fn name(self) -> &'static str {
        match self {
            InputKind::SourceManifest => "manifest",
            InputKind::FinalManifest => "manifest.sgx",
            InputKind::Bundle => "bundle",
            InputKind::Sig => "sig",
        }
    }
}

/// What the content says an input is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detected {
    /// Starts with `SGXMBNDL`.
    Bundle,
    /// 1808 bytes starting with Gramine's SIGSTRUCT header.
    Sig,
    /// Anything else: read as a TOML manifest.
    Toml,
}

/// Detects an input's kind from its bytes.
pub fn detect(bytes: &[u8]) -> Detected {
    if bytes.starts_with(bundle::MAGIC) {
        Detected::Bundle
    } else if bytes.len() == core_sig::SIGSTRUCT_SIZE && bytes.starts_with(&core_sig::HEADER) {
        Detected::Sig
    } else {
        Detected::Toml
    }
}

/// A PAL's segments, owned (from an ELF file or a bundle).
#[derive(Clone, Debug, PartialEq, Eq)]
struct OwnedPal {
    entry: u64,
    segments: Vec<OwnedSegment>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct OwnedSegment {
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
    fn load(&self) -> LoadSegment<'_> {
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
struct Measurable {
    /// The measured manifest bytes.
    bytes: Vec<u8>,
    /// Those bytes parsed (as the version's reader does).
    table: Table,
    params: LayoutParams,
    pal: OwnedPal,
    /// Where the PAL came from.
    pal_source: String,
    layout: Layout,
}

/// One input, loaded.
struct Side {
    label: &'static str,
    path: PathBuf,
    kind: InputKind,
    version: GramineVersion,
    reading: String,
    notes: Vec<String>,
    measurable: Option<Measurable>,
    sig: Option<Sigstruct>,
    /// `Some(n)` for a bundle: entries appended, and from where.
    entries: Option<(usize, PathBuf)>,
}

impl Side {
    /// MRENCLAVE (for a `.sig`, ENCLAVEHASH), once known.
    fn claimed(&self) -> Option<[u8; 32]> {
        self.sig.as_ref().map(|s| s.enclave_hash)
    }
}

/// Per-side options.
struct SideOpts<'a> {
    label: &'static str,
    flag: &'static str,
    libpal: Option<&'a Path>,
    libpal_own: bool,
    gramine: Option<GramineVersion>,
    gramine_own: bool,
    entries: Option<&'a Path>,
    entries_own: bool,
}

/// The error of an unusable input (exit status 2).
#[derive(Debug)]
pub struct Unusable(pub anyhow::Error);

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

fn load_side(args: &DiffArgs, o: &SideOpts<'_>, path: &Path) -> Result<Side> {
    let bytes = fsutil::read(path, &format!("input {}", o.label))?;
    match detect(&bytes) {
        Detected::Bundle => load_bundle(args, o, path, &bytes),
        Detected::Sig => load_sig(o, path, &bytes),
        Detected::Toml => load_manifest(args, o, path, bytes),
    }
}

fn refuse_entries(o: &SideOpts<'_>, what: &str) -> Result<()> {
    if o.entries_own {
        bail!(
            "--{}-entries: {} is {what}; entries are appended to bundles only",
            o.flag,
            o.label
        );
    }
    Ok(())
}

fn load_sig(o: &SideOpts<'_>, path: &Path, bytes: &[u8]) -> Result<Side> {
    refuse_entries(o, "a SIGSTRUCT")?;
    if o.libpal_own {
        bail!(
            "--{}-libpal: {} is a SIGSTRUCT, which holds ENCLAVEHASH and no layout to measure",
            o.flag,
            o.label
        );
    }
    let sig = Sigstruct::parse(bytes)
        .with_context(|| format!("{} {}: not a valid SIGSTRUCT", o.label, path.display()))?;
    let version = o.gramine.unwrap_or(GramineVersion::LATEST);
    Ok(Side {
        label: o.label,
        path: path.to_path_buf(),
        kind: InputKind::Sig,
        version,
        reading: "SIGSTRUCT (1808 bytes with Gramine's header): only ENCLAVEHASH and the SIGSTRUCT fields can be compared".into(),
        notes: vec![],
        measurable: None,
        sig: Some(sig),
        entries: None,
    })
}

fn load_bundle(args: &DiffArgs, o: &SideOpts<'_>, path: &Path, bytes: &[u8]) -> Result<Side> {
    if o.libpal_own {
        bail!(
            "--{}-libpal: {} is a bundle, which carries its own PAL",
            o.flag,
            o.label
        );
    }
    let b = Bundle::parse(bytes).with_context(|| format!("{} {}", o.label, path.display()))?;
    let version = b.params.version;
    let mut notes = vec![];
    if let Some(v) = o.gramine
        && v != version
    {
        if o.gramine_own {
            bail!(
                "--{}-gramine {v}: {} is a bundle made for Gramine {version}",
                o.flag,
                o.label
            );
        }
        notes.push(format!(
            "--gramine {v} does not apply to {}: the bundle was made for Gramine {version}",
            o.label
        ));
    }
    let (list_bytes, appended) = match o.entries {
        Some(p) => {
            let entries = load(p, args.from, args.uri_prefix.as_deref())?;
            let (recs, list) = (entries.records, entries.list);
            let list_for_policy = EntryList::parse(&list)?;
            check_policy(&b, &list_for_policy, &Sha256::digest(&list).into()).map_err(|v| {
                let uri = recs
                    .get(v.index as usize)
                    .map(|r| pypath::repr_str(&r.uri))
                    .unwrap_or_default();
                anyhow!(
                    "{} {}: entries {}: append policy: {v} [entry {}: {uri}]",
                    o.label,
                    path.display(),
                    p.display(),
                    v.index
                )
            })?;
            (list, Some((recs.len(), p.to_path_buf())))
        }
        None => (core_entries::HEADER.to_vec(), None),
    };
    let list = EntryList::parse(&list_bytes)?;
    let mut rendered = Vec::new();
    AppendedManifest::new(&b, list).render(&mut |c| rendered.extend_from_slice(c));
    let table = match parse_as_read(&rendered, version) {
        Ok(t) => t,
        Err(e) => {
            notes.push(format!(
                "the manifest of {} does not parse as TOML ({e:#}); its keys are not compared",
                o.label
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

/// Parses measured manifest bytes as the version reads them back.
fn parse_as_read(bytes: &[u8], version: GramineVersion) -> Result<Table> {
    Ok(pipeline::read_final(bytes, version, &stderr_warnings())?)
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

fn load_manifest(args: &DiffArgs, o: &SideOpts<'_>, path: &Path, bytes: Vec<u8>) -> Result<Side> {
    refuse_entries(o, "a manifest")?;
    let version = o.gramine.unwrap_or(GramineVersion::LATEST);
    let ctx = || format!("{} {}", o.label, path.display());
    let given = parse_as_read(&bytes, version).with_context(ctx)?;
    let opts = pipeline::Options {
        version,
        writer: Some(args.tomli_w),
        chroot: args.chroot.clone(),
        libos: args.libos.clone(),
        libos_sha256: args.libos_sha256.clone(),
        warnings: stderr_warnings(),
    };
    let mut hasher = FileHasher::new(None)?;
    let mut notes = vec![];
    let (kind, measured_bytes, table, reading) = match pipeline::run(&bytes, &opts, &mut hasher) {
        Ok(fin) => {
            // The pipeline adds or changes nothing when its expanded manifest is the input as the
            // version's reader parses it (before the constructor's defaults).
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
                    out.into_bytes(),
                    measured,
                    format!(
                        "source manifest: run through Gramine {version}'s manifest pipeline (as `sgx-measure expand`); the {n} bytes it writes are measured"
                    ),
                )
            }
        }
        Err(e @ measure_lib::Error::Toml(TomlError::Unwritable { .. })) => {
            return Err(anyhow::Error::new(e).context(ctx()));
        }
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
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!("{}: manifest pipeline", ctx())));
        }
    };
    let params = layout_attrs(&table, version).with_context(ctx)?.params;
    let libpal_path = o
        .libpal
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(super::sign::DEFAULT_LIBPAL));
    let libpal = fsutil::read(&libpal_path, "libpal")?;
    let elf = Elf::parse(&libpal).with_context(|| format!("libpal {}", libpal_path.display()))?;
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

/// A whole-stream checkpoint pass: the checkpoints and the result.
fn whole_pass(m: &Measurable, stride: u64) -> Result<(PassResult, Vec<Midstate>)> {
    let mut cps = vec![Midstate::INITIAL; CHECKPOINTS];
    let mut src = SliceSource::new(&m.bytes);
    let r = Stream::new(m.layout, &mut src, &m.pal).checkpoint_pass(
        Interval::whole(u64::MAX),
        stride,
        &mut cps,
        None,
    )?;
    cps.truncate(r.checkpoints);
    Ok((r, cps))
}

/// What measuring both sides found.
struct Measurement {
    mrenclave: [Option<[u8; 32]>; 2],
    records: [Option<u64>; 2],
    divergence: Option<Divergence>,
    method: String,
}

fn measure_sides(a: &Side, b: &Side) -> Result<Measurement> {
    match (&a.measurable, &b.measurable) {
        (Some(ma), Some(mb)) => measure_pair(ma, mb),
        (ma, mb) => {
            let one = |m: &Option<Measurable>| -> Result<(Option<[u8; 32]>, Option<u64>)> {
                match m {
                    None => Ok((None, None)),
                    Some(m) => {
                        let total = core_diff::total_records(&m.layout, &m.pal);
                        let (r, _) = whole_pass(m, total)?;
                        Ok((Some(r.end_state.finalize()), Some(r.records)))
                    }
                }
            };
            let (ea, ra) = one(ma)?;
            let (eb, rb) = one(mb)?;
            Ok(Measurement {
                mrenclave: [ea, eb],
                records: [ra, rb],
                divergence: None,
                method: "one measurement of each measurable input".into(),
            })
        }
    }
}

fn measure_pair(a: &Measurable, b: &Measurable) -> Result<Measurement> {
    let ta = core_diff::total_records(&a.layout, &a.pal);
    let tb = core_diff::total_records(&b.layout, &b.pal);
    if a.params == b.params && a.bytes == b.bytes && a.pal == b.pal {
        // The record stream is a function of these three inputs alone.
        let (r, _) = whole_pass(a, ta)?;
        let m = r.end_state.finalize();
        return Ok(Measurement {
            mrenclave: [Some(m), Some(m)],
            records: [Some(ta), Some(tb)],
            divergence: None,
            method: "identical layout, manifest bytes and PAL: measured once".into(),
        });
    }
    let total = ta.max(tb);
    let stride = core_diff::stride_for(total, CHECKPOINTS);
    let (ra, rb) = std::thread::scope(|s| {
        let ha = s.spawn(|| whole_pass(a, stride));
        let rb = whole_pass(b, stride);
        (
            ha.join()
                .unwrap_or_else(|_| Err(anyhow!("internal error: measuring A failed"))),
            rb,
        )
    });
    let ((pa, ca), (mut pb, cb)) = (ra?, rb?);
    let (ea, eb) = (pa.end_state.finalize(), pb.end_state.finalize());
    let mut method = format!(
        "both measured once in parallel with a checkpoint every {stride} records ({} and {} checkpoints)",
        ca.len(),
        cb.len()
    );
    let divergence = if ea == eb {
        None
    } else {
        pb.diverged = ca.iter().zip(&cb).position(|(x, y)| x != y);
        match core_diff::narrow(Interval::whole(total), stride, &ca, &pa, &pb) {
            None => None,
            Some(iv) => {
                let _ = write!(
                    method,
                    "; records {}..{} narrowed down and compared one by one",
                    iv.start, iv.end
                );
                let mut scratch = ScratchBuf::new(CHECKPOINTS, WINDOW);
                let (mut sa, mut sb) = (SliceSource::new(&a.bytes), SliceSource::new(&b.bytes));
                let mut stream_a = Stream::new(a.layout, &mut sa, &a.pal);
                let mut stream_b = Stream::new(b.layout, &mut sb, &b.pal);
                core_diff::find_divergence_in(
                    &mut stream_a,
                    &mut stream_b,
                    iv,
                    &mut scratch.scratch(),
                )
                .map_err(|e| anyhow!("{e}"))?
            }
        }
    };
    Ok(Measurement {
        mrenclave: [Some(ea), Some(eb)],
        records: [Some(pa.records), Some(pb.records)],
        divergence,
        method,
    })
}

// ---------------------------------------------------------------------------------------------
// Section 1: layout attributes.

/// One compared attribute: name, A's and B's values (JSON and text), derived from others?
struct AttrRow {
    name: &'static str,
    a: Json,
    b: Json,
    text_a: String,
    text_b: String,
    derived: bool,
}

/// The versions sharing this version's layout rules: `v1.0-v1.3`, `v1.4`, `v1.5+`.
fn profile_name(version: GramineVersion) -> String {
    let (first, last) = version.rules().layout_group();
    if last == GramineVersion::LATEST && first != last {
        format!("{first}+")
    } else if first == last {
        first.to_string()
    } else {
        format!("{first}-{last}")
    }
}

fn base_rule(l: &Layout) -> &'static str {
    match l.profile.base_rule {
        BaseRule::SizeUnlessNonPie if !l.params.nonpie_binary => {
            "enclave at [enclave_size, 2 x enclave_size), heap from its base (v1.0-v1.4 PIE rule)"
        }
        BaseRule::SizeUnlessNonPie => "fixed base, heap from MMAP_MIN_ADDR (sgx.nonpie_binary)",
        BaseRule::Fixed => "fixed base, heap from MMAP_MIN_ADDR",
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn size_text(n: u64) -> String {
    let units = [(40, "T"), (30, "G"), (20, "M"), (10, "K")];
    for (shift, u) in units {
        if n >= 1 << shift && n.is_multiple_of(1 << shift) {
            return format!("{n:#x} ({}{u})", n >> shift);
        }
    }
    format!("{n:#x}")
}

fn layout_rows(a: &Side, b: &Side, ma: &Measurable, mb: &Measurable) -> Vec<AttrRow> {
    let (la, lb) = (&ma.layout, &mb.layout);
    let mut rows = Vec::new();
    let mut push = |name, a: Json, b: Json, ta: String, tb: String, derived| {
        if a != b {
            rows.push(AttrRow {
                name,
                a,
                b,
                text_a: ta,
                text_b: tb,
                derived,
            });
        }
    };
    push(
        "gramine",
        json!(a.version.as_str()),
        json!(b.version.as_str()),
        a.version.to_string(),
        b.version.to_string(),
        false,
    );
    let (pa, pb) = (profile_name(a.version), profile_name(b.version));
    push(
        "layout_profile",
        json!(pa),
        json!(pb),
        format!("{pa} rules"),
        format!("{pb} rules"),
        false,
    );
    let (sa, sb) = (ma.params.enclave_size, mb.params.enclave_size);
    push(
        "enclave_size",
        json!(sa),
        json!(sb),
        size_text(sa),
        size_text(sb),
        false,
    );
    let (ta, tb) = (ma.params.threads, mb.params.threads);
    push(
        "max_threads",
        json!(ta),
        json!(tb),
        ta.to_string(),
        tb.to_string(),
        false,
    );
    let (ea, eb) = (ma.params.edmm, mb.params.edmm);
    push(
        "edmm",
        json!(ea),
        json!(eb),
        ea.to_string(),
        eb.to_string(),
        false,
    );
    let (ra, rb) = (base_rule(la), base_rule(lb));
    push(
        "base_rule",
        json!(ra),
        json!(rb),
        ra.into(),
        rb.into(),
        false,
    );
    let hex = |v: u64| format!("{v:#x}");
    push(
        "enclave_base",
        json!(hex(la.enclave_base)),
        json!(hex(lb.enclave_base)),
        hex(la.enclave_base),
        hex(lb.enclave_base),
        true,
    );
    push(
        "heap_min",
        json!(hex(la.heap_min)),
        json!(hex(lb.heap_min)),
        hex(la.heap_min),
        hex(lb.heap_min),
        true,
    );
    let pages = |l: &Layout| l.manifest.size / PAGE as u64;
    push(
        "manifest_size",
        json!(la.manifest_len),
        json!(lb.manifest_len),
        format!(
            "{} bytes with the NUL, {}",
            la.manifest_len,
            plural(pages(la), "page", "pages")
        ),
        format!(
            "{} bytes with the NUL, {}",
            lb.manifest_len,
            plural(pages(lb), "page", "pages")
        ),
        true,
    );
    let place = |l: &Layout| {
        if l.pal_map_start > 0 {
            format!("{:#x} (pinned at its link address)", l.pal.addr)
        } else {
            format!("{:#x} (below the signal stacks)", l.pal.addr)
        }
    };
    push(
        "pal_address",
        json!(hex(la.pal.addr)),
        json!(hex(lb.pal.addr)),
        place(la),
        place(lb),
        true,
    );
    let (ha, hb) = (la.heap_pages(), lb.heap_pages());
    push(
        "free_pages",
        json!(ha),
        json!(hb),
        ha.to_string(),
        hb.to_string(),
        true,
    );
    rows
}

// ---------------------------------------------------------------------------------------------
// Section 2: manifest keys.

#[derive(Clone, Debug)]
enum Seg {
    Key(String),
    Index(usize),
}

fn key_text(k: &str) -> String {
    if !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        k.to_string()
    } else {
        serde_json::to_string(k).unwrap_or_default()
    }
}

fn path_text(path: &[Seg]) -> String {
    let mut s = String::new();
    for p in path {
        match p {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(&key_text(k));
            }
            Seg::Index(i) => {
                let _ = write!(s, "[{i}]");
            }
        }
    }
    s
}

/// A value as inline TOML.
fn value_text(v: &Value) -> String {
    let mut s = String::new();
    write_value(v, &mut s);
    s
}

fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => out.push_str(&serde_json::to_string(s).unwrap_or_default()),
        Value::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) if f.is_nan() => out.push_str("nan"),
        Value::Float(f) if f.is_infinite() => out.push_str(if *f > 0.0 { "inf" } else { "-inf" }),
        Value::Float(f) => out.push_str(&toml::pyfmt::float_repr(*f)),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Datetime(d) => out.push_str(&toml::pyfmt::datetime_str(d)),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(x, out);
            }
            out.push(']');
        }
        Value::Table(t) => {
            out.push_str("{ ");
            for (i, (k, x)) in t.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&key_text(k));
                out.push_str(" = ");
                write_value(x, out);
            }
            out.push_str(" }");
        }
    }
}

fn value_json(v: &Value) -> Json {
    match v {
        Value::String(s) => json!(s),
        Value::Integer(i) => json!(i),
        Value::Float(f) if f.is_finite() => json!(f),
        Value::Float(_) | Value::Datetime(_) => json!(value_text(v)),
        Value::Boolean(b) => json!(b),
        Value::Array(a) => Json::Array(a.iter().map(value_json).collect()),
        Value::Table(t) => {
            Json::Object(t.iter().map(|(k, x)| (k.clone(), value_json(x))).collect())
        }
    }
}

fn same_value(a: &Value, b: &Value) -> bool {
    a == b || value_text(a) == value_text(b)
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max).collect();
    format!("{head}... ({} characters)", s.chars().count())
}

/// A trusted file as the report shows it.
#[derive(Clone, Debug)]
struct TrustedFile {
    uri: String,
    sha256: Option<Value>,
    whole: Value,
}

#[derive(Default)]
struct ManifestDiff {
    added: Vec<(String, Value)>,
    removed: Vec<(String, Value)>,
    changed: Vec<(String, Value, Value)>,
    key_order: Vec<String>,
    tf_added: Vec<TrustedFile>,
    tf_removed: Vec<TrustedFile>,
    /// URI, A's entry, B's entry.
    tf_changed: Vec<(TrustedFile, TrustedFile)>,
    /// The first URI whose position differs among the URIs both lists have.
    tf_reordered: Option<String>,
    tf_counts: Option<(usize, usize)>,
}

impl ManifestDiff {
    fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.key_order.is_empty()
            && self.tf_added.is_empty()
            && self.tf_removed.is_empty()
            && self.tf_changed.is_empty()
            && self.tf_reordered.is_none()
    }
}

fn diff_tables(a: &Table, b: &Table, path: &mut Vec<Seg>, out: &mut ManifestDiff) {
    for (k, va) in a.iter() {
        path.push(Seg::Key(k.clone()));
        match b.get(k) {
            None => out.removed.push((path_text(path), va.clone())),
            Some(vb) => diff_values(va, vb, path, out),
        }
        path.pop();
    }
    for (k, vb) in b.iter() {
        if !a.contains_key(k) {
            path.push(Seg::Key(k.clone()));
            out.added.push((path_text(path), vb.clone()));
            path.pop();
        }
    }
    let common_a: Vec<&String> = a
        .iter()
        .map(|(k, _)| k)
        .filter(|k| b.contains_key(k))
        .collect();
    let common_b: Vec<&String> = b
        .iter()
        .map(|(k, _)| k)
        .filter(|k| a.contains_key(k))
        .collect();
    if let Some((i, (ka, kb))) = common_a
        .iter()
        .zip(&common_b)
        .enumerate()
        .find(|(_, (x, y))| x != y)
    {
        let table = if path.is_empty() {
            "the top-level table".to_string()
        } else {
            path_text(path)
        };
        out.key_order.push(format!(
            "{table} (the keys both have, in order: number {} is {} in A, {} in B)",
            i + 1,
            key_text(ka),
            key_text(kb)
        ));
    }
}

fn is_trusted_files(path: &[Seg]) -> bool {
    matches!(path, [Seg::Key(a), Seg::Key(b)] if a == "sgx" && b == "trusted_files")
}

fn diff_values(va: &Value, vb: &Value, path: &mut Vec<Seg>, out: &mut ManifestDiff) {
    match (va, vb) {
        (Value::Array(xa), Value::Array(xb)) if is_trusted_files(path) => {
            diff_trusted_files(xa, xb, out)
        }
        (Value::Table(ta), Value::Table(tb)) => diff_tables(ta, tb, path, out),
        (Value::Array(xa), Value::Array(xb)) => {
            if same_value(va, vb) {
                return;
            }
            for i in 0..xa.len().max(xb.len()) {
                path.push(Seg::Index(i));
                match (xa.get(i), xb.get(i)) {
                    (Some(x), Some(y)) => diff_values(x, y, path, out),
                    (Some(x), None) => out.removed.push((path_text(path), x.clone())),
                    (None, Some(y)) => out.added.push((path_text(path), y.clone())),
                    (None, None) => {}
                }
                path.pop();
            }
        }
        _ if same_value(va, vb) => {}
        _ => out.changed.push((path_text(path), va.clone(), vb.clone())),
    }
}

fn trusted_file(i: usize, item: &Value) -> TrustedFile {
    let t = item.as_table();
    TrustedFile {
        uri: t
            .and_then(|t| t.get("uri"))
            .and_then(Value::as_str)
            .map(String::from)
            .unwrap_or_else(|| format!("[{i}] {}", value_text(item))),
        sha256: t.and_then(|t| t.get("sha256")).cloned(),
        whole: item.clone(),
    }
}

/// Trusted files compared by URI (the n-th occurrence of a URI with the n-th).
fn diff_trusted_files(xa: &[Value], xb: &[Value], out: &mut ManifestDiff) {
    use std::collections::HashMap;
    let keyed = |xs: &[Value]| -> Vec<((String, usize), TrustedFile)> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        xs.iter()
            .enumerate()
            .map(|(i, x)| {
                let tf = trusted_file(i, x);
                let n = seen.entry(tf.uri.clone()).or_insert(0);
                *n += 1;
                ((tf.uri.clone(), *n), tf)
            })
            .collect()
    };
    let (ka, kb) = (keyed(xa), keyed(xb));
    let index_b: HashMap<&(String, usize), &TrustedFile> = kb.iter().map(|(k, v)| (k, v)).collect();
    let index_a: HashMap<&(String, usize), &TrustedFile> = ka.iter().map(|(k, v)| (k, v)).collect();
    out.tf_counts = Some((xa.len(), xb.len()));
    for (k, ta) in &ka {
        match index_b.get(k) {
            None => out.tf_removed.push(ta.clone()),
            Some(tb) if !same_value(&ta.whole, &tb.whole) => {
                out.tf_changed.push((ta.clone(), (*tb).clone()))
            }
            Some(_) => {}
        }
    }
    for (k, tb) in &kb {
        if !index_a.contains_key(k) {
            out.tf_added.push(tb.clone());
        }
    }
    let order_a: Vec<&(String, usize)> = ka
        .iter()
        .map(|(k, _)| k)
        .filter(|k| index_b.contains_key(k))
        .collect();
    let order_b: Vec<&(String, usize)> = kb
        .iter()
        .map(|(k, _)| k)
        .filter(|k| index_a.contains_key(k))
        .collect();
    out.tf_reordered = order_a
        .iter()
        .zip(&order_b)
        .find(|(x, y)| x != y)
        .map(|(x, _)| x.0.clone());
}

// ---------------------------------------------------------------------------------------------
// Section 3: PAL segments.

fn pflags(f: u32) -> String {
    format!(
        "{}{}{}",
        if f & 4 != 0 { 'R' } else { '-' },
        if f & 2 != 0 { 'W' } else { '-' },
        if f & 1 != 0 { 'E' } else { '-' }
    )
}

fn secinfo_text(f: u64) -> String {
    let ty = if f & secinfo::TCS != 0 {
        "TCS"
    } else if f & secinfo::REG != 0 {
        "REG"
    } else {
        "?"
    };
    format!(
        "{f:#x} ({ty}:{}{}{})",
        if f & secinfo::R != 0 { 'R' } else { '-' },
        if f & secinfo::W != 0 { 'W' } else { '-' },
        if f & secinfo::X != 0 { 'X' } else { '-' }
    )
}

/// Pages a segment measures, and the address of its first.
fn segment_pages(seg: &LoadSegment<'_>, l: &Layout) -> (u64, u64) {
    let page = PAGE as u64;
    let start = l.pal_load_bias().wrapping_add(seg.vaddr);
    let m_addr = start - start % page;
    let m_end = start
        .saturating_add(seg.memsz)
        .div_ceil(page)
        .saturating_mul(page);
    (m_addr, m_end.saturating_sub(m_addr) / page)
}

struct SegmentDiff {
    index: usize,
    fields: Vec<(&'static str, String, String)>,
    /// Pages (index within the segment) whose measured contents differ.
    pages: Vec<u64>,
    /// First differing page: byte offset of the first difference, file offsets on each side.
    first: Option<(u64, usize, u64, u64)>,
    pages_a: u64,
    pages_b: u64,
}

struct PalDiff {
    entry: Option<(u64, u64)>,
    segments: Vec<SegmentDiff>,
    only_a: Vec<usize>,
    only_b: Vec<usize>,
}

fn file_pos(seg: &LoadSegment<'_>, page: u64, byte: usize) -> u64 {
    let p = PAGE as u64;
    (seg.offset - seg.offset % p)
        .wrapping_add(page.wrapping_mul(p))
        .wrapping_add(byte as u64)
}

fn diff_pal(ma: &Measurable, mb: &Measurable) -> PalDiff {
    let (sa, sb): (Vec<_>, Vec<_>) = (ma.pal.segments().collect(), mb.pal.segments().collect());
    let mut segments = Vec::new();
    let (mut pa, mut pb) = ([0u8; PAGE], [0u8; PAGE]);
    for (i, (a, b)) in sa.iter().zip(&sb).enumerate() {
        let mut fields = Vec::new();
        let hex = |v: u64| format!("{v:#x}");
        for (name, x, y) in [
            ("p_offset", a.offset, b.offset),
            ("p_vaddr", a.vaddr, b.vaddr),
            ("p_filesz", a.filesz, b.filesz),
            ("p_memsz", a.memsz, b.memsz),
        ] {
            if x != y {
                fields.push((name, hex(x), hex(y)));
            }
        }
        if a.flags != b.flags {
            fields.push(("p_flags", pflags(a.flags), pflags(b.flags)));
        }
        let (addr_a, na) = segment_pages(a, &ma.layout);
        let (addr_b, nb) = segment_pages(b, &mb.layout);
        if addr_a != addr_b {
            fields.push(("measured at", hex(addr_a), hex(addr_b)));
        }
        let mut pages = Vec::new();
        let mut first = None;
        for p in 0..na.max(nb) {
            let in_a = p < na;
            let in_b = p < nb;
            if in_a {
                segment_page(a, p, &mut pa);
            }
            if in_b {
                segment_page(b, p, &mut pb);
            }
            if in_a && in_b && pa == pb {
                continue;
            }
            if first.is_none() {
                let byte = if in_a && in_b {
                    pa.iter().zip(&pb).position(|(x, y)| x != y).unwrap_or(0)
                } else {
                    0
                };
                first = Some((p, byte, file_pos(a, p, byte), file_pos(b, p, byte)));
            }
            pages.push(p);
        }
        if !fields.is_empty() || !pages.is_empty() {
            segments.push(SegmentDiff {
                index: i,
                fields,
                pages,
                first,
                pages_a: na,
                pages_b: nb,
            });
        }
    }
    PalDiff {
        entry: (ma.pal.entry != mb.pal.entry).then_some((ma.pal.entry, mb.pal.entry)),
        segments,
        only_a: (sb.len()..sa.len()).collect(),
        only_b: (sa.len()..sb.len()).collect(),
    }
}

fn ranges(pages: &[u64]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(&start) = pages.get(i) {
        let mut end = start;
        while pages.get(i + 1) == Some(&(end + 1)) {
            end += 1;
            i += 1;
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    out.join(", ")
}

// ---------------------------------------------------------------------------------------------
// Section 4: the first diverging record.

fn area_text(a: &AreaSpan, loc: &Location, l: &Layout) -> String {
    let page = loc.page_in_area().unwrap_or(0);
    let p = l.profile;
    match a.kind {
        AreaKind::Manifest => "manifest".into(),
        AreaKind::Ssa => {
            let frame_pages = (p.ssa_frame_size / p.page_size).max(1);
            let per_thread = frame_pages * p.ssa_frame_num;
            format!(
                "ssa (thread {}, frame {})",
                page / per_thread.max(1),
                (page % per_thread.max(1)) / frame_pages
            )
        }
        AreaKind::Tcs => format!("tcs (thread {page})"),
        AreaKind::Tls => format!("tls (thread {page})"),
        AreaKind::Stack => format!("stack {}", a.index),
        AreaKind::SigStack => format!("sig_stack {}", a.index),
        AreaKind::Code | AreaKind::Data => format!(
            "PAL {} segment {} ({})",
            a.kind.name(),
            a.index,
            secinfo_text(a.flags)
        ),
        AreaKind::Free if a.index == 0 => "free (the gap below the pinned PAL)".into(),
        AreaKind::Free => "free (heap)".into(),
    }
}

fn location_text(r: &Record, l: &Layout) -> String {
    match r.location.region {
        Region::Ecreate => "ECREATE".into(),
        Region::End => "past the end".into(),
        Region::Area(a) => {
            let mut s = area_text(&a, &r.location, l);
            if let Some(addr) = r.location.page_addr() {
                let _ = write!(
                    s,
                    ", page {addr:#x} (page {} of the area)",
                    r.location.page_in_area().unwrap_or(0)
                );
            }
            if let Some(c) = r.location.chunk() {
                let _ = write!(s, ", chunk {c}");
            }
            s
        }
    }
}

fn record_text(r: &Record) -> String {
    match r.data {
        RecordData::Ecreate {
            ssa_frame_pages,
            enclave_size,
        } => format!(
            "ECREATE (SSA frame {ssa_frame_pages} pages, enclave size {})",
            size_text(enclave_size)
        ),
        RecordData::Eadd { offset, flags } => {
            format!("EADD offset {offset:#x} flags {}", secinfo_text(flags))
        }
        RecordData::Eextend { offset, .. } => format!("EEXTEND chunk at offset {offset:#x}"),
    }
}

fn record_json(r: &Record, l: &Layout) -> Json {
    let (op, offset, flags, extra) = match r.data {
        RecordData::Ecreate {
            ssa_frame_pages,
            enclave_size,
        } => (
            "ECREATE",
            None,
            None,
            json!({"ssa_frame_pages": ssa_frame_pages, "enclave_size": enclave_size}),
        ),
        RecordData::Eadd { offset, flags } => ("EADD", Some(offset), Some(flags), Json::Null),
        RecordData::Eextend { offset, chunk } => (
            "EEXTEND",
            Some(offset),
            None,
            json!({"chunk_sha256": hex::encode(Sha256::digest(chunk))}),
        ),
    };
    let area = match r.location.region {
        Region::Area(a) => json!({
            "kind": a.kind.name(),
            "index": a.index,
            "name": area_text(&a, &r.location, l),
            "start": format!("{:#x}", a.addr),
            "size": format!("{:#x}", a.size),
            "flags": format!("{:#x}", a.flags),
            "measured": a.measured,
        }),
        Region::Ecreate => json!({"kind": "ecreate"}),
        Region::End => Json::Null,
    };
    json!({
        "index": r.index,
        "op": op,
        "offset": offset.map(|o| format!("{o:#x}")),
        "flags": flags.map(|f| format!("{f:#x}")),
        "ecreate": extra.get("enclave_size").map(|_| extra.clone()),
        "chunk_sha256": extra.get("chunk_sha256").cloned(),
        "area": area,
        "page": r.location.page_addr().map(|p| format!("{p:#x}")),
        "page_in_area": r.location.page_in_area(),
        "chunk": r.location.chunk(),
    })
}

/// Line and column (1-based) of a byte offset of the manifest, and the line's text.
fn manifest_position(bytes: &[u8], at: usize) -> (usize, usize, String) {
    let at = at.min(bytes.len());
    let before = bytes.get(..at).unwrap_or_default();
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = bytes
        .get(at..)
        .and_then(|r| r.iter().position(|&b| b == b'\n'))
        .map_or(bytes.len(), |i| at + i);
    let col = String::from_utf8_lossy(bytes.get(start..at).unwrap_or_default())
        .chars()
        .count()
        + 1;
    let text = String::from_utf8_lossy(bytes.get(start..end).unwrap_or_default()).into_owned();
    (line, col, text)
}

/// Which parts of two records differ (`operation`, `enclave_size`, `ssa_frame_pages`, `offset`,
/// `flags`, `contents`) and, for contents, the first differing byte of the page.
fn differing_parts(ra: &Record, rb: &Record) -> (Vec<&'static str>, Option<usize>) {
    let mut parts = vec![];
    let mut byte = None;
    match (ra.data, rb.data) {
        (
            RecordData::Ecreate {
                ssa_frame_pages: pa,
                enclave_size: sa,
            },
            RecordData::Ecreate {
                ssa_frame_pages: pb,
                enclave_size: sb,
            },
        ) => {
            if sa != sb {
                parts.push("enclave_size");
            }
            if pa != pb {
                parts.push("ssa_frame_pages");
            }
        }
        (
            RecordData::Eadd {
                offset: oa,
                flags: fa,
            },
            RecordData::Eadd {
                offset: ob,
                flags: fb,
            },
        ) => {
            if oa != ob {
                parts.push("offset");
            }
            if fa != fb {
                parts.push("flags");
            }
        }
        (
            RecordData::Eextend {
                offset: oa,
                chunk: ca,
            },
            RecordData::Eextend {
                offset: ob,
                chunk: cb,
            },
        ) => {
            if oa != ob {
                parts.push("offset");
            }
            if let Some(i) = ca.iter().zip(&cb).position(|(x, y)| x != y) {
                parts.push("contents");
                byte = Some(ra.location.chunk().unwrap_or(0) as usize * 256 + i);
            }
        }
        _ => parts.push("operation"),
    }
    (parts, byte)
}

/// What differs between the two records at the divergence (both present).
fn what_differs(ra: &Record, rb: &Record, ma: &Measurable, mb: &Measurable) -> Vec<String> {
    let mut out = Vec::new();
    match (ra.data, rb.data) {
        (
            RecordData::Ecreate {
                ssa_frame_pages: pa,
                enclave_size: sa,
            },
            RecordData::Ecreate {
                ssa_frame_pages: pb,
                enclave_size: sb,
            },
        ) => {
            if sa != sb {
                out.push(format!(
                    "ECREATE enclave size: {} vs {}",
                    size_text(sa),
                    size_text(sb)
                ));
            }
            if pa != pb {
                out.push(format!("ECREATE SSA frame size: {pa} vs {pb} pages"));
            }
        }
        (
            RecordData::Eadd {
                offset: oa,
                flags: fa,
            },
            RecordData::Eadd {
                offset: ob,
                flags: fb,
            },
        ) => {
            if oa != ob {
                out.push(format!("EADD page offset: {oa:#x} vs {ob:#x}"));
            }
            if fa != fb {
                out.push(format!(
                    "EADD SECINFO flags: {} vs {}",
                    secinfo_text(fa),
                    secinfo_text(fb)
                ));
            }
        }
        (
            RecordData::Eextend {
                offset: oa,
                chunk: ca,
            },
            RecordData::Eextend {
                offset: ob,
                chunk: cb,
            },
        ) => {
            if oa != ob {
                out.push(format!("EEXTEND chunk offset: {oa:#x} vs {ob:#x}"));
            }
            if ca != cb {
                let first = ca.iter().zip(&cb).position(|(x, y)| x != y).unwrap_or(0);
                let count = ca.iter().zip(&cb).filter(|(x, y)| x != y).count();
                let chunk = ra.location.chunk().unwrap_or(0) as usize;
                let page_byte = chunk * 256 + first;
                out.push(format!(
                    "EEXTEND contents of the chunk at offset {oa:#x} (chunk {chunk}, page bytes {:#x}-{:#x}): {count} of 256 bytes differ, the first at page byte {page_byte:#x} ({:#04x} vs {:#04x})",
                    chunk * 256,
                    chunk * 256 + 255,
                    ca.get(first).copied().unwrap_or(0),
                    cb.get(first).copied().unwrap_or(0)
                ));
                if let Some(s) = context(ra, rb, &ca, &cb, page_byte, first, ma, mb) {
                    out.push(s);
                }
            }
        }
        (da, db) => out.push(format!(
            "different operations: A measures {}, B measures {}",
            da.name(),
            db.name()
        )),
    }
    out
}

/// Where a differing byte comes from: a manifest line, a TCS/TLS field, a PAL file offset.
#[allow(clippy::too_many_arguments)]
fn context(
    ra: &Record,
    rb: &Record,
    ca: &[u8; 256],
    cb: &[u8; 256],
    page_byte: usize,
    chunk_byte: usize,
    ma: &Measurable,
    mb: &Measurable,
) -> Option<String> {
    let (Region::Area(aa), Region::Area(ab)) = (ra.location.region, rb.location.region) else {
        return None;
    };
    let page = ra.location.page_in_area()?;
    match aa.kind {
        AreaKind::Manifest if ab.kind == AreaKind::Manifest => {
            let at = page as usize * PAGE + page_byte;
            let side = |m: &Measurable| {
                if at >= m.bytes.len() {
                    format!("past its {} bytes (NUL and zero padding)", m.bytes.len())
                } else {
                    let (line, col, text) = manifest_position(&m.bytes, at);
                    format!("line {line}, column {col}: {}", clip(&text, 100))
                }
            };
            Some(format!(
                "manifest byte {at}: A {}; B {}",
                side(ma),
                side(mb)
            ))
        }
        AreaKind::Tcs | AreaKind::Tls if ab.kind == aa.kind => {
            let profile = ma.layout.profile;
            let name = core_diff::page_field(aa.kind, profile, page_byte)?;
            let is_field = |b: usize| core_diff::page_field(aa.kind, profile, b) == Some(name);
            let start = (page_byte.saturating_sub(7)..=page_byte).find(|&b| is_field(b))?;
            let len = (start..start + 8).take_while(|&b| is_field(b)).count();
            let at = chunk_byte.checked_sub(page_byte - start)?;
            let read = |c: &[u8; 256]| {
                c.get(at..at + len).map(|bytes| {
                    bytes
                        .iter()
                        .rev()
                        .fold(0u64, |v, &x| (v << 8) | u64::from(x))
                })
            };
            Some(format!(
                "{} field {name} (page byte {start:#x}) of thread {page}: {:#x} vs {:#x}",
                aa.kind.name(),
                read(ca)?,
                read(cb)?
            ))
        }
        AreaKind::Code | AreaKind::Data => {
            let seg_a = ma.pal.segments.get(aa.index as usize)?.load();
            let pos_a = file_pos(&seg_a, page, page_byte);
            let pos_b = mb.pal.segments.get(ab.index as usize).map(|s| {
                file_pos(
                    &s.load(),
                    rb.location.page_in_area().unwrap_or(0),
                    page_byte,
                )
            });
            Some(format!(
                "PAL segment {} page {page}: libpal file offset {pos_a:#x} in A{}",
                aa.index,
                match pos_b {
                    Some(p) if p != pos_a => format!(", {p:#x} in B"),
                    Some(_) => " and B".into(),
                    None => String::new(),
                }
            ))
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// SIGSTRUCT fields.

struct SigRow {
    field: &'static str,
    a: Option<String>,
    b: Option<String>,
}

fn sig_fields(sig: &Sigstruct, version: GramineVersion) -> Vec<(&'static str, String)> {
    let date = sig
        .date(DateEncoding::for_version(version))
        .map(|d| d.to_string())
        .unwrap_or_else(|_| format!("(undecodable: {})", hex::encode(sig.date)));
    vec![
        ("mr_signer", hex::encode(sig.mrsigner())),
        ("mr_enclave", hex::encode(sig.enclave_hash)),
        ("isv_prod_id", sig.isv_prod_id.to_string()),
        ("isv_svn", sig.isv_svn.to_string()),
        ("attribute_flags", format!("{:#x}", sig.attribute_flags)),
        ("attribute_xfrms", format!("{:#x}", sig.attribute_xfrm)),
        ("misc_select", format!("{:#x}", sig.misc_select)),
        (
            "attribute_flags_mask",
            format!("{:#x}", sig.attribute_flags_mask),
        ),
        (
            "attribute_xfrm_mask",
            format!("{:#x}", sig.attribute_xfrm_mask),
        ),
        ("misc_mask", format!("{:#x}", sig.misc_mask)),
        ("date", date),
        (
            "debug_enclave",
            if sig.is_debug() { "True" } else { "False" }.into(),
        ),
        ("signature", hex::encode(Sha256::digest(sig.signature))),
    ]
}

/// Fields a manifest determines (the others are `None`).
fn derivable(field: &str) -> bool {
    !matches!(field, "mr_signer" | "date" | "signature")
}

/// The SIGSTRUCT view of a side: its own fields, or what Gramine would put there for a
/// measurable side (`None` for fields a manifest does not determine), with a note on failure.
fn sig_view(
    side: &Side,
    mrenclave: Option<[u8; 32]>,
) -> (Vec<(&'static str, Option<String>)>, Option<String>) {
    if let Some(sig) = &side.sig {
        return (
            sig_fields(sig, side.version)
                .into_iter()
                .map(|(k, v)| (k, Some(v)))
                .collect(),
            None,
        );
    }
    let (Some(m), Some(mr)) = (&side.measurable, mrenclave) else {
        return (vec![], None);
    };
    let date = SigDate::new(2000, 1, 1).unwrap_or(SigDate {
        year: 2000,
        month: 1,
        day: 1,
    });
    match make_sigstruct(&m.table, mr, side.version, date) {
        Ok(sig) => (
            sig_fields(&sig, side.version)
                .into_iter()
                .map(|(k, v)| (k, derivable(k).then_some(v)))
                .collect(),
            None,
        ),
        Err(e) => (
            vec![("mr_enclave", Some(hex::encode(mr)))],
            Some(format!(
                "{}: Gramine would refuse to sign it ({e:#}); only mr_enclave is compared",
                side.label
            )),
        ),
    }
}

fn sig_rows(a: &Side, b: &Side, meas: &Measurement, notes: &mut Vec<String>) -> Vec<SigRow> {
    let (va, na) = sig_view(a, meas.mrenclave[0]);
    let (vb, nb) = sig_view(b, meas.mrenclave[1]);
    notes.extend(na);
    notes.extend(nb);
    let mut rows = Vec::new();
    for (field, x) in &va {
        let y = vb
            .iter()
            .find(|(f, _)| f == field)
            .and_then(|(_, v)| v.clone());
        rows.push(SigRow {
            field,
            a: x.clone(),
            b: y,
        });
    }
    rows
}

// ---------------------------------------------------------------------------------------------
// The report.

fn side_json(s: &Side, mrenclave: Option<[u8; 32]>, records: Option<u64>) -> Json {
    let m = s.measurable.as_ref();
    json!({
        "path": s.path.display().to_string(),
        "kind": s.kind.name(),
        "reading": s.reading,
        "gramine": s.version.as_str(),
        "libpal": m.map(|m| m.pal_source.clone()),
        "entries": s.entries.as_ref().map(|(n, p)| json!({"path": p.display().to_string(), "count": n})),
        "manifest_sha256": m.map(|m| hex::encode(Sha256::digest(&m.bytes))),
        "manifest_bytes": m.map(|m| m.bytes.len()),
        "records": records,
        "mrenclave": mrenclave.map(hex::encode),
        "enclavehash": s.sig.as_ref().map(|g| hex::encode(g.enclave_hash)),
    })
}

/// Runs the command: `Ok(true)` when A and B have the same MRENCLAVE, `Ok(false)` when they
/// differ, `Err` for unusable input.
pub fn run(args: &DiffArgs) -> std::result::Result<bool, Unusable> {
    let (report, same) = build(args).map_err(Unusable)?;
    let mut out = std::io::stdout().lock();
    out.write_all(report.as_bytes())
        .map_err(|e| Unusable(anyhow!("cannot write the report: {e}")))?;
    Ok(same)
}

fn side_opts<'a>(args: &'a DiffArgs, b: bool) -> SideOpts<'a> {
    let (label, flag, libpal, gramine, entries) = if b {
        ("B", "b", &args.b_libpal, args.b_gramine, &args.b_entries)
    } else {
        ("A", "a", &args.a_libpal, args.a_gramine, &args.a_entries)
    };
    SideOpts {
        label,
        flag,
        libpal: libpal.as_deref().or(args.libpal.as_deref()),
        libpal_own: libpal.is_some(),
        gramine: gramine.or(args.gramine),
        gramine_own: gramine.is_some(),
        entries: entries.as_deref().or(args.entries.as_deref()),
        entries_own: entries.is_some(),
    }
}

/// Builds the report (text or JSON) and whether A and B measure the same.
pub fn build(args: &DiffArgs) -> Result<(String, bool)> {
    let a = load_side(args, &side_opts(args, false), &args.a)?;
    let b = load_side(args, &side_opts(args, true), &args.b)?;
    if args.entries.is_some() && a.kind != InputKind::Bundle && b.kind != InputKind::Bundle {
        bail!("--entries: neither A nor B is a bundle; entries are appended to bundles only");
    }
    if args.libpal.is_some()
        && !matches!(a.kind, InputKind::SourceManifest | InputKind::FinalManifest)
        && !matches!(b.kind, InputKind::SourceManifest | InputKind::FinalManifest)
    {
        bail!("--libpal: neither A nor B is a manifest (bundles carry their PAL, a .sig has none)");
    }
    let meas = measure_sides(&a, &b)?;
    let value = |i: usize, s: &Side| meas.mrenclave[i].or(s.claimed());
    let (va, vb) = (value(0, &a), value(1, &b));
    let same = va.is_some() && va == vb;

    let mut notes: Vec<String> = a.notes.iter().chain(&b.notes).cloned().collect();
    let both = match (&a.measurable, &b.measurable) {
        (Some(ma), Some(mb)) => Some((ma, mb)),
        _ => None,
    };
    let layout = both.map(|(ma, mb)| layout_rows(&a, &b, ma, mb));
    let mdiff = both.map(|(ma, mb)| {
        let mut d = ManifestDiff::default();
        diff_tables(&ma.table, &mb.table, &mut Vec::new(), &mut d);
        d
    });
    if let (Some((ma, mb)), Some(d)) = (both, &mdiff)
        && d.is_empty()
        && ma.bytes != mb.bytes
    {
        notes.push(
            "the manifests hold the same keys and values but their bytes differ (formatting, comments or TOML writer)".into(),
        );
    }
    let pal = both.map(|(ma, mb)| diff_pal(ma, mb));
    let sig_involved = a.sig.is_some() || b.sig.is_some();
    let sig = sig_involved.then(|| sig_rows(&a, &b, &meas, &mut notes));

    let text = if args.json {
        let mut s = serde_json::to_string_pretty(&report_json(
            &a, &b, &meas, same, &layout, &mdiff, &pal, &sig, &notes,
        ))?;
        s.push('\n');
        s
    } else {
        report_text(&a, &b, &meas, same, &layout, &mdiff, &pal, &sig, &notes)
    };
    Ok((text, same))
}

#[allow(clippy::too_many_arguments)]
fn report_json(
    a: &Side,
    b: &Side,
    meas: &Measurement,
    same: bool,
    layout: &Option<Vec<AttrRow>>,
    mdiff: &Option<ManifestDiff>,
    pal: &Option<PalDiff>,
    sig: &Option<Vec<SigRow>>,
    notes: &[String],
) -> Json {
    let layout = layout.as_ref().map(|rows| {
        rows.iter()
            .map(|r| json!({"attribute": r.name, "a": r.a, "b": r.b, "derived": r.derived}))
            .collect::<Vec<_>>()
    });
    let manifest = mdiff.as_ref().map(|d| {
        let tf = |t: &TrustedFile| json!({"uri": t.uri, "sha256": t.sha256.as_ref().map(value_json)});
        json!({
            "added": d.added.iter().map(|(p, v)| json!({"path": p, "value": value_json(v)})).collect::<Vec<_>>(),
            "removed": d.removed.iter().map(|(p, v)| json!({"path": p, "value": value_json(v)})).collect::<Vec<_>>(),
            "changed": d.changed.iter().map(|(p, x, y)| json!({"path": p, "a": value_json(x), "b": value_json(y)})).collect::<Vec<_>>(),
            "key_order_differs": d.key_order,
            "trusted_files": {
                "count": d.tf_counts.map(|(x, y)| json!({"a": x, "b": y})),
                "added": d.tf_added.iter().map(tf).collect::<Vec<_>>(),
                "removed": d.tf_removed.iter().map(tf).collect::<Vec<_>>(),
                "changed": d.tf_changed.iter().map(|(x, y)| json!({
                    "uri": x.uri,
                    "a": x.sha256.as_ref().map(value_json),
                    "b": y.sha256.as_ref().map(value_json),
                    "a_entry": value_json(&x.whole),
                    "b_entry": value_json(&y.whole),
                })).collect::<Vec<_>>(),
                "reordered_at": d.tf_reordered,
            },
        })
    });
    let pal = pal.as_ref().map(|p| {
        json!({
            "entry": p.entry.map(|(x, y)| json!({"a": format!("{x:#x}"), "b": format!("{y:#x}")})),
            "segments": p.segments.iter().map(|s| json!({
                "index": s.index,
                "fields": s.fields.iter().map(|(f, x, y)| json!({"field": f, "a": x, "b": y})).collect::<Vec<_>>(),
                "pages": {"a": s.pages_a, "b": s.pages_b},
                "differing_pages": s.pages,
                "first_differing_page": s.first.map(|(page, byte, fa, fb)| json!({
                    "page": page, "byte": byte,
                    "file_offset_a": format!("{fa:#x}"), "file_offset_b": format!("{fb:#x}"),
                })),
            })).collect::<Vec<_>>(),
            "only_in_a": p.only_a,
            "only_in_b": p.only_b,
        })
    });
    let divergence = match (&meas.divergence, &a.measurable, &b.measurable) {
        (Some(d), Some(ma), Some(mb)) => {
            let what = match (&d.a, &d.b) {
                (Some(ra), Some(rb)) => what_differs(ra, rb, ma, mb),
                (None, _) => vec![format!("A ends after {} records", d.index)],
                (_, None) => vec![format!("B ends after {} records", d.index)],
            };
            let (differs, page_byte) = match (&d.a, &d.b) {
                (Some(ra), Some(rb)) => differing_parts(ra, rb),
                _ => (vec!["length"], None),
            };
            json!({
                "index": d.index,
                "a": d.a.as_ref().map(|r| record_json(r, &ma.layout)),
                "b": d.b.as_ref().map(|r| record_json(r, &mb.layout)),
                "differs": differs,
                "first_differing_page_byte": page_byte,
                "what": what,
            })
        }
        _ => Json::Null,
    };
    json!({
        "schema": "sgx-measure-diff/1",
        "same": same,
        "a": side_json(a, meas.mrenclave[0], meas.records[0]),
        "b": side_json(b, meas.mrenclave[1], meas.records[1]),
        "method": meas.method,
        "layout": layout,
        "manifest": manifest,
        "pal": pal,
        "divergence": divergence,
        "sigstruct": sig.as_ref().map(|rows| rows.iter().map(|r| json!({
            "field": r.field,
            "a": r.a,
            "b": r.b,
            "compared": r.a.is_some() && r.b.is_some(),
            "equal": r.a.is_some() && r.a == r.b,
        })).collect::<Vec<_>>()),
        "notes": notes,
    })
}

fn list_limited<T>(s: &mut String, items: &[T], mut line: impl FnMut(&T) -> String) {
    for it in items.iter().take(LIST_LIMIT) {
        s.push_str(&line(it));
        s.push('\n');
    }
    if items.len() > LIST_LIMIT {
        let _ = writeln!(s, "     ... and {} more", items.len() - LIST_LIMIT);
    }
}

#[allow(clippy::too_many_arguments)]
fn report_text(
    a: &Side,
    b: &Side,
    meas: &Measurement,
    same: bool,
    layout: &Option<Vec<AttrRow>>,
    mdiff: &Option<ManifestDiff>,
    pal: &Option<PalDiff>,
    sig: &Option<Vec<SigRow>>,
    notes: &[String],
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "sgx-measure diff: {}",
        if same {
            "SAME MRENCLAVE"
        } else {
            "MRENCLAVE DIFFERS"
        }
    );
    for (i, side) in [a, b].into_iter().enumerate() {
        let _ = writeln!(
            s,
            "{}: {} ({})",
            side.label,
            side.path.display(),
            side.reading
        );
        let _ = write!(s, "   Gramine {}", side.version);
        if let Some(m) = &side.measurable {
            let _ = write!(
                s,
                "; PAL {}; manifest {} bytes, sha256 {}",
                m.pal_source,
                m.bytes.len(),
                hex::encode(Sha256::digest(&m.bytes))
            );
        }
        s.push('\n');
        if let Some(m) = meas.mrenclave[i] {
            let _ = write!(s, "   mrenclave   {}", hex::encode(m));
            if let Some(n) = meas.records[i] {
                let _ = write!(s, " ({n} records)");
            }
            s.push('\n');
        }
        if let Some(g) = &side.sig {
            let _ = writeln!(s, "   ENCLAVEHASH {}", hex::encode(g.enclave_hash));
        }
    }

    if let Some(rows) = sig {
        s.push_str("\nSIGSTRUCT fields (gramine-sgx-sigstruct-view names):\n");
        let mut any = false;
        for r in rows {
            match (&r.a, &r.b) {
                (Some(x), Some(y)) if x != y => {
                    any = true;
                    let name = if r.field == "mr_enclave" {
                        "mr_enclave (ENCLAVEHASH)"
                    } else {
                        r.field
                    };
                    let _ = writeln!(s, "   {name}: {x} -> {y}");
                }
                _ => {}
            }
        }
        if !any {
            s.push_str("   every compared field is equal\n");
        }
        let not: Vec<&str> = rows
            .iter()
            .filter(|r| r.a.is_none() || r.b.is_none())
            .map(|r| r.field)
            .collect();
        if !not.is_empty() {
            let _ = writeln!(
                s,
                "   not compared (a manifest does not determine them): {}",
                not.join(", ")
            );
        }
        for (side, other, m) in [(a, b, meas.mrenclave[1]), (b, a, meas.mrenclave[0])] {
            if let (Some(g), Some(m)) = (&side.sig, m) {
                let _ = writeln!(
                    s,
                    "   {}'s MRENCLAVE {} {}'s ENCLAVEHASH",
                    other.label,
                    if m == g.enclave_hash {
                        "equals"
                    } else {
                        "does NOT equal"
                    },
                    side.label
                );
            }
        }
    }

    let na = |why: &str| format!("   not applicable ({why})\n");
    let sig_why = "a .sig holds ENCLAVEHASH, not a layout, a manifest or a PAL";

    s.push_str("\n1. Layout attributes\n");
    match layout {
        None => s.push_str(&na(sig_why)),
        Some(rows) if rows.is_empty() => s.push_str("   none differ\n"),
        Some(rows) => {
            for r in rows {
                let _ = writeln!(
                    s,
                    "   {}{}: {} -> {}",
                    r.name,
                    if r.derived { " (derived)" } else { "" },
                    r.text_a,
                    r.text_b
                );
            }
        }
    }

    s.push_str("\n2. Manifest\n");
    match mdiff {
        None => s.push_str(&na(sig_why)),
        Some(d) if d.is_empty() => s.push_str("   no key differs\n"),
        Some(d) => {
            let v = |x: &Value| clip(&value_text(x), 160);
            list_limited(&mut s, &d.changed, |(p, x, y)| {
                format!("   changed  {p}: {} -> {}", v(x), v(y))
            });
            list_limited(&mut s, &d.added, |(p, x)| {
                format!("   added    {p} = {} (only in B)", v(x))
            });
            list_limited(&mut s, &d.removed, |(p, x)| {
                format!("   removed  {p} = {} (only in A)", v(x))
            });
            for p in &d.key_order {
                let _ = writeln!(s, "   key order differs in {p}");
            }
            let sha = |t: &TrustedFile| {
                t.sha256
                    .as_ref()
                    .map(v)
                    .unwrap_or_else(|| "(no sha256)".into())
            };
            let uri = |t: &TrustedFile| serde_json::to_string(&t.uri).unwrap_or_default();
            list_limited(&mut s, &d.tf_changed, |(x, y)| {
                if x.sha256 != y.sha256 {
                    format!(
                        "   trusted file changed  {}: sha256 {} -> {}",
                        uri(x),
                        sha(x),
                        sha(y)
                    )
                } else {
                    format!(
                        "   trusted file changed  {}: {} -> {}",
                        uri(x),
                        v(&x.whole),
                        v(&y.whole)
                    )
                }
            });
            list_limited(&mut s, &d.tf_added, |t| {
                format!(
                    "   trusted file added    {} (sha256 {}, only in B)",
                    uri(t),
                    sha(t)
                )
            });
            list_limited(&mut s, &d.tf_removed, |t| {
                format!(
                    "   trusted file removed  {} (sha256 {}, only in A)",
                    uri(t),
                    sha(t)
                )
            });
            if let Some(u) = &d.tf_reordered {
                let _ = writeln!(
                    s,
                    "   trusted files are in a different order (first out of place: {})",
                    serde_json::to_string(u).unwrap_or_default()
                );
            }
            if let Some((x, y)) = d.tf_counts
                && x != y
            {
                let _ = writeln!(s, "   sgx.trusted_files: {x} entries -> {y}");
            }
        }
    }

    s.push_str("\n3. PAL\n");
    match pal {
        None => s.push_str(&na(sig_why)),
        Some(p)
            if p.entry.is_none()
                && p.segments.is_empty()
                && p.only_a.is_empty()
                && p.only_b.is_empty() =>
        {
            s.push_str("   no segment differs\n")
        }
        Some(p) => {
            if let Some((x, y)) = p.entry {
                let _ = writeln!(s, "   e_entry: {x:#x} -> {y:#x}");
            }
            let moved = layout
                .as_ref()
                .is_some_and(|rows| rows.iter().any(|r| r.name == "pal_address"));
            if moved {
                s.push_str("   the PAL is measured at another address (pal_address above): every segment moved with it\n");
            }
            for seg in &p.segments {
                let fields: Vec<String> = seg
                    .fields
                    .iter()
                    .filter(|(f, _, _)| !(moved && *f == "measured at"))
                    .map(|(f, x, y)| format!("{f} {x} -> {y}"))
                    .collect();
                if fields.is_empty() && seg.pages.is_empty() {
                    continue;
                }
                let _ = write!(s, "   segment {}:", seg.index);
                if !fields.is_empty() {
                    let _ = write!(s, " {};", fields.join(", "));
                }
                if seg.pages_a != seg.pages_b {
                    let _ = write!(s, " {} pages in A, {} in B;", seg.pages_a, seg.pages_b);
                }
                if seg.pages.is_empty() {
                    s.push_str(" page contents equal\n");
                    continue;
                }
                let _ = write!(
                    s,
                    " contents differ in {} of {} ({})",
                    seg.pages.len(),
                    plural(seg.pages_a.max(seg.pages_b), "page", "pages"),
                    clip(&ranges(&seg.pages), 120)
                );
                if let Some((page, byte, fa, fb)) = seg.first {
                    if page >= seg.pages_a.min(seg.pages_b) {
                        let _ = write!(
                            s,
                            "; first diverging page: {page} (only in {})",
                            if seg.pages_a > seg.pages_b { "A" } else { "B" }
                        );
                    } else {
                        let _ = write!(
                            s,
                            "; first diverging page: {page}, at byte {byte:#x} (libpal file offset {fa:#x}{})",
                            if fa != fb {
                                format!(" in A, {fb:#x} in B")
                            } else {
                                String::new()
                            }
                        );
                    }
                }
                s.push('\n');
            }
            for i in &p.only_a {
                let _ = writeln!(s, "   segment {i}: only in A");
            }
            for i in &p.only_b {
                let _ = writeln!(s, "   segment {i}: only in B");
            }
        }
    }

    s.push_str("\n4. First diverging measurement record\n");
    match (&meas.divergence, &a.measurable, &b.measurable) {
        (Some(d), Some(ma), Some(mb)) => {
            let _ = writeln!(s, "   record #{} (0 = ECREATE)", d.index);
            for (label, r, m) in [("A", &d.a, ma), ("B", &d.b, mb)] {
                match r {
                    Some(r) => {
                        let _ = writeln!(
                            s,
                            "   {label}: {} in {}",
                            record_text(r),
                            location_text(r, &m.layout)
                        );
                    }
                    None => {
                        let _ =
                            writeln!(s, "   {label}: (its stream has ended: {} records)", d.index);
                    }
                }
            }
            if let (Some(ra), Some(rb)) = (&d.a, &d.b) {
                for w in what_differs(ra, rb, ma, mb) {
                    let _ = writeln!(s, "   differs: {w}");
                }
            }
        }
        (None, Some(_), Some(_)) if same => {
            s.push_str("   none: the record streams are identical\n")
        }
        (None, Some(_), Some(_)) => s.push_str("   not found\n"),
        _ => s.push_str(&na(sig_why)),
    }
    if both_measured(a, b) {
        let _ = writeln!(s, "   ({})", meas.method);
    }
    if !notes.is_empty() {
        s.push_str("\nNotes:\n");
        for n in notes {
            let _ = writeln!(s, "   - {n}");
        }
    }
    let _ = writeln!(
        s,
        "\nresult: {}",
        if same {
            "same MRENCLAVE (exit status 0)"
        } else {
            "MRENCLAVE differs (exit status 1)"
        }
    );
    s
}

fn both_measured(a: &Side, b: &Side) -> bool {
    a.measurable.is_some() && b.measurable.is_some()
}
