//! `sgx_sign dump`: the metadata of a signed enclave (and its SGX1 copy), printed field by
//! field in `sgx_sign`'s text format, or as JSON.

use std::fmt::Write as _;

use super::SdkFileError;
use crate::error::Result;
use measure_core::sdk::SdkElf;
use measure_core::sdk::metadata::{CSS_OFFSET, MAGIC, MetadataHeader};
use measure_core::sigstruct::{SIGSTRUCT_SIZE, Sigstruct};
use serde_json::json;

/// One metadata block: its header and SIGSTRUCT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DumpedMetadata {
    /// Header fields.
    pub header: MetadataHeader,
    /// `enclave_css`.
    pub css: Sigstruct,
}

/// What `sgx_sign dump` prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dump {
    /// The metadata, then each compatible metadata.
    pub metadata: Vec<DumpedMetadata>,
    /// MRSIGNER (SHA-256 of the last block's modulus).
    pub mrsigner: [u8; 32],
    /// File offset of the metadata.
    pub metadata_offset: u64,
}

impl Dump {
    /// The (main) SIGSTRUCT.
    pub fn css(&self) -> &Sigstruct {
        &self.metadata[0].css
    }

    /// MRENCLAVE.
    pub fn mrenclave(&self) -> [u8; 32] {
        self.css().enclave_hash
    }
}

fn block(data: &[u8], at: u64) -> Result<DumpedMetadata> {
    let truncated = || SdkFileError::DumpTruncated { offset: at };
    let start = usize::try_from(at).map_err(|_| truncated())?;
    let bytes = data
        .get(start..)
        .and_then(|b| b.get(..CSS_OFFSET + SIGSTRUCT_SIZE))
        .ok_or_else(truncated)?;
    let header = MetadataHeader::parse(bytes).ok_or_else(truncated)?;
    let mut raw = [0u8; SIGSTRUCT_SIZE];
    raw.copy_from_slice(&bytes[CSS_OFFSET..CSS_OFFSET + SIGSTRUCT_SIZE]);
    let css = Sigstruct::from_bytes_unchecked(&raw);
    Ok(DumpedMetadata { header, css })
}

/// Reads the metadata of a signed enclave as `sgx_sign dump` does: the file must pass the
/// enclave checks, the metadata note must hold signed metadata, and each compatible metadata
/// follows the previous one (at its `size`) until a block without the magic number.
pub fn read_dump(signed: &[u8]) -> Result<Dump> {
    let elf = SdkElf::parse(signed).map_err(SdkFileError::DumpElf)?;
    let start = elf.metadata_offset();
    let first = block(signed, start)?;
    if first.header.magic != MAGIC {
        return Err(SdkFileError::NotSigned.into());
    }
    let mut metadata = vec![first];
    let mut at = start;
    loop {
        let cur = &metadata[metadata.len() - 1];
        let size = u64::from(cur.header.size);
        if size == 0 {
            return Err(SdkFileError::ZeroSizeMetadata.into());
        }
        at += size;
        let next = match block(signed, at) {
            Ok(b) => b,
            Err(_) => break,
        };
        if next.header.magic != MAGIC {
            break;
        }
        metadata.push(next);
    }
    let mrsigner = metadata[metadata.len() - 1].css.mrsigner();
    Ok(Dump {
        metadata,
        mrsigner,
        metadata_offset: start,
    })
}

fn element(out: &mut String, name: &str, value: u64) {
    let _ = writeln!(out, "metadata->{name}: {value:#x}");
}

fn array(out: &mut String, name: &str, bytes: &[u8]) {
    out.push_str(name);
    out.push(':');
    for (i, b) in bytes.iter().enumerate() {
        if i % 16 == 0 {
            out.push('\n');
        }
        let _ = write!(out, "0x{b:02x} ");
    }
    out.push('\n');
}

