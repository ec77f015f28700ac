//! Kernel events, decoded: what the ring buffer's records become.
//!
//! Every event carries the same process context ([`Event`]'s fields); what happened is in
//! [`EventKind`]. Strings read from the kernel are bounded (see docs/sensor.md) and decoded
//! lossily as UTF-8.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::SystemTime;

use crate::container::ContainerRef;
use crate::metadata::ContainerMetadata;
use crate::syscalls::Syscall;

/// One kernel event with its process context.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// When it happened (the kernel's boot-time clock, converted to wall-clock time).
    pub time: SystemTime,
    /// The kernel's boot-time clock in nanoseconds (monotonic, includes suspend).
    pub boot_ns: u64,
    /// The CPU that recorded it.
    pub cpu: u32,
    /// Thread id of the task (for Exec, Exit, Fork and syscalls: the caller).
    pub tid: u32,
    /// Process id (thread group id).
    pub pid: u32,
    /// The parent's process id (real parent).
    pub ppid: u32,
    /// Real user id.
    pub uid: u32,
    /// Real group id.
    pub gid: u32,
    /// The task's command name (16 bytes at most; after an exec, the new program's).
    pub comm: String,
    /// cgroup v2 id (the inode number of the cgroup's directory).
    pub cgroup_id: u64,
    /// The mount namespace's inode number (as in `/proc/PID/ns/mnt`).
    pub mntns: u64,
    /// The container the task runs in, from its cgroup path; `None` on the host or when the
    /// cgroup could not be resolved.
    pub container: Option<ContainerRef>,
    /// The container's metadata from its runtime (name, image, pod), once the asynchronous
    /// lookup has finished: `None` on the host, for the first events of a new container, and
    /// when no runtime knows it.
    pub container_metadata: Option<Arc<ContainerMetadata>>,
    /// What happened.
    pub kind: EventKind,
}

impl Event {
    /// Falco's `evt.type` for this event: `execve`, `procexit`, `clone`, or the system call.
    pub fn evt_type(&self) -> &'static str {
        match &self.kind {
            EventKind::Exec(_) => "execve",
            EventKind::Exit(_) => "procexit",
            EventKind::Fork(_) => "clone",
            EventKind::Syscall(s) => s.syscall.name(),
        }
    }

    /// The container id (64 hex digits), if any.
    pub fn container_id(&self) -> Option<&str> {
        self.container.as_ref().map(|c| c.id.as_str())
    }
}

/// What an event reports.
#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    /// A successful execve/execveat (sched_process_exec).
    Exec(Box<Exec>),
    /// A process (thread group leader) exited (sched_process_exit).
    Exit(Exit),
    /// A new process was forked (sched_process_fork; threads are not reported).
    Fork(Fork),
    /// A watched system call returned.
    Syscall(Box<SyscallEvent>),
}

/// A program started.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Exec {
    /// The file name as passed to execve (may be relative, or `/dev/fd/N` for fexecve).
    pub filename: String,
    /// The argument vector read from the new process's memory (1024 bytes at most).
    pub args: Vec<String>,
    /// Whether `args` was cut at 1024 bytes.
    pub args_truncated: bool,
    /// The working directory as the process sees it (its root is `/`); 24 components at most.
    pub cwd: String,
    /// Whether `cwd` is incomplete (too deep or too long).
    pub cwd_truncated: bool,
    /// Effective user id.
    pub euid: u32,
    /// Effective group id.
    pub egid: u32,
    /// The parent's command name.
    pub parent_comm: String,
    /// The parent's cgroup v2 id: differs from the event's when the process was started from
    /// outside its cgroup (`podman exec`, `kubectl exec`).
    pub parent_cgroup_id: u64,
    /// The controlling terminal's name (`pts3`), if any.
    pub tty: Option<String>,
    /// The controlling terminal's device numbers (major, minor), if any.
    pub tty_dev: Option<(u32, u32)>,
    /// The leaf name of the task's cgroup v2 directory (`libpod-<id>`).
    pub cgroup_leaf: String,
    /// The executable's inode number.
    pub exe_ino: u64,
    /// The executable's device (kernel encoding: major << 20 | minor).
    pub exe_dev: u32,
    /// The executable file system's magic number (0x794c7630 for overlayfs).
    pub exe_fs_magic: u32,
    /// The executable is on overlayfs.
    pub exe_on_overlayfs: bool,
    /// The executable sits in an overlayfs upper (writable) layer: written or copied up after
    /// the container started (drift).
    pub exe_upper_layer: bool,
    /// The executable is a memfd (`memfd:` file, fileless execution).
    pub exe_memfd: bool,
    /// The executable has no link left (deleted after being opened).
    pub exe_unlinked: bool,
    /// File descriptors 0, 1 and 2 (stdin, stdout, stderr) as the program started (after
    /// close-on-exec): Falco's `proc.stdin.type`, `proc.stdout.type`, `proc.stderr.type`. A
    /// shell whose stdin or stdout is an inet socket is a reverse shell.
    pub stdio: [StdioFd; 3],
}

