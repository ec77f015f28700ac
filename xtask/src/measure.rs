//! Measuring commands for the benchmarks: wall time and peak resident memory of one run, from
//! GNU `time` (`/usr/bin/time`, Debian package `time`), and the median of several.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};

/// What one run of a command took.
pub(crate) struct Measure {
    /// Wall-clock seconds.
    pub(crate) wall: f64,
    /// Peak resident memory, in MB.
    pub(crate) rss_mb: f64,
}

/// Runs `cmd` (its program, arguments and environment; its output discarded) under GNU time,
/// which writes to `times`. An exit status for which `ok` holds is not a failure: scanners exit
/// non-zero when they find something.
pub(crate) fn timed(
    cmd: &Command,
    times: &Path,
    ok: impl FnOnce(i32) -> bool,
) -> anyhow::Result<Measure> {
    let mut wrapper = Command::new("/usr/bin/time");
    wrapper
        .args(["-f", "%e %M", "-o"])
        .arg(times)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            wrapper.env(k, v);
        }
    }
    wrapper.stdout(Stdio::null()).stderr(Stdio::null());
    let status = wrapper
        .status()
        .context("running /usr/bin/time (Debian package `time`)")?;
    if !status.code().is_some_and(ok) {
        bail!("{} failed: {status}", crate::show(cmd));
    }
    let text = std::fs::read_to_string(times).context("reading GNU time's output")?;
    let mut parts = text.lines().last().unwrap_or_default().split_whitespace();
    let wall = parts.next().unwrap_or("0").parse().context("wall time")?;
    let rss_kb: f64 = parts.next().unwrap_or("0").parse().context("max RSS")?;
    Ok(Measure {
        wall,
        rss_mb: rss_kb / 1024.0,
    })
}

/// The median of `v`, the upper one of an even count; 0 for none.
pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() { 0.0 } else { v[v.len() / 2] }
}

/// Writes `section` under `heading` into docs/BENCHMARKS.md (replacing that section, or
/// appending it).
pub(crate) fn record(root: &Path, heading: &str, section: &str) -> anyhow::Result<()> {
    let doc_path = root.join("docs/BENCHMARKS.md");
    let doc = std::fs::read_to_string(&doc_path).unwrap_or_default();
    std::fs::write(&doc_path, splice(&doc, heading, section))
        .context("writing docs/BENCHMARKS.md")?;
    eprintln!("xtask: updated {}", doc_path.display());
    Ok(())
}

/// `doc` with the section under `heading` (up to the next `## ` heading) replaced by
/// `section`, or with `section` appended when there is none.
pub(crate) fn splice(doc: &str, heading: &str, section: &str) -> String {
    let start = doc
        .match_indices(heading)
        .map(|(i, _)| i)
        .find(|&i| i == 0 || doc[..i].ends_with('\n'));
    if let Some(start) = start {
        let after = start + heading.len();
        let end = doc[after..]
            .find("\n## ")
            .map_or(doc.len(), |i| after + i + 1);
        let rest = &doc[end..];
        if rest.is_empty() {
            format!("{}{section}", &doc[..start])
        } else {
            format!("{}{section}\n{rest}", &doc[..start])
        }
    } else {
        let sep = if doc.is_empty() || doc.ends_with("\n\n") {
            ""
        } else if doc.ends_with('\n') {
            "\n"
        } else {
            "\n\n"
        };
        format!("{doc}{sep}{section}")
    }
}

#[cfg(test)]
mod tests {
    use super::splice;

    const HEADING: &str = "## A benchmark (`cargo xtask bench-x`)";

    fn splice_x(doc: &str, section: &str) -> String {
        splice(doc, HEADING, section)
    }

    #[test]
    fn appends_the_section_after_a_blank_line() {
        let section = format!("{HEADING}\n\nnew\n");
        assert_eq!(
            splice_x("# Benchmarks\n\ntext\n", &section),
            format!("# Benchmarks\n\ntext\n\n{section}")
        );
    }

    #[test]
    fn replaces_only_its_own_section() {
        let doc = format!("# B\n\n## Before\n\na\n\n{HEADING}\n\nold\n\n## After\n\nb\n");
        let section = format!("{HEADING}\n\nnew\n");
        assert_eq!(
            splice_x(&doc, &section),
            format!("# B\n\n## Before\n\na\n\n{HEADING}\n\nnew\n\n## After\n\nb\n")
        );
    }

    #[test]
    fn replaces_a_last_section_and_is_idempotent() {
        let section = format!("{HEADING}\n\nnew\n");
        let doc = format!("# B\n\n{HEADING}\n\nold\nlines\n");
        let once = splice_x(&doc, &section);
        assert_eq!(once, format!("# B\n\n{section}"));
        assert_eq!(splice_x(&once, &section), once);
    }
}
