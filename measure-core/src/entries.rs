//! The canonical entry list: a data owner's `{uri, sha256}` trusted-file entries, in a text
//! format that a `no_std` reader parses without allocation.
//!
//! ```text
//! sgx-measure entries v1\n
//! <uri>\t<sha256>\n
//! <uri>\t<sha256>\n
//! ```
//!
//! Each field is a UTF-8 string with exactly these bytes percent-escaped as `%XX` (two upper-case
//! hex digits): `%` itself, and the control characters U+0000 to U+001F and U+007F (TAB and LF
//! among them, so fields never contain the separators). Nothing else may be escaped, and every
//! byte of that set must be: each list of entries therefore has exactly one encoding, which makes
//! its SHA-256 (CONFIGID) a commitment to the entries. Any URI Gramine accepts (any TOML string)
//! round-trips, and the `sha256` string is carried exactly as given: Gramine copies precomputed
//! hashes into the manifest unchecked, so even their letter case changes MRENCLAVE.
//!
//! Order matters: entries are appended to `sgx.trusted_files` in list order.

use core::fmt;

/// The first line of every list.
pub const HEADER: &[u8] = b"sgx-measure entries v1\n";

/// Why an entry list was rejected. `line` counts from 1 (the header is line 1).
///
/// Not `#[non_exhaustive]`: the C ABI maps every variant to a status code of its own, and a new
/// variant must fail to compile there until it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntriesError {
    /// The list does not start with `sgx-measure entries v1\n`.
    BadHeader,
    /// The last line has no terminating newline.
    MissingFinalNewline,
    /// A line has no TAB between URI and hash, or more than one.
    BadSeparator {
        /// Line number.
        line: u32,
    },
    /// A line is not valid UTF-8.
    NotUtf8 {
        /// Line number.
        line: u32,
    },
    /// A `%` not followed by two upper-case hex digits, or an escape of a byte that must not be
    /// escaped (the encoding would not be canonical).
    BadEscape {
        /// Line number.
        line: u32,
    },
    /// A byte that must be escaped appears raw.
    Unescaped {
        /// Line number.
        line: u32,
    },
    /// An empty URI.
    EmptyUri {
        /// Line number.
        line: u32,
    },
    /// More entries than [`MAX_ENTRIES`].
    TooMany,
}

impl core::error::Error for EntriesError {}

impl fmt::Display for EntriesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntriesError::BadHeader => {
                f.write_str("entry list does not start with \"sgx-measure entries v1\"")
            }
            EntriesError::MissingFinalNewline => {
                f.write_str("entry list does not end with a newline")
            }
            EntriesError::BadSeparator { line } => {
                write!(
                    f,
                    "entry list line {line}: expected exactly one TAB between URI and sha256"
                )
            }
            EntriesError::NotUtf8 { line } => write!(f, "entry list line {line}: not valid UTF-8"),
            EntriesError::BadEscape { line } => write!(
                f,
                "entry list line {line}: '%' must be followed by two upper-case hex digits of a byte that needs escaping (%25, %00-%1F, %7F)"
            ),
            EntriesError::Unescaped { line } => write!(
                f,
                "entry list line {line}: control characters must be written as %XX escapes"
            ),
            EntriesError::EmptyUri { line } => write!(f, "entry list line {line}: empty URI"),
            EntriesError::TooMany => write!(f, "entry list has more than {MAX_ENTRIES} entries"),
        }
    }
}

/// Most entries a list may hold (far above any data set, small enough to bound verification).
pub const MAX_ENTRIES: usize = 1 << 24;

/// Whether `b` must be escaped.
pub const fn needs_escape(b: u8) -> bool {
    (b < 0x20) | (b == 0x7f) | (b == b'%')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b.wrapping_sub(b'0')),
        b'A'..=b'F' => Some(b.wrapping_sub(b'A').wrapping_add(10)),
        _ => None,
    }
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Checks one field's escaping.
fn check_field(raw: &[u8], line: u32) -> Result<(), EntriesError> {
    // The common case, nothing escaped, in one branch-free pass.
    if !raw.iter().fold(false, |acc, &b| acc | needs_escape(b)) {
        return Ok(());
    }
    let mut rest = raw;
    while let Some((&b, after)) = rest.split_first() {
        if b == b'%' {
            let [hi, lo, after @ ..] = after else {
                return Err(EntriesError::BadEscape { line });
            };
            let (Some(hi), Some(lo)) = (hex_value(*hi), hex_value(*lo)) else {
                return Err(EntriesError::BadEscape { line });
            };
            if !needs_escape((hi << 4) | lo) {
                return Err(EntriesError::BadEscape { line });
            }
            rest = after;
        } else if needs_escape(b) {
            return Err(EntriesError::Unescaped { line });
        } else {
            rest = after;
        }
    }
    Ok(())
}

/// A field as it appears in the list (escaped). Decoding is streamed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field<'a> {
    raw: &'a [u8],
}

