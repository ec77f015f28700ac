//! K8S047 `container-runtime-socket-mount`: the pod mounts the node's container runtime socket.

use bulwark_k8s::Node;
use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::field;
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct ContainerRuntimeSocketMount;

/// Sockets of container runtimes and their APIs on common distributions.
const SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/run/k3s/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/var/run/podman/podman.sock",
    "/run/podman/podman.sock",
    "/var/run/cri-dockerd.sock",
    "/run/cri-dockerd.sock",
    "/var/run/dockershim.sock",
];

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S047",
    name: "container-runtime-socket-mount",
    title: "Pod mounts the container runtime socket",
    severity: Severity::Critical,
    category: Category::Misconfig,
    standards: &["pss-baseline/hostpath-volumes", "nsa-cisa/pod-security"],
    scope: Scope::Workload,
    what: "Reports every `hostPath` volume whose path is a container runtime socket (Docker, \
           containerd, CRI-O, Podman, cri-dockerd, k3s) or a directory that contains one \
           (`/var/run`, `/run/containerd`, `/`, …). Paths are compared after removing \
           trailing slashes and `.` segments.",
    why: "Whoever can talk to the runtime socket can start a privileged container with the \
          node's root file system mounted: it is root on the node, and on every other \
          container there.",
    example: r"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ci-runner, namespace: ci}
spec:
  selector: {matchLabels: {app: runner}}
  template:
    metadata: {labels: {app: runner}}
    spec:
      containers:
      - name: runner
        image: example.com/runner:1.0
        volumeMounts: [{name: docker, mountPath: /var/run/docker.sock}]
      volumes:
      - name: docker
        hostPath: {path: /var/run/docker.sock, type: Socket}
",
    fix: "Do not give workloads the runtime socket. Build images with rootless builders \
          (BuildKit rootless, kaniko, buildah) and read container metadata from the \
          Kubernetes API instead.",
    fixed_example: r"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ci-runner, namespace: ci}
spec:
  selector: {matchLabels: {app: runner}}
  template:
    metadata: {labels: {app: runner}}
    spec:
      containers:
      - name: runner
        image: example.com/runner:1.0
        volumeMounts: [{name: work, mountPath: /work}]
      volumes:
      - name: work
        emptyDir: {}
",
    peers: "Same meaning as checkov CKV_K8S_27 and kube-linter `docker-sock` for the Docker \
            socket; this check also knows containerd, CRI-O, Podman and parent directories.",
    references: &[
        refs::PSS,
        "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",
    ],
};

/// `path` without trailing slashes, empty and `.` segments.
fn normalise(path: &str) -> String {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

/// The socket `path` is, or one that `path` (a directory) contains.
fn exposed_socket(path: &str) -> Option<&'static str> {
    let p = normalise(path);
    SOCKETS.iter().copied().find(|s| {
        *s == p
            || p == "/"
            || s.strip_prefix(p.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

impl Check for ContainerRuntimeSocketMount {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        for (i, volume) in pod.volumes().iter().enumerate() {
            let Some((host_path, pos)) = field(Some(volume), "hostPath") else {
                continue;
            };
            let path = host_path.get("path").and_then(Node::as_str).unwrap_or("");
            let Some(socket) = exposed_socket(path) else {
                continue;
            };
            let name = volume
                .get("name")
                .and_then(Node::as_str)
                .unwrap_or("<unnamed>");
            let what = if normalise(path) == socket {
                format!("the container runtime socket {socket}")
            } else {
                format!("{path}, which contains the container runtime socket {socket}")
            };
            cx.report_pod_keyed(
                &format!("volumes[{i}].hostPath.path"),
                &format!("volumes[{name}].hostPath.path"),
                pos,
                format!("volume {name:?} mounts {what}"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_and_their_directories() {
        assert_eq!(
            exposed_socket("/var/run/docker.sock"),
            Some("/var/run/docker.sock")
        );
        assert_eq!(
            exposed_socket("/var/run/docker.sock/"),
            Some("/var/run/docker.sock")
        );
        assert_eq!(
            exposed_socket("//run/./containerd"),
            Some("/run/containerd/containerd.sock")
        );
        assert!(exposed_socket("/var/run").is_some());
        assert!(exposed_socket("/").is_some());
        assert_eq!(exposed_socket("/var/log"), None);
        assert_eq!(exposed_socket("/var/run/docker.socket"), None);
        assert_eq!(exposed_socket("/run/container"), None);
    }
}
