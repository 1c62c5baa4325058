//! `toml.loads` of toml 0.10.2, statement for statement.
//!
//! toml 0.10.2 has no grammar: it makes one pass over the characters (tracking strings, key
//! names, brackets and comments, blanking comments and joining the lines of multi-line arrays)
//! and then a pass over the lines, where values are recognised by splitting text on `=`, `,`,
//! quotes and brackets. What it accepts, rejects and produces follows from those splits, so this
//! module performs the same steps in the same order; see the parent module for the resulting
//! quirks and the documented divergences.

use super::pystr::{self, char_at, first, from_end, last, strip};
use crate::toml::value::{Date, Datetime, Table, Time, Value};

/// How a decoding step failed, mirroring the Python exception that toml 0.10.2 raises.
#[derive(Debug)]
pub(super) enum Fail {
    /// `TomlDecodeError(msg, doc, pos)` (pos in code points).
    Decode(String, usize),
    /// A `ValueError` raised below the line loop, turned into a `TomlDecodeError` at the line.
    Value(String),
    /// `IndexError` escaping the library (Gramine prints it as a traceback).
    Index,
    /// Another exception escaping the library (`TypeError`, `AttributeError`, ...).
    Other(String),
    /// A document toml 0.10.2 accepts but this implementation does not represent.
    Unsupported(String),
}

type R<T> = Result<T, Fail>;

thread_local! {
    /// The first value this implementation cannot represent (toml 0.10.2 would go on): parsing
    /// continues with a stand-in so that a later error is reported as toml 0.10.2 reports it.
    static UNSUPPORTED: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

fn unsupported(msg: String) {
    UNSUPPORTED.with(|u| {
        let mut u = u.borrow_mut();
        if u.is_none() {
            *u = Some(msg);
        }
    });
}

fn value_err<T>(msg: impl Into<String>) -> R<T> {
    Err(Fail::Value(msg.into()))
}

fn idx<T>(v: Option<T>) -> R<T> {
    v.ok_or(Fail::Index)
}

/// One step from the root to the table that key/value lines currently go to.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    /// The last element of an array (`currentlevel[-1]`).
    Last,
}

fn resolve<'a>(root: &'a mut Value, path: &[Step]) -> R<&'a mut Value> {
    let mut cur = root;
    for step in path {
        cur = match (step, cur) {
            (Step::Key(k), Value::Table(t)) => idx(t.get_mut(k))?,
            (Step::Last, Value::Array(a)) => idx(a.last_mut())?,
            _ => return Err(Fail::Other("TypeError: invalid table path".into())),
        };
    }
    Ok(cur)
}

fn is_quote(c: Option<char>) -> bool {
    matches!(c, Some('"' | '\''))
}

// ---- pass 1 -----------------------------------------------------------------------------------

