//! The vulnerability scanner in `bulwark scan`: open the advisory database (and any
//! `--advisories` given for the scan), match every inventory (images, root file systems,
//! SBOMs), then apply VEX documents, the `.bulwarkignore` file and `--ignore-unfixed`.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use bulwark_model::{
    Finding, FixStatus, ImageReport, Note, NoteKind, Suppression, SuppressionSource,
};
use bulwark_vuln::db::{Database, DbError, SourceInfo};
use bulwark_vuln::ignore::IgnoreList;
use bulwark_vuln::vex::VexDocument;

use crate::cli::ScanArgs;

/// The default ignore file, looked for in the current directory.
pub const IGNORE_FILE: &str = ".bulwarkignore";

/// Everything matching needs, opened once per scan.
pub struct VulnScanner {
    dbs: Vec<Database>,
    vex: VexDocument,
    ignore: Option<IgnoreList>,
    ignore_unfixed: bool,
    /// Notes made while opening (a stale database, expired ignore entries).
    pub notes: Vec<Note>,
}

/// What matching produced.
pub struct Matched {
    /// Findings, with their suppressions (VEX, ignore file) beside them.
    pub findings: Vec<(Finding, Option<Suppression>)>,
    /// Notes (ecosystems without advisories, unfixed findings left out).
    pub notes: Vec<Note>,
}

fn note(message: String) -> Note {
    Note {
        kind: NoteKind::Other,
        path: None,
        message,
    }
}

impl VulnScanner {
    /// Opens the database and the scan's extra advisories, VEX documents and ignore file.
    /// `required`: the user asked for the vulnerability scanner, so a missing database is an
    /// error; otherwise it is `None` with a note.
    pub fn open(args: &ScanArgs, required: bool) -> anyhow::Result<Result<VulnScanner, Note>> {
        let path = crate::cmd::db::db_path(&args.db)?;
        let mut notes = Vec::new();
        let mut dbs = Vec::new();
        match Database::open(&path) {
            Ok(db) => {
                if let Some(age) = stale_days(&db)? {
                    notes.push(note(format!(
                        "the advisory data in {} is {age} days old; run `bulwark db update` for current data",
                        path.display()
                    )));
                }
                dbs.push(db);
            }
            Err(DbError::Missing(_)) if !args.advisories.is_empty() => {}
            Err(DbError::Missing(p)) if !required => {
                return Ok(Err(note(format!(
                    "vulnerability scanning skipped: no advisory database at {} (run `bulwark db update`, or `bulwark db import PATH` offline; see docs/vulnerabilities.md)",
                    p.display()
                ))));
            }
            Err(e) => return Err(e.into()),
        }
        if !args.advisories.is_empty() {
            let mut extra = Database::in_memory()?;
            for path in &args.advisories {
                let loaded = bulwark_vuln::import::load_path(path)
                    .with_context(|| format!("reading advisories {}", path.display()))?;
                if let Some(bad) = loaded.invalid.first() {
                    bail!(
                        "--advisories {}: {} invalid records, the first: {bad}",
                        path.display(),
                        loaded.invalid.len()
                    );
                }
                extra.add_source(
                    SourceInfo {
                        name: path.display().to_string(),
                        location: path.display().to_string(),
                        imported_at: bulwark_model::time::format_rfc3339(
                            bulwark_model::time::now(),
                        ),
                        ..SourceInfo::default()
                    },
                    loaded.records,
                )?;
            }
            dbs.push(extra);
        }
        let mut vex = VexDocument::default();
        for path in &args.vex {
            let data =
                std::fs::read(path).with_context(|| format!("reading VEX {}", path.display()))?;
            let doc = bulwark_vuln::vex::parse(&path.display().to_string(), &data)
                .with_context(|| format!("reading VEX {}", path.display()))?;
            vex.merge(doc);
        }
        let ignore = read_ignore(args.ignorefile.as_deref())?;
        if let Some(list) = &ignore {
            for e in list.expired(&today()) {
                notes.push(note(format!(
                    "{}:{}: the ignore entry for {} expired on {}; it no longer applies",
                    list.origin,
                    e.line,
                    e.id,
                    e.expires.as_deref().unwrap_or("")
                )));
            }
        }
        Ok(Ok(VulnScanner {
            dbs,
            vex,
            ignore,
            ignore_unfixed: args.ignore_unfixed,
            notes,
        }))
    }

