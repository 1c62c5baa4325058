//! The data owner's side: the files of a dataset, found as Gramine expands a directory URI, and
//! their `{uri, sha256}` entries rendered in the formats data owners publish.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::manifest::pypath;
use crate::toml::{self, Table, TomlWriter, Value};

/// Output format of the entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryFormat {
    /// `[[sgx.trusted_files]]` tables with `uri` and `sha256`.
    Toml,
    /// A JSON array of `{"uri": ..., "sha256": ...}`, one object per line.
    Json,
    /// `sha256sum` lines (`<hash>  <path>`, path = URI without `file:`).
    Sha256sum,
}

fn utf8(p: &Path) -> Result<&str> {
    p.to_str().ok_or_else(|| Error::NotUtf8Path {
        path: p.to_path_buf(),
    })
}

/// A directory's entries, sorted by name, with their types as the listing gives them (the
/// entries' own types: a symlink is a symlink).
fn sorted_children(dir: &Path) -> Result<Vec<(String, std::fs::FileType)>> {
    let list_error = |source| Error::List {
        path: dir.to_path_buf(),
        source,
    };
    let mut names = Vec::new();
    for e in std::fs::read_dir(dir).map_err(list_error)? {
        let e = e.map_err(list_error)?;
        let kind = e.file_type().map_err(list_error)?;
        match e.file_name().into_string() {
            Ok(n) => names.push((n, kind)),
            Err(name) => {
                return Err(crate::manifest::ManifestError::FileNameNotUtf8 {
                    name,
                    dir: dir.to_path_buf(),
                }
                .into());
            }
        }
    }
    names.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(names)
}

/// Why a path inside a directory argument was not hashed (Gramine's expansion of a directory
/// URI leaves the same paths out).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// A symbolic link to nothing.
    DanglingLink,
    /// A directory reached through a symbolic link (not followed).
    LinkedDirectory,
    /// A FIFO, socket or device.
    SpecialFile,
    /// A regular file that cannot be opened.
    Unreadable,
}

impl SkipReason {
    /// Plural description, for summaries (`2 dangling symbolic links`).
    pub fn describe(self, n: usize) -> String {
        let (one, many) = match self {
            Self::DanglingLink => ("dangling symbolic link", "dangling symbolic links"),
            Self::LinkedDirectory => (
                "directory reached through a symbolic link",
                "directories reached through symbolic links",
            ),
            Self::SpecialFile => (
                "special file (FIFO, socket, device)",
                "special files (FIFOs, sockets, devices)",
            ),
            Self::Unreadable => ("unreadable file", "unreadable files"),
        };
        format!("{n} {}", if n == 1 { one } else { many })
    }
}

/// A file to hash and the URI it is listed under.
pub type FileUri = (PathBuf, String);

/// A path left out of a directory's expansion, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The path.
    pub path: PathBuf,
    /// Why.
    pub reason: SkipReason,
}

/// A directory's walk: its files (path, path relative to the walked argument) and the paths it
/// left out, both in walk order.
#[derive(Default)]
struct Walked {
    files: Vec<(PathBuf, String)>,
    skipped: Vec<Skipped>,
}

impl Walked {
    /// Appends a later part of the walk (moving rather than copying the first non-empty part).
    fn join(&mut self, mut later: Walked) {
        if self.files.is_empty() {
            self.files = later.files;
        } else {
            self.files.append(&mut later.files);
        }
        if self.skipped.is_empty() {
            self.skipped = later.skipped;
        } else {
            self.skipped.append(&mut later.skipped);
        }
    }
}

/// What one directory entry contributes to a walk.
enum Found {
    File(PathBuf, String),
    Dir(Walked),
    Skipped(Skipped),
}

