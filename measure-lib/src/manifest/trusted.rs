//! `sgx.trusted_files` expansion, as `Manifest.expand_all_trusted_files` does it in each Gramine
//! version: directory URIs expanded, duplicates resolved, missing hashes computed.
//!
//! Two rule sets exist:
//! - v1.4 and v1.5 key entries by the normalised path (`file:./a` and `file:a` are the same file),
//!   keep the first entry for a path, expand a directory with `sorted(path.rglob('*'))` (sorted by
//!   path components), and write every URI normalised;
//! - v1.6 and later key entries by the URI string exactly as written, expand directories
//!   depth-first (`sorted(glob('*'))` per directory, symlinked directories skipped), let a hashed
//!   entry replace an earlier unhashed one at its position, refuse two different hashes for one URI,
//!   and support `--chroot`.
//!
//! Precomputed hashes are copied exactly as given (any TOML value), never re-hashed or normalised.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;

fn unknown_format(item: &Value) -> Error {
    ManifestError::UnknownTrustedFileFormat {
        entry: pypath::repr(item),
    }
    .into()
}

/// Maps keyed by URI or path: seeded per process (no crafted collisions), faster than SipHash.
type UriMap<V> = IndexMap<String, V, foldhash::fast::RandomState>;
use measure_core::profile::GramineVersion;
use measure_core::rules::{Expansion, MissingFile};
use rayon::prelude::*;

use super::{ManifestError, chroot, pypath};
use crate::error::{Error, Result};
use crate::hashing::{FileHasher, FileKey, RecordedAt};
use crate::toml::{Table, Value};

/// One trusted file while expanding.
#[derive(Debug)]
struct Tf {
    uri: String,
    sha256: Option<Value>,
    /// Where the file is read on this machine.
    realpath: PathBuf,
    /// With `--chroot`: the resolved path inside the chroot.
    inner: Option<String>,
    /// The input entry's allocations (see [`Shell`]).
    shell: Option<Box<Shell>>,
    /// What a walk that hashes as it goes made of the file ([`Walk`]).
    walked: Option<WalkedHash>,
}

/// A file of a walked directory as the walk left it ([`FileHasher::hash_at_each`], or its cache
/// key with a cache): the hash is only used if the file's entry in the final list has no
/// hash of its own, and an error only reported then, as Gramine hashes only those files.
#[derive(Debug)]
enum WalkedHash {
    Hashed {
        hash: [u8; 32],
        id: (u64, u64),
    },
    /// With a hash cache: the file's cache key, looked up from its directory (`None` if it
    /// could not be), to look it up in the cache after the walk.
    Keyed(Option<FileKey>),
    /// Left for after the walk, with the other large files, largest first.
    Large {
        size: u64,
        id: (u64, u64),
    },
    Failed(std::io::Error),
}

/// How directories are walked outside a chroot: each listed from its open handle, its entries
/// looked up by name from it (one path component to resolve instead of the whole path), its
/// subdirectories walked on every core, and, without a hash cache, each file hashed as the walk
/// meets it (opened from the directory, its type and size read from the open file: no `stat`
/// of its path before, no second lookup to open it).
struct Walk<'a> {
    /// The hasher whose [`FileHasher::hash_at_each`] hashes files as they are met; `None` with
    /// a cache (a file is looked up in it before it is opened: the walk reads each file's cache
    /// key instead, [`WalkedHash::Keyed`]).
    hasher: Option<&'a FileHasher>,
    /// Bytes the walk hashed.
    bytes: std::sync::atomic::AtomicU64,
    /// When the walk began, before it looked any file up: with a cache, the moment the new
    /// entries are recorded.
    began: RecordedAt,
}

/// What one entry of a walked directory gives.
enum Child {
    Nothing,
    File(Tf),
    Dir(Vec<Tf>),
}

/// The error for a directory that cannot be listed.
fn list_error(path: &Path, source: std::io::Error) -> Error {
    ManifestError::ListDirectory {
        path: path.to_path_buf(),
        source,
    }
    .into()
}

/// The listing of the open directory `handle` (at `path`), its failure reported as a trusted
/// directory's.
fn list_open(handle: &std::fs::File, path: &Path) -> Result<crate::dataset::walk::Listing> {
    crate::dataset::walk::list(handle, path).map_err(|e| match e {
        Error::List { path, source } => list_error(&path, source),
        other => other,
    })
}

pub(super) fn uri2path(uri: &Value) -> Result<String> {
    let Some(s) = uri.as_str() else {
        return Err(ManifestError::UriNotString {
            found: uri.type_name(),
            shown: pypath::repr(uri),
        }
        .into());
    };
    match s.strip_prefix("file:") {
        Some(p) => Ok(p.to_string()),
        None => Err(ManifestError::UnsupportedUri { uri: s.into() }.into()),
    }
}

pub(super) fn is_dir(p: &Path) -> bool {
    std::fs::metadata(p).map(|m| m.is_dir()).unwrap_or(false)
}

