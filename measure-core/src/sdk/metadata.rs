//! The metadata `sgx_sign` writes into the enclave's `.note.sgxmeta` (`metadata_t`), and the
//! `g_global_data` template it patches into the image before measuring.
//!
//! The metadata is a header, the SIGSTRUCT (`enclave_css`), data directories and a data area
//! filled in `sgx_sign`'s allocation order: ELRANGE entry, extension table (FIPS), TCS
//! template, `g_global_data` template, zero bytes for the ELF header patches, patch table,
//! layout table. Offsets into it end up in the measured image (the TCS layout entry's
//! `content_offset` is copied into `g_global_data`), so this order is part of MRENCLAVE.
//!
//! After signing, `sgx_sign` adds an SGX1-compatible copy ("compatible metadata"): it replaces
//! the metadata (SGX1-only enclaves) or follows it (enclaves that run on both).

use core::fmt;

use super::config::EnclaveParams;
use super::layout::{Elrange, LayoutEntry, SdkLayout, attr, id};
use super::profile::{ElrangePlacement, SdkVersion};
use crate::sigstruct::{SIGSTRUCT_SIZE, Sigstruct};

/// `METADATA_MAGIC`.
pub const MAGIC: u64 = 0x86A8_0294_635D_0E4C;
/// Offset of `enclave_css` in `metadata_t`.
pub const CSS_OFFSET: usize = 64;
/// Offset of `dirs` in `metadata_t`.
pub const DIRS_OFFSET: usize = CSS_OFFSET + SIGSTRUCT_SIZE;
/// `DIR_PATCH`, `DIR_LAYOUT`, `DIR_ELRANGE`, `DIR_EXTEND`.
pub const DIR_PATCH: usize = 0;
/// See [`DIR_PATCH`].
pub const DIR_LAYOUT: usize = 1;
/// See [`DIR_PATCH`].
pub const DIR_ELRANGE: usize = 2;
/// See [`DIR_PATCH`].
pub const DIR_EXTEND: usize = 3;
/// Size of one patch table entry.
const PATCH_ENTRY: u32 = 32;
/// `EXTEND_ENTRY_ID_FIPS_SIG`.
pub const EXTEND_ENTRY_FIPS_SIG: u32 = 0x1001;
/// Size of the FIPS signature entry (`css_key_t`: modulus, exponent, signature).
pub const FIPS_SIG_SIZE: u32 = 772;
/// Number of patches (`g_global_data`, then `e_shnum`, `e_shoff`, `e_shstrndx`).
pub const PATCHES: u32 = 4;
/// Bytes of zeros the ELF header patches copy from (the largest header field, `e_shoff`).
const ZERO_BYTES: u32 = 8;
/// Offset of `thread_data_t.tls_addr` (`tls_array` points at it).
const TD_TLS_ADDR: u64 = 104;

/// Where each piece of the metadata lives (offsets from the metadata start).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allocation {
    /// Start of `data`.
    pub data: u32,
    /// The 8-byte directory pointing at the ELRANGE entry (up to 2.23).
    pub elrange_dir: Option<u32>,
    /// The ELRANGE entry (24 bytes).
    pub elrange: Option<u32>,
    /// The extension table (one 16-byte entry).
    pub extend_table: Option<u32>,
    /// The FIPS signature (772 bytes).
    pub fips_sig: Option<u32>,
    /// The TCS template (72 bytes).
    pub tcs: u32,
    /// The `g_global_data` template.
    pub global_data: u32,
    /// The zero bytes.
    pub zero: u32,
    /// The patch table.
    pub patches: u32,
    /// The layout table.
    pub layout: u32,
    /// Layout records in the table.
    pub layout_len: u32,
    /// `metadata_t.size`: the end of the layout table.
    pub size: u32,
}

impl Allocation {
    /// The allocation of `version` for an enclave with or without ELRANGE and FIPS, and
    /// `layout_len` layout records.
    pub fn new(version: SdkVersion, elrange: bool, ipp_fips: bool, layout_len: u32) -> Allocation {
        let data = version.metadata_data_offset() as u32;
        let mut at = data;
        // Offsets within METADATA_SIZE (the layout table has at most MAX_ENTRIES records);
        // saturating, an impossible overflow would only leave writes outside the buffer, which
        // `put` skips.
        let mut take = |n: u32| {
            let start = at;
            at = at.saturating_add(n);
            start
        };
        let (mut elrange_dir, mut elrange_at) = (None, None);
        if elrange {
            if version.elrange_placement() == ElrangePlacement::DataDirectory {
                elrange_dir = Some(take(8));
            }
            elrange_at = Some(take(24));
        }
        let (mut extend_table, mut fips_sig) = (None, None);
        if ipp_fips && version.has_extend_table() {
            extend_table = Some(take(16));
            fips_sig = Some(take(FIPS_SIG_SIZE));
        }
        let tcs = take(72);
        let global_data = take(version.global_data_size() as u32);
        let zero = take(ZERO_BYTES);
        let patches = take(PATCHES * PATCH_ENTRY);
        let layout = take(layout_len.saturating_mul(32));
        Allocation {
            data,
            elrange_dir,
            elrange: elrange_at,
            extend_table,
            fips_sig,
            tcs,
            global_data,
            zero,
            patches,
            layout,
            layout_len,
            size: at,
        }
    }
}

