//! SARIF 2.1.0, as GitHub code scanning and other SARIF consumers read it.

use std::collections::BTreeMap;
use std::io::{self, Write};

use bulwark_model::{Finding, Report, Severity, SuppressionSource};
use serde_json::{Value, json};

/// What SARIF needs to know about a rule (a check): its `tool.driver.rules[]` entry.
#[derive(Debug, Clone)]
pub struct RuleInfo {
    /// Stable id (`K8S005`).
    pub id: String,
    /// Slug (`privileged-container`).
    pub name: String,
    /// One-line title.
    pub title: String,
    /// Full description (plain text or Markdown).
    pub description: String,
    /// Help text in Markdown: what, why, fix.
    pub help_markdown: String,
    /// Link to the rule's documentation.
    pub help_uri: String,
    /// The rule's severity.
    pub severity: Severity,
    /// Standards references, emitted as tags.
    pub standards: Vec<String>,
}

const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Writes the report as a SARIF 2.1.0 log with one run. `rules` describes every rule a finding
/// may refer to; findings whose id has no rule get a minimal rule built from the finding.
/// Suppressed findings are included with a SARIF `suppressions` entry, and input errors become
/// tool execution notifications.
pub fn render_sarif(report: &Report, rules: &[RuleInfo], w: &mut dyn Write) -> io::Result<()> {
    let log = sarif_log(report, rules);
    serde_json::to_writer_pretty(&mut *w, &log).map_err(io::Error::from)?;
    w.write_all(b"\n")
}

fn sarif_log(report: &Report, rules: &[RuleInfo]) -> Value {
    // Only rules that results refer to, plus every known rule: GitHub shows rule help for
    // all of them, and a stable rule list keeps ruleIndex stable across runs.
    let mut by_id: BTreeMap<String, RuleInfo> =
        rules.iter().map(|r| (r.id.clone(), r.clone())).collect();
    let all_findings = report
        .findings
        .iter()
        .chain(report.suppressed.iter().map(|s| &s.finding));
    for f in all_findings {
        by_id.entry(f.id.to_string()).or_insert_with(|| RuleInfo {
            id: f.id.to_string(),
            name: f.check.as_deref().unwrap_or(&*f.id).to_string(),
            title: f.title.to_string(),
            description: f.title.to_string(),
            help_markdown: f.remediation.to_string(),
            help_uri: String::new(),
            severity: f.severity,
            standards: f.standards.iter().map(ToString::to_string).collect(),
        });
    }
    let index: BTreeMap<&str, usize> = by_id
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let sarif_rules: Vec<Value> = by_id.values().map(rule_json).collect();

    let mut results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result_json(f, index[&*f.id], None))
        .collect();
    results.extend(report.suppressed.iter().map(|s| {
        let kind = match s.suppression.source {
            SuppressionSource::Annotation => "inSource",
            SuppressionSource::Config
            | SuppressionSource::Baseline
            | SuppressionSource::Vex
            | SuppressionSource::IgnoreFile => "external",
        };
        let mut sup = json!({"kind": kind, "status": "accepted"});
        if let Some(reason) = &s.suppression.reason {
            sup["justification"] = json!(reason);
        }
        sup["properties"] = json!({"origin": s.suppression.origin});
        result_json(&s.finding, index[&*s.finding.id], Some(sup))
    }));

    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            let mut n = json!({
                "level": "error",
                "message": {"text": e.message},
            });
            if let Some(path) = &e.path {
                let mut phys = json!({"artifactLocation": artifact(path)});
                if let Some(line) = e.line.filter(|l| *l > 0) {
                    phys["region"] = json!({"startLine": line});
                    if let Some(col) = e.column.filter(|c| *c > 0) {
                        phys["region"]["startColumn"] = json!(col);
                    }
                }
                n["locations"] = json!([{"physicalLocation": phys}]);
            }
            n
        })
        .collect();

    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "bulwark",
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "informationUri": "https://github.com/bulwark-sec/bulwark",
                "rules": sarif_rules,
            }},
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The directory bulwark was run from."}}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

