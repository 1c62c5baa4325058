//! The algorithm owner's base bundle: everything a verifier needs to recompute MRENCLAVE for a
//! base manifest and PAL with any data owner's entries appended (`docs/formats.md`), made from
//! the same [pipeline] `sign` runs and checked against it before it is returned.
//!
//! The base of one of Gramine's append test vectors (the `.manifest.sgx` Gramine wrote for it:
//! every trusted file hashed already), data owners allowed to add files under `/data/`:
//!
//! ```
//! use measure_lib::bundle::make;
//! use measure_lib::hashing::FileHasher;
//! use measure_lib::pipeline::Options;
//! use measure_core::GramineVersion;
//!
//! let case = "../testdata/vectors/public/pa01-append-1-entry";
//! let manifest = std::fs::read(format!("{case}/expected-base/v1.9_tomliw-1.2.0/out.manifest.sgx"))
//!     .expect("manifest");
//! let libpal = std::fs::read("../testdata/vectors/public/elf/pal-basic.so").expect("libpal");
//! let made = make(
//!     &manifest,
//!     &libpal,
//!     "pal-basic.so",
//!     &["file:/data/".to_string()],
//!     &Options::new(GramineVersion::V1_9),
//!     &mut FileHasher::new(None)?,
//! )?;
//! // The MRENCLAVE gramine-sgx-sign v1.9 gave the base.
//! assert_eq!(
//!     hex::encode(made.base_mrenclave),
//!     "f985a2856d110cff30dc995c84b179a8ada9cb12a95b3bb8e099aec1c195907a"
//! );
//! let bundle = measure_core::bundle::Bundle::parse(&made.bytes)?;
//! assert_eq!(bundle.params.version, GramineVersion::V1_9);
//! assert_eq!(bundle.policy.prefixes().collect::<Vec<_>>(), [b"file:/data/".as_slice()]);
//! # Ok::<(), measure_lib::Error>(())
//! ```
//!
//! [`crate::append`] appends a data owner's entries to it.

use measure_core::append::{AppendedManifest, mrenclave_unchecked};
use measure_core::bundle::{Bundle, BundleBuilder, Form};
use measure_core::elf::Elf;
use measure_core::entries::{self as core_entries, EntryList};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::hashing::FileHasher;
use crate::manifest::pypath;
use crate::measure::measure_parsed;
use crate::pipeline::{self, Options};
use crate::toml::{self, Table, TomlWriter, Value};

/// Why an allowed prefix (`--allow-prefix`) is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrefixError {
    /// Not a `file:` URI prefix.
    #[error(
        "--allow-prefix {prefix:?}: must start with \"file:\" (the only URI scheme of trusted files)"
    )]
    NotFile {
        /// The prefix.
        prefix: String,
    },
    /// A prefix that does not end a path segment.
    #[error(
        "--allow-prefix {prefix:?}: must end with \"/\" (otherwise \"{prefix}\" would also admit \"{prefix}x/...\"), or be exactly \"file:\""
    )]
    NoSlash {
        /// The prefix.
        prefix: String,
    },
    /// `.` or `..` segments, or `//`.
    #[error("--allow-prefix {prefix:?}: must not contain \".\" or \"..\" segments or \"//\"")]
    BadSegment {
        /// The prefix.
        prefix: String,
    },
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

/// A trusted-file entry `{uri, sha256}`.
pub(crate) fn entry_value(uri: &str, sha: &str) -> Value {
    let mut e = Table::new();
    e.insert("uri", Value::String(uri.into()));
    e.insert("sha256", Value::String(sha.into()));
    Value::Table(e)
}

/// Splits `text` around the only occurrence of `marker`.
fn split_once_exactly<'t>(text: &'t str, marker: &str) -> Option<(&'t str, &'t str)> {
    let at = text.find(marker)?;
    if text.get(at + 1..)?.contains(marker) {
        return None;
    }
    Some((text.get(..at)?, text.get(at + marker.len()..)?))
}

/// A bundle, made.
#[derive(Clone, Debug)]
pub struct Made {
    /// The bundle bytes.
    pub bytes: Vec<u8>,
    /// MRENCLAVE of the base enclave (no entries appended).
    pub base_mrenclave: [u8; 32],
    /// Number of base trusted files.
    pub base_files: usize,
}

/// Checks an allowed prefix: `file:` and whole path segments.
pub fn check_prefix(p: &str) -> Result<(), PrefixError> {
    let prefix = || p.to_string();
    if !p.starts_with("file:") {
        return Err(PrefixError::NotFile { prefix: prefix() });
    }
    if p != "file:" && !p.ends_with('/') {
        return Err(PrefixError::NoSlash { prefix: prefix() });
    }
    if p.contains("/./") || p.contains("/../") || p.contains("//") {
        return Err(PrefixError::BadSegment { prefix: prefix() });
    }
    Ok(())
}

