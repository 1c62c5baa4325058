//! DCAP quote verification with stored collateral, offline: is this SGX quote genuine, from a
//! platform whose TCB the relying party accepts?
//!
//! Every link of the chain is its own named [`Check`](crate::check::Check) (see [`verify_quote`]), made here with the
//! RustCrypto crates (`p256`, `x509-cert`, `der`) so that a failure names exactly what broke; then
//! dcap-qvl, the field's pure-Rust verifier, verifies the same quote and collateral independently
//! and must reach the same verdict, TCB status and advisory IDs (the `dcap_qvl` check). Either
//! one refusing fails the verification.
//!
//! Collateral comes from Intel's PCS or a PCCS ([`pccs`]), is stored as JSON
//! ([`collateral::Collateral`]) and used offline; the time of verification is an input
//! ([`Policy::now`]), so a stored verification can be replayed exactly.

pub mod collateral;
pub mod pccs;
pub mod pki;
pub mod verify;

use std::fmt;

pub use collateral::Collateral;
pub use dcap_qvl::TcbStatus;
pub use verify::{CrossCheck, QuoteVerification, Verifier, verify_quote};

use pki::Cert;

/// Intel's SGX Root CA certificate (DER), pinned in the binary: the default trust anchor.
/// Its SHA-256 is [`INTEL_SGX_ROOT_CA_SHA256`] (checked by a test).
pub const INTEL_SGX_ROOT_CA_DER: &[u8] = include_bytes!("intel-sgx-root-ca.der");

/// SHA-256 of [`INTEL_SGX_ROOT_CA_DER`].
pub const INTEL_SGX_ROOT_CA_SHA256: &str =
    "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";

/// Why quote verification could not even start: input that is not what it claims to be. A
/// genuine-looking input that fails a check is not an error but a failed [`Check`].
///
/// [`Check`]: crate::check::Check
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DcapError {
    /// The collateral is malformed.
    #[error("collateral field {field}: {reason}")]
    Collateral {
        /// The field of `QuoteCollateralV3` concerned.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The quote is malformed for verification.
    #[error("quote {part}: {reason}")]
    Quote {
        /// The part concerned.
        part: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The trust anchor is unusable.
    #[error("root CA: {0}")]
    RootCa(String),
    /// A policy option is unusable.
    #[error("{option}: {reason}")]
    Policy {
        /// The option.
        option: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// What the relying party accepts.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The trust anchor (default: Intel's SGX Root CA).
    pub root: Cert,
    /// The time of verification, Unix seconds.
    pub now: u64,
    /// Accepted TCB statuses (default: `UpToDate`). `Revoked` is never accepted.
    pub allowed_statuses: Vec<TcbStatus>,
    /// Advisory IDs that fail the verification whatever the status.
    pub denied_advisories: Vec<String>,
}

impl Policy {
    /// Intel's root, `UpToDate` only, no advisory denied.
    pub fn intel(now: u64) -> Policy {
        Policy {
            root: intel_root(),
            now,
            allowed_statuses: vec![TcbStatus::UpToDate],
            denied_advisories: Vec::new(),
        }
    }

    /// Uses `root` (DER or PEM, one certificate) as the trust anchor.
    pub fn with_root(mut self, root: &[u8]) -> Result<Policy, DcapError> {
        let cert = Cert::from_pem_or_der(root).map_err(DcapError::RootCa)?;
        if !cert.is_self_signed() {
            return Err(DcapError::RootCa(format!(
                "{} is not a self-signed ECDSA P-256 certificate",
                cert.subject()
            )));
        }
        self.root = cert;
        Ok(self)
    }
}

/// The pinned Intel SGX Root CA.
pub fn intel_root() -> Cert {
    // A constant checked by the tests: parsing it cannot fail.
    Cert::from_der(INTEL_SGX_ROOT_CA_DER).expect("the pinned Intel SGX Root CA parses")
}

/// Every TCB status, with its name in TCB info JSON.
pub const TCB_STATUSES: [TcbStatus; 9] = [
    TcbStatus::UpToDate,
    TcbStatus::SWHardeningNeeded,
    TcbStatus::ConfigurationNeeded,
    TcbStatus::ConfigurationAndSWHardeningNeeded,
    TcbStatus::OutOfDate,
    TcbStatus::OutOfDateConfigurationNeeded,
    TcbStatus::Revoked,
    TcbStatus::TDRelaunchAdvised,
    TcbStatus::TDRelaunchAdvisedConfigurationNeeded,
];

/// Parses a TCB status name (as TCB info writes it, case-insensitive).
pub fn parse_tcb_status(s: &str) -> Result<TcbStatus, DcapError> {
    TCB_STATUSES
        .into_iter()
        .find(|t| t.to_string().eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| DcapError::Policy {
            option: "--allow-tcb-status",
            reason: format!(
                "unknown TCB status {s:?} (known: {})",
                TCB_STATUSES.map(|t| t.to_string()).join(", ")
            ),
        })
}

/// Parses a time of verification: Unix seconds or RFC 3339.
pub fn parse_time(s: &str) -> Result<u64, DcapError> {
    let s = s.trim();
    if let Ok(n) = s.parse::<u64>() {
        return Ok(n);
    }
    pki::parse_rfc3339(s).ok_or_else(|| DcapError::Policy {
        option: "--now",
        reason: format!("{s:?} is neither Unix seconds nor an RFC 3339 time"),
    })
}

/// Displays a list of statuses.
pub struct Statuses<'a>(pub &'a [TcbStatus]);

impl fmt::Display for Statuses<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}
