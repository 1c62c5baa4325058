//! Signs a Gramine manifest through the library, as `gramine-sgx-sign` does: writes the final
//! manifest (`.manifest.sgx`) and the SIGSTRUCT (`.sig`) together, and prints MRENCLAVE.
//!
//! ```text
//! cargo run -p measure-lib --example sign -- --gramine v1.9 --manifest app.manifest \
//!     --libpal libpal.so --key enclave-key.pem --date 2026-01-01 \
//!     --output app.manifest.sgx --sigfile app.sig
//! ```
//!
//! Other options: `--tomli-w 0.4` (the signing machine's tomli_w, v1.4 and later) and
//! `--libos-sha256 HEX` (v1.8 and later, when Gramine's LibOS is not installed here). Relative
//! trusted-file URIs are read from the current directory, as Gramine reads them.
//!
//! `cargo test -p measure-lib --example sign` signs a public Gramine vector with every version it
//! was produced for and compares the bytes with what `gramine-sgx-sign` wrote.

use std::path::PathBuf;
use std::process::ExitCode;

use measure_core::profile::GramineVersion;
use measure_lib::outputs::OutputSet;
use measure_lib::pipeline::Warnings;
use measure_lib::signer::{Signed, Signer};
use measure_lib::sigstruct::{load_private_key, parse_date};
use measure_lib::toml::TomlWriter;

/// What to sign, and where the results go.
#[derive(Debug, Default)]
struct Job {
    version: Option<GramineVersion>,
    writer: Option<TomlWriter>,
    manifest: PathBuf,
    libpal: PathBuf,
    key: PathBuf,
    date: Option<String>,
    libos_sha256: Option<String>,
    output: PathBuf,
    sigfile: PathBuf,
}

const USAGE: &str = "usage: sign --gramine VERSION --manifest FILE --libpal FILE --key PEM \
    [--date YYYY-MM-DD|today] [--tomli-w 1|0.4] [--libos-sha256 HEX] --output FILE --sigfile FILE";

impl Job {
    fn from_args(mut args: impl Iterator<Item = String>) -> Result<Job, String> {
        let mut job = Job::default();
        while let Some(flag) = args.next() {
            let value = args
                .next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
            match flag.as_str() {
                "--gramine" => {
                    job.version = Some(
                        GramineVersion::parse(&value)
                            .ok_or_else(|| format!("unknown Gramine version {value}"))?,
                    )
                }
                "--tomli-w" => {
                    job.writer = Some(match value.as_str() {
                        "1" => TomlWriter::TomliW1,
                        "0.4" => TomlWriter::TomliW04,
                        _ => return Err(format!("--tomli-w is 1 or 0.4, not {value}")),
                    })
                }
                "--manifest" => job.manifest = value.into(),
                "--libpal" => job.libpal = value.into(),
                "--key" => job.key = value.into(),
                "--date" => job.date = Some(value),
                "--libos-sha256" => job.libos_sha256 = Some(value),
                "--output" => job.output = value.into(),
                "--sigfile" => job.sigfile = value.into(),
                _ => return Err(format!("unknown option {flag}\n{USAGE}")),
            }
        }
        let missing = [
            ("--manifest", &job.manifest),
            ("--libpal", &job.libpal),
            ("--key", &job.key),
            ("--output", &job.output),
            ("--sigfile", &job.sigfile),
        ]
        .into_iter()
        .find(|(_, p)| p.as_os_str().is_empty());
        match (job.version, missing) {
            (None, _) => Err(format!("--gramine is required\n{USAGE}")),
            (_, Some((flag, _))) => Err(format!("{flag} is required\n{USAGE}")),
            _ => Ok(job),
        }
    }

    /// Signs the manifest in memory.
    fn sign(&self) -> measure_lib::Result<Signed> {
        let version = self
            .version
            .ok_or_else(|| measure_lib::Error::Invalid("no Gramine version".into()))?;
        let mut signer = Signer::new(version)
            .libpal_file(&self.libpal)?
            .key(load_private_key(&self.key, None)?)
            .date(parse_date(self.date.as_deref().unwrap_or("today"))?)
            // Gramine's deprecation warnings, on standard error as gramine-sgx-sign prints them.
            .warnings(Warnings::new(|w| eprintln!("{w}")));
        if let Some(writer) = self.writer {
            signer = signer.writer(writer);
        }
        if let Some(hex) = &self.libos_sha256 {
            signer = signer.libos_sha256(hex.clone());
        }
        let manifest = measure_lib::fsutil::read(&self.manifest, "manifest")?;
        signer.sign(&manifest)
    }

    /// Signs and puts both outputs in place together (never one without the other).
    fn run(&self) -> measure_lib::Result<Signed> {
        let signed = self.sign()?;
        let outputs = OutputSet::begin(&[&self.output, &self.sigfile])?;
        outputs.write(0, signed.manifest.as_bytes())?;
        outputs.write(1, &signed.sigstruct.to_bytes())?;
        outputs.commit()?;
        Ok(signed)
    }
}

