//! `sign`'s outputs are a pair (`.manifest.sgx` and `.sig`, with the depfile): whatever happens
//! to the command (killed at any moment, interrupted, a placement failing, another `sign` of the
//! same outputs at the same time), the pair in place is the old one or the new one and
//! `sigstruct verify` passes on it; no temporary file is left behind. Also: outputs that are the
//! same file as another output or an input are refused, and outputs follow the umask.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const PAL: &str = "../testdata/vectors/public/elf/pal-basic.so";

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_sgx-measure")
}

fn pal() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(PAL)
}

fn key() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/vectors/test-signing-key.pem")
}

fn zeros() -> String {
    "0".repeat(64)
}

/// `sign` of `manifest` into `app.manifest.sgx`, `app.sig` and `app.d` in `dir`.
fn sign_cmd(dir: &Path, manifest: &str) -> Command {
    let mut c = Command::new(exe());
    c.current_dir(dir).args([
        "sign",
        "-m",
        manifest,
        "-o",
        "app.manifest.sgx",
        "-s",
        "app.sig",
        "--depfile",
        "app.d",
        "-l",
        pal().to_str().unwrap(),
        "-k",
        key().to_str().unwrap(),
        "-d",
        "2026-01-01",
        "-q",
        "--libos-sha256",
        &zeros(),
    ]);
    c
}

fn run(mut c: Command) -> Output {
    c.output().unwrap()
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Two manifests (A and B) giving different enclaves, with `data_mb` MB of trusted data to hash,
/// and the pair each gives (signed in a directory of its own).
struct Fixture {
    dir: tempfile::TempDir,
    pairs: [(Vec<u8>, Vec<u8>); 2],
}

fn fixture(data_mb: usize, enclave: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("data")).unwrap();
    let mut blob = vec![0u8; data_mb << 20];
    for (i, b) in blob.iter_mut().enumerate() {
        *b = (i.wrapping_mul(2_654_435_761) >> 13) as u8;
    }
    std::fs::write(d.join("data/blob.bin"), &blob).unwrap();
    for (name, threads) in [("a.manifest", 4), ("b.manifest", 8)] {
        std::fs::write(
            d.join(name),
            format!(
                "[sgx]\nenclave_size = \"{enclave}\"\nmax_threads = {threads}\ntrusted_files = [\"file:data/\"]\n"
            ),
        )
        .unwrap();
    }
    let mut pairs = Vec::new();
    for m in ["a.manifest", "b.manifest"] {
        let own = d.join(format!("expected-{m}"));
        std::fs::create_dir_all(own.join("data")).unwrap();
        std::fs::copy(d.join(m), own.join(m)).unwrap();
        std::fs::write(own.join("data/blob.bin"), &blob).unwrap();
        ok(&run(sign_cmd(&own, m)));
        pairs.push((
            std::fs::read(own.join("app.manifest.sgx")).unwrap(),
            std::fs::read(own.join("app.sig")).unwrap(),
        ));
        std::fs::remove_dir_all(&own).unwrap();
    }
    Fixture {
        dir,
        pairs: [pairs.remove(0), pairs.remove(0)],
    }
}

impl Fixture {
    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Which pair (0 = A, 1 = B) is in place, after `sigstruct verify` (which settles a journal
    /// a killed command left) has passed on it; panics if the files do not form one of the two
    /// pairs, if verify fails, or if a temporary file or journal is left.
    fn pair_in_place(&self, what: &str) -> usize {
        let v = run({
            let mut c = Command::new(exe());
            c.current_dir(self.path()).args([
                "sigstruct",
                "verify",
                "app.sig",
                "-m",
                "app.manifest.sgx",
                "-l",
                pal().to_str().unwrap(),
            ]);
            c
        });
        assert!(
            v.status.success(),
            "{what}: sigstruct verify fails on the pair in place: {}{}",
            String::from_utf8_lossy(&v.stdout),
            String::from_utf8_lossy(&v.stderr)
        );
        let m = std::fs::read(self.path().join("app.manifest.sgx")).unwrap();
        let s = std::fs::read(self.path().join("app.sig")).unwrap();
        let which = self
            .pairs
            .iter()
            .position(|(pm, ps)| *pm == m && *ps == s)
            .unwrap_or_else(|| panic!("{what}: the files in place are not one signed pair"));
        assert_eq!(leftovers(self.path()), Vec::<String>::new(), "{what}");
        which
    }
}

/// Temporary files and journals in `dir`.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".sgx-measure") || n.contains("sgx-measure-journal"))
        .collect()
}

