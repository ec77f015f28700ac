//! RBAC002: credentials mapped into `system:masters` (EKS aws-auth), or bindings naming it.

use bulwark_k8s::{Limits, Node, parse_yaml};
use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::Cx;
use crate::model::SubjectKind;

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "RBAC002",
    name: "system-masters-group",
    title: "Identity mapped into the system:masters group",
    severity: Severity::Critical,
    category: Category::Rbac,
    standards: &["cis-eks/4.1.1"],
    what: "Reports every `mapRoles` and `mapUsers` entry of the EKS ConfigMap `kube-system/aws-auth` whose `groups` include `system:masters` (critical), and every RBAC binding whose subjects include the Group `system:masters` (low: the binding itself grants nothing new, but it shows the group is being used for access).",
    why: "Members of `system:masters` bypass authorization entirely: no Role, binding or admission webhook can limit them, and removing RBAC bindings does not revoke them. Anyone who can assume a mapped IAM role is cluster-admin for as long as the mapping exists.",
    example: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth, namespace: kube-system}\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/ci\n      username: ci\n      groups: [system:masters]\n",
    fix: "Map the IAM role to an ordinary group (`ci-deployers`) and bind that group to a role with only the permissions it needs; keep `system:masters` for the cluster creator's break-glass access.",
    fixed_example: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth, namespace: kube-system}\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/ci\n      username: ci\n      groups: [ci-deployers]\n",
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege",
        "https://docs.aws.amazon.com/eks/latest/userguide/auth-configmap.html",
    ],
};

pub(crate) fn run(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let default_ns = cx.snapshot.default_namespace();
    for o in cx.snapshot.objects() {
        if &*o.kind != "ConfigMap"
            || !o.group().is_empty()
            || &*o.name != "aws-auth"
            || o.namespace.as_deref().unwrap_or(default_ns) != "kube-system"
        {
            continue;
        }
        for key in ["mapRoles", "mapUsers"] {
            let Some(node) = o.root.path(&["data", key]) else {
                continue;
            };
            let Some(text) = node.as_str() else { continue };
            for doc in parse_yaml(text, &Limits::default()).into_iter().flatten() {
                for entry in doc.as_seq().unwrap_or(&[]) {
                    let masters = entry
                        .get("groups")
                        .and_then(Node::as_seq)
                        .unwrap_or(&[])
                        .iter()
                        .any(|g| g.as_str() == Some("system:masters"));
                    if !masters {
                        continue;
                    }
                    let who = ["rolearn", "userarn"]
                        .iter()
                        .find_map(|k| entry.get(k).and_then(Node::as_str))
                        .unwrap_or("an unnamed entry");
                    let message = format!(
                        "ConfigMap kube-system/aws-auth maps {who} into group system:masters ({key}): whoever can use it is cluster-admin, beyond the reach of RBAC."
                    );
                    out.push(META.finding(
                        message,
                        Some(o.resource_ref(default_ns, None)),
                        Some(o.location(node.pos, Some(&format!("data.{key}")))),
                        &format!("{}|aws-auth|{who}", o.path),
                    ));
                }
            }
        }
    }
    for (b, binding) in cx.rbac.bindings.iter().enumerate() {
        for (entry, (_, subject, _)) in binding.subjects.iter().enumerate() {
            if subject.kind == SubjectKind::Group && subject.name == "system:masters" {
                let message = format!(
                    "{} names Group system:masters, whose members bypass RBAC altogether: this binding grants them nothing, and no binding can take their access away.",
                    binding.display()
                );
                out.push(cx.subject_finding(&META, b, entry, message, Severity::Low));
            }
        }
    }
}
