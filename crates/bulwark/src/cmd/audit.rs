//! `bulwark audit`: Kubernetes audit events (log files, followed files, the webhook backend)
//! through the `k8s_audit` rules into alerts (docs/audit.md).

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::net::ToSocketAddrs as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bulwark_audit::files::{
    Checkpoint, FileStats, Follower, OffsetStore, StartAt, log_set, read_file,
};
use bulwark_audit::server::{Batch, WebhookConfig, WebhookServer};
use bulwark_audit::{Limits, Malformed};
use bulwark_rules::{OutputOptions, RuleSet};
use clap::Args;
use serde_json::Value;

use super::sensor::{
    AlertOutputArgs, RuleArgs, pipeline_config, prepare_rules, state_dir, stop_flag,
};
use crate::audit::adapter::AuditEvent;
use crate::audit::failures::FailureTracker;
use crate::runtime::context::Context;
use crate::runtime::metrics::Metrics;
use crate::runtime::pipeline::Pipeline;

/// Bulwark's default audit rules (docs/audit.md).
pub const AUDIT_RULES: &str = include_str!("../../../bulwark-audit/rules/bulwark_audit_rules.yaml");

/// How the default audit rules are named in diagnostics.
pub const AUDIT_RULES_NAME: &str = "bulwark_audit_rules.yaml (built in)";

/// How often followed files are read.
const POLL: Duration = Duration::from_millis(200);
/// The webhook journal is rotated at this size; rotated journals are deleted once read.
const JOURNAL_ROTATE_BYTES: u64 = 64 << 20;
/// How many malformed inputs are printed.
const SHOW_MALFORMED: usize = 5;
/// How many recent (audit id, stage) pairs are remembered to drop repeats: a batch the API
/// server resends because it never saw our 200, or a log line read twice.
const RECENT_IDS: usize = 100_000;

/// Arguments of `bulwark audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// An audit log file to read (JSON lines or an EventList; gzip recognised). A live log with
    /// rotated siblings (`audit-<time>.log[.gz]`) or a directory is read whole, oldest first.
    /// Repeatable.
    #[arg(long = "file", value_name = "PATH")]
    pub files: Vec<PathBuf>,

    /// Keep reading the files as they grow, through rotation; the position reached is saved in
    /// the state directory, so a restart continues there.
    #[arg(long, requires = "files")]
    pub follow: bool,

    /// Receive audit events as the API server's webhook backend: an HTTPS server on ADDR
    /// (e.g. 0.0.0.0:9443). Needs --tls-cert and --tls-key.
    #[arg(long, value_name = "ADDR", requires_all = ["tls_cert", "tls_key"])]
    pub listen: Option<String>,

    /// The webhook's certificate (PEM, with its chain).
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,

    /// The webhook's private key (PEM).
    #[arg(long, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,

    /// Accept only webhook clients with a certificate signed by this CA (PEM).
    #[arg(long, value_name = "FILE")]
    pub client_ca: Option<PathBuf>,

    /// Where followed positions and the webhook journal are kept [default:
    /// $XDG_STATE_HOME/bulwark/audit, else ~/.local/state/bulwark/audit].
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    #[command(flatten)]
    pub rule_args: RuleArgs,

    #[command(flatten)]
    pub output_args: AlertOutputArgs,

    /// AU015: alert when N requests of one identity are refused (401/403) within SECS seconds;
    /// `0` turns it off.
    #[arg(long, value_name = "N/SECS", default_value = "20/60", value_parser = parse_failures)]
    pub failed_requests: (usize, u64),

    /// Stop after SECS seconds (with --follow or --listen).
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
}

fn parse_failures(s: &str) -> Result<(usize, u64), String> {
    if s == "0" {
        return Ok((0, 0));
    }
    let (n, secs) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?}: expected N/SECS, e.g. 20/60, or 0"))?;
    let n: usize = n.parse().map_err(|_| format!("{n:?} is not a count"))?;
    let secs: u64 = secs
        .parse()
        .map_err(|_| format!("{secs:?} is not seconds"))?;
    if secs == 0 {
        return Err("the window must be at least 1 second".into());
    }
    Ok((n, secs))
}

