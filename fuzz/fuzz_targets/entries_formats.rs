//! Data owners' entry formats (TOML, JSON, sha256sum lines, the canonical list, and detection) on
//! arbitrary bytes: never panics, and whatever is accepted survives rendering as a list, TOML or
//! JSON and parsing back, with the format given and with the format detected.
#![no_main]

use libfuzzer_sys::fuzz_target;
use measure_lib::entries::{EntryRec, From, To, detect, parse, render_as};

fn round_trip(entries: &[EntryRec]) {
    for (to, from) in [
        (To::List, From::List),
        (To::Toml, From::Toml),
        (To::Json, From::Json),
    ] {
        let bytes = render_as(entries, to);
        for given in [Some(from), None] {
            match parse(&bytes, given, None) {
                Ok(back) => assert_eq!(back, entries, "{to:?} read as {given:?}"),
                Err(e) => panic!(
                    "{to:?} output not read back as {given:?} (detected {:?}): {e:#}\n{entries:?}\n{:?}",
                    detect(&bytes),
                    String::from_utf8_lossy(&bytes)
                ),
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let detected = detect(data);
    let auto = parse(data, None, None);
    for from in [From::Toml, From::Json, From::Sha256sum, From::List] {
        let given = parse(data, Some(from), None);
        if from == detected {
            // Detection then parsing is parsing in the detected format.
            match (&auto, &given) {
                (Ok(a), Ok(g)) => assert_eq!(a, g),
                (Err(_), Err(_)) => {}
                _ => panic!("autodetect ({detected:?}) disagrees with --from {from:?}"),
            }
        }
        if let Ok(entries) = given {
            round_trip(&entries);
        }
    }
    // The sha256sum prefix option: any prefix is prepended to every path; other formats refuse it.
    if let Ok(with) = parse(data, Some(From::Sha256sum), Some("file:/p/")) {
        let plain = parse(data, Some(From::Sha256sum), Some("")).expect("same lines, other prefix");
        assert_eq!(with.len(), plain.len());
        for (w, p) in with.iter().zip(&plain) {
            assert_eq!(w.uri, format!("file:/p/{}", p.uri));
            assert_eq!(w.sha256, p.sha256);
        }
    }
    assert!(parse(data, Some(From::Json), Some("file:")).is_err());
});
