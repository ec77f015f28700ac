//! Benchmarks (written next).
use std::path::Path;

pub fn run(_root: &Path, _runs: u64) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
