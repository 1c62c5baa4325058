//! Gramine's size strings (`sgx.enclave_size = "256M"`), parsed exactly as
//! `graminelibos.sgx_sign.parse_size` does: an optional upper-case `K`, `M` or `G` suffix
//! (checked on the raw string), then Python's `int(value, 0)` on the rest.
//!
//! `int(value, 0)` accepts surrounding whitespace, a sign, `0x`/`0o`/`0b` prefixes (either case),
//! single underscores between digits (and right after a prefix), and in decimal no leading zero
//! unless the number is zero. Lower-case suffixes are not suffixes (`"256m"` is an error in
//! Gramine too). One difference: Python also accepts non-ASCII decimal digits (`"٢٥٦M"`); we
//! reject them with [`SizeError::InvalidDigit`].

use core::fmt;

use crate::python::{self, IntError};

/// Why a size string was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SizeError {
    /// No digits.
    Empty,
    /// A character that is not a digit of the number's base, or a misplaced underscore, or a
    /// decimal number with a leading zero.
    InvalidDigit,
    /// The value is negative.
    Negative,
    /// The value does not fit in 64 bits.
    Overflow,
}

impl core::error::Error for SizeError {}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SizeError::Empty => "size has no digits",
            SizeError::InvalidDigit => {
                "invalid size (expected an integer in Python syntax with an optional K, M or G suffix, e.g. \"256M\" or \"0x10000000\")"
            }
            SizeError::Negative => "size is negative",
            SizeError::Overflow => "size does not fit in 64 bits",
        })
    }
}

/// Parses a Gramine size string into bytes.
pub fn parse_size(value: &str) -> Result<u64, SizeError> {
    let (digits, scale) = [('K', 1u64 << 10), ('M', 1 << 20), ('G', 1 << 30)]
        .into_iter()
        .find_map(|(suffix, scale)| Some((value.strip_suffix(suffix)?, scale)))
        .unwrap_or((value, 1));
    let n = parse_python_int(digits)?;
    n.checked_mul(scale).ok_or(SizeError::Overflow)
}

/// Python's `int(s, 0)` ([`crate::python::int0`]) for values that must be non-negative and fit
/// in a `u64`.
pub fn parse_python_int(s: &str) -> Result<u64, SizeError> {
    match python::int0(s) {
        Ok(i) if i.negative => Err(SizeError::Negative),
        Ok(i) => Ok(i.magnitude),
        Err(IntError::Empty) => Err(SizeError::Empty),
        Err(IntError::Invalid) => Err(SizeError::InvalidDigit),
        Err(IntError::TooLarge) => Err(SizeError::Overflow),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gramine_examples() {
        assert_eq!(parse_size("256M"), Ok(256 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("64G"), Ok(64 << 30));
        assert_eq!(parse_size("1024K"), Ok(1 << 20));
        assert_eq!(parse_size("0x10000000"), Ok(0x1000_0000));
        assert_eq!(parse_size("0x1_0000_000"), Ok(0x1000_0000));
        assert_eq!(parse_size("0x_10M"), Ok(0x10 << 20));
        assert_eq!(parse_size("268435456"), Ok(268_435_456));
        assert_eq!(parse_size("1_024M"), Ok(1024 << 20));
        assert_eq!(parse_size(" 256 M"), Ok(256 << 20));
        assert_eq!(parse_size("+256M"), Ok(256 << 20));
        assert_eq!(parse_size("0o20M"), Ok(16 << 20));
        assert_eq!(parse_size("0b1G"), Ok(1 << 30));
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("00"), Ok(0));
        assert_eq!(parse_size("0_0"), Ok(0));
        assert_eq!(parse_size("-0"), Ok(0));
    }

    #[test]
    fn rejected_like_python() {
        assert_eq!(parse_size("256m"), Err(SizeError::InvalidDigit));
        assert_eq!(parse_size("256MB"), Err(SizeError::InvalidDigit));
        assert_eq!(parse_size("256M "), Err(SizeError::InvalidDigit));
        assert_eq!(parse_size("010"), Err(SizeError::InvalidDigit));
        assert_eq!(parse_size("_256M"), Err(SizeError::InvalidDigit));
        assert_eq!(parse_size("256_M"), Err(SizeError::InvalidDigit));
        assert_eq!(parse_size("2__56M"), Err(SizeError::InvalidDigit));
        assert_eq!(parse_size("0x"), Err(SizeError::InvalidDigit));
        assert_eq!(parse_size("0x__1"), Err(SizeError::InvalidDigit));
        assert_eq!(parse_size("M"), Err(SizeError::Empty));
        assert_eq!(parse_size(""), Err(SizeError::Empty));
        assert_eq!(parse_size("-1M"), Err(SizeError::Negative));
        assert_eq!(parse_size("1.5G"), Err(SizeError::InvalidDigit));
        assert_eq!(parse_size("99999999999999999999"), Err(SizeError::Overflow));
        assert_eq!(parse_size("17179869184G"), Err(SizeError::Overflow));
    }
}
