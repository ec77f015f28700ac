//! MESH007: a mesh policy names a namespace the manifests do not have.

use std::collections::BTreeSet;

use bulwark_k8s::{Object, Pos};
use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::{at, is_control_plane_namespace};
use crate::Mesh;
use crate::istio::Attr;

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "MESH007",
    name: "mesh-reference-missing-namespace",
    title: "Mesh policy refers to a namespace that does not exist",
    severity: Severity::Low,
    category: Category::Mesh,
    standards: &[],
    what: "Reports namespaces named by mesh policies that no object of the manifests declares or lives in: Istio AuthorizationPolicy `source.namespaces`/`notNamespaces`, the namespace part of `principals` (`cluster.local/ns/<ns>/sa/<sa>`) and `when` conditions on `source.namespace`/`source.principal`; Linkerd MeshTLSAuthentication `identities` and `identityRefs`, AuthorizationPolicy `requiredAuthenticationRefs` and ServerAuthorization `serviceAccounts`. Wildcards and the mesh and Kubernetes system namespaces (`istio-system`, `linkerd`, `kube-system`, …) are not reported.",
    why: "A rule naming a missing namespace never matches today, so the callers it was written for are refused or left to a broader rule; and whoever later creates a namespace with that name (anyone allowed to create namespaces) gets the access it grants.",
    example: "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: from-front, namespace: shop}\nspec:\n  rules:\n  - from: [{source: {namespaces: [frontend]}}]\n",
    fix: "Correct the namespace name, or remove the rule if that namespace is gone.",
    fixed_example: "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: frontend}\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: from-front, namespace: shop}\nspec:\n  rules:\n  - from: [{source: {namespaces: [frontend]}}]\n",
    references: &["https://istio.io/latest/docs/reference/config/security/authorization-policy/"],
};

/// The namespace of an Istio principal (`<td>/ns/<ns>/sa/<sa>`), if literal.
fn principal_namespace(p: &str) -> Option<&str> {
    let p = p.strip_prefix("spiffe://").unwrap_or(p);
    let rest = p.split_once("/ns/")?.1;
    let ns = rest.split('/').next()?;
    (!ns.is_empty() && !ns.contains('*')).then_some(ns)
}

/// The namespace of a Linkerd identity (`<sa>.<ns>.serviceaccount.identity.…`), if literal.
fn identity_namespace(id: &str) -> Option<&str> {
    let mut parts = id.split('.');
    let sa = parts.next()?;
    let ns = parts.next()?;
    (parts.next() == Some("serviceaccount")
        && !sa.is_empty()
        && !ns.contains('*')
        && !ns.is_empty())
    .then_some(ns)
}

pub(crate) fn run(m: &Mesh<'_>, out: &mut Vec<Finding>) {
    let missing = |ns: &str| !m.namespaces.contains_key(ns) && !is_control_plane_namespace(ns);
    let mut emit = |o: &Object, pos: Pos, field: String, what: &str, names: BTreeSet<String>| {
        for ns in names.into_iter().filter(|n| missing(n)) {
            out.push(at(
                &META,
                m,
                o,
                pos,
                &field,
                format!(
                    "{} {}/{} refers to namespace {ns} ({what}), which is not in the manifests",
                    o.kind,
                    o.effective_namespace(m.snapshot.default_namespace())
                        .as_deref()
                        .unwrap_or(""),
                    o.name
                ),
                &ns,
            ));
        }
    };
    for p in &m.istio.authz {
        for (i, r) in p.rules.iter().enumerate() {
            let mut names = BTreeSet::new();
            for c in r.from.iter().flatten().chain(&r.when) {
                for v in &c.values {
                    match c.attr {
                        Attr::Namespace if !v.contains('*') => {
                            names.insert(v.clone());
                        }
                        Attr::Principal => {
                            if let Some(ns) = principal_namespace(v) {
                                names.insert(ns.to_string());
                            }
                        }
                        _ => {}
                    }
                }
            }
            emit(
                p.object,
                r.node.pos,
                format!("spec.rules[{i}]"),
                "a source of a rule",
                names,
            );
        }
    }
    for t in &m.linkerd.mesh_tls {
        let mut names: BTreeSet<String> = t
            .identities
            .iter()
            .filter_map(|i| identity_namespace(i).map(str::to_string))
            .collect();
        for (kind, name, ns, _) in &t.identity_refs {
            if kind == "Namespace" {
                if let Some(n) = name {
                    names.insert(n.clone());
                }
            } else {
                names.insert(ns.clone());
            }
        }
        let pos = t.object.root.get("spec").map_or(t.object.pos(), |n| n.pos);
        emit(
            t.object,
            pos,
            "spec".into(),
            "an authenticated identity",
            names,
        );
    }
    for p in &m.linkerd.authz {
        for (i, (r, node)) in p.refs.iter().enumerate() {
            let Some(ns) = &r.namespace else { continue };
            emit(
                p.object,
                node.pos,
                format!("spec.requiredAuthenticationRefs[{i}]"),
                "an authentication reference",
                BTreeSet::from([ns.clone()]),
            );
        }
    }
    for a in &m.linkerd.server_authz {
        let names = a
            .mesh_tls
            .iter()
            .flat_map(|t| {
                t.identities
                    .iter()
                    .filter_map(|i| identity_namespace(i).map(str::to_string))
                    .chain(t.service_accounts.iter().map(|(_, ns)| ns.clone()))
            })
            .collect();
        let pos = a.object.root.get("spec").map_or(a.object.pos(), |n| n.pos);
        emit(
            a.object,
            pos,
            "spec.client".into(),
            "an authorized client",
            names,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_read_from_principals_and_identities() {
        assert_eq!(
            principal_namespace("cluster.local/ns/shop/sa/web"),
            Some("shop")
        );
        assert_eq!(
            principal_namespace("spiffe://cluster.local/ns/a/sa/b"),
            Some("a")
        );
        assert_eq!(principal_namespace("cluster.local/ns/*/sa/web"), None);
        assert_eq!(principal_namespace("*"), None);
        assert_eq!(
            identity_namespace("web.shop.serviceaccount.identity.linkerd.cluster.local"),
            Some("shop")
        );
        assert_eq!(
            identity_namespace("*.shop.serviceaccount.identity.linkerd.cluster.local"),
            Some("shop")
        );
        assert_eq!(identity_namespace("*"), None);
    }
}
