//! The verifier's no_std renderer against the full pipeline: bundles made by
//! `measure_lib::bundle::make` (what `sgx-measure bundle` runs) from a few base manifests, for every Gramine version and writer, with
//! arbitrary appended entries that pass the bundle's policy. The manifest the bundle renders must
//! be byte for byte what the TOML writer gives for the base with those entries appended, and the
//! MRENCLAVE the same as measuring that text; an entry the policy admits must be writable.
#![no_main]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use measure_core::append::{AppendedManifest, check_policy, mrenclave_unchecked};
use measure_core::bundle::Bundle;
use measure_core::entries::{self, EntryList};
use measure_core::profile::GramineVersion;
use measure_core::sha256::Sha256;
use measure_lib::bundle::make;
use measure_lib::hashing::FileHasher;
use measure_lib::measure::measure_parsed;
use measure_lib::pipeline::{self, Options};
use measure_lib::toml::{self, Table, TomlWriter, TomliW, Value};

const PAL: &[u8] = include_bytes!("../../testdata/vectors/public/elf/pal-basic.so");
const LIBOS_SHA256: &str = "4d67a948b7e9ed9a40f5c09c60901c848bd4d6983ce595ede25a440197e9bc62";
const BASES: usize = 5;

/// Base manifest `variant` for `version` (small enclaves: every run measures twice).
fn base_manifest(version: GramineVersion, variant: usize) -> String {
    let threads = if version.code() <= GramineVersion::V1_3.code() {
        "thread_num"
    } else {
        "max_threads"
    };
    let h = "ab".repeat(32);
    let head = format!(
        "libos.entrypoint = \"/app/run\"\nloader.entrypoint.uri = \"file:/usr/lib/libsysdb.so\"\nloader.entrypoint.sha256 = \"{LIBOS_SHA256}\"\nsgx.enclave_size = \"4M\"\nsgx.{threads} = 2\n"
    );
    match variant {
        // An inline list that fits.
        0 => format!(
            "{head}sgx.trusted_files = [\n  {{ uri = \"file:/app/a\", sha256 = \"{h}\" }},\n]\n"
        ),
        // No trusted files.
        1 => head,
        // A list too long to be inline, then sub-tables and arrays of tables after it.
        2 => format!(
            "{head}[[sgx.trusted_files]]\nuri = \"file:/app/{}file\"\nsha256 = \"{h}\"\n\n[[fs.mounts]]\npath = \"/data\"\nuri = \"file:/data\"\n\n[sgx.cpu_features]\navx = \"unspecified\"\n",
            "long/".repeat(20)
        ),
        // A file hashed while making the bundle (relative to the working directory).
        3 => format!("{head}sgx.trusted_files = [\"file:lib.so\"]\n"),
        // Strings with escapes around the list.
        _ => format!(
            "{head}loader.argv = [\"a\\tb\", \"\\u00e9\"]\n[[sgx.trusted_files]]\nuri = \"file:/app/q\\\"uote\"\nsha256 = \"{h}\"\n"
        ),
    }
}

struct Made {
    bundle: Vec<u8>,
    base: Table,
    dialect: TomlWriter,
}

fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // SAFETY: set before any other thread exists (first call, before rayon starts).
        unsafe { std::env::set_var("RAYON_NUM_THREADS", "1") };
        let dir = std::env::temp_dir().join("sgx-measure-fuzz-append");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("pal.so"), PAL).unwrap();
        std::fs::write(dir.join("lib.so"), b"\x7fELF library").unwrap();
        std::env::set_current_dir(&dir).unwrap();
        dir
    })
}

