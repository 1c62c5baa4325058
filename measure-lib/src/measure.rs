//! MRENCLAVE of a final manifest (`.manifest.sgx`) and a PAL, with the memory map Gramine's
//! `--verbose` report prints.

use measure_core::elf::Elf;
use measure_core::engine::{self, SliceSource};
use measure_core::layout::Layout;
use measure_core::measure::MeasurementHasher;
use measure_core::profile::GramineVersion;

use crate::attrs::{LayoutAttrs, layout_attrs};
use crate::error::{Error, Result};
use crate::report::MemoryMap;
use crate::toml::Table;

/// Result of measuring a final (`.manifest.sgx`) manifest with a PAL.
#[derive(Debug)]
pub struct Measured {
    /// The parsed manifest.
    pub manifest: Table,
    /// Layout attributes read from it.
    pub attrs: LayoutAttrs,
    /// The computed layout.
    pub layout: Layout,
    /// The memory map, in Gramine's print order.
    pub map: MemoryMap,
    /// MRENCLAVE.
    pub mrenclave: [u8; 32],
    /// Number of 64-byte SHA-256 blocks the measurement hashed.
    pub sha256_blocks: u64,
}

/// Measures the manifest bytes exactly as given, with the PAL file's bytes.
pub fn measure_manifest(
    manifest_bytes: &[u8],
    libpal: &[u8],
    libpal_name: &str,
    version: GramineVersion,
) -> Result<Measured> {
    let manifest = crate::pipeline::read_final(manifest_bytes, version, &Default::default())?;
    measure_parsed(manifest_bytes, manifest, libpal, libpal_name, version)
}

/// Like [`measure_manifest`] when the caller already holds the parsed manifest (`manifest` must be
/// what parsing `manifest_bytes` gives, e.g. the table that was just written as those bytes).
pub fn measure_parsed(
    manifest_bytes: &[u8],
    manifest: Table,
    libpal: &[u8],
    libpal_name: &str,
    version: GramineVersion,
) -> Result<Measured> {
    let attrs = layout_attrs(&manifest, version)?;
    let elf = Elf::parse(libpal).map_err(|source| Error::Pal {
        name: libpal_name.to_string(),
        source,
    })?;
    let layout = engine::layout_for(attrs.params, manifest_bytes.len() as u64, &elf)?;
    let mut hasher = MeasurementHasher::new();
    let mut map = MemoryMap::default();
    engine::measure(
        &layout,
        &mut SliceSource::new(manifest_bytes),
        &elf,
        &mut hasher,
        &mut map,
    )?;
    let sha256_blocks = hasher.blocks();
    Ok(Measured {
        manifest,
        attrs,
        layout,
        map,
        mrenclave: hasher.finish(),
        sha256_blocks,
    })
}
