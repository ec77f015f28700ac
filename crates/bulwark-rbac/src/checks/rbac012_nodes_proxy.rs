//! RBAC012: Subject can reach the kubelet API through nodes/proxy.

use bulwark_model::{AnalysisCheck, Category, Severity};

use super::{Probe, Risk};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "RBAC012",
    name: "nodes-proxy",
    title: "Subject can reach the kubelet API through nodes/proxy",
    severity: Severity::High,
    category: Category::Rbac,
    standards: &[],
    what: "Reports every subject granted `get` or `create` on `nodes/proxy` (cluster-scoped: only a ClusterRoleBinding grants it).",
    why: "The kubelet API behind `nodes/proxy` runs commands in every container on the node (`/exec`, `/run`) and reads their logs, without the API server's audit of pod exec: `get` alone is enough over WebSockets.",
    example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [nodes/proxy], verbs: [get]}\n",
    fix: "Use `nodes/metrics`, `nodes/stats` or `nodes/log` for monitoring instead of `nodes/proxy`.",
    fixed_example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [nodes/metrics, nodes/stats], verbs: [get]}\n",
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#access-to-proxy-subresource-of-nodes",
    ],
};

pub(crate) static RISK: Risk = Risk {
    meta: &META,
    all_of: &[&[Probe::new(&["get", "create"], "", &["nodes/proxy"])]],
    cluster: "run commands in every container on every node through the kubelet (nodes/proxy)",
    namespaced: "run commands through the kubelet (nodes/proxy)",
    lower_unless_present: None,
    namespace_severity: Severity::High,
};
