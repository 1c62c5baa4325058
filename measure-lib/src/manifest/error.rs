//! What Gramine's manifest processing refuses, with the manifest key, trusted file or path
//! concerned. The messages are Gramine's own where it has one (`Unsupported URI type: ...`), so
//! that a user can search for them; Gramine v1.0 to v1.3 die with a Python exception whose name
//! is kept in front ([`ManifestError::Python`]).

use std::path::PathBuf;

use measure_core::profile::GramineVersion;
use measure_core::size::SizeError;

/// Gramine's documentation of the trusted-file syntax, quoted in its error.
pub const TRUSTED_FILES_DOC: &str =
    "https://gramine.readthedocs.io/en/latest/manifest-syntax.html#trusted-files";

/// A manifest Gramine's signer refuses (or that this library cannot process as it would).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// Gramine v1.0 to v1.3: the Python exception the signer dies with, and its message.
    #[error("{exception}: {error}")]
    Python {
        /// `ManifestError`, `ValueError`, `AttributeError`, ...
        exception: &'static str,
        /// The message.
        error: Box<ManifestError>,
    },
    /// A key that must hold a table holds something else.
    #[error("manifest key `{key}` must be a table, found {found}")]
    NotATable {
        /// The key (`sgx`, `loader`, `sgx.cpu_features`).
        key: String,
        /// The Python type found.
        found: &'static str,
    },
    /// Python's `AttributeError` (v1.0 to v1.3): a value of the wrong type was used.
    #[error("'{found}' object has no attribute '{attribute}' ({concerns})")]
    NoAttribute {
        /// The Python type found.
        found: &'static str,
        /// The method Gramine called on it.
        attribute: &'static str,
        /// The key or entry concerned.
        concerns: String,
    },
    /// Python's `TypeError` (v1.0 and v1.1): iterating over something that is not a list.
    #[error("'{found}' object is not iterable ({key})")]
    NotIterable {
        /// The Python type found.
        found: &'static str,
        /// The key.
        key: String,
    },
    /// A key of the wrong type.
    #[error("{key} must be {expected}, found {found}")]
    WrongType {
        /// The key (`sgx.edmm_enable`, ...).
        key: String,
        /// What it must be (`a boolean`, `an integer`, ...).
        expected: &'static str,
        /// The Python type found.
        found: &'static str,
    },
    /// `sgx.enclave_size` is not a string.
    #[error(
        "sgx.enclave_size must be a string such as \"256M\", found {found} (Gramine fails with \"'{found}' object has no attribute 'endswith'\")"
    )]
    EnclaveSizeNotString {
        /// The Python type found.
        found: &'static str,
    },
    /// `sgx.enclave_size` is not a size.
    #[error("sgx.enclave_size = {value:?}")]
    EnclaveSize {
        /// The value.
        value: String,
        /// Why.
        #[source]
        source: SizeError,
    },
    /// A count that must not be negative.
    #[error("{key} must not be negative, found {value}")]
    Negative {
        /// The key.
        key: String,
        /// The value.
        value: i64,
    },
    /// `sgx.isvprodid` or `sgx.isvsvn` outside 0..=65535 (or not an integer).
    #[error(
        "{key} must be an integer from 0 to 65535, found {found} (Gramine: {shown} does not match required format <H)"
    )]
    IsvNotU16 {
        /// `sgx.isvprodid` or `sgx.isvsvn`.
        key: &'static str,
        /// The Python type found.
        found: &'static str,
        /// The value as Python prints it.
        shown: String,
    },
    /// `sgx.trusted_files` is neither a list nor (v1.0, v1.1) a table.
    #[error("Unsupported trusted files syntax, more info: {TRUSTED_FILES_DOC}")]
    TrustedFilesSyntax,
    /// A trusted-file entry that is neither a URI string nor a table with a `uri`.
    #[error("Unknown trusted file format: {entry}")]
    UnknownTrustedFileFormat {
        /// The entry, as Python's `repr` shows it.
        entry: String,
    },
    /// A trusted file's URI is not a string.
    #[error("trusted file URI must be a string, found {found} {shown}")]
    UriNotString {
        /// The Python type found.
        found: &'static str,
        /// The value, as Python's `repr` shows it.
        shown: String,
    },
    /// A URI that does not start with `file:`.
    #[error("Unsupported URI type: {uri}")]
    UnsupportedUri {
        /// The URI (as Gramine shows it).
        uri: String,
    },
    /// A trusted file that does not exist.
    #[error("Cannot resolve {path}")]
    CannotResolve {
        /// The path.
        path: String,
    },
    /// A directory whose URI does not end with `/`.
    #[error("Directory URI ({uri}) does not end with \"/\"")]
    DirectoryUriWithoutSlash {
        /// The URI (as Gramine shows it).
        uri: String,
    },
    /// A URI ending with `/` that is not a directory.
    #[error("URI {uri} ends with \"/\" but is not a directory")]
    SlashUriNotDirectory {
        /// The URI, as Python's `repr` shows it.
        uri: String,
    },
    /// A directory URI with a hash.
    #[error("Directory URI ({uri}) has sha256 specified")]
    DirectoryWithHash {
        /// The URI, as Python's `repr` shows it.
        uri: String,
    },
    /// A trusted file that is neither a regular file nor a directory.
    #[error("trusted file {path} is not a regular file or directory")]
    NotRegularFile {
        /// The path.
        path: String,
    },
    /// A trusted file that disappeared before it was hashed (Gramine v1.0 to v1.7).
    #[error("{}No such file or directory: {path}", if *.errno { "[Errno 2] " } else { "" })]
    NoSuchFile {
        /// The path, as Python's `repr` shows it.
        path: String,
        /// Whether the message carries Python's `[Errno 2]` (v1.0 to v1.3).
        errno: bool,
    },
    /// A trusted file that disappeared before it was hashed (Gramine v1.8 and later).
    #[error("Missing trusted file: {path}")]
    MissingTrustedFile {
        /// The path, as Python's `repr` shows it.
        path: String,
    },
    /// A trusted file that could not be hashed.
    #[error("cannot hash trusted file {}", path.display())]
    HashTrustedFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Two entries give different hashes for one URI (v1.6 and later).
    #[error("Two different sha256 values ({first} and {second}) for the same URI {uri}")]
    ConflictingHashes {
        /// The URI, as Python's `repr` shows it.
        uri: String,
        /// The first hash, as Python's `str` shows it.
        first: String,
        /// The second hash.
        second: String,
    },
    /// Keys other than `uri` and `sha256` in a trusted-file table (v1.6 and later).
    #[error("Leftover trusted file items: {items}")]
    LeftoverItems {
        /// The leftover keys and values, as Python's `repr` of a dict shows them.
        items: String,
    },
    /// The manifest has no `[sgx]` table where one is needed.
    #[error("manifest has no [sgx] table")]
    NoSgxTable,
    /// `sgx.trusted_files` is not a list after the defaults were applied.
    #[error("sgx.trusted_files is not a list")]
    TrustedFilesNotList,
    /// A directory of a trusted directory URI cannot be listed.
    #[error("cannot list directory {}", path.display())]
    ListDirectory {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file name that is not UTF-8.
    #[error("file name {name:?} in {} is not valid UTF-8", dir.display())]
    FileNameNotUtf8 {
        /// The name.
        name: std::ffi::OsString,
        /// The directory holding it.
        dir: PathBuf,
    },
    /// `--chroot` with a version whose signer has none.
    #[error("--chroot needs Gramine v1.6 or later (gramine-sgx-sign {version} has no --chroot)")]
    ChrootUnsupported {
        /// The Gramine version.
        version: GramineVersion,
    },
    /// A relative path with `--chroot`.
    #[error("only absolute paths can be measured in chroot (found {path})")]
    ChrootRelative {
        /// The path, as Python's `repr` shows it.
        path: String,
    },
    /// A path component below the chroot that is not a directory.
    #[error("cannot resolve {path} in chroot {}: {inner} is not a directory", chroot.display())]
    ChrootNotDirectory {
        /// The path.
        path: String,
        /// The chroot.
        chroot: PathBuf,
        /// The component that is not a directory.
        inner: String,
    },
    /// A symlink in the chroot whose target cannot be read.
    #[error("cannot read symlink {}", link.display())]
    ChrootReadLink {
        /// The symlink.
        link: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A symlink target that is not UTF-8.
    #[error("symlink {} has a target that is not valid UTF-8", link.display())]
    ChrootLinkNotUtf8 {
        /// The symlink.
        link: PathBuf,
    },
    /// A symlink loop in the chroot.
    #[error("too many levels of symbolic links resolving {path} in chroot {}", chroot.display())]
    ChrootLoop {
        /// The path inside the chroot.
        path: String,
        /// The chroot.
        chroot: PathBuf,
    },
    /// `loader.entrypoint` is neither a table nor (v1.8) a string.
    #[error("Unknown loader.entrypoint format (not a TOML table)")]
    EntrypointFormat,
    /// `loader.entrypoint.uri` is not a string.
    #[error("loader.entrypoint.uri must be a string")]
    EntrypointUriNotString,
    /// The LibOS path given is not UTF-8.
    #[error("--libos path is not valid UTF-8")]
    LibosNotUtf8,
    /// The LibOS to hash for `loader.entrypoint.sha256` does not exist.
    #[error(
        "loader.entrypoint: No such file or directory: {path} (the manifest has no loader.entrypoint.sha256: give the LibOS's hash with --libos-sha256, or point --libos at Gramine's libsysdb.so)"
    )]
    EntrypointMissing {
        /// The path, as Python's `repr` shows it.
        path: String,
    },
    /// The LibOS could not be hashed.
    #[error("loader.entrypoint: cannot hash {}", path.display())]
    EntrypointHash {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl ManifestError {
    /// The error as Gramine v1.0 to v1.3 print it: `exception: message`.
    pub fn python(exception: &'static str, error: ManifestError) -> ManifestError {
        ManifestError::Python {
            exception,
            error: Box::new(error),
        }
    }
}
