//! `sgx-measure policy`: the expected identity of a federation (a base bundle and two data
//! owners' entries) written for each attestation service, and each output checked the way the
//! service would read it:
//!
//! - the Rego policies (Intel Trust Authority, Trustee) are evaluated by a Rego interpreter
//!   (`regorus`) against the claims of matching and non-matching enclaves (ITA: the claims of
//!   tokens signed by the test PKI; Trustee: the SGX claims its attestation service derives
//!   from a quote, with the RVPS reference values served by `query_reference_value`);
//! - the Azure Attestation policy is parsed by a grammar of MAA's policy language written from
//!   its published examples (checked on those examples too), and its rules evaluated;
//! - `verify --policy` reads the JSON document back and decides as the command line did;
//! - BigDL's `registerPolicy` body has the fields BigDL reads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64ct::{Base64, Encoding};
use serde_json::{Value, json};
use sgx_test_pki::NOW;
use sgx_test_pki::token::{TokenIdentity, TokenPki, ita_claims, maa_claims};

fn exe() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sgx-measure"))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const MRSIGNER: &str = "31ecbf4d643bddb30e2216800a2193f052328a5705e2fe300f0fde4dccb1d9f4";

fn mrsigner() -> [u8; 32] {
    hex::decode(MRSIGNER).unwrap().try_into().unwrap()
}

/// A federation: base bundle, two owners, their MRENCLAVEs and CONFIGIDs.
struct Federation {
    dir: tempfile::TempDir,
    bundle: PathBuf,
    owners: PathBuf,
    mrenclave: BTreeMap<&'static str, [u8; 32]>,
    configid: BTreeMap<&'static str, [u8; 64]>,
}

