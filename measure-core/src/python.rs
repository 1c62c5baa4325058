//! The Python semantics Gramine's signer inherits, in one place: `int(s, 0)` (sizes, toml 0.10.2
//! integers), `str.isspace`/`str.strip`, `str.isprintable` and `repr(str)` (the text of Gramine's
//! error messages and of toml 0.10.2's strings).
//!
//! Where Python consults the Unicode database beyond what `core` offers, the approximation is
//! documented on the function.

use core::fmt;

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

/// `str.strip()`.
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// Why `int(s, 0)` refuses a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntError {
    /// No digits and no base prefix (`""`, `"-"`).
    Empty,
    /// Python's `ValueError`: a character that is not a digit of the base, a misplaced
    /// underscore, a decimal number with a leading zero, a prefix without digits.
    Invalid,
    /// Valid for Python (whose integers are unbounded) but larger than 64 bits.
    TooLarge,
}

/// An integer `int(s, 0)` accepted: its sign and magnitude.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PyInt {
    /// Whether a `-` sign was given (and the value is not zero).
    pub negative: bool,
    /// The absolute value.
    pub magnitude: u64,
}

impl PyInt {
    /// The value, if it fits in an `i64`.
    pub fn to_i64(self) -> Option<i64> {
        if self.negative {
            0i64.checked_sub_unsigned(self.magnitude)
        } else {
            i64::try_from(self.magnitude).ok()
        }
    }
}

/// Python's `int(s, 0)`: surrounding whitespace, an optional sign, a `0x`/`0o`/`0b` prefix
/// (either case, which one underscore may follow), single underscores between digits, and in
/// decimal no leading zero unless the number is zero. ASCII digits only (Python also accepts
/// other Unicode decimal digits).
pub fn int0(s: &str) -> Result<PyInt, IntError> {
    let s = strip(s);
    let (negative, s) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..).unwrap_or_default()),
        Some(b'+') => (false, s.get(1..).unwrap_or_default()),
        _ => (false, s),
    };
    let (radix, body, after_prefix) = match s.as_bytes() {
        [b'0', b'x' | b'X', ..] => (16, s.get(2..).unwrap_or_default(), true),
        [b'0', b'o' | b'O', ..] => (8, s.get(2..).unwrap_or_default(), true),
        [b'0', b'b' | b'B', ..] => (2, s.get(2..).unwrap_or_default(), true),
        _ => (10, s, false),
    };
    // After a base prefix one underscore may precede the first digit ("0x_ff").
    let body = if after_prefix {
        body.strip_prefix('_').unwrap_or(body)
    } else {
        body
    };
    if body.is_empty() {
        return Err(if after_prefix {
            IntError::Invalid
        } else {
            IntError::Empty
        });
    }
    let mut value: u64 = 0;
    let mut prev_underscore = true; // forbids a leading underscore
    let mut leading_zero = false;
    let mut too_large = false;
    for (i, c) in body.chars().enumerate() {
        if c == '_' {
            if prev_underscore {
                return Err(IntError::Invalid);
            }
            prev_underscore = true;
            continue;
        }
        let d = c.to_digit(radix).ok_or(IntError::Invalid)?;
        if radix == 10 {
            if i == 0 && d == 0 {
                leading_zero = true;
            }
            if d != 0 && leading_zero {
                // "leading zeros in decimal integer literals are not permitted"
                return Err(IntError::Invalid);
            }
        }
        prev_underscore = false;
        match value
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(u64::from(d)))
        {
            Some(v) => value = v,
            // Keep reading: a later character can still make the string invalid.
            None => too_large = true,
        }
    }
    if prev_underscore {
        return Err(IntError::Invalid);
    }
    if too_large {
        return Err(IntError::TooLarge);
    }
    Ok(PyInt {
        negative: negative && value != 0,
        magnitude: value,
    })
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

/// Writes `repr(s)` of a Python `str`: single quotes unless the string holds a single quote and
/// no double quote, `\\`, `\t`, `\n`, `\r` and the quote escaped, non-printable characters as
/// `\xNN`, `\uNNNN` or `\UNNNNNNNN`.
pub fn write_repr(out: &mut dyn fmt::Write, s: &str) -> fmt::Result {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.write_char(quote)?;
    for c in s.chars() {
        match c {
            '\\' => out.write_str("\\\\")?,
            '\t' => out.write_str("\\t")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            c if c == quote => {
                out.write_char('\\')?;
                out.write_char(c)?;
            }
            c if is_printable(c) => out.write_char(c)?,
            c => {
                let u = c as u32;
                if u <= 0xff {
                    write!(out, "\\x{u:02x}")?;
                } else if u <= 0xffff {
                    write!(out, "\\u{u:04x}")?;
                } else {
                    write!(out, "\\U{u:08x}")?;
                }
            }
        }
    }
    out.write_char(quote)
}

/// Displays `repr(s)` (see [`write_repr`]).
#[derive(Clone, Copy, Debug)]
pub struct Repr<'a>(pub &'a str);

impl fmt::Display for Repr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_repr(f, self.0)
    }
}

/// `repr(s)` of a Python `str`.
#[cfg(feature = "alloc")]
pub fn repr(s: &str) -> alloc::string::String {
    use alloc::string::ToString;
    Repr(s).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int0_like_python() {
        let ok = |s: &str| int0(s).ok().and_then(PyInt::to_i64);
        assert_eq!(ok("0x_1F"), Some(31));
        assert_eq!(ok("000"), Some(0));
        assert_eq!(ok("0_0"), Some(0));
        assert_eq!(ok("-5"), Some(-5));
        assert_eq!(ok("-0"), Some(0));
        assert_eq!(ok(" +0o17\u{1f}"), Some(15));
        assert_eq!(ok("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(int0("007"), Err(IntError::Invalid));
        assert_eq!(int0("0x"), Err(IntError::Invalid));
        assert_eq!(int0("0x__1"), Err(IntError::Invalid));
        assert_eq!(int0("1__0"), Err(IntError::Invalid));
        assert_eq!(int0("1_"), Err(IntError::Invalid));
        assert_eq!(int0(""), Err(IntError::Empty));
        assert_eq!(int0("-"), Err(IntError::Empty));
        assert_eq!(int0("99999999999999999999"), Err(IntError::TooLarge));
        assert_eq!(int0("99999999999999999999x"), Err(IntError::Invalid));
        assert_eq!(
            int0("18446744073709551615").map(|i| i.magnitude),
            Ok(u64::MAX)
        );
        assert_eq!(
            int0("9223372036854775808").ok().and_then(PyInt::to_i64),
            None
        );
    }

    #[test]
    fn repr_like_python() {
        let r = |s: &str| std::format!("{}", Repr(s));
        assert_eq!(r("file:a"), "'file:a'");
        assert_eq!(r("it's"), "\"it's\"");
        assert_eq!(r("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(
            r("tab\tx\u{1}\u{a0}\u{2028}\u{1d173}é"),
            "'tab\\tx\\x01\\xa0\\u2028\\U0001d173é'"
        );
    }
}
