//! Section 4: the first measurement record where A and B part, where it lies and what differs.

use measure_core::diff::{
    self as core_diff, AreaSpan, Divergence, Location, Record, RecordData, Region,
};
use measure_core::engine::{AreaKind, PAGE};
use measure_core::layout::Layout;
use sha2::{Digest, Sha256};

use super::fmt::{clip, secinfo_text, size_text};
use super::inputs::Measurable;
use super::report::{AreaReport, DivergenceReport, EcreateFields, RecordReport};
use super::sections::file_pos;

/// What the area is, for people: `stack 3`, `tcs (thread 1)`, `PAL code segment 0 (...)`.
fn area_name(a: &AreaSpan, loc: &Location, l: &Layout) -> String {
    let page = loc.page_in_area().unwrap_or(0);
    let p = l.profile;
    match a.kind {
        AreaKind::Manifest => "manifest".into(),
        AreaKind::Ssa => {
            let frame_pages = (p.ssa_frame_size / p.page_size).max(1);
            let per_thread = frame_pages * p.ssa_frame_num;
            format!(
                "ssa (thread {}, frame {})",
                page / per_thread.max(1),
                (page % per_thread.max(1)) / frame_pages
            )
        }
        AreaKind::Tcs => format!("tcs (thread {page})"),
        AreaKind::Tls => format!("tls (thread {page})"),
        AreaKind::Stack => format!("stack {}", a.index),
        AreaKind::SigStack => format!("sig_stack {}", a.index),
        AreaKind::Code | AreaKind::Data => format!(
            "PAL {} segment {} ({})",
            a.kind.name(),
            a.index,
            secinfo_text(a.flags)
        ),
        AreaKind::Free if a.index == 0 => "free (the gap below the pinned PAL)".into(),
        AreaKind::Free => "free (heap)".into(),
    }
}

fn record_report(r: &Record, l: &Layout) -> RecordReport {
    let (op, offset, flags, ecreate, chunk_sha256) = match r.data {
        RecordData::Ecreate {
            ssa_frame_pages,
            enclave_size,
        } => (
            "ECREATE",
            None,
            None,
            Some(EcreateFields {
                ssa_frame_pages,
                enclave_size,
            }),
            None,
        ),
        RecordData::Eadd { offset, flags } => ("EADD", Some(offset), Some(flags), None, None),
        RecordData::Eextend { offset, chunk } => (
            "EEXTEND",
            Some(offset),
            None,
            None,
            Some(hex::encode(Sha256::digest(chunk))),
        ),
    };
    let area = match r.location.region {
        Region::Area(a) => Some(AreaReport {
            kind: a.kind.name(),
            index: Some(a.index),
            name: Some(area_name(&a, &r.location, l)),
            start: Some(a.addr),
            size: Some(a.size),
            flags: Some(a.flags),
            measured: Some(a.measured),
        }),
        Region::Ecreate => Some(AreaReport {
            kind: "ecreate",
            index: None,
            name: None,
            start: None,
            size: None,
            flags: None,
            measured: None,
        }),
        Region::End => None,
    };
    RecordReport {
        index: r.index,
        op,
        offset,
        flags,
        ecreate,
        chunk_sha256,
        area,
        page: r.location.page_addr(),
        page_in_area: r.location.page_in_area(),
        chunk: r.location.chunk(),
    }
}

/// The report of a divergence between the streams of `ma` and `mb`.
pub(super) fn divergence_report(
    d: &Divergence,
    ma: &Measurable,
    mb: &Measurable,
) -> DivergenceReport {
    let what = match (&d.a, &d.b) {
        (Some(ra), Some(rb)) => what_differs(ra, rb, ma, mb),
        (None, _) => vec![format!("A ends after {} records", d.index)],
        (_, None) => vec![format!("B ends after {} records", d.index)],
    };
    let (differs, page_byte) = match (&d.a, &d.b) {
        (Some(ra), Some(rb)) => differing_parts(ra, rb),
        _ => (vec!["length"], None),
    };
    DivergenceReport {
        index: d.index,
        a: d.a.as_ref().map(|r| record_report(r, &ma.layout)),
        b: d.b.as_ref().map(|r| record_report(r, &mb.layout)),
        differs,
        first_differing_page_byte: page_byte,
        what,
    }
}

