//! Data owners' entries read as a stream of canonical entries, for inputs of millions of entries.
//!
//! The canonical list and `sha256sum` lines are read from their file a chunk at a time, once per
//! pass, and never held whole: a pass costs one buffer the size of the longest line. TOML and JSON
//! cannot be read a line at a time; they are converted to the canonical list in memory once (the
//! input and the list, never a tree of the whole document, in the common case), and passes run
//! over that. Standard input is first copied to an unnamed temporary file, so it can be read more
//! than once.
//!
//! Every pass sees exactly the entries [`super::parse`] returns for the same bytes, in the same
//! order, and fails with the same errors; it also hashes the canonical list it produces (its
//! CONFIGID half), so a caller that reads a file twice can tell if it changed in between.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use measure_core::entries::{
    self as list, EntriesError as ListError, Entry, EntryList, HEADER, MAX_ENTRIES,
};
use sha2::{Digest, Sha256};

use super::{
    BOM, EntriesError, From, bsd_algorithm_byte, bsd_tag, content_problem, detect, entry_error,
    from_toml, sha256sum_first_line, sha256sum_line, to_list,
};
use crate::error::{Error, Result};

/// Bytes read at a time (and the initial line buffer).
const CHUNK: usize = 1 << 20;
/// Bytes of a file looked at to detect its format.
const SNIFF: usize = 64 << 10;

/// A data owner's entries, ready to be read in passes (see the module documentation).
#[derive(Debug)]
pub struct EntriesInput {
    source: Source,
}

#[derive(Debug)]
enum Source {
    /// A canonical list file, read from an offset (past a byte-order mark).
    List(File, u64),
    /// `sha256sum` lines, the URI prefix, the offset to read from.
    Sha256sum(File, String, u64),
    /// A canonical list in memory (validated).
    Memory(Vec<u8>),
}

/// What one pass read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pass {
    /// Number of entries.
    pub count: usize,
    /// SHA-256 of the canonical list of the entries (the first half of their CONFIGID).
    pub digest: [u8; 32],
}

impl Pass {
    /// The CONFIGID of the entries: [`Pass::digest`] then 32 zero bytes.
    pub fn configid(&self) -> [u8; 64] {
        let mut id = [0u8; 64];
        id[..32].copy_from_slice(&self.digest);
        id
    }
}

fn read_error(what: &'static str, source: io::Error) -> Error {
    Error::Stdio { what, source }
}

/// Reads up to `n` bytes from the start of `file` (fewer only at its end).
fn read_prefix(mut file: &File, n: usize) -> io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(0))?;
    let mut buf = Vec::with_capacity(n);
    file.take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// The format [`detect`] gives for a whole input that starts with `prefix` (`complete`: the
/// input is exactly `prefix`), when the prefix is enough to tell.
fn detect_from_prefix(prefix: &[u8], complete: bool) -> Option<From> {
    if complete {
        return Some(detect(prefix));
    }
    if prefix.starts_with(HEADER) {
        return Some(From::List);
    }
    if prefix.len() < HEADER.len() && HEADER.starts_with(prefix) {
        return None;
    }
    // A character cut at the end of the prefix is left out rather than read as U+FFFD.
    let cut = match std::str::from_utf8(prefix) {
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        _ => prefix.len(),
    };
    let text = String::from_utf8_lossy(&prefix[..cut]);
    let t = text.trim_start();
    match t.chars().next() {
        // Only whitespace so far (or the prefix ends in it).
        None => None,
        // JSON or TOML: either way the whole input is needed.
        Some('[') => None,
        Some(_) => {
            let line = t.split('\n').next().unwrap_or("");
            if line.len() < t.len() {
                // The whole first line is there: `detect`'s own test.
                let line = line.strip_suffix('\r').unwrap_or(line);
                return Some(if sha256sum_first_line(line) {
                    From::Sha256sum
                } else {
                    From::Toml
                });
            }
            // `detect`, on a first line cut by the prefix: without a leading backslash, a
            // non-empty run of hex digits followed by a space, or a BSD-style line
            // (`SHA256 (path) = hash`).
            let l = line.strip_prefix('\\').unwrap_or(line);
            let head = l.split(' ').next().unwrap_or("");
            let all_hex = head.bytes().all(|b| b.is_ascii_hexdigit());
            let bsd_head = !head.is_empty() && head.bytes().all(bsd_algorithm_byte);
            if l.contains(' ') {
                if (!head.is_empty() && all_hex) || bsd_tag(l).is_some() {
                    Some(From::Sha256sum)
                } else if bsd_head && {
                    let after = l.get(head.len()..).unwrap_or_default();
                    after.starts_with(" (") || " (".starts_with(after)
                } {
                    None // a BSD-style line so far (cut in or after " ("), no ") = " yet
                } else {
                    Some(From::Toml)
                }
            } else if !all_hex && !bsd_head {
                // A character that is neither hex, nor of an algorithm's name, nor a space comes
                // first (a trailing `\r` of the line included): not sha256sum, whatever follows.
                Some(From::Toml)
            } else {
                None // only hex digits or an algorithm's name so far
            }
        }
    }
}

