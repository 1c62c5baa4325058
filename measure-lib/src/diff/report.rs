//! The report model of [`super::diff`]: computed once; its serde serialization is the JSON
//! report (`docs/diff.md`, schema `sgx-measure-diff/1`) and the command line's text report is a
//! rendering of it. Fields marked "not in the JSON" carry what only the text shows.

use std::path::PathBuf;

use serde::{Serialize, Serializer};

use crate::toml::Value;

/// Serializes a `u64` as `0x...`.
fn hex_u64<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{v:#x}"))
}

fn hex_u64_opt<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => hex_u64(v, s),
        None => s.serialize_none(),
    }
}

fn hex_bytes_opt<S: Serializer>(v: &Option<[u8; 32]>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(&hex::encode(v)),
        None => s.serialize_none(),
    }
}

fn path_str<S: Serializer>(p: &std::path::Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&p.display().to_string())
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct DiffReport {
    /// `sgx-measure-diff/1`.
    pub schema: &'static str,
    /// Whether A and B have the same MRENCLAVE (a `.sig` counts with its ENCLAVEHASH).
    pub same: bool,
    /// Input A.
    pub a: SideReport,
    /// Input B.
    pub b: SideReport,
    /// How the measurements were compared.
    pub method: String,
    /// Section 1: the layout attributes that differ (`None` unless both inputs are measurable).
    pub layout: Option<Vec<LayoutRow>>,
    /// Section 2: the manifest keys that differ.
    pub manifest: Option<ManifestReport>,
    /// Section 3: the PAL segments that differ.
    pub pal: Option<PalReport>,
    /// Section 4: the first measurement record where A and B part.
    pub divergence: Option<DivergenceReport>,
    /// The SIGSTRUCT fields, when a `.sig` is involved.
    pub sigstruct: Option<Vec<SigRow>>,
    /// What the reader should know.
    pub notes: Vec<String>,
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

    /// Whether this is a manifest (source or final).
    pub fn is_manifest(self) -> bool {
        matches!(self, InputKind::SourceManifest | InputKind::FinalManifest)
    }
}

impl Serialize for InputKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// One input.
#[derive(Clone, Debug, Serialize)]
pub struct SideReport {
    /// `A` or `B` (not in the JSON, whose keys say it).
    #[serde(skip)]
    pub label: &'static str,
    /// The file.
    #[serde(serialize_with = "path_str")]
    pub path: PathBuf,
    /// How it was read.
    pub kind: InputKind,
    /// How it was read, in a sentence.
    pub reading: String,
    /// The Gramine version whose rules apply (`1.9`).
    pub gramine: &'static str,
    /// Where the PAL came from (measurable inputs).
    pub libpal: Option<String>,
    /// Entries appended (bundles).
    pub entries: Option<EntriesUsed>,
    /// SHA-256 of the measured manifest bytes.
    pub manifest_sha256: Option<String>,
    /// Number of measured manifest bytes.
    pub manifest_bytes: Option<usize>,
    /// Number of measurement records (ECREATE included).
    pub records: Option<u64>,
    /// MRENCLAVE, when measured.
    #[serde(serialize_with = "hex_bytes_opt")]
    pub mrenclave: Option<[u8; 32]>,
    /// A `.sig`'s ENCLAVEHASH.
    #[serde(serialize_with = "hex_bytes_opt")]
    pub enclavehash: Option<[u8; 32]>,
}

impl SideReport {
    /// Whether the input was measured (a manifest or a bundle).
    pub fn measured(&self) -> bool {
        self.manifest_bytes.is_some()
    }
}

/// Entries appended to a bundle input.
#[derive(Clone, Debug, Serialize)]
pub struct EntriesUsed {
    /// The entries file.
    #[serde(serialize_with = "path_str")]
    pub path: PathBuf,
    /// Number of entries.
    pub count: usize,
}

/// One layout attribute that differs.
#[derive(Clone, Debug, Serialize)]
pub struct LayoutRow {
    /// Its name (`enclave_size`, `max_threads`, ...).
    pub attribute: &'static str,
    /// A's value.
    pub a: serde_json::Value,
    /// B's value.
    pub b: serde_json::Value,
    /// Whether it follows from other attributes.
    pub derived: bool,
    /// A's value for people (not in the JSON).
    #[serde(skip)]
    pub text_a: String,
    /// B's value for people (not in the JSON).
    #[serde(skip)]
    pub text_b: String,
}

