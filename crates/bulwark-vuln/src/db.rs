//! The advisory database: one SQLite file, written beside its destination and renamed over it,
//! so a reader never sees a half-written database.
//!
//! Why SQLite (decided in docs/vulnerabilities.md): any number of processes read one file at
//! once (parallel CI jobs scanning images) and a read-only copy on read-only media opens with
//! `immutable=1`; the format is stable, documented and readable with the `sqlite3` tool, so a
//! user can inspect the one file they carry into an air-gapped network. redb, the other
//! candidate, takes an exclusive lock on open, so two scans could not share a database.
//!
//! Schema (version [`SCHEMA_VERSION`], also in `PRAGMA user_version`):
//! - `meta(key, value)`: `schema_version`, `updated_at`.
//! - `sources(name, …)`: one row per imported source, with what a conditional download needs
//!   (`etag`, `last_modified`, `sha256`) and counts.
//! - `advisories(id, source, data)`: [`StoredAdvisory`] as JSON.
//! - `affected(ecosystem, name, advisory, data)`: [`StoredAffected`] as JSON, indexed by
//!   `(ecosystem, name)`.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension as _, params};
use serde::{Deserialize, Serialize};

use crate::osv::{Reduced, StoredAdvisory, StoredAffected};

/// The schema this build reads and writes. A database with another version is refused with an
/// error telling the user to update it.
pub const SCHEMA_VERSION: i64 = 1;

/// Why the database could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// There is no database file at the path.
    #[error(
        "no advisory database at {0} (run `bulwark db update`, or `bulwark db import PATH` for offline data)"
    )]
    Missing(PathBuf),
    /// The file was written by another schema version.
    #[error(
        "advisory database {path} has schema version {found}; this bulwark reads version {SCHEMA_VERSION} (run `bulwark db update` or import again)"
    )]
    Schema {
        /// The file.
        path: PathBuf,
        /// The version found.
        found: i64,
    },
    /// SQLite reported an error (a corrupt or non-database file, a full disk).
    #[error("advisory database {path}: {source}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A file-system operation on the database or its temporary copy failed.
    #[error("advisory database {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A stored value is not what this build wrote (a corrupted or foreign database).
    #[error("advisory database {path}: corrupt entry {key}: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The row.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// One imported source, as `bulwark db info` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// A short name (`Debian`, `PyPI`, or the path's file name).
    pub name: String,
    /// Where it came from: a URL or a path.
    pub location: String,
    /// The `ETag` of the last download, for conditional requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The `Last-Modified` of the last download.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// The sha256 of the downloaded file (or of a zip imported from disk).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// When it was imported (RFC 3339).
    pub imported_at: String,
    /// Records stored.
    pub records: u64,
    /// Records left out because they are withdrawn.
    pub withdrawn: u64,
    /// Invalid records skipped (only with skipping allowed).
    pub invalid: u64,
    /// `GIT` ranges left out.
    pub git_ranges: u64,
    /// `affected` entries left out (unknown ecosystem, nothing to match on).
    pub skipped_entries: u64,
    /// The newest `modified` date among its records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_record: Option<String>,
}

/// What `bulwark db info` reports.
#[derive(Debug, Clone, Serialize)]
pub struct DbInfo {
    /// The file.
    pub path: PathBuf,
    /// Its schema version.
    pub schema_version: i64,
    /// When it was last written (RFC 3339).
    pub updated_at: Option<String>,
    /// Its size in bytes.
    pub size: u64,
    /// Advisories stored.
    pub advisories: u64,
    /// `affected` entries stored.
    pub affected: u64,
    /// Advisories per ecosystem (`Debian:12`: 26757).
    pub ecosystems: Vec<(String, u64)>,
    /// The sources.
    pub sources: Vec<SourceInfo>,
}

/// An open database, for reading.
pub struct Database {
    conn: Connection,
    path: PathBuf,
}

fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> DbError + '_ {
    move |source| DbError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources(name TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS advisories(id TEXT PRIMARY KEY, source TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS advisories_source ON advisories(source);
CREATE TABLE IF NOT EXISTS affected(ecosystem TEXT NOT NULL, name TEXT NOT NULL, advisory TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS affected_package ON affected(ecosystem, name);
CREATE INDEX IF NOT EXISTS affected_advisory ON affected(advisory);
";

impl Database {
    /// Opens a database file read-only. Any number of processes may hold it open; a writer
    /// replaces the file instead of changing it, so readers keep a consistent view.
    pub fn open(path: &Path) -> Result<Database, DbError> {
        if !path.is_file() {
            return Err(DbError::Missing(path.to_path_buf()));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sqlite(path))?;
        let db = Database {
            conn,
            path: path.to_path_buf(),
        };
        db.check_schema()?;
        Ok(db)
    }

    /// An empty database in memory (advisories given for one scan with `--advisories`).
    pub fn in_memory() -> Result<Database, DbError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(sqlite(&path))?;
        init(&conn, &path)?;
        Ok(Database { conn, path })
    }

    fn check_schema(&self) -> Result<(), DbError> {
        let found: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sqlite(&self.path))?;
        if found != SCHEMA_VERSION {
            return Err(DbError::Schema {
                path: self.path.clone(),
                found,
            });
        }
        Ok(())
    }

    /// The file it was opened from (`:memory:` for an in-memory database).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every stored `affected` entry for a package, by canonical ecosystem and normalised name
    /// (see [`crate::osv::canonical_ecosystem`] and [`crate::osv::normalise_name`]).
    pub fn affected(&self, ecosystem: &str, name: &str) -> Result<Vec<StoredAffected>, DbError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT advisory, data FROM affected WHERE ecosystem = ?1 AND name = ?2",
            )
            .map_err(sqlite(&self.path))?;
        let rows = stmt
            .query_map(params![ecosystem, name], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(sqlite(&self.path))?;
        let mut out = Vec::new();
        for row in rows {
            let (advisory, data) = row.map_err(sqlite(&self.path))?;
            out.push(self.decode(&advisory, &data)?);
        }
        Ok(out)
    }

    /// One advisory by id.
    pub fn advisory(&self, id: &str) -> Result<Option<StoredAdvisory>, DbError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT data FROM advisories WHERE id = ?1")
            .map_err(sqlite(&self.path))?;
        let data: Option<String> = stmt
            .query_row(params![id], |r| r.get(0))
            .optional()
            .map_err(sqlite(&self.path))?;
        data.map(|d| self.decode(id, &d)).transpose()
    }

    /// The ecosystems that have advisories, with their advisory counts.
    pub fn ecosystems(&self) -> Result<Vec<(String, u64)>, DbError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT ecosystem, COUNT(DISTINCT advisory) FROM affected GROUP BY ecosystem ORDER BY ecosystem",
            )
            .map_err(sqlite(&self.path))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(sqlite(&self.path))?;
        let mut out = Vec::new();
        for row in rows {
            let (e, n) = row.map_err(sqlite(&self.path))?;
            out.push((e, u64::try_from(n).unwrap_or(0)));
        }
        Ok(out)
    }

    /// The ecosystems that have advisories (cheap: read from the index, not counted).
    pub fn ecosystem_names(&self) -> Result<Vec<String>, DbError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT ecosystem FROM affected")
            .map_err(sqlite(&self.path))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(sqlite(&self.path))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(sqlite(&self.path))
    }

    /// The sources.
    pub fn sources(&self) -> Result<Vec<SourceInfo>, DbError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, data FROM sources ORDER BY name")
            .map_err(sqlite(&self.path))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(sqlite(&self.path))?;
        let mut out = Vec::new();
        for row in rows {
            let (name, data) = row.map_err(sqlite(&self.path))?;
            out.push(self.decode(&name, &data)?);
        }
        Ok(out)
    }

    /// When the database was last written (RFC 3339).
    pub fn updated_at(&self) -> Result<Option<String>, DbError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = 'updated_at'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sqlite(&self.path))
    }

    /// Everything `bulwark db info` shows.
    pub fn info(&self) -> Result<DbInfo, DbError> {
        let count = |sql: &str| -> Result<u64, DbError> {
            let n: i64 = self
                .conn
                .query_row(sql, [], |r| r.get(0))
                .map_err(sqlite(&self.path))?;
            Ok(u64::try_from(n).unwrap_or(0))
        };
        Ok(DbInfo {
            path: self.path.clone(),
            schema_version: SCHEMA_VERSION,
            updated_at: self.updated_at()?,
            size: std::fs::metadata(&self.path).map_or(0, |m| m.len()),
            advisories: count("SELECT COUNT(*) FROM advisories")?,
            affected: count("SELECT COUNT(*) FROM affected")?,
            ecosystems: self.ecosystems()?,
            sources: self.sources()?,
        })
    }

    fn decode<T: serde::de::DeserializeOwned>(&self, key: &str, data: &str) -> Result<T, DbError> {
        serde_json::from_str(data).map_err(|e| DbError::Corrupt {
            path: self.path.clone(),
            key: key.to_owned(),
            message: e.to_string(),
        })
    }

    /// Adds records to an in-memory database.
    pub fn add_source(
        &mut self,
        source: SourceInfo,
        records: Vec<Reduced>,
    ) -> Result<SourceInfo, DbError> {
        store_source(&self.conn, &self.path, source, records)
    }
}

