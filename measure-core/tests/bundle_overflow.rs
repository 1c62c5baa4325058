//! A crafted bundle whose PAL segment lies at a file offset near 2^64: the page walk would add
//! page offsets past the end of the address space (a panic with overflow checks, silently
//! dropped bytes without). It is refused when the bundle is parsed. And a TCS entry point whose
//! sum passes 2^64 before the base is subtracted.

use measure_core::append::{AppendError, mrenclave_append};
use measure_core::bundle::{Bundle, BundleBuilder, BundleError, Dialect, Form};
use measure_core::elf::LoadSegment;
use measure_core::engine::{PalImage, SliceSource, layout_for, mrenclave, tcs_page};
use measure_core::layout::LayoutParams;
use measure_core::profile::GramineVersion;

fn bundle(offset: u64, filesz: u64, memsz: u64, data: &[u8]) -> Vec<u8> {
    BundleBuilder {
        params: LayoutParams {
            version: GramineVersion::V1_9,
            enclave_size: 64 << 20,
            threads: 4,
            edmm: false,
            nonpie_binary: false,
        },
        dialect: Dialect::TomliW1,
        pal_entry: 0x1000,
        pal_segments: vec![LoadSegment {
            offset,
            vaddr: 0,
            filesz,
            memsz,
            flags: 5,
            data,
        }],
        sections_form: Form {
            prefix: b"sgx.enclave_size = \"64M\"\n",
            suffix: b"",
        },
        inline_form: None,
        empty_manifest: Some(b"sgx.enclave_size = \"64M\"\nsgx.trusted_files = []\n"),
        allow_prefixes: vec!["file:/data/"],
        base_entries: vec![],
        info: "",
    }
    .to_bytes()
}

#[test]
fn pal_segment_near_the_end_of_the_address_space_is_refused_at_parse_time() {
    let data = [0x90u8; 16];
    for (offset, memsz) in [
        (u64::MAX - 15, 0x3000),
        (u64::MAX - 0x1fff, 0x2000),
        (!0xfffu64, 0x1000),
    ] {
        let b = bundle(offset, 16, memsz, &data);
        assert_eq!(
            Bundle::parse(&b).err(),
            Some(BundleError::BadPalSegment(0)),
            "offset {offset:#x} memsz {memsz:#x}"
        );
        assert_eq!(
            mrenclave_append(&b, b"sgx-measure entries v1\n").err(),
            Some(AppendError::Bundle(BundleError::BadPalSegment(0)))
        );
    }
    // A segment whose pages end just below 2^64 is fine.
    let b = bundle((!0xfffu64) - 0x1000, 16, 0x1000, &data);
    assert!(Bundle::parse(&b).is_ok());
    assert!(mrenclave_append(&b, b"sgx-measure entries v1\n").is_ok());
}

/// A PAL given as one segment and an entry point.
struct OneSegment<'a> {
    entry: u64,
    seg: LoadSegment<'a>,
}

impl PalImage for OneSegment<'_> {
    fn entry(&self) -> u64 {
        self.entry
    }
    fn segments(&self) -> impl Iterator<Item = LoadSegment<'_>> {
        core::iter::once(self.seg)
    }
}

#[test]
fn tcs_entry_point_whose_sum_passes_2_64_is_measured_without_overflow() {
    // Up to v1.4 a PIE PAL's enclave base is sgx.enclave_size: OENTRY = PAL address + e_entry -
    // base fits in 64 bits while PAL address + e_entry does not (an overflow in `tcs_page`).
    let params = LayoutParams {
        version: GramineVersion::V1_4,
        enclave_size: 64 << 20,
        threads: 4,
        edmm: false,
        nonpie_binary: false,
    };
    let data = [0x90u8; 16];
    let seg = LoadSegment {
        offset: 0,
        vaddr: 0,
        filesz: 16,
        memsz: 0x1000,
        flags: 5,
        data: &data,
    };
    let manifest = b"sgx.enclave_size = \"64M\"\n";
    let len = manifest.len() as u64;
    let probe = layout_for(params, len, &OneSegment { entry: 0, seg }).unwrap();
    let pal = OneSegment {
        entry: u64::MAX - (probe.pal.addr - probe.enclave_base),
        seg,
    };
    let layout = layout_for(params, len, &pal).unwrap();
    assert!(layout.enclave_base > 0);
    assert!(layout.pal.addr.checked_add(pal.entry).is_none());
    let tcs = tcs_page(&layout, 0);
    let at = layout.profile.tcs.oentry;
    assert_eq!(tcs[at..at + 8], u64::MAX.to_le_bytes());
    assert!(mrenclave(params, &mut SliceSource::new(manifest), &pal).is_ok());
}
