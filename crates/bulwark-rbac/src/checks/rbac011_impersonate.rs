//! RBAC011: Subject can impersonate users, groups or service accounts.

use bulwark_model::{AnalysisCheck, Category, Severity};

use super::{Probe, Risk};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "RBAC011",
    name: "impersonate",
    title: "Subject can impersonate users, groups or service accounts",
    severity: Severity::Critical,
    category: Category::Rbac,
    standards: &[],
    what: "Reports every subject granted `impersonate` on `users`, `groups` or `uids` (cluster-scoped: only a ClusterRoleBinding grants them; critical) or on `serviceaccounts` (high cluster-wide, medium in one namespace).",
    why: "Impersonating a user or group means acting as them: `--as-group=system:masters` is cluster-admin. Impersonating a service account gives its permissions.",
    example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [users, groups], verbs: [impersonate]}\n",
    fix: "Remove `impersonate`; where a proxy needs it, restrict it with `resourceNames` to the identities it acts for.",
    fixed_example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [users, groups], verbs: [impersonate], resourceNames: [reporting]}\n",
    references: &[
        "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation",
    ],
};

pub(crate) static RISK: Risk = Risk {
    meta: &META,
    all_of: &[&[
        Probe::new(
            &["impersonate"],
            "",
            &["users", "groups", "serviceaccounts"],
        ),
        Probe::new(
            &["impersonate"],
            "authentication.k8s.io",
            &["uids", "userextras/scopes"],
        ),
    ]],
    cluster: "act as other users, groups or service accounts (impersonate), system:masters included when users or groups are allowed",
    namespaced: "act as any service account of namespace {ns} (impersonate)",
    lower_unless_present: None,
    namespace_severity: Severity::Medium,
};
