//! The enclave configuration (`Enclave.config.xml`) as `sgx_sign` reads it: its parameter table
//! (names, ranges, defaults), the way one element's text becomes a number, and the consistency
//! checks it makes before building the layout.
//!
//! The XML itself is read elsewhere (the std library); this module takes each element's name
//! and text, so the C ABI and the XML reader share every rule.

use core::fmt;

use super::profile::SdkVersion;

/// `TCS_POLICY_UNBIND`: the default and largest `TCSPolicy`.
pub const TCS_POLICY_UNBIND: u64 = 1;
/// `ENCLAVE_MAX_SIZE_64 / 2`: the upper bound of every size parameter.
const SIZE_MAX_PARAM: u64 = u64::MAX / 2;
/// `STACK_SIZE_MIN`.
const STACK_SIZE_MIN: u64 = 0x2000;
/// `STACK_SIZE_MAX` (the `StackMaxSize` default).
const STACK_SIZE_MAX: u64 = 0x40000;
/// `HEAP_SIZE_MIN`.
const HEAP_SIZE_MIN: u64 = 0x1000;
/// `HEAP_SIZE_MAX` (the `HeapMaxSize` default).
const HEAP_SIZE_MAX: u64 = 0x100_0000;
/// Page size of every size check (`ALIGN_SIZE`).
pub const PAGE: u64 = 0x1000;

/// `PKRU` / `AMX` values (`FEATURE_MUST_BE_DISABLED` ...).
pub mod feature {
    /// The feature must be disabled (default).
    pub const MUST_BE_DISABLED: u64 = 0;
    /// The feature must be enabled.
    pub const MUST_BE_ENABLED: u64 = 1;
    /// The loader enables it if the CPU has it.
    pub const LOADER_SELECTS: u64 = 2;
}

