//! MESH012: JWT keys fetched over plain HTTP.

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::at;
use crate::Mesh;

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "MESH012",
    name: "istio-jwks-plain-http",
    title: "RequestAuthentication fetches JWT keys over plain HTTP",
    severity: Severity::High,
    category: Category::Mesh,
    standards: &[],
    what: "Reports RequestAuthentication `jwtRules[].jwksUri` values that use `http://`.",
    why: "istiod downloads the signing keys from this URI. Over plain HTTP anyone on the path (or able to spoof DNS) can substitute their own keys, then mint tokens the mesh accepts as any user.",
    example: "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: shop}\nspec:\n  jwtRules:\n  - {issuer: https://auth.example.com, jwksUri: http://auth.example.com/jwks.json}\n",
    fix: "Use an `https://` jwksUri (or inline the keys with `jwks`).",
    fixed_example: "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: shop}\nspec:\n  jwtRules:\n  - {issuer: https://auth.example.com, jwksUri: https://auth.example.com/jwks.json}\n",
    references: &["https://istio.io/latest/docs/reference/config/security/jwt/"],
};

pub(crate) fn run(m: &Mesh<'_>, out: &mut Vec<Finding>) {
    for ra in &m.istio.request {
        for j in &ra.jwks {
            if j.uri
                .get(..7)
                .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
            {
                out.push(at(
                    &META,
                    m,
                    ra.object,
                    j.node.pos,
                    &j.field,
                    format!(
                        "RequestAuthentication {}/{} fetches its JWT signing keys over plain HTTP ({})",
                        ra.namespace, ra.object.name, j.uri
                    ),
                    &j.field,
                ));
            }
        }
    }
}
