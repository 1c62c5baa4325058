//! Hostile or broken inputs to `sgx-measure mrenclave`: a clear error naming the problem, a
//! non-zero exit, never a panic or a hang.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn pal_basic() -> Vec<u8> {
    std::fs::read(common::vectors_dir().join("elf/pal-basic.so")).unwrap()
}

const MANIFEST: &str = "[sgx]\nenclave_size = \"256M\"\nmax_threads = 4\n";

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Self {
        Case {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

/// Runs `mrenclave` and returns stderr, asserting a clean failure. (`--as-is`: the manifests
/// here are made up to reach the engine's checks; they are not final manifests.)
fn fails(manifest: &Path, libpal: &Path, extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sgx-measure"))
        .args(["mrenclave", "-q", "--as-is", "--manifest"])
        .arg(manifest)
        .arg("--libpal")
        .arg(libpal)
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "expected failure, got {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.stdout.is_empty());
    stderr
}

fn set_u64(f: &mut [u8], at: usize, v: u64) {
    f[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// Offset of program header `i` in pal-basic.so (e_phoff = 64).
fn phdr(i: usize) -> usize {
    64 + 56 * i
}

/// Index of the first PT_LOAD program header of pal-basic.so.
fn first_load(f: &[u8]) -> usize {
    (0..20)
        .find(|&i| f[phdr(i)..phdr(i) + 4] == 1u32.to_le_bytes())
        .unwrap()
}

#[test]
fn broken_elf_files() {
    let c = Case::new();
    let m = c.file("m.toml", MANIFEST.as_bytes());
    let good = pal_basic();

    let e = fails(
        &m,
        &c.file(
            "text.so",
            b"this is not an ELF file at all, just some text........................",
        ),
        &[],
    );
    assert!(e.contains("not an ELF file"), "{e}");

    let e = fails(&m, &c.file("trunc.so", &good[..40]), &[]);
    assert!(e.contains("too short"), "{e}");

    let mut f = good.clone();
    f[4] = 1;
    let e = fails(&m, &c.file("elf32.so", &f), &[]);
    assert!(e.contains("not a 64-bit ELF"), "{e}");

    let e = fails(&m, &c.file("cut.so", &good[..0x2000]), &[]);
    assert!(e.contains("past the end of the file"), "{e}");

    let mut f = good.clone();
    let i = first_load(&f);
    set_u64(&mut f, phdr(i) + 32, 0x400); // filesz
    set_u64(&mut f, phdr(i) + 40, 0x100); // memsz
    let e = fails(&m, &c.file("filesz.so", &f), &[]);
    assert!(e.contains("p_filesz > p_memsz"), "{e}");

    let mut f = good.clone();
    set_u64(&mut f, phdr(first_load(&good)) + 16, u64::MAX - 0x100); // vaddr
    let e = fails(&m, &c.file("vaddr.so", &f), &[]);
    assert!(e.contains("64-bit address space"), "{e}");

    // Huge but representable vaddr: one segment lies far above the enclave (the others pin the
    // PAL at 0x1000).
    let mut f = good.clone();
    let i = first_load(&good);
    set_u64(&mut f, phdr(i) + 16, 1 << 60);
    let e = fails(&m, &c.file("high.so", &f), &[]);
    assert!(e.contains("outside the enclave"), "{e}");

    let mut f = good.clone();
    set_u64(&mut f, phdr(first_load(&good)) + 40, 1 << 40); // memsz of 1 TiB
    let e = fails(&m, &c.file("bigmem.so", &f), &[]);
    assert!(e.contains("Enclave size is not large enough"), "{e}");

    let e = fails(&m, Path::new("/nonexistent/libpal.so"), &[]);
    assert!(e.contains("cannot read libpal"), "{e}");
}

#[test]
fn broken_manifests() {
    let c = Case::new();
    let pal = c.file("pal.so", &pal_basic());
    let cases: &[(&str, &str)] = &[
        (
            "[sgx]\nenclave_size = \"99999999999999999999G\"\n",
            "does not fit in 64 bits",
        ),
        (
            "[sgx]\nenclave_size = \"17179869184G\"\n",
            "does not fit in 64 bits",
        ),
        ("[sgx]\nenclave_size = \"256T\"\n", "invalid size"),
        ("[sgx]\nenclave_size = \"256m\"\n", "invalid size"),
        ("[sgx]\nenclave_size = \"-256M\"\n", "negative"),
        ("[sgx]\nenclave_size = 268435456\n", "must be a string"),
        (
            "[sgx]\nenclave_size = \"1048576G\"\n",
            "larger than 128 TiB",
        ),
        (
            "[sgx]\nenclave_size = \"4K\"\n",
            "Enclave size is not large enough",
        ),
        (
            "[sgx]\nmax_threads = 1000000000000\n",
            "Enclave size is not large enough",
        ),
        (
            "[sgx]\nmax_threads = 9223372036854775807\n",
            "Enclave size is not large enough",
        ),
        ("[sgx]\nmax_threads = -1\n", "must not be negative"),
        ("[sgx]\nmax_threads = \"4\"\n", "must be an integer"),
        ("[sgx]\nedmm_enable = \"yes\"\n", "must be a boolean"),
        ("sgx = 1\n", "must be a table"),
        ("[sgx\n", "invalid TOML"),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let m = c.file(&format!("m{i}.toml"), text.as_bytes());
        let e = fails(&m, &pal, &[]);
        assert!(e.contains(want), "manifest {text:?}: {e}");
    }
    let m = c.file("bad-utf8.toml", b"[sgx]\nx = \"\xff\"\n");
    assert!(fails(&m, &pal, &[]).contains("UTF-8"));
}

#[test]
fn pinned_pal_above_the_enclave() {
    // pe11: pal-fixedaddr.so (linked at 0x2000000) in a 16 MiB enclave.
    let c = Case::new();
    let m = c.file(
        "m.toml",
        b"[sgx]\nenclave_size = \"16M\"\nmax_threads = 1\n",
    );
    let e = fails(&m, &common::vectors_dir().join("elf/pal-fixedaddr.so"), &[]);
    assert!(e.contains("Unexpected memory area is in heap range"), "{e}");
    // v1.4's base rule puts the enclave at [16M, 32M): the entry point would be negative.
    let m = c.file(
        "m2.toml",
        b"[sgx]\nenclave_size = \"256M\"\nmax_threads = 1\n",
    );
    let e = fails(
        &m,
        &common::vectors_dir().join("elf/pal-fixedaddr.so"),
        &["--gramine", "1.4"],
    );
    assert!(e.contains("entry point"), "{e}");
}

#[test]
fn hostile_overlapping_segments_are_refused_quickly() {
    // 200 PT_LOADs, each covering the same 8 MiB: the PAL fits in the enclave, but measuring every
    // segment would cover 1.6 GiB of pages.
    let mut f = vec![0u8; 64 + 56 * 200];
    f[..4].copy_from_slice(b"\x7fELF");
    f[4] = 2;
    f[5] = 1;
    f[32..40].copy_from_slice(&64u64.to_le_bytes());
    f[54..56].copy_from_slice(&56u16.to_le_bytes());
    f[56..58].copy_from_slice(&200u16.to_le_bytes());
    for i in 0..200 {
        let b = 64 + 56 * i;
        f[b..b + 4].copy_from_slice(&1u32.to_le_bytes());
        f[b + 4..b + 8].copy_from_slice(&5u32.to_le_bytes());
        set_u64(&mut f, b + 40, 8 << 20);
    }
    let c = Case::new();
    let m = c.file("m.toml", MANIFEST.as_bytes());
    let e = fails(&m, &c.file("overlap.so", &f), &[]);
    assert!(e.contains("overlap"), "{e}");
}

/// A source manifest (`app.manifest`: trusted files without hashes, keys the signer writes
/// missing) given where a final one is measured is refused with a hint to run `sign` or
/// `expand`: `mrenclave` used to print an MRENCLAVE that no enclave has, and `sigstruct verify`
/// to fail without saying why. `--as-is` measures it anyway.
#[test]
fn source_manifests_are_refused_where_a_final_one_is_measured() {
    let case = common::vectors_dir().join("p01-defaults-empty");
    let pal = common::vectors_dir().join("elf/pal-basic.so");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_sgx-measure"))
            .current_dir(&case)
            .args(args)
            .output()
            .unwrap()
    };
    let pal = pal.to_str().unwrap();
    let o = run(&["mrenclave", "-q", "-m", "input.manifest", "-l", pal]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("input.manifest is not a final manifest") && err.contains("sgx-measure sign"),
        "{err}"
    );
    assert!(o.stdout.is_empty());
    let o = run(&[
        "mrenclave",
        "-q",
        "--as-is",
        "-m",
        "input.manifest",
        "-l",
        pal,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let expected = case.join("expected/v1.9_tomliw-1.2.0");
    let sig = expected.join("out.sig");
    let o = run(&[
        "sigstruct",
        "verify",
        sig.to_str().unwrap(),
        "-m",
        "input.manifest",
        "-l",
        pal,
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("is not a final manifest"),
        "{err}"
    );
    // The final manifest is measured as before.
    let m = expected.join("out.manifest.sgx");
    let o = run(&["mrenclave", "-q", "-m", m.to_str().unwrap(), "-l", pal]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
