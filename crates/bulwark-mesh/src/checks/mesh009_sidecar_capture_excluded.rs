//! MESH009: annotations that let traffic bypass the mesh proxy.

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::{on_namespace, on_workload, with_severity};
use crate::util::{PortSet, annotation, covers_everything, meta_node, pod_annotation_node};
use crate::{Mesh, MeshKind};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "MESH009",
    name: "mesh-sidecar-capture-excluded",
    title: "Traffic bypasses the mesh proxy",
    severity: Severity::Medium,
    category: Category::Mesh,
    standards: &[],
    what: "Reports meshed workloads whose annotations take traffic away from the proxy. Istio: `traffic.sidecar.istio.io/excludeInboundPorts`, `includeInboundPorts` that leaves out declared container ports, `excludeOutboundPorts` (medium); `excludeOutboundIPRanges` covering every address (`*`, `0.0.0.0/0`) or `includeOutboundIPRanges: \"\"` (raised to high); other IP ranges (lowered to low, since they usually name external addresses). Linkerd: `config.linkerd.io/skip-inbound-ports` and `skip-outbound-ports` on the pod template or the namespace (medium).",
    why: "Traffic that skips the proxy is neither encrypted nor authenticated, and no mesh authorization applies to it: an excluded inbound port is reachable in plaintext by anyone who can reach the pod, whatever PeerAuthentication or AuthorizationPolicy say.",
    example: "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata:\n      labels: {app: api}\n      annotations: {traffic.sidecar.istio.io/excludeInboundPorts: \"8080\"}\n    spec:\n      containers: [{name: api, image: api:1, ports: [{containerPort: 8080}]}]\n",
    fix: "Remove the exclusion so the proxy handles the traffic; for a port that must stay outside (a metrics port scraped by an unmeshed Prometheus), restrict who can reach it with a NetworkPolicy.",
    fixed_example: "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata:\n      labels: {app: api}\n    spec:\n      containers: [{name: api, image: api:1, ports: [{containerPort: 8080}]}]\n",
    references: &[
        "https://istio.io/latest/docs/reference/config/annotations/",
        "https://linkerd.io/2/features/protocol-detection/",
    ],
};

const ISTIO: &str = "traffic.sidecar.istio.io/";
const LINKERD_SKIP: [&str; 2] = [
    "config.linkerd.io/skip-inbound-ports",
    "config.linkerd.io/skip-outbound-ports",
];

pub(crate) fn run(m: &Mesh<'_>, out: &mut Vec<Finding>) {
    for (w, mem) in &m.workloads {
        let field = format!("{}.annotations", w.pod.metadata_path);
        let mut emit = |key: &str, message: String, sev: Severity| {
            let pos = pod_annotation_node(w, key).map(|n| n.pos);
            out.push(with_severity(
                on_workload(&META, m, w, pos, &field, message, key),
                sev,
            ));
        };
        match mem.mesh {
            Some(MeshKind::Istio) => {
                for (k, v) in w.pod.annotations() {
                    let Some(what) = k.strip_prefix(ISTIO) else {
                        continue;
                    };
                    let d = w.display();
                    match what {
                        "excludeInboundPorts" if !PortSet::parse(v).is_empty() => emit(
                            k,
                            format!(
                                "inbound ports {v} of {d} bypass the sidecar: plaintext, unauthenticated and outside every AuthorizationPolicy"
                            ),
                            Severity::Medium,
                        ),
                        "includeInboundPorts" => {
                            let set = PortSet::parse(v);
                            if set.is_empty() {
                                emit(
                                    k,
                                    format!(
                                        "{d} captures no inbound port (includeInboundPorts is empty): all its inbound traffic bypasses the sidecar"
                                    ),
                                    Severity::High,
                                );
                            } else {
                                let left: Vec<String> = w
                                    .ports
                                    .iter()
                                    .filter(|p| !set.contains(p.port))
                                    .map(|p| p.port.to_string())
                                    .collect();
                                if !left.is_empty() {
                                    emit(
                                        k,
                                        format!(
                                            "declared ports {} of {d} are not in includeInboundPorts and bypass the sidecar",
                                            left.join(",")
                                        ),
                                        Severity::Medium,
                                    );
                                }
                            }
                        }
                        "excludeOutboundPorts" if !PortSet::parse(v).is_empty() => emit(
                            k,
                            format!(
                                "outbound traffic of {d} to ports {v} bypasses the sidecar: it leaves without mTLS or mesh identity"
                            ),
                            Severity::Medium,
                        ),
                        "excludeOutboundIPRanges" => {
                            let ranges: Vec<&str> = v
                                .split(',')
                                .map(str::trim)
                                .filter(|r| !r.is_empty())
                                .collect();
                            if ranges.iter().any(|r| covers_everything(r)) {
                                emit(
                                    k,
                                    format!(
                                        "{d} excludes every outbound address ({v}) from the sidecar: none of its outbound traffic is in the mesh"
                                    ),
                                    Severity::High,
                                );
                            } else if !ranges.is_empty() {
                                emit(
                                    k,
                                    format!("outbound traffic of {d} to {v} bypasses the sidecar"),
                                    Severity::Low,
                                );
                            }
                        }
                        "includeOutboundIPRanges" => {
                            let ranges: Vec<&str> = v
                                .split(',')
                                .map(str::trim)
                                .filter(|r| !r.is_empty())
                                .collect();
                            if ranges.is_empty() {
                                emit(
                                    k,
                                    format!(
                                        "{d} captures no outbound address (includeOutboundIPRanges is empty): none of its outbound traffic is in the mesh"
                                    ),
                                    Severity::High,
                                );
                            } else if !ranges.iter().any(|r| covers_everything(r)) {
                                emit(
                                    k,
                                    format!(
                                        "outbound traffic of {d} outside {v} bypasses the sidecar"
                                    ),
                                    Severity::Low,
                                );
                            }
                        }
                        _ => {}
                    }
                }
            }
            Some(MeshKind::Linkerd) => {
                for key in LINKERD_SKIP {
                    if let Some(v) = crate::util::pod_annotation(w, key)
                        && !PortSet::parse(v).is_empty()
                    {
                        let dir = if key.contains("inbound") {
                            "inbound"
                        } else {
                            "outbound"
                        };
                        emit(
                            key,
                            format!(
                                "{dir} ports {v} of {} skip the Linkerd proxy: plaintext, unauthenticated and outside every policy",
                                w.display()
                            ),
                            Severity::Medium,
                        );
                    }
                }
            }
            None => {}
        }
    }
    for ns in m.namespaces.values() {
        let Some(o) = ns.object else { continue };
        let meshed = m
            .workloads
            .iter()
            .any(|(w, mem)| *w.namespace == *ns.name && mem.mesh == Some(MeshKind::Linkerd));
        if !meshed {
            continue;
        }
        for key in LINKERD_SKIP {
            if let Some(v) = annotation(o, key).filter(|v| !PortSet::parse(v).is_empty()) {
                let dir = if key.contains("inbound") {
                    "inbound"
                } else {
                    "outbound"
                };
                out.push(on_namespace(
                    &META,
                    m,
                    ns,
                    meta_node(o, "annotations", key).map(|n| n.pos),
                    "metadata.annotations",
                    format!(
                        "{dir} ports {v} of every pod in namespace {} skip the Linkerd proxy",
                        ns.name
                    ),
                    key,
                ));
            }
        }
    }
}
