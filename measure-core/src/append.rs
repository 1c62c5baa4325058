//! The verifier: MRENCLAVE of a base bundle with a data owner's entries appended to
//! `sgx.trusted_files`, after enforcing the bundle's append policy. No allocation, no std, bounded
//! stack: this is what the C ABI runs inside enclaves.
//!
//! # The append policy
//!
//! Appended entries are code an enclave will load if asked to (a planted `.so` is a trusted file
//! like any other), and Gramine v1.6+ even lets an appended entry with a hash replace a base entry
//! that had none, including files found by expanding a base directory. So, secure by default:
//! - a bundle made without allowed prefixes accepts no entry;
//! - each URI must start with one of the bundle's prefixes and with `file:`;
//! - the path after `file:` (one leading `/` aside) must consist of non-empty segments other than
//!   `.` and `..` (so no directory URI, no `//`, no trailing `/`);
//! - no URI may hold NUL (Gramine reads URIs as C strings: `a` and `a\0` would be one file), CR
//!   or LF (a line-ending artifact, or a break the line formats cannot carry); other control
//!   characters, such as TAB, are legal in Linux file names and measured as they are;
//! - each hash must be exactly 64 hexadecimal digits (either case: Gramine copies it verbatim);
//! - no URI may equal a URI of the fully expanded base list, even with the same hash;
//! - no URI may appear twice among the entries;
//! - for Gramine v1.0 to v1.3 (bundles of the toml 0.10.2 dialect): no URI or hash may hold a
//!   character that toml 0.10.2 writes incorrectly (a control character other than TAB, LF and
//!   CR, DEL, U+0080 to U+00A0, U+00AD, or a backslash followed by `x`: it drops or doubles
//!   backslashes there), and no hash may be empty (those versions would hash the file instead).
//!
//! Every violation names the entry by its index.

#[cfg(test)]
mod duplicate_tests;
pub mod duplicates;

use core::fmt;

use crate::bundle::{Bundle, BundleError, Dialect, Form};
use crate::engine::{self, ManifestSource, MeasureError, SourceError};
use crate::entries::{EntriesError, Entry, EntryList, Field};
use crate::measure::MeasurementHasher;
use crate::sha256::Sha256;

/// What rule an entry broke.
///
/// Not `#[non_exhaustive]`: the C ABI maps every variant to a status code of its own, and a new
/// variant must fail to compile there until it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    /// The bundle allows no appended entries (made without `--allow-prefix`).
    NothingMayBeAppended,
    /// The URI starts with none of the allowed prefixes.
    OutsidePrefixes,
    /// The URI does not start with `file:`.
    NotAFileUri,
    /// The path has an empty, `.` or `..` segment (or ends with `/`).
    BadPathSegment,
    /// The URI is already in the base list.
    RepeatsBaseUri,
    /// The URI appeared earlier among the entries (`other` is that entry's index).
    Duplicate,
    /// The URI or hash cannot be written faithfully by toml 0.10.2 (Gramine v1.0 to v1.3), or
    /// the hash is empty.
    NotWritableByToml0102,
    /// The URI holds NUL, CR or LF.
    LineBreakOrNulInUri,
    /// The hash is not exactly 64 hexadecimal digits.
    NotASha256,
}

/// A policy violation by entry `index` (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyViolation {
    /// The rule.
    pub kind: PolicyKind,
    /// The offending entry.
    pub index: u32,
    /// For [`PolicyKind::Duplicate`], the earlier entry with the same URI.
    pub other: u32,
}

impl core::error::Error for PolicyViolation {}

impl fmt::Display for PolicyViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = self.index;
        match self.kind {
            PolicyKind::NothingMayBeAppended => {
                write!(
                    f,
                    "entry {i}: the bundle allows no appended entries (it was made without --allow-prefix)"
                )
            }
            PolicyKind::OutsidePrefixes => write!(
                f,
                "entry {i}: URI starts with none of the bundle's allowed prefixes"
            ),
            PolicyKind::NotAFileUri => write!(f, "entry {i}: URI does not start with \"file:\""),
            PolicyKind::BadPathSegment => {
                write!(
                    f,
                    "entry {i}: URI path has an empty, \".\" or \"..\" segment (or is a directory URI)"
                )
            }
            PolicyKind::RepeatsBaseUri => write!(
                f,
                "entry {i}: URI is already a trusted file of the base enclave (an appended entry may not shadow or repeat it)"
            ),
            PolicyKind::Duplicate => write!(f, "entry {i}: URI repeats entry {}", self.other),
            PolicyKind::LineBreakOrNulInUri => write!(
                f,
                "entry {i}: URI holds a NUL, CR or LF character (Gramine reads URIs as C strings, and a line break is not part of a file name the line formats can carry)"
            ),
            PolicyKind::NotASha256 => write!(
                f,
                "entry {i}: the hash is not a SHA-256 (exactly 64 hexadecimal digits)"
            ),
            PolicyKind::NotWritableByToml0102 => write!(
                f,
                "entry {i}: the URI or hash holds a character that toml 0.10.2 (Gramine v1.0-v1.3) writes incorrectly (a control character, U+0080-U+00A0, U+00AD, or a backslash before 'x'), or the hash is empty"
            ),
        }
    }
}

