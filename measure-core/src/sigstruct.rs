//! The SGX enclave signature structure (SIGSTRUCT, Intel SDM vol. 3D, "Enclave Signature
//! Structure"), as Gramine's `graminelibos.Sigstruct` writes and reads it.
//!
//! A SIGSTRUCT is always [`SIGSTRUCT_SIZE`] (1808) bytes. [`Sigstruct`] holds every field, reserved
//! bytes included, so that [`Sigstruct::parse`] followed by [`Sigstruct::to_bytes`] gives back the
//! input exactly. Parsing never allocates and never panics.
//!
//! What Gramine signs ([`Sigstruct::signing_data`]) is bytes `0..128` (header, vendor, date,
//! header2, swdefined, reserved) followed by bytes `900..1028` (MISCSELECT ... ISVSVN): 256 bytes,
//! hashed with SHA-256 and signed with RSA-3072 PKCS#1 v1.5, public exponent 3. The modulus,
//! signature, Q1 and Q2 are stored little-endian.
//!
//! The only field whose encoding changed between Gramine releases is DATE; see [`DateEncoding`].

use core::fmt;

use crate::attributes::EnclaveAttributes;
use crate::profile::GramineVersion;
use crate::sha256::Sha256;

/// Size of a SIGSTRUCT in bytes (`SGX_ARCH_SIGSTRUCT_SIZE`).
pub const SIGSTRUCT_SIZE: usize = 1808;

/// RSA key size in bytes (`SE_KEY_SIZE`): modulus, signature, Q1 and Q2 are this long.
pub const KEY_SIZE: usize = 384;

/// RSA key size in bits that SGX requires.
pub const KEY_BITS: usize = 3072;

/// The RSA public exponent SGX requires.
pub const EXPONENT: u32 = 3;

/// Size of [`Sigstruct::signing_data`]: 128 bytes of header and 128 bytes of body.
pub const SIGNING_DATA_SIZE: usize = 256;

/// Byte offsets of the SIGSTRUCT fields: Gramine's `SGX_ARCH_SIGSTRUCT_*` constants (v1.4+;
/// `SGX_ARCH_ENCLAVE_CSS_*` up to v1.3, same values; `testdata/profiles/gramine-v1.*.json`).
pub mod offset {
    /// HEADER (16 bytes, fixed value [`super::HEADER`]).
    pub const HEADER: usize = 0x0;
    /// VENDOR (u32; Intel = 0x8086, others 0). `MODULE_VENDOR` up to v1.3.
    pub const VENDOR: usize = 0x10;
    /// DATE (4 bytes; see [`super::DateEncoding`]).
    pub const DATE: usize = 0x14;
    /// HEADER2 (16 bytes, fixed value [`super::HEADER2`]).
    pub const HEADER2: usize = 0x18;
    /// SWDEFINED (u32). `HW_VERSION` up to v1.3.
    pub const SWDEFINED: usize = 0x28;
    /// Reserved, 84 zero bytes.
    pub const RESERVED1: usize = 0x2c;
    /// MODULUS (384 bytes, little-endian).
    pub const MODULUS: usize = 0x80;
    /// EXPONENT (u32).
    pub const EXPONENT: usize = 0x200;
    /// SIGNATURE (384 bytes, little-endian).
    pub const SIGNATURE: usize = 0x204;
    /// MISCSELECT (u32).
    pub const MISC_SELECT: usize = 0x384;
    /// MISCMASK (u32).
    pub const MISC_MASK: usize = 0x388;
    /// CET_ATTRIBUTES (u8).
    pub const CET_ATTRIBUTES: usize = 0x38c;
    /// CET_ATTRIBUTES_MASK (u8).
    pub const CET_ATTRIBUTES_MASK: usize = 0x38d;
    /// Reserved, 2 bytes.
    pub const RESERVED2: usize = 0x38e;
    /// ISVFAMILYID (16 bytes).
    pub const ISV_FAMILY_ID: usize = 0x390;
    /// ATTRIBUTES: FLAGS (u64) then XFRM (u64).
    pub const ATTRIBUTES: usize = 0x3a0;
    /// ATTRIBUTEMASK: FLAGS mask (u64) then XFRM mask (u64).
    pub const ATTRIBUTE_MASK: usize = 0x3b0;
    /// ENCLAVEHASH (MRENCLAVE, 32 bytes).
    pub const ENCLAVE_HASH: usize = 0x3c0;
    /// Reserved, 16 bytes.
    pub const RESERVED3: usize = 0x3e0;
    /// ISVEXTPRODID (16 bytes).
    pub const ISVEXT_PROD_ID: usize = 0x3f0;
    /// ISVPRODID (u16).
    pub const ISV_PROD_ID: usize = 0x400;
    /// ISVSVN (u16).
    pub const ISV_SVN: usize = 0x402;
    /// Reserved, 12 bytes.
    pub const RESERVED4: usize = 0x404;
    /// Q1 (384 bytes, little-endian).
    pub const Q1: usize = 0x410;
    /// Q2 (384 bytes, little-endian).
    pub const Q2: usize = 0x590;
    /// Start of the second signed part (MISCSELECT); it is 128 bytes long.
    pub const BODY: usize = MISC_SELECT;
    /// Length of each of the two signed parts.
    pub const SIGNED_PART_LEN: usize = 128;
}

