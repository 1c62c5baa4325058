//! The streaming SDK measurement (`SdkEnclave::measure`) against a naive reference that builds
//! the whole enclave image in memory, lists every page `sgx_sign` adds in its order, and hashes
//! the ECREATE/EADD/EEXTEND records with the `sha2` crate, on random configurations of the test
//! enclaves.

use std::collections::HashSet;
use std::path::Path;

use measure_core::sdk::layout::{LayoutEntry, SI_FLAG_TCS, SI_FLAG_W, attr};
use measure_core::sdk::{Param, SdkConfig, SdkElf, SdkEnclave, SdkVersion, SignOptions};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use sha2::{Digest, Sha256};

const PAGE: u64 = 4096;

fn enclave_file(sdk: &str, name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/sdk-vectors/enclaves")
        .join(sdk)
        .join(format!("{name}.so"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// One page `sgx_sign` adds: offset in the enclave, SECINFO flags, whether it is EEXTENDed.
struct Add {
    rva: u64,
    flags: u64,
    extend: bool,
}

/// The reference: an image of the whole enclave, and the pages in the order they are added.
fn reference(e: &SdkEnclave<'_>) -> [u8; 32] {
    let size = e.layout.enclave_size as usize;
    let mut image = vec![0u8; size];
    let mut adds: Vec<Add> = Vec::new();

    // The file as sgx_sign patches it before measuring.
    let mut file = e.elf.data().to_vec();
    let gd = e.global_data_file_offset as usize;
    let gd_len = e.version.global_data_size();
    file[gd..gd + gd_len].copy_from_slice(&e.global_data_template[..gd_len]);
    file[40..48].fill(0);
    file[60..64].fill(0);

    let mut relocated = HashSet::new();
    e.elf.for_each_relocated_page(|p| {
        relocated.insert(p);
    });
    let bitmap_pages = e.elf.relocation_bitmap_pages();
    for s in e.elf.segments() {
        let data = &file[s.file_offset as usize..(s.file_offset + s.filesz) as usize];
        image[s.rva as usize..s.rva as usize + data.len()].copy_from_slice(data);
        let end = s.rva + s.filesz.max(s.memsz);
        let mut page = s.rva / PAGE * PAGE;
        while page < end {
            let mut flags = s.si_flags;
            let in_data = page < s.rva + s.filesz;
            if in_data
                && e.elf.has_textrel_tag()
                && relocated.contains(&(page / PAGE))
                && page / PAGE < bitmap_pages
            {
                flags |= SI_FLAG_W;
            }
            adds.push(Add {
                rva: page,
                flags,
                extend: true,
            });
            page += PAGE;
        }
    }

    let entries = e.layout.entries();
    let mut add_entry = |x: &LayoutEntry, delta: u64, image: &mut Vec<u8>| {
        if x.attributes & attr::EADD == 0 {
            return;
        }
        let base = delta + x.rva;
        let contents: Option<Vec<u8>> = if x.content_offset != 0 {
            assert_eq!(x.si_flags, SI_FLAG_TCS);
            let mut p = vec![0u8; PAGE as usize];
            p[..72].copy_from_slice(&e.layout.tcs_template);
            for at in [16usize, 48, 56] {
                let v = u64::from_le_bytes(p[at..at + 8].try_into().unwrap()) + base;
                p[at..at + 8].copy_from_slice(&v.to_le_bytes());
            }
            Some(p)
        } else if x.si_flags != 0 {
            Some(
                x.content_size
                    .to_le_bytes()
                    .iter()
                    .copied()
                    .cycle()
                    .take(PAGE as usize)
                    .collect(),
            )
        } else {
            None
        };
        let Some(contents) = contents else { return };
        for k in 0..u64::from(x.page_count) {
            let at = (base + k * PAGE) as usize;
            image[at..at + PAGE as usize].copy_from_slice(&contents);
            adds.push(Add {
                rva: base + k * PAGE,
                flags: x.si_flags,
                extend: x.attributes & attr::EEXTEND != 0,
            });
        }
    };
    for (i, x) in entries.iter().enumerate() {
        if x.is_group() {
            let group = &entries[i - x.entry_count() as usize..i];
            for t in 1..=u64::from(x.load_times()) {
                for g in group {
                    add_entry(g, t * x.load_step(), &mut image);
                }
            }
        } else {
            add_entry(x, 0, &mut image);
        }
    }

    let shift = e.elrange.page_shift();
    let mut h = Sha256::new();
    let mut rec = [0u8; 64];
    rec[..8].copy_from_slice(b"ECREATE\0");
    rec[8..12].copy_from_slice(&e.layout.ssa_frame_size.to_le_bytes());
    let ecreate_size = if e.elrange.size != 0 {
        e.elrange.size
    } else {
        e.layout.enclave_size
    };
    rec[12..20].copy_from_slice(&ecreate_size.to_le_bytes());
    h.update(rec);
    for a in &adds {
        let off = a.rva.wrapping_add(shift);
        let mut rec = [0u8; 64];
        rec[..4].copy_from_slice(b"EADD");
        rec[8..16].copy_from_slice(&off.to_le_bytes());
        rec[16..24].copy_from_slice(&a.flags.to_le_bytes());
        h.update(rec);
        if a.extend {
            for c in 0..16u64 {
                let mut rec = [0u8; 64];
                rec[..8].copy_from_slice(b"EEXTEND\0");
                rec[8..16].copy_from_slice(&(off + c * 256).to_le_bytes());
                h.update(rec);
                let at = (a.rva + c * 256) as usize;
                h.update(&image[at..at + 256]);
            }
        }
    }
    h.finalize().into()
}

#[derive(Debug, Clone)]
struct Case {
    sdk: &'static str,
    enclave: &'static str,
    params: Vec<(Param, u64)>,
    ignore_rel_error: bool,
}

fn pages(max: u64) -> impl Strategy<Value = u64> {
    (0..=max).prop_map(|p| p * PAGE)
}

fn case() -> impl Strategy<Value = Case> {
    let enclaves = prop::sample::select(vec![
        ("2.20", "basic"),
        ("2.21", "tls"),
        ("2.22", "basic"),
        ("2.22", "tls-aligned"),
        ("2.22", "multiseg"),
        ("2.22", "rodata-reloc"),
        ("2.23", "tls"),
        ("2.24", "basic"),
        ("2.25", "basic"),
        ("2.26", "relocs"),
        ("2.26", "rwx"),
        ("2.26", "bigbss"),
        ("2.26", "textrel"),
        ("2.26", "e-entry"),
    ]);
    let sizes = (pages(64), pages(64), pages(64), 2u64..=16, 2u64..=16);
    let threads = (1u64..=4, 0u64..=3, 0u64..=5, 0u64..=1);
    let rsrv = (
        pages(8),
        pages(8),
        pages(8),
        0u64..=1,
        prop::option::of(pages(64)),
    );
    let misc = (
        prop::sample::select(vec![0u64, 1, 3]),
        prop::sample::select(vec![0xFFFF_FFFFu64, 0xFFFF_FFFE, 1]),
        0u64..=2,
        0u64..=2,
        0u64..=1,
        prop::option::of((0u64..=3, 1u64..=2)),
    );
    (enclaves, sizes, threads, rsrv, misc, any::<[bool; 8]>()).prop_map(
        |(
            (sdk, enclave),
            (hmin, hinit, hmax, smin, smax),
            (tcs, tcs_extra, pool, policy),
            (rmin, rinit, rmax, rexec, user),
            (sel, mask, pkru, amx, aex, elrange),
            present,
        )| {
            let mut params = vec![
                (Param::TcsNum, tcs),
                (Param::MiscSelect, sel),
                (Param::MiscMask, mask),
            ];
            let (hmin, hmax) = (hmin.min(hmax), hmin.max(hmax));
            params.push((Param::HeapMaxSize, hmax));
            if present[0] {
                params.push((Param::HeapMinSize, hmin));
            }
            if present[1] {
                params.push((Param::HeapInitSize, hinit.clamp(hmin, hmax)));
            }
            let (smin, smax) = (smin.min(smax) * PAGE, smin.max(smax) * PAGE);
            params.push((Param::StackMaxSize, smax));
            params.push((Param::StackMinSize, smin));
            if present[2] {
                params.push((Param::TcsMaxNum, tcs + tcs_extra));
                params.push((Param::TcsMinPool, pool.min(tcs + tcs_extra)));
            }
            params.push((Param::TcsPolicy, policy));
            if present[3] {
                let (rmin, rmax) = (rmin.min(rmax), rmin.max(rmax));
                params.push((Param::ReservedMemMaxSize, rmax));
                params.push((Param::ReservedMemMinSize, rmin));
                params.push((Param::ReservedMemInitSize, rinit.clamp(rmin, rmax)));
                params.push((Param::ReservedMemExecutable, rexec));
            }
            if let (Some(u), true) = (user, present[4]) {
                params.push((Param::UserRegionSize, u));
            }
            params.push((Param::Pkru, pkru));
            params.push((Param::Amx, amx));
            params.push((Param::EnableAexNotify, aex));
            if let (Some((k, s)), true) = (elrange, present[5]) {
                // An ELRANGE of 64 MiB or 128 MiB with the image k pages above its start.
                let size = 0x400_0000u64 * s;
                params.push((Param::ElRangeSize, size));
                params.push((Param::ElRangeStartAddress, 4 * size));
                params.push((Param::EnclaveImageAddress, 4 * size + k * PAGE));
            }
            if present[6] && sdk >= "2.25" {
                params.push((Param::EnableIppFips, 1));
            }
            Case {
                sdk,
                enclave,
                params,
                ignore_rel_error: present[7] || enclave == "textrel",
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn streaming_equals_in_memory_reference(c in case(), occlum in any::<bool>()) {
        let version = match SdkVersion::parse(c.sdk).unwrap() {
            SdkVersion::V2_20 if occlum => SdkVersion::Occlum2_20,
            v => v,
        };
        let bytes = enclave_file(c.sdk, c.enclave);
        let elf = SdkElf::parse(&bytes).unwrap();
        let mut config = SdkConfig::new();
        for &(p, v) in &c.params {
            config.set(p, v).unwrap();
        }
        let mut options = SignOptions::default();
        options.elf.ignore_rel_error = c.ignore_rel_error;
        // Configurations sgx_sign refuses are refused here too; the others must agree.
        let Ok(e) = SdkEnclave::new(elf, &config, version, options) else {
            return Ok(());
        };
        prop_assert_eq!(e.mrenclave(), reference(&e));
    }
}

#[test]
fn most_random_configurations_are_measured() {
    // The generator above must not mostly produce refused configurations (which would make
    // the property vacuous).
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = case();
    let (mut ok, mut total) = (0, 0);
    for _ in 0..200 {
        let c = strategy.new_tree(&mut runner).unwrap().current();
        let bytes = enclave_file(c.sdk, c.enclave);
        let elf = SdkElf::parse(&bytes).unwrap();
        let mut config = SdkConfig::new();
        for &(p, v) in &c.params {
            config.set(p, v).unwrap();
        }
        let mut options = SignOptions::default();
        options.elf.ignore_rel_error = c.ignore_rel_error;
        total += 1;
        if SdkEnclave::new(elf, &config, SdkVersion::parse(c.sdk).unwrap(), options).is_ok() {
            ok += 1;
        }
    }
    eprintln!("{ok} of {total} random configurations accepted");
    assert!(
        ok * 2 > total,
        "only {ok} of {total} random configurations were accepted"
    );
}
