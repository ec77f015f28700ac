//! Kubernetes API-server audit events through the rule engine (the `k8s_audit` source).
//!
//! The audit-log detector hands every audit `Event` (a JSON object as the API server writes it,
//! one per line of a log file or one item of a webhook's `EventList`) to
//! [`bulwark_rules::RuleSet`] through [`adapter::AuditEvent`], which answers Falco's `ka.*` and
//! `jevt.*` fields the way Falco's k8saudit and json plugins do. The tests replay Falco 0.35.1's
//! k8s-audit regression suite (`falco_k8s_audit_tests.yaml`) with Falco's own rule files.

pub mod adapter;
pub mod failures;
pub mod sessions;

#[cfg(test)]
mod tests;
