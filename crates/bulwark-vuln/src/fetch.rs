//! Downloads of advisory archives: osv.dev's per-ecosystem zips
//! (`<base>/<Ecosystem>/all.zip`), from osv.dev's bucket, an HTTP mirror with the same layout,
//! or a directory on a shared disk (`file://` URL or plain path) for air-gapped networks.
//!
//! Decisions:
//! - **Conditional.** A previous download's `ETag` and `Last-Modified` are sent as
//!   `If-None-Match` and `If-Modified-Since`, but only while the destination file still exists:
//!   a 304 about a file we no longer have would leave us with nothing. A 304 leaves the
//!   destination untouched.
//! - **Resumable.** The body goes to `<dest>.part`; `<dest>.part.meta` (JSON) records the URL
//!   and the validators of that partial body. The next run asks for the rest with
//!   `Range: bytes=N-` and `If-Range`, so a server whose file changed meanwhile answers 200 and
//!   the download starts over. `If-Range` needs a strong validator: a weak `ETag` falls back to
//!   `Last-Modified`, and with neither the part is not resumed. The meta file is removed before
//!   the part is truncated and written after, so a crash never pairs a part with validators
//!   that do not describe it.
//! - **Verified.** The byte count must equal `Content-Length` (or the `Content-Range` total).
//!   Then, in this order: the whole file's MD5 against Google Cloud Storage's
//!   `x-goog-hash: md5=…` (osv.dev's bucket sends it; it is remembered in the meta file, so a
//!   resumed download is checked against the hash of the complete object), or else the SHA-256
//!   in a `<url>.sha256` sidecar (404, 410 and 403 — what GCS answers for a missing object in a
//!   bucket that cannot be listed — mean there is none). A mismatch deletes the part. Only a
//!   verified part is renamed over the destination, so the destination is never half-written.
//! - **Bounded.** A body over [`FetchOptions::max_size`] is refused, announced or not.
//! - **Proxies.** `https_proxy`/`HTTPS_PROXY` (for `https` URLs), `http_proxy`/`HTTP_PROXY`
//!   (for `http` URLs) and `all_proxy`/`ALL_PROXY` are honoured, except for loopback hosts and
//!   hosts matched by `no_proxy`/`NO_PROXY` (names and domain suffixes; `*` for all; no CIDR).
//!   ureq's own detection is off: it ignores `NO_PROXY`.
//! - **Local mirrors** are copied, with no conditional logic; a `<file>.sha256` sidecar is
//!   verified when present.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use md5::Md5;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// Where osv.dev publishes its per-ecosystem zips.
pub const OSV_BASE: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// The default of [`FetchOptions::max_size`]: 8 GiB.
pub const DEFAULT_MAX_SIZE: u64 = 8 << 30;

/// How much of a `.sha256` sidecar is read: a digest and a file name fit many times over.
const SIDECAR_LIMIT: u64 = 4096;

/// Bytes read from the network or disk at a time.
const CHUNK: usize = 64 * 1024;

/// What a previous download left, for a conditional request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Previous {
    /// The `ETag` the server sent with the file.
    pub etag: Option<String>,
    /// The `Last-Modified` the server sent with the file.
    pub last_modified: Option<String>,
}

/// The result of a [`fetch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The server said 304 Not Modified.
    NotModified,
    /// A complete, verified file.
    File {
        /// Where it is: the `dest` given to [`fetch`].
        path: PathBuf,
        /// The server's `ETag`, for the next conditional request.
        etag: Option<String>,
        /// The server's `Last-Modified`, for the next conditional request.
        last_modified: Option<String>,
        /// The SHA-256 of the file, lower-case hex.
        sha256: String,
        /// The file's size in bytes.
        size: u64,
        /// How many bytes an earlier, interrupted run had already downloaded (0 when the
        /// download started from the beginning).
        resumed_from: u64,
    },
}

