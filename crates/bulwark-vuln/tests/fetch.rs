//! `bulwark_vuln::fetch` against a real HTTP/1.1 server on loopback: conditional requests,
//! resuming, restarting, verification and limits, plus a `file://` mirror.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead as _, BufReader, Cursor, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use base64::Engine as _;
use bulwark_vuln::fetch::{FetchError, FetchOptions, Fetched, Previous, ecosystem_url, fetch};
use sha2::Digest as _;

const OBJECT: &str = "/Debian/all.zip";
const SIDECAR: &str = "/Debian/all.zip.sha256";

/// The file the server serves, with its validators.
struct Object {
    body: Vec<u8>,
    etag: String,
    last_modified: String,
}

/// What the server sends as `x-goog-hash`.
#[derive(Clone, Copy)]
enum Md5Header {
    Correct,
    Wrong,
    Absent,
}

struct State {
    object: Object,
    md5: Md5Header,
    /// The body of `all.zip.sha256`; 404 when `None`.
    sidecar: Option<String>,
    /// Close the connection after this many body bytes, on the next response with a body.
    cut_after: Option<usize>,
    requests: Vec<Seen>,
}

/// A request the server received: its path and headers (names lower-cased).
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    headers: BTreeMap<String, String>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

struct Server {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl Server {
    fn start(object: Object) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
        let addr = listener.local_addr().expect("the listener's address");
        let state = Arc::new(Mutex::new(State {
            object,
            md5: Md5Header::Correct,
            sidecar: None,
            cut_after: None,
            requests: Vec::new(),
        }));
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                thread::spawn(move || serve(stream, &state));
            }
        });
        Self { addr, state }
    }

    fn url(&self) -> String {
        format!("http://{}{OBJECT}", self.addr)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("server state lock")
    }

    fn requests(&self, path: &str) -> Vec<Seen> {
        self.state()
            .requests
            .iter()
            .filter(|seen| seen.path == path)
            .cloned()
            .collect()
    }

    fn last_request(&self) -> Seen {
        self.requests(OBJECT)
            .pop()
            .expect("a request for the object")
    }
}

/// One connection, one request, then close.
fn serve(stream: TcpStream, state: &Mutex<State>) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let mut headers = BTreeMap::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let seen = Seen { path, headers };
    let reply = {
        let Ok(mut state) = state.lock() else { return };
        let reply = respond(&seen, &mut state);
        state.requests.push(seen);
        reply
    };
    reply.write(stream);
}

struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    cut_after: Option<usize>,
}

impl Reply {
    fn new(status: u16, body: &[u8]) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Some(body.to_vec()),
            cut_after: None,
        }
    }

    fn write(self, mut stream: TcpStream) {
        let reason = match self.status {
            200 => "OK",
            206 => "Partial Content",
            304 => "Not Modified",
            404 => "Not Found",
            416 => "Range Not Satisfiable",
            _ => "Other",
        };
        let mut head = format!("HTTP/1.1 {} {reason}\r\n", self.status);
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = &self.body {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("Connection: close\r\n\r\n");
        let body = self.body.unwrap_or_default();
        let sent = self
            .cut_after
            .map_or(&body[..], |cut| &body[..cut.min(body.len())]);
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(sent);
        let _ = stream.flush();
        let _ = stream.shutdown(Shutdown::Both);
    }
}

