//! The SGX REPORT (Intel SDM vol. 3D, "Report (REPORT)"; Intel SGX SDK `sgx_report_t`) and its
//! 384-byte body (REPORTBODY, `sgx_report_body_t`), which is also the ISV enclave report and the
//! QE report of a DCAP quote.

use super::reader::{Reader, Writer};
use super::{EvidenceError, Part};

/// Size of a report body (REPORTBODY).
pub const REPORT_BODY_SIZE: usize = 384;
/// Size of a REPORT: the body, KEYID (32) and MAC (16).
pub const REPORT_SIZE: usize = 432;

/// Byte offsets of the REPORTBODY fields (`sgx_report.h`), and of KEYID and MAC in a REPORT.
pub mod offset {
    /// CPUSVN (16 bytes).
    pub const CPU_SVN: usize = 0;
    /// MISCSELECT (u32).
    pub const MISC_SELECT: usize = 16;
    /// Reserved, 12 bytes.
    pub const RESERVED1: usize = 20;
    /// ISVEXTPRODID (16 bytes, KSS).
    pub const ISV_EXT_PROD_ID: usize = 32;
    /// ATTRIBUTES.FLAGS (u64).
    pub const ATTRIBUTES_FLAGS: usize = 48;
    /// ATTRIBUTES.XFRM (u64).
    pub const ATTRIBUTES_XFRM: usize = 56;
    /// MRENCLAVE (32 bytes).
    pub const MR_ENCLAVE: usize = 64;
    /// Reserved, 32 bytes.
    pub const RESERVED2: usize = 96;
    /// MRSIGNER (32 bytes).
    pub const MR_SIGNER: usize = 128;
    /// Reserved, 32 bytes.
    pub const RESERVED3: usize = 160;
    /// CONFIGID (64 bytes, KSS).
    pub const CONFIG_ID: usize = 192;
    /// ISVPRODID (u16).
    pub const ISV_PROD_ID: usize = 256;
    /// ISVSVN (u16).
    pub const ISV_SVN: usize = 258;
    /// CONFIGSVN (u16, KSS).
    pub const CONFIG_SVN: usize = 260;
    /// Reserved, 42 bytes.
    pub const RESERVED4: usize = 262;
    /// ISVFAMILYID (16 bytes, KSS).
    pub const ISV_FAMILY_ID: usize = 304;
    /// REPORTDATA (64 bytes).
    pub const REPORT_DATA: usize = 320;
    /// KEYID (32 bytes), in a REPORT only.
    pub const KEY_ID: usize = 384;
    /// MAC (16 bytes), in a REPORT only.
    pub const MAC: usize = 416;
}

/// ATTRIBUTES.FLAGS bit INIT: the enclave has been initialised by EINIT (always set in reports).
pub const FLAG_INIT: u64 = 0x1;
/// ATTRIBUTES.FLAGS bit DEBUG: the enclave is a debug enclave (its memory is readable from
/// outside with EDBGRD; never trust a debug enclave with secrets).
pub const FLAG_DEBUG: u64 = crate::attributes::FLAGS_DEBUG;
/// ATTRIBUTES.FLAGS bit MODE64BIT: the enclave runs in 64-bit mode.
pub const FLAG_MODE64BIT: u64 = crate::attributes::FLAGS_MODE64BIT;
/// ATTRIBUTES.FLAGS bit PROVISIONKEY: the enclave may derive the provisioning key.
pub const FLAG_PROVISION_KEY: u64 = 0x10;
/// ATTRIBUTES.FLAGS bit EINITTOKEN_KEY: the enclave may derive the EINITTOKEN key.
pub const FLAG_EINITTOKEN_KEY: u64 = 0x20;
/// ATTRIBUTES.FLAGS bit CET: CET attributes are enabled for the enclave.
pub const FLAG_CET: u64 = 0x40;
/// ATTRIBUTES.FLAGS bit KSS: Key Separation and Sharing is enabled (ISVEXTPRODID, ISVFAMILYID,
/// CONFIGID and CONFIGSVN are meaningful; without KSS they are zero).
pub const FLAG_KSS: u64 = 0x80;
/// ATTRIBUTES.FLAGS bit AEXNOTIFY: threads may receive AEX notifications.
pub const FLAG_AEX_NOTIFY: u64 = 0x400;
/// MISCSELECT bit EXINFO: the SSA saves page-fault and #GP information.
pub const MISC_EXINFO: u32 = crate::attributes::MISCSELECT_EXINFO;
/// MISCSELECT bit CPINFO: the SSA saves control-protection (CET) exception information.
pub const MISC_CPINFO: u32 = 0x2;

/// ATTRIBUTES: FLAGS and XFRM (the XSAVE feature request mask).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Attributes {
    /// FLAGS (see the `FLAG_*` constants).
    pub flags: u64,
    /// XFRM.
    pub xfrm: u64,
}

