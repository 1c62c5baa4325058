//! The data owner's side: the files of a dataset, found as Gramine expands a directory URI, and
//! their `{uri, sha256}` entries rendered in the formats data owners publish.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::manifest::pypath;
use crate::toml::{self, Table, TomlWriter, Value};

/// Output format of the entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryFormat {
    /// `[[sgx.trusted_files]]` tables with `uri` and `sha256`.
    Toml,
    /// A JSON array of `{"uri": ..., "sha256": ...}`, one object per line.
    Json,
    /// `sha256sum` lines (`<hash>  <path>`, path = URI without `file:`).
    Sha256sum,
}

fn utf8(p: &Path) -> Result<&str> {
    p.to_str().ok_or_else(|| Error::NotUtf8Path {
        path: p.to_path_buf(),
    })
}

fn sorted_children(dir: &Path) -> Result<Vec<String>> {
    let list_error = |source| Error::List {
        path: dir.to_path_buf(),
        source,
    };
    let mut names = Vec::new();
    for e in std::fs::read_dir(dir).map_err(list_error)? {
        let e = e.map_err(list_error)?;
        match e.file_name().into_string() {
            Ok(n) => names.push(n),
            Err(name) => {
                return Err(crate::manifest::ManifestError::FileNameNotUtf8 {
                    name,
                    dir: dir.to_path_buf(),
                }
                .into());
            }
        }
    }
    names.sort();
    Ok(names)
}

/// Files below `dir` in Gramine's directory expansion order, with their paths relative to `dir`.
/// Why a path inside a directory argument was not hashed (Gramine's expansion of a directory
/// URI leaves the same paths out).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// A symbolic link to nothing.
    DanglingLink,
    /// A directory reached through a symbolic link (not followed).
    LinkedDirectory,
    /// A FIFO, socket or device.
    SpecialFile,
    /// A regular file that cannot be opened.
    Unreadable,
}

impl SkipReason {
    /// Plural description, for summaries (`2 dangling symbolic links`).
    pub fn describe(self, n: usize) -> String {
        let (one, many) = match self {
            Self::DanglingLink => ("dangling symbolic link", "dangling symbolic links"),
            Self::LinkedDirectory => (
                "directory reached through a symbolic link",
                "directories reached through symbolic links",
            ),
            Self::SpecialFile => (
                "special file (FIFO, socket, device)",
                "special files (FIFOs, sockets, devices)",
            ),
            Self::Unreadable => ("unreadable file", "unreadable files"),
        };
        format!("{n} {}", if n == 1 { one } else { many })
    }
}

/// A file to hash and the URI it is listed under.
pub type FileUri = (PathBuf, String);

/// A path left out of a directory's expansion, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The path.
    pub path: PathBuf,
    /// Why.
    pub reason: SkipReason,
}

fn walk(
    dir: &Path,
    rel: &str,
    out: &mut Vec<(PathBuf, String)>,
    skipped: &mut Vec<Skipped>,
) -> Result<()> {
    for name in sorted_children(dir)? {
        let p = dir.join(&name);
        let meta = std::fs::metadata(&p);
        let (is_file, is_dir) = meta
            .as_ref()
            .map(|m| (m.is_file(), m.is_dir()))
            .unwrap_or((false, false));
        let link = std::fs::symlink_metadata(&p)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        let rel = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let reason = if is_dir && !link {
            walk(&p, &rel, out, skipped)?;
            None
        } else if is_file && std::fs::File::open(&p).is_ok() {
            out.push((p.clone(), rel));
            None
        } else if is_file {
            Some(SkipReason::Unreadable)
        } else if is_dir {
            Some(SkipReason::LinkedDirectory)
        } else if link && meta.is_err() {
            Some(SkipReason::DanglingLink)
        } else {
            Some(SkipReason::SpecialFile)
        };
        if let Some(reason) = reason {
            skipped.push(Skipped { path: p, reason });
        }
    }
    Ok(())
}

/// Refuses a `--uri-prefix` that would give URIs Gramine does not mean: one that does not start
/// with `file:`, or that neither is `file:` nor ends with `/` (names would be glued to it:
/// `file:/data/owner1README`).
pub fn check_uri_prefix(prefix: &str) -> Result<()> {
    if !prefix.starts_with("file:") {
        return Err(Error::Invalid(format!(
            "--uri-prefix {prefix:?} does not start with \"file:\": trusted files are file: URIs (e.g. file:/data/)"
        )));
    }
    if prefix != "file:" && !prefix.ends_with('/') {
        return Err(Error::Invalid(format!(
            "--uri-prefix {prefix:?} does not end with '/': the file names would be glued to it ({prefix}README); write {prefix}/"
        )));
    }
    Ok(())
}

