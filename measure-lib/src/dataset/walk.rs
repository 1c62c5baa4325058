//! Walking a directory argument as Gramine expands a directory URI (depth first, names sorted,
//! symlinked directories not followed, unreadable and special files left out), on every core:
//! each directory is listed from its open handle, its subdirectories are walked in parallel and
//! its files handed to a visitor (with the open directory, to look them up by name), and what
//! the visitor makes of them is gathered into runs, one per stretch of a directory's files
//! between its subdirectories, kept apart rather than copied up at every level.

use std::fs::File;
use std::path::Path;

use super::{SkipReason, Skipped};
use crate::error::{Error, Result};

/// What a walk's visitor made of a regular file (or a symbolic link to one).
pub(super) enum Visit<F> {
    /// Listed.
    File(F),
    /// Not readable (`os.access(path, os.R_OK)` is false): left out, as Gramine leaves it out.
    Unreadable,
}

/// Called for each regular file a walk meets, with its open directory (to look the file up from:
/// one path component to resolve per file instead of the whole path, which adds up over
/// millions) and its name.
pub(super) type Visitor<'a, F> = dyn Fn(&File, &str) -> Visit<F> + Sync + 'a;

/// What a walk makes of a stretch of a directory's files.
pub(super) trait Run: Send + Sized {
    /// What the visitor gives for a file.
    type File: Send;
    /// A run of `capacity` files whose URIs start with `dir_uri`.
    fn new(dir_uri: &str, capacity: usize) -> Self;
    /// Adds the file `name` of the run's directory `dir`.
    fn push(&mut self, dir: &Path, name: &str, file: Self::File);
    /// Calls `f` with the URI of each file, in order.
    fn each_uri(&self, f: &mut dyn FnMut(&str));
}

/// A directory's walk: its runs of files and the paths it left out, both in walk order.
pub(super) struct Walked<R> {
    pub runs: Vec<R>,
    pub skipped: Vec<Skipped>,
}

/// The type of a directory entry as the listing gives it (a symlink is a symlink).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Dir,
    Symlink,
    Other,
}

impl Kind {
    fn of(t: std::fs::FileType) -> Self {
        if t.is_file() {
            Kind::File
        } else if t.is_dir() {
            Kind::Dir
        } else if t.is_symlink() {
            Kind::Symlink
        } else {
            Kind::Other
        }
    }
}

/// A directory's entries sorted by name: the names one after the other, and each entry's range
/// of them and type (no allocation per entry).
#[derive(Debug)]
pub(crate) struct Listing {
    names: String,
    pub(crate) entries: Vec<(std::ops::Range<usize>, Kind)>,
}

impl Listing {
    pub(crate) fn name(&self, range: &std::ops::Range<usize>) -> &str {
        self.names.get(range.clone()).unwrap_or_default()
    }
}

/// Opens a directory to list it and look its entries up.
pub(crate) fn open_directory(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY)
        .open(path)
}

/// Opens the subdirectory `name` of the open directory `dir`.
pub(crate) fn open_subdirectory(dir: &File, name: &str) -> std::io::Result<File> {
    crate::fsutil::with_c_name(name, |c| match c {
        Some(c) => crate::fsutil::open_at(dir, c, libc::O_RDONLY | libc::O_DIRECTORY),
        None => Err(std::io::ErrorKind::InvalidInput.into()),
    })
}

/// [`open_directory`], its failure a listing error.
fn open_dir(path: &Path) -> Result<File> {
    open_directory(path).map_err(|source| Error::List {
        path: path.to_path_buf(),
        source,
    })
}

/// [`open_subdirectory`] of the directory at `path`, its failure a listing error.
fn open_subdir(dir: &File, path: &Path, name: &str) -> Result<File> {
    open_subdirectory(dir, name).map_err(|source| Error::List {
        path: path.join(name),
        source,
    })
}

/// The entries of the open directory `dir` (whose path is `path`), sorted by name; `.` and `..`
/// left out. A name that is not UTF-8 is an error (a URI is text).
pub(crate) fn list(dir: &File, path: &Path) -> Result<Listing> {
    let mut listing = Listing {
        names: String::new(),
        entries: Vec::new(),
    };
    let mut add = |name: &[u8], kind: Option<Kind>| -> Result<()> {
        if name == b"." || name == b".." {
            return Ok(());
        }
        let Ok(name) = std::str::from_utf8(name) else {
            use std::os::unix::ffi::OsStringExt;
            return Err(crate::manifest::ManifestError::FileNameNotUtf8 {
                name: std::ffi::OsString::from_vec(name.to_vec()),
                dir: path.to_path_buf(),
            }
            .into());
        };
        // A file system that does not give types in its listing: the entry is looked at.
        let kind = match kind {
            Some(k) => k,
            None => {
                let m =
                    std::fs::symlink_metadata(path.join(name)).map_err(|source| Error::List {
                        path: path.to_path_buf(),
                        source,
                    })?;
                Kind::of(m.file_type())
            }
        };
        let start = listing.names.len();
        listing.names.push_str(name);
        listing.entries.push((start..listing.names.len(), kind));
        Ok(())
    };
    read_entries(dir, path, &mut add)?;
    let names = &listing.names;
    listing.entries.sort_unstable_by(|a, b| {
        names
            .get(a.0.clone())
            .unwrap_or_default()
            .cmp(names.get(b.0.clone()).unwrap_or_default())
    });
    Ok(listing)
}

