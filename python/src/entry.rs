//! `Entry(uri, sha256)`: one trusted file a data owner publishes.

use pyo3::prelude::*;
use pyo3::types::{PyTuple, PyType};

/// One trusted-file entry: its URI in the enclave and its SHA-256 (as written, hex).
///
/// Immutable, hashable, comparable, picklable (Dask and multiprocessing move it between
/// processes), and unpacks as ``uri, sha256 = entry``.
#[pyclass(module = "sgx_measure", frozen, eq, hash, skip_from_py_object)]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The URI (``file:...``).
    #[pyo3(get)]
    pub uri: String,
    /// The SHA-256 as given (64 hex digits when hashed here).
    #[pyo3(get)]
    pub sha256: String,
}

#[pymethods]
impl Entry {
    #[new]
    fn new(uri: String, sha256: String) -> Self {
        Entry { uri, sha256 }
    }

    fn __repr__(&self) -> String {
        format!(
            "Entry(uri={}, sha256={})",
            measure_lib::manifest::pypath::repr_str(&self.uri),
            measure_lib::manifest::pypath::repr_str(&self.sha256)
        )
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyType>, (String, String))> {
        let e = slf.get();
        Ok((slf.get_type(), (e.uri.clone(), e.sha256.clone())))
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyTuple::new(py, [self.uri.as_str(), self.sha256.as_str()])?
            .try_iter()?
            .into_any())
    }

    fn __len__(&self) -> usize {
        2
    }
}

impl From<measure_lib::entries::EntryRec> for Entry {
    fn from(e: measure_lib::entries::EntryRec) -> Self {
        Entry {
            uri: e.uri,
            sha256: e.sha256,
        }
    }
}
