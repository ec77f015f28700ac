//! K8S012 `unconfined-seccomp`: seccomp filtering is explicitly turned off.

use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::{pod_sc_pos, profile_type, sc_pos, who};
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct UnconfinedSeccomp;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S012",
    name: "unconfined-seccomp",
    title: "Seccomp profile set to Unconfined",
    severity: Severity::Medium,
    category: Category::Misconfig,
    standards: &[
        "pss-baseline/seccomp",
        "cis-k8s/5.7.2",
        "nsa-cisa/container-hardening",
    ],
    scope: Scope::Workload,
    what: "Reports a pod or container `securityContext.seccompProfile` whose `type` is not \
           `RuntimeDefault` or `Localhost` (that is, `Unconfined` or empty). An absent \
           profile passes here; K8S024 reports it for the restricted level.",
    why: "Seccomp blocks the system calls containers never need and many kernel exploits \
          use (`keyctl`, `unshare`, `bpf`, `userfaultfd`, …). `Unconfined` removes the \
          filter and exposes the node's whole kernel attack surface.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  securityContext:
    seccompProfile: {type: Unconfined}
  containers:
  - name: web
    image: example.com/web:1.4
",
    fix: "Set `seccompProfile: {type: RuntimeDefault}` at the pod level (or `Localhost` with \
          a tailored profile).",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  securityContext:
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: web
    image: example.com/web:1.4
",
    peers: "Same meaning as the upstream `seccompProfile_baseline` admission check (field \
            revision; the pre-1.19 annotations are not read). checkov CKV_K8S_31 and polaris \
            require a profile to be set, which is the restricted rule (K8S024).",
    references: &[refs::PSS, refs::SECCOMP],
};

impl Check for UnconfinedSeccomp {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        if let Some(profile) = pod.sc(&["seccompProfile"]) {
            let (allowed, t) = profile_type(profile);
            if !allowed {
                cx.report_pod(
                    "securityContext.seccompProfile.type",
                    pod_sc_pos(&pod, &["seccompProfile", "type"]),
                    format!("pod sets seccomp profile type {t:?}"),
                );
            }
        }
        for c in pod.containers() {
            if let Some(profile) = c.sc(&["seccompProfile"]) {
                let (allowed, t) = profile_type(profile);
                if !allowed {
                    cx.report_container(
                        &c,
                        "securityContext.seccompProfile.type",
                        sc_pos(&c, &["seccompProfile", "type"]),
                        format!("{} sets seccomp profile type {t:?}", who(&c)),
                    );
                }
            }
        }
    }
}
