//! RBAC objects read from a snapshot: roles with their rules, bindings with their subjects.
//! Reading is lenient (the API server would reject some of what is skipped here) and never
//! fails: a malformed field grants nothing.

use std::fmt;

use bulwark_k8s::{LabelSelector, Labels, Node, Object, Pos, labels_of};
use serde::Serialize;

/// The RBAC API group.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// `Role` (namespaced) or `ClusterRole`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RoleKind {
    /// A namespaced `Role`.
    Role,
    /// A `ClusterRole`.
    ClusterRole,
}

impl RoleKind {
    /// `Role` or `ClusterRole`.
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Role => "Role",
            RoleKind::ClusterRole => "ClusterRole",
        }
    }
}

/// `RoleBinding` (grants in its namespace) or `ClusterRoleBinding` (grants cluster-wide).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum BindingKind {
    /// A `RoleBinding`.
    RoleBinding,
    /// A `ClusterRoleBinding`.
    ClusterRoleBinding,
}

impl BindingKind {
    /// `RoleBinding` or `ClusterRoleBinding`.
    pub fn as_str(self) -> &'static str {
        match self {
            BindingKind::RoleBinding => "RoleBinding",
            BindingKind::ClusterRoleBinding => "ClusterRoleBinding",
        }
    }
}

/// The kind of a binding subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum SubjectKind {
    /// A group of users (`system:authenticated`, an identity provider's group).
    Group,
    /// A service account, always with its namespace.
    ServiceAccount,
    /// A user name (`alice`, `system:kube-scheduler`).
    User,
}

impl SubjectKind {
    /// `Group`, `ServiceAccount` or `User`.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Group => "Group",
            SubjectKind::ServiceAccount => "ServiceAccount",
            SubjectKind::User => "User",
        }
    }
}

/// A subject exactly as a binding names it. A ServiceAccount subject always has its namespace
/// (in a RoleBinding an omitted namespace is the binding's, as the authorizer reads it); users
/// and groups never do.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Subject {
    /// Its kind.
    pub kind: SubjectKind,
    /// The service account's namespace; `None` for users and groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
}

impl Subject {
    /// A user.
    pub fn user(name: &str) -> Subject {
        Subject {
            kind: SubjectKind::User,
            namespace: None,
            name: name.to_string(),
        }
    }

    /// A group.
    pub fn group(name: &str) -> Subject {
        Subject {
            kind: SubjectKind::Group,
            namespace: None,
            name: name.to_string(),
        }
    }

    /// A service account.
    pub fn service_account(namespace: &str, name: &str) -> Subject {
        Subject {
            kind: SubjectKind::ServiceAccount,
            namespace: Some(namespace.to_string()),
            name: name.to_string(),
        }
    }

    /// The service account this subject is, as `(namespace, name)`: a ServiceAccount subject,
    /// or a User named `system:serviceaccount:<namespace>:<name>` (the same identity).
    pub fn as_service_account(&self) -> Option<(&str, &str)> {
        match self.kind {
            SubjectKind::ServiceAccount => Some((self.namespace.as_deref()?, &self.name)),
            SubjectKind::User => {
                let rest = self.name.strip_prefix("system:serviceaccount:")?;
                let (ns, name) = rest.split_once(':')?;
                (!ns.is_empty() && !name.is_empty() && !name.contains(':')).then_some((ns, name))
            }
            SubjectKind::Group => None,
        }
    }
}

impl fmt::Display for Subject {
    /// `ServiceAccount ns/name`, `Group name`, `User name`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {ns}/{}", self.kind.as_str(), self.name),
            None => write!(f, "{} {}", self.kind.as_str(), self.name),
        }
    }
}

/// One rule of a role (`PolicyRule`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// `verbs`.
    pub verbs: Vec<String>,
    /// `apiGroups` (`""` is the core group).
    pub api_groups: Vec<String>,
    /// `resources`, possibly `resource/subresource` or `*/subresource`.
    pub resources: Vec<String>,
    /// `resourceNames`: when not empty, only requests naming one of them match.
    pub resource_names: Vec<String>,
    /// `nonResourceURLs`: exact paths or prefixes ending in `*`.
    #[serde(rename = "nonResourceURLs")]
    pub non_resource_urls: Vec<String>,
    /// Where the rule is written (zero for built-in roles).
    #[serde(skip)]
    pub pos: Pos,
}

