//! The RBAC checks, one file each, and what they share: which grants count, how a finding
//! names its subject (and the workloads that run as it), and how scope sets severity.

use std::collections::{BTreeMap, HashMap};

use bulwark_k8s::{Snapshot, Workload};
use bulwark_model::{AnalysisCheck, Finding, Severity};

use crate::model::{Binding, BindingKind, RoleKind, Subject, SubjectKind};
use crate::rbac::{Rbac, RuleRef};
use crate::request::{Request, Resource, rule_allows};

mod rbac001_cluster_admin_binding;
mod rbac002_system_masters_group;
mod rbac003_wildcard_rule;
mod rbac004_secrets_read;
mod rbac005_pod_creation;
mod rbac006_pods_exec;
mod rbac007_pods_attach;
mod rbac008_pods_portforward;
mod rbac009_ephemeral_containers;
mod rbac010_bind_escalate;
mod rbac011_impersonate;
mod rbac012_nodes_proxy;
mod rbac013_serviceaccount_token;
mod rbac014_csr_approval;
mod rbac015_admission_webhooks;
mod rbac016_persistentvolume_create;
mod rbac017_services_status;
mod rbac018_node_pod_status;
mod rbac019_aws_auth_write;
mod rbac020_coredns_write;
mod rbac021_missing_role;
mod rbac022_namespace_admin_role_binding;

/// Every check, in id order.
pub(crate) static CHECKS: &[&AnalysisCheck] = &[
    &rbac001_cluster_admin_binding::META,
    &rbac002_system_masters_group::META,
    &rbac003_wildcard_rule::META,
    &rbac004_secrets_read::META,
    &rbac005_pod_creation::META,
    &rbac006_pods_exec::META,
    &rbac007_pods_attach::META,
    &rbac008_pods_portforward::META,
    &rbac009_ephemeral_containers::META,
    &rbac010_bind_escalate::META,
    &rbac011_impersonate::META,
    &rbac012_nodes_proxy::META,
    &rbac013_serviceaccount_token::META,
    &rbac014_csr_approval::META,
    &rbac015_admission_webhooks::META,
    &rbac016_persistentvolume_create::META,
    &rbac017_services_status::META,
    &rbac018_node_pod_status::META,
    &rbac019_aws_auth_write::META,
    &rbac020_coredns_write::META,
    &rbac021_missing_role::META,
    &rbac022_namespace_admin_role_binding::META,
];

/// The checks that are one risky permission: a grant is risky when its role allows any of
/// their probe requests where the binding applies.
static RISKS: &[&Risk] = &[
    &rbac004_secrets_read::RISK,
    &rbac005_pod_creation::RISK,
    &rbac006_pods_exec::RISK,
    &rbac007_pods_attach::RISK,
    &rbac008_pods_portforward::RISK,
    &rbac009_ephemeral_containers::RISK,
    &rbac010_bind_escalate::RISK,
    &rbac011_impersonate::RISK,
    &rbac012_nodes_proxy::RISK,
    &rbac013_serviceaccount_token::RISK,
    &rbac014_csr_approval::RISK,
    &rbac015_admission_webhooks::RISK,
    &rbac016_persistentvolume_create::RISK,
    &rbac017_services_status::RISK,
    &rbac018_node_pod_status::RISK,
    &rbac019_aws_auth_write::RISK,
    &rbac020_coredns_write::RISK,
];

/// One request a risky permission is made of: any of `verbs` on any of `resources`
/// (`resource` or `resource/subresource`) in `group`.
pub(crate) struct Probe {
    verbs: &'static [&'static str],
    group: &'static str,
    resources: &'static [&'static str],
    /// Only in this namespace (`kube-system` for aws-auth and coredns).
    namespace: Option<&'static str>,
    /// Only this object (`aws-auth`).
    name: Option<&'static str>,
    /// Whether a rule restricted by resourceNames still counts (signer names).
    any_name: bool,
}