/// The character pass: returns the text with comments blanked and array lines joined.
fn scan(chars: &mut [char]) -> R<()> {
    let n = chars.len();
    let mut openarr: i64 = 0;
    let mut openstring = false;
    let mut openstrchar: Option<char> = None;
    let mut multilinestr = false;
    let mut arrayoftables = false;
    let mut beginline = true;
    let mut keygroup = false;
    let mut dottedkey = false;
    let mut keyname = 0u8;
    let at = |chars: &[char], i: isize| char_at(chars, i);
    let mut i = 0usize;
    while i < n {
        let item = chars[i];
        let ii = i as isize;
        if item == '\r' && at(chars, ii + 1).ok_or(Fail::Index)? == '\n' {
            chars[i] = ' ';
            i += 1;
            continue;
        }
        if keyname != 0 {
            if item == '\n' {
                return Err(Fail::Decode(
                    "Key name found without value. Reached end of line.".into(),
                    i,
                ));
            }
            let mut handled = false;
            if openstring {
                if Some(item) == openstrchar {
                    let mut odd = false;
                    let mut k = 1;
                    while i >= k && chars[i - k] == '\\' {
                        odd = !odd;
                        k += 1;
                    }
                    if !odd {
                        keyname = 2;
                        openstring = false;
                        openstrchar = None;
                    }
                }
                i += 1;
                continue;
            } else if keyname == 1 {
                if pystr::is_space(item) {
                    keyname = 2;
                    handled = true;
                } else if item == '.' {
                    dottedkey = true;
                    handled = true;
                } else if pystr::is_alnum(item) || item == '_' || item == '-' {
                    handled = true;
                } else if dottedkey && at(chars, ii - 1) == Some('.') && is_quote(Some(item)) {
                    openstring = true;
                    openstrchar = Some(item);
                    handled = true;
                }
            } else if keyname == 2 {
                if pystr::is_space(item) {
                    if dottedkey {
                        let next = at(chars, ii + 1).ok_or(Fail::Index)?;
                        if !pystr::is_space(next) && next != '.' {
                            keyname = 1;
                        }
                    }
                    handled = true;
                } else if item == '.' {
                    dottedkey = true;
                    let next = at(chars, ii + 1).ok_or(Fail::Index)?;
                    if !pystr::is_space(next) && next != '.' {
                        keyname = 1;
                    }
                    handled = true;
                }
            }
            if handled {
                i += 1;
                continue;
            }
            if item == '=' {
                keyname = 0;
                dottedkey = false;
            } else {
                return Err(Fail::Decode(
                    format!(
                        "Found invalid character in key name: '{item}'. Try quoting the key name."
                    ),
                    i,
                ));
            }
        }
        if item == '\'' && openstrchar != Some('"') {
            let mut k = 1;
            while at(chars, ii - k as isize) == Some('\'') {
                k += 1;
                if k == 3 {
                    break;
                }
            }
            if k == 3 {
                multilinestr = !multilinestr;
                openstring = multilinestr;
            } else {
                openstring = !openstring;
            }
            openstrchar = openstring.then_some('\'');
        }
        if item == '"' && openstrchar != Some('\'') {
            let mut odd = false;
            let mut k: isize = 1;
            let mut tripquote = false;
            // An IndexError inside this scan is swallowed by toml 0.10.2.
            'scan: {
                loop {
                    match at(chars, ii - k) {
                        None => break 'scan,
                        Some('"') => {
                            k += 1;
                            if k == 3 {
                                tripquote = true;
                                break;
                            }
                        }
                        Some(_) => break,
                    }
                }
                if k == 1 || (k == 3 && tripquote) {
                    loop {
                        match at(chars, ii - k) {
                            None => break 'scan,
                            Some('\\') => {
                                odd = !odd;
                                k += 1;
                            }
                            Some(_) => break,
                        }
                    }
                }
            }
            if !odd {
                if tripquote {
                    multilinestr = !multilinestr;
                    openstring = multilinestr;
                } else {
                    openstring = !openstring;
                }
            }
            openstrchar = openstring.then_some('"');
        }
        if item == '#' && !openstring && !keygroup && !arrayoftables {
            let mut j = i;
            loop {
                if j >= n {
                    // The comment runs to the end of the document: the pass stops here.
                    return finish_scan(keyname, openstring, n);
                }
                if chars[j] == '\n' {
                    break;
                }
                chars[j] = ' ';
                j += 1;
            }
        }
        if item == '[' && !openstring && !keygroup && !arrayoftables {
            if beginline {
                if n > i + 1 && chars[i + 1] == '[' {
                    arrayoftables = true;
                } else {
                    keygroup = true;
                }
            } else {
                openarr += 1;
            }
        }
        if item == ']' && !openstring {
            if keygroup {
                keygroup = false;
            } else if arrayoftables {
                if at(chars, ii - 1) == Some(']') {
                    arrayoftables = false;
                }
            } else {
                openarr -= 1;
            }
        }
        if item == '\n' {
            if openstring || multilinestr {
                if !multilinestr {
                    return Err(Fail::Decode("Unbalanced quotes".into(), i));
                }
                let prev = at(chars, ii - 1);
                if is_quote(prev) && at(chars, ii - 2) == prev {
                    if let Some(p) = prev {
                        chars[i] = p;
                    }
                    if at(chars, ii - 3) == prev {
                        let j = if ii >= 3 {
                            i - 3
                        } else {
                            (n as isize + ii - 3) as usize
                        };
                        chars[j] = ' ';
                    }
                }
            } else if openarr != 0 {
                chars[i] = ' ';
            } else {
                beginline = true;
            }
        } else if beginline && chars[i] != ' ' && chars[i] != '\t' {
            beginline = false;
            if !keygroup && !arrayoftables {
                if chars[i] == '=' {
                    return Err(Fail::Decode("Found empty keyname. ".into(), i));
                }
                keyname = 1;
            }
        }
        i += 1;
    }
    finish_scan(keyname, openstring, n)
}

fn finish_scan(keyname: u8, openstring: bool, n: usize) -> R<()> {
    if keyname != 0 {
        return Err(Fail::Decode(
            "Key name found without value. Reached end of file.".into(),
            n,
        ));
    }
    if openstring {
        return Err(Fail::Decode(
            "Unterminated string found. Reached end of file.".into(),
            n,
        ));
    }
    Ok(())
}

// ---- pass 2 -----------------------------------------------------------------------------------

/// Parses a document.
pub(super) fn loads(text: &str) -> R<Table> {
    UNSUPPORTED.with(|u| u.borrow_mut().take());
    let table = loads_inner(text)?;
    match UNSUPPORTED.with(|u| u.borrow_mut().take()) {
        Some(msg) => Err(Fail::Unsupported(msg)),
        None => Ok(table),
    }
}

