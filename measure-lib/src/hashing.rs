//! Hashing trusted files at hardware speed: in parallel across files (largest first, each core
//! taking the next file as it finishes one, so both stay busy to the end of a tree of many small
//! files and a few large ones), small files read with `read` into a buffer that stays in the
//! core's cache, large ones mapped with their memory prefetched ahead of the hashing (so the
//! SHA-256 rounds never wait on memory), SHA-256 from `sha2` (SHA-NI when the CPU has it), an
//! optional persistent cache, and progress reported to a [`Progress`] receiver.
//!
//! Files hashed by path (and a walk's large files) are hashed several at once on each core, their
//! SHA-256 rounds interleaved (the `lanes` module): with the SHA extensions, one core then hashes
//! more bytes per second than one SHA-256 stream can.
//!
//! A data set's walk hashes its files as it meets them (`FileHasher::hash_at`: each file opened
//! from its open directory and looked at once through the open file, no pass over the files
//! before), leaving its large files for the end, largest first.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use measure_core::sha256::{BLOCK_LEN, Midstate};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::fsutil;

mod lanes;

/// Read size: large enough for few system calls, small enough to stay in a core's L2 cache
/// between the copy out of the page cache and the hashing.
const CHUNK: usize = 256 << 10;

/// Maps keyed by path: seeded per process, faster than SipHash.
type PathMap<V> = std::collections::HashMap<PathBuf, V, foldhash::fast::RandomState>;

/// Receives the progress of hashing runs, e.g. to draw a progress bar.
pub trait Progress: Send + Sync {
    /// A run starts with `total_bytes` to hash (files found in the cache are not counted).
    fn start(&self, total_bytes: u64);
    /// `bytes` more were hashed; called from several threads at once.
    fn advance(&self, bytes: u64);
    /// The run ended.
    fn finish(&self);
    /// `bytes` more to hash were found after the run started: a run that hashes a tree while
    /// it walks it learns its total as it goes (it starts with 0).
    fn found(&self, bytes: u64) {
        let _ = bytes;
    }
}

/// What identifies an unchanged file: path, size, modification and change times, inode, device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileKey {
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
    ino: u64,
    dev: u64,
}

impl FileKey {
    fn of(m: &std::fs::Metadata) -> Self {
        FileKey {
            size: m.size(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
            ctime_ns: i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec()),
            ino: m.ino(),
            dev: m.dev(),
        }
    }

    /// The key of the file `name` of the open directory `dir` (symbolic links followed, as
    /// [`std::fs::metadata`] follows them): one path component to resolve instead of a whole
    /// path.
    pub(crate) fn at(dir: &File, name: &str) -> Option<Self> {
        use std::os::fd::AsRawFd;
        fsutil::with_c_name(name, |c| {
            let c = c?;
            let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
            // SAFETY: `dir` is an open file descriptor for the duration of the call, `c` a valid
            // NUL-terminated string, and `st` room for the `stat` the call writes.
            if unsafe { libc::fstatat(dir.as_raw_fd(), c.as_ptr(), st.as_mut_ptr(), 0) } != 0 {
                return None;
            }
            // SAFETY: fstatat returned 0: it filled `st`.
            let st = unsafe { st.assume_init() };
            let ns = |sec: i64, nsec: i64| i128::from(sec) * 1_000_000_000 + i128::from(nsec);
            Some(FileKey {
                size: u64::try_from(st.st_size).ok()?,
                mtime_ns: ns(st.st_mtime, st.st_mtime_nsec),
                ctime_ns: ns(st.st_ctime, st.st_ctime_nsec),
                ino: st.st_ino,
                dev: st.st_dev,
            })
        })
    }
}

/// When the entries a run adds to the cache are recorded: taken before any of its files is
/// looked at (see `trusted`), by [`FileHasher::hash_all`] or, for a walk that looks its files
/// up as it goes ([`FileKey::at`]), before the walk.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RecordedAt(i128);

impl RecordedAt {
    pub(crate) fn now() -> Self {
        RecordedAt(now_ns())
    }
}

/// A file whose modification or change time is less than this before the moment its hash was
/// recorded may have been rewritten in the same timestamp tick (1 s on ext4 without large
/// inodes, 2 s on FAT; a few ms on others): its entry is not trusted ("racily clean", as git
/// calls it), and the file is hashed again.
const RACY_NS: i128 = 2_000_000_000;

/// A cached hash: the file's [`FileKey`] when it was hashed, the hash, and when that was
/// (nanoseconds since the epoch, taken before the file was looked at).
type Cached = (FileKey, [u8; 32], i128);

/// Whether a cached entry can be trusted for a file whose key is `now`: same key, and not
/// racily clean (changed too shortly before the entry was recorded to tell a later rewrite of
/// the same size apart).
fn trusted(cached: &Cached, now: &FileKey) -> bool {
    let (key, _, recorded_ns) = cached;
    key == now && key.mtime_ns + RACY_NS < *recorded_ns && key.ctime_ns + RACY_NS < *recorded_ns
}

fn now_ns() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

/// A persistent map from (absolute path, [`FileKey`]) to SHA-256, stored as JSON lines (one
/// entry a line, sorted by path; docs/formats.md). Loading it allocates nothing per entry: the
/// file is read once and every line is checked and indexed in place (on every core), entries
/// sorted by path for a binary search (the file is written in that order, so it is only checked
/// to be sorted).
#[derive(Debug, Default)]
struct HashCache {
    path: PathBuf,
    /// The cache file's text as loaded.
    text: String,
    /// Paths of the lines that needed a JSON reader (escapes), unescaped, one after the other.
    unescaped: String,
    /// Every entry, sorted by path bytes, one per path (the last line wins).
    index: Vec<Indexed>,
    /// Entries hashed by this process: what it adds to the file when saving.
    updated: PathMap<Cached>,
}

/// A cache entry as loaded: where its path is, its line when that can be copied as it is, and
/// the entry.
#[derive(Clone, Debug)]
struct Indexed {
    /// The path: a range of `text`, or of `unescaped` if `line` is `None`.
    path: std::ops::Range<usize>,
    /// The line, in `text`, when read by the direct reader (then written back unchanged).
    line: Option<std::ops::Range<usize>>,
    cached: Cached,
}

/// The entries of a piece of the cache file (each with its path unescaped when the JSON reader
/// was needed), or where the malformed line starts.
type PieceRead = std::result::Result<Vec<(Indexed, Option<String>)>, usize>;

/// Lines per piece of the cache file checked on one core.
const CACHE_LINES_PER_PIECE: usize = 4096;

