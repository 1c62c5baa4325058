//! `verify`: does this evidence come from the enclave we expect? The expected identity comes
//! from a base bundle plus a data owner's entries, a final manifest plus libpal, or an MRENCLAVE
//! computed elsewhere; the evidence is a quote, a REPORT or a `.sig`. The result is a `Verdict`:
//! every check with what was expected and found, as `sgx-measure verify --json` prints it.

use measure_core::evidence::{Evidence as Parsed, Quote as RawQuote};
use measure_lib::check::{Check as LibCheck, Group, Status, Verification};
use measure_lib::dcap::{self, Collateral, DcapError, Policy};
use measure_lib::evidence::{EvidenceKind, LoadedEvidence};
use measure_lib::identity::{
    ConfigidRule, ExpectedIdentity, ExpectedMrenclave, FoundIdentity, ReportDataRule,
};
use measure_lib::measure::measure_manifest;
use measure_lib::ratls::RaTlsCert;
use measure_lib::token::{self, TokenError};
use measure_lib::verify::{self as lib, Found};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::{Value, json};

use crate::args::{self, EntriesArg, Input, is_bytes_like};
use crate::bundle::Bundle;
use crate::errors::{Class, Failure, R};
use crate::evidence::Evidence;
use crate::sigstruct::Sigstruct;

/// One named check of a ``Verdict``.
#[pyclass(module = "sgx_measure", frozen, skip_from_py_object)]
#[derive(Clone)]
pub struct Check {
    /// Stable machine name (``"mrenclave"``, ``"quote_signature"``, ``"append_policy"``, ...).
    #[pyo3(get)]
    id: String,
    /// Display name (``"MRENCLAVE"``, ``"quote signature"``, ``"append policy"``, ...).
    #[pyo3(get)]
    name: String,
    /// Which part of the verification: ``"evidence"`` (is it genuine), ``"identity"`` (is it the
    /// expected enclave), ``"binding"`` (is it bound to the expected data).
    #[pyo3(get)]
    group: &'static str,
    /// ``"pass"``, ``"fail"`` or ``"skipped"``.
    #[pyo3(get)]
    status: &'static str,
    /// The expected value.
    #[pyo3(get)]
    expected: String,
    /// The value found.
    #[pyo3(get)]
    found: String,
    /// A note: what the check covered, or why it failed.
    #[pyo3(get)]
    detail: String,
}

#[pymethods]
impl Check {
    /// Whether the check passed.
    #[getter]
    fn ok(&self) -> bool {
        self.status == "pass"
    }
    fn __repr__(&self) -> String {
        format!(
            "Check(name={:?}, status={:?}, expected={:?}, found={:?})",
            self.name, self.status, self.expected, self.found
        )
    }
}

impl From<&LibCheck> for Check {
    fn from(c: &LibCheck) -> Check {
        Check {
            id: c.id.to_string(),
            name: c.name.to_string(),
            group: match c.group {
                Group::Evidence => "evidence",
                Group::Identity => "identity",
                Group::Binding => "binding",
            },
            status: match c.status {
                Status::Pass => "pass",
                Status::Fail => "fail",
                Status::Skipped => "skipped",
            },
            expected: c.expected.clone(),
            found: c.found.clone(),
            detail: c.detail.clone(),
        }
    }
}

/// The outcome of ``verify``: accepted only if no check failed (a skipped check is listed with
/// the reason it was not made).
#[pyclass(module = "sgx_measure", frozen)]
pub struct Verdict {
    /// Whether no check failed.
    #[pyo3(get)]
    ok: bool,
    checks: Vec<Check>,
    /// What the evidence was.
    #[pyo3(get)]
    evidence: String,
    /// What the verification did not prove (e.g. a signature chain skipped on request).
    #[pyo3(get)]
    notes: Vec<String>,
    /// The expected MRENCLAVE (64 hex digits).
    #[pyo3(get)]
    expected_mrenclave: Option<String>,
    /// The entries' CONFIGID (128 hex digits), when entries were given.
    #[pyo3(get)]
    entries_configid: Option<String>,
    /// The converged TCB status of a quote verified with collateral (``"UpToDate"``, ...).
    #[pyo3(get)]
    tcb_status: Option<String>,
    /// The advisory IDs of the platform's and QE's TCB levels (quotes verified with collateral).
    #[pyo3(get)]
    advisory_ids: Vec<String>,
    /// The whole verdict as ``sgx-measure verify --json`` prints it.
    json: Value,
}

