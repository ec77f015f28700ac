//! RBAC001: a subject is bound to cluster-admin, or to a role that allows every verb on every
//! resource.

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::Cx;
use crate::model::RoleKind;

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "RBAC001",
    name: "cluster-admin-binding",
    title: "Subject bound to cluster-admin (or an equivalent role)",
    severity: Severity::Critical,
    category: Category::Rbac,
    standards: &["cis-k8s/5.1.1"],
    what: "Reports every subject of a binding that grants the ClusterRole `cluster-admin`, or any role with a rule allowing every verb (`*`) on every resource (`*`) of every API group (`*`). Through a ClusterRoleBinding the subject controls the whole cluster (critical); through a RoleBinding it controls one namespace (high). Such a grant implies every other RBAC finding, which are not reported again for it.",
    why: "Whoever holds these credentials (a user, a group, or any process in a pod running as the service account) can read every Secret, run privileged pods on any node and grant themselves anything else: one compromised pod becomes the whole cluster.",
    example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: deployer, namespace: ci}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: deployer-admin}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects:\n- {kind: ServiceAccount, name: deployer, namespace: ci}\n",
    fix: "Grant the subject a role with only the verbs and resources it needs, in the namespaces it needs them (a RoleBinding rather than a ClusterRoleBinding). Keep cluster-admin for break-glass human access.",
    fixed_example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: deployer, namespace: ci}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: deployer, namespace: apps}\nrules:\n- {apiGroups: [apps], resources: [deployments], verbs: [get, patch]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: deployer, namespace: apps}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}\nsubjects:\n- {kind: ServiceAccount, name: deployer, namespace: ci}\n",
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege",
        "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles",
    ],
};

pub(crate) fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for (b, binding) in cx.rbac.bindings.iter().enumerate() {
        let named = binding
            .role_ref
            .as_ref()
            .is_some_and(|r| r.kind == RoleKind::ClusterRole && r.name == "cluster-admin");
        if !named && !cx.full_admin[b] {
            continue;
        }
        let (what, base) = match &binding.namespace {
            None => (
                "do anything in the cluster: every verb on every resource, Secrets, nodes and RBAC included".to_string(),
                Severity::Critical,
            ),
            Some(ns) => (
                format!("do anything in namespace {ns}: read its Secrets, run pods as any of its service accounts and grant access to others"),
                Severity::High,
            ),
        };
        for (entry, (_, subject, _)) in binding.subjects.iter().enumerate() {
            if cx.excluded(b, subject) {
                continue;
            }
            let message = format!("{} can {what} ({}).", cx.who(subject), cx.via(b, None));
            out.push(cx.subject_finding(&META, b, entry, message, Cx::severity_for(subject, base)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::of;

    #[test]
    fn a_rolebinding_to_cluster_admin_is_namespace_admin_and_high() {
        let f = of(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: team}\nroleRef: {kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: Group, name: devs}]\n",
            "RBAC001",
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, bulwark_model::Severity::High);
        assert!(
            f[0].message
                .starts_with("Group devs can do anything in namespace team"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn an_equivalent_wildcard_role_counts_and_suppresses_the_other_checks() {
        let all = super::super::tests::snapshot(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: god}\nrules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {kind: ClusterRole, name: god}\nsubjects: [{kind: User, name: alice}]\n",
        );
        let ids: Vec<String> = crate::findings(&all)
            .iter()
            .map(|f| f.id.to_string())
            .collect();
        assert_eq!(ids, ["RBAC001"], "{ids:?}");
    }
}
