//! TOML as Gramine's Python tools see it: parsed like tomli (key order included) and written like
//! tomli_w / toml 0.10.2.

pub mod value;

pub use value::{Date, Datetime, Table, Time, Value};

use anyhow::{Context, Result, bail};

/// Decodes manifest bytes the way `click.File('r', encoding='utf-8')` does before tomli sees
/// them: strict UTF-8 and universal newlines (`\r\n` and lone `\r` become `\n`). A UTF-8 BOM is
/// kept, so the parser rejects it as tomli does.
pub fn decode_text(bytes: &[u8]) -> Result<String> {
    let text = std::str::from_utf8(bytes).context("manifest is not valid UTF-8")?;
    if !text.contains('\r') {
        return Ok(text.to_string());
    }
    Ok(text.replace("\r\n", "\n").replace('\r', "\n"))
}

/// Parses TOML text into tomli's value tree.
pub fn parse(text: &str) -> Result<Table> {
    if text.starts_with('\u{feff}') {
        bail!("invalid TOML: a byte order mark (U+FEFF) is not allowed (line 1, column 1)");
    }
    let doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        anyhow::anyhow!("invalid TOML: {}", e.to_string().trim_end())
    })?;
    convert_table(doc.as_table())
}

fn convert_table(t: &toml_edit::Table) -> Result<Table> {
    let mut out = Table::new();
    for (k, item) in t.iter() {
        out.insert(k, convert_item(item)?);
    }
    Ok(out)
}

fn convert_item(item: &toml_edit::Item) -> Result<Value> {
    Ok(match item {
        toml_edit::Item::None => bail!("empty TOML item"),
        toml_edit::Item::Value(v) => convert_value(v)?,
        toml_edit::Item::Table(t) => Value::Table(convert_table(t)?),
        toml_edit::Item::ArrayOfTables(a) => Value::Array(
            a.iter()
                .map(|t| convert_table(t).map(Value::Table))
                .collect::<Result<_>>()?,
        ),
    })
}

fn convert_value(v: &toml_edit::Value) -> Result<Value> {
    Ok(match v {
        toml_edit::Value::String(s) => Value::String(s.value().clone()),
        toml_edit::Value::Integer(i) => Value::Integer(*i.value()),
        toml_edit::Value::Float(f) => Value::Float(*f.value()),
        toml_edit::Value::Boolean(b) => Value::Boolean(*b.value()),
        toml_edit::Value::Datetime(d) => Value::Datetime(convert_datetime(d.value())?),
        toml_edit::Value::Array(a) => {
            Value::Array(a.iter().map(convert_value).collect::<Result<_>>()?)
        }
        toml_edit::Value::InlineTable(t) => {
            let mut out = Table::new();
            for (k, v) in t.iter() {
                out.insert(k, convert_value(v)?);
            }
            Value::Table(out)
        }
    })
}

fn convert_datetime(d: &toml_edit::Datetime) -> Result<Datetime> {
    let date = d.date.map(|x| Date {
        year: x.year,
        month: x.month,
        day: x.day,
    });
    if matches!(date, Some(Date { year: 0, .. })) {
        bail!("invalid TOML: year 0 is not a valid date");
    }
    let time = match d.time {
        Some(t) => {
            if t.second.unwrap_or(0) == 60 {
                bail!("invalid TOML: leap seconds (second = 60) are not accepted");
            }
            Some(Time {
                hour: t.hour,
                minute: t.minute,
                second: t.second.unwrap_or(0),
                microsecond: t.nanosecond.unwrap_or(0) / 1000,
            })
        }
        None => None,
    };
    let offset_minutes = d.offset.map(|o| match o {
        toml_edit::Offset::Z => 0,
        toml_edit::Offset::Custom { minutes } => minutes,
    });
    Ok(Datetime {
        date,
        time,
        offset_minutes,
    })
}
