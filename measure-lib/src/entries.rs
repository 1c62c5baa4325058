//! Data owners' entries in every format they come in: `[[sgx.trusted_files]]` TOML fragments,
//! JSON arrays, `sha256sum` lines and the canonical list (`measure_core::entries`), converted
//! without changing a single byte of any URI or hash.

use crate::dataset::{EntryFormat, render};
use crate::error::{Error, Result};
use crate::toml::{self, Value};

mod json;
pub mod stream;

/// Entries that cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EntriesError {
    /// One entry is wrong (0-based index).
    #[error("entry {index}: {problem}")]
    Entry {
        /// Index of the entry.
        index: usize,
        /// What is wrong with it.
        problem: EntryProblem,
    },
    /// `sgx.trusted_files` is not an array.
    #[error("sgx.trusted_files must be an array of tables, found {found}")]
    NotAnArray {
        /// The Python type found.
        found: &'static str,
    },
    /// A TOML document without `sgx.trusted_files`.
    #[error("no sgx.trusted_files entries found")]
    NoTrustedFiles,
    /// Not JSON.
    #[error("invalid JSON")]
    Json {
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// JSON that is not an array.
    #[error("expected a JSON array of {{\"uri\", \"sha256\"}} objects")]
    NotJsonArray,
    /// A `sha256sum` line that cannot be read (1-based line).
    #[error("sha256sum line {line}: {problem}")]
    Sha256sumLine {
        /// The line number.
        line: usize,
        /// What is wrong with it.
        problem: String,
    },
    /// `sha256sum` lines that are not UTF-8.
    #[error("sha256sum lines are not valid UTF-8")]
    Sha256sumNotUtf8,
    /// `--uri-prefix` with a format that carries full URIs.
    #[error("--uri-prefix applies only to sha256sum input (other formats carry full URIs)")]
    UriPrefixNotApplicable,
}

/// What is wrong with one entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntryProblem {
    /// Not a table.
    #[error("expected a table with uri and sha256, found {found}")]
    NotATable {
        /// The Python type found.
        found: &'static str,
    },
    /// Not a JSON object.
    #[error("expected an object")]
    NotAnObject,
    /// A key other than `uri` and `sha256`.
    #[error("unexpected key {key:?} (entries hold only uri and sha256)")]
    UnexpectedKey {
        /// The key.
        key: String,
    },
    /// `uri` or `sha256` is not a string.
    #[error("{key} must be a string{}", found.map(|f| format!(", found {f}")).unwrap_or_default())]
    NotAString {
        /// `uri` or `sha256`.
        key: &'static str,
        /// The type found (TOML input).
        found: Option<&'static str>,
    },
    /// `uri` or `sha256` is missing.
    #[error("no {key}{}", if *.toml { " (every appended entry needs a precomputed hash)" } else { "" })]
    Missing {
        /// `uri` or `sha256`.
        key: &'static str,
        /// Whether the input was TOML (where a missing hash means "hash the file").
        toml: bool,
    },
    /// A field of a canonical list that is not UTF-8.
    #[error("{field}: {detail}")]
    NotUtf8 {
        /// `URI` or `sha256`.
        field: &'static str,
        /// Where the bytes stop being UTF-8.
        detail: String,
    },
    /// A hash that is not exactly 64 hexadecimal digits.
    #[error("the hash {hash:?} is not a SHA-256 (exactly 64 hexadecimal digits)")]
    NotASha256 {
        /// The hash as given (printed escaped).
        hash: String,
    },
    /// A URI holding NUL, CR or LF.
    #[error(
        "the URI {uri:?} holds a NUL, CR or LF character (Gramine reads URIs as C strings, and a line break is not part of a file name the line formats can carry)"
    )]
    LineBreakOrNulInUri {
        /// The URI as given (printed escaped).
        uri: String,
    },
}

fn entry_error(index: usize, problem: EntryProblem) -> Error {
    EntriesError::Entry { index, problem }.into()
}

fn line_error(line: usize, problem: impl Into<String>) -> Error {
    EntriesError::Sha256sumLine {
        line,
        problem: problem.into(),
    }
    .into()
}

/// One `{uri, sha256}` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryRec {
    /// The URI.
    pub uri: String,
    /// The hash, exactly as given.
    pub sha256: String,
}

