//! The sensor on the real kernel (root only): events from processes, opens and sockets of this
//! test arrive with the right fields; the fallback to raw tracepoints works; losses are counted.

use std::io::Read as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use bulwark_sensor::{
    AttachKind, Event, EventKind, FdType, PathRule, Sensor, SensorConfig, Syscall, SyscallDetail,
    container_from_cgroup, proc_cgroup_path,
};

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("Uid:")
                    .map(|r| r.split_whitespace().nth(1) == Some("0"))
            })
        })
        .unwrap_or(false)
}

fn skip_unless_root() -> bool {
    if is_root() {
        return false;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "the sensor tests need root, and CI runs as root"
    );
    eprintln!("skipping: loading BPF programs needs root");
    true
}

/// A directory only this test watches.
fn scratch_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bulwark-sensor-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creating the scratch directory");
    dir
}

/// Collects events until `done` says all were seen, or the deadline passes.
fn collect(sensor: &Sensor, secs: u64, mut done: impl FnMut(&[Event]) -> bool) -> Vec<Event> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Some(e) = sensor.next_event(Duration::from_millis(100)) {
            seen.push(e);
            if done(&seen) {
                break;
            }
        }
    }
    seen
}

/// Tests whose own sockets another test's sensor would see (both filter by this process's pid)
/// run one at a time.
static SOCKETS: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn exec_of(events: &[Event], pid: u32) -> Option<&Event> {
    events
        .iter()
        .find(|e| e.pid == pid && matches!(e.kind, EventKind::Exec(_)))
}