/// Everything the `g_global_data` template is made of.
#[derive(Clone, Copy, Debug)]
pub struct GlobalDataInputs<'l> {
    /// The SDK release.
    pub version: SdkVersion,
    /// The layout (with its final guard).
    pub layout: &'l SdkLayout,
    /// The configuration values.
    pub params: &'l EnclaveParams,
    /// `xsave_size` of the thread data.
    pub xsave_size: u32,
    /// The TLS segment's size (rounded to its alignment), if any.
    pub tls_size: Option<u64>,
    /// The ELRANGE configuration.
    pub elrange: Elrange,
}

/// Largest `g_global_data` template (2.25+).
pub const MAX_GLOBAL_DATA: usize = 1768;

fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(dst) = at
        .checked_add(bytes.len())
        .and_then(|end| buf.get_mut(at..end))
    {
        dst.copy_from_slice(bytes);
    }
}

fn put64(buf: &mut [u8], at: usize, v: u64) {
    put(buf, at, &v.to_le_bytes());
}

fn put32(buf: &mut [u8], at: usize, v: u32) {
    put(buf, at, &v.to_le_bytes());
}

/// `do_update_global_data` (with `build_gd_template`'s thread addresses): the bytes that
/// replace `g_global_data` in the measured image. The first word, the SDK version, is left 0.
/// Only the first `version.global_data_size()` bytes are meaningful.
pub fn global_data_template(g: &GlobalDataInputs<'_>) -> [u8; MAX_GLOBAL_DATA] {
    let mut b = [0u8; MAX_GLOBAL_DATA];
    let l = g.layout;
    let p = g.params;
    let rva = |i| l.entry(i).map_or(0, |e| e.rva);
    let tcs = rva(id::TCS);
    // Thread addresses, relative to the TCS page (they wrap below it, as in `sgx_sign`).
    let stack_base = rva(id::STACK_MIN)
        .wrapping_add(p.stack_min)
        .wrapping_sub(tcs);
    let stack_limit = stack_base.wrapping_sub(p.stack_max);
    let ssa_base = rva(id::SSA).wrapping_sub(tcs);
    let td_pages = l.entry(id::TD).map_or(0, |e| e.page_count);
    let td_rel = rva(id::TD).wrapping_sub(tcs);
    // `(page_count - 1) << 12` is computed in 32 bits here.
    let td_addr = td_rel.wrapping_add(u64::from(td_pages.wrapping_sub(1).wrapping_shl(12)));
    let tls_addr = match g.tls_size {
        Some(size) => td_addr.wrapping_sub(size),
        None => td_rel,
    };
    let rsrv = l.entry(id::RSRV_MIN);
    put64(&mut b, 8, l.enclave_size);
    put64(&mut b, 16, rva(id::HEAP_MIN));
    put64(&mut b, 24, p.heap_init);
    put64(&mut b, 32, rsrv.map_or(0, |e| e.rva));
    put64(&mut b, 40, if rsrv.is_some() { p.rsrv_init } else { 0 });
    put64(&mut b, 48, u64::from(rsrv.is_some() && p.rsrv_executable));
    put64(&mut b, 56, u64::from(p.tcs_policy));
    put64(&mut b, 64, u64::from(p.tcs_max_num));
    put64(&mut b, 72, u64::from(p.tcs_num));
    // td_template (thread_data_t) at 80.
    put64(&mut b, 80, td_addr);
    put64(&mut b, 88, stack_base);
    put64(&mut b, 96, stack_base);
    put64(&mut b, 104, stack_limit);
    let gpr = l
        .ssa_frame_size
        .wrapping_mul(4096)
        .wrapping_sub(super::layout::SSA_GPR_SIZE as u32);
    put64(&mut b, 112, ssa_base.wrapping_add(u64::from(gpr)));
    put64(&mut b, 136, u64::from(g.xsave_size));
    put64(&mut b, 168, ssa_base);
    put64(&mut b, 184, tls_addr);
    put64(&mut b, 192, td_addr.wrapping_add(TD_TLS_ADDR));
    put(&mut b, 272, &l.tcs_template);
    let entries = l.entries();
    put32(&mut b, 344, entries.len() as u32);
    for (i, e) in entries.iter().enumerate() {
        put(
            &mut b,
            352usize.saturating_add(i.saturating_mul(32)),
            &e.to_bytes(),
        );
    }
    let (image, start, size) = if g.elrange.size != 0 {
        (
            g.elrange.image_address,
            g.elrange.start_address,
            g.elrange.size,
        )
    } else if g.version.global_data_elrange_size_is_enclave_size() {
        (0, 0, l.enclave_size)
    } else {
        (0, 0, 0)
    };
    put64(&mut b, 1728, image);
    put64(&mut b, 1736, start);
    put64(&mut b, 1744, size);
    put64(&mut b, 1752, l.edmm_bk_overhead);
    if g.version.global_data_has_fips_on() {
        put32(&mut b, 1760, u32::from(p.ipp_fips));
    }
    b
}

