//! ELF64 reading of exactly what Gramine's signer takes from `libpal.so`: `e_entry` and the
//! `PT_LOAD` program headers (offset, vaddr, filesz, memsz, flags), in file order.
//!
//! Everything is read from a byte slice with explicit little-endian loads (no casts, no alignment
//! assumptions). Every offset and size is checked when the file is parsed, so iterating over the
//! segments afterwards cannot fail.

use core::fmt;

/// `PT_LOAD`.
const PT_LOAD: u32 = 1;
/// Size of an ELF64 file header.
const EHDR_LEN: usize = 64;
/// Size of an ELF64 program header.
const PHDR_LEN: usize = 56;
/// `e_phnum` value meaning "the real count is in section header 0" (not used by shared objects).
const PN_XNUM: u16 = 0xffff;

/// Why an ELF file was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ElfError {
    /// Shorter than the 64-byte ELF64 header.
    Truncated,
    /// Does not start with `\x7fELF`.
    NotElf,
    /// `EI_CLASS` is ELFCLASS32 (or unknown).
    Not64Bit,
    /// `EI_DATA` is big-endian (or unknown).
    NotLittleEndian,
    /// `e_phentsize` is not 56.
    BadProgramHeaderSize(u16),
    /// `e_phnum` is `PN_XNUM`: the count lives in a section header, which Gramine never needs.
    ExtendedProgramHeaderCount,
    /// The program header table extends past the end of the file.
    ProgramHeadersPastEnd,
    /// No `PT_LOAD` segment.
    NoLoadSegments,
    /// `PT_LOAD` number `index` (counting program headers from 0) has file bytes past the end of
    /// the file.
    SegmentPastEnd {
        /// Program header index.
        index: u16,
    },
    /// `PT_LOAD` number `index` has `p_filesz > p_memsz`.
    FileSizeExceedsMemSize {
        /// Program header index.
        index: u16,
    },
    /// `PT_LOAD` number `index` ends past the end of the 64-bit address space.
    AddressOverflow {
        /// Program header index.
        index: u16,
    },
}

impl core::error::Error for ElfError {}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElfError::Truncated => f.write_str("file is too short to be an ELF64 file"),
            ElfError::NotElf => f.write_str("not an ELF file (bad magic)"),
            ElfError::Not64Bit => f.write_str("not a 64-bit ELF file (libpal.so must be ELF64)"),
            ElfError::NotLittleEndian => f.write_str("not a little-endian ELF file"),
            ElfError::BadProgramHeaderSize(n) => {
                write!(f, "program header entry size is {n}, expected 56")
            }
            ElfError::ExtendedProgramHeaderCount => {
                f.write_str("extended program header count (PN_XNUM) is not supported")
            }
            ElfError::ProgramHeadersPastEnd => {
                f.write_str("program header table extends past the end of the file")
            }
            ElfError::NoLoadSegments => f.write_str("no PT_LOAD segment"),
            ElfError::SegmentPastEnd { index } => {
                write!(
                    f,
                    "PT_LOAD segment (program header {index}) extends past the end of the file"
                )
            }
            ElfError::FileSizeExceedsMemSize { index } => {
                write!(
                    f,
                    "PT_LOAD segment (program header {index}) has p_filesz > p_memsz"
                )
            }
            ElfError::AddressOverflow { index } => write!(
                f,
                "PT_LOAD segment (program header {index}) ends past the 64-bit address space"
            ),
        }
    }
}

fn u16_at(data: &[u8], off: usize) -> Option<u16> {
    let b = data.get(off..off.checked_add(2)?)?;
    Some(u16::from_le_bytes(b.try_into().ok()?))
}

fn u32_at(data: &[u8], off: usize) -> Option<u32> {
    let b: [u8; 4] = data.get(off..off.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}

fn u64_at(data: &[u8], off: usize) -> Option<u64> {
    let b: [u8; 8] = data.get(off..off.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(b))
}

/// One `PT_LOAD` program header and its file bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadSegment<'a> {
    /// `p_offset`.
    pub offset: u64,
    /// `p_vaddr`.
    pub vaddr: u64,
    /// `p_filesz`.
    pub filesz: u64,
    /// `p_memsz`.
    pub memsz: u64,
    /// `p_flags` (`PF_X` = 1, `PF_W` = 2, `PF_R` = 4).
    pub flags: u32,
    /// The file bytes `[p_offset, p_offset + p_filesz)`.
    pub data: &'a [u8],
}