fn loads_inner(text: &str) -> R<Table> {
    let mut chars: Vec<char> = text.chars().collect();
    scan(&mut chars)?;
    let joined: String = chars.iter().collect();
    let mut root = Value::Table(Table::new());
    let mut current: Vec<Step> = Vec::new();
    let mut implicitgroups: Vec<String> = Vec::new();
    let mut multikey: Option<String> = None;
    let mut multilinestr = String::new();
    let mut multibackslash = false;
    let mut pos = 0usize;
    let mut prev_len = 0usize;
    for (lineno, raw) in joined.split('\n').enumerate() {
        if lineno > 0 {
            pos += prev_len + 1;
        }
        prev_len = pystr::len(raw);
        let line = if multilinestr.is_empty() || multibackslash || !multilinestr.contains('\n') {
            strip(raw)
        } else {
            raw
        };
        if line.is_empty() && (multikey.is_none() || multibackslash) {
            continue;
        }
        if let Some(key) = &multikey {
            multilinestr.push_str(line);
            multibackslash = false;
            let opener = idx(first(&multilinestr))?;
            let closed = if opener == '[' {
                idx(last(line))? == ']'
            } else if pystr::len(line) > 2 {
                from_end(line, 1) == Some(opener)
                    && from_end(line, 2) == Some(opener)
                    && from_end(line, 3) == Some(opener)
            } else {
                false
            };
            if closed {
                let value = match load_value(&multilinestr, true) {
                    Ok((v, _)) => v,
                    Err(Fail::Value(m)) => return Err(Fail::Decode(m, pos)),
                    Err(e) => return Err(e),
                };
                match resolve(&mut root, &current)? {
                    Value::Table(t) => t.insert(key.clone(), value),
                    _ => return Err(Fail::Other("TypeError: not a table".into())),
                }
                multikey = None;
                multilinestr.clear();
            } else {
                for c in multilinestr.chars().rev() {
                    if c != '\\' {
                        break;
                    }
                    multibackslash = !multibackslash;
                }
                if multibackslash {
                    multilinestr.pop();
                } else {
                    multilinestr.push('\n');
                }
            }
            continue;
        }
        let c0 = first(line);
        if c0 == Some('[') {
            current = header(line, &mut root, &mut implicitgroups, pos)?;
        } else if c0 == Some('{') {
            if last(line) != Some('}') {
                return Err(Fail::Decode(
                    "Line breaks are not allowed in inlineobjects".into(),
                    pos,
                ));
            }
            let level = resolve(&mut root, &current)?;
            match load_inline_object(line, level) {
                Ok(()) => {}
                Err(Fail::Value(m)) => return Err(Fail::Decode(m, pos)),
                Err(e) => return Err(e),
            }
        } else if line.contains('=') {
            let level = resolve(&mut root, &current)?;
            match load_line(line, level, false) {
                Ok(None) => {}
                Ok(Some((k, s, b))) => {
                    multikey = Some(k);
                    multilinestr = s;
                    multibackslash = b;
                }
                Err(Fail::Value(m)) => return Err(Fail::Decode(m, pos)),
                Err(e) => return Err(e),
            }
        }
    }
    match root {
        Value::Table(t) => Ok(t),
        _ => Err(Fail::Other("root is not a table".into())),
    }
}

/// `[a.b]` / `[[a.b]]`: creates the tables and returns the new current path.
fn header(
    line: &str,
    root: &mut Value,
    implicitgroups: &mut Vec<String>,
    pos: usize,
) -> R<Vec<Step>> {
    let dec = |m: String| Fail::Decode(m, pos);
    if pystr::len(line) == 1 {
        return Err(dec("Opening key group bracket on line by itself.".into()));
    }
    let (aot, body, splitstr) = match line.strip_prefix("[[") {
        Some(rest) => (true, rest, "]]"),
        None => (false, line.get(1..).unwrap_or(""), "]"),
    };
    let mut i = 1usize;
    let mut quoted = false;
    for part in split_on_quotes(body) {
        if !quoted && part.contains(splitstr) {
            break;
        }
        i += part.matches(splitstr).count();
        quoted = !quoted;
    }
    let pieces: Vec<&str> = body.splitn(i + 1, splitstr).collect();
    if pieces.len() < i + 1 || pieces.last().is_some_and(|p| !strip(p).is_empty()) {
        return Err(dec("Key group not on a line by itself.".into()));
    }
    let name = pieces[..pieces.len() - 1].join(splitstr);
    let mut groups: Vec<String> = name.split('.').map(str::to_string).collect();
    let mut g = 0;
    while g < groups.len() {
        groups[g] = strip(&groups[g]).to_string();
        if is_quote(first(&groups[g])) {
            let mut groupstr = groups[g].clone();
            let mut j = g + 1;
            while first(&groupstr) != last(&groupstr) || pystr::len(&groupstr) == 1 {
                j += 1;
                if j > groups.len() + 2 {
                    return Err(dec(format!(
                        "Invalid group name '{groupstr}' Something went wrong."
                    )));
                }
                let end = j.min(groups.len());
                groupstr = strip(&groups[g..end].join(".")).to_string();
            }
            groups[g] = pystr::slice(&groupstr, 1, Some(pystr::len(&groupstr) - 1)).to_string();
            let end = j.min(groups.len());
            groups.drain(g + 1..end);
        } else if !is_group_name(&groups[g]) {
            return Err(dec(format!(
                "Invalid group name '{}'. Try quoting it.",
                groups[g]
            )));
        }
        g += 1;
    }

    let mut path: Vec<Step> = Vec::new();
    let count = groups.len();
    for (gi, group) in groups.into_iter().enumerate() {
        if group.is_empty() {
            return Err(dec("Can't have a keygroup with an empty name".into()));
        }
        let is_last = gi == count - 1;
        let cur = resolve(root, &path)?;
        match cur {
            Value::Table(t) => {
                if t.contains_key(&group) {
                    if is_last {
                        if let Some(p) = implicitgroups.iter().position(|x| *x == group) {
                            implicitgroups.remove(p);
                            if aot {
                                return Err(dec(
                                    "An implicitly defined table can't be an array".into()
                                ));
                            }
                        } else if aot {
                            match t.get_mut(&group) {
                                Some(Value::Array(a)) => a.push(Value::Table(Table::new())),
                                Some(v) => {
                                    return Err(Fail::Other(format!(
                                        "AttributeError: '{}' object has no attribute 'append'",
                                        v.type_name()
                                    )));
                                }
                                None => return Err(Fail::Index),
                            }
                        } else {
                            return Err(dec(format!("What? {group} already exists?{}", {
                                let mut s = String::new();
                                py_repr_table(t, &mut s);
                                s
                            })));
                        }
                    }
                } else {
                    if !is_last {
                        implicitgroups.push(group.clone());
                    }
                    let v = if is_last && aot {
                        Value::Array(vec![Value::Table(Table::new())])
                    } else {
                        Value::Table(Table::new())
                    };
                    t.insert(group.clone(), v);
                }
            }
            Value::Array(list) => {
                // `currentlevel[group]` on a list is a TypeError: continue in its last element.
                path.push(Step::Last);
                match idx(list.last_mut())? {
                    Value::Table(t) => {
                        if !t.contains_key(&group) {
                            let v = if is_last && aot {
                                Value::Array(vec![Value::Table(Table::new())])
                            } else {
                                Value::Table(Table::new())
                            };
                            t.insert(group.clone(), v);
                        }
                    }
                    v => {
                        return Err(Fail::Other(format!(
                            "TypeError: '{}' object does not support item assignment",
                            v.type_name()
                        )));
                    }
                }
            }
            v => {
                return Err(Fail::Other(format!(
                    "TypeError: '{}' object is not subscriptable",
                    v.type_name()
                )));
            }
        }
        path.push(Step::Key(group));
        if aot {
            match resolve(root, &path)? {
                Value::Array(a) => {
                    idx(a.last())?;
                    path.push(Step::Last);
                }
                Value::Table(_) => {}
                v => {
                    return Err(Fail::Other(format!(
                        "TypeError: '{}' object is not subscriptable",
                        v.type_name()
                    )));
                }
            }
        }
    }
    Ok(path)
}