impl Exec {
    /// Fd 0.
    pub fn stdin(&self) -> &StdioFd {
        &self.stdio[0]
    }
    /// Fd 1.
    pub fn stdout(&self) -> &StdioFd {
        &self.stdio[1]
    }
    /// Fd 2.
    pub fn stderr(&self) -> &StdioFd {
        &self.stdio[2]
    }
}

/// What a file descriptor refers to, read from its inode's mode (and for sockets, the socket's
/// family; for anonymous inodes, their name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum FdType {
    /// No file open at that number.
    #[default]
    Closed,
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A character device (a terminal, `/dev/null`, …): see [`StdioFd::rdev`].
    CharDevice,
    /// A block device.
    BlockDevice,
    /// A pipe or FIFO.
    Pipe,
    /// A symbolic link (an `O_PATH` descriptor).
    Symlink,
    /// An `AF_INET` socket.
    Ipv4,
    /// An `AF_INET6` socket.
    Ipv6,
    /// An `AF_UNIX` socket.
    Unix,
    /// An `AF_NETLINK` socket.
    Netlink,
    /// A socket of another family (the number).
    Socket(u16),
    /// A memfd (`memfd_create`).
    Memfd,
    /// An eventfd.
    Event,
    /// A signalfd.
    Signalfd,
    /// An epoll instance.
    Eventpoll,
    /// An inotify instance.
    Inotify,
    /// A timerfd.
    Timerfd,
    /// A BPF map, program or link.
    Bpf,
    /// A userfaultfd.
    Userfaultfd,
    /// An io_uring instance.
    IoUring,
    /// A pidfd.
    Pidfd,
    /// Something else (an anonymous inode of another kind).
    Other,
}