impl EntriesInput {
    /// Opens entries from a file (`-`: standard input). `from = None` detects the format as
    /// [`super::detect`] does; `uri_prefix` applies to `sha256sum` lines only.
    pub fn open(path: &Path, from: Option<From>, uri_prefix: Option<&str>) -> Result<Self> {
        let file = if path.as_os_str() == "-" {
            let mut spool = tempfile::tempfile().map_err(|source| Error::CreateIn {
                what: "a temporary file",
                dir: std::env::temp_dir(),
                source,
            })?;
            io::copy(&mut io::stdin().lock(), &mut spool)
                .map_err(|e| read_error("standard input", e))?;
            spool
        } else {
            File::open(path).map_err(|source| Error::Read {
                what: "entries".into(),
                path: path.to_path_buf(),
                source,
            })?
        };
        let read_err = |source| Error::Read {
            what: "entries".into(),
            path: path.to_path_buf(),
            source,
        };
        // A byte-order mark is not part of any format (see `super::parse`).
        let prefix = read_prefix(&file, SNIFF).map_err(read_err)?;
        let complete = prefix.len() < SNIFF;
        let start = if prefix.starts_with(BOM) {
            BOM.len()
        } else {
            0
        };
        let from = match from {
            Some(f) => f,
            None => match detect_from_prefix(&prefix[start..], complete) {
                Some(f) => f,
                None => detect(
                    read_all(&file)
                        .map_err(read_err)?
                        .get(start..)
                        .unwrap_or_default(),
                ),
            },
        };
        if uri_prefix.is_some() && from != From::Sha256sum {
            return Err(EntriesError::UriPrefixNotApplicable.into());
        }
        let source = match from {
            From::List => Source::List(file, start as u64),
            From::Sha256sum => Source::Sha256sum(
                file,
                uri_prefix.unwrap_or("file:").to_string(),
                start as u64,
            ),
            From::Toml | From::Json => {
                // The input and its canonical list (smaller) are held; nothing else of size.
                let bytes = read_all(&file).map_err(read_err)?;
                let mut list = to_canonical(&bytes, Some(from), None)?.into_owned();
                drop(bytes);
                list.shrink_to_fit();
                Source::Memory(list)
            }
        };
        Ok(EntriesInput { source })
    }

    /// Entries already encoded as a canonical list in memory (validated here).
    pub fn from_list(list: Vec<u8>) -> Result<Self> {
        EntryList::parse(&list)?;
        Ok(EntriesInput {
            source: Source::Memory(list),
        })
    }

    /// Entries from bytes in memory (see [`EntriesInput::open`]).
    pub fn from_bytes(bytes: &[u8], from: Option<From>, uri_prefix: Option<&str>) -> Result<Self> {
        Ok(EntriesInput {
            source: Source::Memory(to_canonical(bytes, from, uri_prefix)?.into_owned()),
        })
    }

