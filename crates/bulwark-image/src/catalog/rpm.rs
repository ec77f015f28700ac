//! RPM packages: the SQLite database `rpmdb.sqlite` (Fedora 33+, RHEL 9, openSUSE).
//!
//! The database lives at `/var/lib/rpm/rpmdb.sqlite`, or `/usr/lib/sysimage/rpm/rpmdb.sqlite`
//! where `/var/lib/rpm` is a symlink to it (openSUSE, newer Fedora). Its table
//! `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)` holds one RPM header per installed package.
//! Decisions:
//! - SQLite is read by the small read-only reader below (the file format is documented at
//!   <https://www.sqlite.org/fileformat2.html>): only table B-trees and overflow chains, enough to
//!   find `Packages` in the schema and walk its rows. No dependency, no C code, no temporary file.
//!   The write-ahead log is not read: rpm checkpoints it when it closes the database, so an image
//!   holds an empty `rpmdb.sqlite-wal`. A database whose structure is damaged (a page out of the
//!   file, a page reached twice, an unknown page type, a broken overflow chain) yields nothing.
//! - A blob is a header without its 8-byte magic: big-endian `il` (index entries), `dl` (data
//!   length), `il` 16-byte entries (tag, type, offset, count), then `dl` bytes of data. Bounded:
//!   `il` ≤ 100 000, `dl` ≤ 64 MiB, every entry's data within the data store, at most
//!   1 000 000 strings or integers per array. When a tag appears more than once the last entry
//!   wins (rpm lets entries appended after the immutable region replace those inside it). A blob
//!   that is not a valid header, or lacks `NAME` or `VERSION`, is skipped alone.
//! - `gpg-pubkey` entries are imported signing keys, not software: skipped.
//! - The version is `VERSION-RELEASE`, prefixed with `EPOCH:` when the header has an epoch. The
//!   purl is `pkg:rpm/<namespace>/<name>@<VERSION-RELEASE>?arch=..&epoch=..&distro=<id>-<version>`
//!   (the purl specification keeps the epoch in a qualifier). The namespace is the os-release
//!   `ID`, with `opensuse-leap`/`opensuse-tumbleweed` written `opensuse` as the specification's
//!   examples do; without os-release, a well-known `VENDOR` names it (`Fedora Project` → `fedora`)
//!   and there is no `distro` qualifier; otherwise there is no namespace.
//! - `SOURCERPM` (`openssl-3.0.7-24.el9.src.rpm`) gives the source package: `.src.rpm` (or
//!   `.nosrc.rpm`) removed, name, version and release split at the last two dashes. The source
//!   version takes the binary's epoch (a file name has none). As for dpkg, each source field is
//!   set only when it differs from the binary's own.
//! - `LICENSE` is kept as one string, as written.
//! - Owned files are `DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]`, directories included; names that
//!   are not UTF-8 are converted lossily. Entries whose directory index is out of range are
//!   skipped; when the three arrays disagree in length the package owns no files. The file lists
//!   of one database hold at most 128 MiB (counting each path's length and its `String`): past
//!   that, packages are still reported but own no more files.
//! - Older databases are not read: Berkeley DB (`Packages`, RHEL 8 and older, Amazon Linux 2)
//!   and NDB (`Packages.db`, SUSE). [`wanted`] asks for them only so that [`unsupported`] can
//!   say why no RPM packages were reported.
//! - The layer is left empty: the caller knows it.

use bulwark_model::{Ecosystem, Package};

use super::purl;

/// The SQLite database, at its historical and at its `/usr` place.
pub(super) const SQLITE_PATHS: [&str; 2] = [
    "/var/lib/rpm/rpmdb.sqlite",
    "/usr/lib/sysimage/rpm/rpmdb.sqlite",
];

/// Directories an RPM database may live in.
const DB_DIRS: [&str; 2] = ["/var/lib/rpm/", "/usr/lib/sysimage/rpm/"];

/// Largest index count of a header.
const MAX_INDEX_ENTRIES: usize = 100_000;
/// Largest data store of a header.
const MAX_DATA_LEN: usize = 64 * 1024 * 1024;
/// Largest number of elements of an array tag read (files of one package).
const MAX_ARRAY_LEN: usize = 1_000_000;
/// Largest memory the owned-file lists of one database may take.
const MAX_OWNED_BYTES: usize = 128 * 1024 * 1024;

/// Header tags.
const NAME: u32 = 1000;
const VERSION: u32 = 1001;
const RELEASE: u32 = 1002;
const EPOCH: u32 = 1003;
const VENDOR: u32 = 1011;
const LICENSE: u32 = 1014;
const ARCH: u32 = 1022;
const SOURCERPM: u32 = 1044;
const DIRINDEXES: u32 = 1116;
const BASENAMES: u32 = 1117;
const DIRNAMES: u32 = 1118;

/// Header data types.
const INT32: u32 = 4;
const STRING: u32 = 6;
const STRING_ARRAY: u32 = 8;
const I18NSTRING: u32 = 9;

/// Whether the catalogers need `path`: a SQLite database, or an older database to note.
pub(super) fn wanted(path: &str) -> bool {
    SQLITE_PATHS.contains(&path) || unsupported(path).is_some()
}

/// Why the RPM database at `path` is not read, when it is one of the older formats.
pub(super) fn unsupported(path: &str) -> Option<String> {
    match DB_DIRS.iter().find_map(|dir| path.strip_prefix(dir))? {
        "Packages" => Some(format!(
            "RPM Berkeley DB databases are not read; the packages {path} lists are not reported \
             (RHEL and CentOS 8 and older, Amazon Linux 2 use this format)"
        )),
        "Packages.db" => Some(format!(
            "RPM NDB databases are not read; the packages {path} lists are not reported \
             (SUSE releases use this format)"
        )),
        _ => None,
    }
}

