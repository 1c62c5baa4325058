//! `sgx-measure entries convert`: data owners' entries between formats.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use clap::ValueEnum;
use measure_lib::dataset::EntryFormat;
use measure_lib::entries;
use measure_lib::entries::stream::EntriesInput;
use measure_lib::fsutil;
use serde_json::json;

/// Input formats of entries (`--from`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum From {
    /// `[[sgx.trusted_files]]` tables (any TOML holding `sgx.trusted_files`).
    Toml,
    /// `[{"uri": ..., "sha256": ...}, ...]`.
    Json,
    /// `sha256sum` lines; URI = `--uri-prefix` (default `file:`) + path.
    Sha256sum,
    /// The canonical entry list (`sgx-measure entries v1`).
    List,
}

impl std::convert::From<From> for entries::From {
    fn from(f: From) -> Self {
        match f {
            From::Toml => entries::From::Toml,
            From::Json => entries::From::Json,
            From::Sha256sum => entries::From::Sha256sum,
            From::List => entries::From::List,
        }
    }
}

/// Output formats of entries (`--to`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum To {
    /// The canonical entry list.
    List,
    /// `[[sgx.trusted_files]]` tables.
    Toml,
    /// A JSON array.
    Json,
    /// `sha256sum` lines (`<hash>  <path>`, the URI without `file:`), for `sha256sum -c`.
    Sha256sum,
}

impl std::convert::From<To> for entries::To {
    fn from(t: To) -> Self {
        match t {
            To::List => entries::To::List,
            To::Toml => entries::To::Toml,
            To::Json => entries::To::Json,
            To::Sha256sum => entries::To::Sha256sum,
        }
    }
}

/// Work with data owners' trusted-file entries.
#[derive(Args, Debug)]
#[command(
    after_help = "Example:\n  sgx-measure entries convert owner1.toml --to list -o owner1.list"
)]
pub struct EntriesArgs {
    #[command(subcommand)]
    pub command: EntriesCommand,
}

/// `entries` subcommands.
#[derive(Subcommand, Debug)]
pub enum EntriesCommand {
    /// Convert entries between TOML fragments, JSON, sha256sum lines (`--tag` lines too) and the
    /// canonical list.
    #[command(
        after_help = "Examples:\n  sgx-measure entries convert entries.toml --to list -o entries.list\n  sgx-measure entries convert SHA256SUMS --from sha256sum --uri-prefix file:/data/ --to json -o entries.json"
    )]
    Convert(ConvertArgs),
    /// Join the shard files of `hash-files --shard K/N` runs (K = 0..N-1, on any machines) into
    /// exactly the entries one `hash-files` run gives, in the format the shards were made for.
    /// Refuses shards of different runs or trees, shards given twice and missing shards.
    #[command(
        after_help = "Example:\n  sgx-measure hash-files /data --uri-prefix file:/data/ --shard 3/8 -o shards/part-3\n  sgx-measure entries merge shards/part-* -o entries.toml"
    )]
    Merge(MergeArgs),
}

/// `entries merge` options.
#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The shard files, in any order.
    #[arg(required = true, value_name = "SHARD")]
    pub shards: Vec<PathBuf>,
    /// Output file (written atomically; standard output if omitted).
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub print: PrintArgs,
}

/// `-q` and `--json` of `entries convert` and `entries merge`, whose output is the entries.
#[derive(Args, Debug, Clone, Copy)]
pub struct PrintArgs {
    /// Print nothing but the entries (to standard output without -o) and errors (there is
    /// nothing else to leave out: accepted so that every subcommand takes -q).
    #[arg(short, long, conflicts_with = "json")]
    pub quiet: bool,
    /// With -o: print the result as a JSON object (`output`, `format`, `entries`, and `shards`
    /// for `merge`); the entries themselves are in the file.
    #[arg(long, requires = "output")]
    pub json: bool,
}
#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// Input file (`-` for standard input).
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// Input format (default: detected from the content).
    #[arg(long, value_enum)]
    pub from: Option<From>,
    /// For sha256sum input: the URI prefix put before each path [default: file:].
    #[arg(long = "uri-prefix", value_name = "P")]
    pub uri_prefix: Option<String>,
    /// Output format.
    #[arg(long, value_enum)]
    pub to: To,
    /// Output file (written atomically; standard output if omitted).
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub print: PrintArgs,
}

