//! The RBAC state of a snapshot, indexed: roles with their effective (aggregated) rules,
//! bindings resolved to roles, and the queries `can`, `who_can` and effective permissions.

use std::collections::{BTreeMap, HashMap, HashSet};

use bulwark_k8s::{Node, Snapshot};
use serde::Serialize;

use crate::builtin;
use crate::model::{Binding, BindingKind, Role, RoleKind, Rule, Subject, SubjectKind};
use crate::request::{Request, Resource, Target, rule_allows};

/// Who makes a request: a user name and the groups it belongs to, as an authenticator would
/// hand it to the authorizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The user name (`system:serviceaccount:<ns>:<name>` for a service account).
    pub user: String,
    /// Its groups, implicit ones included.
    pub groups: Vec<String>,
}

impl Identity {
    /// A service account: user `system:serviceaccount:<ns>:<name>` in the groups
    /// `system:serviceaccounts`, `system:serviceaccounts:<ns>` and `system:authenticated`.
    pub fn service_account(namespace: &str, name: &str) -> Identity {
        Identity {
            user: format!("system:serviceaccount:{namespace}:{name}"),
            groups: vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{namespace}"),
                "system:authenticated".into(),
            ],
        }
    }

    /// A user in `groups`, plus `system:authenticated` (or `system:unauthenticated` for
    /// `system:anonymous`). A user named `system:serviceaccount:<ns>:<name>` is that service
    /// account, with its groups.
    pub fn user(name: &str, groups: &[&str]) -> Identity {
        let mut id = match Subject::user(name).as_service_account() {
            Some((ns, sa)) => Identity::service_account(ns, sa),
            None => Identity {
                user: name.to_string(),
                groups: Vec::new(),
            },
        };
        id.groups.extend(groups.iter().map(|g| (*g).to_string()));
        let implicit = if name == "system:anonymous" {
            "system:unauthenticated"
        } else {
            "system:authenticated"
        };
        if !id.groups.iter().any(|g| g == implicit) {
            id.groups.push(implicit.to_string());
        }
        id
    }

    /// Whether a binding subject names this identity (directly or through one of its groups).
    pub fn matches(&self, subject: &Subject) -> bool {
        match subject.kind {
            SubjectKind::User => subject.name == self.user,
            SubjectKind::Group => self.groups.contains(&subject.name),
            SubjectKind::ServiceAccount => subject.namespace.as_deref().is_some_and(|ns| {
                self.user
                    .strip_prefix("system:serviceaccount:")
                    .and_then(|r| r.split_once(':'))
                    == Some((ns, subject.name.as_str()))
            }),
        }
    }
}

/// An object of the manifests (or a built-in role), as query answers name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectRef {
    /// Its kind.
    pub kind: String,
    /// Its namespace, for namespaced objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
    /// The file it is in; `None` for a built-in role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The line it starts on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Whether it is a built-in role rather than an object of the manifests.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub builtin: bool,
}

impl ObjectRef {
    /// `ClusterRole name`, `RoleBinding ns/name`.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// One reason a request is allowed: a binding, the role it grants and the rule that matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// The binding.
    pub binding: ObjectRef,
    /// The role the binding grants.
    pub role: ObjectRef,
    /// The role the matching rule is written in: the bound role, or for an aggregated
    /// ClusterRole the aggregated role the rule comes from.
    #[serde(rename = "ruleIn")]
    pub rule_in: ObjectRef,
    /// The index of the rule in `rule_in`'s `rules`.
    pub rule: usize,
    /// Where the grant applies: the RoleBinding's namespace, or `None` for cluster-wide.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// A subject, exactly as bound, and the grants that allow it a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectGrant {
    /// The subject.
    #[serde(flatten)]
    pub subject: Subject,
    /// Every binding (with its role and matching rule) that allows the request.
    pub grants: Vec<Grant>,
}