/// Makes a bundle from a base (source) manifest and a PAL: base trusted files are expanded and
/// hashed exactly as signing does; data owners may append entries under `allow_prefixes` (none:
/// no entry may be appended).
pub fn make(
    manifest: &[u8],
    libpal: &[u8],
    libpal_name: &str,
    allow_prefixes: &[String],
    opts: &Options,
    hasher: &mut FileHasher,
) -> Result<Made> {
    for p in allow_prefixes {
        check_prefix(p)?;
    }
    let version = opts.version;
    let elf = Elf::parse(libpal).map_err(|source| Error::Pal {
        name: libpal_name.to_string(),
        source,
    })?;
    let fin = pipeline::run(manifest, opts, hasher)?;
    let dialect = fin.dialect;
    let measured = measure_parsed(
        fin.text.as_bytes(),
        fin.measured()?.into_owned(),
        libpal,
        libpal_name,
        version,
    )?;
    let base = &fin.expanded;
    let base_bytes = &fin.text;

    // The base list, as strings (a hash given as another TOML type cannot be carried).
    let Some(Value::Array(list)) = base.get_path(&["sgx", "trusted_files"]) else {
        return Err(Error::Internal(
            "the expanded manifest has no sgx.trusted_files list".into(),
        ));
    };
    let mut base_entries = Vec::with_capacity(list.len());
    for (item, hashed_here) in list.iter().zip(fin.hashed_here.iter().copied()) {
        let field = |k: &str| {
            item.as_table()
                .and_then(|t| t.get(k))
                .and_then(Value::as_str)
        };
        let (Some(uri), Some(sha)) = (field("uri"), field("sha256")) else {
            return Err(Error::Invalid(format!(
                "base trusted file {} has a hash that is not a string; bundles need string hashes",
                pypath::repr(item)
            )));
        };
        base_entries.push((uri.to_string(), sha.to_string(), hashed_here));
    }

    // Sections form: always. Inline form: when the base list (and a minimal entry) renders inline.
    let mut with_marker = list.clone();
    with_marker.push(entry_value(SECTIONS_MARKER.0, SECTIONS_MARKER.1));
    let sections_text = toml::try_emit(&with_list(base, with_marker), dialect)?;
    let sections_marker = if dialect == TomlWriter::Toml0102 {
        // toml 0.10.2: each element of an array of tables is its block plus an empty line.
        // toml 0.10.2 writes the private-use marker character as `\uf8ff`.
        let q = |v: &str| {
            toml::toml0102::encoder::dump_str(v)
                .map_err(|e| Error::Internal(format!("cannot write the append marker: {}", e.0)))
        };
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
    let (s_prefix, s_suffix) =
        split_once_exactly(&sections_text, &sections_marker).ok_or_else(|| {
            Error::Internal(
                "cannot locate the trusted-file sections in the rendered base manifest".into(),
            )
        })?;

    let mut with_marker = list.clone();
    with_marker.push(entry_value(INLINE_MARKER.0, INLINE_MARKER.1));
    let inline_text = toml::try_emit(&with_list(base, with_marker), dialect)?;
    let inline_marker = format!(
        "    {{ uri = \"{}\", sha256 = \"{}\" }},\n",
        INLINE_MARKER.0, INLINE_MARKER.1
    );
    let inline = split_once_exactly(&inline_text, &inline_marker);

    let empty = list.is_empty().then_some(base_bytes.as_bytes());
    let prefixes: Vec<&str> = allow_prefixes.iter().map(String::as_str).collect();
    let info = format!(
        "created-by=sgx-measure {}\ngramine={}\ntomli-w={}\nbase-manifest-sha256={}\nlibpal-sha256={}\nbase-mrenclave={}\n",
        env!("CARGO_PKG_VERSION"),
        version.as_str(),
        dialect.tomli_w_name(),
        hex::encode(Sha256::digest(manifest)),
        hex::encode(Sha256::digest(libpal)),
        hex::encode(measured.mrenclave),
    );
    let builder = BundleBuilder {
        params: measured.attrs.params,
        dialect,
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
    dialect: TomlWriter,
    base_mrenclave: &[u8; 32],
) -> Result<()> {
    let b = Bundle::parse(bytes)
        .map_err(|e| Error::Internal(format!("the new bundle does not parse: {e}")))?;
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
            return Err(Error::Internal(format!(
                "the bundle does not reproduce the manifest for {} appended entries",
                entries.len()
            )));
        }
    }
    let el = EntryList::parse(core_entries::HEADER)?;
    if &mrenclave_unchecked(&b, el)? != base_mrenclave {
        return Err(Error::Internal(
            "the bundle does not reproduce the base MRENCLAVE".into(),
        ));
    }
    Ok(())
}
