//! The streaming measurement: walks a [`Layout`] page by page, in exactly the order of
//! `generate_measurement` in `graminelibos/sgx_sign.py`, generating each page's contents on the
//! fly and feeding ECREATE/EADD/EEXTEND records to a [`RecordSink`]. No enclave image is ever
//! built: the largest buffer is one page.
//!
//! Addresses and offsets come from a [`Layout`] that [`Layout::compute`] checked: every area lies
//! between the heap minimum and the top of the enclave (below 2^48), and PAL segments were checked
//! at parse time to end within 2^64. The page walks therefore step addresses with wrapping
//! operations, which never wrap for such a layout (and cost nothing over plain `+`).

use core::fmt;

use crate::elf::{Elf, LoadSegment};
use crate::layout::{Area, Layout, LayoutError, LayoutParams, PalExtent, rounddown, whole_pages};
use crate::measure::{EEXTEND_CHUNK, MeasurementHasher, RecordSink};
use crate::profile::secinfo;

/// Size of the pages the engine generates (Gramine's `PAGESIZE` in every version).
pub const PAGE: usize = 4096;

/// [`PAGE`] as a `u64`, for address arithmetic.
const PAGE_LEN: u64 = PAGE as u64;

/// A source of the PAL's loadable segments: a parsed ELF, or the pages stored in a bundle.
pub trait PalImage {
    /// `e_entry`.
    fn entry(&self) -> u64;
    /// The `PT_LOAD` segments in program header order.
    fn segments(&self) -> impl Iterator<Item = LoadSegment<'_>>;
}

impl PalImage for Elf<'_> {
    fn entry(&self) -> u64 {
        Elf::entry(self)
    }
    fn segments(&self) -> impl Iterator<Item = LoadSegment<'_>> {
        self.load_segments()
    }
}

/// The manifest bytes that are measured, pushed in order (so a verifier can render them twice,
/// once to learn the length and once into the hasher, instead of buffering them).
pub trait ManifestSource {
    /// Number of bytes (without the NUL Gramine appends).
    fn len(&self) -> u64;
    /// Whether there are no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Passes every byte to `out`, in order, in chunks of any size. The total must be
    /// [`ManifestSource::len`] bytes.
    fn write_to(&mut self, out: &mut dyn FnMut(&[u8])) -> Result<(), SourceError>;
}

/// A manifest source failed (for example a streamed rendering found a malformed entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceError(pub &'static str);

impl core::error::Error for SourceError {}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// A manifest held in memory.
#[derive(Clone, Copy, Debug)]
pub struct SliceSource<'a> {
    bytes: &'a [u8],
}

impl<'a> SliceSource<'a> {
    /// A source over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        SliceSource { bytes }
    }
}

impl ManifestSource for SliceSource<'_> {
    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }
    fn write_to(&mut self, out: &mut dyn FnMut(&[u8])) -> Result<(), SourceError> {
        out(self.bytes);
        Ok(())
    }
}

/// What a memory area is, as `gramine-sgx-sign --verbose` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AreaKind {
    /// `manifest`.
    Manifest,
    /// `ssa`.
    Ssa,
    /// `tcs`.
    Tcs,
    /// `tls`.
    Tls,
    /// `stack` (one per thread).
    Stack,
    /// `sig_stack` (one per thread).
    SigStack,
    /// A PAL segment with execute permission: `code`.
    Code,
    /// A PAL segment without execute permission: `data`.
    Data,
    /// Heap pages added without measuring their content: `free`.
    Free,
}

impl AreaKind {
    /// Gramine's description string.
    pub fn name(self) -> &'static str {
        match self {
            AreaKind::Manifest => "manifest",
            AreaKind::Ssa => "ssa",
            AreaKind::Tcs => "tcs",
            AreaKind::Tls => "tls",
            AreaKind::Stack => "stack",
            AreaKind::SigStack => "sig_stack",
            AreaKind::Code => "code",
            AreaKind::Data => "data",
            AreaKind::Free => "free",
        }
    }
}

