//! AU015, many failed requests from one identity: a count over time that a rule condition cannot
//! express. Requests answered 401 or 403 are counted per identity (user name, or the source
//! address for unauthenticated ones) in a sliding window on the events' own clock, so replaying
//! a log file finds what following it live would. Reaching the threshold gives one alert and
//! starts a new count, so a sustained attack gives one alert per threshold's worth of failures.

use std::collections::{BTreeMap, HashMap, VecDeque};

use bulwark_rules::{Alert, Priority, Source, iso8601, time_of_day};
use serde_json::Value;

/// The rule's name and tags, as the other audit rules carry them.
pub const RULE: &str = "Many failed requests from one identity";
const TAGS: [&str; 5] = ["AU015", "T1110", "authn", "k8s", "mitre_credential_access"];

/// At most this many identities are tracked; beyond, the oldest idle ones are forgotten.
const MAX_IDENTITIES: usize = 100_000;

/// Counts failures per identity.
#[derive(Debug)]
pub struct FailureTracker {
    threshold: usize,
    window_ns: u64,
    seen: HashMap<String, VecDeque<u64>>,
}

impl FailureTracker {
    /// Alert when `threshold` failures of one identity fall within `window_secs`.
    pub fn new(threshold: usize, window_secs: u64) -> FailureTracker {
        FailureTracker {
            threshold: threshold.max(1),
            window_ns: window_secs.saturating_mul(1_000_000_000),
            seen: HashMap::new(),
        }
    }

    /// Looks at one audit event, at `time_ns`; an alert when it completes a burst.
    pub fn observe(&mut self, event: &Value, time_ns: u64, hostname: &str) -> Option<Alert> {
        // judge a request once, when complete (events without a stage are taken as they are)
        if event
            .get("stage")
            .and_then(Value::as_str)
            .is_some_and(|s| s != "ResponseComplete")
        {
            return None;
        }
        let code = event
            .pointer("/responseStatus/code")
            .and_then(Value::as_i64)?;
        if code != 401 && code != 403 {
            return None;
        }
        let user = event
            .pointer("/user/username")
            .and_then(Value::as_str)
            .unwrap_or("");
        let source = event
            .pointer("/sourceIPs/0")
            .and_then(Value::as_str)
            .unwrap_or("");
        let identity = if user.is_empty() || user == "system:anonymous" {
            format!("system:anonymous@{source}")
        } else {
            user.to_string()
        };
        if self.seen.len() >= MAX_IDENTITIES && !self.seen.contains_key(&identity) {
            self.forget_idle(time_ns);
        }
        let times = self.seen.entry(identity.clone()).or_default();
        times.push_back(time_ns);
        while times
            .front()
            .is_some_and(|&t| time_ns.saturating_sub(t) > self.window_ns)
        {
            times.pop_front();
        }
        if times.len() < self.threshold {
            return None;
        }
        let first = times.front().copied().unwrap_or(time_ns);
        let count = times.len();
        times.clear();
        Some(alert(
            &identity,
            user,
            source,
            code,
            count,
            first,
            time_ns,
            self.window_ns,
            hostname,
        ))
    }

    /// Drops identities with no failure inside the window (or, if none is idle, the one whose
    /// last failure is oldest).
    fn forget_idle(&mut self, now: u64) {
        let window = self.window_ns;
        self.seen.retain(|_, t| {
            t.back()
                .is_some_and(|&last| now.saturating_sub(last) <= window)
        });
        if self.seen.len() >= MAX_IDENTITIES
            && let Some(oldest) = self
                .seen
                .iter()
                .min_by_key(|(_, t)| t.back().copied().unwrap_or(0))
                .map(|(k, _)| k.clone())
        {
            self.seen.remove(&oldest);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn alert(
    identity: &str,
    user: &str,
    source: &str,
    code: i64,
    count: usize,
    first_ns: u64,
    now_ns: u64,
    window_ns: u64,
    hostname: &str,
) -> Alert {
    let secs = now_ns.saturating_sub(first_ns) / 1_000_000_000;
    let text = format!(
        "Many failed requests from one identity (identity={identity} failures={count} \
         within={secs}s window={}s last_code={code} source={source})",
        window_ns / 1_000_000_000
    );
    let mut fields = BTreeMap::new();
    fields.insert("evt.time".to_string(), Value::from(now_ns));
    fields.insert("ka.user.name".to_string(), Value::from(user));
    fields.insert("ka.sourceips".to_string(), Value::from(vec![source]));
    fields.insert(
        "ka.response.code".to_string(),
        Value::from(code.to_string()),
    );
    fields.insert("bulwark.failures".to_string(), Value::from(count));
    Alert {
        hostname: hostname.to_string(),
        output: format!("{}: {} {text}", time_of_day(now_ns), Priority::Warning),
        output_fields: fields,
        priority: Priority::Warning,
        rule: RULE.to_string(),
        source: Source::K8sAudit,
        tags: TAGS.iter().map(ToString::to_string).collect(),
        time: iso8601(now_ns, "Z"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denied(user: &str, ip: &str, code: i64) -> Value {
        serde_json::json!({
            "kind": "Event", "stage": "ResponseComplete", "verb": "get",
            "user": {"username": user}, "sourceIPs": [ip],
            "responseStatus": {"code": code}
        })
    }

    #[test]
    fn a_burst_of_denials_gives_one_alert_and_slow_ones_none() {
        let s = 1_000_000_000;
        let mut t = FailureTracker::new(5, 60);
        let alerts: Vec<Alert> = (0..12)
            .filter_map(|i| t.observe(&denied("mallory", "198.51.100.9", 403), i * s, "h"))
            .collect();
        assert_eq!(alerts.len(), 2, "one per 5 failures");
        assert_eq!(alerts[0].rule, RULE);
        assert_eq!(alerts[0].output_fields["bulwark.failures"], 5);
        assert!(
            alerts[0].output.contains("identity=mallory"),
            "{}",
            alerts[0].output
        );
        assert!(alerts[0].tags.contains(&"T1110".to_string()));

        // one failure a minute and a half never fills a 60 s window
        let mut slow = FailureTracker::new(5, 60);
        assert!(
            (0..20)
                .find_map(|i| slow.observe(&denied("bob", "10.0.0.1", 401), i * 90 * s, "h"))
                .is_none()
        );
    }

    #[test]
    fn identities_are_counted_apart_and_successes_and_other_stages_ignored() {
        let mut t = FailureTracker::new(3, 60);
        let mut n = 0;
        for i in 0..2 {
            for who in ["a", "b"] {
                n += usize::from(t.observe(&denied(who, "1.2.3.4", 403), i, "h").is_some());
            }
        }
        assert_eq!(n, 0, "two each, threshold three");
        let mut ok = denied("a", "1.2.3.4", 200);
        assert!(t.observe(&ok, 3, "h").is_none());
        ok["responseStatus"]["code"] = 403.into();
        ok["stage"] = "ResponseStarted".into();
        assert!(
            t.observe(&ok, 4, "h").is_none(),
            "only complete requests count"
        );
        // anonymous requests are told apart by address
        let mut anon = FailureTracker::new(2, 60);
        assert!(
            anon.observe(&denied("system:anonymous", "1.1.1.1", 401), 0, "h")
                .is_none()
        );
        assert!(
            anon.observe(&denied("system:anonymous", "2.2.2.2", 401), 1, "h")
                .is_none()
        );
        let a = anon.observe(&denied("system:anonymous", "1.1.1.1", 401), 2, "h");
        assert!(a.unwrap().output.contains("system:anonymous@1.1.1.1"));
    }
}
