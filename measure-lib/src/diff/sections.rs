//! The report's sections: layout attributes, manifest keys (trusted files by URI), PAL segments,
//! and the SIGSTRUCT fields.

use std::collections::HashMap;

use measure_core::elf::LoadSegment;
use measure_core::engine::{PAGE, PalImage, segment_page};
use measure_core::layout::Layout;
use measure_core::profile::{BaseRule, GramineVersion};
use measure_core::sigstruct::{DateEncoding, SigDate, Sigstruct};
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

pub use super::fmt::plural;
use super::fmt::{key_text, pflags, size_text, value_text};
use super::inputs::{Measurable, Side};
use super::report::{
    Counts, FieldChange, FirstPage, HexPair, KeyChange, KeyValue, LayoutRow, ManifestReport,
    ManifestValue, PageCounts, PalReport, SegmentReport, SigRow, TrustedFileChange, TrustedFileRow,
    TrustedFilesReport,
};
use super::stream::Measurement;
use crate::error::chain;
use crate::sigstruct::make_sigstruct;
use crate::toml::{Table, Value};

// ---------------------------------------------------------------------------------------------
// Section 1: layout attributes.

/// The versions sharing this version's layout rules: `v1.0-v1.3`, `v1.4`, `v1.5+`.
fn profile_name(version: GramineVersion) -> String {
    let (first, last) = version.rules().layout_group();
    if last == GramineVersion::LATEST && first != last {
        format!("{first}+")
    } else if first == last {
        first.to_string()
    } else {
        format!("{first}-{last}")
    }
}

fn base_rule(l: &Layout) -> &'static str {
    match l.profile.base_rule {
        BaseRule::SizeUnlessNonPie if !l.params.nonpie_binary => {
            "enclave at [enclave_size, 2 x enclave_size), heap from its base (v1.0-v1.4 PIE rule)"
        }
        BaseRule::SizeUnlessNonPie => "fixed base, heap from MMAP_MIN_ADDR (sgx.nonpie_binary)",
        BaseRule::Fixed => "fixed base, heap from MMAP_MIN_ADDR",
    }
}

pub(super) fn layout_rows(a: &Side, b: &Side, ma: &Measurable, mb: &Measurable) -> Vec<LayoutRow> {
    let (la, lb) = (&ma.layout, &mb.layout);
    let mut rows = Vec::new();
    let mut push = |attribute, a: Json, b: Json, text_a: String, text_b: String, derived| {
        if a != b {
            rows.push(LayoutRow {
                attribute,
                a,
                b,
                derived,
                text_a,
                text_b,
            });
        }
    };
    push(
        "gramine",
        json!(a.version.as_str()),
        json!(b.version.as_str()),
        a.version.to_string(),
        b.version.to_string(),
        false,
    );
    let (pa, pb) = (profile_name(a.version), profile_name(b.version));
    push(
        "layout_profile",
        json!(pa),
        json!(pb),
        format!("{pa} rules"),
        format!("{pb} rules"),
        false,
    );
    let (sa, sb) = (ma.params.enclave_size, mb.params.enclave_size);
    push(
        "enclave_size",
        json!(sa),
        json!(sb),
        size_text(sa),
        size_text(sb),
        false,
    );
    let (ta, tb) = (ma.params.threads, mb.params.threads);
    push(
        "max_threads",
        json!(ta),
        json!(tb),
        ta.to_string(),
        tb.to_string(),
        false,
    );
    let (ea, eb) = (ma.params.edmm, mb.params.edmm);
    push(
        "edmm",
        json!(ea),
        json!(eb),
        ea.to_string(),
        eb.to_string(),
        false,
    );
    let (ra, rb) = (base_rule(la), base_rule(lb));
    push(
        "base_rule",
        json!(ra),
        json!(rb),
        ra.into(),
        rb.into(),
        false,
    );
    let hex = |v: u64| format!("{v:#x}");
    push(
        "enclave_base",
        json!(hex(la.enclave_base)),
        json!(hex(lb.enclave_base)),
        hex(la.enclave_base),
        hex(lb.enclave_base),
        true,
    );
    push(
        "heap_min",
        json!(hex(la.heap_min)),
        json!(hex(lb.heap_min)),
        hex(la.heap_min),
        hex(lb.heap_min),
        true,
    );
    let pages = |l: &Layout| l.manifest.size / PAGE as u64;
    let manifest_text = |l: &Layout| {
        format!(
            "{} bytes with the NUL, {}",
            l.manifest_len,
            plural(pages(l), "page", "pages")
        )
    };
    push(
        "manifest_size",
        json!(la.manifest_len),
        json!(lb.manifest_len),
        manifest_text(la),
        manifest_text(lb),
        true,
    );
    let place = |l: &Layout| {
        if l.pal_map_start > 0 {
            format!("{:#x} (pinned at its link address)", l.pal.addr)
        } else {
            format!("{:#x} (below the signal stacks)", l.pal.addr)
        }
    };
    push(
        "pal_address",
        json!(hex(la.pal.addr)),
        json!(hex(lb.pal.addr)),
        place(la),
        place(lb),
        true,
    );
    let (ha, hb) = (la.heap_pages(), lb.heap_pages());
    push(
        "free_pages",
        json!(ha),
        json!(hb),
        ha.to_string(),
        hb.to_string(),
        true,
    );
    rows
}

