//! The writer: tomli_w's `dump` output, byte for byte.
//!
//! Layout rules (tomli_w 0.4.0 and 1.x, with `multiline_strings=False` as Gramine calls it):
//!
//! * Every table is written as: its header, its *literals* (`key = value` lines, in order), then
//!   its *sub-tables* (tables, and the elements of arrays of tables that are not written inline),
//!   in order. Literals therefore always precede sub-tables.
//! * The header is `[[path]]` for an element of an expanded array of tables; otherwise `[path]`,
//!   written only for a non-root table that has at least one literal or no sub-tables at all.
//! * Each sub-table is preceded by an empty line unless nothing has been written yet at this
//!   level.
//! * A non-empty array whose items are all tables is written inline only when every item is
//!   "suitable": `"    " + inline rendering + ","` is at most 100 code points and has no newline.
//!   tomli_w 0.4.0 also rejects any item holding an array or a table (even an empty one).
//! * Keys are bare when non-empty and made of `A-Za-z0-9_-`, else basic strings.
//! * Strings are basic strings: `\b \n \f \r \" \\` short escapes, other control characters
//!   (except TAB) and DEL as `\u00XX` (lowercase hex), everything else raw.
//! * Arrays are multi-line, items indented by four spaces per nesting level, with a trailing
//!   comma; an inline table restarts the nesting level at zero. Inline tables are `{ k = v, ... }`.
//! * Integers in decimal, floats as Python's `repr`, date-times as Python's `str`.

use std::fmt::Write as _;

use super::pyfmt::{write_datetime, write_float_repr};
use super::value::{Table, Value};

pub use measure_core::rules::TomlWriter;

const ARRAY_INDENT: &str = "    ";
const MAX_LINE_LENGTH: usize = 100;

/// Serializes `table` as the given writer's `dump` would, or says why that writer fails on it.
///
/// Only toml 0.10.2 ([`TomlWriter::Toml0102`]) ever fails (e.g. on a string that starts with a
/// control character, where the Python library raises): the error is returned, never an empty
/// or partial text in its place.
pub fn emit(table: &Table, dialect: TomlWriter) -> Result<String, super::TomlError> {
    if dialect == TomlWriter::Toml0102 {
        return super::toml0102::dumps(table)
            .map_err(|e| super::TomlError::Unwritable { reason: e.0 });
    }
    Ok(emit_tomli_w(table, dialect))
}

/// The same as [`emit`] (its earlier name).
pub fn try_emit(table: &Table, dialect: TomlWriter) -> Result<String, super::TomlError> {
    emit(table, dialect)
}

/// tomli_w's output, which always exists (`dialect` is one of tomli_w's; toml 0.10.2 is
/// written by [`emit`] only).
pub(crate) fn emit_tomli_w(table: &Table, dialect: TomlWriter) -> String {
    debug_assert_ne!(dialect, TomlWriter::Toml0102);
    let mut out = String::new();
    gen_table(&mut out, table, dialect, "", false);
    out
}

enum Literal<'a> {
    Plain(&'a Value),
    /// An array of tables written inline: the items' inline renderings.
    InlineAot(InlineItems),
}

/// Inline renderings of an array's items, concatenated in a few buffers (not one string per
/// item: trusted-file lists have tens of thousands of items).
struct InlineItems {
    parts: Vec<InlinePart>,
}

/// The renderings of a run of consecutive items.
struct InlinePart {
    text: String,
    /// End offset in `text` of each item.
    ends: Vec<usize>,
}

impl InlineItems {
    fn iter(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().flat_map(|part| {
            let starts = std::iter::once(0).chain(part.ends.iter().copied());
            starts
                .zip(part.ends.iter().copied())
                .map(|(a, b)| part.text.get(a..b).unwrap_or_default())
        })
    }

    fn text_len(&self) -> usize {
        self.parts.iter().map(|p| p.text.len()).sum()
    }

    fn count(&self) -> usize {
        self.parts.iter().map(|p| p.ends.len()).sum()
    }
}

/// A sub-table of a table being written: a table, or an array of tables written as `[[name]]`
/// sections.
enum Sub<'a> {
    Table(&'a str, &'a Table),
    Aot(&'a str, &'a [Value]),
}

