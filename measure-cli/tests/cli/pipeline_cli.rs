//! The data owner's and algorithm owner's pipeline commands on generated trees: `hash-files`
//! formats and ordering, the hash cache, `--chroot`, and outputs that are never half-written.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

fn sgx_measure(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sgx-measure"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn sha(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// data/a.bin, data/sub/c.bin, data/b.bin, data/.hidden, a symlinked directory and a symlinked
/// file.
fn tree(root: &Path) {
    let d = root.join("data");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::create_dir_all(root.join("elsewhere")).unwrap();
    std::fs::write(d.join("a.bin"), b"alpha").unwrap();
    std::fs::write(d.join("b.bin"), b"bravo").unwrap();
    std::fs::write(d.join("sub/c.bin"), b"charlie").unwrap();
    std::fs::write(d.join(".hidden"), b"dot").unwrap();
    std::fs::write(root.join("elsewhere/x.bin"), b"x-ray").unwrap();
    symlink("../elsewhere", d.join("linkdir")).unwrap();
    symlink("a.bin", d.join("link-a")).unwrap();
}

#[test]
fn hash_files_formats_and_order() {
    let t = tempfile::tempdir().unwrap();
    tree(t.path());
    let json = ok(&sgx_measure(
        t.path(),
        &["hash-files", "data", "--format", "json", "-q"],
    ));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let uris: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["uri"].as_str().unwrap())
        .collect();
    // Sorted by name per directory, depth-first; the symlinked directory is not followed, the
    // symlinked file is listed under its own name.
    assert_eq!(
        uris,
        [
            "file:data/.hidden",
            "file:data/a.bin",
            "file:data/b.bin",
            "file:data/link-a",
            "file:data/sub/c.bin"
        ]
    );
    assert_eq!(v[1]["sha256"], sha(b"alpha"));
    assert_eq!(v[3]["sha256"], sha(b"alpha"));
    assert_eq!(v[4]["sha256"], sha(b"charlie"));

    let toml = ok(&sgx_measure(
        t.path(),
        &[
            "hash-files",
            "data/sub",
            "--uri-prefix",
            "file:/data/",
            "-q",
        ],
    ));
    assert_eq!(
        toml,
        format!(
            "[[sgx.trusted_files]]\nuri = \"file:/data/c.bin\"\nsha256 = \"{}\"\n",
            sha(b"charlie")
        )
    );

    let sums = ok(&sgx_measure(
        t.path(),
        &[
            "hash-files",
            "data/a.bin",
            "data/sub",
            "--format",
            "sha256sum",
            "-q",
        ],
    ));
    assert_eq!(
        sums,
        format!(
            "{}  data/a.bin\n{}  data/sub/c.bin\n",
            sha(b"alpha"),
            sha(b"charlie")
        )
    );
    // The same lines as GNU sha256sum prints for these files.
    if let Ok(o) = Command::new("sha256sum")
        .current_dir(t.path())
        .args(["data/a.bin", "data/sub/c.bin"])
        .output()
    {
        assert_eq!(String::from_utf8(o.stdout).unwrap(), sums);
    }

    let out = sgx_measure(
        t.path(),
        &["hash-files", "data", "-o", "entries.toml", "-q"],
    );
    assert!(ok(&out).is_empty());
    assert!(
        std::fs::read_to_string(t.path().join("entries.toml"))
            .unwrap()
            .contains("file:data/sub/c.bin")
    );

    let e = sgx_measure(t.path(), &["hash-files", "missing"]);
    assert!(!e.status.success());
    assert!(String::from_utf8_lossy(&e.stderr).contains("cannot read missing"));
}

const PAL: &str = "../testdata/vectors/public/elf/pal-basic.so";