/// A binding whose role is not in the manifests and not built in: it may grant the request,
/// but its rules are unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unresolved {
    /// The binding.
    pub binding: ObjectRef,
    /// The role it names (kind, namespace for a Role, name).
    pub role: ObjectRef,
    /// Its subjects.
    pub subjects: Vec<Subject>,
}

/// The answer to [`Rbac::who_can`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhoCan {
    /// Subjects allowed, sorted by kind, namespace and name.
    pub subjects: Vec<SubjectGrant>,
    /// Bindings that apply to the request but name a role that is not known.
    pub unresolved: Vec<Unresolved>,
}

/// One effective rule of a subject: where it applies and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Permission {
    /// The namespace it applies in; `None` for cluster-wide (a ClusterRoleBinding).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The rule.
    pub rule: Rule,
    /// The binding, role and rule index it comes from.
    pub grant: Grant,
}

/// The effective permissions of one subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectPermissions {
    /// The subject, as bound.
    #[serde(flatten)]
    pub subject: Subject,
    /// Its permissions: its own bindings and, for service accounts and users, those of its
    /// implicit groups.
    pub permissions: Vec<Permission>,
    /// Bindings naming it whose role is unknown.
    pub unresolved: Vec<Unresolved>,
}

/// A rule of a role: `(role index, rule index)`.
pub(crate) type RuleRef = (usize, usize);

/// The RBAC objects of a snapshot, resolved and indexed.
#[derive(Debug)]
pub struct Rbac<'a> {
    pub(crate) snapshot: &'a Snapshot,
    pub(crate) roles: Vec<Role>,
    role_index: HashMap<(RoleKind, String, String), usize>,
    /// Effective rules of each role (aggregation resolved).
    pub(crate) effective: Vec<Vec<RuleRef>>,
    pub(crate) bindings: Vec<Binding>,
    /// The role each binding grants, when known.
    pub(crate) resolved: Vec<Option<usize>>,
    cluster_bindings: Vec<usize>,
    namespace_bindings: HashMap<String, Vec<usize>>,
    subject_bindings: BTreeMap<Subject, Vec<usize>>,
    custom_cluster_scoped: HashSet<(String, String)>,
    /// API groups that CustomResourceDefinitions of the snapshot define.
    pub(crate) crd_groups: HashSet<String>,
}

