//! One module per subcommand.

pub mod append;
pub mod bundle;
pub mod collateral;
pub mod completions;
pub mod configid;
pub mod diff;
pub mod entries;
pub mod expand;
pub mod gen_key;
pub mod hash_files;
pub mod identity;
pub mod man;
pub mod mrenclave;
pub mod pipeline;
pub mod policy;
pub mod quote;
pub mod sdk;
pub mod sign;
pub mod sigstruct;
pub mod token;
pub mod verify;

use measure_core::profile::GramineVersion;

/// Parses `--gramine`.
pub fn parse_version(s: &str) -> Result<GramineVersion, String> {
    GramineVersion::parse(s).ok_or_else(|| {
        let all: Vec<_> = GramineVersion::ALL.iter().map(|v| v.as_str()).collect();
        format!(
            "unknown Gramine version {s:?} (supported: {})",
            all.join(", ")
        )
    })
}
