//! SIGSTRUCT against the oracle vectors: for every successful `gramine-sgx-sign` result (v1.0 to
//! v1.9, append cases' base results included), measuring the expected `.manifest.sgx` with the
//! case's PAL and signing with the test key and date 2026-01-01 gives `out.sig` byte for byte;
//! `sigstruct view` prints `sigstruct-view.stdout` (v1.5+); `verify` accepts every `.sig`.
//! Results where Gramine fails while building the SIGSTRUCT fail here with Gramine's message.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use measure_core::profile::GramineVersion;
use measure_core::sigstruct::{SigDate, Sigstruct};
use measure_lib::error::chain;
use measure_lib::measure::measure_manifest;
use measure_lib::sigstruct::{ViewFormat, view};
use measure_lib::sigstruct::{load_private_key, make_sigstruct, sign, verify};

fn key_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/vectors/test-signing-key.pem")
}

fn date() -> SigDate {
    SigDate::parse("2026-01-01").expect("date")
}

#[test]
fn every_successful_vector_signs_like_gramine() {
    let key = load_private_key(&key_path(), None).expect("test key");
    let results: Vec<_> = common::all_results()
        .into_iter()
        .filter(|r| r.exit_code == 0)
        .collect();
    assert!(
        results.len() >= 609,
        "expected the full vector set, found {}",
        results.len()
    );
    let mut failures = Vec::new();
    let (mut identical, mut views, mut from_v1_4) = (0, 0, 0);
    for r in &results {
        let version = GramineVersion::parse(&r.version).expect("known version");
        let dir = r.expected();
        let manifest = std::fs::read(dir.join("out.manifest.sgx")).expect("out.manifest.sgx");
        let want = std::fs::read(dir.join("out.sig")).expect("out.sig");
        let libpal = std::fs::read(&r.libpal).expect("libpal");
        let m = match measure_manifest(&manifest, &libpal, "libpal", version) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{}/{}: measure: {}", r.case, r.dir, chain(&e)));
                continue;
            }
        };
        let mut sig = match make_sigstruct(&m.manifest, m.mrenclave, version, date()) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!(
                    "{}/{}: make_sigstruct: {}",
                    r.case,
                    r.dir,
                    chain(&e)
                ));
                continue;
            }
        };
        sign(&mut sig, &key).expect("sign");
        if sig.to_bytes()[..] == want[..] {
            identical += 1;
            if version.code() >= GramineVersion::V1_4.code() {
                from_v1_4 += 1;
            }
        } else {
            let theirs = Sigstruct::parse(&want).expect("parse out.sig");
            failures.push(format!(
                "{}/{}: .sig differs\n  ours:   {sig:?}\n  theirs: {theirs:?}",
                r.case, r.dir
            ));
            continue;
        }
        let parsed = Sigstruct::parse(&want).expect("parse");
        assert_eq!(parsed.to_bytes()[..], want[..], "round trip");
        let v = verify(&parsed);
        if !v.ok() {
            failures.push(format!("{}/{}: verify: {:?}", r.case, r.dir, v.checks));
        }
        if version.code() >= GramineVersion::V1_5.code() {
            let want_view = std::fs::read_to_string(dir.join("sigstruct-view.stdout"))
                .expect("sigstruct-view.stdout");
            let have = view(&parsed, ViewFormat::Text, true, version).expect("view");
            if have == want_view {
                views += 1;
            } else {
                failures.push(format!(
                    "{}/{}: view differs:\n{have}want:\n{want_view}",
                    r.case, r.dir
                ));
            }
        }
    }
    eprintln!(
        "sigstruct vectors: {identical}/{} byte-identical ({from_v1_4} of them v1.4+), {views} views identical",
        results.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Gramine fails in `get_tbssigstruct` after writing the `.manifest.sgx`: the same manifests fail
/// here, with Gramine's message.
#[test]
fn gramine_sigstruct_errors_are_reproduced() {
    let results: Vec<_> = common::all_results()
        .into_iter()
        .filter(|r| r.exit_code != 0 && r.expected().join("out.manifest.sgx").exists())
        .collect();
    let mut checked = 0;
    let mut failures = Vec::new();
    for r in &results {
        let version = GramineVersion::parse(&r.version).expect("known version");
        let dir = r.expected();
        let manifest = std::fs::read(dir.join("out.manifest.sgx")).expect("manifest");
        let libpal = std::fs::read(&r.libpal).expect("libpal");
        // Failures of the measurement itself are the engine's tests.
        let Ok(m) = measure_manifest(&manifest, &libpal, "libpal", version) else {
            continue;
        };
        let meta: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("meta.json")).expect("meta.json"),
        )
        .expect("json");
        let error = meta["error"].as_str().expect("error text");
        // "KeyError: '...'" / "ValueError: ..." -> the message.
        let msg = error.split_once(": ").map_or(error, |(_, m)| m);
        let msg = msg.trim_matches('\'');
        checked += 1;
        match make_sigstruct(&m.manifest, m.mrenclave, version, date()) {
            Ok(_) => failures.push(format!("{}/{}: no error (Gramine: {error})", r.case, r.dir)),
            Err(e) if chain(&e).contains(msg) => {}
            Err(e) => failures.push(format!(
                "{}/{}: error {} does not contain Gramine's {msg:?}",
                r.case,
                r.dir,
                chain(&e)
            )),
        }
    }
    eprintln!("sigstruct errors: {checked} Gramine failures checked");
    assert!(checked >= 20, "only {checked} failing results found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn sgx_measure() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sgx-measure"))
}

#[test]
fn cli_view_matches_gramine_for_every_v1_5_vector() {
    let mut n = 0;
    for r in common::all_results() {
        let version = GramineVersion::parse(&r.version).expect("version");
        if r.exit_code != 0 || version.code() < GramineVersion::V1_5.code() {
            continue;
        }
        let dir = r.expected();
        let out = sgx_measure()
            .args(["sigstruct", "view"])
            .arg(dir.join("out.sig"))
            .output()
            .expect("run");
        assert!(out.status.success(), "{}/{}", r.case, r.dir);
        let want = std::fs::read(dir.join("sigstruct-view.stdout")).expect("view");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&want),
            "{}/{}",
            r.case,
            r.dir
        );
        n += 1;
    }
    assert!(n >= 376, "{n} views");
}