/// Why an append failed.
///
/// Not `#[non_exhaustive]`: the C ABI maps every variant to a status code of its own, and a new
/// variant must fail to compile there until it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendError {
    /// The bundle is malformed.
    Bundle(BundleError),
    /// The entry list is malformed.
    Entries(EntriesError),
    /// An entry breaks the append policy.
    Policy(PolicyViolation),
    /// The measurement failed (layout or source).
    Measure(MeasureError),
}

impl core::error::Error for AppendError {}

impl fmt::Display for AppendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppendError::Bundle(e) => e.fmt(f),
            AppendError::Entries(e) => e.fmt(f),
            AppendError::Policy(e) => e.fmt(f),
            AppendError::Measure(e) => e.fmt(f),
        }
    }
}

impl From<MeasureError> for AppendError {
    fn from(e: MeasureError) -> Self {
        AppendError::Measure(e)
    }
}

/// SHA-256 of a field's decoded bytes.
fn field_sha256(f: &Field<'_>) -> [u8; 32] {
    if !f.raw().contains(&b'%') {
        return Sha256::digest(f.raw()); // nothing escaped: the raw bytes are the string
    }
    let mut h = Sha256::new();
    let mut buf = [0u8; 128];
    let mut n = 0;
    for b in f.bytes() {
        if n == buf.len() {
            h.update(&buf);
            n = 0;
        }
        if let Some(slot) = buf.get_mut(n) {
            *slot = b;
        }
        n = n.wrapping_add(1); // at most buf.len()
    }
    h.update(buf.get(..n).unwrap_or(&[]));
    h.finalize()
}

/// Whether the path after `file:` has only non-empty segments other than `.` and `..`.
fn path_segments_ok(uri: &Field<'_>) -> bool {
    fn segment_ok(seg: &[u8]) -> bool {
        !matches!(seg, b"" | b"." | b"..")
    }
    let raw = uri.raw();
    if !raw.contains(&b'%') {
        // Nothing escaped: check the bytes in place.
        let path = raw.get(b"file:".len()..).unwrap_or(&[]);
        let path = path.strip_prefix(b"/").unwrap_or(path);
        return path.split(|&b| b == b'/').all(segment_ok);
    }
    let mut bytes = uri.bytes().skip(b"file:".len()).peekable();
    if bytes.peek() == Some(&b'/') {
        bytes.next();
    }
    let (mut len, mut dots) = (0usize, 0usize);
    for b in bytes.chain(core::iter::once(b'/')) {
        if b == b'/' {
            if len == 0 || (len == dots && len <= 2) {
                return false;
            }
            len = 0;
            dots = 0;
        } else {
            // Both count bytes of the URI.
            len = len.wrapping_add(1);
            if b == b'.' {
                dots = dots.wrapping_add(1);
            }
        }
    }
    true
}

/// Bytes of scratch per entry that [`check_policy_with_scratch`] needs to find repeated URIs in
/// O(n log n) (see [`scratch_len`]).
pub const SCRATCH_BYTES_PER_ENTRY: usize = duplicates::RECORD_LEN;

/// Records the policy check keeps on the stack when the caller's scratch is smaller (30 KiB):
/// lists up to this many entries are checked in O(n log n) with no scratch at all.
pub const STACK_RECORDS: usize = 1280;

/// Scratch bytes [`check_policy_with_scratch`] needs for `entries` to run in O(n log n): none
/// when the URIs are strictly ascending (as `hash-files` writes them: no URI can repeat),
/// otherwise [`SCRATCH_BYTES_PER_ENTRY`] per entry. Linear in the list's size.
pub fn scratch_len(entries: &EntryList<'_>) -> usize {
    if uris_ascending(entries) {
        0
    } else {
        entries.len().saturating_mul(SCRATCH_BYTES_PER_ENTRY)
    }
}

/// Whether a field is exactly 64 hexadecimal digits.
fn is_sha256_hex(f: &Field<'_>) -> bool {
    let mut n = 0usize;
    for b in f.bytes() {
        if !b.is_ascii_hexdigit() {
            return false;
        }
        n = n.saturating_add(1);
    }
    n == 64
}

