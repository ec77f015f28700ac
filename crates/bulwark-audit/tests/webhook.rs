//! The audit webhook over real TLS on 127.0.0.1, with certificates made by rcgen: a CA, a
//! server certificate and a client certificate signed by it, and an unrelated CA with a client
//! certificate of its own. The client is rustls speaking HTTP/1.1 by hand.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bulwark_audit::AuditError;
use bulwark_audit::server::{Batch, Handler, WebhookConfig, WebhookServer, WebhookStats};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// certificates

struct Issuer {
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn make_ca(name: &str) -> Issuer {
    let key = KeyPair::generate().expect("CA key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = params.self_signed(&key).expect("self-signed CA");
    Issuer { cert, key }
}

/// A leaf signed by `issuer`: (certificate PEM, key PEM).
fn leaf(
    issuer: &Issuer,
    sans: &[&str],
    dn: &[(DnType, &str)],
    purpose: ExtendedKeyUsagePurpose,
) -> (String, String) {
    let key = KeyPair::generate().expect("leaf key");
    let sans: Vec<String> = sans.iter().map(|s| (*s).to_string()).collect();
    let mut params = CertificateParams::new(sans).expect("leaf params");
    // the default name holds a placeholder CN; start empty so the order is the one given
    params.distinguished_name = DistinguishedName::new();
    for (ty, value) in dn {
        params.distinguished_name.push(ty.clone(), *value);
    }
    params.extended_key_usages = vec![purpose];
    let cert = params
        .signed_by(&key, &issuer.cert, &issuer.key)
        .expect("signed leaf");
    (cert.pem(), key.serialize_pem())
}

struct Pki {
    dir: tempfile::TempDir,
    ca_pem: String,
    client: (String, String),
    stranger: (String, String),
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().expect("temp dir");
        let ca = make_ca("bulwark test CA");
        let (server_cert, server_key) = leaf(
            &ca,
            &["localhost", "127.0.0.1"],
            &[(DnType::CommonName, "bulwark-audit")],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let client = leaf(
            &ca,
            &[],
            &[
                (DnType::OrganizationName, "system:masters"),
                (DnType::CommonName, "kube-apiserver"),
            ],
            ExtendedKeyUsagePurpose::ClientAuth,
        );
        let other = make_ca("unrelated CA");
        let stranger = leaf(
            &other,
            &[],
            &[(DnType::CommonName, "kube-apiserver")],
            ExtendedKeyUsagePurpose::ClientAuth,
        );
        let ca_pem = ca.cert.pem();
        for (name, text) in [
            ("ca.pem", &ca_pem),
            ("server.pem", &server_cert),
            ("server-key.pem", &server_key),
        ] {
            std::fs::write(dir.path().join(name), text).expect("write PEM");
        }
        Pki {
            dir,
            ca_pem,
            client,
            stranger,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn config(&self, client_auth: bool) -> WebhookConfig {
        let mut config = WebhookConfig::new(
            "127.0.0.1:0".parse().expect("address"),
            self.path("server.pem"),
            self.path("server-key.pem"),
        );
        if client_auth {
            config.client_ca_pem = Some(self.path("ca.pem"));
        }
        config
    }

    fn client_config(&self, identity: Option<&(String, String)>) -> Arc<ClientConfig> {
        self.client_config_with(identity, rustls::DEFAULT_VERSIONS)
    }

    fn client_config_with(
        &self,
        identity: Option<&(String, String)>,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(self.ca_pem.as_bytes()).expect("CA DER"))
            .expect("trust the CA");
        let builder =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_protocol_versions(versions)
                .expect("versions")
                .with_root_certificates(roots);
        let config = match identity {
            Some((cert, key)) => builder
                .with_client_auth_cert(
                    vec![CertificateDer::from_pem_slice(cert.as_bytes()).expect("client cert")],
                    PrivateKeyDer::from_pem_slice(key.as_bytes()).expect("client key"),
                )
                .expect("client auth"),
            None => builder.with_no_client_auth(),
        };
        Arc::new(config)
    }
}

// ---------------------------------------------------------------------------------------------
// a small HTTP/1.1 client over rustls

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Client {
    tls: StreamOwned<ClientConnection, TcpStream>,
    buf: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr, config: Arc<ClientConfig>) -> io::Result<Client> {
        let tcp = TcpStream::connect(addr)?;
        tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
        let name = ServerName::try_from("localhost").expect("server name");
        let conn = ClientConnection::new(config, name).map_err(io::Error::other)?;
        let mut tls = StreamOwned::new(conn, tcp);
        while tls.conn.is_handshaking() {
            tls.conn.complete_io(&mut tls.sock)?;
        }
        Ok(Client {
            tls,
            buf: Vec::new(),
        })
    }

    fn local_addr(&self) -> SocketAddr {
        self.tls.sock.local_addr().expect("local address")
    }

    fn send(&mut self, raw: &[u8]) -> io::Result<()> {
        self.tls.write_all(raw)?;
        self.tls.flush()
    }

    fn fill(&mut self) -> io::Result<()> {
        let mut tmp = [0u8; 4096];
        let n = self.tls.read(&mut tmp)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.buf.extend_from_slice(&tmp[..n]);
        Ok(())
    }

    /// Reads one response (interim `100 Continue` responses included).
    fn response(&mut self) -> io::Result<Response> {
        let end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            self.fill()?;
        };
        let head = String::from_utf8(self.buf.drain(..end).collect()).expect("UTF-8 head");
        let mut lines = head.trim_end().split("\r\n");
        let status_line = lines.next().expect("status line");
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status code");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.to_string(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map_or(0, |(_, v)| v.parse().expect("length"));
        while self.buf.len() < len {
            self.fill()?;
        }
        let body = String::from_utf8(self.buf.drain(..len).collect()).expect("UTF-8 body");
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    fn request(&mut self, raw: &[u8]) -> io::Result<Response> {
        self.send(raw)?;
        self.response()
    }
}

fn post(body: &str) -> Vec<u8> {
    format!(
        "POST /audit HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

// ---------------------------------------------------------------------------------------------
// a recording handler

#[derive(Clone, Default)]
struct Recorder {
    batches: Arc<Mutex<Vec<Batch>>>,
    fail: Arc<AtomicBool>,
}

impl Recorder {
    fn handler(&self) -> Handler {
        let me = self.clone();
        Arc::new(move |batch| {
            if me.fail.load(Ordering::SeqCst) {
                return Err("journal is full".into());
            }
            me.batches.lock().expect("lock").push(batch);
            Ok(())
        })
    }

    fn batches(&self) -> Vec<Batch> {
        self.batches.lock().expect("lock").clone()
    }
}

fn event(id: &str) -> Value {
    json!({
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "Metadata",
        "auditID": id,
        "stage": "ResponseComplete",
        "verb": "get",
        "requestURI": "/api/v1/namespaces/default/pods",
        "user": {"username": "alice"}
    })
}

fn event_list(events: &[Value]) -> String {
    json!({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": events}).to_string()
}

/// Waits (a little) for the server's counters to satisfy `ok`.
fn wait_for_stats(server: &WebhookServer, ok: impl Fn(&WebhookStats) -> bool) -> WebhookStats {
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        let stats = server.stats();
        if ok(&stats) || Instant::now() > until {
            return stats;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------------
// tests

#[test]
fn an_event_list_from_an_authenticated_client_is_handed_over_and_acknowledged() {
    let pki = Pki::new();
    let rec = Recorder::default();
    let server = WebhookServer::start(&pki.config(true), rec.handler()).expect("start");
    let mut client = Client::connect(server.local_addr(), pki.client_config(Some(&pki.client)))
        .expect("handshake with a client certificate");
    let events = [event("a"), event("b")];
    let mut items: Vec<Value> = events.to_vec();
    items.push(json!({"kind": "Pod"}));
    let resp = client
        .request(&post(&event_list(&items)))
        .expect("response");
    assert_eq!(resp.status, 200, "{}", resp.body);

    let batches = rec.batches();
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].events, events);
    assert_eq!(batches[0].malformed.len(), 1, "the Pod item is malformed");
    assert_eq!(batches[0].peer, client.local_addr());
    assert_eq!(
        batches[0].client_subject.as_deref(),
        Some("CN=kube-apiserver,O=system:masters")
    );
    let stats = server.stats();
    assert_eq!((stats.requests, stats.events, stats.malformed), (1, 2, 1));
    server.stop();
}

#[test]
fn a_handler_error_is_answered_503_and_the_retry_succeeds_on_the_same_connection() {
    let pki = Pki::new();
    let rec = Recorder::default();
    let server = WebhookServer::start(&pki.config(true), rec.handler()).expect("start");
    let mut client =
        Client::connect(server.local_addr(), pki.client_config(Some(&pki.client))).expect("tls");
    let body = event_list(&[event("a")]);
    rec.fail.store(true, Ordering::SeqCst);
    let resp = client.request(&post(&body)).expect("response");
    assert_eq!(resp.status, 503);
    assert!(resp.header("Retry-After").is_some());
    assert_eq!(server.stats().events, 0, "nothing acknowledged");

    rec.fail.store(false, Ordering::SeqCst);
    assert_eq!(client.request(&post(&body)).expect("retry").status, 200);
    assert_eq!(rec.batches().len(), 1);
    let stats = server.stats();
    assert_eq!((stats.rejected.handler, stats.events), (1, 1));
    server.stop();
}

#[test]
fn without_a_trusted_client_certificate_the_handshake_fails() {
    let pki = Pki::new();
    let rec = Recorder::default();
    let server = WebhookServer::start(&pki.config(true), rec.handler()).expect("start");
    let body = post(&event_list(&[event("a")]));
    for identity in [None, Some(&pki.stranger)] {
        // with TLS 1.3 the client may believe the handshake done; the request then fails
        let outcome = Client::connect(server.local_addr(), pki.client_config(identity))
            .and_then(|mut c| c.request(&body));
        assert!(
            outcome.is_err(),
            "answered {:?} without a trusted certificate",
            outcome.map(|r| r.status).ok()
        );
    }
    let stats = wait_for_stats(&server, |s| s.tls_handshake_failures >= 2);
    assert_eq!(stats.tls_handshake_failures, 2);
    assert_eq!(stats.requests, 0);
    assert!(rec.batches().is_empty());
    server.stop();
}

#[test]
fn without_a_client_ca_any_client_may_post() {
    let pki = Pki::new();
    let rec = Recorder::default();
    let server = WebhookServer::start(&pki.config(false), rec.handler()).expect("start");
    let mut client = Client::connect(server.local_addr(), pki.client_config(None)).expect("tls");
    let resp = client
        .request(&post(&event_list(&[event("a")])))
        .expect("response");
    assert_eq!(resp.status, 200);
    let batches = rec.batches();
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].client_subject, None);
    server.stop();
}

#[test]
fn oversized_bodies_are_refused_413_before_being_read() {
    let pki = Pki::new();
    let rec = Recorder::default();
    let mut config = pki.config(false);
    config.max_body_bytes = 1024;
    let server = WebhookServer::start(&config, rec.handler()).expect("start");
    let cfg = pki.client_config(None);

    // a declared length over the bound, with Expect: the answer comes without sending the body
    let mut client = Client::connect(server.local_addr(), Arc::clone(&cfg)).expect("tls");
    let head =
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\nExpect: 100-continue\r\n\r\n";
    let resp = client.request(head).expect("response");
    assert_eq!(resp.status, 413);
    assert_eq!(resp.header("Connection"), Some("close"));

    // a chunked body that grows over the bound
    let mut client = Client::connect(server.local_addr(), cfg).expect("tls");
    let chunk = "x".repeat(600);
    let raw = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n{chunk}\r\n258\r\n{chunk}\r\n0\r\n\r\n"
    );
    assert_eq!(
        client.request(raw.as_bytes()).expect("response").status,
        413
    );

    // a body sent whole, without waiting: the answer still arrives (the server drains what
    // follows instead of resetting the connection)
    let mut client = Client::connect(server.local_addr(), pki.client_config(None)).expect("tls");
    let body = "y".repeat(256 << 10);
    let raw = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    assert_eq!(
        client.request(raw.as_bytes()).expect("response").status,
        413
    );

    assert!(rec.batches().is_empty(), "the handler was not called");
    assert_eq!(server.stats().rejected.too_large, 3);
    server.stop();
}

#[test]
fn bodies_that_are_not_event_lists_are_400() {
    let pki = Pki::new();
    let rec = Recorder::default();
    let server = WebhookServer::start(&pki.config(false), rec.handler()).expect("start");
    let mut client = Client::connect(server.local_addr(), pki.client_config(None)).expect("tls");
    for body in ["this is not json", &event("single").to_string(), "[1,2]"] {
        let resp = client.request(&post(body)).expect("response");
        assert_eq!(resp.status, 400, "{body}");
    }
    assert!(rec.batches().is_empty());
    assert_eq!(server.stats().rejected.not_event_list, 3);
    server.stop();
}

#[test]
fn chunked_bodies_with_extensions_and_trailers_are_accepted() {
    let pki = Pki::new();
    let rec = Recorder::default();
    let server = WebhookServer::start(&pki.config(false), rec.handler()).expect("start");
    let mut client = Client::connect(server.local_addr(), pki.client_config(None)).expect("tls");
    let events = [event("c1"), event("c2")];
    let body = event_list(&events);
    let (a, b) = body.split_at(body.len() / 2);
    let raw = format!(
        "POST /audit HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{:x};ext=1\r\n{a}\r\n{:X}\r\n{b}\r\n0\r\nX-Trailer: t\r\n\r\n",
        a.len(),
        b.len()
    );
    // sent in two writes, cut inside a chunk-size line
    let cut = raw.find(b).expect("second half") - 3;
    client.send(&raw.as_bytes()[..cut]).expect("first part");
    std::thread::sleep(Duration::from_millis(50));
    client.send(&raw.as_bytes()[cut..]).expect("second part");
    let resp = client.response().expect("response");
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(rec.batches()[0].events, events);
    server.stop();
}

#[test]
fn expect_continue_is_answered_before_the_body_is_sent() {
    let pki = Pki::new();
    let rec = Recorder::default();
    let server = WebhookServer::start(&pki.config(false), rec.handler()).expect("start");
    let mut client = Client::connect(server.local_addr(), pki.client_config(None)).expect("tls");
    let body = event_list(&[event("e")]);
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    assert_eq!(
        client.request(head.as_bytes()).expect("interim").status,
        100
    );
    assert_eq!(client.request(body.as_bytes()).expect("final").status, 200);
    assert_eq!(rec.batches().len(), 1);
    server.stop();
}

#[test]
fn two_requests_share_one_keep_alive_connection() {
    let pki = Pki::new();
    let rec = Recorder::default();
    let server = WebhookServer::start(&pki.config(true), rec.handler()).expect("start");
    let mut client =
        Client::connect(server.local_addr(), pki.client_config(Some(&pki.client))).expect("tls");
    for id in ["k1", "k2"] {
        let resp = client
            .request(&post(&event_list(&[event(id)])))
            .expect("response");
        assert_eq!(resp.status, 200);
        assert_eq!(resp.header("Connection"), None, "kept alive");
    }
    let ids: Vec<Value> = rec
        .batches()
        .iter()
        .map(|b| b.events[0]["auditID"].clone())
        .collect();
    assert_eq!(ids, [json!("k1"), json!("k2")]);
    let stats = server.stats();
    assert_eq!((stats.connections, stats.requests), (1, 2));
    server.stop();
}

#[test]
fn healthz_answers_ok_and_other_methods_are_405() {
    let pki = Pki::new();
    let server =
        WebhookServer::start(&pki.config(false), Recorder::default().handler()).expect("start");
    let mut client = Client::connect(server.local_addr(), pki.client_config(None)).expect("tls");
    let resp = client
        .request(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("healthz");
    assert_eq!((resp.status, resp.body.as_str()), (200, "ok"));
    let resp = client
        .request(b"GET /audit HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("get");
    assert_eq!(resp.status, 405);
    assert_eq!(resp.header("Allow"), Some("POST"));
    assert_eq!(server.stats().rejected.method, 1);
    server.stop();
}

#[test]
fn a_stalled_request_times_out_with_408() {
    let pki = Pki::new();
    let mut config = pki.config(false);
    config.read_timeout = Duration::from_millis(300);
    let server = WebhookServer::start(&config, Recorder::default().handler()).expect("start");
    let mut client = Client::connect(server.local_addr(), pki.client_config(None)).expect("tls");
    let started = Instant::now();
    let resp = client
        .request(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Le")
        .expect("response");
    assert_eq!(resp.status, 408);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(server.stats().rejected.timeout, 1);
    server.stop();
}

#[test]
fn connections_over_the_limit_are_closed() {
    let pki = Pki::new();
    let mut config = pki.config(false);
    config.max_connections = 1;
    let server = WebhookServer::start(&config, Recorder::default().handler()).expect("start");
    let cfg = pki.client_config(None);
    let mut first = Client::connect(server.local_addr(), Arc::clone(&cfg)).expect("tls");
    assert_eq!(
        first
            .request(&post(&event_list(&[event("a")])))
            .expect("first")
            .status,
        200
    );
    let second = Client::connect(server.local_addr(), Arc::clone(&cfg))
        .and_then(|mut c| c.request(&post(&event_list(&[event("b")]))));
    assert!(second.is_err(), "a second connection was served");
    assert_eq!(server.stats().rejected.overloaded, 1);
    drop(first);
    // once the first is gone, a new connection is served again
    let until = Instant::now() + Duration::from_secs(5);
    let status = loop {
        let attempt = Client::connect(server.local_addr(), Arc::clone(&cfg))
            .and_then(|mut c| c.request(&post(&event_list(&[event("c")]))));
        match attempt {
            Ok(r) => break r.status,
            Err(e) if Instant::now() > until => panic!("never served again: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    assert_eq!(status, 200);
    server.stop();
}

#[test]
fn stop_returns_with_an_idle_keep_alive_connection_open() {
    let pki = Pki::new();
    let server =
        WebhookServer::start(&pki.config(false), Recorder::default().handler()).expect("start");
    let addr = server.local_addr();
    let mut client = Client::connect(addr, pki.client_config(None)).expect("tls");
    assert_eq!(
        client
            .request(&post(&event_list(&[event("a")])))
            .expect("response")
            .status,
        200
    );
    let started = Instant::now();
    server.stop();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stop took {:?}",
        started.elapsed()
    );
    assert!(client.request(&post(&event_list(&[event("b")]))).is_err());
    assert!(TcpStream::connect(addr).is_err(), "still listening");
}

#[test]
fn unusable_certificate_files_are_errors_naming_the_file() {
    let pki = Pki::new();
    let handler = Recorder::default().handler();

    let mut config = pki.config(false);
    config.cert_pem = pki.path("missing.pem");
    let err = WebhookServer::start(&config, Arc::clone(&handler)).expect_err("missing file");
    assert!(matches!(err, AuditError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("missing.pem"), "{err}");

    std::fs::write(pki.path("garbage.pem"), "not a key").expect("write");
    let mut config = pki.config(false);
    config.key_pem = pki.path("garbage.pem");
    let err = WebhookServer::start(&config, Arc::clone(&handler)).expect_err("no key");
    assert!(matches!(err, AuditError::Certificate { .. }), "{err:?}");
    assert!(err.to_string().contains("garbage.pem"), "{err}");

    // a key that does not belong to the certificate
    std::fs::write(pki.path("other-key.pem"), pki.client.1.as_bytes()).expect("write");
    let mut config = pki.config(false);
    config.key_pem = pki.path("other-key.pem");
    let err = WebhookServer::start(&config, handler).expect_err("mismatched key");
    assert!(matches!(err, AuditError::Tls { .. }), "{err:?}");
    assert!(err.to_string().contains("other-key.pem"), "{err}");
}

#[test]
fn tls_1_2_clients_are_served_and_their_certificates_checked() {
    let pki = Pki::new();
    let rec = Recorder::default();
    let server = WebhookServer::start(&pki.config(true), rec.handler()).expect("start");
    let tls12 = [&rustls::version::TLS12];
    let mut client = Client::connect(
        server.local_addr(),
        pki.client_config_with(Some(&pki.client), &tls12),
    )
    .expect("TLS 1.2 handshake");
    assert_eq!(
        client.tls.conn.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
    let resp = client
        .request(&post(&event_list(&[event("t")])))
        .expect("response");
    assert_eq!(resp.status, 200);
    assert_eq!(
        rec.batches()[0].client_subject.as_deref(),
        Some("CN=kube-apiserver,O=system:masters")
    );
    let refused = Client::connect(
        server.local_addr(),
        pki.client_config_with(Some(&pki.stranger), &tls12),
    )
    .and_then(|mut c| c.request(&post(&event_list(&[event("u")]))));
    assert!(refused.is_err(), "an untrusted TLS 1.2 client was answered");
    assert_eq!(rec.batches().len(), 1);
    server.stop();
}

#[test]
fn stop_lets_a_request_in_flight_finish() {
    let pki = Pki::new();
    let (entered_tx, entered_rx) = std::sync::mpsc::channel();
    let entered_tx = Mutex::new(entered_tx);
    let handler: Handler = Arc::new(move |_batch| {
        entered_tx.lock().expect("lock").send(()).expect("signal");
        std::thread::sleep(Duration::from_millis(300));
        Ok(())
    });
    let server = WebhookServer::start(&pki.config(false), handler).expect("start");
    let mut client = Client::connect(server.local_addr(), pki.client_config(None)).expect("tls");
    let request = std::thread::spawn(move || client.request(&post(&event_list(&[event("f")]))));
    entered_rx
        .recv_timeout(Duration::from_secs(5))
        .expect("the handler was called");
    server.stop();
    let resp = request.join().expect("client thread").expect("response");
    assert_eq!(resp.status, 200, "the request in flight was answered");
    assert_eq!(resp.header("Connection"), Some("close"));
}

#[test]
fn malformed_requests_get_an_answer_and_the_server_keeps_serving() {
    let pki = Pki::new();
    let rec = Recorder::default();
    let server = WebhookServer::start(&pki.config(false), rec.handler()).expect("start");
    let cfg = pki.client_config(None);
    let long_head = format!(
        "POST / HTTP/1.1\r\nX-Long: {}\r\n\r\n",
        "a".repeat(20 << 10)
    );
    let cases: Vec<(&[u8], u16)> = vec![
        (b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400),
        (
            b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            400,
        ),
        (
            b"POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n",
            413,
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            400,
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcdeXX\r\n",
            400,
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n",
            413,
        ),
        (b"\x00\x01\x02 garbage\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\n folded: x\r\n\r\n", 400),
        (long_head.as_bytes(), 431),
    ];
    for (raw, status) in cases {
        let mut client = Client::connect(server.local_addr(), Arc::clone(&cfg)).expect("tls");
        let resp = client
            .request(raw)
            .expect("an answer, not a dropped connection");
        assert_eq!(
            resp.status,
            status,
            "{}",
            String::from_utf8_lossy(&raw[..40])
        );
        assert_eq!(resp.header("Connection"), Some("close"));
    }
    // not TLS at all
    let mut plain = TcpStream::connect(server.local_addr()).expect("connect");
    plain
        .write_all(b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        .expect("write");
    let mut sink = Vec::new();
    let _ = plain.read_to_end(&mut sink);
    assert!(!String::from_utf8_lossy(&sink).contains("HTTP/1.1 200"));
    let stats = wait_for_stats(&server, |s| s.tls_handshake_failures == 1);
    assert_eq!(stats.tls_handshake_failures, 1);

    let mut client = Client::connect(server.local_addr(), cfg).expect("tls");
    let resp = client
        .request(&post(&event_list(&[event("ok")])))
        .expect("response");
    assert_eq!(resp.status, 200);
    assert_eq!(rec.batches().len(), 1);
    server.stop();
}
