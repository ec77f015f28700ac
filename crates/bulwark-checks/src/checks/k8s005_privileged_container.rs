//! K8S005 `privileged-container`: a container runs privileged.

use bulwark_k8s::Node;
use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::{sc_pos, who};
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct PrivilegedContainer;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S005",
    name: "privileged-container",
    title: "Container runs privileged",
    severity: Severity::Critical,
    category: Category::Misconfig,
    standards: &[
        "pss-baseline/privileged-containers",
        "cis-k8s/5.2.2",
        "nsa-cisa/pod-security",
    ],
    scope: Scope::Workload,
    what: "Reports every container (init, regular or ephemeral) with \
           `securityContext.privileged: true`. Unset or `false` passes.",
    why: "A privileged container has every capability, sees all host devices and runs without \
          seccomp, AppArmor or SELinux confinement. Escaping to the node is a matter of \
          mounting the host disk or loading a kernel module.",
    example: r"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: monitoring}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
      - name: agent
        image: example.com/agent:2.1
        securityContext:
          privileged: true
",
    fix: "Remove `privileged: true`. Grant only the specific capabilities the process needs \
          with `capabilities.add`, or mount only the devices it needs.",
    fixed_example: r"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: monitoring}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
      - name: agent
        image: example.com/agent:2.1
        securityContext:
          privileged: false
",
    peers: "Same meaning as the upstream `privileged` admission check, polaris \
            `runAsPrivileged`, kube-linter `privileged-container` and checkov CKV_K8S_16.",
    references: &[refs::PSS, refs::CIS, refs::SECURITY_CONTEXT],
};

impl Check for PrivilegedContainer {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        for c in pod.containers() {
            if c.sc(&["privileged"]).and_then(Node::as_bool) == Some(true) {
                cx.report_container(
                    &c,
                    "securityContext.privileged",
                    sc_pos(&c, &["privileged"]),
                    format!("{} sets securityContext.privileged: true", who(&c)),
                );
            }
        }
    }
}
