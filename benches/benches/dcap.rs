//! Criterion benchmarks of DCAP quote verification in process: dcap-qvl's published SGX quote with
//! its collateral (TCB info with 11 levels, QE identity, two CRLs, three issuer chains), every
//! check of `measure_lib::dcap::verify_quote` plus dcap-qvl's independent verification.
//! Target: at least 1,000 quotes per second on one core.
//!
//! Each benchmark is reported twice: `dcap/...` in wall-clock time, and `dcap-cpu/...` in the
//! process's CPU time (`CLOCK_PROCESS_CPUTIME_ID`, every thread: dcap-qvl's cross-check runs on a
//! second thread), which is the core time spent whatever else the machine runs (the number the
//! target is about on a shared machine).

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use measure_core::evidence::Quote;
use measure_lib::dcap::{Collateral, CrossCheck, Policy, TcbStatus, Verifier, verify_quote};

fn testdata(rel: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// CPU time of the process (all its threads).
pub struct ProcessCpu;

fn process_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_PROCESS_CPUTIME_ID is always supported on
    // Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

static WALL: WallTime = WallTime;

impl Measurement for ProcessCpu {
    type Intermediate = Duration;
    type Value = Duration;
    fn start(&self) -> Duration {
        process_cpu()
    }
    fn end(&self, start: Duration) -> Duration {
        process_cpu().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

fn bench<M: Measurement>(c: &mut Criterion<M>, group: &str) {
    let quote = testdata("evidence/dcap-qvl-sgx-v3.bin");
    let json = testdata("evidence/dcap-qvl-sgx-v3.collateral.json");
    let mut policy = Policy::intel(1_750_377_600);
    policy.allowed_statuses = vec![TcbStatus::ConfigurationAndSWHardeningNeeded];

    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(1));
    // From bytes: parse the quote and the collateral JSON, then verify (what one `verify` run does).
    g.bench_function("quote+collateral-from-bytes", |b| {
        b.iter(|| {
            let q = Quote::parse(black_box(&quote)).unwrap();
            let coll = Collateral::from_json(black_box(&json)).unwrap();
            let v = verify_quote(&q, &coll, &policy).unwrap();
            assert!(!v.checks.iter().any(|c| c.failed()));
            v
        })
    });
    // Collateral parsed once, each quote verified from scratch (verify_quote).
    let coll = Collateral::from_json(&json).unwrap();
    g.bench_function("quote-with-parsed-collateral", |b| {
        b.iter(|| {
            let q = Quote::parse(black_box(&quote)).unwrap();
            verify_quote(&q, black_box(&coll), &policy).unwrap()
        })
    });
    // A verifier service: one Verifier holds the collateral; what quotes of a platform share
    // (collateral and certificate signatures) is checked once, each quote's own signatures and
    // every check every time; dcap-qvl cross-checks every quote, or once per platform.
    for (name, mode) in [
        ("verifier-cross-check-every-quote", CrossCheck::EveryQuote),
        (
            "verifier-cross-check-once-per-platform",
            CrossCheck::OncePerPlatform,
        ),
    ] {
        let v = Verifier::new(coll.clone(), policy.clone()).cross_check(mode);
        g.bench_function(name, |b| {
            b.iter(|| {
                let q = Quote::parse(black_box(&quote)).unwrap();
                let r = v.verify(&q).unwrap();
                assert!(!r.checks.iter().any(|c| c.failed()));
                r
            })
        });
    }
    // The unit of work: one ECDSA P-256 signature check; and dcap-qvl's verification alone.
    let q = Quote::parse(&quote).unwrap();
    let key = measure_lib::dcap::pki::raw_p256_key(&q.signature_data.attestation_key).unwrap();
    g.bench_function("p256-verify-one-signature", |b| {
        b.iter(|| {
            measure_lib::dcap::pki::verify_raw(
                &key,
                black_box(q.signed_data),
                &q.signature_data.signature,
            )
            .unwrap()
        })
    });
    g.bench_function("dcap-qvl-verify-alone", |b| {
        b.iter(|| {
            dcap_qvl::verify::rustcrypto::verify(black_box(&quote), &coll.raw, 1_750_377_600)
                .unwrap()
        })
    });
    g.finish();
}

fn wall(c: &mut Criterion) {
    bench(c, "dcap");
}

fn cpu(c: &mut Criterion<ProcessCpu>) {
    bench(c, "dcap-cpu");
}

criterion_group!(wall_benches, wall);
criterion_group! {
    name = cpu_benches;
    config = Criterion::default().with_measurement(ProcessCpu);
    targets = cpu
}
criterion_main!(wall_benches, cpu_benches);
