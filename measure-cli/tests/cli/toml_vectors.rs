//! Every `.manifest.sgx` that Gramine v1.4+ wrote with tomli_w is a fixed point of load + dump:
//! `emit(parse(file), dialect) == file`, with the dialect of the tomli_w version that wrote it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use measure_lib::toml::{TomlWriter, decode_text, emit, parse};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

fn tomliw_outputs() -> Vec<(PathBuf, TomlWriter)> {
    let mut out = Vec::new();
    let public = testdata().join("vectors/public");
    let mut cases: Vec<_> = std::fs::read_dir(&public)
        .expect("testdata/vectors/public")
        .map(|e| e.expect("dir entry").path())
        .collect();
    cases.sort();
    for case in cases {
        for sub in ["expected", "expected-base"] {
            let Ok(dirs) = std::fs::read_dir(case.join(sub)) else {
                continue;
            };
            for d in dirs {
                let d = d.expect("dir entry").path();
                let name = d.file_name().unwrap().to_string_lossy().to_string();
                // v1.4 .. v1.9, written by tomli_w (v1.0-v1.3 used the `toml` package).
                let Some((tag, writer)) = name.split_once('_') else {
                    continue;
                };
                let minor: u32 = tag
                    .strip_prefix("v1.")
                    .and_then(|m| m.parse().ok())
                    .unwrap_or(0);
                let dialect = match writer {
                    "tomliw-0.4.0" => TomlWriter::TomliW04,
                    w if w.starts_with("tomliw-1.") => TomlWriter::TomliW1,
                    _ => continue,
                };
                if minor < 4 {
                    continue;
                }
                let file = d.join("out.manifest.sgx");
                if file.exists() {
                    out.push((file, dialect));
                }
            }
        }
    }
    out
}

#[test]
fn vectors_are_fixed_points() {
    let files = tomliw_outputs();
    assert!(files.len() > 400, "found only {} outputs", files.len());
    let mut failures = Vec::new();
    for (file, dialect) in &files {
        let bytes = std::fs::read(file).unwrap();
        let text = decode_text(&bytes).unwrap();
        let table = match parse(&text) {
            Ok(t) => t,
            Err(e) => {
                failures.push(format!("{}: parse error {e}", file.display()));
                continue;
            }
        };
        let again = emit(&table, *dialect).unwrap();
        if again.as_bytes() != bytes.as_slice() {
            let line = again
                .lines()
                .zip(text.lines())
                .position(|(a, b)| a != b)
                .map_or(0, |i| i + 1);
            failures.push(format!("{}: differs at line {line}", file.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// Where tomli_w 0.4.0 and 1.x differ, writing 1.x's output in the 0.4 dialect gives 0.4.0's
/// bytes.
#[test]
fn dialects_differ_where_expected() {
    for case in [
        "p43-tomliw-ioctl-empty-ptr",
        "p44-tomliw-mounts-nested-table",
        "p45-tomliw-100-chars-nested",
    ] {
        let dir = testdata()
            .join("vectors/public")
            .join(case)
            .join("expected");
        for tag in ["v1.6", "v1.9"] {
            let v1 =
                std::fs::read_to_string(dir.join(format!("{tag}_tomliw-1.2.0/out.manifest.sgx")))
                    .unwrap();
            let v04 =
                std::fs::read_to_string(dir.join(format!("{tag}_tomliw-0.4.0/out.manifest.sgx")))
                    .unwrap();
            assert_ne!(v1, v04, "{case} {tag}");
            let from_v1 = parse(&v1).unwrap();
            let from_v04 = parse(&v04).unwrap();
            assert_eq!(
                emit(&from_v1, TomlWriter::TomliW04).unwrap(),
                v04,
                "{case} {tag}"
            );
            // The other way round is not a fixed point: 0.4.0's output moved the expanded
            // arrays of tables after the literals, and 1.x keeps that order.
            assert_eq!(
                emit(&from_v04, TomlWriter::TomliW04).unwrap(),
                v04,
                "{case} {tag}"
            );
        }
    }
}

/// Parsing and writing the 10,000-entry manifest is linear and fast (a few ms in release; the
/// bound here is loose for debug builds on a loaded machine).
#[test]
fn large_manifest_is_fast() {
    let path = testdata().join("vectors/public/p25-tf-10000/input.manifest");
    let text = decode_text(&std::fs::read(path).unwrap()).unwrap();
    let start = Instant::now();
    let table = parse(&text).unwrap();
    let parsed = start.elapsed();
    let out = emit(&table, TomlWriter::TomliW1).unwrap();
    let elapsed = start.elapsed();
    eprintln!("p25-tf-10000: parse {parsed:?}, parse + emit {elapsed:?}");
    assert!(out.len() > 1_000_000);
    let limit = if cfg!(debug_assertions) { 3000 } else { 100 };
    assert!(elapsed.as_millis() < limit, "took {elapsed:?}");
}
