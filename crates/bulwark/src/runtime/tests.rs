//! Replay tests of the built-in runtime rules: for every rule, a recorded-shape event that must
//! fire it (and no earlier rule) and a near miss that must not. Events are built as the sensor
//! decodes them; the process table holds the parents, as the sensor's would.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use bulwark_rules::OutputOptions;
use bulwark_sensor::{
    ContainerRef, Event, EventKind, Exec, FdType, ProcessTable, SocketDetail, StdioFd, Syscall,
    SyscallDetail, SyscallEvent, container_from_cgroup,
};

use super::adapter::RuleEvent;
use super::context::Context;

const CID: &str = "3f4e1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7";

fn container() -> Option<ContainerRef> {
    container_from_cgroup(&format!("/libpod_parent/libpod-{CID}"))
}

fn base(pid: u32, comm: &str, uid: u32, in_container: bool, kind: EventKind) -> Event {
    Event {
        time: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        boot_ns: 1,
        cpu: 0,
        tid: pid,
        pid,
        ppid: 100,
        uid,
        gid: uid,
        comm: comm.to_string(),
        cgroup_id: 7,
        mntns: 1,
        container: if in_container { container() } else { None },
        container_metadata: None,
        kind,
    }
}

fn exec(path: &str, args: &[&str], parent: &str) -> Exec {
    Exec {
        filename: path.to_string(),
        args: args.iter().map(|a| (*a).to_string()).collect(),
        cwd: "/".to_string(),
        parent_comm: parent.to_string(),
        ..Exec::default()
    }
}

fn spawn(
    path: &str,
    args: &[&str],
    parent: &str,
    in_container: bool,
    f: impl FnOnce(&mut Exec),
) -> Event {
    let mut e = exec(path, args, parent);
    f(&mut e);
    let comm = path.rsplit('/').next().unwrap_or(path);
    base(200, comm, 0, in_container, EventKind::Exec(Box::new(e)))
}

fn syscall(
    comm: &str,
    in_container: bool,
    syscall: Syscall,
    ret: i64,
    detail: SyscallDetail,
) -> Event {
    base(
        200,
        comm,
        0,
        in_container,
        EventKind::Syscall(Box::new(SyscallEvent {
            syscall,
            ret,
            args: [0; 6],
            detail,
            cap_effective: None,
        })),
    )
}

fn open(comm: &str, in_container: bool, path: &str, flags: u64) -> Event {
    syscall(
        comm,
        in_container,
        Syscall::Openat,
        3,
        SyscallDetail::Open {
            path: path.to_string(),
            dirfd: Some(-100),
            flags,
            mode: 0o644,
        },
    )
}

const O_RDONLY: u64 = 0;
const O_WRONLY_CREAT_TRUNC: u64 = 0o1 | 0o100 | 0o1000;

fn tty(e: &mut Exec) {
    e.tty = Some("pts0".into());
    e.tty_dev = Some((136, 0));
}

/// The rule the built-in set fires for `ev`, if any.
fn fired(ev: &Event) -> Option<String> {
    let rules = crate::cmd::sensor::load_rules(&[], true).expect("the built-in rules load");
    let procs = ProcessTable::new(Duration::from_secs(5));
    let cx = Context::default();
    rules
        .alert(&RuleEvent::new(ev, &procs, &cx), &OutputOptions::default())
        .map(|a| a.rule)
}

fn stdio_socket(e: &mut Exec) {
    e.stdio[0] = StdioFd {
        fd_type: FdType::Ipv4,
        ..StdioFd::default()
    };
}

