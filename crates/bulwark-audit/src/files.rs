//! Audit log files: plain and gzipped, rotated sets, following a growing file, and offsets
//! persisted so a restart neither loses nor repeats events.
//!
//! # Reading a file ([`read_file`])
//!
//! A file is gzip when it starts with the magic bytes `1f 8b`, whatever its name. Its
//! (decompressed) content is read as JSON lines, the API server's log backend: one `Event` per
//! line (a line holding an `EventList` yields its items). Memory is bounded by one line plus a
//! read buffer: a line longer than [`Limits::max_line_bytes`] is skipped up to its newline
//! without being buffered and counted as [`Malformed`] with its line number (an over-long
//! line is bad input, like a broken one, so it never stops the file; its sample is left empty
//! since a prefix of it could hold a Secret). When the first non-blank line is not JSON on its
//! own (a pretty-printed `EventList` or `Event` document) or is over the line limit, the file
//! is read once more as one document ([`decode_document`], bounded by
//! [`Limits::max_document_bytes`]); if it is not one JSON value either, it is read as lines.
//! Errors ([`AuditError::Io`]) name the file; malformed lines never stop it. Offsets are of the
//! decompressed content.
//!
//! # Rotated sets ([`log_set`])
//!
//! The API server rotates its log with lumberjack: `audit.log` becomes
//! `audit-2026-11-27T10-00-00.000.log` (then `…log.gz` with compression) in the same
//! directory. A set is listed oldest first by the timestamp in the name (fixed width, so the
//! names sort as the times do), the live file last. While lumberjack compresses a file, both
//! the plain and the `.gz` name exist; the plain one is listed (the other is incomplete).
//!
//! # Following ([`Follower`])
//!
//! The caller polls, typically every 200 ms. A poll reads the live file to its current end and
//! hands out only complete lines: a partial last line waits in memory for its newline (or is
//! skipped unbuffered once it is over the limit). Rotation is noticed when the path names
//! another inode: the old handle (still open, even if deleted) is read to its end, its last
//! line delivered even without a newline, then any rotated files newer than it, then the new
//! live file from offset 0. Truncation is noticed when the file is shorter than what was read,
//! or when its first bytes changed (a `copytruncate` that was refilled before the poll):
//! reading restarts at 0.
//!
//! # Offsets ([`OffsetStore`], [`Checkpoint`])
//!
//! A [`Checkpoint`] is (device, inode, offset after the last delivered line, line count, and a
//! SHA-256 fingerprint of the file's first bytes, at most [`FINGERPRINT_BYTES`], never past the
//! offset). The caller commits after it has processed the events ([`Follower::commit`]), so
//! delivery is at least once: a crash between processing and commit repeats at most the events
//! delivered since the last commit, and nothing committed is read again. On start
//! ([`Follower::open`]) the follower resumes at the checkpoint when the live file still has its
//! device, inode and fingerprint; otherwise it looks for the checkpoint's file among the
//! rotated files (plain ones by inode and fingerprint, gzipped ones by the fingerprint of their
//! decompressed content, since compression gives them a new inode), reads the rest of it, the
//! newer rotated files, then the live file. When the file cannot be found ([`Resume::Lost`])
//! the live file is read from 0: events may have been lost while stopped, and the caller is
//! told so. The state file is JSON, replaced atomically (temporary file in the same directory,
//! fsync, rename, fsync of the directory).

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::AuditError;
use crate::decode::{Decoded, Limits, Malformed, decode_document, decode_line};

/// How many [`Malformed`] samples [`FileStats`] keeps (the count goes on).
pub const MAX_SAMPLES: usize = 16;

/// How many of a file's first bytes its fingerprint covers.
pub const FINGERPRINT_BYTES: usize = 1024;

/// The read buffer's size.
const READ_BUFFER: usize = 64 << 10;

/// Where an event came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position<'a> {
    /// The file.
    pub file: &'a Path,
    /// Its 1-based line; `None` for an event of a whole (pretty-printed) document.
    pub line: Option<u64>,
    /// The offset just after the event's line (of the decompressed content): where reading
    /// would resume to get what follows.
    pub offset: u64,
}

/// What reading a file (or following one) found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileStats {
    /// Events handed out.
    pub events: u64,
    /// Lines (or document items) that were not events, over-long lines included.
    pub malformed: u64,
    /// The first [`MAX_SAMPLES`] of them.
    pub samples: Vec<Malformed>,
    /// Bytes read (decompressed).
    pub bytes: u64,
}

impl FileStats {
    fn malformed(&mut self, m: Malformed) {
        self.malformed += 1;
        if self.samples.len() < MAX_SAMPLES {
            self.samples.push(m);
        }
    }
}

