//! VEX documents (Vulnerability Exploitability eXchange): statements that a product is, or is
//! not, affected by a vulnerability, read from OpenVEX and CycloneDX JSON, so that a scan can
//! set aside the findings their authors have ruled out.
//!
//! [`parse`] tells the formats apart by content: an `@context` under `https://openvex.dev/ns`
//! is OpenVEX (v0.2.0, and the older v0.0.x whose `vulnerability` is a plain string and whose
//! products and `subcomponents` are purl strings); an in-toto statement whose `predicateType`
//! is OpenVEX is read through its `predicate`; a `bomFormat` of `CycloneDX` is a CycloneDX BOM
//! whose `vulnerabilities[]` carry an `analysis`. Anything else is an error.
//!
//! # What a statement applies to
//!
//! Every statement is reduced to the package purls it covers ([`VexStatement::products`]; empty
//! means every package of the scan). A product matches a package as [`crate::purl::matches`] says:
//! same type, namespace and name (normalised per type), the same version if the product gives
//! one, the same qualifiers where the product gives them.
//!
//! - An OpenVEX product identified by a package purl (its `identifiers.purl` or a purl `@id`)
//!   covers that package. A product with `subcomponents` covers its subcomponents instead:
//!   the statement says where the vulnerable code is.
//! - A product that is not a package purl (`pkg:oci/…`, `pkg:docker/…`, an image reference, an
//!   IRI, only a CPE) stands for the scanned artifact as a whole: with `subcomponents` it covers
//!   them; without, **the statement applies to every package**. A statement with no products
//!   at all inherits them from its encapsulating document, the scan target, and applies to
//!   every package too. This is how image vendors publish VEX ("our image is not affected by
//!   CVE-X"), and the user chose to apply the document.
//! - A purl that does not parse is dropped; a statement left with nothing to match is dropped,
//!   never widened to every package.
//! - A CycloneDX `affects[].ref` is resolved to the purl of the component with that `bom-ref`
//!   in the same document, or read as a purl, or as a BOM-Link (`urn:cdx:serial/version#ref`,
//!   whose percent-decoded fragment is resolved the same way; a BOM-Link to a whole BOM stands
//!   for its subject). A ref to the document's `metadata.component` or to an image component
//!   stands for the scan target (every package). Refs that resolve to nothing are dropped. A
//!   vulnerability without `affects` applies to every package; one without `analysis.state`
//!   is a plain finding listing, not a VEX statement, and is skipped. `affects[].versions` is
//!   not read: the component's purl carries its version.
//!
//! # Statuses and precedence
//!
//! CycloneDX `not_affected` and `false_positive` are [`VexStatus::NotAffected`], `resolved`
//! and `resolved_with_pedigree` are [`VexStatus::Fixed`], `exploitable` is
//! [`VexStatus::Affected`] and `in_triage` [`VexStatus::UnderInvestigation`]. Justifications are
//! kept as written (OpenVEX `vulnerable_code_not_in_execute_path`, CycloneDX
//! `code_not_reachable`).
//!
//! Statements are a history: for one vulnerability and package the latest statement decides.
//! OpenVEX statements are ordered by timestamp (a statement's own, else the document's; a
//! stable sort keeps document order between equal times). CycloneDX vulnerabilities keep
//! document order. [`VexDocument::merge`] appends, so a document given later overrides an
//! earlier one for the same vulnerability and package, whatever their timestamps.
//!
//! # Bounds
//!
//! Documents over [`MAX_DOCUMENT_SIZE`] are refused before parsing; serde_json's recursion limit
//! caps nesting; purls are bounded by [`purl::MAX_LEN`]. Lookups scan the statements
//! linearly, comparing vulnerability ids before parsing any purl.

use std::collections::HashMap;

use bulwark_model::purl::{self, Purl};
use bulwark_model::time::parse_rfc3339;
use serde_json::{Map, Value};

/// Largest document [`parse`] reads, in bytes.
pub const MAX_DOCUMENT_SIZE: usize = 256 * 1024 * 1024;

/// One statement: a vulnerability, the packages it is about, and their status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexStatement {
    /// The vulnerability's main id (`CVE-2023-12345`).
    pub vulnerability: String,
    /// Other ids the document gives for it (OpenVEX `aliases`, CycloneDX `references[].id`).
    pub aliases: Vec<String>,
    /// Purls of the packages the statement covers, as written; empty means every package.
    pub products: Vec<String>,
    /// The status.
    pub status: VexStatus,
    /// The justification, as the document writes it.
    pub justification: Option<String>,
    /// Free text: OpenVEX `impact_statement` (else `action_statement`, else `status_notes`),
    /// CycloneDX `analysis.detail`.
    pub detail: Option<String>,
    /// The file the statement came from.
    pub origin: String,
}

/// What a statement says about a vulnerability in a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VexStatus {
    /// The product is not affected (CycloneDX: also `false_positive`).
    NotAffected,
    /// The product is affected (CycloneDX `exploitable`).
    Affected,
    /// The product contains a fix (CycloneDX `resolved`, `resolved_with_pedigree`).
    Fixed,
    /// Not known yet (CycloneDX `in_triage`).
    UnderInvestigation,
}

/// The statements of one or more VEX documents, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VexDocument {
    /// The statements; a later one overrides an earlier one for the same vulnerability and
    /// package.
    pub statements: Vec<VexStatement>,
}

