use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; not a weakness by itself.
    Info,
    /// A hardening gap with little direct impact.
    Low,
    /// A weakness an attacker can use as one step of an attack.
    Medium,
    /// A weakness that gives an attacker significant access on its own.
    High,
    /// A weakness that hands over the node, the cluster or its secrets.
    Critical,
}

impl Severity {
    /// Every severity, from the most to the least severe.
    pub const ALL_DESCENDING: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// The lowercase name used in JSON and configuration (`high`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The uppercase label used in tables (`HIGH`).
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "INFO",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// The SARIF `level` for a result of this severity.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low | Severity::Info => "note",
        }
    }

    /// The numeric `security-severity` GitHub code scanning reads from a SARIF rule
    /// (>= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low).
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Critical => "9.5",
            Severity::High => "8.0",
            Severity::Medium => "5.5",
            Severity::Low => "3.0",
            Severity::Info => "0.0",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no severity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity {given:?}: expected one of critical, high, medium, low, info")]
pub struct ParseSeverityError {
    /// The text that was given.
    pub given: String,
}

impl FromStr for Severity {
    type Err = ParseSeverityError;

    /// Parses a severity name, ignoring ASCII case (`HIGH`, `high`, `High`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Ok(match lower.as_str() {
            "info" | "informational" => Severity::Info,
            "low" => Severity::Low,
            "medium" | "moderate" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => {
                return Err(ParseSeverityError {
                    given: s.to_string(),
                });
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_runs_from_info_to_critical() {
        let mut all = Severity::ALL_DESCENDING.to_vec();
        all.sort();
        assert_eq!(
            all,
            [
                Severity::Info,
                Severity::Low,
                Severity::Medium,
                Severity::High,
                Severity::Critical
            ]
        );
    }

    #[test]
    fn parses_any_case_and_round_trips() {
        for s in Severity::ALL_DESCENDING {
            assert_eq!(s.label().parse::<Severity>(), Ok(s));
            assert_eq!(s.as_str().parse::<Severity>(), Ok(s));
            let json = serde_json::to_string(&s).expect("serialise");
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        let err = "severe".parse::<Severity>().expect_err("not a severity");
        assert!(err.to_string().contains("\"severe\""), "{err}");
    }
}
