//! The text report: a rendering of `measure_lib::diff::DiffReport`.

use std::fmt::Write as _;

use measure_lib::diff::fmt::{clip, plural, quoted, ranges, secinfo_text, size_text, value_text};
use measure_lib::diff::{
    DiffReport, DivergenceReport, ManifestReport, PalReport, RecordReport, SideReport, SigRow,
};

/// Items listed per category (the JSON lists all).
const LIST_LIMIT: usize = 40;

const SIG_WHY: &str = "a .sig holds ENCLAVEHASH, not a layout, a manifest or a PAL";

fn not_applicable(s: &mut String) {
    let _ = writeln!(s, "   not applicable ({SIG_WHY})");
}

fn list_limited<T>(s: &mut String, items: &[T], mut line: impl FnMut(&T) -> String) {
    for it in items.iter().take(LIST_LIMIT) {
        s.push_str(&line(it));
        s.push('\n');
    }
    if items.len() > LIST_LIMIT {
        let _ = writeln!(s, "     ... and {} more", items.len() - LIST_LIMIT);
    }
}

/// The text report.
pub fn render(r: &DiffReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "sgx-measure diff: {}",
        if r.same {
            "SAME MRENCLAVE"
        } else {
            "MRENCLAVE DIFFERS"
        }
    );
    for side in [&r.a, &r.b] {
        side_text(&mut s, side);
    }
    if let Some(rows) = &r.sigstruct {
        sigstruct_text(&mut s, r, rows);
    }

    s.push_str("\n1. Layout attributes\n");
    match &r.layout {
        None => not_applicable(&mut s),
        Some(rows) if rows.is_empty() => s.push_str("   none differ\n"),
        Some(rows) => {
            for row in rows {
                let _ = writeln!(
                    s,
                    "   {}{}: {} -> {}",
                    row.attribute,
                    if row.derived { " (derived)" } else { "" },
                    row.text_a,
                    row.text_b
                );
            }
        }
    }

    s.push_str("\n2. Manifest\n");
    match &r.manifest {
        None => not_applicable(&mut s),
        Some(d) if d.is_empty() => s.push_str("   no key differs\n"),
        Some(d) => manifest_text(&mut s, d),
    }

    s.push_str("\n3. PAL\n");
    match &r.pal {
        None => not_applicable(&mut s),
        Some(p) if p.is_empty() => s.push_str("   no segment differs\n"),
        Some(p) => {
            let moved = r
                .layout
                .as_ref()
                .is_some_and(|rows| rows.iter().any(|row| row.attribute == "pal_address"));
            pal_text(&mut s, p, moved);
        }
    }

    s.push_str("\n4. First diverging measurement record\n");
    let both = r.a.measured() && r.b.measured();
    match &r.divergence {
        Some(d) => divergence_text(&mut s, d),
        None if both && r.same => s.push_str("   none: the record streams are identical\n"),
        None if both => s.push_str("   not found\n"),
        None => not_applicable(&mut s),
    }
    if both {
        let _ = writeln!(s, "   ({})", r.method);
    }
    if !r.notes.is_empty() {
        s.push_str("\nNotes:\n");
        for n in &r.notes {
            let _ = writeln!(s, "   - {n}");
        }
    }
    let _ = writeln!(
        s,
        "\nresult: {}",
        if r.same {
            "same MRENCLAVE (exit status 0)"
        } else {
            "MRENCLAVE differs (exit status 1)"
        }
    );
    s
}

fn side_text(s: &mut String, side: &SideReport) {
    let _ = writeln!(
        s,
        "{}: {} ({})",
        side.label,
        side.path.display(),
        side.reading
    );
    let _ = write!(s, "   Gramine v{}", side.gramine);
    if let (Some(pal), Some(len), Some(sha)) =
        (&side.libpal, side.manifest_bytes, &side.manifest_sha256)
    {
        let _ = write!(s, "; PAL {pal}; manifest {len} bytes, sha256 {sha}");
    }
    s.push('\n');
    if let Some(m) = side.mrenclave {
        let _ = write!(s, "   mrenclave   {}", hex::encode(m));
        if let Some(n) = side.records {
            let _ = write!(s, " ({n} records)");
        }
        s.push('\n');
    }
    if let Some(h) = side.enclavehash {
        let _ = writeln!(s, "   ENCLAVEHASH {}", hex::encode(h));
    }
}

