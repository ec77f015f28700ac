//! Requests as the RBAC authorizer sees them, and whether one rule allows one request: the
//! exact matching of Kubernetes' `RuleAllows` (verbs, API groups, `resource/subresource` with
//! `*` and `*/subresource`, resourceNames, non-resource URLs with a trailing `*`).

use std::fmt;

use serde::Serialize;

use crate::model::Rule;

/// A resource: API group, plural resource name and optional subresource.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Resource {
    /// The API group (`""` is the core group).
    pub group: String,
    /// The plural resource name (`pods`, `deployments`).
    pub resource: String,
    /// The subresource (`exec` of `pods/exec`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subresource: Option<String>,
}

/// Why a resource argument could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceError {
    /// Nothing was given.
    #[error("the resource is empty")]
    Empty,
    /// A part (resource, group or subresource) is empty, as in `pods/` or `deployments.`.
    #[error("{input:?} has an empty {part}")]
    EmptyPart {
        /// The argument.
        input: String,
        /// Which part is empty.
        part: &'static str,
    },
    /// A character that no resource, group or subresource name has.
    #[error(
        "{input:?} is not a resource: resources are lower-case plurals with an optional API group and subresource (pods, deployments.apps, pods/exec)"
    )]
    Malformed {
        /// The argument.
        input: String,
    },
}

impl Resource {
    /// A resource of the core group (`""`) or of `group`.
    pub fn new(group: &str, resource: &str, subresource: Option<&str>) -> Resource {
        Resource {
            group: group.to_string(),
            resource: resource.to_string(),
            subresource: subresource.map(str::to_string),
        }
    }

    /// Reads `resource[.group][/subresource]` as `kubectl auth can-i` writes it: `pods`,
    /// `pods/exec`, `deployments.apps`, `deployments.apps/scale`, `*`. A name without a group
    /// is in the core group; [`Resource::with_well_known_group`] fills in the group of
    /// well-known resources.
    pub fn parse(input: &str) -> Result<Resource, ResourceError> {
        if input.is_empty() {
            return Err(ResourceError::Empty);
        }
        let (main, sub) = match input.split_once('/') {
            Some((m, s)) => (m, Some(s)),
            None => (input, None),
        };
        let (resource, group) = match main.split_once('.') {
            Some((r, g)) => (r, g),
            None => (main, ""),
        };
        let empty = |part| {
            Err(ResourceError::EmptyPart {
                input: input.to_string(),
                part,
            })
        };
        if resource.is_empty() {
            return empty("resource");
        }
        if main.contains('.') && group.is_empty() {
            return empty("API group");
        }
        if sub.is_some_and(str::is_empty) {
            return empty("subresource");
        }
        let name_ok = |s: &str, dots: bool| {
            s == "*"
                || s.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || (dots && c == '.')
                })
        };
        let group_ok = group.is_empty()
            || (name_ok(group, true) && !group.starts_with('.') && !group.contains(".."));
        if !name_ok(resource, false) || !group_ok || sub.is_some_and(|s| !name_ok(s, false)) {
            return Err(ResourceError::Malformed {
                input: input.to_string(),
            });
        }
        Ok(Resource {
            group: group.to_string(),
            resource: resource.to_string(),
            subresource: sub.map(str::to_string),
        })
    }

    /// The same resource, in its well-known API group when it was given without one
    /// (`deployments` → `deployments.apps`), as kubectl would resolve it through discovery.
    /// Resources that are not well known, and resources given with a group, are unchanged.
    #[must_use]
    pub fn with_well_known_group(mut self) -> Resource {
        if self.group.is_empty()
            && let Some(g) = well_known_group(&self.resource)
        {
            self.group = g.to_string();
        }
        self
    }

    /// `resource/subresource`, as rules name it.
    pub fn combined(&self) -> String {
        match &self.subresource {
            Some(s) => format!("{}/{s}", self.resource),
            None => self.resource.clone(),
        }
    }

    /// Whether this is a cluster-scoped resource of Kubernetes itself (nodes,
    /// persistentvolumes, clusterroles …). Requests for these have no namespace, so only
    /// ClusterRoleBindings grant them. `namespaces` are cluster-scoped too, but a request for
    /// one namespace carries that namespace.
    pub fn is_cluster_scoped(&self) -> bool {
        CLUSTER_SCOPED
            .iter()
            .any(|(g, r)| *g == self.group && *r == self.resource)
    }
}

