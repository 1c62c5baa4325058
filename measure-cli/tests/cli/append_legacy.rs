//! `bundle` and `append` for Gramine v1.0 to v1.3 (toml 0.10.2). There are no append vectors for
//! these versions, so each test builds a bundle from a base manifest, appends entries, and
//! compares with signing the combined manifest (the base with the entries appended to
//! `sgx.trusted_files`), written both ways toml 0.10.2 reads a list of tables: an inline array of
//! inline tables and `[[sgx.trusted_files]]` blocks (v1.0 and v1.1 also read a table of strings,
//! which cannot carry hashes, so it cannot take appended entries).

use std::path::Path;
use std::process::{Command, Output};

const VERSIONS: [&str; 4] = ["1.0", "1.1", "1.2", "1.3"];

fn exe(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sgx-measure"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run sgx-measure")
}

fn pal() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/vectors/public/elf/pal-basic.so")
        .to_string_lossy()
        .into_owned()
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .trim()
        .to_string()
}

/// Entries: URI and hash, with characters toml 0.10.2 writes through Python's `repr`.
fn entries() -> Vec<(String, String)> {
    let h = |i: u8| format!("{:064x}", u128::from(i) * 0x0101_0101_0101);
    vec![
        ("file:/data/owner/a.bin".into(), h(1)),
        ("file:/data/owner/naïve 日本語 😀.txt".into(), h(2)),
        ("file:/data/owner/quote's \"q\" back\\slash".into(), h(3)),
        (
            "file:/data/owner/line\u{2028}sep\u{feff}".into(),
            h(4).to_uppercase(),
        ),
        ("file:/data/owner/tab\there".into(), h(5)),
    ]
}

fn basic(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn entries_toml(es: &[(String, String)]) -> String {
    es.iter()
        .map(|(u, h)| {
            format!(
                "[[sgx.trusted_files]]\nuri = {}\nsha256 = {}\n\n",
                basic(u),
                basic(h)
            )
        })
        .collect()
}

/// A base manifest with `files` (URI, optional hash) as trusted files in the given style.
fn manifest(files: &[(String, Option<String>)], inline: bool) -> String {
    let mut s = String::from(
        "# application\n[loader]\nargv = [\"app\", \"--flag\"]\nenv.HOME = \"/root\"\n\n[fs]\nmounts = [\n  { path = \"/lib\", uri = \"file:/usr/lib\" },\n]\n\n[sgx]\nenclave_size = \"512M\"\nthread_num = 8\n",
    );
    let item = |(u, h): &(String, Option<String>)| match h {
        Some(h) => format!("{{ uri = {}, sha256 = {} }}", basic(u), basic(h)),
        None => format!("{{ uri = {} }}", basic(u)),
    };
    if inline {
        s.push_str("trusted_files = [\n");
        for f in files {
            s.push_str(&format!("  {},\n", item(f)));
        }
        s.push_str("]\n");
    } else {
        if files.is_empty() {
            s.push_str("trusted_files = []\n");
        }
        s.push_str("allowed_files = [\"file:/etc/hosts\"]\n");
        for (u, h) in files {
            s.push_str(&format!("\n[[sgx.trusted_files]]\nuri = {}\n", basic(u)));
            if let Some(h) = h {
                s.push_str(&format!("sha256 = {}\n", basic(h)));
            }
        }
    }
    s
}

fn base_files() -> Vec<(String, Option<String>)> {
    vec![
        ("file:app/main.py".into(), None),
        ("file:app/lib/".into(), None),
        ("file:/usr/lib/libc.so.6".into(), Some("ab".repeat(32))),
    ]
}

fn setup(dir: &Path) {
    std::fs::create_dir_all(dir.join("app/lib/sub")).unwrap();
    std::fs::write(dir.join("app/main.py"), "print('hi')\n").unwrap();
    std::fs::write(dir.join("app/lib/x.py"), "x = 1\n").unwrap();
    std::fs::write(dir.join("app/lib/sub/y.py"), "y = 2\n").unwrap();
}

/// MRENCLAVE of `sign`ing this manifest (expand, then measure the written file).
fn signed_mrenclave(dir: &Path, version: &str, text: &str) -> String {
    std::fs::write(dir.join("combined.manifest"), text).unwrap();
    stdout(&exe(
        dir,
        &[
            "expand",
            "--gramine",
            version,
            "-m",
            "combined.manifest",
            "-o",
            "combined.sgx",
            "-q",
        ],
    ));
    stdout(&exe(
        dir,
        &[
            "mrenclave",
            "--gramine",
            version,
            "-m",
            "combined.sgx",
            "-l",
            &pal(),
            "-q",
        ],
    ))
}

fn check(base: &[(String, Option<String>)], inline: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir);
    let es = entries();
    std::fs::write(dir.join("base.manifest"), manifest(base, inline)).unwrap();
    std::fs::write(dir.join("entries.toml"), entries_toml(&es)).unwrap();
    let mut combined: Vec<(String, Option<String>)> = base.to_vec();
    combined.extend(es.iter().map(|(u, h)| (u.clone(), Some(h.clone()))));
    for v in VERSIONS {
        let b = exe(
            dir,
            &[
                "bundle",
                "--gramine",
                v,
                "-m",
                "base.manifest",
                "-l",
                &pal(),
                "--allow-prefix",
                "file:/data/owner/",
                "-o",
                "base.bundle",
                "-q",
            ],
        );
        stdout(&b);
        let got = stdout(&exe(
            dir,
            &[
                "append",
                "--bundle",
                "base.bundle",
                "--entries",
                "entries.toml",
                "-q",
            ],
        ));
        let want = signed_mrenclave(dir, v, &manifest(&combined, inline));
        assert_eq!(
            got,
            want,
            "v{v}, inline {inline}, {} base files",
            base.len()
        );
        // No entries: the base enclave itself.
        std::fs::write(dir.join("none.list"), "sgx-measure entries v1\n").unwrap();
        let got = stdout(&exe(
            dir,
            &[
                "append",
                "--bundle",
                "base.bundle",
                "--entries",
                "none.list",
                "--from",
                "list",
                "-q",
            ],
        ));
        assert_eq!(
            got,
            signed_mrenclave(dir, v, &manifest(base, inline)),
            "v{v}: no entries"
        );
    }
}

