//! Differential test against Python's tomli 2.0.1 + tomli_w 1.0.0 / 0.4.0.
//!
//! Each record of the corpus (JSON lines) holds a generated document and what the Python
//! libraries made of it: tomli's value tree in a canonical text form (or its error), and the
//! output of each tomli_w version. The committed corpus is `testdata/toml/corpus.jsonl`;
//! `tests/toml_diff/run.sh` regenerates larger ones with Python and points `TOML_DIFF_CORPUS` at
//! them.

use std::fmt::Write as _;
use std::path::Path;

use measure_lib::toml::pyfmt::{datetime_str, float_repr};
use measure_lib::toml::{Table, TomlWriter, Value, decode_text, emit, parse};

/// Same canonical form as `oracle.py`'s `canon`.
fn canon(v: &Value, out: &mut String) {
    match v {
        Value::Table(t) => canon_table(t, out),
        Value::Array(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canon(x, out);
            }
            out.push(']');
        }
        Value::Boolean(b) => out.push_str(if *b { "b1" } else { "b0" }),
        Value::Integer(i) => {
            let _ = write!(out, "i{i}");
        }
        Value::Float(f) => {
            out.push('f');
            out.push_str(&float_repr(*f));
        }
        Value::String(s) => {
            out.push('s');
            out.push_str(&serde_json::to_string(s).unwrap());
        }
        Value::Datetime(d) => {
            out.push('d');
            out.push_str(&datetime_str(d));
        }
    }
}

fn canon_table(t: &Table, out: &mut String) {
    out.push('{');
    for (i, (k, v)) in t.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(k).unwrap());
        out.push(':');
        canon(v, out);
    }
    out.push('}');
}

#[derive(Default, Debug)]
struct Counts {
    docs: usize,
    accepted: usize,
    rejected: usize,
    /// Documents tomli accepts and we reject by design (integers beyond 64 bits).
    known_divergences: usize,
    compared_w1: usize,
    compared_w04: usize,
}

fn check_corpus(path: &Path) -> (Counts, Vec<String>) {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut counts = Counts::default();
    let mut failures = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let rec: serde_json::Value = serde_json::from_str(line).expect("JSON record");
        let id = rec["id"].as_str().unwrap_or("?").to_string();
        let input = rec["input"].as_str().expect("input");
        counts.docs += 1;
        let decoded = decode_text(input.as_bytes()).expect("valid UTF-8");
        let ours = parse(&decoded);
        let Some(tree) = rec["tree"].as_str() else {
            counts.rejected += 1;
            if let Ok(t) = ours {
                let mut c = String::new();
                canon_table(&t, &mut c);
                failures.push(format!(
                    "{id}: tomli rejects ({}), we accept: {c}",
                    rec["error"].as_str().unwrap_or("?")
                ));
            }
            continue;
        };
        counts.accepted += 1;
        let table = match ours {
            Ok(t) => t,
            Err(e) => {
                let msg = e.to_string();
                if msg.contains("64-bit signed range") {
                    counts.known_divergences += 1;
                } else {
                    failures.push(format!("{id}: tomli accepts, we reject: {msg}\n{input:?}"));
                }
                continue;
            }
        };
        let mut c = String::new();
        canon_table(&table, &mut c);
        if c != tree {
            failures.push(format!(
                "{id}: value trees differ\n  tomli: {tree}\n  ours:  {c}\n  input: {input:?}"
            ));
            continue;
        }
        for (field, dialect) in [("w1", TomlWriter::TomliW1), ("w04", TomlWriter::TomliW04)] {
            let Some(want) = rec[field].as_str() else {
                continue;
            };
            let got = emit(&table, dialect).unwrap();
            if got != want {
                failures.push(format!(
                    "{id}: {field} output differs\n  tomli_w: {want:?}\n  ours:    {got:?}"
                ));
            } else if dialect == TomlWriter::TomliW1 {
                counts.compared_w1 += 1;
            } else {
                counts.compared_w04 += 1;
            }
        }
    }
    (counts, failures)
}

fn run(path: &Path) {
    let (counts, failures) = check_corpus(path);
    eprintln!(
        "{}: {counts:?}, {} differences",
        path.display(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(counts.docs > 0, "empty corpus");
    assert!(counts.compared_w1 > 0 && counts.compared_w04 > 0);
}

#[test]
fn committed_corpus_matches_python() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/toml/corpus.jsonl");
    run(&path);
}

/// `TOML_DIFF_CORPUS=file1:file2 cargo test --test cli -- --ignored toml_diff::` (see run.sh).
#[test]
#[ignore = "needs a corpus generated by tests/toml_diff/run.sh"]
fn generated_corpus_matches_python() {
    let list = std::env::var("TOML_DIFF_CORPUS").expect("TOML_DIFF_CORPUS");
    for p in list.split(':').filter(|p| !p.is_empty()) {
        run(Path::new(p));
    }
}
