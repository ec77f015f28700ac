//! K8S004 `host-ipc`: the pod shares the node's IPC namespace.

use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::report_true_pod_field;
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct HostIpc;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S004",
    name: "host-ipc",
    title: "Pod uses the host IPC namespace",
    severity: Severity::High,
    category: Category::Misconfig,
    standards: &[
        "pss-baseline/host-namespaces",
        "cis-k8s/5.2.4",
        "nsa-cisa/pod-security",
    ],
    scope: Scope::Workload,
    what: "Reports a pod spec with `hostIPC: true`. Unset or `false` passes.",
    why: "With the host IPC namespace a container can read and write the shared memory segments and message queues of every process on the node, including other pods'.",
    example: r"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      hostIPC: true
      containers:
      - name: web
        image: example.com/web:1.4
",
    fix: "Remove `hostIPC: true`. If a node agent truly needs the host's IPC namespace, run it in a dedicated namespace that is exempt from the baseline level and suppress this finding there with a reason.",
    fixed_example: r"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: example.com/web:1.4
",
    peers: "Same meaning as the upstream `hostNamespaces` admission check (hostIPC part), polaris `hostIPCSet`, kube-linter `host-ipc` and checkov CKV_K8S_18.",
    references: &[refs::PSS, refs::CIS, refs::NSA],
};

impl Check for HostIpc {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        report_true_pod_field(
            cx,
            "hostIPC",
            "it shares System V IPC and POSIX shared memory with every process on the node",
        );
    }
}
