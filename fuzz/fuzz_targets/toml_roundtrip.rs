//! TOML parser and tomli_w writer: arbitrary bytes never panic, and for every accepted document
//! the written form is a fixed point: `emit(parse(emit(x))) == emit(x)` in both dialects.
#![no_main]

use libfuzzer_sys::fuzz_target;
use measure_lib::toml::{TomlWriter, decode_text, emit, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = decode_text(data) else {
        return;
    };
    let Ok(table) = parse(&text) else {
        return;
    };
    for dialect in [TomlWriter::TomliW1, TomlWriter::TomliW04] {
        let once = emit(&table, dialect).expect("tomli_w always writes");
        let reparsed = match parse(&once) {
            Ok(t) => t,
            Err(e) => panic!("writer output rejected ({dialect:?}): {e}\n{once:?}"),
        };
        let twice = emit(&reparsed, dialect).expect("tomli_w always writes");
        assert_eq!(once, twice, "not a fixed point ({dialect:?})");
    }
});