/// Packages of the SQLite database at `path` (its content is `data`), each with the absolute
/// paths it owns. `distro` is the os-release `(ID, VERSION_ID)`.
pub(super) fn parse(
    path: &str,
    data: &[u8],
    distro: Option<(&str, &str)>,
) -> Vec<(Package, Vec<String>)> {
    if unsupported(path).is_some() {
        return Vec::new();
    }
    let Some(mut db) = sqlite::Db::open(data) else {
        return Vec::new();
    };
    let Some(root) = db.table_root("Packages") else {
        return Vec::new();
    };
    let distro = distro.filter(|(id, _)| !id.is_empty());
    let mut budget = MAX_OWNED_BYTES;
    let mut packages = Vec::new();
    let walked = db.rows(root, |record| {
        if let Some(sqlite::Value::Blob(blob)) = sqlite::column(record, 1)
            && let Some(header) = Header::parse(blob)
            && let Some(package) = package(&header, path, distro)
        {
            let files = owned_files(&header, &mut budget);
            packages.push((package, files));
        }
    });
    if walked.is_none() {
        return Vec::new();
    }
    packages
}

/// The package a header describes, if it names one.
fn package(header: &Header<'_>, path: &str, distro: Option<(&str, &str)>) -> Option<Package> {
    let name = header.string(NAME).filter(|n| !n.is_empty())?;
    let upstream = header.string(VERSION).filter(|v| !v.is_empty())?;
    if name == "gpg-pubkey" {
        return None;
    }
    let release = header.string(RELEASE).unwrap_or_default();
    let epoch = header
        .int32s(EPOCH)
        .and_then(|e| e.first().copied())
        .map(|e| e.to_string());
    let arch = header.string(ARCH).unwrap_or_default();
    let plain = if release.is_empty() {
        upstream
    } else {
        format!("{upstream}-{release}")
    };
    let with_epoch = |v: &str| match &epoch {
        Some(epoch) => format!("{epoch}:{v}"),
        None => v.to_owned(),
    };
    let version = with_epoch(&plain);
    let (namespace, distro_qualifier) = match distro {
        Some((id, version_id)) => (
            Some(namespace_of(id).to_owned()),
            if version_id.is_empty() {
                id.to_owned()
            } else {
                format!("{id}-{version_id}")
            },
        ),
        None => (
            header
                .string(VENDOR)
                .and_then(|v| vendor_namespace(&v))
                .map(str::to_owned),
            String::new(),
        ),
    };
    let (source_name, source_version) = match header.string(SOURCERPM).as_deref().and_then(source) {
        Some((source_name, source_version)) => (
            (source_name != name).then(|| source_name.to_owned()),
            Some(with_epoch(source_version)).filter(|v| *v != version),
        ),
        None => (None, None),
    };
    let licenses = header
        .string(LICENSE)
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .into_iter()
        .collect();
    Some(Package {
        purl: purl::build(
            "rpm",
            namespace.as_deref(),
            &name,
            &plain,
            &[
                ("arch", &arch),
                ("epoch", epoch.as_deref().unwrap_or_default()),
                ("distro", &distro_qualifier),
            ],
        ),
        name,
        version,
        ecosystem: Ecosystem::Rpm,
        cataloger: "rpm".to_owned(),
        location: path.to_owned(),
        layer: None,
        source_name,
        source_version,
        licenses,
        os_owned: false,
    })
}

/// The purl namespace for an os-release `ID`: the openSUSE flavours share `opensuse`.
fn namespace_of(id: &str) -> &str {
    if id.starts_with("opensuse") {
        "opensuse"
    } else {
        id
    }
}

/// The os-release `ID` of a well-known `VENDOR`, used as namespace when os-release is missing.
fn vendor_namespace(vendor: &str) -> Option<&'static str> {
    const VENDORS: [(&str, &str); 9] = [
        ("Fedora Project", "fedora"),
        ("Red Hat", "rhel"),
        ("CentOS", "centos"),
        ("openSUSE", "opensuse"),
        ("SUSE", "sles"),
        ("Amazon", "amzn"),
        ("Rocky", "rocky"),
        ("AlmaLinux", "almalinux"),
        ("Oracle", "ol"),
    ];
    VENDORS
        .iter()
        .find(|(prefix, _)| vendor.starts_with(prefix))
        .map(|(_, id)| *id)
}

/// `openssl-3.0.7-24.el9.src.rpm` → `("openssl", "3.0.7-24.el9")`.
fn source(file: &str) -> Option<(&str, &str)> {
    let stem = file
        .strip_suffix(".src.rpm")
        .or_else(|| file.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = stem.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    Some((name, stem.get(name.len() + 1..)?))
}

/// The absolute paths a header's file lists name, while `budget` (bytes) lasts.
fn owned_files(header: &Header<'_>, budget: &mut usize) -> Vec<String> {
    let (Some(basenames), Some(dirnames), Some(indexes)) = (
        header.strings(BASENAMES),
        header.strings(DIRNAMES),
        header.int32s(DIRINDEXES),
    ) else {
        return Vec::new();
    };
    if basenames.len() != indexes.len() {
        return Vec::new();
    }
    let mut files = Vec::new();
    for (base, index) in basenames.into_iter().zip(indexes) {
        let Some(dir) = usize::try_from(index).ok().and_then(|i| dirnames.get(i)) else {
            continue;
        };
        let cost = dir.len() + base.len() + 1 + size_of::<String>();
        if cost > *budget {
            *budget = 0;
            break;
        }
        *budget -= cost;
        let mut file = String::with_capacity(dir.len() + base.len() + 1);
        if !dir.starts_with(b"/") {
            file.push('/');
        }
        file.push_str(&String::from_utf8_lossy(dir));
        file.push_str(&String::from_utf8_lossy(base));
        files.push(file);
    }
    files
}

/// A big-endian `u16` at `at`.
fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

/// A big-endian `u32` at `at`.
fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// One RPM header: its index entries and its data store, both checked against their bounds.
struct Header<'a> {
    index: &'a [u8],
    store: &'a [u8],
}

impl<'a> Header<'a> {
    /// Splits a header blob (`il`, `dl`, index, data); trailing bytes are ignored.
    fn parse(blob: &'a [u8]) -> Option<Self> {
        let entries = usize::try_from(be32(blob, 0)?).ok()?;
        let data_len = usize::try_from(be32(blob, 4)?).ok()?;
        if entries == 0 || entries > MAX_INDEX_ENTRIES || data_len > MAX_DATA_LEN {
            return None;
        }
        let index_end = 8 + 16 * entries;
        Some(Self {
            index: blob.get(8..index_end)?,
            store: blob.get(index_end..index_end.checked_add(data_len)?)?,
        })
    }