/// `^[A-Za-z0-9_-]+$` (Python's `$` also matches before a final newline).
pub(super) fn is_group_name(s: &str) -> bool {
    let s = s.strip_suffix('\n').unwrap_or(s);
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `TomlDecoder._get_split_on_quotes`.
fn split_on_quotes(line: &str) -> Vec<String> {
    let mut dq: Vec<String> = line.split('"').map(str::to_string).collect();
    let mut out: Vec<String> = Vec::new();
    if dq.len() > 1 && dq[0].contains('\'') {
        let mut sq: Vec<String> = dq[0].split('\'').map(str::to_string).collect();
        dq.remove(0);
        while sq.len().is_multiple_of(2) && !dq.is_empty() {
            let next = dq.remove(0);
            if let Some(l) = sq.last_mut() {
                l.push('"');
                l.push_str(&next);
            }
            if sq.last().is_some_and(|l| l.contains('\''))
                && let Some(l) = sq.pop()
            {
                sq.extend(l.split('\'').map(str::to_string));
            }
        }
        out.extend(sq);
    }
    let mut quoted = false;
    for part in dq {
        if quoted {
            out.push(part);
        } else {
            out.extend(part.split('\'').map(str::to_string));
            quoted = true;
        }
    }
    out
}

/// `_strictly_valid_num`.
fn strictly_valid_num(n: &str) -> bool {
    let n = strip(n);
    let c: Vec<char> = n.chars().collect();
    if c.is_empty() || c[0] == '_' || c[c.len() - 1] == '_' {
        return false;
    }
    if n.contains("_.") || n.contains("._") {
        return false;
    }
    if c.len() == 1 {
        return true;
    }
    if c[0] == '0' && !matches!(c[1], '.' | 'o' | 'b' | 'x') {
        return false;
    }
    let mut body = &c[..];
    if c[0] == '+' || c[0] == '-' {
        body = &c[1..];
        if body.len() > 1 && body[0] == '0' && body[1] != '.' {
            return false;
        }
    }
    !body.windows(2).any(|w| w == ['_', '_'])
}

type Multi = Option<(String, String, bool)>;

/// `TomlDecoder.load_line`: one `key = value` statement into `level`.
fn load_line(line: &str, level: &mut Value, multibackslash_in: bool) -> R<Multi> {
    let mut multibackslash = multibackslash_in;
    let mut i = 1usize;
    let mut quoted = false;
    for part in split_on_quotes(line) {
        if !quoted && part.contains('=') {
            break;
        }
        i += part.matches('=').count();
        quoted = !quoted;
    }
    let mut pair: Vec<&str> = line.splitn(i + 1, '=').collect();
    let mut lastv: String = pair.last().copied().unwrap_or("").to_string();
    let mut strictly_valid = strictly_valid_num(&lastv);
    if lastv.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        lastv = lastv.replace('_', "");
    }
    while let Some(c) = first(&lastv) {
        if matches!(c, ' ' | '\t' | '\'' | '"' | '[' | '{')
            || strip(&lastv) == "true"
            || strip(&lastv) == "false"
        {
            break;
        }
        if pystr::float(&lastv).is_some() {
            break;
        }
        if load_date(&lastv).is_some() {
            break;
        }
        if match_time(&lastv).is_some() {
            break;
        }
        i += 1;
        let prev = lastv.clone();
        pair = line.splitn(i + 1, '=').collect();
        lastv = pair.last().copied().unwrap_or("").to_string();
        if prev == lastv {
            return value_err("Invalid date or number");
        }
        if strictly_valid {
            strictly_valid = strictly_valid_num(&lastv);
        }
    }
    let key_text = pair[..pair.len().saturating_sub(1)].join("=");
    let mut key = strip(&key_text).to_string();
    let val = strip(&lastv).to_string();

    // Dotted keys walk (and create) tables below `level`; the value goes to the last one.
    let mut path: Vec<String> = Vec::new();
    if key.contains('.') {
        let mut levels: Vec<String> = Vec::new();
        if key.contains('"') || key.contains('\'') {
            let mut q = false;
            for part in split_on_quotes(&key) {
                if q {
                    levels.push(part);
                } else {
                    levels.extend(part.split('.').map(|l| strip(l).to_string()));
                }
                q = !q;
            }
        } else {
            levels = key.split('.').map(str::to_string).collect();
        }
        while levels.last().is_some_and(String::is_empty) {
            levels.pop();
        }
        let Some(stem) = levels.pop() else {
            return Err(Fail::Index);
        };
        path = levels.into_iter().filter(|l| !l.is_empty()).collect();
        key = strip(&stem).to_string();
    } else if is_quote(first(&key)) && last(&key) == first(&key) {
        let inner = pystr::slice(&key, 1, Some(pystr::len(&key).saturating_sub(1)));
        key = unescape(inner)?;
    } else if key.is_empty() {
        return Err(Fail::Index);
    }

    let (k, koffset) = multiline_str_start(&val)?;
    let mut multi: Multi = None;
    let mut value = None;
    if let Some(k) = k {
        let vc: Vec<char> = val.chars().collect();
        let mut k = k as isize;
        while k > -1 && char_at(&vc, k + koffset as isize) == Some('\\') {
            multibackslash = !multibackslash;
            k -= 1;
        }
        let s = if multibackslash {
            let mut s = val.clone();
            s.pop();
            s
        } else {
            format!("{val}\n")
        };
        multi = Some((key.clone(), s, multibackslash));
    } else {
        value = Some(load_value(&val, strictly_valid)?.0);
    }

    let mut cur = level;
    for l in path {
        cur = match cur {
            Value::Table(t) => {
                if !t.contains_key(&l) {
                    t.insert(l.clone(), Value::Table(Table::new()));
                }
                idx(t.get_mut(&l))?
            }
            v => {
                return Err(Fail::Other(format!(
                    "TypeError: '{}' object does not support item assignment",
                    v.type_name()
                )));
            }
        };
    }
    match cur {
        Value::Table(t) => {
            if t.contains_key(&key) {
                return value_err("Duplicate keys!");
            }
            if multi.is_some() {
                // `if multikey:` is false for an empty key, and the value was never parsed.
                if key.is_empty() {
                    return Err(Fail::Other(
                        "UnboundLocalError: cannot access local variable 'value' where it is not associated with a value".into(),
                    ));
                }
                return Ok(multi);
            }
            if let Some(v) = value {
                t.insert(key, v);
            }
            Ok(None)
        }
        _ => value_err("Duplicate keys!"),
    }
}

