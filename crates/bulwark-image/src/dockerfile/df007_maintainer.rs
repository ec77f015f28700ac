//! DF007 `maintainer-deprecated`: the deprecated `MAINTAINER` instruction.

use bulwark_model::Severity;

use super::{Hit, Instruction};
use crate::checks::ImageCheckMeta;

pub(super) static META: ImageCheckMeta = ImageCheckMeta {
    id: "DF007",
    name: "maintainer-deprecated",
    title: "MAINTAINER is deprecated",
    severity: Severity::Info,
    what: "Reports a `MAINTAINER` instruction.",
    why: "It is deprecated and ends up nowhere tools look; the standard label is read by \
          registries and scanners, and tells them who owns the image when it has a problem.",
    fix: "`LABEL org.opencontainers.image.authors=\"team@example.com\"`.",
};

pub(super) fn run(instructions: &[Instruction]) -> Vec<Hit> {
    instructions
        .iter()
        .filter(|i| i.keyword == "MAINTAINER")
        .map(|i| Hit {
            line: i.line,
            key: "maintainer".to_string(),
            message: "MAINTAINER is deprecated; use the org.opencontainers.image.authors label"
                .to_string(),
        })
        .collect()
}
