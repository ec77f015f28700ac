//! The human-readable table: findings grouped by file and resource, with a summary line.

use std::io::{self, Write};

use bulwark_model::{Finding, Report, ResourceRef, Severity};

/// How the table is drawn.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableStyle {
    /// Use ANSI colours.
    pub color: bool,
}

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Critical => "1;35",
            Severity::High => "1;31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.wrap(code, &format!("{:<8}", s.label()))
    }
}

/// Writes findings grouped by file, then by resource, then the errors, notes and summary.
pub fn render_table(report: &Report, style: TableStyle, w: &mut dyn Write) -> io::Result<()> {
    let p = Paint { on: style.color };
    let mut current_path: Option<&str> = None;
    let mut current_resource: Option<ResourceRef> = None;
    for f in &report.findings {
        let path = f.location.as_ref().map_or("", |l| &*l.path);
        if current_path != Some(path) {
            if current_path.is_some() {
                writeln!(w)?;
            }
            writeln!(w, "{}", p.wrap("1;4", path))?;
            current_path = Some(path);
            current_resource = None;
        }
        let resource = f.resource.as_ref().map(ResourceRef::without_container);
        if resource != current_resource {
            let header = resource
                .as_ref()
                .map_or_else(|| "(no resource)".to_string(), ToString::to_string);
            writeln!(w, "  {}", p.wrap("1", &header))?;
            current_resource = resource;
        }
        write_finding(&p, f, w)?;
    }
    if !report.findings.is_empty() {
        writeln!(w)?;
    }
    for image in &report.images {
        let mut by_cataloger: std::collections::BTreeMap<&str, usize> =
            std::collections::BTreeMap::new();
        for pkg in &image.packages {
            *by_cataloger.entry(pkg.cataloger.as_str()).or_default() += 1;
        }
        let counts = by_cataloger
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let id = image
            .id
            .as_deref()
            .map_or("no id", |d| d.get(..19).unwrap_or(d));
        let reference = image
            .reference
            .as_deref()
            .map(|r| format!("{r}, "))
            .unwrap_or_default();
        writeln!(
            w,
            "{} {} ({reference}{id}, {}): {} layers, {} packages{}",
            p.wrap("1", "Image"),
            image.name,
            image.platform,
            image.layers.len(),
            image.packages.len(),
            if counts.is_empty() {
                String::new()
            } else {
                format!(" ({counts})")
            }
        )?;
    }
    if !report.images.is_empty() {
        writeln!(w)?;
    }
    if !report.errors.is_empty() {
        writeln!(w, "{}", p.wrap("1;31", "Errors:"))?;
        for e in &report.errors {
            let place = match (&e.path, e.line, e.column) {
                (Some(path), Some(l), Some(c)) => format!("{path}:{l}:{c}: "),
                (Some(path), Some(l), None) => format!("{path}:{l}: "),
                (Some(path), None, _) => format!("{path}: "),
                (None, ..) => String::new(),
            };
            writeln!(w, "  {place}{}", e.message)?;
        }
        writeln!(w)?;
    }
    writeln!(w, "{}", p.wrap("1", &crate::summary_line(report)))
}

fn write_finding(p: &Paint, f: &Finding, w: &mut dyn Write) -> io::Result<()> {
    // `:line`, or for findings without one (an image's config) the field they are about.
    let line = f
        .location
        .as_ref()
        .and_then(|l| match (l.line, &l.field) {
            (Some(n), _) => Some(format!(":{n}")),
            (None, Some(field)) => Some(format!(" {field}")),
            (None, None) => None,
        })
        .unwrap_or_default();
    let name = f.check.as_deref().unwrap_or("");
    writeln!(
        w,
        "    {} {} {}{}  {}",
        p.severity(f.severity),
        p.wrap("1", &f.id),
        p.wrap("2", name),
        p.wrap("2", &line),
        f.message
    )?;
    if let Some(first) = f.commits.first() {
        let short = first.commit.get(..12).unwrap_or(&first.commit);
        let date = first
            .date
            .as_deref()
            .and_then(|d| d.get(..10))
            .map(|d| format!(", {d}"))
            .unwrap_or_default();
        let more = match f.commits.len() - 1 {
            0 => String::new(),
            1 => " and 1 more commit".to_string(),
            n => format!(" and {n} more commits"),
        };
        let text = format!("added in commit {short} ({}{date}){more}", first.path);
        writeln!(w, "      {}", p.wrap("2", &text))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulwark_model::{Category, Location};

    fn finding(path: &str, name: &str, container: Option<&str>, sev: Severity) -> Finding {
        Finding {
            id: "K8S005".into(),
            check: Some("privileged-container".into()),
            category: Category::Misconfig,
            severity: sev,
            title: "t".into(),
            message: format!("msg {name}"),
            resource: Some(ResourceRef {
                api_version: "v1".into(),
                kind: "Pod".into(),
                namespace: Some("ns".into()),
                name: name.into(),
                container: container.map(Into::into),
            }),
            location: Some(Location {
                path: path.into(),
                line: Some(3),
                column: None,
                field: None,
            }),
            standards: vec![],
            remediation: "".into(),
            fingerprint: name.into(),
            secret: None,
            commits: Vec::new(),
            vulnerability: None,
        }
    }

    #[test]
    fn groups_by_file_and_resource_without_colour() {
        let mut r = Report::new("0");
        r.findings = vec![
            finding("a.yaml", "web", Some("c1"), Severity::High),
            finding("a.yaml", "web", Some("c2"), Severity::Low),
            finding("b.yaml", "db", None, Severity::Critical),
        ];
        r.finalize();
        let mut out = Vec::new();
        render_table(&r, TableStyle { color: false }, &mut out).expect("render");
        let text = String::from_utf8(out).expect("utf8");
        assert!(!text.contains('\x1b'), "no colour codes");
        assert_eq!(text.matches("Pod ns/web").count(), 1, "{text}");
        assert!(text.contains("a.yaml\n  Pod ns/web\n    HIGH"), "{text}");
        assert!(text.contains("b.yaml\n  Pod ns/db\n    CRITICAL"), "{text}");
        assert!(text.trim_end().ends_with("3 findings (1 critical, 1 high, 1 low); 0 suppressed; 0 errors; 0 resources in 0 files"), "{text}");
        let mut out = Vec::new();
        render_table(&r, TableStyle { color: true }, &mut out).expect("render");
        assert!(
            String::from_utf8(out)
                .expect("utf8")
                .contains("\x1b[1;31mHIGH")
        );
    }
}
