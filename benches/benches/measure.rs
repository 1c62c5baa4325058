//! Criterion benchmarks of the measurement engine (in process, no file I/O).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use measure_core::elf::Elf;
use measure_core::engine::{self, SliceSource};
use measure_core::layout::LayoutParams;
use measure_core::measure::{MeasurementHasher, RecordSink};
use measure_core::profile::GramineVersion;

fn testdata(rel: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn params(enclave_size: u64, threads: u64, edmm: bool) -> LayoutParams {
    LayoutParams {
        version: GramineVersion::V1_9,
        enclave_size,
        threads,
        edmm,
        nonpie_binary: false,
    }
}

fn bench_engine(c: &mut Criterion) {
    let manifest =
        testdata("vectors/public/p01-defaults-empty/expected/v1.9_tomliw-1.2.0/out.manifest.sgx");
    let pal_large = testdata("vectors/public/elf/pal-large.so");
    let pal_basic = testdata("vectors/public/elf/pal-basic.so");
    let large = Elf::parse(&pal_large).expect("pal-large.so");
    let basic = Elf::parse(&pal_basic).expect("pal-basic.so");

    let mut g = c.benchmark_group("mrenclave");
    g.sample_size(20);
    // TIMINGS.md case (a): default manifest, 256M, 4 threads, ~1.5 MB PAL.
    g.bench_function("default-256M-4t-pal-large", |b| {
        b.iter(|| {
            engine::mrenclave(
                params(256 << 20, 4, false),
                &mut SliceSource::new(&manifest),
                black_box(&large),
            )
        })
    });
    // 4G, 64 threads, no EDMM: ~1 M unmeasured heap pages.
    g.bench_function("4G-64t", |b| {
        b.iter(|| {
            engine::mrenclave(
                params(4 << 30, 64, false),
                &mut SliceSource::new(&manifest),
                black_box(&basic),
            )
        })
    });
    // EDMM: no heap pages, only the measured areas.
    g.bench_function("64G-256t-edmm", |b| {
        b.iter(|| {
            engine::mrenclave(
                params(64 << 30, 256, true),
                &mut SliceSource::new(&manifest),
                black_box(&basic),
            )
        })
    });
    g.finish();

    let mut g = c.benchmark_group("records");
    g.throughput(Throughput::Bytes(64 * 65536));
    g.bench_function("eadd-unmeasured-65536", |b| {
        b.iter(|| {
            let mut h = MeasurementHasher::new();
            h.eadd_unmeasured_range(0x10000, 65536, 4096, 0x207);
            h.finish()
        })
    });
    g.throughput(Throughput::Bytes(320 * 4096));
    g.bench_function("eextend-4096", |b| {
        let chunk = [0xa5u8; 256];
        b.iter(|| {
            let mut h = MeasurementHasher::new();
            for i in 0..4096u64 {
                h.eextend(i * 256, black_box(&chunk));
            }
            h.finish()
        })
    });
    g.finish();
}

/// Intel SGX SDK enclave, HeapMaxSize 4 GiB (`testdata/sdk-vectors/configs/heap-4g.xml`): the
/// streaming measurement against sha2's compression function over the same number of blocks.
fn bench_sdk(c: &mut Criterion) {
    use measure_core::sdk::{Param, SdkConfig, SdkElf, SdkEnclave, SdkVersion, SignOptions};
    let file = testdata("sdk-vectors/enclaves/2.26/basic.so");
    let mut config = SdkConfig::new();
    config.set(Param::HeapMaxSize, 4 << 30).unwrap();
    config.set(Param::TcsNum, 1).unwrap();
    config.set(Param::StackMaxSize, 0x40000).unwrap();
    let elf = SdkElf::parse(&file).unwrap();
    let e = SdkEnclave::new(elf, &config, SdkVersion::V2_26, SignOptions::default()).unwrap();
    let mut h = MeasurementHasher::new();
    e.measure(&mut h);
    let blocks = h.blocks();
    let mut g = c.benchmark_group("sdk");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(blocks * 64));
    g.bench_function("heap-4g-mrenclave", |b| {
        b.iter(|| black_box(&e).mrenclave())
    });
    g.bench_function("heap-4g-sha256-same-blocks", |b| {
        let batch = [[0x5au8; 64]; 64];
        b.iter(|| {
            let mut state = [0u32; 8];
            let mut left = blocks;
            while left > 0 {
                let n = left.min(64) as usize;
                sha2::block_api::compress256(&mut state, black_box(&batch[..n]));
                left -= n as u64;
            }
            state
        })
    });
    g.finish();
}

criterion_group!(benches, bench_engine, bench_sdk);
criterion_main!(benches);
