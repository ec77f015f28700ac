//! Start-up probing: what this kernel lets the sensor use, and which hooks it ended up with.

use std::fmt;
use std::path::Path;

use aya::maps::MapType;
use aya::programs::{LsmAttachType, ProgramType};
use aya::sys::{is_map_supported, is_program_supported};

/// How a hook is attached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttachKind {
    /// A BTF-typed raw tracepoint (`tp_btf/…`): preferred.
    TpBtf,
    /// A raw tracepoint (`raw_tp/…`): the fallback, available since Linux 4.17.
    RawTracepoint,
    /// A classic tracepoint through tracefs and perf (`tracepoint/…`): per-syscall events.
    Tracepoint,
}

impl fmt::Display for AttachKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AttachKind::TpBtf => "tp_btf",
            AttachKind::RawTracepoint => "raw_tp",
            AttachKind::Tracepoint => "tracepoint",
        })
    }
}

/// One hook the sensor tried to attach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookStatus {
    /// The kernel event (`sched_process_exec`, `sys_enter`, …).
    pub name: &'static str,
    /// How it is attached, or `None` if it could not be.
    pub attached: Option<AttachKind>,
    /// Why a preferred attach type was not used, or why the hook is missing.
    pub note: Option<String>,
}

/// What the kernel supports, probed at start, and the hooks in use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SensorCapabilities {
    /// Kernel BTF at /sys/kernel/btf/vmlinux (required: CO-RE relocations need it).
    pub btf: bool,
    /// BPF ring buffers (required; Linux 5.8+).
    pub ring_buffer: bool,
    /// Raw tracepoint programs load.
    pub raw_tracepoint: bool,
    /// `tp_btf` programs load and attach (known after start: the sensor's own programs are the
    /// probe).
    pub tp_btf: bool,
    /// tracefs is mounted (per-syscall tracepoints need it; the sensor mounts it when it can).
    pub tracefs: bool,
    /// kprobes can be attached (the kprobe PMU exists).
    pub kprobe: bool,
    /// Trampoline programs (fentry/fexit) load and attach.
    pub fentry: bool,
    /// BPF LSM programs load and attach, and `bpf` is in the active LSM list.
    pub lsm: bool,
    /// The hooks, as attached by [`crate::Sensor::start`] (empty from [`Self::probe`]).
    pub hooks: Vec<HookStatus>,
    /// Anything degraded, in words.
    pub notes: Vec<String>,
}

fn probe_program(ty: ProgramType, what: &str, notes: &mut Vec<String>) -> bool {
    match is_program_supported(ty) {
        Ok(ok) => ok,
        Err(e) => {
            notes.push(format!("{what} unavailable: {e}"));
            false
        }
    }
}

impl SensorCapabilities {
    /// Probes the running kernel without loading the sensor.
    pub fn probe() -> SensorCapabilities {
        let mut notes = Vec::new();
        let btf = Path::new("/sys/kernel/btf/vmlinux").exists();
        let ring_buffer = match is_map_supported(MapType::RingBuf) {
            Ok(ok) => ok,
            Err(e) => {
                notes.push(format!("ring buffer probe failed: {e}"));
                false
            }
        };
        let raw_tracepoint =
            probe_program(ProgramType::RawTracePoint, "raw tracepoints", &mut notes);
        // The Tracing probe loads an fentry program and attaches it: trampolines.
        let fentry = probe_program(
            ProgramType::Tracing,
            "fentry/fexit (BPF trampolines)",
            &mut notes,
        );
        let lsm_listed = std::fs::read_to_string("/sys/kernel/security/lsm")
            .is_ok_and(|s| s.split(',').any(|l| l.trim() == "bpf"));
        let lsm = lsm_listed
            && probe_program(ProgramType::Lsm(LsmAttachType::Mac), "BPF LSM", &mut notes);
        let kprobe = Path::new("/sys/bus/event_source/devices/kprobe").exists();
        let tracefs = crate::sensor::tracefs_events().is_some();
        if !kprobe {
            notes.push("kprobes unavailable (no kprobe PMU): tracepoints are used".into());
        }
        SensorCapabilities {
            btf,
            ring_buffer,
            raw_tracepoint,
            tp_btf: false,
            tracefs,
            kprobe,
            fentry,
            lsm,
            hooks: Vec::new(),
            notes,
        }
    }
}

impl fmt::Display for SensorCapabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let yn = |b: bool| if b { "yes" } else { "no" };
        writeln!(
            f,
            "btf: {}, ring buffer: {}, tp_btf: {}, raw_tp: {}, tracefs: {}, kprobe: {}, fentry: {}, lsm: {}",
            yn(self.btf),
            yn(self.ring_buffer),
            yn(self.tp_btf),
            yn(self.raw_tracepoint),
            yn(self.tracefs),
            yn(self.kprobe),
            yn(self.fentry),
            yn(self.lsm)
        )?;
        for h in &self.hooks {
            match h.attached {
                Some(k) => write!(f, "hook {}: {k}", h.name)?,
                None => write!(f, "hook {}: not attached", h.name)?,
            }
            match &h.note {
                Some(n) => writeln!(f, " ({n})")?,
                None => writeln!(f)?,
            }
        }
        for n in &self.notes {
            writeln!(f, "note: {n}")?;
        }
        Ok(())
    }
}