/// Input formats (`--from`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum From {
    /// `[[sgx.trusted_files]]` tables (any TOML holding `sgx.trusted_files`).
    Toml,
    /// `[{"uri": ..., "sha256": ...}, ...]`.
    Json,
    /// `sha256sum` lines; URI = `--uri-prefix` (default `file:`) + path.
    Sha256sum,
    /// The canonical entry list (`sgx-measure entries v1`).
    List,
}

/// Output formats (`--to`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum To {
    /// The canonical entry list.
    List,
    /// `[[sgx.trusted_files]]` tables.
    Toml,
    /// A JSON array.
    Json,
    /// `sha256sum` lines (`<hash>  <path>`, the path being the URI without `file:`), for
    /// `sha256sum -c`.
    Sha256sum,
}

/// Guesses the format from the content.
pub fn detect(bytes: &[u8]) -> From {
    let text = String::from_utf8_lossy(bytes);
    let t = text.trim_start();
    if bytes.starts_with(measure_core::entries::HEADER) {
        From::List
    } else if t.starts_with('[') && (json::is_valid(bytes) || opens_a_json_array(t)) {
        // Malformed JSON is reported as JSON, not as the TOML it cannot be.
        From::Json
    } else if t.lines().next().is_some_and(sha256sum_first_line) {
        From::Sha256sum
    } else {
        From::Toml
    }
}

/// Whether `t` (starting with `[`) can only be a JSON array: `[` followed by `{`, `]` or nothing
/// (whitespace aside) is never TOML, whose `[` opens a table header with a key.
fn opens_a_json_array(t: &str) -> bool {
    t.strip_prefix('[')
        .map(str::trim_start)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('{') || rest.starts_with(']'))
}

fn from_toml(bytes: &[u8]) -> Result<Vec<EntryRec>> {
    let table = toml::parse(&toml::decode_text(bytes)?)?;
    // A document without any key (empty, or only comments and blank lines) is zero entries: that
    // is how zero entries are written as TOML (`render_as(&[], To::Toml)`, `hash-files` of an
    // empty directory), so it must read back as such (found by the `entries_formats` fuzzer).
    if table.is_empty() {
        return Ok(Vec::new());
    }
    let list = match table.get_path(&["sgx", "trusted_files"]) {
        Some(Value::Array(a)) => a,
        Some(other) => {
            return Err(EntriesError::NotAnArray {
                found: other.type_name(),
            }
            .into());
        }
        None => return Err(EntriesError::NoTrustedFiles.into()),
    };
    list.iter()
        .enumerate()
        .map(|(i, item)| {
            let Value::Table(t) = item else {
                return Err(entry_error(
                    i,
                    EntryProblem::NotATable {
                        found: item.type_name(),
                    },
                ));
            };
            if let Some((k, _)) = t.iter().find(|(k, _)| *k != "uri" && *k != "sha256") {
                return Err(entry_error(
                    i,
                    EntryProblem::UnexpectedKey { key: k.clone() },
                ));
            }
            let get = |key: &'static str| match t.get(key) {
                Some(Value::String(s)) => Ok(s.clone()),
                Some(v) => Err(entry_error(
                    i,
                    EntryProblem::NotAString {
                        key,
                        found: Some(v.type_name()),
                    },
                )),
                None => Err(entry_error(i, EntryProblem::Missing { key, toml: true })),
            };
            Ok(EntryRec {
                uri: get("uri")?,
                sha256: get("sha256")?,
            })
        })
        .collect()
}

fn from_json(bytes: &[u8]) -> Result<Vec<EntryRec>> {
    let mut out = Vec::new();
    json::for_each_entry(bytes, &mut |uri, sha256| out.push(EntryRec { uri, sha256 }))?;
    Ok(out)
}

