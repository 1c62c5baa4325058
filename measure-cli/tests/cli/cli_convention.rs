//! The command-line convention of docs/cli.md, checked over every subcommand found by walking the
//! clap command tree (a subcommand added later is covered without touching this file): `-q` and
//! `--json` are there, a usage error exits 2 (as JSON with `--json`), an unusable input exits 2
//! with a message (as JSON with `--json`), a check's verdict exits 0 or 1, and a reader that goes
//! away ends the process quietly with status 0.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use sgx_measure_cli::cli;

fn sgx_measure() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sgx-measure"))
}

/// Leaf subcommands (those that run), with their path (`["sigstruct", "verify"]`).
fn leaves() -> Vec<(Vec<String>, clap::Command)> {
    fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<(Vec<String>, clap::Command)>) {
        let subs: Vec<_> = cmd
            .get_subcommands()
            .filter(|s| s.get_name() != "help")
            .collect();
        if subs.is_empty() && !path.is_empty() {
            out.push((path.clone(), cmd.clone()));
        }
        for sub in subs {
            let mut p = path.clone();
            p.push(sub.get_name().to_string());
            walk(sub, p, out);
        }
    }
    let mut root = cli::command();
    root.build();
    let mut out = Vec::new();
    walk(&root, vec![], &mut out);
    out
}

/// Subcommands whose output is a document in a format chosen otherwise (`--format`, the shell,
/// roff pages): no `--json` of their own.
const NO_JSON: &[&str] = &["hash-files", "completions", "man"];
/// Subcommands that print a document and nothing else: no `-q`.
const NO_QUIET: &[&str] = &["completions"];

fn has_arg(cmd: &clap::Command, id: &str) -> bool {
    cmd.get_arguments().any(|a| a.get_id() == id)
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The error object of a `--json` error: one JSON object and a newline on standard output.
fn json_error(o: &Output) -> serde_json::Value {
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.ends_with('\n'), "no final newline: {}", text(o));
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(o)));
    let err = &v["error"];
    assert!(
        err["code"].as_str().is_some_and(|c| !c.is_empty()),
        "no error.code: {}",
        text(o)
    );
    assert!(
        err["message"].as_str().is_some_and(|m| !m.is_empty()),
        "no error.message: {}",
        text(o)
    );
    err.clone()
}

#[test]
fn every_subcommand_has_quiet_and_json() {
    let all = leaves();
    assert!(all.len() >= 18, "{} subcommands", all.len());
    for (path, cmd) in &all {
        let name = path.join(" ");
        if !NO_QUIET.contains(&name.as_str()) {
            let q = cmd.get_arguments().find(|a| a.get_id() == "quiet");
            assert!(
                q.is_some_and(|a| a.get_short() == Some('q') && a.get_long() == Some("quiet")),
                "`sgx-measure {name}` has no -q/--quiet (docs/cli.md)"
            );
        }
        if !NO_JSON.contains(&name.as_str()) {
            assert!(
                has_arg(cmd, "json"),
                "`sgx-measure {name}` has no --json (docs/cli.md)"
            );
        }
    }
}

#[test]
fn usage_errors_exit_2_and_are_json_with_json() {
    for (path, cmd) in leaves() {
        let name = path.join(" ");
        let o = sgx_measure()
            .args(&path)
            .arg("--no-such-option")
            .output()
            .expect("run");
        assert_eq!(o.status.code(), Some(2), "{name}: {}", text(&o));
        assert!(o.stdout.is_empty(), "{name}: {}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("--no-such-option"),
            "{name}: {}",
            text(&o)
        );
        if has_arg(&cmd, "json") {
            let o = sgx_measure()
                .args(&path)
                .args(["--json", "--no-such-option"])
                .output()
                .expect("run");
            assert_eq!(o.status.code(), Some(2), "{name}: {}", text(&o));
            let err = json_error(&o);
            assert_eq!(err["code"], "usage", "{name}: {}", text(&o));
            assert!(o.stderr.is_empty(), "{name}: {}", text(&o));
        }
    }
}

/// A command line for `path` whose input does not exist: every required argument that takes a
/// value gets a missing file (or the first possible value of a list). `None` when no required
/// argument names an input (then a case of [`unusable_by_hand`] is used).
fn unusable_args(path: &[String], cmd: &clap::Command, missing: &Path) -> Option<Vec<String>> {
    let mut args: Vec<String> = path.to_vec();
    let mut uses_missing = false;
    for a in cmd.get_arguments().filter(|a| a.is_required_set()) {
        let value = match a.get_possible_values().first() {
            Some(v) => v.get_name().to_string(),
            None => {
                uses_missing = true;
                missing.display().to_string()
            }
        };
        match a.get_long() {
            Some(long) => args.push(format!("--{long}")),
            None if a.is_positional() => {}
            None => args.push(format!("-{}", a.get_short().unwrap_or('?'))),
        }
        args.push(value);
    }
    uses_missing.then_some(args)
}

/// Unusable inputs of subcommands without a required input file, or whose required input is one
/// of a group of options (taken before [`unusable_args`]).
fn unusable_by_hand(name: &str, dir: &Path) -> Option<Vec<String>> {
    let existing = dir.join("existing");
    std::fs::write(&existing, b"x").expect("write");
    let e = existing.display().to_string();
    let v = |a: &[&str]| Some(a.iter().map(|s| s.to_string()).collect());
    match name {
        // A missing input; `--json` prints a result object only with -o (the entries go to the
        // file).
        "entries merge" => v(&["entries", "merge", "no-such-shard", "-o", "out"]),
        "entries convert" => v(&[
            "entries",
            "convert",
            "no-such-file",
            "--to",
            "list",
            "-o",
            "out",
        ]),
        // An existing key is not overwritten without -f.
        "gen-key" => v(&["gen-key", "-o", &e]),
        // The output directory is a regular file.
        "man" => v(&["man", "-o", &e]),
        // Its required identity is one of a group of options: a policy document that does not
        // exist.
        "policy" => v(&[
            "policy",
            "--format",
            "json",
            "-o",
            "expected.json",
            "--policy",
            &dir.join("no-such.json").display().to_string(),
        ]),
        _ => None,
    }
}

