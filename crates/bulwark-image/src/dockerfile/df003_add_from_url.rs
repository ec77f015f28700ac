//! DF003 `dockerfile-add-from-url`: `ADD` fetches a remote URL.

use bulwark_model::Severity;

use super::{Hit, Instruction, words};
use crate::checks::ImageCheckMeta;

pub(super) static META: ImageCheckMeta = ImageCheckMeta {
    id: "DF003",
    name: "dockerfile-add-from-url",
    title: "ADD of a remote URL",
    severity: Severity::Medium,
    what: "Reports an `ADD` whose source is an `http://` or `https://` URL without a \
           `--checksum`.",
    why: "The build copies whatever the server returns, unverified; a compromised or spoofed \
          server ends up inside the image (see IMG003).",
    fix: "Use `ADD --checksum=sha256:…` or download in a `RUN` step that verifies a pinned \
          checksum.",
};

pub(super) fn run(instructions: &[Instruction]) -> Vec<Hit> {
    instructions
        .iter()
        .filter(|i| i.keyword == "ADD")
        .filter_map(|i| {
            let w = words(&i.args);
            if w.iter().any(|x| x.starts_with("--checksum")) {
                return None;
            }
            let src = w.iter().find(|x| !x.starts_with("--"))?;
            (src.starts_with("http://") || src.starts_with("https://")).then(|| Hit {
                line: i.line,
                key: format!("add:{src}"),
                message: format!("ADD fetches {src} without a checksum"),
            })
        })
        .collect()
}
