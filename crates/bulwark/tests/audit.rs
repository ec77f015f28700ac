//! `bulwark audit` end to end: audit log files (plain, gzipped, with malformed lines) through
//! the built-in and Falco's rules into Falco-format alerts; following a growing log across a
//! restart without losing or repeating events; the webhook backend over real TLS with client
//! certificates (openssl makes them, curl posts as the API server would), acknowledging only
//! journaled batches.

mod common;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/runtime");
const EXAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../bulwark-audit/rules/examples.jsonl"
);

fn bulwark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bulwark"))
}

fn alerts(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn counts(alerts: &[Value]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for a in alerts {
        *m.entry(a["rule"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    m
}

/// The examples' events and how often each rule must fire on them (first match).
fn example_events() -> (Vec<Value>, BTreeMap<String, usize>) {
    let mut events = Vec::new();
    let mut want = BTreeMap::new();
    for line in std::fs::read_to_string(EXAMPLES).unwrap().lines() {
        let ex: Value = serde_json::from_str(line).unwrap();
        if ex["fires"] == true {
            *want
                .entry(ex["rule"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        events.push(ex["event"].clone());
    }
    (events, want)
}

fn jsonl(events: &[Value]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("bulwark-audit-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn files_give_falco_alerts_with_malformed_lines_counted_and_gzip_read() {
    let dir = tmp("files");
    let (events, want) = example_events();
    let half = events.len() / 2;
    let plain = dir.join("audit.log");
    // a malformed line in the middle: counted with its line, the rest read
    let mut text = jsonl(&events[..half]);
    text.push_str("{\"kind\": \"Pod\"}\nnot json at all\n");
    // a batch resent (same audit id and stage): evaluated once
    text.push_str(&jsonl(&events[..1]));
    std::fs::write(&plain, text).unwrap();
    let gz = dir.join("older.log.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(jsonl(&events[half..]).as_bytes()).unwrap();
    enc.finish().unwrap();

    let out = bulwark()
        .args(["audit", "--file"])
        .arg(&plain)
        .arg("--file")
        .arg(&gz)
        .args(["--dedup-window", "0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let got = alerts(&out);
    assert_eq!(counts(&got), want, "{stderr}");
    let line = half + 1;
    assert!(
        stderr.contains(&format!("{}:{line}: not an audit event", plain.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{} events, 2 malformed, 1 repeats dropped",
            events.len()
        )),
        "{stderr}"
    );
    // Falco's JSON alert shape, with our ids and MITRE tags
    let a = got
        .iter()
        .find(|a| a["rule"] == "Binding to a powerful role")
        .unwrap();
    common::assert_falco_alert(a);
    assert_eq!(a["source"], "k8s_audit");
    assert_eq!(a["priority"], "Warning");
    assert!(a["tags"].as_array().unwrap().contains(&json!("AU006")));
    assert!(a["tags"].as_array().unwrap().contains(&json!("T1098")));
    assert_eq!(a["output_fields"]["ka.req.binding.role"], "cluster-admin");
    assert_eq!(a["time"], "2026-11-27T10:00:00.120000000Z");
}

#[test]
fn falcos_audit_rules_run_on_falcos_traces() {
    let traces = Path::new(SHARED).join("falco-0.35.1-tests/trace_files/k8s_audit");
    let out = bulwark()
        .args([
            "audit",
            "--no-default-rules",
            "--failed-requests",
            "0",
            "--rules",
        ])
        .arg(Path::new(SHARED).join("falco-rules/k8s_audit_rules.yaml"))
        .arg("--file")
        .arg(traces.join("create_nginx_pod_privileged.json"))
        .arg("--file")
        .arg(traces.join("create_clusterrolebinding.json"))
        .arg("--file")
        .arg(traces.join("fal_01_003.json"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let got = counts(&alerts(&out));
    assert_eq!(
        got.get("Create Privileged Pod"),
        Some(&1),
        "{got:?}\n{stderr}"
    );
    assert_eq!(
        got.get("K8s ClusterRoleBinding Created"),
        Some(&1),
        "{got:?}\n{stderr}"
    );
    // Falco's own malformed-input case: counted, not fatal
    assert!(
        stderr.contains("fal_01_003.json:1: not an audit event"),
        "{stderr}"
    );
}

#[test]
fn brute_force_is_one_alert_per_burst() {
    let dir = tmp("brute");
    let denied: Vec<Value> = (0..45)
        .map(|i| {
            json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "stage": "ResponseComplete",
                   "auditID": format!("id-{i}"), "verb": "list",
                   "requestURI": "/api/v1/secrets", "user": {"username": "mallory"},
                   "sourceIPs": ["198.51.100.9"], "userAgent": "kubectl/v1.31.0",
                   "objectRef": {"resource": "secrets", "apiVersion": "v1"},
                   "responseStatus": {"code": 403},
                   "stageTimestamp": format!("2026-11-27T10:00:{:02}.000000Z", i)})
        })
        .collect();
    let f = dir.join("audit.log");
    std::fs::write(&f, jsonl(&denied)).unwrap();
    let out = bulwark()
        .args(["audit", "--dedup-window", "0", "--file"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(out.status.success());
    let got = alerts(&out);
    let brute: Vec<&Value> = got
        .iter()
        .filter(|a| a["rule"] == "Many failed requests from one identity")
        .collect();
    assert_eq!(brute.len(), 2, "45 denials, threshold 20: {got:#?}");
    assert_eq!(brute[0]["output_fields"]["ka.user.name"], "mallory");
    let off = bulwark()
        .args(["audit", "--failed-requests", "0", "--file"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        alerts(&off)
            .iter()
            .all(|a| a["rule"] != "Many failed requests from one identity")
    );
}

/// Runs `bulwark audit` until `until` holds for its alerts or 20 s pass, then SIGTERM.
fn run_until(cmd: &mut Command, until: impl Fn(&[Value]) -> bool) -> (Vec<Value>, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut got = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) && !until(&got) {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(100)) {
            got.push(serde_json::from_str(&l).unwrap());
        }
    }
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let mut stderr = String::new();
    {
        use std::io::Read as _;
        let mut e = child.stderr.take().unwrap();
        let _ = e.read_to_string(&mut stderr);
    }
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "SIGTERM ends bulwark audit with 0: {status:?}\n{stderr}"
    );
    while let Ok(l) = rx.recv_timeout(Duration::from_millis(500)) {
        got.push(serde_json::from_str(&l).unwrap());
    }
    (got, stderr)
}

#[test]
fn following_survives_rotation_and_a_restart_without_loss_or_repeats() {
    let dir = tmp("follow");
    let state = dir.join("state");
    let log = dir.join("audit.log");
    let (events, _) = example_events();
    let secret_read = |i: usize| {
        json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "stage": "ResponseComplete",
               "auditID": format!("follow-{i}"), "verb": "get",
               "requestURI": format!("/api/v1/namespaces/shop/secrets/s{i}"),
               "user": {"username": "alice"}, "sourceIPs": ["203.0.113.7"],
               "userAgent": "kubectl/v1.31.0",
               "objectRef": {"resource": "secrets", "namespace": "shop", "name": format!("s{i}")},
               "responseStatus": {"code": 200},
               "stageTimestamp": "2026-11-27T10:00:00.000000Z"})
    };
    drop(events);
    std::fs::write(&log, jsonl(&[secret_read(0), secret_read(1)])).unwrap();
    let cmd = || {
        let mut c = bulwark();
        c.args(["audit", "--follow", "--dedup-window", "0", "--file"])
            .arg(&log)
            .arg("--state-dir")
            .arg(&state);
        c
    };
    let names = |alerts: &[Value]| -> Vec<String> {
        alerts
            .iter()
            .map(|a| {
                a["output_fields"]["ka.target.name"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    // first run: the two existing events, then one appended and one after a rotation
    let log2 = log.clone();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&log2)
            .unwrap();
        f.write_all(jsonl(&[secret_read(2)]).as_bytes()).unwrap();
        drop(f);
        std::thread::sleep(Duration::from_millis(800));
        let rotated = log2.with_file_name("audit-2026-11-27T10-00-00.000.log");
        std::fs::rename(&log2, &rotated).unwrap();
        std::fs::write(&log2, jsonl(&[secret_read(3)])).unwrap();
    });
    let (first, stderr) = run_until(&mut cmd(), |a| a.len() >= 4);
    writer.join().unwrap();
    assert_eq!(names(&first), ["s0", "s1", "s2", "s3"], "{stderr}");
    // while stopped: two more events; the restart reads only those
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all(jsonl(&[secret_read(4), secret_read(5)]).as_bytes())
        .unwrap();
    drop(f);
    let (second, stderr) = run_until(&mut cmd(), |a| a.len() >= 2);
    assert_eq!(names(&second), ["s4", "s5"], "no loss, no repeat: {stderr}");
}

fn post(dir: &Path, port: u16, body: &str, client_cert: bool) -> Result<String, String> {
    let mut c = Command::new("curl");
    c.current_dir(dir).args([
        "-sS",
        "--max-time",
        "10",
        "--cacert",
        "ca.crt",
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        "@-",
        "-o",
        "response.txt",
        "-w",
        "%{http_code}",
    ]);
    if client_cert {
        c.args(["--cert", "client.crt", "--key", "client.key"]);
    }
    c.arg(format!("https://127.0.0.1:{port}/audit"));
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("curl (cargo xtask setup installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn the_webhook_takes_batches_from_authenticated_clients_and_a_restart_repeats_none() {
    let dir = tmp("webhook");
    bulwark_audit::testing::openssl_certificates(&dir).unwrap();
    let state = dir.join("state");
    let (events, want) = example_events();
    let list = |evs: &[Value]| {
        json!({"kind": "EventList", "apiVersion": "audit.k8s.io/v1",
                                       "items": evs})
        .to_string()
    };
    let port = free_port();
    let cmd = || {
        let mut c = bulwark();
        c.args([
            "audit",
            "--dedup-window",
            "0",
            "--failed-requests",
            "0",
            "--listen",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .args([
            "--tls-cert",
            "server.crt",
            "--tls-key",
            "server.key",
            "--client-ca",
            "ca.crt",
        ])
        .arg("--state-dir")
        .arg(&state)
        .current_dir(&dir);
        c
    };
    let total: usize = want.values().sum();
    let dir2 = dir.clone();
    let events2 = events.clone();
    let poster = std::thread::spawn(move || {
        // wait for the listener
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "the webhook never listened"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // no client certificate: refused in the handshake
        assert!(post(&dir2, port, &list(&events2), false).is_err());
        // the API server's batches, in two requests
        let half = events2.len() / 2;
        let a = post(&dir2, port, &list(&events2[..half]), true);
        let b = post(&dir2, port, &list(&events2[half..]), true);
        let bad = post(&dir2, port, "not json", true);
        (a, b, bad)
    });
    let (first, stderr) = run_until(&mut cmd(), |a| a.len() >= total);
    let (a, b, bad) = poster.join().unwrap();
    assert_eq!(a.as_deref(), Ok("200"), "{stderr}");
    assert_eq!(b.as_deref(), Ok("200"), "{stderr}");
    assert_eq!(bad.as_deref(), Ok("400"));
    assert_eq!(counts(&first), want, "{stderr}");
    assert!(stderr.contains("TLS handshake failures"), "{stderr}");
    // the journal holds what was acknowledged
    let journal = std::fs::read_to_string(state.join("webhook-journal.jsonl")).unwrap();
    assert_eq!(journal.lines().count(), events.len());
    // a restart: nothing repeated
    let second = cmd().arg("--duration").arg("2").output().unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "{stderr}");
    assert!(
        alerts(&second).is_empty(),
        "repeated after restart: {stderr}"
    );
}
