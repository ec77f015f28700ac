//! `bulwark scan --git-history REPO`: every blob ever added to a repository, scanned once.
//!
//! The history is read with the `git` command (`git log --raw` for which commit added which
//! blob at which path, `git cat-file --batch` for the blobs), so every repository format git
//! understands works (packs, bare repositories, worktrees, partial clones). git is asked only
//! to read: hooks and fsmonitor are switched off on its command line.
//!
//! Findings are merged by fingerprint (rule and value): a secret that survives twenty edits of
//! its file is one finding listing the twenty commits, located at the oldest.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use bulwark_model::{CommitRef, Finding, Note, NoteKind};
use bulwark_secrets::looks_binary;
use rayon::prelude::*;

use crate::cmd::secrets::SecretEngine;

/// What scanning a history produced.
#[derive(Debug, Default)]
pub struct HistoryScan {
    /// Findings, merged by fingerprint, each with the commits that added it.
    pub findings: Vec<Finding>,
    /// Skipped blobs (binary, too large), summarised.
    pub notes: Vec<Note>,
    /// Distinct blobs scanned.
    pub blobs: usize,
}

/// The commits and paths that added each blob, by blob id.
type Places = HashMap<String, Vec<CommitRef>>;

/// Blobs are scanned in parallel batches of about this many bytes.
const BATCH_BYTES: usize = 64 * 1024 * 1024;

fn git(repo: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C")
        .arg(repo)
        .args([
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.hooksPath=/dev/null",
        ])
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    c
}

/// Scans every blob reachable from any ref of the repository at `repo`. Blobs larger than
/// `max_size` and binary blobs are skipped with a note.
pub fn scan(repo: &Path, engine: &SecretEngine, max_size: u64) -> anyhow::Result<HistoryScan> {
    let check = git(repo)
        .args(["rev-parse", "--git-dir"])
        .stderr(Stdio::piped())
        .output()
        .context("running git (is it installed?)")?;
    if !check.status.success() {
        bail!(
            "{}: not a git repository: {}",
            repo.display(),
            String::from_utf8_lossy(&check.stderr).trim()
        );
    }
    let (order, places) = added_blobs(repo)?;
    let mut out = HistoryScan::default();
    let mut merged: HashMap<String, usize> = HashMap::new();
    let (mut binary, mut large) = (0usize, 0usize);

    let mut child = git(repo)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("running git cat-file")?;
    let mut stdin = child.stdin.take().context("git cat-file stdin")?;
    let ids: Vec<String> = order.clone();
    // The writer runs beside the reader, so neither pipe fills up and blocks the other.
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        for id in ids {
            stdin.write_all(id.as_bytes())?;
            stdin.write_all(b"\n")?;
        }
        Ok(())
    });
    let mut reader = BufReader::new(child.stdout.take().context("git cat-file stdout")?);
    let mut batch: Vec<(usize, Vec<u8>)> = Vec::new();
    let mut batch_bytes = 0usize;
    for (index, id) in order.iter().enumerate() {
        let size = read_header(&mut reader, id)?;
        let Some(size) = size else { continue };
        if size > max_size {
            large += 1;
            std::io::copy(&mut (&mut reader).take(size + 1), &mut std::io::sink())?;
            continue;
        }
        let len = usize::try_from(size).context("blob size")?;
        let mut bytes = vec![0; len + 1];
        reader
            .read_exact(&mut bytes)
            .with_context(|| format!("reading blob {id}"))?;
        bytes.pop();
        if looks_binary(&bytes) {
            binary += 1;
            continue;
        }
        out.blobs += 1;
        batch_bytes += bytes.len();
        batch.push((index, bytes));
        if batch_bytes >= BATCH_BYTES {
            scan_batch(engine, &order, &places, &mut batch, &mut out, &mut merged);
            batch_bytes = 0;
        }
    }
    scan_batch(engine, &order, &places, &mut batch, &mut out, &mut merged);
    finish(child, writer)?;
    if binary > 0 {
        out.notes.push(Note {
            kind: NoteKind::Binary,
            path: Some(repo.display().to_string()),
            message: format!("git history: {binary} binary blobs not scanned"),
        });
    }
    if large > 0 {
        out.notes.push(Note {
            kind: NoteKind::Skipped,
            path: Some(repo.display().to_string()),
            message: format!(
                "git history: {large} blobs larger than {max_size} bytes not scanned (--max-file-size)"
            ),
        });
    }
    Ok(out)
}

