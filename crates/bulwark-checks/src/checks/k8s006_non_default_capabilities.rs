//! K8S006 `non-default-capabilities`: a container adds capabilities beyond the baseline set.

use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::{quoted, strings, who};
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct NonDefaultCapabilities;

/// The capabilities the baseline level allows a container to add (exact, case-sensitive, as
/// the upstream admission check compares them).
pub(crate) const BASELINE_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S006",
    name: "non-default-capabilities",
    title: "Container adds capabilities beyond the baseline set",
    severity: Severity::High,
    category: Category::Misconfig,
    standards: &[
        "pss-baseline/capabilities",
        "cis-k8s/5.2.9",
        "nsa-cisa/pod-security",
    ],
    scope: Scope::Workload,
    what: "Reports every container whose `securityContext.capabilities.add` names a \
           capability outside the baseline set: AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, \
           FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, \
           SYS_CHROOT. Names are compared exactly, as the admission check does, so `CAP_CHOWN` \
           or `chown` is outside the set.",
    why: "Capabilities beyond the container runtime's default set hand out pieces of root: \
          SYS_ADMIN is nearly full root and enables most container escapes, NET_ADMIN \
          reconfigures the node's network, SYS_PTRACE reads other processes' memory, \
          SYS_MODULE loads kernel code.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: ops}
spec:
  containers:
  - name: tools
    image: example.com/tools:3
    securityContext:
      capabilities:
        add: [SYS_ADMIN, NET_ADMIN]
",
    fix: "Remove capabilities the process does not need. Most workloads need none beyond \
          NET_BIND_SERVICE (to bind ports below 1024).",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: ops}
spec:
  containers:
  - name: tools
    image: example.com/tools:3
    securityContext:
      capabilities:
        add: [NET_BIND_SERVICE]
",
    peers: "Same meaning as the upstream `capabilities_baseline` admission check. polaris \
            `dangerousCapabilities`/`insecureCapabilities` and checkov CKV_K8S_39 (SYS_ADMIN) \
            flag narrower lists, so only their failures of capabilities outside the baseline \
            set agree.",
    references: &[refs::PSS, refs::CIS, refs::SECURITY_CONTEXT],
};

impl Check for NonDefaultCapabilities {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        for c in pod.containers() {
            let added = strings(c.sc(&["capabilities", "add"]));
            let bad: Vec<_> = added
                .iter()
                .filter(|(cap, _)| !BASELINE_CAPABILITIES.contains(cap))
                .collect();
            if let Some(&&(_, pos)) = bad.first() {
                let names: Vec<&str> = bad.iter().map(|(n, _)| *n).collect();
                cx.report_container(
                    &c,
                    "securityContext.capabilities.add",
                    pos,
                    format!(
                        "{} adds {} {}, outside the baseline set",
                        who(&c),
                        if names.len() == 1 {
                            "capability"
                        } else {
                            "capabilities"
                        },
                        quoted(&names)
                    ),
                );
            }
        }
    }
}
