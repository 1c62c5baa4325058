//! Where two measurements part ways: the first record at which two MRENCLAVE record streams
//! differ, found without holding either stream.
//!
//! A measurement is a stream of records (ECREATE, then one EADD per page and, for measured pages,
//! sixteen EEXTENDs of 256 bytes). Here a *record* is one of those operations (an EEXTEND with its
//! 256 bytes is one record) and records are numbered from 0 (ECREATE). Two enclaves have the same
//! MRENCLAVE exactly when their streams are equal, so "why do they differ" is "where do their
//! streams first differ".
//!
//! # How the divergence is found
//!
//! Every record is a whole number of SHA-256 blocks, so the hash state after `n` records is a
//! 40-byte [`Midstate`], and two streams whose states after `n` records are equal have equal first
//! `n` records (up to a SHA-256 collision). [`find_divergence`]:
//!
//! 1. runs stream A once, saving its state every `stride` records ([`CheckpointSink`], `stride`
//!    chosen so that at most `checkpoints.len()` states are saved);
//! 2. runs stream B over the same records, comparing its state with A's at each of those counts
//!    and stopping hashing at the first difference: the divergence lies in that interval of
//!    `stride` records (or in the last, partial interval, or where the shorter stream ends);
//! 3. repeats 1-2 on that interval only, starting from the last equal state, until it holds at
//!    most `window.len()` records;
//! 4. replays that interval of both streams recording every record ([`WindowRecorder`]) with
//!    where it lies (its [`Location`]: area, thread or segment, page, chunk), and compares them.
//!
//! Records outside the interval being examined are only counted, never hashed, and the heap's
//! millions of unmeasured EADDs are skipped in constant time, so the cost is about one
//! measurement of A plus B up to the divergence. Nothing here allocates; the caller lends the
//! buffers ([`Scratch`]).
//!
//! # Where a record lies
//!
//! [`areas`] (the engine's own walk: `engine::measure` measures exactly these areas, in this
//! order) lists the areas of a measurement with the number of records each contributes, and
//! [`AreaCursor`] maps increasing record indices onto them.

use crate::engine::{self, AreaKind, ManifestSource, MeasureError, PAGE, PalImage};
use crate::layout::Layout;
use crate::measure::{EEXTEND_CHUNK, MeasurementHasher, RecordSink};
use crate::profile::Profile;
use crate::sha256::Midstate;

pub use crate::engine::{AreaSpan, RECORDS_PER_MEASURED_PAGE, areas};

/// Number of records of the measurement of `layout` with `pal` (ECREATE included).
pub fn total_records<P: PalImage + ?Sized>(layout: &Layout, pal: &P) -> u64 {
    areas(layout, pal).fold(1, |n, a| n.saturating_add(a.records))
}

/// The part of a measurement a record belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// Record 0, ECREATE.
    Ecreate,
    /// A record of this area.
    Area(AreaSpan),
    /// Past the last record.
    End,
}

/// Where a record lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    /// Its area.
    pub region: Region,
    /// Its number among the area's records (0 for ECREATE).
    pub record_in_area: u64,
}

impl Location {
    /// Position of the record's page in its area (0 for the first page), if it is in an area.
    pub fn page_in_area(&self) -> Option<u64> {
        match self.region {
            Region::Area(a) if a.measured => Some(self.record_in_area / RECORDS_PER_MEASURED_PAGE),
            Region::Area(_) => Some(self.record_in_area),
            _ => None,
        }
    }

    /// Address of the record's page, if it is in an area.
    pub fn page_addr(&self) -> Option<u64> {
        match self.region {
            Region::Area(a) => self
                .page_in_area()
                .map(|p| a.addr.wrapping_add(p.wrapping_mul(PAGE as u64))),
            _ => None,
        }
    }

    /// For an EEXTEND: which 256-byte chunk of its page (0 to 15).
    pub fn chunk(&self) -> Option<u64> {
        match self.region {
            // Record 0 of each page is its EADD.
            Region::Area(a) if a.measured => {
                (self.record_in_area % RECORDS_PER_MEASURED_PAGE).checked_sub(1)
            }
            _ => None,
        }
    }
}

