//! DCAP verification on arbitrary quote and collateral bytes: parsing the collateral JSON (every
//! field: PEM chains, CRLs, TCB info, QE identity), the quote, and verifying one against the other
//! (our checks and dcap-qvl's) never panics; verification always reports the same named checks.
//! The same bytes as an RA-TLS certificate (X.509, CBOR tagged evidence) never panic either.
//!
//! Input: a little-endian u32 quote length, the quote, then the collateral JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use measure_core::evidence::Quote;
use measure_lib::dcap::{Collateral, Policy, verify_quote};
use measure_lib::ratls::RaTlsCert;

fuzz_target!(|data: &[u8]| {
    let _ = RaTlsCert::parse(data);
    let Some((len, rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let n = (u32::from_le_bytes(*len) as usize).min(rest.len());
    let (quote, json) = rest.split_at(n);
    let collateral = Collateral::from_json(json);
    let Ok(quote) = Quote::parse(quote) else {
        return;
    };
    let Ok(collateral) = collateral else {
        return;
    };
    // Inside the sample collateral's window, and long after it.
    for now in [1_750_377_600, 4_000_000_000] {
        let policy = Policy::intel(now);
        if let Ok(v) = verify_quote(&quote, &collateral, &policy) {
            let ids: Vec<&str> = v.checks.iter().map(|c| c.id).collect();
            assert_eq!(ids.len(), 12, "{ids:?}");
            let mut unique = ids.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), 12, "{ids:?}");
        }
    }
});