#[test]
fn every_builtin_rule_fires_on_its_example_and_not_on_its_near_miss() {
    let cases: Vec<(&str, Event, Event)> = vec![
        (
            "Interactive shell in container",
            spawn("/bin/sh", &["sh"], "runc", true, tty),
            spawn("/bin/sh", &["sh"], "runc", false, tty),
        ),
        (
            "Shell spawned by a server process in container",
            spawn("/bin/sh", &["sh", "-c", "id"], "nginx", true, |_| {}),
            spawn("/bin/sh", &["sh", "-c", "id"], "entrypoint", true, |_| {}),
        ),
        (
            "Privilege escalation through a setuid program in container",
            {
                let mut e = spawn("/usr/bin/passwd", &["passwd"], "sh", true, |e| e.euid = 0);
                e.uid = 1000;
                e
            },
            {
                let mut e = spawn("/usr/bin/id", &["id"], "sh", true, |e| e.euid = 1000);
                e.uid = 1000;
                e
            },
        ),
        (
            "Drift - executable not in the image",
            spawn("/usr/local/bin/xmrig", &["xmrig"], "sh", true, |e| {
                e.exe_upper_layer = true;
            }),
            spawn("/usr/local/bin/app", &["app"], "sh", true, |_| {}),
        ),
        (
            "Package manager in running container",
            spawn("/sbin/apk", &["apk", "add", "curl"], "sh", true, |_| {}),
            spawn("/sbin/apk", &["apk", "add", "curl"], "sh", false, |_| {}),
        ),
        (
            "Read of sensitive file by untrusted program",
            open("python3", false, "/etc/shadow", O_RDONLY),
            open("sshd", false, "/etc/shadow", O_RDONLY),
        ),
        (
            "Service account token or Secret read by a tool in container",
            open(
                "cat",
                true,
                "/var/run/secrets/kubernetes.io/serviceaccount/token",
                O_RDONLY,
            ),
            open(
                "app",
                true,
                "/var/run/secrets/kubernetes.io/serviceaccount/token",
                O_RDONLY,
            ),
        ),
        (
            "Write below binary directory",
            open("sh", true, "/usr/bin/ls", O_WRONLY_CREAT_TRUNC),
            open("apk", true, "/usr/bin/ls", O_WRONLY_CREAT_TRUNC),
        ),
        (
            "Kernel module loaded",
            syscall(
                "insmod",
                false,
                Syscall::FinitModule,
                0,
                SyscallDetail::Module {
                    name_or_params: String::new(),
                    fd: Some(3),
                },
            ),
            syscall(
                "insmod",
                false,
                Syscall::DeleteModule,
                0,
                SyscallDetail::Module {
                    name_or_params: "dummy".into(),
                    fd: None,
                },
            ),
        ),
        (
            "Ptrace attach to process",
            syscall(
                "gdb",
                false,
                Syscall::Ptrace,
                0,
                SyscallDetail::Ptrace {
                    request: 16,
                    target_pid: 1,
                },
            ),
            syscall(
                "gdb",
                false,
                Syscall::Ptrace,
                0,
                SyscallDetail::Ptrace {
                    request: 0,
                    target_pid: 0,
                },
            ),
        ),
        (
            "Mount in container",
            syscall(
                "mount",
                true,
                Syscall::Mount,
                -1,
                SyscallDetail::Mount {
                    source: "/dev/sda1".into(),
                    target: "/mnt".into(),
                    fstype: "ext4".into(),
                    flags: 0,
                },
            ),
            syscall(
                "mount",
                false,
                Syscall::Mount,
                0,
                SyscallDetail::Mount {
                    source: "tmpfs".into(),
                    target: "/mnt".into(),
                    fstype: "tmpfs".into(),
                    flags: 0,
                },
            ),
        ),
        (
            "Namespace change from container",
            syscall(
                "nsenter",
                true,
                Syscall::Setns,
                0,
                SyscallDetail::Setns { fd: 3, nstype: 0 },
            ),
            syscall(
                "nsenter",
                true,
                Syscall::Setns,
                -1,
                SyscallDetail::Setns { fd: 3, nstype: 0 },
            ),
        ),
        (
            "Cgroup release_agent written",
            open(
                "sh",
                true,
                "/sys/fs/cgroup/rdma/release_agent",
                O_WRONLY_CREAT_TRUNC,
            ),
            open("sh", true, "/sys/fs/cgroup/rdma/release_agent", O_RDONLY),
        ),
        (
            "Execution from a temporary directory or memory",
            spawn("/dev/shm/x", &["x"], "sh", false, |_| {}),
            spawn("/usr/bin/x", &["x"], "sh", false, |_| {}),
        ),
        (
            "Reverse shell",
            spawn("/bin/bash", &["bash", "-i"], "python3", false, stdio_socket),
            spawn("/bin/bash", &["bash", "-i"], "python3", false, |_| {}),
        ),
        (
            "Outbound connection to a cryptomining pool port",
            connect("198.51.100.7:3333"),
            connect("198.51.100.7:443"),
        ),
        (
            "Log file cleared",
            open("sh", true, "/var/log/auth.log", O_WRONLY_CREAT_TRUNC),
            open("sh", true, "/var/log/auth.log", 0o1 | 0o2000),
        ),
        (
            "Network tool in container",
            spawn("/usr/bin/nc", &["nc", "10.0.0.1", "80"], "sh", true, |_| {}),
            spawn("/usr/bin/curl", &["curl", "x"], "sh", true, |_| {}),
        ),
    ];
    let rules = crate::cmd::sensor::load_rules(&[], true).unwrap();
    let names: Vec<&str> = rules.rules().iter().map(|r| r.name.as_str()).collect();
    let tested: Vec<&str> = cases.iter().map(|(n, _, _)| *n).collect();
    assert_eq!(
        names, tested,
        "every built-in rule has a case, in file order"
    );
    for (rule, yes, no) in &cases {
        assert_eq!(fired(yes).as_deref(), Some(*rule), "{rule}: the example");
        assert_ne!(fired(no).as_deref(), Some(*rule), "{rule}: the near miss");
    }
}

