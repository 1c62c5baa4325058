//! `sgx-measure verify --quote --collateral` and `--ra-tls-cert`: the real dcap-qvl sample, and a
//! private PKI generated here (root CA, PCK CA, PCK certificate with Intel's SGX extension, CRLs,
//! TCB info, QE identity, quotes signed by it). The genuine quote passes; each failure branch exits
//! 1 naming the check; malformed quotes and collateral exit 2 naming the problem, never a panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sgx_test_pki::{Body, CollateralSpec, NOW, Pki, QuoteSpec, RaTlsFormat};

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

fn evidence(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/evidence")
        .join(name)
}

struct Case {
    dir: tempfile::TempDir,
    pki: Pki,
}

const MRENCLAVE: &str = "3333333333333333333333333333333333333333333333333333333333333333";

impl Case {
    fn new() -> Case {
        let c = Case {
            dir: tempfile::tempdir().unwrap(),
            pki: Pki::new(),
        };
        std::fs::write(c.path("root.der"), &c.pki.root).unwrap();
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
    /// `verify --expect-mrenclave 33.. --quote Q --collateral C --root-ca test root --now NOW`.
    fn verify(&self, q: &QuoteSpec, c: &CollateralSpec, extra: &[&str]) -> Output {
        let quote = self.write("quote.bin", &self.pki.quote(q));
        let coll = self.write("collateral.json", self.pki.collateral(c).as_bytes());
        self.run(&quote, &coll, extra)
    }
    fn run(&self, quote: &Path, coll: &Path, extra: &[&str]) -> Output {
        let now = NOW.to_string();
        let now: &[&str] = if extra.contains(&"--now") {
            &[]
        } else {
            &["--now", &now]
        };
        exe()
            .args(["verify", "--expect-mrenclave", MRENCLAVE, "--quote"])
            .arg(quote)
            .arg("--collateral")
            .arg(coll)
            .arg("--root-ca")
            .arg(self.path("root.der"))
            .args(now)
            .args(extra)
            .output()
            .unwrap()
    }
}

/// The failed checks' names, from the JSON output.
fn failed(o: &Output) -> Vec<String> {
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(o)));
    v["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn assert_fails(o: &Output, want: &[&str]) {
    assert_eq!(o.status.code(), Some(1), "{}", text(o));
    assert_eq!(failed(o), want, "{}", text(o));
}