#[test]
fn unusable_input_exits_2_with_a_message_or_a_json_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no-such-dir").join("no-such-file");
    let mut covered = 0;
    for (path, cmd) in leaves() {
        let name = path.join(" ");
        let Some(args) =
            unusable_by_hand(&name, dir.path()).or_else(|| unusable_args(&path, &cmd, &missing))
        else {
            // `completions`: its only argument is a shell name (a usage error when wrong).
            continue;
        };
        covered += 1;
        let run = |json: bool| {
            let mut c = sgx_measure();
            c.args(&args)
                .current_dir(dir.path())
                .env("HOME", dir.path())
                .env("XDG_CONFIG_HOME", dir.path())
                .stdin(Stdio::null());
            if json {
                c.arg("--json");
            }
            c.output().expect("run")
        };
        let o = run(false);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.starts_with("sgx-measure: error: ") && !err.contains("panicked"),
            "{args:?}: {}",
            text(&o)
        );
        if has_arg(&cmd, "json") {
            let o = run(true);
            assert_eq!(o.status.code(), Some(2), "{args:?} --json: {}", text(&o));
            let e = json_error(&o);
            assert_ne!(e["code"], "usage", "{args:?} --json: {}", text(&o));
            assert!(
                !String::from_utf8_lossy(&o.stderr).contains("error"),
                "{args:?} --json: the error is on stdout only: {}",
                text(&o)
            );
        }
    }
    assert!(covered >= 17, "{covered} subcommands covered");
}

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/vectors/public")
}

/// A Gramine v1.9 vector: (final manifest, .sig, libpal).
fn vector(case: &str) -> (PathBuf, PathBuf, PathBuf) {
    let d = vectors().join(case).join("expected/v1.9_tomliw-1.2.0");
    (
        d.join("out.manifest.sgx"),
        d.join("out.sig"),
        vectors().join("elf/pal-basic.so"),
    )
}

fn status(args: &[&Path]) -> Output {
    sgx_measure().args(args).output().expect("run")
}

