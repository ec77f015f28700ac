//! The built-in roles a cluster has without any manifest, so that bindings to them resolve:
//! `cluster-admin`, the user-facing `admin`, `edit` and `view` (aggregated, as in a cluster,
//! from the `system:aggregate-to-*` roles and any manifest ClusterRole carrying their labels),
//! a few `system:` roles that manifests commonly bind, and the `kube-system` Role
//! `extension-apiserver-authentication-reader`. The rules follow the Kubernetes 1.30 bootstrap
//! policy, reduced to the resources that matter for access questions (docs/rbac.md lists them).
//! A role of the same name in the manifests replaces the built-in one.

use bulwark_k8s::{LabelSelector, Labels};

use crate::model::{Role, RoleKind, Rule};

const READ: &[&str] = &["get", "list", "watch"];
const WRITE: &[&str] = &["create", "delete", "deletecollection", "patch", "update"];
const ALL: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "delete",
    "deletecollection",
    "patch",
    "update",
];

const AGG_ADMIN: &str = "rbac.authorization.k8s.io/aggregate-to-admin";
const AGG_EDIT: &str = "rbac.authorization.k8s.io/aggregate-to-edit";
const AGG_VIEW: &str = "rbac.authorization.k8s.io/aggregate-to-view";

fn cluster_role(name: &str, labels: &[&str], rules: Vec<Rule>) -> Role {
    Role {
        kind: RoleKind::ClusterRole,
        namespace: None,
        name: name.to_string(),
        labels: labels
            .iter()
            .map(|l| ((*l).to_string(), "true".to_string()))
            .collect::<Labels>(),
        rules,
        aggregation: None,
        object: None,
    }
}

/// An aggregated built-in role: it takes the rules of every ClusterRole labelled `label`, and
/// carries `labels` itself (`view` is aggregated into `edit`, `edit` into `admin`).
fn aggregated(name: &str, label: &str, labels: &[&str]) -> Role {
    Role {
        aggregation: Some(vec![LabelSelector {
            match_labels: vec![(label.to_string(), "true".to_string())],
            expressions: Vec::new(),
        }]),
        ..cluster_role(name, labels, Vec::new())
    }
}

