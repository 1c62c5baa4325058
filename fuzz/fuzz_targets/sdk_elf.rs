//! Intel SGX SDK enclaves on arbitrary bytes: `SdkElf::parse`, the whole `sgx_sign` pipeline
//! (`SdkEnclave::new` with a small configuration), the measurement, the metadata and the dump
//! reader. Never panics; what it accepts is consistent: the metadata note lies in the file, the
//! measurement is deterministic and agrees with the records it streams, the signed metadata
//! reads back with the same SIGSTRUCT and enclave size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use measure_core::measure::{EEXTEND_CHUNK, RecordSink};
use measure_core::sdk::{Param, SdkConfig, SdkElf, SdkEnclave, SdkVersion, SignOptions, detect_version};

/// Counts records, and gives up (without a result) past a budget, so that a hostile file
/// declaring gigabytes of segments does not stall the fuzzer.
struct Budget {
    records: u64,
}

impl RecordSink for Budget {
    fn ecreate(&mut self, _: u32, _: u64) {
        self.records += 1;
    }
    fn eadd(&mut self, _: u64, _: u64) {
        self.records += 1;
    }
    fn eextend(&mut self, _: u64, _: &[u8; EEXTEND_CHUNK]) {
        self.records += 1;
    }
}

/// Pages the measurement would add, from the segments and the layout (an upper bound).
fn pages(e: &SdkEnclave<'_>) -> u64 {
    let seg: u64 = e
        .elf
        .segments()
        .map(|s| s.memsz.max(s.filesz) / 4096 + 2)
        .fold(0u64, u64::saturating_add);
    seg.saturating_add(e.layout.enclave_size / 4096)
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks a configuration and options; the rest is the file.
    let Some((&knobs, file)) = data.split_first() else { return };
    let _ = measure_lib::sdk::dump::read_dump(file);
    let Ok(elf) = SdkElf::parse(file) else { return };
    assert!(elf.metadata_offset() <= file.len() as u64 + u64::from(u32::MAX));
    let version = detect_version(&elf).unwrap_or(SdkVersion::ALL[usize::from(knobs % 5)]);
    let mut config = SdkConfig::new();
    config.set(Param::HeapMaxSize, 0x4000).unwrap();
    config.set(Param::StackMaxSize, 0x4000).unwrap();
    if knobs & 0x08 != 0 {
        config.set(Param::TcsNum, 2).unwrap();
        config.set(Param::TcsMaxNum, 3).unwrap();
        config.set(Param::MiscSelect, 1).unwrap();
        config.set(Param::MiscMask, 0xFFFF_FFFE).unwrap();
    }
    let mut options = SignOptions::default();
    options.elf.ignore_rel_error = knobs & 0x10 != 0;
    options.elf.ignore_init_sec_error = knobs & 0x20 != 0;
    options.resign = knobs & 0x40 != 0;
    let Ok(e) = SdkEnclave::new(elf, &config, version, options) else { return };
    assert!(e.layout.enclave_size.is_power_of_two());
    assert!(e.global_data_file_offset + version.global_data_size() as u64 <= file.len() as u64);
    if pages(&e) > 1 << 14 {
        return;
    }
    let mut count = Budget { records: 0 };
    e.measure(&mut count);
    let m = e.mrenclave();
    assert_eq!(m, e.mrenclave());
    // The metadata as sgx_sign writes it reads back.
    let css = e.enclave_css(0x2026_0101);
    let mut meta = vec![0u8; version.metadata_size()];
    e.write_metadata(&css, None, &mut meta).unwrap();
    let off = e.elf.metadata_offset() as usize;
    let mut signed = file.to_vec();
    if signed.len() < off + meta.len() {
        signed.resize(off + meta.len(), 0);
    }
    signed[off..off + meta.len()].copy_from_slice(&meta);
    if let Ok(d) = measure_lib::sdk::dump::read_dump(&signed) {
        assert_eq!(d.css().enclave_hash, m);
        assert_eq!(d.metadata[0].header.enclave_size, e.layout.enclave_size);
    }
});
