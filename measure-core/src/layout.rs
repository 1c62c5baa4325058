//! Gramine's enclave memory layout, computed in closed form (no per-thread lists), reproducing
//! `get_memory_areas`, `populate_memory_areas` and the sanity checks of `gen_area_content` in
//! `graminelibos/sgx_sign.py`.
//!
//! From the top of the enclave down, Gramine places: the manifest (its bytes plus a NUL), the SSA
//! frames, the TCS pages, the TLS pages, one stack per thread, one signal stack per thread, then the
//! PAL, unless the PAL is linked at a non-zero address, in which case it stays there ("pinned").
//! Without EDMM, the rest (the heap) is added as "free" pages that are EADDed but not EEXTENDed.

use core::fmt;

use crate::elf::LoadSegment;
use crate::profile::{BaseRule, GramineVersion, Profile, secinfo};

/// Largest accepted `sgx.enclave_size`: 2^47 bytes (128 TiB, the x86-64 user address space).
///
/// Gramine has no limit, but a larger enclave cannot be created on any SGX machine, and without
/// EDMM measuring it would mean more than 2^35 EADD records (hours of hashing).
pub const MAX_ENCLAVE_SIZE: u64 = 1 << 47;

/// Why a layout cannot be built, or a measurement cannot be computed.
///
/// Not `#[non_exhaustive]`: the C ABI maps every variant to a status code of its own, and a new
/// variant must fail to compile there until it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// Gramine: "Enclave size is not large enough" (the manifest, thread areas and PAL do not fit
    /// between the heap minimum and the top of the enclave).
    EnclaveTooSmall,
    /// `sgx.enclave_size` above [`MAX_ENCLAVE_SIZE`].
    EnclaveTooLarge,
    /// Gramine: "Unexpected memory area is in heap range" (a PAL linked at a fixed address leaves
    /// other areas between the heap minimum and itself, e.g. it is above the enclave).
    AreaInHeapRange,
    /// The TCS entry point (`PAL address + e_entry - enclave base`) is negative or does not fit in
    /// 64 bits (Gramine: `struct.error: argument out of range`).
    EntryPointOutOfRange,
    /// A page of a PAL linked at a fixed address lies outside the enclave (Gramine: an assertion
    /// or `struct.error` while measuring).
    PalOutsideEnclave,
}

impl core::error::Error for LayoutError {}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LayoutError::EnclaveTooSmall => "Enclave size is not large enough (sgx.enclave_size cannot hold the manifest, the per-thread areas of sgx.max_threads threads and the PAL)",
            LayoutError::EnclaveTooLarge => "sgx.enclave_size is larger than 128 TiB (2^47 bytes)",
            LayoutError::AreaInHeapRange => "Unexpected memory area is in heap range (the PAL is linked at a fixed address above other enclave areas)",
            LayoutError::EntryPointOutOfRange => "TCS entry point (PAL address + e_entry - enclave base) is out of the 64-bit range",
            LayoutError::PalOutsideEnclave => "a PAL segment linked at a fixed address lies outside the enclave",
        })
    }
}

/// The inputs of the layout that come from the manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayoutParams {
    /// Gramine version whose rules apply.
    pub version: GramineVersion,
    /// `sgx.enclave_size` in bytes.
    pub enclave_size: u64,
    /// `sgx.max_threads` (`sgx.thread_num` up to v1.3).
    pub threads: u64,
    /// `sgx.edmm_enable`.
    pub edmm: bool,
    /// `sgx.nonpie_binary` (read by v1.0 to v1.4 only).
    pub nonpie_binary: bool,
}

/// A page-aligned address range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Area {
    /// Start address.
    pub addr: u64,
    /// Size in bytes (a multiple of the page size).
    pub size: u64,
}

impl Area {
    /// End address (exclusive). Every area of a computed [`Layout`] ends at most at the top of
    /// the enclave (below 2^48); for an area built by hand that reaches past 2^64 the end wraps,
    /// and the engine's page walks then add no page.
    pub fn end(&self) -> u64 {
        self.addr.wrapping_add(self.size)
    }
}

/// What the layout needs to know about the PAL: its page extent and entry point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PalExtent {
    /// Lowest `rounddown(p_vaddr)` over the `PT_LOAD`s.
    pub map_start: u64,
    /// Highest `roundup(p_vaddr + p_memsz)`.
    pub map_end: u64,
    /// `e_entry`.
    pub entry: u64,
}

// Page arithmetic. `page` is always a profile's page size (0x1000 in every version), never 0.

/// Gramine's `rounddown`.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "page > 0 (a profile constant) and x % page <= x"
)]
pub(crate) fn rounddown(x: u64, page: u64) -> u64 {
    x - x % page
}

/// Gramine's `roundup`, for values validated not to overflow (see [`crate::elf`]); saturates.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "page > 0 (a profile constant) and r = x % page < page"
)]
pub(crate) fn roundup(x: u64, page: u64) -> u64 {
    match x % page {
        0 => x,
        r => x.saturating_add(page - r),
    }
}