/// Why a VEX document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum VexError {
    /// Too large, or not JSON (with the line and column).
    #[error(transparent)]
    Document(#[from] bulwark_model::document::DocumentError),
    /// The document is JSON but neither OpenVEX nor CycloneDX.
    #[error("{label}: not a VEX document (no OpenVEX @context, no CycloneDX bomFormat)")]
    UnknownFormat {
        /// The file.
        label: String,
    },
    /// A statement or vulnerability is malformed.
    #[error("{label}: {path}: {message}")]
    Invalid {
        /// The file.
        label: String,
        /// Where in the document (`statements[2].status`).
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Parses the VEX document `data` read from `label`, detecting its format.
pub fn parse(label: &str, data: &[u8]) -> Result<VexDocument, VexError> {
    parse_limited(label, data, MAX_DOCUMENT_SIZE)
}

fn parse_limited(label: &str, data: &[u8], limit: usize) -> Result<VexDocument, VexError> {
    let doc: Value = bulwark_model::document::read_json(label, data, limit)?;
    let reader = Reader { label };
    let statements = if is_openvex_context(&doc["@context"]) {
        reader.openvex(&doc, "")?
    } else if doc["predicateType"]
        .as_str()
        .is_some_and(is_openvex_namespace)
        && doc["predicate"].is_object()
    {
        reader.openvex(&doc["predicate"], "predicate.")?
    } else if doc["bomFormat"].as_str() == Some("CycloneDX") {
        reader.cyclonedx(&doc)?
    } else {
        return Err(VexError::UnknownFormat {
            label: label.to_owned(),
        });
    };
    Ok(VexDocument { statements })
}

impl VexDocument {
    /// The statement that says this package is not affected by any of `ids` (an advisory id and
    /// its aliases), if one does: the latest statement naming one of `ids` and covering `purl`,
    /// when its status is [`VexStatus::NotAffected`].
    pub fn not_affected(&self, ids: &[&str], purl: &str) -> Option<&VexStatement> {
        self.decision(ids, purl)
            .filter(|s| s.status == VexStatus::NotAffected)
    }

    /// The latest statement naming one of `ids` and covering `purl`, whatever its status.
    pub fn decision(&self, ids: &[&str], purl: &str) -> Option<&VexStatement> {
        let package = Purl::parse(purl).ok();
        self.statements
            .iter()
            .rev()
            .find(|s| s.names_any(ids) && s.covers(package.as_ref()))
    }

    /// Adds the statements of `other` after these: they override these for the same
    /// vulnerability and package.
    pub fn merge(&mut self, other: VexDocument) {
        self.statements.extend(other.statements);
    }
}

impl VexStatement {
    /// Whether the statement is about one of `ids` (compared ignoring ASCII case).
    pub fn names_any(&self, ids: &[&str]) -> bool {
        ids.iter().any(|id| {
            self.vulnerability.eq_ignore_ascii_case(id)
                || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(id))
        })
    }

    /// Whether the statement covers the package with purl `purl`.
    pub fn applies_to(&self, purl: &str) -> bool {
        self.covers(Purl::parse(purl).ok().as_ref())
    }

    fn covers(&self, package: Option<&Purl>) -> bool {
        if self.products.is_empty() {
            return true;
        }
        let Some(package) = package else {
            return false;
        };
        self.products
            .iter()
            .any(|p| Purl::parse(p).is_ok_and(|p| crate::purl::matches(&p, package)))
    }
}

fn is_openvex_namespace(s: &str) -> bool {
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    s.is_some_and(|s| s.starts_with("openvex.dev/ns"))
}

fn is_openvex_context(v: &Value) -> bool {
    match v {
        Value::String(s) => is_openvex_namespace(s),
        Value::Array(items) => items
            .iter()
            .any(|i| i.as_str().is_some_and(is_openvex_namespace)),
        _ => false,
    }
}

/// What a statement covers, before it becomes [`VexStatement::products`].
enum Scope {
    /// Every package.
    All,
    /// These purls (possibly none: the statement is then dropped).
    Only(Vec<String>),
}

/// What one identifier of a product or subcomponent turned out to be.
#[derive(Debug, PartialEq, Eq)]
enum Identity {
    /// Package purls.
    Packages(Vec<String>),
    /// The scan target as a whole: an image purl, or no purl at all.
    Artifact,
    /// Only purls that do not parse.
    Broken,
}

struct Reader<'a> {
    label: &'a str,
}

