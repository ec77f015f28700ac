//! Containers from cgroup paths: which runtime and container id a cgroup v2 path belongs to
//! (a pure function), and the resolution of cgroup ids to paths through the cgroup2 mount.

use crate::inthash::IntMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The container runtime a cgroup path points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Runtime {
    /// Docker (`docker-<id>.scope`, `/docker/<id>`).
    Docker,
    /// containerd's CRI plugin (`cri-containerd-<id>.scope`).
    Containerd,
    /// CRI-O (`crio-<id>.scope`).
    CriO,
    /// Podman / libpod (`libpod-<id>`).
    Podman,
    /// A bare 64-hex directory whose runtime the path does not tell (kubelet's cgroupfs driver:
    /// `/kubepods/burstable/pod<uid>/<id>`).
    Unknown,
}

impl Runtime {
    /// A lower-case name (`docker`, `containerd`, `cri-o`, `podman`, `unknown`).
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Docker => "docker",
            Runtime::Containerd => "containerd",
            Runtime::CriO => "cri-o",
            Runtime::Podman => "podman",
            Runtime::Unknown => "unknown",
        }
    }
}

/// A container identified from a cgroup path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ContainerRef {
    /// The full container id (64 lower-case hex digits).
    pub id: String,
    /// The runtime the path's naming points at.
    pub runtime: Runtime,
    /// The Kubernetes pod uid, when the path is under a kubepods hierarchy.
    pub pod_uid: Option<String>,
}

impl ContainerRef {
    /// The 12-digit short id (what `docker ps` and Falco's `container.id` show).
    pub fn short_id(&self) -> &str {
        &self.id[..12]
    }
}

fn is_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|c| c.is_ascii_hexdigit())
}

/// The container a cgroup path belongs to, if any.
///
/// Recognised, from the innermost path segment outwards (so nested cgroups a container creates
/// for itself still resolve): `docker-<id>.scope`, `cri-containerd-<id>.scope`,
/// `crio-<id>.scope`, `libpod-<id>[.scope]`, and a bare 64-hex segment (docker's and kubelet's
/// cgroupfs layouts: `/docker/<id>`, `/kubepods/besteffort/pod<uid>/<id>`). Runtime helpers
/// (`crio-conmon-<id>.scope`, `libpod-conmon-<id>.scope`) are not containers. A pod uid is
/// taken from a `pod<uid>` or `kubepods-<qos>-pod<uid>.slice` segment, with systemd's `_`
/// turned back into `-`.
pub fn container_from_cgroup(path: &str) -> Option<ContainerRef> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    for (i, seg) in segments.iter().enumerate().rev() {
        let base = seg.strip_suffix(".scope").unwrap_or(seg);
        let found = if let Some(id) = base.strip_prefix("docker-") {
            is_id(id).then_some((id, Runtime::Docker))
        } else if let Some(id) = base.strip_prefix("cri-containerd-") {
            is_id(id).then_some((id, Runtime::Containerd))
        } else if let Some(id) = base.strip_prefix("crio-") {
            is_id(id).then_some((id, Runtime::CriO))
        } else if let Some(id) = base.strip_prefix("libpod-") {
            is_id(id).then_some((id, Runtime::Podman))
        } else if is_id(base) {
            let runtime = match i.checked_sub(1).map(|p| segments[p]) {
                Some("docker") => Runtime::Docker,
                Some(p) if p.starts_with("libpod") => Runtime::Podman,
                _ => Runtime::Unknown,
            };
            Some((base, runtime))
        } else {
            None
        };
        if let Some((id, runtime)) = found {
            return Some(ContainerRef {
                id: id.to_ascii_lowercase(),
                runtime,
                pod_uid: pod_uid(&segments[..i]),
            });
        }
    }
    None
}

fn pod_uid(segments: &[&str]) -> Option<String> {
    if !segments.iter().any(|s| s.starts_with("kubepods")) {
        return None;
    }
    segments.iter().rev().find_map(|seg| {
        let base = seg.strip_suffix(".slice").unwrap_or(seg);
        let uid = base
            .rsplit_once("-pod")
            .map_or_else(|| base.strip_prefix("pod"), |(_, u)| Some(u))?;
        let uid = uid.replace('_', "-");
        (uid.len() == 36 && uid.bytes().all(|c| c.is_ascii_hexdigit() || c == b'-')).then_some(uid)
    })
}

/// The cgroup2 mount point, from `/proc/self/mounts` (`/sys/fs/cgroup` on pure v2 hosts,
/// `/sys/fs/cgroup/unified` on hybrid ones).
pub fn cgroup2_mount() -> Option<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
    mounts.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.len() > 2 && f[2] == "cgroup2").then(|| PathBuf::from(f[1]))
    })
}

/// Resolves cgroup v2 ids (the inode numbers of cgroup directories) to paths and containers,
/// by walking the cgroup2 mount, with a cache. A miss rescans, at most once per `min_rescan`;
/// an id learned from an exec event's cgroup leaf name is remembered too.
#[derive(Debug)]
pub struct CgroupResolver {
    root: Option<PathBuf>,
    paths: IntMap<u64, String>,
    containers: IntMap<u64, Option<ContainerRef>>,
    last_scan: Option<Instant>,
    min_rescan: Duration,
}

impl CgroupResolver {
    /// A resolver over the cgroup2 mount (`None`: cgroup v2 is not mounted; nothing resolves).
    pub fn new(root: Option<PathBuf>) -> Self {
        let mut r = CgroupResolver {
            root,
            paths: IntMap::default(),
            containers: IntMap::default(),
            last_scan: None,
            min_rescan: Duration::from_millis(20),
        };
        r.rescan();
        r
    }

