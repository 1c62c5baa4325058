//! The enclave attributes that `gramine-sgx-sign` puts into SIGSTRUCT (ATTRIBUTES.FLAGS and XFRM,
//! their masks, MISCSELECT and its mask, ISVPRODID, ISVSVN), computed from manifest values that the
//! caller has already extracted (this crate does not parse TOML).
//!
//! Every difference between Gramine releases is in [`SignerRules`], one per version in
//! [`crate::rules`]; the
//! computation in [`enclave_attributes`] follows `get_tbssigstruct` and `get_enclave_attributes`
//! of `graminelibos/sgx_sign.py`, including the order in which Gramine reports errors: ISVPRODID,
//! ISVSVN, then the exinfo keys, then the XFRM keys.

use core::fmt;

use crate::profile::GramineVersion;

/// `SGX_FLAGS_DEBUG`.
pub const FLAGS_DEBUG: u64 = 0x2;
/// `SGX_FLAGS_MODE64BIT` (always set: Gramine signs only for amd64).
pub const FLAGS_MODE64BIT: u64 = 0x4;
/// `SGX_XFRM_LEGACY` (x87 and SSE state, always enabled).
pub const XFRM_LEGACY: u64 = 0x3;
/// `SGX_XFRM_AVX`.
pub const XFRM_AVX: u64 = 0x4;
/// `SGX_XFRM_MPX`.
pub const XFRM_MPX: u64 = 0x18;
/// `SGX_XFRM_AVX512`. It includes the AVX bit, so `avx512 = "disabled"` also clears AVX.
pub const XFRM_AVX512: u64 = 0xe4;
/// `SGX_XFRM_PKRU`.
pub const XFRM_PKRU: u64 = 0x200;
/// `SGX_XFRM_AMX`.
pub const XFRM_AMX: u64 = 0x60000;
/// `SGX_MISCSELECT_EXINFO`.
pub const MISCSELECT_EXINFO: u32 = 0x1;
/// `SGX_FLAGS_MASK_CONST` (v1.0: `SGX_FLAGS_MASK_CONST_LO` + `_HI << 32`, the same value).
pub const FLAGS_MASK_CONST: u64 = 0xffff_ffff_ffff_ffff;
/// `SGX_MISCSELECT_MASK_CONST`.
pub const MISCSELECT_MASK_CONST: u32 = 0xffff_ffff;
/// `SGX_XFRM_MASK_CONST` from v1.1 (the AMX bits are not in the mask unless a manifest asks).
pub const XFRM_MASK_CONST: u64 = 0xffff_ffff_fff9_ff1b;
/// `SGX_XFRM_MASK_CONST_LO` + `_HI << 32` of v1.0 (before AMX).
pub const XFRM_MASK_CONST_V1_0: u64 = 0xffff_ffff_ffff_ff1b;

/// A manifest value, with only the distinctions that Gramine's attribute code makes (Python's
/// `== 1`, `is True`, `== "required"` and `struct.pack('<H', v)` depend on the type).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum ManifestValue<'a> {
    /// The key is not in the manifest.
    #[default]
    Absent,
    /// A TOML boolean.
    Bool(bool),
    /// A TOML integer.
    Int(i64),
    /// A TOML float.
    Float(f64),
    /// A TOML string.
    Str(&'a str),
    /// An array, a table or a date-time.
    Other,
}

impl ManifestValue<'_> {
    /// Python's `value == 1` (v1.0 to v1.5): true for `true`, `1` and `1.0`.
    fn equals_one(self) -> bool {
        match self {
            ManifestValue::Bool(b) => b,
            ManifestValue::Int(i) => i == 1,
            ManifestValue::Float(f) => f == 1.0,
            _ => false,
        }
    }

    /// Python's `value is True` (v1.6+): only the boolean `true`.
    fn is_true(self) -> bool {
        matches!(self, ManifestValue::Bool(true))
    }

    fn is_present(self) -> bool {
        !matches!(self, ManifestValue::Absent)
    }
}

/// The `sgx.cpu_features.*` values (v1.6+).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
#[allow(missing_docs)]
pub struct CpuFeatureValues<'a> {
    pub avx: ManifestValue<'a>,
    pub avx512: ManifestValue<'a>,
    pub amx: ManifestValue<'a>,
    pub mpx: ManifestValue<'a>,
    pub pkru: ManifestValue<'a>,
}

