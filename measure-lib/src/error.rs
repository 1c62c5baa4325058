//! The errors of this library: one [`Error`] enum whose variants name the file, manifest key or
//! entry concerned, with the domain errors ([`TomlError`], [`ManifestError`], [`KeyError`],
//! [`EntriesError`], [`EvidenceFileError`]) and `measure-core`'s own errors inside.
//!
//! Every message is one line; the cause of an error is its [`std::error::Error::source`], not part
//! of its own message, so callers choose how much of the chain to show ([`chain`] joins it with
//! `": "`, as the `sgx-measure` command line prints it).
//!
//! ```
//! use measure_lib::error::{Error, chain};
//! let err = measure_lib::fsutil::read("/nonexistent/app.manifest".as_ref(), "manifest").unwrap_err();
//! assert!(matches!(err, Error::Read { .. }));
//! assert_eq!(err.to_string(), "cannot read manifest /nonexistent/app.manifest");
//! assert!(chain(&err).starts_with("cannot read manifest /nonexistent/app.manifest: No such file"));
//! ```

use std::fmt;
use std::io;
use std::path::PathBuf;

use measure_core::append::AppendError;
use measure_core::attributes::AttributesError;
use measure_core::bundle::BundleError;
use measure_core::elf::ElfError;
use measure_core::engine::MeasureError;
use measure_core::entries::EntriesError as ListError;
use measure_core::layout::LayoutError;
use measure_core::sigstruct::SigstructError;

pub use crate::entries::EntriesError;
pub use crate::evidence::EvidenceFileError;
pub use crate::manifest::ManifestError;
pub use crate::sigstruct::{KeyError, SignatureError};
pub use crate::toml::TomlError;

