//! The audit webhook backend: an HTTPS server receiving the `EventList` POSTs of the API
//! server's `--audit-webhook-config-file` backend.
//!
//! # Contract: acknowledged only after durably handed over
//!
//! Every accepted body is decoded ([`decode_document`]) and handed to the caller's [`Handler`]
//! as one [`Batch`]. The server answers `200 OK` only after the handler returned `Ok`; the
//! handler is expected to make the batch durable first (append it to a journal and `fsync`,
//! say). When the handler returns `Err` (or panics) the answer is `503 Service Unavailable`
//! with `Retry-After: 1`, and the API server keeps the batch and retries it
//! (`--audit-webhook-initial-backoff`, then 1.5 times longer, five attempts). The header
//! matters: the API server's webhook client retries a `503` only when it carries
//! `Retry-After`. A batch may therefore arrive more than once (the handler succeeded but the
//! answer was lost); it is never lost once acknowledged. Events carry an `auditID` for
//! de-duplication.
//!
//! # Decisions
//!
//! - **HTTP/1.1 by hand, over rustls.** The API server is the only client and needs little:
//!   `POST` with a `Content-Length` or `Transfer-Encoding: chunked` body, keep-alive and
//!   `Expect: 100-continue`. A small parser keeps hyper/tokio out of the dependency tree. ALPN
//!   offers `http/1.1` only.
//! - **Bounds everywhere.** Request line and headers together at most [`MAX_HEAD_BYTES`] and
//!   [`MAX_HEADERS`] headers (`431` beyond); bodies at most [`WebhookConfig::max_body_bytes`]
//!   (and the document limit of [`Limits`]): a declared `Content-Length` beyond is answered
//!   `413` without reading the body, a chunked body is cut off as soon as it crosses the bound.
//!   Both `Content-Length` and `Transfer-Encoding`, or a transfer coding other than `chunked`,
//!   are refused (`400`/`501`) and the connection closed (request smuggling). After refusing
//!   a request whose body it did not read, the server half-closes and discards input for up
//!   to a second before closing, so that the kernel does not reset the connection and destroy
//!   the answer before the client has read it.
//! - **Memory.** At most `max_connections × max_body_bytes` of bodies are held at once (plus
//!   their decoded events): 4 GiB with the defaults in the worst case, far above what an API
//!   server sends (`--audit-webhook-batch-max-size` 400 events, a few MiB).
//! - **Timeouts.** The TLS handshake and the request head must each complete within
//!   [`WebhookConfig::read_timeout`] (default 30 s) and a body must make progress at least
//!   that often; an idle keep-alive connection is closed after the same time. A slow client
//!   thus holds a thread for a bounded time.
//! - **One thread per connection, at most [`WebhookConfig::max_connections`].** The API server
//!   sends batches over a handful of connections. A connection over the limit is closed at
//!   once, before the TLS handshake (counted as [`Rejections::overloaded`]); the API server
//!   retries it.
//! - **Client certificates.** With [`WebhookConfig::client_ca_pem`] set, the handshake
//!   requires a certificate chaining to that CA (TLS 1.2 and 1.3), and the certificate's
//!   subject (RFC 4514 form, e.g. `CN=kube-apiserver,O=system:masters`) is in
//!   [`Batch::client_subject`]. Without it, any client may post: use that only behind another
//!   authenticating hop.
//! - **The ring provider, explicitly.** The server configuration is built with
//!   `rustls::crypto::ring::default_provider()`; no process-wide default is installed or used.
//! - **What is an error.** A body that is not JSON, or not an object of `kind: EventList`, is
//!   `400` (counted as [`Rejections::not_event_list`]). An `EventList` some of whose items are
//!   not events is accepted: the good events go to the handler, the others are in
//!   [`Batch::malformed`] and counted. Only `POST` is accepted, on any path; `GET /healthz`
//!   answers `200 ok`; any other method is `405`.
//! - **Stopping.** [`WebhookServer::stop`] stops accepting, lets requests in flight finish
//!   (idle keep-alive connections notice within a quarter of a second) and joins every thread.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};
use serde_json::Value;

use crate::{AuditError, Limits, Malformed, decode_document};

/// The most bytes of request line and headers together.
pub const MAX_HEAD_BYTES: usize = 16 << 10;
/// The most header fields (and chunked trailer fields) of one request.
pub const MAX_HEADERS: usize = 100;
/// The longest chunk-size line of a chunked body.
const MAX_CHUNK_LINE: usize = 1024;
/// How often a thread waiting for the next request looks whether the server is stopping.
const POLL: Duration = Duration::from_millis(250);
/// How long a closing connection discards what the client still sends.
const LINGER: Duration = Duration::from_secs(1);