impl<'a> Rbac<'a> {
    /// Reads every Role, ClusterRole, RoleBinding and ClusterRoleBinding of `snapshot`. An
    /// object defined more than once (same kind, namespace and name) counts once: the last
    /// definition wins, as applying the files in order would leave it.
    pub fn new(snapshot: &'a Snapshot) -> Rbac<'a> {
        let default_ns = snapshot.default_namespace();
        let mut roles = builtin::roles();
        let mut role_index: HashMap<(RoleKind, String, String), usize> = roles
            .iter()
            .enumerate()
            .map(|(i, r)| {
                (
                    (
                        r.kind,
                        r.namespace.clone().unwrap_or_default(),
                        r.name.clone(),
                    ),
                    i,
                )
            })
            .collect();
        let mut bindings: Vec<Binding> = Vec::new();
        let mut binding_index: HashMap<(BindingKind, String, String), usize> = HashMap::new();
        let mut custom_cluster_scoped = HashSet::new();
        let mut crd_groups = HashSet::new();
        for (i, o) in snapshot.objects().iter().enumerate() {
            let ns = o.namespace.as_deref().unwrap_or(default_ns).to_string();
            if let Some(role) = Role::read(o, i, Some(ns.clone())) {
                let key = (
                    role.kind,
                    role.namespace.clone().unwrap_or_default(),
                    role.name.clone(),
                );
                if let Some(&j) = role_index.get(&key) {
                    roles[j] = role;
                } else {
                    role_index.insert(key, roles.len());
                    roles.push(role);
                }
            } else if let Some(b) = Binding::read(o, i, Some(ns)) {
                let key = (
                    b.kind,
                    b.namespace.clone().unwrap_or_default(),
                    b.name.clone(),
                );
                if let Some(&j) = binding_index.get(&key) {
                    bindings[j] = b;
                } else {
                    binding_index.insert(key, bindings.len());
                    bindings.push(b);
                }
            } else if &*o.kind == "CustomResourceDefinition"
                && o.group() == "apiextensions.k8s.io"
                && let Some(g) = o.root.path(&["spec", "group"]).and_then(Node::as_str)
            {
                crd_groups.insert(g.to_string());
                if o.root.path(&["spec", "scope"]).and_then(Node::as_str) == Some("Cluster")
                    && let Some(p) = o
                        .root
                        .path(&["spec", "names", "plural"])
                        .and_then(Node::as_str)
                {
                    custom_cluster_scoped.insert((g.to_string(), p.to_string()));
                }
            }
        }
        let effective = effective_rules(&roles);
        let resolved: Vec<Option<usize>> = bindings
            .iter()
            .map(|b| {
                let r = b.role_ref.as_ref()?;
                let ns = match r.kind {
                    RoleKind::Role => b.namespace.clone().unwrap_or_default(),
                    RoleKind::ClusterRole => String::new(),
                };
                role_index.get(&(r.kind, ns, r.name.clone())).copied()
            })
            .collect();
        let mut cluster_bindings = Vec::new();
        let mut namespace_bindings: HashMap<String, Vec<usize>> = HashMap::new();
        let mut subject_bindings: BTreeMap<Subject, Vec<usize>> = BTreeMap::new();
        for (i, b) in bindings.iter().enumerate() {
            match &b.namespace {
                Some(ns) => namespace_bindings.entry(ns.clone()).or_default().push(i),
                None => cluster_bindings.push(i),
            }
            for (_, s, _) in &b.subjects {
                let v = subject_bindings.entry(s.clone()).or_default();
                if v.last() != Some(&i) {
                    v.push(i);
                }
            }
        }
        Rbac {
            snapshot,
            roles,
            role_index,
            effective,
            bindings,
            resolved,
            cluster_bindings,
            namespace_bindings,
            subject_bindings,
            custom_cluster_scoped,
            crd_groups,
        }
    }

    /// Every binding (deduplicated), in input order.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// The role a binding grants, if it is known.
    pub fn role_of(&self, binding: &Binding) -> Option<&Role> {
        let i = self
            .bindings
            .iter()
            .position(|b| std::ptr::eq(b, binding))?;
        self.resolved[i].map(|r| &self.roles[r])
    }

    /// The role `kind` `namespace/name` (built-in roles included).
    pub fn role(&self, kind: RoleKind, namespace: Option<&str>, name: &str) -> Option<&Role> {
        self.role_index
            .get(&(kind, namespace.unwrap_or("").to_string(), name.to_string()))
            .map(|&i| &self.roles[i])
    }

    /// The effective rules of a role: its own, or for an aggregated ClusterRole the rules of
    /// every ClusterRole its selectors match, transitively (never its own, which the
    /// aggregation controller overwrites).
    pub fn effective_rules(&self, role: &Role) -> Vec<&Rule> {
        let Some(i) = self.roles.iter().position(|r| std::ptr::eq(r, role)) else {
            return Vec::new();
        };
        self.effective[i]
            .iter()
            .map(|&(r, k)| &self.roles[r].rules[k])
            .collect()
    }

    /// Whether `resource` is cluster-scoped: a Kubernetes resource known to be, or a custom
    /// resource whose CustomResourceDefinition in the manifests says `scope: Cluster`.
    pub fn is_cluster_scoped(&self, resource: &Resource) -> bool {
        resource.is_cluster_scoped()
            || self
                .custom_cluster_scoped
                .contains(&(resource.group.clone(), resource.resource.clone()))
    }

    /// The bindings that can apply to a request: ClusterRoleBindings always, RoleBindings of
    /// the request's namespace for a namespaced resource request.
    fn applicable(&self, request: &Request) -> impl Iterator<Item = usize> + '_ {
        let ns = match (&request.target, &request.namespace) {
            (Target::Resource { .. }, Some(ns)) => self.namespace_bindings.get(ns),
            _ => None,
        };
        self.cluster_bindings
            .iter()
            .chain(ns.into_iter().flatten())
            .copied()
    }

