//! MESH008: sidecar injection turned off for a namespace or for pods of a meshed namespace.

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::{is_control_plane_namespace, on_namespace, on_workload, with_severity};
use crate::Mesh;
use crate::membership::{ISTIO_INJECTION, LINKERD_INJECT, namespace_injects, pod_opt_out};
use crate::util::{annotation, meta_node};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "MESH008",
    name: "mesh-injection-disabled",
    title: "Sidecar injection is disabled",
    severity: Severity::Medium,
    category: Category::Mesh,
    standards: &[],
    what: "Reports workloads in a namespace that injects a mesh proxy (Istio `istio-injection=enabled` or `istio.io/rev`, Linkerd `linkerd.io/inject: enabled`) whose pod template opts out (`sidecar.istio.io/inject: \"false\"` label or annotation, `linkerd.io/inject: disabled`), medium; and namespaces that opt out explicitly (`istio-injection=disabled` label, `linkerd.io/inject: disabled` annotation), lowered to low. Mesh and Kubernetes control-plane namespaces are not reported.",
    why: "A pod without a proxy is outside the mesh: its traffic is plaintext, it has no identity, and no mesh authorization protects it; under PERMISSIVE mTLS it can still call meshed services anonymously.",
    example: "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: batch, namespace: shop}\nspec:\n  selector: {matchLabels: {app: batch}}\n  template:\n    metadata:\n      labels: {app: batch, sidecar.istio.io/inject: \"false\"}\n    spec:\n      containers: [{name: batch, image: batch:1}]\n",
    fix: "Remove the opt-out so the proxy is injected; if the workload truly cannot run one, isolate it with a NetworkPolicy and keep STRICT mTLS on the services it must not reach.",
    fixed_example: "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: batch, namespace: shop}\nspec:\n  selector: {matchLabels: {app: batch}}\n  template:\n    metadata:\n      labels: {app: batch}\n    spec:\n      containers: [{name: batch, image: batch:1}]\n",
    references: &[
        "https://istio.io/latest/docs/setup/additional-setup/sidecar-injection/#controlling-the-injection-policy",
        "https://linkerd.io/2/features/proxy-injection/",
    ],
};

pub(crate) fn run(m: &Mesh<'_>, out: &mut Vec<Finding>) {
    for ns in m.namespaces.values() {
        if is_control_plane_namespace(&ns.name) {
            continue;
        }
        let Some(o) = ns.object else { continue };
        if ns
            .labels
            .get(ISTIO_INJECTION)
            .is_some_and(|v| v == "disabled")
        {
            let pos = meta_node(o, "labels", ISTIO_INJECTION).map(|n| n.pos);
            out.push(with_severity(
                on_namespace(
                    &META,
                    m,
                    ns,
                    pos,
                    "metadata.labels",
                    format!(
                        "namespace {} disables Istio sidecar injection (istio-injection=disabled): its pods are outside the mesh",
                        ns.name
                    ),
                    "istio",
                ),
                Severity::Low,
            ));
        }
        if annotation(o, LINKERD_INJECT) == Some("disabled") {
            let pos = meta_node(o, "annotations", LINKERD_INJECT).map(|n| n.pos);
            out.push(with_severity(
                on_namespace(
                    &META,
                    m,
                    ns,
                    pos,
                    "metadata.annotations",
                    format!(
                        "namespace {} disables Linkerd proxy injection (linkerd.io/inject: disabled): its pods are outside the mesh",
                        ns.name
                    ),
                    "linkerd",
                ),
                Severity::Low,
            ));
        }
    }
    for (w, mem) in &m.workloads {
        if mem.mesh.is_some() || w.host_network {
            continue;
        }
        let Some(mesh) = m.namespaces.get(&*w.namespace).and_then(namespace_injects) else {
            continue;
        };
        let Some((node, field)) = pod_opt_out(w) else {
            continue;
        };
        out.push(on_workload(
            &META,
            m,
            w,
            Some(node.pos),
            &field,
            format!(
                "{} opts out of {} injection ({}) although namespace {} is meshed: it runs without a proxy",
                w.display(),
                mesh.as_str(),
                mem.reason,
                w.namespace
            ),
            "pod",
        ));
    }
}
