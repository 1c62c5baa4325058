//! Every shell command in `docs/` is run, so the guide cannot rot.
//!
//! Each page's fenced ```` ```sh ```` blocks run in order, in one bash process per page
//! (`set -eo pipefail` in each block), from the repository's root with this build's
//! `sgx-measure` first on `PATH`, `HOME` and `TMPDIR` in a temporary directory. The role pages
//! start with `REPO=$PWD` and `cd "$(mktemp -d)"`, so they only read the checkout. HTML comments
//! right before a block (invisible when the page is rendered) say more:
//!
//! - `<!-- exit: N -->` before a ```` ```sh ```` block: it must exit with status N (it runs in a
//!   subshell, so keep such a block to the failing command);
//! - `<!-- output -->` before a ```` ```text ```` block that follows a ```` ```sh ```` block: the
//!   output of that block (standard output and error together) must be this text; a line `...`
//!   stands for any number of lines, trailing spaces are ignored;
//! - `<!-- not run: REASON -->` before a ```` ```sh ```` block: not executed (it needs a machine
//!   CI does not have: an SGX CPU, Gramine, the SGX SDK, Occlum);
//! - `<!-- tested: NAME -->` (docs/signing.md): the block is also run by `sigstruct_cli.rs`
//!   against Gramine's own outputs; here it runs in page order like any other.
//!
//! A block made only of `cargo` commands (building or testing this repository) is checked, not
//! run: each `-p` package is a workspace member, each `--test` target and fuzz target exists.
//! Nothing runs before a page's first block: a page creates or names every file it uses. Shell
//! fences other than `sh` (`bash`, `shell`, `console`) are refused, so no command escapes the test.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repository root")
}

/// The pages and whether each is run here; a page missing from this list fails
/// [`every_page_is_tested`].
const PAGES: &[&str] = &[
    "README.md",
    "data-owner.md",
    "algorithm-owner.md",
    "verifier.md",
    "formats.md",
    "threat-model.md",
    "reproducibility.md",
    "measurement.md",
    "signing.md",
    "evidence.md",
    "diff.md",
    "sdk.md",
    "policies.md",
    "cli.md",
];

#[derive(Debug, Default)]
struct Block {
    /// 1-based line of the opening fence.
    line: usize,
    text: String,
    exit: i32,
    output: Option<String>,
    not_run: Option<String>,
}

/// The `sh` blocks of a page, with their markers.
fn parse(page: &str, doc: &str) -> Vec<Block> {
    let lines: Vec<&str> = doc.lines().collect();
    let mut blocks: Vec<Block> = Vec::new();
    let mut i = 0;
    // Whether the last fenced block was an sh block (an `output` block attaches to it).
    let mut last_was_sh = false;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        let Some(lang) = trimmed.strip_prefix("```") else {
            i += 1;
            continue;
        };
        let indent = lines[i].len() - trimmed.len();
        let lang = lang.trim().to_string();
        let start = i;
        let mut body = Vec::new();
        i += 1;
        while i < lines.len() && lines[i].trim() != "```" {
            let l = lines[i];
            body.push(if l.len() >= indent && l[..indent].trim().is_empty() {
                &l[indent..]
            } else {
                l.trim_start()
            });
            i += 1;
        }
        assert!(i < lines.len(), "{page}:{}: unclosed code block", start + 1);
        i += 1;
        let marker = lines[..start]
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.trim())
            .filter(|l| l.starts_with("<!--") && l.ends_with("-->"))
            .map(|l| l["<!--".len()..l.len() - "-->".len()].trim().to_string());
        let mut text = body.join("\n");
        text.push('\n');
        match lang.as_str() {
            "sh" => {
                let mut b = Block {
                    line: start + 1,
                    text,
                    ..Block::default()
                };
                match marker.as_deref() {
                    Some(m) if m.starts_with("exit:") => {
                        b.exit = m["exit:".len()..]
                            .trim()
                            .parse()
                            .unwrap_or_else(|_| panic!("{page}:{}: bad marker {m:?}", start + 1));
                    }
                    Some(m) if m.starts_with("not run:") => {
                        let reason = m["not run:".len()..].trim();
                        assert!(!reason.is_empty(), "{page}:{}: give a reason", start + 1);
                        b.not_run = Some(reason.to_string());
                    }
                    Some(m) if m.starts_with("tested:") || m.starts_with("output") => {
                        assert!(
                            !m.starts_with("output"),
                            "{page}:{}: `output` goes before a text block",
                            start + 1
                        );
                    }
                    Some(m) => panic!("{page}:{}: unknown marker {m:?}", start + 1),
                    None => {}
                }
                blocks.push(b);
                last_was_sh = true;
            }
            "bash" | "shell" | "console" | "shell-session" | "zsh" => {
                panic!(
                    "{page}:{}: shell commands go in ```sh blocks (run by this test), not ```{lang}",
                    start + 1
                )
            }
            _ => {
                if marker.as_deref() == Some("output") {
                    assert!(
                        lang == "text" && last_was_sh,
                        "{page}:{}: `<!-- output -->` must mark a ```text block right after a ```sh block",
                        start + 1
                    );
                    let b = blocks.last_mut().expect("a block before");
                    assert!(b.output.is_none(), "{page}:{}: two outputs", start + 1);
                    b.output = Some(text);
                }
                last_was_sh = false;
            }
        }
    }
    blocks
}

