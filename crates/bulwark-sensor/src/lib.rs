//! Bulwark's runtime sensor: eBPF programs (C, CO-RE, in `bpf/`) and their loader.
//!
//! [`Sensor::start`] loads the embedded object, probes what the kernel supports
//! ([`SensorCapabilities`]), attaches to process exec, exit and fork and to the raw syscall
//! tracepoints, and decodes the ring buffer's records into [`Event`]s with their container
//! ([`container_from_cgroup`]) and the runtime's metadata ([`MetadataCache`]: podman's API, the
//! CRI), and keeps a [`ProcessTable`]. Lost events are counted in the
//! kernel per CPU and exported by [`Sensor::stats`]. See docs/sensor.md.

mod capabilities;
mod container;
mod cri;
mod event;
mod inthash;
mod metadata;
mod podman;
mod proctable;
mod record;
mod sensor;
mod syscalls;
pub mod testing;

pub use capabilities::{AttachKind, HookStatus, SensorCapabilities};
pub use container::{
    CgroupResolver, ContainerRef, Runtime, cgroup2_mount, container_from_cgroup, proc_cgroup_path,
};
pub use cri::CriSource;
pub use event::{
    AT_FDCWD, CAPABILITY_NAMES, Event, EventKind, Exec, Exit, FdType, Fork, SocketDetail, StdioFd,
    SyscallDetail, SyscallEvent, capability_names,
};
pub use metadata::{
    CRI_SOCKETS, ContainerMetadata, LATENCY_BUCKETS, LookupError, MetadataCache, MetadataSource,
    MetadataStats, PODMAN_SOCKETS, PodMetadata, default_sources, split_image_ref,
};
pub use podman::PodmanSource;
pub use proctable::{ProcessInfo, ProcessTable};
pub use record::{Clock, DecodeError, decode};
pub use sensor::{
    BATCH, PathRule, Sensor, SensorConfig, SensorError, SensorStats, default_path_rules,
};
pub use syscalls::Syscall;
