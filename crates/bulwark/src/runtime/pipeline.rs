//! Where alerts go once a rule fired, for the sensor and the audit detector alike: noise control
//! (dedup windows, rate limits), then the line sink (stdout or a file) and the optional alert
//! webhook with its spool, counted in the metrics.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bulwark_rules::Alert;

use super::metrics::Metrics;
use super::noise::{Noise, Verdict};
use super::sinks::{Format, LineSink, Webhook, WebhookStats};

/// The alert path's settings (the shared part of `bulwark sensor` and `bulwark audit` flags).
#[derive(Clone, Debug)]
pub struct PipelineConfig {
    /// Output format of the line sink.
    pub format: Format,
    /// Append to this file instead of writing to stdout.
    pub output: Option<PathBuf>,
    /// POST alerts here too.
    pub webhook: Option<String>,
    /// The webhook's spool directory.
    pub spool: PathBuf,
    /// Fold repeats within this window (`None`: off).
    pub dedup_window: Option<Duration>,
    /// At most this many alerts per second per rule.
    pub rate_limit: Option<f64>,
}

/// Alerts in, written out.
pub struct Pipeline {
    sink: LineSink,
    webhook: Option<Webhook>,
    noise: Noise,
    metrics: Arc<Mutex<Metrics>>,
    last_tick: Instant,
}

impl Pipeline {
    /// Opens the sinks.
    pub fn new(config: &PipelineConfig, metrics: Arc<Mutex<Metrics>>) -> anyhow::Result<Pipeline> {
        let sink = match &config.output {
            Some(path) => LineSink::file(path, config.format)?,
            None => LineSink::stdout(config.format),
        };
        let webhook = match &config.webhook {
            Some(url) => Some(Webhook::start(url.clone(), config.spool.clone())?),
            None => None,
        };
        Ok(Pipeline {
            sink,
            webhook,
            noise: Noise::new(config.dedup_window, config.rate_limit),
            metrics,
            last_tick: Instant::now(),
        })
    }

    fn emit(&mut self, alert: &Alert) -> anyhow::Result<()> {
        self.sink.write(alert).context("writing an alert")?;
        if let Some(w) = &self.webhook {
            w.send(alert.clone());
        }
        if let Ok(mut m) = self.metrics.lock() {
            *m.alerts.entry(alert.rule.clone()).or_default() += 1;
        }
        Ok(())
    }

    /// One alert through noise control to the sinks.
    pub fn offer(&mut self, alert: &Alert) -> anyhow::Result<()> {
        match self.noise.admit(alert, Instant::now()) {
            Verdict::Emit => self.emit(alert)?,
            Verdict::Repeat => {
                if let Ok(mut m) = self.metrics.lock() {
                    m.repeats += 1;
                }
            }
            Verdict::RateLimited => {
                if let Ok(mut m) = self.metrics.lock() {
                    *m.rate_limited.entry(alert.rule.clone()).or_default() += 1;
                }
            }
        }
        Ok(())
    }

    /// Writes the aggregate alerts of windows that have closed; cheap to call often (it acts
    /// every 500 ms). True when it acted.
    pub fn tick(&mut self) -> anyhow::Result<bool> {
        if self.last_tick.elapsed() < Duration::from_millis(500) {
            return Ok(false);
        }
        self.last_tick = Instant::now();
        for a in self.noise.expired(Instant::now(), false) {
            self.emit(&a)?;
        }
        Ok(true)
    }

    /// Flushes every open window and the sinks; the webhook's final counters, and how many
    /// alerts the rate limit held back.
    pub fn finish(mut self) -> anyhow::Result<(Option<WebhookStats>, u64)> {
        for a in self.noise.expired(Instant::now(), true) {
            self.emit(&a)?;
        }
        self.sink.flush().context("flushing alerts")?;
        let limited = self.noise.rate_limited.values().sum();
        Ok((self.webhook.map(Webhook::finish), limited))
    }
}
