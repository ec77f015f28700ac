//! Kubernetes label selectors (`matchLabels` and `matchExpressions`), as NetworkPolicy,
//! AdminNetworkPolicy, aggregated ClusterRoles and mesh policies write them.

use std::collections::BTreeMap;
use std::fmt;

use bulwark_yaml::{Node, Pos};

/// Labels of one object, sorted by key.
pub type Labels = BTreeMap<String, String>;

/// One `matchExpressions` requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// `key In [values]`: the label is present with one of the values.
    In(String, Vec<String>),
    /// `key NotIn [values]`: the label is absent or has none of the values.
    NotIn(String, Vec<String>),
    /// `key Exists`.
    Exists(String),
    /// `key DoesNotExist`.
    DoesNotExist(String),
}

/// A label selector. The empty selector matches everything; a selector is the AND of all its
/// labels and requirements.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelSelector {
    /// `matchLabels`, as requirements `key = value`.
    pub match_labels: Vec<(String, String)>,
    /// `matchExpressions`.
    pub expressions: Vec<Requirement>,
}

/// Why a selector could not be read. The API server rejects such objects, so analyses report
/// them and treat the selector as matching nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError {
    /// Where the bad part is.
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.pos.line, self.message)
    }
}

impl std::error::Error for SelectorError {}

impl LabelSelector {
    /// The selector that matches everything (`{}`).
    pub fn everything() -> LabelSelector {
        LabelSelector::default()
    }

    /// Reads a `LabelSelector` mapping. A null node (`podSelector:` with no value) is the empty
    /// selector, as the API server reads it.
    pub fn parse(node: &Node) -> Result<LabelSelector, SelectorError> {
        let mut s = LabelSelector::default();
        if node.is_null() {
            return Ok(s);
        }
        if node.as_map().is_none() {
            return Err(SelectorError {
                pos: node.pos,
                message: format!("a label selector must be a mapping, not {node}"),
            });
        }
        if let Some(ml) = node.get("matchLabels").filter(|n| !n.is_null()) {
            let Some(entries) = ml.as_map() else {
                return Err(SelectorError {
                    pos: ml.pos,
                    message: "matchLabels must be a mapping".into(),
                });
            };
            for e in entries {
                let value = e
                    .value
                    .as_str()
                    .map_or_else(|| scalar_text(&e.value), |v| Some(v.to_string()));
                let Some(value) = value else {
                    return Err(SelectorError {
                        pos: e.value.pos,
                        message: format!("matchLabels value of {:?} must be a string", e.key),
                    });
                };
                s.match_labels.push((e.key.to_string(), value));
            }
        }
        if let Some(exprs) = node.get("matchExpressions").filter(|n| !n.is_null()) {
            let Some(items) = exprs.as_seq() else {
                return Err(SelectorError {
                    pos: exprs.pos,
                    message: "matchExpressions must be a list".into(),
                });
            };
            for item in items {
                s.expressions.push(parse_requirement(item)?);
            }
        }
        Ok(s)
    }

    /// Whether the selector is `{}`, matching everything.
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.expressions.is_empty()
    }

    /// Whether `labels` satisfy every requirement.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.expressions.iter().all(|r| match r {
                Requirement::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
                Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
                Requirement::Exists(k) => labels.contains_key(k),
                Requirement::DoesNotExist(k) => !labels.contains_key(k),
            })
    }
}

impl fmt::Display for LabelSelector {
    /// `{}` for the empty selector, else `app=web,tier in (a,b),!debug`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("{}");
        }
        let mut parts: Vec<String> = self
            .match_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for r in &self.expressions {
            parts.push(match r {
                Requirement::In(k, vs) => format!("{k} in ({})", vs.join(",")),
                Requirement::NotIn(k, vs) => format!("{k} notin ({})", vs.join(",")),
                Requirement::Exists(k) => k.clone(),
                Requirement::DoesNotExist(k) => format!("!{k}"),
            });
        }
        f.write_str(&parts.join(","))
    }
}

fn scalar_text(n: &Node) -> Option<String> {
    n.as_scalar().map(|s| s.text.to_string())
}

fn parse_requirement(item: &Node) -> Result<Requirement, SelectorError> {
    let err = |pos: Pos, message: String| SelectorError { pos, message };
    let key = item
        .get("key")
        .and_then(Node::as_str)
        .ok_or_else(|| err(item.pos, "a matchExpressions entry needs a key".into()))?
        .to_string();
    let op_node = item.get("operator").ok_or_else(|| {
        err(
            item.pos,
            format!("matchExpressions entry {key:?} has no operator"),
        )
    })?;
    let op = op_node.as_str().unwrap_or("");
    let values: Vec<String> = match item.get("values").filter(|n| !n.is_null()) {
        None => Vec::new(),
        Some(v) => v
            .as_seq()
            .ok_or_else(|| err(v.pos, "values must be a list".into()))?
            .iter()
            .map(|n| scalar_text(n).unwrap_or_default())
            .collect(),
    };
    match op {
        "In" | "NotIn" if values.is_empty() => Err(err(
            item.pos,
            format!("operator {op} on {key:?} needs at least one value"),
        )),
        "Exists" | "DoesNotExist" if !values.is_empty() => Err(err(
            item.pos,
            format!("operator {op} on {key:?} takes no values"),
        )),
        "In" => Ok(Requirement::In(key, values)),
        "NotIn" => Ok(Requirement::NotIn(key, values)),
        "Exists" => Ok(Requirement::Exists(key)),
        "DoesNotExist" => Ok(Requirement::DoesNotExist(key)),
        other => Err(err(
            op_node.pos,
            format!("unknown selector operator {other:?} (In, NotIn, Exists, DoesNotExist)"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limits, parse_yaml};

    fn sel(y: &str) -> Result<LabelSelector, SelectorError> {
        let node = parse_yaml(y, &Limits::default()).remove(0).unwrap();
        LabelSelector::parse(&node)
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn empty_matches_everything_and_labels_are_anded() {
        assert!(sel("{}").unwrap().matches(&labels(&[])));
        let s = sel("matchLabels: {app: web, tier: fe}").unwrap();
        assert!(s.matches(&labels(&[("app", "web"), ("tier", "fe"), ("x", "y")])));
        assert!(!s.matches(&labels(&[("app", "web")])));
    }

    #[test]
    fn expressions_follow_kubernetes_semantics() {
        let s = sel("matchExpressions: [{key: env, operator: NotIn, values: [prod]}]").unwrap();
        assert!(s.matches(&labels(&[])), "NotIn matches an absent label");
        assert!(!s.matches(&labels(&[("env", "prod")])));
        let s = sel("matchExpressions: [{key: env, operator: In, values: [a, b]}, {key: x, operator: DoesNotExist}]").unwrap();
        assert!(s.matches(&labels(&[("env", "b")])));
        assert!(!s.matches(&labels(&[("env", "b"), ("x", "1")])));
        assert!(!s.matches(&labels(&[])));
        assert_eq!(s.to_string(), "env in (a,b),!x");
    }

    #[test]
    fn invalid_selectors_are_errors_with_a_line() {
        let e = sel("matchExpressions:\n- {key: a, operator: Equals, values: [b]}").unwrap_err();
        assert_eq!(e.pos.line, 2);
        assert!(e.message.contains("Equals"), "{e}");
        assert!(sel("matchExpressions: [{key: a, operator: In}]").is_err());
        assert!(sel("matchExpressions: [{key: a, operator: Exists, values: [x]}]").is_err());
    }
}
