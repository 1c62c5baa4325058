//! The data owner's side: the files of a dataset, found as Gramine expands a directory URI, and
//! their `{uri, sha256}` entries rendered in the formats data owners publish.

mod table;
pub(crate) mod walk;

use std::path::{Path, PathBuf};

pub use table::{Entry, EntryTable};
use walk::{Run, Visit, Visitor};

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

/// A run of files to read and their URIs.
struct PathRun {
    dir_uri: String,
    files: Vec<FileUri>,
}

impl Run for PathRun {
    type File = ();

    fn new(dir_uri: &str, capacity: usize) -> Self {
        PathRun {
            dir_uri: dir_uri.to_string(),
            files: Vec::with_capacity(capacity),
        }
    }

    fn push(&mut self, dir: &Path, name: &str, (): ()) {
        let mut uri = String::with_capacity(self.dir_uri.len() + name.len());
        uri.push_str(&self.dir_uri);
        uri.push_str(name);
        self.files.push((dir.join(name), uri));
    }

    fn each_uri(&self, f: &mut dyn FnMut(&str)) {
        for (_, uri) in &self.files {
            f(uri);
        }
    }
}

/// [`collect`], with the paths inside directory arguments that were left out, in walk order.
pub fn collect_reporting_skipped(
    paths: &[PathBuf],
    uri_prefix: Option<&str>,
) -> Result<(Vec<FileUri>, Vec<Skipped>)> {
    let mut skipped = Vec::new();
    let readable = |dir: &std::fs::File, name: &str| {
        if crate::fsutil::readable_at(dir, name) {
            Visit::File(())
        } else {
            Visit::Unreadable
        }
    };
    let args = collect_with(
        paths,
        uri_prefix,
        &mut skipped,
        &readable,
        &mut |arg, _, uri| PathRun {
            dir_uri: String::new(),
            files: vec![(arg.to_path_buf(), uri)],
        },
    )?;
    check_unique_uris(&args, uri_prefix)?;
    let runs: Vec<PathRun> = args.into_iter().flat_map(|c| c.runs).collect();
    let mut files = Vec::with_capacity(runs.iter().map(|r| r.files.len()).sum());
    for run in runs {
        files.extend(run.files);
    }
    Ok((files, skipped))
}

/// What one argument gave: the argument, the URI its files' URIs start with when it is a
/// directory, and its runs of files.
struct Collected<'a, R> {
    arg: &'a Path,
    dir_uri: Option<String>,
    runs: Vec<R>,
}

/// The files of every argument, in order: each directory walked with `visit`, each file argument
/// made a run by `file` from its metadata and URI. The paths left out are added to `skipped`.
fn collect_with<'a, R: Run>(
    paths: &'a [PathBuf],
    uri_prefix: Option<&str>,
    skipped: &mut Vec<Skipped>,
    visit: &Visitor<'_, R::File>,
    file: &mut dyn FnMut(&Path, &std::fs::Metadata, String) -> R,
) -> Result<Vec<Collected<'a, R>>> {
    if let Some(pre) = uri_prefix {
        check_uri_prefix(pre)?;
    }
    let mut out = Vec::with_capacity(paths.len());
    for arg in paths {
        let meta = std::fs::metadata(arg).map_err(|source| Error::Stat {
            path: arg.clone(),
            source,
        })?;
        let shown = pypath::normalize(utf8(arg)?);
        if meta.is_dir() {
            // `file:` + the argument joined with the relative path, as `pypath::join` joins.
            let dir_uri = match uri_prefix {
                Some(pre) => pre.to_string(),
                None if shown == "." => "file:".to_string(),
                None if shown.ends_with('/') => format!("file:{shown}"),
                None => format!("file:{shown}/"),
            };
            let walked = walk::walk(arg, &dir_uri, visit)?;
            skipped.extend(walked.skipped);
            out.push(Collected {
                arg,
                dir_uri: Some(dir_uri),
                runs: walked.runs,
            });
        } else if meta.is_file() {
            let uri = match uri_prefix {
                Some(pre) => format!(
                    "{pre}{}",
                    arg.file_name().and_then(|n| n.to_str()).unwrap_or_default()
                ),
                None => format!("file:{shown}"),
            };
            out.push(Collected {
                arg,
                dir_uri: None,
                runs: vec![file(arg, &meta, uri)],
            });
        } else {
            return Err(Error::NotFileOrDir { path: arg.clone() });
        }
    }
    Ok(out)
}

