//! File helpers: reading with context, and atomic writes (a temporary file in the same directory,
//! then a rename), so that no output is ever half-written and a failed command leaves none.

use std::fs;
use std::io::Write;
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

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    stage(path, bytes)?.commit()
}

/// An output written to a temporary file beside its destination, not yet in place: [`commit`]
/// renames it over the destination; dropping it removes the temporary file. Commands that write
/// several outputs stage them all before committing any, so a failure leaves none of them.
///
/// [`commit`]: Staged::commit
#[derive(Debug)]
pub struct Staged {
    tmp: tempfile::NamedTempFile,
    path: std::path::PathBuf,
}

/// Writes `bytes` to a temporary file in `path`'s directory (see [`Staged`]).
pub fn stage(path: &Path, bytes: &[u8]) -> Result<Staged> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".sgx-measure-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|source| Error::CreateIn {
            what: "a temporary file",
            dir: dir.to_path_buf(),
            source,
        })?;
    // No fsync: the rename makes the replacement atomic (readers see the old or the new file,
    // never a partial one), which is what a failed or interrupted command must guarantee.
    tmp.write_all(bytes).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })?;
    start_writeback(tmp.as_file());
    Ok(Staged {
        tmp,
        path: path.to_path_buf(),
    })
}

/// Starts writing the file's data to disk without waiting for it. ext4 does this itself when a
/// rename replaces an existing file (so that a crash cannot leave it empty), at the rename and
/// on the caller's time: done here, it happens while a command is still busy (`sign` stages the
/// manifest on another core while measuring and signing). Purely a hint: errors are ignored.
fn start_writeback(file: &fs::File) {
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
    /// Puts the file in place (a rename).
    pub fn commit(self) -> Result<()> {
        let Staged { tmp, path } = self;
        tmp.persist(&path).map_err(|e| Error::Write {
            path,
            source: e.error,
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
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir).map_err(|source| Error::CreateDir {
        dir: dir.to_path_buf(),
        source,
    })?;
    // tempfile creates the file with mode 0600.
    let mut tmp = tempfile::Builder::new()
        .prefix(".sgx-measure-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|source| Error::CreateIn {
            what: "a temporary file",
            dir: dir.to_path_buf(),
            source,
        })?;
    let write_error = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
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
