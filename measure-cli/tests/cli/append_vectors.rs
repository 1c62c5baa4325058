//! The verifier against every append case of the oracle vectors: a bundle made from
//! `base.manifest` (allowing the entries' common folder), then `entries.toml`, `entries.json` and
//! `entries.sha256` appended, must give the MRENCLAVE of Gramine's result for `combined.manifest`;
//! cases where Gramine fails, or where an entry repeats a base file, must be refused, and with
//! `--unsafe-no-policy` the latter reproduce Gramine's MRENCLAVE.

use crate::common;

use std::process::Command;

fn tomli_w(r: &common::VectorResult) -> &'static str {
    if r.tomli_w.as_deref().is_some_and(|v| v.starts_with("0.4")) {
        "0.4"
    } else {
        "1"
    }
}

/// The longest common prefix of the entries' URIs, cut after its last `/` (`file:` if none).
fn allow_prefix(entries_toml: &str) -> String {
    let uris: Vec<&str> = entries_toml
        .lines()
        .filter_map(|l| l.trim().strip_prefix("uri = \""))
        .map(|u| u.trim_end_matches('"'))
        .collect();
    let mut pre = uris[0].to_string();
    for u in &uris[1..] {
        let n = pre
            .chars()
            .zip(u.chars())
            .take_while(|(a, b)| a == b)
            .count();
        pre = pre.chars().take(n).collect();
    }
    match pre.rfind('/') {
        Some(i) => pre[..=i].to_string(),
        None => "file:".to_string(),
    }
}

#[test]
fn every_append_case() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut checked, mut refused, mut unsafe_ok) = (0, 0, 0);
    let mut failures = Vec::new();
    for r in common::all_results()
        .into_iter()
        .filter(|r| r.is_append && r.dir.starts_with("expected/"))
    {
        let entries_toml = std::fs::read_to_string(r.case_dir.join("entries.toml")).unwrap();
        let bundle = tmp
            .path()
            .join(format!("{}-{}.bundle", r.case, r.dir.replace('/', "_")));
        let b = Command::new(env!("CARGO_BIN_EXE_sgx-measure"))
            .current_dir(&r.case_dir)
            .args([
                "bundle",
                "-q",
                "--gramine",
                r.version_flag(),
                "--tomli-w",
                tomli_w(&r),
                "-m",
                "base.manifest",
                "-l",
            ])
            .arg(&r.libpal)
            .args(["--allow-prefix", &allow_prefix(&entries_toml), "-o"])
            .arg(&bundle)
            .output()
            .unwrap();
        assert!(
            b.status.success(),
            "{} {}: {}",
            r.case,
            r.dir,
            String::from_utf8_lossy(&b.stderr)
        );
        let by_policy = r.features.iter().any(|f| f.starts_with("append-dup"));
        let refuse = r.exit_code != 0 || by_policy;
        for (fmt, file, extra) in [
            ("toml", "entries.toml", vec![]),
            ("json", "entries.json", vec![]),
            ("sha256sum", "entries.sha256", vec!["--uri-prefix", "file:"]),
        ] {
            let run = |more: &[&str]| {
                Command::new(env!("CARGO_BIN_EXE_sgx-measure"))
                    .current_dir(&r.case_dir)
                    .args(["append", "-q", "--bundle"])
                    .arg(&bundle)
                    .args(["--entries", file, "--from", fmt])
                    .args(&extra)
                    .args(more)
                    .output()
                    .unwrap()
            };
            let o = run(&[]);
            let got = String::from_utf8_lossy(&o.stdout).trim().to_string();
            if refuse {
                let e = String::from_utf8_lossy(&o.stderr);
                if o.status.code() == Some(2) && !e.trim().is_empty() && !e.contains("panicked") {
                    refused += 1;
                } else {
                    failures.push(format!("{} {} {fmt}: not refused ({got})", r.case, r.dir));
                }
            } else if o.status.success() && Some(&got) == r.mrenclave.as_ref() {
                checked += 1;
            } else {
                failures.push(format!(
                    "{} {} {fmt}: {got} {}",
                    r.case,
                    r.dir,
                    String::from_utf8_lossy(&o.stderr)
                ));
            }
            if by_policy && r.exit_code == 0 && fmt == "toml" {
                let o = run(&["--unsafe-no-policy"]);
                let got = String::from_utf8_lossy(&o.stdout).trim().to_string();
                if o.status.success() && Some(&got) == r.mrenclave.as_ref() {
                    unsafe_ok += 1;
                } else {
                    failures.push(format!("{} {} unsafe: {got}", r.case, r.dir));
                }
            }
        }
    }
    eprintln!(
        "append vectors: {checked} MRENCLAVEs equal, {refused} refused, {unsafe_ok} unsafe-mode equal"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // 99 + 36 = the 135 results of the public append cases (toml, json, sha256sum each).
    assert!(
        checked + refused >= 135 && unsafe_ok >= 8,
        "{checked} {refused} {unsafe_ok}"
    );
}