impl Reader<'_> {
    fn invalid(&self, path: String, message: impl Into<String>) -> VexError {
        VexError::Invalid {
            label: self.label.to_owned(),
            path,
            message: message.into(),
        }
    }

    fn timestamp(&self, v: &Value, path: String) -> Result<Option<i64>, VexError> {
        match v {
            Value::Null => Ok(None),
            Value::String(s) if s.trim().is_empty() => Ok(None),
            Value::String(s) => parse_rfc3339(s)
                .map(Some)
                .ok_or_else(|| self.invalid(path, format!("`{s}` is not an RFC 3339 time"))),
            _ => Err(self.invalid(path, "not a string")),
        }
    }

    fn openvex(&self, doc: &Value, prefix: &str) -> Result<Vec<VexStatement>, VexError> {
        let doc_time = self.timestamp(&doc["timestamp"], format!("{prefix}timestamp"))?;
        let statements = match &doc["statements"] {
            Value::Null => return Ok(Vec::new()),
            Value::Array(a) => a,
            _ => return Err(self.invalid(format!("{prefix}statements"), "not a list")),
        };
        let mut dated = Vec::with_capacity(statements.len());
        for (i, s) in statements.iter().enumerate() {
            let at = |field: &str| format!("{prefix}statements[{i}]{field}");
            let Some(s) = s.as_object() else {
                return Err(self.invalid(at(""), "not an object"));
            };
            let (vulnerability, aliases) = match s.get("vulnerability") {
                Some(Value::String(name)) if !name.trim().is_empty() => {
                    (name.trim().to_owned(), Vec::new())
                }
                Some(Value::Object(v)) => {
                    let name = text(v.get("name")).ok_or_else(|| {
                        self.invalid(at(".vulnerability.name"), "missing or empty")
                    })?;
                    let aliases = strings(v.get("aliases"))
                        .filter(|a| !a.eq_ignore_ascii_case(&name))
                        .collect();
                    (name, aliases)
                }
                _ => return Err(self.invalid(at(".vulnerability"), "missing or empty")),
            };
            let status = match text(s.get("status")).as_deref() {
                Some(status) => openvex_status(status).ok_or_else(|| {
                    self.invalid(at(".status"), format!("unknown status `{status}`"))
                })?,
                None => return Err(self.invalid(at(".status"), "missing")),
            };
            let time = self
                .timestamp(s.get("timestamp").unwrap_or(&Value::Null), at(".timestamp"))?
                .or(doc_time);
            let products = match openvex_scope(s) {
                Scope::All => Vec::new(),
                Scope::Only(p) if p.is_empty() => continue,
                Scope::Only(p) => p,
            };
            dated.push((
                time,
                VexStatement {
                    vulnerability,
                    aliases,
                    products,
                    status,
                    justification: text(s.get("justification")),
                    detail: text(s.get("impact_statement"))
                        .or_else(|| text(s.get("action_statement")))
                        .or_else(|| text(s.get("status_notes"))),
                    origin: self.label.to_owned(),
                },
            ));
        }
        // Undated statements sort first: they cannot claim to be newer than a dated one.
        dated.sort_by_key(|(time, _)| time.unwrap_or(i64::MIN));
        Ok(dated.into_iter().map(|(_, s)| s).collect())
    }

    fn cyclonedx(&self, doc: &Value) -> Result<Vec<VexStatement>, VexError> {
        let refs = bom_refs(doc);
        let vulnerabilities = match &doc["vulnerabilities"] {
            Value::Null => return Ok(Vec::new()),
            Value::Array(a) => a,
            _ => return Err(self.invalid("vulnerabilities".to_owned(), "not a list")),
        };
        let mut out = Vec::new();
        for (i, v) in vulnerabilities.iter().enumerate() {
            let at = |field: &str| format!("vulnerabilities[{i}]{field}");
            let Some(v) = v.as_object() else {
                return Err(self.invalid(at(""), "not an object"));
            };
            let analysis = match v.get("analysis") {
                None | Some(Value::Null) => continue,
                Some(Value::Object(a)) => a,
                Some(_) => return Err(self.invalid(at(".analysis"), "not an object")),
            };
            let Some(state) = text(analysis.get("state")) else {
                continue;
            };
            let status = cyclonedx_status(&state).ok_or_else(|| {
                self.invalid(at(".analysis.state"), format!("unknown state `{state}`"))
            })?;
            let id =
                text(v.get("id")).ok_or_else(|| self.invalid(at(".id"), "missing or empty"))?;
            let mut aliases: Vec<String> = Vec::new();
            for reference in v
                .get("references")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(alias) = text(reference.get("id"))
                    && !alias.eq_ignore_ascii_case(&id)
                    && !aliases.contains(&alias)
                {
                    aliases.push(alias);
                }
            }
            let products = match cyclonedx_scope(v, &refs) {
                Scope::All => Vec::new(),
                Scope::Only(p) if p.is_empty() => continue,
                Scope::Only(p) => p,
            };
            out.push(VexStatement {
                vulnerability: id,
                aliases,
                products,
                status,
                justification: text(analysis.get("justification")),
                detail: text(analysis.get("detail")),
                origin: self.label.to_owned(),
            });
        }
        Ok(out)
    }
}

fn openvex_status(s: &str) -> Option<VexStatus> {
    Some(match s.to_ascii_lowercase().as_str() {
        "not_affected" => VexStatus::NotAffected,
        "affected" => VexStatus::Affected,
        "fixed" => VexStatus::Fixed,
        "under_investigation" => VexStatus::UnderInvestigation,
        _ => return None,
    })
}

fn cyclonedx_status(s: &str) -> Option<VexStatus> {
    Some(match s.to_ascii_lowercase().as_str() {
        "not_affected" | "false_positive" => VexStatus::NotAffected,
        "resolved" | "resolved_with_pedigree" => VexStatus::Fixed,
        "exploitable" => VexStatus::Affected,
        "in_triage" => VexStatus::UnderInvestigation,
        _ => return None,
    })
}

/// A non-empty string, trimmed.
fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The non-empty strings of a list (other items are ignored).
fn strings(v: Option<&Value>) -> impl Iterator<Item = String> + '_ {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|item| text(Some(item)))
}

