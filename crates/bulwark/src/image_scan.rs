//! `bulwark scan IMAGE`: a container image's layers streamed once, for its package inventory
//! and its secrets, in every layer and in its config.
//!
//! Secrets are looked for in every layer, not only in the merged file system: a key deleted in
//! a later layer is still in the image for anyone who pulls it. Such findings say so.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use bulwark_image::catalog::{self, BinaryPackages, CatalogFile};
use bulwark_image::checks::{ImageCheckMeta, ImageFacts};
use bulwark_image::{FileInfo, Image, ImageError, Limits, Visitor};
use bulwark_model::{Finding, ImageReport, Note, NoteKind};
use bulwark_secrets::looks_binary;
use rayon::prelude::*;

use crate::cmd::secrets::SecretEngine;

/// What scanning one image produced.
pub struct ImageScan {
    /// Secret findings, in layer order.
    pub findings: Vec<Finding>,
    /// How the image was read (files too large, paths normalised).
    pub notes: Vec<Note>,
    /// Identity and inventory.
    pub report: ImageReport,
    /// Regular files read across all layers.
    pub files: usize,
    /// Kubernetes objects in manifests the image ships (its merged file system), for the
    /// manifest checks.
    pub objects: Vec<bulwark_k8s::Object>,
}

struct Collector<'a> {
    shown: &'a str,
    engine: Option<&'a SecretEngine>,
    diff_ids: &'a [String],
    catalog_files: BTreeMap<(String, usize), Vec<u8>>,
    binaries: Vec<(usize, BinaryPackages)>,
    findings: Vec<(usize, String, Finding)>,
    too_large: usize,
    /// Text files waiting for the secrets engine: scanned in parallel batches while the
    /// walker decompresses the next ones.
    batch: Vec<(usize, String, Vec<u8>)>,
    batch_bytes: usize,
    /// Setuid/setgid files and world-writable directories, for the image checks.
    setuid: Vec<(String, usize, u32)>,
    writable_dirs: Vec<(String, usize, u32)>,
    /// Dockerfiles shipped in the image, for the Dockerfile checks.
    dockerfiles: Vec<(usize, String, Vec<u8>)>,
    /// YAML and JSON files of the application (not of packages), candidates for manifests.
    manifests: Vec<(usize, String, Vec<u8>)>,
    /// Whether to show progress on stderr (a terminal, and not `--quiet`).
    progress: bool,
}

/// Whether a file may be a Kubernetes manifest the image's authors ship: YAML or JSON outside
/// the places packages install to (their test data is not the application's).
fn manifest_candidate(path: &str, size: u64) -> bool {
    let lower = path.to_ascii_lowercase();
    size <= 4 * 1024 * 1024
        && [".yaml", ".yml"].iter().any(|x| lower.ends_with(x))
        && ![
            "/usr/",
            "/lib/",
            "/var/lib/",
            "/etc/",
            "/node_modules/",
            "/site-packages/",
            "/dist-packages/",
            "/proc/",
        ]
        .iter()
        .any(|d| lower.starts_with(d) || lower.contains(d))
}

/// Files are handed to the secrets engine in parallel batches of about this many bytes.
const BATCH_BYTES: usize = 32 * 1024 * 1024;

impl Collector<'_> {
    fn flush(&mut self) {
        let Some(engine) = self.engine else {
            return;
        };
        let shown = self.shown;
        let diff_ids = self.diff_ids;
        let batch = std::mem::take(&mut self.batch);
        self.batch_bytes = 0;
        let found: Vec<Vec<(usize, String, Finding)>> = batch
            .into_par_iter()
            .map(|(layer, path, data)| {
                let label: Arc<str> = Arc::from(format!("{shown}!{path}"));
                let field = layer_field(layer, diff_ids.get(layer).map(String::as_str));
                engine
                    .scan_file(&label, &data, &[], "default")
                    .into_iter()
                    .map(|mut f| {
                        if let Some(loc) = f.location.as_mut() {
                            loc.field = Some(field.clone());
                        }
                        (layer, path.clone(), f)
                    })
                    .collect()
            })
            .collect();
        self.findings.extend(found.into_iter().flatten());
    }
}

