//! K8S026 `unmasked-proc-mount-user-namespace`: an unmasked /proc in a user-namespaced pod.

use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::report_unmasked_proc_mounts;
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct UnmaskedProcMountUserNamespace;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S026",
    name: "unmasked-proc-mount-user-namespace",
    title: "Unmasked /proc in a user-namespaced pod (restricted)",
    severity: Severity::Low,
    category: Category::Misconfig,
    // The official page lists /proc Mount Type under baseline only and has no restricted slug
    // for it, so no PSS reference is invented here.
    standards: &[],
    scope: Scope::Workload,
    what: "Reports every container whose `securityContext.procMount` is not `Default` in a \
           pod with `hostUsers: false`. The baseline level allows this since Kubernetes 1.35 \
           (K8S011 is quiet for such pods); the restricted level still forbids it (the \
           upstream `procMount_restricted` check). The official page lists /proc Mount Type \
           under baseline only and has no restricted control for it, so this check carries no \
           Pod Security Standards reference; filter on the id instead.",
    why: "In a user namespace an unmasked /proc is much less dangerous, but it still shows \
          kernel interfaces the default mask hides, and the restricted level keeps the mask \
          as defence in depth.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: builder, namespace: ci}
spec:
  hostUsers: false
  containers:
  - name: buildkit
    image: example.com/buildkit:0.13
    securityContext:
      procMount: Unmasked
",
    fix: "Remove `procMount` or set it to `Default`, or run the pod in a namespace at the \
          baseline level.",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: builder, namespace: ci}
spec:
  hostUsers: false
  containers:
  - name: buildkit
    image: example.com/buildkit:0.13
",
    peers: "Same meaning as the upstream `procMount_restricted` admission check (Kubernetes \
            1.35) for user-namespaced pods; no peer scanner models the user-namespace \
            exemption.",
    references: &[refs::PSS, refs::PSA_CHECKS, refs::USER_NAMESPACES],
};

impl Check for UnmaskedProcMountUserNamespace {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        if !cx.pod().in_user_namespace() {
            return;
        }
        report_unmasked_proc_mounts(
            cx,
            " (allowed by baseline in a user namespace, not by restricted)",
        );
    }
}
