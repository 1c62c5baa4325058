//! measure-lib's errors as the Python exceptions of `sgx_measure._errors`: the class and `.code`
//! from the innermost error, `.path` and `.entry` where the error names them, and the message
//! with its causes joined by `": "` as the command line prints it.

use measure_core::append::PolicyKind;
use measure_lib::Error;
use measure_lib::entries::EntriesError;
use measure_lib::evidence::EvidenceFileError;
use measure_lib::shard::ShardError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule};

/// The exception classes of `sgx_measure._errors`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    File,
    Parse,
    Manifest,
    Signing,
    Measurement,
    Policy,
    Verification,
    Argument,
    Unsupported,
    Internal,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::File => "FileError",
            Class::Parse => "ParseError",
            Class::Manifest => "ManifestError",
            Class::Signing => "SigningError",
            Class::Measurement => "MeasurementError",
            Class::Policy => "PolicyError",
            Class::Verification => "VerificationError",
            Class::Argument => "ArgumentError",
            Class::Unsupported => "UnsupportedError",
            Class::Internal => "InternalError",
        }
    }
}

/// An error to raise once the GIL is held again (built without it, e.g. inside
/// `Python::detach`).
#[derive(Debug)]
pub struct Failure {
    pub class: Class,
    pub code: &'static str,
    pub message: String,
    pub path: Option<String>,
    pub entry: Option<u64>,
    pub rule: Option<&'static str>,
}

impl Failure {
    pub fn new(class: Class, code: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            class,
            code,
            message: message.into(),
            path: None,
            entry: None,
            rule: None,
        }
    }

    /// An argument value that cannot be used.
    pub fn argument(message: impl Into<String>) -> Failure {
        Failure::new(Class::Argument, "argument", message)
    }

    /// Something this version does not do.
    pub fn unsupported(message: impl Into<String>) -> Failure {
        Failure::new(Class::Unsupported, "unsupported", message)
    }

    /// The same error with its message prefixed by where it happened (`entries owner1.toml`).
    pub fn within(mut self, context: &str) -> Failure {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// The Python exception (needs the GIL).
    pub fn to_pyerr(&self, py: Python<'_>) -> PyErr {
        match self.build(py) {
            Ok(e) => e,
            Err(e) => e,
        }
    }

    fn build(&self, py: Python<'_>) -> PyResult<PyErr> {
        let cls = errors_module(py)?.getattr(self.class.name())?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("code", self.code)?;
        kwargs.set_item("path", self.path.as_deref())?;
        kwargs.set_item("entry", self.entry)?;
        let exc = cls.call((self.message.as_str(),), Some(&kwargs))?;
        if let Some(rule) = self.rule {
            exc.setattr("rule", rule)?;
        }
        Ok(PyErr::from_value(exc))
    }
}

impl From<Failure> for PyErr {
    fn from(f: Failure) -> PyErr {
        Python::attach(|py| f.to_pyerr(py))
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        classify(&e)
    }
}

/// `sgx_measure._errors`, imported once.
fn errors_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    MODULE
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("sgx_measure._errors")?.unbind())
        })
        .map(|m| m.bind(py))
}

fn path_of(p: &std::path::Path) -> Option<String> {
    Some(p.display().to_string())
}

fn rule(kind: PolicyKind) -> &'static str {
    match kind {
        PolicyKind::NothingMayBeAppended => "nothing_may_be_appended",
        PolicyKind::OutsidePrefixes => "outside_prefixes",
        PolicyKind::NotAFileUri => "not_a_file_uri",
        PolicyKind::BadPathSegment => "bad_path_segment",
        PolicyKind::RepeatsBaseUri => "repeats_base_uri",
        PolicyKind::Duplicate => "duplicate",
        PolicyKind::NotWritableByToml0102 => "not_writable_by_toml0102",
        PolicyKind::LineBreakOrNulInUri => "line_break_or_nul_in_uri",
        PolicyKind::NotASha256 => "not_a_sha256",
    }
}