/// The fixed HEADER value (Gramine's `Sigstruct.defaults['header']`).
pub const HEADER: [u8; 16] = [
    0x06, 0x00, 0x00, 0x00, 0xe1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// The fixed HEADER2 value (Gramine's `Sigstruct.defaults['header2']`).
pub const HEADER2: [u8; 16] = [
    0x01, 0x01, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
];

/// Which date field a [`SigstructError::MisencodedDate`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum DateField {
    Year,
    Month,
    Day,
}

impl DateField {
    /// Gramine's field name (`date_year`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            DateField::Year => "date_year",
            DateField::Month => "date_month",
            DateField::Day => "date_day",
        }
    }
}

/// Why bytes are not a SIGSTRUCT, or a date cannot be stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigstructError {
    /// The input is not 1808 bytes long (Gramine: "buffer len does not equal 1808").
    WrongLength {
        /// The length found.
        len: usize,
    },
    /// HEADER is not the fixed value (Gramine: "header value does not mach").
    BadHeader,
    /// HEADER2 is not the fixed value (Gramine: "header2 value does not mach").
    BadHeader2,
    /// A DATE field has a hex digit A-F, so it is not the decimal-digits-as-hex encoding of v1.5+
    /// (Gramine: "Misencoded date_year in SIGSTRUCT!"). SIGSTRUCTs written by v1.4 and older store
    /// the date in binary and usually fail this check.
    MisencodedDate(DateField),
    /// A date with a year above 9999 or a month or day above 99 cannot be stored with the v1.5+
    /// encoding (Gramine accepts only `YYYY-MM-DD`).
    DateOutOfRange,
}

impl core::error::Error for SigstructError {}

impl fmt::Display for SigstructError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SigstructError::WrongLength { len } => write!(
                f,
                "not a SIGSTRUCT: {len} bytes instead of {SIGSTRUCT_SIZE} (buffer len does not equal {SIGSTRUCT_SIZE})"
            ),
            SigstructError::BadHeader => {
                f.write_str("not a SIGSTRUCT: HEADER (bytes 0..16) does not have the fixed value")
            }
            SigstructError::BadHeader2 => {
                f.write_str("not a SIGSTRUCT: HEADER2 (bytes 24..40) does not have the fixed value")
            }
            SigstructError::MisencodedDate(field) => write!(
                f,
                "Misencoded {} in SIGSTRUCT (a hex digit A-F where Gramine v1.5+ stores decimal digits; a SIGSTRUCT from Gramine v1.4 or older stores the date in binary)",
                field.name()
            ),
            SigstructError::DateOutOfRange => f.write_str(
                "date out of range (year must be at most 9999, month and day at most 99)",
            ),
        }
    }
}

/// The SIGSTRUCT DATE as Gramine takes it from `--date YYYY-MM-DD`: any digits, not necessarily a
/// real date (`0000-00-00` is accepted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SigDate {
    /// Year (0..=9999 for dates Gramine can write).
    pub year: u16,
    /// Month (0..=99 for dates Gramine can write).
    pub month: u8,
    /// Day (0..=99 for dates Gramine can write).
    pub day: u8,
}

impl SigDate {
    /// A date; `None` unless year <= 9999, month <= 99 and day <= 99 (what `\d{4}-\d{2}-\d{2}`
    /// can express).
    pub const fn new(year: u16, month: u8, day: u8) -> Option<SigDate> {
        if year > 9999 || month > 99 || day > 99 {
            None
        } else {
            Some(SigDate { year, month, day })
        }
    }

    /// Parses `YYYY-MM-DD` with exactly 4, 2 and 2 ASCII digits (Gramine's `BCDDateParamType`
    /// regex; the date need not exist). `"today"` is handled by the caller, which knows the clock.
    pub fn parse(s: &str) -> Option<SigDate> {
        let b = s.as_bytes();
        let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *b else {
            return None;
        };
        let num = |digits: &[u8]| -> Option<u16> {
            let mut v: u16 = 0;
            for &c in digits {
                let digit = c.checked_sub(b'0').filter(|d| *d <= 9)?;
                v = v.checked_mul(10)?.checked_add(u16::from(digit))?;
            }
            Some(v)
        };
        let year = num(&[y0, y1, y2, y3])?;
        let month = u8::try_from(num(&[m0, m1])?).ok()?;
        let day = u8::try_from(num(&[d0, d1])?).ok()?;
        SigDate::new(year, month, day)
    }
}