impl Federation {
    fn new() -> Federation {
        let dir = tempfile::tempdir().unwrap();
        let v = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../testdata/vectors/public/pa05-append-data-prefix");
        let bundle = dir.path().join("base.bundle");
        let o = exe()
            .current_dir(&v)
            .args([
                "bundle",
                "-q",
                "-m",
                "base.manifest",
                "-l",
                "../elf/pal-basic.so",
            ])
            .args(["--allow-prefix", "file:/data/", "-o"])
            .arg(&bundle)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        let owners = dir.path().join("owners");
        std::fs::create_dir(&owners).unwrap();
        let e1 = std::fs::read_to_string(v.join("entries.toml")).unwrap();
        let e2 = e1.replacen(
            "4d71621fab75a9c0eeb722fee689957cef4ac2120ad8ed20325bf73d7b63821c",
            "0000000000000000000000000000000000000000000000000000000000000001",
            1,
        );
        std::fs::write(owners.join("hospital-a.toml"), e1).unwrap();
        std::fs::write(owners.join("hospital-b.toml"), e2).unwrap();
        let mut f = Federation {
            dir,
            bundle,
            owners,
            mrenclave: BTreeMap::new(),
            configid: BTreeMap::new(),
        };
        for name in ["hospital-a", "hospital-b"] {
            let entries = f.owners.join(format!("{name}.toml"));
            let o = exe()
                .args(["append", "-q", "--bundle"])
                .arg(&f.bundle)
                .arg("--entries")
                .arg(&entries)
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", text(&o));
            let m = hex::decode(String::from_utf8(o.stdout).unwrap().trim()).unwrap();
            f.mrenclave.insert(name, m.try_into().unwrap());
            let o = exe()
                .args(["configid", "--entries"])
                .arg(&entries)
                .output()
                .unwrap();
            let c = hex::decode(String::from_utf8(o.stdout).unwrap().trim()).unwrap();
            f.configid.insert(name, c.try_into().unwrap());
        }
        f
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `policy --bundle B --entries owners/ --mrsigner .. --isvprodid 1 --min-isvsvn 2
    /// --configid auto` plus `extra`, to `out`.
    fn policy(&self, format: &str, out: &str, extra: &[&str]) -> Output {
        exe()
            .args(["policy", "--bundle"])
            .arg(&self.bundle)
            .arg("--entries")
            .arg(&self.owners)
            .args([
                "--mrsigner",
                MRSIGNER,
                "--isvprodid",
                "1",
                "--min-isvsvn",
                "2",
            ])
            .args(["--configid", "auto", "--format", format, "-o"])
            .arg(self.path(out))
            .args(extra)
            .output()
            .unwrap()
    }

    fn written(&self, format: &str, out: &str, extra: &[&str]) -> String {
        let o = self.policy(format, out, extra);
        assert!(o.status.success(), "{}", text(&o));
        std::fs::read_to_string(self.path(out)).unwrap()
    }

    /// The identity of owner `name`'s enclave, as a token would carry it.
    fn identity(&self, name: &str) -> TokenIdentity {
        TokenIdentity {
            mrenclave: self.mrenclave[name],
            mrsigner: mrsigner(),
            isvprodid: 1,
            isvsvn: 2,
            debug: false,
            configid: Some(self.configid[name]),
            config_svn: 0,
            report_data: [0; 64],
        }
    }
}

/// Enclaves that must not be accepted, each with why.
fn wrong(f: &Federation) -> Vec<(&'static str, TokenIdentity)> {
    let a = f.identity("hospital-a");
    vec![
        (
            "an MRENCLAVE of no owner",
            TokenIdentity {
                mrenclave: [0x77; 32],
                ..a.clone()
            },
        ),
        (
            "owner A's enclave with owner B's CONFIGID",
            TokenIdentity {
                configid: Some(f.configid["hospital-b"]),
                ..a.clone()
            },
        ),
        (
            "no CONFIGID",
            TokenIdentity {
                configid: None,
                ..a.clone()
            },
        ),
        (
            "another signer",
            TokenIdentity {
                mrsigner: [0x55; 32],
                ..a.clone()
            },
        ),
        (
            "another product",
            TokenIdentity {
                isvprodid: 2,
                ..a.clone()
            },
        ),
        (
            "an older ISVSVN",
            TokenIdentity {
                isvsvn: 1,
                ..a.clone()
            },
        ),
        (
            "a debug enclave",
            TokenIdentity {
                debug: true,
                ..a.clone()
            },
        ),
    ]
}

/// The claims of a token signed by the test PKI, as the verifier decodes them.
fn token_claims(token: &str) -> Value {
    let t = measure_lib::token::Token::parse(token).unwrap();
    Value::Object(t.claims)
}

fn rego_engine(policy: &str, v0: bool) -> regorus::Engine {
    let mut engine = regorus::Engine::new();
    engine.set_rego_v0(v0);
    engine
        .add_policy("policy.rego".into(), policy.into())
        .unwrap_or_else(|e| panic!("not valid Rego: {e}\n{policy}"));
    engine
}

#[test]
fn ita_rego_accepts_exactly_the_owners_enclaves() {
    let f = Federation::new();
    let policy = f.written("ita-rego", "ita.rego", &[]);
    assert!(policy.contains("# hospital-a\n") || policy.contains("], # hospital-a"));
    assert!(
        policy.len() < 10 * 1024,
        "ITA's policy size limit: {}",
        policy.len()
    );
    // ITA's published appraisal policies have no package line: ITA supplies it.
    let mut engine = rego_engine(&format!("package policy\n{policy}"), true);
    let pki = TokenPki::new();
    let eval = |engine: &mut regorus::Engine, claims: &Value| {
        engine.set_input_json(&claims.to_string()).unwrap();
        engine
            .eval_rule("data.policy.matches_sgx_policy".into())
            .unwrap()
    };
    for owner in ["hospital-a", "hospital-b"] {
        let token = pki.ita_token(&ita_claims(&f.identity(owner)), true);
        assert_eq!(
            eval(&mut engine, &token_claims(&token)),
            regorus::Value::from(true),
            "{owner}"
        );
    }
    for (why, id) in wrong(&f) {
        let token = pki.ita_token(&ita_claims(&id), true);
        assert_eq!(
            eval(&mut engine, &token_claims(&token)),
            regorus::Value::from(false),
            "{why}"
        );
    }
    let mut claims = ita_claims(&f.identity("hospital-a"));
    claims["attester_tcb_status"] = json!("OutOfDate");
    assert_eq!(eval(&mut engine, &claims), regorus::Value::from(false));
    // TCB statuses and denied advisories as given.
    let policy = f.written(
        "ita-rego",
        "ita2.rego",
        &[
            "--allow-tcb-status",
            "UpToDate,OutOfDate",
            "--deny-advisory",
            "INTEL-SA-00615",
        ],
    );
    let mut engine = rego_engine(&format!("package policy\n{policy}"), true);
    assert_eq!(eval(&mut engine, &claims), regorus::Value::from(true));
    claims["attester_advisory_ids"] = json!(["INTEL-SA-00334", "INTEL-SA-00615"]);
    assert_eq!(eval(&mut engine, &claims), regorus::Value::from(false));
    // Without CONFIGID pinned, MRENCLAVE alone decides.
    let o = exe()
        .args(["policy", "--bundle"])
        .arg(&f.bundle)
        .arg("--entries")
        .arg(&f.owners)
        .args(["--format", "ita-rego", "-o", "-"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let policy = String::from_utf8(o.stdout).unwrap();
    let mut engine = rego_engine(&format!("package policy\n{policy}"), true);
    let mut other = f.identity("hospital-b");
    other.configid = None;
    other.mrsigner = [9; 32];
    assert_eq!(
        eval(&mut engine, &ita_claims(&other)),
        regorus::Value::from(true)
    );
}

/// The SGX claims Trustee's attestation service derives from a quote (`sgx.header`,
/// `sgx.body`: lowercase hex, integers little-endian), as its EAR broker passes them.
fn trustee_input(id: &TokenIdentity) -> Value {
    let flags: u64 = 0x05 | if id.debug { 0x02 } else { 0 };
    let body = json!({
        "cpu_svn": hex::encode([7u8; 16]),
        "misc_select": "00000000",
        "reserved1": hex::encode([0u8; 12]),
        "isv_ext_prod_id": hex::encode([0u8; 16]),
        "attributes.flags": hex::encode(flags.to_le_bytes()),
        "attributes.xfrm": hex::encode(0xe7u64.to_le_bytes()),
        "mr_enclave": hex::encode(id.mrenclave),
        "reserved2": hex::encode([0u8; 32]),
        "mr_signer": hex::encode(id.mrsigner),
        "reserved3": hex::encode([0u8; 32]),
        "config_id": hex::encode(id.configid.unwrap_or([0; 64])),
        "isv_prod_id": hex::encode(id.isvprodid.to_le_bytes()),
        "isv_svn": hex::encode(id.isvsvn.to_le_bytes()),
        "config_svn": hex::encode(id.config_svn.to_le_bytes()),
        "reserved4": hex::encode([0u8; 42]),
        "isv_family_id": hex::encode([0u8; 16]),
        "report_data": hex::encode(id.report_data),
    });
    json!({
        "sgx": {
            "header": {"version": "0300", "att_key_type": "0200", "vendor_id": "939a7233f79c4ca9940a0db3957f0607"},
            "body": body,
        },
        "init_data": hex::encode(id.configid.unwrap_or([0; 64])),
        "report_data": hex::encode(id.report_data),
    })
}

#[test]
fn trustee_policy_and_reference_values() {
    let f = Federation::new();
    let o = f.policy(
        "trustee",
        "trustee.rego",
        &["--rvps-message", f.path("message.json").to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o));
    let policy = std::fs::read_to_string(f.path("trustee.rego")).unwrap();
    let message: Value =
        serde_json::from_slice(&std::fs::read(f.path("message.json")).unwrap()).unwrap();
    // The RVPS message of the sample extractor: version, type, base64 payload of
    // {name: [values]}.
    assert_eq!(message["version"], "0.1.0");
    assert_eq!(message["type"], "sample");
    let provenance: Value =
        serde_json::from_slice(&Base64::decode_vec(message["payload"].as_str().unwrap()).unwrap())
            .unwrap();
    let values = provenance["sgx_enclaves"].clone();
    assert_eq!(values.as_array().unwrap().len(), 2);
    assert_eq!(values[1]["owner"], "hospital-b");
    assert_eq!(values[0]["isv_prod_id"], "0100");

    let engine_with = |reference: Value| {
        let mut engine = rego_engine(&policy, false);
        engine
            .add_extension(
                "query_reference_value".into(),
                1,
                Box::new(move |params: Vec<regorus::Value>| {
                    let name = params[0].as_string()?.to_string();
                    Ok(if name == "sgx_enclaves" {
                        regorus::Value::from_json_str(&reference.to_string())?
                    } else {
                        regorus::Value::Null
                    })
                }),
            )
            .unwrap();
        engine
    };
    let mut engine = engine_with(values.clone());
    let eval = |engine: &mut regorus::Engine, input: &Value| {
        engine.set_input_json(&input.to_string()).unwrap();
        let v = engine.eval_rule("data.policy.trust_claims".into()).unwrap();
        let j: Value = serde_json::from_str(&v.to_json_str().unwrap()).unwrap();
        (
            j["executables"].clone(),
            j["configuration"].clone(),
            j["hardware"].clone(),
        )
    };
    for owner in ["hospital-a", "hospital-b"] {
        assert_eq!(
            eval(&mut engine, &trustee_input(&f.identity(owner))),
            (json!(3), json!(2), json!(2)),
            "{owner}"
        );
    }
    for (why, id) in wrong(&f) {
        let (exe_claim, cfg_claim, _) = eval(&mut engine, &trustee_input(&id));
        if why == "a debug enclave" {
            assert_eq!((exe_claim, cfg_claim), (json!(3), json!(36)), "{why}");
        } else if why == "no CONFIGID" {
            // Trustee's claims always carry config_id; zeros are not the owner's.
            assert_eq!(exe_claim, json!(33), "{why}");
        } else {
            assert_eq!(exe_claim, json!(33), "{why}");
        }
    }
    // No reference values registered: nothing is accepted.
    let mut empty = engine_with(Value::Null);
    assert_eq!(
        eval(&mut empty, &trustee_input(&f.identity("hospital-a"))).0,
        json!(33)
    );
    // Not an SGX input: the policy's defaults.
    assert_eq!(
        eval(&mut engine, &json!({"tdx": {}})),
        (json!(33), json!(36), json!(97))
    );
    // Both files are required, and put in place together (a usage the command refuses: exit 2).
    let o = f.policy("trustee", "t2.rego", &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--rvps-message"), "{}", text(&o));
    assert!(!f.path("t2.rego").exists());
}

/// A parser for Azure Attestation's policy language, written from the published examples:
/// `version= X.Y;` then sections `configurationrules`, `authorizationrules`, `issuancerules`,
/// each `{ rule* };`, a rule being `[c:]? [cond] (&& [cond])* => action;` or `=> action;`, a
/// condition `type=="NAME"` optionally followed by `, value OP LITERAL`, an action
/// `permit()`, `deny()`, `issue(type="..", value=..)` or `issueproperty(type="..", value=..)`.
mod maa {
    #[derive(Debug, Clone, PartialEq)]
    pub enum Lit {
        Str(String),
        Int(i64),
        Bool(bool),
        ClaimValue,
    }

    #[derive(Debug, Clone)]
    pub struct Cond {
        pub claim: String,
        pub test: Option<(String, Lit)>,
    }

    #[derive(Debug, Clone)]
    pub struct Rule {
        pub conds: Vec<Cond>,
        pub action: String,
        pub args: Vec<(String, Lit)>,
    }

    #[derive(Debug, Default)]
    pub struct Policy {
        pub version: String,
        pub sections: Vec<(String, Vec<Rule>)>,
    }

    struct P<'a> {
        s: &'a [u8],
        i: usize,
    }

    impl P<'_> {
        fn ws(&mut self) {
            while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
                self.i += 1;
            }
        }
        fn eat(&mut self, t: &str) -> bool {
            self.ws();
            if self.s[self.i..].starts_with(t.as_bytes()) {
                self.i += t.len();
                true
            } else {
                false
            }
        }
        fn expect(&mut self, t: &str) -> Result<(), String> {
            if self.eat(t) {
                Ok(())
            } else {
                Err(format!(
                    "expected {t:?} at byte {}: {:?}",
                    self.i,
                    String::from_utf8_lossy(&self.s[self.i..(self.i + 30).min(self.s.len())])
                ))
            }
        }
        fn ident(&mut self) -> Result<String, String> {
            self.ws();
            let start = self.i;
            while self.i < self.s.len()
                && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
            {
                self.i += 1;
            }
            if start == self.i {
                return Err(format!("expected a name at byte {start}"));
            }
            Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
        }
        fn string(&mut self) -> Result<String, String> {
            self.expect("\"")?;
            let start = self.i;
            while self.i < self.s.len() && self.s[self.i] != b'"' {
                if self.s[self.i] == b'\\' || self.s[self.i] == b'\n' {
                    return Err(format!("escape or line break in a string at {}", self.i));
                }
                self.i += 1;
            }
            let v = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
            self.expect("\"")?;
            Ok(v)
        }
        fn literal(&mut self) -> Result<Lit, String> {
            self.ws();
            if self.s[self.i..].starts_with(b"\"") {
                return Ok(Lit::Str(self.string()?));
            }
            if self.eat("true") {
                return Ok(Lit::Bool(true));
            }
            if self.eat("false") {
                return Ok(Lit::Bool(false));
            }
            if self.eat("c.value") {
                return Ok(Lit::ClaimValue);
            }
            let start = self.i;
            while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                self.i += 1;
            }
            std::str::from_utf8(&self.s[start..self.i])
                .unwrap()
                .parse()
                .map(Lit::Int)
                .map_err(|_| format!("expected a literal at byte {start}"))
        }
        fn cond(&mut self) -> Result<Cond, String> {
            self.expect("[")?;
            self.expect("type")?;
            self.expect("==")?;
            let claim = self.string()?;
            let mut test = None;
            if self.eat(",") {
                self.expect("value")?;
                let op = ["==", "!=", ">=", "<=", ">", "<"]
                    .into_iter()
                    .find(|op| self.eat(op))
                    .ok_or("expected a comparison")?;
                test = Some((op.to_string(), self.literal()?));
            }
            self.expect("]")?;
            Ok(Cond { claim, test })
        }
        fn rule(&mut self) -> Result<Rule, String> {
            let mut conds = Vec::new();
            if !self.eat("=>") {
                let _ = self.eat("c:");
                conds.push(self.cond()?);
                while self.eat("&&") {
                    conds.push(self.cond()?);
                }
                self.expect("=>")?;
            }
            let action = self.ident()?;
            if !["permit", "deny", "issue", "issueproperty"].contains(&action.as_str()) {
                return Err(format!("unknown action {action}"));
            }
            self.expect("(")?;
            let mut args = Vec::new();
            if !self.eat(")") {
                loop {
                    let name = self.ident()?;
                    self.expect("=")?;
                    args.push((name, self.literal()?));
                    if self.eat(")") {
                        break;
                    }
                    self.expect(",")?;
                }
            }
            self.expect(";")?;
            Ok(Rule {
                conds,
                action,
                args,
            })
        }
    }

