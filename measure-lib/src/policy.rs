//! The expected identity written as the policy each attestation service needs, so that no one
//! copies hex by hand: Intel Trust Authority (an appraisal policy in Rego), Azure Attestation
//! (its policy language), Confidential Containers Trustee (reference values for its RVPS and an
//! EAR policy in Rego), BigDL PPML (the body of `registerPolicy`), and our own JSON document,
//! which `sgx-measure verify --policy` reads back as the expected identity.
//!
//! Every format lists one enclave per data owner (a federation's policy accepts any of its
//! owners' MRENCLAVEs, each with that owner's CONFIGID when CONFIGID is pinned) and names the
//! owners where the format allows it (comments, an issued claim, the JSON).

use base64ct::Encoding as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::dcap::{self, TcbStatus};
use crate::identity::{ConfigidRule, ExpectedIdentity, ExpectedMrenclave, parse_hex};

/// What a relying party accepts: the enclave's identity and the platform's TCB.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    /// The enclave (one MRENCLAVE per data owner).
    pub identity: ExpectedIdentity,
    /// Accepted TCB statuses (empty: `UpToDate`).
    pub allowed_statuses: Vec<TcbStatus>,
    /// Advisory IDs refused whatever the status.
    pub denied_advisories: Vec<String>,
}

impl Expected {
    /// The accepted statuses, `UpToDate` when none was given.
    pub fn statuses(&self) -> Vec<TcbStatus> {
        if self.allowed_statuses.is_empty() {
            vec![TcbStatus::UpToDate]
        } else {
            self.allowed_statuses.clone()
        }
    }
}

/// Why a policy cannot be written or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The format needs something the expected identity lacks.
    #[error("{format}: {reason}")]
    Missing {
        /// The format.
        format: &'static str,
        /// What is missing.
        reason: String,
    },
    /// A policy document is malformed.
    #[error("policy document: {0}")]
    Document(String),
}

/// The output formats of `sgx-measure policy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Intel Trust Authority appraisal policy (Rego).
    ItaRego,
    /// Azure Attestation policy.
    Maa,
    /// Confidential Containers Trustee: EAR policy (Rego) and RVPS reference values.
    Trustee,
    /// BigDL PPML attestation service `registerPolicy` body.
    Bigdl,
    /// sgx-measure's expected-identity document.
    Json,
}

/// The tag and version of our JSON document.
pub const DOCUMENT_FORMAT: &str = "sgx-measure expected identity";
/// Its version.
pub const DOCUMENT_VERSION: u32 = 1;

/// One enclave of the JSON document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentEnclave {
    /// The data owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// MRENCLAVE, hex.
    pub mrenclave: String,
    /// The owner's CONFIGID (hex), used when `configid` is `auto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configid: Option<String>,
    /// Where the MRENCLAVE came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// sgx-measure's expected-identity document (`policy --format json`; `verify --policy`).
/// Unknown fields are refused: a misspelt constraint must not silently loosen the policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// [`DOCUMENT_FORMAT`].
    pub format: String,
    /// [`DOCUMENT_VERSION`].
    pub version: u32,
    /// The accepted enclaves, one per data owner.
    pub enclaves: Vec<DocumentEnclave>,
    /// MRSIGNER, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mrsigner: Option<String>,
    /// ISVPRODID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isvprodid: Option<u16>,
    /// Minimum ISVSVN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_isvsvn: Option<u16>,
    /// `auto` (each enclave's owner CONFIGID) or 128 hex digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configid: Option<String>,
    /// Minimum CONFIGSVN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_configsvn: Option<u16>,
    /// ISVEXTPRODID, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isvextprodid: Option<String>,
    /// ISVFAMILYID, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isvfamilyid: Option<String>,
    /// Accept debug enclaves.
    #[serde(default)]
    pub allow_debug: bool,
    /// Accepted TCB statuses.
    #[serde(default)]
    pub allow_tcb_status: Vec<String>,
    /// Refused advisory IDs.
    #[serde(default)]
    pub deny_advisory: Vec<String>,
}

fn doc_err(e: impl std::fmt::Display) -> PolicyError {
    PolicyError::Document(e.to_string())
}

