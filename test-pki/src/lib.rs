//! Tests only: a private SGX DCAP PKI, built the way Intel's is, and evidence signed by it.
//!
//! - a root CA, a PCK (processor) CA and a PCK certificate carrying Intel's SGX extension
//!   (OID 1.2.840.113741.1.13.1: PPID, TCB with the 16 CPUSVN components, PCESVN and CPUSVN,
//!   PCE-ID, FMSPC, SGX type), a TCB signing certificate;
//! - the root CA CRL and the PCK CRL (with chosen revoked serials);
//! - TCB info (one level, with a chosen status and advisories) and QE identity, signed as Intel
//!   signs them (ECDSA P-256 over the exact JSON text, raw `r || s`);
//! - SGX quotes (v3, v4, v5) signed by an attestation key that a QE report binds, the QE report
//!   signed by the PCK key, the PCK chain in the certification data (type 5);
//! - Gramine RA-TLS certificates carrying such quotes.
//!
//! Keys come from labels (SHA-256 of the label is the private scalar) and signatures are RFC 6979,
//! so everything is deterministic: the same calls give the same bytes.

pub mod token;

use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::json;
use sha2::{Digest, Sha256};

/// The time tests verify at: 2025-06-20T00:00:00Z.
pub const NOW: u64 = 1_750_377_600;
/// Collateral is issued a day before [`NOW`]...
pub const ISSUED: u64 = NOW - 86_400;
/// ...and due for update 30 days after issue.
pub const NEXT_UPDATE: u64 = ISSUED + 30 * 86_400;
/// FMSPC of the test platform.
pub const FMSPC: [u8; 6] = [0x00, 0x90, 0x6e, 0xd5, 0x00, 0x00];
/// PCE ID.
pub const PCE_ID: [u8; 2] = [0, 0];
/// CPUSVN of the test platform.
pub const CPUSVN: [u8; 16] = [7, 7, 2, 2, 3, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0];
/// PCESVN of the test platform.
pub const PCESVN: u16 = 13;
/// MRSIGNER of the test QE.
pub const QE_MRSIGNER: [u8; 32] = [0x8c; 32];
/// QE ISVSVN.
pub const QE_ISVSVN: u16 = 8;
/// Intel's QE vendor ID.
pub const INTEL_QE_VENDOR_ID: [u8; 16] = [
    0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07,
];

// ---------------------------------------------------------------------------------------------
// DER, just what certificates and CRLs need.

/// A TLV.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn set(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x31, &parts.concat())
}

/// An OBJECT IDENTIFIER from dotted text.
pub fn oid(s: &str) -> Vec<u8> {
    let arcs: Vec<u64> = s.split('.').map(|a| a.parse().unwrap()).collect();
    let mut body = vec![(arcs[0] * 40 + arcs[1]) as u8];
    for &a in &arcs[2..] {
        let mut chunk = vec![(a & 0x7f) as u8];
        let mut v = a >> 7;
        while v > 0 {
            chunk.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        chunk.reverse();
        body.extend(chunk);
    }
    tlv(0x06, &body)
}

fn int_bytes(b: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = b.iter().copied().skip_while(|&x| x == 0).collect();
    if v.is_empty() || v[0] & 0x80 != 0 {
        v.insert(0, 0);
    }
    tlv(0x02, &v)
}

fn int(n: u64) -> Vec<u8> {
    int_bytes(&n.to_be_bytes())
}

fn octets(b: &[u8]) -> Vec<u8> {
    tlv(0x04, b)
}

fn bits(b: &[u8]) -> Vec<u8> {
    let mut v = vec![0];
    v.extend_from_slice(b);
    tlv(0x03, &v)
}

fn explicit(n: u8, content: &[u8]) -> Vec<u8> {
    tlv(0xa0 | n, content)
}

fn civil(secs: u64) -> (i64, u32, u32, u32, u32, u32) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
    )
}