/// Whether the URIs are strictly ascending (byte order of their escaped form, which is
/// canonical: then no two of them are equal).
fn uris_ascending(entries: &EntryList<'_>) -> bool {
    let mut prev: Option<&[u8]> = None;
    entries.iter().all(|e| {
        let ok = prev.is_none_or(|p| p < e.uri.raw());
        prev = Some(e.uri.raw());
        ok
    })
}

/// Checks one entry against every rule but repetition (see [`check_policy_with_scratch`]), for
/// readers that stream entries: the rule it breaks first, if any. The caller refuses any entry
/// when the bundle has no prefix ([`PolicyKind::NothingMayBeAppended`]), and looks for repeats
/// itself ([`uri_hash`] is an entry's key for [`duplicates::record`]).
pub fn check_entry(bundle: &Bundle<'_>, e: &Entry<'_>) -> Result<(), PolicyKind> {
    if let Some(k) = entry_violation(bundle, e) {
        return Err(k);
    }
    if bundle.base_uri_count() > 0 && bundle.has_base_uri_hash(&field_sha256(&e.uri)) {
        return Err(PolicyKind::RepeatsBaseUri);
    }
    Ok(())
}

/// The SHA-256 of an entry's URI (decoded): what the base URI index holds, and the key of the
/// repeat check.
pub fn uri_hash(e: &Entry<'_>) -> [u8; 32] {
    field_sha256(&e.uri)
}

/// The first rule other than repetition and the base index that entry `e` breaks.
fn entry_violation(bundle: &Bundle<'_>, e: &Entry<'_>) -> Option<PolicyKind> {
    if !bundle.policy.prefixes().any(|p| e.uri.starts_with(p)) {
        return Some(PolicyKind::OutsidePrefixes);
    }
    if !e.uri.starts_with(b"file:") {
        return Some(PolicyKind::NotAFileUri);
    }
    if !path_segments_ok(&e.uri) {
        return Some(PolicyKind::BadPathSegment);
    }
    if bundle.dialect == Dialect::Toml0102
        && (!toml0102_writable(&e.uri)
            || !toml0102_writable(&e.sha256)
            || e.sha256.bytes().next().is_none())
    {
        return Some(PolicyKind::NotWritableByToml0102);
    }
    if e.uri.bytes().any(|b| matches!(b, 0 | b'\r' | b'\n')) {
        return Some(PolicyKind::LineBreakOrNulInUri);
    }
    if !is_sha256_hex(&e.sha256) {
        return Some(PolicyKind::NotASha256);
    }
    None
}

/// Checks every entry against the bundle's append policy with no scratch but the stack (see
/// [`check_policy_with_scratch`]): O(n log n) for lists whose URIs are strictly ascending or
/// that have up to [`STACK_RECORDS`] entries, O(n^2 / [`STACK_RECORDS`]) hashes for longer
/// unsorted lists. `_list_digest` (the SHA-256 of the list) is no longer used.
pub fn check_policy(
    bundle: &Bundle<'_>,
    entries: &EntryList<'_>,
    _list_digest: &[u8; 32],
) -> Result<(), PolicyViolation> {
    check_policy_with_scratch(bundle, entries, &mut [])
}

