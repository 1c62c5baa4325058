//! One home for every Gramine rule: outside `measure_core::rules` (and `profile`, which defines
//! the versions), no source of the workspace's crates names a particular Gramine version or
//! compares versions. What differs between versions is asked of the version's rules row.
//!
//! Test code (`tests/` directories, `#[cfg(test)]` modules at the end of a file), comments and
//! documentation may name versions: they give inputs, not rules.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The library and binary sources of the workspace's crates.
fn sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for krate in [
        "measure-core",
        "measure-lib",
        "measure-cli",
        "ffi",
        "python",
    ] {
        walk(&root().join(krate).join("src"), &mut out);
    }
    out.sort();
    out
}

/// Whether `line` names a version (`V1_9`, not part of a longer identifier such as
/// `XFRM_MASK_CONST_V1_0`; a string `"1.9"` or `"v1.9"`) or compares versions (an ordering of
/// `GramineVersion`, or `.code()` compared with `<`, `>`, `<=`, `>=` on either side).
fn names_a_version(line: &str) -> bool {
    let bytes = line.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    for (i, w) in line.match_indices("V1_") {
        let before = i.checked_sub(1).and_then(|j| bytes.get(j)).copied();
        let after = bytes.get(i + w.len()).copied();
        if before.is_none_or(|b| !word(b)) && after.is_some_and(|b| b.is_ascii_digit()) {
            return true;
        }
    }
    // A version number in a string literal: `"1.9"`, `"v1.10"` (the whole literal).
    for (i, _) in line.match_indices('"') {
        let rest = line.get(i + 1..).unwrap_or("");
        let rest = rest.strip_prefix('v').unwrap_or(rest);
        if let Some(minor) = rest.strip_prefix("1.") {
            let digits = minor.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 && minor.as_bytes().get(digits) == Some(&b'"') {
                return true;
            }
        }
    }
    let ordered = [" < ", " > ", " <= ", " >= "];
    (line.contains(".code()") && ordered.iter().any(|op| line.contains(op)))
        || line.contains("PartialOrd for GramineVersion")
        || line.contains("Ord for GramineVersion")
}

/// The lines of `text` that are code outside the test module at the end of the file.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let lines: Vec<&str> = text.lines().collect();
    // A `#[cfg(test)]` followed by a `mod` starts the test module; everything after it is tests.
    let end = lines
        .windows(2)
        .position(|w| w[0].trim() == "#[cfg(test)]" && w[1].trim_start().starts_with("mod "))
        .unwrap_or(lines.len());
    lines
        .into_iter()
        .enumerate()
        .take(end)
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l))
}

#[test]
fn no_version_comparison_outside_the_rules_table() {
    let allowed = [
        root().join("measure-core/src/rules.rs"),
        root().join("measure-core/src/profile.rs"),
    ];
    let files = sources();
    assert!(files.len() > 50, "found only {} sources", files.len());
    let mut offenders = Vec::new();
    for file in &files {
        if allowed.iter().any(|a| same(a, file)) {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("source");
        for (n, line) in code_lines(&text) {
            // Another format's version (an attestation token's claims version, say), marked.
            if names_a_version(line) && !line.contains("// not a Gramine version") {
                offenders.push(format!(
                    "{}:{n}: {}",
                    file.strip_prefix(root()).unwrap_or(file).display(),
                    line.trim()
                ));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "Gramine versions named outside measure_core::rules (ask the version's rules row instead):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn versions_are_not_ordered() {
    // Comparing versions (`version <= V1_3`) is what the rules table replaces; without an order
    // it does not compile.
    let profile = std::fs::read_to_string(root().join("measure-core/src/profile.rs")).unwrap();
    let derive = profile
        .lines()
        .take_while(|l| !l.contains("pub enum GramineVersion"))
        .filter(|l| l.trim_start().starts_with("#[derive("))
        .last()
        .expect("GramineVersion's derive");
    assert!(
        !derive.contains("PartialOrd") && !derive.contains("Ord,"),
        "{derive}"
    );
}

#[test]
fn the_check_sees_what_it_must() {
    assert!(names_a_version("if version <= GramineVersion::V1_3 {"));
    assert!(names_a_version("V::V1_0 | V::V1_1 => {}"));
    assert!(names_a_version("match v { V1_8 => 1 }"));
    assert!(!names_a_version("pub const XFRM_MASK_CONST_V1_0: u64 = 0;"));
    assert!(!names_a_version("let x = GramineVersion::LATEST;"));
    assert!(names_a_version(
        "if v.code() <= GramineVersion::LATEST.code() {"
    ));
    assert!(names_a_version("if 14 > rules.version.code() {"));
    assert!(names_a_version(r#"#[arg(long, default_value = "1.9")]"#));
    assert!(names_a_version(r#"if version.as_str() == "v1.10" {"#));
    assert!(!names_a_version(
        r#"let v = "1.9.1"; let f = "1.0e3"; let s = "11.2";"#
    ));
    assert!(!names_a_version(
        "let same = writer.code() == other.code();"
    ));
    let text = "fn a() {}\n// V1_3 in a comment\n#[cfg(test)]\nmod tests {\n    V1_2\n}\n";
    assert_eq!(code_lines(text).map(|(n, _)| n).collect::<Vec<_>>(), [1]);
}

fn same(a: &Path, b: &Path) -> bool {
    a.canonicalize().ok() == b.canonicalize().ok()
}