    /// The first rule of binding `b`'s role that allows `request`.
    pub(crate) fn allowing_rule(&self, b: usize, request: &Request) -> Option<RuleRef> {
        let role = self.resolved[b]?;
        self.effective[role]
            .iter()
            .copied()
            .find(|&(r, k)| rule_allows(&self.roles[r].rules[k], request))
    }

    /// Every grant that allows `who` to make `request`, in binding order.
    pub fn can(&self, who: &Identity, request: &Request) -> Vec<Grant> {
        self.applicable(request)
            .filter(|&b| {
                self.bindings[b]
                    .subjects
                    .iter()
                    .any(|(_, s, _)| who.matches(s))
            })
            .filter_map(|b| Some(self.grant(b, self.allowing_rule(b, request)?)))
            .collect()
    }

    /// Every subject, exactly as bound (a group stays a group), that `request` is allowed for,
    /// with the grants that allow it; and the applicable bindings whose role is unknown.
    /// Members of `system:masters` are allowed everything without RBAC and are not listed
    /// unless bound.
    pub fn who_can(&self, request: &Request) -> WhoCan {
        let mut subjects: BTreeMap<Subject, Vec<Grant>> = BTreeMap::new();
        let mut unresolved = Vec::new();
        for b in self.applicable(request) {
            let binding = &self.bindings[b];
            if self.resolved[b].is_none() {
                if let Some(u) = self.unresolved(b) {
                    unresolved.push(u);
                }
                continue;
            }
            let Some(rule) = self.allowing_rule(b, request) else {
                continue;
            };
            let grant = self.grant(b, rule);
            for (_, s, _) in &binding.subjects {
                let grants = subjects.entry(s.clone()).or_default();
                if !grants.contains(&grant) {
                    grants.push(grant.clone());
                }
            }
        }
        unresolved.sort_by(|a, b| {
            (&a.binding.kind, &a.binding.namespace, &a.binding.name).cmp(&(
                &b.binding.kind,
                &b.binding.namespace,
                &b.binding.name,
            ))
        });
        WhoCan {
            subjects: subjects
                .into_iter()
                .map(|(subject, grants)| SubjectGrant { subject, grants })
                .collect(),
            unresolved,
        }
    }

    /// Every subject named by a binding, sorted.
    pub fn subjects(&self) -> impl Iterator<Item = &Subject> {
        self.subject_bindings.keys()
    }

    /// The effective permissions of `subject`: for a group, the bindings naming it; for a
    /// service account or user, also those of its implicit groups (`system:serviceaccounts`,
    /// `system:serviceaccounts:<ns>`, `system:authenticated`).
    pub fn permissions(&self, subject: &Subject) -> SubjectPermissions {
        let identity = match subject.kind {
            SubjectKind::Group => None,
            SubjectKind::ServiceAccount => subject
                .as_service_account()
                .map(|(ns, n)| Identity::service_account(ns, n)),
            SubjectKind::User => Some(Identity::user(&subject.name, &[])),
        };
        let mut names: Vec<Subject> = vec![subject.clone()];
        if let Some(id) = &identity {
            names.extend(id.groups.iter().map(|g| Subject::group(g)));
            if subject.kind == SubjectKind::User
                && let Some((ns, n)) = subject.as_service_account()
            {
                names.push(Subject::service_account(ns, n));
            }
        }
        let mut binding_ids: Vec<usize> = names
            .iter()
            .filter_map(|s| self.subject_bindings.get(s))
            .flatten()
            .copied()
            .collect();
        binding_ids.sort_unstable();
        binding_ids.dedup();
        let mut permissions = Vec::new();
        let mut unresolved = Vec::new();
        for b in binding_ids {
            let Some(role) = self.resolved[b] else {
                unresolved.extend(self.unresolved(b));
                continue;
            };
            for &rule in &self.effective[role] {
                permissions.push(Permission {
                    namespace: self.bindings[b].namespace.clone(),
                    rule: self.roles[rule.0].rules[rule.1].clone(),
                    grant: self.grant(b, rule),
                });
            }
        }
        SubjectPermissions {
            subject: subject.clone(),
            permissions,
            unresolved,
        }
    }

