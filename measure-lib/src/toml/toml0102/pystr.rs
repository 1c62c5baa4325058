//! The Python string, number and date semantics that toml 0.10.2's decoder and encoder inherit:
//! `str.isspace`/`str.strip`, `repr(str)`, `int()`/`float()` text forms, negative indexing.
//!
//! Where Python consults the Unicode database beyond what Rust's standard library offers, the
//! approximation is documented on the function.

/// `str.isspace()` of one character (Python's definition: bidirectional class WS, B or S, or
/// category Zs), which unlike Rust's `char::is_whitespace` includes U+001C..U+001F.
pub fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\u{1c}'..='\u{20}'
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// `str.isalnum()` of one character. Approximated by Rust's `char::is_alphanumeric`, which also
/// counts the combining marks of the `Other_Alphabetic` property as letters (Python does not).
pub fn is_alnum(c: char) -> bool {
    c.is_alphanumeric()
}

/// `str.strip()`.
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// `s[i]` with Python's indexing: negative indices count from the end; `None` is `IndexError`.
pub fn char_at(chars: &[char], i: isize) -> Option<char> {
    let len = chars.len() as isize;
    let idx = if i < 0 { len + i } else { i };
    if idx < 0 || idx >= len {
        None
    } else {
        chars.get(idx as usize).copied()
    }
}

/// First character of a string (`s[0]`).
pub fn first(s: &str) -> Option<char> {
    s.chars().next()
}

/// Last character of a string (`s[-1]`).
pub fn last(s: &str) -> Option<char> {
    s.chars().next_back()
}

/// `s[-n]` for n >= 1.
pub fn from_end(s: &str, n: usize) -> Option<char> {
    s.chars().rev().nth(n.checked_sub(1)?)
}

/// `s[a:b]` by code points with Python's slice clamping (non-negative bounds only; `None` = open).
pub fn slice(s: &str, a: usize, b: Option<usize>) -> &str {
    let mut iter = s
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()));
    let start = iter.clone().nth(a).unwrap_or(s.len());
    let end = match b {
        None => s.len(),
        Some(b) if b <= a => return "",
        Some(b) => iter.nth(b).unwrap_or(s.len()),
    };
    s.get(start..end.max(start)).unwrap_or("")
}

/// Number of code points.
pub fn len(s: &str) -> usize {
    s.chars().count()
}

/// `str.isprintable()` of one character, as Python 3.11 (Unicode 14) answers for assigned code
/// points: false for the categories Cc, Cf, Co, Zl, Zp and Zs other than the space. Unassigned
/// code points (category Cn, also non-printable for Python) are treated as printable here.
pub fn is_printable(c: char) -> bool {
    const NON_PRINTABLE: &[(u32, u32)] = &[
        (0x80, 0xa0),
        (0xad, 0xad),
        (0x600, 0x605),
        (0x61c, 0x61c),
        (0x6dd, 0x6dd),
        (0x70f, 0x70f),
        (0x890, 0x891),
        (0x8e2, 0x8e2),
        (0x1680, 0x1680),
        (0x180e, 0x180e),
        (0x2000, 0x200f),
        (0x2028, 0x202f),
        (0x205f, 0x2064),
        (0x2066, 0x206f),
        (0x3000, 0x3000),
        (0xe000, 0xf8ff),
        (0xfeff, 0xfeff),
        (0xfff9, 0xfffb),
        (0x110bd, 0x110bd),
        (0x110cd, 0x110cd),
        (0x13430, 0x13438),
        (0x1bca0, 0x1bca3),
        (0x1d173, 0x1d17a),
        (0xe0001, 0xe0001),
        (0xe0020, 0xe007f),
        (0xf0000, 0xffffd),
        (0x100000, 0x10fffd),
    ];
    let u = c as u32;
    if u < 0x20 || u == 0x7f {
        return false;
    }
    if u < 0x7f {
        return true;
    }
    !NON_PRINTABLE.iter().any(|&(a, b)| (a..=b).contains(&u))
}

/// `repr(s)` of a Python `str`.
pub fn repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_printable(c) => out.push(c),
            c => {
                let u = c as u32;
                if u <= 0xff {
                    out.push_str(&format!("\\x{u:02x}"));
                } else if u <= 0xffff {
                    out.push_str(&format!("\\u{u:04x}"));
                } else {
                    out.push_str(&format!("\\U{u:08x}"));
                }
            }
        }
    }
    out.push(quote);
    out
}

/// Digits (ASCII, of `radix`) with single underscores between them, as Python's `int()` and
/// `float()` accept them. Returns the digits without underscores.
fn digits_with_underscores(s: &str, radix: u32) -> Option<String> {
    if s.is_empty() || s.starts_with('_') || s.ends_with('_') || s.contains("__") {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '_' {
            continue;
        }
        if !c.is_digit(radix) {
            return None;
        }
        out.push(c);
    }
    Some(out)
}

