//! The value tree that tomli produces and tomli_w consumes: ordered tables (insertion order =
//! tomli's first-mention order), Python-like scalars.

use std::collections::HashMap;

/// The index of big tables: seeded per process (no crafted collisions), faster than SipHash.
type Index = HashMap<String, usize, foldhash::fast::RandomState>;
use std::fmt;

/// A TOML value as tomli returns it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `str`.
    String(String),
    /// `int` (tomli has unbounded ints; values beyond i64 are rejected at parse time).
    Integer(i64),
    /// `float`.
    Float(f64),
    /// `bool`.
    Boolean(bool),
    /// `datetime.datetime`, `datetime.date` or `datetime.time`.
    Datetime(Datetime),
    /// `list`.
    Array(Vec<Value>),
    /// `dict`.
    Table(Table),
}

impl Value {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    /// The integer, if this is one (booleans are not integers here).
    pub fn as_integer(&self) -> Option<i64> {
        match self {
            Value::Integer(i) => Some(*i),
            _ => None,
        }
    }
    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }
    /// The table, if this is one.
    pub fn as_table(&self) -> Option<&Table> {
        match self {
            Value::Table(t) => Some(t),
            _ => None,
        }
    }
    /// The table, mutably.
    pub fn as_table_mut(&mut self) -> Option<&mut Table> {
        match self {
            Value::Table(t) => Some(t),
            _ => None,
        }
    }
    /// The array, if this is one.
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    /// Python's truthiness (`if value:`), as Gramine's signer tests flags.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::String(s) => !s.is_empty(),
            Value::Integer(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Boolean(b) => *b,
            Value::Datetime(_) => true,
            Value::Array(a) => !a.is_empty(),
            Value::Table(t) => !t.is_empty(),
        }
    }
    /// Python's `str()` of a scalar as Gramine prints it in `--verbose` output (`True`, `4`, ...).
    pub fn python_str(&self) -> String {
        match self {
            Value::String(s) => s.clone(),
            Value::Integer(i) => i.to_string(),
            Value::Boolean(true) => "True".into(),
            Value::Boolean(false) => "False".into(),
            Value::Float(f) => super::pyfmt::float_repr(*f),
            Value::Datetime(d) => super::pyfmt::datetime_str(d),
            other => format!("{other:?}"),
        }
    }
    /// Python type name, for error messages that mirror Gramine's.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "str",
            Value::Integer(_) => "int",
            Value::Float(_) => "float",
            Value::Boolean(_) => "bool",
            Value::Datetime(_) => "datetime",
            Value::Array(_) => "list",
            Value::Table(_) => "dict",
        }
    }
}

/// Tables with at least this many keys keep a hash index next to the entries, so that building
/// or querying tables with thousands of keys stays linear.
const INDEX_THRESHOLD: usize = 16;

/// An ordered table (a Python `dict`: insertion order, unique keys).
#[derive(Clone, Default)]
pub struct Table {
    entries: Vec<(String, Value)>,
    /// key -> position in `entries`; present only for large tables (boxed: most tables are small,
    /// and a smaller `Table` makes every `Value` smaller).
    index: Option<Box<Index>>,
}

impl PartialEq for Table {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table")
            .field("entries", &self.entries)
            .finish()
    }
}