/// The commands that give a verdict: 0 on a passing input, 1 on a failing one, 2 on an unusable
/// one, in text, `-q` and `--json`.
#[test]
fn verdicts_exit_0_1_2() {
    let (m1, sig1, pal) = vector("p01-defaults-empty");
    let (m2, sig2, _) = vector("p02-size-256M-explicit");
    let missing = Path::new("/nonexistent/app.manifest.sgx");
    let p = |s: &'static str| Path::new(s);
    type Case<'a> = (&'a str, Vec<&'a Path>, Option<i32>);
    let cases: Vec<Case<'_>> = vec![
        (
            "sigstruct verify, pass",
            vec![
                p("sigstruct"),
                p("verify"),
                &sig1,
                p("-m"),
                &m1,
                p("-l"),
                &pal,
            ],
            Some(0),
        ),
        (
            "sigstruct verify, fail",
            vec![
                p("sigstruct"),
                p("verify"),
                &sig1,
                p("-m"),
                &m2,
                p("-l"),
                &pal,
            ],
            Some(1),
        ),
        (
            "sigstruct verify, unusable",
            vec![
                p("sigstruct"),
                p("verify"),
                &sig1,
                p("-m"),
                missing,
                p("-l"),
                &pal,
            ],
            Some(2),
        ),
        (
            "diff, same",
            vec![p("diff"), &m1, &m1, p("--libpal"), &pal],
            Some(0),
        ),
        (
            "diff, different",
            vec![p("diff"), &m1, &m2, p("--libpal"), &pal],
            Some(1),
        ),
        (
            "diff, unusable",
            vec![p("diff"), &m1, missing, p("--libpal"), &pal],
            Some(2),
        ),
        (
            "verify, pass",
            vec![
                p("verify"),
                p("--manifest"),
                &m1,
                p("--libpal"),
                &pal,
                p("--sig"),
                &sig1,
            ],
            Some(0),
        ),
        (
            "verify, fail",
            vec![
                p("verify"),
                p("--manifest"),
                &m1,
                p("--libpal"),
                &pal,
                p("--sig"),
                &sig2,
            ],
            Some(1),
        ),
        (
            "verify, unusable",
            vec![
                p("verify"),
                p("--manifest"),
                missing,
                p("--libpal"),
                &pal,
                p("--sig"),
                &sig1,
            ],
            Some(2),
        ),
        (
            "mrenclave, pass",
            vec![p("mrenclave"), p("-m"), &m1, p("-l"), &pal],
            Some(0),
        ),
        (
            "mrenclave, unusable",
            vec![p("mrenclave"), p("-m"), &sig1, p("-l"), &pal],
            Some(2),
        ),
    ];
    for (what, args, want) in &cases {
        let o = status(args);
        assert_eq!(o.status.code(), *want, "{what}: {}", text(&o));
        assert!(
            !o.stdout.is_empty() || *want == Some(2),
            "{what}: {}",
            text(&o)
        );
        let mut q = args.clone();
        q.push(p("-q"));
        let o = status(&q);
        assert_eq!(o.status.code(), *want, "{what} -q: {}", text(&o));
        if *want != Some(0) || !what.starts_with("mrenclave") {
            assert!(
                o.stdout.is_empty(),
                "{what} -q prints nothing: {}",
                text(&o)
            );
        } else {
            assert_eq!(o.stdout.len(), 65, "{what} -q: {}", text(&o));
        }
        let mut j = args.clone();
        j.push(p("--json"));
        let o = status(&j);
        assert_eq!(o.status.code(), *want, "{what} --json: {}", text(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{what} --json: not JSON ({e}): {}", text(&o)));
        assert_eq!(
            v.get("error").is_some(),
            *want == Some(2),
            "{what} --json: {}",
            text(&o)
        );
        assert!(o.stderr.is_empty(), "{what} --json: {}", text(&o));
    }
}

/// A reader that has gone away (`| head -c 1`): status 0, nothing on standard error, whether the
/// command writes with `print!` or with `write`.
#[test]
fn a_closed_standard_output_ends_quietly_with_status_0() {
    let (m1, sig1, pal) = vector("p01-defaults-empty");
    let (m1, sig1, pal) = (
        m1.display().to_string(),
        sig1.display().to_string(),
        pal.display().to_string(),
    );
    let cases: Vec<Vec<&str>> = vec![
        vec!["mrenclave", "-m", &m1, "-l", &pal, "--json"],
        vec!["mrenclave", "-m", &m1, "-l", &pal, "-v"],
        vec!["sigstruct", "view", &sig1],
        vec!["completions", "bash"],
        vec!["--help"],
    ];
    for args in &cases {
        // The reading end is closed before the command writes: every write fails with EPIPE.
        let mut child = sgx_measure()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        drop(child.stdout.take());
        let o = child.wait_with_output().expect("wait");
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
        assert!(o.stderr.is_empty(), "{args:?}: {}", text(&o));
    }
    // As a user runs it.
    let o = Command::new("bash")
        .arg("-c")
        .arg(r#"set -o pipefail; "$0" mrenclave -m "$1" -l "$2" --json | head -c 1 >/dev/null"#)
        .arg(env!("CARGO_BIN_EXE_sgx-measure"))
        .args([&m1, &pal])
        .output()
        .expect("bash");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(o.stderr.is_empty(), "{}", text(&o));
}

/// Outputs in a directory that does not exist: created, the same way by every command that
/// writes a file; and an output that cannot be written is named, without temporary file names.
#[test]
fn output_parent_directories_are_created_everywhere() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (m1, sig1, pal) = vector("p01-defaults-empty");
    let input = vectors().join("p01-defaults-empty/input.manifest");
    let libos = vectors().join("elf/pal-basic.so");
    let key = vectors().join("../test-signing-key.pem");
    let data = d.join("data");
    std::fs::create_dir(&data).expect("mkdir");
    std::fs::write(data.join("a.txt"), b"a\n").expect("write");
    let entries = d.join("e.toml");
    let o = sgx_measure()
        .arg("hash-files")
        .arg(&data)
        .args(["-q", "-o"])
        .arg(&entries)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o));
    let s = |p: &Path| p.display().to_string();
    let out = |name: &str| s(&d.join("new").join(name).join("out"));
    let cases: Vec<Vec<String>> = vec![
        vec![
            "hash-files".into(),
            s(&data),
            "-q".into(),
            "-o".into(),
            out("hash-files"),
        ],
        vec![
            "entries".into(),
            "convert".into(),
            s(&entries),
            "--to".into(),
            "list".into(),
            "-o".into(),
            out("convert"),
        ],
        vec![
            "expand".into(),
            "-m".into(),
            s(&input),
            "--libos".into(),
            s(&libos),
            "-q".into(),
            "-o".into(),
            out("expand"),
        ],
        vec![
            "bundle".into(),
            "-m".into(),
            s(&input),
            "--libos".into(),
            s(&libos),
            "-l".into(),
            s(&pal),
            "-q".into(),
            "-o".into(),
            out("bundle"),
        ],
        vec![
            "sign".into(),
            "-m".into(),
            s(&input),
            "--libos".into(),
            s(&libos),
            "-l".into(),
            s(&pal),
            "-k".into(),
            s(&key),
            "-q".into(),
            "-o".into(),
            out("sign"),
            "-s".into(),
            out("sign-sig"),
        ],
        vec!["gen-key".into(), "-q".into(), "-o".into(), out("gen-key")],
        vec!["man".into(), "-q".into(), "-o".into(), out("man")],
    ];
    for args in &cases {
        let o = sgx_measure().args(args).output().expect("run");
        assert!(o.status.success(), "{args:?}: {}", text(&o));
        let written = args.last().expect("output");
        assert!(Path::new(written).exists(), "{args:?}: no {written}");
    }
    let _ = (m1, sig1);
    // A parent that is a regular file: the output is named, no temporary file.
    let file = d.join("a-file");
    std::fs::write(&file, b"x").expect("write");
    let o = sgx_measure()
        .arg("hash-files")
        .arg(&data)
        .args(["-q", "-o"])
        .arg(file.join("out"))
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&s(&file.join("out")))
            && err.contains("Not a directory")
            && !err.contains(".sgx-measure-")
            && !err.contains("temporary"),
        "{}",
        text(&o)
    );
}

/// What bash offers for the last word of `words`, with the script of `completions bash` sourced
/// in a real bash (no bash-completion package needed).
fn bash_complete(script: &Path, cwd: &Path, words: &[&str]) -> Vec<String> {
    let o = Command::new("bash")
        .args(["--norc", "--noprofile", "-c"])
        .arg(
            r#"source "$1" || exit 3; shift
spec=$(complete -p sgx-measure) || exit 4
f=${spec#*-F }; f=${f%% *}
COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
"$f" sgx-measure "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}""#,
        )
        .arg("bash")
        .arg(script)
        .args(words)
        .current_dir(cwd)
        .output()
        .expect("bash");
    assert!(o.status.success(), "{words:?}: {}", text(&o));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

#[test]
fn bash_completes_subcommands_options_and_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("sgx-measure.bash");
    let o = sgx_measure()
        .args(["completions", "bash"])
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o));
    std::fs::write(&script, &o.stdout).expect("write");
    std::fs::write(dir.path().join("app.manifest.sgx"), b"").expect("write");
    let cases: &[(&[&str], &[&str])] = &[
        (&["sgx-measure", "hash-f"], &["hash-files"]),
        (&["sgx-measure", "sigstruct", "v"], &["verify", "view"]),
        (&["sgx-measure", "hash-files", "--uri"], &["--uri-prefix"]),
        (
            &["sgx-measure", "sigstruct", "view", "--output-f"],
            &["--output-format"],
        ),
        (
            &["sgx-measure", "hash-files", "--format", ""],
            &["toml", "json", "sha256sum"],
        ),
        (
            &["sgx-measure", "sigstruct", "view", "--output-format", "j"],
            &["json"],
        ),
        (&["sgx-measure", "completions", "f"], &["fish"]),
        // A file value.
        (
            &["sgx-measure", "mrenclave", "-m", "app.man"],
            &["app.manifest.sgx"],
        ),
    ];
    for (words, want) in cases {
        let mut have = bash_complete(&script, dir.path(), words);
        have.sort();
        let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(have, want, "completing {words:?}");
    }
}

