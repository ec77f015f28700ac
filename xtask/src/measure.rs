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
