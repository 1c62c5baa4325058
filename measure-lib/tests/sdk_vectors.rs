//! Every case of testdata/sdk-vectors (Intel's `sgx_sign` 2.20 to 2.26 (and Occlum's copy of 2.20) on this project's test
//! enclaves): MRENCLAVE equal, signed enclave byte-identical (date fixed), `dump` output
//! identical, `gendata`/`catsig` identical, and every refusal refused.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use measure_lib::sdk::{self, ElfOptions, SdkVersion, SignOptions};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/sdk-vectors")
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn json(p: &Path) -> Value {
    serde_json::from_slice(&read(p)).unwrap()
}

/// The signed enclave of a case: its input with the stored metadata (trailing zeros restored),
/// checked against the recorded hash of `sgx_sign`'s output.
fn expected_signed(sdk: &str, case: &str) -> Vec<u8> {
    let d = root().join("expected").join(sdk).join(case);
    let r = json(&d.join("result.json"));
    let mut file = match r["enclave_file"].as_str() {
        Some(f) => read(&root().join("enclaves").join(format!("{f}.so"))),
        None => expected_signed(sdk, r["input_case"].as_str().unwrap()),
    };
    let mut meta = read(&d.join("metadata.bin"));
    meta.resize(r["metadata_size"].as_u64().unwrap() as usize, 0);
    let off = r["metadata_offset"].as_u64().unwrap() as usize;
    if file.len() < off + meta.len() {
        file.resize(off + meta.len(), 0);
    }
    file[off..off + meta.len()].copy_from_slice(&meta);
    assert_eq!(
        hex::encode(Sha256::digest(&file)),
        r["signed_sha256"].as_str().unwrap(),
        "reconstructing {sdk}/{case}"
    );
    file
}

/// Occlum's SDK 2.20 signs the enclaves built for 2.20 (same version word).
fn enclave_dir(sdk: &str) -> &str {
    if sdk == "occlum-2.20" { "2.20" } else { sdk }
}

fn enclave(sdk: &str, name: &str) -> Vec<u8> {
    if let Some(case) = name.strip_prefix("signed:") {
        return expected_signed(sdk, case);
    }
    if let Some(n) = name.strip_prefix("other-sdk:") {
        let other = if sdk == "2.26" { "2.22" } else { "2.26" };
        return read(&root().join("enclaves").join(other).join(format!("{n}.so")));
    }
    if name.contains('/') {
        return read(&root().join("enclaves").join(format!("{name}.so")));
    }
    let dir = root().join("enclaves").join(enclave_dir(sdk));
    let path = dir.join(format!("{name}.so"));
    if path.exists() {
        return read(&path);
    }
    let spec = &json(&dir.join("derived.json"))[name];
    let mut b = read(&dir.join(format!("{}.so", spec["from"].as_str().unwrap())));
    for p in spec["patches"].as_array().unwrap() {
        let (off, n, v) = (
            p[0].as_u64().unwrap() as usize,
            p[1].as_u64().unwrap() as usize,
            p[2].as_u64().unwrap(),
        );
        b[off..off + n].copy_from_slice(&v.to_le_bytes()[..n]);
    }
    if let Some(t) = spec.get("truncate") {
        b.truncate(t.as_u64().unwrap() as usize);
    }
    b
}

fn options(case: &Value) -> SignOptions {
    let mut o = SignOptions::default();
    for opt in case["options"].as_array().unwrap() {
        match opt.as_str().unwrap() {
            "-ignore-rel-error" => {
                o.elf = ElfOptions {
                    ignore_rel_error: true,
                    ..o.elf
                }
            }
            "-ignore-init-sec-error" => {
                o.elf = ElfOptions {
                    ignore_init_sec_error: true,
                    ..o.elf
                }
            }
            "-resign" => o.resign = true,
            "-enable-fips" => o.enable_fips = true,
            other => panic!("option {other}"),
        }
    }
    o
}

#[derive(Default, Debug)]
struct Counts {
    mrenclave: usize,
    signed: usize,
    dump: usize,
    gendata_catsig: usize,
    refused: usize,
}