/// Refuses two files giving the same URI. Within one argument that cannot happen (the names in
/// a directory differ, and a walk does not follow symlinked directories): only several
/// arguments are checked.
fn check_unique_uris<R: Run>(args: &[Collected<'_, R>], uri_prefix: Option<&str>) -> Result<()> {
    if args.len() < 2 {
        return Ok(());
    }
    // The path of a file: its argument, or the argument joined with its relative path.
    let path_of = |c: &Collected<'_, R>, u: &str| match &c.dir_uri {
        Some(d) => c.arg.join(u.strip_prefix(d.as_str()).unwrap_or(u)),
        None => c.arg.to_path_buf(),
    };
    let mut seen: std::collections::HashMap<String, usize, foldhash::fast::RandomState> =
        Default::default();
    let mut twice = None;
    for (i, c) in args.iter().enumerate() {
        for run in &c.runs {
            run.each_uri(&mut |u| {
                if twice.is_none()
                    && let Some(first) = seen.insert(u.to_string(), i)
                {
                    twice = Some((first, i, u.to_string()));
                }
            });
        }
        if let Some((first, second, u)) = &twice {
            let (Some(a), Some(b)) = (args.get(*first), args.get(*second)) else {
                break;
            };
            return Err(Error::Invalid(format!(
                "{} and {} both give the URI {u:?}{}",
                path_of(a, u).display(),
                path_of(b, u).display(),
                if uri_prefix.is_some() {
                    ": with --uri-prefix, the names of every argument start at the prefix; hash each directory with a prefix of its own, or give their parent directory"
                } else {
                    ": give each file once"
                }
            )));
        }
    }
    Ok(())
}

/// What [`hash_files`] produced: all entries, or one shard of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hashed {
    /// The entries of every file, in order.
    All(EntryTable),
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
    if shard.is_none() && hasher.can_hash_at() {
        return hash_while_walking(paths, uri_prefix, hasher);
    }
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
    let hashed = hasher.hash_all(&to_hash);
    let mut checked = Vec::with_capacity(uris.len());
    for ((p, uri), r) in to_hash.into_iter().zip(uris).zip(hashed) {
        checked.push((uri, r.map_err(|source| Error::Hash { path: p, source })?));
    }
    let hashed = match (shard, tree) {
        (Some(shard), Some(tree)) => Hashed::Shard(crate::shard::ShardFile {
            shard,
            files: total,
            range,
            tree,
            format,
            entries: checked
                .into_iter()
                .map(|(uri, h)| (uri, hex_string(&h)))
                .collect(),
        }),
        _ => Hashed::All(checked.into_iter().collect()),
    };
    Ok((hashed, skipped))
}

/// A hash in lower-case hex, as `hex::encode` writes it (without going through `char`s: it adds
/// up over millions of entries).
fn hex_string(h: &[u8; 32]) -> String {
    let mut buf = [0u8; 64];
    match hex::encode_to_slice(h, &mut buf) {
        Ok(()) => String::from_utf8_lossy(&buf).into_owned(),
        Err(_) => hex::encode(h),
    }
}

/// A run of entries of a walk that hashes as it goes, with what the end of the walk needs: the
/// (device, inode) of its files, the bytes hashed, and its files not hashed yet or that failed
/// (index in the run, path, state), in order.
struct HashRun {
    entries: table::Run,
    ids: Vec<(u64, u64)>,
    bytes: u64,
    pending: Vec<(usize, PathBuf, Pending)>,
}

enum Pending {
    /// To hash after the walk, largest first (a large file, or a file argument), of this size.
    Later(u64),
    Failed(std::io::Error),
    Hashed,
}

impl Run for HashRun {
    type File = crate::hashing::AtFile;

    fn new(dir_uri: &str, capacity: usize) -> Self {
        HashRun {
            entries: table::Run::new(dir_uri, capacity),
            ids: Vec::with_capacity(capacity),
            bytes: 0,
            pending: Vec::new(),
        }
    }

    fn push(&mut self, dir: &Path, name: &str, file: crate::hashing::AtFile) {
        use crate::hashing::AtFile;
        match file {
            AtFile::Hashed { hash, size, id } => {
                self.entries.push(name, hash);
                self.ids.push(id);
                self.bytes += size;
            }
            AtFile::Large { size, id } => {
                let i = self.entries.push(name, [0; 32]);
                self.ids.push(id);
                self.pending.push((i, dir.join(name), Pending::Later(size)));
            }
            AtFile::Failed(e) => {
                let i = self.entries.push(name, [0; 32]);
                self.pending.push((i, dir.join(name), Pending::Failed(e)));
            }
            // The visitor leaves unreadable files out.
            AtFile::Unreadable => {}
        }
    }