fn respond(request: &Seen, state: &mut State) -> Reply {
    if request.path == SIDECAR {
        return match &state.sidecar {
            Some(text) => Reply::new(200, text.as_bytes()),
            None => Reply::new(404, b"no such object"),
        };
    }
    if request.path != OBJECT {
        return Reply::new(404, b"no such object");
    }
    let object = &state.object;
    let mut headers = vec![
        ("ETag", object.etag.clone()),
        ("Last-Modified", object.last_modified.clone()),
        ("Accept-Ranges", "bytes".to_owned()),
    ];
    match state.md5 {
        Md5Header::Correct => headers.push((
            "x-goog-hash",
            format!("crc32c=AAAAAA==,md5={}", md5_base64(&object.body)),
        )),
        Md5Header::Wrong => headers.push((
            "x-goog-hash",
            format!("crc32c=AAAAAA==,md5={}", md5_base64(b"other")),
        )),
        Md5Header::Absent => {}
    }
    let not_modified = match (
        request.header("if-none-match"),
        request.header("if-modified-since"),
    ) {
        (Some(etag), _) => etag == object.etag,
        (None, Some(since)) => since == object.last_modified,
        (None, None) => false,
    };
    if not_modified {
        return Reply {
            status: 304,
            headers,
            body: None,
            cut_after: None,
        };
    }
    let len = object.body.len();
    let range_start = request
        .header("range")
        .and_then(|range| range.strip_prefix("bytes="))
        .and_then(|range| range.strip_suffix('-'))
        .and_then(|start| start.parse::<usize>().ok());
    let validator_matches = request
        .header("if-range")
        .is_none_or(|validator| validator == object.etag || validator == object.last_modified);
    let (status, body) = match range_start {
        Some(start) if validator_matches && start >= len => {
            headers.push(("Content-Range", format!("bytes */{len}")));
            (416, Vec::new())
        }
        Some(start) if validator_matches => {
            headers.push(("Content-Range", format!("bytes {start}-{}/{len}", len - 1)));
            (206, object.body[start..].to_vec())
        }
        _ => (200, object.body.clone()),
    };
    Reply {
        status,
        headers,
        body: Some(body),
        cut_after: state.cut_after.take(),
    }
}

fn md5_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(bytes))
}

fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A zip of a few advisory-like entries padded with incompressible noise (about 300 KB), so the
/// body spans many reads.
fn zip_bytes(seed: u64) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut x = seed | 1;
    for i in 0..3 {
        writer
            .start_file(format!("DSA-{seed}-{i}.json"), options)
            .expect("starting a zip entry");
        writer
            .write_all(format!("{{\"id\":\"DSA-{seed}-{i}\",\"pad\":\"").as_bytes())
            .expect("writing a zip entry");
        let noise: Vec<u8> = (0..100_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b'a' + u8::try_from(x % 26).expect("below 26")
            })
            .collect();
        writer.write_all(&noise).expect("writing a zip entry");
        writer.write_all(b"\"}").expect("writing a zip entry");
    }
    writer.finish().expect("finishing the zip").into_inner()
}

fn object(seed: u64) -> Object {
    Object {
        body: zip_bytes(seed),
        etag: format!("\"etag-{seed}\""),
        last_modified: format!("Mon, 0{} Jan 2024 00:00:00 GMT", seed % 10),
    }
}

fn options() -> FetchOptions {
    FetchOptions {
        timeout: Duration::from_secs(10),
        ..FetchOptions::default()
    }
}

fn download(url: &str, dest: &Path, previous: Option<&Previous>) -> Result<Fetched, FetchError> {
    fetch(url, dest, previous, &options(), &mut |_, _| {})
}

fn part_of(dest: &Path) -> std::path::PathBuf {
    dest.with_file_name("Debian.zip.part")
}

fn meta_of(dest: &Path) -> std::path::PathBuf {
    dest.with_file_name("Debian.zip.part.meta")
}

#[test]
fn full_download_is_verified_and_renamed_into_place() {
    let original = object(1);
    let bytes = original.body.clone();
    let server = Server::start(original);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let dest = dir.path().join("downloads").join("Debian.zip");

    let mut calls = Vec::new();
    let fetched = fetch(
        &server.url(),
        &dest,
        None,
        &options(),
        &mut |so_far, total| calls.push((so_far, total)),
    )
    .expect("a full download");

    let size = bytes.len() as u64;
    assert_eq!(
        fetched,
        Fetched::File {
            path: dest.clone(),
            etag: Some("\"etag-1\"".to_owned()),
            last_modified: Some("Mon, 01 Jan 2024 00:00:00 GMT".to_owned()),
            sha256: sha256_hex(&bytes),
            size,
            resumed_from: 0,
        }
    );
    assert_eq!(fs::read(&dest).expect("the downloaded file"), bytes);
    assert!(
        !part_of(&dest).exists() && !meta_of(&dest).exists(),
        "no partial files remain"
    );
    assert_eq!(calls.first(), Some(&(0, Some(size))));
    assert_eq!(calls.last(), Some(&(size, Some(size))));
    let request = server.last_request();
    assert_eq!(request.header("range"), None);
    assert_eq!(request.header("if-none-match"), None);
    assert!(
        request
            .header("user-agent")
            .is_some_and(|agent| agent.starts_with("bulwark/"))
    );
    assert!(
        server.requests(SIDECAR).is_empty(),
        "the md5 made the sidecar unnecessary"
    );
}

