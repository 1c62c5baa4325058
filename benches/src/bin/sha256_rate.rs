//! Baseline for `benches/compare.py`: compresses N SHA-256 blocks with `sha2`'s compression
//! function (the primitive the engine uses), in 4 KiB batches like the engine, and prints the
//! seconds it took. Usage: `sha256-rate BLOCKS`.

use std::time::Instant;

fn main() {
    let blocks: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1 << 24);
    let batch = vec![[0x5au8; 64]; 64];
    let mut state = [0u32; 8];
    let start = Instant::now();
    let mut left = blocks;
    while left > 0 {
        let n = left.min(64) as usize;
        sha2::block_api::compress256(&mut state, &batch[..n]);
        left -= n as u64;
    }
    let secs = start.elapsed().as_secs_f64();
    // Print the state so the loop cannot be optimised away.
    println!("{secs:.6} {:08x}", state[0]);
}