/// Maps record indices, in non-decreasing order, onto the areas of [`areas`].
#[derive(Clone, Debug)]
pub struct AreaCursor<I> {
    areas: I,
    current: Option<AreaSpan>,
    /// Index of the first record of `current` (or of the next area when `current` is `None`).
    first: u64,
}

impl<I: Iterator<Item = AreaSpan>> AreaCursor<I> {
    /// A cursor at record 0.
    pub fn new(areas: I) -> Self {
        AreaCursor {
            areas,
            current: None,
            first: 1,
        }
    }

    /// Where record `index` lies. Indices must not decrease from one call to the next (an
    /// earlier index gives a wrong answer, never a panic).
    pub fn locate(&mut self, index: u64) -> Location {
        if index == 0 {
            return Location {
                region: Region::Ecreate,
                record_in_area: 0,
            };
        }
        loop {
            match self.current {
                Some(a) if index < self.first.saturating_add(a.records) => {
                    return Location {
                        region: Region::Area(a),
                        record_in_area: index.saturating_sub(self.first),
                    };
                }
                Some(a) => {
                    self.first = self.first.saturating_add(a.records);
                    self.current = None;
                }
                None => {}
            }
            match self.areas.next() {
                Some(a) => self.current = Some(a),
                None => {
                    return Location {
                        region: Region::End,
                        record_in_area: 0,
                    };
                }
            }
        }
    }
}

/// The contents of one record.
// The EEXTEND bytes are kept inline: records live in caller-lent buffers, without allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordData {
    /// ECREATE.
    Ecreate {
        /// SSA frame size in pages.
        ssa_frame_pages: u32,
        /// Enclave size in bytes.
        enclave_size: u64,
    },
    /// EADD.
    Eadd {
        /// Page offset from the enclave base.
        offset: u64,
        /// SECINFO flags.
        flags: u64,
    },
    /// EEXTEND.
    Eextend {
        /// Chunk offset from the enclave base.
        offset: u64,
        /// The 256 bytes measured.
        chunk: [u8; EEXTEND_CHUNK],
    },
}

impl RecordData {
    /// `"ECREATE"`, `"EADD"` or `"EEXTEND"`.
    pub fn name(&self) -> &'static str {
        match self {
            RecordData::Ecreate { .. } => "ECREATE",
            RecordData::Eadd { .. } => "EADD",
            RecordData::Eextend { .. } => "EEXTEND",
        }
    }
}

/// One recorded record: its index in the stream, contents and location.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// Index in the stream (0 = ECREATE).
    pub index: u64,
    /// What was measured.
    pub data: RecordData,
    /// Where it lies.
    pub location: Location,
}

impl Record {
    /// A placeholder for buffers.
    pub const EMPTY: Record = Record {
        index: 0,
        data: RecordData::Ecreate {
            ssa_frame_pages: 0,
            enclave_size: 0,
        },
        location: Location {
            region: Region::End,
            record_in_area: 0,
        },
    };
}

impl Default for Record {
    fn default() -> Self {
        Record::EMPTY
    }
}

/// A stretch of a stream: records `start..end`, and the hash state after the first `start`
/// records (equal in both streams).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    /// First record.
    pub start: u64,
    /// One past the last record.
    pub end: u64,
    /// State after records `0..start`.
    pub state: Midstate,
}

impl Interval {
    /// The whole of streams of at most `records` records.
    pub const fn whole(records: u64) -> Interval {
        Interval {
            start: 0,
            end: records,
            state: Midstate::INITIAL,
        }
    }
}

/// What a [`CheckpointSink`] saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PassResult {
    /// Checkpoints reached (states after `start + stride * (j + 1)` records, `j` below this).
    pub checkpoints: usize,
    /// Records in the whole stream.
    pub records: u64,
    /// The state after the last record hashed: after `min(end, records)` records, unless hashing
    /// stopped at a divergence.
    pub end_state: Midstate,
    /// The first checkpoint that differs from the reference (or that the reference lacks).
    pub diverged: Option<usize>,
}

