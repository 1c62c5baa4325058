//! Shards of a data set (`measure_lib::shard`, the library under `hash-files --shard K/N` and
//! `entries merge`) as `sgx_measure.Shard`: a list of `Entry` with the shard's record.

use measure_lib::dataset::EntryFormat;
use measure_lib::entries::EntryRec;
use measure_lib::fsutil;
use measure_lib::shard::{self, Shard, ShardFile};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyBytes;

use crate::args::{self, Input, path_arg, type_name};
use crate::entry::Entry;
use crate::errors::{Class, Failure, R};

fn format_name(f: EntryFormat) -> &'static str {
    match f {
        EntryFormat::Toml => "toml",
        EntryFormat::Json => "json",
        EntryFormat::Sha256sum => "sha256sum",
    }
}

/// `sgx_measure._shard.Shard`, imported once.
fn shard_class(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static CLASS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    CLASS
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("sgx_measure._shard")?.getattr("Shard")?.unbind())
        })
        .map(|c| c.bind(py))
}

/// `shard=(k, n)`: shard k of n, 0 <= k < n.
pub fn spec(k: i64, n: i64) -> R<Shard> {
    Ok(Shard::parse(&format!("{k}/{n}")).map_err(measure_lib::Error::from)?)
}

/// The Python `Shard` of a shard file's content.
pub fn to_py(py: Python<'_>, s: ShardFile) -> PyResult<Bound<'_, PyAny>> {
    let entries: Vec<Entry> = s
        .entries
        .into_iter()
        .map(|(uri, sha256)| Entry { uri, sha256 })
        .collect();
    shard_class(py)?.call1((
        entries,
        s.shard.index,
        s.shard.count,
        s.files,
        s.range.start,
        s.range.end,
        hex::encode(s.tree),
        format_name(s.format),
    ))
}

/// The shard file content of a Python `Shard` (`arg` names it in errors).
pub fn from_py(obj: &Bound<'_, PyAny>, arg: &str) -> PyResult<ShardFile> {
    let py = obj.py();
    if !obj.is_instance(shard_class(py)?)? {
        return Err(Failure::new(
            Class::Argument,
            "shards",
            format!(
                "{arg}: {} is not a Shard: merge_entries joins what hash_files(..., shard=(k, n)) \
                 returns (or Shard.load reads), whose record says which files of which tree it \
                 holds; a plain list of entries does not",
                type_name(obj)
            ),
        )
        .to_pyerr(py));
    }
    let bad = |what: &str| PyTypeError::new_err(format!("{arg}: Shard with a bad {what}"));
    let index: usize = obj.getattr("index")?.extract().map_err(|_| bad("index"))?;
    let count: usize = obj.getattr("count")?.extract().map_err(|_| bad("count"))?;
    let files: usize = obj.getattr("files")?.extract().map_err(|_| bad("files"))?;
    let start: usize = obj.getattr("start")?.extract().map_err(|_| bad("start"))?;
    let end: usize = obj.getattr("end")?.extract().map_err(|_| bad("end"))?;
    let tree: String = obj.getattr("tree")?.extract().map_err(|_| bad("tree"))?;
    let format: String = obj
        .getattr("format")?
        .extract()
        .map_err(|_| bad("format"))?;
    let argument = |m: String| Failure::argument(format!("{arg}: {m}")).to_pyerr(py);
    let shard = spec(
        i64::try_from(index).unwrap_or(i64::MAX),
        i64::try_from(count).unwrap_or(i64::MAX),
    )
    .map_err(|f| f.within(arg).to_pyerr(py))?;
    let mut digest = [0u8; 32];
    hex::decode_to_slice(&tree, &mut digest)
        .map_err(|_| argument(format!("tree {tree:?} is not 64 hex digits")))?;
    let format = match format.as_str() {
        "toml" => EntryFormat::Toml,
        "json" => EntryFormat::Json,
        "sha256sum" => EntryFormat::Sha256sum,
        _ => {
            return Err(argument(format!(
                "format {format:?} is not toml, json or sha256sum"
            )));
        }
    };
    let entries = args::records(obj, arg)?
        .into_iter()
        .map(|EntryRec { uri, sha256 }| (uri, sha256))
        .collect();
    Ok(ShardFile {
        shard,
        files,
        range: start..end,
        tree: digest,
        format,
        entries,
    })
}

/// Joins shards into exactly the entries of a single ``hash_files`` run (same order), as
/// ``sgx-measure entries merge`` joins shard files: every shard of one tree and one ``n``, each
/// once, none missing, each holding exactly its files. Anything else raises ``ArgumentError``
/// (code ``shards``), naming the shards concerned.
#[pyfunction]
#[pyo3(signature = (*lists))]
pub fn merge_entries(py: Python<'_>, lists: Vec<Bound<'_, PyAny>>) -> PyResult<Vec<Entry>> {
    let mut shards = Vec::with_capacity(lists.len());
    for (i, l) in lists.iter().enumerate() {
        let name = format!("lists[{i}]");
        shards.push((name.clone(), from_py(l, &name)?));
    }
    let (_, merged) =
        py.detach(|| -> R<_> { Ok(shard::merge(shards).map_err(measure_lib::Error::from)?) })?;
    Ok(merged
        .into_iter()
        .map(|(uri, sha256)| Entry { uri, sha256 })
        .collect())
}

/// `Shard.to_bytes()`.
#[pyfunction]
pub fn _shard_to_bytes<'py>(shard: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    let s = from_py(shard, "shard")?;
    Ok(PyBytes::new(shard.py(), &s.to_bytes()))
}

/// `Shard.save(path)`.
#[pyfunction]
pub fn _shard_save(
    py: Python<'_>,
    shard: &Bound<'_, PyAny>,
    path: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let s = from_py(shard, "shard")?;
    let path = path_arg(path, "path")?;
    py.detach(|| -> R<()> { Ok(fsutil::write_atomic(&path, &s.to_bytes())?) })?;
    Ok(())
}

fn parse(py: Python<'_>, input: Input, name: String) -> PyResult<Bound<'_, PyAny>> {
    let s = py.detach(|| -> R<ShardFile> {
        let bytes = input.read("shard")?;
        Ok(ShardFile::parse(&bytes, &name).map_err(measure_lib::Error::from)?)
    })?;
    to_py(py, s)
}

/// `Shard.from_bytes(data, name=...)`.
#[pyfunction]
pub fn _shard_parse<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    name: String,
) -> PyResult<Bound<'py, PyAny>> {
    if !args::is_bytes_like(data) {
        return Err(PyTypeError::new_err(format!(
            "data: expected bytes, got {}",
            type_name(data)
        )));
    }
    parse(py, Input::Bytes(args::bytes_of(data)?), name)
}

/// `Shard.load(path)`.
#[pyfunction]
pub fn _shard_load<'py>(py: Python<'py>, path: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let path = path_arg(path, "path")?;
    let name = path.display().to_string();
    parse(py, Input::Path(path), name)
}
