//! The MRENCLAVE hasher: SHA-256 over the 64-byte records that ECREATE, EADD and EEXTEND
//! contribute (Intel SDM vol. 3D, "ECREATE/EADD/EEXTEND", MRENCLAVE update), as
//! `gramine-sgx-sign` computes them offline.
//!
//! Every record is a whole number of SHA-256 blocks, so the running state is exactly a
//! [`Midstate`]: 8 state words and a block count, serializable and resumable. Records are
//! gathered into a small buffer and compressed in batches, which roughly halves the per-record
//! cost of the millions of EADDs of a large enclave's heap.

use crate::sha256::{BLOCK_LEN, Midstate};

/// Bytes measured by one EEXTEND.
pub const EEXTEND_CHUNK: usize = 256;

/// Records buffered before they are compressed.
const BUF_BLOCKS: usize = 64;

/// Receives the measurement records of an enclave, in order.
///
/// [`MeasurementHasher`] folds them into MRENCLAVE; other sinks print, count or compare them.
pub trait RecordSink {
    /// ECREATE: SSA frame size in pages and enclave size in bytes.
    fn ecreate(&mut self, ssa_frame_pages: u32, enclave_size: u64);
    /// EADD of one page at `offset` (from the enclave base) with SECINFO `flags`.
    fn eadd(&mut self, offset: u64, flags: u64);
    /// EEXTEND of 256 bytes at `offset`.
    fn eextend(&mut self, offset: u64, chunk: &[u8; EEXTEND_CHUNK]);
    /// EADD (without EEXTEND) of `count` consecutive pages starting at `offset`.
    fn eadd_unmeasured_range(&mut self, offset: u64, count: u64, page_size: u64, flags: u64) {
        let mut off = offset;
        for _ in 0..count {
            self.eadd(off, flags);
            off = off.wrapping_add(page_size);
        }
    }
}

impl<T: RecordSink + ?Sized> RecordSink for &mut T {
    fn ecreate(&mut self, ssa_frame_pages: u32, enclave_size: u64) {
        (**self).ecreate(ssa_frame_pages, enclave_size);
    }
    fn eadd(&mut self, offset: u64, flags: u64) {
        (**self).eadd(offset, flags);
    }
    fn eextend(&mut self, offset: u64, chunk: &[u8; EEXTEND_CHUNK]) {
        (**self).eextend(offset, chunk);
    }
    fn eadd_unmeasured_range(&mut self, offset: u64, count: u64, page_size: u64, flags: u64) {
        (**self).eadd_unmeasured_range(offset, count, page_size, flags);
    }
}

/// ECREATE record: `"ECREATE\0"`, SSA frame size (pages, u32 LE), enclave size (u64 LE), zeros.
pub fn ecreate_record(ssa_frame_pages: u32, enclave_size: u64) -> [u8; BLOCK_LEN] {
    let mut r = [0u8; BLOCK_LEN];
    r[..8].copy_from_slice(b"ECREATE\0");
    r[8..12].copy_from_slice(&ssa_frame_pages.to_le_bytes());
    r[12..20].copy_from_slice(&enclave_size.to_le_bytes());
    r
}

/// EADD record: `"EADD\0\0\0\0"`, page offset (u64 LE), SECINFO flags (u64 LE), zeros.
pub fn eadd_record(offset: u64, flags: u64) -> [u8; BLOCK_LEN] {
    let mut r = [0u8; BLOCK_LEN];
    r[..4].copy_from_slice(b"EADD");
    r[8..16].copy_from_slice(&offset.to_le_bytes());
    r[16..24].copy_from_slice(&flags.to_le_bytes());
    r
}

/// EEXTEND header record: `"EEXTEND\0"`, chunk offset (u64 LE), zeros; the 256 bytes follow.
pub fn eextend_record(offset: u64) -> [u8; BLOCK_LEN] {
    let mut r = [0u8; BLOCK_LEN];
    r[..8].copy_from_slice(b"EEXTEND\0");
    r[8..16].copy_from_slice(&offset.to_le_bytes());
    r
}

