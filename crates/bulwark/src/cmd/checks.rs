//! `bulwark checks [ID]`: list every check, or explain one.

use std::fmt::Write as _;

use anyhow::bail;
use bulwark_checks::{CheckMeta, all, docs, find};
use bulwark_model::AnalysisCheck;
use serde_json::json;

use crate::cli::{ChecksArgs, ChecksFormat};
use crate::output::write_stdout;

pub fn run(args: &ChecksArgs) -> anyhow::Result<u8> {
    let text = match &args.id {
        None => match args.format {
            ChecksFormat::Table => list_table(),
            ChecksFormat::Json => {
                let all: Vec<_> = all()
                    .iter()
                    .map(|c| meta_json(&c.meta().into()))
                    .chain(crate::analyses::checks().map(|m| meta_json(&m.into())))
                    .collect();
                serde_json::to_string_pretty(&all)? + "\n"
            }
            ChecksFormat::Markdown => docs::index_markdown(),
        },
        Some(id) => {
            let Some(check) = find(id) else {
                if let Some((rid, name, why)) = bulwark_checks::retired(id) {
                    println!("{rid} {name} is retired: {why}. Retired ids are never reused.");
                    return Ok(0);
                }
                if let Some(m) = crate::analyses::find(id) {
                    let text = match args.format {
                        ChecksFormat::Table => explain(&m.into()),
                        ChecksFormat::Json => {
                            serde_json::to_string_pretty(&meta_json(&m.into()))? + "\n"
                        }
                        ChecksFormat::Markdown => m.markdown(),
                    };
                    write_stdout(|w| w.write_all(text.as_bytes()))?;
                    return Ok(0);
                }
                if let Some(m) = bulwark_image::checks::all()
                    .chain(bulwark_image::dockerfile::all())
                    .find(|m| m.id.eq_ignore_ascii_case(id) || m.name == id)
                {
                    let text = format!(
                        "{} {}: {}\nSeverity:  {}\nApplies to: {}\n\nWHAT IT DOES\n  {}\n\nWHY IT MATTERS\n  {}\n\nFIX\n  {}\n",
                        m.id,
                        m.name,
                        m.title,
                        m.severity.label(),
                        if m.id.starts_with("DF") {
                            "Dockerfiles"
                        } else {
                            "container images"
                        },
                        unmark(m.what),
                        unmark(m.why),
                        unmark(m.fix)
                    );
                    write_stdout(|w| w.write_all(text.as_bytes()))?;
                    return Ok(0);
                }
                bail!("no check is called {id:?}; `bulwark checks` lists them all");
            };
            let m = check.meta();
            match args.format {
                ChecksFormat::Table => explain(&m.into()),
                ChecksFormat::Json => serde_json::to_string_pretty(&meta_json(&m.into()))? + "\n",
                ChecksFormat::Markdown => docs::markdown(m),
            }
        }
    };
    write_stdout(|w| w.write_all(text.as_bytes()))?;
    Ok(0)
}

fn list_table() -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<7} {:<9} {:<36} {:<52} STANDARDS",
        "ID", "SEVERITY", "NAME", "TITLE"
    );
    for c in all() {
        let m = c.meta();
        let _ = writeln!(
            s,
            "{:<7} {:<9} {:<36} {:<52} {}",
            m.id,
            m.severity.label(),
            m.name,
            m.title,
            m.standards.join(", ")
        );
    }
    for m in bulwark_image::checks::all().chain(bulwark_image::dockerfile::all()) {
        let _ = writeln!(
            s,
            "{:<7} {:<9} {:<36} {:<52} nsa-cisa/image-security",
            m.id,
            m.severity.label(),
            m.name,
            m.title,
        );
    }
    for m in crate::analyses::checks() {
        let _ = writeln!(
            s,
            "{:<7} {:<9} {:<36} {:<52} {}",
            m.id,
            m.severity.label(),
            m.name,
            m.title,
            m.standards.join(", ")
        );
    }
    let _ = writeln!(
        s,
        "\n{} checks. `bulwark checks ID` explains one.",
        all().len()
            + bulwark_image::checks::all().count()
            + bulwark_image::dockerfile::all().count()
            + crate::analyses::checks().count()
    );
    s
}

fn unmark(text: &str) -> String {
    text.replace('`', "")
}

fn indent(yaml: &str) -> String {
    yaml.lines().map(|l| format!("    {l}\n")).collect()
}

/// What `checks ID` shows of a check: the fields per-object and cluster-analysis checks share.
struct Doc<'a> {
    id: &'a str,
    name: &'a str,
    title: &'a str,
    severity: bulwark_model::Severity,
    category: bulwark_model::Category,
    standards: &'a [&'a str],
    what: &'a str,
    why: &'a str,
    example: &'a str,
    fix: &'a str,
    fixed_example: &'a str,
    /// Only per-object checks compare themselves with other scanners.
    peers: Option<&'a str>,
    references: &'a [&'a str],
}

impl<'a> From<&'a CheckMeta> for Doc<'a> {
    fn from(m: &'a CheckMeta) -> Self {
        Doc {
            id: m.id,
            name: m.name,
            title: m.title,
            severity: m.severity,
            category: m.category,
            standards: m.standards,
            what: m.what,
            why: m.why,
            example: m.example,
            fix: m.fix,
            fixed_example: m.fixed_example,
            peers: Some(m.peers),
            references: m.references,
        }
    }
}

impl<'a> From<&'a AnalysisCheck> for Doc<'a> {
    fn from(m: &'a AnalysisCheck) -> Self {
        Doc {
            id: m.id,
            name: m.name,
            title: m.title,
            severity: m.severity,
            category: m.category,
            standards: m.standards,
            what: m.what,
            why: m.why,
            example: m.example,
            fix: m.fix,
            fixed_example: m.fixed_example,
            peers: None,
            references: m.references,
        }
    }
}

/// Plain-text explanation: the documentation page without Markdown decoration.
fn explain(m: &Doc<'_>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{} {}: {}", m.id, m.name, m.title);
    let _ = writeln!(s, "Severity:  {}", m.severity.label());
    let _ = writeln!(s, "Category:  {}", m.category);
    let _ = writeln!(s, "Standards: {}\n", m.standards.join(", "));
    let _ = writeln!(s, "WHAT IT DOES\n  {}\n", unmark(m.what));
    let _ = writeln!(s, "WHY IT MATTERS\n  {}\n", unmark(m.why));
    let _ = writeln!(s, "EXAMPLE (fails)\n{}", indent(m.example));
    let _ = writeln!(s, "FIX\n  {}\n", unmark(m.fix));
    let _ = writeln!(s, "FIXED EXAMPLE (passes)\n{}", indent(m.fixed_example));
    if let Some(peers) = m.peers {
        let _ = writeln!(s, "OTHER SCANNERS\n  {}\n", unmark(peers));
    }
    let _ = writeln!(s, "REFERENCES");
    for r in m.references {
        let _ = writeln!(s, "  {r}");
    }
    s
}

fn meta_json(m: &Doc<'_>) -> serde_json::Value {
    let mut v = json!({
        "id": m.id,
        "name": m.name,
        "title": m.title,
        "severity": m.severity,
        "category": m.category,
        "standards": m.standards,
        "what": m.what,
        "why": m.why,
        "example": m.example,
        "fix": m.fix,
        "fixed_example": m.fixed_example,
    });
    if let Some(peers) = m.peers {
        v["peers"] = json!(peers);
    }
    v["references"] = json!(m.references);
    v
}