#[test]
fn host_exec_open_and_socket_events_arrive() {
    if skip_unless_root() {
        return;
    }
    let _serial = SOCKETS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = scratch_dir("host");
    let unwatched = scratch_dir("unwatched");
    let watched_file = dir.join("token");
    std::fs::write(&watched_file, b"fake").expect("writing the watched file");
    std::fs::write(unwatched.join("other"), b"x").expect("writing the unwatched file");
    let mut rules = bulwark_sensor::default_path_rules();
    rules.push(PathRule::any(&format!("{}/", dir.display())));
    let sensor = Sensor::start(&SensorConfig {
        path_rules: rules,
        ignore_self: false,
        ..SensorConfig::default()
    })
    .expect("starting the sensor");
    eprintln!("{}", sensor.capabilities());
    assert!(
        sensor
            .capabilities()
            .hooks
            .iter()
            .all(|h| h.attached.is_some()),
        "{}",
        sensor.capabilities()
    );
    // per-syscall tracepoints (the sensor mounts tracefs when it is not mounted)
    let sys = sensor.capabilities().hooks.last().unwrap();
    assert_eq!(
        (sys.name, sys.attached),
        ("sys_exit", Some(AttachKind::Tracepoint)),
        "{}",
        sensor.capabilities()
    );

    let me = std::process::id();
    let mut child = Command::new("/bin/true")
        .arg("--bulwark")
        .spawn()
        .expect("running /bin/true");
    let child_pid = child.id();
    assert!(child.wait().expect("waiting for /bin/true").success());

    let mut content = String::new();
    std::fs::File::open(&watched_file)
        .and_then(|mut f| f.read_to_string(&mut content))
        .expect("reading");
    std::fs::read(unwatched.join("other")).expect("reading the unwatched file");

    let listener = TcpListener::bind("127.0.0.1:0").expect("binding a loopback listener");
    let server: SocketAddr = listener.local_addr().expect("listener address");
    let client = TcpStream::connect(server).expect("connecting");
    let client_addr = client.local_addr().expect("client address");
    let (_conn, peer) = listener.accept().expect("accepting");
    assert_eq!(peer, client_addr);

    let path = watched_file.display().to_string();
    let is_open = |e: &Event, p: &str| matches!(&e.kind, EventKind::Syscall(s) if matches!(&s.detail, SyscallDetail::Open { path, .. } if path == p));
    let socket = |e: &Event, sc: Syscall| -> bool {
        e.pid == me && matches!(&e.kind, EventKind::Syscall(s) if s.syscall == sc)
    };
    let events = collect(&sensor, 10, |seen| {
        exec_of(seen, child_pid).is_some()
            && seen
                .iter()
                .any(|e| e.pid == child_pid && matches!(e.kind, EventKind::Exit(_)))
            && seen.iter().any(|e| is_open(e, &path))
            && seen.iter().any(|e| socket(e, Syscall::Connect))
            && seen
                .iter()
                .any(|e| socket(e, Syscall::Accept) || socket(e, Syscall::Accept4))
    });

    // exec: the program, its arguments, its parent, its directory, its container
    let exec = exec_of(&events, child_pid).expect("an exec event for /bin/true");
    let EventKind::Exec(x) = &exec.kind else {
        unreachable!()
    };
    assert_eq!(x.filename, "/bin/true");
    assert_eq!(x.args, ["/bin/true", "--bulwark"]);
    assert_eq!(exec.ppid, me);
    assert_eq!(exec.uid, 0);
    assert_eq!(x.euid, 0);
    assert_eq!(exec.comm, "true");
    assert_eq!(
        x.cwd,
        std::env::current_dir().expect("cwd").display().to_string()
    );
    assert!(!x.exe_upper_layer && !x.exe_memfd);
    let meta = std::fs::metadata("/bin/true").expect("stat /bin/true");
    assert_eq!(x.exe_ino, std::os::unix::fs::MetadataExt::ino(&meta));
    assert_ne!(exec.cgroup_id, 0);
    let own_ns = std::fs::read_link("/proc/self/ns/mnt")
        .expect("mount namespace")
        .display()
        .to_string();
    assert_eq!(own_ns, format!("mnt:[{}]", exec.mntns));
    let own_container =
        proc_cgroup_path(std::path::Path::new("/proc"), me).and_then(|p| container_from_cgroup(&p));
    assert_eq!(exec.container, own_container);
    let table = sensor.processes();
    let table = table.read().expect("process table");
    assert_eq!(
        table.get(child_pid).map(|p| p.exe.as_str()),
        Some("/bin/true")
    );
    assert_eq!(table.ancestor(child_pid, 1).map(|p| p.pid), Some(me));
    drop(table);

    let exit = events
        .iter()
        .find(|e| e.pid == child_pid && matches!(e.kind, EventKind::Exit(_)));
    let Some(EventKind::Exit(exit_status)) = exit.map(|e| &e.kind) else {
        panic!("no exit event for /bin/true")
    };
    assert_eq!(exit_status.code(), Some(0));

    // the watched open, with flags and result; the unwatched one filtered in the kernel
    let open = events
        .iter()
        .find(|e| is_open(e, &path))
        .expect("an open event for the watched file");
    assert_eq!(open.pid, me);
    let EventKind::Syscall(s) = &open.kind else {
        unreachable!()
    };
    assert!(s.ret >= 0, "open returned {}", s.ret);
    // the caller's effective capabilities, as /proc/self/status states them
    let proc_status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let cap_eff = proc_status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .map(|v| u64::from_str_radix(v.trim(), 16).expect("hex"))
        .expect("CapEff");
    assert_eq!(s.cap_effective, Some(cap_eff));
    assert!(
        bulwark_sensor::capability_names(cap_eff).contains("CAP_SYS_ADMIN"),
        "root has CAP_SYS_ADMIN"
    );
    let SyscallDetail::Open { flags, .. } = &s.detail else {
        unreachable!()
    };
    assert_eq!(flags & 0o3, 0, "opened read-only");
    let other = unwatched.join("other").display().to_string();
    assert!(
        !events.iter().any(|e| is_open(e, &other)),
        "an unwatched path was reported"
    );

    // the connection from both ends
    let conn = events
        .iter()
        .find(|e| socket(e, Syscall::Connect))
        .expect("a connect event");
    let EventKind::Syscall(s) = &conn.kind else {
        unreachable!()
    };
    assert_eq!(s.ret, 0);
    let SyscallDetail::Socket(d) = &s.detail else {
        panic!("{:?}", s.detail)
    };
    assert_eq!(d.family, 2);
    assert_eq!(d.remote, Some(server));
    assert_eq!(d.local, Some(client_addr));
    let acc = events
        .iter()
        .find(|e| socket(e, Syscall::Accept) || socket(e, Syscall::Accept4))
        .expect("an accept event");
    let EventKind::Syscall(s) = &acc.kind else {
        unreachable!()
    };
    let SyscallDetail::Socket(d) = &s.detail else {
        panic!("{:?}", s.detail)
    };
    assert_eq!(d.remote, Some(client_addr));
    assert_eq!(d.local, Some(server));
    let bind = events
        .iter()
        .find(|e| socket(e, Syscall::Bind))
        .expect("a bind event");
    let EventKind::Syscall(s) = &bind.kind else {
        unreachable!()
    };
    let SyscallDetail::Socket(d) = &s.detail else {
        panic!("{:?}", s.detail)
    };
    assert_eq!(d.local, Some("127.0.0.1:0".parse().expect("address")));

    // counters are exported per CPU
    let stats = sensor.stats();
    let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    assert!(stats.lost_per_cpu.len() >= cpus, "{stats:?}");
    assert!(stats.submitted > 0 && stats.delivered > 0, "{stats:?}");
    let final_stats = sensor.stop();
    assert!(final_stats.delivered >= stats.delivered);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&unwatched);
}