    /// The last entry for `tag` as `(type, offset, count)`, its offset inside the data store.
    fn entry(&self, tag: u32) -> Option<(u32, usize, usize)> {
        let entry = self
            .index
            .chunks_exact(16)
            .rev()
            .find(|e| be32(e, 0) == Some(tag))?;
        let kind = be32(entry, 4)?;
        let offset = usize::try_from(be32(entry, 8)?).ok()?;
        let count = usize::try_from(be32(entry, 12)?).ok()?;
        // A negative offset reads as a large `u32`, beyond `MAX_DATA_LEN`.
        (offset < self.store.len()).then_some((kind, offset, count))
    }

    /// A `STRING` (or the first, untranslated `I18NSTRING`) value.
    fn string(&self, tag: u32) -> Option<String> {
        let (kind, offset, _) = self.entry(tag)?;
        if kind != STRING && kind != I18NSTRING {
            return None;
        }
        let rest = self.store.get(offset..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        Some(String::from_utf8_lossy(rest.get(..end)?).into_owned())
    }

    /// A `STRING_ARRAY` value, each string without its terminating NUL.
    fn strings(&self, tag: u32) -> Option<Vec<&'a [u8]>> {
        let (kind, offset, count) = self.entry(tag)?;
        let mut rest = self.store.get(offset..)?;
        // Each string takes at least its NUL.
        if kind != STRING_ARRAY || count > MAX_ARRAY_LEN || count > rest.len() {
            return None;
        }
        let mut strings = Vec::with_capacity(count);
        for _ in 0..count {
            let end = rest.iter().position(|&b| b == 0)?;
            strings.push(rest.get(..end)?);
            rest = rest.get(end + 1..)?;
        }
        Some(strings)
    }

    /// An `INT32` value (an array of big-endian integers).
    fn int32s(&self, tag: u32) -> Option<Vec<u32>> {
        let (kind, offset, count) = self.entry(tag)?;
        if kind != INT32 || count > MAX_ARRAY_LEN {
            return None;
        }
        let bytes = self.store.get(offset..offset.checked_add(count * 4)?)?;
        Some(
            bytes
                .chunks_exact(4)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        )
    }
}

/// A read-only reader of the parts of the SQLite file format the database needs: the schema
/// table, table B-trees (interior and leaf pages) and overflow chains
/// (<https://www.sqlite.org/fileformat2.html>). Index B-trees, free lists and the write-ahead
/// log are never needed.
mod sqlite {
    use super::{be16, be32};

    /// The first 16 bytes of every SQLite 3 database.
    const MAGIC: &[u8; 16] = b"SQLite format 3\0";
    /// B-tree page types.
    const INTERIOR_TABLE: u8 = 0x05;
    const LEAF_TABLE: u8 = 0x0d;

    /// A column value of a record; floats are not needed and read as `Other`.
    #[derive(Debug, PartialEq, Eq)]
    pub(super) enum Value<'a> {
        Null,
        Int(i64),
        Text(&'a [u8]),
        Blob(&'a [u8]),
        Other,
    }

    /// An open database: its bytes and the page geometry of its header.
    pub(super) struct Db<'a> {
        data: &'a [u8],
        page_size: usize,
        /// Page size less the reserved bytes at the end of each page.
        usable: usize,
        /// Text encoding: 1 UTF-8, 2 UTF-16LE, 3 UTF-16BE.
        encoding: u32,
        /// Payload bytes still allowed. Every payload byte of a sound database is stored once,
        /// so the total cannot exceed the file size; overflow chains shared by several cells
        /// (a crafted file) would otherwise cost time without bound.
        budget: usize,
    }

    impl<'a> Db<'a> {
        /// Reads the database header; `None` when `data` is not a SQLite database.
        pub(super) fn open(data: &'a [u8]) -> Option<Self> {
            if !data.starts_with(MAGIC) || data.len() < 100 {
                return None;
            }
            let page_size = match be16(data, 16)? {
                1 => 65_536,
                n if n >= 512 && n.is_power_of_two() => usize::from(n),
                _ => return None,
            };
            let usable = page_size.checked_sub(usize::from(*data.get(20)?))?;
            if usable < 480 {
                return None;
            }
            Some(Self {
                data,
                page_size,
                usable,
                encoding: be32(data, 56)?,
                budget: data.len(),
            })
        }

        /// Page `number` (the first is 1), whole.
        fn page(&self, number: u32) -> Option<&'a [u8]> {
            let index = usize::try_from(number).ok()?.checked_sub(1)?;
            let start = index.checked_mul(self.page_size)?;
            self.data.get(start..start.checked_add(self.page_size)?)
        }

        /// The root page of the table called `name` (compared case-insensitively, as SQLite
        /// does), from the schema table rooted on page 1.
        pub(super) fn table_root(&mut self, name: &str) -> Option<u32> {
            let encoding = self.encoding;
            let mut root = None;
            self.rows(1, |record| {
                if root.is_some() {
                    return;
                }
                if let (Some(Value::Text(kind)), Some(Value::Text(table)), Some(Value::Int(page))) =
                    (column(record, 0), column(record, 1), column(record, 3))
                    && text(encoding, kind) == "table"
                    && text(encoding, table).eq_ignore_ascii_case(name)
                {
                    root = u32::try_from(page).ok();
                }
            })?;
            root
        }