/// One line of Gramine's verbose memory map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AreaEvent {
    /// What the area is.
    pub kind: AreaKind,
    /// Start address.
    pub addr: u64,
    /// Size in bytes.
    pub size: u64,
    /// SECINFO flags.
    pub flags: u64,
    /// Whether its contents are EEXTENDed.
    pub measured: bool,
}

/// Receives the memory map, in the order `gramine-sgx-sign --verbose` prints it.
pub trait AreaObserver {
    /// One area (or PAL segment) was laid out.
    fn area(&mut self, event: &AreaEvent);
}

/// An observer that ignores everything.
impl AreaObserver for () {
    fn area(&mut self, _: &AreaEvent) {}
}

/// Why a measurement failed.
///
/// Not `#[non_exhaustive]`: the C ABI maps every variant to a status code of its own, and a new
/// variant must fail to compile there until it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeasureError {
    /// The layout is impossible.
    Layout(LayoutError),
    /// The manifest source failed.
    Source(SourceError),
    /// The PAL has no loadable segment.
    NoPalSegments,
    /// The PAL's segments together cover more pages than the whole enclave (only possible with
    /// segments overlapping many times over: a hostile file that would take forever to measure).
    PalSegmentsOverlap,
}

impl From<LayoutError> for MeasureError {
    fn from(e: LayoutError) -> Self {
        MeasureError::Layout(e)
    }
}

impl From<SourceError> for MeasureError {
    fn from(e: SourceError) -> Self {
        MeasureError::Source(e)
    }
}

impl core::error::Error for MeasureError {}

impl fmt::Display for MeasureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MeasureError::Layout(e) => e.fmt(f),
            MeasureError::Source(e) => e.fmt(f),
            MeasureError::NoPalSegments => f.write_str("the PAL has no PT_LOAD segment"),
            MeasureError::PalSegmentsOverlap => f.write_str(
                "the PAL's PT_LOAD segments overlap so much that together they cover more pages than the enclave",
            ),
        }
    }
}

/// Computes the layout for a manifest of `manifest_len` bytes and this PAL.
pub fn layout_for<P: PalImage>(
    params: LayoutParams,
    manifest_len: u64,
    pal: &P,
) -> Result<Layout, MeasureError> {
    let page = params.version.profile().page_size;
    let extent = PalExtent::of_segments(pal.segments(), pal.entry(), page)
        .ok_or(MeasureError::NoPalSegments)?;
    let layout = Layout::compute(params, manifest_len, extent)?;
    // Gramine measures every segment's pages, overlapping or not. Legitimate PALs overlap by a
    // page at most; bound the total so that a hostile PAL cannot make the measurement hang.
    let enclave_pages = whole_pages(params.enclave_size, page);
    let mut segment_pages: u64 = 0;
    for seg in pal.segments() {
        let first = whole_pages(seg.vaddr, page);
        let end = seg.vaddr.saturating_add(seg.memsz).div_ceil(page);
        segment_pages = segment_pages.saturating_add(end.saturating_sub(first));
    }
    if segment_pages > enclave_pages {
        return Err(MeasureError::PalSegmentsOverlap);
    }
    Ok(layout)
}

/// Computes MRENCLAVE.
pub fn mrenclave<M: ManifestSource, P: PalImage>(
    params: LayoutParams,
    manifest: &mut M,
    pal: &P,
) -> Result<[u8; 32], MeasureError> {
    let layout = layout_for(params, manifest.len(), pal)?;
    let mut hasher = MeasurementHasher::new();
    measure(&layout, manifest, pal, &mut hasher, &mut ())?;
    Ok(hasher.finish())
}

static ZERO_PAGE: [u8; PAGE] = [0; PAGE];

struct Walker<'l, S> {
    layout: &'l Layout,
    sink: S,
}

