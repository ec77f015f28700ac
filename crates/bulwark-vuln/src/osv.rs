//! OSV records (<https://ossf.github.io/osv-schema/>) as they are read, and their reduction to
//! what matching needs.
//!
//! Reading is lenient where the data in the wild is (Go's vulndb writes `modified` as
//! `0001-01-01T00:00:00Z`; PyPA publishes YAML; unknown fields are ignored) and strict where a
//! wrong guess would produce wrong findings: a record without an `id`, or an `affected` entry
//! with neither a package nor ranges, is an error naming the file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The largest record accepted (osv.dev's largest records are a few MiB of Linux-kernel
/// version lists).
pub const MAX_RECORD_BYTES: usize = 32 << 20;

/// One OSV record as published.
#[derive(Debug, Clone, Deserialize)]
pub struct Record {
    /// `GHSA-…`, `GO-…`, `x_DEB12-…`.
    pub id: String,
    /// Last modification (RFC 3339).
    #[serde(default)]
    pub modified: Option<String>,
    /// First publication (RFC 3339).
    #[serde(default)]
    pub published: Option<String>,
    /// Set when the record was withdrawn: it must not produce findings.
    #[serde(default)]
    pub withdrawn: Option<String>,
    /// Other ids of the same vulnerability.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Related but different vulnerabilities (kept out of alias merging on purpose).
    #[serde(default)]
    pub related: Vec<String>,
    /// One-line summary.
    #[serde(default)]
    pub summary: Option<String>,
    /// Long description (Markdown).
    #[serde(default)]
    pub details: Option<String>,
    /// Record-level severities (CVSS vectors, `Ubuntu` ratings).
    #[serde(default)]
    pub severity: Vec<SeverityEntry>,
    /// The affected packages.
    #[serde(default)]
    pub affected: Vec<Affected>,
    /// Reference links.
    #[serde(default)]
    pub references: Vec<Reference>,
    /// Source-specific data.
    #[serde(default)]
    pub database_specific: Option<Value>,
}

/// A `severity` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityEntry {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The vector (or rating, for `Ubuntu`).
    #[serde(default)]
    pub score: String,
}

/// A reference link.
#[derive(Debug, Clone, Deserialize)]
pub struct Reference {
    /// `ADVISORY`, `FIX`, `WEB` …
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The URL.
    #[serde(default)]
    pub url: String,
}

/// One `affected` entry.
#[derive(Debug, Clone, Deserialize)]
pub struct Affected {
    /// The package.
    #[serde(default)]
    pub package: Option<PackageRef>,
    /// Per-package severities.
    #[serde(default)]
    pub severity: Vec<SeverityEntry>,
    /// Version ranges.
    #[serde(default)]
    pub ranges: Vec<Range>,
    /// Explicit affected versions.
    #[serde(default)]
    pub versions: Vec<String>,
    /// Ecosystem-specific data (Debian urgency, Go symbols).
    #[serde(default)]
    pub ecosystem_specific: Option<Value>,
    /// Source-specific data.
    #[serde(default)]
    pub database_specific: Option<Value>,
}

/// `affected[].package`.
#[derive(Debug, Clone, Deserialize)]
pub struct PackageRef {
    /// `Debian:12`, `PyPI`, `Go` …
    #[serde(default)]
    pub ecosystem: String,
    /// The package name in that ecosystem.
    #[serde(default)]
    pub name: String,
    /// A package URL, when given.
    #[serde(default)]
    pub purl: Option<String>,
}

/// A version range.
#[derive(Debug, Clone, Deserialize)]
pub struct Range {
    /// `ECOSYSTEM`, `SEMVER` or `GIT`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The events, as maps with one key.
    #[serde(default)]
    pub events: Vec<BTreeMap<String, Value>>,
}

/// How a range orders versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RangeKind {
    /// The package ecosystem's own ordering.
    Ecosystem,
    /// Semantic Versioning 2.0.0.
    Semver,
}

