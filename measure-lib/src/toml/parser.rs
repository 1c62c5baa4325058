//! A TOML 1.0 parser with tomli's semantics.
//!
//! It is a single-pass recursive-descent parser that builds the value tree directly, with the
//! same statement grammar, value grammar and table-definition rules as tomli (2.0.x, TOML 1.0):
//!
//! * a key enters its table the first time any statement mentions it (a header path, a dotted
//!   key, an array-of-tables header), so key order is tomli's by construction;
//! * a table may be declared by a header once; tables created through dotted keys cannot be
//!   re-opened by a header or by dotted keys of a later section; inline tables and arrays are
//!   frozen; `[[x]]` starts a fresh namespace below `x`. These rules are tracked with per-path flags
//!   (`FROZEN`, recursive; `EXPLICIT_NEST`, set at once for headers and at the next header for
//!   dotted-key parents), like tomli does;
//! * values: integers in decimal/hex/octal/binary with single underscores between digits, floats
//!   (decimal, `inf`, `nan` with optional sign), booleans, basic/literal strings (single and
//!   multi-line), offset/local date-times (`T`, `t` or space; `Z`/`z`; fractions truncated to
//!   microseconds), local dates and times, arrays, inline tables (single line, no trailing comma).
//!
//! All syntax characters are ASCII, so the parser scans bytes; multi-byte UTF-8 sequences never
//! contain ASCII or control bytes and are copied through unchanged.

use std::collections::HashMap;

use super::value::{Date, Datetime, Table, Time, Value};

/// Deepest nesting accepted (header/dotted key parts plus array and inline-table levels).
pub const MAX_DEPTH: usize = 256;

/// A parse error: message and byte offset into the (CRLF-normalised) text.
#[derive(Debug)]
pub struct ParseError {
    /// Byte offset of the problem.
    pub pos: usize,
    /// What is wrong, in tomli's words.
    pub msg: String,
}

type PResult<T> = Result<T, ParseError>;

const TOML11: &str = "TOML 1.1 syntax, which tomli before 2.4 (the TOML parser of Gramine's \
                      supported distributions) rejects";

fn err<T>(pos: usize, msg: impl Into<String>) -> PResult<T> {
    Err(ParseError {
        pos,
        msg: msg.into(),
    })
}

fn is_bare_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Bytes that end a run of plain characters in a basic string: `"`, `\\`, and control
/// characters other than tab (a newline is allowed only in multi-line strings). Strings are
/// scanned a run at a time; manifests with tens of thousands of hashes spend most of their
/// parsing time here.
static BASIC_STR_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b < 0x20 && b != 0x09) || b == 0x7f || b == b'"' as usize || b == b'\\' as usize;
        b += 1;
    }
    t
};

/// Bytes that end a run of plain characters in a literal string: `'` and control characters
/// other than tab.
static LITERAL_STR_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b < 0x20 && b != 0x09) || b == 0x7f || b == b'\'' as usize;
        b += 1;
    }
    t
};

/// ASCII control characters (U+0000-U+001F and U+007F).
fn is_ctrl(b: u8) -> bool {
    b < 0x20 || b == 0x7f
}

fn key_repr(key: &[String]) -> String {
    let parts: Vec<String> = key.iter().map(|k| format!("{k:?}")).collect();
    format!("[{}]", parts.join("."))
}

// ---------------------------------------------------------------------------------------------
// Flags (per key path, shared by all elements of an array of tables, as in tomli).

const FROZEN: u8 = 1;
const EXPLICIT_NEST: u8 = 2;

#[derive(Default)]
struct FlagNode {
    flags: u8,
    recursive: u8,
    nested: HashMap<String, FlagNode>,
}

#[derive(Default)]
struct Flags {
    root: HashMap<String, FlagNode>,
    pending: Vec<Vec<String>>,
}

impl Flags {
    fn add_pending(&mut self, key: Vec<String>) {
        self.pending.push(key);
    }

    fn finalize_pending(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        for key in pending {
            self.set(&key, EXPLICIT_NEST, false);
        }
    }

    fn unset_all(&mut self, key: &[String]) {
        let Some((stem, parent)) = key.split_last() else {
            return;
        };
        let mut cont = &mut self.root;
        for k in parent {
            match cont.get_mut(k) {
                Some(node) => cont = &mut node.nested,
                None => return,
            }
        }
        cont.remove(stem);
    }