fn pal() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(PAL)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn hash_cache_skips_unchanged_files_and_notices_changes() {
    let t = tempfile::tempdir().unwrap();
    tree(t.path());
    // Files changed less than 2 s before they are hashed are hashed again next time (their
    // entries are "racily clean"): let the tree age first.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    std::fs::write(
        t.path().join("app.manifest"),
        "[sgx]\ntrusted_files = [\"file:data/\"]\n",
    )
    .unwrap();
    let expand = |out: &str| {
        let o = sgx_measure(
            t.path(),
            &[
                "expand",
                "-m",
                "app.manifest",
                "-o",
                out,
                "--hash-cache",
                "cache.jsonl",
                "--libos-sha256",
                &"0".repeat(64),
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stderr).unwrap()
    };
    let first = expand("one.manifest.sgx");
    assert!(first.contains("0 from the hash cache"), "{first}");
    let second = expand("two.manifest.sgx");
    assert!(
        second.contains("0 bytes hashed, 5 from the hash cache"),
        "{second}"
    );
    assert_eq!(
        std::fs::read(t.path().join("one.manifest.sgx")).unwrap(),
        std::fs::read(t.path().join("two.manifest.sgx")).unwrap()
    );
    // A changed file (size and mtime change) is hashed again, and its new hash is used.
    std::fs::write(t.path().join("data/b.bin"), b"bravo, changed").unwrap();
    let third = expand("three.manifest.sgx");
    assert!(
        third.contains("14 bytes hashed, 4 from the hash cache"),
        "{third}"
    );
    let m = std::fs::read_to_string(t.path().join("three.manifest.sgx")).unwrap();
    assert!(m.contains(&sha(b"bravo, changed")));
    // A corrupted cache is an error naming the file, not a silent wrong hash.
    std::fs::write(t.path().join("cache.jsonl"), "{not json\n").unwrap();
    let o = sgx_measure(
        t.path(),
        &[
            "expand",
            "-m",
            "app.manifest",
            "-o",
            "x",
            "--hash-cache",
            "cache.jsonl",
        ],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("hash cache"));
}

/// The `{uri, sha256}` pairs of an expanded manifest's trusted files, in order.
fn trusted_pairs(manifest: &str) -> Vec<(String, String)> {
    let value = |line: &str, key: &str| {
        line.strip_prefix(key)
            .map(|v| v.trim_matches('"').to_string())
    };
    let mut pairs = Vec::new();
    let mut uri = None;
    let mut in_list = false;
    for line in manifest.lines() {
        if line.starts_with('[') {
            in_list = line == "[[sgx.trusted_files]]";
            continue;
        }
        if !in_list {
            continue;
        }
        if let Some(u) = value(line, "uri = ") {
            uri = Some(u);
        } else if let (Some(h), Some(u)) = (value(line, "sha256 = "), uri.take()) {
            pairs.push((u, h));
        }
    }
    pairs
}

