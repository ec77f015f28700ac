//! The secrets engine: rules as data with tested examples, a keyword prefilter, randomness and
//! placeholder filters, over byte streams.
//!
//! [`RuleSet::builtin`] loads the rule files embedded from `rules/` (one per provider family);
//! users add their own with [`parse_rules`]. A [`Scanner`] finds the rules' keywords with one
//! Aho-Corasick pass, runs each rule's pattern only around its keywords, judges the captured
//! value (placeholder, documented example, weak password, randomness) and keeps one match per
//! stretch of text. [`check_rules`] runs every rule's examples: `bulwark rules check`.

pub mod randomness;
mod rules;
mod scanner;
pub mod values;

use bulwark_model::Fingerprint;

pub use rules::{Confidence, Rule, RuleError, RuleKind, RuleSet, parse_rules};
pub use scanner::{ALLOW_MARKER, Context, Scanner, SecretKind, SecretMatch, looks_binary};

/// The fingerprint of a secret: a hash of the rule and the value, so the same secret has the
/// same fingerprint wherever it appears, and a baseline survives line moves.
pub fn fingerprint(rule_id: &str, value: &[u8]) -> String {
    Fingerprint::new(rule_id).bytes(value).finish()
}

/// How a secret is shown when `--show-secrets` is off: never any of its characters.
pub fn redacted(value: &[u8]) -> String {
    format!(
        "[redacted, {} characters]",
        String::from_utf8_lossy(value).chars().count()
    )
}

/// A rule whose examples do not behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleProblem {
    /// The rule's id.
    pub id: String,
    /// Where the rule is defined.
    pub origin: String,
    /// What is wrong.
    pub message: String,
}

/// Runs every rule's `examples` (each must produce a finding of that rule) and
/// `negative_examples` (none may), each rule on its own, through the whole pipeline
/// (placeholder, weak-password and randomness judgement included). Rules without examples are
/// problems too.
pub fn check_rules(set: &RuleSet) -> Vec<RuleProblem> {
    let mut problems = Vec::new();
    for rule in set.rules() {
        let problem = |message: String| RuleProblem {
            id: rule.id.clone(),
            origin: rule.origin.clone(),
            message,
        };
        if let Err(e) = rule.validate() {
            problems.push(problem(e.to_string()));
            continue;
        }
        let mut one = RuleSet::default();
        if let Err(e) = one.extend(vec![rule.clone()]) {
            problems.push(problem(e.to_string()));
            continue;
        }
        let scanner = Scanner::new(&one);
        if rule.examples.is_empty() {
            problems.push(problem("has no examples".to_string()));
        }
        if rule.negative_examples.is_empty() {
            problems.push(problem("has no negative examples".to_string()));
        }
        for ex in &rule.examples {
            if scanner.scan(ex.as_bytes(), &Context::default()).is_empty() {
                problems.push(problem(format!("example finds nothing: {ex:?}")));
            }
        }
        for ex in &rule.negative_examples {
            if !scanner.scan(ex.as_bytes(), &Context::default()).is_empty() {
                problems.push(problem(format!("negative example finds a secret: {ex:?}")));
            }
        }
    }
    problems
}
