//! A sensor event seen through the rule engine's eyes: the Falco fields of one
//! [`bulwark_sensor::Event`], with the process table for what the event itself does not carry
//! (the parent and ancestors; the executable of a process that opened a file).

use std::borrow::Cow;
use std::time::UNIX_EPOCH;

use bulwark_rules::{EventTypeId, Field, FieldArg, Source, Value};
use bulwark_sensor::{Event, EventKind, Exec, ProcessInfo, ProcessTable, SyscallDetail};

use super::context::Context;

/// `O_ACCMODE`, `O_WRONLY`, `O_RDWR`, `O_CREAT`, `O_TRUNC` and the other flags Falco names.
const O_ACCMODE: u64 = 0o3;
const OPEN_FLAGS: &[(u64, &str)] = &[
    (0o100, "O_CREAT"),
    (0o200, "O_EXCL"),
    (0o400, "O_NOCTTY"),
    (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"),
    (0o10000, "O_DSYNC"),
    (0o40000, "O_DIRECT"),
    (0o200_000, "O_DIRECTORY"),
    (0o400_000, "O_NOFOLLOW"),
    (0o2_000_000, "O_CLOEXEC"),
    (0o20_000_000, "O_TMPFILE"),
];

/// ptrace requests by number, as Falco prints them.
fn ptrace_request(n: i64) -> Cow<'static, str> {
    Cow::Borrowed(match n {
        0 => "PTRACE_TRACEME",
        1 => "PTRACE_PEEKTEXT",
        2 => "PTRACE_PEEKDATA",
        3 => "PTRACE_PEEKUSR",
        4 => "PTRACE_POKETEXT",
        5 => "PTRACE_POKEDATA",
        6 => "PTRACE_POKEUSR",
        7 => "PTRACE_CONT",
        8 => "PTRACE_KILL",
        9 => "PTRACE_SINGLESTEP",
        12 => "PTRACE_GETREGS",
        13 => "PTRACE_SETREGS",
        16 => "PTRACE_ATTACH",
        17 => "PTRACE_DETACH",
        24 => "PTRACE_SYSCALL",
        0x4200 => "PTRACE_SETOPTIONS",
        0x4206 => "PTRACE_SEIZE",
        0x4207 => "PTRACE_INTERRUPT",
        _ => return Cow::Owned(n.to_string()),
    })
}

/// Linux errno names for results Falco prints as `evt.res`.
fn errno_name(ret: i64) -> Cow<'static, str> {
    if ret >= 0 {
        return Cow::Borrowed("SUCCESS");
    }
    Cow::Borrowed(match -ret {
        1 => "EPERM",
        2 => "ENOENT",
        3 => "ESRCH",
        4 => "EINTR",
        5 => "EIO",
        9 => "EBADF",
        11 => "EAGAIN",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        16 => "EBUSY",
        17 => "EEXIST",
        19 => "ENODEV",
        20 => "ENOTDIR",
        21 => "EISDIR",
        22 => "EINVAL",
        24 => "EMFILE",
        28 => "ENOSPC",
        30 => "EROFS",
        38 => "ENOSYS",
        95 => "EOPNOTSUPP",
        98 => "EADDRINUSE",
        101 => "ENETUNREACH",
        110 => "ETIMEDOUT",
        111 => "ECONNREFUSED",
        113 => "EHOSTUNREACH",
        115 => "EINPROGRESS",
        _ => return Cow::Owned(format!("E{}", -ret)),
    })
}

