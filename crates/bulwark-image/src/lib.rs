//! Container images read as streams: docker and OCI archives and layouts, layers with
//! whiteouts and digests verified, package catalogers.
//!
//! An image is opened in place ([`Image::open`]): the archive's members are indexed, never
//! extracted (a gzipped archive is decompressed once to a private temporary file, since it
//! cannot be seeked into). [`Image::walk`] then streams every layer once, in order:
//! decompressing gzip or zstd, checking the layer's digest and diff id, handing each regular
//! file to a [`Visitor`] (content only when asked, within a size limit), and applying
//! whiteouts to keep the merged view: which file of which layer a container would see.

pub mod catalog;
pub mod checks;
pub mod dockerfile;
mod layers;
pub mod registry;
pub mod sbom;
mod source;

use std::io::Read;
use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

pub use layers::{FileInfo, MergedView, Visitor, WalkSummary, walk_rootfs};
pub use source::host_platform;
use source::{Store, resolve};

/// Bounds on what an image may make Bulwark read or hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest decompressed copy of a gzipped archive.
    pub max_archive_size: u64,
    /// Largest manifest, index or config blob.
    pub max_metadata_size: u64,
    /// Largest file whose content a visitor can ask for.
    pub max_file_size: u64,
    /// Most paths the merged view tracks.
    pub max_paths: usize,
    /// Most bytes the layers may decompress to, all together: a decompression bomb stops here
    /// with an error instead of running for hours.
    pub max_uncompressed: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_archive_size: 32 * 1024 * 1024 * 1024,
            max_metadata_size: 8 * 1024 * 1024,
            max_file_size: 64 * 1024 * 1024,
            max_paths: 4_000_000,
            max_uncompressed: 64 * 1024 * 1024 * 1024,
        }
    }
}

/// Why an image could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// Reading a file failed.
    #[error("{path}: reading failed")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The path holds no image (no `index.json`, no `manifest.json`).
    #[error("{path}: not a container image (no OCI index.json or docker manifest.json)")]
    NotAnImage {
        /// The path.
        path: String,
    },
    /// The image's metadata is malformed.
    #[error("{path}: {message}")]
    Format {
        /// The image or member.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A blob the manifest names is not in the image.
    #[error("{what}: missing from the image")]
    Missing {
        /// The blob or member.
        what: String,
    },
    /// A blob's content does not match its digest: the image is corrupt or tampered with.
    #[error("{what}: content has digest {actual}, expected {expected}")]
    Digest {
        /// The blob or layer.
        what: String,
        /// The digest the manifest or config states.
        expected: String,
        /// The digest of the bytes read.
        actual: String,
    },
    /// Talking to a registry failed (connection, HTTP status, authentication).
    #[error("{what}: {message}")]
    Registry {
        /// The registry, repository and request.
        what: String,
        /// What went wrong.
        message: String,
    },
    /// The image exceeds a limit.
    #[error("{path}: {message}")]
    Limit {
        /// The image or member.
        path: String,
        /// Which limit.
        message: String,
    },
}

/// One layer, as the manifest describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// Where its blob is in the image (`blobs/sha256/…`, `<id>/layer.tar`).
    pub member: String,
    /// The digest of the blob as stored (OCI), verified while reading.
    pub digest: Option<String>,
    /// The digest of the uncompressed tar (from the config's `rootfs.diff_ids`), verified.
    pub diff_id: String,
    /// The media type the manifest gives (empty for docker archives).
    pub media_type: String,
    /// The blob size the manifest gives (0 when unknown).
    pub size: u64,
}

/// What the image config says about how the image runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageConfig {
    /// `os/architecture`.
    pub platform: String,
    /// `config.User` (empty: root).
    pub user: String,
    /// `config.Env`.
    pub env: Vec<String>,
    /// `config.ExposedPorts` keys (`22/tcp`).
    pub exposed_ports: Vec<String>,
    /// `config.Entrypoint`.
    pub entrypoint: Vec<String>,
    /// `config.Cmd`.
    pub cmd: Vec<String>,
    /// `config.Labels`.
    pub labels: Vec<(String, String)>,
    /// `config.Healthcheck` is set.
    pub healthcheck: bool,
    /// `history[].created_by`, with whether the step made no layer.
    pub history: Vec<(String, bool)>,
    /// `rootfs.diff_ids`.
    pub diff_ids: Vec<String>,
}

