//! Rules are data: YAML files of patterns with keywords, thresholds and tested examples.

use std::fmt;

use bulwark_model::Severity;
use bulwark_yaml::{Limits, Node, parse_yaml};
use regex::bytes::{Regex, RegexBuilder};

/// How sure a match of a rule is to be a real secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    /// A generic pattern: key names and value shape only.
    Low,
    /// A provider format that needs its context to be told apart.
    Medium,
    /// An unmistakable provider format (prefix, length, alphabet).
    High,
}

impl Confidence {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// How a rule's captured value is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// A provider format: the pattern decides (plus placeholder and entropy filters).
    Specific,
    /// A `password = value` style assignment: the value is classified as a placeholder, a
    /// well-known default password, or a secret.
    Password,
    /// A `secret|token|key = value` style assignment: the value must look random.
    Generic,
}

/// One secret rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Stable id (`GH001`).
    pub id: String,
    /// Stable slug (`github-personal-access-token`).
    pub name: String,
    /// One-line title.
    pub title: String,
    /// The family (rule file) it belongs to.
    pub family: String,
    /// The pattern as written.
    pub pattern: String,
    /// The compiled pattern and the index of the capture group that holds the secret, built
    /// on first use: most rules never meet their keyword in a given scan, and compiling 600
    /// patterns up front would be most of a small scan's time.
    pub(crate) compiled: std::sync::OnceLock<(Regex, usize)>,
    /// Lowercase literals, one of which every match contains.
    pub keywords: Vec<String>,
    /// How sure a match is.
    pub confidence: Confidence,
    /// Severity of findings.
    pub severity: Severity,
    /// How the captured value is judged.
    pub kind: RuleKind,
    /// Minimum Shannon entropy of the value, in bits per character.
    pub min_entropy: Option<f64>,
    /// Minimum randomness score of the value (see [`crate::randomness`]).
    pub min_randomness: Option<f64>,
    /// Whether matches may span lines (private key blocks).
    pub multiline: bool,
    /// Links to the provider's documentation.
    pub references: Vec<String>,
    /// Text that must produce a finding of this rule.
    pub examples: Vec<String>,
    /// Text that must not.
    pub negative_examples: Vec<String>,
    /// Where the rule was defined: `builtin:github.yaml:12` or `FILE:LINE`.
    pub origin: String,
}

/// Why rules could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The rule file is not valid YAML.
    #[error("{origin}: {message}")]
    Yaml {
        /// File and line.
        origin: String,
        /// The parser's message.
        message: String,
    },
    /// A rule or the file is missing a field or has one of the wrong type or value.
    #[error("{origin}: {message}")]
    Field {
        /// File and line of the rule.
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// A pattern does not compile (or is too large).
    #[error("{origin}: rule {id}: pattern does not compile")]
    Pattern {
        /// File and line of the rule.
        origin: String,
        /// The rule.
        id: String,
        /// The compiler's error.
        #[source]
        source: regex::Error,
    },
    /// Two rules share an id or a name.
    #[error("{origin}: rule id or name {id} is already defined at {first}")]
    Duplicate {
        /// The second definition.
        origin: String,
        /// The id or name.
        id: String,
        /// The first definition.
        first: String,
    },
}

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Largest rule file read, in bytes.
const MAX_RULE_FILE: usize = 2 * 1024 * 1024;
/// Longest pattern accepted.
const MAX_PATTERN: usize = 4096;