/// How [`fetch`] talks to servers.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// The longest wait for a connection or for any one read or write; not a bound on the
    /// whole transfer.
    pub timeout: Duration,
    /// The largest body accepted, in bytes.
    pub max_size: u64,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(60),
            max_size: DEFAULT_MAX_SIZE,
            user_agent: concat!("bulwark/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The server answered with a status that is neither a success nor 304 (404 for an
    /// ecosystem the mirror does not have).
    #[error("GET {url} answered HTTP status {status}")]
    Http {
        /// The URL requested.
        url: String,
        /// The status code.
        status: u16,
    },
    /// A file-system operation failed: reading a mirror's file, or writing the partial or final
    /// file. `NotFound` on a local mirror means the mirror lacks that file.
    #[error("file operation on {path} failed")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// No response: the name did not resolve, the connection was refused, TLS failed, or the
    /// proxy setting is not a URL.
    #[error("GET {url} failed: {message}")]
    Transport {
        /// The URL requested.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The file's digest (or size) is not the one the server published; the partial download
    /// was deleted. Digests are written `md5=<base64>` or `sha256=<hex>`.
    #[error("{url} failed verification: expected {expected}, got {actual}")]
    Mismatch {
        /// The URL downloaded.
        url: String,
        /// What the server published.
        expected: String,
        /// What was received.
        actual: String,
    },
    /// The body is larger than [`FetchOptions::max_size`]; the partial download was deleted.
    #[error("{url} is at least {size} bytes, over the download size limit")]
    TooLarge {
        /// The URL requested.
        url: String,
        /// The announced size, or the bytes received when the limit was crossed.
        size: u64,
    },
    /// The transfer stopped early (connection closed, read error or timeout). The partial file
    /// is kept; running the download again resumes it.
    #[error(
        "download of {url} stopped after {received} bytes{}; run again to resume it",
        of_total(*.expected)
    )]
    Interrupted {
        /// The URL requested.
        url: String,
        /// Bytes of the file on disk so far, including any resumed prefix.
        received: u64,
        /// The file's full size, when the server announced it.
        expected: Option<u64>,
    },
}

fn of_total(expected: Option<u64>) -> String {
    expected.map_or_else(String::new, |total| format!(" of {total}"))
}

/// The URL of an ecosystem's zip under `base` ([`OSV_BASE`] or a mirror): `<base>/<Ecosystem>/all.zip`.
///
/// For a URL base (anything with `://`, `file://` included) the ecosystem name is
/// percent-encoded (`Rocky Linux` becomes `Rocky%20Linux`); a plain path base is joined as is,
/// since a path is not a URL.
pub fn ecosystem_url(base: &str, ecosystem: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.contains("://") {
        format!("{base}/{}/all.zip", percent_encode(ecosystem))
    } else {
        format!("{base}/{ecosystem}/all.zip")
    }
}

/// Downloads `url` to `dest` (conditionally, resumably and verified; see the module
/// documentation), calling `progress` with the bytes so far and the total when known.
///
/// `url` may also be a `file://` URL or a plain path, which is copied.
pub fn fetch(
    url: &str,
    dest: &Path,
    previous: Option<&Previous>,
    options: &FetchOptions,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<Fetched, FetchError> {
    if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(io_error(parent))?;
    }
    let part = Part::beside(dest);
    if let Some(source) = local_path(url) {
        return copy_local(url, &source, dest, &part, options, progress);
    }
    let agent = agent(url, options)?;
    let conditional = previous.filter(|_| dest.is_file());
    let mut resume = part.resumable(url);
    loop {
        let attempt = Attempt {
            agent: &agent,
            url,
            dest,
            part: &part,
            options,
        };
        match attempt.run(conditional, resume.as_ref(), progress)? {
            Step::Done(fetched) => return Ok(fetched),
            // The server would not continue this part: start over, once.
            Step::Restart => {
                part.discard()?;
                resume = None;
            }
        }
    }
}

/// The partial file and its meta file beside a destination.
struct Part {
    body: PathBuf,
    meta: PathBuf,
}

/// What `<dest>.part.meta` records about `<dest>.part`.
#[derive(Debug, Serialize, Deserialize)]
struct PartMeta {
    /// The URL the part came from; a part from another URL is not resumed.
    url: String,
    etag: Option<String>,
    last_modified: Option<String>,
    /// The complete object's MD5 (base64) from the response that started the part.
    md5: Option<String>,
    /// The complete object's size, when announced.
    total: Option<u64>,
}

