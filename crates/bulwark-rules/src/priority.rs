//! Rule priorities, as Falco names and orders them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A rule's priority, from the most to the least severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Priority {
    /// The system is unusable.
    Emergency,
    /// Action must be taken immediately.
    Alert,
    /// Critical conditions.
    Critical,
    /// Error conditions.
    Error,
    /// Warning conditions.
    Warning,
    /// Normal but significant.
    Notice,
    /// Informational (`INFO` in rule files too).
    Informational,
    /// Debugging.
    Debug,
}

impl Priority {
    /// Every priority, most severe first.
    pub const ALL: [Priority; 8] = [
        Priority::Emergency,
        Priority::Alert,
        Priority::Critical,
        Priority::Error,
        Priority::Warning,
        Priority::Notice,
        Priority::Informational,
        Priority::Debug,
    ];

    /// Parses a priority as Falco does: case-insensitively, `INFO` for `INFORMATIONAL`.
    pub fn parse(s: &str) -> Option<Priority> {
        let l = s.to_ascii_lowercase();
        Some(match l.as_str() {
            "emergency" => Priority::Emergency,
            "alert" => Priority::Alert,
            "critical" => Priority::Critical,
            "error" => Priority::Error,
            "warning" => Priority::Warning,
            "notice" => Priority::Notice,
            "informational" | "info" => Priority::Informational,
            "debug" => Priority::Debug,
            _ => return None,
        })
    }

    /// The name Falco prints in alerts (`Warning`, `Informational`).
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Emergency => "Emergency",
            Priority::Alert => "Alert",
            Priority::Critical => "Critical",
            Priority::Error => "Error",
            Priority::Warning => "Warning",
            Priority::Notice => "Notice",
            Priority::Informational => "Informational",
            Priority::Debug => "Debug",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_case_insensitively_with_info_alias() {
        assert_eq!(Priority::parse("WARNING"), Some(Priority::Warning));
        assert_eq!(Priority::parse("warning"), Some(Priority::Warning));
        assert_eq!(Priority::parse("Info"), Some(Priority::Informational));
        assert_eq!(
            Priority::parse("INFORMATIONAL"),
            Some(Priority::Informational)
        );
        assert_eq!(Priority::parse("EMERGENCY"), Some(Priority::Emergency));
        assert_eq!(Priority::parse("Alert"), Some(Priority::Alert));
        assert_eq!(Priority::parse("critical"), Some(Priority::Critical));
        assert_eq!(Priority::parse("ERROR"), Some(Priority::Error));
        assert_eq!(Priority::parse("notice"), Some(Priority::Notice));
        assert_eq!(Priority::parse("DEBUG"), Some(Priority::Debug));
        assert_eq!(Priority::parse("severe"), None);
    }

    #[test]
    fn orders_most_severe_first() {
        assert!(Priority::Emergency < Priority::Debug);
        assert!(Priority::Warning < Priority::Notice);
        assert_eq!(Priority::Informational.to_string(), "Informational");
    }
}