fn init(conn: &Connection, path: &Path) -> Result<(), DbError> {
    conn.execute_batch(SCHEMA).map_err(sqlite(path))?;
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(sqlite(path))?;
    conn.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?1)",
        params![SCHEMA_VERSION.to_string()],
    )
    .map_err(sqlite(path))?;
    Ok(())
}

/// Starts replacing one source's records in `conn`: opens a transaction and deletes what an
/// earlier import of the same name stored. Records follow with [`insert_records`]; the
/// transaction ends with [`end_source`].
fn begin_source(conn: &Connection, path: &Path, name: &str) -> Result<(), DbError> {
    conn.execute_batch("BEGIN").map_err(sqlite(path))?;
    conn.execute(
        "DELETE FROM affected WHERE advisory IN (SELECT id FROM advisories WHERE source = ?1)",
        params![name],
    )
    .map_err(sqlite(path))?;
    conn.execute("DELETE FROM advisories WHERE source = ?1", params![name])
        .map_err(sqlite(path))?;
    Ok(())
}

/// Stores a batch of one source's records, counting them in `source`.
fn insert_records(
    conn: &Connection,
    path: &Path,
    source: &mut SourceInfo,
    records: Vec<Reduced>,
) -> Result<(), DbError> {
    let mut del_affected = conn
        .prepare_cached("DELETE FROM affected WHERE advisory = ?1")
        .map_err(sqlite(path))?;
    let mut ins_advisory = conn
        .prepare_cached("INSERT OR REPLACE INTO advisories(id, source, data) VALUES (?1, ?2, ?3)")
        .map_err(sqlite(path))?;
    let mut ins_affected = conn
        .prepare_cached(
            "INSERT INTO affected(ecosystem, name, advisory, data) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(sqlite(path))?;
    for r in records {
        source.git_ranges += r.git_ranges as u64;
        source.skipped_entries += r.skipped_entries as u64;
        if r.withdrawn {
            source.withdrawn += 1;
            continue;
        }
        if let Some(m) = &r.advisory.modified
            && source.newest_record.as_ref().is_none_or(|n| m > n)
        {
            source.newest_record = Some(m.clone());
        }
        // The same id from another source (or twice in one): the last one read wins.
        del_affected
            .execute(params![r.advisory.id])
            .map_err(sqlite(path))?;
        let data = serde_json::to_string(&r.advisory).expect("serialisable");
        ins_advisory
            .execute(params![r.advisory.id, source.name, data])
            .map_err(sqlite(path))?;
        for (ecosystem, name, entry) in &r.affected {
            let data = serde_json::to_string(entry).expect("serialisable");
            ins_affected
                .execute(params![ecosystem, name, entry.advisory, data])
                .map_err(sqlite(path))?;
        }
        source.records += 1;
    }
    Ok(())
}

/// Records the source's row and commits the transaction [`begin_source`] opened.
fn end_source(conn: &Connection, path: &Path, source: &SourceInfo) -> Result<(), DbError> {
    let data = serde_json::to_string(source).expect("serialisable");
    conn.execute(
        "INSERT OR REPLACE INTO sources(name, data) VALUES (?1, ?2)",
        params![source.name, data],
    )
    .map_err(sqlite(path))?;
    conn.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES ('updated_at', ?1)",
        params![source.imported_at],
    )
    .map_err(sqlite(path))?;
    conn.execute_batch("COMMIT").map_err(sqlite(path))?;
    Ok(())
}

/// Replaces one source's records in `conn` at once and returns its row as stored.
fn store_source(
    conn: &Connection,
    path: &Path,
    mut source: SourceInfo,
    records: Vec<Reduced>,
) -> Result<SourceInfo, DbError> {
    begin_source(conn, path, &source.name)?;
    let stored = insert_records(conn, path, &mut source, records)
        .and_then(|()| end_source(conn, path, &source));
    if stored.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    stored.map(|()| source)
}