#[test]
fn unchanged_file_is_not_modified_and_left_untouched() {
    let server = Server::start(object(2));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let dest = dir.path().join("Debian.zip");
    let Fetched::File {
        etag,
        last_modified,
        ..
    } = download(&server.url(), &dest, None).expect("a full download")
    else {
        panic!("expected a file");
    };
    let previous = Previous {
        etag,
        last_modified,
    };
    let before = fs::metadata(&dest)
        .expect("the file")
        .modified()
        .expect("an mtime");

    let fetched = download(&server.url(), &dest, Some(&previous)).expect("a conditional request");

    assert_eq!(fetched, Fetched::NotModified);
    assert_eq!(
        fs::metadata(&dest)
            .expect("the file")
            .modified()
            .expect("an mtime"),
        before
    );
    assert_eq!(
        fs::read(&dest).expect("the file"),
        server.state().object.body
    );
    let request = server.last_request();
    assert_eq!(request.header("if-none-match"), Some("\"etag-2\""));
    assert_eq!(
        request.header("if-modified-since"),
        Some("Mon, 02 Jan 2024 00:00:00 GMT")
    );

    // With the file gone there is nothing to reuse: a full download, unconditionally.
    fs::remove_file(&dest).expect("removing the file");
    let fetched = download(&server.url(), &dest, Some(&previous)).expect("a full download");
    assert!(matches!(
        fetched,
        Fetched::File {
            resumed_from: 0,
            ..
        }
    ));
    assert_eq!(server.last_request().header("if-none-match"), None);
}

#[test]
fn modified_since_alone_gives_not_modified() {
    let server = Server::start(object(3));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let dest = dir.path().join("Debian.zip");
    download(&server.url(), &dest, None).expect("a full download");
    let previous = Previous {
        etag: None,
        last_modified: Some("Mon, 03 Jan 2024 00:00:00 GMT".to_owned()),
    };
    assert_eq!(
        download(&server.url(), &dest, Some(&previous)).expect("a conditional request"),
        Fetched::NotModified
    );
}

