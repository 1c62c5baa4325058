//! Per-version Gramine constants: the values Gramine's build generates for the SGX PAL
//! (`_graminelibos_offsets` / `_offsets`) and the rules of its Python signer that change between
//! releases.
//!
//! The layout values are the same in every tag from v1.0 to v1.9 (only some constant names
//! changed); `tests/profiles.rs` checks every number here against the constants dumped from each
//! tag's build.

use core::fmt;

/// A released Gramine version whose signer this crate reproduces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
        10 + self as u8
    }

    /// Inverse of [`GramineVersion::code`].
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }

    /// The layout and signer rules of this version.
    pub const fn profile(self) -> &'static Profile {
        match self {
            Self::V1_0 | Self::V1_1 | Self::V1_2 | Self::V1_3 => &PROFILE_V1_0_TO_V1_3,
            Self::V1_4 => &PROFILE_V1_4,
            _ => &PROFILE_V1_5_ON,
        }
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

/// Everything version-dependent that the measurement reads.
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
    /// Manifest key holding the thread count: `sgx.thread_num` up to v1.3, `sgx.max_threads`
    /// from v1.5 (v1.4 reads `max_threads` and falls back to `thread_num`).
    pub thread_key: ThreadKey,
    /// `sgx.enclave_size` when the manifest has none and EDMM is off.
    pub default_enclave_size: &'static str,
    /// `sgx.enclave_size` when the manifest has none and EDMM is on (v1.5+).
    pub default_enclave_size_edmm: &'static str,
    /// `sgx.max_threads` / `sgx.thread_num` when the manifest has none.
    pub default_threads: u64,
    /// Whether the signer reads `sgx.edmm_enable` (v1.4+); older versions always add the heap.
    pub reads_edmm: bool,
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

const TCS: TcsOffsets = TcsOffsets {
    ossa: 0x10,
    nssa: 0x1c,
    oentry: 0x20,
    ogs_base: 0x38,
    ofs_limit: 0x40,
    ogs_limit: 0x44,
};

const TLS: TlsOffsets = TlsOffsets {
    common_self: 0x0,
    stack_protector_canary: 0x8,
    enclave_size: 0x110,
    tcs_offset: 0x118,
    initial_stack_addr: 0x120,
    sig_stack_low: 0x130,
    sig_stack_high: 0x138,
    ssa: 0x148,
    gpr: 0x150,
    manifest_size: 0x1a0,
    heap_min: 0x1a8,
    heap_max: 0x1b0,
};

const COMMON: Profile = Profile {
    page_size: 0x1000,
    ssa_frame_size: 0x4000,
    ssa_frame_num: 2,
    tcs_size: 0x1000,
    stack_size: 0x40000,
    sig_stack_size: 0x10000,
    default_enclave_base: 0,
    mmap_min_addr: 0x10000,
    stack_protector_canary: 0xbadb_adba_dbad,
    gpr_size: 0xb8,
    tcs: TCS,
    tls: TLS,
    base_rule: BaseRule::Fixed,
    thread_key: ThreadKey::MaxThreads,
    default_enclave_size: "256M",
    default_enclave_size_edmm: "1024G",
    default_threads: 4,
    reads_edmm: true,
};

static PROFILE_V1_0_TO_V1_3: Profile = Profile {
    base_rule: BaseRule::SizeUnlessNonPie,
    thread_key: ThreadKey::ThreadNum,
    default_enclave_size_edmm: "256M",
    reads_edmm: false,
    ..COMMON
};

static PROFILE_V1_4: Profile = Profile {
    base_rule: BaseRule::SizeUnlessNonPie,
    thread_key: ThreadKey::MaxThreadsOrThreadNum,
    default_enclave_size_edmm: "256M",
    ..COMMON
};

static PROFILE_V1_5_ON: Profile = COMMON;

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