// ---------------------------------------------------------------------------------------------
// Section 2: manifest keys.

#[derive(Clone, Debug)]
enum Seg {
    Key(String),
    Index(usize),
}

fn path_text(path: &[Seg]) -> String {
    let mut s = String::new();
    for p in path {
        match p {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(&key_text(k));
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// A manifest value as JSON: finite floats as numbers; NaN, infinities and date-times as their
/// TOML text.
pub(super) fn value_json(v: &Value) -> Json {
    match v {
        Value::String(s) => json!(s),
        Value::Integer(i) => json!(i),
        Value::Float(f) if f.is_finite() => json!(f),
        Value::Float(_) | Value::Datetime(_) => json!(value_text(v)),
        Value::Boolean(b) => json!(b),
        Value::Array(a) => Json::Array(a.iter().map(value_json).collect()),
        Value::Table(t) => {
            Json::Object(t.iter().map(|(k, x)| (k.clone(), value_json(x))).collect())
        }
    }
}

fn same_value(a: &Value, b: &Value) -> bool {
    a == b || value_text(a) == value_text(b)
}

fn mv(v: &Value) -> ManifestValue {
    ManifestValue(v.clone())
}

/// Compares two manifests key by key (trusted files by URI).
pub(super) fn manifest_report(a: &Table, b: &Table) -> ManifestReport {
    let mut out = ManifestReport {
        added: vec![],
        removed: vec![],
        changed: vec![],
        key_order_differs: vec![],
        trusted_files: TrustedFilesReport::default(),
    };
    diff_tables(a, b, &mut Vec::new(), &mut out);
    out
}

fn diff_tables(a: &Table, b: &Table, path: &mut Vec<Seg>, out: &mut ManifestReport) {
    for (k, va) in a.iter() {
        path.push(Seg::Key(k.clone()));
        match b.get(k) {
            None => out.removed.push(KeyValue {
                path: path_text(path),
                value: mv(va),
            }),
            Some(vb) => diff_values(va, vb, path, out),
        }
        path.pop();
    }
    for (k, vb) in b.iter() {
        if !a.contains_key(k) {
            path.push(Seg::Key(k.clone()));
            out.added.push(KeyValue {
                path: path_text(path),
                value: mv(vb),
            });
            path.pop();
        }
    }
    let common_a: Vec<&String> = a
        .iter()
        .map(|(k, _)| k)
        .filter(|k| b.contains_key(k))
        .collect();
    let common_b: Vec<&String> = b
        .iter()
        .map(|(k, _)| k)
        .filter(|k| a.contains_key(k))
        .collect();
    if let Some((i, (ka, kb))) = common_a
        .iter()
        .zip(&common_b)
        .enumerate()
        .find(|(_, (x, y))| x != y)
    {
        let table = if path.is_empty() {
            "the top-level table".to_string()
        } else {
            path_text(path)
        };
        out.key_order_differs.push(format!(
            "{table} (the keys both have, in order: number {} is {} in A, {} in B)",
            i + 1,
            key_text(ka),
            key_text(kb)
        ));
    }
}

fn is_trusted_files(path: &[Seg]) -> bool {
    matches!(path, [Seg::Key(a), Seg::Key(b)] if a == "sgx" && b == "trusted_files")
}

fn diff_values(va: &Value, vb: &Value, path: &mut Vec<Seg>, out: &mut ManifestReport) {
    match (va, vb) {
        (Value::Array(xa), Value::Array(xb)) if is_trusted_files(path) => {
            out.trusted_files = diff_trusted_files(xa, xb)
        }
        (Value::Table(ta), Value::Table(tb)) => diff_tables(ta, tb, path, out),
        (Value::Array(xa), Value::Array(xb)) => {
            if same_value(va, vb) {
                return;
            }
            for i in 0..xa.len().max(xb.len()) {
                path.push(Seg::Index(i));
                match (xa.get(i), xb.get(i)) {
                    (Some(x), Some(y)) => diff_values(x, y, path, out),
                    (Some(x), None) => out.removed.push(KeyValue {
                        path: path_text(path),
                        value: mv(x),
                    }),
                    (None, Some(y)) => out.added.push(KeyValue {
                        path: path_text(path),
                        value: mv(y),
                    }),
                    (None, None) => {}
                }
                path.pop();
            }
        }
        _ if same_value(va, vb) => {}
        _ => out.changed.push(KeyChange {
            path: path_text(path),
            a: mv(va),
            b: mv(vb),
        }),
    }
}

fn trusted_file(i: usize, item: &Value) -> TrustedFileRow {
    let t = item.as_table();
    TrustedFileRow {
        uri: t
            .and_then(|t| t.get("uri"))
            .and_then(Value::as_str)
            .map(String::from)
            .unwrap_or_else(|| format!("[{i}] {}", value_text(item))),
        sha256: t.and_then(|t| t.get("sha256")).map(mv),
        entry: item.clone(),
    }
}

/// Trusted files compared by URI (the n-th occurrence of a URI with the n-th).
fn diff_trusted_files(xa: &[Value], xb: &[Value]) -> TrustedFilesReport {
    type Keyed = Vec<((String, usize), TrustedFileRow)>;
    let keyed = |xs: &[Value]| -> Keyed {
        let mut seen: HashMap<String, usize> = HashMap::new();
        xs.iter()
            .enumerate()
            .map(|(i, x)| {
                let tf = trusted_file(i, x);
                let n = seen.entry(tf.uri.clone()).or_insert(0);
                *n += 1;
                ((tf.uri.clone(), *n), tf)
            })
            .collect()
    };
    let (ka, kb) = (keyed(xa), keyed(xb));
    let index_b: HashMap<&(String, usize), &TrustedFileRow> =
        kb.iter().map(|(k, v)| (k, v)).collect();
    let index_a: HashMap<&(String, usize), &TrustedFileRow> =
        ka.iter().map(|(k, v)| (k, v)).collect();
    let mut out = TrustedFilesReport {
        count: Some(Counts {
            a: xa.len(),
            b: xb.len(),
        }),
        ..Default::default()
    };
    for (k, ta) in &ka {
        match index_b.get(k) {
            None => out.removed.push(ta.clone()),
            Some(tb) if !same_value(&ta.entry, &tb.entry) => out.changed.push(TrustedFileChange {
                uri: ta.uri.clone(),
                a: ta.sha256.clone(),
                b: tb.sha256.clone(),
                a_entry: mv(&ta.entry),
                b_entry: mv(&tb.entry),
            }),
            Some(_) => {}
        }
    }
    for (k, tb) in &kb {
        if !index_a.contains_key(k) {
            out.added.push(tb.clone());
        }
    }
    let order_a: Vec<&(String, usize)> = ka
        .iter()
        .map(|(k, _)| k)
        .filter(|k| index_b.contains_key(k))
        .collect();
    let order_b: Vec<&(String, usize)> = kb
        .iter()
        .map(|(k, _)| k)
        .filter(|k| index_a.contains_key(k))
        .collect();
    out.reordered_at = order_a
        .iter()
        .zip(&order_b)
        .find(|(x, y)| x != y)
        .map(|(x, _)| x.0.clone());
    out
}

// ---------------------------------------------------------------------------------------------
// Section 3: PAL segments.

/// Pages a segment measures, and the address of its first.
fn segment_pages(seg: &LoadSegment<'_>, l: &Layout) -> (u64, u64) {
    let page = PAGE as u64;
    let start = l.pal_load_bias().wrapping_add(seg.vaddr);
    let m_addr = start - start % page;
    let m_end = start
        .saturating_add(seg.memsz)
        .div_ceil(page)
        .saturating_mul(page);
    (m_addr, m_end.saturating_sub(m_addr) / page)
}

/// The position in the libpal file of byte `byte` of page `page` of a segment.
pub(super) fn file_pos(seg: &LoadSegment<'_>, page: u64, byte: usize) -> u64 {
    let p = PAGE as u64;
    (seg.offset - seg.offset % p)
        .wrapping_add(page.wrapping_mul(p))
        .wrapping_add(byte as u64)
}

pub(super) fn pal_report(ma: &Measurable, mb: &Measurable) -> PalReport {
    let (sa, sb): (Vec<_>, Vec<_>) = (ma.pal.segments().collect(), mb.pal.segments().collect());
    let mut segments = Vec::new();
    let (mut pa, mut pb) = ([0u8; PAGE], [0u8; PAGE]);
    for (i, (a, b)) in sa.iter().zip(&sb).enumerate() {
        let mut fields = Vec::new();
        let hex = |v: u64| format!("{v:#x}");
        for (field, x, y) in [
            ("p_offset", a.offset, b.offset),
            ("p_vaddr", a.vaddr, b.vaddr),
            ("p_filesz", a.filesz, b.filesz),
            ("p_memsz", a.memsz, b.memsz),
        ] {
            if x != y {
                fields.push(FieldChange {
                    field,
                    a: hex(x),
                    b: hex(y),
                });
            }
        }
        if a.flags != b.flags {
            fields.push(FieldChange {
                field: "p_flags",
                a: pflags(a.flags),
                b: pflags(b.flags),
            });
        }
        let (addr_a, na) = segment_pages(a, &ma.layout);
        let (addr_b, nb) = segment_pages(b, &mb.layout);
        if addr_a != addr_b {
            fields.push(FieldChange {
                field: "measured at",
                a: hex(addr_a),
                b: hex(addr_b),
            });
        }
        let mut pages = Vec::new();
        let mut first = None;
        for p in 0..na.max(nb) {
            let in_a = p < na;
            let in_b = p < nb;
            if in_a {
                segment_page(a, p, &mut pa);
            }
            if in_b {
                segment_page(b, p, &mut pb);
            }
            if in_a && in_b && pa == pb {
                continue;
            }
            if first.is_none() {
                let byte = if in_a && in_b {
                    pa.iter().zip(&pb).position(|(x, y)| x != y).unwrap_or(0)
                } else {
                    0
                };
                first = Some(FirstPage {
                    page: p,
                    byte,
                    file_offset_a: file_pos(a, p, byte),
                    file_offset_b: file_pos(b, p, byte),
                });
            }
            pages.push(p);
        }
        if !fields.is_empty() || !pages.is_empty() {
            segments.push(SegmentReport {
                index: i,
                fields,
                pages: PageCounts { a: na, b: nb },
                differing_pages: pages,
                first_differing_page: first,
            });
        }
    }
    PalReport {
        entry: (ma.pal.entry != mb.pal.entry).then_some(HexPair {
            a: ma.pal.entry,
            b: mb.pal.entry,
        }),
        segments,
        only_in_a: (sb.len()..sa.len()).collect(),
        only_in_b: (sa.len()..sb.len()).collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// SIGSTRUCT fields.

fn sig_fields(sig: &Sigstruct, version: GramineVersion) -> Vec<(&'static str, String)> {
    let date = sig
        .date(DateEncoding::for_version(version))
        .map(|d| d.to_string())
        .unwrap_or_else(|_| format!("(undecodable: {})", hex::encode(sig.date)));
    vec![
        ("mr_signer", hex::encode(sig.mrsigner())),
        ("mr_enclave", hex::encode(sig.enclave_hash)),
        ("isv_prod_id", sig.isv_prod_id.to_string()),
        ("isv_svn", sig.isv_svn.to_string()),
        ("attribute_flags", format!("{:#x}", sig.attribute_flags)),
        ("attribute_xfrms", format!("{:#x}", sig.attribute_xfrm)),
        ("misc_select", format!("{:#x}", sig.misc_select)),
        (
            "attribute_flags_mask",
            format!("{:#x}", sig.attribute_flags_mask),
        ),
        (
            "attribute_xfrm_mask",
            format!("{:#x}", sig.attribute_xfrm_mask),
        ),
        ("misc_mask", format!("{:#x}", sig.misc_mask)),
        ("date", date),
        (
            "debug_enclave",
            if sig.is_debug() { "True" } else { "False" }.into(),
        ),
        ("signature", hex::encode(Sha256::digest(sig.signature))),
    ]
}

/// Fields a manifest determines (the others are `None`).
fn derivable(field: &str) -> bool {
    !matches!(field, "mr_signer" | "date" | "signature")
}

type SigView = (Vec<(&'static str, Option<String>)>, Option<String>);

/// The SIGSTRUCT view of a side: its own fields, or what Gramine would put there for a
/// measurable side (`None` for fields a manifest does not determine), with a note on failure.
fn sig_view(side: &Side, mrenclave: Option<[u8; 32]>) -> SigView {
    if let Some(sig) = &side.sig {
        return (
            sig_fields(sig, side.version)
                .into_iter()
                .map(|(k, v)| (k, Some(v)))
                .collect(),
            None,
        );
    }
    let (Some(m), Some(mr)) = (&side.measurable, mrenclave) else {
        return (vec![], None);
    };
    let date = SigDate::new(2000, 1, 1).unwrap_or(SigDate {
        year: 2000,
        month: 1,
        day: 1,
    });
    match make_sigstruct(&m.table, mr, side.version, date) {
        Ok(sig) => (
            sig_fields(&sig, side.version)
                .into_iter()
                .map(|(k, v)| (k, derivable(k).then_some(v)))
                .collect(),
            None,
        ),
        Err(e) => (
            vec![("mr_enclave", Some(hex::encode(mr)))],
            Some(format!(
                "{}: Gramine would refuse to sign it ({}); only mr_enclave is compared",
                side.label,
                chain(&e)
            )),
        ),
    }
}

pub(super) fn sig_rows(
    a: &Side,
    b: &Side,
    meas: &Measurement,
    notes: &mut Vec<String>,
) -> Vec<SigRow> {
    let (va, na) = sig_view(a, meas.mrenclave[0]);
    let (vb, nb) = sig_view(b, meas.mrenclave[1]);
    notes.extend(na);
    notes.extend(nb);
    let mut rows = Vec::new();
    for (field, x) in &va {
        let y = vb
            .iter()
            .find(|(f, _)| f == field)
            .and_then(|(_, v)| v.clone());
        rows.push(SigRow {
            field,
            compared: x.is_some() && y.is_some(),
            equal: x.is_some() && *x == y,
            a: x.clone(),
            b: y,
        });
    }
    rows
}
