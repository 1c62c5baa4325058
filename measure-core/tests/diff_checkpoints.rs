//! Property tests of `measure_core::diff`: the divergence found through checkpoints (with tiny
//! checkpoint and window buffers, so that the search narrows over several levels) is the one found
//! by comparing the full record lists, on small random layouts and random one-input changes; and
//! every record's location agrees with its offset.

use measure_core::diff::{
    AreaSpan, Record, RecordData, Region, ScratchBuf, Stream, areas, find_divergence, total_records,
};
use measure_core::elf::LoadSegment;
use measure_core::engine::{self, PalImage, SliceSource};
use measure_core::layout::{Layout, LayoutParams};
use measure_core::measure::RecordSink;
use measure_core::profile::GramineVersion;
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct Seg {
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
    flags: u32,
}

#[derive(Clone, Debug)]
struct Pal {
    entry: u64,
    segments: Vec<Seg>,
    file: Vec<u8>,
}

impl PalImage for Pal {
    fn entry(&self) -> u64 {
        self.entry
    }
    fn segments(&self) -> impl Iterator<Item = LoadSegment<'_>> {
        self.segments.iter().map(|s| LoadSegment {
            offset: s.offset,
            vaddr: s.vaddr,
            filesz: s.filesz,
            memsz: s.memsz,
            flags: s.flags,
            data: &self.file[s.offset as usize..(s.offset + s.filesz) as usize],
        })
    }
}

fn pal_strategy() -> impl Strategy<Value = Pal> {
    (
        prop::collection::vec(
            (
                0u64..0x3000,
                0u64..0x2000,
                0u64..0x2000,
                0u64..0x2000,
                0u32..8,
            ),
            1..4,
        ),
        prop_oneof![Just(0u64), 0x8000u64..0x40000u64],
        0u64..0x4000,
        any::<u8>(),
    )
        .prop_map(|(segs, pin, entry, seed)| {
            let mut file_len = 0u64;
            let mut vaddr = pin;
            let segments: Vec<Seg> = segs
                .into_iter()
                .map(|(off, gap, filesz, extra, flags)| {
                    let s = Seg {
                        offset: off,
                        vaddr: vaddr + gap % 0x1800,
                        filesz,
                        memsz: filesz + extra,
                        flags,
                    };
                    vaddr = s.vaddr + s.memsz / 2;
                    file_len = file_len.max(off + filesz);
                    s
                })
                .collect();
            let file = (0..file_len)
                .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
                .collect();
            Pal {
                entry,
                segments,
                file,
            }
        })
}

/// Every record, in order.
#[derive(Default)]
struct Collect(Vec<RecordData>);

impl RecordSink for Collect {
    fn ecreate(&mut self, ssa_frame_pages: u32, enclave_size: u64) {
        self.0.push(RecordData::Ecreate {
            ssa_frame_pages,
            enclave_size,
        });
    }
    fn eadd(&mut self, offset: u64, flags: u64) {
        self.0.push(RecordData::Eadd { offset, flags });
    }
    fn eextend(&mut self, offset: u64, chunk: &[u8; 256]) {
        self.0.push(RecordData::Eextend {
            offset,
            chunk: *chunk,
        });
    }
}

#[derive(Clone, Debug)]
struct Input {
    params: LayoutParams,
    manifest: Vec<u8>,
    pal: Pal,
}

/// One change to an input (or none).
#[derive(Clone, Debug)]
enum Change {
    None,
    ManifestByte(prop::sample::Index, u8),
    ManifestLen(usize),
    Threads(u64),
    EnclavePages(u64),
    Edmm,
    PalByte(prop::sample::Index),
    SegmentFlags(prop::sample::Index),
    Entry(u64),
}

fn change_strategy() -> impl Strategy<Value = Change> {
    prop_oneof![
        Just(Change::None),
        (any::<prop::sample::Index>(), 1u8..=255).prop_map(|(i, x)| Change::ManifestByte(i, x)),
        (0usize..6000).prop_map(Change::ManifestLen),
        (0u64..4).prop_map(Change::Threads),
        (600u64..2048).prop_map(Change::EnclavePages),
        Just(Change::Edmm),
        any::<prop::sample::Index>().prop_map(Change::PalByte),
        any::<prop::sample::Index>().prop_map(Change::SegmentFlags),
        (0u64..0x4000).prop_map(Change::Entry),
    ]
}

fn apply(input: &Input, change: &Change) -> Input {
    let mut b = input.clone();
    match change {
        Change::None => {}
        Change::ManifestByte(i, x) => {
            if !b.manifest.is_empty() {
                let k = i.index(b.manifest.len());
                b.manifest[k] ^= x;
            }
        }
        Change::ManifestLen(n) => b.manifest.resize(*n, b'#'),
        Change::Threads(t) => b.params.threads = *t,
        Change::EnclavePages(p) => b.params.enclave_size = p * 4096,
        Change::Edmm => b.params.edmm = !b.params.edmm,
        Change::PalByte(i) => {
            if !b.pal.file.is_empty() {
                let k = i.index(b.pal.file.len());
                b.pal.file[k] ^= 0x80;
            }
        }
        Change::SegmentFlags(i) => {
            let k = i.index(b.pal.segments.len());
            b.pal.segments[k].flags ^= 1;
        }
        Change::Entry(e) => b.pal.entry = *e,
    }
    b
}

