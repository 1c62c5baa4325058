//! The policy check against a naive reference (each entry's rules in order, then a search of the
//! URIs before it), on random lists: short and long, sorted and not, with every amount of
//! scratch, and with blocks as small as one record.

use std::collections::HashMap;
use std::string::{String, ToString};
use std::vec::Vec;

use proptest::prelude::*;

use super::*;
use crate::bundle::{BundleBuilder, Dialect, Form};
use crate::elf::LoadSegment;
use crate::layout::LayoutParams;
use crate::profile::GramineVersion;

const PAL_DATA: [u8; 16] = [0x90; 16];
const HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn bundle_bytes(dialect: Dialect, prefixes: &[&'static str], base: &[&'static str]) -> Vec<u8> {
    BundleBuilder {
        params: LayoutParams {
            version: GramineVersion::LATEST,
            enclave_size: 1 << 28,
            threads: 4,
            edmm: false,
            nonpie_binary: false,
        },
        dialect,
        pal_entry: 0,
        pal_segments: std::vec![LoadSegment {
            offset: 0,
            vaddr: 0,
            filesz: PAL_DATA.len() as u64,
            memsz: 4096,
            flags: 5,
            data: &PAL_DATA,
        }],
        sections_form: Form {
            prefix: b"[sgx]\n",
            suffix: b"",
        },
        inline_form: None,
        empty_manifest: None,
        allow_prefixes: prefixes.to_vec(),
        base_entries: base.iter().map(|u| (*u, HASH, false)).collect(),
        info: "",
    }
    .to_bytes()
}

/// The reference: every entry in order, its own rules first, then whether an earlier entry has
/// the same (decoded) URI, found by a map of the URIs seen so far.
fn reference(bundle: &Bundle<'_>, list: &EntryList<'_>) -> Result<(), PolicyViolation> {
    let v = |kind, index: usize, other: usize| PolicyViolation {
        kind,
        index: index as u32,
        other: other as u32,
    };
    if !list.is_empty() && bundle.policy.is_empty() {
        return Err(v(PolicyKind::NothingMayBeAppended, 0, 0));
    }
    let mut seen: HashMap<Vec<u8>, usize> = HashMap::new();
    for (i, e) in list.iter().enumerate() {
        if let Some(k) = entry_violation(bundle, &e) {
            return Err(v(k, i, 0));
        }
        let uri: Vec<u8> = e.uri.bytes().collect();
        if bundle.has_base_uri_hash(&crate::sha256::Sha256::digest(&uri)) {
            return Err(v(PolicyKind::RepeatsBaseUri, i, 0));
        }
        if let Some(&j) = seen.get(&uri) {
            return Err(v(PolicyKind::Duplicate, i, j));
        }
        seen.insert(uri, i);
    }
    Ok(())
}

/// The literal quadratic search, for short lists: the reference of the reference.
fn quadratic_first_repeat(list: &EntryList<'_>) -> Option<(usize, usize)> {
    let all: Vec<Vec<u8>> = list.iter().map(|e| e.uri.bytes().collect()).collect();
    (0..all.len()).find_map(|i| (0..i).find(|&j| all[j] == all[i]).map(|j| (i, j)))
}

/// Checks every way of running the policy check against the reference.
fn check_all_ways(bundle: &Bundle<'_>, list: &EntryList<'_>) {
    let want = reference(bundle, list);
    let n = list.len();
    let sizes = [
        0,
        7,
        STACK_RECORDS * SCRATCH_BYTES_PER_ENTRY + 13,
        scratch_len(list),
        n.saturating_mul(SCRATCH_BYTES_PER_ENTRY).saturating_add(1),
    ];
    for size in sizes {
        // An odd offset: the scratch has no alignment.
        let mut buf = std::vec![0xA5u8; size.saturating_add(1)];
        let got = check_policy_with_scratch(bundle, list, &mut buf[1..]);
        assert_eq!(got, want, "scratch {size} bytes, {n} entries");
    }
    assert_eq!(check_policy(bundle, list, &[0; 32]), want);
}

fn list_of(uris: &[String]) -> Vec<u8> {
    crate::entries::encode(uris.iter().map(|u| (u.as_str(), HASH)))
}

/// URIs drawn from a pool small enough to repeat, a few breaking other rules.
fn uri_strategy(pool: u32) -> impl Strategy<Value = String> {
    prop_oneof![
        20 => (0..pool).prop_map(|k| std::format!("file:/data/f{k:05}")),
        2 => (0..pool).prop_map(|k| std::format!("file:/data/\u{1}%{k}")),
        1 => Just("file:/data/base-a".to_string()),
        1 => Just("file:/etc/passwd".to_string()),
        1 => Just("file:/data/../x".to_string()),
    ]
}