/// `sgx.cpu_features`.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum CpuFeatures<'a> {
    /// Not in the manifest.
    #[default]
    Absent,
    /// Present but not a table (Gramine fails with an `AttributeError` or `TypeError`).
    NotTable,
    /// A table.
    Table(CpuFeatureValues<'a>),
}

/// The manifest values the attributes are computed from (`sgx.*` keys). Missing keys are
/// [`ManifestValue::Absent`]; Gramine's defaults are applied here.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
#[allow(missing_docs)]
pub struct AttributeInput<'a> {
    pub isvprodid: ManifestValue<'a>,
    pub isvsvn: ManifestValue<'a>,
    pub debug: ManifestValue<'a>,
    /// v1.6+.
    pub use_exinfo: ManifestValue<'a>,
    /// v1.4 and v1.5; deprecated alias of `use_exinfo` in v1.6 and v1.7; ignored from v1.8.
    pub require_exinfo: ManifestValue<'a>,
    /// v1.0 to v1.3.
    pub support_exinfo: ManifestValue<'a>,
    /// `sgx.require_*`: up to v1.5; deprecated in v1.6 and v1.7; ignored from v1.8.
    pub require_avx: ManifestValue<'a>,
    pub require_avx512: ManifestValue<'a>,
    pub require_mpx: ManifestValue<'a>,
    pub require_pkru: ManifestValue<'a>,
    /// Not read by v1.0.
    pub require_amx: ManifestValue<'a>,
    /// v1.6+.
    pub cpu_features: CpuFeatures<'a>,
}

/// Which ISV field an [`AttributesError::IsvNotU16`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IsvField {
    /// `sgx.isvprodid`.
    ProdId,
    /// `sgx.isvsvn`.
    Svn,
}

impl IsvField {
    /// The manifest key.
    pub const fn key(self) -> &'static str {
        match self {
            IsvField::ProdId => "sgx.isvprodid",
            IsvField::Svn => "sgx.isvsvn",
        }
    }
}

/// A `sgx.cpu_features` key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum CpuFeature {
    Avx,
    Avx512,
    Amx,
    Mpx,
    Pkru,
}

impl CpuFeature {
    /// `avx`, `avx512`, ...
    pub const fn name(self) -> &'static str {
        match self {
            CpuFeature::Avx => "avx",
            CpuFeature::Avx512 => "avx512",
            CpuFeature::Amx => "amx",
            CpuFeature::Mpx => "mpx",
            CpuFeature::Pkru => "pkru",
        }
    }

    /// The XFRM bits.
    pub const fn bits(self) -> u64 {
        match self {
            CpuFeature::Avx => XFRM_AVX,
            CpuFeature::Avx512 => XFRM_AVX512,
            CpuFeature::Amx => XFRM_AMX,
            CpuFeature::Mpx => XFRM_MPX,
            CpuFeature::Pkru => XFRM_PKRU,
        }
    }

    /// The deprecated `sgx.require_*` key for the same bits.
    pub const fn deprecated_key(self) -> &'static str {
        match self {
            CpuFeature::Avx => "require_avx",
            CpuFeature::Avx512 => "require_avx512",
            CpuFeature::Amx => "require_amx",
            CpuFeature::Mpx => "require_mpx",
            CpuFeature::Pkru => "require_pkru",
        }
    }
}

/// Why Gramine refuses to build the SIGSTRUCT from these manifest values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttributesError {
    /// `sgx.isvprodid` / `sgx.isvsvn` is not an integer in 0..=65535 (Gramine: `ValueError: -1 does
    /// not match required format <H`). `value` is the integer, if it is one.
    IsvNotU16 {
        /// Which key.
        field: IsvField,
        /// The value, if it is an integer.
        value: Option<i64>,
    },
    /// v1.6/v1.7: "`sgx.require_exinfo` cannot coexist with `sgx.use_exinfo`".
    RequireExinfoWithUseExinfo,
    /// v1.6/v1.7: "`sgx.cpu_features` cannot coexist with `sgx.require_avx`" (the first deprecated
    /// key found, in Gramine's order avx, avx512, mpx, pkru, amx).
    CpuFeaturesWithDeprecated(CpuFeature),
    /// `sgx.cpu_features` is not a table.
    CpuFeaturesNotTable,
    /// "Manifest option `sgx.cpu_features.mpx` has a disallowed value": not "required",
    /// "disabled" or (except for mpx and pkru) "unspecified".
    CpuFeatureDisallowed(CpuFeature),
}

