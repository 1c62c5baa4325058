//! `sgx-measure verify` and `configid`: reports and quotes (v3, v4, v5) built from the expected
//! identity pass; changing any one checked field fails and the tree names it with the expected and
//! found values. Also against a `.sig` and a bare `--mrenclave`.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MRSIGNER: &str = "31ecbf4d643bddb30e2216800a2193f052328a5705e2fe300f0fde4dccb1d9f4";

fn exe() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sgx-measure"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

struct Fixture {
    dir: tempfile::TempDir,
    bundle: PathBuf,
    entries: PathBuf,
    mrenclave: [u8; 32],
    configid: [u8; 64],
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let case = common::vectors_dir().join("pa01-append-1-entry");
    let bundle = dir.path().join("base.bundle");
    let o = exe()
        .current_dir(&case)
        .args([
            "bundle",
            "-q",
            "-m",
            "base.manifest",
            "-l",
            "../elf/pal-basic.so",
            "--allow-prefix",
            "file:/data/",
            "-o",
        ])
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let entries = case.join("entries.toml");
    let o = exe()
        .args(["append", "-q", "--bundle"])
        .arg(&bundle)
        .arg("--entries")
        .arg(&entries)
        .output()
        .unwrap();
    let mrenclave: [u8; 32] = hex::decode(stdout(&o).trim()).unwrap().try_into().unwrap();
    let o = exe()
        .arg("configid")
        .arg("--entries")
        .arg(&entries)
        .output()
        .unwrap();
    let configid: [u8; 64] = hex::decode(stdout(&o).trim()).unwrap().try_into().unwrap();
    Fixture {
        dir,
        bundle,
        entries,
        mrenclave,
        configid,
    }
}

/// Report body offsets (Intel SDM REPORTBODY).
const ATTR_FLAGS: usize = 48;
const MRENCLAVE: usize = 64;
const MRSIGNER_OFF: usize = 128;
const CONFIGID: usize = 192;
const ISVPRODID: usize = 256;
const ISVSVN: usize = 258;

fn write_body(body: &mut [u8], f: &Fixture) {
    body[ATTR_FLAGS..ATTR_FLAGS + 8].copy_from_slice(&(0x1u64 | 0x4 | 0x80).to_le_bytes()); // INIT, MODE64BIT, KSS
    body[MRENCLAVE..MRENCLAVE + 32].copy_from_slice(&f.mrenclave);
    body[MRSIGNER_OFF..MRSIGNER_OFF + 32].copy_from_slice(&hex::decode(MRSIGNER).unwrap());
    body[CONFIGID..CONFIGID + 64].copy_from_slice(&f.configid);
    body[ISVPRODID..ISVPRODID + 2].copy_from_slice(&7u16.to_le_bytes());
    body[ISVSVN..ISVSVN + 2].copy_from_slice(&3u16.to_le_bytes());
}

/// (file name, kind flag, offset of the report body in the file)
fn evidence_files(f: &Fixture) -> Vec<(PathBuf, &'static str, usize)> {
    let mut out = Vec::new();
    let mut report = vec![0u8; 432];
    write_body(&mut report[..384], f);
    let p = f.dir.path().join("report.bin");
    std::fs::write(&p, &report).unwrap();
    out.push((p, "--report", 0));
    let synth = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/evidence/synthetic");
    for (name, body_at) in [
        ("quote-v3.bin", 48),
        ("quote-v4.bin", 48),
        ("quote-v5.bin", 54),
    ] {
        let mut q = std::fs::read(synth.join(name)).unwrap();
        write_body(&mut q[body_at..body_at + 384], f);
        let p = f.dir.path().join(name);
        std::fs::write(&p, &q).unwrap();
        out.push((p, "--quote", body_at));
    }
    out
}

fn verify(f: &Fixture, flag: &str, file: &Path) -> Output {
    // The synthetic quotes carry placeholder signatures: their chain is covered by dcap_cli.rs.
    let skip: &[&str] = if flag == "--quote" {
        &["--skip-quote-signature"]
    } else {
        &[]
    };
    exe()
        .args(["verify", "--bundle"])
        .arg(&f.bundle)
        .arg("--entries")
        .arg(&f.entries)
        .arg(flag)
        .arg(file)
        .args(skip)
        .args([
            "--mrsigner",
            MRSIGNER,
            "--isvprodid",
            "7",
            "--min-isvsvn",
            "3",
            "--configid",
            "auto",
        ])
        .output()
        .unwrap()
}