fn main() -> ExitCode {
    if std::env::args().skip(1).any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let job = match Job::from_args(std::env::args().skip(1)) {
        Ok(job) => job,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    match job.run() {
        Ok(signed) => {
            println!("mrenclave {}", hex::encode(signed.mrenclave()));
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {}", measure_lib::error::chain(&err));
            ExitCode::FAILURE
        }
    }
}

/// The public vector signed by the test, relative to the package.
#[cfg(test)]
const VECTOR: &str = "../testdata/vectors/public/p20-tf-strings";

#[cfg(test)]
fn vectors() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/vectors")
}

/// `<tag>_tomliw-<release>` or `<tag>_toml-0.10.2`: the Gramine version and the signing
/// machine's TOML writer of one expected result.
#[cfg(test)]
fn variant(name: &str) -> (GramineVersion, Option<TomlWriter>) {
    let (tag, writer) = name.split_once('_').expect("variant name");
    let version = GramineVersion::parse(tag).expect("Gramine version");
    let writer = match writer {
        "toml-0.10.2" => None,
        w if w.starts_with("tomliw-0.4") => Some(TomlWriter::TomliW04),
        w if w.starts_with("tomliw-1.") => Some(TomlWriter::TomliW1),
        w => panic!("unknown writer {w}"),
    };
    (version, writer)
}

/// Asserts that the file `written` holds `want`, naming the first byte that differs.
#[cfg(test)]
fn same_bytes(written: &std::path::Path, want: &[u8], variant: &str) {
    let got = std::fs::read(written).expect("written output");
    if got != want {
        let at = got.iter().zip(want).take_while(|(a, b)| a == b).count();
        panic!(
            "{variant}: {} differs from gramine-sgx-sign's at byte {at} ({} bytes, expected {})",
            written.display(),
            got.len(),
            want.len()
        );
    }
}

#[cfg(test)]
#[test]
fn signs_a_public_vector_byte_identically_for_every_version() {
    let vectors = vectors();
    let case = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(VECTOR);
    let oracle_env: serde_json::Value = serde_json::from_slice(
        &std::fs::read(vectors.join("oracle-environment.json")).expect("oracle environment"),
    )
    .expect("oracle environment JSON");
    let libos_sha256 = oracle_env["libsysdb_so_sha256"]
        .as_str()
        .expect("libsysdb_so_sha256");
    // Gramine signed with the case directory as its working directory (relative trusted files).
    // The other test of this program touches no file, so changing the directory is safe.
    std::env::set_current_dir(&case).expect("enter the case directory");
    let out = tempfile::tempdir().expect("temporary directory");

    let mut variants: Vec<String> = std::fs::read_dir(case.join("expected"))
        .expect("expected results")
        .map(|e| e.expect("entry").file_name().into_string().expect("UTF-8"))
        .collect();
    variants.sort();
    assert!(variants.len() >= 10, "every Gramine version: {variants:?}");
    for name in &variants {
        let (version, writer) = variant(name);
        let expected = case.join("expected").join(name);
        let job = Job {
            version: Some(version),
            writer,
            manifest: "input.manifest".into(),
            libpal: "../elf/pal-basic.so".into(),
            key: vectors.join("test-signing-key.pem"),
            date: Some("2026-01-01".into()),
            libos_sha256: Some(libos_sha256.into()),
            output: out.path().join(format!("{name}.manifest.sgx")),
            sigfile: out.path().join(format!("{name}.sig")),
        };
        let signed = job.run().unwrap_or_else(|e| {
            panic!("{name}: {}", measure_lib::error::chain(&e));
        });
        let want_manifest = std::fs::read(expected.join("out.manifest.sgx")).expect("expected");
        let want_sig = std::fs::read(expected.join("out.sig")).expect("expected");
        same_bytes(&job.output, &want_manifest, name);
        same_bytes(&job.sigfile, &want_sig, name);
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(expected.join("meta.json")).expect("meta.json"))
                .expect("meta JSON");
        assert_eq!(
            Some(hex::encode(signed.mrenclave()).as_str()),
            meta["mrenclave"].as_str(),
            "{name}: MRENCLAVE"
        );
    }
}

#[cfg(test)]
#[test]
fn arguments_are_checked() {
    let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
    let err =
        Job::from_args(args("--manifest m --libpal p --key k --output o --sigfile s").into_iter())
            .unwrap_err();
    assert!(err.starts_with("--gramine is required"), "{err}");
    let err = Job::from_args(args("--gramine v1.9 --manifest m").into_iter()).unwrap_err();
    assert!(err.starts_with("--libpal is required"), "{err}");
    let err = Job::from_args(args("--gramine v2.0").into_iter()).unwrap_err();
    assert_eq!(err, "unknown Gramine version v2.0");
    let err = Job::from_args(args("--gramine").into_iter()).unwrap_err();
    assert!(err.starts_with("--gramine needs a value"), "{err}");
    let job = Job::from_args(
        args("--gramine 1.3 --manifest m --libpal p --key k --output o --sigfile s --tomli-w 1")
            .into_iter(),
    )
    .expect("complete");
    assert_eq!(job.version, Some(GramineVersion::V1_3));
    assert_eq!(job.writer, Some(TomlWriter::TomliW1));
}
