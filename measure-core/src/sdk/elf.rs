//! The enclave shared object as `sgx_sign` reads it (linux-sgx `psw/urts/parser/elfparser.cpp`,
//! `sdk/sign_tool/SignTool/elf_helper.h`): the checks it makes, in its order, and what it takes
//! from the file: the `PT_LOAD` segments (measured), the `PT_TLS` segment (sizes the per-thread
//! data), the `.note.sgxmeta` note (where the signed metadata goes), the symbols `enclave_entry`
//! and `g_global_data`, and the relocations (validated; only a text relocation changes what is
//! measured).
//!
//! Symbols and notes are found through the section headers, as `sgx_sign` does. Where
//! `sgx_sign` would read outside the file (it maps the file and follows offsets unchecked), this
//! reader refuses the file instead.

use core::fmt;

use super::layout::SI_FLAG_REG;

/// ELF64 header size.
const EHDR_LEN: u64 = 64;
/// ELF64 program header size.
const PHDR_LEN: u64 = 56;
/// ELF64 section header size (the stride `sgx_sign` uses whatever `e_shentsize` says).
const SHDR_LEN: u64 = 64;
/// `Elf64_Sym` size.
const SYM_LEN: u64 = 24;
/// `Elf64_Rela` size.
const RELA_LEN: u64 = 24;
/// `Elf64_Dyn` size.
const DYN_LEN: u64 = 16;
/// Page size.
const PAGE: u64 = 0x1000;

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_TLS: u32 = 7;
const SHT_RELA: u32 = 4;
const SHT_REL: u32 = 9;
const SHF_EXECINSTR: u64 = 4;
const DT_PLTRELSZ: i64 = 2;
const DT_STRTAB: i64 = 5;
const DT_SYMTAB: i64 = 6;
const DT_RELA: i64 = 7;
const DT_RELASZ: i64 = 8;
const DT_REL: i64 = 17;
const DT_TEXTREL: i64 = 22;
const DT_JMPREL: i64 = 23;
/// `DT_NUM`: tags below it are recorded.
const DT_NUM: i64 = 35;

/// The relocation types `sgx_sign` accepts (x86-64): NONE, 64, GLOB_DAT, JUMP_SLOT, RELATIVE,
/// DTPMOD64, DTPOFF64, TPOFF64.
const ALLOWED_RELOCATIONS: [u32; 8] = [0, 1, 6, 7, 8, 16, 17, 18];

/// Why `sgx_sign` (or this reader, where `sgx_sign` would read outside the file) refuses the
/// enclave file.
///
/// Not `#[non_exhaustive]`: the C ABI maps every variant by name to a status code, and a new
/// variant must fail to compile there until it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SdkElfError {
    /// Shorter than an ELF64 header.
    Truncated,
    /// Not `\x7fELF`.
    NotElf,
    /// Not ELFCLASS64 (32-bit enclaves are not signed by the 64-bit `sgx_sign`).
    Not64Bit,
    /// Not little-endian.
    NotLittleEndian,
    /// `EI_VERSION` is not `EV_CURRENT`.
    BadIdentVersion,
    /// `e_type` is not `ET_DYN` (an enclave is a shared object).
    NotSharedObject(u16),
    /// `e_phentsize` is not 56.
    BadProgramHeaderSize(u16),
    /// `e_machine` is not x86-64.
    NotX86_64(u16),
    /// The program header table is outside the file.
    ProgramHeadersOutside,
    /// A segment's file bytes extend past the end of the file.
    SegmentPastEnd {
        /// Program header index.
        index: u16,
    },
    /// A `PT_LOAD` alignment is not a multiple of the page size.
    SegmentNotPageAligned {
        /// Program header index.
        index: u16,
    },
    /// Two `PT_LOAD` segments overlap (after rounding each end up to its alignment).
    SegmentsOverlap {
        /// Program header index of the later segment.
        index: u16,
        /// Program header index of the earlier segment.
        other: u16,
    },
    /// No `PT_DYNAMIC` segment, or an empty one.
    NoDynamic,
    /// The dynamic section has no `DT_NULL` before the end of the file.
    DynamicUnterminated,
    /// The section header table is outside the file.
    SectionHeadersOutside,
    /// A section's name, or a section's data that `sgx_sign` reads, is outside the file.
    SectionOutside,
    /// No section at the `DT_SYMTAB` address (`sgx_sign`: "There is no .dynsym section").
    NoDynsym,
    /// The `.dynsym` section has `sh_entsize` 0.
    DynsymEntsizeZero,
    /// No section at the `DT_STRTAB` address while symbols have names.
    NoDynstr,
    /// A dynamic symbol is undefined (and not weak): `sgx_sign` lists it as "symbol ... is
    /// undefined". The value is the symbol's index in `.dynsym`.
    UndefinedSymbol(u32),
    /// `DT_REL` relocations (x86-64 enclaves use `DT_RELA`).
    RelOnX86_64,
    /// A relocation table address has no section.
    NoRelocationSection,
    /// A relocation type `sgx_sign` does not allow (the value is the type).
    UnsupportedRelocation(u32),
    /// A `.ctors` section ("global initializers will not be invoked correctly").
    CtorsSection,
    /// No `.note.sgxmeta` section.
    NoMetadataNote,
    /// `.note.sgxmeta`'s size does not match its note header.
    MetadataNoteSize,
    /// The note in `.note.sgxmeta` is not named `sgx_metadata`.
    MetadataNoteName,
    /// A `PT_LOAD` or `PT_TLS` segment has none of the R, W, X flags.
    SegmentWithoutPermissions {
        /// Program header index.
        index: u16,
    },
    /// A `.init` section (refused unless `-ignore-init-sec-error`).
    InitSection,
    /// Relocations that patch executable sections (text relocations; refused unless
    /// `-ignore-rel-error`).
    TextRelocations,
    /// A relocation section has `sh_entsize` 0 (`sgx_sign` would divide by zero).
    RelocationEntsizeZero,
}

