//! Who can do what: effective Kubernetes RBAC permissions per subject, risky grants, and the
//! workloads that run with them.
//!
//! [`Rbac`] resolves the Roles, ClusterRoles (aggregation included), RoleBindings and
//! ClusterRoleBindings of a [`Snapshot`] and answers authorization questions exactly as the
//! Kubernetes RBAC authorizer would: [`Rbac::can`] for one identity, [`Rbac::who_can`] for
//! every subject, [`Rbac::permissions`] for everything one subject may do. [`findings`] runs
//! the risky-permission checks (`RBAC001`…, [`checks`]). No I/O; deterministic. The decisions
//! taken where Kubernetes leaves room are in docs/rbac.md.

mod builtin;
mod checks;
mod model;
mod rbac;
mod request;

use bulwark_k8s::Snapshot;
use bulwark_model::{AnalysisCheck, Finding};

pub use model::{
    Binding, BindingKind, RBAC_GROUP, Role, RoleKind, RoleRef, Rule, Subject, SubjectKind,
};
pub use rbac::{
    Grant, Identity, ObjectRef, Permission, Rbac, SubjectGrant, SubjectPermissions, Unresolved,
    WhoCan,
};
pub use request::{Request, Resource, ResourceError, Target, rule_allows};

/// Every RBAC check, in id order.
pub fn checks() -> &'static [&'static AnalysisCheck] {
    checks::CHECKS
}

/// Every RBAC finding of `snapshot`, sorted by check id, file, line and message.
pub fn findings(snapshot: &Snapshot) -> Vec<Finding> {
    checks::findings(snapshot)
}
