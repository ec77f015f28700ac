//! Bounded reading of zip, tar and gzip archives: entries streamed with limits on size, count,
//! nesting and total expansion.
//!
//! Archives are untrusted input. Every byte this crate decompresses counts against one budget
//! shared by an archive and everything nested in it ([`Limits::max_total_size`]), so a zip
//! bomb (high ratio, overlapping entries, or archives nested in archives) stops at the budget
//! with [`Skip`] notes instead of exhausting memory. Entries are handed to the caller in
//! memory, one at a time; nothing is ever written to disk, so entry paths cannot escape
//! anywhere, but they are still normalised ([`clean_path`]) before they are shown.

use std::io::{Cursor, Read};

/// How far an archive may expand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest entry handed to the caller; larger entries are skipped with a note.
    pub max_entry_size: u64,
    /// Decompressed bytes read from one top-level archive, nested archives included.
    pub max_total_size: u64,
    /// Entries visited in one top-level archive, nested archives included.
    pub max_entries: usize,
    /// How deep archives may nest (1: entries of the archive itself, no nested archives).
    pub max_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entry_size: 64 * 1024 * 1024,
            max_total_size: 1024 * 1024 * 1024,
            max_entries: 100_000,
            max_depth: 4,
        }
    }
}

/// The archive formats this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A zip archive (also `.jar`, `.war`, `.whl`, `.apk` …).
    Zip,
    /// A POSIX/GNU tar archive.
    Tar,
    /// gzip-compressed data: a `.tar.gz` when the decompressed data is a tar, else one file.
    Gzip,
}

/// Recognises an archive by its first bytes (at least 262 for tar).
pub fn detect(head: &[u8]) -> Option<Kind> {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Some(Kind::Zip)
    } else if head.starts_with(&[0x1f, 0x8b]) {
        Some(Kind::Gzip)
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Some(Kind::Tar)
    } else {
        None
    }
}

/// One file inside an archive.
#[derive(Debug)]
pub struct Entry<'a> {
    /// Its path, from the top-level archive down: nested archives are joined with `!`
    /// (`release.zip!app/config.tar.gz!etc/app.env`).
    pub path: &'a str,
    /// Its content.
    pub data: &'a [u8],
}

/// Something the walk left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    /// The entry (or archive) path.
    pub path: String,
    /// Why it was not read.
    pub reason: String,
}

/// What a walk saw.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Entries handed to the caller.
    pub entries: usize,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// Entries and archives left out.
    pub skipped: Vec<Skip>,
}

/// Why an archive could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The archive is malformed (bad header, bad compressed stream, truncated).
    #[error("{path}: malformed {kind} archive: {message}")]
    Malformed {
        /// The archive's path.
        path: String,
        /// Its format.
        kind: &'static str,
        /// What was wrong.
        message: String,
    },
}

struct Walk<'f> {
    limits: Limits,
    summary: Summary,
    visit: &'f mut dyn FnMut(Entry<'_>),
    budget_spent: bool,
}