impl Verdict {
    fn json(&self) -> Value {
        self.json.clone()
    }
}

#[pymethods]
impl Verdict {
    /// The checks, in order.
    #[getter]
    fn checks(&self) -> Vec<Check> {
        self.checks.clone()
    }

    /// The names of the failed checks.
    #[getter]
    fn failed(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| c.status == "fail")
            .map(|c| c.name.clone())
            .collect()
    }

    /// The check with this id (``"mrenclave"``, ``"tcb_status"``, ...), or ``None``.
    fn get(&self, id: &str) -> Option<Check> {
        self.checks.iter().find(|c| c.id == id).cloned()
    }

    /// The verdict as JSON (``indent`` spaces, or one line with ``indent=None``).
    #[pyo3(signature = (*, indent = Some(2)))]
    fn to_json(&self, indent: Option<usize>) -> PyResult<String> {
        let v = self.json();
        let s = match indent {
            None => serde_json::to_string(&v),
            Some(n) => {
                let ind = vec![b' '; n];
                let mut buf = Vec::new();
                let fmt = serde_json::ser::PrettyFormatter::with_indent(&ind);
                let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
                serde::Serialize::serialize(&v, &mut ser)
                    .map(|()| String::from_utf8_lossy(&buf).into_owned())
            }
        };
        s.map_err(|e| Failure::new(Class::Internal, "internal", e.to_string()).into())
    }

    /// Raises ``VerificationError`` (with ``.verdict``) naming the failed checks, unless every
    /// check passed.
    fn raise_for_failure(slf: &Bound<'_, Self>) -> PyResult<()> {
        let v = slf.get();
        if v.ok {
            return Ok(());
        }
        let py = slf.py();
        let failed = v.failed().join(", ");
        let cls = py
            .import("sgx_measure._errors")?
            .getattr("VerificationError")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("code", "verification_failed")?;
        let exc = cls.call(
            (format!("verification failed: {failed} ({})", v.evidence),),
            Some(&kwargs),
        )?;
        exc.setattr("verdict", slf)?;
        Err(PyErr::from_value(exc))
    }

    fn __bool__(&self) -> bool {
        self.ok
    }

    fn __repr__(&self) -> String {
        format!(
            "Verdict(ok={}, failed={:?})",
            if self.ok { "True" } else { "False" },
            self.failed()
        )
    }
}

const HOW_TO_GET_COLLATERAL: &str = "a quote is only evidence once its signature chain is verified: give collateral (get it once with `sgx-measure collateral fetch --quote QUOTE --pccs URL -o collateral.json`, from Intel's PCS or your PCCS), or skip_quote_signature=True if another component has already verified this very quote";

fn dcap_failure(e: DcapError, what: &str) -> Failure {
    let (class, code) = match &e {
        DcapError::Collateral { .. } => (Class::Parse, "collateral"),
        DcapError::Quote { .. } => (Class::Parse, "evidence"),
        DcapError::RootCa(_) => (Class::Parse, "trust_root"),
        DcapError::Policy { .. } => (Class::Argument, "argument"),
        _ => (Class::Parse, "evidence"),
    };
    let message = if what.is_empty() {
        e.to_string()
    } else {
        format!("{what}: {e}")
    };
    Failure::new(class, code, message)
}

/// The quote verification options.
struct QuoteOptions {
    collateral: Option<Input>,
    trust_root: Option<Input>,
    jwks: Option<Input>,
    issuer: Option<String>,
    nonce: Option<String>,
    now: Option<u64>,
    allowed: Vec<dcap::TcbStatus>,
    denied: Vec<String>,
    skip: bool,
}

impl QuoteOptions {
    /// `now`, or the clock.
    fn now(&self) -> u64 {
        match self.now {
            Some(t) => t,
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default(),
        }
    }
}

fn token_failure(e: TokenError, what: &str) -> Failure {
    let code = match &e {
        TokenError::Jwks(_) => "jwks",
        TokenError::TrustRoot(_) => "trust_root",
        _ => "token",
    };
    Failure::new(Class::Parse, code, format!("{what}: {e}"))
}