impl Visitor for Collector<'_> {
    fn wants(&mut self, f: &FileInfo<'_>) -> bool {
        if f.mode & 0o6000 != 0 {
            self.setuid.push((f.path.to_string(), f.layer, f.mode));
        }
        let name = f.path.rsplit('/').next().unwrap_or(f.path);
        self.engine.is_some()
            || catalog::wanted(f.path, f.size)
            || f.mode & 0o111 != 0
            || bulwark_image::dockerfile::is_dockerfile_name(name)
            || manifest_candidate(f.path, f.size)
    }

    fn layer_start(&mut self, index: usize, total: usize, size: u64) {
        if !self.progress {
            return;
        }
        let size = if size > 0 {
            format!(", {} MB", size.div_ceil(1_000_000))
        } else {
            String::new()
        };
        // One line, rewritten in place; cleared when the image is done.
        eprint!(
            "\r\x1b[2Kreading {}: layer {}/{total}{size}",
            self.shown,
            index + 1
        );
    }

    fn directory(&mut self, d: &FileInfo<'_>) {
        if d.mode & 0o002 != 0 && d.mode & 0o1000 == 0 {
            self.writable_dirs
                .push((d.path.to_string(), d.layer, d.mode));
        }
    }

    fn file(&mut self, f: &FileInfo<'_>, data: &[u8]) {
        if catalog::wanted(f.path, f.size) {
            self.catalog_files
                .insert((f.path.to_string(), f.layer), data.to_vec());
        }
        let name = f.path.rsplit('/').next().unwrap_or(f.path);
        if bulwark_image::dockerfile::is_dockerfile_name(name) {
            self.dockerfiles
                .push((f.layer, f.path.to_string(), data.to_vec()));
        }
        if manifest_candidate(f.path, f.size) {
            self.manifests
                .push((f.layer, f.path.to_string(), data.to_vec()));
        }
        let layer_id = self.diff_ids.get(f.layer).cloned();
        if data.starts_with(b"\x7fELF") {
            let packages = catalog::scan_binary(f.path, data);
            if !packages.is_empty() {
                self.binaries.push((
                    f.layer,
                    BinaryPackages {
                        path: f.path.to_string(),
                        layer: layer_id,
                        packages,
                    },
                ));
            }
        }
        if self.engine.is_none() || looks_binary(data) {
            return;
        }
        self.batch_bytes += data.len();
        self.batch
            .push((f.layer, f.path.to_string(), data.to_vec()));
        if self.batch_bytes >= BATCH_BYTES {
            self.flush();
        }
    }

    fn too_large(&mut self, _f: &FileInfo<'_>) {
        self.too_large += 1;
    }
}

fn layer_field(index: usize, diff_id: Option<&str>) -> String {
    match diff_id {
        Some(d) => format!("layer {index} ({})", short(d)),
        None => format!("layer {index}"),
    }
}

fn short(digest: &str) -> &str {
    let end = digest.find(':').map_or(12, |c| c + 13).min(digest.len());
    &digest[..end]
}

/// Scans the image at `path`: secrets with `engine`, misconfigurations with the image checks
/// `checks` accepts (none when it accepts none).
pub fn scan(
    path: &Path,
    engine: Option<&SecretEngine>,
    checks: &dyn Fn(&ImageCheckMeta) -> bool,
    max_file_size: u64,
    platform: &str,
    progress: bool,
) -> Result<ImageScan, ImageError> {
    let limits = Limits {
        max_file_size,
        ..Limits::default()
    };
    let image = Image::open(path, platform, limits)?;
    scan_image(&image, engine, checks, max_file_size, progress)
}

/// Scans an opened image.
fn scan_image(
    image: &Image,
    engine: Option<&SecretEngine>,
    checks: &dyn Fn(&ImageCheckMeta) -> bool,
    max_file_size: u64,
    progress: bool,
) -> Result<ImageScan, ImageError> {
    let mut c = Collector::new(&image.shown, engine, &image.config.diff_ids);
    c.progress = progress;
    let walked = image.walk(&mut c);
    if progress {
        eprint!("\r\x1b[2K");
    }
    let walked = walked?;
    let mut out = finish(c, walked, checks, max_file_size, Some(&image.config));
    if let Some(engine) = engine {
        out.findings.extend(config_secrets(image, engine));
    }
    out.report.reference.clone_from(&image.reference);
    out.report.id.clone_from(&image.config_digest);
    out.report.platform.clone_from(&image.config.platform);
    out.report.layers.clone_from(&image.config.diff_ids);
    Ok(out)
}

