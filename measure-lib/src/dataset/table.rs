//! A data set's entries held compactly: a million files' URIs and hashes in tens of megabytes,
//! where a pair of strings per file takes a few hundred.

/// Entries (URI, SHA-256) in order. A run of files of one directory keeps the URI of the
/// directory once, the names one after the other and the hashes as bytes.
#[derive(Clone, Debug, Default)]
pub struct EntryTable {
    runs: Vec<Run>,
    len: usize,
}

/// Files whose URIs start with one prefix.
#[derive(Clone, Debug, Default)]
pub(super) struct Run {
    /// What every URI of the run starts with.
    prefix: String,
    /// The rest of each URI, one after the other.
    names: String,
    /// Where each rest ends in `names`.
    ends: Vec<usize>,
    hashes: Vec<[u8; 32]>,
}

impl Run {
    /// A run of URIs starting with `prefix`, with room for `capacity` of them.
    pub(super) fn new(prefix: &str, capacity: usize) -> Self {
        Run {
            prefix: prefix.to_string(),
            names: String::new(),
            ends: Vec::with_capacity(capacity),
            hashes: Vec::with_capacity(capacity),
        }
    }

    /// Adds the entry `prefix` + `name`; returns its index in the run.
    pub(super) fn push(&mut self, name: &str, sha256: [u8; 32]) -> usize {
        self.names.push_str(name);
        self.ends.push(self.names.len());
        self.hashes.push(sha256);
        self.hashes.len() - 1
    }

    /// The hash of entry `i`, to set.
    pub(super) fn hash_mut(&mut self, i: usize) -> Option<&mut [u8; 32]> {
        self.hashes.get_mut(i)
    }

    pub(super) fn len(&self) -> usize {
        self.hashes.len()
    }

    fn entry(&self, i: usize) -> Option<Entry<'_>> {
        let start = match i.checked_sub(1) {
            Some(before) => *self.ends.get(before)?,
            None => 0,
        };
        Some(Entry {
            prefix: &self.prefix,
            name: self.names.get(start..*self.ends.get(i)?)?,
            sha256: self.hashes.get(i)?,
        })
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = Entry<'_>> {
        (0..self.len()).filter_map(|i| self.entry(i))
    }
}

/// One entry of an [`EntryTable`].
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    prefix: &'a str,
    name: &'a str,
    sha256: &'a [u8; 32],
}

impl Entry<'_> {
    /// The URI.
    pub fn uri(&self) -> String {
        let mut s = String::with_capacity(self.prefix.len() + self.name.len());
        self.write_uri(&mut s);
        s
    }

    /// Appends the URI to `out`.
    pub fn write_uri(&self, out: &mut String) {
        out.push_str(self.prefix);
        out.push_str(self.name);
    }

    /// The SHA-256 of the file.
    pub fn sha256(&self) -> &[u8; 32] {
        self.sha256
    }

    /// The SHA-256 in lower-case hex.
    pub fn sha256_hex(&self) -> String {
        super::hex_string(self.sha256)
    }

    fn same_uri(&self, other: &Entry<'_>) -> bool {
        let (a, b) = (
            self.prefix.bytes().chain(self.name.bytes()),
            other.prefix.bytes().chain(other.name.bytes()),
        );
        self.prefix.len() + self.name.len() == other.prefix.len() + other.name.len() && a.eq(b)
    }
}

impl EntryTable {
    /// No entries.
    pub fn new() -> Self {
        Self::default()
    }

    pub(super) fn from_runs(runs: Vec<Run>) -> Self {
        let len = runs.iter().map(Run::len).sum();
        EntryTable { runs, len }
    }

    /// Adds an entry at the end.
    pub fn push(&mut self, uri: &str, sha256: [u8; 32]) {
        match self.runs.last_mut() {
            Some(run) if run.prefix.is_empty() => {
                run.push(uri, sha256);
            }
            _ => {
                let mut run = Run::new("", 1);
                run.push(uri, sha256);
                self.runs.push(run);
            }
        }
        self.len += 1;
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The entries, in order.
    pub fn iter(&self) -> impl Iterator<Item = Entry<'_>> {
        self.runs.iter().flat_map(Run::iter)
    }

    /// The entries as (URI, SHA-256 in hex) pairs.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        self.iter().map(|e| (e.uri(), e.sha256_hex())).collect()
    }
}

impl FromIterator<(String, [u8; 32])> for EntryTable {
    fn from_iter<I: IntoIterator<Item = (String, [u8; 32])>>(iter: I) -> Self {
        let mut t = EntryTable::new();
        for (uri, h) in iter {
            t.push(&uri, h);
        }
        t
    }
}

/// Equal when the entries are, however they are held.
impl PartialEq for EntryTable {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self
                .iter()
                .zip(other.iter())
                .all(|(a, b)| a.sha256 == b.sha256 && a.same_uri(&b))
    }
}

impl Eq for EntryTable {}
