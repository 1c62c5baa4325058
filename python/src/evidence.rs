//! `parse_evidence`: an SGX REPORT or DCAP quote (v3, v4, v5; raw, hex or base64) as `Report` or
//! `Quote`, whose fields are read by version, never by fixed offsets. Parsing proves nothing
//! about authenticity: that is `verify`'s job.

use measure_core::evidence::{Evidence as Parsed, ReportBody};
use measure_lib::evidence::{self, EvidenceKind, LoadedEvidence};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::args::Input;
use crate::errors::{Failure, R};

/// SGX ATTRIBUTES: FLAGS and XFRM, with the flags a verifier looks at.
#[pyclass(module = "sgx_measure", frozen, skip_from_py_object)]
#[derive(Clone, Copy)]
pub struct Attributes {
    /// ATTRIBUTES.FLAGS.
    #[pyo3(get)]
    flags: u64,
    /// ATTRIBUTES.XFRM.
    #[pyo3(get)]
    xfrm: u64,
}

#[pymethods]
impl Attributes {
    #[getter]
    fn init(&self) -> bool {
        self.flags & measure_core::evidence::report::FLAG_INIT != 0
    }
    #[getter]
    fn debug(&self) -> bool {
        self.flags & measure_core::evidence::report::FLAG_DEBUG != 0
    }
    #[getter]
    fn mode64bit(&self) -> bool {
        self.flags & measure_core::evidence::report::FLAG_MODE64BIT != 0
    }
    #[getter]
    fn provision_key(&self) -> bool {
        self.flags & measure_core::evidence::report::FLAG_PROVISION_KEY != 0
    }
    #[getter]
    fn einittoken_key(&self) -> bool {
        self.flags & measure_core::evidence::report::FLAG_EINITTOKEN_KEY != 0
    }
    #[getter]
    fn kss(&self) -> bool {
        self.flags & measure_core::evidence::report::FLAG_KSS != 0
    }
    fn __repr__(&self) -> String {
        format!("Attributes(flags={:#x}, xfrm={:#x})", self.flags, self.xfrm)
    }
}

/// What a REPORT and a quote have in common: the enclave's report body.
#[pyclass(module = "sgx_measure", frozen, subclass)]
pub struct Evidence {
    pub loaded: LoadedEvidence,
}

impl Evidence {
    fn body(&self) -> &ReportBody {
        &self.loaded.identity
    }
}

#[pymethods]
impl Evidence {
    /// ``"report"`` or ``"quote"``.
    #[getter]
    fn kind(&self) -> &'static str {
        match self.loaded.kind {
            EvidenceKind::Report => "report",
            EvidenceKind::Quote { .. } => "quote",
        }
    }
    /// How the data was stored: ``"binary"``, ``"hex"`` or ``"base64"``.
    #[getter]
    fn encoding(&self) -> &'static str {
        self.loaded.encoding.as_str()
    }
    /// The evidence's bytes (decoded).
    #[getter]
    fn bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.loaded.bytes)
    }
    /// MRENCLAVE (64 hex digits).
    #[getter]
    fn mrenclave(&self) -> String {
        hex::encode(self.body().mr_enclave)
    }
    /// MRSIGNER (64 hex digits).
    #[getter]
    fn mrsigner(&self) -> String {
        hex::encode(self.body().mr_signer)
    }
    #[getter]
    fn isvprodid(&self) -> u16 {
        self.body().isv_prod_id
    }
    #[getter]
    fn isvsvn(&self) -> u16 {
        self.body().isv_svn
    }
    #[getter]
    fn attributes(&self) -> Attributes {
        Attributes {
            flags: self.body().attributes.flags,
            xfrm: self.body().attributes.xfrm,
        }
    }
    /// ATTRIBUTES.DEBUG: a debug enclave, whose memory the host can read.
    #[getter]
    fn debug(&self) -> bool {
        self.body().attributes.debug()
    }
    /// CONFIGID (128 hex digits; zero unless the enclave was started with one, under KSS).
    #[getter]
    fn config_id(&self) -> String {
        hex::encode(self.body().config_id)
    }
    #[getter]
    fn config_svn(&self) -> u16 {
        self.body().config_svn
    }
    /// REPORTDATA: the 64 bytes the enclave chose (e.g. a hash of its TLS key or certificate).
    #[getter]
    fn report_data<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.body().report_data)
    }
    /// CPUSVN (32 hex digits).
    #[getter]
    fn cpu_svn(&self) -> String {
        hex::encode(self.body().cpu_svn)
    }
    #[getter]
    fn misc_select(&self) -> u32 {
        self.body().misc_select
    }
    /// ISVEXTPRODID (32 hex digits, KSS).
    #[getter]
    fn isv_ext_prod_id(&self) -> String {
        hex::encode(self.body().isv_ext_prod_id)
    }
    /// ISVFAMILYID (32 hex digits, KSS).
    #[getter]
    fn isv_family_id(&self) -> String {
        hex::encode(self.body().isv_family_id)
    }
}

