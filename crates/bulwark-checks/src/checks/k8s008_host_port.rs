//! K8S008 `host-port`: a container binds a port on the node.

use bulwark_k8s::Node;
use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::{field, who};
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct HostPort;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S008",
    name: "host-port",
    title: "Container binds a host port",
    severity: Severity::Medium,
    category: Category::Misconfig,
    standards: &[
        "pss-baseline/host-ports",
        "cis-k8s/5.2.13",
        "nsa-cisa/pod-security",
    ],
    scope: Scope::Workload,
    what: "Reports every container port with a `hostPort` other than 0, in any container \
           (init, regular or ephemeral).",
    why: "A host port publishes the container on the node's own address, bypassing Services \
          and NetworkPolicies, and ties the pod to nodes where the port is free. It is a \
          common way to expose an internal service to everything that can reach the node.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
    ports:
    - containerPort: 8080
      hostPort: 80
",
    fix: "Remove `hostPort` and expose the pod through a Service (ClusterIP, or NodePort or \
          LoadBalancer when it must be reachable from outside).",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
    ports:
    - containerPort: 8080
",
    peers: "Same meaning as the upstream `hostPorts` admission check, polaris `hostPortSet` \
            and checkov CKV_K8S_26.",
    references: &[
        refs::PSS,
        refs::CIS,
        "https://kubernetes.io/docs/concepts/configuration/overview/#services",
    ],
};

impl Check for HostPort {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        for c in pod.containers() {
            let ports = c.node.get("ports").and_then(Node::as_seq).unwrap_or(&[]);
            for (i, port) in ports.iter().enumerate() {
                let Some((host_port, pos)) = field(Some(port), "hostPort") else {
                    continue;
                };
                let container_port = port
                    .get("containerPort")
                    .map_or(String::new(), ToString::to_string);
                let key = format!("ports[{container_port}].hostPort");
                match host_port.as_i64() {
                    Some(0) => {}
                    Some(n) => cx.report_container_keyed(
                        &c,
                        &format!("ports[{i}].hostPort"),
                        &key,
                        pos,
                        format!("{} binds host port {n}", who(&c)),
                    ),
                    None => cx.report_container_keyed(
                        &c,
                        &format!("ports[{i}].hostPort"),
                        &key,
                        pos,
                        format!(
                            "{} sets hostPort to `{host_port}`, which is not a port number",
                            who(&c)
                        ),
                    ),
                }
            }
        }
    }
}