/// Whole pages in `size` bytes.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "page > 0 (a profile constant)"
)]
pub(crate) fn whole_pages(size: u64, page: u64) -> u64 {
    size / page
}

impl PalExtent {
    /// Extent of a set of `PT_LOAD` segments (Gramine's `MemoryArea.__init__` for the PAL).
    /// `None` if there are no segments.
    pub fn of_segments<'a>(
        segments: impl Iterator<Item = LoadSegment<'a>>,
        entry: u64,
        page: u64,
    ) -> Option<Self> {
        let mut extent: Option<(u64, u64)> = None;
        for s in segments {
            let lo = rounddown(s.vaddr, page);
            let hi = roundup(s.vaddr.saturating_add(s.memsz), page);
            extent = Some(match extent {
                None => (lo, hi),
                Some((a, b)) => (a.min(lo), b.max(hi)),
            });
        }
        extent.map(|(map_start, map_end)| PalExtent {
            map_start,
            map_end,
            entry,
        })
    }

    /// Whether Gramine keeps the PAL at its link address (lowest vaddr non-zero).
    pub fn is_pinned(&self) -> bool {
        self.map_start > 0
    }
}

/// The computed layout of one enclave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The constants of the Gramine version.
    pub profile: &'static Profile,
    /// Parameters from the manifest.
    pub params: LayoutParams,
    /// Address that offsets in EADD/EEXTEND records are relative to.
    pub enclave_base: u64,
    /// Lowest heap address (`MMAP_MIN_ADDR`, or the base under the v1.4-and-older PIE rule).
    pub heap_min: u64,
    /// Length of the measured manifest content: its bytes plus the terminating NUL.
    pub manifest_len: u64,
    /// The manifest area (top of the enclave).
    pub manifest: Area,
    /// SSA frames of every thread.
    pub ssa: Area,
    /// TCS pages of every thread.
    pub tcs: Area,
    /// TLS pages of every thread.
    pub tls: Area,
    /// The PAL's pages.
    pub pal: Area,
    /// Lowest `rounddown(p_vaddr)` of the PAL (subtracted from each vaddr to place it).
    pub pal_map_start: u64,
    /// PAL `e_entry`.
    pub pal_entry: u64,
    /// Free (heap) areas EADDed without EEXTEND, in Gramine's order; none with EDMM.
    pub free: [Option<Area>; 2],
}

