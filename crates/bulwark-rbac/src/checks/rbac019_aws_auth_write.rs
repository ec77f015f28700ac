//! RBAC019: Subject can change the aws-auth ConfigMap.

use bulwark_model::{AnalysisCheck, Category, Severity};

use super::{Probe, Risk};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "RBAC019",
    name: "aws-auth-write",
    title: "Subject can change the aws-auth ConfigMap",
    severity: Severity::Critical,
    category: Category::Rbac,
    standards: &["cis-eks/4.1.1"],
    what: "Reports every subject granted `update`, `patch` or `delete` on the ConfigMap `kube-system/aws-auth` (by name or on every ConfigMap), through a ClusterRoleBinding or a RoleBinding in kube-system. Critical when the manifests hold the aws-auth ConfigMap (an EKS cluster); high otherwise, since the ConfigMap exists only on EKS.",
    why: "On EKS, aws-auth maps IAM identities to Kubernetes users and groups: whoever can edit it can map their own IAM role into `system:masters`.",
    example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [configmaps], verbs: [get, list, update]}\n",
    fix: "Manage aws-auth (or EKS access entries) from the cluster's infrastructure code only; give workloads read access to the ConfigMaps they need by name.",
    fixed_example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [configmaps], verbs: [get, list]}\n",
    references: &["https://docs.aws.amazon.com/eks/latest/userguide/auth-configmap.html"],
};

pub(crate) static RISK: Risk = Risk {
    meta: &META,
    all_of: &[&[
        Probe::new(&["update", "patch", "delete"], "", &["configmaps"])
            .object("kube-system", "aws-auth"),
    ]],
    cluster: "rewrite ConfigMap kube-system/aws-auth (on EKS: map any IAM identity to system:masters)",
    namespaced: "rewrite ConfigMap kube-system/aws-auth (on EKS: map any IAM identity to system:masters)",
    lower_unless_present: Some(("kube-system", "aws-auth")),
    namespace_severity: Severity::Critical,
};
