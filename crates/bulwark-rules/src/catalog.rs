//! The field catalog: every field a condition or an output may name, per event source, with its
//! type and argument; the event-type names of the `syscall` source.
//!
//! The catalog is the contract between the rule engine and the code that produces events: a
//! field listed here is one the sensor (`syscall`) or the audit-log detector (`k8s_audit`)
//! answers through [`Event::field`](crate::Event::field). Falco knows more fields than we
//! implement; those are listed in [`FALCO_ONLY_FIELDS`] so that a rule naming one loads
//! disabled with a warning, while a name neither we nor Falco know is an error, as in Falco.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

/// An event source, as named by a rule's `source` key.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Source {
    /// System calls, observed by the runtime sensor (Falco's default source).
    #[serde(rename = "syscall")]
    Syscall,
    /// Kubernetes API-server audit events.
    #[serde(rename = "k8s_audit")]
    K8sAudit,
}

impl Source {
    /// Every source, in index order.
    pub const ALL: [Source; 2] = [Source::Syscall, Source::K8sAudit];

    /// The source's name in rule files (`syscall`, `k8s_audit`).
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Syscall => "syscall",
            Source::K8sAudit => "k8s_audit",
        }
    }

    /// The source named `name`, if we implement it.
    pub fn from_name(name: &str) -> Option<Source> {
        match name {
            "syscall" => Some(Source::Syscall),
            "k8s_audit" => Some(Source::K8sAudit),
            _ => None,
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The type of a field's values, which decides how a condition compares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// Text.
    String,
    /// A signed integer.
    Int64,
    /// An unsigned integer.
    Uint64,
    /// A TCP/UDP port.
    Port,
    /// An absolute time in nanoseconds since the Unix epoch.
    AbsTime,
    /// A duration in nanoseconds.
    RelTime,
    /// `true` or `false`.
    Bool,
    /// An IPv4 or IPv6 address; compared against addresses or networks (`10.0.0.0/8`).
    IpAddr,
    /// A network the event's address must fall in (`fd.net = 127.0.0.0/8`).
    IpNet,
    /// Several strings ([`Value::List`](crate::Value::List)): `in` asks that all of them are in
    /// the set, `intersects` that one is; other operators that one matches.
    StringList,
    /// A number or a string, decided per event (`evt.rawarg.*`, `jevt.value[...]`).
    Dynamic,
}

impl FieldType {
    /// The name Falco gives the type in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Int64 => "int64",
            FieldType::Uint64 => "uint64",
            FieldType::Port => "port",
            FieldType::AbsTime => "abstime",
            FieldType::RelTime => "reltime",
            FieldType::Bool => "bool",
            FieldType::IpAddr => "ipaddr",
            FieldType::IpNet => "ipnet",
            FieldType::StringList => "list",
            FieldType::Dynamic => "dynamic",
        }
    }
}

/// What a field accepts between brackets (`proc.aname[2]`, `evt.arg[name]`,
/// `jevt.value[/spec/tls]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgSpec {
    /// No argument.
    None,
    /// An optional number: without it, the field means "any of them" (`proc.aname`).
    OptionalIndex,
    /// A required key (`jevt.value[/stage]`, `ka.uri.param[name]`).
    Key,
    /// An optional key (`proc.env[HOME]`; without it, the whole value).
    OptionalKey,
    /// A required argument name or number (`evt.arg[0]`, `evt.arg.flags`).
    IndexOrKey,
}

/// A field argument resolved at compile time and handed to [`Event::field`](crate::Event::field).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldArg {
    /// A number: `proc.aname[2]`, `evt.arg[0]`.
    Index(u32),
    /// A key: `evt.arg.flags` (key `flags`), `jevt.value[/stage]`, `proc.env[HOME]`.
    Key(Box<str>),
}

impl fmt::Display for FieldArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldArg::Index(i) => write!(f, "{i}"),
            FieldArg::Key(k) => f.write_str(k),
        }
    }
}

/// What the catalog says about one field.
#[derive(Debug)]
pub struct FieldInfo {
    /// The field.
    pub field: Field,
    /// Its name in rules (`proc.name`).
    pub name: &'static str,
    /// The source whose events carry it; `None` for the fields every event has (`evt.time`,
    /// `evt.num`, `evt.hostname`, …).
    pub source: Option<Source>,
    /// The type of its values.
    pub ty: FieldType,
    /// What it accepts in brackets.
    pub arg: ArgSpec,
    /// What it means.
    pub doc: &'static str,
}

#[allow(non_upper_case_globals)]
mod srcs {
    use super::Source;
    pub(super) const Any: Option<Source> = None;
    pub(super) const Syscall: Option<Source> = Some(Source::Syscall);
    pub(super) const K8sAudit: Option<Source> = Some(Source::K8sAudit);
}