impl PartMeta {
    /// The validator for `If-Range`: a strong `ETag`, else `Last-Modified`.
    fn validator(&self) -> Option<&str> {
        self.etag
            .as_deref()
            .filter(|etag| !etag.starts_with("W/"))
            .or(self.last_modified.as_deref())
    }
}

/// A part that can be continued from `offset`.
struct Resume {
    offset: u64,
    meta: PartMeta,
}

impl Part {
    fn beside(dest: &Path) -> Self {
        Self {
            body: with_suffix(dest, ".part"),
            meta: with_suffix(dest, ".part.meta"),
        }
    }

    /// The part left by an interrupted download of `url`, if it can be continued.
    fn resumable(&self, url: &str) -> Option<Resume> {
        let offset = fs::metadata(&self.body)
            .ok()
            .filter(fs::Metadata::is_file)?
            .len();
        let meta: PartMeta = serde_json::from_slice(&fs::read(&self.meta).ok()?).ok()?;
        let usable = meta.url == url
            && offset > 0
            && meta.validator().is_some()
            && meta.total.is_none_or(|total| offset < total);
        usable.then_some(Resume { offset, meta })
    }

    /// Starts the part over for a new body described by `meta`.
    fn start(&self, meta: &PartMeta) -> Result<File, FetchError> {
        remove_if_present(&self.meta)?;
        let file = File::create(&self.body).map_err(io_error(&self.body))?;
        let json = serde_json::to_vec(meta).map_err(|source| FetchError::Io {
            path: self.meta.clone(),
            source: source.into(),
        })?;
        fs::write(&self.meta, json).map_err(io_error(&self.meta))?;
        Ok(file)
    }

    fn discard(&self) -> Result<(), FetchError> {
        remove_if_present(&self.body)?;
        remove_if_present(&self.meta)
    }

    /// Renames the verified part over `dest` and drops its meta file.
    fn commit(&self, file: File, dest: &Path) -> Result<(), FetchError> {
        file.sync_all().map_err(io_error(&self.body))?;
        drop(file);
        fs::rename(&self.body, dest).map_err(io_error(dest))?;
        remove_if_present(&self.meta)
    }
}

/// What one request achieved.
enum Step {
    Done(Fetched),
    /// The part cannot be continued (416, or a `Content-Range` that does not start where the
    /// part ends).
    Restart,
}

/// One request for `url`.
struct Attempt<'a> {
    agent: &'a ureq::Agent,
    url: &'a str,
    dest: &'a Path,
    part: &'a Part,
    options: &'a FetchOptions,
}

