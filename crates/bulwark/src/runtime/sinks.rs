//! Where alerts go: stdout or a file as JSON lines (Falco's `json_output`), and an HTTP
//! webhook with retries and an on-disk spool, so alerts survive an outage of the receiver.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use bulwark_rules::Alert;

/// How an alert is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line, Falco's format.
    Json,
    /// Falco's text line: `<time>: <Priority> <output>`.
    Text,
}

/// A line sink: stdout or a file opened for appending.
pub struct LineSink {
    out: Box<dyn Write + Send>,
    format: Format,
}

impl LineSink {
    /// Stdout.
    pub fn stdout(format: Format) -> LineSink {
        LineSink {
            out: Box::new(std::io::stdout()),
            format,
        }
    }

    /// A file, appended to (created when missing).
    pub fn file(path: &Path, format: Format) -> anyhow::Result<LineSink> {
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        Ok(LineSink {
            out: Box::new(BufWriter::new(f)),
            format,
        })
    }

    /// Writes one alert. Stdout is flushed per line, so pipes see alerts as they happen.
    pub fn write(&mut self, alert: &Alert) -> std::io::Result<()> {
        match self.format {
            Format::Json => {
                serde_json::to_writer(&mut self.out, alert)?;
                self.out.write_all(b"\n")?;
            }
            Format::Text => writeln!(self.out, "{}", alert.output)?,
        }
        self.out.flush()
    }

    /// Flushes what is buffered.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// An HTTP webhook: alerts are POSTed one per request as JSON (what Falcosidekick accepts),
/// from a thread of their own. A failed delivery is retried; alerts that still fail are
/// appended to the spool directory and resent, oldest first, once the receiver answers again.
pub struct Webhook {
    tx: Option<SyncSender<Alert>>,
    thread: Option<JoinHandle<WebhookStats>>,
}

/// What the webhook did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WebhookStats {
    /// Alerts the receiver accepted.
    pub delivered: u64,
    /// Alerts written to the spool (some may have been delivered later).
    pub spooled: u64,
    /// Alerts still in the spool at the end.
    pub pending: u64,
}

const ATTEMPTS: u32 = 3;

impl Webhook {
    /// Starts the delivery thread. `spool` is created if missing; alerts spooled by an earlier
    /// run are sent first.
    pub fn start(url: String, spool: PathBuf) -> anyhow::Result<Webhook> {
        std::fs::create_dir_all(&spool)
            .with_context(|| format!("creating the spool directory {}", spool.display()))?;
        let (tx, rx) = sync_channel::<Alert>(10_000);
        let thread = std::thread::Builder::new()
            .name("bulwark-webhook".into())
            .spawn(move || deliver(&url, &spool, &rx))
            .context("starting the webhook thread")?;
        Ok(Webhook {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Queues an alert (blocks when 10,000 are queued: back-pressure, never loss).
    pub fn send(&self, alert: Alert) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(alert);
        }
    }

    /// Delivers or spools what is queued, and stops.
    pub fn finish(mut self) -> WebhookStats {
        drop(self.tx.take());
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(2))
        .timeout(Duration::from_secs(5))
        .build()
}

fn post(agent: &ureq::Agent, url: &str, body: &str) -> bool {
    agent
        .post(url)
        .set("Content-Type", "application/json")
        .send_string(body)
        .is_ok()
}

fn post_with_retries(agent: &ureq::Agent, url: &str, body: &str) -> bool {
    for attempt in 0..ATTEMPTS {
        if post(agent, url, body) {
            return true;
        }
        if attempt + 1 < ATTEMPTS {
            std::thread::sleep(Duration::from_millis(100 << attempt));
        }
    }
    false
}

/// Spool files in the order they were written.
fn spooled(spool: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(spool)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Resends spooled alerts; a file is removed once all its lines were accepted, and rewritten
/// with the rest when the receiver fails part way.
fn drain_spool(agent: &ureq::Agent, url: &str, spool: &Path, stats: &mut WebhookStats) -> bool {
    for file in spooled(spool) {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        for (i, line) in lines.iter().enumerate() {
            if !post(agent, url, line) {
                let rest = lines[i..].join("\n") + "\n";
                let _ = std::fs::write(&file, rest);
                return false;
            }
            stats.delivered += 1;
        }
        let _ = std::fs::remove_file(&file);
    }
    true
}

fn spool_file(spool: &Path) -> PathBuf {
    let ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    spool.join(format!("alerts-{ns:020}.jsonl"))
}

fn deliver(url: &str, spool: &Path, rx: &Receiver<Alert>) -> WebhookStats {
    let agent = agent();
    let mut stats = WebhookStats::default();
    let mut healthy = drain_spool(&agent, url, spool, &mut stats);
    let mut current: Option<(PathBuf, File)> = None;
    loop {
        let alert = match rx.recv_timeout(Duration::from_secs(2)) {
            Ok(a) => Some(a),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        if !healthy || alert.is_none() {
            // Retry the spool before anything new, so order is kept.
            current = None;
            healthy = drain_spool(&agent, url, spool, &mut stats);
        }
        let Some(alert) = alert else { continue };
        let Ok(body) = serde_json::to_string(&alert) else {
            continue;
        };
        if healthy && post_with_retries(&agent, url, &body) {
            stats.delivered += 1;
            continue;
        }
        healthy = false;
        if current.is_none() {
            let path = spool_file(spool);
            if let Ok(f) = OpenOptions::new().create(true).append(true).open(&path) {
                current = Some((path, f));
            }
        }
        if let Some((_, f)) = &mut current
            && writeln!(f, "{body}").and_then(|()| f.sync_data()).is_ok()
        {
            stats.spooled += 1;
        }
    }
    drop(current);
    drain_spool(&agent, url, spool, &mut stats);
    stats.pending = spooled(spool)
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .map(|t| t.lines().filter(|l| !l.trim().is_empty()).count() as u64)
        .sum();
    stats
}
