//! K8S002 `host-network`: the pod shares the node's network namespace.

use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::report_true_pod_field;
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct HostNetwork;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S002",
    name: "host-network",
    title: "Pod uses the host network namespace",
    severity: Severity::High,
    category: Category::Misconfig,
    standards: &[
        "pss-baseline/host-namespaces",
        "cis-k8s/5.2.5",
        "nsa-cisa/pod-security",
    ],
    scope: Scope::Workload,
    what: "Reports a pod spec with `hostNetwork: true`. Unset or `false` passes.",
    why: "With the host network namespace a container sees every interface of the node, can bind any node port, can sniff traffic of other pods on the node and reaches services bound to localhost on the node (the kubelet, cloud metadata proxies, local databases). NetworkPolicies do not apply to host-network pods.",
    example: r"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      hostNetwork: true
      containers:
      - name: web
        image: example.com/web:1.4
",
    fix: "Remove `hostNetwork: true`. If a node agent truly needs the host's network namespace, run it in a dedicated namespace that is exempt from the baseline level and suppress this finding there with a reason.",
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
    peers: "Same meaning as the upstream `hostNamespaces` admission check (hostNetwork part), polaris `hostNetworkSet`, kube-linter `host-network` and checkov CKV_K8S_19.",
    references: &[refs::PSS, refs::CIS, refs::NSA],
};

impl Check for HostNetwork {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        report_true_pod_field(
            cx,
            "hostNetwork",
            "it sees the node's interfaces and localhost services, and NetworkPolicies do not apply to it",
        );
    }
}
