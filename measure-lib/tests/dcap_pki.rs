//! Quote verification against a private PKI the tests generate: the genuine quote passes every
//! check (and dcap-qvl agrees); each failure branch fails exactly the check it concerns.

use measure_core::evidence::Quote;
use measure_lib::check::Status;
use measure_lib::dcap::{Collateral, Policy, QuoteVerification, TcbStatus, verify_quote};
use sgx_test_pki::{CollateralSpec, NOW, Pki, QuoteSpec};

fn run(pki: &Pki, q: &QuoteSpec, c: &CollateralSpec, now: u64, root: &[u8]) -> QuoteVerification {
    let quote = pki.quote(q);
    let collateral = Collateral::from_json(pki.collateral(c).as_bytes()).unwrap();
    let policy = Policy::intel(now).with_root(root).unwrap();
    verify_quote(&Quote::parse(&quote).unwrap(), &collateral, &policy).unwrap()
}

fn failed(v: &QuoteVerification) -> Vec<&'static str> {
    v.checks
        .iter()
        .filter(|c| c.failed())
        .map(|c| c.id)
        .collect()
}

#[test]
fn genuine_quote_passes_every_check_and_dcap_qvl_agrees() {
    let pki = Pki::new();
    for version in [3, 4, 5] {
        let v = run(
            &pki,
            &QuoteSpec {
                version,
                ..QuoteSpec::default()
            },
            &CollateralSpec::default(),
            NOW,
            &pki.root,
        );
        for c in &v.checks {
            let want = if version != 3 && c.id == "dcap_qvl" {
                Status::Skipped
            } else {
                Status::Pass
            };
            assert_eq!(c.status, want, "v{version}: {c:#?}");
        }
        assert_eq!(v.tcb_status.as_deref(), Some("UpToDate"));
    }
}

#[test]
fn each_tcb_status_is_reported_and_only_allowed_ones_pass() {
    let pki = Pki::new();
    for status in [
        "UpToDate",
        "SWHardeningNeeded",
        "ConfigurationNeeded",
        "ConfigurationAndSWHardeningNeeded",
        "OutOfDate",
        "OutOfDateConfigurationNeeded",
        "Revoked",
    ] {
        let c = CollateralSpec {
            tcb_status: status.into(),
            advisories: vec!["INTEL-SA-00001".into()],
            ..CollateralSpec::default()
        };
        let v = run(&pki, &QuoteSpec::default(), &c, NOW, &pki.root);
        let f = failed(&v);
        if status == "UpToDate" {
            assert!(f.is_empty(), "{status}: {f:?}");
        } else if status == "Revoked" {
            // dcap-qvl refuses Revoked outright.
            assert_eq!(f, ["tcb_status", "dcap_qvl"], "{status}");
        } else {
            assert_eq!(f, ["tcb_status"], "{status}");
        }
        assert_eq!(v.tcb_status.as_deref(), Some(status));
        assert_eq!(v.advisory_ids, ["INTEL-SA-00001"]);
    }
    // Allowed explicitly, they pass.
    let c = CollateralSpec {
        tcb_status: "SWHardeningNeeded".into(),
        ..CollateralSpec::default()
    };
    let quote = pki.quote(&QuoteSpec::default());
    let collateral = Collateral::from_json(pki.collateral(&c).as_bytes()).unwrap();
    let mut policy = Policy::intel(NOW).with_root(&pki.root).unwrap();
    policy.allowed_statuses = vec![TcbStatus::UpToDate, TcbStatus::SWHardeningNeeded];
    let v = verify_quote(&Quote::parse(&quote).unwrap(), &collateral, &policy).unwrap();
    assert!(failed(&v).is_empty());
}

#[test]
fn a_verifier_checks_each_quote_fully_and_shares_only_what_quotes_share() {
    use measure_lib::dcap::{CrossCheck, Verifier};
    let pki = Pki::new();
    let collateral =
        Collateral::from_json(pki.collateral(&CollateralSpec::default()).as_bytes()).unwrap();
    let policy = Policy::intel(NOW).with_root(&pki.root).unwrap();
    for mode in [CrossCheck::EveryQuote, CrossCheck::OncePerPlatform] {
        let v = Verifier::new(collateral.clone(), policy.clone()).cross_check(mode);
        let good = pki.quote(&QuoteSpec::default());
        for round in 0..3 {
            let r = v.verify(&Quote::parse(&good).unwrap()).unwrap();
            assert!(
                failed(&r).is_empty(),
                "{mode:?} round {round}: {:?}",
                failed(&r)
            );
            let qvl = r.checks.iter().find(|c| c.id == "dcap_qvl").unwrap();
            let reused = qvl.found.starts_with("verified a quote of this platform");
            assert_eq!(
                reused,
                mode == CrossCheck::OncePerPlatform && round > 0,
                "{qvl:#?}"
            );
        }
        // A tampered quote of the same platform still fails its own signature check.
        let mut bad = good.clone();
        bad[48 + 100] ^= 1;
        let r = v.verify(&Quote::parse(&bad).unwrap()).unwrap();
        let f = failed(&r);
        assert!(f.contains(&"quote_signature"), "{mode:?}: {f:?}");
        if mode == CrossCheck::EveryQuote {
            assert!(f.contains(&"dcap_qvl"));
        }
        // So does a bad QE report signature, and an unbound attestation key.
        for spec in [
            QuoteSpec {
                corrupt_qe_report_signature: true,
                ..QuoteSpec::default()
            },
            QuoteSpec {
                bind_attestation_key: false,
                ..QuoteSpec::default()
            },
        ] {
            let r = v.verify(&Quote::parse(&pki.quote(&spec)).unwrap()).unwrap();
            assert!(!failed(&r).is_empty(), "{mode:?}");
        }
    }
}