/// A set of rules with unique ids and names.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// The rules built into the binary.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::default();
        for (file, text) in BUILTIN {
            set.extend(parse_rules_lazily(&format!("builtin:{file}"), text)?)?;
        }
        Ok(set)
    }

    /// Adds rules, refusing ids and names that are already defined.
    pub fn extend(&mut self, rules: Vec<Rule>) -> Result<(), RuleError> {
        for r in rules {
            for key in [&r.id, &r.name] {
                if let Some(first) = self.rules.iter().find(|o| &o.id == key || &o.name == key) {
                    return Err(RuleError::Duplicate {
                        origin: r.origin.clone(),
                        id: key.clone(),
                        first: first.origin.clone(),
                    });
                }
            }
            self.rules.push(r);
        }
        Ok(())
    }

    /// Removes the rules with these ids or names; returns the entries that named none.
    pub fn disable(&mut self, ids: &[String]) -> Vec<String> {
        let unknown = ids
            .iter()
            .filter(|i| !self.rules.iter().any(|r| &r.id == *i || &r.name == *i))
            .cloned()
            .collect();
        self.rules
            .retain(|r| !ids.iter().any(|i| i == &r.id || i == &r.name));
        unknown
    }

    /// The rules, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id, self.name)
    }
}

/// Compiles a rule pattern under the size limits every rule shares, and finds its secret
/// group (`secret`, else group 1, else the whole match).
fn compile(pattern: &str) -> Result<(Regex, usize), regex::Error> {
    let regex = RegexBuilder::new(pattern)
        .size_limit(4 << 20)
        .dfa_size_limit(8 << 20)
        .build()?;
    let group = regex
        .capture_names()
        .position(|c| c == Some("secret"))
        .unwrap_or(usize::from(regex.captures_len() > 1));
    Ok((regex, group))
}

impl Rule {
    /// The compiled pattern and its secret group.
    pub(crate) fn compiled(&self) -> &(Regex, usize) {
        self.compiled.get_or_init(|| {
            // Built-in patterns are compiled by the test suite and user patterns when their
            // file is loaded, so this cannot fail; a pattern that matches nothing is the
            // harmless fallback all the same.
            compile(&self.pattern)
                .unwrap_or_else(|_| (Regex::new(r"[^\x00-\xff]").expect("a valid pattern"), 0))
        })
    }

    /// Compiles the pattern now, reporting a bad one as an error.
    pub(crate) fn validate(&self) -> Result<(), RuleError> {
        if self.compiled.get().is_some() {
            return Ok(());
        }
        let compiled = compile(&self.pattern).map_err(|source| RuleError::Pattern {
            origin: self.origin.clone(),
            id: self.id.clone(),
            source,
        })?;
        let _ = self.compiled.set(compiled);
        Ok(())
    }
}

/// Parses one rule file and compiles its patterns. `label` names it in errors (`FILE` or
/// `builtin:FILE`).
pub fn parse_rules(label: &str, text: &str) -> Result<Vec<Rule>, RuleError> {
    let rules = parse_rules_lazily(label, text)?;
    for r in &rules {
        r.validate()?;
    }
    Ok(rules)
}

/// Parses one rule file, leaving its patterns to be compiled on first use.
fn parse_rules_lazily(label: &str, text: &str) -> Result<Vec<Rule>, RuleError> {
    if text.len() > MAX_RULE_FILE {
        return Err(RuleError::Field {
            origin: label.to_string(),
            message: format!("rule file is larger than {MAX_RULE_FILE} bytes"),
        });
    }
    let limits = Limits {
        max_file_size: MAX_RULE_FILE as u64,
        max_alias_nodes: 0,
        ..Limits::default()
    };
    let mut docs = parse_yaml(text, &limits).into_iter();
    let doc = match docs.next() {
        None => return Ok(Vec::new()),
        Some(Err(e)) => {
            return Err(RuleError::Yaml {
                origin: match e.pos() {
                    Some(p) => format!("{label}:{}", p.line),
                    None => label.to_string(),
                },
                message: e.to_string(),
            });
        }
        Some(Ok(doc)) => doc,
    };
    let at = |n: &Node| format!("{label}:{}", n.pos.line);
    let field_err = |n: &Node, message: String| RuleError::Field {
        origin: at(n),
        message,
    };
    let family = doc
        .get("family")
        .and_then(Node::as_str)
        .ok_or_else(|| field_err(&doc, "missing `family`".to_string()))?
        .to_string();
    let items = doc
        .get("rules")
        .and_then(Node::as_seq)
        .ok_or_else(|| field_err(&doc, "missing `rules` (a list)".to_string()))?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(parse_rule(item, &family, &at(item))?);
    }
    Ok(out)
}