macro_rules! params {
    ($( $(#[$doc:meta])* $var:ident = $name:literal, max $max:expr, min $min:expr, default $def:expr; )*) => {
        /// One configuration parameter (an element of `<EnclaveConfiguration>`), in the order of
        /// `sgx_sign`'s parameter table.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum Param { $( $(#[$doc])* $var, )* }

        impl Param {
            /// Every parameter, in table order.
            pub const ALL: &'static [Param] = &[ $( Param::$var, )* ];

            /// The element name.
            pub const fn name(self) -> &'static str {
                match self { $( Param::$var => $name, )* }
            }

            /// The largest accepted value.
            pub const fn max(self) -> u64 {
                match self { $( Param::$var => $max, )* }
            }

            /// The smallest accepted value.
            pub const fn min(self) -> u64 {
                match self { $( Param::$var => $min, )* }
            }

            /// The value when the element is absent.
            pub const fn default_value(self) -> u64 {
                match self { $( Param::$var => $def, )* }
            }
        }
    };
}

params! {
    ProdId = "ProdID", max 0xFFFF, min 0, default 0;
    IsvSvn = "ISVSVN", max 0xFFFF, min 0, default 0;
    ReleaseType = "ReleaseType", max 1, min 0, default 0;
    IntelSigned = "IntelSigned", max 1, min 0, default 0;
    ProvisionKey = "ProvisionKey", max 1, min 0, default 0;
    LaunchKey = "LaunchKey", max 1, min 0, default 0;
    DisableDebug = "DisableDebug", max 1, min 0, default 0;
    Hw = "HW", max 0x10, min 0, default 0;
    TcsNum = "TCSNum", max 0xFFFF_FFFF, min 1, default 1;
    TcsMaxNum = "TCSMaxNum", max 0xFFFF_FFFF, min 1, default 1;
    TcsMinPool = "TCSMinPool", max 0xFFFF_FFFF, min 0, default 1;
    TcsPolicy = "TCSPolicy", max TCS_POLICY_UNBIND, min 0, default TCS_POLICY_UNBIND;
    StackMaxSize = "StackMaxSize", max SIZE_MAX_PARAM, min STACK_SIZE_MIN, default STACK_SIZE_MAX;
    StackMinSize = "StackMinSize", max SIZE_MAX_PARAM, min STACK_SIZE_MIN, default STACK_SIZE_MIN;
    HeapMaxSize = "HeapMaxSize", max SIZE_MAX_PARAM, min 0, default HEAP_SIZE_MAX;
    HeapMinSize = "HeapMinSize", max SIZE_MAX_PARAM, min 0, default HEAP_SIZE_MIN;
    HeapInitSize = "HeapInitSize", max SIZE_MAX_PARAM, min 0, default HEAP_SIZE_MIN;
    ReservedMemMaxSize = "ReservedMemMaxSize", max SIZE_MAX_PARAM, min 0, default 0;
    ReservedMemMinSize = "ReservedMemMinSize", max SIZE_MAX_PARAM, min 0, default 0;
    ReservedMemInitSize = "ReservedMemInitSize", max SIZE_MAX_PARAM, min 0, default 0;
    ReservedMemExecutable = "ReservedMemExecutable", max 1, min 0, default 0;
    MiscSelect = "MiscSelect", max 0xFFFF_FFFF, min 0, default 0;
    MiscMask = "MiscMask", max 0xFFFF_FFFF, min 0, default 0xFFFF_FFFF;
    EnableKss = "EnableKSS", max 1, min 0, default 0;
    IsvFamilyIdH = "ISVFAMILYID_H", max u64::MAX, min 0, default 0;
    IsvFamilyIdL = "ISVFAMILYID_L", max u64::MAX, min 0, default 0;
    IsvExtProdIdH = "ISVEXTPRODID_H", max u64::MAX, min 0, default 0;
    IsvExtProdIdL = "ISVEXTPRODID_L", max u64::MAX, min 0, default 0;
    EnclaveImageAddress = "EnclaveImageAddress", max u64::MAX, min 0x1000, default 0;
    ElRangeStartAddress = "ELRangeStartAddress", max u64::MAX, min 0, default 0;
    ElRangeSize = "ELRangeSize", max u64::MAX, min 0x1000, default 0;
    Pkru = "PKRU", max feature::LOADER_SELECTS, min feature::MUST_BE_DISABLED, default feature::MUST_BE_DISABLED;
    Amx = "AMX", max feature::LOADER_SELECTS, min feature::MUST_BE_DISABLED, default feature::MUST_BE_DISABLED;
    UserRegionSize = "UserRegionSize", max SIZE_MAX_PARAM, min 0, default 0;
    EnableAexNotify = "EnableAEXNotify", max 1, min 0, default 0;
    EnableIppFips = "EnableIPPFIPS", max 1, min 0, default 0;
    EnableOsslFips = "EnableOSSLFIPS", max 1, min 0, default 0;
}

impl Param {
    /// Whether `version`'s parameter table has this element (`EnableIPPFIPS` from 2.24,
    /// `EnableOSSLFIPS` from 2.26); elements it does not know are refused.
    pub const fn known_by(self, version: SdkVersion) -> bool {
        match self {
            Param::EnableIppFips => version.has_ipp_fips(),
            Param::EnableOsslFips => version.has_ossl_fips(),
            _ => true,
        }
    }

    /// The parameter named `name` (exact, case-sensitive) in `version`'s table.
    pub fn by_name(name: &str, version: SdkVersion) -> Option<Param> {
        Param::ALL
            .iter()
            .copied()
            .find(|p| p.known_by(version) && p.name() == name)
    }

    const fn index(self) -> usize {
        self as usize
    }
}

/// Why a configuration is refused. Each variant is one of `sgx_sign`'s messages.
///
/// Not `#[non_exhaustive]`: the C ABI maps every variant by name to a status code, and a new
/// variant must fail to compile there until it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// An element without text ("No value for the element").
    NoValue(Param),
    /// An element name that is not a parameter of this SDK ("Element is not recognized").
    UnknownElement,
    /// Text that is not an unsigned number as `strtoull(text, .., 0)` reads it, or has a `-`
    /// ("Invalid value for the element"). The parameter is `None` when the element name is
    /// not a parameter either (the text is checked first).
    InvalidValue(Option<Param>),
    /// The element appears twice ("Defined ... too many times").
    Repeated(Param),
    /// The value is outside the parameter's range ("The value of ... is out of range").
    OutOfRange(Param),
    /// `StackMaxSize`/`StackMinSize` not page-aligned, or min > max.
    StackSize,
    /// A heap size is not page-aligned.
    HeapAlign,
    /// `HeapInitSize` > `HeapMaxSize`.
    HeapInitAboveMax,
    /// `HeapMinSize` > `HeapInitSize`.
    HeapMinAboveInit,
    /// `HeapMinSize` > `HeapMaxSize` (no `HeapInitSize`).
    HeapMinAboveMax,
    /// A reserved memory size is not page-aligned.
    ReservedAlign,
    /// `ReservedMemInitSize` > `ReservedMemMaxSize`.
    ReservedInitAboveMax,
    /// `ReservedMemMinSize` > `ReservedMemInitSize`.
    ReservedMinAboveInit,
    /// `ReservedMemMinSize` > `ReservedMemMaxSize` (no `ReservedMemInitSize`).
    ReservedMinAboveMax,
    /// `UserRegionSize` is not page-aligned.
    UserRegionAlign,
    /// `HW` and `LaunchKey` disagree (both zero or both non-zero).
    HwLaunchKey,
    /// `TCSMaxNum` < `TCSNum`.
    TcsMaxNum,
    /// `TCSMinPool` > `TCSMaxNum` (or > `TCSNum` without `TCSMaxNum`).
    TcsMinPool,
    /// ISVFAMILYID or ISVEXTPRODID without `EnableKSS`.
    KssRequired,
    /// `EnclaveImageAddress` without `ELRangeSize`.
    ImageAddressWithoutElrange,
    /// `ELRangeStartAddress` without `ELRangeSize`.
    ElrangeStartWithoutSize,
    /// `EnableIPPFIPS` and `EnableOSSLFIPS` both set.
    BothFips,
    /// `UserRegionSize` needs MiscSelect bit 0 and MiscMask bit 0 set.
    UserRegionMisc,
    /// `EnableOSSLFIPS`: `sgx_sign` appends the SDK's OpenSSL FIPS provider (`fips.so`) to the
    /// enclave; this implementation does not (a documented limitation, not an `sgx_sign` error).
    OsslFipsUnsupported,
}

