//! Inputs that made the `c_abi` fuzz target fail (`testdata/fuzz-regressions/c_abi-*`), run
//! through its append property: the status (and failing entry) of `sgxm_mrenclave_append_ex` is
//! the documented code of the core's error, the output is written only on success, and
//! `sgxm_mrenclave_append_scratch` gives the same answer.
//!
//! The files use the target's mode 0: `[0][bundle length: u32 LE][bundle][entry list]`.

use std::path::Path;

use measure_core::append::{AppendError, PolicyKind, mrenclave_append};
use sgx_measure::status::*;
use sgx_measure::verify::{
    sgxm_append_scratch_size, sgxm_mrenclave_append_ex, sgxm_mrenclave_append_scratch,
};

/// The documented code of a policy violation (each rule has its own).
fn policy_status(kind: PolicyKind) -> u32 {
    match kind {
        PolicyKind::NothingMayBeAppended => SGXM_ERR_POLICY_NOTHING_MAY_BE_APPENDED,
        PolicyKind::OutsidePrefixes => SGXM_ERR_POLICY_OUTSIDE_PREFIXES,
        PolicyKind::NotAFileUri => SGXM_ERR_POLICY_NOT_A_FILE_URI,
        PolicyKind::BadPathSegment => SGXM_ERR_POLICY_BAD_PATH_SEGMENT,
        PolicyKind::RepeatsBaseUri => SGXM_ERR_POLICY_REPEATS_BASE_URI,
        PolicyKind::Duplicate => SGXM_ERR_POLICY_DUPLICATE,
        PolicyKind::NotWritableByToml0102 => SGXM_ERR_POLICY_NOT_WRITABLE_BY_TOML0102,
        PolicyKind::LineBreakOrNulInUri => SGXM_ERR_POLICY_LINE_BREAK_OR_NUL_IN_URI,
        PolicyKind::NotASha256 => SGXM_ERR_POLICY_NOT_A_SHA256,
    }
}

#[test]
fn c_abi_append_statuses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/fuzz-regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if !name.starts_with("c_abi-") {
            continue;
        }
        n += 1;
        let data = std::fs::read(&path).unwrap();
        assert_eq!(data[0], 0, "{name}: not a mode 0 input");
        let len = u32::from_le_bytes(data[1..5].try_into().unwrap()) as usize;
        let (bundle, entries) = data[5..].split_at(len);

        let mut out = [0xa5u8; 32];
        let mut index = 0xa5a5_a5a5u32;
        // SAFETY: valid buffers of the given lengths and outputs of 32 and 4 bytes.
        let rc = unsafe {
            sgxm_mrenclave_append_ex(
                bundle.as_ptr(),
                bundle.len(),
                entries.as_ptr(),
                entries.len(),
                out.as_mut_ptr(),
                &mut index,
            )
        };
        // The same answer with the scratch the list asks for.
        let mut need = 0usize;
        // SAFETY: a valid buffer and a writable size_t.
        unsafe { sgxm_append_scratch_size(entries.as_ptr(), entries.len(), &mut need) };
        let mut scratch = vec![0u8; need];
        let (mut out2, mut index2) = ([0xa5u8; 32], 0xa5a5_a5a5u32);
        // SAFETY: valid buffers of the given lengths, a distinct scratch, outputs of 32 and 4 bytes.
        let rc2 = unsafe {
            sgxm_mrenclave_append_scratch(
                bundle.as_ptr(),
                bundle.len(),
                entries.as_ptr(),
                entries.len(),
                scratch.as_mut_ptr(),
                scratch.len(),
                out2.as_mut_ptr(),
                &mut index2,
            )
        };
        assert_eq!(
            (rc2, out2, index2),
            (rc, out, index),
            "{name}: with scratch"
        );
        match mrenclave_append(bundle, entries) {
            Ok(m) => {
                assert_eq!(rc, SGXM_OK, "{name}");
                assert_eq!(out, m, "{name}");
            }
            Err(AppendError::Policy(p)) => {
                assert_eq!(rc, policy_status(p.kind), "{name}: {p}");
                assert_eq!(index, p.index, "{name}");
                assert_eq!(out, [0xa5; 32], "{name}: output written on failure");
            }
            Err(e) => panic!("{name}: not a policy case: {e}"),
        }
        // SAFETY: static NUL-terminated text.
        let text = unsafe { std::ffi::CStr::from_ptr(sgxm_status_str(rc)) };
        assert_ne!(text.to_str().unwrap(), "unknown status code", "{name}");
    }
    assert!(n > 0, "no c_abi regression inputs");
}
