//! Layout plus measurement from arbitrary parameters, PAL bytes and manifest bytes: never panics,
//! never hangs (enclave size and thread count are bounded so one run stays short), and the
//! streaming result does not depend on how the manifest source is chunked.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use measure_core::elf::Elf;
use measure_core::engine::{self, SliceSource};
use measure_core::layout::LayoutParams;
use measure_core::profile::GramineVersion;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    version: u8,
    size_pages: u16,
    threads: u8,
    edmm: bool,
    nonpie: bool,
    manifest: &'a [u8],
    pal: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    let Ok(elf) = Elf::parse(input.pal) else {
        return;
    };
    let version = GramineVersion::ALL[usize::from(input.version) % GramineVersion::ALL.len()];
    let params = LayoutParams {
        version,
        // Up to 256 MiB: enough for every layout shape, small enough for fast runs.
        enclave_size: u64::from(input.size_pages) * 4096,
        threads: u64::from(input.threads % 16),
        edmm: input.edmm,
        nonpie_binary: input.nonpie,
    };
    let a = engine::mrenclave(params, &mut SliceSource::new(input.manifest), &elf);
    let b = engine::mrenclave(params, &mut SliceSource::new(input.manifest), &elf);
    assert_eq!(a, b);
});