/// What the evidence and its checks are.
struct FoundEvidence {
    what: String,
    identity: FoundIdentity,
    evidence_checks: Vec<LibCheck>,
    binding: Vec<LibCheck>,
    notes: Vec<String>,
    tcb: Option<Value>,
    collateral_json: Option<Value>,
    token_json: Option<Value>,
    tcb_status: Option<String>,
    advisory_ids: Vec<String>,
}

impl FoundEvidence {
    fn new(what: String, identity: FoundIdentity) -> FoundEvidence {
        FoundEvidence {
            what,
            identity,
            evidence_checks: Vec::new(),
            binding: Vec::new(),
            notes: Vec::new(),
            tcb: None,
            collateral_json: None,
            token_json: None,
            tcb_status: None,
            advisory_ids: Vec::new(),
        }
    }

    /// The quote's chain, verified with the collateral (or skipped on request).
    fn quote_checks(&mut self, quote: &RawQuote<'_>, o: &QuoteOptions) -> R<()> {
        let Some(c) = &o.collateral else {
            if !o.skip {
                return Err(Failure::argument(format!(
                    "quote without collateral: {HOW_TO_GET_COLLATERAL}"
                )));
            }
            self.notes.push(
                "quote signature chain NOT verified (skip_quote_signature=True): only the identity below was compared; trust it only if another component verified this very quote".into(),
            );
            self.evidence_checks.push(LibCheck::skipped(
                "quote_chain",
                "quote chain",
                Group::Evidence,
                "quote signature, QE report, PCK chain, CRLs, TCB info, QE identity, TCB status",
                "skip_quote_signature=True: verified by another component, not by this call",
            ));
            return Ok(());
        };
        let bytes = c.read("collateral")?;
        let collateral = Collateral::from_json(&bytes)
            .map_err(|e| dcap_failure(e, &format!("collateral {}", c.name())))?;
        let mut policy = Policy::intel(o.now());
        if let Some(root) = &o.trust_root {
            let der = root.read("trust root")?;
            policy = policy
                .with_root(&der)
                .map_err(|e| dcap_failure(e, &format!("trust_root {}", root.name())))?;
        }
        policy.allowed_statuses = o.allowed.clone();
        policy.denied_advisories = o.denied.clone();
        let v = dcap::verify_quote(quote, &collateral, &policy).map_err(|e| dcap_failure(e, ""))?;
        let t = &collateral.tcb_info;
        self.collateral_json = Some(json!({
            "path": c.name(),
            "fmspc": t.fmspc,
            "tcb_info_issue_date": t.issue_date,
            "tcb_info_next_update": t.next_update,
            "root": policy.root.subject(),
            "root_sha256": hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&policy.root.der)),
            "now": v.now,
        }));
        self.tcb = Some(json!({
            "status": v.tcb_status,
            "advisory_ids": v.advisory_ids,
            "platform_status": v.platform_status,
            "qe_status": v.qe_status,
            "fmspc": v.fmspc,
        }));
        self.tcb_status = v.tcb_status.clone();
        self.advisory_ids = v.advisory_ids.clone();
        self.evidence_checks.extend(v.checks);
        Ok(())
    }
}

/// The evidence given: a quote, a REPORT, a `.sig` or an RA-TLS certificate.
enum EvidenceArg {
    Loaded(Box<LoadedEvidence>, String, bool),
    Token(Input),
    Sigstruct(Box<measure_core::sigstruct::Sigstruct>, String),
    RaTls(Vec<u8>, String),
}

