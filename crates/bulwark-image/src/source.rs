//! Where an image's blobs are: an OCI image layout directory, an OCI archive, a docker archive
//! (plain or gzipped), read in place without extracting them.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{ImageError, Layer, Limits};

/// Where the blobs of an image are stored.
#[derive(Debug)]
pub(crate) enum Store {
    /// A directory: an OCI image layout, or an unpacked docker archive.
    Dir(PathBuf),
    /// A tar file (an OCI or docker archive, or the decompressed copy of a gzipped one):
    /// member name to the offset and size of its data.
    Tar {
        file: PathBuf,
        members: HashMap<String, (u64, u64)>,
        /// Symbolic and hard links between members (docker's `layer.tar` → `<diff_id>.tar`).
        links: HashMap<String, String>,
        /// Keeps a decompressed copy alive as long as the store.
        _temp: Option<TempFile>,
    },
    /// A registry: blobs are fetched as they are read.
    Registry(crate::registry::Client),
}

/// A file deleted when dropped: the decompressed copy of a gzipped archive.
#[derive(Debug)]
pub(crate) struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl Store {
    /// Opens `path` as a store, or says it is not an image.
    pub(crate) fn open(path: &Path, limits: &Limits) -> Result<Store, ImageError> {
        let io = |source| ImageError::Io {
            path: path.display().to_string(),
            source,
        };
        if path.is_dir() {
            return Ok(Store::Dir(path.to_path_buf()));
        }
        let mut f = File::open(path).map_err(io)?;
        let mut magic = [0u8; 2];
        let n = f.read(&mut magic).map_err(io)?;
        if n == 2 && magic == [0x1f, 0x8b] {
            // A gzipped archive cannot be seeked into: decompress it once to a private file.
            f.seek(SeekFrom::Start(0)).map_err(io)?;
            let temp = temp_path(path);
            let mut out = File::options()
                .write(true)
                .create_new(true)
                .open(&temp)
                .map_err(|source| ImageError::Io {
                    path: temp.display().to_string(),
                    source,
                })?;
            let guard = TempFile(temp.clone());
            let mut decoder =
                flate2::read::MultiGzDecoder::new(f).take(limits.max_archive_size + 1);
            let written = std::io::copy(&mut decoder, &mut out).map_err(io)?;
            if written > limits.max_archive_size {
                return Err(ImageError::Limit {
                    path: path.display().to_string(),
                    message: format!(
                        "decompresses to more than {} bytes",
                        limits.max_archive_size
                    ),
                });
            }
            let (members, links) = index_tar(&temp)?;
            return Ok(Store::Tar {
                file: temp,
                members,
                links,
                _temp: Some(guard),
            });
        }
        let (members, links) = index_tar(path)?;
        Ok(Store::Tar {
            file: path.to_path_buf(),
            members,
            links,
            _temp: None,
        })
    }

    /// Whether the store holds `name` (a path relative to the image root).
    pub(crate) fn has(&self, name: &str) -> bool {
        match self {
            Store::Dir(dir) => dir.join(name).is_file(),
            Store::Tar { members, links, .. } => {
                members.contains_key(name) || links.contains_key(name)
            }
            Store::Registry(_) => false,
        }
    }

    /// Opens member `name`, with its size.
    pub(crate) fn open_member(
        &self,
        name: &str,
    ) -> Result<(Box<dyn Read + Send>, u64), ImageError> {
        let missing = || ImageError::Missing {
            what: name.to_string(),
        };
        match self {
            Store::Registry(client) => {
                // Members are named like an OCI layout's: `blobs/<alg>/<hex>`.
                let digest = name
                    .strip_prefix("blobs/")
                    .and_then(|r| r.split_once('/'))
                    .map(|(alg, hex)| format!("{alg}:{hex}"))
                    .ok_or_else(missing)?;
                client.blob(&digest)
            }
            Store::Dir(dir) => {
                let clean = clean_member(name).ok_or_else(missing)?;
                let path = dir.join(clean);
                let f = File::open(&path).map_err(|_| missing())?;
                let size = f
                    .metadata()
                    .map_err(|source| ImageError::Io {
                        path: path.display().to_string(),
                        source,
                    })?
                    .len();
                Ok((Box::new(f), size))
            }
            Store::Tar {
                file,
                members,
                links,
                ..
            } => {
                let mut target = clean_member(name).ok_or_else(missing)?;
                // Follow links, a few hops at most.
                for _ in 0..8 {
                    match links.get(&target) {
                        Some(t) => target.clone_from(t),
                        None => break,
                    }
                }
                let &(offset, size) = members.get(&target).ok_or_else(missing)?;
                let io = |source| ImageError::Io {
                    path: file.display().to_string(),
                    source,
                };
                let mut f = File::open(file).map_err(io)?;
                f.seek(SeekFrom::Start(offset)).map_err(io)?;
                Ok((Box::new(f.take(size)), size))
            }
        }
    }

    /// Reads member `name` whole, refusing more than `max` bytes.
    pub(crate) fn read_member(&self, name: &str, max: u64) -> Result<Vec<u8>, ImageError> {
        let (mut r, size) = self.open_member(name)?;
        if size > max {
            return Err(ImageError::Limit {
                path: name.to_string(),
                message: format!("{size} bytes, more than the {max} allowed for metadata"),
            });
        }
        let mut out = Vec::new();
        r.read_to_end(&mut out).map_err(|source| ImageError::Io {
            path: name.to_string(),
            source,
        })?;
        Ok(out)
    }

    /// The path of blob `digest` (`sha256:…`) in an OCI layout.
    pub(crate) fn blob_name(digest: &str) -> Option<String> {
        let (alg, hex) = digest.split_once(':')?;
        let valid = !alg.is_empty()
            && alg.bytes().all(|b| b.is_ascii_alphanumeric())
            && !hex.is_empty()
            && hex.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| format!("blobs/{alg}/{hex}"))
    }
}

