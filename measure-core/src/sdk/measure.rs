//! The MRENCLAVE of an SDK enclave, streamed: the records `sgx_sign`'s loader emulation
//! produces (`CLoader::build_image` with `EnclaveCreatorST`), in its order, one page at a time.
//!
//! 1. ECREATE with the SSA frame size and the enclave size (the ELRANGE size when one is set).
//! 2. Each `PT_LOAD` segment in program header order (`build_sections`): its file bytes page
//!    by page, zero-padded, EADDed and EEXTENDed at their page offsets, then its zero pages up
//!    to `p_memsz`. The bytes come from the file with `sgx_sign`'s patches applied (the
//!    `g_global_data` template, zeroed `e_shoff`/`e_shnum`/`e_shstrndx`). A page written by a
//!    relocation in a read-only segment is made writable when the file has `DT_TEXTREL`.
//! 3. The layout table (`build_contexts`): every entry with the EADD attribute and page
//!    permissions, a group repeating the entries before it; stacks filled with 0xCC, TCS pages
//!    from the template with absolute SSA/FS/GS offsets; EEXTEND only where the entry says so
//!    (heap and reserved memory are added without measuring their contents). Entries that are
//!    only added later (EDMM) are not measured.
//!
//! With an ELRANGE, every page offset is shifted by `EnclaveImageAddress - ELRangeStartAddress`.

use super::SdkEnclave;
use super::elf::Segment;
use super::layout::{LayoutEntry, PAGE, SI_FLAG_TCS, SI_FLAG_W, attr};
use crate::measure::{EEXTEND_CHUNK, MeasurementHasher, RecordSink};

const PAGE_LEN: usize = PAGE as usize;
/// Pages covered by one relocation bitmap window (a 4 KiB bitmap on the stack).
const WINDOW_PAGES: u64 = 8 * 4096;

/// EADD (and EEXTEND when `extend`) of one page at enclave offset `offset`.
fn add_page<S: RecordSink + ?Sized>(
    sink: &mut S,
    offset: u64,
    flags: u64,
    extend: bool,
    page: &[u8; PAGE_LEN],
) {
    sink.eadd(offset, flags);
    if extend {
        let (chunks, _) = page.as_chunks::<EEXTEND_CHUNK>();
        for (i, c) in chunks.iter().enumerate() {
            sink.eextend(
                offset.wrapping_add((i as u64).wrapping_mul(EEXTEND_CHUNK as u64)),
                c,
            );
        }
    }
}

/// The pages of a read-only segment that relocations write to, a window at a time.
struct RelocWindow {
    first: u64,
    valid: bool,
    bits: [u8; (WINDOW_PAGES / 8) as usize],
}

impl RelocWindow {
    fn new() -> Self {
        RelocWindow {
            first: 0,
            valid: false,
            bits: [0; (WINDOW_PAGES / 8) as usize],
        }
    }

    fn contains(&mut self, e: &SdkEnclave<'_>, page: u64) -> bool {
        if page >= e.elf.relocation_bitmap_pages() {
            return false;
        }
        if !self.valid || page < self.first || page.wrapping_sub(self.first) >= WINDOW_PAGES {
            self.first = page;
            self.valid = true;
            self.bits = [0; (WINDOW_PAGES / 8) as usize];
            let (first, bits) = (self.first, &mut self.bits);
            e.elf.for_each_relocated_page(|p| {
                if p >= first && p.wrapping_sub(first) < WINDOW_PAGES {
                    let i = p.wrapping_sub(first) as usize;
                    if let Some(b) = bits.get_mut(i / 8) {
                        *b |= 1 << (i % 8);
                    }
                }
            });
        }
        // The window starts at or below `page` (just refilled otherwise).
        let i = page.wrapping_sub(self.first) as usize;
        self.bits
            .get(i / 8)
            .is_some_and(|b| b & (1 << (i % 8)) != 0)
    }
}

