//! Gramine's manifest pipeline in one call: what `gramine-sgx-sign` does between reading the
//! `.manifest` and measuring the `.manifest.sgx` it wrote. `sign`, `expand`, `bundle`, `diff` and
//! the [`Signer`](crate::signer::Signer) all go through [`run`].
//!
//! 1. read the manifest as the version reads it (tomli, or toml 0.10.2 for v1.0 to v1.3);
//! 2. the `Manifest` constructor: the version's defaults, in its order;
//! 3. `expand_all_trusted_files`: directories expanded, duplicates resolved, missing hashes
//!    computed;
//! 4. write the final manifest with the version's TOML writer (tomli_w 1.x or 0.4, or toml
//!    0.10.2);
//! 5. what is measured: the written bytes, and the table Gramine reads back from them (v1.0 to
//!    v1.3 re-read the file they wrote with `toml.loads`; tomli_w's output reads back to the table
//!    it was written from, so later versions measure that table).
//!
//! ```
//! use measure_lib::pipeline::{self, Options};
//! use measure_lib::hashing::FileHasher;
//! use measure_core::GramineVersion;
//!
//! let source = b"[sgx]\nenclave_size = \"64M\"\n\n[loader.entrypoint]\nuri = \"file:libsysdb.so\"\nsha256 = \"00\"\n";
//! let opts = Options::new(GramineVersion::V1_9);
//! let out = pipeline::run(source, &opts, &mut FileHasher::new(None)?)?;
//! assert!(out.text.contains("max_threads = 4\n"));
//! let measured = out.measured()?;
//! assert_eq!(measured.get_path(&["sgx", "enclave_size"]).and_then(|v| v.as_str()), Some("64M"));
//! # Ok::<(), measure_lib::Error>(())
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use measure_core::profile::GramineVersion;

use crate::error::{Error, Result};
use crate::hashing::FileHasher;
use crate::manifest::{self, legacy};
use crate::toml::{self, Table, TomlWriter};

/// Where the pipeline reports Gramine's warnings (deprecated manifest syntax) as it meets them,
/// in Gramine's words. By default they are dropped; the command line prints them on standard
/// error, as `gramine-sgx-sign` does.
#[derive(Clone, Default)]
pub struct Warnings(Option<Arc<WarningFn>>);

/// A receiver of warnings.
type WarningFn = dyn Fn(&str) + Send + Sync;

impl Warnings {
    /// Calls `f` with each warning.
    pub fn new(f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Warnings(Some(Arc::new(f)))
    }

    /// Reports one warning.
    pub(crate) fn warn(&self, message: &str) {
        if let Some(f) = &self.0 {
            f(message);
        }
    }
}

impl std::fmt::Debug for Warnings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Warnings(reported)"
        } else {
            "Warnings(dropped)"
        })
    }
}

/// Options of the manifest pipeline: the command line's `--gramine`, `--tomli-w`, `--chroot`,
/// `--libos`, `--libos-sha256`.
#[derive(Clone, Debug)]
pub struct Options {
    /// Gramine version whose rules apply.
    pub version: GramineVersion,
    /// The TOML writer of the signing machine: tomli_w 1.x or 0.4 for v1.4 and later; `None`:
    /// the version's default (tomli_w 1.x, or toml 0.10.2 for v1.0 to v1.3).
    pub writer: Option<TomlWriter>,
    /// Measure trusted files inside this directory as if it were `/` (v1.6 and later).
    pub chroot: Option<PathBuf>,
    /// The LibOS whose path becomes the default `loader.entrypoint.uri` (v1.8 and later).
    pub libos: PathBuf,
    /// The LibOS's SHA-256 (64 hex digits), for machines that do not have the file.
    pub libos_sha256: Option<String>,
    /// Where Gramine's warnings go.
    pub warnings: Warnings,
}

impl Options {
    /// The options of `gramine-sgx-sign` of `version` with its defaults: tomli_w 1.x, no chroot,
    /// Gramine's installed LibOS ([`manifest::DEFAULT_LIBOS`]).
    pub fn new(version: GramineVersion) -> Self {
        Options {
            version,
            writer: None,
            chroot: None,
            libos: PathBuf::from(manifest::DEFAULT_LIBOS),
            libos_sha256: None,
            warnings: Warnings::default(),
        }
    }

    /// The TOML writer these options select ([`toml::writer_dialect`]).
    pub fn dialect(&self) -> Result<TomlWriter> {
        toml::writer_dialect(self.version, self.writer)
    }
}

/// What the pipeline produced: the `.manifest.sgx` and what Gramine measures of it.
#[derive(Clone, Debug)]
pub struct Final {
    /// The final manifest, as `gramine-sgx-sign` writes it (the `.manifest.sgx`; shared, so
    /// that it can be written out while it is measured).
    pub text: Arc<String>,
    /// The expanded manifest the text was written from.
    pub expanded: Table,
    /// Files the result depends on (expanded trusted files), for `--depfile`.
    pub deps: Vec<PathBuf>,
    /// For each final trusted file: whether its hash was computed here (the input had none).
    pub hashed_here: Vec<bool>,
    /// The TOML writer used.
    pub dialect: TomlWriter,
    /// The Gramine version.
    pub version: GramineVersion,
    /// Where Gramine's warnings go.
    warnings: Warnings,
}