macro_rules! catalog {
    ($( $var:ident = $name:literal, $src:ident, $ty:ident, $arg:ident, $doc:literal; )*) => {
        /// A field of the catalog, resolved from its name when rules are compiled; events are
        /// asked for fields by this id. See [`Field::info`] for its name, source and type.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        #[repr(u16)]
        pub enum Field {
            $( #[doc = concat!("`", $name, "`: ", $doc)] $var, )*
        }

        static FIELDS: &[FieldInfo] = &[
            $( FieldInfo {
                field: Field::$var,
                name: $name,
                source: srcs::$src,
                ty: FieldType::$ty,
                arg: ArgSpec::$arg,
                doc: $doc,
            }, )*
        ];
    };
}

catalog! {
    // --- syscall: the event itself
    EvtNum = "evt.num", Any, Uint64, None, "the event's sequence number";
    EvtTime = "evt.time", Any, AbsTime, None, "the event's timestamp (nanoseconds since the epoch; printed as a time of day)";
    EvtTimeS = "evt.time.s", Any, AbsTime, None, "the event's timestamp, printed in seconds";
    EvtTimeIso8601 = "evt.time.iso8601", Any, AbsTime, None, "the event's timestamp, printed in ISO 8601";
    EvtDatetime = "evt.datetime", Any, AbsTime, None, "the event's timestamp, printed with its date";
    EvtRawtime = "evt.rawtime", Any, AbsTime, None, "the event's timestamp, printed as nanoseconds";
    EvtType = "evt.type", Syscall, String, None, "the event's name (`open`, `execve`, …); conditions on it select the events a rule sees";
    EvtDir = "evt.dir", Syscall, String, None, "`>` for enter events, `<` for exit events";
    EvtArgs = "evt.args", Syscall, String, None, "all the event's arguments, as one string";
    EvtArg = "evt.arg", Syscall, String, IndexOrKey, "one argument of the event, by name or number (`evt.arg.flags`, `evt.arg[0]`)";
    EvtRawarg = "evt.rawarg", Syscall, Dynamic, IndexOrKey, "one argument of the event, unformatted (numbers stay numbers)";
    EvtRes = "evt.res", Syscall, String, None, "the result: `SUCCESS` or an errno name (`ENOENT`)";
    EvtRawres = "evt.rawres", Syscall, Int64, None, "the result as a number";
    EvtFailed = "evt.failed", Syscall, Bool, None, "whether the call failed";
    EvtIsOpenRead = "evt.is_open_read", Syscall, Bool, None, "an open for reading";
    EvtIsOpenWrite = "evt.is_open_write", Syscall, Bool, None, "an open for writing";
    EvtIsOpenExec = "evt.is_open_exec", Syscall, Bool, None, "an open or creation of an executable file";
    EvtHostname = "evt.hostname", Any, String, None, "the host's name";
    EvtCpu = "evt.cpu", Syscall, Int64, None, "the CPU the event happened on";
    EvtPluginname = "evt.pluginname", Any, String, None, "the plugin that produced the event";
    SyscallType = "syscall.type", Syscall, String, None, "the system call's name, for system-call events";
    // --- syscall: the process
    ProcPid = "proc.pid", Syscall, Int64, None, "the process id";
    ProcVpid = "proc.vpid", Syscall, Int64, None, "the process id inside its PID namespace";
    ProcPpid = "proc.ppid", Syscall, Int64, None, "the parent's process id";
    ProcName = "proc.name", Syscall, String, None, "the executable's name (comm)";
    ProcExe = "proc.exe", Syscall, String, None, "the first command-line argument (`argv[0]`)";
    ProcExepath = "proc.exepath", Syscall, String, None, "the full path of the executable";
    ProcCmdline = "proc.cmdline", Syscall, String, None, "the name and arguments (`bash -c ls`)";
    ProcArgs = "proc.args", Syscall, String, None, "the arguments, space-separated";
    ProcCwd = "proc.cwd", Syscall, String, None, "the working directory";
    ProcEnv = "proc.env", Syscall, String, OptionalKey, "the environment, or one variable's value (`proc.env[HOME]`)";
    ProcTty = "proc.tty", Syscall, Int64, None, "the controlling terminal (0 for none)";
    ProcSid = "proc.sid", Syscall, Int64, None, "the session id";
    ProcSname = "proc.sname", Syscall, String, None, "the session leader's name";
    ProcVpgid = "proc.vpgid", Syscall, Int64, None, "the process group id, in the PID namespace";
    ProcVpgidName = "proc.vpgid.name", Syscall, String, None, "the process group leader's name";
    ProcVpgidExe = "proc.vpgid.exe", Syscall, String, None, "the process group leader's `argv[0]`";
    ProcIsVpgidLeader = "proc.is_vpgid_leader", Syscall, Bool, None, "whether the process leads its process group";
    ProcIsSidLeader = "proc.is_sid_leader", Syscall, Bool, None, "whether the process leads its session";
    ProcPname = "proc.pname", Syscall, String, None, "the parent's name";
    ProcPexe = "proc.pexe", Syscall, String, None, "the parent's `argv[0]`";
    ProcPexepath = "proc.pexepath", Syscall, String, None, "the parent's executable path";
    ProcPcmdline = "proc.pcmdline", Syscall, String, None, "the parent's command line";
    ProcAname = "proc.aname", Syscall, String, OptionalIndex, "an ancestor's name (`proc.aname[1]` is the parent); without a number, any ancestor";
    ProcApid = "proc.apid", Syscall, Int64, OptionalIndex, "an ancestor's process id; without a number, any ancestor";
    ProcAexe = "proc.aexe", Syscall, String, OptionalIndex, "an ancestor's `argv[0]`; without a number, any ancestor";
    ProcAexepath = "proc.aexepath", Syscall, String, OptionalIndex, "an ancestor's executable path; without a number, any ancestor";
    ProcIsExeUpperLayer = "proc.is_exe_upper_layer", Syscall, Bool, None, "the executable lives in the overlayfs upper layer (written after the container started)";
    ProcIsExeFromMemfd = "proc.is_exe_from_memfd", Syscall, Bool, None, "the executable is a memfd";
    ProcStdinType = "proc.stdin.type", Syscall, String, None, "what standard input is at exec (`file`, `pipe`, `ipv4`, `ipv6`, `unix`, …)";
    ProcStdoutType = "proc.stdout.type", Syscall, String, None, "what standard output is at exec";
    ProcStderrType = "proc.stderr.type", Syscall, String, None, "what standard error is at exec";
    ProcIsExeWritable = "proc.is_exe_writable", Syscall, Bool, None, "the executable is writable by the process's user";
    ProcExeIno = "proc.exe_ino", Syscall, Uint64, None, "the executable's inode number";
    ProcExeInoCtime = "proc.exe_ino.ctime", Syscall, AbsTime, None, "the executable's inode change time";
    ProcExeInoMtime = "proc.exe_ino.mtime", Syscall, AbsTime, None, "the executable's modification time";
    ProcExeInoCtimeDurationProcStart = "proc.exe_ino.ctime_duration_proc_start", Syscall, RelTime, None, "time from the executable's inode change to the process start";
    ProcDuration = "proc.duration", Syscall, RelTime, None, "how long the process has run";
    ProcPpidDuration = "proc.ppid.duration", Syscall, RelTime, None, "how long the parent has run";
    ThreadTid = "thread.tid", Syscall, Int64, None, "the thread id";
    ThreadCapEffective = "thread.cap_effective", Syscall, String, None, "the effective capabilities (`CAP_SYS_ADMIN CAP_NET_RAW …`)";
    ThreadCapPermitted = "thread.cap_permitted", Syscall, String, None, "the permitted capabilities";
    ThreadCapInheritable = "thread.cap_inheritable", Syscall, String, None, "the inheritable capabilities";
    // --- syscall: user and group
    UserUid = "user.uid", Syscall, Uint64, None, "the user id";
    UserName = "user.name", Syscall, String, None, "the user name";
    UserLoginuid = "user.loginuid", Syscall, Int64, None, "the audit login uid (-1 when unset)";
    UserLoginname = "user.loginname", Syscall, String, None, "the audit login user's name";
    GroupGid = "group.gid", Syscall, Uint64, None, "the group id";
    GroupName = "group.name", Syscall, String, None, "the group name";
    // --- syscall: the file descriptor
    FdNum = "fd.num", Syscall, Int64, None, "the file descriptor number";
    FdType = "fd.type", Syscall, String, None, "`file`, `directory`, `ipv4`, `ipv6`, `unix`, `pipe`, `event`, `signalfd`, `eventpoll`, `inotify`, `memfd`, …";
    FdTypechar = "fd.typechar", Syscall, String, None, "the type as one character (`f`, `4`, `6`, `u`, `p`, …)";
    FdTypes = "fd.types", Syscall, StringList, OptionalIndex, "the types of the process's open descriptors";
    FdName = "fd.name", Syscall, String, None, "the full path, or the connection tuple of a socket";
    FdNameraw = "fd.nameraw", Syscall, String, None, "the path as the process gave it";
    FdDirectory = "fd.directory", Syscall, String, None, "the directory of a file";
    FdFilename = "fd.filename", Syscall, String, None, "the file's name without its directory";
    FdIp = "fd.ip", Syscall, IpAddr, None, "client or server address (answer both, as a list)";
    FdCip = "fd.cip", Syscall, IpAddr, None, "the client address";
    FdSip = "fd.sip", Syscall, IpAddr, None, "the server address";
    FdLip = "fd.lip", Syscall, IpAddr, None, "the local address";
    FdRip = "fd.rip", Syscall, IpAddr, None, "the remote address";
    FdPort = "fd.port", Syscall, Port, None, "client or server port (answer both, as a list)";
    FdCport = "fd.cport", Syscall, Port, None, "the client port";
    FdSport = "fd.sport", Syscall, Port, None, "the server port";
    FdLport = "fd.lport", Syscall, Port, None, "the local port";
    FdRport = "fd.rport", Syscall, Port, None, "the remote port";
    FdNet = "fd.net", Syscall, IpNet, None, "client or server address, matched against networks (answer both, as a list)";
    FdCnet = "fd.cnet", Syscall, IpNet, None, "the client address, matched against networks";
    FdSnet = "fd.snet", Syscall, IpNet, None, "the server address, matched against networks";
    FdLnet = "fd.lnet", Syscall, IpNet, None, "the local address, matched against networks";
    FdRnet = "fd.rnet", Syscall, IpNet, None, "the remote address, matched against networks";
    FdL4proto = "fd.l4proto", Syscall, String, None, "`tcp`, `udp`, `icmp` or `raw`";
    FdSockfamily = "fd.sockfamily", Syscall, String, None, "`ip` or `unix`";
    FdConnected = "fd.connected", Syscall, Bool, None, "whether the socket is connected";
    FdNameChanged = "fd.name_changed", Syscall, Bool, None, "whether the event changed the descriptor's name";
    FdCipName = "fd.cip.name", Syscall, String, None, "the client address's domain name";
    FdSipName = "fd.sip.name", Syscall, String, None, "the server address's domain name";
    FdLipName = "fd.lip.name", Syscall, String, None, "the local address's domain name";
    FdRipName = "fd.rip.name", Syscall, String, None, "the remote address's domain name";
    FdIno = "fd.ino", Syscall, Int64, None, "the file's inode number";
    // --- syscall: container and Kubernetes metadata
    ContainerId = "container.id", Syscall, String, None, "the container id (12 hex digits), `host` outside containers";
    ContainerFullId = "container.full_id", Syscall, String, None, "the full container id, `host` outside containers";
    ContainerName = "container.name", Syscall, String, None, "the container's name, `host` outside containers";
    ContainerImage = "container.image", Syscall, String, None, "the image reference";
    ContainerImageRepository = "container.image.repository", Syscall, String, None, "the image repository";
    ContainerImageTag = "container.image.tag", Syscall, String, None, "the image tag";
    ContainerImageDigest = "container.image.digest", Syscall, String, None, "the image digest";
    ContainerPrivileged = "container.privileged", Syscall, Bool, None, "whether the container is privileged";
    ContainerMounts = "container.mounts", Syscall, String, None, "the container's mounts, comma-separated `source:dest:mode:rdrw:propagation`";
    ContainerStartTs = "container.start_ts", Syscall, AbsTime, None, "when the container started";
    ContainerType = "container.type", Syscall, String, None, "the container runtime (`docker`, `podman`, `cri-o`, …)";
    K8sNsName = "k8s.ns.name", Syscall, String, None, "the pod's namespace";
    K8sPodName = "k8s.pod.name", Syscall, String, None, "the pod's name";
    K8sPodUid = "k8s.pod.uid", Syscall, String, None, "the pod's uid";
    K8sPodLabels = "k8s.pod.labels", Syscall, String, OptionalKey, "the pod's labels, or one label's value (`k8s.pod.labels[app]`)";
    K8sPodLabel = "k8s.pod.label", Syscall, String, Key, "one of the pod's labels";
    // --- k8s_audit
    KaAuditid = "ka.auditid", K8sAudit, String, None, "the audit event's id";
    KaStage = "ka.stage", K8sAudit, String, None, "the audit stage (`ResponseComplete`, …)";
    KaAuthDecision = "ka.auth.decision", K8sAudit, String, None, "the authorization decision";
    KaAuthReason = "ka.auth.reason", K8sAudit, String, None, "the authorization reason";
    KaUserName = "ka.user.name", K8sAudit, String, None, "the user";
    KaUserGroups = "ka.user.groups", K8sAudit, StringList, None, "the user's groups";
    KaImpuserName = "ka.impuser.name", K8sAudit, String, None, "the impersonated user";
    KaVerb = "ka.verb", K8sAudit, String, None, "the verb (`create`, `get`, …)";
    KaUri = "ka.uri", K8sAudit, String, None, "the request URI";
    KaUriParam = "ka.uri.param", K8sAudit, String, Key, "a query parameter of the request URI";
    KaTargetName = "ka.target.name", K8sAudit, String, None, "the target object's name";
    KaTargetNamespace = "ka.target.namespace", K8sAudit, String, None, "the target object's namespace";
    KaTargetResource = "ka.target.resource", K8sAudit, String, None, "the target resource (`pods`)";
    KaTargetSubresource = "ka.target.subresource", K8sAudit, String, None, "the target subresource (`exec`)";
    KaReqBindingSubjects = "ka.req.binding.subjects", K8sAudit, StringList, None, "a binding's subjects";
    KaReqBindingRole = "ka.req.binding.role", K8sAudit, String, None, "a binding's role";
    KaReqBindingSubjectHasName = "ka.req.binding.subject.has_name", K8sAudit, String, Key, "whether a binding names the subject (`true`/`false`)";
    KaReqConfigmapName = "ka.req.configmap.name", K8sAudit, String, None, "a ConfigMap's name";
    KaReqConfigmapObj = "ka.req.configmap.obj", K8sAudit, String, None, "a ConfigMap's data, as JSON";
    KaReqPodContainersImage = "ka.req.pod.containers.image", K8sAudit, StringList, OptionalIndex, "the containers' images";
    KaReqContainerImage = "ka.req.container.image", K8sAudit, String, None, "the first container's image (deprecated)";
    KaReqPodContainersImageRepository = "ka.req.pod.containers.image.repository", K8sAudit, StringList, OptionalIndex, "the containers' image repositories";
    KaReqContainerImageRepository = "ka.req.container.image.repository", K8sAudit, String, None, "the first container's image repository (deprecated)";
    KaReqPodInitContainersImage = "ka.req.pod.initContainers.image", K8sAudit, StringList, OptionalIndex, "the init containers' images";
    KaReqPodInitContainersImageRepository = "ka.req.pod.initContainers.image.repository", K8sAudit, StringList, OptionalIndex, "the init containers' image repositories";
    KaReqPodEphemeralContainersImage = "ka.req.pod.ephemeralContainers.image", K8sAudit, StringList, OptionalIndex, "the ephemeral containers' images";
    KaReqPodEphemeralContainersImageRepository = "ka.req.pod.ephemeralContainers.image.repository", K8sAudit, StringList, OptionalIndex, "the ephemeral containers' image repositories";
    KaReqPodHostIpc = "ka.req.pod.host_ipc", K8sAudit, StringList, None, "`hostIPC` (`true`/`false`)";
    KaReqPodHostNetwork = "ka.req.pod.host_network", K8sAudit, StringList, None, "`hostNetwork` (`true`/`false`)";
    KaReqContainerHostNetwork = "ka.req.container.host_network", K8sAudit, StringList, None, "`hostNetwork` (`true`/`false`; deprecated, as `ka.req.pod.host_network`)";
    KaReqPodHostPid = "ka.req.pod.host_pid", K8sAudit, StringList, None, "`hostPID` (`true`/`false`)";
    KaReqPodContainersHostPort = "ka.req.pod.containers.host_port", K8sAudit, StringList, OptionalIndex, "the containers' host ports";
    KaReqPodContainersPrivileged = "ka.req.pod.containers.privileged", K8sAudit, StringList, OptionalIndex, "the containers' `privileged` (`true`/`false`)";
    KaReqContainerPrivileged = "ka.req.container.privileged", K8sAudit, StringList, None, "whether any container is privileged (deprecated)";
    KaReqPodInitContainersPrivileged = "ka.req.pod.initContainers.privileged", K8sAudit, StringList, OptionalIndex, "the init containers' `privileged`";
    KaReqPodEphemeralContainersPrivileged = "ka.req.pod.ephemeralContainers.privileged", K8sAudit, StringList, OptionalIndex, "the ephemeral containers' `privileged`";
    KaReqPodContainersAllowPrivilegeEscalation = "ka.req.pod.containers.allow_privilege_escalation", K8sAudit, StringList, OptionalIndex, "the containers' `allowPrivilegeEscalation`";
    KaReqPodContainersReadOnlyFs = "ka.req.pod.containers.read_only_fs", K8sAudit, StringList, OptionalIndex, "the containers' `readOnlyRootFilesystem`";
    KaReqPodRunAsUser = "ka.req.pod.run_as_user", K8sAudit, StringList, None, "the pod's `runAsUser`";
    KaReqPodContainersRunAsUser = "ka.req.pod.containers.run_as_user", K8sAudit, StringList, OptionalIndex, "the containers' `runAsUser`";
    KaReqPodContainersEffRunAsUser = "ka.req.pod.containers.eff_run_as_user", K8sAudit, StringList, OptionalIndex, "the containers' effective `runAsUser`";
    KaReqPodRunAsGroup = "ka.req.pod.run_as_group", K8sAudit, StringList, None, "the pod's `runAsGroup`";
    KaReqPodContainersRunAsGroup = "ka.req.pod.containers.run_as_group", K8sAudit, StringList, OptionalIndex, "the containers' `runAsGroup`";
    KaReqPodContainersEffRunAsGroup = "ka.req.pod.containers.eff_run_as_group", K8sAudit, StringList, OptionalIndex, "the containers' effective `runAsGroup`";
    KaReqPodContainersProcMount = "ka.req.pod.containers.proc_mount", K8sAudit, StringList, OptionalIndex, "the containers' `procMount`";
    KaReqPodContainersAddCapabilities = "ka.req.pod.containers.add_capabilities", K8sAudit, StringList, OptionalIndex, "the capabilities the containers add";
    KaReqPodFsGroup = "ka.req.pod.fs_group", K8sAudit, StringList, None, "the pod's `fsGroup`";
    KaReqPodSupplementalGroups = "ka.req.pod.supplemental_groups", K8sAudit, StringList, None, "the pod's `supplementalGroups`";
    KaReqRoleRules = "ka.req.role.rules", K8sAudit, StringList, OptionalIndex, "a role's rules";
    KaReqRoleRulesApiGroups = "ka.req.role.rules.apiGroups", K8sAudit, StringList, OptionalIndex, "a role's rules' API groups";
    KaReqRoleRulesNonResourceUrls = "ka.req.role.rules.nonResourceURLs", K8sAudit, StringList, OptionalIndex, "a role's rules' non-resource URLs";
    KaReqRoleRulesVerbs = "ka.req.role.rules.verbs", K8sAudit, StringList, OptionalIndex, "a role's rules' verbs";
    KaReqRoleRulesResources = "ka.req.role.rules.resources", K8sAudit, StringList, OptionalIndex, "a role's rules' resources";
    KaReqServiceType = "ka.req.service.type", K8sAudit, String, None, "a Service's type";
    KaReqServicePorts = "ka.req.service.ports", K8sAudit, StringList, OptionalIndex, "a Service's ports";
    KaReqPodVolumesHostpath = "ka.req.pod.volumes.hostpath", K8sAudit, StringList, OptionalIndex, "the pod's hostPath volumes' paths";
    KaReqVolumeHostpath = "ka.req.volume.hostpath", K8sAudit, String, Key, "whether a hostPath volume mounts the path (deprecated)";
    KaReqPodVolumesFlexvolumeDriver = "ka.req.pod.volumes.flexvolume_driver", K8sAudit, StringList, OptionalIndex, "the pod's flexVolume drivers";
    KaReqPodVolumesVolumeType = "ka.req.pod.volumes.volume_type", K8sAudit, StringList, OptionalIndex, "the pod's volume types";
    KaRespName = "ka.resp.name", K8sAudit, String, None, "the response object's name";
    KaResponseCode = "ka.response.code", K8sAudit, String, None, "the response's HTTP status code";
    KaResponseReason = "ka.response.reason", K8sAudit, String, None, "the response's reason";
    KaUseragent = "ka.useragent", K8sAudit, String, None, "the client's user agent";
    KaSourceips = "ka.sourceips", K8sAudit, StringList, OptionalIndex, "the client's source addresses";
    KaClusterName = "ka.cluster.name", K8sAudit, String, None, "the cluster's name";
    JevtTime = "jevt.time", K8sAudit, String, None, "the event's time";
    JevtTimeIso8601 = "jevt.time.iso8601", K8sAudit, String, None, "the event's time in ISO 8601";
    JevtRawtime = "jevt.rawtime", K8sAudit, AbsTime, None, "the event's time in nanoseconds since the epoch";
    JevtValue = "jevt.value", K8sAudit, Dynamic, Key, "the value at a JSON pointer (`jevt.value[/stage]`)";
    JevtObj = "jevt.obj", K8sAudit, String, None, "the whole event, as JSON";
}

/// Fields Falco knows that this engine does not implement: a rule naming one loads, with a
/// warning, and stays disabled. (A name in neither list is an error, as in Falco.)
pub static FALCO_ONLY_FIELDS: &[&str] = &[
    "evt.buffer",
    "evt.latency",
    "evt.latency.s",
    "evt.latency.ns",
    "evt.latency.human",
    "evt.deltatime",
    "evt.deltatime.s",
    "evt.deltatime.ns",
    "evt.outputtime",
    "evt.around",
    "evt.info",
    "evt.is_io",
    "evt.is_io_read",
    "evt.is_io_write",
    "evt.io_dir",
    "evt.is_wait",
    "evt.wait_latency",
    "evt.is_syslog",
    "evt.count",
    "evt.count.error",
    "evt.count.error.file",
    "evt.count.error.net",
    "evt.count.error.memory",
    "evt.count.error.other",
    "evt.count.exit",
    "evt.abspath",
    "evt.abspath.src",
    "evt.abspath.dst",
    "evt.is_open_create",
    "evt.buflen",
    "evt.buflen.in",
    "evt.buflen.out",
    "evt.buflen.file",
    "evt.buflen.net",
    "evt.source",
    "evt.asynctype",
    "evt.plugininfo",
    "evt.datetime.s",
    "evt.category",
    "evt.params",
    "fs.path.name",
    "fs.path.nameraw",
    "fs.path.source",
    "fs.path.sourceraw",
    "fs.path.target",
    "fs.path.targetraw",
    "proc.exeline",
    "proc.acmdline",
    "proc.aargs",
    "proc.pargs",
    "proc.pvpid",
    "proc.pid.ts",
    "proc.ppid.ts",
    "proc.is_container_healthcheck",
    "proc.is_container_liveness_probe",
    "proc.is_container_readiness_probe",
    "proc.nthreads",
    "proc.nchilds",
    "proc.fdopencount",
    "proc.fdlimit",
    "proc.fdusage",
    "proc.vmsize",
    "proc.vmrss",
    "proc.vmswap",
    "proc.pfmajor",
    "proc.pfminor",
    "proc.stdin.name",
    "proc.stdout.name",
    "proc.stderr.name",
    "proc.loginshellid",
    "proc.exe_upper_layer",
    "proc.exe_lower_layer",
    "proc.is_exe_lower_layer",
    "proc.cmdnargs",
    "proc.cmdlenargs",
    "proc.sid.exe",
    "proc.sid.exepath",
    "proc.vpgid.exepath",
    "proc.pgid",
    "proc.pgid.name",
    "proc.pgid.exe",
    "proc.pgid.exepath",
    "proc.is_pgid_leader",
    "proc.fd.type",
    "thread.exectime",
    "thread.totexectime",
    "thread.cgroups",
    "thread.cgroup",
    "thread.vtid",
    "thread.nametid",
    "thread.ismain",
    "thread.cpu",
    "thread.cpu.user",
    "thread.cpu.system",
    "thread.vmsize",
    "thread.vmrss",
    "user.homedir",
    "user.shell",
    "fd.dev",
    "fd.dev.major",
    "fd.dev.minor",
    "fd.is_server",
    "fd.uid",
    "fd.containername",
    "fd.containerdirectory",
    "fd.proto",
    "fd.cproto",
    "fd.sproto",
    "fd.lproto",
    "fd.rproto",
    "fdlist.nums",
    "fdlist.names",
    "fdlist.cips",
    "fdlist.sips",
    "fdlist.cports",
    "fdlist.sports",
    "container.mount",
    "container.mount.source",
    "container.mount.dest",
    "container.mount.mode",
    "container.mount.rdwr",
    "container.mount.propagation",
    "container.image.id",
    "container.healthcheck",
    "container.liveness_probe",
    "container.readiness_probe",
    "container.cni.json",
    "container.host_pid",
    "container.host_network",
    "container.host_ipc",
    "container.ip",
    "container.duration",
    "container.label",
    "container.labels",
    "container.user",
    "container.info",
    "k8s.pod.id",
    "k8s.pod.ip",
    "k8s.pod.cni.json",
    "k8s.pod.sandbox_id",
    "k8s.pod.full_sandbox_id",
    "k8s.rc.name",
    "k8s.rc.id",
    "k8s.rc.label",
    "k8s.rc.labels",
    "k8s.svc.name",
    "k8s.svc.id",
    "k8s.svc.label",
    "k8s.svc.labels",
    "k8s.ns.id",
    "k8s.ns.label",
    "k8s.ns.labels",
    "k8s.rs.name",
    "k8s.rs.id",
    "k8s.rs.label",
    "k8s.rs.labels",
    "k8s.deployment.name",
    "k8s.deployment.id",
    "k8s.deployment.label",
    "k8s.deployment.labels",
    "span.id",
    "span.time",
    "span.ntags",
    "span.nargs",
    "span.tags",
    "span.tag",
    "span.args",
    "span.arg",
    "span.enterargs",
    "span.enterarg",
    "span.duration",
    "span.duration.human",
    "evtin.id",
    "evtin.ntags",
    "evtin.nargs",
    "evtin.tags",
    "evtin.tag",
    "evtin.args",
    "evtin.arg",
    "evtin.p.id",
    "evtin.p.ntags",
    "evtin.s.id",
    "evtin.m.id",
    "syslog.facility.str",
    "syslog.facility",
    "syslog.severity.str",
    "syslog.severity",
    "syslog.message",
    "mesos.task.name",
    "mesos.task.id",
    "mesos.task.label",
    "mesos.task.labels",
    "mesos.framework.name",
    "mesos.framework.id",
    "marathon.app.name",
    "marathon.app.id",
    "marathon.app.label",
    "marathon.app.labels",
    "marathon.group.name",
    "marathon.group.id",
    "ka.req.pod.containers.eff_allow_privilege_escalation",
    "ka.req.pod.containers.eff_read_only_fs",
    "ka.target.pod.name",
    "ka.req.sec_ctx.privileged",
    "ka.req.pod.security_context",
    "ka.req.binding.subject",
];

fn by_name() -> &'static HashMap<&'static str, Field> {
    static MAP: OnceLock<HashMap<&'static str, Field>> = OnceLock::new();
    MAP.get_or_init(|| FIELDS.iter().map(|f| (f.name, f.field)).collect())
}

impl Field {
    /// The catalog entry: name, source, type, argument.
    pub fn info(self) -> &'static FieldInfo {
        &FIELDS[self as usize]
    }

    /// The field's name in rules.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The field named `name` (without argument), if the catalog has it.
    pub fn from_name(name: &str) -> Option<Field> {
        by_name().get(name).copied()
    }

    /// Every field of the catalog.
    pub fn all() -> impl Iterator<Item = &'static FieldInfo> {
        FIELDS.iter()
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a field name written in a rule resolves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// A catalog field, with an argument folded into its name (`evt.arg.flags`).
    Known(Field, Option<String>),
    /// A field Falco knows but we do not implement.
    FalcoOnly,
    /// A name nobody knows.
    Unknown,
}