/// Where and how the webhook listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookConfig {
    /// The address to listen on (port 0 picks a free one; see [`WebhookServer::local_addr`]).
    pub listen: SocketAddr,
    /// The server's certificate chain, PEM (leaf first).
    pub cert_pem: PathBuf,
    /// The server's private key, PEM: PKCS#8, SEC1 (EC) or PKCS#1 (RSA).
    pub key_pem: PathBuf,
    /// CA certificates, PEM. When set, every client must present a certificate signed by one
    /// of them, or the handshake fails.
    pub client_ca_pem: Option<PathBuf>,
    /// The largest request body accepted; `413` beyond. Default 64 MiB.
    pub max_body_bytes: u64,
    /// Bounds on decoding (the body is also bounded by `limits.max_document_bytes`).
    pub limits: Limits,
    /// The most connections served at once; more are closed at once. Default 64.
    pub max_connections: usize,
    /// How long the handshake and a request head may take, how long a body may stall and an
    /// idle connection may stay open. Default 30 s.
    pub read_timeout: Duration,
}

impl WebhookConfig {
    /// A configuration with the defaults and no client authentication.
    pub fn new(listen: SocketAddr, cert_pem: PathBuf, key_pem: PathBuf) -> Self {
        WebhookConfig {
            listen,
            cert_pem,
            key_pem,
            client_ca_pem: None,
            max_body_bytes: 64 << 20,
            limits: Limits::default(),
            max_connections: 64,
            read_timeout: Duration::from_secs(30),
        }
    }
}

/// One accepted `EventList`, as handed to the [`Handler`].
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// Its events, in order, Secret payloads redacted.
    pub events: Vec<Value>,
    /// Its items that are not events.
    pub malformed: Vec<Malformed>,
    /// Who sent it (TCP peer).
    pub peer: SocketAddr,
    /// The subject of the client certificate, RFC 4514 form, when one was presented.
    pub client_subject: Option<String>,
}

/// What the server calls with every accepted batch. `Ok` means "durably taken over" and is
/// answered `200`; `Err` is answered `503` so the API server retries. It runs on the
/// connection's thread and may be called from several threads at once.
pub type Handler = Arc<dyn Fn(Batch) -> Result<(), String> + Send + Sync>;

/// Requests refused, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rejections {
    /// Unparseable request line, headers or chunked framing (`400`, `501`).
    pub bad_request: u64,
    /// A body that is not JSON or not an `EventList` (`400`).
    pub not_event_list: u64,
    /// A body or head over its bound (`413`, `431`).
    pub too_large: u64,
    /// A method other than `POST` (`405`), or an unsupported `Expect` (`417`).
    pub method: u64,
    /// The handler returned an error or panicked (`503`).
    pub handler: u64,
    /// A request that stalled past the read timeout (`408`, or closed).
    pub timeout: u64,
    /// Connections closed because [`WebhookConfig::max_connections`] were being served.
    pub overloaded: u64,
}

/// Counters since the server started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WebhookStats {
    /// TCP connections accepted (including those then refused).
    pub connections: u64,
    /// Requests answered with a final status, any status.
    pub requests: u64,
    /// Events in batches the handler took over (`200`).
    pub events: u64,
    /// Malformed items in batches the handler took over.
    pub malformed: u64,
    /// Requests and connections refused, by reason.
    pub rejected: Rejections,
    /// Connections whose TLS handshake failed (including missing or untrusted client
    /// certificates, timeouts, and clients that closed before finishing it).
    pub tls_handshake_failures: u64,
}

#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    requests: AtomicU64,
    events: AtomicU64,
    malformed: AtomicU64,
    bad_request: AtomicU64,
    not_event_list: AtomicU64,
    too_large: AtomicU64,
    method: AtomicU64,
    handler: AtomicU64,
    timeout: AtomicU64,
    overloaded: AtomicU64,
    tls: AtomicU64,
}

