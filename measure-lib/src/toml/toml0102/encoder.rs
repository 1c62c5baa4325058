//! `toml.dumps` of toml 0.10.2 (its default `TomlEncoder`), byte for byte.

use std::fmt::Write as _;

use indexmap::IndexMap;

use super::decoder::is_group_name;
use super::pystr::{self, char_at};
use crate::toml::pyfmt::write_float_repr;
use crate::toml::value::{Datetime, Table, Value};

/// Why toml 0.10.2 cannot write a value tree (the exception `toml.dumps` raises).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpError(pub String);

type R<T> = Result<T, DumpError>;

fn index_error<T>() -> R<T> {
    Err(DumpError(
        "IndexError: list index out of range (toml 0.10.2 cannot write a string that starts with a control character)"
            .into(),
    ))
}

/// `toml.dumps(table)`.
pub fn dumps(table: &Table) -> R<String> {
    let mut out = String::new();
    let (top, mut sections) = dump_sections(table, "")?;
    out.push_str(&top);
    while !sections.is_empty() {
        let mut next: IndexMap<String, &Table> = IndexMap::new();
        for (name, t) in sections {
            let (body, subs) = dump_sections(t, &name)?;
            if !body.is_empty() || subs.is_empty() {
                if !out.is_empty() && !out.ends_with("\n\n") {
                    out.push('\n');
                }
                out.push('[');
                out.push_str(&name);
                out.push_str("]\n");
                out.push_str(&body);
            }
            for (s, v) in subs {
                next.insert(format!("{name}.{s}"), v);
            }
        }
        sections = next;
    }
    Ok(out)
}

/// `TomlEncoder.dump_sections`: the `key = value` lines (then the arrays of tables) of `o`, and
/// its sub-tables by quoted name.
fn dump_sections<'a>(o: &'a Table, sup: &str) -> R<(String, IndexMap<String, &'a Table>)> {
    let sup = if !sup.is_empty() && !sup.ends_with('.') {
        format!("{sup}.")
    } else {
        sup.to_string()
    };
    let mut retstr = String::new();
    let mut retdict: IndexMap<String, &'a Table> = IndexMap::new();
    let mut arraystr = String::new();
    for (section, value) in o.iter() {
        let qsection = if is_group_name(section) {
            section.clone()
        } else {
            dump_str(section)?
        };
        match value {
            Value::Table(t) => {
                retdict.insert(qsection, t);
            }
            Value::Array(items) if items.iter().any(|v| matches!(v, Value::Table(_))) => {
                for item in items {
                    let mut arraytabstr = String::from("\n");
                    let _ = writeln!(arraystr, "[[{sup}{qsection}]]");
                    let empty = Table::new();
                    let a = match item {
                        Value::Table(t) => t,
                        // Iterating an empty string or list yields nothing.
                        Value::String(s) if s.is_empty() => &empty,
                        Value::Array(v) if v.is_empty() => &empty,
                        other => {
                            return Err(DumpError(format!(
                                "TypeError: an array mixes tables with a {} (toml 0.10.2 cannot write it)",
                                other.type_name()
                            )));
                        }
                    };
                    let (s, mut d) = dump_sections(a, &format!("{sup}{qsection}"))?;
                    if !s.is_empty() {
                        if s.starts_with('[') {
                            arraytabstr.push_str(&s);
                        } else {
                            arraystr.push_str(&s);
                        }
                    }
                    while !d.is_empty() {
                        let mut newd: IndexMap<String, &Table> = IndexMap::new();
                        for (dsec, dt) in d {
                            let (s1, d1) = dump_sections(dt, &format!("{sup}{qsection}.{dsec}"))?;
                            if !s1.is_empty() {
                                let _ = writeln!(arraytabstr, "[{sup}{qsection}.{dsec}]");
                                arraytabstr.push_str(&s1);
                            }
                            for (k, v) in d1 {
                                newd.insert(format!("{dsec}.{k}"), v);
                            }
                        }
                        d = newd;
                    }
                    arraystr.push_str(&arraytabstr);
                }
            }
            other => {
                retstr.push_str(&qsection);
                retstr.push_str(" = ");
                dump_value(&mut retstr, other)?;
                retstr.push('\n');
            }
        }
    }
    retstr.push_str(&arraystr);
    Ok((retstr, retdict))
}

