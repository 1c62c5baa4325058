//! SHA-256 of several messages at once on one core.
//!
//! The SHA extensions' round instruction (`sha256rnds2`) takes several cycles to give its result
//! but can start every cycle or two: one message keeps the unit waiting on its own previous
//! rounds most of the time. Rounds of independent messages interleaved fill those gaps: four
//! lanes hash about 1.8 times the bytes of one in the same time on this project's 2-core
//! reference machine (two lanes about 1.5 times). This is what lets the files of a tree be hashed
//! faster than one SHA-256 stream per core.
//!
//! Without the SHA extensions (or off x86-64) each lane is compressed on its own by `sha2`.
//! The state of each lane is a [`Midstate`], so padding and finishing stay in one place
//! (`measure_core::sha256`).

use measure_core::sha256::{BLOCK_LEN, Midstate};

/// A block of a message.
pub(crate) type Block = [u8; BLOCK_LEN];

/// Compresses, for every lane, `blocks[i]` into `states[i]`. Every lane must have the same
/// number of blocks (a caller steps all its lanes by the same count); lanes are grouped by four,
/// then two, then one.
pub(crate) fn compress(states: &mut [&mut Midstate], blocks: &[&[Block]]) {
    let mut states = states.iter_mut().zip(blocks.iter().copied());
    #[cfg(target_arch = "x86_64")]
    if x86::available() {
        loop {
            let mut group: [Option<(&mut Midstate, &[Block])>; 4] = [None, None, None, None];
            let mut n = 0;
            for slot in &mut group {
                match states.next() {
                    Some((s, b)) => {
                        *slot = Some((&mut **s, b));
                        n += 1;
                    }
                    None => break,
                }
            }
            match group {
                [Some(a), Some(b), Some(c), Some(d)] => x86::compress_lanes([a, b, c, d]),
                [Some(a), Some(b), Some(c), None] => {
                    x86::compress_lanes([a, b]);
                    x86::compress_lanes([c]);
                }
                [Some(a), Some(b), None, None] => x86::compress_lanes([a, b]),
                [Some(a), None, None, None] => x86::compress_lanes([a]),
                _ => {}
            }
            if n < 4 {
                return;
            }
        }
    }
    for (s, b) in states {
        s.compress(b);
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi32, _mm_alignr_epi8, _mm_blend_epi16, _mm_loadu_si128, _mm_set_epi64x,
        _mm_setzero_si128, _mm_sha256msg1_epu32, _mm_sha256msg2_epu32, _mm_sha256rnds2_epu32,
        _mm_shuffle_epi8, _mm_shuffle_epi32, _mm_storeu_si128,
    };

    use super::{Block, Midstate};

    /// Whether the CPU has the SHA extensions and the SSE levels the lanes use (asked once; the
    /// standard library caches the answer).
    pub(super) fn available() -> bool {
        std::arch::is_x86_feature_detected!("sha")
            && std::arch::is_x86_feature_detected!("sse4.1")
            && std::arch::is_x86_feature_detected!("ssse3")
    }

    /// The round constants (FIPS 180-4, 4.2.2), four per round group.
    const K: [u32; 64] = [
        0x428a_2f98,
        0x7137_4491,
        0xb5c0_fbcf,
        0xe9b5_dba5,
        0x3956_c25b,
        0x59f1_11f1,
        0x923f_82a4,
        0xab1c_5ed5,
        0xd807_aa98,
        0x1283_5b01,
        0x2431_85be,
        0x550c_7dc3,
        0x72be_5d74,
        0x80de_b1fe,
        0x9bdc_06a7,
        0xc19b_f174,
        0xe49b_69c1,
        0xefbe_4786,
        0x0fc1_9dc6,
        0x240c_a1cc,
        0x2de9_2c6f,
        0x4a74_84aa,
        0x5cb0_a9dc,
        0x76f9_88da,
        0x983e_5152,
        0xa831_c66d,
        0xb003_27c8,
        0xbf59_7fc7,
        0xc6e0_0bf3,
        0xd5a7_9147,
        0x06ca_6351,
        0x1429_2967,
        0x27b7_0a85,
        0x2e1b_2138,
        0x4d2c_6dfc,
        0x5338_0d13,
        0x650a_7354,
        0x766a_0abb,
        0x81c2_c92e,
        0x9272_2c85,
        0xa2bf_e8a1,
        0xa81a_664b,
        0xc24b_8b70,
        0xc76c_51a3,
        0xd192_e819,
        0xd699_0624,
        0xf40e_3585,
        0x106a_a070,
        0x19a4_c116,
        0x1e37_6c08,
        0x2748_774c,
        0x34b0_bcb5,
        0x391c_0cb3,
        0x4ed8_aa4a,
        0x5b9c_ca4f,
        0x682e_6ff3,
        0x748f_82ee,
        0x78a5_636f,
        0x84c8_7814,
        0x8cc7_0208,
        0x90be_fffa,
        0xa450_6ceb,
        0xbef9_a3f7,
        0xc671_78f2,
    ];

    /// Compresses each lane's blocks into its state, the lanes' rounds interleaved. Lanes have
    /// the same number of blocks (the shortest lane's count is used).
    pub(super) fn compress_lanes<const N: usize>(lanes: [(&mut Midstate, &[Block]); N]) {
        let count = lanes.iter().map(|(_, b)| b.len()).min().unwrap_or(0);
        let mut states = [[0u32; 8]; N];
        let mut blocks: [&[Block]; N] = [&[]; N];
        for (i, (s, b)) in lanes.iter().enumerate() {
            if let (Some(state), Some(slot), Some(b)) =
                (states.get_mut(i), blocks.get_mut(i), b.get(..count))
            {
                *state = s.state;
                *slot = b;
            }
        }
        // SAFETY: `available()` was true before any call of this function (the only caller,
        // `compress`, asks it first): the CPU has every feature `rounds` is compiled for.
        unsafe { rounds(&mut states, blocks, count) };
        for (i, (s, _)) in lanes.into_iter().enumerate() {
            if let Some(state) = states.get(i) {
                s.state = *state;
                s.blocks = s.blocks.wrapping_add(count as u64);
            }
        }
    }

    /// The SHA-256 compression of `count` blocks of every lane (each lane's slice has at least
    /// `count` blocks), with the rounds of the `N` lanes interleaved.
    ///
    /// The state is kept in the two registers the instructions use (ABEF and CDGH) and each
    /// block's message schedule in four registers of four words, as Intel's SHA extensions
    /// guide lays them out.
    ///
    /// # Safety
    /// The CPU must support SHA, SSSE3 and SSE4.1.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    #[allow(
        clippy::indexing_slicing,
        clippy::needless_range_loop,
        reason = "every index is a loop counter below an array's constant length (lanes < N, \
                  words < 4, round groups < 16) and blocks are read below `count`, which every \
                  lane's slice reaches (checked by the caller); the lanes' arrays are indexed \
                  side by side rather than zipped, which keeps the interleaving plain"
    )]
    unsafe fn rounds<const N: usize>(
        states: &mut [[u32; 8]; N],
        blocks: [&[Block]; N],
        count: usize,
    ) {
        // Big-endian words of a block to the lanes' little-endian registers.
        let byte_swap = _mm_set_epi64x(0x0c0d_0e0f_0809_0a0b, 0x0405_0607_0001_0203);
        let mut abef = [_mm_setzero_si128(); N];
        let mut cdgh = [_mm_setzero_si128(); N];
        for l in 0..N {
            // SAFETY: `states[l]` is 8 words: two unaligned 16-byte loads stay inside it.
            let (dcba, hgfe) = unsafe {
                (
                    _mm_loadu_si128(states[l].as_ptr().cast::<__m128i>()),
                    _mm_loadu_si128(states[l].as_ptr().add(4).cast::<__m128i>()),
                )
            };
            let cdab = _mm_shuffle_epi32(dcba, 0xB1);
            let efgh = _mm_shuffle_epi32(hgfe, 0x1B);
            abef[l] = _mm_alignr_epi8(cdab, efgh, 8);
            cdgh[l] = _mm_blend_epi16(efgh, cdab, 0xF0);
        }
        for b in 0..count {
            let (abef_in, cdgh_in) = (abef, cdgh);
            let mut w = [[_mm_setzero_si128(); 4]; N];
            for l in 0..N {
                let block = &blocks[l][b];
                for (i, word) in w[l].iter_mut().enumerate() {
                    // SAFETY: a block is 64 bytes: the load reads bytes 16 i to 16 i + 15.
                    let raw =
                        unsafe { _mm_loadu_si128(block.as_ptr().add(16 * i).cast::<__m128i>()) };
                    *word = _mm_shuffle_epi8(raw, byte_swap);
                }
            }
            for g in 0..16 {
                // SAFETY: `K` has 64 words: group g reads words 4 g to 4 g + 3.
                let k = unsafe { _mm_loadu_si128(K.as_ptr().add(4 * g).cast::<__m128i>()) };
                let mut wk = [_mm_setzero_si128(); N];
                for l in 0..N {
                    let w = &mut w[l];
                    if g >= 4 {
                        // W[t] for the next four t from W[t-16..t-13], W[t-15..], W[t-7..] and
                        // W[t-4..]: the words four groups back are replaced in place.
                        let mixed = _mm_add_epi32(
                            _mm_sha256msg1_epu32(w[g % 4], w[(g + 1) % 4]),
                            _mm_alignr_epi8(w[(g + 3) % 4], w[(g + 2) % 4], 4),
                        );
                        w[g % 4] = _mm_sha256msg2_epu32(mixed, w[(g + 3) % 4]);
                    }
                    wk[l] = _mm_add_epi32(w[g % 4], k);
                    cdgh[l] = _mm_sha256rnds2_epu32(cdgh[l], abef[l], wk[l]);
                }
                for l in 0..N {
                    abef[l] =
                        _mm_sha256rnds2_epu32(abef[l], cdgh[l], _mm_shuffle_epi32(wk[l], 0x0E));
                }
            }
            for l in 0..N {
                abef[l] = _mm_add_epi32(abef[l], abef_in[l]);
                cdgh[l] = _mm_add_epi32(cdgh[l], cdgh_in[l]);
            }
        }
        for l in 0..N {
            let feba = _mm_shuffle_epi32(abef[l], 0x1B);
            let dchg = _mm_shuffle_epi32(cdgh[l], 0xB1);
            let dcba = _mm_blend_epi16(feba, dchg, 0xF0);
            let hgfe = _mm_alignr_epi8(dchg, feba, 8);
            // SAFETY: `states[l]` is 8 words: two unaligned 16-byte stores stay inside it.
            unsafe {
                _mm_storeu_si128(states[l].as_mut_ptr().cast::<__m128i>(), dcba);
                _mm_storeu_si128(states[l].as_mut_ptr().add(4).cast::<__m128i>(), hgfe);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn blocks_of(seed: u8, n: usize) -> Vec<Block> {
        (0..n)
            .map(|i| {
                let mut b = [0u8; BLOCK_LEN];
                for (j, byte) in b.iter_mut().enumerate() {
                    *byte = (i as u8).wrapping_mul(31) ^ (j as u8).wrapping_mul(seed) ^ seed;
                }
                b
            })
            .collect()
    }

    proptest! {
        /// Any number of lanes, interleaved, gives each lane the state `sha2` alone gives it,
        /// from any starting state.
        #[test]
        fn lanes_agree_with_one_message_at_a_time(
            lanes in 0usize..11,
            count in 0usize..9,
            seed in any::<u8>(),
            start_blocks in 0usize..3,
        ) {
            let inputs: Vec<Vec<Block>> =
                (0..lanes).map(|l| blocks_of(seed.wrapping_add(l as u8), count)).collect();
            let prefix = blocks_of(seed ^ 0x5a, start_blocks);
            let mut start = Midstate::INITIAL;
            start.compress(&prefix);
            let mut alone = vec![start; lanes];
            for (s, b) in alone.iter_mut().zip(&inputs) {
                s.compress(b);
            }
            let mut together = vec![start; lanes];
            let mut refs: Vec<&mut Midstate> = together.iter_mut().collect();
            let slices: Vec<&[Block]> = inputs.iter().map(Vec::as_slice).collect();
            compress(&mut refs, &slices);
            prop_assert_eq!(together, alone);
        }
    }
}
