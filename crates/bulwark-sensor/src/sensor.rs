//! Loading the BPF object, attaching its hooks, and reading its ring buffer on a thread.

use std::collections::VecDeque;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use aya::maps::lpm_trie::{Key, LpmTrie};
use aya::maps::{Array, MapData, PerCpuArray, RingBuf};
use aya::programs::{BtfTracePoint, RawTracePoint, TracePoint};
use aya::{Btf, Ebpf, EbpfLoader};

use crate::capabilities::{AttachKind, HookStatus, SensorCapabilities};
use crate::container::{CgroupResolver, cgroup2_mount};
use crate::event::{Event, EventKind};
use crate::metadata::{
    ContainerMetadata, MetadataCache, MetadataSource, MetadataStats, default_sources,
};
use crate::proctable::ProcessTable;
use crate::record::{Clock, decode};
use crate::syscalls::Syscall;

/// The compiled BPF object (built by `cargo xtask ebpf`, committed), embedded so the binary
/// needs no compiler where it runs.
static OBJECT: &[u8] = aya::include_bytes_aligned!("../bpf/sensor.bpf.o");

const PREFIX_LEN: usize = 128;
const C_LOST: u32 = 0;
const C_PATH_UNREADABLE: u32 = 1;
const C_SUBMITTED: u32 = 2;
const C_COMPAT_SKIPPED: u32 = 3;
/// The most events the reader hands over at once.
pub const BATCH: usize = 256;

/// Which opens under a path prefix are reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathRule {
    /// The prefix, matched byte-wise against the path as the caller passed it (so only
    /// absolute paths match). At most 128 bytes.
    pub prefix: String,
    /// Report only opens for writing (`O_WRONLY`, `O_RDWR`, `O_CREAT`, `O_TRUNC`).
    pub writes_only: bool,
}

impl PathRule {
    /// Every open under `prefix`.
    pub fn any(prefix: &str) -> Self {
        PathRule {
            prefix: prefix.into(),
            writes_only: false,
        }
    }
    /// Opens for writing under `prefix`.
    pub fn writes(prefix: &str) -> Self {
        PathRule {
            prefix: prefix.into(),
            writes_only: true,
        }
    }
}

/// The default open filter, tuned for Kubernetes nodes (decided in docs/sensor.md): every open
/// of credentials (shadow files, sudoers, PAM and SSH configuration, Kubernetes and kubelet
/// keys, home directories, service-account tokens and Secret volumes, container runtime
/// sockets); writes anywhere below `/etc`, binary and library directories, `/tmp`, `/dev`,
/// `/proc`, `/sys`, `/boot` and `/var/log`. Reads of the rest of `/etc`, `/proc` and `/sys`,
/// which every program makes (the dynamic loader's cache, `/proc/self/…`), are not reported.
/// The longest matching prefix decides.
pub fn default_path_rules() -> Vec<PathRule> {
    let mut rules: Vec<PathRule> = [
        "/etc/shadow",
        "/etc/shadow-",
        "/etc/gshadow",
        "/etc/gshadow-",
        "/etc/sudoers",
        "/etc/sudoers.d/",
        "/etc/pam.conf",
        "/etc/pam.d/",
        "/etc/security/",
        "/etc/ssh/",
        "/etc/kubernetes/",
        "/etc/ssl/private/",
        "/var/lib/kubelet/pki/",
        "/root/",
        "/home/",
        "/var/run/secrets/",
        "/run/secrets/",
        "/var/run/docker.sock",
        "/run/docker.sock",
        "/run/containerd/",
        "/var/run/crio/",
        "/run/podman/",
    ]
    .iter()
    .map(|p| PathRule::any(p))
    .collect();
    rules.extend(
        [
            "/etc/",
            "/bin/",
            "/sbin/",
            "/usr/bin/",
            "/usr/sbin/",
            "/usr/local/bin/",
            "/usr/local/sbin/",
            "/lib/",
            "/lib64/",
            "/usr/lib/",
            "/usr/lib64/",
            "/opt/",
            "/tmp/",
            "/var/tmp/",
            "/dev/",
            "/proc/",
            "/sys/",
            "/boot/",
            "/var/log/",
        ]
        .iter()
        .map(|p| PathRule::writes(p)),
    );
    rules
}

