//! K8S003 `host-pid`: the pod shares the node's PID namespace.

use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::report_true_pod_field;
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct HostPid;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S003",
    name: "host-pid",
    title: "Pod uses the host PID namespace",
    severity: Severity::High,
    category: Category::Misconfig,
    standards: &[
        "pss-baseline/host-namespaces",
        "cis-k8s/5.2.3",
        "nsa-cisa/pod-security",
    ],
    scope: Scope::Workload,
    what: "Reports a pod spec with `hostPID: true`. Unset or `false` passes.",
    why: "With the host PID namespace a container sees every process on the node, can read their environment and command lines (where secrets often sit), and with ptrace or /proc/PID/root can reach into other containers and the host.",
    example: r"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      hostPID: true
      containers:
      - name: web
        image: example.com/web:1.4
",
    fix: "Remove `hostPID: true`. If a node agent truly needs the host's PID namespace, run it in a dedicated namespace that is exempt from the baseline level and suppress this finding there with a reason.",
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
    peers: "Same meaning as the upstream `hostNamespaces` admission check (hostPID part), polaris `hostPIDSet`, kube-linter `host-pid` and checkov CKV_K8S_17.",
    references: &[refs::PSS, refs::CIS, refs::NSA],
};

impl Check for HostPid {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        report_true_pod_field(
            cx,
            "hostPID",
            "it sees and can signal every process on the node",
        );
    }
}