/// Whether `shell` runs here; when it does not, the test says so on the terminal (written past
/// the test harness's capture, so a skipped shell is seen, not a silent pass).
fn shell_present(shell: &str, test: &str) -> bool {
    if Command::new(shell)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return true;
    }
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: {shell} is not installed (install it to test its completion script)"
    );
    false
}

/// The script of `completions SHELL`, written to a file of `dir`.
fn completion_script(shell: &str, dir: &Path, file: &str) -> PathBuf {
    let o = sgx_measure()
        .args(["completions", shell])
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o));
    let script = dir.join(file);
    std::fs::write(&script, &o.stdout).expect("write");
    script
}

/// Runs each word list in an interactive zsh (on a pseudo-terminal, through zsh's own `zpty`
/// module: completion only runs in the line editor) where the script is loaded by `load`, presses
/// a key bound to `complete-word`, and gives back each line as completion left it.
fn zsh_complete(load: &str, dir: &Path, lines: &[&str]) -> Vec<String> {
    // The markers are spelt in two pieces in what is typed, so that the terminal's echo of the
    // typed text never matches them.
    let driver = r#"zmodload zsh/zpty || exit 3
zpty z zsh -f -i || exit 4
zpty -w z "$LOAD"' || exit 9; probe() { zle complete-word; print -r -- "DO""NE<$BUFFER>"; BUFFER=; zle accept-line }; zle -N probe; bindkey "^T" probe; PS1="RE""ADY>"'
for line in "$@"; do
  zpty -r -m z out '*READY>*' || exit 5
  zpty -w -n z "$line"$'\x14'
  zpty -r -m z out '*DONE<*>*' || exit 6
  print -r -- "${${out##*DONE<}%%>*}"
done
zpty -d z"#;
    let bin = Path::new(env!("CARGO_BIN_EXE_sgx-measure"))
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // `timeout`: a completion that waits for input would otherwise hang the test.
    let o = Command::new("timeout")
        .args(["60", "zsh", "-f", "-c", driver, "zsh"])
        .args(lines)
        .env("LOAD", load)
        .env("HOME", dir)
        .env("PATH", path)
        .env("TERM", "dumb")
        .current_dir(dir)
        .output()
        .expect("zsh");
    assert!(o.status.success(), "zsh: {}", text(&o));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect()
}

/// The zsh script loads without a message, whether sourced or installed as `_sgx-measure` in
/// `fpath` (as `completions --help` says), and completes subcommands, options, values and files.
#[test]
fn zsh_completes_options_and_values() {
    if !shell_present("zsh", "zsh_completes_options_and_values") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let zfunc = d.join("zfunc");
    std::fs::create_dir(&zfunc).expect("mkdir");
    let script = completion_script("zsh", &zfunc, "_sgx-measure");
    std::fs::write(d.join("app.manifest.sgx"), b"").expect("write");
    let sourced = format!(
        "autoload -Uz compinit && compinit -u -D && source {}",
        script.display()
    );
    let installed = format!(
        "fpath=({} $fpath) && autoload -Uz compinit && compinit -u -D",
        zfunc.display()
    );
    for load in [&sourced, &installed] {
        // Loading alone prints nothing and registers the completion function.
        let o = Command::new("zsh")
            .args(["-f", "-c"])
            .arg(format!(
                "{load} && [[ $_comps[sgx-measure] == _sgx-measure ]] || exit 7"
            ))
            .env("HOME", d)
            .current_dir(d)
            .output()
            .expect("zsh");
        assert!(o.status.success(), "{load}: {}", text(&o));
        assert!(
            o.stderr.is_empty() && o.stdout.is_empty(),
            "{load}: {}",
            text(&o)
        );
        let cases = [
            ("sgx-measure hash-f", "sgx-measure hash-files"),
            ("sgx-measure sigstruct vi", "sgx-measure sigstruct view"),
            ("sgx-measure mrenclave --js", "sgx-measure mrenclave --json"),
            // An option that takes a value completes to `--option=` (both forms are accepted).
            (
                "sgx-measure sdk dump --cs",
                "sgx-measure sdk dump --cssfile=",
            ),
            (
                "sgx-measure hash-files --format sha",
                "sgx-measure hash-files --format sha256sum",
            ),
            (
                "sgx-measure sigstruct view --output-format j",
                "sgx-measure sigstruct view --output-format json",
            ),
            ("sgx-measure completions fi", "sgx-measure completions fish"),
            (
                "sgx-measure mrenclave -m app.man",
                "sgx-measure mrenclave -m app.manifest.sgx",
            ),
        ];
        let lines: Vec<&str> = cases.iter().map(|(typed, _)| *typed).collect();
        let have = zsh_complete(load, d, &lines);
        let want: Vec<&str> = cases.iter().map(|(_, done)| *done).collect();
        assert_eq!(have, want, "{load}");
    }
}

