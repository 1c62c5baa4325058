//! The expected-identity options `verify` and `policy` share, and their reading into the
//! library's [`Expected`]: a base bundle plus one or several data owners' entries, a final
//! manifest plus libpal, an MRENCLAVE computed elsewhere, or a policy document.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use measure_core::profile::GramineVersion;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::entries::{From, in_file, load, open};
use super::parse_version;
use measure_lib::dcap::{self, TcbStatus};
use measure_lib::entries::Entries;
use measure_lib::identity::{ConfigidRule, ExpectedIdentity, parse_hex};
use measure_lib::policy::{Document, Expected};
use measure_lib::{fsutil, verify};

/// The enclave a relying party expects (shared by `verify` and `policy`).
#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("identity").required(true).args(["bundle", "manifest", "expect_mrenclave", "policy", "sdk_enclave"])))]
pub struct IdentityArgs {
    /// Expected identity: the base bundle (with --entries).
    #[arg(long, value_name = "FILE", requires = "entries")]
    pub bundle: Option<PathBuf>,
    /// The data owner's entries (`-` for standard input), with --bundle. Repeat it, or give a
    /// directory (each file in it, by name), for several data owners: one MRENCLAVE per owner,
    /// each owner named by its file name without extension.
    #[arg(long, value_name = "FILE|DIR", requires = "bundle")]
    pub entries: Vec<PathBuf>,
    /// Entries format (default: detected).
    #[arg(long, value_enum)]
    pub from: Option<From>,
    /// For sha256sum entries: the URI prefix [default: file:].
    #[arg(long = "uri-prefix", value_name = "P")]
    pub uri_prefix: Option<String>,
    /// Expected identity: a final manifest (.manifest.sgx), with --libpal.
    #[arg(long, value_name = "FINAL.manifest.sgx", requires = "libpal")]
    pub manifest: Option<PathBuf>,
    /// The PAL (Gramine's sgx/libpal.so), with --manifest.
    #[arg(long, value_name = "FILE", requires = "manifest")]
    pub libpal: Option<PathBuf>,
    /// Gramine version whose layout rules apply to --manifest.
    #[arg(long, value_name = "V", default_value = GramineVersion::LATEST.as_str(), value_parser = parse_version)]
    pub gramine: GramineVersion,
    /// Expected identity: an MRENCLAVE computed elsewhere (64 hex digits).
    #[arg(long = "expect-mrenclave", value_name = "HEX")]
    pub expect_mrenclave: Option<String>,
    /// Expected identity: an Intel SGX SDK enclave (boxed: keeps `Command` small).
    #[command(flatten)]
    pub sdk: Box<SdkIdentityArgs>,
    /// Expected identity: an expected-identity document (`sgx-measure policy --format json`),
    /// with everything it pins (MRENCLAVEs per owner, MRSIGNER, ..., TCB statuses).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Expected MRSIGNER (64 hex digits).
    #[arg(long, value_name = "HEX", conflicts_with = "policy")]
    pub mrsigner: Option<String>,
    /// Expected CONFIGID: `auto` (each data owner's entries' CONFIGID, see `sgx-measure
    /// configid`) or 128 hex digits.
    #[arg(long, value_name = "auto|HEX", conflicts_with = "policy")]
    pub configid: Option<String>,
    /// Expected ISVPRODID.
    #[arg(long, value_name = "N", conflicts_with = "policy")]
    pub isvprodid: Option<u16>,
    /// Minimum ISVSVN.
    #[arg(long = "min-isvsvn", value_name = "N", conflicts_with = "policy")]
    pub min_isvsvn: Option<u16>,
    /// Minimum CONFIGSVN (KSS).
    #[arg(long = "min-configsvn", value_name = "N", conflicts_with = "policy")]
    pub min_configsvn: Option<u16>,
    /// Expected ISVEXTPRODID (KSS, 32 hex digits).
    #[arg(long = "isvextprodid", value_name = "HEX", conflicts_with = "policy")]
    pub isvextprodid: Option<String>,
    /// Expected ISVFAMILYID (KSS, 32 hex digits).
    #[arg(long = "isvfamilyid", value_name = "HEX", conflicts_with = "policy")]
    pub isvfamilyid: Option<String>,
    /// Accept a debug enclave (by default the DEBUG attribute must be clear).
    #[arg(long = "allow-debug", conflicts_with = "policy")]
    pub allow_debug: bool,
    /// Accepted TCB statuses, comma-separated (UpToDate, SWHardeningNeeded, ConfigurationNeeded,
    /// ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded) [default:
    /// UpToDate].
    #[arg(
        long = "allow-tcb-status",
        value_name = "LIST",
        value_delimiter = ',',
        conflicts_with = "policy"
    )]
    pub allow_tcb_status: Vec<String>,
    /// Fail if the platform's TCB level lists this advisory (e.g. INTEL-SA-00615); repeatable.
    #[arg(long = "deny-advisory", value_name = "ID", conflicts_with = "policy")]
    pub deny_advisory: Vec<String>,
}

