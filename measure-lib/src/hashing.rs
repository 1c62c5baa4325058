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

/// A persistent map from (absolute path, [`FileKey`]) to SHA-256, stored as JSON lines.
#[derive(Debug, Default)]
struct HashCache {
    path: PathBuf,
    entries: HashMap<PathBuf, (FileKey, [u8; 32])>,
    dirty: bool,
}

impl HashCache {
    fn load(path: &Path) -> Result<Self> {
        let mut cache = HashCache {
            path: path.to_path_buf(),
            ..Default::default()
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(cache),
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
            cache.entries.insert(PathBuf::from(p), (key, h));
        }
        Ok(cache)
    }

    fn save(&self) -> Result<()> {
        if !self.dirty {
            return Ok(());
        }
        let mut entries: Vec<_> = self.entries.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        let mut out = String::new();
        for (p, (k, h)) in entries {
            let Some(p) = p.to_str() else { continue };
            out.push_str(
                &json!({
                    "path": p,
                    "size": k.size.to_string(),
                    "mtime_ns": k.mtime_ns.to_string(),
                    "ctime_ns": k.ctime_ns.to_string(),
                    "ino": k.ino.to_string(),
                    "dev": k.dev.to_string(),
                    "sha256": hex::encode(h),
                })
                .to_string(),
            );
            out.push('\n');
        }
        fsutil::write_atomic(&self.path, out.as_bytes())
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
                    .filter(|(ck, _)| ck == k)
                    .map(|(_, h)| *h),
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
                cache.entries.insert(abs.clone(), (*key, *h));
                cache.dirty = true;
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