impl fmt::Display for SigDate {
    /// `YYYY-MM-DD` (what `gramine-sgx-sigstruct-view` prints from v1.6 on).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// How the DATE field (bytes `0x14..0x18`) stores the date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateEncoding {
    /// Gramine v1.0 to v1.4: plain binary, `year` as u16 LE at `0x14`, `month` at `0x16`, `day`
    /// at `0x17` (2026-01-01 is `ea 07 01 01`).
    Binary,
    /// Gramine v1.5 and later (commit "Fix wrong format of `SIGSTRUCT.DATE`", following the SDM's
    /// `yyyymmdd` in hex and Intel's SDK): the decimal digits are written as hex digits ("BCD"),
    /// `day` at `0x14`, `month` at `0x15`, `year` as u16 LE at `0x16` (2026-01-01 is
    /// `01 01 26 20`).
    Bcd,
}

impl DateEncoding {
    /// The encoding that `gramine-sgx-sign` of `version` writes (its rules row's
    /// `signer.date`).
    pub const fn for_version(version: GramineVersion) -> DateEncoding {
        version.rules().signer.date
    }

    /// The four DATE bytes for `date`.
    pub fn encode(self, date: SigDate) -> Result<[u8; 4], SigstructError> {
        match self {
            DateEncoding::Binary => {
                let [y0, y1] = date.year.to_le_bytes();
                Ok([y0, y1, date.month, date.day])
            }
            DateEncoding::Bcd => {
                if SigDate::new(date.year, date.month, date.day).is_none() {
                    return Err(SigstructError::DateOutOfRange);
                }
                let [y0, y1] = to_bcd(date.year).to_le_bytes();
                let [d, _] = to_bcd(u16::from(date.day)).to_le_bytes();
                let [m, _] = to_bcd(u16::from(date.month)).to_le_bytes();
                Ok([d, m, y0, y1])
            }
        }
    }

    /// The date stored in the four DATE bytes.
    pub fn decode(self, bytes: [u8; 4]) -> Result<SigDate, SigstructError> {
        match self {
            DateEncoding::Binary => {
                let [y0, y1, month, day] = bytes;
                Ok(SigDate {
                    year: u16::from_le_bytes([y0, y1]),
                    month,
                    day,
                })
            }
            DateEncoding::Bcd => {
                let [d, m, y0, y1] = bytes;
                // Gramine's order of checks: year, month, day.
                let year = from_bcd(u16::from_le_bytes([y0, y1]))
                    .ok_or(SigstructError::MisencodedDate(DateField::Year))?;
                let month = from_bcd(u16::from(m))
                    .ok_or(SigstructError::MisencodedDate(DateField::Month))?;
                let day =
                    from_bcd(u16::from(d)).ok_or(SigstructError::MisencodedDate(DateField::Day))?;
                Ok(SigDate {
                    year,
                    month: u8::try_from(month).unwrap_or(u8::MAX),
                    day: u8::try_from(day).unwrap_or(u8::MAX),
                })
            }
        }
    }
}

/// `int(f'{value}', 16)` for `value <= 9999`.
fn to_bcd(mut value: u16) -> u16 {
    let mut out = 0u16;
    for shift in [0u32, 4, 8, 12] {
        out |= (value % 10) << shift;
        value /= 10;
    }
    out
}

/// `int(f'{value:x}')`: `None` if a hex digit is above 9.
fn from_bcd(value: u16) -> Option<u16> {
    let mut out = 0u16;
    for shift in [12u32, 8, 4, 0] {
        let digit = (value >> shift) & 0xf;
        if digit > 9 {
            return None;
        }
        out = out.checked_mul(10)?.checked_add(digit)?;
    }
    Some(out)
}

