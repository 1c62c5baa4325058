//! The base bundle: everything a verifier needs to recompute the MRENCLAVE of an algorithm
//! owner's enclave with a data owner's entries appended, without the files, without parsing ELF
//! or TOML, and without allocating.
//!
//! # Format (version 1)
//!
//! All integers little-endian.
//!
//! | offset | size | content |
//! |---|---|---|
//! | 0 | 8 | magic `SGXMBNDL` |
//! | 8 | 4 | format version (1) |
//! | 12 | 4 | number of sections |
//! | 16 | ... | sections: tag (u32), length (u32), `length` bytes |
//!
//! Every section may appear once. A tag with bit 31 set is optional: readers that do not know it
//! skip it. An unknown tag without bit 31 is an error, so a future mandatory section cannot be
//! silently ignored. Nothing may follow the last section.
//!
//! | tag | section | content |
//! |---|---|---|
//! | 1 | layout (required) | Gramine version code (u8: 10 = v1.0 ... 19 = v1.9), writer dialect (u8: 1 = tomli_w 1.x, 2 = tomli_w 0.4, 3 = Python `toml` 0.10.2 for Gramine v1.0-v1.3), flags (u8: bit 0 EDMM, bit 1 `nonpie_binary`), 0 (u8), `sgx.enclave_size` (u64), threads (u64) |
//! | 2 | PAL (required) | `e_entry` (u64), segment count n (u32), n × 40-byte descriptors (p_offset, p_vaddr, p_filesz, p_memsz: u64; p_flags: u32; 0: u32), then each segment's `p_filesz` file bytes, in order |
//! | 3 | manifest, sections form (required) | prefix length (u32), prefix, suffix (the rest) |
//! | 4 | manifest, inline form (optional) | same layout; present when every base entry can be written inline |
//! | 5 | manifest with no trusted files (optional) | the whole manifest; present when the base list is empty |
//! | 6 | append policy (required) | prefix count (u32), each: length (u32) and UTF-8 bytes; no prefixes = no entries may be appended |
//! | 7 | base URI index (required) | count (u32), count × SHA-256 of each base URI, strictly ascending |
//! | 8 | base entries (optional) | count (u32), each: flags (u8: bit 0 = hashed when the bundle was made, i.e. the base manifest had no hash for it), URI length (u32), URI, hash length (u32), hash |
//! | 0x8000_0001 | information (optional) | UTF-8 `key=value` lines |
//!
//! The final manifest for appended entries E1..En is `prefix + render(E1) + ... + render(En) +
//! suffix` of the inline form when it exists and every entry fits inline (tomli_w's 100-character
//! rule), else of the sections form; with no entries it is the base manifest (section 5 when the
//! base list is empty, else the prefix and suffix of the form the base list is written in).

use core::fmt;

use crate::elf::LoadSegment;
use crate::engine::PalImage;
use crate::layout::LayoutParams;
use crate::profile::GramineVersion;

/// `SGXMBNDL`.
pub const MAGIC: &[u8; 8] = b"SGXMBNDL";
/// The format version this crate reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// Section tags.
pub mod tag {
    /// Layout parameters.
    pub const LAYOUT: u32 = 1;
    /// PAL segments.
    pub const PAL: u32 = 2;
    /// Manifest, `[[sgx.trusted_files]]` sections form.
    pub const MANIFEST_SECTIONS: u32 = 3;
    /// Manifest, inline-array form.
    pub const MANIFEST_INLINE: u32 = 4;
    /// Manifest with an empty trusted-file list.
    pub const MANIFEST_EMPTY: u32 = 5;
    /// Append policy.
    pub const POLICY: u32 = 6;
    /// Sorted SHA-256 of every base URI.
    pub const BASE_URI_INDEX: u32 = 7;
    /// The base trusted-file list.
    pub const BASE_ENTRIES: u32 = 8;
    /// Free-form information.
    pub const INFO: u32 = 0x8000_0001;
    /// Bit marking a section readers may skip.
    pub const OPTIONAL: u32 = 0x8000_0000;
}

/// The TOML writer whose output the bundle reproduces (the workspace's one writer enum).
pub use crate::rules::TomlWriter as Dialect;