/// How to start the sensor.
#[derive(Clone, Debug)]
pub struct SensorConfig {
    /// Open paths to report (the in-kernel filter). Empty: no open is reported, unless
    /// `report_all_opens`.
    pub path_rules: Vec<PathRule>,
    /// Report every open, bypassing the prefix filter (heavy; for debugging).
    pub report_all_opens: bool,
    /// Which system calls to watch (default: all of [`Syscall::ALL`]).
    pub syscalls: Vec<Syscall>,
    /// Ring buffer size in bytes (a power of two, a multiple of the page size). Default 8 MiB.
    pub ring_buffer_bytes: u32,
    /// Events buffered between the reader thread and the consumer (in batches of up to
    /// [`BATCH`]). When full, the reader waits, the ring buffer fills, and the kernel counts what
    /// it cannot store (`lost`).
    pub channel_capacity: usize,
    /// How long an event may wait in the ring buffer: the reader is not woken per event but
    /// polls at this interval, and is woken early once a quarter of the ring buffer is in use.
    /// Default 10 ms.
    pub max_latency: Duration,
    /// Use raw tracepoints even where `tp_btf` works (to exercise the fallback).
    pub force_raw_tracepoints: bool,
    /// Keep the process table (seeded from /proc at start).
    pub process_table: bool,
    /// The proc file system to seed the process table from.
    pub proc_root: PathBuf,
    /// Leave out the sensor's own process (its /proc reads would report themselves).
    pub ignore_self: bool,
    /// Look up container metadata (name, image, pod) from the runtimes, asynchronously.
    pub container_metadata: bool,
    /// Podman's API socket; `None`: the standard paths ([`crate::PODMAN_SOCKETS`]).
    pub podman_socket: Option<PathBuf>,
    /// The CRI socket (containerd, CRI-O); `None`: the standard paths ([`crate::CRI_SOCKETS`]).
    pub cri_socket: Option<PathBuf>,
    /// Further metadata sources, asked after the runtimes'.
    pub metadata_sources: Vec<Arc<dyn MetadataSource>>,
}

impl Default for SensorConfig {
    fn default() -> Self {
        SensorConfig {
            path_rules: default_path_rules(),
            report_all_opens: false,
            syscalls: Syscall::ALL.to_vec(),
            ring_buffer_bytes: 8 << 20,
            channel_capacity: 65_536,
            max_latency: Duration::from_millis(10),
            force_raw_tracepoints: false,
            process_table: true,
            proc_root: PathBuf::from("/proc"),
            ignore_self: true,
            container_metadata: true,
            podman_socket: None,
            cri_socket: None,
            metadata_sources: Vec::new(),
        }
    }
}

