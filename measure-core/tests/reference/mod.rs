//! A deliberately naive reference implementation of Gramine's MRENCLAVE, for tests only.
//!
//! It follows `gramine-sgx-sign` step by step the slow way: a list of memory areas (one per stack),
//! placed one below the other; the whole enclave image materialised in a `Vec<u8>`; TCS and TLS
//! fields written into it; every page hashed from the image with `sha2::Sha256` and records
//! packed field by field. PAL segments get their own buffers, because Gramine measures each
//! segment's pages separately (a page shared by two segments is added twice, with different
//! contents). It shares no code with the streaming engine in `measure-core`.
#![allow(dead_code)]

use sha2::{Digest, Sha256};

pub const PAGE: u64 = 4096;

#[derive(Clone, Debug)]
pub struct RefSegment {
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub flags: u32,
}

#[derive(Clone, Debug)]
pub struct RefPal {
    pub entry: u64,
    pub segments: Vec<RefSegment>,
    /// The whole file.
    pub file: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct RefParams {
    /// v1.4 and older place the enclave at [size, 2*size) unless nonpie.
    pub legacy_base: bool,
    pub nonpie: bool,
    pub enclave_size: u64,
    pub threads: u64,
    pub edmm: bool,
}

#[derive(Clone, Debug)]
struct RefArea {
    desc: &'static str,
    addr: Option<u64>,
    size: u64,
    flags: u64,
    measure: bool,
}

fn rd(x: u64) -> u64 {
    x - x % PAGE
}
fn ru(x: u64) -> u64 {
    if x.is_multiple_of(PAGE) {
        x
    } else {
        x + PAGE - x % PAGE
    }
}

fn pack_u64(img: &mut [u8], at: usize, v: i128) -> Result<(), &'static str> {
    let v = u64::try_from(v).map_err(|_| "argument out of range")?;
    img[at..at + 8].copy_from_slice(&v.to_le_bytes());
    Ok(())
}