impl Attributes {
    /// INIT is set.
    pub const fn init(&self) -> bool {
        self.flags & FLAG_INIT != 0
    }
    /// DEBUG is set: a debug enclave.
    pub const fn debug(&self) -> bool {
        self.flags & FLAG_DEBUG != 0
    }
    /// MODE64BIT is set.
    pub const fn mode64bit(&self) -> bool {
        self.flags & FLAG_MODE64BIT != 0
    }
    /// PROVISIONKEY is set.
    pub const fn provision_key(&self) -> bool {
        self.flags & FLAG_PROVISION_KEY != 0
    }
    /// EINITTOKEN_KEY is set.
    pub const fn einittoken_key(&self) -> bool {
        self.flags & FLAG_EINITTOKEN_KEY != 0
    }
    /// CET is set.
    pub const fn cet(&self) -> bool {
        self.flags & FLAG_CET != 0
    }
    /// KSS is set.
    pub const fn kss(&self) -> bool {
        self.flags & FLAG_KSS != 0
    }
    /// AEXNOTIFY is set.
    pub const fn aex_notify(&self) -> bool {
        self.flags & FLAG_AEX_NOTIFY != 0
    }
}

/// A REPORTBODY: the identity of an enclave as the CPU reports it. Every field is kept, reserved
/// bytes included, so that [`ReportBody::to_bytes`] gives back the parsed bytes exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReportBody {
    /// CPUSVN: the security version of the CPU.
    pub cpu_svn: [u8; 16],
    /// MISCSELECT: which extended SSA information the enclave gets (`MISC_*`).
    pub misc_select: u32,
    /// Reserved, 12 bytes (zero).
    pub reserved1: [u8; 12],
    /// ISVEXTPRODID: extended product ID (KSS; zero without KSS).
    pub isv_ext_prod_id: [u8; 16],
    /// ATTRIBUTES.
    pub attributes: Attributes,
    /// MRENCLAVE.
    pub mr_enclave: [u8; 32],
    /// Reserved, 32 bytes (zero).
    pub reserved2: [u8; 32],
    /// MRSIGNER: SHA-256 of the enclave signer's RSA modulus (little-endian).
    pub mr_signer: [u8; 32],
    /// Reserved, 32 bytes (zero).
    pub reserved3: [u8; 32],
    /// CONFIGID: chosen at enclave creation by the loader (KSS; zero without KSS).
    pub config_id: [u8; 64],
    /// ISVPRODID.
    pub isv_prod_id: u16,
    /// ISVSVN.
    pub isv_svn: u16,
    /// CONFIGSVN: chosen with CONFIGID (KSS; zero without KSS).
    pub config_svn: u16,
    /// Reserved, 42 bytes (zero).
    pub reserved4: [u8; 42],
    /// ISVFAMILYID: product family ID (KSS; zero without KSS).
    pub isv_family_id: [u8; 16],
    /// REPORTDATA: 64 bytes chosen by the enclave (usually a hash binding a key or nonce).
    pub report_data: [u8; 64],
}

impl Default for ReportBody {
    fn default() -> Self {
        ReportBody {
            cpu_svn: [0; 16],
            misc_select: 0,
            reserved1: [0; 12],
            isv_ext_prod_id: [0; 16],
            attributes: Attributes::default(),
            mr_enclave: [0; 32],
            reserved2: [0; 32],
            mr_signer: [0; 32],
            reserved3: [0; 32],
            config_id: [0; 64],
            isv_prod_id: 0,
            isv_svn: 0,
            config_svn: 0,
            reserved4: [0; 42],
            isv_family_id: [0; 16],
            report_data: [0; 64],
        }
    }
}

impl ReportBody {
    /// Parses exactly [`REPORT_BODY_SIZE`] bytes.
    pub fn parse(bytes: &[u8]) -> Result<ReportBody, EvidenceError> {
        if bytes.len() != REPORT_BODY_SIZE {
            return Err(EvidenceError::WrongSize {
                part: Part::ReportBody,
                len: bytes.len(),
            });
        }
        let mut r = Reader::new(bytes, 0);
        let body = ReportBody::read(&mut r, Part::ReportBody)?;
        r.finish(Part::ReportBody)?;
        Ok(body)
    }

    /// Reads a body at the reader's position; a short input is reported as a truncated `part`.
    pub(crate) fn read(r: &mut Reader<'_>, part: Part) -> Result<ReportBody, EvidenceError> {
        // Check the whole length first so that a short body is reported once, as `part`, with
        // the full size needed.
        let mut b = Reader::new(r.array::<REPORT_BODY_SIZE>(part)?, 0);
        Ok(ReportBody {
            cpu_svn: *b.array(part)?,
            misc_select: b.u32(part)?,
            reserved1: *b.array(part)?,
            isv_ext_prod_id: *b.array(part)?,
            attributes: Attributes {
                flags: b.u64(part)?,
                xfrm: b.u64(part)?,
            },
            mr_enclave: *b.array(part)?,
            reserved2: *b.array(part)?,
            mr_signer: *b.array(part)?,
            reserved3: *b.array(part)?,
            config_id: *b.array(part)?,
            isv_prod_id: b.u16(part)?,
            isv_svn: b.u16(part)?,
            config_svn: b.u16(part)?,
            reserved4: *b.array(part)?,
            isv_family_id: *b.array(part)?,
            report_data: *b.array(part)?,
        })
    }