/// Why the sensor could not start.
#[derive(Debug, thiserror::Error)]
pub enum SensorError {
    /// The kernel has no BTF (/sys/kernel/btf/vmlinux): CO-RE relocations cannot be applied.
    #[error(
        "kernel BTF is unavailable (/sys/kernel/btf/vmlinux); the sensor needs a kernel built with CONFIG_DEBUG_INFO_BTF"
    )]
    NoBtf(#[source] aya::BtfError),
    /// The kernel has no BPF ring buffer (Linux 5.8+).
    #[error("the kernel does not support BPF ring buffers (Linux 5.8 or later is needed)")]
    NoRingBuffer,
    /// Loading the object (maps, relocations) failed: usually missing privileges (CAP_BPF,
    /// CAP_PERFMON, or root).
    #[error("loading the BPF object failed (is the sensor running as root?)")]
    Load(#[source] aya::EbpfError),
    /// A configuration value is invalid.
    #[error("invalid sensor configuration: {0}")]
    Config(String),
    /// A map the object defines could not be set up.
    #[error("setting up BPF map {name}")]
    Map {
        /// The map.
        name: &'static str,
        /// What failed.
        #[source]
        source: aya::maps::MapError,
    },
    /// The process-execution hook (without which the sensor is blind) could not be attached.
    #[error("attaching {hook} failed with both tp_btf and raw_tp: {reason}")]
    Attach {
        /// The hook.
        hook: &'static str,
        /// Both attempts' errors.
        reason: String,
    },
    /// The reader thread could not be started.
    #[error("starting the ring buffer reader")]
    Thread(#[source] std::io::Error),
}

/// Counters, for export (Prometheus) and for never losing events silently.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SensorStats {
    /// Records the kernel submitted to the ring buffer.
    pub submitted: u64,
    /// Events decoded and handed to the consumer.
    pub delivered: u64,
    /// Records the kernel could not reserve ring-buffer space for, per CPU (lost events).
    pub lost_per_cpu: Vec<u64>,
    /// Successful opens whose path could not be read from the caller's memory, per CPU: the
    /// filter could not decide, so they are not reported.
    pub path_unreadable_per_cpu: Vec<u64>,
    /// System calls of 32-bit (compat) processes, not decoded.
    pub compat_skipped: u64,
    /// Records user space could not decode.
    pub decode_errors: u64,
}

impl SensorStats {
    /// Events lost in the kernel, all CPUs.
    pub fn lost(&self) -> u64 {
        self.lost_per_cpu.iter().sum()
    }
    /// Everything dropped anywhere (lost records, opens with unreadable paths, decode errors).
    pub fn dropped(&self) -> u64 {
        self.lost() + self.path_unreadable_per_cpu.iter().sum::<u64>() + self.decode_errors
    }
}

/// A running sensor. Dropping it (or [`Sensor::stop`]) detaches every program.
pub struct Sensor {
    // Field order is drop order: the reader stops before the programs go away.
    events: Option<Receiver<Vec<Event>>>,
    /// The rest of the batch last received.
    received: Mutex<VecDeque<Event>>,
    stop: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
    counters: PerCpuArray<MapData, u64>,
    delivered: Arc<AtomicU64>,
    decode_errors: Arc<AtomicU64>,
    processes: Arc<RwLock<ProcessTable>>,
    metadata: Option<MetadataCache>,
    capabilities: SensorCapabilities,
    _ebpf: Ebpf,
}

impl std::fmt::Debug for Sensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sensor")
            .field("capabilities", &self.capabilities)
            .finish_non_exhaustive()
    }
}

fn attach_sched(
    ebpf: &mut Ebpf,
    btf: &Btf,
    tracepoint: &'static str,
    btf_prog: &str,
    raw_prog: &str,
    force_raw: bool,
) -> HookStatus {
    let note;
    if force_raw {
        note = Some("tp_btf not tried (raw tracepoints forced)".to_string());
    } else {
        let tried = (|| -> Result<(), String> {
            let p: &mut BtfTracePoint = ebpf
                .program_mut(btf_prog)
                .ok_or("program missing from the object")?
                .try_into()
                .map_err(|e| format!("{e}"))?;
            p.load(tracepoint, btf).map_err(|e| format!("load: {e}"))?;
            p.attach().map_err(|e| format!("attach: {e}"))?;
            Ok(())
        })();
        match tried {
            Ok(()) => {
                return HookStatus {
                    name: tracepoint,
                    attached: Some(AttachKind::TpBtf),
                    note: None,
                };
            }
            Err(e) => note = Some(format!("tp_btf refused ({e}); using raw_tp")),
        }
    }
    let mut status = attach_raw(ebpf, tracepoint, raw_prog);
    status.note = match (note, status.note.take()) {
        (Some(n), Some(raw)) => Some(format!("{n}; {raw}")),
        (n, raw) => n.or(raw),
    };
    status
}

fn attach_raw(ebpf: &mut Ebpf, tracepoint: &'static str, prog: &str) -> HookStatus {
    let tried = (|| -> Result<(), String> {
        let p: &mut RawTracePoint = ebpf
            .program_mut(prog)
            .ok_or("program missing from the object")?
            .try_into()
            .map_err(|e| format!("{e}"))?;
        p.load().map_err(|e| format!("load: {e}"))?;
        p.attach(tracepoint).map_err(|e| format!("attach: {e}"))?;
        Ok(())
    })();
    match tried {
        Ok(()) => HookStatus {
            name: tracepoint,
            attached: Some(AttachKind::RawTracepoint),
            note: None,
        },
        Err(e) => HookStatus {
            name: tracepoint,
            attached: None,
            note: Some(e),
        },
    }
}

