//! `sgx-measure verify --token --jwks --trust-root`: Intel Trust Authority and Azure Attestation
//! tokens signed by private PKIs generated here (ITA: root, signing CA, token signing
//! certificate; MAA: a self-signed key). Genuine PS384 and RS256 tokens pass; every way a token
//! can be forged, stale or from the wrong enclave exits 1 naming the check; unusable inputs exit
//! 2 naming the problem. Several data owners: one MRENCLAVE per owner, the owner named.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use sgx_test_pki::NOW;
use sgx_test_pki::token::{
    Alg, ITA_KID, MAA_ISSUER, TokenIdentity, TokenPki, header, ita_claims, maa_claims, sign_jwt,
};

fn exe() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sgx-measure"))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(p)
}

const MRENCLAVE: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const MRSIGNER: &str = "2222222222222222222222222222222222222222222222222222222222222222";

struct Case {
    dir: tempfile::TempDir,
    pki: TokenPki,
}

impl Case {
    fn new() -> Case {
        let c = Case {
            dir: tempfile::tempdir().unwrap(),
            pki: TokenPki::new(),
        };
        c.write(
            "ita-root.pem",
            sgx_test_pki::pem(&c.pki.ita_root).as_bytes(),
        );
        c.write("ita-certs.json", c.pki.ita_jwks().as_bytes());
        c.write("maa-signing.der", &c.pki.maa_cert);
        c.write("maa-certs.json", c.pki.maa_jwks().as_bytes());
        c
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
    /// `verify --json --token T --jwks J --trust-root R --now NOW` with `identity` options.
    fn verify(&self, token: &str, jwks: &str, root: &str, extra: &[&str]) -> Output {
        let t = self.write("token.jwt", token.as_bytes());
        let now = NOW.to_string();
        let mut args: Vec<&str> = vec!["verify", "--json", "--token"];
        let t = t.display().to_string();
        let j = self.path(jwks).display().to_string();
        let r = self.path(root).display().to_string();
        args.extend([t.as_str(), "--jwks", &j, "--trust-root", &r, "--now", &now]);
        args.extend(extra);
        exe().args(&args).output().unwrap()
    }
    fn ita(&self, token: &str, extra: &[&str]) -> Output {
        let mut a = vec![
            "--expect-mrenclave",
            MRENCLAVE,
            "--mrsigner",
            MRSIGNER,
            "--isvprodid",
            "1",
            "--min-isvsvn",
            "3",
        ];
        a.extend(extra);
        self.verify(token, "ita-certs.json", "ita-root.pem", &a)
    }
    fn maa(&self, token: &str, extra: &[&str]) -> Output {
        let mut a = vec![
            "--expect-mrenclave",
            MRENCLAVE,
            "--mrsigner",
            MRSIGNER,
            "--isvprodid",
            "1",
            "--min-isvsvn",
            "3",
        ];
        a.extend(extra);
        self.verify(token, "maa-certs.json", "maa-signing.der", &a)
    }
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

fn assert_pass(o: &Output) -> Value {
    assert_eq!(o.status.code(), Some(0), "{}", text(o));
    let j = json_of(o);
    assert_eq!(j["ok"], json!(true));
    j
}

/// Exit 1, and exactly the named checks failed.
fn assert_fails(o: &Output, names: &[&str]) -> Value {
    assert_eq!(o.status.code(), Some(1), "{}", text(o));
    let j = json_of(o);
    assert_eq!(j["ok"], json!(false));
    let failed: Vec<&str> = j["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(failed, names, "{}", text(o));
    j
}

fn check<'a>(j: &'a Value, id: &str) -> &'a Value {
    j["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {j}"))
}

