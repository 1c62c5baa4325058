//! `Bundle`: the algorithm owner's base bundle, and the verifier's append.

use measure_core::bundle::Bundle as Parsed;
use measure_lib::append::{Appended, Policy, append};
use measure_lib::entries::Entries;
use measure_lib::{bundle, fsutil};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyType};
use sha2::{Digest, Sha256};

use crate::api::PipelineArgs;
use crate::args::{EntriesArg, Input, path_arg, type_name};
use crate::errors::{Failure, R};

/// A base bundle: everything a verifier needs to recompute MRENCLAVE for a base manifest and
/// libpal with any data owner's entries appended, and the append policy those entries must
/// follow.
#[pyclass(module = "sgx_measure", frozen)]
pub struct Bundle {
    pub bytes: Vec<u8>,
}

impl Bundle {
    /// Parses the bytes (checked when the object was made).
    pub fn parsed(&self) -> R<Parsed<'_>> {
        Ok(Parsed::parse(&self.bytes).map_err(measure_lib::Error::from)?)
    }

    /// MRENCLAVE with the entries appended under `policy` (and the final manifest when asked).
    pub fn append_entries(&self, entries: &Entries, policy: Policy, manifest: bool) -> R<Appended> {
        Ok(append(&self.parsed()?, entries, policy, manifest)?)
    }

    /// Reads a bundle (checking it parses).
    pub fn from_input(input: &Input) -> R<Bundle> {
        let bytes = input.read("bundle")?.into_owned();
        Parsed::parse(&bytes).map_err(|e| {
            Failure::from(measure_lib::Error::from(e)).within(&format!("bundle {}", input.name()))
        })?;
        Ok(Bundle { bytes })
    }
}

fn policy(unsafe_no_policy: bool) -> Policy {
    if unsafe_no_policy {
        Policy::UnsafeGramineSemantics
    } else {
        Policy::Enforce
    }
}