pub(super) fn is_file(p: &Path) -> bool {
    std::fs::metadata(p).map(|m| m.is_file()).unwrap_or(false)
}

fn is_symlink(p: &Path) -> bool {
    std::fs::symlink_metadata(p)
        .map(|m| m.file_type().is_symlink())
        .unwrap_or(false)
}

/// `os.access(path, os.R_OK)`.
pub(super) fn readable(p: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(p.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call.
    unsafe { libc::access(c.as_ptr(), libc::R_OK) == 0 }
}

/// Directory entries' names, sorted as Python sorts strings (by code point).
fn sorted_names(dir: &Path) -> Result<Vec<String>> {
    Ok(sorted_entries(dir)?.into_iter().map(|(n, _)| n).collect())
}

/// Directory entries' names and types (of the entries themselves, as `lstat` gives them; from
/// the directory listing where the file system records them), sorted as [`sorted_names`].
fn sorted_entries(dir: &Path) -> Result<Vec<(String, std::fs::FileType)>> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        // pathlib's glob silently yields nothing for a directory it may not list.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => return Ok(Vec::new()),
        Err(source) => {
            return Err(ManifestError::ListDirectory {
                path: dir.to_path_buf(),
                source,
            }
            .into());
        }
    };
    let mut names = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|source| ManifestError::ListDirectory {
            path: dir.to_path_buf(),
            source,
        })?;
        let kind = entry
            .file_type()
            .map_err(|source| ManifestError::ListDirectory {
                path: dir.to_path_buf(),
                source,
            })?;
        match entry.file_name().into_string() {
            Ok(n) => names.push((n, kind)),
            Err(name) => {
                return Err(ManifestError::FileNameNotUtf8 {
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

impl Tf {
    /// `TrustedFile(uri, sha256, chroot=...)`.
    fn new(uri: String, sha256: Option<Value>, chroot_dir: Option<&Path>) -> Result<Tf> {
        let Some(raw) = uri.strip_prefix("file:") else {
            return Err(ManifestError::UnsupportedUri { uri }.into());
        };
        let path = pypath::normalize(raw);
        let (realpath, inner) = match chroot_dir {
            None => (PathBuf::from(&path), None),
            Some(c) => {
                let inner = chroot::resolve(&path, c)?;
                (chroot::outer(c, &inner), Some(inner))
            }
        };
        Ok(Tf {
            uri,
            sha256,
            realpath,
            inner,
            shell: None,
            walked: None,
        })
    }

    /// `TrustedFile.from_realpath(child)` for a directory entry `name` of this directory, known
    /// to be a directory or not.
    /// `base` is this directory's normalized path outside a chroot.
    fn child_known(
        &self,
        name: &str,
        base: &str,
        chroot_dir: Option<&Path>,
        is_dir: bool,
    ) -> Result<Tf> {
        let path = match &self.inner {
            Some(inner) => pypath::join(inner, name),
            None => pypath::join(base, name),
        };
        listed_tf(path, is_dir, chroot_dir)
    }

    /// `TrustedFile.expand_directory(recursive=True, skip_inaccessible=True)`, with
    /// `is_dir(realpath)` given when already known (stat calls of long lists are made in parallel
    /// beforehand; a directory listing tells the type of each entry).
    fn expand_known(
        self,
        chroot_dir: Option<&Path>,
        known_dir: Option<bool>,
        walk: &Walk<'_>,
        out: &mut Vec<Tf>,
    ) -> Result<()> {
        if self.uri.ends_with('/') {
            // Known to be a directory only when a listing said so.
            if known_dir != Some(true) && !is_dir(&self.realpath) {
                return Err(ManifestError::SlashUriNotDirectory {
                    uri: pypath::repr_str(&self.uri),
                }
                .into());
            }
            if self.sha256.is_some() {
                return Err(ManifestError::DirectoryWithHash {
                    uri: pypath::repr_str(&self.uri),
                }
                .into());
            }
            if chroot_dir.is_none() {
                let handle = match crate::dataset::walk::open_directory(&self.realpath) {
                    Ok(h) => h,
                    // pathlib's glob silently yields nothing for a directory it may not list.
                    Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => return Ok(()),
                    Err(source) => return Err(list_error(&self.realpath, source)),
                };
                out.append(&mut walk_directory(&self.realpath, &handle, walk)?);
                return Ok(());
            }
            let entries = sorted_entries(&self.realpath)?;
            // Looked up from the open directory (see `fsutil::readable_at`).
            let handle = std::fs::File::open(&self.realpath).ok();
            let base = match &self.inner {
                Some(_) => String::new(),
                None => pypath::normalize(self.realpath.to_str().unwrap_or_default()),
            };
            for (name, kind) in entries {
                let outer = self.realpath.join(&name);
                // `isfile` and `isdir` follow symlinks: the directory entry's own type answers
                // for anything but a symlink (no system call), a symlink is looked up.
                let (file, dir) = if kind.is_file() {
                    (true, false)
                } else if kind.is_dir() {
                    (false, true)
                } else if kind.is_symlink() {
                    (is_file(&outer), is_dir(&outer))
                } else {
                    (false, false)
                };
                if !file && !dir {
                    continue;
                }
                let is_readable = match &handle {
                    Some(h) => crate::fsutil::readable_at(h, &name),
                    None => readable(&outer),
                };
                if !is_readable {
                    continue;
                }
                let child = self.child_known(&name, &base, chroot_dir, dir)?;
                if kind.is_symlink() && dir {
                    // Symlinked directories are not descended into.
                    continue;
                }
                // Outside a chroot the child is read where it was listed: its type is known.
                let known = chroot_dir.is_none().then_some(dir);
                child.expand_known(chroot_dir, known, walk, out)?;
            }
        } else {
            if known_dir.unwrap_or_else(|| is_dir(&self.realpath)) {
                return Err(ManifestError::DirectoryUriWithoutSlash {
                    uri: pypath::repr_str(&self.uri),
                }
                .into());
            }
            out.push(self);
        }
        Ok(())
    }
}

/// `TrustedFile.from_realpath(child)` for the entry `name` of a directory whose normalized path
/// is `base`, outside a chroot.
fn walked_child(base: &str, name: &str, is_dir: bool) -> Result<Tf> {
    listed_tf(pypath::join(base, name), is_dir, None)
}

/// `TrustedFile.from_realpath` of `path`, a listed entry's path joined to its directory's.
fn listed_tf(path: String, is_dir: bool, chroot_dir: Option<&Path>) -> Result<Tf> {
    let slash = if is_dir { "/" } else { "" };
    let uri = format!("file:{path}{slash}");
    if chroot_dir.is_none() && pypath::is_normal(&path) {
        // What `Tf::new` computes (a listed name is one component, neither `.` nor `..`: the
        // joined path is normalized already), without normalizing it again.
        return Ok(Tf {
            uri,
            sha256: None,
            realpath: PathBuf::from(path),
            inner: None,
            shell: None,
            walked: None,
        });
    }
    Tf::new(uri, None, chroot_dir)
}

/// `TrustedFile.expand_directory(recursive=True, skip_inaccessible=True)` of the directory
/// `path`, open as `handle`, outside a chroot (see [`Walk`]): its files in Gramine's order
/// (entries sorted by name, depth first), symlinked directories, special files and unreadable
/// entries left out. Errors are the first in that order, as Gramine meets them.
fn walk_directory(path: &Path, handle: &std::fs::File, walk: &Walk<'_>) -> Result<Vec<Tf>> {
    use crate::dataset::walk::Kind;
    use crate::hashing::AtFile;
    let listing = list_open(handle, path)?;
    let base = pypath::normalize(path.to_str().unwrap_or_default());
    // What an entry is to the expansion: a file, nothing, or a directory walked.
    enum Class {
        File,
        Nothing,
        /// Boxed: a directory is rare next to its files.
        Dir(Box<Result<Child>>),
    }
    let classify = |(range, kind): &(std::ops::Range<usize>, Kind)| -> Class {
        let name = listing.name(range);
        // `isfile` and `isdir` follow symlinks: the listing's type answers for anything but a
        // symlink (no system call), a symlink is looked up.
        let (file, dir) = match kind {
            Kind::File => (true, false),
            Kind::Dir => (false, true),
            Kind::Symlink => {
                let outer = path.join(name);
                (is_file(&outer), is_dir(&outer))
            }
            Kind::Other => (false, false),
        };
        if !dir {
            return if file { Class::File } else { Class::Nothing };
        }
        // Symlinked directories are not descended into; unreadable ones are left out.
        if *kind == Kind::Symlink || !crate::fsutil::readable_at(handle, name) {
            return Class::Nothing;
        }
        Class::Dir(Box::new((|| {
            let child = walked_child(&base, name, true)?;
            let sub = match crate::dataset::walk::open_subdirectory(handle, name) {
                Ok(sub) => sub,
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                    return Ok(Child::Nothing);
                }
                Err(source) => return Err(list_error(&child.realpath, source)),
            };
            Ok(Child::Dir(walk_directory(&child.realpath, &sub, walk)?))
        })()))
    };
    // A few neighbouring entries at a time: their files are hashed together (see
    // `FileHasher::hash_at_each`).
    let entries = |chunk: &[(std::ops::Range<usize>, Kind)]| -> Vec<Result<Child>> {
        let classes: Vec<Class> = chunk.iter().map(classify).collect();
        let names: Vec<&str> = chunk
            .iter()
            .zip(&classes)
            .filter(|(_, c)| matches!(c, Class::File))
            .map(|((range, _), _)| listing.name(range))
            .collect();
        let mut hashed = match walk.hasher {
            Some(hasher) => hasher.hash_at_each(handle, &names),
            None => Vec::new(),
        }
        .into_iter();
        let mut names = names.into_iter();
        let mut file = || -> Result<Child> {
            let name = names.next().unwrap_or_default();
            let walked = match walk.hasher {
                Some(_) => match hashed.next() {
                    Some(AtFile::Unreadable) | None => return Ok(Child::Nothing),
                    Some(AtFile::Hashed { hash, size, id }) => {
                        walk.bytes
                            .fetch_add(size, std::sync::atomic::Ordering::Relaxed);
                        Some(WalkedHash::Hashed { hash, id })
                    }
                    Some(AtFile::Large { size, id }) => Some(WalkedHash::Large { size, id }),
                    Some(AtFile::Failed(e)) => Some(WalkedHash::Failed(e)),
                },
                None if !crate::fsutil::readable_at(handle, name) => return Ok(Child::Nothing),
                None => Some(WalkedHash::Keyed(FileKey::at(handle, name))),
            };
            Ok(Child::File(Tf {
                walked,
                ..walked_child(&base, name, false)?
            }))
        };
        classes
            .into_iter()
            .map(|class| match class {
                Class::File => file(),
                Class::Nothing => Ok(Child::Nothing),
                Class::Dir(dir) => *dir,
            })
            .collect()
    };
    let children: Vec<Result<Child>> = listing
        .entries
        .par_chunks(crate::hashing::LANES)
        .with_min_len(8)
        .flat_map_iter(entries)
        .collect();
    let mut out = Vec::with_capacity(children.len());
    for child in children {
        match child? {
            Child::Nothing => {}
            Child::File(tf) => out.push(tf),
            Child::Dir(mut tfs) => out.append(&mut tfs),
        }
    }
    Ok(out)
}

/// The error for a trusted file that could not be hashed, as the version reports it.
pub(super) fn hash_error(version: GramineVersion, path: &Path, e: std::io::Error) -> Error {
    if e.kind() != std::io::ErrorKind::NotFound {
        return ManifestError::HashTrustedFile {
            path: path.to_path_buf(),
            source: e,
        }
        .into();
    }
    let path = pypath::repr_str(&path.to_string_lossy());
    match version.rules().trusted_files.missing {
        MissingFile::MissingTrustedFile => ManifestError::MissingTrustedFile { path },
        MissingFile::NoSuchFile => ManifestError::NoSuchFile { path, errno: false },
        MissingFile::FileNotFoundError => ManifestError::python(
            "FileNotFoundError",
            ManifestError::NoSuchFile { path, errno: true },
        ),
    }
    .into()
}

/// The hashes of `files`, reporting the first failure in list order the way the given Gramine
/// version does.
fn hash_in_order(
    files: &[PathBuf],
    version: GramineVersion,
    hasher: &mut FileHasher,
) -> Result<Vec<String>> {
    let mut out = Vec::with_capacity(files.len());
    for (path, r) in files.iter().zip(hasher.hash_all(files)) {
        match r {
            Ok(h) => out.push(hex::encode(h)),
            Err(e) => return Err(hash_error(version, path, e)),
        }
    }
    Ok(out)
}

/// A list entry `{uri, sha256}` as Gramine writes it back, in the allocations of an input
/// entry when there is one.
fn entry(uri: String, sha256: Value, shell: Option<Box<Shell>>) -> Value {
    let (mut table, uri_key, sha256_key) = match shell.map(|s| *s) {
        Some(Shell::Reuse(mut table)) => {
            let mut set = |i, v| {
                if let Some((_, slot)) = table.get_index_mut(i) {
                    *slot = v;
                }
            };
            set(0, Value::String(uri));
            set(1, sha256);
            return Value::Table(table);
        }
        Some(Shell::Refill {
            table,
            uri_key,
            sha256_key,
        }) => (table, uri_key, sha256_key),
        None => (
            Table::with_capacity(2),
            "uri".to_string(),
            "sha256".to_string(),
        ),
    };
    table.clear();
    table.insert_new(uri_key, Value::String(uri));
    table.insert_new(sha256_key, sha256);
    Value::Table(table)
}

/// What the expansion produced besides the new list.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Files the result depends on, in order (for `--depfile`).
    pub deps: Vec<PathBuf>,
    /// For each entry of the final list: whether its hash was computed here (the input gave
    /// none), as opposed to copied from the manifest.
    pub hashed_here: Vec<bool>,
}

/// Expands `sgx.trusted_files` in place (the version's `Expansion::ByPath` or `ByUri`) (the list must already hold tables with a `uri`, as
/// [`super::apply_defaults`] leaves it).
pub fn expand(
    manifest: &mut Table,
    version: GramineVersion,
    chroot_dir: Option<&Path>,
    hasher: &mut FileHasher,
) -> Result<Outcome> {
    let Some(Value::Table(sgx)) = manifest.get_mut("sgx") else {
        return Err(ManifestError::NoSgxTable.into());
    };
    let Some(Value::Array(list)) = sgx.get_mut("trusted_files") else {
        return Err(ManifestError::TrustedFilesNotList.into());
    };
    let items = std::mem::take(list);
    let rules = version.rules();
    if chroot_dir.is_some() && !rules.trusted_files.chroot {
        return Err(ManifestError::ChrootUnsupported { version }.into());
    }
    let (new_list, outcome) = match rules.trusted_files.expansion {
        Expansion::ByUri => expand_by_uri(items, version, chroot_dir, hasher)?,
        Expansion::ByPath => expand_by_path(items, version, hasher)?,
        Expansion::InOrder { .. } => {
            return Err(Error::Internal(format!(
                "Gramine {version} expands trusted files in order (see manifest::legacy)"
            )));
        }
    };
    let Some(Value::Table(sgx)) = manifest.get_mut("sgx") else {
        return Err(ManifestError::NoSgxTable.into());
    };
    sgx.insert("trusted_files", Value::Array(new_list));
    Ok(outcome)
}

/// Lists at least this long are prepared on every core (the thread pool costs more than it saves
/// on short ones).
const PARALLEL_MIN_ITEMS: usize = 2048;

/// One list item as `TrustedFile.from_manifest` reads it, prepared independently of the others.
struct Prepared {
    uri: String,
    sha256: Option<Value>,
    /// The normalized path of a file URI (not ending in `/`), outside a chroot.
    path: Option<String>,
    /// The item's table, emptied, to be refilled with the output entry.
    shell: Option<Box<Shell>>,
}

/// The allocations of an input entry `{uri, sha256}`, reused for the output entry: a list of
/// tens of thousands of precomputed hashes then allocates nothing per entry.
#[derive(Debug)]
enum Shell {
    /// A table `{uri, sha256}` (in this order) whose two values are to be set.
    Reuse(Table),
    /// An emptied table and its two keys, to be inserted again.
    Refill {
        table: Table,
        uri_key: String,
        sha256_key: String,
    },
}

/// `TrustedFile.from_manifest`: `uri` and `sha256` popped (a missing `uri` is an empty string),
/// nothing else may be left, and the URI must be a `file:` string.
fn prepare(item: Value, outside_chroot: bool) -> Result<Prepared> {
    let Value::Table(mut table) = item else {
        return Err(unknown_format(&item));
    };
    // The common entry `{uri, sha256}` in that order: its values are taken out and the table is
    // kept, keys and all, for the output entry (no hashing, no allocation).
    if table.len() == 2 && table.key_at(0) == Some("uri") && table.key_at(1) == Some("sha256") {
        let mut take = |i| {
            table
                .get_index_mut(i)
                .map(|(_, v)| std::mem::replace(v, Value::Boolean(false)))
        };
        let (uri, sha256) = (take(0), take(1));
        return finish_prepare(uri, sha256, outside_chroot, Some(Shell::Reuse(table)));
    }
    let (uri_key, uri) = table.remove_entry("uri").unzip();
    let (sha256_key, sha256) = table.remove_entry("sha256").unzip();
    if !table.is_empty() {
        return Err(ManifestError::LeftoverItems {
            items: pypath::repr_table(&table),
        }
        .into());
    }
    let shell = match (uri_key, sha256_key) {
        (Some(uri_key), Some(sha256_key)) => Some(Shell::Refill {
            table,
            uri_key,
            sha256_key,
        }),
        _ => None,
    };
    finish_prepare(uri, sha256, outside_chroot, shell)
}

fn finish_prepare(
    uri: Option<Value>,
    sha256: Option<Value>,
    outside_chroot: bool,
    shell: Option<Shell>,
) -> Result<Prepared> {
    let uri = match uri.unwrap_or(Value::String(String::new())) {
        Value::String(s) if s.starts_with("file:") => s,
        other => {
            uri2path(&other)?;
            // Unreachable: `uri2path` refuses every value that gets here.
            return Err(ManifestError::UnsupportedUri {
                uri: pypath::repr(&other),
            }
            .into());
        }
    };
    let path = uri
        .strip_prefix("file:")
        .filter(|_| outside_chroot && !uri.ends_with('/'))
        .map(pypath::normalize);
    Ok(Prepared {
        uri,
        sha256,
        path,
        shell: shell.map(Box::new),
    })
}

/// The parent of a normalized path, as far as the "parent is not a directory" shortcut needs:
/// any ancestor will do.
fn parent_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(i) => path.get(..i).unwrap_or_default(),
        None => "",
    }
}

