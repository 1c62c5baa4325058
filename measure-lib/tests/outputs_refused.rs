//! A process that declared it has no interruption handler (`outputs::refuse_staging`, what the
//! command line tool does for the commands that only print) stages no output: both ways of
//! staging fail and leave no file behind. Its own test binary: the declaration is process-wide.

use std::fs;

use measure_lib::{Error, fsutil, outputs};

#[test]
fn staging_is_refused_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.manifest.sgx");
    let sig = dir.path().join("out.sig");
    // Before the declaration, staging works.
    fsutil::stage(&out, b"before").unwrap().commit().unwrap();
    assert_eq!(fs::read(&out).unwrap(), b"before");

    outputs::refuse_staging();
    let set = outputs::write_together(
        &[("manifest", &out, b"new"), ("sigstruct", &sig, b"new")],
        &[],
    );
    assert!(matches!(set, Err(Error::Internal(_))), "{set:?}");
    let one = fsutil::stage(&out, b"new");
    assert!(matches!(one, Err(Error::Internal(_))), "{one:?}");

    // The old output is untouched; no temporary file, backup or journal was left.
    assert_eq!(fs::read(&out).unwrap(), b"before");
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["out.manifest.sgx"]);
}