/// Checks every entry against the bundle's append policy: each entry against the rules in the
/// order of [`PolicyKind`], and the violation reported is the one of the first entry that breaks
/// a rule (for a repeated URI, the entry that repeats it and the first entry with that URI).
///
/// `scratch` is working memory (any alignment, contents ignored): with at least
/// [`scratch_len`] bytes the check takes O(n log n) time; with less it uses at most
/// [`STACK_RECORDS`] records of stack besides, and an unsorted list longer than the records it
/// has takes O(n^2 / records) hashes. The answer never depends on the scratch.
pub fn check_policy_with_scratch(
    bundle: &Bundle<'_>,
    entries: &EntryList<'_>,
    scratch: &mut [u8],
) -> Result<(), PolicyViolation> {
    let violation = |kind, index: usize, other: usize| PolicyViolation {
        kind,
        index: index as u32,
        other: other as u32,
    };
    if !entries.is_empty() && bundle.policy.is_empty() {
        return Err(violation(PolicyKind::NothingMayBeAppended, 0, 0));
    }
    let (records, _) = scratch.as_chunks_mut::<{ duplicates::RECORD_LEN }>();
    // URI hashes are needed for the base index; computed anyway, they are kept for the repeat
    // check when the scratch holds them all.
    let hash_uris = bundle.base_uri_count() > 0;
    let keep = hash_uris && records.len() >= entries.len();
    let mut first_bad: Option<(usize, PolicyKind)> = None;
    let mut count = 0usize;
    let mut ascending = true;
    let mut prev: &[u8] = &[];
    for (i, (off, e)) in entries.iter_offsets().enumerate() {
        let mut kind = entry_violation(bundle, &e);
        if kind.is_none() && hash_uris {
            let h = field_sha256(&e.uri);
            if bundle.has_base_uri_hash(&h) {
                kind = Some(PolicyKind::RepeatsBaseUri);
            } else if keep && let Some(slot) = records.get_mut(i) {
                *slot = duplicates::record(&h, off);
            }
        }
        if let Some(k) = kind {
            first_bad = Some((i, k));
            break;
        }
        ascending &= i == 0 || prev < e.uri.raw();
        prev = e.uri.raw();
        // `i` indexes the list: one more is its length at most.
        count = i.saturating_add(1);
    }
    // A repeat among the entries before the first other violation comes first.
    let repeat = if ascending {
        None
    } else if let Some(recs) = records.get_mut(..count) {
        if !keep {
            for (slot, (off, e)) in recs.iter_mut().zip(entries.iter_offsets()) {
                *slot = duplicates::record(&field_sha256(&e.uri), off);
            }
        }
        duplicates::sort(recs);
        duplicates::first_repeat_in_sorted(recs, &mut |a, b| same_uri_at(entries, a, b))
    } else if records.len() >= STACK_RECORDS {
        duplicates::first_repeat_blocked(entries, count, records, &|e| field_sha256(&e.uri))
    } else {
        first_repeat_on_stack(entries, count)
    };
    if let Some(r) = repeat {
        return Err(violation(
            PolicyKind::Duplicate,
            entries.index_of_offset(r.later),
            entries.index_of_offset(r.earlier),
        ));
    }
    match first_bad {
        Some((i, k)) => Err(violation(k, i, 0)),
        None => Ok(()),
    }
}

/// Whether the entries whose lines start at offsets `a` and `b` have the same URI.
fn same_uri_at(entries: &EntryList<'_>, a: usize, b: usize) -> bool {
    match (entries.entry_at(a), entries.entry_at(b)) {
        (Some(x), Some(y)) => x.uri.raw() == y.uri.raw(),
        _ => false,
    }
}

/// [`duplicates::first_repeat_blocked`] with [`STACK_RECORDS`] records of stack, in a frame of
/// its own (callers that pass enough scratch never reserve it).
#[inline(never)]
fn first_repeat_on_stack(entries: &EntryList<'_>, count: usize) -> Option<duplicates::Repeat> {
    let mut buf = [[0u8; duplicates::RECORD_LEN]; STACK_RECORDS];
    let recs = buf.get_mut(..count.min(STACK_RECORDS))?;
    duplicates::first_repeat_blocked(entries, count, recs, &|e| field_sha256(&e.uri))
}

/// Buffers small writes into larger chunks for the sink.
struct Chunker<'o> {
    out: &'o mut dyn FnMut(&[u8]),
    buf: [u8; 256],
    n: usize,
}

impl Chunker<'_> {
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "n <= buf.len() (flushed when full) and take <= buf.len() - n"
    )]
    fn push(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.n == self.buf.len() {
                self.flush();
            }
            let take = bytes.len().min(self.buf.len() - self.n);
            let (head, tail) = bytes.split_at(take);
            if let Some(dst) = self.buf.get_mut(self.n..self.n + take) {
                dst.copy_from_slice(head);
            }
            self.n += take;
            bytes = tail;
        }
    }
    fn flush(&mut self) {
        (self.out)(self.buf.get(..self.n).unwrap_or(&[]));
        self.n = 0;
    }
}

const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// The hex digit of the low four bits of `n`.
fn hex_digit(table: &[u8; 16], n: u8) -> u8 {
    table.get(usize::from(n & 15)).copied().unwrap_or(b'0')
}

/// tomli_w's basic-string escaping of one byte (`multiline_strings=False`): `\b \n \f \r \" \\`,
/// other control characters except TAB (and DEL) as `\u00xx`, everything else as is.
fn toml_escape(b: u8, out: &mut Chunker<'_>) {
    match b {
        b'"' => out.push(b"\\\""),
        b'\\' => out.push(b"\\\\"),
        0x08 => out.push(b"\\b"),
        b'\n' => out.push(b"\\n"),
        0x0c => out.push(b"\\f"),
        b'\r' => out.push(b"\\r"),
        b'\t' => out.push(b"\t"),
        b if b < 0x20 || b == 0x7f => out.push(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            hex_digit(HEX_LOWER, b >> 4),
            hex_digit(HEX_LOWER, b),
        ]),
        b => out.push(&[b]),
    }
}

/// Whether tomli_w writes `b` as is inside a basic string.
fn toml_plain(b: u8) -> bool {
    !((b == b'"') | (b == b'\\') | ((b < 0x20) & (b != b'\t')) | (b == 0x7f))
}

