//! Outputs that belong together (a `.manifest.sgx`, its `.sig`, and the depfile), put in place so
//! that they are only ever seen together: after a command that fails, is interrupted or is
//! killed at any point, the files are either all old or all new.
//!
//! # The protocol
//!
//! Each set of outputs is written under an exclusive lock (`flock`) of every directory that
//! receives one, taken in a fixed order (device, inode), so that two commands writing the same
//! outputs run one after the other. Under the lock:
//!
//! 1. A journal left by a killed command is settled first (see below).
//! 2. The journal `.<first output's name>.sgx-measure-journal` is created beside the first
//!    output, listing for each output its temporary file and backup name
//!    (`.sgx-measure-<random>.tmp`, in the output's directory).
//! 3. Each output is written to its temporary file.
//! 4. Each output that exists is hard-linked to its backup name (the old version stays
//!    reachable), then the line `commit` is appended to the journal: from here on the new set
//!    is the one that counts.
//! 5. The temporary files are renamed over the outputs, in order. If one rename fails (an output
//!    that is a directory or an immutable file, a full disk), the outputs already replaced are
//!    restored from their backups and the command fails with the old set in place.
//! 6. The backups and the journal are removed.
//!
//! A journal found later (the command was killed) is settled by the next command that writes or
//! reads these outputs (`sign`, `sigstruct verify`), under the same locks: without its `commit`
//! line, the temporary files and backups are removed (the old set was never touched); with it,
//! the remaining temporary files are renamed into place (the new set, complete since step 3),
//! or, should that fail, the old set is restored. A temporary file not yet renamed still exists;
//! one that was renamed does not: that is how the journal tells how far a command got.
//!
//! `SIGINT`, `SIGTERM` and `SIGHUP` are handled by the command line tool
//! ([`remove_pending_on_signal`]): the temporary files and journal of sets not yet committed are
//! removed, a set being committed is finished first. Its commands that write no file run without
//! that handler and declare it ([`refuse_staging`]): staging is then refused.
//!
//! Scope: this protects against the process being interrupted, killed or failing, and against
//! concurrent commands. It does not `fsync`: after a crash of the whole system the files are as
//! durable as the file system makes renames.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::error::{Error, Result};

/// Files to remove if the process is interrupted: temporary files and journals of outputs not
/// yet committed. Committing holds this lock, so an interruption waits for the commit to end.
static PENDING: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

fn pending() -> MutexGuard<'static, BTreeSet<PathBuf>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// The lock of the files to remove on interruption, held while an output is put in place.
pub(crate) fn pending_lock() -> MutexGuard<'static, BTreeSet<PathBuf>> {
    pending()
}

/// Set by a process that has no interruption handler ([`refuse_staging`]).
static STAGING_REFUSED: AtomicBool = AtomicBool::new(false);

/// Declares that this process has no interruption handler to call
/// [`remove_pending_on_signal`] (the command line tool starts none for the commands that only
/// print): from then on, staging an output is refused, so that an interruption can never leave
/// temporary files behind.
pub fn refuse_staging() {
    STAGING_REFUSED.store(true, Ordering::SeqCst);
}

/// The lock of the files to remove on interruption, taken to register new ones (for `dest`);
/// an error in a process without an interruption handler ([`refuse_staging`]).
pub(crate) fn pending_lock_to_stage(dest: &Path) -> Result<MutexGuard<'static, BTreeSet<PathBuf>>> {
    if STAGING_REFUSED.load(Ordering::SeqCst) {
        return Err(Error::Internal(format!(
            "output {} staged by a command declared to write no file (it runs without the interruption handler)",
            dest.display()
        )));
    }
    Ok(pending())
}

/// Forgets a temporary file (it was put in place or removed).
pub(crate) fn forget_pending(path: &Path) {
    pending().remove(path);
}

