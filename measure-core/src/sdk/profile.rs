//! What changes between Intel SGX SDK releases of `sgx_sign` (linux-sgx `sdk/sign_tool`), as
//! data: one [`SdkVersion`] per release whose output differs.
//!
//! Every release changes at least the version word that `sgx_sign` requires in the enclave's
//! `g_global_data` (an enclave is signed by the SDK that built it), so each release is its own
//! profile. Between 2.22 and 2.26 the other differences are:
//!
//! | release | metadata size | metadata version (SGX2 / SGX1) | data dirs | ELRANGE entry | `g_global_data` | FIPS parameters |
//! |---|---|---|---|---|---|---|
//! | 2.20, 2.21 | 0x5000 | 3.0 / 1.4 | 2 | directory at the start of `data` | 1760 bytes, `elrange_size` = enclave size | none |
//! | 2.22, 2.23 | 0x5000 | 3.1 / 1.4 | 2 | directory at the start of `data` | 1760 bytes, `elrange_size` = enclave size | none |
//! | 2.24 | 0x6000 | 3.2 / 1.5 | 4 | `dirs[DIR_ELRANGE]` | 1760 bytes, `elrange_size` = enclave size | the `-enable-fips` option |
//! | 2.25 | 0x6000 | 3.2 / 1.5 | 4 | `dirs[DIR_ELRANGE]` | 1768 bytes (`fips_on`), `elrange_size` = 0 | `EnableIPPFIPS` |
//! | 2.26 | 0x6000 | 3.3 / 1.5 | 4 | `dirs[DIR_ELRANGE]` | 1768 bytes (`fips_on`), `elrange_size` = 0 | `EnableIPPFIPS`, `EnableOSSLFIPS` |
//!
//! Before 2.22, the SIGSTRUCT's MISCSELECT is the configuration's `MiscSelect` as given (2.22
//! masks it with `MiscMask`) and the metadata's `desired_misc_select` is 0.
//!
//! Occlum builds its own copy of the SDK (`occlum/linux-sgx`, branch `sgx_2.20_for_occlum`, in
//! its current images). Its `sgx_sign` is 2.20's with two changes: MPX is not a reserved XFRM
//! bit (so the SIGSTRUCT's XFRM mask and the metadata's XFRM differ), and an SGX2-only enclave
//! also gets the SGX1 copy of its metadata. MRENCLAVE is the same as Intel's 2.20 (the version
//! word is too, so an Occlum enclave is detected as 2.20); [`SdkVersion::Occlum2_20`] is needed
//! only for its signed file and `dump`.

use core::fmt;

/// An Intel SGX SDK release of `sgx_sign`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SdkVersion {
    /// SDK 2.20 (`2.20.100.4`, tag `sgx_2.20`).
    V2_20,
    /// SDK 2.21 (`2.21.100.1`, tag `sgx_2.21`).
    V2_21,
    /// Occlum's SDK 2.20 (`occlum/linux-sgx`, branch `sgx_2.20_for_occlum`).
    Occlum2_20,
    /// SDK 2.22 (`2.22.100.3`, tag `sgx_2.22`).
    V2_22,
    /// SDK 2.23 (`2.23.100.2`, tag `sgx_2.23`).
    V2_23,
    /// SDK 2.24 (`2.24.100.3`, tag `sgx_2.24`).
    V2_24,
    /// SDK 2.25 (`2.25.100.3`, tag `sgx_2.25`).
    V2_25,
    /// SDK 2.26 (`2.26.100.0`, tag `sgx_2.26`; linux-sgx's main branch has the same `sgx_sign`).
    V2_26,
}

/// Where the ELRANGE configuration entry's location is recorded in the metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElrangePlacement {
    /// Up to 2.23: an 8-byte `data_directory_t` at the start of `data` points at the entry.
    DataDirectory,
    /// From 2.24: `dirs[DIR_ELRANGE]`.
    DirEntry,
}