/// Resolves a field name as the condition parser lexed it (`evt.arg.flags` is `evt.arg` with
/// the key `flags`).
pub(crate) fn lookup(name: &str) -> Lookup {
    if let Some(f) = Field::from_name(name) {
        return Lookup::Known(f, None);
    }
    for (prefix, field) in [
        ("evt.arg.", Field::EvtArg),
        ("evt.rawarg.", Field::EvtRawarg),
    ] {
        if let Some(rest) = name.strip_prefix(prefix)
            && !rest.is_empty()
        {
            return Lookup::Known(field, Some(rest.to_string()));
        }
    }
    if FALCO_ONLY_FIELDS.contains(&name) {
        return Lookup::FalcoOnly;
    }
    Lookup::Unknown
}

/// An event type of the `syscall` source (a system call or a sensor event such as
/// `procexit`), an index into [`EVENT_TYPES`]. Rules are indexed by the types their condition
/// can match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventTypeId(pub u16);

impl EventTypeId {
    /// The id of the event type named `name`.
    pub fn from_name(name: &str) -> Option<EventTypeId> {
        static MAP: OnceLock<HashMap<&'static str, u16>> = OnceLock::new();
        let map = MAP.get_or_init(|| {
            EVENT_TYPES
                .iter()
                .enumerate()
                .map(|(i, n)| (*n, u16::try_from(i).unwrap_or(u16::MAX)))
                .collect()
        });
        map.get(name).map(|&i| EventTypeId(i))
    }

