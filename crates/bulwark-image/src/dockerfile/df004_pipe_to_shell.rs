//! DF004 `pipe-to-shell`: a `RUN` pipes a download straight into a shell.

use bulwark_model::Severity;

use super::{Hit, Instruction};
use crate::checks::ImageCheckMeta;

pub(super) static META: ImageCheckMeta = ImageCheckMeta {
    id: "DF004",
    name: "pipe-to-shell",
    title: "Download piped into a shell",
    severity: Severity::High,
    what: "Reports a `RUN` in which the output of `curl` or `wget` is piped into `sh`, `bash`, \
           `zsh`, `python` or `perl`.",
    why: "Whatever the server sends runs as root in the build, unverified and unreviewed, and \
          a truncated download runs half a script. It is the classic way to plant code in an \
          image.",
    fix: "Download to a file, verify a pinned checksum or signature, then run it — or install \
          the tool from a package repository.",
};

const FETCHERS: &[&str] = &["curl", "wget"];
const SHELLS: &[&str] = &[
    "sh", "bash", "zsh", "dash", "ash", "python", "python3", "perl",
];

pub(super) fn run(instructions: &[Instruction]) -> Vec<Hit> {
    instructions
        .iter()
        .filter(|i| i.keyword == "RUN")
        .filter(|i| {
            // Within one command list, a fetch followed by a pipe into an interpreter.
            i.args.split(['&', ';']).any(|cmd| {
                let stages: Vec<&str> = cmd.split('|').map(str::trim).collect();
                stages.windows(2).any(|w| {
                    let fetch = w[0].split_whitespace().any(|x| FETCHERS.contains(&x));
                    let shell = w[1]
                        .split_whitespace()
                        .find(|x| *x != "sudo" && !x.starts_with('-'))
                        .is_some_and(|x| SHELLS.contains(&x.rsplit('/').next().unwrap_or(x)));
                    fetch && shell
                })
            })
        })
        .map(|i| Hit {
            line: i.line,
            key: format!("run:{}", i.line),
            message: "RUN pipes a download into a shell".to_string(),
        })
        .collect()
}
