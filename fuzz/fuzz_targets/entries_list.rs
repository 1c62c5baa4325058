//! The canonical entry list on arbitrary bytes: never panics; an accepted list decodes to UTF-8
//! strings whose encoding is exactly the input (one encoding per list), and `configid` agrees with
//! the parser. Also the other direction: any strings encode to a list that parses back to them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use measure_core::configid::configid;
use measure_core::entries::{self, EntryList, Field};
use measure_core::sha256::Sha256;

fn decode(f: &Field<'_>) -> String {
    String::from_utf8(f.bytes().collect()).expect("an accepted field decodes to UTF-8")
}

fn check_field(f: &Field<'_>, s: &str) {
    let d = s.as_bytes();
    assert!(f.eq_bytes(d));
    assert_eq!(f.decoded_len(), d.len());
    // `starts_with` agrees with the decoded bytes, for prefixes of the string and of its raw form.
    for n in [0, 1, d.len() / 2, d.len().saturating_sub(1), d.len()].map(|n| n.min(d.len())) {
        assert!(f.starts_with(&d[..n]));
        let raw = &f.raw()[..n.min(f.raw().len())];
        assert_eq!(f.starts_with(raw), d.starts_with(raw));
    }
    let mut longer = d.to_vec();
    longer.push(b'x');
    assert!(!f.starts_with(&longer));
    assert!(!f.eq_bytes(&longer));
}

fuzz_target!(|data: &[u8]| {
    match EntryList::parse(data) {
        Ok(list) => {
            let decoded: Vec<(String, String)> = list
                .iter()
                .map(|e| {
                    let (u, s) = (decode(&e.uri), decode(&e.sha256));
                    check_field(&e.uri, &u);
                    check_field(&e.sha256, &s);
                    assert!(!u.is_empty());
                    (u, s)
                })
                .collect();
            assert_eq!(decoded.len(), list.len());
            assert_eq!(list.is_empty(), decoded.is_empty());
            let again = entries::encode(decoded.iter().map(|(u, s)| (u.as_str(), s.as_str())));
            assert_eq!(again, data, "accepted a non-canonical list");
            let id = configid(data).expect("configid refuses an accepted list");
            assert_eq!(id[..32], Sha256::digest(data));
            assert_eq!(id[32..], [0u8; 32]);
        }
        Err(e) => {
            let _ = e.to_string();
            assert_eq!(configid(data), Err(e));
        }
    }

    // Strings from the input (the first byte, if ASCII, separates URIs and hashes): encoding then
    // parsing is the identity, for every string but an empty URI.
    let Some((&sep, rest)) = data.split_first() else {
        return;
    };
    let sep = if sep.is_ascii() {
        char::from(sep)
    } else {
        '\0'
    };
    let text = String::from_utf8_lossy(rest);
    let parts: Vec<&str> = text.split(sep).collect();
    let pairs: Vec<(&str, &str)> = parts
        .chunks(2)
        .map(|c| (c[0], c.get(1).copied().unwrap_or("")))
        .filter(|(u, _)| !u.is_empty())
        .collect();
    let bytes = entries::encode(pairs.iter().copied());
    let list = match EntryList::parse(&bytes) {
        Ok(l) => l,
        Err(e) => panic!("encode output rejected: {e}"),
    };
    assert_eq!(list.len(), pairs.len());
    for (e, (u, s)) in list.iter().zip(&pairs) {
        assert_eq!(decode(&e.uri), *u);
        assert_eq!(decode(&e.sha256), *s);
    }
});