/// Whether actual output matches the expected text (`...` lines match any lines).
fn matches(expected: &str, actual: &str) -> bool {
    fn go(e: &[&str], a: &[&str]) -> bool {
        match e.split_first() {
            None => a.is_empty(),
            Some((&"...", rest)) => (0..=a.len()).any(|k| go(rest, &a[k..])),
            Some((line, rest)) => a.first().is_some_and(|l| l == line) && go(rest, &a[1..]),
        }
    }
    let e: Vec<&str> = expected.lines().map(str::trim_end).collect();
    let a: Vec<&str> = actual.lines().map(str::trim_end).collect();
    go(&e, &a)
}

/// A block of `cargo` commands: checked against the workspace instead of run.
fn cargo_only(text: &str) -> bool {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    lines.clone().next().is_some()
        && lines.all(|l| l.starts_with("cargo ") || l.starts_with("cd fuzz && cargo "))
}

fn check_cargo(page: &str, b: &Block) {
    let root = root();
    let members = ["measure-core", "measure-cli", "ffi", "benches"];
    let package_dir = |name: &str| -> PathBuf {
        members
            .iter()
            .map(|m| root.join(m))
            .find(|d| {
                std::fs::read_to_string(d.join("Cargo.toml"))
                    .is_ok_and(|t| t.contains(&format!("name = \"{name}\"")))
            })
            .unwrap_or_else(|| {
                panic!(
                    "{page}:{}: package {name} is not a workspace member",
                    b.line
                )
            })
    };
    for line in b.text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let mut pkg = None;
        for (k, w) in words.iter().enumerate() {
            let next = words.get(k + 1).copied().unwrap_or_default();
            match *w {
                "-p" | "--package" => pkg = Some(package_dir(next)),
                "--test" => {
                    let dir = pkg.clone().unwrap_or_else(|| root.join("measure-cli"));
                    let tests = dir.join("tests");
                    assert!(
                        tests.join(format!("{next}.rs")).is_file()
                            || tests.join(next).join("main.rs").is_file(),
                        "{page}:{}: no test target {next}",
                        b.line
                    );
                }
                "fuzz" if next == "run" => {
                    let target = words.get(k + 2).copied().unwrap_or_default();
                    assert!(
                        root.join("fuzz/fuzz_targets")
                            .join(format!("{target}.rs"))
                            .is_file(),
                        "{page}:{}: no fuzz target {target}",
                        b.line
                    );
                }
                _ => {}
            }
        }
    }
}