    /// The event type's name.
    pub fn name(self) -> &'static str {
        EVENT_TYPES
            .get(usize::from(self.0))
            .copied()
            .unwrap_or("unknown")
    }

    /// The id events of sources without event types (`k8s_audit`) report.
    pub const NONE: EventTypeId = EventTypeId(u16::MAX);
}

/// The names of the `syscall` source's event types: the x86-64 system calls and the sensor's
/// own events, as Falco names them.
pub static EVENT_TYPES: &[&str] = &[
    "read",
    "write",
    "open",
    "close",
    "stat",
    "fstat",
    "lstat",
    "poll",
    "lseek",
    "mmap",
    "mprotect",
    "munmap",
    "brk",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "ioctl",
    "pread64",
    "pwrite64",
    "readv",
    "writev",
    "access",
    "pipe",
    "select",
    "sched_yield",
    "mremap",
    "msync",
    "mincore",
    "madvise",
    "shmget",
    "shmat",
    "shmctl",
    "dup",
    "dup2",
    "pause",
    "nanosleep",
    "getitimer",
    "alarm",
    "setitimer",
    "getpid",
    "sendfile",
    "socket",
    "connect",
    "accept",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "shutdown",
    "bind",
    "listen",
    "getsockname",
    "getpeername",
    "socketpair",
    "setsockopt",
    "getsockopt",
    "clone",
    "fork",
    "vfork",
    "execve",
    "exit",
    "wait4",
    "kill",
    "uname",
    "semget",
    "semop",
    "semctl",
    "shmdt",
    "msgget",
    "msgsnd",
    "msgrcv",
    "msgctl",
    "fcntl",
    "flock",
    "fsync",
    "fdatasync",
    "truncate",
    "ftruncate",
    "getdents",
    "getcwd",
    "chdir",
    "fchdir",
    "rename",
    "mkdir",
    "rmdir",
    "creat",
    "link",
    "unlink",
    "symlink",
    "readlink",
    "chmod",
    "fchmod",
    "chown",
    "fchown",
    "lchown",
    "umask",
    "gettimeofday",
    "getrlimit",
    "getrusage",
    "sysinfo",
    "times",
    "ptrace",
    "getuid",
    "syslog",
    "getgid",
    "setuid",
    "setgid",
    "geteuid",
    "getegid",
    "setpgid",
    "getppid",
    "getpgrp",
    "setsid",
    "setreuid",
    "setregid",
    "getgroups",
    "setgroups",
    "setresuid",
    "getresuid",
    "setresgid",
    "getresgid",
    "getpgid",
    "setfsuid",
    "setfsgid",
    "getsid",
    "capget",
    "capset",
    "rt_sigpending",
    "rt_sigtimedwait",
    "rt_sigqueueinfo",
    "rt_sigsuspend",
    "sigaltstack",
    "utime",
    "mknod",
    "uselib",
    "personality",
    "ustat",
    "statfs",
    "fstatfs",
    "sysfs",
    "getpriority",
    "setpriority",
    "sched_setparam",
    "sched_getparam",
    "sched_setscheduler",
    "sched_getscheduler",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_rr_get_interval",
    "mlock",
    "munlock",
    "mlockall",
    "munlockall",
    "vhangup",
    "modify_ldt",
    "pivot_root",
    "_sysctl",
    "prctl",
    "arch_prctl",
    "adjtimex",
    "setrlimit",
    "chroot",
    "sync",
    "acct",
    "settimeofday",
    "mount",
    "umount2",
    "swapon",
    "swapoff",
    "reboot",
    "sethostname",
    "setdomainname",
    "iopl",
    "ioperm",
    "create_module",
    "init_module",
    "delete_module",
    "get_kernel_syms",
    "query_module",
    "quotactl",
    "nfsservctl",
    "getpmsg",
    "putpmsg",
    "afs_syscall",
    "tuxcall",
    "security",
    "gettid",
    "readahead",
    "setxattr",
    "lsetxattr",
    "fsetxattr",
    "getxattr",
    "lgetxattr",
    "fgetxattr",
    "listxattr",
    "llistxattr",
    "flistxattr",
    "removexattr",
    "lremovexattr",
    "fremovexattr",
    "tkill",
    "time",
    "futex",
    "sched_setaffinity",
    "sched_getaffinity",
    "set_thread_area",
    "io_setup",
    "io_destroy",
    "io_getevents",
    "io_submit",
    "io_cancel",
    "get_thread_area",
    "lookup_dcookie",
    "epoll_create",
    "epoll_ctl_old",
    "epoll_wait_old",
    "remap_file_pages",
    "getdents64",
    "set_tid_address",
    "restart_syscall",
    "semtimedop",
    "fadvise64",
    "timer_create",
    "timer_settime",
    "timer_gettime",
    "timer_getoverrun",
    "timer_delete",
    "clock_settime",
    "clock_gettime",
    "clock_getres",
    "clock_nanosleep",
    "exit_group",
    "epoll_wait",
    "epoll_ctl",
    "tgkill",
    "utimes",
    "vserver",
    "mbind",
    "set_mempolicy",
    "get_mempolicy",
    "mq_open",
    "mq_unlink",
    "mq_timedsend",
    "mq_timedreceive",
    "mq_notify",
    "mq_getsetattr",
    "kexec_load",
    "waitid",
    "add_key",
    "request_key",
    "keyctl",
    "ioprio_set",
    "ioprio_get",
    "inotify_init",
    "inotify_add_watch",
    "inotify_rm_watch",
    "migrate_pages",
    "openat",
    "mkdirat",
    "mknodat",
    "fchownat",
    "futimesat",
    "newfstatat",
    "unlinkat",
    "renameat",
    "linkat",
    "symlinkat",
    "readlinkat",
    "fchmodat",
    "faccessat",
    "pselect6",
    "ppoll",
    "unshare",
    "set_robust_list",
    "get_robust_list",
    "splice",
    "tee",
    "sync_file_range",
    "vmsplice",
    "move_pages",
    "utimensat",
    "epoll_pwait",
    "signalfd",
    "timerfd_create",
    "eventfd",
    "fallocate",
    "timerfd_settime",
    "timerfd_gettime",
    "accept4",
    "signalfd4",
    "eventfd2",
    "epoll_create1",
    "dup3",
    "pipe2",
    "inotify_init1",
    "preadv",
    "pwritev",
    "rt_tgsigqueueinfo",
    "perf_event_open",
    "recvmmsg",
    "fanotify_init",
    "fanotify_mark",
    "prlimit64",
    "name_to_handle_at",
    "open_by_handle_at",
    "clock_adjtime",
    "syncfs",
    "sendmmsg",
    "setns",
    "getcpu",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "finit_module",
    "sched_setattr",
    "sched_getattr",
    "renameat2",
    "seccomp",
    "getrandom",
    "memfd_create",
    "kexec_file_load",
    "bpf",
    "execveat",
    "userfaultfd",
    "membarrier",
    "mlock2",
    "copy_file_range",
    "preadv2",
    "pwritev2",
    "pkey_mprotect",
    "pkey_alloc",
    "pkey_free",
    "statx",
    "io_pgetevents",
    "rseq",
    "pidfd_send_signal",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "pidfd_open",
    "clone3",
    "close_range",
    "openat2",
    "pidfd_getfd",
    "faccessat2",
    "process_madvise",
    "epoll_pwait2",
    "mount_setattr",
    "quotactl_fd",
    "landlock_create_ruleset",
    "landlock_add_rule",
    "landlock_restrict_self",
    "memfd_secret",
    "process_mrelease",
    "futex_waitv",
    "set_mempolicy_home_node",
    "pread",
    "pwrite",
    "umount",
    "socketcall",
    "procexit",
    "switch",
    "signaldeliver",
    "container",
    "pluginevent",
    "asyncevent",
    "drop",
    "notification",
    "infra",
    "procinfo",
    "cpu_hotplug",
    "page_fault",
    "scapevent",
    "sysdigevent",
    "mesos",
    "k8s",
    "tracer",
];