impl HashCache {
    fn load(path: &Path) -> Result<Self> {
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(source) => {
                return Err(Error::Read {
                    what: "hash cache".into(),
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let malformed = |line: usize| Error::HashCache {
            path: path.to_path_buf(),
            line,
        };
        let text = String::from_utf8(text).map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            malformed(memchr::memchr_iter(b'\n', valid).count() + 1)
        })?;
        let mut cache = HashCache {
            path: path.to_path_buf(),
            ..Default::default()
        };
        // Pieces of whole lines, each read on one core; a line's number is found again only for
        // the error.
        let mut pieces = Vec::new();
        let mut start = 0;
        while start < text.len() {
            let end = memchr::memchr_iter(b'\n', &text.as_bytes()[start..])
                .nth(CACHE_LINES_PER_PIECE - 1)
                .map_or(text.len(), |i| start + i + 1);
            pieces.push(start..end);
            start = end;
        }
        let read: Vec<PieceRead> = pieces
            .into_par_iter()
            .map(|piece| {
                let mut out = Vec::with_capacity(CACHE_LINES_PER_PIECE);
                let mut at = piece.start;
                for line in text[piece.clone()].split_inclusive('\n') {
                    let body = line.strip_suffix('\n').unwrap_or(line);
                    let entry = match parse_cache_line_fast(body) {
                        Some((p, cached)) => {
                            let p_start = p.as_ptr() as usize - text.as_ptr() as usize;
                            let indexed = Indexed {
                                path: p_start..p_start + p.len(),
                                line: Some(at..at + line.len()),
                                cached,
                            };
                            (indexed, None)
                        }
                        None => match parse_cache_line_json(body) {
                            Some((p, cached)) => {
                                let indexed = Indexed {
                                    path: 0..0,
                                    line: None,
                                    cached,
                                };
                                (indexed, Some(p))
                            }
                            None => return Err(at),
                        },
                    };
                    out.push(entry);
                    at += line.len();
                }
                Ok(out)
            })
            .collect();
        let mut index =
            Vec::with_capacity(read.iter().map(|r| r.as_ref().map_or(0, Vec::len)).sum());
        for piece in read {
            let piece = piece.map_err(|at| {
                malformed(memchr::memchr_iter(b'\n', &text.as_bytes()[..at]).count() + 1)
            })?;
            for (mut indexed, unescaped) in piece {
                if let Some(p) = unescaped {
                    let start = cache.unescaped.len();
                    cache.unescaped.push_str(&p);
                    indexed.path = start..cache.unescaped.len();
                }
                index.push(indexed);
            }
        }
        cache.text = text;
        // Sorted already when this program wrote the file; otherwise sorted here (stable: of
        // several lines for a path, the last one is kept).
        let sorted = index
            .windows(2)
            .all(|w| cache.key(&w[0]) < cache.key(&w[1]));
        if !sorted {
            index.sort_by(|a, b| cache.key(a).cmp(cache.key(b)));
            let mut unique: Vec<Indexed> = Vec::with_capacity(index.len());
            for e in index {
                match unique.last_mut() {
                    Some(last) if cache.key(last) == cache.key(&e) => *last = e,
                    _ => unique.push(e),
                }
            }
            index = unique;
        }
        cache.index = index;
        Ok(cache)
    }

    /// The path of an entry, as bytes.
    fn key(&self, e: &Indexed) -> &[u8] {
        let source = if e.line.is_some() {
            &self.text
        } else {
            &self.unescaped
        };
        source.as_bytes().get(e.path.clone()).unwrap_or_default()
    }

    /// The entry of an absolute path: hashed by this process, or loaded.
    fn get(&self, abs: &Path) -> Option<&Cached> {
        if let Some(e) = self.updated.get(abs) {
            return Some(e);
        }
        let k = abs.as_os_str().as_encoded_bytes();
        let i = self.index.binary_search_by(|e| self.key(e).cmp(k)).ok()?;
        self.index.get(i).map(|e| &e.cached)
    }

    /// Adds this process's new hashes to the cache file (nothing is written when there are
    /// none). Other processes may save the same file at the same time: under an exclusive lock
    /// of its directory, the file is read again and this process's entries merged into it, then
    /// it is replaced atomically, so that no writer's entries are lost and no reader sees a
    /// partial file.
    fn save(&self) -> Result<()> {
        if self.updated.is_empty() {
            return Ok(());
        }
        let _lock = lock_dir_of(&self.path)?;
        // A cache file another version cannot read is replaced rather than merged.
        let current = Self::load(&self.path).unwrap_or_default();
        let mut new: Vec<(&str, &Cached)> = self
            .updated
            .iter()
            .filter_map(|(p, e)| Some((p.to_str()?, e)))
            .collect();
        new.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut out = String::with_capacity(current.text.len() + new.len().saturating_mul(220));
        let mut old = current.index.iter().peekable();
        let write_old = |out: &mut String, e: &Indexed| match &e.line {
            Some(line) => {
                out.push_str(current.text.get(line.clone()).unwrap_or_default());
                if !out.ends_with('\n') {
                    out.push('\n');
                }
            }
            None => {
                let p = current.unescaped.get(e.path.clone()).unwrap_or_default();
                let (k, h, recorded) = &e.cached;
                write_cache_line(out, p, k, *recorded, h);
            }
        };
        for (p, (k, h, recorded)) in new {
            while let Some(e) = old.next_if(|e| current.key(e) <= p.as_bytes()) {
                if current.key(e) != p.as_bytes() {
                    write_old(&mut out, e);
                }
            }
            write_cache_line(&mut out, p, k, *recorded, h);
        }
        for e in old {
            write_old(&mut out, e);
        }
        fsutil::write_atomic(&self.path, out.as_bytes())
    }
}

/// An exclusive `flock` of the directory holding `path`, released when dropped.
fn lock_dir_of(path: &Path) -> Result<File> {
    use std::os::fd::AsRawFd;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let f = File::open(dir).map_err(|source| Error::CreateIn {
        what: "a lock on the hash cache",
        dir: dir.to_path_buf(),
        source,
    })?;
    loop {
        // SAFETY: flock on a file descriptor owned by `f`.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } == 0 {
            return Ok(f);
        }
        let source = io::Error::last_os_error();
        if source.kind() != io::ErrorKind::Interrupted {
            return Err(Error::CreateIn {
                what: "a lock on the hash cache",
                dir: dir.to_path_buf(),
                source,
            });
        }
    }
}

/// One cache line, as [`HashCache::save`] writes it:
/// `{"path":P,"size":"N","mtime_ns":"N","ctime_ns":"N","ino":"N","dev":"N","recorded_ns":"N","sha256":"HEX"}`
/// (numbers as strings, so no JSON reader rounds them).
fn write_cache_line(out: &mut String, path: &str, k: &FileKey, recorded_ns: i128, h: &[u8; 32]) {
    use std::fmt::Write as _;
    out.push_str("{\"path\":");
    out.push_str(&serde_json::to_string(path).unwrap_or_default());
    let _ = writeln!(
        out,
        ",\"size\":\"{}\",\"mtime_ns\":\"{}\",\"ctime_ns\":\"{}\",\"ino\":\"{}\",\"dev\":\"{}\",\"recorded_ns\":\"{}\",\"sha256\":\"{}\"}}",
        k.size,
        k.mtime_ns,
        k.ctime_ns,
        k.ino,
        k.dev,
        recorded_ns,
        hex::encode(h)
    );
}

/// A cache line read: the path and its [`Cached`] entry.
#[cfg(test)]
type CacheLine = (String, Cached);

/// Reads a cache line: the layout [`write_cache_line`] writes, directly; anything else (another
/// key order, spacing, escapes in the path, no `recorded_ns`) through a JSON parser.
#[cfg(test)]
fn parse_cache_line(line: &str) -> Option<CacheLine> {
    if let Some((p, cached)) = parse_cache_line_fast(line) {
        return Some((p.to_string(), cached));
    }
    parse_cache_line_json(line)
}