impl FdType {
    /// Falco's `fd.type` / `proc.stdin.type` value: `file` (regular files and devices, as in
    /// Falco), `directory`, `ipv4`, `ipv6`, `unix`, `pipe`, `netlink`, `memfd`, `event`,
    /// `signalfd`, `eventpoll`, `inotify`, `timerfd`, `bpf`, `userfaultfd`, `io_uring`,
    /// `pidfd`; `None` for a closed descriptor or an unknown kind (the field has no value).
    pub fn falco_type(self) -> Option<&'static str> {
        Some(match self {
            FdType::Closed | FdType::Socket(_) | FdType::Other => return None,
            FdType::File | FdType::CharDevice | FdType::BlockDevice | FdType::Symlink => "file",
            FdType::Directory => "directory",
            FdType::Pipe => "pipe",
            FdType::Ipv4 => "ipv4",
            FdType::Ipv6 => "ipv6",
            FdType::Unix => "unix",
            FdType::Netlink => "netlink",
            FdType::Memfd => "memfd",
            FdType::Event => "event",
            FdType::Signalfd => "signalfd",
            FdType::Eventpoll => "eventpoll",
            FdType::Inotify => "inotify",
            FdType::Timerfd => "timerfd",
            FdType::Bpf => "bpf",
            FdType::Userfaultfd => "userfaultfd",
            FdType::IoUring => "io_uring",
            FdType::Pidfd => "pidfd",
        })
    }

    /// Falco's `fd.typechar`: `f` file, `d` directory, `4`, `6`, `u` unix, `p` pipe, `n` netlink,
    /// `m` memfd, `e` event, `s` signalfd, `l` eventpoll, `i` inotify, `t` timerfd, `b` bpf,
    /// `u` userfaultfd, `r` io_uring, `P` pidfd, `o` other; `None` when closed.
    pub fn typechar(self) -> Option<char> {
        Some(match self {
            FdType::Closed => return None,
            FdType::File | FdType::CharDevice | FdType::BlockDevice | FdType::Symlink => 'f',
            FdType::Directory => 'd',
            FdType::Pipe => 'p',
            FdType::Ipv4 => '4',
            FdType::Ipv6 => '6',
            FdType::Unix | FdType::Userfaultfd => 'u',
            FdType::Netlink => 'n',
            FdType::Memfd => 'm',
            FdType::Event => 'e',
            FdType::Signalfd => 's',
            FdType::Eventpoll => 'l',
            FdType::Inotify => 'i',
            FdType::Timerfd => 't',
            FdType::Bpf => 'b',
            FdType::IoUring => 'r',
            FdType::Pidfd => 'P',
            FdType::Socket(_) | FdType::Other => 'o',
        })
    }

    /// An inet (v4 or v6) socket.
    pub fn is_inet_socket(self) -> bool {
        matches!(self, FdType::Ipv4 | FdType::Ipv6)
    }

    /// Any socket.
    pub fn is_socket(self) -> bool {
        matches!(
            self,
            FdType::Ipv4 | FdType::Ipv6 | FdType::Unix | FdType::Netlink | FdType::Socket(_)
        )
    }

    /// Classifies a descriptor from its inode mode, socket family (0 if not a socket) and
    /// dentry name (the start of it: anonymous inodes are named `[eventfd]`, `[eventpoll]`, …).
    pub fn classify(mode: u32, family: u16, name: &str) -> FdType {
        const S_IFMT: u32 = 0o170_000;
        match mode & S_IFMT {
            0o140_000 => match family {
                2 => FdType::Ipv4,
                10 => FdType::Ipv6,
                1 => FdType::Unix,
                16 => FdType::Netlink,
                f => FdType::Socket(f),
            },
            0o040_000 => FdType::Directory,
            0o020_000 => FdType::CharDevice,
            0o060_000 => FdType::BlockDevice,
            0o010_000 => FdType::Pipe,
            0o120_000 => FdType::Symlink,
            t => {
                let anon = match name {
                    "[eventfd]" => Some(FdType::Event),
                    "[signalfd]" => Some(FdType::Signalfd),
                    "[eventpoll]" => Some(FdType::Eventpoll),
                    "inotify" => Some(FdType::Inotify),
                    "[timerfd]" => Some(FdType::Timerfd),
                    "[userfaultfd]" => Some(FdType::Userfaultfd),
                    "[io_uring]" => Some(FdType::IoUring),
                    "[pidfd]" => Some(FdType::Pidfd),
                    n if n.starts_with("bpf-") || n.starts_with("bpf_") => Some(FdType::Bpf),
                    n if n.starts_with("memfd:") => Some(FdType::Memfd),
                    _ => None,
                };
                match (anon, t) {
                    (Some(a), _) => a,
                    (None, 0o100_000) => FdType::File,
                    (None, _) => FdType::Other,
                }
            }
        }
    }
}

/// One of a new program's standard descriptors.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StdioFd {
    /// What it is.
    pub fd_type: FdType,
    /// The inode's mode (type and permission bits); 0 when closed.
    pub mode: u32,
    /// A device's (major, minor), for character and block devices.
    pub rdev: Option<(u32, u32)>,
    /// An inet socket's local address.
    pub local: Option<SocketAddr>,
    /// An inet socket's peer address (when connected).
    pub remote: Option<SocketAddr>,
    /// The start of the dentry name (16 bytes): anonymous inodes' `[eventfd]`, `memfd:NAME`,
    /// a device's node name (`0` for /dev/pts/0, `null`); empty for sockets and pipes.
    pub name: String,
}

impl StdioFd {
    /// A terminal: a character device with a tty major (4 and 5: virtual consoles and
    /// /dev/tty; 136–143: pseudo-terminal slaves).
    pub fn is_tty(&self) -> bool {
        self.fd_type == FdType::CharDevice
            && self
                .rdev
                .is_some_and(|(major, _)| matches!(major, 4 | 5 | 136..=143))
    }

    /// Falco's `proc.stdin.name`-like text for sockets: `local->remote`
    /// (`10.0.0.2:40000->10.0.0.9:4444`); `None` for other descriptors.
    pub fn socket_tuple(&self) -> Option<String> {
        let l = self.local?;
        Some(match self.remote {
            Some(r) => format!("{l}->{r}"),
            None => l.to_string(),
        })
    }
}