/// `_load_line_multiline_str`: where a multi-line string starts, and the offset of the text it
/// looked at within the value (for strings that are the last item of an unfinished array).
fn multiline_str_start(p: &str) -> R<(Option<usize>, usize)> {
    let mut poffset = 0usize;
    if pystr::len(p) < 3 {
        return Ok((None, poffset));
    }
    let mut p = p.to_string();
    if first(&p) == Some('[') && last(strip(&p)) != Some(']') && is_str_array(&p) {
        let rest = pystr::slice(&p, 1, None);
        let mut newp: Vec<String> = strip(rest).split(',').map(str::to_string).collect();
        while newp.len() > 1 {
            let f = idx(newp.last().and_then(|s| first(s)))?;
            if f == '"' || f == '\'' {
                break;
            }
            let Some(b) = newp.pop() else { break };
            let Some(a) = newp.pop() else { break };
            newp.push(format!("{a},{b}"));
        }
        let newp = newp.pop().unwrap_or_default();
        poffset = pystr::len(&p) - pystr::len(&newp);
        p = newp;
    }
    let c: Vec<char> = p.chars().collect();
    let c0 = idx(c.first().copied())?;
    if c0 != '"' && c0 != '\'' {
        return Ok((None, poffset));
    }
    if idx(c.get(1).copied())? != c0 || idx(c.get(2).copied())? != c0 {
        return Ok((None, poffset));
    }
    if c.len() > 5 && c[c.len() - 1] == c0 && c[c.len() - 2] == c0 && c[c.len() - 3] == c0 {
        return Ok((None, poffset));
    }
    Ok((Some(c.len() - 1), poffset))
}

/// `_load_array_isstrarray`.
fn is_str_array(a: &str) -> bool {
    let n = pystr::len(a);
    let inner = strip(pystr::slice(a, 1, Some(n.saturating_sub(1))));
    is_quote(first(inner))
}

/// The type names toml 0.10.2 compares for its homogeneous-array rule.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum VType {
    Bool,
    Str,
    Array,
    InlineObject,
    Time,
    Date,
    Int,
    Float,
}

