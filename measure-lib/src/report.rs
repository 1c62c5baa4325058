//! `gramine-sgx-sign --verbose` output: the attributes header, the remote-attestation line, the
//! memory map and the measurement, formatted as each Gramine version prints them.

use std::fmt::Write as _;

use measure_core::attributes::{AttributeBits, FLAGS_MODE64BIT, XFRM_LEGACY, attribute_bits};
use measure_core::engine::{AreaEvent, AreaObserver};
use measure_core::profile::{GramineVersion, secinfo};
use measure_core::rules::RemoteAttestationLine;

use crate::attrs::LayoutAttrs;
use crate::sigstruct::attribute_input;
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
    let mut s = header(version, &m.attrs, &m.manifest);
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

/// The `--verbose` text printed before `Memory:` (the version's `report` rules).
pub fn header(version: GramineVersion, attrs: &LayoutAttrs, manifest: &Table) -> String {
    let rules = version.rules().report;
    let mut s = String::new();
    let p = &attrs.params;
    let sgx = manifest.get("sgx").and_then(Value::as_table);
    s.push_str(rules.title);
    s.push('\n');
    let _ = writeln!(s, "    size:        {:#x}", p.enclave_size);
    if rules.edmm_and_max_threads {
        let _ = writeln!(s, "    edmm:        {}", attrs.edmm_display);
        let _ = writeln!(s, "    max_threads: {}", attrs.threads_display);
    } else {
        let _ = writeln!(s, "    thread_num:  {}", attrs.threads_display);
    }
    if rules.attributes {
        let shown = |k: &str| {
            sgx.and_then(|t| t.get(k))
                .map(Value::python_str)
                .unwrap_or_else(|| "0".into())
        };
        // The attribute bits as the version's signer computes them (v1.0 to v1.5 cannot fail
        // here: only the ISV values, not printed from this, can be out of range).
        let input = attribute_input(manifest).unwrap_or_default();
        let bits = attribute_bits(&input, version).unwrap_or(AttributeBits {
            flags: FLAGS_MODE64BIT,
            xfrm: XFRM_LEGACY,
            misc_select: 0,
            xfrm_mask: 0,
        });
        let _ = writeln!(s, "    isv_prod_id: {}", shown("isvprodid"));
        let _ = writeln!(s, "    isv_svn:     {}", shown("isvsvn"));
        let _ = writeln!(s, "    attr.flags:  {:#x}", bits.flags);
        let _ = writeln!(s, "    attr.xfrm:   {:#x}", bits.xfrm);
        let _ = writeln!(s, "    misc_select: {:#x}", bits.misc_select);
    }
    let ra = sgx.and_then(|t| t.get("remote_attestation"));
    let epid_known = match rules.remote_attestation {
        RemoteAttestationLine::WhenTruthy => {
            // `if manifest_sgx['remote_attestation']:` (any true value, `"none"` included),
            // then EPID when `ra_client_spid` is set, else DCAP.
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
        RemoteAttestationLine::Named { epid } => epid,
    };
    s.push_str("SGX remote attestation:\n");
    let line = match ra.and_then(Value::as_str).unwrap_or("none") {
        _ if ra.is_some() && ra.and_then(Value::as_str).is_none() => "<unrecognized>".to_string(),
        "none" => "None".to_string(),
        "dcap" => "DCAP/ECDSA".to_string(),
        "epid" if epid_known => {
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
