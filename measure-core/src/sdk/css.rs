//! The SIGSTRUCT (`enclave_css_t`) fields `sgx_sign` derives from the configuration
//! (`CMetadata::fill_enclave_css`, `modify_metadata`), and the XSAVE/SSA sizes that follow from
//! its attributes.
//!
//! Intel's `enclave_css_t` is the SDM's SIGSTRUCT, so it is held in the crate's [`Sigstruct`]:
//! its 16-byte `header` is the SDK's 12-byte header followed by `type` (bit 31 set for
//! `ReleaseType` 1), and `swdefined` is the SDK's `hw_version`.

use super::config::{Param, SdkConfig, feature};
use super::profile::SdkVersion;
use crate::sigstruct::Sigstruct;

/// ATTRIBUTES.FLAGS bits.
pub mod flags {
    /// DEBUG.
    pub const DEBUG: u64 = 0x2;
    /// MODE64BIT.
    pub const MODE64BIT: u64 = 0x4;
    /// PROVISIONKEY.
    pub const PROVISION_KEY: u64 = 0x10;
    /// EINITTOKEN_KEY.
    pub const EINITTOKEN_KEY: u64 = 0x20;
    /// KSS.
    pub const KSS: u64 = 0x80;
    /// AEXNOTIFY.
    pub const AEX_NOTIFY: u64 = 0x400;
    /// Bits 48-55, never checked.
    pub const NON_CHECK_BITS: u64 = 0x00FF_0000_0000_0000;
}

/// XFRM bits.
pub mod xfrm {
    /// x87 and SSE.
    pub const LEGACY: u64 = 0x3;
    /// AVX.
    pub const AVX: u64 = 0x6;
    /// AVX-512.
    pub const AVX512: u64 = 0xE6;
    /// MPX.
    pub const MPX: u64 = 0x18;
    /// PKRU.
    pub const PKRU: u64 = 0x200;
    /// AMX (XTILECFG, XTILEDATA).
    pub const AMX: u64 = 0x60000;
    /// Every bit the SDK does not know.
    pub const RESERVED: u64 = !(LEGACY | AVX | AVX512 | PKRU | AMX);
}

/// The SDK's 12 fixed header bytes (`type` follows).
pub const HEADER12: [u8; 12] = [6, 0, 0, 0, 0xE1, 0, 0, 0, 0, 0, 1, 0];

/// The configuration's SIGSTRUCT fields for `version`'s `sgx_sign`: everything but the date,
/// MRENCLAVE and the key and signature fields.
pub fn enclave_css(c: &SdkConfig, version: SdkVersion) -> Sigstruct {
    let v = |p| c.get(p);
    let mut s = Sigstruct::empty();
    let mut header = [0u8; 16];
    header[..12].copy_from_slice(&HEADER12);
    let kind: u32 = if v(Param::ReleaseType) & 1 != 0 {
        1 << 31
    } else {
        0
    };
    header[12..].copy_from_slice(&kind.to_le_bytes());
    s.header = header;
    s.vendor = if v(Param::IntelSigned) & 1 != 0 {
        0x8086
    } else {
        0
    };
    s.swdefined = v(Param::Hw) as u32;
    // From 2.22, MISCSELECT is stored masked by MISCMASK.
    s.misc_select = if version.masks_misc_select() {
        (v(Param::MiscSelect) & v(Param::MiscMask)) as u32
    } else {
        v(Param::MiscSelect) as u32
    };
    s.misc_mask = v(Param::MiscMask) as u32;

    let mut f = 0u64;
    let mut fm = !(flags::DEBUG | flags::NON_CHECK_BITS);
    // DisableDebug: DEBUG must be clear (it already is in FLAGS); the mask enforces it.
    if v(Param::DisableDebug) == 1 {
        fm |= flags::DEBUG;
    }
    // Only ELF64 enclaves are signed here, so MODE64BIT is always required.
    for (on, bit) in [
        (v(Param::ProvisionKey) == 1, flags::PROVISION_KEY),
        (v(Param::LaunchKey) == 1, flags::EINITTOKEN_KEY),
        (v(Param::EnableKss) == 1, flags::KSS),
        (v(Param::EnableAexNotify) == 1, flags::AEX_NOTIFY),
        (true, flags::MODE64BIT),
    ] {
        if on {
            f |= bit;
            fm |= bit;
        }
    }

    let mut x = xfrm::LEGACY;
    let mut xm = xfrm::LEGACY | version.xfrm_reserved();
    match v(Param::Pkru) {
        feature::MUST_BE_DISABLED => xm |= xfrm::PKRU,
        feature::MUST_BE_ENABLED => {
            x |= xfrm::PKRU;
            xm |= xfrm::PKRU;
        }
        _ => xm &= !xfrm::PKRU,
    }
    match v(Param::Amx) {
        feature::MUST_BE_ENABLED => {
            x |= xfrm::AMX;
            xm |= xfrm::AMX;
        }
        feature::LOADER_SELECTS => xm &= !xfrm::AMX,
        _ => xm |= xfrm::AMX,
    }
    s.attribute_flags = f;
    s.attribute_flags_mask = fm;
    s.attribute_xfrm = x;
    s.attribute_xfrm_mask = xm;

    let mut ext = [0u8; 16];
    ext[..8].copy_from_slice(&v(Param::IsvExtProdIdL).to_le_bytes());
    ext[8..].copy_from_slice(&v(Param::IsvExtProdIdH).to_le_bytes());
    s.isvext_prod_id = ext;
    let mut fam = [0u8; 16];
    fam[..8].copy_from_slice(&v(Param::IsvFamilyIdL).to_le_bytes());
    fam[8..].copy_from_slice(&v(Param::IsvFamilyIdH).to_le_bytes());
    s.isv_family_id = fam;
    s.isv_prod_id = v(Param::ProdId) as u16;
    s.isv_svn = v(Param::IsvSvn) as u16;
    s
}

