//! The enclave memory layout that `sgx_sign` computes after the image (linux-sgx
//! `CMetadata::build_layout_table`, `update_layout_entries`, `build_layout_entries`): heap,
//! one utility thread, the static thread pool, threads removed after load, dynamic threads,
//! reserved memory, the user region, and guard pages up to a power-of-two size. The table is
//! also copied into the measured `g_global_data`, so its exact entries (ids, attributes,
//! contents, groups) matter, not only the addresses.
//!
//! Entries are 32-byte `layout_entry_t`/`layout_group_t` records; a group repeats the
//! `entry_count` entries before it `load_times` more times, each time `load_step` bytes higher.
//!
//! Sizes follow `sgx_sign`'s unsigned C arithmetic: `wrapping_*` where it wraps there, and where
//! a comparison just before rules out wrapping (`a - b` after `a > b`).

use core::fmt;

use super::config::{ConfigError, EnclaveParams};
use super::elf::{SdkElf, round_to};

/// SECINFO: read.
pub const SI_FLAG_R: u64 = 0x1;
/// SECINFO: write.
pub const SI_FLAG_W: u64 = 0x2;
/// SECINFO: execute.
pub const SI_FLAG_X: u64 = 0x4;
/// SECINFO page type TCS.
pub const SI_FLAG_TCS: u64 = 0x100;
/// SECINFO page type REG.
pub const SI_FLAG_REG: u64 = 0x200;
/// `SI_FLAGS_RW`.
pub const SI_FLAGS_RW: u64 = SI_FLAG_R | SI_FLAG_W | SI_FLAG_REG;
/// `SI_FLAGS_RWX`.
pub const SI_FLAGS_RWX: u64 = SI_FLAGS_RW | SI_FLAG_X;
/// `SI_FLAGS_EXTERNAL`: the flags EADD may carry.
pub const SI_FLAGS_EXTERNAL: u64 = 0xff00 | SI_FLAG_R | SI_FLAG_W | SI_FLAG_X;

/// Page size.
pub const PAGE: u64 = 0x1000;
/// Pages of a guard entry (`SE_GUARD_PAGE_SIZE`, 64 KiB).
pub const GUARD_PAGES: u32 = 16;
/// SSA frames per thread (`SSA_NUM`).
pub const SSA_NUM: u32 = 2;
/// Size of `ssa_gpr_t`.
pub const SSA_GPR_SIZE: u64 = 184;
/// `LAYOUT_ENTRY_NUM`: capacity of the table in `g_global_data` (and the most entries the
/// construction below can produce).
pub const MAX_ENTRIES: usize = 43;
/// The largest enclave (or ELRANGE) this implementation measures: 128 TiB (2^47 bytes, the
/// largest `MaxEnclaveSize_64` of any SGX CPU). `sgx_sign` itself accepts up to 2^63 bytes.
pub const MAX_ENCLAVE_SIZE: u64 = 1 << 47;
/// Fill of stack pages (`content_size` of the stack entries).
pub const STACK_FILL: u32 = 0xCCCC_CCCC;
/// Bytes of the TCS template in the metadata (`TCS_TEMPLATE_SIZE`).
pub const TCS_TEMPLATE_SIZE: u32 = 72;

/// Layout entry attribute bits (`se_page_attr.h`).
pub mod attr {
    /// EADD the pages at load.
    pub const EADD: u16 = 1 << 0;
    /// EEXTEND (measure the contents of) the pages.
    pub const EEXTEND: u16 = 1 << 1;
    /// Removed after load (threads beyond the pool).
    pub const EREMOVE: u16 = 1 << 2;
    /// Added later with EDMM (not measured).
    pub const POST_ADD: u16 = 1 << 3;
    /// May be removed later with EDMM.
    pub const POST_REMOVE: u16 = 1 << 4;
    /// Part of a dynamic thread.
    pub const DYN_THREAD: u16 = 1 << 5;
    /// Grows down (stacks).
    pub const GROW_DOWN: u16 = 1 << 6;
}

