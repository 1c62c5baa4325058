//! The module's functions: measurement, signing, the manifest pipeline, dataset hashing,
//! entries and CONFIGID. Work that takes time (hashing, measuring, signing) runs with the GIL
//! released.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use measure_lib::dataset::{self, EntryFormat, Hashed};
use measure_lib::entries::{self, EntryRec};
use measure_lib::hashing::{FileHasher, Progress};
use measure_lib::manifest::DEFAULT_LIBOS;
use measure_lib::measure::measure_parsed;
use measure_lib::pipeline::{self, Options, Warnings};
use measure_lib::signer::Signer;
use measure_lib::sigstruct::{
    default_sigfile, load_private_key, parse_date, parse_private_key_pem,
};
use measure_lib::{fsutil, outputs};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::args::{self, EntriesArg, Input, opt_path, path_arg, type_name};
use crate::entry::Entry;
use crate::errors::{Class, Failure, R};
use crate::sigstruct::Sigstruct;

/// Gramine's warnings, collected while the GIL is released and issued afterwards as
/// `sgx_measure.GramineWarning`.
#[derive(Clone, Default)]
pub struct Collected(Arc<Mutex<Vec<String>>>);

impl Collected {
    pub fn sink(&self) -> Warnings {
        let c = Arc::clone(&self.0);
        Warnings::new(move |w| {
            if let Ok(mut v) = c.lock() {
                v.push(w.to_string());
            }
        })
    }

    pub fn emit(&self, py: Python<'_>) -> PyResult<()> {
        let messages = match self.0.lock() {
            Ok(mut v) => std::mem::take(&mut *v),
            Err(_) => return Ok(()),
        };
        if messages.is_empty() {
            return Ok(());
        }
        let category = py
            .import("sgx_measure._errors")?
            .getattr("GramineWarning")?;
        for m in messages {
            PyErr::warn(
                py,
                &category,
                &std::ffi::CString::new(m.replace('\0', " ")).unwrap_or_default(),
                1,
            )?;
        }
        Ok(())
    }
}

/// The pipeline options shared by `sign`, `expand` and `Bundle.build`.
pub struct PipelineArgs {
    pub options: Options,
    pub hash_cache: Option<PathBuf>,
    pub warnings: Collected,
}

impl PipelineArgs {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        gramine: &str,
        tomli_w: &str,
        libos: Option<&Bound<'_, PyAny>>,
        libos_sha256: Option<String>,
        chroot: Option<&Bound<'_, PyAny>>,
        hash_cache: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PipelineArgs> {
        let version = args::version(gramine)?;
        let tomli_w = args::tomli_w(tomli_w)?;
        let libos = opt_path(libos, "libos")?.unwrap_or_else(|| PathBuf::from(DEFAULT_LIBOS));
        let chroot = opt_path(chroot, "chroot")?;
        if let Some(c) = &chroot
            && !c.is_dir()
        {
            return Err(
                Failure::argument(format!("chroot {}: not a directory", c.display())).into(),
            );
        }
        if let Some(h) = &libos_sha256
            && !(h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(Failure::argument(format!(
                "libos_sha256: {h:?} is not a SHA-256 (64 hex digits)"
            ))
            .into());
        }
        let warnings = Collected::default();
        let options = Options {
            version,
            writer: Some(tomli_w),
            chroot,
            libos,
            libos_sha256,
            warnings: warnings.sink(),
        };
        options.dialect().map_err(Failure::from)?;
        Ok(PipelineArgs {
            options,
            hash_cache: opt_path(hash_cache, "hash_cache")?,
            warnings,
        })
    }

    pub fn hasher(&self) -> R<FileHasher> {
        Ok(FileHasher::new(self.hash_cache.as_deref())?)
    }
}

/// MRENCLAVE (64 hex digits) of a final manifest (`.manifest.sgx`, measured exactly as given)
/// and libpal, as ``gramine-sgx-sign`` computes it.
#[pyfunction]
#[pyo3(signature = (manifest_sgx, libpal, *, gramine = crate::args::DEFAULT_GRAMINE))]
pub fn mrenclave(
    py: Python<'_>,
    manifest_sgx: &Bound<'_, PyAny>,
    libpal: &Bound<'_, PyAny>,
    gramine: &str,
) -> PyResult<String> {
    let manifest = Input::extract(manifest_sgx, "manifest_sgx")?;
    let libpal = Input::extract(libpal, "libpal")?;
    let version = args::version(gramine)?;
    let warnings = Collected::default();
    let sink = warnings.sink();
    let out = py.detach(|| -> R<[u8; 32]> {
        let m = manifest.read("manifest")?;
        let pal = libpal.read("libpal")?;
        let table = pipeline::read_final(&m, version, &sink)?;
        Ok(measure_parsed(&m, table, &pal, &libpal.name(), version)?.mrenclave)
    });
    warnings.emit(py)?;
    Ok(hex::encode(out?))
}

