//! Property tests: the streaming engine equals the naive reference on random layouts, and the
//! resumable state resumes exactly.

mod reference;

use measure_core::elf::LoadSegment;
use measure_core::engine::{PalImage, SliceSource, mrenclave};
use measure_core::layout::LayoutParams;
use measure_core::measure::{MeasurementHasher, RecordSink};
use measure_core::profile::GramineVersion;
use measure_core::sha256::{Midstate, Sha256};
use proptest::prelude::*;
use reference::{RefPal, RefParams, RefSegment};

struct TestPal<'a>(&'a RefPal);

impl PalImage for TestPal<'_> {
    fn entry(&self) -> u64 {
        self.0.entry
    }
    fn segments(&self) -> impl Iterator<Item = LoadSegment<'_>> {
        self.0.segments.iter().map(|s| LoadSegment {
            offset: s.offset,
            vaddr: s.vaddr,
            filesz: s.filesz,
            memsz: s.memsz,
            flags: s.flags,
            data: &self.0.file[s.offset as usize..(s.offset + s.filesz) as usize],
        })
    }
}

/// A PAL of 1 to 4 segments, possibly pinned (non-zero lowest vaddr), possibly with vaddr and
/// offset not congruent, possibly sharing pages.
fn pal_strategy() -> impl Strategy<Value = RefPal> {
    (
        prop::collection::vec(
            (
                0u64..0x6000,
                0u64..0x3000,
                0u64..0x3000,
                0u64..0x2000,
                0u32..8,
            ),
            1..5,
        ),
        prop_oneof![Just(0u64), 0x8000u64..0x40000u64],
        0u64..0x8000,
        any::<u8>(),
    )
        .prop_map(|(segs, pin, entry, seed)| {
            let mut file_len = 0u64;
            let mut vaddr = pin;
            let segments: Vec<RefSegment> = segs
                .into_iter()
                .map(|(off, gap, filesz, extra, flags)| {
                    let s = RefSegment {
                        offset: off,
                        vaddr: vaddr + gap % 0x1800,
                        filesz,
                        memsz: filesz + extra,
                        flags,
                    };
                    vaddr = s.vaddr + s.memsz / 2; // overlaps allowed: pages shared by segments
                    file_len = file_len.max(off + filesz);
                    s
                })
                .collect();
            let file = (0..file_len)
                .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
                .collect();
            RefPal {
                entry,
                segments,
                file,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn streaming_equals_reference(
        threads in 0u64..6,
        size_pages in prop_oneof![Just(1024u64), Just(4096u64), 600u64..4096],
        edmm in any::<bool>(),
        legacy in any::<bool>(),
        nonpie in any::<bool>(),
        manifest in prop::collection::vec(any::<u8>(), 0..9000),
        pal in pal_strategy(),
    ) {
        let enclave_size = size_pages * 4096;
        let version = if legacy { GramineVersion::V1_4 } else { GramineVersion::V1_9 };
        let params = LayoutParams { version, enclave_size, threads, edmm: edmm && !legacy, nonpie_binary: nonpie };
        let rp = RefParams { legacy_base: legacy, nonpie, enclave_size, threads, edmm: edmm && !legacy };
        let want = reference::mrenclave(&rp, &manifest, &pal);
        let have = mrenclave(params, &mut SliceSource::new(&manifest), &TestPal(&pal));
        match (want, have) {
            (Ok(w), Ok(h)) => prop_assert_eq!(w, h),
            (Err(_), Err(_)) => {}
            (w, h) => prop_assert!(false, "reference {:?} vs streaming {:?}", w, h),
        }
    }

    #[test]
    fn midstate_resume_equals_one_shot(data in prop::collection::vec(any::<u8>(), 0..2000), split in any::<prop::sample::Index>()) {
        let blocks = data.len() / 64;
        let (whole, _) = data.as_chunks::<64>();
        let at = split.index(blocks + 1);
        let mut one = Midstate::INITIAL;
        one.compress(whole);
        let mut first = Midstate::INITIAL;
        first.compress(&whole[..at]);
        let mut resumed = Midstate::from_bytes(&first.to_bytes());
        resumed.compress(&whole[at..]);
        prop_assert_eq!(resumed, one);
        prop_assert_eq!(resumed.finalize(), Sha256::digest(&data[..blocks * 64]));
    }

    #[test]
    fn hasher_resume_equals_one_shot(
        records in prop::collection::vec((0u8..3, any::<u64>(), any::<u64>(), any::<u8>()), 0..300),
        split in any::<prop::sample::Index>(),
    ) {
        let apply = |h: &mut MeasurementHasher, r: &(u8, u64, u64, u8)| match r.0 {
            0 => h.eadd(r.1, r.2),
            1 => h.eextend(r.1, &[r.3; 256]),
            _ => h.eadd_unmeasured_range(r.1, r.2 % 100, 4096, 0x207),
        };
        let mut one = MeasurementHasher::new();
        one.ecreate(4, 1 << 28);
        records.iter().for_each(|r| apply(&mut one, r));
        let at = split.index(records.len() + 1);
        let mut first = MeasurementHasher::new();
        first.ecreate(4, 1 << 28);
        records[..at].iter().for_each(|r| apply(&mut first, r));
        let saved = first.midstate().to_bytes();
        let mut second = MeasurementHasher::resume(Midstate::from_bytes(&saved));
        records[at..].iter().for_each(|r| apply(&mut second, r));
        prop_assert_eq!(second.finish(), one.finish());
    }
}

fn ref_pal_from_elf(file: &[u8]) -> RefPal {
    let elf = measure_core::elf::Elf::parse(file).expect("valid ELF");
    let segments = elf
        .load_segments()
        .map(|s| RefSegment {
            offset: s.offset,
            vaddr: s.vaddr,
            filesz: s.filesz,
            memsz: s.memsz,
            flags: s.flags,
        })
        .collect();
    RefPal {
        entry: elf.entry(),
        segments,
        file: file.to_vec(),
    }
}

/// The reference itself reproduces Gramine on real vectors (so agreement with it means something):
/// default layout, big BSS, many segments, pinned PALs (high and below MMAP_MIN_ADDR), a page
/// shared by two segments, and the v1.4 base rule.
#[test]
fn reference_matches_oracle_vectors() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/vectors/public");
    let cases = [
        (
            "p01-defaults-empty",
            "v1.9_tomliw-1.2.0",
            "pal-basic.so",
            false,
            4,
        ),
        (
            "p30-pal-bigbss",
            "v1.9_tomliw-1.2.0",
            "pal-bigbss.so",
            false,
            2,
        ),
        (
            "p31-pal-multiseg",
            "v1.9_tomliw-1.2.0",
            "pal-multiseg.so",
            false,
            2,
        ),
        (
            "p32-pal-fixedaddr",
            "v1.9_tomliw-1.2.0",
            "pal-fixedaddr.so",
            false,
            4,
        ),
        (
            "p33-pal-fixed-low",
            "v1.9_tomliw-1.2.0",
            "pal-fixed-low.so",
            false,
            1,
        ),
        (
            "p34-pal-sharedpage",
            "v1.9_tomliw-1.2.0",
            "pal-sharedpage.so",
            false,
            1,
        ),
        (
            "p01-defaults-empty",
            "v1.4_tomliw-1.2.0",
            "pal-basic.so",
            true,
            4,
        ),
    ];
    for (case, dir, pal, legacy, threads) in cases {
        let exp = root.join(case).join("expected").join(dir);
        let manifest = std::fs::read(exp.join("out.manifest.sgx")).unwrap();
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(exp.join("meta.json")).unwrap()).unwrap();
        let stdout = std::fs::read_to_string(exp.join("sign.stdout")).unwrap();
        let size_line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with("size:"))
            .unwrap();
        let size = u64::from_str_radix(size_line.split("0x").nth(1).unwrap().trim(), 16).unwrap();
        let pal = ref_pal_from_elf(&std::fs::read(root.join("elf").join(pal)).unwrap());
        let p = RefParams {
            legacy_base: legacy,
            nonpie: false,
            enclave_size: size,
            threads,
            edmm: false,
        };
        let got = reference::mrenclave(&p, &manifest, &pal).unwrap();
        let hex: String = got.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, meta["mrenclave"].as_str().unwrap(), "{case} {dir}");
    }
}
