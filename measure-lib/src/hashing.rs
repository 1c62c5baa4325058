//! Hashing trusted files at hardware speed: in parallel across files, each file read with large
//! sequential reads or mapped, SHA-256 from `sha2` (SHA-NI when the CPU has it), an optional
//! persistent cache, and progress reported to a [`Progress`] receiver.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::fsutil;

/// Files at least this large are memory-mapped instead of read (no copy out of the page cache).
const MMAP_THRESHOLD: u64 = 1 << 20;
/// Read size for smaller files, and the progress granularity.
const CHUNK: usize = 1 << 20;

/// Receives the progress of hashing runs, e.g. to draw a progress bar.
pub trait Progress: Send + Sync {
    /// A run starts with `total_bytes` to hash (files found in the cache are not counted).
    fn start(&self, total_bytes: u64);
    /// `bytes` more were hashed; called from several threads at once.
    fn advance(&self, bytes: u64);
    /// The run ended.
    fn finish(&self);
}

/// What identifies an unchanged file: path, size, modification and change times, inode, device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileKey {
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

/// A persistent map from (absolute path, [`FileKey`]) to SHA-256, stored as JSON lines.
#[derive(Debug, Default)]
struct HashCache {
    path: PathBuf,
    entries: HashMap<PathBuf, Cached>,
    /// Paths hashed by this process: what it adds to the file when saving.
    updated: std::collections::HashSet<PathBuf>,
}

impl HashCache {
    fn load(path: &Path) -> Result<Self> {
        Ok(HashCache {
            path: path.to_path_buf(),
            entries: Self::read_entries(path)?,
            ..Default::default()
        })
    }