/// A signed enclave: what ``sign`` wrote.
#[pyclass(module = "sgx_measure", frozen)]
pub struct Signed {
    /// MRENCLAVE (64 hex digits).
    #[pyo3(get)]
    mrenclave: String,
    /// MRSIGNER: SHA-256 of the signing key's modulus (64 hex digits).
    #[pyo3(get)]
    mrsigner: String,
    manifest_sgx: PathBuf,
    sig: PathBuf,
    /// The SIGSTRUCT written to ``sig``.
    #[pyo3(get)]
    sigstruct: Py<Sigstruct>,
}

#[pymethods]
impl Signed {
    /// The final manifest written (``output``).
    #[getter]
    fn manifest_sgx(&self) -> PathBuf {
        self.manifest_sgx.clone()
    }

    /// The SIGSTRUCT file written (``sigfile``).
    #[getter]
    fn sig(&self) -> PathBuf {
        self.sig.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "Signed(mrenclave='{}', manifest_sgx='{}', sig='{}')",
            self.mrenclave,
            self.manifest_sgx.display(),
            self.sig.display()
        )
    }
}

/// The signer with the key read from a PEM file or bytes.
fn with_key(signer: Signer, key: &Input, passphrase: Option<&str>) -> R<Signer> {
    match key {
        Input::Path(p) => Ok(signer.key(load_private_key(p, passphrase)?)),
        Input::Bytes(b) => {
            let text = std::str::from_utf8(b).map_err(|_| {
                Failure::from(measure_lib::Error::from(
                    measure_lib::error::KeyError::NotText {
                        what: "signing key <bytes>".into(),
                    },
                ))
            })?;
            Ok(signer.key(
                parse_private_key_pem(text, passphrase, "signing key <bytes>")
                    .map_err(measure_lib::Error::from)?,
            ))
        }
    }
}

