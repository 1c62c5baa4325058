//! `sgx-measure bundle`: the algorithm owner's base bundle.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use measure_core::append::{AppendedManifest, mrenclave_unchecked};
use measure_core::bundle::{self, Bundle, BundleBuilder, Form};
use measure_core::elf::Elf;
use measure_core::entries::{self as core_entries, EntryList};
use measure_core::profile::GramineVersion;
use sha2::{Digest, Sha256};

use super::measure_parsed;
use super::pipeline::PipelineArgs;
use measure_lib::toml::{self, Dialect, Table, Value};
use measure_lib::{fsutil, manifest};

/// Make a base bundle: everything a verifier needs to recompute MRENCLAVE for this base manifest
/// and PAL with any data owner's entries appended (see docs/formats.md).
///
/// Base trusted files are expanded and hashed exactly as `sign` does. Without --allow-prefix the
/// bundle accepts no appended entry; each prefix must start with file: and end with /.
#[derive(Args, Debug)]
#[command(
    after_help = "Example:\n  sgx-measure bundle -m base.manifest -l libpal.so --allow-prefix file:/data/ -o base.bundle"
)]
pub struct BundleArgs {
    /// The base manifest (.manifest, as given to gramine-sgx-sign; never the signed .manifest.sgx,
    /// whose expanded list hides which entries had no hash).
    #[arg(short = 'm', long, value_name = "FILE")]
    pub manifest: PathBuf,
    /// The PAL.
    #[arg(short = 'l', long, value_name = "FILE", default_value = super::sign::DEFAULT_LIBPAL)]
    pub libpal: PathBuf,
    /// URI prefix data owners' entries may use (repeatable).
    #[arg(long = "allow-prefix", value_name = "URI_PREFIX")]
    pub allow_prefix: Vec<String>,
    /// Output bundle.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: PathBuf,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// Print only the bundle's SHA-256.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Marker entries rendered into the base to find where appended entries go. They contain a
/// private-use character no real manifest has; the split checks that each occurs exactly once.
/// The sections marker is longer than tomli_w's 100-character inline limit.
const SECTIONS_MARKER: (&str, &str) = (
    "file:/\u{F8FF}sgx-measure append point\u{F8FF}",
    "\u{F8FF}sgx-measure append point, too long to be written inline: 0123456789abcdef\u{F8FF}",
);
const INLINE_MARKER: (&str, &str) = ("\u{F8FF}", "\u{F8FE}");

fn with_list(base: &Table, list: Vec<Value>) -> Table {
    let mut t = base.clone();
    if let Some(Value::Table(sgx)) = t.get_mut("sgx") {
        sgx.insert("trusted_files", Value::Array(list));
    }
    t
}

fn entry_value(uri: &str, sha: &str) -> Value {
    let mut e = Table::new();
    e.insert("uri", Value::String(uri.into()));
    e.insert("sha256", Value::String(sha.into()));
    Value::Table(e)
}

/// Splits `text` around the only occurrence of `marker`.
fn split_once_exactly<'t>(text: &'t str, marker: &str) -> Option<(&'t str, &'t str)> {
    let at = text.find(marker)?;
    if text[at + 1..].contains(marker) {
        return None;
    }
    Some((&text[..at], &text[at + marker.len()..]))
}

/// What `bundle` made.
pub struct Made {
    /// The bundle bytes.
    pub bytes: Vec<u8>,
    /// MRENCLAVE of the base enclave (no entries appended).
    pub base_mrenclave: [u8; 32],
    /// Number of base trusted files.
    pub base_files: usize,
}

/// Checks an `--allow-prefix`.
fn check_prefix(p: &str) -> Result<()> {
    if !p.starts_with("file:") {
        bail!(
            "--allow-prefix {p:?}: must start with \"file:\" (the only URI scheme of trusted files)"
        );
    }
    if p != "file:" && !p.ends_with('/') {
        bail!(
            "--allow-prefix {p:?}: must end with \"/\" (otherwise \"{p}\" would also admit \"{p}x/...\"), or be exactly \"file:\""
        );
    }
    if p.contains("/./") || p.contains("/../") || p.contains("//") {
        bail!("--allow-prefix {p:?}: must not contain \".\" or \"..\" segments or \"//\"");
    }
    Ok(())
}