/// Streaming MRENCLAVE computation with a resumable state.
#[derive(Clone, Debug)]
pub struct MeasurementHasher {
    mid: Midstate,
    buf: [[u8; BLOCK_LEN]; BUF_BLOCKS],
    used: usize,
}

impl Default for MeasurementHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl MeasurementHasher {
    /// A hasher before ECREATE.
    pub const fn new() -> Self {
        Self::resume(Midstate::INITIAL)
    }

    /// Continues from a state saved by [`MeasurementHasher::midstate`].
    pub const fn resume(mid: Midstate) -> Self {
        MeasurementHasher {
            mid,
            buf: [[0; BLOCK_LEN]; BUF_BLOCKS],
            used: 0,
        }
    }

    #[inline]
    fn push(&mut self, block: [u8; BLOCK_LEN]) {
        if self.used == BUF_BLOCKS {
            self.flush();
        }
        // `used < BUF_BLOCKS` here, so the index is in bounds and the count cannot wrap.
        if let Some(slot) = self.buf.get_mut(self.used) {
            *slot = block;
            self.used = self.used.wrapping_add(1);
        }
    }

    fn flush(&mut self) {
        if let Some(blocks) = self.buf.get(..self.used) {
            self.mid.compress(blocks);
        }
        self.used = 0;
    }

    /// The state after every record so far (flushing the batch buffer).
    pub fn midstate(&mut self) -> Midstate {
        self.flush();
        self.mid
    }

    /// Number of 64-byte blocks measured so far.
    pub fn blocks(&self) -> u64 {
        self.mid.blocks.wrapping_add(self.used as u64)
    }

    /// MRENCLAVE: the SHA-256 of all records.
    pub fn finish(mut self) -> [u8; 32] {
        self.flush();
        self.mid.finalize()
    }
}

impl RecordSink for MeasurementHasher {
    fn ecreate(&mut self, ssa_frame_pages: u32, enclave_size: u64) {
        self.push(ecreate_record(ssa_frame_pages, enclave_size));
    }

    fn eadd(&mut self, offset: u64, flags: u64) {
        self.push(eadd_record(offset, flags));
    }

    fn eextend(&mut self, offset: u64, chunk: &[u8; EEXTEND_CHUNK]) {
        self.push(eextend_record(offset));
        let (blocks, _) = chunk.as_chunks::<BLOCK_LEN>();
        for b in blocks {
            self.push(*b);
        }
    }