/// A member path made relative and free of `.`/`..` (no escaping the image root).
fn clean_member(name: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in name.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn temp_path(original: &Path) -> PathBuf {
    let stem = original
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!(
        "bulwark-{}-{nanos}-{}.tar",
        std::process::id(),
        stem.replace(['/', '\\'], "_")
    ))
}

type TarIndex = (HashMap<String, (u64, u64)>, HashMap<String, String>);

/// Indexes the members of a tar file: name to data offset and size, plus links.
fn index_tar(path: &Path) -> Result<TarIndex, ImageError> {
    let io = |source| ImageError::Io {
        path: path.display().to_string(),
        source,
    };
    let f = File::open(path).map_err(io)?;
    let mut archive = tar::Archive::new(f);
    let mut members = HashMap::new();
    let mut links = HashMap::new();
    let entries = archive.entries().map_err(|e| ImageError::Format {
        path: path.display().to_string(),
        message: format!("not a tar archive: {e}"),
    })?;
    for entry in entries {
        let entry = entry.map_err(|e| ImageError::Format {
            path: path.display().to_string(),
            message: format!("malformed tar: {e}"),
        })?;
        let Ok(name) = entry.path().map(|p| p.to_string_lossy().to_string()) else {
            continue;
        };
        let Some(name) = clean_member(&name) else {
            continue;
        };
        let kind = entry.header().entry_type();
        if kind.is_file() {
            members.insert(name, (entry.raw_file_position(), entry.size()));
        } else if (kind.is_symlink() || kind.is_hard_link())
            && let Ok(Some(target)) = entry.link_name()
        {
            {
                let target = target.to_string_lossy();
                // Symlinks are relative to the link's directory; hard links to the archive.
                let joined = if kind.is_symlink() && !target.starts_with('/') {
                    match name.rsplit_once('/') {
                        Some((dir, _)) => format!("{dir}/{target}"),
                        None => target.to_string(),
                    }
                } else {
                    target.to_string()
                };
                if let Some(t) = clean_member(&joined) {
                    links.insert(name, t);
                }
            }
        }
    }
    Ok((members, links))
}

/// What the manifest of an image says: its config and its layers.
pub(crate) struct Resolved {
    pub(crate) config_name: String,
    pub(crate) config_digest: Option<String>,
    pub(crate) layers: Vec<Layer>,
    pub(crate) reference: Option<String>,
}

/// Finds the image in a store: OCI (`index.json`) or docker (`manifest.json`).
pub(crate) fn resolve(
    store: &Store,
    shown: &str,
    platform: &str,
    limits: &Limits,
) -> Result<Resolved, ImageError> {
    let format = |message: String| ImageError::Format {
        path: shown.to_string(),
        message,
    };
    let json = |name: &str| -> Result<Value, ImageError> {
        let bytes = store.read_member(name, limits.max_metadata_size)?;
        serde_json::from_slice(&bytes).map_err(|e| format(format!("{name}: {e}")))
    };
    if store.has("index.json") {
        let mut doc = json("index.json")?;
        let mut reference = None;
        // Descend through indexes to one manifest, choosing the platform.
        for _ in 0..4 {
            let manifests = doc["manifests"]
                .as_array()
                .ok_or_else(|| format("index without manifests".to_string()))?;
            let chosen = pick_manifest(manifests, platform)
                .ok_or_else(|| format(format!("no manifest for platform {platform}")))?;
            if reference.is_none() {
                reference = chosen["annotations"]["org.opencontainers.image.ref.name"]
                    .as_str()
                    .map(str::to_string);
            }
            let digest = chosen["digest"]
                .as_str()
                .ok_or_else(|| format("manifest descriptor without digest".to_string()))?;
            let name =
                Store::blob_name(digest).ok_or_else(|| format(format!("bad digest {digest:?}")))?;
            let bytes = store.read_member(&name, limits.max_metadata_size)?;
            crate::verify_digest(digest, &bytes)?;
            doc = serde_json::from_slice(&bytes).map_err(|e| format(format!("{name}: {e}")))?;
            if doc.get("manifests").is_none() {
                break;
            }
        }
        return from_manifest(&doc, reference, shown);
    }
    if store.has("manifest.json") {
        let doc = json("manifest.json")?;
        let first = doc
            .as_array()
            .and_then(|a| a.first())
            .ok_or_else(|| format("manifest.json lists no image".to_string()))?;
        let config_name = first["Config"]
            .as_str()
            .ok_or_else(|| format("manifest.json without Config".to_string()))?
            .to_string();
        let layers = first["Layers"]
            .as_array()
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(Value::as_str)
            .map(|member| Layer {
                member: member.to_string(),
                digest: None,
                diff_id: String::new(),
                media_type: String::new(),
                size: 0,
            })
            .collect();
        let reference = first["RepoTags"]
            .as_array()
            .and_then(|t| t.first())
            .and_then(Value::as_str)
            .map(str::to_string);
        // Docker names the config after its digest: `<hex>.json` or `blobs/sha256/<hex>`.
        let hex = config_name
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .trim_end_matches(".json");
        let config_digest = (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| format!("sha256:{hex}"));
        return Ok(Resolved {
            config_name,
            config_digest,
            layers,
            reference,
        });
    }
    Err(ImageError::NotAnImage {
        path: shown.to_string(),
    })
}

