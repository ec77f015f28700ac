//! RBAC010: Subject can bind or escalate roles.

use bulwark_model::{AnalysisCheck, Category, Severity};

use super::{Probe, Risk};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "RBAC010",
    name: "bind-escalate",
    title: "Subject can bind or escalate roles",
    severity: Severity::High,
    category: Category::Rbac,
    standards: &["cis-k8s/5.1.8"],
    what: "Reports every subject granted `bind` or `escalate` on `roles` or `clusterroles`. High cluster-wide, medium in one namespace (where it can still bind any ClusterRole, such as admin, through a RoleBinding).",
    why: "RBAC stops a subject from granting permissions it does not have, except through these verbs: `escalate` lets it write any rule into a role, `bind` lets it bind any role (cluster-admin included) to itself.",
    example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}\n",
    fix: "Remove `bind` and `escalate`; if a controller must bind roles, restrict `bind` with `resourceNames` to the roles it hands out.",
    fixed_example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [get, list]}\n",
    references: &[
        "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping",
    ],
};

pub(crate) static RISK: Risk = Risk {
    meta: &META,
    all_of: &[&[Probe::new(
        &["bind", "escalate"],
        "rbac.authorization.k8s.io",
        &["roles", "clusterroles"],
    )]],
    cluster: "grant any permission, cluster-admin included (bind or escalate on roles)",
    namespaced: "grant any permission in namespace {ns} (bind or escalate on roles)",
    lower_unless_present: None,
    namespace_severity: Severity::Medium,
};