/// Hashes the records of one interval, saving the state every `stride` records and, given a
/// reference (the other stream's checkpoints), stopping at the first that differs.
///
/// Over [`Interval::whole`] with no reference, `finish().end_state.finalize()` is MRENCLAVE.
#[derive(Debug)]
pub struct CheckpointSink<'c> {
    start: u64,
    end: u64,
    stride: u64,
    hasher: MeasurementHasher,
    index: u64,
    out: &'c mut [Midstate],
    reached: usize,
    reference: Option<&'c [Midstate]>,
    diverged: Option<usize>,
}

/// The stride that saves at most `capacity` checkpoints over `len` records (at least 1).
pub fn stride_for(len: u64, capacity: usize) -> u64 {
    len.div_ceil((capacity as u64).max(1)).max(1)
}

impl<'c> CheckpointSink<'c> {
    /// A sink hashing `interval`, saving checkpoints into `out` (the `j`-th after
    /// `interval.start + stride * (j + 1)` records; those beyond `out.len()` are compared but not
    /// saved) and comparing them with `reference` when given. A zero `stride` counts as 1.
    pub fn new(
        interval: Interval,
        stride: u64,
        out: &'c mut [Midstate],
        reference: Option<&'c [Midstate]>,
    ) -> Self {
        CheckpointSink {
            start: interval.start,
            end: interval.end,
            stride: stride.max(1),
            hasher: MeasurementHasher::resume(interval.state),
            index: 0,
            out,
            reached: 0,
            reference,
            diverged: None,
        }
    }

    /// Whether record `i` is hashed.
    #[inline]
    fn hashes(&self, i: u64) -> bool {
        i >= self.start && i < self.end && self.diverged.is_none()
    }

    #[inline]
    fn after_record(&mut self) {
        if self
            .index
            .wrapping_sub(self.start)
            .is_multiple_of(self.stride)
        {
            self.checkpoint();
        }
    }

    fn checkpoint(&mut self) {
        let m = self.hasher.midstate();
        let j = self.reached;
        if let Some(r) = self.reference
            && r.get(j) != Some(&m)
        {
            self.diverged = Some(j);
        }
        if let Some(slot) = self.out.get_mut(j) {
            *slot = m;
        }
        self.reached = j.saturating_add(1);
    }

    /// The result.
    pub fn finish(mut self) -> PassResult {
        PassResult {
            checkpoints: self.reached,
            records: self.index,
            end_state: self.hasher.midstate(),
            diverged: self.diverged,
        }
    }
}

impl RecordSink for CheckpointSink<'_> {
    fn ecreate(&mut self, ssa_frame_pages: u32, enclave_size: u64) {
        let i = self.index;
        self.index = i.saturating_add(1);
        if self.hashes(i) {
            self.hasher.ecreate(ssa_frame_pages, enclave_size);
            self.after_record();
        }
    }

    fn eadd(&mut self, offset: u64, flags: u64) {
        let i = self.index;
        self.index = i.saturating_add(1);
        if self.hashes(i) {
            self.hasher.eadd(offset, flags);
            self.after_record();
        }
    }

    fn eextend(&mut self, offset: u64, chunk: &[u8; EEXTEND_CHUNK]) {
        let i = self.index;
        self.index = i.saturating_add(1);
        if self.hashes(i) {
            self.hasher.eextend(offset, chunk);
            self.after_record();
        }
    }

    #[allow(
        clippy::arithmetic_side_effects,
        reason = "i < start in the first branch, start <= i < end in the second, stride >= 1 \
                  (new), n <= left"
    )]
    fn eadd_unmeasured_range(&mut self, offset: u64, count: u64, page_size: u64, flags: u64) {
        let mut off = offset;
        let mut left = count;
        while left > 0 {
            let i = self.index;
            if self.diverged.is_some() || i >= self.end {
                self.index = i.saturating_add(left);
                return;
            }
            let n = if i < self.start {
                (self.start - i).min(left)
            } else {
                let to_checkpoint = self.stride - (i - self.start) % self.stride;
                let n = left.min(to_checkpoint).min(self.end - i);
                self.hasher.eadd_unmeasured_range(off, n, page_size, flags);
                n
            };
            self.index = i.saturating_add(n);
            left -= n;
            off = off.wrapping_add(n.wrapping_mul(page_size));
            if i >= self.start {
                self.after_record();
            }
        }
    }
}

