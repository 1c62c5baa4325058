//! The command tree: every subcommand's `--help` ends with examples, every `sgx-measure` example
//! parses with the real definition (and as the whole tree reads it with the lazy one the binary
//! parses with), and `completions` and `man` cover every subcommand.

use std::process::Command;

use sgx_measure_cli::cli;

fn sgx_measure() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sgx-measure"))
}

/// Every command of the tree with its path (`["entries", "convert"]`), the generated `help`
/// subcommands aside.
fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<(Vec<String>, clap::Command)>) {
    out.push((path.clone(), cmd.clone()));
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let mut p = path.clone();
        p.push(sub.get_name().to_string());
        walk(sub, p, out);
    }
}

fn all_commands() -> Vec<(Vec<String>, clap::Command)> {
    let mut root = cli::command();
    root.build();
    let mut out = Vec::new();
    walk(&root, vec![], &mut out);
    out
}

/// The example lines of a command's after-help: the lines after an `Example:`/`Examples:` header.
fn examples(cmd: &clap::Command) -> Vec<String> {
    let text = cmd
        .get_after_long_help()
        .or(cmd.get_after_help())
        .map(|s| s.to_string())
        .unwrap_or_default();
    let mut lines = text.lines();
    let mut out = Vec::new();
    if lines
        .by_ref()
        .any(|l| l.trim() == "Example:" || l.trim() == "Examples:")
    {
        out.extend(
            lines
                .take_while(|l| l.starts_with("  "))
                .map(|l| l.trim().to_string()),
        );
    }
    out
}

/// The arguments of an example command line: shell comments, pipes and redirections cut off.
fn example_args(line: &str) -> Vec<String> {
    let line = line.split(" #").next().unwrap_or_default();
    let line = line.split(" | ").next().unwrap_or_default();
    let line = line.split(" > ").next().unwrap_or_default();
    line.split_whitespace().map(String::from).collect()
}

#[test]
fn every_subcommand_has_examples_that_parse() {
    let all = all_commands();
    assert!(all.len() > 15, "{} commands", all.len());
    let mut parsed = 0;
    for (path, cmd) in &all {
        let ex = examples(cmd);
        assert!(
            !ex.is_empty(),
            "`sgx-measure {}` has no example in its --help (after_help \"Example:\\n  ...\")",
            path.join(" ")
        );
        for line in ex.iter().filter(|l| l.starts_with("sgx-measure ")) {
            let args = example_args(line);
            match cli::command().try_get_matches_from(&args) {
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        clap::error::ErrorKind::DisplayHelp
                            | clap::error::ErrorKind::DisplayVersion
                    ) => {}
                Err(e) => panic!(
                    "example of `{}` does not parse: {line}\n{e}",
                    path.join(" ")
                ),
            }
            parsed += 1;
        }
        // Each subcommand's own examples use it.
        if !path.is_empty() {
            let prefix = format!("sgx-measure {}", path.join(" "));
            assert!(
                ex.iter().any(|l| l.starts_with(&prefix)),
                "no example of `{prefix}` uses it: {ex:?}"
            );
        }
    }
    assert!(parsed >= all.len(), "{parsed} examples parsed");
}

/// `cli::matches` (which defines only the subcommand a command line selects) reads every
/// command line as the whole tree does: the same matches, or the same error, word for word. Over
/// every command, with its examples, no argument, help and version flags, a flag that does not
/// exist, and `--json` alone.
#[test]
fn lazy_parsing_matches_the_whole_tree() {
    fn outcome(r: Result<clap::ArgMatches, clap::Error>) -> String {
        match r {
            Ok(m) => format!("{m:?}"),
            Err(e) => format!("{:?}: {}", e.kind(), e.render()),
        }
    }
    let mut lines: Vec<Vec<String>> = vec![vec!["sgx-measure".into()]];
    for (path, cmd) in all_commands() {
        for extra in [
            &[][..],
            &["--help"],
            &["-h"],
            &["-V"],
            &["--bogus"],
            &["--json"],
        ] {
            let mut args = vec!["sgx-measure".to_string()];
            args.extend(path.iter().cloned());
            args.extend(extra.iter().map(|s| s.to_string()));
            lines.push(args);
        }
        let mut help = vec!["sgx-measure".to_string(), "help".into()];
        help.extend(path.iter().cloned());
        lines.push(help);
        for line in examples(&cmd)
            .iter()
            .filter(|l| l.starts_with("sgx-measure "))
        {
            lines.push(example_args(line));
        }
    }
    assert!(lines.len() > 200, "{} command lines", lines.len());
    for args in &lines {
        let os: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
        assert_eq!(
            outcome(cli::matches(&os)),
            outcome(cli::command().try_get_matches_from(&os)),
            "{}",
            args.join(" ")
        );
    }
}