impl Rule {
    /// Builds a rule from string lists (for built-in roles and tests).
    pub fn new(verbs: &[&str], api_groups: &[&str], resources: &[&str]) -> Rule {
        let own = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect();
        Rule {
            verbs: own(verbs),
            api_groups: own(api_groups),
            resources: own(resources),
            ..Rule::default()
        }
    }

    /// This rule restricted to `names`.
    #[must_use]
    pub fn named(mut self, names: &[&str]) -> Rule {
        self.resource_names = names.iter().map(|s| (*s).to_string()).collect();
        self
    }

    /// A rule on non-resource URLs.
    pub fn non_resource(verbs: &[&str], urls: &[&str]) -> Rule {
        Rule {
            verbs: verbs.iter().map(|s| (*s).to_string()).collect(),
            non_resource_urls: urls.iter().map(|s| (*s).to_string()).collect(),
            ..Rule::default()
        }
    }

    /// Whether this rule allows every verb on every resource of every API group: the
    /// cluster-admin rule.
    pub fn is_full_wildcard(&self) -> bool {
        let star = |v: &[String]| v.iter().any(|s| s == "*");
        star(&self.verbs)
            && star(&self.api_groups)
            && star(&self.resources)
            && self.resource_names.is_empty()
    }

    /// A short human form: `get, list on secrets (core)`.
    pub fn describe(&self) -> String {
        let verbs = self.verbs.join(", ");
        if self.resources.is_empty() && !self.non_resource_urls.is_empty() {
            return format!(
                "{verbs} on non-resource URLs {}",
                self.non_resource_urls.join(", ")
            );
        }
        let groups: Vec<&str> = self
            .api_groups
            .iter()
            .map(|g| match g.as_str() {
                "" => "core",
                "*" => "every API group",
                g => g,
            })
            .collect();
        let mut s = format!(
            "{verbs} on {} ({})",
            self.resources.join(", "),
            groups.join(", ")
        );
        if !self.resource_names.is_empty() {
            s.push_str(&format!(" named {}", self.resource_names.join(", ")));
        }
        s
    }
}

/// A Role or ClusterRole: from the manifests, or one of the built-in roles
/// (docs/rbac.md lists them).
#[derive(Debug, Clone)]
pub struct Role {
    /// Its kind.
    pub kind: RoleKind,
    /// Its namespace (Roles only).
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
    /// Its labels (read by aggregation rules).
    pub labels: Labels,
    /// Its own `rules`. For an aggregated ClusterRole these are what the manifest says; the
    /// effective rules are computed from the aggregation (see [`crate::Rbac`]).
    pub rules: Vec<Rule>,
    /// `aggregationRule.clusterRoleSelectors`, for an aggregated ClusterRole. A selector that
    /// cannot be read is dropped (it matches nothing).
    pub aggregation: Option<Vec<LabelSelector>>,
    /// The snapshot object it comes from; `None` for a built-in role.
    pub object: Option<usize>,
}

impl Role {
    /// Reads a Role or ClusterRole object.
    pub(crate) fn read(object: &Object, index: usize, namespace: Option<String>) -> Option<Role> {
        let kind = match (object.kind.as_ref(), object.group()) {
            ("Role", RBAC_GROUP) => RoleKind::Role,
            ("ClusterRole", RBAC_GROUP) => RoleKind::ClusterRole,
            _ => return None,
        };
        let rules = object
            .root
            .get("rules")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .map(read_rule)
            .collect();
        let aggregation = if kind == RoleKind::ClusterRole {
            object.root.get("aggregationRule").map(|a| {
                a.get("clusterRoleSelectors")
                    .and_then(Node::as_seq)
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|s| LabelSelector::parse(s).ok())
                    .collect()
            })
        } else {
            None
        };
        Some(Role {
            kind,
            namespace: if kind == RoleKind::Role {
                namespace
            } else {
                None
            },
            name: object.name.to_string(),
            labels: object
                .metadata()
                .and_then(|m| m.get("labels"))
                .map(labels_of)
                .unwrap_or_default(),
            rules,
            aggregation,
            object: Some(index),
        })
    }

    /// `ClusterRole name` or `Role ns/name`.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind.as_str(), self.name),
            None => format!("{} {}", self.kind.as_str(), self.name),
        }
    }
}

