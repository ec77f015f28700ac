//! What every check declares about itself.

use bulwark_model::{Category, Severity};

/// Which objects a check looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Objects with a pod spec (see [`bulwark_k8s::PodTemplate::of`]).
    Workload,
    /// Objects of these kinds (in any API group).
    Kinds(&'static [&'static str]),
    /// Every object.
    AnyObject,
}

/// A check's identity and documentation. The documentation fields are Markdown.
#[derive(Debug)]
pub struct CheckMeta {
    /// Stable id, never reused (`K8S005`).
    pub id: &'static str,
    /// Stable slug naming the bad pattern (`privileged-container`); accepted wherever an id is.
    pub name: &'static str,
    /// One-line title.
    pub title: &'static str,
    /// Severity of every finding of this check.
    pub severity: Severity,
    /// Category of every finding of this check.
    pub category: Category,
    /// Standards references: `pss-baseline/<control>`, `pss-restricted/<control>`,
    /// `cis-k8s/<section>`, `nsa-cisa/<topic>`.
    pub standards: &'static [&'static str],
    /// Which objects it looks at.
    pub scope: Scope,
    /// What it does: the exact condition that makes a finding.
    pub what: &'static str,
    /// Why it matters: what an attacker gains.
    pub why: &'static str,
    /// A manifest that fails the check (tested: it must produce a finding).
    pub example: &'static str,
    /// How to fix it; also the `remediation` of every finding.
    pub fix: &'static str,
    /// The example, fixed (tested: it must produce no finding of this check).
    pub fixed_example: &'static str,
    /// Where a peer scanner checks the same thing, and where its meaning differs.
    pub peers: &'static str,
    /// Links to the standards and documentation.
    pub references: &'static [&'static str],
}
