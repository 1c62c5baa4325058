//! Intel SGX SDK enclaves: the MRENCLAVE `sgx_sign` (2.20 to 2.26) computes for an enclave
//! shared object and a configuration given as a struct (the values of `Enclave.config.xml`).

use core::slice;

use measure_core::sdk::{
    ConfigError, ElfOptions, LayoutError, MetadataError, Param, SdkConfig, SdkElf, SdkElfError,
    SdkEnclave, SdkError, SdkVersion, SignOptions, detect_version,
};

use crate::status::*;

/// `sgxm_sdk_mrenclave` flag: `-ignore-rel-error`.
pub const SGXM_SDK_IGNORE_REL_ERROR: u32 = 1;
/// `sgxm_sdk_mrenclave` flag: `-ignore-init-sec-error`.
pub const SGXM_SDK_IGNORE_INIT_SEC_ERROR: u32 = 2;
/// `sgxm_sdk_mrenclave` flag: `-resign` (accept an enclave that is signed already).
pub const SGXM_SDK_RESIGN: u32 = 4;
/// `sgxm_sdk_mrenclave` flag: SDK 2.24's `-enable-fips`.
pub const SGXM_SDK_ENABLE_FIPS: u32 = 8;

/// The values of an `Enclave.config.xml`, one field per element, in `sgx_sign`'s table order.
/// A value counts only if its bit (`1 << field index`, the `SGXM_SDK_PARAM_*` constants) is
/// set in `present`; absent parameters take `sgx_sign`'s defaults. Presence matters: for
/// example `heap_init_size` absent means "the maximum", and `elrange_size` must be present
/// when `enclave_image_address` is. Start from `sgxm_sdk_config_init`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct sgxm_sdk_config {
    /// Bit `i` set: field `i` below is given.
    pub present: u64,
    /// `ProdID`.
    pub prod_id: u64,
    /// `ISVSVN`.
    pub isv_svn: u64,
    /// `ReleaseType`.
    pub release_type: u64,
    /// `IntelSigned`.
    pub intel_signed: u64,
    /// `ProvisionKey`.
    pub provision_key: u64,
    /// `LaunchKey`.
    pub launch_key: u64,
    /// `DisableDebug`.
    pub disable_debug: u64,
    /// `HW`.
    pub hw: u64,
    /// `TCSNum`.
    pub tcs_num: u64,
    /// `TCSMaxNum`.
    pub tcs_max_num: u64,
    /// `TCSMinPool`.
    pub tcs_min_pool: u64,
    /// `TCSPolicy`.
    pub tcs_policy: u64,
    /// `StackMaxSize`.
    pub stack_max_size: u64,
    /// `StackMinSize`.
    pub stack_min_size: u64,
    /// `HeapMaxSize`.
    pub heap_max_size: u64,
    /// `HeapMinSize`.
    pub heap_min_size: u64,
    /// `HeapInitSize`.
    pub heap_init_size: u64,
    /// `ReservedMemMaxSize`.
    pub reserved_mem_max_size: u64,
    /// `ReservedMemMinSize`.
    pub reserved_mem_min_size: u64,
    /// `ReservedMemInitSize`.
    pub reserved_mem_init_size: u64,
    /// `ReservedMemExecutable`.
    pub reserved_mem_executable: u64,
    /// `MiscSelect`.
    pub misc_select: u64,
    /// `MiscMask`.
    pub misc_mask: u64,
    /// `EnableKSS`.
    pub enable_kss: u64,
    /// `ISVFAMILYID_H`.
    pub isv_family_id_h: u64,
    /// `ISVFAMILYID_L`.
    pub isv_family_id_l: u64,
    /// `ISVEXTPRODID_H`.
    pub isv_ext_prod_id_h: u64,
    /// `ISVEXTPRODID_L`.
    pub isv_ext_prod_id_l: u64,
    /// `EnclaveImageAddress`.
    pub enclave_image_address: u64,
    /// `ELRangeStartAddress`.
    pub elrange_start_address: u64,
    /// `ELRangeSize`.
    pub elrange_size: u64,
    /// `PKRU`.
    pub pkru: u64,
    /// `AMX`.
    pub amx: u64,
    /// `UserRegionSize`.
    pub user_region_size: u64,
    /// `EnableAEXNotify`.
    pub enable_aex_notify: u64,
    /// `EnableIPPFIPS` (2.25+).
    pub enable_ipp_fips: u64,
    /// `EnableOSSLFIPS` (2.26; not supported: refused).
    pub enable_ossl_fips: u64,
}

