//! RBAC013: Subject can create service account tokens.

use bulwark_model::{AnalysisCheck, Category, Severity};

use super::{Probe, Risk};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "RBAC013",
    name: "serviceaccount-token-create",
    title: "Subject can create service account tokens",
    severity: Severity::High,
    category: Category::Rbac,
    standards: &[],
    what: "Reports every subject granted `create` on `serviceaccounts/token` without a `resourceNames` restriction. High cluster-wide, medium in one namespace.",
    why: "The TokenRequest API issues a token for any service account in scope: the subject gets the permissions of the most privileged one, for as long as the token lives.",
    example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [serviceaccounts/token], verbs: [create]}\n",
    fix: "Remove the permission, or restrict it with `resourceNames` to the service accounts the subject must mint tokens for, in their own namespace.",
    fixed_example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [serviceaccounts], verbs: [get]}\n",
    references: &[
        "https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-request-v1/",
    ],
};

pub(crate) static RISK: Risk = Risk {
    meta: &META,
    all_of: &[&[Probe::new(&["create"], "", &["serviceaccounts/token"])]],
    cluster: "issue tokens for every service account of the cluster (serviceaccounts/token)",
    namespaced: "issue tokens for every service account of namespace {ns} (serviceaccounts/token)",
    lower_unless_present: None,
    namespace_severity: Severity::Medium,
};