    /// The 384 bytes of this body.
    pub fn to_bytes(&self) -> [u8; REPORT_BODY_SIZE] {
        let mut out = [0u8; REPORT_BODY_SIZE];
        Writer::new(&mut out)
            .put(&self.cpu_svn)
            .put(&self.misc_select.to_le_bytes())
            .put(&self.reserved1)
            .put(&self.isv_ext_prod_id)
            .put(&self.attributes.flags.to_le_bytes())
            .put(&self.attributes.xfrm.to_le_bytes())
            .put(&self.mr_enclave)
            .put(&self.reserved2)
            .put(&self.mr_signer)
            .put(&self.reserved3)
            .put(&self.config_id)
            .put(&self.isv_prod_id.to_le_bytes())
            .put(&self.isv_svn.to_le_bytes())
            .put(&self.config_svn.to_le_bytes())
            .put(&self.reserved4)
            .put(&self.isv_family_id)
            .put(&self.report_data);
        out
    }

    /// ATTRIBUTES.DEBUG: a debug enclave, whose memory the host can read.
    pub const fn is_debug(&self) -> bool {
        self.attributes.debug()
    }
    /// ATTRIBUTES.MODE64BIT.
    pub const fn is_mode64bit(&self) -> bool {
        self.attributes.mode64bit()
    }
    /// ATTRIBUTES.KSS: Key Separation and Sharing enabled.
    pub const fn kss_enabled(&self) -> bool {
        self.attributes.kss()
    }
    /// ATTRIBUTES.PROVISIONKEY: the enclave may derive the provisioning key.
    pub const fn has_provision_key(&self) -> bool {
        self.attributes.provision_key()
    }
    /// ATTRIBUTES.EINITTOKEN_KEY: the enclave may derive the EINITTOKEN key (a launch enclave).
    pub const fn has_einittoken_key(&self) -> bool {
        self.attributes.einittoken_key()
    }
    /// MISCSELECT.EXINFO.
    pub const fn misc_exinfo(&self) -> bool {
        self.misc_select & MISC_EXINFO != 0
    }
    /// MISCSELECT.CPINFO.
    pub const fn misc_cpinfo(&self) -> bool {
        self.misc_select & MISC_CPINFO != 0
    }

    /// The four KSS fields (ISVEXTPRODID, ISVFAMILYID, CONFIGID, CONFIGSVN) are all zero, as
    /// they must be when KSS is not enabled.
    pub fn kss_fields_zero(&self) -> bool {
        all_zero(&self.isv_ext_prod_id)
            && all_zero(&self.isv_family_id)
            && all_zero(&self.config_id)
            && self.config_svn == 0
    }

    /// KSS is enabled, or every KSS field is zero. A report from a real CPU always satisfies this
    /// (without KSS, ECREATE zeroes those fields); `false` means forged or corrupted evidence.
    pub fn kss_consistent(&self) -> bool {
        self.kss_enabled() || self.kss_fields_zero()
    }

    /// Every reserved byte is zero (as the CPU writes them).
    pub fn reserved_zero(&self) -> bool {
        all_zero(&self.reserved1)
            && all_zero(&self.reserved2)
            && all_zero(&self.reserved3)
            && all_zero(&self.reserved4)
    }
}

fn all_zero(b: &[u8]) -> bool {
    b.iter().all(|&x| x == 0)
}

/// A REPORT as EREPORT writes it: the body, KEYID and a MAC (CMAC with the report key of the
/// target enclave). The MAC is not checked here: only the target enclave can check it (EGETKEY).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Report {
    /// The report body.
    pub body: ReportBody,
    /// KEYID: the key wear-out protection value used to derive the report key.
    pub key_id: [u8; 32],
    /// MAC over the body (AES-128-CMAC with the target's report key).
    pub mac: [u8; 16],
}

impl Report {
    /// Parses exactly [`REPORT_SIZE`] bytes.
    pub fn parse(bytes: &[u8]) -> Result<Report, EvidenceError> {
        if bytes.len() != REPORT_SIZE {
            return Err(EvidenceError::WrongSize {
                part: Part::Report,
                len: bytes.len(),
            });
        }
        let mut r = Reader::new(bytes, 0);
        let report = Report {
            body: ReportBody::read(&mut r, Part::Report)?,
            key_id: *r.array(Part::Report)?,
            mac: *r.array(Part::Report)?,
        };
        r.finish(Part::Report)?;
        Ok(report)
    }

    /// The 432 bytes of this report.
    pub fn to_bytes(&self) -> [u8; REPORT_SIZE] {
        let mut out = [0u8; REPORT_SIZE];
        Writer::new(&mut out)
            .put(&self.body.to_bytes())
            .put(&self.key_id)
            .put(&self.mac);
        out
    }
}
