//! JSON entries read in one pass over the input, without building a `serde_json::Value` tree:
//! each `{"uri", "sha256"}` object is handed over as it is parsed. Same acceptance and same errors
//! as parsing the whole document into a `Value` first (every value goes through
//! `deserialize_any`, as a `Value` would, so numbers out of range and bad escapes are refused
//! alike): a syntax error anywhere wins over a problem with an entry, and of the entries' problems
//! the first one is reported, judged as the `Value` reader judges it (keys in order of first
//! appearance, a repeated key's last value).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{EntriesError, EntryProblem, entry_error};
use crate::error::Result;

/// Consumes any JSON value through `deserialize_any`.
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        Skip.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key::<IgnoredKey>()?.is_some() {
            map.next_value_seed(Skip)?;
        }
        Ok(())
    }
}

/// A map key, read as the `Value` reader reads keys (a string) and dropped.
struct IgnoredKey;

impl<'de> de::Deserialize<'de> for IgnoredKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|_| IgnoredKey)
    }
}

/// A string value, or (after consuming it) the fact that the value is not a string.
struct StringOrOther;

impl<'de> DeserializeSeed<'de> for StringOrOther {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_any(StringOrOtherVisitor)
    }
}

struct StringOrOtherVisitor;

impl<'de> Visitor<'de> for StringOrOtherVisitor {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E>(self, s: &str) -> Result<Option<String>, E> {
        Ok(Some(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Option<String>, E> {
        Ok(Some(s))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Option<String>, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Option<String>, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Option<String>, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Option<String>, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Option<String>, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Option<String>, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        Skip.deserialize(d).map(|()| None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<String>, A::Error> {
        SkipVisitor.visit_seq(seq).map(|()| None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<String>, A::Error> {
        SkipVisitor.visit_map(map).map(|()| None)
    }
}

/// The state of one read: the callback and the first entry problem.
struct Reader<'f> {
    f: &'f mut dyn FnMut(String, String),
    first_problem: Option<(usize, EntryProblem)>,
}

impl Reader<'_> {
    fn problem(&mut self, index: usize, p: EntryProblem) {
        if self.first_problem.is_none() {
            self.first_problem = Some((index, p));
        }
    }
}

/// The document: `Ok(true)` for an array (its entries handed over), `Ok(false)` for any other
/// value (consumed).
struct Document<'r, 'f>(&'r mut Reader<'f>);

impl<'de> Visitor<'de> for Document<'_, '_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_none<E>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        Skip.deserialize(d).map(|()| false)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        SkipVisitor.visit_map(map).map(|()| false)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let mut index = 0;
        while seq
            .next_element_seed(Element {
                reader: &mut *self.0,
                index,
            })?
            .is_some()
        {
            index += 1;
        }
        Ok(true)
    }
}

/// One item of the array.
struct Element<'r, 'f> {
    reader: &'r mut Reader<'f>,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for Element<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Element<'_, '_> {
    fn not_an_object(self) {
        self.reader.problem(self.index, EntryProblem::NotAnObject);
    }
}

impl<'de> Visitor<'de> for Element<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.not_an_object();
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.not_an_object();
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.not_an_object();
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.not_an_object();
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        self.not_an_object();
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.not_an_object();
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        self.not_an_object();
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        Skip.deserialize(d)?;
        self.not_an_object();
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        SkipVisitor.visit_seq(seq)?;
        self.not_an_object();
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // `Some(None)`: present but not a string. A repeated key keeps its last value, as in a
        // `Value` map; the first unexpected key is the first in order of appearance.
        let (mut uri, mut sha256): (Option<Option<String>>, Option<Option<String>>) = (None, None);
        let mut unexpected: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "uri" => uri = Some(map.next_value_seed(StringOrOther)?),
                "sha256" => sha256 = Some(map.next_value_seed(StringOrOther)?),
                _ => {
                    map.next_value_seed(Skip)?;
                    if unexpected.is_none() {
                        unexpected = Some(key);
                    }
                }
            }
        }
        if self.reader.first_problem.is_some() {
            return Ok(()); // only the first problem is reported; the rest is syntax-checked
        }
        let problem = if let Some(key) = unexpected {
            Some(EntryProblem::UnexpectedKey { key })
        } else {
            match (&uri, &sha256) {
                (None, _) => Some(EntryProblem::Missing {
                    key: "uri",
                    toml: false,
                }),
                (Some(None), _) => Some(EntryProblem::NotAString {
                    key: "uri",
                    found: None,
                }),
                (_, None) => Some(EntryProblem::Missing {
                    key: "sha256",
                    toml: false,
                }),
                (_, Some(None)) => Some(EntryProblem::NotAString {
                    key: "sha256",
                    found: None,
                }),
                _ => None,
            }
        };
        match (problem, uri, sha256) {
            (Some(p), _, _) => self.reader.problem(self.index, p),
            (None, Some(Some(u)), Some(Some(s))) => (self.reader.f)(u, s),
            (None, _, _) => {}
        }
        Ok(())
    }
}

/// Calls `f(uri, sha256)` for each entry of a JSON array of `{"uri": ..., "sha256": ...}`
/// objects, in order; on error, `f` may have been called for some entries.
pub(crate) fn for_each_entry(bytes: &[u8], f: &mut dyn FnMut(String, String)) -> Result<()> {
    let mut reader = Reader {
        f,
        first_problem: None,
    };
    let json = |source| EntriesError::Json { source };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let is_array = de.deserialize_any(Document(&mut reader)).map_err(json)?;
    de.end().map_err(json)?;
    if !is_array {
        return Err(EntriesError::NotJsonArray.into());
    }
    match reader.first_problem {
        Some((index, problem)) => Err(entry_error(index, problem)),
        None => Ok(()),
    }
}

/// Whether `bytes` is one valid JSON document (what parsing it into a `Value` accepts).
pub(crate) fn is_valid(bytes: &[u8]) -> bool {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    Skip.deserialize(&mut de).is_ok() && de.end().is_ok()
}