#[test]
fn every_vector() {
    let cases = json(&root().join("cases.json"));
    let key = measure_lib::sigstruct::load_private_key(&root().join("test-key.pem"), None).unwrap();
    let public = measure_lib::sigstruct::load_public_key(&root().join("test-key.pub.pem")).unwrap();
    let date = sdk::parse_date("2026-01-01").unwrap();
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    let mut failures = Vec::new();
    for case in cases["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        for sdk_v in case["sdks"].as_array().unwrap() {
            let sdk_s = sdk_v.as_str().unwrap();
            let version = SdkVersion::parse(sdk_s).unwrap();
            let dir = root().join("expected").join(sdk_s).join(name);
            let r = json(&dir.join("result.json"));
            let input = enclave(sdk_s, case["enclave"].as_str().unwrap());
            let config = case["config"]
                .as_str()
                .map(|c| read(&root().join("configs").join(format!("{c}.xml"))));
            let c = counts.entry(sdk_s.to_string()).or_default();
            let label = format!("{sdk_s}/{name}");
            let prepared = sdk::prepare(&input, config.as_deref(), Some(version), options(case));
            if r["exit_code"] != 0 {
                match prepared {
                    Ok(_) => failures.push(format!(
                        "{label}: sgx_sign refused ({:?}), accepted here",
                        r["stderr"]
                    )),
                    Err(e) => {
                        let oracle_xml = r["stderr"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|l| l == "Configuration file format is not correct.");
                        let ours_xml = e
                            .to_string()
                            .starts_with("Configuration file format is not correct");
                        if oracle_xml != ours_xml {
                            failures.push(format!(
                                "{label}: refused at another step: {e} / {:?}",
                                r["stderr"]
                            ));
                        } else {
                            c.refused += 1;
                            if std::env::var_os("SDK_VECTORS_VERBOSE").is_some() {
                                let last =
                                    r["stderr"].as_array().unwrap().iter().rev().nth(1).cloned();
                                eprintln!("{label}: {e:#}\n    sgx_sign: {last:?}");
                            }
                        }
                    }
                }
                continue;
            }
            let p = match prepared {
                Ok(p) => p,
                Err(e) => {
                    failures.push(format!("{label}: refused: {e:#}"));
                    continue;
                }
            };
            if hex::encode(p.mrenclave()) != r["mrenclave"].as_str().unwrap() {
                failures.push(format!(
                    "{label}: MRENCLAVE {} != {}",
                    hex::encode(p.mrenclave()),
                    r["mrenclave"]
                ));
                continue;
            }
            c.mrenclave += 1;
            let signed = sdk::sign(&p, &key, date).unwrap();
            let want = expected_signed(sdk_s, name);
            let mut got = signed.file.clone();
            let mut want_masked = want.clone();
            for range in r
                .get("nondeterministic_ranges")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let (off, n) = (
                    range[0].as_u64().unwrap() as usize,
                    range[1].as_u64().unwrap() as usize,
                );
                got[off..off + n].fill(0);
                want_masked[off..off + n].fill(0);
            }
            if got != want_masked {
                let first = got.iter().zip(&want_masked).position(|(a, b)| a != b);
                failures.push(format!(
                    "{label}: signed file differs (first at {first:?}, sizes {} / {})",
                    got.len(),
                    want.len()
                ));
                continue;
            }
            c.signed += 1;
            match (
                sdk::dump::read_dump(&signed.file),
                r["dump_exit_code"].as_i64(),
            ) {
                (Ok(d), Some(0)) => {
                    let text = sdk::dump::dump_text(&d);
                    if text.as_bytes() != read(&dir.join("dump.txt")) {
                        failures.push(format!("{label}: dump differs"));
                    } else {
                        c.dump += 1;
                    }
                }
                (Err(_), Some(code)) if code != 0 => c.dump += 1,
                (res, code) => failures.push(format!(
                    "{label}: dump {:?} / sgx_sign exit {code:?}",
                    res.err()
                )),
            }
            if dir.join("gendata.bin").exists() {
                let g = sdk::gendata(&p, date);
                let sig = read(&dir.join("gendata.sig"));
                let cat = sdk::catsig(&p, &public, &sig, &g).unwrap();
                if g[..] != read(&dir.join("gendata.bin"))[..]
                    || hex::encode(Sha256::digest(&cat.file))
                        != r["catsig_sha256"].as_str().unwrap()
                {
                    failures.push(format!("{label}: gendata/catsig differ"));
                } else {
                    c.gendata_catsig += 1;
                }
            }
        }
    }
    for (v, c) in &counts {
        eprintln!("SDK {v}: {c:?}");
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The Intel Trust Authority Python client's sample enclave (SDK 2.22, signed by Intel's
/// tooling), when its directory is given in `SGX_MEASURE_ITA_ENCLAVE_DIR` (its files are not
/// redistributed here; see testdata/sdk-vectors/README.md): `dump` of the signed enclave matches
/// `sgx_sign dump`, and re-measuring it with its configuration gives the MRENCLAVE it carries.
#[test]
fn ita_minimal_enclave_if_present() {
    let Some(dir) = std::env::var_os("SGX_MEASURE_ITA_ENCLAVE_DIR") else {
        eprintln!("SGX_MEASURE_ITA_ENCLAVE_DIR not set: skipped");
        return;
    };
    let dir = PathBuf::from(dir);
    let signed = read(&dir.join("enclave.signed.so"));
    let config = read(&dir.join("Enclave.config.xml"));
    let d = sdk::dump::read_dump(&signed).unwrap();
    if let Ok(want) = std::fs::read(dir.join("sgx_sign.dump.txt")) {
        assert_eq!(sdk::dump::dump_text(&d).as_bytes(), &want[..]);
    }
    let options = SignOptions {
        resign: true,
        ..SignOptions::default()
    };
    let p = sdk::prepare(&signed, Some(&config), None, options).unwrap();
    assert_eq!(p.version(), SdkVersion::V2_22);
    assert_eq!(p.mrenclave(), d.mrenclave());
    assert_eq!(
        hex::encode(p.mrenclave()),
        "69a8788a94e77a4d0cb91a5974022c4fa3422fb6fad96d576af38ff42a7a9f3d"
    );
}
