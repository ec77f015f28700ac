//! A recorded `syscall` event in the shape the sensor produces (one JSON object per line in
//! `tests/data/*.jsonl`), and its [`Event`] implementation: the reference for how catalog
//! fields map onto an event.
#![allow(dead_code)]

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::IpAddr;

use bulwark_rules::{Event, EventTypeId, Field, FieldArg, Source, Value};
use serde::Deserialize;

/// An ancestor of the process (parent first).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ancestor {
    pub name: String,
    pub pid: i64,
    pub exe: String,
    pub exepath: String,
    pub cmdline: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Proc {
    pub pid: i64,
    pub vpid: i64,
    pub name: String,
    pub exe: String,
    pub exepath: String,
    pub args: Vec<String>,
    pub cwd: String,
    pub env: Vec<String>,
    pub tty: i64,
    pub sid: i64,
    pub sname: String,
    pub vpgid: i64,
    pub vpgid_name: String,
    pub vpgid_exe: String,
    pub is_vpgid_leader: bool,
    pub is_exe_upper_layer: bool,
    pub is_exe_from_memfd: bool,
    pub is_exe_writable: bool,
    pub cap_effective: String,
    pub cap_permitted: String,
    /// Parent first.
    pub ancestors: Vec<Ancestor>,
    #[serde(skip)]
    pub cmdline: String,
    #[serde(skip)]
    pub args_joined: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct User {
    pub uid: u64,
    pub name: String,
    pub loginuid: Option<i64>,
    pub loginname: String,
    pub gid: u64,
    pub group: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Fd {
    pub num: i64,
    #[serde(rename = "type")]
    pub ty: String,
    pub name: String,
    pub nameraw: Option<String>,
    pub cip: Option<IpAddr>,
    pub cport: Option<u64>,
    pub sip: Option<IpAddr>,
    pub sport: Option<u64>,
    /// Whether the process is the server end (then local = server).
    pub is_server: bool,
    pub l4proto: String,
    pub connected: bool,
    #[serde(skip)]
    pub directory: String,
    #[serde(skip)]
    pub filename: String,
    #[serde(skip)]
    pub typechar: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Container {
    pub id: String,
    pub name: String,
    pub image: String,
    pub repository: String,
    pub tag: String,
    pub privileged: Option<bool>,
    pub mounts: String,
    pub start_ts: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct K8s {
    pub ns: String,
    pub pod: String,
    pub labels: BTreeMap<String, String>,
}

/// One recorded system-call event (an exit event unless `dir` says otherwise).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecordedEvent {
    /// Free text naming the case (not a field).
    pub comment: String,
    /// The rules the replay test expects to fire (not a field).
    pub expect: Vec<String>,
    pub time: u64,
    pub num: u64,
    #[serde(rename = "type")]
    pub evt_type: String,
    pub dir: Option<String>,
    /// `evt.arg.NAME` values, as Falco formats them (`flags: O_RDONLY|O_CLOEXEC`).
    pub args: BTreeMap<String, String>,
    pub res: i64,
    /// `evt.res` when the call failed (`ENOENT`).
    pub errno: Option<String>,
    pub hostname: String,
    pub proc: Proc,
    pub user: User,
    pub fd: Option<Fd>,
    pub container: Container,
    pub k8s: K8s,
    #[serde(skip)]
    type_id: Option<EventTypeId>,
    #[serde(skip)]
    args_text: String,
}

impl RecordedEvent {
    /// Parses one JSON line and computes the derived fields.
    pub fn from_json(line: &str) -> RecordedEvent {
        let mut e: RecordedEvent = serde_json::from_str(line).expect("a recorded event");
        e.finish();
        e
    }

    /// Computes the fields derived from others (command line, directory, …).
    pub fn finish(&mut self) {
        self.type_id = EventTypeId::from_name(&self.evt_type);
        let p = &mut self.proc;
        p.args_joined = p.args.join(" ");
        p.cmdline = if p.args.is_empty() {
            p.name.clone()
        } else {
            format!("{} {}", p.name, p.args_joined)
        };
        if self.container.id.is_empty() {
            self.container.id = "host".into();
            self.container.name = "host".into();
        }
        self.args_text = self
            .args
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(fd) = &mut self.fd {
            fd.typechar = match fd.ty.as_str() {
                "file" => "f",
                "directory" => "d",
                "ipv4" => "4",
                "ipv6" => "6",
                "unix" => "u",
                "pipe" => "p",
                "memfd" => "m",
                _ => "o",
            }
            .into();
            if matches!(fd.ty.as_str(), "file" | "directory") {
                match fd.name.rfind('/') {
                    Some(0) => {
                        fd.directory = "/".into();
                        fd.filename = fd.name[1..].into();
                    }
                    Some(i) => {
                        fd.directory = fd.name[..i].into();
                        fd.filename = fd.name[i + 1..].into();
                    }
                    None => fd.filename = fd.name.clone(),
                }
            }
            if let (Some(c), Some(cp), Some(s), Some(sp)) = (fd.cip, fd.cport, fd.sip, fd.sport)
                && fd.name.is_empty()
            {
                fd.name = format!("{c}:{cp}->{s}:{sp}");
            }
        }
    }

    fn flags(&self) -> &str {
        self.args.get("flags").map_or("", String::as_str)
    }

    fn is_open(&self) -> bool {
        matches!(
            self.evt_type.as_str(),
            "open" | "openat" | "openat2" | "creat"
        )
    }
}

#[allow(clippy::unnecessary_wraps)] // reads better in the field table
fn s(v: &str) -> Option<Value<'_>> {
    Some(Value::Str(Cow::Borrowed(v)))
}

fn nonempty(v: &str) -> Option<Value<'_>> {
    if v.is_empty() { None } else { s(v) }
}

impl Event for RecordedEvent {
    fn source(&self) -> Source {
        Source::Syscall
    }

    fn event_type(&self) -> EventTypeId {
        self.type_id.unwrap_or(EventTypeId::NONE)
    }

    fn time_ns(&self) -> u64 {
        self.time
    }

    fn field(&self, field: Field, arg: Option<&FieldArg>) -> Option<Value<'_>> {
        let p = &self.proc;
        let parent = p.ancestors.first();
        let fd = self.fd.as_ref();
        let ancestor =
            |i: u32| -> Option<&Ancestor> { p.ancestors.get(i.checked_sub(1)? as usize) };
        match field {
            Field::EvtNum => Some(Value::Uint(self.num)),
            Field::EvtTime
            | Field::EvtTimeS
            | Field::EvtTimeIso8601
            | Field::EvtDatetime
            | Field::EvtRawtime => Some(Value::Uint(self.time)),
            Field::EvtType | Field::SyscallType => s(&self.evt_type),
            Field::EvtDir => s(self.dir.as_deref().unwrap_or("<")),
            Field::EvtArgs => s(&self.args_text),
            Field::EvtArg => match arg? {
                FieldArg::Key(k) => self.args.get(&**k).map(|v| Value::str(v)),
                FieldArg::Index(i) => self.args.values().nth(*i as usize).map(|v| Value::str(v)),
            },
            Field::EvtRes => match &self.errno {
                Some(e) => s(e),
                None => s("SUCCESS"),
            },
            Field::EvtRawres => Some(Value::Int(self.res)),
            Field::EvtFailed => Some(Value::Bool(self.res < 0)),
            Field::EvtIsOpenRead => Some(Value::Bool(
                self.is_open()
                    && (self.flags().contains("O_RDONLY") || self.flags().contains("O_RDWR")),
            )),
            Field::EvtIsOpenWrite => Some(Value::Bool(
                self.is_open()
                    && (self.flags().contains("O_WRONLY") || self.flags().contains("O_RDWR")),
            )),
            Field::EvtIsOpenExec => Some(Value::Bool(
                self.is_open()
                    && self.flags().contains("O_CREAT")
                    && self.args.get("mode").is_some_and(|m| m.contains("S_IX")),
            )),
            Field::EvtHostname => nonempty(&self.hostname),
            Field::ProcPid => Some(Value::Int(p.pid)),
            Field::ProcVpid => Some(Value::Int(p.vpid)),
            Field::ProcPpid => parent.map(|a| Value::Int(a.pid)),
            Field::ProcName => s(&p.name),
            Field::ProcExe => s(if p.exe.is_empty() { &p.name } else { &p.exe }),
            Field::ProcExepath => nonempty(&p.exepath),
            Field::ProcCmdline => s(&p.cmdline),
            Field::ProcArgs => s(&p.args_joined),
            Field::ProcCwd => nonempty(&p.cwd),
            Field::ProcEnv => match arg {
                None => Some(Value::Str(Cow::Owned(p.env.join(" ")))),
                Some(FieldArg::Key(k)) => p.env.iter().find_map(|e| {
                    e.strip_prefix(&**k)
                        .and_then(|r| r.strip_prefix('='))
                        .map(Value::str)
                }),
                Some(FieldArg::Index(_)) => None,
            },
            Field::ProcTty => Some(Value::Int(p.tty)),
            Field::ProcSid => Some(Value::Int(p.sid)),
            Field::ProcSname => nonempty(&p.sname),
            Field::ProcVpgid => Some(Value::Int(p.vpgid)),
            Field::ProcVpgidName => nonempty(&p.vpgid_name),
            Field::ProcVpgidExe => nonempty(&p.vpgid_exe),
            Field::ProcIsVpgidLeader => Some(Value::Bool(p.is_vpgid_leader)),
            Field::ProcPname => parent.and_then(|a| nonempty(&a.name)),
            Field::ProcPexe => parent.and_then(|a| nonempty(&a.exe)),
            Field::ProcPexepath => parent.and_then(|a| nonempty(&a.exepath)),
            Field::ProcPcmdline => parent.and_then(|a| nonempty(&a.cmdline)),
            Field::ProcAname => match arg {
                Some(FieldArg::Index(0)) => s(&p.name),
                Some(FieldArg::Index(i)) => ancestor(*i).map(|a| Value::str(&a.name)),
                _ => Some(Value::List(
                    p.ancestors.iter().map(|a| Value::str(&a.name)).collect(),
                )),
            },
            Field::ProcApid => match arg {
                Some(FieldArg::Index(0)) => Some(Value::Int(p.pid)),
                Some(FieldArg::Index(i)) => ancestor(*i).map(|a| Value::Int(a.pid)),
                _ => Some(Value::List(
                    p.ancestors.iter().map(|a| Value::Int(a.pid)).collect(),
                )),
            },
            Field::ProcAexepath => match arg {
                Some(FieldArg::Index(0)) => s(&p.exepath),
                Some(FieldArg::Index(i)) => ancestor(*i).map(|a| Value::str(&a.exepath)),
                _ => Some(Value::List(
                    p.ancestors.iter().map(|a| Value::str(&a.exepath)).collect(),
                )),
            },
            Field::ProcIsExeUpperLayer => Some(Value::Bool(p.is_exe_upper_layer)),
            Field::ProcIsExeFromMemfd => Some(Value::Bool(p.is_exe_from_memfd)),
            Field::ProcIsExeWritable => Some(Value::Bool(p.is_exe_writable)),
            Field::ThreadCapEffective => nonempty(&p.cap_effective),
            Field::ThreadCapPermitted => nonempty(&p.cap_permitted),
            Field::UserUid => Some(Value::Uint(self.user.uid)),
            Field::UserName => s(&self.user.name),
            Field::UserLoginuid => Some(Value::Int(self.user.loginuid.unwrap_or(-1))),
            Field::UserLoginname => nonempty(&self.user.loginname),
            Field::GroupGid => Some(Value::Uint(self.user.gid)),
            Field::GroupName => nonempty(&self.user.group),
            Field::FdNum => fd.map(|f| Value::Int(f.num)),
            Field::FdType => fd.and_then(|f| nonempty(&f.ty)),
            Field::FdTypechar => fd.and_then(|f| nonempty(&f.typechar)),
            Field::FdName => fd.and_then(|f| nonempty(&f.name)),
            Field::FdNameraw => fd.and_then(|f| s(f.nameraw.as_deref().unwrap_or(&f.name))),
            Field::FdDirectory => fd.and_then(|f| nonempty(&f.directory)),
            Field::FdFilename => fd.and_then(|f| nonempty(&f.filename)),
            Field::FdL4proto => fd.and_then(|f| nonempty(&f.l4proto)),
            Field::FdConnected => fd.map(|f| Value::Bool(f.connected)),
            Field::FdCip => fd.and_then(|f| f.cip).map(Value::Ip),
            Field::FdSip => fd.and_then(|f| f.sip).map(Value::Ip),
            Field::FdCport => fd.and_then(|f| f.cport).map(Value::Uint),
            Field::FdSport => fd.and_then(|f| f.sport).map(Value::Uint),
            Field::FdLip | Field::FdLnet => fd
                .and_then(|f| if f.is_server { f.sip } else { f.cip })
                .map(Value::Ip),
            Field::FdRip | Field::FdRnet => fd
                .and_then(|f| if f.is_server { f.cip } else { f.sip })
                .map(Value::Ip),
            Field::FdLport => fd
                .and_then(|f| if f.is_server { f.sport } else { f.cport })
                .map(Value::Uint),
            Field::FdRport => fd
                .and_then(|f| if f.is_server { f.cport } else { f.sport })
                .map(Value::Uint),
            Field::FdSnet => fd.and_then(|f| f.sip).map(Value::Ip),
            Field::FdCnet => fd.and_then(|f| f.cip).map(Value::Ip),
            Field::FdIp | Field::FdNet => {
                let f = fd?;
                let v: Vec<Value<'_>> = [f.cip, f.sip]
                    .into_iter()
                    .flatten()
                    .map(Value::Ip)
                    .collect();
                (!v.is_empty()).then_some(Value::List(v))
            }
            Field::FdPort => {
                let f = fd?;
                let v: Vec<Value<'_>> = [f.cport, f.sport]
                    .into_iter()
                    .flatten()
                    .map(Value::Uint)
                    .collect();
                (!v.is_empty()).then_some(Value::List(v))
            }
            Field::ContainerId => s(&self.container.id),
            Field::ContainerName => s(&self.container.name),
            Field::ContainerImage => nonempty(&self.container.image),
            Field::ContainerImageRepository => nonempty(&self.container.repository),
            Field::ContainerImageTag => nonempty(&self.container.tag),
            Field::ContainerPrivileged => self.container.privileged.map(Value::Bool),
            Field::ContainerMounts => nonempty(&self.container.mounts),
            Field::ContainerStartTs => self.container.start_ts.map(Value::Uint),
            Field::K8sNsName => nonempty(&self.k8s.ns),
            Field::K8sPodName => nonempty(&self.k8s.pod),
            Field::K8sPodLabels => match arg {
                Some(FieldArg::Key(k)) => self.k8s.labels.get(&**k).map(|v| Value::str(v)),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Reads a `.jsonl` file of recorded events (blank lines and `//` comments skipped).
pub fn read_events(path: &str) -> Vec<RecordedEvent> {
    std::fs::read_to_string(path)
        .expect("events file")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("//"))
        .map(RecordedEvent::from_json)
        .collect()
}
