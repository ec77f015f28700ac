//! RBAC003: a bound role has a rule with a wildcard verb or resource.

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::Cx;
use crate::model::RoleKind;

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "RBAC003",
    name: "wildcard-rule",
    title: "Bound role uses a wildcard verb or resource",
    severity: Severity::High,
    category: Category::Rbac,
    standards: &["cis-k8s/5.1.3"],
    what: "Reports every rule with `*` in `verbs` or `resources` (or `*` as a non-resource URL) in a role that some binding grants, once per rule, naming the bindings. High when a ClusterRoleBinding grants it, medium when only RoleBindings do. Roles that allow everything are RBAC001's and are not reported again; built-in roles are not reported; nor are `*` verbs on resources whose API groups are all defined by CustomResourceDefinitions in the manifests (an operator managing its own resources).",
    why: "A wildcard grants more than anyone reviewed: every verb includes `escalate`, `bind`, `impersonate` and `delete`; every resource includes Secrets, subresources such as `pods/exec`, and resources that custom resource definitions or new Kubernetes versions add later.",
    example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: config-manager}\nrules:\n- {apiGroups: [''], resources: [configmaps], verbs: ['*']}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: config-manager}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: config-manager}\nsubjects:\n- {kind: ServiceAccount, name: config, namespace: ops}\n",
    fix: "List the verbs and resources the subject uses (`kubectl auth can-i --list` or the audit log show which).",
    fixed_example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: config-manager}\nrules:\n- {apiGroups: [''], resources: [configmaps], verbs: [get, list, watch, update]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: config-manager}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: config-manager}\nsubjects:\n- {kind: ServiceAccount, name: config, namespace: ops}\n",
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#minimize-use-of-wildcards",
    ],
};

pub(crate) fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let rbac = &cx.rbac;
    let default_ns = cx.snapshot.default_namespace();
    // Bindings (not excluded, not already full admin) per effective rule.
    let mut users: std::collections::BTreeMap<(usize, usize), Vec<usize>> =
        std::collections::BTreeMap::new();
    for (b, binding) in rbac.bindings.iter().enumerate() {
        let Some(role) = rbac.resolved[b] else {
            continue;
        };
        if cx.full_admin[b] || binding.subjects.iter().all(|(_, s, _)| cx.excluded(b, s)) {
            continue;
        }
        for &rule in &rbac.effective[role] {
            users.entry(rule).or_default().push(b);
        }
    }
    for ((r, k), bindings) in users {
        let role = &rbac.roles[r];
        let Some(object) = role.object.map(|i| &cx.snapshot.objects()[i]) else {
            continue;
        };
        let policy = &role.rules[k];
        let star = |v: &[String]| v.iter().any(|s| s == "*");
        // `*` verbs on the custom resources of a CRD in the manifests: an operator managing
        // its own resources, left out (docs/rbac.md).
        let own_crds = !policy.api_groups.is_empty()
            && policy
                .api_groups
                .iter()
                .all(|g| rbac.crd_groups.contains(g));
        let what = if star(&policy.resources) && star(&policy.verbs) {
            "every verb on every resource"
        } else if star(&policy.verbs) && !policy.resources.is_empty() && !own_crds {
            "every verb (*)"
        } else if star(&policy.resources) {
            "every resource (*)"
        } else if star(&policy.non_resource_urls) {
            "every non-resource URL (*)"
        } else {
            continue;
        };
        let cluster_wide = bindings
            .iter()
            .any(|&b| rbac.bindings[b].namespace.is_none());
        let shown: Vec<String> = bindings
            .iter()
            .map(|&b| rbac.bindings[b].display())
            .collect();
        let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
        let scope = if role.kind == RoleKind::Role || !cluster_wide {
            "in the namespaces its bindings grant it"
        } else {
            "cluster-wide"
        };
        let message = format!(
            "{} rules[{k}] grants {what} ({}), {scope}; bound by {}.",
            role.display(),
            policy.describe(),
            super::list(&shown, 3).replace("more workloads", "more bindings")
        );
        let mut f = META.finding(
            message,
            Some(object.resource_ref(default_ns, None)),
            Some(object.location(policy.pos, Some(&format!("rules[{k}]")))),
            &format!("{}|{}|{k}", object.path, role.display()),
        );
        if !cluster_wide {
            f.severity = Severity::Medium;
        }
        out.push(f);
    }
}