/// The tracefs `events` directory, mounting tracefs at /sys/kernel/tracing if it is not mounted
/// (which needs root). `None` if there is none.
pub(crate) fn tracefs_events() -> Option<PathBuf> {
    let candidates = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];
    let mounted = |dir: &str| Path::new(dir).join("events").is_dir();
    if let Some(dir) = candidates.into_iter().find(|d| mounted(d)) {
        return Some(Path::new(dir).join("events"));
    }
    let dir = candidates[0];
    rustix::mount::mount(
        "tracefs",
        dir,
        "tracefs",
        rustix::mount::MountFlags::empty(),
        None,
    )
    .ok()?;
    mounted(dir).then(|| Path::new(dir).join("events"))
}

/// The system-call hook. Preferred: one program attached to `syscalls:sys_exit_<call>` of each
/// watched call, so the rest of the system's calls run no BPF. Without tracefs (or with
/// `force_raw`), `raw_syscalls:sys_exit` for every call, filtered in the program.
fn attach_syscalls(ebpf: &mut Ebpf, syscalls: &[Syscall], force_raw: bool) -> HookStatus {
    let note = if force_raw {
        "syscall tracepoints not tried (raw tracepoints forced)".to_string()
    } else if let Some(events) = tracefs_events() {
        let tried = (|| -> Result<Vec<String>, String> {
            let p: &mut TracePoint = ebpf
                .program_mut("sys_exit_tp")
                .ok_or("program missing from the object")?
                .try_into()
                .map_err(|e| format!("{e}"))?;
            p.load().map_err(|e| format!("load: {e}"))?;
            let mut failed = Vec::new();
            let mut absent = Vec::new();
            for s in syscalls {
                if !events.join("syscalls").join(s.exit_tracepoint()).exists() {
                    // sys_ni_syscall: the call fails with ENOSYS whatever its arguments
                    absent.push(s.name());
                } else if let Err(e) = p.attach("syscalls", s.exit_tracepoint()) {
                    failed.push(format!("{s}: {e}"));
                }
            }
            if failed.len() + absent.len() == syscalls.len() {
                return Err(format!("no tracepoint attached ({})", failed.join("; ")));
            }
            if !absent.is_empty() {
                failed.push(format!(
                    "not implemented by this kernel, so not watched: {}",
                    absent.join(", ")
                ));
            }
            Ok(failed)
        })();
        match tried {
            Ok(failed) if failed.is_empty() => {
                return HookStatus {
                    name: "sys_exit",
                    attached: Some(AttachKind::Tracepoint),
                    note: Some(format!(
                        "syscalls:sys_exit_<call> for {} system calls",
                        syscalls.len()
                    )),
                };
            }
            Ok(failed) => {
                return HookStatus {
                    name: "sys_exit",
                    attached: Some(AttachKind::Tracepoint),
                    note: Some(format!(
                        "syscalls:sys_exit_<call>; missing: {}",
                        failed.join("; ")
                    )),
                };
            }
            Err(e) => format!("syscall tracepoints refused ({e})"),
        }
    } else {
        "tracefs is not mounted and could not be mounted: per-syscall tracepoints unavailable"
            .to_string()
    };
    let mut status = attach_raw(ebpf, "sys_exit", "sys_exit");
    status.note = Some(match status.note.take() {
        Some(raw) => format!("{note}; {raw}"),
        None => format!("{note}; raw_syscalls:sys_exit runs for every system call"),
    });
    status
}

fn prefix_key(prefix: &str) -> Result<Key<[u8; PREFIX_LEN]>, SensorError> {
    let bytes = prefix.as_bytes();
    if bytes.len() > PREFIX_LEN {
        return Err(SensorError::Config(format!(
            "path prefix longer than {PREFIX_LEN} bytes: {prefix:?}"
        )));
    }
    if bytes.contains(&0) {
        return Err(SensorError::Config(format!(
            "path prefix contains a NUL byte: {prefix:?}"
        )));
    }
    let mut data = [0u8; PREFIX_LEN];
    data[..bytes.len()].copy_from_slice(bytes);
    let bits = u32::try_from(bytes.len() * 8).expect("at most 1024 bits");
    Ok(Key::new(bits, data))
}