    fn each_uri(&self, f: &mut dyn FnMut(&str)) {
        let mut uri = String::new();
        for e in self.entries.iter() {
            uri.clear();
            e.write_uri(&mut uri);
            f(&uri);
        }
    }
}

/// All the entries, every file hashed as the walk meets it (opened from its directory, looked
/// at once through the open file), large files after the walk, largest first: no pass over the
/// files before hashing them, one path component resolved per file. Without a cache only (a
/// cached file is looked up before it is opened) and without a shard (which needs the whole
/// walk before it knows its files). The same entries, skipped paths and errors as collecting
/// first and hashing next: an error of the walk or a URI given twice comes before an error of
/// hashing, and of those the first in walk order is reported.
fn hash_while_walking(
    paths: &[PathBuf],
    uri_prefix: Option<&str>,
    hasher: &mut crate::hashing::FileHasher,
) -> Result<(Hashed, Vec<Skipped>)> {
    use crate::hashing::AtFile;
    use std::os::unix::fs::MetadataExt;
    hasher.start_walk();
    let mut skipped = Vec::new();
    let args = (|| {
        let h = &*hasher;
        let visit = |dir: &std::fs::File, name: &str| match h.hash_at(dir, name) {
            AtFile::Unreadable => Visit::Unreadable,
            file => Visit::File(file),
        };
        let args = collect_with(
            paths,
            uri_prefix,
            &mut skipped,
            &visit,
            &mut |arg, meta, uri| {
                // A file argument: its URI whole, hashed after the walk.
                let mut entries = table::Run::new("", 1);
                let i = entries.push(&uri, [0; 32]);
                HashRun {
                    entries,
                    ids: vec![(meta.dev(), meta.ino())],
                    bytes: 0,
                    pending: vec![(i, arg.to_path_buf(), Pending::Later(meta.len()))],
                }
            },
        )?;
        check_unique_uris(&args, uri_prefix)?;
        Ok(args)
    })();
    let args = match args {
        Ok(args) => args,
        Err(e) => {
            hasher.end_walk();
            return Err(e);
        }
    };
    let mut runs: Vec<HashRun> = args.into_iter().flat_map(|c| c.runs).collect();
    let walked_bytes = runs.iter().map(|r| r.bytes).sum();
    let ids: Vec<Vec<(u64, u64)>> = runs
        .iter_mut()
        .map(|r| std::mem::take(&mut r.ids))
        .collect();
    let mut slots = Vec::new();
    let hashed_later = {
        let mut later = Vec::new();
        for (r, run) in runs.iter().enumerate() {
            for (k, (_, path, state)) in run.pending.iter().enumerate() {
                if let Pending::Later(size) = state {
                    later.push((path.as_path(), *size));
                    slots.push((r, k));
                }
            }
        }
        hasher.finish_walk(&later, walked_bytes, ids)
    };
    for ((r, k), result) in slots.into_iter().zip(hashed_later) {
        let Some(run) = runs.get_mut(r) else { continue };
        let Some((i, _, state)) = run.pending.get_mut(k) else {
            continue;
        };
        match result {
            Ok(h) => {
                if let Some(slot) = run.entries.hash_mut(*i) {
                    *slot = h;
                }
                *state = Pending::Hashed;
            }
            Err(e) => *state = Pending::Failed(e),
        }
    }
    for run in &mut runs {
        for (_, path, state) in &mut run.pending {
            if let Pending::Failed(e) = state {
                let source = std::mem::replace(e, std::io::Error::other("reported"));
                return Err(Error::Hash {
                    path: std::mem::take(path),
                    source,
                });
            }
        }
    }
    let table = EntryTable::from_runs(runs.into_iter().map(|r| r.entries).collect());
    Ok((Hashed::All(table), skipped))
}

/// Writes entries in a format, exactly as [`render`] renders them, without building a document
/// tree (for millions of entries).
pub fn render_to(
    entries: &[(String, String)],
    format: EntryFormat,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    render_source(entries, format, out)
}

impl EntryTable {
    /// Writes the entries in a format, exactly as [`render_to`] writes them as pairs.
    pub fn render_to(
        &self,
        format: EntryFormat,
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        render_source(self, format, out)
    }
}

/// Entries to render, visited in order as many times as a format needs.
trait Source {
    fn is_empty(&self) -> bool;
    /// Calls `f` with each entry's URI and hash (in hex), in order, until it returns
    /// `Ok(false)` or an error.
    fn each(&self, f: &mut dyn FnMut(&str, &str) -> std::io::Result<bool>) -> std::io::Result<()>;
}

impl Source for [(String, String)] {
    fn is_empty(&self) -> bool {
        <[_]>::is_empty(self)
    }

