//! `bulwark sbom IMAGE`: an image's package inventory as CycloneDX 1.6 or SPDX 2.3 JSON.

use anyhow::Context as _;
use bulwark_report::{render_cyclonedx, render_spdx};

use crate::cli::{SbomArgs, SbomFormat};
use crate::output::{write_atomically, write_stdout};

pub fn run(args: &SbomArgs) -> anyhow::Result<u8> {
    if !bulwark_image::Image::looks_like_image(&args.image) {
        anyhow::bail!(
            "{}: not a container image (an OCI or docker archive, or an OCI layout directory)",
            args.image.display()
        );
    }
    let platform = args
        .platform
        .clone()
        .unwrap_or_else(bulwark_image::host_platform);
    let scan = crate::image_scan::scan(
        &args.image,
        None,
        &|_| false,
        bulwark_image::Limits::default().max_file_size,
        &platform,
        std::io::IsTerminal::is_terminal(&std::io::stderr()),
    )
    .with_context(|| format!("reading the image {}", args.image.display()))?;
    let now = bulwark_model::time::now();
    let version = env!("CARGO_PKG_VERSION");
    let render = |w: &mut dyn std::io::Write| match args.format {
        SbomFormat::Cyclonedx => render_cyclonedx(&scan.report, version, now, w),
        SbomFormat::Spdx => render_spdx(&scan.report, version, now, w),
    };
    match &args.output {
        Some(path) => write_atomically(path, render)?,
        None => write_stdout(render)?,
    }
    Ok(0)
}