impl Sensor {
    /// Loads and attaches the sensor. Hooks that cannot be attached are reported in
    /// [`Sensor::capabilities`] rather than failing the start, except the exec hook.
    pub fn start(config: &SensorConfig) -> Result<Sensor, SensorError> {
        let mut capabilities = SensorCapabilities::probe();
        if !config.ring_buffer_bytes.is_power_of_two() || config.ring_buffer_bytes < 4096 {
            return Err(SensorError::Config(format!(
                "ring_buffer_bytes must be a power of two of at least 4096, not {}",
                config.ring_buffer_bytes
            )));
        }
        let keys = config
            .path_rules
            .iter()
            .map(|r| prefix_key(&r.prefix))
            .collect::<Result<Vec<_>, _>>()?;
        let btf = Btf::from_sys_fs().map_err(SensorError::NoBtf)?;
        capabilities.btf = true;
        if !capabilities.ring_buffer {
            return Err(SensorError::NoRingBuffer);
        }
        let self_tgid: u32 = if config.ignore_self {
            std::process::id()
        } else {
            0
        };
        let all_opens: u32 = config.report_all_opens.into();
        let wakeup_bytes = u64::from(config.ring_buffer_bytes / 4);
        let mut ebpf = EbpfLoader::new()
            .btf(Some(&btf))
            .override_global("self_tgid", &self_tgid, true)
            .override_global("report_all_opens", &all_opens, true)
            .override_global("wakeup_bytes", &wakeup_bytes, true)
            .map_max_entries("events", config.ring_buffer_bytes)
            .load(OBJECT)
            .map_err(SensorError::Load)?;

        {
            let map = |name| SensorError::Map {
                name,
                source: aya::maps::MapError::InvalidName { name: name.into() },
            };
            let mut specs: Array<_, [u8; 8]> = Array::try_from(
                ebpf.map_mut("syscall_specs")
                    .ok_or_else(|| map("syscall_specs"))?,
            )
            .map_err(|source| SensorError::Map {
                name: "syscall_specs",
                source,
            })?;
            for s in &config.syscalls {
                specs
                    .set(s.number(), s.spec().to_bytes(), 0)
                    .map_err(|source| SensorError::Map {
                        name: "syscall_specs",
                        source,
                    })?;
            }
            let mut prefixes: LpmTrie<_, [u8; PREFIX_LEN], u32> =
                LpmTrie::try_from(ebpf.map_mut("prefixes").ok_or_else(|| map("prefixes"))?)
                    .map_err(|source| SensorError::Map {
                        name: "prefixes",
                        source,
                    })?;
            for (rule, key) in config.path_rules.iter().zip(&keys) {
                let flags: u32 = if rule.writes_only { 2 } else { 1 };
                prefixes
                    .insert(key, flags, 0)
                    .map_err(|source| SensorError::Map {
                        name: "prefixes",
                        source,
                    })?;
            }
        }

        let force = config.force_raw_tracepoints;
        let exec = attach_sched(
            &mut ebpf,
            &btf,
            "sched_process_exec",
            "exec_btf",
            "exec_raw",
            force,
        );
        if exec.attached.is_none() {
            return Err(SensorError::Attach {
                hook: "sched_process_exec",
                reason: exec.note.unwrap_or_default(),
            });
        }
        capabilities.tp_btf = exec.attached == Some(AttachKind::TpBtf);
        let mut hooks = vec![
            exec,
            attach_sched(
                &mut ebpf,
                &btf,
                "sched_process_exit",
                "exit_btf",
                "exit_raw",
                force,
            ),
            attach_sched(
                &mut ebpf,
                &btf,
                "sched_process_fork",
                "fork_btf",
                "fork_raw",
                force,
            ),
        ];
        if config.syscalls.is_empty() {
            capabilities
                .notes
                .push("no system calls configured: syscall hooks not attached".into());
        } else {
            hooks.push(attach_syscalls(&mut ebpf, &config.syscalls, force));
        }
        for h in &hooks {
            if h.attached.is_none() {
                capabilities.notes.push(format!(
                    "{} is not attached: its events are missing ({})",
                    h.name,
                    h.note.as_deref().unwrap_or("")
                ));
            }
        }
        capabilities.hooks = hooks;

        let counters: PerCpuArray<MapData, u64> =
            PerCpuArray::try_from(ebpf.take_map("counters").ok_or(SensorError::Map {
                name: "counters",
                source: aya::maps::MapError::InvalidName {
                    name: "counters".into(),
                },
            })?)
            .map_err(|source| SensorError::Map {
                name: "counters",
                source,
            })?;
        let ring: RingBuf<MapData> =
            RingBuf::try_from(ebpf.take_map("events").ok_or(SensorError::Map {
                name: "events",
                source: aya::maps::MapError::InvalidName {
                    name: "events".into(),
                },
            })?)
            .map_err(|source| SensorError::Map {
                name: "events",
                source,
            })?;

        let mut table = ProcessTable::default();
        if config.process_table
            && let Err(e) = table.seed_from_proc(&config.proc_root)
        {
            capabilities.notes.push(format!(
                "process table not seeded from {}: {e}",
                config.proc_root.display()
            ));
        }
        let processes = Arc::new(RwLock::new(table));
        let metadata = if config.container_metadata {
            let mut sources = default_sources(
                config.podman_socket.as_deref(),
                config.cri_socket.as_deref(),
            );
            sources.extend(config.metadata_sources.iter().cloned());
            Some(MetadataCache::new(sources).map_err(SensorError::Thread)?)
        } else {
            None
        };
        let (tx, rx) =
            std::sync::mpsc::sync_channel(config.channel_capacity.div_ceil(BATCH).max(1));
        let stop = Arc::new(AtomicBool::new(false));
        let delivered = Arc::new(AtomicU64::new(0));
        let decode_errors = Arc::new(AtomicU64::new(0));
        let reader = Reader {
            ring,
            tx,
            stop: stop.clone(),
            delivered: delivered.clone(),
            decode_errors: decode_errors.clone(),
            processes: config.process_table.then(|| processes.clone()),
            cgroups: CgroupResolver::new(cgroup2_mount()),
            metadata: metadata.clone(),
            clock: Clock::now(),
            poll_interval: config.max_latency,
        };
        let handle = std::thread::Builder::new()
            .name("bulwark-sensor".into())
            .spawn(move || reader.run())
            .map_err(SensorError::Thread)?;
        Ok(Sensor {
            events: Some(rx),
            received: Mutex::new(VecDeque::new()),
            stop,
            reader: Some(handle),
            counters,
            delivered,
            decode_errors,
            processes,
            metadata,
            capabilities,
            _ebpf: ebpf,
        })
    }