/// The config and layers a manifest (OCI or docker schema 2) names.
fn from_manifest(
    doc: &Value,
    reference: Option<String>,
    shown: &str,
) -> Result<Resolved, ImageError> {
    let format = |message: String| ImageError::Format {
        path: shown.to_string(),
        message,
    };
    let config = &doc["config"];
    let config_digest = config["digest"]
        .as_str()
        .ok_or_else(|| format("manifest without config".to_string()))?;
    let config_name = Store::blob_name(config_digest)
        .ok_or_else(|| format(format!("bad digest {config_digest:?}")))?;
    let mut layers = Vec::new();
    for l in doc["layers"].as_array().map_or(&[][..], Vec::as_slice) {
        let digest = l["digest"]
            .as_str()
            .ok_or_else(|| format("layer without digest".to_string()))?;
        let name =
            Store::blob_name(digest).ok_or_else(|| format(format!("bad digest {digest:?}")))?;
        layers.push(Layer {
            member: name,
            digest: Some(digest.to_string()),
            diff_id: String::new(),
            media_type: l["mediaType"].as_str().unwrap_or_default().to_string(),
            size: l["size"].as_u64().unwrap_or(0),
        });
    }
    Ok(Resolved {
        config_name,
        config_digest: Some(config_digest.to_string()),
        layers,
        reference,
    })
}

/// Finds the image a registry reference names: the manifest, through an index when the
/// reference names one, picking `platform`; digests verified.
pub(crate) fn resolve_registry(
    client: &crate::registry::Client,
    platform: &str,
    limits: &Limits,
) -> Result<Resolved, ImageError> {
    let shown = format!(
        "{}/{}:{}",
        client.reference.registry, client.reference.repository, client.reference.reference
    );
    let format = |message: String| ImageError::Format {
        path: shown.clone(),
        message,
    };
    let mut wanted = client.reference.reference.clone();
    for _ in 0..4 {
        let bytes = client.manifest(&wanted, limits.max_metadata_size)?;
        if wanted.starts_with("sha256:") {
            crate::verify_digest(&wanted, &bytes)?;
        }
        let doc: Value =
            serde_json::from_slice(&bytes).map_err(|e| format(format!("manifest: {e}")))?;
        match doc["manifests"].as_array() {
            Some(manifests) => {
                let chosen = pick_manifest(manifests, platform)
                    .ok_or_else(|| format(format!("no manifest for platform {platform}")))?;
                wanted = chosen["digest"]
                    .as_str()
                    .ok_or_else(|| format("manifest descriptor without digest".to_string()))?
                    .to_string();
            }
            None => return from_manifest(&doc, Some(shown.clone()), &shown),
        }
    }
    Err(format("indexes nested too deep".to_string()))
}

/// The manifest for `platform` (`os/arch[/variant]`) among an index's, or the only one.
fn pick_manifest<'a>(manifests: &'a [Value], platform: &str) -> Option<&'a Value> {
    if manifests.len() == 1 {
        return manifests.first();
    }
    let mut want = platform.split('/');
    let (os, arch, variant) = (want.next(), want.next(), want.next());
    manifests.iter().find(|m| {
        let p = &m["platform"];
        p["os"].as_str() == os
            && p["architecture"].as_str() == arch
            && (variant.is_none() || p["variant"].as_str() == variant)
    })
}

/// The platform this binary runs on, as OCI names it (`linux/amd64`).
pub fn host_platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    };
    format!("linux/{arch}")
}
