//! The cluster-wide analyses (reachability, RBAC, service mesh) composed for `scan` and
//! `checks`: their checks in one list, and their findings for one snapshot.

use bulwark_k8s::Snapshot;
use bulwark_model::{AnalysisCheck, Finding};

/// Which analyses a scan runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Enabled {
    /// NetworkPolicy reachability (`NETnnn`).
    pub network: bool,
    /// RBAC (`RBACnnn`).
    pub rbac: bool,
    /// Service mesh (`MESHnnn`).
    pub mesh: bool,
}

/// Every analysis check, by family, in id order.
pub fn checks() -> impl Iterator<Item = &'static AnalysisCheck> {
    bulwark_netpol::checks()
        .iter()
        .chain(bulwark_rbac::checks())
        .chain(bulwark_mesh::checks())
        .copied()
}

/// The analysis check named by `s` (id, any case, or name).
pub fn find(s: &str) -> Option<&'static AnalysisCheck> {
    checks().find(|c| c.id.eq_ignore_ascii_case(s) || c.name == s)
}

/// The findings of the enabled analyses, keeping those `keep` selects.
pub fn findings(
    snapshot: &Snapshot,
    enabled: Enabled,
    keep: &dyn Fn(&AnalysisCheck) -> bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if enabled.network {
        out.extend(bulwark_netpol::findings(snapshot));
    }
    if enabled.rbac {
        out.extend(bulwark_rbac::findings(snapshot));
    }
    if enabled.mesh {
        out.extend(bulwark_mesh::findings(snapshot));
    }
    out.retain(|f| find(&f.id).is_none_or(keep));
    out
}