    pub fn parse(text: &str) -> Result<Policy, String> {
        let mut p = P {
            s: text.as_bytes(),
            i: 0,
        };
        let mut out = Policy::default();
        p.expect("version")?;
        p.expect("=")?;
        p.ws();
        let start = p.i;
        while p.i < p.s.len() && (p.s[p.i].is_ascii_digit() || p.s[p.i] == b'.') {
            p.i += 1;
        }
        out.version = String::from_utf8_lossy(&p.s[start..p.i]).into_owned();
        if !["1.0", "1.1", "1.2"].contains(&out.version.as_str()) {
            return Err(format!("version {:?}", out.version));
        }
        p.expect(";")?;
        loop {
            p.ws();
            if p.i == p.s.len() {
                break;
            }
            let name = p.ident()?;
            if !["configurationrules", "authorizationrules", "issuancerules"]
                .contains(&name.as_str())
            {
                return Err(format!("unknown section {name}"));
            }
            if out.sections.iter().any(|(n, _)| *n == name) {
                return Err(format!("section {name} twice"));
            }
            p.expect("{")?;
            let mut rules = Vec::new();
            while !p.eat("}") {
                rules.push(p.rule()?);
            }
            p.expect(";")?;
            out.sections.push((name, rules));
        }
        if !out.sections.iter().any(|(n, _)| n == "authorizationrules") {
            return Err("no authorizationrules".into());
        }
        Ok(out)
    }