/// A parsed and validated ELF64 file.
#[derive(Clone, Copy, Debug)]
pub struct Elf<'a> {
    data: &'a [u8],
    entry: u64,
    phoff: usize,
    phnum: u16,
}

impl<'a> Elf<'a> {
    /// Parses and validates the header and every `PT_LOAD`.
    pub fn parse(data: &'a [u8]) -> Result<Self, ElfError> {
        let ident =
            data.get(..EHDR_LEN)
                .ok_or(if data.starts_with(b"\x7fELF") || data.len() < 4 {
                    ElfError::Truncated
                } else {
                    ElfError::NotElf
                })?;
        if ident.get(..4) != Some(b"\x7fELF".as_slice()) {
            return Err(ElfError::NotElf);
        }
        if ident.get(4) != Some(&2) {
            return Err(ElfError::Not64Bit);
        }
        if ident.get(5) != Some(&1) {
            return Err(ElfError::NotLittleEndian);
        }
        let entry = u64_at(data, 24).ok_or(ElfError::Truncated)?;
        let phoff = u64_at(data, 32).ok_or(ElfError::Truncated)?;
        let phentsize = u16_at(data, 54).ok_or(ElfError::Truncated)?;
        let phnum = u16_at(data, 56).ok_or(ElfError::Truncated)?;
        if phnum == PN_XNUM {
            return Err(ElfError::ExtendedProgramHeaderCount);
        }
        if phnum > 0 && usize::from(phentsize) != PHDR_LEN {
            return Err(ElfError::BadProgramHeaderSize(phentsize));
        }
        let phoff = usize::try_from(phoff).map_err(|_| ElfError::ProgramHeadersPastEnd)?;
        let table_end = usize::from(phnum)
            .checked_mul(PHDR_LEN)
            .and_then(|n| n.checked_add(phoff))
            .ok_or(ElfError::ProgramHeadersPastEnd)?;
        if table_end > data.len() {
            return Err(ElfError::ProgramHeadersPastEnd);
        }
        let elf = Elf {
            data,
            entry,
            phoff,
            phnum,
        };
        let mut any_load = false;
        for index in 0..phnum {
            any_load |= elf.load_segment_at(index)?.is_some();
        }
        if !any_load {
            return Err(ElfError::NoLoadSegments);
        }
        Ok(elf)
    }

