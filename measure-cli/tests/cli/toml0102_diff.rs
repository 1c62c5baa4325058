//! Differential test of the toml 0.10.2 dialect (Gramine v1.0 to v1.3) against the Python `toml`
//! library 0.10.2.
//!
//! Each record of the corpus (JSON lines) holds a generated document and what `toml.loads` made
//! of it (a canonical text of the value tree, or the exception), and what `toml.dumps` wrote from
//! that tree (or its exception). The committed corpus is `testdata/toml/toml0102-corpus.jsonl`;
//! `tests/toml0102_diff/run.sh` generates larger ones with Python and points
//! `TOML0102_DIFF_CORPUS` at them.
//!
//! A difference is: one side accepts what the other rejects, different value trees, different
//! `toml.dumps` output, one writer failing where the other does not, or a different exception
//! class (`TomlDecodeError`, `IndexError`, or any other).

use std::fmt::Write as _;
use std::path::Path;

use measure_lib::toml::pyfmt::float_repr;
use measure_lib::toml::toml0102::{dumps, loads};
use measure_lib::toml::{Table, Value, decode_text};

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
        Value::Datetime(d) => match (&d.date, &d.time) {
            (Some(a), Some(t)) => {
                let tz = d.offset_minutes.map_or("n".to_string(), |m| m.to_string());
                let _ = write!(
                    out,
                    "dt{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}@{tz}",
                    a.year, a.month, a.day, t.hour, t.minute, t.second, t.microsecond
                );
            }
            (Some(a), None) => {
                let _ = write!(out, "da{:04}-{:02}-{:02}", a.year, a.month, a.day);
            }
            (None, Some(t)) => {
                let _ = write!(
                    out,
                    "t{:02}:{:02}:{:02}.{:06}",
                    t.hour, t.minute, t.second, t.microsecond
                );
            }
            (None, None) => out.push_str("d?"),
        },
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

/// The exception class of an error message: `TomlDecodeError`, `IndexError` or `other`.
fn class(msg: &str) -> &'static str {
    if msg.starts_with("TomlDecodeError") || msg.starts_with("toml.decoder.TomlDecodeError") {
        "TomlDecodeError"
    } else if msg.starts_with("IndexError") {
        "IndexError"
    } else {
        "other"
    }
}

#[derive(Default, Debug)]
struct Counts {
    docs: usize,
    accepted: usize,
    rejected: usize,
    /// Documents toml 0.10.2 accepts and we reject by design (integers beyond 64 bits, ...).
    known_divergences: usize,
    dumps_compared: usize,
    dumps_failing: usize,
    /// Rejections whose whole message (not only the class) matches.
    same_error_message: usize,
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
        let ours = loads(&decoded);
        let Some(tree) = rec["tree"].as_str() else {
            counts.rejected += 1;
            let theirs = rec["error"].as_str().unwrap_or("?");
            match ours {
                Ok(t) => {
                    let mut c = String::new();
                    canon_table(&t, &mut c);
                    failures.push(format!(
                        "{id}: toml rejects ({theirs}), we accept: {c}\n  input: {input:?}"
                    ));
                }
                Err(e) if class(&e.message) != class(theirs) => failures.push(format!(
                    "{id}: different exception\n  toml: {theirs}\n  ours: {}\n  input: {input:?}",
                    e.message
                )),
                Err(e) => {
                    let ours = e.message.trim_start_matches("toml.decoder.");
                    if ours == theirs {
                        counts.same_error_message += 1;
                    }
                }
            }
            continue;
        };
        counts.accepted += 1;
        let table = match ours {
            Ok(t) => t,
            Err(e) if e.divergence => {
                counts.known_divergences += 1;
                continue;
            }
            Err(e) => {
                failures.push(format!(
                    "{id}: toml accepts, we reject: {}\n  input: {input:?}",
                    e.message
                ));
                continue;
            }
        };
        let mut c = String::new();
        canon_table(&table, &mut c);
        if c != tree {
            failures.push(format!(
                "{id}: value trees differ\n  toml: {tree}\n  ours: {c}\n  input: {input:?}"
            ));
            continue;
        }
        match (rec["dump"].as_str(), dumps(&table)) {
            (Some(want), Ok(got)) if want == got => counts.dumps_compared += 1,
            (None, Err(_)) => counts.dumps_failing += 1,
            (want, got) => failures.push(format!(
                "{id}: toml.dumps differs\n  toml: {:?}\n  ours: {got:?}",
                want.or(rec["dump_error"].as_str())
            )),
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
    assert!(counts.docs > 0 && counts.dumps_compared > 0 && counts.rejected > 0);
}

#[test]
fn committed_corpus_matches_python_toml() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/toml/toml0102-corpus.jsonl");
    run(&path);
}

/// `TOML0102_DIFF_CORPUS=file1:file2 cargo test --test cli -- --ignored toml0102_diff::` (run.sh).
#[test]
#[ignore = "needs a corpus generated by tests/toml0102_diff/run.sh"]
fn generated_corpus_matches_python_toml() {
    let list = std::env::var("TOML0102_DIFF_CORPUS").expect("TOML0102_DIFF_CORPUS");
    for p in list.split(':').filter(|p| !p.is_empty()) {
        run(Path::new(p));
    }
}