#[pymethods]
impl Bundle {
    /// Makes a bundle from a base (source) manifest and libpal, as ``sgx-measure bundle`` does:
    /// base trusted files expanded and hashed exactly as signing does; data owners may append
    /// entries only under ``allow_prefixes`` (``file:`` URI prefixes ending with ``/``; none:
    /// no entry may be appended).
    #[classmethod]
    #[pyo3(signature = (manifest, *, libpal, allow_prefixes, gramine = crate::args::DEFAULT_GRAMINE, tomli_w = "1", libos = None, libos_sha256 = None, hash_cache = None, chroot = None))]
    #[allow(clippy::too_many_arguments)]
    fn build(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        manifest: &Bound<'_, PyAny>,
        libpal: &Bound<'_, PyAny>,
        allow_prefixes: &Bound<'_, PyAny>,
        gramine: &str,
        tomli_w: &str,
        libos: Option<&Bound<'_, PyAny>>,
        libos_sha256: Option<String>,
        hash_cache: Option<&Bound<'_, PyAny>>,
        chroot: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bundle> {
        let manifest = Input::extract(manifest, "manifest")?;
        let libpal = Input::extract(libpal, "libpal")?;
        let prefixes: Vec<String> = if let Ok(s) = allow_prefixes.cast::<PyString>() {
            vec![s.extract::<String>()?]
        } else {
            allow_prefixes.extract().map_err(|_| {
                pyo3::exceptions::PyTypeError::new_err(format!(
                    "allow_prefixes: expected a list of str, got {}",
                    type_name(allow_prefixes)
                ))
            })?
        };
        let pipe = PipelineArgs::new(gramine, tomli_w, libos, libos_sha256, chroot, hash_cache)?;
        let made = py.detach(|| -> R<bundle::Made> {
            let input = manifest.read("manifest")?;
            let pal = libpal.read("libpal")?;
            let mut hasher = pipe.hasher()?;
            let made = bundle::make(
                &input,
                &pal,
                &libpal.name(),
                &prefixes,
                &pipe.options,
                &mut hasher,
            )?;
            hasher.save_cache()?;
            Ok(made)
        });
        pipe.warnings.emit(py)?;
        let made = made?;
        Ok(Bundle { bytes: made.bytes })
    }

    /// Reads a bundle from a path or bytes.
    #[classmethod]
    fn load(_cls: &Bound<'_, PyType>, path_or_bytes: &Bound<'_, PyAny>) -> PyResult<Bundle> {
        let input = Input::extract(path_or_bytes, "path_or_bytes")?;
        Ok(Bundle::from_input(&input)?)
    }

    /// MRENCLAVE (64 hex digits) of the base enclave with the entries appended to
    /// ``sgx.trusted_files``, after enforcing the bundle's append policy (``PolicyError``
    /// otherwise). ``entries``: a list of ``Entry`` (or ``(uri, sha256)`` pairs), or an entries
    /// file (path or bytes, any format). ``unsafe_no_policy=True`` applies Gramine's own
    /// semantics instead: for reproducing what Gramine computes, never for deciding whether to
    /// trust an enclave.
    #[pyo3(signature = (entries, *, unsafe_no_policy = false))]
    fn append(
        &self,
        py: Python<'_>,
        entries: &Bound<'_, PyAny>,
        unsafe_no_policy: bool,
    ) -> PyResult<String> {
        // A list of Entry is encoded straight into the canonical list the policy check and the
        // measurement read; the records (copies of the strings) are extracted only if an error
        // must name an entry (Gramine's semantics need them always).
        let arg = if unsafe_no_policy {
            EntriesArg::extract(entries, "entries")?
        } else {
            EntriesArg::extract_list_only(entries, "entries")?
        };
        let list_only = arg.list_only();
        let run = |arg: EntriesArg| -> R<[u8; 32]> {
            let entries = arg.load()?;
            Ok(self
                .append_entries(&entries, policy(unsafe_no_policy), false)?
                .mrenclave)
        };
        let out = match py.detach(|| run(arg)) {
            Err(_) if list_only => {
                let arg = EntriesArg::extract(entries, "entries")?;
                py.detach(|| run(arg))?
            }
            out => out?,
        };
        Ok(hex::encode(out))
    }

    /// The final manifest (the ``.manifest.sgx`` ``gramine-sgx-sign`` would write) of the base
    /// with the entries appended, under the same rules as ``append``.
    #[pyo3(signature = (entries, *, unsafe_no_policy = false))]
    fn final_manifest<'py>(
        &self,
        py: Python<'py>,
        entries: &Bound<'py, PyAny>,
        unsafe_no_policy: bool,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let arg = EntriesArg::extract(entries, "entries")?;
        let out = py.detach(|| -> R<Vec<u8>> {
            let entries = arg.load()?;
            let a = self.append_entries(&entries, policy(unsafe_no_policy), true)?;
            a.manifest.ok_or_else(|| {
                Failure::new(
                    crate::errors::Class::Internal,
                    "internal",
                    "no manifest rendered",
                )
            })
        })?;
        Ok(PyBytes::new(py, &out))
    }

    /// Writes the bundle (atomically).
    fn save(&self, py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<()> {
        let path = path_arg(path, "path")?;
        py.detach(|| -> R<()> { Ok(fsutil::write_atomic(&path, &self.bytes)?) })?;
        Ok(())
    }

    /// MRENCLAVE of the base enclave (no entries appended).
    #[getter]
    fn base_mrenclave(&self, py: Python<'_>) -> PyResult<String> {
        let out = py.detach(|| -> R<[u8; 32]> {
            let none = Entries {
                records: vec![],
                list: measure_lib::entries::to_list(&Vec::new()),
            };
            Ok(self
                .append_entries(&none, Policy::Enforce, false)?
                .mrenclave)
        })?;
        Ok(hex::encode(out))
    }

    /// The Gramine version whose rules the bundle reproduces.
    #[getter]
    fn gramine(&self) -> PyResult<&'static str> {
        Ok(self.parsed()?.params.version.as_str())
    }

    /// The URI prefixes under which entries may be appended.
    #[getter]
    fn allow_prefixes(&self) -> PyResult<Vec<String>> {
        Ok(self
            .parsed()?
            .policy
            .prefixes()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect())
    }

    /// The bundle's bytes.
    #[getter]
    fn bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.bytes)
    }

    /// SHA-256 of the bundle (64 hex digits): what an algorithm owner publishes to pin it.
    #[getter]
    fn sha256(&self) -> String {
        hex::encode(Sha256::digest(&self.bytes))
    }

    fn __repr__(&self) -> String {
        format!(
            "Bundle(sha256='{}', {} bytes)",
            hex::encode(Sha256::digest(&self.bytes)),
            self.bytes.len()
        )
    }
}
