//! `sgx-measure sign` against every v1.0 to v1.9 result of the oracle vectors (v1.0 to v1.3 written
//! by toml 0.10.2, later ones by tomli_w): `.manifest.sgx` and `.sig` byte-identical to
//! gramine-sgx-sign's, and every error case refused cleanly with no
//! output file. Each case is staged in a temporary copy (its `setup` creates symlinks and
//! generated data).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::VectorResult;

/// The oracle's fake `libsysdb.so` hash (its PKGLIBDIR held a one-line placeholder): the default
/// `loader.entrypoint` of v1.8+ when a manifest has none.
const ORACLE_LIBSYSDB_SHA256: &str =
    "4d67a948b7e9ed9a40f5c09c60901c848bd4d6983ce595ede25a440197e9bc62";

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let (s, d) = (e.path(), dst.join(e.file_name()));
        let ft = e.file_type().unwrap();
        if ft.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&s).unwrap(), &d).unwrap();
        } else if ft.is_dir() {
            if e.file_name() != "expected" && e.file_name() != "expected-base" {
                copy_dir(&s, &d);
            }
        } else {
            std::fs::copy(&s, &d).unwrap();
        }
    }
}

/// A staged copy of a case: `<tmp>/public/<case>` with `elf` and `../../tools` reachable.
struct Staged {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

fn stage(r: &VectorResult) -> Staged {
    let tmp = tempfile::tempdir().unwrap();
    let set = tmp.path().join("public");
    let vectors = common::vectors_dir();
    std::fs::create_dir_all(&set).unwrap();
    std::os::unix::fs::symlink(vectors.join("elf"), set.join("elf")).unwrap();
    std::os::unix::fs::symlink(vectors.join("../tools"), tmp.path().join("tools")).unwrap();
    let dir = set.join(&r.case);
    copy_dir(&r.case_dir, &dir);
    let case: serde_json::Value =
        serde_json::from_slice(&std::fs::read(r.case_dir.join("case.json")).unwrap()).unwrap();
    if let Some(setup) = case["setup"].as_str() {
        let ok = Command::new("sh")
            .arg("-c")
            .arg(setup)
            .current_dir(&dir)
            .status()
            .unwrap();
        assert!(ok.success(), "setup of {} failed", r.case);
    }
    Staged { _tmp: tmp, dir }
}

fn tomli_w(r: &VectorResult) -> &'static str {
    if r.tomli_w.as_deref().is_some_and(|v| v.starts_with("0.4")) {
        "0.4"
    } else {
        "1"
    }
}

#[test]
fn sign_reproduces_every_vector() {
    let key = common::vectors_dir().join("../test-signing-key.pem");
    let results: Vec<_> = common::all_results()
        .into_iter()
        .filter(|r| !r.is_append)
        .collect();
    let mut by_case: Vec<(String, Vec<VectorResult>)> = Vec::new();
    for r in results {
        match by_case.last_mut() {
            Some((c, v)) if *c == r.case => v.push(r),
            _ => by_case.push((r.case.clone(), vec![r])),
        }
    }
    let (mut ok, mut total, mut refused, mut errors) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for (_, rs) in &by_case {
        let staged = stage(&rs[0]);
        for r in rs {
            let _ = std::fs::remove_file(staged.dir.join("out.manifest.sgx"));
            let _ = std::fs::remove_file(staged.dir.join("out.sig"));
            let out = Command::new(env!("CARGO_BIN_EXE_sgx-measure"))
                .current_dir(&staged.dir)
                .args([
                    "sign",
                    "--gramine",
                    r.version_flag(),
                    "--tomli-w",
                    tomli_w(r),
                ])
                .args(["--manifest", "input.manifest", "--libpal"])
                .arg(&r.libpal)
                .arg("--key")
                .arg(&key)
                .args([
                    "--date",
                    "2026-01-01",
                    "--output",
                    "out.manifest.sgx",
                    "--sigfile",
                    "out.sig",
                    "-q",
                ])
                .args(["--libos-sha256", ORACLE_LIBSYSDB_SHA256])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            if r.exit_code == 0 {
                total += 1;
                let same = |f: &str| {
                    std::fs::read(staged.dir.join(f)).ok()
                        == std::fs::read(r.expected().join(f)).ok()
                };
                if out.status.success() && same("out.manifest.sgx") && same("out.sig") {
                    ok += 1;
                } else {
                    failures.push(format!("{}/{}: {stderr}", r.case, r.dir));
                }
            } else {
                errors += 1;
                let clean = out.status.code() == Some(2)
                    && !stderr.trim().is_empty()
                    && !stderr.contains("panicked")
                    && !staged.dir.join("out.manifest.sgx").exists()
                    && !staged.dir.join("out.sig").exists();
                if clean {
                    refused += 1;
                } else {
                    failures.push(format!("{}/{} (error case): {stderr}", r.case, r.dir));
                }
            }
        }
    }
    eprintln!("sign vectors: {ok}/{total} byte-identical, {refused}/{errors} errors refused");
    assert!(
        total > 480 && errors > 140,
        "vector set incomplete: {total} results, {errors} errors"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