/// Signs an enclave as ``gramine-sgx-sign`` does: writes ``output`` (the ``.manifest.sgx``) and
/// ``sigfile`` (the ``.sig``), byte-identical to Gramine's for the same inputs, key and date.
/// Nothing is written unless everything succeeds.
#[pyfunction]
#[pyo3(signature = (manifest, *, libpal, key, output, sigfile = None, date = "today", gramine = crate::args::DEFAULT_GRAMINE, tomli_w = "1", libos = None, libos_sha256 = None, hash_cache = None, chroot = None, passphrase = None))]
#[allow(clippy::too_many_arguments)]
pub fn sign(
    py: Python<'_>,
    manifest: &Bound<'_, PyAny>,
    libpal: &Bound<'_, PyAny>,
    key: &Bound<'_, PyAny>,
    output: &Bound<'_, PyAny>,
    sigfile: Option<&Bound<'_, PyAny>>,
    date: &str,
    gramine: &str,
    tomli_w: &str,
    libos: Option<&Bound<'_, PyAny>>,
    libos_sha256: Option<String>,
    hash_cache: Option<&Bound<'_, PyAny>>,
    chroot: Option<&Bound<'_, PyAny>>,
    passphrase: Option<String>,
) -> PyResult<Signed> {
    let manifest = Input::extract(manifest, "manifest")?;
    let libpal = Input::extract(libpal, "libpal")?;
    let key = Input::extract(key, "key")?;
    let output = path_arg(output, "output")?;
    let sigfile = match opt_path(sigfile, "sigfile")? {
        Some(s) => s,
        // Gramine's default: the manifest's path with .manifest replaced by .sig; for a manifest
        // given as bytes, the same rule on the output's path without its final .sgx.
        None => match manifest.path() {
            Some(p) => default_sigfile(p),
            None => {
                let out = output.to_string_lossy();
                default_sigfile(std::path::Path::new(
                    out.strip_suffix(".sgx").unwrap_or(&out),
                ))
            }
        },
    };
    let pipe = PipelineArgs::new(gramine, tomli_w, libos, libos_sha256, chroot, hash_cache)?;
    let date = parse_date(date).map_err(Failure::from)?;
    let signed_and_sigstruct = py.detach(|| -> R<_> {
        // As `sgx-measure sign`: outputs that are another output or an input are refused, and
        // the .manifest.sgx and .sig are put in place as one set (measure_lib::outputs), so that
        // they are only ever seen together, whatever fails or is interrupted.
        let outputs: Vec<fsutil::Named<'_>> =
            vec![("output manifest", &output), ("sigfile", &sigfile)];
        let mut inputs: Vec<fsutil::Named<'_>> = Vec::new();
        for (what, i) in [
            ("manifest", &manifest),
            ("libpal", &libpal),
            ("signing key", &key),
        ] {
            if let Some(p) = i.path() {
                inputs.push((what, p));
            }
        }
        if let Some(c) = &pipe.hash_cache {
            inputs.push(("hash cache", c));
        }
        fsutil::check_distinct(&outputs, &inputs, &Default::default())?;
        let dests: Vec<&std::path::Path> = outputs.iter().map(|(_, p)| *p).collect();
        let set = outputs::OutputSet::begin(&dests)?;
        let input = manifest.read("manifest")?;
        let pal = libpal.read("libpal")?;
        let signer = Signer::with_options(pipe.options.clone())
            .libpal(pal.into_owned(), libpal.name())
            .date(date);
        let signer = with_key(signer, &key, passphrase.as_deref())?;
        let mut hasher = pipe.hasher()?;
        let signed = signer.sign_with(&input, &mut hasher)?;
        // An output that is one of the trusted files just hashed would change it.
        fsutil::check_distinct(&outputs, &[], hasher.opened_files())?;
        set.write(0, signed.manifest.as_bytes())?;
        set.write(1, &signed.sigstruct.to_bytes())?;
        set.commit()?;
        hasher.save_cache()?;
        let sigstruct = signed.sigstruct;
        Ok((signed, sigstruct))
    });
    // Gramine's warnings come first, even when the call failed (as Gramine prints them).
    pipe.warnings.emit(py)?;
    let (signed, sigstruct) = signed_and_sigstruct?;
    Ok(Signed {
        mrenclave: hex::encode(signed.mrenclave()),
        mrsigner: hex::encode(signed.sigstruct.mrsigner()),
        manifest_sgx: output,
        sig: sigfile,
        sigstruct: Py::new(py, Sigstruct::new(sigstruct))?,
    })
}

/// The final manifest (``.manifest.sgx``) that ``gramine-sgx-sign`` would write, without
/// signing: defaults, trusted files expanded and hashed, written by the version's TOML writer.
/// Also written to ``output`` (atomically) when given.
#[pyfunction]
#[pyo3(signature = (manifest, *, output = None, gramine = crate::args::DEFAULT_GRAMINE, tomli_w = "1", libos = None, libos_sha256 = None, hash_cache = None, chroot = None))]
#[allow(clippy::too_many_arguments)]
pub fn expand<'py>(
    py: Python<'py>,
    manifest: &Bound<'py, PyAny>,
    output: Option<&Bound<'py, PyAny>>,
    gramine: &str,
    tomli_w: &str,
    libos: Option<&Bound<'py, PyAny>>,
    libos_sha256: Option<String>,
    hash_cache: Option<&Bound<'py, PyAny>>,
    chroot: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let manifest = Input::extract(manifest, "manifest")?;
    let output = opt_path(output, "output")?;
    let pipe = PipelineArgs::new(gramine, tomli_w, libos, libos_sha256, chroot, hash_cache)?;
    let text = py.detach(|| -> R<String> {
        let input = manifest.read("manifest")?;
        let mut hasher = pipe.hasher()?;
        let fin = pipeline::run(&input, &pipe.options, &mut hasher)?;
        if let Some(out) = &output {
            fsutil::write_atomic(out, fin.text.as_bytes())?;
        }
        hasher.save_cache()?;
        Ok(std::sync::Arc::unwrap_or_clone(fin.text))
    });
    pipe.warnings.emit(py)?;
    let text = text?;
    Ok(PyBytes::new(py, text.as_bytes()))
}

/// Bytes hashed so far and in all, shared with the hashing threads.
#[derive(Default)]
struct Counter {
    done: AtomicU64,
    total: AtomicU64,
}