fn connect(to: &str) -> Event {
    let remote: SocketAddr = to.parse().unwrap();
    syscall(
        "xmrig",
        true,
        Syscall::Connect,
        0,
        SyscallDetail::Socket(SocketDetail {
            fd: 3,
            family: 2,
            local: Some("10.1.2.3:40000".parse().unwrap()),
            remote: Some(remote),
        }),
    )
}

#[test]
fn alerts_name_the_container_and_the_process() {
    let mut ev = spawn("/bin/sh", &["sh", "-i"], "runc", true, tty);
    ev.container_metadata = Some(std::sync::Arc::new(bulwark_sensor::ContainerMetadata {
        id: CID.to_string(),
        name: Some("shop".into()),
        image: Some("registry.example.com/shop/api:1.4".into()),
        image_repository: Some("registry.example.com/shop/api".into()),
        image_tag: Some("1.4".into()),
        ..Default::default()
    }));
    let rules = crate::cmd::sensor::load_rules(&[], true).unwrap();
    let procs = ProcessTable::new(Duration::from_secs(5));
    let cx = Context::default();
    let a = rules
        .alert(&RuleEvent::new(&ev, &procs, &cx), &OutputOptions::default())
        .unwrap();
    assert_eq!(a.output_fields["container.id"], &CID[..12]);
    assert_eq!(a.output_fields["container.name"], "shop");
    assert_eq!(
        a.output_fields["container.image.repository"],
        "registry.example.com/shop/api"
    );
    assert_eq!(a.output_fields["proc.cmdline"], "sh -i");
    assert!(
        a.output.contains("Warning Interactive shell in container"),
        "{}",
        a.output
    );
}

#[test]
fn repeats_fold_into_one_alert_with_a_count_and_rates_are_limited() {
    use super::noise::{Noise, Verdict};
    use std::time::Instant;
    let ev = open("python3", false, "/etc/shadow", O_RDONLY);
    let rules = crate::cmd::sensor::load_rules(&[], true).unwrap();
    let procs = ProcessTable::new(Duration::from_secs(5));
    let cx = Context::default();
    let alert = rules
        .alert(&RuleEvent::new(&ev, &procs, &cx), &OutputOptions::default())
        .unwrap();
    let t0 = Instant::now();
    let mut noise = Noise::new(Some(Duration::from_secs(10)), None);
    assert_eq!(noise.admit(&alert, t0), Verdict::Emit);
    for i in 1..=4 {
        assert_eq!(
            noise.admit(&alert, t0 + Duration::from_secs(i)),
            Verdict::Repeat
        );
    }
    assert!(
        noise.expired(t0 + Duration::from_secs(5), false).is_empty(),
        "the window is open"
    );
    let agg = noise.expired(t0 + Duration::from_secs(11), false);
    assert_eq!(agg.len(), 1);
    assert_eq!(agg[0].output_fields["bulwark.repeats"], 4);
    assert!(
        agg[0]
            .output
            .ends_with("(repeated 4 more times within 10 s)")
    );
    assert_eq!(
        noise.admit(&alert, t0 + Duration::from_secs(12)),
        Verdict::Emit,
        "a new window"
    );

    let mut limited = Noise::new(None, Some(2.0));
    let verdicts: Vec<Verdict> = (0..4).map(|_| limited.admit(&alert, t0)).collect();
    assert_eq!(
        verdicts,
        [
            Verdict::Emit,
            Verdict::Emit,
            Verdict::RateLimited,
            Verdict::RateLimited
        ]
    );
    assert_eq!(
        limited.admit(&alert, t0 + Duration::from_secs(1)),
        Verdict::Emit,
        "tokens refill"
    );
    assert_eq!(limited.rate_limited[&alert.rule], 2);
}