impl Table {
    /// An empty table.
    pub fn new() -> Self {
        Table {
            entries: Vec::new(),
            index: None,
        }
    }
    /// An empty table with room for `n` keys.
    pub fn with_capacity(n: usize) -> Self {
        Table {
            entries: Vec::with_capacity(n),
            index: None,
        }
    }
    /// A table of `entries`, whose keys the caller knows to be distinct.
    pub(crate) fn from_unique_entries(entries: Vec<(String, Value)>) -> Self {
        if entries.len() < INDEX_THRESHOLD {
            debug_assert!(
                entries
                    .iter()
                    .enumerate()
                    .all(|(i, (k, _))| entries.iter().skip(i + 1).all(|(k2, _)| k2 != k))
            );
            return Table {
                entries,
                index: None,
            };
        }
        let mut table = Table::with_capacity(entries.len());
        for (k, v) in entries {
            table.insert_new(k, v);
        }
        table
    }
    /// The entries in order, by value.
    pub fn into_entries(self) -> Vec<(String, Value)> {
        self.entries
    }
    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.entries.iter().position(|(k, _)| k == key),
        }
    }
    /// Appends a key known to be absent, keeping the index up to date.
    fn push_new(&mut self, key: String, value: Value) -> usize {
        let idx = self.entries.len();
        if let Some(index) = &mut self.index {
            index.insert(key.clone(), idx);
        } else if idx + 1 >= INDEX_THRESHOLD {
            let mut index: Index =
                Index::with_capacity_and_hasher(2 * INDEX_THRESHOLD, Default::default());
            for (i, (k, _)) in self.entries.iter().enumerate() {
                index.insert(k.clone(), i);
            }
            index.insert(key.clone(), idx);
            self.index = Some(Box::new(index));
        }
        self.entries.push((key, value));
        idx
    }
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        let idx = self.position(key)?;
        self.entries.get(idx).map(|(_, v)| v)
    }
    /// The value of `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        let idx = self.position(key)?;
        self.entries.get_mut(idx).map(|(_, v)| v)
    }
    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }
    /// `dict[key] = value`: replaces in place (keeping the position) or appends.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        let key = key.into();
        match self.position(&key).and_then(|i| self.entries.get_mut(i)) {
            Some((_, v)) => *v = value,
            None => {
                self.push_new(key, value);
            }
        }
    }
    /// Appends `key`, which the caller has checked is absent.
    pub(crate) fn insert_new(&mut self, key: String, value: Value) {
        debug_assert!(self.position(&key).is_none());
        self.push_new(key, value);
    }
    /// `dict.setdefault(key, value)`: appends if absent; returns the value now at `key`.
    pub fn setdefault(&mut self, key: &str, value: Value) -> &mut Value {
        let idx = match self.position(key) {
            Some(i) => i,
            None => self.push_new(key.to_string(), value),
        };
        &mut self.entries[idx].1
    }
    /// `dict.pop(key)`.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let idx = self.position(key)?;
        let (_, value) = self.entries.remove(idx);
        if let Some(index) = &mut self.index {
            index.remove(key);
            for pos in index.values_mut() {
                if *pos > idx {
                    *pos -= 1;
                }
            }
        }
        Some(value)
    }
    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }
    /// Entries in order, values mutable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&String, &mut Value)> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }
    /// Looks up a dotted path of keys through nested tables.
    pub fn get_path(&self, path: &[&str]) -> Option<&Value> {
        let (first, rest) = path.split_first()?;
        let v = self.get(first)?;
        if rest.is_empty() {
            Some(v)
        } else {
            v.as_table()?.get_path(rest)
        }
    }
}

impl FromIterator<(String, Value)> for Table {
    /// Builds a table like `dict(pairs)`: a repeated key keeps its first position and takes the
    /// last value.
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut table = Table::new();
        for (k, v) in iter {
            table.insert(k, v);
        }
        table
    }
}

/// A TOML date, time, or date-time, as tomli represents it (microsecond precision; the parser
/// truncates extra digits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Datetime {
    /// `YYYY-MM-DD`, if present.
    pub date: Option<Date>,
    /// `HH:MM:SS[.ffffff]`, if present.
    pub time: Option<Time>,
    /// UTC offset in minutes, for offset date-times (`Z` = 0).
    pub offset_minutes: Option<i16>,
}

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date {
    /// 1..=9999.
    pub year: u16,
    /// 1..=12.
    pub month: u8,
    /// 1..=31.
    pub day: u8,
}

/// A time of day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Time {
    /// 0..=23.
    pub hour: u8,
    /// 0..=59.
    pub minute: u8,
    /// 0..=59.
    pub second: u8,
    /// 0..=999_999.
    pub microsecond: u32,
}