impl core::error::Error for SdkElfError {}

impl fmt::Display for SdkElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use SdkElfError as E;
        match *self {
            E::Truncated => f.write_str("file is shorter than an ELF64 header"),
            E::NotElf => f.write_str("not an ELF file (bad magic)"),
            E::Not64Bit => f.write_str("not an ELFCLASS64 file"),
            E::NotLittleEndian => f.write_str("not a little-endian ELF file"),
            E::BadIdentVersion => f.write_str("EI_VERSION is not EV_CURRENT"),
            E::NotSharedObject(t) => write!(
                f,
                "e_type is {t}, expected ET_DYN (an enclave is a shared object)"
            ),
            E::BadProgramHeaderSize(n) => write!(f, "e_phentsize is {n}, expected 56"),
            E::NotX86_64(m) => write!(f, "e_machine is {m}, expected x86-64 (62)"),
            E::ProgramHeadersOutside => f.write_str("the program header table is outside the file"),
            E::SegmentPastEnd { index } => write!(
                f,
                "segment (program header {index}) extends past the end of the file"
            ),
            E::SegmentNotPageAligned { index } => write!(
                f,
                "PT_LOAD segment (program header {index}) alignment is not a multiple of 4096"
            ),
            E::SegmentsOverlap { index, other } => write!(
                f,
                "PT_LOAD segments overlap (program headers {other} and {index})"
            ),
            E::NoDynamic => f.write_str("no dynamic section (PT_DYNAMIC)"),
            E::DynamicUnterminated => {
                f.write_str("the dynamic section has no DT_NULL before the end of the file")
            }
            E::SectionHeadersOutside => f.write_str("the section header table is outside the file"),
            E::SectionOutside => f.write_str("a section name or section data is outside the file"),
            E::NoDynsym => {
                f.write_str("there is no .dynsym section (no section at the DT_SYMTAB address)")
            }
            E::DynsymEntsizeZero => f.write_str("in section .dynsym, sh_entsize is 0"),
            E::NoDynstr => {
                f.write_str("there is no .dynstr section (no section at the DT_STRTAB address)")
            }
            E::UndefinedSymbol(i) => write!(
                f,
                "dynamic symbol {i} is undefined (an enclave cannot import symbols)"
            ),
            E::RelOnX86_64 => f.write_str("REL relocations (DT_REL) on x86-64"),
            E::NoRelocationSection => f.write_str("no section at a relocation table's address"),
            E::UnsupportedRelocation(t) => write!(
                f,
                "unsupported relocation type {t} (allowed: NONE, 64, GLOB_DAT, JUMP_SLOT, RELATIVE, DTPMOD64, DTPOFF64, TPOFF64)"
            ),
            E::CtorsSection => f.write_str(
                ".ctors section is found, global initializers will not be invoked correctly",
            ),
            E::NoMetadataNote => {
                f.write_str("the enclave image should have '.note.sgxmeta' section")
            }
            E::MetadataNoteSize => f.write_str("the '.note.sgxmeta' section size is not correct"),
            E::MetadataNoteName => f.write_str(
                "the note in the '.note.sgxmeta' section must be named as \"sgx_metadata\"",
            ),
            E::SegmentWithoutPermissions { index } => write!(
                f,
                "segment (program header {index}) is neither readable, writable nor executable"
            ),
            E::InitSection => f.write_str("the enclave image has .init section"),
            E::TextRelocations => f.write_str("the enclave image has text relocations"),
            E::RelocationEntsizeZero => f.write_str("a relocation section has sh_entsize 0"),
        }
    }
}

