//! Shared helpers for the integration tests: the vector index under `testdata/vectors`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// `testdata/vectors/public`.
pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/vectors/public")
}

/// One result of one case in `index.json`.
#[derive(Debug, Clone)]
pub struct VectorResult {
    pub case: String,
    pub case_dir: PathBuf,
    pub libpal: PathBuf,
    pub dir: String,
    pub version: String,
    pub exit_code: i64,
    pub mrenclave: Option<String>,
    pub tomli_w: Option<String>,
    pub features: Vec<String>,
    pub is_append: bool,
}

impl VectorResult {
    pub fn expected(&self) -> PathBuf {
        self.case_dir.join(&self.dir)
    }
    /// `1.9` for `v1.9`.
    pub fn version_flag(&self) -> &str {
        self.version.trim_start_matches('v')
    }
}

/// Every result of every case in `index.json`.
pub fn all_results() -> Vec<VectorResult> {
    let root = vectors_dir();
    let text = std::fs::read_to_string(root.join("index.json"))
        .expect("testdata/vectors/public/index.json");
    let idx: Value = serde_json::from_str(&text).expect("index.json is JSON");
    let mut out = Vec::new();
    for c in idx["cases"].as_array().expect("cases") {
        let name = c["name"].as_str().expect("name").to_string();
        let case_dir = root.join(&name);
        let libpal = case_dir.join(c["libpal"].as_str().expect("libpal"));
        let features: Vec<String> = c["features"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let is_append = case_dir.join("base.manifest").exists();
        for r in c["results"].as_array().expect("results") {
            out.push(VectorResult {
                case: name.clone(),
                case_dir: case_dir.clone(),
                libpal: libpal.clone(),
                dir: r["dir"].as_str().expect("dir").to_string(),
                version: r["gramine_version"].as_str().expect("version").to_string(),
                exit_code: r["exit_code"].as_i64().expect("exit_code"),
                mrenclave: r["mrenclave"].as_str().map(String::from),
                tomli_w: r["tomli_w_version"].as_str().map(String::from),
                features: features.clone(),
                is_append,
            });
        }
    }
    out
}
