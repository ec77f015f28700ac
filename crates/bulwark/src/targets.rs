//! What to scan: the paths on the command line turned into inputs.
//!
//! A file named on the command line is always read. Directories are walked like ripgrep walks
//! them, but with hidden files: `.gitignore`d files (inside git repositories) and `.git`
//! itself are skipped and symlinks are not followed. Every file found is a candidate for the secret scanner; only
//! `*.yaml`, `*.yml` and `*.json` files are parsed as Kubernetes manifests. A directory with a
//! `Chart.yaml` is a Helm chart: it is reported with a hint to render it and never parsed as
//! manifests (its files are still scanned for secrets).

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use bulwark_k8s::{chart_render_hint, is_chart_dir};
use bulwark_model::{Note, NoteKind, ScanError};

/// One thing to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Standard input, shown as `-`.
    Stdin,
    /// A file.
    File {
        /// Where it is.
        path: PathBuf,
        /// Whether the user named it (rather than it being found in a directory).
        explicit: bool,
        /// Whether it is parsed as Kubernetes manifests (named by the user, or `*.yaml`,
        /// `*.yml`, `*.json` outside Helm charts).
        manifest: bool,
    },
    /// A container image: an OCI or docker archive, or an OCI layout directory.
    Image {
        /// Where it is.
        path: PathBuf,
    },
    /// A root file system directory scanned like an image (`--rootfs`).
    Rootfs {
        /// Where it is.
        path: PathBuf,
    },
    /// An image in a registry (`registry.example.com/app:1.2`).
    Registry {
        /// The reference as given.
        reference: String,
    },
}

impl Input {
    /// How the input is shown in reports.
    pub fn display(&self) -> String {
        match self {
            Input::Stdin => "-".to_string(),
            Input::File { path, .. } | Input::Image { path } | Input::Rootfs { path } => {
                display_path(path)
            }
            Input::Registry { reference } => reference.clone(),
        }
    }

    /// Whether the user named this input.
    pub fn explicit(&self) -> bool {
        match self {
            Input::Stdin | Input::Image { .. } | Input::Rootfs { .. } | Input::Registry { .. } => {
                true
            }
            Input::File { explicit, .. } => *explicit,
        }
    }

    /// Whether the input is parsed as Kubernetes manifests.
    pub fn manifest(&self) -> bool {
        match self {
            Input::Stdin => true,
            Input::File { manifest, .. } => *manifest,
            Input::Image { .. } | Input::Rootfs { .. } | Input::Registry { .. } => false,
        }
    }
}

fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy();
    s.strip_prefix("./")
        .map_or_else(|| s.to_string(), str::to_string)
}

/// The inputs found, and what was noticed on the way.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Inputs in a stable order.
    pub inputs: Vec<Input>,
    /// Helm charts and other notes.
    pub notes: Vec<Note>,
    /// Paths that do not exist or cannot be walked.
    pub errors: Vec<ScanError>,
}