/// A SIGSTRUCT, every field (reserved ones included) as stored.
///
/// Integers are host values (stored little-endian); the RSA numbers are the stored little-endian
/// byte strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sigstruct {
    /// HEADER ([`HEADER`] in a valid SIGSTRUCT).
    pub header: [u8; 16],
    /// VENDOR (Gramine writes 0).
    pub vendor: u32,
    /// The DATE bytes as stored (decode them with [`Sigstruct::date`]).
    pub date: [u8; 4],
    /// HEADER2 ([`HEADER2`] in a valid SIGSTRUCT).
    pub header2: [u8; 16],
    /// SWDEFINED (Gramine writes 0).
    pub swdefined: u32,
    /// Reserved bytes `0x2c..0x80`.
    pub reserved1: [u8; 84],
    /// MODULUS, little-endian.
    pub modulus: [u8; KEY_SIZE],
    /// EXPONENT (3).
    pub exponent: u32,
    /// SIGNATURE, little-endian.
    pub signature: [u8; KEY_SIZE],
    /// MISCSELECT.
    pub misc_select: u32,
    /// MISCMASK.
    pub misc_mask: u32,
    /// CET_ATTRIBUTES (Gramine writes 0).
    pub cet_attributes: u8,
    /// CET_ATTRIBUTES_MASK (Gramine writes 0).
    pub cet_attributes_mask: u8,
    /// Reserved bytes `0x38e..0x390`.
    pub reserved2: [u8; 2],
    /// ISVFAMILYID (Gramine writes zeros).
    pub isv_family_id: [u8; 16],
    /// ATTRIBUTES.FLAGS.
    pub attribute_flags: u64,
    /// ATTRIBUTES.XFRM.
    pub attribute_xfrm: u64,
    /// ATTRIBUTEMASK.FLAGS.
    pub attribute_flags_mask: u64,
    /// ATTRIBUTEMASK.XFRM.
    pub attribute_xfrm_mask: u64,
    /// ENCLAVEHASH (MRENCLAVE).
    pub enclave_hash: [u8; 32],
    /// Reserved bytes `0x3e0..0x3f0`.
    pub reserved3: [u8; 16],
    /// ISVEXTPRODID (Gramine writes zeros).
    pub isvext_prod_id: [u8; 16],
    /// ISVPRODID.
    pub isv_prod_id: u16,
    /// ISVSVN.
    pub isv_svn: u16,
    /// Reserved bytes `0x404..0x410`.
    pub reserved4: [u8; 12],
    /// Q1, little-endian.
    pub q1: [u8; KEY_SIZE],
    /// Q2, little-endian.
    pub q2: [u8; KEY_SIZE],
}

/// `N` bytes of `bytes` at `at`, if present.
fn get<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..)?.first_chunk::<N>().copied()
}

/// Writes `value` at `at` (nothing if it does not fit, which the constant offsets rule out).
fn put(buf: &mut [u8], at: usize, value: &[u8]) {
    if let Some(dst) = at
        .checked_add(value.len())
        .and_then(|end| buf.get_mut(at..end))
    {
        dst.copy_from_slice(value);
    }
}

impl Sigstruct {
    /// An all-zero structure with the fixed headers: Gramine's `Sigstruct()` before any field is
    /// set, minus the masks.
    pub const fn empty() -> Sigstruct {
        Sigstruct {
            header: HEADER,
            vendor: 0,
            date: [0; 4],
            header2: HEADER2,
            swdefined: 0,
            reserved1: [0; 84],
            modulus: [0; KEY_SIZE],
            exponent: 0,
            signature: [0; KEY_SIZE],
            misc_select: 0,
            misc_mask: 0,
            cet_attributes: 0,
            cet_attributes_mask: 0,
            reserved2: [0; 2],
            isv_family_id: [0; 16],
            attribute_flags: 0,
            attribute_xfrm: 0,
            attribute_flags_mask: 0,
            attribute_xfrm_mask: 0,
            enclave_hash: [0; 32],
            reserved3: [0; 16],
            isvext_prod_id: [0; 16],
            isv_prod_id: 0,
            isv_svn: 0,
            reserved4: [0; 12],
            q1: [0; KEY_SIZE],
            q2: [0; KEY_SIZE],
        }
    }

    /// The to-be-signed SIGSTRUCT that `get_tbssigstruct` of `version` builds: fixed headers,
    /// vendor and swdefined 0, the date in the version's [`DateEncoding`], MRENCLAVE, ISV values,
    /// attributes and masks. The signature fields (modulus, exponent, signature, Q1, Q2) are zero.
    pub fn unsigned(
        attributes: &EnclaveAttributes,
        mrenclave: [u8; 32],
        date: SigDate,
        version: GramineVersion,
    ) -> Result<Sigstruct, SigstructError> {
        let mut s = Sigstruct::empty();
        s.date = DateEncoding::for_version(version).encode(date)?;
        s.enclave_hash = mrenclave;
        s.isv_prod_id = attributes.isv_prod_id;
        s.isv_svn = attributes.isv_svn;
        s.attribute_flags = attributes.flags;
        s.attribute_xfrm = attributes.xfrm;
        s.misc_select = attributes.misc_select;
        s.attribute_flags_mask = attributes.flags_mask;
        s.attribute_xfrm_mask = attributes.xfrm_mask;
        s.misc_mask = attributes.misc_mask;
        Ok(s)
    }

    /// Reads a SIGSTRUCT as Gramine's `Sigstruct.from_bytes` does, minus the date check: the
    /// length must be 1808 and both headers must have their fixed values. Nothing else is
    /// validated (use [`Sigstruct::date`] for the date, and a verifier for the signature).
    pub fn parse(bytes: &[u8]) -> Result<Sigstruct, SigstructError> {
        if bytes.len() != SIGSTRUCT_SIZE {
            return Err(SigstructError::WrongLength { len: bytes.len() });
        }
        let s =
            Self::parse_unchecked(bytes).ok_or(SigstructError::WrongLength { len: bytes.len() })?;
        if s.header != HEADER {
            return Err(SigstructError::BadHeader);
        }
        if s.header2 != HEADER2 {
            return Err(SigstructError::BadHeader2);
        }
        Ok(s)
    }

