//! `bulwark db import|update|info`: the advisory database.
//!
//! Every command that reads or writes the database finds it the same way ([`db_path`]):
//! `--db PATH`, else `$BULWARK_DB`, else `advisories.db` in the user's cache directory. Writes
//! build a new file beside it and rename it over the old one (see `bulwark_vuln::db`), so a
//! scan running meanwhile keeps reading a whole database.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use bulwark_vuln::db::{Database, DbInfo, SourceInfo, Writer};
use bulwark_vuln::fetch::{self, FetchOptions, Fetched, Previous};
use bulwark_vuln::import::{self, BadRecord, ImportError};

use crate::cli::{
    DbAction, DbArgs, DbImportArgs, DbInfoArgs, DbLocation, DbUpdateArgs, InfoFormat,
};

/// The ecosystems `db update` downloads into an empty database: every one the matcher knows
/// how to look up (osv.dev's directory names).
pub const DEFAULT_ECOSYSTEMS: &[&str] = &[
    "AlmaLinux",
    "Alpine",
    "Chainguard",
    "Debian",
    "Go",
    "Maven",
    "NuGet",
    "Packagist",
    "PyPI",
    "Rocky Linux",
    "RubyGems",
    "Ubuntu",
    "Wolfi",
    "crates.io",
    "npm",
];

/// Source names of osv.dev (or mirror) downloads: `osv:Debian`.
const OSV_PREFIX: &str = "osv:";

/// After this many days without new advisory data a scan warns that the database is stale.
pub const STALE_AFTER_DAYS: i64 = 7;

/// Where the database is.
pub fn db_path(location: &DbLocation) -> anyhow::Result<PathBuf> {
    if let Some(p) = &location.db {
        return Ok(p.clone());
    }
    if let Some(p) = std::env::var_os("BULWARK_DB").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })
        .context("no cache directory: set HOME, XDG_CACHE_HOME or BULWARK_DB, or pass --db")?;
    Ok(cache.join("bulwark").join("advisories.db"))
}

pub fn run(args: &DbArgs) -> anyhow::Result<u8> {
    let path = db_path(&args.location)?;
    match &args.action {
        DbAction::Import(a) => import(&path, a),
        DbAction::Update(a) => update(&path, a),
        DbAction::Info(a) => info(&path, a),
    }
}

fn now() -> String {
    bulwark_model::time::format_rfc3339(bulwark_model::time::now())
}

/// Streams one source into the writer as a source named `info.name`. Invalid records are
/// reported (the first 20) and refuse the import unless `skip_invalid`; the caller then drops
/// the writer, so nothing is written.
fn import_source(
    writer: &mut Writer,
    path: &Path,
    mut info: SourceInfo,
    skip_invalid: bool,
) -> anyhow::Result<SourceInfo> {
    writer.begin_source(&info.name)?;
    let result = stream_source(writer, path, &mut info, skip_invalid);
    if result.is_err() {
        writer.abort_source();
    }
    result.map(|()| info)
}

fn stream_source(
    writer: &mut Writer,
    path: &Path,
    info: &mut SourceInfo,
    skip_invalid: bool,
) -> anyhow::Result<()> {
    let mut shown: Vec<BadRecord> = Vec::new();
    let mut invalid = 0u64;
    let mut failed: Option<bulwark_vuln::db::DbError> = None;
    let sha256 = import::stream_path(path, &mut |batch| {
        invalid += batch.invalid.len() as u64;
        let room = 20usize.saturating_sub(shown.len());
        shown.extend(batch.invalid.into_iter().take(room));
        // Once a record is invalid (and not skipped) nothing more is stored; the rest is
        // still read so every invalid record is counted.
        if (invalid == 0 || skip_invalid)
            && let Err(e) = writer.add_records(info, batch.records)
        {
            let message = e.to_string();
            failed = Some(e);
            return Err(ImportError::Stopped(message));
        }
        Ok(())
    });
    if let Some(e) = failed {
        return Err(e.into());
    }
    let sha256 = sha256?;
    let mut err = std::io::stderr().lock();
    for bad in &shown {
        let level = if skip_invalid { "warning" } else { "error" };
        let _ = writeln!(err, "bulwark: {level}: {bad}");
    }
    if invalid > shown.len() as u64 {
        let _ = writeln!(err, "bulwark: … and {} more", invalid - shown.len() as u64);
    }
    if invalid > 0 && !skip_invalid {
        bail!(
            "{}: {invalid} invalid records; nothing was imported (fix them, or pass --skip-invalid to import the rest)",
            path.display()
        );
    }
    info.invalid = invalid;
    if info.sha256.is_none() {
        info.sha256 = sha256;
    }
    writer.end_source(info)?;
    Ok(())
}

fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://") || s.starts_with("file://")
}

fn fetch_options() -> FetchOptions {
    FetchOptions {
        timeout: Duration::from_secs(60),
        max_size: 8 << 30,
        user_agent: format!("bulwark/{}", env!("CARGO_PKG_VERSION")),
    }
}

