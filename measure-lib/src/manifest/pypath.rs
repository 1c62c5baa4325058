//! Python's `pathlib.PurePosixPath` string rules and `repr()` of TOML values, which decide the
//! URIs Gramine writes and the messages it prints (`repr(str)` itself is
//! `measure_core::python`'s).

use crate::toml::{Table, Value};

/// `str(pathlib.PurePosixPath(s))`: collapses repeated slashes and `.` components, drops a
/// trailing slash, keeps `..`; exactly two leading slashes are kept (POSIX), `""` becomes `"."`.
pub fn normalize(s: &str) -> String {
    if is_normal(s) {
        return s.to_string();
    }
    normalize_slow(s)
}

fn normalize_slow(s: &str) -> String {
    let root = if s.starts_with("//") && !s.starts_with("///") {
        "//"
    } else if s.starts_with('/') {
        "/"
    } else {
        ""
    };
    let parts: Vec<&str> = s
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let body = parts.join("/");
    match (root, body.is_empty()) {
        ("", true) => ".".to_string(),
        (r, _) => format!("{r}{body}"),
    }
}

/// Whether `s` is already what [`normalize`] returns (the common case: no empty or `.`
/// component, no trailing slash).
pub fn is_normal(s: &str) -> bool {
    if s.is_empty() || s == "." {
        return s == ".";
    }
    if s == "/" {
        return true;
    }
    let body = s.as_bytes().strip_prefix(b"/").unwrap_or(s.as_bytes());
    // Every component non-empty and not ".": one pass over the bytes (this runs once per
    // trusted file).
    let mut len = 0usize;
    let mut first = 0u8;
    for &b in body {
        if b == b'/' {
            if len == 0 || (len == 1 && first == b'.') {
                return false;
            }
            len = 0;
        } else {
            if len == 0 {
                first = b;
            }
            len += 1;
        }
    }
    len != 0 && !(len == 1 && first == b'.')
}

/// `str(PurePosixPath(parent) / name)` for an already normalized `parent`.
pub fn join(parent: &str, name: &str) -> String {
    if parent == "." {
        name.to_string()
    } else if parent.ends_with('/') {
        format!("{parent}{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// `repr(str)` (`measure_core::python::repr`).
pub fn repr_str(s: &str) -> String {
    measure_core::python::repr(s)
}

/// `repr()` of a TOML value as Python shows it in Gramine's error messages.
pub fn repr(v: &Value) -> String {
    match v {
        Value::String(s) => repr_str(s),
        Value::Array(a) => format!("[{}]", a.iter().map(repr).collect::<Vec<_>>().join(", ")),
        Value::Table(t) => repr_table(t),
        other => other.python_str(),
    }
}

/// `repr()` of a dict.
pub fn repr_table(t: &Table) -> String {
    let items: Vec<String> = t
        .iter()
        .map(|(k, v)| format!("{}: {}", repr_str(k), repr(v)))
        .collect();
    format!("{{{}}}", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_pathlib() {
        for (input, want) in [
            ("a//b/./c/", "a/b/c"),
            ("./files/x", "files/x"),
            ("", "."),
            (".", "."),
            ("./", "."),
            ("/", "/"),
            ("//a", "//a"),
            ("///a", "/a"),
            ("a/../b", "a/../b"),
            ("/usr//lib/", "/usr/lib"),
        ] {
            assert_eq!(normalize(input), want, "{input:?}");
        }
        assert_eq!(join(".", "x"), "x");
        assert_eq!(join("/", "x"), "/x");
        assert_eq!(join("a/b", "x"), "a/b/x");
    }

    #[test]
    fn fast_path_agrees_with_the_full_rule() {
        let parts = ["", ".", "..", "a", "bc"];
        let mut n = 0;
        for a in parts {
            for b in parts {
                for c in parts {
                    for pre in ["", "/", "//", "///", "./"] {
                        for post in ["", "/"] {
                            let s = format!("{pre}{a}/{b}/{c}{post}");
                            assert_eq!(normalize(&s), normalize_slow(&s), "{s:?}");
                            let s = format!("{pre}{a}{post}");
                            assert_eq!(normalize(&s), normalize_slow(&s), "{s:?}");
                            n += 2;
                        }
                    }
                }
            }
        }
        assert!(n > 1000);
    }

    #[test]
    fn reprs_like_python() {
        assert_eq!(repr_str("file:a"), "'file:a'");
        assert_eq!(repr_str("it's"), "\"it's\"");
        assert_eq!(repr_str("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(repr_str("tab\tx"), "'tab\\tx'");
        let mut t = Table::new();
        t.insert("extra", Value::String("unexpected".into()));
        assert_eq!(repr_table(&t), "{'extra': 'unexpected'}");
    }
}