pub fn mrenclave(p: &RefParams, manifest: &[u8], pal: &RefPal) -> Result<[u8; 32], &'static str> {
    let (base, heap_min) = if p.legacy_base && !p.nonpie {
        (p.enclave_size, p.enclave_size)
    } else {
        (0, 0x10000)
    };
    let mut content = manifest.to_vec();
    content.push(0);
    let t = p.threads;
    let mut areas = vec![
        RefArea {
            desc: "manifest",
            addr: None,
            size: ru(content.len() as u64),
            flags: 0x201,
            measure: true,
        },
        RefArea {
            desc: "ssa",
            addr: None,
            size: t * 0x4000 * 2,
            flags: 0x203,
            measure: true,
        },
        RefArea {
            desc: "tcs",
            addr: None,
            size: t * 0x1000,
            flags: 0x100,
            measure: true,
        },
        RefArea {
            desc: "tls",
            addr: None,
            size: t * 0x1000,
            flags: 0x203,
            measure: true,
        },
    ];
    for _ in 0..t {
        areas.push(RefArea {
            desc: "stack",
            addr: None,
            size: 0x40000,
            flags: 0x203,
            measure: true,
        });
    }
    for _ in 0..t {
        areas.push(RefArea {
            desc: "sig_stack",
            addr: None,
            size: 0x10000,
            flags: 0x203,
            measure: true,
        });
    }
    let mapaddr = pal
        .segments
        .iter()
        .map(|s| rd(s.vaddr))
        .min()
        .ok_or("no segments")?;
    let mapend = pal
        .segments
        .iter()
        .map(|s| ru(s.vaddr + s.memsz))
        .max()
        .ok_or("no segments")?;
    areas.push(RefArea {
        desc: "pal",
        addr: if mapaddr > 0 { Some(mapaddr) } else { None },
        size: mapend - mapaddr,
        flags: 0x200,
        measure: true,
    });

    // populate_memory_areas
    let mut last = (base + p.enclave_size) as i128;
    for a in areas.iter_mut() {
        if a.addr.is_some() {
            continue;
        }
        let addr = last - a.size as i128;
        if addr < heap_min as i128 {
            return Err("Enclave size is not large enough");
        }
        a.addr = Some(addr as u64);
        last = addr;
    }
    let addr_of = |d: &str| {
        areas
            .iter()
            .find(|a| a.desc == d)
            .and_then(|a| a.addr)
            .unwrap()
    };
    let pal_addr = addr_of("pal");
    let heap_max = pal_addr;
    for a in &areas {
        let addr = a.addr.unwrap();
        if !(addr + a.size <= heap_min || addr >= heap_max) {
            return Err("Unexpected memory area is in heap range");
        }
    }

    // The image of [base, base + size).
    let mut image = vec![0u8; p.enclave_size as usize];
    let at = |addr: u64| (addr - base) as usize;
    let man = addr_of("manifest");
    image[at(man)..at(man) + content.len()].copy_from_slice(&content);
    let ssa = addr_of("ssa");
    let tcs = addr_of("tcs");
    let tls = addr_of("tls");
    let stacks: Vec<u64> = areas
        .iter()
        .filter(|a| a.desc == "stack")
        .map(|a| a.addr.unwrap())
        .collect();
    let sigs: Vec<u64> = areas
        .iter()
        .filter(|a| a.desc == "sig_stack")
        .map(|a| a.addr.unwrap())
        .collect();
    for i in 0..t as usize {
        let ti = i as u64;
        let s = ssa + 0x8000 * ti;
        let tp = at(tcs) + i * 0x1000;
        pack_u64(&mut image, tp + 0x10, (s - base) as i128)?;
        image[tp + 0x1c..tp + 0x20].copy_from_slice(&2u32.to_le_bytes());
        pack_u64(
            &mut image,
            tp + 0x20,
            pal_addr as i128 + pal.entry as i128 - base as i128,
        )?;
        pack_u64(&mut image, tp + 0x38, (tls - base + 0x1000 * ti) as i128)?;
        image[tp + 0x40..tp + 0x44].copy_from_slice(&0xfffu32.to_le_bytes());
        image[tp + 0x44..tp + 0x48].copy_from_slice(&0xfffu32.to_le_bytes());
        let lp = at(tls) + i * 0x1000;
        let fields: [(usize, u64); 12] = [
            (0x0, tls + 0x1000 * ti),
            (0x8, 0xbadbadbadbad),
            (0x110, p.enclave_size),
            (0x118, tcs - base + 0x1000 * ti),
            (0x120, stacks[i] + 0x40000),
            (0x130, sigs[i]),
            (0x138, sigs[i] + 0x10000),
            (0x148, s),
            (0x150, s + 0x4000 - 0xb8),
            (0x1a0, content.len() as u64),
            (0x1a8, heap_min),
            (0x1b0, heap_max),
        ];
        for (off, v) in fields {
            pack_u64(&mut image, lp + off, v as i128)?;
        }
    }

    let mut h = Sha256::new();
    let mut rec = [0u8; 64];
    rec[..8].copy_from_slice(b"ECREATE\0");
    rec[8..12].copy_from_slice(&4u32.to_le_bytes());
    rec[12..20].copy_from_slice(&p.enclave_size.to_le_bytes());
    h.update(rec);
    let page = |h: &mut Sha256,
                addr: u64,
                flags: u64,
                data: &[u8],
                measure: bool|
     -> Result<(), &'static str> {
        let off = addr as i128 - base as i128;
        if off < 0 || off >= p.enclave_size as i128 {
            return Err("page outside the enclave");
        }
        let mut r = [0u8; 64];
        r[..4].copy_from_slice(b"EADD");
        r[8..16].copy_from_slice(&(off as u64).to_le_bytes());
        r[16..24].copy_from_slice(&flags.to_le_bytes());
        h.update(r);
        if measure {
            for c in 0..16u64 {
                let mut r = [0u8; 64];
                r[..8].copy_from_slice(b"EEXTEND\0");
                r[8..16].copy_from_slice(&((off as u64) + c * 256).to_le_bytes());
                h.update(r);
                h.update(&data[(c * 256) as usize..(c * 256 + 256) as usize]);
            }
        }
        Ok(())
    };

    for a in &areas {
        let addr = a.addr.unwrap();
        if a.desc == "pal" {
            let bias = addr - mapaddr;
            for s in &pal.segments {
                let mut flags = 0x200;
                if s.flags & 4 != 0 {
                    flags |= 1;
                }
                if s.flags & 2 != 0 {
                    flags |= 2;
                }
                if s.flags & 1 != 0 {
                    flags |= 4;
                }
                let m_addr = rd(bias + s.vaddr);
                let m_size = ru(bias + s.vaddr + s.memsz) - m_addr;
                // The segment's own buffer: file position f = rounddown(offset) + (page - m_addr).
                let mut buf = vec![0u8; m_size as usize];
                let f0 = rd(s.offset);
                for i in 0..m_size {
                    let fpos = f0 + i;
                    if fpos >= s.offset && fpos < s.offset + s.filesz {
                        buf[i as usize] = pal.file[fpos as usize];
                    }
                }
                for pg in 0..m_size / PAGE {
                    page(
                        &mut h,
                        m_addr + pg * PAGE,
                        flags,
                        &buf[(pg * PAGE) as usize..((pg + 1) * PAGE) as usize],
                        true,
                    )?;
                }
            }
        } else {
            let mut x = addr;
            while x < addr + a.size {
                page(
                    &mut h,
                    x,
                    a.flags,
                    &image[at(x)..at(x) + PAGE as usize],
                    a.measure,
                )?;
                x += PAGE;
            }
        }
    }
    if !p.edmm {
        let mut free = Vec::new();
        let mut last = last as u64;
        for a in &areas {
            let end = a.addr.unwrap() + a.size;
            if end < last {
                free.push((end, last - end));
                last = a.addr.unwrap();
            }
        }
        if last > heap_min {
            free.push((heap_min, last - heap_min));
        }
        for (addr, size) in free {
            let mut x = addr;
            while x < addr + size {
                page(&mut h, x, 0x207, &[], false)?;
                x += PAGE;
            }
        }
    }
    Ok(h.finalize().into())
}