/// A 432-byte SGX REPORT (EREPORT). Its MAC can only be checked by the target enclave.
#[pyclass(module = "sgx_measure", frozen, extends = Evidence)]
pub struct Report {
    key_id: [u8; 32],
    mac: [u8; 16],
}

#[pymethods]
impl Report {
    /// KEYID (64 hex digits).
    #[getter]
    fn key_id(&self) -> String {
        hex::encode(self.key_id)
    }
    /// MAC (32 hex digits).
    #[getter]
    fn mac(&self) -> String {
        hex::encode(self.mac)
    }
    fn __repr__(slf: &Bound<'_, Self>) -> String {
        let e = slf.as_super().get();
        format!(
            "Report(mrenclave='{}', mrsigner='{}', isvprodid={}, isvsvn={})",
            e.mrenclave(),
            e.mrsigner(),
            e.isvprodid(),
            e.isvsvn()
        )
    }
}

/// An Intel DCAP (ECDSA) quote of an SGX enclave, version 3, 4 or 5.
#[pyclass(module = "sgx_measure", frozen, extends = Evidence)]
pub struct Quote {
    /// The quote version (3, 4 or 5).
    #[pyo3(get)]
    version: u16,
    /// TEE type (0: SGX).
    #[pyo3(get)]
    tee_type: u32,
    /// Attestation key type (2: ECDSA P-256).
    #[pyo3(get)]
    att_key_type: u16,
    /// The Quoting Enclave's SVN.
    #[pyo3(get)]
    qe_svn: u16,
    /// The Provisioning Certification Enclave's SVN.
    #[pyo3(get)]
    pce_svn: u16,
    qe_vendor_id: [u8; 16],
    user_data: [u8; 20],
    pck_cert_chain: Option<String>,
}

#[pymethods]
impl Quote {
    /// QE vendor ID (32 hex digits; Intel's is 939a7233f79c4ca9940a0db3957f0607).
    #[getter]
    fn qe_vendor_id(&self) -> String {
        hex::encode(self.qe_vendor_id)
    }
    /// The header's user data (20 bytes).
    #[getter]
    fn user_data<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.user_data)
    }
    /// The PCK certificate chain (PEM) when the quote carries one (certification data type 5).
    #[getter]
    fn pck_cert_chain(&self) -> Option<String> {
        self.pck_cert_chain.clone()
    }
    fn __repr__(slf: &Bound<'_, Self>) -> String {
        let q = slf.get();
        let e = slf.as_super().get();
        format!(
            "Quote(version={}, mrenclave='{}', mrsigner='{}', isvprodid={}, isvsvn={})",
            q.version,
            e.mrenclave(),
            e.mrsigner(),
            e.isvprodid(),
            e.isvsvn()
        )
    }
}

/// Decodes evidence from a file or bytes.
pub fn load(input: &Input) -> R<LoadedEvidence> {
    match input {
        Input::Path(p) => Ok(evidence::load(p)?),
        Input::Bytes(b) => evidence::decode(b)
            .map_err(|e| Failure::new(crate::errors::Class::Parse, "evidence", e.to_string())),
    }
}

/// A `Quote` or `Report` object for loaded evidence.
pub fn to_object(py: Python<'_>, loaded: LoadedEvidence) -> PyResult<Py<PyAny>> {
    let parsed = Parsed::parse(&loaded.bytes)
        .map_err(|e| Failure::new(crate::errors::Class::Parse, "evidence", e.to_string()))?;
    match parsed {
        Parsed::Report(r) => {
            let sub = Report {
                key_id: r.key_id,
                mac: r.mac,
            };
            let init = PyClassInitializer::from(Evidence { loaded }).add_subclass(sub);
            Ok(Py::new(py, init)?.into_any())
        }
        Parsed::Quote(q) => {
            let h = q.header;
            let sub = Quote {
                version: h.version,
                tee_type: h.tee_type,
                att_key_type: h.attestation_key_type,
                qe_svn: h.qe_svn,
                pce_svn: h.pce_svn,
                qe_vendor_id: h.qe_vendor_id,
                user_data: h.user_data,
                pck_cert_chain: q
                    .pck_cert_chain()
                    .map(|c| String::from_utf8_lossy(c).into_owned()),
            };
            let init = PyClassInitializer::from(Evidence { loaded }).add_subclass(sub);
            Ok(Py::new(py, init)?.into_any())
        }
    }
}

/// Parses SGX evidence: a 432-byte REPORT or a DCAP quote v3/v4/v5 of an SGX enclave, raw or as
/// hex or base64 text, from a path (``str``, ``os.PathLike``) or ``bytes``. Returns a ``Report``
/// or a ``Quote``. Nothing is verified here (see ``verify``).
#[pyfunction]
pub fn parse_evidence(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let input = Input::extract(data, "data")?;
    let loaded = py.detach(|| load(&input))?;
    to_object(py, loaded)
}