/// Runs a page's blocks and returns the failures.
fn run_page(page: &str) -> Vec<String> {
    let path = root().join("docs").join(page);
    let doc = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{page}: {e}"));
    run_doc(page, &doc)
}

/// Runs the blocks of `doc` (named `page`) and returns the failures.
fn run_doc(page: &str, doc: &str) -> Vec<String> {
    let blocks = parse(page, doc);
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let home = tmp.path().join("home");
    let scratch = tmp.path().join("tmp");
    for d in [&out, &home, &scratch] {
        std::fs::create_dir(d).expect("mkdir");
    }
    // No hidden prelude: a page creates or names every file it uses.
    let mut script = String::from("set -e\nset +e\n");
    let mut run = Vec::new();
    for (k, b) in blocks.iter().enumerate() {
        if b.not_run.is_some() {
            continue;
        }
        if cargo_only(&b.text) {
            check_cargo(page, b);
            continue;
        }
        let o = out.join(k.to_string());
        let o = o.display();
        if b.exit == 0 {
            // In the page's shell, so that `cd` and variables carry over to the next blocks.
            script.push_str(&format!(
                "set -eo pipefail\n{{\n{}}} > '{o}.out' 2>&1\nset +e +o pipefail\necho 0 > '{o}.status'\n",
                b.text
            ));
        } else {
            script.push_str(&format!(
                "(\nset -eo pipefail\n{}) > '{o}.out' 2>&1\necho $? > '{o}.status'\n",
                b.text
            ));
        }
        run.push(k);
    }
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_sgx-measure"));
    let path_var = format!(
        "{}:{}",
        exe.parent().expect("bin dir").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // The tools the pages use besides sgx-measure and coreutils: say which is missing rather
    // than fail on "command not found".
    for tool in ["openssl", "python3", "cc"] {
        let used = run
            .iter()
            .any(|&k| blocks[k].text.contains(&format!("{tool} ")));
        if used
            && Command::new("sh")
                .arg("-c")
                .arg(format!("command -v {tool}"))
                .output()
                .map_or(true, |o| !o.status.success())
        {
            return vec![format!(
                "docs/{page} needs `{tool}`, which is not installed"
            )];
        }
    }
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(&script)
        .current_dir(root())
        .env("PATH", path_var)
        .env("TMPDIR", &scratch)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("REPO");
    // A private HOME (nothing the pages do may touch the real one), but the same Rust toolchain
    // and crate cache for the cargo commands a page runs (ffi/build-enclave.sh).
    if let Some(real) = std::env::var_os("HOME").map(PathBuf::from) {
        for (var, dir) in [("CARGO_HOME", ".cargo"), ("RUSTUP_HOME", ".rustup")] {
            let value = std::env::var_os(var).unwrap_or_else(|| real.join(dir).into_os_string());
            cmd.env(var, value);
        }
    }
    let status = cmd.env("HOME", &home).status().expect("bash");
    let checked = blocks
        .iter()
        .filter(|b| b.not_run.is_none() && cargo_only(&b.text))
        .count();
    let not_run = blocks.iter().filter(|b| b.not_run.is_some()).count();
    eprintln!(
        "docs/{page}: {} blocks run, {checked} cargo blocks checked, {not_run} not run",
        run.len()
    );
    let mut failures = Vec::new();
    for k in run {
        let b = &blocks[k];
        let o = out.join(k.to_string());
        let output = std::fs::read_to_string(o.with_extension("out")).unwrap_or_default();
        let Ok(st) = std::fs::read_to_string(o.with_extension("status")) else {
            failures.push(format!(
                "docs/{page}:{}: the block failed (page shell exited with {status}):\n{}--- output:\n{output}",
                b.line, b.text
            ));
            break;
        };
        let st: i32 = st.trim().parse().expect("status");
        if st != b.exit {
            failures.push(format!(
                "docs/{page}:{}: exit status {st}, expected {}:\n{}--- output:\n{output}",
                b.line, b.exit, b.text
            ));
        }
        if let Some(want) = &b.output
            && !matches(want, &output)
        {
            failures.push(format!(
                "docs/{page}:{}: output differs from the page:\n{}--- expected:\n{want}--- actual:\n{output}",
                b.line, b.text
            ));
        }
    }
    failures
}

fn check_page(page: &str) {
    let failures = run_page(page);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_page_is_tested() {
    let mut found: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .collect();
    found.sort();
    let mut listed: Vec<String> = PAGES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(
        found, listed,
        "docs/ pages and PAGES in this test differ: add a test for each new page"
    );
}

#[test]
fn markers_and_matching() {
    let doc = "<!-- exit: 1 -->\n```sh\nfalse\n```\n\n<!-- output -->\n```text\na\n...\nz\n```\n\n  ```sh\n  echo x\n    y\n  ```\n";
    let b = parse("t.md", doc);
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].exit, 1);
    assert_eq!(b[0].output.as_deref(), Some("a\n...\nz\n"));
    assert_eq!(b[1].text, "echo x\n  y\n");
    assert!(matches("a\n...\nz\n", "a\nz\n"));
    assert!(matches("a\n...\nz\n", "a\nb\nc\nz  \n"));
    assert!(!matches("a\n...\nz\n", "a\nb\n"));
    assert!(!matches("a\n", "a\nb\n"));
    assert!(cargo_only(
        "cargo test -p measure-core\ncd fuzz && cargo +nightly fuzz run x\n"
    ));
    assert!(!cargo_only("cargo build --release\nsgx-measure --help\n"));
}

