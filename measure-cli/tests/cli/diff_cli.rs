//! `sgx-measure diff` on the oracle vectors: equal inputs exit 0; a changed key is named by its
//! path, a trusted file by its URI, a different PAL by segment and page, a thread count by the
//! attribute; a bundle with entries equals the expected combined `.manifest.sgx`; a `.sig` equals
//! its own manifest (on every vector) and names ENCLAVEHASH against another; unusable input
//! exits 2.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use clap::Parser;
use serde_json::Value as Json;
use sgx_measure_cli::cmd::diff::DiffArgs;

const LIBOS_SHA: &str = "4d67a948b7e9ed9a40f5c09c60901c848bd4d6983ce595ede25a440197e9bc62";

fn exe() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sgx-measure"))
}

fn vectors() -> PathBuf {
    common::vectors_dir()
}

fn expected(case: &str, dir: &str, file: &str) -> PathBuf {
    vectors().join(case).join("expected").join(dir).join(file)
}

fn pal(name: &str) -> PathBuf {
    vectors().join("elf").join(name)
}

const V19: &str = "v1.9_tomliw-1.2.0";

fn diff(args: &[&dyn AsRef<std::ffi::OsStr>], cwd: Option<&Path>) -> Output {
    let mut c = exe();
    c.arg("diff");
    for a in args {
        c.arg(a);
    }
    if let Some(d) = cwd {
        c.current_dir(d);
    }
    c.output().expect("run sgx-measure")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> Json {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            text(o),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

/// A copy of `src` in `dir` with `from` replaced by `to` (exactly once).
fn edited(dir: &Path, name: &str, src: &Path, from: &str, to: &str) -> PathBuf {
    let s = std::fs::read_to_string(src).unwrap();
    assert_eq!(s.matches(from).count(), 1, "{from:?} in {}", src.display());
    let p = dir.join(name);
    std::fs::write(&p, s.replacen(from, to, 1)).unwrap();
    p
}

#[test]
fn same_inputs_exit_0() {
    let m = expected("p01-defaults-empty", V19, "out.manifest.sgx");
    let o = diff(&[&m, &m, &"--libpal", &pal("pal-basic.so")], None);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let t = text(&o);
    assert!(t.starts_with("sgx-measure diff: SAME MRENCLAVE\n"), "{t}");
    assert!(t.contains("none: the record streams are identical"), "{t}");

    let o = diff(&[&m, &m, &"-l", &pal("pal-basic.so"), &"--json"], None);
    assert_eq!(code(&o), 0);
    let j = json(&o);
    assert_eq!(j["schema"], "sgx-measure-diff/1");
    assert_eq!(j["same"], true);
    assert_eq!(j["a"]["kind"], "manifest.sgx");
    assert_eq!(j["a"]["mrenclave"], j["b"]["mrenclave"]);
    assert!(j["divergence"].is_null());
    assert_eq!(j["layout"], serde_json::json!([]));
}

#[test]
fn source_manifest_equals_its_signed_manifest() {
    // input.manifest goes through the pipeline (trusted files hashed relative to the case
    // directory), the expected .manifest.sgx is measured as given.
    let case = vectors().join("p20-tf-strings");
    for (v, dir) in [
        ("1.9", V19),
        ("1.6", "v1.6_tomliw-1.2.0"),
        ("1.3", "v1.3_toml-0.10.2"),
    ] {
        let out = Path::new("expected").join(dir).join("out.manifest.sgx");
        let o = diff(
            &[
                &"input.manifest",
                &out,
                &"--gramine",
                &v,
                &"-l",
                &"../elf/pal-basic.so",
                &"--libos-sha256",
                &LIBOS_SHA,
                &"--json",
            ],
            Some(&case),
        );
        assert_eq!(code(&o), 0, "{v}: {}", String::from_utf8_lossy(&o.stderr));
        let j = json(&o);
        assert_eq!(j["a"]["kind"], "manifest", "{v}");
        assert_eq!(j["b"]["kind"], "manifest.sgx", "{v}");
    }
}

#[test]
fn legacy_source_manifest_without_unhashed_files_equals_its_signed_manifest() {
    // v1.0 to v1.3: a source manifest that lacks only defaults (no trusted file to hash) is a
    // source manifest; the pipeline's output is what Gramine signed. (The comparison used to
    // apply the constructor's defaults to the input first, found it "final" and measured the
    // source bytes.)
    for case in ["p01-defaults-empty", "p19-tf-empty", "p41-epid"] {
        let case_dir = vectors().join(case);
        for v in ["1.0", "1.1", "1.2", "1.3"] {
            let out = Path::new("expected")
                .join(format!("v{v}_toml-0.10.2"))
                .join("out.manifest.sgx");
            if !case_dir.join(&out).exists() {
                continue;
            }
            let o = diff(
                &[
                    &"input.manifest",
                    &out,
                    &"--gramine",
                    &v,
                    &"-l",
                    &"../elf/pal-basic.so",
                    &"--json",
                ],
                Some(&case_dir),
            );
            assert_eq!(code(&o), 0, "{case} {v}: {}", text(&o));
            let j = json(&o);
            assert_eq!(j["a"]["kind"], "manifest", "{case} {v}");
            assert_eq!(j["b"]["kind"], "manifest.sgx", "{case} {v}");
        }
    }
}

#[test]
fn changed_key_is_named_by_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let src = expected("p09-debug-exinfo-isv", V19, "out.manifest.sgx");
    let b = edited(
        dir.path(),
        "b.manifest.sgx",
        &src,
        "isvprodid = 1234",
        "isvprodid = 4321",
    );
    let o = diff(&[&src, &b, &"-l", &pal("pal-basic.so")], None);
    assert_eq!(code(&o), 1, "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("changed  sgx.isvprodid: 1234 -> 4321"), "{t}");
    assert!(t.contains("1. Layout attributes\n   none differ"), "{t}");
    assert!(t.contains("in manifest, page"), "{t}");
    assert!(
        t.contains("isvprodid = 1234"),
        "the manifest line is shown: {t}"
    );

    let o = diff(&[&src, &b, &"-l", &pal("pal-basic.so"), &"--json"], None);
    let j = json(&o);
    let changed = &j["manifest"]["changed"];
    assert_eq!(changed.as_array().unwrap().len(), 1, "{changed}");
    assert_eq!(changed[0]["path"], "sgx.isvprodid");
    assert_eq!(changed[0]["a"], 1234);
    assert_eq!(changed[0]["b"], 4321);
    assert_eq!(j["divergence"]["a"]["area"]["kind"], "manifest");
    assert_eq!(j["divergence"]["a"]["op"], "EEXTEND");
}

#[test]
fn changed_trusted_file_hash_is_named_by_uri() {
    let dir = tempfile::tempdir().unwrap();
    let src = expected("p21-tf-hash-tables", V19, "out.manifest.sgx");
    let text_src = std::fs::read_to_string(&src).unwrap();
    let table = measure_lib::toml::parse(&text_src).unwrap();
    let first = table
        .get_path(&["sgx", "trusted_files"])
        .and_then(|v| v.as_array())
        .and_then(|a| a.first())
        .and_then(|e| e.as_table())
        .cloned()
        .expect("a trusted file");
    let uri = first
        .get("uri")
        .and_then(|v| v.as_str())
        .unwrap()
        .to_string();
    let sha = first
        .get("sha256")
        .and_then(|v| v.as_str())
        .unwrap()
        .to_string();
    let other = "0".repeat(64);
    let b = edited(dir.path(), "b.manifest.sgx", &src, &sha, &other);

    let o = diff(&[&src, &b, &"-l", &pal("pal-basic.so"), &"--json"], None);
    assert_eq!(code(&o), 1);
    let j = json(&o);
    let tf = &j["manifest"]["trusted_files"];
    assert_eq!(tf["changed"].as_array().unwrap().len(), 1, "{tf}");
    assert_eq!(tf["changed"][0]["uri"], uri.as_str());
    assert_eq!(tf["changed"][0]["a"], sha.as_str());
    assert_eq!(tf["changed"][0]["b"], other.as_str());
    assert_eq!(tf["added"], serde_json::json!([]));
    assert_eq!(tf["removed"], serde_json::json!([]));
    // Keyed by URI, not by index: no key path names an index of the list.
    assert_eq!(j["manifest"]["changed"], serde_json::json!([]));

    let o = diff(&[&src, &b, &"-l", &pal("pal-basic.so")], None);
    let t = text(&o);
    assert!(
        t.contains(&format!(
            "trusted file changed  {}: sha256 \"{sha}\" -> \"{other}\"",
            serde_json::to_string(&uri).unwrap()
        )),
        "{t}"
    );
}

#[test]
fn trusted_files_added_removed_and_reordered_by_uri() {
    // pa01: the base vs the combined manifest (one entry appended at the end).
    let case = vectors().join("pa01-append-1-entry");
    let base = case
        .join("expected-base")
        .join(V19)
        .join("out.manifest.sgx");
    let combined = expected("pa01-append-1-entry", V19, "out.manifest.sgx");
    let o = diff(
        &[&base, &combined, &"-l", &pal("pal-basic.so"), &"--json"],
        None,
    );
    assert_eq!(code(&o), 1);
    let j = json(&o);
    let tf = &j["manifest"]["trusted_files"];
    assert_eq!(
        tf["added"][0]["uri"], "file:/data/owner1/input/images.npz",
        "{tf}"
    );
    assert_eq!(tf["added"].as_array().unwrap().len(), 1);
    assert!(tf["reordered_at"].is_null());
    // Reversed direction: removed.
    let o = diff(
        &[&combined, &base, &"-l", &pal("pal-basic.so"), &"--json"],
        None,
    );
    let j = json(&o);
    assert_eq!(
        j["manifest"]["trusted_files"]["removed"][0]["uri"],
        "file:/data/owner1/input/images.npz"
    );
}

#[test]
fn different_libpal_names_the_segment_and_first_page() {
    let dir = tempfile::tempdir().unwrap();
    let m = expected("p01-defaults-empty", V19, "out.manifest.sgx");
    // pal-basic.so: segment 3 (RW) has file bytes 0x2e88..0x3000; change one of them.
    let mut bytes = std::fs::read(pal("pal-basic.so")).unwrap();
    bytes[0x2f00] ^= 0x55;
    let changed = dir.path().join("libpal.so");
    std::fs::write(&changed, &bytes).unwrap();

    let o = diff(
        &[
            &m,
            &m,
            &"--a-libpal",
            &pal("pal-basic.so"),
            &"--b-libpal",
            &changed,
            &"--json",
        ],
        None,
    );
    assert_eq!(code(&o), 1);
    let j = json(&o);
    let segs = j["pal"]["segments"].as_array().unwrap();
    assert_eq!(segs.len(), 1, "{segs:?}");
    assert_eq!(segs[0]["index"], 3);
    assert_eq!(segs[0]["differing_pages"], serde_json::json!([0]));
    assert_eq!(segs[0]["first_differing_page"]["page"], 0);
    assert_eq!(segs[0]["first_differing_page"]["file_offset_a"], "0x2f00");
    let d = &j["divergence"];
    assert_eq!(d["a"]["area"]["kind"], "data");
    assert_eq!(d["a"]["area"]["index"], 3);
    assert_eq!(d["a"]["page_in_area"], 0);
    assert_eq!(d["a"]["chunk"], 0xf00 / 256);
    assert_eq!(d["differs"], serde_json::json!(["contents"]));
    assert_eq!(d["first_differing_page_byte"], 0xf00);
    assert_eq!(j["layout"], serde_json::json!([]));

    let o = diff(
        &[
            &m,
            &m,
            &"--a-libpal",
            &pal("pal-basic.so"),
            &"--b-libpal",
            &changed,
        ],
        None,
    );
    let t = text(&o);
    assert!(t.contains("   segment 3: contents differ in 1 of 2 pages (0); first diverging page: 0, at byte 0xf00 (libpal file offset 0x2f00)"), "{t}");
    assert!(t.contains("in PAL data segment 3"), "{t}");

    // Two real PALs: pal-basic vs pal-bigbss (entry, sizes, the BSS).
    let o = diff(
        &[
            &m,
            &m,
            &"--a-libpal",
            &pal("pal-basic.so"),
            &"--b-libpal",
            &pal("pal-bigbss.so"),
        ],
        None,
    );
    assert_eq!(code(&o), 1);
    let t = text(&o);
    assert!(t.contains("e_entry: 0x10c0 -> 0x1030"), "{t}");
    assert!(t.contains("segment 3: p_memsz 0x1b8 -> 0x2dc838"), "{t}");
    assert!(t.contains("tcs field oentry"), "{t}");
}

#[test]
fn different_thread_count_names_the_attribute() {
    let dir = tempfile::tempdir().unwrap();
    let src = expected("p01-defaults-empty", V19, "out.manifest.sgx");
    let b = edited(
        dir.path(),
        "b.manifest.sgx",
        &src,
        "max_threads = 4",
        "max_threads = 8",
    );
    let o = diff(&[&src, &b, &"-l", &pal("pal-basic.so")], None);
    assert_eq!(code(&o), 1);
    let t = text(&o);
    assert!(
        t.contains("1. Layout attributes\n   max_threads: 4 -> 8\n"),
        "{t}"
    );
    assert!(t.contains("changed  sgx.max_threads: 4 -> 8"), "{t}");
    let o = diff(&[&src, &b, &"-l", &pal("pal-basic.so"), &"--json"], None);
    let j = json(&o);
    let rows = j["layout"].as_array().unwrap();
    assert!(
        rows.iter().any(|r| r["attribute"] == "max_threads"
            && r["a"] == 4
            && r["b"] == 8
            && r["derived"] == false),
        "{rows:?}"
    );
    // Between two vectors with different sizes and threads (p05: 64G, 32 threads): the first
    // record differs (ECREATE).
    let o = diff(
        &[
            &src,
            &expected("p05-size-64G-threads-32", V19, "out.manifest.sgx"),
            &"-l",
            &pal("pal-basic.so"),
            &"--json",
        ],
        None,
    );
    let j = json(&o);
    assert_eq!(j["divergence"]["index"], 0);
    assert_eq!(j["divergence"]["a"]["op"], "ECREATE");
    let names: Vec<&str> = j["layout"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["attribute"].as_str())
        .collect();
    assert!(
        names.contains(&"enclave_size") && names.contains(&"max_threads"),
        "{names:?}"
    );
}

fn make_bundle(case: &str, dir: &Path, prefix: &str) -> PathBuf {
    let bundle = dir.join(format!("{case}.bundle"));
    let o = exe()
        .current_dir(vectors().join(case))
        .args([
            "bundle",
            "-q",
            "-m",
            "base.manifest",
            "-l",
            "../elf/pal-basic.so",
            "--libos-sha256",
            LIBOS_SHA,
            "--allow-prefix",
            prefix,
            "-o",
        ])
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    bundle
}

#[test]
fn bundle_with_entries_equals_the_combined_manifest() {
    let dir = tempfile::tempdir().unwrap();
    for case in ["pa01-append-1-entry", "pa02-append-100-entries"] {
        let bundle = make_bundle(case, dir.path(), "file:/data/");
        let combined = expected(case, V19, "out.manifest.sgx");
        let entries = vectors().join(case).join("entries.toml");
        let o = diff(
            &[
                &bundle,
                &combined,
                &"--entries",
                &entries,
                &"--b-libpal",
                &pal("pal-basic.so"),
                &"--json",
            ],
            None,
        );
        assert_eq!(
            code(&o),
            0,
            "{case}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let j = json(&o);
        assert_eq!(j["a"]["kind"], "bundle");
        assert_eq!(j["b"]["kind"], "manifest.sgx");
        assert!(j["a"]["entries"]["count"].as_u64().unwrap() >= 1);
        // Without the entries: the base, which lacks them.
        let o = diff(
            &[
                &bundle,
                &combined,
                &"--b-libpal",
                &pal("pal-basic.so"),
                &"--json",
            ],
            None,
        );
        assert_eq!(code(&o), 1, "{case}");
        let j = json(&o);
        assert!(
            !j["manifest"]["trusted_files"]["added"]
                .as_array()
                .unwrap()
                .is_empty()
        );
    }
    // A policy violation is unusable input.
    let bundle = make_bundle("pa01-append-1-entry", dir.path(), "file:/elsewhere/");
    let o = diff(
        &[
            &bundle,
            &expected("pa01-append-1-entry", V19, "out.manifest.sgx"),
            &"--entries",
            &vectors().join("pa01-append-1-entry").join("entries.toml"),
            &"--b-libpal",
            &pal("pal-basic.so"),
        ],
        None,
    );
    assert_eq!(code(&o), 2);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("append policy"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn sig_against_its_manifest_and_another() {
    let sig = expected("p09-debug-exinfo-isv", V19, "out.sig");
    let own = expected("p09-debug-exinfo-isv", V19, "out.manifest.sgx");
    let o = diff(&[&sig, &own, &"-l", &pal("pal-basic.so")], None);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("B's MRENCLAVE equals A's ENCLAVEHASH"));

    let other = expected("p01-defaults-empty", V19, "out.manifest.sgx");
    let o = diff(&[&other, &sig, &"-l", &pal("pal-basic.so")], None);
    assert_eq!(code(&o), 1);
    let t = text(&o);
    assert!(
        t.contains("A's MRENCLAVE does NOT equal B's ENCLAVEHASH"),
        "{t}"
    );
    assert!(t.contains("mr_enclave (ENCLAVEHASH): "), "{t}");
    assert!(t.contains("isv_prod_id: 0 -> 1234"), "{t}");

    let o = diff(
        &[&other, &sig, &"-l", &pal("pal-basic.so"), &"--json"],
        None,
    );
    let j = json(&o);
    let rows = j["sigstruct"].as_array().unwrap();
    let row = |f: &str| rows.iter().find(|r| r["field"] == f).unwrap().clone();
    assert_eq!(row("mr_enclave")["equal"], false);
    assert_eq!(row("mr_signer")["compared"], false);
    assert_eq!(j["b"]["kind"], "sig");
    assert!(j["divergence"].is_null());

    // Two .sig files: field by field.
    let sig01 = expected("p01-defaults-empty", V19, "out.sig");
    let o = diff(&[&sig01, &sig, &"--json"], None);
    assert_eq!(code(&o), 1);
    let j = json(&o);
    let rows = j["sigstruct"].as_array().unwrap();
    let differing: Vec<&str> = rows
        .iter()
        .filter(|r| r["equal"] == false)
        .filter_map(|r| r["field"].as_str())
        .collect();
    assert!(differing.contains(&"mr_enclave"), "{differing:?}");
    assert!(differing.contains(&"isv_svn"), "{differing:?}");
    assert!(!differing.contains(&"mr_signer"), "{differing:?}");
    let o = diff(&[&sig, &sig], None);
    assert_eq!(code(&o), 0);
}

#[test]
fn unusable_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let m = expected("p01-defaults-empty", V19, "out.manifest.sgx");
    let missing = dir.path().join("missing.manifest.sgx");
    let garbage = dir.path().join("garbage.so");
    std::fs::write(&garbage, b"not an ELF").unwrap();
    let bad_toml = dir.path().join("bad.manifest");
    std::fs::write(&bad_toml, b"[sgx\n").unwrap();
    let basic = pal("pal-basic.so");
    let cases: Vec<Vec<&dyn AsRef<std::ffi::OsStr>>> = vec![
        vec![&m, &missing, &"-l", &basic],
        vec![&m, &m, &"-l", &garbage],
        vec![&m, &bad_toml, &"-l", &basic],
        vec![&m, &m, &"-l", &basic, &"--a-entries", &m],
        vec![&m, &m, &"-l", &basic, &"--entries", &m],
    ];
    for args in cases {
        let o = diff(&args, None);
        assert_eq!(
            code(&o),
            2,
            "{}\n{}",
            text(&o),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(String::from_utf8_lossy(&o.stderr).starts_with("sgx-measure: error: "));
    }
    // Clap's own usage errors also exit 2.
    let o = diff(
        &[&m, &m, &"--libpal", &garbage, &"--a-libpal", &garbage],
        None,
    );
    assert_eq!(code(&o), 2);
}

#[test]
fn help_has_an_example() {
    let o = exe().args(["diff", "--help"]).output().unwrap();
    let t = text(&o);
    assert!(t.contains("Examples:\n  sgx-measure diff "), "{t}");
    for flag in [
        "--a-libpal",
        "--b-libpal",
        "--a-gramine",
        "--b-gramine",
        "--a-entries",
        "--b-entries",
        "--json",
    ] {
        assert!(t.contains(flag), "{flag}");
    }
}

#[derive(Parser)]
struct Wrapper {
    #[command(flatten)]
    args: DiffArgs,
}

/// Every successful vector: its `.sig` against its `.manifest.sgx` (read as a final manifest,
/// whatever tomli_w wrote it) has the same MRENCLAVE, the one in `meta.json`.
#[test]
fn every_vector_sig_equals_its_manifest() {
    let mut failures = vec![];
    let results: Vec<_> = common::all_results()
        .into_iter()
        .filter(|r| r.exit_code == 0 && r.mrenclave.is_some())
        .collect();
    for r in &results {
        let exp = r.expected();
        let w = Wrapper::try_parse_from([
            std::ffi::OsString::from("diff"),
            exp.join("out.sig").into(),
            exp.join("out.manifest.sgx").into(),
            "--gramine".into(),
            r.version_flag().into(),
            "--libpal".into(),
            r.libpal.clone().into(),
            "--json".into(),
        ])
        .unwrap();
        match sgx_measure_cli::cmd::diff::build(&w.args) {
            Ok((report, true)) => {
                let j: Json = serde_json::from_str(&report).unwrap();
                if j["b"]["mrenclave"] != r.mrenclave.as_deref().unwrap()
                    || j["b"]["kind"] != "manifest.sgx"
                {
                    failures.push(format!("{} {}: {}", r.case, r.dir, j["b"]));
                }
            }
            Ok((report, false)) => failures.push(format!("{} {}: differ\n{report}", r.case, r.dir)),
            Err(e) => failures.push(format!("{} {}: {e:#}", r.case, r.dir)),
        }
    }
    eprintln!("{} vector results compared", results.len());
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        results.len(),
        failures.join("\n")
    );
}

/// Whether `output` matches `expected`, where a line `...` stands for any number of lines.
fn matches_with_ellipsis(expected: &[&str], output: &[&str]) -> bool {
    match expected.split_first() {
        None => output.is_empty(),
        Some((&"...", rest)) => {
            (0..=output.len()).any(|i| matches_with_ellipsis(rest, &output[i..]))
        }
        Some((line, rest)) => output.split_first().is_some_and(|(o, orest)| {
            o.trim_end() == line.trim_end() && matches_with_ellipsis(rest, orest)
        }),
    }
}

/// The worked example of docs/diff.md runs and prints what the page shows.
#[test]
fn docs_example_runs_as_shown() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let page = std::fs::read_to_string(root.join("docs/diff.md")).unwrap();
    let block = |marker: &str, fence: &str| -> String {
        let at = page.find(marker).expect(marker) + marker.len();
        let rest = &page[at..];
        let start = rest.find(fence).expect(fence) + fence.len();
        let end = rest[start..].find("\n```").expect("closing fence");
        rest[start..start + end]
            .trim_start_matches('\n')
            .to_string()
    };
    let script = block("<!-- exit: 1 -->", "```sh");
    let want = block("<!-- output -->", "```text");
    let bin = Path::new(env!("CARGO_BIN_EXE_sgx-measure"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("bash")
        .args(["-c", &script])
        .current_dir(&root)
        .env("PATH", path)
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", String::from_utf8_lossy(&o.stderr));
    let got = text(&o);
    let want_lines: Vec<&str> = want.lines().collect();
    let got_lines: Vec<&str> = got.lines().collect();
    assert!(
        matches_with_ellipsis(&want_lines, &got_lines),
        "docs/diff.md shows:\n{want}\nthe command prints:\n{got}"
    );
}

/// `--tomli-w 0.4` with Gramine v1.0-v1.3 (which wrote with toml 0.10.2) is refused as `sign`
/// refuses it (exit 2, an unusable input). It used to be taken for a pipeline failure, both
/// manifests read as final, and "MRENCLAVE differs" reported for a source manifest and its own
/// signed manifest.
#[test]
fn tomli_w_04_with_legacy_versions_is_refused() {
    let case_dir = vectors().join("p01-defaults-empty");
    for v in ["1.0", "1.1", "1.2", "1.3"] {
        let out = Path::new("expected")
            .join(format!("v{v}_toml-0.10.2"))
            .join("out.manifest.sgx");
        let o = diff(
            &[
                &"input.manifest",
                &out,
                &"--gramine",
                &v,
                &"--tomli-w",
                &"0.4",
                &"-l",
                &"../elf/pal-basic.so",
            ],
            Some(&case_dir),
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(code(&o), 2, "{v}: {}{err}", text(&o));
        assert!(err.contains("--tomli-w 0.4 does not apply"), "{v}: {err}");
    }
}