/// Reads an audit log file, plain or gzip (by its magic bytes), JSON lines or one
/// `EventList`/`Event` document, and calls `each` for every event in order.
///
/// # Errors
/// [`AuditError::Io`] naming the file when it cannot be opened or read (a corrupt gzip stream
/// included); [`AuditError::TooLarge`] only for a document over
/// [`Limits::max_document_bytes`] in document mode. Malformed lines are counted in the
/// returned [`FileStats`], never errors.
pub fn read_file(
    path: &Path,
    limits: &Limits,
    mut each: impl FnMut(Value, Position<'_>),
) -> Result<FileStats, AuditError> {
    let reader = open_reader(path)?;
    match read_lines_inner(reader, path, limits, true, &mut each)? {
        LinesOutcome::Done(stats) => Ok(stats),
        LinesOutcome::TryDocument(_) => {
            // Bounded: one byte over the limit is enough to know it is too large.
            let mut bytes = Vec::new();
            open_reader(path)?
                .take(limits.max_document_bytes.saturating_add(1))
                .read_to_end(&mut bytes)
                .map_err(|e| io_error(path, e))?;
            let one_value = bytes.len() as u64 <= limits.max_document_bytes
                && serde_json::from_slice::<serde::de::IgnoredAny>(bytes.trim_ascii()).is_ok();
            if !one_value {
                drop(bytes);
                let reader = open_reader(path)?;
                return match read_lines_inner(reader, path, limits, false, &mut each)? {
                    LinesOutcome::Done(stats) | LinesOutcome::TryDocument(stats) => Ok(stats),
                };
            }
            let decoded = decode_document(&bytes, limits)?;
            let mut stats = FileStats {
                bytes: bytes.len() as u64,
                ..FileStats::default()
            };
            for m in decoded.malformed {
                stats.malformed(m);
            }
            for event in decoded.events {
                stats.events += 1;
                each(
                    event,
                    Position {
                        file: path,
                        line: None,
                        offset: stats.bytes,
                    },
                );
            }
            Ok(stats)
        }
    }
}

/// Reads JSON lines from any reader (no gzip detection, no document mode): the streaming core
/// of [`read_file`], with the same bounds. `file` only names the input in positions and
/// errors.
///
/// # Errors
/// [`AuditError::Io`] naming `file` when reading fails.
pub fn read_lines(
    reader: impl Read,
    file: &Path,
    limits: &Limits,
    mut each: impl FnMut(Value, Position<'_>),
) -> Result<FileStats, AuditError> {
    match read_lines_inner(reader, file, limits, false, &mut each)? {
        LinesOutcome::Done(stats) | LinesOutcome::TryDocument(stats) => Ok(stats),
    }
}

enum LinesOutcome {
    Done(FileStats),
    /// The first non-blank line is not JSON on its own: the file may be one document (with
    /// what was read before stopping; never returned when not probing).
    TryDocument(FileStats),
}

fn read_lines_inner(
    mut reader: impl Read,
    file: &Path,
    limits: &Limits,
    mut probe: bool,
    each: &mut dyn FnMut(Value, Position<'_>),
) -> Result<LinesOutcome, AuditError> {
    let mut lines = LineBuf::default();
    let mut cursor = Cursor::default();
    let mut stats = FileStats::default();
    let mut decoded = Decoded::default();
    let mut buf = vec![0u8; READ_BUFFER];
    let mut give_up = false;
    loop {
        let n = read_some(&mut reader, &mut buf).map_err(|e| io_error(file, e))?;
        if n == 0 {
            break;
        }
        stats.bytes += n as u64;
        lines.feed(&buf[..n], &mut cursor, limits, &mut |item| {
            if probe {
                match &item {
                    Item::Line { bytes, .. } if bytes.trim_ascii().is_empty() => {}
                    Item::Line { bytes, .. } => {
                        probe = false;
                        if serde_json::from_slice::<serde::de::IgnoredAny>(bytes.trim_ascii())
                            .is_err()
                        {
                            give_up = true;
                            return false;
                        }
                    }
                    Item::TooLong { .. } => {
                        probe = false;
                        give_up = true;
                        return false;
                    }
                }
            }
            handle_item(&item, file, limits, &mut decoded, &mut stats, each);
            true
        });
        if give_up {
            return Ok(LinesOutcome::TryDocument(stats));
        }
    }
    if let Some(item) = lines.finish(&mut cursor) {
        let first_is_bad = match &item {
            Item::Line { bytes, .. } => {
                !bytes.trim_ascii().is_empty()
                    && serde_json::from_slice::<serde::de::IgnoredAny>(bytes.trim_ascii()).is_err()
            }
            Item::TooLong { .. } => true,
        };
        if probe && first_is_bad {
            return Ok(LinesOutcome::TryDocument(stats));
        }
        handle_item(&item, file, limits, &mut decoded, &mut stats, each);
    }
    Ok(LinesOutcome::Done(stats))
}

/// One complete line, or the report of one that was over the limit.
enum Item<'a> {
    Line {
        bytes: &'a [u8],
        number: u64,
        end: u64,
    },
    TooLong {
        number: u64,
        len: u64,
    },
}

/// Where a line reader stands in its input.
#[derive(Clone, Copy, Debug, Default)]
struct Cursor {
    /// Bytes fed so far (from the start of the input).
    pos: u64,
    /// The offset after the last complete line.
    consumed: u64,
    /// Complete lines so far.
    lines: u64,
}

/// Splits bytes into lines, holding at most one partial line of at most
/// `max_line_bytes`.
#[derive(Debug, Default)]
struct LineBuf {
    /// The current line's bytes so far (no newline).
    partial: Vec<u8>,
    /// The current line is over the limit: its bytes are counted, not kept.
    skipping: bool,
    /// Its length so far, while skipping.
    skipped: u64,
    /// The current line started before our first byte (following from a file's end): drop
    /// it silently, it is nobody's line.
    discard: bool,
}

impl LineBuf {
    fn reset(&mut self) {
        self.partial = Vec::new();
        self.skipping = false;
        self.skipped = 0;
        self.discard = false;
    }

    /// Feeds `chunk` and calls `emit` for every line it completes; `emit` returns false to
    /// stop (the rest of the chunk is then not consumed, and the reader is left unusable).
    fn feed(
        &mut self,
        chunk: &[u8],
        cursor: &mut Cursor,
        limits: &Limits,
        emit: &mut dyn FnMut(Item<'_>) -> bool,
    ) {
        let start = cursor.pos;
        cursor.pos += chunk.len() as u64;
        let mut rest = chunk;
        let mut at = start;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            let part = &rest[..i];
            let end = at + i as u64 + 1;
            let go = if self.discard {
                self.discard = false;
                cursor.lines += 1;
                cursor.consumed = end;
                true
            } else {
                cursor.lines += 1;
                cursor.consumed = end;
                let len = if self.skipping {
                    self.skipped + part.len() as u64
                } else {
                    (self.partial.len() + part.len()) as u64
                };
                if self.skipping || len > limits.max_line_bytes {
                    self.partial = Vec::new();
                    emit(Item::TooLong {
                        number: cursor.lines,
                        len,
                    })
                } else if self.partial.is_empty() {
                    emit(Item::Line {
                        bytes: part,
                        number: cursor.lines,
                        end,
                    })
                } else {
                    self.partial.extend_from_slice(part);
                    let go = emit(Item::Line {
                        bytes: &self.partial,
                        number: cursor.lines,
                        end,
                    });
                    self.partial.clear();
                    go
                }
            };
            self.skipping = false;
            self.skipped = 0;
            if !go {
                return;
            }
            rest = &rest[i + 1..];
            at = end;
        }
        if self.discard {
            return;
        }
        if self.skipping {
            self.skipped += rest.len() as u64;
        } else if (self.partial.len() + rest.len()) as u64 > limits.max_line_bytes {
            self.skipping = true;
            self.skipped = (self.partial.len() + rest.len()) as u64;
            self.partial = Vec::new();
        } else {
            self.partial.extend_from_slice(rest);
        }
    }

    /// The input ended for good: its last line, if it had no newline.
    fn finish(&mut self, cursor: &mut Cursor) -> Option<Item<'_>> {
        let item = if self.discard || (!self.skipping && self.partial.is_empty()) {
            None
        } else {
            cursor.lines += 1;
            Some(cursor.lines)
        };
        cursor.consumed = cursor.pos;
        self.discard = false;
        let number = item?;
        if self.skipping {
            self.skipping = false;
            let len = std::mem::take(&mut self.skipped);
            return Some(Item::TooLong { number, len });
        }
        Some(Item::Line {
            bytes: &self.partial,
            number,
            end: cursor.pos,
        })
    }
}

/// Decodes one line and hands out its events; returns how many.
fn handle_item(
    item: &Item<'_>,
    file: &Path,
    limits: &Limits,
    decoded: &mut Decoded,
    stats: &mut FileStats,
    each: &mut dyn FnMut(Value, Position<'_>),
) -> usize {
    match *item {
        Item::TooLong { number, len, .. } => {
            stats.malformed(Malformed {
                line: Some(number),
                reason: format!(
                    "a line of {len} bytes, over the limit of {} bytes",
                    limits.max_line_bytes
                ),
                sample: String::new(),
            });
            0
        }
        Item::Line { bytes, number, end } => {
            if let Err(e) = decode_line(bytes, number, limits, decoded) {
                // Not reached: lines over the limit are `TooLong`.
                stats.malformed(Malformed {
                    line: Some(number),
                    reason: e.to_string(),
                    sample: String::new(),
                });
            }
            for m in decoded.malformed.drain(..) {
                stats.malformed(m);
            }
            let mut n = 0;
            for event in decoded.events.drain(..) {
                n += 1;
                each(
                    event,
                    Position {
                        file,
                        line: Some(number),
                        offset: end,
                    },
                );
            }
            stats.events += n as u64;
            n
        }
    }
}

/// Reads into `buf`, retrying on interruption.
fn read_some(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

fn io_error(path: &Path, source: io::Error) -> AuditError {
    AuditError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// A file's content: plain, or gunzipped.
enum Reader {
    Plain(File),
    Gzip(Box<MultiGzDecoder<File>>),
}

impl Read for Reader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Reader::Plain(f) => f.read(buf),
            Reader::Gzip(g) => g.read(buf),
        }
    }
}

/// Whether `file` starts with the gzip magic; leaves it at offset 0.
fn is_gzip(file: &mut File) -> io::Result<bool> {
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        let n = read_some(file, &mut magic[got..])?;
        if n == 0 {
            break;
        }
        got += n;
    }
    file.seek(SeekFrom::Start(0))?;
    Ok(got == 2 && magic == [0x1f, 0x8b])
}