/// The exception for a library error: class, code, path and entry from the innermost error;
/// the message is the whole chain.
pub fn classify(err: &Error) -> Failure {
    use Class::*;
    let message = measure_lib::error::chain(err);
    let mut path = None;
    let mut entry = None;
    let mut policy_rule = None;
    let (class, code) = match err.root() {
        Error::Read { path: p, .. } => {
            path = path_of(p);
            (File, "read")
        }
        Error::Write { path: p, .. } => {
            path = path_of(p);
            (File, "write")
        }
        Error::CreateDir { dir, .. }
        | Error::CreateIn { dir, .. }
        | Error::OutputDir { dir, .. } => {
            path = path_of(dir);
            (File, "create_dir")
        }
        Error::Depfile { path: p, .. } => {
            path = path_of(p);
            (Argument, "depfile")
        }
        Error::Stat { path: p, .. } => {
            path = path_of(p);
            (File, "stat")
        }
        Error::List { path: p, .. } => {
            path = path_of(p);
            (File, "list")
        }
        Error::Stdio { .. } => (File, "stdio"),
        Error::Exists { path: p } => {
            path = path_of(p);
            (File, "exists")
        }
        Error::NotUtf8Path { path: p } => {
            path = path_of(p);
            (File, "not_utf8_path")
        }
        Error::NotFileOrDir { path: p } => {
            path = path_of(p);
            (File, "not_file_or_dir")
        }
        Error::Hash { path: p, .. } => {
            path = path_of(p);
            (File, "hash")
        }
        Error::HashCache { path: p, .. } => {
            path = path_of(p);
            (Parse, "hash_cache")
        }
        Error::Toml(_) => (Parse, "toml"),
        Error::Manifest(_) => (Manifest, "manifest"),
        Error::Attributes(_) => (Manifest, "attributes"),
        Error::Key(_) => (Signing, "key"),
        Error::Signature(_) => (Signing, "signature"),
        Error::Entries(e) => match e {
            EntriesError::Entry { index, .. } => {
                entry = Some(*index as u64);
                (Parse, "entries")
            }
            EntriesError::UriPrefixNotApplicable => (Argument, "argument"),
            _ => (Parse, "entries"),
        },
        Error::Evidence(e) => {
            match e {
                EvidenceFileError::InFile { path: p, .. }
                | EvidenceFileError::WrongKind { path: p, .. } => path = path_of(p),
                _ => {}
            }
            (Parse, "evidence")
        }
        Error::Pal { .. } => (Measurement, "pal"),
        Error::Layout(_) => (Measurement, "layout"),
        Error::Measure(_) => (Measurement, "measure"),
        Error::Append(measure_core::append::AppendError::Policy(v)) => {
            entry = Some(u64::from(v.index));
            policy_rule = Some(rule(v.kind));
            (Policy, "policy")
        }
        Error::Append(_) => (Measurement, "append"),
        Error::Sigstruct(_) => (Parse, "sigstruct"),
        Error::Bundle(_) => (Parse, "bundle"),
        Error::EntryList(_) => (Parse, "entry_list"),
        Error::Prefix(_) => (Policy, "prefix"),
        Error::Policy { violation, .. } => {
            entry = Some(u64::from(violation.index));
            policy_rule = Some(rule(violation.kind));
            (Policy, "policy")
        }
        Error::Shard(ShardError::BadSpec(_)) => (Argument, "argument"),
        Error::Shard(ShardError::Malformed { file, .. }) => {
            path = Some(file.clone());
            (Parse, "shard")
        }
        Error::Shard(_) => (Argument, "shards"),
        Error::Diff(_) => (Parse, "diff"),
        Error::Sdk(measure_lib::sdk::SdkFileError::Date(_)) => (Argument, "argument"),
        Error::Sdk(
            measure_lib::sdk::SdkFileError::Xml(_) | measure_lib::sdk::SdkFileError::Element { .. },
        ) => (Parse, "sdk_config"),
        Error::Sdk(_) => (Measurement, "sdk"),
        Error::Invalid(_) => (Argument, "invalid"),
        // Error is #[non_exhaustive]: a variant added later is reported as internal until it is
        // given a class here (tests/test_errors_gil.py checks the classes users meet).
        Error::Internal(_) => (Internal, "internal"),
        _ => (Internal, "internal"),
    };
    Failure {
        class,
        code,
        message,
        path,
        entry,
        rule: policy_rule,
    }
}

/// `Result` whose error is raised as an `sgx_measure` exception.
pub type R<T> = Result<T, Failure>;
