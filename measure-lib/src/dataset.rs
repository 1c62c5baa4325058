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

/// A directory's walk: what the visitor made of its files, and the paths it left out, both in
/// walk order. The files come in runs (one per stretch of a directory's files between its
/// subdirectories), joined once at the end rather than copied up at every level.
struct Walked<T> {
    runs: Vec<Vec<T>>,
    skipped: Vec<Skipped>,
}

impl<T> Walked<T> {
    /// The files, in walk order.
    fn files(self) -> (Vec<T>, Vec<Skipped>) {
        let mut runs = self.runs;
        let files = if runs.len() == 1 {
            runs.pop().unwrap_or_default()
        } else {
            let mut all = Vec::with_capacity(runs.iter().map(Vec::len).sum());
            for run in runs {
                all.extend(run);
            }
            all
        };
        (files, self.skipped)
    }
}

/// A directory being walked: its path, and an open handle to look its entries up from (one
/// path component to resolve per file instead of the whole path: it adds up over millions).
pub(crate) struct WalkDir<'a> {
    /// The directory's path.
    pub path: &'a Path,
    /// The directory, open.
    pub handle: &'a std::fs::File,
}

/// What a walk's visitor made of a regular file (or a symbolic link to one).
enum Visit<T> {
    /// Listed: what the walk returns for it.
    File(T),
    /// Not readable (`os.access(path, os.R_OK)` is false): left out, as Gramine leaves it out.
    Unreadable,
}

/// Called for each regular file a walk meets, with its directory, name and URI.
type Visitor<'a, T> = dyn Fn(&WalkDir<'_>, &str, String) -> Visit<T> + Sync + 'a;

/// What one directory entry contributes to a walk.
enum Found<T> {
    File(T),
    Dir(Walked<T>),
    Skipped(Skipped),
}

/// A URI of a name in a directory whose entries' URIs start with `dir_uri`.
fn child_uri(dir_uri: &str, name: &str, slash: bool) -> String {
    let mut uri = String::with_capacity(dir_uri.len() + name.len() + usize::from(slash));
    uri.push_str(dir_uri);
    uri.push_str(name);
    if slash {
        uri.push('/');
    }
    uri
}

/// Files below `dir` in Gramine's directory expansion order (depth-first, names sorted,
/// symlinked directories not followed, unreadable and special files skipped), each given to
/// `visit` with its URI (`dir_uri` followed by its path relative to `dir`), and the paths left
/// out with the reason. Subdirectories are walked on every core and joined in order; an entry's
/// type comes from the listing (a symlink is looked up), so a regular file costs the walk no
/// system call: `visit` decides whether it is readable.
fn walk<T: Send>(dir: &Path, dir_uri: &str, visit: &Visitor<'_, T>) -> Result<Walked<T>> {
    use rayon::prelude::*;
    let children = sorted_children(dir)?;
    let handle = std::fs::File::open(dir).map_err(|source| Error::List {
        path: dir.to_path_buf(),
        source,
    })?;
    let here = WalkDir {
        path: dir,
        handle: &handle,
    };
    let found: Vec<Result<Found<T>>> = children
        .par_iter()
        .with_min_len(32)
        .map(|(name, kind)| {
            let link = kind.is_symlink();
            // A symlink is followed for its target's type; `None` when it leads nowhere.
            let (is_file, is_dir) = if kind.is_file() {
                (true, false)
            } else if kind.is_dir() {
                (false, true)
            } else if link {
                match std::fs::metadata(dir.join(name)) {
                    Ok(m) => (m.is_file(), m.is_dir()),
                    Err(_) => {
                        return Ok(Found::Skipped(Skipped {
                            path: dir.join(name),
                            reason: SkipReason::DanglingLink,
                        }));
                    }
                }
            } else {
                (false, false)
            };
            if is_dir && !link {
                return Ok(Found::Dir(walk(
                    &dir.join(name),
                    &child_uri(dir_uri, name, true),
                    visit,
                )?));
            }
            let reason = if is_file {
                match visit(&here, name, child_uri(dir_uri, name, false)) {
                    Visit::File(t) => return Ok(Found::File(t)),
                    Visit::Unreadable => SkipReason::Unreadable,
                }
            } else if is_dir {
                SkipReason::LinkedDirectory
            } else {
                SkipReason::SpecialFile
            };
            Ok(Found::Skipped(Skipped {
                path: dir.join(name),
                reason,
            }))
        })
        .collect();
    let mut out = Walked {
        runs: Vec::new(),
        skipped: Vec::new(),
    };
    // Each run is allocated once, at its length.
    let mut run_lengths = Vec::new();
    let mut len = 0;
    for f in &found {
        match f {
            Ok(Found::File(_)) => len += 1,
            Ok(Found::Dir(_)) if len > 0 => {
                run_lengths.push(len);
                len = 0;
            }
            _ => {}
        }
    }
    run_lengths.push(len);
    let mut run_lengths = run_lengths.into_iter();
    let mut run = Vec::new();
    for f in found {
        match f? {
            Found::File(t) => {
                if run.capacity() == 0 {
                    run.reserve_exact(run_lengths.next().unwrap_or(1));
                }
                run.push(t);
            }
            Found::Dir(mut sub) => {
                if !run.is_empty() {
                    out.runs.push(std::mem::take(&mut run));
                }
                out.runs.append(&mut sub.runs);
                out.skipped.append(&mut sub.skipped);
            }
            Found::Skipped(s) => out.skipped.push(s),
        }
    }
    if !run.is_empty() {
        out.runs.push(run);
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
    let mut skipped = Vec::new();
    let readable = |d: &WalkDir<'_>, name: &str, uri: String| {
        if crate::fsutil::readable_at(d.handle, name) {
            Visit::File((d.path.join(name), uri))
        } else {
            Visit::Unreadable
        }
    };
    let args = collect_with(
        paths,
        uri_prefix,
        &mut skipped,
        &readable,
        &mut |arg, _, uri| (arg.to_path_buf(), uri),
    )?;
    check_unique_uris(&args, uri_prefix, |(_, uri)| uri)?;
    Ok((flatten(args), skipped))
}

