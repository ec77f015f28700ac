//! `bulwark sensor`: the eBPF runtime sensor with Falco-compatible rules. Runs until SIGINT or
//! SIGTERM (or `--duration`), writing one alert per line; then flushes and exits 0.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bulwark_rules::{Diagnostic, OutputOptions, Priority, RuleFile, RuleSet, RuleStatus};
use bulwark_sensor::{PathRule, Sensor, SensorConfig};
use clap::{Args, ValueEnum};

use crate::runtime::adapter::RuleEvent;
use crate::runtime::context::Context;
use crate::runtime::metrics::{self, Metrics};
use crate::runtime::noise::{Noise, Verdict};
use crate::runtime::sinks::{Format, LineSink, Webhook};
use crate::runtime::{DEFAULT_RULES, DEFAULT_RULES_NAME};

/// Output formats of `sensor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SensorFormat {
    /// Falco's JSON alert, one per line (what Falcosidekick reads).
    Json,
    /// Falco's text line: time, priority, output.
    Text,
}

/// Arguments of `bulwark sensor`.
#[derive(Debug, Args)]
pub struct SensorArgs {
    /// Load this Falco rule file after the built-in rules (repeatable; later files may append
    /// to or override earlier ones, as in Falco).
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,

    /// Do not load the built-in rules (only the `--rules` files).
    #[arg(long)]
    pub no_default_rules: bool,

    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = SensorFormat::Json)]
    pub format: SensorFormat,

    /// Append alerts to FILE instead of writing them to stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also POST each alert (JSON) to this URL, with retries; alerts that cannot be delivered
    /// are kept in the spool directory and sent when the receiver is back.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,

    /// Where undelivered webhook alerts wait [default: $XDG_STATE_HOME/bulwark/spool, else
    /// ~/.local/state/bulwark/spool].
    #[arg(long, value_name = "DIR")]
    pub spool: Option<PathBuf>,

    /// Serve Prometheus metrics at http://ADDR/metrics (e.g. 127.0.0.1:9376).
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<String>,

    /// Fold repeats of one alert (same rule, same output) within SECS seconds into one
    /// follow-up alert with a count; 0 turns it off.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub dedup_window: u64,

    /// At most N alerts per second per rule (bursts of N); the rest are counted, not printed.
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<f64>,

    /// Only rules of this priority or more severe run (Falco's `priority` setting).
    #[arg(long, value_name = "PRIORITY", value_parser = parse_priority)]
    pub min_priority: Option<Priority>,

    /// Also report every open of a path starting with PREFIX (repeatable), on top of the
    /// default filter; e.g. `/proc/` for rules on reads of /proc/PID/environ.
    #[arg(long, value_name = "PREFIX")]
    pub watch_opens: Vec<String>,

    /// Also report opens for writing of a path starting with PREFIX (repeatable).
    #[arg(long, value_name = "PREFIX")]
    pub watch_writes: Vec<String>,

    /// Stop after SECS seconds (for tests and timed captures).
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
}

fn parse_priority(s: &str) -> Result<Priority, String> {
    Priority::parse(s).ok_or_else(|| {
        format!("{s:?} is not a priority (emergency, alert, critical, error, warning, notice, informational, debug)")
    })
}

/// Loads the built-in rules (unless left out) and `files`, failing on any error with its file
/// and line. Warnings go to stderr.
pub fn load_rules(files: &[PathBuf], defaults: bool) -> anyhow::Result<RuleSet> {
    let mut contents: Vec<(String, Vec<u8>)> = Vec::new();
    if defaults {
        contents.push((
            DEFAULT_RULES_NAME.to_string(),
            DEFAULT_RULES.as_bytes().to_vec(),
        ));
    }
    for f in files {
        let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
        contents.push((f.display().to_string(), bytes));
    }
    if contents.is_empty() {
        bail!("no rules: --no-default-rules needs at least one --rules FILE");
    }
    let refs: Vec<RuleFile<'_>> = contents
        .iter()
        .map(|(name, content)| RuleFile { name, content })
        .collect();
    let loaded = bulwark_rules::load(&refs, &bulwark_rules::Limits::default());
    for w in loaded.warnings() {
        eprintln!("warning: {}", show(w));
    }
    if let Some(e) = loaded.errors().next() {
        bail!("{}", show(e));
    }
    loaded
        .ruleset
        .context("the rules did not load (no error was reported)")
}

/// `file:line: CODE rule NAME: message`.
pub fn show(d: &Diagnostic) -> String {
    format!(
        "{}:{}: {} {} {}: {}",
        d.file, d.line, d.code, d.item_type, d.item_name, d.message
    )
}

fn default_spool() -> PathBuf {
    std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("/var/lib"))
        .join("bulwark/spool")
}

