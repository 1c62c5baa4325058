//! The Python string, number and date semantics that toml 0.10.2's decoder and encoder inherit:
//! `int()`/`float()` text forms, negative indexing; `str.isspace`/`str.strip`, `int(s, 0)`,
//! `str.isprintable` and `repr(str)` are `measure_core::python`'s (re-exported here).
//!
//! Where Python consults the Unicode database beyond what Rust's standard library offers, the
//! approximation is documented on the function.

pub use measure_core::python::{IntError, PyInt, int0, is_printable, is_space, repr, strip};

/// `str.isalnum()` of one character. Approximated by Rust's `char::is_alphanumeric`, which also
/// counts the combining marks of the `Other_Alphabetic` property as letters (Python does not).
pub fn is_alnum(c: char) -> bool {
    c.is_alphanumeric()
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
        assert_eq!(int0("0x_1F").ok().and_then(PyInt::to_i64), Some(31));
        assert_eq!(int0("007"), Err(IntError::Invalid));
        assert_eq!(int0("-5").ok().and_then(PyInt::to_i64), Some(-5));
        assert_eq!(int0("99999999999999999999"), Err(IntError::TooLarge));
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