impl Probe {
    pub(crate) const fn new(
        verbs: &'static [&'static str],
        group: &'static str,
        resources: &'static [&'static str],
    ) -> Probe {
        Probe {
            verbs,
            group,
            resources,
            namespace: None,
            name: None,
            any_name: false,
        }
    }

    /// Only the object `namespace/name`.
    pub(crate) const fn object(mut self, namespace: &'static str, name: &'static str) -> Probe {
        self.namespace = Some(namespace);
        self.name = Some(name);
        self
    }

    /// Counting rules restricted to some names too.
    pub(crate) const fn any_name(mut self) -> Probe {
        self.any_name = true;
        self
    }
}

/// A risky permission.
pub(crate) struct Risk {
    pub(crate) meta: &'static AnalysisCheck,
    /// Every group must have a probe the role allows (CSR approval needs two permissions).
    pub(crate) all_of: &'static [&'static [Probe]],
    /// What the subject can do when granted cluster-wide (`read every Secret in the cluster`).
    pub(crate) cluster: &'static str,
    /// What it can do when granted in one namespace; `{ns}` is replaced.
    pub(crate) namespaced: &'static str,
    /// Severity when granted in one namespace only (the check's own is the cluster-wide one).
    pub(crate) namespace_severity: Severity,
    /// A ConfigMap `(namespace, name)` that shows the risk applies (EKS's aws-auth): when the
    /// manifests do not hold it, severity is one level lower.
    pub(crate) lower_unless_present: Option<(&'static str, &'static str)>,
}

/// What the checks share: the resolved RBAC state and which workloads run as what.
pub(crate) struct Cx<'a> {
    pub(crate) rbac: Rbac<'a>,
    pub(crate) snapshot: &'a Snapshot,
    /// Workloads (`Deployment ns/name`) by `(namespace, service account)`.
    by_account: HashMap<(String, String), Vec<String>>,
    /// Workloads by namespace.
    by_namespace: BTreeMap<String, Vec<String>>,
    /// Whether binding `i`'s role allows everything (cluster-admin or equivalent).
    pub(crate) full_admin: Vec<bool>,
}

impl<'a> Cx<'a> {
    pub(crate) fn new(snapshot: &'a Snapshot) -> Cx<'a> {
        let rbac = Rbac::new(snapshot);
        let mut by_account: HashMap<(String, String), Vec<String>> = HashMap::new();
        let mut by_namespace: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut seen = std::collections::HashSet::new();
        for w in Workload::all(snapshot) {
            let shown = format!("{} {}/{}", w.object.kind, w.namespace, w.object.name);
            // The same workload defined in several files is one workload of the cluster.
            if !seen.insert((shown.clone(), w.service_account.clone())) {
                continue;
            }
            by_account
                .entry((w.namespace.to_string(), w.service_account.clone()))
                .or_default()
                .push(shown.clone());
            by_namespace
                .entry(w.namespace.to_string())
                .or_default()
                .push(shown);
        }
        let full_admin = (0..rbac.bindings.len())
            .map(|b| {
                rbac.resolved[b].is_some_and(|r| {
                    rbac.effective[r]
                        .iter()
                        .any(|&(x, k)| rbac.roles[x].rules[k].is_full_wildcard())
                })
            })
            .collect();
        Cx {
            rbac,
            snapshot,
            by_account,
            by_namespace,
            full_admin,
        }
    }

    /// `admin` or `edit` when binding `b` grants that built-in ClusterRole (not a manifest
    /// ClusterRole of the same name) and it does not allow everything: RBAC022 reports such a
    /// binding once, in place of the per-permission checks its built-in rules imply.
    pub(crate) fn namespace_admin(&self, b: usize) -> Option<&'static str> {
        let role = &self.rbac.roles[self.rbac.resolved[b]?];
        if role.kind != RoleKind::ClusterRole || role.object.is_some() || self.full_admin[b] {
            return None;
        }
        match role.name.as_str() {
            "admin" => Some("admin"),
            "edit" => Some("edit"),
            _ => None,
        }
    }

