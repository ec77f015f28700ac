//! K8S022 `run-as-non-root-not-enforced`: nothing stops a container from running as root.

use bulwark_k8s::Node;
use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::{pod_sc_pos, sc_pos, who};
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct RunAsNonRootNotEnforced;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S022",
    name: "run-as-non-root-not-enforced",
    title: "runAsNonRoot is not enforced",
    severity: Severity::Medium,
    category: Category::Misconfig,
    standards: &[
        "pss-restricted/running-as-non-root",
        "cis-k8s/5.2.7",
        "nsa-cisa/non-root-containers",
    ],
    scope: Scope::Workload,
    what: "Reports a pod that sets `securityContext.runAsNonRoot: false`, every container \
           that sets it to `false`, and, when the pod does not set it to `true`, every \
           container that does not set it to `true` either. A non-zero `runAsUser` does not \
           satisfy this check (the kubelet only refuses root when `runAsNonRoot` is true). \
           Pods in a user namespace (`hostUsers: false`) are exempt.",
    why: "Without `runAsNonRoot: true` the image decides the user, and most images run as \
          root. Root in a container is root on the node's kernel: any escape, writable \
          hostPath or mounted socket is immediately a node compromise.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
",
    fix: "Set `securityContext.runAsNonRoot: true` at the pod level (and a non-zero \
          `runAsUser` if the image has no non-root USER), and remove `runAsNonRoot: false` \
          from containers.",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
  containers:
  - name: web
    image: example.com/web:1.4
",
    peers: "Same meaning as the upstream `runAsNonRoot` admission check (1.35 revision with \
            the user-namespace exemption). polaris `runAsRootAllowed`, kube-linter \
            `run-as-non-root` and checkov CKV_K8S_23 also accept a non-zero runAsUser, so \
            their passing fixtures with only runAsUser set are not an oracle for this \
            check.",
    references: &[refs::PSS, refs::CIS, refs::SECURITY_CONTEXT],
};

impl Check for RunAsNonRootNotEnforced {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        if pod.in_user_namespace() {
            return;
        }
        let pod_value = pod.sc(&["runAsNonRoot"]).and_then(Node::as_bool);
        if pod_value == Some(false) {
            cx.report_pod(
                "securityContext.runAsNonRoot",
                pod_sc_pos(&pod, &["runAsNonRoot"]),
                "pod sets runAsNonRoot: false",
            );
        }
        for c in pod.containers() {
            match c.sc(&["runAsNonRoot"]).and_then(Node::as_bool) {
                Some(true) => {}
                Some(false) => cx.report_container(
                    &c,
                    "securityContext.runAsNonRoot",
                    sc_pos(&c, &["runAsNonRoot"]),
                    format!("{} sets runAsNonRoot: false", who(&c)),
                ),
                // Covered by the pod's true; or by the pod's own finding when it is false.
                None if pod_value.is_some() => {}
                None => cx.report_container(
                    &c,
                    "securityContext.runAsNonRoot",
                    sc_pos(&c, &["runAsNonRoot"]),
                    format!(
                        "neither the pod nor {} sets runAsNonRoot: true, so it may run as root",
                        who(&c)
                    ),
                ),
            }
        }
    }
}