/// Scans the image a registry `reference` names, pulling its blobs as it reads them.
pub fn scan_reference(
    reference: &str,
    insecure: bool,
    engine: Option<&SecretEngine>,
    checks: &dyn Fn(&ImageCheckMeta) -> bool,
    max_file_size: u64,
    platform: &str,
    progress: bool,
) -> Result<ImageScan, ImageError> {
    let parsed =
        bulwark_image::registry::Reference::parse(reference).ok_or_else(|| ImageError::Format {
            path: reference.to_string(),
            message: "not an image reference".to_string(),
        })?;
    let limits = Limits {
        max_file_size,
        ..Limits::default()
    };
    let image = Image::open_reference(&parsed, insecure, platform, limits)?;
    scan_image(&image, engine, checks, max_file_size, progress)
}

/// Scans a root file system directory (`--rootfs`) like a one-layer image: its inventory,
/// secrets, Dockerfiles, manifests and the file checks (setuid files are all "added" there,
/// so IMG004 does not run).
pub fn scan_rootfs(
    dir: &Path,
    engine: Option<&SecretEngine>,
    checks: &dyn Fn(&ImageCheckMeta) -> bool,
    max_file_size: u64,
) -> Result<ImageScan, ImageError> {
    let limits = Limits {
        max_file_size,
        ..Limits::default()
    };
    let shown = dir.display().to_string();
    let mut c = Collector::new(&shown, engine, &[]);
    let walked = bulwark_image::walk_rootfs(dir, &limits, &mut c)?;
    let no_setuid = |m: &ImageCheckMeta| m.id != "IMG004" && checks(m);
    let mut out = finish(c, walked, &no_setuid, max_file_size, None);
    out.report.platform = "rootfs".to_string();
    Ok(out)
}

impl<'a> Collector<'a> {
    fn new(shown: &'a str, engine: Option<&'a SecretEngine>, diff_ids: &'a [String]) -> Self {
        Collector {
            shown,
            engine,
            diff_ids,
            catalog_files: BTreeMap::new(),
            binaries: Vec::new(),
            findings: Vec::new(),
            too_large: 0,
            batch: Vec::new(),
            batch_bytes: 0,
            setuid: Vec::new(),
            writable_dirs: Vec::new(),
            dockerfiles: Vec::new(),
            manifests: Vec::new(),
            progress: false,
        }
    }
}