/// `present` bit of `ProdID`.
pub const SGXM_SDK_PARAM_PROD_ID: u64 = 0x1;
/// `present` bit of `ISVSVN`.
pub const SGXM_SDK_PARAM_ISV_SVN: u64 = 0x2;
/// `present` bit of `ReleaseType`.
pub const SGXM_SDK_PARAM_RELEASE_TYPE: u64 = 0x4;
/// `present` bit of `IntelSigned`.
pub const SGXM_SDK_PARAM_INTEL_SIGNED: u64 = 0x8;
/// `present` bit of `ProvisionKey`.
pub const SGXM_SDK_PARAM_PROVISION_KEY: u64 = 0x10;
/// `present` bit of `LaunchKey`.
pub const SGXM_SDK_PARAM_LAUNCH_KEY: u64 = 0x20;
/// `present` bit of `DisableDebug`.
pub const SGXM_SDK_PARAM_DISABLE_DEBUG: u64 = 0x40;
/// `present` bit of `HW`.
pub const SGXM_SDK_PARAM_HW: u64 = 0x80;
/// `present` bit of `TCSNum`.
pub const SGXM_SDK_PARAM_TCS_NUM: u64 = 0x100;
/// `present` bit of `TCSMaxNum`.
pub const SGXM_SDK_PARAM_TCS_MAX_NUM: u64 = 0x200;
/// `present` bit of `TCSMinPool`.
pub const SGXM_SDK_PARAM_TCS_MIN_POOL: u64 = 0x400;
/// `present` bit of `TCSPolicy`.
pub const SGXM_SDK_PARAM_TCS_POLICY: u64 = 0x800;
/// `present` bit of `StackMaxSize`.
pub const SGXM_SDK_PARAM_STACK_MAX_SIZE: u64 = 0x1000;
/// `present` bit of `StackMinSize`.
pub const SGXM_SDK_PARAM_STACK_MIN_SIZE: u64 = 0x2000;
/// `present` bit of `HeapMaxSize`.
pub const SGXM_SDK_PARAM_HEAP_MAX_SIZE: u64 = 0x4000;
/// `present` bit of `HeapMinSize`.
pub const SGXM_SDK_PARAM_HEAP_MIN_SIZE: u64 = 0x8000;
/// `present` bit of `HeapInitSize`.
pub const SGXM_SDK_PARAM_HEAP_INIT_SIZE: u64 = 0x10000;
/// `present` bit of `ReservedMemMaxSize`.
pub const SGXM_SDK_PARAM_RESERVED_MEM_MAX_SIZE: u64 = 0x20000;
/// `present` bit of `ReservedMemMinSize`.
pub const SGXM_SDK_PARAM_RESERVED_MEM_MIN_SIZE: u64 = 0x40000;
/// `present` bit of `ReservedMemInitSize`.
pub const SGXM_SDK_PARAM_RESERVED_MEM_INIT_SIZE: u64 = 0x80000;
/// `present` bit of `ReservedMemExecutable`.
pub const SGXM_SDK_PARAM_RESERVED_MEM_EXECUTABLE: u64 = 0x100000;
/// `present` bit of `MiscSelect`.
pub const SGXM_SDK_PARAM_MISC_SELECT: u64 = 0x200000;
/// `present` bit of `MiscMask`.
pub const SGXM_SDK_PARAM_MISC_MASK: u64 = 0x400000;
/// `present` bit of `EnableKSS`.
pub const SGXM_SDK_PARAM_ENABLE_KSS: u64 = 0x800000;
/// `present` bit of `ISVFAMILYID_H`.
pub const SGXM_SDK_PARAM_ISV_FAMILY_ID_H: u64 = 0x1000000;
/// `present` bit of `ISVFAMILYID_L`.
pub const SGXM_SDK_PARAM_ISV_FAMILY_ID_L: u64 = 0x2000000;
/// `present` bit of `ISVEXTPRODID_H`.
pub const SGXM_SDK_PARAM_ISV_EXT_PROD_ID_H: u64 = 0x4000000;
/// `present` bit of `ISVEXTPRODID_L`.
pub const SGXM_SDK_PARAM_ISV_EXT_PROD_ID_L: u64 = 0x8000000;
/// `present` bit of `EnclaveImageAddress`.
pub const SGXM_SDK_PARAM_ENCLAVE_IMAGE_ADDRESS: u64 = 0x10000000;
/// `present` bit of `ELRangeStartAddress`.
pub const SGXM_SDK_PARAM_ELRANGE_START_ADDRESS: u64 = 0x20000000;
/// `present` bit of `ELRangeSize`.
pub const SGXM_SDK_PARAM_ELRANGE_SIZE: u64 = 0x40000000;
/// `present` bit of `PKRU`.
pub const SGXM_SDK_PARAM_PKRU: u64 = 0x80000000;
/// `present` bit of `AMX`.
pub const SGXM_SDK_PARAM_AMX: u64 = 0x100000000;
/// `present` bit of `UserRegionSize`.
pub const SGXM_SDK_PARAM_USER_REGION_SIZE: u64 = 0x200000000;
/// `present` bit of `EnableAEXNotify`.
pub const SGXM_SDK_PARAM_ENABLE_AEX_NOTIFY: u64 = 0x400000000;
/// `present` bit of `EnableIPPFIPS`.
pub const SGXM_SDK_PARAM_ENABLE_IPP_FIPS: u64 = 0x800000000;
/// `present` bit of `EnableOSSLFIPS`.
pub const SGXM_SDK_PARAM_ENABLE_OSSL_FIPS: u64 = 0x1000000000;

