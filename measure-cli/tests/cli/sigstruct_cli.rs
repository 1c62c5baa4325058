//! `sgx-measure sigstruct verify|view|attach` and `gen-key` from the command line: every field of a
//! `.sig` is covered by a check, bad inputs give clear errors (never a panic), two-step signing
//! with openssl (the commands of docs/signing.md) gives the one-step `.sig`, and key handling
//! follows Gramine (3072 bits, exponent 3, PKCS#1 / PKCS#8 / encrypted PKCS#8).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use measure_core::sigstruct::{SIGSTRUCT_SIZE, Sigstruct, offset};
use measure_lib::sigstruct::{
    attach_signature, default_sigfile, load_private_key, parse_date, parse_private_key_pem,
    parse_public_key_pem, sign, verify,
};

fn sgx_measure() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sgx-measure"))
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn test_key() -> PathBuf {
    root().join("testdata/vectors/test-signing-key.pem")
}

fn keys() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys")
}

/// p09 (debug, exinfo, ISV values) signed by Gramine v1.9.
fn vector() -> common::VectorResult {
    common::all_results()
        .into_iter()
        .find(|r| r.case == "p09-debug-exinfo-isv" && r.dir == "expected/v1.9_tomliw-1.2.0")
        .expect("p09 v1.9")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs `sgx-measure sigstruct verify` on `bytes`.
fn verify_cli(bytes: &[u8], with_manifest: bool) -> Output {
    let r = vector();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("x.sig");
    std::fs::write(&path, bytes).expect("write");
    let mut cmd = sgx_measure();
    cmd.args(["sigstruct", "verify"]).arg(&path);
    if with_manifest {
        cmd.arg("--manifest")
            .arg(r.expected().join("out.manifest.sgx"))
            .arg("--libpal")
            .arg(&r.libpal)
            .args(["--gramine", "1.9"]);
    }
    cmd.output().expect("run")
}

fn assert_clean_failure(o: &Output, want: &str, what: &str) {
    assert!(!o.status.success(), "{what}: should fail");
    assert_eq!(
        o.status.code(),
        Some(2),
        "{what}: exit code 2, unusable input (a panic would abort)"
    );
    let err = stderr(o);
    assert!(!err.contains("panicked"), "{what}: panic: {err}");
    assert!(err.contains(want), "{what}: stderr {err:?} lacks {want:?}");
}

#[test]
fn verify_accepts_gramine_sigs() {
    let r = vector();
    let sig = std::fs::read(r.expected().join("out.sig")).expect("sig");
    let o = verify_cli(&sig, true);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    for line in [
        "EXPONENT: OK",
        "MODULUS: OK",
        "SIGNATURE: OK",
        "Q1: OK",
        "Q2: OK",
        "RESERVED: OK",
        "mrsigner: 31ecbf4d643bddb30e2216800a2193f052328a5705e2fe300f0fde4dccb1d9f4",
        "ENCLAVEHASH: OK",
        "ATTRIBUTES: OK",
    ] {
        assert!(out.contains(line), "missing {line:?} in\n{out}");
    }
    // Every successful vector verifies (library; the CLI runs the same function).
    let mut n = 0;
    for r in common::all_results()
        .into_iter()
        .filter(|r| r.exit_code == 0)
    {
        let bytes = std::fs::read(r.expected().join("out.sig")).expect("sig");
        let s = Sigstruct::parse(&bytes).expect("parse");
        let v = verify(&s);
        assert!(v.ok(), "{}/{}: {:?}", r.case, r.dir, v.checks);
        n += 1;
    }
    assert!(n >= 609);
}

/// One bit flipped in the middle of each field: verify fails and names the check that caught it.
#[test]
fn verify_rejects_one_flipped_bit_in_every_field() {
    let r = vector();
    let good = std::fs::read(r.expected().join("out.sig")).expect("sig");
    use offset as o;
    // (field, offset, length, the check expected to fail; "not a SIGSTRUCT" = parse error)
    let fields: &[(&str, usize, usize, &str)] = &[
        ("HEADER", o::HEADER, 16, "HEADER (bytes 0..16)"),
        ("VENDOR", o::VENDOR, 4, "SIGNATURE"),
        ("DATE", o::DATE, 4, "SIGNATURE"),
        ("HEADER2", o::HEADER2, 16, "HEADER2"),
        ("SWDEFINED", o::SWDEFINED, 4, "SIGNATURE"),
        ("RESERVED1", o::RESERVED1, 84, "SIGNATURE"),
        ("MODULUS", o::MODULUS, 384, "SIGNATURE"),
        ("EXPONENT", o::EXPONENT, 4, "EXPONENT"),
        ("SIGNATURE", o::SIGNATURE, 384, "SIGNATURE"),
        ("MISCSELECT", o::MISC_SELECT, 4, "SIGNATURE"),
        ("MISCMASK", o::MISC_MASK, 4, "SIGNATURE"),
        ("CET_ATTRIBUTES", o::CET_ATTRIBUTES, 1, "SIGNATURE"),
        (
            "CET_ATTRIBUTES_MASK",
            o::CET_ATTRIBUTES_MASK,
            1,
            "SIGNATURE",
        ),
        ("RESERVED2", o::RESERVED2, 2, "SIGNATURE"),
        ("ISVFAMILYID", o::ISV_FAMILY_ID, 16, "SIGNATURE"),
        ("ATTRIBUTES", o::ATTRIBUTES, 16, "SIGNATURE"),
        ("ATTRIBUTEMASK", o::ATTRIBUTE_MASK, 16, "SIGNATURE"),
        ("ENCLAVEHASH", o::ENCLAVE_HASH, 32, "SIGNATURE"),
        ("RESERVED3", o::RESERVED3, 16, "SIGNATURE"),
        ("ISVEXTPRODID", o::ISVEXT_PROD_ID, 16, "SIGNATURE"),
        ("ISVPRODID", o::ISV_PROD_ID, 2, "SIGNATURE"),
        ("ISVSVN", o::ISV_SVN, 2, "SIGNATURE"),
        ("RESERVED4", o::RESERVED4, 12, "RESERVED"),
        ("Q1", o::Q1, 384, "Q1"),
        ("Q2", o::Q2, 384, "Q2"),
    ];
    let covered: usize = fields.iter().map(|f| f.2).sum();
    assert_eq!(
        covered, SIGSTRUCT_SIZE,
        "every byte belongs to a field above"
    );
    for &(name, off, len, check) in fields {
        for bit in [0u8, 7] {
            let mut bad = good.clone();
            bad[off + len / 2] ^= 1 << bit;
            let o = verify_cli(&bad, false);
            assert!(!o.status.success(), "{name} bit {bit}: accepted");
            assert!(!stderr(&o).contains("panicked"), "{name}: panic");
            let all = format!("{}{}", stdout(&o), stderr(&o));
            let want = if check.starts_with("HEADER") {
                format!("not a SIGSTRUCT: {check}")
            } else {
                format!("{check}: FAILED")
            };
            assert!(
                all.contains(&want),
                "{name} bit {bit}: {want:?} not in\n{all}"
            );
        }
    }
    // With the manifest, a different MRENCLAVE is also reported as such.
    let mut bad = good.clone();
    bad[o::ENCLAVE_HASH] ^= 1;
    let o = verify_cli(&bad, true);
    assert!(stdout(&o).contains("ENCLAVEHASH: FAILED"), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("verification failed: SIGNATURE, ENCLAVEHASH"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn truncated_or_corrupted_sigs_give_clear_errors() {
    let r = vector();
    let good = std::fs::read(r.expected().join("out.sig")).expect("sig");
    for (bytes, want) in [
        (good[..1807].to_vec(), "1807 bytes instead of 1808"),
        (Vec::new(), "0 bytes instead of 1808"),
        (
            [good.clone(), vec![0]].concat(),
            "1809 bytes instead of 1808",
        ),
        (vec![0xff; 1808], "HEADER"),
    ] {
        let o = verify_cli(&bytes, false);
        assert_clean_failure(&o, want, want);
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("bad.sig");
        std::fs::write(&p, &bytes).expect("write");
        let o = sgx_measure()
            .args(["sigstruct", "view"])
            .arg(&p)
            .output()
            .expect("run");
        assert_clean_failure(&o, want, want);
    }
    // A missing file.
    let o = sgx_measure()
        .args(["sigstruct", "verify", "/nonexistent/x.sig"])
        .output()
        .expect("run");
    assert_clean_failure(&o, "cannot read SIGSTRUCT", "missing file");
    // Binary (v1.4) date read as v1.5+: Gramine's "Misencoded"; --gramine 1.4 reads it.
    let v14 = common::all_results()
        .into_iter()
        .find(|r| r.case == "p09-debug-exinfo-isv" && r.version == "v1.4")
        .expect("p09 v1.4");
    let sig14 = v14.expected().join("out.sig");
    let o = sgx_measure()
        .args(["sigstruct", "view"])
        .arg(&sig14)
        .output()
        .expect("run");
    assert_clean_failure(&o, "Misencoded date_day", "v1.4 date");
    let o = sgx_measure()
        .args(["sigstruct", "view", "--gramine", "1.4"])
        .arg(&sig14)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("    date: 2026-01-01\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn view_json_and_toml_formats() {
    let r = vector();
    let sig = r.expected().join("out.sig");
    let run = |args: &[&str]| {
        let o = sgx_measure()
            .args(["sigstruct", "view"])
            .arg(&sig)
            .args(args)
            .output()
            .expect("run");
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    let json = run(&["--json"]);
    // json.dump(indent=4): four-space indent, no final newline.
    assert!(
        json.starts_with("{\n    \"mr_signer\": \"31ecbf4d"),
        "{json}"
    );
    assert!(json.ends_with("    \"debug_enclave\": true\n}"), "{json}");
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(parsed["isv_prod_id"], 1234);
    assert_eq!(parsed["isv_svn"], 65535);
    assert_eq!(parsed["attribute_xfrm_mask"], "0xfffffffffff9ff1b");
    assert_eq!(parsed["date"], "2026-01-01");
    let toml = run(&["--toml"]);
    assert!(toml.starts_with("mr_signer = \"31ecbf4d"), "{toml}");
    assert!(toml.contains("\nisv_prod_id = 1234\n"), "{toml}");
    assert!(toml.contains("\nmisc_select = \"0x1\"\n"), "{toml}");
    assert!(toml.ends_with("\ndebug_enclave = true\n"), "{toml}");
    // Without --verbose (Gramine's default): five fields.
    let quiet = run(&["-q"]);
    assert_eq!(quiet.lines().count(), 6, "{quiet}");
    assert!(!quiet.contains("attribute_flags"));
}

fn has_openssl() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("SKIPPED: openssl is not installed, two-step signing with openssl not tested");
    }
    ok
}

/// The `sh` code block after `<!-- tested: NAME -->` in docs/signing.md, one command a line.
fn doc_commands(name: &str) -> Vec<String> {
    let doc = std::fs::read_to_string(root().join("docs/signing.md")).expect("docs/signing.md");
    let marker = format!("<!-- tested: {name} -->");
    let start = doc
        .find(&marker)
        .unwrap_or_else(|| panic!("{marker} not in docs/signing.md"));
    let rest = &doc[start..];
    let block = rest
        .split("```sh")
        .nth(1)
        .expect("a ```sh block after the marker");
    let block = block.split("```").next().expect("closed block");
    block
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

fn run_line(dir: &Path, line: &str) {
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut cmd = match words[0] {
        "openssl" => Command::new("openssl"),
        "sgx-measure" => sgx_measure(),
        other => panic!("unexpected command {other} in docs/signing.md"),
    };
    let o = cmd
        .args(&words[1..])
        .current_dir(dir)
        .output()
        .expect("run");
    assert!(o.status.success(), "{line}: {}{}", stdout(&o), stderr(&o));
}

/// docs/signing.md's two-step flows, with the signing data of a Gramine-signed vector: the
/// assembled `.sig` is Gramine's.
#[test]
fn two_step_signing_with_openssl_matches_one_step() {
    if !has_openssl() {
        return;
    }
    for r in common::all_results().into_iter().filter(|r| {
        r.exit_code == 0
            && [
                "p09-debug-exinfo-isv",
                "p11-cpu-features-2",
                "p01-defaults-empty",
            ]
            .contains(&r.case.as_str())
            && ["v1.4", "v1.6", "v1.9"].contains(&r.version.as_str())
    }) {
        let want = std::fs::read(r.expected().join("out.sig")).expect("sig");
        let data = Sigstruct::parse(&want).expect("parse").signing_data();
        for flow in ["two-step", "one-command"] {
            let dir = tempfile::tempdir().expect("tempdir");
            let d = dir.path();
            std::fs::copy(test_key(), d.join("enclave-key.pem")).expect("key");
            std::fs::write(d.join("data.bin"), data).expect("data");
            std::fs::copy(
                r.expected().join("out.manifest.sgx"),
                d.join("app.manifest.sgx"),
            )
            .expect("manifest");
            std::fs::copy(&r.libpal, d.join("libpal.so")).expect("libpal");
            let mut lines = doc_commands(flow);
            if flow == "one-command" {
                lines.push(
                    "openssl pkey -in enclave-key.pem -pubout -out enclave-key.pub.pem".into(),
                );
            }
            for line in lines.iter().chain(&doc_commands("attach")) {
                // The docs verify with the default version (1.9).
                let line = if line.contains("verify") && r.version != "v1.9" {
                    format!("{line} --gramine {}", r.version_flag())
                } else {
                    line.clone()
                };
                run_line(d, &line);
            }
            let have = std::fs::read(d.join("app.sig")).expect("app.sig");
            assert!(
                have == want,
                "{}/{} {flow}: .sig differs from Gramine's",
                r.case,
                r.dir
            );
        }
    }
}

#[test]
fn attach_refuses_bad_signatures() {
    let r = vector();
    let want = std::fs::read(r.expected().join("out.sig")).expect("sig");
    let sig = Sigstruct::parse(&want).expect("parse");
    let mut be = sig.signature;
    be.reverse();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("data.bin"), sig.signing_data()).expect("data");
    let pubkey = load_private_key(&test_key(), None)
        .expect("key")
        .to_public_key();
    use rsa::pkcs8::EncodePublicKey;
    let pem = pubkey
        .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
        .expect("pem");
    std::fs::write(d.join("pub.pem"), pem).expect("pub");
    let attach = |sig_bytes: &[u8], data: &str, key: &Path| {
        std::fs::write(d.join("sig.bin"), sig_bytes).expect("sig.bin");
        sgx_measure()
            .args([
                "sigstruct",
                "attach",
                "--signing-data",
                data,
                "--signature",
                "sig.bin",
            ])
            .arg("--public-key")
            .arg(key)
            .args(["-o", "out.sig"])
            .current_dir(d)
            .output()
            .expect("run")
    };
    // Good: big-endian.
    let o = attach(&be, "data.bin", &d.join("pub.pem"));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(d.join("out.sig")).expect("out"), want);
    std::fs::remove_file(d.join("out.sig")).expect("rm");
    // Little-endian (as stored in the .sig).
    let o = attach(&sig.signature, "data.bin", &d.join("pub.pem"));
    assert_clean_failure(&o, "byte-reversed", "reversed signature");
    // Another message.
    let mut other = sig.signing_data();
    other[200] ^= 1;
    std::fs::write(d.join("other.bin"), other).expect("other");
    let o = attach(&be, "other.bin", &d.join("pub.pem"));
    assert_clean_failure(&o, "does not verify", "other data");
    // Wrong sizes, wrong key.
    let o = attach(&be[1..], "data.bin", &d.join("pub.pem"));
    assert_clean_failure(&o, "383 bytes, expected 384", "short signature");
    std::fs::write(d.join("short.bin"), [0u8; 255]).expect("short");
    let o = attach(&be, "short.bin", &d.join("pub.pem"));
    assert_clean_failure(&o, "255 bytes, expected 256", "short data");
    let o = attach(&be, "data.bin", &keys().join("rsa-3072-e65537.pem"));
    assert_clean_failure(&o, "expected exponent 3, got 65537", "e=65537 key");
    assert!(!d.join("out.sig").exists(), "nothing written on failure");

    // The library: attach_signature gives sign()'s result.
    let key = load_private_key(&test_key(), None).expect("key");
    let mut signed = Sigstruct::from_signing_data(&sig.signing_data()).expect("unsigned");
    sign(&mut signed, &key).expect("sign");
    let mut attached = Sigstruct::from_signing_data(&sig.signing_data()).expect("unsigned");
    attach_signature(&mut attached, key.as_public_key(), &be).expect("attach");
    assert_eq!(signed, attached);
    assert_eq!(signed.to_bytes()[..], want[..]);
}

#[test]
fn key_formats_and_checks() {
    let r = vector();
    let want = std::fs::read(r.expected().join("out.sig")).expect("sig");
    let unsigned =
        Sigstruct::from_signing_data(&Sigstruct::parse(&want).expect("p").signing_data())
            .expect("unsigned");
    let read = |name: &str| std::fs::read_to_string(keys().join(name)).expect("key file");
    let sign_with = |pem: &str, pass: Option<&str>| {
        let key = parse_private_key_pem(pem, pass, "key")?;
        let mut s = unsigned;
        sign(&mut s, &key)?;
        anyhow::Ok(s.to_bytes().to_vec())
    };
    // PKCS#8 (the vectors' key), PKCS#1, encrypted PKCS#8: all sign like Gramine.
    let pkcs8 = std::fs::read_to_string(test_key()).expect("key");
    assert_eq!(sign_with(&pkcs8, None).expect("pkcs8"), want);
    assert_eq!(
        sign_with(&read("test-signing-key.pkcs1.pem"), None).expect("pkcs1"),
        want
    );
    let enc = read("test-signing-key.pkcs8-encrypted.pem");
    assert_eq!(sign_with(&enc, Some("gramine")).expect("encrypted"), want);
    let err = |pem: &str, pass: Option<&str>| format!("{:#}", sign_with(pem, pass).unwrap_err());
    assert!(err(&enc, None).contains("is encrypted: give its passphrase with -p/--passphrase"));
    assert!(err(&enc, Some("wrong")).contains("wrong passphrase"));
    assert!(err(&pkcs8, Some("x")).contains("passphrase was given but key is not encrypted"));
    assert!(
        err(
            &read("test-signing-key.legacy-encrypted.pem"),
            Some("gramine")
        )
        .contains("legacy OpenSSL format")
    );
    assert!(
        err(&read("rsa-2048-e3.pem"), None)
            .contains("Invalid RSA key: expected key size 3072, got 2048")
    );
    assert!(
        err(&read("rsa-3072-e65537.pem"), None)
            .contains("Invalid RSA key: expected exponent 3, got 65537")
    );
    assert!(err(&read("ec-p256.pem"), None).contains("SGX needs an RSA key"));
    assert!(err("hello", None).contains("not a PEM file"));
    assert!(
        err(
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            None
        )
        .contains("expected an RSA private key")
    );
    assert!(
        err(
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
            None
        )
        .contains("invalid PKCS#1 RSA private key")
    );
    // Public keys.
    assert!(
        measure_lib::error::chain(
            &parse_public_key_pem(&read("rsa-2048-e3.pem"), "pub").unwrap_err()
        )
        .contains("expected key size 3072")
    );
    // load_private_key names the file.
    let e = measure_lib::error::chain(
        &load_private_key(&keys().join("rsa-2048-e3.pem"), None).unwrap_err(),
    );
    assert!(e.contains("rsa-2048-e3.pem"), "{e}");
    let e = measure_lib::error::chain(
        &load_private_key(Path::new("/nonexistent.pem"), None).unwrap_err(),
    );
    assert!(e.contains("cannot read signing key"), "{e}");
}

#[test]
fn dates_and_sigfile_names() {
    assert_eq!(
        parse_date("2026-01-01").expect("date").to_string(),
        "2026-01-01"
    );
    assert_eq!(
        parse_date("0000-00-00").expect("date").to_string(),
        "0000-00-00"
    );
    for real in [
        "2024-02-29",
        "2000-02-29",
        "0001-01-01",
        "9999-12-31",
        "2026-04-30",
    ] {
        assert_eq!(parse_date(real).expect("date").to_string(), real);
    }
    // Dates that do not exist are refused as Python's datetime.date refuses them (they used to be
    // written into the SIGSTRUCT); 0000-00-00, Gramine's "no date", stays accepted.
    for (impossible, why) in [
        ("2026-13-01", "month must be between 1 and 12"),
        ("2026-00-10", "month must be between 1 and 12"),
        ("2026-02-30", "day must be between 1 and 28"),
        ("2023-02-29", "day must be between 1 and 28"),
        ("1900-02-29", "day must be between 1 and 28"),
        ("2026-04-31", "day must be between 1 and 30"),
        ("2026-01-00", "day must be between 1 and 31"),
        ("2026-19-39", "month must be between 1 and 12"),
        ("0000-01-01", "year must be between 1 and 9999"),
    ] {
        let e = parse_date(impossible).unwrap_err().to_string();
        assert!(
            e.contains(why) && e.contains(impossible),
            "{impossible}: {e}"
        );
    }
    for ok in ["today", "TODAY", "Today"] {
        let d = parse_date(ok).expect("today");
        assert!(d.year >= 2025 && (1..=12).contains(&d.month), "{d}");
    }
    for bad in ["2026-1-1", "20260101", "yesterday", "2026-01-01T00:00", ""] {
        let e = parse_date(bad).unwrap_err();
        assert!(
            format!("{e}").contains("expecting \"today\" or YYYY-MM-DD"),
            "{e}"
        );
    }
    assert_eq!(
        default_sigfile(Path::new("app.manifest")),
        Path::new("app.sig")
    );
    assert_eq!(
        default_sigfile(Path::new("dir/app.manifest")),
        Path::new("dir/app.sig")
    );
    assert_eq!(
        default_sigfile(Path::new("app.toml")),
        Path::new("app.toml.sig")
    );
    assert_eq!(
        default_sigfile(Path::new("app.manifest.template")),
        Path::new("app.manifest.template.sig")
    );
}

#[test]
fn gen_key_writes_a_usable_private_key_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sub/enclave-key.pem");
    let o = sgx_measure()
        .arg("gen-key")
        .arg("-o")
        .arg(&path)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("wrote RSA 3072 private key to"),
        "{}",
        stdout(&o)
    );
    let pem = std::fs::read_to_string(&path).expect("key");
    assert!(
        pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"),
        "{pem}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    // Loads with Gramine's checks and signs something that verifies.
    let key = load_private_key(&path, None).expect("3072-bit, e = 3");
    let mut s = Sigstruct::empty();
    sign(&mut s, &key).expect("sign");
    assert!(verify(&s).ok());
    // No overwrite without -f.
    let o = sgx_measure()
        .arg("gen-key")
        .arg("-o")
        .arg(&path)
        .output()
        .expect("run");
    assert_clean_failure(&o, "refusing to overwrite", "existing key");
    assert_eq!(
        std::fs::read_to_string(&path).expect("key"),
        pem,
        "unchanged"
    );
    let o = sgx_measure()
        .args(["gen-key", "-q", "-f", "-o"])
        .arg(&path)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    assert_ne!(
        std::fs::read_to_string(&path).expect("key"),
        pem,
        "replaced with -f"
    );
}

#[test]
fn every_help_has_an_example() {
    for args in [
        &["sigstruct", "view", "--help"][..],
        &["sigstruct", "verify", "--help"],
        &["sigstruct", "attach", "--help"],
        &["gen-key", "--help"],
    ] {
        let o = sgx_measure().args(args).output().expect("run");
        assert!(o.status.success());
        assert!(stdout(&o).contains("Example:"), "{args:?}");
    }
}

/// docs/signing.md end to end with `sgx-measure sign`: one step (sign, verify, view) and two
/// steps (sign --signing-data, openssl, attach, verify) give Gramine's `.sig` for the same input
/// manifest, key and date. The docs' commands use the default version; `--gramine` is appended
/// for the others.
#[test]
fn signing_flows_of_the_docs_give_gramines_sig() {
    let openssl = has_openssl();
    // Cases that need no trusted file on this machine (p14 pins its LibOS hash).
    for (case, dir) in [
        ("p14-loader-entrypoint-sha", "expected/v1.9_tomliw-1.2.0"),
        ("p09-debug-exinfo-isv", "expected/v1.6_tomliw-1.2.0"),
        ("p12-deprecated-require-keys", "expected/v1.5_tomliw-1.2.0"),
    ] {
        let r = common::all_results()
            .into_iter()
            .find(|r| r.case == case && r.dir == dir)
            .expect("vector");
        let want = std::fs::read(r.expected().join("out.sig")).expect("sig");
        let setup = || {
            let tmp = tempfile::tempdir().expect("tempdir");
            let d = tmp.path();
            std::fs::copy(test_key(), d.join("enclave-key.pem")).expect("key");
            std::fs::copy(r.case_dir.join("input.manifest"), d.join("app.manifest"))
                .expect("manifest");
            std::fs::copy(&r.libpal, d.join("libpal.so")).expect("libpal");
            tmp
        };
        let with_version = |line: &str| {
            if line.starts_with("sgx-measure sign") || line.contains(" verify ") {
                let line = line.replace(" --gramine 1.9", "");
                format!("{line} --gramine {}", r.version_flag())
            } else {
                line.to_string()
            }
        };
        // One step.
        let tmp = setup();
        let d = tmp.path();
        for line in doc_commands("one-step") {
            run_line(d, &with_version(&line));
        }
        assert!(
            std::fs::read(d.join("app.sig")).expect("app.sig") == want,
            "{case} one-step: .sig differs"
        );
        for line in doc_commands("check") {
            run_line(d, &with_version(&line));
        }
        let o = sgx_measure()
            .args([
                "sigstruct",
                "view",
                "app.sig",
                "--gramine",
                r.version_flag(),
            ])
            .current_dir(d)
            .output()
            .expect("view");
        let view = std::fs::read_to_string(r.expected().join("sigstruct-view.stdout"))
            .expect("view stdout");
        assert_eq!(stdout(&o), view, "{case}");
        // Two steps.
        if openssl {
            let tmp = setup();
            let d = tmp.path();
            for line in ["signing-data", "two-step", "attach"]
                .iter()
                .flat_map(|b| doc_commands(b))
            {
                run_line(d, &with_version(&line));
            }
            assert!(
                std::fs::read(d.join("app.sig")).expect("app.sig") == want,
                "{case} two-step: .sig differs"
            );
        }
    }
}
