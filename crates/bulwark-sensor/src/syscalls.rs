//! The system calls the sensor watches (x86-64 numbers) and, for each, what the kernel side
//! captures: which arguments are user strings, where a socket address is, whether the path goes
//! through the in-kernel prefix filter. This table is written into the `syscall_specs` map at
//! start, so the BPF program stays generic.

/// A watched system call. `name()` is the name Falco's `evt.type` uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // the variants are the system calls of the same name
pub enum Syscall {
    Open,
    Openat,
    Openat2,
    Connect,
    Accept,
    Accept4,
    Bind,
    Setuid,
    Setgid,
    Setreuid,
    Setregid,
    Setresuid,
    Setresgid,
    Capset,
    Ptrace,
    InitModule,
    FinitModule,
    DeleteModule,
    Mount,
    Umount2,
    Unshare,
    Setns,
    Bpf,
    MemfdCreate,
    Chmod,
    Fchmod,
    Fchmodat,
    Fchmodat2,
    Chown,
    Fchown,
    Lchown,
    Fchownat,
    Symlink,
    Symlinkat,
    Link,
    Linkat,
    Execveat,
}

// spec flags, as in sensor.bpf.c
const SP_ENABLED: u8 = 1 << 0;
const SP_PATH_FILTER: u8 = 1 << 1;
const SP_SOCK_RET: u8 = 1 << 2;
const SP_SOCK_ARG0: u8 = 1 << 3;
const SP_OPEN_HOW: u8 = 1 << 4;
const SP_CAP_DATA: u8 = 1 << 5;
/// `addrlen_arg` names a pointer to the length rather than the length.
const BY_POINTER: u8 = 0x80;

/// What the kernel side captures for one system call (`struct spec` in sensor.bpf.c).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Spec {
    pub flags: u8,
    /// Argument index + 1 of up to three user strings.
    pub str_arg: [u8; 3],
    pub addr_arg: u8,
    pub addrlen_arg: u8,
    pub flags_arg: u8,
    /// How many arguments the call takes: the rest of the registers are not reported.
    pub nargs: u8,
}

impl Spec {
    const fn new(flags: u8) -> Self {
        Spec {
            flags: flags | SP_ENABLED,
            str_arg: [0; 3],
            addr_arg: 0,
            addrlen_arg: 0,
            flags_arg: 0,
            nargs: 6,
        }
    }
    const fn strs(mut self, a: u8, b: u8, c: u8) -> Self {
        self.str_arg = [a, b, c];
        self
    }
    const fn addr(mut self, addr: u8, len: u8) -> Self {
        self.addr_arg = addr;
        self.addrlen_arg = len;
        self
    }
    const fn open_flags(mut self, arg: u8) -> Self {
        self.flags_arg = arg;
        self
    }
    /// The map value.
    pub fn to_bytes(self) -> [u8; 8] {
        let [a, b, c] = self.str_arg;
        [
            self.flags,
            a,
            b,
            c,
            self.addr_arg,
            self.addrlen_arg,
            self.flags_arg,
            self.nargs,
        ]
    }
}

impl Syscall {
    /// Every watched system call.
    pub const ALL: [Syscall; 37] = [
        Syscall::Open,
        Syscall::Openat,
        Syscall::Openat2,
        Syscall::Connect,
        Syscall::Accept,
        Syscall::Accept4,
        Syscall::Bind,
        Syscall::Setuid,
        Syscall::Setgid,
        Syscall::Setreuid,
        Syscall::Setregid,
        Syscall::Setresuid,
        Syscall::Setresgid,
        Syscall::Capset,
        Syscall::Ptrace,
        Syscall::InitModule,
        Syscall::FinitModule,
        Syscall::DeleteModule,
        Syscall::Mount,
        Syscall::Umount2,
        Syscall::Unshare,
        Syscall::Setns,
        Syscall::Bpf,
        Syscall::MemfdCreate,
        Syscall::Chmod,
        Syscall::Fchmod,
        Syscall::Fchmodat,
        Syscall::Fchmodat2,
        Syscall::Chown,
        Syscall::Fchown,
        Syscall::Lchown,
        Syscall::Fchownat,
        Syscall::Symlink,
        Syscall::Symlinkat,
        Syscall::Link,
        Syscall::Linkat,
        Syscall::Execveat,
    ];

