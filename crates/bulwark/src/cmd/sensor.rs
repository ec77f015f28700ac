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
use crate::runtime::pipeline::{Pipeline, PipelineConfig};
use crate::runtime::sinks::Format;
use crate::runtime::{DEFAULT_RULES, DEFAULT_RULES_NAME};

/// Output formats of `sensor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlertFormat {
    /// Falco's JSON alert, one per line (what Falcosidekick reads).
    Json,
    /// Falco's text line: time, priority, output.
    Text,
}

/// Where alerts go: the flags `bulwark sensor` and `bulwark audit` share.
#[derive(Debug, Args)]
pub struct AlertOutputArgs {
    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = AlertFormat::Json)]
    pub format: AlertFormat,

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

    /// Fold repeats of one alert (same rule, same output) within SECS seconds into one
    /// follow-up alert with a count; 0 turns it off.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub dedup_window: u64,

    /// At most N alerts per second per rule (bursts of N); the rest are counted, not printed.
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<f64>,
}

/// Which rules run: the flags `bulwark sensor` and `bulwark audit` share.
#[derive(Debug, Args)]
pub struct RuleArgs {
    /// Load this Falco rule file after the built-in rules (repeatable; later files may append
    /// to or override earlier ones, as in Falco).
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,

    /// Do not load the built-in rules (only the `--rules` files).
    #[arg(long)]
    pub no_default_rules: bool,

    /// Only rules of this priority or more severe run (Falco's `priority` setting).
    #[arg(long, value_name = "PRIORITY", value_parser = parse_priority)]
    pub min_priority: Option<Priority>,
}

/// Arguments of `bulwark sensor`.
#[derive(Debug, Args)]
pub struct SensorArgs {
    #[command(flatten)]
    pub rule_args: RuleArgs,

    #[command(flatten)]
    pub output_args: AlertOutputArgs,

    /// Serve Prometheus metrics at http://ADDR/metrics (e.g. 127.0.0.1:9376).
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<String>,

    /// Also report every open of a path starting with PREFIX (repeatable), on top of the
    /// default filter; e.g. `/proc/` for rules on reads of /proc/PID/environ.
    #[arg(long, value_name = "PREFIX")]
    pub watch_opens: Vec<String>,

    /// Also report opens for writing of a path starting with PREFIX (repeatable).
    #[arg(long, value_name = "PREFIX")]
    pub watch_writes: Vec<String>,

    /// Follow this Kubernetes audit log (JSON lines, as the API server writes it) to join each
    /// `kubectl exec` with the processes it ran: one session record per exec, and the user on
    /// alerts of processes in a session.
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,

    /// Podman's API socket for container metadata [default: the standard paths].
    #[arg(long, value_name = "PATH")]
    pub podman_socket: Option<PathBuf>,

    /// The CRI socket (containerd, CRI-O) for container and pod metadata [default: the
    /// standard paths].
    #[arg(long, value_name = "PATH")]
    pub cri_socket: Option<PathBuf>,

    /// Stop after SECS seconds (for tests and timed captures).
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
}

pub fn parse_priority(s: &str) -> Result<Priority, String> {
    Priority::parse(s).ok_or_else(|| {
        format!("{s:?} is not a priority (emergency, alert, critical, error, warning, notice, informational, debug)")
    })
}

/// Loads the built-in rules (unless left out) and `files`, failing on any error with its file
/// and line. Warnings go to stderr.
pub fn load_rules(files: &[PathBuf], defaults: bool) -> anyhow::Result<RuleSet> {
    load_rules_with(
        defaults.then_some((DEFAULT_RULES_NAME, DEFAULT_RULES)),
        files,
    )
}