/// The metadata header fields (everything before `enclave_css` and the directories).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetadataHeader {
    /// `magic_num`.
    pub magic: u64,
    /// `version`: major << 32 | minor.
    pub version: u64,
    /// `size`.
    pub size: u32,
    /// `tcs_policy`.
    pub tcs_policy: u32,
    /// `ssa_frame_size` (pages).
    pub ssa_frame_size: u32,
    /// `max_save_buffer_size`.
    pub max_save_buffer_size: u32,
    /// `desired_misc_select`.
    pub desired_misc_select: u32,
    /// `tcs_min_pool`.
    pub tcs_min_pool: u32,
    /// `enclave_size`.
    pub enclave_size: u64,
    /// `attributes.flags`.
    pub attributes_flags: u64,
    /// `attributes.xfrm`.
    pub attributes_xfrm: u64,
}

impl MetadataHeader {
    /// Reads the header at the start of `b`.
    pub fn parse(b: &[u8]) -> Option<MetadataHeader> {
        use super::elf::{u32_at, u64_at};
        Some(MetadataHeader {
            magic: u64_at(b, 0)?,
            version: u64_at(b, 8)?,
            size: u32_at(b, 16)?,
            tcs_policy: u32_at(b, 20)?,
            ssa_frame_size: u32_at(b, 24)?,
            max_save_buffer_size: u32_at(b, 28)?,
            desired_misc_select: u32_at(b, 32)?,
            tcs_min_pool: u32_at(b, 36)?,
            enclave_size: u64_at(b, 40)?,
            attributes_flags: u64_at(b, 48)?,
            attributes_xfrm: u64_at(b, 56)?,
        })
    }

    fn write(&self, b: &mut [u8]) {
        put64(b, 0, self.magic);
        put64(b, 8, self.version);
        put32(b, 16, self.size);
        put32(b, 20, self.tcs_policy);
        put32(b, 24, self.ssa_frame_size);
        put32(b, 28, self.max_save_buffer_size);
        put32(b, 32, self.desired_misc_select);
        put32(b, 36, self.tcs_min_pool);
        put64(b, 40, self.enclave_size);
        put64(b, 48, self.attributes_flags);
        put64(b, 56, self.attributes_xfrm);
    }
}

/// Why metadata cannot be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataError {
    /// The output buffer is not `METADATA_SIZE` bytes.
    WrongBufferSize,
    /// The compatible metadata does not fit after the metadata.
    NoRoomForCompatible,
}

impl core::error::Error for MetadataError {}

impl fmt::Display for MetadataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MetadataError::WrongBufferSize => "the metadata buffer is not METADATA_SIZE bytes",
            MetadataError::NoRoomForCompatible => {
                "the compatible metadata does not fit in METADATA_SIZE bytes"
            }
        })
    }
}

/// Everything written into the metadata besides what the layout holds.
#[derive(Clone, Copy, Debug)]
pub struct MetadataInputs<'l> {
    /// The SDK release.
    pub version: SdkVersion,
    /// Offsets.
    pub alloc: Allocation,
    /// The header (its `size` is taken from `alloc`).
    pub header: MetadataHeader,
    /// The signed (or to-be-signed) SIGSTRUCT.
    pub css: &'l Sigstruct,
    /// The layout.
    pub layout: &'l SdkLayout,
    /// The `g_global_data` template.
    pub global_data: &'l [u8],
    /// File offset of `g_global_data` (the first patch's destination).
    pub global_data_file_offset: u64,
    /// ELRANGE (written when its size is not 0).
    pub elrange: Elrange,
    /// FIPS signature entry (`css_key_t` bytes) when IPP FIPS is on.
    pub fips_sig: Option<&'l [u8; FIPS_SIG_SIZE as usize]>,
    /// Metadata versions (bit 0 SGX1, bit 1 SGX2).
    pub meta_versions: u8,
    /// `TCSNum` (load times of the compatible metadata's thread group).
    pub tcs_num: u32,
}