    /// The entries of the cache file (none if it does not exist).
    fn read_entries(path: &Path) -> Result<HashMap<PathBuf, Cached>> {
        let mut entries = HashMap::new();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(entries),
            Err(source) => {
                return Err(Error::Read {
                    what: "hash cache".into(),
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        for (n, line) in text.lines().enumerate() {
            let bad = || Error::HashCache {
                path: path.to_path_buf(),
                line: n + 1,
            };
            let v: serde_json::Value = serde_json::from_str(line).map_err(|_| bad())?;
            let num = |k: &str| v[k].as_str().and_then(|s| s.parse::<i128>().ok());
            let (Some(p), Some(h), Some(size), Some(m), Some(c), Some(i), Some(d)) = (
                v["path"].as_str(),
                v["sha256"]
                    .as_str()
                    .and_then(|h| hex::decode(h).ok())
                    .and_then(|h| <[u8; 32]>::try_from(h).ok()),
                num("size"),
                num("mtime_ns"),
                num("ctime_ns"),
                num("ino"),
                num("dev"),
            ) else {
                return Err(bad());
            };
            let key = FileKey {
                size: size as u64,
                mtime_ns: m,
                ctime_ns: c,
                ino: i as u64,
                dev: d as u64,
            };
            // Entries written before the time was recorded are never trusted (hashed again).
            let recorded = num("recorded_ns").unwrap_or(0);
            entries.insert(PathBuf::from(p), (key, h, recorded));
        }
        Ok(entries)
    }

    /// Adds this process's new hashes to the cache file. Other processes may save the same
    /// file at the same time: under an exclusive lock of its directory, the file is read again
    /// and this process's entries merged into it, then it is replaced atomically, so that no
    /// writer's entries are lost and no reader sees a partial file.
    fn save(&self) -> Result<()> {
        if self.updated.is_empty() {
            return Ok(());
        }
        let _lock = lock_dir_of(&self.path)?;
        // A cache file another version cannot read is replaced rather than merged.
        let mut merged = Self::read_entries(&self.path).unwrap_or_default();
        for p in &self.updated {
            if let Some(e) = self.entries.get(p) {
                merged.insert(p.clone(), *e);
            }
        }
        let mut entries: Vec<_> = merged.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        let mut out = String::new();
        for (p, (k, h, recorded)) in entries {
            let Some(p) = p.to_str() else { continue };
            out.push_str(
                &json!({
                    "path": p,
                    "size": k.size.to_string(),
                    "mtime_ns": k.mtime_ns.to_string(),
                    "ctime_ns": k.ctime_ns.to_string(),
                    "ino": k.ino.to_string(),
                    "dev": k.dev.to_string(),
                    "recorded_ns": recorded.to_string(),
                    "sha256": hex::encode(h),
                })
                .to_string(),
            );
            out.push('\n');
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

/// Hashes files, using and filling an optional cache.
pub struct FileHasher {
    cache: Option<HashCache>,
    progress: Option<Box<dyn Progress>>,
    /// Bytes actually read and hashed (cache misses), for reporting.
    pub bytes_hashed: u64,
    /// Files served from the cache.
    pub cache_hits: usize,
    /// (device, inode) of every file looked at, so that callers can refuse to write over one.
    opened: std::collections::HashSet<(u64, u64)>,
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// SHA-256 of one file's contents.
pub fn hash_file(path: &Path, on_progress: &dyn Fn(u64)) -> io::Result<[u8; 32]> {
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let mut h = Sha256::new();
    if meta.len() >= MMAP_THRESHOLD {
        // SAFETY: the mapping is private to this function and only read; if another process
        // truncates the file meanwhile, the result is a wrong hash or SIGBUS (as with any
        // mmap-based hasher), never memory unsafety observable by safe code here.
        let map = unsafe { memmap2::MmapOptions::new().populate().map(&file)? };
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Sequential);
        for chunk in map.chunks(CHUNK * 16) {
            h.update(chunk);
            on_progress(chunk.len() as u64);
        }
    } else {
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            h.update(&buf[..n]);
            on_progress(n as u64);
        }
    }
    Ok(h.finalize().into())
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
            opened: Default::default(),
        })
    }

    /// Reports the progress of later runs to `progress`.
    pub fn with_progress(mut self, progress: Box<dyn Progress>) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Hashes every path (in parallel), returning results in input order.
    pub fn hash_all(&mut self, paths: &[PathBuf]) -> Vec<io::Result<[u8; 32]>> {
        if paths.is_empty() {
            return Vec::new();
        }
        // Cache lookups and the keys to store, in input order.
        let mut results: Vec<Option<io::Result<[u8; 32]>>> = Vec::with_capacity(paths.len());
        let mut keys: Vec<Option<(PathBuf, FileKey)>> = Vec::with_capacity(paths.len());
        let mut total = 0u64;
        let recorded_ns = now_ns();
        for p in paths {
            let meta = std::fs::metadata(p);
            if let Ok(m) = &meta {
                self.opened.insert((m.dev(), m.ino()));
            }
            let key = meta.as_ref().ok().map(|m| (absolute(p), FileKey::of(m)));
            let hit = match (&self.cache, &key) {
                (Some(c), Some((abs, k))) => c
                    .entries
                    .get(abs)
                    .filter(|cached| trusted(cached, k))
                    .map(|(_, h, _)| *h),
                _ => None,
            };
            if let Some(h) = hit {
                self.cache_hits += 1;
                results.push(Some(Ok(h)));
            } else {
                total += meta.as_ref().map(|m| m.len()).unwrap_or(0);
                results.push(None);
            }
            keys.push(key);
        }
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
        let todo: Vec<usize> = (0..paths.len()).filter(|&i| results[i].is_none()).collect();
        let hashed: Vec<(usize, io::Result<[u8; 32]>)> = todo
            .par_iter()
            .map(|&i| (i, hash_file(&paths[i], &progress)))
            .collect();
        if let Some(p) = &self.progress {
            p.finish();
        }
        self.bytes_hashed += done.load(Ordering::Relaxed);
        for (i, r) in hashed {
            if let (Ok(h), Some(cache), Some((abs, key))) = (&r, self.cache.as_mut(), &keys[i]) {
                cache.entries.insert(abs.clone(), (*key, *h, recorded_ns));
                cache.updated.insert(abs.clone());
            }
            results[i] = Some(r);
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(io::Error::other("not hashed"))))
            .collect()
    }

    /// (device, inode) of every file given to [`hash_all`](Self::hash_all) that exists.
    pub fn opened_files(&self) -> &std::collections::HashSet<(u64, u64)> {
        &self.opened
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
    use super::*;

    fn sha(data: &[u8]) -> [u8; 32] {
        Sha256::digest(data).into()
    }

    /// A cache line for `path` as it is now, with hash `h` recorded at `recorded_ns`.
    fn line(path: &Path, h: &[u8; 32], recorded_ns: i128) -> String {
        let k = FileKey::of(&std::fs::metadata(path).unwrap());
        json!({
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
            let entries = HashCache::read_entries(&cache).unwrap();
            assert_eq!(entries.len(), files.len());
            for (i, f) in files.iter().enumerate() {
                assert_eq!(entries[&absolute(f)].1, sha(format!("file {i}").as_bytes()));
            }
        }
    }
}