/// Records the records `start..start + buf.len()` of a stream, with their locations.
#[derive(Debug)]
pub struct WindowRecorder<'b, I> {
    start: u64,
    index: u64,
    buf: &'b mut [Record],
    len: usize,
    cursor: AreaCursor<I>,
}

impl<'b, I: Iterator<Item = AreaSpan>> WindowRecorder<'b, I> {
    /// A recorder of records from `start` on, locating them with `areas` (from [`areas`]).
    pub fn new(start: u64, buf: &'b mut [Record], areas: I) -> Self {
        WindowRecorder {
            start,
            index: 0,
            buf,
            len: 0,
            cursor: AreaCursor::new(areas),
        }
    }

    /// Number of records recorded (fewer than the buffer holds when the stream ended).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The slot of record `i`, if it is in the window.
    fn slot(&self, i: u64) -> Option<usize> {
        let k = usize::try_from(i.checked_sub(self.start)?).ok()?;
        (k < self.buf.len()).then_some(k)
    }

    fn push(&mut self, data: impl FnOnce() -> RecordData) {
        let i = self.index;
        self.index = i.saturating_add(1);
        if let Some(k) = self.slot(i) {
            let location = self.cursor.locate(i);
            if let Some(r) = self.buf.get_mut(k) {
                *r = Record {
                    index: i,
                    data: data(),
                    location,
                };
                self.len = k.wrapping_add(1); // k < buf.len()
            }
        }
    }
}

impl<I: Iterator<Item = AreaSpan>> RecordSink for WindowRecorder<'_, I> {
    fn ecreate(&mut self, ssa_frame_pages: u32, enclave_size: u64) {
        self.push(|| RecordData::Ecreate {
            ssa_frame_pages,
            enclave_size,
        });
    }

    fn eadd(&mut self, offset: u64, flags: u64) {
        self.push(|| RecordData::Eadd { offset, flags });
    }

    fn eextend(&mut self, offset: u64, chunk: &[u8; EEXTEND_CHUNK]) {
        self.push(|| RecordData::Eextend {
            offset,
            chunk: *chunk,
        });
    }

    fn eadd_unmeasured_range(&mut self, offset: u64, count: u64, page_size: u64, flags: u64) {
        let first = self.index;
        let window_end = self.start.saturating_add(self.buf.len() as u64);
        // Only the part of the range inside the window is walked record by record.
        let lo = first.max(self.start);
        let hi = first.saturating_add(count).min(window_end);
        if lo < hi {
            self.index = lo;
            let mut off = offset.wrapping_add(lo.wrapping_sub(first).wrapping_mul(page_size));
            for _ in lo..hi {
                self.eadd(off, flags);
                off = off.wrapping_add(page_size);
            }
        }
        self.index = first.saturating_add(count);
    }
}

/// One measurement to compare: a layout, its manifest source and PAL.
#[derive(Debug)]
pub struct Stream<'a, M: ?Sized, P: ?Sized> {
    /// The layout (from [`engine::layout_for`]).
    pub layout: Layout,
    /// The manifest (written once per pass).
    pub manifest: &'a mut M,
    /// The PAL.
    pub pal: &'a P,
}

impl<'a, M: ManifestSource + ?Sized, P: PalImage + ?Sized> Stream<'a, M, P> {
    /// A stream over `manifest` and `pal` laid out by `layout`.
    pub fn new(layout: Layout, manifest: &'a mut M, pal: &'a P) -> Self {
        Stream {
            layout,
            manifest,
            pal,
        }
    }