/// A TOML value of a manifest, serialized as JSON (finite floats as numbers; NaN, infinities
/// and date-times as their TOML text).
#[derive(Clone, Debug, PartialEq)]
pub struct ManifestValue(pub Value);

impl Serialize for ManifestValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        super::sections::value_json(&self.0).serialize(s)
    }
}

/// A key added or removed.
#[derive(Clone, Debug, Serialize)]
pub struct KeyValue {
    /// Dotted path (`sgx.enclave_size`, `loader.argv[2]`).
    pub path: String,
    /// The value.
    pub value: ManifestValue,
}

/// A key whose value changed.
#[derive(Clone, Debug, Serialize)]
pub struct KeyChange {
    /// Dotted path.
    pub path: String,
    /// A's value.
    pub a: ManifestValue,
    /// B's value.
    pub b: ManifestValue,
}

/// Section 2.
#[derive(Clone, Debug, Serialize)]
pub struct ManifestReport {
    /// Keys only in B.
    pub added: Vec<KeyValue>,
    /// Keys only in A.
    pub removed: Vec<KeyValue>,
    /// Keys in both with different values.
    pub changed: Vec<KeyChange>,
    /// Tables whose common keys are in a different order.
    pub key_order_differs: Vec<String>,
    /// `sgx.trusted_files`, compared by URI.
    pub trusted_files: TrustedFilesReport,
}

impl ManifestReport {
    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.key_order_differs.is_empty()
            && self.trusted_files.added.is_empty()
            && self.trusted_files.removed.is_empty()
            && self.trusted_files.changed.is_empty()
            && self.trusted_files.reordered_at.is_none()
    }
}

/// Entry counts of both lists.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Counts {
    /// A's.
    pub a: usize,
    /// B's.
    pub b: usize,
}

/// A trusted file.
#[derive(Clone, Debug, Serialize)]
pub struct TrustedFileRow {
    /// Its URI (or, for an entry without one, its position and value).
    pub uri: String,
    /// Its hash.
    pub sha256: Option<ManifestValue>,
    /// The whole entry (not in the JSON).
    #[serde(skip)]
    pub entry: Value,
}

/// A trusted file whose entry differs.
#[derive(Clone, Debug, Serialize)]
pub struct TrustedFileChange {
    /// The URI.
    pub uri: String,
    /// A's hash.
    pub a: Option<ManifestValue>,
    /// B's hash.
    pub b: Option<ManifestValue>,
    /// A's entry.
    pub a_entry: ManifestValue,
    /// B's entry.
    pub b_entry: ManifestValue,
}

/// `sgx.trusted_files`, compared by URI (the n-th occurrence of a URI with the n-th).
#[derive(Clone, Debug, Default, Serialize)]
pub struct TrustedFilesReport {
    /// Entry counts (when both have a list).
    pub count: Option<Counts>,
    /// Only in B.
    pub added: Vec<TrustedFileRow>,
    /// Only in A.
    pub removed: Vec<TrustedFileRow>,
    /// In both, different.
    pub changed: Vec<TrustedFileChange>,
    /// The first URI out of place among those both lists have.
    pub reordered_at: Option<String>,
}

/// Section 3.
#[derive(Clone, Debug, Serialize)]
pub struct PalReport {
    /// `e_entry`, when it differs.
    pub entry: Option<HexPair>,
    /// Segments that differ.
    pub segments: Vec<SegmentReport>,
    /// Segments only A's PAL has.
    pub only_in_a: Vec<usize>,
    /// Segments only B's PAL has.
    pub only_in_b: Vec<usize>,
}

impl PalReport {
    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.entry.is_none()
            && self.segments.is_empty()
            && self.only_in_a.is_empty()
            && self.only_in_b.is_empty()
    }
}

/// Two addresses.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct HexPair {
    /// A's.
    #[serde(serialize_with = "hex_u64")]
    pub a: u64,
    /// B's.
    #[serde(serialize_with = "hex_u64")]
    pub b: u64,
}

/// A field of a segment that differs.
#[derive(Clone, Debug, Serialize)]
pub struct FieldChange {
    /// `p_offset`, `p_flags`, `measured at`, ...
    pub field: &'static str,
    /// A's value.
    pub a: String,
    /// B's value.
    pub b: String,
}

