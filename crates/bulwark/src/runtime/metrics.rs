//! Prometheus metrics of the sensor, served over HTTP at `/metrics` (text exposition format).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;

/// Counters the sensor loop updates and the server reads.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Events evaluated.
    pub events: u64,
    /// Events lost in the kernel (ring buffer full), as the sensor counts them.
    pub lost: u64,
    /// Events dropped in user space.
    pub dropped: u64,
    /// Alerts per rule.
    pub alerts: BTreeMap<String, u64>,
    /// Alerts dropped by the rate limit, per rule.
    pub rate_limited: BTreeMap<String, u64>,
    /// Repeats folded into aggregate alerts.
    pub repeats: u64,
    /// Container metadata lookups, as the sensor counts them.
    pub metadata: Option<bulwark_sensor::MetadataStats>,
}

impl Metrics {
    /// The text exposition.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let counter = |s: &mut String, name: &str, help: &str| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} counter");
        };
        counter(
            &mut s,
            "bulwark_sensor_events_total",
            "Events evaluated by the rules.",
        );
        let _ = writeln!(s, "bulwark_sensor_events_total {}", self.events);
        counter(
            &mut s,
            "bulwark_sensor_events_lost_total",
            "Events the kernel could not queue (ring buffer full).",
        );
        let _ = writeln!(s, "bulwark_sensor_events_lost_total {}", self.lost);
        counter(
            &mut s,
            "bulwark_sensor_events_dropped_total",
            "Events dropped in user space.",
        );
        let _ = writeln!(s, "bulwark_sensor_events_dropped_total {}", self.dropped);
        counter(
            &mut s,
            "bulwark_sensor_alerts_total",
            "Alerts emitted, per rule.",
        );
        for (rule, n) in &self.alerts {
            let _ = writeln!(
                s,
                "bulwark_sensor_alerts_total{{rule=\"{}\"}} {n}",
                escape(rule)
            );
        }
        counter(
            &mut s,
            "bulwark_sensor_alerts_rate_limited_total",
            "Alerts dropped by the per-rule rate limit.",
        );
        for (rule, n) in &self.rate_limited {
            let _ = writeln!(
                s,
                "bulwark_sensor_alerts_rate_limited_total{{rule=\"{}\"}} {n}",
                escape(rule)
            );
        }
        counter(
            &mut s,
            "bulwark_sensor_alert_repeats_total",
            "Repeated alerts folded into aggregates.",
        );
        let _ = writeln!(s, "bulwark_sensor_alert_repeats_total {}", self.repeats);
        if let Some(m) = &self.metadata {
            counter(
                &mut s,
                "bulwark_sensor_metadata_lookups_total",
                "Container metadata lookups, by outcome.",
            );
            for (outcome, n) in [
                ("found", m.found),
                ("not_found", m.not_found),
                ("error", m.errors),
            ] {
                let _ = writeln!(
                    s,
                    "bulwark_sensor_metadata_lookups_total{{outcome=\"{outcome}\"}} {n}"
                );
            }
            let name = "bulwark_sensor_metadata_lookup_seconds";
            let _ = writeln!(
                s,
                "# HELP {name} Latency of container metadata lookups.\n# TYPE {name} histogram"
            );
            for (bound, n) in bulwark_sensor::LATENCY_BUCKETS
                .iter()
                .zip(&m.latency_buckets)
            {
                let _ = writeln!(s, "{name}_bucket{{le=\"{bound}\"}} {n}");
            }
            let _ = writeln!(s, "{name}_bucket{{le=\"+Inf\"}} {}", m.lookups);
            let _ = writeln!(s, "{name}_sum {}", m.latency_sum_seconds);
            let _ = writeln!(s, "{name}_count {}", m.lookups);
        }
        s
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Serves `/metrics` on `addr` from a thread; returns the bound address (`addr` may use port
/// 0).
pub fn serve(addr: &str, metrics: Arc<Mutex<Metrics>>) -> anyhow::Result<std::net::SocketAddr> {
    let listener = TcpListener::bind(addr).with_context(|| format!("listening on {addr}"))?;
    let local = listener.local_addr()?;
    std::thread::Builder::new()
        .name("bulwark-metrics".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(&stream);
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    continue;
                }
                // Skip the headers.
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let (status, body) = if request.starts_with("GET /metrics") {
                    let text = metrics.lock().map(|m| m.render()).unwrap_or_default();
                    ("200 OK", text)
                } else {
                    ("404 Not Found", "not found; try /metrics\n".to_string())
                };
                let mut w = &stream;
                let _ = write!(
                    w,
                    "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        })
        .context("starting the metrics server")?;
    Ok(local)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_has_counters_per_rule_and_the_lookup_histogram() {
        let mut m = Metrics {
            events: 10,
            ..Metrics::default()
        };
        m.alerts.insert("Reverse shell".into(), 2);
        m.rate_limited.insert("Say \"hi\"".into(), 1);
        let mut stats = bulwark_sensor::MetadataStats {
            lookups: 3,
            found: 2,
            not_found: 1,
            latency_sum_seconds: 0.5,
            ..Default::default()
        };
        stats.latency_buckets = vec![1; bulwark_sensor::LATENCY_BUCKETS.len()];
        m.metadata = Some(stats);
        let text = m.render();
        assert!(text.contains("bulwark_sensor_events_total 10\n"), "{text}");
        assert!(text.contains("bulwark_sensor_alerts_total{rule=\"Reverse shell\"} 2\n"));
        assert!(
            text.contains("rule=\"Say \\\"hi\\\"\"} 1"),
            "labels are escaped: {text}"
        );
        assert!(text.contains("bulwark_sensor_metadata_lookups_total{outcome=\"found\"} 2\n"));
        assert!(text.contains("bulwark_sensor_metadata_lookup_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("bulwark_sensor_metadata_lookup_seconds_count 3\n"));
        assert!(text.contains("# TYPE bulwark_sensor_metadata_lookup_seconds histogram"));
    }
}
