//! `sgx-measure sdk` and `verify --sdk-enclave` on the SDK vectors (testdata/sdk-vectors):
//! the command line gives what Intel's `sgx_sign` gave, and refuses what it refused without
//! leaving an output behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sha2::{Digest, Sha256};

fn exe() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sgx-measure"))
}

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/sdk-vectors")
}

fn result(sdk: &str, case: &str) -> Value {
    let p = vectors()
        .join("expected")
        .join(sdk)
        .join(case)
        .join("result.json");
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn run(args: &[&str]) -> Output {
    exe().current_dir(vectors()).args(args).output().unwrap()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn mrenclave_matches_sgx_sign() {
    for (sdk, case, config) in [
        ("2.22", "basic-ita", "configs/ita.xml"),
        ("2.26", "basic-threads", "configs/threads.xml"),
        ("2.24", "basic-elrange", "configs/elrange.xml"),
        ("2.25", "basic-kss", "configs/kss.xml"),
    ] {
        let enclave = format!("enclaves/{sdk}/basic.so");
        let want = result(sdk, case)["mrenclave"].as_str().unwrap().to_string();
        // The release is detected from the enclave.
        assert_eq!(
            ok(&run(&["sdk", "mrenclave", "-e", &enclave, "-c", config])).trim(),
            want
        );
        let json: Value = serde_json::from_str(&ok(&run(&[
            "sdk",
            "mrenclave",
            "-e",
            &enclave,
            "-c",
            config,
            "--sdk-version",
            sdk,
            "--json",
        ])))
        .unwrap();
        assert_eq!(json["mrenclave"], want.as_str());
        assert_eq!(json["sdk_version"], sdk);
        let verbose = ok(&run(&[
            "sdk",
            "mrenclave",
            "-e",
            &enclave,
            "-c",
            config,
            "-v",
        ]));
        assert!(verbose.contains("TCS") && verbose.ends_with(&format!("mrenclave: {want}\n")));
    }
    // Without -config: sgx_sign's defaults.
    let want = result("2.26", "basic-defaults")["mrenclave"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        ok(&run(&["sdk", "mrenclave", "-e", "enclaves/2.26/basic.so"])).trim(),
        want
    );
    // Another release than the enclave's is refused as sgx_sign refuses it.
    let o = run(&[
        "sdk",
        "mrenclave",
        "-e",
        "enclaves/2.22/basic.so",
        "--sdk-version",
        "2.26",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("SDK version is not correct"));
}

#[test]
fn sign_gendata_catsig_dump() {
    let tmp = tempfile::tempdir().unwrap();
    let t = |n: &str| tmp.path().join(n).display().to_string();
    let dir = vectors().join("expected/2.26/basic-kss");
    let r = result("2.26", "basic-kss");
    let common = ["-e", "enclaves/2.26/basic.so", "-c", "configs/kss.xml"];
    let mut args = vec!["sdk", "sign"];
    args.extend(common);
    let (signed, dump, css) = (t("s.so"), t("dump.txt"), t("css.bin"));
    args.extend([
        "-k",
        "test-key.pem",
        "-o",
        &signed,
        "-d",
        "2026-01-01",
        "--dumpfile",
        &dump,
        "--cssfile",
        &css,
    ]);
    assert_eq!(ok(&run(&args)).trim(), r["mrenclave"].as_str().unwrap());
    let signed_bytes = std::fs::read(&signed).unwrap();
    assert_eq!(
        hex::encode(Sha256::digest(&signed_bytes)),
        r["signed_sha256"].as_str().unwrap()
    );
    assert_eq!(
        std::fs::read(&dump).unwrap(),
        std::fs::read(dir.join("dump.txt")).unwrap()
    );
    let off = r["metadata_offset"].as_u64().unwrap() as usize + 64;
    assert_eq!(std::fs::read(&css).unwrap(), &signed_bytes[off..off + 1808]);

    // Two-step signing with the signature sgx_sign's catsig was given.
    let material = t("material.bin");
    let mut args = vec!["sdk", "gendata"];
    args.extend(common);
    args.extend(["-o", &material, "-d", "20260101"]);
    ok(&run(&args));
    assert_eq!(
        std::fs::read(&material).unwrap(),
        std::fs::read(dir.join("gendata.bin")).unwrap()
    );
    let cat = t("cat.so");
    let sig = dir.join("gendata.sig").display().to_string();
    let mut args = vec!["sdk", "catsig"];
    args.extend(common);
    args.extend([
        "-k",
        "test-key.pub.pem",
        "--sig",
        &sig,
        "--unsigned",
        &material,
        "-o",
        &cat,
    ]);
    ok(&run(&args));
    assert_eq!(
        hex::encode(Sha256::digest(std::fs::read(&cat).unwrap())),
        r["catsig_sha256"].as_str().unwrap()
    );

    // dump: text as sgx_sign writes it, and JSON.
    assert_eq!(
        ok(&run(&["sdk", "dump", &signed])).as_bytes(),
        &std::fs::read(dir.join("dump.txt")).unwrap()[..]
    );
    let json: Value = serde_json::from_str(&ok(&run(&["sdk", "dump", &signed, "--json"]))).unwrap();
    assert_eq!(json["mrenclave"], r["mrenclave"]);
    assert_eq!(json["mrsigner"], r["mrsigner"]);
    assert_eq!(json["metadata"]["enclave_css"]["body"]["isv_prod_id"], 3);
    assert_eq!(json["compatible_metadata"].as_array().unwrap().len(), 0);

    // A signed enclave is refused unless --resign, which gives the same file again.
    let again = t("again.so");
    let o = run(&[
        "sdk",
        "sign",
        "-e",
        &signed,
        "-c",
        "configs/kss.xml",
        "-k",
        "test-key.pem",
        "-o",
        &again,
        "-d",
        "2026-01-01",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("signed already"));
    assert!(!Path::new(&again).exists());
    ok(&run(&[
        "sdk",
        "sign",
        "-e",
        &signed,
        "-c",
        "configs/kss.xml",
        "-k",
        "test-key.pem",
        "-o",
        &again,
        "-d",
        "2026-01-01",
        "--resign",
    ]));
    assert_eq!(std::fs::read(&again).unwrap(), signed_bytes);

    // A refused configuration leaves no output.
    let none = t("none.so");
    let o = run(&[
        "sdk",
        "sign",
        "-e",
        "enclaves/2.26/basic.so",
        "-c",
        "configs/x-malformed.xml",
        "-k",
        "test-key.pem",
        "-o",
        &none,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("Configuration file format is not correct")
    );
    assert!(!Path::new(&none).exists());
    // An unsigned enclave has nothing to dump.
    let o = run(&["sdk", "dump", "enclaves/2.26/basic.so"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not signed"));
}

#[test]
fn verify_against_an_sdk_enclave() {
    let tmp = tempfile::tempdir().unwrap();
    let signed = tmp.path().join("s.so").display().to_string();
    let css = tmp.path().join("css.bin").display().to_string();
    ok(&run(&[
        "sdk",
        "sign",
        "-e",
        "enclaves/2.22/basic.so",
        "-c",
        "configs/release.xml",
        "-k",
        "test-key.pem",
        "-o",
        &signed,
        "--cssfile",
        &css,
    ]));
    let mrsigner = result("2.22", "basic-release")["mrsigner"]
        .as_str()
        .unwrap()
        .to_string();
    // The expected identity from the unsigned enclave, or from the signed one.
    for enclave in ["enclaves/2.22/basic.so", signed.as_str()] {
        let out = ok(&run(&[
            "verify",
            "--sdk-enclave",
            enclave,
            "--sdk-config",
            "configs/release.xml",
            "--sig",
            &css,
            "--mrsigner",
            &mrsigner,
            "--isvprodid",
            "4660",
        ]));
        assert!(out.starts_with("verify: PASS"), "{out}");
    }
    // Another configuration gives another MRENCLAVE: exit 1, MRENCLAVE named.
    let o = run(&[
        "verify",
        "--sdk-enclave",
        "enclaves/2.22/basic.so",
        "--sdk-config",
        "configs/ita.xml",
        "--sig",
        &css,
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["failed"][0], "MRENCLAVE");
    assert!(v["sdk_enclave"].as_str().unwrap().contains("sgx_sign 2.22"));
}

/// The signed enclave, dump and SIGSTRUCT are written as one set: no temporary file or journal
/// is left, an output that is a pipe is written into (not replaced by a regular file), and an
/// output that is the key or the configuration is refused with nothing written.
#[test]
fn sign_outputs_are_one_set_pipes_are_written_into_inputs_are_not_overwritten() {
    use std::os::unix::fs::FileTypeExt;
    let tmp = tempfile::tempdir().unwrap();
    let t = |n: &str| tmp.path().join(n).display().to_string();
    let r = result("2.26", "basic-kss");
    let fifo = t("css.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let (signed, dump) = (t("s.so"), t("dump.txt"));
    let sign = |extra: &[&str]| {
        let mut args = vec![
            "sdk",
            "sign",
            "-e",
            "enclaves/2.26/basic.so",
            "-c",
            "configs/kss.xml",
            "-k",
            "test-key.pem",
            "-d",
            "2026-01-01",
        ];
        args.extend(extra);
        run(&args)
    };
    let o = sign(&["-o", &signed, "--dumpfile", &dump, "--cssfile", &fifo]);
    assert_eq!(ok(&o).trim(), r["mrenclave"].as_str().unwrap());
    let css = reader.join().unwrap();
    let signed_bytes = std::fs::read(&signed).unwrap();
    let off = r["metadata_offset"].as_u64().unwrap() as usize + 64;
    assert_eq!(css, &signed_bytes[off..off + 1808]);
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    let mut names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["css.fifo", "dump.txt", "s.so"]);

    // An output that is an input: refused, the input intact, no output written.
    let key = std::fs::read(vectors().join("test-key.pem")).unwrap();
    let config = vectors().join("configs/kss.xml");
    let config_bytes = std::fs::read(&config).unwrap();
    let other = t("other.so");
    for (flag, path) in [
        ("--dumpfile", vectors().join("test-key.pem")),
        ("--cssfile", config.clone()),
    ] {
        let o = sign(&["-o", &other, flag, path.to_str().unwrap()]);
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("writing it would overwrite an input"), "{err}");
        assert!(!Path::new(&other).exists());
    }
    assert_eq!(std::fs::read(vectors().join("test-key.pem")).unwrap(), key);
    assert_eq!(std::fs::read(&config).unwrap(), config_bytes);
}