/// GNU coreutils' escaped file names (the line starts with `\`): `\\`, `\n`, `\r`.
fn unescape_gnu(s: &str, line: usize) -> Result<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            other => {
                return Err(line_error(
                    line,
                    format!(
                        "bad escape \\{}",
                        other.map(String::from).unwrap_or_default()
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// Whether the first line of an input (without its line ending) makes it `sha256sum` output:
/// without a leading backslash, a non-empty run of hex digits and a space (`<hash>  <path>`), or
/// a BSD-style line (`sha256sum --tag`: `SHA256 (path) = hash`, another algorithm's included, so
/// that it is refused as such rather than read as TOML).
pub(crate) fn sha256sum_first_line(line: &str) -> bool {
    let l = line.strip_prefix('\\').unwrap_or(line);
    l.split_once(' ')
        .is_some_and(|(h, _)| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
        || bsd_tag(l).is_some()
}

/// Whether a byte may be part of a BSD-style line's algorithm name (`SHA256`, `SHA512-256`).
pub(crate) fn bsd_algorithm_byte(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-'
}

/// The algorithm of a BSD-style checksum line (`sha256sum --tag`, `shasum --tag`, BSD `sha256`):
/// `SHA256 (path) = hash`.
pub(crate) fn bsd_tag(line: &str) -> Option<&str> {
    let (alg, rest) = line.split_once(" (")?;
    (!alg.is_empty() && alg.bytes().all(bsd_algorithm_byte) && rest.contains(") = ")).then_some(alg)
}

fn from_sha256sum(bytes: &[u8], prefix: &str) -> Result<Vec<EntryRec>> {
    let text = std::str::from_utf8(bytes).map_err(|_| EntriesError::Sha256sumNotUtf8)?;
    let mut out = Vec::new();
    for (n, raw) in text.split('\n').enumerate() {
        if let Some((hash, path)) = sha256sum_line(raw, n + 1)? {
            out.push(EntryRec {
                uri: format!("{prefix}{path}"),
                sha256: hash.to_string(),
            });
        }
    }
    Ok(out)
}

/// One `sha256sum` line (without its newline; `line` counts from 1): `None` for an empty line,
/// else the hash and the path (unescaped).
pub(crate) fn sha256sum_line(
    raw: &str,
    line: usize,
) -> Result<Option<(&str, std::borrow::Cow<'_, str>)>> {
    // CRLF line endings: the CR is not part of the name (sha256sum -c reads such files).
    let raw = raw.strip_suffix('\r').unwrap_or(raw);
    if raw.is_empty() {
        return Ok(None);
    }
    let (escaped, l) = match raw.strip_prefix('\\') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    // BSD/--tag style: "SHA256 (path) = hash"; another algorithm's line is refused as such.
    if let Some(alg) = bsd_tag(l)
        && alg != "SHA256"
    {
        return Err(line_error(
            line,
            format!(
                "a BSD-style (sha256sum --tag) line of {alg}: entries are SHA256 hashes (sha256sum --tag writes SHA256 lines)"
            ),
        ));
    }
    let (hash, path) = if let Some(rest) = l.strip_prefix("SHA256 (") {
        let Some((path, hash)) = rest.rsplit_once(") = ") else {
            return Err(line_error(line, "malformed \"SHA256 (path) = hash\" line"));
        };
        (hash, path)
    } else {
        let Some((hash, rest)) = l.split_once(' ') else {
            return Err(line_error(line, "expected \"<hash>  <path>\""));
        };
        let path = rest
            .strip_prefix(' ')
            .or_else(|| rest.strip_prefix('*'))
            .ok_or_else(|| {
                line_error(
                    line,
                    "expected two spaces (or \" *\") between hash and path",
                )
            })?;
        (hash, path)
    };
    if hash.is_empty() || path.is_empty() {
        return Err(line_error(line, "empty hash or path"));
    }
    let path = if escaped {
        std::borrow::Cow::Owned(unescape_gnu(path, line)?)
    } else {
        std::borrow::Cow::Borrowed(path)
    };
    Ok(Some((hash, path)))
}

fn from_list(bytes: &[u8]) -> Result<Vec<EntryRec>> {
    let list = measure_core::entries::EntryList::parse(bytes)?;
    list.iter()
        .enumerate()
        .map(|(i, e)| {
            let utf8 = |field: &'static str, bytes: Vec<u8>| {
                String::from_utf8(bytes).map_err(|e| {
                    entry_error(
                        i,
                        EntryProblem::NotUtf8 {
                            field,
                            detail: e.utf8_error().to_string(),
                        },
                    )
                })
            };
            let uri = utf8("URI", e.uri.bytes().collect())?;
            let sha256 = utf8("sha256", e.sha256.bytes().collect())?;
            Ok(EntryRec { uri, sha256 })
        })
        .collect()
}

/// Parses entries; `from = None` detects the format. `uri_prefix` applies to sha256sum lines.
///
/// In every format: a UTF-8 byte-order mark at the start is skipped (editors on Windows write
/// one), CRLF line endings are read as LF, and each entry must have a SHA-256 of exactly 64
/// hexadecimal digits (either case, kept as given) and a URI without NUL, CR or LF; other
/// control characters (TAB...) are legal in file names and kept.
pub fn parse(bytes: &[u8], from: Option<From>, uri_prefix: Option<&str>) -> Result<Vec<EntryRec>> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let from = from.unwrap_or_else(|| detect(bytes));
    if uri_prefix.is_some() && from != From::Sha256sum {
        return Err(EntriesError::UriPrefixNotApplicable.into());
    }
    let records = match from {
        From::Toml => from_toml(bytes),
        From::Json => from_json(bytes),
        From::Sha256sum => from_sha256sum(bytes, uri_prefix.unwrap_or("file:")),
        From::List => from_list(bytes),
    }?;
    for (i, e) in records.iter().enumerate() {
        if let Some(p) = content_problem(e.uri.as_bytes(), e.sha256.as_bytes()) {
            return Err(entry_error(i, p));
        }
    }
    Ok(records)
}

/// What every format refuses in an entry once it is read (see [`parse`]): a URI with NUL, CR or
/// LF, a hash that is not 64 hexadecimal digits.
pub(crate) fn content_problem(uri: &[u8], sha256: &[u8]) -> Option<EntryProblem> {
    if uri.iter().any(|b| matches!(b, 0 | b'\r' | b'\n')) {
        return Some(EntryProblem::LineBreakOrNulInUri {
            uri: String::from_utf8_lossy(uri).into_owned(),
        });
    }
    if sha256.len() != 64 || !sha256.iter().all(|b| b.is_ascii_hexdigit()) {
        return Some(EntryProblem::NotASha256 {
            hash: String::from_utf8_lossy(sha256).into_owned(),
        });
    }
    None
}

/// A UTF-8 byte-order mark, which [`parse`] skips at the start of any input.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A data owner's entries: the records as given, and their canonical entry list (what
/// CONFIGID and the C ABI read).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entries {
    /// The entries, in order.
    pub records: Vec<EntryRec>,
    /// Their canonical list (`measure_core::entries`).
    pub list: Vec<u8>,
}

impl Entries {
    /// Parses entries in any format ([`parse`]) and encodes their canonical list.
    pub fn parse(bytes: &[u8], from: Option<From>, uri_prefix: Option<&str>) -> Result<Self> {
        let records = parse(bytes, from, uri_prefix)?;
        let list = to_list(&records);
        Ok(Entries { records, list })
    }

    /// Reads entries from a file (see [`Entries::parse`]); errors name the file.
    pub fn load(
        path: &std::path::Path,
        from: Option<From>,
        uri_prefix: Option<&str>,
    ) -> Result<Self> {
        let bytes = crate::fsutil::read(path, "entries")?;
        Self::parse(&bytes, from, uri_prefix)
            .map_err(|e| e.context(format!("entries {}", path.display())))
    }

    /// The parsed canonical list.
    pub fn entry_list(&self) -> Result<measure_core::entries::EntryList<'_>> {
        Ok(measure_core::entries::EntryList::parse(&self.list)?)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Their 64-byte CONFIGID: SHA-256 of the canonical list, then 32 zero bytes.
    ///
    /// The same entries give the same CONFIGID in every format:
    ///
    /// ```
    /// use measure_lib::entries::Entries;
    /// use sha2::{Digest, Sha256};
    ///
    /// let hash = "6d054439eb7f38ee0e2010ac049749a0f91a5131cbfe1b9f90571d7c5abf6a8b";
    /// let toml = format!("[[sgx.trusted_files]]\nuri = \"file:/data/a.npz\"\nsha256 = \"{hash}\"\n");
    /// let json = format!(r#"[{{"uri": "file:/data/a.npz", "sha256": "{hash}"}}]"#);
    /// let sums = format!("{hash}  /data/a.npz\n");
    /// let configid = Entries::parse(toml.as_bytes(), None, None)?.configid()?;
    /// assert_eq!(Entries::parse(json.as_bytes(), None, None)?.configid()?, configid);
    /// assert_eq!(Entries::parse(sums.as_bytes(), None, None)?.configid()?, configid);
    ///
    /// // SHA-256 of the canonical entry list, then 32 zero bytes.
    /// let list = format!("sgx-measure entries v1\nfile:/data/a.npz\t{hash}\n");
    /// assert_eq!(configid[..32], Sha256::digest(list.as_bytes())[..]);
    /// assert_eq!(configid[32..], [0; 32]);
    /// # Ok::<(), measure_lib::Error>(())
    /// ```
    pub fn configid(&self) -> Result<[u8; 64]> {
        Ok(measure_core::configid::configid(&self.list)?)
    }

    /// The policy violation as an error naming the entries concerned.
    pub fn policy_error(&self, violation: measure_core::append::PolicyViolation) -> Error {
        let uri = |i: u32| {
            self.records
                .get(i as usize)
                .map(|r| crate::manifest::pypath::repr_str(&r.uri))
                .unwrap_or_default()
        };
        Error::Policy {
            violation,
            uri: uri(violation.index),
            other: (violation.kind == measure_core::append::PolicyKind::Duplicate)
                .then(|| (violation.other, uri(violation.other))),
        }
    }
}

/// The canonical list bytes.
pub fn to_list(entries: &[EntryRec]) -> Vec<u8> {
    measure_core::entries::encode(entries.iter().map(|e| (e.uri.as_str(), e.sha256.as_str())))
}

/// Renders entries in an output format.
pub fn render_as(entries: &[EntryRec], to: To) -> Vec<u8> {
    let pairs: Vec<(String, String)> = entries
        .iter()
        .map(|e| (e.uri.clone(), e.sha256.clone()))
        .collect();
    match to {
        To::List => to_list(entries),
        To::Toml => render(&pairs, EntryFormat::Toml).into_bytes(),
        To::Json => render(&pairs, EntryFormat::Json).into_bytes(),
        To::Sha256sum => render(&pairs, EntryFormat::Sha256sum).into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(c: char) -> String {
        c.to_string().repeat(64)
    }

    #[test]
    fn sha256sum_lines_like_coreutils() {
        let (a, b, c, d) = (h('A'), h('e'), h('0'), h('4'));
        let text = format!(
            "{a}  /data/a b.csv\n\\{b}  /data/back\\\\slash.txt\n{c} */data/bin\nSHA256 (/data/x (1)) = {d}\n"
        );
        let e = parse(text.as_bytes(), Some(From::Sha256sum), Some("file:")).unwrap();
        assert_eq!(
            e[0],
            EntryRec {
                uri: "file:/data/a b.csv".into(),
                sha256: a.clone()
            }
        );
        assert_eq!(e[1].uri, "file:/data/back\\slash.txt");
        assert_eq!(e[2].uri, "file:/data/bin");
        assert_eq!(
            e[3],
            EntryRec {
                uri: "file:/data/x (1)".into(),
                sha256: d
            }
        );
        assert!(
            parse(
                format!("{a} /one-space\n").as_bytes(),
                Some(From::Sha256sum),
                None
            )
            .is_err()
        );
    }

    /// Malformed JSON (a trailing comma, a missing bracket), with or without a byte-order mark,
    /// is reported as JSON; TOML table headers stay TOML.
    #[test]
    fn malformed_json_is_reported_as_json() {
        let a = h('a');
        for text in [
            format!("[{{\"uri\": \"file:a\", \"sha256\": \"{a}\"}},]"),
            format!("\u{feff}[\n  {{\"uri\": \"file:a\", \"sha256\": \"{a}\"}}\n"),
            "[".to_string(),
            "[ ] x".to_string(),
        ] {
            let bytes = text.as_bytes();
            assert_eq!(
                detect(bytes.strip_prefix(BOM).unwrap_or(bytes)),
                From::Json,
                "{text}"
            );
            let e = parse(bytes, None, None).expect_err(&text);
            assert!(
                matches!(e, Error::Entries(EntriesError::Json { .. })),
                "{text}: {e:?}"
            );
        }
        for text in ["[[sgx.trusted_files]]\n", "[sgx]\n", "[ \"sgx\".x ]\n"] {
            assert_eq!(detect(text.as_bytes()), From::Toml, "{text}");
        }
    }

    /// CRLF line endings and a byte-order mark change nothing (they used to end up in every URI
    /// and in the first hash, changing CONFIGID and MRENCLAVE with exit 0), in every format.
    #[test]
    fn crlf_and_bom_are_not_part_of_entries() {
        let (a, b) = (h('a'), h('B'));
        let want = vec![
            EntryRec {
                uri: "file:/data/one.csv".into(),
                sha256: a.clone(),
            },
            EntryRec {
                uri: "file:/data/t\ttwo".into(),
                sha256: b.clone(),
            },
        ];
        let sums = format!("{a}  /data/one.csv\r\n{b}  /data/t\ttwo\r\n");
        let json = format!(
            "[\r\n  {{\"uri\": \"file:/data/one.csv\", \"sha256\": \"{a}\"}},\r\n  {{\"uri\": \"file:/data/t\\ttwo\", \"sha256\": \"{b}\"}}\r\n]\r\n"
        );
        let toml = format!(
            "[[sgx.trusted_files]]\r\nuri = \"file:/data/one.csv\"\r\nsha256 = \"{a}\"\r\n\r\n[[sgx.trusted_files]]\r\nuri = \"file:/data/t\\ttwo\"\r\nsha256 = \"{b}\"\r\n"
        );
        for (text, from) in [
            (sums, From::Sha256sum),
            (json, From::Json),
            (toml, From::Toml),
        ] {
            for bom in ["", "\u{feff}"] {
                let bytes = format!("{bom}{text}");
                assert_eq!(
                    parse(bytes.as_bytes(), None, None).unwrap(),
                    want,
                    "{from:?} {bom:?}"
                );
                assert_eq!(
                    parse(bytes.as_bytes(), Some(from), None).unwrap(),
                    want,
                    "{from:?} {bom:?}"
                );
            }
        }
    }

    /// Hashes that are not exactly 64 hexadecimal digits, and URIs holding NUL, CR or LF, are
    /// refused in every format, naming the entry (they were accepted); TAB is kept, and printed
    /// escaped in messages.
    #[test]
    fn malformed_hashes_and_uris_are_refused_naming_the_entry() {
        let good = h('c');
        for bad in [
            "abc123".to_string(),
            format!("{good}00"),
            h('g'),
            String::new(),
        ] {
            let entries = vec![
                EntryRec {
                    uri: "file:/d/ok".into(),
                    sha256: good.clone(),
                },
                EntryRec {
                    uri: "file:/d/x\ty".into(),
                    sha256: bad.clone(),
                },
            ];
            for to in [To::List, To::Toml, To::Json] {
                let e = parse(&render_as(&entries, to), None, None).unwrap_err();
                let msg = e.to_string();
                assert!(
                    msg.starts_with("entry 1: the hash") && msg.contains("not a SHA-256"),
                    "{to:?} {bad:?}: {msg}"
                );
            }
        }
        for uri in ["file:/d/a\0", "file:/d/a\r", "file:/d/a\nb"] {
            let entries = vec![EntryRec {
                uri: uri.into(),
                sha256: good.clone(),
            }];
            for to in [To::List, To::Toml, To::Json] {
                let msg = parse(&render_as(&entries, to), None, None)
                    .unwrap_err()
                    .to_string();
                assert!(
                    msg.starts_with("entry 0: the URI \""),
                    "{to:?} {uri:?}: {msg}"
                );
                assert!(
                    !msg.contains(['\0', '\r', '\n']),
                    "printed escaped: {msg:?}"
                );
            }
        }
        let sums = format!("\\{good}  /d/line\\nbreak\n");
        assert!(parse(sums.as_bytes(), Some(From::Sha256sum), None).is_err());
    }

    #[test]
    fn every_format_round_trips_through_the_list() {
        let entries = vec![
            EntryRec {
                uri: "file:/d/a\tb\"c\\".into(),
                sha256: h('A') + "",
            },
            EntryRec {
                uri: "file:/d/é 🙂".into(),
                sha256: h('0'),
            },
        ];
        for to in [To::List, To::Toml, To::Json] {
            let bytes = render_as(&entries, to);
            assert_eq!(parse(&bytes, None, None).unwrap(), entries, "{to:?}");
        }
    }
}