/// Whether each prepared file path names a directory on this machine. Entries hashed elsewhere
/// usually name paths whose parent does not exist here: one stat of each distinct parent
/// answers for all of them; the other paths are asked on every core.
fn directories(prepared: &[Result<Prepared>]) -> Vec<bool> {
    let path = |i: usize| {
        prepared
            .get(i)
            .and_then(|p| p.as_ref().ok())
            .and_then(|p| p.path.as_deref())
    };
    let mut parent_is_dir: std::collections::HashMap<&str, bool, foldhash::fast::RandomState> =
        Default::default();
    let mut needs_stat = Vec::new();
    for i in 0..prepared.len() {
        let Some(p) = path(i) else { continue };
        let parent = parent_of(p);
        let parent_dir = *parent_is_dir
            .entry(parent)
            .or_insert_with(|| parent.is_empty() || is_dir(Path::new(parent)));
        if parent_dir {
            needs_stat.push(i);
        }
    }
    let stat = |&i: &usize| path(i).is_some_and(|p| is_dir(Path::new(p)));
    let stat_says: Vec<bool> = if needs_stat.len() < 64 {
        needs_stat.iter().map(stat).collect()
    } else {
        needs_stat.par_iter().map(stat).collect()
    };
    let mut is_dir_at = vec![false; prepared.len()];
    for (&i, &d) in needs_stat.iter().zip(&stat_says) {
        if let Some(slot) = is_dir_at.get_mut(i) {
            *slot = d;
        }
    }
    is_dir_at
}

