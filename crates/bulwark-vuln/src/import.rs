//! Reading OSV sources: a record file, a directory tree of JSON and YAML records, or a zip of
//! JSON records exactly as osv.dev publishes `ECOSYSTEM/all.zip`.
//!
//! Bounds, because a source is untrusted input: a record over [`crate::osv::MAX_RECORD_BYTES`]
//! is invalid; a zip may hold at most [`MAX_ZIP_ENTRIES`] entries and expand to at most
//! [`MAX_ZIP_EXPANSION`] bytes; directories are walked without following symlinks. Records are
//! parsed in parallel, a batch at a time, so memory stays proportional to the batch, not the
//! source.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest as _, Sha256};

use crate::osv::{self, MAX_RECORD_BYTES, Reduced};

/// The most entries a zip may hold (osv.dev's largest, all ecosystems together, has about
/// 600,000).
pub const MAX_ZIP_ENTRIES: usize = 4_000_000;
/// The most a zip may expand to (osv.dev's largest expands to a few GiB).
pub const MAX_ZIP_EXPANSION: u64 = 32 << 30;
/// Records parsed per batch.
const BATCH: usize = 4096;

/// A record that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRecord {
    /// `FILE` or `ZIP!ENTRY`.
    pub location: String,
    /// What is wrong, with line and column where the parser gives them.
    pub message: String,
}

impl std::fmt::Display for BadRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// What a source held.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The records, reduced.
    pub records: Vec<Reduced>,
    /// Records that could not be read.
    pub invalid: Vec<BadRecord>,
    /// The sha256 of the file, for a zip.
    pub sha256: Option<String>,
}