fn time(secs: u64) -> Vec<u8> {
    let (y, m, d, hh, mm, ss) = civil(secs);
    if (1950..2050).contains(&y) {
        tlv(
            0x17,
            format!("{:02}{m:02}{d:02}{hh:02}{mm:02}{ss:02}Z", y % 100).as_bytes(),
        )
    } else {
        tlv(
            0x18,
            format!("{y:04}{m:02}{d:02}{hh:02}{mm:02}{ss:02}Z").as_bytes(),
        )
    }
}

/// RFC 3339 text of Unix seconds.
pub fn rfc3339(secs: u64) -> String {
    let (y, m, d, hh, mm, ss) = civil(secs);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

fn name(cn: &str) -> Vec<u8> {
    seq(&[
        set(&[seq(&[oid("2.5.4.3"), tlv(0x0c, cn.as_bytes())])]),
        set(&[seq(&[oid("2.5.4.10"), tlv(0x0c, b"sgx-measure tests")])]),
    ])
}

fn ecdsa_sha256() -> Vec<u8> {
    seq(&[oid("1.2.840.10045.4.3.2")])
}

/// DER SubjectPublicKeyInfo of a P-256 key.
pub fn spki(key: &SigningKey) -> Vec<u8> {
    seq(&[
        seq(&[oid("1.2.840.10045.2.1"), oid("1.2.840.10045.3.1.7")]),
        bits(&key.verifying_key().to_sec1_bytes()),
    ])
}

fn extension(id: &str, critical: bool, value: &[u8]) -> Vec<u8> {
    if critical {
        seq(&[oid(id), tlv(0x01, &[0xff]), octets(value)])
    } else {
        seq(&[oid(id), octets(value)])
    }
}

fn key_usage(byte: u8) -> Vec<u8> {
    let unused = byte.trailing_zeros() as u8;
    tlv(0x03, &[unused, byte])
}

/// A key from a label (deterministic).
pub fn key(label: &str) -> SigningKey {
    SigningKey::from_slice(&Sha256::digest(label.as_bytes())).unwrap()
}

fn sign_der(key: &SigningKey, msg: &[u8]) -> Vec<u8> {
    let sig: Signature = key.sign(msg);
    sig.to_der().as_bytes().to_vec()
}

/// Raw `r || s` ECDSA P-256 signature.
pub fn sign_raw(key: &SigningKey, msg: &[u8]) -> [u8; 64] {
    let sig: Signature = key.sign(msg);
    sig.to_bytes().into()
}

/// A certificate to issue.
pub struct CertSpec<'a> {
    /// Serial number.
    pub serial: u64,
    /// Subject CN.
    pub subject: &'a str,
    /// Issuer CN.
    pub issuer: &'a str,
    /// Subject key.
    pub key: &'a SigningKey,
    /// Issuer key.
    pub issuer_key: &'a SigningKey,
    /// notBefore, notAfter.
    pub validity: (u64, u64),
    /// CA certificate?
    pub ca: bool,
    /// More extensions (DER `Extension`s).
    pub extra: Vec<Vec<u8>>,
}

/// Issues a certificate (DER).
pub fn issue(spec: &CertSpec<'_>) -> Vec<u8> {
    let mut exts = vec![
        if spec.ca {
            extension("2.5.29.19", true, &seq(&[tlv(0x01, &[0xff])]))
        } else {
            extension("2.5.29.19", true, &seq(&[]))
        },
        extension(
            "2.5.29.15",
            true,
            &key_usage(if spec.ca { 0x06 } else { 0xc0 }),
        ),
    ];
    exts.extend(spec.extra.iter().cloned());
    let tbs = seq(&[
        explicit(0, &int(2)),
        int(spec.serial),
        ecdsa_sha256(),
        name(spec.issuer),
        seq(&[time(spec.validity.0), time(spec.validity.1)]),
        name(spec.subject),
        spki(spec.key),
        explicit(3, &seq(&exts)),
    ]);
    let sig = sign_der(spec.issuer_key, &tbs);
    seq(&[tbs.clone(), ecdsa_sha256(), bits(&sig)])
}