/// Why a bundle was rejected.
///
/// Not `#[non_exhaustive]`: the C ABI maps every variant to a status code of its own, and a new
/// variant must fail to compile there until it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BundleError {
    /// Does not start with `SGXMBNDL`.
    BadMagic,
    /// A format version this reader does not know.
    UnsupportedVersion(u32),
    /// The bundle ends in the middle of a section header or section.
    Truncated,
    /// Bytes after the last section.
    TrailingBytes,
    /// A section appears twice.
    DuplicateSection(u32),
    /// A mandatory section this reader does not know.
    UnknownSection(u32),
    /// A required section is missing.
    MissingSection(u32),
    /// A section's content is malformed (the tag says which).
    BadSection(u32),
    /// An unknown Gramine version code.
    BadGramineVersion(u8),
    /// An unknown writer dialect code.
    BadDialect(u8),
    /// A PAL segment is inconsistent (`filesz > memsz`, end past 2^64, data missing).
    BadPalSegment(u32),
}

impl core::error::Error for BundleError {}

fn section_name(tag: u32) -> &'static str {
    match tag {
        tag::LAYOUT => "layout",
        tag::PAL => "PAL",
        tag::MANIFEST_SECTIONS => "manifest (sections form)",
        tag::MANIFEST_INLINE => "manifest (inline form)",
        tag::MANIFEST_EMPTY => "manifest (empty list)",
        tag::POLICY => "append policy",
        tag::BASE_URI_INDEX => "base URI index",
        tag::BASE_ENTRIES => "base entries",
        tag::INFO => "information",
        _ => "unknown",
    }
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::BadMagic => f.write_str("not an sgx-measure bundle (bad magic)"),
            BundleError::UnsupportedVersion(v) => write!(
                f,
                "bundle format version {v} is not supported (this reader knows version 1)"
            ),
            BundleError::Truncated => f.write_str("bundle is truncated"),
            BundleError::TrailingBytes => f.write_str("bundle has bytes after its last section"),
            BundleError::DuplicateSection(t) => write!(
                f,
                "bundle has two {} sections (tag {t:#x})",
                section_name(*t)
            ),
            BundleError::UnknownSection(t) => write!(
                f,
                "bundle has an unknown mandatory section (tag {t:#x}): made by a newer sgx-measure?"
            ),
            BundleError::MissingSection(t) => {
                write!(f, "bundle has no {} section (tag {t:#x})", section_name(*t))
            }
            BundleError::BadSection(t) => write!(
                f,
                "bundle {} section (tag {t:#x}) is malformed",
                section_name(*t)
            ),
            BundleError::BadGramineVersion(c) => {
                write!(f, "bundle names an unknown Gramine version (code {c})")
            }
            BundleError::BadDialect(c) => {
                write!(f, "bundle names an unknown TOML writer (code {c})")
            }
            BundleError::BadPalSegment(i) => write!(f, "bundle PAL segment {i} is inconsistent"),
        }
    }
}

/// A little-endian reader over a byte slice that never panics.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Reader { rest: b }
    }
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.rest.split_at_checked(n)?;
        self.rest = tail;
        Some(head)
    }
    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }
    pub(crate) fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    pub(crate) fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.rest
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }
}

/// The prefix and suffix of one manifest form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Form<'a> {
    /// Everything before the first appended entry.
    pub prefix: &'a [u8],
    /// Everything after the last appended entry.
    pub suffix: &'a [u8],
}

fn parse_form(data: &[u8], t: u32) -> Result<Form<'_>, BundleError> {
    let mut r = Reader::new(data);
    let bad = BundleError::BadSection(t);
    let n = r.u32().ok_or(bad)? as usize;
    let prefix = r.take(n).ok_or(bad)?;
    Ok(Form {
        prefix,
        suffix: r.rest(),
    })
}

const SEGMENT_DESC: usize = 40;

/// The PAL as stored in a bundle (no ELF parsing needed).
#[derive(Clone, Copy, Debug)]
pub struct BundlePal<'a> {
    entry: u64,
    count: u32,
    descs: &'a [u8],
    data: &'a [u8],
}

