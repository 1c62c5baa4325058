//! `sgx-measure diff`: why two enclaves measure differently. The report is computed by
//! `measure_lib::diff`; this module maps the arguments, prints the JSON (the report's
//! serialization) or the text (`text.rs`) and sets the exit status.

mod text;

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use measure_core::profile::GramineVersion;
use measure_lib::diff::{self, DiffOptions, DiffReport, SideOptions};
use measure_lib::entries::Entries;
use measure_lib::manifest::DEFAULT_LIBOS;
use measure_lib::pipeline;
use measure_lib::toml::TomlWriter;

use super::entries::{From, read_input};
use super::parse_version;
use super::pipeline::{parse_sha256_hex, stderr_warnings, tomli_w_parser};

/// Explain why two enclaves measure differently: layout attributes, manifest keys (trusted files
/// by URI), PAL segments and pages, and the first measurement record where they part.
///
/// A and B are each a manifest (a source .manifest is run through the manifest pipeline as
/// `sgx-measure expand` does; a final .manifest.sgx, one the pipeline would not change, is
/// measured as given), a bundle (with --entries appended as `sgx-measure append` does, policy
/// enforced) or a .sig (only ENCLAVEHASH and the SIGSTRUCT fields are compared). The kind is
/// detected from the content.
///
/// Exit status: 0 if A and B have the same MRENCLAVE, 1 if they differ, 2 if an input is
/// unusable.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  sgx-measure diff app.manifest.sgx other/app.manifest.sgx --libpal libpal.so\n  sgx-measure diff app.manifest.sgx app.manifest.sgx --a-libpal old/libpal.so --b-libpal new/libpal.so\n  sgx-measure diff base.bundle final.manifest.sgx --entries owner1.toml --b-libpal libpal.so --json\n  sgx-measure diff app.sig app.manifest.sgx --libpal libpal.so --gramine 1.9"
)]
pub struct DiffArgs {
    /// First input: a manifest, a bundle or a .sig.
    #[arg(value_name = "A")]
    pub a: PathBuf,
    /// Second input: a manifest, a bundle or a .sig.
    #[arg(value_name = "B")]
    pub b: PathBuf,
    /// The PAL for every manifest input [default: Gramine's installed sgx/libpal.so].
    #[arg(short = 'l', long, value_name = "L", conflicts_with_all = ["a_libpal", "b_libpal"])]
    pub libpal: Option<PathBuf>,
    /// The PAL for A (a manifest).
    #[arg(long = "a-libpal", value_name = "LA")]
    pub a_libpal: Option<PathBuf>,
    /// The PAL for B (a manifest).
    #[arg(long = "b-libpal", value_name = "LB")]
    pub b_libpal: Option<PathBuf>,
    /// Gramine version of both inputs [default: 1.9; a bundle names its own].
    #[arg(long, value_name = "V", value_parser = parse_version, conflicts_with_all = ["a_gramine", "b_gramine"])]
    pub gramine: Option<GramineVersion>,
    /// Gramine version of A.
    #[arg(long = "a-gramine", value_name = "VA", value_parser = parse_version)]
    pub a_gramine: Option<GramineVersion>,
    /// Gramine version of B.
    #[arg(long = "b-gramine", value_name = "VB", value_parser = parse_version)]
    pub b_gramine: Option<GramineVersion>,
    /// A data owner's entries appended to every bundle input.
    #[arg(long, value_name = "E", conflicts_with_all = ["a_entries", "b_entries"])]
    pub entries: Option<PathBuf>,
    /// Entries appended to A (a bundle).
    #[arg(long = "a-entries", value_name = "EA")]
    pub a_entries: Option<PathBuf>,
    /// Entries appended to B (a bundle).
    #[arg(long = "b-entries", value_name = "EB")]
    pub b_entries: Option<PathBuf>,
    /// Entries format (default: detected).
    #[arg(long, value_enum)]
    pub from: Option<From>,
    /// For sha256sum entries: the URI prefix [default: file:].
    #[arg(long = "uri-prefix", value_name = "P")]
    pub uri_prefix: Option<String>,
    /// Source manifests: the tomli_w version of the signing machine (v1.4+).
    #[arg(long = "tomli-w", value_name = "1|0.4", default_value = "1", value_parser = tomli_w_parser())]
    pub tomli_w: TomlWriter,
    /// Source manifests: the LibOS inserted as loader.entrypoint.uri (v1.8+).
    #[arg(long, value_name = "FILE", default_value = DEFAULT_LIBOS)]
    pub libos: PathBuf,
    /// Source manifests: the LibOS's SHA-256, instead of reading --libos.
    #[arg(long = "libos-sha256", value_name = "HEX", value_parser = parse_sha256_hex)]
    pub libos_sha256: Option<String>,
    /// Source manifests: measure trusted files inside this directory as if it were /.
    #[arg(long, value_name = "DIR")]
    pub chroot: Option<PathBuf>,
    /// Print the report as JSON (structure in docs/diff.md).
    #[arg(long)]
    pub json: bool,
    /// Print nothing: the exit status is the result.
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
}