/// A small deterministic generator (xorshift64*), seeded from the clock; the seed is printed.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            | 1;
        eprintln!("seed {seed:#x}");
        Rng(seed)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }
}

fn wait(mut child: Child) -> std::process::ExitStatus {
    child.wait().unwrap()
}

/// SIGKILL at 100 random moments of a sign (and at each step of putting the pair in place,
/// injected through the documented test hook): the old pair or the new one is in place after
/// each, and `sigstruct verify` passes on it.
#[test]
fn sign_killed_at_any_moment_leaves_the_old_pair_or_the_new() {
    let f = fixture(4, "1G");
    ok(&run(sign_cmd(f.path(), "a.manifest")));
    let mut current = f.pair_in_place("initial");
    assert_eq!(current, 0);
    let start = Instant::now();
    ok(&run(sign_cmd(f.path(), "b.manifest")));
    let full = start.elapsed();
    current = f.pair_in_place("second");
    let mut rng = Rng::new();
    let mut outcomes = [0usize; 2];
    for trial in 0..100 {
        let other = ["a.manifest", "b.manifest"][1 - current];
        let mut c = sign_cmd(f.path(), other);
        c.stdout(Stdio::null()).stderr(Stdio::null());
        let mut child = c.spawn().unwrap();
        // Anywhere from the start to a little after the usual end.
        let at = Duration::from_micros(rng.below(full.as_micros() as u64 * 5 / 4));
        std::thread::sleep(at);
        let _ = child.kill();
        let status = wait(child);
        let now = f.pair_in_place(&format!("trial {trial} (kill after {at:?}, {status})"));
        outcomes[usize::from(now != current)] += 1;
        current = now;
    }
    eprintln!(
        "random kills: {} left the old pair, {} the new",
        outcomes[0], outcomes[1]
    );
    // Each step of putting the pair in place (manifest, .sig, depfile).
    for (step, new_wins) in [
        ("marker", false),
        ("rename0", true),
        ("rename1", true),
        ("rename2", true),
        ("cleanup", true),
    ] {
        let other = 1 - current;
        let mut c = sign_cmd(f.path(), ["a.manifest", "b.manifest"][other]);
        c.env("SGX_MEASURE_TEST_COMMIT_FAULT", format!("kill@{step}"));
        let o = run(c);
        assert!(!o.status.success(), "{step}: not killed");
        // Before `sigstruct verify` settles it, the journal says what is left to do.
        if new_wins {
            assert!(
                leftovers(f.path())
                    .iter()
                    .any(|n| n.ends_with(".sgx-measure-journal")),
                "{step}: no journal"
            );
        }
        let now = f.pair_in_place(&format!("kill@{step}"));
        assert_eq!(now == other, new_wins, "kill@{step}");
        current = now;
    }
}