    /// Whether findings about binding `b`'s `subject` are left out: grants the cluster makes
    /// to its own components (docs/rbac.md).
    pub(crate) fn excluded(&self, b: usize, subject: &Subject) -> bool {
        let binding = &self.rbac.bindings[b];
        let role = binding.role_ref.as_ref().map_or("", |r| r.name.as_str());
        is_control_plane(subject)
            || (role.starts_with("system:controller:")
                && subject
                    .as_service_account()
                    .is_some_and(|(ns, _)| ns == "kube-system"))
    }

    /// The workloads that run as `subject` (for a group of service accounts, as any of them).
    pub(crate) fn workloads_of(&self, subject: &Subject) -> Vec<&str> {
        fn strs(v: &[String]) -> impl Iterator<Item = &str> {
            v.iter().map(String::as_str)
        }
        if let Some((ns, name)) = subject.as_service_account() {
            return self
                .by_account
                .get(&(ns.to_string(), name.to_string()))
                .map(|v| strs(v).collect())
                .unwrap_or_default();
        }
        if subject.kind != SubjectKind::Group {
            return Vec::new();
        }
        match subject.name.as_str() {
            "system:serviceaccounts" | "system:authenticated" => {
                self.by_namespace.values().flat_map(|v| strs(v)).collect()
            }
            n => n
                .strip_prefix("system:serviceaccounts:")
                .and_then(|ns| self.by_namespace.get(ns))
                .map(|v| strs(v).collect())
                .unwrap_or_default(),
        }
    }

    /// `Deployment a/b runs as service account a/sa, which can …`, `Group g can …`: the
    /// subject of a finding's sentence, ending where `can` follows.
    pub(crate) fn who(&self, subject: &Subject) -> String {
        let workloads = self.workloads_of(subject);
        let listed = list(&workloads, 3);
        if let Some((ns, name)) = subject.as_service_account() {
            let account = if name == "default" {
                format!(
                    "service account {ns}/default (the one pods get when they set no serviceAccountName)"
                )
            } else {
                format!("service account {ns}/{name}")
            };
            return match workloads.len() {
                0 => format!("S{}", &account[1..]),
                1 => format!("{listed} runs as {account}, which"),
                _ => format!("{listed} run as {account}, which"),
            };
        }
        let group = match (subject.kind, subject.name.as_str()) {
            (SubjectKind::Group, "system:authenticated") => {
                "Every authenticated user and service account (Group system:authenticated)"
                    .to_string()
            }
            (SubjectKind::Group, "system:unauthenticated") => {
                "Anyone, without credentials (Group system:unauthenticated)".to_string()
            }
            (SubjectKind::User, "system:anonymous") => {
                "Anyone, without credentials (User system:anonymous)".to_string()
            }
            (SubjectKind::Group, "system:serviceaccounts") => {
                "Every service account in the cluster (Group system:serviceaccounts)".to_string()
            }
            (SubjectKind::Group, n) if n.starts_with("system:serviceaccounts:") => format!(
                "Every service account in namespace {} (Group {n})",
                &n["system:serviceaccounts:".len()..]
            ),
            _ => return subject.to_string(),
        };
        if workloads.is_empty() {
            group
        } else {
            format!("{group}, and so {listed},")
        }
    }

    /// Severity for a grant to `subject`: one level higher when it is everyone
    /// (authenticated, anonymous or every service account).
    pub(crate) fn severity_for(subject: &Subject, base: Severity) -> Severity {
        let everyone = matches!(
            (subject.kind, subject.name.as_str()),
            (
                SubjectKind::Group,
                "system:authenticated" | "system:unauthenticated" | "system:serviceaccounts"
            ) | (SubjectKind::User, "system:anonymous")
        );
        if everyone { raise(base) } else { base }
    }