/// What one item of the list gives: itself (a file), or the files of a directory.
enum Step {
    File(Tf),
    Expanded(Vec<Tf>),
}

/// Adds a file to the expanded list, as Gramine v1.6+ does: a new URI is appended; a URI whose
/// earlier entry had no hash is replaced in place; an unhashed duplicate is dropped; a second hash
/// for the same URI must be equal (compared as values, so different letter case is a conflict).
fn add_file(files: &mut UriMap<Tf>, mut tf: Tf) -> Result<()> {
    match files.entry(std::mem::take(&mut tf.uri)) {
        indexmap::map::Entry::Vacant(slot) => {
            slot.insert(tf);
        }
        indexmap::map::Entry::Occupied(mut slot) => match (&slot.get().sha256, &tf.sha256) {
            (Some(old_sha), Some(new_sha)) if new_sha != old_sha => {
                return Err(ManifestError::ConflictingHashes {
                    uri: pypath::repr_str(slot.key()),
                    first: old_sha.python_str(),
                    second: new_sha.python_str(),
                }
                .into());
            }
            (Some(_), _) => {}
            (None, _) => {
                slot.insert(tf);
            }
        },
    }
    Ok(())
}

fn expand_by_uri(
    items: Vec<Value>,
    version: GramineVersion,
    chroot_dir: Option<&Path>,
    hasher: &mut FileHasher,
) -> Result<(Vec<Value>, Outcome)> {
    let outside_chroot = chroot_dir.is_none();
    // Every item is read independently (on every core for long lists); errors are reported in
    // list order below, as Gramine meets them.
    let prepared: Vec<Result<Prepared>> = if items.len() >= PARALLEL_MIN_ITEMS {
        items
            .into_par_iter()
            .map(|item| prepare(item, outside_chroot))
            .collect()
    } else {
        items
            .into_iter()
            .map(|item| prepare(item, outside_chroot))
            .collect()
    };
    let is_dir_at = directories(&prepared);
    let walk = Walk {
        hasher: (chroot_dir.is_none() && hasher.can_hash_at()).then_some(&*hasher),
        bytes: std::sync::atomic::AtomicU64::new(0),
        began: RecordedAt::now(),
    };
    if walk.hasher.is_some() {
        hasher.start_walk();
    }
    let expanded = expand_items(prepared, is_dir_at, chroot_dir, &walk);
    let walked_bytes = walk.bytes.into_inner();
    let began = walk.began;
    let hashed_as_walked = walk.hasher.is_some();
    let mut files = match expanded {
        Ok(files) => files,
        Err(e) => {
            if hashed_as_walked {
                hasher.end_walk();
            }
            return Err(e);
        }
    };
    let hashed_here = files.iter().map(|(_, tf)| tf.sha256.is_none()).collect();
    let hashes = if hashed_as_walked {
        hash_walked(&mut files, walked_bytes, hasher)
    } else {
        // Files the walk looked up come first, with their keys; the others (listed by name)
        // are looked up by `hash_all_keyed`.
        let mut pending: Vec<(usize, &Tf)> = files
            .iter()
            .filter(|(_, tf)| tf.sha256.is_none())
            .map(|(_, tf)| tf)
            .enumerate()
            .collect();
        let key_of = |tf: &Tf| match &tf.walked {
            Some(WalkedHash::Keyed(key)) => Some(*key),
            _ => None,
        };
        pending.sort_by_key(|(_, tf)| key_of(tf).is_none());
        let keys: Vec<Option<FileKey>> = pending.iter().map_while(|(_, tf)| key_of(tf)).collect();
        let paths: Vec<PathBuf> = pending.iter().map(|(_, tf)| tf.realpath.clone()).collect();
        let hashed = hasher.hash_all_keyed(&paths, &keys, began);
        let mut in_order: Vec<Option<std::io::Result<[u8; 32]>>> = Vec::new();
        in_order.resize_with(pending.len(), || None);
        for ((k, _), r) in pending.iter().zip(hashed) {
            if let Some(slot) = in_order.get_mut(*k) {
                *slot = Some(r);
            }
        }
        in_order
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(std::io::Error::other("not hashed"))))
            .collect()
    };
    // The first failure in list order is the one Gramine reports.
    let mut hashes = hashes.into_iter();
    for (_, tf) in files.iter_mut().filter(|(_, tf)| tf.sha256.is_none()) {
        match hashes.next() {
            Some(Ok(h)) => tf.sha256 = Some(Value::String(hex::encode(h))),
            Some(Err(e)) => return Err(hash_error(version, &tf.realpath, e)),
            None => return Err(Error::Internal("a trusted file was not hashed".into())),
        }
    }
    let to_entry = |(uri, tf): (String, Tf)| {
        let sha = tf.sha256.unwrap_or(Value::String(String::new()));
        (entry(uri, sha, tf.shell), tf.realpath)
    };
    let (list, deps) = if files.len() >= PARALLEL_MIN_ITEMS {
        files.into_par_iter().map(to_entry).unzip()
    } else {
        files.into_iter().map(to_entry).unzip()
    };
    let out = Outcome { deps, hashed_here };
    Ok((list, out))
}