fn lists() -> impl Strategy<Value = (Vec<String>, bool)> {
    (1u32..4000).prop_flat_map(|pool| {
        (
            proptest::collection::vec(uri_strategy(pool), 0..1500),
            any::<bool>(),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn agrees_with_the_reference((mut uris, sorted) in lists(), with_base in any::<bool>()) {
        if sorted {
            uris.sort();
        }
        let base: &[&str] = if with_base { &["file:/data/base-a", "file:/lib/x.so"] } else { &[] };
        let b = bundle_bytes(Dialect::TomliW1, &["file:/data/"], base);
        let bundle = Bundle::parse(&b).unwrap();
        let bytes = list_of(&uris);
        let list = EntryList::parse(&bytes).unwrap();
        check_all_ways(&bundle, &list);
    }

    #[test]
    fn blocks_of_any_size_find_the_first_repeat(
        uris in proptest::collection::vec((0u32..40).prop_map(|k| std::format!("file:/d/{k}")), 0..120),
        block in 1usize..9,
    ) {
        let bytes = list_of(&uris);
        let list = EntryList::parse(&bytes).unwrap();
        let mut buf = std::vec![[0u8; duplicates::RECORD_LEN]; block];
        let got = duplicates::first_repeat_blocked(&list, list.len(), &mut buf, &|e| field_sha256(&e.uri))
            .map(|r| (list.index_of_offset(r.later), list.index_of_offset(r.earlier)));
        prop_assert_eq!(got, quadratic_first_repeat(&list));
    }
}

/// Lists far above the old Bloom filter's capacity (it filled past about 50,000 URIs), with one
/// repeat planted at a random place, unsorted and sorted.
#[test]
fn long_lists_agree_with_the_reference() {
    let b = bundle_bytes(Dialect::TomliW1, &["file:/data/"], &["file:/data/base-a"]);
    let bundle = Bundle::parse(&b).unwrap();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for (n, sorted, plant) in [
        (120_000usize, false, true),
        (120_000, false, false),
        (200_000, true, false),
        (70_000, false, true),
    ] {
        let mut uris: Vec<String> = (0..n)
            .map(|_| std::format!("file:/data/{:016x}", next()))
            .collect();
        if sorted {
            uris.sort();
        }
        if plant {
            let later = n / 2 + (next() as usize) % (n / 2);
            let earlier = (next() as usize) % later;
            uris[later] = uris[earlier].clone();
        }
        let bytes = list_of(&uris);
        let list = EntryList::parse(&bytes).unwrap();
        let want = reference(&bundle, &list);
        assert_eq!(want.is_err(), plant);
        let mut scratch = std::vec![0u8; scratch_len(&list)];
        assert_eq!(
            check_policy_with_scratch(&bundle, &list, &mut scratch),
            want,
            "{n} entries"
        );
        if sorted {
            assert!(scratch.is_empty());
            assert_eq!(check_policy(&bundle, &list, &[0; 32]), want);
        }
    }
}

/// Two different URIs whose records have the same hash prefix are not a repeat: the URIs are
/// compared. (Forged here by giving every entry the same hash.)
#[test]
fn equal_hashes_are_confirmed_by_the_uris() {
    let uris: Vec<String> = ["file:/a", "file:/b", "file:/c", "file:/b", "file:/a"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let bytes = list_of(&uris);
    let list = EntryList::parse(&bytes).unwrap();
    let mut recs: Vec<duplicates::Record> = list
        .iter_offsets()
        .map(|(off, _)| duplicates::record(&[7; 32], off))
        .collect();
    duplicates::sort(&mut recs);
    let r =
        duplicates::first_repeat_in_sorted(&recs, &mut |a, b| same_uri_at(&list, a, b)).unwrap();
    assert_eq!(
        (
            list.index_of_offset(r.later),
            list.index_of_offset(r.earlier)
        ),
        (3, 1)
    );
    let mut buf = [[0u8; duplicates::RECORD_LEN]; 2];
    let r = duplicates::first_repeat_blocked(&list, list.len(), &mut buf, &|_| [7; 32]).unwrap();
    assert_eq!(
        (
            list.index_of_offset(r.later),
            list.index_of_offset(r.earlier)
        ),
        (3, 1)
    );
}

/// The toml 0.10.2 rule and the empty policy come in their place.
#[test]
fn other_rules_keep_their_order() {
    let b = bundle_bytes(Dialect::Toml0102, &["file:/data/"], &[]);
    let bundle = Bundle::parse(&b).unwrap();
    let uris: Vec<String> = [
        "file:/data/b",
        "file:/data/a",
        "file:/data/b",
        "file:/data/\u{80}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let bytes = list_of(&uris);
    let list = EntryList::parse(&bytes).unwrap();
    check_all_ways(&bundle, &list);
    assert_eq!(
        check_policy_with_scratch(&bundle, &list, &mut []).unwrap_err(),
        PolicyViolation {
            kind: PolicyKind::Duplicate,
            index: 2,
            other: 0
        }
    );
    let none = bundle_bytes(Dialect::TomliW1, &[], &[]);
    let none = Bundle::parse(&none).unwrap();
    check_all_ways(&none, &list);
}