/// The fish script loads without a message and completes subcommands, options, values and
/// files (`complete -C`, fish's own completion of a command line).
#[test]
fn fish_completes_options_and_values() {
    if !shell_present("fish", "fish_completes_options_and_values") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let script = completion_script("fish", d, "sgx-measure.fish");
    std::fs::write(d.join("app.manifest.sgx"), b"").expect("write");
    let complete = |line: &str| -> Vec<String> {
        let o = Command::new("fish")
            .args(["--no-config", "-c"])
            .arg(r#"source $argv[1]; or exit 3; complete -C $argv[2]"#)
            .arg(&script)
            .arg(line)
            .env("HOME", d)
            .env("XDG_CONFIG_HOME", d)
            .env("XDG_DATA_HOME", d)
            .current_dir(d)
            .output()
            .expect("fish");
        assert!(o.status.success(), "{line}: {}", text(&o));
        assert!(o.stderr.is_empty(), "{line}: {}", text(&o));
        // `candidate<TAB>description`
        let mut c: Vec<String> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| l.split('\t').next().unwrap_or_default().to_string())
            .collect();
        c.sort();
        c
    };
    // Loading alone prints nothing.
    let o = Command::new("fish")
        .args(["--no-config", "-c", "source $argv[1]"])
        .arg(&script)
        .env("HOME", d)
        .output()
        .expect("fish");
    assert!(o.status.success(), "{}", text(&o));
    assert!(o.stderr.is_empty() && o.stdout.is_empty(), "{}", text(&o));
    assert_eq!(complete("sgx-measure hash-f"), ["hash-files"]);
    assert_eq!(complete("sgx-measure sigstruct v"), ["verify", "view"]);
    assert_eq!(complete("sgx-measure mrenclave --js"), ["--json"]);
    let options = complete("sgx-measure mrenclave --");
    for want in ["--manifest", "--libpal", "--gramine", "--quiet", "--json"] {
        assert!(options.iter().any(|o| o == want), "{want}: {options:?}");
    }
    assert_eq!(
        complete("sgx-measure hash-files --format "),
        ["json", "sha256sum", "toml"]
    );
    assert_eq!(
        complete("sgx-measure sigstruct view --output-format "),
        ["json", "text", "toml"]
    );
    assert_eq!(complete("sgx-measure completions f"), ["fish"]);
    assert_eq!(
        complete("sgx-measure mrenclave -m app.man"),
        ["app.manifest.sgx"]
    );
}

/// `--help`, `-h` and `help SUBCOMMAND` print every example line whole (clap wraps the rest of
/// the help to the terminal's width; an example cut in the middle could not be pasted).
#[test]
fn help_examples_are_never_wrapped() {
    let mut root = cli::command();
    root.build();
    let mut checked = 0;
    for (path, cmd) in leaves() {
        let Some(after) = cmd.get_after_help().map(|s| s.to_string()) else {
            continue;
        };
        let long_lines: Vec<&str> = after.lines().filter(|l| l.len() > 60).collect();
        for how in [vec!["--help"], vec!["-h"]] {
            let o = sgx_measure().args(&path).args(&how).output().expect("run");
            assert_eq!(o.status.code(), Some(0), "{path:?} {how:?}: {}", text(&o));
            let out = String::from_utf8_lossy(&o.stdout);
            for l in &long_lines {
                assert!(
                    out.lines().any(|h| h == *l),
                    "{path:?} {how:?}: example line not printed whole: {l}\n{out}"
                );
            }
        }
        let mut help = vec!["help".to_string()];
        help.extend(path.iter().cloned());
        let o = sgx_measure().args(&help).output().expect("run");
        let out = String::from_utf8_lossy(&o.stdout);
        for l in &long_lines {
            assert!(out.lines().any(|h| h == *l), "{help:?}: {l}\n{out}");
        }
        checked += long_lines.len();
    }
    assert!(checked > 10, "{checked} long example lines");
}

/// `--version` names the release, the commit and the Gramine versions.
#[test]
fn version_names_the_commit_and_gramine_versions() {
    let o = sgx_measure().arg("--version").output().expect("run");
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let want = format!("sgx-measure {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(out.starts_with(&want), "{out}");
    assert!(out.contains("; Gramine 1.0 to 1.9)"), "{out}");
    let commit = out
        .split("(commit ")
        .nth(1)
        .and_then(|r| r.split(';').next())
        .unwrap_or_default();
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{out}"
    );
}

/// `hash-files` says what it left out of a directory (as Gramine leaves it out): one line
/// without `-v`, each path with `-v`, nothing with `-q`.
#[test]
fn hash_files_reports_what_it_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("sub")).expect("mkdir");
    std::fs::write(data.join("a.txt"), b"a\n").expect("write");
    std::fs::write(data.join("sub/b.txt"), b"b\n").expect("write");
    std::os::unix::fs::symlink("no-such-target", data.join("dangling")).expect("symlink");
    std::os::unix::fs::symlink("sub", data.join("linked-dir")).expect("symlink");
    let fifo = data.join("fifo");
    let o = Command::new("mkfifo").arg(&fifo).output().expect("mkfifo");
    assert!(o.status.success(), "{}", text(&o));
    let run = |flag: Option<&str>| {
        let mut c = sgx_measure();
        c.arg("hash-files")
            .arg(&data)
            .args(["--format", "sha256sum"]);
        if let Some(f) = flag {
            c.arg(f);
        }
        c.output().expect("run")
    };
    let o = run(None);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.lines().count(), 2, "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    for want in [
        "1 dangling symbolic link",
        "1 directory reached through a symbolic link",
        "1 special file",
    ] {
        assert!(err.contains(want), "{want}: {}", text(&o));
    }
    assert_eq!(err.lines().count(), 1, "{}", text(&o));
    let o = run(Some("-v"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("2 files hashed, 3 skipped"), "{}", text(&o));
    for name in ["dangling", "linked-dir", "fifo"] {
        let path = data.join(name).display().to_string();
        assert!(
            err.lines()
                .any(|l| l.starts_with(&format!("skipped {path}: "))),
            "{name}: {}",
            text(&o)
        );
    }
    let o = run(Some("-q"));
    assert!(o.status.success() && o.stderr.is_empty(), "{}", text(&o));
}

