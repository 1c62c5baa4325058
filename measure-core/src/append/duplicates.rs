//! The first appended URI that repeats an earlier one, in O(n log n) without allocating.
//!
//! Each entry gets a 24-byte record: the first 16 bytes of the SHA-256 of its URI, then its
//! position (big-endian, so records compare as (hash, position) byte by byte): the offset of its
//! line in a list held in memory, or its index for lists read as a stream; either orders entries
//! as their indices do. The records are sorted in a buffer the caller provides; equal hashes are
//! then adjacent and confirmed by comparing the URIs themselves, so the answer never depends on
//! the hash (two different URIs with the same 128-bit prefix only cost a comparison). URIs are
//! compared in their escaped form: the list's encoding is canonical, so two fields are equal
//! decoded exactly when they are equal escaped.
//!
//! When the buffer cannot hold a record per entry, the entries are taken in blocks the size of
//! the buffer, each block sorted and probed by every later entry: O(n^2 / block) hashes, still the
//! same answer. A list whose URIs are strictly ascending (as `hash-files` writes them) has no
//! repeat and needs no buffer at all.

use crate::entries::EntryList;

/// Bytes of scratch per entry.
pub const RECORD_LEN: usize = 24;

/// One entry's record.
pub type Record = [u8; RECORD_LEN];

/// The entry at position `later` repeats the URI of the entry at position `earlier`, the first
/// entry with that URI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repeat {
    /// Position of the repeating entry.
    pub later: usize,
    /// Position of the first entry with the same URI.
    pub earlier: usize,
}

/// A record for an entry whose URI has SHA-256 `uri_hash`, at position `offset`.
pub fn record(uri_hash: &[u8; 32], offset: usize) -> Record {
    let mut r = [0u8; RECORD_LEN];
    let (key, off) = r.split_at_mut(16);
    key.copy_from_slice(uri_hash.get(..16).unwrap_or(&[0; 16]));
    off.copy_from_slice(&(offset as u64).to_be_bytes());
    r
}

fn key(r: &Record) -> u128 {
    let mut k = [0u8; 16];
    k.copy_from_slice(r.get(..16).unwrap_or(&[0; 16]));
    u128::from_be_bytes(k)
}

fn offset(r: &Record) -> usize {
    let mut o = [0u8; 8];
    o.copy_from_slice(r.get(16..).unwrap_or(&[0; 8]));
    u64::from_be_bytes(o) as usize
}

/// The position of a record.
pub fn position(r: &Record) -> usize {
    offset(r)
}

/// Sorts records by (hash, position).
pub fn sort(records: &mut [Record]) {
    records.sort_unstable_by(|a, b| key(a).cmp(&key(b)).then_with(|| offset(a).cmp(&offset(b))));
}

fn same_uri(list: &EntryList<'_>, a: usize, b: usize) -> bool {
    match (list.entry_at(a), list.entry_at(b)) {
        (Some(x), Some(y)) => x.uri.raw() == y.uri.raw(),
        _ => false,
    }
}

/// The earlier of two repeats (the one whose repeating entry comes first).
fn first_of(a: Option<Repeat>, b: Option<Repeat>) -> Option<Repeat> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y.later < x.later { y } else { x }),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Calls `f` with the position of every record whose hash another record shares, in sorted
/// `records`: the only entries whose URIs [`first_repeat_in_sorted`] compares (none, for a list
/// without repeats).
pub fn positions_sharing_a_hash(records: &[Record], f: &mut dyn FnMut(usize)) {
    let mut rest = records;
    while let Some((head, _)) = rest.split_first() {
        let k = key(head);
        let run_len = rest.iter().take_while(|r| key(r) == k).count().max(1);
        let (run, tail) = rest.split_at(run_len.min(rest.len()));
        rest = tail;
        if run.len() > 1 {
            run.iter().for_each(|r| f(offset(r)));
        }
    }
}

/// The first repeat among the entries of sorted `records`; `same(a, b)` says whether the entries
/// at positions `a` and `b` have the same URI.
pub fn first_repeat_in_sorted(
    records: &[Record],
    same: &mut dyn FnMut(usize, usize) -> bool,
) -> Option<Repeat> {
    let mut best: Option<Repeat> = None;
    let mut rest = records;
    while let Some((head, _)) = rest.split_first() {
        let k = key(head);
        let run_len = rest.iter().take_while(|r| key(r) == k).count().max(1);
        let (run, tail) = rest.split_at(run_len.min(rest.len()));
        rest = tail;
        if run.len() < 2 {
            continue;
        }
        // Offsets ascend within a run: the first later entry equal to an earlier one is this
        // run's first repeat, and the first earlier one it equals is the URI's first entry.
        // Runs hold one URI unless 128-bit hashes collide, so this is one comparison per repeat.
        let found = run.iter().enumerate().skip(1).find_map(|(t, later)| {
            let l = offset(later);
            if best.is_some_and(|b| b.later <= l) {
                return None;
            }
            run.get(..t)?
                .iter()
                .map(offset)
                .find(|&e| same(e, l))
                .map(|earlier| Repeat { later: l, earlier })
        });
        best = first_of(best, found);
    }
    best
}

/// The first record in sorted `records` for the same URI as the entry at `at`, whose hash is
/// `uri_hash`.
fn find_in_sorted(
    list: &EntryList<'_>,
    records: &[Record],
    uri_hash: &[u8; 32],
    at: usize,
) -> Option<usize> {
    let k = key(&record(uri_hash, 0));
    let start = records.partition_point(|r| key(r) < k);
    records
        .get(start..)?
        .iter()
        .take_while(|r| key(r) == k)
        .map(offset)
        .find(|&e| same_uri(list, e, at))
}

/// The first repeat among the first `count` entries, with `buf` as the only memory: blocks of
/// `buf.len()` entries, each sorted and probed by the entries after it. `hash` gives an entry's
/// URI hash.
pub fn first_repeat_blocked(
    list: &EntryList<'_>,
    count: usize,
    buf: &mut [Record],
    hash: &dyn Fn(&crate::entries::Entry<'_>) -> [u8; 32],
) -> Option<Repeat> {
    if buf.is_empty() {
        return None; // callers always pass a buffer; with none there is nothing to do safely
    }
    let mut best: Option<Repeat> = None;
    let mut entries = list.iter_offsets().take(count);
    loop {
        let mut m = 0usize;
        for (slot, (off, e)) in buf.iter_mut().zip(entries.by_ref()) {
            *slot = record(&hash(&e), off);
            // At most `buf.len()`: the zip stops there.
            m = m.saturating_add(1);
        }
        let Some(block) = buf.get_mut(..m).filter(|b| !b.is_empty()) else {
            return best;
        };
        // No entry of this block or a later one can come before a repeat already found.
        if best.is_some_and(|b| block.iter().all(|r| offset(r) >= b.later)) {
            return best;
        }
        sort(block);
        best = first_of(
            best,
            first_repeat_in_sorted(block, &mut |a, b| same_uri(list, a, b)),
        );
        for (off, e) in entries.clone() {
            if best.is_some_and(|b| off >= b.later) {
                break;
            }
            if let Some(earlier) = find_in_sorted(list, block, &hash(&e), off) {
                best = Some(Repeat {
                    later: off,
                    earlier,
                });
                break;
            }
        }
    }
}
