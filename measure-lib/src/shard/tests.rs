//! Shards joined are a single run; shards that do not belong together are refused.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::*;
use crate::dataset::{Hashed, hash_files, render, render_to};
use crate::hashing::FileHasher;

/// A random tree: nested directories, empty files, names needing escapes, a symlinked directory
/// (not followed).
fn make_tree(root: &Path, names: &[(u8, u8, u16)]) {
    for (i, &(d, sub, size)) in names.iter().enumerate() {
        let dir = root
            .join(format!("d{}", d % 4))
            .join(format!("s{}", sub % 3));
        std::fs::create_dir_all(&dir).unwrap();
        let name = if i % 7 == 3 {
            format!("f {i}\\x\tq")
        } else {
            format!("f{i:03}")
        };
        std::fs::write(dir.join(name), vec![i as u8; usize::from(size % 5000)]).unwrap();
    }
    std::fs::create_dir_all(root.join("d0")).unwrap();
    let _ = std::os::unix::fs::symlink(root.join("d1"), root.join("d0").join("zlink"));
}

fn run(paths: &[PathBuf], shard: Option<Shard>, format: EntryFormat) -> Hashed {
    let mut hasher = FileHasher::new(None).unwrap();
    hash_files(paths, Some("file:/data/"), &mut hasher, shard, format).unwrap()
}

fn bytes(entries: &[(String, String)], format: EntryFormat) -> Vec<u8> {
    let mut out = Vec::new();
    render_to(entries, format, &mut out).unwrap();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn merged_shards_are_a_single_run(
        names in proptest::collection::vec(any::<(u8, u8, u16)>(), 0..60),
        n in 1usize..7,
        format in prop_oneof![Just(EntryFormat::Toml), Just(EntryFormat::Json), Just(EntryFormat::Sha256sum)],
        reversed in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        make_tree(dir.path(), &names);
        let paths = vec![dir.path().to_path_buf()];
        let Hashed::All(table) = run(&paths, None, format) else { panic!() };
        let single = table.to_pairs();
        let mut direct = Vec::new();
        table.render_to(format, &mut direct).unwrap();
        prop_assert_eq!(&direct, &render(&single, format).into_bytes());
        let mut shards: Vec<(String, ShardFile)> = (0..n)
            .map(|k| {
                let Hashed::Shard(s) = run(&paths, Some(Shard { index: k, count: n }), format) else { panic!() };
                // Through the file format.
                let s = ShardFile::parse(&s.to_bytes(), "x").unwrap();
                (format!("part-{k}"), s)
            })
            .collect();
        if reversed {
            shards.reverse();
        }
        let (f, merged) = merge(shards.clone()).unwrap();
        prop_assert_eq!(f, format);
        prop_assert_eq!(&merged, &single);
        prop_assert_eq!(bytes(&merged, format), render(&single, format).into_bytes());

        if n > 1 {
            // A shard given twice (in place of another) overlaps; one left out is missing.
            let mut twice = shards.clone();
            twice[0] = twice[1].clone();
            let overlap = matches!(merge(twice).unwrap_err(), ShardError::Overlap { .. });
            prop_assert!(overlap);
            let missing = matches!(merge(shards[1..].to_vec()).unwrap_err(), ShardError::Missing { .. });
            prop_assert!(missing);
        }
    }

    /// The streaming renderer writes what the document renderer writes.
    #[test]
    fn render_to_is_render(
        entries in proptest::collection::vec(
            (prop_oneof![3 => "file:/[a-z]{0,8}", 1 => any::<String>(), 1 => "file:/[a-z]{60,90}"], prop_oneof!["[0-9a-f]{64}", "[0-9a-f]{0,8}", any::<String>()]),
            0..8,
        ),
    ) {
        for format in [EntryFormat::Toml, EntryFormat::Json, EntryFormat::Sha256sum] {
            prop_assert_eq!(bytes(&entries, format), render(&entries, format).into_bytes(), "{:?}", format);
        }
    }
}

#[test]
fn conflicting_shards_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    make_tree(
        dir.path(),
        &[(0, 0, 10), (1, 1, 20), (2, 2, 30), (3, 0, 40), (0, 1, 50)],
    );
    let paths = vec![dir.path().to_path_buf()];
    let shard = |k, n, f| match run(&paths, Some(Shard { index: k, count: n }), f) {
        Hashed::Shard(s) => (format!("part-{k}-of-{n}"), s),
        Hashed::All(_) => panic!(),
    };
    let f = EntryFormat::Toml;
    // Shards of different N.
    let e = merge(vec![shard(0, 2, f), shard(1, 3, f), shard(2, 3, f)]).unwrap_err();
    assert!(matches!(e, ShardError::Conflict { what: "N", .. }), "{e}");
    // Shards of different output formats.
    let e = merge(vec![shard(0, 2, f), shard(1, 2, EntryFormat::Json)]).unwrap_err();
    assert!(
        matches!(e, ShardError::Conflict { what: "format", .. }),
        "{e}"
    );
    // A shard of another tree (a file added after the first shard ran).
    let first = shard(0, 2, f);
    std::fs::write(dir.path().join("d0").join("late"), b"x").unwrap();
    let e = merge(vec![first.clone(), shard(1, 2, f)]).unwrap_err();
    assert!(
        matches!(e, ShardError::Conflict { what: "tree", .. }),
        "{e}"
    );
    std::fs::remove_file(dir.path().join("d0").join("late")).unwrap();
    // An entry changed or moved in a shard file.
    let (name, mut s) = shard(1, 2, f);
    s.entries[0].0.push('x');
    let e = merge(vec![first.clone(), (name.clone(), s)]).unwrap_err();
    assert_eq!(e, ShardError::TreeMismatch);
    let (_, mut s) = shard(1, 2, f);
    s.entries.pop();
    let e = merge(vec![first.clone(), (name, s)]).unwrap_err();
    assert!(matches!(e, ShardError::WrongRange { .. }), "{e}");
    // The messages name the files.
    let e = merge(vec![first.clone(), first]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "shards part-0-of-2 and part-0-of-2 overlap: both are shard 0/2"
    );
    assert!(Shard::parse("2/2").is_err() && Shard::parse("0/0").is_err());
    assert_eq!(Shard::parse("1/3").unwrap().range(10), 3..6);
}