impl Attempt<'_> {
    fn run(
        &self,
        conditional: Option<&Previous>,
        resume: Option<&Resume>,
        progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<Step, FetchError> {
        let url = self.url;
        let mut request = self.agent.get(url);
        if let Some(previous) = conditional {
            if let Some(etag) = &previous.etag {
                request = request.set("If-None-Match", etag);
            }
            if let Some(last_modified) = &previous.last_modified {
                request = request.set("If-Modified-Since", last_modified);
            }
        }
        if let Some(resume) = resume {
            request = request.set("Range", &format!("bytes={}-", resume.offset));
            if let Some(validator) = resume.meta.validator() {
                request = request.set("If-Range", validator);
            }
        }
        let response = match request.call() {
            Ok(response) => response,
            Err(ureq::Error::Status(416, _)) if resume.is_some() => return Ok(Step::Restart),
            Err(ureq::Error::Status(status, _)) => {
                return Err(FetchError::Http {
                    url: url.to_owned(),
                    status,
                });
            }
            Err(ureq::Error::Transport(transport)) => return Err(transport_error(url, &transport)),
        };

        let etag = response.header("ETag").map(str::to_owned);
        let last_modified = response.header("Last-Modified").map(str::to_owned);
        let md5 = announced_md5(&response);
        let (file, offset, meta) = match (response.status(), resume) {
            (304, _) if conditional.is_some() => {
                // The destination is current; a part beside it is of no use.
                self.part.discard()?;
                return Ok(Step::Done(Fetched::NotModified));
            }
            (200, _) => {
                let meta = PartMeta {
                    url: url.to_owned(),
                    etag,
                    last_modified,
                    md5,
                    total: content_length(&response),
                };
                self.refuse_too_large(meta.total)?;
                (self.part.start(&meta)?, 0, meta)
            }
            (206, Some(resume)) => {
                let range = response
                    .header("Content-Range")
                    .and_then(parse_content_range);
                let Some(range) = range.filter(|range| range.start == resume.offset) else {
                    return Ok(Step::Restart);
                };
                let meta = PartMeta {
                    url: url.to_owned(),
                    etag: etag.or_else(|| resume.meta.etag.clone()),
                    last_modified: last_modified.or_else(|| resume.meta.last_modified.clone()),
                    md5: resume.meta.md5.clone().or(md5),
                    total: range.total.or(Some(range.end + 1)),
                };
                self.refuse_too_large(meta.total)?;
                let file = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&self.part.body)
                    .map_err(io_error(&self.part.body))?;
                (file, resume.offset, meta)
            }
            (status, _) => {
                return Err(FetchError::Http {
                    url: url.to_owned(),
                    status,
                });
            }
        };

        let mut digests = Digests::default();
        let mut file = file;
        if offset > 0 {
            // The resumed prefix is part of the whole file's digests.
            digests.read_all(&mut (&mut file).take(offset), &self.part.body)?;
            file.seek(SeekFrom::Start(offset))
                .map_err(io_error(&self.part.body))?;
        }
        let mut body = response.into_reader();
        let received = self.receive(
            &mut body,
            &mut file,
            offset,
            meta.total,
            &mut digests,
            progress,
        )?;
        if let Some(total) = meta.total {
            if received < total {
                return Err(FetchError::Interrupted {
                    url: url.to_owned(),
                    received,
                    expected: Some(total),
                });
            }
            if received > total {
                self.part.discard()?;
                return Err(FetchError::Mismatch {
                    url: url.to_owned(),
                    expected: format!("{total} bytes"),
                    actual: format!("{received} bytes"),
                });
            }
        }

        let (md5, sha256) = digests.finish();
        let base64 = base64::engine::general_purpose::STANDARD;
        let mismatch = if let Some(expected) = &meta.md5 {
            let matches = base64.decode(expected).ok().as_deref() == Some(&md5[..]);
            (!matches).then(|| {
                (
                    format!("md5={expected}"),
                    format!("md5={}", base64.encode(md5)),
                )
            })
        } else {
            self.sidecar()?
                .filter(|expected| *expected != sha256)
                .map(|expected| (format!("sha256={expected}"), format!("sha256={sha256}")))
        };
        if let Some((expected, actual)) = mismatch {
            self.part.discard()?;
            return Err(FetchError::Mismatch {
                url: url.to_owned(),
                expected,
                actual,
            });
        }
        self.part.commit(file, self.dest)?;
        Ok(Step::Done(Fetched::File {
            path: self.dest.to_path_buf(),
            etag: meta.etag,
            last_modified: meta.last_modified,
            sha256,
            size: received,
            resumed_from: offset,
        }))
    }

    fn refuse_too_large(&self, total: Option<u64>) -> Result<(), FetchError> {
        match total {
            Some(size) if size > self.options.max_size => {
                self.part.discard()?;
                Err(FetchError::TooLarge {
                    url: self.url.to_owned(),
                    size,
                })
            }
            _ => Ok(()),
        }
    }

    /// Appends the body to the part; returns the part's length. A read error leaves the part
    /// (flushed) for the next run.
    fn receive(
        &self,
        body: &mut dyn Read,
        file: &mut File,
        offset: u64,
        total: Option<u64>,
        digests: &mut Digests,
        progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<u64, FetchError> {
        let mut buf = vec![0; CHUNK];
        let mut received = offset;
        progress(received, total);
        loop {
            let chunk = match body.read(&mut buf) {
                Ok(0) => return Ok(received),
                Ok(n) => buf.get(..n).unwrap_or_default(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    file.sync_data().map_err(io_error(&self.part.body))?;
                    return Err(FetchError::Interrupted {
                        url: self.url.to_owned(),
                        received,
                        expected: total,
                    });
                }
            };
            let size = received + chunk.len() as u64;
            if size > self.options.max_size {
                self.part.discard()?;
                return Err(FetchError::TooLarge {
                    url: self.url.to_owned(),
                    size,
                });
            }
            file.write_all(chunk).map_err(io_error(&self.part.body))?;
            digests.update(chunk);
            received = size;
            progress(received, total);
        }
    }

    /// The SHA-256 in `<url>.sha256`, if the server has one.
    fn sidecar(&self) -> Result<Option<String>, FetchError> {
        let url = format!("{}.sha256", self.url);
        match self.agent.get(&url).call() {
            Ok(response) => {
                let mut text = String::new();
                response
                    .into_reader()
                    .take(SIDECAR_LIMIT)
                    .read_to_string(&mut text)
                    .map_err(|e| FetchError::Transport {
                        url: url.clone(),
                        message: e.to_string(),
                    })?;
                Ok(Some(sidecar_digest(&text)))
            }
            Err(ureq::Error::Status(403 | 404 | 410, _)) => Ok(None),
            Err(ureq::Error::Status(status, _)) => Err(FetchError::Http { url, status }),
            Err(ureq::Error::Transport(transport)) => Err(transport_error(&url, &transport)),
        }
    }
}

