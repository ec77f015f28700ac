//! Alert noise control: repeats of one alert within a window become one alert with a count,
//! and each rule's alerts are rate-limited.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bulwark_rules::Alert;

/// What to do with an alert.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// Emit it.
    Emit,
    /// A repeat within the window: counted, emitted later as one aggregate.
    Repeat,
    /// Over the rule's rate limit: dropped (and counted).
    RateLimited,
}

struct Window {
    opened: Instant,
    first: Alert,
    repeats: u64,
}

/// Deduplication and rate limiting state.
pub struct Noise {
    window: Option<Duration>,
    windows: HashMap<String, Window>,
    rate: Option<f64>,
    buckets: HashMap<String, (f64, Instant)>,
    /// Alerts dropped by the rate limit, per rule.
    pub rate_limited: HashMap<String, u64>,
}

impl Noise {
    /// `window`: repeats within it are aggregated (`None`: every alert is emitted);
    /// `rate`: most alerts per second per rule, with a burst of the same size (`None`: no
    /// limit).
    pub fn new(window: Option<Duration>, rate: Option<f64>) -> Noise {
        Noise {
            window,
            windows: HashMap::new(),
            rate,
            buckets: HashMap::new(),
            rate_limited: HashMap::new(),
        }
    }

    /// What identifies a repeat: the rule and the rendered output without its time prefix
    /// (the same process, file and container).
    fn key(alert: &Alert) -> String {
        let output = alert
            .output
            .split_once(": ")
            .map_or(alert.output.as_str(), |(_, o)| o);
        format!("{}\u{0}{output}", alert.rule)
    }

    /// Decides on `alert`, seen at `now`.
    pub fn admit(&mut self, alert: &Alert, now: Instant) -> Verdict {
        if let Some(window) = self.window {
            let key = Self::key(alert);
            if let Some(w) = self.windows.get_mut(&key)
                && now.duration_since(w.opened) < window
            {
                w.repeats += 1;
                return Verdict::Repeat;
            }
            // A new window (an expired one's aggregate was flushed by `expired`).
            self.windows.insert(
                key,
                Window {
                    opened: now,
                    first: alert.clone(),
                    repeats: 0,
                },
            );
        }
        if let Some(rate) = self.rate {
            let (tokens, last) = self
                .buckets
                .entry(alert.rule.clone())
                .or_insert((rate, now));
            *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(rate);
            *last = now;
            if *tokens < 1.0 {
                *self.rate_limited.entry(alert.rule.clone()).or_default() += 1;
                return Verdict::RateLimited;
            }
            *tokens -= 1.0;
        }
        Verdict::Emit
    }

    /// The aggregates of windows that closed by `now` (or all of them when `all`): the first
    /// alert of each, with the number of repeats in `output_fields["bulwark.repeats"]` and the
    /// output, for windows that saw repeats.
    pub fn expired(&mut self, now: Instant, all: bool) -> Vec<Alert> {
        let Some(window) = self.window else {
            return Vec::new();
        };
        let mut out = Vec::new();
        self.windows.retain(|_, w| {
            if !all && now.duration_since(w.opened) < window {
                return true;
            }
            if w.repeats > 0 {
                let mut a = w.first.clone();
                a.output = format!(
                    "{} (repeated {} more times within {} s)",
                    a.output,
                    w.repeats,
                    window.as_secs()
                );
                a.output_fields.insert(
                    "bulwark.repeats".to_string(),
                    serde_json::Value::from(w.repeats),
                );
                out.push(a);
            }
            false
        });
        out.sort_by(|a, b| a.time.cmp(&b.time));
        out
    }
}