/// What an OpenVEX product or subcomponent (an object, or a purl string in v0.0.x) is.
fn identify(component: &Value) -> Identity {
    let mut candidates: Vec<&str> = Vec::new();
    match component {
        Value::String(s) => candidates.push(s),
        Value::Object(o) => {
            if let Some(purl) = o
                .get("identifiers")
                .and_then(|i| i.get("purl"))
                .and_then(Value::as_str)
            {
                candidates.push(purl);
            }
            if let Some(id) = o.get("@id").and_then(Value::as_str) {
                candidates.push(id);
            }
        }
        _ => return Identity::Broken,
    }
    let mut packages: Vec<String> = Vec::new();
    let mut image = false;
    let mut any_purl = false;
    for candidate in candidates {
        if !purl::looks_like_purl(candidate) {
            continue;
        }
        any_purl = true;
        match Purl::parse(candidate) {
            Ok(p) if p.is_image() => image = true,
            Ok(_) => {
                let candidate = candidate.trim().to_owned();
                if !packages.contains(&candidate) {
                    packages.push(candidate);
                }
            }
            Err(_) => {}
        }
    }
    if !packages.is_empty() {
        Identity::Packages(packages)
    } else if image || !any_purl {
        Identity::Artifact
    } else {
        Identity::Broken
    }
}

fn openvex_scope(statement: &Map<String, Value>) -> Scope {
    // v0.0.x put `subcomponents` on the statement, shared by its products.
    let shared = items(statement.get("subcomponents"));
    let products = items(statement.get("products"));
    let mut out: Vec<String> = Vec::new();
    if products.is_empty() {
        if shared.is_empty() {
            return Scope::All;
        }
        for sub in shared {
            if let Identity::Packages(p) = identify(sub) {
                add(&mut out, p);
            }
        }
        return Scope::Only(out);
    }
    let mut all = false;
    for product in products {
        let mut subs = items(product.get("subcomponents"));
        subs.extend(shared.iter().copied());
        if !subs.is_empty() {
            for sub in subs {
                if let Identity::Packages(p) = identify(sub) {
                    add(&mut out, p);
                }
            }
            continue;
        }
        match identify(product) {
            Identity::Packages(p) => add(&mut out, p),
            Identity::Artifact => all = true,
            Identity::Broken => {}
        }
    }
    if all { Scope::All } else { Scope::Only(out) }
}

/// The items of a list (nothing for anything else).
fn items(v: Option<&Value>) -> Vec<&Value> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// Appends the purls of `more` not already in `out`.
fn add(out: &mut Vec<String>, more: Vec<String>) {
    for p in more {
        if !out.contains(&p) {
            out.push(p);
        }
    }
}

/// What a CycloneDX `bom-ref` points at.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// A package with this purl.
    Package(String),
    /// The BOM's subject or an image: every package of the scan.
    Artifact,
    /// Something that cannot be matched to a package (a service, a component without a purl).
    Unknown,
}

/// Every `bom-ref` of the document's components (nested ones too) and services.
fn bom_refs(doc: &Value) -> HashMap<String, Target> {
    fn component_target(c: &Value) -> Target {
        match c.get("purl").and_then(Value::as_str) {
            Some(p) => match Purl::parse(p) {
                Ok(parsed) if parsed.is_image() => Target::Artifact,
                Ok(_) => Target::Package(p.trim().to_owned()),
                Err(_) => Target::Unknown,
            },
            None => Target::Unknown,
        }
    }
    let mut refs = HashMap::new();
    let subject = &doc["metadata"]["component"];
    if let Some(r) = subject.get("bom-ref").and_then(Value::as_str) {
        let target = match component_target(subject) {
            Target::Unknown => Target::Artifact,
            t => t,
        };
        refs.insert(r.to_owned(), target);
    }
    let mut stack: Vec<&Value> = Vec::new();
    for key in ["components", "services"] {
        stack.extend(doc.get(key).and_then(Value::as_array).into_iter().flatten());
    }
    stack.extend(
        subject
            .get("components")
            .and_then(Value::as_array)
            .into_iter()
            .flatten(),
    );
    while let Some(c) = stack.pop() {
        if let Some(r) = c.get("bom-ref").and_then(Value::as_str) {
            refs.entry(r.to_owned())
                .or_insert_with(|| component_target(c));
        }
        for key in ["components", "services"] {
            stack.extend(c.get(key).and_then(Value::as_array).into_iter().flatten());
        }
    }
    refs
}

fn cyclonedx_scope(vulnerability: &Map<String, Value>, refs: &HashMap<String, Target>) -> Scope {
    let affects: Vec<&Value> = vulnerability
        .get("affects")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    if affects.is_empty() {
        return Scope::All;
    }
    let mut out: Vec<String> = Vec::new();
    for affect in affects {
        let Some(r) = affect.get("ref").and_then(Value::as_str).map(str::trim) else {
            continue;
        };
        let target = if let Some(link) = r.strip_prefix("urn:cdx:") {
            match link.split_once('#') {
                None => Target::Artifact,
                Some((_, fragment)) => {
                    let fragment =
                        purl::decode(fragment, "bom-ref").unwrap_or_else(|_| fragment.to_owned());
                    resolve(&fragment, refs)
                }
            }
        } else {
            resolve(r, refs)
        };
        match target {
            Target::Package(p) => add(&mut out, vec![p]),
            Target::Artifact => return Scope::All,
            Target::Unknown => {}
        }
    }
    Scope::Only(out)
}