    /// `(ClusterRoleBinding x → ClusterRole y)`, with the rule when it is worth naming.
    pub(crate) fn via(&self, b: usize, rule: Option<RuleRef>) -> String {
        let binding = &self.rbac.bindings[b];
        let Some(bound) = self.rbac.resolved[b] else {
            return binding.display();
        };
        let mut s = format!(
            "{} → {}",
            binding.display(),
            self.rbac.roles[bound].display()
        );
        if let Some((r, k)) = rule {
            if r == bound {
                s.push_str(&format!(", rules[{k}]"));
            } else {
                s.push_str(&format!(
                    ", rules[{k}] of {} aggregated into it",
                    self.rbac.roles[r].display()
                ));
            }
            s.push_str(&format!(": {}", self.rbac.roles[r].rules[k].describe()));
        }
        s
    }

    /// A finding about `subject` of binding `b`, located at the subject entry.
    pub(crate) fn subject_finding(
        &self,
        meta: &'static AnalysisCheck,
        b: usize,
        subject_entry: usize,
        message: String,
        severity: Severity,
    ) -> Finding {
        let binding = &self.rbac.bindings[b];
        let object = &self.snapshot.objects()[binding.object];
        let (index, subject, pos) = &binding.subjects[subject_entry];
        let key = format!("{}|{}|{subject}", object.path, binding.display());
        let mut f = meta.finding(
            message,
            Some(object.resource_ref(self.snapshot.default_namespace(), None)),
            Some(object.location(*pos, Some(&format!("subjects[{index}]")))),
            &key,
        );
        f.severity = severity;
        f
    }
}

fn is_control_plane(subject: &Subject) -> bool {
    match subject.kind {
        SubjectKind::User => {
            matches!(
                subject.name.as_str(),
                "system:kube-controller-manager"
                    | "system:kube-scheduler"
                    | "system:kube-proxy"
                    | "system:apiserver"
                    | "kube-apiserver"
                    | "system:volume-scheduler"
            ) || subject.name.starts_with("system:node:")
        }
        SubjectKind::Group => subject.name == "system:nodes",
        SubjectKind::ServiceAccount => false,
    }
}

fn has_config_map(snapshot: &Snapshot, namespace: &str, name: &str) -> bool {
    snapshot.objects().iter().any(|o| {
        &*o.kind == "ConfigMap"
            && o.group().is_empty()
            && &*o.name == name
            && o.namespace
                .as_deref()
                .unwrap_or(snapshot.default_namespace())
                == namespace
    })
}

fn lower(s: Severity) -> Severity {
    match s {
        Severity::Info | Severity::Low => Severity::Info,
        Severity::Medium => Severity::Low,
        Severity::High => Severity::Medium,
        Severity::Critical => Severity::High,
    }
}

fn raise(s: Severity) -> Severity {
    match s {
        Severity::Info => Severity::Low,
        Severity::Low => Severity::Medium,
        Severity::Medium => Severity::High,
        Severity::High | Severity::Critical => Severity::Critical,
    }
}

/// `a`, `a and b`, `a, b, c and 4 more workloads`.
pub(crate) fn list(items: &[&str], max: usize) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].to_string(),
        n if n <= max => format!("{} and {}", items[..n - 1].join(", "), items[n - 1]),
        n => format!("{} and {} more workloads", items[..max].join(", "), n - max),
    }
}

/// Whether `probe` applies where binding `binding` grants: cluster-scoped resources only
/// through ClusterRoleBindings, one namespace's objects only through ClusterRoleBindings and
/// RoleBindings of that namespace.
fn probe_applies(cx: &Cx<'_>, binding: &Binding, probe: &Probe, resource: &Resource) -> bool {
    match (binding.kind, &binding.namespace) {
        (BindingKind::ClusterRoleBinding, _) => true,
        (BindingKind::RoleBinding, Some(ns)) => {
            !cx.rbac.is_cluster_scoped(resource) && probe.namespace.is_none_or(|p| p == ns)
        }
        (BindingKind::RoleBinding, None) => false,
    }
}