/// `metadata_t.attributes.xfrm`: the bits the signer leaves unchecked, plus the required ones.
pub const fn metadata_xfrm(css: &Sigstruct) -> u64 {
    !css.attribute_xfrm_mask | (css.attribute_xfrm & css.attribute_xfrm_mask)
}

/// `get_xsave_size`: the XSAVE area for the features in `xfrm` (the largest row of the SDK's
/// table whose bits are all present). `None` for an XFRM the SDK refuses (0, or a bit of
/// `reserved`).
// A const fn cannot iterate; `i` runs over the table's own indices.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
pub const fn xsave_size(x: u64, reserved: u64) -> Option<u32> {
    if x == 0 || x & reserved != 0 {
        return None;
    }
    let table: [(u64, u32); 6] = [
        (xfrm::LEGACY, 512 + 64),
        (xfrm::AVX, 512 + 64 + 256),
        (xfrm::MPX, 512 + 64 + 256 + 256),
        (xfrm::AVX512, 512 + 64 + 256 + 256 + 1600),
        (xfrm::PKRU, 512 + 64 + 256 + 256 + 1600 + 64),
        (xfrm::AMX, 512 + 64 + 256 + 256 + 1600 + 64 + 64 + 8192),
    ];
    let mut size = 0;
    let mut i = 0;
    while i < table.len() {
        if x & table[i].0 == table[i].0 {
            size = table[i].1;
        }
        i += 1;
    }
    Some(size)
}

/// SSA frame size in pages: the XSAVE area and the GPR save area, rounded up to a page.
pub const fn ssa_frame_pages(xsave: u32) -> u32 {
    xsave
        .saturating_add(super::layout::SSA_GPR_SIZE as u32)
        .div_ceil(4096)
}

/// The SIGSTRUCT DATE `sgx_sign` writes: `yyyymmdd`'s decimal digits read as hex
/// (2026-01-01 is 0x20260101), stored little-endian.
// At most 65535 * 10000 + 255 * 100 + 255, below 2^32; `shift` stops at 32.
#[allow(clippy::arithmetic_side_effects)]
pub const fn date_word(year: u16, month: u8, day: u8) -> u32 {
    let dec = year as u32 * 10000 + month as u32 * 100 + day as u32;
    // Each decimal digit becomes a hex digit.
    let mut out = 0u32;
    let mut n = dec;
    let mut shift = 0;
    while n > 0 && shift < 32 {
        out |= (n % 10) << shift;
        n /= 10;
        shift += 4;
    }
    out
}