/// Layout entry ids (`metadata.h`).
pub mod id {
    /// Marks a group record.
    pub const GROUP_FLAG: u16 = 1 << 12;
    #[allow(missing_docs)]
    pub const HEAP_MIN: u16 = 1;
    #[allow(missing_docs)]
    pub const HEAP_INIT: u16 = 2;
    #[allow(missing_docs)]
    pub const HEAP_MAX: u16 = 3;
    #[allow(missing_docs)]
    pub const TCS: u16 = 4;
    #[allow(missing_docs)]
    pub const TD: u16 = 5;
    #[allow(missing_docs)]
    pub const SSA: u16 = 6;
    #[allow(missing_docs)]
    pub const STACK_MAX: u16 = 7;
    #[allow(missing_docs)]
    pub const STACK_MIN: u16 = 8;
    #[allow(missing_docs)]
    pub const THREAD_GROUP: u16 = GROUP_FLAG | 9;
    #[allow(missing_docs)]
    pub const GUARD: u16 = 10;
    /// `HEAP_DYN_MIN`: dynamic-thread ids are the static ones plus `HEAP_DYN_MIN - HEAP_MIN`.
    pub const HEAP_DYN_MIN: u16 = 11;
    #[allow(missing_docs)]
    pub const TCS_DYN: u16 = 14;
    #[allow(missing_docs)]
    pub const THREAD_GROUP_DYN: u16 = GROUP_FLAG | 19;
    #[allow(missing_docs)]
    pub const RSRV_MIN: u16 = 20;
    #[allow(missing_docs)]
    pub const RSRV_INIT: u16 = 21;
    #[allow(missing_docs)]
    pub const RSRV_MAX: u16 = 22;
    #[allow(missing_docs)]
    pub const USER_REGION: u16 = 23;

    /// `layout_id_str`: the name `sgx_sign` prints for an id (group flag ignored).
    pub const fn name(id: u16) -> &'static str {
        match id & !GROUP_FLAG {
            1 => "HEAP_MIN",
            2 => "HEAP_INIT",
            3 => "HEAP_MAX",
            4 => "TCS",
            5 => "TD",
            6 => "SSA",
            7 => "STACK_MAX",
            8 => "STACK_MIN",
            9 => "THREAD_GROUP",
            10 => "GUARD",
            11 => "HEAP_DYN_MIN",
            12 => "HEAP_DYN_INIT",
            13 => "HEAP_DYN_MAX",
            14 => "TCS_DYN",
            15 => "TD_DYN",
            16 => "SSA_DYN",
            17 => "STACK_DYN_MAX",
            18 => "STACK_DYN_MIN",
            19 => "THREAD_GROUP_DYN",
            20 => "RSRV_MIN",
            21 => "RSRV_INIT",
            22 => "RSRV_MAX",
            23 => "USER_REGION",
            _ => "Undefined",
        }
    }
}

/// One 32-byte layout record: an entry, or a group when `id` has [`id::GROUP_FLAG`] (then
/// `attributes` is the entry count, `page_count` the load times and `rva` the load step).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LayoutEntry {
    /// Entry id (see [`id`]).
    pub id: u16,
    /// Attribute bits (see [`attr`]); for a group, `entry_count`.
    pub attributes: u16,
    /// Pages; for a group, `load_times`.
    pub page_count: u32,
    /// Offset from the enclave base; for a group, `load_step`.
    pub rva: u64,
    /// Fill pattern of every 32-bit word (stacks), or the template's size (TCS).
    pub content_size: u32,
    /// Offset of the initial contents in the metadata (the TCS template), or 0.
    pub content_offset: u32,
    /// SECINFO flags of the pages.
    pub si_flags: u64,
}

impl LayoutEntry {
    /// A group record.
    pub const fn group(id: u16, entry_count: u16, load_times: u32) -> LayoutEntry {
        LayoutEntry {
            id,
            attributes: entry_count,
            page_count: load_times,
            rva: 0,
            content_size: 0,
            content_offset: 0,
            si_flags: 0,
        }
    }

    /// Whether this is a group record.
    pub const fn is_group(&self) -> bool {
        self.id & id::GROUP_FLAG != 0
    }

    /// A group's entry count.
    pub const fn entry_count(&self) -> u16 {
        self.attributes
    }

    /// A group's load times.
    pub const fn load_times(&self) -> u32 {
        self.page_count
    }

    /// A group's load step.
    pub const fn load_step(&self) -> u64 {
        self.rva
    }

    /// Bytes covered by an entry.
    pub const fn size(&self) -> u64 {
        (self.page_count as u64) << 12
    }