fn open_reader(path: &Path) -> Result<Reader, AuditError> {
    let mut file = File::open(path).map_err(|e| io_error(path, e))?;
    if is_gzip(&mut file).map_err(|e| io_error(path, e))? {
        Ok(Reader::Gzip(Box::new(MultiGzDecoder::new(file))))
    } else {
        Ok(Reader::Plain(file))
    }
}

// ---------------------------------------------------------------------------------------------
// Rotated sets

/// Lumberjack's timestamp layout, `2006-01-02T15-04-05.000`: `d` a digit, others literal.
const STAMP: &[u8] = b"dddd-dd-ddTdd-dd-dd.ddd";

fn is_stamp(s: &[u8]) -> bool {
    s.len() == STAMP.len()
        && s.iter().zip(STAMP).all(|(&c, &p)| {
            if p == b'd' {
                c.is_ascii_digit()
            } else {
                c == p
            }
        })
}

/// A rotated file's name split: the live file's name, the timestamp, and whether gzipped.
fn split_rotated(name: &str) -> Option<(String, &str, bool)> {
    let (plain, gz) = match name.strip_suffix(".gz") {
        Some(p) => (p, true),
        None => (name, false),
    };
    let bytes = plain.as_bytes();
    // `<prefix>-<stamp><ext>`: the extension starts at the last dot after the stamp; try
    // without an extension first (the stamp itself contains a dot).
    let mut ext_starts = vec![plain.len()];
    if let Some(dot) = plain.rfind('.') {
        ext_starts.push(dot);
    }
    for ext_at in ext_starts {
        let Some(stamp_at) = ext_at.checked_sub(STAMP.len()) else {
            continue;
        };
        if stamp_at == 0 || bytes[stamp_at - 1] != b'-' || !is_stamp(&bytes[stamp_at..ext_at]) {
            continue;
        }
        let prefix = &plain[..stamp_at - 1];
        if prefix.is_empty() {
            continue;
        }
        return Some((
            format!("{prefix}{}", &plain[ext_at..]),
            &plain[stamp_at..ext_at],
            gz,
        ));
    }
    None
}