impl<'a> BundlePal<'a> {
    fn parse(section: &'a [u8]) -> Result<Self, BundleError> {
        let bad = BundleError::BadSection(tag::PAL);
        let mut r = Reader::new(section);
        let entry = r.u64().ok_or(bad)?;
        let count = r.u32().ok_or(bad)?;
        if count == 0 || count > u32::from(u16::MAX) {
            return Err(bad);
        }
        let descs_len = (count as usize).checked_mul(SEGMENT_DESC).ok_or(bad)?;
        let descs = r.take(descs_len).ok_or(bad)?;
        let data = r.rest();
        let pal = BundlePal {
            entry,
            count,
            descs,
            data,
        };
        let mut total: u64 = 0;
        for i in 0..count {
            let d = pal.desc(i).ok_or(bad)?;
            let seg_err = BundleError::BadPalSegment(i);
            // The page walk reads the segment's pages from the file offset rounded down to a
            // page, for as many pages as its memory spans: that file range must end within
            // 2^64 too (an offset near 2^64 overflowed in `engine::segment_page`).
            let pages = (d.vaddr % 0x1000)
                .checked_add(d.memsz)
                .and_then(|n| n.checked_add(0xfff))
                .map(|n| n / 0x1000);
            let file_span_end = pages
                .and_then(|n| n.checked_mul(0x1000))
                .and_then(|n| n.checked_add(d.offset & !0xfff));
            if d.filesz > d.memsz
                || d.vaddr
                    .checked_add(d.memsz)
                    .and_then(|e| e.checked_add(0xfff))
                    .is_none()
                || d.offset.checked_add(d.filesz).is_none()
                || file_span_end.is_none()
            {
                return Err(seg_err);
            }
            total = total.checked_add(d.filesz).ok_or(seg_err)?;
        }
        if total != data.len() as u64 {
            return Err(bad);
        }
        Ok(pal)
    }

    fn desc(&self, i: u32) -> Option<Desc> {
        let start = (i as usize).checked_mul(SEGMENT_DESC)?;
        let mut r = Reader::new(self.descs.get(start..start.checked_add(SEGMENT_DESC)?)?);
        Some(Desc {
            offset: r.u64()?,
            vaddr: r.u64()?,
            filesz: r.u64()?,
            memsz: r.u64()?,
            flags: r.u32()?,
        })
    }

    /// Number of segments.
    pub fn segment_count(&self) -> u32 {
        self.count
    }
}

#[derive(Clone, Copy, Debug)]
struct Desc {
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
    flags: u32,
}

impl PalImage for BundlePal<'_> {
    fn entry(&self) -> u64 {
        self.entry
    }
    fn segments(&self) -> impl Iterator<Item = LoadSegment<'_>> {
        let mut data = self.data;
        // Validated in `parse`: every descriptor is readable and the data lengths add up.
        (0..self.count).filter_map(move |i| {
            let d = self.desc(i)?;
            let (seg, rest) = data.split_at_checked(d.filesz as usize)?;
            data = rest;
            Some(LoadSegment {
                offset: d.offset,
                vaddr: d.vaddr,
                filesz: d.filesz,
                memsz: d.memsz,
                flags: d.flags,
                data: seg,
            })
        })
    }
}

/// The append policy: allowed URI prefixes.
#[derive(Clone, Copy, Debug)]
pub struct Policy<'a> {
    count: u32,
    data: &'a [u8],
}

impl<'a> Policy<'a> {
    fn parse(section: &'a [u8]) -> Result<Self, BundleError> {
        let bad = BundleError::BadSection(tag::POLICY);
        let mut r = Reader::new(section);
        let count = r.u32().ok_or(bad)?;
        let data = r.rest();
        let p = Policy { count, data };
        let mut n = 0u32;
        for prefix in p.prefixes() {
            if prefix.is_empty() || core::str::from_utf8(prefix).is_err() {
                return Err(bad);
            }
            n = n.checked_add(1).ok_or(bad)?;
        }
        // Every declared prefix was readable and nothing else follows.
        let mut r = Reader::new(data);
        for _ in 0..count {
            let len = r.u32().ok_or(bad)?;
            r.take(len as usize).ok_or(bad)?;
        }
        if n != count || !r.is_empty() {
            return Err(bad);
        }
        Ok(p)
    }