#[test]
fn interrupted_download_resumes_with_a_range_request() {
    let original = object(4);
    let bytes = original.body.clone();
    let server = Server::start(original);
    server.state().cut_after = Some(100_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let dest = dir.path().join("Debian.zip");

    let error = download(&server.url(), &dest, None).expect_err("the connection closes half-way");

    let size = bytes.len() as u64;
    assert!(
        matches!(&error, FetchError::Interrupted { received: 100_000, expected: Some(expected), .. } if *expected == size),
        "{error:?}"
    );
    assert!(error.to_string().contains("run again to resume"), "{error}");
    assert!(!dest.exists(), "the destination is never half-written");
    assert_eq!(
        fs::metadata(part_of(&dest))
            .expect("the partial file")
            .len(),
        100_000
    );
    assert!(meta_of(&dest).exists());

    let mut calls = Vec::new();
    let fetched = fetch(
        &server.url(),
        &dest,
        None,
        &options(),
        &mut |so_far, total| calls.push((so_far, total)),
    )
    .expect("the resumed download");

    assert!(
        matches!(&fetched, Fetched::File { resumed_from: 100_000, size: s, sha256, .. } if *s == size && *sha256 == sha256_hex(&bytes)),
        "{fetched:?}"
    );
    assert_eq!(fs::read(&dest).expect("the downloaded file"), bytes);
    let request = server.last_request();
    assert_eq!(request.header("range"), Some("bytes=100000-"));
    assert_eq!(request.header("if-range"), Some("\"etag-4\""));
    assert_eq!(calls.first(), Some(&(100_000, Some(size))));
    assert!(!part_of(&dest).exists() && !meta_of(&dest).exists());
}

#[test]
fn changed_file_answers_a_range_request_with_200_and_the_download_restarts() {
    let server = Server::start(object(5));
    server.state().cut_after = Some(50_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let dest = dir.path().join("Debian.zip");
    download(&server.url(), &dest, None).expect_err("the connection closes half-way");

    let changed = object(6);
    let bytes = changed.body.clone();
    server.state().object = changed;
    let fetched = download(&server.url(), &dest, None).expect("a fresh download");

    assert!(
        matches!(&fetched, Fetched::File { resumed_from: 0, etag: Some(etag), .. } if etag == "\"etag-6\""),
        "{fetched:?}"
    );
    assert_eq!(fs::read(&dest).expect("the downloaded file"), bytes);
    let request = server.last_request();
    assert_eq!(request.header("range"), Some("bytes=50000-"));
    assert_eq!(request.header("if-range"), Some("\"etag-5\""));
}

#[test]
fn complete_part_is_downloaded_again() {
    let original = object(7);
    let bytes = original.body.clone();
    let server = Server::start(original);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let dest = dir.path().join("Debian.zip");
    // A part that already holds the whole file but lacks its announced size: the server
    // answers 416 and the download starts over.
    fs::write(part_of(&dest), &bytes).expect("writing a part");
    let meta = format!(
        r#"{{"url":"{}","etag":"\"etag-7\"","last_modified":null,"md5":null,"total":null}}"#,
        server.url()
    );
    fs::write(meta_of(&dest), meta).expect("writing a meta file");

    let fetched = download(&server.url(), &dest, None).expect("a fresh download");

    assert!(
        matches!(
            fetched,
            Fetched::File {
                resumed_from: 0,
                ..
            }
        ),
        "{fetched:?}"
    );
    assert_eq!(fs::read(&dest).expect("the downloaded file"), bytes);
    let requests = server.requests(OBJECT);
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].header("range"),
        Some(&*format!("bytes={}-", bytes.len()))
    );
    assert_eq!(requests[1].header("range"), None);
}

#[test]
fn md5_mismatch_is_an_error_and_leaves_no_file() {
    let server = Server::start(object(8));
    server.state().md5 = Md5Header::Wrong;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let dest = dir.path().join("Debian.zip");

    let error = download(&server.url(), &dest, None).expect_err("a wrong md5");

    let FetchError::Mismatch {
        url,
        expected,
        actual,
    } = &error
    else {
        panic!("expected a mismatch, got {error:?}");
    };
    assert_eq!(url, &server.url());
    assert_eq!(expected, &format!("md5={}", md5_base64(b"other")));
    assert_eq!(
        actual,
        &format!("md5={}", md5_base64(&server.state().object.body))
    );
    assert!(error.to_string().contains(&server.url()));
    assert!(!dest.exists() && !part_of(&dest).exists() && !meta_of(&dest).exists());
}

