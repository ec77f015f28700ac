//! MESH003: meshed Istio workloads fall back to the PERMISSIVE default.

use std::collections::BTreeMap;

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::{is_istio_infrastructure, list, on_namespace};
use crate::{Mesh, MeshKind, MtlsLevel};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "MESH003",
    name: "istio-mtls-not-enforced",
    title: "Meshed workloads accept plaintext by Istio's default",
    severity: Severity::Medium,
    category: Category::Mesh,
    standards: &[],
    what: "Reports each namespace with Istio-injected workloads for which no PeerAuthentication sets a mode at any level (mesh-wide in `istio-system`, namespace-wide, or a workload selector), so Istio's default, PERMISSIVE, applies. Gateways and the `istio-system` namespace are left out. A mesh-wide policy that cannot be seen in the manifests (installed with the control plane) would change this: the message says so.",
    why: "Istio's default accepts plaintext as well as mTLS: any pod without a sidecar can reach these workloads anonymously, and identity-based authorization cannot apply to it.",
    example: "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers: [{name: api, image: api:1}]\n",
    fix: "Add a PeerAuthentication with `mtls.mode: STRICT`: mesh-wide (`default` in `istio-system`) or for the namespace.",
    fixed_example: "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: shop}\nspec:\n  mtls: {mode: STRICT}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers: [{name: api, image: api:1}]\n",
    references: &[
        "https://istio.io/latest/docs/concepts/security/#peer-authentication",
        "https://istio.io/latest/docs/ops/best-practices/security/#mutual-tls",
    ],
};

pub(crate) fn run(m: &Mesh<'_>, out: &mut Vec<Finding>) {
    let mut by_ns: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (w, mem) in &m.workloads {
        if mem.mesh != Some(MeshKind::Istio) || is_istio_infrastructure(w) {
            continue;
        }
        if m.istio.mtls(w, None).level == MtlsLevel::Default {
            by_ns.entry(&w.namespace).or_default().push(w.display());
        }
    }
    for (ns, names) in by_ns {
        let Some(n) = m.namespaces.get(ns) else {
            continue;
        };
        out.push(on_namespace(
            &META,
            m,
            n,
            None,
            "metadata",
            format!(
                "no PeerAuthentication sets an mTLS mode for {} in namespace {ns} (mesh-wide, namespace or workload): they accept plaintext under Istio's default, PERMISSIVE",
                list(&names)
            ),
            "default-permissive",
        ));
    }
}