/// Removes every temporary file and journal of outputs not yet committed, and returns holding
/// the lock so that nothing is committed afterwards: for a signal handler (a thread) that then
/// ends the process. A commit in progress is finished first.
pub fn remove_pending_on_signal() -> MutexGuard<'static, BTreeSet<PathBuf>> {
    let mut guard = pending();
    for p in guard.iter() {
        let _ = fs::remove_file(p);
    }
    guard.clear();
    guard
}

/// Test hook (not for use): the environment variable `SGX_MEASURE_TEST_COMMIT_FAULT` set to
/// `kill@STEP` kills the process with SIGKILL just before STEP, `fail@STEP` makes STEP fail,
/// where STEP is `marker` (appending `commit`), `renameN` (the N-th rename, from 0) or `cleanup`
/// (removing backups and journal). The crash-consistency tests use it to stop a command between
/// any two steps of the protocol.
const FAULT_VAR: &str = "SGX_MEASURE_TEST_COMMIT_FAULT";

fn fault(step: &str) -> io::Result<()> {
    let Some(spec) = std::env::var_os(FAULT_VAR) else {
        return Ok(());
    };
    let spec = spec.to_string_lossy();
    if spec.strip_prefix("kill@") == Some(step) {
        // SAFETY: raise only sends a signal to this process.
        unsafe {
            libc::raise(libc::SIGKILL);
        }
    }
    if spec.strip_prefix("fail@") == Some(step) {
        return Err(io::Error::other(format!("injected failure at {step}")));
    }
    Ok(())
}

const JOURNAL_HEADER: &str = "sgx-measure commit v1\n";
const COMMIT_LINE: &str = "commit\n";

/// The journal of the output set whose first output is `first`.
pub fn journal_path(first: &Path) -> Result<PathBuf> {
    let (dir, name) = split(first)?;
    let mut j = std::ffi::OsString::from(".");
    j.push(name);
    j.push(".sgx-measure-journal");
    Ok(dir.join(j))
}

/// The absolute directory (symlinks resolved) and file name of an output path.
fn split(path: &Path) -> Result<(PathBuf, std::ffi::OsString)> {
    let name = path
        .file_name()
        .ok_or_else(|| Error::Invalid(format!("output {} does not name a file", path.display())))?;
    let dir = crate::fsutil::output_dir(path)?;
    let dir = fs::canonicalize(dir).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok((dir, name.to_os_string()))
}

fn random_name(dir: &Path, suffix: &str) -> PathBuf {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        b = (u64::from(std::process::id()) ^ t.as_nanos() as u64).to_le_bytes();
    }
    dir.join(format!(".sgx-measure-{}{suffix}", hex::encode(b)))
}

/// Whether `p` is a name this module creates (so that a journal never makes it remove another
/// file).
fn is_our_temp(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix(".sgx-measure-"))
        .and_then(|n| n.strip_suffix(".tmp"))
        .and_then(|n| n.strip_suffix(".old").or(Some(n)))
        .is_some_and(|h| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Exclusive locks on directories, released when dropped (the files are closed).
#[derive(Debug)]
struct DirLocks {
    _files: Vec<fs::File>,
}

impl DirLocks {
    fn take(dirs: impl IntoIterator<Item = PathBuf>) -> Result<DirLocks> {
        let mut opened = Vec::new();
        for dir in dirs {
            let f = fs::File::open(&dir).map_err(|source| Error::CreateIn {
                what: "a lock on the outputs",
                dir: dir.clone(),
                source,
            })?;
            let m = f.metadata().map_err(|source| Error::Stat {
                path: dir.clone(),
                source,
            })?;
            opened.push(((m.dev(), m.ino()), dir, f));
        }
        opened.sort_by_key(|(id, _, _)| *id);
        opened.dedup_by_key(|(id, _, _)| *id);
        let mut locks = Vec::with_capacity(opened.len());
        for (_, dir, f) in opened {
            loop {
                // SAFETY: flock on a file descriptor this function owns.
                let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) };
                if rc == 0 {
                    break;
                }
                let err = io::Error::last_os_error();
                if err.kind() != io::ErrorKind::Interrupted {
                    return Err(Error::CreateIn {
                        what: "a lock on the outputs",
                        dir,
                        source: err,
                    });
                }
            }
            locks.push(f);
        }
        Ok(DirLocks { _files: locks })
    }
}

