//! SHA-256 built on `sha2`'s block compression function, with a midstate that serializes to a
//! fixed byte format and resumes exactly.
//!
//! Only the padding and the block bookkeeping live here; the rounds are `sha2::block_api::compress256`
//! (which picks SHA-NI at run time, or a backend fixed at build time with
//! `--cfg sha2_backend="soft"` for code that must never execute CPUID, such as enclave builds).

use sha2::block_api::compress256;

/// Size of one SHA-256 block.
pub const BLOCK_LEN: usize = 64;

/// SHA-256 initial hash value (FIPS 180-4, 5.3.3).
const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// The state of a SHA-256 computation after a whole number of blocks.
///
/// Serialized form ([`Midstate::to_bytes`], 40 bytes): the eight state words, each little-endian,
/// then the number of blocks compressed so far as a little-endian `u64`. This is the same layout
/// as RustCrypto's `Sha256VarCore` serialized state, so it can be checked against other tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Midstate {
    /// The eight 32-bit chaining words.
    pub state: [u32; 8],
    /// Number of 64-byte blocks compressed so far.
    pub blocks: u64,
}

impl Default for Midstate {
    fn default() -> Self {
        Self::INITIAL
    }
}

impl Midstate {
    /// The state before any block: the SHA-256 IV and a block count of zero.
    pub const INITIAL: Midstate = Midstate {
        state: IV,
        blocks: 0,
    };

    /// Length of [`Midstate::to_bytes`].
    pub const SERIALIZED_LEN: usize = 40;

    /// Compresses whole blocks into the state.
    #[inline]
    pub fn compress(&mut self, blocks: &[[u8; BLOCK_LEN]]) {
        compress256(&mut self.state, blocks);
        self.blocks = self.blocks.wrapping_add(blocks.len() as u64);
    }

    /// Finishes the hash of a message that is exactly the blocks compressed so far.
    pub fn finalize(self) -> [u8; 32] {
        self.finalize_with_tail(&[])
    }

    /// Finishes the hash of the compressed blocks followed by `tail` (fewer than 64 bytes, the
    /// message's last partial block; longer tails are processed as whole blocks first).
    #[allow(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        reason = "`rest` is shorter than a block and n is 1 or 2, so every index and bound is \
                  between 0 and 2 blocks: 128 bytes"
    )]
    pub fn finalize_with_tail(mut self, tail: &[u8]) -> [u8; 32] {
        let (whole, rest) = tail.as_chunks::<BLOCK_LEN>();
        self.compress(whole);
        let bit_len = self
            .blocks
            .wrapping_mul(BLOCK_LEN as u64)
            .wrapping_add(rest.len() as u64)
            .wrapping_mul(8);
        let mut last = [[0u8; BLOCK_LEN]; 2];
        let flat = last.as_flattened_mut();
        flat[..rest.len()].copy_from_slice(rest);
        flat[rest.len()] = 0x80;
        // One padding block if the 0x80 byte and the 8-byte length fit after the tail, else two.
        let n = if rest.len() < BLOCK_LEN - 8 { 1 } else { 2 };
        flat[n * BLOCK_LEN - 8..n * BLOCK_LEN].copy_from_slice(&bit_len.to_be_bytes());
        compress256(&mut self.state, &last[..n]);
        let mut out = [0u8; 32];
        for (chunk, word) in out.chunks_exact_mut(4).zip(self.state) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    /// The fixed 40-byte serialized form (see the type's documentation).
    pub fn to_bytes(&self) -> [u8; Self::SERIALIZED_LEN] {
        let mut out = [0u8; Self::SERIALIZED_LEN];
        let (words, count) = out.split_at_mut(32);
        for (chunk, word) in words.chunks_exact_mut(4).zip(self.state) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        count.copy_from_slice(&self.blocks.to_le_bytes());
        out
    }

    /// Restores a state from [`Midstate::to_bytes`]. Every 40-byte value is a valid state.
    pub fn from_bytes(bytes: &[u8; Self::SERIALIZED_LEN]) -> Self {
        let (words, count) = bytes.split_at(32);
        let mut state = [0u32; 8];
        for (word, chunk) in state.iter_mut().zip(words.chunks_exact(4)) {
            let mut w = [0u8; 4];
            w.copy_from_slice(chunk);
            *word = u32::from_le_bytes(w);
        }
        let mut c = [0u8; 8];
        c.copy_from_slice(count);
        Midstate {
            state,
            blocks: u64::from_le_bytes(c),
        }
    }
}

/// Incremental SHA-256 over arbitrary byte strings (used for CONFIGID, bundle and entry digests).
#[derive(Clone, Debug)]
pub struct Sha256 {
    mid: Midstate,
    buf: [u8; BLOCK_LEN],
    buf_len: usize,
}

impl Default for Sha256 {
    fn default() -> Self {
        Self::new()
    }
}

impl Sha256 {
    /// A hasher for the empty message.
    pub const fn new() -> Self {
        Sha256 {
            mid: Midstate::INITIAL,
            buf: [0; BLOCK_LEN],
            buf_len: 0,
        }
    }

    /// Appends `data` to the message.
    #[allow(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        reason = "buf_len < BLOCK_LEN between calls and take <= BLOCK_LEN - buf_len, so \
                  buf_len + take <= BLOCK_LEN"
    )]
    pub fn update(&mut self, mut data: &[u8]) {
        if self.buf_len > 0 {
            let take = (BLOCK_LEN - self.buf_len).min(data.len());
            let (head, rest) = data.split_at(take);
            self.buf[self.buf_len..self.buf_len + take].copy_from_slice(head);
            self.buf_len += take;
            data = rest;
            if self.buf_len < BLOCK_LEN {
                return;
            }
            let block = self.buf;
            self.mid.compress(&[block]);
            self.buf_len = 0;
        }
        let (whole, rest) = data.as_chunks::<BLOCK_LEN>();
        if !whole.is_empty() {
            self.mid.compress(whole);
        }
        self.buf[..rest.len()].copy_from_slice(rest);
        self.buf_len = rest.len();
    }

    /// The digest of everything appended so far.
    pub fn finalize(self) -> [u8; 32] {
        self.mid
            .finalize_with_tail(self.buf.get(..self.buf_len).unwrap_or(&[]))
    }

    /// One-shot digest.
    pub fn digest(data: &[u8]) -> [u8; 32] {
        let mut h = Self::new();
        h.update(data);
        h.finalize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(d: [u8; 32]) -> std::string::String {
        d.iter().map(|b| std::format!("{b:02x}")).collect()
    }

    #[test]
    fn known_answers() {
        assert_eq!(
            hex(Sha256::digest(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(Sha256::digest(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    #[test]
    fn padding_boundaries_match_sha2() {
        use sha2::Digest as _;
        let data: std::vec::Vec<u8> = (0..300u32).map(|i| (i % 251) as u8).collect();
        for len in 0..data.len() {
            let want: [u8; 32] = sha2::Sha256::digest(&data[..len]).into();
            assert_eq!(Sha256::digest(&data[..len]), want, "len {len}");
            // Byte-at-a-time updates.
            let mut h = Sha256::new();
            for b in &data[..len] {
                h.update(core::slice::from_ref(b));
            }
            assert_eq!(h.finalize(), want, "bytewise len {len}");
        }
    }

    #[test]
    fn midstate_round_trips() {
        let mut m = Midstate::INITIAL;
        m.compress(&[[7u8; 64], [9u8; 64]]);
        let bytes = m.to_bytes();
        assert_eq!(Midstate::from_bytes(&bytes), m);
        assert_eq!(&bytes[32..], &2u64.to_le_bytes());
    }
}
