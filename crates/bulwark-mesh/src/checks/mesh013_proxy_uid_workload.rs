//! MESH013: application containers running as the proxy's UID.

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::on_workload;
use crate::{ISTIO_PROXY_UID, LINKERD_PROXY_UID, Mesh, MeshKind, containers_running_as};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "MESH013",
    name: "mesh-proxy-uid-workload",
    title: "Application container runs as the mesh proxy's UID",
    severity: Severity::High,
    category: Category::Mesh,
    standards: &[],
    what: "Reports containers of Istio-injected workloads that run as UID 1337 and of Linkerd-injected workloads that run as UID 2102 (`runAsUser` of the container, else of the pod). The proxy's own container is not reported.",
    why: "The mesh's iptables rules exempt the proxy's UID so the proxy's traffic is not looped back to itself. Any other process running as that UID is exempt too: its outbound connections skip the proxy entirely, without mTLS, identity or egress policy.",
    example: "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      securityContext: {runAsUser: 1337}\n      containers: [{name: api, image: api:1}]\n",
    fix: "Run the application under any other non-root UID.",
    fixed_example: "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      securityContext: {runAsUser: 1000}\n      containers: [{name: api, image: api:1}]\n",
    references: &[
        "https://istio.io/latest/docs/ops/deployment/application-requirements/",
        "https://linkerd.io/2/reference/iptables/",
    ],
};

pub(crate) fn run(m: &Mesh<'_>, out: &mut Vec<Finding>) {
    for (w, mem) in &m.workloads {
        let uid = match mem.mesh {
            Some(MeshKind::Istio) => ISTIO_PROXY_UID,
            Some(MeshKind::Linkerd) => LINKERD_PROXY_UID,
            None => continue,
        };
        let (hits, _) = containers_running_as(w, uid);
        for (name, node, field) in hits {
            let mut f = on_workload(
                &META,
                m,
                w,
                Some(node.pos),
                &field,
                format!(
                    "container {name} of {} runs as UID {uid}, the {} proxy's UID: its outbound traffic bypasses the proxy",
                    w.display(),
                    mem.mesh.map_or("", MeshKind::as_str)
                ),
                name,
            );
            if let Some(r) = f.resource.as_mut() {
                r.container = Some(name.into());
            }
            out.push(f);
        }
    }
}
