//! DF001 `base-image-latest`: a stage starts from an image without a tag, or `latest`.

use bulwark_model::Severity;

use super::{Hit, Instruction, stage_names, words};
use crate::checks::ImageCheckMeta;

pub(super) static META: ImageCheckMeta = ImageCheckMeta {
    id: "DF001",
    name: "base-image-latest",
    title: "Base image not pinned",
    severity: Severity::Medium,
    what: "Reports a `FROM` whose image has no tag or the tag `latest` and no digest. `scratch`, \
           earlier build stages and images named by a build argument (`$BASE`) are not \
           reported.",
    why: "`latest` is whatever the registry serves on the day of the build: builds stop being \
          reproducible, a compromised or broken upstream push lands in the next image, and \
          nobody can tell which base a running container has.",
    fix: "Pin a version tag, better a digest: `FROM debian:12.6-slim@sha256:…`, and let a bot \
          propose updates.",
};

pub(super) fn run(instructions: &[Instruction]) -> Vec<Hit> {
    let stages = stage_names(instructions);
    instructions
        .iter()
        .filter(|i| i.keyword == "FROM")
        .filter_map(|i| {
            let w = words(&i.args);
            let image = w.iter().find(|x| !x.starts_with("--"))?;
            let lower = image.to_ascii_lowercase();
            if lower == "scratch"
                || stages.contains(&lower)
                || image.contains('$')
                || image.contains('@')
            {
                return None;
            }
            // The tag is after the last `:` that is not part of a registry's host:port.
            let last = image.rsplit('/').next().unwrap_or(image);
            let tag = last.split_once(':').map(|(_, t)| t);
            let message = match tag {
                None => format!("FROM {image} has no tag, so it means latest"),
                Some("latest") => format!("FROM {image} uses the latest tag"),
                Some(_) => return None,
            };
            Some(Hit {
                line: i.line,
                key: format!("from:{image}"),
                message,
            })
        })
        .collect()
}