/// Directories are walked with each file hashed as the walk meets it (without a hash cache),
/// or listed and hashed afterwards (with one): both give the list Gramine gives. Symlinked
/// directories and special files are left out, a symlinked file is hashed as its target, a
/// large file (hashed after the walk) is hashed whole, a later entry with a hash replaces the
/// walk's, and a file listed by name is hashed too.
#[test]
fn walked_directories_give_the_list_gramine_gives() {
    let t = tempfile::tempdir().unwrap();
    tree(t.path());
    let d = t.path().join("data");
    std::fs::create_dir_all(d.join("sub/deeper")).unwrap();
    std::fs::write(d.join("sub/deeper/d.bin"), b"delta").unwrap();
    let big: Vec<u8> = (0..3u32 << 19).map(|i| (i % 251) as u8).collect();
    std::fs::write(d.join("big.bin"), &big).unwrap();
    let fifo =
        std::ffi::CString::new(d.join("pipe").into_os_string().into_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only reads it.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let given = "ab".repeat(32);
    std::fs::write(
        t.path().join("app.manifest"),
        format!(
            "[sgx]\ntrusted_files = [\n  \"file:data/\",\n  \
             {{ uri = \"file:data/b.bin\", sha256 = \"{given}\" }},\n  \
             \"file:elsewhere/x.bin\",\n  \"file:data/a.bin\",\n]\n"
        ),
    )
    .unwrap();
    let want: Vec<(String, String)> = [
        ("data/.hidden", sha(b"dot")),
        ("data/a.bin", sha(b"alpha")),
        ("data/b.bin", given.clone()),
        ("data/big.bin", sha(&big)),
        ("data/link-a", sha(b"alpha")),
        ("data/sub/c.bin", sha(b"charlie")),
        ("data/sub/deeper/d.bin", sha(b"delta")),
        ("elsewhere/x.bin", sha(b"x-ray")),
    ]
    .into_iter()
    .map(|(p, h)| (format!("file:{p}"), h))
    .collect();
    let zero = "0".repeat(64);
    let expand = |out: &str, cache: bool| {
        let mut args = vec![
            "expand",
            "-m",
            "app.manifest",
            "-o",
            out,
            "--libos-sha256",
            &zero,
        ];
        if cache {
            args.extend(["--hash-cache", "cache.jsonl"]);
        }
        ok(&sgx_measure(t.path(), &args));
        std::fs::read_to_string(t.path().join(out)).unwrap()
    };
    let walked = expand("walked.manifest.sgx", false);
    assert_eq!(trusted_pairs(&walked), want);
    assert_eq!(expand("listed.manifest.sgx", true), walked);
}

#[test]
fn chroot_resolves_symlinks_inside_the_image() {
    let t = tempfile::tempdir().unwrap();
    let img = t.path().join("image");
    std::fs::create_dir_all(img.join("usr/lib/app")).unwrap();
    std::fs::write(img.join("usr/lib/app/libfoo.so"), b"foo in image").unwrap();
    std::fs::write(img.join("usr/lib/app/libbar.so"), b"bar in image").unwrap();
    // Absolute and escaping links: both must land inside the image.
    symlink("/usr/lib", img.join("lib")).unwrap();
    symlink(
        "../../../../../../usr/lib/app/libfoo.so",
        img.join("usr/lib/app/libescape.so"),
    )
    .unwrap();
    let m = "[sgx]\ntrusted_files = [\"file:/lib/app/\", \"file:/lib/app/libfoo.so\", \"file:/lib/app/libescape.so\"]\n";
    std::fs::write(t.path().join("app.manifest"), m).unwrap();
    let o = sgx_measure(
        t.path(),
        &[
            "expand",
            "-m",
            "app.manifest",
            "-o",
            "out.sgx",
            "--chroot",
            "image",
            "--libos-sha256",
            &"0".repeat(64),
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = std::fs::read_to_string(t.path().join("out.sgx")).unwrap();
    let foo = sha(b"foo in image");
    // Directory expansion decides whether an entry is a file by following its symlink on the
    // host, as Gramine does, so the escaping link (dangling on the host) is skipped there; listed
    // explicitly, it resolves inside the image.
    let expect = [
        ("file:/usr/lib/app/libbar.so", sha(b"bar in image")),
        ("file:/usr/lib/app/libfoo.so", foo.clone()),
        ("file:/lib/app/libfoo.so", foo.clone()),
        ("file:/lib/app/libescape.so", foo),
    ];
    let mut pos = 0;
    for (uri, h) in expect {
        let entry = format!("uri = \"{uri}\"\nsha256 = \"{h}\"\n");
        let at = out[pos..]
            .find(&entry)
            .unwrap_or_else(|| panic!("{entry} missing or out of order in\n{out}"));
        pos += at + entry.len();
    }
    // A relative URI cannot be measured in a chroot.
    std::fs::write(
        t.path().join("rel.manifest"),
        "[sgx]\ntrusted_files = [\"file:lib/x\"]\n",
    )
    .unwrap();
    let o = sgx_measure(
        t.path(),
        &[
            "expand",
            "-m",
            "rel.manifest",
            "-o",
            "rel.sgx",
            "--chroot",
            "image",
            "--libos-sha256",
            &"0".repeat(64),
        ],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("only absolute paths"));
    assert!(!t.path().join("rel.sgx").exists());
}

#[test]
fn failed_commands_leave_outputs_untouched() {
    let t = tempfile::tempdir().unwrap();
    tree(t.path());
    let key =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/vectors/test-signing-key.pem");
    let key = key.to_str().unwrap();
    std::fs::write(t.path().join("out.manifest.sgx"), b"previous").unwrap();
    std::fs::write(t.path().join("out.sig"), b"previous").unwrap();
    for m in [
        "[sgx]\ntrusted_files = [\"file:data/missing.bin\"]\n",
        "[sgx]\ntrusted_files = [\"file:data/\"]\nenclave_size = \"64K\"\n",
        "[sgx]\nisvprodid = 70000\n",
        "[sgx\n",
    ] {
        std::fs::write(t.path().join("app.manifest"), m).unwrap();
        let o = sgx_measure(
            t.path(),
            &[
                "sign",
                "-m",
                "app.manifest",
                "-o",
                "out.manifest.sgx",
                "-s",
                "out.sig",
                "-l",
                &pal(),
                "-k",
                key,
                "--libos-sha256",
                &"0".repeat(64),
            ],
        );
        assert!(!o.status.success(), "{m}");
        assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
        assert_eq!(
            std::fs::read(t.path().join("out.manifest.sgx")).unwrap(),
            b"previous",
            "{m}"
        );
        assert_eq!(
            std::fs::read(t.path().join("out.sig")).unwrap(),
            b"previous",
            "{m}"
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(t.path())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.starts_with(".sgx-measure-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn depfile_lists_expanded_files_libpal_and_key() {
    let t = tempfile::tempdir().unwrap();
    tree(t.path());
    let key =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/vectors/test-signing-key.pem");
    std::fs::write(
        t.path().join("app.manifest"),
        "[sgx]\ntrusted_files = [\"file:data/sub/\"]\n",
    )
    .unwrap();
    let o = sgx_measure(
        t.path(),
        &[
            "sign",
            "-m",
            "app.manifest",
            "-o",
            "app.manifest.sgx",
            "-l",
            &pal(),
            "-k",
            key.to_str().unwrap(),
            "--depfile",
            "app.d",
            "-q",
            "--libos-sha256",
            &"0".repeat(64),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let d = std::fs::read_to_string(t.path().join("app.d")).unwrap();
    assert_eq!(
        d,
        format!(
            "app.manifest.sgx: \\\n\tdata/sub/c.bin \\\n\t{} \\\n\t{}\n",
            pal(),
            key.display()
        )
    );
    // Gramine's default .sig name.
    assert!(t.path().join("app.sig").exists());
}

/// Trusted files whose names hold a space, `#` and `$` are listed in the depfile so that GNU Make
/// reads those very names (they used to be written unescaped: Make read `data/a` and `b.bin`,
/// a comment, and a variable reference): after the build, touching any of them makes the
/// `.manifest.sgx` out of date, and nothing else is missing.
#[test]
fn depfile_names_read_back_by_make() {
    if Command::new("make").arg("--version").output().is_err() {
        eprintln!("GNU make is not installed: depfile checked by the library's unit test only");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("data set");
    std::fs::create_dir_all(&dir).unwrap();
    let names = ["a b.bin", "x#y.bin", "cost$5.bin", "tab\there.bin"];
    for n in names {
        std::fs::write(dir.join(n), n).unwrap();
    }
    let key =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/vectors/test-signing-key.pem");
    std::fs::write(
        t.path().join("app.manifest"),
        "[sgx]\ntrusted_files = [\"file:data set/\"]\n",
    )
    .unwrap();
    let pal = pal();
    let o = sgx_measure(
        t.path(),
        &[
            "sign",
            "-m",
            "app.manifest",
            "-o",
            "app.manifest.sgx",
            "-l",
            &pal,
            "-k",
            key.to_str().unwrap(),
            "--depfile",
            "app.d",
            "-q",
            "--libos-sha256",
            &"0".repeat(64),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::write(
        t.path().join("Makefile"),
        "include app.d\napp.manifest.sgx:\n\t@echo remake\n",
    )
    .unwrap();
    let set_mtime = |p: &Path, secs: u64| {
        let f = std::fs::File::options().write(true).open(p).unwrap();
        f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
            .unwrap();
    };
    let make_q = || {
        Command::new("make")
            .args(["-q", "app.manifest.sgx"])
            .current_dir(t.path())
            .output()
            .unwrap()
    };
    for n in names {
        set_mtime(&dir.join(n), 1_000_000);
    }
    // Later than every other dependency (the PAL and the key of the source tree too).
    set_mtime(&t.path().join("app.manifest.sgx"), 4_000_000_000);
    let up_to_date = make_q();
    assert_eq!(
        up_to_date.status.code(),
        Some(0),
        "make: {}",
        String::from_utf8_lossy(&up_to_date.stderr)
    );
    for n in names {
        set_mtime(&dir.join(n), 4_100_000_000);
        assert_eq!(make_q().status.code(), Some(1), "{n:?} not a dependency");
        set_mtime(&dir.join(n), 1_000_000);
    }
}

/// `hash-files --uri-prefix` refuses prefixes that give URIs nobody meant, and two files giving
/// one URI: a prefix without the final `/` glued names (`file:/data/owner1README`), one without
/// `file:` gave scheme-less URIs, and two directories holding the same name gave two entries
/// with one URI and different hashes (all with exit 0).
#[test]
fn hash_files_uri_prefix_mistakes_are_refused() {
    let t = tempfile::tempdir().unwrap();
    for dir in ["one", "two"] {
        std::fs::create_dir_all(t.path().join(dir)).unwrap();
        std::fs::write(t.path().join(dir).join("README"), dir).unwrap();
    }
    let fails = |args: &[&str], want: &str| {
        let o = sgx_measure(t.path(), args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains(want) && o.stdout.is_empty(),
            "{args:?}: {err}"
        );
    };
    fails(
        &[
            "hash-files",
            "one",
            "--uri-prefix",
            "file:/data/owner1",
            "-q",
        ],
        "does not end with '/'",
    );
    fails(
        &["hash-files", "one", "--uri-prefix", "/data/", "-q"],
        "does not start with \"file:\"",
    );
    fails(
        &[
            "hash-files",
            "one",
            "two",
            "--uri-prefix",
            "file:/data/",
            "-q",
        ],
        "both give the URI \"file:/data/README\"",
    );
    fails(&["hash-files", "one", "one", "-q"], "both give the URI");
    // What stays accepted: a prefix ending with '/', and "file:" alone (relative URIs).
    for pre in ["file:/data/", "file:"] {
        let o = sgx_measure(t.path(), &["hash-files", "one", "--uri-prefix", pre, "-q"]);
        assert!(
            o.status.success(),
            "{pre}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("uri = \"{pre}README\"")));
    }
}