/// Every field the adapter answers (from the event, the process table or the container's
/// metadata). A rule naming other catalog fields loads, but those comparisons are always false
/// here: `bulwark rules check` and docs/runtime.md count such rules as not fully supported.
pub const ANSWERED: &[Field] = &[
    Field::ContainerFullId,
    Field::ContainerId,
    Field::ContainerImage,
    Field::ContainerImageDigest,
    Field::ContainerImageRepository,
    Field::ContainerImageTag,
    Field::ContainerName,
    Field::ContainerPrivileged,
    Field::ContainerType,
    Field::EvtArg,
    Field::EvtCpu,
    Field::EvtDir,
    Field::EvtFailed,
    Field::EvtHostname,
    Field::EvtIsOpenRead,
    Field::EvtIsOpenWrite,
    Field::EvtNum,
    Field::EvtRawarg,
    Field::EvtRawres,
    Field::EvtRawtime,
    Field::EvtRes,
    Field::EvtTime,
    Field::EvtType,
    Field::FdCip,
    Field::FdCport,
    Field::FdDirectory,
    Field::FdFilename,
    Field::FdIp,
    Field::FdLip,
    Field::FdLport,
    Field::FdName,
    Field::FdNameraw,
    Field::FdNum,
    Field::FdPort,
    Field::FdRip,
    Field::FdRport,
    Field::FdSip,
    Field::FdSockfamily,
    Field::FdSport,
    Field::FdType,
    Field::FdTypechar,
    Field::GroupGid,
    Field::K8sNsName,
    Field::K8sPodName,
    Field::K8sPodUid,
    Field::ProcAexe,
    Field::ProcAexepath,
    Field::ProcAname,
    Field::ProcApid,
    Field::ProcArgs,
    Field::ProcCmdline,
    Field::ProcCwd,
    Field::ProcDuration,
    Field::ProcExe,
    Field::ProcExeIno,
    Field::ProcExepath,
    Field::ProcIsExeFromMemfd,
    Field::ProcIsExeUpperLayer,
    Field::ProcName,
    Field::ProcPcmdline,
    Field::ProcPexe,
    Field::ProcPexepath,
    Field::ProcPid,
    Field::ProcPname,
    Field::ProcPpid,
    Field::ProcStderrType,
    Field::ProcStdinType,
    Field::ProcStdoutType,
    Field::ProcTty,
    Field::SyscallType,
    Field::ThreadCapEffective,
    Field::ThreadTid,
    Field::UserName,
    Field::UserUid,
];

/// One sensor event, with what the rules need around it.
pub struct RuleEvent<'a> {
    /// The event.
    pub event: &'a Event,
    /// The host's process table.
    pub procs: &'a ProcessTable,
    /// Container metadata, users, the host name.
    pub cx: &'a Context,
    /// The event type's id in the rule engine's table.
    pub type_id: EventTypeId,
}

impl<'a> RuleEvent<'a> {
    /// Wraps `event`.
    pub fn new(event: &'a Event, procs: &'a ProcessTable, cx: &'a Context) -> RuleEvent<'a> {
        RuleEvent {
            event,
            procs,
            cx,
            type_id: EventTypeId::from_name(event.evt_type()).unwrap_or(EventTypeId::NONE),
        }
    }

    fn exec(&self) -> Option<&'a Exec> {
        match &self.event.kind {
            EventKind::Exec(e) => Some(e),
            _ => None,
        }
    }