/// Writes the metadata and its compatible copy into `out` (`METADATA_SIZE` bytes, which must
/// be zero), as `sgx_sign` leaves them in the signed enclave.
pub fn write_metadata(m: &MetadataInputs<'_>, out: &mut [u8]) -> Result<(), MetadataError> {
    if out.len() != m.version.metadata_size() {
        return Err(MetadataError::WrongBufferSize);
    }
    let a = m.alloc;
    let mut h = m.header;
    h.size = a.size;
    h.write(out);
    put(out, CSS_OFFSET, &m.css.to_bytes());
    let dir = |out: &mut [u8], i: usize, offset: u32, size: u32| {
        let at = DIRS_OFFSET.saturating_add(i.saturating_mul(8));
        put32(out, at, offset);
        put32(out, at.saturating_add(4), size);
    };
    dir(out, DIR_PATCH, a.patches, PATCHES * PATCH_ENTRY);
    dir(out, DIR_LAYOUT, a.layout, a.layout_len.saturating_mul(32));
    if let Some(at) = a.elrange {
        let e = m.elrange;
        put64(out, at as usize, e.image_address);
        put64(out, (at as usize).saturating_add(8), e.start_address);
        put64(out, (at as usize).saturating_add(16), e.size);
        match a.elrange_dir {
            Some(d) => {
                put32(out, d as usize, at);
                put32(out, (d as usize).saturating_add(4), 24);
            }
            None => dir(out, DIR_ELRANGE, at, 24),
        }
    }
    if let (Some(t), Some(s)) = (a.extend_table, a.fips_sig) {
        put32(out, t as usize, EXTEND_ENTRY_FIPS_SIG);
        put32(out, (t as usize).saturating_add(4), FIPS_SIG_SIZE);
        put32(out, (t as usize).saturating_add(8), s);
        if let Some(sig) = m.fips_sig {
            put(out, s as usize, sig);
        }
        dir(out, DIR_EXTEND, t, 16);
    }
    put(out, a.tcs as usize, &m.layout.tcs_template);
    put(out, a.global_data as usize, m.global_data);
    // Patch table: the global data template over `g_global_data`, then zeros over e_shnum,
    // e_shoff and e_shstrndx.
    let patches: [(u64, u32, u32); 4] = [
        (
            m.global_data_file_offset,
            a.global_data,
            m.version.global_data_size() as u32,
        ),
        (60, a.zero, 2),
        (40, a.zero, 8),
        (62, a.zero, 2),
    ];
    for (i, (dst, src, size)) in patches.iter().enumerate() {
        let at = (a.patches as usize).saturating_add(i.saturating_mul(32));
        put64(out, at, *dst);
        put32(out, at.saturating_add(8), *src);
        put32(out, at.saturating_add(12), *size);
    }
    for (i, e) in m.layout.entries().iter().enumerate() {
        put(
            out,
            (a.layout as usize).saturating_add(i.saturating_mul(32)),
            &e.to_bytes(),
        );
    }
    append_compatible(m, out)
}

fn get_entry(b: &[u8], at: usize) -> LayoutEntry {
    let mut r = [0u8; 32];
    if let Some(src) = b.get(at..at.saturating_add(32)) {
        r.copy_from_slice(src);
    }
    LayoutEntry::from_bytes(&r)
}