fn strings(node: Option<&Node>) -> Vec<String> {
    node.and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .filter_map(|n| n.as_scalar().map(|s| s.text.to_string()))
        .collect()
}

fn read_rule(node: &Node) -> Rule {
    Rule {
        verbs: strings(node.get("verbs")),
        api_groups: strings(node.get("apiGroups")),
        resources: strings(node.get("resources")),
        resource_names: strings(node.get("resourceNames")),
        non_resource_urls: strings(node.get("nonResourceURLs")),
        pos: node.pos,
    }
}

/// `roleRef`: what a binding grants.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleRef {
    /// `Role` or `ClusterRole`.
    pub kind: RoleKind,
    /// The role's name.
    pub name: String,
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Debug, Clone)]
pub struct Binding {
    /// Its kind.
    pub kind: BindingKind,
    /// Its namespace (RoleBindings only): where it grants.
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
    /// The role it grants; `None` when `roleRef` is missing or names an unknown kind (the API
    /// server rejects such a binding; it grants nothing here).
    pub role_ref: Option<RoleRef>,
    /// Its subjects, each with the index of its entry under `subjects` and where it is
    /// written. Subjects that match nobody (an unknown kind, a ServiceAccount without a
    /// namespace in a ClusterRoleBinding, an empty name) are left out.
    pub subjects: Vec<(usize, Subject, Pos)>,
    /// The snapshot object it comes from.
    pub object: usize,
}

impl Binding {
    pub(crate) fn read(
        object: &Object,
        index: usize,
        namespace: Option<String>,
    ) -> Option<Binding> {
        let kind = match (object.kind.as_ref(), object.group()) {
            ("RoleBinding", RBAC_GROUP) => BindingKind::RoleBinding,
            ("ClusterRoleBinding", RBAC_GROUP) => BindingKind::ClusterRoleBinding,
            _ => return None,
        };
        let namespace = if kind == BindingKind::RoleBinding {
            namespace
        } else {
            None
        };
        let role_ref = object.root.get("roleRef").and_then(|r| {
            let kind = match r.get("kind").and_then(Node::as_str)? {
                "Role" if kind == BindingKind::RoleBinding => RoleKind::Role,
                "ClusterRole" => RoleKind::ClusterRole,
                _ => return None,
            };
            let name = r.get("name").and_then(Node::as_str)?.to_string();
            Some(RoleRef { kind, name })
        });
        let mut subjects = Vec::new();
        for (i, s) in object
            .root
            .get("subjects")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let Some(name) = s
                .get("name")
                .and_then(Node::as_str)
                .filter(|n| !n.is_empty())
            else {
                continue;
            };
            let subject = match s.get("kind").and_then(Node::as_str) {
                Some("User") => Subject::user(name),
                Some("Group") => Subject::group(name),
                Some("ServiceAccount") => {
                    let Some(ns) = s
                        .get("namespace")
                        .and_then(Node::as_str)
                        .filter(|n| !n.is_empty())
                        .map(str::to_string)
                        .or_else(|| namespace.clone())
                    else {
                        continue;
                    };
                    Subject::service_account(&ns, name)
                }
                _ => continue,
            };
            subjects.push((i, subject, s.pos));
        }
        Some(Binding {
            kind,
            namespace,
            name: object.name.to_string(),
            role_ref,
            subjects,
            object: index,
        })
    }

    /// `ClusterRoleBinding name` or `RoleBinding ns/name`.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind.as_str(), self.name),
            None => format!("{} {}", self.kind.as_str(), self.name),
        }
    }
}