    /// Reads every entry, in order, and passes it to `f` (which may stop the pass with an
    /// error). Errors in the input are those [`super::parse`] gives, in the same order: a
    /// problem with the format anywhere comes before a problem with an entry's content (a hash
    /// that is not a SHA-256, a URI with a line break), which is reported after the pass.
    pub fn for_each(&self, f: &mut dyn FnMut(Entry<'_>) -> Result<()>) -> Result<Pass> {
        self.pass(true, f)
    }

    /// [`for_each`](Self::for_each) for a pass after a first whole one, without checking each
    /// entry's content again: the caller compares the [`Pass`] returned with the first one's, so
    /// entries that changed since (and any content the first pass would have refused) are
    /// caught by their digest. Errors in the format are still reported.
    pub(crate) fn repeat_pass(&self, f: &mut dyn FnMut(Entry<'_>) -> Result<()>) -> Result<Pass> {
        self.pass(false, f)
    }

    fn pass(
        &self,
        check_content: bool,
        f: &mut dyn FnMut(Entry<'_>) -> Result<()>,
    ) -> Result<Pass> {
        let mut hasher = Sha256::new();
        hasher.update(HEADER);
        let mut count = 0usize;
        let mut content = ContentCheck {
            first: None,
            enabled: check_content,
        };
        match &self.source {
            Source::Memory(bytes) => {
                let list = EntryList::parse(bytes)?;
                for e in list.iter() {
                    f(e)?;
                }
                hasher.update(bytes.get(HEADER.len()..).unwrap_or_default());
                count = list.len();
            }
            Source::List(file, start) => {
                let mut line_no = 0u32;
                for_each_line(file, *start, &mut |line, terminated| {
                    line_no = line_no.saturating_add(1);
                    if line_no == 1 {
                        let header_line = HEADER.strip_suffix(b"\n").unwrap_or(HEADER);
                        return if terminated && line == header_line {
                            Ok(())
                        } else {
                            Err(ListError::BadHeader.into())
                        };
                    }
                    if !terminated {
                        return Err(ListError::MissingFinalNewline.into());
                    }
                    let e = list::parse_line(line, line_no)?;
                    count += 1;
                    if count > MAX_ENTRIES {
                        return Err(ListError::TooMany.into());
                    }
                    content.check(count - 1, &e);
                    hasher.update(line);
                    hasher.update(b"\n");
                    f(e)
                })?;
                if line_no == 0 {
                    return Err(ListError::BadHeader.into());
                }
                content.finish()?;
            }
            Source::Sha256sum(file, prefix, start) => {
                let mut converter = Sha256sumConverter::new(prefix);
                for_each_line(file, *start, &mut |line, _| {
                    let Some(canonical) = converter.line(line)? else {
                        return Ok(());
                    };
                    count += 1;
                    hasher.update(canonical);
                    let e = list::parse_line(
                        canonical.strip_suffix(b"\n").unwrap_or(canonical),
                        u32::try_from(count + 1).unwrap_or(u32::MAX),
                    )?;
                    content.check(count - 1, &e);
                    f(e)
                })?;
                converter.finish()?;
                content.finish()?;
                // As the canonical list of the entries is checked after them.
                if count > MAX_ENTRIES {
                    return Err(ListError::TooMany.into());
                }
            }
        }
        Ok(Pass {
            count,
            digest: hasher.finalize().into(),
        })
    }
}

/// The whole file, in a buffer of its size (no doubling on the way).
fn read_all(mut file: &File) -> io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(0))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut v = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    file.read_to_end(&mut v)?;
    Ok(v)
}

/// Calls `f(line, terminated)` for each line of `file` from offset `start` (without the newline;
/// `terminated` is false only for a last line without one). Holds one chunk and the longest
/// line.
fn for_each_line(
    mut file: &File,
    start: u64,
    f: &mut dyn FnMut(&[u8], bool) -> Result<()>,
) -> Result<()> {
    let io_err = |e| read_error("entries", e);
    file.seek(SeekFrom::Start(start)).map_err(io_err)?;
    let mut buf = vec![0u8; CHUNK];
    let (mut start, mut end) = (0usize, 0usize);
    loop {
        // Make room: move the partial line to the front, or grow for a line longer than the
        // buffer.
        if start > 0 {
            buf.copy_within(start..end, 0);
            end -= start;
            start = 0;
        }
        if end == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = loop {
            match file.read(&mut buf[end..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_err(e)),
            }
        };
        if n == 0 {
            if start < end {
                f(&buf[start..end], false)?;
            }
            return Ok(());
        }
        end += n;
        let mut from = start;
        for nl in memchr::memchr_iter(b'\n', &buf[start..end]) {
            let at = start + nl;
            f(&buf[from..at], true)?;
            from = at + 1;
        }
        start = from;
    }
}

/// A field of a canonical list, `%XX` escapes decoded.
fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b,
            raw.get(i + 1).and_then(|&c| hex(c)),
            raw.get(i + 2).and_then(|&c| hex(c)),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// The first entry whose content [`super::parse`] refuses once the input is read (see
/// [`content_problem`]), kept until the pass is over.
struct ContentCheck {
    first: Option<Error>,
    /// False for a repeated pass (see [`EntriesInput::repeat_pass`]).
    enabled: bool,
}

impl Default for ContentCheck {
    fn default() -> Self {
        ContentCheck {
            first: None,
            enabled: true,
        }
    }
}

impl ContentCheck {
    fn check(&mut self, index: usize, e: &Entry<'_>) {
        if !self.enabled || self.first.is_some() {
            return;
        }
        // Escaped bytes are rare: check the fields in place when they hold none.
        fn decoded<'a>(f: &list::Field<'a>) -> Cow<'a, [u8]> {
            if f.raw().contains(&b'%') {
                Cow::Owned(f.bytes().collect())
            } else {
                Cow::Borrowed(f.raw())
            }
        }
        if let Some(p) = content_problem(&decoded(&e.uri), &decoded(&e.sha256)) {
            self.first = Some(entry_error(index, p));
        }
    }

    fn finish(self) -> Result<()> {
        self.first.map_or(Ok(()), Err)
    }
}