/// Files below `dir` in Gramine's directory expansion order (depth-first, names sorted,
/// symlinked directories not followed, unreadable and special files skipped), with their paths
/// relative to `dir`, and the paths left out with the reason. Subdirectories are walked on every
/// core and joined in order; an entry's type comes from the listing (a symlink is looked up), so
/// a regular file costs one `access`.
fn walk(dir: &Path, rel: &str) -> Result<Walked> {
    use rayon::prelude::*;
    let children = sorted_children(dir)?;
    let handle = std::fs::File::open(dir).map_err(|source| Error::List {
        path: dir.to_path_buf(),
        source,
    })?;
    let found: Vec<Result<Found>> = children
        .par_iter()
        .with_min_len(32)
        .map(|(name, kind)| {
            let p = dir.join(name);
            let rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let link = kind.is_symlink();
            // A symlink is followed for its target's type; `None` when it leads nowhere.
            let (is_file, is_dir) = if kind.is_file() {
                (true, false)
            } else if kind.is_dir() {
                (false, true)
            } else if link {
                match std::fs::metadata(&p) {
                    Ok(m) => (m.is_file(), m.is_dir()),
                    Err(_) => {
                        return Ok(Found::Skipped(Skipped {
                            path: p,
                            reason: SkipReason::DanglingLink,
                        }));
                    }
                }
            } else {
                (false, false)
            };
            if is_dir && !link {
                return Ok(Found::Dir(walk(&p, &rel)?));
            }
            if is_file && crate::fsutil::readable_at(&handle, name) {
                return Ok(Found::File(p, rel));
            }
            let reason = if is_file {
                SkipReason::Unreadable
            } else if is_dir {
                SkipReason::LinkedDirectory
            } else {
                SkipReason::SpecialFile
            };
            Ok(Found::Skipped(Skipped { path: p, reason }))
        })
        .collect();
    let mut out = Walked::default();
    for f in found {
        match f? {
            Found::File(p, rel) => out.files.push((p, rel)),
            Found::Dir(sub) => out.join(sub),
            Found::Skipped(s) => out.skipped.push(s),
        }
    }
    Ok(out)
}

/// Refuses a `--uri-prefix` that would give URIs Gramine does not mean: one that does not start
/// with `file:`, or that neither is `file:` nor ends with `/` (names would be glued to it:
/// `file:/data/owner1README`).
pub fn check_uri_prefix(prefix: &str) -> Result<()> {
    if !prefix.starts_with("file:") {
        return Err(Error::Invalid(format!(
            "--uri-prefix {prefix:?} does not start with \"file:\": trusted files are file: URIs (e.g. file:/data/)"
        )));
    }
    if prefix != "file:" && !prefix.ends_with('/') {
        return Err(Error::Invalid(format!(
            "--uri-prefix {prefix:?} does not end with '/': the file names would be glued to it ({prefix}README); write {prefix}/"
        )));
    }
    Ok(())
}

/// The (file to read, URI) pairs for the arguments. Two files giving the same URI (the same name
/// under two directories given with one `--uri-prefix`, or an argument given twice) are refused:
/// the entries would contradict each other.
pub fn collect(paths: &[PathBuf], uri_prefix: Option<&str>) -> Result<Vec<(PathBuf, String)>> {
    Ok(collect_reporting_skipped(paths, uri_prefix)?.0)
}

/// [`collect`], with the paths inside directory arguments that were left out, in walk order.
pub fn collect_reporting_skipped(
    paths: &[PathBuf],
    uri_prefix: Option<&str>,
) -> Result<(Vec<FileUri>, Vec<Skipped>)> {
    if let Some(pre) = uri_prefix {
        check_uri_prefix(pre)?;
    }
    let mut skipped = Vec::new();
    let out = collect_unchecked(paths, uri_prefix, &mut skipped)?;
    let mut seen: std::collections::HashMap<&str, &Path> =
        std::collections::HashMap::with_capacity(out.len());
    for (p, uri) in &out {
        if let Some(first) = seen.insert(uri.as_str(), p.as_path()) {
            return Err(Error::Invalid(format!(
                "{} and {} both give the URI {uri:?}{}",
                first.display(),
                p.display(),
                if uri_prefix.is_some() {
                    ": with --uri-prefix, the names of every argument start at the prefix; hash each directory with a prefix of its own, or give their parent directory"
                } else {
                    ": give each file once"
                }
            )));
        }
    }
    Ok((out, skipped))
}

