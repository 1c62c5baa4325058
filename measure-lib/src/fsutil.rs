//! File helpers: reading with context, and atomic writes (a temporary file in the same directory,
//! then a rename), so that no output is ever half-written and a failed command leaves none.
//!
//! Outputs get the permissions `gramine-sgx-sign` gives them: a new file 0666 less the umask, a
//! replaced file the permissions it had. (Private keys are written 0600 by `gen-key`, not here.)

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::error::{Error, Result};

/// Reads a whole file, naming it in the error.
pub fn read(path: &Path, what: &str) -> Result<Vec<u8>> {
    fs::read(path).map_err(|source| Error::Read {
        what: what.to_string(),
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a whole file, or standard input when `path` is `-`, naming it in the error.
pub fn read_or_stdin(path: &Path, what: &str) -> Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut v).map_err(|source| {
            Error::Stdio {
                what: "cannot read standard input",
                source,
            }
        })?;
        Ok(v)
    } else {
        read(path, what)
    }
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    stage(path, bytes)?.commit()
}

/// An output written to a temporary file beside its destination, not yet in place: [`commit`]
/// renames it over the destination; dropping it removes the temporary file, and so does an
/// interruption by a signal (see [`crate::outputs::remove_pending_on_signal`]). Outputs that
/// belong together are written with [`crate::outputs::OutputSet`] instead.
///
/// A destination that exists and is not a regular file (`/dev/null`, `/dev/stdout`, a FIFO) is
/// written directly at commit instead: renaming over it would replace the device or pipe with
/// a regular file.
///
/// [`commit`]: Staged::commit
#[derive(Debug)]
pub struct Staged {
    tmp: Option<tempfile::NamedTempFile>,
    path: std::path::PathBuf,
    direct: Option<Vec<u8>>,
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let tmp_path = tmp.path().to_path_buf();
            drop(tmp);
            crate::outputs::forget_pending(&tmp_path);
        }
    }
}

/// The directory an output file goes to, created with its missing parents: every command treats
/// an output path the same way (`-o out/app.sig` creates `out/`, as `gen-key` creates Gramine's
/// default key directory).
pub fn output_dir(path: &Path) -> Result<&Path> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        fs::create_dir_all(dir).map_err(|source| Error::OutputDir {
            dir: dir.to_path_buf(),
            output: path.to_path_buf(),
            // A file where a directory should be: "File exists" would not say which.
            source: if source.kind() == std::io::ErrorKind::AlreadyExists {
                std::io::Error::from_raw_os_error(libc::ENOTDIR)
            } else {
                plain_io(source)
            },
        })?;
    }
    Ok(dir)
}

/// The OS error alone, without the name of a temporary file that some wrappers add to it: an
/// error message names the output, never our temporary files.
pub(crate) fn plain_io(e: std::io::Error) -> std::io::Error {
    match e.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => e,
    }
}

/// Writes `bytes` to a temporary file in `path`'s directory (see [`Staged`]).
pub fn stage(path: &Path, bytes: &[u8]) -> Result<Staged> {
    if fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return Ok(Staged {
            tmp: None,
            path: path.to_path_buf(),
            direct: Some(bytes.to_vec()),
        });
    }
    let dir = output_dir(path)?;
    // Created as `open(path, "w")` creates a file (what gramine-sgx-sign does): mode 0666 less
    // the umask, applied by the kernel at creation (tempfile's own default is 0600).
    // Created under the lock of the interruption handler: once it has run, no file is created.
    let mut pending = crate::outputs::pending_lock_to_stage(path)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".sgx-measure-")
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source: plain_io(source),
        })?;
    pending.insert(tmp.path().to_path_buf());
    drop(pending);
    // A file that is replaced keeps its permissions, as when Gramine truncates and rewrites it.
    if let Ok(old) = fs::metadata(path)
        && old.is_file()
    {
        let mode = old.permissions().mode() & 0o777;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(mode))
            .map_err(|source| Error::Write {
                path: path.to_path_buf(),
                source,
            })?;
    }
    // No fsync: the rename makes the replacement atomic (readers see the old or the new file,
    // never a partial one), which is what a failed or interrupted command must guarantee.
    tmp.write_all(bytes).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })?;
    start_writeback(tmp.as_file());
    Ok(Staged {
        tmp: Some(tmp),
        path: path.to_path_buf(),
        direct: None,
    })
}