    /// The 32 bytes as stored in the metadata and in `g_global_data`.
    pub fn to_bytes(&self) -> [u8; 32] {
        let mut b = [0u8; 32];
        b[0..2].copy_from_slice(&self.id.to_le_bytes());
        b[2..4].copy_from_slice(&self.attributes.to_le_bytes());
        b[4..8].copy_from_slice(&self.page_count.to_le_bytes());
        b[8..16].copy_from_slice(&self.rva.to_le_bytes());
        b[16..20].copy_from_slice(&self.content_size.to_le_bytes());
        b[20..24].copy_from_slice(&self.content_offset.to_le_bytes());
        b[24..32].copy_from_slice(&self.si_flags.to_le_bytes());
        b
    }

    /// Reads a record from its 32 bytes.
    // Constant offsets, each field inside the 32-byte array.
    #[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
    pub fn from_bytes(b: &[u8; 32]) -> LayoutEntry {
        let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let u64_at = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i..i + 8]);
            u64::from_le_bytes(w)
        };
        LayoutEntry {
            id: u16_at(0),
            attributes: u16_at(2),
            page_count: u32_at(4),
            rva: u64_at(8),
            content_size: u32_at(16),
            content_offset: u32_at(20),
            si_flags: u64_at(24),
        }
    }
}

/// Why the layout cannot be built. Apart from [`LayoutError::ExceedsMaxEnclaveSize`], each is
/// an `sgx_sign` refusal.
///
/// Not `#[non_exhaustive]`: the C ABI maps every variant by name to a status code, and a new
/// variant must fail to compile there until it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// No loadable segment above address 0 ("Sections size is 0").
    EmptyImage,
    /// The layout does not fit in 2^64 bytes ("The required memory is too large").
    TooLarge,
    /// The enclave (or ELRANGE) would be larger than [`MAX_ENCLAVE_SIZE`], which no SGX CPU
    /// can create (`sgx_sign` would sign it; sgx-measure refuses to spend hours measuring it).
    ExceedsMaxEnclaveSize,
    /// Neither `enclave_entry` nor `e_entry` ("Could not build TCS template").
    NoEnclaveEntry,
    /// `EnclaveImageAddress` not page-aligned.
    ImageAddressAlign,
    /// `ELRangeStartAddress` not page-aligned.
    ElrangeStartPageAlign,
    /// `ELRangeSize` not page-aligned.
    ElrangeSizePageAlign,
    /// `ELRangeStartAddress` not aligned to `ELRangeSize`.
    ElrangeStartAlign,
    /// `ELRangeStartAddress` above `EnclaveImageAddress`.
    ElrangeStartAboveImage,
    /// `EnclaveImageAddress` plus the enclave size overflows.
    ImageAddressOverflow,
    /// `ELRangeStartAddress` plus `ELRangeSize` overflows.
    ElrangeOverflow,
    /// The image does not fit in the ELRANGE.
    ElrangeTooSmall,
    /// `ELRangeSize` is not a power of two.
    ElrangeSizeNotPowerOfTwo,
    /// The power-of-two enclave size at `EnclaveImageAddress` does not fit in the ELRANGE (the
    /// loader's check, which `sgx_sign` runs after its own).
    ElrangeTooSmallForEnclave,
    /// `g_global_data` lies beyond the enclave size (the loader's patch table check).
    GlobalDataOutsideEnclave,
}

impl core::error::Error for LayoutError {}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use LayoutError as E;
        f.write_str(match self {
            E::EmptyImage => "the enclave image is empty (no loadable segment above address 0)",
            E::TooLarge => "The required memory is too large. Please check TCSNum/HeapMaxSize/StackMaxSize (the layout does not fit in 2^64 bytes)",
            E::ExceedsMaxEnclaveSize => "the enclave would be larger than 128 TiB (2^47 bytes), which no SGX CPU can create; sgx-measure does not measure it",
            E::NoEnclaveEntry => "Could not build TCS template: the enclave has no enclave_entry symbol and e_entry is 0",
            E::ImageAddressAlign => "EnclaveImageAddress setting is not correct: EnclaveImageAddress is not page aligned",
            E::ElrangeStartPageAlign => "ELRangeStartAddress setting is not correct: ELRangeStartAddress is not page aligned",
            E::ElrangeSizePageAlign => "ELRangeSize setting is not correct: ELRangeSize is not page aligned",
            E::ElrangeStartAlign => "ELRangeStartAddress and ELRangeSize setting are not correct: ELRangeStartAddress should be aligned on an ELRangeSize boundary",
            E::ElrangeStartAboveImage => "ELRangeStartAddress setting is not correct: ELRangeStartAddress should not bigger than EnclaveImageAddress",
            E::ImageAddressOverflow => "EnclaveImageAddress setting is not correct. EnclaveImageAddress plus EnclaveSize should not overflow",
            E::ElrangeOverflow => "ELRange setting is not correct. ELRangeStartAddress plus ELRangeSize should not overflow",
            E::ElrangeTooSmall => "ELRange setting is not correct: ELRange should be large enough to fit the enclave image loaded at EnclaveImageAddress",
            E::ElrangeSizeNotPowerOfTwo => "ELRangeSize setting is not correct: ELRangeSize should be power of 2",
            E::ElrangeTooSmallForEnclave => "The required memory is too large: the power-of-two enclave size loaded at EnclaveImageAddress does not fit in the ELRange",
            E::GlobalDataOutsideEnclave => "The required memory is too large: g_global_data's file offset plus its size exceeds the enclave size",
        })
    }
}

