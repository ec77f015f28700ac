//! RBAC014: Subject can approve certificate signing requests.

use bulwark_model::{AnalysisCheck, Category, Severity};

use super::{Probe, Risk};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "RBAC014",
    name: "csr-approval",
    title: "Subject can approve certificate signing requests",
    severity: Severity::High,
    category: Category::Rbac,
    standards: &[],
    what: "Reports every subject granted both `update` or `patch` on `certificatesigningrequests/approval` and `approve` on `signers` (any signer name counts) in certificates.k8s.io: together they approve a CSR (cluster-scoped: only a ClusterRoleBinding grants them).",
    why: "Approving a CSR for the `kubernetes.io/kube-apiserver-client` signer issues a client certificate with any user and group, such as `system:masters`; certificates cannot be revoked before they expire.",
    example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}\n- {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve]}\n",
    fix: "Leave CSR approval to the controller manager and to a dedicated approver that checks requests; never give it to workloads.",
    fixed_example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [get, list, create]}\n",
    references: &[
        "https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/#authorization",
    ],
};

pub(crate) static RISK: Risk = Risk {
    meta: &META,
    all_of: &[
        &[Probe::new(
            &["update", "patch"],
            "certificates.k8s.io",
            &["certificatesigningrequests/approval"],
        )],
        &[Probe::new(&["approve"], "certificates.k8s.io", &["signers"]).any_name()],
    ],
    cluster: "approve certificate signing requests, and so issue client certificates for any identity",
    namespaced: "approve certificate signing requests",
    lower_unless_present: None,
    namespace_severity: Severity::High,
};