/// Issues a CRL (DER).
pub fn crl(issuer: &str, key: &SigningKey, this: u64, next: u64, revoked: &[u64]) -> Vec<u8> {
    let mut parts = vec![int(1), ecdsa_sha256(), name(issuer), time(this), time(next)];
    if !revoked.is_empty() {
        parts.push(seq(&revoked
            .iter()
            .map(|&s| seq(&[int(s), time(this)]))
            .collect::<Vec<_>>()));
    }
    parts.push(explicit(0, &seq(&[extension("2.5.29.20", false, &int(1))])));
    let tbs = seq(&parts);
    let sig = sign_der(key, &tbs);
    seq(&[tbs.clone(), ecdsa_sha256(), bits(&sig)])
}

/// PEM of a DER certificate.
pub fn pem(der: &[u8]) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in der.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in s.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// Intel's SGX extension of a PCK certificate.
pub fn sgx_extension(cpusvn: &[u8; 16], pcesvn: u16, fmspc: &[u8; 6]) -> Vec<u8> {
    let base = "1.2.840.113741.1.13.1";
    let mut tcb: Vec<Vec<u8>> = (0..16)
        .map(|i| {
            seq(&[
                oid(&format!("{base}.2.{}", i + 1)),
                int(u64::from(cpusvn[i])),
            ])
        })
        .collect();
    tcb.push(seq(&[oid(&format!("{base}.2.17")), int(u64::from(pcesvn))]));
    tcb.push(seq(&[oid(&format!("{base}.2.18")), octets(cpusvn)]));
    let value = seq(&[
        seq(&[oid(&format!("{base}.1")), octets(&[0x5a; 16])]),
        seq(&[oid(&format!("{base}.2")), seq(&tcb)]),
        seq(&[oid(&format!("{base}.3")), octets(&PCE_ID)]),
        seq(&[oid(&format!("{base}.4")), octets(fmspc)]),
        seq(&[oid(&format!("{base}.5")), tlv(0x0a, &[0])]),
    ]);
    extension(base, false, &value)
}

// ---------------------------------------------------------------------------------------------
// The PKI.

/// Subject names.
pub const ROOT_CN: &str = "Test SGX Root CA";
/// PCK CA.
pub const PCK_CA_CN: &str = "Test SGX PCK Processor CA";
/// PCK certificate.
pub const PCK_CN: &str = "Test SGX PCK Certificate";
/// TCB signing certificate.
pub const TCB_SIGNER_CN: &str = "Test SGX TCB Signing";

/// Serial numbers.
pub const PCK_CA_SERIAL: u64 = 0x1001;
/// PCK certificate serial.
pub const PCK_SERIAL: u64 = 0x2002;
/// TCB signing certificate serial.
pub const TCB_SIGNER_SERIAL: u64 = 0x3003;

/// The whole PKI.
pub struct Pki {
    /// Root key.
    pub root_key: SigningKey,
    /// Root certificate (DER).
    pub root: Vec<u8>,
    /// PCK CA key.
    pub pck_ca_key: SigningKey,
    /// PCK CA certificate (DER).
    pub pck_ca: Vec<u8>,
    /// PCK key.
    pub pck_key: SigningKey,
    /// PCK certificate (DER).
    pub pck: Vec<u8>,
    /// TCB signing key.
    pub tcb_key: SigningKey,
    /// TCB signing certificate (DER).
    pub tcb_signer: Vec<u8>,
    /// The attestation key.
    pub att_key: SigningKey,
}

impl Pki {
    /// The standard PKI (label `"test"`).
    pub fn new() -> Pki {
        Pki::with_label("test")
    }