impl sgxm_sdk_config {
    fn values(&self) -> [u64; 37] {
        [
            self.prod_id,
            self.isv_svn,
            self.release_type,
            self.intel_signed,
            self.provision_key,
            self.launch_key,
            self.disable_debug,
            self.hw,
            self.tcs_num,
            self.tcs_max_num,
            self.tcs_min_pool,
            self.tcs_policy,
            self.stack_max_size,
            self.stack_min_size,
            self.heap_max_size,
            self.heap_min_size,
            self.heap_init_size,
            self.reserved_mem_max_size,
            self.reserved_mem_min_size,
            self.reserved_mem_init_size,
            self.reserved_mem_executable,
            self.misc_select,
            self.misc_mask,
            self.enable_kss,
            self.isv_family_id_h,
            self.isv_family_id_l,
            self.isv_ext_prod_id_h,
            self.isv_ext_prod_id_l,
            self.enclave_image_address,
            self.elrange_start_address,
            self.elrange_size,
            self.pkru,
            self.amx,
            self.user_region_size,
            self.enable_aex_notify,
            self.enable_ipp_fips,
            self.enable_ossl_fips,
        ]
    }

    /// The configuration as `sgx_sign` of `version` would read it from XML.
    fn to_config(self, version: SdkVersion) -> Result<SdkConfig, u32> {
        let values = self.values();
        if self.present >> values.len() != 0 {
            return Err(SGXM_ERR_SDK_CONFIG_UNKNOWN_PARAMETER);
        }
        let mut c = SdkConfig::new();
        for (i, (&p, &v)) in Param::ALL.iter().zip(values.iter()).enumerate() {
            if self.present & (1 << i) == 0 {
                continue;
            }
            if !p.known_by(version) {
                return Err(SGXM_ERR_SDK_CONFIG_UNKNOWN_PARAMETER);
            }
            c.set(p, v).map_err(|_| SGXM_ERR_SDK_CONFIG_OUT_OF_RANGE)?;
        }
        Ok(c)
    }
}

/// Sets every field of `config` to zero and `present` to 0 (all of `sgx_sign`'s defaults).
///
/// # Safety
/// `config` must be NULL or valid for writes of an `sgxm_sdk_config`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sgxm_sdk_config_init(config: *mut sgxm_sdk_config) -> u32 {
    if config.is_null() {
        return SGXM_ERR_NULL_ARGUMENT;
    }
    // SAFETY: non-NULL and writable per the contract.
    unsafe { config.write(sgxm_sdk_config::default()) };
    SGXM_OK
}

fn version_arg(v: u32) -> Result<Option<SdkVersion>, u32> {
    match v {
        0 => Ok(None),
        220 => Ok(Some(SdkVersion::V2_20)),
        221 => Ok(Some(SdkVersion::V2_21)),
        222 => Ok(Some(SdkVersion::V2_22)),
        223 => Ok(Some(SdkVersion::V2_23)),
        224 => Ok(Some(SdkVersion::V2_24)),
        225 => Ok(Some(SdkVersion::V2_25)),
        226 => Ok(Some(SdkVersion::V2_26)),
        _ => Err(SGXM_ERR_SDK_BAD_ARGUMENT),
    }
}

fn version_number(v: SdkVersion) -> u32 {
    match v {
        // Occlum's 2.20 measures as Intel's.
        SdkVersion::V2_20 | SdkVersion::Occlum2_20 => 220,
        SdkVersion::V2_21 => 221,
        SdkVersion::V2_22 => 222,
        SdkVersion::V2_23 => 223,
        SdkVersion::V2_24 => 224,
        SdkVersion::V2_25 => 225,
        SdkVersion::V2_26 => 226,
    }
}