impl core::error::Error for ConfigError {}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ConfigError as E;
        match self {
            E::NoValue(p) => write!(f, "No value for the element \"{}\"", p.name()),
            E::UnknownElement => f.write_str("Element is not recognized"),
            E::InvalidValue(Some(p)) => write!(f, "Invalid value for the element \"{}\" (expected an unsigned decimal, 0x-hex or 0-octal number)", p.name()),
            E::InvalidValue(None) => f.write_str("Invalid value for the element (expected an unsigned decimal, 0x-hex or 0-octal number)"),
            E::Repeated(p) => write!(f, "Defined \"{}\" too many times", p.name()),
            E::OutOfRange(p) => write!(f, "The value of \"{}\" is out of range ({:#x}..={:#x})", p.name(), p.min(), p.max()),
            E::StackSize => f.write_str("Stack size setting is not correct (StackMaxSize and StackMinSize must be page-aligned, min <= max)"),
            E::HeapAlign => f.write_str("Heap size setting is not correct: size is not page aligned"),
            E::HeapInitAboveMax => f.write_str("Heap size setting is not correct: init value should not be larger than max value"),
            E::HeapMinAboveInit => f.write_str("Heap size setting is not correct: min value should not be larger than init value"),
            E::HeapMinAboveMax => f.write_str("Heap size setting is not correct: max value should not be smaller than min value"),
            E::ReservedAlign => f.write_str("Reserved memory size setting is not correct: size is not page aligned"),
            E::ReservedInitAboveMax => f.write_str("Reserved memory size setting is not correct: init value should not be larger than max value"),
            E::ReservedMinAboveInit => f.write_str("Reserved memory size setting is not correct: min value should not be larger than init value"),
            E::ReservedMinAboveMax => f.write_str("Reserved memory size setting is not correct: max value should not be smaller than min value"),
            E::UserRegionAlign => f.write_str("User region size setting is not correct: size is not page aligned"),
            E::HwLaunchKey => f.write_str("Conflicting setting between the 'HW' and 'LaunchKey' (both zero, or both non-zero)"),
            E::TcsMaxNum => f.write_str("Maximum number of TCS is not correct (TCSMaxNum < TCSNum)"),
            E::TcsMinPool => f.write_str("Minimum number of TCS Pool is not correct (TCSMinPool above TCSMaxNum, or TCSNum without TCSMaxNum)"),
            E::KssRequired => f.write_str("KSS must be enabled if ISVEXTPRODID or ISVFAMILYID is set"),
            E::ImageAddressWithoutElrange => f.write_str("ELRangeSize must be set when EnclaveImageAddress is set"),
            E::ElrangeStartWithoutSize => f.write_str("ELRangeSize must be set when ELRangeStartAddress is set"),
            E::BothFips => f.write_str("EnableIPPFIPS and EnableOSSLFIPS cannot be enabled at the same time"),
            E::UserRegionMisc => f.write_str("Enclave configuration 'UserRegionSize' requires MiscSelect[0] and MiscMask[0] set to 1"),
            E::OsslFipsUnsupported => f.write_str("EnableOSSLFIPS is not supported: sgx_sign appends the SDK's OpenSSL FIPS provider (lib64/fips.so of the SDK install) to the enclave, which sgx-measure does not do"),
        }
    }
}

