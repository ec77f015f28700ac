//! RBAC017: Subject can change Service status (CVE-2020-8554).

use bulwark_model::{AnalysisCheck, Category, Severity};

use super::{Probe, Risk};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "RBAC017",
    name: "services-status-write",
    title: "Subject can change Service status (CVE-2020-8554)",
    severity: Severity::Medium,
    category: Category::Rbac,
    standards: &[],
    what: "Reports every subject granted `update` or `patch` on `services/status`. Medium cluster-wide and in one namespace alike: the traffic it can capture is the whole cluster's.",
    why: "Setting `status.loadBalancer.ingress[].ip` of a LoadBalancer Service makes kube-proxy send the cluster's traffic for that IP to the Service's pods (CVE-2020-8554): a man-in-the-middle on any external address.",
    example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [services/status], verbs: [patch]}\n",
    fix: "Leave Service status to the cloud controller or load-balancer controller; block the CVE with the externalip-webhook or an admission policy.",
    fixed_example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: app\n      containers: [{name: api, image: shop/api:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app}\nsubjects:\n- {kind: ServiceAccount, name: app, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: app}\nrules:\n- {apiGroups: [''], resources: [services], verbs: [get]}\n",
    references: &["https://github.com/kubernetes/kubernetes/issues/97076"],
};

pub(crate) static RISK: Risk = Risk {
    meta: &META,
    all_of: &[&[Probe::new(&["update", "patch"], "", &["services/status"])]],
    cluster: "set load-balancer IPs of every Service and intercept cluster traffic to them (services/status, CVE-2020-8554)",
    namespaced: "set load-balancer IPs of Services in namespace {ns} and intercept cluster traffic to them (services/status, CVE-2020-8554)",
    lower_unless_present: None,
    namespace_severity: Severity::Medium,
};