fn gen_table(out: &mut String, table: &Table, dialect: TomlWriter, name: &str, inside_aot: bool) {
    let mut literals: Vec<(&str, Literal<'_>)> = Vec::new();
    let mut subs: Vec<Sub<'_>> = Vec::new();
    for (k, v) in table.iter() {
        match v {
            Value::Table(t) => subs.push(Sub::Table(k, t)),
            Value::Array(items) if is_aot(items) => match inline_aot(items, dialect) {
                Some(rendered) => literals.push((k, Literal::InlineAot(rendered))),
                None => subs.push(Sub::Aot(k, items)),
            },
            _ => literals.push((k, Literal::Plain(v))),
        }
    }

    let mut yielded = false;
    if inside_aot || (!name.is_empty() && (!literals.is_empty() || subs.is_empty())) {
        yielded = true;
        if inside_aot {
            out.push_str("[[");
            out.push_str(name);
            out.push_str("]]\n");
        } else {
            out.push('[');
            out.push_str(name);
            out.push_str("]\n");
        }
    }
    if !literals.is_empty() {
        yielded = true;
        for (k, lit) in &literals {
            write_key(out, k);
            out.push_str(" = ");
            match lit {
                Literal::Plain(v) => write_literal(out, v, 0),
                Literal::InlineAot(rendered) => {
                    out.reserve(rendered.text_len() + rendered.count() * 6 + 2);
                    out.push_str("[\n");
                    for r in rendered.iter() {
                        out.push_str(ARRAY_INDENT);
                        out.push_str(r);
                        out.push_str(",\n");
                    }
                    out.push(']');
                }
            }
            out.push('\n');
        }
    }
    for sub in subs {
        let (k, items) = match sub {
            Sub::Table(k, t) => {
                if std::mem::replace(&mut yielded, true) {
                    out.push('\n');
                }
                gen_table(out, t, dialect, &child_name(name, k), false);
                continue;
            }
            Sub::Aot(k, items) => (k, items),
        };
        let child = child_name(name, k);
        // Every section is preceded by an empty line, except the very first one written here.
        if items.len() < PARALLEL_MIN_ITEMS {
            for item in items {
                if let Value::Table(t) = item {
                    if std::mem::replace(&mut yielded, true) {
                        out.push('\n');
                    }
                    gen_table(out, t, dialect, &child, true);
                }
            }
            continue;
        }
        // Long arrays (tens of thousands of trusted files) are written on every core.
        use rayon::prelude::*;
        let chunk = items
            .len()
            .div_ceil(4 * rayon::current_num_threads())
            .max(1);
        let parts: Vec<String> = items
            .par_chunks(chunk)
            .map(|run| {
                let mut part = String::with_capacity(section_size_hint(run, &child));
                for item in run {
                    if let Value::Table(t) = item {
                        part.push('\n');
                        gen_table(&mut part, t, dialect, &child, true);
                    }
                }
                part
            })
            .collect();
        out.reserve(parts.iter().map(String::len).sum());
        for part in &parts {
            let part = match std::mem::replace(&mut yielded, true) {
                true => part.as_str(),
                false => part.strip_prefix('\n').unwrap_or(part),
            };
            out.push_str(part);
        }
    }
}

/// About the size of `[[name]]` sections written for `items` (of simple tables; more for
/// others): a part of a long array is written without growing its buffer again and again.
fn section_size_hint(items: &[Value], name: &str) -> usize {
    items
        .iter()
        .map(|item| match item {
            Value::Table(t) => {
                name.len()
                    + 6
                    + t.iter()
                        .map(|(k, v)| {
                            k.len()
                                + 6
                                + match v {
                                    Value::String(s) => s.len() + 2,
                                    _ => 16,
                                }
                        })
                        .sum::<usize>()
            }
            _ => 0,
        })
        .sum()
}

/// The header name of a sub-table `key` of the table called `name`.
fn child_name(name: &str, key: &str) -> String {
    let mut child = String::with_capacity(name.len() + key.len() + 1);
    if !name.is_empty() {
        child.push_str(name);
        child.push('.');
    }
    write_key(&mut child, key);
    child
}

/// A non-empty list whose items are all tables.
fn is_aot(items: &[Value]) -> bool {
    !items.is_empty() && items.iter().all(|v| matches!(v, Value::Table(_)))
}

/// Arrays at least this long are rendered on every core.
const PARALLEL_MIN_ITEMS: usize = 2048;

/// The inline renderings of the items if every item is suitable for inline writing.
fn inline_aot(items: &[Value], dialect: TomlWriter) -> Option<InlineItems> {
    if items.len() < PARALLEL_MIN_ITEMS {
        return Some(InlineItems {
            parts: vec![inline_part(items, dialect)?],
        });
    }
    use rayon::prelude::*;
    let chunk = items.len().div_ceil(4 * rayon::current_num_threads());
    let parts: Option<Vec<InlinePart>> = items
        .par_chunks(chunk.max(1))
        .map(|run| inline_part(run, dialect))
        .collect();
    Some(InlineItems { parts: parts? })
}

fn inline_part(items: &[Value], dialect: TomlWriter) -> Option<InlinePart> {
    let mut rendered = InlinePart {
        text: String::new(),
        ends: Vec::with_capacity(items.len()),
    };
    for item in items {
        let Value::Table(t) = item else { return None };
        if dialect == TomlWriter::TomliW04
            && t.iter()
                .any(|(_, v)| matches!(v, Value::Array(_) | Value::Table(_)))
        {
            return None;
        }
        let start = rendered.text.len();
        write_inline_table(&mut rendered.text, t);
        let r = rendered.text.get(start..).unwrap_or_default();
        // "    " + r + "," must fit in 100 code points (bytes bound them from above) and be one
        // line.
        let too_long = ARRAY_INDENT.len() + r.len() + 1 > MAX_LINE_LENGTH
            && ARRAY_INDENT.len() + r.chars().count() + 1 > MAX_LINE_LENGTH;
        if too_long || r.as_bytes().contains(&b'\n') {
            return None;
        }
        rendered.ends.push(rendered.text.len());
    }
    Some(rendered)
}

fn write_literal(out: &mut String, v: &Value, nest_level: usize) {
    match v {
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => write_float_repr(out, *f),
        Value::Datetime(d) => write_datetime(out, d),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => write_array(out, items, nest_level),
        Value::Table(t) => write_inline_table(out, t),
    }
}

fn write_array(out: &mut String, items: &[Value], nest_level: usize) {
    if items.is_empty() {
        out.push_str("[]");
        return;
    }
    out.push_str("[\n");
    for item in items {
        for _ in 0..=nest_level {
            out.push_str(ARRAY_INDENT);
        }
        write_literal(out, item, nest_level + 1);
        out.push_str(",\n");
    }
    for _ in 0..nest_level {
        out.push_str(ARRAY_INDENT);
    }
    out.push(']');
}

fn write_inline_table(out: &mut String, t: &Table) {
    if t.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push_str("{ ");
    for (i, (k, v)) in t.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_key(out, k);
        out.push_str(" = ");
        // Inside an inline table the array nesting level restarts at zero.
        write_literal(out, v, 0);
    }
    out.push_str(" }");
}

fn write_key(out: &mut String, k: &str) {
    if !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        out.push_str(k);
    } else {
        write_string(out, k);
    }
}

/// Bytes a basic string cannot hold raw: control characters other than tab, DEL, `"` and `\`.
static NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b < 0x20 && b != 0x09) || b == 0x7f || b == b'"' as usize || b == b'\\' as usize;
        b += 1;
    }
    t
};

/// Writes `s` as tomli_w writes a string (a basic string, escaped).
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    while let Some(n) = bytes
        .get(start..)
        .and_then(|rest| rest.iter().position(|&b| NEEDS_ESCAPE[usize::from(b)]))
    {
        let i = start + n;
        out.push_str(s.get(start..i).unwrap_or(""));
        match bytes.get(i).copied().unwrap_or_default() {
            0x08 => out.push_str("\\b"),
            b'\n' => out.push_str("\\n"),
            0x0c => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b => {
                let _ = write!(out, "\\u{b:04x}");
            }
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or(""));
    out.push('"');
}