/// Loads the built-in audit rules (unless left out) and `files`.
#[cfg(test)]
pub fn load_audit_rules(files: &[PathBuf], defaults: bool) -> anyhow::Result<RuleSet> {
    super::sensor::load_rules_with(defaults.then_some((AUDIT_RULES_NAME, AUDIT_RULES)), files)
}

/// Events through the rules into the pipeline.
struct Detector {
    rules: RuleSet,
    opts: OutputOptions,
    failures: Option<FailureTracker>,
    pipeline: Pipeline,
    events: u64,
    malformed: u64,
    repeats: u64,
    shown: usize,
    recent: std::collections::HashSet<u64>,
    order: std::collections::VecDeque<u64>,
}

impl Detector {
    /// Whether this event (its audit id and stage) was evaluated a moment ago.
    fn repeated(&mut self, v: &Value) -> bool {
        let Some(id) = v.get("auditID").and_then(Value::as_str) else {
            return false;
        };
        let stage = v.get("stage").and_then(Value::as_str).unwrap_or_default();
        // a 64-bit digest of (id, stage): a collision among 100,000 is about 1 in 10^9
        let mut h = std::hash::DefaultHasher::new();
        std::hash::Hash::hash(&(id, stage), &mut h);
        let key = std::hash::Hasher::finish(&h);
        if !self.recent.insert(key) {
            return true;
        }
        self.order.push_back(key);
        if self.order.len() > RECENT_IDS
            && let Some(old) = self.order.pop_front()
        {
            self.recent.remove(&old);
        }
        false
    }

    fn event(&mut self, v: &Value) -> anyhow::Result<()> {
        if self.repeated(v) {
            self.repeats += 1;
            return Ok(());
        }
        self.events += 1;
        let ev = AuditEvent::new(v);
        if let Some(alert) = self.rules.alert(&ev, &self.opts) {
            self.pipeline.offer(&alert)?;
        }
        if let Some(f) = &mut self.failures {
            let t = bulwark_rules::Event::time_ns(&ev);
            if let Some(alert) = f.observe(v, t, &self.opts.hostname) {
                self.pipeline.offer(&alert)?;
            }
        }
        Ok(())
    }

    /// Counts malformed inputs, printing the first few.
    fn malformed(&mut self, total: u64, samples: &[Malformed], file: &Path) {
        self.malformed += total;
        for m in samples {
            if self.shown >= SHOW_MALFORMED {
                break;
            }
            self.shown += 1;
            let line = m.line.map(|l| format!(":{l}")).unwrap_or_default();
            eprintln!(
                "warning: {}{line}: not an audit event: {} ({})",
                file.display(),
                m.reason,
                m.sample
            );
        }
    }
}

