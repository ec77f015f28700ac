//! RBAC020: Subject can change the CoreDNS configuration.

use bulwark_model::{AnalysisCheck, Category, Severity};

use super::{Probe, Risk};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "RBAC020",
    name: "coredns-write",
    title: "Subject can change the CoreDNS configuration",
    severity: Severity::High,
    category: Category::Rbac,
    standards: &[],
    what: "Reports every subject granted `update`, `patch` or `delete` on the ConfigMap `kube-system/coredns` (by name or on every ConfigMap), through a ClusterRoleBinding or a RoleBinding in kube-system.",
    why: "The Corefile decides what every name in the cluster resolves to: rewriting it sends any Service's or external host's traffic to an attacker.",
    example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [configmaps], verbs: [patch]}\n",
    fix: "Manage the CoreDNS configuration from the cluster's infrastructure code only.",
    fixed_example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [configmaps], verbs: [get]}\n",
    references: &["https://coredns.io/plugins/rewrite/"],
};

pub(crate) static RISK: Risk = Risk {
    meta: &META,
    all_of: &[&[
        Probe::new(&["update", "patch", "delete"], "", &["configmaps"])
            .object("kube-system", "coredns"),
    ]],
    cluster: "rewrite the cluster DNS configuration (ConfigMap kube-system/coredns)",
    namespaced: "rewrite the cluster DNS configuration (ConfigMap kube-system/coredns)",
    lower_unless_present: None,
    namespace_severity: Severity::High,
};