/// Why a source could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The path could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The zip is malformed or over a limit.
    #[error("{path}: {message}")]
    Zip {
        /// The zip.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The path is neither a record, a directory nor a zip.
    #[error("{0}: not an OSV record, a directory of records or a zip of records")]
    Unsupported(PathBuf),
    /// The sink a source was streamed to refused a batch (a database write failed).
    #[error("{0}")]
    Stopped(String),
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ImportError + '_ {
    move |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[derive(Clone, Copy)]
enum Format {
    Json,
    Yaml,
}

fn format_of(name: &str) -> Option<Format> {
    let ext = Path::new(name)
        .extension()?
        .to_string_lossy()
        .to_ascii_lowercase();
    match ext.as_str() {
        "json" => Some(Format::Json),
        "yaml" | "yml" => Some(Format::Yaml),
        _ => None,
    }
}

/// A batch of parsed records handed to a sink.
pub type Sink<'a> = dyn FnMut(Loaded) -> Result<(), ImportError> + 'a;

/// Collects files into batches, parses each batch in parallel and hands it to the sink.
struct Batcher<'a, 'b> {
    pending: Vec<(String, Format, Vec<u8>)>,
    invalid: Vec<BadRecord>,
    sink: &'a mut Sink<'b>,
}

impl Batcher<'_, '_> {
    fn push(&mut self, location: String, format: Format, data: Vec<u8>) -> Result<(), ImportError> {
        self.pending.push((location, format, data));
        if self.pending.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn too_large(&mut self, location: String, size: u64) {
        self.invalid.push(BadRecord {
            location,
            message: osv::RecordError::TooLarge(usize::try_from(size).unwrap_or(usize::MAX))
                .to_string(),
        });
    }

    fn flush(&mut self) -> Result<(), ImportError> {
        let batch = std::mem::take(&mut self.pending);
        let parsed: Vec<Result<Reduced, BadRecord>> = batch
            .into_par_iter()
            .map(|(location, format, data)| {
                let record = match format {
                    Format::Json => osv::parse_json(&data),
                    Format::Yaml => osv::parse_yaml(&data),
                };
                record.map(|r| osv::reduce(&r)).map_err(|e| BadRecord {
                    location,
                    message: e.to_string(),
                })
            })
            .collect();
        let mut out = Loaded {
            invalid: std::mem::take(&mut self.invalid),
            ..Loaded::default()
        };
        for p in parsed {
            match p {
                Ok(r) => out.records.push(r),
                Err(e) => out.invalid.push(e),
            }
        }
        if out.records.is_empty() && out.invalid.is_empty() {
            return Ok(());
        }
        (self.sink)(out)
    }
}

/// Reads a source from disk whole: a zip, a directory (recursively: `.json`, `.yaml`, `.yml`
/// and `.zip` files; hidden entries skipped) or one record file. For large sources prefer
/// [`stream_path`], which keeps only a batch in memory.
pub fn load_path(path: &Path) -> Result<Loaded, ImportError> {
    let mut all = Loaded::default();
    all.sha256 = stream_path(path, &mut |batch: Loaded| {
        all.records.extend(batch.records);
        all.invalid.extend(batch.invalid);
        Ok(())
    })?;
    Ok(all)
}

/// Reads a source like [`load_path`] but hands it to `sink` a batch at a time (at most a few
/// thousand records), so memory stays bounded whatever the source's size. Returns the sha256
/// of the file for a zip.
pub fn stream_path(path: &Path, sink: &mut Sink<'_>) -> Result<Option<String>, ImportError> {
    let meta = std::fs::metadata(path).map_err(io(path))?;
    let name = path.to_string_lossy().into_owned();
    if meta.is_dir() {
        let mut files = Vec::new();
        walk(path, &mut files)?;
        files.sort();
        let mut batcher = Batcher {
            pending: Vec::new(),
            invalid: Vec::new(),
            sink,
        };
        for file in files {
            let name = file.to_string_lossy().into_owned();
            if is_zip_name(&name) {
                batcher.flush()?;
                stream_zip(&file, batcher.sink)?;
                continue;
            }
            let Some(format) = format_of(&name) else {
                continue;
            };
            let len = std::fs::metadata(&file).map_err(io(&file))?.len();
            if len > MAX_RECORD_BYTES as u64 {
                batcher.too_large(name, len);
                continue;
            }
            let data = std::fs::read(&file).map_err(io(&file))?;
            batcher.push(name, format, data)?;
        }
        batcher.flush()?;
        return Ok(None);
    }
    if is_zip_name(&name) || is_zip(path) {
        return stream_zip(path, sink).map(Some);
    }
    let Some(format) = format_of(&name) else {
        return Err(ImportError::Unsupported(path.to_path_buf()));
    };
    let mut batcher = Batcher {
        pending: Vec::new(),
        invalid: Vec::new(),
        sink,
    };
    if meta.len() > MAX_RECORD_BYTES as u64 {
        batcher.too_large(name, meta.len());
    } else {
        let data = std::fs::read(path).map_err(io(path))?;
        batcher.push(name, format, data)?;
    }
    batcher.flush()?;
    Ok(None)
}

fn is_zip_name(name: &str) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

fn is_zip(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"PK\x03\x04"
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ImportError> {
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let kind = entry.file_type().map_err(io(&path))?;
        if kind.is_dir() {
            walk(&path, out)?;
        } else if kind.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

/// The sha256 of a file, hex.
pub fn sha256_file(path: &Path) -> Result<String, ImportError> {
    let mut file = std::fs::File::open(path).map_err(io(path))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(io(path))?;
    Ok(hex(&hasher.finalize()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Reads a zip of JSON records whole (see [`stream_zip`]).
pub fn load_zip(path: &Path) -> Result<Loaded, ImportError> {
    load_path(path)
}

/// Reads a zip of JSON records (entries not ending in `.json` are ignored, as are directories)
/// a batch at a time, and returns the zip's sha256. Every entry's CRC is checked, so a
/// truncated or corrupted download is an error.
pub fn stream_zip(path: &Path, sink: &mut Sink<'_>) -> Result<String, ImportError> {
    let zip_err = |message: String| ImportError::Zip {
        path: path.to_path_buf(),
        message,
    };
    let sha256 = sha256_file(path)?;
    let file = std::fs::File::open(path).map_err(io(path))?;
    let mut archive =
        zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| zip_err(e.to_string()))?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(zip_err(format!(
            "{} entries, over the limit of {MAX_ZIP_ENTRIES}",
            archive.len()
        )));
    }
    let label = path.to_string_lossy().into_owned();
    let mut batcher = Batcher {
        pending: Vec::new(),
        invalid: Vec::new(),
        sink,
    };
    let mut expanded: u64 = 0;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| zip_err(format!("entry {i}: {e}")))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_owned();
        let Some(format) = format_of(&name) else {
            continue;
        };
        let location = format!("{label}!{name}");
        if entry.size() > MAX_RECORD_BYTES as u64 {
            batcher.too_large(location, entry.size());
            continue;
        }
        let mut data = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
        (&mut entry)
            .take(MAX_RECORD_BYTES as u64 + 1)
            .read_to_end(&mut data)
            .map_err(|e| zip_err(format!("{name}: {e}")))?;
        expanded += data.len() as u64;
        if expanded > MAX_ZIP_EXPANSION {
            return Err(zip_err(format!(
                "expands to more than {MAX_ZIP_EXPANSION} bytes"
            )));
        }
        drop(entry);
        batcher.push(location, format, data)?;
    }
    batcher.flush()?;
    Ok(sha256)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    /// A zip of `entries`, stored uncompressed so tests can corrupt the data in place.
    fn write_zip(path: &Path, entries: &[(&str, &[u8])]) {
        let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, data) in entries {
            z.start_file(*name, options).unwrap();
            z.write_all(data).unwrap();
        }
        z.finish().unwrap();
    }

    #[test]
    fn reads_zips_and_reports_bad_records_with_their_entry() {
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("all.zip");
        write_zip(
            &zip,
            &[
                ("A-1.json", br#"{"id":"A-1"}"#),
                ("A-2.json", b"{\n \"id\": }"),
                ("README.txt", b"not a record"),
            ],
        );
        let loaded = load_path(&zip).unwrap();
        assert_eq!(loaded.records.len(), 1);
        assert_eq!(loaded.invalid.len(), 1);
        assert!(loaded.invalid[0].location.ends_with("all.zip!A-2.json"));
        assert!(
            loaded.invalid[0].message.contains("line 2"),
            "{}",
            loaded.invalid[0]
        );
        assert_eq!(loaded.sha256.as_deref().map(str::len), Some(64));
    }

    #[test]
    fn a_corrupted_zip_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("all.zip");
        write_zip(
            &zip,
            &[(
                "A-1.json",
                br#"{"id":"A-1","summary":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#,
            )],
        );
        let mut bytes = std::fs::read(&zip).unwrap();
        // Flip a byte of the stored data: the CRC check must catch it.
        let at = bytes.windows(4).position(|w| w == b"xxxx").unwrap();
        bytes[at] = b'y';
        std::fs::write(&zip, &bytes).unwrap();
        let err = load_path(&zip).unwrap_err();
        assert!(err.to_string().contains("all.zip"), "{err}");
        std::fs::write(&zip, &bytes[..bytes.len() / 2]).unwrap();
        assert!(load_path(&zip).is_err());
    }

    #[test]
    fn walks_directories_of_json_and_yaml() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("vulns/foo")).unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join("a.json"), br#"{"id":"A-1"}"#).unwrap();
        std::fs::write(dir.path().join("vulns/foo/P-1.yaml"), b"id: P-1\n").unwrap();
        std::fs::write(dir.path().join(".git/x.json"), b"{").unwrap();
        std::fs::write(dir.path().join("LICENSE"), b"text").unwrap();
        let loaded = load_path(dir.path()).unwrap();
        let mut ids: Vec<&str> = loaded
            .records
            .iter()
            .map(|r| r.advisory.id.as_str())
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, ["A-1", "P-1"]);
        assert!(loaded.invalid.is_empty());
        assert!(matches!(
            load_path(&dir.path().join("LICENSE")),
            Err(ImportError::Unsupported(_))
        ));
    }
}