/// One output of a set.
#[derive(Debug)]
struct Slot {
    dest: PathBuf,
    tmp: PathBuf,
    backup: PathBuf,
    written: AtomicBool,
}

/// A set of outputs being written (see the module documentation). Dropping it before
/// [`commit`](OutputSet::commit) removes its temporary files and journal, leaving the old
/// outputs untouched.
#[derive(Debug)]
pub struct OutputSet {
    _locks: DirLocks,
    journal: PathBuf,
    slots: Vec<Slot>,
    committed: bool,
}

fn io_write(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

fn hex_path(p: &Path) -> String {
    hex::encode(p.as_os_str().as_bytes())
}

fn unhex_path(s: &str) -> Option<PathBuf> {
    hex::decode(s)
        .ok()
        .map(|b| PathBuf::from(std::ffi::OsString::from_vec(b)))
}

impl OutputSet {
    /// Locks the outputs' directories, settles a journal a killed command left, and prepares
    /// the set. `dests` must be distinct paths, none of them a directory.
    pub fn begin(dests: &[&Path]) -> Result<OutputSet> {
        let Some(first) = dests.first() else {
            return Err(Error::Internal("an empty output set".into()));
        };
        let mut split_dests = Vec::with_capacity(dests.len());
        for d in dests {
            if fs::metadata(d).is_ok_and(|m| m.is_dir()) {
                return Err(Error::Invalid(format!(
                    "output {} is a directory",
                    d.display()
                )));
            }
            // A set is put in place by renaming, which would replace a device or a pipe (as root,
            // /dev/null itself) with a regular file: such outputs are written by write_together.
            if is_special_file(d) {
                return Err(Error::Invalid(format!(
                    "output {} is not a regular file (a device, pipe or socket); outputs that belong together are put in place by renaming, which would replace it: give a regular file",
                    d.display()
                )));
            }
            split_dests.push(split(d)?);
        }
        let journal = journal_path(first)?;
        let locks = DirLocks::take(split_dests.iter().map(|(dir, _)| dir.clone()))?;
        settle_locked(&journal)?;
        let slots: Vec<Slot> = split_dests
            .into_iter()
            .map(|(dir, name)| Slot {
                dest: dir.join(name),
                tmp: random_name(&dir, ".tmp"),
                backup: random_name(&dir, ".old.tmp"),
                written: AtomicBool::new(false),
            })
            .collect();
        let mut text = String::from(JOURNAL_HEADER);
        for s in &slots {
            text.push_str(&format!(
                "out {} {} {}\n",
                hex_path(&s.dest),
                hex_path(&s.tmp),
                hex_path(&s.backup)
            ));
        }
        {
            let mut guard = pending_lock_to_stage(first)?;
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o644)
                .open(&journal)
                .map_err(io_write(first))?;
            guard.insert(journal.clone());
            for s in &slots {
                guard.insert(s.tmp.clone());
                guard.insert(s.backup.clone());
            }
            f.write_all(text.as_bytes()).map_err(io_write(&journal))?;
        }
        Ok(OutputSet {
            _locks: locks,
            journal,
            slots,
            committed: false,
        })
    }

    /// Writes output `index` (in the order given to [`begin`](OutputSet::begin)) to its
    /// temporary file, with the permissions `gramine-sgx-sign` gives it: those of the file it
    /// replaces, or 0666 less the umask for a new file. May be called from any thread.
    pub fn write(&self, index: usize, bytes: &[u8]) -> Result<()> {
        let slot = self
            .slots
            .get(index)
            .ok_or_else(|| Error::Internal(format!("no output {index} in the set")))?;
        // Created under the lock of the interruption handler: once it has run, no file is
        // created any more.
        let guard = pending();
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o666)
            .open(&slot.tmp)
            .map_err(io_write(&slot.dest))?;
        drop(guard);
        if let Ok(old) = fs::metadata(&slot.dest)
            && old.is_file()
        {
            f.set_permissions(fs::Permissions::from_mode(old.permissions().mode() & 0o777))
                .map_err(io_write(&slot.dest))?;
        }
        f.write_all(bytes).map_err(io_write(&slot.dest))?;
        crate::fsutil::start_writeback(&f);
        slot.written.store(true, Ordering::Release);
        Ok(())
    }

    /// Puts every output in place, all or none (see the module documentation).
    pub fn commit(mut self) -> Result<()> {
        if let Some(s) = self
            .slots
            .iter()
            .find(|s| !s.written.load(Ordering::Acquire))
        {
            return Err(Error::Internal(format!(
                "output {} committed before it was written",
                s.dest.display()
            )));
        }
        // From here on, an interruption waits for the set to be in place (or given up).
        let mut guard = pending();
        for s in &self.slots {
            if fs::symlink_metadata(&s.dest).is_ok() {
                fs::hard_link(&s.dest, &s.backup)
                    .or_else(|_| fs::copy(&s.dest, &s.backup).map(|_| ()))
                    .map_err(io_write(&s.dest))?;
            }
        }
        fault("marker").map_err(io_write(&self.journal))?;
        fs::OpenOptions::new()
            .append(true)
            .open(&self.journal)
            .and_then(|mut f| f.write_all(COMMIT_LINE.as_bytes()))
            .map_err(io_write(&self.journal))?;
        let result = place(&self.slots, &self.journal);
        self.committed = result.is_ok() || fs::symlink_metadata(&self.journal).is_ok();
        for s in &self.slots {
            guard.remove(&s.tmp);
            guard.remove(&s.backup);
        }
        guard.remove(&self.journal);
        result
    }
}

