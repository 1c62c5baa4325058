//! TOML as Gramine's Python tools see it: parsed like tomli (values and key order) and written
//! like tomli_w (Gramine v1.4 and later), or read and written by the Python `toml` 0.10.2 library
//! (Gramine v1.0 to v1.3, module [`toml0102`]).
//!
//! # Parsing
//!
//! [`parse`] is a hand-written parser ([`parser`]) that follows tomli's grammar and its
//! table-definition rules statement by statement, building the ordered value tree (tables are
//! `IndexMap`s) as it goes.
//! This was chosen over `toml_edit` (plus a post-pass that re-sorts entries by source spans) for
//! three reasons: key order is tomli's *first-mention order* by construction, with no repair
//! step; acceptance is TOML 1.0 exactly as tomli 2.0 implements it, while current `toml_edit` /
//! `toml_parser` implement TOML 1.1 and would need a second pass to reject 1.1-only syntax; and it
//! is a single linear pass (the 1.1 MB, 10,000-entry test manifest parses in about 4 ms and is
//! written in about 2 ms in release builds; building a `toml_edit` document of it alone takes
//! about 15 ms). One thread parses the whole document: splitting a long array across two threads
//! saved at most a few percent of the 10,000-entry `sign` (parsing is about a tenth of it), and
//! was removed.
//!
//! **TOML version.** TOML 1.1-only syntax (newlines, comments or a trailing comma inside inline
//! tables, the `\x` and `\e` escapes, times without seconds) is rejected, with an error saying so.
//! The tomli that Gramine users get from their distributions (Ubuntu 22.04/24.04, Debian 12/13,
//! and EPEL) is older than 2.4 and implements TOML 1.0 only, so `gramine-sgx-sign` rejects such
//! manifests there too.
//!
//! **Differences from tomli**, all on inputs Gramine users do not write:
//! * integers outside the 64-bit signed range are rejected (Python ints are unbounded);
//! * nesting deeper than [`parser::MAX_DEPTH`] levels is rejected (Python's recursion limit
//!   makes tomli / tomli_w fail at a few hundred levels anyway).
//!
//! Also rejected, as tomli does: a leading byte order mark (Gramine opens manifests with the
//! `utf-8` codec, which keeps it), seconds = 60, year 0 and other impossible dates, control
//! characters in comments and strings. Fractions of seconds are truncated to microseconds.
//!
//! # Writing
//!
//! [`emit()`] reproduces `tomli_w.dump` byte for byte in the [`TomlWriter`]s listed there; see
//! [`emit`](mod@emit) for the rules. [`TomlWriter::Toml0102`] is `toml.dumps` of toml 0.10.2, which
//! cannot write every value tree: [`emit()`] then returns why, as an error.

pub mod emit;
pub mod parser;
pub mod pyfmt;
pub mod toml0102;
pub mod value;

pub(crate) use emit::emit_tomli_w;
pub use emit::{TomlWriter, emit, try_emit};
pub use value::{Date, Datetime, Table, Time, Value};

use measure_core::profile::GramineVersion;

use crate::error::{Error, Result};

/// TOML that cannot be read, or a value tree a writer cannot write.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TomlError {
    /// The bytes are not UTF-8.
    #[error("manifest is not valid UTF-8")]
    NotUtf8 {
        /// Where the bytes stop being UTF-8.
        #[source]
        source: std::str::Utf8Error,
    },
    /// Not TOML 1.0 as tomli reads it.
    #[error("invalid TOML: {message} ({position})")]
    Syntax {
        /// The problem.
        message: String,
        /// Where.
        position: Position,
    },
    /// Refused by the Python `toml` 0.10.2 reader (Gramine v1.0 to v1.3).
    #[error("invalid TOML (toml 0.10.2): {0}")]
    Toml0102(toml0102::LoadError),
    /// The Python `toml` 0.10.2 writer fails on this value tree.
    #[error("toml 0.10.2 cannot write this manifest: {reason}")]
    Unwritable {
        /// Why (the exception toml 0.10.2 raises).
        reason: String,
    },
    /// A TOML writer this Gramine version's signer does not use.
    #[error("Gramine {version} does not write manifests with {writer:?}")]
    WriterNotUsed {
        /// The Gramine version.
        version: GramineVersion,
        /// The writer asked for.
        writer: TomlWriter,
    },
    /// `--tomli-w 0.4` with a Gramine version that did not write with tomli_w.
    #[error(
        "--tomli-w 0.4 does not apply to Gramine {version}: it wrote manifests with the Python `toml` 0.10.2 library, not tomli_w (leave --tomli-w out)"
    )]
    TomliWNotUsed {
        /// The Gramine version.
        version: GramineVersion,
    },
}

