//! Python arguments into library values: paths (`str` or `os.PathLike`) or data in memory
//! (`bytes`, `bytearray`, `memoryview`), Gramine versions, hex values, entries.

use std::path::{Path, PathBuf};

use measure_core::GramineVersion;
use measure_lib::entries::{self, EntryRec, From as EntriesFormat};
use measure_lib::fsutil;
use measure_lib::toml::TomlWriter;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyList, PyMemoryView, PyString, PyTuple};

use crate::entry::Entry;
use crate::errors::{Failure, R};

/// A file, or its contents already in memory.
#[derive(Clone, Debug)]
pub enum Input {
    /// A path.
    Path(PathBuf),
    /// The contents.
    Bytes(Vec<u8>),
}

/// The Python type name of `obj`, for messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// Whether `obj` is data in memory.
pub fn is_bytes_like(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyBytes>()
        || obj.is_instance_of::<PyByteArray>()
        || obj.is_instance_of::<PyMemoryView>()
}

/// The bytes of a `bytes`, `bytearray` or `memoryview`.
pub fn bytes_of(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    // A memoryview (any buffer): bytes(obj).
    let b = obj.py().get_type::<PyBytes>().call1((obj,))?;
    Ok(b.cast::<PyBytes>()?.as_bytes().to_vec())
}

/// A path (`str`, `os.PathLike`).
pub fn path_arg(obj: &Bound<'_, PyAny>, arg: &str) -> PyResult<PathBuf> {
    if is_bytes_like(obj) {
        return Err(PyTypeError::new_err(format!(
            "{arg}: expected a path (str or os.PathLike), got {}",
            type_name(obj)
        )));
    }
    obj.extract::<PathBuf>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{arg}: expected a path (str or os.PathLike), got {}",
            type_name(obj)
        ))
    })
}

/// An optional path.
pub fn opt_path(obj: Option<&Bound<'_, PyAny>>, arg: &str) -> PyResult<Option<PathBuf>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => path_arg(o, arg).map(Some),
    }
}

impl Input {
    /// A path or bytes argument.
    pub fn extract(obj: &Bound<'_, PyAny>, arg: &str) -> PyResult<Input> {
        if is_bytes_like(obj) {
            return Ok(Input::Bytes(bytes_of(obj)?));
        }
        match obj.extract::<PathBuf>() {
            Ok(p) => Ok(Input::Path(p)),
            Err(_) => Err(PyTypeError::new_err(format!(
                "{arg}: expected a path (str or os.PathLike) or bytes, got {}",
                type_name(obj)
            ))),
        }
    }

    /// The contents (read from the file, which `what` names in errors).
    pub fn read(&self, what: &str) -> R<std::borrow::Cow<'_, [u8]>> {
        match self {
            Input::Path(p) => Ok(fsutil::read(p, what)?.into()),
            Input::Bytes(b) => Ok(b.as_slice().into()),
        }
    }

    /// How errors name it: the path, or `<bytes>`.
    pub fn name(&self) -> String {
        match self {
            Input::Path(p) => p.display().to_string(),
            Input::Bytes(_) => "<bytes>".into(),
        }
    }

    /// The path, if it is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Input::Path(p) => Some(p),
            Input::Bytes(_) => None,
        }
    }
}

/// `gramine="1.9"`.
/// The default of every `gramine=` argument: the newest version, from the rules table (the
/// type stubs spell it out).
pub const DEFAULT_GRAMINE: &str = GramineVersion::LATEST.as_str();

pub fn version(s: &str) -> R<GramineVersion> {
    GramineVersion::parse(s).ok_or_else(|| {
        let all: Vec<_> = GramineVersion::ALL.iter().map(|v| v.as_str()).collect();
        Failure::argument(format!(
            "gramine: unknown Gramine version {s:?} (supported: {})",
            all.join(", ")
        ))
    })
}

/// `tomli_w="1"`.
pub fn tomli_w(s: &str) -> R<TomlWriter> {
    match s {
        "1" => Ok(TomlWriter::TomliW1),
        "0.4" => Ok(TomlWriter::TomliW04),
        _ => Err(Failure::argument(format!(
            "tomli_w: {s:?} is not a tomli_w release the signer knows (\"1\" for 1.x, \"0.4\")"
        ))),
    }
}

/// Exactly `N` bytes of hex.
pub fn hex_arg<const N: usize>(s: &str, arg: &str) -> R<[u8; N]> {
    let v = hex::decode(s.trim())
        .map_err(|e| Failure::argument(format!("{arg}: {s:?} is not hex ({e})")))?;
    let len = v.len();
    v.try_into().map_err(|_| {
        Failure::argument(format!(
            "{arg}: {len} bytes, expected {N} ({} hex digits)",
            2 * N
        ))
    })
}

