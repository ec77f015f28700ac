//! K8S001 `host-process`: a Windows HostProcess container.

use bulwark_k8s::Node;
use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::{pod_sc_pos, sc_pos, who};
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct HostProcess;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S001",
    name: "host-process",
    title: "Windows HostProcess container",
    severity: Severity::Critical,
    category: Category::Misconfig,
    standards: &[
        "pss-baseline/host-process",
        "cis-k8s/5.2.11",
        "nsa-cisa/pod-security",
    ],
    scope: Scope::Workload,
    what: "Reports a pod whose `securityContext.windowsOptions.hostProcess` is `true`, or any \
           container (init, regular or ephemeral) that sets it. Unset or `false` passes.",
    why: "A HostProcess container runs directly on the Windows node as a host process, with \
          the node's network, file system and, typically, SYSTEM privileges: there is no \
          container boundary left to escape.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: agent}
spec:
  hostNetwork: true
  securityContext:
    windowsOptions:
      hostProcess: true
      runAsUserName: 'NT AUTHORITY\SYSTEM'
  containers:
  - name: agent
    image: example.com/agent:1.0
",
    fix: "Remove `windowsOptions.hostProcess: true`. Run node agents as ordinary containers, \
          or confine HostProcess pods to a namespace that the privileged Pod Security level \
          is explicitly granted to.",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: agent}
spec:
  containers:
  - name: agent
    image: example.com/agent:1.0
",
    peers: "Same meaning as the upstream `windowsHostProcess` admission check. polaris \
            `hostProcess` checks the same fields.",
    references: &[refs::PSS, refs::CIS, refs::WINDOWS_HOST_PROCESS],
};

impl Check for HostProcess {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        let keys = ["windowsOptions", "hostProcess"];
        if pod.sc(&keys).and_then(Node::as_bool) == Some(true) {
            cx.report_pod(
                "securityContext.windowsOptions.hostProcess",
                pod_sc_pos(&pod, &keys),
                "pod sets securityContext.windowsOptions.hostProcess: true",
            );
        }
        for c in pod.containers() {
            if c.sc(&keys).and_then(Node::as_bool) == Some(true) {
                cx.report_container(
                    &c,
                    "securityContext.windowsOptions.hostProcess",
                    sc_pos(&c, &keys),
                    format!(
                        "{} sets securityContext.windowsOptions.hostProcess: true",
                        who(&c)
                    ),
                );
            }
        }
    }
}