#[test]
fn genuine_quote_passes_with_every_check_listed() {
    let c = Case::new();
    let o = c.verify(&QuoteSpec::default(), &CollateralSpec::default(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    for name in [
        "quote signature",
        "attestation key",
        "QE report signature",
        "PCK chain",
        "root CA CRL",
        "PCK CRL",
        "TCB info",
        "QE identity signature",
        "QE identity",
        "TCB status",
        "advisory IDs",
        "dcap-qvl",
    ] {
        assert!(
            out.contains(&format!("├─ {name:<21} pass")),
            "{name}: {out}"
        );
    }
    assert!(out.contains("└─ result: every check passed"), "{out}");
    let o = c.verify(
        &QuoteSpec::default(),
        &CollateralSpec::default(),
        &["--json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["tcb"]["status"], "UpToDate");
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 14, "{v:#}");
    assert!(
        checks
            .iter()
            .all(|c| c["status"] == "pass" && c["pass"] == true)
    );
    // Which enclave first, then whether the evidence is genuine, then the rest of the identity.
    let ids: Vec<&str> = checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids[..3],
        ["mrenclave", "quote_signature", "attestation_key_binding"]
    );
    assert_eq!(ids[13], "debug");
    assert_eq!(checks[1]["group"], "evidence");
}

#[test]
fn v4_and_v5_quotes_are_verified_without_dcap_qvl() {
    let c = Case::new();
    for version in [4u16, 5] {
        let o = c.verify(
            &QuoteSpec {
                version,
                ..QuoteSpec::default()
            },
            &CollateralSpec::default(),
            &[],
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert!(
            text(&o).contains("dcap-qvl              skipped"),
            "{}",
            text(&o)
        );
    }
}

#[test]
fn tampered_report_body_fails_the_quote_signature() {
    let c = Case::new();
    let mut q = c.pki.quote(&QuoteSpec::default());
    q[48 + 100] ^= 1; // a reserved byte of the report body: the identity is unchanged
    let quote = c.write("tampered.bin", &q);
    let coll = c.write(
        "c.json",
        c.pki.collateral(&CollateralSpec::default()).as_bytes(),
    );
    let o = c.run(&quote, &coll, &["--json"]);
    assert_fails(&o, &["quote signature", "dcap-qvl"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let qvl = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "dcap_qvl")
        .unwrap();
    assert_eq!(qvl["detail"], "concerns: quote signature", "{qvl:#}");
}

#[test]
fn bad_qe_report_signature() {
    let c = Case::new();
    let q = QuoteSpec {
        corrupt_qe_report_signature: true,
        ..QuoteSpec::default()
    };
    let o = c.verify(&q, &CollateralSpec::default(), &["--json"]);
    assert_fails(&o, &["QE report signature", "dcap-qvl"]);
}

#[test]
fn attestation_key_not_bound_by_the_qe_report() {
    let c = Case::new();
    let q = QuoteSpec {
        bind_attestation_key: false,
        ..QuoteSpec::default()
    };
    let o = c.verify(&q, &CollateralSpec::default(), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("attestation key       FAIL"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("NOT the one the QE vouched for"));
    let o = c.verify(&q, &CollateralSpec::default(), &["--json"]);
    assert_fails(&o, &["attestation key", "dcap-qvl"]);
}

#[test]
fn bad_tcb_info_signature() {
    let c = Case::new();
    let coll = CollateralSpec {
        corrupt_tcb_info_signature: true,
        ..CollateralSpec::default()
    };
    let o = c.verify(&QuoteSpec::default(), &coll, &["--json"]);
    assert_fails(&o, &["TCB info", "dcap-qvl"]);
    assert!(
        text(&o).contains("TCB info signature by Test SGX TCB Signing: signature does not verify")
    );
}

#[test]
fn revoked_pck_certificate_and_revoked_pck_ca() {
    let c = Case::new();
    let coll = CollateralSpec {
        pck_crl_revoked: vec![7, sgx_test_pki::PCK_SERIAL],
        ..CollateralSpec::default()
    };
    let o = c.verify(&QuoteSpec::default(), &coll, &["--json"]);
    assert_fails(&o, &["PCK CRL", "dcap-qvl"]);
    assert!(text(&o).contains("Test SGX PCK Certificate (serial 2002) is REVOKED"));
    let coll = CollateralSpec {
        root_crl_revoked: vec![sgx_test_pki::PCK_CA_SERIAL],
        ..CollateralSpec::default()
    };
    let o = c.verify(&QuoteSpec::default(), &coll, &["--json"]);
    assert_fails(&o, &["root CA CRL", "dcap-qvl"]);
}

#[test]
fn expired_collateral() {
    let c = Case::new();
    let later = (sgx_test_pki::NEXT_UPDATE + 1).to_string();
    let o = c.verify(
        &QuoteSpec::default(),
        &CollateralSpec::default(),
        &["--json", "--now", &later],
    );
    assert_fails(
        &o,
        &[
            "root CA CRL",
            "PCK CRL",
            "TCB info",
            "QE identity signature",
            "dcap-qvl",
        ],
    );
    assert!(text(&o).contains("expired: next update was due"));
    // RFC 3339 works as well as Unix seconds.
    let o = c.verify(
        &QuoteSpec::default(),
        &CollateralSpec::default(),
        &["--now", "2025-06-20T00:00:00Z"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn wrong_root() {
    let c = Case::new();
    let other = Pki::with_label("another");
    let quote = c.write("q.bin", &c.pki.quote(&QuoteSpec::default()));
    let coll = c.write(
        "c.json",
        c.pki.collateral(&CollateralSpec::default()).as_bytes(),
    );
    let root = c.write("other-root.der", &other.root);
    let o = exe()
        .args(["verify", "--expect-mrenclave", MRENCLAVE, "--quote"])
        .arg(&quote)
        .arg("--collateral")
        .arg(&coll)
        .arg("--root-ca")
        .arg(&root)
        .args(["--now", &NOW.to_string(), "--json"])
        .output()
        .unwrap();
    assert_fails(
        &o,
        &[
            "PCK chain",
            "root CA CRL",
            "TCB info",
            "QE identity signature",
            "dcap-qvl",
        ],
    );
    assert!(
        text(&o).contains("not signed by the trusted root's key"),
        "{}",
        text(&o)
    );
    // The default root is Intel's, which did not sign the test PKI.
    let o = exe()
        .args(["verify", "--expect-mrenclave", MRENCLAVE, "--quote"])
        .arg(&quote)
        .arg("--collateral")
        .arg(&coll)
        .args(["--now", &NOW.to_string()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("not by the trusted root Intel SGX Root CA"),
        "{}",
        text(&o)
    );
}

#[test]
fn each_tcb_status_fails_unless_allowed() {
    let c = Case::new();
    for status in [
        "SWHardeningNeeded",
        "ConfigurationNeeded",
        "ConfigurationAndSWHardeningNeeded",
        "OutOfDate",
        "OutOfDateConfigurationNeeded",
        "Revoked",
    ] {
        let coll = CollateralSpec {
            tcb_status: status.into(),
            advisories: vec!["INTEL-SA-00615".into()],
            ..CollateralSpec::default()
        };
        let o = c.verify(&QuoteSpec::default(), &coll, &["--json"]);
        if status == "Revoked" {
            assert_fails(&o, &["TCB status", "dcap-qvl"]);
        } else {
            assert_fails(&o, &["TCB status"]);
            let allow = format!("UpToDate,{status}");
            let o = c.verify(
                &QuoteSpec::default(),
                &coll,
                &["--allow-tcb-status", &allow],
            );
            assert_eq!(o.status.code(), Some(0), "{status}: {}", text(&o));
            let o = c.verify(
                &QuoteSpec::default(),
                &coll,
                &[
                    "--allow-tcb-status",
                    &allow,
                    "--deny-advisory",
                    "INTEL-SA-00615",
                    "--json",
                ],
            );
            assert_fails(&o, &["advisory IDs"]);
        }
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["tcb"]["status"], status);
    }
    // Revoked can never be allowed.
    let o = c.verify(
        &QuoteSpec::default(),
        &CollateralSpec::default(),
        &["--allow-tcb-status", "Revoked"],
    );
    assert_eq!(o.status.code(), Some(2));
    let o = c.verify(
        &QuoteSpec::default(),
        &CollateralSpec::default(),
        &["--allow-tcb-status", "Fine"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("unknown TCB status \"Fine\""),
        "{}",
        text(&o)
    );
}

#[test]
fn debug_enclave_fails_unless_allowed() {
    let c = Case::new();
    let q = QuoteSpec {
        body: Body {
            flags: 0x7,
            ..Body::default()
        }
        .bytes(),
        ..QuoteSpec::default()
    };
    let o = c.verify(&q, &CollateralSpec::default(), &["--json"]);
    assert_fails(&o, &["DEBUG"]);
    let o = c.verify(&q, &CollateralSpec::default(), &["--allow-debug"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn report_data_binding() {
    let c = Case::new();
    let bound = c.write("cert.pem", b"the certificate OpenFL binds");
    let mut body = Body::default();
    body.report_data[..32].copy_from_slice(&sha256(b"the certificate OpenFL binds"));
    body.report_data[32..36].copy_from_slice(b"abcd");
    let q = QuoteSpec {
        body: body.bytes(),
        ..QuoteSpec::default()
    };
    let prefix = hex::encode(&body.report_data[..36]);
    let ok = c.verify(
        &q,
        &CollateralSpec::default(),
        &[
            "--report-data",
            &prefix,
            "--report-data-sha256",
            bound.to_str().unwrap(),
        ],
    );
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    let o = c.verify(
        &q,
        &CollateralSpec::default(),
        &[
            "--report-data",
            &hex::encode(&body.report_data[..35]).replace("61", "62"),
            "--json",
        ],
    );
    assert_fails(&o, &["REPORTDATA"]);
    let other = c.write("other.pem", b"another certificate");
    let o = c.verify(
        &q,
        &CollateralSpec::default(),
        &["--report-data-sha256", other.to_str().unwrap(), "--json"],
    );
    assert_fails(&o, &["REPORTDATA"]);
    // 65 bytes is unusable input.
    let o = c.verify(
        &q,
        &CollateralSpec::default(),
        &["--report-data", &"00".repeat(65)],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

fn sha256(b: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(b).into()
}

#[test]
fn ra_tls_certificates_bind_their_key() {
    let c = Case::new();
    let coll = c.write(
        "c.json",
        c.pki.collateral(&CollateralSpec::default()).as_bytes(),
    );
    let key = sgx_test_pki::key("enclave tls key");
    let other = sgx_test_pki::key("someone else's key");
    let run = |cert: &Path, extra: &[&str]| {
        exe()
            .args(["verify", "--expect-mrenclave", MRENCLAVE, "--ra-tls-cert"])
            .arg(cert)
            .arg("--collateral")
            .arg(&coll)
            .arg("--root-ca")
            .arg(c.path("root.der"))
            .args(["--now", &NOW.to_string()])
            .args(extra)
            .output()
            .unwrap()
    };
    for format in [RaTlsFormat::Legacy, RaTlsFormat::Tcg, RaTlsFormat::Both] {
        let der = c.pki.ra_tls_cert(&key, &key, &Body::default(), format);
        let p = c.write("ratls.der", &der);
        let o = run(&p, &[]);
        assert_eq!(o.status.code(), Some(0), "{format:?}: {}", text(&o));
        assert!(text(&o).contains("RA-TLS key"), "{}", text(&o));
        // PEM works too.
        let p = c.write("ratls.pem", sgx_test_pki::pem(&der).as_bytes());
        assert_eq!(run(&p, &[]).status.code(), Some(0));
        // A certificate whose quote binds another key.
        let bad = c.pki.ra_tls_cert(&key, &other, &Body::default(), format);
        let p = c.write("bad.der", &bad);
        let o = run(&p, &["--json"]);
        assert_fails(&o, &["RA-TLS key"]);
    }
    // A certificate without a quote is unusable input.
    let plain = sgx_test_pki::issue(&sgx_test_pki::CertSpec {
        serial: 9,
        subject: "plain",
        issuer: "plain",
        key: &key,
        issuer_key: &key,
        validity: (NOW - 10, NOW + 10),
        ca: false,
        extra: vec![],
    });
    let p = c.write("plain.der", &plain);
    let o = run(&p, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("no SGX quote extension"), "{}", text(&o));
}

#[test]
fn malformed_quotes_and_collateral_exit_2_naming_the_field() {
    let c = Case::new();
    let quote = c.pki.quote(&QuoteSpec::default());
    let coll_text = c.pki.collateral(&CollateralSpec::default());
    let good_q = c.write("q.bin", &quote);
    let good_c = c.write("c.json", coll_text.as_bytes());
    // Truncated quotes, at many lengths.
    for len in [
        0,
        10,
        47,
        48,
        431,
        432,
        436,
        600,
        1000,
        1100,
        quote.len() - 1,
    ] {
        let p = c.write("short.bin", &quote[..len]);
        let o = c.run(&p, &good_c, &[]);
        assert_eq!(o.status.code(), Some(2), "length {len}: {}", text(&o));
        assert!(text(&o).contains("error:"), "{}", text(&o));
    }
    // A PCK chain that is not PEM.
    let mut q = quote.clone();
    let at = q.len() - 200;
    q[at..at + 30].fill(b'!');
    let p = c.write("badchain.bin", &q);
    let o = c.run(&p, &good_c, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("PCK certificate chain"), "{}", text(&o));
    // Truncated collateral.
    for len in [0, 1, 100, coll_text.len() / 2, coll_text.len() - 2] {
        let p = c.write("short.json", &coll_text.as_bytes()[..len]);
        let o = c.run(&good_q, &p, &[]);
        assert_eq!(o.status.code(), Some(2), "length {len}: {}", text(&o));
        assert!(text(&o).contains("collateral"), "{}", text(&o));
    }
    // Each field malformed, named.
    let v: serde_json::Value = serde_json::from_str(&coll_text).unwrap();
    for (field, bad) in [
        ("pck_crl_issuer_chain", serde_json::json!("not PEM")),
        ("root_ca_crl", serde_json::json!("3000")),
        ("pck_crl", serde_json::json!("zz")),
        (
            "tcb_info_issuer_chain",
            serde_json::json!("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
        ),
        ("tcb_info", serde_json::json!("{\"id\":\"SGX\"")),
        ("tcb_info_signature", serde_json::json!("abcd")),
        ("qe_identity", serde_json::json!("[]")),
        ("qe_identity_signature", serde_json::json!(7)),
    ] {
        let mut w = v.clone();
        w[field] = bad;
        let p = c.write("bad.json", serde_json::to_string(&w).unwrap().as_bytes());
        let o = c.run(&good_q, &p, &[]);
        assert_eq!(o.status.code(), Some(2), "{field}: {}", text(&o));
        assert!(text(&o).contains(field), "{field}: {}", text(&o));
        assert!(!text(&o).contains("panicked"));
    }
    let mut w = v.clone();
    w.as_object_mut().unwrap().remove("qe_identity");
    let p = c.write(
        "missing.json",
        serde_json::to_string(&w).unwrap().as_bytes(),
    );
    let o = c.run(&good_q, &p, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("qe_identity"), "{}", text(&o));
}

#[test]
fn quote_without_collateral_is_refused_unless_skipped() {
    let c = Case::new();
    let quote = c.write("q.bin", &c.pki.quote(&QuoteSpec::default()));
    let o = exe()
        .args(["verify", "--expect-mrenclave", MRENCLAVE, "--quote"])
        .arg(&quote)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("sgx-measure collateral fetch"),
        "{}",
        text(&o)
    );
    let o = exe()
        .args(["verify", "--expect-mrenclave", MRENCLAVE, "--quote"])
        .arg(&quote)
        .arg("--skip-quote-signature")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("quote signature chain NOT verified"));
    assert!(text(&o).contains("quote chain   skipped"), "{}", text(&o));
}

#[test]
fn identity_from_a_final_manifest_and_libpal() {
    let c = Case::new();
    let case = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/vectors/public/pa01-append-1-entry");
    let manifest = case.join("expected/v1.9_tomliw-1.2.0/out.manifest.sgx");
    let libpal = case.join("../elf/pal-basic.so");
    let mrenclave: [u8; 32] =
        hex::decode("0bfa28479c5a79e8551268ee22f7150de6721fa66ea0332cb2862a87452e9550")
            .unwrap()
            .try_into()
            .unwrap();
    let q = c.write(
        "q.bin",
        &c.pki.quote(&QuoteSpec {
            body: Body {
                mrenclave,
                isvprodid: 3,
                isvsvn: 2,
                ..Body::default()
            }
            .bytes(),
            ..QuoteSpec::default()
        }),
    );
    let coll = c.write(
        "c.json",
        c.pki.collateral(&CollateralSpec::default()).as_bytes(),
    );
    let run = |extra: &[&str]| {
        exe()
            .arg("verify")
            .arg("--manifest")
            .arg(&manifest)
            .arg("--libpal")
            .arg(&libpal)
            .arg("--quote")
            .arg(&q)
            .arg("--collateral")
            .arg(&coll)
            .arg("--root-ca")
            .arg(c.path("root.der"))
            .args(["--now", &NOW.to_string()])
            .args(extra)
            .output()
            .unwrap()
    };
    let o = run(&[
        "--mrsigner",
        &"81".repeat(32),
        "--isvprodid",
        "3",
        "--min-isvsvn",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("final manifest + libpal (Gramine v1.9)"));
    let o = run(&["--min-isvsvn", "3", "--isvprodid", "4", "--json"]);
    assert_fails(&o, &["ISVPRODID", "ISVSVN"]);
}

#[test]
fn dcap_qvl_sample_reports_its_status_and_advisories() {
    let run = |extra: &[&str]| {
        exe()
            .args([
                "verify",
                "--expect-mrenclave",
                "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb",
                "--quote",
            ])
            .arg(evidence("dcap-qvl-sgx-v3.bin"))
            .arg("--collateral")
            .arg(evidence("dcap-qvl-sgx-v3.collateral.json"))
            .args(["--now", "1750377600", "--json"])
            .args(extra)
            .output()
            .unwrap()
    };
    let o = run(&[]);
    assert_fails(&o, &["TCB status"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["tcb"]["status"], "ConfigurationAndSWHardeningNeeded");
    assert_eq!(
        v["tcb"]["advisory_ids"],
        serde_json::json!(["INTEL-SA-00289", "INTEL-SA-00615"])
    );
    let o = run(&[
        "--allow-tcb-status",
        "UpToDate,ConfigurationAndSWHardeningNeeded",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = run(&[
        "--allow-tcb-status",
        "ConfigurationAndSWHardeningNeeded",
        "--deny-advisory",
        "INTEL-SA-00289",
    ]);
    assert_fails(&o, &["advisory IDs"]);
}