pub fn run(args: &SensorArgs) -> anyhow::Result<u8> {
    let mut rules = load_rules(&args.rules, !args.no_default_rules)?;
    if let Some(p) = args.min_priority {
        rules.set_min_priority(p);
    }
    let enabled = rules
        .rules()
        .iter()
        .filter(|r| r.status == RuleStatus::Enabled)
        .count();
    eprintln!(
        "bulwark sensor: {enabled} of {} rules enabled",
        rules.rules().len()
    );
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .context("installing signal handlers")?;
    }
    let format = match args.format {
        SensorFormat::Json => Format::Json,
        SensorFormat::Text => Format::Text,
    };
    let mut sink = match &args.output {
        Some(path) => LineSink::file(path, format)?,
        None => LineSink::stdout(format),
    };
    let webhook = match &args.webhook {
        Some(url) => Some(Webhook::start(
            url.clone(),
            args.spool.clone().unwrap_or_else(default_spool),
        )?),
        None => None,
    };
    let metrics_state = Arc::new(Mutex::new(Metrics::default()));
    if let Some(addr) = &args.metrics {
        let bound = metrics::serve(addr, Arc::clone(&metrics_state))?;
        eprintln!("bulwark sensor: metrics at http://{bound}/metrics");
    }
    let sensor = Sensor::start(&sensor_config(args)?).context("starting the eBPF sensor")?;
    eprintln!("{}", sensor.capabilities());
    let cx = Context::of_host();
    let opts = OutputOptions {
        hostname: cx.hostname.clone(),
        ..OutputOptions::default()
    };
    let procs = sensor.processes();
    let mut noise = Noise::new(
        (args.dedup_window > 0).then(|| Duration::from_secs(args.dedup_window)),
        args.rate_limit,
    );
    let started = Instant::now();
    let deadline = args
        .duration
        .map(|s| started + Duration::from_secs_f64(s.max(0.0)));
    let mut last_flush = Instant::now();
    let emit = |alert: &bulwark_rules::Alert,
                sink: &mut LineSink,
                metrics: &Mutex<Metrics>|
     -> anyhow::Result<()> {
        sink.write(alert).context("writing an alert")?;
        if let Some(w) = &webhook {
            w.send(alert.clone());
        }
        if let Ok(mut m) = metrics.lock() {
            *m.alerts.entry(alert.rule.clone()).or_default() += 1;
        }
        Ok(())
    };
    while !stop.load(Ordering::Relaxed) && deadline.is_none_or(|d| Instant::now() < d) {
        let event = sensor.next_event(Duration::from_millis(100));
        if let Some(event) = &event {
            let alert = {
                let table = procs
                    .read()
                    .map_err(|_| anyhow::anyhow!("process table poisoned"))?;
                let ev = RuleEvent::new(event, &table, &cx);
                rules.alert(&ev, &opts)
            };
            if let Ok(mut m) = metrics_state.lock() {
                m.events += 1;
            }
            if let Some(alert) = alert {
                match noise.admit(&alert, Instant::now()) {
                    Verdict::Emit => emit(&alert, &mut sink, &metrics_state)?,
                    Verdict::Repeat => {
                        if let Ok(mut m) = metrics_state.lock() {
                            m.repeats += 1;
                        }
                    }
                    Verdict::RateLimited => {
                        if let Ok(mut m) = metrics_state.lock() {
                            *m.rate_limited.entry(alert.rule.clone()).or_default() += 1;
                        }
                    }
                }
            }
        }
        if last_flush.elapsed() >= Duration::from_millis(500) {
            last_flush = Instant::now();
            for a in noise.expired(Instant::now(), false) {
                emit(&a, &mut sink, &metrics_state)?;
            }
            let stats = sensor.stats();
            let metadata = sensor.metadata_stats();
            if let Ok(mut m) = metrics_state.lock() {
                m.lost = stats.lost();
                m.dropped = stats.dropped();
                m.metadata = metadata;
            }
        }
    }
    // Drain what the kernel already queued, then the open windows.
    while let Some(event) = sensor.next_event(Duration::from_millis(50)) {
        let alert = {
            let table = procs
                .read()
                .map_err(|_| anyhow::anyhow!("process table poisoned"))?;
            rules.alert(&RuleEvent::new(&event, &table, &cx), &opts)
        };
        if let Some(alert) = alert
            && noise.admit(&alert, Instant::now()) == Verdict::Emit
        {
            emit(&alert, &mut sink, &metrics_state)?;
        }
    }
    for a in noise.expired(Instant::now(), true) {
        emit(&a, &mut sink, &metrics_state)?;
    }
    let stats = sensor.stop();
    if let Some(w) = webhook {
        let ws = w.finish();
        eprintln!(
            "bulwark sensor: webhook delivered {}, spooled {}, {} still in the spool",
            ws.delivered, ws.spooled, ws.pending
        );
    }
    let limited: u64 = noise.rate_limited.values().sum();
    eprintln!(
        "bulwark sensor: {} events, {} lost in the kernel, {} dropped, {} alerts rate-limited",
        stats.delivered,
        stats.lost(),
        stats.dropped(),
        limited
    );
    Ok(0)
}

/// The sensor's configuration: the default open filter with `--watch-opens`/`--watch-writes`
/// added (a prefix given again replaces the default's rule for it).
fn sensor_config(args: &SensorArgs) -> anyhow::Result<SensorConfig> {
    let mut config = SensorConfig::default();
    let added = args
        .watch_opens
        .iter()
        .map(|p| (p, PathRule::any(p)))
        .chain(args.watch_writes.iter().map(|p| (p, PathRule::writes(p))));
    for (prefix, rule) in added {
        if prefix.is_empty() || !prefix.starts_with('/') {
            bail!("a watched path prefix must be absolute: {prefix:?}");
        }
        config.path_rules.retain(|r| r.prefix != *prefix);
        config.path_rules.push(rule);
    }
    Ok(config)
}
