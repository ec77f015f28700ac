//! MESH004: meshed Istio workloads without any AuthorizationPolicy.

use std::collections::BTreeMap;

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::{is_istio_infrastructure, list, on_namespace, on_workload};
use crate::istio::Action;
use crate::{Mesh, MeshKind};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "MESH004",
    name: "istio-no-authorization-policy",
    title: "Meshed workloads have no AuthorizationPolicy: everything is allowed",
    severity: Severity::Medium,
    category: Category::Mesh,
    standards: &[],
    what: "Reports Istio-injected workloads to which no ALLOW, DENY or CUSTOM AuthorizationPolicy applies (none in their namespace selects them, none in the root namespace `istio-system` covers them). One finding per namespace when none of its meshed workloads is covered; otherwise one per uncovered workload. Gateways and `istio-system` are left out.",
    why: "Without an AuthorizationPolicy the sidecar allows every request from every source: mTLS proves who the caller is, but nothing uses it to refuse anyone, so one compromised pod can call every service.",
    example: "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers: [{name: api, image: api:1}]\n",
    fix: "Start from deny-by-default: an ALLOW policy with no rules (`spec: {}`) in the namespace or mesh-wide in `istio-system`, then one ALLOW policy per workload naming the principals that may call it.",
    fixed_example: "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: allow-nothing, namespace: shop}\nspec: {}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers: [{name: api, image: api:1}]\n",
    references: &[
        "https://istio.io/latest/docs/reference/config/security/authorization-policy/",
        "https://istio.io/latest/docs/ops/best-practices/security/#use-default-deny-patterns",
    ],
};

pub(crate) fn run(m: &Mesh<'_>, out: &mut Vec<Finding>) {
    // namespace -> (covered count, uncovered workloads)
    let mut by_ns: BTreeMap<&str, (usize, Vec<usize>)> = BTreeMap::new();
    for (i, (w, mem)) in m.workloads.iter().enumerate() {
        if mem.mesh != Some(MeshKind::Istio) || is_istio_infrastructure(w) {
            continue;
        }
        let covered = m.istio.policies_for(w).any(|p| p.action != Action::Audit);
        let e = by_ns.entry(&w.namespace).or_default();
        if covered {
            e.0 += 1;
        } else {
            e.1.push(i);
        }
    }
    for (ns, (covered, uncovered)) in by_ns {
        if uncovered.is_empty() {
            continue;
        }
        if covered == 0 {
            let Some(n) = m.namespaces.get(ns) else {
                continue;
            };
            let names: Vec<String> = uncovered
                .iter()
                .map(|&i| m.workloads[i].0.display())
                .collect();
            out.push(on_namespace(
                &META,
                m,
                n,
                None,
                "metadata",
                format!(
                    "no AuthorizationPolicy applies in namespace {ns}: its sidecars allow every request to {}",
                    list(&names)
                ),
                "no-authz",
            ));
        } else {
            for i in uncovered {
                let w = &m.workloads[i].0;
                out.push(on_workload(
                    &META,
                    m,
                    w,
                    w.pod.metadata.map(|n| n.pos),
                    w.pod.metadata_path,
                    format!(
                        "no AuthorizationPolicy selects {}: its sidecar allows every request",
                        w.display()
                    ),
                    "no-authz",
                ));
            }
        }
    }
}