/// Reads one `cat-file --batch` header; `None` when git reports the object missing (a
/// partial clone).
fn read_header(reader: &mut impl BufRead, id: &str) -> anyhow::Result<Option<u64>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        bail!("git cat-file stopped before blob {id}");
    }
    let mut parts = line.split_ascii_whitespace();
    match (parts.next(), parts.next(), parts.next()) {
        (Some(_), Some("missing"), None) => Ok(None),
        (Some(_), Some("blob"), Some(size)) => {
            Ok(Some(size.parse().with_context(|| {
                format!("git cat-file header {line:?}")
            })?))
        }
        _ => bail!("unexpected git cat-file header {line:?}"),
    }
}

fn finish(
    mut child: Child,
    writer: std::thread::JoinHandle<std::io::Result<()>>,
) -> anyhow::Result<()> {
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("git cat-file writer panicked"))?
        .context("writing to git cat-file")?;
    let status = child.wait()?;
    if !status.success() {
        bail!("git cat-file failed ({status})");
    }
    Ok(())
}

fn scan_batch(
    engine: &SecretEngine,
    order: &[String],
    places: &Places,
    batch: &mut Vec<(usize, Vec<u8>)>,
    out: &mut HistoryScan,
    merged: &mut HashMap<String, usize>,
) {
    let mut found: Vec<(usize, Vec<Finding>)> = batch
        .par_iter()
        .map(|(index, bytes)| {
            let first = &places[&order[*index]][0];
            let path: Arc<str> = Arc::clone(&first.path);
            (*index, engine.scan_file(&path, bytes, &[], "default"))
        })
        .collect();
    batch.clear();
    found.sort_by_key(|(index, _)| *index);
    for (index, findings) in found {
        let commits = &places[&order[index]];
        for mut f in findings {
            if let Some(&at) = merged.get(&f.fingerprint) {
                let existing = &mut out.findings[at].commits;
                for c in commits {
                    if !existing.contains(c) {
                        existing.push(c.clone());
                    }
                }
            } else {
                f.commits.clone_from(commits);
                merged.insert(f.fingerprint.clone(), out.findings.len());
                out.findings.push(f);
            }
        }
    }
}

/// Every blob added or modified by a commit reachable from any ref, in order of first
/// appearance (oldest commits first), with the commits and paths that added it.
///
/// Merge commits contribute nothing of their own (their blobs come from their parents); a
/// blob written only while resolving a merge conflict is the one thing this misses.
fn added_blobs(repo: &Path) -> anyhow::Result<(Vec<String>, Places)> {
    let mut child = git(repo)
        .args([
            "log",
            "--all",
            "--reverse",
            "--date-order",
            "--no-renames",
            "--raw",
            "--no-abbrev",
            "-z",
            "--format=%x01%H %aI",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running git log")?;
    let stdout = BufReader::new(child.stdout.take().context("git log stdout")?);
    let mut order = Vec::new();
    let mut places = Places::new();
    let mut commit: Option<(String, String)> = None;
    // After a raw line, the next token is its path: `Some(Some(blob))` records it,
    // `Some(None)` skips it (a deletion, a symlink, a submodule).
    let mut pending: Option<Option<String>> = None;
    for token in stdout.split(0) {
        let token = token.context("reading git log")?;
        let text = String::from_utf8_lossy(&token);
        let text = text.trim_start_matches('\n');
        if let Some(expected) = pending.take() {
            let Some(blob) = expected else {
                continue;
            };
            let Some((id, date)) = &commit else {
                bail!("git log: a file before any commit");
            };
            let place = CommitRef {
                commit: id.clone(),
                path: Arc::from(text),
                date: Some(date.clone()),
            };
            let entry = places.entry(blob.clone()).or_default();
            if entry.is_empty() {
                order.push(blob);
            }
            if !entry.contains(&place) {
                entry.push(place);
            }
        } else if let Some(header) = text.strip_prefix('\u{1}') {
            let (id, date) = header.split_once(' ').unwrap_or((header, ""));
            commit = Some((id.to_string(), date.trim().to_string()));
        } else if let Some(raw) = text.strip_prefix(':') {
            // `:old-mode new-mode old-id new-id status`, then the path as the next token.
            let fields: Vec<&str> = raw.split(' ').collect();
            let [_, new_mode, _, new_id, status] = fields[..] else {
                bail!("git log: unexpected raw line {text:?}");
            };
            let regular_file = new_mode == "100644" || new_mode == "100755";
            pending = Some(
                (regular_file && matches!(status, "A" | "M" | "T")).then(|| new_id.to_string()),
            );
        }
    }
    let status = child.wait()?;
    if !status.success() {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            e.read_to_string(&mut err).ok();
        }
        // An empty repository has no history: nothing to scan, not an error.
        if err.contains("does not have any commits") || err.contains("bad default revision") {
            return Ok((order, places));
        }
        bail!("git log failed ({status}): {}", err.trim());
    }
    Ok((order, places))
}