    /// A PKI whose keys derive from `label` (another label: another, unrelated PKI).
    pub fn with_label(label: &str) -> Pki {
        let root_key = key(&format!("{label} root"));
        let pck_ca_key = key(&format!("{label} pck ca"));
        let pck_key = key(&format!("{label} pck"));
        let tcb_key = key(&format!("{label} tcb signer"));
        let long = (NOW - 5 * 365 * 86_400, NOW + 20 * 365 * 86_400);
        let root = issue(&CertSpec {
            serial: 1,
            subject: ROOT_CN,
            issuer: ROOT_CN,
            key: &root_key,
            issuer_key: &root_key,
            validity: long,
            ca: true,
            extra: vec![],
        });
        let pck_ca = issue(&CertSpec {
            serial: PCK_CA_SERIAL,
            subject: PCK_CA_CN,
            issuer: ROOT_CN,
            key: &pck_ca_key,
            issuer_key: &root_key,
            validity: long,
            ca: true,
            extra: vec![],
        });
        let pck = issue(&CertSpec {
            serial: PCK_SERIAL,
            subject: PCK_CN,
            issuer: PCK_CA_CN,
            key: &pck_key,
            issuer_key: &pck_ca_key,
            validity: (NOW - 365 * 86_400, NOW + 5 * 365 * 86_400),
            ca: false,
            extra: vec![sgx_extension(&CPUSVN, PCESVN, &FMSPC)],
        });
        let tcb_signer = issue(&CertSpec {
            serial: TCB_SIGNER_SERIAL,
            subject: TCB_SIGNER_CN,
            issuer: ROOT_CN,
            key: &tcb_key,
            issuer_key: &root_key,
            validity: (NOW - 365 * 86_400, NOW + 5 * 365 * 86_400),
            ca: false,
            extra: vec![],
        });
        Pki {
            root_key,
            root,
            pck_ca_key,
            pck_ca,
            pck_key,
            pck,
            tcb_key,
            tcb_signer,
            att_key: key(&format!("{label} attestation key")),
        }
    }

    /// The PEM PCK chain as quotes carry it (PCK, PCK CA, root).
    pub fn pck_chain_pem(&self) -> String {
        [pem(&self.pck), pem(&self.pck_ca), pem(&self.root)].concat()
    }

    /// Collateral in dcap-qvl's `QuoteCollateralV3` JSON form.
    pub fn collateral(&self, spec: &CollateralSpec) -> String {
        let comps: Vec<_> = spec
            .level_cpusvn
            .iter()
            .map(|&s| json!({"svn": s}))
            .collect();
        let tcb_info = serde_json::to_string(&json!({
            "id": "SGX",
            "version": 3,
            "issueDate": rfc3339(spec.issued),
            "nextUpdate": rfc3339(spec.next_update),
            "fmspc": hex::encode_upper(spec.fmspc),
            "pceId": "0000",
            "tcbType": 0,
            "tcbEvaluationDataNumber": 17,
            "tcbLevels": [{
                "tcb": {"sgxtcbcomponents": comps, "pcesvn": PCESVN},
                "tcbDate": "2024-03-13T00:00:00Z",
                "tcbStatus": spec.tcb_status,
                "advisoryIDs": spec.advisories,
            }],
        }))
        .unwrap();
        let qe_identity = serde_json::to_string(&json!({
            "id": "QE",
            "version": 2,
            "issueDate": rfc3339(spec.issued),
            "nextUpdate": rfc3339(spec.next_update),
            "tcbEvaluationDataNumber": 17,
            "miscselect": "00000000",
            "miscselectMask": "FFFFFFFF",
            "attributes": "11000000000000000000000000000000",
            "attributesMask": "FBFFFFFFFFFFFFFF0000000000000000",
            "mrsigner": hex::encode_upper(QE_MRSIGNER),
            "isvprodid": 1,
            "tcbLevels": [
                {"tcb": {"isvsvn": QE_ISVSVN}, "tcbDate": "2024-03-13T00:00:00Z", "tcbStatus": "UpToDate"},
                {"tcb": {"isvsvn": 6}, "tcbDate": "2021-11-10T00:00:00Z", "tcbStatus": "OutOfDate", "advisoryIDs": ["INTEL-SA-00615"]},
            ],
        }))
        .unwrap();
        let mut tcb_sig = sign_raw(&self.tcb_key, tcb_info.as_bytes());
        if spec.corrupt_tcb_info_signature {
            tcb_sig[40] ^= 1;
        }
        let qe_sig = sign_raw(&self.tcb_key, qe_identity.as_bytes());
        let signer_chain = [pem(&self.tcb_signer), pem(&self.root)].concat();
        let root_crl = crl(
            ROOT_CN,
            &self.root_key,
            spec.issued,
            spec.next_update,
            &spec.root_crl_revoked,
        );
        let pck_crl = crl(
            PCK_CA_CN,
            &self.pck_ca_key,
            spec.issued,
            spec.next_update,
            &spec.pck_crl_revoked,
        );
        let pck_crl_chain = [pem(&self.pck_ca), pem(&self.root)].concat();
        let qe_chain = [pem(&self.tcb_signer), pem(&self.root)].concat();
        serde_json::to_string_pretty(&json!({
            "pck_crl_issuer_chain": pck_crl_chain,
            "root_ca_crl": hex::encode(root_crl),
            "pck_crl": hex::encode(pck_crl),
            "tcb_info_issuer_chain": signer_chain,
            "tcb_info": tcb_info,
            "tcb_info_signature": hex::encode(tcb_sig),
            "qe_identity_issuer_chain": qe_chain,
            "qe_identity": qe_identity,
            "qe_identity_signature": hex::encode(qe_sig),
        }))
        .unwrap()
    }

