//! Hashing a data set on several machines: `hash-files --shard K/N` hashes a deterministic 1/N
//! of the files and writes a shard file; `entries merge` joins the N shard files into exactly the
//! entries one `hash-files` run gives (same order, same bytes), or refuses.
//!
//! Every shard walks the whole tree (the walk is cheap next to hashing), numbers its files in
//! the walk's order, and hashes the files whose numbers fall in its range: shard K of N (K from
//! 0, as Kubernetes indexed Jobs and Slurm arrays number their tasks) takes files
//! `[K*n/N, (K+1)*n/N)` of the `n`. It records the tree it saw: `n` and the SHA-256 of every URI
//! in order (`tree`). The merge checks that the shards are all of one tree, one N and one output
//! format, that each K appears once and none is missing, that each holds exactly its range, and
//! that the URIs of the joined shards hash to `tree` again; then it writes the entries as
//! `hash-files` would have.
//!
//! # Shard file (text, UTF-8)
//!
//! ```text
//! sgx-measure shard v1
//! shard K/N
//! files n
//! range first..end
//! tree <64 hex digits: SHA-256 of each URI followed by a newline, in walk order>
//! format toml|json|sha256sum
//! <one canonical entry line per file of the range: URI TAB sha256, escaped as the canonical
//! entry list escapes them (`measure_core::entries`)>
//! ```

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

use measure_core::entries::{self as list, EntryList};
use sha2::{Digest, Sha256};

use crate::dataset::EntryFormat;
use crate::error::{Error, Result};

/// The first line of a shard file.
pub const HEADER: &str = "sgx-measure shard v1\n";

/// Which part of the files a run hashes: `index` of `count` (`index` from 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shard {
    /// K, from 0.
    pub index: usize,
    /// N.
    pub count: usize,
}

impl Shard {
    /// Reads `K/N` (0 <= K < N).
    pub fn parse(s: &str) -> std::result::Result<Self, ShardError> {
        let bad = || ShardError::BadSpec(s.to_string());
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The numbers of the files this shard hashes, of `files` in all.
    pub fn range(&self, files: usize) -> Range<usize> {
        let at = |k: usize| {
            usize::try_from(k as u128 * files as u128 / self.count.max(1) as u128).unwrap_or(files)
        };
        at(self.index)..at(self.index + 1)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Why shards cannot be made or joined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShardError {
    /// `--shard` is not `K/N` with 0 <= K < N.
    #[error("shard {0:?}: expected K/N with 0 <= K < N (K counts from 0)")]
    BadSpec(String),
    /// A shard file that cannot be read (its name, 1-based line, the problem).
    #[error("shard {file} line {line}: {problem}")]
    Malformed {
        /// The file.
        file: String,
        /// The line.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// Two shards of different runs.
    #[error("shards {a} and {b} do not belong together: {what} differ ({va} and {vb})")]
    Conflict {
        /// One shard file.
        a: String,
        /// The other.
        b: String,
        /// What differs (`N`, `tree`, `files`, `format`).
        what: &'static str,
        /// Its value in `a`.
        va: String,
        /// Its value in `b`.
        vb: String,
    },
    /// Two shard files cover the same files.
    #[error("shards {a} and {b} overlap: both are shard {shard}")]
    Overlap {
        /// One shard file.
        a: String,
        /// The other.
        b: String,
        /// The shard both claim.
        shard: Shard,
    },
    /// Shards are missing.
    #[error("incomplete: shard{} {} of {count} missing", if missing.len() > 1 { "s" } else { "" }, missing.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(", "))]
    Missing {
        /// The missing indices.
        missing: Vec<usize>,
        /// N.
        count: usize,
    },
    /// A shard does not hold exactly its range of files.
    #[error("shard {file} ({shard}) holds {held} entries for files {range:?}, expected {expected}")]
    WrongRange {
        /// The file.
        file: String,
        /// Its shard.
        shard: Shard,
        /// Entries it holds.
        held: usize,
        /// The range it should hold.
        range: Range<usize>,
        /// Entries expected.
        expected: usize,
    },
    /// The joined URIs are not the tree the shards were made from.
    #[error(
        "the joined shards' URIs do not match the tree they were made from (an entry was changed, dropped or moved)"
    )]
    TreeMismatch,
    /// No shard given.
    #[error("no shard to merge")]
    Nothing,
}

/// The SHA-256 of a walk's URIs, each followed by a newline (a shard's `tree`).
pub fn tree_digest<'a>(uris: impl IntoIterator<Item = &'a str>) -> [u8; 32] {
    let mut h = Sha256::new();
    for u in uris {
        h.update(u.as_bytes());
        h.update(b"\n");
    }
    h.finalize().into()
}

/// One shard's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardFile {
    /// Which shard.
    pub shard: Shard,
    /// Files in the whole tree.
    pub files: usize,
    /// Numbers of the files it holds.
    pub range: Range<usize>,
    /// [`tree_digest`] of the whole tree.
    pub tree: [u8; 32],
    /// The format the merge writes.
    pub format: EntryFormat,
    /// Its entries (URI, sha256), in order.
    pub entries: Vec<(String, String)>,
}