    /// Reads program header `index`; `Ok(None)` if it is not a `PT_LOAD`.
    fn load_segment_at(&self, index: u16) -> Result<Option<LoadSegment<'a>>, ElfError> {
        let past_end = ElfError::ProgramHeadersPastEnd;
        let base = usize::from(index)
            .checked_mul(PHDR_LEN)
            .and_then(|n| n.checked_add(self.phoff))
            .ok_or(past_end)?;
        let field32 = |o: usize| {
            base.checked_add(o)
                .and_then(|at| u32_at(self.data, at))
                .ok_or(past_end)
        };
        let field64 = |o: usize| {
            base.checked_add(o)
                .and_then(|at| u64_at(self.data, at))
                .ok_or(past_end)
        };
        if field32(0)? != PT_LOAD {
            return Ok(None);
        }
        let flags = field32(4)?;
        let offset = field64(8)?;
        let vaddr = field64(16)?;
        let filesz = field64(32)?;
        let memsz = field64(40)?;
        if filesz > memsz {
            return Err(ElfError::FileSizeExceedsMemSize { index });
        }
        // The segment's pages end at roundup(vaddr + memsz), which must stay representable.
        vaddr
            .checked_add(memsz)
            .and_then(|end| end.checked_add(0xfff))
            .ok_or(ElfError::AddressOverflow { index })?;
        let start = usize::try_from(offset).map_err(|_| ElfError::SegmentPastEnd { index })?;
        let len = usize::try_from(filesz).map_err(|_| ElfError::SegmentPastEnd { index })?;
        let data = start
            .checked_add(len)
            .and_then(|end| self.data.get(start..end))
            .ok_or(ElfError::SegmentPastEnd { index })?;
        Ok(Some(LoadSegment {
            offset,
            vaddr,
            filesz,
            memsz,
            flags,
            data,
        }))
    }

    /// `e_entry`.
    pub fn entry(&self) -> u64 {
        self.entry
    }

    /// The `PT_LOAD` segments in program header order.
    pub fn load_segments(&self) -> impl Iterator<Item = LoadSegment<'a>> + '_ {
        // Every PT_LOAD was validated by `parse`, so errors cannot occur here.
        (0..self.phnum).filter_map(move |i| self.load_segment_at(i).ok().flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// A minimal ELF64 with the given program headers `(type, flags, offset, vaddr, filesz, memsz)`.
    pub(crate) fn build(
        entry: u64,
        phdrs: &[(u32, u32, u64, u64, u64, u64)],
        len: usize,
    ) -> Vec<u8> {
        let mut f = std::vec![0u8; len.max(64 + 56 * phdrs.len())];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 2;
        f[5] = 1;
        f[6] = 1;
        f[24..32].copy_from_slice(&entry.to_le_bytes());
        f[32..40].copy_from_slice(&64u64.to_le_bytes());
        f[54..56].copy_from_slice(&56u16.to_le_bytes());
        f[56..58].copy_from_slice(&(phdrs.len() as u16).to_le_bytes());
        for (i, &(t, fl, off, va, fs, ms)) in phdrs.iter().enumerate() {
            let b = 64 + 56 * i;
            f[b..b + 4].copy_from_slice(&t.to_le_bytes());
            f[b + 4..b + 8].copy_from_slice(&fl.to_le_bytes());
            f[b + 8..b + 16].copy_from_slice(&off.to_le_bytes());
            f[b + 16..b + 24].copy_from_slice(&va.to_le_bytes());
            f[b + 32..b + 40].copy_from_slice(&fs.to_le_bytes());
            f[b + 40..b + 48].copy_from_slice(&ms.to_le_bytes());
        }
        f
    }

    #[test]
    fn reads_segments() {
        let f = build(
            0x1234,
            &[
                (6, 4, 0, 0, 0, 0),
                (1, 5, 0, 0, 0x100, 0x100),
                (1, 6, 0x100, 0x1100, 0x10, 0x2000),
            ],
            0x200,
        );
        let elf = Elf::parse(&f).unwrap();
        assert_eq!(elf.entry(), 0x1234);
        let segs: Vec<_> = elf.load_segments().collect();
        assert_eq!(segs.len(), 2);
        assert_eq!(segs[1].vaddr, 0x1100);
        assert_eq!(segs[1].data.len(), 0x10);
    }

    #[test]
    fn rejects_bad_files() {
        assert_eq!(Elf::parse(b"").unwrap_err(), ElfError::Truncated);
        assert_eq!(
            Elf::parse(b"\x7fELF\x02\x01").unwrap_err(),
            ElfError::Truncated
        );
        assert_eq!(Elf::parse(&[0u8; 100]).unwrap_err(), ElfError::NotElf);
        let mut f = build(0, &[(1, 5, 0, 0, 0x10, 0x10)], 0x100);
        f[4] = 1;
        assert_eq!(Elf::parse(&f).unwrap_err(), ElfError::Not64Bit);
        f[4] = 2;
        f[5] = 2;
        assert_eq!(Elf::parse(&f).unwrap_err(), ElfError::NotLittleEndian);
        let f = build(0, &[(1, 5, 0x80, 0, 0x100, 0x100)], 0x100);
        assert_eq!(
            Elf::parse(&f).unwrap_err(),
            ElfError::SegmentPastEnd { index: 0 }
        );
        let f = build(0, &[(1, 5, 0, 0, 0x20, 0x10)], 0x100);
        assert_eq!(
            Elf::parse(&f).unwrap_err(),
            ElfError::FileSizeExceedsMemSize { index: 0 }
        );
        let f = build(0, &[(1, 5, 0, u64::MAX - 0x10, 0, 0x8)], 0x100);
        assert_eq!(
            Elf::parse(&f).unwrap_err(),
            ElfError::AddressOverflow { index: 0 }
        );
        let f = build(0, &[(6, 5, 0, 0, 0, 0)], 0x100);
        assert_eq!(Elf::parse(&f).unwrap_err(), ElfError::NoLoadSegments);
        let f = build(0, &[(1, 5, u64::MAX, 0, 2, 2)], 0x100);
        assert_eq!(
            Elf::parse(&f).unwrap_err(),
            ElfError::SegmentPastEnd { index: 0 }
        );
        let mut f = build(0, &[(1, 5, 0, 0, 2, 2)], 0x100);
        f[56..58].copy_from_slice(&100u16.to_le_bytes());
        assert_eq!(Elf::parse(&f).unwrap_err(), ElfError::ProgramHeadersPastEnd);
    }
}
