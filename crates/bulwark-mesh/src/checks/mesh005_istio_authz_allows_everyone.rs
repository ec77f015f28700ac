//! MESH005: an ALLOW AuthorizationPolicy rule that matches everyone.

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::{at, with_severity};
use crate::Mesh;
use crate::istio::{Action, Attr, Scope};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "MESH005",
    name: "istio-authz-allows-everyone",
    title: "AuthorizationPolicy ALLOW rule matches every caller",
    severity: Severity::High,
    category: Category::Mesh,
    standards: &[],
    what: "Reports ALLOW AuthorizationPolicy rules that match every request: an empty rule (`rules: [{}]`), high; or a rule whose only constraint is a wildcard source (`principals: [\"*\"]` or `namespaces: [\"*\"]`), which admits every authenticated workload of the mesh (and of any federated trust domain), lowered to medium. Policies for gateways and waypoints (`targetRefs`) are left out.",
    why: "ALLOW policies are unioned: one rule that matches everything makes every other ALLOW policy on the same workloads irrelevant, and switches off the deny-by-default that an ALLOW policy otherwise brings.",
    example: "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: allow-all, namespace: shop}\nspec:\n  action: ALLOW\n  rules:\n  - {}\n",
    fix: "Name the callers: `from.source.principals` with the service accounts that need access (`cluster.local/ns/shop/sa/frontend`), and `to.operation` with the ports or paths they need.",
    fixed_example: "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: allow-frontend, namespace: shop}\nspec:\n  action: ALLOW\n  rules:\n  - from:\n    - source: {principals: [cluster.local/ns/shop/sa/frontend]}\n",
    references: &[
        "https://istio.io/latest/docs/reference/config/security/authorization-policy/",
        "https://istio.io/latest/docs/ops/best-practices/security/#safer-authorization-policy-patterns",
    ],
};

pub(crate) fn run(m: &Mesh<'_>, out: &mut Vec<Finding>) {
    for p in &m.istio.authz {
        if p.action != Action::Allow || p.scope == Scope::TargetRefs {
            continue;
        }
        let scope = if p.namespace == crate::ROOT_NAMESPACE && p.scope == Scope::Namespace {
            "every workload of the mesh".to_string()
        } else if p.scope == Scope::Namespace {
            format!("every workload in namespace {}", p.namespace)
        } else {
            "the workloads it selects".to_string()
        };
        for (i, r) in p.rules.iter().enumerate() {
            let field = format!("spec.rules[{i}]");
            if r.is_empty() {
                out.push(at(
                    &META,
                    m,
                    p.object,
                    r.node.pos,
                    &field,
                    format!(
                        "AuthorizationPolicy {} has an empty rule: it allows every request to {scope}, from any source, with or without mTLS",
                        p.id()
                    ),
                    &i.to_string(),
                ));
                continue;
            }
            let wildcard_only = !r.from.is_empty()
                && r.to.iter().all(Vec::is_empty)
                && r.when.is_empty()
                && r.from.iter().any(|s| {
                    !s.is_empty()
                        && s.iter().all(|c| {
                            matches!(c.attr, Attr::Principal | Attr::Namespace)
                                && !c.negated
                                && c.values.iter().any(|v| v == "*")
                        })
                });
            if wildcard_only {
                out.push(with_severity(
                    at(
                        &META,
                        m,
                        p.object,
                        r.node.pos,
                        &field,
                        format!(
                            "AuthorizationPolicy {} allows any authenticated identity (wildcard principal or namespace) to reach {scope}",
                            p.id()
                        ),
                        &i.to_string(),
                    ),
                    Severity::Medium,
                ));
            }
        }
    }
}