fn evidence_arg(obj: &Bound<'_, PyAny>, arg: &str) -> PyResult<EvidenceArg> {
    if arg == "token" {
        // A path, or the token itself (str or bytes: the compact JWS text).
        // A str is the JWT itself when it has a JWT's shape (three base64url parts, a JSON
        // header), else a path; one that could be both is refused rather than guessed.
        if let Ok(text) = obj.extract::<String>() {
            let jwt = text.trim();
            let looks_like_jwt = jwt.starts_with("eyJ")
                && jwt.split('.').count() == 3
                && jwt
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
            if looks_like_jwt && std::path::Path::new(&text).exists() {
                return Err(Failure::argument(format!(
                    "token: {jwt:.20}... is both a token's text and the name of a file: pass the file as a pathlib.Path or the token as bytes"
                ))
                .into());
            }
            if looks_like_jwt {
                return Ok(EvidenceArg::Token(Input::Bytes(jwt.as_bytes().to_vec())));
            }
        }
        return Ok(EvidenceArg::Token(Input::extract(obj, "token")?));
    }
    let report = arg == "report";
    match arg {
        "sig" => {
            if let Ok(s) = obj.cast::<Sigstruct>() {
                return Ok(EvidenceArg::Sigstruct(
                    Box::new(s.get().raw),
                    "<Sigstruct object>".into(),
                ));
            }
            let input = Input::extract(obj, "sig")?;
            let raw = crate::sigstruct::load(&input)?;
            Ok(EvidenceArg::Sigstruct(Box::new(raw), input.name()))
        }
        "ra_tls_cert" => {
            let input = Input::extract(obj, arg)?;
            Ok(EvidenceArg::RaTls(
                input.read("RA-TLS certificate")?.into_owned(),
                input.name(),
            ))
        }
        _ => {
            if let Ok(e) = obj.cast::<Evidence>() {
                return Ok(EvidenceArg::Loaded(
                    Box::new(e.get().loaded.clone()),
                    format!("<{} object>", if report { "Report" } else { "Quote" }),
                    report,
                ));
            }
            let input = Input::extract(obj, arg)?;
            let loaded = crate::evidence::load(&input)?;
            Ok(EvidenceArg::Loaded(Box::new(loaded), input.name(), report))
        }
    }
}

fn found_from(e: EvidenceArg, o: &QuoteOptions) -> R<FoundEvidence> {
    if o.jwks.is_some() != matches!(e, EvidenceArg::Token(_)) {
        return Err(Failure::argument(
            "a token is verified with jwks and trust_root (the service's signing keys and their pinned root), and jwks goes only with a token",
        ));
    }
    if o.collateral.is_some()
        && !matches!(
            &e,
            EvidenceArg::Loaded(_, _, false) | EvidenceArg::RaTls(..)
        )
    {
        return Err(Failure::argument(
            "collateral and trust_root verify a quote: give quote or ra_tls_cert",
        ));
    }
    match e {
        EvidenceArg::Token(input) => token_evidence(&input, o),
        EvidenceArg::Sigstruct(sig, name) => {
            let f = Found::from_sigstruct(&sig, &name);
            let mut out = FoundEvidence::new(f.what, f.identity);
            out.evidence_checks = f.extra;
            out.notes = f.notes;
            Ok(out)
        }
        EvidenceArg::RaTls(bytes, name) => {
            let cert = RaTlsCert::parse(&bytes)
                .map_err(|e| Failure::new(Class::Parse, "ra_tls", format!("{name}: {e}")))?;
            let quote = RawQuote::parse(&cert.quote).map_err(|e| {
                Failure::new(
                    Class::Parse,
                    "evidence",
                    format!("{name}: the quote in the RA-TLS certificate: {e}"),
                )
            })?;
            let mut out = FoundEvidence::new(
                format!(
                    "RA-TLS certificate {name} ({}, quote v{})",
                    cert.describe(),
                    quote.version()
                ),
                FoundIdentity::from_report_body(&quote.report_body),
            );
            out.quote_checks(&quote, o)?;
            out.binding.push(cert.check(&quote.report_body.report_data));
            Ok(out)
        }
        EvidenceArg::Loaded(ev, name, report) => {
            if report != matches!(ev.kind, EvidenceKind::Report) {
                return Err(Failure::new(
                    Class::Parse,
                    "evidence",
                    format!(
                        "{name} holds a {}, not a {}",
                        ev.kind,
                        if report { "report" } else { "quote" }
                    ),
                ));
            }
            let mut out = FoundEvidence::new(
                format!("{} {name} ({})", ev.kind, ev.encoding),
                FoundIdentity::from_report_body(&ev.identity),
            );
            match ev.evidence() {
                Parsed::Quote(q) => out.quote_checks(&q, o)?,
                Parsed::Report(_) => out
                    .notes
                    .push("report MAC NOT verified (only the target enclave can)".into()),
            }
            Ok(out)
        }
    }
}