impl Final {
    /// Whether the version measures the written text as read back rather than the expanded
    /// table (v1.0 to v1.3: toml 0.10.2's output does not always read back to the table it was
    /// written from).
    fn rereads(&self) -> bool {
        !self.dialect.reads_back_unchanged()
    }

    /// The table Gramine measures: the written text as the version reads it back (which can
    /// fail: Gramine v1.0 to v1.3 then fail after writing the `.manifest.sgx`).
    pub fn measured(&self) -> Result<std::borrow::Cow<'_, Table>> {
        if self.rereads() {
            read_final(self.text.as_bytes(), self.version, &self.warnings)
                .map(std::borrow::Cow::Owned)
        } else {
            Ok(std::borrow::Cow::Borrowed(&self.expanded))
        }
    }

    /// The text and the table Gramine measures.
    pub fn into_measured(self) -> Result<(Arc<String>, Table)> {
        if self.rereads() {
            let table = read_final(self.text.as_bytes(), self.version, &self.warnings)?;
            Ok((self.text, table))
        } else {
            Ok((self.text, self.expanded))
        }
    }
}

/// Runs the whole pipeline on a source manifest's bytes (see the [module](self) documentation).
pub fn run(manifest: &[u8], opts: &Options, hasher: &mut FileHasher) -> Result<Final> {
    let dialect = opts.dialect()?;
    let manifest::Expanded {
        manifest: expanded,
        deps,
        hashed_here,
    } = manifest::expand(manifest, opts, hasher)?;
    let text = Arc::new(toml::try_emit(&expanded, dialect)?);
    Ok(Final {
        text,
        expanded,
        deps,
        hashed_here,
        dialect,
        version: opts.version,
        warnings: opts.warnings.clone(),
    })
}

/// Reads a final manifest (`.manifest.sgx`) as Gramine `version` reads the file it wrote before
/// measuring it: tomli, or for v1.0 to v1.3 `toml.loads` (no newline translation) and the
/// `Manifest` constructor.
pub fn read_final(bytes: &[u8], version: GramineVersion, warnings: &Warnings) -> Result<Table> {
    if !version.rules().default_writer().reads_back_unchanged() {
        let text =
            std::str::from_utf8(bytes).map_err(|source| toml::TomlError::NotUtf8 { source })?;
        legacy::reread(text, version, warnings)
    } else {
        toml::parse(&toml::decode_text(bytes)?)
    }
}

/// Why `bytes` is not a final manifest (what `gramine-sgx-sign` writes, the `.manifest.sgx`),
/// or `None` if it is one as far as can be told without the files: every trusted file a table
/// with a `uri` (not a directory) and a `sha256`, `loader.entrypoint` complete (v1.8+), and every
/// key the signer always writes present (the `Manifest` constructor adds nothing). Measuring a
/// source manifest as it is gives an MRENCLAVE that no enclave has.
pub fn why_not_final(bytes: &[u8], version: GramineVersion) -> Result<Option<String>> {
    let given = parse_source(bytes, version)?;
    match given.get_path(&["sgx", "trusted_files"]) {
        None => {}
        Some(toml::Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let Some(t) = item.as_table() else {
                    return Ok(Some(format!(
                        "sgx.trusted_files[{i}] is not a table with a uri and a sha256 (the signer writes every trusted file as one)"
                    )));
                };
                let uri = t.get("uri").and_then(toml::Value::as_str).unwrap_or("");
                // (A URI ending with `/` and holding a hash is a file: v1.0-v1.3 wrote those.)
                if !t.contains_key("sha256") {
                    return Ok(Some(if uri.ends_with('/') {
                        format!(
                            "sgx.trusted_files[{i}] is the directory {uri:?} (the signer lists the files it holds, with their hashes)"
                        )
                    } else {
                        format!("the trusted file {uri:?} has no sha256 (the signer hashes it)")
                    }));
                }
            }
        }
        Some(_) => return Ok(Some("sgx.trusted_files is not a list".into())),
    }
    let rules = version.rules();
    if rules.completes_entrypoint()
        && !given
            .get_path(&["loader", "entrypoint"])
            .and_then(toml::Value::as_table)
            .is_some_and(|t| t.contains_key("uri") && t.contains_key("sha256"))
    {
        return Ok(Some(
            "loader.entrypoint has no uri and sha256 (the signer completes it)".into(),
        ));
    }
    // The constructor only adds keys (`setdefault`; trusted files are tables already): compared
    // by the keys it adds, not by value (a NaN is not equal to itself).
    let mut completed = given.clone();
    manifest::apply_defaults_only(&mut completed, &Options::new(version))?;
    let mut missing = Vec::new();
    missing_keys(&completed, &given, "", &mut missing);
    if !missing.is_empty() {
        return Ok(Some(format!(
            "it lacks {} (the signer always writes {})",
            missing.join(", "),
            if missing.len() == 1 { "it" } else { "them" }
        )));
    }
    Ok(None)
}

