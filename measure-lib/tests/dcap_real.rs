//! Real evidence: published quotes with their collateral verify with the TCB status and advisory
//! IDs that dcap-qvl reports, and every check of the chain passes.

use std::path::{Path, PathBuf};

use measure_core::evidence::Quote;
use measure_lib::check::Status;
use measure_lib::dcap::{self, Collateral, Policy, TcbStatus, verify_quote};
use sha2::{Digest, Sha256};

fn evidence(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/evidence")
        .join(name)
}

/// 2025-06-20T00:00:00Z, inside the sample collateral's validity window.
const SAMPLE_NOW: u64 = 1_750_377_600;

#[test]
fn pinned_intel_root_is_intels() {
    assert_eq!(
        hex::encode(Sha256::digest(dcap::INTEL_SGX_ROOT_CA_DER)),
        dcap::INTEL_SGX_ROOT_CA_SHA256
    );
    let root = dcap::intel_root();
    assert!(root.is_self_signed());
    assert!(root.subject().contains("Intel SGX Root CA"));
    // It is the root the real quote's PCK chain ends with.
    let q = std::fs::read(evidence("dcap-qvl-sgx-v3.bin")).unwrap();
    let quote = Quote::parse(&q).unwrap();
    let chain =
        dcap::pki::parse_pem_chain(std::str::from_utf8(quote.pck_cert_chain().unwrap()).unwrap())
            .unwrap();
    assert_eq!(chain.last().unwrap().der, dcap::INTEL_SGX_ROOT_CA_DER);
}

#[test]
fn dcap_qvl_sample_verifies_with_dcap_qvls_status_and_advisories() {
    let q = std::fs::read(evidence("dcap-qvl-sgx-v3.bin")).unwrap();
    let c = std::fs::read(evidence("dcap-qvl-sgx-v3.collateral.json")).unwrap();
    let quote = Quote::parse(&q).unwrap();
    let collateral = Collateral::from_json(&c).unwrap();

    // dcap-qvl's own answer, through its one-shot API.
    let qvl = dcap_qvl::verify::rustcrypto::verify(&q, &collateral.raw, SAMPLE_NOW).unwrap();
    assert_eq!(qvl.status, "ConfigurationAndSWHardeningNeeded");
    assert_eq!(qvl.advisory_ids, ["INTEL-SA-00289", "INTEL-SA-00615"]);

    let mut policy = Policy::intel(SAMPLE_NOW);
    policy.allowed_statuses = vec![
        TcbStatus::UpToDate,
        TcbStatus::ConfigurationAndSWHardeningNeeded,
    ];
    let v = verify_quote(&quote, &collateral, &policy).unwrap();
    for c in &v.checks {
        assert_eq!(c.status, Status::Pass, "{c:#?}");
    }
    assert_eq!(v.tcb_status.as_deref(), Some(qvl.status.as_str()));
    assert_eq!(v.advisory_ids, qvl.advisory_ids);
    assert_eq!(v.qe_status.as_deref(), Some("UpToDate"));
    assert_eq!(v.fmspc.as_deref(), Some("00A067110000"));
    assert_eq!(v.checks.len(), 12);

    // The default policy (UpToDate only) fails exactly the TCB status check.
    let v = verify_quote(&quote, &collateral, &Policy::intel(SAMPLE_NOW)).unwrap();
    let failed: Vec<_> = v
        .checks
        .iter()
        .filter(|c| c.failed())
        .map(|c| c.id)
        .collect();
    assert_eq!(failed, ["tcb_status"]);

    // Denying one of its advisories fails the advisory check.
    policy.denied_advisories = vec!["intel-sa-00615".into()];
    let v = verify_quote(&quote, &collateral, &policy).unwrap();
    let failed: Vec<_> = v
        .checks
        .iter()
        .filter(|c| c.failed())
        .map(|c| c.id)
        .collect();
    assert_eq!(failed, ["advisory_ids"]);
}

#[test]
fn dcap_qvl_sample_a_month_later_is_expired_collateral() {
    let q = std::fs::read(evidence("dcap-qvl-sgx-v3.bin")).unwrap();
    let c = std::fs::read(evidence("dcap-qvl-sgx-v3.collateral.json")).unwrap();
    let quote = Quote::parse(&q).unwrap();
    let collateral = Collateral::from_json(&c).unwrap();
    let mut policy = Policy::intel(SAMPLE_NOW + 40 * 86400);
    policy.allowed_statuses = vec![TcbStatus::ConfigurationAndSWHardeningNeeded];
    let v = verify_quote(&quote, &collateral, &policy).unwrap();
    let failed: Vec<_> = v
        .checks
        .iter()
        .filter(|c| c.failed())
        .map(|c| c.id)
        .collect();
    assert!(failed.contains(&"tcb_info"), "{failed:?}");
    assert!(failed.contains(&"qe_identity_signature"), "{failed:?}");
    assert!(failed.contains(&"dcap_qvl"), "{failed:?}");
    assert!(!failed.contains(&"quote_signature"));
}