/// `sign -m -` reads the manifest from standard input (a .sig name is then required); `entries
/// convert --to sha256sum` gives lines `sha256sum -c` checks; `sha256sum --tag` lines are read;
/// hex values take an optional `0x`; `sigstruct view --output-format` and a hex `.sig`.
#[test]
fn gramine_users_habits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (m1, sig1, pal) = vector("p01-defaults-empty");
    let input = vectors().join("p01-defaults-empty/input.manifest");
    let key = vectors().join("../test-signing-key.pem");
    let libos = vectors().join("elf/pal-basic.so");
    // sign -m -
    let o = sgx_measure()
        .args(["sign", "-m", "-", "-q", "-d", "2026-01-01", "-o"])
        .arg(d.join("a.manifest.sgx"))
        .arg("-l")
        .arg(&pal)
        .arg("-k")
        .arg(&key)
        .arg("--libos")
        .arg(&libos)
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("-s"),
        "{}",
        text(&o)
    );
    let from_file = |stdin: bool, name: &str| {
        let mut c = sgx_measure();
        c.args(["sign", "-q", "-d", "2026-01-01", "-o"])
            .arg(d.join(format!("{name}.manifest.sgx")))
            .arg("-s")
            .arg(d.join(format!("{name}.sig")))
            .arg("-l")
            .arg(&pal)
            .arg("-k")
            .arg(&key)
            .arg("--libos")
            .arg(&libos);
        if stdin {
            c.args(["-m", "-"])
                .stdin(std::fs::File::open(&input).expect("open"));
        } else {
            c.arg("-m").arg(&input);
        }
        let o = c.output().expect("run");
        assert!(o.status.success(), "{}", text(&o));
        std::fs::read(d.join(format!("{name}.sig"))).expect("sig")
    };
    let a = from_file(false, "file");
    let b = from_file(true, "stdin");
    assert_eq!(a, b, "the same .sig from a file and from standard input");

    // hash-files, then entries convert --to sha256sum, checked by sha256sum -c.
    let data = d.join("data");
    std::fs::create_dir(&data).expect("mkdir");
    std::fs::write(data.join("x.bin"), b"x\n").expect("write");
    let o = sgx_measure()
        .current_dir(d)
        .args([
            "hash-files",
            "data",
            "-q",
            "-o",
            "e.json",
            "--format",
            "json",
        ])
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o));
    let o = sgx_measure()
        .current_dir(d)
        .args([
            "entries",
            "convert",
            "e.json",
            "--to",
            "sha256sum",
            "-o",
            "SUMS",
        ])
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o));
    let o = Command::new("sha256sum")
        .current_dir(d)
        .args(["-c", "SUMS"])
        .output()
        .expect("sha256sum");
    assert!(o.status.success(), "{}", text(&o));
    // sha256sum --tag lines are read (detected), other algorithms' refused as such.
    let o = Command::new("sha256sum")
        .current_dir(d)
        .args(["--tag", "data/x.bin"])
        .output()
        .expect("sha256sum");
    std::fs::write(d.join("TAGGED"), &o.stdout).expect("write");
    let o = sgx_measure()
        .current_dir(d)
        .args(["entries", "convert", "TAGGED", "--to", "sha256sum"])
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        o.stdout,
        std::fs::read(d.join("SUMS")).expect("SUMS"),
        "{}",
        text(&o)
    );
    std::fs::write(
        d.join("MD5"),
        "MD5 (data/x.bin) = 401b30e3b8b5d629635a5c613cdb7919\n",
    )
    .expect("write");
    let o = sgx_measure()
        .current_dir(d)
        .args(["entries", "convert", "MD5", "--to", "list"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--tag"),
        "{}",
        text(&o)
    );

    // 0x before hex values.
    let mrenclave = {
        let o = sgx_measure()
            .args(["mrenclave", "-q", "-m"])
            .arg(&m1)
            .arg("-l")
            .arg(&pal)
            .output()
            .expect("run");
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    let o = sgx_measure()
        .args(["verify", "-q", "--expect-mrenclave"])
        .arg(format!("0x{mrenclave}"))
        .arg("--sig")
        .arg(&sig1)
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // sigstruct view --output-format, and a .sig as hex text.
    let gramine = |f: &str| {
        let o = sgx_measure()
            .args(["sigstruct", "view"])
            .arg(&sig1)
            .arg(f)
            .output()
            .expect("run");
        assert!(o.status.success(), "{}", text(&o));
        o.stdout
    };
    assert_eq!(gramine("--json"), {
        let o = sgx_measure()
            .args(["sigstruct", "view", "--output-format", "json"])
            .arg(&sig1)
            .output()
            .expect("run");
        o.stdout
    });
    let hex_sig = d.join("sig.hex");
    std::fs::write(&hex_sig, hex::encode(std::fs::read(&sig1).expect("sig"))).expect("write");
    let o = sgx_measure()
        .args(["sigstruct", "view", "--output-format", "toml"])
        .arg(&hex_sig)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(o.stdout, gramine("--toml"));
}

/// Errors name the kind of file expected: a truncated .sig given to diff is a SIGSTRUCT of the
/// wrong size, not a manifest that is not UTF-8; the default PAL, missing, is said to be the
/// default.
#[test]
fn errors_name_the_kind_of_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (m1, sig1, pal) = vector("p01-defaults-empty");
    let short = dir.path().join("short.sig");
    std::fs::write(&short, &std::fs::read(&sig1).expect("sig")[..1000]).expect("write");
    let o = sgx_measure()
        .arg("diff")
        .arg(&short)
        .arg(&m1)
        .arg("--libpal")
        .arg(&pal)
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("SIGSTRUCT") && err.contains("1000 bytes"),
        "{}",
        text(&o)
    );
    assert!(!err.contains("UTF-8"), "{}", text(&o));
    // Malformed JSON entries (a trailing comma), with a byte-order mark or not: the file is
    // named and read as JSON, not reported as invalid TOML.
    let hash = "ab".repeat(32);
    for (name, bom) in [("plain.json", ""), ("bom.json", "\u{feff}")] {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!("{bom}[\n  {{\"uri\": \"file:a\", \"sha256\": \"{hash}\"}},\n]\n"),
        )
        .expect("write");
        let o = sgx_measure()
            .args(["entries", "convert", "--to", "list"])
            .arg(&path)
            .output()
            .expect("run");
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&path.display().to_string())
                && err.contains("invalid JSON")
                && !err.contains("TOML"),
            "{}",
            text(&o)
        );
    }
    if !Path::new("/usr/lib/x86_64-linux-gnu/gramine/sgx/libpal.so").exists() {
        let o = sgx_measure()
            .args(["mrenclave", "-m"])
            .arg(&m1)
            .output()
            .expect("run");
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("default") && err.contains("--libpal"),
            "{}",
            text(&o)
        );
    }
}