/// Line and column (1-based) of a byte offset of the manifest, and the line's text.
fn manifest_position(bytes: &[u8], at: usize) -> (usize, usize, String) {
    let at = at.min(bytes.len());
    let before = bytes.get(..at).unwrap_or_default();
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = bytes
        .get(at..)
        .and_then(|r| r.iter().position(|&b| b == b'\n'))
        .map_or(bytes.len(), |i| at + i);
    let col = String::from_utf8_lossy(bytes.get(start..at).unwrap_or_default())
        .chars()
        .count()
        + 1;
    let text = String::from_utf8_lossy(bytes.get(start..end).unwrap_or_default()).into_owned();
    (line, col, text)
}

/// Which parts of two records differ (`operation`, `enclave_size`, `ssa_frame_pages`, `offset`,
/// `flags`, `contents`) and, for contents, the first differing byte of the page.
fn differing_parts(ra: &Record, rb: &Record) -> (Vec<&'static str>, Option<usize>) {
    let mut parts = vec![];
    let mut byte = None;
    match (ra.data, rb.data) {
        (
            RecordData::Ecreate {
                ssa_frame_pages: pa,
                enclave_size: sa,
            },
            RecordData::Ecreate {
                ssa_frame_pages: pb,
                enclave_size: sb,
            },
        ) => {
            if sa != sb {
                parts.push("enclave_size");
            }
            if pa != pb {
                parts.push("ssa_frame_pages");
            }
        }
        (
            RecordData::Eadd {
                offset: oa,
                flags: fa,
            },
            RecordData::Eadd {
                offset: ob,
                flags: fb,
            },
        ) => {
            if oa != ob {
                parts.push("offset");
            }
            if fa != fb {
                parts.push("flags");
            }
        }
        (
            RecordData::Eextend {
                offset: oa,
                chunk: ca,
            },
            RecordData::Eextend {
                offset: ob,
                chunk: cb,
            },
        ) => {
            if oa != ob {
                parts.push("offset");
            }
            if let Some(i) = ca.iter().zip(&cb).position(|(x, y)| x != y) {
                parts.push("contents");
                byte = Some(ra.location.chunk().unwrap_or(0) as usize * 256 + i);
            }
        }
        _ => parts.push("operation"),
    }
    (parts, byte)
}

/// What differs between the two records at the divergence (both present).
fn what_differs(ra: &Record, rb: &Record, ma: &Measurable, mb: &Measurable) -> Vec<String> {
    let mut out = Vec::new();
    match (ra.data, rb.data) {
        (
            RecordData::Ecreate {
                ssa_frame_pages: pa,
                enclave_size: sa,
            },
            RecordData::Ecreate {
                ssa_frame_pages: pb,
                enclave_size: sb,
            },
        ) => {
            if sa != sb {
                out.push(format!(
                    "ECREATE enclave size: {} vs {}",
                    size_text(sa),
                    size_text(sb)
                ));
            }
            if pa != pb {
                out.push(format!("ECREATE SSA frame size: {pa} vs {pb} pages"));
            }
        }
        (
            RecordData::Eadd {
                offset: oa,
                flags: fa,
            },
            RecordData::Eadd {
                offset: ob,
                flags: fb,
            },
        ) => {
            if oa != ob {
                out.push(format!("EADD page offset: {oa:#x} vs {ob:#x}"));
            }
            if fa != fb {
                out.push(format!(
                    "EADD SECINFO flags: {} vs {}",
                    secinfo_text(fa),
                    secinfo_text(fb)
                ));
            }
        }
        (
            RecordData::Eextend {
                offset: oa,
                chunk: ca,
            },
            RecordData::Eextend {
                offset: ob,
                chunk: cb,
            },
        ) => {
            if oa != ob {
                out.push(format!("EEXTEND chunk offset: {oa:#x} vs {ob:#x}"));
            }
            if ca != cb {
                let first = ca.iter().zip(&cb).position(|(x, y)| x != y).unwrap_or(0);
                let count = ca.iter().zip(&cb).filter(|(x, y)| x != y).count();
                let chunk = ra.location.chunk().unwrap_or(0) as usize;
                let page_byte = chunk * 256 + first;
                out.push(format!(
                    "EEXTEND contents of the chunk at offset {oa:#x} (chunk {chunk}, page bytes {:#x}-{:#x}): {count} of 256 bytes differ, the first at page byte {page_byte:#x} ({:#04x} vs {:#04x})",
                    chunk * 256,
                    chunk * 256 + 255,
                    ca.get(first).copied().unwrap_or(0),
                    cb.get(first).copied().unwrap_or(0)
                ));
                let bytes = DifferingBytes {
                    ca: &ca,
                    cb: &cb,
                    page_byte,
                    chunk_byte: first,
                };
                if let Some(s) = context(ra, rb, &bytes, ma, mb) {
                    out.push(s);
                }
            }
        }
        (da, db) => out.push(format!(
            "different operations: A measures {}, B measures {}",
            da.name(),
            db.name()
        )),
    }
    out
}

