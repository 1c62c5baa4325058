//! `sgx-measure hash-files`: the data owner's command. Hashes files (and directories, expanded as
//! Gramine expands a directory URI) and emits `{uri, sha256}` entries.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};

use crate::fsutil;
use crate::hashing::FileHasher;
use crate::manifest::pypath;
use crate::toml::{self, Dialect, Table, Value};

/// Output format of the entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EntryFormat {
    /// `[[sgx.trusted_files]]` tables with `uri` and `sha256`.
    Toml,
    /// A JSON array of `{"uri": ..., "sha256": ...}`, one object per line.
    Json,
    /// `sha256sum` lines (`<hash>  <path>`, path = URI without `file:`).
    Sha256sum,
}

/// Hash dataset files at hardware speed and print the trusted-file entries a data owner publishes.
///
/// A directory is expanded as Gramine expands a directory URI (`file:DIR/`): depth-first, entries
/// sorted by name, symlinked directories not followed, unreadable and special files skipped.
/// URIs are `file:` + the path as given, or with --uri-prefix, the prefix + the path relative to
/// the argument (the file name for a file argument), so files can be hashed where they are stored
/// but listed where the enclave sees them.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure hash-files /mnt/datasets/owner1 --uri-prefix file:/data/ -o entries.toml\n  sgx-measure hash-files data/ --format sha256sum"
)]
pub struct HashFilesArgs {
    /// Files or directories to hash.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// URI prefix replacing each argument's own path (e.g. file:/data/).
    #[arg(long = "uri-prefix", value_name = "PREFIX")]
    pub uri_prefix: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "toml")]
    pub format: EntryFormat,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Hash cache (see `sign --help`).
    #[arg(long = "hash-cache", value_name = "FILE")]
    pub hash_cache: Option<PathBuf>,
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

fn utf8(p: &Path) -> Result<&str> {
    p.to_str()
        .with_context(|| format!("path {} is not valid UTF-8", p.display()))
}

fn sorted_children(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for e in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let e = e.with_context(|| format!("cannot list {}", dir.display()))?;
        match e.file_name().into_string() {
            Ok(n) => names.push(n),
            Err(n) => bail!("file name {n:?} in {} is not valid UTF-8", dir.display()),
        }
    }
    names.sort();
    Ok(names)
}

/// Files below `dir` in Gramine's directory expansion order, with their paths relative to `dir`.
fn walk(dir: &Path, rel: &str, out: &mut Vec<(PathBuf, String)>) -> Result<()> {
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
        if is_dir && !link {
            walk(&p, &rel, out)?;
        } else if is_file && std::fs::File::open(&p).is_ok() {
            out.push((p, rel));
        }
    }
    Ok(())
}

/// The (file to read, URI) pairs for the arguments.
pub fn collect(paths: &[PathBuf], uri_prefix: Option<&str>) -> Result<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    for arg in paths {
        let meta =
            std::fs::metadata(arg).with_context(|| format!("cannot read {}", arg.display()))?;
        let shown = pypath::normalize(utf8(arg)?);
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(arg, "", &mut files)?;
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
            bail!(
                "{} is neither a regular file nor a directory",
                arg.display()
            );
        }
    }
    Ok(out)
}

/// Renders entries in a format.
pub fn render(entries: &[(String, String)], format: EntryFormat) -> Result<String> {
    Ok(match format {
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
                toml::emit(&root, Dialect::TomliW1)
            }
        }
        EntryFormat::Json => {
            let mut s = String::from("[");
            for (i, (uri, sha)) in entries.iter().enumerate() {
                s.push_str(if i == 0 { "\n  " } else { ",\n  " });
                s.push_str(&serde_json::to_string(
                    &serde_json::json!({"uri": uri, "sha256": sha}),
                )?);
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
    })
}

/// Runs the command.
pub fn run(args: &HashFilesArgs) -> Result<()> {
    let files = collect(&args.paths, args.uri_prefix.as_deref())?;
    let mut hasher = FileHasher::new(args.hash_cache.as_deref(), args.quiet)?;
    let paths: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
    let mut entries = Vec::with_capacity(files.len());
    for ((p, uri), r) in files.into_iter().zip(hasher.hash_all(&paths)) {
        let h = r.with_context(|| format!("cannot hash {}", p.display()))?;
        entries.push((uri, hex::encode(h)));
    }
    let text = render(&entries, args.format)?;
    match &args.output {
        Some(path) => fsutil::write_atomic(path, text.as_bytes())?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    hasher.save_cache()?;
    Ok(())
}
