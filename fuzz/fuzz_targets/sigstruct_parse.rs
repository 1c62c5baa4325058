//! SIGSTRUCT parsing on arbitrary bytes: never panics; whatever parses serializes back to the
//! same 1808 bytes; the date decoders and the signing data never panic either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use measure_core::sigstruct::{DateEncoding, SIGSTRUCT_SIZE, Sigstruct};

fuzz_target!(|data: &[u8]| {
    // Also try the input padded/truncated to the exact size, with valid headers, so that the
    // field decoding is reached for most inputs.
    let mut exact = [0u8; SIGSTRUCT_SIZE];
    let n = data.len().min(SIGSTRUCT_SIZE);
    exact[..n].copy_from_slice(&data[..n]);
    exact[..16].copy_from_slice(&measure_core::sigstruct::HEADER);
    exact[24..40].copy_from_slice(&measure_core::sigstruct::HEADER2);
    for input in [data, &exact[..]] {
        match Sigstruct::parse(input) {
            Ok(s) => {
                assert_eq!(input.len(), SIGSTRUCT_SIZE);
                assert_eq!(&s.to_bytes()[..], input);
                let signing = s.signing_data();
                assert_eq!(&signing[..128], &input[..128]);
                assert_eq!(&signing[128..], &input[900..1028]);
                let _ = s.mrsigner();
                for enc in [DateEncoding::Binary, DateEncoding::Bcd] {
                    if let Ok(d) = s.date(enc) {
                        // A decoded date encodes back to the same bytes.
                        if let Ok(bytes) = enc.encode(d) {
                            assert_eq!(bytes, s.date);
                        }
                    }
                }
                assert_eq!(
                    Sigstruct::parse_strict(input).is_ok(),
                    s.date(DateEncoding::Bcd).is_ok()
                );
            }
            Err(_) => assert!(Sigstruct::parse_strict(input).is_err()),
        }
    }
    let _ = Sigstruct::from_signing_data(data);
});
