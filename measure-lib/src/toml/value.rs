//! The value tree that tomli produces and tomli_w consumes: ordered tables (insertion order =
//! tomli's first-mention order), Python-like scalars.

use std::fmt;

use indexmap::IndexMap;

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

/// The map under a [`Table`]: insertion-ordered, hashed with a per-process seed (no crafted
/// collisions from a hostile manifest).
type Map = IndexMap<String, Value, foldhash::fast::RandomState>;

/// An ordered table (a Python `dict`: insertion order, unique keys).
#[derive(Clone, Default)]
pub struct Table(Map);

/// Equal when the same keys hold equal values in the same order (unlike `IndexMap`'s own
/// equality, which ignores the order: Gramine's output depends on it).
impl PartialEq for Table {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && self.0.iter().eq(other.0.iter())
    }
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter()).finish()
    }
}

impl Table {
    /// An empty table.
    pub fn new() -> Self {
        Table(Map::default())
    }
    /// An empty table with room for `n` keys.
    pub fn with_capacity(n: usize) -> Self {
        Table(Map::with_capacity_and_hasher(n, Default::default()))
    }
    /// The entries in order, by value.
    pub fn into_entries(self) -> Vec<(String, Value)> {
        self.0.into_iter().collect()
    }
    /// Number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }
    /// The value of `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.0.get_mut(key)
    }
    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }
    /// `dict[key] = value`: replaces in place (keeping the position) or appends.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        self.0.insert(key.into(), value);
    }
    /// Appends `key`, which the caller has checked is absent.
    pub(crate) fn insert_new(&mut self, key: String, value: Value) {
        debug_assert!(!self.0.contains_key(&key));
        self.0.insert(key, value);
    }
    /// Appends `key` if absent (one lookup); gives the key and value back if present.
    pub(crate) fn try_insert_new(
        &mut self,
        key: String,
        value: Value,
    ) -> Result<(), (String, Value)> {
        match self.0.entry(key) {
            indexmap::map::Entry::Vacant(slot) => {
                slot.insert(value);
                Ok(())
            }
            indexmap::map::Entry::Occupied(slot) => Err((slot.key().clone(), value)),
        }
    }
    /// The value at position `i`, mutably.
    pub(crate) fn get_index_mut(&mut self, i: usize) -> Option<(&String, &mut Value)> {
        self.0.get_index_mut(i)
    }
    /// The key at position `i`.
    pub(crate) fn key_at(&self, i: usize) -> Option<&str> {
        self.0.get_index(i).map(|(k, _)| k.as_str())
    }
    /// `dict.setdefault(key, value)`: appends if absent; returns the value now at `key`.
    pub fn setdefault(&mut self, key: &str, value: Value) -> &mut Value {
        match self.0.get_index_of(key) {
            Some(i) => &mut self.0[i],
            None => self.0.entry(key.to_string()).or_insert(value),
        }
    }
    /// `dict.pop(key)`.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.0.shift_remove(key)
    }
    /// `dict.pop(key)`, with the key's own string.
    pub(crate) fn remove_entry(&mut self, key: &str) -> Option<(String, Value)> {
        self.0.shift_remove_entry(key)
    }
    /// Removes every key, keeping the allocations.
    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }
    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter()
    }
    /// Entries in order, values mutable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&String, &mut Value)> {
        self.0.iter_mut()
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