/// `sha256sum` lines to canonical entry lines, one at a time, with the errors of
/// [`super::parse`]: a line that is not UTF-8 anywhere in the input wins over any other problem.
struct Sha256sumConverter<'p> {
    prefix: &'p str,
    line_no: usize,
    out: Vec<u8>,
    first_error: Option<Error>,
}

impl<'p> Sha256sumConverter<'p> {
    fn new(prefix: &'p str) -> Self {
        Sha256sumConverter {
            prefix,
            line_no: 0,
            out: Vec::with_capacity(256),
            first_error: None,
        }
    }

    /// The canonical line (with its newline) for one input line, or `None` for an empty line
    /// (or any line after an error, which are only checked to be UTF-8).
    fn line(&mut self, raw: &[u8]) -> Result<Option<&[u8]>> {
        self.line_no += 1;
        let text = std::str::from_utf8(raw).map_err(|_| EntriesError::Sha256sumNotUtf8)?;
        if self.first_error.is_some() {
            return Ok(None);
        }
        let (hash, path) = match sha256sum_line(text, self.line_no) {
            Ok(Some(hp)) => hp,
            Ok(None) => return Ok(None),
            Err(e) => {
                self.first_error = Some(e);
                return Ok(None);
            }
        };
        self.out.clear();
        let out = &mut self.out;
        let mut push = |c: &[u8]| out.extend_from_slice(c);
        list::write_escaped(self.prefix.as_bytes(), &mut push);
        list::write_escaped(path.as_bytes(), &mut push);
        push(b"\t");
        list::write_escaped(hash.as_bytes(), &mut push);
        push(b"\n");
        Ok(Some(&self.out))
    }

    /// The error of a line seen earlier, now that every line is known to be UTF-8.
    fn finish(self) -> Result<()> {
        self.first_error.map_or(Ok(()), Err)
    }
}