struct SharedProgress(Arc<Counter>);

impl Progress for SharedProgress {
    fn start(&self, total_bytes: u64) {
        self.0.total.fetch_add(total_bytes, Ordering::Relaxed);
    }
    fn advance(&self, bytes: u64) {
        self.0.done.fetch_add(bytes, Ordering::Relaxed);
    }
    fn found(&self, bytes: u64) {
        self.0.total.fetch_add(bytes, Ordering::Relaxed);
    }
    fn finish(&self) {}
}

/// How often the progress callback is called.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// Hashes files (and directories, expanded as Gramine expands a directory URI: depth first,
/// names sorted, symlinked directories not followed) and returns their entries, as
/// ``sgx-measure hash-files`` does. The GIL is released while hashing. ``progress(done, total)``
/// is called from the caller's thread with the bytes hashed and to hash; ``total`` grows while
/// the walk finds files (a directory is hashed as it is walked) and equals ``done`` at the end.
#[pyfunction]
#[pyo3(signature = (paths, *, uri_prefix, shard = None, progress = None, hash_cache = None))]
pub fn hash_files(
    py: Python<'_>,
    paths: &Bound<'_, PyAny>,
    uri_prefix: Option<String>,
    shard: Option<(i64, i64)>,
    progress: Option<Py<PyAny>>,
    hash_cache: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let paths: Vec<PathBuf> =
        if paths.is_instance_of::<PyString>() || paths.hasattr("__fspath__")? {
            vec![path_arg(paths, "paths")?]
        } else {
            let iter = paths.try_iter().map_err(|_| {
                PyTypeError::new_err(format!(
                    "paths: expected a path or a list of paths, got {}",
                    type_name(paths)
                ))
            })?;
            let mut v = Vec::new();
            for (i, p) in iter.enumerate() {
                v.push(path_arg(&p?, &format!("paths[{i}]"))?);
            }
            v
        };
    let shard = shard.map(|(k, n)| crate::shard::spec(k, n)).transpose()?;
    if let Some(cb) = &progress
        && !cb.bind(py).is_callable()
    {
        return Err(PyTypeError::new_err(
            "progress: expected a callable(done_bytes, total_bytes)",
        ));
    }
    let hash_cache = opt_path(hash_cache, "hash_cache")?;
    let counter = Arc::new(Counter::default());
    let work = {
        let counter = Arc::clone(&counter);
        move || -> R<Hashed> {
            let mut hasher = FileHasher::new(hash_cache.as_deref())?
                .with_progress(Box::new(SharedProgress(counter)));
            // The shard record names the format `sgx-measure entries merge` writes; the entries
            // themselves do not depend on it.
            let hashed = dataset::hash_files(
                &paths,
                uri_prefix.as_deref(),
                &mut hasher,
                shard,
                EntryFormat::Toml,
            )?;
            hasher.save_cache()?;
            Ok(hashed)
        }
    };
    let entries = match progress {
        None => py.detach(work)?,
        Some(cb) => {
            // Hash on another thread; call the callback from this one (the caller's thread),
            // at most every PROGRESS_INTERVAL, and once at the end.
            let (tx, rx) = mpsc::channel();
            let rx = Mutex::new(rx);
            let result = std::thread::scope(|s| {
                s.spawn(move || {
                    let _ = tx.send(work());
                });
                let mut callback_error = None;
                loop {
                    let next = py.detach(|| match rx.lock() {
                        Ok(rx) => rx.recv_timeout(PROGRESS_INTERVAL),
                        Err(_) => Err(mpsc::RecvTimeoutError::Disconnected),
                    });
                    match next {
                        Ok(r) => break (r, callback_error),
                        Err(mpsc::RecvTimeoutError::Timeout) => {
                            if callback_error.is_none() {
                                let done = counter.done.load(Ordering::Relaxed);
                                let total = counter.total.load(Ordering::Relaxed);
                                if let Err(e) = cb.call1(py, (done, total)) {
                                    callback_error = Some(e);
                                }
                            }
                        }
                        Err(mpsc::RecvTimeoutError::Disconnected) => {
                            break (
                                Err(Failure::new(
                                    Class::Internal,
                                    "internal",
                                    "the hashing thread stopped",
                                )),
                                callback_error,
                            );
                        }
                    }
                }
            });
            // An exception raised by the callback is raised once hashing has ended (hashing
            // runs in native threads that cannot be interrupted).
            if let (_, Some(e)) = result {
                return Err(e);
            }
            let entries = result.0?;
            let done = counter.done.load(Ordering::Relaxed);
            let total = counter.total.load(Ordering::Relaxed);
            cb.call1(py, (done, total))?;
            entries
        }
    };
    match entries {
        Hashed::All(all) => Ok(all
            .iter()
            .map(|e| Entry {
                uri: e.uri(),
                sha256: e.sha256_hex(),
            })
            .collect::<Vec<_>>()
            .into_pyobject(py)?
            .into_any()
            .unbind()),
        Hashed::Shard(s) => Ok(crate::shard::to_py(py, s)?.unbind()),
    }
}

