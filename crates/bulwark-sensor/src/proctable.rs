//! The per-host process table: pid → executable, command line, parent and container, seeded
//! from /proc and kept current from exec, fork and exit events, so rules can ask for a
//! process's parent and ancestors (Falco's `proc.pname`, `proc.aname[N]`).

use std::collections::VecDeque;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::container::{ContainerRef, container_from_cgroup, proc_cgroup_path};
use crate::event::{Event, EventKind, FdType};
use crate::inthash::IntMap;

/// What the table knows of one process.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ProcessInfo {
    /// Process id.
    pub pid: u32,
    /// Parent's process id.
    pub ppid: u32,
    /// Command name (16 bytes at most).
    pub comm: String,
    /// The executable: the exec's file name, or /proc/PID/exe for seeded processes.
    pub exe: String,
    /// Arguments, `args[0]` included.
    pub args: Vec<String>,
    /// Real user id.
    pub uid: u32,
    /// The container, if any.
    pub container: Option<ContainerRef>,
    /// Controlling terminal name, if known.
    pub tty: Option<String>,
    /// The executable sits in an overlayfs upper layer.
    pub exe_upper_layer: bool,
    /// The types of fds 0, 1 and 2 when the program started (Falco's `proc.stdin.type` …);
    /// `None` for processes seeded from /proc, which started before the sensor.
    pub stdio: Option<[FdType; 3]>,
    /// Whether the process has exited (entries stay a little while after exit, so a consumer
    /// behind the sensor still finds them).
    pub exited: bool,
    /// When the process was created (fork), on the kernel's boot-time clock in nanoseconds, as
    /// `Event::boot_ns`: the start of Falco's `proc.duration`. From /proc's `starttime` for
    /// seeded processes; `None` when unknown.
    pub started_ns: Option<u64>,
}

impl ProcessInfo {
    /// `args` joined with spaces (Falco's `proc.cmdline` without the name).
    pub fn cmdline(&self) -> String {
        self.args.join(" ")
    }
}

/// The table. Not synchronised: the sensor keeps it behind a lock.
#[derive(Debug)]
pub struct ProcessTable {
    procs: IntMap<u32, ProcessInfo>,
    exited: VecDeque<(u32, Instant)>,
    grace: Duration,
}

impl Default for ProcessTable {
    fn default() -> Self {
        ProcessTable::new(Duration::from_secs(30))
    }
}

/// The longest ancestor chain followed (guards against pid-reuse cycles).
const MAX_DEPTH: usize = 64;

impl ProcessTable {
    /// An empty table keeping exited processes for `grace`.
    pub fn new(grace: Duration) -> Self {
        ProcessTable {
            procs: IntMap::default(),
            exited: VecDeque::new(),
            grace,
        }
    }

    /// Adds every process in `proc_root` (normally `/proc`). Returns how many were read.
    pub fn seed_from_proc(&mut self, proc_root: &Path) -> std::io::Result<usize> {
        let mut n = 0;
        for entry in std::fs::read_dir(proc_root)? {
            let Ok(entry) = entry else { continue };
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(info) = read_proc(proc_root, pid) {
                self.procs.insert(pid, info);
                n += 1;
            }
        }
        Ok(n)
    }