impl<S: RecordSink> Walker<'_, S> {
    /// `include_page` with `measure=True`: EADD, then 16 EEXTENDs of 256 bytes.
    fn measured_page(&mut self, addr: u64, flags: u64, page: &[u8; PAGE]) {
        let offset = addr.wrapping_sub(self.layout.enclave_base);
        self.sink.eadd(offset, flags);
        let (chunks, _) = page.as_chunks::<EEXTEND_CHUNK>();
        let mut chunk_offset = offset;
        for chunk in chunks {
            self.sink.eextend(chunk_offset, chunk);
            chunk_offset = chunk_offset.wrapping_add(EEXTEND_CHUNK as u64);
        }
    }

    fn zero_area(&mut self, area: Area, flags: u64) {
        let mut addr = area.addr;
        while addr < area.end() {
            self.measured_page(addr, flags, &ZERO_PAGE);
            addr = addr.wrapping_add(PAGE_LEN);
        }
    }
}

fn put_u64(page: &mut [u8; PAGE], offset: usize, value: u64) {
    if let Some(dst) = page.get_mut(offset..).and_then(|p| p.get_mut(..8)) {
        dst.copy_from_slice(&value.to_le_bytes());
    }
}

fn put_u32(page: &mut [u8; PAGE], offset: usize, value: u32) {
    if let Some(dst) = page.get_mut(offset..).and_then(|p| p.get_mut(..4)) {
        dst.copy_from_slice(&value.to_le_bytes());
    }
}

/// Thread `t`'s TCS page (`gen_area_content`, `set_tcs_field`), for `t` below
/// `params.threads`.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "for t < threads each address is inside the SSA, TLS or TCS area of a computed \
              layout, between the heap minimum (>= the enclave base) and the top (< 2^48)"
)]
pub fn tcs_page(layout: &Layout, t: u64) -> [u8; PAGE] {
    let p = layout.profile;
    let base = layout.enclave_base;
    let mut page = [0u8; PAGE];
    let ssa = layout.ssa.addr + p.ssa_frame_size * p.ssa_frame_num * t;
    put_u64(&mut page, p.tcs.ossa, ssa - base);
    put_u32(&mut page, p.tcs.nssa, p.ssa_frame_num as u32);
    // Gramine adds e_entry to the PAL's load address even when the PAL is pinned at its link
    // address, where e_entry is already absolute: a pinned PAL's OENTRY points at
    // map_start + e_entry. Reproduced as is (Layout::compute checked the range).
    put_u64(
        &mut page,
        p.tcs.oentry,
        layout
            .pal
            .addr
            .wrapping_add(layout.pal_entry)
            .wrapping_sub(base),
    );
    put_u64(
        &mut page,
        p.tcs.ogs_base,
        layout.tls.addr - base + p.page_size * t,
    );
    put_u32(&mut page, p.tcs.ofs_limit, 0xfff);
    put_u32(&mut page, p.tcs.ogs_limit, 0xfff);
    page
}

/// Thread `t`'s TLS page (`gen_area_content`, `set_tls_field`), for `t` below `params.threads`.
/// Addresses here are absolute, not offsets from the base.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "for t < threads each address is inside the SSA, TLS or TCS area of a computed \
              layout, between the heap minimum (>= the enclave base) and the top (< 2^48); \
              gpr_size < ssa_frame_size (profile constants)"
)]
pub fn tls_page(layout: &Layout, t: u64) -> [u8; PAGE] {
    let p = layout.profile;
    let base = layout.enclave_base;
    let mut page = [0u8; PAGE];
    let ssa = layout.ssa.addr + p.ssa_frame_size * p.ssa_frame_num * t;
    let stack = layout.stack(t);
    let sig_stack = layout.sig_stack(t);
    put_u64(
        &mut page,
        p.tls.common_self,
        layout.tls.addr + p.page_size * t,
    );
    put_u64(
        &mut page,
        p.tls.stack_protector_canary,
        p.stack_protector_canary,
    );
    put_u64(&mut page, p.tls.enclave_size, layout.params.enclave_size);
    put_u64(
        &mut page,
        p.tls.tcs_offset,
        layout.tcs.addr - base + p.tcs_size * t,
    );
    put_u64(&mut page, p.tls.initial_stack_addr, stack.end());
    put_u64(&mut page, p.tls.sig_stack_low, sig_stack.addr);
    put_u64(&mut page, p.tls.sig_stack_high, sig_stack.end());
    put_u64(&mut page, p.tls.ssa, ssa);
    put_u64(&mut page, p.tls.gpr, ssa + p.ssa_frame_size - p.gpr_size);
    put_u64(&mut page, p.tls.manifest_size, layout.manifest_len);
    put_u64(&mut page, p.tls.heap_min, layout.heap_min);
    put_u64(&mut page, p.tls.heap_max, layout.pal.addr);
    page
}

