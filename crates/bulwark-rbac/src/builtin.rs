//! The built-in roles a cluster has without any manifest, so that bindings to them resolve:
//! `cluster-admin`, the user-facing `admin`, `edit` and `view` (aggregated, as in a cluster,
//! from the `system:aggregate-to-*` roles and any manifest ClusterRole carrying their labels),
//! a few `system:` roles that manifests commonly bind, and the `kube-system` Role
//! `extension-apiserver-authentication-reader`. A role of the same name in the manifests
//! replaces the built-in one.
//!
//! Upstream source: the Kubernetes bootstrap policy (`plugin/pkg/auth/authorizer/rbac/
//! bootstrappolicy/policy.go` and `namespace_policy.go` in kubernetes/kubernetes), as rendered
//! with default feature gates in `testdata/cluster-roles.yaml` and `testdata/namespace-roles.yaml`.
//! Every role below has exactly upstream's rules (verbs, API groups, resources and
//! subresources, resourceNames, nonResourceURLs, in upstream's rule order), labels and
//! aggregation selectors. Compared in November 2026 against the newest rendering found, of
//! Kubernetes 1.35 or later: it carries upstream PRs #130738 ("DRA: add user rbac", v1.33, on by
//! default since DynamicResourceAllocation went GA in v1.34), #132178 (`system:monitoring` may
//! get `nodes/metrics`, v1.34) and #133740 (`events.k8s.io` events in `view`/`edit`, v1.35).
//! That rendering is the `cluster-roles.yaml` stored at commit
//! ec451e29abeced580a69170d5e4633da583964a6 of the aks-lts/kubernetes mirror; it was
//! cross-checked with kubernetes/kubernetes' own `cluster-roles.yaml` at
//! 025f2834a128798cef30018a5e6a6ae82b5ad885 (an earlier release: the same for these roles but
//! for those three PRs and `/statusz` on `system:monitoring`), its
//! `cluster-roles-featuregates.yaml` at 01899a7c86337b05a16a4155c9351cf947beaee9 and its
//! `namespace-roles.yaml` at 008b3652959ca58af8be3fb5b6ecfe9ae7638282. Rules behind feature
//! gates still off by default (`/flagz` on `system:monitoring`) are left out. Written from
//! those facts, not copied.

use bulwark_k8s::{LabelSelector, Labels};

use crate::model::{Role, RoleKind, Rule};

/// `get, list, watch`.
const READ: &[&str] = &["get", "list", "watch"];
/// Upstream's `Write`: `create, delete, deletecollection, patch, update`.
const WRITE: &[&str] = &["create", "delete", "deletecollection", "patch", "update"];
/// Upstream's `ReadWrite`: both of the above.
const READ_WRITE: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// The label upstream puts on every bootstrap role.
const BOOTSTRAPPING: (&str, &str) = ("kubernetes.io/bootstrapping", "rbac-defaults");
const AGG_ADMIN: &str = "rbac.authorization.k8s.io/aggregate-to-admin";
const AGG_EDIT: &str = "rbac.authorization.k8s.io/aggregate-to-edit";
const AGG_VIEW: &str = "rbac.authorization.k8s.io/aggregate-to-view";

/// A built-in ClusterRole with `rules`, labelled `kubernetes.io/bootstrapping: rbac-defaults`
/// and `<label>: "true"` for each of `aggregate_to`.
fn cluster_role(name: &str, aggregate_to: &[&str], rules: Vec<Rule>) -> Role {
    let mut labels: Labels = aggregate_to
        .iter()
        .map(|l| ((*l).to_string(), "true".to_string()))
        .collect();
    labels.insert(BOOTSTRAPPING.0.to_string(), BOOTSTRAPPING.1.to_string());
    Role {
        kind: RoleKind::ClusterRole,
        namespace: None,
        name: name.to_string(),
        labels,
        rules,
        aggregation: None,
        object: None,
    }
}