    /// The effective permissions of every bound subject, sorted by subject.
    pub fn all_permissions(&self) -> Vec<SubjectPermissions> {
        self.subjects().map(|s| self.permissions(s)).collect()
    }

    pub(crate) fn binding_ref(&self, b: usize) -> ObjectRef {
        let binding = &self.bindings[b];
        let o = &self.snapshot.objects()[binding.object];
        ObjectRef {
            kind: binding.kind.as_str().to_string(),
            namespace: binding.namespace.clone(),
            name: binding.name.clone(),
            path: Some(o.path.to_string()),
            line: Some(o.pos().line),
            builtin: false,
        }
    }

    pub(crate) fn role_ref(&self, r: usize) -> ObjectRef {
        let role = &self.roles[r];
        let o = role.object.map(|i| &self.snapshot.objects()[i]);
        ObjectRef {
            kind: role.kind.as_str().to_string(),
            namespace: role.namespace.clone(),
            name: role.name.clone(),
            path: o.map(|o| o.path.to_string()),
            line: o.map(|o| o.pos().line),
            builtin: o.is_none(),
        }
    }

    pub(crate) fn grant(&self, b: usize, (r, k): RuleRef) -> Grant {
        let role = self.resolved[b].unwrap_or(r);
        Grant {
            binding: self.binding_ref(b),
            role: self.role_ref(role),
            rule_in: self.role_ref(r),
            rule: k,
            namespace: self.bindings[b].namespace.clone(),
        }
    }

    fn unresolved(&self, b: usize) -> Option<Unresolved> {
        let binding = &self.bindings[b];
        let r = binding.role_ref.as_ref()?;
        Some(Unresolved {
            binding: self.binding_ref(b),
            role: ObjectRef {
                kind: r.kind.as_str().to_string(),
                namespace: match r.kind {
                    RoleKind::Role => binding.namespace.clone(),
                    RoleKind::ClusterRole => None,
                },
                name: r.name.clone(),
                path: None,
                line: None,
                builtin: false,
            },
            subjects: binding.subjects.iter().map(|(_, s, _)| s.clone()).collect(),
        })
    }
}