/// A field, TOML-escaped: runs of plain bytes in one piece, escapes one by one.
fn push_toml_escaped(f: &Field<'_>, out: &mut Chunker<'_>) {
    let raw = f.raw();
    // Branch-free over the whole field (vectorizes): any byte that is escaped either way?
    let special = raw
        .iter()
        .fold(false, |acc, &b| acc | (b == b'%') | !toml_plain(b));
    if !special {
        out.push(raw);
    } else {
        f.bytes().for_each(|b| toml_escape(b, out));
    }
}

/// Number of bytes of a field once TOML-escaped (what [`push_toml_escaped`] writes).
fn toml_escaped_len(f: &Field<'_>) -> u64 {
    let raw = f.raw();
    if !raw
        .iter()
        .fold(false, |acc, &b| acc | (b == b'%') | !toml_plain(b))
    {
        return raw.len() as u64;
    }
    f.bytes()
        .map(|b| match b {
            b'"' | b'\\' | 0x08 | b'\n' | 0x0c | b'\r' => 2,
            b'\t' => 1,
            b if b < 0x20 || b == 0x7f => 6,
            _ => 1,
        })
        .sum()
}

/// Number of code points of a field once TOML-escaped.
fn escaped_code_points(f: &Field<'_>) -> usize {
    f.bytes()
        .map(|b| match b {
            b'"' | b'\\' | 0x08 | b'\n' | 0x0c | b'\r' => 2,
            b'\t' => 1,
            b if b < 0x20 || b == 0x7f => 6,
            b if b & 0xc0 == 0x80 => 0, // UTF-8 continuation byte
            _ => 1,
        })
        .sum()
}

/// Whether tomli_w writes `{ uri = "...", sha256 = "..." }` inline in an array: the line
/// `    { uri = "U", sha256 = "H" },` is at most 100 code points (30 of them fixed). Both dialects
/// agree for items holding only strings.
pub fn fits_inline(e: &Entry<'_>) -> bool {
    escaped_code_points(&e.uri)
        .saturating_add(escaped_code_points(&e.sha256))
        .saturating_add(30)
        <= 100
}

/// tomli_w's writing of an appended `{uri, sha256}` in an inline array: the text before the
/// URI, between URI and hash, and after the hash.
const INLINE_ENTRY: [&[u8]; 3] = [b"    { uri = \"", b"\", sha256 = \"", b"\" },\n"];
/// ... and as an `[[sgx.trusted_files]]` section.
const SECTIONS_ENTRY: [&[u8]; 3] = [
    b"\n[[sgx.trusted_files]]\nuri = \"",
    b"\"\nsha256 = \"",
    b"\"\n",
];

/// How the trusted-file list is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListForm {
    /// No entries appended to an empty base list: the base manifest as is.
    EmptyBase,
    /// `[[sgx.trusted_files]]` sections.
    Sections,
    /// An inline array.
    Inline,
}

/// How appended entries are written into the base manifest: the list's form, the text before and
/// after the entries, and each entry's text. [`AppendedManifest`] renders a list held in memory
/// with it; readers that stream entries (twice: once to choose the form and add up the length,
/// once to write) use it directly.
#[derive(Clone, Copy, Debug)]
pub struct ManifestShape<'a> {
    form: ListForm,
    dialect: Dialect,
    parts: Form<'a>,
    whole: &'a [u8],
}

impl<'a> ManifestShape<'a> {
    /// The shape for appending entries to the bundle's base: `has_entries` says whether there
    /// are any, `all_fit_inline` whether every one of them [`fits_inline`].
    pub fn new(bundle: &Bundle<'a>, has_entries: bool, all_fit_inline: bool) -> Self {
        let (form, parts, whole) = if !has_entries {
            match (bundle.empty_manifest, bundle.inline_form) {
                (Some(m), _) => (
                    ListForm::EmptyBase,
                    Form {
                        prefix: &[],
                        suffix: &[],
                    },
                    m,
                ),
                (None, Some(f)) => (ListForm::Inline, f, &[][..]),
                (None, None) => (ListForm::Sections, bundle.sections_form, &[][..]),
            }
        } else {
            match bundle.inline_form {
                Some(f) if all_fit_inline => (ListForm::Inline, f, &[][..]),
                _ => (ListForm::Sections, bundle.sections_form, &[][..]),
            }
        };
        ManifestShape {
            form,
            dialect: bundle.dialect,
            parts,
            whole,
        }
    }

    /// How the list is written.
    pub fn form(&self) -> ListForm {
        self.form
    }

