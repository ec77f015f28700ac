//! IMG001 `image-runs-as-root`: the image's processes run as root unless the runtime overrides it.

use bulwark_model::Severity;

use super::{Hit, ImageCheckMeta, ImageFacts};

pub(super) static META: ImageCheckMeta = ImageCheckMeta {
    id: "IMG001",
    name: "image-runs-as-root",
    title: "Image runs as root",
    severity: Severity::Medium,
    what: "Reports an image whose config sets no `User`, or sets `root`, `0` or a `0:` \
           user/group pair.",
    why: "A process that runs as root inside the container is one kernel bug or one \
          misconfiguration (a host mount, a capability) away from root on the node, and can \
          rewrite the container's own binaries. Kubernetes can force a user \
          (`runAsNonRoot`, `runAsUser`), but an image that needs root breaks when it does.",
    fix: "Add a `USER` instruction with a non-root numeric id (`USER 10001`) after the steps \
          that need root, and make the files the process writes owned by that user.",
};

pub(super) fn run(facts: &ImageFacts<'_>) -> Vec<Hit> {
    let Some(config) = facts.config else {
        return Vec::new();
    };
    let user = config.user.trim();
    let name = user.split(':').next().unwrap_or_default();
    let message = if user.is_empty() {
        "the image sets no USER, so its processes run as root".to_string()
    } else if name == "root" || name == "0" {
        format!("the image runs as {user:?}, which is root")
    } else {
        return Vec::new();
    };
    vec![Hit {
        key: "config.User".to_string(),
        file: None,
        field: "config.User".to_string(),
        message,
    }]
}