/// The first rule of binding `b`'s role that allows one of `probes` where the binding grants;
/// with `builtin_only`, only rules written in built-in roles count (not those a manifest
/// ClusterRole aggregates into a built-in one).
fn allowing(cx: &Cx<'_>, b: usize, probes: &[Probe], builtin_only: bool) -> Option<RuleRef> {
    let binding = &cx.rbac.bindings[b];
    let role = cx.rbac.resolved[b]?;
    for &(r, k) in &cx.rbac.effective[role] {
        if builtin_only && cx.rbac.roles[r].object.is_some() {
            continue;
        }
        let policy = &cx.rbac.roles[r].rules[k];
        for probe in probes {
            for res in probe.resources {
                let (resource, sub) = match res.split_once('/') {
                    Some((a, s)) => (a, Some(s)),
                    None => (*res, None),
                };
                let resource = Resource::new(probe.group, resource, sub);
                if !probe_applies(cx, binding, probe, &resource) {
                    continue;
                }
                let name = if probe.any_name {
                    policy
                        .resource_names
                        .first()
                        .map(String::as_str)
                        .or(probe.name)
                } else {
                    probe.name
                };
                for verb in probe.verbs {
                    let mut request = Request::resource(
                        verb,
                        resource.clone(),
                        probe.namespace.or(binding.namespace.as_deref()),
                    );
                    if let Some(n) = name {
                        request = request.named(n);
                    }
                    if rule_allows(policy, &request) {
                        return Some((r, k));
                    }
                }
            }
        }
    }
    None
}

/// Whether binding `b` grants `risk` (every one of its groups of probes), and the first rule
/// that does; with `builtin_only`, through the rules of built-in roles alone.
fn granted(cx: &Cx<'_>, b: usize, risk: &Risk, builtin_only: bool) -> Option<RuleRef> {
    let mut first = None;
    for probes in risk.all_of {
        first = first.or(Some(allowing(cx, b, probes, builtin_only)?));
    }
    first
}

/// Whether RBAC022 stands for `risk`: the per-permission checks RBAC004–RBAC018 (not the
/// named ConfigMaps of RBAC019 and RBAC020, which stay reported on their own).
fn folded(risk: &Risk) -> bool {
    !matches!(risk.meta.id, "RBAC019" | "RBAC020")
}