/// Which metadata versions the enclave gets (`check_config`): bit 0 SGX1, bit 1 SGX2.
pub fn metadata_versions(
    params: &EnclaveParams,
    misc_select: u32,
    misc_mask: u32,
) -> Result<u8, ConfigError> {
    let select0 = misc_select & misc_mask & 1 != 0;
    let mask0 = misc_mask & 1 != 0;
    let desired0 = misc_select & 1 != 0;
    if params.user_region_size > 0 {
        return if mask0 && select0 {
            Ok(2)
        } else {
            Err(ConfigError::UserRegionMisc)
        };
    }
    let pool = params.tcs_min_pool.min(params.tcs_num.wrapping_sub(1));
    let static_only = params.heap_init == params.heap_min
        && params.heap_init == params.heap_max
        && params.stack_max == params.stack_min
        && params.rsrv_init == params.rsrv_min
        && params.rsrv_init == params.rsrv_max
        && params.tcs_max_num == pool.wrapping_add(1);
    Ok(if static_only || !desired0 {
        1
    } else if mask0 {
        2
    } else {
        3
    })
}

/// ELRANGE configuration (`elrange_config_entry_t`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Elrange {
    /// `EnclaveImageAddress`.
    pub image_address: u64,
    /// `ELRangeStartAddress`.
    pub start_address: u64,
    /// `ELRangeSize` (0: no ELRANGE).
    pub size: u64,
}

impl Elrange {
    /// The offset added to every page offset and to the TCS template's offsets.
    pub const fn page_shift(&self) -> u64 {
        if self.size == 0 {
            0
        } else {
            self.image_address.wrapping_sub(self.start_address)
        }
    }
}

/// What the layout is built from.
#[derive(Clone, Copy, Debug)]
pub struct LayoutInputs<'e, 'a> {
    /// The validated configuration.
    pub params: EnclaveParams,
    /// SSA frame size in pages.
    pub ssa_frame_size: u32,
    /// Metadata versions ([`metadata_versions`]).
    pub meta_versions: u8,
    /// Offset of the TCS template in the metadata.
    pub tcs_content_offset: u32,
    /// The ELRANGE configuration.
    pub elrange: Elrange,
    /// Whether TCS.FLAGS gets AEXNOTIFY.
    pub aex_notify: bool,
    /// The enclave file.
    pub elf: &'e SdkElf<'a>,
}

/// The computed layout.
#[derive(Clone, Copy, Debug)]
pub struct SdkLayout {
    entries: [LayoutEntry; MAX_ENTRIES],
    len: usize,
    /// Enclave size: the layout's end rounded up to a power of two.
    pub enclave_size: u64,
    /// End of the last entry before the power-of-two padding (`m_rva`).
    pub layout_end: u64,
    /// SSA frame size in pages.
    pub ssa_frame_size: u32,
    /// EDMM bookkeeping overhead (non-zero only with SGX2 metadata).
    pub edmm_bk_overhead: u64,
    /// The 72-byte TCS template (offsets relative to the TCS page).
    pub tcs_template: [u8; TCS_TEMPLATE_SIZE as usize],
}

fn edmm_aligned_overhead(size: u32) -> u64 {
    // emalloc in sgx-emm: an 8-byte header, 8-byte alignment, 16-byte minimum block.
    let b = round_to(u64::from(size).wrapping_add(8), 8);
    b.max(16)
}

/// `sizeof(ema_t)` (72) and `sizeof(bit_array)` (24) in sgx-emm, as allocated blocks.
const EMA_OVERHEAD: u64 = 80;
const BIT_ARRAY_OVERHEAD: u64 = 32;