    /// Matches one inventory.
    pub fn scan(&self, image: &ImageReport) -> anyhow::Result<Matched> {
        let dbs: Vec<&Database> = self.dbs.iter().collect();
        let (findings, stats) = bulwark_vuln::matcher::scan(&dbs, &image.packages, &image.name)
            .with_context(|| format!("matching the packages of {}", image.name))?;
        let mut notes = Vec::new();
        let path = Some(image.name.clone());
        if !stats.unsupported.is_empty() {
            notes.push(Note {
                kind: NoteKind::Other,
                path: path.clone(),
                message: format!(
                    "packages of {} not checked for vulnerabilities: the advisory database has no data for them (`bulwark db update --ecosystems …`)",
                    stats.unsupported.join(", ")
                ),
            });
        }
        if stats.no_distro > 0 {
            notes.push(Note {
                kind: NoteKind::Other,
                path: path.clone(),
                message: format!(
                    "{} OS packages not checked for vulnerabilities: the distribution release is unknown (no /etc/os-release, or a distribution Bulwark has no advisories for)",
                    stats.no_distro
                ),
            });
        }
        let mut out = Vec::new();
        let mut unfixed = 0usize;
        let today = today();
        for f in findings {
            let v = f.vulnerability.as_deref().expect("vulnerability findings");
            if self.ignore_unfixed && v.status != FixStatus::Fixed {
                unfixed += 1;
                continue;
            }
            let mut ids: Vec<&str> = vec![v.id.as_str()];
            ids.extend(v.advisories.iter().map(String::as_str));
            ids.extend(v.aliases.iter().map(String::as_str));
            let suppression = if let Some(st) = self.vex.not_affected(&ids, &v.purl) {
                let reason = match (&st.justification, &st.detail) {
                    (Some(j), Some(d)) => Some(format!("{j}: {d}")),
                    (Some(j), None) => Some(j.clone()),
                    (None, Some(d)) => Some(d.clone()),
                    (None, None) => None,
                };
                Some(Suppression {
                    source: SuppressionSource::Vex,
                    reason,
                    origin: format!("VEX {} ({} not_affected)", st.origin, st.vulnerability),
                })
            } else if let Some((list, e)) = self
                .ignore
                .as_ref()
                .and_then(|l| l.matching(&ids, &today).map(|e| (l, e)))
            {
                Some(Suppression {
                    source: SuppressionSource::IgnoreFile,
                    reason: e.reason.clone(),
                    origin: match &e.expires {
                        Some(d) => format!("{}:{} (until {d})", list.origin, e.line),
                        None => format!("{}:{}", list.origin, e.line),
                    },
                })
            } else {
                None
            };
            out.push((f, suppression));
        }
        if unfixed > 0 {
            notes.push(Note {
                kind: NoteKind::Other,
                path,
                message: format!(
                    "{unfixed} vulnerabilities without a fix left out (--ignore-unfixed)"
                ),
            });
        }
        Ok(Matched {
            findings: out,
            notes,
        })
    }
}

fn today() -> String {
    bulwark_model::time::format_date(bulwark_model::time::now())
}

fn stale_days(db: &Database) -> anyhow::Result<Option<i64>> {
    let sources = db.sources()?;
    let age = crate::cmd::db::data_age_days(&sources, db.updated_at()?.as_deref());
    Ok(age.filter(|a| *a > crate::cmd::db::STALE_AFTER_DAYS))
}

fn read_ignore(flag: Option<&Path>) -> anyhow::Result<Option<IgnoreList>> {
    let path: PathBuf = if let Some(p) = flag {
        p.to_path_buf()
    } else {
        let p = PathBuf::from(IGNORE_FILE);
        if !p.is_file() {
            return Ok(None);
        }
        p
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading the ignore file {}", path.display()))?;
    Ok(Some(bulwark_vuln::ignore::parse(
        &path.display().to_string(),
        &text,
    )?))
}