fn downloads_dir(db: &Path) -> PathBuf {
    db.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("downloads")
}

/// A progress line on stderr, when it is a terminal.
struct Progress {
    enabled: bool,
    label: String,
    last: std::time::Instant,
}

impl Progress {
    fn new(label: &str, quiet: bool) -> Progress {
        Progress {
            enabled: !quiet && std::io::stderr().is_terminal(),
            label: label.to_owned(),
            last: std::time::Instant::now(),
        }
    }

    fn update(&mut self, done: u64, total: Option<u64>) {
        if !self.enabled || self.last.elapsed() < Duration::from_millis(100) {
            return;
        }
        self.last = std::time::Instant::now();
        #[allow(clippy::cast_precision_loss)] // MiB with one decimal for a progress bar
        let mib = |b: u64| b as f64 / f64::from(1 << 20);
        let line = match total {
            Some(t) if t > 0 => {
                let width = 30usize;
                let filled = usize::try_from(done.min(t) * width as u64 / t).unwrap_or(width);
                format!(
                    "{} [{}{}] {:.1}/{:.1} MiB",
                    self.label,
                    "#".repeat(filled),
                    "-".repeat(width - filled),
                    mib(done),
                    mib(t)
                )
            }
            _ => format!("{} {:.1} MiB", self.label, mib(done)),
        };
        let _ = write!(std::io::stderr(), "\r\x1b[2K{line}");
    }

    fn finish(&self) {
        if self.enabled {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}

fn import(db: &Path, args: &DbImportArgs) -> anyhow::Result<u8> {
    if args.name.is_some() && args.sources.len() > 1 {
        bail!("--name names one source; import several sources one at a time to name them");
    }
    // One new database for all the sources: a bad source leaves the old one untouched.
    let mut writer = Writer::begin(db)?;
    let mut err = std::io::stderr().lock();
    for source in &args.sources {
        let (location, path, etag, last_modified) = if is_url(source) {
            let file = downloads_dir(db).join(format!(
                "import-{}.zip",
                &bulwark_model::Fingerprint::new("url").part(source).finish()[..16]
            ));
            let mut progress = Progress::new(source, false);
            let got = fetch::fetch(source, &file, None, &fetch_options(), &mut |d, t| {
                progress.update(d, t);
            })
            .with_context(|| format!("downloading {source}"))?;
            progress.finish();
            let Fetched::File {
                path,
                etag,
                last_modified,
                ..
            } = got
            else {
                bail!("{source}: the server answered 304 Not Modified to an unconditional request");
            };
            (source.clone(), path, etag, last_modified)
        } else {
            let path = PathBuf::from(source);
            let location = std::fs::canonicalize(&path)
                .unwrap_or_else(|_| path.clone())
                .to_string_lossy()
                .into_owned();
            (location, path, None, None)
        };
        let info = SourceInfo {
            name: args.name.clone().unwrap_or_else(|| location.clone()),
            location,
            etag,
            last_modified,
            imported_at: now(),
            ..SourceInfo::default()
        };
        let stored = import_source(&mut writer, &path, info, args.skip_invalid)
            .with_context(|| format!("importing {source}"))?;
        let _ = writeln!(
            err,
            "bulwark: imported {} advisories from {} ({} withdrawn left out, {} GIT ranges ignored)",
            stored.records, stored.name, stored.withdrawn, stored.git_ranges
        );
    }
    writer.commit()?;
    let _ = writeln!(err, "bulwark: advisory database {}", db.display());
    Ok(0)
}

fn update(db: &Path, args: &DbUpdateArgs) -> anyhow::Result<u8> {
    let mirror = args
        .mirror
        .clone()
        .or_else(|| {
            std::env::var("BULWARK_DB_MIRROR")
                .ok()
                .filter(|m| !m.is_empty())
        })
        .unwrap_or_else(|| fetch::OSV_BASE.to_owned());
    let mut writer = Writer::begin(db)?;
    let existing = writer.sources()?;
    let ecosystems: Vec<String> = if args.ecosystems.is_empty() {
        let present: Vec<String> = existing
            .iter()
            .filter_map(|s| s.name.strip_prefix(OSV_PREFIX).map(str::to_owned))
            .collect();
        if present.is_empty() {
            DEFAULT_ECOSYSTEMS.iter().map(|e| (*e).to_owned()).collect()
        } else {
            present
        }
    } else {
        args.ecosystems
            .iter()
            .map(|e| e.trim().to_owned())
            .collect()
    };
    let downloads = downloads_dir(db);
    let mut err = std::io::stderr().lock();
    let mut failed = Vec::new();
    let mut changed = false;
    for ecosystem in &ecosystems {
        let url = fetch::ecosystem_url(&mirror, ecosystem);
        let name = format!("{OSV_PREFIX}{ecosystem}");
        let dest = downloads.join(format!("{}.zip", ecosystem.replace(['/', ' '], "_")));
        let previous = existing
            .iter()
            .find(|s| s.name == name && s.location == url)
            .map(|s| Previous {
                etag: s.etag.clone(),
                last_modified: s.last_modified.clone(),
            });
        let mut progress = Progress::new(ecosystem, args.quiet);
        let got = fetch::fetch(
            &url,
            &dest,
            previous.as_ref(),
            &fetch_options(),
            &mut |d, t| {
                progress.update(d, t);
            },
        );
        progress.finish();
        let fetched = match got {
            Ok(f) => f,
            Err(e) => {
                let _ = writeln!(err, "bulwark: error: {ecosystem}: {e}");
                failed.push(ecosystem.clone());
                continue;
            }
        };
        let Fetched::File {
            path,
            etag,
            last_modified,
            sha256,
            ..
        } = fetched
        else {
            if !args.quiet {
                let _ = writeln!(
                    err,
                    "bulwark: {ecosystem}: not modified since the last update"
                );
            }
            continue;
        };
        let info = SourceInfo {
            name,
            location: url,
            etag,
            last_modified,
            sha256: Some(sha256),
            imported_at: now(),
            ..SourceInfo::default()
        };
        // Data we do not control: a few bad records must not stop the update.
        let stored = match import_source(&mut writer, &path, info, true) {
            Ok(s) => s,
            Err(e) => {
                let _ = writeln!(err, "bulwark: error: {ecosystem}: {e:#}");
                failed.push(ecosystem.clone());
                continue;
            }
        };
        changed = true;
        if !args.quiet {
            let _ = writeln!(
                err,
                "bulwark: {ecosystem}: {} advisories ({} withdrawn left out)",
                stored.records, stored.withdrawn
            );
        }
    }
    if changed {
        writer.commit()?;
    }
    if !args.quiet {
        let _ = writeln!(err, "bulwark: advisory database {}", db.display());
    }
    if !failed.is_empty() {
        bail!(
            "could not update {} (the rest was updated; run again to resume)",
            failed.join(", ")
        );
    }
    Ok(0)
}

fn info(db: &Path, args: &DbInfoArgs) -> anyhow::Result<u8> {
    let info = Database::open(db)?.info()?;
    let mut out = std::io::stdout().lock();
    match args.format {
        InfoFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &info)?;
            writeln!(out)?;
        }
        InfoFormat::Table => write_info(&mut out, &info)?,
    }
    Ok(0)
}