/// Bookkeeping of one range of `pages` pages: a node, a bit array and its bytes.
fn node_overhead(pages: u32) -> u64 {
    EMA_OVERHEAD
        .wrapping_add(BIT_ARRAY_OVERHEAD)
        .wrapping_add(edmm_aligned_overhead(pages.wrapping_add(7) & !7 >> 3))
}

impl SdkLayout {
    /// The records, in table order.
    pub fn entries(&self) -> &[LayoutEntry] {
        self.entries.get(..self.len).unwrap_or(&[])
    }

    /// The first entry with `id` (`get_entry_by_id`).
    pub fn entry(&self, entry_id: u16) -> Option<&LayoutEntry> {
        self.entries().iter().find(|e| e.id == entry_id)
    }

    fn push(&mut self, e: LayoutEntry) {
        if let Some(slot) = self.entries.get_mut(self.len) {
            *slot = e;
            self.len = self.len.wrapping_add(1); // below MAX_ENTRIES
        }
    }

    /// Builds the layout as `build_layout_table` and `build_layout_entries` do, with the TCS
    /// template, and runs the checks that follow (ELRANGE, and the loader's table checks).
    pub fn build(inp: &LayoutInputs<'_, '_>) -> Result<SdkLayout, LayoutError> {
        let p = &inp.params;
        let mut l = SdkLayout {
            entries: [LayoutEntry::default(); MAX_ENTRIES],
            len: 0,
            enclave_size: 0,
            layout_end: 0,
            ssa_frame_size: inp.ssa_frame_size,
            edmm_bk_overhead: 0,
            tcs_template: [0; TCS_TEMPLATE_SIZE as usize],
        };
        // Page counts are 32-bit in `sgx_sign`: larger sizes wrap, as there.
        let pages = |bytes: u64| (bytes >> 12) as u32;
        let entry = |id, page_count, attributes, si_flags| LayoutEntry {
            id,
            attributes,
            page_count,
            si_flags,
            ..LayoutEntry::default()
        };

        // Heap: the minimum and the initial part are added at load (EADD, not measured
        // contents), the rest only later.
        l.push(entry(
            id::HEAP_MIN,
            pages(p.heap_min),
            attr::EADD,
            SI_FLAGS_RW,
        ));
        if p.heap_init > p.heap_min {
            let a = attr::EADD | attr::POST_REMOVE | attr::POST_ADD;
            l.push(entry(
                id::HEAP_INIT,
                pages(p.heap_init.wrapping_sub(p.heap_min)),
                a,
                SI_FLAGS_RW,
            ));
        }
        if p.heap_max > p.heap_init {
            l.push(entry(
                id::HEAP_MAX,
                pages(p.heap_max.wrapping_sub(p.heap_init)),
                attr::POST_ADD,
                SI_FLAGS_RW,
            ));
        }

        // One thread context: guard | stack (grow-down part, then minimum) | guard | TCS |
        // SSA frames | guard | thread data (one page plus the TLS pages).
        let guard = entry(id::GUARD, GUARD_PAGES, 0, 0);
        let mut thread = [LayoutEntry::default(); 8];
        let mut n = 0usize;
        let mut add = |e: LayoutEntry| {
            if let Some(slot) = thread.get_mut(n) {
                *slot = e;
                n = n.wrapping_add(1); // below 8
            }
        };
        add(guard);
        let stack = attr::EADD | attr::EEXTEND;
        if p.stack_max > p.stack_min {
            let mut e = entry(
                id::STACK_MAX,
                pages(p.stack_max.wrapping_sub(p.stack_min)),
                stack | attr::GROW_DOWN,
                SI_FLAGS_RW,
            );
            e.content_size = STACK_FILL;
            add(e);
        }
        let mut e = entry(id::STACK_MIN, pages(p.stack_min), stack, SI_FLAGS_RW);
        e.content_size = STACK_FILL;
        add(e);
        add(guard);
        let mut e = entry(id::TCS, 1, stack, SI_FLAG_TCS);
        e.content_offset = inp.tcs_content_offset;
        e.content_size = TCS_TEMPLATE_SIZE;
        add(e);
        add(entry(
            id::SSA,
            inp.ssa_frame_size.wrapping_mul(SSA_NUM),
            stack,
            SI_FLAGS_RW,
        ));
        add(guard);
        let tls_pages = inp.elf.tls().map_or(0, |t| pages(round_to(t.memsz, PAGE)));
        add(entry(id::TD, tls_pages.wrapping_add(1), stack, SI_FLAGS_RW));
        let thread = thread.get(..n).unwrap_or(&[]);
        let group_count = n as u16;

        // The utility thread: part of its stack can be added and removed later.
        for &t in thread {
            let mut t = t;
            if t.id == id::STACK_MAX {
                t.attributes |= attr::POST_ADD | attr::POST_REMOVE;
            }
            l.push(t);
        }
        let (pool, eremove) = if p.tcs_min_pool > p.tcs_num.wrapping_sub(1) {
            (p.tcs_num.wrapping_sub(1), 0)
        } else {
            (
                p.tcs_min_pool,
                p.tcs_num.wrapping_sub(1).wrapping_sub(p.tcs_min_pool),
            )
        };
        // The thread pool: measured like the utility thread.
        if pool > 0 {
            for &t in thread {
                l.push(t);
            }
            if pool > 1 {
                l.push(LayoutEntry::group(
                    id::THREAD_GROUP,
                    group_count,
                    pool.wrapping_sub(1),
                ));
            }
        }
        // Threads up to TCSNum beyond the pool: measured, then removed after load.
        if eremove > 0 {
            for &t in thread {
                let mut t = t;
                if t.id != id::GUARD {
                    t.attributes |= attr::EREMOVE;
                }
                l.push(t);
            }
            if eremove > 1 {
                l.push(LayoutEntry::group(
                    id::THREAD_GROUP,
                    group_count,
                    eremove.wrapping_sub(1),
                ));
            }
        }
        // Dynamic threads up to TCSMaxNum: added later, not measured.
        if p.tcs_max_num > pool.wrapping_add(1) {
            for &t in thread {
                let mut t = t;
                if t.id == id::STACK_MAX {
                    t.id = t.id.wrapping_add(id::HEAP_DYN_MIN - id::HEAP_MIN);
                    t.attributes = attr::POST_ADD | attr::GROW_DOWN;
                } else if t.id != id::GUARD {
                    t.id = t.id.wrapping_add(id::HEAP_DYN_MIN - id::HEAP_MIN);
                    t.attributes = attr::POST_ADD | attr::DYN_THREAD;
                }
                l.push(t);
            }
            let times = p.tcs_max_num.wrapping_sub(pool).wrapping_sub(1);
            l.push(LayoutEntry::group(id::THREAD_GROUP_DYN, group_count, times));
        }

        // Reserved memory.
        if p.rsrv_min > 0 || p.rsrv_init > 0 || p.rsrv_max > 0 {
            let flags = if p.rsrv_executable {
                SI_FLAGS_RWX
            } else {
                SI_FLAGS_RW
            };
            l.push(entry(id::RSRV_MIN, pages(p.rsrv_min), attr::EADD, flags));
            if p.rsrv_init > p.rsrv_min {
                let a = attr::EADD | attr::POST_REMOVE | attr::POST_ADD;
                l.push(entry(
                    id::RSRV_INIT,
                    pages(p.rsrv_init.wrapping_sub(p.rsrv_min)),
                    a,
                    flags,
                ));
            }
            if p.rsrv_max > p.rsrv_init {
                l.push(entry(
                    id::RSRV_MAX,
                    pages(p.rsrv_max.wrapping_sub(p.rsrv_init)),
                    attr::POST_ADD,
                    SI_FLAGS_RW,
                ));
            }
        }

        // User region (with SGX2 metadata): the requested size plus the runtime's EDMM
        // bookkeeping and two 32 KiB guards.
        if inp.meta_versions & 2 != 0 {
            let mut overhead = 0u64;
            let mut size = 0u64;
            if p.user_region_size > 0 {
                size = p.user_region_size;
                let o = round_to(p.user_region_size >> 15, PAGE);
                overhead = overhead.wrapping_add(if o > 0 { o } else { PAGE });
            }
            overhead = overhead.wrapping_add(l.rts_bookkeeping(inp, thread, pool, eremove));
            let aligned = round_to(overhead.wrapping_add(32), 0x10000);
            size = size.wrapping_add(aligned).wrapping_add(0x10000);
            l.edmm_bk_overhead = aligned;
            l.push(entry(
                id::USER_REGION,
                pages(size),
                attr::POST_ADD,
                SI_FLAGS_RW,
            ));
        }

        // Addresses: right after the image, in table order; a group advances by its copies.
        let mut rva = inp.elf.image_size();
        if rva == 0 {
            return Err(LayoutError::EmptyImage);
        }
        for i in 0..l.len {
            let Some(e) = l.entries.get(i).copied() else {
                break;
            };
            if e.is_group() {
                let start = i.saturating_sub(usize::from(e.entry_count()));
                let step = l
                    .entries
                    .get(start..i)
                    .unwrap_or(&[])
                    .iter()
                    .fold(0u64, |s, x| s.wrapping_add(x.size()));
                if let Some(g) = l.entries.get_mut(i) {
                    g.rva = step;
                }
                let span = step
                    .checked_mul(u64::from(e.load_times()))
                    .ok_or(LayoutError::TooLarge)?;
                rva = rva.checked_add(span).ok_or(LayoutError::TooLarge)?;
            } else {
                if let Some(x) = l.entries.get_mut(i) {
                    x.rva = rva;
                }
                rva = rva.checked_add(e.size()).ok_or(LayoutError::TooLarge)?;
            }
        }
        l.layout_end = rva;

        l.tcs_template = l.tcs_template(inp)?;

        // The enclave size is the next power of two; guard pages fill the rest.
        let size = rva
            .checked_next_power_of_two()
            .ok_or(LayoutError::TooLarge)?;
        l.enclave_size = size;
        if size > rva {
            let mut g = guard;
            g.page_count = (size.wrapping_sub(rva) >> 12) as u32;
            g.rva = rva;
            l.push(g);
        }
        l.check_elrange(inp.elrange)?;
        if size > MAX_ENCLAVE_SIZE || inp.elrange.size > MAX_ENCLAVE_SIZE {
            return Err(LayoutError::ExceedsMaxEnclaveSize);
        }
        Ok(l)
    }

