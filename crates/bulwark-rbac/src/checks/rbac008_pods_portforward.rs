//! RBAC008: Subject can port-forward to pods.

use bulwark_model::{AnalysisCheck, Category, Severity};

use super::{Probe, Risk};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "RBAC008",
    name: "pods-portforward",
    title: "Subject can port-forward to pods",
    severity: Severity::Medium,
    category: Category::Rbac,
    standards: &[],
    what: "Reports every subject granted `create` on `pods/portforward`. Medium cluster-wide, low in one namespace.",
    why: "Port forwarding tunnels through the API server to any port of a pod, past NetworkPolicies and service meshes: admin interfaces and databases that only listen for in-cluster traffic become reachable.",
    example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [pods/portforward], verbs: [create]}\n",
    fix: "Remove `pods/portforward` from roles that workloads run with.",
    fixed_example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [pods], verbs: [get]}\n",
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks",
    ],
};

pub(crate) static RISK: Risk = Risk {
    meta: &META,
    all_of: &[&[Probe::new(&["create"], "", &["pods/portforward"])]],
    cluster: "open tunnels to every pod of the cluster past network policies (pods/portforward)",
    namespaced: "open tunnels to every pod of namespace {ns} past network policies (pods/portforward)",
    lower_unless_present: None,
    namespace_severity: Severity::Low,
};