/// Effective rules of every role: own rules, or for aggregated ClusterRoles the union of the
/// own rules of every non-aggregated ClusterRole reachable through selectors (an aggregated
/// role reached contributes what it aggregates). Linear in roles per aggregated role.
fn effective_rules(roles: &[Role]) -> Vec<Vec<RuleRef>> {
    let cluster_roles: Vec<usize> = roles
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind == RoleKind::ClusterRole)
        .map(|(i, _)| i)
        .collect();
    roles
        .iter()
        .enumerate()
        .map(|(i, role)| {
            if role.aggregation.is_none() {
                return (0..role.rules.len()).map(|k| (i, k)).collect();
            }
            let mut out: Vec<RuleRef> = Vec::new();
            let mut seen: HashSet<usize> = HashSet::from([i]);
            let mut stack = vec![i];
            while let Some(a) = stack.pop() {
                let selectors = roles[a].aggregation.as_deref().unwrap_or(&[]);
                for &c in &cluster_roles {
                    if seen.contains(&c) || !selectors.iter().any(|s| s.matches(&roles[c].labels)) {
                        continue;
                    }
                    seen.insert(c);
                    if roles[c].aggregation.is_some() {
                        stack.push(c);
                    } else {
                        out.extend((0..roles[c].rules.len()).map(|k| (c, k)));
                    }
                }
            }
            out.sort_unstable();
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::tests::snapshot;

    const SECRET_READER: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: secret-reader}\nrules: [{apiGroups: [''], resources: [secrets], verbs: [get, list]}]\n";

    fn secrets(namespace: Option<&str>) -> Request {
        Request::resource("get", Resource::new("", "secrets", None), namespace)
    }

    fn names(w: &WhoCan) -> Vec<String> {
        w.subjects.iter().map(|s| s.subject.to_string()).collect()
    }

    #[test]
    fn a_rolebinding_to_a_clusterrole_grants_only_in_its_namespace() {
        let s = snapshot(&format!(
            "{SECRET_READER}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: b, namespace: shop}}\nroleRef: {{kind: ClusterRole, name: secret-reader}}\nsubjects: [{{kind: ServiceAccount, name: api}}]\n"
        ));
        let rbac = Rbac::new(&s);
        assert_eq!(
            names(&rbac.who_can(&secrets(Some("shop")))),
            ["ServiceAccount shop/api"]
        );
        assert!(rbac.who_can(&secrets(Some("other"))).subjects.is_empty());
        assert!(
            rbac.who_can(&secrets(None)).subjects.is_empty(),
            "a RoleBinding never grants cluster-wide"
        );
        let g = &rbac.who_can(&secrets(Some("shop"))).subjects[0].grants[0];
        assert_eq!(g.binding.display(), "RoleBinding shop/b");
        assert_eq!(g.role.display(), "ClusterRole secret-reader");
        assert_eq!(g.namespace.as_deref(), Some("shop"));
    }

    #[test]
    fn a_clusterrolebinding_grants_everywhere_and_cluster_wide() {
        let s = snapshot(&format!(
            "{SECRET_READER}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: b}}\nroleRef: {{kind: ClusterRole, name: secret-reader}}\nsubjects: [{{kind: Group, name: auditors}}, {{kind: ServiceAccount, name: nons}}]\n"
        ));
        let rbac = Rbac::new(&s);
        for ns in [None, Some("a"), Some("b")] {
            assert_eq!(
                names(&rbac.who_can(&secrets(ns))),
                ["Group auditors"],
                "a group stays a group; a service account without a namespace in a ClusterRoleBinding matches nobody"
            );
        }
    }

    #[test]
    fn aggregation_is_transitive_and_replaces_own_rules() {
        let s = snapshot(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: top}\naggregationRule: {clusterRoleSelectors: [{matchLabels: {agg: top}}]}\nrules: [{apiGroups: [''], resources: [nodes], verbs: [delete]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: middle, labels: {agg: top}}\naggregationRule: {clusterRoleSelectors: [{matchLabels: {agg: middle}}, {matchLabels: {agg: top}}]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: leaf, labels: {agg: middle}}\nrules: [{apiGroups: [''], resources: [secrets], verbs: [get]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: unrelated, labels: {agg: other}}\nrules: [{apiGroups: [''], resources: [pods], verbs: [get]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {kind: ClusterRole, name: top}\nsubjects: [{kind: User, name: alice}]\n",
        );
        let rbac = Rbac::new(&s);
        let w = rbac.who_can(&secrets(None));
        assert_eq!(names(&w), ["User alice"]);
        assert_eq!(w.subjects[0].grants[0].rule_in.name, "leaf");
        let pods = Request::resource("get", Resource::new("", "pods", None), None);
        assert!(rbac.who_can(&pods).subjects.is_empty(), "unmatched labels");
        let nodes = Request::resource("delete", Resource::new("", "nodes", None), None);
        assert!(
            rbac.who_can(&nodes).subjects.is_empty(),
            "an aggregated role's own rules are overwritten by the controller"
        );
    }

    #[test]
    fn built_in_roles_resolve_and_aggregate_manifest_roles() {
        let s = snapshot(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: widgets-view, labels: {rbac.authorization.k8s.io/aggregate-to-view: 'true'}}\nrules: [{apiGroups: [example.com], resources: [widgets], verbs: [get]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: viewers, namespace: shop}\nroleRef: {kind: ClusterRole, name: view}\nsubjects: [{kind: Group, name: viewers}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: editors, namespace: shop}\nroleRef: {kind: ClusterRole, name: edit}\nsubjects: [{kind: Group, name: editors}]\n",
        );
        let rbac = Rbac::new(&s);
        let widgets = Request::resource(
            "get",
            Resource::new("example.com", "widgets", None),
            Some("shop"),
        );
        assert_eq!(
            names(&rbac.who_can(&widgets)),
            ["Group editors", "Group viewers"],
            "view aggregates into edit too"
        );
        assert_eq!(
            names(&rbac.who_can(&secrets(Some("shop")))),
            ["Group editors"],
            "view cannot read Secrets"
        );
        let exec = Request::resource(
            "create",
            Resource::new("", "pods", Some("exec")),
            Some("shop"),
        );
        assert_eq!(names(&rbac.who_can(&exec)), ["Group editors"]);
        assert!(rbac.who_can(&exec).unresolved.is_empty());
        let g = &rbac.who_can(&exec).subjects[0].grants[0];
        assert!(g.role.builtin && g.rule_in.name == "system:aggregate-to-edit");
    }

    #[test]
    fn resource_names_answer_only_named_questions() {
        let s = snapshot(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: one, namespace: shop}\nrules: [{apiGroups: [''], resources: [secrets], resourceNames: [db], verbs: [get]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: one, namespace: shop}\nroleRef: {kind: Role, name: one}\nsubjects: [{kind: ServiceAccount, name: api, namespace: shop}]\n",
        );
        let rbac = Rbac::new(&s);
        assert!(rbac.who_can(&secrets(Some("shop"))).subjects.is_empty());
        assert_eq!(
            names(&rbac.who_can(&secrets(Some("shop")).named("db"))),
            ["ServiceAccount shop/api"]
        );
        assert!(
            rbac.who_can(&secrets(Some("shop")).named("other"))
                .subjects
                .is_empty()
        );
    }

    #[test]
    fn implicit_groups_reach_service_accounts_and_users() {
        let s = snapshot(&format!(
            "{SECRET_READER}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: all-sa, namespace: shop}}\nroleRef: {{kind: ClusterRole, name: secret-reader}}\nsubjects: [{{kind: Group, name: 'system:serviceaccounts:shop'}}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: everyone}}\nroleRef: {{kind: ClusterRole, name: secret-reader}}\nsubjects: [{{kind: Group, name: 'system:authenticated'}}]\n"
        ));
        let rbac = Rbac::new(&s);
        let sa = Identity::service_account("shop", "api");
        assert_eq!(rbac.can(&sa, &secrets(Some("shop"))).len(), 2);
        assert_eq!(
            rbac.can(
                &Identity::service_account("other", "api"),
                &secrets(Some("shop"))
            )
            .len(),
            1
        );
        assert_eq!(
            rbac.can(&Identity::user("bob", &[]), &secrets(None)).len(),
            1
        );
        assert!(
            rbac.can(&Identity::user("system:anonymous", &[]), &secrets(None))
                .is_empty()
        );
        assert_eq!(
            names(&rbac.who_can(&secrets(Some("shop")))),
            [
                "Group system:authenticated",
                "Group system:serviceaccounts:shop"
            ]
        );
        let p = rbac.permissions(&Subject::service_account("shop", "api"));
        assert_eq!(p.permissions.len(), 2, "its groups' bindings count");
        let as_user = Identity::user("system:serviceaccount:shop:api", &[]);
        assert_eq!(as_user, Identity::service_account("shop", "api"));
    }

    #[test]
    fn service_account_subjects_default_to_the_binding_namespace_and_match_by_user_name() {
        let s = snapshot(&format!(
            "{SECRET_READER}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: b, namespace: shop}}\nroleRef: {{kind: ClusterRole, name: secret-reader}}\nsubjects: [{{kind: ServiceAccount, name: api}}, {{kind: User, name: 'system:serviceaccount:shop:worker'}}]\n"
        ));
        let rbac = Rbac::new(&s);
        assert_eq!(
            rbac.can(
                &Identity::service_account("shop", "api"),
                &secrets(Some("shop"))
            )
            .len(),
            1
        );
        assert!(
            rbac.can(
                &Identity::service_account("default", "api"),
                &secrets(Some("shop"))
            )
            .is_empty()
        );
        assert_eq!(
            rbac.can(
                &Identity::service_account("shop", "worker"),
                &secrets(Some("shop"))
            )
            .len(),
            1
        );
        assert_eq!(
            Subject::user("system:serviceaccount:shop:worker").as_service_account(),
            Some(("shop", "worker"))
        );
    }

    #[test]
    fn non_resource_urls_are_granted_only_by_clusterrolebindings() {
        let s = snapshot(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: metrics}\nrules: [{nonResourceURLs: ['/metrics'], verbs: [get]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rb, namespace: shop}\nroleRef: {kind: ClusterRole, name: metrics}\nsubjects: [{kind: User, name: ns-user}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: crb}\nroleRef: {kind: ClusterRole, name: metrics}\nsubjects: [{kind: User, name: prom}]\n",
        );
        let rbac = Rbac::new(&s);
        assert_eq!(
            names(&rbac.who_can(&Request::non_resource("get", "/metrics"))),
            ["User prom"]
        );
        assert!(
            rbac.who_can(&Request::non_resource("get", "/healthz"))
                .subjects
                .is_empty()
        );
    }

    #[test]
    fn unknown_roles_are_reported_and_invalid_refs_ignored() {
        let s = snapshot(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rb, namespace: shop}\nroleRef: {kind: Role, name: missing}\nsubjects: [{kind: User, name: u}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: crb}\nroleRef: {kind: Role, name: cannot-be}\nsubjects: [{kind: User, name: v}]\n",
        );
        let rbac = Rbac::new(&s);
        let w = rbac.who_can(&secrets(Some("shop")));
        assert!(w.subjects.is_empty());
        assert_eq!(w.unresolved.len(), 1, "{w:?}");
        assert_eq!(w.unresolved[0].role.display(), "Role shop/missing");
        assert!(rbac.who_can(&secrets(Some("other"))).unresolved.is_empty());
    }

    #[test]
    fn the_last_definition_of_an_object_wins() {
        let s = snapshot(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: [{apiGroups: [''], resources: [secrets], verbs: [get]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: [{apiGroups: [''], resources: [pods], verbs: [get]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {kind: ClusterRole, name: r}\nsubjects: [{kind: User, name: u}]\n",
        );
        let rbac = Rbac::new(&s);
        assert!(rbac.who_can(&secrets(None)).subjects.is_empty());
        let pods = Request::resource("get", Resource::new("", "pods", None), None);
        assert_eq!(rbac.who_can(&pods).subjects.len(), 1);
        assert_eq!(rbac.bindings().len(), 1);
    }

    #[test]
    fn cluster_scoped_custom_resources_are_known() {
        let s = snapshot(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: gadgets.example.com}\nspec: {group: example.com, scope: Cluster, names: {plural: gadgets, kind: Gadget}}\n",
        );
        let rbac = Rbac::new(&s);
        assert!(rbac.is_cluster_scoped(&Resource::new("example.com", "gadgets", None)));
        assert!(!rbac.is_cluster_scoped(&Resource::new("example.com", "widgets", None)));
        assert!(rbac.is_cluster_scoped(&Resource::new("", "nodes", Some("proxy"))));
    }

    #[test]
    fn every_subject_has_its_permissions() {
        let s = snapshot(&format!(
            "{SECRET_READER}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: b}}\nroleRef: {{kind: ClusterRole, name: secret-reader}}\nsubjects: [{{kind: Group, name: g}}, {{kind: User, name: u}}]\n"
        ));
        let rbac = Rbac::new(&s);
        let all = rbac.all_permissions();
        assert_eq!(all.len(), 2);
        assert!(
            all.iter()
                .all(|p| p.permissions.len() == 1 && p.permissions[0].namespace.is_none())
        );
        let json = serde_json::to_value(&all[0]).unwrap();
        assert_eq!(json["kind"], "Group");
        assert_eq!(json["permissions"][0]["rule"]["verbs"][0], "get");
    }
}
