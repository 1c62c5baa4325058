//! The manifest keys that the enclave layout reads, with Gramine's defaults and type rules per
//! version (`get_mrenclave_and_manifest` and the `Manifest` constructor's `setdefault`s).

use measure_core::layout::LayoutParams;
use measure_core::profile::{GramineVersion, ThreadKey};
use measure_core::size::parse_size;

use crate::error::{Error, Result};
use crate::manifest::ManifestError;
use crate::toml::{Table, Value};

/// Layout parameters plus the values `--verbose` prints as Gramine would.
#[derive(Clone, Debug)]
pub struct LayoutAttrs {
    /// The parameters for `measure-core`.
    pub params: LayoutParams,
    /// `sgx.edmm_enable` as Python prints it (`False`, `True`, or an int).
    pub edmm_display: String,
    /// `sgx.max_threads` as Python prints it.
    pub threads_display: String,
}

fn sgx_table(manifest: &Table) -> Result<Option<&Table>> {
    match manifest.get("sgx") {
        None => Ok(None),
        Some(Value::Table(t)) => Ok(Some(t)),
        Some(other) => Err(ManifestError::NotATable {
            key: "sgx".into(),
            found: other.type_name(),
        }
        .into()),
    }
}

/// Reads the layout parameters from a parsed manifest, applying the version's defaults for
/// missing keys as `Manifest()` does.
pub fn layout_attrs(manifest: &Table, version: GramineVersion) -> Result<LayoutAttrs> {
    let empty = Table::new();
    let sgx = sgx_table(manifest)?.unwrap_or(&empty);
    let rules = version.rules();

    // sgx.edmm_enable: `manifest_sgx.get('edmm_enable', False)`, then Python truthiness.
    let (edmm, edmm_display) = match sgx.get("edmm_enable") {
        _ if !rules.reads_edmm => (false, "False".to_string()),
        None => (false, "False".to_string()),
        Some(v @ (Value::Boolean(_) | Value::Integer(_))) => (v.is_truthy(), v.python_str()),
        Some(v) => return Err(wrong_type("sgx.edmm_enable", "a boolean", v)),
    };

    // sgx.enclave_size: a string in Gramine's size syntax (an int fails in Gramine with
    // "'int' object has no attribute 'endswith'").
    let default_size = rules.default_enclave_size(edmm);
    let enclave_size = match sgx.get("enclave_size") {
        None => parse_size(default_size).map_err(|source| ManifestError::EnclaveSize {
            value: default_size.to_string(),
            source,
        })?,
        Some(Value::String(s)) => parse_size(s).map_err(|source| ManifestError::EnclaveSize {
            value: s.clone(),
            source,
        })?,
        Some(v) => {
            return Err(ManifestError::EnclaveSizeNotString {
                found: v.type_name(),
            }
            .into());
        }
    };

    let thread_value = match rules.thread_key {
        ThreadKey::ThreadNum => sgx.get("thread_num").map(|v| ("sgx.thread_num", v)),
        ThreadKey::MaxThreadsOrThreadNum => sgx
            .get("max_threads")
            .map(|v| ("sgx.max_threads", v))
            .or_else(|| sgx.get("thread_num").map(|v| ("sgx.thread_num", v))),
        ThreadKey::MaxThreads => sgx.get("max_threads").map(|v| ("sgx.max_threads", v)),
    };
    let threads = match thread_value {
        None => rules.default_threads(),
        Some((_, Value::Integer(n))) if *n >= 0 => *n as u64,
        Some((key, Value::Integer(n))) => {
            return Err(ManifestError::Negative {
                key: key.into(),
                value: *n,
            }
            .into());
        }
        Some((key, v)) => return Err(wrong_type(key, "an integer", v)),
    };

    // v1.0 to v1.4: `if manifest_sgx['nonpie_binary']` chooses the base-address rule.
    let nonpie_binary = match sgx.get("nonpie_binary") {
        None => false,
        Some(v @ (Value::Boolean(_) | Value::Integer(_))) => v.is_truthy(),
        Some(v) => return Err(wrong_type("sgx.nonpie_binary", "a boolean", v)),
    };

    Ok(LayoutAttrs {
        params: LayoutParams {
            version,
            enclave_size,
            threads,
            edmm,
            nonpie_binary,
        },
        edmm_display,
        threads_display: threads.to_string(),
    })
}

fn wrong_type(key: &str, expected: &'static str, v: &Value) -> Error {
    ManifestError::WrongType {
        key: key.into(),
        expected,
        found: v.type_name(),
    }
    .into()
}
