//! The secret scanner: the secrets engine run over files, plus what only a Kubernetes-aware
//! caller can add: base64 `data` of Secret objects decoded before scanning, and findings in
//! manifests attached to the object they sit in.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use bulwark_k8s::{
    MANAGED_SECRET_KINDS, Node, Object, is_core_secret, names_plain_setting, secret_entries,
};
use bulwark_model::{Category, Finding, Location, Severity};
use bulwark_secrets::{
    Context, RuleSet, Scanner, SecretKind, SecretMatch, fingerprint, parse_rules, redacted,
};

/// The id, name and title of the finding for a well-known default password (a judgement the
/// password rules make on their values, not a pattern of its own).
pub const WEAK_PASSWORD: (&str, &str, &str) = (
    "PWD001",
    "default-password",
    "Well-known default or dictionary password",
);

const REMEDIATION: &str = "Remove the secret from the file (and from the history of the repository), \
     revoke or rotate it at its provider, and load it at run time from a secret store or a \
     mounted Secret.";

const WEAK_REMEDIATION: &str = "Replace the default password with a long random one, kept in a \
     secret store or a Secret rather than in the file, and change it wherever it is in use.";

/// The compiled secret rules and how to show what they find.
pub struct SecretEngine {
    scanner: Scanner,
    show_secrets: bool,
}

impl SecretEngine {
    /// Compiles `set` without the rules `skip` names (and, when `only` is not empty, with just
    /// the rules it names). Returns the entries of `skip`/`only` that name no rule, for the
    /// caller to match against checks.
    pub fn build(
        mut set: RuleSet,
        skip: &[String],
        only: &[String],
        show_secrets: bool,
    ) -> (SecretEngine, Vec<String>) {
        let known = |s: &String| {
            set.rules().iter().any(|r| &r.id == s || &r.name == s) || *s == WEAK_PASSWORD.0
        };
        let unknown: Vec<String> = skip
            .iter()
            .chain(only)
            .filter(|s| !known(s))
            .cloned()
            .collect();
        set.disable(skip);
        if !only.is_empty() {
            let drop: Vec<String> = set
                .rules()
                .iter()
                .filter(|r| !only.contains(&r.id) && !only.contains(&r.name))
                .map(|r| r.id.clone())
                .collect();
            set.disable(&drop);
        }
        (
            SecretEngine {
                scanner: Scanner::new(&set),
                show_secrets,
            },
            unknown,
        )
    }

    /// Scans the bytes of one file. `objects` are the Kubernetes objects parsed from it, if
    /// any: findings inside one are attached to it, and Secret `data` is decoded and scanned.
    pub fn scan_file(
        &self,
        path: &Arc<str>,
        bytes: &[u8],
        objects: &[Object],
        default_namespace: &str,
    ) -> Vec<Finding> {
        let cx = Context { path: Some(path) };
        // Lines holding base64 `data` of Secret objects: their text is encoded, so they are
        // judged decoded (below), not as written.
        let encoded_lines: Vec<u32> = objects
            .iter()
            .filter(|o| is_core_secret(o))
            .filter_map(|o| o.root.get("data").and_then(Node::as_map))
            .flatten()
            .map(|e| e.key_pos.line)
            .collect();
        let mut out: Vec<Finding> = self
            .scanner
            .scan(bytes, &cx)
            .iter()
            .filter(|m| !encoded_lines.contains(&m.line))
            .map(|m| self.finding(m, path, m.line, m.column))
            .collect();
        for o in objects.iter().filter(|o| is_core_secret(o)) {
            out.extend(self.secret_data(path, o));
        }
        out.sort_by_key(|f| f.location.as_ref().and_then(|l| l.line));
        out.dedup_by(|a, b| {
            a.fingerprint == b.fingerprint
                && a.location.as_ref().and_then(|l| l.line)
                    == b.location.as_ref().and_then(|l| l.line)
        });
        attach_resources(&mut out, objects, default_namespace);
        // Managed secrets hold ciphertext or references, never literals.
        out.retain(|f| {
            f.resource
                .as_ref()
                .is_none_or(|r| !MANAGED_SECRET_KINDS.contains(&&*r.kind))
        });
        out
    }