impl core::error::Error for AttributesError {}

impl fmt::Display for AttributesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttributesError::IsvNotU16 {
                field,
                value: Some(v),
            } => write!(
                f,
                "{} = {v} is out of range: it must be an integer from 0 to 65535 (Gramine: {v} does not match required format <H)",
                field.key()
            ),
            AttributesError::IsvNotU16 { field, value: None } => write!(
                f,
                "{} must be an integer from 0 to 65535 (Gramine: does not match required format <H)",
                field.key()
            ),
            AttributesError::RequireExinfoWithUseExinfo => {
                f.write_str("`sgx.require_exinfo` cannot coexist with `sgx.use_exinfo`")
            }
            AttributesError::CpuFeaturesWithDeprecated(feat) => write!(
                f,
                "`sgx.cpu_features` cannot coexist with `sgx.{}`",
                feat.deprecated_key()
            ),
            AttributesError::CpuFeaturesNotTable => {
                f.write_str("`sgx.cpu_features` must be a table")
            }
            AttributesError::CpuFeatureDisallowed(feat) => write!(
                f,
                "Manifest option `sgx.cpu_features.{}` has a disallowed value (allowed: \"required\", \"disabled\"{})",
                feat.name(),
                if matches!(feat, CpuFeature::Mpx | CpuFeature::Pkru) {
                    ""
                } else {
                    ", \"unspecified\""
                }
            ),
        }
    }
}

/// The SIGSTRUCT attribute values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnclaveAttributes {
    /// ATTRIBUTES.FLAGS.
    pub flags: u64,
    /// ATTRIBUTES.XFRM.
    pub xfrm: u64,
    /// MISCSELECT.
    pub misc_select: u32,
    /// ATTRIBUTEMASK.FLAGS.
    pub flags_mask: u64,
    /// ATTRIBUTEMASK.XFRM.
    pub xfrm_mask: u64,
    /// MISCMASK.
    pub misc_mask: u32,
    /// ISVPRODID.
    pub isv_prod_id: u16,
    /// ISVSVN.
    pub isv_svn: u16,
}

/// How a boolean manifest option is tested.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Truth {
    /// v1.0 to v1.5, `collect_bits`: `manifest_sgx[opt] == 1` (true, 1 and 1.0 count).
    EqualsOne,
    /// v1.6+, `collect_bits`: `manifest_sgx.get(opt) is True` (only the boolean).
    IsTrue,
}

/// Which key selects MISCSELECT.EXINFO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExinfoRule {
    /// v1.0 to v1.3: `sgx.support_exinfo`.
    SupportExinfo,
    /// v1.4 and v1.5: `sgx.require_exinfo`.
    RequireExinfo,
    /// v1.6 and v1.7: `sgx.use_exinfo`; the deprecated `sgx.require_exinfo` is renamed to it and
    /// both together are an error.
    UseExinfoOrDeprecatedRequire,
    /// v1.8+: `sgx.use_exinfo` only (`require_exinfo` is ignored).
    UseExinfo,
}

/// Where XFRM comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XfrmRule {
    /// v1.0 to v1.5: LEGACY | the bits of each `sgx.require_*` that is set; the mask is the
    /// constant. `amx`: whether `sgx.require_amx` exists (v1.1+).
    Require {
        /// Whether `sgx.require_amx` is read.
        amx: bool,
    },
    /// v1.6 and v1.7: without `sgx.cpu_features`, the deprecated `sgx.require_*` keys (as
    /// `is True`); with it, `sgx.cpu_features` and any `sgx.require_*` key is an error.
    CpuFeaturesOrDeprecatedRequire,
    /// v1.8+: `sgx.cpu_features` only (with defaults); `sgx.require_*` are ignored.
    CpuFeatures,
}