    /// `build_tcs_template`: entry point, SSA and FS/GS bases relative to the TCS page (plus
    /// the ELRANGE shift), two SSA frames, AEXNOTIFY when enabled, FS/GS limits all ones.
    fn tcs_template(&self, inp: &LayoutInputs<'_, '_>) -> Result<[u8; 72], LayoutError> {
        let shift = inp.elrange.page_shift();
        let entry = inp.elf.enclave_entry();
        if entry == 0 {
            return Err(LayoutError::NoEnclaveEntry);
        }
        let rva = |i| self.entry(i).map_or(0, |e| e.rva);
        let td_pages = self.entry(id::TD).map_or(0, |e| e.page_count);
        let tcs = rva(id::TCS);
        let mut t = [0u8; 72];
        let flags: u64 = if inp.aex_notify { 2 } else { 0 };
        t[8..16].copy_from_slice(&flags.to_le_bytes());
        let ossa = rva(id::SSA).wrapping_sub(tcs).wrapping_add(shift);
        t[16..24].copy_from_slice(&ossa.to_le_bytes());
        t[28..32].copy_from_slice(&SSA_NUM.to_le_bytes());
        t[32..40].copy_from_slice(&entry.wrapping_add(shift).to_le_bytes());
        let fs = rva(id::TD)
            .wrapping_sub(tcs)
            .wrapping_add((u64::from(td_pages)).wrapping_sub(1) << 12)
            .wrapping_add(shift);
        t[48..56].copy_from_slice(&fs.to_le_bytes());
        t[56..64].copy_from_slice(&fs.to_le_bytes());
        t[64..68].copy_from_slice(&u32::MAX.to_le_bytes());
        t[68..72].copy_from_slice(&u32::MAX.to_le_bytes());
        Ok(t)
    }