/// `strtoull(text, &end, 0)` as glibc does it, with `sgx_sign`'s checks: no `-` anywhere, the
/// whole text consumed, no overflow. The text ends at its first NUL byte (it is a C string).
pub fn parse_value(text: &[u8]) -> Option<u64> {
    let text = match text.iter().position(|&b| b == 0) {
        Some(n) => text.get(..n).unwrap_or(text),
        None => text,
    };
    if text.contains(&b'-') {
        return None;
    }
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let mut i = text.iter().take_while(|&&b| is_space(b)).count();
    // `i` stays at most `text.len()` + 2 (a slice length, below isize::MAX): saturating adds
    // never saturate.
    if text.get(i) == Some(&b'+') {
        i = i.saturating_add(1);
    }
    let at = |k: usize| text.get(k).copied();
    let mut base = 10u64;
    if at(i) == Some(b'0') {
        if matches!(at(i.saturating_add(1)), Some(b'x' | b'X'))
            && at(i.saturating_add(2)).is_some_and(|b| b.is_ascii_hexdigit())
        {
            base = 16;
            i = i.saturating_add(2);
        } else {
            base = 8;
        }
    }
    let start = i;
    let mut value: u64 = 0;
    let mut overflow = false;
    while let Some(d) = at(i).and_then(|b| (b as char).to_digit(base as u32)) {
        match value
            .checked_mul(base)
            .and_then(|v| v.checked_add(u64::from(d)))
        {
            Some(v) => value = v,
            None => overflow = true,
        }
        i = i.saturating_add(1);
    }
    if i == start {
        // No digits: strtoull leaves the end pointer at the text's start, so the text must be
        // empty to be accepted (value 0).
        return if text.is_empty() { Some(0) } else { None };
    }
    if overflow || i != text.len() {
        return None;
    }
    Some(value)
}

/// Parameter values and which ones the configuration set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SdkConfig {
    values: [u64; Param::ALL.len()],
    set: u64,
}

