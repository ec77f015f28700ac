//! RBAC022: a subject is bound to the built-in `admin` or `edit` ClusterRole. One finding
//! stands for the risky permissions the role implies, which RBAC004–RBAC018 then leave out.

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::{Cx, Probe, allowing, implied_risks};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "RBAC022",
    name: "namespace-admin-role-binding",
    title: "Subject bound to the built-in admin or edit role",
    severity: Severity::High,
    category: Category::Rbac,
    standards: &[],
    what: "Reports every subject of a binding that grants the built-in ClusterRole `admin` or `edit` (not a manifest ClusterRole of the same name), once, listing the risky permissions the role implies: read Secrets, run pods of its choosing, exec into, attach to and port-forward to pods, act as service accounts and issue their tokens, and for `admin` grant all of this to others through Roles and RoleBindings. Medium through a RoleBinding (one namespace), high through a ClusterRoleBinding (every namespace). The per-permission checks RBAC004–RBAC018 do not report these permissions again for that binding; what a manifest ClusterRole aggregated into `admin` or `edit` adds is still reported by them, and RBAC019 and RBAC020 (the aws-auth and CoreDNS ConfigMaps) still report a grant in `kube-system`.",
    why: "`admin` and `edit` make their subject the owner of a namespace: its workloads, its Secrets and the identity of every service account in it, and so whatever those service accounts may do elsewhere. That is often intended for the people who own the namespace; for a workload's service account or a broad group it is far more than needed, and through a ClusterRoleBinding it covers every namespace, `kube-system` included. Each permission is a finding of its own otherwise; together they are one decision, reported once.",
    example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: deployer, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: deployer, namespace: shop}\nspec:\n  selector: {matchLabels: {app: deployer}}\n  template:\n    metadata: {labels: {app: deployer}}\n    spec:\n      serviceAccountName: deployer\n      containers: [{name: deployer, image: shop/deployer:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: deployer, namespace: shop}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}\nsubjects:\n- {kind: ServiceAccount, name: deployer, namespace: shop}\n",
    fix: "Bind the people who own a namespace to `admin` or `edit` deliberately, with a RoleBinding in that namespace (never a ClusterRoleBinding). Give service accounts and broad groups a Role with only the verbs and resources they use.",
    fixed_example: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: deployer, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: deployer, namespace: shop}\nspec:\n  selector: {matchLabels: {app: deployer}}\n  template:\n    metadata: {labels: {app: deployer}}\n    spec:\n      serviceAccountName: deployer\n      containers: [{name: deployer, image: shop/deployer:1.0}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: deployer, namespace: shop}\nrules:\n- {apiGroups: [apps], resources: [deployments], verbs: [get, list]}\n- {apiGroups: [apps], resources: [deployments/scale], verbs: [patch]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: deployer, namespace: shop}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}\nsubjects:\n- {kind: ServiceAccount, name: deployer, namespace: shop}\n",
    references: &[
        "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles",
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege",
    ],
};

/// What each folded check means, in a list of what the role allows.
fn permission(id: &str) -> &'static str {
    match id {
        "RBAC004" => "read Secrets",
        "RBAC005" => "run pods of its choosing (pods and pod controllers)",
        "RBAC006" => "exec into pods",
        "RBAC007" => "attach to pods",
        "RBAC008" => "port-forward to pods",
        "RBAC009" => "add ephemeral containers to pods",
        "RBAC010" => "bind or escalate roles",
        "RBAC011" => "act as service accounts (impersonate)",
        "RBAC012" => "run commands through kubelets (nodes/proxy)",
        "RBAC013" => "issue service account tokens",
        "RBAC014" => "approve certificate signing requests",
        "RBAC015" => "change admission webhooks",
        "RBAC016" => "create persistent volumes",
        "RBAC017" => "set load-balancer IPs of Services (services/status)",
        "RBAC018" => "change pod or node status",
        _ => "",
    }
}

/// Granting what it has to others: `create` on rolebindings.
const GRANT: &[Probe] = &[Probe::new(
    &["create"],
    "rbac.authorization.k8s.io",
    &["rolebindings"],
)];

pub(crate) fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    for (b, binding) in cx.rbac.bindings.iter().enumerate() {
        let Some(role) = cx.namespace_admin(b) else {
            continue;
        };
        let mut can: Vec<&str> = implied_risks(cx, b)
            .iter()
            .map(|r| permission(r.meta.id))
            .filter(|p| !p.is_empty())
            .collect();
        if can.is_empty() {
            continue;
        }
        if allowing(cx, b, GRANT, true).is_some() {
            can.push("grant all of this to others (Roles and RoleBindings)");
        }
        let (scope, there, base) = match &binding.namespace {
            Some(ns) => (format!("in namespace {ns}"), "there", Severity::Medium),
            None => (
                "cluster-wide".to_string(),
                "in every namespace",
                Severity::High,
            ),
        };
        let can = match can.split_last() {
            Some((last, [])) => (*last).to_string(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        };
        for (entry, (_, subject, _)) in binding.subjects.iter().enumerate() {
            if cx.excluded(b, subject) {
                continue;
            }
            let who = cx.who(subject);
            // `… runs as service account x, which` / `Group g` / `Every … , and so …,`
            let who = match who.strip_suffix(", which") {
                Some(w) => format!("{w}, which is"),
                None => format!("{who} is"),
            };
            let message = format!(
                "{who} bound to the built-in {role} role {scope}: it can {can} {there} ({}).",
                cx.via(b, None)
            );
            out.push(cx.subject_finding(&META, b, entry, message, Cx::severity_for(subject, base)));
        }
    }
}

