//! `gramine-sgx-sign --verbose` output: the attributes header, the remote-attestation line, the
//! memory map and the measurement, formatted as each Gramine version prints them.

use std::fmt::Write as _;

use measure_core::engine::{AreaEvent, AreaObserver};
use measure_core::profile::{GramineVersion, secinfo};

use crate::attrs::LayoutAttrs;
use crate::toml::{Table, Value};

/// Collects the memory map lines (`    start-end [TYPE:RWX] (desc) measured`).
#[derive(Default, Debug)]
pub struct MemoryMap {
    /// The events, in Gramine's print order.
    pub events: Vec<AreaEvent>,
}

impl AreaObserver for MemoryMap {
    fn area(&mut self, event: &AreaEvent) {
        self.events.push(*event);
    }
}

/// gramine-sgx-sign's verbose report for a measured manifest.
pub fn verbose_report(version: GramineVersion, m: &crate::measure::Measured) -> String {
    let legacy =
        (version <= GramineVersion::V1_5).then(|| legacy_attributes_for(&m.manifest, version));
    let mut s = header(version, &m.attrs, &m.manifest, legacy.as_ref());
    s.push_str("Memory:\n");
    for e in &m.map.events {
        s.push_str(&memory_line(e));
        s.push('\n');
    }
    s.push_str("Measurement:\n    ");
    s.push_str(&hex::encode(m.mrenclave));
    s.push('\n');
    s
}

/// One memory map line as `print_area` formats it.
pub fn memory_line(e: &AreaEvent) -> String {
    // print_area: TCS wins over REG when both bits are set.
    let ty = if e.flags & secinfo::TCS != 0 {
        "TCS"
    } else {
        "REG"
    };
    let r = if e.flags & secinfo::R != 0 { 'R' } else { '-' };
    let w = if e.flags & secinfo::W != 0 { 'W' } else { '-' };
    let x = if e.flags & secinfo::X != 0 { 'X' } else { '-' };
    let measured = if e.measured { " measured" } else { "" };
    format!(
        "    {:016x}-{:016x} [{ty}:{r}{w}{x}] ({}){measured}",
        e.addr,
        e.addr.wrapping_add(e.size),
        e.kind.name()
    )
}

/// The `--verbose` text printed before `Memory:`.
pub fn header(
    version: GramineVersion,
    attrs: &LayoutAttrs,
    manifest: &Table,
    legacy: Option<&LegacyAttributes>,
) -> String {
    let mut s = String::new();
    let p = &attrs.params;
    let sgx = manifest.get("sgx").and_then(Value::as_table);
    if version >= GramineVersion::V1_6 {
        s.push_str("Attributes (required for enclave measurement):\n");
    } else {
        s.push_str("Attributes:\n");
    }
    let _ = writeln!(s, "    size:        {:#x}", p.enclave_size);
    if version >= GramineVersion::V1_4 {
        let _ = writeln!(s, "    edmm:        {}", attrs.edmm_display);
        let _ = writeln!(s, "    max_threads: {}", attrs.threads_display);
    } else {
        let _ = writeln!(s, "    thread_num:  {}", attrs.threads_display);
    }
    if let Some(l) = legacy {
        let _ = writeln!(s, "    isv_prod_id: {}", l.isv_prod_id);
        let _ = writeln!(s, "    isv_svn:     {}", l.isv_svn);
        let _ = writeln!(s, "    attr.flags:  {:#x}", l.flags);
        let _ = writeln!(s, "    attr.xfrm:   {:#x}", l.xfrm);
        let _ = writeln!(s, "    misc_select: {:#x}", l.misc_select);
    }
    let ra = sgx.and_then(|t| t.get("remote_attestation"));
    if version <= GramineVersion::V1_2 {
        // `if manifest_sgx['remote_attestation']:` (any true value, `"none"` included), then
        // EPID when `ra_client_spid` is set, else DCAP.
        if ra.is_some_and(Value::is_truthy) {
            let spid = sgx.and_then(|t| t.get("ra_client_spid"));
            s.push_str("SGX remote attestation:\n");
            match spid.filter(|v| v.is_truthy()) {
                None => s.push_str("    DCAP/ECDSA\n"),
                Some(spid) => {
                    let linkable = sgx
                        .and_then(|t| t.get("ra_client_linkable"))
                        .map(Value::python_str)
                        .unwrap_or_else(|| "False".into());
                    let _ = writeln!(
                        s,
                        "    EPID (spid = {}, linkable = {linkable})",
                        spid.python_str()
                    );
                }
            }
        }
        return s;
    }
    s.push_str("SGX remote attestation:\n");
    let line = match ra.and_then(Value::as_str).unwrap_or("none") {
        _ if ra.is_some() && ra.and_then(Value::as_str).is_none() => "<unrecognized>".to_string(),
        "none" => "None".to_string(),
        "dcap" => "DCAP/ECDSA".to_string(),
        "epid" if version <= GramineVersion::V1_8 => {
            let spid = sgx
                .and_then(|t| t.get("ra_client_spid"))
                .map(Value::python_str)
                .unwrap_or_default();
            let linkable = sgx
                .and_then(|t| t.get("ra_client_linkable"))
                .map(Value::python_str)
                .unwrap_or_else(|| "False".into());
            format!("EPID (spid = `{spid}`, linkable = {linkable})")
        }
        _ => "<unrecognized>".to_string(),
    };
    let _ = writeln!(s, "    {line}");
    s
}