/// Loads a built-in rule file (name, content), if any, then `files`, failing on any error with
/// its file and line. Warnings go to stderr.
pub fn load_rules_with(
    builtin: Option<(&str, &str)>,
    files: &[PathBuf],
) -> anyhow::Result<RuleSet> {
    let mut contents: Vec<(String, Vec<u8>)> = Vec::new();
    if let Some((name, content)) = builtin {
        contents.push((name.to_string(), content.as_bytes().to_vec()));
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

/// `$XDG_STATE_HOME/bulwark/<sub>`, else `~/.local/state/bulwark/<sub>`, else
/// `/var/lib/bulwark/<sub>`.
pub fn state_dir(sub: &str) -> PathBuf {
    std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("/var/lib"))
        .join("bulwark")
        .join(sub)
}

/// Loads the rules (`builtin`, unless `--no-default-rules`, then the `--rules` files), applies
/// `--min-priority`, and says on stderr how many are enabled (`who`: the command's name).
pub fn prepare_rules(builtin: (&str, &str), args: &RuleArgs, who: &str) -> anyhow::Result<RuleSet> {
    let mut rules = load_rules_with((!args.no_default_rules).then_some(builtin), &args.rules)?;
    if let Some(p) = args.min_priority {
        rules.set_min_priority(p);
    }
    let enabled = rules
        .rules()
        .iter()
        .filter(|r| r.status == RuleStatus::Enabled)
        .count();
    eprintln!(
        "bulwark {who}: {enabled} of {} rules enabled",
        rules.rules().len()
    );
    Ok(rules)
}

pub fn run(args: &SensorArgs) -> anyhow::Result<u8> {
    let rules = prepare_rules(
        (DEFAULT_RULES_NAME, DEFAULT_RULES),
        &args.rule_args,
        "sensor",
    )?;
    let stop = stop_flag()?;
    let metrics_state = Arc::new(Mutex::new(Metrics::default()));
    let mut pipeline = Pipeline::new(
        &pipeline_config(&args.output_args),
        Arc::clone(&metrics_state),
    )?;
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
    let started = Instant::now();
    let deadline = args
        .duration
        .map(|s| started + Duration::from_secs_f64(s.max(0.0)));
    let mut sessions = match &args.audit_log {
        Some(path) => Some(SessionWatch::open(path)?),
        None => None,
    };
    let evaluate = |event: &bulwark_sensor::Event,
                    sessions: &mut Option<SessionWatch>|
     -> anyhow::Result<Option<bulwark_rules::Alert>> {
        let table = procs
            .read()
            .map_err(|_| anyhow::anyhow!("process table poisoned"))?;
        let session = sessions
            .as_mut()
            .and_then(|s| s.sessions.on_sensor(event, &table));
        let mut alert = rules.alert(&RuleEvent::new(event, &table, &cx), &opts);
        if let (Some(a), Some((audit_id, user))) = (&mut alert, session) {
            a.output_fields
                .insert("bulwark.session.audit_id".into(), audit_id.into());
            a.output_fields
                .insert("bulwark.session.user".into(), user.into());
        }
        Ok(alert)
    };
    while !stop.load(Ordering::Relaxed) && deadline.is_none_or(|d| Instant::now() < d) {
        if let Some(s) = &mut sessions {
            for record in s.poll(&cx.hostname)? {
                pipeline.offer(&record)?;
            }
        }
        if let Some(event) = sensor.next_event(Duration::from_millis(100)) {
            let alert = evaluate(&event, &mut sessions)?;
            if let Ok(mut m) = metrics_state.lock() {
                m.events += 1;
            }
            if let Some(alert) = alert {
                pipeline.offer(&alert)?;
            }
        }
        if pipeline.tick()? {
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
        if let Some(alert) = evaluate(&event, &mut sessions)? {
            pipeline.offer(&alert)?;
        }
    }
    if let Some(mut s) = sessions {
        for record in s.poll(&cx.hostname)? {
            pipeline.offer(&record)?;
        }
        for session in s.sessions.close_all() {
            pipeline.offer(&crate::audit::sessions::record(&session, &cx.hostname))?;
        }
    }
    let (webhook, limited) = pipeline.finish()?;
    let stats = sensor.stop();
    if let Some(ws) = webhook {
        eprintln!(
            "bulwark sensor: webhook delivered {}, spooled {}, {} still in the spool",
            ws.delivered, ws.spooled, ws.pending
        );
    }
    eprintln!(
        "bulwark sensor: {} events, {} lost in the kernel, {} dropped, {} alerts rate-limited",
        stats.delivered,
        stats.lost(),
        stats.dropped(),
        limited
    );
    Ok(0)
}

/// The audit log followed for privileged sessions (`--audit-log`): from its end, since only
/// sessions the sensor can watch matter.
struct SessionWatch {
    follower: bulwark_audit::files::Follower,
    sessions: crate::audit::sessions::Sessions,
    last_poll: Instant,
}

impl SessionWatch {
    fn open(path: &std::path::Path) -> anyhow::Result<SessionWatch> {
        let follower = bulwark_audit::files::Follower::open(
            path,
            bulwark_audit::Limits::default(),
            bulwark_audit::files::StartAt::End,
            None,
        )
        .with_context(|| format!("following the audit log {}", path.display()))?;
        eprintln!(
            "bulwark sensor: following {} for privileged sessions",
            path.display()
        );
        Ok(SessionWatch {
            follower,
            sessions: crate::audit::sessions::Sessions::default(),
            last_poll: Instant::now(),
        })
    }

    /// New audit events (every 200 ms); the records of sessions that ended or expired.
    fn poll(&mut self, hostname: &str) -> anyhow::Result<Vec<bulwark_rules::Alert>> {
        if self.last_poll.elapsed() < Duration::from_millis(200) {
            return Ok(Vec::new());
        }
        self.last_poll = Instant::now();
        let mut closed = Vec::new();
        let sessions = &mut self.sessions;
        self.follower
            .poll(|v, _| closed.extend(sessions.on_audit(&v)))
            .with_context(|| format!("following {}", self.follower.path().display()))?;
        let now = u64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        )
        .unwrap_or(u64::MAX);
        closed.extend(self.sessions.expire(now));
        Ok(closed
            .iter()
            .map(|s| crate::audit::sessions::record(s, hostname))
            .collect())
    }
}

/// A flag set by SIGINT or SIGTERM.
pub fn stop_flag() -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .context("installing signal handlers")?;
    }
    Ok(stop)
}

/// The alert path from the shared flags.
pub fn pipeline_config(o: &AlertOutputArgs) -> PipelineConfig {
    PipelineConfig {
        format: match o.format {
            AlertFormat::Json => Format::Json,
            AlertFormat::Text => Format::Text,
        },
        output: o.output.clone(),
        webhook: o.webhook.clone(),
        spool: o.spool.clone().unwrap_or_else(|| state_dir("spool")),
        dedup_window: (o.dedup_window > 0).then(|| Duration::from_secs(o.dedup_window)),
        rate_limit: o.rate_limit,
    }
}

/// The sensor's configuration: the default open filter with `--watch-opens`/`--watch-writes`
/// added (a prefix given again replaces the default's rule for it).
fn sensor_config(args: &SensorArgs) -> anyhow::Result<SensorConfig> {
    let mut config = SensorConfig {
        podman_socket: args.podman_socket.clone(),
        cri_socket: args.cri_socket.clone(),
        ..SensorConfig::default()
    };
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