/// One range event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Affected from this version on (`0`: from the first version).
    Introduced(String),
    /// Not affected from this version on.
    Fixed(String),
    /// Affected up to and including this version.
    LastAffected(String),
    /// Versions at or above this one are outside the range.
    Limit(String),
}

impl Event {
    /// The version the event names.
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

/// A range reduced for matching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRange {
    /// How versions are ordered.
    pub kind: RangeKind,
    /// The events in the record's order.
    pub events: Vec<Event>,
}

/// What the database keeps of one `affected` entry: everything matching and reporting needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAffected {
    /// The advisory id.
    pub advisory: String,
    /// Ranges of type `ECOSYSTEM` or `SEMVER`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<StoredRange>,
    /// Explicit affected versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// A distribution's decision not to fix (or that the package is not affected), from
    /// `ecosystem_specific`/`database_specific`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<VendorStatus>,
    /// The distribution's urgency or priority (`debian: high`, `ubuntu: medium`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_severity: Option<String>,
    /// Per-package CVSS vectors, when the record gives them there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<SeverityEntry>,
}

/// A distribution's own status for an unfixed package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VendorStatus {
    /// The distribution will not fix it.
    WillNotFix,
    /// The distribution says this package is not affected.
    NotAffected,
}

/// What the database keeps of a record besides its `affected` entries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAdvisory {
    /// The id.
    pub id: String,
    /// Aliases.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Summary, or the first line of the details when there is none (at most 300 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Record-level severities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<SeverityEntry>,
    /// Reference URLs, advisories first, at most ten.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// First publication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Last modification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// RustSec's `informational` kind (`unmaintained`, `unsound`, `notice`): a record that is
    /// not a vulnerability. Kept, never reported as a vulnerability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub informational: Option<String>,
}

/// A record reduced for the database: the advisory, its package entries keyed by
/// (ecosystem, normalised name), and what was left out.
#[derive(Debug, Clone)]
pub struct Reduced {
    /// The advisory.
    pub advisory: StoredAdvisory,
    /// `(ecosystem, normalised package name, entry)` for every usable `affected` entry.
    pub affected: Vec<(String, String, StoredAffected)>,
    /// `GIT` ranges left out (matching is by package version, never by commit).
    pub git_ranges: usize,
    /// `affected` entries left out: no package, an unknown ecosystem, or nothing to match on.
    pub skipped_entries: usize,
    /// Whether the record is withdrawn (it is then not stored at all).
    pub withdrawn: bool,
}

/// Why a record could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The bytes are not a JSON (or YAML) OSV record; the message has the line and column.
    #[error("not an OSV record: {0}")]
    Syntax(String),
    /// The record is larger than [`MAX_RECORD_BYTES`].
    #[error("record of {0} bytes is over the {MAX_RECORD_BYTES}-byte limit")]
    TooLarge(usize),
    /// The record has no `id`.
    #[error("record has no id")]
    NoId,
}

/// Parses a JSON record.
pub fn parse_json(data: &[u8]) -> Result<Record, RecordError> {
    if data.len() > MAX_RECORD_BYTES {
        return Err(RecordError::TooLarge(data.len()));
    }
    let record: Record = serde_json::from_slice(data).map_err(|e| {
        RecordError::Syntax(format!("line {} column {}: {e}", e.line(), e.column()))
    })?;
    check(record)
}

/// Parses a YAML record (PyPA's advisory database publishes YAML).
pub fn parse_yaml(data: &[u8]) -> Result<Record, RecordError> {
    if data.len() > MAX_RECORD_BYTES {
        return Err(RecordError::TooLarge(data.len()));
    }
    let text =
        std::str::from_utf8(data).map_err(|e| RecordError::Syntax(format!("not UTF-8: {e}")))?;
    let mut docs = bulwark_yaml::parse_yaml(text, &bulwark_yaml::Limits::default());
    if docs.len() != 1 {
        return Err(RecordError::Syntax(format!(
            "expected one YAML document, found {}",
            docs.len()
        )));
    }
    let Some(doc) = docs.pop() else {
        return Err(RecordError::Syntax("no YAML document".to_owned()));
    };
    let node = doc.map_err(|e| RecordError::Syntax(e.to_string()))?;
    let record: Record =
        serde_json::from_value(node.to_json()).map_err(|e| RecordError::Syntax(e.to_string()))?;
    check(record)
}