/// A reverse shell's shape: a child whose stdin is a connected TCP socket, stdout a pipe and
/// stderr /dev/null; the exec reports each descriptor's type, and the socket's addresses.
#[test]
fn exec_reports_the_type_of_stdio_descriptors() {
    if skip_unless_root() {
        return;
    }
    let _serial = SOCKETS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let sensor = Sensor::start(&SensorConfig {
        syscalls: Vec::new(),
        ignore_self: false,
        ..SensorConfig::default()
    })
    .expect("starting the sensor");
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding a loopback listener");
    let server = listener.local_addr().expect("listener address");
    let stream = TcpStream::connect(server).expect("connecting");
    let client = stream.local_addr().expect("client address");
    let (_conn, _) = listener.accept().expect("accepting");
    let mut child = Command::new("/bin/sh")
        .args(["-c", "exit 0"])
        .stdin(std::process::Stdio::from(std::os::fd::OwnedFd::from(
            stream,
        )))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("running /bin/sh");
    let pid = child.id();
    assert!(child.wait().expect("waiting for sh").success());
    let events = collect(&sensor, 10, |seen| exec_of(seen, pid).is_some());
    let exec = exec_of(&events, pid).expect("the shell's exec");
    let EventKind::Exec(x) = &exec.kind else {
        unreachable!()
    };
    assert_eq!(x.stdin().fd_type, FdType::Ipv4, "{:?}", x.stdio);
    assert_eq!(x.stdin().fd_type.falco_type(), Some("ipv4"));
    assert_eq!(x.stdin().local, Some(client));
    assert_eq!(x.stdin().remote, Some(server));
    assert_eq!(x.stdout().fd_type, FdType::Pipe);
    assert_eq!(x.stdout().fd_type.falco_type(), Some("pipe"));
    assert_eq!(x.stderr().fd_type, FdType::CharDevice);
    assert_eq!(x.stderr().rdev, Some((1, 3)), "/dev/null is 1:3");
    assert_eq!(x.stderr().fd_type.falco_type(), Some("file"));
    assert!(!x.stderr().is_tty());
    let table = sensor.processes();
    let stdio = table.read().unwrap().get(pid).and_then(|p| p.stdio);
    assert_eq!(
        stdio,
        Some([FdType::Ipv4, FdType::Pipe, FdType::CharDevice]),
        "the process table keeps the stdio types"
    );

    // and a closed stdin is reported as closed
    let mut child = Command::new("/bin/sh")
        .args(["-c", "exec 0<&-; exec /bin/true"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("running /bin/sh");
    let pid = child.id();
    assert!(child.wait().expect("waiting for sh").success());
    let events = collect(&sensor, 10, |seen| {
        seen.iter().any(|e| {
            e.pid == pid && matches!(&e.kind, EventKind::Exec(x) if x.filename == "/bin/true")
        })
    });
    let x = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Exec(x) if e.pid == pid && x.filename == "/bin/true" => Some(x),
            _ => None,
        })
        .expect("the exec of /bin/true");
    assert_eq!(x.stdin().fd_type, FdType::Closed);
    assert_eq!(x.stdout().fd_type, FdType::CharDevice);
}