    /// A quote of `body` signed through this PKI.
    pub fn quote(&self, spec: &QuoteSpec) -> Vec<u8> {
        let att_pub = self.att_key.verifying_key().to_sec1_bytes();
        let att: [u8; 64] = att_pub[1..].try_into().unwrap();
        let auth_data = [0xa5u8; 32];
        // The QE report.
        let mut qe = [0u8; 384];
        qe[48..56].copy_from_slice(&0x11u64.to_le_bytes()); // INIT | PROVISIONKEY
        qe[56..64].copy_from_slice(&0xe7u64.to_le_bytes());
        qe[64..96].copy_from_slice(&[0x9e; 32]);
        qe[128..160].copy_from_slice(&QE_MRSIGNER);
        qe[256..258].copy_from_slice(&1u16.to_le_bytes());
        qe[258..260].copy_from_slice(&spec.qe_isvsvn.to_le_bytes());
        let mut h = Sha256::new();
        h.update(att);
        h.update(auth_data);
        let binding: [u8; 32] = h.finalize().into();
        qe[320..352].copy_from_slice(&binding);
        if !spec.bind_attestation_key {
            qe[320] ^= 0xff;
        }
        let mut qe_sig = sign_raw(&self.pck_key, &qe);
        if spec.corrupt_qe_report_signature {
            qe_sig[10] ^= 1;
        }
        let chain = self.pck_chain_pem();
        let mut qe_cert_data = Vec::new();
        qe_cert_data.extend_from_slice(&qe);
        qe_cert_data.extend_from_slice(&qe_sig);
        qe_cert_data.extend_from_slice(&(auth_data.len() as u16).to_le_bytes());
        qe_cert_data.extend_from_slice(&auth_data);
        qe_cert_data.extend_from_slice(&5u16.to_le_bytes());
        qe_cert_data.extend_from_slice(&(chain.len() as u32 + 1).to_le_bytes());
        qe_cert_data.extend_from_slice(chain.as_bytes());
        qe_cert_data.push(0);

        let mut signed = Vec::new();
        signed.extend_from_slice(&spec.version.to_le_bytes());
        signed.extend_from_slice(&2u16.to_le_bytes());
        signed.extend_from_slice(&0u32.to_le_bytes());
        signed.extend_from_slice(&10u16.to_le_bytes());
        signed.extend_from_slice(&PCESVN.to_le_bytes());
        signed.extend_from_slice(&INTEL_QE_VENDOR_ID);
        signed.extend_from_slice(&[0x11; 16]);
        signed.extend_from_slice(&[0; 4]);
        if spec.version == 5 {
            signed.extend_from_slice(&1u16.to_le_bytes());
            signed.extend_from_slice(&384u32.to_le_bytes());
        }
        signed.extend_from_slice(&spec.body);
        let sig = sign_raw(&self.att_key, &signed);
        let mut sig_data = Vec::new();
        sig_data.extend_from_slice(&sig);
        sig_data.extend_from_slice(&att);
        if spec.version == 3 {
            sig_data.extend_from_slice(&qe_cert_data);
        } else {
            sig_data.extend_from_slice(&6u16.to_le_bytes());
            sig_data.extend_from_slice(&(qe_cert_data.len() as u32).to_le_bytes());
            sig_data.extend_from_slice(&qe_cert_data);
        }
        let mut quote = signed;
        quote.extend_from_slice(&(sig_data.len() as u32).to_le_bytes());
        quote.extend_from_slice(&sig_data);
        quote
    }
}