/// Starts writing the file's data to disk without waiting for it. ext4 does this itself when a
/// rename replaces an existing file (so that a crash cannot leave it empty), at the rename and
/// on the caller's time: done here, it happens while a command is still busy (`sign` stages the
/// manifest on another core while measuring and signing). Purely a hint: errors are ignored.
pub(crate) fn start_writeback(file: &fs::File) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: `file` is an open file descriptor for the duration of the call, and
        // sync_file_range only reads its arguments.
        unsafe {
            libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = file;
}

impl Staged {
    /// Where to write more before [`Staged::commit`]: the temporary file, or for a special file
    /// the bytes kept until commit (written only when everything succeeded).
    pub fn file_mut(&mut self) -> std::io::Result<&mut dyn Write> {
        if let Some(bytes) = self.direct.as_mut() {
            return Ok(bytes);
        }
        self.tmp
            .as_mut()
            .map(|t| t.as_file_mut() as &mut dyn Write)
            .ok_or_else(|| std::io::Error::other("the staged file was already put in place"))
    }

    /// Puts the file in place (a rename), or writes a special file.
    pub fn commit(mut self) -> Result<()> {
        if let Some(bytes) = self.direct.take() {
            return fs::OpenOptions::new()
                .write(true)
                .open(&self.path)
                .and_then(|mut f| f.write_all(&bytes))
                .map_err(|source| Error::Write {
                    path: self.path.clone(),
                    source,
                });
        }
        let Some(tmp) = self.tmp.take() else {
            return Ok(());
        };
        let tmp_path = tmp.path().to_path_buf();
        // An interruption waits for the rename (the signal handler takes the same lock).
        let mut pending = crate::outputs::pending_lock();
        let placed = tmp.persist(&self.path);
        pending.remove(&tmp_path);
        drop(pending);
        placed.map_err(|e| Error::Write {
            path: self.path.clone(),
            source: plain_io(e.error),
        })?;
        Ok(())
    }
}

/// Writes `bytes` to `path` atomically, readable only by its owner (mode 0600: a private key);
/// refuses to replace an existing file unless `overwrite`, even if one appears meanwhile.
pub fn write_private(path: &Path, bytes: &[u8], overwrite: bool) -> Result<()> {
    if !overwrite && path.symlink_metadata().is_ok() {
        return Err(Error::Exists {
            path: path.to_path_buf(),
        });
    }
    let dir = output_dir(path)?;
    let write_error = |source| Error::Write {
        path: path.to_path_buf(),
        source: plain_io(source),
    };
    // tempfile creates the file with mode 0600.
    let mut tmp = tempfile::Builder::new()
        .prefix(".sgx-measure-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(write_error)?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(write_error)?;
    if overwrite {
        tmp.persist(path).map_err(|e| write_error(e.error))?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                Error::Exists {
                    path: path.to_path_buf(),
                }
            } else {
                write_error(e.error)
            }
        })?;
    }
    Ok(())
}

/// What an input or output is, and its path, for [`check_distinct`].
pub type Named<'a> = (&'a str, &'a Path);

/// The identity of a file: device and inode of what the path resolves to if it exists, else
/// its absolute path with the directory's symlinks resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FileId {
    Inode(u64, u64),
    Path(std::path::PathBuf),
}

fn file_id(p: &Path) -> FileId {
    use std::os::unix::fs::MetadataExt;
    if let Ok(m) = fs::metadata(p) {
        return FileId::Inode(m.dev(), m.ino());
    }
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let resolved = match (abs.parent(), abs.file_name()) {
        (Some(dir), Some(name)) => fs::canonicalize(dir)
            .map(|d| d.join(name))
            .unwrap_or_else(|_| abs.clone()),
        _ => abs.clone(),
    };
    FileId::Path(resolved)
}

/// Whether two paths name the same file (see [`check_distinct`]).
pub fn same_file(a: &Path, b: &Path) -> bool {
    file_id(a) == file_id(b)
}