/// The age of the newest advisory data, in days, and what it is measured from.
pub fn data_age_days(info_sources: &[SourceInfo], updated_at: Option<&str>) -> Option<i64> {
    let newest = info_sources
        .iter()
        .filter_map(|s| s.newest_record.as_deref().or(Some(s.imported_at.as_str())))
        .filter_map(bulwark_model::time::parse_rfc3339)
        .max()
        .or_else(|| updated_at.and_then(bulwark_model::time::parse_rfc3339))?;
    Some((bulwark_model::time::now() - newest).max(0) / 86_400)
}

fn write_info(out: &mut dyn std::io::Write, info: &DbInfo) -> std::io::Result<()> {
    writeln!(out, "Database:    {}", info.path.display())?;
    writeln!(out, "Schema:      {}", info.schema_version)?;
    writeln!(
        out,
        "Size:        {}.{} MiB",
        info.size >> 20,
        ((info.size & ((1 << 20) - 1)) * 10) >> 20
    )?;
    writeln!(
        out,
        "Updated:     {}",
        info.updated_at.as_deref().unwrap_or("never")
    )?;
    if let Some(age) = data_age_days(&info.sources, info.updated_at.as_deref()) {
        let stale = if age > STALE_AFTER_DAYS {
            " (stale: run `bulwark db update`)"
        } else {
            ""
        };
        writeln!(out, "Data age:    {age} days{stale}")?;
    }
    writeln!(
        out,
        "Advisories:  {} ({} package entries)",
        info.advisories, info.affected
    )?;
    writeln!(out, "\nSources:")?;
    for s in &info.sources {
        writeln!(out, "  {}", s.name)?;
        if s.location != s.name {
            writeln!(out, "    from:        {}", s.location)?;
        }
        writeln!(out, "    imported:    {}", s.imported_at)?;
        if let Some(n) = &s.newest_record {
            writeln!(out, "    newest:      {n}")?;
        }
        writeln!(
            out,
            "    records:     {} ({} withdrawn and {} invalid left out; {} GIT ranges ignored)",
            s.records, s.withdrawn, s.invalid, s.git_ranges
        )?;
        if let Some(sha) = &s.sha256 {
            writeln!(out, "    sha256:      {sha}")?;
        }
        if let Some(e) = &s.etag {
            writeln!(out, "    etag:        {e}")?;
        }
    }
    writeln!(out, "\nEcosystems:")?;
    for (e, n) in &info.ecosystems {
        writeln!(out, "  {e:<24} {n:>7}")?;
    }
    Ok(())
}
