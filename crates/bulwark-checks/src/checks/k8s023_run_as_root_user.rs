//! K8S023 `run-as-root-user`: the pod or a container explicitly runs as UID 0.

use bulwark_k8s::Node;
use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::{pod_sc_pos, sc_pos, who};
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct RunAsRootUser;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S023",
    name: "run-as-root-user",
    title: "Runs as root (runAsUser: 0)",
    severity: Severity::High,
    category: Category::Misconfig,
    standards: &[
        "pss-restricted/running-as-non-root-user",
        "cis-k8s/5.2.7",
        "nsa-cisa/non-root-containers",
    ],
    scope: Scope::Workload,
    what: "Reports a pod or container that sets `securityContext.runAsUser: 0`. Each level is \
           judged on its own: a pod-level 0 is reported even if every container overrides \
           it. Pods in a user namespace (`hostUsers: false`) are exempt.",
    why: "UID 0 in a container is UID 0 on the node's kernel. Explicitly asking for root \
          defeats image-level non-root users and turns any container escape or writable \
          host mount into a node compromise.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  securityContext:
    runAsUser: 0
  containers:
  - name: web
    image: example.com/web:1.4
",
    fix: "Set `runAsUser` to a non-zero UID (and `runAsNonRoot: true`), or remove it and use \
          an image with a non-root USER.",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  securityContext:
    runAsUser: 10001
    runAsNonRoot: true
  containers:
  - name: web
    image: example.com/web:1.4
",
    peers: "Same meaning as the upstream `runAsUser` admission check (1.35 revision with the \
            user-namespace exemption). polaris `runAsRootAllowed` failures with runAsUser 0 \
            agree; checkov CKV_K8S_40 requires a high UID, which is stricter.",
    references: &[refs::PSS, refs::CIS, refs::SECURITY_CONTEXT],
};

impl Check for RunAsRootUser {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        if pod.in_user_namespace() {
            return;
        }
        if pod.sc(&["runAsUser"]).and_then(Node::as_i64) == Some(0) {
            cx.report_pod(
                "securityContext.runAsUser",
                pod_sc_pos(&pod, &["runAsUser"]),
                "pod sets runAsUser: 0 (root)",
            );
        }
        for c in pod.containers() {
            if c.sc(&["runAsUser"]).and_then(Node::as_i64) == Some(0) {
                cx.report_container(
                    &c,
                    "securityContext.runAsUser",
                    sc_pos(&c, &["runAsUser"]),
                    format!("{} sets runAsUser: 0 (root)", who(&c)),
                );
            }
        }
    }
}