fn collect_unchecked(
    paths: &[PathBuf],
    uri_prefix: Option<&str>,
    skipped: &mut Vec<Skipped>,
) -> Result<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    for arg in paths {
        let meta = std::fs::metadata(arg).map_err(|source| Error::Stat {
            path: arg.clone(),
            source,
        })?;
        let shown = pypath::normalize(utf8(arg)?);
        if meta.is_dir() {
            let walked = walk(arg, "")?;
            skipped.extend(walked.skipped);
            for (p, rel) in walked.files {
                let uri = match uri_prefix {
                    Some(pre) => format!("{pre}{rel}"),
                    None => format!("file:{}", pypath::join(&shown, &rel)),
                };
                out.push((p, uri));
            }
        } else if meta.is_file() {
            let uri = match uri_prefix {
                Some(pre) => format!(
                    "{pre}{}",
                    arg.file_name().and_then(|n| n.to_str()).unwrap_or_default()
                ),
                None => format!("file:{shown}"),
            };
            out.push((arg.clone(), uri));
        } else {
            return Err(Error::NotFileOrDir { path: arg.clone() });
        }
    }
    Ok(out)
}

/// What [`hash_files`] produced: all entries, or one shard of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hashed {
    /// The entries (URI, sha256 in hex) of every file, in order.
    All(Vec<(String, String)>),
    /// One shard (see [`crate::shard`]).
    Shard(crate::shard::ShardFile),
}

/// The data owner's job: the files under `paths` (see [`collect`]) hashed with `hasher`; with
/// `shard`, only that shard's files, as a shard file whose merge writes `format`.
pub fn hash_files(
    paths: &[PathBuf],
    uri_prefix: Option<&str>,
    hasher: &mut crate::hashing::FileHasher,
    shard: Option<crate::shard::Shard>,
    format: EntryFormat,
) -> Result<Hashed> {
    Ok(hash_files_reporting_skipped(paths, uri_prefix, hasher, shard, format)?.0)
}

/// [`hash_files`], with the paths inside directory arguments that were left out, in walk order
/// (with `shard`, those of the whole tree: every shard walks all of it).
pub fn hash_files_reporting_skipped(
    paths: &[PathBuf],
    uri_prefix: Option<&str>,
    hasher: &mut crate::hashing::FileHasher,
    shard: Option<crate::shard::Shard>,
    format: EntryFormat,
) -> Result<(Hashed, Vec<Skipped>)> {
    let (files, skipped) = collect_reporting_skipped(paths, uri_prefix)?;
    let total = files.len();
    let (range, tree) = match shard {
        Some(s) => (
            s.range(total),
            Some(crate::shard::tree_digest(
                files.iter().map(|(_, u)| u.as_str()),
            )),
        ),
        None => (0..total, None),
    };
    // Paths and URIs apart (moved, not copied: a million paths are worth not duplicating).
    let (to_hash, uris): (Vec<PathBuf>, Vec<String>) = files
        .into_iter()
        .skip(range.start)
        .take(range.len())
        .unzip();
    let mut entries = Vec::with_capacity(uris.len());
    let hashed = hasher.hash_all(&to_hash);
    for ((p, uri), r) in to_hash.into_iter().zip(uris).zip(hashed) {
        let h = r.map_err(|source| Error::Hash { path: p, source })?;
        entries.push((uri, hex::encode(h)));
    }
    let hashed = match (shard, tree) {
        (Some(shard), Some(tree)) => Hashed::Shard(crate::shard::ShardFile {
            shard,
            files: total,
            range,
            tree,
            format,
            entries,
        }),
        _ => Hashed::All(entries),
    };
    Ok((hashed, skipped))
}

