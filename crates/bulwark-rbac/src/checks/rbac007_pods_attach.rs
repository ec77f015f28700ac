//! RBAC007: Subject can attach to pods.

use bulwark_model::{AnalysisCheck, Category, Severity};

use super::{Probe, Risk};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "RBAC007",
    name: "pods-attach",
    title: "Subject can attach to pods",
    severity: Severity::High,
    category: Category::Rbac,
    standards: &[],
    what: "Reports every subject granted `create` on `pods/attach`. High cluster-wide, medium in one namespace.",
    why: "Attaching connects to a container's main process: its standard input is a shell for images that run one, and its output shows what the process prints, secrets included.",
    example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [pods/attach], verbs: [create]}\n",
    fix: "Remove `pods/attach` from roles that workloads run with; grant it to people per namespace only.",
    fixed_example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [pods/log], verbs: [get]}\n",
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks",
    ],
};

pub(crate) static RISK: Risk = Risk {
    meta: &META,
    all_of: &[&[Probe::new(&["create"], "", &["pods/attach"])]],
    cluster: "attach to the processes of every pod of the cluster (pods/attach)",
    namespaced: "attach to the processes of every pod of namespace {ns} (pods/attach)",
    lower_unless_present: None,
    namespace_severity: Severity::Medium,
};