        /// Gives `each` the record of every row of the table B-tree rooted at `root`, in rowid
        /// order; `None` when the tree is damaged.
        pub(super) fn rows(&mut self, root: u32, mut each: impl FnMut(&[u8])) -> Option<()> {
            let mut seen = vec![false; self.data.len() / self.page_size + 1];
            let mut stack = vec![root];
            while let Some(number) = stack.pop() {
                let page = self.page(number)?;
                let slot = seen.get_mut(usize::try_from(number).ok()?)?;
                if *slot {
                    return None;
                }
                *slot = true;
                let start = if number == 1 { 100 } else { 0 };
                let cells = usize::from(be16(page, start + 3)?);
                match *page.get(start)? {
                    LEAF_TABLE => {
                        for i in 0..cells {
                            let mut at = usize::from(be16(page, start + 8 + 2 * i)?);
                            let size = usize::try_from(varint(page, &mut at)?).ok()?;
                            let _rowid = varint(page, &mut at)?;
                            each(&self.payload(page, at, size)?);
                        }
                    }
                    INTERIOR_TABLE => {
                        stack.push(be32(page, start + 8)?);
                        for i in (0..cells).rev() {
                            let at = usize::from(be16(page, start + 12 + 2 * i)?);
                            stack.push(be32(page, at)?);
                        }
                    }
                    _ => return None,
                }
            }
            Some(())
        }

