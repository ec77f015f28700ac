//! K8S021 `privilege-escalation-allowed`: a container may gain privileges through setuid.

use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::report_unless_container_sets;
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct PrivilegeEscalationAllowed;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S021",
    name: "privilege-escalation-allowed",
    title: "Container allows privilege escalation",
    severity: Severity::Medium,
    category: Category::Misconfig,
    standards: &[
        "pss-restricted/privilege-escalation",
        "cis-k8s/5.2.6",
        "nsa-cisa/pod-security",
    ],
    scope: Scope::Workload,
    what: "Reports every container (init, regular or ephemeral) that does not set \
           `securityContext.allowPrivilegeEscalation: false`: unset counts as allowed. \
           Windows pods (`spec.os.name: windows`) are exempt.",
    why: "Unless `no_new_privs` is set, a process can gain privileges through setuid and \
          setgid binaries or file capabilities: an attacker with code execution as an \
          unprivileged user becomes root inside the container, one step from the node.",
    example: r"apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: example.com/api:2.0
",
    fix: "Set `securityContext.allowPrivilegeEscalation: false` on every container.",
    fixed_example: r"apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: example.com/api:2.0
        securityContext:
          allowPrivilegeEscalation: false
",
    peers: "Same meaning as the upstream `allowPrivilegeEscalation` admission check, polaris \
            `privilegeEscalationAllowed`, kube-linter `privilege-escalation-container` where \
            it requires false, and checkov CKV_K8S_20.",
    references: &[refs::PSS, refs::CIS, refs::SECURITY_CONTEXT],
};

impl Check for PrivilegeEscalationAllowed {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        if cx.pod().is_windows() {
            return;
        }
        report_unless_container_sets(
            cx,
            "allowPrivilegeEscalation",
            false,
            "does not set allowPrivilegeEscalation: false (it defaults to true)",
        );
    }
}