#[test]
fn evidence_with_the_expected_identity_passes_and_each_change_is_named() {
    let f = fixture();
    for (file, flag, at) in evidence_files(&f) {
        let o = verify(&f, flag, &file);
        assert!(o.status.success(), "{}: {}", file.display(), stdout(&o));
        assert!(stdout(&o).contains("verify: PASS"));
        let original = std::fs::read(&file).unwrap();
        // (field name in the tree, offset in the body, bytes to write, expected text, found text)
        let cases: [(&str, usize, Vec<u8>, String, String); 6] = [
            (
                "MRENCLAVE",
                MRENCLAVE,
                vec![0xee; 32],
                hex::encode(f.mrenclave),
                "ee".repeat(32),
            ),
            (
                "MRSIGNER",
                MRSIGNER_OFF,
                vec![0x11; 32],
                MRSIGNER.into(),
                "11".repeat(32),
            ),
            (
                "CONFIGID",
                CONFIGID,
                vec![0x22; 64],
                hex::encode(f.configid),
                "22".repeat(64),
            ),
            (
                "ISVPRODID",
                ISVPRODID,
                8u16.to_le_bytes().to_vec(),
                "7".into(),
                "8".into(),
            ),
            (
                "ISVSVN",
                ISVSVN,
                2u16.to_le_bytes().to_vec(),
                ">= 3".into(),
                "2".into(),
            ),
            (
                "DEBUG",
                ATTR_FLAGS,
                (0x1u64 | 0x2 | 0x4 | 0x80).to_le_bytes().to_vec(),
                "0 (production enclave)".into(),
                "1".into(),
            ),
        ];
        for (name, off, bytes, want, got) in cases {
            let mut changed = original.clone();
            changed[at + off..at + off + bytes.len()].copy_from_slice(&bytes);
            std::fs::write(&file, &changed).unwrap();
            let o = verify(&f, flag, &file);
            let out = stdout(&o);
            assert_eq!(
                o.status.code(),
                Some(1),
                "{name} changed in {}: {out}",
                file.display()
            );
            assert!(out.contains(&format!("{name:<13} FAIL")), "{name}: {out}");
            assert!(out.contains(&format!("expected: {want}")), "{name}: {out}");
            assert!(out.contains(&format!("found:    {got}")), "{name}: {out}");
            assert!(out.contains(&format!("FAILED: {name}")), "{name}: {out}");
        }
        std::fs::write(&file, &original).unwrap();
        if flag == "--quote" {
            assert!(stdout(&verify(&f, flag, &file)).contains("NOT verified"));
        }
    }
}

#[test]
fn sig_and_bare_mrenclave() {
    let f = fixture();
    // Gramine's own .sig for the combined manifest of pa01 (v1.9, tomli_w 1.2.0).
    let sig = common::vectors_dir().join("pa01-append-1-entry/expected/v1.9_tomliw-1.2.0/out.sig");
    let run = |extra: &[&str], sig: &Path| {
        exe()
            .args(["verify", "--bundle"])
            .arg(&f.bundle)
            .arg("--entries")
            .arg(&f.entries)
            .arg("--sig")
            .arg(sig)
            .args(extra)
            .output()
            .unwrap()
    };
    let o = run(&["--mrsigner", MRSIGNER, "--isvprodid", "0"], &sig);
    assert!(o.status.success(), "{}", stdout(&o));
    let mut bad = std::fs::read(&sig).unwrap();
    bad[0x204 + 10] ^= 1; // a signature bit
    let p = f.dir.path().join("bad.sig");
    std::fs::write(&p, &bad).unwrap();
    let o = run(&[], &p);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("SIGNATURE     FAIL"), "{}", stdout(&o));

    let ok = exe()
        .args(["verify", "--bundle"])
        .arg(&f.bundle)
        .arg("--entries")
        .arg(&f.entries)
        .args(["--mrenclave", &hex::encode(f.mrenclave), "--json"])
        .output()
        .unwrap();
    assert!(ok.status.success());
    let v: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(v["ok"], true);
    let wrong = exe()
        .args(["verify", "--bundle"])
        .arg(&f.bundle)
        .arg("--entries")
        .arg(&f.entries)
        .args(["--mrenclave", &"00".repeat(32), "--json"])
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&wrong.stdout).unwrap();
    assert_eq!(v["failed"], serde_json::json!(["MRENCLAVE"]));
}

#[test]
fn configid_is_format_independent_and_changes_with_any_field() {
    let case = common::vectors_dir().join("pa04-append-uri-special-chars");
    let id = |file: &str, extra: &[&str]| -> String {
        let o = exe()
            .current_dir(&case)
            .args(["configid", "--entries", file])
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        stdout(&o).trim().to_string()
    };
    let a = id("entries.toml", &[]);
    assert_eq!(a.len(), 128);
    assert!(a.ends_with(&"0".repeat(64)));
    assert_eq!(id("entries.json", &[]), a);
    assert_eq!(
        id(
            "entries.sha256",
            &["--from", "sha256sum", "--uri-prefix", "file:"]
        ),
        a
    );
    let t = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(case.join("entries.toml")).unwrap();
    for (from, to) in [
        ("part 1.csv", "part 2.csv"),
        ("sha256 = \"9a", "sha256 = \"9b"),
    ] {
        let p = t.path().join("e.toml");
        std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
        assert_ne!(id(p.to_str().unwrap(), &[]), a, "{from}");
    }
}
