//! The process conventions every subcommand shares (docs/cli.md): exit statuses, how errors are
//! printed (text, or JSON with `--json`), and a reader that went away (`| head`) ending the
//! process quietly with status 0.
//!
//! Subcommands return `anyhow::Result<Status>` (or `Result<()>`, a success); this module turns
//! that into the exit status and the error message, so that a new subcommand follows the
//! convention without code of its own.

use std::io::{self, Write as _};
use std::process::ExitCode;

use serde_json::json;

/// Exit status: success, or "same" (`diff`).
pub const EXIT_OK: u8 = 0;
/// Exit status: a check failed, or "different" (`diff`).
pub const EXIT_CHECK_FAILED: u8 = 1;
/// Exit status: unusable input (a file that cannot be read or understood, a bad value), a usage
/// error, or an output that cannot be written.
pub const EXIT_UNUSABLE: u8 = 2;

/// What a subcommand found, when it ran to the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Every check passed (or there was nothing to check), or the inputs are the same.
    Success,
    /// A check failed, or the inputs differ: the report has been printed.
    CheckFailed,
}

impl From<()> for Status {
    fn from((): ()) -> Self {
        Status::Success
    }
}

impl From<bool> for Status {
    fn from(ok: bool) -> Self {
        if ok {
            Status::Success
        } else {
            Status::CheckFailed
        }
    }
}

/// An error that is a check's verdict rather than unusable input: exit status 1 (the message is
/// printed as an error, with code `check_failed`).
#[derive(Debug)]
pub struct CheckFailed(pub String);

impl std::fmt::Display for CheckFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CheckFailed {}

/// Whether the error is standard output's reader having gone away (EPIPE).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// The stable `code` of an error in the JSON form (docs/cli.md lists them).
pub fn error_code(err: &anyhow::Error) -> &'static str {
    use measure_lib::Error as E;
    for e in err.chain() {
        if e.downcast_ref::<CheckFailed>().is_some() {
            return "check_failed";
        }
        if let Some(lib) = e.downcast_ref::<E>() {
            return match lib {
                E::Read { .. } | E::Stat { .. } | E::List { .. } | E::Hash { .. } => "read",
                E::Write { .. }
                | E::CreateDir { .. }
                | E::OutputDir { .. }
                | E::CreateIn { .. }
                | E::Exists { .. }
                | E::Depfile { .. } => "write",
                E::Stdio { .. } => "io",
                _ => "invalid_input",
            };
        }
        if e.downcast_ref::<io::Error>().is_some() {
            return "io";
        }
    }
    "invalid_input"
}

/// The exit status of an error.
pub fn error_status(err: &anyhow::Error) -> u8 {
    if err
        .chain()
        .any(|e| e.downcast_ref::<CheckFailed>().is_some())
    {
        EXIT_CHECK_FAILED
    } else {
        EXIT_UNUSABLE
    }
}

/// The JSON form of an error: `{"error": {"code": ..., "message": ...}}` and a newline.
pub fn json_error(code: &str, message: &str) -> String {
    let mut s = json!({ "error": { "code": code, "message": message } }).to_string();
    s.push('\n');
    s
}

/// Prints an error the way the convention says: with `--json`, one JSON object on standard
/// output; otherwise `sgx-measure: error: ...` on standard error.
fn print_error(code: &str, message: &str, json: bool) {
    if json {
        let mut out = io::stdout().lock();
        let _ = out
            .write_all(json_error(code, message).as_bytes())
            .and_then(|()| out.flush());
    } else {
        eprintln!("sgx-measure: error: {message}");
    }
}

/// The exit status of a subcommand's result, its error printed (quietly 0 when standard output's
/// reader went away).
pub fn finish(result: anyhow::Result<Status>, json: bool) -> ExitCode {
    match result {
        Ok(Status::Success) => ExitCode::from(EXIT_OK),
        Ok(Status::CheckFailed) => ExitCode::from(EXIT_CHECK_FAILED),
        Err(e) if is_broken_pipe(&e) => ExitCode::from(EXIT_OK),
        Err(e) => {
            print_error(error_code(&e), &format!("{e:#}"), json);
            ExitCode::from(error_status(&e))
        }
    }
}

/// A command line clap refused (or `--help`/`--version`, which clap prints itself): status 2,
/// and the error as JSON when the arguments ask for `--json`.
pub fn usage_error(err: clap::Error, args: &[std::ffi::OsString]) -> ExitCode {
    use clap::error::ErrorKind;
    if err.kind() == ErrorKind::DisplayHelp
        && let Some(text) = help_with_unwrapped_examples(args)
    {
        let mut out = io::stdout().lock();
        let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
        return ExitCode::from(EXIT_OK);
    }
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        // Help goes to standard output; a reader gone away is not an error.
        let _ = err.print();
        return ExitCode::from(if err.use_stderr() {
            EXIT_UNUSABLE
        } else {
            EXIT_OK
        });
    }
    let json = args
        .iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--json");
    if json {
        let text = err.render().to_string();
        // The first paragraph: the error and what it lists (the missing arguments), without
        // the usage line and the hint that follow.
        let message = text
            .lines()
            .take_while(|l| !l.trim().is_empty())
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ");
        let message = message.trim_start_matches("error: ");
        print_error("usage", message, true);
        ExitCode::from(EXIT_UNUSABLE)
    } else {
        let _ = err.print();
        ExitCode::from(EXIT_UNUSABLE)
    }
}

/// The help `args` ask for (`-h`, `--help`, `help SUBCOMMAND`), its examples (the after-help)
/// printed as written: clap wraps them to the terminal's width like the rest of the help, which
/// cut example commands in the middle, so they could not be pasted.
fn help_with_unwrapped_examples(args: &[std::ffi::OsString]) -> Option<String> {
    let mut root = crate::cli::command();
    root.build();
    let mut cmd = &root;
    let mut long = false;
    for a in args.iter().skip(1) {
        let a = a.to_str()?;
        match a {
            "--help" => long = true,
            "-h" => {}
            "--" => break,
            _ if a.starts_with('-') => {}
            "help" if cmd.find_subcommand("help").is_some() => long = true,
            _ => {
                if let Some(sub) = cmd.find_subcommand(a) {
                    cmd = sub;
                }
            }
        }
    }
    let examples = if long {
        cmd.get_after_long_help().or(cmd.get_after_help())
    } else {
        cmd.get_after_help()
    }?
    .to_string();
    let mut bare = cmd
        .clone()
        .after_help(None::<&str>)
        .after_long_help(None::<&str>);
    let help = if long {
        bare.render_long_help()
    } else {
        bare.render_help()
    };
    Some(format!(
        "{}\n\n{}\n",
        help.to_string().trim_end(),
        examples.trim_end()
    ))
}

/// Whether the subcommand that runs was given `--json` (any subcommand with a `json` flag).
pub fn wants_json(matches: &clap::ArgMatches) -> bool {
    let mut m = matches;
    while let Some((_, sub)) = m.subcommand() {
        m = sub;
    }
    matches!(m.try_get_one::<bool>("json"), Ok(Some(&true)))
}

/// Makes a write to a closed standard output end the process quietly with status 0, as Unix
/// tools do under `| head`: `print!` panics on EPIPE (Rust ignores SIGPIPE), and this hook turns
/// that panic into an exit. Errors returned by `write` are handled by [`finish`].
pub fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(EXIT_OK.into());
        }
        default(info);
    }));
}
