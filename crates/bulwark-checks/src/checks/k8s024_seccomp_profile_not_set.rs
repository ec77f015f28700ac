//! K8S024 `seccomp-profile-not-set`: a container runs without a seccomp profile.

use bulwark_k8s::Node;
use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::{pod_sc_pos, profile_type, sc_pos, who};
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct SeccompProfileNotSet;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S024",
    name: "seccomp-profile-not-set",
    title: "No RuntimeDefault or Localhost seccomp profile",
    severity: Severity::Medium,
    category: Category::Misconfig,
    standards: &[
        "pss-restricted/seccomp",
        "cis-k8s/5.7.2",
        "nsa-cisa/container-hardening",
    ],
    scope: Scope::Workload,
    what: "Reports a pod whose `securityContext.seccompProfile.type` is set to something \
           other than `RuntimeDefault` or `Localhost`, every container that does so, and, \
           when the pod sets no valid profile, every container that sets none either. \
           Windows pods are exempt. `Unconfined` is also reported by K8S012.",
    why: "Kubernetes runs containers `Unconfined` unless a profile is set (or the kubelet's \
          SeccompDefault is on, which a manifest cannot rely on). Without seccomp every \
          system call of the node's kernel is reachable from the container.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
",
    fix: "Set `securityContext.seccompProfile: {type: RuntimeDefault}` at the pod level.",
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
    peers: "Same meaning as the upstream `seccompProfile_restricted` admission check. \
            checkov CKV_K8S_31 also accepts the pre-1.19 annotations, which the API server \
            no longer honours, so its annotation-only passing fixtures are not an oracle.",
    references: &[refs::PSS, refs::CIS, refs::SECCOMP],
};

fn valid(profile: &Node) -> bool {
    profile_type(profile).0
}

impl Check for SeccompProfileNotSet {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        if pod.is_windows() {
            return;
        }
        let pod_profile = pod.sc(&["seccompProfile"]);
        let pod_ok = pod_profile.is_some_and(valid);
        if let Some(p) = pod_profile.filter(|p| !valid(p)) {
            let t = p.get("type").and_then(Node::as_str).unwrap_or("");
            cx.report_pod(
                "securityContext.seccompProfile.type",
                pod_sc_pos(&pod, &["seccompProfile", "type"]),
                format!(
                    "pod sets seccomp profile type {t:?}; RuntimeDefault or Localhost is required"
                ),
            );
        }
        for c in pod.containers() {
            match c.sc(&["seccompProfile"]) {
                Some(p) if valid(p) => {}
                Some(p) => {
                    let t = p.get("type").and_then(Node::as_str).unwrap_or("");
                    cx.report_container(
                        &c,
                        "securityContext.seccompProfile.type",
                        sc_pos(&c, &["seccompProfile", "type"]),
                        format!(
                            "{} sets seccomp profile type {t:?}; RuntimeDefault or Localhost is required",
                            who(&c)
                        ),
                    );
                }
                // Covered by the pod's valid profile, or by the pod's own finding.
                None if pod_ok || pod_profile.is_some() => {}
                None => cx.report_container(
                    &c,
                    "securityContext.seccompProfile",
                    sc_pos(&c, &["seccompProfile"]),
                    format!(
                        "neither the pod nor {} sets a seccomp profile, so it runs Unconfined",
                        who(&c)
                    ),
                ),
            }
        }
    }
}