/// The runner itself: state carries over between blocks, failures and wrong outputs are caught.
#[test]
fn runner_reports_failures() {
    let ok = "```sh\ncd \"$(mktemp -d)\"\nX=1\nmkdir d\n```\n<!-- exit: 3 -->\n```sh\nexit 3\n```\n```sh\ncd d\necho \"$X $(basename \"$PWD\")\"\n```\n<!-- output -->\n```text\n1 d\n```\n";
    assert_eq!(run_doc("ok.md", ok), Vec::<String>::new());
    let wrong_output = "```sh\necho a\n```\n<!-- output -->\n```text\nb\n```\n";
    let f = run_doc("w.md", wrong_output);
    assert!(f.len() == 1 && f[0].contains("output differs"), "{f:?}");
    let fails = "```sh\ntrue\nfalse\necho not reached\n```\n```sh\necho never\n```\n";
    let f = run_doc("f.md", fails);
    assert!(
        f.len() == 1 && f[0].contains("f.md:1: the block failed"),
        "{f:?}"
    );
    let wrong_status = "<!-- exit: 1 -->\n```sh\ntrue\n```\n";
    let f = run_doc("s.md", wrong_status);
    assert!(
        f.len() == 1 && f[0].contains("exit status 0, expected 1"),
        "{f:?}"
    );
    let pipe = "```sh\nfalse | cat\n```\n";
    assert_eq!(run_doc("p.md", pipe).len(), 1, "pipefail");
}

macro_rules! page_tests {
    ($($name:ident => $page:literal,)*) => {
        $(
            #[test]
            fn $name() {
                check_page($page);
            }
        )*
    };
}

page_tests! {
    readme => "README.md",
    data_owner => "data-owner.md",
    algorithm_owner => "algorithm-owner.md",
    verifier => "verifier.md",
    formats => "formats.md",
    threat_model => "threat-model.md",
    reproducibility => "reproducibility.md",
    measurement => "measurement.md",
    signing => "signing.md",
    evidence => "evidence.md",
    diff => "diff.md",
    sdk => "sdk.md",
    policies => "policies.md",
    cli => "cli.md",
}
