//! MESH017: a Linkerd authorization that admits every client.

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::{at, with_severity};
use crate::Mesh;
use crate::util::covers_everything;

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "MESH017",
    name: "linkerd-authz-allows-everyone",
    title: "Linkerd authorization admits every client",
    severity: Severity::High,
    category: Category::Mesh,
    standards: &[],
    what: "Reports Linkerd AuthorizationPolicies whose `requiredAuthenticationRefs` are empty or only NetworkAuthentications covering every address (`0.0.0.0/0`, `::/0` without `except`), and ServerAuthorizations with `client.unauthenticated: true` and no narrower `networks`: they admit every client, without identity (high). Policies that require only a MeshTLSAuthentication with `identities: [\"*\"]` (every meshed identity) are lowered to medium, as are ServerAuthorizations with `meshTLS.identities: [\"*\"]`.",
    why: "Authorization that matches everyone turns a Server's deny-by-default into allow-all: every pod (or every address) can reach the port, so the Server protects nothing.",
    example: "apiVersion: policy.linkerd.io/v1alpha1\nkind: NetworkAuthentication\nmetadata: {name: everywhere, namespace: shop}\nspec:\n  networks: [{cidr: 0.0.0.0/0}]\n---\napiVersion: policy.linkerd.io/v1alpha1\nkind: AuthorizationPolicy\nmetadata: {name: api-open, namespace: shop}\nspec:\n  targetRef: {group: policy.linkerd.io, kind: Server, name: api-http}\n  requiredAuthenticationRefs:\n  - {group: policy.linkerd.io, kind: NetworkAuthentication, name: everywhere}\n",
    fix: "Require a MeshTLSAuthentication that names the client service accounts; keep NetworkAuthentication for specific, narrow ranges (a load balancer, a monitoring subnet).",
    fixed_example: "apiVersion: policy.linkerd.io/v1alpha1\nkind: MeshTLSAuthentication\nmetadata: {name: web, namespace: shop}\nspec:\n  identityRefs: [{kind: ServiceAccount, name: web}]\n---\napiVersion: policy.linkerd.io/v1alpha1\nkind: AuthorizationPolicy\nmetadata: {name: api-open, namespace: shop}\nspec:\n  targetRef: {group: policy.linkerd.io, kind: Server, name: api-http}\n  requiredAuthenticationRefs:\n  - {group: policy.linkerd.io, kind: MeshTLSAuthentication, name: web}\n",
    references: &["https://linkerd.io/2/reference/authorization-policy/"],
};

#[derive(PartialEq, Eq)]
enum Breadth {
    Everyone,
    AnyIdentity,
    Narrow,
}

pub(crate) fn run(m: &Mesh<'_>, out: &mut Vec<Finding>) {
    let l = &m.linkerd;
    for p in &l.authz {
        let breadths: Vec<Breadth> = p
            .refs
            .iter()
            .map(|(r, _)| {
                let ns = r.namespace.as_deref().unwrap_or(&p.namespace);
                match r.kind.as_str() {
                    "NetworkAuthentication" => l
                        .networks
                        .iter()
                        .find(|n| n.namespace == ns && *n.object.name == r.name)
                        .filter(|n| n.networks.iter().any(|(c, ex)| covers_everything(c) && !ex))
                        .map_or(Breadth::Narrow, |_| Breadth::Everyone),
                    "MeshTLSAuthentication" => l
                        .mesh_tls
                        .iter()
                        .find(|t| t.namespace == ns && *t.object.name == r.name)
                        .filter(|t| t.identities.iter().any(|i| i == "*"))
                        .map_or(Breadth::Narrow, |_| Breadth::AnyIdentity),
                    _ => Breadth::Narrow,
                }
            })
            .collect();
        if breadths.contains(&Breadth::Narrow) {
            continue;
        }
        // Every reference must resolve, else Linkerd ignores the policy.
        if p.refs.iter().any(|(r, _)| !l.resolves(&p.namespace, r)) {
            continue;
        }
        let (sev, who) = if breadths.contains(&Breadth::AnyIdentity) {
            (Severity::Medium, "every meshed identity")
        } else {
            (Severity::High, "every client, with or without identity,")
        };
        let pos = p.object.root.get("spec").map_or(p.object.pos(), |n| n.pos);
        out.push(with_severity(
            at(
                &META,
                m,
                p.object,
                pos,
                "spec.requiredAuthenticationRefs",
                format!(
                    "AuthorizationPolicy {} admits {who} to {} {}",
                    p.id(),
                    p.target.kind,
                    p.target.name
                ),
                "policy",
            ),
            sev,
        ));
    }
    for a in &l.server_authz {
        let all_nets = a
            .networks
            .as_ref()
            .is_none_or(|n| n.iter().any(|(c, ex)| covers_everything(c) && !ex));
        let (sev, who) = if a.unauthenticated && all_nets {
            (Severity::High, "every client, with or without identity")
        } else if a
            .mesh_tls
            .as_ref()
            .is_some_and(|t| t.unauthenticated_tls || t.identities.iter().any(|i| i == "*"))
            && all_nets
        {
            (Severity::Medium, "every meshed identity")
        } else {
            continue;
        };
        let pos = a.object.root.get("spec").map_or(a.object.pos(), |n| n.pos);
        out.push(with_severity(
            at(
                &META,
                m,
                a.object,
                pos,
                "spec.client",
                format!(
                    "ServerAuthorization {}/{} admits {who}",
                    a.namespace, a.object.name
                ),
                "server-authz",
            ),
            sev,
        ));
    }
}
