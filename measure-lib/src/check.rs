//! The result model of every verification (quotes, reports, `.sig` files, and later attestation
//! tokens): a list of named checks, each passed, failed or skipped with a reason, plus notes. It
//! serializes to the JSON that `sgx-measure verify --json` prints, and the CLI draws it as a tree.
//!
//! A verification is accepted only if no check failed ([`Verification::ok`]). A skipped check is
//! not a pass: it is listed with the reason it was not made (an option that turned it off, or an
//! earlier failure it depends on), so a reader always sees what was and was not proved.

use serde::Serialize;

/// The outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The check was made and passed.
    Pass,
    /// The check was made and failed.
    Fail,
    /// The check was not made (see the reason).
    Skipped,
}

impl Status {
    /// `pass`, `FAIL` or `skipped`, as the tree prints it.
    pub const fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::Skipped => "skipped",
        }
    }
}

/// Which part of the verification a check belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// Is the evidence genuine: signatures, certificate chains, CRLs, collateral, TCB status.
    Evidence,
    /// Is it the expected enclave: MRENCLAVE, MRSIGNER, product, version, attributes, CONFIGID.
    Identity,
    /// Is it bound to the expected data: REPORTDATA, an RA-TLS certificate's key.
    Binding,
}

/// One named check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable machine name (`quote_signature`, `pck_chain`, `mrenclave`, ...).
    pub id: &'static str,
    /// Display name (`quote signature`, `PCK chain`, `MRENCLAVE`, ...).
    pub name: &'static str,
    /// Which part of the verification it belongs to.
    pub group: Group,
    /// Pass, fail or skipped.
    pub status: Status,
    /// `status == Pass` (kept for consumers of the first JSON format).
    pub pass: bool,
    /// What was required.
    pub expected: String,
    /// What was found.
    pub found: String,
    /// Why it failed or was skipped, or what it covered.
    pub detail: String,
}

impl Check {
    /// A check with the given outcome.
    pub fn new(
        id: &'static str,
        name: &'static str,
        group: Group,
        status: Status,
        expected: impl Into<String>,
        found: impl Into<String>,
        detail: impl Into<String>,
    ) -> Check {
        Check {
            id,
            name,
            group,
            status,
            pass: status == Status::Pass,
            expected: expected.into(),
            found: found.into(),
            detail: detail.into(),
        }
    }

    /// Pass if `found == expected`, else fail.
    pub fn compare(
        id: &'static str,
        name: &'static str,
        group: Group,
        expected: impl Into<String>,
        found: impl Into<String>,
        detail: impl Into<String>,
    ) -> Check {
        let (expected, found) = (expected.into(), found.into());
        let status = if expected == found {
            Status::Pass
        } else {
            Status::Fail
        };
        Check::new(id, name, group, status, expected, found, detail)
    }

    /// A check that was not made, and why.
    pub fn skipped(
        id: &'static str,
        name: &'static str,
        group: Group,
        expected: impl Into<String>,
        reason: impl Into<String>,
    ) -> Check {
        Check::new(
            id,
            name,
            group,
            Status::Skipped,
            expected,
            "(not checked)",
            reason,
        )
    }

    /// Did it fail?
    pub fn failed(&self) -> bool {
        self.status == Status::Fail
    }
}

/// The result of a whole verification.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// The checks, in the order they were made.
    pub checks: Vec<Check>,
    /// Notes the reader must see (what was not verified, and why).
    pub notes: Vec<String>,
}

impl Verification {
    /// No check failed.
    pub fn ok(&self) -> bool {
        !self.checks.iter().any(Check::failed)
    }

    /// Display names of the failed checks.
    pub fn failed(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| c.failed())
            .map(|c| c.name)
            .collect()
    }

    /// The check with this id.
    pub fn get(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// Appends checks.
    pub fn extend(&mut self, checks: impl IntoIterator<Item = Check>) {
        self.checks.extend(checks);
    }
}