    fn proc(&self) -> Option<&'a ProcessInfo> {
        self.procs.get(self.event.pid)
    }

    fn parent(&self) -> Option<&'a ProcessInfo> {
        self.procs.get(self.event.ppid)
    }

    /// The ancestor `n` levels up (1 = parent).
    fn ancestor(&self, n: usize) -> Option<&'a ProcessInfo> {
        if n == 0 {
            return self.proc();
        }
        let mut p = self.parent()?;
        for _ in 1..n {
            p = self.procs.get(p.ppid)?;
        }
        Some(p)
    }

    /// The name of the executable: the exec's new comm, else the table's.
    fn name(&self) -> Cow<'a, str> {
        Cow::Borrowed(self.event.comm.as_str())
    }

    fn exepath(&self) -> Option<&'a str> {
        match self.exec() {
            Some(e) => Some(e.filename.as_str()),
            None => self.proc().map(|p| p.exe.as_str()),
        }
    }

    fn args(&self) -> Option<&'a [String]> {
        match self.exec() {
            Some(e) => Some(&e.args),
            None => self.proc().map(|p| p.args.as_slice()),
        }
    }

    fn cwd(&self) -> Option<&'a str> {
        self.exec().map(|e| e.cwd.as_str())
    }

    /// The file an open names, as passed (the sensor does not resolve relative paths: see
    /// docs/sensor.md).
    fn open_path(&self) -> Option<Cow<'a, str>> {
        let SyscallDetail::Open { path, .. } = self.detail()? else {
            return None;
        };
        Some(Cow::Borrowed(path.as_str()))
    }

    fn detail(&self) -> Option<&'a SyscallDetail> {
        match &self.event.kind {
            EventKind::Syscall(s) => Some(&s.detail),
            _ => None,
        }
    }

    fn ret(&self) -> Option<i64> {
        match &self.event.kind {
            EventKind::Syscall(s) => Some(s.ret),
            EventKind::Exec(_) => Some(0),
            _ => None,
        }
    }

    fn socket(&self) -> Option<&'a bulwark_sensor::SocketDetail> {
        match self.detail()? {
            SyscallDetail::Socket(s) => Some(s),
            _ => None,
        }
    }

    /// Client and server ends of a connection (Falco's `cip`/`sip`): for connect the remote is
    /// the server; for accept the local end is.
    fn ends(&self) -> Option<(Option<std::net::SocketAddr>, Option<std::net::SocketAddr>)> {
        let s = self.socket()?;
        Some(match self.event.evt_type() {
            "accept" | "accept4" | "bind" | "listen" => (s.remote, s.local),
            _ => (s.local, s.remote),
        })
    }

    fn arg(&self, key: &str) -> Option<Value<'a>> {
        if let Some(e) = self.exec() {
            return match key {
                "euid" => Some(Value::Uint(u64::from(e.euid))),
                "egid" => Some(Value::Uint(u64::from(e.egid))),
                "filename" | "exe" => Some(Value::str(&e.filename)),
                "cwd" => Some(Value::str(&e.cwd)),
                _ => None,
            };
        }
        match (self.detail()?, key) {
            // Text arguments.
            (SyscallDetail::Open { path: text, .. }, "name" | "path")
            | (
                SyscallDetail::Chmod { path: text, .. } | SyscallDetail::Chown { path: text, .. },
                "filename" | "path",
            )
            | (SyscallDetail::Mount { source: text, .. }, "dev")
            | (
                SyscallDetail::Mount { target: text, .. }
                | SyscallDetail::Umount { target: text, .. },
                "dir" | "name",
            )
            | (SyscallDetail::Mount { fstype: text, .. }, "type")
            | (
                SyscallDetail::Module {
                    name_or_params: text,
                    ..
                },
                "name" | "uargs",
            )
            | (SyscallDetail::MemfdCreate { name: text, .. }, "name")
            | (SyscallDetail::Link { old_path: text, .. }, "target" | "oldpath")
            | (SyscallDetail::Link { new_path: text, .. }, "linkpath" | "newpath") => {
                Some(Value::str(text))
            }
            // Numeric arguments.
            (SyscallDetail::Open { mode: n, .. }, "mode")
            | (
                SyscallDetail::Mount { flags: n, .. }
                | SyscallDetail::Unshare { flags: n }
                | SyscallDetail::Setns { nstype: n, .. },
                "flags" | "nstype",
            )
            | (SyscallDetail::Bpf { cmd: n }, "cmd") => Some(Value::Uint(*n)),
            (SyscallDetail::Open { flags, .. }, "flags") => {
                Some(Value::Str(Cow::Owned(open_flags(*flags))))
            }
            (SyscallDetail::Ptrace { request, .. }, "request") => {
                Some(Value::Str(ptrace_request(*request)))
            }
            (SyscallDetail::Ptrace { target_pid, .. }, "pid") => {
                Some(Value::Int(i64::from(*target_pid)))
            }
            (SyscallDetail::Chmod { mode, .. }, "mode") => Some(Value::Uint(u64::from(*mode))),
            (SyscallDetail::SetIds { ids }, "uid" | "ruid") => {
                ids.first().map(|u| Value::Uint(u64::from(*u)))
            }
            (SyscallDetail::SetIds { ids }, "euid") => {
                ids.get(1).map(|u| Value::Uint(u64::from(*u)))
            }
            (SyscallDetail::Socket(s), "fd") => Some(Value::Int(i64::from(s.fd))),
            _ => None,
        }
    }

    /// The container's metadata, once the sensor's lookup finished.
    fn meta(&self) -> Option<&'a bulwark_sensor::ContainerMetadata> {
        self.event.container_metadata.as_deref()
    }

    fn container_id(&self) -> Cow<'a, str> {
        match &self.event.container {
            Some(c) => Cow::Borrowed(c.short_id()),
            None => Cow::Borrowed("host"),
        }
    }
}