fn bump(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

struct Shared {
    stop: AtomicBool,
    active: AtomicUsize,
    counters: Counters,
    tls: Arc<ServerConfig>,
    handler: Handler,
    max_body: u64,
    limits: Limits,
    max_connections: usize,
    read_timeout: Duration,
}

/// A running webhook server. Dropping it stops it like [`WebhookServer::stop`].
pub struct WebhookServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for WebhookServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl WebhookServer {
    /// Loads the certificates, binds `config.listen` and starts serving on background
    /// threads.
    ///
    /// # Errors
    /// [`AuditError::Io`] when a file cannot be read or the address cannot be bound,
    /// [`AuditError::Certificate`] when a certificate or key file holds nothing usable,
    /// [`AuditError::Tls`] when rustls refuses them (a key that does not match the
    /// certificate, a CA that is not a CA certificate), [`AuditError::Config`] when
    /// `max_connections` is 0.
    pub fn start(config: &WebhookConfig, handler: Handler) -> Result<WebhookServer, AuditError> {
        if config.max_connections == 0 {
            return Err(AuditError::Config(
                "the webhook's max_connections must be at least 1".into(),
            ));
        }
        let tls = Arc::new(tls_config(config)?);
        let where_ = config.listen.to_string();
        let io_err = |source| AuditError::Io {
            path: where_.clone(),
            source,
        };
        let listener = TcpListener::bind(config.listen).map_err(io_err)?;
        let addr = listener.local_addr().map_err(io_err)?;
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            active: AtomicUsize::new(0),
            counters: Counters::default(),
            tls,
            handler,
            max_body: config.max_body_bytes.min(config.limits.max_document_bytes),
            limits: config.limits,
            max_connections: config.max_connections,
            read_timeout: config.read_timeout,
        });
        let for_thread = Arc::clone(&shared);
        let acceptor = thread::Builder::new()
            .name("bulwark-audit-accept".into())
            .spawn(move || accept_loop(&listener, &for_thread))
            .map_err(io_err)?;
        Ok(WebhookServer {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// The address the server listens on (with the actual port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The counters so far.
    pub fn stats(&self) -> WebhookStats {
        let c = &self.shared.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        WebhookStats {
            connections: get(&c.connections),
            requests: get(&c.requests),
            events: get(&c.events),
            malformed: get(&c.malformed),
            rejected: Rejections {
                bad_request: get(&c.bad_request),
                not_event_list: get(&c.not_event_list),
                too_large: get(&c.too_large),
                method: get(&c.method),
                handler: get(&c.handler),
                timeout: get(&c.timeout),
                overloaded: get(&c.overloaded),
            },
            tls_handshake_failures: get(&c.tls),
        }
    }

    /// Stops accepting connections, lets requests in flight finish (their handler calls
    /// included), closes idle connections and joins every thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let Some(acceptor) = self.acceptor.take() else {
            return;
        };
        self.shared.stop.store(true, Ordering::SeqCst);
        // wake the blocking accept() with a connection of our own
        let mut wake = self.addr;
        if wake.ip().is_unspecified() {
            wake.set_ip(match wake.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        if let Ok(s) = TcpStream::connect_timeout(&wake, Duration::from_secs(5)) {
            let _ = s.shutdown(Shutdown::Both);
        }
        let _ = acceptor.join();
    }
}

impl Drop for WebhookServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Decrements the active-connection count when a connection thread ends (or never starts).
struct Active(Arc<Shared>);

impl Drop for Active {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else {
            // out of descriptors, a connection reset before accept: back off briefly
            thread::sleep(Duration::from_millis(20));
            continue;
        };
        bump(&shared.counters.connections, 1);
        workers.retain(|w| !w.is_finished());
        // only this thread increments, so the check cannot race another increment
        if shared.active.load(Ordering::SeqCst) >= shared.max_connections {
            bump(&shared.counters.overloaded, 1);
            let _ = stream.shutdown(Shutdown::Both);
            continue;
        }
        shared.active.fetch_add(1, Ordering::SeqCst);
        let guard = Active(Arc::clone(shared));
        let spawned = thread::Builder::new()
            .name("bulwark-audit-conn".into())
            .spawn(move || {
                let guard = guard;
                serve(stream, &guard.0);
            });
        match spawned {
            Ok(w) => workers.push(w),
            Err(_) => bump(&shared.counters.overloaded, 1),
        }
    }
    for w in workers {
        let _ = w.join();
    }
}

// ---------------------------------------------------------------------------------------------
// TLS configuration

fn read_file(path: &Path) -> Result<Vec<u8>, AuditError> {
    std::fs::read(path).map_err(|source| AuditError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn load_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, AuditError> {
    let bytes = read_file(path)?;
    let mut certs = Vec::new();
    for item in CertificateDer::pem_slice_iter(&bytes) {
        certs.push(item.map_err(|e| AuditError::Certificate {
            path: path.display().to_string(),
            problem: format!("{what} is not valid PEM: {e}"),
        })?);
    }
    if certs.is_empty() {
        return Err(AuditError::Certificate {
            path: path.display().to_string(),
            problem: format!("{what}: no CERTIFICATE block found"),
        });
    }
    Ok(certs)
}

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, AuditError> {
    let bytes = read_file(path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| AuditError::Certificate {
        path: path.display().to_string(),
        problem: format!("no usable private key (PKCS#8, SEC1 or PKCS#1 PEM block expected): {e}"),
    })
}

fn tls_config(config: &WebhookConfig) -> Result<ServerConfig, AuditError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = load_certs(&config.cert_pem, "the server certificate")?;
    let key = load_key(&config.key_pem)?;
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|source| AuditError::Tls {
            what: "choosing TLS versions".into(),
            source: Box::new(source),
        })?;
    let builder = match &config.client_ca_pem {
        Some(ca_path) => {
            let mut roots = RootCertStore::empty();
            for ca in load_certs(ca_path, "the client CA")? {
                roots.add(ca).map_err(|source| AuditError::Tls {
                    what: format!("adding a client CA from {}", ca_path.display()),
                    source: Box::new(source),
                })?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|source| AuditError::Tls {
                    what: format!("using the client CA {}", ca_path.display()),
                    source: Box::new(source),
                })?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut server = builder
        .with_single_cert(chain, key)
        .map_err(|source| AuditError::Tls {
            what: format!(
                "using the certificate {} with the key {}",
                config.cert_pem.display(),
                config.key_pem.display()
            ),
            source: Box::new(source),
        })?;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(server)
}

// ---------------------------------------------------------------------------------------------
// connections

type Tls = StreamOwned<ServerConnection, TcpStream>;

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

fn serve(tcp: TcpStream, shared: &Shared) {
    let counters = &shared.counters;
    let Ok(peer) = tcp.peer_addr() else {
        return;
    };
    if tcp.set_read_timeout(Some(POLL)).is_err()
        || tcp.set_write_timeout(Some(shared.read_timeout)).is_err()
    {
        return;
    }
    let _ = tcp.set_nodelay(true);
    let Ok(conn) = ServerConnection::new(Arc::clone(&shared.tls)) else {
        bump(&counters.tls, 1);
        return;
    };
    let mut tls = StreamOwned::new(conn, tcp);
    let deadline = Instant::now() + shared.read_timeout;
    while tls.conn.is_handshaking() {
        if shared.stop.load(Ordering::SeqCst) {
            return; // not a request in flight yet
        }
        match tls.conn.complete_io(&mut tls.sock) {
            Ok(_) if Instant::now() < deadline => {}
            Err(e) if is_timeout(&e) && Instant::now() < deadline => {}
            Ok(_) | Err(_) => {
                bump(&counters.tls, 1);
                return;
            }
        }
    }
    let client_subject = tls
        .conn
        .peer_certificates()
        .and_then(|certs| certs.first())
        .and_then(|cert| subject_of(cert));
    let mut conn = Conn {
        tls,
        buf: Vec::new(),
        shared,
        refused: false,
    };
    while conn.next_request(peer, client_subject.as_ref()) {}
    conn.tls.conn.send_close_notify();
    let _ = conn.tls.flush();
    if conn.refused {
        linger(&conn.tls.sock);
    } else {
        let _ = conn.tls.sock.shutdown(Shutdown::Both);
    }
}

/// Closes our side and discards what the client still sends, for at most [`LINGER`]: closing
/// with unread data makes the kernel send a reset, which may destroy the response (a `413`
/// answered before the body) before the client reads it.
fn linger(sock: &TcpStream) {
    if sock.shutdown(Shutdown::Write).is_err() {
        return;
    }
    let until = Instant::now() + LINGER;
    let mut sink = [0u8; 16 << 10];
    let mut reader = sock;
    while Instant::now() < until {
        match reader.read(&mut sink) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if is_timeout(&e) => {}
            Err(_) => break,
        }
    }
    let _ = sock.shutdown(Shutdown::Both);
}

/// Why reading stopped.
enum Stop {
    /// The peer closed, or the connection failed.
    Closed,
    /// No progress within the timeout.
    TimedOut,
    /// The server is stopping (only while idle).
    Stopping,
}

/// A refusal: status, counter, message; the connection is closed after it.
#[derive(Debug)]
struct Refusal {
    status: u16,
    message: &'static str,
}

struct Conn<'a> {
    tls: Tls,
    /// Bytes read and not consumed yet.
    buf: Vec<u8>,
    shared: &'a Shared,
    /// A request was refused before its body was read: linger when closing.
    refused: bool,
}

struct Head {
    method: String,
    path: String,
    http10: bool,
    content_length: Option<u64>,
    chunked: bool,
    close: bool,
    expect_continue: bool,
}

impl Conn<'_> {
    /// Reads more bytes into `buf`. `idle` reads give up when the server is stopping.
    fn fill(&mut self, deadline: Instant, idle: bool) -> Result<(), Stop> {
        let mut tmp = [0u8; 16 << 10];
        loop {
            match self.tls.read(&mut tmp) {
                Ok(0) => return Err(Stop::Closed),
                Ok(n) => {
                    self.buf.extend_from_slice(&tmp[..n]);
                    return Ok(());
                }
                Err(e) if is_timeout(&e) => {
                    if idle && self.shared.stop.load(Ordering::SeqCst) {
                        return Err(Stop::Stopping);
                    }
                    if Instant::now() >= deadline {
                        return Err(Stop::TimedOut);
                    }
                }
                Err(_) => return Err(Stop::Closed),
            }
        }
    }

    /// Serves one request; `false` when the connection is to be closed.
    fn next_request(&mut self, peer: SocketAddr, subject: Option<&String>) -> bool {
        let counters = &self.shared.counters;
        let head = match self.read_head() {
            Ok(Some(head)) => head,
            Ok(None) => return false,
            Err(refusal) => {
                self.refused = true;
                self.respond(refusal.status, refusal.message, true);
                return false;
            }
        };
        // a body we do not read closes the connection (after lingering)
        let unread_body = head.content_length.unwrap_or(0) > 0 || head.chunked;
        if head.method == "GET" && head.path == "/healthz" {
            let close = head.close || unread_body;
            self.refused = unread_body;
            self.respond(200, "ok", close);
            return !close;
        }
        if head.method != "POST" {
            bump(&counters.method, 1);
            let close = head.close || unread_body;
            self.refused = unread_body;
            self.respond(405, "only POST is accepted", close);
            return !close;
        }
        let body = match self.read_body(&head) {
            Ok(body) => body,
            Err(Some(refusal)) => {
                self.refused = true;
                self.respond(refusal.status, refusal.message, true);
                return false;
            }
            Err(None) => return false,
        };
        let (status, message) = self.deliver(&body, peer, subject);
        let close = head.close || self.shared.stop.load(Ordering::SeqCst);
        self.respond(status, message, close);
        !close
    }

    /// Reads and parses a request head. `Ok(None)` when the connection ends cleanly (closed,
    /// idle too long, server stopping) before a request starts.
    fn read_head(&mut self) -> Result<Option<Head>, Refusal> {
        let counters = &self.shared.counters;
        let timeout = self.shared.read_timeout;
        let mut deadline = Instant::now() + timeout;
        let mut started = false;
        let mut scanned = 0;
        let end = loop {
            // blank lines before a request line are ignored (RFC 9112 §2.2)
            if !started {
                let blank = self
                    .buf
                    .iter()
                    .take_while(|&&b| b == b'\r' || b == b'\n')
                    .count();
                self.buf.drain(..blank);
                if !self.buf.is_empty() {
                    started = true;
                    deadline = Instant::now() + timeout;
                }
            }
            if started {
                if let Some(i) = find(&self.buf[scanned..], b"\r\n\r\n") {
                    break scanned + i + 4;
                }
                scanned = self.buf.len().saturating_sub(3);
                if self.buf.len() > MAX_HEAD_BYTES {
                    bump(&counters.too_large, 1);
                    return Err(Refusal {
                        status: 431,
                        message: "request head too large",
                    });
                }
            }
            match self.fill(deadline, !started) {
                Ok(()) => {}
                Err(Stop::TimedOut) if started => {
                    bump(&counters.timeout, 1);
                    return Err(Refusal {
                        status: 408,
                        message: "request head not received in time",
                    });
                }
                Err(_) => return Ok(None),
            }
        };
        if end > MAX_HEAD_BYTES {
            bump(&counters.too_large, 1);
            return Err(Refusal {
                status: 431,
                message: "request head too large",
            });
        }
        let raw: Vec<u8> = self.buf.drain(..end).collect();
        parse_head(&raw[..end - 4])
            .inspect_err(|r| {
                if r.status == 431 {
                    bump(&counters.too_large, 1);
                } else if r.status == 417 {
                    bump(&counters.method, 1);
                } else {
                    bump(&counters.bad_request, 1);
                }
            })
            .map(Some)
    }

    /// Reads a request body. `Err(None)`: the connection failed; `Err(Some(_))`: refuse it.
    fn read_body(&mut self, head: &Head) -> Result<Vec<u8>, Option<Refusal>> {
        let counters = &self.shared.counters;
        let max = self.shared.max_body;
        let too_large = || {
            bump(&counters.too_large, 1);
            Some(Refusal {
                status: 413,
                message: "request body too large",
            })
        };
        if let Some(len) = head.content_length
            && len > max
        {
            return Err(too_large());
        }
        if head.expect_continue && !head.http10 {
            let _ = self.tls.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
            let _ = self.tls.flush();
        }
        let mut body = Vec::new();
        if head.chunked {
            loop {
                let line = self.read_line(MAX_CHUNK_LINE)?;
                let size_text = line.split(|&b| b == b';').next().unwrap_or_default();
                let Some(size) = parse_hex(size_text.trim_ascii()) else {
                    bump(&counters.bad_request, 1);
                    return Err(Some(Refusal {
                        status: 400,
                        message: "bad chunk size",
                    }));
                };
                if size == 0 {
                    break;
                }
                if (body.len() as u64).saturating_add(size) > max {
                    return Err(too_large());
                }
                // `size` fits: the body and it are under `max`, which bounds memory
                self.read_exact_into(&mut body, usize::try_from(size).unwrap_or(usize::MAX))?;
                if !self.read_line(0)?.is_empty() {
                    bump(&counters.bad_request, 1);
                    return Err(Some(Refusal {
                        status: 400,
                        message: "chunk not followed by CRLF",
                    }));
                }
            }
            // trailer fields, ignored
            let mut trailers = 0;
            while !self.read_line(MAX_HEAD_BYTES)?.is_empty() {
                trailers += 1;
                if trailers > MAX_HEADERS {
                    bump(&counters.too_large, 1);
                    return Err(Some(Refusal {
                        status: 431,
                        message: "too many trailer fields",
                    }));
                }
            }
        } else if let Some(len) = head.content_length {
            let len = usize::try_from(len).map_err(|_| too_large())?;
            body.reserve(len.min(1 << 20));
            self.read_exact_into(&mut body, len)?;
        }
        Ok(body)
    }

    fn body_stall(&self, stop: &Stop) -> Option<Refusal> {
        match stop {
            Stop::TimedOut => {
                bump(&self.shared.counters.timeout, 1);
                Some(Refusal {
                    status: 408,
                    message: "request body not received in time",
                })
            }
            Stop::Closed | Stop::Stopping => None,
        }
    }

    /// Moves exactly `n` more bytes of the body into `out`.
    fn read_exact_into(&mut self, out: &mut Vec<u8>, n: usize) -> Result<(), Option<Refusal>> {
        let mut left = n;
        loop {
            let take = left.min(self.buf.len());
            out.extend_from_slice(&self.buf[..take]);
            self.buf.drain(..take);
            left -= take;
            if left == 0 {
                return Ok(());
            }
            let deadline = Instant::now() + self.shared.read_timeout;
            self.fill(deadline, false)
                .map_err(|stop| self.body_stall(&stop))?;
        }
    }

    /// Reads one CRLF-terminated line of at most `max` bytes (without the CRLF).
    fn read_line(&mut self, max: usize) -> Result<Vec<u8>, Option<Refusal>> {
        let mut scanned = 0;
        loop {
            if let Some(i) = find(&self.buf[scanned..], b"\r\n") {
                let end = scanned + i;
                let line = self.buf[..end].to_vec();
                self.buf.drain(..end + 2);
                return Ok(line);
            }
            scanned = self.buf.len().saturating_sub(1);
            if self.buf.len() > max + 1 {
                bump(&self.shared.counters.bad_request, 1);
                return Err(Some(Refusal {
                    status: 400,
                    message: "bad chunked framing",
                }));
            }
            let deadline = Instant::now() + self.shared.read_timeout;
            self.fill(deadline, false)
                .map_err(|stop| self.body_stall(&stop))?;
        }
    }

    /// Decodes a body and hands it over; the status and message to answer.
    fn deliver(
        &self,
        body: &[u8],
        peer: SocketAddr,
        subject: Option<&String>,
    ) -> (u16, &'static str) {
        let counters = &self.shared.counters;
        if !is_event_list(body) {
            bump(&counters.not_event_list, 1);
            return (400, "the body is not an audit.k8s.io EventList");
        }
        let Ok(decoded) = decode_document(body, &self.shared.limits) else {
            bump(&counters.too_large, 1);
            return (413, "request body too large");
        };
        let events = decoded.events.len() as u64;
        let malformed = decoded.malformed.len() as u64;
        let batch = Batch {
            events: decoded.events,
            malformed: decoded.malformed,
            peer,
            client_subject: subject.cloned(),
        };
        let handler = &self.shared.handler;
        if let Ok(Ok(())) = catch_unwind(AssertUnwindSafe(|| handler(batch))) {
            bump(&counters.events, events);
            bump(&counters.malformed, malformed);
            (200, "")
        } else {
            bump(&counters.handler, 1);
            (503, "the events could not be stored; retry later")
        }
    }

    fn respond(&mut self, status: u16, message: &str, close: bool) {
        bump(&self.shared.counters.requests, 1);
        let reason = match status {
            200 => "OK",
            400 => "Bad Request",
            405 => "Method Not Allowed",
            408 => "Request Timeout",
            413 => "Content Too Large",
            417 => "Expectation Failed",
            431 => "Request Header Fields Too Large",
            501 => "Not Implemented",
            505 => "HTTP Version Not Supported",
            _ => "Service Unavailable",
        };
        let mut out = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n",
            message.len()
        );
        if status == 405 {
            out.push_str("Allow: POST\r\n");
        }
        if status == 503 {
            out.push_str("Retry-After: 1\r\n");
        }
        if close {
            out.push_str("Connection: close\r\n");
        }
        out.push_str("\r\n");
        out.push_str(message);
        let _ = self.tls.write_all(out.as_bytes());
        let _ = self.tls.flush();
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn parse_hex(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 15 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in s {
        let d = char::from(b).to_digit(16)?;
        v = v * 16 + u64::from(d);
    }
    Some(v)
}

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn bad(message: &'static str) -> Refusal {
    Refusal {
        status: 400,
        message,
    }
}

/// Parses a request head (without its final empty line).
fn parse_head(raw: &[u8]) -> Result<Head, Refusal> {
    let text = std::str::from_utf8(raw).map_err(|_| bad("request head is not UTF-8"))?;
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("bad request line"));
    };
    if method.is_empty() || !method.bytes().all(is_token_char) || target.is_empty() {
        return Err(bad("bad request line"));
    }
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => {
            return Err(Refusal {
                status: 505,
                message: "only HTTP/1.1 is supported",
            });
        }
    };
    let path = target.split('?').next().unwrap_or_default().to_string();
    let mut head = Head {
        method: method.to_string(),
        path,
        http10,
        content_length: None,
        chunked: false,
        close: http10,
        expect_continue: false,
    };
    let mut count = 0;
    let mut transfer_encoding = false;
    for line in lines {
        count += 1;
        if count > MAX_HEADERS {
            return Err(Refusal {
                status: 431,
                message: "too many header fields",
            });
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(bad("bad header field"));
        };
        // no whitespace before the colon, no obsolete line folding (RFC 9112 §5)
        if name.is_empty() || !name.bytes().all(is_token_char) {
            return Err(bad("bad header field"));
        }
        let value = value.trim_matches([' ', '\t']);
        if name.eq_ignore_ascii_case("content-length") {
            let n: u64 = value
                .parse()
                .ok()
                .filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| bad("bad Content-Length"))?;
            if head.content_length.is_some_and(|m| m != n) {
                return Err(bad("conflicting Content-Length fields"));
            }
            head.content_length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            if transfer_encoding {
                return Err(bad("more than one Transfer-Encoding field"));
            }
            transfer_encoding = true;
            if !value.eq_ignore_ascii_case("chunked") {
                return Err(Refusal {
                    status: 501,
                    message: "only the chunked transfer coding is supported",
                });
            }
            head.chunked = true;
        } else if name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                if token.eq_ignore_ascii_case("close") {
                    head.close = true;
                } else if token.eq_ignore_ascii_case("keep-alive") && http10 {
                    head.close = false;
                }
            }
        } else if name.eq_ignore_ascii_case("expect") {
            if !value.eq_ignore_ascii_case("100-continue") {
                return Err(Refusal {
                    status: 417,
                    message: "only Expect: 100-continue is supported",
                });
            }
            head.expect_continue = true;
        }
    }
    if head.chunked && head.content_length.is_some() {
        return Err(bad("both Content-Length and Transfer-Encoding"));
    }
    Ok(head)
}

