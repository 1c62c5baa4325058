//! Bundles written by `BundleBuilder` from arbitrary (valid) parts: the reader accepts every one
//! of them and gives back exactly the parts that went in.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use measure_core::bundle::{Bundle, BundleBuilder, Dialect, Form};
use measure_core::elf::LoadSegment;
use measure_core::engine::PalImage;
use measure_core::layout::LayoutParams;
use measure_core::profile::GramineVersion;
use measure_core::sha256::Sha256;

#[derive(Arbitrary, Debug)]
struct Segment<'a> {
    offset: u64,
    vaddr: u64,
    extra_mem: u64,
    flags: u32,
    data: &'a [u8],
}

#[derive(Arbitrary, Debug)]
struct Parts<'a> {
    version: u8,
    dialect: u8,
    edmm: bool,
    nonpie: bool,
    enclave_size: u64,
    threads: u64,
    pal_entry: u64,
    segments: Vec<Segment<'a>>,
    sections: (&'a [u8], &'a [u8]),
    inline: Option<(&'a [u8], &'a [u8])>,
    empty_manifest: Option<&'a [u8]>,
    prefixes: Vec<&'a str>,
    base_entries: Vec<(&'a str, &'a str, bool)>,
    info: &'a str,
}

fuzz_target!(|p: Parts<'_>| {
    let version = GramineVersion::ALL[usize::from(p.version) % GramineVersion::ALL.len()];
    let dialect =
        [Dialect::TomliW1, Dialect::TomliW04, Dialect::Toml0102][usize::from(p.dialect) % 3];
    // Valid segments: at least one, `filesz` = the data, `memsz >= filesz`, and the end of the
    // last page (`vaddr + memsz` rounded up) and `offset + filesz` within 64 bits.
    let mut segments: Vec<LoadSegment<'_>> = p
        .segments
        .iter()
        .take(64)
        .map(|s| {
            let filesz = s.data.len() as u64;
            let memsz = filesz.saturating_add(s.extra_mem % (1 << 40));
            LoadSegment {
                offset: s.offset.min(u64::MAX - filesz),
                vaddr: s.vaddr.min(u64::MAX - 0xfff - memsz),
                filesz,
                memsz,
                flags: s.flags,
                data: s.data,
            }
        })
        .collect();
    if segments.is_empty() {
        segments.push(LoadSegment {
            offset: 0,
            vaddr: 0,
            filesz: 0,
            memsz: 4096,
            flags: 5,
            data: &[],
        });
    }
    // Valid prefixes are non-empty.
    let prefixes: Vec<&str> = p
        .prefixes
        .iter()
        .copied()
        .filter(|s| !s.is_empty())
        .collect();
    let builder = BundleBuilder {
        params: LayoutParams {
            version,
            enclave_size: p.enclave_size,
            threads: p.threads,
            edmm: p.edmm,
            nonpie_binary: p.nonpie,
        },
        dialect,
        pal_entry: p.pal_entry,
        pal_segments: segments.clone(),
        sections_form: Form {
            prefix: p.sections.0,
            suffix: p.sections.1,
        },
        inline_form: p.inline.map(|(prefix, suffix)| Form { prefix, suffix }),
        empty_manifest: p.empty_manifest,
        allow_prefixes: prefixes.clone(),
        base_entries: p.base_entries.clone(),
        info: p.info,
    };
    let bytes = builder.to_bytes();
    let b = match Bundle::parse(&bytes) {
        Ok(b) => b,
        Err(e) => panic!("a bundle written by BundleBuilder is rejected: {e}\n{builder:?}"),
    };
    assert_eq!(b.params, builder.params);
    assert_eq!(b.dialect, dialect);
    assert_eq!(b.pal.entry(), p.pal_entry);
    assert_eq!(b.pal.segment_count() as usize, segments.len());
    assert!(b.pal.segments().eq(segments.iter().copied()));
    assert_eq!(b.sections_form, builder.sections_form);
    assert_eq!(b.inline_form, builder.inline_form);
    assert_eq!(b.empty_manifest, builder.empty_manifest);
    assert!(
        b.policy
            .prefixes()
            .eq(prefixes.iter().map(|s| s.as_bytes()))
    );
    assert_eq!(b.policy.len() as usize, prefixes.len());
    let got: Vec<(&[u8], &[u8], bool)> = b
        .base_entries()
        .expect("base entries section")
        .map(|e| (e.uri, e.sha256, e.hashed_by_bundle))
        .collect();
    let want: Vec<(&[u8], &[u8], bool)> = p
        .base_entries
        .iter()
        .map(|(u, s, h)| (u.as_bytes(), s.as_bytes(), *h))
        .collect();
    assert_eq!(got, want);
    let mut distinct: Vec<[u8; 32]> = p
        .base_entries
        .iter()
        .map(|(u, _, _)| Sha256::digest(u.as_bytes()))
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(b.base_uri_count(), distinct.len());
    for (u, _, _) in &p.base_entries {
        assert!(b.has_base_uri_hash(&Sha256::digest(u.as_bytes())));
    }
    assert_eq!(b.info, (!p.info.is_empty()).then_some(p.info.as_bytes()));
});