/// An attestation token: its signature, key, chain to the pinned root, times, issuer, nonce and
/// TCB status, as `sgx-measure verify --token` checks them; the identity its claims show.
fn token_evidence(input: &Input, o: &QuoteOptions) -> R<FoundEvidence> {
    let (Some(jwks_input), Some(root_input)) = (&o.jwks, &o.trust_root) else {
        return Err(Failure::argument(
            "token needs jwks and trust_root (the service's signing keys and their pinned root)",
        ));
    };
    let name = input.name();
    let bytes = input.read("token")?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        Failure::new(
            Class::Parse,
            "token",
            format!("{name}: a token is text (base64url and dots)"),
        )
    })?;
    let parsed = token::Token::parse(text.trim()).map_err(|e| token_failure(e, &name))?;
    let jwks_bytes = jwks_input.read("JWKS")?;
    let jwks = token::Jwks::parse(&jwks_bytes).map_err(|e| token_failure(e, &jwks_input.name()))?;
    let root = root_input.read("trust root")?;
    let mut policy = token::TokenPolicy::new(&root, o.now())
        .map_err(|e| token_failure(e, &format!("trust_root {}", root_input.name())))?;
    policy.issuer = o.issuer.clone();
    policy.nonce = o.nonce.clone();
    policy.allowed_statuses = o.allowed.clone();
    policy.denied_advisories = o.denied.clone();
    let v = token::verify_token(&parsed, &jwks, &policy).map_err(|e| token_failure(e, &name))?;
    let mut out = FoundEvidence::new(v.describe(&name), v.claims.identity.clone());
    out.token_json = Some(v.report_json(&name, &jwks_input.name(), &jwks_bytes, &policy));
    out.tcb = v.tcb_json();
    if out.tcb.is_some() {
        out.tcb_status = v.claims.tcb_status.clone();
        out.advisory_ids = v.claims.advisory_ids.clone();
    }
    if v.nonce_unchecked(&policy) {
        out.notes.push(
            "the token carries a nonce that was not checked (nonce=): without it, a replayed token passes as well"
                .into(),
        );
    }
    // The token's own checks (signature, key, chain, times, issuer, TCB) are evidence checks;
    // its binding checks (nonce) go with REPORTDATA, as the command orders them.
    let (binding, evidence): (Vec<LibCheck>, Vec<LibCheck>) = v
        .checks
        .clone()
        .into_iter()
        .partition(|c| c.group == Group::Binding);
    out.evidence_checks = evidence;
    out.binding = binding;
    Ok(out)
}

/// Where the expected MRENCLAVE comes from.
enum Source {
    Bundle(Py<Bundle>, EntriesArg),
    Manifest(Input, Input, measure_core::GramineVersion),
    Value([u8; 32]),
}

fn given(o: Option<&Bound<'_, PyAny>>) -> bool {
    o.is_some_and(|o| !o.is_none())
}

fn strings(o: Option<&Bound<'_, PyAny>>, arg: &str) -> PyResult<Vec<String>> {
    match o {
        None => Ok(Vec::new()),
        Some(o) if o.is_none() => Ok(Vec::new()),
        Some(o) => {
            if let Ok(s) = o.extract::<String>() {
                return Ok(vec![s]);
            }
            o.extract::<Vec<String>>().map_err(|_| {
                pyo3::exceptions::PyTypeError::new_err(format!(
                    "{arg}: expected a str or a list of str"
                ))
            })
        }
    }
}

