//! K8S010 `forbidden-selinux-options`: an SELinux type, user or role outside the container set.

use bulwark_k8s::Node;
use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::{pod_sc_pos, sc_pos, who};
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct ForbiddenSeLinuxOptions;

/// SELinux types the baseline level allows (Kubernetes 1.31 and later).
const ALLOWED_TYPES: &[&str] = &[
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S010",
    name: "forbidden-selinux-options",
    title: "SELinux options outside the container types",
    severity: Severity::Medium,
    category: Category::Misconfig,
    standards: &["pss-baseline/selinux", "nsa-cisa/container-hardening"],
    scope: Scope::Workload,
    what: "Reports a pod or container `securityContext.seLinuxOptions` whose `type` is set to \
           something other than container_t, container_init_t, container_kvm_t or \
           container_engine_t, or whose `user` or `role` is set at all. `level` is not \
           checked.",
    why: "The SELinux type decides what a process may touch. A custom type such as \
          `spc_t` (super-privileged container) or `unconfined_t`, or a custom user or role, \
          lifts the confinement that keeps a container away from the node's files.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: ops}
spec:
  securityContext:
    seLinuxOptions: {type: spc_t}
  containers:
  - name: agent
    image: example.com/agent:1.0
",
    fix: "Remove `type`, `user` and `role` from `seLinuxOptions` (the runtime assigns \
          `container_t`), or use one of the container types. Setting `level` alone is fine.",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: ops}
spec:
  securityContext:
    seLinuxOptions: {level: 's0:c123,c456'}
  containers:
  - name: agent
    image: example.com/agent:1.0
",
    peers: "Same meaning as the upstream `seLinuxOptions` admission check (1.31 revision, \
            which added container_engine_t and reports user and role on their own).",
    references: &[refs::PSS, refs::SECURITY_CONTEXT],
};

/// What is wrong with one `seLinuxOptions` mapping.
fn problems(opts: &Node) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(t) = opts.get("type").and_then(Node::as_str)
        && !t.is_empty()
        && !ALLOWED_TYPES.contains(&t)
    {
        out.push(format!("type {t:?}"));
    }
    for key in ["user", "role"] {
        if opts
            .get(key)
            .and_then(Node::as_str)
            .is_some_and(|v| !v.is_empty())
        {
            out.push(format!("{key} (may not be set)"));
        }
    }
    out
}

impl Check for ForbiddenSeLinuxOptions {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        if let Some(opts) = pod.sc(&["seLinuxOptions"]) {
            let p = problems(opts);
            if !p.is_empty() {
                cx.report_pod(
                    "securityContext.seLinuxOptions",
                    pod_sc_pos(&pod, &["seLinuxOptions"]),
                    format!("pod sets forbidden seLinuxOptions: {}", p.join(", ")),
                );
            }
        }
        for c in pod.containers() {
            if let Some(opts) = c.sc(&["seLinuxOptions"]) {
                let p = problems(opts);
                if !p.is_empty() {
                    cx.report_container(
                        &c,
                        "securityContext.seLinuxOptions",
                        sc_pos(&c, &["seLinuxOptions"]),
                        format!(
                            "{} sets forbidden seLinuxOptions: {}",
                            who(&c),
                            p.join(", ")
                        ),
                    );
                }
            }
        }
    }
}