    /// Walks the hierarchy again.
    pub fn rescan(&mut self) {
        self.last_scan = Some(Instant::now());
        let Some(root) = self.root.clone() else {
            return;
        };
        let mut stack = vec![(root.clone(), 0usize)];
        while let Some((dir, depth)) = stack.pop() {
            if let Ok(md) = std::fs::metadata(&dir) {
                let rel = dir
                    .strip_prefix(&root)
                    .map(|p| format!("/{}", p.display()))
                    .unwrap_or_default();
                self.paths.insert(md.ino(), rel);
            }
            if depth >= 16 {
                continue;
            }
            if let Ok(rd) = std::fs::read_dir(&dir) {
                for e in rd.flatten() {
                    if e.file_type().is_ok_and(|t| t.is_dir()) {
                        stack.push((e.path(), depth + 1));
                    }
                }
            }
        }
        // ids whose container was unknown may resolve now
        self.containers.retain(|_, c| c.is_some());
    }

    /// The cgroup path (relative to the cgroup2 mount) of an id.
    pub fn path(&mut self, id: u64) -> Option<&str> {
        if !self.paths.contains_key(&id)
            && self
                .last_scan
                .is_none_or(|t| t.elapsed() >= self.min_rescan)
        {
            self.rescan();
        }
        self.paths.get(&id).map(String::as_str)
    }

    /// The container of a cgroup id; `leaf` (an exec event's cgroup directory name) is used
    /// when the id is not (or no longer) in the hierarchy.
    pub fn container(&mut self, id: u64, leaf: Option<&str>) -> Option<ContainerRef> {
        if let Some(c) = self.containers.get(&id)
            && (c.is_some() || leaf.is_none())
        {
            return c.clone();
        }
        let from_path = self.path(id).and_then(container_from_cgroup);
        let resolved = from_path.or_else(|| leaf.and_then(container_from_cgroup));
        let known = self.paths.contains_key(&id) || resolved.is_some();
        if known {
            self.containers.insert(id, resolved.clone());
        }
        resolved
    }

    /// Number of cached paths.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// Whether no path is cached.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }
}

/// The cgroup v2 path of a process from `/proc/PID/cgroup` (the `0::` line).
pub fn proc_cgroup_path(proc_root: &Path, pid: u32) -> Option<String> {
    let text = std::fs::read_to_string(proc_root.join(pid.to_string()).join("cgroup")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("0::").map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";

    fn c(path: &str) -> Option<(String, Runtime, Option<String>)> {
        container_from_cgroup(path).map(|c| (c.id, c.runtime, c.pod_uid))
    }

    #[test]
    fn runtimes_are_recognised() {
        let cases = [
            (format!("/system.slice/docker-{ID}.scope"), Runtime::Docker),
            (format!("/docker/{ID}"), Runtime::Docker),
            (format!("/libpod_parent/libpod-{ID}"), Runtime::Podman),
            (format!("/machine.slice/libpod-{ID}.scope"), Runtime::Podman),
            (
                format!("/machine.slice/libpod-{ID}.scope/container"),
                Runtime::Podman,
            ),
            (
                format!(
                    "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope"
                ),
                Runtime::Podman,
            ),
            (format!("/system.slice/crio-{ID}.scope"), Runtime::CriO),
            (
                format!("/system.slice/cri-containerd-{ID}.scope"),
                Runtime::Containerd,
            ),
        ];
        for (path, runtime) in cases {
            assert_eq!(c(&path), Some((ID.to_string(), runtime, None)), "{path}");
        }
    }

    #[test]
    fn kubepods_layouts_give_pod_uids() {
        let uid = "0c7a3b4e-1d2f-4a5b-8c9d-0e1f2a3b4c5d";
        let systemd = format!(
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{}.slice/cri-containerd-{ID}.scope",
            uid.replace('-', "_")
        );
        assert_eq!(
            c(&systemd),
            Some((ID.into(), Runtime::Containerd, Some(uid.into())))
        );
        let crio = format!(
            "/kubepods.slice/kubepods-pod{}.slice/crio-{ID}.scope",
            uid.replace('-', "_")
        );
        assert_eq!(c(&crio), Some((ID.into(), Runtime::CriO, Some(uid.into()))));
        let cgroupfs = format!("/kubepods/besteffort/pod{uid}/{ID}");
        assert_eq!(
            c(&cgroupfs),
            Some((ID.into(), Runtime::Unknown, Some(uid.into())))
        );
    }

    #[test]
    fn non_containers_are_none() {
        for path in [
            "/",
            "/init.scope",
            "/system.slice/sshd.service",
            "/user.slice/user-0.slice/session-3.scope",
            "/kubepods.slice/kubepods-besteffort.slice",
            &format!("/system.slice/crio-conmon-{ID}.scope"),
            &format!("/machine.slice/libpod-conmon-{ID}.scope"),
            "/docker/not-an-id",
            &format!("/docker/{}", &ID[..63]),
        ] {
            assert_eq!(c(path), None, "{path}");
        }
    }

    #[test]
    fn short_id_is_twelve_digits() {
        let r = container_from_cgroup(&format!("/docker/{ID}")).unwrap();
        assert_eq!(r.short_id(), &ID[..12]);
    }

    #[test]
    fn resolver_uses_the_leaf_when_the_id_is_unknown() {
        let mut r = CgroupResolver::new(None);
        assert_eq!(r.container(7, None), None);
        let leaf = format!("libpod-{ID}");
        assert_eq!(
            r.container(7, Some(&leaf)).map(|c| c.id),
            Some(ID.to_string())
        );
        // remembered for later events of the same cgroup, which carry no leaf
        assert_eq!(r.container(7, None).map(|c| c.id), Some(ID.to_string()));
    }
}