fn slice(data: &[u8], off: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(off).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    data.get(start..end)
}

fn rd<const N: usize>(data: &[u8], off: u64) -> Option<[u8; N]> {
    slice(data, off, N as u64)?.first_chunk::<N>().copied()
}

pub(crate) fn u16_at(data: &[u8], off: u64) -> Option<u16> {
    rd(data, off).map(u16::from_le_bytes)
}
pub(crate) fn u32_at(data: &[u8], off: u64) -> Option<u32> {
    rd(data, off).map(u32::from_le_bytes)
}
pub(crate) fn u64_at(data: &[u8], off: u64) -> Option<u64> {
    rd(data, off).map(u64::from_le_bytes)
}

/// `ROUND_TO(x, align)` with `sgx_sign`'s wrapping 64-bit arithmetic (an alignment of 0 rounds
/// everything to 0).
pub(crate) const fn round_to(x: u64, align: u64) -> u64 {
    x.wrapping_add(align.wrapping_sub(1)) & !align.wrapping_sub(1)
}

/// SECINFO flags of a segment: regular page plus R/W/X from `p_flags` (`page_attr_to_si_flags`).
pub const fn segment_si_flags(p_flags: u32) -> u64 {
    let mut f = SI_FLAG_REG;
    if p_flags & 4 != 0 {
        f |= 1;
    }
    if p_flags & 2 != 0 {
        f |= 2;
    }
    if p_flags & 1 != 0 {
        f |= 4;
    }
    f
}

/// One program header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Phdr {
    p_type: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
    align: u64,
}

fn phdr_at(data: &[u8], at: u64) -> Option<Phdr> {
    Some(Phdr {
        p_type: u32_at(data, at)?,
        flags: u32_at(data, at.checked_add(4)?)?,
        offset: u64_at(data, at.checked_add(8)?)?,
        vaddr: u64_at(data, at.checked_add(16)?)?,
        filesz: u64_at(data, at.checked_add(32)?)?,
        memsz: u64_at(data, at.checked_add(40)?)?,
        align: u64_at(data, at.checked_add(48)?)?,
    })
}

/// One section header (the fields `sgx_sign` looks at).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Shdr {
    name: u32,
    sh_type: u32,
    flags: u64,
    addr: u64,
    offset: u64,
    size: u64,
    addralign: u64,
    entsize: u64,
}

fn shdr_at(data: &[u8], at: u64) -> Option<Shdr> {
    Some(Shdr {
        name: u32_at(data, at)?,
        sh_type: u32_at(data, at.checked_add(4)?)?,
        flags: u64_at(data, at.checked_add(8)?)?,
        addr: u64_at(data, at.checked_add(16)?)?,
        offset: u64_at(data, at.checked_add(24)?)?,
        size: u64_at(data, at.checked_add(32)?)?,
        addralign: u64_at(data, at.checked_add(48)?)?,
        entsize: u64_at(data, at.checked_add(56)?)?,
    })
}

/// A loadable segment as `sgx_sign` measures it (its `Section`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Program header index.
    pub index: u16,
    /// `p_vaddr`: the enclave offset of the first byte.
    pub rva: u64,
    /// `p_offset`.
    pub file_offset: u64,
    /// `p_filesz`: bytes taken from the file.
    pub filesz: u64,
    /// `p_memsz` (for `PT_TLS`: rounded up to `p_align`).
    pub memsz: u64,
    /// SECINFO flags of its pages.
    pub si_flags: u64,
}

/// The dynamic entries `sgx_sign` uses (`d_tag < DT_NUM`, the last of each tag).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct DynInfo {
    values: [Option<u64>; DT_NUM as usize],
}

impl Default for DynInfo {
    fn default() -> Self {
        DynInfo {
            values: [None; DT_NUM as usize],
        }
    }
}

impl DynInfo {
    fn get(&self, tag: i64) -> Option<u64> {
        usize::try_from(tag)
            .ok()
            .and_then(|i| self.values.get(i).copied().flatten())
    }
    /// `d_un` of the tag, 0 when absent (what `sgx_sign`'s zeroed table gives).
    fn val(&self, tag: i64) -> u64 {
        self.get(tag).unwrap_or(0)
    }
}

