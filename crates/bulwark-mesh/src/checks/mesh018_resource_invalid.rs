//! MESH018: a mesh resource the mesh would reject or ignore.

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::at;
use crate::Mesh;

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "MESH018",
    name: "mesh-resource-invalid",
    title: "Mesh resource is invalid and ignored",
    severity: Severity::Low,
    category: Category::Mesh,
    standards: &[],
    what: "Reports parts of Istio and Linkerd resources that cannot be read as the mesh reads them: unknown mTLS or TLS modes, unknown AuthorizationPolicy actions, invalid selectors, `portLevelMtls` keys that are not ports or that sit on a policy without selector (istiod ignores them), DestinationRules without host. The analysis treats them as the mesh does (ignored, or UNSET) and says so.",
    why: "An invalid policy is not enforced: the protection it was written for is absent, while reviewers reading the manifests believe it is there.",
    example: "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: shop}\nspec:\n  mtls: {mode: STRICTT}\n",
    fix: "Correct the field; `istioctl analyze` and `linkerd check` report the same problems against a live cluster.",
    fixed_example: "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: shop}\nspec:\n  mtls: {mode: STRICT}\n",
    references: &["https://istio.io/latest/docs/reference/config/security/peer_authentication/"],
};

pub(crate) fn run(m: &Mesh<'_>, out: &mut Vec<Finding>) {
    for p in &m.problems {
        out.push(at(
            &META,
            m,
            p.object,
            p.pos,
            &p.field,
            format!("{} {}: {}", p.object.kind, p.object.name, p.message),
            &p.message,
        ));
    }
}