/// The (file to read, URI) pairs for the arguments. Two files giving the same URI (the same name
/// under two directories given with one `--uri-prefix`, or an argument given twice) are refused:
/// the entries would contradict each other.
pub fn collect(paths: &[PathBuf], uri_prefix: Option<&str>) -> Result<Vec<(PathBuf, String)>> {
    Ok(collect_reporting_skipped(paths, uri_prefix)?.0)
}

/// [`collect`], with the paths inside directory arguments that were left out, in walk order.
pub fn collect_reporting_skipped(
    paths: &[PathBuf],
    uri_prefix: Option<&str>,
) -> Result<(Vec<FileUri>, Vec<Skipped>)> {
    if let Some(pre) = uri_prefix {
        check_uri_prefix(pre)?;
    }
    let mut skipped = Vec::new();
    let out = collect_unchecked(paths, uri_prefix, &mut skipped)?;
    let mut seen: std::collections::HashMap<&str, &Path> =
        std::collections::HashMap::with_capacity(out.len());
    for (p, uri) in &out {
        if let Some(first) = seen.insert(uri.as_str(), p.as_path()) {
            return Err(Error::Invalid(format!(
                "{} and {} both give the URI {uri:?}{}",
                first.display(),
                p.display(),
                if uri_prefix.is_some() {
                    ": with --uri-prefix, the names of every argument start at the prefix; hash each directory with a prefix of its own, or give their parent directory"
                } else {
                    ": give each file once"
                }
            )));
        }
    }
    Ok((out, skipped))
}

fn collect_unchecked(
    paths: &[PathBuf],
    uri_prefix: Option<&str>,
    skipped: &mut Vec<Skipped>,
) -> Result<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    for arg in paths {
        let meta = std::fs::metadata(arg).map_err(|source| Error::Stat {
            path: arg.clone(),
            source,
        })?;
        let shown = pypath::normalize(utf8(arg)?);
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(arg, "", &mut files, skipped)?;
            for (p, rel) in files {
                let uri = match uri_prefix {
                    Some(pre) => format!("{pre}{rel}"),
                    None => format!("file:{}", pypath::join(&shown, &rel)),
                };
                out.push((p, uri));
            }
        } else if meta.is_file() {
            let uri = match uri_prefix {
                Some(pre) => format!(
                    "{pre}{}",
                    arg.file_name().and_then(|n| n.to_str()).unwrap_or_default()
                ),
                None => format!("file:{shown}"),
            };
            out.push((arg.clone(), uri));
        } else {
            return Err(Error::NotFileOrDir { path: arg.clone() });
        }
    }
    Ok(out)
}

/// Renders entries in a format.
pub fn render(entries: &[(String, String)], format: EntryFormat) -> String {
    match format {
        EntryFormat::Toml => {
            let list = entries
                .iter()
                .map(|(uri, sha)| {
                    let mut t = Table::new();
                    t.insert("uri", Value::String(uri.clone()));
                    t.insert("sha256", Value::String(sha.clone()));
                    Value::Table(t)
                })
                .collect();
            let mut sgx = Table::new();
            sgx.insert("trusted_files", Value::Array(list));
            let mut root = Table::new();
            root.insert("sgx", Value::Table(sgx));
            if entries.is_empty() {
                String::new()
            } else {
                toml::emit_tomli_w(&root, TomlWriter::TomliW1)
            }
        }
        EntryFormat::Json => {
            let mut s = String::from("[");
            for (i, (uri, sha)) in entries.iter().enumerate() {
                s.push_str(if i == 0 { "\n  " } else { ",\n  " });
                s.push_str(&serde_json::json!({"uri": uri, "sha256": sha}).to_string());
            }
            s.push_str(if entries.is_empty() { "]\n" } else { "\n]\n" });
            s
        }
        EntryFormat::Sha256sum => {
            let mut s = String::new();
            for (uri, sha) in entries {
                let path = uri.strip_prefix("file:").unwrap_or(uri);
                // GNU coreutils: a name with a backslash or newline is escaped and the line starts
                // with a backslash.
                if path.contains(['\\', '\n', '\r']) {
                    let esc = path
                        .replace('\\', "\\\\")
                        .replace('\n', "\\n")
                        .replace('\r', "\\r");
                    s.push_str(&format!("\\{sha}  {esc}\n"));
                } else {
                    s.push_str(&format!("{sha}  {path}\n"));
                }
            }
            s
        }
    }
}
