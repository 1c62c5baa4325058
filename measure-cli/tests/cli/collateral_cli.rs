//! `sgx-measure collateral fetch` against a PCCS the test starts on 127.0.0.1 (a small HTTP
//! server serving stored collateral files in the v4 API's shape), then `collateral view` and an
//! offline `verify` with what was fetched. Nothing leaves the machine.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sgx_test_pki::{CollateralSpec, NOW, Pki, QuoteSpec};

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

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One HTTP response: status, headers, body.
type Reply = (u16, Vec<(String, String)>, Vec<u8>);

/// What a PCCS serves, from stored collateral (dcap-qvl's JSON form).
fn pccs_files(collateral_json: &str, fmspc: &str) -> Vec<(String, Reply)> {
    let c: serde_json::Value = serde_json::from_str(collateral_json).unwrap();
    let s = |k: &str| c[k].as_str().unwrap().to_string();
    let tcb = format!(
        "{{\"tcbInfo\":{},\"signature\":\"{}\"}}",
        s("tcb_info"),
        s("tcb_info_signature")
    );
    let qe = format!(
        "{{\"enclaveIdentity\":{},\"signature\":\"{}\"}}",
        s("qe_identity"),
        s("qe_identity_signature")
    );
    let v4 = "/sgx/certification/v4";
    vec![
        (
            format!("{v4}/pckcrl?ca=processor&encoding=der"),
            (
                200,
                vec![(
                    "SGX-PCK-CRL-Issuer-Chain".into(),
                    pct(&s("pck_crl_issuer_chain")),
                )],
                hex::decode(s("pck_crl")).unwrap(),
            ),
        ),
        (
            format!("{v4}/tcb?fmspc={fmspc}&update=standard"),
            (
                200,
                vec![(
                    "TCB-Info-Issuer-Chain".into(),
                    pct(&s("tcb_info_issuer_chain")),
                )],
                tcb.into_bytes(),
            ),
        ),
        (
            format!("{v4}/qe/identity?update=standard"),
            (
                200,
                vec![(
                    "SGX-Enclave-Identity-Issuer-Chain".into(),
                    pct(&s("qe_identity_issuer_chain")),
                )],
                qe.into_bytes(),
            ),
        ),
        // A PCCS serves the root CA CRL as hex text.
        (
            format!("{v4}/rootcacrl"),
            (200, vec![], s("root_ca_crl").into_bytes()),
        ),
    ]
}

/// Serves `files` on 127.0.0.1 for at most `max` requests; returns the base URL.
fn serve(files: Vec<(String, Reply)>, max: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(max) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let path = request.split(' ').nth(1).unwrap_or("").to_string();
            let (status, headers, body) = files
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, r)| r.clone())
                .unwrap_or((404, vec![], b"not found".to_vec()));
            let mut head = format!(
                "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\nConnection: close\r\n",
                if status == 200 { "OK" } else { "Not Found" },
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    format!("http://{addr}")
}

#[test]
fn fetch_from_a_local_pccs_then_verify_offline() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let stored = pki.collateral(&CollateralSpec::default());
    let base = serve(pccs_files(&stored, "00906ED50000"), 16);
    let quote = dir.path().join("quote.bin");
    std::fs::write(&quote, pki.quote(&QuoteSpec::default())).unwrap();
    let out = dir.path().join("collateral.json");
    let o = exe()
        .args(["collateral", "fetch", "--quote"])
        .arg(&quote)
        .args(["--pccs", &base, "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("collateral for FMSPC 00906ED50000"),
        "{}",
        text(&o)
    );
    // Exactly what the server stored, in dcap-qvl's form.
    let fetched: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let want: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(fetched, want);

    let root = dir.path().join("root.der");
    std::fs::write(&root, &pki.root).unwrap();
    let o = exe()
        .args(["verify", "--expect-mrenclave", &"33".repeat(32), "--quote"])
        .arg(&quote)
        .arg("--collateral")
        .arg(&out)
        .arg("--root-ca")
        .arg(&root)
        .args(["--now", &NOW.to_string()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let o = exe()
        .args(["collateral", "view"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("fmspc:        00906ED50000"), "{t}");
    assert!(t.contains("level  1: UpToDate"), "{t}");
    assert!(
        t.contains("Test SGX TCB Signing (issuer Test SGX Root CA)"),
        "{t}"
    );
    let o = exe()
        .args(["collateral", "view", "--json"])
        .arg(&out)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["tcb_levels"][0]["status"], "UpToDate");
    assert_eq!(v["pck_crl"]["issuer"], "Test SGX PCK Processor CA");
}

#[test]
fn fetching_the_real_sample_gives_back_the_stored_collateral() {
    let dir = tempfile::tempdir().unwrap();
    let stored = std::fs::read_to_string(evidence("dcap-qvl-sgx-v3.collateral.json")).unwrap();
    let base = serve(pccs_files(&stored, "00A067110000"), 16);
    let out = dir.path().join("c.json");
    let o = exe()
        .args(["collateral", "fetch", "--quote"])
        .arg(evidence("dcap-qvl-sgx-v3.bin"))
        .args(["--pccs", &format!("{base}/sgx/certification/v4/"), "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let fetched: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let want: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(fetched, want);
    let o = exe()
        .args([
            "verify",
            "--expect-mrenclave",
            "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb",
            "--quote",
        ])
        .arg(evidence("dcap-qvl-sgx-v3.bin"))
        .arg("--collateral")
        .arg(&out)
        .args([
            "--now",
            "2025-06-20T00:00:00Z",
            "--allow-tcb-status",
            "ConfigurationAndSWHardeningNeeded",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn server_errors_are_reported_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let quote = dir.path().join("quote.bin");
    std::fs::write(&quote, pki.quote(&QuoteSpec::default())).unwrap();
    // A server that knows nothing.
    let base = serve(vec![], 4);
    let out = dir.path().join("c.json");
    let o = exe()
        .args(["collateral", "fetch", "--quote"])
        .arg(&quote)
        .args(["--pccs", &base, "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        text(&o).contains("pckcrl?ca=processor&encoding=der"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("404"), "{}", text(&o));
    assert!(!out.exists());
    // A TCB info response without its issuer chain header.
    let stored = pki.collateral(&CollateralSpec::default());
    let mut files = pccs_files(&stored, "00906ED50000");
    files[1].1.1.clear();
    let base = serve(files, 8);
    let o = exe()
        .args(["collateral", "fetch", "--quote"])
        .arg(&quote)
        .args(["--pccs", &base, "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        text(&o).contains("no TCB-Info-Issuer-Chain or SGX-TCB-Info-Issuer-Chain header"),
        "{}",
        text(&o)
    );
    assert!(!out.exists());
}