impl Default for SdkConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl SdkConfig {
    /// Every parameter at its default, none set (what `sgx_sign` uses without `-config`).
    // A const fn cannot iterate; `i` runs over the array's own indices.
    #[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
    pub const fn new() -> SdkConfig {
        let mut values = [0u64; Param::ALL.len()];
        let mut i = 0;
        while i < Param::ALL.len() {
            values[i] = Param::ALL[i].default_value();
            i += 1;
        }
        SdkConfig { values, set: 0 }
    }

    /// The value in effect (the default when not set).
    pub fn get(&self, p: Param) -> u64 {
        self.values.get(p.index()).copied().unwrap_or(0)
    }

    /// Whether the configuration set `p` (some checks depend on presence, not value).
    pub fn is_set(&self, p: Param) -> bool {
        self.set & (1u64 << p.index()) != 0
    }

    /// Sets `p` as an element would: refused if already set or out of range (the parameter
    /// counts as set even when its value is out of range, as in `sgx_sign`).
    pub fn set(&mut self, p: Param, value: u64) -> Result<(), ConfigError> {
        if self.is_set(p) {
            return Err(ConfigError::Repeated(p));
        }
        self.set |= 1u64 << p.index();
        if value < p.min() || value > p.max() {
            return Err(ConfigError::OutOfRange(p));
        }
        if let Some(v) = self.values.get_mut(p.index()) {
            *v = value;
        }
        Ok(())
    }

    /// One `<Name>text</Name>` element, checked in `sgx_sign`'s order: a value must be present,
    /// be a number (checked before the name), name a parameter of `version`, not repeat, and
    /// be in range.
    pub fn apply_element(
        &mut self,
        name: &str,
        text: Option<&[u8]>,
        version: SdkVersion,
    ) -> Result<(), ConfigError> {
        let param = Param::by_name(name, version);
        let Some(text) = text else {
            return Err(match param {
                Some(p) => ConfigError::NoValue(p),
                None => ConfigError::UnknownElement,
            });
        };
        let value = parse_value(text).ok_or(ConfigError::InvalidValue(param))?;
        let param = param.ok_or(ConfigError::UnknownElement)?;
        self.set(param, value)
    }

