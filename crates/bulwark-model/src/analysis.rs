//! Metadata of the checks that cluster-wide analyses make (reachability, RBAC, service mesh):
//! one static [`AnalysisCheck`] per stable id, its documentation generated from it.

use std::fmt::Write as _;

use crate::{Category, Finding, Fingerprint, Location, ResourceRef, Severity};

/// A cluster-analysis check's identity and documentation (Markdown fields). Unlike a
/// per-object check, its examples are whole multi-document manifests: the finding comes from
/// how objects relate (a policy and the pods it selects, a binding and the role it grants).
#[derive(Debug)]
pub struct AnalysisCheck {
    /// Stable id, never reused (`NET001`, `RBAC001`, `MESH001`).
    pub id: &'static str,
    /// Stable slug naming the bad pattern.
    pub name: &'static str,
    /// One-line title.
    pub title: &'static str,
    /// Severity of its findings (an analysis may raise or lower one finding, and says so in
    /// `what`).
    pub severity: Severity,
    /// Category of its findings.
    pub category: Category,
    /// Standards references (`cis-k8s/5.3.2`, `nsa-cisa/network-separation`).
    pub standards: &'static [&'static str],
    /// What it reports, exactly.
    pub what: &'static str,
    /// Why that matters: what an attacker gains.
    pub why: &'static str,
    /// Manifests that produce the finding (tested).
    pub example: &'static str,
    /// How to fix it; also the `remediation` of every finding.
    pub fix: &'static str,
    /// The example, fixed (tested: no finding of this check).
    pub fixed_example: &'static str,
    /// Links.
    pub references: &'static [&'static str],
}

impl AnalysisCheck {
    /// A finding of this check. `key` identifies it for the fingerprint (the subjects, the
    /// workload pair, the policy): never a line number.
    pub fn finding(
        &'static self,
        message: String,
        resource: Option<ResourceRef>,
        location: Option<Location>,
        key: &str,
    ) -> Finding {
        Finding {
            id: self.id.into(),
            check: Some(self.name.into()),
            category: self.category,
            severity: self.severity,
            title: self.title.into(),
            message,
            resource,
            location,
            standards: self.standards.iter().map(|s| (*s).into()).collect(),
            remediation: self.fix.into(),
            fingerprint: Fingerprint::new(self.id).part(key).finish(),
            secret: None,
            commits: Vec::new(),
            vulnerability: None,
        }
    }

    /// The documentation page, in Markdown.
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "## {} `{}`: {}\n", self.id, self.name, self.title);
        let _ = writeln!(
            s,
            "Severity: **{}** · Category: `{}`{}\n",
            self.severity.as_str(),
            self.category,
            if self.standards.is_empty() {
                String::new()
            } else {
                format!(
                    " · Standards: {}",
                    self.standards
                        .iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
        let _ = writeln!(s, "**What it does.** {}\n", self.what);
        let _ = writeln!(s, "**Why is this bad?** {}\n", self.why);
        let _ = writeln!(s, "Example:\n\n```yaml\n{}```\n", self.example);
        let _ = writeln!(s, "**How to fix it.** {}\n", self.fix);
        let _ = writeln!(s, "```yaml\n{}```\n", self.fixed_example);
        if !self.references.is_empty() {
            let _ = writeln!(s, "References:\n");
            for r in self.references {
                let _ = writeln!(s, "- <{r}>");
            }
            s.push('\n');
        }
        s
    }
}
