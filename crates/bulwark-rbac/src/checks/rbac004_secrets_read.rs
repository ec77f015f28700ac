//! RBAC004: Subject can read Secrets.

use bulwark_model::{AnalysisCheck, Category, Severity};

use super::{Probe, Risk};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "RBAC004",
    name: "secrets-read",
    title: "Subject can read Secrets",
    severity: Severity::High,
    category: Category::Rbac,
    standards: &["cis-k8s/5.1.2"],
    what: "Reports every subject granted `get`, `list` or `watch` on `secrets` (core group) without a `resourceNames` restriction, naming the workloads that run as it. High through a ClusterRoleBinding (every Secret in the cluster), medium through a RoleBinding (the Secrets of one namespace).",
    why: "Secrets hold database passwords, API keys, TLS keys and, in older clusters, service account tokens: reading them is usually the shortest path from one compromised pod to other systems and to more privileged service accounts. `list` and `watch` return every Secret's data, not only names.",
    example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [secrets], verbs: [get, list, watch]}\n",
    fix: "Give the workload only the Secrets it needs: mount them as volumes or environment variables, or restrict the rule with `resourceNames` in a Role of its own namespace.",
    fixed_example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [secrets], resourceNames: [api-db], verbs: [get]}\n",
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets",
    ],
};

pub(crate) static RISK: Risk = Risk {
    meta: &META,
    all_of: &[&[Probe::new(&["get", "list", "watch"], "", &["secrets"])]],
    cluster: "read every Secret in the cluster",
    namespaced: "read every Secret in namespace {ns}",
    lower_unless_present: None,
    namespace_severity: Severity::Medium,
};