impl fmt::Display for Resource {
    /// `pods/exec`, `deployments.apps`, `deployments.apps/scale`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.resource)?;
        if !self.group.is_empty() {
            write!(f, ".{}", self.group)?;
        }
        if let Some(s) = &self.subresource {
            write!(f, "/{s}")?;
        }
        Ok(())
    }
}

/// Cluster-scoped resources of Kubernetes itself, by `(group, resource)`.
pub(crate) const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "nodes"),
    ("", "namespaces"),
    ("", "persistentvolumes"),
    ("", "componentstatuses"),
    (
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
    ),
    (
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicies",
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicybindings",
    ),
    ("apiextensions.k8s.io", "customresourcedefinitions"),
    ("apiregistration.k8s.io", "apiservices"),
    ("authentication.k8s.io", "tokenreviews"),
    ("authentication.k8s.io", "selfsubjectreviews"),
    ("authorization.k8s.io", "subjectaccessreviews"),
    ("authorization.k8s.io", "selfsubjectaccessreviews"),
    ("authorization.k8s.io", "selfsubjectrulesreviews"),
    ("certificates.k8s.io", "certificatesigningrequests"),
    ("certificates.k8s.io", "signers"),
    ("flowcontrol.apiserver.k8s.io", "flowschemas"),
    (
        "flowcontrol.apiserver.k8s.io",
        "prioritylevelconfigurations",
    ),
    ("networking.k8s.io", "ingressclasses"),
    ("node.k8s.io", "runtimeclasses"),
    ("rbac.authorization.k8s.io", "clusterroles"),
    ("rbac.authorization.k8s.io", "clusterrolebindings"),
    ("scheduling.k8s.io", "priorityclasses"),
    ("storage.k8s.io", "storageclasses"),
    ("storage.k8s.io", "csidrivers"),
    ("storage.k8s.io", "csinodes"),
    ("storage.k8s.io", "volumeattachments"),
    // Impersonation targets that are not objects: a user or group is not in a namespace.
    ("", "users"),
    ("", "groups"),
    ("authentication.k8s.io", "uids"),
    ("authentication.k8s.io", "userextras"),
];

fn well_known_group(resource: &str) -> Option<&'static str> {
    Some(match resource {
        "deployments" | "daemonsets" | "statefulsets" | "replicasets" | "controllerrevisions" => {
            "apps"
        }
        "jobs" | "cronjobs" => "batch",
        "horizontalpodautoscalers" => "autoscaling",
        "ingresses" | "networkpolicies" | "ingressclasses" => "networking.k8s.io",
        "roles" | "rolebindings" | "clusterroles" | "clusterrolebindings" => {
            "rbac.authorization.k8s.io"
        }
        "mutatingwebhookconfigurations"
        | "validatingwebhookconfigurations"
        | "validatingadmissionpolicies"
        | "validatingadmissionpolicybindings" => "admissionregistration.k8s.io",
        "certificatesigningrequests" | "signers" => "certificates.k8s.io",
        "customresourcedefinitions" => "apiextensions.k8s.io",
        "storageclasses" | "csidrivers" | "csinodes" | "volumeattachments" => "storage.k8s.io",
        "poddisruptionbudgets" => "policy",
        "priorityclasses" => "scheduling.k8s.io",
        "leases" => "coordination.k8s.io",
        "endpointslices" => "discovery.k8s.io",
        "tokenreviews" => "authentication.k8s.io",
        "subjectaccessreviews" | "localsubjectaccessreviews" => "authorization.k8s.io",
        _ => return None,
    })
}