impl Walk<'_> {
    fn skip(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        self.summary.skipped.push(Skip {
            path: path.into(),
            reason: reason.into(),
        });
    }

    fn remaining(&self) -> u64 {
        self.limits
            .max_total_size
            .saturating_sub(self.summary.bytes)
    }

    /// Reads one entry within the entry limit and the shared budget; `None` (with a note) if
    /// it does not fit.
    fn read_bounded(&mut self, path: &str, reader: &mut dyn Read) -> Option<Vec<u8>> {
        if self.budget_spent {
            return None;
        }
        let cap = self.limits.max_entry_size.min(self.remaining());
        let mut data = Vec::new();
        match reader.take(cap + 1).read_to_end(&mut data) {
            Ok(n) => self.summary.bytes += n as u64,
            Err(e) => {
                self.skip(path, format!("unreadable: {e}"));
                return None;
            }
        }
        if data.len() as u64 > cap {
            if cap < self.limits.max_entry_size {
                self.budget_spent = true;
                self.skip(
                    path,
                    format!(
                        "expansion budget of {} bytes spent (a decompression bomb?); the rest of the archive is not read",
                        self.limits.max_total_size
                    ),
                );
            } else {
                self.skip(
                    path,
                    format!(
                        "entry larger than {} bytes not read",
                        self.limits.max_entry_size
                    ),
                );
            }
            return None;
        }
        Some(data)
    }

    /// Hands `data` to the caller, or walks it when it is itself an archive.
    fn entry(&mut self, path: &str, data: &[u8], depth: u32) {
        if self.summary.entries >= self.limits.max_entries {
            if !self.budget_spent {
                self.budget_spent = true;
                self.skip(
                    path,
                    format!(
                        "more than {} entries; the rest of the archive is not read",
                        self.limits.max_entries
                    ),
                );
            }
            return;
        }
        if let Some(kind) = detect(data) {
            if depth >= self.limits.max_depth {
                self.skip(
                    path,
                    format!(
                        "archive nested more than {} deep not opened",
                        self.limits.max_depth
                    ),
                );
                return;
            }
            // A nested archive that is malformed is a note, not the end of its parent.
            if let Err(e) = self.archive(path, kind, data, depth + 1) {
                self.skip(path, e.to_string());
            }
            return;
        }
        self.summary.entries += 1;
        (self.visit)(Entry { path, data });
    }

    fn archive(
        &mut self,
        path: &str,
        kind: Kind,
        data: &[u8],
        depth: u32,
    ) -> Result<(), ArchiveError> {
        match kind {
            Kind::Zip => self.zip(path, data, depth),
            Kind::Tar => self.tar(path, data, depth),
            Kind::Gzip => {
                let mut decoder = flate2::read::MultiGzDecoder::new(data);
                let Some(inner) = self.read_bounded(path, &mut decoder) else {
                    return Ok(());
                };
                if detect(&inner) == Some(Kind::Tar) {
                    self.tar(path, &inner, depth)
                } else {
                    // A single compressed file: its name is the archive's without `.gz`.
                    let name = path.strip_suffix(".gz").unwrap_or(path);
                    let inner_path = format!("{path}!{}", name.rsplit('/').next().unwrap_or(name));
                    self.entry(&inner_path, &inner, depth);
                    Ok(())
                }
            }
        }
    }

    fn zip(&mut self, path: &str, data: &[u8], depth: u32) -> Result<(), ArchiveError> {
        let malformed = |e: zip::result::ZipError| ArchiveError::Malformed {
            path: path.to_string(),
            kind: "zip",
            message: e.to_string(),
        };
        let mut archive = zip::ZipArchive::new(Cursor::new(data)).map_err(malformed)?;
        for i in 0..archive.len() {
            if self.budget_spent {
                break;
            }
            let mut file = match archive.by_index(i) {
                Ok(f) => f,
                Err(e) => {
                    self.skip(format!("{path}!#{i}"), format!("unreadable entry: {e}"));
                    continue;
                }
            };
            if !file.is_file() {
                continue;
            }
            let inner = format!("{path}!{}", clean_path(file.name()));
            if file.encrypted() {
                self.skip(inner, "encrypted entry not read");
                continue;
            }
            let Some(bytes) = self.read_bounded(&inner, &mut file) else {
                continue;
            };
            drop(file);
            self.entry(&inner, &bytes, depth);
        }
        Ok(())
    }

    fn tar(&mut self, path: &str, data: &[u8], depth: u32) -> Result<(), ArchiveError> {
        let malformed = |e: std::io::Error| ArchiveError::Malformed {
            path: path.to_string(),
            kind: "tar",
            message: e.to_string(),
        };
        let mut archive = tar::Archive::new(data);
        for entry in archive.entries().map_err(malformed)? {
            if self.budget_spent {
                break;
            }
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    // A broken header ends a tar stream: what was read stands.
                    self.skip(path, format!("malformed tar entry, rest not read: {e}"));
                    break;
                }
            };
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = entry.path().map_or_else(
                |_| "<unnamed>".to_string(),
                |p| clean_path(&p.to_string_lossy()),
            );
            let inner = format!("{path}!{name}");
            let Some(bytes) = self.read_bounded(&inner, &mut entry) else {
                continue;
            };
            self.entry(&inner, &bytes, depth);
        }
        Ok(())
    }
}

/// Walks the archive `data` (named `path`), handing every file in it, and in archives nested
/// in it, to `visit`. Limits turn into [`Summary::skipped`] entries; only an archive whose
/// top level cannot be read at all is an error.
pub fn walk(
    path: &str,
    kind: Kind,
    data: &[u8],
    limits: Limits,
    visit: &mut dyn FnMut(Entry<'_>),
) -> Result<Summary, ArchiveError> {
    let mut w = Walk {
        limits,
        summary: Summary::default(),
        visit,
        budget_spent: false,
    };
    w.archive(path, kind, data, 1)?;
    Ok(w.summary)
}

/// An entry path as shown: separators unified, leading `/`, `.` and `..` components dropped,
/// so `../../etc/passwd` reads `etc/passwd`.
pub fn clean_path(name: &str) -> String {
    let parts: Vec<&str> = name
        .split(['/', '\\'])
        .filter(|c| !c.is_empty() && *c != "." && *c != "..")
        .collect();
    if parts.is_empty() {
        "<unnamed>".to_string()
    } else {
        parts.join("/")
    }
}
