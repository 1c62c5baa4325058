//! CONFIGID for runtimes with Key Separation and Sharing (KSS): 64 bytes that commit to a data
//! owner's entries. The first 32 bytes are the SHA-256 of the canonical entry list (the
//! convention Open Enclave uses for init-time configuration data), the last 32 are zero.
//!
//! Gramine does not set CONFIGID today; Occlum (`occlum run --config-id`, in base64, with KSS
//! enabled in `Occlum.json`) and the Intel SGX SDK
//! (`sgx_create_enclave_ex` with `SGX_CREATE_ENCLAVE_EX_KSS`) can.

use crate::entries::{EntriesError, EntryList};
use crate::sha256::Sha256;

/// The CONFIGID of a canonical entry list (validated first: only the canonical encoding of a list
/// has a CONFIGID, so equal entries always give equal values).
pub fn configid(entries: &[u8]) -> Result<[u8; 64], EntriesError> {
    EntryList::parse(entries)?;
    let mut out = [0u8; 64];
    if let Some(head) = out.get_mut(..32) {
        head.copy_from_slice(&Sha256::digest(entries));
    }
    Ok(out)
}
