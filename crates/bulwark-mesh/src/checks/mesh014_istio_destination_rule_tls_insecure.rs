//! MESH014: a DestinationRule turns mesh mTLS off for an in-mesh service.

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::{at, with_severity};
use crate::istio::{DestRule, TlsMode};
use crate::{Mesh, MeshKind};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "MESH014",
    name: "istio-destination-rule-tls-insecure",
    title: "DestinationRule disables mesh mTLS for an in-mesh service",
    severity: Severity::High,
    category: Category::Mesh,
    standards: &[],
    what: "Reports DestinationRules (`trafficPolicy.tls` or a `portLevelSettings[].tls`) for in-cluster hosts whose mode is DISABLE (high), or SIMPLE/MUTUAL without `caCertificates`/`credentialName` or with `insecureSkipVerify: true` (lowered to medium). A host is in the mesh when it names a Service that selects an Istio-injected workload; a host that names no Service of the manifests counts when the manifests have Istio-injected workloads. Hosts outside the cluster (ServiceEntry names) are not reported.",
    why: "Client sidecars follow the DestinationRule: DISABLE sends plaintext to a service that could have had mTLS (and, under STRICT, breaks it), and SIMPLE replaces the mesh's mutual, identity-bearing TLS with one-way TLS that verifies nothing without a CA, so the server loses the caller's identity and a man in the middle goes unnoticed.",
    example: "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: api, namespace: shop}\nspec:\n  host: api.shop.svc.cluster.local\n  trafficPolicy:\n    tls: {mode: DISABLE}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {app: api}\n  ports: [{port: 80, targetPort: 8080}]\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers: [{name: api, image: api:1, ports: [{containerPort: 8080}]}]\n",
    fix: "Use `tls.mode: ISTIO_MUTUAL` (or remove the `tls` block and let auto mTLS decide); for TLS the application terminates itself, set `caCertificates` (or `credentialName`) and never `insecureSkipVerify`.",
    fixed_example: "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: api, namespace: shop}\nspec:\n  host: api.shop.svc.cluster.local\n  trafficPolicy:\n    tls: {mode: ISTIO_MUTUAL}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {app: api}\n  ports: [{port: 80, targetPort: 8080}]\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers: [{name: api, image: api:1, ports: [{containerPort: 8080}]}]\n",
    references: &[
        "https://istio.io/latest/docs/reference/config/networking/destination-rule/#ClientTLSSettings",
        "https://istio.io/latest/docs/ops/configuration/traffic-management/tls-configuration/",
    ],
};

/// Whether the rule's host reaches an Istio-injected workload.
fn in_mesh(m: &Mesh<'_>, d: &DestRule<'_>) -> bool {
    if !d.in_cluster_host() {
        return false;
    }
    let istio = |w: &bulwark_k8s::Workload<'_>| m.membership(w).mesh == Some(MeshKind::Istio);
    let services: Vec<_> = m
        .services
        .values()
        .flatten()
        .filter(|s| d.specificity(&s.fqdn()).is_some())
        .collect();
    if services.is_empty() {
        return m
            .workloads
            .iter()
            .any(|(_, mem)| mem.mesh == Some(MeshKind::Istio));
    }
    services
        .iter()
        .any(|s| m.workloads.iter().any(|(w, _)| s.selects(w) && istio(w)))
}

pub(crate) fn run(m: &Mesh<'_>, out: &mut Vec<Finding>) {
    for d in &m.istio.dest {
        if !in_mesh(m, d) {
            continue;
        }
        let all = d
            .tls
            .iter()
            .map(|t| (None, t))
            .chain(d.port_tls.iter().map(|(p, t)| (Some(*p), t)));
        for (port, t) in all {
            let on = port.map_or(String::new(), |p| format!(" on port {p}"));
            let (sev, what) = match t.mode {
                TlsMode::Disable => (
                    Severity::High,
                    "TLS mode DISABLE: client sidecars send plaintext".to_string(),
                ),
                TlsMode::Simple | TlsMode::Mutual if !t.verified || t.insecure_skip_verify => (
                    Severity::Medium,
                    format!(
                        "TLS mode {} {}: one-way TLS without mesh identity and without verifying the server",
                        if t.mode == TlsMode::Simple {
                            "SIMPLE"
                        } else {
                            "MUTUAL"
                        },
                        if t.insecure_skip_verify {
                            "with insecureSkipVerify"
                        } else {
                            "without caCertificates"
                        }
                    ),
                ),
                _ => continue,
            };
            out.push(with_severity(
                at(
                    &META,
                    m,
                    d.object,
                    t.node.pos,
                    &t.field,
                    format!(
                        "DestinationRule {} sets {what} to in-mesh host {}{on}",
                        d.id(),
                        d.host
                    ),
                    &t.field,
                ),
                sev,
            ));
        }
    }
}