    /// Bytes of the manifest outside the entries.
    pub fn fixed_len(&self) -> u64 {
        match self.form {
            ListForm::EmptyBase => self.whole.len() as u64,
            // Lengths of slices in memory: their sum fits (saturating only to state it).
            _ => (self.parts.prefix.len() as u64).saturating_add(self.parts.suffix.len() as u64),
        }
    }

    /// Bytes the entry adds to the manifest.
    pub fn entry_len(&self, e: &Entry<'_>) -> u64 {
        match (self.form, self.dialect) {
            (ListForm::EmptyBase, _) => 0,
            // tomli_w: the entry template plus the escaped fields, without rendering.
            (form, Dialect::TomliW1 | Dialect::TomliW04) => {
                let [a, b, c] = if form == ListForm::Inline {
                    INLINE_ENTRY
                } else {
                    SECTIONS_ENTRY
                };
                // A few constant bytes and at most 6 per byte of fields held in memory: far
                // from 2^64 (saturating only to state it).
                [a.len(), b.len(), c.len()]
                    .iter()
                    .fold(0u64, |n, &l| n.saturating_add(l as u64))
                    .saturating_add(toml_escaped_len(&e.uri))
                    .saturating_add(toml_escaped_len(&e.sha256))
            }
            _ => {
                let mut len = 0u64;
                // Bytes rendered from one entry in memory (saturating only to state it).
                let mut count = |c: &[u8]| len = len.saturating_add(c.len() as u64);
                let mut w = self.entry_writer(&mut count);
                w.write(e);
                w.finish();
                len
            }
        }
    }

    /// Writes what comes before the entries.
    pub fn write_prefix(&self, out: &mut dyn FnMut(&[u8])) {
        match self.form {
            ListForm::EmptyBase => out(self.whole),
            _ => out(self.parts.prefix),
        }
    }

    /// Writes what comes after the entries.
    pub fn write_suffix(&self, out: &mut dyn FnMut(&[u8])) {
        if self.form != ListForm::EmptyBase {
            out(self.parts.suffix);
        }
    }

    /// A writer of entries in this shape (in chunks of up to 256 bytes to `out`).
    pub fn entry_writer<'o>(&self, out: &'o mut dyn FnMut(&[u8])) -> EntryWriter<'o> {
        let (open, mid, close): (&'static [u8], &'static [u8], &'static [u8]) =
            match (self.form, self.dialect) {
                (ListForm::Inline, _) => (INLINE_ENTRY[0], INLINE_ENTRY[1], INLINE_ENTRY[2]),
                (_, Dialect::Toml0102) => (
                    b"[[sgx.trusted_files]]\nuri = \"",
                    b"\"\nsha256 = \"",
                    b"\"\n\n",
                ),
                _ => (SECTIONS_ENTRY[0], SECTIONS_ENTRY[1], SECTIONS_ENTRY[2]),
            };
        EntryWriter {
            chunks: Chunker {
                out,
                buf: [0; 256],
                n: 0,
            },
            template: [open, mid, close],
            py_strings: self.dialect == Dialect::Toml0102,
        }
    }
}

/// Writes entries as a [`ManifestShape`] says (see [`ManifestShape::entry_writer`]); call
/// [`EntryWriter::finish`] after the last one.
pub struct EntryWriter<'o> {
    chunks: Chunker<'o>,
    template: [&'static [u8]; 3],
    py_strings: bool,
}

impl EntryWriter<'_> {
    /// Writes one entry.
    pub fn write(&mut self, e: &Entry<'_>) {
        let [open, mid, close] = self.template;
        let c = &mut self.chunks;
        c.push(open);
        if self.py_strings {
            py_str_escape(&e.uri, c);
            c.push(mid);
            py_str_escape(&e.sha256, c);
        } else {
            push_toml_escaped(&e.uri, c);
            c.push(mid);
            push_toml_escaped(&e.sha256, c);
        }
        c.push(close);
    }

    /// Writes out what is buffered.
    pub fn finish(mut self) {
        self.chunks.flush();
    }
}

/// The final manifest: the base with `entries` appended, rendered on demand.
#[derive(Clone, Copy, Debug)]
pub struct AppendedManifest<'a> {
    shape: ManifestShape<'a>,
    entries: EntryList<'a>,
    len: u64,
}

impl<'a> AppendedManifest<'a> {
    /// Chooses the list's form and computes the length.
    pub fn new(bundle: &Bundle<'a>, entries: EntryList<'a>) -> Self {
        let shape = ManifestShape::new(
            bundle,
            !entries.is_empty(),
            bundle.inline_form.is_some() && entries.iter().all(|e| fits_inline(&e)),
        );
        let len = entries
            .iter()
            // Each term is at most 6 bytes per byte of the list in memory (plus constants), so
            // the sum is far from 2^64 (saturating only to state it).
            .fold(shape.fixed_len(), |n, e| {
                n.saturating_add(shape.entry_len(&e))
            });
        AppendedManifest {
            shape,
            entries,
            len,
        }
    }

