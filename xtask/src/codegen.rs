//! Generated files: check documentation and the JSON Schema of the report.
//!
//! The files are committed. `cargo xtask codegen` rewrites them; `--check` (and the test below,
//! which `cargo test` runs) fails when a committed file differs from what the code generates.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

/// Every generated file and its content.
pub fn generated(root: &Path) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let mut files = Vec::new();
    let checks = root.join("docs/checks");
    files.push((
        checks.join("README.md"),
        bulwark_checks::docs::index_markdown(),
    ));
    for c in bulwark_checks::all() {
        let m = c.meta();
        files.push((
            checks.join(format!("{}.md", m.id)),
            bulwark_checks::docs::markdown(m),
        ));
    }
    let schema = schemars::schema_for!(bulwark_model::Report);
    let mut json = serde_json::to_string_pretty(&schema).context("serialising the schema")?;
    json.push('\n');
    files.push((root.join("docs/report.schema.json"), json));
    Ok(files)
}

/// Writes the generated files, or with `check` fails listing the stale ones.
pub fn run(root: &Path, check: bool) -> anyhow::Result<()> {
    let files = generated(root)?;
    let mut stale = Vec::new();
    for (path, content) in &files {
        let current = std::fs::read_to_string(path).unwrap_or_default();
        if current != *content {
            if check {
                stale.push(
                    path.strip_prefix(root)
                        .unwrap_or(path)
                        .display()
                        .to_string(),
                );
            } else {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                std::fs::write(path, content)
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!("xtask: wrote {}", path.display());
            }
        }
    }
    // Pages of checks that no longer exist are stale too.
    let expected: Vec<&PathBuf> = files.iter().map(|(p, _)| p).collect();
    for entry in std::fs::read_dir(root.join("docs/checks")).context("reading docs/checks")? {
        let path = entry.context("reading docs/checks")?.path();
        if !expected.contains(&&path) {
            if check {
                stale.push(format!("{} (no such check)", path.display()));
            } else {
                std::fs::remove_file(&path)
                    .with_context(|| format!("removing {}", path.display()))?;
            }
        }
    }
    if !stale.is_empty() {
        bail!(
            "generated files are stale: {}\nrun `cargo xtask codegen` and commit the result",
            stale.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_files_are_current() {
        super::run(&crate::project_root(), true).expect("generated files are current");
    }
}