    /// Updates the table from an event (exec: the process's new program; fork: a copy of the
    /// parent; exit: marked exited, removed after the grace period).
    pub fn apply(&mut self, event: &Event) {
        self.expire();
        match &event.kind {
            EventKind::Exec(x) => {
                let known = self.procs.get(&event.pid);
                let tty = x.tty.clone().or_else(|| known.and_then(|p| p.tty.clone()));
                // an exec keeps the process; a process first seen at its exec started then
                let started_ns = known.and_then(|p| p.started_ns).or(Some(event.boot_ns));
                self.procs.insert(
                    event.pid,
                    ProcessInfo {
                        pid: event.pid,
                        ppid: event.ppid,
                        comm: event.comm.clone(),
                        exe: x.filename.clone(),
                        args: x.args.clone(),
                        uid: event.uid,
                        container: event.container.clone(),
                        tty,
                        exe_upper_layer: x.exe_upper_layer,
                        stdio: Some(x.stdio.clone().map(|f| f.fd_type)),
                        exited: false,
                        started_ns,
                    },
                );
            }
            EventKind::Fork(f) => {
                let mut child =
                    self.procs
                        .get(&event.pid)
                        .cloned()
                        .unwrap_or_else(|| ProcessInfo {
                            comm: event.comm.clone(),
                            uid: event.uid,
                            container: event.container.clone(),
                            ..ProcessInfo::default()
                        });
                child.pid = f.child_pid;
                child.ppid = event.pid;
                child.exited = false;
                child.started_ns = Some(event.boot_ns);
                self.procs.insert(f.child_pid, child);
            }
            EventKind::Exit(_) => {
                if let Some(p) = self.procs.get_mut(&event.pid) {
                    p.exited = true;
                    self.exited.push_back((event.pid, Instant::now()));
                }
            }
            EventKind::Syscall(_) => {
                // started before the sensor and missed by the seed: learn what we can
                self.procs.entry(event.pid).or_insert_with(|| ProcessInfo {
                    pid: event.pid,
                    ppid: event.ppid,
                    comm: event.comm.clone(),
                    uid: event.uid,
                    container: event.container.clone(),
                    ..ProcessInfo::default()
                });
            }
        }
    }

    fn expire(&mut self) {
        while let Some(&(pid, at)) = self.exited.front() {
            if at.elapsed() < self.grace {
                break;
            }
            self.exited.pop_front();
            if self.procs.get(&pid).is_some_and(|p| p.exited) {
                self.procs.remove(&pid);
            }
        }
    }

    /// A process.
    pub fn get(&self, pid: u32) -> Option<&ProcessInfo> {
        self.procs.get(&pid)
    }

    /// The `n`th ancestor: 1 is the parent, 2 the grandparent (Falco's `proc.aname[n]`).
    pub fn ancestor(&self, pid: u32, n: usize) -> Option<&ProcessInfo> {
        self.ancestors(pid).nth(n.checked_sub(1)?)
    }

    /// The ancestors, parent first, up to pid 1 (or the first unknown one).
    pub fn ancestors(&self, pid: u32) -> impl Iterator<Item = &ProcessInfo> + '_ {
        let mut cur = self.procs.get(&pid);
        let mut depth = 0;
        std::iter::from_fn(move || {
            let p = cur?;
            depth += 1;
            if p.ppid == 0 || p.ppid == p.pid || depth > MAX_DEPTH {
                cur = None;
                return None;
            }
            cur = self.procs.get(&p.ppid);
            cur
        })
    }

    /// Number of processes known (exited ones within their grace period included).
    pub fn len(&self) -> usize {
        self.procs.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.procs.is_empty()
    }
}

fn read_proc(proc_root: &Path, pid: u32) -> Option<ProcessInfo> {
    let dir = proc_root.join(pid.to_string());
    let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
    // pid (comm) state ppid ...: comm may contain spaces and parentheses
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_string();
    let fields: Vec<&str> = stat.get(close + 2..)?.split_whitespace().collect();
    let parent = fields.get(1)?.parse().ok()?;
    // field 22, starttime: clock ticks after boot (the boot-time clock, as BPF's)
    let started_ns = fields
        .get(19)
        .and_then(|t| t.parse::<u64>().ok())
        .map(|ticks| ticks.saturating_mul(1_000_000_000) / clock_ticks());
    let cmdline = std::fs::read(dir.join("cmdline")).unwrap_or_default();
    let args = crate::record::split_nul(&cmdline);
    let exe = std::fs::read_link(dir.join("exe")).map_or_else(
        |_| args.first().cloned().unwrap_or_default(),
        |p| p.to_string_lossy().into_owned(),
    );
    let uid = std::fs::read_to_string(dir.join("status"))
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("Uid:")?
                    .split_whitespace()
                    .next()?
                    .parse()
                    .ok()
            })
        });
    let container = proc_cgroup_path(proc_root, pid)
        .as_deref()
        .and_then(container_from_cgroup);
    Some(ProcessInfo {
        pid,
        ppid: parent,
        comm,
        exe,
        args,
        uid: uid.unwrap_or(0),
        container,
        tty: None,
        exe_upper_layer: false,
        stdio: None,
        exited: false,
        started_ns,
    })
}