    /// `vaildate_elrange_config` (against the layout end) and the loader's `set_elrange_config`
    /// (against the power-of-two enclave size).
    fn check_elrange(&self, e: Elrange) -> Result<(), LayoutError> {
        use LayoutError as E;
        if e.size == 0 {
            return Ok(());
        }
        if !e.image_address.is_multiple_of(PAGE) {
            return Err(E::ImageAddressAlign);
        }
        if !e.start_address.is_multiple_of(PAGE) {
            return Err(E::ElrangeStartPageAlign);
        }
        if !e.size.is_multiple_of(PAGE) {
            return Err(E::ElrangeSizePageAlign);
        }
        if e.start_address & e.size.wrapping_sub(1) != 0 {
            return Err(E::ElrangeStartAlign);
        }
        if e.start_address > e.image_address {
            return Err(E::ElrangeStartAboveImage);
        }
        let image_end = e
            .image_address
            .checked_add(self.layout_end)
            .ok_or(E::ImageAddressOverflow)?;
        let range_end = e
            .start_address
            .checked_add(e.size)
            .ok_or(E::ElrangeOverflow)?;
        if image_end > range_end {
            return Err(E::ElrangeTooSmall);
        }
        if !e.size.is_power_of_two() {
            return Err(E::ElrangeSizeNotPowerOfTwo);
        }
        if e.image_address >= range_end
            || e.image_address.wrapping_add(self.enclave_size) > range_end
        {
            return Err(E::ElrangeTooSmallForEnclave);
        }
        Ok(())
    }

