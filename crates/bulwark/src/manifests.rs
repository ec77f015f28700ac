//! Manifests for the cluster analyses (`reach`, `who-can`): the paths on the command line read
//! into one [`Snapshot`]. Unlike `scan`, which reports a broken file and goes on, an analysis
//! of connectivity or permissions is only as good as its inputs: any file that does not parse
//! is an error naming the file and line, and nothing is printed.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use bulwark_k8s::{Limits, Snapshot, load_bytes};

use crate::targets::{Input, ReadOutcome, discover, read_input};

/// Reads every manifest under `paths` (files, directories, `-`). Helm chart templates are
/// refused with the hint to render them; images are refused.
pub fn load(paths: &[PathBuf], default_namespace: &str) -> anyhow::Result<Snapshot> {
    let limits = Limits::default();
    let found = discover(paths);
    if let Some(e) = found.errors.first() {
        bail!("{}: {}", e.path.as_deref().unwrap_or("input"), e.message);
    }
    let mut objects = Vec::new();
    for input in &found.inputs {
        match input {
            // An image named on the command line is a mistake; one found in a directory is
            // simply not a manifest.
            Input::Image { path } if !paths.contains(path) => continue,
            Input::Image { .. } | Input::Rootfs { .. } | Input::Registry { .. } => {
                bail!(
                    "{} is a container image, not Kubernetes manifests",
                    input.display()
                )
            }
            _ if !input.manifest() => continue,
            _ => {}
        }
        let shown = input.display();
        let bytes = match read_input(input, limits.max_file_size)
            .with_context(|| format!("reading {shown}"))?
        {
            ReadOutcome::Bytes(b) => b,
            ReadOutcome::TooLarge(size) => bail!(
                "{shown}: {size} bytes is larger than the limit of {} bytes",
                limits.max_file_size
            ),
        };
        let loaded = load_bytes(&shown, &bytes, &limits);
        if loaded.helm_template {
            bail!("{shown}: {}", bulwark_k8s::template_render_hint());
        }
        if let Some(e) = loaded.errors.first() {
            match e.error.pos() {
                Some(p) => bail!("{shown}:{}:{}: {}", p.line, p.col, e.error),
                None => bail!("{shown}: {}", e.error),
            }
        }
        objects.extend(loaded.objects);
    }
    if found.inputs.is_empty() {
        bail!("no manifests found under the given paths");
    }
    Ok(Snapshot::new(objects, default_namespace))
}
