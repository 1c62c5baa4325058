//! Gramine versions and the shape of their layout constants (the values Gramine's build generates
//! for the SGX PAL, `_graminelibos_offsets` / `_offsets`). The values themselves, with every
//! other rule that changes between releases, are rows of [`crate::rules`].

use core::fmt;

/// A released Gramine version whose signer this crate reproduces.
///
/// Versions are deliberately not ordered: what differs between them is asked of their row of
/// [`crate::rules`], never decided by comparing versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum GramineVersion {
    V1_0,
    V1_1,
    V1_2,
    V1_3,
    V1_4,
    V1_5,
    V1_6,
    V1_7,
    V1_8,
    V1_9,
}

impl GramineVersion {
    /// Every supported version, oldest first.
    pub const ALL: [GramineVersion; 10] = [
        Self::V1_0,
        Self::V1_1,
        Self::V1_2,
        Self::V1_3,
        Self::V1_4,
        Self::V1_5,
        Self::V1_6,
        Self::V1_7,
        Self::V1_8,
        Self::V1_9,
    ];

    /// The newest supported version, the default everywhere.
    pub const LATEST: GramineVersion = Self::V1_9;

    /// `"1.9"` for v1.9.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V1_0 => "1.0",
            Self::V1_1 => "1.1",
            Self::V1_2 => "1.2",
            Self::V1_3 => "1.3",
            Self::V1_4 => "1.4",
            Self::V1_5 => "1.5",
            Self::V1_6 => "1.6",
            Self::V1_7 => "1.7",
            Self::V1_8 => "1.8",
            Self::V1_9 => "1.9",
        }
    }

    /// Parses `"1.9"` or `"v1.9"`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.strip_prefix('v').unwrap_or(s);
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Stable numeric code (used in bundles): 10 for v1.0 ... 19 for v1.9.
    pub const fn code(self) -> u8 {
        // Discriminants are 0 to 9.
        10u8.wrapping_add(self as u8)
    }

    /// Inverse of [`GramineVersion::code`].
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }

    /// The layout constants of this version (its [rules](crate::rules) row's `layout`).
    pub const fn profile(self) -> &'static Profile {
        &self.rules().layout
    }
}

impl fmt::Display for GramineVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.as_str())
    }
}

/// SECINFO flags of EADD (Gramine's `PAGEINFO_*`).
pub mod secinfo {
    /// Readable.
    pub const R: u64 = 0x1;
    /// Writable.
    pub const W: u64 = 0x2;
    /// Executable.
    pub const X: u64 = 0x4;
    /// Page type TCS.
    pub const TCS: u64 = 0x100;
    /// Page type REG.
    pub const REG: u64 = 0x200;
}

/// Where the enclave starts in the address space Gramine measures in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BaseRule {
    /// v1.0 to v1.4: the enclave spans `[enclave_size, 2 * enclave_size)` and the heap starts at
    /// its base, unless `sgx.nonpie_binary = true`, which gives the fixed base
    /// (`DEFAULT_ENCLAVE_BASE`) and the heap from `MMAP_MIN_ADDR`.
    SizeUnlessNonPie,
    /// v1.5 and later: always `DEFAULT_ENCLAVE_BASE` (0), heap from `MMAP_MIN_ADDR`.
    Fixed,
}

/// Field offsets inside each thread's TCS page (Intel SDM TCS layout; Gramine's `TCS_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct TcsOffsets {
    pub ossa: usize,
    pub nssa: usize,
    pub oentry: usize,
    pub ogs_base: usize,
    pub ofs_limit: usize,
    pub ogs_limit: usize,
}

/// Field offsets inside each thread's TLS page (Gramine's `struct enclave_tls`, `SGX_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct TlsOffsets {
    pub common_self: usize,
    pub stack_protector_canary: usize,
    pub enclave_size: usize,
    pub tcs_offset: usize,
    pub initial_stack_addr: usize,
    pub sig_stack_low: usize,
    pub sig_stack_high: usize,
    pub ssa: usize,
    pub gpr: usize,
    pub manifest_size: usize,
    pub heap_min: usize,
    pub heap_max: usize,
}

/// The layout constants the measurement reads (one per version, in [`crate::rules`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    /// `PAGESIZE`.
    pub page_size: u64,
    /// `SSA_FRAME_SIZE` (bytes).
    pub ssa_frame_size: u64,
    /// `SSA_FRAME_NUM`.
    pub ssa_frame_num: u64,
    /// `TCS_SIZE`.
    pub tcs_size: u64,
    /// `ENCLAVE_STACK_SIZE`.
    pub stack_size: u64,
    /// `ENCLAVE_SIG_STACK_SIZE`.
    pub sig_stack_size: u64,
    /// `DEFAULT_ENCLAVE_BASE`.
    pub default_enclave_base: u64,
    /// `MMAP_MIN_ADDR`.
    pub mmap_min_addr: u64,
    /// `STACK_PROTECTOR_CANARY_DEFAULT`.
    pub stack_protector_canary: u64,
    /// `SGX_GPR_SIZE`.
    pub gpr_size: u64,
    /// TCS page fields.
    pub tcs: TcsOffsets,
    /// TLS page fields.
    pub tls: TlsOffsets,
    /// Base-address rule.
    pub base_rule: BaseRule,
}

/// Which manifest key holds the number of enclave threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadKey {
    /// `sgx.thread_num` (v1.0 to v1.3).
    ThreadNum,
    /// `sgx.max_threads`, else `sgx.thread_num` (v1.4).
    MaxThreadsOrThreadNum,
    /// `sgx.max_threads` (v1.5+).
    MaxThreads,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_names_round_trip() {
        for v in GramineVersion::ALL {
            assert_eq!(GramineVersion::parse(v.as_str()), Some(v));
            assert_eq!(GramineVersion::parse(&std::format!("{v}")), Some(v));
            assert_eq!(GramineVersion::from_code(v.code()), Some(v));
        }
        assert_eq!(GramineVersion::parse("1.10"), None);
        assert_eq!(GramineVersion::parse("2.0"), None);
    }
}