#[test]
fn append_matches_sign_with_blocks() {
    check(&base_files(), false);
}

#[test]
fn append_matches_sign_with_inline_tables() {
    check(&base_files(), true);
}

#[test]
fn append_to_an_empty_base_list() {
    check(&[], false);
}

#[test]
fn entries_toml_0_10_2_would_write_wrongly_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir);
    std::fs::write(dir.join("base.manifest"), manifest(&base_files(), false)).unwrap();
    stdout(&exe(
        dir,
        &[
            "bundle",
            "--gramine",
            "1.2",
            "-m",
            "base.manifest",
            "-l",
            &pal(),
            "--allow-prefix",
            "file:/data/",
            "-o",
            "base.bundle",
            "-q",
        ],
    ));
    let h = "cd".repeat(32);
    for uri in [
        "file:/data/ctrl\u{1}x",
        "file:/data/nbsp\u{a0}x",
        "file:/data/back\\x41",
    ] {
        std::fs::write(
            dir.join("bad.toml"),
            entries_toml(&[(uri.to_string(), h.clone())]),
        )
        .unwrap();
        let o = exe(
            dir,
            &[
                "append",
                "--bundle",
                "base.bundle",
                "--entries",
                "bad.toml",
                "-q",
            ],
        );
        assert!(!o.status.success(), "{uri:?} accepted");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("toml 0.10.2") && !err.contains("panicked"),
            "{err}"
        );
    }
}

#[test]
fn tomli_w_04_is_refused_for_old_versions() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("m.manifest"), "[sgx]\n").unwrap();
    for v in VERSIONS {
        let o = exe(
            dir,
            &[
                "expand",
                "--gramine",
                v,
                "--tomli-w",
                "0.4",
                "-m",
                "m.manifest",
                "-o",
                "out",
                "-q",
            ],
        );
        assert!(!o.status.success());
        assert!(String::from_utf8_lossy(&o.stderr).contains("toml` 0.10.2"));
        assert!(!dir.join("out").exists());
        // The default (and an explicit 1) is accepted.
        let o = exe(
            dir,
            &[
                "expand",
                "--gramine",
                v,
                "--tomli-w",
                "1",
                "-m",
                "m.manifest",
                "-o",
                "out",
                "-q",
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::remove_file(dir.join("out")).unwrap();
    }
}