/// Builds a bundle from a base manifest and a PAL (the library form of the command).
pub fn make(args: &BundleArgs) -> Result<Made> {
    for p in &args.allow_prefix {
        check_prefix(p)?;
    }
    let opts = args.pipeline.options()?;
    let dialect = args.pipeline.dialect()?;
    let version = opts.version;
    let input = fsutil::read(&args.manifest, "manifest")?;
    let libpal = fsutil::read(&args.libpal, "libpal")?;
    let elf = Elf::parse(&libpal).with_context(|| format!("libpal {}", args.libpal.display()))?;
    let mut hasher = crate::progress::file_hasher(args.pipeline.hash_cache.as_deref(), args.quiet)?;
    let expanded = manifest::expand(&input, &opts, &mut hasher)?;
    let base = &expanded.manifest;
    let base_bytes = toml::try_emit(base, dialect)?;
    // v1.0 to v1.3 measure the written manifest as read back by toml 0.10.2.
    let measured_table = if version <= GramineVersion::V1_3 {
        manifest::legacy::reread(&base_bytes, version)?
    } else {
        base.clone()
    };
    let measured = measure_parsed(
        base_bytes.as_bytes(),
        measured_table,
        &libpal,
        &args.libpal.display().to_string(),
        version,
    )?;

    // The base list, as strings (a hash given as another TOML type cannot be carried).
    let Some(Value::Array(list)) = base.get_path(&["sgx", "trusted_files"]) else {
        bail!("the expanded manifest has no sgx.trusted_files list")
    };
    let mut base_entries = Vec::with_capacity(list.len());
    for (item, hashed_here) in list.iter().zip(expanded.hashed_here.iter().copied()) {
        let (Some(uri), Some(sha)) = (
            item.as_table()
                .and_then(|t| t.get("uri"))
                .and_then(Value::as_str),
            item.as_table()
                .and_then(|t| t.get("sha256"))
                .and_then(Value::as_str),
        ) else {
            bail!(
                "base trusted file {} has a hash that is not a string; bundles need string hashes",
                measure_lib::manifest::pypath::repr(item)
            );
        };
        base_entries.push((uri.to_string(), sha.to_string(), hashed_here));
    }

    // Sections form: always. Inline form: when the base list (and a minimal entry) renders inline.
    let mut with_marker = list.clone();
    with_marker.push(entry_value(SECTIONS_MARKER.0, SECTIONS_MARKER.1));
    let sections_text = toml::try_emit(&with_list(base, with_marker), dialect)?;
    let sections_marker = if dialect == Dialect::Toml0102 {
        // toml 0.10.2: each element of an array of tables is its block plus an empty line.
        // toml 0.10.2 writes the private-use marker character as `\uf8ff`.
        let q = |v: &str| toml::toml0102::encoder::dump_str(v).map_err(|e| anyhow::anyhow!(e.0));
        format!(
            "[[sgx.trusted_files]]\nuri = {}\nsha256 = {}\n\n",
            q(SECTIONS_MARKER.0)?,
            q(SECTIONS_MARKER.1)?
        )
    } else {
        format!(
            "\n[[sgx.trusted_files]]\nuri = \"{}\"\nsha256 = \"{}\"\n",
            SECTIONS_MARKER.0, SECTIONS_MARKER.1
        )
    };
    let (s_prefix, s_suffix) = split_once_exactly(&sections_text, &sections_marker).context(
        "internal error: cannot locate the trusted-file sections in the rendered base manifest",
    )?;

    let mut with_marker = list.clone();
    with_marker.push(entry_value(INLINE_MARKER.0, INLINE_MARKER.1));
    let inline_text = toml::try_emit(&with_list(base, with_marker), dialect)?;
    let inline_marker = format!(
        "    {{ uri = \"{}\", sha256 = \"{}\" }},\n",
        INLINE_MARKER.0, INLINE_MARKER.1
    );
    let inline = split_once_exactly(&inline_text, &inline_marker);

    let empty = list.is_empty().then_some(base_bytes.as_bytes());
    let prefixes: Vec<&str> = args.allow_prefix.iter().map(String::as_str).collect();
    let info = format!(
        "created-by=sgx-measure {}\ngramine={}\ntomli-w={}\nbase-manifest-sha256={}\nlibpal-sha256={}\nbase-mrenclave={}\n",
        env!("CARGO_PKG_VERSION"),
        version.as_str(),
        match dialect {
            Dialect::TomliW04 => "0.4",
            Dialect::Toml0102 => "none (toml 0.10.2)",
            _ => "1",
        },
        hex::encode(Sha256::digest(&input)),
        hex::encode(Sha256::digest(&libpal)),
        hex::encode(measured.mrenclave),
    );
    let builder = BundleBuilder {
        params: measured.attrs.params,
        dialect: match dialect {
            Dialect::TomliW04 => bundle::Dialect::TomliW04,
            Dialect::Toml0102 => bundle::Dialect::Toml0102,
            _ => bundle::Dialect::TomliW1,
        },
        pal_entry: elf.entry(),
        pal_segments: elf.load_segments().collect(),
        sections_form: Form {
            prefix: s_prefix.as_bytes(),
            suffix: s_suffix.as_bytes(),
        },
        inline_form: inline.map(|(p, s)| Form {
            prefix: p.as_bytes(),
            suffix: s.as_bytes(),
        }),
        empty_manifest: empty,
        allow_prefixes: prefixes,
        base_entries: base_entries
            .iter()
            .map(|(u, s, c)| (u.as_str(), s.as_str(), *c))
            .collect(),
        info: &info,
    };
    let bytes = builder.to_bytes();
    self_check(&bytes, base, list, dialect, &measured.mrenclave)?;
    Ok(Made {
        bytes,
        base_mrenclave: measured.mrenclave,
        base_files: list.len(),
    })
}

