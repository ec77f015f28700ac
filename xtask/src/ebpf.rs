//! `cargo xtask ebpf [--check]`: rebuilds the sensor's committed BPF object
//! (`crates/bulwark-sensor/bpf/sensor.bpf.o`) from its C source, or with `--check` fails when the
//! committed object differs from a fresh build. The command line lives in the sensor crate
//! (`bpf/compile.rs`) so its freshness test runs the same build.

#[path = "../../crates/bulwark-sensor/bpf/compile.rs"]
mod compile;

use std::path::Path;

use anyhow::{Context as _, anyhow, bail};

pub fn run(root: &Path, check: bool) -> anyhow::Result<()> {
    compile::tools_available().map_err(|e| anyhow!(e))?;
    let dir = root.join(compile::BPF_DIR);
    let committed = dir.join(compile::OBJECT);
    let fresh = std::env::temp_dir().join(format!("bulwark-sensor-{}.bpf.o", std::process::id()));
    compile::build(&dir, &fresh).map_err(|e| anyhow!(e))?;
    let new = std::fs::read(&fresh).with_context(|| format!("reading {}", fresh.display()))?;
    let _ = std::fs::remove_file(&fresh);
    if check {
        let old = std::fs::read(&committed)
            .with_context(|| format!("reading {}", committed.display()))?;
        if old != new {
            bail!(
                "{} is stale: run `cargo xtask ebpf` and commit the result",
                committed.display()
            );
        }
        eprintln!("xtask: {} is up to date", committed.display());
    } else {
        std::fs::write(&committed, &new)
            .with_context(|| format!("writing {}", committed.display()))?;
        eprintln!("xtask: wrote {} ({} bytes)", committed.display(), new.len());
    }
    Ok(())
}
