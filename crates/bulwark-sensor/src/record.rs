//! Ring-buffer records (the C structs of sensor.bpf.c, whose layout it asserts with
//! `_Static_assert`) decoded into [`Event`]s. Pure: bytes in, an event or an error out.

use std::time::{Duration, SystemTime};

use crate::event::{
    Event, EventKind, Exec, Exit, FdType, Fork, SocketDetail, StdioFd, SyscallDetail, SyscallEvent,
    parse_sockaddr,
};
use crate::syscalls::Syscall;

const K_EXEC: u32 = 1;
const K_EXIT: u32 = 2;
const K_FORK: u32 = 3;
const K_SYSCALL: u32 = 4;

const HDR_LEN: usize = 72;
const EXEC_LEN: usize = 2312;
const STDIO_AT: usize = 2096;
const STDIO_LEN: usize = 72;
const FD_OPEN: u32 = 1 << 0;
const FD_SOCK: u32 = 1 << 1;
const EXIT_LEN: usize = 80;
const FORK_LEN: usize = 80;
const SYS_LEN: usize = 1008;
const STR_LEN: usize = 256;

const EXE_OVERLAY: u32 = 1 << 0;
const EXE_UPPER_LAYER: u32 = 1 << 1;
const EXE_MEMFD: u32 = 1 << 2;
const EXE_UNLINKED: u32 = 1 << 3;
const TRUNC_ARGV: u32 = 1 << 0;
const TRUNC_CWD: u32 = 1 << 1;

/// Why a record could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The record is shorter than its kind's layout.
    #[error("record of kind {kind} is {len} bytes, expected {expected}")]
    Short {
        /// The record kind.
        kind: u32,
        /// Its length.
        len: usize,
        /// The layout's length.
        expected: usize,
    },
    /// An unknown record kind (an object newer than this decoder).
    #[error("unknown record kind {0}")]
    UnknownKind(u32),
    /// A system call the table does not know.
    #[error("unknown system call number {0}")]
    UnknownSyscall(u32),
}

/// Converts the kernel's boot-time clock to wall-clock time.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    /// Wall-clock time at boot-time zero.
    pub boot_epoch: SystemTime,
}

impl Clock {
    /// Reads both clocks now.
    pub fn now() -> Clock {
        let boot = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
        let boot = Duration::new(
            u64::try_from(boot.tv_sec).unwrap_or(0),
            u32::try_from(boot.tv_nsec).unwrap_or(0),
        );
        let now = SystemTime::now();
        Clock {
            boot_epoch: now.checked_sub(boot).unwrap_or(SystemTime::UNIX_EPOCH),
        }
    }

    /// The wall-clock time of a boot-time timestamp.
    pub fn wall(self, boot_ns: u64) -> SystemTime {
        self.boot_epoch + Duration::from_nanos(boot_ns)
    }
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"))
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"))
}
fn i64_at(b: &[u8], o: usize) -> i64 {
    i64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"))
}

/// A NUL-terminated string in a fixed field.
fn cstr(b: &[u8]) -> String {
    let n = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..n]).into_owned()
}