#[test]
fn falcos_stable_rules_load_and_most_run_fully_on_the_sensors_events() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/runtime/falco-rules/falco_rules.yaml");
    let rules = crate::cmd::sensor::load_rules(&[path], false).expect("falco_rules.yaml loads");
    let enabled = rules
        .rules()
        .iter()
        .filter(|r| r.status == bulwark_rules::RuleStatus::Enabled)
        .count();
    let partial = crate::cmd::rules::partially_answered(&rules, bulwark_rules::Source::Syscall);
    // Pinned: docs/runtime.md states these numbers.
    assert_eq!((rules.rules().len(), enabled), (25, 25));
    assert_eq!(
        enabled - partial.len(),
        FULLY_ANSWERED,
        "partly answered: {partial:#?}"
    );
}

/// Rules of falco_rules.yaml whose every condition field the sensor fills.
const FULLY_ANSWERED: usize = 23;

/// The rule Falco's stable rules fire first for `ev`, with `procs` as the process table.
fn falco_fired(ev: &Event, procs: &ProcessTable) -> Option<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/runtime/falco-rules/falco_rules.yaml");
    let rules = crate::cmd::sensor::load_rules(&[path], false).expect("falco_rules.yaml loads");
    rules
        .alert(
            &RuleEvent::new(ev, procs, &Context::default()),
            &OutputOptions::default(),
        )
        .map(|a| a.rule)
}

fn with_caps(mut ev: Event, caps: &[&str]) -> Event {
    let set = caps.iter().fold(0u64, |set, name| {
        let bit = bulwark_sensor::CAPABILITY_NAMES
            .iter()
            .position(|n| n == name)
            .unwrap();
        set | (1 << bit)
    });
    if let EventKind::Syscall(s) = &mut ev.kind {
        s.cap_effective = Some(set);
    }
    ev
}

#[test]
fn falcos_rules_on_capabilities_privilege_and_process_age_fire() {
    let none = ProcessTable::new(Duration::from_secs(5));
    // Linux Kernel Module Injection Detected: thread.cap_effective icontains sys_module
    let module = |caps: &[&str]| {
        let ev = syscall(
            "insmod",
            true,
            Syscall::FinitModule,
            -1,
            SyscallDetail::Module {
                name_or_params: String::new(),
                fd: Some(3),
            },
        );
        falco_fired(&with_caps(ev, caps), &none)
    };
    assert_eq!(
        module(&["CAP_CHOWN", "CAP_SYS_MODULE"]).as_deref(),
        Some("Linux Kernel Module Injection Detected")
    );
    assert_eq!(module(&["CAP_CHOWN"]), None);

    // Detect release_agent File Container Escapes: CAP_SYS_ADMIN (and root or DAC override)
    let agent = |caps: &[&str]| {
        let ev = open("sh", true, "/sys/fs/cgroup/rdma/release_agent", 0o1);
        falco_fired(&with_caps(ev, caps), &none)
    };
    assert_eq!(
        agent(&["CAP_DAC_OVERRIDE", "CAP_SYS_ADMIN"]).as_deref(),
        Some("Detect release_agent File Container Escapes")
    );
    assert_eq!(agent(&["CAP_DAC_OVERRIDE"]), None);

    // Debugfs Launched in Privileged Container: container.privileged=true
    let debugfs = |privileged: bool| {
        let mut ev = spawn(
            "/usr/sbin/debugfs",
            &["debugfs", "/dev/sda1"],
            "sh",
            true,
            |_| {},
        );
        ev.container_metadata = Some(std::sync::Arc::new(bulwark_sensor::ContainerMetadata {
            id: CID.to_string(),
            privileged: Some(privileged),
            ..Default::default()
        }));
        falco_fired(&ev, &none)
    };
    assert_eq!(
        debugfs(true).as_deref(),
        Some("Debugfs Launched in Privileged Container")
    );
    assert_eq!(debugfs(false), None);

    // Read sensitive file trusted after startup: a server older than 5 s (proc.duration)
    let shadow_read_at = |age_s: u64| {
        let mut procs = ProcessTable::new(Duration::from_secs(5));
        let started = 1_000_000_000;
        let mut fork = base(
            100,
            "nginx",
            0,
            true,
            EventKind::Fork(bulwark_sensor::Fork { child_pid: 200 }),
        );
        fork.boot_ns = started;
        procs.apply(&fork);
        let mut ev = open("nginx", true, "/etc/shadow", 0);
        ev.boot_ns = started + age_s * 1_000_000_000;
        falco_fired(&ev, &procs)
    };
    assert_eq!(
        shadow_read_at(60).as_deref(),
        Some("Read sensitive file trusted after startup")
    );
    assert_ne!(
        shadow_read_at(1).as_deref(),
        Some("Read sensitive file trusted after startup")
    );
}