/// `Result` with this library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in this library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {what} {}", path.display())]
    Read {
        /// What the file is (`manifest`, `libpal`, `signing key`, ...).
        what: String,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A file could not be written (or put in place).
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A directory could not be created.
    #[error("cannot create directory {}", dir.display())]
    CreateDir {
        /// The directory.
        dir: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The directory of an output file could not be created.
    #[error("cannot create directory {} for {}", dir.display(), output.display())]
    OutputDir {
        /// The directory.
        dir: PathBuf,
        /// The output file.
        output: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A directory could not be used for a temporary file.
    #[error("cannot create {what} in {}", dir.display())]
    CreateIn {
        /// What was to be created.
        what: &'static str,
        /// The directory.
        dir: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A file's metadata could not be read.
    #[error("cannot read {}", path.display())]
    Stat {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A directory could not be listed.
    #[error("cannot list {}", path.display())]
    List {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Reading standard input, or writing standard output, failed.
    #[error("{what}")]
    Stdio {
        /// What failed (`cannot read standard input`).
        what: &'static str,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// An output file would be overwritten.
    #[error("refusing to overwrite {}, use -f to force", path.display())]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// A path that must be UTF-8 is not.
    #[error("path {} is not valid UTF-8", path.display())]
    NotUtf8Path {
        /// The path.
        path: PathBuf,
    },
    /// A file or directory argument that is neither.
    #[error("{} is neither a regular file nor a directory", path.display())]
    NotFileOrDir {
        /// The path.
        path: PathBuf,
    },
    /// A trusted file or dataset file could not be hashed.
    #[error("cannot hash {}", path.display())]
    Hash {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The hash cache file is malformed.
    #[error("hash cache {} line {line}: malformed entry", path.display())]
    HashCache {
        /// The cache file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
    },
    /// A name that a depfile (`--depfile`) cannot carry.
    #[error("cannot write {} into a depfile: {problem}", path.display())]
    Depfile {
        /// The file name.
        path: PathBuf,
        /// Why.
        problem: &'static str,
    },
    /// TOML that cannot be read or written.
    #[error(transparent)]
    Toml(#[from] TomlError),
    /// What Gramine's manifest processing refuses.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A signing or public key that cannot be used.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A signature that cannot be put in a SIGSTRUCT.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// Data owners' entries that cannot be read.
    #[error(transparent)]
    Entries(#[from] EntriesError),
    /// Attestation evidence that cannot be read.
    #[error(transparent)]
    Evidence(#[from] EvidenceFileError),
    /// The PAL is not an ELF file the layout can use.
    #[error("libpal {name}")]
    Pal {
        /// The PAL as named by the caller.
        name: String,
        /// Why.
        #[source]
        source: ElfError,
    },
    /// The enclave layout cannot be built.
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// The measurement failed.
    #[error(transparent)]
    Measure(#[from] MeasureError),
    /// SIGSTRUCT fields that cannot be built or read.
    #[error(transparent)]
    Sigstruct(#[from] SigstructError),
    /// The manifest's SIGSTRUCT attributes are refused.
    #[error(transparent)]
    Attributes(#[from] AttributesError),
    /// A bundle that cannot be used.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// A canonical entry list that cannot be used.
    #[error(transparent)]
    EntryList(#[from] ListError),
    /// Replaying two measurements to find where they part failed.
    #[error(transparent)]
    Diff(#[from] measure_core::diff::DiffError),
    /// Appending entries to a bundle failed.
    #[error(transparent)]
    Append(#[from] AppendError),
    /// An allowed prefix of a bundle that is refused.
    #[error(transparent)]
    Prefix(#[from] crate::bundle::PrefixError),
    /// An entry breaks a bundle's append policy.
    #[error("append policy: {violation} [entry {}: {uri}]{}", violation.index, other.as_ref().map(|(i, u)| format!(" [entry {i}: {u}]")).unwrap_or_default())]
    Policy {
        /// The violation.
        violation: measure_core::append::PolicyViolation,
        /// The offending entry's URI, as Python's `repr` shows it.
        uri: String,
        /// For a duplicate: the earlier entry's index and URI.
        other: Option<(u32, String)>,
    },
    /// An Intel SGX SDK enclave, configuration or signed enclave that cannot be used.
    #[error(transparent)]
    Sdk(#[from] crate::sdk::SdkFileError),
    /// Shards that cannot be made or joined.
    #[error(transparent)]
    Shard(#[from] crate::shard::ShardError),
    /// An argument that cannot be used (its name and the problem).
    #[error("{0}")]
    Invalid(String),
    /// An internal consistency check failed (a bug: please report it).
    #[error("internal error: {0}")]
    Internal(String),
    /// An error, and where it happened (a file, an input, a step).
    #[error("{context}")]
    Context {
        /// Where.
        context: String,
        /// The error.
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// Wraps this error with where it happened.
    pub fn context(self, context: impl Into<String>) -> Error {
        Error::Context {
            context: context.into(),
            source: Box::new(self),
        }
    }

    /// The innermost error below any [`Error::Context`] layers.
    pub fn root(&self) -> &Error {
        match self {
            Error::Context { source, .. } => source.root(),
            other => other,
        }
    }
}

/// Adds context to a fallible result, as `anyhow::Context` does, keeping the error typed.
pub trait ResultExt<T> {
    /// Wraps the error with `context`.
    fn context(self, context: impl Into<String>) -> Result<T>;
    /// Wraps the error with the context `f` returns (called only on error).
    fn with_context<S: Into<String>>(self, f: impl FnOnce() -> S) -> Result<T>;
}

impl<T, E: Into<Error>> ResultExt<T> for std::result::Result<T, E> {
    fn context(self, context: impl Into<String>) -> Result<T> {
        self.map_err(|e| e.into().context(context))
    }
    fn with_context<S: Into<String>>(self, f: impl FnOnce() -> S) -> Result<T> {
        self.map_err(|e| e.into().context(f()))
    }
}

/// An error and its causes joined by `": "`: `cannot read manifest app.manifest: No such file or
/// directory (os error 2)`.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    Chain(err).to_string()
}

/// Displays an error and its causes joined by `": "` (see [`chain`]).
#[derive(Clone, Copy)]
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut next = self.0.source();
        while let Some(e) = next {
            write!(f, ": {e}")?;
            next = e.source();
        }
        Ok(())
    }
}

impl fmt::Debug for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