/// `TomlDecoder.load_value`.
fn load_value(v: &str, strictly_valid: bool) -> R<(Value, VType)> {
    if v.is_empty() {
        return value_err("Empty value is invalid");
    }
    if v == "true" {
        return Ok((Value::Boolean(true), VType::Bool));
    }
    if v.to_lowercase() == "true" {
        return value_err("Only all lowercase booleans allowed");
    }
    if v == "false" {
        return Ok((Value::Boolean(false), VType::Bool));
    }
    if v.to_lowercase() == "false" {
        return value_err("Only all lowercase booleans allowed");
    }
    let c0 = first(v).unwrap_or(' ');
    if c0 == '"' || c0 == '\'' {
        return load_string(v, c0).map(|s| (Value::String(s), VType::Str));
    }
    if c0 == '[' {
        return Ok((Value::Array(load_array(v)?), VType::Array));
    }
    if c0 == '{' {
        let mut t = Value::Table(Table::new());
        load_inline_object(v, &mut t)?;
        return Ok((t, VType::InlineObject));
    }
    if let Some((h, m, s, ms)) = match_time(v) {
        if h > 23 || m > 59 || s > 59 || ms > 999_999 {
            return value_err("hour must be in 0..23");
        }
        let t = Time {
            hour: h as u8,
            minute: m as u8,
            second: s as u8,
            microsecond: ms,
        };
        return Ok((
            Value::Datetime(Datetime {
                date: None,
                time: Some(t),
                offset_minutes: None,
            }),
            VType::Time,
        ));
    }
    if let Some(d) = load_date(v) {
        return Ok((Value::Datetime(d), VType::Date));
    }
    if !strictly_valid {
        return value_err("Weirdness with leading zeroes or underscores in your number.");
    }
    let (neg, body) = match c0 {
        '-' => (true, &v[1..]),
        '+' => (false, &v[1..]),
        _ => (false, v),
    };
    let body = body.replace('_', "");
    let lower = body.to_lowercase();
    let is_float_text =
        body.contains('.') || (!body.contains('x') && (body.contains('e') || body.contains('E')));
    if is_float_text || (pystr::len(&lower) == 3 && (lower == "inf" || lower == "nan")) {
        if is_float_text {
            if body.split_once('.').is_some_and(|(_, f)| f.is_empty()) {
                return value_err("This float is missing digits after the point");
            }
            if !first(&body).is_some_and(|c| c.is_ascii_digit()) {
                return value_err("This float doesn't have a leading digit");
            }
        }
        let Some(f) = pystr::float(&body) else {
            return value_err(format!("could not convert string to float: '{body}'"));
        };
        // `0 - v`: minus zero becomes plus zero.
        return Ok((Value::Float(if neg { 0.0 - f } else { f }), VType::Float));
    }
    let out_of_range = || {
        unsupported(format!("integer {v} is outside the 64-bit signed range"));
        Ok((Value::Integer(0), VType::Int))
    };
    match pystr::int0(&body).map(pystr::PyInt::to_i64) {
        Ok(Some(i)) => {
            if neg {
                match 0i64.checked_sub(i) {
                    Some(n) => Ok((Value::Integer(n), VType::Int)),
                    None => out_of_range(),
                }
            } else {
                Ok((Value::Integer(i), VType::Int))
            }
        }
        Ok(None) | Err(pystr::IntError::TooLarge) => out_of_range(),
        Err(pystr::IntError::Empty | pystr::IntError::Invalid) => value_err(format!(
            "invalid literal for int() with base 0: {}",
            pystr::repr(&body)
        )),
    }
}

const ESCAPES: [char; 7] = ['0', 'b', 'f', 'n', 'r', 't', '"'];

fn escape_char(c: char) -> Option<char> {
    Some(match c {
        '0' => '\0',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        '"' => '"',
        _ => return None,
    })
}

/// The string branch of `load_value`.
fn load_string(v: &str, quote: char) -> R<String> {
    let rest = pystr::slice(v, 1, None);
    let mut testv: Vec<&str> = rest.split(quote).collect();
    let mut triplequote = false;
    let mut triplequotecount = 0;
    if testv.len() > 1 && testv[0].is_empty() && testv[1].is_empty() {
        testv.drain(..2);
        triplequote = true;
    }
    let mut closed = false;
    for tv in testv {
        if tv.is_empty() {
            if triplequote {
                triplequotecount += 1;
            } else {
                closed = true;
            }
        } else {
            let odd = tv.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1;
            if !odd {
                if closed {
                    return value_err("Found tokens after a closed string. Invalid TOML.");
                }
                if !triplequote || triplequotecount > 1 {
                    closed = true;
                } else {
                    triplequotecount = 0;
                }
            }
        }
    }
    let mut v = v.to_string();
    if quote == '"' {
        let mut backslash = false;
        for seq in v.split('\\').skip(1) {
            match first(seq) {
                None => backslash = !backslash,
                Some(c) => {
                    if !ESCAPES.contains(&c) && c != 'u' && c != 'U' && !backslash {
                        return value_err("Reserved escape sequence used");
                    }
                    backslash = false;
                }
            }
        }
        for prefix in ["\\u", "\\U"] {
            if v.contains(prefix) {
                let parts: Vec<&str> = v.split(prefix).collect();
                v = unicode_escapes(parts[0], &parts[1..], prefix)?;
            }
        }
        v = unescape(&v)?;
    }
    let c: Vec<char> = v.chars().collect();
    let mut body: &[char] = &c;
    if c.len() > 1 && c[1] == quote && (c.len() < 3 || c[1] == c[2]) {
        body = c.get(2..c.len().saturating_sub(2)).unwrap_or(&[]);
    }
    let inner = body.get(1..body.len().saturating_sub(1)).unwrap_or(&[]);
    Ok(inner.iter().collect())
}

/// `_load_unicode_escapes`.
fn unicode_escapes(head: &str, parts: &[&str], prefix: &str) -> R<String> {
    let trailing_odd = |s: &str| s.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1;
    let mut v = head.to_string();
    let mut skip = trailing_odd(head);
    let width = if prefix == "\\U" { 8 } else { 4 };
    for hx in parts {
        if skip {
            skip = trailing_odd(hx);
            v.push_str(prefix);
            v.push_str(hx);
            continue;
        }
        let hxb: String = hx.chars().take(width).collect::<String>().to_lowercase();
        if hxb.is_empty() {
            return Err(Fail::Index);
        }
        if hxb.chars().any(|c| !c.is_ascii_hexdigit()) {
            return value_err(format!("Invalid escape sequence: {hxb}"));
        }
        let hc: Vec<char> = hxb.chars().collect();
        if hc.first() == Some(&'d') && !matches!(idx(hc.get(1))?, '0'..='7') {
            return value_err(format!(
                "Invalid escape sequence: {hxb}. Only scalar unicode points are allowed."
            ));
        }
        let code = u32::from_str_radix(&hxb, 16).map_err(|_| Fail::Value("bad hex".into()))?;
        match char::from_u32(code) {
            Some(c) => v.push(c),
            None if code > 0x10ffff => return value_err("chr() arg not in range(0x110000)"),
            None => {
                unsupported(format!("the escape \\U{code:08x} is a lone surrogate"));
                v.push('\u{fffd}');
            }
        }
        v.push_str(pystr::slice(hx, pystr::len(&hxb), None));
    }
    Ok(v)
}

