//! `sgx-measure policy`: the expected identity (the same options as `verify`) written as the
//! policy an attestation service needs. The texts are built by `measure_lib::policy`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};

use super::identity::{self, IdentityArgs, Inputs};
use measure_lib::check::Check;
use measure_lib::policy;
use measure_lib::{fsutil, outputs};

/// Policy formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PolicyFormat {
    /// Intel Trust Authority appraisal policy (Rego).
    ItaRego,
    /// Azure Attestation policy (`version= 1.1; authorizationrules { ... }`).
    Maa,
    /// Confidential Containers Trustee: EAR policy (Rego) to -o, RVPS reference values to
    /// --rvps-message.
    Trustee,
    /// BigDL PPML attestation service: the body of `registerPolicy` (SGXMREnclavePolicy).
    Bigdl,
    /// sgx-measure's expected-identity document (read back by `verify --policy`).
    Json,
}

/// Write the expected identity as an attestation service's policy.
///
/// The expected identity comes from the same options as `verify`'s: a base bundle plus one or
/// several data owners' entries (one accepted MRENCLAVE per owner, each owner named), a final
/// manifest plus libpal, an MRENCLAVE, or a policy document; with MRSIGNER, ISVPRODID, minimum
/// ISVSVN, CONFIGID (`auto`: each owner's), debug and TCB options. Owners whose entries break the
/// base bundle's append policy are refused: no policy is written.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure policy --bundle base.bundle --entries owners/ --mrsigner 31ecbf4d...d9f4 --isvprodid 1 --min-isvsvn 1 --configid auto --format ita-rego -o ita-policy.rego\n  sgx-measure policy --bundle base.bundle --entries owner1.toml --mrsigner 31ecbf4d...d9f4 --format maa -o maa-policy.txt\n  sgx-measure policy --bundle base.bundle --entries owners/ --format trustee -o trustee-policy.rego --rvps-message rvps-message.json\n  sgx-measure policy --expect-mrenclave 29243f15...96a6 --mrsigner 31ecbf4d...d9f4 --format bigdl -o register-policy.json\n  sgx-measure policy --bundle base.bundle --entries owners/ --mrsigner 31ecbf4d...d9f4 --format json -o expected.json"
)]
pub struct PolicyArgs {
    /// The expected identity.
    #[command(flatten)]
    pub identity: IdentityArgs,
    /// The policy format.
    #[arg(long, value_enum)]
    pub format: PolicyFormat,
    /// Output file (`-`: standard output).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
    /// With --format trustee: where the RVPS message (the reference values the policy queries)
    /// is written. Both files are put in place together.
    #[arg(long = "rvps-message", value_name = "FILE")]
    pub rvps_message: Option<PathBuf>,
    /// With --format bigdl: the appID `/enroll` returned.
    #[arg(long = "app-id", value_name = "ID")]
    pub app_id: Option<String>,
    /// With --format bigdl: the apiKey `/enroll` returned (written into the file).
    #[arg(long = "api-key", value_name = "KEY")]
    pub api_key: Option<String>,
    /// Print nothing (what is printed anyway, unless `-o -`; accepted as every command accepts
    /// it).
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
    /// Print what was written: `{"format", "output", "rvps_message", "mrenclaves": [{"mrenclave",
    /// "owner"}]}` (not with `-o -`, whose standard output is the policy).
    #[arg(long)]
    pub json: bool,
}

fn write(path: &std::path::Path, text: &str) -> Result<()> {
    if path.as_os_str() == "-" {
        std::io::stdout().lock().write_all(text.as_bytes())?;
    } else {
        fsutil::write_atomic(path, text.as_bytes())?;
    }
    Ok(())
}

/// Runs the command.
pub fn run(args: &PolicyArgs) -> Result<()> {
    if args.rvps_message.is_some() != (args.format == PolicyFormat::Trustee) {
        bail!(if args.format == PolicyFormat::Trustee {
            "--format trustee writes two files: the policy (-o) and the RVPS message with the reference values it queries (--rvps-message FILE)"
        } else {
            "--rvps-message goes with --format trustee"
        });
    }
    if (args.app_id.is_some() || args.api_key.is_some()) && args.format != PolicyFormat::Bigdl {
        bail!("--app-id and --api-key go with --format bigdl");
    }
    if args.json && args.output.as_os_str() == "-" {
        bail!(
            "--json prints a JSON document on standard output, where -o - would write the policy: give -o FILE"
        );
    }
    let id = &args.identity;
    let ins: Vec<(&str, &std::path::Path)> = id
        .bundle
        .iter()
        .map(|p| ("bundle", p.as_path()))
        .chain(id.entries.iter().map(|p| ("entries", p.as_path())))
        .chain(id.manifest.iter().map(|p| ("manifest", p.as_path())))
        .chain(id.libpal.iter().map(|p| ("libpal", p.as_path())))
        .chain(id.policy.iter().map(|p| ("policy document", p.as_path())))
        .filter(|(_, p)| p.as_os_str() != "-")
        .collect();
    let outs: Vec<(&str, &std::path::Path)> = std::iter::once(("policy", args.output.as_path()))
        .chain(
            args.rvps_message
                .iter()
                .map(|p| ("RVPS message", p.as_path())),
        )
        .filter(|(_, p)| p.as_os_str() != "-")
        .collect();
    fsutil::check_distinct(&outs, &ins, &std::collections::HashSet::new())?;
    let mut inputs = Inputs::new();
    let expected = identity::expected(&args.identity, &mut inputs)?;
    let broken: Vec<&Check> = expected
        .identity
        .source_checks
        .iter()
        .filter(|c| c.failed())
        .collect();
    if let Some(c) = broken.first() {
        bail!(
            "{}: {} (expected: {}); no policy written",
            c.name,
            c.found,
            c.expected
        );
    }
    write_policy(args, &expected)?;
    if args.json {
        let doc = serde_json::json!({
            "format": args.format.to_possible_value().map(|v| v.get_name().to_string()),
            "output": args.output.display().to_string(),
            "rvps_message": args.rvps_message.as_ref().map(|p| p.display().to_string()),
            "mrenclaves": expected
                .identity
                .mrenclaves
                .iter()
                .map(|m| serde_json::json!({"mrenclave": hex::encode(m.value), "owner": m.owner}))
                .collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    }
    Ok(())
}

/// Writes the policy (and Trustee's RVPS message) in the format asked for.
fn write_policy(args: &PolicyArgs, expected: &policy::Expected) -> Result<()> {
    match args.format {
        PolicyFormat::ItaRego => write(&args.output, &policy::ita_rego(expected)?),
        PolicyFormat::Maa => write(&args.output, &policy::maa(expected)?),
        PolicyFormat::Bigdl => write(
            &args.output,
            &policy::bigdl(expected, args.app_id.as_deref(), args.api_key.as_deref())?,
        ),
        PolicyFormat::Json => write(&args.output, &policy::json(expected)?),
        PolicyFormat::Trustee => {
            let (rego, message) = policy::trustee(expected)?;
            let rvps = args.rvps_message.as_deref().unwrap_or(&args.output);
            if args.output.as_os_str() == "-" || rvps.as_os_str() == "-" {
                bail!("--format trustee writes files: give -o FILE and --rvps-message FILE");
            }
            let set = outputs::OutputSet::begin(&[&args.output, rvps])?;
            set.write(0, rego.as_bytes())?;
            set.write(1, format!("{message}\n").as_bytes())?;
            set.commit()?;
            Ok(())
        }
    }
}