/// SECINFO flags and verbose name of a PAL segment: REG plus R/W/X from `p_flags`
/// (`PF_R` = 4, `PF_W` = 2, `PF_X` = 1); "code" when executable.
pub fn segment_flags(p_flags: u32) -> (u64, AreaKind) {
    let mut flags = secinfo::REG;
    if p_flags & 4 != 0 {
        flags |= secinfo::R;
    }
    if p_flags & 2 != 0 {
        flags |= secinfo::W;
    }
    if p_flags & 1 != 0 {
        flags |= secinfo::X;
    }
    let kind = if flags & secinfo::X != 0 {
        AreaKind::Code
    } else {
        AreaKind::Data
    };
    (flags, kind)
}

/// One page of a PAL segment (`load_file`): the page at `page_addr` holds the file bytes that
/// start at `rounddown(p_offset) + (page_addr - rounddown(vaddr))`, restricted to
/// `[p_offset, p_offset + p_filesz)`; everything else is zero. When `p_vaddr` and `p_offset`
/// are not congruent modulo the page size, this places bytes where Gramine does (by file
/// position), not where a loader would.
pub fn segment_page(seg: &LoadSegment<'_>, page_index: u64, page: &mut [u8; PAGE]) {
    page.fill(0);
    // Parsers refuse segments whose page range ends past 2^64 (bundle.rs, elf.rs); should one
    // get here anyway, the page stays zero rather than the arithmetic overflowing.
    let Some(file_start) = page_index
        .checked_mul(PAGE_LEN)
        .and_then(|o| o.checked_add(rounddown(seg.offset, PAGE_LEN)))
    else {
        return;
    }; // file position of byte 0
    let Some(file_end) = file_start.checked_add(PAGE_LEN) else {
        return;
    };
    let data_start = seg.offset;
    let Some(data_end) = seg.offset.checked_add(seg.filesz) else {
        return;
    };
    let lo = file_start.max(data_start);
    let hi = file_end.min(data_end);
    if lo < hi {
        // data_start <= lo < hi and file_start <= lo < hi <= file_start + PAGE.
        let range = |from: u64| lo.wrapping_sub(from) as usize..hi.wrapping_sub(from) as usize;
        let src = seg.data.get(range(data_start));
        let dst = page.get_mut(range(file_start));
        if let (Some(src), Some(dst)) = (src, dst) {
            dst.copy_from_slice(src);
        }
    }
}

/// Records contributed by one measured page: its EADD and 16 EEXTENDs.
pub const RECORDS_PER_MEASURED_PAGE: u64 = 1 + (PAGE / EEXTEND_CHUNK) as u64;

/// One area of a measurement, in walk order, with its number of records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AreaSpan {
    /// What the area is.
    pub kind: AreaKind,
    /// The thread of a stack or signal stack, the PAL segment (program header order, counting
    /// `PT_LOAD`s from 0) of code or data, the slot of a free area (0: gap below a pinned PAL,
    /// 1: heap); 0 otherwise.
    pub index: u64,
    /// Start address.
    pub addr: u64,
    /// Size in bytes.
    pub size: u64,
    /// SECINFO flags of its pages.
    pub flags: u64,
    /// Whether its pages are EEXTENDed.
    pub measured: bool,
    /// Number of records it contributes.
    pub records: u64,
}