/// Refuses a manifest that is not final ([`why_not_final`]) where a final one is measured,
/// saying what to run instead.
pub fn require_final(bytes: &[u8], version: GramineVersion, path: &Path) -> Result<()> {
    match why_not_final(bytes, version)? {
        None => Ok(()),
        Some(why) => Err(Error::Invalid(format!(
            "{} is not a final manifest: {why}; its MRENCLAVE would be that of no enclave. Measure the .manifest.sgx that `sgx-measure sign` (or `sgx-measure expand`) writes from it, or give --as-is to measure these bytes as they are",
            path.display()
        ))),
    }
}

/// Dotted names of the keys of `full` that `given` lacks.
fn missing_keys(full: &Table, given: &Table, prefix: &str, out: &mut Vec<String>) {
    for (k, v) in full.iter() {
        let name = format!("{prefix}{k}");
        match (v, given.get(k)) {
            (toml::Value::Table(f), Some(toml::Value::Table(g))) => {
                missing_keys(f, g, &format!("{name}."), out)
            }
            (_, None) => out.push(name),
            _ => {}
        }
    }
}

/// Parses a source manifest as Gramine `version`'s reader does, before the `Manifest`
/// constructor adds anything: tomli, or for v1.0 to v1.3 `toml.loads` (after universal newline
/// decoding in both cases).
pub fn parse_source(bytes: &[u8], version: GramineVersion) -> Result<Table> {
    toml::parse_for(&toml::decode_text(bytes)?, version.rules().default_writer())
}

/// The Gramine depfile (`--depfile`): `OUTPUT:` then one dependency per continued line, each
/// name escaped as GCC writes depfiles (what both Make and Ninja read): a space or TAB as
/// `\ ` (backslashes just before it doubled), `#` as `\#`, `$` as `$$`. Names that no depfile
/// can carry are refused rather than written so that a build tool would read another name: a
/// newline or carriage return, a backslash before `#` or at the end of the name (Make and Ninja
/// read those differently), and names that are not UTF-8.
pub fn depfile(output: &Path, deps: &[PathBuf]) -> Result<String> {
    let mut s = String::new();
    escape_depfile_name(output, &mut s)?;
    s.push(':');
    for d in deps {
        s.push_str(" \\\n\t");
        escape_depfile_name(d, &mut s)?;
    }
    s.push('\n');
    Ok(s)
}

/// Appends `path` escaped for a depfile (see [`depfile`]).
fn escape_depfile_name(path: &Path, out: &mut String) -> Result<()> {
    let refuse = |problem: &'static str| Error::Depfile {
        path: path.to_path_buf(),
        problem,
    };
    let name = path
        .to_str()
        .ok_or_else(|| refuse("the name is not valid UTF-8"))?;
    let mut backslashes = 0usize;
    for c in name.chars() {
        match c {
            '\n' | '\r' => return Err(refuse("a depfile cannot hold a line break in a name")),
            '#' if backslashes > 0 => {
                return Err(refuse(
                    "a backslash before '#' is read differently by Make and Ninja",
                ));
            }
            ' ' | '\t' => {
                // 2N+1 backslashes before a blank stand for N backslashes and the blank.
                out.extend(std::iter::repeat_n('\\', backslashes));
                out.push('\\');
            }
            '#' => out.push('\\'),
            '$' => out.push('$'),
            _ => {}
        }
        out.push(c);
        backslashes = if c == '\\' { backslashes + 1 } else { 0 };
    }
    if backslashes > 0 {
        return Err(refuse(
            "a name ending with a backslash is read differently by Make and Ninja",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spaces, TABs, `#` and `$` are escaped as GCC writes depfiles (they used to be written as
    /// is, so Make and Ninja read other names); names no depfile can carry are refused.
    #[test]
    fn depfile_names_escaped_as_make_and_ninja_read_them() {
        let deps: Vec<PathBuf> = [
            "a b.bin",
            "c\td",
            "x#y",
            "cost$5",
            "back\\slash",
            "two\\ sp",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(
            depfile(Path::new("out dir/app.manifest.sgx"), &deps).unwrap(),
            "out\\ dir/app.manifest.sgx: \\\n\ta\\ b.bin \\\n\tc\\\td \\\n\tx\\#y \\\n\tcost$$5 \\\n\tback\\slash \\\n\ttwo\\\\\\ sp\n"
        );
        for bad in ["line\nbreak", "cr\rname", "ends\\", "bs\\#hash"] {
            let e = depfile(Path::new("o"), &[PathBuf::from(bad)]).unwrap_err();
            assert!(matches!(e, Error::Depfile { .. }), "{bad:?}: {e}");
        }
        let e = depfile(Path::new("o\nx"), &[]).unwrap_err();
        assert!(e.to_string().contains("line break"), "{e}");
    }
}