fn format_name(f: EntryFormat) -> &'static str {
    match f {
        EntryFormat::Toml => "toml",
        EntryFormat::Json => "json",
        EntryFormat::Sha256sum => "sha256sum",
    }
}

impl ShardFile {
    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!(
            "{HEADER}shard {}\nfiles {}\nrange {}..{}\ntree {}\nformat {}\n",
            self.shard,
            self.files,
            self.range.start,
            self.range.end,
            hex::encode(self.tree),
            format_name(self.format)
        )
        .into_bytes();
        for (uri, sha) in &self.entries {
            let mut push = |c: &[u8]| out.extend_from_slice(c);
            list::write_escaped(uri.as_bytes(), &mut push);
            push(b"\t");
            list::write_escaped(sha.as_bytes(), &mut push);
            push(b"\n");
        }
        out
    }

    /// Reads a shard file (`name` is how errors call it).
    pub fn parse(bytes: &[u8], name: &str) -> std::result::Result<Self, ShardError> {
        let bad = |line: usize, problem: &str| ShardError::Malformed {
            file: name.to_string(),
            line,
            problem: problem.to_string(),
        };
        let mut rest = bytes;
        let mut header_line = |n: usize, key: &str| -> std::result::Result<String, ShardError> {
            let nl = rest
                .iter()
                .position(|&b| b == b'\n')
                .ok_or_else(|| bad(n, "truncated"))?;
            let line = std::str::from_utf8(&rest[..nl]).map_err(|_| bad(n, "not UTF-8"))?;
            rest = &rest[nl + 1..];
            if key.is_empty() {
                return Ok(line.to_string());
            }
            line.strip_prefix(key)
                .and_then(|v| v.strip_prefix(' '))
                .map(str::to_string)
                .ok_or_else(|| bad(n, &format!("expected \"{key} ...\"")))
        };
        if header_line(1, "")? != HEADER.trim_end() {
            return Err(bad(
                1,
                "not a shard file (expected \"sgx-measure shard v1\")",
            ));
        }
        let shard = Shard::parse(&header_line(2, "shard")?).map_err(|e| bad(2, &e.to_string()))?;
        let files: usize = header_line(3, "files")?
            .parse()
            .map_err(|_| bad(3, "bad count"))?;
        let range = header_line(4, "range")?;
        let (a, b) = range
            .split_once("..")
            .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)))
            .ok_or_else(|| bad(4, "expected first..end"))?;
        let mut tree = [0u8; 32];
        hex::decode_to_slice(header_line(5, "tree")?, &mut tree)
            .map_err(|_| bad(5, "expected 64 hex digits"))?;
        let format = match header_line(6, "format")?.as_str() {
            "toml" => EntryFormat::Toml,
            "json" => EntryFormat::Json,
            "sha256sum" => EntryFormat::Sha256sum,
            _ => return Err(bad(6, "expected toml, json or sha256sum")),
        };
        // The entries: a canonical entry list's body.
        let body = [list::HEADER, rest].concat();
        let entries = EntryList::parse(&body)
            .map_err(|e| {
                bad(
                    0,
                    &format!("entries: {e} (lines counted from the first entry, plus 1)"),
                )
            })?
            .iter()
            .map(|e| {
                let s = |f: list::Field<'_>| {
                    String::from_utf8_lossy(&f.bytes().collect::<Vec<u8>>()).into_owned()
                };
                (s(e.uri), s(e.sha256))
            })
            .collect();
        Ok(ShardFile {
            shard,
            files,
            range: a..b,
            tree,
            format,
            entries,
        })
    }
}