fn sigstruct_text(s: &mut String, r: &DiffReport, rows: &[SigRow]) {
    s.push_str("\nSIGSTRUCT fields (gramine-sgx-sigstruct-view names):\n");
    let mut any = false;
    for row in rows {
        if let (Some(x), Some(y)) = (&row.a, &row.b)
            && x != y
        {
            any = true;
            let name = if row.field == "mr_enclave" {
                "mr_enclave (ENCLAVEHASH)"
            } else {
                row.field
            };
            let _ = writeln!(s, "   {name}: {x} -> {y}");
        }
    }
    if !any {
        s.push_str("   every compared field is equal\n");
    }
    let not: Vec<&str> = rows
        .iter()
        .filter(|row| !row.compared)
        .map(|row| row.field)
        .collect();
    if !not.is_empty() {
        let _ = writeln!(
            s,
            "   not compared (a manifest does not determine them): {}",
            not.join(", ")
        );
    }
    for (side, other) in [(&r.a, &r.b), (&r.b, &r.a)] {
        if let (Some(h), Some(m)) = (side.enclavehash, other.mrenclave) {
            let _ = writeln!(
                s,
                "   {}'s MRENCLAVE {} {}'s ENCLAVEHASH",
                other.label,
                if m == h { "equals" } else { "does NOT equal" },
                side.label
            );
        }
    }
}

fn manifest_text(s: &mut String, d: &ManifestReport) {
    let v = |x: &measure_lib::toml::Value| clip(&value_text(x), 160);
    list_limited(s, &d.changed, |c| {
        format!("   changed  {}: {} -> {}", c.path, v(&c.a.0), v(&c.b.0))
    });
    list_limited(s, &d.added, |k| {
        format!("   added    {} = {} (only in B)", k.path, v(&k.value.0))
    });
    list_limited(s, &d.removed, |k| {
        format!("   removed  {} = {} (only in A)", k.path, v(&k.value.0))
    });
    for p in &d.key_order_differs {
        let _ = writeln!(s, "   key order differs in {p}");
    }
    let tf = &d.trusted_files;
    let sha = |h: &Option<measure_lib::diff::ManifestValue>| {
        h.as_ref()
            .map(|h| v(&h.0))
            .unwrap_or_else(|| "(no sha256)".into())
    };
    list_limited(s, &tf.changed, |c| {
        if c.a != c.b {
            format!(
                "   trusted file changed  {}: sha256 {} -> {}",
                quoted(&c.uri),
                sha(&c.a),
                sha(&c.b)
            )
        } else {
            format!(
                "   trusted file changed  {}: {} -> {}",
                quoted(&c.uri),
                v(&c.a_entry.0),
                v(&c.b_entry.0)
            )
        }
    });
    list_limited(s, &tf.added, |t| {
        format!(
            "   trusted file added    {} (sha256 {}, only in B)",
            quoted(&t.uri),
            sha(&t.sha256)
        )
    });
    list_limited(s, &tf.removed, |t| {
        format!(
            "   trusted file removed  {} (sha256 {}, only in A)",
            quoted(&t.uri),
            sha(&t.sha256)
        )
    });
    if let Some(u) = &tf.reordered_at {
        let _ = writeln!(
            s,
            "   trusted files are in a different order (first out of place: {})",
            quoted(u)
        );
    }
    if let Some(c) = tf.count
        && c.a != c.b
    {
        let _ = writeln!(s, "   sgx.trusted_files: {} entries -> {}", c.a, c.b);
    }
}

