//! K8S013 `unsafe-sysctls`: the pod sets kernel parameters outside the safe set.

use bulwark_k8s::Node;
use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct UnsafeSysctls;

/// The sysctls the baseline level allows, as of Kubernetes 1.37 (the newest policy version):
/// namespaced and isolated per pod, so they cannot affect other pods or the node.
pub(crate) const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S013",
    name: "unsafe-sysctls",
    title: "Pod sets unsafe sysctls",
    severity: Severity::High,
    category: Category::Misconfig,
    standards: &["pss-baseline/sysctls", "nsa-cisa/pod-security"],
    scope: Scope::Workload,
    what: "Reports every entry of `spec.securityContext.sysctls` whose name is not in the \
           safe set of the newest Pod Security Standards (Kubernetes 1.37): \
           kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies, \
           net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start, \
           net.ipv4.ip_local_reserved_ports, net.ipv4.tcp_keepalive_time, \
           net.ipv4.tcp_fin_timeout, net.ipv4.tcp_keepalive_intvl, \
           net.ipv4.tcp_keepalive_probes, net.ipv4.tcp_rmem, net.ipv4.tcp_wmem, \
           net.ipv4.tcp_slow_start_after_idle, net.ipv4.tcp_notsent_lowat. Names are \
           compared exactly; values are not checked.",
    why: "Sysctls outside the safe set are either not namespaced (they change the whole \
          node: `kernel.*`, `vm.*`) or not isolated between pods. Setting them can crash the \
          node, weaken its protections (`kernel.randomize_va_space`) or affect other \
          tenants.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: db, namespace: data}
spec:
  securityContext:
    sysctls:
    - {name: kernel.msgmax, value: '65536'}
    - {name: net.ipv4.tcp_syncookies, value: '1'}
  containers:
  - name: db
    image: example.com/db:15
",
    fix: "Remove the unsafe sysctls. If the workload truly needs one, have the cluster \
          administrator allow it on dedicated nodes (`--allowed-unsafe-sysctls`) and \
          schedule the pod there.",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: db, namespace: data}
spec:
  securityContext:
    sysctls:
    - {name: net.ipv4.tcp_syncookies, value: '1'}
  containers:
  - name: db
    image: example.com/db:15
",
    peers: "Same meaning as the upstream `sysctls` admission check at its newest revision. \
            kube-linter `unsafe-sysctls` uses an older deny-list (`kernel.*`, `vm.*`, …), so \
            only its failures agree.",
    references: &[refs::PSS, refs::SYSCTLS],
};

impl Check for UnsafeSysctls {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        let sysctls = pod.sc(&["sysctls"]).and_then(Node::as_seq).unwrap_or(&[]);
        for (i, s) in sysctls.iter().enumerate() {
            let name = s.get("name").and_then(Node::as_str).unwrap_or("");
            if !SAFE_SYSCTLS.contains(&name) {
                let pos = s.entry("name").map_or(s.pos, |e| e.key_pos);
                cx.report_pod_keyed(
                    &format!("securityContext.sysctls[{i}].name"),
                    &format!("securityContext.sysctls[{name}]"),
                    pos,
                    format!("pod sets unsafe sysctl {name:?}"),
                );
            }
        }
    }
}
