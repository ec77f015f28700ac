//! IMG004 `setuid-file-added`: the image adds a setuid or setgid file on top of its base.

use bulwark_model::Severity;

use super::{Hit, ImageCheckMeta, ImageFacts, layer};

pub(super) static META: ImageCheckMeta = ImageCheckMeta {
    id: "IMG004",
    name: "setuid-file-added",
    title: "Setuid or setgid file added",
    severity: Severity::Medium,
    what: "Reports a regular file of the merged file system with the setuid or setgid bit, \
           written by a layer above the first one (the base file system: the setuid binaries \
           every distribution ships there, `su`, `passwd`, `mount`, are taken as given).",
    why: "A setuid file runs with its owner's privileges whoever starts it: one bug in it is a \
          privilege escalation inside the container. Files added on top of the base are the \
          ones the image's authors chose, and the ones nobody reviews.",
    fix: "Clear the bits (`chmod u-s,g-s FILE` in the build) or remove the file; run the \
          container with `allowPrivilegeEscalation: false`, which makes the bits ineffective.",
};

pub(super) fn run(facts: &ImageFacts<'_>) -> Vec<Hit> {
    facts
        .setuid_files
        .iter()
        .filter(|(_, l, _)| *l > 0)
        .map(|(path, l, mode)| {
            let bits = match (mode & 0o4000 != 0, mode & 0o2000 != 0) {
                (true, true) => "setuid and setgid",
                (true, false) => "setuid",
                _ => "setgid",
            };
            Hit {
                key: path.clone(),
                file: Some(path.clone()),
                field: layer(*l),
                message: format!("{path} is {bits} (mode {:o})", mode & 0o7777),
            }
        })
        .collect()
}