/// The kernel's `USER_HZ` (clock ticks per second of /proc's times).
fn clock_ticks() -> u64 {
    rustix::param::clock_ticks_per_second().max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Exec, Exit, Fork};

    fn ev(pid: u32, parent: u32, comm: &str, kind: EventKind) -> Event {
        Event {
            time: std::time::SystemTime::UNIX_EPOCH,
            boot_ns: 0,
            cpu: 0,
            tid: pid,
            pid,
            ppid: parent,
            uid: 0,
            gid: 0,
            comm: comm.into(),
            cgroup_id: 1,
            mntns: 1,
            container: None,
            container_metadata: None,
            kind,
        }
    }

    fn exec(pid: u32, parent: u32, path: &str) -> Event {
        let name = path.rsplit('/').next().unwrap();
        ev(
            pid,
            parent,
            name,
            EventKind::Exec(Box::new(Exec {
                filename: path.into(),
                args: vec![name.into()],
                ..Exec::default()
            })),
        )
    }

    #[test]
    fn ancestors_follow_exec_and_fork() {
        let mut t = ProcessTable::new(Duration::from_secs(60));
        t.apply(&exec(10, 1, "/usr/sbin/sshd"));
        t.apply(&ev(10, 1, "sshd", EventKind::Fork(Fork { child_pid: 11 })));
        t.apply(&exec(11, 10, "/bin/bash"));
        t.apply(&ev(11, 10, "bash", EventKind::Fork(Fork { child_pid: 12 })));
        // 12 never execs: a subshell, known as a copy of bash
        t.apply(&ev(12, 11, "bash", EventKind::Fork(Fork { child_pid: 13 })));
        t.apply(&exec(13, 12, "/usr/bin/curl"));
        assert_eq!(t.get(13).unwrap().exe, "/usr/bin/curl");
        let names: Vec<&str> = t.ancestors(13).map(|p| p.comm.as_str()).collect();
        assert_eq!(names, ["bash", "bash", "sshd"]);
        assert_eq!(t.ancestor(13, 1).unwrap().pid, 12);
        assert_eq!(t.ancestor(13, 3).unwrap().exe, "/usr/sbin/sshd");
        assert!(t.ancestor(13, 4).is_none());
        assert!(t.ancestor(13, 0).is_none());
    }

    #[test]
    fn exited_processes_stay_for_the_grace_period() {
        let mut t = ProcessTable::new(Duration::ZERO);
        t.apply(&exec(20, 1, "/bin/true"));
        t.apply(&ev(20, 1, "true", EventKind::Exit(Exit { status: 0 })));
        assert!(t.get(20).unwrap().exited);
        t.apply(&exec(21, 1, "/bin/false"));
        assert!(t.get(20).is_none());
        assert!(t.get(21).is_some());
    }

    #[test]
    fn seeds_from_proc() {
        let mut t = ProcessTable::default();
        let n = t.seed_from_proc(Path::new("/proc")).expect("reading /proc");
        assert!(n > 0);
        let me = t.get(std::process::id()).expect("this test's own process");
        assert!(!me.args.is_empty());
        assert!(t.ancestors(std::process::id()).count() >= 1);
    }
}