/// A process exited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exit {
    /// The raw wait status (`code << 8` for exit(code), the signal number for a kill).
    pub status: i32,
}

impl Exit {
    /// The exit code if the process exited normally.
    pub fn code(self) -> Option<i32> {
        (self.signal().is_none()).then_some((self.status >> 8) & 0xff)
    }
    /// The signal that killed the process, if it was killed.
    pub fn signal(self) -> Option<i32> {
        let sig = self.status & 0x7f;
        (sig != 0).then_some(sig)
    }
}

/// A process forked a child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fork {
    /// The child's process id.
    pub child_pid: u32,
}

/// A watched system call, at its return.
#[derive(Clone, Debug, PartialEq)]
pub struct SyscallEvent {
    /// Which call.
    pub syscall: Syscall,
    /// Its return value (a negative errno on failure).
    pub ret: i64,
    /// Its raw arguments.
    pub args: [u64; 6],
    /// The arguments, decoded.
    pub detail: SyscallDetail,
    /// The caller's effective capability set as the call returned (bit n: capability n), when
    /// it could be read.
    pub cap_effective: Option<u64>,
}

/// Linux's capability names, by bit number (`include/uapi/linux/capability.h`).
pub const CAPABILITY_NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// A capability set as Falco writes it (`thread.cap_effective`): the names, space-separated,
/// in bit order; unknown bits as `CAP_<n>`.
pub fn capability_names(set: u64) -> String {
    (0..64)
        .filter(|bit| set & (1u64 << bit) != 0)
        .map(|bit| {
            CAPABILITY_NAMES
                .get(bit)
                .map_or_else(|| format!("CAP_{bit}"), |n| (*n).to_string())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl SyscallEvent {
    /// Whether the call succeeded (`ret >= 0`).
    pub fn succeeded(&self) -> bool {
        self.ret >= 0
    }
}

/// `AT_FDCWD`: a path relative to the working directory.
pub const AT_FDCWD: i32 = -100;

/// The decoded arguments of a system call.
#[derive(Clone, Debug, PartialEq)]
pub enum SyscallDetail {
    /// open, openat, openat2: reported only when the path passes the in-kernel prefix filter.
    Open {
        /// The path as passed (may be relative to `dirfd`).
        path: String,
        /// The directory fd for openat/openat2 (`AT_FDCWD` = -100 for the cwd).
        dirfd: Option<i32>,
        /// Open flags (`O_*`).
        flags: u64,
        /// Creation mode.
        mode: u64,
    },
    /// connect, accept, accept4, bind.
    Socket(SocketDetail),
    /// setuid, setgid, setreuid, setregid, setresuid, setresgid: the requested ids
    /// (`u32::MAX` = unchanged), in argument order.
    SetIds {
        /// The ids, in argument order.
        ids: Vec<u32>,
    },
    /// capset: the requested capability sets (the low and high 32 bits merged).
    Capset {
        /// Effective set (`None` when unreadable).
        effective: Option<u64>,
        /// Permitted set.
        permitted: Option<u64>,
        /// Inheritable set.
        inheritable: Option<u64>,
    },
    /// ptrace.
    Ptrace {
        /// The request (`PTRACE_ATTACH` = 16, `PTRACE_SEIZE` = 0x4206, `PTRACE_POKETEXT` = 4, …).
        request: i64,
        /// The target process id.
        target_pid: i32,
    },
    /// init_module, finit_module, delete_module.
    Module {
        /// delete_module's module name; init/finit_module's parameter string.
        name_or_params: String,
        /// finit_module's file descriptor.
        fd: Option<i32>,
    },
    /// mount.
    Mount {
        /// Source (device or path).
        source: String,
        /// Target directory.
        target: String,
        /// File system type.
        fstype: String,
        /// `MS_*` flags.
        flags: u64,
    },
    /// umount2.
    Umount {
        /// The target.
        target: String,
        /// `MNT_*` flags.
        flags: u64,
    },
    /// unshare.
    Unshare {
        /// `CLONE_NEW*` flags.
        flags: u64,
    },
    /// setns.
    Setns {
        /// The namespace file descriptor.
        fd: i32,
        /// The namespace type (`CLONE_NEW*`, 0 for any).
        nstype: u64,
    },
    /// bpf.
    Bpf {
        /// The command (`BPF_PROG_LOAD` = 5, …).
        cmd: u64,
    },
    /// memfd_create.
    MemfdCreate {
        /// The name given.
        name: String,
        /// `MFD_*` flags.
        flags: u64,
    },
    /// chmod, fchmod, fchmodat, fchmodat2.
    Chmod {
        /// The path (empty for fchmod).
        path: String,
        /// The file descriptor: fchmod's fd, fchmodat's dirfd.
        fd: Option<i32>,
        /// The new mode.
        mode: u32,
    },
    /// chown, fchown, lchown, fchownat.
    Chown {
        /// The path (empty for fchown).
        path: String,
        /// The file descriptor: fchown's fd, fchownat's dirfd.
        fd: Option<i32>,
        /// New owner (`u32::MAX` = unchanged).
        uid: u32,
        /// New group (`u32::MAX` = unchanged).
        gid: u32,
    },
    /// symlink, symlinkat, link, linkat.
    Link {
        /// The existing file (for a symlink: the target text).
        old_path: String,
        /// The new name.
        new_path: String,
        /// Whether it is a symbolic link.
        symbolic: bool,
    },
    /// execveat (a successful one is also an [`Exec`] event).
    Execveat {
        /// The directory fd (or the program's fd with `AT_EMPTY_PATH`).
        dirfd: i32,
        /// The path (unreadable, so empty, after a successful exec replaced the memory).
        path: String,
        /// `AT_*` flags.
        flags: u64,
    },
}

/// connect, accept, accept4 or bind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SocketDetail {
    /// The socket's file descriptor (for accept: the new connection's, when it succeeded).
    pub fd: i32,
    /// Address family (`AF_INET` = 2, `AF_INET6` = 10, `AF_UNIX` = 1, …), 0 if unknown.
    pub family: u16,
    /// The local address and port (bind's requested address; the socket's for the others).
    pub local: Option<SocketAddr>,
    /// The remote address and port (connect's destination; accept's peer).
    pub remote: Option<SocketAddr>,
}

/// Parses a `struct sockaddr_in`/`sockaddr_in6` (native layout) into an address.
pub(crate) fn parse_sockaddr(b: &[u8]) -> Option<(u16, Option<SocketAddr>)> {
    let family = u16::from_le_bytes([*b.first()?, *b.get(1)?]);
    let port = || Some(u16::from_be_bytes([*b.get(2)?, *b.get(3)?]));
    match family {
        2 if b.len() >= 8 => {
            let ip = Ipv4Addr::new(b[4], b[5], b[6], b[7]);
            Some((family, Some(SocketAddr::new(IpAddr::V4(ip), port()?))))
        }
        10 if b.len() >= 24 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(&b[8..24]);
            Some((
                family,
                Some(SocketAddr::new(IpAddr::V6(Ipv6Addr::from(a)), port()?)),
            ))
        }
        _ => Some((family, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_sets_are_named_like_falco() {
        assert_eq!(
            capability_names((1 << 0) | (1 << 21) | (1 << 40) | (1 << 50)),
            "CAP_CHOWN CAP_SYS_ADMIN CAP_CHECKPOINT_RESTORE CAP_50"
        );
        assert_eq!(capability_names(0), "");
    }

    #[test]
    fn exit_status_decodes() {
        assert_eq!(Exit { status: 3 << 8 }.code(), Some(3));
        assert_eq!(Exit { status: 3 << 8 }.signal(), None);
        assert_eq!(Exit { status: 9 }.signal(), Some(9));
        assert_eq!(Exit { status: 9 }.code(), None);
    }

    #[test]
    fn sockaddrs_parse() {
        let v4 = [2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            parse_sockaddr(&v4),
            Some((2, Some("127.0.0.1:8080".parse().unwrap())))
        );
        let mut v6 = [0u8; 28];
        v6[0] = 10;
        v6[2..4].copy_from_slice(&443u16.to_be_bytes());
        v6[23] = 1;
        assert_eq!(
            parse_sockaddr(&v6),
            Some((10, Some("[::1]:443".parse().unwrap())))
        );
        assert_eq!(parse_sockaddr(&[1, 0, b'/', b'x']), Some((1, None)));
        assert_eq!(parse_sockaddr(&[2]), None);
    }
}