/// Writes a new version of a database file: a copy beside the target is changed and renamed
/// over it on [`Writer::commit`]. Dropping a writer without committing removes the copy and
/// leaves the target as it was.
pub struct Writer {
    conn: Option<Connection>,
    target: PathBuf,
    temp: PathBuf,
    _lock: std::fs::File,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> DbError + '_ {
    move |source| DbError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Writer {
    /// Starts a new version of `target` (created if absent, with its parent directories).
    /// Holds an exclusive lock on `TARGET.lock` until committed or dropped, so two writers
    /// never interleave; readers are never blocked.
    pub fn begin(target: &Path) -> Result<Writer, DbError> {
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let lock_path = with_suffix(target, ".lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        lock.lock().map_err(io(&lock_path))?;
        // A device, FIFO or directory at the path must never be renamed over.
        if let Ok(meta) = std::fs::metadata(target)
            && !meta.is_file()
        {
            return Err(DbError::Io {
                path: target.to_path_buf(),
                source: std::io::Error::other("not a regular file"),
            });
        }
        let temp = with_suffix(target, &format!(".tmp-{}", std::process::id()));
        let _ = std::fs::remove_file(&temp);
        if target.is_file() {
            // Refuse to build on a database we cannot read.
            Database::open(target)?;
            std::fs::copy(target, &temp).map_err(io(&temp))?;
        }
        let conn = Connection::open(&temp).map_err(sqlite(&temp))?;
        // The copy is private until renamed: no journal, no syncs until commit.
        conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
            .map_err(sqlite(&temp))?;
        init(&conn, &temp)?;
        Ok(Writer {
            conn: Some(conn),
            target: target.to_path_buf(),
            temp,
            _lock: lock,
        })
    }

    /// Stores one source's records, replacing an earlier import of the same source name.
    ///
    /// # Panics
    ///
    /// Never: the connection is open until [`Writer::commit`] consumes the writer.
    pub fn add_source(
        &mut self,
        source: SourceInfo,
        records: Vec<Reduced>,
    ) -> Result<SourceInfo, DbError> {
        let conn = self.conn.as_ref().expect("open until commit");
        store_source(conn, &self.temp, source, records)
    }

    /// Starts replacing the source `name` batch by batch: [`Writer::add_records`] stores each
    /// batch, [`Writer::end_source`] finishes it. Memory stays proportional to a batch.
    ///
    /// # Panics
    ///
    /// Never: the connection is open until [`Writer::commit`] consumes the writer.
    pub fn begin_source(&mut self, name: &str) -> Result<(), DbError> {
        let conn = self.conn.as_ref().expect("open until commit");
        begin_source(conn, &self.temp, name)
    }

    /// Stores a batch of the source begun with [`Writer::begin_source`], counting it in
    /// `source`.
    ///
    /// # Panics
    ///
    /// Never: the connection is open until [`Writer::commit`] consumes the writer.
    pub fn add_records(
        &mut self,
        source: &mut SourceInfo,
        records: Vec<Reduced>,
    ) -> Result<(), DbError> {
        let conn = self.conn.as_ref().expect("open until commit");
        insert_records(conn, &self.temp, source, records)
    }

    /// Abandons the source begun with [`Writer::begin_source`]: its earlier records stay as
    /// they were.
    ///
    /// # Panics
    ///
    /// Never: the connection is open until [`Writer::commit`] consumes the writer.
    pub fn abort_source(&mut self) {
        let conn = self.conn.as_ref().expect("open until commit");
        let _ = conn.execute_batch("ROLLBACK");
    }

    /// Finishes the source begun with [`Writer::begin_source`].
    ///
    /// # Panics
    ///
    /// Never: the connection is open until [`Writer::commit`] consumes the writer.
    pub fn end_source(&mut self, source: &SourceInfo) -> Result<(), DbError> {
        let conn = self.conn.as_ref().expect("open until commit");
        end_source(conn, &self.temp, source)
    }

    /// The sources already in the database being written (for conditional downloads).
    ///
    /// # Panics
    ///
    /// Never: the connection is open until [`Writer::commit`] consumes the writer.
    pub fn sources(&self) -> Result<Vec<SourceInfo>, DbError> {
        let conn = self.conn.as_ref().expect("open until commit");
        let mut stmt = conn
            .prepare("SELECT data FROM sources")
            .map_err(sqlite(&self.temp))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(sqlite(&self.temp))?;
        let mut out = Vec::new();
        for row in rows {
            let data = row.map_err(sqlite(&self.temp))?;
            out.push(serde_json::from_str(&data).map_err(|e| DbError::Corrupt {
                path: self.temp.clone(),
                key: "sources".into(),
                message: e.to_string(),
            })?);
        }
        Ok(out)
    }

    /// Compacts the new file, makes it durable and renames it over the target. On an error
    /// the new file is removed and the target left as it was.
    ///
    /// # Panics
    ///
    /// Never: the connection is open until this consumes the writer.
    pub fn commit(mut self) -> Result<(), DbError> {
        let conn = self.conn.take().expect("open until commit");
        let result = Self::finish(conn, &self.temp, &self.target);
        if result.is_err() {
            let _ = std::fs::remove_file(&self.temp);
        }
        result
    }

    fn finish(conn: Connection, temp: &Path, target: &Path) -> Result<(), DbError> {
        conn.execute_batch("ANALYZE; VACUUM;")
            .map_err(sqlite(temp))?;
        conn.close().map_err(|(_, e)| DbError::Sqlite {
            path: temp.to_path_buf(),
            source: e,
        })?;
        let file = std::fs::File::open(temp).map_err(io(temp))?;
        file.sync_all().map_err(io(temp))?;
        std::fs::rename(temp, target).map_err(io(target))?;
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if self.conn.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::osv::{parse_json, reduce};

    fn source(name: &str) -> SourceInfo {
        SourceInfo {
            name: name.into(),
            imported_at: "2026-01-01T00:00:00Z".into(),
            ..SourceInfo::default()
        }
    }

    fn records(ids: &[&str]) -> Vec<Reduced> {
        ids.iter()
            .map(|id| {
                let json = format!(
                    r#"{{"id":"{id}","affected":[{{"package":{{"ecosystem":"npm","name":"a"}},"versions":["1.0.0"]}}]}}"#
                );
                reduce(&parse_json(json.as_bytes()).expect("record"))
            })
            .collect()
    }

    fn count(db: &Database) -> u64 {
        db.info().expect("info").advisories
    }

    #[test]
    fn readers_keep_a_whole_database_while_a_writer_replaces_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a/b/advisories.db");
        let mut w = Writer::begin(&path).expect("begin");
        w.add_source(source("one"), records(&["A-1", "A-2"]))
            .expect("add");
        w.commit().expect("commit");
        let reader = Database::open(&path).expect("open");
        assert_eq!(count(&reader), 2);

        let mut w = Writer::begin(&path).expect("begin");
        w.add_source(source("two"), records(&["B-1"])).expect("add");
        // Not committed yet: a new reader sees the old file.
        assert_eq!(count(&Database::open(&path).expect("open")), 2);
        w.commit().expect("commit");
        // The reader opened before keeps its consistent view; a new one sees the new data.
        assert_eq!(count(&reader), 2);
        assert_eq!(count(&Database::open(&path).expect("open")), 3);
        assert_eq!(
            Database::open(&path)
                .expect("open")
                .affected("npm", "a")
                .expect("affected")
                .len(),
            3
        );

        // Re-importing a source replaces its records; other sources stay.
        let mut w = Writer::begin(&path).expect("begin");
        w.add_source(source("one"), records(&["A-3"])).expect("add");
        w.commit().expect("commit");
        let db = Database::open(&path).expect("open");
        assert_eq!(count(&db), 2);
        assert!(db.advisory("A-1").expect("query").is_none());
        assert!(db.advisory("A-3").expect("query").is_some());
        assert_eq!(db.affected("npm", "a").expect("affected").len(), 2);

        // A writer dropped without committing leaves the file as it was and no temporary.
        let mut w = Writer::begin(&path).expect("begin");
        w.add_source(source("three"), records(&["C-1"]))
            .expect("add");
        drop(w);
        assert_eq!(count(&Database::open(&path).expect("open")), 2);
        let leftovers: Vec<String> = std::fs::read_dir(path.parent().expect("dir"))
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn a_writer_never_replaces_what_is_not_a_regular_file() {
        use std::os::unix::fs::FileTypeExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let err = Writer::begin(dir.path())
            .err()
            .expect("a directory is refused");
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo (coreutils) runs");
        assert!(made.success());
        assert!(Writer::begin(&fifo).is_err());
        let kind = std::fs::symlink_metadata(&fifo)
            .expect("still there")
            .file_type();
        assert!(kind.is_fifo(), "the FIFO was replaced");
    }

    #[test]
    fn other_schemas_and_other_files_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("adv.db");
        assert!(matches!(Database::open(&path), Err(DbError::Missing(_))));
        let conn = Connection::open(&path).expect("create");
        conn.pragma_update(None, "user_version", 99)
            .expect("pragma");
        drop(conn);
        assert!(matches!(
            Database::open(&path),
            Err(DbError::Schema { found: 99, .. })
        ));
        // A writer refuses to build on a database it cannot read.
        assert!(Writer::begin(&path).is_err());
        std::fs::write(&path, vec![b'x'; 4096]).expect("write");
        let err = Database::open(&path).err().expect("refused");
        assert!(err.to_string().contains("adv.db"), "{err}");
    }
}