/// The files of the prepared list items (each item expanded on its own, directories walked on
/// every core), added in list order, where errors are reported in list order, as Gramine meets
/// them: URI -> file, the URI in the key (`Tf::uri` left empty).
fn expand_items(
    prepared: Vec<Result<Prepared>>,
    is_dir_at: Vec<bool>,
    chroot_dir: Option<&Path>,
    walk: &Walk<'_>,
) -> Result<Vec<(String, Tf)>> {
    let step = |(item, is_dir): (Result<Prepared>, bool)| -> Result<Step> {
        let Prepared {
            uri,
            sha256,
            path,
            shell,
        } = item?;
        let tf = match path {
            // What `Tf::new` would compute, already known.
            Some(path) => Tf {
                uri,
                sha256,
                realpath: PathBuf::from(path),
                inner: None,
                shell,
                walked: None,
            },
            None => Tf {
                shell,
                ..Tf::new(uri, sha256, chroot_dir)?
            },
        };
        if tf.inner.is_none() && !is_dir && !tf.uri.ends_with('/') {
            // A file (the common case): nothing to expand.
            return Ok(Step::File(tf));
        }
        let known = (tf.inner.is_none()).then_some(is_dir);
        let mut expanded = Vec::new();
        tf.expand_known(chroot_dir, known, walk, &mut expanded)?;
        Ok(Step::Expanded(expanded))
    };
    let steps: Vec<Result<Step>> = if prepared.len() >= 2 {
        prepared
            .into_par_iter()
            .zip(is_dir_at)
            .with_max_len(1)
            .map(step)
            .collect()
    } else {
        prepared.into_iter().zip(is_dir_at).map(step).collect()
    };
    let count = steps
        .iter()
        .map(|s| match s {
            Ok(Step::Expanded(v)) => v.len(),
            _ => 1,
        })
        .sum();
    let mut files: UriMap<Tf> = UriMap::with_capacity_and_hasher(count, Default::default());
    for step in steps {
        match step? {
            Step::File(tf) => add_file(&mut files, tf)?,
            Step::Expanded(expanded) => {
                for tf in expanded {
                    add_file(&mut files, tf)?;
                }
            }
        }
    }
    Ok(files.into_iter().collect())
}

