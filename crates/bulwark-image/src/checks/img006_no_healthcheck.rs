//! IMG006 `no-healthcheck`: the image declares no health check.

use bulwark_model::Severity;

use super::{Hit, ImageCheckMeta, ImageFacts};

pub(super) static META: ImageCheckMeta = ImageCheckMeta {
    id: "IMG006",
    name: "no-healthcheck",
    title: "No health check",
    severity: Severity::Low,
    what: "Reports an image whose config has no `Healthcheck`.",
    why: "Without a health check, runtimes other than Kubernetes (Docker, Compose, Podman) \
          cannot tell a hung process from a working one. Kubernetes ignores `HEALTHCHECK` and \
          uses probes, so this is informational there.",
    fix: "Add a `HEALTHCHECK` instruction, or make sure the workloads that run the image define \
          liveness and readiness probes.",
};

pub(super) fn run(facts: &ImageFacts<'_>) -> Vec<Hit> {
    match facts.config {
        Some(config) if !config.healthcheck => vec![Hit {
            key: "config.Healthcheck".to_string(),
            file: None,
            field: "config.Healthcheck".to_string(),
            message: "the image declares no HEALTHCHECK".to_string(),
        }],
        _ => Vec::new(),
    }
}
