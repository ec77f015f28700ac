//! K8S011 `unmasked-proc-mount`: a container sees the node's unmasked /proc.

use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::report_unmasked_proc_mounts;
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct UnmaskedProcMount;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S011",
    name: "unmasked-proc-mount",
    title: "Container sets a /proc mount type other than Default",
    severity: Severity::Medium,
    category: Category::Misconfig,
    standards: &["pss-baseline/proc-mount-type", "nsa-cisa/pod-security"],
    scope: Scope::Workload,
    what: "Reports every container whose `securityContext.procMount` is set to anything \
           other than `Default` (for example `Unmasked`). Pods that run in a user namespace \
           (`hostUsers: false`) are exempt, as in the upstream check since Kubernetes 1.35; \
           K8S026 covers them for the restricted level.",
    why: "The default /proc mount masks and makes read-only the parts of /proc that leak \
          host information or allow writes to kernel settings (`/proc/sys`, `/proc/kcore`, \
          `/proc/sysrq-trigger`). An unmasked /proc exposes them to the container.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: builder, namespace: ci}
spec:
  containers:
  - name: buildkit
    image: example.com/buildkit:0.13
    securityContext:
      procMount: Unmasked
",
    fix: "Remove `procMount` or set it to `Default`. Nested container builds that need an \
          unmasked /proc should run in a user namespace (`hostUsers: false`).",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: builder, namespace: ci}
spec:
  containers:
  - name: buildkit
    image: example.com/buildkit:0.13
    securityContext:
      procMount: Default
",
    peers: "Same meaning as the upstream baseline `procMount` admission check (1.35 \
            revision). polaris `procMount` and kube-linter `unsafe-proc-mount` report \
            `Unmasked` without the user-namespace exemption.",
    references: &[refs::PSS, refs::USER_NAMESPACES],
};

impl Check for UnmaskedProcMount {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        if cx.pod().in_user_namespace() {
            return;
        }
        report_unmasked_proc_mounts(cx, "");
    }
}