impl SdkVersion {
    /// Every supported release, oldest first.
    pub const ALL: &'static [SdkVersion] = &[
        SdkVersion::V2_20,
        SdkVersion::V2_21,
        SdkVersion::Occlum2_20,
        SdkVersion::V2_22,
        SdkVersion::V2_23,
        SdkVersion::V2_24,
        SdkVersion::V2_25,
        SdkVersion::V2_26,
    ];

    /// The newest supported release.
    pub const LATEST: SdkVersion = SdkVersion::V2_26;

    /// `"2.20"` ... `"2.26"`, `"occlum-2.20"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SdkVersion::V2_20 => "2.20",
            SdkVersion::V2_21 => "2.21",
            SdkVersion::Occlum2_20 => "occlum-2.20",
            SdkVersion::V2_22 => "2.22",
            SdkVersion::V2_23 => "2.23",
            SdkVersion::V2_24 => "2.24",
            SdkVersion::V2_25 => "2.25",
            SdkVersion::V2_26 => "2.26",
        }
    }

    /// The full release string (`STRFILEVER`), as in the enclave's `SGX_TSTDC_VERSION_` string.
    pub const fn release(self) -> &'static str {
        match self {
            SdkVersion::V2_20 | SdkVersion::Occlum2_20 => "2.20.100.4",
            SdkVersion::V2_21 => "2.21.100.1",
            SdkVersion::V2_22 => "2.22.100.3",
            SdkVersion::V2_23 => "2.23.100.2",
            SdkVersion::V2_24 => "2.24.100.3",
            SdkVersion::V2_25 => "2.25.100.3",
            SdkVersion::V2_26 => "2.26.100.0",
        }
    }

    /// Parses `"2.22"`, `"sgx_2.22"`, a full release such as `"2.22.100.3"`, or
    /// `"occlum-2.20"`.
    pub fn parse(s: &str) -> Option<SdkVersion> {
        let s = s.strip_prefix("sgx_").unwrap_or(s);
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == s || (v.release() == s && !v.is_occlum()))
    }

    /// Whether this is Occlum's copy of the SDK.
    pub const fn is_occlum(self) -> bool {
        matches!(self, SdkVersion::Occlum2_20)
    }

    /// The release whose [`SdkVersion::version_word`] is `word` (Intel's, for Occlum's 2.20).
    pub fn from_version_word(word: u64) -> Option<SdkVersion> {
        Self::ALL.iter().copied().find(|v| v.version_word() == word)
    }

    /// `VERSION_UINT`: `major << 32 | minor << 16 | revision`. `sgx_sign` refuses an enclave
    /// whose `g_global_data` starts with another value ("SDK version is not correct").
    pub const fn version_word(self) -> u64 {
        let minor: u64 = match self {
            SdkVersion::V2_20 | SdkVersion::Occlum2_20 => 20,
            SdkVersion::V2_21 => 21,
            SdkVersion::V2_22 => 22,
            SdkVersion::V2_23 => 23,
            SdkVersion::V2_24 => 24,
            SdkVersion::V2_25 => 25,
            SdkVersion::V2_26 => 26,
        };
        (2 << 32) | (minor << 16) | 100
    }

    /// `METADATA_SIZE`: the bytes `sgx_sign` writes at the metadata note's descriptor.
    pub const fn metadata_size(self) -> usize {
        match self {
            SdkVersion::V2_20
            | SdkVersion::V2_21
            | SdkVersion::Occlum2_20
            | SdkVersion::V2_22
            | SdkVersion::V2_23 => 0x5000,
            _ => 0x6000,
        }
    }

    /// Number of `data_directory_t` entries in `metadata_t.dirs` (`DIR_NUM`).
    pub const fn dir_count(self) -> usize {
        match self {
            SdkVersion::V2_20
            | SdkVersion::V2_21
            | SdkVersion::Occlum2_20
            | SdkVersion::V2_22
            | SdkVersion::V2_23 => 2,
            _ => 4,
        }
    }

    /// Offset of `metadata_t.data` (the header, SIGSTRUCT and directories come first).
    pub const fn metadata_data_offset(self) -> usize {
        // At most 4 directories.
        super::metadata::DIRS_OFFSET.wrapping_add(8usize.wrapping_mul(self.dir_count()))
    }

    /// The metadata's minor version (`MINOR_VERSION`; major 3, or 13 with an ELRANGE).
    pub const fn metadata_minor(self) -> u32 {
        match self {
            SdkVersion::V2_20 | SdkVersion::V2_21 | SdkVersion::Occlum2_20 => 0,
            SdkVersion::V2_22 | SdkVersion::V2_23 => 1,
            SdkVersion::V2_24 | SdkVersion::V2_25 => 2,
            SdkVersion::V2_26 => 3,
        }
    }

    /// The compatible (SGX1) metadata's minor version (`SGX_1_9_MINOR_VERSION`; major 1, or 11
    /// with an ELRANGE).
    pub const fn compat_metadata_minor(self) -> u32 {
        match self {
            SdkVersion::V2_20
            | SdkVersion::V2_21
            | SdkVersion::Occlum2_20
            | SdkVersion::V2_22
            | SdkVersion::V2_23 => 4,
            _ => 5,
        }
    }

    /// How the ELRANGE entry is found.
    pub const fn elrange_placement(self) -> ElrangePlacement {
        match self {
            SdkVersion::V2_20
            | SdkVersion::V2_21
            | SdkVersion::Occlum2_20
            | SdkVersion::V2_22
            | SdkVersion::V2_23 => ElrangePlacement::DataDirectory,
            _ => ElrangePlacement::DirEntry,
        }
    }

    /// `sizeof(global_data_t)`: the bytes of `g_global_data` that `sgx_sign` overwrites.
    pub const fn global_data_size(self) -> usize {
        match self {
            SdkVersion::V2_20
            | SdkVersion::V2_21
            | SdkVersion::Occlum2_20
            | SdkVersion::V2_22
            | SdkVersion::V2_23
            | SdkVersion::V2_24 => 1760,
            SdkVersion::V2_25 | SdkVersion::V2_26 => 1768,
        }
    }

    /// Whether `global_data_t` ends with `fips_on` (2.25+).
    pub const fn global_data_has_fips_on(self) -> bool {
        matches!(self, SdkVersion::V2_25 | SdkVersion::V2_26)
    }

    /// What `g_global_data.elrange_size` holds when no ELRANGE is configured: the enclave size up
    /// to 2.24, zero from 2.25.
    pub const fn global_data_elrange_size_is_enclave_size(self) -> bool {
        !matches!(self, SdkVersion::V2_25 | SdkVersion::V2_26)
    }

    /// Whether the configuration knows `EnableIPPFIPS` (2.25+).
    pub const fn has_ipp_fips(self) -> bool {
        matches!(self, SdkVersion::V2_25 | SdkVersion::V2_26)
    }

    /// Whether `sgx_sign` has the `-enable-fips` option (2.24 only: 2.25 replaced it with
    /// `EnableIPPFIPS`).
    pub const fn has_enable_fips_option(self) -> bool {
        matches!(self, SdkVersion::V2_24)
    }

    /// Whether the metadata can have an extension table (`dirs[DIR_EXTEND]`, 2.24+).
    pub const fn has_extend_table(self) -> bool {
        matches!(
            self,
            SdkVersion::V2_24 | SdkVersion::V2_25 | SdkVersion::V2_26
        )
    }

    /// Whether SIGSTRUCT.MISCSELECT is `MiscSelect & MiscMask` (2.22+) rather than `MiscSelect`,
    /// and the metadata's `desired_misc_select` is `MiscSelect` (2.22+) rather than 0.
    pub const fn masks_misc_select(self) -> bool {
        !matches!(
            self,
            SdkVersion::V2_20 | SdkVersion::V2_21 | SdkVersion::Occlum2_20
        )
    }

    /// The XFRM bits this `sgx_sign` treats as reserved (Occlum's leaves MPX out).
    pub const fn xfrm_reserved(self) -> u64 {
        use super::css::xfrm;
        if self.is_occlum() {
            !(xfrm::LEGACY | xfrm::AVX | xfrm::AVX512 | xfrm::MPX | xfrm::PKRU | xfrm::AMX)
        } else {
            xfrm::RESERVED
        }
    }

    /// Whether an SGX2-only enclave also gets the SGX1 copy of its metadata (Occlum's).
    pub const fn compat_for_sgx2_only(self) -> bool {
        self.is_occlum()
    }

    /// Whether the configuration knows `EnableOSSLFIPS` (2.26+).
    pub const fn has_ossl_fips(self) -> bool {
        matches!(self, SdkVersion::V2_26)
    }
}

