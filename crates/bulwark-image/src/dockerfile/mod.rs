//! Dockerfiles (and Containerfiles): a parser that keeps line numbers, and checks `DFnnn`, one
//! file each, for how an image is built.

mod df001_base_image_latest;
mod df002_runs_as_root;
mod df003_add_from_url;
mod df004_pipe_to_shell;
mod df005_apt_recommends;
mod df006_ssh_port_exposed;
mod df007_maintainer;
mod df008_shell_form_command;

use std::sync::Arc;

use bulwark_model::{Category, Finding, Fingerprint, Location};

use crate::checks::ImageCheckMeta;

/// One instruction: its keyword (upper case), its arguments (continuations joined, comments
/// dropped), and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// `FROM`, `RUN`, … (upper case).
    pub keyword: String,
    /// The arguments as one line.
    pub args: String,
    /// 1-based line of the keyword.
    pub line: u32,
    /// Index of the build stage (0 for the instructions of the first `FROM`).
    pub stage: usize,
}

/// Whether a file name is a Dockerfile's: `Dockerfile`, `Containerfile`, `Dockerfile.prod`,
/// `api.Dockerfile`.
pub fn is_dockerfile_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "dockerfile"
        || lower == "containerfile"
        || lower.starts_with("dockerfile.")
        || lower.starts_with("containerfile.")
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
}

/// Parses a Dockerfile. Never fails: what is not an instruction is skipped, as the builder
/// would report it rather than us.
pub fn parse(text: &str) -> Vec<Instruction> {
    let mut escape = '\\';
    let mut out = Vec::new();
    let mut stage: Option<usize> = None;
    let mut current: Option<(String, String, u32)> = None;
    let mut heredoc: Option<String> = None;
    let mut directives = true;
    for (i, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let trimmed = raw.trim();
        if let Some(end) = &heredoc {
            if trimmed == end {
                heredoc = None;
            }
            continue;
        }
        if directives {
            // Parser directives come first: `# escape=`` ` changes the continuation character.
            if let Some(d) = trimmed.strip_prefix('#') {
                if let Some((k, v)) = d.split_once('=')
                    && k.trim().eq_ignore_ascii_case("escape")
                {
                    escape = v.trim().chars().next().unwrap_or('\\');
                }
                continue;
            }
            directives = false;
        }
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_none()) {
            continue;
        }
        let (content, continues) = match trimmed.strip_suffix(escape) {
            Some(c) => (c, true),
            None => (trimmed, false),
        };
        if let Some((_, args, _)) = &mut current {
            args.push(' ');
            args.push_str(content.trim());
        } else {
            let mut parts = content.splitn(2, char::is_whitespace);
            let keyword = parts.next().unwrap_or_default().to_ascii_uppercase();
            let args = parts.next().unwrap_or_default().trim().to_string();
            current = Some((keyword, args, line_no));
        }
        if !continues && let Some((keyword, args, line)) = current.take() {
            // `RUN <<EOF`: the body up to the terminator is the heredoc's, not instructions.
            if let Some(pos) = args.find("<<") {
                let word: String = args[pos + 2..]
                    .trim_start_matches('-')
                    .trim_matches(['"', '\''])
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !word.is_empty() {
                    heredoc = Some(word);
                }
            }
            if keyword == "FROM" {
                stage = Some(stage.map_or(0, |s| s + 1));
            }
            out.push(Instruction {
                keyword,
                args,
                line,
                stage: stage.unwrap_or(0),
            });
        }
    }
    if let Some((keyword, args, line)) = current {
        out.push(Instruction {
            keyword,
            args,
            line,
            stage: stage.unwrap_or(0),
        });
    }
    out
}

/// One problem a check found: the instruction's line, a key for the fingerprint, a message.
struct Hit {
    line: u32,
    key: String,
    message: String,
}

type Run = fn(&[Instruction]) -> Vec<Hit>;

const CHECKS: &[(&ImageCheckMeta, Run)] = &[
    (&df001_base_image_latest::META, df001_base_image_latest::run),
    (&df002_runs_as_root::META, df002_runs_as_root::run),
    (&df003_add_from_url::META, df003_add_from_url::run),
    (&df004_pipe_to_shell::META, df004_pipe_to_shell::run),
    (&df005_apt_recommends::META, df005_apt_recommends::run),
    (&df006_ssh_port_exposed::META, df006_ssh_port_exposed::run),
    (&df007_maintainer::META, df007_maintainer::run),
    (
        &df008_shell_form_command::META,
        df008_shell_form_command::run,
    ),
];

/// The metadata of every Dockerfile check, in id order.
pub fn all() -> impl Iterator<Item = &'static ImageCheckMeta> {
    CHECKS.iter().map(|(m, _)| *m)
}

/// Runs the Dockerfile checks `selected` accepts on `text`, read from `path` (as shown).
pub fn check(path: &str, text: &str, selected: &dyn Fn(&ImageCheckMeta) -> bool) -> Vec<Finding> {
    let instructions = parse(text);
    let mut out = Vec::new();
    for (meta, run) in CHECKS {
        if !selected(meta) {
            continue;
        }
        for hit in run(&instructions) {
            out.push(Finding {
                id: meta.id.into(),
                check: Some(meta.name.into()),
                category: Category::Misconfig,
                severity: meta.severity,
                title: meta.title.into(),
                message: hit.message,
                resource: None,
                location: Some(Location {
                    path: Arc::from(path),
                    line: Some(hit.line),
                    column: Some(1),
                    field: None,
                }),
                standards: vec!["nsa-cisa/image-security".into()],
                remediation: meta.fix.into(),
                fingerprint: Fingerprint::new(meta.id).part(path).part(&hit.key).finish(),
                secret: None,
                commits: Vec::new(),
                vulnerability: None,
            });
        }
    }
    out
}

/// The arguments split as a shell would, roughly (for flag checks): quotes removed.
fn words(args: &str) -> Vec<String> {
    args.split_whitespace()
        .map(|w| w.trim_matches(['"', '\'']).to_string())
        .collect()
}

/// The stages' names (`FROM image AS name`), lower case, to tell stage references from images.
fn stage_names(instructions: &[Instruction]) -> Vec<String> {
    instructions
        .iter()
        .filter(|i| i.keyword == "FROM")
        .filter_map(|i| {
            let w = words(&i.args);
            let at = w.iter().position(|x| x.eq_ignore_ascii_case("as"))?;
            w.get(at + 1).map(|n| n.to_ascii_lowercase())
        })
        .collect()
}

/// The index of the last stage (what the built image is).
fn final_stage(instructions: &[Instruction]) -> usize {
    instructions.iter().map(|i| i.stage).max().unwrap_or(0)
}

#[cfg(test)]
mod tests;
