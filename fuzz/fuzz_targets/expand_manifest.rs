//! The manifest pipeline (`manifest::expand`: parse, the version's defaults, trusted-file
//! expansion and hashing) on arbitrary manifest text for every Gramine version, in a fixed
//! temporary directory holding a few small files and directories, with `--libos-sha256` given (no
//! system file is read). Never panics or hangs; for every accepted manifest, the text written in
//! the version's dialect parses back to the same table and is a fixed point (written again, it is
//! the same text); for toml 0.10.2 (v1.0-v1.3), on trees without what that writer writes lossily.
//!
//! Manifests naming a `file:` path that exists outside the temporary directory are skipped: the
//! pipeline would hash or walk real system files (`file:/` is the whole file system).
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use measure_core::profile::GramineVersion;
use measure_lib::hashing::FileHasher;
use measure_lib::manifest::{self, pypath};
use measure_lib::pipeline::Options;
use measure_lib::toml::{self, Table, TomlWriter, Value};

const LIBOS_SHA256: &str = "4d67a948b7e9ed9a40f5c09c60901c848bd4d6983ce595ede25a440197e9bc62";

/// The working directory: `a.txt`, `b.bin`, `lib.so`, `d/x.txt`, `d/sub/y`, `d/sub/z.bin`, the
/// empty directory `e/`. Made once per process; the fuzzer runs in it (relative URIs name these).
fn workdir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // One hashing thread: the files are tiny, and the machine is shared.
        // SAFETY: set before any other thread exists (first call, before rayon starts).
        unsafe { std::env::set_var("RAYON_NUM_THREADS", "1") };
        // Always the same directory (written, never removed: concurrent fuzzers write the same
        // files), so that crashes reproduce with the same paths.
        let dir = std::env::temp_dir().join("sgx-measure-fuzz-expand");
        for (path, content) in [
            ("a.txt", &b"hello\n"[..]),
            ("b.bin", &[0u8, 1, 2, 255][..]),
            ("lib.so", &b"\x7fELF"[..]),
            ("d/x.txt", &b"x"[..]),
            ("d/sub/y", &b""[..]),
            ("d/sub/z.bin", &[7u8; 300][..]),
        ] {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, content).unwrap();
        }
        std::fs::create_dir_all(dir.join("e")).unwrap();
        std::env::set_current_dir(&dir).unwrap();
        // The canonical form, so that `..` checks below compare like with like.
        dir.canonicalize().unwrap()
    })
}

/// Whether a `file:` path (as the pipeline would normalise it) stays inside `dir` or names nothing
/// that exists.
fn harmless(path: &str, dir: &Path) -> bool {
    let abs = if path.starts_with('/') {
        pypath::normalize(path)
    } else {
        pypath::normalize(&format!("{}/{path}", dir.display()))
    };
    Path::new(&abs).starts_with(dir) || std::fs::symlink_metadata(&abs).is_err()
}

/// Every `file:` URI in the tree (whole strings, and comma-separated parts as v1.0's
/// `loader.preload` splits them) is harmless.
fn all_harmless(v: &Value, dir: &Path) -> bool {
    match v {
        Value::String(s) => std::iter::once(s.as_str())
            .chain(s.split(','))
            .filter_map(|u| u.strip_prefix("file:"))
            .all(|p| harmless(p, dir)),
        Value::Array(items) => items.iter().all(|i| all_harmless(i, dir)),
        Value::Table(t) => t.iter().all(|(_, v)| all_harmless(v, dir)),
        _ => true,
    }
}

/// Python's `==` on the value trees: tables compare as dicts (key order aside: every writer puts
/// a table's plain keys before its sub-tables), and NaN equals NaN here (`nan` is a value like
/// any other).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => {
            (x.is_nan() && y.is_nan()) || x.to_bits() == y.to_bits()
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Table(x), Value::Table(y)) => same_table(x, y),
        _ => a == b,
    }
}

fn same_table(a: &Table, b: &Table) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|(k, va)| b.get(k).is_some_and(|vb| same(va, vb)))
}

/// Whether toml 0.10.2 writes `s` faithfully: Python's `repr` uses no `\xNN` escape for it
/// (toml 0.10.2 drops their backslash) and it has no backslash before `x` (which that rewriting
/// un-doubles).
fn toml0102_faithful_str(s: &str) -> bool {
    !s.chars().any(|c| {
        matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{a0}' | '\u{ad}')
    }) && !s.contains("\\x")
}

/// Whether a tree is free of what toml 0.10.2 writes lossily: such strings (keys too), and empty
/// tables inside arrays (`in_array`).
fn toml0102_faithful(v: &Value, in_array: bool) -> bool {
    match v {
        Value::String(s) => toml0102_faithful_str(s),
        Value::Array(items) => items.iter().all(|i| toml0102_faithful(i, true)),
        Value::Table(t) => {
            !(in_array && t.is_empty())
                && t.iter()
                    .all(|(k, v)| toml0102_faithful_str(k) && toml0102_faithful(v, in_array))
        }
        _ => true,
    }
}

fuzz_target!(|data: &[u8]| {
    let dir = workdir();
    // Skip manifests whose file URIs reach outside the directory, in either parser's reading.
    let Ok(text) = toml::decode_text(data) else {
        return;
    };
    for parsed in [
        toml::parse(&text).ok(),
        toml::parse_for(&text, TomlWriter::Toml0102).ok(),
    ]
    .into_iter()
    .flatten()
    {
        if !all_harmless(&Value::Table(parsed), dir) {
            return;
        }
    }
    for version in GramineVersion::ALL {
        let opts = Options {
            libos: dir.join("libsysdb.so"),
            libos_sha256: Some(LIBOS_SHA256.to_string()),
            ..Options::new(version)
        };
        let mut hasher = FileHasher::new(None).unwrap();
        let expanded = match manifest::expand(data, &opts, &mut hasher) {
            Ok(e) => e,
            Err(e) => {
                let _ = format!("{e:#}");
                continue;
            }
        };
        let m = &expanded.manifest;
        let dialects: &[TomlWriter] = if version.code() <= GramineVersion::V1_3.code() {
            &[TomlWriter::Toml0102]
        } else {
            &[TomlWriter::TomliW1, TomlWriter::TomliW04]
        };
        for &d in dialects {
            // toml 0.10.2 cannot write some trees (Gramine v1.0-v1.3 fail there too).
            let Ok(out) = toml::emit(m, d) else {
                assert_eq!(d, TomlWriter::Toml0102, "tomli_w dialects always write");
                continue;
            };
            // toml 0.10.2 (Gramine v1.0-v1.3) is not a faithful writer, and neither this
            // reproduction: it drops the backslash of `\xNN` escapes and loses empty tables in
            // arrays of tables (both checked against the Python library, which then also fails to
            // read its output back, or reads something else). Only trees without those are held
            // to the properties below.
            if d == TomlWriter::Toml0102 && !toml0102_faithful(&Value::Table(m.clone()), false) {
                let _ = toml::parse_for(&out, d);
                continue;
            }
            let back = match toml::parse_for(&out, d) {
                Ok(t) => t,
                Err(e) => panic!("{version} {d:?}: written manifest not read back: {e:#}\n{out}"),
            };
            assert!(
                same_table(&back, m),
                "{version} {d:?}: written manifest reads back differently\n{out}\n{m:?}\n{back:?}"
            );
            // The written text is a fixed point.
            let again = toml::try_emit(&back, d);
            assert_eq!(
                again.as_deref().ok(),
                Some(out.as_str()),
                "{version} {d:?}: not a fixed point"
            );
        }
    }
});