/// The error of an unusable input (exit status 2).
#[derive(Debug)]
pub struct Unusable(pub anyhow::Error);

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

/// Runs the command: `Ok(true)` when A and B have the same MRENCLAVE, `Ok(false)` when they
/// differ, `Err` for unusable input.
pub fn run(args: &DiffArgs) -> std::result::Result<bool, Unusable> {
    let (report, same) = build(args).map_err(Unusable)?;
    let mut out = std::io::stdout().lock();
    out.write_all(report.as_bytes())
        .map_err(|e| Unusable(anyhow::Error::new(e).context("cannot write the report")))?;
    Ok(same)
}

fn side(args: &DiffArgs, b: bool) -> SideOptions {
    let (label, flag, libpal, gramine, entries) = if b {
        ("B", "b", &args.b_libpal, args.b_gramine, &args.b_entries)
    } else {
        ("A", "a", &args.a_libpal, args.a_gramine, &args.a_entries)
    };
    SideOptions {
        label,
        flag,
        libpal: libpal.clone().or_else(|| args.libpal.clone()),
        libpal_own: libpal.is_some(),
        gramine: gramine.or(args.gramine),
        gramine_own: gramine.is_some(),
        entries: entries.clone().or_else(|| args.entries.clone()),
        entries_own: entries.is_some(),
    }
}

/// The report of the command's arguments.
pub fn report(args: &DiffArgs) -> Result<DiffReport> {
    let from = args.from;
    let uri_prefix = args.uri_prefix.clone();
    let opts = DiffOptions {
        a: side(args, false),
        b: side(args, true),
        entries_for_both: args.entries.is_some(),
        libpal_for_both: args.libpal.is_some(),
        pipeline: pipeline::Options {
            writer: Some(args.tomli_w),
            chroot: args.chroot.clone(),
            libos: args.libos.clone(),
            libos_sha256: args.libos_sha256.clone(),
            warnings: stderr_warnings(),
            ..pipeline::Options::new(GramineVersion::LATEST)
        },
        load_entries: Box::new(move |path| {
            Entries::parse(
                &read_input(path)?,
                from.map(Into::into),
                uri_prefix.as_deref(),
            )
            .map_err(|e| e.context(format!("entries {}", path.display())))
        }),
        ..DiffOptions::default()
    };
    Ok(diff::diff(&args.a, &args.b, &opts)?)
}

/// Builds the report (text or JSON) and whether A and B measure the same.
pub fn build(args: &DiffArgs) -> Result<(String, bool)> {
    let report = report(args)?;
    let text = if args.json {
        let mut s = serde_json::to_string_pretty(&report)?;
        s.push('\n');
        s
    } else if args.quiet {
        String::new()
    } else {
        text::render(&report)
    };
    Ok((text, report.same))
}
