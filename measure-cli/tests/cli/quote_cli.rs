//! `sgx-measure quote view` and the evidence loader: every real quote of `testdata/evidence`
//! and the synthetic v3/v4/v5 quotes and report, as binary, hex and base64 files; the JSON
//! document's fields; clear errors for TDX quotes and damaged or foreign files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64ct::{Base64, Base64UrlUnpadded, Encoding as _};
use measure_lib::evidence::{self, Encoding, EvidenceKind};
use serde_json::Value;

fn sgx_measure() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sgx-measure"))
}

fn evidence_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/evidence")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(evidence_dir().join(name)).expect(name)
}

fn view(path: &Path, json: bool) -> Output {
    let mut cmd = sgx_measure();
    cmd.args(["quote", "view"]).arg(path);
    if json {
        cmd.arg("--json");
    }
    cmd.output().expect("run sgx-measure")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn view_json(path: &Path) -> Value {
    let o = view(path, true);
    assert!(o.status.success(), "{}: {}", path.display(), stderr(&o));
    serde_json::from_slice(&o.stdout).expect("JSON output")
}

fn write_tmp(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn b64(bytes: &[u8]) -> String {
    let mut buf = vec![0u8; Base64::encoded_len(bytes)];
    Base64::encode(bytes, &mut buf).unwrap().to_string()
}

fn b64url(bytes: &[u8]) -> String {
    let mut buf = vec![0u8; Base64UrlUnpadded::encoded_len(bytes)];
    Base64UrlUnpadded::encode(bytes, &mut buf)
        .unwrap()
        .to_string()
}

/// Wraps text at 76 columns, as `base64` and many tools ship it.
fn wrap(s: &str) -> String {
    let mut out = String::new();
    for chunk in s.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push('\n');
    }
    out
}

const REAL: [(&str, &str, &str, u64, u64); 5] = [
    (
        "dcap-qvl-sgx-v3.bin",
        "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb",
        "815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6",
        0x5,
        0xe7,
    ),
    (
        "intel-dcap-sample-v3.bin",
        "4f8822f11d5d689ef195c55811bcf8ef88241db6795e4d1f69498d1ab4713953",
        "d412a4f07ef83892a5915fb2ab584be31e186e5a4f95ab5f6950fd4eb8694d7b",
        0x7,
        0x7,
    ),
    (
        "intel-qvl-sample-v3-ppid.bin",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        0,
        0,
    ),
    (
        "mobilecoin-hw-v3.bin",
        "1dd0df84810e53e26b2b167dfe0f97cc4364085fe0bd41d5e18a759c21d5c189",
        "d412a4f07ef83892a5915fb2ab584be31e186e5a4f95ab5f6950fd4eb8694d7b",
        0x7,
        0x7,
    ),
    (
        "trustee-occlum-v3.bin",
        "8f173e4613ff05c52aaf04162d234edae8c9977eae47eb2299ae16a553011c68",
        "83d719e77deaca1470f6baf62a4d774303c899db69020f9c70ee1dfc08c7ce9e",
        0x7,
        0xe7,
    ),
];

#[test]
fn real_quotes_view_as_text_and_json() {
    for (file, mrenclave, mrsigner, flags, xfrm) in REAL {
        let path = evidence_dir().join(file);
        let o = view(&path, false);
        assert!(o.status.success(), "{file}: {}", stderr(&o));
        let text = stdout(&o);
        assert!(text.starts_with("evidence: quote v3 (binary, "), "{text}");
        assert!(text.contains(&format!("mr_enclave:             {mrenclave}")));
        assert!(text.contains(&format!("mr_signer:              {mrsigner}")));
        for key in [
            "isv_ext_prod_id (KSS):",
            "isv_family_id (KSS):",
            "config_id (KSS):",
            "config_svn (KSS):",
            "qe_svn:",
            "pce_svn:",
            "certification_data:",
            "pck_cert_chain:",
            "no signature, certificate chain or MAC was verified",
        ] {
            assert!(text.contains(key), "{file}: no {key:?}");
        }

        let j = view_json(&path);
        assert_eq!(j["kind"], "quote");
        assert_eq!(j["quote_version"], 3);
        assert_eq!(j["encoding"], "binary");
        assert_eq!(j["verified"], false);
        assert_eq!(j["size"], read(file).len());
        let b = &j["report_body"];
        assert_eq!(b["mr_enclave"], mrenclave);
        assert_eq!(b["mr_signer"], mrsigner);
        assert_eq!(b["attributes"]["flags"], flags);
        assert_eq!(b["attributes"]["xfrm"], xfrm);
        assert_eq!(b["isv_prod_id"], 0);
        assert_eq!(b["config_svn"], 0);
        assert_eq!(b["kss_consistent"], true);
        assert_eq!(b["attributes"]["kss"], false);
        let h = &j["quote"]["header"];
        assert_eq!(h["tee_type"], 0);
        assert_eq!(h["tee_type_name"], "SGX");
        assert_eq!(h["attestation_key_type_name"], "ECDSA-256-with-P-256");
        assert_eq!(h["qe_vendor_id"], "939a7233f79c4ca9940a0db3957f0607");
        let sd = &j["quote"]["signature_data"];
        assert_eq!(sd["qe_report"]["isv_prod_id"], 1);
        assert_eq!(sd["outer_certification_data"], Value::Null);
        assert_eq!(j["quote"]["body_descriptor"], Value::Null);
        let cd = &sd["certification_data"];
        let pem = cd["type"] == 5;
        assert_eq!(cd["pck_cert_chain_present"], pem);
        assert_eq!(cd["pck_cert_count"], if pem { 3 } else { 0 });
        assert_eq!(
            cd["data"].as_str().unwrap().len(),
            2 * cd["size"].as_u64().unwrap() as usize
        );
    }
    // Intel's sample QE is a debug-signed build; the others are Intel's production QE.
    let j = view_json(&evidence_dir().join("trustee-occlum-v3.bin"));
    assert_eq!(j["report_body"]["misc_select"], 1);
    assert_eq!(j["report_body"]["misc_select_exinfo"], true);
    assert_eq!(
        j["quote"]["signature_data"]["qe_report"]["mr_signer"],
        "8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff"
    );
}

/// The JSON document has exactly the documented keys (docs/evidence.md).
#[test]
fn json_keys_are_stable() {
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    let j = view_json(&evidence_dir().join("synthetic/quote-v5.bin"));
    assert_eq!(
        keys(&j),
        [
            "kind",
            "quote_version",
            "encoding",
            "size",
            "report_body",
            "quote",
            "report",
            "verified"
        ]
    );
    let body_keys = [
        "cpu_svn",
        "misc_select",
        "misc_select_exinfo",
        "misc_select_cpinfo",
        "isv_ext_prod_id",
        "attributes",
        "mr_enclave",
        "mr_signer",
        "config_id",
        "isv_prod_id",
        "isv_svn",
        "config_svn",
        "isv_family_id",
        "report_data",
        "reserved1",
        "reserved2",
        "reserved3",
        "reserved4",
        "kss_fields_zero",
        "kss_consistent",
        "reserved_zero",
    ];
    assert_eq!(keys(&j["report_body"]), body_keys);
    assert_eq!(
        keys(&j["report_body"]["attributes"]),
        [
            "flags",
            "xfrm",
            "init",
            "debug",
            "mode64bit",
            "provision_key",
            "einittoken_key",
            "cet",
            "kss",
            "aex_notify"
        ]
    );
    assert_eq!(
        keys(&j["quote"]),
        ["header", "body_descriptor", "signature_data"]
    );
    assert_eq!(
        keys(&j["quote"]["header"]),
        [
            "version",
            "attestation_key_type",
            "attestation_key_type_name",
            "tee_type",
            "tee_type_name",
            "qe_svn",
            "pce_svn",
            "qe_vendor_id",
            "user_data"
        ]
    );
    assert_eq!(
        keys(&j["quote"]["body_descriptor"]),
        ["body_type", "body_type_name", "size"]
    );
    let sd = &j["quote"]["signature_data"];
    assert_eq!(
        keys(sd),
        [
            "length",
            "signature",
            "attestation_key",
            "outer_certification_data",
            "qe_report",
            "qe_report_signature",
            "qe_auth_data",
            "qe_auth_data_size",
            "certification_data"
        ]
    );
    assert_eq!(keys(&sd["qe_report"]), body_keys);
    assert_eq!(
        keys(&sd["outer_certification_data"]),
        ["type", "type_name", "size"]
    );
    assert_eq!(
        keys(&sd["certification_data"]),
        [
            "type",
            "type_name",
            "size",
            "pck_cert_chain_present",
            "pck_cert_count",
            "data"
        ]
    );
    let r = view_json(&evidence_dir().join("synthetic/report.bin"));
    assert_eq!(keys(&r["report"]), ["key_id", "mac"]);
    assert_eq!(keys(&r["report_body"]), body_keys);
}

#[test]
fn synthetic_v4_v5_quotes_and_report_show_the_kss_fields() {
    for (file, version) in [
        ("synthetic/quote-v3.bin", 3),
        ("synthetic/quote-v4.bin", 4),
        ("synthetic/quote-v5.bin", 5),
    ] {
        let j = view_json(&evidence_dir().join(file));
        assert_eq!(j["quote_version"], version);
        let b = &j["report_body"];
        // The builder's body for seed 0x11 (see measure-core/src/evidence/builder.rs).
        assert_eq!(b["isv_prod_id"], 0x1234 ^ 0x11);
        assert_eq!(b["isv_svn"], 0x5678 ^ 0x11);
        assert_eq!(b["config_svn"], 0x9abc ^ 0x11);
        assert_eq!(b["attributes"]["kss"], true);
        assert_eq!(b["kss_fields_zero"], false);
        for k in ["isv_ext_prod_id", "isv_family_id", "config_id"] {
            assert!(b[k].as_str().unwrap().chars().any(|c| c != '0'), "{k}");
        }
        assert_eq!(b["reserved_zero"], false);
        let sd = &j["quote"]["signature_data"];
        assert_eq!(sd["certification_data"]["pck_cert_count"], 3);
        if version == 3 {
            assert_eq!(sd["outer_certification_data"], Value::Null);
        } else {
            assert_eq!(sd["outer_certification_data"]["type"], 6);
        }
        if version == 5 {
            assert_eq!(j["quote"]["body_descriptor"]["body_type"], 1);
            assert_eq!(j["quote"]["body_descriptor"]["size"], 384);
        } else {
            assert_eq!(j["quote"]["body_descriptor"], Value::Null);
        }
        let text = stdout(&view(&evidence_dir().join(file), false));
        assert!(text.contains(&format!("evidence: quote v{version} (binary, ")));
        assert!(text.contains("config_svn (KSS):       39597"), "{text}");
    }
    let j = view_json(&evidence_dir().join("synthetic/report.bin"));
    assert_eq!(j["kind"], "report");
    assert_eq!(j["quote"], Value::Null);
    assert_eq!(j["quote_version"], Value::Null);
    assert_eq!(j["size"], 432);
    assert_eq!(j["report_body"]["config_svn"], 0x9abc ^ 0x33);
    assert_eq!(j["report"]["mac"].as_str().unwrap().len(), 32);
    let text = stdout(&view(&evidence_dir().join("synthetic/report.bin"), false));
    assert!(text.starts_with("evidence: report (binary, 432 bytes)"));
    assert!(text.contains("key_id:") && text.contains("mac:"));
}

#[test]
fn hex_and_base64_files_give_the_same_fields() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "dcap-qvl-sgx-v3.bin",
        "synthetic/quote-v4.bin",
        "synthetic/report.bin",
    ] {
        let raw = read(name);
        let mut want = view_json(&evidence_dir().join(name));
        let hexed = hex::encode(&raw);
        let variants: [(&str, String, &str); 6] = [
            ("a.hex", hexed.clone(), "hex"),
            ("b.hex", format!("0x{}\n", hexed.to_uppercase()), "hex"),
            ("c.hex", wrap(&hexed), "hex"),
            ("d.b64", b64(&raw), "base64"),
            ("e.b64", wrap(&b64(&raw)), "base64"),
            ("f.b64", b64url(&raw), "base64"),
        ];
        for (file, content, encoding) in variants {
            let p = write_tmp(dir.path(), file, content.as_bytes());
            let got = view_json(&p);
            want["encoding"] = Value::from(encoding);
            assert_eq!(got, want, "{name} as {file}");
        }
    }
}