pub fn run(args: &AuditArgs) -> anyhow::Result<u8> {
    if args.files.is_empty() && args.listen.is_none() {
        bail!("nothing to read: give --file PATH (with --follow to keep reading) or --listen ADDR");
    }
    let rules = prepare_rules((AUDIT_RULES_NAME, AUDIT_RULES), &args.rule_args, "audit")?;
    let metrics = Arc::new(Mutex::new(Metrics::default()));
    let pipeline = Pipeline::new(&pipeline_config(&args.output_args), metrics)?;
    let (n, secs) = args.failed_requests;
    let mut d = Detector {
        rules,
        opts: OutputOptions {
            hostname: Context::of_host().hostname,
            ..OutputOptions::default()
        },
        failures: (n > 0).then(|| FailureTracker::new(n, secs)),
        pipeline,
        events: 0,
        malformed: 0,
        repeats: 0,
        shown: 0,
        recent: std::collections::HashSet::new(),
        order: std::collections::VecDeque::new(),
    };
    let limits = Limits::default();

    if !args.follow && args.listen.is_none() {
        for arg in &args.files {
            for path in log_set(arg).with_context(|| format!("reading {}", arg.display()))? {
                let mut failed = None;
                let stats = read_file(&path, &limits, |v, _| {
                    if failed.is_none()
                        && let Err(e) = d.event(&v)
                    {
                        failed = Some(e);
                    }
                })
                .with_context(|| format!("reading {}", path.display()))?;
                if let Some(e) = failed {
                    return Err(e);
                }
                d.malformed(stats.malformed, &stats.samples, &path);
                d.pipeline.tick()?;
            }
        }
        return finish(d);
    }

    let state = args.state_dir.clone().unwrap_or_else(|| state_dir("audit"));
    std::fs::create_dir_all(&state)
        .with_context(|| format!("creating the state directory {}", state.display()))?;
    let mut store = OffsetStore::open(&state.join("offsets.json"))
        .with_context(|| format!("reading {}", state.join("offsets.json").display()))?;
    let mut followers = Vec::new();
    if args.follow {
        for arg in &args.files {
            followers.push(open_follower(arg, &limits, &store)?);
        }
    }
    let mut journal_follower = None;
    let server = match &args.listen {
        Some(addr) => {
            let journal = state.join("webhook-journal.jsonl");
            let server = start_webhook(args, addr, &journal, &limits)?;
            eprintln!(
                "bulwark audit: webhook listening on https://{}",
                server.local_addr()
            );
            followers.push(open_follower(&journal, &limits, &store)?);
            journal_follower = Some(followers.len() - 1);
            Some(server)
        }
        None => None,
    };

    let stop = stop_flag()?;
    let deadline = args
        .duration
        .map(|s| Instant::now() + Duration::from_secs_f64(s.max(0.0)));
    let mut reported = vec![0u64; followers.len()];
    loop {
        let last = stop.load(Ordering::Relaxed) || deadline.is_some_and(|t| Instant::now() >= t);
        // Batches acknowledged after this last round stay in the journal, past the saved
        // position: the next run reads them.
        for (i, f) in followers.iter_mut().enumerate() {
            let mut failed = None;
            f.poll(|v, _| {
                if failed.is_none()
                    && let Err(e) = d.event(&v)
                {
                    failed = Some(e);
                }
            })
            .with_context(|| format!("following {}", f.path().display()))?;
            if let Some(e) = failed {
                return Err(e);
            }
            let seen: &FileStats = f.stats();
            let new = seen.malformed - reported[i];
            if new > 0 {
                let skip = usize::try_from(reported[i]).unwrap_or(usize::MAX);
                let samples: Vec<Malformed> = seen.samples.iter().skip(skip).cloned().collect();
                let path = f.path().to_path_buf();
                d.malformed(new, &samples, &path);
                reported[i] = seen.malformed;
            }
            // alerts are written (stdout flushed per line, files and webhook queued) before the
            // position is saved: a crash repeats at most this round's events
            f.commit(&mut store)
                .with_context(|| format!("saving the position in {}", f.path().display()))?;
            if journal_follower == Some(i) {
                prune_journals(f.path(), &f.checkpoint());
            }
        }
        store.save().context("saving the followed positions")?;
        d.pipeline.tick()?;
        if last {
            break;
        }
        std::thread::sleep(POLL);
    }
    if let Some(s) = server {
        let webhook = s.stats();
        s.stop();
        eprintln!(
            "bulwark audit: webhook: {} requests, {} events, {} malformed events, {} TLS handshake failures",
            webhook.requests, webhook.events, webhook.malformed, webhook.tls_handshake_failures
        );
    }
    finish(d)
}

fn open_follower(path: &Path, limits: &Limits, store: &OffsetStore) -> anyhow::Result<Follower> {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let f = Follower::open(&abs, *limits, StartAt::Beginning, store.get(&abs))
        .with_context(|| format!("following {}", path.display()))?;
    eprintln!(
        "bulwark audit: following {} ({:?})",
        abs.display(),
        f.resume()
    );
    Ok(f)
}

/// The webhook server, appending every batch to the journal (synced) before answering 200.
fn start_webhook(
    args: &AuditArgs,
    addr: &str,
    journal: &Path,
    limits: &Limits,
) -> anyhow::Result<WebhookServer> {
    let listen = addr
        .to_socket_addrs()
        .with_context(|| format!("--listen {addr}"))?
        .next()
        .with_context(|| format!("--listen {addr}: no address"))?;
    let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) else {
        bail!("--listen needs --tls-cert and --tls-key");
    };
    let mut config = WebhookConfig::new(listen, cert.clone(), key.clone());
    config.client_ca_pem.clone_from(&args.client_ca);
    config.limits = *limits;
    let writer = Mutex::new(Journal::open(journal)?);
    let handler = Arc::new(move |batch: Batch| -> Result<(), String> {
        let mut j = writer
            .lock()
            .map_err(|_| "journal lock poisoned".to_string())?;
        j.append(&batch.events).map_err(|e| format!("{e:#}"))
    });
    WebhookServer::start(&config, handler).context("starting the audit webhook")
}