    #[allow(
        clippy::arithmetic_side_effects,
        reason = "used <= BUF_BLOCKS (< BUF_BLOCKS after the flush), n <= min(room, left) and \
                  BUF_BLOCKS <= left in the batch loop"
    )]
    fn eadd_unmeasured_range(&mut self, offset: u64, count: u64, page_size: u64, flags: u64) {
        // The hot loop of a large enclave without EDMM (Gramine's free heap, the SDK's heap and
        // reserved memory): one record per page, records differing only in their offset field.
        let template = eadd_record(0, flags);
        let mut off = offset;
        let mut left = count;
        // Complete the pending batch first: records stay in order.
        if self.used > 0 {
            let n = ((BUF_BLOCKS - self.used) as u64).min(left) as usize;
            if let Some(slots) = self.buf.get_mut(self.used..self.used + n) {
                for slot in slots {
                    *slot = template;
                    slot[8..16].copy_from_slice(&off.to_le_bytes());
                    off = off.wrapping_add(page_size);
                }
            }
            self.used += n;
            left -= n as u64;
            if self.used == BUF_BLOCKS {
                self.flush();
            }
        }
        // Whole batches straight from a batch filled with the template once: per record only
        // the 8-byte offset is written before the compression.
        if left >= BUF_BLOCKS as u64 {
            let mut batch = [template; BUF_BLOCKS];
            while left >= BUF_BLOCKS as u64 {
                for slot in &mut batch {
                    slot[8..16].copy_from_slice(&off.to_le_bytes());
                    off = off.wrapping_add(page_size);
                }
                self.mid.compress(&batch);
                left -= BUF_BLOCKS as u64;
            }
        }
        // The rest (fewer than a batch) waits in the buffer for the records that follow; the
        // buffer is empty here, as the pending batch was completed and flushed above.
        if left > 0 {
            let n = left as usize;
            if let Some(slots) = self.buf.get_mut(..n) {
                for slot in slots {
                    *slot = template;
                    slot[8..16].copy_from_slice(&off.to_le_bytes());
                    off = off.wrapping_add(page_size);
                }
                self.used = n;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sha256::Sha256;

    #[test]
    fn records_hash_like_a_flat_byte_string() {
        let mut flat = std::vec::Vec::new();
        let mut h = MeasurementHasher::new();
        h.ecreate(4, 0x1000_0000);
        flat.extend_from_slice(&ecreate_record(4, 0x1000_0000));
        let chunk = [0xabu8; 256];
        for i in 0..100u64 {
            h.eadd(i * 4096, 0x201);
            flat.extend_from_slice(&eadd_record(i * 4096, 0x201));
            h.eextend(i * 4096, &chunk);
            flat.extend_from_slice(&eextend_record(i * 4096));
            flat.extend_from_slice(&chunk);
        }
        h.eadd_unmeasured_range(0x10000, 1000, 4096, 0x207);
        for i in 0..1000u64 {
            flat.extend_from_slice(&eadd_record(0x10000 + i * 4096, 0x207));
        }
        assert_eq!(h.blocks(), (flat.len() / 64) as u64);
        assert_eq!(h.finish(), Sha256::digest(&flat));
    }

    #[test]
    fn unmeasured_ranges_equal_single_records_at_every_batch_boundary() {
        let edges = [0u64, 1, 2, 63, 64, 65, 127, 128, 129, 200];
        for before in edges {
            for count in edges {
                for after in [0u64, 1, 64] {
                    let (mut fast, mut slow) = (MeasurementHasher::new(), MeasurementHasher::new());
                    for h in [&mut fast, &mut slow] {
                        h.ecreate(1, 1 << 30);
                        for i in 0..before {
                            h.eadd(i << 12, 0x201);
                        }
                    }
                    fast.eadd_unmeasured_range(0x4000_0000, count, 4096, 0x203);
                    for i in 0..count {
                        slow.eadd(0x4000_0000 + i * 4096, 0x203);
                    }
                    for h in [&mut fast, &mut slow] {
                        for i in 0..after {
                            h.eadd(0x8000_0000 + (i << 12), 0x205);
                        }
                    }
                    assert_eq!(fast.blocks(), slow.blocks(), "{before} {count} {after}");
                    assert_eq!(fast.finish(), slow.finish(), "{before} {count} {after}");
                }
            }
        }
    }

    #[test]
    fn record_layouts() {
        let r = ecreate_record(4, 0x1122_3344_5566_7788);
        assert_eq!(&r[..8], b"ECREATE\0");
        assert_eq!(&r[8..12], &[4, 0, 0, 0]);
        assert_eq!(&r[12..20], &0x1122_3344_5566_7788u64.to_le_bytes());
        assert!(r[20..].iter().all(|&b| b == 0));
        let r = eadd_record(0x1000, 0x201);
        assert_eq!(&r[..8], b"EADD\0\0\0\0");
        assert_eq!(&r[16..24], &0x201u64.to_le_bytes());
        let r = eextend_record(0x1100);
        assert_eq!(&r[..8], b"EEXTEND\0");
        assert_eq!(&r[8..16], &0x1100u64.to_le_bytes());
    }
}
