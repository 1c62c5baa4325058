//! DCAP quote parsing on arbitrary bytes: never panics, and for every accepted quote the parsed
//! parts lie inside the input and their lengths add up to exactly the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use measure_core::evidence::{Evidence, Quote, REPORT_BODY_SIZE};

/// `part` lies within `whole`.
fn within(part: &[u8], whole: &[u8]) -> bool {
    let (p, w) = (part.as_ptr() as usize, whole.as_ptr() as usize);
    p >= w && p + part.len() <= w + whole.len()
}

fn check(q: &Quote<'_>, input: &[u8]) {
    assert_eq!(q.raw, input);
    assert!(matches!(q.header.version, 3..=5));
    assert_eq!(q.header.tee_type, 0);
    assert_eq!(q.header.attestation_key_type, 2);
    let sd = &q.signature_data;
    for part in [
        q.signed_data,
        sd.qe.qe_report_raw,
        sd.qe.qe_auth_data,
        sd.qe.certification_data.data,
    ] {
        assert!(within(part, input));
    }
    if let Some(pem) = q.pck_cert_chain() {
        assert!(within(pem, sd.qe.certification_data.data));
    }
    let body_at = if q.header.version == 5 { 54 } else { 48 };
    assert_eq!(q.body_descriptor.is_some(), q.header.version == 5);
    assert_eq!(q.signed_data.len(), body_at + REPORT_BODY_SIZE);
    assert_eq!(&q.signed_data[body_at..], &q.report_body.to_bytes()[..]);
    assert_eq!(&input[..q.signed_data.len()], q.signed_data);
    assert_eq!(sd.qe.qe_report_raw, &sd.qe.qe_report.to_bytes()[..]);
    assert_eq!(
        input.len(),
        q.signed_data.len() + 4 + q.signature_data_len as usize
    );
    let qe_len = REPORT_BODY_SIZE
        + 64
        + 2
        + sd.qe.qe_auth_data.len()
        + 6
        + sd.qe.certification_data.data.len();
    let outer = match sd.outer_certification {
        None => {
            assert_eq!(q.header.version, 3);
            0
        }
        Some(h) => {
            assert_eq!(h.cert_type, 6);
            assert_eq!(h.size as usize, qe_len);
            6
        }
    };
    assert_eq!(q.signature_data_len as usize, 128 + outer + qe_len);
}

fuzz_target!(|data: &[u8]| {
    match Quote::parse(data) {
        Ok(q) => {
            check(&q, data);
            match Evidence::parse(data) {
                Ok(Evidence::Quote(e)) => assert_eq!(e, q),
                other => panic!("Evidence::parse disagrees: {other:?}"),
            }
        }
        Err(e) => {
            let _ = e.to_string();
            if data.len() != 432 {
                assert_eq!(Evidence::parse(data).err(), Some(e));
            }
        }
    }
});