#[test]
fn raw_tracepoint_fallback_reports_execs_and_syscalls() {
    if skip_unless_root() {
        return;
    }
    let sensor = Sensor::start(&SensorConfig {
        force_raw_tracepoints: true,
        syscalls: vec![Syscall::Openat, Syscall::FinitModule],
        path_rules: vec![PathRule::any("/etc/hostname")],
        ..SensorConfig::default()
    })
    .expect("starting the sensor");
    let hooks = &sensor.capabilities().hooks;
    assert_eq!(hooks[0].attached, Some(AttachKind::RawTracepoint));
    let sys = hooks.last().unwrap();
    assert_eq!(
        (sys.name, sys.attached),
        ("sys_exit", Some(AttachKind::RawTracepoint))
    );
    // raw_syscalls:sys_exit sees every call, including one this kernel may not implement
    // (finit_module on fd -1: EBADF, or ENOSYS without CONFIG_MODULES)
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import ctypes; open('/etc/hostname').read(); \
             ctypes.CDLL(None, use_errno=True).syscall(313, -1, b'', 0)",
        ])
        .spawn()
        .expect("running python3");
    let pid = child.id();
    assert!(child.wait().expect("waiting").success());
    let syscall_of = |e: &Event, sc: Syscall| {
        e.pid == pid && matches!(&e.kind, EventKind::Syscall(s) if s.syscall == sc)
    };
    let events = collect(&sensor, 10, |seen| {
        exec_of(seen, pid).is_some()
            && seen.iter().any(|e| syscall_of(e, Syscall::FinitModule))
            && seen.iter().any(|e| syscall_of(e, Syscall::Openat))
    });
    let EventKind::Exec(x) = &exec_of(&events, pid).expect("the exec event").kind else {
        unreachable!()
    };
    assert!(x.filename.ends_with("python3"), "{}", x.filename);
    let module = events
        .iter()
        .find(|e| syscall_of(e, Syscall::FinitModule))
        .expect("the finit_module event");
    let EventKind::Syscall(m) = &module.kind else {
        unreachable!()
    };
    assert!(m.ret < 0, "finit_module(-1) fails: {}", m.ret);
    let open = events
        .iter()
        .find(|e| syscall_of(e, Syscall::Openat))
        .expect("the open of /etc/hostname");
    assert!(
        matches!(&open.kind, EventKind::Syscall(s) if matches!(&s.detail, SyscallDetail::Open { path, .. } if path == "/etc/hostname")),
        "{open:?}"
    );
}

#[test]
fn lost_events_are_counted_not_hidden() {
    if skip_unless_root() {
        return;
    }
    // one page of ring buffer holds one exec record; nobody reads while 40 programs start
    let sensor = Sensor::start(&SensorConfig {
        ring_buffer_bytes: 4096,
        channel_capacity: 1,
        syscalls: Vec::new(),
        path_rules: Vec::new(),
        process_table: false,
        ..SensorConfig::default()
    })
    .expect("starting the sensor");
    for _ in 0..40 {
        Command::new("/bin/true")
            .status()
            .expect("running /bin/true");
    }
    let stats = sensor.stats();
    assert!(stats.lost() > 0, "no loss counted: {stats:?}");
    assert_eq!(
        stats.dropped(),
        stats.lost() + stats.path_unreadable_per_cpu.iter().sum::<u64>() + stats.decode_errors
    );
}