/// What one argument gave: the argument, the URI its files' URIs start with when it is a
/// directory, and its files.
struct Collected<'a, T> {
    arg: &'a Path,
    dir_uri: Option<String>,
    files: Vec<T>,
}

fn flatten<T>(args: Vec<Collected<'_, T>>) -> Vec<T> {
    let mut args = args;
    if args.len() == 1 {
        return args.pop().map(|c| c.files).unwrap_or_default();
    }
    let mut all = Vec::with_capacity(args.iter().map(|c| c.files.len()).sum());
    for c in args {
        all.extend(c.files);
    }
    all
}

/// The files of every argument, in order: each directory walked with `visit`, each file argument
/// given to `file` with its metadata and URI. The paths left out are added to `skipped`.
fn collect_with<'a, T: Send>(
    paths: &'a [PathBuf],
    uri_prefix: Option<&str>,
    skipped: &mut Vec<Skipped>,
    visit: &Visitor<'_, T>,
    file: &mut dyn FnMut(&Path, &std::fs::Metadata, String) -> T,
) -> Result<Vec<Collected<'a, T>>> {
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
            let (files, left_out) = walk(arg, &dir_uri, visit)?.files();
            skipped.extend(left_out);
            out.push(Collected {
                arg,
                dir_uri: Some(dir_uri),
                files,
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
                files: vec![file(arg, &meta, uri)],
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
fn check_unique_uris<T>(
    args: &[Collected<'_, T>],
    uri_prefix: Option<&str>,
    uri: impl Fn(&T) -> &str,
) -> Result<()> {
    if args.len() < 2 {
        return Ok(());
    }
    // The path of a file: its argument, or the argument joined with its relative path.
    let path_of = |c: &Collected<'_, T>, u: &str| match &c.dir_uri {
        Some(d) => c.arg.join(u.strip_prefix(d.as_str()).unwrap_or(u)),
        None => c.arg.to_path_buf(),
    };
    let mut seen: std::collections::HashMap<&str, usize, foldhash::fast::RandomState> =
        std::collections::HashMap::with_capacity_and_hasher(
            args.iter().map(|c| c.files.len()).sum(),
            Default::default(),
        );
    for (i, c) in args.iter().enumerate() {
        for t in &c.files {
            let u = uri(t);
            if let Some(first) = seen.insert(u, i) {
                return Err(Error::Invalid(format!(
                    "{} and {} both give the URI {u:?}{}",
                    path_of(&args[first], u).display(),
                    path_of(c, u).display(),
                    if uri_prefix.is_some() {
                        ": with --uri-prefix, the names of every argument start at the prefix; hash each directory with a prefix of its own, or give their parent directory"
                    } else {
                        ": give each file once"
                    }
                )));
            }
        }
    }
    Ok(())
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
    let mut entries = Vec::with_capacity(uris.len());
    let hashed = hasher.hash_all(&to_hash);
    for ((p, uri), r) in to_hash.into_iter().zip(uris).zip(hashed) {
        let h = r.map_err(|source| Error::Hash { path: p, source })?;
        entries.push((uri, hex_string(&h)));
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

/// A hash in lower-case hex, as `hex::encode` writes it (without going through `char`s: it adds
/// up over millions of entries).
fn hex_string(h: &[u8; 32]) -> String {
    let mut buf = [0u8; 64];
    match hex::encode_to_slice(h, &mut buf) {
        Ok(()) => String::from_utf8_lossy(&buf).into_owned(),
        Err(_) => hex::encode(h),
    }
}

/// A file met by a walk that hashes as it goes: its URI, its size and (device, inode) when it
/// was opened, and its hash or what stands for it until the end of the walk.
struct Met {
    uri: String,
    size: u64,
    id: Option<(u64, u64)>,
    state: MetState,
}

enum MetState {
    Hashed([u8; 32]),
    /// To hash after the walk, largest first: a large file, or a file argument.
    Later(PathBuf),
    Failed(PathBuf, std::io::Error),
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
    use rayon::prelude::*;
    use std::os::unix::fs::MetadataExt;
    hasher.start_walk();
    let mut skipped = Vec::new();
    let args = {
        let h = &*hasher;
        let visit = |d: &WalkDir<'_>, name: &str, uri: String| {
            let met = |size, id, state| {
                Visit::File(Met {
                    uri,
                    size,
                    id,
                    state,
                })
            };
            match h.hash_at(d.handle, name) {
                AtFile::Hashed { hash, size, id } => met(size, Some(id), MetState::Hashed(hash)),
                AtFile::Large { size, id } => {
                    met(size, Some(id), MetState::Later(d.path.join(name)))
                }
                AtFile::Unreadable => Visit::Unreadable,
                AtFile::Failed(e) => met(0, None, MetState::Failed(d.path.join(name), e)),
            }
        };
        collect_with(
            paths,
            uri_prefix,
            &mut skipped,
            &visit,
            &mut |arg, meta, uri| Met {
                uri,
                size: meta.len(),
                id: Some((meta.dev(), meta.ino())),
                state: MetState::Later(arg.to_path_buf()),
            },
        )?
    };
    check_unique_uris(&args, uri_prefix, |m: &Met| &m.uri)?;
    let mut files = flatten(args);
    let walked_bytes = files
        .iter()
        .filter(|m| matches!(m.state, MetState::Hashed(_)))
        .map(|m| m.size)
        .sum();
    let later: Vec<usize> = files
        .iter()
        .enumerate()
        .filter(|(_, m)| matches!(m.state, MetState::Later(_)))
        .map(|(i, _)| i)
        .collect();
    let hashed_later = {
        let jobs: Vec<(&Path, u64)> = later
            .iter()
            .filter_map(|&i| match files.get(i) {
                Some(Met {
                    size,
                    state: MetState::Later(p),
                    ..
                }) => Some((p.as_path(), *size)),
                _ => None,
            })
            .collect();
        hasher.finish_walk(&jobs, walked_bytes, files.iter().filter_map(|m| m.id))
    };
    for (i, r) in later.into_iter().zip(hashed_later) {
        if let Some(m) = files.get_mut(i) {
            let state = std::mem::replace(&mut m.state, MetState::Hashed([0; 32]));
            m.state = match (state, r) {
                (MetState::Later(_), Ok(h)) => MetState::Hashed(h),
                (MetState::Later(p), Err(e)) => MetState::Failed(p, e),
                (other, _) => other,
            };
        }
    }
    let failed = files.iter_mut().find_map(|m| match &mut m.state {
        MetState::Failed(p, e) => Some((
            std::mem::take(p),
            std::mem::replace(e, std::io::Error::other("reported")),
        )),
        _ => None,
    });
    if let Some((path, source)) = failed {
        return Err(Error::Hash { path, source });
    }
    let entries = files
        .into_par_iter()
        .with_min_len(4096)
        .map(|m| {
            let sha = match m.state {
                MetState::Hashed(h) => hex_string(&h),
                _ => String::new(),
            };
            (m.uri, sha)
        })
        .collect();
    Ok((Hashed::All(entries), skipped))
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
}
