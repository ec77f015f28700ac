//! DF005 `apt-install-recommends`: `apt-get install` pulls recommended packages, or prompts.

use bulwark_model::Severity;

use super::{Hit, Instruction, words};
use crate::checks::ImageCheckMeta;

pub(super) static META: ImageCheckMeta = ImageCheckMeta {
    id: "DF005",
    name: "apt-install-recommends",
    title: "apt-get install without --no-install-recommends or -y",
    severity: Severity::Low,
    what: "Reports an `apt-get install` (or `apt install`) without `--no-install-recommends` \
           (or `-o APT::Install-Recommends=false`), and one without `-y`/`--yes`/`-qq`/\
           `--assume-yes`.",
    why: "Recommended packages are software nobody asked for: more code, more CVEs to triage, \
          a larger attack surface. Without `-y` the build waits for an answer that never comes \
          (or silently depends on `DEBIAN_FRONTEND`).",
    fix: "`apt-get install -y --no-install-recommends PACKAGES && rm -rf /var/lib/apt/lists/*`.",
};

pub(super) fn run(instructions: &[Instruction]) -> Vec<Hit> {
    let mut out = Vec::new();
    for i in instructions.iter().filter(|i| i.keyword == "RUN") {
        for cmd in i.args.split(['&', ';', '|']) {
            let w = words(cmd);
            let Some(at) = w.iter().position(|x| x == "apt-get" || x == "apt") else {
                continue;
            };
            if w.get(at + 1..)
                .is_none_or(|rest| !rest.iter().any(|x| x == "install"))
            {
                continue;
            }
            let no_recommends = w
                .iter()
                .any(|x| x == "--no-install-recommends" || x.contains("Install-Recommends=false"));
            let yes = w.iter().any(|x| {
                matches!(
                    x.as_str(),
                    "-y" | "--yes" | "--assume-yes" | "-qq" | "-qy" | "-yq"
                )
            });
            let missing: Vec<&str> = [
                (!no_recommends).then_some("--no-install-recommends"),
                (!yes).then_some("-y"),
            ]
            .into_iter()
            .flatten()
            .collect();
            if !missing.is_empty() {
                out.push(Hit {
                    line: i.line,
                    key: format!("apt:{}", i.line),
                    message: format!("apt-get install without {}", missing.join(" and ")),
                });
            }
        }
    }
    out
}
