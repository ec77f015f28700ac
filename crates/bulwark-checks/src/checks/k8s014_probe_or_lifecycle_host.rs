//! K8S014 `probe-or-lifecycle-host`: a probe or lifecycle hook targets another host.

use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::{field, who};
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct ProbeOrLifecycleHost;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S014",
    name: "probe-or-lifecycle-host",
    title: "Probe or lifecycle hook sets a host",
    severity: Severity::Medium,
    category: Category::Misconfig,
    standards: &["pss-baseline/host-probes-lifecycle-hooks"],
    scope: Scope::Workload,
    what: "Reports every `httpGet.host` or `tcpSocket.host` with a non-empty value in a \
           container's `livenessProbe`, `readinessProbe`, `startupProbe`, \
           `lifecycle.postStart` or `lifecycle.preStop`. Any value counts, `localhost` \
           included.",
    why: "The kubelet sends probe and hook requests from the node. A host field lets a pod \
          author aim those requests at any address the node can reach, such as cloud \
          metadata services, the node's own loopback services or other tenants' pods: a \
          server-side request forgery through the kubelet.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
    livenessProbe:
      httpGet: {host: 169.254.169.254, path: /latest/meta-data/, port: 80}
",
    fix: "Remove `host` so the probe targets the pod's own IP.",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
    livenessProbe:
      httpGet: {path: /healthz, port: 8080}
",
    peers: "Same meaning as the upstream `hostProbesAndHostLifecycle` admission check \
            (Kubernetes 1.34 and later).",
    references: &[
        refs::PSS,
        "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/",
    ],
};

const HANDLERS: &[&str] = &[
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle.postStart",
    "lifecycle.preStop",
];

impl Check for ProbeOrLifecycleHost {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        for c in pod.containers() {
            for handler in HANDLERS {
                let keys: Vec<&str> = handler.split('.').collect();
                let Some(h) = c.node.path(&keys) else {
                    continue;
                };
                for action in ["httpGet", "tcpSocket"] {
                    let Some((host, pos)) = field(h.get(action), "host") else {
                        continue;
                    };
                    let host = host.as_str().unwrap_or("");
                    if !host.is_empty() {
                        cx.report_container(
                            &c,
                            &format!("{handler}.{action}.host"),
                            pos,
                            format!("{} {handler} {action} targets host {host:?}", who(&c)),
                        );
                    }
                }
            }
        }
    }
}
