//! Suppression by annotation: `bulwark.dev/ignore: "ID[=reason][,ID…]"` on the object or its
//! pod template, and `bulwark.dev/ignore.<container>` for one container.

use bulwark_k8s::{Node, Object, PodTemplate};
use bulwark_model::{Finding, Note, Suppression, SuppressionSource};

use crate::run::note;

/// The annotation key (and, with `.<container>`, the per-container key prefix).
pub const ANNOTATION_PREFIX: &str = "bulwark.dev/ignore";

struct Rule {
    id: &'static str,
    container: Option<String>,
    reason: Option<String>,
    origin: String,
}

/// The suppression annotations of one object.
pub(crate) struct Suppressor {
    rules: Vec<Rule>,
}

impl Suppressor {
    pub(crate) fn new(
        object: &Object,
        pod: Option<&PodTemplate<'_>>,
        notes: &mut Vec<Note>,
    ) -> Self {
        let mut rules = Vec::new();
        let object_meta = object.metadata();
        add_rules(object, object_meta, "the object", &mut rules, notes);
        if let Some(pod) = pod {
            // A Pod's own metadata is its pod metadata: do not read it twice.
            if pod.metadata_path != "metadata" {
                add_rules(object, pod.metadata, "the pod template", &mut rules, notes);
            }
        }
        Suppressor { rules }
    }

    pub(crate) fn suppression(&self, finding: &Finding) -> Option<Suppression> {
        let container = finding
            .resource
            .as_ref()
            .and_then(|r| r.container.as_deref());
        self.rules
            .iter()
            .find(|r| {
                r.id == finding.id && r.container.as_deref().is_none_or(|c| Some(c) == container)
            })
            .map(|r| Suppression {
                source: SuppressionSource::Annotation,
                reason: r.reason.clone(),
                origin: r.origin.clone(),
            })
    }
}

fn add_rules(
    object: &Object,
    metadata: Option<&Node>,
    whose: &str,
    rules: &mut Vec<Rule>,
    notes: &mut Vec<Note>,
) {
    let Some(annotations) = metadata.and_then(|m| m.get("annotations")) else {
        return;
    };
    for (key, value) in annotations.str_pairs() {
        let container = if key == ANNOTATION_PREFIX {
            None
        } else if let Some(c) = key
            .strip_prefix(ANNOTATION_PREFIX)
            .and_then(|rest| rest.strip_prefix('.'))
        {
            Some(c.to_string())
        } else {
            continue;
        };
        let origin = format!("annotation {key} on {whose}");
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, reason) = match entry.split_once('=') {
                Some((id, reason)) => (id.trim(), Some(reason.trim().to_string())),
                None => (entry, None),
            };
            match crate::find(id) {
                Some(check) => rules.push(Rule {
                    id: check.meta().id,
                    container: container.clone(),
                    reason: reason.filter(|r| !r.is_empty()),
                    origin: origin.clone(),
                }),
                None => notes.push(note(
                    &object.path,
                    format!(
                        "{} {}: {origin} names {id:?}, which is not a check; it suppresses nothing",
                        object.kind, object.name
                    ),
                )),
            }
        }
    }
}