/// The hashes of the files without one in the final list, in its order, after a walk that
/// hashed as it went ([`Walk`]): the walk's hashes, and the rest (the large files it left, the
/// files listed by name) hashed now on every core, largest first. Ends the hasher's walk.
fn hash_walked(
    files: &mut [(String, Tf)],
    walked_bytes: u64,
    hasher: &mut FileHasher,
) -> Vec<std::io::Result<[u8; 32]>> {
    enum Slot {
        Done(std::io::Result<[u8; 32]>),
        Later(usize),
    }
    let pending: Vec<&mut Tf> = files
        .iter_mut()
        .map(|(_, tf)| tf)
        .filter(|tf| tf.sha256.is_none())
        .collect();
    // Files listed by name were not met by a walk: their size (to start the largest first) and
    // identity are read now, on every core for long lists.
    let looked_at = |tf: &&mut Tf| {
        if tf.walked.is_some() {
            return None;
        }
        std::fs::metadata(&tf.realpath)
            .ok()
            .map(|m| (m.len(), (m.dev(), m.ino())))
    };
    let listed: Vec<Option<(u64, (u64, u64))>> = if pending.len() >= PARALLEL_MIN_ITEMS {
        pending.par_iter().map(looked_at).collect()
    } else {
        pending.iter().map(looked_at).collect()
    };
    let mut later: Vec<(&Path, u64)> = Vec::new();
    let mut ids = Vec::with_capacity(pending.len());
    let mut slots = Vec::with_capacity(pending.len());
    for (tf, listed) in pending.into_iter().zip(listed) {
        let slot = match tf.walked.take() {
            Some(WalkedHash::Hashed { hash, id }) => {
                ids.push(id);
                Slot::Done(Ok(hash))
            }
            Some(WalkedHash::Large { size, id }) => {
                ids.push(id);
                later.push((tf.realpath.as_path(), size));
                Slot::Later(later.len() - 1)
            }
            Some(WalkedHash::Failed(e)) => Slot::Done(Err(e)),
            Some(WalkedHash::Keyed(_)) | None => {
                let (size, id) = listed.unwrap_or((0, (0, 0)));
                if listed.is_some() {
                    ids.push(id);
                }
                later.push((tf.realpath.as_path(), size));
                Slot::Later(later.len() - 1)
            }
        };
        slots.push(slot);
    }
    let mut hashed: Vec<Option<std::io::Result<[u8; 32]>>> = hasher
        .finish_walk(&later, walked_bytes, [ids])
        .into_iter()
        .map(Some)
        .collect();
    slots
        .into_iter()
        .map(|slot| match slot {
            Slot::Done(r) => r,
            Slot::Later(i) => hashed
                .get_mut(i)
                .and_then(Option::take)
                .unwrap_or_else(|| Err(std::io::Error::other("not hashed"))),
        })
        .collect()
}