/// `verify`'s SDK enclave identity source.
#[derive(Args, Debug, Default)]
pub struct SdkIdentityArgs {
    /// Expected identity: an Intel SGX SDK enclave (`enclave.so`, signed or not); MRENCLAVE is
    /// what `sgx_sign` computes for it with --sdk-config.
    #[arg(long = "sdk-enclave", value_name = "FILE")]
    pub sdk_enclave: Option<PathBuf>,
    /// The SDK enclave's configuration (`Enclave.config.xml`; without it, `sgx_sign`'s defaults).
    #[arg(long = "sdk-config", value_name = "FILE", requires = "sdk_enclave")]
    pub sdk_config: Option<PathBuf>,
    /// The `sgx_sign` release for --sdk-enclave [default: the one the enclave was built with].
    #[arg(long = "sdk-version", value_name = "VERSION", requires = "sdk_enclave", value_parser = super::sdk::parse_version)]
    pub sdk_version: Option<measure_core::sdk::SdkVersion>,
}

/// What the header of `verify`'s output says about the inputs.
pub struct Inputs {
    /// Tree lines.
    pub lines: Vec<(&'static str, String)>,
    /// JSON fields.
    pub json: serde_json::Map<String, Value>,
}

impl Inputs {
    /// Empty.
    pub fn new() -> Inputs {
        Inputs {
            lines: Vec::new(),
            json: serde_json::Map::new(),
        }
    }
}

impl Default for Inputs {
    fn default() -> Self {
        Inputs::new()
    }
}

/// One data owner's entries, read.
struct Owner {
    name: Option<String>,
    path: PathBuf,
    entries: Entries,
}

/// The owners `--entries` names: files, directories (each regular file, by name, hidden files
/// skipped). Named by file stem when there are several or a directory was given.
fn owners(args: &IdentityArgs) -> Result<Vec<Owner>> {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut from_dir = false;
    for p in &args.entries {
        if p.as_os_str() != "-" && p.is_dir() {
            from_dir = true;
            let mut inside: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("--entries {}", p.display()))?
                .map(|e| e.map(|e| e.path()))
                .collect::<std::io::Result<Vec<_>>>()
                .with_context(|| format!("--entries {}", p.display()))?
                .into_iter()
                .filter(|f| {
                    f.is_file()
                        && !f
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect();
            inside.sort();
            if inside.is_empty() {
                bail!(
                    "--entries {}: the directory has no entries file",
                    p.display()
                );
            }
            files.extend(inside);
        } else {
            files.push(p.clone());
        }
    }
    if files.iter().filter(|f| f.as_os_str() == "-").count() > 0 && files.len() > 1 {
        bail!("--entries -: standard input is one owner's entries; give files for several owners");
    }
    let named = from_dir || files.len() > 1;
    let mut seen = std::collections::BTreeMap::new();
    let mut out = Vec::new();
    for f in files {
        let name = named.then(|| owner_name(&f));
        if let Some(n) = &name
            && let Some(prev) = seen.insert(n.clone(), f.clone())
        {
            bail!(
                "--entries: {} and {} both name the data owner {n:?} (owners are named by file name without extension)",
                prev.display(),
                f.display()
            );
        }
        let entries = load(&f, args.from, args.uri_prefix.as_deref())?;
        out.push(Owner {
            name,
            path: f,
            entries,
        });
    }
    Ok(out)
}

/// `owner1.toml` -> `owner1`.
fn owner_name(p: &Path) -> String {
    p.file_stem()
        .or(p.file_name())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// Reads the expected identity the options describe, and says what was read in `inputs`.
pub fn expected(args: &IdentityArgs, inputs: &mut Inputs) -> Result<Expected> {
    if let Some(path) = &args.policy {
        let bytes = fsutil::read(path, "policy")?;
        let doc = Document::parse(&bytes).with_context(|| format!("{}", path.display()))?;
        let e = doc
            .to_expected(&format!("policy {}", path.display()))
            .with_context(|| format!("{}", path.display()))?;
        let owners: Vec<&str> = doc
            .enclaves
            .iter()
            .filter_map(|e| e.owner.as_deref())
            .collect();
        inputs.lines.push((
            "policy",
            format!(
                "{} (sha256 {}, {} enclave(s){})",
                path.display(),
                hex::encode(Sha256::digest(&bytes)),
                doc.enclaves.len(),
                if owners.is_empty() {
                    String::new()
                } else {
                    format!(": {}", owners.join(", "))
                }
            ),
        ));
        inputs.json.insert(
            "policy".into(),
            json!({"path": path.display().to_string(), "sha256": hex::encode(Sha256::digest(&bytes)), "enclaves": doc.enclaves}),
        );
        return Ok(e);
    }
    let single_file = match args.entries.as_slice() {
        [e] if e.as_os_str() == "-" || !e.is_dir() => Some(e),
        _ => None,
    };
    let mut id = if let (Some(bundle), Some(entries)) = (&args.bundle, single_file) {
        let bundle_bytes = fsutil::read(bundle, "bundle")?;
        let parsed = measure_core::bundle::Bundle::parse(&bundle_bytes)
            .with_context(|| format!("bundle {}", bundle.display()))?;
        // One owner: the entries are streamed, read twice (checked, then measured), never held.
        let input = open(entries, args.from, args.uri_prefix.as_deref())?;
        let (id, read) = verify::expected_from_input(&parsed, &input, &ExpectedIdentity::default())
            .map_err(|e| in_file(e, entries))
            .with_context(|| format!("bundle {}", bundle.display()))?;
        let sha = hex::encode(Sha256::digest(&bundle_bytes));
        let version = parsed.params.version;
        inputs.lines.push((
            "bundle",
            format!("{} (sha256 {sha}, Gramine {version})", bundle.display()),
        ));
        inputs.lines.push((
            "entries",
            format!("{} ({} entries)", entries.display(), read.count),
        ));
        inputs.json.insert(
            "bundle".into(),
            json!({"path": bundle.display().to_string(), "sha256": sha, "gramine": version.as_str()}),
        );
        inputs.json.insert(
            "entries".into(),
            json!({"path": entries.display().to_string(), "count": read.count, "configid": hex::encode(read.configid)}),
        );
        id
    } else if let Some(bundle) = &args.bundle {
        let bundle_bytes = fsutil::read(bundle, "bundle")?;
        let parsed = measure_core::bundle::Bundle::parse(&bundle_bytes)
            .with_context(|| format!("bundle {}", bundle.display()))?;
        let owners = owners(args)?;
        let refs: Vec<(Option<&str>, &Entries)> = owners
            .iter()
            .map(|o| (o.name.as_deref(), &o.entries))
            .collect();
        let id = verify::expected_from_owners(&parsed, &refs, &ExpectedIdentity::default())
            .with_context(|| format!("bundle {}", bundle.display()))?;
        let sha = hex::encode(Sha256::digest(&bundle_bytes));
        let version = parsed.params.version;
        inputs.lines.push((
            "bundle",
            format!("{} (sha256 {sha}, Gramine {version})", bundle.display()),
        ));
        inputs.json.insert(
            "bundle".into(),
            json!({"path": bundle.display().to_string(), "sha256": sha, "gramine": version.as_str()}),
        );
        match owners.as_slice() {
            [o] if o.name.is_none() => {
                inputs.lines.push((
                    "entries",
                    format!("{} ({} entries)", o.path.display(), o.entries.len()),
                ));
                inputs.json.insert(
                    "entries".into(),
                    json!({"path": o.path.display().to_string(), "count": o.entries.len(), "configid": hex::encode(o.entries.configid()?)}),
                );
            }
            many => {
                inputs.lines.push((
                    "entries",
                    format!(
                        "{} data owners: {}",
                        many.len(),
                        many.iter()
                            .map(|o| format!(
                                "{} ({}, {} entries)",
                                o.name.as_deref().unwrap_or("?"),
                                o.path.display(),
                                o.entries.len()
                            ))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
                let list: Vec<Value> = many
                    .iter()
                    .zip(&id.mrenclaves)
                    .map(|(o, m)| {
                        Ok(json!({
                            "owner": o.name,
                            "path": o.path.display().to_string(),
                            "count": o.entries.len(),
                            "configid": hex::encode(o.entries.configid()?),
                            "mrenclave": hex::encode(m.value),
                        }))
                    })
                    .collect::<Result<_>>()?;
                inputs.json.insert("owners".into(), Value::Array(list));
            }
        }
        id
    } else if let (Some(manifest), Some(libpal)) = (&args.manifest, &args.libpal) {
        let m = fsutil::read(manifest, "manifest")?;
        let l = fsutil::read(libpal, "libpal")?;
        let id =
            ExpectedIdentity::from_manifest(&m, &l, &libpal.display().to_string(), args.gramine)?;
        inputs.lines.push((
            "manifest",
            format!(
                "{} (sha256 {}), libpal {}",
                manifest.display(),
                hex::encode(Sha256::digest(&m)),
                libpal.display()
            ),
        ));
        inputs.json.insert(
            "manifest".into(),
            json!({"path": manifest.display().to_string(), "sha256": hex::encode(Sha256::digest(&m)), "libpal": libpal.display().to_string(), "gramine": args.gramine.as_str()}),
        );
        id
    } else if let Some(enclave) = &args.sdk.sdk_enclave {
        let (what, mrenclave) = super::sdk::expected_mrenclave(
            enclave,
            args.sdk.sdk_config.as_deref(),
            args.sdk.sdk_version,
        )?;
        inputs.lines.push(("sdk", what.clone()));
        inputs.json.insert("sdk_enclave".into(), json!(what));
        ExpectedIdentity {
            mrenclaves: vec![measure_lib::identity::ExpectedMrenclave {
                value: mrenclave,
                source: "SDK enclave + configuration (sgx_sign)".into(),
                owner: None,
                configid: None,
            }],
            ..ExpectedIdentity::default()
        }
    } else {
        let v = args.expect_mrenclave.as_deref().unwrap_or_default();
        let id = ExpectedIdentity::from_mrenclave_hex(v)?;
        inputs.lines.push(("expected", "--expect-mrenclave".into()));
        id
    };
    if let Some(m) = &args.mrsigner {
        id.mrsigner = Some(parse_hex::<32>(m, "--mrsigner")?);
    }
    id.isvprodid = args.isvprodid;
    id.min_isvsvn = args.min_isvsvn;
    id.min_config_svn = args.min_configsvn;
    id.isv_ext_prod_id = args
        .isvextprodid
        .as_deref()
        .map(|h| parse_hex::<16>(h, "--isvextprodid"))
        .transpose()?;
    id.isv_family_id = args
        .isvfamilyid
        .as_deref()
        .map(|h| parse_hex::<16>(h, "--isvfamilyid"))
        .transpose()?;
    id.allow_debug = args.allow_debug;
    if let Some(c) = &args.configid {
        id.configid = Some(if c == "auto" {
            if args.bundle.is_none() {
                return Err(anyhow!(
                    "--configid auto needs --bundle and --entries (give 128 hex digits otherwise)"
                ));
            }
            ConfigidRule::PerOwner
        } else {
            ConfigidRule::Value(parse_hex::<64>(c, "--configid")?, String::new())
        });
    }
    let allowed_statuses = args
        .allow_tcb_status
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| dcap::parse_tcb_status(s))
        .collect::<Result<Vec<_>, _>>()?;
    if allowed_statuses.contains(&TcbStatus::Revoked) {
        bail!(
            "--allow-tcb-status: Revoked is never accepted (the platform's keys are compromised)"
        );
    }
    Ok(Expected {
        identity: id,
        allowed_statuses,
        denied_advisories: args.deny_advisory.clone(),
    })
}
