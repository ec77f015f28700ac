//! MESH002: a PeerAuthentication disables mTLS.

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use crate::Mesh;
use crate::istio::MtlsMode;

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "MESH002",
    name: "istio-mtls-disabled",
    title: "PeerAuthentication disables mTLS",
    severity: Severity::High,
    category: Category::Mesh,
    standards: &[],
    what: "Reports every Istio PeerAuthentication whose `mtls.mode` or a `portLevelMtls` entry is DISABLE, at mesh, namespace or workload level (DestinationRules that disable TLS are MESH014).",
    why: "With DISABLE the sidecar no longer terminates mTLS: every connection to the covered ports is plaintext, carries no peer identity, and principal- or namespace-based AuthorizationPolicy rules never match, so they either deny everything or are bypassed by rules that do not check identity.",
    example: "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: legacy, namespace: shop}\nspec:\n  selector: {matchLabels: {app: legacy}}\n  mtls: {mode: DISABLE}\n",
    fix: "Remove the DISABLE policy or set STRICT; if one port must serve plaintext (a health port scraped from outside the mesh), use `portLevelMtls` for that port only, with PERMISSIVE rather than DISABLE.",
    fixed_example: "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: legacy, namespace: shop}\nspec:\n  selector: {matchLabels: {app: legacy}}\n  mtls: {mode: STRICT}\n",
    references: &["https://istio.io/latest/docs/reference/config/security/peer_authentication/"],
};

pub(crate) fn run(m: &Mesh<'_>, out: &mut Vec<Finding>) {
    super::mesh001_istio_mtls_permissive::report_mode(&META, m, MtlsMode::Disable, out);
}
