//! K8S048 `net-raw-not-dropped`: a container keeps NET_RAW.

use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::{cap_matches, sc_pos, strings, who};
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct NetRawNotDropped;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S048",
    name: "net-raw-not-dropped",
    title: "Container does not drop NET_RAW",
    severity: Severity::Medium,
    category: Category::Misconfig,
    standards: &["cis-k8s/5.2.8", "nsa-cisa/pod-security"],
    scope: Scope::Workload,
    what: "Reports every container (init, regular or ephemeral) whose \
           `securityContext.capabilities.drop` contains neither `NET_RAW` nor `ALL`. Names \
           are compared as container runtimes read them: case-insensitive, with or without \
           a `CAP_` prefix. Windows pods are exempt.",
    why: "NET_RAW is in the default capability set of Docker and containerd. It lets a \
          compromised container craft raw packets: ARP and DNS spoofing against other pods \
          on the node, and a long history of kernel exploits through raw and packet \
          sockets.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
",
    fix: "Add `capabilities: {drop: [ALL]}` (or at least `drop: [NET_RAW]`) to the \
          container's securityContext.",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
    securityContext:
      capabilities:
        drop: [NET_RAW]
",
    peers: "Same meaning as checkov CKV_K8S_28 and kube-linter `drop-net-raw-capability`.",
    references: &[refs::CIS, refs::SECURITY_CONTEXT],
};

impl Check for NetRawNotDropped {
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
            if drops
                .iter()
                .any(|(d, _)| cap_matches(d, "NET_RAW") || cap_matches(d, "ALL"))
            {
                continue;
            }
            cx.report_container(
                &c,
                "securityContext.capabilities.drop",
                sc_pos(&c, &["capabilities", "drop"]),
                format!("{} does not drop NET_RAW", who(&c)),
            );
        }
    }
}
