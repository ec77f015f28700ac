//! RBAC015: Subject can change admission webhooks or policies.

use bulwark_model::{AnalysisCheck, Category, Severity};

use super::{Probe, Risk};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "RBAC015",
    name: "admission-webhook-write",
    title: "Subject can change admission webhooks or policies",
    severity: Severity::High,
    category: Category::Rbac,
    standards: &[],
    what: "Reports every subject granted `create`, `update`, `patch`, `delete` or `deletecollection` on mutating or validating webhook configurations or validating admission policies and their bindings (cluster-scoped: only a ClusterRoleBinding grants them).",
    why: "A mutating webhook sees and can rewrite every object it registers for (Secrets and pods included); deleting a validating webhook or policy turns off the guardrails that stop privileged pods.",
    example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations], verbs: [get, create, patch]}\n",
    fix: "Keep admission configuration in the cluster's deployment pipeline; if an operator must inject its CA bundle, restrict it with `resourceNames` to its own configuration.",
    fixed_example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations], verbs: [get, list]}\n",
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#control-admission-webhooks",
    ],
};

pub(crate) static RISK: Risk = Risk {
    meta: &META,
    all_of: &[&[Probe::new(
        &["create", "update", "patch", "delete", "deletecollection"],
        "admissionregistration.k8s.io",
        &[
            "mutatingwebhookconfigurations",
            "validatingwebhookconfigurations",
            "validatingadmissionpolicies",
            "validatingadmissionpolicybindings",
        ],
    )]],
    cluster: "create, change or delete admission webhooks and policies",
    namespaced: "change admission webhooks",
    lower_unless_present: None,
    namespace_severity: Severity::High,
};