fn rule_json(r: &RuleInfo) -> Value {
    let mut tags = vec!["security".to_string()];
    tags.extend(r.standards.iter().cloned());
    let mut rule = json!({
        "id": r.id,
        "name": pascal_case(&r.name),
        "shortDescription": {"text": r.title},
        "fullDescription": {"text": r.description},
        "help": {"text": r.help_markdown, "markdown": r.help_markdown},
        "defaultConfiguration": {"level": r.severity.sarif_level()},
        "properties": {
            "tags": tags,
            "precision": "very-high",
            "problem.severity": problem_severity(r.severity),
            "security-severity": r.severity.security_severity(),
        },
    });
    if !r.help_uri.is_empty() {
        rule["helpUri"] = json!(r.help_uri);
    }
    rule
}

fn problem_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "recommendation",
    }
}

fn result_json(f: &Finding, rule_index: usize, suppression: Option<Value>) -> Value {
    let mut result = json!({
        "ruleId": f.id,
        "ruleIndex": rule_index,
        "level": f.severity.sarif_level(),
        "kind": "fail",
        "message": {"text": f.message},
        "partialFingerprints": {"bulwarkFingerprint/v1": f.fingerprint},
        "properties": {
            "severity": f.severity.as_str(),
            "category": f.category.as_str(),
            "standards": f.standards,
        },
    });
    if let Some(v) = &f.vulnerability {
        // The package, versions, fix and scores, as in the JSON report.
        result["properties"]["vulnerability"] = json!(v);
    }
    if !f.commits.is_empty() {
        result["properties"]["commits"] = json!(f.commits);
    }
    let mut location = serde_json::Map::new();
    if let Some(loc) = &f.location {
        // Inside an archive or image (`app.oci.tar!/etc/x`, `app.oci.tar!config`), the file
        // SARIF viewers can open is the archive: point there and keep the inner path (and
        // the line in it) as properties, since a region would name a line of the archive.
        if let Some((outer, inner)) = loc.path.split_once('!') {
            location.insert(
                "physicalLocation".into(),
                json!({"artifactLocation": artifact(outer)}),
            );
            result["properties"]["innerPath"] = json!(inner);
            if let Some(line) = loc.line {
                result["properties"]["innerLine"] = json!(line);
            }
        } else {
            let mut phys = json!({"artifactLocation": artifact(&loc.path)});
            if let Some(line) = loc.line.filter(|l| *l > 0) {
                phys["region"] = json!({"startLine": line});
                if let Some(col) = loc.column.filter(|c| *c > 0) {
                    phys["region"]["startColumn"] = json!(col);
                }
            }
            location.insert("physicalLocation".into(), phys);
        }
        if let Some(field) = &loc.field {
            result["properties"]["field"] = json!(field);
        }
    }
    if let Some(r) = &f.resource {
        let fqn = match &r.namespace {
            Some(ns) => format!("{}/{}/{}", r.kind, ns, r.name),
            None => format!("{}/{}", r.kind, r.name),
        };
        let mut logical =
            vec![json!({"name": r.name, "fullyQualifiedName": fqn, "kind": "resource"})];
        if let Some(c) = &r.container {
            logical.push(
                json!({"name": c, "fullyQualifiedName": format!("{fqn}/{c}"), "kind": "member"}),
            );
        }
        location.insert("logicalLocations".into(), Value::Array(logical));
    }
    if !location.is_empty() {
        result["locations"] = json!([Value::Object(location)]);
    }
    if let Some(s) = suppression {
        result["suppressions"] = json!([s]);
    }
    result
}

/// An artifact location: relative paths against `%SRCROOT%`, absolute paths as `file://` URIs,
/// both percent-encoded.
fn artifact(path: &str) -> Value {
    if path == "-" {
        return json!({"uri": "stdin"});
    }
    if let Some(abs) = path.strip_prefix('/') {
        json!({"uri": format!("file:///{}", encode_uri_path(abs))})
    } else {
        let rel = path.strip_prefix("./").unwrap_or(path);
        json!({"uri": encode_uri_path(rel), "uriBaseId": "%SRCROOT%"})
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn encode_uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    out
}

fn pascal_case(slug: &str) -> String {
    slug.split(['-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded_and_based() {
        assert_eq!(artifact("a b/c.yaml")["uri"], "a%20b/c.yaml");
        assert_eq!(artifact("./x.yaml")["uriBaseId"], "%SRCROOT%");
        assert_eq!(artifact("/tmp/x#y.yaml")["uri"], "file:///tmp/x%23y.yaml");
        assert_eq!(artifact("-")["uri"], "stdin");
    }

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(pascal_case("privileged-container"), "PrivilegedContainer");
    }
}