    /// [`Sigstruct::parse`] plus the date check of Gramine v1.5+'s `from_bytes` (what
    /// `gramine-sgx-sigstruct-view` runs): fails with [`SigstructError::MisencodedDate`] if a date
    /// field has a hex digit A-F.
    pub fn parse_strict(bytes: &[u8]) -> Result<Sigstruct, SigstructError> {
        let s = Self::parse(bytes)?;
        s.date(DateEncoding::Bcd)?;
        Ok(s)
    }

    /// Reads every field of 1808 bytes without checking anything (the SGX SDK's
    /// `enclave_css_t` keeps its `type` word in bytes 12..16 of what is here the header, so an
    /// SDK debug enclave's SIGSTRUCT does not pass [`Sigstruct::parse`]'s header check).
    pub fn from_bytes_unchecked(bytes: &[u8; SIGSTRUCT_SIZE]) -> Sigstruct {
        Self::parse_unchecked(bytes).unwrap_or(Sigstruct::empty())
    }

    fn parse_unchecked(b: &[u8]) -> Option<Sigstruct> {
        use offset as o;
        let u16_at = |at| get::<2>(b, at).map(u16::from_le_bytes);
        let u32_at = |at| get::<4>(b, at).map(u32::from_le_bytes);
        let u64_at = |at| get::<8>(b, at).map(u64::from_le_bytes);
        Some(Sigstruct {
            header: get(b, o::HEADER)?,
            vendor: u32_at(o::VENDOR)?,
            date: get(b, o::DATE)?,
            header2: get(b, o::HEADER2)?,
            swdefined: u32_at(o::SWDEFINED)?,
            reserved1: get(b, o::RESERVED1)?,
            modulus: get(b, o::MODULUS)?,
            exponent: u32_at(o::EXPONENT)?,
            signature: get(b, o::SIGNATURE)?,
            misc_select: u32_at(o::MISC_SELECT)?,
            misc_mask: u32_at(o::MISC_MASK)?,
            cet_attributes: get::<1>(b, o::CET_ATTRIBUTES).map(u8::from_le_bytes)?,
            cet_attributes_mask: get::<1>(b, o::CET_ATTRIBUTES_MASK).map(u8::from_le_bytes)?,
            reserved2: get(b, o::RESERVED2)?,
            isv_family_id: get(b, o::ISV_FAMILY_ID)?,
            attribute_flags: u64_at(o::ATTRIBUTES)?,
            attribute_xfrm: u64_at(o::ATTRIBUTES + 8)?,
            attribute_flags_mask: u64_at(o::ATTRIBUTE_MASK)?,
            attribute_xfrm_mask: u64_at(o::ATTRIBUTE_MASK + 8)?,
            enclave_hash: get(b, o::ENCLAVE_HASH)?,
            reserved3: get(b, o::RESERVED3)?,
            isvext_prod_id: get(b, o::ISVEXT_PROD_ID)?,
            isv_prod_id: u16_at(o::ISV_PROD_ID)?,
            isv_svn: u16_at(o::ISV_SVN)?,
            reserved4: get(b, o::RESERVED4)?,
            q1: get(b, o::Q1)?,
            q2: get(b, o::Q2)?,
        })
    }

    /// The 1808 bytes.
    pub fn to_bytes(&self) -> [u8; SIGSTRUCT_SIZE] {
        use offset as o;
        let mut b = [0u8; SIGSTRUCT_SIZE];
        put(&mut b, o::HEADER, &self.header);
        put(&mut b, o::VENDOR, &self.vendor.to_le_bytes());
        put(&mut b, o::DATE, &self.date);
        put(&mut b, o::HEADER2, &self.header2);
        put(&mut b, o::SWDEFINED, &self.swdefined.to_le_bytes());
        put(&mut b, o::RESERVED1, &self.reserved1);
        put(&mut b, o::MODULUS, &self.modulus);
        put(&mut b, o::EXPONENT, &self.exponent.to_le_bytes());
        put(&mut b, o::SIGNATURE, &self.signature);
        put(&mut b, o::MISC_SELECT, &self.misc_select.to_le_bytes());
        put(&mut b, o::MISC_MASK, &self.misc_mask.to_le_bytes());
        put(&mut b, o::CET_ATTRIBUTES, &[self.cet_attributes]);
        put(&mut b, o::CET_ATTRIBUTES_MASK, &[self.cet_attributes_mask]);
        put(&mut b, o::RESERVED2, &self.reserved2);
        put(&mut b, o::ISV_FAMILY_ID, &self.isv_family_id);
        put(&mut b, o::ATTRIBUTES, &self.attribute_flags.to_le_bytes());
        put(
            &mut b,
            o::ATTRIBUTES + 8,
            &self.attribute_xfrm.to_le_bytes(),
        );
        put(
            &mut b,
            o::ATTRIBUTE_MASK,
            &self.attribute_flags_mask.to_le_bytes(),
        );
        put(
            &mut b,
            o::ATTRIBUTE_MASK + 8,
            &self.attribute_xfrm_mask.to_le_bytes(),
        );
        put(&mut b, o::ENCLAVE_HASH, &self.enclave_hash);
        put(&mut b, o::RESERVED3, &self.reserved3);
        put(&mut b, o::ISVEXT_PROD_ID, &self.isvext_prod_id);
        put(&mut b, o::ISV_PROD_ID, &self.isv_prod_id.to_le_bytes());
        put(&mut b, o::ISV_SVN, &self.isv_svn.to_le_bytes());
        put(&mut b, o::RESERVED4, &self.reserved4);
        put(&mut b, o::Q1, &self.q1);
        put(&mut b, o::Q2, &self.q2);
        b
    }