/// The canonical list of entries in any format (`from = None`: detected), held in memory: what
/// `to_list(&parse(bytes, from, uri_prefix)?)` gives, without the intermediate records, and
/// without a tree of the whole document for TOML in the form `hash-files` writes and for JSON.
/// A canonical list input is borrowed.
pub fn to_canonical<'b>(
    bytes: &'b [u8],
    from: Option<From>,
    uri_prefix: Option<&str>,
) -> Result<Cow<'b, [u8]>> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let from = from.unwrap_or_else(|| detect(bytes));
    if uri_prefix.is_some() && from != From::Sha256sum {
        return Err(EntriesError::UriPrefixNotApplicable.into());
    }
    // The canonical list is shorter than TOML or JSON of the same entries: one allocation.
    let mut out = Vec::with_capacity(match from {
        From::Toml | From::Json => bytes.len().saturating_add(HEADER.len()),
        _ => 0,
    });
    out.extend_from_slice(HEADER);
    let push_entry = |out: &mut Vec<u8>, uri: &str, sha: &str| {
        let mut push = |c: &[u8]| out.extend_from_slice(c);
        list::write_escaped(uri.as_bytes(), &mut push);
        push(b"\t");
        list::write_escaped(sha.as_bytes(), &mut push);
        push(b"\n");
    };
    match from {
        From::List => {
            let list = EntryList::parse(bytes)?;
            let mut content = ContentCheck::default();
            for (i, e) in list.iter().enumerate() {
                content.check(i, &e);
            }
            content.finish()?;
            return Ok(Cow::Borrowed(bytes));
        }
        From::Sha256sum => {
            let mut converter = Sha256sumConverter::new(uri_prefix.unwrap_or("file:"));
            for raw in bytes.split(|&b| b == b'\n') {
                if let Some(line) = converter.line(raw)? {
                    out.extend_from_slice(line);
                }
            }
            converter.finish()?;
        }
        From::Json => {
            super::json::for_each_entry(bytes, &mut |uri, sha| push_entry(&mut out, &uri, &sha))?;
        }
        From::Toml => {
            let simple = simple_toml(bytes, &mut |uri, sha| push_entry(&mut out, uri, sha));
            if simple.is_none() {
                out = to_list(&from_toml(bytes)?);
            }
        }
    }
    // Then what every format refuses in an entry, then the list itself (as `parse` then
    // `to_list` then `EntryList::parse` would).
    let mut content = ContentCheck::default();
    let list = EntryList::parse(&out);
    if let Ok(list) = &list {
        for (i, e) in list.iter().enumerate() {
            content.check(i, &e);
        }
    } else {
        // The list is refused (an empty URI, too many entries), but the content of every entry
        // is judged first, line by line.
        let body = out.get(HEADER.len()..).unwrap_or_default();
        for (i, line) in body.split(|&b| b == b'\n').enumerate() {
            if let Some((uri, sha)) = line
                .iter()
                .position(|&b| b == b'\t')
                .map(|t| (&line[..t], &line[t + 1..]))
                && let Some(p) = content_problem(&unescape(uri), &unescape(sha))
            {
                content.first.get_or_insert(entry_error(i, p));
            }
        }
    }
    content.finish()?;
    list?;
    Ok(Cow::Owned(out))
}

/// TOML as `hash-files` writes it, read without a parse tree: comment lines, empty lines,
/// `[[sgx.trusted_files]]` headers, each followed by exactly one `uri = "..."` and one
/// `sha256 = "..."` line whose strings hold nothing that needs an escape. Calls `f` for each
/// entry in order; `None` (after calls to `f`, which the caller then discards) for anything else,
/// which the TOML parser then reads, with its own errors.
fn simple_toml(bytes: &[u8], f: &mut dyn FnMut(&str, &str)) -> Option<()> {
    let text = std::str::from_utf8(bytes).ok()?;
    // Control characters other than TAB, anywhere (CR included): not for this reader.
    if text
        .bytes()
        .any(|b| (b < 0x20 && b != b'\t' && b != b'\n') || b == 0x7f)
    {
        return None;
    }
    let plain = |s: &str| !s.bytes().any(|b| b == b'"' || b == b'\\');
    let mut table: Option<(Option<&str>, Option<&str>)> = None;
    let mut emit = |t: (Option<&str>, Option<&str>)| match t {
        (Some(u), Some(s)) => {
            f(u, s);
            Some(())
        }
        _ => None,
    };
    for line in text.split('\n') {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "[[sgx.trusted_files]]" {
            if let Some(t) = table.take() {
                emit(t)?;
            }
            table = Some((None, None));
            continue;
        }
        let (is_uri, rest) = match (
            line.strip_prefix("uri = \""),
            line.strip_prefix("sha256 = \""),
        ) {
            (Some(r), _) => (true, r),
            (_, Some(r)) => (false, r),
            _ => return None,
        };
        let value = rest.strip_suffix('"').filter(|v| plain(v))?;
        let (uri, sha) = table.as_mut()?;
        let slot = if is_uri { uri } else { sha };
        if slot.replace(value).is_some() {
            return None; // a key given twice: an error for the parser to report
        }
    }
    match table {
        Some(t) => emit(t),
        None => Some(()),
    }
}

#[cfg(test)]
mod tests;
