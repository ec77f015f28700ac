//! RBAC009: Subject can add ephemeral containers to pods.

use bulwark_model::{AnalysisCheck, Category, Severity};

use super::{Probe, Risk};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "RBAC009",
    name: "ephemeral-containers",
    title: "Subject can add ephemeral containers to pods",
    severity: Severity::High,
    category: Category::Rbac,
    standards: &[],
    what: "Reports every subject granted `update` or `patch` on `pods/ephemeralcontainers`. High cluster-wide, medium in one namespace.",
    why: "An ephemeral (debug) container joins a running pod: it shares the pod's network and, with a target, its process namespace, and it can mount the pod's volumes and service account token: the same as exec, with an image of the attacker's choice.",
    example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [pods/ephemeralcontainers], verbs: [patch]}\n",
    fix: "Grant `pods/ephemeralcontainers` to people debugging one namespace, not to workloads.",
    fixed_example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [pods], verbs: [get]}\n",
    references: &["https://kubernetes.io/docs/concepts/workloads/pods/ephemeral-containers/"],
};

pub(crate) static RISK: Risk = Risk {
    meta: &META,
    all_of: &[&[Probe::new(
        &["update", "patch"],
        "",
        &["pods/ephemeralcontainers"],
    )]],
    cluster: "add containers to every running pod of the cluster (pods/ephemeralcontainers)",
    namespaced: "add containers to every running pod of namespace {ns} (pods/ephemeralcontainers)",
    lower_unless_present: None,
    namespace_severity: Severity::Medium,
};