/// Two EEXTEND chunks and their first differing byte.
struct DifferingBytes<'c> {
    ca: &'c [u8; 256],
    cb: &'c [u8; 256],
    /// In the page.
    page_byte: usize,
    /// In the chunk.
    chunk_byte: usize,
}

/// Where a differing byte comes from: a manifest line, a TCS/TLS field, a PAL file offset.
fn context(
    ra: &Record,
    rb: &Record,
    d: &DifferingBytes<'_>,
    ma: &Measurable,
    mb: &Measurable,
) -> Option<String> {
    let (Region::Area(aa), Region::Area(ab)) = (ra.location.region, rb.location.region) else {
        return None;
    };
    let page = ra.location.page_in_area()?;
    let page_byte = d.page_byte;
    match aa.kind {
        AreaKind::Manifest if ab.kind == AreaKind::Manifest => {
            let at = page as usize * PAGE + page_byte;
            let side = |m: &Measurable| {
                if at >= m.bytes.len() {
                    format!("past its {} bytes (NUL and zero padding)", m.bytes.len())
                } else {
                    let (line, col, text) = manifest_position(&m.bytes, at);
                    format!("line {line}, column {col}: {}", clip(&text, 100))
                }
            };
            Some(format!(
                "manifest byte {at}: A {}; B {}",
                side(ma),
                side(mb)
            ))
        }
        AreaKind::Tcs | AreaKind::Tls if ab.kind == aa.kind => {
            let profile = ma.layout.profile;
            let name = core_diff::page_field(aa.kind, profile, page_byte)?;
            let is_field = |b: usize| core_diff::page_field(aa.kind, profile, b) == Some(name);
            let start = (page_byte.saturating_sub(7)..=page_byte).find(|&b| is_field(b))?;
            let len = (start..start + 8).take_while(|&b| is_field(b)).count();
            let at = d.chunk_byte.checked_sub(page_byte - start)?;
            let read = |c: &[u8; 256]| {
                c.get(at..at + len).map(|bytes| {
                    bytes
                        .iter()
                        .rev()
                        .fold(0u64, |v, &x| (v << 8) | u64::from(x))
                })
            };
            Some(format!(
                "{} field {name} (page byte {start:#x}) of thread {page}: {:#x} vs {:#x}",
                aa.kind.name(),
                read(d.ca)?,
                read(d.cb)?
            ))
        }
        AreaKind::Code | AreaKind::Data => {
            let seg_a = ma.pal.segments.get(aa.index as usize)?.load();
            let pos_a = file_pos(&seg_a, page, page_byte);
            let pos_b = mb.pal.segments.get(ab.index as usize).map(|s| {
                file_pos(
                    &s.load(),
                    rb.location.page_in_area().unwrap_or(0),
                    page_byte,
                )
            });
            Some(format!(
                "PAL segment {} page {page}: libpal file offset {pos_a:#x} in A{}",
                aa.index,
                match pos_b {
                    Some(p) if p != pos_a => format!(", {p:#x} in B"),
                    Some(_) => " and B".into(),
                    None => String::new(),
                }
            ))
        }
        _ => None,
    }
}