#[test]
fn help_output_shows_the_examples() {
    for (path, _) in all_commands() {
        let o = sgx_measure()
            .args(&path)
            .arg("--help")
            .output()
            .expect("run");
        assert!(o.status.success(), "{path:?}");
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            out.contains("Example:") || out.contains("Examples:"),
            "sgx-measure {} --help: {out}",
            path.join(" ")
        );
    }
}

#[test]
fn completions_name_every_subcommand() {
    let names: Vec<String> = all_commands()
        .into_iter()
        .filter_map(|(p, _)| p.last().cloned())
        .collect();
    for shell in ["bash", "zsh", "fish"] {
        let o = sgx_measure()
            .args(["completions", shell])
            .output()
            .expect("run");
        assert!(o.status.success(), "{shell}");
        let script = String::from_utf8(o.stdout).expect("utf-8");
        for n in &names {
            assert!(script.contains(n.as_str()), "{shell} completions lack {n}");
        }
        assert!(script.contains("allow-prefix"), "{shell}: flags");
    }
    // Only these three shells.
    let o = sgx_measure()
        .args(["completions", "powershell"])
        .output()
        .expect("run");
    assert!(!o.status.success());
    // bash can load its script.
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source <('{}' completions bash) && complete -p sgx-measure",
            env!("CARGO_BIN_EXE_sgx-measure")
        ))
        .output();
    if let Ok(o) = o {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn man_writes_one_page_per_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("man1");
    let o = sgx_measure()
        .args(["man", "-o"])
        .arg(&out)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let listed = String::from_utf8(o.stdout).expect("utf-8");
    let all = all_commands();
    assert_eq!(listed.lines().count(), all.len(), "{listed}");
    for (path, cmd) in &all {
        let name = if path.is_empty() {
            "sgx-measure.1".to_string()
        } else {
            format!("sgx-measure-{}.1", path.join("-"))
        };
        let page =
            std::fs::read_to_string(out.join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            page.starts_with(".ie \\n(.g .ds Aq") || page.contains(".TH"),
            "{name}: roff"
        );
        assert!(page.contains(".SH NAME"), "{name}");
        // Every long flag is documented.
        for arg in cmd.get_arguments() {
            if let Some(long) = arg.get_long() {
                let escaped = long.replace('-', "\\-");
                assert!(
                    page.contains(&format!("\\-\\-{escaped}")),
                    "{name} lacks --{long}"
                );
            }
        }
        // The examples are in the page.
        assert!(page.contains("Example"), "{name}: examples");
    }
    // Deterministic: no date, same bytes twice.
    let again = dir.path().join("again");
    let o = sgx_measure()
        .args(["man", "-q", "-o"])
        .arg(&again)
        .output()
        .expect("run");
    assert!(o.status.success() && o.stdout.is_empty());
    for (name, text) in sgx_measure_cli::cmd::man::pages().expect("pages") {
        assert_eq!(
            std::fs::read(again.join(&name)).expect("page"),
            text,
            "{name}"
        );
    }
}

#[test]
fn readme_lists_every_subcommand() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    for sub in cli::command().get_subcommands() {
        let row = format!("| `sgx-measure {}", sub.get_name());
        assert!(
            readme.contains(&row),
            "README.md's command table has no row for `sgx-measure {}`",
            sub.get_name()
        );
    }
}
