//! TOML as Gramine v1.0 to v1.3 see it: read by `toml.loads` and written by `toml.dumps` of the
//! Python `toml` library 0.10.2.
//!
//! # A separate parser
//!
//! toml 0.10.2 is not a grammar-driven parser that could be a mode of [`super::parser`]: it
//! blanks comments and joins array lines in a character pass, then recognises values by
//! splitting each line on `=`, `,`, quotes and brackets. Its acceptance, rejections and value
//! tree follow from those splits (an array of strings followed by an inline table fails with an
//! `IndexError`; an array that mixes strings and inline tables is "Not a homogeneous array";
//! `a . b = 1` creates the key `"a "`). So this module repeats those steps in the same order
//! ([`decoder`]) instead of extending the TOML 1.0 parser, and the errors name the exception
//! toml 0.10.2 raises (`TomlDecodeError` with its line, column and character position, or the
//! `IndexError` / `TypeError` that escapes it).
//!
//! # Inline tables
//!
//! toml 0.10.2's decoder returns inline tables as a marked `dict` subclass, but only the
//! `TomlPreserveInlineDictEncoder` looks at that mark. `toml.dumps`, which Gramine calls, uses the
//! default encoder: an inline table is written as a `[section]` like any other table, and an
//! array holding one is written as `[[...]]` blocks (e.g. `unknown = { a = 1 }` under `[sgx]`
//! comes out as `[sgx.unknown]` / `a = 1`). So the value tree needs no inline marking.
//!
//! # Writing
//!
//! [`encoder::dumps`] reproduces `toml.dumps`: at each level the `key = value` lines first, then
//! the arrays of tables as `[[path]]` blocks (with their sub-tables), then the sub-tables as
//! `[path]` sections breadth-first (a section gets a header only if it has lines or no
//! sub-tables at all; an empty line separates sections); arrays on one line as `[ 1, 2,]`;
//! strings from Python's `repr` (control characters lose their backslash: `"\x01"` is written
//! `x01`, and a string starting with one cannot be written at all); floats as `repr` with
//! `e+0N`/`e-0N` shortened to `e+N`/`e-N`; date-times in ISO format with `+00:00` as `Z`.
//!
//! # Known divergences
//!
//! All on inputs that Gramine manifests do not contain:
//! * integers outside the 64-bit signed range are refused (Python ints are unbounded);
//! * `\U` escapes of surrogate code points are refused (Python keeps a lone surrogate, which the
//!   signer then cannot write as UTF-8 anyway);
//! * digits other than ASCII ones in numbers and dates are not recognised (Python's `int()` and
//!   `float()` accept every Unicode decimal digit);
//! * for bare-key characters, `str.isalnum` is approximated by Rust's `char::is_alphanumeric`
//!   (which also accepts combining marks), and `repr` treats unassigned code points as printable.

pub mod decoder;
pub mod encoder;
pub mod pystr;

use super::value::Table;

pub use encoder::{DumpError, dumps, isoformat};

/// A document toml 0.10.2 rejects (or that this implementation cannot represent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// What Gramine would print as the last line of its traceback (or, for the documented
    /// divergences, what is not supported).
    pub message: String,
    /// Whether toml 0.10.2 itself would accept the document (a documented divergence).
    pub divergence: bool,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LoadError {}

/// `toml.loads(text)` (the text as Gramine reads it: universal newlines already applied).
pub fn loads(text: &str) -> Result<Table, LoadError> {
    use decoder::Fail;
    decoder::loads(text).map_err(|e| match e {
        Fail::Decode(msg, pos) => LoadError {
            message: format!(
                "toml.decoder.TomlDecodeError: {msg} ({})",
                position(text, pos)
            ),
            divergence: false,
        },
        Fail::Value(msg) => LoadError {
            message: format!("toml.decoder.TomlDecodeError: {msg}"),
            divergence: false,
        },
        Fail::Index => LoadError {
            message: "IndexError: list index out of range".into(),
            divergence: false,
        },
        Fail::Other(msg) => LoadError {
            message: msg,
            divergence: false,
        },
        Fail::Unsupported(msg) => LoadError {
            message: format!("{msg} (toml 0.10.2 accepts it; sgx-measure does not support it)"),
            divergence: true,
        },
    })
}

/// `(line L column C char P)` of a code-point offset, as `TomlDecodeError` words it.
fn position(text: &str, pos: usize) -> String {
    let mut line = 1;
    let mut last_nl: isize = -1;
    for (i, c) in text.chars().take(pos).enumerate() {
        if c == '\n' {
            line += 1;
            last_nl = i as isize;
        }
    }
    let col = pos as isize - last_nl;
    format!("line {line} column {col} char {pos}")
}

#[cfg(test)]
mod tests;