#[cfg(test)]
mod tests {
    use bulwark_model::Severity;

    use super::super::tests::{of, snapshot};

    fn bind(kind: &str, ns: Option<&str>, role: &str, subjects: &str) -> String {
        let meta = match ns {
            Some(ns) => format!("{{name: b, namespace: {ns}}}"),
            None => "{name: b}".to_string(),
        };
        format!(
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata: {meta}\nroleRef: {{kind: ClusterRole, name: {role}}}\nsubjects: {subjects}\n"
        )
    }

    fn ids(y: &str) -> Vec<String> {
        crate::findings(&snapshot(y))
            .iter()
            .map(|f| f.id.to_string())
            .collect()
    }

    #[test]
    fn a_rolebinding_to_edit_is_one_medium_finding_listing_what_edit_implies() {
        let y = bind(
            "RoleBinding",
            Some("shop"),
            "edit",
            "[{kind: Group, name: devs}]",
        );
        assert_eq!(ids(&y), ["RBAC022"], "one finding instead of many");
        let f = of(&y, "RBAC022");
        assert_eq!(f[0].severity, Severity::Medium);
        assert_eq!(
            f[0].message,
            "Group devs is bound to the built-in edit role in namespace shop: it can read Secrets, run pods of its choosing (pods and pod controllers), exec into pods, attach to pods, port-forward to pods, act as service accounts (impersonate) and issue service account tokens there (RoleBinding shop/b → ClusterRole edit)."
        );
        assert_eq!(
            f[0].location.as_ref().unwrap().field.as_deref(),
            Some("subjects[0]")
        );
    }

    #[test]
    fn a_clusterrolebinding_to_admin_is_high_and_says_it_can_grant() {
        let y = bind(
            "ClusterRoleBinding",
            None,
            "admin",
            "[{kind: ServiceAccount, name: ci, namespace: tools}]",
        );
        let f = of(&y, "RBAC022");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::High);
        assert!(
            f[0].message.starts_with(
                "Service account tools/ci is bound to the built-in admin role cluster-wide: it can read Secrets,"
            ),
            "{}",
            f[0].message
        );
        assert!(
            f[0].message.ends_with(
                "issue service account tokens and grant all of this to others (Roles and RoleBindings) in every namespace (ClusterRoleBinding b → ClusterRole admin)."
            ),
            "{}",
            f[0].message
        );
        // A ClusterRoleBinding reaches kube-system, so the ConfigMap checks still apply.
        assert_eq!(ids(&y), ["RBAC019", "RBAC020", "RBAC022"]);
    }

    #[test]
    fn workloads_and_everyone_read_as_the_other_checks() {
        let y = format!(
            "{}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: api, namespace: shop}}\nspec: {{template: {{spec: {{serviceAccountName: api, containers: [{{name: c, image: i}}]}}}}}}\n",
            bind(
                "RoleBinding",
                Some("shop"),
                "edit",
                "[{kind: ServiceAccount, name: api}, {kind: Group, name: 'system:authenticated'}]"
            )
        );
        let f = of(&y, "RBAC022");
        assert_eq!(f.len(), 2);
        assert!(
            f[0].message.starts_with(
                "Deployment shop/api runs as service account shop/api, which is bound to the built-in edit role in namespace shop: it can"
            ),
            "{}",
            f[0].message
        );
        assert!(
            f[1].message.starts_with(
                "Every authenticated user and service account (Group system:authenticated), and so Deployment shop/api, is bound"
            ),
            "{}",
            f[1].message
        );
        assert_eq!(f[1].severity, Severity::High, "everyone: one level higher");
    }

    #[test]
    fn a_manifest_role_named_edit_is_not_the_built_in_one() {
        let y = format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: edit}}\nrules: [{{apiGroups: [''], resources: [secrets], verbs: [get]}}]\n{}",
            bind(
                "RoleBinding",
                Some("shop"),
                "edit",
                "[{kind: User, name: u}]"
            )
        );
        assert_eq!(ids(&y), ["RBAC004"]);
    }

    #[test]
    fn what_a_manifest_role_aggregates_into_edit_is_still_reported_on_its_own() {
        let y = format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: extra, labels: {{rbac.authorization.k8s.io/aggregate-to-edit: 'true'}}}}\nrules: [{{apiGroups: [''], resources: [pods/ephemeralcontainers, secrets], verbs: [patch, get]}}]\n{}",
            bind(
                "RoleBinding",
                Some("shop"),
                "edit",
                "[{kind: User, name: u}]"
            )
        );
        assert_eq!(
            ids(&y),
            ["RBAC009", "RBAC022"],
            "Secrets come with edit anyway; ephemeral containers do not"
        );
        assert!(
            !of(&y, "RBAC022")[0]
                .message
                .contains("ephemeral containers")
        );
        assert!(
            of(&y, "RBAC009")[0]
                .message
                .contains("of ClusterRole extra aggregated into it")
        );
    }

    #[test]
    fn view_and_control_plane_subjects_are_not_reported() {
        let view = bind(
            "ClusterRoleBinding",
            None,
            "view",
            "[{kind: Group, name: auditors}]",
        );
        assert!(ids(&view).is_empty());
        let nodes = bind(
            "ClusterRoleBinding",
            None,
            "edit",
            "[{kind: Group, name: 'system:nodes'}]",
        );
        assert!(ids(&nodes).is_empty());
    }
}