/// Reads a cache line with a JSON parser. An entry without `recorded_ns` (written before the
/// time was recorded) reads as recorded at 0: never trusted, hashed again.
fn parse_cache_line_json(line: &str) -> Option<(String, Cached)> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let num = |k: &str| v[k].as_str().and_then(|s| s.parse::<i128>().ok());
    let h = v["sha256"]
        .as_str()
        .and_then(|h| hex::decode(h).ok())
        .and_then(|h| <[u8; 32]>::try_from(h).ok())?;
    let key = FileKey {
        size: num("size")? as u64,
        mtime_ns: num("mtime_ns")?,
        ctime_ns: num("ctime_ns")?,
        ino: num("ino")? as u64,
        dev: num("dev")? as u64,
    };
    let recorded = num("recorded_ns").unwrap_or(0);
    Some((v["path"].as_str()?.to_string(), (key, h, recorded)))
}

/// Reads a line in the layout [`write_cache_line`] writes (the path without escapes): the path,
/// borrowed from the line, and the entry.
fn parse_cache_line_fast(line: &str) -> Option<(&str, Cached)> {
    let rest = line.strip_prefix("{\"path\":\"")?;
    let end = rest.find('"')?;
    let (path, rest) = rest.split_at(end);
    if path.contains('\\') || path.chars().any(char::is_control) {
        return None;
    }
    let mut rest = rest.strip_prefix('"')?;
    let mut field = |name: &str| -> Option<&str> {
        let r = rest
            .strip_prefix(",\"")?
            .strip_prefix(name)?
            .strip_prefix("\":\"")?;
        let end = r.find('"')?;
        let (value, r) = r.split_at(end);
        rest = r.strip_prefix('"')?;
        Some(value)
    };
    let num = |s: &str| -> Option<i128> {
        (!s.is_empty()
            && s.bytes()
                .enumerate()
                .all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-')))
        .then(|| s.parse().ok())
        .flatten()
    };
    let size = num(field("size")?)?;
    let mtime_ns = num(field("mtime_ns")?)?;
    let ctime_ns = num(field("ctime_ns")?)?;
    let ino = num(field("ino")?)?;
    let dev = num(field("dev")?)?;
    let recorded = num(field("recorded_ns")?)?;
    let mut h = [0u8; 32];
    hex::decode_to_slice(field("sha256")?, &mut h).ok()?;
    if rest != "}" {
        return None;
    }
    let key = FileKey {
        size: size as u64,
        mtime_ns,
        ctime_ns,
        ino: ino as u64,
        dev: dev as u64,
    };
    Some((path, (key, h, recorded)))
}

/// Whether `p` is absolute with no `.`, `..` or empty component and no trailing slash: what
/// `std::path::absolute` returns for it is itself.
fn is_plain_absolute(p: &Path) -> bool {
    let b = p.as_os_str().as_encoded_bytes();
    b.len() > 1
        && b.first() == Some(&b'/')
        && b.last() != Some(&b'/')
        && b[1..]
            .split(|&c| c == b'/')
            .all(|c| !c.is_empty() && c != b"." && c != b"..")
}

/// Hashes files, using and filling an optional cache.
pub struct FileHasher {
    cache: Option<HashCache>,
    progress: Option<Box<dyn Progress>>,
    /// Bytes actually read and hashed (cache misses), for reporting.
    pub bytes_hashed: u64,
    /// Files served from the cache.
    pub cache_hits: usize,
    /// (device, inode) of every file looked at, so that callers can refuse to write over one.
    opened: Vec<Vec<(u64, u64)>>,
    /// `opened` as a set, made when first asked for (a data owner's million files are never
    /// asked about).
    opened_set: std::sync::OnceLock<std::collections::HashSet<(u64, u64)>>,
}

/// A file's cache key (when it could be read), absolute path (with a cache, when not found in
/// it), and cached hash.
type LookedUp = (Option<FileKey>, Option<PathBuf>, Option<[u8; 32]>);

/// Opens a file to hash it, refusing anything but a regular file. The file is opened without
/// blocking and checked after opening: a file replaced by a FIFO after it was listed or looked
/// at would otherwise block the open until a writer came. The flag stays set (no two more system
/// calls per file): reading a regular file ignores it, and a read that would block anyway clears
/// it ([`read_blocking`]).
fn open_regular(path: &Path) -> io::Result<(File, std::fs::Metadata)> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    regular(file)
}

/// `file` with its metadata, if it is a regular file.
fn regular(file: File) -> io::Result<(File, std::fs::Metadata)> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok((file, meta))
}

/// [`open_regular`] for the file `name` of the open directory `dir` (one path component to
/// resolve).
fn open_regular_at(dir: &File, name: &std::ffi::CStr) -> io::Result<(File, std::fs::Metadata)> {
    regular(crate::fsutil::open_at(
        dir,
        name,
        libc::O_RDONLY | libc::O_NONBLOCK,
    )?)
}

