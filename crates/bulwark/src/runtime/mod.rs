//! The runtime sensor composed: sensor events through the rule engine into alerts, with noise
//! control, sinks and metrics. The sensor (`bulwark-sensor`) and the rule language
//! (`bulwark-rules`) know nothing of each other; this module joins them.

pub mod adapter;
pub mod context;
pub mod metrics;
pub mod noise;
pub mod pipeline;
pub mod sinks;

/// Bulwark's default runtime rules (docs/runtime-rules.md).
pub const DEFAULT_RULES: &str = include_str!("../../../bulwark-sensor/rules/bulwark_rules.yaml");

/// How the default rules are named in diagnostics.
pub const DEFAULT_RULES_NAME: &str = "bulwark_rules.yaml (built in)";

#[cfg(test)]
mod tests;
