//! `cargo xtask bench-image`: a full image scan against the decompression floor, and memory on a
//! generated multi-gigabyte image.
//!
//! The floor is `gzip -dc` over every gzip layer of `../shared/images/debian-app.oci.tar` (the
//! blobs piped from the archive, as the scan reads them); the scan is
//! `bulwark scan IMAGE --format json` (inventory, secrets, image checks). Both run in the same
//! run, several times; medians. The generated image (under `target/bench-image`) has layers of
//! text files adding up to a few gigabytes, and shows that memory stays flat whatever the size.

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};
use sha2::{Digest, Sha256};

use crate::measure::{self, Measure, median};
use crate::run as run_cmd;

/// Wall seconds and peak RSS (MB) of a command, from GNU time; exit status 1 is not a failure.
fn timed(cmd: &Command, times: &Path) -> anyhow::Result<Measure> {
    measure::timed(cmd, times, |code| matches!(code, 0 | 1))
}

/// Seconds `gzip -dc` takes over every gzip member of the OCI archive at `image`.
fn gzip_floor(image: &Path) -> anyhow::Result<f64> {
    let started = std::time::Instant::now();
    let mut archive = tar::Archive::new(std::fs::File::open(image)?);
    for entry in archive.entries()? {
        let mut entry = entry?;
        if !entry.path()?.starts_with("blobs") {
            continue;
        }
        let mut magic = [0u8; 2];
        let mut head = Vec::new();
        if entry.read_exact(&mut magic).is_err() {
            continue;
        }
        head.extend_from_slice(&magic);
        if magic != [0x1f, 0x8b] {
            continue;
        }
        let mut gz = Command::new("gzip")
            .arg("-dc")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .context("running gzip")?;
        let mut stdin = gz.stdin.take().context("gzip stdin")?;
        stdin.write_all(&head)?;
        std::io::copy(&mut entry, &mut stdin)?;
        drop(stdin);
        if !gz.wait()?.success() {
            bail!("gzip failed");
        }
    }
    Ok(started.elapsed().as_secs_f64())
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A writer that hashes what it writes (the uncompressed layer, for its diff id).
struct Tee<W: std::io::Write> {
    inner: W,
    hash: Sha256,
}
impl<W: std::io::Write> std::io::Write for Tee<W> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(b)?;
        self.hash.update(&b[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes an OCI layout of `layers` layers, each a gzipped tar of text files adding up to
/// about `layer_mb` MB uncompressed (varied lines, so compression and scanning both work).
fn generate(dir: &Path, layers: usize, layer_mb: usize) -> anyhow::Result<u64> {
    if dir.join("index.json").is_file() {
        return Ok(0);
    }
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs)?;
    let mut diff_ids = Vec::new();
    let mut descriptors = Vec::new();
    let mut total = 0u64;
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for l in 0..layers {
        let tmp = dir.join("layer.tmp");
        let file = std::fs::File::create(&tmp)?;
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let mut builder = tar::Builder::new(Tee {
            inner: gz,
            hash: Sha256::new(),
        });
        let files = layer_mb * 4;
        for f in 0..files {
            let mut text = String::with_capacity(256 * 1024);
            while text.len() < 256 * 1024 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let _ = writeln!(
                    text,
                    "setting_{:x} = \"value-{:016x}\"  # line of configuration {f}",
                    seed % 4096,
                    seed
                );
            }
            let mut h = tar::Header::new_gnu();
            h.set_size(text.len() as u64);
            h.set_mode(0o644);
            builder.append_data(
                &mut h,
                format!("data/layer{l}/file{f}.conf"),
                text.as_bytes(),
            )?;
            total += text.len() as u64;
        }
        let tee = builder.into_inner()?;
        let diff_hex = hex_of(tee.hash);
        tee.inner.finish()?;
        let bytes = std::fs::read(&tmp)?;
        let blob_hex = sha256_hex(&bytes);
        std::fs::rename(&tmp, blobs.join(&blob_hex))?;
        diff_ids.push(format!("\"sha256:{diff_hex}\""));
        descriptors.push(format!(
            "{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:{blob_hex}\",\"size\":{}}}",
            bytes.len()
        ));
    }
    let config = format!(
        "{{\"os\":\"linux\",\"architecture\":\"amd64\",\"config\":{{\"User\":\"1000\"}},\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[{}]}}}}",
        diff_ids.join(",")
    );
    let config_hex = sha256_hex(config.as_bytes());
    std::fs::write(blobs.join(&config_hex), &config)?;
    let manifest = format!(
        "{{\"schemaVersion\":2,\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:{config_hex}\",\"size\":{}}},\"layers\":[{}]}}",
        config.len(),
        descriptors.join(",")
    );
    let manifest_hex = sha256_hex(manifest.as_bytes());
    std::fs::write(blobs.join(&manifest_hex), &manifest)?;
    std::fs::write(dir.join("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}")?;
    std::fs::write(
        dir.join("index.json"),
        format!(
            "{{\"schemaVersion\":2,\"manifests\":[{{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:{manifest_hex}\",\"size\":{}}}]}}",
            manifest.len()
        ),
    )?;
    Ok(total)
}

fn hex_of(h: Sha256) -> String {
    h.finalize().iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn tree_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |es| {
        es.flatten()
            .map(|e| {
                let p = e.path();
                if p.is_dir() {
                    tree_size(&p)
                } else {
                    e.metadata().map_or(0, |m| m.len())
                }
            })
            .sum()
    })
}

pub fn run(root: &Path, runs: u64) -> anyhow::Result<()> {
    let image = root.join("../shared/images/debian-app.oci.tar");
    if !image.is_file() {
        bail!("the benchmark reads ../shared/images/debian-app.oci.tar, which is missing");
    }
    run_cmd(crate::cargo().args(["build", "--release", "--locked", "-p", "bulwark"]))?;
    let bulwark = root.join("target/release/bulwark");
    let work = root.join("target/bench-image");
    std::fs::create_dir_all(&work)?;
    let times = work.join("time.txt");
    let scan = |target: &Path| {
        let mut c = Command::new(&bulwark);
        c.arg("scan")
            .arg(target)
            .args(["--format", "json", "--quiet", "--output"])
            .arg(work.join("report.json"));
        c
    };
    // Warm the page cache, then alternate floor and scan.
    gzip_floor(&image)?;
    let (mut floors, mut walls, mut rss) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        floors.push(gzip_floor(&image)?);
        let m = timed(&scan(&image), &times)?;
        walls.push(m.wall);
        rss.push(m.rss_mb);
    }
    let (floor, wall, peak) = (median(floors), median(walls), median(rss));

    let generated: PathBuf = work.join("generated");
    let bytes = generate(&generated, 8, 256)?;
    let compressed = tree_size(&generated.join("blobs"));
    let Measure {
        wall: big_wall,
        rss_mb: big_rss,
    } = timed(&scan(&generated), &times)?;
    let uncompressed = if bytes > 0 {
        bytes
    } else {
        8 * 256 * 1024 * 1024
    };

    #[allow(clippy::cast_precision_loss)] // sizes of a few GB: exact enough in f64
    let (gb, cgb) = (uncompressed as f64 / 1e9, compressed as f64 / 1e9);
    let section = format!(
        "<!-- image-bench:begin (generated by `cargo xtask bench-image`; edit outside the markers) -->\n\
         Measured {date} on {machine}. Command: `cargo xtask bench-image --runs {runs}` (medians of {runs} runs, page cache warm).\n\n\
         | what | wall | peak RSS | vs the floor |\n|---|---:|---:|---:|\n\
         | floor: `gzip -dc` over the 8 gzip layers of debian-app.oci.tar | {floor:.2} s | – | 1.00× |\n\
         | `bulwark scan debian-app.oci.tar --format json` (inventory, secrets in every layer and the config, image checks) | {wall:.2} s | {peak:.0} MB | {ratio:.2}× |\n\
         | `bulwark scan` of a generated image: 8 gzip layers, {gb:.1} GB of text uncompressed ({cgb:.2} GB compressed) | {big_wall:.1} s | {big_rss:.0} MB | – |\n\
         <!-- image-bench:end -->",
        date = crate::bench::date(),
        machine = crate::bench::machine(),
        ratio = wall / floor.max(0.001),
    );
    println!("{section}");
    let doc_path = root.join("docs/BENCHMARKS.md");
    let doc = std::fs::read_to_string(&doc_path).unwrap_or_default();
    let (begin, end) = ("<!-- image-bench:begin", "<!-- image-bench:end -->");
    let updated = match (doc.find(begin), doc.find(end)) {
        (Some(a), Some(b)) if b > a => format!("{}{section}{}", &doc[..a], &doc[b + end.len()..]),
        _ => format!("{doc}\n{section}\n"),
    };
    std::fs::write(&doc_path, updated)?;
    eprintln!("xtask: updated {}", doc_path.display());
    Ok(())
}