/// The bundle of (version, writer, base), made once; `None` when `bundle` refuses it.
fn made(version: GramineVersion, tomli_w: TomliW, variant: usize) -> Option<&'static Made> {
    type Cache = HashMap<(GramineVersion, bool, usize), Option<&'static Made>>;
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    let key = (version, tomli_w == TomliW::V04, variant);
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap();
    *cache.entry(key).or_insert_with(|| {
        let dir = dir();
        let path = dir.join(format!("base-{}-{variant}.manifest", version.as_str()));
        std::fs::write(&path, base_manifest(version, variant)).unwrap();
        let opts = Options {
            tomli_w,
            libos: dir.join("libsysdb.so"),
            libos_sha256: Some(LIBOS_SHA256.into()),
            ..Options::new(version)
        };
        let dialect = opts.dialect().ok()?;
        let input = std::fs::read(&path).unwrap();
        let mut hasher = FileHasher::new(None).unwrap();
        let prefixes = ["file:/data/".to_string()];
        let bundle = match make(&input, PAL, "pal", &prefixes, &opts, &mut hasher) {
            Ok(made) => made.bytes,
            Err(e) => {
                // Printed once per combination: a base that no version accepts tests nothing.
                let e = measure_lib::error::chain(&e);
                eprintln!("no bundle for {version} {tomli_w:?} base {variant}: {e}");
                return None;
            }
        };
        let base = pipeline::run(&input, &opts, &mut hasher).unwrap().expanded;
        Some(&*Box::leak(Box::new(Made {
            bundle,
            base,
            dialect,
        })))
    })
}

#[derive(Arbitrary, Debug)]
struct Input {
    version: u8,
    tomli_w04: bool,
    base: u8,
    entries: Vec<(String, String)>,
}

fuzz_target!(|input: Input| {
    let version = GramineVersion::ALL[usize::from(input.version) % GramineVersion::ALL.len()];
    let tomli_w = if input.tomli_w04 && version.code() > GramineVersion::V1_3.code() {
        TomliW::V04
    } else {
        TomliW::V1
    };
    let Some(m) = made(version, tomli_w, usize::from(input.base) % BASES) else {
        return;
    };
    let b = Bundle::parse(&m.bundle).expect("made bundle parses");

    // Entries under file:/data/, dropping each one the policy refuses.
    let mut pairs: Vec<(String, String)> = input
        .entries
        .iter()
        .take(16)
        .map(|(u, s)| (format!("file:/data/{u}"), s.clone()))
        .collect();
    let list = loop {
        let bytes = entries::encode(pairs.iter().map(|(u, s)| (u.as_str(), s.as_str())));
        let el = EntryList::parse(&bytes).expect("encoded list parses");
        match check_policy(&b, &el, &Sha256::digest(&bytes)) {
            Ok(()) => break bytes,
            Err(v) => {
                pairs.remove(v.index as usize);
            }
        }
    };
    let el = EntryList::parse(&list).unwrap();

    // The renderer against the writer.
    let mut have = Vec::new();
    AppendedManifest::new(&b, el).render(&mut |c| have.extend_from_slice(c));
    let mut table = m.base.clone();
    if let Some(Value::Table(sgx)) = table.get_mut("sgx") {
        let Some(Value::Array(files)) = sgx.get_mut("trusted_files") else {
            panic!("expanded base without a list")
        };
        for (u, s) in &pairs {
            let mut e = Table::new();
            e.insert("uri", Value::String(u.clone()));
            e.insert("sha256", Value::String(s.clone()));
            files.push(Value::Table(e));
        }
    }
    let want = match toml::try_emit(&table, m.dialect) {
        Ok(w) => w,
        Err(e) => panic!("the policy admitted entries the writer cannot write: {e:#}\n{pairs:?}"),
    };
    assert!(
        have == want.as_bytes(),
        "{version} {:?}: rendered manifest differs from the writer's\n--- have\n{}\n--- want\n{want}",
        m.dialect,
        String::from_utf8_lossy(&have)
    );

    // MRENCLAVE against measuring the written text (v1.0-v1.3 measure it as read back).
    let measured_table = if m.dialect == TomlWriter::Toml0102 {
        pipeline::read_final(want.as_bytes(), version, &Default::default())
            .expect("written manifest reads back")
    } else {
        table
    };
    let full = measure_parsed(want.as_bytes(), measured_table, PAL, "pal", version);
    let append = mrenclave_unchecked(&b, el);
    match (full, append) {
        (Ok(f), Ok(a)) => assert_eq!(f.mrenclave, a, "{version}: MRENCLAVE differs"),
        (Err(_), Err(_)) => {}
        (f, a) => panic!(
            "{version}: one side failed: full {:?} append {a:?}",
            f.map(|f| f.mrenclave)
        ),
    }
});