fn check(record: Record) -> Result<Record, RecordError> {
    if record.id.trim().is_empty() {
        return Err(RecordError::NoId);
    }
    Ok(record)
}

/// The canonical form of an OSV ecosystem string: trimmed, and Ubuntu's `:LTS` suffix dropped
/// (`Ubuntu:22.04:LTS` and `Ubuntu:22.04` are the same release).
pub fn canonical_ecosystem(ecosystem: &str) -> String {
    let e = ecosystem.trim();
    e.strip_suffix(":LTS").unwrap_or(e).to_owned()
}

/// A package name as the database keys it: PyPI names PEP 503-normalised; NuGet, Packagist
/// and Maven names lowercased (their registries are case-insensitive); others as written.
pub fn normalise_name(ecosystem: &str, name: &str) -> String {
    let base = ecosystem.split(':').next().unwrap_or(ecosystem);
    match base {
        "PyPI" => {
            let mut out = String::with_capacity(name.len());
            let mut sep = false;
            for c in name.trim().chars() {
                if matches!(c, '-' | '_' | '.') {
                    sep = true;
                } else {
                    if sep && !out.is_empty() {
                        out.push('-');
                    }
                    sep = false;
                    out.push(c.to_ascii_lowercase());
                }
            }
            out
        }
        "NuGet" | "Packagist" | "Maven" => name.trim().to_ascii_lowercase(),
        _ => name.trim().to_owned(),
    }
}

/// Reduces a record for the database.
pub fn reduce(record: &Record) -> Reduced {
    let mut reduced = Reduced {
        advisory: StoredAdvisory {
            id: record.id.trim().to_owned(),
            aliases: record
                .aliases
                .iter()
                .map(|a| a.trim().to_owned())
                .filter(|a| !a.is_empty() && a != record.id.trim())
                .collect(),
            summary: summary(record),
            severity: record.severity.clone(),
            references: references(record),
            published: record.published.clone().filter(|d| !d.starts_with("0001-")),
            modified: record.modified.clone().filter(|d| !d.starts_with("0001-")),
            informational: record
                .database_specific
                .as_ref()
                .and_then(|d| d.get("informational"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        },
        affected: Vec::new(),
        git_ranges: 0,
        skipped_entries: 0,
        withdrawn: record.withdrawn.is_some(),
    };
    for affected in &record.affected {
        let Some(package) = affected
            .package
            .as_ref()
            .filter(|p| !p.name.trim().is_empty())
        else {
            reduced.skipped_entries += 1;
            continue;
        };
        let ecosystem = canonical_ecosystem(&package.ecosystem);
        if crate::version::Scheme::for_ecosystem(&ecosystem).is_none() {
            reduced.skipped_entries += 1;
            continue;
        }
        let mut ranges = Vec::new();
        for range in &affected.ranges {
            let kind = match range.kind.as_str() {
                "ECOSYSTEM" => RangeKind::Ecosystem,
                "SEMVER" => RangeKind::Semver,
                _ => {
                    reduced.git_ranges += 1;
                    continue;
                }
            };
            let events: Vec<Event> = range.events.iter().filter_map(event).collect();
            if !events.is_empty() {
                ranges.push(StoredRange { kind, events });
            }
        }
        let versions: Vec<String> = affected
            .versions
            .iter()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect();
        let status = vendor_status(affected);
        if ranges.is_empty() && versions.is_empty() && status.is_none() {
            reduced.skipped_entries += 1;
            continue;
        }
        let name = normalise_name(&ecosystem, &package.name);
        reduced.affected.push((
            ecosystem.clone(),
            name,
            StoredAffected {
                advisory: reduced.advisory.id.clone(),
                ranges,
                versions,
                status,
                vendor_severity: vendor_severity(&ecosystem, affected, record),
                severity: affected.severity.clone(),
            },
        ));
    }
    reduced
}

fn event(map: &BTreeMap<String, Value>) -> Option<Event> {
    let (key, value) = map.iter().next()?;
    let v = value.as_str()?.trim().to_owned();
    if v.is_empty() {
        return None;
    }
    Some(match key.as_str() {
        "introduced" => Event::Introduced(v),
        "fixed" => Event::Fixed(v),
        "last_affected" => Event::LastAffected(v),
        "limit" => Event::Limit(v),
        _ => return None,
    })
}

fn summary(record: &Record) -> Option<String> {
    let text = record
        .summary
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            record
                .details
                .as_deref()
                .and_then(|d| d.lines().find(|l| !l.trim().is_empty()))
        })?
        .trim();
    let mut end = text.len().min(300);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Some(text[..end].to_owned())
}