    fn set(&mut self, key: &[String], flag: u8, recursive: bool) {
        let mut cont = &mut self.root;
        let Some((stem, parent)) = key.split_last() else {
            return;
        };
        for k in parent {
            cont = &mut cont.entry(k.clone()).or_default().nested;
        }
        let node = cont.entry(stem.clone()).or_default();
        if recursive {
            node.recursive |= flag;
        } else {
            node.flags |= flag;
        }
    }

    fn is(&self, key: &[String], flag: u8) -> bool {
        let Some((stem, parent)) = key.split_last() else {
            return false;
        };
        let mut cont = &self.root;
        for k in parent {
            match cont.get(k) {
                None => return false,
                Some(node) => {
                    if node.recursive & flag != 0 {
                        return true;
                    }
                    cont = &node.nested;
                }
            }
        }
        match cont.get(stem) {
            Some(node) => (node.flags | node.recursive) & flag != 0,
            None => false,
        }
    }
}

/// Walks (creating missing tables) to the table at `key`. With `access_lists`, an array on the
/// path stands for its last element (arrays of tables). Fails if the path hits a non-table.
fn get_or_create_nest<'t>(
    mut cont: &'t mut Table,
    key: &[String],
    access_lists: bool,
) -> Option<&'t mut Table> {
    for k in key {
        let v = cont.setdefault(k, Value::Table(Table::new()));
        cont = match v {
            Value::Table(t) => t,
            Value::Array(a) if access_lists => match a.last_mut() {
                Some(Value::Table(t)) => t,
                _ => return None,
            },
            _ => return None,
        };
    }
    Some(cont)
}

// ---------------------------------------------------------------------------------------------

struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
}

/// Parses a whole document (already CRLF-normalised).
pub fn parse_document(src: &str) -> PResult<Table> {
    let p = Parser {
        src,
        b: src.as_bytes(),
    };
    p.document()
}

impl<'a> Parser<'a> {
    fn at(&self, pos: usize) -> Option<u8> {
        self.b.get(pos).copied()
    }

    /// The first position at or after `pos` whose byte is in `stop` (or the end).
    fn scan_until(&self, pos: usize, stop: &[bool; 256]) -> usize {
        let rest = self.b.get(pos..).unwrap_or_default();
        pos + rest
            .iter()
            .position(|&b| stop[usize::from(b)])
            .unwrap_or(rest.len())
    }

