//! DF006 `dockerfile-ssh-port-exposed`: `EXPOSE 22`.

use bulwark_model::Severity;

use super::{Hit, Instruction, words};
use crate::checks::ImageCheckMeta;

pub(super) static META: ImageCheckMeta = ImageCheckMeta {
    id: "DF006",
    name: "dockerfile-ssh-port-exposed",
    title: "SSH port exposed",
    severity: Severity::Medium,
    what: "Reports an `EXPOSE` of port 22.",
    why: "See IMG002: an SSH daemon in a container bypasses the platform's access control and \
          audit.",
    fix: "Remove the SSH server and the `EXPOSE 22`; use `kubectl exec` when a shell is needed.",
};

pub(super) fn run(instructions: &[Instruction]) -> Vec<Hit> {
    instructions
        .iter()
        .filter(|i| i.keyword == "EXPOSE")
        .filter(|i| {
            words(&i.args)
                .iter()
                .any(|p| p == "22" || p.starts_with("22/"))
        })
        .map(|i| Hit {
            line: i.line,
            key: "expose:22".to_string(),
            message: "EXPOSE 22 publishes the SSH port".to_string(),
        })
        .collect()
}