/// Refuses outputs that are the same file as another output or as an input (symlinks resolved;
/// by device and inode where the file exists): writing one would destroy the other, or leave
/// only one of two outputs. `input_ids` are the (device, inode) of further inputs already
/// opened (trusted files that were hashed).
pub fn check_distinct(
    outputs: &[Named<'_>],
    inputs: &[Named<'_>],
    input_ids: &std::collections::HashSet<(u64, u64)>,
) -> Result<()> {
    let outs: Vec<(&str, &Path, FileId)> =
        outputs.iter().map(|&(w, p)| (w, p, file_id(p))).collect();
    for (i, (what, path, id)) in outs.iter().enumerate() {
        if let Some((other, other_path, _)) = outs.iter().take(i).find(|(_, _, o)| o == id) {
            return Err(Error::Invalid(format!(
                "the {what} {} and the {other} {} are the same file: each output needs its own path",
                path.display(),
                other_path.display()
            )));
        }
        for &(input, input_path) in inputs {
            if file_id(input_path) == *id {
                return Err(Error::Invalid(format!(
                    "the {what} {} is the {input} {}: writing it would overwrite an input",
                    path.display(),
                    input_path.display()
                )));
            }
        }
        if let FileId::Inode(dev, ino) = id
            && input_ids.contains(&(*dev, *ino))
        {
            return Err(Error::Invalid(format!(
                "the {what} {} is one of the trusted files: writing it would change a file the manifest measures",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Opens `name`, one component, relative to the open directory `dir`, with `flags` (and
/// `O_CLOEXEC`).
pub(crate) fn open_at(
    dir: &fs::File,
    name: &std::ffi::CStr,
    flags: libc::c_int,
) -> std::io::Result<fs::File> {
    use std::os::fd::{AsRawFd, FromRawFd};
    // SAFETY: `dir` is an open file descriptor for the duration of the call and `name` a valid
    // NUL-terminated string that outlives it.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened and is owned by nothing else.
    Ok(unsafe { fs::File::from_raw_fd(fd) })
}

/// `os.access(dir/name, os.R_OK)`, looked up from an open directory (one path component to
/// resolve instead of the whole path: it adds up over millions of files).
pub(crate) fn readable_at(dir: &fs::File, name: &str) -> bool {
    with_c_name(name, |c| c.is_some_and(|c| access_at(dir, c)))
}

/// `access(R_OK)` of the file `name` in the open directory `dir`.
pub(crate) fn access_at(dir: &fs::File, name: &std::ffi::CStr) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: `dir` is an open file descriptor for the duration of the call and `name` a valid
    // NUL-terminated string that outlives it.
    unsafe { libc::faccessat(dir.as_raw_fd(), name.as_ptr(), libc::R_OK, 0) == 0 }
}

/// Calls `f` with `name` NUL-terminated (`None` if it holds a NUL), without allocating for a
/// name of the length a directory entry has (at most 255 bytes on Linux).
pub(crate) fn with_c_name<T>(name: &str, f: impl FnOnce(Option<&std::ffi::CStr>) -> T) -> T {
    let mut buf = [0u8; 256];
    if let Some(head) = buf.get_mut(..name.len()).filter(|_| name.len() < 256) {
        head.copy_from_slice(name.as_bytes());
        let c = buf
            .get(..=name.len())
            .and_then(|b| std::ffi::CStr::from_bytes_with_nul(b).ok());
        return f(c);
    }
    f(std::ffi::CString::new(name).ok().as_deref())
}

/// Whether every file this process can open for reading is one that `access(R_OK)` calls
/// readable, so that a successful `open` can stand for the `access` call. `access` checks with
/// the real user and group instead of the effective (file-system) ones, and with no
/// capabilities for a user other than root (root's permitted ones for root): the answers agree
/// when those are the same, which this reads from `/proc/self/status` once per process. When
/// anything differs or cannot be read, `false` (`access` is asked for every file).
pub(crate) fn open_implies_readable() -> bool {
    static ANSWER: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ANSWER.get_or_init(|| {
        fs::read_to_string("/proc/self/status").is_ok_and(|s| same_access_credentials(&s))
    })
}

/// [`open_implies_readable`] from the text of `/proc/PID/status`.
fn same_access_credentials(status: &str) -> bool {
    let field = |name: &str| -> Option<Vec<&str>> {
        let line = status.lines().find_map(|l| l.strip_prefix(name))?;
        Some(line.split_whitespace().collect())
    };
    let ids_agree = |name: &str| {
        // Real, effective, saved set and file-system IDs: access() checks the real one, open()
        // the file-system one (the effective one unless changed on its own).
        field(name).is_some_and(|ids| {
            matches!(ids.as_slice(), [real, effective, _saved, fs] if real == effective && real == fs)
        })
    };
    let caps = |name: &str| {
        field(name).and_then(|v| match v.as_slice() {
            [hex] => u64::from_str_radix(hex, 16).ok(),
            _ => None,
        })
    };
    let root = field("Uid:").is_some_and(|ids| ids.first() == Some(&"0"));
    let (Some(effective), Some(permitted)) = (caps("CapEff:"), caps("CapPrm:")) else {
        return false;
    };
    ids_agree("Uid:")
        && ids_agree("Gid:")
        && if root {
            effective == permitted
        } else {
            effective == 0
        }
}

#[cfg(test)]
mod special_file_tests {
    use super::*;

    /// Writing to a FIFO (like `/dev/stdout` or `/dev/null`, which are not regular files) goes
    /// into it; it is not replaced by a regular file.
    #[test]
    fn special_files_are_written_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only reads it.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(fifo).unwrap())
        };
        write_atomic(&fifo, b"through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        use std::os::unix::fs::FileTypeExt;
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        // A regular file is still replaced atomically.
        let file = dir.path().join("f");
        fs::write(&file, b"old").unwrap();
        write_atomic(&file, b"new").unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"new");
    }
}

#[cfg(test)]
mod access_tests {
    use super::*;

    fn status(uid: &str, gid: &str, eff: &str, prm: &str) -> String {
        format!(
            "Name:\tx\nUid:\t{uid}\nGid:\t{gid}\nCapInh:\t0000000000000000\nCapPrm:\t{prm}\nCapEff:\t{eff}\n"
        )
    }

    /// `open` stands for `access` only when both check the same credentials.
    #[test]
    fn access_and_open_agree_only_with_the_same_credentials() {
        let full = "000001ffffffffff";
        let none = "0000000000000000";
        for (uid, gid, eff, prm, agree) in [
            (
                "1000\t1000\t1000\t1000",
                "100\t100\t100\t100",
                none,
                none,
                true,
            ),
            ("0\t0\t0\t0", "0\t0\t0\t0", full, full, true),
            // Set-user-ID: access() checks the real user.
            ("1000\t0\t0\t0", "0\t0\t0\t0", full, full, false),
            (
                "1000\t1000\t1000\t1000",
                "100\t50\t50\t50",
                none,
                none,
                false,
            ),
            // File-system ID changed on its own.
            (
                "1000\t1000\t1000\t0",
                "100\t100\t100\t100",
                none,
                none,
                false,
            ),
            // A user other than root with capabilities: access() drops them.
            (
                "1000\t1000\t1000\t1000",
                "100\t100\t100\t100",
                "0000000000000004",
                "0000000000000004",
                false,
            ),
            // Root with fewer effective capabilities than permitted: access() raises them.
            ("0\t0\t0\t0", "0\t0\t0\t0", none, full, false),
        ] {
            assert_eq!(
                same_access_credentials(&status(uid, gid, eff, prm)),
                agree,
                "{uid} {gid} {eff} {prm}"
            );
        }
        assert!(!same_access_credentials(""));
        assert!(!same_access_credentials(
            "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
        ));
    }

    #[test]
    fn names_are_passed_nul_terminated() {
        for name in ["a", "name with spaces", &"x".repeat(255), &"y".repeat(300)] {
            with_c_name(name, |c| assert_eq!(c.unwrap().to_bytes(), name.as_bytes()));
        }
        with_c_name("a\0b", |c| assert!(c.is_none()));
    }
}