impl AreaSpan {
    /// The area's addresses.
    pub fn area(&self) -> Area {
        Area {
            addr: self.addr,
            size: self.size,
        }
    }

    fn new(kind: AreaKind, index: u64, area: Area, flags: u64, pages: u64, measured: bool) -> Self {
        AreaSpan {
            kind,
            index,
            addr: area.addr,
            size: area.size,
            flags,
            measured,
            records: if measured {
                pages.saturating_mul(RECORDS_PER_MEASURED_PAGE)
            } else {
                pages
            },
        }
    }
}

/// The areas of the measurement of `layout` with `pal`, in the order Gramine measures them (the
/// one walk [`measure`] follows): manifest, SSA, TCS, TLS, each stack, each signal stack, each
/// PAL segment (a page shared by two segments is added twice, pages between segments are not
/// added), the free areas. Empty areas are included, with 0 records.
pub fn areas<'a, P: PalImage + ?Sized>(
    layout: &'a Layout,
    pal: &'a P,
) -> impl Iterator<Item = AreaSpan> + 'a {
    let threads = layout.params.threads;
    let pages = move |a: Area| a.size / PAGE_LEN;
    let fixed = [
        AreaSpan::new(
            AreaKind::Manifest,
            0,
            layout.manifest,
            Layout::R_REG,
            pages(layout.manifest),
            true,
        ),
        AreaSpan::new(
            AreaKind::Ssa,
            0,
            layout.ssa,
            Layout::RW_REG,
            pages(layout.ssa),
            true,
        ),
        AreaSpan::new(AreaKind::Tcs, 0, layout.tcs, secinfo::TCS, threads, true),
        AreaSpan::new(AreaKind::Tls, 0, layout.tls, Layout::RW_REG, threads, true),
    ];
    let stacks = (0..threads).map(move |t| {
        let a = layout.stack(t);
        AreaSpan::new(AreaKind::Stack, t, a, Layout::RW_REG, pages(a), true)
    });
    let sig_stacks = (0..threads).map(move |t| {
        let a = layout.sig_stack(t);
        AreaSpan::new(AreaKind::SigStack, t, a, Layout::RW_REG, pages(a), true)
    });
    let bias = layout.pal_load_bias();
    let segments = pal.segments().enumerate().map(move |(i, seg)| {
        let (flags, kind) = segment_flags(seg.flags);
        let start = bias.wrapping_add(seg.vaddr);
        let m_addr = rounddown(start, PAGE_LEN);
        let m_end = start
            .saturating_add(seg.memsz)
            .div_ceil(PAGE_LEN)
            .saturating_mul(PAGE_LEN);
        let area = Area {
            addr: m_addr,
            size: m_end.saturating_sub(m_addr),
        };
        AreaSpan::new(kind, i as u64, area, flags, pages(area), true)
    });
    let free = layout
        .free
        .into_iter()
        .enumerate()
        .filter_map(move |(i, a)| {
            a.map(|a| {
                AreaSpan::new(
                    AreaKind::Free,
                    i as u64,
                    a,
                    Layout::RWX_REG,
                    pages(a),
                    false,
                )
            })
        });
    fixed
        .into_iter()
        .chain(stacks)
        .chain(sig_stacks)
        .chain(segments)
        .chain(free)
}