#[test]
fn tdx_quotes_and_damaged_files_are_refused_clearly() {
    for file in ["dcap-qvl-tdx-v4.bin", "trustee-tdx-v5.bin"] {
        let o = view(&evidence_dir().join(file), false);
        assert!(!o.status.success());
        let e = stderr(&o);
        assert!(
            e.contains("a TDX quote (TEE type 0x81): only SGX quotes"),
            "{e}"
        );
        assert!(!e.contains("panicked"));
    }
    let dir = tempfile::tempdir().unwrap();
    let q = read("dcap-qvl-sgx-v3.bin");
    let mut trailing = q.clone();
    trailing.push(0);
    let hex_cut = hex::encode(&q[..1000]);
    let cases: [(&str, Vec<u8>, &str); 8] = [
        ("empty", Vec::new(), "the file is empty"),
        ("cut", q[..4000].to_vec(), "length points past the end"),
        (
            "short",
            q[..40].to_vec(),
            "the quote header at byte 0 needs 48 bytes",
        ),
        ("trailing", trailing, "trailing byte(s) at byte 4600"),
        (
            "hexcut",
            hex_cut.into_bytes(),
            "read as hex text of 1000 bytes",
        ),
        (
            "text",
            b"hello world, this is not a quote\n".to_vec(),
            "not SGX evidence",
        ),
        ("oddhex", b"0300020\n".to_vec(), "not SGX evidence"),
        (
            "epid",
            {
                let mut e = q.clone();
                e[0] = 2;
                e
            },
            "versions 1 and 2 are EPID quotes",
        ),
    ];
    for (name, bytes, want) in cases {
        let p = write_tmp(dir.path(), name, &bytes);
        // With --json the error is a JSON object on standard output (docs/cli.md).
        let o = view(&p, true);
        assert_eq!(o.status.code(), Some(2), "{name}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("a JSON error");
        let e = v["error"]["message"].as_str().unwrap_or_default();
        assert!(e.contains(want), "{name}: {e}");
        assert!(e.contains(&p.display().to_string()), "{name}: {e}");
        assert!(o.stderr.is_empty());
    }
    let o = view(&dir.path().join("missing"), false);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("cannot read evidence file"));
}

