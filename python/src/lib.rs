//! The Python module `sgx_measure` (its native part, `sgx_measure._native`): bindings of
//! measure-lib, sgx-measure's std library. Nothing here measures, signs or parses on its own:
//! every result comes from the same library calls the `sgx-measure` command makes.

mod api;
mod args;
mod bundle;
mod entry;
mod errors;
mod evidence;
mod shard;
mod sigstruct;
mod verify;

use pyo3::prelude::*;

#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<entry::Entry>()?;
    m.add_class::<api::Signed>()?;
    m.add_class::<sigstruct::Sigstruct>()?;
    m.add_class::<bundle::Bundle>()?;
    m.add_class::<evidence::Attributes>()?;
    m.add_class::<evidence::Evidence>()?;
    m.add_class::<evidence::Quote>()?;
    m.add_class::<evidence::Report>()?;
    m.add_class::<verify::Check>()?;
    m.add_class::<verify::Verdict>()?;
    m.add_function(wrap_pyfunction!(api::mrenclave, m)?)?;
    m.add_function(wrap_pyfunction!(api::sign, m)?)?;
    m.add_function(wrap_pyfunction!(api::expand, m)?)?;
    m.add_function(wrap_pyfunction!(api::hash_files, m)?)?;
    m.add_function(wrap_pyfunction!(api::read_entries, m)?)?;
    m.add_function(wrap_pyfunction!(api::write_entries, m)?)?;
    m.add_function(wrap_pyfunction!(shard::merge_entries, m)?)?;
    m.add_function(wrap_pyfunction!(api::configid, m)?)?;
    m.add_function(wrap_pyfunction!(shard::_shard_to_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(shard::_shard_save, m)?)?;
    m.add_function(wrap_pyfunction!(shard::_shard_parse, m)?)?;
    m.add_function(wrap_pyfunction!(shard::_shard_load, m)?)?;
    m.add_function(wrap_pyfunction!(sigstruct::parse_sigstruct, m)?)?;
    m.add_function(wrap_pyfunction!(evidence::parse_evidence, m)?)?;
    m.add_function(wrap_pyfunction!(verify::verify, m)?)?;
    Ok(())
}