/// MD5 and SHA-256 of the whole file, computed as it is written.
#[derive(Default)]
struct Digests {
    md5: Md5,
    sha256: Sha256,
}

impl Digests {
    fn update(&mut self, bytes: &[u8]) {
        self.md5.update(bytes);
        self.sha256.update(bytes);
    }

    fn read_all(&mut self, reader: &mut dyn Read, path: &Path) -> Result<u64, FetchError> {
        let mut buf = vec![0; CHUNK];
        let mut total = 0;
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return Ok(total),
                Ok(n) => {
                    let chunk = buf.get(..n).unwrap_or_default();
                    self.update(chunk);
                    total += chunk.len() as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(FetchError::Io {
                        path: path.to_path_buf(),
                        source,
                    });
                }
            }
        }
    }

    /// The raw MD5 and the lower-case hex SHA-256.
    fn finish(self) -> ([u8; 16], String) {
        (self.md5.finalize().into(), hex(&self.sha256.finalize()))
    }
}

/// Copies a mirror's file from a shared disk, verifying a `.sha256` sidecar when present.
fn copy_local(
    url: &str,
    source: &Path,
    dest: &Path,
    part: &Part,
    options: &FetchOptions,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<Fetched, FetchError> {
    let mut input = File::open(source).map_err(io_error(source))?;
    let size = input.metadata().map_err(io_error(source))?.len();
    if size > options.max_size {
        return Err(FetchError::TooLarge {
            url: url.to_owned(),
            size,
        });
    }
    remove_if_present(&part.meta)?;
    let mut output = File::create(&part.body).map_err(io_error(&part.body))?;
    let mut digests = Digests::default();
    let mut buf = vec![0; CHUNK];
    let mut copied = 0u64;
    progress(0, Some(size));
    loop {
        let chunk = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => buf.get(..n).unwrap_or_default(),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(source_error) => {
                part.discard()?;
                return Err(FetchError::Io {
                    path: source.to_path_buf(),
                    source: source_error,
                });
            }
        };
        copied += chunk.len() as u64;
        if copied > options.max_size {
            part.discard()?;
            return Err(FetchError::TooLarge {
                url: url.to_owned(),
                size: copied,
            });
        }
        output.write_all(chunk).map_err(io_error(&part.body))?;
        digests.update(chunk);
        progress(copied, Some(size));
    }
    if copied != size {
        // The file changed while it was copied.
        part.discard()?;
        return Err(FetchError::Mismatch {
            url: url.to_owned(),
            expected: format!("{size} bytes"),
            actual: format!("{copied} bytes"),
        });
    }
    let (_, sha256) = digests.finish();
    let sidecar = with_suffix(source, ".sha256");
    match File::open(&sidecar) {
        Ok(file) => {
            let mut text = String::new();
            file.take(SIDECAR_LIMIT)
                .read_to_string(&mut text)
                .map_err(io_error(&sidecar))?;
            let expected = sidecar_digest(&text);
            if expected != sha256 {
                part.discard()?;
                return Err(FetchError::Mismatch {
                    url: url.to_owned(),
                    expected: format!("sha256={expected}"),
                    actual: format!("sha256={sha256}"),
                });
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error(&sidecar)(e)),
    }
    part.commit(output, dest)?;
    Ok(Fetched::File {
        path: dest.to_path_buf(),
        etag: None,
        last_modified: None,
        sha256,
        size: copied,
        resumed_from: 0,
    })
}

/// The digest in a sidecar (`<hex>` or `<hex>  <file name>`), lower-cased; a sidecar without
/// one yields what it has, which then fails to match.
fn sidecar_digest(text: &str) -> String {
    text.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The agent for `url`: timeouts, user agent and the proxy from the environment.
fn agent(url: &str, options: &FetchOptions) -> Result<ureq::Agent, FetchError> {
    let mut builder = ureq::AgentBuilder::new()
        .timeout_connect(options.timeout)
        .timeout_read(options.timeout)
        .timeout_write(options.timeout)
        .user_agent(&options.user_agent)
        .try_proxy_from_env(false);
    if let Some((variable, value)) = proxy_for(url, &|name| std::env::var(name).ok()) {
        let proxy = ureq::Proxy::new(&value).map_err(|_| FetchError::Transport {
            url: url.to_owned(),
            // The value may hold credentials: name the variable only.
            message: format!("the proxy in {variable} is not a valid proxy URL"),
        })?;
        builder = builder.proxy(proxy);
    }
    Ok(builder.build())
}

/// The proxy variable and its value that apply to `url`, if any.
fn proxy_for(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<(&'static str, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let host = host_of(rest);
    let no_proxy = env("no_proxy")
        .or_else(|| env("NO_PROXY"))
        .unwrap_or_default();
    if is_loopback(&host) || matches_no_proxy(&host, &no_proxy) {
        return None;
    }
    let names: [&'static str; 4] = if scheme.eq_ignore_ascii_case("https") {
        ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
    } else {
        ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
    };
    names.into_iter().find_map(|name| {
        env(name)
            .filter(|value| !value.trim().is_empty())
            .map(|value| (name, value))
    })
}

/// The lower-cased host of a URL's part after `scheme://`: no user info, port or brackets.
fn host_of(rest: &str) -> String {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    host.to_ascii_lowercase()
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether `no_proxy` (comma-separated names and domain suffixes, `*` for all) covers `host`.
fn matches_no_proxy(host: &str, no_proxy: &str) -> bool {
    no_proxy.split(',').map(str::trim).any(|entry| {
        let entry = entry.split(':').next().unwrap_or_default();
        let entry = entry.trim_start_matches('.').to_ascii_lowercase();
        entry == "*"
            || (!entry.is_empty()
                && (host == entry
                    || host
                        .strip_suffix(entry.as_str())
                        .is_some_and(|head| head.ends_with('.'))))
    })
}

/// The file a `file://` URL or plain path names; `None` for other URLs.
fn local_path(url: &str) -> Option<PathBuf> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Some(PathBuf::from(url));
    };
    if !scheme.eq_ignore_ascii_case("file") {
        return None;
    }
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    let path = percent_decode(path);
    // `file:///C:/mirror` names `C:/mirror`.
    let bytes = path.as_bytes();
    if bytes.len() >= 3 && bytes[0] == b'/' && bytes[1].is_ascii_alphabetic() && bytes[2] == b':' {
        return Some(PathBuf::from(&path[1..]));
    }
    Some(PathBuf::from(path))
}

/// The `Content-Length` of a response whose body is delimited by it.
fn content_length(response: &ureq::Response) -> Option<u64> {
    if response.header("Transfer-Encoding").is_some() {
        return None;
    }
    response.header("Content-Length")?.trim().parse().ok()
}

/// The MD5 (base64) Google Cloud Storage announces for the whole object, when the body is that
/// object's bytes: not when GCS decompresses a gzip-encoded object on the way.
fn announced_md5(response: &ureq::Response) -> Option<String> {
    let stored = response.header("x-goog-stored-content-encoding");
    let sent = response.header("Content-Encoding");
    let identity =
        |encoding: Option<&str>| encoding.is_none_or(|e| e.eq_ignore_ascii_case("identity"));
    if !identity(stored) && identity(sent) {
        return None;
    }
    md5_from_goog_hash(&response.all("x-goog-hash"))
}

/// The `md5=` value in `x-goog-hash` headers (`crc32c=…,md5=…`, one header or several).
fn md5_from_goog_hash(values: &[&str]) -> Option<String> {
    values
        .iter()
        .flat_map(|value| value.split(','))
        .find_map(|item| item.trim().strip_prefix("md5="))
        .map(str::to_owned)
}

/// A parsed `Content-Range: bytes start-end/total`.
#[derive(Debug, PartialEq, Eq)]
struct ContentRange {
    start: u64,
    end: u64,
    total: Option<u64>,
}

fn parse_content_range(value: &str) -> Option<ContentRange> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let start = start.trim().parse().ok()?;
    let end = end.trim().parse().ok()?;
    let total = match total.trim() {
        "*" => None,
        total => Some(total.parse().ok()?),
    };
    let consistent = start <= end && total.is_none_or(|total| end < total);
    consistent.then_some(ContentRange { start, end, total })
}

fn transport_error(url: &str, transport: &ureq::Transport) -> FetchError {
    // ureq's own Display starts with the URL, which the variant already names.
    let mut message = transport.kind().to_string();
    if let Some(detail) = transport.message() {
        message.push_str(": ");
        message.push_str(detail);
    }
    if let Some(source) = std::error::Error::source(transport) {
        message.push_str(": ");
        message.push_str(&source.to_string());
    }
    FetchError::Transport {
        url: url.to_owned(),
        message,
    }
}

fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Decodes `%XX` escapes; text that does not decode to UTF-8 is returned as it was.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes
            .get(i + 1..i + 3)
            .filter(|_| bytes[i] == b'%')
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        if let Some(byte) = escaped {
            decoded.push(byte);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded).unwrap_or_else(|_| text.to_owned())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `path` with `suffix` appended to its file name (`Debian.zip` → `Debian.zip.part`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_if_present(path: &Path) -> Result<(), FetchError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_error(path)(e)),
        _ => Ok(()),
    }
}