    /// `calculate_rts_bk_overhead`: the trusted runtime's EDMM bookkeeping for every range it
    /// tracks (heap, reserved memory, each thread context, each segment).
    fn rts_bookkeeping(
        &self,
        inp: &LayoutInputs<'_, '_>,
        thread: &[LayoutEntry],
        pool: u32,
        eremove: u32,
    ) -> u64 {
        let p = &inp.params;
        let pages = |b: u64| (b >> 12) as u32;
        let mut heap = node_overhead(pages(p.heap_min));
        if p.heap_init > p.heap_min {
            heap = heap.wrapping_add(node_overhead(pages(p.heap_init.wrapping_sub(p.heap_min))));
        }
        if p.heap_max > p.heap_init {
            heap = heap.wrapping_add(node_overhead(pages(p.heap_max.wrapping_sub(p.heap_init))));
        }
        let mut rsrv = node_overhead(pages(p.rsrv_min));
        if p.rsrv_init > p.rsrv_min {
            rsrv = rsrv.wrapping_add(node_overhead(pages(p.rsrv_init.wrapping_sub(p.rsrv_min))));
        }
        if p.rsrv_max > p.rsrv_init {
            rsrv = rsrv.wrapping_add(node_overhead(pages(p.rsrv_max.wrapping_sub(p.rsrv_init))));
        }
        // guard | stack | guard | TCS | SSA | guard | TD: guards and removed contexts cost a
        // node each, kept ranges a node and a bit array.
        let mut kept = EMA_OVERHEAD;
        let mut removed = EMA_OVERHEAD;
        kept = kept.wrapping_add(node_overhead(pages(p.stack_min)));
        removed = removed.wrapping_add(EMA_OVERHEAD);
        if p.stack_max > p.stack_min {
            kept = kept.wrapping_add(node_overhead(pages(p.stack_max.wrapping_sub(p.stack_min))));
            removed = removed.wrapping_add(EMA_OVERHEAD);
        }
        kept = kept.wrapping_add(EMA_OVERHEAD);
        removed = removed.wrapping_add(EMA_OVERHEAD);
        kept = kept.wrapping_add(node_overhead(1));
        removed = removed.wrapping_add(EMA_OVERHEAD);
        kept = kept.wrapping_add(node_overhead(inp.ssa_frame_size.wrapping_mul(SSA_NUM)));
        removed = removed.wrapping_add(EMA_OVERHEAD);
        kept = kept.wrapping_add(EMA_OVERHEAD);
        removed = removed.wrapping_add(EMA_OVERHEAD);
        let td_pages = thread
            .iter()
            .find(|e| e.id == id::TD)
            .map_or(1, |e| e.page_count);
        kept = kept.wrapping_add(node_overhead(td_pages));
        removed = removed.wrapping_add(EMA_OVERHEAD);

        let mut total_kept = kept;
        if pool > 0 {
            total_kept = total_kept.wrapping_add(kept.wrapping_mul(u64::from(pool)));
        }
        let mut total_removed = removed;
        if eremove > 0 {
            total_removed = total_removed.wrapping_add(removed.wrapping_mul(u64::from(eremove)));
        }
        if p.tcs_max_num > pool.wrapping_add(1) {
            total_kept = total_kept
                .wrapping_add(kept.wrapping_mul(u64::from(p.tcs_max_num.wrapping_sub(pool))));
        }
        let mut segments = 0u64;
        for s in inp.elf.segments() {
            segments = segments.wrapping_add(node_overhead(pages(round_to(s.memsz, PAGE))));
        }
        heap.wrapping_add(rsrv)
            .wrapping_add(total_kept)
            .wrapping_add(total_removed)
            .wrapping_add(segments)
            .wrapping_add(EMA_OVERHEAD)
    }
}