    /// The x86-64 system call number.
    pub const fn number(self) -> u32 {
        match self {
            Syscall::Open => 2,
            Syscall::Openat => 257,
            Syscall::Openat2 => 437,
            Syscall::Connect => 42,
            Syscall::Accept => 43,
            Syscall::Accept4 => 288,
            Syscall::Bind => 49,
            Syscall::Setuid => 105,
            Syscall::Setgid => 106,
            Syscall::Setreuid => 113,
            Syscall::Setregid => 114,
            Syscall::Setresuid => 117,
            Syscall::Setresgid => 119,
            Syscall::Capset => 126,
            Syscall::Ptrace => 101,
            Syscall::InitModule => 175,
            Syscall::FinitModule => 313,
            Syscall::DeleteModule => 176,
            Syscall::Mount => 165,
            Syscall::Umount2 => 166,
            Syscall::Unshare => 272,
            Syscall::Setns => 308,
            Syscall::Bpf => 321,
            Syscall::MemfdCreate => 319,
            Syscall::Chmod => 90,
            Syscall::Fchmod => 91,
            Syscall::Fchmodat => 268,
            Syscall::Fchmodat2 => 452,
            Syscall::Chown => 92,
            Syscall::Fchown => 93,
            Syscall::Lchown => 94,
            Syscall::Fchownat => 260,
            Syscall::Symlink => 88,
            Syscall::Symlinkat => 266,
            Syscall::Link => 86,
            Syscall::Linkat => 265,
            Syscall::Execveat => 322,
        }
    }

    /// The system call with this x86-64 number, if watched.
    pub fn from_number(nr: u32) -> Option<Syscall> {
        Syscall::ALL.into_iter().find(|s| s.number() == nr)
    }