/// NUL-separated strings (argv), without the empty tail.
pub(crate) fn split_nul(b: &[u8]) -> Vec<String> {
    let mut out: Vec<String> = b
        .split(|&c| c == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out
}

/// The working directory from its components, leaf first and NUL-terminated.
pub(crate) fn cwd_from_components(b: &[u8]) -> String {
    let parts: Vec<&[u8]> = b.split(|&c| c == 0).filter(|s| !s.is_empty()).collect();
    let mut path = String::new();
    for p in parts.iter().rev() {
        path.push('/');
        path.push_str(&String::from_utf8_lossy(p));
    }
    if path.is_empty() {
        path.push('/');
    }
    path
}

fn need(kind: u32, b: &[u8], expected: usize) -> Result<(), DecodeError> {
    if b.len() < expected {
        return Err(DecodeError::Short {
            kind,
            len: b.len(),
            expected,
        });
    }
    Ok(())
}

#[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)] // fds and ids are C ints
fn as_i32(v: u64) -> i32 {
    v as i32
}

#[allow(clippy::cast_possible_truncation)] // modes and ids are 32-bit in the kernel
fn as_u32(v: u64) -> u32 {
    v as u32
}

#[allow(clippy::cast_possible_wrap)] // the kernel passes signed values in 64-bit registers
fn as_i64(v: u64) -> i64 {
    v as i64
}

/// Decodes one ring-buffer record. The event's `container` is left `None` (the sensor fills it).
///
/// # Panics
/// Never: every field is read within the length checked first.
pub fn decode(b: &[u8], clock: Clock) -> Result<Event, DecodeError> {
    if b.len() < HDR_LEN {
        return Err(DecodeError::Short {
            kind: 0,
            len: b.len(),
            expected: HDR_LEN,
        });
    }
    let kind_id = u32_at(b, 0);
    let boot_ns = u64_at(b, 8);
    let kind = match kind_id {
        K_EXEC => {
            need(kind_id, b, EXEC_LEN)?;
            EventKind::Exec(Box::new(decode_exec(b)))
        }
        K_EXIT => {
            need(kind_id, b, EXIT_LEN)?;
            EventKind::Exit(Exit {
                status: i32::from_le_bytes(b[72..76].try_into().expect("4 bytes")),
            })
        }
        K_FORK => {
            need(kind_id, b, FORK_LEN)?;
            EventKind::Fork(Fork {
                child_pid: u32_at(b, 76),
            })
        }
        K_SYSCALL => {
            need(kind_id, b, SYS_LEN)?;
            EventKind::Syscall(Box::new(decode_syscall(b)?))
        }
        other => return Err(DecodeError::UnknownKind(other)),
    };
    Ok(Event {
        time: clock.wall(boot_ns),
        boot_ns,
        cpu: u32_at(b, 4),
        tid: u32_at(b, 32),
        pid: u32_at(b, 36),
        ppid: u32_at(b, 40),
        uid: u32_at(b, 44),
        gid: u32_at(b, 48),
        comm: cstr(&b[56..72]),
        cgroup_id: u64_at(b, 16),
        mntns: u64_at(b, 24),
        container: None,
        container_metadata: None,
        kind,
    })
}

fn decode_exec(b: &[u8]) -> Exec {
    let flags = u32_at(b, 92);
    let trunc = u32_at(b, 124);
    let argv_len = (u32_at(b, 108) as usize).min(1024);
    let cwd_len = (u32_at(b, 120) as usize).min(512);
    let tty_major = u32_at(b, 100);
    let tty = cstr(&b[144..176]);
    Exec {
        filename: cstr(&b[304..560]),
        args: split_nul(&b[560..560 + argv_len]),
        args_truncated: trunc & TRUNC_ARGV != 0,
        cwd: cwd_from_components(&b[1584..1584 + cwd_len]),
        cwd_truncated: trunc & TRUNC_CWD != 0,
        euid: u32_at(b, 72),
        egid: u32_at(b, 76),
        parent_comm: cstr(&b[128..144]),
        parent_cgroup_id: u64_at(b, 112),
        tty: (!tty.is_empty()).then_some(tty),
        tty_dev: (tty_major != 0).then(|| (tty_major, u32_at(b, 104))),
        cgroup_leaf: cstr(&b[176..304]),
        exe_ino: u64_at(b, 80),
        exe_dev: u32_at(b, 88),
        exe_fs_magic: u32_at(b, 96),
        exe_on_overlayfs: flags & EXE_OVERLAY != 0,
        exe_upper_layer: flags & EXE_UPPER_LAYER != 0,
        exe_memfd: flags & EXE_MEMFD != 0,
        exe_unlinked: flags & EXE_UNLINKED != 0,
        stdio: [0, 1, 2].map(|i| decode_stdio(&b[STDIO_AT + STDIO_LEN * i..][..STDIO_LEN])),
    }
}

/// A socket's (family, local, remote) from a `struct sock_info` (40 bytes).
fn sock_info(
    b: &[u8],
) -> (
    u16,
    Option<std::net::SocketAddr>,
    Option<std::net::SocketAddr>,
) {
    let family = u16_at(b, 0);
    let lport = u16_at(b, 2);
    let rport = u16_at(b, 4);
    let addr = |o: usize| -> Option<std::net::IpAddr> {
        match family {
            2 => Some(std::net::Ipv4Addr::new(b[o], b[o + 1], b[o + 2], b[o + 3]).into()),
            10 => {
                let a: [u8; 16] = b[o..o + 16].try_into().ok()?;
                Some(std::net::Ipv6Addr::from(a).into())
            }
            _ => None,
        }
    };
    let l = addr(8).map(|ip| std::net::SocketAddr::new(ip, lport));
    let r = addr(24)
        .filter(|_| rport != 0)
        .map(|ip| std::net::SocketAddr::new(ip, rport));
    (family, l, r)
}

/// The kernel's device encoding (major << 20 | minor) split.
fn split_dev(dev: u32) -> (u32, u32) {
    (dev >> 20, dev & 0xf_ffff)
}

fn decode_stdio(b: &[u8]) -> StdioFd {
    let flags = u32_at(b, 4);
    if flags & FD_OPEN == 0 {
        return StdioFd::default();
    }
    let mode = u32_at(b, 0);
    let name = cstr(&b[56..72]);
    let (family, local, remote) = if flags & FD_SOCK != 0 {
        sock_info(&b[16..56])
    } else {
        (0, None, None)
    };
    let fd_type = FdType::classify(mode, family, &name);
    let rdev = matches!(fd_type, FdType::CharDevice | FdType::BlockDevice)
        .then(|| split_dev(u32_at(b, 8)));
    StdioFd {
        fd_type,
        mode,
        rdev,
        local,
        remote,
        name,
    }
}

fn decode_syscall(b: &[u8]) -> Result<SyscallEvent, DecodeError> {
    let nr = u32_at(b, 72);
    let syscall = Syscall::from_number(nr).ok_or(DecodeError::UnknownSyscall(nr))?;
    let have = u32_at(b, 76);
    let ret = i64_at(b, 80);
    let mut args = [0u64; 6];
    for (i, a) in args.iter_mut().enumerate() {
        *a = u64_at(b, 88 + 8 * i);
    }
    let s = |i: usize| -> String {
        if have & (1 << i) == 0 {
            return String::new();
        }
        let o = 240 + STR_LEN * i;
        cstr(&b[o..o + STR_LEN])
    };
    let extra = |i: usize| (have & (1 << 5) != 0).then(|| u64_at(b, 208 + 8 * i));
    let detail = match syscall {
        Syscall::Open => SyscallDetail::Open {
            path: s(0),
            dirfd: None,
            flags: args[1],
            mode: args[2],
        },
        Syscall::Openat => SyscallDetail::Open {
            path: s(0),
            dirfd: Some(as_i32(args[0])),
            flags: args[2],
            mode: args[3],
        },
        Syscall::Openat2 => SyscallDetail::Open {
            path: s(0),
            dirfd: Some(as_i32(args[0])),
            flags: extra(0).unwrap_or(0),
            mode: extra(1).unwrap_or(0),
        },
        Syscall::Connect | Syscall::Bind | Syscall::Accept | Syscall::Accept4 => {
            SyscallDetail::Socket(decode_socket(syscall, b, have, ret, &args))
        }
        Syscall::Setuid | Syscall::Setgid => SyscallDetail::SetIds {
            ids: vec![as_u32(args[0])],
        },
        Syscall::Setreuid | Syscall::Setregid => SyscallDetail::SetIds {
            ids: vec![as_u32(args[0]), as_u32(args[1])],
        },
        Syscall::Setresuid | Syscall::Setresgid => SyscallDetail::SetIds {
            ids: vec![as_u32(args[0]), as_u32(args[1]), as_u32(args[2])],
        },
        Syscall::Capset => {
            // struct __user_cap_data_struct { u32 effective, permitted, inheritable; } [2]
            let word = |i: usize| (have & (1 << 5) != 0).then(|| u64::from(u32_at(b, 208 + 4 * i)));
            let merged = |lo: usize| Some(word(lo)? | (word(lo + 3)? << 32));
            SyscallDetail::Capset {
                effective: merged(0),
                permitted: merged(1),
                inheritable: merged(2),
            }
        }
        Syscall::Ptrace => SyscallDetail::Ptrace {
            request: as_i64(args[0]),
            target_pid: as_i32(args[1]),
        },
        Syscall::InitModule | Syscall::DeleteModule => SyscallDetail::Module {
            name_or_params: s(0),
            fd: None,
        },
        Syscall::FinitModule => SyscallDetail::Module {
            name_or_params: s(0),
            fd: Some(as_i32(args[0])),
        },
        Syscall::Mount => SyscallDetail::Mount {
            source: s(0),
            target: s(1),
            fstype: s(2),
            flags: args[3],
        },
        Syscall::Umount2 => SyscallDetail::Umount {
            target: s(0),
            flags: args[1],
        },
        Syscall::Unshare => SyscallDetail::Unshare { flags: args[0] },
        Syscall::Setns => SyscallDetail::Setns {
            fd: as_i32(args[0]),
            nstype: args[1],
        },
        Syscall::Bpf => SyscallDetail::Bpf { cmd: args[0] },
        Syscall::MemfdCreate => SyscallDetail::MemfdCreate {
            name: s(0),
            flags: args[1],
        },
        Syscall::Chmod => SyscallDetail::Chmod {
            path: s(0),
            fd: None,
            mode: as_u32(args[1]),
        },
        Syscall::Fchmod => SyscallDetail::Chmod {
            path: String::new(),
            fd: Some(as_i32(args[0])),
            mode: as_u32(args[1]),
        },
        Syscall::Fchmodat | Syscall::Fchmodat2 => SyscallDetail::Chmod {
            path: s(0),
            fd: Some(as_i32(args[0])),
            mode: as_u32(args[2]),
        },
        Syscall::Chown | Syscall::Lchown => SyscallDetail::Chown {
            path: s(0),
            fd: None,
            uid: as_u32(args[1]),
            gid: as_u32(args[2]),
        },
        Syscall::Fchown => SyscallDetail::Chown {
            path: String::new(),
            fd: Some(as_i32(args[0])),
            uid: as_u32(args[1]),
            gid: as_u32(args[2]),
        },
        Syscall::Fchownat => SyscallDetail::Chown {
            path: s(0),
            fd: Some(as_i32(args[0])),
            uid: as_u32(args[2]),
            gid: as_u32(args[3]),
        },
        Syscall::Symlink | Syscall::Symlinkat => SyscallDetail::Link {
            old_path: s(0),
            new_path: s(1),
            symbolic: true,
        },
        Syscall::Link | Syscall::Linkat => SyscallDetail::Link {
            old_path: s(0),
            new_path: s(1),
            symbolic: false,
        },
        Syscall::Execveat => SyscallDetail::Execveat {
            dirfd: as_i32(args[0]),
            path: s(0),
            flags: args[4],
        },
    };
    Ok(SyscallEvent {
        syscall,
        ret,
        args,
        detail,
        cap_effective: (have & (1 << 6) != 0).then(|| u64_at(b, 232)),
    })
}

fn decode_socket(syscall: Syscall, b: &[u8], have: u32, ret: i64, args: &[u64; 6]) -> SocketDetail {
    let user = if have & (1 << 3) != 0 {
        let len = (u32_at(b, 164) as usize).min(28);
        parse_sockaddr(&b[136..136 + len])
    } else {
        None
    };
    let (sock_family, sock_local, sock_remote) = if have & (1 << 4) != 0 {
        sock_info(&b[168..208])
    } else {
        (0, None, None)
    };
    let (user_family, user_addr) = user.unwrap_or((0, None));
    let family = if user_family != 0 {
        user_family
    } else {
        sock_family
    };
    match syscall {
        Syscall::Connect => SocketDetail {
            fd: as_i32(args[0]),
            family,
            local: sock_local,
            remote: user_addr.or(sock_remote),
        },
        Syscall::Bind => SocketDetail {
            fd: as_i32(args[0]),
            family,
            local: user_addr.or(sock_local),
            remote: None,
        },
        _ => SocketDetail {
            fd: i32::try_from(ret).unwrap_or(-1),
            family,
            local: sock_local,
            remote: user_addr.or(sock_remote),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::AT_FDCWD;

    fn clock() -> Clock {
        Clock {
            boot_epoch: SystemTime::UNIX_EPOCH,
        }
    }

    fn header(kind: u32, len: usize) -> Vec<u8> {
        let mut b = vec![0u8; len];
        b[0..4].copy_from_slice(&kind.to_le_bytes());
        b[4..8].copy_from_slice(&1u32.to_le_bytes());
        b[8..16].copy_from_slice(&5_000_000_000u64.to_le_bytes());
        b[16..24].copy_from_slice(&42u64.to_le_bytes());
        b[24..32].copy_from_slice(&4_026_531_841u64.to_le_bytes());
        b[32..36].copy_from_slice(&101u32.to_le_bytes());
        b[36..40].copy_from_slice(&100u32.to_le_bytes());
        b[40..44].copy_from_slice(&1u32.to_le_bytes());
        b[44..48].copy_from_slice(&1000u32.to_le_bytes());
        b[48..52].copy_from_slice(&1001u32.to_le_bytes());
        b[56..60].copy_from_slice(b"bash");
        b
    }

    #[test]
    fn header_fields_decode() {
        let mut b = header(K_EXIT, EXIT_LEN);
        b[72..76].copy_from_slice(&(2i32 << 8).to_le_bytes());
        let e = decode(&b, clock()).unwrap();
        assert_eq!(
            (e.tid, e.pid, e.ppid, e.uid, e.gid, e.cpu),
            (101, 100, 1, 1000, 1001, 1)
        );
        assert_eq!(e.comm, "bash");
        assert_eq!(e.cgroup_id, 42);
        assert_eq!(e.mntns, 4_026_531_841);
        assert_eq!(e.time, SystemTime::UNIX_EPOCH + Duration::from_secs(5));
        assert_eq!(e.kind, EventKind::Exit(Exit { status: 512 }));
        assert_eq!(e.evt_type(), "procexit");
    }

    #[test]
    fn exec_decodes_argv_cwd_and_flags() {
        let mut b = header(K_EXEC, EXEC_LEN);
        b[92..96].copy_from_slice(&(EXE_OVERLAY | EXE_UPPER_LAYER).to_le_bytes());
        b[100..104].copy_from_slice(&136u32.to_le_bytes());
        b[104..108].copy_from_slice(&3u32.to_le_bytes());
        b[144..148].copy_from_slice(b"pts3");
        b[304..313].copy_from_slice(b"/bin/true");
        let argv = b"/bin/true\0--version\0";
        b[560..560 + argv.len()].copy_from_slice(argv);
        b[108..112].copy_from_slice(&u32::try_from(argv.len()).unwrap().to_le_bytes());
        let cwd = b"bin\0usr\0";
        b[1584..1584 + cwd.len()].copy_from_slice(cwd);
        b[120..124].copy_from_slice(&u32::try_from(cwd.len()).unwrap().to_le_bytes());
        let e = decode(&b, clock()).unwrap();
        let EventKind::Exec(x) = e.kind else {
            panic!("not an exec")
        };
        assert_eq!(x.filename, "/bin/true");
        assert_eq!(x.args, ["/bin/true", "--version"]);
        assert_eq!(x.cwd, "/usr/bin");
        assert_eq!(x.tty.as_deref(), Some("pts3"));
        assert_eq!(x.tty_dev, Some((136, 3)));
        assert!(x.exe_on_overlayfs && x.exe_upper_layer && !x.exe_memfd);
    }

    #[test]
    fn exec_stdio_decodes() {
        let mut b = header(K_EXEC, EXEC_LEN);
        // fd 0: a connected TCP socket
        let s0 = STDIO_AT;
        b[s0..s0 + 4].copy_from_slice(&0o140_777u32.to_le_bytes());
        b[s0 + 4..s0 + 8].copy_from_slice(&(FD_OPEN | FD_SOCK).to_le_bytes());
        b[s0 + 16..s0 + 18].copy_from_slice(&2u16.to_le_bytes());
        b[s0 + 18..s0 + 20].copy_from_slice(&40000u16.to_le_bytes());
        b[s0 + 20..s0 + 22].copy_from_slice(&4444u16.to_le_bytes());
        b[s0 + 24..s0 + 28].copy_from_slice(&[127, 0, 0, 1]);
        b[s0 + 40..s0 + 44].copy_from_slice(&[127, 0, 0, 2]);
        // fd 1: /dev/pts/3
        let s1 = STDIO_AT + STDIO_LEN;
        b[s1..s1 + 4].copy_from_slice(&0o020_620u32.to_le_bytes());
        b[s1 + 4..s1 + 8].copy_from_slice(&FD_OPEN.to_le_bytes());
        b[s1 + 8..s1 + 12].copy_from_slice(&((136u32 << 20) | 3).to_le_bytes());
        b[s1 + 56..s1 + 57].copy_from_slice(b"3");
        // fd 2 closed
        let e = decode(&b, clock()).unwrap();
        let EventKind::Exec(x) = e.kind else {
            panic!("not an exec")
        };
        assert_eq!(x.stdin().fd_type, FdType::Ipv4);
        assert_eq!(x.stdin().fd_type.falco_type(), Some("ipv4"));
        assert_eq!(
            x.stdin().socket_tuple().as_deref(),
            Some("127.0.0.1:40000->127.0.0.2:4444")
        );
        assert_eq!(x.stdout().fd_type, FdType::CharDevice);
        assert_eq!(x.stdout().rdev, Some((136, 3)));
        assert!(x.stdout().is_tty());
        assert_eq!(x.stdout().fd_type.falco_type(), Some("file"));
        assert_eq!(x.stderr().fd_type, FdType::Closed);
        assert_eq!(x.stderr().fd_type.falco_type(), None);
    }

    #[test]
    fn fd_types_classify_like_falco() {
        let c = FdType::classify;
        assert_eq!(c(0o100_644, 0, "passwd").falco_type(), Some("file"));
        assert_eq!(c(0o040_755, 0, "tmp").falco_type(), Some("directory"));
        assert_eq!(c(0o010_600, 0, "").falco_type(), Some("pipe"));
        assert_eq!(c(0o140_777, 10, "").falco_type(), Some("ipv6"));
        assert_eq!(c(0o140_777, 1, "").falco_type(), Some("unix"));
        assert_eq!(c(0o140_777, 17, ""), FdType::Socket(17));
        assert_eq!(c(0o600, 0, "[eventfd]").falco_type(), Some("event"));
        assert_eq!(
            c(0o100_600, 0, "[eventpoll]").falco_type(),
            Some("eventpoll")
        );
        assert_eq!(c(0o100_777, 0, "memfd:x").falco_type(), Some("memfd"));
        assert_eq!(c(0o600, 0, "[weird]"), FdType::Other);
        assert_eq!(FdType::Ipv4.typechar(), Some('4'));
        assert_eq!(FdType::Closed.typechar(), None);
    }

    #[test]
    fn cwd_and_argv_edge_cases() {
        assert_eq!(cwd_from_components(b""), "/");
        assert_eq!(cwd_from_components(b"tmp\0"), "/tmp");
        assert_eq!(split_nul(b"a\0\0b\0"), ["a", "", "b"]);
        assert!(split_nul(b"").is_empty());
    }

    #[test]
    fn open_and_connect_decode() {
        let mut b = header(K_SYSCALL, SYS_LEN);
        b[72..76].copy_from_slice(&257u32.to_le_bytes());
        b[76..80].copy_from_slice(&1u32.to_le_bytes());
        b[80..88].copy_from_slice(&3i64.to_le_bytes());
        b[88..96].copy_from_slice(&(-100i64).to_le_bytes());
        b[104..112].copy_from_slice(&0o1101u64.to_le_bytes());
        b[240..251].copy_from_slice(b"/etc/shadow");
        let e = decode(&b, clock()).unwrap();
        assert_eq!(e.evt_type(), "openat");
        let EventKind::Syscall(s) = e.kind else {
            panic!()
        };
        assert_eq!(
            s.detail,
            SyscallDetail::Open {
                path: "/etc/shadow".into(),
                dirfd: Some(AT_FDCWD),
                flags: 0o1101,
                mode: 0
            }
        );

        let mut b = header(K_SYSCALL, SYS_LEN);
        b[72..76].copy_from_slice(&42u32.to_le_bytes());
        b[76..80].copy_from_slice(&((1u32 << 3) | (1 << 4)).to_le_bytes());
        b[88..96].copy_from_slice(&5u64.to_le_bytes());
        b[136..144].copy_from_slice(&[2, 0, 0x1f, 0x90, 127, 0, 0, 1]);
        b[164..168].copy_from_slice(&16u32.to_le_bytes());
        b[168..170].copy_from_slice(&2u16.to_le_bytes());
        b[170..172].copy_from_slice(&40000u16.to_le_bytes());
        b[176..180].copy_from_slice(&[127, 0, 0, 1]);
        let e = decode(&b, clock()).unwrap();
        let EventKind::Syscall(s) = e.kind else {
            panic!()
        };
        assert_eq!(
            s.detail,
            SyscallDetail::Socket(SocketDetail {
                fd: 5,
                family: 2,
                local: Some("127.0.0.1:40000".parse().unwrap()),
                remote: Some("127.0.0.1:8080".parse().unwrap()),
            })
        );
    }

    #[test]
    fn bad_records_are_errors() {
        assert!(matches!(
            decode(&[0; 10], clock()),
            Err(DecodeError::Short { .. })
        ));
        assert_eq!(
            decode(&header(99, 80), clock()),
            Err(DecodeError::UnknownKind(99))
        );
        assert!(matches!(
            decode(&header(K_EXEC, 100), clock()),
            Err(DecodeError::Short { .. })
        ));
        let mut b = header(K_SYSCALL, SYS_LEN);
        b[72..76].copy_from_slice(&9999u32.to_le_bytes());
        assert_eq!(decode(&b, clock()), Err(DecodeError::UnknownSyscall(9999)));
    }
}