/// What a request is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum Target {
    /// An API resource, optionally one named object.
    Resource {
        /// The resource.
        #[serde(flatten)]
        resource: Resource,
        /// The object's name, when the request names one (`get`, `update`, `delete` of one
        /// object); `None` for `list`, `create` and requests about every object.
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// A non-resource URL (`/metrics`, `/healthz`).
    NonResource {
        /// The path.
        path: String,
    },
}

/// One request to the API server, as RBAC sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Request {
    /// The verb (`get`, `list`, `create`, `impersonate` …). Verbs are open-ended.
    pub verb: String,
    /// The namespace of the request; `None` for a cluster-wide request (every namespace at
    /// once, a cluster-scoped resource or a non-resource URL), which only ClusterRoleBindings
    /// grant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// What it is about.
    #[serde(flatten)]
    pub target: Target,
}

impl Request {
    /// A resource request.
    pub fn resource(verb: &str, resource: Resource, namespace: Option<&str>) -> Request {
        Request {
            verb: verb.to_string(),
            namespace: namespace.map(str::to_string),
            target: Target::Resource {
                resource,
                name: None,
            },
        }
    }

    /// The same request about the object named `name`.
    #[must_use]
    pub fn named(mut self, object_name: &str) -> Request {
        if let Target::Resource { name, .. } = &mut self.target {
            *name = Some(object_name.to_string());
        }
        self
    }

    /// A non-resource request (always cluster-wide).
    pub fn non_resource(verb: &str, path: &str) -> Request {
        Request {
            verb: verb.to_string(),
            namespace: None,
            target: Target::NonResource {
                path: path.to_string(),
            },
        }
    }
}

/// Whether `rule` allows `request`, exactly as the Kubernetes RBAC authorizer decides for one
/// rule (`RuleAllows`). Where the rule is bound is the caller's concern.
pub fn rule_allows(rule: &Rule, request: &Request) -> bool {
    if !rule.verbs.iter().any(|v| v == "*" || *v == request.verb) {
        return false;
    }
    match &request.target {
        Target::Resource { resource, name } => {
            rule.api_groups
                .iter()
                .any(|g| g == "*" || *g == resource.group)
                && resource_matches(rule, resource)
                && (rule.resource_names.is_empty()
                    || name
                        .as_ref()
                        .is_some_and(|n| rule.resource_names.iter().any(|r| r == n)))
        }
        Target::NonResource { path } => rule.non_resource_urls.iter().any(|u| {
            u == "*" || u == path || (u.ends_with('*') && path.starts_with(u.trim_end_matches('*')))
        }),
    }
}