    /// The name, as Falco's `evt.type` spells it.
    pub const fn name(self) -> &'static str {
        match self {
            Syscall::Open => "open",
            Syscall::Openat => "openat",
            Syscall::Openat2 => "openat2",
            Syscall::Connect => "connect",
            Syscall::Accept => "accept",
            Syscall::Accept4 => "accept4",
            Syscall::Bind => "bind",
            Syscall::Setuid => "setuid",
            Syscall::Setgid => "setgid",
            Syscall::Setreuid => "setreuid",
            Syscall::Setregid => "setregid",
            Syscall::Setresuid => "setresuid",
            Syscall::Setresgid => "setresgid",
            Syscall::Capset => "capset",
            Syscall::Ptrace => "ptrace",
            Syscall::InitModule => "init_module",
            Syscall::FinitModule => "finit_module",
            Syscall::DeleteModule => "delete_module",
            Syscall::Mount => "mount",
            Syscall::Umount2 => "umount2",
            Syscall::Unshare => "unshare",
            Syscall::Setns => "setns",
            Syscall::Bpf => "bpf",
            Syscall::MemfdCreate => "memfd_create",
            Syscall::Chmod => "chmod",
            Syscall::Fchmod => "fchmod",
            Syscall::Fchmodat => "fchmodat",
            Syscall::Fchmodat2 => "fchmodat2",
            Syscall::Chown => "chown",
            Syscall::Fchown => "fchown",
            Syscall::Lchown => "lchown",
            Syscall::Fchownat => "fchownat",
            Syscall::Symlink => "symlink",
            Syscall::Symlinkat => "symlinkat",
            Syscall::Link => "link",
            Syscall::Linkat => "linkat",
            Syscall::Execveat => "execveat",
        }
    }

    /// How many arguments it takes (x86-64).
    pub const fn arity(self) -> u8 {
        match self {
            Syscall::Setuid | Syscall::Setgid | Syscall::Unshare => 1,
            Syscall::Setreuid
            | Syscall::Setregid
            | Syscall::Capset
            | Syscall::DeleteModule
            | Syscall::Umount2
            | Syscall::Setns
            | Syscall::MemfdCreate
            | Syscall::Chmod
            | Syscall::Fchmod
            | Syscall::Symlink
            | Syscall::Link => 2,
            Syscall::Open
            | Syscall::Connect
            | Syscall::Accept
            | Syscall::Bind
            | Syscall::Setresuid
            | Syscall::Setresgid
            | Syscall::InitModule
            | Syscall::FinitModule
            | Syscall::Bpf
            | Syscall::Fchmodat
            | Syscall::Chown
            | Syscall::Fchown
            | Syscall::Lchown
            | Syscall::Symlinkat => 3,
            Syscall::Openat
            | Syscall::Openat2
            | Syscall::Accept4
            | Syscall::Ptrace
            | Syscall::Fchmodat2 => 4,
            Syscall::Mount | Syscall::Fchownat | Syscall::Linkat | Syscall::Execveat => 5,
        }
    }

    /// The kernel's tracepoint for its return, in the `syscalls` group (the kernel names a call
    /// by its `SYSCALL_DEFINE`, which for `umount2` is `umount`).
    pub const fn exit_tracepoint(self) -> &'static str {
        match self {
            Syscall::Umount2 => "sys_exit_umount",
            Syscall::Open => "sys_exit_open",
            Syscall::Openat => "sys_exit_openat",
            Syscall::Openat2 => "sys_exit_openat2",
            Syscall::Connect => "sys_exit_connect",
            Syscall::Accept => "sys_exit_accept",
            Syscall::Accept4 => "sys_exit_accept4",
            Syscall::Bind => "sys_exit_bind",
            Syscall::Setuid => "sys_exit_setuid",
            Syscall::Setgid => "sys_exit_setgid",
            Syscall::Setreuid => "sys_exit_setreuid",
            Syscall::Setregid => "sys_exit_setregid",
            Syscall::Setresuid => "sys_exit_setresuid",
            Syscall::Setresgid => "sys_exit_setresgid",
            Syscall::Capset => "sys_exit_capset",
            Syscall::Ptrace => "sys_exit_ptrace",
            Syscall::InitModule => "sys_exit_init_module",
            Syscall::FinitModule => "sys_exit_finit_module",
            Syscall::DeleteModule => "sys_exit_delete_module",
            Syscall::Mount => "sys_exit_mount",
            Syscall::Unshare => "sys_exit_unshare",
            Syscall::Setns => "sys_exit_setns",
            Syscall::Bpf => "sys_exit_bpf",
            Syscall::MemfdCreate => "sys_exit_memfd_create",
            Syscall::Chmod => "sys_exit_chmod",
            Syscall::Fchmod => "sys_exit_fchmod",
            Syscall::Fchmodat => "sys_exit_fchmodat",
            Syscall::Fchmodat2 => "sys_exit_fchmodat2",
            Syscall::Chown => "sys_exit_chown",
            Syscall::Fchown => "sys_exit_fchown",
            Syscall::Lchown => "sys_exit_lchown",
            Syscall::Fchownat => "sys_exit_fchownat",
            Syscall::Symlink => "sys_exit_symlink",
            Syscall::Symlinkat => "sys_exit_symlinkat",
            Syscall::Link => "sys_exit_link",
            Syscall::Linkat => "sys_exit_linkat",
            Syscall::Execveat => "sys_exit_execveat",
        }
    }

    /// What the kernel captures for it. Argument positions are 1-based here.
    pub(crate) const fn spec(self) -> Spec {
        let mut spec = self.capture();
        spec.nargs = self.arity();
        spec
    }

    const fn capture(self) -> Spec {
        match self {
            // open(path, flags, mode)
            Syscall::Open => Spec::new(SP_PATH_FILTER).strs(1, 0, 0).open_flags(2),
            // openat(dirfd, path, flags, mode)
            Syscall::Openat => Spec::new(SP_PATH_FILTER).strs(2, 0, 0).open_flags(3),
            // openat2(dirfd, path, how, size)
            Syscall::Openat2 => Spec::new(SP_PATH_FILTER | SP_OPEN_HOW).strs(2, 0, 0),
            // connect/bind(fd, addr, addrlen)
            Syscall::Connect | Syscall::Bind => Spec::new(SP_SOCK_ARG0).addr(2, 3),
            // accept(fd, addr, *addrlen), accept4(fd, addr, *addrlen, flags)
            Syscall::Accept | Syscall::Accept4 => Spec::new(SP_SOCK_RET).addr(2, BY_POINTER | 3),
            Syscall::Capset => Spec::new(SP_CAP_DATA),
            // init_module(image, len, params), finit_module(fd, params, flags),
            // delete_module(name, flags)
            Syscall::InitModule => Spec::new(0).strs(3, 0, 0),
            Syscall::FinitModule => Spec::new(0).strs(2, 0, 0),
            Syscall::DeleteModule
            | Syscall::Umount2
            | Syscall::MemfdCreate
            | Syscall::Chmod
            | Syscall::Chown
            | Syscall::Lchown => Spec::new(0).strs(1, 0, 0),
            // mount(source, target, fstype, flags, data)
            Syscall::Mount => Spec::new(0).strs(1, 2, 3),
            // fchmodat(dirfd, path, mode[, flags]), fchownat(dirfd, path, uid, gid, flags),
            // execveat(dirfd, path, argv, envp, flags)
            Syscall::Fchmodat | Syscall::Fchmodat2 | Syscall::Fchownat | Syscall::Execveat => {
                Spec::new(0).strs(2, 0, 0)
            }
            // symlink(target, linkpath), link(old, new)
            Syscall::Symlink | Syscall::Link => Spec::new(0).strs(1, 2, 0),
            // symlinkat(target, newdirfd, linkpath)
            Syscall::Symlinkat => Spec::new(0).strs(1, 3, 0),
            // linkat(olddirfd, old, newdirfd, new, flags)
            Syscall::Linkat => Spec::new(0).strs(2, 4, 0),
            Syscall::Setuid
            | Syscall::Setgid
            | Syscall::Setreuid
            | Syscall::Setregid
            | Syscall::Setresuid
            | Syscall::Setresgid
            | Syscall::Ptrace
            | Syscall::Unshare
            | Syscall::Setns
            | Syscall::Bpf
            | Syscall::Fchmod
            | Syscall::Fchown => Spec::new(0),
        }
    }
}