    fn holds(c: &Cond, claims: &serde_json::Value) -> bool {
        let Some(v) = claims.get(&c.claim) else {
            return false;
        };
        let Some((op, lit)) = &c.test else {
            return true;
        };
        let ord = match (lit, v) {
            (Lit::Str(s), serde_json::Value::String(x)) => x.as_str().cmp(s.as_str()),
            (Lit::Int(n), serde_json::Value::Number(x)) => x.as_i64().unwrap_or(-1).cmp(n),
            (Lit::Bool(b), serde_json::Value::Bool(x)) => x.cmp(b),
            _ => return false,
        };
        use std::cmp::Ordering::*;
        match op.as_str() {
            "==" => ord == Equal,
            "!=" => ord != Equal,
            ">=" => ord != Less,
            "<=" => ord != Greater,
            ">" => ord == Greater,
            _ => ord == Less,
        }
    }

    /// Whether the authorization rules permit `claims` (the first rule whose conditions all
    /// hold decides), and the claims the issuance rules add.
    pub fn evaluate(p: &Policy, claims: &serde_json::Value) -> (bool, Vec<(String, Lit)>) {
        let rules = |name: &str| {
            p.sections
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, r)| r.clone())
                .unwrap_or_default()
        };
        let permit = rules("authorizationrules")
            .iter()
            .find(|r| r.conds.iter().all(|c| holds(c, claims)))
            .is_some_and(|r| r.action == "permit");
        let issued = rules("issuancerules")
            .iter()
            .filter(|r| r.action == "issue" && r.conds.iter().all(|c| holds(c, claims)))
            .filter_map(|r| {
                let t = r.args.iter().find(|(n, _)| n == "type")?;
                let v = r.args.iter().find(|(n, _)| n == "value")?;
                match &t.1 {
                    Lit::Str(s) => Some((s.clone(), v.1.clone())),
                    _ => None,
                }
            })
            .collect();
        (permit, issued)
    }
}