/// An entries format name.
pub fn entries_format(s: &str) -> R<EntriesFormat> {
    match s {
        "toml" => Ok(EntriesFormat::Toml),
        "json" => Ok(EntriesFormat::Json),
        "sha256sum" => Ok(EntriesFormat::Sha256sum),
        "list" => Ok(EntriesFormat::List),
        _ => Err(Failure::argument(format!(
            "format: {s:?} is not an entries format (toml, json, sha256sum, list)"
        ))),
    }
}

/// Entries given as a list of `Entry` (or `(uri, sha256)` pairs), a file, or the bytes of one.
pub enum EntriesArg {
    /// Records in memory.
    Records(Vec<EntryRec>),
    /// Only the canonical list, encoded straight from a list of `Entry` (no copy of the strings
    /// into records): for calls that need the list alone unless they fail, and then extract the
    /// records to name the entries concerned.
    ListOnly(Vec<u8>),
    /// A file or its bytes, in any format (detected).
    Input(Input),
}

impl EntriesArg {
    pub fn extract(obj: &Bound<'_, PyAny>, arg: &str) -> PyResult<EntriesArg> {
        if is_bytes_like(obj)
            || obj.is_instance_of::<PyString>()
            || obj.hasattr("__fspath__").unwrap_or(false)
        {
            return Ok(EntriesArg::Input(Input::extract(obj, arg)?));
        }
        Ok(EntriesArg::Records(records(obj, arg)?))
    }

    /// Like [`EntriesArg::extract`], but a Python list of `Entry` becomes only its canonical
    /// list ([`EntriesArg::ListOnly`]).
    pub fn extract_list_only(obj: &Bound<'_, PyAny>, arg: &str) -> PyResult<EntriesArg> {
        if let Ok(list) = obj.cast::<PyList>() {
            let items: Vec<Bound<'_, Entry>> = match list
                .iter()
                .map(|i| i.cast_into::<Entry>())
                .collect::<Result<_, _>>()
            {
                Ok(items) => items,
                Err(_) => return EntriesArg::extract(obj, arg),
            };
            let encoded = measure_core::entries::encode(
                items
                    .iter()
                    .map(|e| (e.get().uri.as_str(), e.get().sha256.as_str())),
            );
            return Ok(EntriesArg::ListOnly(encoded));
        }
        EntriesArg::extract(obj, arg)
    }

    /// Whether only the canonical list is there.
    pub fn list_only(&self) -> bool {
        matches!(self, EntriesArg::ListOnly(_))
    }

    /// The entries (a file read here), with their canonical list.
    pub fn load(self) -> R<entries::Entries> {
        match self {
            EntriesArg::ListOnly(list) => Ok(entries::Entries {
                records: Vec::new(),
                list,
            }),
            EntriesArg::Records(records) => {
                let list = entries::to_list(&records);
                Ok(entries::Entries { records, list })
            }
            EntriesArg::Input(Input::Path(p)) => Ok(entries::Entries::load(&p, None, None)?),
            EntriesArg::Input(Input::Bytes(b)) => Ok(entries::Entries::parse(&b, None, None)?),
        }
    }
}

/// A sequence of `Entry` or `(uri, sha256)` pairs.
pub fn records(obj: &Bound<'_, PyAny>, arg: &str) -> PyResult<Vec<EntryRec>> {
    let not_entries = || {
        PyTypeError::new_err(format!(
            "{arg}: expected a list of Entry (or (uri, sha256) pairs), a path or bytes, got {}",
            type_name(obj)
        ))
    };
    let iter = obj.try_iter().map_err(|_| not_entries())?;
    let mut out = Vec::with_capacity(obj.len().unwrap_or(0));
    for (i, item) in iter.enumerate() {
        let item = item?;
        if let Ok(e) = item.cast::<Entry>() {
            let e = e.get();
            out.push(EntryRec {
                uri: e.uri.clone(),
                sha256: e.sha256.clone(),
            });
            continue;
        }
        if let Ok(t) = item.cast::<PyTuple>()
            && t.len() == 2
            && let (Ok(uri), Ok(sha256)) = (
                t.get_item(0).and_then(|v| v.extract::<String>()),
                t.get_item(1).and_then(|v| v.extract::<String>()),
            )
        {
            out.push(EntryRec { uri, sha256 });
            continue;
        }
        return Err(PyTypeError::new_err(format!(
            "{arg}[{i}]: expected an Entry or a (uri, sha256) pair of str, got {}",
            type_name(&item)
        )));
    }
    Ok(out)
}
