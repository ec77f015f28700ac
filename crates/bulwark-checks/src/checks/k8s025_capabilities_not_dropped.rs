//! K8S025 `capabilities-not-dropped`: a container keeps the runtime's default capabilities.

use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::{quoted, sc_pos, strings, who};
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct CapabilitiesNotDropped;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S025",
    name: "capabilities-not-dropped",
    title: "Container does not drop ALL capabilities",
    severity: Severity::Low,
    category: Category::Misconfig,
    standards: &[
        "pss-restricted/capabilities",
        "cis-k8s/5.2.10",
        "nsa-cisa/pod-security",
    ],
    scope: Scope::Workload,
    what: "Reports every container (init, regular or ephemeral) whose \
           `securityContext.capabilities.drop` does not contain `ALL`, or whose \
           `capabilities.add` contains anything but `NET_BIND_SERVICE`. Both are compared \
           exactly, as the admission check does. Windows pods are exempt.",
    why: "Container runtimes grant a default set of capabilities (CHOWN, DAC_OVERRIDE, \
          FOWNER, SETUID, SETGID, NET_RAW, …) that most applications never use. Each is an \
          extra tool for an attacker: NET_RAW allows spoofing and ARP poisoning on the pod \
          network, DAC_OVERRIDE bypasses file permissions.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
    securityContext:
      capabilities:
        add: [CHOWN]
",
    fix: "Add `capabilities: {drop: [ALL]}` to every container, and add back only \
          `NET_BIND_SERVICE` if the process binds a port below 1024.",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
    securityContext:
      capabilities:
        drop: [ALL]
        add: [NET_BIND_SERVICE]
",
    peers: "Same meaning as the upstream `capabilities_restricted` admission check. checkov \
            CKV_K8S_37 and polaris also accept case variants and dropping only specific \
            capabilities, so only their failures without any drop list agree.",
    references: &[refs::PSS, refs::CIS, refs::SECURITY_CONTEXT],
};

impl Check for CapabilitiesNotDropped {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        if pod.is_windows() {
            return;
        }
        for c in pod.containers() {
            let drops = strings(c.sc(&["capabilities", "drop"]));
            let adds = strings(c.sc(&["capabilities", "add"]));
            let drops_all = drops.iter().any(|(d, _)| *d == "ALL");
            let bad_adds: Vec<&str> = adds
                .iter()
                .map(|(a, _)| *a)
                .filter(|a| *a != "NET_BIND_SERVICE")
                .collect();
            let mut problems = Vec::new();
            if !drops_all {
                problems.push("does not drop ALL capabilities".to_string());
            }
            if !bad_adds.is_empty() {
                problems.push(format!(
                    "adds {} (only NET_BIND_SERVICE is allowed)",
                    quoted(&bad_adds)
                ));
            }
            if problems.is_empty() {
                continue;
            }
            let (rel, pos) = if drops_all {
                (
                    "securityContext.capabilities.add",
                    sc_pos(&c, &["capabilities", "add"]),
                )
            } else {
                (
                    "securityContext.capabilities.drop",
                    sc_pos(&c, &["capabilities", "drop"]),
                )
            };
            cx.report_container(
                &c,
                rel,
                pos,
                format!("{} {}", who(&c), problems.join(" and ")),
            );
        }
    }
}
