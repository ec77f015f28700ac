//! Running the checks over a snapshot.

use bulwark_k8s::{PodTemplate, Snapshot};
use bulwark_model::{Category, Finding, Note, NoteKind, Suppression};
use rayon::prelude::*;

use crate::cx::Cx;
use crate::meta::Scope;
use crate::registry::{Check, all};
use crate::suppress::Suppressor;

/// Options that change what checks report.
#[derive(Debug, Clone)]
pub struct Options {
    /// The namespace objects without one land in.
    pub default_namespace: String,
    /// Whether the user chose [`Options::default_namespace`] (`--default-namespace`).
    pub default_namespace_given: bool,
    /// Whether `bulwark.dev/ignore` annotations are honoured (`--no-annotation-ignores` turns
    /// them off).
    pub annotation_ignores: bool,
    /// Secrets created longer ago than this many days are reported as not rotated (K8S056).
    pub secret_max_age_days: u32,
    /// The time ages are measured against, in seconds since the Unix epoch; `None` is the
    /// clock at the time of the run (tests pin it).
    pub now: Option<i64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            default_namespace: "default".to_string(),
            default_namespace_given: false,
            annotation_ignores: true,
            secret_max_age_days: 90,
            now: None,
        }
    }
}

/// Which checks run. A check runs when it is in `only` (or `only` is empty) and not in `skip`.
/// Entries are check ids or names.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Run only these.
    pub only: Vec<String>,
    /// Never run these.
    pub skip: Vec<String>,
    /// Run only checks of these categories (empty: every category).
    pub categories: Vec<Category>,
}

impl Selection {
    /// Every entry that names no check, for a clear error before scanning.
    pub fn unknown(&self) -> Vec<String> {
        self.only
            .iter()
            .chain(&self.skip)
            .filter(|s| crate::find(s).is_none() && crate::retired(s).is_none())
            .cloned()
            .collect()
    }

    fn selects(&self, check: &dyn Check) -> bool {
        let id = check.meta().id;
        let named = |s: &String| crate::find(s).is_some_and(|c| c.meta().id == id);
        (self.only.is_empty() || self.only.iter().any(named))
            && !self.skip.iter().any(named)
            && (self.categories.is_empty() || self.categories.contains(&check.meta().category))
    }
}

/// What the checks produced.
#[derive(Debug, Default)]
pub struct RunOutput {
    /// Findings in object order.
    pub findings: Vec<Finding>,
    /// Annotation suppressions: the index of the finding in `findings` and why, in index order.
    pub suppressions: Vec<(usize, Suppression)>,
    /// Problems with suppression annotations (unknown ids).
    pub notes: Vec<Note>,
}

impl RunOutput {
    /// The annotation suppression of finding `index`, if any.
    pub fn suppression_of(&self, index: usize) -> Option<&Suppression> {
        self.suppressions
            .binary_search_by_key(&index, |(i, _)| *i)
            .ok()
            .map(|at| &self.suppressions[at].1)
    }

    /// The findings no annotation suppresses.
    pub fn unsuppressed(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .enumerate()
            .filter(|(i, _)| self.suppression_of(*i).is_none())
            .map(|(_, f)| f)
    }
}

/// Runs the selected checks on every object of `snapshot`.
pub fn run(snapshot: &Snapshot, selection: &Selection, options: &Options) -> RunOutput {
    let checks: Vec<&dyn Check> = all()
        .iter()
        .copied()
        .filter(|c| selection.selects(*c))
        .collect();
    let per_object: Vec<RunOutput> = snapshot
        .objects()
        .par_iter()
        .map(|object| {
            let pod = PodTemplate::of(object);
            let mut findings = Vec::new();
            for check in &checks {
                let meta = check.meta();
                let applies = match meta.scope {
                    Scope::Workload => pod.is_some(),
                    Scope::Kinds(kinds) => kinds.contains(&object.kind.as_ref()),
                    Scope::AnyObject => true,
                };
                if !applies {
                    continue;
                }
                let mut cx = Cx {
                    snapshot,
                    object,
                    pod,
                    options,
                    meta,
                    out: Vec::new(),
                };
                check.run(&mut cx);
                findings.append(&mut cx.out);
            }
            findings.shrink_to_fit();
            let mut notes = Vec::new();
            let mut suppressions = Vec::new();
            if options.annotation_ignores {
                let suppressor = Suppressor::new(object, pod.as_ref(), &mut notes);
                for (i, f) in findings.iter().enumerate() {
                    if let Some(s) = suppressor.suppression(f) {
                        suppressions.push((i, s));
                    }
                }
            }
            RunOutput {
                findings,
                suppressions,
                notes,
            }
        })
        .collect();
    // Exact sizes up front: for large scans the findings are most of the memory.
    let mut out = RunOutput {
        findings: Vec::with_capacity(per_object.iter().map(|o| o.findings.len()).sum()),
        ..RunOutput::default()
    };
    for o in per_object {
        let base = out.findings.len();
        out.findings.extend(o.findings);
        out.suppressions
            .extend(o.suppressions.into_iter().map(|(i, s)| (base + i, s)));
        out.notes.extend(o.notes);
    }
    out
}

pub(crate) fn note(path: &str, message: String) -> Note {
    Note {
        kind: NoteKind::Other,
        path: Some(path.to_string()),
        message,
    }
}