    /// The allowed prefixes.
    pub fn prefixes(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut r = Reader::new(self.data);
        (0..self.count).map_while(move |_| {
            let len = r.u32()?;
            r.take(len as usize)
        })
    }

    /// Number of prefixes (0: nothing may be appended).
    pub fn len(&self) -> u32 {
        self.count
    }

    /// Whether no prefix is allowed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// A parsed, validated bundle borrowing its bytes.
#[derive(Clone, Copy, Debug)]
pub struct Bundle<'a> {
    /// Layout parameters of the base (appending entries does not change them).
    pub params: LayoutParams,
    /// The writer dialect of the manifest.
    pub dialect: Dialect,
    /// The PAL.
    pub pal: BundlePal<'a>,
    /// The sections form of the manifest.
    pub sections_form: Form<'a>,
    /// The inline form, when every base entry fits inline.
    pub inline_form: Option<Form<'a>>,
    /// The whole manifest, when the base list is empty.
    pub empty_manifest: Option<&'a [u8]>,
    /// The append policy.
    pub policy: Policy<'a>,
    /// Sorted SHA-256 of the base URIs (32 bytes each).
    base_index: &'a [u8],
    /// The base entries section, if present.
    pub base_entries: Option<&'a [u8]>,
    /// The information section, if present.
    pub info: Option<&'a [u8]>,
}

impl<'a> Bundle<'a> {
    /// Parses and validates every section.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, BundleError> {
        let mut r = Reader::new(bytes);
        if r.take(8) != Some(MAGIC.as_slice()) {
            return Err(BundleError::BadMagic);
        }
        let version = r.u32().ok_or(BundleError::Truncated)?;
        if version != FORMAT_VERSION {
            return Err(BundleError::UnsupportedVersion(version));
        }
        let count = r.u32().ok_or(BundleError::Truncated)?;
        let known = [
            tag::LAYOUT,
            tag::PAL,
            tag::MANIFEST_SECTIONS,
            tag::MANIFEST_INLINE,
            tag::MANIFEST_EMPTY,
            tag::POLICY,
            tag::BASE_URI_INDEX,
            tag::BASE_ENTRIES,
            tag::INFO,
        ];
        let mut found: [Option<&'a [u8]>; 9] = [None; 9];
        for _ in 0..count {
            let t = r.u32().ok_or(BundleError::Truncated)?;
            let len = r.u32().ok_or(BundleError::Truncated)?;
            let data = r.take(len as usize).ok_or(BundleError::Truncated)?;
            match known.iter().position(|&k| k == t) {
                Some(i) => {
                    let slot = found.get_mut(i).ok_or(BundleError::UnknownSection(t))?;
                    if slot.is_some() {
                        return Err(BundleError::DuplicateSection(t));
                    }
                    *slot = Some(data);
                }
                None if t & tag::OPTIONAL != 0 => {}
                None => return Err(BundleError::UnknownSection(t)),
            }
        }
        if !r.is_empty() {
            return Err(BundleError::TrailingBytes);
        }
        let get = |t: u32| -> Option<&'a [u8]> {
            known
                .iter()
                .position(|&k| k == t)
                .and_then(|i| found.get(i).copied().flatten())
        };
        let need = |t: u32| get(t).ok_or(BundleError::MissingSection(t));

        let mut l = Reader::new(need(tag::LAYOUT)?);
        let bad = BundleError::BadSection(tag::LAYOUT);
        let vcode = l.u8().ok_or(bad)?;
        let version =
            GramineVersion::from_code(vcode).ok_or(BundleError::BadGramineVersion(vcode))?;
        let dcode = l.u8().ok_or(bad)?;
        let dialect = Dialect::from_code(dcode).ok_or(BundleError::BadDialect(dcode))?;
        let flags = l.u8().ok_or(bad)?;
        let _reserved = l.u8().ok_or(bad)?;
        let enclave_size = l.u64().ok_or(bad)?;
        let threads = l.u64().ok_or(bad)?;
        if !l.is_empty() || flags & !0b11 != 0 {
            return Err(bad);
        }
        let params = LayoutParams {
            version,
            enclave_size,
            threads,
            edmm: flags & 1 != 0,
            nonpie_binary: flags & 2 != 0,
        };

