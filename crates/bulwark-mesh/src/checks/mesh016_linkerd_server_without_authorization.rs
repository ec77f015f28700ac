//! MESH016: a Linkerd Server that no authorization targets.

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::{at, with_severity};
use crate::Mesh;

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "MESH016",
    name: "linkerd-server-without-authorization",
    title: "Linkerd Server has no authorization",
    severity: Severity::Low,
    category: Category::Mesh,
    standards: &[],
    what: "Reports Linkerd Servers that no AuthorizationPolicy (targeting the Server, its namespace, or a route attached to it) and no ServerAuthorization selects. Their traffic is decided by the Server's `accessPolicy`: `deny` (the default) refuses everything (low: usually a missing policy); an `*-unauthenticated` access policy admits clients without identity (raised to medium).",
    why: "A Server without authorization either silently refuses every connection (an outage that invites someone to loosen the default policy) or, with an unauthenticated access policy, declares a port managed while admitting anyone.",
    example: "apiVersion: policy.linkerd.io/v1beta3\nkind: Server\nmetadata: {name: api-http, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: api}}\n  port: http\n",
    fix: "Add an AuthorizationPolicy targeting the Server with the MeshTLSAuthentication of the clients that need it.",
    fixed_example: "apiVersion: policy.linkerd.io/v1beta3\nkind: Server\nmetadata: {name: api-http, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: api}}\n  port: http\n---\napiVersion: policy.linkerd.io/v1alpha1\nkind: MeshTLSAuthentication\nmetadata: {name: web, namespace: shop}\nspec:\n  identities: [web.shop.serviceaccount.identity.linkerd.cluster.local]\n---\napiVersion: policy.linkerd.io/v1alpha1\nkind: AuthorizationPolicy\nmetadata: {name: api-http, namespace: shop}\nspec:\n  targetRef: {group: policy.linkerd.io, kind: Server, name: api-http}\n  requiredAuthenticationRefs:\n  - {group: policy.linkerd.io, kind: MeshTLSAuthentication, name: web}\n",
    references: &["https://linkerd.io/2/reference/authorization-policy/"],
};

pub(crate) fn run(m: &Mesh<'_>, out: &mut Vec<Finding>) {
    for s in &m.linkerd.servers {
        if !m.linkerd.authorizations(s).is_empty() {
            continue;
        }
        let access = s.access_policy.as_deref().unwrap_or("deny");
        let (sev, what) = match access {
            "all-unauthenticated" | "cluster-unauthenticated" | "audit" => (
                Severity::Medium,
                format!("its accessPolicy {access} admits clients without identity"),
            ),
            "deny" => (
                Severity::Low,
                "every connection to it is refused (accessPolicy deny)".to_string(),
            ),
            other => (
                Severity::Low,
                format!("its accessPolicy {other} decides every connection"),
            ),
        };
        let pos = s.object.root.get("spec").map_or(s.object.pos(), |n| n.pos);
        out.push(with_severity(
            at(
                &META,
                m,
                s.object,
                pos,
                "spec",
                format!(
                    "no AuthorizationPolicy or ServerAuthorization targets Server {}: {what}",
                    s.id()
                ),
                "server",
            ),
            sev,
        ));
    }
}
