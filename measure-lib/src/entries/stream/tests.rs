//! The streaming readers against the whole-input readers: same entries, same errors, same
//! detection, on generated documents of every format and on damaged copies of them.

use std::io::Write as _;

use proptest::prelude::*;
use serde_json::Value as Json;

use super::*;
use crate::entries::{EntryRec, To, parse, render_as};

/// JSON entries as they were read before the one-pass reader: the whole document into a `Value`.
fn json_reference(bytes: &[u8]) -> Result<Vec<EntryRec>> {
    use crate::entries::{EntryProblem, entry_error};
    let v: Json = serde_json::from_slice(bytes).map_err(|source| EntriesError::Json { source })?;
    let Json::Array(items) = v else {
        return Err(EntriesError::NotJsonArray.into());
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let Json::Object(o) = item else {
                return Err(entry_error(i, EntryProblem::NotAnObject));
            };
            if let Some(k) = o.keys().find(|k| *k != "uri" && *k != "sha256") {
                return Err(entry_error(
                    i,
                    EntryProblem::UnexpectedKey { key: k.clone() },
                ));
            }
            let get = |key: &'static str| match o.get(key) {
                Some(Json::String(s)) => Ok(s.clone()),
                Some(_) => Err(entry_error(
                    i,
                    EntryProblem::NotAString { key, found: None },
                )),
                None => Err(entry_error(i, EntryProblem::Missing { key, toml: false })),
            };
            Ok(EntryRec {
                uri: get("uri")?,
                sha256: get("sha256")?,
            })
        })
        .collect()
}

fn text<T: std::fmt::Debug>(r: &Result<T>) -> String {
    match r {
        Ok(v) => format!("ok {v:?}"),
        Err(e) => format!("error {}", crate::error::chain(e)),
    }
}

/// Every streaming reading of `bytes` agrees with `parse` then `to_list` (entries, digest, error
/// text).
fn check_agrees(bytes: &[u8], from: Option<From>, uri_prefix: Option<&str>) {
    let chain = |e: &Error| crate::error::chain(e);
    let want: std::result::Result<(Vec<EntryRec>, Vec<u8>), String> =
        parse(bytes, from, uri_prefix)
            .and_then(|e| {
                let list = to_list(&e);
                EntryList::parse(&list)?;
                Ok((e, list))
            })
            .map_err(|e| chain(&e));
    let shown = || String::from_utf8_lossy(bytes).into_owned();
    let canonical = to_canonical(bytes, from, uri_prefix)
        .map(|c| c.into_owned())
        .map_err(|e| chain(&e));
    assert_eq!(
        canonical,
        want.clone().map(|(_, l)| l),
        "to_canonical of {:?}",
        shown()
    );
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    for input in [
        EntriesInput::open(file.path(), from, uri_prefix),
        EntriesInput::from_bytes(bytes, from, uri_prefix),
    ] {
        let got = input
            .and_then(|i| {
                let mut seen = Vec::new();
                let pass = i.for_each(&mut |e| {
                    seen.push(EntryRec {
                        uri: String::from_utf8(e.uri.bytes().collect()).unwrap(),
                        sha256: String::from_utf8(e.sha256.bytes().collect()).unwrap(),
                    });
                    Ok(())
                })?;
                Ok((seen, pass))
            })
            .map_err(|e| chain(&e));
        match (&want, &got) {
            (Ok((w, list)), Ok((g, pass))) => {
                assert_eq!(w, g, "{:?}", shown());
                assert_eq!(pass.count, w.len());
                assert_eq!(pass.digest, <[u8; 32]>::from(Sha256::digest(list)));
            }
            (Err(w), Err(g)) => assert_eq!(w, g, "{:?}", shown()),
            _ => panic!("parse {want:?} but stream {got:?} for {:?}", shown()),
        }
    }
}

fn entry_strategy() -> impl Strategy<Value = EntryRec> {
    let s = prop_oneof![
        8 => "[a-z0-9/._-]{1,30}".prop_map(|s| format!("file:/data/{s}")),
        1 => any::<String>(),
        1 => "[\\\\\"\t\n\r%é ]{0,6}",
    ];
    let h = prop_oneof![4 => "[0-9a-f]{64}", 1 => any::<String>(), 1 => Just(String::new())];
    (s, h).prop_map(|(uri, sha256)| EntryRec { uri, sha256 })
}