impl<'a> Field<'a> {
    /// The escaped bytes as they appear in the list.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The decoded bytes, one at a time.
    pub fn bytes(&self) -> DecodedBytes<'a> {
        DecodedBytes { raw: self.raw }
    }

    /// Whether the decoded field equals `s`.
    pub fn eq_bytes(&self, s: &[u8]) -> bool {
        self.bytes().eq(s.iter().copied())
    }

    /// Whether the decoded field starts with `prefix`.
    pub fn starts_with(&self, prefix: &[u8]) -> bool {
        // Escaped bytes are rare: compare in place as far as the raw bytes hold no escape.
        if let Some(head) = self.raw.get(..prefix.len())
            && !head.contains(&b'%')
        {
            return head == prefix;
        }
        let mut it = self.bytes();
        prefix.iter().all(|&p| it.next() == Some(p))
    }

    /// Length of the decoded field in bytes.
    pub fn decoded_len(&self) -> usize {
        self.bytes().count()
    }
}

/// Iterator over the decoded bytes of a [`Field`].
#[derive(Clone, Debug)]
pub struct DecodedBytes<'a> {
    raw: &'a [u8],
}

impl Iterator for DecodedBytes<'_> {
    type Item = u8;
    fn next(&mut self) -> Option<u8> {
        let (&b, rest) = self.raw.split_first()?;
        if b == b'%' {
            // Validated at parse time: two upper-case hex digits follow.
            let hi = rest.first().and_then(|&c| hex_value(c)).unwrap_or(0);
            let lo = rest.get(1).and_then(|&c| hex_value(c)).unwrap_or(0);
            self.raw = rest.get(2..).unwrap_or(&[]);
            Some((hi << 4) | lo)
        } else {
            self.raw = rest;
            Some(b)
        }
    }
}

/// One entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// `uri`.
    pub uri: Field<'a>,
    /// `sha256`, exactly as given.
    pub sha256: Field<'a>,
}

/// Validates one line of a list (without its newline; `line` is its 1-based number, the header
/// being line 1) and splits it into an entry: what [`EntryList::parse`] checks for each line, for
/// readers that stream a list instead of holding it.
pub fn parse_line(l: &[u8], line: u32) -> Result<Entry<'_>, EntriesError> {
    if core::str::from_utf8(l).is_err() {
        return Err(EntriesError::NotUtf8 { line });
    }
    let (uri, sha) = split_tab(l).ok_or(EntriesError::BadSeparator { line })?;
    if sha.contains(&b'\t') {
        return Err(EntriesError::BadSeparator { line });
    }
    if uri.is_empty() {
        return Err(EntriesError::EmptyUri { line });
    }
    check_field(uri, line)?;
    check_field(sha, line)?;
    Ok(Entry {
        uri: Field { raw: uri },
        sha256: Field { raw: sha },
    })
}

/// A validated entry list, borrowed from its bytes.
#[derive(Clone, Copy, Debug)]
pub struct EntryList<'a> {
    body: &'a [u8],
    count: usize,
}

fn split_line(body: &[u8]) -> Option<(&[u8], &[u8])> {
    let (line, rest) = body.split_at_checked(memchr::memchr(b'\n', body)?)?;
    Some((line, rest.get(1..)?))
}

fn split_tab(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let (uri, rest) = line.split_at_checked(memchr::memchr(b'\t', line)?)?;
    Some((uri, rest.get(1..)?))
}

impl<'a> EntryList<'a> {
    /// Validates a list.
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "count <= MAX_ENTRIES, checked at every line"
    )]
    pub fn parse(bytes: &'a [u8]) -> Result<Self, EntriesError> {
        let body = bytes.strip_prefix(HEADER).ok_or(EntriesError::BadHeader)?;
        let mut rest = body;
        let mut count = 0usize;
        let mut line = 1u32;
        while !rest.is_empty() {
            line = line.saturating_add(1);
            let (l, r) = split_line(rest).ok_or(EntriesError::MissingFinalNewline)?;
            rest = r;
            parse_line(l, line)?;
            count += 1;
            if count > MAX_ENTRIES {
                return Err(EntriesError::TooMany);
            }
        }
        Ok(EntryList { body, count })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The entries in order.
    pub fn iter(&self) -> Entries<'a> {
        Entries { rest: self.body }
    }

    /// The entries in order, each with the offset of its line in the list body (the bytes after
    /// the header). Offsets grow with the index, so they order entries as indices do.
    pub fn iter_offsets(&self) -> impl Iterator<Item = (usize, Entry<'a>)> + Clone + 'a {
        let body = self.body;
        let mut it = self.iter();
        core::iter::from_fn(move || {
            // `it.rest` is a suffix of `body`: no underflow (saturating only to state it).
            let offset = body.len().saturating_sub(it.rest.len());
            Some((offset, it.next()?))
        })
    }

    /// The entry whose line starts at `offset` of the body (an offset from [`iter_offsets`]).
    ///
    /// [`iter_offsets`]: EntryList::iter_offsets
    pub fn entry_at(&self, offset: usize) -> Option<Entry<'a>> {
        Entries {
            rest: self.body.get(offset..)?,
        }
        .next()
    }

    /// The 0-based index of the entry whose line starts at `offset` of the body.
    pub fn index_of_offset(&self, offset: usize) -> usize {
        self.body
            .get(..offset)
            .unwrap_or(self.body)
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    }
}