/// Options of `sgx_sign` that relax its checks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ElfOptions {
    /// `-ignore-rel-error`: sign despite text relocations.
    pub ignore_rel_error: bool,
    /// `-ignore-init-sec-error`: sign despite a `.init` section.
    pub ignore_init_sec_error: bool,
}

/// An enclave file that passed `sgx_sign`'s checks.
#[derive(Clone, Copy, Debug)]
pub struct SdkElf<'a> {
    data: &'a [u8],
    phoff: u64,
    phnum: u16,
    shoff: u64,
    shnum: u16,
    shstrndx: u16,
    entry: u64,
    dynamic: DynInfo,
    enclave_entry: u64,
    global_data: u64,
    tls: Option<Segment>,
    metadata_offset: u64,
    metadata_block_size: u32,
    has_init_section: bool,
}

impl<'a> SdkElf<'a> {
    /// Runs `sgx_sign`'s parser checks (`ElfParser::run_parser`), in order: header, machine,
    /// segments, dynamic section, dynamic symbols, relocation types, `.ctors`, metadata note and
    /// segment permissions. `.init` and text relocations are recorded, and refused by
    /// [`SdkElf::check_init_section`] and [`SdkElf::check_text_relocations`].
    pub fn parse(data: &'a [u8]) -> Result<Self, SdkElfError> {
        use SdkElfError as E;
        if (data.len() as u64) < EHDR_LEN {
            return Err(E::Truncated);
        }
        let b = |i: u64| {
            slice(data, i, 1)
                .and_then(|s| s.first().copied())
                .unwrap_or(0)
        };
        if slice(data, 0, 4) != Some(b"\x7fELF".as_slice()) {
            return Err(E::NotElf);
        }
        if b(4) != 2 {
            return Err(E::Not64Bit);
        }
        if b(5) != 1 {
            return Err(E::NotLittleEndian);
        }
        if b(6) != 1 {
            return Err(E::BadIdentVersion);
        }
        let e_type = u16_at(data, 16).ok_or(E::Truncated)?;
        if e_type != 3 {
            return Err(E::NotSharedObject(e_type));
        }
        let phentsize = u16_at(data, 54).ok_or(E::Truncated)?;
        if u64::from(phentsize) != PHDR_LEN {
            return Err(E::BadProgramHeaderSize(phentsize));
        }
        let machine = u16_at(data, 18).ok_or(E::Truncated)?;
        if machine != 62 {
            return Err(E::NotX86_64(machine));
        }
        let entry = u64_at(data, 24).ok_or(E::Truncated)?;
        let phoff = u64_at(data, 32).ok_or(E::Truncated)?;
        let shoff = u64_at(data, 40).ok_or(E::Truncated)?;
        let phnum = u16_at(data, 56).ok_or(E::Truncated)?;
        let shnum = u16_at(data, 60).ok_or(E::Truncated)?;
        let shstrndx = u16_at(data, 62).ok_or(E::Truncated)?;
        if slice(data, phoff, u64::from(phnum) * PHDR_LEN).is_none() {
            return Err(E::ProgramHeadersOutside);
        }
        let mut elf = SdkElf {
            data,
            phoff,
            phnum,
            shoff,
            shnum,
            shstrndx,
            entry,
            dynamic: DynInfo::default(),
            enclave_entry: 0,
            global_data: 0,
            tls: None,
            metadata_offset: 0,
            metadata_block_size: 0,
            has_init_section: false,
        };
        elf.validate_segments()?;
        elf.dynamic = elf.parse_dynamic()?;
        if slice(data, shoff, u64::from(shnum) * SHDR_LEN).is_none() {
            return Err(E::SectionHeadersOutside);
        }
        elf.check_symbols()?;
        elf.validate_relocations()?;
        if elf.section_by_name(b".ctors")?.is_some() {
            return Err(E::CtorsSection);
        }
        elf.read_metadata_note()?;
        elf.read_segments()?;
        elf.has_init_section = elf.section_by_name(b".init")?.is_some();
        Ok(elf)
    }

    /// Refuses a `.init` section or text relocations unless `options` allow them (in
    /// `sgx_sign`, `.init` is refused right after parsing and text relocations after the
    /// metadata is built).
    pub fn check_init_section(&self, options: ElfOptions) -> Result<(), SdkElfError> {
        if self.has_init_section && !options.ignore_init_sec_error {
            return Err(SdkElfError::InitSection);
        }
        Ok(())
    }