/// `TomlEncoder.dump_value`.
fn dump_value(out: &mut String, v: &Value) -> R<()> {
    match v {
        Value::String(s) => out.push_str(&dump_str(s)?),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => {
            let mut s = String::new();
            write_float_repr(&mut s, *f);
            out.push_str(&s.replace("e+0", "e+").replace("e-0", "e-"));
        }
        Value::Datetime(d) => out.push_str(&isoformat(d, true)?),
        Value::Array(items) => {
            out.push('[');
            for item in items {
                out.push(' ');
                dump_value(out, item)?;
                out.push(',');
            }
            out.push(']');
        }
        // A table nested in an array of arrays is iterated like a list: its keys.
        Value::Table(t) => {
            out.push('[');
            for (k, _) in t.iter() {
                out.push(' ');
                out.push_str(&dump_str(k)?);
                out.push(',');
            }
            out.push(']');
        }
    }
    Ok(())
}

/// Python's `isoformat()` of the `datetime`, `date` or `time` toml 0.10.2 decoded; with `z`, a
/// zero offset is written `Z` (`toml.dumps`).
pub fn isoformat(d: &Datetime, z: bool) -> R<String> {
    let mut s = String::new();
    if let Some(date) = &d.date {
        let _ = write!(s, "{:04}-{:02}-{:02}", date.year, date.month, date.day);
        if d.time.is_some() {
            s.push('T');
        }
    }
    if let Some(t) = &d.time {
        let _ = write!(s, "{:02}:{:02}:{:02}", t.hour, t.minute, t.second);
        if t.microsecond != 0 {
            let _ = write!(s, ".{:06}", t.microsecond);
        }
        if let (Some(m), Some(_)) = (d.offset_minutes, &d.date) {
            let m = i32::from(m);
            if m.abs() >= 24 * 60 {
                return Err(DumpError(
                    "ValueError: offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24)"
                        .into(),
                ));
            }
            let sign = if m < 0 { '-' } else { '+' };
            let a = m.abs();
            let _ = write!(s, "{sign}{:02}:{:02}", a / 60, a % 60);
        }
    }
    if z {
        s = s.replace("+00:00", "Z");
    }
    Ok(s)
}

/// `_dump_str`: Python's `repr` with its quotes swapped for double quotes and its `\xNN` escapes
/// rewritten (toml 0.10.2 drops the backslash of most of them, so `"\x01"` is written `x01`, and
/// un-doubles backslashes before them).
pub fn dump_str(v: &str) -> R<String> {
    let r = pystr::repr(v);
    let single = r.starts_with('\'');
    let inner = r.get(1..r.len().saturating_sub(1)).unwrap_or("");
    let inner = if single {
        inner.replace("\\'", "'").replace('"', "\\\"")
    } else {
        inner.to_string()
    };
    let mut parts: Vec<String> = inner.split("\\x").map(str::to_string).collect();
    while parts.len() > 1 {
        if parts[0].is_empty() {
            parts.remove(0);
        }
        let head = parts[0].replace("\\\\", "\\");
        let hc: Vec<char> = head.chars().collect();
        let Some(lastc) = char_at(&hc, -1) else {
            return index_error();
        };
        let mut joinx = lastc != '\\';
        let mut i: isize = -1;
        while hc.len() as isize + i > 0 && char_at(&hc, i) == Some('\\') {
            joinx = !joinx;
            i -= 1;
        }
        let joiner = if joinx { "x" } else { "u00" };
        let Some(second) = parts.get(1) else {
            return index_error();
        };
        let merged = format!("{head}{joiner}{second}");
        parts.splice(0..2, [merged]);
    }
    Ok(format!("\"{}\"", parts.first().map_or("", String::as_str)))
}