/// Every entry below `dir` as `Path.rglob('*')` yields them (symlinked directories listed but not
/// descended into), sorted as Python sorts paths: component by component.
pub(super) fn rglob_sorted(dir: &str) -> Result<Vec<String>> {
    fn walk(dir: &Path, rel: &mut Vec<String>, out: &mut Vec<Vec<String>>) -> Result<()> {
        for name in sorted_names(dir)? {
            let p = dir.join(&name);
            rel.push(name);
            out.push(rel.clone());
            if is_dir(&p) && !is_symlink(&p) {
                walk(&p, rel, out)?;
            }
            rel.pop();
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(Path::new(dir), &mut Vec::new(), &mut out)?;
    out.sort();
    Ok(out
        .into_iter()
        .map(|parts| {
            parts
                .iter()
                .fold(dir.to_string(), |acc, p| pypath::join(&acc, p))
        })
        .collect())
}

fn expand_by_path(
    items: Vec<Value>,
    version: GramineVersion,
    hasher: &mut FileHasher,
) -> Result<(Vec<Value>, Outcome)> {
    // Path -> precomputed hash, or None until the file is hashed. First entry for a path wins.
    let mut files: UriMap<Option<Value>> = UriMap::default();
    let mut expanded = Vec::new();
    for item in items {
        let Value::Table(t) = item else {
            return Err(unknown_format(&item));
        };
        let uri = t
            .get("uri")
            .cloned()
            .unwrap_or(Value::String(String::new()));
        if let Some(sha) = t.get("sha256").filter(|s| s.is_truthy()) {
            files
                .entry(pypath::normalize(&uri2path(&uri)?))
                .or_insert_with(|| Some(sha.clone()));
            continue;
        }
        let path = pypath::normalize(&uri2path(&uri)?);
        let uri = uri.as_str().unwrap_or_default();
        let p = Path::new(&path);
        if !p.exists() {
            return Err(ManifestError::CannotResolve { path }.into());
        }
        if is_dir(p) {
            if !uri.ends_with('/') {
                return Err(ManifestError::DirectoryUriWithoutSlash { uri: uri.into() }.into());
            }
            expanded.push(PathBuf::from(&path));
            for sub in rglob_sorted(&path)? {
                let sp = PathBuf::from(&sub);
                expanded.push(sp.clone());
                if is_file(&sp) && readable(&sp) {
                    files.entry(sub).or_insert(None);
                }
            }
        } else {
            if !is_file(p) {
                return Err(ManifestError::NotRegularFile { path }.into());
            }
            files.entry(path.clone()).or_insert(None);
            expanded.push(PathBuf::from(path));
        }
    }
    let pending: Vec<PathBuf> = files
        .iter()
        .filter(|(_, h)| h.is_none())
        .map(|(p, _)| PathBuf::from(p))
        .collect();
    let mut hashes = hash_in_order(&pending, version, hasher)?.into_iter();
    let hashed_here = files.values().map(Option::is_none).collect();
    let list = files
        .into_iter()
        .map(|(p, h)| {
            entry(
                format!("file:{p}"),
                h.unwrap_or_else(|| Value::String(hashes.next().unwrap_or_default())),
                None,
            )
        })
        .collect();
    Ok((
        list,
        Outcome {
            deps: expanded,
            hashed_here,
        },
    ))
}