fn parse_rule(n: &Node, family: &str, origin: &str) -> Result<Rule, RuleError> {
    const KNOWN: &[&str] = &[
        "id",
        "name",
        "title",
        "pattern",
        "keywords",
        "confidence",
        "severity",
        "kind",
        "min_entropy",
        "min_randomness",
        "multiline",
        "references",
        "examples",
        "negative_examples",
    ];
    let err = |message: String| RuleError::Field {
        origin: origin.to_string(),
        message,
    };
    if n.as_map().is_none() {
        return Err(err("a rule must be a mapping".to_string()));
    }
    for e in n.as_map().unwrap_or(&[]) {
        if !KNOWN.contains(&e.key.as_str()) {
            return Err(err(format!("unknown key {:?}", e.key.as_str())));
        }
    }
    let string = |key: &str| -> Result<String, RuleError> {
        n.get(key)
            .and_then(Node::as_str)
            .map(str::to_string)
            .ok_or_else(|| err(format!("missing `{key}`")))
    };
    let list = |key: &str| -> Result<Vec<String>, RuleError> {
        match n.get(key) {
            None => Ok(Vec::new()),
            Some(v) => v
                .as_seq()
                .ok_or_else(|| err(format!("`{key}` must be a list")))?
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| err(format!("`{key}` must hold strings")))
                })
                .collect(),
        }
    };
    let number = |key: &str| -> Result<Option<f64>, RuleError> {
        match n.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(Some)
                .ok_or_else(|| err(format!("`{key}` must be a non-negative number"))),
        }
    };
    let id = string("id")?;
    let name = string("name")?;
    let pattern = string("pattern")?;
    if pattern.len() > MAX_PATTERN {
        return Err(err(format!(
            "rule {id}: pattern longer than {MAX_PATTERN} characters"
        )));
    }
    let keywords: Vec<String> = list("keywords")?
        .into_iter()
        .map(|k| k.to_ascii_lowercase())
        .collect();
    if keywords.is_empty() || keywords.iter().any(String::is_empty) {
        return Err(err(format!(
            "rule {id}: `keywords` must list at least one non-empty literal"
        )));
    }
    let confidence = match string("confidence")?.as_str() {
        "high" => Confidence::High,
        "medium" => Confidence::Medium,
        "low" => Confidence::Low,
        other => {
            return Err(err(format!(
                "rule {id}: confidence {other:?} is not high, medium or low"
            )));
        }
    };
    let severity = match n.get("severity").and_then(Node::as_str) {
        None => Severity::High,
        Some(s) => s
            .parse::<Severity>()
            .map_err(|e| err(format!("rule {id}: {e}")))?,
    };
    let kind = match n.get("kind").and_then(Node::as_str) {
        None | Some("specific") => RuleKind::Specific,
        Some("password") => RuleKind::Password,
        Some("generic") => RuleKind::Generic,
        Some(other) => {
            return Err(err(format!(
                "rule {id}: kind {other:?} is not specific, password or generic"
            )));
        }
    };
    Ok(Rule {
        title: string("title")?,
        family: family.to_string(),
        pattern,
        compiled: std::sync::OnceLock::new(),
        keywords,
        confidence,
        severity,
        kind,
        min_entropy: number("min_entropy")?,
        min_randomness: number("min_randomness")?,
        multiline: n.get("multiline").and_then(Node::as_bool).unwrap_or(false),
        references: list("references")?,
        examples: list("examples")?,
        negative_examples: list("negative_examples")?,
        origin: origin.to_string(),
        id,
        name,
    })
}
