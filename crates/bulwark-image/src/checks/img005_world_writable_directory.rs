//! IMG005 `world-writable-directory`: a directory anyone can write to, without the sticky bit.

use bulwark_model::Severity;

use super::{Hit, ImageCheckMeta, ImageFacts, layer};

pub(super) static META: ImageCheckMeta = ImageCheckMeta {
    id: "IMG005",
    name: "world-writable-directory",
    title: "World-writable directory without the sticky bit",
    severity: Severity::Low,
    what: "Reports a directory entry of any layer whose mode lets everyone write (`o+w`) but \
           has no sticky bit (`/tmp` is `1777`: anyone may create files, only owners may \
           remove them).",
    why: "Any process of the container, whatever its user, can replace the files in such a \
          directory: a binary on the `PATH`, a configuration file, a library, a script another \
          user runs.",
    fix: "Remove the write bit for others (`chmod o-w`), or add the sticky bit where a shared \
          scratch directory is really needed.",
};

pub(super) fn run(facts: &ImageFacts<'_>) -> Vec<Hit> {
    facts
        .world_writable_dirs
        .iter()
        .map(|(path, l, mode)| Hit {
            key: path.clone(),
            file: Some(path.clone()),
            field: layer(*l),
            message: format!(
                "{path} is writable by everyone and has no sticky bit (mode {:o})",
                mode & 0o7777
            ),
        })
        .collect()
}
