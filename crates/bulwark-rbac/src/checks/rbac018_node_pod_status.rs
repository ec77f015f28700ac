//! RBAC018: Subject can change node or pod status.

use bulwark_model::{AnalysisCheck, Category, Severity};

use super::{Probe, Risk};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "RBAC018",
    name: "node-pod-status-write",
    title: "Subject can change node or pod status",
    severity: Severity::Medium,
    category: Category::Rbac,
    standards: &[],
    what: "Reports every subject granted `update` or `patch` on `nodes/status` (cluster-scoped) or `pods/status`. Medium cluster-wide, low in one namespace (pods only).",
    why: "Node status carries the node's addresses, conditions and capacity: changing it redirects the API server's kubelet connections or steers scheduling. Pod status carries IPs and readiness: changing it sends Service traffic elsewhere.",
    example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [nodes/status], verbs: [patch]}\n",
    fix: "Leave status to the kubelet and controllers that own it.",
    fixed_example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [nodes], verbs: [get]}\n",
    references: &["https://kubernetes.io/docs/reference/access-authn-authz/node/"],
};

pub(crate) static RISK: Risk = Risk {
    meta: &META,
    all_of: &[&[Probe::new(
        &["update", "patch"],
        "",
        &["nodes/status", "pods/status"],
    )]],
    cluster: "change the status of nodes or pods (nodes/status, pods/status)",
    namespaced: "change the status of pods in namespace {ns} (pods/status)",
    lower_unless_present: None,
    namespace_severity: Severity::Low,
};
