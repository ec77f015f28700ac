//! `cargo xtask demo-image`: builds `examples/demo/shop-api.oci.tar` from `xtask/demo-image/`.
//!
//! The archive is committed so the README's first command shows image findings without a
//! download or a container engine; the build is deterministic (fixed times, owners, modes and
//! order, gzip without a timestamp), and a test fails when the committed archive no longer
//! matches its sources.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use sha2::{Digest, Sha256};

/// 2024-06-01T00:00:00Z, the time of every entry.
const MTIME: u64 = 1_717_200_000;

const OUTPUT: &str = "examples/demo/shop-api.oci.tar";

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn header(kind: tar::EntryType, size: u64, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(mode);
    h.set_mtime(MTIME);
    h.set_uid(0);
    h.set_gid(0);
    let _ = h.set_username("root");
    let _ = h.set_groupname("root");
    h
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir)?.to_path_buf());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// One layer: its directories and files as a tar, the uncompressed bytes.
fn layer_tar(dir: &Path) -> anyhow::Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    let mut dirs_done: Vec<PathBuf> = Vec::new();
    for rel in files(dir)? {
        for ancestor in rel
            .ancestors()
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .skip(1)
        {
            if ancestor == rel || dirs_done.iter().any(|d| d == ancestor) {
                continue;
            }
            let mut h = header(tar::EntryType::Directory, 0, 0o755);
            b.append_data(&mut h, format!("{}/", ancestor.display()), std::io::empty())?;
            dirs_done.push(ancestor.to_path_buf());
        }
        let data = std::fs::read(dir.join(&rel))?;
        let name = rel.to_string_lossy();
        let mode = if name.ends_with(".pem") { 0o600 } else { 0o644 };
        let mut h = header(tar::EntryType::Regular, data.len() as u64, mode);
        b.append_data(&mut h, &rel, data.as_slice())?;
    }
    Ok(b.into_inner()?)
}

fn gzip(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut e = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    e.write_all(bytes)?;
    Ok(e.finish()?)
}

/// The archive's bytes, built from `root/xtask/demo-image`.
pub fn build(root: &Path) -> anyhow::Result<Vec<u8>> {
    let src = root.join("xtask/demo-image");
    let mut blobs: Vec<(String, Vec<u8>)> = Vec::new();
    let mut diff_ids = Vec::new();
    let mut layers = Vec::new();
    for i in 0.. {
        let dir = src.join(format!("layer{i}"));
        if !dir.is_dir() {
            break;
        }
        let tar = layer_tar(&dir)?;
        diff_ids.push(format!("sha256:{}", sha256(&tar)));
        let gz = gzip(&tar)?;
        let digest = sha256(&gz);
        layers.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": format!("sha256:{digest}"),
            "size": gz.len(),
        }));
        blobs.push((digest, gz));
    }
    let mut config: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(src.join("config.json")).context("reading config.json")?,
    )?;
    config["rootfs"] = serde_json::json!({"type": "layers", "diff_ids": diff_ids});
    let config_bytes = serde_json::to_vec(&config)?;
    let config_digest = sha256(&config_bytes);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": format!("sha256:{config_digest}"),
            "size": config_bytes.len(),
        },
        "layers": layers,
    }))?;
    let manifest_digest = sha256(&manifest);
    blobs.push((config_digest, config_bytes));
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": format!("sha256:{manifest_digest}"),
            "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": "shop-api:1.0"},
        }],
    }))?;
    blobs.push((manifest_digest, manifest));
    blobs.sort();

    let mut out = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| -> anyhow::Result<()> {
        let mut h = header(tar::EntryType::Regular, data.len() as u64, 0o644);
        out.append_data(&mut h, name, data)?;
        Ok(())
    };
    add("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    add("index.json", &index)?;
    for (digest, data) in &blobs {
        add(&format!("blobs/sha256/{digest}"), data)?;
    }
    Ok(out.into_inner()?)
}

/// Writes the archive, or with `check` fails when the committed one differs.
pub fn run(root: &Path, check: bool) -> anyhow::Result<()> {
    let bytes = build(root)?;
    let path = root.join(OUTPUT);
    if check {
        let current = std::fs::read(&path).unwrap_or_default();
        if current != bytes {
            bail!("{OUTPUT} is stale: run `cargo xtask demo-image` and commit the result");
        }
        return Ok(());
    }
    std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("xtask: wrote {} ({} bytes)", path.display(), bytes.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_image_matches_its_sources() {
        super::run(&crate::project_root(), true).expect("the demo image is current");
    }
}