/// Everything version-dependent in the SIGSTRUCT that Gramine builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignerRules {
    /// How boolean options are tested.
    pub truth: Truth,
    /// MISCSELECT.EXINFO.
    pub exinfo: ExinfoRule,
    /// XFRM.
    pub xfrm: XfrmRule,
    /// The initial XFRM mask (`SGX_XFRM_MASK_CONST`).
    pub xfrm_mask_const: u64,
    /// SIGSTRUCT.DATE encoding.
    pub date: crate::sigstruct::DateEncoding,
}

/// The rules of `gramine-sgx-sign` of `version` (its [rules](crate::rules) row's `signer`).
pub const fn signer_rules(version: GramineVersion) -> SignerRules {
    version.rules().signer
}

impl SignerRules {
    fn test(&self, v: ManifestValue<'_>) -> bool {
        match self.truth {
            Truth::EqualsOne => v.equals_one(),
            Truth::IsTrue => v.is_true(),
        }
    }
}

/// `struct.pack('<H', value)` (booleans are ints in Python); `sgx.isvprodid` defaults to 0.
fn isv(field: IsvField, v: ManifestValue<'_>) -> Result<u16, AttributesError> {
    match v {
        ManifestValue::Absent => Ok(0),
        ManifestValue::Bool(b) => Ok(u16::from(b)),
        ManifestValue::Int(i) => u16::try_from(i).map_err(|_| AttributesError::IsvNotU16 {
            field,
            value: Some(i),
        }),
        _ => Err(AttributesError::IsvNotU16 { field, value: None }),
    }
}

/// `collect_cpu_feature_bits` over the five features, missing ones given the `Manifest()`
/// defaults (avx, avx512, amx "unspecified"; mpx, pkru "disabled").
fn cpu_feature_bits(
    features: &CpuFeatureValues<'_>,
    mut xfrm: u64,
    mut mask: u64,
) -> Result<(u64, u64), AttributesError> {
    // `xfrms_dict` (security_hardening=False), then `secure_xfrms_dict` (True).
    let order = [
        (CpuFeature::Avx, features.avx, false),
        (CpuFeature::Avx512, features.avx512, false),
        (CpuFeature::Amx, features.amx, false),
        (CpuFeature::Mpx, features.mpx, true),
        (CpuFeature::Pkru, features.pkru, true),
    ];
    for (feature, value, hardening) in order {
        let value = match value {
            ManifestValue::Absent if hardening => ManifestValue::Str("disabled"),
            ManifestValue::Absent => ManifestValue::Str("unspecified"),
            v => v,
        };
        let bits = feature.bits();
        match value {
            ManifestValue::Str("required") => {
                xfrm |= bits;
                mask |= bits;
            }
            ManifestValue::Str("disabled") => {
                xfrm &= !bits;
                mask |= bits;
            }
            ManifestValue::Str("unspecified") if !hardening => {}
            _ => return Err(AttributesError::CpuFeatureDisallowed(feature)),
        }
    }
    Ok((xfrm, mask))
}

/// The attributes `gramine-sgx-sign` of `version` writes for these manifest values.
pub fn enclave_attributes(
    input: &AttributeInput<'_>,
    version: GramineVersion,
) -> Result<EnclaveAttributes, AttributesError> {
    let isv_prod_id = isv(IsvField::ProdId, input.isvprodid)?;
    let isv_svn = isv(IsvField::Svn, input.isvsvn)?;
    let bits = attribute_bits(input, version)?;
    Ok(EnclaveAttributes {
        flags: bits.flags,
        xfrm: bits.xfrm,
        misc_select: bits.misc_select,
        flags_mask: FLAGS_MASK_CONST,
        xfrm_mask: bits.xfrm_mask,
        misc_mask: MISCSELECT_MASK_CONST,
        isv_prod_id,
        isv_svn,
    })
}

/// ATTRIBUTES.FLAGS and XFRM, MISCSELECT and the XFRM mask (`get_enclave_attributes`), without
/// the ISV values: what `--verbose` of v1.0 to v1.5 prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttributeBits {
    /// ATTRIBUTES.FLAGS.
    pub flags: u64,
    /// ATTRIBUTES.XFRM.
    pub xfrm: u64,
    /// MISCSELECT.
    pub misc_select: u32,
    /// ATTRIBUTEMASK.XFRM.
    pub xfrm_mask: u64,
}