/// `generate_compatible_metadata`: the SGX1 copy of the metadata. SGX2-only enclaves get none;
/// SGX1-only enclaves get it instead of the metadata; the others get it after the metadata.
fn append_compatible(m: &MetadataInputs<'_>, out: &mut [u8]) -> Result<(), MetadataError> {
    let versions = m.meta_versions & 3;
    if versions == 2 && !m.version.compat_for_sgx2_only() {
        return Ok(());
    }
    let main_size = m.alloc.size as usize;
    // The copy is built right after the metadata (it is never larger).
    let copy_end = main_size
        .checked_mul(2)
        .filter(|&e| e <= out.len())
        .ok_or(MetadataError::NoRoomForCompatible)?;
    out.copy_within(0..main_size, main_size);
    let copy = out
        .get_mut(main_size..copy_end)
        .ok_or(MetadataError::NoRoomForCompatible)?;
    let major: u64 = if m.elrange.size != 0 { 11 } else { 1 };
    put64(
        copy,
        8,
        (major << 32) | u64::from(m.version.compat_metadata_minor()),
    );

    let table = m.alloc.layout as usize;
    let entry_at = |i: usize| table.saturating_add(i.saturating_mul(32));
    let len = m.alloc.layout_len as usize;
    let find = |copy: &[u8], want: u16, upto: usize| {
        (0..upto).find(|&i| get_entry(copy, entry_at(i)).id == want)
    };
    let rfind = |copy: &[u8], want: u16| {
        (0..len)
            .rev()
            .find(|&i| get_entry(copy, entry_at(i)).id == want)
    };
    let (Some(ut_start), Some(ut_end)) = (find(copy, id::GUARD, len), find(copy, id::TD, len))
    else {
        return Err(MetadataError::NoRoomForCompatible);
    };
    let rsrv = [
        rfind(copy, id::RSRV_MIN),
        rfind(copy, id::RSRV_INIT),
        rfind(copy, id::RSRV_MAX),
    ];
    let edit = |copy: &mut [u8], i: usize, f: &dyn Fn(&mut LayoutEntry)| {
        let mut e = get_entry(copy, entry_at(i));
        f(&mut e);
        put(copy, entry_at(i), &e.to_bytes());
    };
    let static_init = |e: &mut LayoutEntry| e.attributes &= !attr::POST_ADD;
    let static_max = |e: &mut LayoutEntry| {
        e.si_flags = 0;
        e.attributes &= !attr::POST_ADD;
    };
    // `metadata_cleanup`: in the table up to `upto`, the heap maximum is not added at all, and
    // the initial heap and the utility thread's growable stack become static.
    let cleanup = |copy: &mut [u8], upto: usize| {
        if let Some(i) = find(copy, id::HEAP_MAX, upto) {
            edit(copy, i, &static_max);
        }
        if let Some(i) = find(copy, id::HEAP_INIT, upto) {
            edit(copy, i, &static_init);
        }
        if let Some(i) = find(copy, id::STACK_MAX, upto) {
            edit(copy, i, &static_init);
        }
    };
    let mut count = len;
    // `ut_end < len`, a table index.
    let after_ut = ut_end.saturating_add(1);
    if after_ut == len {
        // Nothing after the utility thread.
        cleanup(copy, count);
    } else if Some(after_ut) == rsrv[0] {
        // The utility thread, then reserved memory: kept in place, made static.
        cleanup(copy, count);
        if let Some(i) = rsrv[1] {
            edit(copy, i, &static_init);
        }
        if let Some(i) = rsrv[2] {
            edit(copy, i, &static_max);
        }
    } else {
        // A group repeating the utility thread for the other TCSNum - 1 threads replaces
        // everything after it; the reserved memory entries are appended again, static.
        let saved = rsrv.map(|i| i.map(|i| get_entry(copy, entry_at(i))));
        let step = (ut_start..=ut_end).fold(0u64, |s, i| {
            s.wrapping_add(get_entry(copy, entry_at(i)).size())
        });
        let mut g = LayoutEntry::group(
            id::THREAD_GROUP,
            after_ut.saturating_sub(ut_start) as u16,
            m.tcs_num.wrapping_sub(1),
        );
        g.rva = step;
        put(copy, entry_at(after_ut), &g.to_bytes());
        count = after_ut.saturating_add(1);
        cleanup(copy, count);
        for (k, e) in saved.into_iter().enumerate() {
            let Some(mut e) = e else { continue };
            if saved[0].is_none() {
                break;
            }
            match k {
                1 => static_init(&mut e),
                2 => static_max(&mut e),
                _ => {}
            }
            put(copy, entry_at(count), &e.to_bytes());
            count = count.saturating_add(1);
        }
    }
    let size = entry_at(count);
    put32(copy, 16, size as u32);
    put32(
        copy,
        DIRS_OFFSET + 8 * DIR_LAYOUT + 4,
        count.saturating_mul(32) as u32,
    );
    if let Some(stale) = copy.get_mut(size..) {
        stale.fill(0);
    }
    if versions == 1 {
        // SGX1 only: the copy replaces the metadata.
        let end = main_size
            .checked_add(size)
            .filter(|&e| e <= out.len())
            .ok_or(MetadataError::NoRoomForCompatible)?;
        out.copy_within(main_size..end, 0);
        if let Some(rest) = out.get_mut(size..) {
            rest.fill(0);
        }
    }
    Ok(())
}