fn references(record: &Record) -> Vec<String> {
    let mut refs: Vec<&Reference> = record
        .references
        .iter()
        .filter(|r| r.url.starts_with("http"))
        .collect();
    refs.sort_by_key(|r| u8::from(r.kind != "ADVISORY"));
    let mut out: Vec<String> = Vec::new();
    for r in refs {
        if !out.contains(&r.url) {
            out.push(r.url.clone());
        }
        if out.len() == 10 {
            break;
        }
    }
    out
}

/// The status fields sources use for "won't fix" and "not affected", read from
/// `ecosystem_specific` and `database_specific` (`status`, `fix_state`, `resolution`).
fn vendor_status(affected: &Affected) -> Option<VendorStatus> {
    for data in [&affected.ecosystem_specific, &affected.database_specific]
        .into_iter()
        .flatten()
    {
        for key in ["status", "fix_state", "resolution", "state"] {
            let Some(value) = data.get(key).and_then(Value::as_str) else {
                continue;
            };
            let v = value
                .trim()
                .to_ascii_lowercase()
                .replace(['-', ' ', '\''], "_");
            match v.as_str() {
                "will_not_fix"
                | "wont_fix"
                | "won_t_fix"
                | "ignored"
                | "no_dsa"
                | "deferred"
                | "out_of_support_scope"
                | "end_of_life"
                | "fix_deferred" => {
                    return Some(VendorStatus::WillNotFix);
                }
                "not_affected" | "not_vulnerable" | "unaffected" => {
                    return Some(VendorStatus::NotAffected);
                }
                _ => {}
            }
        }
    }
    None
}