#[test]
fn genuine_tokens_pass() {
    let c = Case::new();
    let id = TokenIdentity::default();
    // ITA, PS384 (its default).
    let j = assert_pass(&c.ita(&c.pki.ita_token(&ita_claims(&id), true), &[]));
    for id in [
        "mrenclave",
        "token_algorithm",
        "token_key",
        "token_chain",
        "token_signature",
        "token_expiry",
        "token_not_before",
        "token_issuer",
        "attestation_type",
        "tcb_status",
        "advisory_ids",
        "mrsigner",
        "isvprodid",
        "isvsvn",
        "debug",
    ] {
        assert_eq!(check(&j, id)["status"], "pass", "{id}");
    }
    assert_eq!(j["token"]["service"], "intel_trust_authority");
    assert_eq!(
        check(&j, "token_chain")["found"],
        "Test Trust Authority Attestation Token Signing <- Test Trust Authority ATS Signing CA <- Test Trust Authority Root CA"
    );
    // ITA, RS256 (on request), with a key the JWKS gives for RS256.
    c.write(
        "ita-rs256-certs.json",
        TokenPki::jwks(
            c.pki.ita_key.as_public_key(),
            ITA_KID,
            "RS256",
            &[&c.pki.ita_leaf, &c.pki.ita_ca, &c.pki.ita_root],
        )
        .as_bytes(),
    );
    let t = c.pki.ita_token(&ita_claims(&id), false);
    let o = c.verify(
        &t,
        "ita-rs256-certs.json",
        "ita-root.pem",
        &["--expect-mrenclave", MRENCLAVE, "--mrsigner", MRSIGNER],
    );
    let j = assert_pass(&o);
    assert_eq!(j["token"]["alg"], "RS256");
    // MAA, RS256, self-signed key pinned as the trust root; its TCB status is the instance's.
    let j = assert_pass(&c.maa(&c.pki.maa_token(&maa_claims(&id)), &[]));
    assert_eq!(j["token"]["service"], "azure_attestation");
    assert_eq!(check(&j, "tcb_status")["status"], "skipped");
    // The text tree says the same.
    let t = c.write("t.jwt", c.pki.ita_token(&ita_claims(&id), true).as_bytes());
    let o = exe()
        .args(["verify", "--expect-mrenclave", MRENCLAVE, "--token"])
        .arg(&t)
        .arg("--jwks")
        .arg(c.path("ita-certs.json"))
        .arg("--trust-root")
        .arg(c.path("ita-root.pem"))
        .args(["--now", &NOW.to_string(), "--nonce", "dGVzdCBub25jZQ=="])
        .output()
        .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.starts_with("verify: PASS\n"), "{out}");
    assert!(
        out.contains("├─ evidence  Intel Trust Authority token"),
        "{out}"
    );
    assert!(out.contains("├─ nonce"), "{out}");
    assert!(out.contains("└─ result: every check passed"), "{out}");
}