    /// Walks the whole measurement into `sink`.
    pub fn run<S: RecordSink + ?Sized>(&mut self, sink: &mut S) -> Result<(), MeasureError> {
        engine::measure(&self.layout, &mut *self.manifest, self.pal, sink, &mut ())
    }

    /// Number of records.
    pub fn total_records(&self) -> u64 {
        total_records(&self.layout, self.pal)
    }

    /// One checkpoint pass over `interval` (see [`CheckpointSink::new`]).
    pub fn checkpoint_pass(
        &mut self,
        interval: Interval,
        stride: u64,
        out: &mut [Midstate],
        reference: Option<&[Midstate]>,
    ) -> Result<PassResult, MeasureError> {
        let mut sink = CheckpointSink::new(interval, stride, out, reference);
        self.run(&mut sink)?;
        Ok(sink.finish())
    }

    /// Records `start..start + buf.len()`; returns how many the stream has there.
    pub fn record_window(&mut self, start: u64, buf: &mut [Record]) -> Result<usize, MeasureError> {
        let layout = self.layout;
        let pal: &P = self.pal;
        let mut rec = WindowRecorder::new(start, buf, areas(&layout, pal));
        self.run(&mut rec)?;
        Ok(rec.len())
    }
}

/// The first record where two streams differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// Its index.
    pub index: u64,
    /// Stream A's record there (`None`: A has ended).
    pub a: Option<Record>,
    /// Stream B's record there (`None`: B has ended).
    pub b: Option<Record>,
}

/// Buffers lent to [`find_divergence`].
#[derive(Debug)]
pub struct Scratch<'s> {
    /// Checkpoints of stream A (at least 2).
    pub checkpoints: &'s mut [Midstate],
    /// Records of stream A in the final window (at least 1).
    pub window_a: &'s mut [Record],
    /// Records of stream B in the final window (as many as `window_a`).
    pub window_b: &'s mut [Record],
}

/// Why no divergence could be computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffError {
    /// A measurement failed.
    Measure(MeasureError),
    /// Fewer than 2 checkpoints, an empty window, or windows of different sizes.
    ScratchTooSmall,
}

impl From<MeasureError> for DiffError {
    fn from(e: MeasureError) -> Self {
        DiffError::Measure(e)
    }
}

impl core::error::Error for DiffError {}

impl core::fmt::Display for DiffError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DiffError::Measure(e) => e.fmt(f),
            DiffError::ScratchTooSmall => f.write_str(
                "divergence search needs at least 2 checkpoints and equal, non-empty windows",
            ),
        }
    }
}

/// Given two checkpoint passes over `interval` with `stride` (A's checkpoints in `checkpoints_a`,
/// B compared with them), the smaller interval holding the first divergence, or `None` if the two
/// streams are equal over `interval` and have the same length.
pub fn narrow(
    interval: Interval,
    stride: u64,
    checkpoints_a: &[Midstate],
    a: &PassResult,
    b: &PassResult,
) -> Option<Interval> {
    let j = match b.diverged {
        Some(j) => j,
        None if a.checkpoints == b.checkpoints
            && a.records == b.records
            && a.end_state == b.end_state =>
        {
            return None;
        }
        None => a.checkpoints.min(b.checkpoints),
    };
    let stride = stride.max(1);
    let start = interval
        .start
        .saturating_add((j as u64).saturating_mul(stride))
        .min(interval.end);
    let state = match j.checked_sub(1) {
        None => interval.state,
        Some(k) => checkpoints_a.get(k).copied().unwrap_or(interval.state),
    };
    Some(Interval {
        start,
        end: start.saturating_add(stride).min(interval.end),
        state,
    })
}

