//! MESH011: a RequestAuthentication that no AuthorizationPolicy makes mandatory.

use bulwark_k8s::Workload;
use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::{at, list};
use crate::istio::{Action, Attr, applies};
use crate::{Mesh, MeshKind};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "MESH011",
    name: "istio-jwt-not-required",
    title: "RequestAuthentication without an AuthorizationPolicy requiring a token",
    severity: Severity::High,
    category: Category::Mesh,
    standards: &[],
    what: "Reports RequestAuthentication policies that apply to meshed workloads for which no AuthorizationPolicy requires a request principal: no DENY rule with `notRequestPrincipals`, and not every rule of every ALLOW policy demanding `requestPrincipals` (or a `request.auth.*` condition).",
    why: "RequestAuthentication only validates a JWT when one is present: a request without any token passes. Unless an AuthorizationPolicy requires a request principal, the JWT setup rejects forged tokens but lets anonymous requests straight in.",
    example: "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  jwtRules:\n  - {issuer: https://auth.example.com, jwksUri: https://auth.example.com/jwks.json}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers: [{name: api, image: api:1}]\n",
    fix: "Add an AuthorizationPolicy for the same workloads that requires a principal: ALLOW with `from.source.requestPrincipals: [\"*\"]` (or the exact issuer/subject), or DENY with `notRequestPrincipals: [\"*\"]`.",
    fixed_example: "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  jwtRules:\n  - {issuer: https://auth.example.com, jwksUri: https://auth.example.com/jwks.json}\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: require-jwt, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  action: DENY\n  rules:\n  - from: [{source: {notRequestPrincipals: [\"*\"]}}]\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers: [{name: api, image: api:1}]\n",
    references: &[
        "https://istio.io/latest/docs/reference/config/security/request_authentication/",
        "https://istio.io/latest/docs/tasks/security/authorization/authz-jwt/",
    ],
};

/// Whether the AuthorizationPolicies of `w` refuse a request that carries no JWT.
pub(crate) fn jwt_required(m: &Mesh<'_>, w: &Workload<'_>) -> bool {
    let mut allows = Vec::new();
    for p in m.istio.policies_for(w) {
        match p.action {
            Action::Deny => {
                let denies_anonymous = p.rules.iter().any(|r| {
                    r.from.iter().any(|s| {
                        s.iter()
                            .any(|c| c.attr == Attr::RequestPrincipal && c.negated)
                    }) || r
                        .when
                        .iter()
                        .any(|c| c.attr == Attr::RequestPrincipal && c.negated)
                });
                if denies_anonymous {
                    return true;
                }
            }
            Action::Allow => allows.push(p),
            _ => {}
        }
    }
    !allows.is_empty()
        && allows
            .iter()
            .all(|p| p.rules.iter().all(super::super::istio::Rule::requires_jwt))
}

pub(crate) fn run(m: &Mesh<'_>, out: &mut Vec<Finding>) {
    for ra in &m.istio.request {
        let open: Vec<String> = m
            .workloads
            .iter()
            .filter(|(w, mem)| {
                mem.mesh == Some(MeshKind::Istio)
                    && applies(&ra.scope, &ra.namespace, w)
                    && !jwt_required(m, w)
            })
            .map(|(w, _)| w.display())
            .collect();
        if open.is_empty() {
            continue;
        }
        let pos = ra
            .object
            .root
            .get("spec")
            .map_or(ra.object.pos(), |n| n.pos);
        out.push(at(
            &META,
            m,
            ra.object,
            pos,
            "spec",
            format!(
                "RequestAuthentication {}/{} validates tokens only when present: no AuthorizationPolicy requires a request principal for {}, so requests without a token are accepted",
                ra.namespace,
                ra.object.name,
                list(&open)
            ),
            "jwt",
        ));
    }
}
