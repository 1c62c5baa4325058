//! The bundle reader on arbitrary bytes: never panics, and for every accepted bundle each accessor
//! (PAL segments, policy prefixes, base entries, manifest forms, information) yields exactly what
//! the sections declare, all of it inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use measure_core::bundle::{Bundle, Form, tag};
use measure_core::engine::PalImage;
use measure_core::sha256::Sha256;

/// `part` lies within `whole`.
fn within(part: &[u8], whole: &[u8]) -> bool {
    let (p, w) = (part.as_ptr() as usize, whole.as_ptr() as usize);
    p >= w && p + part.len() <= w + whole.len()
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// The sections of a bundle that parsed, by tag (the reader accepted it, so the framing is sound).
fn sections(data: &[u8]) -> Vec<(u32, &[u8])> {
    let count = u32_at(data, 12);
    let mut at = 16;
    let mut out = Vec::new();
    for _ in 0..count {
        let (t, len) = (u32_at(data, at), u32_at(data, at + 4) as usize);
        out.push((t, &data[at + 8..at + 8 + len]));
        at += 8 + len;
    }
    assert_eq!(at, data.len(), "accepted bundle with trailing bytes");
    out
}

fn section<'a>(all: &[(u32, &'a [u8])], t: u32) -> Option<&'a [u8]> {
    let mut found = all.iter().filter(|(k, _)| *k == t);
    let first = found.next().map(|(_, d)| *d);
    assert!(
        found.next().is_none(),
        "accepted a duplicate section {t:#x}"
    );
    first
}

fn check_form(f: &Form<'_>, sec: &[u8], data: &[u8]) {
    assert!(within(f.prefix, data) && within(f.suffix, data));
    assert_eq!(u32_at(sec, 0) as usize, f.prefix.len());
    assert_eq!(4 + f.prefix.len() + f.suffix.len(), sec.len());
    assert_eq!(&sec[4..4 + f.prefix.len()], f.prefix);
    assert_eq!(&sec[4 + f.prefix.len()..], f.suffix);
}

fuzz_target!(|data: &[u8]| {
    let b = match Bundle::parse(data) {
        Ok(b) => b,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let all = sections(data);
    for (t, _) in &all {
        let known = (1..=8).contains(t) || *t == tag::INFO;
        assert!(
            known || t & tag::OPTIONAL != 0,
            "accepted unknown tag {t:#x}"
        );
    }
    for required in [
        tag::LAYOUT,
        tag::PAL,
        tag::MANIFEST_SECTIONS,
        tag::POLICY,
        tag::BASE_URI_INDEX,
    ] {
        assert!(section(&all, required).is_some(), "missing {required}");
    }

    // Layout: the parameters come back as stored.
    let layout = section(&all, tag::LAYOUT).unwrap();
    assert_eq!(layout.len(), 20);
    assert_eq!(layout[0], b.params.version.code());
    assert_eq!(layout[1], b.dialect.code());
    assert_eq!(
        layout[2],
        u8::from(b.params.edmm) | u8::from(b.params.nonpie_binary) << 1
    );
    assert_eq!(&layout[4..12], &b.params.enclave_size.to_le_bytes());
    assert_eq!(&layout[12..20], &b.params.threads.to_le_bytes());

    // PAL: every declared segment, in order, with its bytes, covering the section's data exactly.
    let pal = section(&all, tag::PAL).unwrap();
    let n = b.pal.segment_count();
    assert_eq!(u32_at(pal, 8), n);
    assert!(n >= 1);
    assert_eq!(b.pal.entry().to_le_bytes(), pal[..8]);
    let mut data_at = 12 + 40 * n as usize;
    let mut seen = 0u32;
    for (i, s) in b.pal.segments().enumerate() {
        let d = &pal[12 + 40 * i..12 + 40 * (i + 1)];
        let field = |k: usize| u64::from_le_bytes(d[8 * k..8 * k + 8].try_into().unwrap());
        assert_eq!(
            (s.offset, s.vaddr, s.filesz, s.memsz, s.flags),
            (field(0), field(1), field(2), field(3), u32_at(d, 32))
        );
        assert!(s.filesz <= s.memsz);
        assert!(s.vaddr.checked_add(s.memsz).is_some());
        assert_eq!(s.data.len() as u64, s.filesz);
        assert!(within(s.data, data));
        assert_eq!(s.data, &pal[data_at..data_at + s.data.len()]);
        data_at += s.data.len();
        seen += 1;
    }
    assert_eq!(seen, n, "segments() stopped early");
    assert_eq!(data_at, pal.len(), "PAL data not fully covered");

    // Manifest forms.
    check_form(
        &b.sections_form,
        section(&all, tag::MANIFEST_SECTIONS).unwrap(),
        data,
    );
    match (b.inline_form, section(&all, tag::MANIFEST_INLINE)) {
        (Some(f), Some(sec)) => check_form(&f, sec, data),
        (None, None) => {}
        other => panic!("inline form disagrees with its section: {other:?}"),
    }
    assert_eq!(b.empty_manifest, section(&all, tag::MANIFEST_EMPTY));
    assert_eq!(b.info, section(&all, tag::INFO));
    assert_eq!(b.base_entries, section(&all, tag::BASE_ENTRIES));
    for part in [b.empty_manifest, b.info, b.base_entries]
        .into_iter()
        .flatten()
    {
        assert!(within(part, data));
    }

    // Policy: exactly the declared prefixes, non-empty UTF-8, covering the section.
    let policy = section(&all, tag::POLICY).unwrap();
    assert_eq!(u32_at(policy, 0), b.policy.len());
    assert_eq!(b.policy.is_empty(), b.policy.len() == 0);
    let mut at = 4;
    let mut count = 0u32;
    for p in b.policy.prefixes() {
        assert!(within(p, data));
        assert!(!p.is_empty() && std::str::from_utf8(p).is_ok());
        assert_eq!(u32_at(policy, at) as usize, p.len());
        assert_eq!(&policy[at + 4..at + 4 + p.len()], p);
        at += 4 + p.len();
        count += 1;
    }
    assert_eq!(count, b.policy.len());
    assert_eq!(at, policy.len());

    // Base URI index.
    let index = section(&all, tag::BASE_URI_INDEX).unwrap();
    assert_eq!(u32_at(index, 0) as usize, b.base_uri_count());
    assert_eq!(index.len(), 4 + 32 * b.base_uri_count());
    for h in index[4..].chunks_exact(32) {
        assert!(b.has_base_uri_hash(h.try_into().unwrap()));
    }

    // Base entries: all of them, each within the input.
    match (b.base_entries(), b.base_entries) {
        (Some(it), Some(sec)) => {
            let mut count = 0u32;
            for e in it {
                assert!(within(e.uri, sec) && within(e.sha256, sec));
                let _ = b.has_base_uri_hash(&Sha256::digest(e.uri));
                count += 1;
            }
            assert_eq!(count, u32_at(sec, 0), "base_entries() stopped early");
        }
        (None, None) => {}
        _ => panic!("base_entries() disagrees with the section"),
    }
});
