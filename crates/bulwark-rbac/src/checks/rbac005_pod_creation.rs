//! RBAC005: Subject can create pods or pod controllers.

use bulwark_model::{AnalysisCheck, Category, Severity};

use super::{Probe, Risk};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "RBAC005",
    name: "pod-creation",
    title: "Subject can create pods or pod controllers",
    severity: Severity::High,
    category: Category::Rbac,
    standards: &["cis-k8s/5.1.4"],
    what: "Reports every subject granted `create` on pods, or `create`, `update` or `patch` on a pod controller (Deployments, DaemonSets, StatefulSets, ReplicaSets, Jobs, CronJobs, ReplicationControllers), naming the workloads that run as it. High cluster-wide, medium in one namespace.",
    why: "Whoever can create a pod (directly or through a controller's template) can mount any Secret of the namespace, run as any of its service accounts (and so use their permissions), and, unless admission forbids it, run a privileged or hostPath pod that takes over the node.",
    example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [apps], resources: [deployments], verbs: [get, list, create, update]}\n",
    fix: "Let a deployment pipeline (not a running workload) change pod templates; where a controller must create pods, grant it in its own namespace only, and enforce the Pod Security restricted profile there.",
    fixed_example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [apps], resources: [deployments], verbs: [get, list]}\n",
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation",
    ],
};

pub(crate) static RISK: Risk = Risk {
    meta: &META,
    all_of: &[&[
        Probe::new(&["create"], "", &["pods"]),
        Probe::new(
            &["create", "update", "patch"],
            "apps",
            &["deployments", "daemonsets", "statefulsets", "replicasets"],
        ),
        Probe::new(
            &["create", "update", "patch"],
            "batch",
            &["jobs", "cronjobs"],
        ),
        Probe::new(
            &["create", "update", "patch"],
            "",
            &["replicationcontrollers"],
        ),
    ]],
    cluster: "run pods of its choosing in every namespace (creating pods, or creating or changing pod controllers), with any service account, Secret or privilege admission allows",
    namespaced: "run pods of its choosing in namespace {ns} (creating pods, or creating or changing pod controllers), with any of its service accounts and Secrets",
    lower_unless_present: None,
    namespace_severity: Severity::Medium,
};
