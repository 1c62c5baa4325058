//! A crafted bundle whose PAL segment lies at a file offset near 2^64: the page walk would add
//! page offsets past the end of the address space (a panic with overflow checks, silently
//! dropped bytes without). It is refused when the bundle is parsed.

use measure_core::append::{AppendError, mrenclave_append};
use measure_core::bundle::{Bundle, BundleBuilder, BundleError, Dialect, Form};
use measure_core::elf::LoadSegment;
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