/// Joins shard files (name, content) into the entries and format of the single run they
/// split, refusing shards that overlap, conflict or are missing.
pub fn merge(
    shards: Vec<(String, ShardFile)>,
) -> std::result::Result<(EntryFormat, Vec<(String, String)>), ShardError> {
    let Some((first_name, first)) = shards.first() else {
        return Err(ShardError::Nothing);
    };
    let (n, files, tree, format) = (first.shard.count, first.files, first.tree, first.format);
    let mut by_index: Vec<Option<usize>> = vec![None; n];
    for (i, (name, s)) in shards.iter().enumerate() {
        let conflict = |what: &'static str, va: String, vb: String| ShardError::Conflict {
            a: first_name.clone(),
            b: name.clone(),
            what,
            va,
            vb,
        };
        if s.shard.count != n {
            return Err(conflict("N", n.to_string(), s.shard.count.to_string()));
        }
        if s.tree != tree {
            return Err(conflict("tree", hex::encode(tree), hex::encode(s.tree)));
        }
        if s.files != files {
            return Err(conflict("files", files.to_string(), s.files.to_string()));
        }
        if s.format != format {
            return Err(conflict(
                "format",
                format_name(format).into(),
                format_name(s.format).into(),
            ));
        }
        let expected = s.shard.range(files);
        if s.range != expected || s.entries.len() != expected.len() {
            return Err(ShardError::WrongRange {
                file: name.clone(),
                shard: s.shard,
                held: s.entries.len(),
                expected: expected.len(),
                range: expected,
            });
        }
        match by_index.get_mut(s.shard.index) {
            Some(Some(j)) => {
                return Err(ShardError::Overlap {
                    a: shards[*j].0.clone(),
                    b: name.clone(),
                    shard: s.shard,
                });
            }
            Some(slot) => *slot = Some(i),
            None => return Err(conflict("N", n.to_string(), s.shard.count.to_string())),
        }
    }
    let missing: Vec<usize> = (0..n).filter(|&k| by_index[k].is_none()).collect();
    if !missing.is_empty() {
        return Err(ShardError::Missing { missing, count: n });
    }
    let mut shards: Vec<Option<ShardFile>> = shards.into_iter().map(|(_, s)| Some(s)).collect();
    let mut entries = Vec::with_capacity(files);
    for i in by_index.into_iter().flatten() {
        if let Some(s) = shards.get_mut(i).and_then(Option::take) {
            entries.extend(s.entries);
        }
    }
    if entries.len() != files || tree_digest(entries.iter().map(|(u, _)| u.as_str())) != tree {
        return Err(ShardError::TreeMismatch);
    }
    Ok((format, entries))
}

/// Reads shard files and merges them (see [`merge`]).
pub fn merge_files(paths: &[PathBuf]) -> Result<(EntryFormat, Vec<(String, String)>)> {
    let mut shards = Vec::with_capacity(paths.len());
    for p in paths {
        let bytes = crate::fsutil::read(p, "shard")?;
        let name = p.display().to_string();
        let s = ShardFile::parse(&bytes, &name).map_err(Error::from)?;
        shards.push((name, s));
    }
    Ok(merge(shards)?)
}

#[cfg(test)]
mod tests;
