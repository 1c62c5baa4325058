//! Hand cases for the toml 0.10.2 dialect (the differential test covers generated documents).

use super::{dumps, loads};
use crate::toml::{Table, Value};

fn round(src: &str) -> String {
    dumps(&loads(src).unwrap()).unwrap()
}

fn err(src: &str) -> String {
    loads(src).unwrap_err().message
}

#[test]
fn layout_of_sections_and_arrays() {
    let src = "a = 1\n[t]\nx = [1, 2]\ny = { p = \"q\" }\n[[aot]]\nn = 1\n[[aot]]\nn = 2\n";
    assert_eq!(
        round(src),
        "a = 1\n[[aot]]\nn = 1\n\n[[aot]]\nn = 2\n\n[t]\nx = [ 1, 2,]\n\n[t.y]\np = \"q\"\n"
    );
}

#[test]
fn quirks() {
    // Strings followed by an inline table: IndexError while re-joining the strings.
    assert_eq!(
        err("a = [\"x\", { uri = \"y\" },]\n"),
        "IndexError: list index out of range"
    );
    assert!(err("a = [1, 1.5]\n").contains("Not a homogeneous array (line 1 column 1 char 0)"));
    // Unquoted dotted keys are not stripped.
    let t = loads("a . b = 1\n").unwrap();
    assert!(t.get("a ").is_some());
    // Control characters lose their backslash; a leading one cannot be written.
    let mut t = Table::new();
    t.insert("k", Value::String("a\u{1}".into()));
    assert_eq!(dumps(&t).unwrap(), "k = \"ax01\"\n");
    t.insert("k", Value::String("\u{1}".into()));
    assert!(dumps(&t).is_err());
    assert_eq!(round("f = 1e-5\ng = -0.0\n"), "f = 1e-5\ng = 0.0\n");
    assert_eq!(round("t = 07:32:00.123\n"), "t = 07:32:00.000123\n");
    assert_eq!(
        round("d = 1979-05-27T07:32:00Z\ne = 1979-05-27T07:32:00.5-07:30\n"),
        "d = 1979-05-27T07:32:00Z\ne = 1979-05-27T07:32:00.500000-07:30\n"
    );
    assert!(err("a = \"x\n").contains("Unbalanced quotes"));
}