/// Policies of Azure Attestation's documentation ("Examples of an attestation policy").
const PUBLISHED_MAA: [&str; 3] = [
    r#"version= 1.0;
authorizationrules
{
       [ type=="x-ms-sgx-is-debuggable", value==false ]
        && [ type=="x-ms-sgx-product-id", value==4639 ]
        && [ type=="x-ms-sgx-svn", value>= 0 ]
        && [ type=="x-ms-sgx-mrsigner", value=="e31c9e505f37a58de09335075fc8591254313eb20bb1a27e5443cc450b6e33e5"]
    => permit();
};
issuancerules {
c:[type=="x-ms-sgx-mrsigner"] => issue(type="signer", value=c.value);
};"#,
    r#"version= 1.1;
configurationrules{
	=> issueproperty(type="x-ms-sgx-tcbidentifier", value="azuredefault");
};
authorizationrules{
	=> permit();
};
issuancerules{
	c:[type=="x-ms-sgx-is-debuggable"] => issue(type="is-debuggable", value=c.value);
	c:[type=="x-ms-sgx-mrsigner"] => issue(type="sgx-mrsigner", value=c.value);
	c:[type=="x-ms-sgx-mrenclave"] => issue(type="sgx-mrenclave", value=c.value);
	c:[type=="x-ms-sgx-product-id"] => issue(type="product-id", value=c.value);
	c:[type=="x-ms-sgx-svn"] => issue(type="svn", value=c.value);
	c:[type=="x-ms-attestation-type"] => issue(type="tee", value=c.value);
};"#,
    r#"version= 1.0; authorizationrules {
 [ type=="x-ms-sgx-is-debuggable", value==false] && [ type=="x-ms-sgx-mrsigner", value=="mrsigner1"] => permit();
 [ type=="x-ms-sgx-is-debuggable", value==false] && [ type=="x-ms-sgx-mrsigner", value=="mrsigner2"] => permit(); };"#,
];