impl fmt::Display for SdkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_words() {
        assert_eq!(SdkVersion::parse("2.22"), Some(SdkVersion::V2_22));
        assert_eq!(SdkVersion::parse("sgx_2.26"), Some(SdkVersion::V2_26));
        assert_eq!(SdkVersion::parse("2.23.100.2"), Some(SdkVersion::V2_23));
        assert_eq!(SdkVersion::parse("2.19"), None);
        assert_eq!(SdkVersion::parse("2.20.100.4"), Some(SdkVersion::V2_20));
        assert_eq!(
            SdkVersion::parse("occlum-2.20"),
            Some(SdkVersion::Occlum2_20)
        );
        assert_eq!(
            SdkVersion::from_version_word(SdkVersion::Occlum2_20.version_word()),
            Some(SdkVersion::V2_20)
        );
        assert_eq!(SdkVersion::V2_22.version_word(), 0x0000_0002_0016_0064);
        for &v in SdkVersion::ALL.iter().filter(|v| !v.is_occlum()) {
            assert_eq!(SdkVersion::from_version_word(v.version_word()), Some(v));
        }
        assert_eq!(SdkVersion::V2_22.metadata_data_offset(), 1888);
        assert_eq!(SdkVersion::V2_26.metadata_data_offset(), 1904);
    }
}
