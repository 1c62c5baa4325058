//! `Sigstruct`: a `.sig` file's fields, as `gramine-sgx-sigstruct-view` shows them.

use measure_core::sigstruct::{DateEncoding, Sigstruct as Raw};
use measure_lib::sigstruct::{self, ViewFormat};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::args::{self, Input};
use crate::errors::{Failure, R};

/// A SIGSTRUCT (the 1808-byte ``.sig`` file).
#[pyclass(module = "sgx_measure", frozen)]
pub struct Sigstruct {
    pub raw: Raw,
}

impl Sigstruct {
    pub fn new(raw: Raw) -> Self {
        Sigstruct { raw }
    }
}

#[pymethods]
impl Sigstruct {
    /// ENCLAVEHASH: the MRENCLAVE it signs (64 hex digits).
    #[getter]
    fn mrenclave(&self) -> String {
        hex::encode(self.raw.enclave_hash)
    }
    /// MRSIGNER: SHA-256 of the modulus (64 hex digits).
    #[getter]
    fn mrsigner(&self) -> String {
        hex::encode(self.raw.mrsigner())
    }
    #[getter]
    fn isvprodid(&self) -> u16 {
        self.raw.isv_prod_id
    }
    #[getter]
    fn isvsvn(&self) -> u16 {
        self.raw.isv_svn
    }
    /// Whether ATTRIBUTES.DEBUG is set (a debug enclave: its memory can be read by the host).
    #[getter]
    fn debug(&self) -> bool {
        self.raw.is_debug()
    }
    #[getter]
    fn attribute_flags(&self) -> u64 {
        self.raw.attribute_flags
    }
    #[getter]
    fn attribute_xfrm(&self) -> u64 {
        self.raw.attribute_xfrm
    }
    #[getter]
    fn attribute_flags_mask(&self) -> u64 {
        self.raw.attribute_flags_mask
    }
    #[getter]
    fn attribute_xfrm_mask(&self) -> u64 {
        self.raw.attribute_xfrm_mask
    }
    #[getter]
    fn misc_select(&self) -> u32 {
        self.raw.misc_select
    }
    #[getter]
    fn misc_mask(&self) -> u32 {
        self.raw.misc_mask
    }
    /// ISVFAMILYID (32 hex digits).
    #[getter]
    fn isv_family_id(&self) -> String {
        hex::encode(self.raw.isv_family_id)
    }
    /// ISVEXTPRODID (32 hex digits).
    #[getter]
    fn isv_ext_prod_id(&self) -> String {
        hex::encode(self.raw.isvext_prod_id)
    }
    /// The 1808 bytes.
    #[getter]
    fn bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.raw.to_bytes())
    }
    /// The 256 bytes the key signs (for two-step signing).
    #[getter]
    fn signing_data<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.raw.signing_data())
    }

    /// DATE as ``YYYY-MM-DD``, decoded as Gramine ``gramine`` writes it (v1.0 to v1.4 in binary,
    /// v1.5 and later in BCD).
    #[pyo3(signature = (*, gramine = crate::args::DEFAULT_GRAMINE))]
    fn date(&self, gramine: &str) -> PyResult<String> {
        let v = args::version(gramine)?;
        let d = self
            .raw
            .date(DateEncoding::for_version(v))
            .map_err(|e| Failure::from(measure_lib::Error::from(e)))?;
        Ok(d.to_string())
    }

    /// Checks the signature as EINIT would (EXPONENT, MODULUS, SIGNATURE, Q1, Q2, and zero
    /// reserved bytes): ``{check: None}`` when it passes, else ``{check: reason}``.
    fn verify<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let v = sigstruct::verify(&self.raw);
        let d = PyDict::new(py);
        for (name, r) in v.checks {
            d.set_item(name, r.err())?;
        }
        Ok(d)
    }

    /// Whether every check of ``verify()`` passes.
    #[getter]
    fn signature_valid(&self) -> bool {
        sigstruct::verify(&self.raw).ok()
    }

    /// What ``gramine-sgx-sigstruct-view`` prints: ``format`` ``"text"``, ``"json"`` or
    /// ``"toml"``; ``verbose`` adds attributes, masks and date.
    #[pyo3(signature = (*, format = "json", verbose = false, gramine = crate::args::DEFAULT_GRAMINE))]
    fn view(&self, format: &str, verbose: bool, gramine: &str) -> PyResult<String> {
        let v = args::version(gramine)?;
        let f = match format {
            "text" => ViewFormat::Text,
            "json" => ViewFormat::Json,
            "toml" => ViewFormat::Toml,
            _ => {
                return Err(
                    Failure::argument(format!("format: {format:?} (text, json or toml)")).into(),
                );
            }
        };
        Ok(sigstruct::view(&self.raw, f, verbose, v)
            .map_err(|e| Failure::from(measure_lib::Error::from(e)))?)
    }

    fn __repr__(&self) -> String {
        format!(
            "Sigstruct(mrenclave='{}', mrsigner='{}', isvprodid={}, isvsvn={}, debug={})",
            hex::encode(self.raw.enclave_hash),
            hex::encode(self.raw.mrsigner()),
            self.raw.isv_prod_id,
            self.raw.isv_svn,
            if self.raw.is_debug() { "True" } else { "False" }
        )
    }
}

/// Reads a SIGSTRUCT from a file or bytes.
pub fn load(input: &Input) -> R<Raw> {
    let bytes = input.read("SIGSTRUCT")?;
    Raw::parse(&bytes).map_err(|e| Failure::from(measure_lib::Error::from(e)).within(&input.name()))
}

/// Parses a SIGSTRUCT (``.sig``) from a path or bytes.
#[pyfunction]
pub fn parse_sigstruct(data: &Bound<'_, PyAny>) -> PyResult<Sigstruct> {
    let input = Input::extract(data, "data")?;
    Ok(Sigstruct::new(load(&input)?))
}