    /// The next event, waiting at most `timeout`. `None` on timeout or after the reader ended.
    pub fn next_event(&self, timeout: Duration) -> Option<Event> {
        let mut received = self
            .received
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(e) = received.pop_front() {
            return Some(e);
        }
        // a timeout, or the reader has ended
        let batch = self.events.as_ref()?.recv_timeout(timeout).ok()?;
        received.extend(batch);
        received.pop_front()
    }

    /// The events already received, without waiting.
    pub fn try_events(&self) -> impl Iterator<Item = Event> + '_ {
        let mut received = self
            .received
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out: Vec<Event> = received.drain(..).collect();
        if let Some(rx) = &self.events {
            out.extend(rx.try_iter().flatten());
        }
        out.into_iter()
    }

    /// What the kernel supports and which hooks are attached.
    pub fn capabilities(&self) -> &SensorCapabilities {
        &self.capabilities
    }

    /// The process table (updated before each event is handed out).
    pub fn processes(&self) -> Arc<RwLock<ProcessTable>> {
        self.processes.clone()
    }

    /// The cached metadata of a container (full id), if its lookup has finished and found it.
    /// Does not start a lookup.
    pub fn container_metadata(&self, id: &str) -> Option<Arc<ContainerMetadata>> {
        self.metadata.as_ref()?.cached(id)
    }

    /// The metadata cache's counters and lookup latency (`None` when lookups are off).
    pub fn metadata_stats(&self) -> Option<MetadataStats> {
        self.metadata.as_ref().map(MetadataCache::stats)
    }

    /// The counters now.
    pub fn stats(&self) -> SensorStats {
        let per_cpu = |slot: u32| -> Vec<u64> {
            self.counters
                .get(&slot, 0)
                .map(|v| v.iter().copied().collect())
                .unwrap_or_default()
        };
        SensorStats {
            submitted: per_cpu(C_SUBMITTED).iter().sum(),
            delivered: self.delivered.load(Ordering::Relaxed),
            lost_per_cpu: per_cpu(C_LOST),
            path_unreadable_per_cpu: per_cpu(C_PATH_UNREADABLE),
            compat_skipped: per_cpu(C_COMPAT_SKIPPED).iter().sum(),
            decode_errors: self.decode_errors.load(Ordering::Relaxed),
        }
    }

    /// Stops reading, detaches every program, and returns the final counters. Events not yet
    /// taken are discarded.
    pub fn stop(mut self) -> SensorStats {
        self.shutdown()
    }

    fn shutdown(&mut self) -> SensorStats {
        self.stop.store(true, Ordering::Relaxed);
        let stats = self.stats();
        // dropping the receiver unblocks a reader waiting on a full channel
        self.events = None;
        if let Some(h) = self.reader.take() {
            let _ = h.join();
        }
        stats
    }
}