/// The built-in roles.
pub fn roles() -> Vec<Role> {
    vec![
        cluster_role(
            "cluster-admin",
            &[],
            vec![
                Rule::new(&["*"], &["*"], &["*"]),
                Rule::non_resource(&["*"], &["*"]),
            ],
        ),
        aggregated("admin", AGG_ADMIN, &[]),
        aggregated("edit", AGG_EDIT, &[AGG_ADMIN]),
        aggregated("view", AGG_VIEW, &[AGG_EDIT]),
        cluster_role(
            "system:aggregate-to-admin",
            &[AGG_ADMIN],
            vec![
                Rule::new(
                    &["create"],
                    &["authorization.k8s.io"],
                    &["localsubjectaccessreviews"],
                ),
                Rule::new(
                    ALL,
                    &["rbac.authorization.k8s.io"],
                    &["rolebindings", "roles"],
                ),
            ],
        ),
        cluster_role(
            "system:aggregate-to-edit",
            &[AGG_ADMIN, AGG_EDIT],
            vec![
                Rule::new(
                    READ,
                    &[""],
                    &[
                        "pods/attach",
                        "pods/exec",
                        "pods/portforward",
                        "pods/proxy",
                        "secrets",
                        "services/proxy",
                    ],
                ),
                Rule::new(&["impersonate"], &[""], &["serviceaccounts"]),
                Rule::new(
                    WRITE,
                    &[""],
                    &[
                        "pods",
                        "pods/attach",
                        "pods/exec",
                        "pods/portforward",
                        "pods/proxy",
                    ],
                ),
                Rule::new(&["create"], &[""], &["pods/eviction"]),
                Rule::new(
                    WRITE,
                    &[""],
                    &[
                        "configmaps",
                        "events",
                        "persistentvolumeclaims",
                        "replicationcontrollers",
                        "replicationcontrollers/scale",
                        "secrets",
                        "serviceaccounts",
                        "services",
                        "services/proxy",
                    ],
                ),
                Rule::new(&["create"], &[""], &["serviceaccounts/token"]),
                Rule::new(
                    WRITE,
                    &["apps"],
                    &[
                        "daemonsets",
                        "deployments",
                        "deployments/rollback",
                        "deployments/scale",
                        "replicasets",
                        "replicasets/scale",
                        "statefulsets",
                        "statefulsets/scale",
                    ],
                ),
                Rule::new(WRITE, &["autoscaling"], &["horizontalpodautoscalers"]),
                Rule::new(WRITE, &["batch"], &["cronjobs", "jobs"]),
                Rule::new(WRITE, &["policy"], &["poddisruptionbudgets"]),
                Rule::new(
                    WRITE,
                    &["networking.k8s.io"],
                    &["ingresses", "networkpolicies"],
                ),
                Rule::new(WRITE, &["coordination.k8s.io"], &["leases"]),
            ],
        ),
        cluster_role(
            "system:aggregate-to-view",
            &[AGG_ADMIN, AGG_EDIT, AGG_VIEW],
            vec![
                Rule::new(
                    READ,
                    &[""],
                    &[
                        "configmaps",
                        "endpoints",
                        "persistentvolumeclaims",
                        "persistentvolumeclaims/status",
                        "pods",
                        "replicationcontrollers",
                        "replicationcontrollers/scale",
                        "serviceaccounts",
                        "services",
                        "services/status",
                    ],
                ),
                Rule::new(
                    READ,
                    &[""],
                    &[
                        "bindings",
                        "events",
                        "limitranges",
                        "namespaces/status",
                        "pods/log",
                        "pods/status",
                        "replicationcontrollers/status",
                        "resourcequotas",
                        "resourcequotas/status",
                    ],
                ),
                Rule::new(READ, &[""], &["namespaces"]),
                Rule::new(READ, &["discovery.k8s.io"], &["endpointslices"]),
                Rule::new(
                    READ,
                    &["apps"],
                    &[
                        "controllerrevisions",
                        "daemonsets",
                        "daemonsets/status",
                        "deployments",
                        "deployments/scale",
                        "deployments/status",
                        "replicasets",
                        "replicasets/scale",
                        "replicasets/status",
                        "statefulsets",
                        "statefulsets/scale",
                        "statefulsets/status",
                    ],
                ),
                Rule::new(
                    READ,
                    &["autoscaling"],
                    &[
                        "horizontalpodautoscalers",
                        "horizontalpodautoscalers/status",
                    ],
                ),
                Rule::new(
                    READ,
                    &["batch"],
                    &["cronjobs", "cronjobs/status", "jobs", "jobs/status"],
                ),
                Rule::new(
                    READ,
                    &["policy"],
                    &["poddisruptionbudgets", "poddisruptionbudgets/status"],
                ),
                Rule::new(
                    READ,
                    &["networking.k8s.io"],
                    &["ingresses", "ingresses/status", "networkpolicies"],
                ),
            ],
        ),
        cluster_role(
            "system:auth-delegator",
            &[],
            vec![
                Rule::new(&["create"], &["authentication.k8s.io"], &["tokenreviews"]),
                Rule::new(
                    &["create"],
                    &["authorization.k8s.io"],
                    &["subjectaccessreviews"],
                ),
            ],
        ),
        cluster_role(
            "system:basic-user",
            &[],
            vec![
                Rule::new(
                    &["create"],
                    &["authorization.k8s.io"],
                    &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                ),
                Rule::new(
                    &["create"],
                    &["authentication.k8s.io"],
                    &["selfsubjectreviews"],
                ),
            ],
        ),
        cluster_role(
            "system:discovery",
            &[],
            vec![Rule::non_resource(
                &["get"],
                &[
                    "/api",
                    "/api/*",
                    "/apis",
                    "/apis/*",
                    "/healthz",
                    "/livez",
                    "/openapi",
                    "/openapi/*",
                    "/readyz",
                    "/version",
                    "/version/",
                ],
            )],
        ),
        cluster_role(
            "system:public-info-viewer",
            &[],
            vec![Rule::non_resource(
                &["get"],
                &["/healthz", "/livez", "/readyz", "/version", "/version/"],
            )],
        ),
        cluster_role(
            "system:monitoring",
            &[],
            vec![Rule::non_resource(
                &["get"],
                &[
                    "/healthz",
                    "/healthz/*",
                    "/livez",
                    "/livez/*",
                    "/metrics",
                    "/metrics/slis",
                    "/readyz",
                    "/readyz/*",
                ],
            )],
        ),
        Role {
            kind: RoleKind::Role,
            namespace: Some("kube-system".into()),
            ..cluster_role(
                "extension-apiserver-authentication-reader",
                &[],
                vec![
                    Rule::new(READ, &[""], &["configmaps"])
                        .named(&["extension-apiserver-authentication"]),
                ],
            )
        },
    ]
}
