//! End-to-end tests of `bulwark sensor` on the real kernel: the binary runs as a sensor while
//! attack steps run on the host and inside a podman container (runc, overlay storage under a
//! private root, so files written in the container sit in an overlay upper layer), then it is
//! stopped with SIGTERM and its Falco-format alerts are compared with the steps, exactly.
//! Needs root, podman and runc: without them the tests say why and pass, except under CI
//! (`CI` set), where they fail.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use bulwark_sensor::testing::Podman;
use serde_json::Value;

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    })
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Every sensor sees the whole host: the tests take turns so that one test's steps do not
/// show up among another's alerts.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether the test can run; prints why not (and fails under CI).
fn can_run(need_podman: bool) -> bool {
    let missing = if !is_root() {
        Some("needs root (eBPF)")
    } else if need_podman && (!have("podman") || !have("runc")) {
        Some("needs podman and runc (`cargo xtask setup` installs them)")
    } else {
        None
    };
    match missing {
        None => true,
        Some(why) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "under CI this test must run: {why}"
            );
            eprintln!("skipped: {why}");
            false
        }
    }
}

/// A running `bulwark sensor`, writing alerts to a file.
struct SensorRun {
    child: Child,
    alerts: PathBuf,
    stderr: std::sync::mpsc::Receiver<String>,
}

impl SensorRun {
    fn start(dir: &Path, extra: &[&str]) -> SensorRun {
        let alerts = dir.join("alerts.jsonl");
        let mut child = Command::new(env!("CARGO_BIN_EXE_bulwark"))
            .args(["sensor", "--dedup-window", "0", "-o"])
            .arg(&alerts)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting bulwark sensor");
        let (tx, rx) = std::sync::mpsc::channel();
        let err = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let run = SensorRun {
            child,
            alerts,
            stderr: rx,
        };
        // Ready once the hooks are reported; lines seen on the way are kept for the test.
        let deadline = Instant::now() + Duration::from_secs(30);
        let (keep_tx, keep_rx) = std::sync::mpsc::channel();
        loop {
            let line = run
                .stderr
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("the sensor reports its hooks within 30 s");
            let done = line.starts_with("hook sys_exit");
            let _ = keep_tx.send(line);
            if done {
                break;
            }
        }
        // Lines read so far come first, then the live ones.
        let (tx, rx) = std::sync::mpsc::channel();
        let live = run.stderr;
        std::thread::spawn(move || {
            for l in keep_rx.try_iter() {
                let _ = tx.send(l);
            }
            for l in live {
                let _ = tx.send(l);
            }
        });
        let run = SensorRun { stderr: rx, ..run };
        std::thread::sleep(Duration::from_millis(300));
        run
    }

    /// SIGTERM, then the exit status, the rest of stderr and the alerts.
    fn stop(mut self) -> (std::process::ExitStatus, String, Vec<Value>) {
        std::thread::sleep(Duration::from_millis(500));
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().expect("the sensor exits");
        let rest: Vec<String> = self.stderr.try_iter().collect();
        let alerts = std::fs::read_to_string(&self.alerts)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("each alert line is JSON"))
            .collect();
        (status, rest.join("\n"), alerts)
    }
}