impl Drop for OutputSet {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        let mut guard = pending();
        for s in &self.slots {
            let _ = fs::remove_file(&s.tmp);
            let _ = fs::remove_file(&s.backup);
            guard.remove(&s.tmp);
            guard.remove(&s.backup);
        }
        let _ = fs::remove_file(&self.journal);
        guard.remove(&self.journal);
    }
}

/// Renames the temporary files of a committed set into place (those still there), then removes
/// backups and journal; on a failed rename, restores the old set. The directories are locked.
fn place(slots: &[Slot], journal: &Path) -> Result<()> {
    for (i, s) in slots.iter().enumerate() {
        if fs::symlink_metadata(&s.tmp).is_err() {
            continue; // placed before the command was killed
        }
        let renamed = fault(&format!("rename{i}")).and_then(|()| fs::rename(&s.tmp, &s.dest));
        if let Err(e) = renamed {
            let restored = restore(slots);
            let err = Error::Write {
                path: s.dest.clone(),
                source: e,
            };
            return Err(match restored {
                Ok(()) => {
                    let _ = fs::remove_file(journal);
                    err.context(format!(
                        "no output changed: cannot put {} in place",
                        s.dest.display()
                    ))
                }
                Err(r) => r.context(format!(
                    "cannot put {} in place ({}), nor restore the old outputs: {} records what is left to do, settled by the next sign or sigstruct verify",
                    s.dest.display(),
                    crate::error::chain(&err),
                    journal.display()
                )),
            });
        }
    }
    fault("cleanup").map_err(io_write(journal))?;
    for s in slots {
        let _ = fs::remove_file(&s.backup);
    }
    fs::remove_file(journal).map_err(io_write(journal))
}