/// `_unescape`.
fn unescape(v: &str) -> R<String> {
    let mut out = String::with_capacity(v.len());
    let mut it = v.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            None => out.push('\\'),
            Some(e) => {
                if let Some(r) = escape_char(e) {
                    out.push(r);
                } else if e == '\\' {
                    out.push('\\');
                } else if e == 'u' || e == 'U' {
                    out.push('\\');
                    out.push(e);
                } else {
                    return value_err("Reserved escape sequence used");
                }
            }
        }
    }
    Ok(out)
}

/// `TomlDecoder.load_inline_object`: the `k = v` groups between the braces into `level`.
fn load_inline_object(line: &str, level: &mut Value) -> R<()> {
    let n = pystr::len(line);
    let inner = pystr::slice(line, 1, Some(n.saturating_sub(1)));
    let mut candidates: std::collections::VecDeque<String> =
        inner.split(',').map(str::to_string).collect();
    if candidates.len() == 1 && strip(&candidates[0]).is_empty() {
        candidates.clear();
    }
    let mut groups: Vec<String> = Vec::new();
    while let Some(group) = candidates.pop_front() {
        let Some((_, value)) = group.split_once('=') else {
            return value_err("Invalid inline table encountered");
        };
        let value = strip(value);
        let f = idx(first(value))?;
        let l = idx(last(value))?;
        let complete = (f == l && (f == '"' || f == '\''))
            || "-0123456789".contains(f)
            || value == "true"
            || value == "false"
            || (f == '[' && l == ']')
            || (f == '{' && l == '}');
        if complete {
            groups.push(group);
        } else if let Some(next) = candidates.front_mut() {
            *next = format!("{group},{next}");
        } else {
            return value_err("Invalid inline table value encountered");
        }
    }
    for group in groups {
        if load_line(&group, level, false)?.is_some() {
            break;
        }
    }
    Ok(())
}

/// `bounded_string`.
fn bounded_string(s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    if last(s) != first(s) {
        return false;
    }
    let c: Vec<char> = s.chars().collect();
    let mut backslash = false;
    let mut i = c.len() as isize - 2;
    while i > 0 {
        if c[i as usize] == '\\' {
            backslash = !backslash;
            i -= 1;
        } else {
            break;
        }
    }
    !backslash
}

/// `TomlDecoder.load_array`.
fn load_array(a: &str) -> R<Vec<Value>> {
    let a = strip(a);
    let chars: Vec<char> = a.chars().collect();
    let n = chars.len();
    let inner: String = chars
        .get(1..n.saturating_sub(1))
        .unwrap_or(&[])
        .iter()
        .collect();
    let mut items: Vec<String>;
    let before_bracket = inner.split('[').next().unwrap_or("");
    if !inner.contains('[') || !strip(before_bracket).is_empty() {
        let strarray = is_str_array(a);
        if !strip(&inner).starts_with('{') {
            items = inner.split(',').map(str::to_string).collect();
        } else {
            // Inline tables: group by matching braces; anything between them is skipped.
            items = Vec::new();
            let at = |i: usize| chars.get(i).copied();
            let limit = n.saturating_sub(1);
            let mut start = 1usize;
            let mut end = 2usize;
            let mut open = usize::from(at(start) == Some('{'));
            let mut in_str = false;
            while end < limit {
                let c = at(end).unwrap_or(' ');
                if c == '"' || c == '\'' {
                    if in_str {
                        let mut b = end as isize - 1;
                        while b > -1 && at(b as usize) == Some('\\') {
                            in_str = !in_str;
                            b -= 1;
                        }
                    }
                    in_str = !in_str;
                }
                if !in_str && c == '{' {
                    open += 1;
                }
                if in_str || c != '}' {
                    end += 1;
                    continue;
                } else if open > 1 {
                    open -= 1;
                    end += 1;
                    continue;
                }
                end += 1;
                items.push(chars.get(start..end).unwrap_or(&[]).iter().collect());
                start = end + 1;
                while start < limit && at(start) != Some('{') {
                    start += 1;
                }
                end = start + 1;
            }
        }
        if strarray {
            let mut b = 0usize;
            while b + 1 < items.len() {
                let mut ab = strip(&items[b]).to_string();
                while !bounded_string(&ab) || {
                    let c: Vec<char> = ab.chars().collect();
                    c.len() > 2
                        && c[0] == c[1]
                        && c[1] == c[2]
                        && c[c.len() - 2] != c[0]
                        && c[c.len() - 3] != c[0]
                } {
                    let next = idx(items.get(b + 1).cloned())?;
                    items[b] = format!("{},{}", items[b], next);
                    ab = strip(&items[b]).to_string();
                    items.remove(b + 1);
                }
                b += 1;
            }
        }
    } else {
        items = Vec::new();
        let mut depth: i64 = 0;
        let mut cur = String::new();
        for c in inner.chars() {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(std::mem::take(&mut cur));
                    continue;
                }
                _ => {}
            }
            cur.push(c);
        }
        items.push(cur);
    }
    let mut atype: Option<VType> = None;
    let mut out = Vec::new();
    for item in items {
        let item = strip(&item);
        if item.is_empty() {
            continue;
        }
        let (v, t) = load_value(item, true)?;
        match atype {
            Some(at) if at != t => return value_err("Not a homogeneous array"),
            _ => atype = Some(t),
        }
        out.push(v);
    }
    Ok(out)
}

