//! Misconfiguration checks over a Kubernetes snapshot: one file per check, a registry of stable
//! ids, and documentation generated from each check's metadata.
//!
//! A check reads a [`Snapshot`] (never a live cluster) and reports [`Finding`]s through a
//! [`Cx`]. Every check's metadata ([`CheckMeta`]) is its documentation: `bulwark checks ID` and
//! `docs/checks/*.md` are generated from it, and its bad and good examples are tested.

mod checks;
mod cx;
pub mod docs;
mod meta;
mod registry;
mod run;
mod suppress;
pub(crate) mod util;

use bulwark_k8s::Snapshot;
use bulwark_model::Finding;

pub use cx::Cx;
pub use meta::{CheckMeta, Scope};
pub use registry::{Check, RETIRED, all, find, retired};
pub use run::{Options, RunOutput, Selection, run};
pub use suppress::ANNOTATION_PREFIX;

/// Runs every check on `snapshot` with default options and returns the unsuppressed findings:
/// a convenience for tests and examples.
pub fn check_all(snapshot: &Snapshot) -> Vec<Finding> {
    run(snapshot, &Selection::default(), &Options::default())
        .unsuppressed()
        .cloned()
        .collect()
}