/// The attribute lines that v1.0 to v1.5 print in their verbose header.
#[derive(Clone, Debug)]
pub struct LegacyAttributes {
    /// `sgx.isvprodid` as printed.
    pub isv_prod_id: String,
    /// `sgx.isvsvn` as printed.
    pub isv_svn: String,
    /// ATTRIBUTES.FLAGS.
    pub flags: u64,
    /// ATTRIBUTES.XFRM.
    pub xfrm: u64,
    /// MISCSELECT.
    pub misc_select: u32,
}

/// The v1.4/v1.5 `get_enclave_attributes` (before `sgx.cpu_features`): DEBUG from
/// `sgx.debug == 1`, MODE64BIT always, XFRM = legacy | each `sgx.require_*` == 1, MISCSELECT.EXINFO
/// from `sgx.require_exinfo == 1`.
pub fn legacy_attributes(manifest: &Table) -> LegacyAttributes {
    legacy_attributes_for(manifest, GramineVersion::V1_5)
}

/// `get_enclave_attributes` of v1.0 to v1.5 as the verbose header prints it: like
/// [`legacy_attributes`], except that v1.0 to v1.3 read `sgx.support_exinfo` (not
/// `require_exinfo`) and v1.0 has no `require_amx`.
pub fn legacy_attributes_for(manifest: &Table, version: GramineVersion) -> LegacyAttributes {
    let empty = Table::new();
    let sgx = manifest
        .get("sgx")
        .and_then(Value::as_table)
        .unwrap_or(&empty);
    // Python `value == 1` is true for True and for 1.
    let is_one = |k: &str| {
        matches!(
            sgx.get(k),
            Some(Value::Boolean(true)) | Some(Value::Integer(1))
        ) || matches!(sgx.get(k), Some(Value::Float(f)) if *f == 1.0)
    };
    let mut flags = 0x4; // SGX_FLAGS_MODE64BIT
    if is_one("debug") {
        flags |= 0x2;
    }
    let mut xfrm = 0x3; // SGX_XFRM_LEGACY
    for (key, bits) in [
        ("require_avx", 0x4),
        ("require_avx512", 0xe4),
        ("require_mpx", 0x18),
        ("require_pkru", 0x200),
        ("require_amx", 0x60000),
    ] {
        if key == "require_amx" && version == GramineVersion::V1_0 {
            continue;
        }
        if is_one(key) {
            xfrm |= bits;
        }
    }
    let exinfo = if version <= GramineVersion::V1_3 {
        "support_exinfo"
    } else {
        "require_exinfo"
    };
    let misc_select = u32::from(is_one(exinfo));
    let shown = |k: &str| {
        sgx.get(k)
            .map(Value::python_str)
            .unwrap_or_else(|| "0".into())
    };
    LegacyAttributes {
        isv_prod_id: shown("isvprodid"),
        isv_svn: shown("isvsvn"),
        flags,
        xfrm,
        misc_select,
    }
}