impl Document {
    /// The document of `e`.
    pub fn from_expected(e: &Expected) -> Document {
        let id = &e.identity;
        Document {
            format: DOCUMENT_FORMAT.into(),
            version: DOCUMENT_VERSION,
            enclaves: id
                .mrenclaves
                .iter()
                .map(|m| DocumentEnclave {
                    owner: m.owner.clone(),
                    mrenclave: hex::encode(m.value),
                    configid: m.configid.map(hex::encode),
                    source: Some(m.source.clone()),
                })
                .collect(),
            mrsigner: id.mrsigner.map(hex::encode),
            isvprodid: id.isvprodid,
            min_isvsvn: id.min_isvsvn,
            configid: id.configid.as_ref().map(|c| match c {
                ConfigidRule::PerOwner => "auto".to_string(),
                ConfigidRule::Value(v, _) => hex::encode(v),
            }),
            min_configsvn: id.min_config_svn,
            isvextprodid: id.isv_ext_prod_id.map(hex::encode),
            isvfamilyid: id.isv_family_id.map(hex::encode),
            allow_debug: id.allow_debug,
            allow_tcb_status: e.statuses().iter().map(|s| s.to_string()).collect(),
            deny_advisory: e.denied_advisories.clone(),
        }
    }

    /// Parses and validates a document.
    pub fn parse(bytes: &[u8]) -> Result<Document, PolicyError> {
        let d: Document = serde_json::from_slice(bytes).map_err(doc_err)?;
        if d.format != DOCUMENT_FORMAT {
            return Err(doc_err(format!(
                "format {:?}, expected {DOCUMENT_FORMAT:?}",
                d.format
            )));
        }
        if d.version != DOCUMENT_VERSION {
            return Err(doc_err(format!(
                "version {}, this sgx-measure reads version {DOCUMENT_VERSION}",
                d.version
            )));
        }
        d.to_expected("policy")?;
        Ok(d)
    }

    /// The expected identity and TCB acceptance it describes (`source` names the document in
    /// the output).
    pub fn to_expected(&self, source: &str) -> Result<Expected, PolicyError> {
        if self.enclaves.is_empty() {
            return Err(doc_err(
                "no enclave: a policy must list at least one MRENCLAVE",
            ));
        }
        let auto = self.configid.as_deref() == Some("auto");
        let mut mrenclaves = Vec::new();
        let mut names = std::collections::BTreeSet::new();
        for (i, e) in self.enclaves.iter().enumerate() {
            let value = parse_hex::<32>(&e.mrenclave, "mrenclave")
                .map_err(|err| doc_err(format!("enclave {}: {err}", i + 1)))?;
            let configid = e
                .configid
                .as_deref()
                .map(|c| parse_hex::<64>(c, "configid"))
                .transpose()
                .map_err(|err| doc_err(format!("enclave {}: {err}", i + 1)))?;
            if auto && configid.is_none() {
                return Err(doc_err(format!(
                    "enclave {}: configid is auto but the enclave has no configid",
                    i + 1
                )));
            }
            if let Some(o) = &e.owner
                && !names.insert(o.clone())
            {
                return Err(doc_err(format!("owner {o} is listed twice")));
            }
            mrenclaves.push(ExpectedMrenclave {
                value,
                source: match &e.source {
                    Some(s) => format!("{source} ({s})"),
                    None => source.to_string(),
                },
                owner: e.owner.clone(),
                configid,
            });
        }
        let hex16 = |s: &Option<String>, what: &'static str| {
            s.as_deref()
                .map(|v| parse_hex::<16>(v, what))
                .transpose()
                .map_err(doc_err)
        };
        let identity = ExpectedIdentity {
            mrenclaves,
            source_checks: Vec::new(),
            mrsigner: self
                .mrsigner
                .as_deref()
                .map(|m| parse_hex::<32>(m, "mrsigner"))
                .transpose()
                .map_err(doc_err)?,
            isvprodid: self.isvprodid,
            min_isvsvn: self.min_isvsvn,
            configid: match self.configid.as_deref() {
                None => None,
                Some("auto") => Some(ConfigidRule::PerOwner),
                Some(h) => Some(ConfigidRule::Value(
                    parse_hex::<64>(h, "configid").map_err(doc_err)?,
                    String::new(),
                )),
            },
            min_config_svn: self.min_configsvn,
            isv_ext_prod_id: hex16(&self.isvextprodid, "isvextprodid")?,
            isv_family_id: hex16(&self.isvfamilyid, "isvfamilyid")?,
            allow_debug: self.allow_debug,
            report_data: Vec::new(),
        };
        let allowed_statuses = self
            .allow_tcb_status
            .iter()
            .map(|s| dcap::parse_tcb_status(s).map_err(doc_err))
            .collect::<Result<Vec<_>, _>>()?;
        if allowed_statuses.contains(&TcbStatus::Revoked) {
            return Err(doc_err("allow_tcb_status: Revoked is never accepted"));
        }
        Ok(Expected {
            identity,
            allowed_statuses,
            denied_advisories: self.deny_advisory.clone(),
        })
    }
}