fn internal(out: &mut String, m: &DumpedMetadata) {
    let h = &m.header;
    let c = &m.css;
    element(out, "magic_num", h.magic);
    element(out, "version", h.version);
    element(out, "size", h.size.into());
    element(out, "tcs_policy", h.tcs_policy.into());
    element(out, "ssa_frame_size", h.ssa_frame_size.into());
    element(out, "max_save_buffer_size", h.max_save_buffer_size.into());
    element(out, "desired_misc_select", h.desired_misc_select.into());
    element(out, "enclave_size", h.enclave_size);
    element(out, "attributes.flags", h.attributes_flags);
    element(out, "attributes.xfrm", h.attributes_xfrm);
    array(out, "metadata->enclave_css.header.header", &c.header[..12]);
    let kind = u32::from_le_bytes([c.header[12], c.header[13], c.header[14], c.header[15]]);
    element(out, "enclave_css.header.type", kind.into());
    element(out, "enclave_css.header.module_vendor", c.vendor.into());
    element(
        out,
        "enclave_css.header.date",
        u32::from_le_bytes(c.date).into(),
    );
    array(out, "metadata->enclave_css.header.header2", &c.header2);
    element(out, "enclave_css.header.hw_version", c.swdefined.into());
    array(out, "metadata->enclave_css.key.modulus", &c.modulus);
    array(
        out,
        "metadata->enclave_css.key.exponent",
        &c.exponent.to_le_bytes(),
    );
    array(out, "metadata->enclave_css.key.signature", &c.signature);
    element(out, "enclave_css.body.misc_select", c.misc_select.into());
    element(out, "enclave_css.body.misc_mask", c.misc_mask.into());
    element(out, "enclave_css.body.attributes.flags", c.attribute_flags);
    element(out, "enclave_css.body.attributes.xfrm", c.attribute_xfrm);
    element(
        out,
        "enclave_css.body.attribute_mask.flags",
        c.attribute_flags_mask,
    );
    element(
        out,
        "enclave_css.body.attribute_mask.xfrm",
        c.attribute_xfrm_mask,
    );
    array(
        out,
        "metadata->enclave_css.body.enclave_hash.m",
        &c.enclave_hash,
    );
    element(out, "enclave_css.body.isv_prod_id", c.isv_prod_id.into());
    element(out, "enclave_css.body.isv_svn", c.isv_svn.into());
    array(out, "metadata->enclave_css.buffer.q1", &c.q1);
    array(out, "metadata->enclave_css.buffer.q2", &c.q2);
}

/// The dump file `sgx_sign dump -dumpfile` writes, byte for byte.
pub fn dump_text(d: &Dump) -> String {
    let mut out = String::new();
    out.push_str(
        "=============================\nThe metadata information:\n=============================\n",
    );
    internal(&mut out, &d.metadata[0]);
    for (i, m) in d.metadata.iter().enumerate().skip(1) {
        if i == 1 {
            out.push_str("\n\n\n====================================\nThe compatible metadata information: \n====================================\n");
        }
        let _ = write!(
            out,
            "\nCompatible metadata number {i}:\n------------------------------\n"
        );
        internal(&mut out, m);
    }
    out.push_str("\n\n===================\nThe mrsigner value:\n===================\n");
    array(&mut out, "mrsigner->value", &d.mrsigner);
    out
}

fn metadata_json(m: &DumpedMetadata) -> serde_json::Value {
    let h = &m.header;
    let c = &m.css;
    let kind = u32::from_le_bytes([c.header[12], c.header[13], c.header[14], c.header[15]]);
    json!({
        "magic_num": format!("{:#x}", h.magic),
        "version": format!("{:#x}", h.version),
        "size": h.size,
        "tcs_policy": h.tcs_policy,
        "ssa_frame_size": h.ssa_frame_size,
        "max_save_buffer_size": h.max_save_buffer_size,
        "desired_misc_select": format!("{:#x}", h.desired_misc_select),
        "enclave_size": format!("{:#x}", h.enclave_size),
        "attributes": {"flags": format!("{:#x}", h.attributes_flags), "xfrm": format!("{:#x}", h.attributes_xfrm)},
        "enclave_css": {
            "header": {
                "header": hex::encode(&c.header[..12]),
                "type": format!("{kind:#x}"),
                "module_vendor": format!("{:#x}", c.vendor),
                "date": format!("{:08x}", u32::from_le_bytes(c.date)),
                "header2": hex::encode(c.header2),
                "hw_version": c.swdefined,
            },
            "key": {
                "modulus": hex::encode(c.modulus),
                "exponent": c.exponent,
                "signature": hex::encode(c.signature),
            },
            "body": {
                "misc_select": format!("{:#x}", c.misc_select),
                "misc_mask": format!("{:#x}", c.misc_mask),
                "isv_family_id": hex::encode(c.isv_family_id),
                "attributes": {"flags": format!("{:#x}", c.attribute_flags), "xfrm": format!("{:#x}", c.attribute_xfrm)},
                "attribute_mask": {"flags": format!("{:#x}", c.attribute_flags_mask), "xfrm": format!("{:#x}", c.attribute_xfrm_mask)},
                "enclave_hash": hex::encode(c.enclave_hash),
                "isvext_prod_id": hex::encode(c.isvext_prod_id),
                "isv_prod_id": c.isv_prod_id,
                "isv_svn": c.isv_svn,
            },
            "buffer": {"q1": hex::encode(c.q1), "q2": hex::encode(c.q2)},
        },
    })
}

/// The same fields as JSON: `mrenclave`, `mrsigner`, the metadata and each
/// compatible metadata (integers as in the text dump; byte arrays as hex strings in memory
/// order).
pub fn dump_json(d: &Dump) -> serde_json::Value {
    json!({
        "mrenclave": hex::encode(d.mrenclave()),
        "mrsigner": hex::encode(d.mrsigner),
        "metadata_offset": d.metadata_offset,
        "metadata": metadata_json(&d.metadata[0]),
        "compatible_metadata": d.metadata[1..].iter().map(metadata_json).collect::<Vec<_>>(),
    })
}