fn counts(alerts: &[Value], keep: impl Fn(&Value) -> bool) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for a in alerts.iter().filter(|a| keep(a)) {
        *m.entry(a["rule"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    m
}

fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("running a step");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn host_attack_steps_give_exactly_their_alerts_and_the_sensor_stops_cleanly() {
    if !can_run(false) {
        return;
    }
    let _turn = serial();
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("bwk-{}", std::process::id());
    let sensor = SensorRun::start(dir.path(), &[]);
    // RT005: a password-hash read by a program with no business there.
    run_ok(Command::new("cat").arg("/etc/shadow").stdout(Stdio::null()));
    // RT013: a program run from /tmp.
    let tmp_exe = std::env::temp_dir().join(&marker);
    std::fs::copy("/bin/true", &tmp_exe).unwrap();
    run_ok(&mut Command::new(&tmp_exe));
    std::fs::remove_file(&tmp_exe).unwrap();
    // RT014: a shell whose stdin is a TCP connection (a reverse shell), on loopback.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let stream = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (_server_side, _) = listener.accept().unwrap();
    let fd: std::os::fd::OwnedFd = stream.into();
    run_ok(
        Command::new("/bin/sh")
            .args(["-c", "exit 0"])
            .stdin(Stdio::from(fd)),
    );
    // RT008: a kernel module load attempt (finit_module on fd -1 fails with EBADF). A kernel
    // without CONFIG_MODULES (no /proc/modules; this machine's) has no such call and no
    // tracepoint for it: the sensor says so at start and the attempt, which cannot succeed,
    // is not seen.
    run_ok(Command::new("python3").args([
        "-c",
        "import ctypes; ctypes.CDLL(None, use_errno=True).syscall(313, -1, b'', 0)",
    ]));
    let (status, stderr, alerts) = sensor.stop();
    assert!(
        status.success(),
        "SIGTERM ends the sensor with 0: {status:?}\n{stderr}"
    );
    assert!(stderr.contains("0 lost in the kernel"), "{stderr}");
    let ours = |a: &Value| {
        let f = &a["output_fields"];
        a["output"].as_str().is_some_and(|o| o.contains(&marker))
            || f["fd.name"] == "/etc/shadow"
            || f["proc.stdin.type"] == "ipv4"
            || a["rule"] == "Kernel module loaded"
    };
    let got = counts(&alerts, ours);
    let want: BTreeMap<String, usize> = [
        ("Read of sensitive file by untrusted program", 1),
        ("Execution from a temporary directory or memory", 1),
        ("Reverse shell", 1),
        ("Kernel module loaded", 1),
    ]
    .into_iter()
    .filter(|(r, _)| *r != "Kernel module loaded" || Path::new("/proc/modules").exists())
    .map(|(r, n)| (r.to_string(), n))
    .collect();
    assert_eq!(got, want, "alerts: {alerts:#?}");
    // Falco's JSON alert shape.
    let a = alerts
        .iter()
        .find(|a| a["rule"] == "Reverse shell")
        .unwrap();
    common::assert_falco_alert(a);
    assert_eq!(a["priority"], "Critical");
    assert_eq!(a["source"], "syscall");
    assert!(
        a["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "T1059.004")
    );
    assert!(a["tags"].as_array().unwrap().iter().any(|t| t == "RT014"));
}

/// Runs `sh -c script` in the container as `user`; the exit status is not checked (some steps
/// are meant to fail, like a mount without privileges).
/// Loads the shared `alpine-base` image into the private podman; its reference.
fn load_alpine(podman: &Podman) -> String {
    let image = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/images/alpine-base.oci.tar")
        .canonicalize()
        .expect("../shared/images/alpine-base.oci.tar (the shared test data)");
    let loaded = podman.ok(&["load", "-q", "-i", &image.display().to_string()]);
    loaded.rsplit(": ").next().unwrap().trim().to_string()
}

fn sh(podman: &Podman, ctr: &str, user: &str, script: &str) {
    let _ = podman
        .command()
        .args(["exec", "--user", user, ctr, "sh", "-c", script])
        .output()
        .expect("podman exec");
}

#[test]
fn container_attack_steps_give_exactly_their_alerts_and_benign_work_none() {
    if !can_run(true) {
        return;
    }
    let _turn = serial();
    let podman = Podman::new("cli-sensor");
    let image_ref = load_alpine(&podman);
    let id = podman.ok(&[
        "run",
        "-d",
        "--network",
        "host",
        "--name",
        "shop",
        &image_ref,
        "sleep",
        "600",
    ]);
    let short = &id[..12];
    let dir = tempfile::tempdir().unwrap();
    let sensor = SensorRun::start(dir.path(), &[]);

    // Benign work first: nothing may fire for it.
    sh(
        &podman,
        "shop",
        "app",
        "ls / >/dev/null; cat /etc/hostname >/dev/null; date >/dev/null",
    );
    // RT001: an interactive shell (podman exec -t gives it a terminal).
    let _ = podman
        .command()
        .args(["exec", "-t", "shop", "sh", "-c", "true"])
        .output();
    // RT004: a package manager.
    sh(&podman, "shop", "root", "apk --version >/dev/null");
    // RT007, then RT003: a binary written below /usr/local/bin, then run (drift).
    sh(
        &podman,
        "shop",
        "root",
        "cp /bin/busybox /usr/local/bin/dropper",
    );
    sh(&podman, "shop", "root", "/usr/local/bin/dropper true");
    // RT006: the service-account token read by cat.
    sh(
        &podman,
        "shop",
        "root",
        "mkdir -p /var/run/secrets/kubernetes.io/serviceaccount && printf t > /var/run/secrets/kubernetes.io/serviceaccount/token",
    );
    sh(
        &podman,
        "shop",
        "root",
        "cat /var/run/secrets/kubernetes.io/serviceaccount/token >/dev/null",
    );
    // RT010: a mount attempt (refused without privileges; the attempt is the signal).
    sh(&podman, "shop", "root", "mount -t tmpfs none /mnt");
    // RT018: netcat (busybox nc) in the container.
    sh(&podman, "shop", "root", "nc -h 2>/dev/null; true");
    // RT015: a connection to a mining pool port (127.0.0.2: loopback, nothing listens).
    sh(
        &podman,
        "shop",
        "root",
        "nc -w 1 127.0.0.2 3333 </dev/null 2>/dev/null; true",
    );
    // RT017: a log truncated.
    sh(
        &podman,
        "shop",
        "root",
        "mkdir -p /var/log && : > /var/log/app.log",
    );
    // RT016: a non-root user runs a setuid-root program.
    sh(
        &podman,
        "shop",
        "root",
        "cp /bin/busybox /usr/local/bin/suidbox && chmod 4755 /usr/local/bin/suidbox",
    );
    sh(&podman, "shop", "app", "/usr/local/bin/suidbox true");

    let (status, stderr, alerts) = sensor.stop();
    assert!(status.success(), "{status:?}\n{stderr}");
    let in_container = |a: &Value| a["output_fields"]["container.id"] == short;
    let got = counts(&alerts, in_container);
    let want: BTreeMap<String, usize> = [
        ("Interactive shell in container", 1),
        ("Package manager in running container", 1),
        ("Write below binary directory", 2),
        ("Drift - executable not in the image", 1),
        (
            "Service account token or Secret read by a tool in container",
            1,
        ),
        ("Mount in container", 1),
        ("Network tool in container", 2),
        ("Outbound connection to a cryptomining pool port", 1),
        ("Log file cleared", 1),
        (
            "Privilege escalation through a setuid program in container",
            1,
        ),
    ]
    .into_iter()
    .map(|(r, n)| (r.to_string(), n))
    .collect();
    assert_eq!(
        got,
        want,
        "alerts in the container: {:#?}",
        alerts
            .iter()
            .filter(|a| in_container(a))
            .collect::<Vec<_>>()
    );
}

/// A loopback HTTP receiver that records request bodies.
fn receiver(listener: std::net::TcpListener) -> std::sync::mpsc::Receiver<String> {
    use std::io::{Read, Write};
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut len = 0usize;
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = tx.send(String::from_utf8_lossy(&body).to_string());
        }
    });
    rx
}