/// An aggregated built-in role: it takes the rules of every ClusterRole labelled `label`, and
/// carries `aggregate_to` itself (`view` is aggregated into `edit`, `edit` into `admin`).
fn aggregated(name: &str, label: &str, aggregate_to: &[&str]) -> Role {
    Role {
        aggregation: Some(vec![LabelSelector {
            match_labels: vec![(label.to_string(), "true".to_string())],
            expressions: Vec::new(),
        }]),
        ..cluster_role(name, aggregate_to, Vec::new())
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
                    READ_WRITE,
                    &["rbac.authorization.k8s.io"],
                    &["rolebindings", "roles"],
                ),
            ],
        ),
        cluster_role(
            "system:aggregate-to-edit",
            &[AGG_EDIT],
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
                Rule::new(WRITE, &["", "events.k8s.io"], &["events"]),
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
                Rule::new(
                    WRITE,
                    &["extensions"],
                    &[
                        "daemonsets",
                        "deployments",
                        "deployments/rollback",
                        "deployments/scale",
                        "ingresses",
                        "networkpolicies",
                        "replicasets",
                        "replicasets/scale",
                        "replicationcontrollers/scale",
                    ],
                ),
                Rule::new(WRITE, &["policy"], &["poddisruptionbudgets"]),
                Rule::new(
                    WRITE,
                    &["networking.k8s.io"],
                    &["ingresses", "networkpolicies"],
                ),
                Rule::new(READ_WRITE, &["coordination.k8s.io"], &["leases"]),
                Rule::new(
                    WRITE,
                    &["resource.k8s.io"],
                    &["resourceclaims", "resourceclaimtemplates"],
                ),
            ],
        ),
        cluster_role(
            "system:aggregate-to-view",
            &[AGG_VIEW],
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
                Rule::new(READ, &["", "events.k8s.io"], &["events"]),
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
                    &["extensions"],
                    &[
                        "daemonsets",
                        "daemonsets/status",
                        "deployments",
                        "deployments/scale",
                        "deployments/status",
                        "ingresses",
                        "ingresses/status",
                        "networkpolicies",
                        "replicasets",
                        "replicasets/scale",
                        "replicasets/status",
                        "replicationcontrollers/scale",
                    ],
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
                Rule::new(
                    READ,
                    &["resource.k8s.io"],
                    &[
                        "resourceclaims",
                        "resourceclaims/status",
                        "resourceclaimtemplates",
                    ],
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
            vec![
                Rule::non_resource(
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
                        "/statusz",
                    ],
                ),
                Rule::new(&["get"], &[""], &["nodes/metrics"]),
            ],
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

#[cfg(test)]
mod tests {
    //! Facts of the upstream bootstrap policy (see the module documentation for the version),
    //! several of which the first version of this table got wrong.

    use super::roles;
    use crate::checks::tests::snapshot;
    use crate::model::{RoleKind, Subject};
    use crate::rbac::{Identity, Rbac};
    use crate::request::{Request, Resource};

    /// One binding of each built-in role worth asking about, each to its own user (in
    /// namespace `shop` for the user-facing roles, cluster-wide for the others).
    const BINDINGS: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: v, namespace: shop}\nroleRef: {kind: ClusterRole, name: view}\nsubjects: [{kind: User, name: viewer}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: e, namespace: shop}\nroleRef: {kind: ClusterRole, name: edit}\nsubjects: [{kind: User, name: editor}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: a, namespace: shop}\nroleRef: {kind: ClusterRole, name: admin}\nsubjects: [{kind: User, name: admin}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: d}\nroleRef: {kind: ClusterRole, name: 'system:auth-delegator'}\nsubjects: [{kind: User, name: delegator}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: m}\nroleRef: {kind: ClusterRole, name: 'system:monitoring'}\nsubjects: [{kind: User, name: monitor}]\n";

    /// Whether `user` may `verb` `group/resource[/sub]` in `shop` (or cluster-wide for a
    /// cluster-scoped resource).
    fn can(rbac: &Rbac<'_>, user: &str, verb: &str, group: &str, resource: &str) -> bool {
        let (res, sub) = match resource.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (resource, None),
        };
        let resource = Resource::new(group, res, sub);
        let ns = (!resource.is_cluster_scoped()).then_some("shop");
        !rbac
            .can(
                &Identity::user(user, &[]),
                &Request::resource(verb, resource, ns),
            )
            .is_empty()
    }

    #[test]
    fn the_user_facing_roles_grant_what_upstream_grants() {
        let s = snapshot(BINDINGS);
        let rbac = Rbac::new(&s);
        let yes = |u: &str, v: &str, g: &str, r: &str| {
            assert!(can(&rbac, u, v, g, r), "{u} should {v} {g}/{r}");
        };
        let no = |u: &str, v: &str, g: &str, r: &str| {
            assert!(!can(&rbac, u, v, g, r), "{u} should not {v} {g}/{r}");
        };
        // view: reads, but never Secrets nor the escalating subresources.
        for verb in ["get", "list", "watch"] {
            no("viewer", verb, "", "secrets");
        }
        no("viewer", "get", "", "pods/exec");
        no("viewer", "create", "", "pods/exec");
        no("viewer", "get", "", "pods/proxy");
        yes("viewer", "get", "", "pods/log");
        yes("viewer", "list", "", "pods/status");
        yes("viewer", "list", "", "events");
        yes("viewer", "list", "events.k8s.io", "events");
        yes("viewer", "get", "resource.k8s.io", "resourceclaims/status");
        yes("viewer", "list", "extensions", "ingresses");
        no("viewer", "create", "", "pods");
        no("viewer", "get", "coordination.k8s.io", "leases");
        // edit: everything a workload owner needs, Secrets and exec included.
        yes("editor", "get", "", "secrets");
        yes("editor", "create", "", "secrets");
        yes("editor", "create", "", "pods");
        yes("editor", "create", "", "pods/exec");
        yes("editor", "create", "", "pods/attach");
        yes("editor", "create", "", "pods/portforward");
        yes("editor", "create", "", "serviceaccounts/token");
        yes("editor", "impersonate", "", "serviceaccounts");
        yes("editor", "create", "", "pods/eviction");
        yes("editor", "create", "events.k8s.io", "events");
        yes("editor", "get", "coordination.k8s.io", "leases");
        yes(
            "editor",
            "create",
            "resource.k8s.io",
            "resourceclaimtemplates",
        );
        yes("editor", "patch", "extensions", "networkpolicies");
        yes("editor", "get", "", "configmaps");
        // … but not what upstream keeps from it.
        no("editor", "create", "", "endpoints");
        no("editor", "patch", "", "pods/ephemeralcontainers");
        no("editor", "patch", "", "services/status");
        no("editor", "patch", "", "pods/status");
        no(
            "editor",
            "create",
            "rbac.authorization.k8s.io",
            "rolebindings",
        );
        no("editor", "impersonate", "", "users");
        // admin: edit plus roles and role bindings, but not bind or escalate.
        yes(
            "admin",
            "create",
            "rbac.authorization.k8s.io",
            "rolebindings",
        );
        yes("admin", "create", "rbac.authorization.k8s.io", "roles");
        yes(
            "admin",
            "create",
            "authorization.k8s.io",
            "localsubjectaccessreviews",
        );
        yes("admin", "create", "", "pods/exec");
        yes("admin", "get", "", "secrets");
        no("admin", "bind", "rbac.authorization.k8s.io", "clusterroles");
        no("admin", "escalate", "rbac.authorization.k8s.io", "roles");
        no("admin", "create", "", "resourcequotas");
        // Nothing through a RoleBinding leaves its namespace.
        let other = Request::resource("get", Resource::new("", "secrets", None), Some("other"));
        assert!(rbac.can(&Identity::user("editor", &[]), &other).is_empty());
    }

    #[test]
    fn the_system_roles_grant_what_upstream_grants() {
        let s = snapshot(BINDINGS);
        let rbac = Rbac::new(&s);
        assert!(can(
            &rbac,
            "delegator",
            "create",
            "authentication.k8s.io",
            "tokenreviews"
        ));
        assert!(can(
            &rbac,
            "delegator",
            "create",
            "authorization.k8s.io",
            "subjectaccessreviews"
        ));
        assert!(!can(&rbac, "delegator", "get", "", "secrets"));
        let monitor = Identity::user("monitor", &[]);
        for url in ["/metrics", "/metrics/slis", "/livez/etcd", "/statusz"] {
            assert!(
                !rbac
                    .can(&monitor, &Request::non_resource("get", url))
                    .is_empty(),
                "{url}"
            );
        }
        assert!(
            rbac.can(&monitor, &Request::non_resource("get", "/flagz"))
                .is_empty(),
            "/flagz is feature-gated, off by default"
        );
        assert!(can(&rbac, "monitor", "get", "", "nodes/metrics"));
        assert!(!can(&rbac, "monitor", "get", "", "nodes/proxy"));
        let p = rbac.permissions(&Subject::user("monitor"));
        assert_eq!(p.permissions.len(), 2);
    }

    #[test]
    fn labels_and_aggregation_are_upstream_s() {
        let all = roles();
        let role = |name: &str| {
            all.iter()
                .find(|r| r.name == name)
                .unwrap_or_else(|| panic!("{name}"))
        };
        for r in &all {
            assert_eq!(
                r.labels
                    .get("kubernetes.io/bootstrapping")
                    .map(String::as_str),
                Some("rbac-defaults"),
                "{}",
                r.name
            );
        }
        let agg = |name: &str| -> Vec<&str> {
            let mut v: Vec<&str> = role(name)
                .labels
                .keys()
                .filter_map(|k| k.strip_prefix("rbac.authorization.k8s.io/aggregate-to-"))
                .collect();
            v.sort_unstable();
            v
        };
        // Each aggregate-to-* role carries its own label only: view reaches edit, and edit
        // admin, because the aggregated roles themselves carry the next label.
        assert_eq!(agg("system:aggregate-to-view"), ["view"]);
        assert_eq!(agg("system:aggregate-to-edit"), ["edit"]);
        assert_eq!(agg("system:aggregate-to-admin"), ["admin"]);
        assert_eq!(agg("view"), ["edit"]);
        assert_eq!(agg("edit"), ["admin"]);
        assert!(agg("admin").is_empty() && agg("cluster-admin").is_empty());
        for (name, selects) in [
            ("admin", "aggregate-to-admin"),
            ("edit", "aggregate-to-edit"),
            ("view", "aggregate-to-view"),
        ] {
            let sel = role(name).aggregation.as_ref().expect("aggregated");
            assert_eq!(sel.len(), 1);
            assert_eq!(
                sel[0].match_labels,
                [(
                    format!("rbac.authorization.k8s.io/{selects}"),
                    "true".to_string()
                )]
            );
            assert!(role(name).rules.is_empty());
        }
        let reader = all
            .iter()
            .find(|r| r.kind == RoleKind::Role)
            .expect("the namespaced role");
        assert_eq!(
            (reader.namespace.as_deref(), reader.name.as_str()),
            (
                Some("kube-system"),
                "extension-apiserver-authentication-reader"
            )
        );
        assert_eq!(
            reader.rules[0].resource_names,
            ["extension-apiserver-authentication"]
        );
    }

    #[test]
    fn edit_is_view_plus_aggregate_to_edit_and_admin_adds_aggregate_to_admin() {
        let s = snapshot("");
        let rbac = Rbac::new(&s);
        let count = |name: &str| {
            let r = rbac.role(RoleKind::ClusterRole, None, name).expect(name);
            rbac.effective_rules(r).len()
        };
        assert_eq!(count("view"), 12);
        assert_eq!(count("edit"), 12 + 15);
        assert_eq!(count("admin"), 12 + 15 + 2);
    }
}