        /// The `size`-byte payload of a table leaf cell whose payload starts at `at` in `page`,
        /// following its overflow chain when it does not fit.
        fn payload(&mut self, page: &[u8], at: usize, size: usize) -> Option<Vec<u8>> {
            self.budget = self.budget.checked_sub(size)?;
            let usable = self.usable;
            let max_local = usable - 35;
            let local = if size <= max_local {
                size
            } else {
                let min_local = (usable - 12) * 32 / 255 - 23;
                let spill = min_local + (size - min_local) % (usable - 4);
                if spill <= max_local { spill } else { min_local }
            };
            let mut payload = Vec::with_capacity(size);
            payload.extend_from_slice(page.get(at..at.checked_add(local)?)?);
            let mut next = if size > local {
                be32(page, at + local)?
            } else {
                0
            };
            // Each overflow page adds `usable - 4` bytes, so the loop ends.
            while payload.len() < size {
                let overflow = self.page(next)?;
                next = be32(overflow, 0)?;
                let take = (size - payload.len()).min(usable - 4);
                payload.extend_from_slice(overflow.get(4..4 + take)?);
            }
            Some(payload)
        }
    }

    /// Column `index` of a record; `Null` past the columns the record stores (as SQLite reads
    /// columns added later), `None` when the record is damaged.
    pub(super) fn column(record: &[u8], index: usize) -> Option<Value<'_>> {
        let mut at = 0;
        let header_len = usize::try_from(varint(record, &mut at)?).ok()?;
        if header_len > record.len() {
            return None;
        }
        let mut body = header_len;
        let mut column = 0;
        while at < header_len {
            let serial = varint(record, &mut at)?;
            let len = match serial {
                0 | 8 | 9 => 0,
                1..=4 => usize::try_from(serial).ok()?,
                5 => 6,
                6 | 7 => 8,
                10 | 11 => return None,
                n => usize::try_from((n - 12) / 2).ok()?,
            };
            if column == index {
                let bytes = record.get(body..body.checked_add(len)?)?;
                return Some(match serial {
                    0 => Value::Null,
                    1..=6 => Value::Int(integer(bytes)),
                    8 => Value::Int(0),
                    9 => Value::Int(1),
                    n if n >= 12 && n % 2 == 0 => Value::Blob(bytes),
                    n if n >= 13 => Value::Text(bytes),
                    _ => Value::Other,
                });
            }
            body = body.checked_add(len)?;
            column += 1;
        }
        Some(Value::Null)
    }

    /// A big-endian two's-complement integer of 1 to 8 bytes.
    fn integer(bytes: &[u8]) -> i64 {
        let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
        bytes
            .iter()
            .fold(if negative { -1 } else { 0 }, |value, &b| {
                (value << 8) | i64::from(b)
            })
    }

    /// A SQLite varint at `*at` (1 to 9 bytes, big-endian, 7 bits a byte but 8 in the ninth),
    /// advancing `*at` past it.
    pub(super) fn varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
        let mut value = 0u64;
        for i in 0..9 {
            let byte = *bytes.get(*at)?;
            *at += 1;
            if i == 8 {
                return Some((value << 8) | u64::from(byte));
            }
            value = (value << 7) | u64::from(byte & 0x7f);
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    /// Text of the database's encoding as a `String` (invalid sequences replaced).
    fn text(encoding: u32, bytes: &[u8]) -> String {
        let units = |from: fn([u8; 2]) -> u16| {
            let units = bytes.chunks_exact(2).map(|b| from([b[0], b[1]]));
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        };
        match encoding {
            2 => units(u16::from_le_bytes),
            3 => units(u16::from_be_bytes),
            _ => String::from_utf8_lossy(bytes).into_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header entry's value, for [`header`].
    enum Data<'a> {
        Str(&'a str),
        Strs(&'a [&'a str]),
        Ints(&'a [u32]),
    }

    /// A header blob built from the format: index entries in the order given, int32 data
    /// aligned on 4 bytes.
    fn header(entries: &[(u32, Data<'_>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut store = Vec::new();
        for (tag, data) in entries {
            let (kind, count) = match data {
                Data::Str(_) => (STRING, 1),
                Data::Strs(s) => (STRING_ARRAY, s.len()),
                Data::Ints(i) => {
                    while store.len() % 4 != 0 {
                        store.push(0);
                    }
                    (INT32, i.len())
                }
            };
            for value in [
                *tag,
                kind,
                u32::try_from(store.len()).expect("small"),
                u32::try_from(count).expect("small"),
            ] {
                index.extend(value.to_be_bytes());
            }
            match data {
                Data::Str(s) => {
                    store.extend(s.as_bytes());
                    store.push(0);
                }
                Data::Strs(strings) => {
                    for s in *strings {
                        store.extend(s.as_bytes());
                        store.push(0);
                    }
                }
                Data::Ints(ints) => {
                    for i in *ints {
                        store.extend(i.to_be_bytes());
                    }
                }
            }
        }
        let mut blob = Vec::new();
        blob.extend(u32::try_from(entries.len()).expect("small").to_be_bytes());
        blob.extend(u32::try_from(store.len()).expect("small").to_be_bytes());
        blob.extend(index);
        blob.extend(store);
        blob
    }

    fn put_varint(out: &mut Vec<u8>, value: u64) {
        assert!(value < 1 << 56);
        let mut groups = vec![u8::try_from(value & 0x7f).expect("7 bits")];
        let mut rest = value >> 7;
        while rest > 0 {
            groups.push(u8::try_from(rest & 0x7f).expect("7 bits") | 0x80);
            rest >>= 7;
        }
        out.extend(groups.iter().rev());
    }

    /// A column for [`record`].
    enum Col<'a> {
        Null,
        Int(u8),
        Text(&'a [u8]),
        Blob(&'a [u8]),
    }

    /// A record of the given columns.
    fn record(columns: &[Col<'_>]) -> Vec<u8> {
        let mut types = Vec::new();
        let mut body = Vec::new();
        for column in columns {
            let serial = match column {
                Col::Null => 0,
                Col::Int(i) => {
                    body.push(*i);
                    1
                }
                Col::Text(text) => {
                    body.extend(*text);
                    13 + 2 * text.len()
                }
                Col::Blob(blob) => {
                    body.extend(*blob);
                    12 + 2 * blob.len()
                }
            };
            put_varint(&mut types, serial as u64);
        }
        // Headers here stay below 128 bytes, so their length is one varint byte.
        let mut out = vec![u8::try_from(types.len() + 1).expect("short header")];
        out.extend(types);
        out.extend(body);
        out
    }

    /// Pages of a database under construction.
    struct Builder {
        page_size: usize,
        pages: Vec<Vec<u8>>,
    }

    impl Builder {
        fn new_page(&mut self) -> u32 {
            self.pages.push(vec![0; self.page_size]);
            u32::try_from(self.pages.len()).expect("few pages")
        }

        /// A table leaf cell, its payload spilled into new overflow pages as SQLite does.
        fn leaf_cell(&mut self, rowid: u64, payload: &[u8]) -> Vec<u8> {
            let usable = self.page_size;
            let max_local = usable - 35;
            let min_local = (usable - 12) * 32 / 255 - 23;
            let local = if payload.len() <= max_local {
                payload.len()
            } else {
                let spill = min_local + (payload.len() - min_local) % (usable - 4);
                if spill <= max_local { spill } else { min_local }
            };
            let mut cell = Vec::new();
            put_varint(&mut cell, payload.len() as u64);
            put_varint(&mut cell, rowid);
            cell.extend(&payload[..local]);
            let chunks: Vec<&[u8]> = payload[local..].chunks(usable - 4).collect();
            let numbers: Vec<u32> = chunks.iter().map(|_| self.new_page()).collect();
            for (i, chunk) in chunks.iter().enumerate() {
                let next = numbers.get(i + 1).copied().unwrap_or(0);
                let page = &mut self.pages[numbers[i] as usize - 1];
                page[..4].copy_from_slice(&next.to_be_bytes());
                page[4..4 + chunk.len()].copy_from_slice(chunk);
            }
            if let Some(first) = numbers.first() {
                cell.extend(first.to_be_bytes());
            }
            cell
        }

        /// Writes a B-tree page: header at `start`, cells packed at the end.
        fn write_page(&mut self, number: u32, kind: u8, cells: &[Vec<u8>], right: Option<u32>) {
            let start = if number == 1 { 100 } else { 0 };
            let page = &mut self.pages[number as usize - 1];
            let mut content = page.len();
            let header_len = if right.is_some() { 12 } else { 8 };
            page[start] = kind;
            page[start + 3..start + 5]
                .copy_from_slice(&u16::try_from(cells.len()).expect("few").to_be_bytes());
            for (i, cell) in cells.iter().enumerate() {
                content -= cell.len();
                page[content..content + cell.len()].copy_from_slice(cell);
                let at = start + header_len + 2 * i;
                page[at..at + 2]
                    .copy_from_slice(&u16::try_from(content).expect("fits").to_be_bytes());
            }
            assert!(start + header_len + 2 * cells.len() <= content, "page full");
            page[start + 5..start + 7]
                .copy_from_slice(&u16::try_from(content % 65_536).expect("fits").to_be_bytes());
            if let Some(right) = right {
                page[start + 8..start + 12].copy_from_slice(&right.to_be_bytes());
            }
        }
    }

    /// A SQLite database with the rpm schema and `blobs` in `Packages` (rowids from 1), leaves
    /// of `per_leaf` rows under an interior root when there is more than one leaf.
    fn database(page_size: usize, blobs: &[Vec<u8>], per_leaf: usize) -> Vec<u8> {
        let mut b = Builder {
            page_size,
            pages: Vec::new(),
        };
        let schema_page = b.new_page();
        let root = b.new_page();
        let sql =
            b"CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)";
        let schema = record(&[
            Col::Text(b"table"),
            Col::Text(b"Packages"),
            Col::Text(b"Packages"),
            Col::Int(u8::try_from(root).expect("small")),
            Col::Text(sql),
        ]);
        let schema_cell = b.leaf_cell(1, &schema);
        b.write_page(schema_page, LEAF, &[schema_cell], None);
        let leaves: Vec<&[Vec<u8>]> = blobs.chunks(per_leaf.max(1)).collect();
        let mut rowid = 0u64;
        if leaves.len() <= 1 {
            let cells: Vec<Vec<u8>> = blobs
                .iter()
                .map(|blob| {
                    rowid += 1;
                    b.leaf_cell(rowid, &record(&[Col::Null, Col::Blob(blob)]))
                })
                .collect();
            b.write_page(root, LEAF, &cells, None);
        } else {
            let mut children = Vec::new();
            for leaf in leaves {
                let number = b.new_page();
                let cells: Vec<Vec<u8>> = leaf
                    .iter()
                    .map(|blob| {
                        rowid += 1;
                        b.leaf_cell(rowid, &record(&[Col::Null, Col::Blob(blob)]))
                    })
                    .collect();
                b.write_page(number, LEAF, &cells, None);
                children.push((number, rowid));
            }
            let right = children.pop().expect("two leaves").0;
            let cells: Vec<Vec<u8>> = children
                .iter()
                .map(|(child, key)| {
                    let mut cell = child.to_be_bytes().to_vec();
                    put_varint(&mut cell, *key);
                    cell
                })
                .collect();
            b.write_page(root, INTERIOR, &cells, Some(right));
        }
        let mut data = b.pages.concat();
        data[..16].copy_from_slice(b"SQLite format 3\0");
        let size = if page_size == 65_536 { 1 } else { page_size };
        data[16..18].copy_from_slice(&u16::try_from(size).expect("fits").to_be_bytes());
        data[18] = 1;
        data[19] = 1;
        data[21] = 64;
        data[22] = 32;
        data[23] = 32;
        data[28..32].copy_from_slice(&u32::try_from(b.pages.len()).expect("few").to_be_bytes());
        data[44..48].copy_from_slice(&4u32.to_be_bytes());
        data[56..60].copy_from_slice(&1u32.to_be_bytes());
        data
    }

    const LEAF: u8 = 0x0d;
    const INTERIOR: u8 = 0x05;

    fn openssl_header() -> Vec<u8> {
        header(&[
            (NAME, Data::Str("openssl-libs")),
            (VERSION, Data::Str("3.0.7")),
            (RELEASE, Data::Str("24.el9")),
            (EPOCH, Data::Ints(&[1])),
            (VENDOR, Data::Str("Red Hat, Inc.")),
            (LICENSE, Data::Str("ASL 2.0")),
            (ARCH, Data::Str("x86_64")),
            (SOURCERPM, Data::Str("openssl-3.0.7-24.el9.src.rpm")),
            (DIRINDEXES, Data::Ints(&[0, 1, 1, 7])),
            (
                BASENAMES,
                Data::Strs(&["libcrypto.so.3", "openssl", "ct_log_list.cnf", "bad"]),
            ),
            (DIRNAMES, Data::Strs(&["/usr/lib64/", "/etc/pki/tls/"])),
        ])
    }

    fn bash_header() -> Vec<u8> {
        header(&[
            (NAME, Data::Str("bash")),
            (VERSION, Data::Str("5.2.26")),
            (RELEASE, Data::Str("3.fc40")),
            (LICENSE, Data::Str("GPL-3.0-or-later")),
            (ARCH, Data::Str("x86_64")),
            (SOURCERPM, Data::Str("bash-5.2.26-3.fc40.src.rpm")),
            (DIRINDEXES, Data::Ints(&[0])),
            (BASENAMES, Data::Strs(&["bash"])),
            (DIRNAMES, Data::Strs(&["/usr/bin/"])),
        ])
    }

    fn gpg_pubkey_header() -> Vec<u8> {
        header(&[
            (NAME, Data::Str("gpg-pubkey")),
            (VERSION, Data::Str("fd431d51")),
            (RELEASE, Data::Str("4ae0493b")),
        ])
    }

    #[test]
    fn hand_built_database() {
        let data = database(
            4096,
            &[openssl_header(), gpg_pubkey_header(), bash_header()],
            10,
        );
        let packages = parse(SQLITE_PATHS[0], &data, Some(("rhel", "9.3")));
        let names: Vec<_> = packages.iter().map(|(p, _)| p.name.as_str()).collect();
        assert_eq!(names, ["openssl-libs", "bash"]);
        let (openssl, files) = &packages[0];
        assert_eq!(openssl.version, "1:3.0.7-24.el9");
        assert_eq!(openssl.ecosystem, Ecosystem::Rpm);
        assert_eq!(openssl.cataloger, "rpm");
        assert_eq!(openssl.location, "/var/lib/rpm/rpmdb.sqlite");
        assert_eq!(openssl.layer, None);
        assert_eq!(openssl.source_name.as_deref(), Some("openssl"));
        assert_eq!(openssl.source_version, None);
        assert_eq!(openssl.licenses, ["ASL 2.0"]);
        assert_eq!(
            openssl.purl,
            "pkg:rpm/rhel/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=rhel-9.3&epoch=1"
        );
        assert_eq!(
            files,
            &[
                "/usr/lib64/libcrypto.so.3",
                "/etc/pki/tls/openssl",
                "/etc/pki/tls/ct_log_list.cnf",
            ]
        );
        let (bash, files) = &packages[1];
        assert_eq!(bash.version, "5.2.26-3.fc40");
        assert_eq!(bash.source_name, None);
        assert_eq!(bash.source_version, None);
        assert_eq!(
            bash.purl,
            "pkg:rpm/rhel/bash@5.2.26-3.fc40?arch=x86_64&distro=rhel-9.3"
        );
        assert_eq!(files, &["/usr/bin/bash"]);
    }

    #[test]
    fn namespaces_without_or_with_os_release() {
        let data = database(4096, &[openssl_header(), bash_header()], 10);
        let packages = parse(SQLITE_PATHS[1], &data, None);
        assert_eq!(
            packages[0].0.purl,
            "pkg:rpm/rhel/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1"
        );
        assert_eq!(packages[1].0.purl, "pkg:rpm/bash@5.2.26-3.fc40?arch=x86_64");
        let packages = parse(SQLITE_PATHS[1], &data, Some(("opensuse-tumbleweed", "")));
        assert_eq!(
            packages[1].0.purl,
            "pkg:rpm/opensuse/bash@5.2.26-3.fc40?arch=x86_64&distro=opensuse-tumbleweed"
        );
        assert_eq!(vendor_namespace("Fedora Project"), Some("fedora"));
        assert_eq!(vendor_namespace("Someone"), None);
    }

    #[test]
    fn many_pages_and_overflow() {
        let blobs = |files_per_package: usize| {
            (0..40)
                .map(|i| {
                    let name = format!("pkg{i}");
                    let files: Vec<String> = (0..i * files_per_package)
                        .map(|j| format!("file{j}"))
                        .collect();
                    let files: Vec<&str> = files.iter().map(String::as_str).collect();
                    let indexes = vec![0; files.len()];
                    header(&[
                        (NAME, Data::Str(&name)),
                        (VERSION, Data::Str("1")),
                        (DIRINDEXES, Data::Ints(&indexes)),
                        (BASENAMES, Data::Strs(&files)),
                        (DIRNAMES, Data::Strs(&["/d/"])),
                    ])
                })
                .collect::<Vec<_>>()
        };
        // Large headers (up to 780 files) one to a leaf: overflow chains of every length;
        // small ones several to a leaf.
        let (large, small) = (blobs(20), blobs(1));
        for (page_size, files_per_package, per_leaf) in [
            (512, 20, 1),
            (1024, 20, 1),
            (4096, 20, 1),
            (65_536, 20, 1),
            (2048, 1, 3),
            (4096, 1, 5),
            (65_536, 1, 40),
        ] {
            let blobs = if files_per_package == 20 {
                &large
            } else {
                &small
            };
            let data = database(page_size, blobs, per_leaf);
            let packages = parse(SQLITE_PATHS[0], &data, None);
            assert_eq!(packages.len(), 40, "page size {page_size}");
            for (i, (package, files)) in packages.iter().enumerate() {
                assert_eq!(package.name, format!("pkg{i}"));
                assert_eq!(files.len(), i * files_per_package);
                if i > 0 {
                    let last = i * files_per_package - 1;
                    assert_eq!(files[files.len() - 1], format!("/d/file{last}"));
                }
            }
        }
    }

    #[test]
    fn source_rpm_names() {
        assert_eq!(
            source("openssl-3.0.7-24.el9.src.rpm"),
            Some(("openssl", "3.0.7-24.el9"))
        );
        assert_eq!(
            source("python-urllib3-1.26.5-5.el9.nosrc.rpm"),
            Some(("python-urllib3", "1.26.5-5.el9"))
        );
        assert_eq!(source("x-1.src.rpm"), None);
        assert_eq!(source("-1-2.src.rpm"), None);
        assert_eq!(source("openssl-3.0.7-24.el9.rpm"), None);
        assert_eq!(source("(none)"), None);
    }

    #[test]
    fn source_version_keeps_the_epoch_and_differs() {
        let blob = header(&[
            (NAME, Data::Str("libfoo")),
            (VERSION, Data::Str("1.0")),
            (RELEASE, Data::Str("2")),
            (EPOCH, Data::Ints(&[3])),
            (SOURCERPM, Data::Str("foo-1.0-1.src.rpm")),
        ]);
        let packages = parse(SQLITE_PATHS[0], &database(4096, &[blob], 1), None);
        let package = &packages[0].0;
        assert_eq!(package.source_name.as_deref(), Some("foo"));
        assert_eq!(package.source_version.as_deref(), Some("3:1.0-1"));
        assert!(packages[0].1.is_empty());
        assert!(package.licenses.is_empty());
    }

    #[test]
    fn paths() {
        for path in [
            "/var/lib/rpm/rpmdb.sqlite",
            "/usr/lib/sysimage/rpm/rpmdb.sqlite",
            "/var/lib/rpm/Packages",
            "/usr/lib/sysimage/rpm/Packages.db",
        ] {
            assert!(wanted(path), "{path}");
        }
        for path in [
            "/var/lib/rpm/rpmdb.sqlite-wal",
            "/var/lib/rpm/Name",
            "/opt/var/lib/rpm/rpmdb.sqlite",
        ] {
            assert!(!wanted(path), "{path}");
        }
        let note = unsupported("/var/lib/rpm/Packages").expect("bdb");
        assert!(note.starts_with("RPM Berkeley DB databases are not read; "));
        assert!(note.contains("/var/lib/rpm/Packages"));
        let note = unsupported("/usr/lib/sysimage/rpm/Packages.db").expect("ndb");
        assert!(note.starts_with("RPM NDB databases are not read; "));
        assert_eq!(unsupported(SQLITE_PATHS[0]), None);
        // Even a SQLite file under a Berkeley DB name is not read.
        let data = database(4096, &[bash_header()], 1);
        assert!(parse("/var/lib/rpm/Packages", &data, None).is_empty());
        assert!(parse(SQLITE_PATHS[0], b"\0\0\0\0\x00\x06\x15\x61", None).is_empty());
    }

    #[test]
    fn damaged_headers_are_skipped() {
        let good = bash_header();
        let mut too_many_entries = good.clone();
        too_many_entries[..4].copy_from_slice(&u32::MAX.to_be_bytes());
        let mut too_much_data = good.clone();
        too_much_data[4..8].copy_from_slice(&(65 * 1024 * 1024u32).to_be_bytes());
        let mut offset_out = good.clone();
        // NAME's offset (first entry) beyond the data store.
        offset_out[16..20].copy_from_slice(&0x00ff_0000u32.to_be_bytes());
        let mut negative = good.clone();
        negative[16..20].copy_from_slice(&(-4i32).to_be_bytes());
        let blobs = [
            Vec::new(),
            good[..good.len() - 1].to_vec(),
            good[..7].to_vec(),
            too_many_entries,
            too_much_data,
            offset_out,
            negative,
            vec![0; 8],
        ];
        for blob in &blobs {
            assert!(Header::parse(blob).is_none_or(|h| package(&h, "", None).is_none()));
        }
        let data = database(4096, &blobs, 3);
        assert!(parse(SQLITE_PATHS[0], &data, None).is_empty());

        // Absurd array counts: the package stays, its files go.
        let mut counts = header(&[
            (NAME, Data::Str("x")),
            (VERSION, Data::Str("1")),
            (DIRINDEXES, Data::Ints(&[0])),
            (BASENAMES, Data::Strs(&["a"])),
            (DIRNAMES, Data::Strs(&["/"])),
        ]);
        let whole = counts.clone();
        for entry in 2..5 {
            let at = 8 + 16 * entry + 12;
            counts[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
            let header = Header::parse(&counts).expect("valid frame");
            assert!(package(&header, "", None).is_some());
            assert!(owned_files(&header, &mut MAX_OWNED_BYTES.clone()).is_empty());
            counts.copy_from_slice(&whole);
        }
        let header = Header::parse(&whole).expect("valid");
        assert_eq!(owned_files(&header, &mut MAX_OWNED_BYTES.clone()), ["/a"]);
        let mut small = 10;
        assert!(owned_files(&header, &mut small).is_empty());
        assert_eq!(small, 0);
    }

    #[test]
    fn damaged_databases_do_not_panic() {
        let data = database(
            512,
            &[openssl_header(), bash_header(), gpg_pubkey_header()],
            1,
        );
        assert_eq!(parse(SQLITE_PATHS[0], &data, None).len(), 2);
        for len in 0..data.len() {
            let _ = parse(SQLITE_PATHS[0], &data[..len], None);
        }
        let mut corrupt = data.clone();
        for i in 0..corrupt.len() {
            for delta in [1u8, 0x80, 0xff] {
                corrupt[i] = data[i].wrapping_add(delta);
                let _ = parse(SQLITE_PATHS[0], &corrupt, None);
            }
            corrupt[i] = data[i];
        }
        // An interior page whose child is itself: damaged, nothing reported.
        let mut looped = data.clone();
        looped[512] = INTERIOR;
        looped[512 + 3..512 + 5].copy_from_slice(&0u16.to_be_bytes());
        looped[512 + 8..512 + 12].copy_from_slice(&2u32.to_be_bytes());
        assert!(parse(SQLITE_PATHS[0], &looped, None).is_empty());
        // A leaf cell claiming a payload larger than the file.
        let mut huge = database(4096, &[bash_header()], 1);
        let cell = usize::from(be16(&huge, 4096 + 8).expect("cell pointer"));
        huge[4096 + cell..4096 + cell + 4].copy_from_slice(&[0x8f, 0xff, 0xff, 0x7f]);
        assert!(parse(SQLITE_PATHS[0], &huge, None).is_empty());
        for text in [&b""[..], b"SQLite format 3\0", &[0xff; 200]] {
            assert!(parse(SQLITE_PATHS[0], text, None).is_empty());
        }
    }

    #[test]
    fn sqlite_values() {
        use sqlite::{Value, column, varint};
        let mut at = 0;
        assert_eq!(varint(&[0x81, 0x00], &mut at), Some(128));
        assert_eq!(at, 2);
        let mut at = 0;
        assert_eq!(varint(&[0xff; 9], &mut at), Some(u64::MAX));
        assert_eq!(varint(&[0x80], &mut 0), None);
        // Header of 4 bytes: int8, int16, text of 1, blob of 0; then the values.
        let record = [5, 1, 2, 15, 12, 0xfe, 0x01, 0x00, b'x'];
        assert_eq!(column(&record, 0), Some(Value::Int(-2)));
        assert_eq!(column(&record, 1), Some(Value::Int(256)));
        assert_eq!(column(&record, 2), Some(Value::Text(b"x")));
        assert_eq!(column(&record, 3), Some(Value::Blob(b"")));
        assert_eq!(column(&record, 4), Some(Value::Null));
        assert_eq!(column(&[9, 1], 0), None);
        assert_eq!(column(&[2, 10], 0), None);
    }

    /// Builds a tiny noarch package with `rpmbuild`, installs it with `rpm --justdb` into a
    /// private root whose database is SQLite, and reads that database. Needs the Debian package
    /// `rpm` (it brings `rpmbuild`); skipped, saying so, when the tools are missing.
    #[test]
    fn real_rpm_database() {
        use std::process::Command;

        let present = |tool: &str| {
            Command::new(tool)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !present("rpm") || !present("rpmbuild") {
            eprintln!(
                "real_rpm_database skipped: rpm and rpmbuild are not installed (Debian package `rpm`)"
            );
            return;
        }
        let dir = tempfile::tempdir().expect("temporary directory");
        let top = dir.path().join("top");
        let root = dir.path().join("root");
        let spec = dir.path().join("hello.spec");
        std::fs::write(
            &spec,
            "Name: bulwark-hello\nVersion: 1.2.3\nRelease: 4.fc40\nEpoch: 2\n\
             Summary: test\nLicense: MIT AND Apache-2.0\nBuildArch: noarch\n\n\
             %description\nTest.\n\n%install\n\
             mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/share/bulwark-hello\n\
             echo '#!/bin/sh' > %{buildroot}/usr/bin/bulwark-hello\n\
             echo data > %{buildroot}/usr/share/bulwark-hello/data.txt\n\n\
             %files\n/usr/bin/bulwark-hello\n/usr/share/bulwark-hello\n",
        )
        .expect("write spec");
        let run = |args: &[&str]| {
            let out = Command::new(args[0])
                .args(&args[1..])
                .output()
                .expect("run rpm tool");
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let (top, root, spec) = (
            top.to_str().expect("utf-8"),
            root.to_str().expect("utf-8"),
            spec.to_str().expect("utf-8"),
        );
        let sqlite = "_db_backend sqlite";
        run(&[
            "rpmbuild",
            "-bb",
            "--define",
            &format!("_topdir {top}"),
            spec,
        ]);
        let package = format!("{top}/RPMS/noarch/bulwark-hello-1.2.3-4.fc40.noarch.rpm");
        let db = [
            "--root",
            root,
            "--dbpath",
            "/var/lib/rpm",
            "--define",
            sqlite,
        ];
        run(&[&["rpm"], &db[..], &["--initdb"]].concat());
        run(&[&["rpm"], &db[..], &["-i", "--nodeps", "--justdb", &package]].concat());
        let data = std::fs::read(format!("{root}/var/lib/rpm/rpmdb.sqlite")).expect("rpmdb");
        let packages = parse(SQLITE_PATHS[0], &data, Some(("fedora", "40")));
        assert_eq!(packages.len(), 1);
        let (package, files) = &packages[0];
        assert_eq!(package.name, "bulwark-hello");
        assert_eq!(package.version, "2:1.2.3-4.fc40");
        assert_eq!(package.source_name, None);
        assert_eq!(package.source_version, None);
        assert_eq!(package.licenses, ["MIT AND Apache-2.0"]);
        assert_eq!(
            package.purl,
            "pkg:rpm/fedora/bulwark-hello@1.2.3-4.fc40?arch=noarch&distro=fedora-40&epoch=2"
        );
        assert_eq!(
            files,
            &[
                "/usr/bin/bulwark-hello",
                "/usr/share/bulwark-hello",
                "/usr/share/bulwark-hello/data.txt",
            ]
        );
    }
}