impl Drop for Sensor {
    fn drop(&mut self) {
        if self.reader.is_some() {
            self.shutdown();
        }
    }
}

struct Reader {
    ring: RingBuf<MapData>,
    tx: SyncSender<Vec<Event>>,
    stop: Arc<AtomicBool>,
    delivered: Arc<AtomicU64>,
    decode_errors: Arc<AtomicU64>,
    processes: Option<Arc<RwLock<ProcessTable>>>,
    cgroups: CgroupResolver,
    metadata: Option<MetadataCache>,
    clock: Clock,
    poll_interval: Duration,
}

impl Reader {
    fn run(mut self) {
        let timeout = rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: i64::try_from(self.poll_interval.as_nanos().clamp(1_000, 999_999_999))
                .unwrap_or(10_000_000),
        };
        while !self.stop.load(Ordering::Relaxed) {
            {
                let fd = self.ring.as_fd();
                let mut fds = [rustix::event::PollFd::new(
                    &fd,
                    rustix::event::PollFlags::IN,
                )];
                // the kernel wakes us only when the ring buffer fills up: otherwise this is the
                // polling interval. An error (EINTR) just means another round.
                let _ = rustix::event::poll(&mut fds, Some(&timeout));
            }
            let mut batch = Vec::new();
            loop {
                let decoded = match self.ring.next() {
                    Some(item) => decode(&item, self.clock),
                    None => break,
                };
                let Ok(mut event) = decoded else {
                    self.decode_errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let leaf = match &event.kind {
                    EventKind::Exec(x) if !x.cgroup_leaf.is_empty() => Some(x.cgroup_leaf.as_str()),
                    _ => None,
                };
                event.container = self.cgroups.container(event.cgroup_id, leaf);
                if let (Some(cache), Some(c)) = (&self.metadata, &event.container) {
                    // never waits: unknown containers are queued and the event goes on
                    event.container_metadata = cache.get(c);
                }
                if let Some(table) = &self.processes
                    && let Ok(mut t) = table.write()
                {
                    t.apply(&event);
                }
                batch.push(event);
                if batch.len() == BATCH && !self.send(std::mem::take(&mut batch)) {
                    return;
                }
            }
            if !batch.is_empty() && !self.send(batch) {
                return;
            }
        }
    }

    /// Hands a batch over, waiting while the channel is full. False once the consumer is gone.
    fn send(&self, mut batch: Vec<Event>) -> bool {
        let n = batch.len() as u64;
        loop {
            match self.tx.try_send(batch) {
                Ok(()) => {
                    self.delivered.fetch_add(n, Ordering::Relaxed);
                    return true;
                }
                Err(TrySendError::Disconnected(_)) => return false,
                Err(TrySendError::Full(b)) => {
                    if self.stop.load(Ordering::Relaxed) {
                        return false;
                    }
                    batch = b;
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_keys_are_bit_lengths() {
        let k = prefix_key("/etc/").unwrap();
        assert_eq!(k.prefix_len(), 40);
        assert_eq!(&k.data()[..5], b"/etc/");
        assert!(prefix_key(&"x".repeat(129)).is_err());
        assert!(prefix_key("a\0b").is_err());
    }

    #[test]
    fn default_rules_fit() {
        for r in default_path_rules() {
            prefix_key(&r.prefix).unwrap();
        }
    }
}