#[test]
fn maa_policy_follows_the_published_grammar() {
    for p in PUBLISHED_MAA {
        maa::parse(p).unwrap_or_else(|e| panic!("{e}\n{p}"));
    }
    // The grammar is not a yes-machine.
    for bad in [
        "authorizationrules { => permit(); };",
        "version= 1.1; authorizationrules { [ type==\"a\" ] => allow(); };",
        "version= 1.1; authorizationrules { [ type==\"a\", value==x ] => permit(); };",
        "version= 1.1; authorizationrules { => permit() };",
        "version= 1.1; authorizationrules { => permit(); }",
        "version= 1.1; issuancerules { };",
    ] {
        assert!(maa::parse(bad).is_err(), "{bad}");
    }
    let f = Federation::new();
    let text = f.written("maa", "maa.txt", &[]);
    assert!(text.starts_with("version= 1.1;\n"), "{text}");
    let policy = maa::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    for owner in ["hospital-a", "hospital-b"] {
        let claims = maa_claims(&f.identity(owner));
        let (permit, issued) = maa::evaluate(&policy, &claims);
        assert!(permit, "{owner}");
        assert_eq!(
            issued,
            vec![("sgx-measure-owner".to_string(), maa::Lit::Str(owner.into()))]
        );
    }
    for (why, id) in wrong(&f) {
        assert!(!maa::evaluate(&policy, &maa_claims(&id)).0, "{why}");
    }
    // KSS constraints become conditions on the KSS claims.
    let text = f.written(
        "maa",
        "maa-kss.txt",
        &[
            "--min-configsvn",
            "1",
            "--isvfamilyid",
            "00000000000000000000000000000000",
        ],
    );
    let policy = maa::parse(&text).unwrap();
    let mut id = f.identity("hospital-a");
    assert!(!maa::evaluate(&policy, &maa_claims(&id)).0, "CONFIGSVN 0");
    id.config_svn = 1;
    assert!(maa::evaluate(&policy, &maa_claims(&id)).0, "CONFIGSVN 1");
}