/// The first record where the streams `a` and `b` differ, or `None` if they are equal (same
/// MRENCLAVE).
pub fn find_divergence<MA, PA, MB, PB>(
    a: &mut Stream<'_, MA, PA>,
    b: &mut Stream<'_, MB, PB>,
    scratch: &mut Scratch<'_>,
) -> Result<Option<Divergence>, DiffError>
where
    MA: ManifestSource + ?Sized,
    PA: PalImage + ?Sized,
    MB: ManifestSource + ?Sized,
    PB: PalImage + ?Sized,
{
    let total = a.total_records().max(b.total_records());
    find_divergence_in(a, b, Interval::whole(total), scratch)
}

/// [`find_divergence`] restricted to `interval`: the streams are known to be equal before
/// `interval.start` (their state there is `interval.state`), and either to differ within it or,
/// when `interval.end` is at least the longer stream's length, to be possibly equal.
pub fn find_divergence_in<MA, PA, MB, PB>(
    a: &mut Stream<'_, MA, PA>,
    b: &mut Stream<'_, MB, PB>,
    mut interval: Interval,
    scratch: &mut Scratch<'_>,
) -> Result<Option<Divergence>, DiffError>
where
    MA: ManifestSource + ?Sized,
    PA: PalImage + ?Sized,
    MB: ManifestSource + ?Sized,
    PB: PalImage + ?Sized,
{
    let window = scratch.window_a.len();
    if scratch.checkpoints.len() < 2 || window == 0 || scratch.window_b.len() != window {
        return Err(DiffError::ScratchTooSmall);
    }
    loop {
        let len = interval.end.saturating_sub(interval.start);
        if len <= window as u64 {
            return compare_windows(a, b, interval.start, scratch);
        }
        let stride = stride_for(len, scratch.checkpoints.len());
        let pa = a.checkpoint_pass(interval, stride, scratch.checkpoints, None)?;
        let saved = scratch
            .checkpoints
            .get(..pa.checkpoints)
            .unwrap_or(scratch.checkpoints);
        let pb = b.checkpoint_pass(interval, stride, &mut [], Some(saved))?;
        match narrow(interval, stride, scratch.checkpoints, &pa, &pb) {
            Some(next) => interval = next,
            None => return Ok(None),
        }
    }
}

/// Records the window at `start` of both streams and compares them record by record.
fn compare_windows<MA, PA, MB, PB>(
    a: &mut Stream<'_, MA, PA>,
    b: &mut Stream<'_, MB, PB>,
    start: u64,
    scratch: &mut Scratch<'_>,
) -> Result<Option<Divergence>, DiffError>
where
    MA: ManifestSource + ?Sized,
    PA: PalImage + ?Sized,
    MB: ManifestSource + ?Sized,
    PB: PalImage + ?Sized,
{
    let na = a.record_window(start, scratch.window_a)?;
    let nb = b.record_window(start, scratch.window_b)?;
    let wa = scratch.window_a.get(..na).unwrap_or(&[]);
    let wb = scratch.window_b.get(..nb).unwrap_or(&[]);
    for (ra, rb) in wa.iter().zip(wb) {
        if ra.data != rb.data {
            return Ok(Some(Divergence {
                index: ra.index,
                a: Some(*ra),
                b: Some(*rb),
            }));
        }
    }
    if na == nb {
        return Ok(None);
    }
    let k = na.min(nb);
    Ok(Some(Divergence {
        index: start.saturating_add(k as u64),
        a: wa.get(k).copied(),
        b: wb.get(k).copied(),
    }))
}

/// Owned buffers for [`find_divergence`] (with `alloc`).
#[cfg(feature = "alloc")]
#[derive(Clone, Debug)]
pub struct ScratchBuf {
    checkpoints: alloc::vec::Vec<Midstate>,
    window_a: alloc::vec::Vec<Record>,
    window_b: alloc::vec::Vec<Record>,
}

#[cfg(feature = "alloc")]
impl ScratchBuf {
    /// Room for `checkpoints` states (at least 2) and windows of `window` records (at least 1).
    pub fn new(checkpoints: usize, window: usize) -> Self {
        ScratchBuf {
            checkpoints: alloc::vec![Midstate::INITIAL; checkpoints.max(2)],
            window_a: alloc::vec![Record::EMPTY; window.max(1)],
            window_b: alloc::vec![Record::EMPTY; window.max(1)],
        }
    }

