#!/usr/bin/env python3
"""The Python module's overhead: `sgx_measure.mrenclave` and `Bundle.append` timed in Python
against the same library calls timed in Rust (the `lib-timing` binary), on the 64G vectors and
on 10,000 entries. Target (issue 17): Python within 5% of the library's own time.

usage: benches/python_overhead.py [--runs N] [--rounds R] [--no-build]

Needs the module in this interpreter (pip install ./python). Both sides run the same work
(files read, manifest parsed, enclave measured; entries converted to their canonical list,
bundle parsed, policy checked, enclave measured), N runs per round in their own process, rounds
interleaved so that background load affects both alike; the medians of all runs are compared,
for the wall clock and for the process's CPU time (user + system, every thread), which other
processes on a loaded machine disturb much less. The load average is printed before and after.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VECTORS = os.path.join(ROOT, "testdata", "vectors", "public")
LIB_TIMING = os.path.join(ROOT, "target", "release", "lib-timing")

try:
    import sgx_measure as sm
except ImportError:
    sys.exit("sgx_measure is not installed in this interpreter: pip install ./python")


def rust(*args):
    out = subprocess.run([LIB_TIMING, *map(str, args)], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)


def python(runs, call):
    times, cpu, result = [], [], None
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        result = call()
        cpu.append(time.process_time() - c)
        times.append(time.perf_counter() - t)
    return times, cpu, result


def bundle_for(case, tmp):
    """The case's base bundle (admitting the entries' prefix) and its entries file."""
    d = os.path.join(VECTORS, case)
    cwd = os.getcwd()
    os.chdir(d)
    try:
        case_json = json.load(open("case.json"))
        b = sm.Bundle.build("base.manifest", libpal=case_json["libpal"],
                            allow_prefixes=["file:/data/"])
    finally:
        os.chdir(cwd)
    path = os.path.join(tmp, case + ".bundle")
    b.save(path)
    return path, os.path.join(d, "entries.toml")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="runs per round (default 5)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    ap.add_argument("--no-build", action="store_true", help="use target/release/lib-timing as is")
    a = ap.parse_args()
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "sgx-measure-benches", "--bin",
                        "lib-timing"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp()
    p05 = os.path.join(VECTORS, "p05-size-64G-threads-32", "expected", "v1.3_toml-0.10.2")
    pa03 = os.path.join(VECTORS, "pa03-append-10000-entries", "expected", "v1.9_tomliw-1.2.0")
    pal = os.path.join(VECTORS, "elf", "pal-basic.so")
    cases = []
    for name, manifest, gramine in [
        ("mrenclave, 64G enclave (p05, v1.3)", os.path.join(p05, "out.manifest.sgx"), "1.3"),
        ("mrenclave, 10,000 trusted files (pa03)", os.path.join(pa03, "out.manifest.sgx"), "1.9"),
    ]:
        cases.append((name, ("mrenclave", manifest, pal, gramine),
                      lambda m=manifest, g=gramine: sm.mrenclave(m, pal, gramine=g)))
    for name, case in [("append, 64G EDMM enclave (pa09)", "pa09-append-edmm"),
                       ("append, 10,000 entries (pa03)", "pa03-append-10000-entries")]:
        bundle, entries_file = bundle_for(case, tmp)
        b = sm.Bundle.load(bundle)
        entries = sm.read_entries(entries_file)
        cases.append((name, ("append", bundle, entries_file),
                      lambda b=b, e=entries: b.append(e)))

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
          f"{os.cpu_count()} CPUs")
    print(f"{'case':<40} {'library':>9} {'Python':>9} {'ratio':>6}   "
          f"{'lib CPU':>9} {'Py CPU':>9} {'ratio':>6}")
    worst = worst_cpu = 0.0
    for name, rust_args, call in cases:
        lib_times, py_times, lib_cpu, py_cpu, results = [], [], [], [], set()
        python(1, call)  # warm-up (page cache, allocator)
        for _ in range(a.rounds):
            r = rust(*rust_args, a.runs)
            lib_times += r["runs"]
            lib_cpu += r["cpu_runs"]
            results.add(r["mrenclave"])
            t, c, res = python(a.runs, call)
            py_times += t
            py_cpu += c
            results.add(res)
        if len(results) != 1:
            sys.exit(f"{name}: the library and Python disagree: {results}")
        lib, py = statistics.median(lib_times), statistics.median(py_times)
        lc, pc = statistics.median(lib_cpu), statistics.median(py_cpu)
        worst, worst_cpu = max(worst, py / lib), max(worst_cpu, pc / lc)
        print(f"{name:<40} {lib * 1000:>7.2f}ms {py * 1000:>7.2f}ms {py / lib:>6.3f}   "
              f"{lc * 1000:>7.2f}ms {pc * 1000:>7.2f}ms {pc / lc:>6.3f}")
    print(f"worst ratio: wall {worst:.3f}, CPU {worst_cpu:.3f} (target <= 1.05); medians of "
          f"{a.runs * a.rounds} runs each")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
