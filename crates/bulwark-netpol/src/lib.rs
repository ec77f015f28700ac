//! Who can reach whom: NetworkPolicy, AdminNetworkPolicy and BaselineAdminNetworkPolicy
//! evaluated exactly over the workloads of a set of manifests.
//!
//! [`Network::build`] reads a snapshot into endpoints (workloads, address ranges outside the
//! cluster, the ingress controller) and policies; [`Network::connections`] lists every allowed
//! connection and [`Network::explain`] says which policies decide one. [`render`] writes the
//! list as text (the conformance suite's `connlist` format), JSON, DOT or Mermaid, and
//! [`findings`] turns the facts into network findings. Nothing here does I/O, and every
//! result is deterministic.

pub mod conn;
mod ingress;
pub mod ip;
mod network;
pub mod policy;
pub mod render;

pub use conn::{ConnSet, PortSet, Protocol};
pub use ingress::Route;
pub use ip::IpRange;
pub use network::{Connection, Direction, Endpoint, Network, Pod, Summary};
pub use policy::Warning;

mod checks;

use bulwark_k8s::Snapshot;
use bulwark_model::{AnalysisCheck, Finding};

/// Every network check, in id order.
pub fn checks() -> &'static [&'static AnalysisCheck] {
    checks::METAS
}

/// The network findings of `snapshot` (builds its [`Network`]; use [`findings_of`] when you
/// have one).
pub fn findings(snapshot: &Snapshot) -> Vec<Finding> {
    findings_of(snapshot, &Network::build(snapshot))
}

/// The network findings of `snapshot`, given its network.
pub fn findings_of(snapshot: &Snapshot, net: &Network) -> Vec<Finding> {
    checks::run(snapshot, net)
}