    /// How the list is written.
    pub fn form(&self) -> ListForm {
        self.shape.form
    }

    /// Writes the manifest bytes to `out`.
    pub fn render(&self, out: &mut dyn FnMut(&[u8])) {
        self.shape.write_prefix(out);
        if self.shape.form != ListForm::EmptyBase {
            let mut w = self.shape.entry_writer(out);
            for e in self.entries.iter() {
                w.write(&e);
            }
            w.finish();
        }
        self.shape.write_suffix(out);
    }
}

impl ManifestSource for AppendedManifest<'_> {
    fn len(&self) -> u64 {
        self.len
    }
    fn write_to(&mut self, out: &mut dyn FnMut(&[u8])) -> Result<(), SourceError> {
        self.render(out);
        Ok(())
    }
}

/// MRENCLAVE of the bundle's enclave with `entries` appended, without checking the policy (the
/// caller has, or deliberately does not want to).
pub fn mrenclave_unchecked(
    bundle: &Bundle<'_>,
    entries: EntryList<'_>,
) -> Result<[u8; 32], MeasureError> {
    let mut manifest = AppendedManifest::new(bundle, entries);
    let layout = engine::layout_for(bundle.params, manifest.len(), &bundle.pal)?;
    let mut hasher = MeasurementHasher::new();
    engine::measure(&layout, &mut manifest, &bundle.pal, &mut hasher, &mut ())?;
    Ok(hasher.finish())
}

/// The verifier's entry point: parses both inputs, enforces the policy, returns MRENCLAVE. Uses
/// only the stack (see [`check_policy`]); [`mrenclave_append_with_scratch`] takes working memory
/// for long unsorted lists.
pub fn mrenclave_append(bundle: &[u8], entries: &[u8]) -> Result<[u8; 32], AppendError> {
    mrenclave_append_with_scratch(bundle, entries, &mut [])
}

/// [`mrenclave_append`] with `scratch` as working memory for the policy check (see
/// [`check_policy_with_scratch`]: [`scratch_len`] bytes make it O(n log n) for any list).
pub fn mrenclave_append_with_scratch(
    bundle: &[u8],
    entries: &[u8],
    scratch: &mut [u8],
) -> Result<[u8; 32], AppendError> {
    let bundle = Bundle::parse(bundle).map_err(AppendError::Bundle)?;
    let list = EntryList::parse(entries).map_err(AppendError::Entries)?;
    check_policy_with_scratch(&bundle, &list, scratch).map_err(AppendError::Policy)?;
    Ok(mrenclave_unchecked(&bundle, list)?)
}

/// Every dialect renders appended entries (tomli_w 0.4 and 1.x agree on entries holding only
/// strings; toml 0.10.2 writes them as blocks with its own string form); kept so callers can
/// assert it.
pub const fn dialect_is_supported(d: Dialect) -> bool {
    matches!(d, Dialect::TomliW1 | Dialect::TomliW04 | Dialect::Toml0102)
}

/// Code points that Python's `str.isprintable` rejects above U+00FF (categories Cf, Co, Zl, Zp,
/// Zs; Unicode 14, assigned code points only), as inclusive ranges.
const PY_NON_PRINTABLE: [(u32, u32); 25] = [
    (0x600, 0x605),
    (0x61c, 0x61c),
    (0x6dd, 0x6dd),
    (0x70f, 0x70f),
    (0x890, 0x891),
    (0x8e2, 0x8e2),
    (0x1680, 0x1680),
    (0x180e, 0x180e),
    (0x2000, 0x200f),
    (0x2028, 0x202f),
    (0x205f, 0x2064),
    (0x2066, 0x206f),
    (0x3000, 0x3000),
    (0xe000, 0xf8ff),
    (0xfeff, 0xfeff),
    (0xfff9, 0xfffb),
    (0x110bd, 0x110bd),
    (0x110cd, 0x110cd),
    (0x13430, 0x13438),
    (0x1bca0, 0x1bca3),
    (0x1d173, 0x1d17a),
    (0xe0001, 0xe0001),
    (0xe0020, 0xe007f),
    (0xf0000, 0xffffd),
    (0x100000, 0x10fffd),
];