/// `verify --json --token T` with the given identity options; the checks' (id, status).
fn verify_token(dir: &Path, token: &str, identity: &[&str]) -> (i32, Vec<(String, String)>, Value) {
    let pki = TokenPki::new();
    std::fs::write(dir.join("t.jwt"), token).unwrap();
    std::fs::write(dir.join("certs.json"), pki.ita_jwks()).unwrap();
    std::fs::write(dir.join("root.der"), &pki.ita_root).unwrap();
    let o = exe()
        .args(["verify", "--json", "--token"])
        .arg(dir.join("t.jwt"))
        .arg("--jwks")
        .arg(dir.join("certs.json"))
        .arg("--trust-root")
        .arg(dir.join("root.der"))
        .args(["--now", &NOW.to_string()])
        .args(identity)
        .output()
        .unwrap();
    let j: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(&o)));
    let checks = j["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (o.status.code().unwrap(), checks, j)
}

#[test]
fn verify_policy_round_trips_the_json_document() {
    let f = Federation::new();
    let doc = f.written(
        "json",
        "expected.json",
        &["--allow-tcb-status", "UpToDate,SWHardeningNeeded"],
    );
    let d: Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(d["format"], "sgx-measure expected identity");
    assert_eq!(d["enclaves"][1]["owner"], "hospital-b");
    assert_eq!(
        d["enclaves"][1]["mrenclave"],
        hex::encode(f.mrenclave["hospital-b"])
    );
    let pki = TokenPki::new();
    let bundle = f.bundle.display().to_string();
    let owners = f.owners.display().to_string();
    let options = [
        "--bundle",
        bundle.as_str(),
        "--entries",
        owners.as_str(),
        "--mrsigner",
        MRSIGNER,
        "--isvprodid",
        "1",
        "--min-isvsvn",
        "2",
        "--configid",
        "auto",
        "--allow-tcb-status",
        "UpToDate,SWHardeningNeeded",
    ];
    let policy = f.path("expected.json").display().to_string();
    let mut tokens: Vec<(String, Value)> =
        vec![("hospital-b".into(), ita_claims(&f.identity("hospital-b")))];
    for (why, id) in wrong(&f) {
        tokens.push((why.into(), ita_claims(&id)));
    }
    let mut hardening = ita_claims(&f.identity("hospital-a"));
    hardening["attester_tcb_status"] = json!("SWHardeningNeeded");
    tokens.push(("SWHardeningNeeded".into(), hardening));
    let mut stale = ita_claims(&f.identity("hospital-a"));
    stale["attester_tcb_status"] = json!("OutOfDate");
    tokens.push(("OutOfDate".into(), stale));
    for (why, claims) in tokens {
        let t = pki.ita_token(&claims, true);
        let (code_cli, checks_cli, _) = verify_token(f.dir.path(), &t, &options);
        let (code_doc, checks_doc, j) = verify_token(f.dir.path(), &t, &["--policy", &policy]);
        assert_eq!(code_doc, code_cli, "{why}");
        // The same decisions, check by check (the append policy was checked when the document
        // was written).
        let without_append: Vec<_> = checks_cli
            .into_iter()
            .filter(|(id, _)| id != "append_policy")
            .collect();
        assert_eq!(checks_doc, without_append, "{why}");
        if why == "hospital-b" {
            assert_eq!(code_doc, 0);
            assert_eq!(j["owner"], "hospital-b");
        }
    }
    // The document converts to every other format, the same as from the command line.
    for format in ["ita-rego", "maa", "json"] {
        let from_cli = f.written(
            format,
            &format!("cli.{format}"),
            &["--allow-tcb-status", "UpToDate,SWHardeningNeeded"],
        );
        let o = exe()
            .args(["policy", "--policy", &policy, "--format", format, "-o", "-"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        let from_doc = String::from_utf8(o.stdout).unwrap();
        if format == "json" {
            let a: Value = serde_json::from_str(&from_cli).unwrap();
            let b: Value = serde_json::from_str(&from_doc).unwrap();
            assert_eq!(a["enclaves"].as_array().unwrap().len(), 2);
            for k in [
                "mrsigner",
                "isvprodid",
                "min_isvsvn",
                "configid",
                "allow_tcb_status",
            ] {
                assert_eq!(a[k], b[k], "{k}");
            }
        } else {
            assert_eq!(from_cli, from_doc, "{format}");
        }
    }
    // Malformed documents and conflicting options: exit 2, named.
    for (content, msg) in [
        (
            doc.replace("\"min_isvsvn\"", "\"min_isvsn\""),
            "unknown field `min_isvsn`",
        ),
        (doc.replace("\"version\": 1", "\"version\": 2"), "version 2"),
        (doc.replace("\"UpToDate\",", "\"Revoked\","), "Revoked"),
        ("{}".to_string(), "missing field"),
    ] {
        std::fs::write(f.path("bad.json"), &content).unwrap();
        let bad = f.path("bad.json").display().to_string();
        let (code, _, _) = {
            let o = exe()
                .args(["verify", "--policy", &bad, "--mrenclave"])
                .arg(hex::encode(f.mrenclave["hospital-a"]))
                .output()
                .unwrap();
            assert!(text(&o).contains(msg), "{msg}: {}", text(&o));
            (o.status.code().unwrap(), (), ())
        };
        assert_eq!(code, 2, "{msg}");
    }
    let o = exe()
        .args([
            "verify",
            "--policy",
            &policy,
            "--mrsigner",
            MRSIGNER,
            "--mrenclave",
        ])
        .arg(hex::encode(f.mrenclave["hospital-a"]))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn bigdl_register_policy_bodies() {
    let f = Federation::new();
    let out = f.written(
        "bigdl",
        "bigdl.json",
        &["--app-id", "app-1", "--api-key", "key-1"],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 2);
    for (item, owner) in list.iter().zip(["hospital-a", "hospital-b"]) {
        assert_eq!(item["owner"], owner);
        let body = &item["registerPolicy"];
        assert_eq!(body["policyType"], "SGXMREnclavePolicy");
        assert_eq!(body["mrEnclave"], hex::encode(f.mrenclave[owner]));
        assert_eq!(body["mrSigner"], MRSIGNER);
        assert_eq!(body["appID"], "app-1");
        assert_eq!(body["apiKey"], "key-1");
    }
    // One enclave: the body itself.
    let o = exe()
        .args(["policy", "--expect-mrenclave"])
        .arg(hex::encode(f.mrenclave["hospital-a"]))
        .args(["--mrsigner", MRSIGNER, "--format", "bigdl", "-o", "-"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v,
        json!({"policyType": "SGXMREnclavePolicy", "mrEnclave": hex::encode(f.mrenclave["hospital-a"]), "mrSigner": MRSIGNER})
    );
    // SGXMREnclavePolicy needs MRSIGNER.
    let o = exe()
        .args(["policy", "--expect-mrenclave"])
        .arg(hex::encode(f.mrenclave["hospital-a"]))
        .args(["--format", "bigdl", "-o", "-"])
        .output()
        .unwrap();
    // Unusable input (docs/cli.md): exit 2.
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--mrsigner"), "{}", text(&o));
}

#[test]
fn an_owner_breaking_the_append_policy_gets_no_policy() {
    let f = Federation::new();
    let bad = std::fs::read_to_string(f.owners.join("hospital-b.toml"))
        .unwrap()
        .replacen("file:/data/owner2/", "file:/usr/lib/", 1);
    std::fs::write(f.owners.join("hospital-c.toml"), bad).unwrap();
    let o = f.policy("ita-rego", "ita.rego", &[]);
    // Entries refused by the bundle's rules are unusable input (docs/cli.md): exit 2.
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("hospital-c"), "{}", text(&o));
    assert!(text(&o).contains("no policy written"), "{}", text(&o));
    assert!(!f.path("ita.rego").exists());
}