/// `TIME_RE.match`: `HH:MM:SS` and optionally `.` plus 3 to 6 digits (taken as microseconds
/// exactly as written), at the start of the text.
fn match_time(v: &str) -> Option<(u32, u32, u32, u32)> {
    let b = v.as_bytes();
    let d2 = |i: usize| -> Option<u32> {
        let x = b.get(i)?;
        let y = b.get(i + 1)?;
        (x.is_ascii_digit() && y.is_ascii_digit())
            .then(|| u32::from(x - b'0') * 10 + u32::from(y - b'0'))
    };
    let h = d2(0)?;
    if b.get(2) != Some(&b':') {
        return None;
    }
    let m = d2(3)?;
    if b.get(5) != Some(&b':') {
        return None;
    }
    let s = d2(6)?;
    let mut ms = 0;
    if b.get(8) == Some(&b'.') {
        let digits: Vec<u8> = b[9..]
            .iter()
            .take(6)
            .take_while(|c| c.is_ascii_digit())
            .copied()
            .collect();
        if digits.len() >= 3 {
            ms = digits
                .iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
        }
    }
    Some((h, m, s, ms))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `TomlTz(offset)` as minutes east of UTC: sign from the first character, hours from the next
/// two, minutes from the two after the separator (Python `int()` on each).
fn tz_minutes(raw: &str) -> Option<i64> {
    let raw = if raw == "Z" { "+00:00" } else { raw };
    let sign = if first(raw)? == '-' { -1 } else { 1 };
    let hours = pystr::int10(pystr::slice(raw, 1, Some(3)))?;
    let minutes = pystr::int10(pystr::slice(raw, 4, Some(6)))?;
    Some(sign * (hours * 60 + minutes))
}

/// `_load_date`: a date or date-time, or `None`.
fn load_date(val: &str) -> Option<Datetime> {
    let n = pystr::len(val);
    let sl = |a: usize, b: usize| pystr::slice(val, a, Some(b));
    let mut microsecond: i64 = 0;
    let mut tz: Option<i64> = None;
    if n > 19 {
        // Any ValueError in here leaves no time zone (and the microseconds parsed so far).
        let parsed: Option<()> = (|| {
            if sl(19, 20) == "." {
                let (sub, tzval) = if last(val).map(|c| c.to_uppercase().collect::<String>())
                    == Some("Z".into())
                {
                    (sl(20, n - 1).to_string(), Some("Z".to_string()))
                } else {
                    let rest = pystr::slice(val, 20, None);
                    if let Some(p) = rest.find('+') {
                        (rest[..p].to_string(), Some(rest[p..].to_string()))
                    } else if let Some(p) = rest.find('-') {
                        (rest[..p].to_string(), Some(rest[p..].to_string()))
                    } else {
                        (rest.to_string(), None)
                    }
                };
                if let Some(t) = tzval {
                    tz = Some(tz_minutes(&t)?);
                }
                let digits = pystr::int10(&sub)?;
                let len = pystr::len(&sub) as i32;
                let scaled = if len <= 6 {
                    digits.checked_mul(10i64.checked_pow((6 - len) as u32)?)?
                } else {
                    ((digits as f64) * 10f64.powf(f64::from(6 - len))) as i64
                };
                microsecond = scaled;
            } else {
                tz = Some(tz_minutes(pystr::slice(val, 19, None))?);
            }
            Some(())
        })();
        if parsed.is_none() {
            tz = None;
        }
    }
    if !pystr::slice(val, 1, None).contains('-') {
        return None;
    }
    let year = pystr::int10(sl(0, 4))?;
    let month = pystr::int10(sl(5, 7))?;
    let day = pystr::int10(sl(8, 10))?;
    if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
        return None;
    }
    if day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let date = Date {
        year: year as u16,
        month: month as u8,
        day: day as u8,
    };
    if n == 10 {
        return Some(Datetime {
            date: Some(date),
            time: None,
            offset_minutes: None,
        });
    }
    let hour = pystr::int10(sl(11, 13))?;
    let minute = pystr::int10(sl(14, 16))?;
    let second = pystr::int10(sl(17, 19))?;
    if !(0..=23).contains(&hour)
        || !(0..=59).contains(&minute)
        || !(0..=59).contains(&second)
        || !(0..=999_999).contains(&microsecond)
    {
        return None;
    }
    let offset = match tz {
        Some(m) => Some(i16::try_from(m).ok()?),
        None => None,
    };
    Some(Datetime {
        date: Some(date),
        time: Some(Time {
            hour: hour as u8,
            minute: minute as u8,
            second: second as u8,
            microsecond: microsecond as u32,
        }),
        offset_minutes: offset,
    })
}

/// Python's `str(dict)` for the "already exists" message.
fn py_repr_table(t: &Table, out: &mut String) {
    out.push('{');
    for (i, (k, v)) in t.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&pystr::repr(k));
        out.push_str(": ");
        py_repr_value(v, out);
    }
    out.push('}');
}

fn py_repr_value(v: &Value, out: &mut String) {
    match v {
        Value::Table(t) => py_repr_table(t, out),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                py_repr_value(x, out);
            }
            out.push(']');
        }
        Value::String(s) => out.push_str(&pystr::repr(s)),
        other => out.push_str(&other.python_str()),
    }
}