impl ImageConfig {
    fn parse(v: &Value) -> ImageConfig {
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        let c = &v["config"];
        ImageConfig {
            platform: format!(
                "{}/{}",
                v["os"].as_str().unwrap_or("?"),
                v["architecture"].as_str().unwrap_or("?")
            ),
            user: c["User"].as_str().unwrap_or_default().to_string(),
            env: strings(&c["Env"]),
            exposed_ports: c["ExposedPorts"]
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default(),
            entrypoint: strings(&c["Entrypoint"]),
            cmd: strings(&c["Cmd"]),
            labels: c["Labels"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default(),
            healthcheck: !c["Healthcheck"].is_null(),
            history: v["history"]
                .as_array()
                .map(|h| {
                    h.iter()
                        .map(|e| {
                            (
                                e["created_by"].as_str().unwrap_or_default().to_string(),
                                e["empty_layer"].as_bool().unwrap_or(false),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
            diff_ids: strings(&v["rootfs"]["diff_ids"]),
        }
    }
}

/// An opened image: its metadata read and verified, its layers ready to stream.
#[derive(Debug)]
pub struct Image {
    /// How the user named it.
    pub shown: String,
    /// The reference recorded in the archive (`localhost/debian-app:1.0`), if any.
    pub reference: Option<String>,
    /// The config blob's digest (the image id).
    pub config_digest: Option<String>,
    /// The config blob as stored (secrets can hide in it).
    pub config_raw: Vec<u8>,
    /// The config, parsed.
    pub config: ImageConfig,
    /// The layers, bottom first.
    pub layers: Vec<Layer>,
    store: Store,
    limits: Limits,
}

impl Image {
    /// Opens the image at `path`: an OCI layout directory, an OCI archive, or a docker archive
    /// (plain or gzipped). `platform` (`linux/amd64`) picks from multi-platform indexes.
    pub fn open(path: &Path, platform: &str, limits: Limits) -> Result<Image, ImageError> {
        let shown = path.display().to_string();
        let store = Store::open(path, &limits)?;
        let resolved = resolve(&store, &shown, platform, &limits)?;
        Image::from_resolved(shown, store, resolved, limits)
    }

    /// Opens the image `reference` names in its registry, over HTTPS (plain HTTP with
    /// `insecure`), with the credentials of the docker/podman auth files. Blobs stream from the
    /// registry as the layers are walked.
    pub fn open_reference(
        reference: &registry::Reference,
        insecure: bool,
        platform: &str,
        limits: Limits,
    ) -> Result<Image, ImageError> {
        let client = registry::Client::new(reference.clone(), insecure);
        let resolved = source::resolve_registry(&client, platform, &limits)?;
        let shown = resolved.reference.clone().unwrap_or_default();
        Image::from_resolved(shown, Store::Registry(client), resolved, limits)
    }

    fn from_resolved(
        shown: String,
        store: Store,
        resolved: source::Resolved,
        limits: Limits,
    ) -> Result<Image, ImageError> {
        let config_raw = store.read_member(&resolved.config_name, limits.max_metadata_size)?;
        if let Some(d) = &resolved.config_digest {
            verify_digest(d, &config_raw)?;
        }
        let value: Value = serde_json::from_slice(&config_raw).map_err(|e| ImageError::Format {
            path: shown.clone(),
            message: format!("image config: {e}"),
        })?;
        let config = ImageConfig::parse(&value);
        let mut layers = resolved.layers;
        if config.diff_ids.len() != layers.len() {
            return Err(ImageError::Format {
                path: shown,
                message: format!(
                    "the manifest lists {} layers but the config {} diff ids",
                    layers.len(),
                    config.diff_ids.len()
                ),
            });
        }
        for (l, d) in layers.iter_mut().zip(&config.diff_ids) {
            l.diff_id.clone_from(d);
        }
        Ok(Image {
            shown,
            reference: resolved.reference,
            config_digest: resolved.config_digest,
            config_raw,
            config,
            layers,
            store,
            limits,
        })
    }

    /// Whether `path` looks like an image this crate reads, judged cheaply: a directory with an
    /// `oci-layout` file or a docker `manifest.json`, or a tar whose first members say so.
    pub fn looks_like_image(path: &Path) -> bool {
        if path.is_dir() {
            return path.join("oci-layout").is_file()
                || (path.join("manifest.json").is_file() && path.join("repositories").is_file());
        }
        let Ok(mut f) = std::fs::File::open(path) else {
            return false;
        };
        let mut magic = [0u8; 2];
        let gz = f.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
        if std::io::Seek::rewind(&mut f).is_err() {
            return false;
        }
        let reader: Box<dyn Read> = if gz {
            Box::new(flate2::read::MultiGzDecoder::new(f))
        } else {
            Box::new(f)
        };
        let mut archive = tar::Archive::new(reader);
        let Ok(entries) = archive.entries() else {
            return false;
        };
        // The markers come early in the archives podman, docker, skopeo and buildah write.
        for entry in entries.take(64) {
            let Ok(entry) = entry else {
                return false;
            };
            let Ok(p) = entry.path() else {
                continue;
            };
            let p = p.to_string_lossy();
            let p = p.trim_start_matches("./");
            if p == "oci-layout" || p == "manifest.json" || p == "index.json" {
                return true;
            }
        }
        false
    }

    /// Streams every layer in order through `visitor`, verifying digests and keeping the
    /// merged view.
    pub fn walk(&self, visitor: &mut dyn Visitor) -> Result<WalkSummary, ImageError> {
        layers::walk(self, visitor)
    }

    pub(crate) fn open_layer(&self, layer: &Layer) -> Result<Box<dyn Read + Send>, ImageError> {
        Ok(self.store.open_member(&layer.member)?.0)
    }

    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }
}

/// Checks `bytes` against `digest` (`sha256:…`; other algorithms are not verified).
pub(crate) fn verify_digest(digest: &str, bytes: &[u8]) -> Result<(), ImageError> {
    let Some(expected) = digest.strip_prefix("sha256:") else {
        return Ok(());
    };
    let actual = hex(&Sha256::digest(bytes));
    if actual.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        Err(ImageError::Digest {
            what: digest.to_string(),
            expected: digest.to_string(),
            actual: format!("sha256:{actual}"),
        })
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