        let pal = BundlePal::parse(need(tag::PAL)?)?;
        let sections_form = parse_form(need(tag::MANIFEST_SECTIONS)?, tag::MANIFEST_SECTIONS)?;
        let inline_form = get(tag::MANIFEST_INLINE)
            .map(|d| parse_form(d, tag::MANIFEST_INLINE))
            .transpose()?;
        let empty_manifest = get(tag::MANIFEST_EMPTY);
        let policy = Policy::parse(need(tag::POLICY)?)?;

        let bad = BundleError::BadSection(tag::BASE_URI_INDEX);
        let mut ir = Reader::new(need(tag::BASE_URI_INDEX)?);
        let n = ir.u32().ok_or(bad)? as usize;
        let base_index = ir.take(n.checked_mul(32).ok_or(bad)?).ok_or(bad)?;
        if !ir.is_empty() {
            return Err(bad);
        }
        let (hashes, _) = base_index.as_chunks::<32>();
        if hashes.windows(2).any(|w| matches!(w, [a, b] if a >= b)) {
            return Err(bad);
        }

        let base_entries = get(tag::BASE_ENTRIES);
        if base_entries.is_some_and(|be| !base_entries_valid(be)) {
            return Err(BundleError::BadSection(tag::BASE_ENTRIES));
        }
        Ok(Bundle {
            params,
            dialect,
            pal,
            sections_form,
            inline_form,
            empty_manifest,
            policy,
            base_index,
            base_entries,
            info: get(tag::INFO),
        })
    }

    /// Whether the base list holds a URI with this SHA-256.
    pub fn has_base_uri_hash(&self, h: &[u8; 32]) -> bool {
        let (hashes, _) = self.base_index.as_chunks::<32>();
        hashes.binary_search(h).is_ok()
    }

    /// Number of base URIs.
    pub fn base_uri_count(&self) -> usize {
        self.base_index.len() / 32
    }

    /// The base entries (when the bundle has that section).
    pub fn base_entries(&self) -> Option<impl Iterator<Item = BaseEntry<'a>> + 'a> {
        let mut r = Reader::new(self.base_entries?);
        let count = r.u32()?;
        Some((0..count).map_while(move |_| read_base_entry(&mut r)))
    }
}

/// One base trusted file, as listed in the base entries section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BaseEntry<'a> {
    /// The URI.
    pub uri: &'a [u8],
    /// The hash, as written in the manifest.
    pub sha256: &'a [u8],
    /// Whether the base manifest had no hash for it (it was hashed when the bundle was made).
    pub hashed_by_bundle: bool,
}

fn read_base_entry<'a>(r: &mut Reader<'a>) -> Option<BaseEntry<'a>> {
    let flags = r.u8()?;
    let n = r.u32()? as usize;
    let uri = r.take(n)?;
    let m = r.u32()? as usize;
    let sha256 = r.take(m)?;
    (flags & !1 == 0).then_some(BaseEntry {
        uri,
        sha256,
        hashed_by_bundle: flags & 1 != 0,
    })
}

fn base_entries_valid(section: &[u8]) -> bool {
    let mut r = Reader::new(section);
    let Some(count) = r.u32() else { return false };
    (0..count).all(|_| read_base_entry(&mut r).is_some()) && r.is_empty()
}

/// Everything needed to write a bundle (with `alloc`).
#[cfg(feature = "alloc")]
#[derive(Clone, Debug)]
pub struct BundleBuilder<'a> {
    /// Layout parameters.
    pub params: LayoutParams,
    /// Writer dialect.
    pub dialect: Dialect,
    /// PAL entry point.
    pub pal_entry: u64,
    /// PAL segments.
    pub pal_segments: alloc::vec::Vec<LoadSegment<'a>>,
    /// Sections form.
    pub sections_form: Form<'a>,
    /// Inline form, if any.
    pub inline_form: Option<Form<'a>>,
    /// Whole manifest for an empty list, if the base list is empty.
    pub empty_manifest: Option<&'a [u8]>,
    /// Allowed prefixes.
    pub allow_prefixes: alloc::vec::Vec<&'a str>,
    /// The base entries: URI, hash, hashed by the bundle maker.
    pub base_entries: alloc::vec::Vec<(&'a str, &'a str, bool)>,
    /// Information lines.
    pub info: &'a str,
}

