//! MESH010: hostNetwork pods in a meshed namespace get no proxy.

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::on_workload;
use crate::Mesh;
use crate::membership::namespace_injects;

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "MESH010",
    name: "mesh-host-network-uncaptured",
    title: "hostNetwork pod in a meshed namespace runs without a proxy",
    severity: Severity::High,
    category: Category::Mesh,
    standards: &[],
    what: "Reports workloads with `hostNetwork: true` in a namespace that injects Istio or Linkerd. Neither injector adds a proxy to host-network pods, so they are outside the mesh although their namespace is not.",
    why: "The pod talks from the node's network namespace: its traffic is plaintext and unauthenticated, it is not subject to mesh authorization, and it can reach services that accept plaintext (PERMISSIVE) as an anonymous client while looking like part of a meshed namespace.",
    example: "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: shop}\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n    spec:\n      hostNetwork: true\n      containers: [{name: agent, image: agent:1}]\n",
    fix: "Drop `hostNetwork` if the pod does not need the node's network; otherwise move it to a namespace outside the mesh and make the services it calls require mTLS (STRICT) or admit it explicitly.",
    fixed_example: "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: shop}\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n    spec:\n      containers: [{name: agent, image: agent:1}]\n",
    references: &["https://istio.io/latest/docs/ops/deployment/application-requirements/"],
};

pub(crate) fn run(m: &Mesh<'_>, out: &mut Vec<Finding>) {
    for (w, mem) in &m.workloads {
        if !w.host_network || mem.mesh.is_some() {
            continue;
        }
        let Some(mesh) = m.namespaces.get(&*w.namespace).and_then(namespace_injects) else {
            continue;
        };
        let pos = w.pod.spec.get("hostNetwork").map(|n| n.pos);
        out.push(on_workload(
            &META,
            m,
            w,
            pos,
            &w.pod.field("hostNetwork"),
            format!(
                "{} uses hostNetwork in {}-injected namespace {}: it gets no proxy, so its traffic is plaintext and outside mesh policy",
                w.display(),
                mesh.as_str(),
                w.namespace
            ),
            "hostNetwork",
        ));
    }
}