/// The distribution's own rating: Debian's `urgency` (`ecosystem_specific`), Ubuntu's
/// `Ubuntu` severity entry, or a `severity` string in `database_specific` (GHSA, Alpine).
fn vendor_severity(ecosystem: &str, affected: &Affected, record: &Record) -> Option<String> {
    let vendor = ecosystem
        .split(':')
        .next()
        .unwrap_or(ecosystem)
        .to_ascii_lowercase();
    for data in [&affected.ecosystem_specific, &affected.database_specific]
        .into_iter()
        .flatten()
    {
        for key in ["urgency", "severity", "priority"] {
            if let Some(v) = data.get(key).and_then(Value::as_str) {
                let v = v.trim();
                if !v.is_empty() {
                    return Some(format!("{vendor}: {}", v.to_ascii_lowercase()));
                }
            }
        }
    }
    for s in affected.severity.iter().chain(&record.severity) {
        if !s.kind.starts_with("CVSS") && !s.score.trim().is_empty() {
            return Some(format!(
                "{}: {}",
                s.kind.to_ascii_lowercase(),
                s.score.trim().to_ascii_lowercase()
            ));
        }
    }
    if let Some(v) = record
        .database_specific
        .as_ref()
        .and_then(|d| d.get("severity"))
        .and_then(Value::as_str)
    {
        let source = record
            .id
            .split('-')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        return Some(format!("{source}: {}", v.trim().to_ascii_lowercase()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduces_a_debian_record() {
        let data = br#"{"id":"x_DEB12-CVE-2023-1-perl","aliases":["CVE-2023-1"],
            "affected":[{"package":{"ecosystem":"Debian:12","name":"perl"},
              "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"5.36.0-7+deb12u1"}]}],
              "ecosystem_specific":{"urgency":"high"}}],
            "references":[{"type":"WEB","url":"https://a"},{"type":"ADVISORY","url":"https://b"}]}"#;
        let r = reduce(&parse_json(data).unwrap());
        assert_eq!(r.affected.len(), 1);
        let (eco, name, entry) = &r.affected[0];
        assert_eq!((eco.as_str(), name.as_str()), ("Debian:12", "perl"));
        assert_eq!(
            entry.ranges[0].events,
            vec![
                Event::Introduced("0".into()),
                Event::Fixed("5.36.0-7+deb12u1".into())
            ]
        );
        assert_eq!(entry.vendor_severity.as_deref(), Some("debian: high"));
        assert_eq!(r.advisory.references, vec!["https://b", "https://a"]);
    }

    #[test]
    fn git_ranges_are_counted_not_kept() {
        let data = br#"{"id":"X-1","affected":[{"package":{"ecosystem":"PyPI","name":"Foo_Bar"},
            "ranges":[{"type":"GIT","repo":"r","events":[{"introduced":"abc"}]},
                      {"type":"ECOSYSTEM","events":[{"introduced":"1.0"},{"last_affected":"1.2"}]}]}]}"#;
        let r = reduce(&parse_json(data).unwrap());
        assert_eq!(r.git_ranges, 1);
        assert_eq!(r.affected[0].1, "foo-bar");
        assert_eq!(r.affected[0].2.ranges.len(), 1);
    }

    #[test]
    fn unknown_ecosystems_and_empty_entries_are_skipped() {
        let data = br#"{"id":"X-1","affected":[{"package":{"ecosystem":"Nowhere","name":"a"},
            "versions":["1"]},{"package":{"ecosystem":"npm","name":"b"}}]}"#;
        let r = reduce(&parse_json(data).unwrap());
        assert!(r.affected.is_empty());
        assert_eq!(r.skipped_entries, 2);
    }

    #[test]
    fn will_not_fix_is_read() {
        let data = br#"{"id":"X-1","affected":[{"package":{"ecosystem":"Debian:12","name":"a"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}],
            "database_specific":{"status":"no-dsa"}}]}"#;
        let r = reduce(&parse_json(data).unwrap());
        assert_eq!(r.affected[0].2.status, Some(VendorStatus::WillNotFix));
    }

    #[test]
    fn bad_records_are_errors() {
        assert!(matches!(parse_json(b"{"), Err(RecordError::Syntax(_))));
        assert!(matches!(
            parse_json(br#"{"id":" "}"#),
            Err(RecordError::NoId)
        ));
        assert!(matches!(
            parse_json(br#"{"id":"a","affected":"x"}"#),
            Err(RecordError::Syntax(_))
        ));
        assert!(parse_yaml(b"id: PYSEC-1\naffected: []\n").is_ok());
        assert!(matches!(parse_yaml(b"a: [\n"), Err(RecordError::Syntax(_))));
    }

    #[test]
    fn pep503_names() {
        assert_eq!(normalise_name("PyPI", "Jinja2"), "jinja2");
        assert_eq!(
            normalise_name("PyPI", "zope.interface__x"),
            "zope-interface-x"
        );
        assert_eq!(normalise_name("Go", "github.com/A/b"), "github.com/A/b");
        assert_eq!(canonical_ecosystem("Ubuntu:22.04:LTS"), "Ubuntu:22.04");
    }
}
