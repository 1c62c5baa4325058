//! Inputs that made a fuzz target fail (`testdata/fuzz-regressions/<target>-*`), each run through
//! that target's property (see `fuzz/fuzz_targets/`).

use std::path::{Path, PathBuf};

use measure_lib::entries::{From, To, parse, render_as};

/// The regression inputs of one fuzz target.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/fuzz-regressions");
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{target}-")))
        })
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no regression inputs for {target}");
    out
}

/// `entries_formats`: whatever any format accepts survives rendering as a list, TOML or JSON and
/// parsing back, with the format given and detected.
#[test]
fn entries_formats() {
    for (path, data) in inputs("entries_formats") {
        let name = path.display();
        for from in [
            Some(From::Toml),
            Some(From::Json),
            Some(From::Sha256sum),
            Some(From::List),
            None,
        ] {
            let Ok(entries) = parse(&data, from, None) else {
                continue;
            };
            for (to, back) in [
                (To::List, From::List),
                (To::Toml, From::Toml),
                (To::Json, From::Json),
            ] {
                let bytes = render_as(&entries, to);
                for given in [Some(back), None] {
                    let got = parse(&bytes, given, None).unwrap_or_else(|e| {
                        panic!("{name}: {from:?} -> {to:?} -> {given:?}: {e:#}")
                    });
                    assert_eq!(got, entries, "{name}: {from:?} -> {to:?} -> {given:?}");
                }
            }
        }
    }
}