#[test]
fn webhook_alerts_survive_a_receiver_outage_and_metrics_count_them() {
    if !can_run(false) {
        return;
    }
    let _turn = serial();
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    // A port with nothing listening yet: the first alert cannot be delivered.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/alerts");
    let sensor = SensorRun::start(
        dir.path(),
        &[
            "--webhook",
            &url,
            "--spool",
            &spool.display().to_string(),
            "--metrics",
            "127.0.0.1:0",
        ],
    );
    run_ok(Command::new("cat").arg("/etc/shadow").stdout(Stdio::null()));
    // Retries take a few hundred milliseconds; then the alert waits in the spool.
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_dir(&spool).map_or(0, Iterator::count) == 0 {
        assert!(
            Instant::now() < deadline,
            "the undelivered alert was not spooled"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The receiver comes back; a second alert follows.
    let bodies = receiver(std::net::TcpListener::bind(("127.0.0.1", port)).unwrap());
    run_ok(
        Command::new("head")
            .args(["-c", "1", "/etc/gshadow"])
            .stdout(Stdio::null()),
    );
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while got.len() < 2 && Instant::now() < deadline {
        if let Ok(b) = bodies.recv_timeout(Duration::from_millis(200)) {
            got.push(serde_json::from_str::<Value>(&b).expect("a JSON alert per request"));
        }
    }
    let files: Vec<&str> = got
        .iter()
        .map(|a| {
            a["output_fields"]["fd.name"]
                .as_str()
                .unwrap_or_else(|| panic!("{got:#?}"))
        })
        .collect();
    assert_eq!(
        files,
        ["/etc/shadow", "/etc/gshadow"],
        "spooled first, in order"
    );
    // Metrics: find the address the sensor printed.
    let addr = loop {
        let line = sensor
            .stderr
            .recv_timeout(Duration::from_secs(5))
            .expect("the metrics address");
        if let Some(rest) = line.strip_prefix("bulwark sensor: metrics at http://") {
            break rest.trim_end_matches("/metrics").to_string();
        }
    };
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    std::io::Write::write_all(&mut s, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut s, &mut text).unwrap();
    assert!(
        text.contains(
            "bulwark_sensor_alerts_total{rule=\"Read of sensitive file by untrusted program\"} 2"
        ),
        "{text}"
    );
    assert!(
        text.contains("bulwark_sensor_events_lost_total 0"),
        "{text}"
    );
    let (status, stderr, _) = sensor.stop();
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("0 still in the spool"), "{stderr}");
}

#[test]
fn rules_check_validates_falco_rule_files_with_file_and_line() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/runtime");
    let ok = Command::new(env!("CARGO_BIN_EXE_bulwark"))
        .args(["rules", "check"])
        .arg(shared.join("falco-rules/falco_rules.yaml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&ok.stderr);
    assert!(ok.status.success(), "{err}");
    assert!(err.contains("25 rules: 25 enabled"), "{err}");
    assert!(
        err.contains("23 of the 25 enabled syscall rules run fully"),
        "{err}"
    );
    let bad = Command::new(env!("CARGO_BIN_EXE_bulwark"))
        .args(["rules", "check"])
        .arg(shared.join("falco-0.35.1-tests/rules/invalid_macro_comple_error.yaml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(1), "{err}");
    assert!(
        err.contains("invalid_macro_comple_error.yaml:1: LOAD_ERR_VALIDATE macro macro with comp error: Undefined macro 'gak' used in filter."),
        "{err}"
    );
    // The built-in rules load too (no FILE: the built-in sets are checked).
    let builtin = Command::new(env!("CARGO_BIN_EXE_bulwark"))
        .args(["rules", "check"])
        .output()
        .unwrap();
    assert!(
        builtin.status.success(),
        "{}",
        String::from_utf8_lossy(&builtin.stderr)
    );
}

/// The privileged-session record (AU016): a recorded `kubectl exec` audit event, and the live
/// processes the sensor sees that exec run in a pod's container, joined into one record naming
/// the user, the pod, the container, the command and every process.
#[test]
fn an_audited_exec_and_its_live_processes_make_one_session_record() {
    if !can_run(true) {
        return;
    }
    let _turn = serial();
    let mut podman = Podman::new("cli-session");
    let socket = podman.start_service();
    let image_ref = load_alpine(&podman);
    // a container as the kubelet labels a pod's
    podman.ok(&[
        "run",
        "-d",
        "--network",
        "host",
        "--name",
        "k8s_api_api-7d9",
        "--label",
        "io.kubernetes.pod.name=api-7d9",
        "--label",
        "io.kubernetes.pod.namespace=shop",
        "--label",
        "io.kubernetes.container.name=api",
        &image_ref,
        "sleep",
        "600",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.log");
    std::fs::write(&audit, "").unwrap();
    let sensor = SensorRun::start(
        dir.path(),
        &[
            "--audit-log",
            &audit.display().to_string(),
            "--podman-socket",
            &socket.display().to_string(),
        ],
    );
    // the container's metadata is looked up at its first event: let that happen first
    sh(&podman, "k8s_api_api-7d9", "root", "true");
    std::thread::sleep(Duration::from_millis(1500));

    let now = || {
        let ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        bulwark_rules::iso8601(u64::try_from(ns).unwrap(), "Z")
    };
    let script = "id >/dev/null; cat /etc/hostname >/dev/null";
    let audit_event = |stage: &str, code: u16, received: &str| {
        serde_json::json!({
            "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Request",
            "auditID": "5e55a7f2-0000-4000-8000-000000000001", "stage": stage,
            "requestURI": "/api/v1/namespaces/shop/pods/api-7d9/exec?command=sh&command=-c&command=id+%3E%2Fdev%2Fnull%3B+cat+%2Fetc%2Fhostname+%3E%2Fdev%2Fnull&container=api&stderr=true&stdout=true",
            "verb": "create",
            "user": {"username": "alice@example.com", "groups": ["devs", "system:authenticated"]},
            "sourceIPs": ["203.0.113.7"], "userAgent": "kubectl/v1.31.0",
            "objectRef": {"resource": "pods", "namespace": "shop", "name": "api-7d9",
                          "subresource": "exec", "apiVersion": "v1"},
            "responseStatus": {"code": code},
            "requestReceivedTimestamp": received, "stageTimestamp": now()
        })
        .to_string()
            + "\n"
    };
    let append = |line: String| {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&audit)
            .unwrap();
        f.write_all(line.as_bytes()).unwrap();
    };
    let received = now();
    append(audit_event("ResponseStarted", 101, &received));
    std::thread::sleep(Duration::from_millis(600));
    sh(&podman, "k8s_api_api-7d9", "root", script);
    std::thread::sleep(Duration::from_millis(800));
    append(audit_event("ResponseComplete", 101, &received));
    std::thread::sleep(Duration::from_millis(800));
    let (status, stderr, alerts) = sensor.stop();
    assert!(status.success(), "{stderr}");
    let records: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["rule"] == "Privileged session record")
        .collect();
    assert_eq!(records.len(), 1, "{alerts:#?}\n{stderr}");
    let f = &records[0]["output_fields"];
    assert_eq!(f["ka.user.name"], "alice@example.com");
    assert_eq!(f["ka.target.namespace"], "shop");
    assert_eq!(f["ka.target.name"], "api-7d9");
    assert_eq!(f["container.name"], "api");
    assert_eq!(f["ka.sourceips"][0], "203.0.113.7");
    assert!(f["bulwark.session.root_pid"].as_u64().is_some(), "{f:#}");
    assert!(f["bulwark.session.ended"].is_string(), "{f:#}");
    let processes: Vec<&str> = f["bulwark.session.processes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        processes.first(),
        Some(&format!("sh -c {script}").as_str()),
        "{f:#}"
    );
    assert!(processes.contains(&"id"), "{processes:?}");
    assert!(processes.contains(&"cat /etc/hostname"), "{processes:?}");
    // the warm-up exec before the audited request is not part of it
    assert!(!processes.contains(&"true"), "{processes:?}");
    assert_eq!(
        records[0]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| *t == "AU016")
            .count(),
        1
    );
}