fn resource_matches(rule: &Rule, resource: &Resource) -> bool {
    let combined = resource.combined();
    rule.resources.iter().any(|r| {
        r == "*"
            || *r == combined
            || resource
                .subresource
                .as_ref()
                .is_some_and(|sub| r.strip_prefix("*/") == Some(sub.as_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(resource: &str) -> Request {
        Request::resource("get", Resource::parse(resource).unwrap(), Some("ns"))
    }

    #[test]
    fn parses_groups_and_subresources() {
        let r = Resource::parse("deployments.apps/scale").unwrap();
        assert_eq!(r, Resource::new("apps", "deployments", Some("scale")));
        assert_eq!(r.to_string(), "deployments.apps/scale");
        assert_eq!(Resource::parse("pods").unwrap().group, "");
        assert_eq!(
            Resource::parse("foos.example.com").unwrap().group,
            "example.com"
        );
        for bad in [
            "",
            "pods/",
            "/exec",
            "deployments.",
            "Pods",
            "pods exec",
            "a/b/c",
            ".apps",
        ] {
            assert!(Resource::parse(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn well_known_groups_are_filled_in_only_without_a_group() {
        let r = Resource::parse("deployments")
            .unwrap()
            .with_well_known_group();
        assert_eq!(r.group, "apps");
        let r = Resource::parse("deployments.example.com")
            .unwrap()
            .with_well_known_group();
        assert_eq!(r.group, "example.com");
        let r = Resource::parse("widgets").unwrap().with_well_known_group();
        assert_eq!(r.group, "");
    }

    #[test]
    fn verbs_groups_and_resources_match_exactly_or_by_wildcard() {
        let rule = Rule::new(&["get"], &[""], &["secrets"]);
        assert!(rule_allows(&rule, &get("secrets")));
        assert!(!rule_allows(&rule, &get("configmaps")));
        assert!(
            !rule_allows(&rule, &get("secrets.apps")),
            "group must match"
        );
        let mut list = get("secrets");
        list.verb = "list".into();
        assert!(!rule_allows(&rule, &list));
        assert!(
            !rule_allows(&Rule::new(&["GET"], &[""], &["secrets"]), &get("secrets")),
            "verbs are case-sensitive"
        );
        let all = Rule::new(&["*"], &["*"], &["*"]);
        assert!(rule_allows(&all, &get("anything.example.com/status")));
        assert!(
            !rule_allows(&Rule::new(&["get"], &[], &["secrets"]), &get("secrets")),
            "no apiGroups matches nothing"
        );
    }

    #[test]
    fn subresources_need_their_own_grant_or_a_star() {
        let pods = Rule::new(&["create"], &[""], &["pods"]);
        let mut exec = get("pods/exec");
        exec.verb = "create".into();
        assert!(!rule_allows(&pods, &exec), "pods does not cover pods/exec");
        assert!(
            !rule_allows(&Rule::new(&["create"], &[""], &["pods/*"]), &exec),
            "pods/* is not a wildcard"
        );
        assert!(rule_allows(
            &Rule::new(&["create"], &[""], &["pods/exec"]),
            &exec
        ));
        assert!(rule_allows(&Rule::new(&["create"], &[""], &["*"]), &exec));
        assert!(rule_allows(
            &Rule::new(&["create"], &[""], &["*/exec"]),
            &exec
        ));
        assert!(!rule_allows(
            &Rule::new(&["create"], &[""], &["*/exec"]),
            &get("pods")
        ));
        assert!(!rule_allows(
            &Rule::new(&["get"], &[""], &["*/log"]),
            &get("pods/exec")
        ));
    }

    #[test]
    fn resource_names_restrict_to_named_requests() {
        let rule = Rule::new(&["get"], &[""], &["configmaps"]).named(&["aws-auth"]);
        assert!(!rule_allows(&rule, &get("configmaps")), "unnamed request");
        assert!(rule_allows(&rule, &get("configmaps").named("aws-auth")));
        assert!(!rule_allows(&rule, &get("configmaps").named("other")));
        let any = Rule::new(&["get"], &[""], &["configmaps"]);
        assert!(rule_allows(&any, &get("configmaps").named("other")));
    }

    #[test]
    fn non_resource_urls_match_exactly_or_by_prefix() {
        let rule = Rule::non_resource(&["get"], &["/metrics", "/logs/*"]);
        assert!(rule_allows(
            &rule,
            &Request::non_resource("get", "/metrics")
        ));
        assert!(!rule_allows(
            &rule,
            &Request::non_resource("get", "/metrics/x")
        ));
        assert!(rule_allows(
            &rule,
            &Request::non_resource("get", "/logs/a/b")
        ));
        assert!(rule_allows(&rule, &Request::non_resource("get", "/logs/")));
        assert!(!rule_allows(
            &rule,
            &Request::non_resource("post", "/metrics")
        ));
        assert!(
            !rule_allows(&rule, &get("metrics")),
            "a URL rule grants no resource"
        );
        let res = Rule::new(&["*"], &["*"], &["*"]);
        assert!(
            !rule_allows(&res, &Request::non_resource("get", "/metrics")),
            "a resource rule grants no URL"
        );
        assert!(rule_allows(
            &Rule::non_resource(&["*"], &["*"]),
            &Request::non_resource("get", "/x")
        ));
    }
}
