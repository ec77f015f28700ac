//! IMG003 `add-from-url`: a build step downloaded content with `ADD <url>`.

use bulwark_model::Severity;

use super::{Hit, ImageCheckMeta, ImageFacts};

pub(super) static META: ImageCheckMeta = ImageCheckMeta {
    id: "IMG003",
    name: "add-from-url",
    title: "Build step adds a remote URL",
    severity: Severity::Medium,
    what: "Reports a build history entry (`created_by`) that is an `ADD` of an `http://` or \
           `https://` URL.",
    why: "`ADD <url>` fetches whatever the server returns at build time, without a checksum \
          unless one is given, so the image's content depends on a third party and a \
          compromised or spoofed server ends up inside it.",
    fix: "Download in a `RUN` step that verifies a pinned checksum (or use `ADD --checksum`), \
          or vendor the file into the build context.",
};

pub(super) fn run(facts: &ImageFacts<'_>) -> Vec<Hit> {
    let Some(config) = facts.config else {
        return Vec::new();
    };
    config
        .history
        .iter()
        .enumerate()
        .filter(|(_, (created_by, _))| {
            let step = created_by
                .split_once("#(nop)")
                .map_or(created_by.as_str(), |(_, s)| s)
                .trim_start();
            let mut words = step.split_whitespace();
            words.next() == Some("ADD")
                && words
                    .find(|w| !w.starts_with("--"))
                    .is_some_and(|src| src.starts_with("http://") || src.starts_with("https://"))
        })
        .map(|(i, _)| Hit {
            key: format!("history[{i}]"),
            file: None,
            field: format!("history[{i}].created_by"),
            message: format!("build step {i} adds content straight from a URL"),
        })
        .collect()
}
