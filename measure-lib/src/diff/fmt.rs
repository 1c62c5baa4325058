//! How the diff report writes sizes, flags, values and lists for people (the text report and
//! the report's own sentences).

use std::fmt::Write as _;

use measure_core::profile::secinfo;

use crate::toml::{self, Value};

/// `0x10000000 (256M)`.
pub fn size_text(n: u64) -> String {
    let units = [(40, "T"), (30, "G"), (20, "M"), (10, "K")];
    for (shift, u) in units {
        if n >= 1 << shift && n.is_multiple_of(1 << shift) {
            return format!("{n:#x} ({}{u})", n >> shift);
        }
    }
    format!("{n:#x}")
}

/// `1 page`, `2 pages`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `s`, or its first `max` characters and its length.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max).collect();
    format!("{head}... ({} characters)", s.chars().count())
}

/// SECINFO flags: `0x201 (REG:R--)`.
pub fn secinfo_text(f: u64) -> String {
    let ty = if f & secinfo::TCS != 0 {
        "TCS"
    } else if f & secinfo::REG != 0 {
        "REG"
    } else {
        "?"
    };
    format!(
        "{f:#x} ({ty}:{}{}{})",
        if f & secinfo::R != 0 { 'R' } else { '-' },
        if f & secinfo::W != 0 { 'W' } else { '-' },
        if f & secinfo::X != 0 { 'X' } else { '-' }
    )
}

/// ELF `p_flags`: `R-E`.
pub fn pflags(f: u32) -> String {
    format!(
        "{}{}{}",
        if f & 4 != 0 { 'R' } else { '-' },
        if f & 2 != 0 { 'W' } else { '-' },
        if f & 1 != 0 { 'E' } else { '-' }
    )
}

/// Page numbers as ranges: `0-3, 7`.
pub fn ranges(pages: &[u64]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(&start) = pages.get(i) {
        let mut end = start;
        while pages.get(i + 1) == Some(&(end + 1)) {
            end += 1;
            i += 1;
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    out.join(", ")
}

/// A key as TOML writes it: bare when it can be, else a quoted string.
pub fn key_text(k: &str) -> String {
    if !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        k.to_string()
    } else {
        quoted(k)
    }
}

/// A string in double quotes, escaped as JSON.
pub fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// A value as inline TOML.
pub fn value_text(v: &Value) -> String {
    let mut s = String::new();
    write_value(v, &mut s);
    s
}

fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => out.push_str(&quoted(s)),
        Value::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) if f.is_nan() => out.push_str("nan"),
        Value::Float(f) if f.is_infinite() => out.push_str(if *f > 0.0 { "inf" } else { "-inf" }),
        Value::Float(f) => out.push_str(&toml::pyfmt::float_repr(*f)),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Datetime(d) => out.push_str(&toml::pyfmt::datetime_str(d)),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(x, out);
            }
            out.push(']');
        }
        Value::Table(t) => {
            out.push_str("{ ");
            for (i, (k, x)) in t.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&key_text(k));
                out.push_str(" = ");
                write_value(x, out);
            }
            out.push_str(" }");
        }
    }
}