/// Writes entries in a format, exactly as [`render`] renders them, without building a document
/// tree (for millions of entries).
pub fn render_to(
    entries: &[(String, String)],
    format: EntryFormat,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut buf = String::with_capacity(1 << 16);
    let flush = |buf: &mut String, out: &mut dyn std::io::Write, force: bool| {
        if force || buf.len() >= 1 << 16 {
            let r = out.write_all(buf.as_bytes());
            buf.clear();
            r
        } else {
            Ok(())
        }
    };
    match format {
        EntryFormat::Toml if entries.is_empty() => {}
        EntryFormat::Toml => {
            // tomli_w writes the array inline when every item fits on a line of 100 code points.
            let mut item = String::new();
            let inline_item = |item: &mut String, uri: &str, sha: &str| {
                item.clear();
                item.push_str("{ uri = ");
                toml::emit::write_string(item, uri);
                item.push_str(", sha256 = ");
                toml::emit::write_string(item, sha);
                item.push_str(" }");
            };
            let fits = |item: &str| {
                let n = ARRAY_INDENT.len() + 1;
                n + item.len() <= MAX_LINE_LENGTH || n + item.chars().count() <= MAX_LINE_LENGTH
            };
            let inline = entries.iter().all(|(u, s)| {
                // A line longer than 100 code points even without escapes cannot fit.
                u.chars().count() + s.chars().count() + 30 <= MAX_LINE_LENGTH && {
                    inline_item(&mut item, u, s);
                    fits(&item)
                }
            });
            if inline {
                buf.push_str("[sgx]\ntrusted_files = [\n");
                for (u, s) in entries {
                    inline_item(&mut item, u, s);
                    buf.push_str(ARRAY_INDENT);
                    buf.push_str(&item);
                    buf.push_str(",\n");
                    flush(&mut buf, out, false)?;
                }
                buf.push_str("]\n");
            } else {
                for (i, (u, s)) in entries.iter().enumerate() {
                    if i > 0 {
                        buf.push('\n');
                    }
                    buf.push_str("[[sgx.trusted_files]]\nuri = ");
                    toml::emit::write_string(&mut buf, u);
                    buf.push_str("\nsha256 = ");
                    toml::emit::write_string(&mut buf, s);
                    buf.push('\n');
                    flush(&mut buf, out, false)?;
                }
            }
        }
        EntryFormat::Json => {
            buf.push('[');
            for (i, (uri, sha)) in entries.iter().enumerate() {
                buf.push_str(if i == 0 { "\n  " } else { ",\n  " });
                buf.push_str("{\"uri\":");
                buf.push_str(&serde_json::to_string(uri).unwrap_or_default());
                buf.push_str(",\"sha256\":");
                buf.push_str(&serde_json::to_string(sha).unwrap_or_default());
                buf.push('}');
                flush(&mut buf, out, false)?;
            }
            buf.push_str(if entries.is_empty() { "]\n" } else { "\n]\n" });
        }
        EntryFormat::Sha256sum => {
            for (uri, sha) in entries {
                sha256sum_line(&mut buf, uri, sha);
                flush(&mut buf, out, false)?;
            }
        }
    }
    flush(&mut buf, out, true)
}

const ARRAY_INDENT: &str = "    ";
const MAX_LINE_LENGTH: usize = 100;

/// A `sha256sum` line for an entry (path = URI without `file:`), escaped as GNU coreutils
/// escapes a name holding a backslash or newline.
fn sha256sum_line(s: &mut String, uri: &str, sha: &str) {
    let path = uri.strip_prefix("file:").unwrap_or(uri);
    if path.contains(['\\', '\n', '\r']) {
        let esc = path
            .replace('\\', "\\\\")
            .replace('\n', "\\n")
            .replace('\r', "\\r");
        s.push('\\');
        s.push_str(sha);
        s.push_str("  ");
        s.push_str(&esc);
    } else {
        s.push_str(sha);
        s.push_str("  ");
        s.push_str(path);
    }
    s.push('\n');
}