/// The README's quick start prints what the README says it prints.
#[test]
fn readme_quick_start_output_is_what_the_binary_prints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let start = readme.find("## Quick start").expect("quick start");
    let section = &readme[start..];
    let cmd_line = section
        .lines()
        .find(|l| l.starts_with("cargo run --release --bin sgx-measure -- "))
        .expect("the quick start command");
    let args: Vec<&str> = cmd_line
        .trim_start_matches("cargo run --release --bin sgx-measure -- ")
        .split_whitespace()
        .collect();
    let block = section
        .split("```text\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the expected output");
    let o = sgx_measure()
        .args(&args)
        .current_dir(&root)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), block);
}

/// `verify --help`'s examples are commands docs/verifier.md runs (its test checks them), with
/// real values rather than abbreviations.
#[test]
fn verify_examples_are_run_by_the_docs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let page = std::fs::read_to_string(root.join("docs/verifier.md")).expect("verifier.md");
    let commands: Vec<String> = page
        .replace("\\\n", " ")
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| l.starts_with("sgx-measure verify "))
        .collect();
    let mut root_cmd = cli::command();
    root_cmd.build();
    let verify = root_cmd.find_subcommand("verify").expect("verify");
    let help = verify.get_after_help().expect("examples").to_string();
    let examples: Vec<&str> = help
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("sgx-measure verify "))
        .collect();
    assert!(examples.len() >= 3, "{help}");
    for ex in &examples[..3] {
        assert!(!ex.contains("..."), "abbreviated value in {ex}");
        assert!(
            commands.iter().any(|c| c.starts_with(ex)),
            "`{ex}` is not run by docs/verifier.md"
        );
    }
}

/// One run of a command that should succeed: its standard output (nothing on standard error).
fn passes(dir: &Path, args: &[&str]) -> String {
    let o = sgx_measure()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
    assert!(o.stderr.is_empty(), "{args:?}: {}", text(&o));
    String::from_utf8(o.stdout).expect("UTF-8")
}

/// A `--json` result: one object and a final newline, with these fields.
fn json_result(out: &str, fields: &[&str]) -> serde_json::Value {
    assert!(out.ends_with('\n'), "no final newline: {out}");
    let v: serde_json::Value =
        serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"));
    for f in fields {
        assert!(v.get(f).is_some(), "no {f:?} in {out}");
    }
    assert!(v.get("error").is_none(), "{out}");
    v
}