impl Default for Pki {
    fn default() -> Self {
        Pki::new()
    }
}

/// What the collateral says.
#[derive(Clone, Debug)]
pub struct CollateralSpec {
    /// The TCB level's status.
    pub tcb_status: String,
    /// Its advisory IDs.
    pub advisories: Vec<String>,
    /// The level's 16 SGX TCB components.
    pub level_cpusvn: [u8; 16],
    /// FMSPC of the TCB info.
    pub fmspc: [u8; 6],
    /// Issue date of TCB info, QE identity and CRLs.
    pub issued: u64,
    /// Next update of all of them.
    pub next_update: u64,
    /// Serials revoked by the root CA CRL.
    pub root_crl_revoked: Vec<u64>,
    /// Serials revoked by the PCK CRL.
    pub pck_crl_revoked: Vec<u64>,
    /// Flip a bit of the TCB info signature.
    pub corrupt_tcb_info_signature: bool,
}

impl Default for CollateralSpec {
    fn default() -> Self {
        CollateralSpec {
            tcb_status: "UpToDate".into(),
            advisories: vec![],
            level_cpusvn: CPUSVN,
            fmspc: FMSPC,
            issued: ISSUED,
            next_update: NEXT_UPDATE,
            root_crl_revoked: vec![],
            pck_crl_revoked: vec![],
            corrupt_tcb_info_signature: false,
        }
    }
}

/// What the quote says.
#[derive(Clone, Debug)]
pub struct QuoteSpec {
    /// Quote version (3, 4 or 5).
    pub version: u16,
    /// The enclave's report body.
    pub body: [u8; 384],
    /// The QE's ISVSVN.
    pub qe_isvsvn: u16,
    /// Bind the attestation key in the QE report (false: a QE report for another key).
    pub bind_attestation_key: bool,
    /// Flip a bit of the QE report signature.
    pub corrupt_qe_report_signature: bool,
}

impl Default for QuoteSpec {
    fn default() -> Self {
        QuoteSpec {
            version: 3,
            body: Body::default().bytes(),
            qe_isvsvn: QE_ISVSVN,
            bind_attestation_key: true,
            corrupt_qe_report_signature: false,
        }
    }
}

/// An enclave report body.
#[derive(Clone, Debug)]
pub struct Body {
    /// MRENCLAVE.
    pub mrenclave: [u8; 32],
    /// MRSIGNER.
    pub mrsigner: [u8; 32],
    /// ATTRIBUTES.FLAGS.
    pub flags: u64,
    /// ISVPRODID.
    pub isvprodid: u16,
    /// ISVSVN.
    pub isvsvn: u16,
    /// CONFIGID.
    pub configid: [u8; 64],
    /// REPORTDATA.
    pub report_data: [u8; 64],
}

impl Default for Body {
    fn default() -> Self {
        Body {
            mrenclave: [0x33; 32],
            mrsigner: [0x81; 32],
            flags: 0x5, // INIT | MODE64BIT
            isvprodid: 0,
            isvsvn: 0,
            configid: [0; 64],
            report_data: [0; 64],
        }
    }
}

impl Body {
    /// The 384 bytes.
    pub fn bytes(&self) -> [u8; 384] {
        let mut b = [0u8; 384];
        b[..16].copy_from_slice(&CPUSVN);
        b[48..56].copy_from_slice(&self.flags.to_le_bytes());
        b[56..64].copy_from_slice(&0xe7u64.to_le_bytes());
        b[64..96].copy_from_slice(&self.mrenclave);
        b[128..160].copy_from_slice(&self.mrsigner);
        b[192..256].copy_from_slice(&self.configid);
        b[256..258].copy_from_slice(&self.isvprodid.to_le_bytes());
        b[258..260].copy_from_slice(&self.isvsvn.to_le_bytes());
        b[320..384].copy_from_slice(&self.report_data);
        b
    }
}

