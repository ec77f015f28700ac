use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Finding, Severity, Suppression};

/// Version of the JSON report format. A minor bump adds fields; a major bump changes or removes
/// them. See `docs/report-format.md`.
pub const SCHEMA_VERSION: &str = "1.0";

/// The tool that wrote a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    /// Always `bulwark`.
    pub name: String,
    /// The version of the binary.
    pub version: String,
}

/// A finding that a suppression silenced. It is kept in the report, never dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SuppressedFinding {
    /// The finding as it would have been reported.
    #[serde(flatten)]
    pub finding: Finding,
    /// Why it is not counted.
    pub suppression: Suppression,
}

/// Input that could not be used. Other inputs are still scanned.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct ScanError {
    /// The file, where there is one; `-` for stdin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// 1-based line of the problem, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column of the problem, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// What went wrong, including its cause.
    pub message: String,
}

/// Why an input was looked at but not scanned (or scanned only in part).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum NoteKind {
    /// A file that holds no Kubernetes objects (no `apiVersion`/`kind`).
    NotKubernetes,
    /// A Helm chart, which must be rendered before it can be scanned.
    HelmChart,
    /// A file skipped for its size.
    Skipped,
    /// A binary file, not scanned.
    Binary,
    /// Anything else worth telling the user.
    Other,
}

/// Something the user should know about how the input was read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct Note {
    /// What kind of note this is.
    pub kind: NoteKind,
    /// The file or directory it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The note itself.
    pub message: String,
}

/// Finding counts per severity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BySeverity {
    /// Critical findings.
    pub critical: usize,
    /// High findings.
    pub high: usize,
    /// Medium findings.
    pub medium: usize,
    /// Low findings.
    pub low: usize,
    /// Informational findings.
    pub info: usize,
}

impl BySeverity {
    /// Counts one finding of `severity`.
    pub fn add(&mut self, severity: Severity) {
        *self.get_mut(severity) += 1;
    }

    /// The count for `severity`.
    pub fn get(&self, severity: Severity) -> usize {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    fn get_mut(&mut self, severity: Severity) -> &mut usize {
        match severity {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        }
    }
}

/// Totals over the whole report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// Findings reported (after filters and suppressions).
    pub findings: usize,
    /// Reported findings per severity.
    pub by_severity: BySeverity,
    /// Findings silenced by a suppression (listed in `suppressed`).
    pub suppressed: usize,
    /// Inputs that could not be used (listed in `errors`).
    pub errors: usize,
    /// Kubernetes objects scanned.
    pub resources: usize,
    /// Files read.
    pub files: usize,
}

/// Everything one scan found. This is the versioned JSON contract of `bulwark scan --format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// Version of this format ([`SCHEMA_VERSION`]).
    pub schema_version: String,
    /// The tool that wrote the report.
    pub tool: Tool,
    /// Findings, sorted by file, object, line and check.
    pub findings: Vec<Finding>,
    /// Findings that suppressions silenced, in the same order.
    pub suppressed: Vec<SuppressedFinding>,
    /// Inputs that could not be used.
    pub errors: Vec<ScanError>,
    /// How inputs were read (skipped files, Helm charts).
    #[serde(default)]
    pub notes: Vec<Note>,
    /// The container images scanned: identity and package inventory.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<crate::ImageReport>,
    /// Totals.
    pub summary: Summary,
}

impl Report {
    /// An empty report written by `version` of the tool.
    pub fn new(version: &str) -> Self {
        Report {
            schema_version: SCHEMA_VERSION.to_string(),
            tool: Tool {
                name: "bulwark".to_string(),
                version: version.to_string(),
            },
            findings: Vec::new(),
            suppressed: Vec::new(),
            errors: Vec::new(),
            notes: Vec::new(),
            images: Vec::new(),
            summary: Summary::default(),
        }
    }

    /// Sorts every list into its canonical order and recomputes the finding, suppression and
    /// error counts of the summary (resource and file counts are the caller's to set).
    pub fn finalize(&mut self) {
        self.findings.sort_by(finding_order);
        self.suppressed
            .sort_by(|a, b| finding_order(&a.finding, &b.finding));
        self.errors.sort();
        self.errors.dedup();
        self.notes.sort();
        self.notes.dedup();
        let mut by = BySeverity::default();
        for f in &self.findings {
            by.add(f.severity);
        }
        self.summary.findings = self.findings.len();
        self.summary.by_severity = by;
        self.summary.suppressed = self.suppressed.len();
        self.summary.errors = self.errors.len();
    }

    /// The most severe reported finding, if any.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Canonical order: file, object, line, then most severe first, then id.
fn finding_order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    fn path(f: &Finding) -> Option<&str> {
        f.location.as_ref().map(|l| &*l.path)
    }
    fn line(f: &Finding) -> Option<u32> {
        f.location.as_ref().and_then(|l| l.line)
    }
    fn object(f: &Finding) -> Option<ResourceKey<'_>> {
        f.resource.as_ref().map(ResourceKey::from)
    }
    path(a)
        .cmp(&path(b))
        .then_with(|| object(a).cmp(&object(b)))
        .then_with(|| line(a).cmp(&line(b)))
        .then_with(|| b.severity.cmp(&a.severity))
        .then_with(|| a.id.cmp(&b.id))
        .then_with(|| a.fingerprint.cmp(&b.fingerprint))
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct ResourceKey<'a> {
    namespace: Option<&'a str>,
    kind: &'a str,
    name: &'a str,
}

impl<'a> From<&'a crate::ResourceRef> for ResourceKey<'a> {
    fn from(r: &'a crate::ResourceRef) -> Self {
        ResourceKey {
            namespace: r.namespace.as_deref(),
            kind: &r.kind,
            name: &r.name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Category, Location};

    fn finding(id: &str, sev: Severity, path: &str, line: u32) -> Finding {
        Finding {
            id: id.to_string().into(),
            check: None,
            category: Category::Misconfig,
            severity: sev,
            title: "t".into(),
            message: "m".into(),
            resource: None,
            location: Some(Location {
                path: path.into(),
                line: Some(line),
                column: None,
                field: None,
            }),
            standards: vec![],
            remediation: "".into(),
            fingerprint: format!("{id}{path}{line}"),
            secret: None,
            commits: Vec::new(),
            vulnerability: None,
        }
    }

    #[test]
    fn finalize_sorts_and_counts() {
        let mut r = Report::new("0.0.0");
        r.findings.push(finding("B", Severity::Low, "b.yaml", 1));
        r.findings.push(finding("A", Severity::High, "a.yaml", 9));
        r.findings
            .push(finding("C", Severity::Critical, "a.yaml", 2));
        r.finalize();
        let ids: Vec<_> = r.findings.iter().map(|f| &*f.id).collect();
        assert_eq!(ids, ["C", "A", "B"]);
        assert_eq!(r.summary.findings, 3);
        assert_eq!(r.summary.by_severity.get(Severity::Critical), 1);
        assert_eq!(r.summary.by_severity.get(Severity::Low), 1);
        assert_eq!(r.max_severity(), Some(Severity::Critical));
    }
}
