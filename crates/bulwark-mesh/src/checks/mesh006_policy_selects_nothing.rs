//! MESH006: a mesh policy that selects no workload, or targets an object that is not there.

use bulwark_k8s::LabelSelector;
use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::at;
use crate::Mesh;
use crate::istio::{ROOT_NAMESPACE, Scope};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "MESH006",
    name: "mesh-policy-selects-nothing",
    title: "Mesh policy selects no workload",
    severity: Severity::Low,
    category: Category::Mesh,
    standards: &[],
    what: "Reports Istio PeerAuthentication, AuthorizationPolicy and RequestAuthentication objects whose `selector` matches no workload of the manifests (in their namespace; in any namespace for AuthorizationPolicy and RequestAuthentication in `istio-system`), Linkerd Servers whose `podSelector` matches no workload in their namespace, and Linkerd AuthorizationPolicies whose `targetRef` names a Server, HTTPRoute or GRPCRoute that is not in the manifests. Nothing is reported when the manifests hold no workload at all (a policy-only repository).",
    why: "A policy that applies to nothing protects nothing: usually a label typo or a renamed workload, which leaves the intended workload with weaker defaults than its authors believe.",
    example: "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: api-allow, namespace: shop}\nspec:\n  selector: {matchLabels: {app: apii}}\n  rules:\n  - from: [{source: {principals: [cluster.local/ns/shop/sa/web]}}]\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers: [{name: api, image: api:1}]\n",
    fix: "Make the selector match the pod template labels of the workload it is meant for, or delete the policy.",
    fixed_example: "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: api-allow, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  rules:\n  - from: [{source: {principals: [cluster.local/ns/shop/sa/web]}}]\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers: [{name: api, image: api:1}]\n",
    references: &[
        "https://istio.io/latest/docs/reference/config/type/workload-selector/",
        "https://linkerd.io/2/reference/authorization-policy/",
    ],
};

pub(crate) fn run(m: &Mesh<'_>, out: &mut Vec<Finding>) {
    if m.workloads.is_empty() {
        return;
    }
    let any_match = |ns: &str, across: bool, s: &LabelSelector| {
        m.workloads
            .iter()
            .any(|(w, _)| (across || *w.namespace == *ns) && s.matches(&w.labels))
    };
    let mut report = |o, kind: &str, ns: &str, s: &LabelSelector, across: bool, field: &str| {
        if any_match(ns, across, s) {
            return;
        }
        let place = if across {
            "in any namespace".to_string()
        } else {
            format!("in namespace {ns}")
        };
        let o: &bulwark_k8s::Object = o;
        let pos = o.root.path(&["spec", field]).map_or(o.pos(), |n| n.pos);
        out.push(at(
            &META,
            m,
            o,
            pos,
            &format!("spec.{field}"),
            format!("{kind} {ns}/{} selects no workload {place} ({s})", o.name),
            "selector",
        ));
    };
    for pa in &m.istio.peer {
        if let Scope::Selector(s) = &pa.scope {
            report(
                pa.object,
                "PeerAuthentication",
                &pa.namespace,
                s,
                false,
                "selector",
            );
        }
    }
    for p in &m.istio.authz {
        if let Scope::Selector(s) = &p.scope {
            report(
                p.object,
                "AuthorizationPolicy",
                &p.namespace,
                s,
                p.namespace == ROOT_NAMESPACE,
                "selector",
            );
        }
    }
    for r in &m.istio.request {
        if let Scope::Selector(s) = &r.scope {
            report(
                r.object,
                "RequestAuthentication",
                &r.namespace,
                s,
                r.namespace == ROOT_NAMESPACE,
                "selector",
            );
        }
    }
    for s in &m.linkerd.servers {
        if let Some(sel) = &s.selector {
            report(s.object, "Server", &s.namespace, sel, false, "podSelector");
        }
    }
    for p in &m.linkerd.authz {
        let t = &p.target;
        let exists = match t.kind.as_str() {
            "Server" => m
                .linkerd
                .servers
                .iter()
                .any(|s| s.namespace == p.namespace && *s.object.name == t.name),
            "HTTPRoute" | "GRPCRoute" => m.snapshot.objects().iter().any(|o| {
                *o.kind == *t.kind
                    && *o.name == t.name
                    && o.effective_namespace(m.snapshot.default_namespace())
                        .as_deref()
                        == Some(p.namespace.as_str())
            }),
            _ => true,
        };
        if !exists {
            out.push(at(
                &META,
                m,
                p.object,
                p.target_node.map_or(p.object.pos(), |n| n.pos),
                "spec.targetRef",
                format!(
                    "AuthorizationPolicy {} targets {} {}/{}, which is not in the manifests",
                    p.id(),
                    t.kind,
                    p.namespace,
                    t.name
                ),
                "target",
            ));
        }
    }
}