// ---------------------------------------------------------------------------------------------
// Gramine RA-TLS certificates.

/// Legacy RA-TLS quote extension OID (what Gramine writes).
pub const RA_TLS_LEGACY_OID: &str = "1.2.840.113741.1337.6";
/// TCG DICE tagged evidence OID.
pub const RA_TLS_TCG_OID: &str = "2.23.133.5.4.9";

/// Which RA-TLS extensions a certificate carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RaTlsFormat {
    /// Legacy only (Gramine before v1.8).
    Legacy,
    /// TCG DICE tagged evidence only.
    Tcg,
    /// Both (Gramine v1.8 on).
    Both,
}

fn cbor_head(major: u8, n: u64, out: &mut Vec<u8>) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if n < 0x100 {
        out.extend([m | 24, n as u8]);
    } else if n < 0x1_0000 {
        out.push(m | 25);
        out.extend((n as u16).to_be_bytes());
    } else {
        out.push(m | 26);
        out.extend((n as u32).to_be_bytes());
    }
}

fn cbor_bytes(b: &[u8], out: &mut Vec<u8>) {
    cbor_head(2, b.len() as u64, out);
    out.extend_from_slice(b);
}

/// Gramine's serialized claims: `{ "pubkey-hash": bstr([1, bstr sha256(spki)]) }`.
pub fn ra_tls_claims(spki_der: &[u8]) -> Vec<u8> {
    let mut entry = Vec::new();
    cbor_head(4, 2, &mut entry);
    cbor_head(0, 1, &mut entry);
    cbor_bytes(&Sha256::digest(spki_der), &mut entry);
    let mut claims = Vec::new();
    cbor_head(5, 1, &mut claims);
    cbor_head(3, 11, &mut claims);
    claims.extend_from_slice(b"pubkey-hash");
    cbor_bytes(&entry, &mut claims);
    claims
}

impl Pki {
    /// A Gramine RA-TLS certificate (DER) for the key `cert_key`, its quotes made from `body`
    /// with REPORTDATA binding `bound_key` (the same key for a genuine certificate).
    pub fn ra_tls_cert(
        &self,
        cert_key: &SigningKey,
        bound_key: &SigningKey,
        body: &Body,
        format: RaTlsFormat,
    ) -> Vec<u8> {
        let bound_spki = spki(bound_key);
        let mut exts = Vec::new();
        if matches!(format, RaTlsFormat::Legacy | RaTlsFormat::Both) {
            let mut b = body.clone();
            b.report_data = [0; 64];
            b.report_data[..32].copy_from_slice(&Sha256::digest(&bound_spki));
            let q = self.quote(&QuoteSpec {
                body: b.bytes(),
                ..QuoteSpec::default()
            });
            exts.push(extension(RA_TLS_LEGACY_OID, false, &q));
        }
        if matches!(format, RaTlsFormat::Tcg | RaTlsFormat::Both) {
            let claims = ra_tls_claims(&bound_spki);
            let mut b = body.clone();
            b.report_data = [0; 64];
            b.report_data[..32].copy_from_slice(&Sha256::digest(&claims));
            let q = self.quote(&QuoteSpec {
                body: b.bytes(),
                ..QuoteSpec::default()
            });
            let mut ev = Vec::new();
            cbor_head(6, 60000, &mut ev);
            cbor_head(4, 2, &mut ev);
            cbor_bytes(&q, &mut ev);
            cbor_bytes(&claims, &mut ev);
            exts.push(extension(RA_TLS_TCG_OID, false, &ev));
        }
        issue(&CertSpec {
            serial: 1,
            subject: "RATLS",
            issuer: "RATLS",
            key: cert_key,
            issuer_key: cert_key,
            validity: (NOW - 86_400, NOW + 365 * 86_400),
            ca: false,
            extra: exts,
        })
    }
}