#[test]
fn forged_stale_and_wrong_tokens_fail_naming_the_check() {
    let c = Case::new();
    let id = TokenIdentity::default();
    let good = c.pki.ita_token(&ita_claims(&id), true);
    let jku = "https://portal.trustauthority.intel.com/certs";

    // A changed signature byte.
    let mut t = good.clone().into_bytes();
    let at = good.rfind('.').unwrap() + 20;
    t[at] = if t[at] == b'A' { b'B' } else { b'A' };
    let j = assert_fails(
        &c.ita(std::str::from_utf8(&t).unwrap(), &[]),
        &["token signature"],
    );
    assert!(
        check(&j, "token_signature")["found"]
            .as_str()
            .unwrap()
            .contains("does not verify")
    );
    // A changed claim under the original signature.
    let mut forged = ita_claims(&id);
    forged["sgx_isvsvn"] = json!(9);
    let parts: Vec<&str> = good.split('.').collect();
    let body = {
        use base64ct::{Base64UrlUnpadded, Encoding};
        Base64UrlUnpadded::encode_string(forged.to_string().as_bytes())
    };
    let spliced = format!("{}.{body}.{}", parts[0], parts[2]);
    assert_fails(&c.ita(&spliced, &[]), &["token signature"]);

    // Expired; not yet valid.
    let mut claims = ita_claims(&id);
    claims["iat"] = json!(NOW - 7200);
    claims["nbf"] = json!(NOW - 7200);
    claims["exp"] = json!(NOW - 3600);
    assert_fails(
        &c.ita(&c.pki.ita_token(&claims, true), &[]),
        &["token expiry"],
    );
    let mut claims = ita_claims(&id);
    claims["iat"] = json!(NOW + 3600);
    claims["nbf"] = json!(NOW + 3600);
    claims["exp"] = json!(NOW + 7200);
    assert_fails(
        &c.ita(&c.pki.ita_token(&claims, true), &[]),
        &["token not before"],
    );
    // Within the leeway: still valid.
    let mut claims = ita_claims(&id);
    claims["exp"] = json!(NOW - 30);
    assert_pass(&c.ita(&c.pki.ita_token(&claims, true), &[]));
    // No exp at all.
    let mut claims = ita_claims(&id);
    claims.as_object_mut().unwrap().remove("exp");
    assert_fails(
        &c.ita(&c.pki.ita_token(&claims, true), &[]),
        &["token expiry"],
    );

    // Unknown kid.
    let t = sign_jwt(
        &header("PS384", "not-a-known-kid", jku),
        &ita_claims(&id),
        Alg::Ps384(&c.pki.ita_key),
    );
    let j = assert_fails(&c.ita(&t, &[]), &["token key"]);
    assert_eq!(check(&j, "token_chain")["status"], "skipped");
    assert_eq!(check(&j, "token_signature")["status"], "skipped");
    // alg none.
    let t = sign_jwt(&header("none", ITA_KID, jku), &ita_claims(&id), Alg::None);
    assert_fails(&c.ita(&t, &[]), &["token algorithm", "token key"]);
    // HS256 keyed with the RSA public key (PEM, and the JWKS's modulus bytes).
    let pem = c.pki.ita_public_pem();
    for secret in [pem.as_bytes().to_vec(), c.pki.ita_jwks().into_bytes()] {
        let t = sign_jwt(
            &header("HS256", ITA_KID, jku),
            &ita_claims(&id),
            Alg::Hs256(&secret),
        );
        let j = assert_fails(&c.ita(&t, &[]), &["token algorithm", "token key"]);
        assert_eq!(check(&j, "token_signature")["status"], "skipped");
    }
    // RS256 with a key the JWKS gives for PS384: an algorithm not allowed for the key.
    let t = c.pki.ita_token(&ita_claims(&id), false);
    let j = assert_fails(&c.ita(&t, &[]), &["token key"]);
    assert!(
        check(&j, "token_key")["found"]
            .as_str()
            .unwrap()
            .contains("not allowed for the key")
    );
    // Signed by another key under the same kid (the MAA key).
    let t = sign_jwt(
        &header("PS384", ITA_KID, jku),
        &ita_claims(&id),
        Alg::Ps384(&c.pki.maa_key),
    );
    assert_fails(&c.ita(&t, &[]), &["token signature"]);

    // A chain to another root.
    c.write("other-certs.json", c.pki.ita_jwks_other_root().as_bytes());
    let o = c.verify(
        &good,
        "other-certs.json",
        "ita-root.pem",
        &["--expect-mrenclave", MRENCLAVE],
    );
    let j = assert_fails(&o, &["signing certificate chain"]);
    assert!(
        check(&j, "token_chain")["found"]
            .as_str()
            .unwrap()
            .contains("not at the trust root Test Trust Authority Root CA")
    );
    assert_eq!(check(&j, "token_signature")["status"], "skipped");
    // The right chain, but the relying party pinned another root.
    c.write("other-root.der", &c.pki.other_root);
    let o = c.verify(
        &good,
        "ita-certs.json",
        "other-root.der",
        &["--expect-mrenclave", MRENCLAVE],
    );
    assert_fails(&o, &["signing certificate chain"]);
    // A JWK whose n is not its certificate's key.
    let mut jwks: Value = serde_json::from_str(&c.pki.ita_jwks()).unwrap();
    let maa_jwk: Value = serde_json::from_str(&TokenPki::jwks(
        c.pki.maa_key.as_public_key(),
        ITA_KID,
        "PS384",
        &[],
    ))
    .unwrap();
    jwks["keys"][0]["n"] = maa_jwk["keys"][0]["n"].clone();
    c.write("swapped-certs.json", jwks.to_string().as_bytes());
    let o = c.verify(
        &good,
        "swapped-certs.json",
        "ita-root.pem",
        &["--expect-mrenclave", MRENCLAVE],
    );
    assert_fails(&o, &["token key"]);
    // A key without x5c cannot be tied to the root.
    jwks["keys"][0].as_object_mut().unwrap().remove("x5c");
    c.write("bare-certs.json", jwks.to_string().as_bytes());
    let o = c.verify(
        &good,
        "bare-certs.json",
        "ita-root.pem",
        &["--expect-mrenclave", MRENCLAVE],
    );
    assert_fails(&o, &["token key"]);
    // The chain at a time its leaf certificate is not valid.
    let later = (NOW + 400 * 86_400).to_string();
    let t = c.write("good.jwt", good.as_bytes());
    let o = exe()
        .args([
            "verify",
            "--json",
            "--expect-mrenclave",
            MRENCLAVE,
            "--token",
        ])
        .arg(&t)
        .arg("--jwks")
        .arg(c.path("ita-certs.json"))
        .arg("--trust-root")
        .arg(c.path("ita-root.pem"))
        .args(["--now", &later])
        .output()
        .unwrap();
    assert_fails(&o, &["signing certificate chain", "token expiry"]);

    // A debuggable enclave, unless --allow-debug.
    let dbg = TokenIdentity {
        debug: true,
        ..TokenIdentity::default()
    };
    assert_fails(
        &c.ita(&c.pki.ita_token(&ita_claims(&dbg), true), &[]),
        &["DEBUG"],
    );
    assert_pass(&c.ita(
        &c.pki.ita_token(&ita_claims(&dbg), true),
        &["--allow-debug"],
    ));
    assert_fails(&c.maa(&c.pki.maa_token(&maa_claims(&dbg)), &[]), &["DEBUG"]);

    // An unaccepted TCB status; accepted when allowed; a denied advisory.
    let mut claims = ita_claims(&id);
    claims["attester_tcb_status"] = json!("OutOfDate");
    claims["attester_advisory_ids"] = json!(["INTEL-SA-00615", "INTEL-SA-00828"]);
    let t = c.pki.ita_token(&claims, true);
    assert_fails(&c.ita(&t, &[]), &["TCB status"]);
    assert_pass(&c.ita(&t, &["--allow-tcb-status", "UpToDate,OutOfDate"]));
    assert_fails(
        &c.ita(
            &t,
            &[
                "--allow-tcb-status",
                "OutOfDate",
                "--deny-advisory",
                "INTEL-SA-00615",
            ],
        ),
        &["advisory IDs"],
    );
    let mut claims = ita_claims(&id);
    claims["attester_tcb_status"] = json!("Revoked");
    assert_fails(
        &c.ita(&c.pki.ita_token(&claims, true), &[]),
        &["TCB status"],
    );

    // Each mismatching identity claim.
    let cases: [(TokenIdentity, &str); 4] = [
        (
            TokenIdentity {
                mrenclave: [0x99; 32],
                ..TokenIdentity::default()
            },
            "MRENCLAVE",
        ),
        (
            TokenIdentity {
                mrsigner: [0x98; 32],
                ..TokenIdentity::default()
            },
            "MRSIGNER",
        ),
        (
            TokenIdentity {
                isvprodid: 2,
                ..TokenIdentity::default()
            },
            "ISVPRODID",
        ),
        (
            TokenIdentity {
                isvsvn: 2,
                ..TokenIdentity::default()
            },
            "ISVSVN",
        ),
    ];
    for (bad, name) in &cases {
        assert_fails(
            &c.ita(&c.pki.ita_token(&ita_claims(bad), true), &[]),
            &[name],
        );
        assert_fails(&c.maa(&c.pki.maa_token(&maa_claims(bad)), &[]), &[name]);
    }
    // CONFIGID: pinned, the token has another; the token has none.
    let cfg = TokenIdentity {
        configid: Some([0x44; 64]),
        config_svn: 2,
        ..TokenIdentity::default()
    };
    let want = hex::encode([0x44; 64]);
    let other = hex::encode([0x45; 64]);
    assert_pass(&c.ita(
        &c.pki.ita_token(&ita_claims(&cfg), true),
        &["--configid", &want],
    ));
    assert_fails(
        &c.ita(
            &c.pki.ita_token(&ita_claims(&cfg), true),
            &["--configid", &other],
        ),
        &["CONFIGID"],
    );
    assert_fails(
        &c.ita(
            &c.pki.ita_token(&ita_claims(&id), true),
            &["--configid", &want],
        ),
        &["CONFIGID"],
    );
    // MAA's KSS claims: CONFIGID, CONFIGSVN, ISVEXTPRODID, ISVFAMILYID.
    let maa_cfg = c.pki.maa_token(&maa_claims(&cfg));
    let zero16 = hex::encode([0u8; 16]);
    assert_pass(&c.maa(
        &maa_cfg,
        &[
            "--configid",
            &want,
            "--min-configsvn",
            "2",
            "--isvextprodid",
            &zero16,
            "--isvfamilyid",
            &zero16,
        ],
    ));
    assert_fails(&c.maa(&maa_cfg, &["--configid", &other]), &["CONFIGID"]);
    assert_fails(&c.maa(&maa_cfg, &["--min-configsvn", "3"]), &["CONFIGSVN"]);
    assert_fails(
        &c.maa(&maa_cfg, &["--isvfamilyid", &hex::encode([1u8; 16])]),
        &["ISVFAMILYID"],
    );
    // REPORTDATA binding.
    assert_pass(&c.ita(&good, &["--report-data", "3333"]));
    assert_fails(&c.ita(&good, &["--report-data", "3334"]), &["REPORTDATA"]);

    // Issuer, attestation type, nonce.
    let mut claims = maa_claims(&id);
    claims["iss"] = json!("https://attest.example.com");
    assert_fails(&c.maa(&c.pki.maa_token(&claims), &[]), &["token issuer"]);
    assert_fails(
        &c.maa(
            &c.pki.maa_token(&maa_claims(&id)),
            &["--issuer", "https://mine.eus.attest.azure.net"],
        ),
        &["token issuer"],
    );
    assert_pass(&c.maa(
        &c.pki.maa_token(&maa_claims(&id)),
        &["--issuer", MAA_ISSUER, "--nonce", "nonce-1234"],
    ));
    let mut claims = maa_claims(&id);
    claims["x-ms-attestation-type"] = json!("sevsnpvm");
    assert_fails(
        &c.maa(&c.pki.maa_token(&claims), &[]),
        &["attestation type"],
    );
    let mut claims = ita_claims(&id);
    claims["iss"] = json!("Another Authority");
    assert_fails(
        &c.ita(&c.pki.ita_token(&claims, true), &[]),
        &["token issuer"],
    );
    assert_fails(&c.ita(&good, &["--nonce", "b3RoZXI="]), &["nonce"]);
    assert_pass(&c.ita(&good, &["--nonce", "dGVzdCBub25jZQ=="]));
}