/// Puts the old outputs back: each output whose temporary file is gone was replaced, and its
/// backup (if it had an old version) is renamed over it, or it is removed (if it had none).
fn restore(slots: &[Slot]) -> Result<()> {
    for s in slots {
        if fs::symlink_metadata(&s.tmp).is_ok() {
            let _ = fs::remove_file(&s.tmp);
            let _ = fs::remove_file(&s.backup);
            continue;
        }
        if fs::symlink_metadata(&s.backup).is_ok() {
            fs::rename(&s.backup, &s.dest).map_err(io_write(&s.dest))?;
        } else {
            match fs::remove_file(&s.dest) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_write(&s.dest)(e)),
            }
        }
    }
    Ok(())
}

/// Parses a journal: its slots and whether it was committed. Incomplete lines (the command was
/// killed while writing it) are ignored; names this module would not have made are refused.
fn parse_journal(path: &Path, text: &[u8]) -> Result<(Vec<Slot>, bool)> {
    let bad = || {
        Error::Invalid(format!(
            "{} is not a journal of sgx-measure (remove it if no sign is running)",
            path.display()
        ))
    };
    if JOURNAL_HEADER.as_bytes().starts_with(text) {
        return Ok((Vec::new(), false)); // killed before its first line was written
    }
    let text = text
        .strip_prefix(JOURNAL_HEADER.as_bytes())
        .ok_or_else(bad)?;
    let mut slots = Vec::new();
    let mut committed = false;
    let mut lines = text.split_inclusive(|&b| b == b'\n');
    for line in lines.by_ref() {
        let Some(line) = line.strip_suffix(b"\n") else {
            break; // cut short by a kill
        };
        if line == COMMIT_LINE.trim_end().as_bytes() {
            committed = true;
            break;
        }
        let line = std::str::from_utf8(line).map_err(|_| bad())?;
        let mut f = line.split(' ');
        let (Some("out"), Some(d), Some(t), Some(b), None) =
            (f.next(), f.next(), f.next(), f.next(), f.next())
        else {
            return Err(bad());
        };
        let (Some(dest), Some(tmp), Some(backup)) = (unhex_path(d), unhex_path(t), unhex_path(b))
        else {
            return Err(bad());
        };
        let same_dir = |p: &Path| p.parent() == dest.parent();
        if !is_our_temp(&tmp) || !is_our_temp(&backup) || !same_dir(&tmp) || !same_dir(&backup) {
            return Err(bad());
        }
        slots.push(Slot {
            dest,
            tmp,
            backup,
            written: AtomicBool::new(true),
        });
    }
    Ok((slots, committed))
}

/// Settles the journal at `journal` (if any) with its directories locked by the caller.
fn settle_locked(journal: &Path) -> Result<()> {
    let text = match fs::read(journal) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(Error::Read {
                what: "journal".into(),
                path: journal.to_path_buf(),
                source,
            });
        }
    };
    let (slots, committed) = parse_journal(journal, &text)?;
    if committed {
        place(&slots, journal)
    } else {
        for s in &slots {
            let _ = fs::remove_file(&s.tmp);
            let _ = fs::remove_file(&s.backup);
        }
        fs::remove_file(journal).map_err(io_write(journal))
    }
}

/// For readers of a set of outputs whose first output is `first` (a `.manifest.sgx`): settles
/// the journal of a command killed while writing them, if there is one, so that the reader sees
/// the old set or the new one, complete. Waits for a command writing them to finish.
pub fn settle(first: &Path) -> Result<()> {
    let Ok(journal) = journal_path(first) else {
        return Ok(());
    };
    let Ok(text) = fs::read(&journal) else {
        return Ok(());
    };
    // Lock every directory the journal names (as the writer did), then read it again: the
    // writer may have finished meanwhile.
    let (slots, _) = parse_journal(&journal, &text)?;
    let mut dirs: Vec<PathBuf> = slots
        .iter()
        .filter_map(|s| s.dest.parent().map(Path::to_path_buf))
        .collect();
    if let Some(d) = journal.parent() {
        dirs.push(d.to_path_buf());
    }
    let _locks = DirLocks::take(dirs)?;
    settle_locked(&journal)
}