/// Page counts of a segment.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PageCounts {
    /// A's.
    pub a: u64,
    /// B's.
    pub b: u64,
}

/// The first page of a segment whose measured contents differ.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct FirstPage {
    /// Page index within the segment.
    pub page: u64,
    /// First differing byte of the page.
    pub byte: usize,
    /// Its position in A's libpal file.
    #[serde(serialize_with = "hex_u64")]
    pub file_offset_a: u64,
    /// Its position in B's libpal file.
    #[serde(serialize_with = "hex_u64")]
    pub file_offset_b: u64,
}

/// A PAL segment that differs.
#[derive(Clone, Debug, Serialize)]
pub struct SegmentReport {
    /// Its index (`PT_LOAD`s counted from 0).
    pub index: usize,
    /// Program header fields that differ.
    pub fields: Vec<FieldChange>,
    /// Pages it measures in A and B.
    pub pages: PageCounts,
    /// Pages (within the segment) whose measured contents differ.
    pub differing_pages: Vec<u64>,
    /// The first of them.
    pub first_differing_page: Option<FirstPage>,
}

/// Section 4.
#[derive(Clone, Debug, Serialize)]
pub struct DivergenceReport {
    /// Record number (0 = ECREATE).
    pub index: u64,
    /// A's record (`None`: A's stream ended).
    pub a: Option<RecordReport>,
    /// B's record.
    pub b: Option<RecordReport>,
    /// Which parts differ (`operation`, `enclave_size`, `ssa_frame_pages`, `offset`, `flags`,
    /// `contents`, `length`).
    pub differs: Vec<&'static str>,
    /// For contents: the first differing byte of the page.
    pub first_differing_page_byte: Option<usize>,
    /// What differs, in sentences.
    pub what: Vec<String>,
}

/// ECREATE's fields.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct EcreateFields {
    /// SSA frame size in pages.
    pub ssa_frame_pages: u32,
    /// Enclave size.
    pub enclave_size: u64,
}

/// One measurement record and where it lies.
#[derive(Clone, Debug, Serialize)]
pub struct RecordReport {
    /// Record number.
    pub index: u64,
    /// `ECREATE`, `EADD` or `EEXTEND`.
    pub op: &'static str,
    /// Enclave offset (EADD, EEXTEND).
    #[serde(serialize_with = "hex_u64_opt")]
    pub offset: Option<u64>,
    /// SECINFO flags (EADD).
    #[serde(serialize_with = "hex_u64_opt")]
    pub flags: Option<u64>,
    /// ECREATE's fields.
    pub ecreate: Option<EcreateFields>,
    /// SHA-256 of an EEXTEND's 256 bytes.
    pub chunk_sha256: Option<String>,
    /// The area.
    pub area: Option<AreaReport>,
    /// The page's address.
    #[serde(serialize_with = "hex_u64_opt")]
    pub page: Option<u64>,
    /// The page's index in its area.
    pub page_in_area: Option<u64>,
    /// The EEXTEND chunk of the page (0 to 15).
    pub chunk: Option<u64>,
}

/// The area of a record (`kind` only for ECREATE).
#[derive(Clone, Debug, Serialize)]
pub struct AreaReport {
    /// `manifest`, `ssa`, ..., `free`, or `ecreate`.
    pub kind: &'static str,
    /// Thread, segment or free-area slot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// What it is, for people (`stack 3`, `PAL code segment 0 (...)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Start address.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "hex_u64_opt"
    )]
    pub start: Option<u64>,
    /// Size.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "hex_u64_opt"
    )]
    pub size: Option<u64>,
    /// SECINFO flags.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "hex_u64_opt"
    )]
    pub flags: Option<u64>,
    /// Whether its pages are EEXTENDed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measured: Option<bool>,
}

/// A SIGSTRUCT field (`gramine-sgx-sigstruct-view` names).
#[derive(Clone, Debug, Serialize)]
pub struct SigRow {
    /// The field.
    pub field: &'static str,
    /// A's value (`None`: not determined by A).
    pub a: Option<String>,
    /// B's value.
    pub b: Option<String>,
    /// Whether both have it.
    pub compared: bool,
    /// Whether they are equal.
    pub equal: bool,
}