/// What every kind of image shares after its files were read: the merged view decides what
/// is cataloged and checked, and which secret findings are marked as deleted.
fn finish(
    mut c: Collector<'_>,
    walked: bulwark_image::WalkSummary,
    checks: &dyn Fn(&ImageCheckMeta) -> bool,
    max_file_size: u64,
    config: Option<&bulwark_image::ImageConfig>,
) -> ImageScan {
    c.flush();
    let shown = c.shown.to_string();
    let merged = &walked.merged;
    let layer_id = |layer: usize| c.diff_ids.get(layer).cloned();

    // What a container sees: files whose surviving version is the one that was read.
    let files: Vec<CatalogFile> = std::mem::take(&mut c.catalog_files)
        .into_iter()
        .filter(|((path, layer), _)| merged.layer_of(path) == Some(*layer))
        .map(|((path, layer), data)| CatalogFile {
            path,
            data,
            layer: layer_id(layer),
        })
        .collect();
    let binaries: Vec<BinaryPackages> = std::mem::take(&mut c.binaries)
        .into_iter()
        .filter(|(layer, b)| merged.layer_of(&b.path) == Some(*layer))
        .map(|(_, b)| b)
        .collect();
    let catalog_notes = catalog::notes(&files);
    let packages = catalog::catalog(&files, binaries);

    let mut findings: Vec<Finding> = Vec::new();
    for (layer, path, mut f) in std::mem::take(&mut c.findings) {
        match merged.layer_of(&path) {
            Some(l) if l == layer => {}
            Some(l) => f.message.push_str(&format!(
                " (in layer {layer}; replaced in layer {l}, but still in the image)"
            )),
            None => f.message.push_str(&format!(
                " (in layer {layer}; deleted by a later layer, but still in the image)"
            )),
        }
        findings.push(f);
    }
    let facts = ImageFacts {
        shown: &shown,
        config,
        // Only what a container sees: files a later layer removed or replaced do not count.
        setuid_files: std::mem::take(&mut c.setuid)
            .into_iter()
            .filter(|(p, l, _)| merged.layer_of(p) == Some(*l))
            .collect(),
        world_writable_dirs: std::mem::take(&mut c.writable_dirs),
    };
    findings.extend(bulwark_image::checks::run(&facts, checks));
    for (layer, path, data) in std::mem::take(&mut c.dockerfiles) {
        if merged.layer_of(&path) == Some(layer) {
            let label = format!("{shown}!{path}");
            findings.extend(bulwark_image::dockerfile::check(
                &label,
                &String::from_utf8_lossy(&data),
                checks,
            ));
        }
    }
    // Manifests the image ships: their objects join the scan's snapshot, so the manifest
    // checks (and Secret decoding) see them, named `IMAGE!/path`.
    let mut objects = Vec::new();
    for (layer, path, data) in std::mem::take(&mut c.manifests) {
        if merged.layer_of(&path) == Some(layer) {
            let label = format!("{shown}!{path}");
            objects.extend(
                bulwark_k8s::load_bytes(&label, &data, &bulwark_k8s::Limits::default()).objects,
            );
        }
    }
    let mut notes: Vec<Note> = walked
        .notes
        .into_iter()
        .map(|message| Note {
            kind: NoteKind::Other,
            path: Some(shown.clone()),
            message,
        })
        .collect();
    notes.extend(catalog_notes.into_iter().map(|message| Note {
        kind: NoteKind::Skipped,
        path: Some(shown.clone()),
        message,
    }));
    if c.too_large > 0 {
        notes.push(Note {
            kind: NoteKind::Skipped,
            path: Some(shown.clone()),
            message: format!(
                "{} files larger than {max_file_size} bytes not read (--max-file-size)",
                c.too_large
            ),
        });
    }
    ImageScan {
        findings,
        notes,
        files: usize::try_from(walked.files).unwrap_or(usize::MAX),
        objects,
        report: ImageReport {
            name: shown,
            reference: None,
            id: None,
            platform: String::new(),
            layers: Vec::new(),
            packages,
        },
    }
}

/// Secrets in the image config: environment, labels and the build history (`ENV`, `ARG` and
/// `RUN` lines keep what they were given). Each is scanned as a line of a synthetic file named
/// `IMAGE!config`, with the field it came from.
fn config_secrets(image: &Image, engine: &SecretEngine) -> Vec<Finding> {
    let cfg = &image.config;
    let mut lines: Vec<(String, String)> = Vec::new();
    for (i, e) in cfg.env.iter().enumerate() {
        lines.push((format!("config.Env[{i}]"), e.clone()));
    }
    for (k, v) in &cfg.labels {
        lines.push((format!("config.Labels[{k}]"), format!("{k}={v}")));
    }
    for (i, (created_by, _)) in cfg.history.iter().enumerate() {
        lines.push((format!("history[{i}].created_by"), created_by.clone()));
    }
    let mut text = String::new();
    for (_, l) in &lines {
        text.push_str(&l.replace('\n', " "));
        text.push('\n');
    }
    let label: Arc<str> = Arc::from(format!("{}!config", image.shown));
    let mut found = engine.scan_file(&label, text.as_bytes(), &[], "default");
    for f in &mut found {
        if let Some(loc) = f.location.as_mut() {
            let index = loc.line.and_then(|l| usize::try_from(l).ok()).unwrap_or(1);
            loc.field = lines
                .get(index.saturating_sub(1))
                .map(|(field, _)| field.clone());
            // The lines are Bulwark's own rendering of the config: the field says where.
            loc.line = None;
            loc.column = None;
        }
    }
    found
}