/// Python's `int(s)` (base 10) for values that fit in an `i64`. ASCII digits only (Python also
/// accepts other Unicode decimal digits).
pub fn int10(s: &str) -> Option<i64> {
    let s = strip(s);
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let digits = digits_with_underscores(body, 10)?;
    let v: i64 = digits.parse().ok()?;
    Some(if neg { -v } else { v })
}

/// The result of `int(s, 0)`.
#[derive(Debug, PartialEq)]
pub enum IntResult {
    /// A value in the `i64` range.
    Ok(i64),
    /// Valid for Python but outside the `i64` range.
    OutOfRange,
    /// `ValueError`.
    Invalid,
}

/// Python's `int(s, 0)`: optional sign, `0x`/`0o`/`0b` prefixes (either case, an underscore may
/// follow the prefix), decimal without leading zeros except for zero itself.
pub fn int0(s: &str) -> IntResult {
    let s = strip(s);
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, rest) = if let Some(r) = lower.strip_prefix("0x") {
        (16, r)
    } else if let Some(r) = lower.strip_prefix("0o") {
        (8, r)
    } else if let Some(r) = lower.strip_prefix("0b") {
        (2, r)
    } else {
        (10, lower.as_str())
    };
    let rest = if radix != 10 {
        rest.strip_prefix('_').unwrap_or(rest)
    } else {
        rest
    };
    let Some(digits) = digits_with_underscores(rest, radix) else {
        return IntResult::Invalid;
    };
    if radix == 10 && digits.starts_with('0') && digits.bytes().any(|b| b != b'0') {
        return IntResult::Invalid;
    }
    let magnitude = match u64::from_str_radix(&digits, radix) {
        Ok(m) => m,
        Err(_) => return IntResult::OutOfRange,
    };
    if neg {
        if magnitude <= i64::MAX as u64 + 1 {
            IntResult::Ok((magnitude as i64).wrapping_neg())
        } else {
            IntResult::OutOfRange
        }
    } else {
        i64::try_from(magnitude).map_or(IntResult::OutOfRange, IntResult::Ok)
    }
}

/// Python's `float(s)`. ASCII digits only (Python also accepts other Unicode decimal digits).
pub fn float(s: &str) -> Option<f64> {
    let s = strip(s);
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let v = match lower.as_str() {
        "inf" | "infinity" => f64::INFINITY,
        "nan" => f64::NAN,
        _ => {
            let (mantissa, exp) = match lower.split_once('e') {
                Some((m, e)) => (m, Some(e)),
                None => (lower.as_str(), None),
            };
            let (int_part, frac) = match mantissa.split_once('.') {
                Some((i, f)) => (i, Some(f)),
                None => (mantissa, None),
            };
            let mut text = String::new();
            match (int_part.is_empty(), frac) {
                (true, None) => return None,
                (true, Some(f)) => {
                    text.push('0');
                    text.push('.');
                    text.push_str(&digits_with_underscores(f, 10)?);
                }
                (false, f) => {
                    text.push_str(&digits_with_underscores(int_part, 10)?);
                    if let Some(f) = f
                        && !f.is_empty()
                    {
                        text.push('.');
                        text.push_str(&digits_with_underscores(f, 10)?);
                    }
                }
            }
            if let Some(e) = exp {
                let (sign, digits) = match e.as_bytes().first() {
                    Some(b'-') => ("-", &e[1..]),
                    Some(b'+') => ("", &e[1..]),
                    _ => ("", e),
                };
                text.push('e');
                text.push_str(sign);
                text.push_str(&digits_with_underscores(digits, 10)?);
            }
            text.parse::<f64>().ok()?
        }
    };
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_semantics() {
        assert_eq!(strip("\u{1c} a \u{a0}"), "a");
        assert_eq!(repr("a'b"), "\"a'b\"");
        assert_eq!(repr("a'\"b"), "'a\\'\"b'");
        assert_eq!(repr("\u{1}\u{a0}\u{2028}é"), "'\\x01\\xa0\\u2028é'");
        assert_eq!(int0("0x_1F"), IntResult::Ok(31));
        assert_eq!(int0("007"), IntResult::Invalid);
        assert_eq!(int0("000"), IntResult::Ok(0));
        assert_eq!(int0("-5"), IntResult::Ok(-5));
        assert_eq!(int0("99999999999999999999"), IntResult::OutOfRange);
        assert_eq!(int10("1_00"), Some(100));
        assert_eq!(int10("1__0"), None);
        assert_eq!(float("1_0.5"), Some(10.5));
        assert_eq!(float("1."), Some(1.0));
        assert_eq!(float(".5"), Some(0.5));
        assert_eq!(float("."), None);
        assert_eq!(float("Infinity"), Some(f64::INFINITY));
        assert_eq!(float("1e"), None);
        assert_eq!(slice("héllo", 1, Some(3)), "él");
        assert_eq!(slice("abc", 5, None), "");
        assert_eq!(char_at(&['a', 'b'], -1), Some('b'));
        assert_eq!(char_at(&['a', 'b'], -3), None);
    }
}