/// Streams the measurement of `layout` into `sink`, reporting the memory map to `observer`.
///
/// ECREATE, then the areas in [`areas`]' order (Gramine's).
pub fn measure<M, P, S, O>(
    layout: &Layout,
    manifest: &mut M,
    pal: &P,
    sink: &mut S,
    observer: &mut O,
) -> Result<(), MeasureError>
where
    M: ManifestSource + ?Sized,
    P: PalImage + ?Sized,
    S: RecordSink + ?Sized,
    O: AreaObserver + ?Sized,
{
    let p = layout.profile;
    let mut w = Walker { layout, sink };
    let mut observe = |kind, area: Area, flags, measured| {
        observer.area(&AreaEvent {
            kind,
            addr: area.addr,
            size: area.size,
            flags,
            measured,
        })
    };

    w.sink.ecreate(
        whole_pages(p.ssa_frame_size, p.page_size) as u32,
        layout.params.enclave_size,
    );

    // The manifest: its bytes, a NUL, zero padding, assembled page by page as the source pushes
    // them.
    let mut page = [0u8; PAGE];
    let mut fill = 0usize;
    let mut addr = layout.manifest.addr;
    let mut pushed: u64 = 0;
    let expected = manifest.len();
    manifest.write_to(&mut |mut chunk: &[u8]| {
        pushed = pushed.saturating_add(chunk.len() as u64);
        if pushed > expected {
            return; // reported below; never measure past the declared length
        }
        while !chunk.is_empty() {
            // fill < PAGE here, so PAGE - fill does not wrap and fill + take <= PAGE.
            let take = chunk.len().min(PAGE.wrapping_sub(fill));
            let (head, tail) = chunk.split_at(take);
            if let Some(dst) = page.get_mut(fill..).and_then(|rest| rest.get_mut(..take)) {
                dst.copy_from_slice(head);
            }
            fill = fill.wrapping_add(take);
            chunk = tail;
            if fill == PAGE {
                w.measured_page(addr, Layout::R_REG, &page);
                addr = addr.wrapping_add(PAGE_LEN);
                page.fill(0);
                fill = 0;
            }
        }
    })?;
    if pushed != expected {
        return Err(MeasureError::Source(SourceError(
            "manifest source produced a different length than it declared",
        )));
    }
    // The NUL terminator is the zero already at `fill`; the rest of the page stays zero.
    while addr < layout.manifest.end() {
        w.measured_page(addr, Layout::R_REG, &page);
        page.fill(0);
        addr = addr.wrapping_add(PAGE_LEN);
    }
    observe(AreaKind::Manifest, layout.manifest, Layout::R_REG, true);

    let mut segments = pal.segments();
    for span in areas(layout, pal) {
        let area = span.area();
        match span.kind {
            // Measured above, page by page as the source pushes it.
            AreaKind::Manifest => continue,
            AreaKind::Ssa | AreaKind::Stack | AreaKind::SigStack => w.zero_area(area, span.flags),
            AreaKind::Tcs => {
                for t in 0..layout.params.threads {
                    let addr = area.addr.wrapping_add(t.wrapping_mul(p.tcs_size));
                    w.measured_page(addr, span.flags, &tcs_page(layout, t));
                }
            }
            AreaKind::Tls => {
                for t in 0..layout.params.threads {
                    let addr = area.addr.wrapping_add(t.wrapping_mul(PAGE_LEN));
                    w.measured_page(addr, span.flags, &tls_page(layout, t));
                }
            }
            AreaKind::Code | AreaKind::Data => {
                let Some(seg) = segments.next() else { break };
                let mut addr = area.addr;
                let mut index = 0u64;
                while addr < area.end() {
                    segment_page(&seg, index, &mut page);
                    w.measured_page(addr, span.flags, &page);
                    addr = addr.wrapping_add(PAGE_LEN);
                    index = index.wrapping_add(1);
                }
            }
            AreaKind::Free => w.sink.eadd_unmeasured_range(
                area.addr.wrapping_sub(layout.enclave_base),
                area.size / PAGE_LEN,
                PAGE_LEN,
                span.flags,
            ),
        }
        observe(span.kind, area, span.flags, span.measured);
    }
    Ok(())
}
