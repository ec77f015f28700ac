//! RBAC021: a binding grants a role that is not in the manifests.

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::Cx;
use crate::model::RoleKind;

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "RBAC021",
    name: "binding-to-missing-role",
    title: "Binding grants a role that is not defined",
    severity: Severity::Low,
    category: Category::Rbac,
    standards: &[],
    what: "Reports every binding whose `roleRef` names a Role or ClusterRole that is neither in the manifests nor one of the built-in roles Bulwark knows (docs/rbac.md). Names starting with `system:` are left out: they are the cluster's own roles. Reported once per binding.",
    why: "The binding grants nothing today, but whoever later creates a role with that name decides what its subjects can do. It is also a sign that the manifests are incomplete, so the RBAC analysis of its subjects is too.",
    example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: app-reader, namespace: shop}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: app-reader}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n",
    fix: "Add the role to the manifests next to its binding, or delete the binding.",
    fixed_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: app-reader, namespace: shop}\nrules:\n- {apiGroups: [''], resources: [configmaps], verbs: [get]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: app-reader, namespace: shop}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: app-reader}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n",
    references: &[
        "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#rolebinding-and-clusterrolebinding",
    ],
};

pub(crate) fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let default_ns = cx.snapshot.default_namespace();
    for (b, binding) in cx.rbac.bindings.iter().enumerate() {
        let Some(r) = &binding.role_ref else { continue };
        if cx.rbac.resolved[b].is_some() || r.name.starts_with("system:") {
            continue;
        }
        let role = match (r.kind, &binding.namespace) {
            (RoleKind::Role, Some(ns)) => format!("Role {ns}/{}", r.name),
            _ => format!("ClusterRole {}", r.name),
        };
        let subjects: Vec<String> = binding
            .subjects
            .iter()
            .map(|(_, s, _)| s.to_string())
            .collect();
        let subjects: Vec<&str> = subjects.iter().map(String::as_str).collect();
        let object = &cx.snapshot.objects()[binding.object];
        let pos = object.root.get("roleRef").map_or(object.pos(), |n| n.pos);
        let message = format!(
            "{} grants {role}, which is not in the manifests: whoever creates it decides what {} can do.",
            binding.display(),
            if subjects.is_empty() {
                "its subjects".to_string()
            } else {
                super::list(&subjects, 3).replace("more workloads", "more subjects")
            }
        );
        out.push(META.finding(
            message,
            Some(object.resource_ref(default_ns, None)),
            Some(object.location(pos, Some("roleRef"))),
            &format!("{}|{}", object.path, binding.display()),
        ));
    }
}