/// A few damages: a byte changed, a line dropped or repeated, the text cut, a byte-order mark
/// added, CRLF line endings.
fn damage(bytes: &[u8], kind: u8, at: usize, byte: u8) -> Vec<u8> {
    let mut v = bytes.to_vec();
    if v.is_empty() {
        return v;
    }
    let at = at % v.len();
    match kind % 6 {
        4 => return [b"\xEF\xBB\xBF", v.as_slice()].concat(),
        5 => {
            return String::from_utf8_lossy(&v)
                .replace('\n', "\r\n")
                .into_bytes();
        }
        0 => v[at] = byte,
        1 => v.truncate(at),
        2 => {
            let start = v[..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            let end = v[at..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(v.len(), |p| at + p + 1);
            let line = v[start..end].to_vec();
            v.splice(start..start, line);
        }
        _ => {
            let start = v[..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            let end = v[at..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(v.len(), |p| at + p + 1);
            v.drain(start..end);
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_format_streams_as_parsed(
        entries in proptest::collection::vec(entry_strategy(), 0..12),
        damaged in any::<bool>(),
        kind in any::<u8>(),
        at in any::<usize>(),
        byte in prop_oneof![Just(b'"'), Just(b'\\'), Just(b'\n'), Just(b' '), Just(b'#'), Just(b'['), Just(0xffu8), any::<u8>()],
    ) {
        for to in [To::List, To::Toml, To::Json] {
            let mut bytes = render_as(&entries, to);
            if damaged {
                bytes = damage(&bytes, kind, at, byte);
            }
            check_agrees(&bytes, None, None);
            for from in [From::List, From::Toml, From::Json, From::Sha256sum] {
                check_agrees(&bytes, Some(from), None);
            }
        }
        // sha256sum lines, as hash-files writes them (paths with backslashes and newlines
        // escaped), damaged or not.
        let mut sums = crate::dataset::render(
            &entries
                .iter()
                .map(|e| (e.uri.clone(), e.sha256.clone()))
                .collect::<Vec<_>>(),
            crate::dataset::EntryFormat::Sha256sum,
        )
        .into_bytes();
        if damaged {
            sums = damage(&sums, kind, at, byte);
        }
        check_agrees(&sums, None, None);
        check_agrees(&sums, Some(From::Sha256sum), Some("file:/p/"));
    }

    #[test]
    fn json_reads_as_the_value_reader(
        items in proptest::collection::vec(prop_oneof![
            3 => (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(u, s, x, rep)| {
                let mut o = serde_json::Map::new();
                if x { o.insert("zz".into(), Json::from(1)); }
                if u { o.insert("uri".into(), Json::from("file:/a")); }
                if s { o.insert("sha256".into(), if rep { Json::from(5) } else { Json::from("ab") }); }
                Json::Object(o)
            }),
            1 => Just(Json::from(1e300)),
            1 => Just(Json::Array(vec![Json::Null])),
        ], 0..6),
        kind in any::<u8>(),
        at in any::<usize>(),
        byte in any::<u8>(),
        damaged in any::<bool>(),
    ) {
        let mut bytes = serde_json::to_vec(&Json::Array(items)).unwrap();
        if damaged {
            bytes = damage(&bytes, kind, at, byte);
        }
        let mut got = Vec::new();
        let r = crate::entries::json::for_each_entry(&bytes, &mut |uri, sha256| got.push(EntryRec { uri, sha256 }));
        let want = json_reference(&bytes);
        prop_assert_eq!(text(&r.map(|()| got)), text(&want));
        prop_assert_eq!(crate::entries::json::is_valid(&bytes), serde_json::from_slice::<Json>(&bytes).is_ok());
    }

    #[test]
    fn detection_from_a_prefix_is_detection(
        entries in proptest::collection::vec(entry_strategy(), 0..4),
        lead in "[ \t\n\u{3000}]{0,3}",
        to in 0u8..6,
        cut in any::<usize>(),
    ) {
        let body = match to {
            0 => render_as(&entries, To::List),
            1 => render_as(&entries, To::Toml),
            2 => render_as(&entries, To::Json),
            // `sha256sum --tag` lines, and another algorithm's (refused once read, as such).
            4 | 5 => entries
                .iter()
                .map(|e| format!(
                    "{} ({}) = {}\n",
                    if to == 4 { "SHA256" } else { "SHA512-256" },
                    e.uri.strip_prefix("file:").unwrap_or(&e.uri),
                    e.sha256
                ))
                .collect::<String>()
                .into_bytes(),
            _ => crate::dataset::render(
                &entries.iter().map(|e| (e.uri.clone(), e.sha256.clone())).collect::<Vec<_>>(),
                crate::dataset::EntryFormat::Sha256sum,
            ).into_bytes(),
        };
        let bytes = [lead.as_bytes(), &body].concat();
        let n = cut % (bytes.len() + 1);
        if let Some(f) = detect_from_prefix(&bytes[..n], n == bytes.len()) {
            prop_assert_eq!(f, detect(&bytes), "prefix of {} bytes", n);
        }
    }
}

#[test]
fn hash_files_toml_takes_the_simple_path() {
    let entries: Vec<(String, String)> = (0..50)
        .map(|i| (format!("file:/data/é/{i:04}.bin"), format!("{i:064x}")))
        .collect();
    let toml = crate::dataset::render(&entries, crate::dataset::EntryFormat::Toml);
    let mut n = 0;
    assert!(simple_toml(toml.as_bytes(), &mut |_, _| n += 1).is_some());
    assert_eq!(n, 50);
    // What needs escapes or another layout goes to the parser, with the same result.
    for other in [
        toml.replace("[[sgx.trusted_files]]\nuri", "[[sgx.trusted_files]]\n uri"),
        toml.replace("0001.bin", "0001\\u0062.bin"),
        toml.replace('\n', "\r\n"),
    ] {
        assert!(simple_toml(other.as_bytes(), &mut |_, _| {}).is_none());
        check_agrees(other.as_bytes(), None, None);
    }
}

#[test]
fn stdin_like_spooling_and_long_lines() {
    // A line longer than the read buffer, in both streamed formats.
    let long = format!("file:/data/{}", "x".repeat(3 * CHUNK));
    let entries = vec![
        EntryRec {
            uri: long.clone(),
            sha256: "00".into(),
        },
        EntryRec {
            uri: "file:/data/b".into(),
            sha256: "11".into(),
        },
    ];
    check_agrees(&render_as(&entries, To::List), None, None);
    let sums = format!("00  {}\n11  /data/b\n", &long["file:".len()..]);
    check_agrees(sums.as_bytes(), None, None);
}

/// `sha256sum --tag` lines (BSD style) are detected and read by every reader alike; another
/// algorithm's tag lines are refused as such, by every reader alike.
#[test]
fn tag_lines_are_read_and_other_algorithms_refused() {
    let h = "ab".repeat(32);
    let tagged = format!("SHA256 (/data/x (1)) = {h}\n{h}  /data/y\n");
    assert_eq!(detect(tagged.as_bytes()), From::Sha256sum);
    let e = parse(tagged.as_bytes(), None, None).unwrap();
    assert_eq!(e[0].uri, "file:/data/x (1)");
    assert_eq!(e[1].uri, "file:/data/y");
    check_agrees(tagged.as_bytes(), None, None);
    // Cut before its " (" is seen whole: not decided yet.
    assert_eq!(detect_from_prefix(b"\tSHA256 ", false), None);
    // A tag line longer than the bytes looked at to detect the format.
    let long = format!("SHA256 (/data/{}) = {h}\n", "n".repeat(SNIFF + 10));
    assert_eq!(detect_from_prefix(&long.as_bytes()[..SNIFF], false), None);
    check_agrees(long.as_bytes(), None, None);
    let md5 = "MD5 (data/x.bin) = 401b30e3b8b5d629635a5c613cdb7919\n";
    assert_eq!(detect(md5.as_bytes()), From::Sha256sum);
    let err = crate::error::chain(&parse(md5.as_bytes(), None, None).unwrap_err());
    assert!(err.contains("--tag") && err.contains("MD5"), "{err}");
    check_agrees(md5.as_bytes(), None, None);
}

/// A repeated pass does not check each entry's content again: an entry that became malformed
/// since the first pass (here a hash no longer hexadecimal, rewritten in place) is not refused
/// by it, but its digest differs from the first pass's, which is what callers compare; a first
/// pass refuses the same file.
#[test]
fn a_repeated_pass_leaves_content_to_the_digest() {
    let good = "sgx-measure entries v1\nfile:/data/a\t".to_string() + &"ab".repeat(32) + "\n";
    let bad = good.replace(&"ab".repeat(32), &"zz".repeat(32));
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(good.as_bytes()).unwrap();
    file.flush().unwrap();
    let input = EntriesInput::open(file.path(), None, None).unwrap();
    let first = input.for_each(&mut |_| Ok(())).unwrap();
    assert_eq!(input.repeat_pass(&mut |_| Ok(())).unwrap(), first);
    std::fs::write(file.path(), bad.as_bytes()).unwrap();
    let again = input.repeat_pass(&mut |_| Ok(())).unwrap();
    assert_eq!(again.count, first.count);
    assert_ne!(again.digest, first.digest);
    let e = input.for_each(&mut |_| Ok(())).unwrap_err().to_string();
    assert!(e.contains("zz"), "{e}");
}