/// The webhook's journal: JSON lines, synced before a batch is acknowledged, rotated with the
/// API server's own naming so the follower reads rotated journals in order.
struct Journal {
    path: PathBuf,
    file: File,
    size: u64,
}

impl Journal {
    fn open(path: &Path) -> anyhow::Result<Journal> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening the webhook journal {}", path.display()))?;
        let size = file.metadata().map_or(0, |m| m.len());
        Ok(Journal {
            path: path.to_path_buf(),
            file,
            size,
        })
    }

    fn append(&mut self, events: &[Value]) -> anyhow::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        for e in events {
            serde_json::to_writer(&mut buf, e)?;
            buf.push(b'\n');
        }
        self.file
            .write_all(&buf)
            .and_then(|()| self.file.sync_data())
            .with_context(|| format!("appending to {}", self.path.display()))?;
        self.size += buf.len() as u64;
        if self.size >= JOURNAL_ROTATE_BYTES {
            self.rotate()?;
        }
        Ok(())
    }

    fn rotate(&mut self) -> anyhow::Result<()> {
        let now = bulwark_rules::iso8601(
            u64::try_from(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_nanos(),
            )
            .unwrap_or(0),
            "",
        );
        // 2026-11-27T10:00:00.123456789 → 2026-11-27T10-00-00.123 (lumberjack's naming)
        let stamp = format!("{}.{}", now[..19].replace(':', "-"), &now[20..23]);
        let rotated = self
            .path
            .with_file_name(format!("webhook-journal-{stamp}.jsonl"));
        std::fs::rename(&self.path, &rotated)
            .with_context(|| format!("rotating {}", self.path.display()))?;
        *self = Journal::open(&self.path)?;
        Ok(())
    }
}

/// Deletes the rotated webhook journals once the follower has read past them: when its saved
/// position is in the live journal, every rotated one was read to its end (the follower reads
/// them first). The file the position is in is never deleted.
fn prune_journals(live: &Path, at: &Checkpoint) {
    use std::os::unix::fs::MetadataExt as _;
    let Ok(meta) = std::fs::metadata(live) else {
        return;
    };
    if (meta.dev(), meta.ino()) != (at.device, at.inode) {
        return;
    }
    for p in log_set(live).unwrap_or_default() {
        let current = std::fs::metadata(&p).is_ok_and(|m| m.ino() == at.inode);
        if p.file_name() != live.file_name() && !current {
            let _ = std::fs::remove_file(&p);
        }
    }
}

fn finish(d: Detector) -> anyhow::Result<u8> {
    let Detector {
        pipeline,
        events,
        malformed,
        repeats,
        ..
    } = d;
    let (webhook, limited) = pipeline.finish()?;
    if let Some(ws) = webhook {
        eprintln!(
            "bulwark audit: alert webhook delivered {}, spooled {}, {} still in the spool",
            ws.delivered, ws.spooled, ws.pending
        );
    }
    eprintln!(
        "bulwark audit: {events} events, {malformed} malformed, {repeats} repeats dropped, {limited} alerts rate-limited"
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt as _;

    use super::*;

    fn checkpoint_of(path: &Path) -> Checkpoint {
        let m = std::fs::metadata(path).unwrap();
        Checkpoint {
            device: m.dev(),
            inode: m.ino(),
            offset: 0,
            line: 0,
            fingerprint_len: 0,
            fingerprint: String::new(),
        }
    }

    #[test]
    fn rotated_journals_are_deleted_only_once_read() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("webhook-journal.jsonl");
        let rotated = dir
            .path()
            .join("webhook-journal-2026-11-27T10-00-00.000.jsonl");
        let older = dir
            .path()
            .join("webhook-journal-2026-11-27T09-00-00.000.jsonl");
        for p in [&live, &rotated, &older] {
            std::fs::write(p, "{}\n").unwrap();
        }
        // still reading a rotated journal: nothing goes
        prune_journals(&live, &checkpoint_of(&rotated));
        assert!(rotated.exists() && older.exists() && live.exists());
        // in the live journal: every rotated one was read
        prune_journals(&live, &checkpoint_of(&live));
        assert!(!rotated.exists() && !older.exists());
        assert!(live.exists());
    }
}