impl std::fmt::Display for Syscall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for s in Syscall::ALL {
            assert!(seen.insert(s.number()), "{s} number reused");
            assert!(s.number() < 512, "{s} beyond the spec map");
            assert_eq!(Syscall::from_number(s.number()), Some(s));
        }
    }

    #[test]
    fn specs_name_real_argument_positions() {
        for s in Syscall::ALL {
            let spec = s.spec();
            assert_ne!(spec.flags & SP_ENABLED, 0);
            for a in spec.str_arg.into_iter().chain([
                spec.addr_arg,
                spec.addrlen_arg & 0x7f,
                spec.flags_arg,
            ]) {
                assert!(a <= 6, "{s}: argument {a}");
            }
            if spec.flags & SP_PATH_FILTER != 0 {
                assert_ne!(spec.str_arg[0], 0, "{s}: the filter needs a path");
            }
            for a in spec.str_arg.into_iter().chain([
                spec.addr_arg,
                spec.addrlen_arg & 0x7f,
                spec.flags_arg,
            ]) {
                assert!(a <= spec.nargs, "{s}: argument {a} of {}", spec.nargs);
            }
        }
    }

    /// The kernel's own description of each call (tracefs format files): its exit tracepoint exists,
    /// and it takes `arity()` arguments.
    #[test]
    fn tracepoints_and_arity_match_the_kernel() {
        let Some(dir) = crate::sensor::tracefs_events() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "tracefs is not mounted and cannot be (root is needed): CI runs as root"
            );
            eprintln!("skipped: tracefs unavailable (not root?)");
            return;
        };
        // A kernel without CONFIG_MODULES (this one) has no module calls, and no tracepoints
        // for them.
        let modules = std::path::Path::new("/proc/modules").exists();
        for s in Syscall::ALL {
            let exit = dir.join("syscalls").join(s.exit_tracepoint());
            let module_call = matches!(
                s,
                Syscall::InitModule | Syscall::FinitModule | Syscall::DeleteModule
            );
            if module_call && !modules {
                assert!(!exit.exists(), "{s}: a tracepoint without CONFIG_MODULES");
                continue;
            }
            assert!(exit.join("id").exists(), "{s}: {} missing", exit.display());
            let enter = dir
                .join("syscalls")
                .join(s.exit_tracepoint().replacen("sys_exit_", "sys_enter_", 1))
                .join("format");
            let format = std::fs::read_to_string(&enter).unwrap();
            let fields = format
                .lines()
                .filter(|l| l.trim_start().starts_with("field:"))
                .filter(|l| !l.contains("common_"))
                .count();
            // __syscall_nr, then one field per argument
            assert_eq!(fields - 1, usize::from(s.arity()), "{s}: {format}");
        }
    }
}