    fn each(&self, f: &mut dyn FnMut(&str, &str) -> std::io::Result<bool>) -> std::io::Result<()> {
        for (uri, sha) in self {
            if !f(uri, sha)? {
                break;
            }
        }
        Ok(())
    }
}

impl Source for EntryTable {
    fn is_empty(&self) -> bool {
        EntryTable::is_empty(self)
    }

    fn each(&self, f: &mut dyn FnMut(&str, &str) -> std::io::Result<bool>) -> std::io::Result<()> {
        let mut uri = String::new();
        let mut hex = [0u8; 64];
        for e in self.iter() {
            uri.clear();
            e.write_uri(&mut uri);
            hex::encode_to_slice(e.sha256(), &mut hex).map_err(std::io::Error::other)?;
            if !f(&uri, std::str::from_utf8(&hex).unwrap_or_default())? {
                break;
            }
        }
        Ok(())
    }
}

fn render_source<S: Source + ?Sized>(
    entries: &S,
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
            let mut inline = true;
            entries.each(&mut |u, s| {
                // A line longer than 100 code points even without escapes cannot fit.
                inline = u.chars().count() + s.chars().count() + 30 <= MAX_LINE_LENGTH && {
                    inline_item(&mut item, u, s);
                    fits(&item)
                };
                Ok(inline)
            })?;
            if inline {
                buf.push_str("[sgx]\ntrusted_files = [\n");
                entries.each(&mut |u, s| {
                    inline_item(&mut item, u, s);
                    buf.push_str(ARRAY_INDENT);
                    buf.push_str(&item);
                    buf.push_str(",\n");
                    flush(&mut buf, out, false).map(|()| true)
                })?;
                buf.push_str("]\n");
            } else {
                let mut first = true;
                entries.each(&mut |u, s| {
                    if !first {
                        buf.push('\n');
                    }
                    first = false;
                    buf.push_str("[[sgx.trusted_files]]\nuri = ");
                    toml::emit::write_string(&mut buf, u);
                    buf.push_str("\nsha256 = ");
                    toml::emit::write_string(&mut buf, s);
                    buf.push('\n');
                    flush(&mut buf, out, false).map(|()| true)
                })?;
            }
        }
        EntryFormat::Json => {
            buf.push('[');
            let mut first = true;
            entries.each(&mut |uri, sha| {
                buf.push_str(if first { "\n  " } else { ",\n  " });
                first = false;
                buf.push_str("{\"uri\":");
                buf.push_str(&serde_json::to_string(uri).unwrap_or_default());
                buf.push_str(",\"sha256\":");
                buf.push_str(&serde_json::to_string(sha).unwrap_or_default());
                buf.push('}');
                flush(&mut buf, out, false).map(|()| true)
            })?;
            buf.push_str(if entries.is_empty() { "]\n" } else { "\n]\n" });
        }
        EntryFormat::Sha256sum => {
            entries.each(&mut |uri, sha| {
                sha256sum_line(&mut buf, uri, sha);
                flush(&mut buf, out, false).map(|()| true)
            })?;
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

    /// Counts what a run reports: bytes found (its total) and bytes hashed.
    #[derive(Default)]
    struct Counted {
        found: std::sync::atomic::AtomicU64,
        done: std::sync::atomic::AtomicU64,
    }

    struct Counting(std::sync::Arc<Counted>);

    impl crate::hashing::Progress for Counting {
        fn start(&self, total_bytes: u64) {
            self.0
                .found
                .fetch_add(total_bytes, std::sync::atomic::Ordering::Relaxed);
        }
        fn advance(&self, bytes: u64) {
            self.0
                .done
                .fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
        }
        fn found(&self, bytes: u64) {
            self.0
                .found
                .fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
        }
        fn finish(&self) {}
    }

    /// Hashing while walking (no cache) gives what walking first and hashing next gives (the
    /// path taken with a cache): the same entries in the same order, the same paths left out,
    /// the same bytes hashed and files recorded as opened, and a progress total that ends equal
    /// to the bytes hashed. The tree has large files (hashed after the walk, largest first),
    /// files given as arguments, links, a FIFO and empty files.
    #[test]
    fn hashing_while_walking_is_walking_then_hashing() {
        use crate::hashing::FileHasher;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("tree");
        for sub in ["a", "b/c", "d"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        for i in 0..150 {
            let sub = ["a", "b", "b/c", "d"][i % 4];
            std::fs::write(
                root.join(sub).join(format!("f{i:03}")),
                vec![i as u8; i * 37],
            )
            .unwrap();
        }
        for (name, size) in [
            ("a/big1", (1 << 20) + 1),
            ("b/c/big2", 3 << 20),
            ("big0", 1 << 20),
        ] {
            std::fs::write(root.join(name), vec![7u8; size]).unwrap();
        }
        std::fs::write(root.join("b/empty"), b"").unwrap();
        std::os::unix::fs::symlink("nowhere", root.join("a/dangling")).unwrap();
        std::os::unix::fs::symlink(root.join("a"), root.join("b/linked-dir")).unwrap();
        std::os::unix::fs::symlink(root.join("a/f000"), root.join("d/linked-file")).unwrap();
        let fifo =
            std::ffi::CString::new(root.join("d/fifo").into_os_string().into_encoded_bytes())
                .unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only reads it.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let single = dir.path().join("single.bin");
        std::fs::write(&single, vec![1u8; 2 << 20]).unwrap();
        for (paths, prefix) in [
            (vec![root.clone()], Some("file:/data/")),
            (vec![root.clone()], None),
            (vec![root.join("b"), single.clone(), root.join("d")], None),
            (vec![single.clone()], Some("file:/data/")),
        ] {
            let counted = std::sync::Arc::new(Counted::default());
            let mut walking = FileHasher::new(None)
                .unwrap()
                .with_progress(Box::new(Counting(counted.clone())));
            let (got, got_skipped) =
                hash_files_reporting_skipped(&paths, prefix, &mut walking, None, EntryFormat::Toml)
                    .unwrap();
            // A cache: every file is looked up first, then hashed.
            let cache = dir.path().join("cache.jsonl");
            let _ = std::fs::remove_file(&cache);
            let mut first = FileHasher::new(Some(&cache)).unwrap();
            let (want, want_skipped) =
                hash_files_reporting_skipped(&paths, prefix, &mut first, None, EntryFormat::Toml)
                    .unwrap();
            assert_eq!(got, want, "{paths:?}");
            assert_eq!(got_skipped, want_skipped);
            assert_eq!(walking.bytes_hashed, first.bytes_hashed);
            assert_eq!(walking.opened_files(), first.opened_files());
            let done = counted.done.load(std::sync::atomic::Ordering::Relaxed);
            assert_eq!(done, walking.bytes_hashed);
            assert_eq!(
                counted.found.load(std::sync::atomic::Ordering::Relaxed),
                done
            );
        }
    }

    /// Two files giving one URI are named by their paths, whichever way the files are hashed.
    #[test]
    fn a_uri_given_twice_names_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        for d in [&a, &b] {
            std::fs::create_dir_all(d.join("sub")).unwrap();
            std::fs::write(d.join("sub/same"), b"x").unwrap();
        }
        let cache = dir.path().join("cache.jsonl");
        for (paths, prefix, first, second) in [
            (
                vec![a.clone(), b.clone()],
                Some("file:/d/"),
                a.join("sub/same"),
                b.join("sub/same"),
            ),
            (
                vec![a.clone(), a.clone()],
                None,
                a.join("sub/same"),
                a.join("sub/same"),
            ),
            (
                vec![a.clone(), a.join("sub/same")],
                None,
                a.join("sub/same"),
                a.join("sub/same"),
            ),
        ] {
            for cached in [None, Some(cache.as_path())] {
                let mut hasher = crate::hashing::FileHasher::new(cached).unwrap();
                let e = hash_files(&paths, prefix, &mut hasher, None, EntryFormat::Toml)
                    .unwrap_err()
                    .to_string();
                let want = format!("{} and {} both give", first.display(), second.display());
                assert!(e.contains(&want), "{e}");
            }
        }
    }

    proptest::proptest! {
        /// A table renders what its pairs render, and gives its pairs back.
        #[test]
        fn a_table_renders_as_its_pairs(
            entries in proptest::collection::vec(
                (proptest::prop_oneof![3 => "file:/[a-z]{0,8}", 1 => proptest::prelude::any::<String>(), 1 => "file:/[a-z]{60,90}"], proptest::prelude::any::<[u8; 32]>()),
                0..8,
            ),
        ) {
            let table: EntryTable = entries.iter().cloned().collect();
            let pairs: Vec<(String, String)> =
                entries.iter().map(|(u, h)| (u.clone(), hex::encode(h))).collect();
            proptest::prop_assert_eq!(&table.to_pairs(), &pairs);
            proptest::prop_assert_eq!(table.len(), pairs.len());
            for format in [EntryFormat::Toml, EntryFormat::Json, EntryFormat::Sha256sum] {
                let mut out = Vec::new();
                table.render_to(format, &mut out).unwrap();
                proptest::prop_assert_eq!(out, render(&pairs, format).into_bytes(), "{:?}", format);
            }
        }
    }
}
