//! The value tree that tomli produces and tomli_w consumes: ordered tables (insertion order =
//! tomli's first-mention order), Python-like scalars.

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

/// An ordered table (a Python `dict`: insertion order, unique keys).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    entries: Vec<(String, Value)>,
}

impl Table {
    /// An empty table.
    pub fn new() -> Self {
        Table {
            entries: Vec::new(),
        }
    }
    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    /// The value of `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
    /// `dict[key] = value`: replaces in place (keeping the position) or appends.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        let key = key.into();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => *v = value,
            None => self.entries.push((key, value)),
        }
    }
    /// `dict.setdefault(key, value)`: appends if absent; returns the value now at `key`.
    pub fn setdefault(&mut self, key: &str, value: Value) -> &mut Value {
        let idx = match self.entries.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                self.entries.push((key.to_string(), value));
                self.entries.len() - 1
            }
        };
        &mut self.entries[idx].1
    }
    /// `dict.pop(key)`.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let idx = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(idx).1)
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