/// Clears `O_NONBLOCK` of a file opened by [`open_regular`], for a file system that honours it
/// for regular files.
fn read_blocking(file: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: fcntl on a file descriptor owned by `file`.
    let flags = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETFL) };
    // SAFETY: as above.
    if flags < 0
        || unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0
    {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Files at least this large met by a walk that hashes as it goes are hashed after the walk,
/// largest first (see [`FileHasher::hash_at`]).
const LATER_THRESHOLD: u64 = 1 << 20;

/// A regular file met by a walk, as [`FileHasher::hash_at`] found it.
pub(crate) enum AtFile {
    /// Hashed: its hash, the bytes read, its (device, inode).
    Hashed {
        hash: [u8; 32],
        size: u64,
        id: (u64, u64),
    },
    /// Large: to hash after the walk ([`FileHasher::finish_walk`]).
    Large { size: u64, id: (u64, u64) },
    /// `access(R_OK)` refuses it.
    Unreadable,
    /// It could not be opened or read, or is not a regular file after all.
    Failed(io::Error),
}

/// SHA-256 of one file's contents, read or mapped as the lanes read them (one lane).
pub fn hash_file(path: &Path, on_progress: &dyn Fn(u64)) -> io::Result<[u8; 32]> {
    let mut file = Some(path);
    let mut take = |spare: &mut Vec<Vec<u8>>| {
        let path = file.take()?;
        let buf = spare.pop().unwrap_or_else(|| vec![0u8; CHUNK]);
        Some((0, LaneSource::open(path, buf)))
    };
    run_lanes(&mut take, on_progress).pop().map_or_else(
        || Err(io::Error::other("not hashed")),
        |(_, r)| r.map(|(h, _)| h),
    )
}

/// How far ahead of the hashing a mapped file's memory is prefetched: the hardware prefetcher
/// does not cross pages, so without a hint each page of a mapped file starts with misses.
const PREFETCH_AHEAD: usize = 64 << 10;

/// Puts the indices of the largest files first (of equal sizes, in their order): a large file
/// met last would leave the other cores idle at the end.
fn largest_first(order: &mut [usize], size: impl Fn(usize) -> u64) {
    order.sort_by_key(|&i| std::cmp::Reverse(size(i)));
}

/// A file being hashed in one of a core's lanes ([`hash_in_lanes`]).
struct LaneFile {
    /// Its index among the files to hash.
    index: usize,
    source: LaneSource,
    state: Midstate,
}

/// Where a lane's bytes come from.
enum LaneSource {
    /// A large file (see [`LANE_MAP_THRESHOLD`]) of `size` bytes when opened, mapped a window at a
    /// time: `map` holds the file from `offset`, hashed up to `at`.
    Mapped {
        file: File,
        size: u64,
        offset: u64,
        map: memmap2::Mmap,
        at: usize,
    },
    /// A file read into `buf`: `buf[start..end]` is read and not yet hashed.
    Read {
        file: File,
        /// The size the open file had: a first read returning exactly that much, less than the
        /// buffer holds, has met the end (no second read to be told so).
        size: u64,
        buf: Vec<u8>,
        start: usize,
        end: usize,
        first: bool,
        eof: bool,
    },
}

impl LaneSource {
    /// Opens `path` as [`hash_file`] does.
    fn open(path: &Path, buf: Vec<u8>) -> io::Result<Self> {
        let (file, meta) = open_regular(path)?;
        Self::of(file, meta.len(), buf)
    }

    /// An open regular file of `size` bytes when opened: mapped if large, else read into `buf`.
    fn of(file: File, size: u64, buf: Vec<u8>) -> io::Result<Self> {
        if size >= LANE_MAP_THRESHOLD {
            let map = map_window(&file, 0, size)?;
            return Ok(LaneSource::Mapped {
                file,
                size,
                offset: 0,
                map,
                at: 0,
            });
        }
        Ok(LaneSource::Read {
            file,
            size,
            buf,
            start: 0,
            end: 0,
            first: true,
            eof: false,
        })
    }

    /// The bytes ready to hash: at least a block unless the file's end is near (then all that
    /// is left).
    fn ready(&mut self) -> io::Result<&[u8]> {
        match self {
            LaneSource::Mapped {
                file,
                size,
                offset,
                map,
                at,
            } => {
                // Windows start at multiples of the window size (a multiple of the block size):
                // a window ends on a block boundary, and only the file's last one has a tail.
                let window_end = *offset + map.len() as u64;
                if *at >= map.len() && window_end < *size {
                    *map = map_window(file, window_end, *size)?;
                    *offset = window_end;
                    *at = 0;
                }
            }
            LaneSource::Read {
                file,
                size,
                buf,
                start,
                end,
                first,
                eof,
            } => {
                while !*eof && *end - *start < BLOCK_LEN {
                    // What is left of a block moves to the front; the rest of the buffer fills.
                    buf.copy_within(*start..*end, 0);
                    *end -= *start;
                    *start = 0;
                    let Some(space) = buf.get_mut(*end..) else {
                        return Err(io::Error::other("lane buffer"));
                    };
                    match file.read(space) {
                        Ok(0) => *eof = true,
                        Ok(n) => {
                            *end += n;
                            if std::mem::take(first) && n as u64 == *size && n < space.len() {
                                *eof = true;
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => read_blocking(file)?,
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(self.buffered())
    }

    /// The bytes mapped or read and not yet hashed.
    fn buffered(&self) -> &[u8] {
        match self {
            LaneSource::Mapped { map, at, .. } => map.get(*at..).unwrap_or_default(),
            LaneSource::Read {
                buf, start, end, ..
            } => buf.get(*start..*end).unwrap_or_default(),
        }
    }

    /// Marks `n` ready bytes hashed.
    fn consume(&mut self, n: usize) {
        match self {
            LaneSource::Mapped { at, .. } => *at += n,
            LaneSource::Read { start, .. } => *start += n,
        }
    }

    /// The read buffer, for the next file of the lane.
    fn into_buffer(self) -> Option<Vec<u8>> {
        match self {
            LaneSource::Read { buf, .. } => Some(buf),
            LaneSource::Mapped { .. } => None,
        }
    }
}

/// Files at least this large are mapped by a lane rather than read: `read` copies out of the
/// page cache at 0.6 to 2 GB/s on the 2-core reference machine (its kernel's copy), slower than
/// SHA-256, where the mapped pages are read at 5 to 6 GB/s. Below this size, mapping, faulting
/// and unmapping each file cost more than the copy. Measured on the application tree of
/// `benches/compare.py` (medians of 6 runs): 256 KiB 1.755 s wall and 3.32 s CPU, against 1 MiB
/// 1.86 s and 3.47 s, 64 KiB 1.87 s and 3.44 s, 16 KiB 1.89 s and 3.56 s.
const LANE_MAP_THRESHOLD: u64 = 256 << 10;

/// How much of a large file a lane maps at a time: the mapped pages of the files being hashed
/// stay few (they count as the process's memory until unmapped), and a window is a multiple of
/// any page and block size.
const MAP_WINDOW: u64 = 8 << 20;

/// Maps the window of `file` (of `size` bytes) that starts at `offset` (a multiple of
/// [`MAP_WINDOW`]).
fn map_window(file: &File, offset: u64, size: u64) -> io::Result<memmap2::Mmap> {
    let len = usize::try_from(size.saturating_sub(offset).min(MAP_WINDOW))
        .map_err(|_| io::Error::other("window size"))?;
    // SAFETY: the mapping is private to this lane and only read; if another process truncates
    // the file meanwhile, the result is a wrong hash or SIGBUS (as with any mmap-based hasher),
    // never memory unsafety observable by safe code here.
    let map = unsafe {
        let mut options = memmap2::MmapOptions::new();
        // Not populated: the pages are mapped as the hashing reaches them (each fault maps
        // several), which measured faster than mapping a window's pages all at once.
        options.offset(offset).len(len).map(file)?
    };
    let _ = map.advise(memmap2::Advice::Sequential);
    Ok(map)
}

/// Files hashed at once on each core (see the `lanes` module).
pub(crate) const LANES: usize = 4;
/// Blocks every lane advances by at a time: a page, so that a mapped lane's memory is prefetched
/// [`PREFETCH_AHEAD`] ahead once per page (one touch per page is enough: the hardware prefetcher
/// follows the stream within the page; touching every line costs more than it saves).
const LANE_STEP_BLOCKS: usize = 4096 / BLOCK_LEN;

/// Hashes the files `path(i)` for every index of `order` on every core, each core hashing
/// [`LANES`] files at once (their SHA-256 rounds interleaved: see the `lanes` module) and taking
/// the next index as a lane finishes its file, so the first indices (the largest files) start
/// first; results by index. A file is opened and read as [`hash_file`] reads it.
fn hash_in_lanes<'p>(
    order: &[usize],
    path: &(dyn Fn(usize) -> Option<&'p Path> + Sync),
    on_progress: &(dyn Fn(u64) + Sync),
) -> Vec<(usize, io::Result<[u8; 32]>)> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(order.len()));
    let workers = rayon::current_num_threads().clamp(1, order.len().max(1));
    rayon::scope(|s| {
        for _ in 0..workers {
            s.spawn(|_| {
                let mine = hash_lanes_of_one_core(order, &next, path, on_progress);
                if let Ok(mut all) = results.lock() {
                    all.extend(mine);
                }
            });
        }
    });
    results.into_inner().unwrap_or_default()
}

/// One core's part of [`hash_in_lanes`].
fn hash_lanes_of_one_core<'p>(
    order: &[usize],
    next: &AtomicUsize,
    path: &(dyn Fn(usize) -> Option<&'p Path> + Sync),
    on_progress: &(dyn Fn(u64) + Sync),
) -> Vec<(usize, io::Result<[u8; 32]>)> {
    let mut take = |spare: &mut Vec<Vec<u8>>| {
        let k = next.fetch_add(1, Ordering::Relaxed);
        let &index = order.get(k)?;
        let Some(p) = path(index) else {
            return Some((index, Err(io::Error::other("not hashed"))));
        };
        let buf = spare.pop().unwrap_or_else(|| vec![0u8; CHUNK]);
        Some((index, LaneSource::open(p, buf)))
    };
    run_lanes(&mut take, on_progress)
        .into_iter()
        .map(|(i, r)| (i, r.map(|(hash, _)| hash)))
        .collect()
}

thread_local! {
    /// Each worker's lane buffers, kept from one run of lanes to the next (allocated once,
    /// never zeroed again).
    static LANE_BUFFERS: std::cell::RefCell<Vec<Vec<u8>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// A file for a lane: its index and source, or why it cannot be hashed.
type NextLane = Option<(usize, io::Result<LaneSource>)>;

/// A file's hash and the bytes hashed, by a lane.
type LaneHash = io::Result<([u8; 32], u64)>;

/// Hashes the files `next` gives (it is handed spare read buffers to take from) on this core,
/// [`LANES`] at once, a lane taking the next file as it finishes one; results (hash and bytes
/// hashed) with their indices, in the order they finish.
fn run_lanes(
    next: &mut dyn FnMut(&mut Vec<Vec<u8>>) -> NextLane,
    on_progress: &dyn Fn(u64),
) -> Vec<(usize, LaneHash)> {
    let mut spare = LANE_BUFFERS.take();
    let mut out = Vec::new();
    let mut lanes: Vec<LaneFile> = Vec::with_capacity(LANES);
    let mut unreported = 0u64;
    let mut more = true;
    loop {
        // Every free lane takes the next file.
        while more && lanes.len() < LANES {
            match next(&mut spare) {
                Some((index, Ok(source))) => lanes.push(LaneFile {
                    index,
                    source,
                    state: Midstate::INITIAL,
                }),
                Some((index, Err(e))) => out.push((index, Err(e))),
                None => more = false,
            }
        }
        if lanes.is_empty() {
            break;
        }
        // Lanes whose file is read to its end (less than a block left) are finished; a lane
        // that cannot be read is done too.
        // The others step by the whole blocks all of them have ready (a page at most).
        let mut finished = false;
        let mut step = LANE_STEP_BLOCKS;
        let mut i = 0;
        while let Some(lane) = lanes.get_mut(i) {
            let outcome = match lane.source.ready() {
                Ok(ready) if ready.len() >= BLOCK_LEN => {
                    step = step.min(ready.len() / BLOCK_LEN);
                    None
                }
                Ok(tail) => {
                    unreported += tail.len() as u64;
                    let bytes = lane.state.blocks * BLOCK_LEN as u64 + tail.len() as u64;
                    Some(Ok((lane.state.finalize_with_tail(tail), bytes)))
                }
                Err(e) => Some(Err(e)),
            };
            match outcome {
                None => i += 1,
                Some(r) => {
                    let done = lanes.swap_remove(i);
                    out.push((done.index, r));
                    spare.extend(done.source.into_buffer());
                    finished = true;
                }
            }
        }
        if finished {
            // Free lanes take files first, so all lanes step together as long as there are files.
            continue;
        }
        let mut states: Vec<&mut Midstate> = Vec::with_capacity(LANES);
        let mut blocks: Vec<&[lanes::Block]> = Vec::with_capacity(LANES);
        for lane in &mut lanes {
            if let LaneSource::Mapped { map, at, .. } = &lane.source {
                prefetch(map, *at + PREFETCH_AHEAD);
            }
            let whole = lane.source.buffered().as_chunks::<BLOCK_LEN>().0;
            blocks.push(whole.get(..step).unwrap_or(whole));
            states.push(&mut lane.state);
        }
        lanes::compress(&mut states, &blocks);
        drop(states);
        let bytes = step * BLOCK_LEN;
        for lane in &mut lanes {
            lane.source.consume(bytes);
        }
        unreported += (bytes * lanes.len()) as u64;
        if unreported >= 1 << 20 {
            on_progress(std::mem::take(&mut unreported));
        }
    }
    on_progress(unreported);
    spare.truncate(LANES);
    LANE_BUFFERS.set(spare);
    out
}

/// Hints the CPU to bring `map[at]` into its cache (nothing past the end).
fn prefetch(map: &[u8], at: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(byte) = map.get(at) {
        // SAFETY: prefetching reads nothing architecturally and never faults; the address is
        // inside the mapping.
        unsafe {
            std::arch::x86_64::_mm_prefetch(
                std::ptr::from_ref(byte).cast::<i8>(),
                std::arch::x86_64::_MM_HINT_T0,
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (map, at);
}

impl std::fmt::Debug for FileHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileHasher")
            .field("cache", &self.cache)
            .field("progress", &self.progress.is_some())
            .field("bytes_hashed", &self.bytes_hashed)
            .field("cache_hits", &self.cache_hits)
            .finish()
    }
}

impl FileHasher {
    /// A hasher with an optional cache file.
    pub fn new(cache: Option<&Path>) -> Result<Self> {
        Ok(FileHasher {
            cache: cache.map(HashCache::load).transpose()?,
            progress: None,
            bytes_hashed: 0,
            cache_hits: 0,
            opened: Vec::new(),
            opened_set: std::sync::OnceLock::new(),
        })
    }

    /// Reports the progress of later runs to `progress`.
    pub fn with_progress(mut self, progress: Box<dyn Progress>) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Hashes every path (in parallel, largest files first), returning results in input order.
    pub fn hash_all(&mut self, paths: &[PathBuf]) -> Vec<io::Result<[u8; 32]>> {
        self.hash_all_keyed(paths, &[], RecordedAt::now())
    }

    /// [`hash_all`](Self::hash_all) with the keys of the first files already looked up
    /// (`keys[i]` for `paths[i]`: `None` if it could not be), and the moment new entries are
    /// recorded, taken before those were.
    pub(crate) fn hash_all_keyed(
        &mut self,
        paths: &[PathBuf],
        keys: &[Option<FileKey>],
        recorded: RecordedAt,
    ) -> Vec<io::Result<[u8; 32]>> {
        if paths.is_empty() {
            return Vec::new();
        }
        let recorded_ns = recorded.0;
        // Each file's metadata (cache key, size, type) and cache lookup, on every core.
        let cwd = std::env::current_dir().ok();
        let absolute = |p: &Path| -> PathBuf {
            let joined;
            let p = match (&cwd, p.is_relative()) {
                (Some(c), true) => {
                    joined = c.join(p);
                    joined.as_path()
                }
                _ => p,
            };
            std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
        };
        let cache = self.cache.as_ref();
        let looked_up: Vec<LookedUp> = paths
            .par_iter()
            .enumerate()
            .with_min_len(64)
            .map(|(i, p)| {
                let key = match keys.get(i) {
                    Some(key) => *key,
                    None => std::fs::metadata(p).ok().as_ref().map(FileKey::of),
                };
                let (Some(c), Some(k)) = (cache, &key) else {
                    return (key, None, None);
                };
                // An absolute path already in the form `absolute` gives is looked up as it is
                // (no copy per file on a warm run); the others are made absolute.
                let abs: std::borrow::Cow<'_, Path> = if is_plain_absolute(p) {
                    std::borrow::Cow::Borrowed(p)
                } else {
                    std::borrow::Cow::Owned(absolute(p))
                };
                match c.get(&abs).filter(|cached| trusted(cached, k)) {
                    Some((_, h, _)) => (key, None, Some(*h)),
                    None => (key, Some(abs.into_owned()), None),
                }
            })
            .collect();
        self.opened_set.take();
        self.opened.push(
            looked_up
                .iter()
                .filter_map(|(k, _, _)| k.map(|k| (k.dev, k.ino)))
                .collect(),
        );
        let mut results: Vec<Option<io::Result<[u8; 32]>>> = Vec::with_capacity(paths.len());
        let mut todo: Vec<usize> = Vec::new();
        let mut total = 0u64;
        for (i, (key, _, hit)) in looked_up.iter().enumerate() {
            if let Some(h) = hit {
                self.cache_hits += 1;
                results.push(Some(Ok(*h)));
            } else {
                total += key.map_or(0, |k| k.size);
                todo.push(i);
                results.push(None);
            }
        }
        largest_first(&mut todo, |i| {
            looked_up
                .get(i)
                .and_then(|(k, _, _)| k.map(|k| k.size))
                .unwrap_or(0)
        });
        if let Some(p) = &self.progress {
            p.start(total);
        }
        let done = AtomicU64::new(0);
        let progress = |n: u64| {
            done.fetch_add(n, Ordering::Relaxed);
            if let Some(p) = &self.progress {
                p.advance(n);
            }
        };
        let hashed = hash_in_lanes(&todo, &|i| paths.get(i).map(PathBuf::as_path), &progress);
        if let Some(p) = &self.progress {
            p.finish();
        }
        self.bytes_hashed += done.load(Ordering::Relaxed);
        for (i, r) in hashed {
            if let (Ok(h), Some(cache), (Some(key), Some(abs), _)) =
                (&r, self.cache.as_mut(), &looked_up[i])
            {
                cache.updated.insert(abs.clone(), (*key, *h, recorded_ns));
            }
            results[i] = Some(r);
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(io::Error::other("not hashed"))))
            .collect()
    }

    /// Whether files can be hashed as a walk meets them ([`hash_at`](Self::hash_at)): not with a
    /// cache, where a file is looked up before it is opened.
    pub(crate) fn can_hash_at(&self) -> bool {
        self.cache.is_none()
    }

    /// Starts a run of [`hash_at`](Self::hash_at) calls, ended by
    /// [`finish_walk`](Self::finish_walk): its total is learned as files are found.
    pub(crate) fn start_walk(&self) {
        if let Some(p) = &self.progress {
            p.start(0);
        }
    }

    /// Ends a run begun by [`start_walk`](Self::start_walk) that stopped before
    /// [`finish_walk`](Self::finish_walk) (the walk failed).
    pub(crate) fn end_walk(&self) {
        if let Some(p) = &self.progress {
            p.finish();
        }
    }

    /// Hashes the file `name` of the open directory `dir` (a walk found it to be a regular file,
    /// or a symlink to one), opened from the directory and looked at once through the open file
    /// (type, size, identity). A file [`LATER_THRESHOLD`] or larger is left for
    /// [`finish_walk`](Self::finish_walk), which hashes the large files of a walk largest first.
    ///
    /// A file is unreadable when `access(R_OK)` says so, as Gramine decides: when the
    /// credentials `access` checks are the ones `open` uses
    /// ([`fsutil::open_implies_readable`]), `access` is only asked after an `open` failed (one
    /// system call less per file); otherwise first.
    pub(crate) fn hash_at(&self, dir: &File, name: &str) -> AtFile {
        self.hash_at_each(dir, &[name])
            .pop()
            .unwrap_or_else(|| AtFile::Failed(io::Error::other("not hashed")))
    }

    /// [`hash_at`](Self::hash_at) for each of the files `names` of the open directory `dir`,
    /// up to [`LANES`] of them hashed at once (see the `lanes` module); results in the order of
    /// `names`.
    pub(crate) fn hash_at_each(&self, dir: &File, names: &[&str]) -> Vec<AtFile> {
        let access_first = !fsutil::open_implies_readable();
        let mut out: Vec<AtFile> = Vec::with_capacity(names.len());
        // (index in `names`, open file, size); `out` holds a placeholder at the index.
        let mut small: Vec<(usize, File, u64)> = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let opened = fsutil::with_c_name(name, |c| {
                let Some(c) = c else {
                    return Err(AtFile::Unreadable);
                };
                if access_first && !fsutil::access_at(dir, c) {
                    return Err(AtFile::Unreadable);
                }
                match open_regular_at(dir, c) {
                    Ok(f) => Ok(f),
                    Err(_) if !access_first && !fsutil::access_at(dir, c) => {
                        Err(AtFile::Unreadable)
                    }
                    Err(e) => Err(AtFile::Failed(e)),
                }
            });
            let (file, meta) = match opened {
                Ok(f) => f,
                Err(at) => {
                    out.push(at);
                    continue;
                }
            };
            let (size, id) = (meta.len(), (meta.dev(), meta.ino()));
            if size >= LATER_THRESHOLD {
                out.push(AtFile::Large { size, id });
                continue;
            }
            if let Some(p) = &self.progress {
                p.found(size);
            }
            small.push((i, file, size));
            // Replaced by the hash below.
            out.push(AtFile::Hashed {
                hash: [0; 32],
                size: 0,
                id,
            });
        }
        if small.is_empty() {
            return out;
        }
        let mut files = small.into_iter();
        let mut take = |spare: &mut Vec<Vec<u8>>| {
            let (i, file, size) = files.next()?;
            let buf = spare.pop().unwrap_or_else(|| vec![0u8; CHUNK]);
            Some((i, LaneSource::of(file, size, buf)))
        };
        let advance = |n: u64| {
            if let Some(p) = &self.progress {
                p.advance(n);
            }
        };
        for (i, r) in run_lanes(&mut take, &advance) {
            let Some(slot) = out.get_mut(i) else { continue };
            *slot = match (r, &*slot) {
                (Ok((hash, size)), AtFile::Hashed { id, .. }) => AtFile::Hashed {
                    hash,
                    size,
                    id: *id,
                },
                (Ok(_), _) => AtFile::Failed(io::Error::other("not hashed")),
                (Err(e), _) => AtFile::Failed(e),
            };
        }
        out
    }

    /// Ends a run begun by [`start_walk`](Self::start_walk): hashes the `later` files (paths and
    /// sizes: the large files [`hash_at`](Self::hash_at) left, and files given by path) largest
    /// first on every core, counts the `walked_bytes` that `hash_at` hashed, and records the
    /// (device, inode) of the files opened ([`opened_files`](Self::opened_files)). Results in
    /// the order of `later`.
    pub(crate) fn finish_walk(
        &mut self,
        later: &[(&Path, u64)],
        walked_bytes: u64,
        ids: impl IntoIterator<Item = Vec<(u64, u64)>>,
    ) -> Vec<io::Result<[u8; 32]>> {
        self.opened_set.take();
        self.opened.extend(ids);
        if let Some(p) = &self.progress {
            p.found(later.iter().map(|(_, size)| size).sum());
        }
        let mut order: Vec<usize> = (0..later.len()).collect();
        largest_first(&mut order, |i| later.get(i).map_or(0, |(_, size)| *size));
        let done = AtomicU64::new(0);
        let progress = |n: u64| {
            done.fetch_add(n, Ordering::Relaxed);
            if let Some(p) = &self.progress {
                p.advance(n);
            }
        };
        let hashed = hash_in_lanes(&order, &|i| later.get(i).map(|(path, _)| *path), &progress);
        if let Some(p) = &self.progress {
            p.finish();
        }
        self.bytes_hashed += walked_bytes + done.load(Ordering::Relaxed);
        let mut results: Vec<Option<io::Result<[u8; 32]>>> = Vec::new();
        results.resize_with(later.len(), || None);
        for (i, r) in hashed {
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(r);
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(io::Error::other("not hashed"))))
            .collect()
    }

    /// (device, inode) of every file given to [`hash_all`](Self::hash_all) that exists, and of
    /// every file a walk hashed ([`crate::dataset::hash_files`]).
    pub fn opened_files(&self) -> &std::collections::HashSet<(u64, u64)> {
        self.opened_set
            .get_or_init(|| self.opened.iter().flatten().copied().collect())
    }

    /// Writes the cache back (atomically) if it changed.
    pub fn save_cache(&self) -> Result<()> {
        match &self.cache {
            Some(c) => c.save(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use sha2::{Digest, Sha256};

    use super::*;

    fn absolute(p: &Path) -> PathBuf {
        std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
    }

    fn sha(data: &[u8]) -> [u8; 32] {
        Sha256::digest(data).into()
    }

    /// A cache line for `path` as it is now, with hash `h` recorded at `recorded_ns`.
    fn line(path: &Path, h: &[u8; 32], recorded_ns: i128) -> String {
        let k = FileKey::of(&std::fs::metadata(path).unwrap());
        serde_json::json!({
            "path": absolute(path).to_str().unwrap(),
            "size": k.size.to_string(),
            "mtime_ns": k.mtime_ns.to_string(),
            "ctime_ns": k.ctime_ns.to_string(),
            "ino": k.ino.to_string(),
            "dev": k.dev.to_string(),
            "recorded_ns": recorded_ns.to_string(),
            "sha256": hex::encode(h),
        })
        .to_string()
            + "\n"
    }

    /// A file rewritten with the same size within one timestamp tick of being hashed keeps its
    /// size, times and inode: an entry recorded in that tick ("racily clean") is not trusted,
    /// the file is hashed again. The stale hash used to be served (seen on ext4 with 1 s
    /// timestamps and on ramfs); an entry recorded well after the file last changed is used.
    #[test]
    fn racily_clean_entries_are_hashed_again() {
        let t = tempfile::tempdir().unwrap();
        let file = t.path().join("data.bin");
        std::fs::write(&file, b"new contents").unwrap();
        let cache = t.path().join("cache.jsonl");
        let k = FileKey::of(&std::fs::metadata(&file).unwrap());
        let changed = k.mtime_ns.max(k.ctime_ns);
        // What an earlier run recorded for the old contents, in the same tick as the rewrite.
        let stale = sha(b"old contents");
        for (recorded, trusted) in [
            (changed, false),
            (changed + 500_000_000, false),
            (changed + RACY_NS + 1, true),
        ] {
            std::fs::write(&cache, line(&file, &stale, recorded)).unwrap();
            let mut h = FileHasher::new(Some(&cache)).unwrap();
            let got = h.hash_all(std::slice::from_ref(&file)).remove(0).unwrap();
            if trusted {
                // Recorded after the tick: trusted (the stale hash is served, as intended).
                assert_eq!((got, h.cache_hits), (stale, 1));
            } else {
                assert_eq!((got, h.cache_hits), (sha(b"new contents"), 0), "{recorded}");
            }
        }
        // Entries written before the time was recorded are hashed again too.
        let old_line = line(&file, &stale, 0).replace("\"recorded_ns\":\"0\",", "");
        std::fs::write(&cache, old_line).unwrap();
        let mut h = FileHasher::new(Some(&cache)).unwrap();
        assert_eq!(
            h.hash_all(std::slice::from_ref(&file)).remove(0).unwrap(),
            sha(b"new contents")
        );
    }

    /// Processes (here threads, each with its own hasher) saving the same cache file at once:
    /// the file stays readable and holds every writer's entries (the last writer used to
    /// replace the others' entries with its own).
    #[test]
    fn concurrent_writers_merge_into_the_cache() {
        let t = tempfile::tempdir().unwrap();
        let cache = t.path().join("cache.jsonl");
        let files: Vec<PathBuf> = (0..8)
            .map(|i| {
                let p = t.path().join(format!("f{i}"));
                std::fs::write(&p, format!("file {i}")).unwrap();
                p
            })
            .collect();
        for _round in 0..3 {
            std::thread::scope(|s| {
                for f in &files {
                    let cache = &cache;
                    s.spawn(move || {
                        let mut h = FileHasher::new(Some(cache)).unwrap();
                        h.hash_all(std::slice::from_ref(f)).remove(0).unwrap();
                        h.save_cache().unwrap();
                    });
                }
            });
            let entries = HashCache::load(&cache).unwrap();
            assert_eq!(entries.index.len(), files.len());
            for (i, f) in files.iter().enumerate() {
                assert_eq!(
                    entries.get(&absolute(f)).unwrap().1,
                    sha(format!("file {i}").as_bytes())
                );
            }
        }
    }

    proptest! {
        /// A cache line reads back as written, by the direct reader or (paths that need escapes)
        /// the JSON one; the line is what the JSON writer used to produce.
        #[test]
        fn cache_lines_round_trip(
            path in prop_oneof![3 => "/[a-z0-9/._-]{1,40}", 1 => any::<String>()],
            size in any::<u64>(),
            mtime_ns in any::<i64>(),
            ctime_ns in any::<i64>(),
            ino in any::<u64>(),
            dev in any::<u64>(),
            h in any::<[u8; 32]>(),
        ) {
            let k = FileKey { size, mtime_ns: mtime_ns.into(), ctime_ns: ctime_ns.into(), ino, dev };
            let recorded = i128::from(mtime_ns) ^ 0x5a5a;
            let mut line = String::new();
            write_cache_line(&mut line, &path, &k, recorded, &h);
            let json = serde_json::json!({
                "path": path,
                "size": k.size.to_string(),
                "mtime_ns": k.mtime_ns.to_string(),
                "ctime_ns": k.ctime_ns.to_string(),
                "ino": k.ino.to_string(),
                "dev": k.dev.to_string(),
                "recorded_ns": recorded.to_string(),
                "sha256": hex::encode(h),
            })
            .to_string();
            prop_assert_eq!(line.trim_end_matches('\n'), json.as_str());
            let (p2, e2) = parse_cache_line(line.trim_end_matches('\n')).unwrap();
            prop_assert_eq!((p2, e2), (path, (k, h, recorded)));
        }
    }

    #[test]
    fn malformed_cache_lines_are_refused() {
        for bad in [
            "",
            "{}",
            "{\"path\":\"/a\",\"size\":\"1\"}",
            "{\"path\":\"/a\",\"size\":\"x\",\"mtime_ns\":\"1\",\"ctime_ns\":\"1\",\"ino\":\"1\",\"dev\":\"1\",\"sha256\":\"00\"}",
        ] {
            assert!(parse_cache_line(bad).is_none(), "{bad}");
        }
    }

    /// A cache file written by another writer (unsorted, a path twice): the last line for a
    /// path wins; saving writes the entries sorted by path, one a line, lines of entries that did
    /// not change copied as they were.
    #[test]
    fn unsorted_cache_files_are_indexed_and_saved_sorted() {
        let t = tempfile::tempdir().unwrap();
        let (a, b) = (t.path().join("a"), t.path().join("b"));
        std::fs::write(&a, b"a").unwrap();
        std::fs::write(&b, b"b").unwrap();
        let cache = t.path().join("cache.jsonl");
        let old = 1;
        let lines = [
            line(&b, &sha(b"b"), old),
            line(&a, &sha(b"stale"), old),
            line(&a, &sha(b"a"), old),
        ];
        std::fs::write(&cache, lines.concat()).unwrap();
        let loaded = HashCache::load(&cache).unwrap();
        assert_eq!(loaded.index.len(), 2);
        assert_eq!(loaded.get(&absolute(&a)).unwrap().1, sha(b"a"));
        assert_eq!(loaded.get(&absolute(&b)).unwrap().1, sha(b"b"));
        assert!(loaded.get(&t.path().join("c")).is_none());
        // Recorded long ago: not trusted, both hashed again and saved.
        let mut h = FileHasher::new(Some(&cache)).unwrap();
        let got = h.hash_all(&[a.clone(), b.clone()]);
        assert_eq!(h.cache_hits, 0);
        assert_eq!(got[0].as_ref().unwrap(), &sha(b"a"));
        h.save_cache().unwrap();
        let saved = std::fs::read_to_string(&cache).unwrap();
        let paths: Vec<String> = saved
            .lines()
            .map(|l| parse_cache_line(l).unwrap().0)
            .collect();
        let mut sorted = paths.clone();
        sorted.sort();
        assert_eq!(paths, sorted);
        assert_eq!(paths.len(), 2);
        // A third file hashed later: the two lines before it are copied unchanged.
        let c = t.path().join("c");
        std::fs::write(&c, b"c").unwrap();
        let mut h = FileHasher::new(Some(&cache)).unwrap();
        h.hash_all(std::slice::from_ref(&c));
        h.save_cache().unwrap();
        let again = std::fs::read_to_string(&cache).unwrap();
        assert_eq!(again.lines().count(), 3);
        for l in saved.lines() {
            assert!(again.lines().any(|m| m == l));
        }
    }

    /// A malformed line anywhere (here past the first piece read on one core) is an error naming
    /// the file and the line; nothing is guessed.
    #[test]
    fn a_malformed_cache_line_is_reported_with_its_number() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("f");
        std::fs::write(&f, b"f").unwrap();
        let good = line(&f, &sha(b"f"), 1);
        let n = CACHE_LINES_PER_PIECE + 10;
        let mut text = good.repeat(n);
        text.push_str("{\"path\":\"/x\"}\n");
        text.push_str(&good);
        let cache = t.path().join("cache.jsonl");
        std::fs::write(&cache, text).unwrap();
        let e = FileHasher::new(Some(&cache)).unwrap_err().to_string();
        assert!(e.contains(&format!("line {}", n + 1)), "{e}");
        assert!(e.contains("cache.jsonl"), "{e}");
    }

    /// A FIFO given as a file (or put in place of one after it was looked at) is refused at
    /// once: opening it used to wait for a writer forever.
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let t = tempfile::tempdir().unwrap();
        let fifo = t.path().join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only reads it.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = hash_file(&fifo, &|_| {}).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        let mut h = FileHasher::new(None).unwrap();
        let e = h.hash_all(&[fifo]).remove(0).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    }

    /// Both the files of a list and the large files of a walk are hashed largest first, ties
    /// in their order.
    #[test]
    fn largest_files_are_ordered_first() {
        let sizes = [5u64, 1 << 30, 0, 7, 1 << 30, 3 << 20];
        let mut order: Vec<usize> = (0..sizes.len()).collect();
        largest_first(&mut order, |i| sizes[i]);
        assert_eq!(order, [1, 4, 5, 3, 0, 2]);
    }

    /// A key looked up from the directory is the key `metadata` of the whole path gives (so a
    /// cache written either way is read either way), symbolic links followed.
    #[test]
    fn a_key_from_the_directory_is_the_key_of_the_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), b"alpha").unwrap();
        std::os::unix::fs::symlink("a", dir.path().join("link")).unwrap();
        let handle = File::open(dir.path()).unwrap();
        for name in ["a", "link"] {
            let by_path = FileKey::of(&std::fs::metadata(dir.path().join(name)).unwrap());
            assert_eq!(FileKey::at(&handle, name), Some(by_path), "{name}");
        }
        assert_eq!(FileKey::at(&handle, "missing"), None);
    }

    #[test]
    fn every_file_is_hashed_once_in_lanes_as_alone() {
        let dir = tempfile::tempdir().unwrap();
        let b = BLOCK_LEN;
        let mut sizes = vec![0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 4095, 4096, 4097];
        sizes.extend([CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 7, 2 * CHUNK + b]);
        sizes.extend([LANE_MAP_THRESHOLD as usize - 1, LANE_MAP_THRESHOLD as usize]);
        sizes.extend([MAP_WINDOW as usize, MAP_WINDOW as usize * 2 + 100]);
        sizes.extend((0..40).map(|i| (i * 7919) % 20_000));
        let mut paths: Vec<PathBuf> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let p = dir.path().join(format!("f{i}"));
                let data: Vec<u8> = (0..n).map(|j| (j * 31 + i) as u8).collect();
                std::fs::write(&p, data).unwrap();
                p
            })
            .collect();
        paths.push(dir.path().join("missing"));
        paths.push(dir.path().to_path_buf());
        let mut order: Vec<usize> = (0..paths.len()).collect();
        largest_first(&mut order, |i| sizes.get(i).map_or(0, |&n| n as u64));
        let bytes = AtomicU64::new(0);
        let progress = |n: u64| {
            bytes.fetch_add(n, Ordering::Relaxed);
        };
        let mut got = hash_in_lanes(&order, &|i| paths.get(i).map(PathBuf::as_path), &progress);
        got.sort_by_key(|(i, _)| *i);
        assert_eq!(got.len(), paths.len());
        for ((i, r), p) in got.iter().zip(&paths) {
            match std::fs::read(p) {
                Ok(data) if p.is_file() => {
                    assert_eq!(r.as_ref().unwrap(), &Sha256::digest(&data).0, "{i}");
                }
                _ => assert!(r.is_err(), "{i}"),
            }
        }
        assert_eq!(
            bytes.load(Ordering::Relaxed),
            sizes.iter().map(|&n| n as u64).sum::<u64>()
        );
    }
}