/// Reads a data owner's entries: ``[[sgx.trusted_files]]`` TOML, a JSON array, ``sha256sum``
/// lines or the canonical list, from a file or bytes. ``format=None`` detects it;
/// ``uri_prefix`` is put before each path of ``sha256sum`` lines.
#[pyfunction]
#[pyo3(signature = (path_or_bytes, *, format = None, uri_prefix = "file:"))]
pub fn read_entries(
    py: Python<'_>,
    path_or_bytes: &Bound<'_, PyAny>,
    format: Option<&str>,
    uri_prefix: &str,
) -> PyResult<Vec<Entry>> {
    let input = Input::extract(path_or_bytes, "path_or_bytes")?;
    let from = format.map(args::entries_format).transpose()?;
    let uri_prefix = uri_prefix.to_string();
    let records = py.detach(|| -> R<Vec<EntryRec>> {
        let bytes = input.read("entries")?;
        let from = from.unwrap_or_else(|| entries::detect(&bytes));
        let prefix = if from == entries::From::Sha256sum {
            Some(uri_prefix.as_str())
        } else if uri_prefix != "file:" {
            return Err(Failure::argument(
                "uri_prefix applies only to sha256sum input (other formats carry full URIs)",
            ));
        } else {
            None
        };
        entries::parse(&bytes, Some(from), prefix).map_err(|e| {
            let f = Failure::from(e);
            match input.path() {
                Some(p) => f.within(&format!("entries {}", p.display())),
                None => f,
            }
        })
    })?;
    Ok(records.into_iter().map(Entry::from).collect())
}

/// The bytes of entries in a format.
pub fn render(records: &[EntryRec], format: &str) -> R<Vec<u8>> {
    Ok(match format {
        "toml" => entries::render_as(records, entries::To::Toml),
        "json" => entries::render_as(records, entries::To::Json),
        "list" => entries::render_as(records, entries::To::List),
        "sha256sum" => {
            let pairs: Vec<(String, String)> = records
                .iter()
                .map(|e| (e.uri.clone(), e.sha256.clone()))
                .collect();
            dataset::render(&pairs, EntryFormat::Sha256sum).into_bytes()
        }
        _ => {
            return Err(Failure::argument(format!(
                "format: {format:?} is not an entries format (toml, json, sha256sum, list)"
            )));
        }
    })
}

/// Writes entries to a file (atomically) in a format: ``toml`` (``[[sgx.trusted_files]]``, as
/// ``hash-files`` writes it), ``json``, ``sha256sum`` or ``list`` (the canonical list).
#[pyfunction]
#[pyo3(signature = (entries, path, *, format))]
pub fn write_entries(
    py: Python<'_>,
    entries: &Bound<'_, PyAny>,
    path: &Bound<'_, PyAny>,
    format: &str,
) -> PyResult<()> {
    let records = args::records(entries, "entries")?;
    let path = path_arg(path, "path")?;
    let format = format.to_string();
    py.detach(|| -> R<()> {
        let bytes = render(&records, &format)?;
        Ok(fsutil::write_atomic(&path, &bytes)?)
    })?;
    Ok(())
}

/// The 64-byte CONFIGID (128 hex digits) committing to entries: SHA-256 of their canonical
/// list, then 32 zero bytes (``sgx-measure configid``).
#[pyfunction]
pub fn configid(py: Python<'_>, entries: &Bound<'_, PyAny>) -> PyResult<String> {
    let arg = EntriesArg::extract_list_only(entries, "entries")?;
    let id = py.detach(|| -> R<[u8; 64]> { Ok(arg.load()?.configid()?) })?;
    Ok(hex::encode(id))
}