fn io_error(path: &Path) -> impl Fn(io::Error) -> FetchError + '_ {
    move |source| FetchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystem_url_joins_base_and_name() {
        assert_eq!(
            ecosystem_url(OSV_BASE, "Debian"),
            "https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip"
        );
        assert_eq!(
            ecosystem_url("https://mirror.example/osv/", "PyPI"),
            "https://mirror.example/osv/PyPI/all.zip"
        );
        assert_eq!(
            ecosystem_url(OSV_BASE, "crates.io"),
            format!("{OSV_BASE}/crates.io/all.zip")
        );
    }

    #[test]
    fn ecosystem_url_percent_encodes_names_in_urls_only() {
        assert_eq!(
            ecosystem_url(OSV_BASE, "Rocky Linux"),
            format!("{OSV_BASE}/Rocky%20Linux/all.zip")
        );
        assert_eq!(
            ecosystem_url("file:///srv/osv", "Rocky Linux"),
            "file:///srv/osv/Rocky%20Linux/all.zip"
        );
        assert_eq!(
            ecosystem_url("/srv/osv/", "Rocky Linux"),
            "/srv/osv/Rocky Linux/all.zip"
        );
        assert_eq!(
            ecosystem_url(OSV_BASE, "A:b/c"),
            format!("{OSV_BASE}/A%3Ab%2Fc/all.zip")
        );
    }

    #[test]
    fn local_paths_from_file_urls_and_plain_paths() {
        assert_eq!(
            local_path("file:///srv/osv/Rocky%20Linux/all.zip"),
            Some(PathBuf::from("/srv/osv/Rocky Linux/all.zip"))
        );
        assert_eq!(
            local_path("file://localhost/srv/a.zip"),
            Some(PathBuf::from("/srv/a.zip"))
        );
        assert_eq!(
            local_path("file:///C:/osv/a.zip"),
            Some(PathBuf::from("C:/osv/a.zip"))
        );
        assert_eq!(
            local_path("mirror/Debian/all.zip"),
            Some(PathBuf::from("mirror/Debian/all.zip"))
        );
        assert_eq!(local_path("https://example.com/a.zip"), None);
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }

    #[test]
    fn content_range_is_parsed_and_checked() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some(ContentRange {
                start: 100,
                end: 199,
                total: Some(200)
            })
        );
        assert_eq!(
            parse_content_range("bytes 5-9/*"),
            Some(ContentRange {
                start: 5,
                end: 9,
                total: None
            })
        );
        assert_eq!(parse_content_range("bytes 10-5/200"), None);
        assert_eq!(parse_content_range("bytes 0-200/200"), None);
        assert_eq!(parse_content_range("bytes */200"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
    }

    #[test]
    fn md5_is_found_among_goog_hashes() {
        assert_eq!(
            md5_from_goog_hash(&["crc32c=n03x6A==,md5=Ojk9c3dhfxgoKVVHYwFbHQ=="]),
            Some("Ojk9c3dhfxgoKVVHYwFbHQ==".to_owned())
        );
        assert_eq!(
            md5_from_goog_hash(&["crc32c=n03x6A==", "md5=Ojk9c3dhfxgoKVVHYwFbHQ=="]),
            Some("Ojk9c3dhfxgoKVVHYwFbHQ==".to_owned())
        );
        assert_eq!(md5_from_goog_hash(&["crc32c=n03x6A=="]), None);
    }

    #[test]
    fn proxies_come_from_the_environment_except_for_loopback_and_no_proxy() {
        let env = |name: &str| match name {
            "HTTPS_PROXY" => Some("http://proxy:3128".to_owned()),
            "http_proxy" => Some("http://plain-proxy:3128".to_owned()),
            "NO_PROXY" => Some("internal.example, .corp.example:443".to_owned()),
            _ => None,
        };
        assert_eq!(
            proxy_for(OSV_BASE, &env),
            Some(("HTTPS_PROXY", "http://proxy:3128".to_owned()))
        );
        assert_eq!(
            proxy_for("http://mirror.example/x", &env),
            Some(("http_proxy", "http://plain-proxy:3128".to_owned()))
        );
        assert_eq!(proxy_for("https://internal.example/x", &env), None);
        assert_eq!(proxy_for("https://osv.corp.example/x", &env), None);
        assert_eq!(
            proxy_for("https://notcorp.example/x", &env).map(|(name, _)| name),
            Some("HTTPS_PROXY")
        );
        assert_eq!(proxy_for("http://127.0.0.1:8080/x", &env), None);
        assert_eq!(proxy_for("http://[::1]:8080/x", &env), None);
        assert_eq!(proxy_for("http://user:pw@localhost/x", &env), None);
        assert_eq!(proxy_for("http://x/y", &|_: &str| None), None);
        assert!(matches_no_proxy("anything.example", "*"));
    }

    #[test]
    fn sidecar_digest_takes_the_first_token() {
        assert_eq!(sidecar_digest("ABCdef  all.zip\n"), "abcdef");
        assert_eq!(sidecar_digest(""), "");
    }

    #[test]
    fn interrupted_error_says_how_to_resume() {
        let error = FetchError::Interrupted {
            url: "https://x/a.zip".to_owned(),
            received: 10,
            expected: Some(20),
        };
        assert_eq!(
            error.to_string(),
            "download of https://x/a.zip stopped after 10 bytes of 20; run again to resume it"
        );
    }
}
