//! Python's text forms of scalars, as tomli_w writes them: `repr(float)` and `str()` of
//! `datetime`, `date` and `time` objects.

use std::fmt::Write as _;

use super::value::{Date, Datetime, Time};

/// Python's `repr(float)`.
///
/// The digits are the shortest string that round-trips (ryu's digits; Python picks the same
/// digits, including on exact ties, where Rust's own formatting may differ in the last digit).
/// Layout: with the value written as `0.DIGITS × 10^decpt`, Python uses exponent notation when
/// `decpt <= -4` or `decpt > 16` (`1e-05`, `1e+16`, `1.5e+300`: sign always present, at least two
/// exponent digits), otherwise fixed notation with `.0` added to integral values. NaN is `nan`
/// whatever its sign bit, infinities are `inf` / `-inf`.
pub fn float_repr(x: f64) -> String {
    let mut out = String::new();
    write_float_repr(&mut out, x);
    out
}

/// Appends `repr(x)` to `out`.
pub fn write_float_repr(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("nan");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x < 0.0 { "-inf" } else { "inf" });
        return;
    }
    if x == 0.0 {
        out.push_str(if x.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    let mut buf = ryu::Buffer::new();
    let s = buf.format_finite(x);
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (mantissa, exp) = match s.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (s, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // Value = 0.DIGITS × 10^decpt.
    let mut decpt = int_part.len() as i32 + exp;
    let mut digits: Vec<u8> = int_part.bytes().chain(frac_part.bytes()).collect();
    let leading = digits.iter().take_while(|&&d| d == b'0').count();
    digits.drain(..leading);
    decpt -= leading as i32;
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    if negative {
        out.push('-');
    }
    let ndigits = digits.len() as i32;
    let digit_str = |d: &[u8]| -> String { d.iter().map(|&b| b as char).collect() };
    if decpt <= -4 || decpt > 16 {
        let (first, rest) = digits
            .split_first()
            .map_or((b'0', &[][..]), |(f, r)| (*f, r));
        out.push(first as char);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(&digit_str(rest));
        }
        let e = decpt - 1;
        let _ = write!(
            out,
            "e{}{:02}",
            if e < 0 { '-' } else { '+' },
            e.unsigned_abs()
        );
    } else if decpt <= 0 {
        out.push_str("0.");
        for _ in 0..(-decpt) {
            out.push('0');
        }
        out.push_str(&digit_str(&digits));
    } else if decpt >= ndigits {
        out.push_str(&digit_str(&digits));
        for _ in 0..(decpt - ndigits) {
            out.push('0');
        }
        out.push_str(".0");
    } else {
        let (a, b) = digits.split_at(decpt as usize);
        out.push_str(&digit_str(a));
        out.push('.');
        out.push_str(&digit_str(b));
    }
}

/// Python's `str(date)`: `YYYY-MM-DD`.
fn write_date(out: &mut String, d: &Date) {
    let _ = write!(out, "{:04}-{:02}-{:02}", d.year, d.month, d.day);
}

/// Python's `str(time)`: `HH:MM:SS`, plus `.ffffff` when the microsecond is not zero.
fn write_time(out: &mut String, t: &Time) {
    let _ = write!(out, "{:02}:{:02}:{:02}", t.hour, t.minute, t.second);
    if t.microsecond != 0 {
        let _ = write!(out, ".{:06}", t.microsecond);
    }
}

/// Python's `str()` of a `datetime` (date and time joined by a space, offset as `+HH:MM`, `Z`
/// written `+00:00`), `date` or `time`.
pub fn datetime_str(d: &Datetime) -> String {
    let mut out = String::new();
    write_datetime(&mut out, d);
    out
}

/// Appends `str(d)` to `out`.
pub fn write_datetime(out: &mut String, d: &Datetime) {
    if let Some(date) = &d.date {
        write_date(out, date);
        if d.time.is_some() {
            out.push(' ');
        }
    }
    if let Some(time) = &d.time {
        write_time(out, time);
    }
    if let Some(minutes) = d.offset_minutes {
        let sign = if minutes < 0 { '-' } else { '+' };
        let m = minutes.unsigned_abs();
        let _ = write!(out, "{sign}{:02}:{:02}", m / 60, m % 60);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // -887777373534812.25 is an exact tie: Python (and ryu) round it half to even.
    #[allow(clippy::excessive_precision)]
    #[test]
    fn float_repr_matches_python() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (100.0, "100.0"),
            (0.1, "0.1"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (1e-4, "0.0001"),
            (1e-5, "1e-05"),
            (1e-7, "1e-07"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (-f64::NAN, "nan"),
            (-887777373534812.25, "-887777373534812.2"),
            (123456.789, "123456.789"),
            (0.000123, "0.000123"),
            (1.5e300, "1.5e+300"),
            (2.5e-100, "2.5e-100"),
            (9999999999999998.0, "9999999999999998.0"),
            (3.25, "3.25"),
            (-2.0, "-2.0"),
            (1e22, "1e+22"),
            (123e-20, "1.23e-18"),
        ];
        for (x, want) in cases {
            assert_eq!(float_repr(*x), *want, "{x:e}");
        }
    }

    #[test]
    fn datetime_str_matches_python() {
        let dt = Datetime {
            date: Some(Date {
                year: 1979,
                month: 5,
                day: 27,
            }),
            time: Some(Time {
                hour: 7,
                minute: 32,
                second: 0,
                microsecond: 123456,
            }),
            offset_minutes: Some(-(7 * 60 + 30)),
        };
        assert_eq!(datetime_str(&dt), "1979-05-27 07:32:00.123456-07:30");
        let utc = Datetime {
            offset_minutes: Some(0),
            time: Some(Time {
                hour: 0,
                minute: 0,
                second: 5,
                microsecond: 0,
            }),
            ..dt
        };
        assert_eq!(datetime_str(&utc), "1979-05-27 00:00:05+00:00");
        let date = Datetime {
            date: Some(Date {
                year: 1,
                month: 1,
                day: 1,
            }),
            time: None,
            offset_minutes: None,
        };
        assert_eq!(datetime_str(&date), "0001-01-01");
        let time = Datetime {
            date: None,
            time: Some(Time {
                hour: 23,
                minute: 59,
                second: 59,
                microsecond: 1,
            }),
            offset_minutes: None,
        };
        assert_eq!(datetime_str(&time), "23:59:59.000001");
    }
}