impl Layout {
    /// Lays out an enclave whose manifest is `manifest_bytes` long (without the NUL).
    pub fn compute(
        params: LayoutParams,
        manifest_bytes: u64,
        pal: PalExtent,
    ) -> Result<Layout, LayoutError> {
        let profile = params.version.profile();
        let page = profile.page_size;
        let size = params.enclave_size;
        if size > MAX_ENCLAVE_SIZE {
            return Err(LayoutError::EnclaveTooLarge);
        }
        // The v1.4-and-older base rule (`populate_memory_areas` was called with
        // enclave_base = enclave_size unless `sgx.nonpie_binary`).
        let (enclave_base, heap_min) = match profile.base_rule {
            BaseRule::SizeUnlessNonPie if !params.nonpie_binary => (size, size),
            _ => (profile.default_enclave_base, profile.mmap_min_addr),
        };
        // Both are at most 2^47: never fails.
        let top = enclave_base
            .checked_add(size)
            .ok_or(LayoutError::EnclaveTooLarge)?;

        // Gramine appends a NUL to the manifest ("in-memory manifest needs NULL-termination").
        let manifest_len = manifest_bytes
            .checked_add(1)
            .ok_or(LayoutError::EnclaveTooSmall)?;
        let manifest_size = roundup(manifest_len, page);
        let t = params.threads;
        let too_small = LayoutError::EnclaveTooSmall;
        let ssa_size = t
            .checked_mul(profile.ssa_frame_size)
            .and_then(|n| n.checked_mul(profile.ssa_frame_num))
            .ok_or(too_small)?;
        let tcs_size = t.checked_mul(profile.tcs_size).ok_or(too_small)?;
        let tls_size = t.checked_mul(page).ok_or(too_small)?;
        let stacks_size = t.checked_mul(profile.stack_size).ok_or(too_small)?;
        let sig_stacks_size = t.checked_mul(profile.sig_stack_size).ok_or(too_small)?;
        // An extent that ends before it starts (never from `PalExtent::of_segments`) is refused.
        let pal_size = pal
            .map_end
            .checked_sub(pal.map_start)
            .ok_or(LayoutError::PalOutsideEnclave)?;

        // populate_memory_areas: each unplaced area goes right below the previous one; any area
        // starting below the heap minimum is "Enclave size is not large enough".
        let mut last = top;
        let mut place = |sz: u64| -> Result<Area, LayoutError> {
            let addr = last
                .checked_sub(sz)
                .filter(|a| *a >= heap_min)
                .ok_or(too_small)?;
            last = addr;
            Ok(Area { addr, size: sz })
        };
        let manifest = place(manifest_size)?;
        let ssa = place(ssa_size)?;
        let tcs = place(tcs_size)?;
        let tls = place(tls_size)?;
        let stacks = place(stacks_size)?;
        let sig_stacks = place(sig_stacks_size)?;
        let pinned = pal.is_pinned();
        let pal_area = if pinned {
            Area {
                addr: pal.map_start,
                size: pal_size,
            }
        } else {
            place(pal_size)?
        };
        let lowest_unpinned = last;

        // gen_area_content's sanity check: every area must lie entirely below the heap minimum or
        // at/above the heap maximum (the PAL's address). Stacks are contiguous and non-empty, so
        // checking the lowest placed area covers them; zero-size areas at the heap minimum pass.
        let heap_max = pal_area.addr;
        let in_heap = |a: Area| !(a.addr.saturating_add(a.size) <= heap_min || a.addr >= heap_max);
        let areas_to_check = [
            manifest,
            ssa,
            tcs,
            tls,
            Area {
                addr: sig_stacks.addr,
                size: sig_stacks_size.min(profile.sig_stack_size),
            },
            Area {
                addr: stacks.addr,
                size: stacks_size.min(profile.stack_size),
            },
        ];
        if pinned && areas_to_check.iter().any(|a| in_heap(*a)) {
            return Err(LayoutError::AreaInHeapRange);
        }

        // TCS.OENTRY = pal.addr + e_entry - enclave_base must pack as an unsigned 64-bit value.
        // Exact in i128: every term is below 2^64.
        let oentry = i128::from(pal_area.addr)
            .wrapping_add(i128::from(pal.entry))
            .wrapping_sub(i128::from(enclave_base));
        if !(0..=i128::from(u64::MAX)).contains(&oentry) {
            return Err(LayoutError::EntryPointOutOfRange);
        }

        // A pinned PAL's pages must have offsets in [0, enclave_size) (do_eadd's assertion and
        // '<Q' packing).
        if pinned && (pal_area.addr < enclave_base || pal_area.end() > top) {
            return Err(LayoutError::PalOutsideEnclave);
        }

        // Free areas (populate_memory_areas, after gen_area_content). Only a pinned PAL can leave
        // a gap below the placed areas; Gramine then adds the gap first, and the rest down to the
        // heap minimum second.
        let mut free = [None, None];
        if !params.edmm {
            let mut last = lowest_unpinned;
            if pinned && pal_area.end() < last {
                free[0] = Some(Area {
                    addr: pal_area.end(),
                    size: last.saturating_sub(pal_area.end()), // end < last
                });
                last = pal_area.addr;
            }
            if last > heap_min {
                free[1] = Some(Area {
                    addr: heap_min,
                    size: last.saturating_sub(heap_min), // heap_min < last
                });
            }
        }

        Ok(Layout {
            profile,
            params,
            enclave_base,
            heap_min,
            manifest_len,
            manifest,
            ssa,
            tcs,
            tls,
            pal: pal_area,
            pal_map_start: pal.map_start,
            pal_entry: pal.entry,
            free,
        })
    }

    /// Address of thread `t`'s stack (`t` below `params.threads`).
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "for t < threads the stack lies between the stacks area and the TLS area \
                  (Layout::compute placed both, above the heap minimum)"
    )]
    pub fn stack(&self, t: u64) -> Area {
        let size = self.profile.stack_size;
        Area {
            addr: self.tls.addr - (t + 1) * size,
            size,
        }
    }

    /// Address of thread `t`'s signal stack (`t` below `params.threads`).
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "for t < threads the signal stack lies between the signal stacks area and the \
                  stacks area (Layout::compute placed both, above the heap minimum)"
    )]
    pub fn sig_stack(&self, t: u64) -> Area {
        let size = self.profile.sig_stack_size;
        let below_stacks = self.tls.addr - self.params.threads * self.profile.stack_size;
        Area {
            addr: below_stacks - (t + 1) * size,
            size,
        }
    }

    /// Where the PAL's vaddr 0 lands (`baseaddr_` in Gramine: `pal.addr - mapaddr`).
    pub fn pal_load_bias(&self) -> u64 {
        // A pinned PAL lies at its map start (bias 0); a PAL the layout placed has map start 0.
        self.pal.addr.wrapping_sub(self.pal_map_start)
    }

    /// Number of records (64-byte SHA-256 blocks) the measurement hashes, excluding the PAL.
    pub fn heap_pages(&self) -> u64 {
        self.free
            .iter()
            .flatten()
            .map(|a| whole_pages(a.size, self.profile.page_size))
            .sum()
    }

    /// SECINFO flags of the SSA, TLS and stack areas.
    pub const RW_REG: u64 = secinfo::R | secinfo::W | secinfo::REG;
    /// SECINFO flags of the manifest area.
    pub const R_REG: u64 = secinfo::R | secinfo::REG;
    /// SECINFO flags of free (heap) pages.
    pub const RWX_REG: u64 = secinfo::R | secinfo::W | secinfo::X | secinfo::REG;
}