/// A placement that fails (injected at each rename; a .sig path that is a directory) leaves the
/// old pair in place, byte for byte, and exit status 2 (the new manifest used to stay in place
/// beside the old .sig).
#[test]
fn sign_failing_to_place_an_output_keeps_the_old_pair() {
    let f = fixture(0, "64M");
    ok(&run(sign_cmd(f.path(), "a.manifest")));
    let depfile = std::fs::read(f.path().join("app.d")).unwrap();
    for step in ["rename0", "rename1", "rename2"] {
        let mut c = sign_cmd(f.path(), "b.manifest");
        c.env("SGX_MEASURE_TEST_COMMIT_FAULT", format!("fail@{step}"));
        let o = run(c);
        assert_eq!(o.status.code(), Some(2), "fail@{step}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("no output changed"), "fail@{step}: {err}");
        assert_eq!(f.pair_in_place(&format!("fail@{step}")), 0);
        assert_eq!(std::fs::read(f.path().join("app.d")).unwrap(), depfile);
    }
    // A .sig path that is a directory: refused before anything is written.
    std::fs::create_dir(f.path().join("sigdir")).unwrap();
    let o = run({
        let mut c = Command::new(exe());
        c.current_dir(f.path()).args([
            "sign",
            "-m",
            "b.manifest",
            "-o",
            "app.manifest.sgx",
            "-s",
            "sigdir",
            "-l",
            pal().to_str().unwrap(),
            "-k",
            key().to_str().unwrap(),
            "-q",
            "--libos-sha256",
            &zeros(),
        ]);
        c
    });
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is a directory"));
    assert_eq!(f.pair_in_place("-s directory"), 0);
}

/// 20 trials of three concurrent signs of different manifests onto the same outputs: the pair in
/// place at the end always verifies (B's manifest could end up beside A's .sig before).
#[test]
fn concurrent_signs_leave_a_verifying_pair() {
    let f = fixture(0, "64M");
    for trial in 0..20 {
        let children: Vec<Child> = ["a.manifest", "b.manifest", "a.manifest"]
            .iter()
            .map(|m| {
                let mut c = sign_cmd(f.path(), m);
                c.stderr(Stdio::piped());
                c.spawn().unwrap()
            })
            .collect();
        for child in children {
            let o = child.wait_with_output().unwrap();
            ok(&o);
        }
        f.pair_in_place(&format!("trial {trial}"));
    }
}

/// SIGINT and SIGTERM at random moments: no temporary file is left, the pair in place is the old
/// or the new one, and the process ends by that signal.
#[test]
fn interrupted_sign_leaves_no_temporary_file() {
    use std::os::unix::process::ExitStatusExt;
    let f = fixture(4, "256M");
    ok(&run(sign_cmd(f.path(), "a.manifest")));
    let start = Instant::now();
    ok(&run(sign_cmd(f.path(), "a.manifest")));
    let full = start.elapsed();
    let mut rng = Rng::new();
    let mut interrupted = 0;
    for trial in 0..20 {
        let sig = [libc::SIGINT, libc::SIGTERM][trial % 2];
        let mut c = sign_cmd(f.path(), ["a.manifest", "b.manifest"][trial % 2]);
        c.stdout(Stdio::null()).stderr(Stdio::null());
        let child = c.spawn().unwrap();
        let at = Duration::from_micros(rng.below(full.as_micros() as u64));
        std::thread::sleep(at);
        // SAFETY: kill sends a signal to the child we started.
        unsafe {
            libc::kill(child.id() as libc::pid_t, sig);
        }
        let status = wait(child);
        if status.signal() == Some(sig) {
            interrupted += 1;
        } else {
            assert!(status.success(), "trial {trial}: {status}");
        }
        // Checked before anything settles a journal: an interruption leaves none.
        assert_eq!(
            leftovers(f.path()),
            Vec::<String>::new(),
            "trial {trial}, signal {sig} after {at:?}"
        );
        f.pair_in_place(&format!("trial {trial}"));
    }
    eprintln!("{interrupted} of 20 runs ended by the signal");
}

/// Outputs that are the same file as another output or as an input are refused before anything
/// is written (`-o X -s X` used to leave only the SIGSTRUCT in X, `-s` equal to the key
/// overwrote the private key, `-o` equal to the PAL overwrote the PAL).
#[test]
fn outputs_that_are_inputs_or_each_other_are_refused() {
    let f = fixture(0, "64M");
    let d = f.path();
    std::fs::copy(key(), d.join("key.pem")).unwrap();
    std::fs::copy(pal(), d.join("pal.so")).unwrap();
    symlink("key.pem", d.join("key-link.pem")).unwrap();
    let before = |p: &str| std::fs::read(d.join(p)).unwrap();
    let (key_bytes, pal_bytes) = (before("key.pem"), before("pal.so"));
    let sign = |extra: &[&str]| {
        let mut c = Command::new(exe());
        c.current_dir(d).args([
            "sign",
            "-m",
            "a.manifest",
            "-q",
            "-d",
            "2026-01-01",
            "--libos-sha256",
            &zeros(),
        ]);
        c.args(extra);
        run(c)
    };
    for (args, want) in [
        (
            &["-o", "x", "-s", "x", "-l", "pal.so", "-k", "key.pem"][..],
            "are the same file",
        ),
        (
            &["-o", "x", "-s", "./x", "-l", "pal.so", "-k", "key.pem"],
            "are the same file",
        ),
        (
            &[
                "-o", "o.sgx", "-s", "key.pem", "-l", "pal.so", "-k", "key.pem",
            ],
            "is the signing key",
        ),
        (
            &[
                "-o",
                "o.sgx",
                "-s",
                "key-link.pem",
                "-l",
                "pal.so",
                "-k",
                "key.pem",
            ],
            "is the signing key",
        ),
        (
            &["-o", "pal.so", "-l", "pal.so", "-k", "key.pem"],
            "is the libpal",
        ),
        (
            &["-o", "a.manifest", "-l", "pal.so", "-k", "key.pem"],
            "would overwrite the source manifest",
        ),
        (
            &[
                "-o",
                "o.sgx",
                "-s",
                "a.manifest",
                "-l",
                "pal.so",
                "-k",
                "key.pem",
            ],
            "is the manifest",
        ),
        (
            &["-o", "data/blob.bin", "-l", "pal.so", "-k", "key.pem"],
            "one of the trusted files",
        ),
        (
            &[
                "-o",
                "o.sgx",
                "--depfile",
                "o.sgx",
                "-l",
                "pal.so",
                "-k",
                "key.pem",
            ],
            "are the same file",
        ),
        (
            &[
                "-o",
                "o.sgx",
                "--hash-cache",
                "o.sig",
                "-s",
                "o.sig",
                "-l",
                "pal.so",
                "-k",
                "key.pem",
            ],
            "is the hash cache",
        ),
    ] {
        let o = sign(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(want), "{args:?}: {err}");
        assert!(
            !d.join("x").exists() && !d.join("o.sgx").exists(),
            "{args:?}"
        );
        assert_eq!(before("key.pem"), key_bytes);
        assert_eq!(before("pal.so"), pal_bytes);
        assert_eq!(leftovers(d), Vec::<String>::new());
    }
    // Signing a final manifest in place (the pipeline writes it back byte for byte) stays
    // allowed, as with gramine-sgx-sign.
    ok(&sign(&[
        "-o",
        "final.manifest.sgx",
        "-l",
        "pal.so",
        "-k",
        "key.pem",
    ]));
    let before = std::fs::read(d.join("final.manifest.sgx")).unwrap();
    let o = run({
        let mut c = Command::new(exe());
        c.current_dir(d).args([
            "sign",
            "-m",
            "final.manifest.sgx",
            "-o",
            "final.manifest.sgx",
            "-l",
            "pal.so",
            "-k",
            "key.pem",
            "-q",
            "--libos-sha256",
            &zeros(),
        ]);
        c
    });
    ok(&o);
    assert_eq!(std::fs::read(d.join("final.manifest.sgx")).unwrap(), before);
}

/// Outputs follow the umask as gramine-sgx-sign's do (they used to be 0600 whatever the umask,
/// and replacing a 0644 file made it 0600); a replaced file keeps its mode; keys stay 0600.
#[test]
fn outputs_follow_the_umask() {
    let f = fixture(0, "64M");
    let d = f.path();
    let mode = |p: &str| std::fs::metadata(d.join(p)).unwrap().permissions().mode() & 0o777;
    let sh = |umask: &str, args: &[&str]| {
        let mut c = Command::new("sh");
        c.current_dir(d)
            .arg("-c")
            .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
            .arg(exe())
            .args(args);
        ok(&run(c));
    };
    let sign_args = |out: &'static str| -> Vec<String> {
        let mut v: Vec<String> = [
            "sign",
            "-m",
            "a.manifest",
            "-o",
            out,
            "--depfile",
            "app.d",
            "-l",
            pal().to_str().unwrap(),
            "-k",
            key().to_str().unwrap(),
            "-q",
            "--libos-sha256",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.push(zeros());
        v
    };
    let a: Vec<String> = sign_args("app.manifest.sgx");
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    sh("022", &a);
    assert_eq!(
        (mode("app.manifest.sgx"), mode("a.sig"), mode("app.d")),
        (0o644, 0o644, 0o644)
    );
    std::fs::remove_file(d.join("app.d")).unwrap();
    std::fs::remove_file(d.join("a.sig")).unwrap();
    sh("027", &a);
    // Replaced: keeps 0644; new: 0640.
    assert_eq!(
        (mode("app.manifest.sgx"), mode("a.sig"), mode("app.d")),
        (0o644, 0o640, 0o640)
    );
    sh("022", &["hash-files", "data", "-o", "entries.toml", "-q"]);
    assert_eq!(mode("entries.toml"), 0o644);
    sh(
        "022",
        &[
            "entries",
            "convert",
            "entries.toml",
            "--to",
            "list",
            "-o",
            "e.list",
        ],
    );
    assert_eq!(mode("e.list"), 0o644);
    sh(
        "022",
        &[
            "bundle",
            "-q",
            "-m",
            "a.manifest",
            "-l",
            pal().to_str().unwrap(),
            "--libos-sha256",
            &zeros(),
            "-o",
            "base.bundle",
        ],
    );
    assert_eq!(mode("base.bundle"), 0o644);
    sh("022", &["gen-key", "-o", "new-key.pem"]);
    assert_eq!(mode("new-key.pem"), 0o600);
}