/// Iterator over the entries of an [`EntryList`].
#[derive(Clone, Debug)]
pub struct Entries<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Entries<'a> {
    type Item = Entry<'a>;
    fn next(&mut self) -> Option<Entry<'a>> {
        let (line, rest) = split_line(self.rest)?;
        self.rest = rest;
        let (uri, sha) = split_tab(line)?;
        Some(Entry {
            uri: Field { raw: uri },
            sha256: Field { raw: sha },
        })
    }
}

/// Writes `s` escaped into `out` (a callback receiving byte chunks), as the canonical format
/// requires.
pub fn write_escaped(s: &[u8], out: &mut dyn FnMut(&[u8])) {
    let mut start = 0;
    for (i, &b) in s.iter().enumerate() {
        if needs_escape(b) {
            if let Some(run) = s.get(start..i) {
                out(run);
            }
            out(&[
                b'%',
                HEX_UPPER.get(usize::from(b >> 4)).copied().unwrap_or(b'0'),
                HEX_UPPER.get(usize::from(b & 15)).copied().unwrap_or(b'0'),
            ]);
            start = i.wrapping_add(1); // i < s.len()
        }
    }
    if let Some(run) = s.get(start..) {
        out(run);
    }
}

/// Builds a canonical list (with `alloc`).
#[cfg(feature = "alloc")]
pub fn encode<'e>(entries: impl IntoIterator<Item = (&'e str, &'e str)>) -> alloc::vec::Vec<u8> {
    let mut out = alloc::vec::Vec::from(HEADER);
    for (uri, sha) in entries {
        let mut push = |c: &[u8]| out.extend_from_slice(c);
        write_escaped(uri.as_bytes(), &mut push);
        push(b"\t");
        write_escaped(sha.as_bytes(), &mut push);
        push(b"\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_of_hostile_strings() {
        let uris = [
            "file:/data/a.bin",
            "file:x\ty\nz%20\u{7f}\u{0}é🙂\"\\",
            "file:%",
            "file:\r\n",
        ];
        let shas = ["ABCDEF", "", "%%\t"];
        let pairs: std::vec::Vec<(&str, &str)> = uris
            .iter()
            .zip(shas.iter().cycle())
            .map(|(u, s)| (*u, *s))
            .collect();
        let bytes = encode(pairs.iter().copied());
        let list = EntryList::parse(&bytes).unwrap();
        assert_eq!(list.len(), pairs.len());
        for (e, (u, s)) in list.iter().zip(pairs) {
            assert!(e.uri.eq_bytes(u.as_bytes()));
            assert!(e.sha256.eq_bytes(s.as_bytes()));
            assert_eq!(e.uri.decoded_len(), u.len());
        }
    }

    #[test]
    fn only_the_canonical_encoding_is_accepted() {
        let bad: [(&[u8], EntriesError); 9] = [
            (b"sgx-measure entries v2\n", EntriesError::BadHeader),
            (
                b"sgx-measure entries v1\nfile:a\tb",
                EntriesError::MissingFinalNewline,
            ),
            (
                b"sgx-measure entries v1\nfile:a b\n",
                EntriesError::BadSeparator { line: 2 },
            ),
            (
                b"sgx-measure entries v1\nfile:a\tb\tc\n",
                EntriesError::BadSeparator { line: 2 },
            ),
            (
                b"sgx-measure entries v1\nfile:%41\tb\n",
                EntriesError::BadEscape { line: 2 },
            ),
            (
                b"sgx-measure entries v1\nfile:%0a\tb\n",
                EntriesError::BadEscape { line: 2 },
            ),
            (
                b"sgx-measure entries v1\nfile:%2\tb\n",
                EntriesError::BadEscape { line: 2 },
            ),
            (
                b"sgx-measure entries v1\nfile:a\rb\tb\n",
                EntriesError::Unescaped { line: 2 },
            ),
            (
                b"sgx-measure entries v1\n\tb\n",
                EntriesError::EmptyUri { line: 2 },
            ),
        ];
        for (input, want) in bad {
            assert_eq!(
                EntryList::parse(input).unwrap_err(),
                want,
                "{:?}",
                core::str::from_utf8(input)
            );
        }
        assert_eq!(
            EntryList::parse(b"sgx-measure entries v1\nfile:\xff\tb\n").unwrap_err(),
            EntriesError::NotUtf8 { line: 2 }
        );
        assert!(EntryList::parse(HEADER).unwrap().is_empty());
    }
}