/// Verifies evidence against the enclave a relying party expects, as ``sgx-measure verify``
/// does.
///
/// The expected enclave: ``bundle`` + ``entries`` (the append policy is a check), ``manifest``
/// (a final ``.manifest.sgx``) + ``libpal``, or ``expect_mrenclave``; and ``mrsigner``,
/// ``isvprodid``, ``min_isvsvn``, ``configid`` (``"auto"``: the entries' own), ``allow_debug``,
/// ``report_data`` (bytes REPORTDATA must start with), ``report_data_sha256`` (data whose SHA-256
/// must be REPORTDATA's first 32 bytes, e.g. a TLS certificate).
///
/// The evidence (exactly one, a path, bytes or a parsed object): ``quote``, ``report``, ``sig``
/// or ``ra_tls_cert`` (a Gramine RA-TLS certificate: its quote, bound to its key). A quote is
/// verified with ``collateral`` (its signature, QE report, PCK chain to ``trust_root`` (default:
/// Intel's SGX Root CA), CRLs, TCB info, QE identity, TCB status in ``allow_tcb_status``, no
/// ``deny_advisory``, at ``now``), or, only if another component verified it, with
/// ``skip_quote_signature=True``; a quote with neither is refused.
///
/// A ``token`` (Intel Trust Authority or Azure Attestation, a path or the JWT text) is verified
/// with ``jwks`` (the service's signing keys) and ``trust_root`` (their pinned root): signature,
/// key, chain, times, ``issuer``, ``nonce``, TCB status in ``allow_tcb_status``.
///
/// Returns a ``Verdict``; raises for unusable input.
#[pyfunction]
#[pyo3(signature = (*, bundle = None, entries = None, manifest = None, libpal = None, expect_mrenclave = None, quote = None, report = None, sig = None, token = None, collateral = None, jwks = None, trust_root = None, mrsigner = None, isvprodid = None, min_isvsvn = None, configid = None, allow_debug = false, ra_tls_cert = None, report_data = None, report_data_sha256 = None, now = None, allow_tcb_status = None, deny_advisory = None, skip_quote_signature = false, gramine = crate::args::DEFAULT_GRAMINE, issuer = None, nonce = None))]
#[allow(clippy::too_many_arguments)]
pub fn verify(
    py: Python<'_>,
    bundle: Option<&Bound<'_, PyAny>>,
    entries: Option<&Bound<'_, PyAny>>,
    manifest: Option<&Bound<'_, PyAny>>,
    libpal: Option<&Bound<'_, PyAny>>,
    expect_mrenclave: Option<&str>,
    quote: Option<&Bound<'_, PyAny>>,
    report: Option<&Bound<'_, PyAny>>,
    sig: Option<&Bound<'_, PyAny>>,
    token: Option<&Bound<'_, PyAny>>,
    collateral: Option<&Bound<'_, PyAny>>,
    jwks: Option<&Bound<'_, PyAny>>,
    trust_root: Option<&Bound<'_, PyAny>>,
    mrsigner: Option<&str>,
    isvprodid: Option<u16>,
    min_isvsvn: Option<u16>,
    configid: Option<&str>,
    allow_debug: bool,
    ra_tls_cert: Option<&Bound<'_, PyAny>>,
    report_data: Option<&Bound<'_, PyAny>>,
    report_data_sha256: Option<&Bound<'_, PyAny>>,
    now: Option<&Bound<'_, PyAny>>,
    allow_tcb_status: Option<&Bound<'_, PyAny>>,
    deny_advisory: Option<&Bound<'_, PyAny>>,
    skip_quote_signature: bool,
    gramine: &str,
    issuer: Option<String>,
    nonce: Option<String>,
) -> PyResult<Verdict> {
    // The evidence: exactly one.
    let evidence: Vec<(&str, &Bound<'_, PyAny>)> = [
        ("quote", quote),
        ("report", report),
        ("sig", sig),
        ("ra_tls_cert", ra_tls_cert),
        ("token", token),
    ]
    .into_iter()
    .filter_map(|(n, o)| o.filter(|o| !o.is_none()).map(|o| (n, o)))
    .collect();
    let [(kind, obj)] = evidence.as_slice() else {
        return Err(Failure::argument(format!(
            "give exactly one piece of evidence (quote, report, sig, ra_tls_cert or token), got {}",
            if evidence.is_empty() {
                "none".to_string()
            } else {
                evidence
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ))
        .into());
    };
    let evidence = evidence_arg(obj, kind)?;
    if skip_quote_signature && (given(collateral) || given(trust_root)) {
        return Err(Failure::argument(
            "skip_quote_signature=True contradicts collateral and trust_root",
        )
        .into());
    }
    let is_token = *kind == "token";
    if is_token && (given(collateral) || skip_quote_signature) {
        return Err(Failure::argument(
            "collateral and skip_quote_signature go with a quote; a token is verified with jwks and trust_root",
        )
        .into());
    }
    if given(trust_root) && !given(collateral) && !is_token {
        return Err(Failure::argument(
            "trust_root is the anchor of collateral (or of a token's keys): give collateral",
        )
        .into());
    }
    if !is_token && (issuer.is_some() || nonce.is_some()) {
        return Err(
            Failure::argument("issuer and nonce are checked in a token: give token").into(),
        );
    }
    let allowed = {
        let names = match allow_tcb_status {
            Some(o) if !o.is_none() => strings(Some(o), "allow_tcb_status")?,
            _ => vec!["UpToDate".to_string()],
        };
        let mut v = Vec::new();
        for n in names.iter().filter(|s| !s.trim().is_empty()) {
            v.push(dcap::parse_tcb_status(n).map_err(|e| dcap_failure(e, "allow_tcb_status"))?);
        }
        if v.contains(&dcap::TcbStatus::Revoked) {
            return Err(Failure::argument(
                "allow_tcb_status: Revoked is never accepted (the platform's keys are compromised)",
            )
            .into());
        }
        v
    };
    let now = match now {
        Some(o) if !o.is_none() => Some(if let Ok(n) = o.extract::<u64>() {
            n
        } else if let Ok(s) = o.extract::<String>() {
            dcap::parse_time(&s).map_err(|e| dcap_failure(e, "now"))?
        } else {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "now: expected Unix seconds (int) or an RFC 3339 time (str)",
            ));
        }),
        _ => None,
    };
    let options = QuoteOptions {
        collateral: if given(collateral) {
            Some(Input::extract(collateral.expect("given"), "collateral")?)
        } else {
            None
        },
        trust_root: if given(trust_root) {
            Some(Input::extract(trust_root.expect("given"), "trust_root")?)
        } else {
            None
        },
        jwks: if given(jwks) {
            Some(Input::extract(jwks.expect("given"), "jwks")?)
        } else {
            None
        },
        issuer,
        nonce,
        now,
        allowed,
        denied: strings(deny_advisory, "deny_advisory")?,
        skip: skip_quote_signature,
    };

    // The expected identity.
    let source = match (
        given(bundle),
        given(entries),
        given(manifest) || given(libpal),
        expect_mrenclave.is_some(),
    ) {
        (true, true, false, false) => {
            let b = bundle.expect("given");
            let b = match b.cast::<Bundle>() {
                Ok(b) => b.clone().unbind(),
                Err(_) => Py::new(py, Bundle::from_input(&Input::extract(b, "bundle")?)?)?,
            };
            Source::Bundle(b, EntriesArg::extract(entries.expect("given"), "entries")?)
        }
        (false, false, true, false) => {
            let (Some(m), Some(l)) = (
                manifest.filter(|o| !o.is_none()),
                libpal.filter(|o| !o.is_none()),
            ) else {
                return Err(Failure::argument("manifest and libpal go together").into());
            };
            Source::Manifest(
                Input::extract(m, "manifest")?,
                Input::extract(l, "libpal")?,
                args::version(gramine)?,
            )
        }
        (false, false, false, true) => Source::Value(args::hex_arg::<32>(
            expect_mrenclave.unwrap_or_default(),
            "expect_mrenclave",
        )?),
        _ => {
            return Err(Failure::argument(
                "give exactly one expected identity: bundle and entries, manifest and libpal, or expect_mrenclave",
            )
            .into());
        }
    };
    let mut rules = Vec::new();
    if let Some(o) = report_data.filter(|o| !o.is_none()) {
        if !is_bytes_like(o) {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "report_data: expected bytes (1 to 64 bytes REPORTDATA must start with)",
            ));
        }
        let b = args::bytes_of(o)?;
        rules.push(ReportDataRule::prefix_hex(&hex::encode(&b)).map_err(|e| {
            Failure::argument(e.to_string().replace("--report-data", "report_data"))
        })?);
    }
    if let Some(o) = report_data_sha256.filter(|o| !o.is_none()) {
        let input = Input::extract(o, "report_data_sha256")?;
        let bytes = input.read("report_data_sha256 file")?;
        rules.push(ReportDataRule::sha256_of(&bytes, input.name()));
    }
    if configid == Some("auto") && !matches!(source, Source::Bundle(..)) {
        return Err(Failure::argument(
            "configid=\"auto\" is the entries' CONFIGID: give bundle and entries (or 128 hex digits)",
        )
        .into());
    }
    let mrsigner = mrsigner
        .map(|m| args::hex_arg::<32>(m, "mrsigner"))
        .transpose()?;
    let configid_value = match configid {
        None | Some("auto") => None,
        Some(h) => Some(args::hex_arg::<64>(h, "configid")?),
    };
    let verdict = py.detach(move || -> R<Verdict> {
        let mut found = found_from(evidence, &options)?;
        let mut inputs = serde_json::Map::new();
        let mut entries_configid = None;
        let mut id = match source {
            Source::Bundle(b, entries) => {
                let b = b.get();
                let parsed = b.parsed()?;
                let entries = entries.load()?;
                let id = lib::expected_from_bundle(&parsed, &entries, &ExpectedIdentity::default())?;
                let cid = entries.configid()?;
                inputs.insert(
                    "bundle".into(),
                    json!({"sha256": hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&b.bytes)), "gramine": parsed.params.version.as_str()}),
                );
                inputs.insert(
                    "entries".into(),
                    json!({"count": entries.len(), "configid": hex::encode(cid)}),
                );
                entries_configid = Some(cid);
                id
            }
            Source::Manifest(m, l, version) => {
                let mb = m.read("manifest")?;
                let lb = l.read("libpal")?;
                let value = measure_manifest(&mb, &lb, &l.name(), version)?.mrenclave;
                inputs.insert(
                    "manifest".into(),
                    json!({"path": m.name(), "sha256": hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&mb)), "libpal": l.name(), "gramine": version.as_str()}),
                );
                ExpectedIdentity {
                    mrenclaves: vec![ExpectedMrenclave::new(
                        value,
                        format!("final manifest + libpal (Gramine {version})"),
                    )],
                    ..ExpectedIdentity::default()
                }
            }
            Source::Value(v) => ExpectedIdentity {
                mrenclaves: vec![ExpectedMrenclave::new(v, "expect_mrenclave")],
                ..ExpectedIdentity::default()
            },
        };
        id.mrsigner = mrsigner;
        id.isvprodid = isvprodid;
        id.min_isvsvn = min_isvsvn;
        id.allow_debug = allow_debug;
        // "auto" was refused above unless the identity comes from a bundle and entries, whose
        // expected MRENCLAVE carries the entries' CONFIGID.
        id.configid = match configid_value {
            Some(v) => Some(ConfigidRule::Value(v, String::new())),
            None if configid == Some("auto") => Some(ConfigidRule::PerOwner),
            None => None,
        };
        id.report_data = rules;
        let out = Verification {
            checks: lib::ordered(
                id.checks(&found.identity),
                std::mem::take(&mut found.evidence_checks),
                std::mem::take(&mut found.binding),
            ),
            notes: std::mem::take(&mut found.notes),
        };
        let mut j = serde_json::Map::new();
        j.insert("ok".into(), json!(out.ok()));
        j.extend(inputs);
        if let Some(c) = found.collateral_json.take() {
            j.insert("collateral".into(), c);
        }
        if let Some(t) = found.token_json.take() {
            j.insert("token".into(), t);
        }
        if let Some(t) = found.tcb.take() {
            j.insert("tcb".into(), t);
        }
        j.insert("evidence".into(), json!(found.what));
        j.insert("notes".into(), json!(out.notes));
        j.insert(
            "checks".into(),
            serde_json::to_value(&out.checks)
                .map_err(|e| Failure::new(Class::Internal, "internal", e.to_string()))?,
        );
        j.insert("failed".into(), json!(out.failed()));
        Ok(Verdict {
            ok: out.ok(),
            checks: out.checks.iter().map(Check::from).collect(),
            evidence: found.what,
            notes: out.notes,
            expected_mrenclave: id.mrenclaves.first().map(|m| hex::encode(m.value)),
            entries_configid: entries_configid.map(hex::encode),
            tcb_status: found.tcb_status,
            advisory_ids: found.advisory_ids,
            json: Value::Object(j),
        })
    })?;
    Ok(verdict)
}