#[test]
fn help_has_an_example() {
    let o = sgx_measure()
        .args(["quote", "view", "--help"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let h = stdout(&o);
    assert!(h.contains("sgx-measure quote view quote.bin"), "{h}");
    assert!(h.contains("--json"));
    assert!(h.contains("hex or base64"));
    let o = sgx_measure().args(["--help"]).output().unwrap();
    assert!(stdout(&o).contains("quote"));
}

/// The library loader that `sgx-measure verify` builds on.
#[test]
fn loader_returns_owned_identity() {
    let ev = evidence::load(&evidence_dir().join("trustee-occlum-v3.bin")).unwrap();
    assert_eq!(ev.kind, EvidenceKind::Quote { version: 3 });
    assert_eq!(ev.encoding, Encoding::Binary);
    assert_eq!(
        hex::encode(ev.identity.mr_enclave),
        "8f173e4613ff05c52aaf04162d234edae8c9977eae47eb2299ae16a553011c68"
    );
    assert_eq!(&ev.identity.report_data[..4], b"test");
    assert_eq!(ev.evidence().report_body(), &ev.identity);
    assert_eq!(ev.kind.to_string(), "quote v3");

    let rep = read("synthetic/report.bin");
    let ev = evidence::decode(b64(&rep).as_bytes()).unwrap();
    assert_eq!(ev.kind, EvidenceKind::Report);
    assert_eq!(ev.encoding, Encoding::Base64);
    assert_eq!(ev.bytes, rep);
    assert_eq!(ev.kind.to_string(), "report");

    let v5 = read("synthetic/quote-v5.bin");
    let ev = evidence::decode(hex::encode(&v5).as_bytes()).unwrap();
    assert_eq!(ev.kind, EvidenceKind::Quote { version: 5 });
    assert_eq!(ev.encoding, Encoding::Hex);
    assert!(ev.identity.kss_enabled());

    assert!(evidence::decode(b"").is_err());
    assert!(evidence::decode(&[0u8; 431]).is_err());
}
