//! The library's own time for the work behind the Python module's `mrenclave` and
//! `Bundle.append`, measured in-process so that `benches/python_overhead.py` can compare the
//! Python calls with it:
//!
//! ```text
//! lib-timing mrenclave MANIFEST_SGX LIBPAL GRAMINE RUNS
//! lib-timing append BUNDLE ENTRIES RUNS
//! ```
//!
//! `mrenclave`: read both files, read the manifest as the version does, measure (what
//! `sgx_measure.mrenclave(path, path)` does). `append`: the entries are read once (the Python
//! caller holds them as a list); each run builds their canonical list, parses the bundle and
//! appends under the policy (what `Bundle.append(list)` does after converting the list).
//! Prints one JSON object: every run's seconds (wall clock, and the process's CPU time, which a
//! loaded machine disturbs less) and the median wall time.

use std::path::PathBuf;
use std::time::Instant;

use measure_core::GramineVersion;
use measure_lib::append::{Policy, append};
use measure_lib::entries::{Entries, to_list};
use measure_lib::measure::measure_parsed;
use measure_lib::pipeline::read_final;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// CPU time of the whole process (every thread), in seconds.
fn process_cpu() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn run(n: usize, mut f: impl FnMut() -> [u8; 32]) -> (Vec<f64>, Vec<f64>, String) {
    let mut times = Vec::with_capacity(n);
    let mut cpu = Vec::with_capacity(n);
    let mut last = [0u8; 32];
    for _ in 0..n {
        let (t, c) = (Instant::now(), process_cpu());
        last = f();
        cpu.push(process_cpu() - c);
        times.push(t.elapsed().as_secs_f64());
    }
    (times, cpu, hex::encode(last))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage =
        "usage: lib-timing mrenclave MANIFEST_SGX LIBPAL GRAMINE RUNS | append BUNDLE ENTRIES RUNS";
    let (times, cpu, mrenclave) = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["mrenclave", manifest, libpal, gramine, runs] => {
            let version = GramineVersion::parse(gramine).expect("Gramine version");
            let (manifest, libpal) = (PathBuf::from(manifest), PathBuf::from(libpal));
            run(runs.parse().expect("RUNS"), || {
                let m = std::fs::read(&manifest).expect("manifest");
                let pal = std::fs::read(&libpal).expect("libpal");
                let table = read_final(&m, version, &Default::default()).expect("manifest");
                measure_parsed(&m, table, &pal, "libpal", version)
                    .expect("measure")
                    .mrenclave
            })
        }
        ["append", bundle, entries, runs] => {
            let bytes = std::fs::read(bundle).expect("bundle");
            let records = Entries::load(entries.as_ref(), None, None)
                .expect("entries")
                .records;
            run(runs.parse().expect("RUNS"), || {
                let e = Entries {
                    records: records.clone(),
                    list: to_list(&records),
                };
                let b = measure_core::bundle::Bundle::parse(&bytes).expect("bundle");
                append(&b, &e, Policy::Enforce, false)
                    .expect("append")
                    .mrenclave
            })
        }
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    let med = median(times.clone());
    println!(
        "{{\"median\": {med}, \"runs\": {times:?}, \"cpu_runs\": {cpu:?}, \"mrenclave\": \"{mrenclave}\"}}"
    );
}
