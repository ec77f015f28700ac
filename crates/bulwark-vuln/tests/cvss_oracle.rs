//! CVSS scoring checked against sources outside this crate.
//!
//! - `tests/data/cvss/oracle.tsv`: vectors of every version with the scores Red Hat's Python
//!   `cvss` library gives them (written by `make_oracle.py` beside it, which says how). Every
//!   score must be ours exactly.
//! - The real advisories in `../shared/vulndata/osv` (the project's shared test data): every
//!   CVSS vector they carry must parse.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use bulwark_vuln::cvss::{self, Version};

fn oracle_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cvss/oracle.tsv")
}

#[test]
fn scores_match_the_independent_library() {
    let path = oracle_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the oracle {} is unreadable: {e}", path.display()));
    let mut checked = [0_usize; 4];
    let mut failures = String::new();
    for (number, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (vector, expected) = line
            .split_once('\t')
            .unwrap_or_else(|| panic!("oracle line {} has no tab: {line}", number + 1));
        let expected: f64 = expected
            .parse()
            .unwrap_or_else(|e| panic!("oracle line {}: bad score: {e}", number + 1));
        match cvss::parse(vector) {
            Ok(cvss) => {
                checked[match cvss.version {
                    Version::V2 => 0,
                    Version::V3_0 => 1,
                    Version::V3_1 => 2,
                    Version::V4_0 => 3,
                }] += 1;
                if cvss.base_score.to_bits() != expected.to_bits() {
                    let _ = writeln!(
                        failures,
                        "{vector}: ours {}, library {expected}",
                        cvss.base_score
                    );
                }
            }
            Err(e) => {
                let _ = writeln!(failures, "{vector}: does not parse: {e}");
            }
        }
    }
    assert!(failures.is_empty(), "scores differ:\n{failures}");
    // The oracle must exercise every version: a truncated file would pass vacuously.
    let [v2, v30, v31, v40] = checked;
    assert!(
        v2 >= 300 && v30 >= 600 && v31 >= 600 && v40 >= 800,
        "too few oracle vectors: v2 {v2}, v3.0 {v30}, v3.1 {v31}, v4.0 {v40}"
    );
}

/// Every JSON file under `dir`, recursively, in a stable order.
fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    let mut paths: Vec<PathBuf> = entries
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "json") {
            out.push(path);
        }
    }
}

/// The CVSS vectors of an OSV record: `severity[]` of the record and of each `affected[]`.
fn cvss_vectors(record: &serde_json::Value) -> Vec<(String, String)> {
    let severities = std::iter::once(record.get("severity")).chain(
        record
            .get("affected")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .map(|affected| affected.get("severity")),
    );
    severities
        .flatten()
        .filter_map(serde_json::Value::as_array)
        .flatten()
        .filter_map(|severity| {
            let kind = severity.get("type")?.as_str()?;
            let score = severity.get("score")?.as_str()?;
            kind.starts_with("CVSS_")
                .then(|| (kind.to_owned(), score.to_owned()))
        })
        .collect()
}

#[test]
fn every_vector_in_the_real_advisories_parses() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndata/osv");
    assert!(
        root.is_dir(),
        "this test reads the project's shared advisories at {}, which are missing",
        root.display()
    );
    let mut files = Vec::new();
    json_files(&root, &mut files);
    let mut vectors = 0;
    let mut failures = String::new();
    for file in &files {
        let text =
            std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let record: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", file.display()));
        for (kind, vector) in cvss_vectors(&record) {
            vectors += 1;
            match cvss::parse(&vector) {
                Ok(cvss) => {
                    let expected = match kind.as_str() {
                        "CVSS_V2" => &[Version::V2][..],
                        "CVSS_V3" => &[Version::V3_0, Version::V3_1][..],
                        "CVSS_V4" => &[Version::V4_0][..],
                        _ => &[][..],
                    };
                    if !expected.contains(&cvss.version) {
                        let _ = writeln!(
                            failures,
                            "{}: {kind} vector {vector} reads as CVSS {}",
                            file.display(),
                            cvss.version
                        );
                    }
                }
                Err(e) => {
                    let _ = writeln!(failures, "{}: {kind} {vector}: {e}", file.display());
                }
            }
        }
    }
    assert!(failures.is_empty(), "CVSS vectors that fail:\n{failures}");
    // The shared data holds hundreds of vectors (v3 and v4); none found means the walk broke.
    assert!(
        vectors >= 400,
        "only {vectors} CVSS vectors in {} JSON files",
        files.len()
    );
}