/// Decodes the UTF-8 code points of a field (fields are valid UTF-8; a broken sequence yields
/// U+FFFD).
fn code_points<'f>(f: &Field<'f>) -> impl Iterator<Item = u32> + 'f {
    let mut bytes = f.bytes().peekable();
    core::iter::from_fn(move || {
        let b0 = u32::from(bytes.next()?);
        let (mut cp, extra) = match b0 {
            0x00..=0x7f => return Some(b0),
            0xc0..=0xdf => (b0 & 0x1f, 1),
            0xe0..=0xef => (b0 & 0x0f, 2),
            0xf0..=0xf7 => (b0 & 0x07, 3),
            _ => return Some(0xfffd),
        };
        for _ in 0..extra {
            match bytes.peek() {
                Some(&b) if b & 0xc0 == 0x80 => {
                    cp = (cp << 6) | u32::from(b & 0x3f);
                    bytes.next();
                }
                _ => return Some(0xfffd),
            }
        }
        Some(cp)
    })
}

/// Whether toml 0.10.2 writes this string faithfully: Python's `repr` escapes it without any
/// `\xNN` (toml 0.10.2 rewrites those, dropping the backslash) and it has no backslash
/// followed by `x` (which the same rewriting would un-double).
fn toml0102_writable(f: &Field<'_>) -> bool {
    let mut prev_backslash = false;
    for cp in code_points(f) {
        let hex_escaped =
            matches!(cp, 0x00..=0x08 | 0x0b | 0x0c | 0x0e..=0x1f | 0x7f..=0xa0 | 0xad);
        if hex_escaped || (prev_backslash && cp == u32::from(b'x')) {
            return false;
        }
        prev_backslash = cp == u32::from(b'\\');
    }
    true
}

/// toml 0.10.2's string body for a string [`toml0102_writable`] accepts: `\\`, `\t`, `\n`,
/// `\r`, `\"` escaped, printable characters as they are, other characters as `\uXXXX` or
/// `\UXXXXXXXX` (lower-case hex), as Python's `repr` writes them.
fn py_str_escape(f: &Field<'_>, out: &mut Chunker<'_>) {
    for cp in code_points(f) {
        match cp {
            0x5c => out.push(b"\\\\"),
            0x09 => out.push(b"\\t"),
            0x0a => out.push(b"\\n"),
            0x0d => out.push(b"\\r"),
            0x22 => out.push(b"\\\""),
            _ if cp >= 0x100 && PY_NON_PRINTABLE.iter().any(|&(a, b)| a <= cp && cp <= b) => {
                // 4 or 8 hex digits, most significant first.
                let (lead, top_shift): (&[u8], u32) = if cp <= 0xffff {
                    (b"\\u", 12)
                } else {
                    (b"\\U", 28)
                };
                out.push(lead);
                for shift in (0..=top_shift).rev().step_by(4) {
                    out.push(&[hex_digit(HEX_LOWER, ((cp >> shift) & 15) as u8)]);
                }
            }
            _ => {
                let mut buf = [0u8; 4];
                let s = char::from_u32(cp)
                    .unwrap_or('\u{fffd}')
                    .encode_utf8(&mut buf);
                out.push(s.as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(s: &'static [u8]) -> Field<'static> {
        let list = std::boxed::Box::leak(
            std::vec![
                b"sgx-measure entries v1\n".to_vec(),
                s.to_vec(),
                b"\tx\n".to_vec()
            ]
            .concat()
            .into_boxed_slice(),
        );
        EntryList::parse(list).unwrap().iter().next().unwrap().uri
    }

    #[test]
    fn path_segments() {
        for ok in [
            &b"file:/data/a"[..],
            b"file:data/a.bin",
            b"file:/a/.hidden",
            b"file:/a/...x",
            b"file:a/b c/d",
        ] {
            assert!(
                path_segments_ok(&field(ok)),
                "{}",
                core::str::from_utf8(ok).unwrap()
            );
        }
        for bad in [
            &b"file:"[..],
            b"file:/",
            b"file://a",
            b"file:/a//b",
            b"file:/a/",
            b"file:/a/./b",
            b"file:/a/../b",
            b"file:..",
            b"file:/a/.",
        ] {
            assert!(
                !path_segments_ok(&field(bad)),
                "{}",
                core::str::from_utf8(bad).unwrap()
            );
        }
    }

    #[test]
    fn inline_rule_counts_code_points_after_escaping() {
        let list = crate::entries::encode([
            (
                "file:a",
                "0123456789012345678901234567890123456789012345678901234567890123",
            ),
            (
                "file:ab",
                "0123456789012345678901234567890123456789012345678901234567890123",
            ),
            (
                "file:é",
                "0123456789012345678901234567890123456789012345678901234567890123",
            ),
            (
                "fi\"le:",
                "0123456789012345678901234567890123456789012345678901234567890123",
            ),
        ]);
        let list = EntryList::parse(&list).unwrap();
        let fits: std::vec::Vec<bool> = list.iter().map(|e| fits_inline(&e)).collect();
        assert_eq!(fits, [true, false, true, false]);
    }
}