/// The rotated files of the live file `live` (which need not exist), oldest first: the files
/// of its directory named `<name>-<timestamp><ext>[.gz]`, a plain file preferred over its
/// `.gz` twin (which is still being written).
fn rotated_of(live: &Path) -> Result<Vec<PathBuf>, AuditError> {
    let Some(name) = live.file_name().and_then(|n| n.to_str()) else {
        return Ok(Vec::new());
    };
    let dir = match live.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut found: BTreeMap<String, (PathBuf, bool)> = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io_error(dir, e))? {
        let entry = entry.map_err(|e| io_error(dir, e))?;
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        let Some((base, stamp, gz)) = split_rotated(file_name) else {
            continue;
        };
        if base != name {
            continue;
        }
        let path = dir.join(file_name);
        match found.get(stamp) {
            Some((_, false)) => {}
            _ => {
                found.insert(stamp.to_owned(), (path, gz));
            }
        }
    }
    Ok(found.into_values().map(|(p, _)| p).collect())
}

/// Lists the audit log files at `path`, oldest first.
///
/// - A live file (`audit.log`): its rotated files (`audit-<timestamp>.log[.gz]` beside it)
///   by timestamp, then the live file itself if it exists.
/// - A rotated file given by name: that file alone.
/// - A directory: every set in it (a non-hidden regular file is the live file of its own set;
///   rotated files join their live file's set even when it is gone), sets by live name.
///
/// # Errors
/// [`AuditError::Io`] naming `path` when it (and any rotation of it) does not exist, or a
/// directory cannot be listed.
pub fn log_set(path: &Path) -> Result<Vec<PathBuf>, AuditError> {
    let meta = std::fs::metadata(path);
    if meta.as_ref().is_ok_and(std::fs::Metadata::is_dir) {
        let mut bases = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(path).map_err(|e| io_error(path, e))? {
            let entry = entry.map_err(|e| io_error(path, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                continue;
            };
            if name.starts_with('.') || !entry.path().is_file() {
                continue;
            }
            let base = split_rotated(name).map_or_else(|| name.to_owned(), |(b, _, _)| b);
            bases.insert(base);
        }
        let mut out = Vec::new();
        for base in &bases {
            let live = path.join(base);
            out.extend(rotated_of(&live)?);
            if live.is_file() {
                out.push(live);
            }
        }
        return Ok(out);
    }
    let name = path.file_name().and_then(|n| n.to_str());
    if meta.is_ok() && name.and_then(split_rotated).is_some() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = rotated_of(path)?;
    match meta {
        Ok(_) => out.push(path.to_path_buf()),
        Err(e) if out.is_empty() => return Err(io_error(path, e)),
        Err(_) => {}
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Identity and fingerprints

/// A file's device and inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Identity {
    device: u64,
    inode: u64,
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> Identity {
    use std::os::unix::fs::MetadataExt;
    Identity {
        device: meta.dev(),
        inode: meta.ino(),
    }
}

/// Without inodes, identity rests on the fingerprint alone.
#[cfg(not(unix))]
fn identity(_meta: &std::fs::Metadata) -> Identity {
    Identity {
        device: 0,
        inode: 0,
    }
}

fn fingerprint(head: &[u8]) -> String {
    let digest = Sha256::digest(head);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads up to `n` bytes (fewer at the end of input).
fn read_up_to(reader: &mut impl Read, n: usize) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(n);
    reader.take(n as u64).read_to_end(&mut out)?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Offsets

/// Where a follower stands: enough to resume exactly after the last delivered line, and to
/// recognise the file again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The file's device.
    pub device: u64,
    /// The file's inode.
    pub inode: u64,
    /// The offset after the last delivered line (of the decompressed content).
    pub offset: u64,
    /// How many lines precede `offset`.
    pub line: u64,
    /// How many of the file's first bytes [`Checkpoint::fingerprint`] covers (at most
    /// [`FINGERPRINT_BYTES`], at most `offset`).
    pub fingerprint_len: u64,
    /// SHA-256 of those bytes, lowercase hex.
    pub fingerprint: String,
}

/// Persisted [`Checkpoint`]s, one per followed path, in a JSON state file.
#[derive(Debug)]
pub struct OffsetStore {
    path: PathBuf,
    entries: BTreeMap<String, Checkpoint>,
}

/// The state file's shape.
#[derive(Serialize, Deserialize)]
struct StateFile {
    version: u32,
    files: BTreeMap<String, Checkpoint>,
}

const STATE_VERSION: u32 = 1;

impl OffsetStore {
    /// Opens the store saved at `path`; a missing file is an empty store.
    ///
    /// # Errors
    /// [`AuditError::Io`] when the file cannot be read; [`AuditError::State`] when it is not
    /// a state file of this version.
    pub fn open(path: &Path) -> Result<OffsetStore, AuditError> {
        let entries = match std::fs::read(path) {
            Ok(bytes) => {
                let state: StateFile =
                    serde_json::from_slice(&bytes).map_err(|e| AuditError::State {
                        path: path.display().to_string(),
                        reason: e.to_string(),
                    })?;
                if state.version != STATE_VERSION {
                    return Err(AuditError::State {
                        path: path.display().to_string(),
                        reason: format!("version {} is not {STATE_VERSION}", state.version),
                    });
                }
                state.files
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(io_error(path, e)),
        };
        Ok(OffsetStore {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// The key of a followed path: its absolute form (symbolic links are not resolved: the
    /// path is what is followed).
    fn key(followed: &Path) -> String {
        std::path::absolute(followed)
            .unwrap_or_else(|_| followed.to_path_buf())
            .display()
            .to_string()
    }

    /// The checkpoint stored for `followed`.
    pub fn get(&self, followed: &Path) -> Option<&Checkpoint> {
        self.entries.get(&Self::key(followed))
    }

    /// Records a checkpoint for `followed` (in memory; [`OffsetStore::save`] persists it).
    pub fn set(&mut self, followed: &Path, checkpoint: Checkpoint) {
        self.entries.insert(Self::key(followed), checkpoint);
    }

    /// Writes the store atomically: a temporary file in the same directory, fsynced, renamed
    /// over the state file, then the directory fsynced.
    ///
    /// # Errors
    /// [`AuditError::Io`] naming the file that could not be written.
    pub fn save(&self) -> Result<(), AuditError> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = self
            .path
            .file_name()
            .map_or_else(|| "state".into(), |n| n.to_string_lossy().into_owned());
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let state = StateFile {
            version: STATE_VERSION,
            files: self.entries.clone(),
        };
        let bytes = serde_json::to_vec_pretty(&state).map_err(|e| AuditError::State {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        })?;
        let written = (|| {
            let mut f = File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(io_error(&tmp, e));
        }
        if let Err(e) = std::fs::rename(&tmp, &self.path) {
            let _ = std::fs::remove_file(&tmp);
            return Err(io_error(&self.path, e));
        }
        #[cfg(unix)]
        File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_error(&dir, e))?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Following

/// Where a follower without a checkpoint starts in the live file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StartAt {
    /// At offset 0: every event already in the file.
    #[default]
    Beginning,
    /// At the end (after the last complete line): only events written from now on.
    End,
}

/// How a follower started ([`Follower::resume`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resume {
    /// No checkpoint: started as [`StartAt`] says.
    Fresh,
    /// At the checkpoint, in the live file.
    AtCheckpoint,
    /// The live file was rotated while stopped: the rest of this rotated file first, then the
    /// newer rotated files, then the live file.
    Rotated(PathBuf),
    /// The live file has the checkpoint's inode but is shorter than its offset, and no
    /// rotated file holds the checkpoint's content: it was truncated, read from 0.
    Truncated,
    /// The checkpoint's file is gone (or its inode reused by another): the live file from 0.
    /// Events written to it after the checkpoint may be lost.
    Lost,
}

/// The file a follower is reading.
struct Source {
    path: PathBuf,
    reader: Reader,
    id: Identity,
    /// The live file (polled for growth, rotation and truncation) or a rotated one (read to
    /// its end, then done).
    live: bool,
    cursor: Cursor,
    lines: LineBuf,
    /// The first bytes read, up to [`FINGERPRINT_BYTES`].
    head: Vec<u8>,
}

impl Source {
    /// Opens `path` at offset 0.
    fn open(path: &Path, live: bool) -> Result<Source, AuditError> {
        let mut file = File::open(path).map_err(|e| io_error(path, e))?;
        let meta = file.metadata().map_err(|e| io_error(path, e))?;
        // The live file is the log backend's plain JSON lines; rotated ones may be gzipped.
        let reader = if !live && is_gzip(&mut file).map_err(|e| io_error(path, e))? {
            Reader::Gzip(Box::new(MultiGzDecoder::new(file)))
        } else {
            Reader::Plain(file)
        };
        Ok(Source {
            path: path.to_path_buf(),
            reader,
            id: identity(&meta),
            live,
            cursor: Cursor::default(),
            lines: LineBuf::default(),
            head: Vec::new(),
        })
    }

    /// Moves to `offset` (after `line` lines), reading the head on the way; the caller knows
    /// `offset` is a line boundary.
    fn skip_to(&mut self, offset: u64, line: u64) -> Result<(), AuditError> {
        let head_len = FINGERPRINT_BYTES.min(usize::try_from(offset).unwrap_or(usize::MAX));
        let path = &self.path;
        self.head = read_up_to(&mut self.reader, head_len).map_err(|e| io_error(path, e))?;
        let rest = offset - self.head.len() as u64;
        match &mut self.reader {
            Reader::Plain(f) => {
                f.seek(SeekFrom::Start(offset))
                    .map_err(|e| io_error(path, e))?;
            }
            Reader::Gzip(g) => {
                io::copy(&mut g.take(rest), &mut io::sink()).map_err(|e| io_error(path, e))?;
            }
        }
        self.cursor = Cursor {
            pos: offset,
            consumed: offset,
            lines: line,
        };
        Ok(())
    }

    /// The fingerprint of the first `len` bytes of this file, read afresh.
    fn fingerprint_of(path: &Path, len: u64) -> Result<Option<String>, AuditError> {
        let mut reader = open_reader(path)?;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        let head = read_up_to(&mut reader, len).map_err(|e| io_error(path, e))?;
        Ok((head.len() == len).then(|| fingerprint(&head)))
    }

    fn checkpoint(&self) -> Checkpoint {
        let len = self
            .head
            .len()
            .min(usize::try_from(self.cursor.consumed).unwrap_or(usize::MAX));
        Checkpoint {
            device: self.id.device,
            inode: self.id.inode,
            offset: self.cursor.consumed,
            line: self.cursor.lines,
            fingerprint_len: len as u64,
            fingerprint: fingerprint(&self.head[..len]),
        }
    }

    /// Restarts at offset 0 (truncation).
    fn restart(&mut self) -> Result<(), AuditError> {
        if let Reader::Plain(f) = &mut self.reader {
            f.seek(SeekFrom::Start(0))
                .map_err(|e| io_error(&self.path, e))?;
        }
        self.cursor = Cursor::default();
        self.lines.reset();
        self.head.clear();
        Ok(())
    }

    /// Whether the live file's first bytes are still those read (false after a truncation
    /// that was refilled before we looked).
    #[cfg(unix)]
    fn head_unchanged(&self) -> Result<bool, AuditError> {
        use std::os::unix::fs::FileExt;
        let Reader::Plain(f) = &self.reader else {
            return Ok(true);
        };
        if self.head.is_empty() {
            return Ok(true);
        }
        let mut now = vec![0u8; self.head.len()];
        match f.read_exact_at(&mut now, 0) {
            Ok(()) => Ok(now == self.head),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
            Err(e) => Err(io_error(&self.path, e)),
        }
    }

    #[cfg(not(unix))]
    fn head_unchanged(&self) -> Result<bool, AuditError> {
        Ok(true)
    }
}

/// Follows a live audit log (`tail -F` for audit events), across rotation and truncation.
///
/// Call [`Follower::poll`] periodically (every 200 ms is a good pace: the API server's log
/// backend writes a line per event) and [`Follower::commit`] after the events a poll handed
/// out have been processed. Memory is one line (at most [`Limits::max_line_bytes`]) plus a
/// 64 KiB read buffer.
pub struct Follower {
    live: PathBuf,
    limits: Limits,
    current: Option<Source>,
    /// Rotated files to read (from 0) before the live file.
    queue: VecDeque<PathBuf>,
    /// The checkpoint of the last source finished, while none is open.
    finished: Option<Checkpoint>,
    decoded: Decoded,
    stats: FileStats,
    resume: Resume,
    buf: Vec<u8>,
}

impl std::fmt::Debug for Follower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Follower")
            .field("live", &self.live)
            .field("current", &self.current.as_ref().map(|s| &s.path))
            .field("queue", &self.queue)
            .field("resume", &self.resume)
            .finish_non_exhaustive()
    }
}

impl Follower {
    /// Starts following the live file `live`: at `checkpoint` when there is one (see the
    /// module documentation for how it is found again), else where `start` says.
    ///
    /// # Errors
    /// [`AuditError::Io`] naming the file when the live file does not exist (and nothing
    /// rotated is left to read first) or a file cannot be read.
    pub fn open(
        live: &Path,
        limits: Limits,
        start: StartAt,
        checkpoint: Option<&Checkpoint>,
    ) -> Result<Follower, AuditError> {
        let mut f = Follower {
            live: live.to_path_buf(),
            limits,
            current: None,
            queue: VecDeque::new(),
            finished: None,
            decoded: Decoded::default(),
            stats: FileStats::default(),
            resume: Resume::Fresh,
            buf: vec![0u8; READ_BUFFER],
        };
        match checkpoint {
            None => {
                let mut src = Source::open(live, true)?;
                if start == StartAt::End {
                    f.start_at_end(&mut src)?;
                }
                f.current = Some(src);
            }
            Some(cp) => f.resume_at(cp)?,
        }
        Ok(f)
    }

    /// Positions `src` after its last complete line, counting lines on the way (memory: the
    /// read buffer); a trailing partial line is skipped silently.
    fn start_at_end(&mut self, src: &mut Source) -> Result<(), AuditError> {
        let mut cursor = Cursor::default();
        let mut last = b'\n';
        loop {
            let n = read_some(&mut src.reader, &mut self.buf)
                .map_err(|e| io_error(live_path(src), e))?;
            if n == 0 {
                break;
            }
            if src.head.len() < FINGERPRINT_BYTES {
                let take = (FINGERPRINT_BYTES - src.head.len()).min(n);
                src.head.extend_from_slice(&self.buf[..take]);
            }
            let chunk = &self.buf[..n];
            cursor.lines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
            if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
                cursor.consumed = cursor.pos + i as u64 + 1;
            }
            cursor.pos += n as u64;
            last = chunk[n - 1];
        }
        src.cursor = cursor;
        src.lines.discard = last != b'\n';
        Ok(())
    }

    fn resume_at(&mut self, cp: &Checkpoint) -> Result<(), AuditError> {
        let live = self.live.clone();
        let want = Identity {
            device: cp.device,
            inode: cp.inode,
        };
        let matches = |path: &Path| -> Result<bool, AuditError> {
            Ok(Source::fingerprint_of(path, cp.fingerprint_len)?.as_deref()
                == Some(cp.fingerprint.as_str()))
        };
        let live_meta = std::fs::metadata(&live).ok();
        let live_same = live_meta.as_ref().is_some_and(|m| identity(m) == want);
        let live_shorter = live_meta.as_ref().is_some_and(|m| m.len() < cp.offset);
        if live_same && !live_shorter && matches(&live)? {
            let mut src = Source::open(&live, true)?;
            src.skip_to(cp.offset, cp.line)?;
            self.current = Some(src);
            self.resume = Resume::AtCheckpoint;
            return Ok(());
        }
        let rotated = rotated_of(&live)?;
        for (i, path) in rotated.iter().enumerate().rev() {
            let mut file = File::open(path).map_err(|e| io_error(path, e))?;
            let gz = is_gzip(&mut file).map_err(|e| io_error(path, e))?;
            let meta = file.metadata().map_err(|e| io_error(path, e))?;
            let same = if gz {
                // the very file we were reading, or (compression gave it a new inode) the
                // one whose content starts the same
                identity(&meta) == want || (cp.fingerprint_len > 0 && matches(path)?)
            } else {
                identity(&meta) == want && matches(path)?
            };
            if !same {
                continue;
            }
            let mut src = Source::open(path, false)?;
            src.skip_to(cp.offset, cp.line)?;
            self.current = Some(src);
            self.queue = rotated[i + 1..].iter().cloned().collect();
            self.resume = Resume::Rotated(path.clone());
            return Ok(());
        }
        self.current = Some(Source::open(&live, true)?);
        // The live file has the checkpoint's inode but is shorter: truncated in place (its
        // first bytes may be new, so the fingerprint cannot tell), or the inode was reused
        // after the file was compressed away and nothing rotated matched. Either way: from 0.
        self.resume = if live_same && live_shorter {
            Resume::Truncated
        } else {
            Resume::Lost
        };
        Ok(())
    }

    /// How this follower started.
    pub fn resume(&self) -> &Resume {
        &self.resume
    }

    /// The live file followed.
    pub fn path(&self) -> &Path {
        &self.live
    }

    /// What was read so far (events, malformed lines and samples, bytes).
    pub fn stats(&self) -> &FileStats {
        &self.stats
    }

    /// Where the follower stands: just after the last event handed out.
    pub fn checkpoint(&self) -> Checkpoint {
        match (&self.current, &self.finished) {
            (Some(src), _) => src.checkpoint(),
            (None, Some(cp)) => cp.clone(),
            (None, None) => Checkpoint {
                device: 0,
                inode: 0,
                offset: 0,
                line: 0,
                fingerprint_len: 0,
                fingerprint: fingerprint(&[]),
            },
        }
    }

    /// Records [`Follower::checkpoint`] in `store` and saves it. Call it after the events
    /// handed out so far have been processed: a crash before it repeats them on restart,
    /// never loses them.
    ///
    /// # Errors
    /// What [`OffsetStore::save`] returns.
    pub fn commit(&self, store: &mut OffsetStore) -> Result<(), AuditError> {
        store.set(&self.live, self.checkpoint());
        store.save()
    }

    /// Reads what was written since the last poll and calls `each` for every event in order;
    /// returns how many. Only complete lines are read (the live file's partial last line waits
    /// for its newline). Rotation and truncation are handled here (see the module
    /// documentation); a live file that is missing (between a rotation's rename and the new
    /// file's creation) is waited for.
    ///
    /// # Errors
    /// [`AuditError::Io`] naming the file that could not be read.
    pub fn poll(&mut self, mut each: impl FnMut(Value, Position<'_>)) -> Result<usize, AuditError> {
        let mut n = 0;
        // bounded: each turn either returns or moves to the next file of a finite queue
        loop {
            let Some(src) = self.current.as_mut() else {
                match Source::open(&self.live, true) {
                    Ok(src) => {
                        self.current = Some(src);
                        self.finished = None;
                        continue;
                    }
                    Err(AuditError::Io { source, .. })
                        if source.kind() == io::ErrorKind::NotFound =>
                    {
                        return Ok(n);
                    }
                    Err(e) => return Err(e),
                }
            };
            if !src.live {
                n += self.drain(&mut each, true)?;
                self.next_source()?;
                continue;
            }
            let read_before = src.cursor.pos;
            let now = match std::fs::metadata(&self.live) {
                Ok(m) => Some(m),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => return Err(io_error(&self.live, e)),
            };
            let truncated = match &now {
                Some(m) if identity(m) == src.id => {
                    m.len() < read_before || !src.head_unchanged()?
                }
                _ => false,
            };
            if truncated {
                src.restart()?;
            }
            let rotated = now.as_ref().is_some_and(|m| identity(m) != src.id);
            n += self.drain(&mut each, rotated)?;
            if !rotated {
                return Ok(n);
            }
            // the old file is finished: newer rotated files, then the new live file
            let old = self.current.take().map(|s| (s.id, s.checkpoint()));
            if let Some((id, cp)) = old {
                self.finished = Some(cp);
                let set = rotated_of(&self.live)?;
                let at = set
                    .iter()
                    .position(|p| std::fs::metadata(p).is_ok_and(|m| identity(&m) == id));
                self.queue = match at {
                    Some(i) => set[i + 1..].iter().cloned().collect(),
                    None => VecDeque::new(),
                };
            }
            self.next_source()?;
        }
    }

    /// Opens the next queued rotated file, or the live file (or nothing, to wait for it).
    fn next_source(&mut self) -> Result<(), AuditError> {
        if let Some(done) = self.current.take() {
            self.finished = Some(done.checkpoint());
        }
        if let Some(path) = self.queue.pop_front() {
            match Source::open(&path, false) {
                Ok(src) => self.current = Some(src),
                // removed by the writer's retention meanwhile: its events are gone
                Err(AuditError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            return Ok(());
        }
        match Source::open(&self.live, true) {
            Ok(src) => self.current = Some(src),
            Err(AuditError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Reads the current source to its end; `finish` delivers a last line without newline
    /// (a rotated file will not grow any more).
    fn drain(
        &mut self,
        each: &mut dyn FnMut(Value, Position<'_>),
        finish: bool,
    ) -> Result<usize, AuditError> {
        let Some(src) = self.current.as_mut() else {
            return Ok(0);
        };
        let mut n = 0;
        loop {
            let got =
                read_some(&mut src.reader, &mut self.buf).map_err(|e| io_error(&src.path, e))?;
            if got == 0 {
                break;
            }
            let chunk = &self.buf[..got];
            if src.head.len() < FINGERPRINT_BYTES
                && u64::try_from(src.head.len()).is_ok_and(|h| h == src.cursor.pos)
            {
                let take = (FINGERPRINT_BYTES - src.head.len()).min(got);
                src.head.extend_from_slice(&chunk[..take]);
            }
            self.stats.bytes += got as u64;
            let (path, limits, decoded, stats) =
                (&src.path, &self.limits, &mut self.decoded, &mut self.stats);
            src.lines.feed(chunk, &mut src.cursor, limits, &mut |item| {
                n += handle_item(&item, path, limits, decoded, stats, each);
                true
            });
        }
        if finish && let Some(item) = src.lines.finish(&mut src.cursor) {
            n += handle_item(
                &item,
                &src.path,
                &self.limits,
                &mut self.decoded,
                &mut self.stats,
                each,
            );
        }
        Ok(n)
    }
}

fn live_path(src: &Source) -> &Path {
    &src.path
}