/// One accepted enclave, as every format writes it.
struct Row {
    owner: Option<String>,
    mrenclave: String,
    configid: Option<String>,
}

fn rows(e: &Expected) -> Vec<Row> {
    let id = &e.identity;
    id.mrenclaves
        .iter()
        .map(|m| Row {
            owner: m.owner.clone(),
            mrenclave: hex::encode(m.value),
            configid: match &id.configid {
                None => None,
                Some(ConfigidRule::Value(v, _)) => Some(hex::encode(v)),
                Some(ConfigidRule::PerOwner) => m.configid.map(hex::encode),
            },
        })
        .collect()
}

fn check_rows(e: &Expected, format: &'static str) -> Result<Vec<Row>, PolicyError> {
    let r = rows(e);
    if r.is_empty() {
        return Err(PolicyError::Missing {
            format,
            reason: "no MRENCLAVE to accept".into(),
        });
    }
    if matches!(e.identity.configid, Some(ConfigidRule::PerOwner))
        && r.iter().any(|r| r.configid.is_none())
    {
        return Err(PolicyError::Missing {
            format,
            reason: "--configid auto needs each owner's entries".into(),
        });
    }
    Ok(r)
}

/// A one-line summary of what is accepted, for comments.
fn summary(e: &Expected, rows: &[Row]) -> Vec<String> {
    let id = &e.identity;
    let mut s = vec![format!("{} enclave(s){}", rows.len(), {
        let owners: Vec<&str> = rows.iter().filter_map(|r| r.owner.as_deref()).collect();
        if owners.is_empty() {
            String::new()
        } else {
            format!(", one per data owner: {}", owners.join(", "))
        }
    })];
    if let Some(m) = id.mrsigner {
        s.push(format!("MRSIGNER {}", hex::encode(m)));
    }
    if let Some(p) = id.isvprodid {
        s.push(format!("ISVPRODID {p}"));
    }
    if let Some(v) = id.min_isvsvn {
        s.push(format!("ISVSVN >= {v}"));
    }
    match &id.configid {
        Some(ConfigidRule::PerOwner) => s.push("CONFIGID: each owner's entries".into()),
        Some(ConfigidRule::Value(..)) => s.push("CONFIGID pinned".into()),
        None => {}
    }
    s.push(if id.allow_debug {
        "debug enclaves accepted".into()
    } else {
        "production enclaves only (DEBUG clear)".into()
    });
    s
}

