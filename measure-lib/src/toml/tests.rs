//! Hand cases: tomli's values and key order, tomli_w's bytes (0.4.0 and 1.x), rejections.

use super::*;

fn w1(src: &str) -> String {
    emit(&parse(src).unwrap(), TomlWriter::TomliW1).unwrap()
}

fn w04(src: &str) -> String {
    emit(&parse(src).unwrap(), TomlWriter::TomliW04).unwrap()
}

fn keys(t: &Table) -> Vec<&str> {
    t.iter().map(|(k, _)| k.as_str()).collect()
}

fn reject(src: &str) -> String {
    match parse(src) {
        Ok(t) => panic!("accepted {src:?}: {t:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn first_mention_key_order() {
    let t = parse("[a.b]\nx = 1\n[a]\ny = 2\n").unwrap();
    assert_eq!(keys(t.get("a").unwrap().as_table().unwrap()), ["b", "y"]);

    let t = parse("[p.q.r]\nv = 1\n[p]\nw = 2\n[p.q]\nu = 3\n[p.s]\nz = 4\n").unwrap();
    assert_eq!(
        keys(t.get("p").unwrap().as_table().unwrap()),
        ["q", "w", "s"]
    );

    let t = parse("[a.b]\nx = 1\n[c]\ny = 2\n[a]\nz = 3\n").unwrap();
    assert_eq!(keys(&t), ["a", "c"]);
    assert_eq!(
        w1("[a.b]\nx = 1\n[c]\ny = 2\n[a]\nz = 3\n"),
        "[a]\nz = 3\n\n[a.b]\nx = 1\n\n[c]\ny = 2\n"
    );

    let t = parse("a.c = 1\nb = 2\na.d = 3\n").unwrap();
    assert_eq!(keys(&t), ["a", "b"]);
    assert_eq!(keys(t.get("a").unwrap().as_table().unwrap()), ["c", "d"]);
}

#[test]
fn aot_rule_differs_between_dialects() {
    assert_eq!(w04("x = [{a = []}]"), "[[x]]\na = []\n");
    assert_eq!(w1("x = [{a = []}]"), "x = [\n    { a = [] },\n]\n");
    assert_eq!(w04("x = [{a = {b = 1}}]"), "[[x]]\n\n[x.a]\nb = 1\n");
    assert_eq!(
        w1("x = [{a = {b = 1}}]"),
        "x = [\n    { a = { b = 1 } },\n]\n"
    );
    let src = "sys.ioctl_structs.s2 = [{size=8, ptr=[]}, {size=4}]";
    assert_eq!(
        w04(src),
        "[[sys.ioctl_structs.s2]]\nsize = 8\nptr = []\n\n[[sys.ioctl_structs.s2]]\nsize = 4\n"
    );
    assert_eq!(
        w1(src),
        "[sys.ioctl_structs]\ns2 = [\n    { size = 8, ptr = [] },\n    { size = 4 },\n]\n"
    );
    // Both expand when the inline line would need a newline or is too long.
    assert_eq!(w1("x = [{a = [1]}]"), "[[x]]\na = [\n    1,\n]\n");
    let long = format!("x = [{{a = \"{}\"}}]", "y".repeat(86));
    assert_eq!(w1(&long), format!("[[x]]\na = \"{}\"\n", "y".repeat(86)));
    let fits = format!("x = [{{a = \"{}\"}}]", "y".repeat(85));
    assert_eq!(
        w1(&fits),
        format!("x = [\n    {{ a = \"{}\" }},\n]\n", "y".repeat(85))
    );
    // Code points, not bytes; after escaping.
    let fits = format!("x = [{{a = \"{}\"}}]", "é".repeat(85));
    assert!(w1(&fits).starts_with("x = [\n"));
    let escaped = format!("x = [{{a = \"{}\\u0001\"}}]", "y".repeat(80));
    assert!(w1(&escaped).starts_with("[[x]]\n"));
    // All items or none: one long item expands every item.
    let mixed = format!("x = [{{a = 1}}, {{a = \"{}\"}}]", "y".repeat(90));
    assert!(w1(&mixed).starts_with("[[x]]\na = 1\n\n[[x]]\n"));
}

#[test]
fn table_layout() {
    assert_eq!(w1(""), "");
    assert_eq!(w1("[a]"), "[a]\n");
    assert_eq!(w1("[a.b.c]"), "[a.b.c]\n");
    assert_eq!(w1("[a]\n[a.b]\nx=1"), "[a.b]\nx = 1\n");
    assert_eq!(w1("[a]\nt = 1\n[a.b]\nx=1"), "[a]\nt = 1\n\n[a.b]\nx = 1\n");
    assert_eq!(
        w1("[[top]]\n[top.sub]\nx=1\n[[top.arr]]\ny=[1]"),
        "[[top]]\n\n[top.sub]\nx = 1\n\n[[top.arr]]\ny = [\n    1,\n]\n"
    );
    assert_eq!(w1("e = []\nx = {}"), "e = []\n\n[x]\n");
    let hash = "0123456789abcdef".repeat(4);
    assert_eq!(
        w1(&format!(
            "[sgx]\ntrusted_files = [{{uri = \"file:abcdefg\", sha256 = \"{hash}\"}}]\ndebug = true\n"
        )),
        format!(
            "[sgx]\ndebug = true\n\n[[sgx.trusted_files]]\nuri = \"file:abcdefg\"\nsha256 = \"{hash}\"\n"
        )
    );
    // 94 + len(uri) code points: inline only up to 6-character URIs.
    assert_eq!(
        w1(&format!(
            "[sgx]\ntrusted_files = [{{uri = \"file:a\", sha256 = \"{hash}\"}}]\n"
        )),
        format!("[sgx]\ntrusted_files = [\n    {{ uri = \"file:a\", sha256 = \"{hash}\" }},\n]\n")
    );
    assert_eq!(
        w1("[loader.env]\nX = { passthrough = true }"),
        "[loader.env.X]\npassthrough = true\n"
    );
}

#[test]
fn keys_and_strings() {
    assert_eq!(
        w1(
            "123 = 1\ntrue = 2\n\"-\" = 3\n1e5 = 4\n\"\" = 5\n\"a.b\" = 6\n\"é\" = 7\n\"tab\\tkey\" = 8\n\"nl\\n\" = 9"
        ),
        "123 = 1\ntrue = 2\n- = 3\n1e5 = 4\n\"\" = 5\n\"a.b\" = 6\n\"é\" = 7\n\"tab\tkey\" = 8\n\"nl\\n\" = 9\n"
    );
    assert_eq!(
        w1("[\"a.b\".\"c d\".\"é\"]\n[\"\"]"),
        "[\"a.b\".\"c d\".\"é\"]\n\n[\"\"]\n"
    );
    assert_eq!(
        w1(r#"s = "\b\t\n\f\r\"\\\u0000\u000B\u001f\u007f\u0080\u2028\uFEFF😀\U0001F600""#),
        "s = \"\\b\t\\n\\f\\r\\\"\\\\\\u0000\\u000b\\u001f\\u007f\u{80}\u{2028}\u{feff}😀😀\"\n"
    );
    assert_eq!(w1("s = 'C:\\path'"), "s = \"C:\\\\path\"\n");
    assert_eq!(w1("s = \"\"\"\na\\\n   b\"\"\"\""), "s = \"ab\\\"\"\n");
    assert_eq!(w1("s = '''\nx\n''''"), "s = \"x\\n'\"\n");
}

#[test]
fn numbers_and_dates() {
    assert_eq!(
        w1(
            "a = 0xDEAD_BEEF\nb = 0o755\nc = +99\nd = -0\ne = 1_000\nf = 0b101\ng = -9223372036854775808"
        ),
        "a = 3735928559\nb = 493\nc = 99\nd = 0\ne = 1000\nf = 5\ng = -9223372036854775808\n"
    );
    assert_eq!(
        w1("a = 1e16\nb = 1e-5\nc = -0.0\nd = -nan\ne = +inf\nf = 5e-324\ng = 1_000.5\nh = 1E2"),
        "a = 1e+16\nb = 1e-05\nc = -0.0\nd = nan\ne = inf\nf = 5e-324\ng = 1000.5\nh = 100.0\n"
    );
    assert_eq!(
        w1(
            "a = 1979-05-27T07:32:00.1234567891Z\nb = 1979-05-27t07:32:00-00:00\nc = 1979-05-27 07:32:00.5\nd = 0001-01-01\ne = 07:32:00.000000001\nf = 2000-02-29T23:59:59.9999999+23:59"
        ),
        "a = 1979-05-27 07:32:00.123456+00:00\nb = 1979-05-27 07:32:00+00:00\nc = 1979-05-27 07:32:00.500000\nd = 0001-01-01\ne = 07:32:00\nf = 2000-02-29 23:59:59.999999+23:59\n"
    );
}

#[test]
fn arrays_and_inline_tables() {
    assert_eq!(
        w1("l = [[{a=[1,2]}]]"),
        "l = [\n    [\n        { a = [\n    1,\n    2,\n] },\n    ],\n]\n"
    );
    assert_eq!(
        w1("a = [1, [2, []], {}, { x.y = 1 }]"),
        "a = [\n    1,\n    [\n        2,\n        [],\n    ],\n    {},\n    { x = { y = 1 } },\n]\n"
    );
    assert_eq!(w1("a = [ # c\n 1, # d\n]"), "a = [\n    1,\n]\n");
}

#[test]
fn rejections() {
    for src in [
        "\u{feff}a = 1",
        "a = 07:32:60",
        "a = 1979-05-27T23:59:60Z",
        "a = 0000-01-01",
        "a = 1979-02-29",
        "a = 1979-04-31",
        "a = 1\rb = 2",
        "a = 1\na = 2",
        "[a]\n[a]",
        "a.b = 1\n[a]",
        "[a]\nb.c = 1\n[a.b]",
        "a = []\n[[a]]",
        "a = [{}]\n[[a]]",
        "[[a]]\n[a]",
        "a = 1\na.b = 2",
        "x = { a = { b = 1 }, a.c = 2 }",
        "x = { a.b = 1, a = 2 }",
        "a = { b = 1 }\na.c = 2",
        "a = 01",
        "a = 1__0",
        "a = 1.",
        "a = .1",
        "a = -0x1",
        "a = true1",
        "a = \"\\ud800\"",
        "a = \"\"\"a\"\"\"\"\"\"",
        "a = 1 # \u{1}",
        "a = \"\u{7f}\"",
        "[ [a] ]",
        "a = 9223372036854775808",
    ] {
        reject(src);
    }
    assert!(parse("x = { a.b = 1, a.c = 2 }").is_ok());
    assert!(parse("a = \"\"\"a\"\"\"\"\"").is_ok());
    assert!(parse("[[a]]\n[a.b]\n[[a]]\n[a.b]").is_ok());
}

#[test]
fn toml11_is_rejected_with_a_clear_error() {
    for src in [
        "a = { x = 1, }",
        "a = { x = 1,\n y = 2 }",
        "a = {\n}",
        "a = { # c\n}",
        "a = \"\\x41\"",
        "a = \"\\e\"",
        "a = 07:32",
        "a = 1979-05-27T07:32Z",
        "a = 1979-05-27 07:32",
    ] {
        let e = reject(src);
        assert!(e.contains("TOML 1.1"), "{src:?}: {e}");
    }
}

#[test]
fn errors_name_line_and_column() {
    let e = reject("a = 1\nb = 2\n[c]\nd = é\n");
    assert!(
        e.contains("invalid value") && e.contains("line 4, column 5"),
        "{e}"
    );
    let e = reject("a = 1\n\"é\" = [1 2]\n");
    assert!(e.contains("line 2, column 10"), "{e}");
    let e = reject("a = \"abc");
    assert!(e.contains("end of document"), "{e}");
    let e = reject("\u{feff}a = 1");
    assert!(e.contains("byte order mark"), "{e}");
    let e = reject("[a]\nx = 1\n[a]\n");
    assert!(e.contains("twice") && e.contains("line 3"), "{e}");
}

#[test]
fn crlf_and_universal_newlines() {
    let text = decode_text(b"# c\rb = 1\r\nc = \"\"\"x\r\ny\"\"\"\r\n").unwrap();
    assert_eq!(w1(&text), "b = 1\nc = \"x\\ny\"\n");
    assert!(decode_text(b"\xff").is_err());
    // tomli itself folds CRLF, even inside strings.
    assert_eq!(w1("c = \"\"\"x\r\ny\"\"\"\r\n"), "c = \"x\\ny\"\n");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(reject(&deep).contains("nesting"));
    let deep = format!("a = {}1{}", "{b=".repeat(10_000), "}".repeat(10_000));
    assert!(reject(&deep).contains("nesting"));
    let header = format!("[{}]", vec!["k"; 10_000].join("."));
    assert!(reject(&header).contains("nesting"));
    let ok = format!("a = {}{}", "[".repeat(200), "]".repeat(200));
    let t = parse(&ok).unwrap();
    assert_eq!(parse(&w1(&ok)).unwrap(), t);
}

#[test]
fn large_tables_stay_indexed() {
    let mut src = String::new();
    for i in 0..5000 {
        src.push_str(&format!("k{i} = {i}\n"));
    }
    let mut t = parse(&src).unwrap();
    assert_eq!(t.len(), 5000);
    assert_eq!(t.get("k4999"), Some(&Value::Integer(4999)));
    assert_eq!(t.remove("k10"), Some(Value::Integer(10)));
    assert_eq!(t.get("k11"), Some(&Value::Integer(11)));
    assert_eq!(t.get("k4999"), Some(&Value::Integer(4999)));
    assert!(!t.contains_key("k10"));
    t.insert("k10", Value::Boolean(true));
    assert_eq!(keys(&t).last(), Some(&"k10"));
    *t.setdefault("k0", Value::Integer(-1)) = Value::Integer(7);
    assert_eq!(t.get("k0"), Some(&Value::Integer(7)));
    let again: Table = t.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    assert_eq!(again, t);
}

/// Long arrays of tables are written on several threads (inline items, and `[[name]]` sections);
/// the output must be what one thread writes: checked against the expected text, with and without
/// a literal before the sections (the first section has no blank line before it only when
/// nothing precedes it).
#[test]
fn long_arrays_of_tables_written_in_parallel() {
    let table_of = |uri: String| {
        let mut t = Table::new();
        t.insert("uri", Value::String(uri));
        Value::Table(t)
    };
    for n in [2047, 2048, 5001] {
        // Short items: written inline.
        let short: Vec<Value> = (0..n).map(|i| table_of(format!("file:/d/{i}"))).collect();
        let mut doc = Table::new();
        doc.insert("list", Value::Array(short));
        let mut want = String::from("list = [\n");
        for i in 0..n {
            want.push_str(&format!("    {{ uri = \"file:/d/{i}\" }},\n"));
        }
        want.push_str("]\n");
        assert_eq!(emit(&doc, TomlWriter::TomliW1).unwrap(), want);

        // Long items: `[[list]]` sections.
        let long_uri = |i: usize| format!("file:/{}/{i}", "x".repeat(100));
        let long: Vec<Value> = (0..n).map(|i| table_of(long_uri(i))).collect();
        for with_literal in [false, true] {
            let mut doc = Table::new();
            let mut want = String::new();
            if with_literal {
                doc.insert("first", Value::Integer(1));
                want.push_str("first = 1\n");
            }
            doc.insert("list", Value::Array(long.clone()));
            for i in 0..n {
                if with_literal || i > 0 {
                    want.push('\n');
                }
                want.push_str(&format!("[[list]]\nuri = \"{}\"\n", long_uri(i)));
            }
            assert_eq!(
                emit(&doc, TomlWriter::TomliW1).unwrap(),
                want,
                "n={n} literal={with_literal}"
            );
        }
    }
}

/// toml 0.10.2 cannot write a string that starts with a control character (the Python library
/// raises IndexError): `emit` says so instead of returning an empty text (it used to return "").
#[test]
fn toml0102_writer_failure_is_an_error_not_an_empty_text() {
    let mut doc = Table::new();
    doc.insert(
        "key",
        Value::String("\u{1}starts with a control character".into()),
    );
    match emit(&doc, TomlWriter::Toml0102) {
        Err(TomlError::Unwritable { reason }) => assert!(reason.contains("IndexError"), "{reason}"),
        other => panic!("expected the writer's failure, got {other:?}"),
    }
    // The tomli_w dialects write it.
    for dialect in [TomlWriter::TomliW1, TomlWriter::TomliW04] {
        assert_eq!(
            emit(&doc, dialect).unwrap(),
            "key = \"\\u0001starts with a control character\"\n"
        );
    }
}