/// A `bom-ref` of this document, else a purl.
fn resolve(r: &str, refs: &HashMap<String, Target>) -> Target {
    if let Some(target) = refs.get(r) {
        return target.clone();
    }
    if purl::looks_like_purl(r) {
        return match Purl::parse(r) {
            Ok(p) if p.is_image() => Target::Artifact,
            Ok(_) => Target::Package(r.to_owned()),
            Err(_) => Target::Unknown,
        };
    }
    Target::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulwark_model::document::DocumentError;
    use proptest::prelude::*;

    const OPENVEX: &str = r#"{
      "@context": "https://openvex.dev/ns/v0.2.0",
      "@id": "https://openvex.dev/docs/public/vex-0001",
      "author": "Example Builds <builds@example.com>",
      "timestamp": "2024-03-01T10:00:00Z",
      "version": 1,
      "statements": [
        {
          "vulnerability": {
            "@id": "https://nvd.nist.gov/vuln/detail/CVE-2021-44228",
            "name": "CVE-2021-44228",
            "aliases": ["GHSA-jfh8-c2jp-5v3q", "CVE-2021-44228"]
          },
          "products": [
            {
              "@id": "pkg:maven/org.springframework.boot/spring-boot@2.6.0",
              "identifiers": {"purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}
            }
          ],
          "status": "not_affected",
          "justification": "vulnerable_code_not_in_execute_path",
          "impact_statement": "JNDI lookups are disabled by configuration."
        },
        {
          "vulnerability": {"name": "CVE-2023-0464"},
          "products": [
            {
              "@id": "pkg:oci/app@sha256%3A0123abcd?repository_url=ghcr.io/example/app",
              "subcomponents": [
                {"@id": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64"},
                {"identifiers": {"purl": "pkg:deb/debian/openssl"}}
              ]
            }
          ],
          "status": "not_affected",
          "justification": "vulnerable_code_not_present"
        },
        {
          "vulnerability": {"name": "CVE-2024-0001"},
          "products": [{"@id": "ghcr.io/example/app:1.2"}],
          "status": "not_affected",
          "justification": "component_not_present"
        },
        {
          "vulnerability": {"name": "CVE-2024-0002"},
          "status": "affected",
          "action_statement": "Upgrade to 1.3."
        }
      ]
    }"#;

    fn doc(json: &str) -> VexDocument {
        parse("vex.json", json.as_bytes()).expect("a valid VEX document")
    }

    fn invalid_path(json: &str) -> String {
        match parse("vex.json", json.as_bytes()) {
            Err(VexError::Invalid { path, .. }) => path,
            other => panic!("expected an invalid-document error, got {other:?}"),
        }
    }

    #[test]
    fn reads_openvex_statements() {
        let d = doc(OPENVEX);
        assert_eq!(d.statements.len(), 4);
        let log4j = &d.statements[0];
        assert_eq!(log4j.vulnerability, "CVE-2021-44228");
        assert_eq!(log4j.aliases, vec!["GHSA-jfh8-c2jp-5v3q"]);
        assert_eq!(
            log4j.products,
            vec![
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                "pkg:maven/org.springframework.boot/spring-boot@2.6.0"
            ]
        );
        assert_eq!(log4j.status, VexStatus::NotAffected);
        assert_eq!(
            log4j.justification.as_deref(),
            Some("vulnerable_code_not_in_execute_path")
        );
        assert_eq!(
            log4j.detail.as_deref(),
            Some("JNDI lookups are disabled by configuration.")
        );
        assert_eq!(log4j.origin, "vex.json");
        assert_eq!(d.statements[3].status, VexStatus::Affected);
        assert_eq!(d.statements[3].detail.as_deref(), Some("Upgrade to 1.3."));
    }

    #[test]
    fn matches_by_id_or_alias_and_purl() {
        let d = doc(OPENVEX);
        let log4j = "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1";
        assert!(d.not_affected(&["CVE-2021-44228"], log4j).is_some());
        assert!(
            d.not_affected(&["GHSA-XXXX", "ghsa-jfh8-c2jp-5v3q"], log4j)
                .is_some()
        );
        assert!(d.not_affected(&["CVE-2021-45046"], log4j).is_none());
        assert!(
            d.not_affected(
                &["CVE-2021-44228"],
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.15.0"
            )
            .is_none()
        );
        assert!(d.not_affected(&["CVE-2021-44228"], "not a purl").is_none());
    }

    #[test]
    fn image_products_apply_through_subcomponents_or_to_everything() {
        let d = doc(OPENVEX);
        assert_eq!(
            d.statements[1].products,
            vec![
                "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64",
                "pkg:deb/debian/openssl"
            ]
        );
        let libssl = "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12";
        assert!(d.not_affected(&["CVE-2023-0464"], libssl).is_some());
        assert!(
            d.not_affected(
                &["CVE-2023-0464"],
                "pkg:deb/debian/openssl@3.0.11-1~deb12u2"
            )
            .is_some()
        );
        assert!(
            d.not_affected(&["CVE-2023-0464"], "pkg:deb/debian/curl@7.88.1-10")
                .is_none()
        );
        // An image reference without subcomponents covers every package.
        assert!(d.statements[2].products.is_empty());
        assert!(
            d.not_affected(&["CVE-2024-0001"], "pkg:npm/anything@1.0.0")
                .is_some()
        );
        assert!(d.not_affected(&["CVE-2024-0001"], "garbage").is_some());
        // A statement without products covers every package too, but says "affected".
        assert!(d.not_affected(&["CVE-2024-0002"], libssl).is_none());
        assert_eq!(
            d.decision(&["CVE-2024-0002"], libssl).map(|s| s.status),
            Some(VexStatus::Affected)
        );
    }

    #[test]
    fn reads_openvex_v0_0_1() {
        let d = doc(r#"{
          "@context": "https://openvex.dev/ns",
          "@id": "x", "author": "a", "timestamp": "2023-01-01T00:00:00Z", "version": "1",
          "statements": [{
            "vulnerability": "CVE-2023-1234",
            "products": ["pkg:npm/foo@1.0.0"],
            "subcomponents": ["pkg:npm/bar@2.0.0"],
            "status": "not_affected",
            "justification": "component_not_present"
          }, {
            "vulnerability": "CVE-2023-9999",
            "products": ["pkg:npm/foo@1.0.0", "pkg:npm/baz"],
            "status": "fixed"
          }]
        }"#);
        assert_eq!(d.statements[0].products, vec!["pkg:npm/bar@2.0.0"]);
        assert!(
            d.not_affected(&["CVE-2023-1234"], "pkg:npm/bar@2.0.0")
                .is_some()
        );
        assert!(
            d.not_affected(&["CVE-2023-1234"], "pkg:npm/foo@1.0.0")
                .is_none()
        );
        assert_eq!(d.statements[1].status, VexStatus::Fixed);
        assert!(d.statements[1].applies_to("pkg:npm/baz@9.9.9"));
        assert!(!d.statements[1].applies_to("pkg:npm/foo@1.0.1"));
    }

    #[test]
    fn reads_in_toto_wrapped_openvex() {
        let wrapped = format!(
            r#"{{"_type": "https://in-toto.io/Statement/v0.1",
                "predicateType": "https://openvex.dev/ns/v0.2.0",
                "subject": [{{"name": "ghcr.io/example/app"}}],
                "predicate": {OPENVEX}}}"#
        );
        assert_eq!(doc(&wrapped).statements.len(), 4);
        let bad = r#"{"predicateType": "https://openvex.dev/ns/v0.2.0",
                      "predicate": {"statements": [{"status": "fixed"}]}}"#;
        assert_eq!(invalid_path(bad), "predicate.statements[0].vulnerability");
    }

    #[test]
    fn later_statements_override_earlier_ones() {
        // Document order says fixed-then-affected; timestamps say the reverse.
        let d = doc(r#"{
          "@context": "https://openvex.dev/ns/v0.2.0",
          "timestamp": "2024-01-10T00:00:00Z",
          "statements": [
            {"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:apk/wolfi/git"}],
             "status": "not_affected", "justification": "inline_mitigations_already_exist",
             "timestamp": "2024-01-05T00:00:00+02:00"},
            {"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:apk/wolfi/git"}],
             "status": "under_investigation", "timestamp": "2024-01-01T00:00:00Z"},
            {"vulnerability": {"name": "CVE-2"}, "products": [{"@id": "pkg:apk/wolfi/git"}],
             "status": "not_affected"},
            {"vulnerability": {"name": "CVE-2"}, "products": [{"@id": "pkg:apk/wolfi/git@2.39.0-r1"}],
             "status": "affected"}
          ]
        }"#);
        let git = "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64";
        let s = d
            .not_affected(&["CVE-1"], git)
            .expect("the newer statement");
        assert_eq!(
            s.justification.as_deref(),
            Some("inline_mitigations_already_exist")
        );
        // Equal (inherited) timestamps keep document order: the later `affected` wins for
        // 2.39.0-r1, the earlier statement still covers other versions.
        assert!(d.not_affected(&["CVE-2"], git).is_none());
        assert!(
            d.not_affected(&["CVE-2"], "pkg:apk/wolfi/git@2.40.0-r0")
                .is_some()
        );
    }

    #[test]
    fn merge_lets_later_documents_override() {
        let mut d = doc(OPENVEX);
        let later = doc(r#"{"@context": "https://openvex.dev/ns/v0.2.0",
            "timestamp": "2020-01-01T00:00:00Z",
            "statements": [{"vulnerability": {"name": "GHSA-jfh8-c2jp-5v3q"},
              "products": [{"@id": "pkg:maven/org.apache.logging.log4j/log4j-core"}],
              "status": "affected"}]}"#);
        let log4j = "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1";
        assert!(d.not_affected(&["CVE-2021-44228"], log4j).is_some());
        d.merge(later);
        assert_eq!(d.statements.len(), 5);
        assert!(
            d.not_affected(&["CVE-2021-44228", "GHSA-jfh8-c2jp-5v3q"], log4j)
                .is_none()
        );
    }

    #[test]
    fn drops_statements_left_with_nothing_to_match() {
        let d = doc(
            r#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
            {"vulnerability": {"name": "CVE-1"}, "status": "not_affected",
             "products": [{"@id": "pkg:npm/%zz"}]},
            {"vulnerability": {"name": "CVE-2"}, "status": "not_affected",
             "products": [{"@id": "pkg:oci/app", "subcomponents": [{"@id": "pkg:oci/base"}]}]},
            {"vulnerability": {"name": "CVE-3"}, "status": "not_affected",
             "products": [{"@id": "pkg:npm/%zz"}, {"@id": "pkg:npm/ok"}]}
        ]}"#,
        );
        assert_eq!(d.statements.len(), 1);
        assert_eq!(d.statements[0].products, vec!["pkg:npm/ok"]);
    }

    const CYCLONEDX: &str = r#"{
      "bomFormat": "CycloneDX",
      "specVersion": "1.5",
      "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
      "version": 1,
      "metadata": {
        "component": {"type": "container", "bom-ref": "image", "name": "ghcr.io/example/app"}
      },
      "components": [
        {"type": "library", "bom-ref": "lib-jackson", "name": "jackson-databind",
         "purl": "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10",
         "components": [
           {"type": "library", "bom-ref": "nested-lodash", "name": "lodash",
            "purl": "pkg:npm/lodash@4.17.20"}
         ]},
        {"type": "library", "bom-ref": "no-purl", "name": "mystery"}
      ],
      "vulnerabilities": [
        {"id": "CVE-2020-25649",
         "references": [{"id": "GHSA-288c-cq4h-88gq", "source": {"name": "GitHub"}}],
         "analysis": {"state": "not_affected", "justification": "code_not_reachable",
                      "response": ["will_not_fix"], "detail": "Not reachable."},
         "affects": [{"ref": "lib-jackson"}]},
        {"id": "CVE-2021-23337",
         "analysis": {"state": "false_positive"},
         "affects": [{"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#nested-lodash"}]},
        {"id": "CVE-2022-0001",
         "analysis": {"state": "resolved"},
         "affects": [{"ref": "pkg:deb/debian/bash@5.2.15-2%2Bb2"}]},
        {"id": "CVE-2022-0002", "analysis": {"state": "exploitable"},
         "affects": [{"ref": "image"}]},
        {"id": "CVE-2022-0003", "analysis": {"state": "in_triage"}},
        {"id": "CVE-2022-0004", "ratings": [{"severity": "high"}],
         "affects": [{"ref": "lib-jackson"}]},
        {"id": "CVE-2022-0005", "analysis": {"state": "not_affected"},
         "affects": [{"ref": "no-purl"}, {"ref": "unknown-ref"}]},
        {"id": "CVE-2022-0006", "analysis": {"state": "not_affected"},
         "affects": [{"ref": "urn:cdx:0f0f0f0f-395b-41f5-a30f-a58921a69b79/2#pkg%3Apypi%2Fjinja2%403.1.2"}]},
        {"id": "CVE-2022-0007", "analysis": {"state": "resolved_with_pedigree"},
         "affects": [{"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1"}]}
      ]
    }"#;

    #[test]
    fn reads_cyclonedx_vex() {
        let d = doc(CYCLONEDX);
        let ids: Vec<&str> = d
            .statements
            .iter()
            .map(|s| s.vulnerability.as_str())
            .collect();
        // No analysis: a listing, not a statement. Only unresolvable refs: dropped.
        assert_eq!(
            ids,
            [
                "CVE-2020-25649",
                "CVE-2021-23337",
                "CVE-2022-0001",
                "CVE-2022-0002",
                "CVE-2022-0003",
                "CVE-2022-0006",
                "CVE-2022-0007"
            ]
        );
        let jackson = &d.statements[0];
        assert_eq!(jackson.aliases, vec!["GHSA-288c-cq4h-88gq"]);
        assert_eq!(
            jackson.products,
            vec!["pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10"]
        );
        assert_eq!(jackson.justification.as_deref(), Some("code_not_reachable"));
        assert_eq!(jackson.detail.as_deref(), Some("Not reachable."));
        let statuses: Vec<VexStatus> = d.statements.iter().map(|s| s.status).collect();
        assert_eq!(
            statuses,
            [
                VexStatus::NotAffected,
                VexStatus::NotAffected,
                VexStatus::Fixed,
                VexStatus::Affected,
                VexStatus::UnderInvestigation,
                VexStatus::NotAffected,
                VexStatus::Fixed
            ]
        );
        // The subject and a BOM-Link to a whole BOM cover every package; so does no `affects`.
        assert!(d.statements[3].products.is_empty());
        assert!(d.statements[4].products.is_empty());
        assert!(d.statements[6].products.is_empty());
    }

    #[test]
    fn cyclonedx_refs_resolve_to_purls() {
        let d = doc(CYCLONEDX);
        assert!(
            d.not_affected(
                &["GHSA-288c-cq4h-88gq"],
                "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10"
            )
            .is_some()
        );
        assert!(
            d.not_affected(&["CVE-2021-23337"], "pkg:npm/lodash@4.17.20")
                .is_some()
        );
        assert!(
            d.not_affected(&["CVE-2021-23337"], "pkg:npm/lodash@4.17.21")
                .is_none()
        );
        assert!(
            d.not_affected(&["CVE-2022-0006"], "pkg:pypi/Jinja2@3.1.2")
                .is_some()
        );
        assert_eq!(
            d.decision(
                &["CVE-2022-0001"],
                "pkg:deb/debian/bash@5.2.15-2+b2?arch=amd64"
            )
            .map(|s| s.status),
            Some(VexStatus::Fixed)
        );
    }

    #[test]
    fn cyclonedx_without_vulnerabilities_is_empty() {
        let d = doc(r#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": []}"#);
        assert!(d.statements.is_empty());
    }

    #[test]
    fn errors_name_the_file_and_place() {
        let err =
            parse("a/vex.json", b"{\n  \"statements\": [\n    oops\n  ]\n}").expect_err("not JSON");
        assert!(
            matches!(
                err,
                VexError::Document(DocumentError::Json {
                    line: 3,
                    column: 5,
                    ..
                })
            ),
            "{err:?}"
        );
        assert!(err.to_string().starts_with("a/vex.json:3:5: "), "{err}");

        let err = parse("b.json", br#"{"hello": "world"}"#).expect_err("not VEX");
        assert!(matches!(err, VexError::UnknownFormat { .. }));
        assert_eq!(
            err.to_string(),
            "b.json: not a VEX document (no OpenVEX @context, no CycloneDX bomFormat)"
        );
        let err = parse("c.json", b"[1, 2]").expect_err("not VEX");
        assert!(matches!(err, VexError::UnknownFormat { .. }));

        let ov = |statement: &str| {
            format!(
                r#"{{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{statement}]}}"#
            )
        };
        assert_eq!(
            invalid_path(&ov(
                r#"{"vulnerability": {"name": "CVE-1"}, "status": "maybe"}"#
            )),
            "statements[0].status"
        );
        assert_eq!(
            invalid_path(&ov(r#"{"vulnerability": {"name": "CVE-1"}}"#)),
            "statements[0].status"
        );
        assert_eq!(
            invalid_path(&ov(
                r#"{"vulnerability": {"aliases": ["x"]}, "status": "fixed"}"#
            )),
            "statements[0].vulnerability.name"
        );
        assert_eq!(
            invalid_path(&ov(
                r#"{"vulnerability": "CVE-1", "status": "fixed", "timestamp": "yesterday"}"#
            )),
            "statements[0].timestamp"
        );
        assert_eq!(invalid_path(&ov("7")), "statements[0]");
        assert_eq!(
            invalid_path(r#"{"@context": "https://openvex.dev/ns", "statements": {}}"#),
            "statements"
        );
        let err = parse(
            "d.json",
            br#"{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "X", "analysis": {"state": "fine"}}]}"#,
        )
        .expect_err("unknown state");
        assert_eq!(
            err.to_string(),
            "d.json: vulnerabilities[0].analysis.state: unknown state `fine`"
        );
        assert_eq!(
            invalid_path(
                r#"{"bomFormat": "CycloneDX", "vulnerabilities": [{"analysis": {"state": "resolved"}}]}"#
            ),
            "vulnerabilities[0].id"
        );
    }

    #[test]
    fn refuses_oversized_documents_and_deep_nesting() {
        let err = parse_limited("big.json", &[b' '; 100], 99).expect_err("too large");
        assert!(
            matches!(
                err,
                VexError::Document(DocumentError::TooLarge {
                    size: 100,
                    limit: 99,
                    ..
                })
            ),
            "{err:?}"
        );
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let err = parse("deep.json", deep.as_bytes()).expect_err("too deep");
        assert!(
            matches!(err, VexError::Document(DocumentError::Json { .. })),
            "{err:?}"
        );
    }

    #[test]
    fn accepts_a_byte_order_mark() {
        let with_bom = format!("\u{feff}{OPENVEX}");
        assert_eq!(doc(&with_bom).statements.len(), 4);
    }

    /// Every node of `v`, replaced in turn by each value of `with`, handed to `f`.
    fn each_mutation(v: &Value, with: &[Value], f: &mut dyn FnMut(&Value)) {
        fn paths(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
            out.push(at.clone());
            match v {
                Value::Object(o) => {
                    for (k, child) in o {
                        at.push(k.clone());
                        paths(child, at, out);
                        at.pop();
                    }
                }
                Value::Array(a) => {
                    for (i, child) in a.iter().enumerate() {
                        at.push(i.to_string());
                        paths(child, at, out);
                        at.pop();
                    }
                }
                _ => {}
            }
        }
        let mut all = Vec::new();
        paths(v, &mut Vec::new(), &mut all);
        for path in all {
            for replacement in with {
                let mut copy = v.clone();
                let mut node = &mut copy;
                for step in &path {
                    node = match node {
                        Value::Object(o) => o.get_mut(step).expect("a key on the path"),
                        Value::Array(a) => {
                            let i: usize = step.parse().expect("an index on the path");
                            &mut a[i]
                        }
                        _ => unreachable!("paths only descend into containers"),
                    };
                }
                *node = replacement.clone();
                f(&copy);
            }
        }
    }

    #[test]
    fn wrong_types_anywhere_never_panic() {
        let with = [
            Value::Null,
            Value::from(7),
            Value::from("pkg:"),
            Value::from("urn:cdx:x#"),
            Value::Array(vec![Value::Null]),
            Value::Object(Map::new()),
        ];
        for fixture in [OPENVEX, CYCLONEDX] {
            let v: Value = serde_json::from_str(fixture).expect("fixture JSON");
            each_mutation(&v, &with, &mut |mutated| {
                let bytes = serde_json::to_vec(mutated).expect("serialisable");
                if let Ok(d) = parse("m.json", &bytes) {
                    let _ = d.not_affected(&["CVE-2021-44228"], "pkg:npm/x@1");
                }
            });
        }
    }

    #[test]
    fn garbage_never_panics() {
        for garbage in [
            &b""[..],
            b"null",
            b"\"@context\"",
            b"{\"@context\": 5}",
            b"{\"@context\": [\"https://openvex.dev/ns/v0.2.0\"], \"statements\": null}",
            b"{\"bomFormat\": \"CycloneDX\", \"vulnerabilities\": [null]}",
            b"\xff\xfe{}",
            b"{\"predicateType\": \"https://openvex.dev/ns\", \"predicate\": 1}",
        ] {
            let _ = parse("g.json", garbage);
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse("p.json", &data);
        }

        #[test]
        fn arbitrary_product_strings_never_panic(
            product in "\\PC{0,40}",
            package in "pkg:[a-z]{1,5}/[a-zA-Z@%/._-]{0,20}",
        ) {
            let json = serde_json::json!({
                "@context": "https://openvex.dev/ns/v0.2.0",
                "statements": [{"vulnerability": {"name": "CVE-1"}, "status": "not_affected",
                                "products": [product]}]
            });
            if let Ok(d) = parse("p.json", json.to_string().as_bytes()) {
                let _ = d.not_affected(&["CVE-1"], &package);
            }
        }
    }
}
