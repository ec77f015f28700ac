//! DF008 `shell-form-command`: `CMD`/`ENTRYPOINT` in shell form.

use bulwark_model::Severity;

use super::{Hit, Instruction, final_stage};
use crate::checks::ImageCheckMeta;

pub(super) static META: ImageCheckMeta = ImageCheckMeta {
    id: "DF008",
    name: "shell-form-command",
    title: "CMD or ENTRYPOINT in shell form",
    severity: Severity::Low,
    what: "Reports a `CMD` or `ENTRYPOINT` of the final stage written in shell form (not a \
           JSON array).",
    why: "The shell form runs the program under `/bin/sh -c`, which does not forward SIGTERM: \
          the container ignores graceful shutdown and is killed after the grace period, losing \
          in-flight work. It also needs a shell in the image.",
    fix: "Use the exec form: `CMD [\"python3\", \"/app/main.py\"]`.",
};

pub(super) fn run(instructions: &[Instruction]) -> Vec<Hit> {
    let last = final_stage(instructions);
    instructions
        .iter()
        .filter(|i| i.stage == last && (i.keyword == "CMD" || i.keyword == "ENTRYPOINT"))
        .filter(|i| !i.args.trim_start().starts_with('['))
        .map(|i| Hit {
            line: i.line,
            key: i.keyword.to_ascii_lowercase(),
            message: format!(
                "{} is in shell form, so signals do not reach the program",
                i.keyword
            ),
        })
        .collect()
}