fn layout(i: &Input) -> Option<Layout> {
    engine::layout_for(i.params, i.manifest.len() as u64, &i.pal).ok()
}

fn records(i: &Input, l: &Layout) -> Vec<RecordData> {
    let mut c = Collect::default();
    engine::measure(
        l,
        &mut SliceSource::new(&i.manifest),
        &i.pal,
        &mut c,
        &mut (),
    )
    .unwrap();
    c.0
}

/// The record's location agrees with what it measures.
fn check_location(r: &Record, l: &Layout) -> Result<(), TestCaseError> {
    let base = l.enclave_base;
    match (r.data, r.location.region) {
        (RecordData::Ecreate { .. }, region) => prop_assert_eq!(region, Region::Ecreate),
        (RecordData::Eadd { offset, flags }, Region::Area(a)) => {
            prop_assert_eq!(r.location.page_addr().map(|p| p - base), Some(offset));
            prop_assert_eq!(r.location.chunk(), None);
            prop_assert_eq!(a.flags, flags);
        }
        (RecordData::Eextend { offset, .. }, Region::Area(a)) => {
            let chunk = r.location.chunk();
            prop_assert!(chunk.is_some() && a.measured);
            prop_assert_eq!(
                r.location
                    .page_addr()
                    .map(|p| p - base + chunk.unwrap_or(0) * 256),
                Some(offset)
            );
        }
        (data, region) => prop_assert!(false, "{data:?} located in {region:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, .. ProptestConfig::default() })]

    #[test]
    fn checkpoint_search_equals_full_comparison(
        threads in 0u64..4,
        size_pages in prop_oneof![Just(1024u64), 600u64..2048],
        edmm in any::<bool>(),
        legacy in any::<bool>(),
        nonpie in any::<bool>(),
        manifest in prop::collection::vec(any::<u8>(), 0..6000),
        pal in pal_strategy(),
        change in change_strategy(),
        checkpoints in 2usize..9,
        window in 1usize..12,
    ) {
        let version = if legacy { GramineVersion::V1_4 } else { GramineVersion::V1_9 };
        let a = Input {
            params: LayoutParams { version, enclave_size: size_pages * 4096, threads, edmm, nonpie_binary: nonpie },
            manifest,
            pal,
        };
        let b = apply(&a, &change);
        let (Some(la), Some(lb)) = (layout(&a), layout(&b)) else { return Ok(()) };
        let (ra, rb) = (records(&a, &la), records(&b, &lb));
        prop_assert_eq!(ra.len() as u64, total_records(&la, &a.pal));
        prop_assert_eq!(rb.len() as u64, total_records(&lb, &b.pal));
        let want = ra
            .iter()
            .zip(&rb)
            .position(|(x, y)| x != y)
            .or((ra.len() != rb.len()).then_some(ra.len().min(rb.len())));

        let (mut ma, mut mb) = (SliceSource::new(&a.manifest), SliceSource::new(&b.manifest));
        let mut sa = Stream::new(la, &mut ma, &a.pal);
        let mut sb = Stream::new(lb, &mut mb, &b.pal);
        let mut buf = ScratchBuf::new(checkpoints, window);
        let found = find_divergence(&mut sa, &mut sb, &mut buf.scratch()).unwrap();
        prop_assert_eq!(found.map(|d| d.index as usize), want);
        if let (Some(d), Some(k)) = (found, want) {
            prop_assert_eq!(d.a.map(|r| r.data), ra.get(k).copied());
            prop_assert_eq!(d.b.map(|r| r.data), rb.get(k).copied());
            if let Some(r) = d.a { check_location(&r, &la)?; }
            if let Some(r) = d.b { check_location(&r, &lb)?; }
        }
    }

    /// Every record of a whole stream, recorded in one window, sits where its offset says.
    #[test]
    fn every_location_agrees_with_its_record(
        threads in 0u64..3,
        size_pages in 600u64..1200,
        manifest in prop::collection::vec(any::<u8>(), 0..5000),
        pal in pal_strategy(),
    ) {
        let a = Input {
            params: LayoutParams { version: GramineVersion::V1_9, enclave_size: size_pages * 4096, threads, edmm: false, nonpie_binary: false },
            manifest,
            pal,
        };
        let Some(l) = layout(&a) else { return Ok(()) };
        let total = total_records(&l, &a.pal) as usize;
        let mut buf = vec![Record::EMPTY; total + 3];
        let mut m = SliceSource::new(&a.manifest);
        let n = Stream::new(l, &mut m, &a.pal).record_window(0, &mut buf).unwrap();
        prop_assert_eq!(n, total);
        let spans: Vec<AreaSpan> = areas(&l, &a.pal).collect();
        for r in &buf[..n] {
            check_location(r, &l)?;
            if let Region::Area(s) = r.location.region {
                prop_assert!(spans.contains(&s));
            }
        }
    }
}
