//! Records which commit the binary is built from, for `sgx-measure --version`: `git rev-parse`
//! in a checkout, the `.cargo_vcs_info.json` cargo writes into a published package, or the
//! `SGX_MEASURE_COMMIT` environment variable (for builds from a tarball); `unknown` otherwise.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !s.is_empty()).then_some(s)
}

/// The commit of a package made by `cargo package` (`{"git": {"sha1": "..."}}`).
fn vcs_info() -> Option<String> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".cargo_vcs_info.json"))
            .ok()?;
    let at = text.find("\"sha1\"")?;
    let rest = text.get(at + 6..)?;
    let start = rest.find('"')? + 1;
    let len = rest.get(start..)?.find('"')?;
    rest.get(start..start + len).map(String::from)
}

fn main() {
    println!("cargo:rerun-if-env-changed=SGX_MEASURE_COMMIT");
    let from_env = std::env::var("SGX_MEASURE_COMMIT")
        .ok()
        .filter(|s| !s.is_empty());
    let commit = from_env
        .or_else(|| {
            // Rebuilt when HEAD moves: HEAD itself, and the branch it points to.
            for path in ["HEAD", "packed-refs"] {
                if let Some(p) = git(&["rev-parse", "--git-path", path])
                    && Path::new(env!("CARGO_MANIFEST_DIR")).join(&p).exists()
                {
                    println!("cargo:rerun-if-changed={p}");
                }
            }
            if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"])
                && let Some(p) = git(&["rev-parse", "--git-path", &r])
                && Path::new(env!("CARGO_MANIFEST_DIR")).join(&p).exists()
            {
                println!("cargo:rerun-if-changed={p}");
            }
            git(&["rev-parse", "--short=12", "HEAD"])
        })
        .or_else(vcs_info)
        .map(|c| c.chars().take(12).collect::<String>())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=SGX_MEASURE_COMMIT={commit}");
}