    /// Scans a stream too large to hold (a file over the in-memory threshold).
    pub fn scan_stream(
        &self,
        path: &Arc<str>,
        reader: impl std::io::Read,
    ) -> std::io::Result<Vec<Finding>> {
        let cx = Context { path: Some(path) };
        Ok(self
            .scanner
            .scan_reader(reader, &cx)?
            .iter()
            .map(|m| self.finding(m, path, m.line, m.column))
            .collect())
    }

    /// Secret `data` values are base64: decode each and scan it as `key: value`, so the key's
    /// name and the value's shape are judged together, and report at the value's line.
    fn secret_data(&self, path: &Arc<str>, object: &Object) -> Vec<Finding> {
        let mut out = Vec::new();
        for e in secret_entries(object)
            .into_iter()
            .filter(|e| !e.string_data)
        {
            let mut text = Vec::with_capacity(e.key.len() + 2 * e.value.len() + 24);
            text.extend_from_slice(e.key.as_bytes());
            text.extend_from_slice(b": ");
            text.extend_from_slice(&e.value);
            // A value is a credential by declaration unless its key says it is something else
            // (a user name, a host, a region).
            if !names_plain_setting(e.key) {
                text.extend_from_slice(b"\nbulwark-secret-data: ");
                text.extend_from_slice(&e.value);
            }
            let cx = Context { path: Some(path) };
            let mut found = self.scanner.scan(&text, &cx);
            // One finding per data entry: the most specific rule wins.
            found.sort_by_key(|m| {
                let r = &self.scanner.rules()[m.rule];
                (
                    std::cmp::Reverse(r.confidence),
                    r.kind != bulwark_secrets::RuleKind::Specific,
                )
            });
            if let Some(m) = found.first() {
                out.push(self.finding(m, path, e.key_pos.line, e.key_pos.col));
            }
        }
        out
    }

    fn finding(&self, m: &SecretMatch, path: &Arc<str>, line: u32, column: u32) -> Finding {
        let rule = &self.scanner.rules()[m.rule];
        let (id, name, title, severity, remediation) = match m.kind {
            SecretKind::Secret => (
                rule.id.clone(),
                rule.name.clone(),
                rule.title.clone(),
                rule.severity,
                REMEDIATION,
            ),
            SecretKind::WeakPassword => (
                WEAK_PASSWORD.0.to_string(),
                WEAK_PASSWORD.1.to_string(),
                WEAK_PASSWORD.2.to_string(),
                Severity::High,
                WEAK_REMEDIATION,
            ),
        };
        let message = match m.kind {
            SecretKind::Secret => format!("{}: {}", rule.title, redacted(&m.value)),
            SecretKind::WeakPassword => format!(
                "well-known default or dictionary password (found by {} {}): {}",
                rule.id,
                rule.name,
                redacted(&m.value)
            ),
        };
        Finding {
            fingerprint: fingerprint(&id, &m.value),
            id: id.into(),
            check: Some(name.into()),
            category: Category::Secret,
            severity,
            title: title.into(),
            message,
            resource: None,
            location: Some(Location {
                path: Arc::clone(path),
                line: Some(line),
                column: Some(column),
                field: None,
            }),
            standards: vec!["nsa-cisa/secrets".into()],
            remediation: remediation.into(),
            secret: self
                .show_secrets
                .then(|| String::from_utf8_lossy(&m.value).into_owned()),
            commits: Vec::new(),
            vulnerability: None,
        }
    }
}

/// The built-in rules plus the user's rule files.
pub fn load_rules(rule_files: &[PathBuf]) -> anyhow::Result<RuleSet> {
    let mut set = RuleSet::builtin().context("loading the built-in secret rules")?;
    for f in rule_files {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("reading rule file {}", f.display()))?;
        let rules = parse_rules(&f.display().to_string(), &text)?;
        set.extend(rules)?;
    }
    Ok(set)
}

/// Attaches each finding in a manifest to the object whose lines hold it.
fn attach_resources(found: &mut [Finding], objects: &[Object], default_namespace: &str) {
    if objects.is_empty() {
        return;
    }
    let mut starts: Vec<(u32, &Object)> = objects.iter().map(|o| (o.pos().line, o)).collect();
    starts.sort_by_key(|(l, _)| *l);
    for f in found.iter_mut() {
        let Some(line) = f.location.as_ref().and_then(|l| l.line) else {
            continue;
        };
        let at = starts.partition_point(|(l, _)| *l <= line);
        if at > 0 {
            let o = starts[at - 1].1;
            f.resource = Some(o.resource_ref(default_namespace, None));
        }
    }
}