/// The core's append policy (what the C ABI runs) refuses URIs holding NUL, CR or LF and hashes
/// that are not exactly 64 hex digits, naming the entry: a URI `...config.json\0` beside a base
/// `...config.json`, or `a` beside `a\0`, used to be accepted as other files (Gramine reads URIs
/// as C strings: they are the same file). TAB and other controls stay accepted.
#[test]
fn policy_refuses_nul_line_breaks_and_malformed_hashes() {
    use measure_core::append::{AppendError, PolicyKind, mrenclave_append};
    let t = tempfile::tempdir().unwrap();
    let pal = common::vectors_dir().join("elf/pal-basic.so");
    std::fs::write(
        t.path().join("base.manifest"),
        format!(
            "sgx.enclave_size = \"64M\"\nsgx.trusted_files = [{{ uri = \"file:/data/config.json\", sha256 = \"{}\" }}]\n",
            "1".repeat(64)
        ),
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_sgx-measure"))
        .current_dir(t.path())
        .args(["bundle", "-q", "-m", "base.manifest", "-l"])
        .arg(&pal)
        .args([
            "--libos-sha256",
            &"0".repeat(64),
            "--allow-prefix",
            "file:/data/",
            "-o",
            "base.bundle",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bundle = std::fs::read(t.path().join("base.bundle")).unwrap();
    let good = "a".repeat(64);
    let long = format!("{good}00");
    let nonhex = "g".repeat(64);
    type Case<'a> = (&'a [(&'a str, &'a str)], Option<(PolicyKind, u32)>);
    let cases: [Case<'_>; 9] = [
        (
            &[("file:/data/config.json\0", &good)],
            Some((PolicyKind::LineBreakOrNulInUri, 0)),
        ),
        (
            &[("file:/data/a", &good), ("file:/data/a\0", &good)],
            Some((PolicyKind::LineBreakOrNulInUri, 1)),
        ),
        (
            &[("file:/data/a\r", &good)],
            Some((PolicyKind::LineBreakOrNulInUri, 0)),
        ),
        (
            &[("file:/data/a\nb", &good)],
            Some((PolicyKind::LineBreakOrNulInUri, 0)),
        ),
        (
            &[("file:/data/a", "abc123")],
            Some((PolicyKind::NotASha256, 0)),
        ),
        (
            &[("file:/data/a", &good), ("file:/data/b", &long)],
            Some((PolicyKind::NotASha256, 1)),
        ),
        (
            &[("file:/data/a", &nonhex)],
            Some((PolicyKind::NotASha256, 0)),
        ),
        (&[("file:/data/a\tb\u{1}c", &good)], None),
        (&[("file:/data/a", &"AbCdEf01".repeat(8))], None),
    ];
    for (entries, want) in cases {
        let list = measure_core::entries::encode(entries.iter().copied());
        match (mrenclave_append(&bundle, &list), want) {
            (Err(AppendError::Policy(p)), Some((kind, index))) => {
                assert_eq!((p.kind, p.index), (kind, index), "{entries:?}")
            }
            (Ok(_), None) => {}
            (got, _) => panic!("{entries:?}: {got:?}, expected {want:?}"),
        }
    }
}