/// Where in a TOML document a syntax error is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Position {
    /// 1-based line and column (the column counted in characters).
    At {
        /// Line.
        line: usize,
        /// Column.
        column: usize,
    },
    /// At the end of the document.
    End,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Position::At { line, column } => write!(f, "at line {line}, column {column}"),
            Position::End => f.write_str("at end of document"),
        }
    }
}

/// The TOML writer `gramine-sgx-sign` of `version` uses, given the one the signing machine has
/// (`requested`; `None`: the version's default). v1.0 to v1.3 always wrote with toml 0.10.2
/// (tomli_w 1.x, the command line's default, is accepted and ignored there; tomli_w 0.4 is
/// refused); v1.4 and later with tomli_w 1.x or 0.4 (toml 0.10.2 is refused).
pub fn writer_dialect(
    version: GramineVersion,
    requested: Option<TomlWriter>,
) -> Result<TomlWriter> {
    let rules = version.rules();
    match requested {
        None => Ok(rules.default_writer()),
        Some(w) if rules.uses_writer(w) => Ok(w),
        Some(TomlWriter::TomliW1) if rules.default_writer() == TomlWriter::Toml0102 => {
            Ok(TomlWriter::Toml0102)
        }
        Some(TomlWriter::TomliW04) => Err(TomlError::TomliWNotUsed { version }.into()),
        Some(writer) => Err(TomlError::WriterNotUsed { version, writer }.into()),
    }
}

/// Decodes manifest bytes the way `click.File('r', encoding='utf-8')` does before tomli sees
/// them: strict UTF-8 and universal newlines (`\r\n` and lone `\r` become `\n`). A UTF-8 BOM is
/// kept, so the parser rejects it as tomli does.
pub fn decode_text(bytes: &[u8]) -> Result<String> {
    let text = std::str::from_utf8(bytes).map_err(|source| TomlError::NotUtf8 { source })?;
    if !text.contains('\r') {
        return Ok(text.to_string());
    }
    Ok(text.replace("\r\n", "\n").replace('\r', "\n"))
}

/// Parses TOML text into tomli's value tree (`tomli.loads`).
///
/// Like tomli, `\r\n` is first folded to `\n`; a lone `\r` is an error. Errors name the problem
/// and its line and column (1-based, column counted in characters).
pub fn parse(text: &str) -> Result<Table> {
    let folded;
    let src = if text.contains("\r\n") {
        folded = text.replace("\r\n", "\n");
        folded.as_str()
    } else {
        text
    };
    match parser::parse_document(src) {
        Ok(table) => Ok(table),
        Err(e) => Err(TomlError::Syntax {
            message: e.msg,
            position: position(src, e.pos),
        }
        .into()),
    }
}

/// Parses TOML text as the reader paired with `dialect` does: tomli for the tomli_w dialects,
/// `toml.loads` for [`TomlWriter::Toml0102`].
pub fn parse_for(text: &str, dialect: TomlWriter) -> Result<Table> {
    if dialect == TomlWriter::Toml0102 {
        return toml0102::loads(text).map_err(|e| Error::Toml(TomlError::Toml0102(e)));
    }
    parse(text)
}

/// The line and column of a byte offset, or the end of the document.
fn position(src: &str, pos: usize) -> Position {
    if pos >= src.len() {
        return Position::End;
    }
    let before = src.get(..pos).unwrap_or(src);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    Position::At { line, column }
}

#[cfg(test)]
mod tests;
