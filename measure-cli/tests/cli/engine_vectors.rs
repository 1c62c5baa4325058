//! The measurement engine against every successful result of the oracle vectors (Gramine v1.0 to
//! v1.9): MRENCLAVE from the expected `.manifest.sgx` and the case's PAL, and the whole report of
//! `gramine-sgx-sign --verbose` (attributes header, remote attestation, memory map, measurement).

use crate::common;

use std::process::Command;

use measure_core::profile::GramineVersion;
use measure_lib::measure::measure_manifest;
use measure_lib::report::verbose_report;

fn memory_lines(s: &str) -> Vec<&str> {
    s.lines().filter(|l| l.starts_with("    0")).collect()
}

#[test]
fn every_successful_vector_measures_like_gramine() {
    let results: Vec<_> = common::all_results()
        .into_iter()
        .filter(|r| r.exit_code == 0)
        .collect();
    assert!(
        results.len() > 600,
        "expected the full vector set, found {}",
        results.len()
    );
    let mut failures = Vec::new();
    for r in &results {
        let version = GramineVersion::parse(&r.version).expect("known version");
        let manifest =
            std::fs::read(r.expected().join("out.manifest.sgx")).expect("out.manifest.sgx");
        let libpal = std::fs::read(&r.libpal).expect("libpal");
        let m = match measure_manifest(&manifest, &libpal, "libpal", version) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!(
                    "{}/{}: error {}",
                    r.case,
                    r.dir,
                    measure_lib::error::chain(&e)
                ));
                continue;
            }
        };
        if Some(hex::encode(m.mrenclave)) != r.mrenclave {
            failures.push(format!("{}/{}: MRENCLAVE differs", r.case, r.dir));
        }
        let want = std::fs::read_to_string(r.expected().join("sign.stdout")).unwrap_or_default();
        let have = verbose_report(version, &m);
        if memory_lines(&want) != memory_lines(&have) || memory_lines(&want).is_empty() {
            failures.push(format!("{}/{}: memory map differs", r.case, r.dir));
        }
        // The whole report must match, not only the memory map: every version prints one (v1.0
        // without being asked, later versions with --verbose).
        if want != have {
            failures.push(format!(
                "{}/{}: verbose report differs:\n{have}\nwant:\n{want}",
                r.case, r.dir
            ));
        }
    }
    eprintln!(
        "engine vectors: {} results, {} failures",
        results.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        results.len(),
        failures.join("\n")
    );
}

#[test]
fn cli_quiet_prints_only_the_hex() {
    let r = common::all_results()
        .into_iter()
        .find(|r| r.case == "p01-defaults-empty" && r.version == "v1.9")
        .expect("p01 v1.9");
    let out = Command::new(env!("CARGO_BIN_EXE_sgx-measure"))
        .current_dir(&r.case_dir)
        .args(["mrenclave", "--gramine", "1.9", "--manifest"])
        .arg(r.expected().join("out.manifest.sgx"))
        .args(["--libpal", "../elf/pal-basic.so", "-q"])
        .output()
        .expect("run sgx-measure");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{}\n", r.mrenclave.unwrap())
    );
}