    /// The consistency checks of `check_xml_parameter`, in its order, and the values the
    /// layout is built from.
    pub fn validate(&self) -> Result<EnclaveParams, ConfigError> {
        use ConfigError as E;
        use Param as P;
        let v = |p| self.get(p);
        let aligned = |p| v(p) % PAGE == 0;
        if !aligned(P::StackMaxSize) || !aligned(P::StackMinSize) {
            return Err(E::StackSize);
        }
        if v(P::StackMinSize) > v(P::StackMaxSize) {
            return Err(E::StackSize);
        }
        if !aligned(P::HeapMaxSize) || !aligned(P::HeapMinSize) || !aligned(P::HeapInitSize) {
            return Err(E::HeapAlign);
        }
        if self.is_set(P::HeapInitSize) {
            if v(P::HeapInitSize) > v(P::HeapMaxSize) {
                return Err(E::HeapInitAboveMax);
            }
            if v(P::HeapMinSize) > v(P::HeapInitSize) {
                return Err(E::HeapMinAboveInit);
            }
        } else if v(P::HeapMinSize) > v(P::HeapMaxSize) {
            return Err(E::HeapMinAboveMax);
        }
        if !aligned(P::ReservedMemMaxSize)
            || !aligned(P::ReservedMemMinSize)
            || !aligned(P::ReservedMemInitSize)
        {
            return Err(E::ReservedAlign);
        }
        if self.is_set(P::ReservedMemInitSize) {
            if v(P::ReservedMemInitSize) > v(P::ReservedMemMaxSize) {
                return Err(E::ReservedInitAboveMax);
            }
            if v(P::ReservedMemMinSize) > v(P::ReservedMemInitSize) {
                return Err(E::ReservedMinAboveInit);
            }
        } else if v(P::ReservedMemMinSize) > v(P::ReservedMemMaxSize) {
            return Err(E::ReservedMinAboveMax);
        }
        // (ReservedMemExecutable outside 0/1 is already out of range.)
        if !aligned(P::UserRegionSize) {
            return Err(E::UserRegionAlign);
        }
        // A launch enclave has HW != 0 and LaunchKey = 1; any other enclave has both zero.
        if (v(P::Hw) == 0) != (v(P::LaunchKey) == 0) {
            return Err(E::HwLaunchKey);
        }
        if self.is_set(P::TcsMaxNum) {
            if v(P::TcsMaxNum) < v(P::TcsNum) {
                return Err(E::TcsMaxNum);
            }
            if self.is_set(P::TcsMinPool) && v(P::TcsMinPool) > v(P::TcsMaxNum) {
                return Err(E::TcsMinPool);
            }
        } else if self.is_set(P::TcsMinPool) && v(P::TcsMinPool) > v(P::TcsNum) {
            return Err(E::TcsMinPool);
        }
        let kss_ids = [
            P::IsvExtProdIdH,
            P::IsvExtProdIdL,
            P::IsvFamilyIdH,
            P::IsvFamilyIdL,
        ];
        if kss_ids.iter().any(|&p| v(p) != 0) && v(P::EnableKss) == 0 {
            return Err(E::KssRequired);
        }
        if self.is_set(P::EnclaveImageAddress) && !self.is_set(P::ElRangeSize) {
            return Err(E::ImageAddressWithoutElrange);
        }
        if self.is_set(P::ElRangeStartAddress) && !self.is_set(P::ElRangeSize) {
            return Err(E::ElrangeStartWithoutSize);
        }
        if self.is_set(P::EnableIppFips)
            && self.is_set(P::EnableOsslFips)
            && v(P::EnableIppFips) != 0
            && v(P::EnableOsslFips) != 0
        {
            return Err(E::BothFips);
        }
        if v(P::EnableOsslFips) != 0 {
            return Err(E::OsslFipsUnsupported);
        }
        let pick = |init: Param, max: Param| {
            if self.is_set(init) { v(init) } else { v(max) }
        };
        Ok(EnclaveParams {
            heap_min: v(P::HeapMinSize),
            heap_init: pick(P::HeapInitSize, P::HeapMaxSize),
            heap_max: v(P::HeapMaxSize),
            rsrv_min: v(P::ReservedMemMinSize),
            rsrv_init: pick(P::ReservedMemInitSize, P::ReservedMemMaxSize),
            rsrv_max: v(P::ReservedMemMaxSize),
            rsrv_executable: self.is_set(P::ReservedMemExecutable)
                && v(P::ReservedMemExecutable) != 0,
            user_region_size: v(P::UserRegionSize),
            stack_max: v(P::StackMaxSize),
            stack_min: v(P::StackMinSize),
            // The thread counts are 32-bit in `sgx_sign` (their ranges guarantee it).
            tcs_num: v(P::TcsNum) as u32,
            tcs_max_num: if self.is_set(P::TcsMaxNum) {
                v(P::TcsMaxNum) as u32
            } else {
                v(P::TcsNum) as u32
            },
            tcs_min_pool: v(P::TcsMinPool) as u32,
            tcs_policy: v(P::TcsPolicy) as u32,
            ipp_fips: v(P::EnableIppFips) != 0,
        })
    }
}

