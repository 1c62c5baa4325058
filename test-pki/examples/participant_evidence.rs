//! Tests only: the evidence of a participant of examples/openfl, signed by this crate's private
//! PKI: a DCAP quote (v3, v4 or v5) with the given enclave identity and REPORTDATA, the
//! collateral that verifies it, and the PKI's root CA certificate (the trust root to give instead
//! of Intel's). Verification must happen at `sgx_test_pki::NOW` (printed).
//!
//! ```text
//! cargo run -p sgx-test-pki --example participant_evidence -- VERSION MRENCLAVE MRSIGNER \
//!     ISVPRODID ISVSVN REPORT_DATA_HEX OUT_DIR
//! ```
//!
//! Writes OUT_DIR/quote-vVERSION.bin, OUT_DIR/collateral.json, OUT_DIR/root.pem; prints NOW.
//!
//! With VERSION `token`: an Intel Trust Authority-style token (PS384) asserting that identity
//! instead, signed by this crate's token PKI: OUT_DIR/token.jwt, OUT_DIR/token-jwks.json (the
//! signing key with its chain) and OUT_DIR/token-root.pem (the root to pin).

use sgx_test_pki::token::{TokenIdentity, TokenPki, ita_claims};
use sgx_test_pki::{Body, CollateralSpec, NOW, Pki, QuoteSpec, pem};

fn hex_array<const N: usize>(s: &str, what: &str) -> [u8; N] {
    let v = hex::decode(s).unwrap_or_else(|e| panic!("{what}: not hex: {e}"));
    v.try_into()
        .unwrap_or_else(|v: Vec<u8>| panic!("{what}: {} bytes, expected {N}", v.len()))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [
        version,
        mrenclave,
        mrsigner,
        isvprodid,
        isvsvn,
        report_data,
        out,
    ] = &args[..]
    else {
        eprintln!(
            "usage: participant_evidence VERSION|token MRENCLAVE MRSIGNER ISVPRODID ISVSVN REPORT_DATA_HEX OUT_DIR"
        );
        std::process::exit(2);
    };
    let mut rd = [0u8; 64];
    let given = hex::decode(report_data).expect("REPORT_DATA_HEX: hex");
    rd[..given.len()].copy_from_slice(&given);
    let body = Body {
        mrenclave: hex_array(mrenclave, "MRENCLAVE"),
        mrsigner: hex_array(mrsigner, "MRSIGNER"),
        isvprodid: isvprodid.parse().expect("ISVPRODID"),
        isvsvn: isvsvn.parse().expect("ISVSVN"),
        report_data: rd,
        ..Body::default()
    };
    if version == "token" {
        let id = TokenIdentity {
            mrenclave: body.mrenclave,
            mrsigner: body.mrsigner,
            isvprodid: body.isvprodid,
            isvsvn: body.isvsvn,
            report_data: rd,
            ..TokenIdentity::default()
        };
        let pki = TokenPki::new();
        let dir = std::path::Path::new(out);
        std::fs::write(dir.join("token.jwt"), pki.ita_token(&ita_claims(&id), true))
            .expect("write token");
        std::fs::write(dir.join("token-jwks.json"), pki.ita_jwks()).expect("write JWKS");
        std::fs::write(dir.join("token-root.pem"), pem(&pki.ita_root)).expect("write root");
        println!("{NOW}");
        return;
    }
    let pki = Pki::new();
    let version: u16 = version.parse().expect("VERSION");
    let quote = pki.quote(&QuoteSpec {
        version,
        body: body.bytes(),
        ..QuoteSpec::default()
    });
    let dir = std::path::Path::new(out);
    std::fs::write(dir.join(format!("quote-v{version}.bin")), quote).expect("write quote");
    std::fs::write(
        dir.join("collateral.json"),
        pki.collateral(&CollateralSpec::default()),
    )
    .expect("write collateral");
    std::fs::write(dir.join("root.pem"), pem(&pki.root)).expect("write root");
    println!("{NOW}");
}