/// Reads an entries file, `-` meaning standard input.
pub fn read_input(path: &std::path::Path) -> measure_lib::Result<Vec<u8>> {
    fsutil::read_or_stdin(path, "entries")
}

/// A data owner's entries as the commands that take `--entries FILE [--from F] [--uri-prefix P]`
/// read them (`-` is standard input): the records, and their canonical entry list.
pub fn load(
    path: &std::path::Path,
    from: Option<From>,
    uri_prefix: Option<&str>,
) -> Result<entries::Entries> {
    let input = read_input(path)?;
    entries::Entries::parse(&input, from.map(Into::into), uri_prefix)
        .with_context(|| format!("entries {}", path.display()))
}

/// A data owner's entries opened for streaming (see `measure_lib::entries::stream`), for the
/// commands that take `--entries FILE [--from F] [--uri-prefix P]` (`-` is standard input).
/// Problems with the content are reported with the file's name.
pub fn open(
    path: &std::path::Path,
    from: Option<From>,
    uri_prefix: Option<&str>,
) -> Result<EntriesInput> {
    EntriesInput::open(path, from.map(Into::into), uri_prefix).map_err(|e| in_file(e, path))
}

/// Names the entries file in an error about its content (as [`load`] does).
pub fn in_file(e: measure_lib::Error, path: &std::path::Path) -> anyhow::Error {
    use measure_lib::Error as E;
    match e {
        e @ (E::EntryList(_) | E::Entries(_) | E::Toml(_) | E::Invalid(_)) => {
            e.context(format!("entries {}", path.display())).into()
        }
        e => e.into(),
    }
}

/// Runs the command.
pub fn run(args: &EntriesArgs) -> Result<()> {
    match &args.command {
        EntriesCommand::Convert(a) => {
            let input = read_input(&a.input)?;
            let list = entries::parse(&input, a.from.map(Into::into), a.uri_prefix.as_deref())
                .with_context(|| format!("entries {}", a.input.display()))?;
            let out = entries::render_as(&list, a.to.into());
            let format = a.to.to_possible_value().map(|v| v.get_name().to_string());
            write_entries(
                &a.output,
                &out,
                a.print,
                json!({ "format": format, "entries": list.len() }),
            )
        }
        EntriesCommand::Merge(a) => {
            let (format, entries) = measure_lib::shard::merge_files(&a.shards)?;
            let mut out = Vec::new();
            measure_lib::dataset::render_to(&entries, format, &mut out)?;
            let format = match format {
                EntryFormat::Toml => "toml",
                EntryFormat::Json => "json",
                EntryFormat::Sha256sum => "sha256sum",
            };
            write_entries(
                &a.output,
                &out,
                a.print,
                json!({ "format": format, "entries": entries.len(), "shards": a.shards.len() }),
            )
        }
    }
}

/// Writes the entries to `output` (standard output without it), then with `--json` the result
/// object: `output` and the fields of `summary`.
fn write_entries(
    output: &Option<PathBuf>,
    entries: &[u8],
    print: PrintArgs,
    summary: serde_json::Value,
) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match output {
        Some(p) => {
            fsutil::write_atomic(p, entries)?;
            if print.json {
                let mut doc = json!({ "output": p.display().to_string() });
                if let (Some(doc), Some(fields)) = (doc.as_object_mut(), summary.as_object()) {
                    doc.extend(fields.clone());
                }
                writeln!(stdout, "{}", serde_json::to_string_pretty(&doc)?)?;
            }
        }
        None => stdout.write_all(entries)?,
    }
    Ok(())
}