/// Renders entries in a format.
pub fn render(entries: &[(String, String)], format: EntryFormat) -> String {
    match format {
        EntryFormat::Toml => {
            let list = entries
                .iter()
                .map(|(uri, sha)| {
                    let mut t = Table::new();
                    t.insert("uri", Value::String(uri.clone()));
                    t.insert("sha256", Value::String(sha.clone()));
                    Value::Table(t)
                })
                .collect();
            let mut sgx = Table::new();
            sgx.insert("trusted_files", Value::Array(list));
            let mut root = Table::new();
            root.insert("sgx", Value::Table(sgx));
            if entries.is_empty() {
                String::new()
            } else {
                toml::emit_tomli_w(&root, TomlWriter::TomliW1)
            }
        }
        EntryFormat::Json => {
            let mut s = String::from("[");
            for (i, (uri, sha)) in entries.iter().enumerate() {
                s.push_str(if i == 0 { "\n  " } else { ",\n  " });
                s.push_str(&serde_json::json!({"uri": uri, "sha256": sha}).to_string());
            }
            s.push_str(if entries.is_empty() { "]\n" } else { "\n]\n" });
            s
        }
        EntryFormat::Sha256sum => {
            let mut s = String::new();
            for (uri, sha) in entries {
                let path = uri.strip_prefix("file:").unwrap_or(uri);
                // GNU coreutils: a name with a backslash or newline is escaped and the line starts
                // with a backslash.
                if path.contains(['\\', '\n', '\r']) {
                    let esc = path
                        .replace('\\', "\\\\")
                        .replace('\n', "\\n")
                        .replace('\r', "\\r");
                    s.push_str(&format!("\\{sha}  {esc}\n"));
                } else {
                    s.push_str(&format!("{sha}  {path}\n"));
                }
            }
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parallel walk reports what it left out, in walk order, with the reason, across
    /// directories big enough to be split between threads.
    #[test]
    fn skipped_paths_are_reported_in_walk_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for sub in ["a", "b"] {
            std::fs::create_dir(root.join(sub)).unwrap();
            for i in 0..100 {
                std::fs::write(root.join(sub).join(format!("f{i:03}")), b"x").unwrap();
            }
        }
        std::os::unix::fs::symlink("nowhere", root.join("a/f050-dangling")).unwrap();
        std::os::unix::fs::symlink(root.join("a"), root.join("b/f020-linked-dir")).unwrap();
        std::os::unix::fs::symlink(root.join("a/f001"), root.join("b/f030-linked-file")).unwrap();
        let fifo = std::ffi::CString::new(
            root.join("b/f099-fifo")
                .into_os_string()
                .into_encoded_bytes(),
        )
        .unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only reads it.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let (files, skipped) =
            collect_reporting_skipped(&[root.to_path_buf()], Some("file:/d/")).unwrap();
        assert_eq!(files.len(), 201);
        assert_eq!(files[0].1, "file:/d/a/f000");
        assert!(files.iter().any(|(_, u)| u == "file:/d/b/f030-linked-file"));
        let got: Vec<(PathBuf, SkipReason)> =
            skipped.into_iter().map(|s| (s.path, s.reason)).collect();
        assert_eq!(
            got,
            vec![
                (root.join("a/f050-dangling"), SkipReason::DanglingLink),
                (root.join("b/f020-linked-dir"), SkipReason::LinkedDirectory),
                (root.join("b/f099-fifo"), SkipReason::SpecialFile),
            ]
        );
        assert_eq!(
            collect(&[root.to_path_buf()], Some("file:/d/")).unwrap(),
            files
        );
    }
}