fn rego_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// An Intel Trust Authority appraisal policy (Rego, in the syntax of ITA's published policies):
/// `matches_sgx_policy` is true for a production enclave of one of the owners' MRENCLAVEs (with
/// that owner's CONFIGID when CONFIGID is pinned), the MRSIGNER, ISVPRODID and minimum ISVSVN
/// given, a TCB status accepted and no refused advisory.
pub fn ita_rego(e: &Expected) -> Result<String, PolicyError> {
    let rows = check_rows(e, "ita-rego")?;
    let id = &e.identity;
    let mut out = String::new();
    out.push_str(
        "# Intel Trust Authority appraisal policy for SGX enclaves, written by sgx-measure.\n",
    );
    for line in summary(e, &rows) {
        out.push_str(&format!("# {line}\n"));
    }
    out.push_str("default matches_sgx_policy = false\n\nmatches_sgx_policy = true {\n");
    if !id.allow_debug {
        out.push_str("\tinput.sgx_is_debuggable == false\n");
    }
    if let Some(m) = id.mrsigner {
        out.push_str(&format!("\tinput.sgx_mrsigner == \"{}\"\n", hex::encode(m)));
    }
    if let Some(p) = id.isvprodid {
        out.push_str(&format!("\tinput.sgx_isvprodid == {p}\n"));
    }
    if let Some(v) = id.min_isvsvn {
        out.push_str(&format!("\tinput.sgx_isvsvn >= {v}\n"));
    }
    out.push_str("\tallowed_tcb_status[input.attester_tcb_status]\n");
    if !e.denied_advisories.is_empty() {
        out.push_str(
            "\tcount({id | id := input.attester_advisory_ids[_]; denied_advisory_ids[id]}) == 0\n",
        );
    }
    let pinned_configid = id.configid.is_some();
    if pinned_configid {
        out.push_str("\tsgx_enclaves[[input.sgx_mrenclave, input.sgx_config_id]]\n");
    } else {
        out.push_str("\tsgx_enclaves[input.sgx_mrenclave]\n");
    }
    out.push_str("}\n\n");
    out.push_str(if pinned_configid {
        "# The accepted enclaves: [MRENCLAVE, CONFIGID], one per data owner.\nsgx_enclaves = {\n"
    } else {
        "# The accepted MRENCLAVEs, one per data owner.\nsgx_enclaves = {\n"
    });
    for r in &rows {
        let item = match &r.configid {
            Some(c) if pinned_configid => format!("[\"{}\", \"{c}\"]", r.mrenclave),
            _ => format!("\"{}\"", r.mrenclave),
        };
        match &r.owner {
            Some(o) => out.push_str(&format!("\t{item}, # {}\n", o.replace('\n', " "))),
            None => out.push_str(&format!("\t{item},\n")),
        }
    }
    out.push_str("}\n\nallowed_tcb_status = {");
    out.push_str(
        &e.statuses()
            .iter()
            .map(|s| rego_string(&s.to_string()))
            .collect::<Vec<_>>()
            .join(", "),
    );
    out.push_str("}\n");
    if !e.denied_advisories.is_empty() {
        out.push_str("\ndenied_advisory_ids = {");
        out.push_str(
            &e.denied_advisories
                .iter()
                .map(|a| rego_string(a))
                .collect::<Vec<_>>()
                .join(", "),
        );
        out.push_str("}\n");
    }
    Ok(out)
}

/// The claim an Azure Attestation policy written here issues to name the data owner.
pub const MAA_OWNER_CLAIM: &str = "sgx-measure-owner";

/// An Azure Attestation policy (`version= 1.1`, as MAA's default SGX policy): the instance's
/// default TCB baseline, one authorization rule per accepted enclave over the `x-ms-sgx-*`
/// claims (CONFIGID and the KSS claims included when pinned), and an issuance rule per named
/// owner that adds the claim [`MAA_OWNER_CLAIM`] to the token.
pub fn maa(e: &Expected) -> Result<String, PolicyError> {
    let rows = check_rows(e, "maa")?;
    let id = &e.identity;
    let mut out = String::from(
        "version= 1.1;\nconfigurationrules\n{\n\t=> issueproperty(type=\"x-ms-sgx-tcbidentifier\", value=\"azuredefault\");\n};\nauthorizationrules\n{\n",
    );
    for r in &rows {
        let mut conds = Vec::new();
        if !id.allow_debug {
            conds.push("[ type==\"x-ms-sgx-is-debuggable\", value==false ]".to_string());
        }
        conds.push(format!(
            "[ type==\"x-ms-sgx-mrenclave\", value==\"{}\" ]",
            r.mrenclave
        ));
        if let Some(m) = id.mrsigner {
            conds.push(format!(
                "[ type==\"x-ms-sgx-mrsigner\", value==\"{}\" ]",
                hex::encode(m)
            ));
        }
        if let Some(p) = id.isvprodid {
            conds.push(format!("[ type==\"x-ms-sgx-product-id\", value=={p} ]"));
        }
        if let Some(v) = id.min_isvsvn {
            conds.push(format!("[ type==\"x-ms-sgx-svn\", value>={v} ]"));
        }
        if let Some(c) = &r.configid {
            conds.push(format!("[ type==\"x-ms-sgx-config-id\", value==\"{c}\" ]"));
        }
        if let Some(v) = id.min_config_svn {
            conds.push(format!("[ type==\"x-ms-sgx-config-svn\", value>={v} ]"));
        }
        if let Some(x) = id.isv_ext_prod_id {
            conds.push(format!(
                "[ type==\"x-ms-sgx-isv-extended-product-id\", value==\"{}\" ]",
                hex::encode(x)
            ));
        }
        if let Some(x) = id.isv_family_id {
            conds.push(format!(
                "[ type==\"x-ms-sgx-isv-family-id\", value==\"{}\" ]",
                hex::encode(x)
            ));
        }
        out.push_str(&format!(
            "\t{}\n\t\t=> permit();\n",
            conds.join("\n\t\t&& ")
        ));
    }
    out.push_str("};\n");
    let named: Vec<&Row> = rows.iter().filter(|r| r.owner.is_some()).collect();
    if !named.is_empty() {
        out.push_str("issuancerules\n{\n");
        for r in named {
            out.push_str(&format!(
                "\t[ type==\"x-ms-sgx-mrenclave\", value==\"{}\" ] => issue(type=\"{MAA_OWNER_CLAIM}\", value={});\n",
                r.mrenclave,
                rego_string(r.owner.as_deref().unwrap_or_default())
            ));
        }
        out.push_str("};\n");
    }
    Ok(out)
}