/// The values the layout is built from (`create_param_t` after `check_xml_parameter`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnclaveParams {
    /// Heap pages added and measured (EADD) at load.
    pub heap_min: u64,
    /// Heap size at load: `HeapInitSize`, or `HeapMaxSize` when absent.
    pub heap_init: u64,
    /// Heap maximum (the pages above `heap_init` are added later, not measured).
    pub heap_max: u64,
    /// Reserved memory minimum.
    pub rsrv_min: u64,
    /// Reserved memory at load: `ReservedMemInitSize`, or the maximum when absent.
    pub rsrv_init: u64,
    /// Reserved memory maximum.
    pub rsrv_max: u64,
    /// `ReservedMemExecutable`.
    pub rsrv_executable: bool,
    /// `UserRegionSize`.
    pub user_region_size: u64,
    /// `StackMaxSize`.
    pub stack_max: u64,
    /// `StackMinSize`.
    pub stack_min: u64,
    /// `TCSNum`: threads whose context is added at load.
    pub tcs_num: u32,
    /// `TCSMaxNum` (default `TCSNum`).
    pub tcs_max_num: u32,
    /// `TCSMinPool`.
    pub tcs_min_pool: u32,
    /// `TCSPolicy`.
    pub tcs_policy: u32,
    /// `EnableIPPFIPS` (2.25+), or 2.24's `-enable-fips`: a FIPS signature in the metadata
    /// (and, from 2.25, `g_global_data.fips_on`).
    pub ipp_fips: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtoull_rules() {
        assert_eq!(parse_value(b"0"), Some(0));
        assert_eq!(parse_value(b"10"), Some(10));
        assert_eq!(parse_value(b"010"), Some(8));
        assert_eq!(parse_value(b"0x10"), Some(16));
        assert_eq!(parse_value(b"0X1f"), Some(31));
        assert_eq!(parse_value(b" \n\t 7"), Some(7));
        assert_eq!(parse_value(b"+7"), Some(7));
        assert_eq!(parse_value(b"7 "), None);
        assert_eq!(parse_value(b"-1"), None);
        assert_eq!(parse_value(b"1-"), None);
        assert_eq!(parse_value(b"08"), None);
        assert_eq!(parse_value(b"0x"), None);
        assert_eq!(parse_value(b"0xg"), None);
        assert_eq!(parse_value(b"  "), None);
        assert_eq!(parse_value(b""), Some(0));
        assert_eq!(parse_value(b"5\0junk"), Some(5));
        assert_eq!(parse_value(b"\0"), Some(0));
        assert_eq!(parse_value(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_value(b"18446744073709551616"), None);
        assert_eq!(parse_value(b"0xffffffffffffffff"), Some(u64::MAX));
        assert_eq!(parse_value(b"0x10000000000000000"), None);
        assert_eq!(parse_value(b"++1"), None);
        assert_eq!(parse_value(b"1.5"), None);
    }

    #[test]
    fn element_checks_in_order() {
        let v = SdkVersion::V2_26;
        let mut c = SdkConfig::new();
        assert_eq!(
            c.apply_element("Bogus", Some(b"x"), v),
            Err(ConfigError::InvalidValue(None))
        );
        assert_eq!(
            c.apply_element("Bogus", Some(b"1"), v),
            Err(ConfigError::UnknownElement)
        );
        assert_eq!(
            c.apply_element("ProdID", None, v),
            Err(ConfigError::NoValue(Param::ProdId))
        );
        assert_eq!(
            c.apply_element("ProdID", Some(b"0x10000"), v),
            Err(ConfigError::OutOfRange(Param::ProdId))
        );
        assert_eq!(
            c.apply_element("ProdID", Some(b"1"), v),
            Err(ConfigError::Repeated(Param::ProdId))
        );
        assert_eq!(
            c.apply_element("EnableIPPFIPS", Some(b"1"), SdkVersion::V2_22),
            Err(ConfigError::UnknownElement)
        );
        assert_eq!(
            c.apply_element("prodid", Some(b"1"), v),
            Err(ConfigError::UnknownElement)
        );
    }

    #[test]
    fn defaults_validate() {
        let p = SdkConfig::new().validate().unwrap();
        assert_eq!(
            (p.heap_min, p.heap_init, p.heap_max),
            (0x1000, 0x100_0000, 0x100_0000)
        );
        assert_eq!((p.stack_min, p.stack_max), (0x2000, 0x40000));
        assert_eq!(
            (p.tcs_num, p.tcs_max_num, p.tcs_min_pool, p.tcs_policy),
            (1, 1, 1, 1)
        );
    }
}
