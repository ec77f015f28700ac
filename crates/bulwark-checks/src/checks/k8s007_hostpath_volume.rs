//! K8S007 `hostpath-volume`: the pod mounts a directory or file of the node.

use bulwark_k8s::Node;
use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::field;
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct HostPathVolume;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S007",
    name: "hostpath-volume",
    title: "Pod mounts a hostPath volume",
    severity: Severity::High,
    category: Category::Misconfig,
    standards: &[
        "pss-baseline/hostpath-volumes",
        "cis-k8s/5.2.12",
        "nsa-cisa/pod-security",
    ],
    scope: Scope::Workload,
    what: "Reports every entry of `spec.volumes` that has a `hostPath` source, whatever its \
           path, type or read-only setting.",
    why: "A hostPath volume exposes the node's file system to the container. Writable mounts \
          of paths such as `/`, `/etc`, `/var/lib/kubelet` or a container runtime socket give \
          node takeover; even read-only mounts leak other pods' secrets and logs.",
    example: r"apiVersion: apps/v1
kind: Deployment
metadata: {name: logs, namespace: ops}
spec:
  selector: {matchLabels: {app: logs}}
  template:
    metadata: {labels: {app: logs}}
    spec:
      containers:
      - name: shipper
        image: example.com/shipper:1.0
        volumeMounts: [{name: varlog, mountPath: /var/log}]
      volumes:
      - name: varlog
        hostPath: {path: /var/log}
",
    fix: "Use a volume type that does not expose the node: `emptyDir`, `configMap`, `secret`, \
          `projected`, a PersistentVolumeClaim or a CSI volume. Node agents that must read \
          host paths belong in a namespace exempt from the baseline level.",
    fixed_example: r"apiVersion: apps/v1
kind: Deployment
metadata: {name: logs, namespace: ops}
spec:
  selector: {matchLabels: {app: logs}}
  template:
    metadata: {labels: {app: logs}}
    spec:
      containers:
      - name: shipper
        image: example.com/shipper:1.0
        volumeMounts: [{name: varlog, mountPath: /var/log}]
      volumes:
      - name: varlog
        emptyDir: {}
",
    peers: "Same meaning as the upstream `hostPathVolumes` admission check, polaris \
            `hostPathSet` and kube-linter `sensitive-host-mounts` where the path is sensitive \
            (kube-linter reports only sensitive paths; this check reports every hostPath).",
    references: &[
        refs::PSS,
        refs::CIS,
        "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",
    ],
};

impl Check for HostPathVolume {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        for (i, volume) in pod.volumes().iter().enumerate() {
            let Some((host_path, pos)) = field(Some(volume), "hostPath") else {
                continue;
            };
            let name = volume
                .get("name")
                .and_then(Node::as_str)
                .unwrap_or("<unnamed>");
            let path = host_path.get("path").and_then(Node::as_str).unwrap_or("");
            cx.report_pod_keyed(
                &format!("volumes[{i}].hostPath"),
                &format!("volumes[{name}].hostPath"),
                pos,
                format!("volume {name:?} mounts host path {path:?}"),
            );
        }
    }
}