/// Whether `path` exists and is neither a regular file nor a directory (`/dev/null`,
/// `/dev/stdout`, a FIFO): such an output is written into, never replaced by a rename, which
/// would turn the device or pipe into a regular file (as [`crate::fsutil::stage`] does).
pub fn is_special_file(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Writes outputs that belong together (`(what, path, bytes)`, `what` naming it in errors):
/// the regular files (existing or new) as one [`OutputSet`], all old or all new; then each
/// special file ([`is_special_file`]) written into directly, outside the set. Outputs that are
/// the same file as another output or as one of `inputs` are refused first (see
/// [`crate::fsutil::check_distinct`]; special files may repeat, `-dumpfile /dev/null -cssfile
/// /dev/null`).
pub fn write_together(
    outputs: &[(&str, &Path, &[u8])],
    inputs: &[crate::fsutil::Named<'_>],
) -> Result<()> {
    let (special, regular): (Vec<_>, Vec<_>) =
        outputs.iter().partition(|(_, p, _)| is_special_file(p));
    let named: Vec<crate::fsutil::Named<'_>> = regular.iter().map(|&&(w, p, _)| (w, p)).collect();
    crate::fsutil::check_distinct(&named, inputs, &Default::default())?;
    if !regular.is_empty() {
        let dests: Vec<&Path> = regular.iter().map(|(_, p, _)| *p).collect();
        let set = OutputSet::begin(&dests)?;
        for (i, (_, _, bytes)) in regular.iter().enumerate() {
            set.write(i, bytes)?;
        }
        set.commit()?;
    }
    for (_, path, bytes) in special {
        fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut f| f.write_all(bytes))
            .map_err(io_write(path))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `sign -o /dev/null` would have renamed a regular file over the device (as root).
    #[test]
    fn a_set_refuses_a_device_as_output() {
        let err = OutputSet::begin(&[Path::new("/dev/null")]).err();
        assert!(
            matches!(&err, Some(Error::Invalid(m)) if m.contains("not a regular file")),
            "{err:?}"
        );
        assert!(fs::metadata("/dev/null").is_ok_and(|m| !m.is_file()));
    }

    /// A journal cut short anywhere (the command was killed while writing it) is read as the
    /// lines it completed; one cut inside its first line is empty (found by the crash test).
    #[test]
    fn journals_cut_short_are_read_as_far_as_complete() {
        let dir = Path::new("/d");
        let (t, b) = (random_name(dir, ".tmp"), random_name(dir, ".old.tmp"));
        let line = format!(
            "out {} {} {}\n",
            hex_path(&dir.join("app.sig")),
            hex_path(&t),
            hex_path(&b)
        );
        let whole = format!("{JOURNAL_HEADER}{line}{COMMIT_LINE}");
        let j = Path::new("/d/.j");
        for cut in 0..=whole.len() {
            let (slots, committed) = parse_journal(j, &whole.as_bytes()[..cut]).unwrap();
            let full_line = cut >= JOURNAL_HEADER.len() + line.len();
            assert_eq!(slots.len(), usize::from(full_line), "cut at {cut}");
            assert_eq!(committed, cut == whole.len(), "cut at {cut}");
        }
        assert!(parse_journal(j, b"something else\n").is_err());
    }

    #[test]
    fn temp_names_are_recognised_strictly() {
        let dir = Path::new("/d");
        assert!(is_our_temp(&random_name(dir, ".tmp")));
        assert!(is_our_temp(&random_name(dir, ".old.tmp")));
        for other in [
            "/d/.sgx-measure-0123.tmp",
            "/d/app.sig",
            "/d/.sgx-measure-0123456789abcdef.tm",
            "/d/.sgx-measure-0123456789abcdeg.tmp",
        ] {
            assert!(!is_our_temp(Path::new(other)), "{other}");
        }
    }
}