    /// The buffers, lent.
    pub fn scratch(&mut self) -> Scratch<'_> {
        Scratch {
            checkpoints: &mut self.checkpoints,
            window_a: &mut self.window_a,
            window_b: &mut self.window_b,
        }
    }
}

/// The name of the field at `byte` in a TCS or TLS page as the engine fills them (Gramine's
/// `TCS_*` / `SGX_*` names, lower case), or `None` for other areas and bytes outside a field.
pub fn page_field(kind: AreaKind, profile: &Profile, byte: usize) -> Option<&'static str> {
    let within = |at: usize, len: usize| byte >= at && byte < at.saturating_add(len);
    match kind {
        AreaKind::Tcs => {
            let t = &profile.tcs;
            [
                (t.ossa, 8, "ossa"),
                (t.nssa, 4, "nssa"),
                (t.oentry, 8, "oentry"),
                (t.ogs_base, 8, "ogs_base"),
                (t.ofs_limit, 4, "ofs_limit"),
                (t.ogs_limit, 4, "ogs_limit"),
            ]
            .into_iter()
            .find(|&(at, len, _)| within(at, len))
            .map(|(_, _, name)| name)
        }
        AreaKind::Tls => {
            let t = &profile.tls;
            [
                (t.common_self, "common.self"),
                (t.stack_protector_canary, "common.stack_protector_canary"),
                (t.enclave_size, "enclave_size"),
                (t.tcs_offset, "tcs_offset"),
                (t.initial_stack_addr, "initial_stack_addr"),
                (t.sig_stack_low, "sig_stack_low"),
                (t.sig_stack_high, "sig_stack_high"),
                (t.ssa, "ssa"),
                (t.gpr, "gpr"),
                (t.manifest_size, "manifest_size"),
                (t.heap_min, "heap_min"),
                (t.heap_max, "heap_max"),
            ]
            .into_iter()
            .find(|&(at, _)| within(at, 8))
            .map(|(_, name)| name)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::LoadSegment;
    use crate::engine::{AreaEvent, AreaObserver, SliceSource};
    use crate::layout::LayoutParams;
    use crate::profile::GramineVersion;
    use std::vec::Vec;

    struct Pal(Vec<u8>);
    impl PalImage for Pal {
        fn entry(&self) -> u64 {
            0x40
        }
        fn segments(&self) -> impl Iterator<Item = LoadSegment<'_>> {
            [
                LoadSegment {
                    offset: 0,
                    vaddr: 0,
                    filesz: 0x1800,
                    memsz: 0x1800,
                    flags: 5,
                    data: self.0.get(..0x1800).unwrap_or(&[]),
                },
                LoadSegment {
                    offset: 0x1800,
                    vaddr: 0x2800,
                    filesz: 0x800,
                    memsz: 0x3000,
                    flags: 6,
                    data: self.0.get(0x1800..0x2000).unwrap_or(&[]),
                },
            ]
            .into_iter()
        }
    }

    #[derive(Default)]
    struct Events(Vec<AreaEvent>);
    impl AreaObserver for Events {
        fn area(&mut self, e: &AreaEvent) {
            self.0.push(*e);
        }
    }

    #[derive(Default)]
    struct Count(u64);
    impl RecordSink for Count {
        fn ecreate(&mut self, _: u32, _: u64) {
            self.0 += 1;
        }
        fn eadd(&mut self, _: u64, _: u64) {
            self.0 += 1;
        }
        fn eextend(&mut self, _: u64, _: &[u8; 256]) {
            self.0 += 1;
        }
    }

    fn layout(threads: u64, manifest: &[u8], pal: &Pal) -> Layout {
        let params = LayoutParams {
            version: GramineVersion::V1_9,
            enclave_size: 4 << 20,
            threads,
            edmm: false,
            nonpie_binary: false,
        };
        engine::layout_for(params, manifest.len() as u64, pal).unwrap()
    }

    #[test]
    fn areas_match_the_engine_events_and_counts() {
        let pal = Pal((0..0x2000).map(|i| i as u8).collect());
        for threads in [0, 1, 3] {
            let m = [b'x'; 5000];
            let l = layout(threads, &m, &pal);
            let mut ev = Events::default();
            let mut count = Count::default();
            engine::measure(&l, &mut SliceSource::new(&m), &pal, &mut count, &mut ev).unwrap();
            let spans: Vec<AreaEvent> = areas(&l, &pal)
                .map(|a| AreaEvent {
                    kind: a.kind,
                    addr: a.addr,
                    size: a.size,
                    flags: a.flags,
                    measured: a.measured,
                })
                .collect();
            assert_eq!(spans, ev.0);
            assert_eq!(total_records(&l, &pal), count.0);
        }
    }

    #[test]
    fn checkpoints_over_the_whole_stream_give_mrenclave() {
        let pal = Pal((0..0x2000).map(|i| i as u8).collect());
        let m = *b"[sgx]\n";
        let l = layout(2, &m, &pal);
        let total = total_records(&l, &pal);
        let mut cps = [Midstate::INITIAL; 7];
        let mut src = SliceSource::new(&m);
        let mut s = Stream::new(l, &mut src, &pal);
        let stride = stride_for(total, cps.len());
        let r = s
            .checkpoint_pass(Interval::whole(u64::MAX), stride, &mut cps, None)
            .unwrap();
        assert_eq!(r.records, total);
        assert!(r.checkpoints <= 7);
        let want = engine::mrenclave(l.params, &mut SliceSource::new(&m), &pal).unwrap();
        assert_eq!(r.end_state.finalize(), want);
    }

    #[test]
    fn finds_a_changed_pal_byte_in_its_chunk() {
        let bytes: Vec<u8> = (0..0x2000).map(|i| i as u8).collect();
        let mut changed = bytes.clone();
        changed[0x1900] ^= 1; // second segment, file offset 0x1900
        let (pa, pb) = (Pal(bytes), Pal(changed));
        let m = *b"[sgx]\n";
        let (la, lb) = (layout(1, &m, &pa), layout(1, &m, &pb));
        let (mut ma, mut mb) = (SliceSource::new(&m), SliceSource::new(&m));
        let mut a = Stream::new(la, &mut ma, &pa);
        let mut b = Stream::new(lb, &mut mb, &pb);
        let mut buf = ScratchBuf::new(4, 16);
        let d = find_divergence(&mut a, &mut b, &mut buf.scratch())
            .unwrap()
            .unwrap();
        let ra = d.a.unwrap();
        let Region::Area(area) = ra.location.region else {
            panic!("{ra:?}")
        };
        assert_eq!((area.kind, area.index), (AreaKind::Data, 1));
        // Segment 1 starts at vaddr 0x2800 (page 0x2000), file offset 0x1800 (page 0x1000):
        // file byte 0x1900 is in the segment's first page, chunk 0x900 / 256 = 9.
        assert_eq!(ra.location.page_in_area(), Some(0));
        assert_eq!(ra.location.chunk(), Some(9));
        assert!(matches!(ra.data, RecordData::Eextend { .. }));
        // Identical streams: no divergence.
        let mut mc = SliceSource::new(&m);
        let mut c = Stream::new(la, &mut mc, &pa);
        let mut md = SliceSource::new(&m);
        let mut d2 = Stream::new(la, &mut md, &pa);
        assert_eq!(
            find_divergence(&mut c, &mut d2, &mut buf.scratch()).unwrap(),
            None
        );
    }

    #[test]
    fn field_names() {
        let p = GramineVersion::V1_9.profile();
        assert_eq!(page_field(AreaKind::Tls, p, 0x1a3), Some("manifest_size"));
        assert_eq!(page_field(AreaKind::Tcs, p, 0x20), Some("oentry"));
        assert_eq!(page_field(AreaKind::Tls, p, 0x800), None);
        assert_eq!(page_field(AreaKind::Stack, p, 0), None);
    }
}
