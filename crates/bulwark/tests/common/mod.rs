//! What the end-to-end test files share: where the repository and ../shared are, running the
//! binary and reading its output, and JSON Schema validation.

#![allow(dead_code)] // each test file uses a different part

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// ../shared, which CI provides beside the repository; `probe` is a directory the calling
/// tests need in it.
pub fn shared_with(probe: &str) -> PathBuf {
    let p = repo_root().join("../shared");
    assert!(
        p.join(probe).is_dir(),
        "these tests read ../shared/{probe} (the project's shared test data) at {}; it is missing",
        p.display()
    );
    p
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("bulwark runs")
}

pub fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

pub fn validator(schema_path: &Path) -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).expect("schema file"))
            .expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

/// The official CycloneDX 1.6 schema in ../shared/schemas, its references resolved to the
/// files beside it.
pub fn cyclonedx_validator(shared: &Path) -> jsonschema::Validator {
    let dir = shared.join("schemas/cyclonedx");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("bom-1.6.schema.json")).expect("schema"),
    )
    .expect("json");
    jsonschema::options()
        .with_retriever(LocalSchemas(dir))
        .build(&schema)
        .expect("CycloneDX schema compiles")
}

pub fn assert_valid(validator: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not validate:\n{}",
        errors.join("\n")
    );
}

/// Resolves a schema's references (`spdx.schema.json`, `jsf-0.82.schema.json`) to the files
/// beside it.
struct LocalSchemas(PathBuf);

impl jsonschema::Retrieve for LocalSchemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .path()
            .as_str()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let text = std::fs::read_to_string(self.0.join(&name))?;
        Ok(serde_json::from_str(&text)?)
    }
}

/// Asserts `alert` has Falco's `json_output` keys (what Falcosidekick and Falco pipelines read).
pub fn assert_falco_alert(alert: &Value) {
    for key in [
        "time",
        "rule",
        "priority",
        "output",
        "output_fields",
        "source",
        "tags",
        "hostname",
    ] {
        assert!(alert.get(key).is_some(), "{key} missing: {alert:#}");
    }
}
