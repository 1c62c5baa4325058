//! Attestation tokens, JWKS documents and expected-identity documents on arbitrary bytes: no
//! panic; an accepted token is exactly three base64url parts of the trimmed input; verification
//! against a fixed test PKI (an ITA-style root and JWKS) errs only where the claims cannot be
//! read, reports distinct checks, fails the algorithm check for any algorithm but PS384/RS256,
//! and never passes the signature check with another algorithm.
#![no_main]

use std::sync::OnceLock;

use base64ct::{Base64UrlUnpadded, Encoding};
use libfuzzer_sys::fuzz_target;
use measure_lib::check::Status;
use measure_lib::policy::Document;
use measure_lib::token::{Jwks, Token, TokenClaims, TokenPolicy, verify_token};
use sgx_test_pki::token::TokenPki;

struct Fixture {
    jwks: Jwks,
    policy: TokenPolicy,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let pki = TokenPki::new();
        let jwks = Jwks::parse(pki.ita_jwks().as_bytes()).expect("test JWKS");
        let policy = TokenPolicy::new(&pki.ita_root, sgx_test_pki::NOW).expect("test root");
        Fixture { jwks, policy }
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(jwks) = Jwks::parse(data) {
        for k in &jwks.keys {
            if let Some(kid) = &k.kid {
                assert_eq!(jwks.find(kid).and_then(|f| f.kid.as_deref()), Some(kid.as_str()));
            }
        }
    }
    if let Ok(doc) = Document::parse(data) {
        // A document that parses describes an expected identity with at least one enclave.
        let e = doc.to_expected("fuzz").expect("parse validated it");
        assert!(!e.identity.mrenclaves.is_empty());
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let token = match Token::parse(text) {
        Ok(t) => t,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    assert_eq!(token.text, text.trim());
    let parts: Vec<&str> = token.text.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(
        Base64UrlUnpadded::decode_vec(parts[2]).ok().as_deref(),
        Some(token.signature.as_slice())
    );
    let typed = TokenClaims::from_claims(&token.claims);
    let f = fixture();
    match verify_token(&token, &f.jwks, &f.policy) {
        Ok(v) => {
            assert_eq!(Some(&v.claims), typed.as_ref().ok());
            let mut ids: Vec<&str> = v.checks.iter().map(|c| c.id).collect();
            let n = ids.len();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), n, "duplicate check ids");
            let check = |id: &str| v.checks.iter().find(|c| c.id == id);
            let alg_ok = matches!(token.alg(), Some("PS384" | "RS256"));
            assert_eq!(
                check("token_algorithm").map(|c| c.status == Status::Pass),
                Some(alg_ok)
            );
            if check("token_signature").is_some_and(|c| c.status == Status::Pass) {
                assert!(alg_ok);
            }
        }
        Err(e) => {
            assert!(typed.is_err(), "claims read but verification errored: {e}");
        }
    }
});
