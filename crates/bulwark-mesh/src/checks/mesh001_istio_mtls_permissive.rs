//! MESH001: a PeerAuthentication sets PERMISSIVE mTLS.

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::at;
use crate::istio::{MtlsMode, PeerAuth, ROOT_NAMESPACE, Scope};
use crate::{Mesh, MtlsLevel};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "MESH001",
    name: "istio-mtls-permissive",
    title: "PeerAuthentication accepts plaintext (PERMISSIVE mTLS)",
    severity: Severity::Medium,
    category: Category::Mesh,
    standards: &[],
    what: "Reports every Istio PeerAuthentication whose `mtls.mode` or a `portLevelMtls` entry is PERMISSIVE, at mesh (root namespace `istio-system`, no selector), namespace or workload level. The message says which level and, for workload policies, which workloads it decides.",
    why: "PERMISSIVE sidecars accept plaintext as well as mTLS. Any pod without a sidecar (or an attacker's pod in a namespace without injection) can then connect without identity: principal- and namespace-based AuthorizationPolicy rules cannot tell who it is, and traffic can be read on the wire.",
    example: "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: istio-system}\nspec:\n  mtls: {mode: PERMISSIVE}\n",
    fix: "Set `mtls.mode: STRICT` mesh-wide (a PeerAuthentication named `default` in `istio-system`) once every client has a sidecar; keep PERMISSIVE only on the specific ports that must accept plaintext, with a workload selector.",
    fixed_example: "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: istio-system}\nspec:\n  mtls: {mode: STRICT}\n",
    references: &[
        "https://istio.io/latest/docs/reference/config/security/peer_authentication/",
        "https://istio.io/latest/docs/tasks/security/authentication/mtls-migration/",
    ],
};

/// The level a PeerAuthentication sets.
pub(crate) fn level(pa: &PeerAuth<'_>) -> MtlsLevel {
    match pa.scope {
        Scope::Namespace if pa.namespace == ROOT_NAMESPACE => MtlsLevel::Mesh,
        Scope::Namespace => MtlsLevel::Namespace,
        _ => MtlsLevel::Workload,
    }
}

/// Findings of `meta` for every PeerAuthentication setting `mode`.
pub(crate) fn report_mode(
    meta: &'static AnalysisCheck,
    m: &Mesh<'_>,
    mode: MtlsMode,
    out: &mut Vec<Finding>,
) {
    let word = mode.as_str();
    for pa in &m.istio.peer {
        let scope_text = match level(pa) {
            MtlsLevel::Mesh => "mesh-wide".to_string(),
            MtlsLevel::Namespace => format!("for namespace {}", pa.namespace),
            _ => {
                let who: Vec<String> = m
                    .workloads
                    .iter()
                    .filter(|(w, _)| {
                        m.istio
                            .workload_policy(w)
                            .is_some_and(|p| crate::util::same(p.object, pa.object))
                    })
                    .map(|(w, _)| w.display())
                    .collect();
                if who.is_empty() {
                    "for the workloads it selects".to_string()
                } else {
                    format!("for {}", super::list(&who))
                }
            }
        };
        if pa.mode == Some(mode) {
            let pos = pa.mode_node.map_or(pa.object.pos(), |n| n.pos);
            out.push(at(
                meta,
                m,
                pa.object,
                pos,
                "spec.mtls.mode",
                format!(
                    "PeerAuthentication {} sets mTLS {word} {scope_text}",
                    pa.id()
                ),
                "mode",
            ));
        }
        for (port, pmode, node) in &pa.ports {
            if *pmode == Some(mode) {
                out.push(at(
                    meta,
                    m,
                    pa.object,
                    node.pos,
                    &format!("spec.portLevelMtls.{port}.mode"),
                    format!(
                        "PeerAuthentication {} sets mTLS {word} on port {port} {scope_text}",
                        pa.id()
                    ),
                    &port.to_string(),
                ));
            }
        }
    }
}

pub(crate) fn run(m: &Mesh<'_>, out: &mut Vec<Finding>) {
    report_mode(&META, m, MtlsMode::Permissive, out);
}
