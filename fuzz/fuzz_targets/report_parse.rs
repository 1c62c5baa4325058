//! REPORT and REPORTBODY parsing on arbitrary bytes: never panics; whatever parses serializes back
//! to the same bytes; the accessors never panic; `Evidence::parse` agrees on 432-byte inputs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use measure_core::evidence::{Evidence, REPORT_BODY_SIZE, REPORT_SIZE, Report, ReportBody};

fn accessors(b: &ReportBody) {
    let _ = (
        b.is_debug(),
        b.is_mode64bit(),
        b.kss_enabled(),
        b.has_provision_key(),
        b.has_einittoken_key(),
        b.misc_exinfo(),
        b.misc_cpinfo(),
        b.kss_fields_zero(),
        b.reserved_zero(),
    );
    assert_eq!(b.kss_consistent(), b.kss_enabled() || b.kss_fields_zero());
}

fuzz_target!(|data: &[u8]| {
    // Also the input padded/truncated to the exact sizes, so that field decoding is always reached.
    let mut exact = [0u8; REPORT_SIZE];
    let n = data.len().min(REPORT_SIZE);
    exact[..n].copy_from_slice(&data[..n]);

    for input in [data, &exact[..]] {
        match Report::parse(input) {
            Ok(r) => {
                assert_eq!(input.len(), REPORT_SIZE);
                assert_eq!(&r.to_bytes()[..], input);
                accessors(&r.body);
                match Evidence::parse(input) {
                    Ok(Evidence::Report(e)) => assert_eq!(e, r),
                    other => panic!("a 432-byte input is a REPORT: {other:?}"),
                }
            }
            Err(e) => {
                assert_ne!(input.len(), REPORT_SIZE);
                let _ = e.to_string();
            }
        }
        let body_input = &input[..input.len().min(REPORT_BODY_SIZE)];
        if let Ok(b) = ReportBody::parse(body_input) {
            assert_eq!(&b.to_bytes()[..], body_input);
            accessors(&b);
        }
        let _ = ReportBody::parse(input).map_err(|e| e.to_string());
    }
});