#[test]
fn sha256_sidecar_is_used_without_an_md5() {
    let server = Server::start(object(9));
    let sha256 = sha256_hex(&server.state().object.body);
    {
        let mut state = server.state();
        state.md5 = Md5Header::Absent;
        state.sidecar = Some(format!("{}  all.zip\n", sha256.to_uppercase()));
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let dest = dir.path().join("Debian.zip");

    let fetched = download(&server.url(), &dest, None).expect("a verified download");

    assert!(
        matches!(&fetched, Fetched::File { sha256: got, .. } if *got == sha256),
        "{fetched:?}"
    );
    assert_eq!(server.requests(SIDECAR).len(), 1);
}

#[test]
fn sha256_sidecar_mismatch_is_an_error() {
    let server = Server::start(object(10));
    {
        let mut state = server.state();
        state.md5 = Md5Header::Absent;
        state.sidecar = Some(format!("{}\n", sha256_hex(b"other")));
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let dest = dir.path().join("Debian.zip");

    let error = download(&server.url(), &dest, None).expect_err("a wrong sha256");

    assert!(
        matches!(&error, FetchError::Mismatch { expected, actual, .. }
            if *expected == format!("sha256={}", sha256_hex(b"other"))
            && *actual == format!("sha256={}", sha256_hex(&server.state().object.body))),
        "{error:?}"
    );
    assert!(!dest.exists() && !part_of(&dest).exists());
}

#[test]
fn without_md5_a_missing_sidecar_is_accepted() {
    let server = Server::start(object(11));
    server.state().md5 = Md5Header::Absent;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let dest = dir.path().join("Debian.zip");

    download(&server.url(), &dest, None).expect("a download");

    assert_eq!(
        server.requests(SIDECAR).len(),
        1,
        "the sidecar was looked for"
    );
    assert_eq!(
        fs::read(&dest).expect("the file"),
        server.state().object.body
    );
}

#[test]
fn missing_object_is_an_http_error() {
    let server = Server::start(object(12));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("http://{}/PyPI/all.zip", server.addr);

    let error = download(&url, &dir.path().join("PyPI.zip"), None).expect_err("a 404");

    assert!(
        matches!(&error, FetchError::Http { url: u, status: 404 } if *u == url),
        "{error:?}"
    );
}

#[test]
fn body_over_the_limit_is_refused() {
    let server = Server::start(object(13));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let dest = dir.path().join("Debian.zip");
    let options = FetchOptions {
        max_size: 1000,
        ..options()
    };

    let error = fetch(&server.url(), &dest, None, &options, &mut |_, _| {}).expect_err("too large");

    let size = server.state().object.body.len() as u64;
    assert!(
        matches!(&error, FetchError::TooLarge { size: s, .. } if *s == size),
        "{error:?}"
    );
    assert!(!dest.exists() && !part_of(&dest).exists());
}

#[test]
fn connection_refused_is_a_transport_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("binding a loopback port")
        .local_addr()
        .expect("its address")
        .port();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("http://127.0.0.1:{port}/Debian/all.zip");

    let error = download(&url, &dir.path().join("Debian.zip"), None).expect_err("nothing listens");

    assert!(
        matches!(&error, FetchError::Transport { url: u, .. } if *u == url),
        "{error:?}"
    );
}

#[test]
fn file_mirror_is_copied_and_its_sidecar_verified() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mirror = dir.path().join("mirror");
    let source_dir = mirror.join("Rocky Linux");
    fs::create_dir_all(&source_dir).expect("creating the mirror");
    let bytes = zip_bytes(14);
    fs::write(source_dir.join("all.zip"), &bytes).expect("writing the mirror's zip");
    let dest = dir.path().join("cache").join("Rocky Linux.zip");

    let url = ecosystem_url(&format!("file://{}", mirror.display()), "Rocky Linux");
    assert!(url.ends_with("/Rocky%20Linux/all.zip"), "{url}");
    let fetched = download(&url, &dest, None).expect("a copy");
    assert_eq!(
        fetched,
        Fetched::File {
            path: dest.clone(),
            etag: None,
            last_modified: None,
            sha256: sha256_hex(&bytes),
            size: bytes.len() as u64,
            resumed_from: 0,
        }
    );
    assert_eq!(fs::read(&dest).expect("the copy"), bytes);

    // A plain path works too, and a matching sidecar is accepted.
    fs::write(
        source_dir.join("all.zip.sha256"),
        format!("{}  all.zip\n", sha256_hex(&bytes)),
    )
    .expect("writing a sidecar");
    let plain = ecosystem_url(&mirror.display().to_string(), "Rocky Linux");
    download(&plain, &dest, None).expect("a verified copy");

    // A sidecar that does not match fails and leaves the earlier copy alone.
    fs::write(source_dir.join("all.zip.sha256"), sha256_hex(b"other")).expect("writing a sidecar");
    let error = download(&url, &dest, None).expect_err("a wrong sidecar");
    assert!(matches!(error, FetchError::Mismatch { .. }), "{error:?}");
    assert_eq!(fs::read(&dest).expect("the earlier copy"), bytes);
    assert!(!dest.with_file_name("Rocky Linux.zip.part").exists());

    // A mirror without the ecosystem.
    let error = download(
        &ecosystem_url(&format!("file://{}", mirror.display()), "PyPI"),
        &dest,
        None,
    )
    .expect_err("no such file");
    assert!(
        matches!(&error, FetchError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound),
        "{error:?}"
    );
}