    /// What Gramine signs (`get_signing_data`): bytes `0..128` then `900..1028`.
    pub fn signing_data(&self) -> [u8; SIGNING_DATA_SIZE] {
        let bytes = self.to_bytes();
        let mut out = [0u8; SIGNING_DATA_SIZE];
        let (head, body) = out.split_at_mut(offset::SIGNED_PART_LEN);
        if let Some(src) = bytes.get(..offset::SIGNED_PART_LEN) {
            head.copy_from_slice(src);
        }
        if let Some(src) = bytes.get(offset::BODY..offset::BODY + offset::SIGNED_PART_LEN) {
            body.copy_from_slice(src);
        }
        out
    }

    /// Rebuilds the unsigned SIGSTRUCT from [`Sigstruct::signing_data`] (the fields outside the
    /// signed parts are the signature fields and reserved bytes 1028..1040, set to zero).
    pub fn from_signing_data(data: &[u8]) -> Result<Sigstruct, SigstructError> {
        if data.len() != SIGNING_DATA_SIZE {
            return Err(SigstructError::WrongLength { len: data.len() });
        }
        let mut bytes = [0u8; SIGSTRUCT_SIZE];
        let (head, body) = data.split_at(offset::SIGNED_PART_LEN);
        put(&mut bytes, 0, head);
        put(&mut bytes, offset::BODY, body);
        Self::parse(&bytes)
    }

    /// The date, decoded with `encoding`.
    pub fn date(&self, encoding: DateEncoding) -> Result<SigDate, SigstructError> {
        encoding.decode(self.date)
    }

    /// MRSIGNER: SHA-256 of the modulus as stored (384 bytes, little-endian).
    pub fn mrsigner(&self) -> [u8; 32] {
        Sha256::digest(&self.modulus)
    }