/// `O_RDONLY|O_CREAT|O_TRUNC`, as Falco prints open flags.
fn open_flags(flags: u64) -> String {
    let mut s = String::from(match flags & O_ACCMODE {
        0 => "O_RDONLY",
        1 => "O_WRONLY",
        _ => "O_RDWR",
    });
    for (bit, name) in OPEN_FLAGS {
        if flags & bit != 0 {
            s.push('|');
            s.push_str(name);
        }
    }
    s
}

fn dir_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => ".",
    }
}

fn file_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn string(c: Cow<'_, str>) -> Value<'_> {
    Value::Str(c)
}

impl bulwark_rules::Event for RuleEvent<'_> {
    fn source(&self) -> Source {
        Source::Syscall
    }

    fn event_type(&self) -> EventTypeId {
        self.type_id
    }

    fn time_ns(&self) -> u64 {
        self.event
            .time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }

    fn field(&self, field: Field, arg: Option<&FieldArg>) -> Option<Value<'_>> {
        self.value(field, arg)
    }
}

impl<'a> RuleEvent<'a> {
    fn value(&self, field: Field, arg: Option<&FieldArg>) -> Option<Value<'a>> {
        let ev = self.event;
        Some(match field {
            Field::EvtType | Field::SyscallType => Value::str(ev.evt_type()),
            Field::EvtDir => Value::str("<"),
            Field::EvtNum => Value::Uint(ev.boot_ns),
            Field::EvtTime | Field::EvtRawtime => Value::Uint(bulwark_rules::Event::time_ns(self)),
            Field::EvtCpu => Value::Int(i64::from(ev.cpu)),
            Field::EvtHostname => Value::str(&self.cx.hostname),
            Field::EvtRes => Value::Str(errno_name(self.ret()?)),
            Field::EvtRawres => Value::Int(self.ret()?),
            Field::EvtFailed => Value::Bool(self.ret()? < 0),
            Field::EvtIsOpenRead | Field::EvtIsOpenWrite => {
                let Some(SyscallDetail::Open { flags, .. }) = self.detail() else {
                    return Some(Value::Bool(false));
                };
                let mode = flags & O_ACCMODE;
                Value::Bool(match field {
                    Field::EvtIsOpenRead => mode == 0 || mode == 2,
                    _ => mode == 1 || mode == 2,
                })
            }
            Field::EvtArg | Field::EvtRawarg => match arg? {
                FieldArg::Key(k) => self.arg(k)?,
                FieldArg::Index(_) => return None,
            },
            Field::ProcPid => Value::Int(i64::from(ev.pid)),
            Field::ThreadTid => Value::Int(i64::from(ev.tid)),
            Field::ProcPpid => Value::Int(i64::from(ev.ppid)),
            Field::ProcName => string(self.name()),
            Field::ProcExepath => Value::str(self.exepath()?),
            Field::ProcExe => {
                Value::str(self.args()?.first().map_or(self.exepath()?, String::as_str))
            }
            Field::ProcArgs => Value::Str(Cow::Owned(
                self.args()?
                    .iter()
                    .skip(1)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" "),
            )),
            Field::ProcCmdline => {
                let args = self.args()?;
                let mut s = ev.comm.clone();
                for a in args.iter().skip(1) {
                    s.push(' ');
                    s.push_str(a);
                }
                Value::Str(Cow::Owned(s))
            }
            Field::ProcCwd => Value::str(self.cwd()?),
            Field::ProcTty => {
                let tty = match self.exec() {
                    Some(e) => e
                        .tty_dev
                        .map(|(maj, min)| (u64::from(maj) << 8) | u64::from(min)),
                    None => self.proc().and_then(|p| p.tty.as_ref()).map(|_| 1),
                };
                Value::Int(i64::try_from(tty.unwrap_or(0)).unwrap_or(i64::MAX))
            }
            Field::ProcPname => Value::str(match self.exec() {
                Some(e) => e.parent_comm.as_str(),
                None => self.parent()?.comm.as_str(),
            }),
            Field::ProcPexepath => Value::str(&self.parent()?.exe),
            Field::ProcPexe => {
                Value::str(self.parent()?.args.first().unwrap_or(&self.parent()?.exe))
            }
            Field::ProcPcmdline => {
                let p = self.parent()?;
                Value::Str(Cow::Owned(
                    format!("{} {}", p.comm, p.cmdline()).trim_end().to_string(),
                ))
            }
            Field::ProcAname | Field::ProcApid | Field::ProcAexepath | Field::ProcAexe => {
                let pick = |p: &'a ProcessInfo| -> Value<'a> {
                    match field {
                        Field::ProcAname => Value::str(&p.comm),
                        Field::ProcApid => Value::Int(i64::from(p.pid)),
                        Field::ProcAexepath => Value::str(&p.exe),
                        _ => Value::str(p.args.first().unwrap_or(&p.exe)),
                    }
                };
                if let Some(FieldArg::Index(n)) = arg {
                    pick(self.ancestor(usize::try_from(*n).ok()?)?)
                } else {
                    let mut all = Vec::new();
                    let mut n = 1;
                    while let Some(a) = self.ancestor(n) {
                        all.push(pick(a));
                        n += 1;
                        if n > 64 {
                            break;
                        }
                    }
                    Value::List(all)
                }
            }
            Field::ProcIsExeUpperLayer => Value::Bool(match self.exec() {
                Some(e) => e.exe_upper_layer,
                None => self.proc()?.exe_upper_layer,
            }),
            Field::ProcIsExeFromMemfd => Value::Bool(self.exec()?.exe_memfd),
            Field::ProcExeIno => Value::Uint(self.exec()?.exe_ino),
            Field::ProcStdinType | Field::ProcStdoutType | Field::ProcStderrType => {
                let e = self.exec()?;
                let fd = match field {
                    Field::ProcStdinType => e.stdin(),
                    Field::ProcStdoutType => e.stdout(),
                    _ => e.stderr(),
                };
                Value::str(fd.fd_type.falco_type()?)
            }
            Field::ThreadCapEffective => match &ev.kind {
                EventKind::Syscall(s) => Value::Str(Cow::Owned(bulwark_sensor::capability_names(
                    s.cap_effective?,
                ))),
                _ => return None,
            },
            Field::ProcDuration => Value::Uint(ev.boot_ns.saturating_sub(self.proc()?.started_ns?)),
            Field::ContainerPrivileged => Value::Bool(self.meta()?.privileged?),
            Field::UserUid => Value::Uint(u64::from(ev.uid)),
            Field::GroupGid => Value::Uint(u64::from(ev.gid)),
            Field::UserName => Value::Str(Cow::Owned(
                self.cx.user_name(ev.uid, ev.container.is_some())?,
            )),
            Field::FdName | Field::FdNameraw => match self.detail()? {
                SyscallDetail::Open { .. } => string(self.open_path()?),
                SyscallDetail::Socket(_) => {
                    let (c, s) = self.ends()?;
                    Value::Str(Cow::Owned(match (c, s) {
                        (Some(c), Some(s)) => format!("{c}->{s}"),
                        (None, Some(s)) => format!("->{s}"),
                        (Some(c), None) => c.to_string(),
                        (None, None) => return None,
                    }))
                }
                _ => return None,
            },
            Field::FdDirectory => Value::Str(Cow::Owned(dir_of(&self.open_path()?).to_string())),
            Field::FdFilename => Value::Str(Cow::Owned(file_of(&self.open_path()?).to_string())),
            Field::FdTypechar | Field::FdType => {
                let (ch, name) = match self.detail()? {
                    SyscallDetail::Open { .. } => ("f", "file"),
                    SyscallDetail::Socket(s) => match s.family {
                        2 => ("4", "ipv4"),
                        10 => ("6", "ipv6"),
                        1 => ("u", "unix"),
                        _ => return None,
                    },
                    _ => return None,
                };
                Value::str(if field == Field::FdTypechar { ch } else { name })
            }
            // an open's descriptor is its result (negative when it failed, so Falco's
            // `fd.num>=0` in open_read/open_write means "succeeded")
            Field::FdNum => match self.detail()? {
                SyscallDetail::Open { .. } => Value::Int(self.ret()?),
                _ => Value::Int(i64::from(self.socket()?.fd)),
            },
            Field::FdSip | Field::FdRip => Value::Ip(self.ends()?.1?.ip()),
            Field::FdCip | Field::FdLip => Value::Ip(self.ends()?.0?.ip()),
            Field::FdSport | Field::FdRport => Value::Uint(u64::from(self.ends()?.1?.port())),
            Field::FdCport | Field::FdLport => Value::Uint(u64::from(self.ends()?.0?.port())),
            Field::FdIp => {
                let (c, s) = self.ends()?;
                Value::List(
                    [c, s]
                        .into_iter()
                        .flatten()
                        .map(|a| Value::Ip(a.ip()))
                        .collect(),
                )
            }
            Field::FdPort => {
                let (c, s) = self.ends()?;
                Value::List(
                    [c, s]
                        .into_iter()
                        .flatten()
                        .map(|a| Value::Uint(u64::from(a.port())))
                        .collect(),
                )
            }
            Field::FdSockfamily => Value::str(match self.socket()?.family {
                2 | 10 => "ip",
                1 => "unix",
                _ => return None,
            }),
            Field::ContainerId => string(self.container_id()),
            Field::ContainerFullId => {
                Value::str(ev.container.as_ref().map_or("host", |c| c.id.as_str()))
            }
            Field::ContainerType => {
                Value::str(ev.container.as_ref().map_or("host", |c| c.runtime.name()))
            }
            Field::ContainerName => Value::str(self.meta()?.name.as_deref()?),
            Field::ContainerImage => Value::str(self.meta()?.image.as_deref()?),
            Field::ContainerImageRepository => {
                Value::str(self.meta()?.image_repository.as_deref()?)
            }
            Field::ContainerImageTag => Value::str(self.meta()?.image_tag.as_deref()?),
            Field::ContainerImageDigest => Value::str(self.meta()?.image_digest.as_deref()?),
            Field::K8sNsName => Value::str(&self.meta()?.pod.as_ref()?.namespace),
            Field::K8sPodName => Value::str(&self.meta()?.pod.as_ref()?.name),
            Field::K8sPodUid => Value::str(ev.container.as_ref()?.pod_uid.as_deref()?),
            _ => return None,
        })
    }
}
