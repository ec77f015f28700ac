//! The load generator of `cargo xtask bench-audit`: POSTs `EventList` batches to an audit
//! webhook over one keep-alive TLS connection with a client certificate, as the API server's
//! webhook backend does, at a fixed event rate, and prints a JSON summary of the latencies.
//!
//! `webhook_load ADDR CA_PEM CERT_PEM KEY_PEM EVENTS_PER_SEC BATCH SECS EVENTS_JSONL`
//!
//! Latency is measured from each batch's scheduled send time to the end of its response, so a
//! server that falls behind is charged for the wait (no coordinated omission).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

fn main() {
    if let Err(e) = run() {
        eprintln!("webhook_load: {e}");
        std::process::exit(1);
    }
}

fn arg(args: &[String], i: usize) -> Result<&str, String> {
    args.get(i).map(String::as_str).ok_or_else(|| {
        "usage: webhook_load ADDR CA CERT KEY EVENTS_PER_SEC BATCH SECS EVENTS_JSONL".to_string()
    })
}

// counts and rates far below 2^52; a batch count is positive and small
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let addr = arg(&args, 1)?.to_string();
    let read = |i: usize| std::fs::read(arg(&args, i)?).map_err(|e| format!("{}: {e}", args[i]));
    let (ca, cert, key) = (read(2)?, read(3)?, read(4)?);
    let rate: f64 = arg(&args, 5)?.parse().map_err(|e| format!("rate: {e}"))?;
    let batch: usize = arg(&args, 6)?.parse().map_err(|e| format!("batch: {e}"))?;
    let secs: f64 = arg(&args, 7)?.parse().map_err(|e| format!("secs: {e}"))?;
    let events: Vec<serde_json::Value> = std::fs::read_to_string(arg(&args, 8)?)
        .map_err(|e| format!("{}: {e}", args[8]))?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", args[8]))?;
    if events.is_empty() || batch == 0 || rate <= 0.0 {
        return Err("no events, or a zero batch or rate".into());
    }

    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(&ca).map_err(|e| format!("CA: {e}"))?)
        .map_err(|e| format!("CA: {e}"))?;
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_slice(&cert).map_err(|e| format!("cert: {e}"))?],
                PrivateKeyDer::from_pem_slice(&key).map_err(|e| format!("key: {e}"))?,
            )
            .map_err(|e| e.to_string())?;
    let tcp = TcpStream::connect(&addr).map_err(|e| format!("{addr}: {e}"))?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let conn = ClientConnection::new(
        Arc::new(config),
        ServerName::try_from("127.0.0.1").map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let mut tls = BufReader::new(StreamOwned::new(conn, tcp));

    let interval = Duration::from_secs_f64(batch as f64 / rate);
    let batches = ((secs * rate) / batch as f64).ceil() as usize;
    let start = Instant::now();
    let mut latencies = Vec::with_capacity(batches);
    let mut sent = 0usize;
    let mut errors = 0usize;
    for b in 0..batches {
        let due = start + interval * u32::try_from(b).map_err(|e| e.to_string())?;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        // each event its own audit id, as the API server sends them (repeats are dropped)
        let items: Vec<String> = (0..batch)
            .map(|i| {
                let n = b * batch + i;
                let mut e = events[n % events.len()].clone();
                e["auditID"] = format!("load-{n:09}").into();
                e.to_string()
            })
            .collect();
        let body = format!(
            r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{{}},"items":[{}]}}"#,
            items.join(",")
        );
        let head = format!(
            "POST /audit HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let stream = tls.get_mut();
        stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(body.as_bytes()))
            .and_then(|()| stream.flush())
            .map_err(|e| format!("sending: {e}"))?;
        let status = response(&mut tls)?;
        latencies.push(due.elapsed().as_secs_f64() * 1e3);
        if status == 200 {
            sent += batch;
        } else {
            errors += 1;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i]
    };
    println!(
        "{{\"requests\":{},\"events\":{sent},\"errors\":{errors},\"seconds\":{elapsed:.3},\"p50_ms\":{:.3},\"p99_ms\":{:.3},\"max_ms\":{:.3}}}",
        latencies.len(),
        pct(0.50),
        pct(0.99),
        latencies.last().copied().unwrap_or(0.0)
    );
    Ok(())
}

/// Reads one response; its status.
fn response(r: &mut impl BufRead) -> Result<u16, String> {
    let mut line = String::new();
    r.read_line(&mut line)
        .map_err(|e| format!("reading: {e}"))?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {line:?}"))?;
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        r.read_line(&mut h).map_err(|e| format!("reading: {e}"))?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().map_err(|_| format!("bad length {v:?}"))?;
        }
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body)
        .map_err(|e| format!("reading: {e}"))?;
    Ok(status)
}
