//! IMG002 `ssh-port-exposed`: the image exposes the SSH port.

use bulwark_model::Severity;

use super::{Hit, ImageCheckMeta, ImageFacts};

pub(super) static META: ImageCheckMeta = ImageCheckMeta {
    id: "IMG002",
    name: "ssh-port-exposed",
    title: "SSH port exposed",
    severity: Severity::Medium,
    what: "Reports an image whose config exposes port 22 (`EXPOSE 22`).",
    why: "An SSH daemon in a container is a second way in that bypasses the platform's \
          access control, audit and session recording, usually with long-lived keys or \
          passwords. Containers are replaced, not logged into; `kubectl exec` (audited) \
          covers the rare need.",
    fix: "Remove the SSH server and `EXPOSE 22`; use `kubectl exec` or an ephemeral debug \
          container when you need a shell.",
};

pub(super) fn run(facts: &ImageFacts<'_>) -> Vec<Hit> {
    let Some(config) = facts.config else {
        return Vec::new();
    };
    config
        .exposed_ports
        .iter()
        .filter(|p| p.as_str() == "22" || p.starts_with("22/"))
        .map(|p| Hit {
            key: format!("config.ExposedPorts[{p}]"),
            file: None,
            field: format!("config.ExposedPorts[{p}]"),
            message: format!("the image exposes port {p}, the SSH port"),
        })
        .collect()
}