const MANIFEST_EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// Expands the command-line paths into inputs.
pub fn discover(paths: &[PathBuf]) -> Discovery {
    let mut d = Discovery::default();
    let mut stdin_seen = false;
    for path in paths {
        if path.as_os_str() == "-" {
            if !stdin_seen {
                d.inputs.push(Input::Stdin);
                stdin_seen = true;
            }
            continue;
        }
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            // Not a file: an image reference that names its registry is pulled.
            Err(_)
                if bulwark_image::registry::Reference::parse_qualified(&path.to_string_lossy())
                    .is_some() =>
            {
                d.inputs.push(Input::Registry {
                    reference: path.to_string_lossy().to_string(),
                });
                continue;
            }
            Err(e) => {
                d.errors.push(ScanError {
                    path: Some(display_path(path)),
                    line: None,
                    column: None,
                    message: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        if bulwark_image::Image::looks_like_image(path) {
            d.inputs.push(Input::Image { path: path.clone() });
        } else if meta.is_file() {
            d.inputs.push(Input::File {
                path: path.clone(),
                explicit: true,
                manifest: true,
            });
        } else if meta.is_dir() {
            walk(path, &mut d);
        } else {
            d.errors.push(ScanError {
                path: Some(display_path(path)),
                line: None,
                column: None,
                message: "not a regular file or directory".to_string(),
            });
        }
    }
    d
}

fn walk(root: &Path, d: &mut Discovery) {
    // Hidden files are read: `.env`, `.github/`, `.aws/credentials` and `.docker/config.json`
    // are where secrets live. Only git's own directory is skipped.
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .filter_entry(|e| e.file_name() != ".git")
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .parents(true)
        .follow_links(false)
        .sort_by_file_name(std::ffi::OsStr::cmp)
        .build();
    // Helm charts: their files are scanned for secrets but never parsed as manifests.
    let mut charts: Vec<PathBuf> = Vec::new();
    let mut images: Vec<PathBuf> = Vec::new();
    for entry in walker {
        match entry {
            Ok(e) => {
                let p = e.path();
                if e.file_type().is_some_and(|t| t.is_dir()) {
                    if is_chart_dir(p) {
                        d.notes.push(chart_note(p));
                        charts.push(p.to_path_buf());
                    }
                    if p.join("oci-layout").is_file() {
                        d.inputs.push(Input::Image {
                            path: p.to_path_buf(),
                        });
                        images.push(p.to_path_buf());
                    }
                    continue;
                }
                if !e.file_type().is_some_and(|t| t.is_file())
                    || images.iter().any(|i| p.starts_with(i))
                {
                    continue;
                }
                // Image archives among the files: by name first, then by content.
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().to_ascii_lowercase())
                    .unwrap_or_default();
                if [".tar", ".tar.gz", ".tgz"]
                    .iter()
                    .any(|x| name.ends_with(x))
                    && bulwark_image::Image::looks_like_image(p)
                {
                    d.inputs.push(Input::Image {
                        path: p.to_path_buf(),
                    });
                    continue;
                }
                let manifest = !charts.iter().any(|c| p.starts_with(c))
                    && p.extension().and_then(|x| x.to_str()).is_some_and(|x| {
                        MANIFEST_EXTENSIONS
                            .iter()
                            .any(|m| m.eq_ignore_ascii_case(x))
                    });
                d.inputs.push(Input::File {
                    path: p.to_path_buf(),
                    explicit: false,
                    manifest,
                });
            }
            Err(e) => d.errors.push(ScanError {
                path: Some(display_path(root)),
                line: None,
                column: None,
                message: format!("cannot walk directory: {e}"),
            }),
        }
    }
}

fn chart_note(dir: &Path) -> Note {
    let shown = display_path(dir);
    Note {
        kind: NoteKind::HelmChart,
        message: chart_render_hint(&shown),
        path: Some(shown),
    }
}

/// Why an input could not be read.
#[derive(Debug)]
pub enum ReadOutcome {
    /// The bytes.
    Bytes(Vec<u8>),
    /// Larger than the limit; nothing was read past it.
    TooLarge(u64),
}

/// Reads an input, never more than `max` bytes (plus one, to notice that it is larger).
pub fn read_input(input: &Input, max: u64) -> anyhow::Result<ReadOutcome> {
    let mut buf = Vec::new();
    match input {
        Input::Stdin => {
            std::io::stdin()
                .lock()
                .take(max.saturating_add(1))
                .read_to_end(&mut buf)
                .context("reading stdin")?;
        }
        Input::Image { path } | Input::Rootfs { path } => {
            anyhow::bail!("{} is an image, not a file to read", path.display());
        }
        Input::Registry { reference } => {
            anyhow::bail!("{reference} is an image, not a file to read");
        }
        Input::File { path, .. } => {
            let file =
                std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
            let len = file.metadata().map_or(0, |m| m.len());
            if len > max {
                return Ok(ReadOutcome::TooLarge(len));
            }
            file.take(max.saturating_add(1))
                .read_to_end(&mut buf)
                .with_context(|| format!("reading {}", path.display()))?;
        }
    }
    if buf.len() as u64 > max {
        return Ok(ReadOutcome::TooLarge(buf.len() as u64));
    }
    Ok(ReadOutcome::Bytes(buf))
}
