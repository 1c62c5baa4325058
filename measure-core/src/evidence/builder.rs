//! Test-only builder of REPORTs and v3/v4/v5 quotes from known field values. It writes the layout
//! from the DCAP headers independently of the parser (plain `Vec` pushes, no offsets shared with
//! the parser beyond [`ReportBody::to_bytes`], whose offsets the layout tests pin).
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::vec::Vec;

use super::quote::QuoteHeader;
use super::report::{Attributes, Report, ReportBody};

/// A report body in which every field, reserved ones included, has a distinct non-zero value
/// derived from `seed`.
pub(crate) fn sample_body(seed: u8) -> ReportBody {
    fn fill<const N: usize>(base: u8) -> [u8; N] {
        let mut a = [0u8; N];
        for (i, b) in a.iter_mut().enumerate() {
            *b = base.wrapping_add(i as u8).wrapping_mul(7) | 1;
        }
        a
    }
    ReportBody {
        cpu_svn: fill(seed.wrapping_add(1)),
        misc_select: 0x0000_0003 ^ u32::from(seed) << 8,
        reserved1: fill(seed.wrapping_add(2)),
        isv_ext_prod_id: fill(seed.wrapping_add(3)),
        attributes: Attributes {
            flags: 0x0000_0000_0000_04f7 | u64::from(seed) << 40,
            xfrm: 0x0000_0000_0006_02e7 | u64::from(seed) << 48,
        },
        mr_enclave: fill(seed.wrapping_add(4)),
        reserved2: fill(seed.wrapping_add(5)),
        mr_signer: fill(seed.wrapping_add(6)),
        reserved3: fill(seed.wrapping_add(7)),
        config_id: fill(seed.wrapping_add(8)),
        isv_prod_id: 0x1234 ^ u16::from(seed),
        isv_svn: 0x5678 ^ u16::from(seed),
        config_svn: 0x9abc ^ u16::from(seed),
        reserved4: fill(seed.wrapping_add(9)),
        isv_family_id: fill(seed.wrapping_add(10)),
        report_data: fill(seed.wrapping_add(11)),
    }
}

/// A REPORT with [`sample_body`] and distinct KEYID and MAC.
pub(crate) fn sample_report(seed: u8) -> Report {
    let mut key_id = [0u8; 32];
    let mut mac = [0u8; 16];
    for (i, b) in key_id.iter_mut().enumerate() {
        *b = 0xa0 ^ i as u8 ^ seed;
    }
    for (i, b) in mac.iter_mut().enumerate() {
        *b = 0x50 ^ i as u8 ^ seed;
    }
    Report {
        body: sample_body(seed),
        key_id,
        mac,
    }
}

/// The fields of a quote, written out by [`QuoteBuilder::build`].
#[derive(Clone, Debug)]
pub(crate) struct QuoteBuilder {
    pub header: QuoteHeader,
    /// v5 body type and size.
    pub body_type: u16,
    pub body_size: u32,
    pub report_body: ReportBody,
    pub signature: [u8; 64],
    pub attestation_key: [u8; 64],
    /// v4/v5 outer certification data type.
    pub outer_cert_type: u16,
    pub qe_report: ReportBody,
    pub qe_report_signature: [u8; 64],
    pub qe_auth_data: Vec<u8>,
    pub cert_type: u16,
    pub cert_data: Vec<u8>,
}

/// A fake PEM chain of three certificates followed by a NUL, as Intel's QE writes it.
pub(crate) fn fake_pem_chain() -> Vec<u8> {
    let mut v = Vec::new();
    for name in ["PCK", "PLATFORM CA", "ROOT CA"] {
        v.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
        v.extend_from_slice(name.as_bytes());
        v.extend_from_slice(b"\n-----END CERTIFICATE-----\n");
    }
    v.push(0);
    v
}

impl QuoteBuilder {
    pub(crate) fn new(version: u16) -> Self {
        let mut signature = [0u8; 64];
        let mut attestation_key = [0u8; 64];
        let mut qe_report_signature = [0u8; 64];
        for i in 0..64 {
            signature[i] = 0x10 ^ i as u8;
            attestation_key[i] = 0x80 ^ i as u8;
            qe_report_signature[i] = 0xc0 ^ i as u8;
        }
        QuoteBuilder {
            header: QuoteHeader {
                version,
                attestation_key_type: 2,
                tee_type: 0,
                qe_svn: 0x0102,
                pce_svn: 0x0304,
                qe_vendor_id: [
                    0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95,
                    0x7f, 0x06, 0x07,
                ],
                user_data: *b"user-data-20-bytes!!",
            },
            body_type: 1,
            body_size: 384,
            report_body: sample_body(0x11),
            signature,
            attestation_key,
            outer_cert_type: 6,
            qe_report: sample_body(0x22),
            qe_report_signature,
            qe_auth_data: (0u8..32).collect(),
            cert_type: 5,
            cert_data: fake_pem_chain(),
        }
    }

    /// QE report certification data.
    pub(crate) fn qe_part(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&self.qe_report.to_bytes());
        v.extend_from_slice(&self.qe_report_signature);
        v.extend_from_slice(&(self.qe_auth_data.len() as u16).to_le_bytes());
        v.extend_from_slice(&self.qe_auth_data);
        v.extend_from_slice(&self.cert_type.to_le_bytes());
        v.extend_from_slice(&(self.cert_data.len() as u32).to_le_bytes());
        v.extend_from_slice(&self.cert_data);
        v
    }

    pub(crate) fn signature_data(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&self.signature);
        v.extend_from_slice(&self.attestation_key);
        let qe = self.qe_part();
        if self.header.version != 3 {
            v.extend_from_slice(&self.outer_cert_type.to_le_bytes());
            v.extend_from_slice(&(qe.len() as u32).to_le_bytes());
        }
        v.extend_from_slice(&qe);
        v
    }

    /// Header and body: what the attestation key signs.
    pub(crate) fn signed_part(&self) -> Vec<u8> {
        let h = &self.header;
        let mut v = Vec::new();
        v.extend_from_slice(&h.version.to_le_bytes());
        v.extend_from_slice(&h.attestation_key_type.to_le_bytes());
        v.extend_from_slice(&h.tee_type.to_le_bytes());
        v.extend_from_slice(&h.qe_svn.to_le_bytes());
        v.extend_from_slice(&h.pce_svn.to_le_bytes());
        v.extend_from_slice(&h.qe_vendor_id);
        v.extend_from_slice(&h.user_data);
        if h.version == 5 {
            v.extend_from_slice(&self.body_type.to_le_bytes());
            v.extend_from_slice(&self.body_size.to_le_bytes());
        }
        v.extend_from_slice(&self.report_body.to_bytes());
        v
    }

    pub(crate) fn build(&self) -> Vec<u8> {
        let mut v = self.signed_part();
        let sig = self.signature_data();
        v.extend_from_slice(&(sig.len() as u32).to_le_bytes());
        v.extend_from_slice(&sig);
        v
    }
}