    fn starts_with(&self, pos: usize, s: &str) -> bool {
        self.b
            .get(pos..)
            .is_some_and(|rest| rest.starts_with(s.as_bytes()))
    }

    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.src.get(start..end).unwrap_or("")
    }

    fn skip_ws(&self, mut pos: usize) -> usize {
        while matches!(self.at(pos), Some(b' ' | b'\t')) {
            pos += 1;
        }
        pos
    }

    fn skip_ws_nl(&self, mut pos: usize) -> usize {
        while matches!(self.at(pos), Some(b' ' | b'\t' | b'\n')) {
            pos += 1;
        }
        pos
    }

    fn skip_comment(&self, pos: usize) -> PResult<usize> {
        if self.at(pos) != Some(b'#') {
            return Ok(pos);
        }
        let mut p = pos + 1;
        while let Some(c) = self.at(p) {
            if c == b'\n' {
                break;
            }
            if is_ctrl(c) && c != b'\t' {
                return err(p, "invalid control character in a comment");
            }
            p += 1;
        }
        Ok(p)
    }

    fn skip_comments_and_array_ws(&self, mut pos: usize) -> PResult<usize> {
        loop {
            let before = pos;
            pos = self.skip_ws_nl(pos);
            pos = self.skip_comment(pos)?;
            if pos == before {
                return Ok(pos);
            }
        }
    }

    fn document(&self) -> PResult<Table> {
        let mut data = Table::new();
        let mut flags = Flags::default();
        let mut header: Vec<String> = Vec::new();
        let mut pos = 0;
        loop {
            pos = self.skip_ws(pos);
            let Some(c) = self.at(pos) else { break };
            if c == b'\n' {
                pos += 1;
                continue;
            }
            if is_bare_key_byte(c) || c == b'"' || c == b'\'' {
                pos = self.key_value_rule(pos, &mut data, &mut flags, &header)?;
                pos = self.skip_ws(pos);
            } else if c == b'[' {
                flags.finalize_pending();
                let (p, h) = if self.at(pos + 1) == Some(b'[') {
                    self.create_list_rule(pos, &mut data, &mut flags)?
                } else {
                    self.create_dict_rule(pos, &mut data, &mut flags)?
                };
                pos = self.skip_ws(p);
                header = h;
            } else if c != b'#' {
                if pos == 0 && self.starts_with(0, "\u{feff}") {
                    return err(pos, "a byte order mark (U+FEFF) is not allowed");
                }
                return err(pos, "invalid statement");
            }
            pos = self.skip_comment(pos)?;
            match self.at(pos) {
                None => break,
                Some(b'\n') => pos += 1,
                Some(_) => {
                    return err(
                        pos,
                        "expected a newline or the end of the document after a statement",
                    );
                }
            }
        }
        Ok(data)
    }

    fn create_dict_rule(
        &self,
        pos: usize,
        data: &mut Table,
        flags: &mut Flags,
    ) -> PResult<(usize, Vec<String>)> {
        let pos = self.skip_ws(pos + 1);
        let (pos, key) = self.parse_key(pos)?;
        if key.len() > MAX_DEPTH {
            return err(pos, format!("table nesting deeper than {MAX_DEPTH} levels"));
        }
        if flags.is(&key, EXPLICIT_NEST) || flags.is(&key, FROZEN) {
            return err(
                pos,
                format!("cannot declare table {} twice", key_repr(&key)),
            );
        }
        flags.set(&key, EXPLICIT_NEST, false);
        if get_or_create_nest(data, &key, true).is_none() {
            return err(
                pos,
                format!(
                    "cannot overwrite a value: {} is not a table",
                    key_repr(&key)
                ),
            );
        }
        if self.at(pos) != Some(b']') {
            return err(pos, "expected ']' at the end of a table declaration");
        }
        Ok((pos + 1, key))
    }

    fn create_list_rule(
        &self,
        pos: usize,
        data: &mut Table,
        flags: &mut Flags,
    ) -> PResult<(usize, Vec<String>)> {
        let pos = self.skip_ws(pos + 2);
        let (pos, key) = self.parse_key(pos)?;
        if key.len() > MAX_DEPTH {
            return err(pos, format!("table nesting deeper than {MAX_DEPTH} levels"));
        }
        if flags.is(&key, FROZEN) {
            return err(
                pos,
                format!("cannot mutate immutable namespace {}", key_repr(&key)),
            );
        }
        flags.unset_all(&key);
        flags.set(&key, EXPLICIT_NEST, false);
        let overwrite = || {
            err(
                pos,
                format!(
                    "cannot overwrite a value: {} is not an array of tables",
                    key_repr(&key)
                ),
            )
        };
        let Some((stem, parent)) = key.split_last() else {
            return overwrite();
        };
        let Some(cont) = get_or_create_nest(data, parent, true) else {
            return overwrite();
        };
        match cont.get_mut(stem) {
            Some(Value::Array(list)) => list.push(Value::Table(Table::new())),
            Some(_) => return overwrite(),
            None => cont.insert(stem.clone(), Value::Array(vec![Value::Table(Table::new())])),
        }
        if !self.starts_with(pos, "]]") {
            return err(
                pos,
                "expected ']]' at the end of an array of tables declaration",
            );
        }
        Ok((pos + 2, key))
    }

    fn key_value_rule(
        &self,
        pos: usize,
        data: &mut Table,
        flags: &mut Flags,
        header: &[String],
    ) -> PResult<usize> {
        let (pos, key, value) = self.parse_key_value_pair(pos, header.len())?;
        let Some((stem, parent)) = key.split_last() else {
            return err(pos, "empty key");
        };
        let mut abs_key: Vec<String> = Vec::with_capacity(header.len() + key.len());
        abs_key.extend_from_slice(header);
        for part in parent {
            abs_key.push(part.clone());
            if flags.is(&abs_key, EXPLICIT_NEST) {
                return err(
                    pos,
                    format!("cannot redefine namespace {}", key_repr(&abs_key)),
                );
            }
            flags.add_pending(abs_key.clone());
        }
        // abs_key is now header + parent.
        debug_assert_eq!(abs_key.len(), header.len() + parent.len());
        if flags.is(&abs_key, FROZEN) {
            return err(
                pos,
                format!("cannot mutate immutable namespace {}", key_repr(&abs_key)),
            );
        }
        let Some(nest) = get_or_create_nest(data, &abs_key, true) else {
            return err(
                pos,
                format!(
                    "cannot overwrite a value: {} is not a table",
                    key_repr(&abs_key)
                ),
            );
        };
        if nest.contains_key(stem) {
            abs_key.push(stem.clone());
            return err(
                pos,
                format!(
                    "cannot overwrite a value: {} is already defined",
                    key_repr(&abs_key)
                ),
            );
        }
        let freeze = matches!(value, Value::Table(_) | Value::Array(_));
        nest.insert_new(stem.clone(), value);
        if freeze {
            abs_key.push(stem.clone());
            flags.set(&abs_key, FROZEN, true);
        }
        Ok(pos)
    }

    fn parse_key_value_pair(
        &self,
        pos: usize,
        depth: usize,
    ) -> PResult<(usize, Vec<String>, Value)> {
        let (pos, key) = self.parse_key(pos)?;
        if self.at(pos) != Some(b'=') {
            return err(pos, "expected '=' after a key in a key/value pair");
        }
        let pos = self.skip_ws(pos + 1);
        let depth = depth + key.len();
        if depth > MAX_DEPTH {
            return err(pos, format!("nesting deeper than {MAX_DEPTH} levels"));
        }
        let (pos, value) = self.parse_value(pos, depth)?;
        Ok((pos, key, value))
    }

    fn parse_key(&self, pos: usize) -> PResult<(usize, Vec<String>)> {
        let (pos, part) = self.parse_key_part(pos)?;
        let mut key = vec![part];
        let mut pos = self.skip_ws(pos);
        while self.at(pos) == Some(b'.') {
            pos = self.skip_ws(pos + 1);
            let (p, part) = self.parse_key_part(pos)?;
            key.push(part);
            pos = self.skip_ws(p);
        }
        Ok((pos, key))
    }

    fn parse_key_part(&self, pos: usize) -> PResult<(usize, String)> {
        match self.at(pos) {
            Some(c) if is_bare_key_byte(c) => {
                let rest = self.b.get(pos..).unwrap_or_default();
                let len = rest
                    .iter()
                    .position(|&b| !is_bare_key_byte(b))
                    .unwrap_or(rest.len());
                Ok((pos + len, self.slice(pos, pos + len).to_string()))
            }
            Some(b'\'') => self.parse_literal_str(pos),
            Some(b'"') => self.parse_basic_str(pos + 1, false),
            _ => err(pos, "invalid initial character for a key part"),
        }
    }

    fn parse_value(&self, pos: usize, depth: usize) -> PResult<(usize, Value)> {
        let c = self.at(pos);
        match c {
            Some(b'"') => {
                return if self.starts_with(pos, "\"\"\"") {
                    self.parse_multiline_str(pos, false)
                } else {
                    self.parse_basic_str(pos + 1, false)
                }
                .map(|(p, s)| (p, Value::String(s)));
            }
            Some(b'\'') => {
                return if self.starts_with(pos, "'''") {
                    self.parse_multiline_str(pos, true)
                } else {
                    self.parse_literal_str(pos)
                }
                .map(|(p, s)| (p, Value::String(s)));
            }
            Some(b't') if self.starts_with(pos, "true") => {
                return Ok((pos + 4, Value::Boolean(true)));
            }
            Some(b'f') if self.starts_with(pos, "false") => {
                return Ok((pos + 5, Value::Boolean(false)));
            }
            Some(b'[') => return self.parse_array(pos, depth + 1),
            Some(b'{') => return self.parse_inline_table(pos, depth + 1),
            _ => {}
        }
        if let Some(r) = self.match_datetime(pos) {
            return r;
        }
        if let Some((end, time)) = self.match_time(pos) {
            return Ok((
                end,
                Value::Datetime(Datetime {
                    date: None,
                    time: Some(time),
                    offset_minutes: None,
                }),
            ));
        }
        if self.is_time_without_seconds(pos) {
            return err(pos, format!("a time without seconds is {TOML11}"));
        }
        if let Some(r) = self.match_number(pos) {
            return r;
        }
        for special in ["inf", "nan", "+inf", "-inf", "+nan", "-nan"] {
            if self.starts_with(pos, special) {
                let v = match special {
                    "inf" | "+inf" => f64::INFINITY,
                    "-inf" => f64::NEG_INFINITY,
                    "-nan" => -f64::NAN,
                    _ => f64::NAN,
                };
                return Ok((pos + special.len(), Value::Float(v)));
            }
        }
        err(pos, "invalid value")
    }

    fn parse_array(&self, pos: usize, depth: usize) -> PResult<(usize, Value)> {
        if depth > MAX_DEPTH {
            return err(pos, format!("nesting deeper than {MAX_DEPTH} levels"));
        }
        let pos = self.skip_comments_and_array_ws(pos + 1)?;
        if self.at(pos) == Some(b']') {
            return Ok((pos + 1, Value::Array(Vec::new())));
        }
        let mut items = Vec::new();
        let end = self.array_items(pos, depth, &mut items)?;
        Ok((end, Value::Array(items)))
    }

    /// The items of an array from `pos` (a value) to its closing bracket, appended to `items`;
    /// the position after the bracket.
    fn array_items(&self, mut pos: usize, depth: usize, items: &mut Vec<Value>) -> PResult<usize> {
        loop {
            let (p, v) = self.parse_value(pos, depth)?;
            items.push(v);
            pos = self.skip_comments_and_array_ws(p)?;
            match self.at(pos) {
                Some(b']') => return Ok(pos + 1),
                Some(b',') => {}
                _ => return err(pos, "unclosed array: expected ',' or ']'"),
            }
            pos = self.skip_comments_and_array_ws(pos + 1)?;
            if self.at(pos) == Some(b']') {
                return Ok(pos + 1);
            }
        }
    }

    fn parse_inline_table(&self, pos: usize, depth: usize) -> PResult<(usize, Value)> {
        if depth > MAX_DEPTH {
            return err(pos, format!("nesting deeper than {MAX_DEPTH} levels"));
        }
        let mut table = Table::new();
        let mut flags = Flags::default();
        let mut pos = self.skip_ws(pos + 1);
        self.check_inline_newline(pos)?;
        if self.at(pos) == Some(b'}') {
            return Ok((pos + 1, Value::Table(table)));
        }
        loop {
            let (p, mut key, value) = self.parse_key_value_pair(pos, depth)?;
            if flags.is(&key, FROZEN) {
                return err(
                    p,
                    format!("cannot mutate immutable namespace {}", key_repr(&key)),
                );
            }
            let Some(stem) = key.pop() else {
                return err(p, "empty key");
            };
            let Some(nest) = get_or_create_nest(&mut table, &key, false) else {
                return err(
                    p,
                    format!(
                        "cannot overwrite a value: {} is not a table",
                        key_repr(&key)
                    ),
                );
            };
            let freeze = matches!(value, Value::Table(_) | Value::Array(_));
            if freeze {
                key.push(stem.clone());
            }
            if let Err((stem, _)) = nest.try_insert_new(stem, value) {
                return err(p, format!("duplicate inline table key {stem:?}"));
            }
            pos = self.skip_ws(p);
            self.check_inline_newline(pos)?;
            match self.at(pos) {
                Some(b'}') => return Ok((pos + 1, Value::Table(table))),
                Some(b',') => {}
                _ => return err(pos, "unclosed inline table: expected ',' or '}'"),
            }
            if freeze {
                flags.set(&key, FROZEN, true);
            }
            pos = self.skip_ws(pos + 1);
            self.check_inline_newline(pos)?;
            if self.at(pos) == Some(b'}') {
                return err(
                    pos,
                    format!("a trailing comma in an inline table is {TOML11}"),
                );
            }
        }
    }

    /// Inline tables are single-line in TOML 1.0.
    fn check_inline_newline(&self, pos: usize) -> PResult<()> {
        match self.at(pos) {
            Some(b'\n') => err(pos, format!("a newline inside an inline table is {TOML11}")),
            Some(b'#') => err(pos, format!("a comment inside an inline table is {TOML11}")),
            _ => Ok(()),
        }
    }

    // ---- strings -----------------------------------------------------------------------------

    /// Single-line literal string starting at the opening quote.
    fn parse_literal_str(&self, pos: usize) -> PResult<(usize, String)> {
        let start = pos + 1;
        let mut p = start;
        loop {
            p = self.scan_until(p, &LITERAL_STR_STOP);
            match self.at(p) {
                None => return err(p, "unterminated literal string: expected \"'\""),
                Some(b'\'') => return Ok((p + 1, self.slice(start, p).to_string())),
                Some(c) if is_ctrl(c) && c != b'\t' => {
                    return err(p, "invalid character in a literal string");
                }
                Some(_) => p += 1,
            }
        }
    }

    /// Multi-line string starting at the opening `"""` / `'''`.
    fn parse_multiline_str(&self, pos: usize, literal: bool) -> PResult<(usize, String)> {
        let mut pos = pos + 3;
        if self.at(pos) == Some(b'\n') {
            pos += 1;
        }
        let (mut pos, mut result, delim) = if literal {
            let start = pos;
            let mut p = pos;
            loop {
                if self.starts_with(p, "'''") {
                    break;
                }
                match self.at(p) {
                    None => return err(p, "unterminated multi-line literal string"),
                    Some(c) if is_ctrl(c) && c != b'\t' && c != b'\n' => {
                        return err(p, "invalid character in a multi-line literal string");
                    }
                    Some(_) => p += 1,
                }
            }
            (p + 3, self.slice(start, p).to_string(), b'\'')
        } else {
            let (p, s) = self.parse_basic_str(pos, true)?;
            (p, s, b'"')
        };
        // Up to two quotes right before the closing delimiter belong to the string.
        for _ in 0..2 {
            if self.at(pos) != Some(delim) {
                break;
            }
            result.push(delim as char);
            pos += 1;
        }
        Ok((pos, result))
    }

    /// Basic string body starting right after the opening quote(s), up to and including the
    /// closing `"` (or `"""` when `multiline`).
    fn parse_basic_str(&self, pos: usize, multiline: bool) -> PResult<(usize, String)> {
        let mut result = String::new();
        let mut start = pos;
        let mut pos = pos;
        loop {
            pos = self.scan_until(pos, &BASIC_STR_STOP);
            let Some(c) = self.at(pos) else {
                return err(pos, "unterminated string");
            };
            match c {
                b'"' => {
                    if !multiline {
                        if result.is_empty() {
                            // No escape: one allocation of the exact size.
                            return Ok((pos + 1, self.slice(start, pos).to_string()));
                        }
                        result.push_str(self.slice(start, pos));
                        return Ok((pos + 1, result));
                    }
                    if self.starts_with(pos, "\"\"\"") {
                        result.push_str(self.slice(start, pos));
                        return Ok((pos + 3, result));
                    }
                    pos += 1;
                }
                b'\\' => {
                    result.push_str(self.slice(start, pos));
                    pos = self.parse_escape(pos, multiline, &mut result)?;
                    start = pos;
                }
                b'\n' if multiline => pos += 1,
                b'\t' => pos += 1,
                c if is_ctrl(c) => {
                    return err(
                        pos,
                        format!("illegal control character U+{c:04X} in a string"),
                    );
                }
                _ => pos += 1,
            }
        }
    }

    /// An escape sequence at `pos` (the backslash); appends its value.
    fn parse_escape(&self, pos: usize, multiline: bool, out: &mut String) -> PResult<usize> {
        let id = self.at(pos + 1);
        let mut pos = pos + 2;
        if multiline && matches!(id, Some(b' ' | b'\t' | b'\n')) {
            // Line-ending backslash: only whitespace may follow it on its line.
            if id != Some(b'\n') {
                pos = self.skip_ws(pos);
                match self.at(pos) {
                    None => return Ok(pos),
                    Some(b'\n') => pos += 1,
                    Some(_) => return err(pos, "unescaped '\\' in a string"),
                }
            }
            return Ok(self.skip_ws_nl(pos));
        }
        let simple = match id {
            Some(b'b') => '\u{8}',
            Some(b't') => '\t',
            Some(b'n') => '\n',
            Some(b'f') => '\u{c}',
            Some(b'r') => '\r',
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'u') => return self.parse_hex_char(pos, 4, out),
            Some(b'U') => return self.parse_hex_char(pos, 8, out),
            Some(b'x') => return err(pos - 2, format!("the escape '\\x' is {TOML11}")),
            Some(b'e') => return err(pos - 2, format!("the escape '\\e' is {TOML11}")),
            _ => {
                return err(
                    pos - 2,
                    "unescaped '\\' in a string (invalid escape sequence)",
                );
            }
        };
        out.push(simple);
        Ok(pos)
    }

    fn parse_hex_char(&self, pos: usize, len: usize, out: &mut String) -> PResult<usize> {
        let hex = self.b.get(pos..pos + len);
        let Some(hex) = hex.filter(|h| h.iter().all(u8::is_ascii_hexdigit)) else {
            return err(pos, "invalid hex value in a unicode escape");
        };
        let mut v: u32 = 0;
        for &h in hex {
            v = v * 16 + (h as char).to_digit(16).unwrap_or(0);
        }
        match char::from_u32(v) {
            Some(c) => {
                out.push(c);
                Ok(pos + len)
            }
            None => err(pos, "escaped character is not a Unicode scalar value"),
        }
    }

    // ---- numbers, dates and times -----------------------------------------------------------

    fn digit(&self, pos: usize) -> Option<u32> {
        self.at(pos)
            .filter(u8::is_ascii_digit)
            .map(|c| u32::from(c - b'0'))
    }

    fn two_digits(&self, pos: usize) -> Option<u32> {
        Some(self.digit(pos)? * 10 + self.digit(pos + 1)?)
    }

    /// `HH:MM:SS[.fraction]` at `pos` (hours 00-23, minutes and seconds 00-59); the fraction is
    /// truncated to microseconds.
    fn match_time(&self, pos: usize) -> Option<(usize, Time)> {
        let hour = self.two_digits(pos)?;
        let minute = self.two_digits(pos + 3)?;
        let second = self.two_digits(pos + 6)?;
        if self.at(pos + 2) != Some(b':') || self.at(pos + 5) != Some(b':') {
            return None;
        }
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let mut end = pos + 8;
        let mut micro = 0u32;
        if self.at(end) == Some(b'.') && self.digit(end + 1).is_some() {
            end += 1;
            let mut n = 0;
            while let Some(d) = self.digit(end) {
                if n < 6 {
                    micro = micro * 10 + d;
                    n += 1;
                }
                end += 1;
            }
            for _ in n..6 {
                micro *= 10;
            }
        }
        Some((
            end,
            Time {
                hour: hour as u8,
                minute: minute as u8,
                second: second as u8,
                microsecond: micro,
            },
        ))
    }

    /// `HH:MM` not followed by `:SS` (TOML 1.1 only), for a clearer error.
    fn is_time_without_seconds(&self, pos: usize) -> bool {
        self.two_digits(pos).is_some()
            && self.at(pos + 2) == Some(b':')
            && self.two_digits(pos + 3).is_some()
            && self.at(pos + 5) != Some(b':')
    }

    /// An offset date-time, local date-time or local date at `pos`, or `None` if the text does
    /// not have that shape.
    fn match_datetime(&self, pos: usize) -> Option<PResult<(usize, Value)>> {
        let year = self.two_digits(pos)? * 100 + self.two_digits(pos + 2)?;
        if self.at(pos + 4) != Some(b'-') || self.at(pos + 7) != Some(b'-') {
            return None;
        }
        let month = self.two_digits(pos + 5)?;
        let day = self.two_digits(pos + 8)?;
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        let mut end = pos + 10;
        let mut time = None;
        let mut offset = None;
        if matches!(self.at(end), Some(b'T' | b't' | b' ')) {
            if let Some((e, t)) = self.match_time(end + 1) {
                time = Some(t);
                end = e;
                match self.at(end) {
                    Some(b'Z' | b'z') => {
                        offset = Some(0i16);
                        end += 1;
                    }
                    Some(sign @ (b'+' | b'-')) => {
                        if let (Some(h), Some(m)) =
                            (self.two_digits(end + 1), self.two_digits(end + 4))
                            && self.at(end + 3) == Some(b':')
                            && h <= 23
                            && m <= 59
                        {
                            let minutes = (h * 60 + m) as i16;
                            offset = Some(if sign == b'-' { -minutes } else { minutes });
                            end += 6;
                        }
                    }
                    _ => {}
                }
            } else if self.is_time_without_seconds(end + 1) {
                return Some(err(end + 1, format!("a time without seconds is {TOML11}")));
            }
        }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days_in_month = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if year == 0 || day > days_in_month {
            return Some(err(pos, "invalid date or datetime (no such date)"));
        }
        Some(Ok((
            end,
            Value::Datetime(Datetime {
                date: Some(Date {
                    year: year as u16,
                    month: month as u8,
                    day: day as u8,
                }),
                time,
                offset_minutes: offset,
            }),
        )))
    }

    /// Digits of `radix` with single underscores between them, starting at `pos` (which must
    /// be a digit). Returns the end.
    fn digits_with_underscores(&self, pos: usize, ok: impl Fn(u8) -> bool) -> Option<usize> {
        if !self.at(pos).is_some_and(&ok) {
            return None;
        }
        let mut end = pos + 1;
        loop {
            match self.at(end) {
                Some(c) if ok(c) => end += 1,
                Some(b'_') if self.at(end + 1).is_some_and(&ok) => end += 2,
                _ => return Some(end),
            }
        }
    }

    fn match_number(&self, pos: usize) -> Option<PResult<(usize, Value)>> {
        // Hexadecimal, octal, binary integers (no sign).
        if self.at(pos) == Some(b'0') {
            let radix = match self.at(pos + 1) {
                Some(b'x') => Some((16u32, (|c: u8| c.is_ascii_hexdigit()) as fn(u8) -> bool)),
                Some(b'o') => Some((8, (|c: u8| (b'0'..=b'7').contains(&c)) as fn(u8) -> bool)),
                Some(b'b') => Some((2, (|c: u8| c == b'0' || c == b'1') as fn(u8) -> bool)),
                _ => None,
            };
            if let Some((radix, ok)) = radix
                && let Some(end) = self.digits_with_underscores(pos + 2, ok)
            {
                let mut v: i64 = 0;
                for c in self.b.get(pos + 2..end).unwrap_or(&[]) {
                    let Some(d) = (*c as char).to_digit(radix) else {
                        continue;
                    };
                    match v
                        .checked_mul(i64::from(radix))
                        .and_then(|v| v.checked_add(i64::from(d)))
                    {
                        Some(n) => v = n,
                        None => return Some(err(pos, INT_RANGE)),
                    }
                }
                return Some(Ok((end, Value::Integer(v))));
            }
        }
        // Decimal integer or float.
        let mut p = pos;
        if matches!(self.at(p), Some(b'+' | b'-')) {
            p += 1;
        }
        let int_end = match self.at(p) {
            Some(b'0') => p + 1,
            Some(b'1'..=b'9') => self.digits_with_underscores(p, |c| c.is_ascii_digit())?,
            _ => return None,
        };
        let mut end = int_end;
        if self.at(end) == Some(b'.')
            && let Some(e) = self.digits_with_underscores(end + 1, |c| c.is_ascii_digit())
        {
            end = e;
        }
        if matches!(self.at(end), Some(b'e' | b'E')) {
            let mut q = end + 1;
            if matches!(self.at(q), Some(b'+' | b'-')) {
                q += 1;
            }
            if let Some(e) = self.digits_with_underscores(q, |c| c.is_ascii_digit()) {
                end = e;
            }
        }
        let text: String = self.slice(pos, end).chars().filter(|&c| c != '_').collect();
        if end > int_end {
            return Some(match text.parse::<f64>() {
                Ok(f) => Ok((end, Value::Float(f))),
                Err(_) => err(pos, "invalid float"),
            });
        }
        Some(match text.parse::<i64>() {
            Ok(i) => Ok((end, Value::Integer(i))),
            Err(_) => err(pos, INT_RANGE),
        })
    }
}

const INT_RANGE: &str = "integer out of the 64-bit signed range (tomli would accept it; \
                         sgx-measure supports 64-bit integers only)";