#[test]
fn unusable_inputs_exit_2_naming_the_problem() {
    let c = Case::new();
    let id = TokenIdentity::default();
    let good = c.pki.ita_token(&ita_claims(&id), true);
    let cases: Vec<(String, &str, &str, &str)> = vec![
        ("a.b".into(), "ita-certs.json", "ita-root.pem", "2 part(s)"),
        ("a.b.c.d.e".into(), "ita-certs.json", "ita-root.pem", "JWE"),
        (
            "!!.e30.AA".into(),
            "ita-certs.json",
            "ita-root.pem",
            "base64url",
        ),
        (
            sign_jwt(
                &header("PS384", ITA_KID, ""),
                &json!({"sgx_mrenclave": "11", "x-ms-sgx-mrenclave": "11"}),
                Alg::Ps384(&c.pki.ita_key),
            ),
            "ita-certs.json",
            "ita-root.pem",
            "cannot be told",
        ),
        (
            sign_jwt(
                &header("PS384", ITA_KID, ""),
                &json!({"tdx_mrtd": "00"}),
                Alg::Ps384(&c.pki.ita_key),
            ),
            "ita-certs.json",
            "ita-root.pem",
            "no SGX claims",
        ),
        (
            {
                let mut cl = ita_claims(&id);
                cl["sgx_mrenclave"] = json!("abcd");
                c.pki.ita_token(&cl, true)
            },
            "ita-certs.json",
            "ita-root.pem",
            "token claim sgx_mrenclave: 2 bytes, expected 32",
        ),
        (
            {
                let mut cl = ita_claims(&id);
                cl.as_object_mut().unwrap().remove("sgx_is_debuggable");
                c.pki.ita_token(&cl, true)
            },
            "ita-certs.json",
            "ita-root.pem",
            "token claim sgx_is_debuggable: missing",
        ),
        (
            {
                let mut cl = ita_claims(&id);
                cl["sgx_isvsvn"] = json!(70000);
                c.pki.ita_token(&cl, true)
            },
            "ita-certs.json",
            "ita-root.pem",
            "token claim sgx_isvsvn",
        ),
        (
            good.clone(),
            "garbage.json",
            "ita-root.pem",
            "JWKS: not JSON",
        ),
        (good.clone(), "ita-certs.json", "garbage.json", "trust root"),
    ];
    c.write("garbage.json", b"{\"keys\": 3");
    for (token, jwks, root, msg) in cases {
        let o = c.verify(&token, jwks, root, &["--expect-mrenclave", MRENCLAVE]);
        assert_eq!(o.status.code(), Some(2), "{token}: {}", text(&o));
        assert!(text(&o).contains(msg), "{msg}: {}", text(&o));
    }
    // --token without --jwks or --trust-root.
    let t = c.write("t.jwt", good.as_bytes());
    let o = exe()
        .args(["verify", "--expect-mrenclave", MRENCLAVE, "--token"])
        .arg(&t)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// The base bundle and entries of a Gramine vector; a second owner with one file changed.
fn federation(c: &Case) -> (PathBuf, PathBuf) {
    let v = repo("testdata/vectors/public/pa05-append-data-prefix");
    let bundle = c.path("base.bundle");
    let o = exe()
        .current_dir(&v)
        .args([
            "bundle",
            "-q",
            "-m",
            "base.manifest",
            "-l",
            "../elf/pal-basic.so",
        ])
        .args(["--allow-prefix", "file:/data/", "-o"])
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let owners = c.path("owners");
    std::fs::create_dir(&owners).unwrap();
    let e1 = std::fs::read_to_string(v.join("entries.toml")).unwrap();
    std::fs::write(owners.join("hospital-a.toml"), &e1).unwrap();
    let e2 = e1.replacen(
        "4d71621fab75a9c0eeb722fee689957cef4ac2120ad8ed20325bf73d7b63821c",
        "0000000000000000000000000000000000000000000000000000000000000001",
        1,
    );
    assert_ne!(e1, e2);
    std::fs::write(owners.join("hospital-b.toml"), &e2).unwrap();
    (bundle, owners)
}

fn append(bundle: &Path, entries: &Path) -> String {
    let o = exe()
        .args(["append", "-q", "--bundle"])
        .arg(bundle)
        .arg("--entries")
        .arg(entries)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

fn configid(entries: &Path) -> [u8; 64] {
    let o = exe()
        .args(["configid", "--entries"])
        .arg(entries)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let h = String::from_utf8(o.stdout).unwrap();
    hex::decode(h.trim()).unwrap().try_into().unwrap()
}

#[test]
fn several_data_owners_one_mrenclave_each() {
    let c = Case::new();
    let (bundle, owners) = federation(&c);
    let b = bundle.display().to_string();
    let a = owners.join("hospital-a.toml");
    let bb = owners.join("hospital-b.toml");
    let mre_b: [u8; 32] = hex::decode(append(&bundle, &bb))
        .unwrap()
        .try_into()
        .unwrap();
    let mre_a: [u8; 32] = hex::decode(append(&bundle, &a))
        .unwrap()
        .try_into()
        .unwrap();
    assert_ne!(mre_a, mre_b);
    let token_for = |mrenclave: [u8; 32], cfg: Option<[u8; 64]>| {
        c.pki.ita_token(
            &ita_claims(&TokenIdentity {
                mrenclave,
                configid: cfg,
                ..TokenIdentity::default()
            }),
            true,
        )
    };
    let dir = owners.display().to_string();
    let (fa, fb) = (a.display().to_string(), bb.display().to_string());
    // A directory, or --entries repeated: the token of owner B passes and names it.
    for entries in [
        vec!["--entries", &dir],
        vec!["--entries", &fa, "--entries", &fb],
    ] {
        let mut args = vec!["--bundle", b.as_str()];
        args.extend(entries.iter().copied());
        args.extend(["--configid", "auto"]);
        let t = token_for(mre_b, Some(configid(&bb)));
        let o = c.verify(&t, "ita-certs.json", "ita-root.pem", &args);
        let j = assert_pass(&o);
        assert_eq!(j["owner"], "hospital-b");
        assert_eq!(j["owners"].as_array().unwrap().len(), 2);
        assert_eq!(
            check(&j, "mrenclave")["found"],
            format!("{} (hospital-b)", hex::encode(mre_b))
        );
        assert!(
            check(&j, "configid")["detail"]
                .as_str()
                .unwrap()
                .ends_with("of hospital-b")
        );
        // Owner B's enclave with owner A's CONFIGID: refused.
        let t = token_for(mre_b, Some(configid(&a)));
        assert_fails(
            &c.verify(&t, "ita-certs.json", "ita-root.pem", &args),
            &["CONFIGID"],
        );
        // An enclave of no owner.
        let t = token_for([0x77; 32], None);
        let j = assert_fails(
            &c.verify(&t, "ita-certs.json", "ita-root.pem", &args),
            &["MRENCLAVE"],
        );
        assert_eq!(check(&j, "configid")["status"], "skipped");
        assert!(
            check(&j, "mrenclave")["detail"]
                .as_str()
                .unwrap()
                .contains("hospital-a")
        );
    }
    // Text output names the owners.
    let t = c.write("b.jwt", token_for(mre_b, None).as_bytes());
    let o = exe()
        .args(["verify", "--bundle", &b, "--entries", &dir, "--token"])
        .arg(&t)
        .arg("--jwks")
        .arg(c.path("ita-certs.json"))
        .arg("--trust-root")
        .arg(c.path("ita-root.pem"))
        .args(["--now", &NOW.to_string()])
        .output()
        .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("├─ entries   2 data owners: hospital-a ("),
        "{out}"
    );
    assert!(out.contains("(hospital-b)"), "{out}");
    // Two files that name the same owner are refused.
    let dup = c.path("dup");
    std::fs::create_dir(&dup).unwrap();
    std::fs::copy(&a, dup.join("hospital-a.json")).unwrap();
    let dd = dup.display().to_string();
    let o = c.verify(
        &token_for(mre_b, None),
        "ita-certs.json",
        "ita-root.pem",
        &["--bundle", &b, "--entries", &dir, "--entries", &dd],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("both name the data owner"),
        "{}",
        text(&o)
    );
}

/// Intel's published ITA sample token (testdata/tokens/README.md): it parses and its claims are
/// shown, text and JSON; its key is not public, so verifying it fails closed (exit 1, the key).
/// The earlier Project Amber format is refused as carrying no SGX claims.
#[test]
fn published_ita_sample_token_parses() {
    let sample = repo("testdata/tokens/ita-kbs-openapi-sample.jwt");
    let o = exe().args(["token", "view"]).arg(&sample).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    for line in [
        "service:     Intel Trust Authority",
        "header:      alg PS384, kid d7ec7def6775a27be4d4e38654fa1ce8c5e29226c83e205400e4411728b06a46d69059ee64c96f4214556acfbd3b7046",
        "signature:   384 bytes",
        "mrenclave:   83f4e819861adef6ffb2a4865efea9337b91ed30fa33491b17f0d5d9e8204410",
        "mrsigner:    83d719e77deaca1470f6baf62a4d774303c899db69020f9c70ee1dfc08c7ce9e",
        "isvprodid:   0",
        "isvsvn:      0",
        "debuggable:  false",
        "configid:    (absent)",
        "report data: d83eea9126e46a05905d66a08e13f8487d1de48a74679e92a2b0ee725b55d1f5",
        "tcb status:  OutOfDate (TCB date 2021-11-10T00:00:00Z)",
        "advisories:  INTEL-SA-00586, INTEL-SA-00614, INTEL-SA-00615, INTEL-SA-00657, INTEL-SA-00730, INTEL-SA-00738, INTEL-SA-00767, INTEL-SA-00828, INTEL-SA-00837",
        "type:        SGX",
        "nonce:       eHNpWHhPRGpGUkhCS0prS2M0T0ZNaTF1TlozZXZHbUl5UnFnOTRzcTdLbHJXelgvakJ5SjMyMzY1ZWJGSE5vemNuUEMrTVJRbTNTUEp1a1lvaTU2NFE9PQ==",
        "issuer:      Intel Trust Authority",
        "issued at:   2024-01-10T22:40:54Z (1704926454)",
        "expires:     2024-01-10T22:45:54Z (1704926754)",
    ] {
        assert!(out.contains(line), "{line}\n{out}");
    }
    let o = exe()
        .args(["token", "view", "--json"])
        .arg(&sample)
        .output()
        .unwrap();
    let j = json_of(&o);
    assert_eq!(j["service"], "intel_trust_authority", "{j}");
    assert_eq!(j["verified"], false);
    assert_eq!(
        j["header"]["jku"],
        "https://amber-poc-user1.project-amber-smas.com/certs"
    );
    assert_eq!(
        j["claims"]["sgx_collateral"]["quotehash"],
        "1a211c3cf7ebb7d4cf0fa358c8b43ef18adb970834c1271b522899cf70718ccd"
    );
    assert_eq!(
        j["claims"]["attester_advisory_ids"]
            .as_array()
            .unwrap()
            .len(),
        9
    );
    assert_eq!(j["signature_bytes"], 384);

    // Verified against the test PKI at its issue time: the kid is in no JWKS we hold.
    let c = Case::new();
    let token = std::fs::read_to_string(&sample).unwrap();
    let t = c.write("sample.jwt", token.as_bytes());
    let o = exe()
        .args(["verify", "--json", "--token"])
        .arg(&t)
        .arg("--jwks")
        .arg(c.path("ita-certs.json"))
        .arg("--trust-root")
        .arg(c.path("ita-root.pem"))
        .args([
            "--now",
            "1704926500",
            "--expect-mrenclave",
            "83f4e819861adef6ffb2a4865efea9337b91ed30fa33491b17f0d5d9e8204410",
            "--allow-tcb-status",
            "OutOfDate",
        ])
        .output()
        .unwrap();
    let j = assert_fails(&o, &["token key"]);
    assert_eq!(check(&j, "mrenclave")["status"], "pass", "{j}");

    let o = exe()
        .args(["token", "view"])
        .arg(repo("testdata/tokens/amber-kbs-openapi-sample.jwt"))
        .output()
        .unwrap();
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("Project Amber"), "{}", text(&o));
}