/// The status code of an SDK error. Exhaustive on purpose: a new variant in `measure-core`
/// fails to compile here until it has a status.
fn sdk_status(e: &SdkError) -> u32 {
    use SdkElfError as El;
    match e {
        SdkError::Elf(El::InitSection) => SGXM_ERR_SDK_INIT_SECTION,
        SdkError::Elf(El::TextRelocations) => SGXM_ERR_SDK_TEXT_RELOCATIONS,
        SdkError::Elf(
            El::Truncated
            | El::NotElf
            | El::Not64Bit
            | El::NotLittleEndian
            | El::BadIdentVersion
            | El::NotSharedObject(_)
            | El::BadProgramHeaderSize(_)
            | El::NotX86_64(_)
            | El::ProgramHeadersOutside
            | El::SegmentPastEnd { .. }
            | El::SegmentNotPageAligned { .. }
            | El::SegmentsOverlap { .. }
            | El::NoDynamic
            | El::DynamicUnterminated
            | El::SectionHeadersOutside
            | El::SectionOutside
            | El::NoDynsym
            | El::DynsymEntsizeZero
            | El::NoDynstr
            | El::UndefinedSymbol(_)
            | El::RelOnX86_64
            | El::NoRelocationSection
            | El::UnsupportedRelocation(_)
            | El::CtorsSection
            | El::NoMetadataNote
            | El::MetadataNoteSize
            | El::MetadataNoteName
            | El::SegmentWithoutPermissions { .. }
            | El::RelocationEntsizeZero,
        ) => SGXM_ERR_SDK_BAD_ENCLAVE_FILE,
        SdkError::Config(ConfigError::OutOfRange(_)) => SGXM_ERR_SDK_CONFIG_OUT_OF_RANGE,
        SdkError::Config(ConfigError::OsslFipsUnsupported) => SGXM_ERR_SDK_UNSUPPORTED,
        // The struct has no elements to misspell, repeat or leave empty; these come from XML.
        SdkError::Config(
            ConfigError::NoValue(_) | ConfigError::UnknownElement | ConfigError::Repeated(_),
        ) => SGXM_ERR_SDK_CONFIG_UNKNOWN_PARAMETER,
        SdkError::Config(
            ConfigError::InvalidValue(_)
            | ConfigError::StackSize
            | ConfigError::HeapAlign
            | ConfigError::HeapInitAboveMax
            | ConfigError::HeapMinAboveInit
            | ConfigError::HeapMinAboveMax
            | ConfigError::ReservedAlign
            | ConfigError::ReservedInitAboveMax
            | ConfigError::ReservedMinAboveInit
            | ConfigError::ReservedMinAboveMax
            | ConfigError::UserRegionAlign
            | ConfigError::HwLaunchKey
            | ConfigError::TcsMaxNum
            | ConfigError::TcsMinPool
            | ConfigError::KssRequired
            | ConfigError::ImageAddressWithoutElrange
            | ConfigError::ElrangeStartWithoutSize
            | ConfigError::BothFips
            | ConfigError::UserRegionMisc,
        ) => SGXM_ERR_SDK_CONFIG_INCONSISTENT,
        SdkError::Layout(LayoutError::NoEnclaveEntry) => SGXM_ERR_SDK_NO_ENCLAVE_ENTRY,
        SdkError::Layout(LayoutError::ExceedsMaxEnclaveSize) => SGXM_ERR_SDK_UNSUPPORTED,
        SdkError::Layout(
            LayoutError::ImageAddressAlign
            | LayoutError::ElrangeStartPageAlign
            | LayoutError::ElrangeSizePageAlign
            | LayoutError::ElrangeStartAlign
            | LayoutError::ElrangeStartAboveImage
            | LayoutError::ImageAddressOverflow
            | LayoutError::ElrangeOverflow
            | LayoutError::ElrangeTooSmall
            | LayoutError::ElrangeSizeNotPowerOfTwo,
        ) => SGXM_ERR_SDK_CONFIG_INCONSISTENT,
        SdkError::Layout(
            LayoutError::TooLarge
            | LayoutError::ElrangeTooSmallForEnclave
            | LayoutError::GlobalDataOutsideEnclave,
        ) => SGXM_ERR_SDK_TOO_LARGE,
        SdkError::Layout(LayoutError::EmptyImage)
        | SdkError::MetadataOutsideFile
        | SdkError::SegmentOutsideEnclave { .. } => SGXM_ERR_SDK_BAD_ENCLAVE_FILE,
        SdkError::NoGlobalData | SdkError::GlobalDataNotInFile => SGXM_ERR_SDK_NO_GLOBAL_DATA,
        SdkError::SdkVersionMismatch { .. } => SGXM_ERR_SDK_VERSION_MISMATCH,
        SdkError::UnsupportedSdkVersion { .. } => SGXM_ERR_SDK_UNSUPPORTED_VERSION,
        SdkError::AlreadySigned => SGXM_ERR_SDK_ALREADY_SIGNED,
        SdkError::EnableFipsOption(_) => SGXM_ERR_SDK_BAD_ARGUMENT,
        // The metadata always has room for its SGX1 copy and is always METADATA_SIZE bytes.
        SdkError::Metadata(MetadataError::WrongBufferSize | MetadataError::NoRoomForCompatible) => {
            SGXM_ERR_INTERNAL
        }
    }
}