/// The `sdk` subcommands and `entries merge`/`convert` follow the convention on a passing input
/// (text, `-q`: the primary value or nothing, `--json`: the documented fields) and on an
/// unusable one (status 2, a JSON error with `--json`). None of them gives a verdict that can
/// fail (a signature that does not match is unusable input, as for `sigstruct attach`).
#[test]
fn sdk_and_entries_follow_the_convention() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let v = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/sdk-vectors");
    std::fs::copy(v.join("enclaves/2.26/basic.so"), d.join("enclave.so")).expect("copy");
    std::fs::copy(v.join("configs/ita.xml"), d.join("Enclave.config.xml")).expect("copy");
    std::fs::copy(v.join("test-key.pem"), d.join("key.pem")).expect("copy");
    let mrenclave = "54d88bd20e2e18ef588bc4f4ccfc3ddc836ae7536a9a3438b8c18b4debda5198";
    let mre = format!("{mrenclave}\n");
    let inputs = ["-e", "enclave.so", "-c", "Enclave.config.xml"];
    let with = |cmd: &[&str], more: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = vec!["sdk".into()];
        a.extend(cmd.iter().map(|s| s.to_string()));
        a.extend(inputs.iter().map(|s| s.to_string()));
        a.extend(more.iter().map(|s| s.to_string()));
        a
    };
    let run = |args: &[String], extra: &[&str]| {
        let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
        a.extend(extra);
        passes(d, &a)
    };

    // sdk mrenclave: -q prints the MRENCLAVE alone.
    let m = with(&["mrenclave"], &[]);
    assert_eq!(run(&m, &[]), mre);
    assert_eq!(run(&m, &["-q"]), mre);
    let j = json_result(
        &run(&m, &["--json"]),
        &["mrenclave", "sdk_version", "enclave_size", "layout"],
    );
    assert_eq!(j["mrenclave"], mrenclave);

    // sdk sign: the MRENCLAVE, nothing with -q, the result with --json.
    let key = ["-k", "key.pem", "-d", "2026-01-01"];
    let s = with(&["sign"], &key);
    assert_eq!(run(&s, &["-o", "a.so"]), mre);
    assert_eq!(run(&s, &["-o", "b.so", "-q"]), "");
    let j = json_result(
        &run(&s, &["-o", "c.so", "--json", "--cssfile", "c.css"]),
        &[
            "output",
            "mrenclave",
            "mrsigner",
            "sdk_version",
            "dumpfile",
            "cssfile",
        ],
    );
    assert_eq!(j["output"], "c.so");
    assert_eq!(j["mrenclave"], mrenclave);
    assert_eq!(j["sdk_version"], "2.26");
    assert_eq!(j["cssfile"], "c.css");
    assert!(j["dumpfile"].is_null(), "{j}");
    let a = std::fs::read(d.join("a.so")).expect("a.so");
    for other in ["b.so", "c.so"] {
        assert_eq!(std::fs::read(d.join(other)).expect("signed"), a, "{other}");
    }

    // sdk dump: -q prints the enclave's MRENCLAVE; --json the documented object.
    assert_eq!(passes(d, &["sdk", "dump", "a.so", "-q"]), mre);
    let j = json_result(
        &passes(d, &["sdk", "dump", "a.so", "--json"]),
        &["mrenclave", "mrsigner", "metadata"],
    );
    assert_eq!(j["mrenclave"], mrenclave);
    let mrsigner = j["mrsigner"].as_str().expect("mrsigner").to_string();

    // sdk gendata: the MRENCLAVE, nothing with -q, the result with --json.
    let g = with(&["gendata"], &["-d", "2026-01-01"]);
    assert_eq!(run(&g, &["-o", "m1"]), mre);
    assert_eq!(run(&g, &["-o", "m2", "-q"]), "");
    let j = json_result(
        &run(&g, &["-o", "m3", "--json"]),
        &["output", "mrenclave", "sdk_version", "signing_data_sha256"],
    );
    let material = std::fs::read(d.join("m3")).expect("m3");
    assert_eq!(
        j["signing_data_sha256"],
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&material))
    );
    assert_eq!(std::fs::read(d.join("m1")).expect("m1"), material);

    // sdk catsig, with the signature of the material taken from the one-step signed enclave's
    // SIGSTRUCT (`--cssfile`, little-endian at 0x204; catsig takes it big-endian as `openssl
    // dgst -sign` writes it): the same signed enclave.
    let css = std::fs::read(d.join("c.css")).expect("c.css");
    let mut signature = css[0x204..0x204 + 384].to_vec();
    signature.reverse();
    std::fs::write(d.join("sig.bin"), &signature).expect("write");
    std::fs::copy(v.join("test-key.pub.pem"), d.join("public.pem")).expect("copy");
    let c = with(
        &["catsig"],
        &["-k", "public.pem", "--sig", "sig.bin", "--unsigned", "m3"],
    );
    assert_eq!(run(&c, &["-o", "d.so"]), mre);
    assert_eq!(run(&c, &["-o", "e.so", "-q"]), "");
    let j = json_result(
        &run(&c, &["-o", "f.so", "--json"]),
        &["output", "mrenclave", "mrsigner", "sdk_version"],
    );
    assert_eq!(j["mrsigner"], mrsigner.as_str());
    for other in ["d.so", "e.so", "f.so"] {
        assert_eq!(std::fs::read(d.join(other)).expect("signed"), a, "{other}");
    }

    // Unusable: a signature that is not of this material, an enclave that is not one.
    std::fs::write(d.join("bad.bin"), [7u8; 384]).expect("write");
    std::fs::write(d.join("not-an-enclave.so"), b"not an ELF").expect("write");
    let bad_catsig = with(
        &["catsig"],
        &[
            "-k",
            "public.pem",
            "--sig",
            "bad.bin",
            "--unsigned",
            "m3",
            "-o",
            "g.so",
        ],
    );
    let bad: Vec<Vec<String>> = vec![
        bad_catsig,
        ["sdk", "mrenclave", "-e", "not-an-enclave.so"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ["sdk", "dump", "enclave.so"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    ];
    for args in &bad {
        for json in [false, true] {
            let mut c = sgx_measure();
            c.current_dir(d).args(args);
            if json {
                c.arg("--json");
            }
            let o = c.output().expect("run");
            assert_eq!(o.status.code(), Some(2), "{args:?} {json}: {}", text(&o));
            if json {
                let e = json_error(&o);
                assert_eq!(e["code"], "invalid_input", "{args:?}: {}", text(&o));
                assert!(o.stderr.is_empty(), "{args:?}: {}", text(&o));
            } else {
                assert!(o.stdout.is_empty(), "{args:?}: {}", text(&o));
            }
        }
    }
    assert!(!d.join("g.so").exists());

    // entries merge and convert: -q prints the entries alone; --json (with -o) the result.
    std::fs::create_dir(d.join("data")).expect("mkdir");
    std::fs::write(d.join("data/a"), b"a\n").expect("write");
    std::fs::write(d.join("data/b"), b"b\n").expect("write");
    for k in 0..2 {
        let shard = format!("{k}/2");
        let out = format!("part-{k}");
        passes(
            d,
            &["hash-files", "data", "-q", "--shard", &shard, "-o", &out],
        );
    }
    let merged = passes(d, &["entries", "merge", "part-0", "part-1"]);
    assert_eq!(
        merged.matches("[[sgx.trusted_files]]").count(),
        2,
        "{merged}"
    );
    assert_eq!(
        passes(d, &["entries", "merge", "part-1", "part-0", "-q"]),
        merged
    );
    let j = json_result(
        &passes(
            d,
            &[
                "entries", "merge", "part-0", "part-1", "-o", "m.toml", "--json",
            ],
        ),
        &["output", "format", "entries", "shards"],
    );
    assert_eq!(
        (&j["format"], &j["entries"], &j["shards"]),
        (&"toml".into(), &2.into(), &2.into()),
        "{j}"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("m.toml")).expect("m"),
        merged
    );
    let j = json_result(
        &passes(
            d,
            &[
                "entries",
                "convert",
                "m.toml",
                "--to",
                "sha256sum",
                "-o",
                "SUMS",
                "--json",
            ],
        ),
        &["output", "format", "entries"],
    );
    assert_eq!(
        (&j["format"], &j["entries"]),
        (&"sha256sum".into(), &2.into())
    );
    // --json without -o: the entries would be mixed with the result; a usage error.
    let o = sgx_measure()
        .current_dir(d)
        .args(["entries", "merge", "part-0", "part-1", "--json"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(json_error(&o)["code"], "usage", "{}", text(&o));
    // A shard missing: the other's run is incomplete, unusable.
    let o = sgx_measure()
        .current_dir(d)
        .args(["entries", "merge", "part-0", "-o", "n.toml", "--json"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(json_error(&o)["code"], "invalid_input", "{}", text(&o));
    assert!(!d.join("n.toml").exists());
}