    /// See [`SdkElf::check_init_section`].
    pub fn check_text_relocations(&self, options: ElfOptions) -> Result<(), SdkElfError> {
        // `sgx_sign` looks for them even when it is told to ignore them.
        if self.find_text_relocations()? && !options.ignore_rel_error {
            return Err(SdkElfError::TextRelocations);
        }
        Ok(())
    }

    /// The file bytes.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    fn phdr(&self, i: u16) -> Option<Phdr> {
        phdr_at(
            self.data,
            self.phoff
                .checked_add(u64::from(i).checked_mul(PHDR_LEN)?)?,
        )
    }

    fn phdrs(&self) -> impl Iterator<Item = (u16, Phdr)> + '_ {
        (0..self.phnum).filter_map(move |i| self.phdr(i).map(|p| (i, p)))
    }

    /// `validate_segment`: every segment's file bytes inside the file; each `PT_LOAD`
    /// page-aligned and not overlapping an earlier one over `[vaddr, round_up(vaddr + memsz,
    /// align) - 1]`.
    fn validate_segments(&self) -> Result<(), SdkElfError> {
        let span = |p: &Phdr| {
            (
                p.vaddr,
                round_to(p.vaddr.wrapping_add(p.memsz), p.align).wrapping_sub(1),
            )
        };
        for (i, p) in self.phdrs() {
            let end = p.offset.checked_add(p.filesz);
            if end.is_none_or(|e| e > self.data.len() as u64) {
                return Err(SdkElfError::SegmentPastEnd { index: i });
            }
            if p.p_type != PT_LOAD {
                continue;
            }
            if p.align % PAGE != 0 {
                return Err(SdkElfError::SegmentNotPageAligned { index: i });
            }
            let (a0, a1) = span(&p);
            for (j, q) in self.phdrs().take(usize::from(i)) {
                if q.p_type != PT_LOAD {
                    continue;
                }
                let (b0, b1) = span(&q);
                if a0 <= b1 && b0 <= a1 {
                    return Err(SdkElfError::SegmentsOverlap { index: i, other: j });
                }
            }
        }
        Ok(())
    }

    /// `parse_dyn`: the first `PT_DYNAMIC`, read up to its `DT_NULL`.
    fn parse_dynamic(&self) -> Result<DynInfo, SdkElfError> {
        let Some((_, p)) = self.phdrs().find(|(_, p)| p.p_type == PT_DYNAMIC) else {
            return Err(SdkElfError::NoDynamic);
        };
        let mut info = DynInfo::default();
        let mut at = p.offset;
        let mut any = false;
        loop {
            let tag = u64_at(self.data, at).ok_or(SdkElfError::DynamicUnterminated)? as i64;
            if tag == 0 {
                break;
            }
            let val = at
                .checked_add(8)
                .and_then(|v| u64_at(self.data, v))
                .ok_or(SdkElfError::DynamicUnterminated)?;
            if (0..DT_NUM).contains(&tag)
                && let Some(slot) = usize::try_from(tag)
                    .ok()
                    .and_then(|t| info.values.get_mut(t))
            {
                *slot = Some(val);
            }
            any = true;
            at = at
                .checked_add(DYN_LEN)
                .ok_or(SdkElfError::DynamicUnterminated)?;
        }
        if !any {
            return Err(SdkElfError::NoDynamic);
        }
        Ok(info)
    }

    fn shdr(&self, i: u16) -> Option<Shdr> {
        shdr_at(
            self.data,
            self.shoff
                .checked_add(u64::from(i).checked_mul(SHDR_LEN)?)?,
        )
    }

    fn shdrs(&self) -> impl Iterator<Item = Shdr> + '_ {
        (0..self.shnum).filter_map(move |i| self.shdr(i))
    }

    /// The first section whose address is `addr` (`get_section_by_addr`).
    fn section_by_addr(&self, addr: u64) -> Option<Shdr> {
        self.shdrs().find(|s| s.addr == addr)
    }

    /// A NUL-terminated string at `off`, without its NUL.
    fn c_str(&self, off: u64) -> Option<&'a [u8]> {
        let rest = self.data.get(usize::try_from(off).ok()?..)?;
        let n = rest.iter().position(|&b| b == 0)?;
        rest.get(..n)
    }

    /// The first section named `name` (`get_section_by_name`: names read from the section
    /// header string table `e_shstrndx`).
    fn section_by_name(&self, name: &[u8]) -> Result<Option<Shdr>, SdkElfError> {
        if self.shnum == 0 {
            return Ok(None);
        }
        let strtab = self
            .shdr(self.shstrndx)
            .ok_or(SdkElfError::SectionOutside)?
            .offset;
        for s in self.shdrs() {
            let n = self
                .c_str(strtab.wrapping_add(u64::from(s.name)))
                .ok_or(SdkElfError::SectionOutside)?;
            if n == name {
                return Ok(Some(s));
            }
        }
        Ok(None)
    }

    /// `check_symbol_table`: no undefined non-weak dynamic symbol; the values of
    /// `enclave_entry` and `g_global_data` (the last definition of each), `e_entry` standing in
    /// for a missing `enclave_entry`.
    fn check_symbols(&mut self) -> Result<(), SdkElfError> {
        use SdkElfError as E;
        let symtab = self
            .section_by_addr(self.dynamic.val(DT_SYMTAB))
            .ok_or(E::NoDynsym)?;
        // `sgx_sign` counts in 32 bits.
        let count = symtab
            .size
            .checked_div(symtab.entsize)
            .ok_or(E::DynsymEntsizeZero)? as u32;
        let strtab = self
            .section_by_addr(self.dynamic.val(DT_STRTAB))
            .map(|s| s.offset);
        let mut enclave_entry = None;
        for i in 1..count {
            let at = symtab
                .offset
                .checked_add(u64::from(i).wrapping_mul(SYM_LEN)) // below 2^32 * 24
                .ok_or(E::SectionOutside)?;
            let st_name = u32_at(self.data, at).ok_or(E::SectionOutside)?;
            if st_name == 0 {
                continue;
            }
            let field = |k: u64| at.checked_add(k).ok_or(E::SectionOutside);
            let st_info = slice(self.data, field(4)?, 1)
                .and_then(|s| s.first().copied())
                .ok_or(E::SectionOutside)?;
            let st_shndx = u16_at(self.data, field(6)?).ok_or(E::SectionOutside)?;
            let st_value = u64_at(self.data, field(8)?).ok_or(E::SectionOutside)?;
            let name = self
                .c_str(strtab.ok_or(E::NoDynstr)?.wrapping_add(u64::from(st_name)))
                .ok_or(E::SectionOutside)?;
            const STB_WEAK: u8 = 2;
            if st_shndx == 0 && st_info >> 4 != STB_WEAK {
                return Err(E::UndefinedSymbol(i));
            }
            match name {
                b"enclave_entry" => enclave_entry = Some(st_value),
                b"g_global_data" => self.global_data = st_value,
                _ => {}
            }
        }
        self.enclave_entry = enclave_entry.unwrap_or(self.entry);
        Ok(())
    }

    /// `validate_reltabs`: no `DT_REL`; every `DT_RELA` and `DT_JMPREL` entry of an allowed type.
    fn validate_relocations(&self) -> Result<(), SdkElfError> {
        if self.dynamic.val(DT_REL) != 0 {
            return Err(SdkElfError::RelOnX86_64);
        }
        for (addr_tag, size_tag) in [(DT_RELA, DT_RELASZ), (DT_JMPREL, DT_PLTRELSZ)] {
            // The size is read as a 32-bit `Elf64_Word`.
            let count = u64::from(self.dynamic.val(size_tag) as u32).wrapping_div(RELA_LEN);
            let table = self.section_by_addr(self.dynamic.val(addr_tag));
            let Some(table) = table else {
                if count != 0 {
                    return Err(SdkElfError::NoRelocationSection);
                }
                continue;
            };
            for k in 0..count {
                let info = u64_at(
                    self.data,
                    table
                        .offset
                        .wrapping_add(k.wrapping_mul(RELA_LEN).wrapping_add(8)),
                )
                .ok_or(SdkElfError::SectionOutside)?;
                let r_type = info as u32;
                if !ALLOWED_RELOCATIONS.contains(&r_type) {
                    return Err(SdkElfError::UnsupportedRelocation(r_type));
                }
            }
        }
        Ok(())
    }

    /// `get_meta_property`: the `.note.sgxmeta` section holds one note named `sgx_metadata`
    /// whose size matches the section's; the metadata goes at its descriptor.
    fn read_metadata_note(&mut self) -> Result<(), SdkElfError> {
        use SdkElfError as E;
        let s = self
            .section_by_name(b".note.sgxmeta")?
            .ok_or(E::NoMetadataNote)?;
        let namesz = u32_at(self.data, s.offset).ok_or(E::SectionOutside)?;
        let descsz = u32_at(self.data, s.offset.wrapping_add(4)).ok_or(E::SectionOutside)?;
        let expected = round_to(
            // Below 2^34.
            12u64
                .wrapping_add(u64::from(namesz))
                .wrapping_add(u64::from(descsz)),
            s.addralign,
        );
        if s.size != expected {
            return Err(E::MetadataNoteSize);
        }
        const NAME: &[u8] = b"sgx_metadata\0";
        if namesz as usize != NAME.len()
            || slice(self.data, s.offset.wrapping_add(12), NAME.len() as u64) != Some(NAME)
        {
            return Err(E::MetadataNoteName);
        }
        self.metadata_offset = s.offset.wrapping_add(12u64.wrapping_add(u64::from(namesz)));
        self.metadata_block_size = descsz;
        Ok(())
    }

    /// `build_regular_sections`: every `PT_LOAD` and `PT_TLS` needs R, W or X; the last
    /// `PT_TLS` is the TLS template (its size rounded up to its alignment).
    fn read_segments(&mut self) -> Result<(), SdkElfError> {
        let mut tls = None;
        for (i, p) in self.phdrs() {
            if p.p_type != PT_LOAD && p.p_type != PT_TLS {
                continue;
            }
            let si_flags = segment_si_flags(p.flags);
            if si_flags == SI_FLAG_REG {
                return Err(SdkElfError::SegmentWithoutPermissions { index: i });
            }
            if p.p_type == PT_TLS {
                let memsz = if p.align <= 1 {
                    p.memsz
                } else {
                    round_to(p.memsz, p.align)
                };
                tls = Some(Segment {
                    index: i,
                    rva: p.vaddr,
                    file_offset: p.offset,
                    filesz: p.filesz,
                    memsz,
                    si_flags,
                });
            }
        }
        self.tls = tls;
        Ok(())
    }

    /// The `PT_LOAD` segments, in program header order (the order they are measured in).
    pub fn segments(&self) -> impl Iterator<Item = Segment> + '_ {
        self.phdrs()
            .filter(|(_, p)| p.p_type == PT_LOAD)
            .map(|(i, p)| Segment {
                index: i,
                rva: p.vaddr,
                file_offset: p.offset,
                filesz: p.filesz,
                memsz: p.memsz,
                si_flags: segment_si_flags(p.flags),
            })
    }

    /// The file bytes of `seg` (checked at parse time).
    pub fn segment_data(&self, seg: &Segment) -> &'a [u8] {
        slice(self.data, seg.file_offset, seg.filesz).unwrap_or(&[])
    }

    /// The TLS segment, if any.
    pub fn tls(&self) -> Option<Segment> {
        self.tls
    }

    /// Value of `enclave_entry` (or `e_entry` when the symbol is absent); 0 means none.
    pub fn enclave_entry(&self) -> u64 {
        self.enclave_entry
    }

    /// Value of `g_global_data`; 0 means none.
    pub fn global_data_rva(&self) -> u64 {
        self.global_data
    }

    /// File offset of the metadata (the note's descriptor).
    pub fn metadata_offset(&self) -> u64 {
        self.metadata_offset
    }

    /// Size of the note's descriptor.
    pub fn metadata_block_size(&self) -> u32 {
        self.metadata_block_size
    }

    /// The enclave image size `sgx_sign` derives from the segments (`calculate_sections_size`):
    /// the end of the segment with the highest address (the first of equals), rounded up to a page.
    pub fn image_size(&self) -> u64 {
        let mut best: Option<Segment> = None;
        for s in self.segments() {
            if best.is_none_or(|b| s.rva > b.rva) {
                best = Some(s);
            }
        }
        // `sgx_sign` starts from rva 0 and keeps a segment only if its rva is larger, so a
        // single segment at rva 0 does not count.
        match best {
            Some(b) if b.rva > 0 => round_to(b.rva.wrapping_add(b.memsz), PAGE),
            _ => 0,
        }
    }

    /// `get_rawdata_by_rva`: the file offset holding the byte at `rva`, found in the first
    /// `PT_LOAD` whose page-rounded range contains it, if that byte is in its file data (or just
    /// at its end, as `sgx_sign` allows).
    pub fn file_offset_of_rva(&self, rva: u64) -> Option<u64> {
        for s in self.segments() {
            let start = s.rva & !(PAGE - 1);
            let end = round_to(s.rva.wrapping_add(s.memsz), PAGE);
            if start <= rva && rva < end {
                let off = rva.wrapping_sub(s.rva);
                if off > s.filesz {
                    return None;
                }
                return s.file_offset.checked_add(off);
            }
        }
        None
    }

    /// Whether the dynamic section has `DT_TEXTREL` (only then `sgx_sign` makes relocated
    /// pages of read-only segments writable).
    pub fn has_textrel_tag(&self) -> bool {
        self.dynamic.get(DT_TEXTREL).is_some()
    }

    /// Number of pages `sgx_sign`'s relocation bitmap covers (`get_reloc_bitmap`: the end of the
    /// segment with the highest address, the first segment when none is higher, rounded up to
    /// a page and then to 8 pages); relocated pages beyond it are not looked up.
    pub fn relocation_bitmap_pages(&self) -> u64 {
        let mut best: Option<Segment> = None;
        for s in self.segments() {
            if best.is_none_or(|b| s.rva > b.rva) {
                best = Some(s);
            }
        }
        let image = best.map_or(0, |b| b.rva.wrapping_add(b.memsz));
        let pages = image.wrapping_add(PAGE - 1) >> 12;
        pages.wrapping_add(7) & !7
    }

    /// Calls `mark(page_number)` for every page a dynamic relocation writes to
    /// (`get_reloc_bitmap`: `DT_RELA` then `DT_JMPREL` entries other than NONE; a relocation
    /// within 8 bytes of a page end also marks the next page). Nothing unless `DT_TEXTREL`.
    pub fn for_each_relocated_page(&self, mut mark: impl FnMut(u64)) {
        if !self.has_textrel_tag() {
            return;
        }
        let tables = [(DT_JMPREL, DT_PLTRELSZ), (DT_RELA, DT_RELASZ)];
        // `sgx_sign` fills its bitmap from the RELA table first, then JMPREL; the order does
        // not matter for a set of pages.
        for (addr_tag, size_tag) in tables {
            if self.dynamic.get(addr_tag).is_none() {
                continue;
            }
            let Some(table) = self.section_by_addr(self.dynamic.val(addr_tag)) else {
                continue;
            };
            // Entries are read while their start is below `table + size`.
            let count = self.dynamic.val(size_tag).div_ceil(RELA_LEN);
            for k in 0..count {
                let at = table.offset.wrapping_add(k.wrapping_mul(RELA_LEN));
                let (Some(r_offset), Some(info)) =
                    (u64_at(self.data, at), u64_at(self.data, at.wrapping_add(8)))
                else {
                    break;
                };
                if info as u32 == 0 {
                    continue;
                }
                let page = r_offset >> 12;
                mark(page);
                if r_offset & (PAGE - 1) > PAGE - 8 {
                    mark(page.wrapping_add(1));
                }
            }
        }
    }

    /// `dump_textrels`: a relocation section entry whose `r_offset` falls in an executable
    /// section (each executable section's range taken from the first section of its name).
    fn find_text_relocations(&self) -> Result<bool, SdkElfError> {
        if self.shnum == 0 {
            return Ok(false);
        }
        let strtab = self
            .shdr(self.shstrndx)
            .ok_or(SdkElfError::SectionOutside)?
            .offset;
        for x in self.shdrs() {
            if x.flags & SHF_EXECINSTR == 0 {
                continue;
            }
            let name = self
                .c_str(strtab.wrapping_add(u64::from(x.name)))
                .ok_or(SdkElfError::SectionOutside)?;
            let Some(target) = self.section_by_name(name)? else {
                continue;
            };
            let (lo, hi) = (target.addr, target.addr.wrapping_add(target.size));
            for r in self.shdrs() {
                if r.sh_type != SHT_RELA && r.sh_type != SHT_REL {
                    continue;
                }
                let count = r
                    .size
                    .checked_div(r.entsize)
                    .ok_or(SdkElfError::RelocationEntsizeZero)?;
                for k in 0..count {
                    let at = r.offset.wrapping_add(k.wrapping_mul(RELA_LEN));
                    let r_offset = u64_at(self.data, at).ok_or(SdkElfError::SectionOutside)?;
                    if lo <= r_offset && r_offset < hi {
                        return Ok(true);
                    }
                }
            }
        }
        Ok(false)
    }

    /// `e_shoff`, `e_shnum` and `e_shstrndx` file offsets and sizes, which `sgx_sign` zeroes
    /// before measuring (so section headers never change MRENCLAVE).
    pub const HEADER_PATCHES: [(u64, u64); 3] = [(60, 2), (40, 8), (62, 2)];
}