/// Calls `add` with the name and type (`None`: unknown) of each entry of the open directory, in
/// the order the file system gives them, with the `getdents64` system call: the entries come
/// in a buffer, no allocation per entry.
#[cfg(target_os = "linux")]
fn read_entries(dir: &File, path: &Path, add: &mut AddEntry<'_>) -> Result<()> {
    thread_local! {
        /// Each thread's listing buffer (allocated once).
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUFFER.with_borrow_mut(|buf| {
        if buf.len() < 32 << 10 {
            buf.resize(32 << 10, 0);
        }
        read_entries_into(buf, dir, path, add)
    })
}

/// [`read_entries`] with a buffer. The directory's position is its own (the handle is this
/// walk's): the listing starts at its first entry.
#[cfg(target_os = "linux")]
fn read_entries_into(
    buf: &mut [u8],
    dir: &File,
    path: &Path,
    add: &mut AddEntry<'_>,
) -> Result<()> {
    use std::os::fd::AsRawFd;
    // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
    const RECLEN: usize = 16;
    const TYPE: usize = 18;
    const NAME: usize = 19;
    loop {
        // SAFETY: `dir` is an open file descriptor for the duration of the call, and the kernel
        // writes at most `buf.len()` bytes into `buf`.
        let n = unsafe {
            libc::syscall(
                libc::SYS_getdents64,
                dir.as_raw_fd(),
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
        if n < 0 {
            let source = std::io::Error::last_os_error();
            if source.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(Error::List {
                path: path.to_path_buf(),
                source,
            });
        }
        let Some(filled) = usize::try_from(n).ok().and_then(|n| buf.get(..n)) else {
            break;
        };
        if filled.is_empty() {
            break;
        }
        let mut at = 0;
        while let Some(record) = filled.get(at..) {
            let Some(&[lo, hi]) = record.get(RECLEN..RECLEN + 2) else {
                break;
            };
            let reclen = usize::from(u16::from_ne_bytes([lo, hi]));
            if reclen <= NAME {
                break;
            }
            let (Some(&d_type), Some(rest)) = (record.get(TYPE), record.get(NAME..reclen)) else {
                break;
            };
            let name = rest.split(|&b| b == 0).next().unwrap_or_default();
            let kind = match d_type {
                libc::DT_REG => Some(Kind::File),
                libc::DT_DIR => Some(Kind::Dir),
                libc::DT_LNK => Some(Kind::Symlink),
                libc::DT_UNKNOWN => None,
                _ => Some(Kind::Other),
            };
            add(name, kind)?;
            at += reclen;
        }
    }
    Ok(())
}

/// [`read_entries`] where `getdents64` is not available: the standard library's listing.
#[cfg(not(target_os = "linux"))]
fn read_entries(_dir: &File, path: &Path, add: &mut AddEntry<'_>) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let list_error = |source| Error::List {
        path: path.to_path_buf(),
        source,
    };
    for e in std::fs::read_dir(path).map_err(list_error)? {
        let e = e.map_err(list_error)?;
        let t = e.file_type().map_err(list_error)?;
        let kind = Kind::of(t);
        add(e.file_name().as_bytes(), Some(kind))?;
    }
    Ok(())
}

/// Takes a directory entry's name and type (`None`: unknown) as the listing gives them.
type AddEntry<'a> = dyn FnMut(&[u8], Option<Kind>) -> Result<()> + 'a;

/// What one directory entry contributes to a walk.
enum Found<R: Run> {
    File(R::File),
    Dir(Walked<R>),
    Skipped(Skipped),
}

/// Walks the directory `path` (see the module): its files' URIs are `dir_uri` followed by their
/// paths relative to it.
pub(super) fn walk<R: Run>(
    path: &Path,
    dir_uri: &str,
    visit: &Visitor<'_, R::File>,
) -> Result<Walked<R>> {
    let handle = open_dir(path)?;
    walk_open(path, handle, dir_uri, visit)
}

/// A URI of a name in a directory whose entries' URIs start with `dir_uri`, as a directory's.
fn subdir_uri(dir_uri: &str, name: &str) -> String {
    let mut uri = String::with_capacity(dir_uri.len() + name.len() + 1);
    uri.push_str(dir_uri);
    uri.push_str(name);
    uri.push('/');
    uri
}

/// [`walk`] of a directory already open. An entry's type comes from the listing (a symlink is
/// looked up), so a regular file costs the walk no system call: the visitor decides whether it
/// is readable.
fn walk_open<R: Run>(
    dir: &Path,
    handle: File,
    dir_uri: &str,
    visit: &Visitor<'_, R::File>,
) -> Result<Walked<R>> {
    use rayon::prelude::*;
    let listing = list(&handle, dir)?;
    let found: Vec<Result<Found<R>>> = listing
        .entries
        .par_iter()
        .with_min_len(32)
        .map(|(range, kind)| {
            let name = listing.name(range);
            let link = *kind == Kind::Symlink;
            // A symlink is followed for its target's type; `None` when it leads nowhere.
            let (is_file, is_dir) = match kind {
                Kind::File => (true, false),
                Kind::Dir => (false, true),
                Kind::Symlink => match std::fs::metadata(dir.join(name)) {
                    Ok(m) => (m.is_file(), m.is_dir()),
                    Err(_) => {
                        return Ok(Found::Skipped(Skipped {
                            path: dir.join(name),
                            reason: SkipReason::DanglingLink,
                        }));
                    }
                },
                Kind::Other => (false, false),
            };
            if is_dir && !link {
                let sub = open_subdir(&handle, dir, name)?;
                return Ok(Found::Dir(walk_open(
                    &dir.join(name),
                    sub,
                    &subdir_uri(dir_uri, name),
                    visit,
                )?));
            }
            let reason = if is_file {
                match visit(&handle, name) {
                    Visit::File(f) => return Ok(Found::File(f)),
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
    // Each run is made once, at its length.
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
    let mut out = Walked {
        runs: Vec::new(),
        skipped: Vec::new(),
    };
    let mut run: Option<R> = None;
    for ((range, _), f) in listing.entries.iter().zip(found) {
        match f? {
            Found::File(file) => run
                .get_or_insert_with(|| R::new(dir_uri, run_lengths.next().unwrap_or(1)))
                .push(dir, listing.name(range), file),
            Found::Dir(mut sub) => {
                out.runs.extend(run.take());
                out.runs.append(&mut sub.runs);
                out.skipped.append(&mut sub.skipped);
            }
            Found::Skipped(s) => out.skipped.push(s),
        }
    }
    out.runs.extend(run);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A listing holds every entry with its type, sorted by name, across several reads of the
    /// directory (more entries than one buffer holds).
    #[test]
    fn a_listing_is_the_sorted_directory() {
        let dir = tempfile::tempdir().unwrap();
        let long = "n".repeat(120);
        for i in 0..700 {
            std::fs::write(dir.path().join(format!("{long}{i}")), b"").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::os::unix::fs::symlink("sub", dir.path().join("link")).unwrap();
        let fifo = std::ffi::CString::new(
            dir.path()
                .join("fifo")
                .into_os_string()
                .into_encoded_bytes(),
        )
        .unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only reads it.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let listing = list(&open_dir(dir.path()).unwrap(), dir.path()).unwrap();
        let got: Vec<(&str, Kind)> = listing
            .entries
            .iter()
            .map(|(r, k)| (listing.name(r), *k))
            .collect();
        let mut want: Vec<(String, Kind)> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let t = e.file_type().unwrap();
                let kind = Kind::of(t);
                (e.file_name().into_string().unwrap(), kind)
            })
            .collect();
        want.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(got.len(), 703);
        let want: Vec<(&str, Kind)> = want.iter().map(|(n, k)| (n.as_str(), *k)).collect();
        assert_eq!(got, want);
    }

    /// A name that is not UTF-8 cannot be a URI: the walk says which and where.
    #[test]
    fn a_name_that_is_not_utf8_is_an_error() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let name = std::ffi::OsStr::from_bytes(b"bad\xff");
        if std::fs::write(dir.path().join(name), b"").is_err() {
            // A file system that refuses such names.
            return;
        }
        let e = list(&open_dir(dir.path()).unwrap(), dir.path()).unwrap_err();
        match e {
            Error::Manifest(crate::manifest::ManifestError::FileNameNotUtf8 {
                name: n,
                dir: d,
            }) => {
                assert_eq!(n, name);
                assert_eq!(d, dir.path());
            }
            other => panic!("{other}"),
        }
    }
}
