//! DF002 `dockerfile-runs-as-root`: the final stage never switches to a non-root user.

use bulwark_model::Severity;

use super::{Hit, Instruction, final_stage};
use crate::checks::ImageCheckMeta;

pub(super) static META: ImageCheckMeta = ImageCheckMeta {
    id: "DF002",
    name: "dockerfile-runs-as-root",
    title: "Image built to run as root",
    severity: Severity::Medium,
    what: "Reports a Dockerfile whose final stage has no `USER` instruction, or whose last \
           `USER` is `root` or `0`.",
    why: "The image's processes then run as root unless every runtime overrides it; see \
          IMG001 for what that exposes.",
    fix: "End the final stage with `USER 10001` (a numeric, non-root id) after the steps that \
          need root.",
};

pub(super) fn run(instructions: &[Instruction]) -> Vec<Hit> {
    let last = final_stage(instructions);
    let Some(from) = instructions
        .iter()
        .find(|i| i.keyword == "FROM" && i.stage == last)
    else {
        return Vec::new();
    };
    let user = instructions
        .iter()
        .rfind(|i| i.stage == last && i.keyword == "USER");
    match user {
        None => vec![Hit {
            line: from.line,
            key: "user".to_string(),
            message: "the final stage sets no USER, so the image runs as root".to_string(),
        }],
        Some(u) => {
            let name = u.args.split(':').next().unwrap_or_default().trim();
            if name == "root" || name == "0" {
                vec![Hit {
                    line: u.line,
                    key: "user".to_string(),
                    message: format!("the final USER is {:?}, which is root", u.args),
                }]
            } else {
                Vec::new()
            }
        }
    }
}