/// The attribute bits `gramine-sgx-sign` of `version` computes for these manifest values.
pub fn attribute_bits(
    input: &AttributeInput<'_>,
    version: GramineVersion,
) -> Result<AttributeBits, AttributesError> {
    let rules = signer_rules(version);

    let mut flags = FLAGS_MODE64BIT;
    if rules.test(input.debug) {
        flags |= FLAGS_DEBUG;
    }

    let exinfo = match rules.exinfo {
        ExinfoRule::SupportExinfo => input.support_exinfo,
        ExinfoRule::RequireExinfo => input.require_exinfo,
        ExinfoRule::UseExinfoOrDeprecatedRequire if input.require_exinfo.is_present() => {
            if input.use_exinfo.is_present() {
                return Err(AttributesError::RequireExinfoWithUseExinfo);
            }
            input.require_exinfo
        }
        ExinfoRule::UseExinfoOrDeprecatedRequire | ExinfoRule::UseExinfo => input.use_exinfo,
    };
    let misc_select = if rules.test(exinfo) {
        MISCSELECT_EXINFO
    } else {
        0
    };

    // The deprecated keys in Gramine's dict order.
    let deprecated = [
        (CpuFeature::Avx, input.require_avx),
        (CpuFeature::Avx512, input.require_avx512),
        (CpuFeature::Mpx, input.require_mpx),
        (CpuFeature::Pkru, input.require_pkru),
        (CpuFeature::Amx, input.require_amx),
    ];
    let require_bits = |amx: bool| {
        deprecated
            .iter()
            .filter(|(f, v)| (amx || *f != CpuFeature::Amx) && rules.test(*v))
            .fold(XFRM_LEGACY, |x, (f, _)| x | f.bits())
    };
    let (xfrm, xfrm_mask) = match (rules.xfrm, input.cpu_features) {
        (XfrmRule::Require { amx }, _) => (require_bits(amx), rules.xfrm_mask_const),
        (XfrmRule::CpuFeaturesOrDeprecatedRequire, CpuFeatures::Absent) => {
            (require_bits(true), rules.xfrm_mask_const)
        }
        (XfrmRule::CpuFeaturesOrDeprecatedRequire, features) => {
            if let Some((f, _)) = deprecated.iter().find(|(_, v)| v.is_present()) {
                return Err(AttributesError::CpuFeaturesWithDeprecated(*f));
            }
            match features {
                CpuFeatures::Table(t) => cpu_feature_bits(&t, XFRM_LEGACY, rules.xfrm_mask_const)?,
                _ => return Err(AttributesError::CpuFeaturesNotTable),
            }
        }
        (XfrmRule::CpuFeatures, CpuFeatures::Absent) => cpu_feature_bits(
            &CpuFeatureValues::default(),
            XFRM_LEGACY,
            rules.xfrm_mask_const,
        )?,
        (XfrmRule::CpuFeatures, CpuFeatures::Table(t)) => {
            cpu_feature_bits(&t, XFRM_LEGACY, rules.xfrm_mask_const)?
        }
        (XfrmRule::CpuFeatures, CpuFeatures::NotTable) => {
            return Err(AttributesError::CpuFeaturesNotTable);
        }
    };

    Ok(AttributeBits {
        flags,
        xfrm,
        misc_select,
        xfrm_mask,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use GramineVersion as V;
    use ManifestValue as M;

    fn attrs(input: &AttributeInput<'_>, v: GramineVersion) -> EnclaveAttributes {
        enclave_attributes(input, v).unwrap()
    }

    #[test]
    fn defaults() {
        for v in GramineVersion::ALL {
            let a = attrs(&AttributeInput::default(), v);
            assert_eq!(a.flags, 0x4);
            assert_eq!(a.xfrm, 0x3);
            assert_eq!(a.misc_select, 0);
            assert_eq!(a.flags_mask, u64::MAX);
            assert_eq!(a.misc_mask, u32::MAX);
            let mask = if v == V::V1_0 {
                0xffff_ffff_ffff_ff1b
            } else {
                0xffff_ffff_fff9_ff1b
            };
            assert_eq!(a.xfrm_mask, mask, "{v}");
            assert_eq!((a.isv_prod_id, a.isv_svn), (0, 0));
        }
    }

    #[test]
    fn debug_int_and_exinfo_per_version() {
        // p13-debug-int: debug = 1, use_exinfo = 1, require_exinfo = 1.
        let input = AttributeInput {
            debug: M::Int(1),
            use_exinfo: M::Int(1),
            require_exinfo: M::Int(1),
            ..Default::default()
        };
        let a = attrs(&input, V::V1_5);
        assert_eq!((a.flags, a.misc_select), (0x6, 1));
        for v in [V::V1_6, V::V1_7] {
            assert_eq!(
                enclave_attributes(&input, v),
                Err(AttributesError::RequireExinfoWithUseExinfo)
            );
        }
        for v in [V::V1_8, V::V1_9] {
            let a = attrs(&input, v);
            assert_eq!((a.flags, a.misc_select), (0x4, 0));
        }
        // v1.0-v1.3 read support_exinfo.
        let old = AttributeInput {
            support_exinfo: M::Float(1.0),
            require_exinfo: M::Bool(true),
            ..Default::default()
        };
        assert_eq!(attrs(&old, V::V1_3).misc_select, 1);
        assert_eq!(attrs(&old, V::V1_4).misc_select, 1);
        assert_eq!(
            attrs(
                &AttributeInput {
                    support_exinfo: M::Bool(true),
                    ..Default::default()
                },
                V::V1_4
            )
            .misc_select,
            0
        );
        // v1.6: require_exinfo alone is renamed use_exinfo, tested with `is True`.
        let dep = AttributeInput {
            require_exinfo: M::Bool(true),
            ..Default::default()
        };
        assert_eq!(attrs(&dep, V::V1_6).misc_select, 1);
        assert_eq!(attrs(&dep, V::V1_8).misc_select, 0);
    }

    #[test]
    fn deprecated_require_keys() {
        // p12: require_avx = true, require_exinfo = true, require_amx = false.
        let input = AttributeInput {
            require_avx: M::Bool(true),
            require_exinfo: M::Bool(true),
            require_amx: M::Bool(false),
            ..Default::default()
        };
        for v in [V::V1_5, V::V1_6, V::V1_7] {
            let a = attrs(&input, v);
            assert_eq!((a.xfrm, a.misc_select), (0x7, 1), "{v}");
        }
        for v in [V::V1_8, V::V1_9] {
            let a = attrs(&input, v);
            assert_eq!((a.xfrm, a.misc_select), (0x3, 0), "{v}");
        }
        // require_amx is not read by v1.0.
        let amx = AttributeInput {
            require_amx: M::Int(1),
            ..Default::default()
        };
        assert_eq!(attrs(&amx, V::V1_0).xfrm, 0x3);
        assert_eq!(attrs(&amx, V::V1_1).xfrm, 0x60003);
        assert_eq!(attrs(&amx, V::V1_6).xfrm, 0x3); // 1 is not True
        // With cpu_features, a deprecated key is an error in v1.6/v1.7 only.
        let both = AttributeInput {
            require_mpx: M::Bool(false),
            require_pkru: M::Bool(false),
            cpu_features: CpuFeatures::Table(CpuFeatureValues::default()),
            ..Default::default()
        };
        assert_eq!(
            enclave_attributes(&both, V::V1_7),
            Err(AttributesError::CpuFeaturesWithDeprecated(CpuFeature::Mpx))
        );
        assert_eq!(attrs(&both, V::V1_8).xfrm, 0x3);
    }

    #[test]
    fn cpu_features() {
        let table = |avx, avx512, amx, mpx, pkru| AttributeInput {
            cpu_features: CpuFeatures::Table(CpuFeatureValues {
                avx,
                avx512,
                amx,
                mpx,
                pkru,
            }),
            ..Default::default()
        };
        // p10: avx required, avx512 disabled (clears AVX too), amx unspecified.
        let p10 = table(
            M::Str("required"),
            M::Str("disabled"),
            M::Str("unspecified"),
            M::Absent,
            M::Absent,
        );
        for v in [V::V1_6, V::V1_7, V::V1_8, V::V1_9] {
            let a = attrs(&p10, v);
            assert_eq!((a.xfrm, a.xfrm_mask), (0x3, 0xffff_ffff_fff9_ffff), "{v}");
        }
        // v1.5 ignores cpu_features.
        assert_eq!(attrs(&p10, V::V1_5).xfrm_mask, XFRM_MASK_CONST);
        // p11: avx disabled, avx512 + amx required, mpx/pkru disabled.
        let p11 = table(
            M::Str("disabled"),
            M::Str("required"),
            M::Str("required"),
            M::Str("disabled"),
            M::Str("disabled"),
        );
        let a = attrs(&p11, V::V1_9);
        assert_eq!((a.xfrm, a.xfrm_mask), (0x600e7, u64::MAX));
        // p42: mpx and pkru required.
        let p42 = table(
            M::Absent,
            M::Absent,
            M::Absent,
            M::Str("required"),
            M::Str("required"),
        );
        let a = attrs(&p42, V::V1_6);
        assert_eq!((a.xfrm, a.xfrm_mask), (0x21b, XFRM_MASK_CONST));
        // pe09: mpx unspecified is refused; pe16: a bad avx value.
        let pe09 = table(
            M::Absent,
            M::Absent,
            M::Absent,
            M::Str("unspecified"),
            M::Absent,
        );
        assert_eq!(
            enclave_attributes(&pe09, V::V1_9),
            Err(AttributesError::CpuFeatureDisallowed(CpuFeature::Mpx))
        );
        let pe16 = table(M::Bool(true), M::Absent, M::Absent, M::Absent, M::Absent);
        assert_eq!(
            enclave_attributes(&pe16, V::V1_6),
            Err(AttributesError::CpuFeatureDisallowed(CpuFeature::Avx))
        );
        let not_table = AttributeInput {
            cpu_features: CpuFeatures::NotTable,
            ..Default::default()
        };
        assert_eq!(
            enclave_attributes(&not_table, V::V1_8),
            Err(AttributesError::CpuFeaturesNotTable)
        );
        assert_eq!(attrs(&not_table, V::V1_5).xfrm, 0x3);
    }

    #[test]
    fn isv_values() {
        let with = |p, s| AttributeInput {
            isvprodid: p,
            isvsvn: s,
            ..Default::default()
        };
        let a = attrs(&with(M::Int(1234), M::Int(65535)), V::V1_9);
        assert_eq!((a.isv_prod_id, a.isv_svn), (1234, 65535));
        let a = attrs(&with(M::Bool(true), M::Bool(false)), V::V1_9);
        assert_eq!((a.isv_prod_id, a.isv_svn), (1, 0));
        assert_eq!(
            enclave_attributes(&with(M::Int(-1), M::Int(70000)), V::V1_4),
            Err(AttributesError::IsvNotU16 {
                field: IsvField::ProdId,
                value: Some(-1)
            })
        );
        assert_eq!(
            enclave_attributes(&with(M::Int(1), M::Int(65536)), V::V1_4),
            Err(AttributesError::IsvNotU16 {
                field: IsvField::Svn,
                value: Some(65536)
            })
        );
        assert_eq!(
            enclave_attributes(&with(M::Str("1"), M::Absent), V::V1_9),
            Err(AttributesError::IsvNotU16 {
                field: IsvField::ProdId,
                value: None
            })
        );
        assert_eq!(
            enclave_attributes(&with(M::Float(1.0), M::Absent), V::V1_9),
            Err(AttributesError::IsvNotU16 {
                field: IsvField::ProdId,
                value: None
            })
        );
    }

    #[test]
    fn truthiness_per_version() {
        for (value, old, new) in [
            (M::Bool(true), true, true),
            (M::Int(1), true, false),
            (M::Float(1.0), true, false),
            (M::Int(2), false, false),
            (M::Str("true"), false, false),
            (M::Other, false, false),
        ] {
            let input = AttributeInput {
                debug: value,
                ..Default::default()
            };
            assert_eq!(attrs(&input, V::V1_5).flags & FLAGS_DEBUG != 0, old);
            assert_eq!(attrs(&input, V::V1_6).flags & FLAGS_DEBUG != 0, new);
        }
    }
}