/// Whether a body is one JSON object of `kind: EventList` (checked without building it).
fn is_event_list(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Kind {
        kind: Option<String>,
    }
    matches!(
        serde_json::from_slice::<Kind>(body),
        Ok(Kind { kind: Some(k) }) if k == "EventList"
    )
}

// ---------------------------------------------------------------------------------------------
// certificate subjects

/// One DER element: tag, contents, and what follows.
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None; // high tag numbers do not occur in names
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = len.checked_mul(256)?.checked_add(usize::from(b))?;
        }
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    let (content, after) = rest.split_at(len);
    Some((tag, content, after))
}

/// The subject of a DER certificate in RFC 4514 form (`CN=a,O=b`), when it can be read.
fn subject_of(cert: &[u8]) -> Option<String> {
    let (0x30, cert, _) = der(cert)? else {
        return None;
    };
    let (0x30, tbs, _) = der(cert)? else {
        return None;
    };
    let mut rest = tbs;
    let (tag, _, after) = der(rest)?;
    if tag == 0xa0 {
        rest = after; // version
    }
    // serial, signature algorithm, issuer, validity, then the subject
    for expected in [0x02, 0x30, 0x30, 0x30] {
        let (tag, _, after) = der(rest)?;
        if tag != expected {
            return None;
        }
        rest = after;
    }
    let (0x30, mut name, _) = der(rest)? else {
        return None;
    };
    let mut rdns = Vec::new();
    while !name.is_empty() {
        let (0x31, mut set, after) = der(name)? else {
            return None;
        };
        name = after;
        let mut parts = Vec::new();
        while !set.is_empty() {
            let (0x30, atv, after) = der(set)? else {
                return None;
            };
            set = after;
            let (0x06, oid, value) = der(atv)? else {
                return None;
            };
            let (vtag, vcontent, after_value) = der(value)?;
            let key = attribute_name(oid);
            let text = if let Some(text) = string_value(vtag, vcontent) {
                escape_rdn_value(&text)
            } else {
                // not a string: the DER value in hex, as RFC 4514 has it
                let whole = &value[..value.len() - after_value.len()];
                let hex: String = whole.iter().map(|b| format!("{b:02x}")).collect();
                format!("#{hex}")
            };
            parts.push(format!("{key}={text}"));
        }
        rdns.push(parts.join("+"));
    }
    rdns.reverse();
    Some(rdns.join(","))
}