/// The risks that binding `b` grants through the built-in `admin` or `edit` role's own rules,
/// which RBAC022 reports in one finding; empty for any other binding.
pub(crate) fn implied_risks(cx: &Cx<'_>, b: usize) -> Vec<&'static Risk> {
    if cx.namespace_admin(b).is_none() {
        return Vec::new();
    }
    RISKS
        .iter()
        .copied()
        .filter(|r| folded(r) && granted(cx, b, r, true).is_some())
        .collect()
}

fn run_risk(cx: &Cx<'_>, risk: &Risk, out: &mut Vec<Finding>) {
    for b in 0..cx.rbac.bindings.len() {
        if cx.full_admin[b] {
            continue;
        }
        let Some(first) = granted(cx, b, risk, false) else {
            continue;
        };
        // Implied by a binding to the built-in admin or edit role: RBAC022 reports it. What
        // a manifest ClusterRole aggregated into them adds is still reported here.
        if folded(risk) && cx.namespace_admin(b).is_some() && granted(cx, b, risk, true).is_some() {
            continue;
        }
        let first = Some(first);
        let binding = &cx.rbac.bindings[b];
        let (what, mut base) = match &binding.namespace {
            None => (risk.cluster.to_string(), risk.meta.severity),
            Some(ns) => (risk.namespaced.replace("{ns}", ns), risk.namespace_severity),
        };
        if let Some((ns, name)) = risk.lower_unless_present
            && !has_config_map(cx.snapshot, ns, name)
        {
            base = lower(base);
        }
        for (entry, (_, subject, _)) in binding.subjects.iter().enumerate() {
            if cx.excluded(b, subject) {
                continue;
            }
            let message = format!("{} can {what} ({}).", cx.who(subject), cx.via(b, first));
            out.push(cx.subject_finding(
                risk.meta,
                b,
                entry,
                message,
                Cx::severity_for(subject, base),
            ));
        }
    }
}

/// Every finding of every check, sorted by check, file, line and message.
pub(crate) fn findings(snapshot: &Snapshot) -> Vec<Finding> {
    let cx = Cx::new(snapshot);
    let mut out = Vec::new();
    rbac001_cluster_admin_binding::run(&cx, &mut out);
    rbac002_system_masters_group::run(&cx, &mut out);
    rbac003_wildcard_rule::run(&cx, &mut out);
    for risk in RISKS {
        run_risk(&cx, risk, &mut out);
    }
    rbac021_missing_role::run(&cx, &mut out);
    rbac022_namespace_admin_role_binding::run(&cx, &mut out);
    out.sort_by(|a, b| {
        let loc = |f: &Finding| {
            f.location
                .as_ref()
                .map(|l| (l.path.clone(), l.line, l.column))
        };
        (a.id.as_ref(), loc(a), &a.message).cmp(&(b.id.as_ref(), loc(b), &b.message))
    });
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use bulwark_k8s::{Limits, load_bytes};

    pub(crate) fn snapshot(y: &str) -> Snapshot {
        let loaded = load_bytes("t.yaml", y.as_bytes(), &Limits::default());
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        Snapshot::new(loaded.objects, "default")
    }

    pub(crate) fn of(y: &str, id: &str) -> Vec<Finding> {
        findings(&snapshot(y))
            .into_iter()
            .filter(|f| f.id.as_ref() == id)
            .collect()
    }

    #[test]
    fn every_example_yields_its_finding_and_every_fixed_example_does_not() {
        for meta in CHECKS {
            let found = of(meta.example, meta.id);
            assert!(
                !found.is_empty(),
                "{}: the example yields no finding",
                meta.id
            );
            let fixed = of(meta.fixed_example, meta.id);
            assert!(
                fixed.is_empty(),
                "{}: the fixed example still yields {:?}",
                meta.id,
                fixed.iter().map(|f| &f.message).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn ids_are_in_order_and_unique_and_docs_are_complete() {
        for (i, meta) in CHECKS.iter().enumerate() {
            assert_eq!(meta.id, format!("RBAC{:03}", i + 1));
            assert_eq!(meta.category, bulwark_model::Category::Rbac);
            assert!(!meta.what.is_empty() && !meta.why.is_empty() && !meta.fix.is_empty());
            assert!(
                meta.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                meta.name
            );
        }
        let mut names: Vec<_> = CHECKS.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CHECKS.len());
    }

    const CR: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules:\n";

    fn binding(kind: &str, ns: Option<&str>, subjects: &str) -> String {
        let meta = match ns {
            Some(ns) => format!("{{name: b, namespace: {ns}}}"),
            None => "{name: b}".to_string(),
        };
        format!(
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata: {meta}\nroleRef: {{kind: ClusterRole, name: r}}\nsubjects: {subjects}\n"
        )
    }

    const DEPLOY: &str = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: payments}\nspec: {template: {spec: {serviceAccountName: api-sa, containers: [{name: c, image: i}]}}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: worker, namespace: payments}\nspec: {template: {spec: {containers: [{name: c, image: i}]}}}\n";

    #[test]
    fn findings_name_the_workloads_that_run_as_the_service_account() {
        let y = format!(
            "{CR}- {{apiGroups: [''], resources: [secrets], verbs: [get, list]}}\n{}{DEPLOY}",
            binding(
                "ClusterRoleBinding",
                None,
                "[{kind: ServiceAccount, name: api-sa, namespace: payments}]"
            )
        );
        let f = of(&y, "RBAC004");
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.starts_with("Deployment payments/api runs as service account payments/api-sa, which can read every Secret in the cluster (ClusterRoleBinding b → ClusterRole r, rules[0]"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].severity, Severity::High);
        let loc = f[0].location.as_ref().unwrap();
        assert_eq!(loc.field.as_deref(), Some("subjects[0]"));
        assert_eq!(
            f[0].resource.as_ref().unwrap().kind.as_ref(),
            "ClusterRoleBinding"
        );
    }

    #[test]
    fn the_default_service_account_and_groups_of_service_accounts_reach_workloads() {
        let y = format!(
            "{CR}- {{apiGroups: [''], resources: [secrets], verbs: [list]}}\n{}{DEPLOY}",
            binding(
                "RoleBinding",
                Some("payments"),
                "[{kind: ServiceAccount, name: default}, {kind: Group, name: 'system:serviceaccounts:payments'}]"
            )
        );
        let f = of(&y, "RBAC004");
        assert_eq!(f.len(), 2);
        assert!(f[0].message.starts_with("Deployment payments/worker runs as service account payments/default (the one pods get"), "{}", f[0].message);
        assert!(
            f[0].message
                .contains("read every Secret in namespace payments"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].severity, Severity::Medium, "namespace scope is lower");
        assert!(f[1].message.starts_with("Every service account in namespace payments (Group system:serviceaccounts:payments), and so Deployment payments/api and Deployment payments/worker, can"), "{}", f[1].message);
    }

    #[test]
    fn grants_to_everyone_are_one_level_higher() {
        let y = format!(
            "{CR}- {{apiGroups: [''], resources: [secrets], verbs: [get]}}\n{}",
            binding(
                "ClusterRoleBinding",
                None,
                "[{kind: Group, name: 'system:authenticated'}]"
            )
        );
        let f = of(&y, "RBAC004");
        assert_eq!(f[0].severity, Severity::Critical);
        assert!(
            f[0].message.starts_with("Every authenticated user"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn cluster_scoped_risks_need_a_clusterrolebinding() {
        let rule = "- {apiGroups: [''], resources: [nodes/proxy, persistentvolumes], verbs: [get, create]}\n";
        let rb = format!(
            "{CR}{rule}{}",
            binding("RoleBinding", Some("shop"), "[{kind: User, name: u}]")
        );
        assert!(of(&rb, "RBAC012").is_empty() && of(&rb, "RBAC016").is_empty());
        let crb = format!(
            "{CR}{rule}{}",
            binding("ClusterRoleBinding", None, "[{kind: User, name: u}]")
        );
        assert_eq!(of(&crb, "RBAC012").len(), 1);
        assert_eq!(of(&crb, "RBAC016").len(), 1);
    }

    #[test]
    fn named_configmaps_count_only_in_their_namespace() {
        let rule = "- {apiGroups: [''], resources: [configmaps], verbs: [patch]}\n";
        let other = format!(
            "{CR}{rule}{}",
            binding("RoleBinding", Some("shop"), "[{kind: User, name: u}]")
        );
        assert!(of(&other, "RBAC019").is_empty() && of(&other, "RBAC020").is_empty());
        let ks = format!(
            "{CR}{rule}{}",
            binding(
                "RoleBinding",
                Some("kube-system"),
                "[{kind: User, name: u}]"
            )
        );
        assert_eq!(of(&ks, "RBAC020").len(), 1);
        let f = of(&ks, "RBAC019");
        assert_eq!(
            f[0].severity,
            Severity::High,
            "no aws-auth in the manifests: not known to be EKS"
        );
        let eks = format!(
            "{ks}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: aws-auth, namespace: kube-system}}\n"
        );
        assert_eq!(of(&eks, "RBAC019")[0].severity, Severity::Critical);
        let named = format!(
            "{CR}- {{apiGroups: [''], resources: [configmaps], resourceNames: [coredns], verbs: [update]}}\n{}",
            binding("ClusterRoleBinding", None, "[{kind: User, name: u}]")
        );
        assert_eq!(of(&named, "RBAC020").len(), 1);
        assert!(of(&named, "RBAC019").is_empty());
    }

    #[test]
    fn csr_approval_needs_both_permissions() {
        let approval = "- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}\n";
        let signers = "- {apiGroups: [certificates.k8s.io], resources: [signers], resourceNames: ['kubernetes.io/kube-apiserver-client'], verbs: [approve]}\n";
        let crb = binding("ClusterRoleBinding", None, "[{kind: User, name: u}]");
        assert!(of(&format!("{CR}{approval}{crb}"), "RBAC014").is_empty());
        assert!(of(&format!("{CR}{signers}{crb}"), "RBAC014").is_empty());
        assert_eq!(
            of(&format!("{CR}{approval}{signers}{crb}"), "RBAC014").len(),
            1
        );
    }

    #[test]
    fn control_plane_subjects_are_left_out() {
        let y = format!(
            "{CR}- {{apiGroups: [''], resources: [secrets], verbs: [get]}}\n{}",
            binding(
                "ClusterRoleBinding",
                None,
                "[{kind: User, name: 'system:kube-scheduler'}, {kind: User, name: 'system:node:n1'}, {kind: Group, name: 'system:nodes'}, {kind: User, name: alice}]"
            )
        );
        let f = of(&y, "RBAC004");
        assert_eq!(f.len(), 1);
        assert!(f[0].message.starts_with("User alice"), "{}", f[0].message);
        let ctrl = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: 'system:controller:x'}\nrules: [{apiGroups: [''], resources: [secrets], verbs: [get]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: 'system:controller:x'}\nroleRef: {kind: ClusterRole, name: 'system:controller:x'}\nsubjects: [{kind: ServiceAccount, name: x, namespace: kube-system}]\n";
        assert!(of(ctrl, "RBAC004").is_empty());
    }

    #[test]
    fn wildcard_verbs_on_own_custom_resources_are_not_reported() {
        let crd = "---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec: {group: example.com, scope: Namespaced, names: {plural: widgets}}\n";
        let crb = binding("ClusterRoleBinding", None, "[{kind: User, name: u}]");
        let own = format!(
            "{CR}- {{apiGroups: [example.com], resources: [widgets], verbs: ['*']}}\n{crb}{crd}"
        );
        assert!(of(&own, "RBAC003").is_empty());
        let core = format!(
            "{CR}- {{apiGroups: [example.com, ''], resources: [widgets], verbs: ['*']}}\n{crb}{crd}"
        );
        assert_eq!(of(&core, "RBAC003").len(), 1);
        let unbound = format!("{CR}- {{apiGroups: [''], resources: ['*'], verbs: [get]}}\n");
        assert!(
            of(&unbound, "RBAC003").is_empty(),
            "a role nobody is bound to grants nothing"
        );
    }

    #[test]
    fn exec_needs_create_and_findings_are_deterministic() {
        let get_only = format!(
            "{CR}- {{apiGroups: [''], resources: ['*'], verbs: [get]}}\n{}",
            binding("ClusterRoleBinding", None, "[{kind: User, name: u}]")
        );
        assert!(of(&get_only, "RBAC006").is_empty());
        assert_eq!(
            of(&get_only, "RBAC012").len(),
            1,
            "get on nodes/proxy is enough"
        );
        let s = snapshot(&get_only);
        assert_eq!(findings(&s), findings(&s));
    }

    #[test]
    fn lists_are_short() {
        assert_eq!(list(&["a"], 3), "a");
        assert_eq!(list(&["a", "b"], 3), "a and b");
        assert_eq!(
            list(&["a", "b", "c", "d", "e"], 3),
            "a, b, c and 2 more workloads"
        );
    }
}