#[cfg(feature = "alloc")]
impl BundleBuilder<'_> {
    /// Serializes the bundle. Panics only if a section exceeds 4 GiB (a caller error).
    pub fn to_bytes(&self) -> alloc::vec::Vec<u8> {
        use alloc::vec::Vec;
        fn section(out: &mut Vec<u8>, t: u32, data: &[u8]) {
            out.extend_from_slice(&t.to_le_bytes());
            out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_le_bytes());
            out.extend_from_slice(data);
        }
        fn form(f: &Form<'_>) -> Vec<u8> {
            let mut v = Vec::with_capacity(
                f.prefix
                    .len()
                    .saturating_add(f.suffix.len())
                    .saturating_add(4),
            );
            v.extend_from_slice(&(f.prefix.len() as u32).to_le_bytes());
            v.extend_from_slice(f.prefix);
            v.extend_from_slice(f.suffix);
            v
        }
        let p = &self.params;
        let mut layout = alloc::vec![
            p.version.code(),
            self.dialect.code(),
            u8::from(p.edmm) | (u8::from(p.nonpie_binary) << 1),
            0,
        ];
        layout.extend_from_slice(&p.enclave_size.to_le_bytes());
        layout.extend_from_slice(&p.threads.to_le_bytes());

        let mut pal = Vec::new();
        pal.extend_from_slice(&self.pal_entry.to_le_bytes());
        pal.extend_from_slice(&(self.pal_segments.len() as u32).to_le_bytes());
        for s in &self.pal_segments {
            for v in [s.offset, s.vaddr, s.filesz, s.memsz] {
                pal.extend_from_slice(&v.to_le_bytes());
            }
            pal.extend_from_slice(&s.flags.to_le_bytes());
            pal.extend_from_slice(&0u32.to_le_bytes());
        }
        for s in &self.pal_segments {
            pal.extend_from_slice(s.data);
        }

        let mut policy = Vec::new();
        policy.extend_from_slice(&(self.allow_prefixes.len() as u32).to_le_bytes());
        for pre in &self.allow_prefixes {
            policy.extend_from_slice(&(pre.len() as u32).to_le_bytes());
            policy.extend_from_slice(pre.as_bytes());
        }

        let mut hashes: Vec<[u8; 32]> = self
            .base_entries
            .iter()
            .map(|(u, _, _)| crate::sha256::Sha256::digest(u.as_bytes()))
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        let mut index = Vec::new();
        index.extend_from_slice(&(hashes.len() as u32).to_le_bytes());
        for h in &hashes {
            index.extend_from_slice(h);
        }

        let mut entries = Vec::new();
        entries.extend_from_slice(&(self.base_entries.len() as u32).to_le_bytes());
        for (uri, sha, computed) in &self.base_entries {
            entries.push(u8::from(*computed));
            entries.extend_from_slice(&(uri.len() as u32).to_le_bytes());
            entries.extend_from_slice(uri.as_bytes());
            entries.extend_from_slice(&(sha.len() as u32).to_le_bytes());
            entries.extend_from_slice(sha.as_bytes());
        }

        let mut sections: Vec<(u32, Vec<u8>)> = alloc::vec![
            (tag::LAYOUT, layout),
            (tag::PAL, pal),
            (tag::MANIFEST_SECTIONS, form(&self.sections_form)),
        ];
        if let Some(f) = &self.inline_form {
            sections.push((tag::MANIFEST_INLINE, form(f)));
        }
        if let Some(m) = self.empty_manifest {
            sections.push((tag::MANIFEST_EMPTY, m.to_vec()));
        }
        sections.push((tag::POLICY, policy));
        sections.push((tag::BASE_URI_INDEX, index));
        sections.push((tag::BASE_ENTRIES, entries));
        if !self.info.is_empty() {
            sections.push((tag::INFO, self.info.as_bytes().to_vec()));
        }
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(sections.len() as u32).to_le_bytes());
        for (t, d) in &sections {
            section(&mut out, *t, d);
        }
        out
    }
}