fn attribute_name(oid: &[u8]) -> String {
    match oid {
        [0x55, 0x04, 0x03] => "CN".into(),
        [0x55, 0x04, 0x06] => "C".into(),
        [0x55, 0x04, 0x07] => "L".into(),
        [0x55, 0x04, 0x08] => "ST".into(),
        [0x55, 0x04, 0x09] => "STREET".into(),
        [0x55, 0x04, 0x0a] => "O".into(),
        [0x55, 0x04, 0x0b] => "OU".into(),
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19] => "DC".into(),
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01] => "UID".into(),
        _ => dotted_oid(oid),
    }
}

fn dotted_oid(oid: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut v: u64 = 0;
    for &b in oid {
        v = v.saturating_mul(128).saturating_add(u64::from(b & 0x7f));
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (v / 40).min(2);
                arcs.push(first);
                arcs.push(v - first * 40);
            } else {
                arcs.push(v);
            }
            v = 0;
        }
    }
    arcs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

fn string_value(tag: u8, content: &[u8]) -> Option<String> {
    match tag {
        // UTF8String, PrintableString, T61String, IA5String
        0x0c | 0x13 | 0x14 | 0x16 => std::str::from_utf8(content).ok().map(str::to_string),
        // BMPString
        0x1e => {
            if !content.len().is_multiple_of(2) {
                return None;
            }
            let units: Vec<u16> = content
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

fn escape_rdn_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let last = s.chars().count().saturating_sub(1);
    for (i, c) in s.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == '#' || c == ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        if c.is_control() {
            out.push_str(&format!("\\{:02x}", u32::from(c) & 0xff));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_parse_and_smuggling_is_refused() {
        let h = parse_head(b"POST /audit?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\nExpect: 100-continue\r\nConnection: close").unwrap();
        assert_eq!(
            (h.method.as_str(), h.path.as_str(), h.content_length),
            ("POST", "/audit", Some(12))
        );
        assert!(h.close && h.expect_continue && !h.chunked);
        for (raw, status) in [
            (
                &b"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked"[..],
                400,
            ),
            (
                b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2",
                400,
            ),
            (b"POST / HTTP/1.1\r\nContent-Length: +1", 400),
            (b"POST / HTTP/1.1\r\nContent-Length : 1", 400),
            (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked", 501),
            (b"POST / HTTP/2.0", 505),
            (b"POST  / HTTP/1.1", 400),
            (b"POST / HTTP/1.1\r\nExpect: magic", 417),
            (b"\xff / HTTP/1.1", 400),
        ] {
            assert_eq!(
                parse_head(raw).err().map(|r| r.status),
                Some(status),
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
        let many = format!("POST / HTTP/1.1{}", "\r\nX-A: b".repeat(MAX_HEADERS + 1));
        assert_eq!(
            parse_head(many.as_bytes()).err().map(|r| r.status),
            Some(431)
        );
    }

    #[test]
    fn event_lists_are_recognised() {
        assert!(is_event_list(
            br#"{"apiVersion":"audit.k8s.io/v1","kind":"EventList","items":[]}"#
        ));
        assert!(!is_event_list(br#"{"kind":"Event"}"#));
        assert!(!is_event_list(br#"[{"kind":"EventList"}]"#));
        assert!(!is_event_list(b"not json"));
        assert!(!is_event_list(br#"{"kind":"EventList"} trailing"#));
    }

    #[test]
    fn hex_chunk_sizes() {
        assert_eq!(parse_hex(b"1aF"), Some(0x1af));
        assert_eq!(parse_hex(b""), None);
        assert_eq!(parse_hex(b"-1"), None);
        assert_eq!(parse_hex(b"ffffffffffffffffff"), None);
    }

    #[test]
    fn subjects_are_escaped_and_truncated_der_is_refused() {
        assert_eq!(escape_rdn_value("a,b"), "a\\,b");
        assert_eq!(escape_rdn_value(" #x "), "\\ #x\\ ");
        assert_eq!(
            dotted_oid(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d]),
            "1.2.840.113549"
        );
        assert_eq!(subject_of(&[]), None);
        assert_eq!(subject_of(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(subject_of(&[0x30, 0x03, 0x30, 0x01]), None);
    }
}