/// The name of the reference value the Trustee policy queries.
pub const TRUSTEE_REFERENCE_VALUE: &str = "sgx_enclaves";

fn le_hex(v: u16) -> String {
    hex::encode(v.to_le_bytes())
}

/// Confidential Containers Trustee: the reference values (an RVPS message of the `sample` type,
/// one object per accepted enclave under [`TRUSTEE_REFERENCE_VALUE`], with the values the
/// attestation service's SGX claims hold: lowercase hex, little-endian for the 16-bit fields)
/// and an EAR appraisal policy (Rego) that accepts an enclave listed there: `executables` 3 when
/// `sgx.body` matches one entry (MRENCLAVE and the rest of that entry), `configuration` 2 for a
/// production enclave, `hardware` 2 for a quote the SGX verifier accepted. Returns (policy,
/// RVPS message).
pub fn trustee(e: &Expected) -> Result<(String, String), PolicyError> {
    let rows = check_rows(e, "trustee")?;
    let id = &e.identity;
    let mut values = Vec::new();
    for r in &rows {
        let mut v = serde_json::Map::new();
        if let Some(o) = &r.owner {
            v.insert("owner".into(), json!(o));
        }
        v.insert("mr_enclave".into(), json!(r.mrenclave));
        if let Some(m) = id.mrsigner {
            v.insert("mr_signer".into(), json!(hex::encode(m)));
        }
        if let Some(p) = id.isvprodid {
            v.insert("isv_prod_id".into(), json!(le_hex(p)));
        }
        if let Some(s) = id.min_isvsvn {
            v.insert("min_isv_svn".into(), json!(s));
        }
        if let Some(c) = &r.configid {
            v.insert("config_id".into(), json!(c));
        }
        if let Some(s) = id.min_config_svn {
            v.insert("min_config_svn".into(), json!(s));
        }
        if let Some(x) = id.isv_ext_prod_id {
            v.insert("isv_ext_prod_id".into(), json!(hex::encode(x)));
        }
        if let Some(x) = id.isv_family_id {
            v.insert("isv_family_id".into(), json!(hex::encode(x)));
        }
        values.push(Value::Object(v));
    }
    let provenance = json!({ TRUSTEE_REFERENCE_VALUE: values });
    let payload = base64ct::Base64::encode_string(provenance.to_string().as_bytes());
    let message = serde_json::to_string_pretty(&json!({
        "version": "0.1.0",
        "type": "sample",
        "payload": payload,
    }))
    .map_err(doc_err)?;
    let mut p = String::new();
    p.push_str("package policy\n\nimport rego.v1\n\n");
    p.push_str(
        "# Confidential Containers Trustee (attestation service, EAR token) policy for SGX\n",
    );
    p.push_str("# enclaves, written by sgx-measure. The accepted enclaves are reference values:\n");
    p.push_str(&format!(
        "# register the RVPS message written with this policy (\"{TRUSTEE_REFERENCE_VALUE}\").\n"
    ));
    for line in summary(e, &rows) {
        p.push_str(&format!("# {line}\n"));
    }
    p.push_str(TRUSTEE_TEMPLATE);
    p.push_str(if id.allow_debug {
        "\n# 2: an approved configuration (debug enclaves accepted by this policy).\nconfiguration := 2 if {\n\tinput.sgx\n}\n"
    } else {
        "\n# 2: an approved configuration: a production enclave (ATTRIBUTES.DEBUG clear).\nconfiguration := 2 if {\n\tinput.sgx\n\tnot sgx_debug\n}\n"
    });
    Ok((p, message))
}

const TRUSTEE_TEMPLATE: &str = r#"
default executables := 33

default hardware := 97

default configuration := 36

default file_system := 0

default instance_identity := 0