    /// Whether ATTRIBUTES.FLAGS has the DEBUG bit (what `sigstruct-view` prints as
    /// `debug_enclave`).
    pub const fn is_debug(&self) -> bool {
        self.attribute_flags & crate::attributes::FLAGS_DEBUG != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Sigstruct {
        let mut s = Sigstruct::empty();
        s.vendor = 0x1111_1111;
        s.date = [1, 2, 3, 4];
        s.swdefined = 0x2222_2222;
        s.reserved1 = [0x33; 84];
        s.modulus = [0x44; KEY_SIZE];
        s.exponent = 0x5555_5555;
        s.signature = [0x66; KEY_SIZE];
        s.misc_select = 0x7777_7777;
        s.misc_mask = 0x8888_8888;
        s.cet_attributes = 0x99;
        s.cet_attributes_mask = 0xaa;
        s.reserved2 = [0xbb; 2];
        s.isv_family_id = [0xcc; 16];
        s.attribute_flags = 0xdddd_dddd_dddd_dddd;
        s.attribute_xfrm = 0xeeee_eeee_eeee_eeee;
        s.attribute_flags_mask = 0x1212_1212_1212_1212;
        s.attribute_xfrm_mask = 0x1313_1313_1313_1313;
        s.enclave_hash = [0x14; 32];
        s.reserved3 = [0x15; 16];
        s.isvext_prod_id = [0x16; 16];
        s.isv_prod_id = 0x1717;
        s.isv_svn = 0x1818;
        s.reserved4 = [0x19; 12];
        s.q1 = [0x1a; KEY_SIZE];
        s.q2 = [0x1b; KEY_SIZE];
        s
    }

    #[test]
    fn size_and_offsets() {
        use offset as o;
        assert_eq!(SIGSTRUCT_SIZE, 0x710);
        // Each field ends where the next begins; the last ends at the size.
        let layout: [(usize, usize); 27] = [
            (o::HEADER, 16),
            (o::VENDOR, 4),
            (o::DATE, 4),
            (o::HEADER2, 16),
            (o::SWDEFINED, 4),
            (o::RESERVED1, 84),
            (o::MODULUS, 384),
            (o::EXPONENT, 4),
            (o::SIGNATURE, 384),
            (o::MISC_SELECT, 4),
            (o::MISC_MASK, 4),
            (o::CET_ATTRIBUTES, 1),
            (o::CET_ATTRIBUTES_MASK, 1),
            (o::RESERVED2, 2),
            (o::ISV_FAMILY_ID, 16),
            (o::ATTRIBUTES, 8),
            (o::ATTRIBUTES + 8, 8),
            (o::ATTRIBUTE_MASK, 8),
            (o::ATTRIBUTE_MASK + 8, 8),
            (o::ENCLAVE_HASH, 32),
            (o::RESERVED3, 16),
            (o::ISVEXT_PROD_ID, 16),
            (o::ISV_PROD_ID, 2),
            (o::ISV_SVN, 2),
            (o::RESERVED4, 12),
            (o::Q1, 384),
            (o::Q2, 384),
        ];
        let mut at = 0;
        for (off, len) in layout {
            assert_eq!(off, at, "field at {off:#x}");
            at += len;
        }
        assert_eq!(at, SIGSTRUCT_SIZE);
        // The SDM / Gramine values.
        assert_eq!(
            [
                o::HEADER,
                o::VENDOR,
                o::DATE,
                o::HEADER2,
                o::SWDEFINED,
                o::MODULUS,
                o::EXPONENT,
                o::SIGNATURE,
                o::MISC_SELECT,
                o::MISC_MASK,
                o::CET_ATTRIBUTES,
                o::CET_ATTRIBUTES_MASK,
                o::ISV_FAMILY_ID,
                o::ATTRIBUTES,
                o::ATTRIBUTE_MASK,
                o::ENCLAVE_HASH,
                o::ISVEXT_PROD_ID,
                o::ISV_PROD_ID,
                o::ISV_SVN,
                o::Q1,
                o::Q2
            ],
            [
                0, 16, 20, 24, 40, 128, 512, 516, 900, 904, 908, 909, 912, 928, 944, 960, 1008,
                1024, 1026, 1040, 1424
            ]
        );
        assert_eq!(o::BODY + o::SIGNED_PART_LEN, 1028);
    }

    #[test]
    fn every_field_lands_at_its_offset() {
        use offset as o;
        let s = sample();
        let b = s.to_bytes();
        assert_eq!(&b[o::HEADER..][..16], &HEADER);
        assert_eq!(&b[o::VENDOR..][..4], &[0x11; 4]);
        assert_eq!(&b[o::DATE..][..4], &[1, 2, 3, 4]);
        assert_eq!(&b[o::HEADER2..][..16], &HEADER2);
        assert_eq!(&b[o::SWDEFINED..][..4], &[0x22; 4]);
        assert_eq!(&b[o::RESERVED1..][..84], &[0x33; 84]);
        assert_eq!(&b[o::MODULUS..][..384], &[0x44; 384]);
        assert_eq!(&b[o::EXPONENT..][..4], &[0x55; 4]);
        assert_eq!(&b[o::SIGNATURE..][..384], &[0x66; 384]);
        assert_eq!(&b[o::MISC_SELECT..][..4], &[0x77; 4]);
        assert_eq!(&b[o::MISC_MASK..][..4], &[0x88; 4]);
        assert_eq!(b[o::CET_ATTRIBUTES], 0x99);
        assert_eq!(b[o::CET_ATTRIBUTES_MASK], 0xaa);
        assert_eq!(&b[o::RESERVED2..][..2], &[0xbb; 2]);
        assert_eq!(&b[o::ISV_FAMILY_ID..][..16], &[0xcc; 16]);
        assert_eq!(&b[o::ATTRIBUTES..][..8], &[0xdd; 8]);
        assert_eq!(&b[o::ATTRIBUTES + 8..][..8], &[0xee; 8]);
        assert_eq!(&b[o::ATTRIBUTE_MASK..][..8], &[0x12; 8]);
        assert_eq!(&b[o::ATTRIBUTE_MASK + 8..][..8], &[0x13; 8]);
        assert_eq!(&b[o::ENCLAVE_HASH..][..32], &[0x14; 32]);
        assert_eq!(&b[o::RESERVED3..][..16], &[0x15; 16]);
        assert_eq!(&b[o::ISVEXT_PROD_ID..][..16], &[0x16; 16]);
        assert_eq!(&b[o::ISV_PROD_ID..][..2], &[0x17; 2]);
        assert_eq!(&b[o::ISV_SVN..][..2], &[0x18; 2]);
        assert_eq!(&b[o::RESERVED4..][..12], &[0x19; 12]);
        assert_eq!(&b[o::Q1..][..384], &[0x1a; 384]);
        assert_eq!(&b[o::Q2..][..384], &[0x1b; 384]);
        assert_eq!(Sigstruct::parse(&b), Ok(s));
    }

    #[test]
    fn signing_data_is_header_and_body() {
        let s = sample();
        let b = s.to_bytes();
        let d = s.signing_data();
        assert_eq!(&d[..128], &b[..128]);
        assert_eq!(&d[128..], &b[900..1028]);
        let mut unsigned = s;
        unsigned.modulus = [0; KEY_SIZE];
        unsigned.exponent = 0;
        unsigned.signature = [0; KEY_SIZE];
        unsigned.reserved4 = [0; 12];
        unsigned.q1 = [0; KEY_SIZE];
        unsigned.q2 = [0; KEY_SIZE];
        assert_eq!(Sigstruct::from_signing_data(&d), Ok(unsigned));
        assert_eq!(
            Sigstruct::from_signing_data(&d[1..]),
            Err(SigstructError::WrongLength { len: 255 })
        );
    }

    #[test]
    fn parse_errors() {
        let b = sample().to_bytes();
        assert_eq!(
            Sigstruct::parse(&b[..1807]),
            Err(SigstructError::WrongLength { len: 1807 })
        );
        assert_eq!(
            Sigstruct::parse(&[]),
            Err(SigstructError::WrongLength { len: 0 })
        );
        let mut long = [0u8; 1809];
        long[..1808].copy_from_slice(&b);
        assert_eq!(
            Sigstruct::parse(&long),
            Err(SigstructError::WrongLength { len: 1809 })
        );
        let mut bad = b;
        bad[5] ^= 1;
        assert_eq!(Sigstruct::parse(&bad), Err(SigstructError::BadHeader));
        let mut bad = b;
        bad[39] ^= 0x80;
        assert_eq!(Sigstruct::parse(&bad), Err(SigstructError::BadHeader2));
    }

    #[test]
    fn date_encodings() {
        let d = SigDate::parse("2026-01-01").unwrap();
        assert_eq!(
            d,
            SigDate {
                year: 2026,
                month: 1,
                day: 1
            }
        );
        assert_eq!(DateEncoding::Bcd.encode(d), Ok([0x01, 0x01, 0x26, 0x20]));
        assert_eq!(DateEncoding::Binary.encode(d), Ok([0xea, 0x07, 0x01, 0x01]));
        for enc in [DateEncoding::Bcd, DateEncoding::Binary] {
            assert_eq!(enc.decode(enc.encode(d).unwrap()), Ok(d));
        }
        let zero = SigDate::parse("0000-00-00").unwrap();
        assert_eq!(DateEncoding::Bcd.encode(zero), Ok([0; 4]));
        let odd = SigDate::parse("9999-99-99").unwrap();
        assert_eq!(DateEncoding::Bcd.encode(odd), Ok([0x99, 0x99, 0x99, 0x99]));
        assert_eq!(DateEncoding::Bcd.decode([0x99; 4]), Ok(odd));
        // A v1.4 (binary) date read with the v1.5+ rule: year 0x0101 and month 0x07 pass, the
        // day byte 0xea is not decimal.
        assert_eq!(
            DateEncoding::Bcd.decode([0xea, 0x07, 0x01, 0x01]),
            Err(SigstructError::MisencodedDate(DateField::Day))
        );
        assert_eq!(
            DateEncoding::Bcd.decode([0x01, 0x01, 0x1a, 0x20]),
            Err(SigstructError::MisencodedDate(DateField::Year))
        );
        assert_eq!(
            DateEncoding::Bcd.decode([0x01, 0x1a, 0x26, 0x20]),
            Err(SigstructError::MisencodedDate(DateField::Month))
        );
        assert_eq!(
            DateEncoding::Bcd.decode([0x0f, 0x01, 0x26, 0x20]),
            Err(SigstructError::MisencodedDate(DateField::Day))
        );
        assert_eq!(
            DateEncoding::Bcd.encode(SigDate {
                year: 10000,
                month: 1,
                day: 1
            }),
            Err(SigstructError::DateOutOfRange)
        );
        for bad in [
            "2026-1-01",
            "26-01-01",
            "2026/01/01",
            "2026-01-01 ",
            "today",
            "",
            "2026-0a-01",
            "+026-01-01",
            "२०२६-01-01",
        ] {
            assert_eq!(SigDate::parse(bad), None, "{bad}");
        }
        assert_eq!(
            SigDate::parse("2026-13-45"),
            Some(SigDate {
                year: 2026,
                month: 13,
                day: 45
            })
        );
        assert_eq!(std::format!("{zero}"), "0000-00-00");
    }

    #[test]
    fn date_encoding_per_version() {
        for v in GramineVersion::ALL {
            let want = if v.code() <= GramineVersion::V1_4.code() {
                DateEncoding::Binary
            } else {
                DateEncoding::Bcd
            };
            assert_eq!(DateEncoding::for_version(v), want, "{v}");
        }
    }

    #[test]
    fn mrsigner_hashes_the_stored_modulus() {
        let s = sample();
        assert_eq!(s.mrsigner(), Sha256::digest(&[0x44; KEY_SIZE]));
    }
}