fn pal_text(s: &mut String, p: &PalReport, moved: bool) {
    if let Some(e) = p.entry {
        let _ = writeln!(s, "   e_entry: {:#x} -> {:#x}", e.a, e.b);
    }
    if moved {
        s.push_str("   the PAL is measured at another address (pal_address above): every segment moved with it\n");
    }
    for seg in &p.segments {
        let fields: Vec<String> = seg
            .fields
            .iter()
            .filter(|f| !(moved && f.field == "measured at"))
            .map(|f| format!("{} {} -> {}", f.field, f.a, f.b))
            .collect();
        if fields.is_empty() && seg.differing_pages.is_empty() {
            continue;
        }
        let _ = write!(s, "   segment {}:", seg.index);
        if !fields.is_empty() {
            let _ = write!(s, " {};", fields.join(", "));
        }
        let (pages_a, pages_b) = (seg.pages.a, seg.pages.b);
        if pages_a != pages_b {
            let _ = write!(s, " {pages_a} pages in A, {pages_b} in B;");
        }
        if seg.differing_pages.is_empty() {
            s.push_str(" page contents equal\n");
            continue;
        }
        let _ = write!(
            s,
            " contents differ in {} of {} ({})",
            seg.differing_pages.len(),
            plural(pages_a.max(pages_b), "page", "pages"),
            clip(&ranges(&seg.differing_pages), 120)
        );
        if let Some(f) = seg.first_differing_page {
            if f.page >= pages_a.min(pages_b) {
                let _ = write!(
                    s,
                    "; first diverging page: {} (only in {})",
                    f.page,
                    if pages_a > pages_b { "A" } else { "B" }
                );
            } else {
                let _ = write!(
                    s,
                    "; first diverging page: {}, at byte {:#x} (libpal file offset {:#x}{})",
                    f.page,
                    f.byte,
                    f.file_offset_a,
                    if f.file_offset_a != f.file_offset_b {
                        format!(" in A, {:#x} in B", f.file_offset_b)
                    } else {
                        String::new()
                    }
                );
            }
        }
        s.push('\n');
    }
    for i in &p.only_in_a {
        let _ = writeln!(s, "   segment {i}: only in A");
    }
    for i in &p.only_in_b {
        let _ = writeln!(s, "   segment {i}: only in B");
    }
}

/// `EADD offset 0x... flags ...`.
fn record_text(r: &RecordReport) -> String {
    match (r.op, r.ecreate, r.offset) {
        ("ECREATE", Some(e), _) => format!(
            "ECREATE (SSA frame {} pages, enclave size {})",
            e.ssa_frame_pages,
            size_text(e.enclave_size)
        ),
        ("EADD", _, Some(offset)) => format!(
            "EADD offset {offset:#x} flags {}",
            secinfo_text(r.flags.unwrap_or(0))
        ),
        (_, _, offset) => format!("EEXTEND chunk at offset {:#x}", offset.unwrap_or(0)),
    }
}

/// Where a record lies: `stack 3, page 0x... (page 2 of the area), chunk 5`.
fn location_text(r: &RecordReport) -> String {
    let Some(area) = &r.area else {
        return "past the end".into();
    };
    let Some(name) = &area.name else {
        return "ECREATE".into();
    };
    let mut s = name.clone();
    if let Some(addr) = r.page {
        let _ = write!(
            s,
            ", page {addr:#x} (page {} of the area)",
            r.page_in_area.unwrap_or(0)
        );
    }
    if let Some(c) = r.chunk {
        let _ = write!(s, ", chunk {c}");
    }
    s
}

fn divergence_text(s: &mut String, d: &DivergenceReport) {
    let _ = writeln!(s, "   record #{} (0 = ECREATE)", d.index);
    for (label, r) in [("A", &d.a), ("B", &d.b)] {
        match r {
            Some(r) => {
                let _ = writeln!(s, "   {label}: {} in {}", record_text(r), location_text(r));
            }
            None => {
                let _ = writeln!(s, "   {label}: (its stream has ended: {} records)", d.index);
            }
        }
    }
    if d.a.is_some() && d.b.is_some() {
        for w in &d.what {
            let _ = writeln!(s, "   differs: {w}");
        }
    }
}