/// Writes the MRENCLAVE that Intel's `sgx_sign` (`sdk_version` 220 to 226 for SDK 2.20 to
/// 2.26, or 0 for the release the enclave was built with; Occlum's SDK 2.20 measures as 220) computes for the enclave shared
/// object `enclave` with `config` (NULL: no configuration file, every default) and `flags`
/// (`SGXM_SDK_*` option bits). If `version_out` is not NULL, the release used is written there
/// (220 to 226). Returns `SGXM_OK` and writes the outputs only on success; every `sgx_sign`
/// refusal is an `SGXM_ERR_SDK_*` status.
///
/// Allocates nothing; uses about 32 KiB of stack.
///
/// # Safety
/// `enclave` must be NULL or valid for reads of `enclave_len` bytes; `config` NULL or valid for
/// reads of an `sgxm_sdk_config`; `mrenclave_out` NULL or valid for writes of 32 bytes;
/// `version_out` NULL or valid for writes of a `uint32_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sgxm_sdk_mrenclave(
    enclave: *const u8,
    enclave_len: usize,
    config: *const sgxm_sdk_config,
    sdk_version: u32,
    flags: u32,
    mrenclave_out: *mut u8,
    version_out: *mut u32,
) -> u32 {
    if enclave.is_null() || mrenclave_out.is_null() {
        return SGXM_ERR_NULL_ARGUMENT;
    }
    // SAFETY: non-NULL, and the caller guarantees `enclave_len` readable bytes.
    let enclave = unsafe { slice::from_raw_parts(enclave, enclave_len) };
    // SAFETY: NULL or valid for reads per the contract; copied out at once.
    let config = if config.is_null() {
        None
    } else {
        Some(unsafe { config.read() })
    };
    if flags
        & !(SGXM_SDK_IGNORE_REL_ERROR
            | SGXM_SDK_IGNORE_INIT_SEC_ERROR
            | SGXM_SDK_RESIGN
            | SGXM_SDK_ENABLE_FIPS)
        != 0
    {
        return SGXM_ERR_SDK_BAD_ARGUMENT;
    }
    let requested = match version_arg(sdk_version) {
        Ok(v) => v,
        Err(s) => return s,
    };
    let elf = match SdkElf::parse(enclave) {
        Ok(e) => e,
        Err(e) => return sdk_status(&SdkError::Elf(e)),
    };
    let version = match requested {
        Some(v) => v,
        None => match detect_version(&elf) {
            Ok(v) => v,
            Err(e @ SdkError::UnsupportedSdkVersion { .. }) => return sdk_status(&e),
            // No version word: every release refuses the enclave at its own step.
            Err(_) => SdkVersion::LATEST,
        },
    };
    let config = match config.map(|c| c.to_config(version)) {
        None => SdkConfig::new(),
        Some(Ok(c)) => c,
        Some(Err(s)) => return s,
    };
    let options = SignOptions {
        elf: ElfOptions {
            ignore_rel_error: flags & SGXM_SDK_IGNORE_REL_ERROR != 0,
            ignore_init_sec_error: flags & SGXM_SDK_IGNORE_INIT_SEC_ERROR != 0,
        },
        resign: flags & SGXM_SDK_RESIGN != 0,
        enable_fips: flags & SGXM_SDK_ENABLE_FIPS != 0,
    };
    match SdkEnclave::new(elf, &config, version, options) {
        Ok(e) => {
            let m = e.mrenclave();
            // SAFETY: non-NULL and writable for 32 bytes per the contract; `m` is a local.
            unsafe { core::ptr::copy_nonoverlapping(m.as_ptr(), mrenclave_out, m.len()) };
            if !version_out.is_null() {
                // SAFETY: non-NULL and writable per the contract.
                unsafe { version_out.write(version_number(version)) };
            }
            SGXM_OK
        }
        Err(e) => sdk_status(&e),
    }
}