impl SdkEnclave<'_> {
    /// Copies file bytes `[file_off, file_off + page[at..].len())` with `sgx_sign`'s patches
    /// applied into `dst`.
    fn patched_file_bytes(&self, file_off: u64, dst: &mut [u8]) {
        let data = self.elf.data();
        let len = dst.len() as u64;
        if let Some(src) = usize::try_from(file_off)
            .ok()
            .and_then(|s| data.get(s..s.checked_add(dst.len())?))
        {
            dst.copy_from_slice(src);
        }
        let gd = self
            .global_data_template
            .get(..self.version.global_data_size())
            .unwrap_or(&[]);
        let zeros = [0u8; 8];
        let patches: [(u64, &[u8]); 4] = [
            (self.global_data_file_offset, gd),
            (60, &zeros[..2]),
            (40, &zeros[..8]),
            (62, &zeros[..2]),
        ];
        for (p_off, bytes) in patches {
            let p_end = p_off.saturating_add(bytes.len() as u64);
            let lo = file_off.max(p_off);
            let hi = file_off.saturating_add(len).min(p_end);
            if lo >= hi {
                continue;
            }
            // `file_off, p_off <= lo < hi`.
            let (d0, s0, n) = (
                lo.wrapping_sub(file_off) as usize,
                lo.wrapping_sub(p_off) as usize,
                hi.wrapping_sub(lo) as usize,
            );
            if let (Some(d), Some(s)) = (
                dst.get_mut(d0..d0.saturating_add(n)),
                bytes.get(s0..s0.saturating_add(n)),
            ) {
                d.copy_from_slice(s);
            }
        }
    }

    /// `build_mem_region` for one segment.
    fn measure_segment<S: RecordSink + ?Sized>(&self, seg: &Segment, sink: &mut S) {
        let shift = self.layout_elrange_shift();
        let relocs = self.elf.has_textrel_tag() && seg.si_flags & SI_FLAG_W == 0;
        let mut window = RelocWindow::new();
        let mut page = [0u8; PAGE_LEN];
        let mut offset = 0u64;
        while offset < seg.filesz {
            let rva = seg.rva.wrapping_add(offset);
            let in_page = rva & (PAGE - 1);
            // `in_page < PAGE`, `offset < filesz`, so `in_page + size <= PAGE`.
            let size = PAGE
                .wrapping_sub(in_page)
                .min(seg.filesz.wrapping_sub(offset));
            page.fill(0);
            if let Some(dst) = page.get_mut(in_page as usize..in_page.wrapping_add(size) as usize) {
                self.patched_file_bytes(seg.file_offset.wrapping_add(offset), dst);
            }
            let mut flags = seg.si_flags;
            if relocs && window.contains(self, rva >> 12) {
                flags |= SI_FLAG_W;
            }
            add_page(
                sink,
                (rva & !(PAGE - 1)).wrapping_add(shift),
                flags,
                true,
                &page,
            );
            offset = offset.wrapping_add(PAGE.wrapping_sub(in_page));
        }
        if seg.memsz > offset {
            let rva = seg.rva.wrapping_add(offset);
            let bytes = super::elf::round_to(
                seg.memsz
                    .wrapping_sub(offset)
                    .wrapping_add(rva & (PAGE - 1)),
                PAGE,
            );
            let start = rva & !(PAGE - 1);
            page.fill(0);
            for k in 0..bytes / PAGE {
                let off = start.wrapping_add(k.wrapping_mul(PAGE)).wrapping_add(shift);
                add_page(sink, off, seg.si_flags, true, &page);
            }
        }
    }

    fn layout_elrange_shift(&self) -> u64 {
        self.elrange.page_shift()
    }

    /// `build_context` for one layout entry, `delta` bytes above its address.
    fn measure_entry<S: RecordSink + ?Sized>(
        &self,
        e: &LayoutEntry,
        delta: u64,
        page: &mut [u8; PAGE_LEN],
        sink: &mut S,
    ) {
        if e.attributes & attr::EADD == 0 {
            return;
        }
        let shift = self.layout_elrange_shift();
        let rva = delta.wrapping_add(e.rva);
        let extend = e.attributes & attr::EEXTEND != 0;
        let count = u64::from(e.page_count);
        if e.content_offset != 0 {
            if e.si_flags != SI_FLAG_TCS {
                // Only TCS entries carry contents in the tables `sgx_sign` builds.
                return;
            }
            page.fill(0);
            let t = &self.layout.tcs_template;
            let n = (e.content_size as usize).min(t.len());
            if let (Some(d), Some(s)) = (page.get_mut(..n), t.get(..n)) {
                d.copy_from_slice(s);
            }
            // SSA, FS and GS offsets become absolute for this TCS.
            for at in [16usize, 48, 56] {
                if let Some(w) = page.get_mut(at..).and_then(|p| p.first_chunk_mut::<8>()) {
                    *w = u64::from_le_bytes(*w).wrapping_add(rva).to_le_bytes();
                }
            }
        } else if e.si_flags != 0 {
            if e.content_size != 0 {
                let fill = e.content_size.to_le_bytes();
                for w in page.as_chunks_mut::<4>().0 {
                    *w = fill;
                }
            } else {
                page.fill(0);
            }
        } else {
            return;
        }
        let start = rva.wrapping_add(shift);
        if extend {
            for k in 0..count {
                add_page(
                    sink,
                    start.wrapping_add(k.wrapping_mul(PAGE)),
                    e.si_flags,
                    true,
                    page,
                );
            }
        } else {
            sink.eadd_unmeasured_range(start, count, PAGE, e.si_flags);
        }
    }

    /// Feeds every measurement record, in `sgx_sign`'s order, to `sink`.
    pub fn measure<S: RecordSink + ?Sized>(&self, sink: &mut S) {
        let size = if self.elrange.size != 0 {
            self.elrange.size
        } else {
            self.layout.enclave_size
        };
        sink.ecreate(self.layout.ssa_frame_size, size);
        for seg in self.elf.segments() {
            self.measure_segment(&seg, sink);
        }
        let mut page = [0u8; PAGE_LEN];
        let entries = self.layout.entries();
        for (i, e) in entries.iter().enumerate() {
            if !e.is_group() {
                self.measure_entry(e, 0, &mut page, sink);
                continue;
            }
            let first = i.saturating_sub(usize::from(e.entry_count()));
            let group = entries.get(first..i).unwrap_or(&[]);
            let mut step = 0u64;
            for _ in 0..e.load_times() {
                step = step.wrapping_add(e.load_step());
                for g in group.iter().filter(|g| !g.is_group()) {
                    self.measure_entry(g, step, &mut page, sink);
                }
            }
        }
    }

    /// MRENCLAVE.
    pub fn mrenclave(&self) -> [u8; 32] {
        let mut h = MeasurementHasher::new();
        self.measure(&mut h);
        h.finish()
    }
}