default runtime_opaque := 0

default storage_opaque := 0

default sourced_data := 0

trust_claims := {
	"executables": executables,
	"hardware": hardware,
	"configuration": configuration,
	"file-system": file_system,
	"instance-identity": instance_identity,
	"runtime-opaque": runtime_opaque,
	"storage-opaque": storage_opaque,
	"sourced-data": sourced_data,
}

# 3: only approved executables: the enclave is one of the reference values (none registered:
# nothing is approved).
executables := 3 if {
	input.sgx
	enclaves := query_reference_value("sgx_enclaves")
	is_array(enclaves)
	some enclave in enclaves
	sgx_enclave_matches(enclave)
}

# 2: genuine hardware: the attestation service's SGX verifier accepted the quote (signature,
# PCK chain, collateral) before this policy runs.
hardware := 2 if {
	input.sgx
}

sgx_enclave_matches(enclave) if {
	body := input.sgx.body
	body.mr_enclave == enclave.mr_enclave
	object.get(enclave, "mr_signer", body.mr_signer) == body.mr_signer
	object.get(enclave, "isv_prod_id", body.isv_prod_id) == body.isv_prod_id
	le_u16(body.isv_svn) >= object.get(enclave, "min_isv_svn", 0)
	object.get(enclave, "config_id", body.config_id) == body.config_id
	le_u16(body.config_svn) >= object.get(enclave, "min_config_svn", 0)
	object.get(enclave, "isv_ext_prod_id", body.isv_ext_prod_id) == body.isv_ext_prod_id
	object.get(enclave, "isv_family_id", body.isv_family_id) == body.isv_family_id
}

# ATTRIBUTES.FLAGS is little-endian hex: DEBUG is bit 1 of the first byte (its second digit).
sgx_debug if {
	substring(lower(input.sgx.body["attributes.flags"]), 1, 1) in {"2", "3", "6", "7", "a", "b", "e", "f"}
}

hex_digit := {
	"0": 0, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7,
	"8": 8, "9": 9, "a": 10, "b": 11, "c": 12, "d": 13, "e": 14, "f": 15,
}

# A 16-bit field as the SGX claims write it: 4 hex digits, little-endian.
le_u16(h) := n if {
	d := split(lower(h), "")
	count(d) == 4
	n := (((hex_digit[d[2]] * 16) + hex_digit[d[3]]) * 256 + hex_digit[d[0]] * 16) + hex_digit[d[1]]
}
"#;

/// The body of BigDL PPML's `POST /registerPolicy` (`policyType: SGXMREnclavePolicy`,
/// `mrEnclave`, `mrSigner`; `appID` and `apiKey` from `/enroll` when given): one body for one
/// enclave; for several owners a JSON array of `{"owner": NAME, "registerPolicy": BODY}`.
pub fn bigdl(
    e: &Expected,
    app_id: Option<&str>,
    api_key: Option<&str>,
) -> Result<String, PolicyError> {
    let rows = check_rows(e, "bigdl")?;
    let Some(mrsigner) = e.identity.mrsigner else {
        return Err(PolicyError::Missing {
            format: "bigdl",
            reason: "SGXMREnclavePolicy needs mrSigner: give --mrsigner".into(),
        });
    };
    let body = |r: &Row| {
        let mut m = serde_json::Map::new();
        if let Some(a) = app_id {
            m.insert("appID".into(), json!(a));
        }
        if let Some(k) = api_key {
            m.insert("apiKey".into(), json!(k));
        }
        m.insert("policyType".into(), json!("SGXMREnclavePolicy"));
        m.insert("mrEnclave".into(), json!(r.mrenclave));
        m.insert("mrSigner".into(), json!(hex::encode(mrsigner)));
        Value::Object(m)
    };
    let v = match rows.as_slice() {
        [one] if one.owner.is_none() => body(one),
        many => Value::Array(
            many.iter()
                .map(|r| json!({"owner": r.owner, "registerPolicy": body(r)}))
                .collect(),
        ),
    };
    let mut s = serde_json::to_string_pretty(&v).map_err(doc_err)?;
    s.push('\n');
    Ok(s)
}

/// Our JSON document.
pub fn json(e: &Expected) -> Result<String, PolicyError> {
    check_rows(e, "json")?;
    let mut s = serde_json::to_string_pretty(&Document::from_expected(e)).map_err(doc_err)?;
    s.push('\n');
    Ok(s)
}