/// Before anything is written: the bundle must reproduce the full renderer's bytes for no entry,
/// one long entry and (when there is an inline form) one short entry, and the base MRENCLAVE.
fn self_check(
    bytes: &[u8],
    base: &Table,
    list: &[Value],
    dialect: Dialect,
    base_mrenclave: &[u8; 32],
) -> Result<()> {
    let b = Bundle::parse(bytes).context("internal error: the new bundle does not parse")?;
    let hex64 = "0123456789abcdef".repeat(4);
    let cases: [&[(&str, &str)]; 3] = [
        &[],
        &[("file:/sgx-measure/self-check/a long enough entry", &hex64)],
        &[("file:s", &hex64)],
    ];
    for entries in cases {
        let list_bytes = core_entries::encode(entries.iter().copied());
        let el = EntryList::parse(&list_bytes)?;
        let mut full = list.to_vec();
        full.extend(entries.iter().map(|(u, s)| entry_value(u, s)));
        let want = toml::try_emit(&with_list(base, full), dialect)?;
        let mut have = Vec::new();
        AppendedManifest::new(&b, el).render(&mut |c| have.extend_from_slice(c));
        if have != want.as_bytes() {
            bail!(
                "internal error: the bundle does not reproduce the manifest for {} appended entries",
                entries.len()
            );
        }
    }
    let el = EntryList::parse(core_entries::HEADER)?;
    if &mrenclave_unchecked(&b, el)? != base_mrenclave {
        bail!("internal error: the bundle does not reproduce the base MRENCLAVE");
    }
    Ok(())
}

/// Runs the command.
pub fn run(args: &BundleArgs) -> Result<()> {
    let made = make(args)?;
    fsutil::write_atomic(&args.output, &made.bytes)?;
    let digest = hex::encode(Sha256::digest(&made.bytes));
    if args.quiet {
        println!("{digest}");
    } else {
        println!(
            "bundle: {} ({} bytes)",
            args.output.display(),
            made.bytes.len()
        );
        println!("bundle sha256: {digest}");
        println!("base mrenclave: {}", hex::encode(made.base_mrenclave));
        println!("base trusted files: {}", made.base_files);
        if args.allow_prefix.is_empty() {
            println!("append policy: no entries may be appended (no --allow-prefix)");
        } else {
            println!(
                "append policy: entries under {}",
                args.allow_prefix.join(", ")
            );
        }
    }
    Ok(())
}
