//! `bulwark scan PATH...`: find targets, run the selected scanners, filter, report, exit.
//!
//! The pipeline is the same for every scanner: targets (files, directories, stdin; later
//! images and git history) are discovered once, each scanner turns the targets it understands
//! into findings, and the report stage applies suppressions and filters, renders and picks the
//! exit code.

use std::io::Write as _;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use bulwark_checks::{Options, Selection};
use bulwark_k8s::{Limits, Object, Snapshot, load_bytes};
use bulwark_model::{
    Category, Finding, Note, NoteKind, Report, ScanError, Severity, SuppressedFinding, Suppression,
    SuppressionSource,
};
use bulwark_report::{
    RuleInfo, TableStyle, render_cyclonedx_with_vulnerabilities, render_json, render_sarif,
    render_table,
};
use bulwark_secrets::looks_binary;
use rayon::prelude::*;

use crate::cli::{ScanArgs, ScanFormat};
use crate::cmd::secrets::SecretEngine;
use crate::config::{self, Config};
use crate::output::{is_broken_pipe, use_color, write_atomically, write_stdout};
use crate::targets::{Input, ReadOutcome, discover, read_input};

/// The scanners `--scanners` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scanner {
    /// Kubernetes manifest misconfigurations (the checks of `bulwark checks`).
    Misconfig,
    /// Credentials in any text file (the rules of `bulwark rules`).
    Secret,
    /// Known vulnerabilities in the packages of images, root file systems and SBOMs.
    Vuln,
    /// Who can reach whom under the manifests' network policies (`NETnnn`).
    Network,
    /// Who can do what under the manifests' RBAC (`RBACnnn`).
    Rbac,
    /// Service-mesh posture: mTLS, authorization, sidecar coverage (`MESHnnn`).
    Mesh,
}

const SCANNERS: &[(&str, Scanner)] = &[
    ("misconfig", Scanner::Misconfig),
    ("secret", Scanner::Secret),
    ("vuln", Scanner::Vuln),
    ("network", Scanner::Network),
    ("rbac", Scanner::Rbac),
    ("mesh", Scanner::Mesh),
];

fn select_scanners(names: &[String]) -> anyhow::Result<Vec<Scanner>> {
    if names.is_empty() {
        return Ok(SCANNERS.iter().map(|(_, s)| *s).collect());
    }
    let mut out = Vec::new();
    for n in names {
        let mut n = n.trim().to_ascii_lowercase();
        if n == "vulnerability" || n == "vulnerabilities" {
            "vuln".clone_into(&mut n);
        }
        let Some((_, s)) = SCANNERS.iter().find(|(name, _)| *name == n) else {
            let known: Vec<&str> = SCANNERS.iter().map(|(name, _)| *name).collect();
            bail!("unknown scanner {n:?} (available: {})", known.join(", "));
        };
        if !out.contains(s) {
            out.push(*s);
        }
    }
    Ok(out)
}

/// The settings of one scan, after merging flags over the configuration file.
struct Settings {
    scanners: Vec<Scanner>,
    secrets: Option<SecretEngine>,
    baseline: HashSet<String>,
    severities: Vec<Severity>,
    fail_on: Severity,
    selection: Selection,
    options: Options,
    limits: Limits,
    config: Config,
    /// The platform picked from multi-platform images.
    platform: String,
    /// Whether to show progress while reading images (stderr is a terminal, not `--quiet`).
    progress: bool,
    /// `--insecure-registry`: plain HTTP to registries.
    insecure_registry: bool,
    /// The user named the vulnerability scanner in `--scanners` (a missing database is then
    /// an error, not a note).
    vuln_explicit: bool,
}

fn settings(args: &ScanArgs) -> anyhow::Result<Settings> {
    let mut config = config::load(args.config.as_deref())?;
    let pick = |flag: &Vec<String>, conf: &Vec<String>| {
        if flag.is_empty() {
            conf.clone()
        } else {
            flag.clone()
        }
    };
    let selection = Selection {
        only: pick(&args.only, &config.only),
        skip: pick(&args.skip, &config.skip),
        categories: Vec::new(),
    };
    let scanners = select_scanners(&args.scanners)?;
    let vuln_explicit = !args.scanners.is_empty() && scanners.contains(&Scanner::Vuln);
    let rules = crate::cmd::secrets::load_rules(&args.rule_files)?;
    let (secrets, unknown_to_rules) = if scanners.contains(&Scanner::Secret) {
        let (engine, unknown) = SecretEngine::build(
            rules.clone(),
            &selection.skip,
            &selection.only,
            args.show_secrets,
        );
        (Some(engine), unknown)
    } else {
        (
            None,
            selection
                .skip
                .iter()
                .chain(&selection.only)
                .cloned()
                .collect(),
        )
    };
    // An entry must name a check (Kubernetes or image) or a secret rule.
    let unknown: Vec<String> = selection
        .unknown()
        .into_iter()
        .filter(|u| {
            unknown_to_rules.contains(u)
                && image_check(u).is_none()
                && crate::analyses::find(u).is_none()
        })
        .collect();
    if !unknown.is_empty() {
        bail!(
            "not a check or secret rule: {} (`bulwark checks` and `bulwark rules` list them)",
            unknown.join(", ")
        );
    }
    config.validate(|s| {
        bulwark_checks::find(s)
            .map(|c| c.meta().id.to_string())
            .or_else(|| bulwark_checks::retired(s).map(|(id, _, _)| id.to_string()))
            .or_else(|| image_check(s).map(|m| m.id.to_string()))
            .or_else(|| crate::analyses::find(s).map(|m| m.id.to_string()))
            .or_else(|| {
                rules
                    .rules()
                    .iter()
                    .find(|r| r.id == s || r.name == s)
                    .map(|r| r.id.clone())
            })
            .or_else(|| {
                let w = crate::cmd::secrets::WEAK_PASSWORD;
                (s == w.0 || s == w.1).then(|| w.0.to_string())
            })
    })?;
    let baseline = match &args.baseline {
        Some(path) => read_baseline(path)?,
        None => HashSet::new(),
    };
    let default_namespace = args
        .default_namespace
        .clone()
        .or_else(|| config.default_namespace.clone());
    let mut limits = Limits::default();
    if let Some(max) = args.max_file_size {
        limits.max_file_size = max;
    }
    Ok(Settings {
        scanners,
        secrets,
        baseline,
        severities: if args.severity.is_empty() {
            config.severity.clone()
        } else {
            args.severity.clone()
        },
        fail_on: args.fail_on.or(config.fail_on).unwrap_or(Severity::Info),
        selection,
        options: Options {
            default_namespace_given: default_namespace.is_some(),
            default_namespace: default_namespace.unwrap_or_else(|| "default".to_string()),
            annotation_ignores: !args.no_annotation_ignores,
            secret_max_age_days: args
                .secret_max_age
                .or(config.secret_max_age_days)
                .unwrap_or(90),
            now: None,
        },
        limits,
        config,
        platform: args
            .platform
            .clone()
            .unwrap_or_else(bulwark_image::host_platform),
        progress: !args.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        insecure_registry: args.insecure_registry,
        vuln_explicit,
    })
}

/// What reading and parsing the inputs produced.
#[derive(Default)]
struct Loaded {
    objects: Vec<Object>,
    /// Secret findings (the secret scanner runs while the file's bytes are at hand).
    findings: Vec<Finding>,
    errors: Vec<ScanError>,
    notes: Vec<Note>,
    files: usize,
    images: Vec<bulwark_model::ImageReport>,
}

fn load_inputs(inputs: &[Input], s: &Settings) -> Loaded {
    let per_input: Vec<Loaded> = inputs.par_iter().map(|input| load_one(input, s)).collect();
    let mut all = Loaded::default();
    for mut l in per_input {
        all.objects.append(&mut l.objects);
        all.findings.append(&mut l.findings);
        all.errors.append(&mut l.errors);
        all.notes.append(&mut l.notes);
        all.files += l.files;
        all.images.append(&mut l.images);
    }
    all
}

fn load_one(input: &Input, s: &Settings) -> Loaded {
    let limits = &s.limits;
    let shown = input.display();
    let mut out = Loaded {
        files: 1,
        ..Loaded::default()
    };
    let error = |line: Option<u32>, column: Option<u32>, message: String| ScanError {
        path: Some(shown.clone()),
        line,
        column,
        message,
    };
    if let Input::Registry { reference } = input {
        let selected = |m: &bulwark_image::checks::ImageCheckMeta| image_check_selected(s, m);
        match crate::image_scan::scan_reference(
            reference,
            s.insecure_registry,
            s.secrets.as_ref(),
            &selected,
            limits.max_file_size,
            &s.platform,
            s.progress,
        ) {
            Ok(scan) => {
                out.files = scan.files;
                out.findings = scan.findings;
                out.notes = scan.notes;
                out.images.push(scan.report);
                out.objects = scan.objects;
            }
            Err(e) => out.errors.push(error(None, None, error_chain(&e))),
        }
        return out;
    }
    if let Input::Image { path } | Input::Rootfs { path } = input {
        let selected = |m: &bulwark_image::checks::ImageCheckMeta| image_check_selected(s, m);
        let scanned = if matches!(input, Input::Rootfs { .. }) {
            crate::image_scan::scan_rootfs(
                path,
                s.secrets.as_ref(),
                &selected,
                limits.max_file_size,
            )
        } else {
            crate::image_scan::scan(
                path,
                s.secrets.as_ref(),
                &selected,
                limits.max_file_size,
                &s.platform,
                s.progress,
            )
        };
        match scanned {
            Ok(scan) => {
                out.files = scan.files;
                out.findings = scan.findings;
                out.notes = scan.notes;
                out.images.push(scan.report);
                if s.scanners.contains(&Scanner::Misconfig) || s.secrets.is_some() {
                    out.objects = scan.objects;
                }
            }
            Err(e) => out.errors.push(error(None, None, error_chain(&e))),
        }
        return out;
    }
    // Large files that are not manifests are scanned for secrets as a stream, in bounded
    // memory, rather than read whole.
    if let (Input::File { path, .. }, Some(engine)) = (input, &s.secrets) {
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        if size > STREAM_ABOVE && size <= limits.max_file_size && !looks_like_manifest_name(&shown)
        {
            match std::fs::File::open(path).and_then(|f| {
                let mut head = Vec::new();
                std::io::Read::read_to_end(&mut std::io::Read::take(&f, 8192), &mut head)?;
                Ok((head, std::fs::File::open(path)?))
            }) {
                // Archives are read whole (within --max-file-size) and opened below.
                Ok((head, _)) if bulwark_archive::detect(&head).is_some() => {}
                Ok((head, _)) if looks_binary(&head) => {
                    out.notes.push(binary_note(&shown));
                    return out;
                }
                Ok((_, file)) => {
                    match engine.scan_stream(&Arc::from(shown.as_str()), file) {
                        Ok(found) => out.findings = found,
                        Err(e) => out.errors.push(error(None, None, format!("reading: {e}"))),
                    }
                    return out;
                }
                Err(e) => {
                    out.errors
                        .push(error(None, None, format!("cannot read: {e}")));
                    return out;
                }
            }
        }
    }
    let bytes = match read_input(input, limits.max_file_size) {
        Ok(ReadOutcome::Bytes(b)) => b,
        Ok(ReadOutcome::TooLarge(size)) => {
            let message = format!(
                "file is {size} bytes, larger than the limit of {} bytes (see --max-file-size); not scanned",
                limits.max_file_size
            );
            if input.explicit() {
                out.errors.push(error(None, None, message));
            } else {
                out.notes.push(Note {
                    kind: NoteKind::Skipped,
                    path: Some(shown.clone()),
                    message,
                });
            }
            return out;
        }
        Err(e) => {
            out.errors.push(error(None, None, format!("{e:#}")));
            return out;
        }
    };
    if shown.to_ascii_lowercase().ends_with(".json") && bulwark_image::sbom::is_sbom(&bytes) {
        match bulwark_image::sbom::read(&shown, &bytes) {
            Ok(sbom) => out.images.push(bulwark_model::ImageReport {
                name: shown.clone(),
                reference: sbom.name,
                id: None,
                platform: sbom.format,
                layers: Vec::new(),
                packages: sbom.packages,
            }),
            Err(e) => out
                .errors
                .push(error(None, None, format!("reading the SBOM: {e}"))),
        }
        return out;
    }
    if let (Some(kind), Some(engine)) = (bulwark_archive::detect(&bytes), &s.secrets) {
        scan_archive(&shown, kind, &bytes, engine, limits, &mut out);
        return out;
    }
    if looks_binary(&bytes) {
        out.notes.push(binary_note(&shown));
        return out;
    }
    let manifest = input.manifest()
        && (!input.explicit()
            || !s.scanners.contains(&Scanner::Secret)
            || looks_like_manifest_name(&shown));
    if manifest {
        if s.scanners.contains(&Scanner::Misconfig) {
            load_manifests(input, &shown, &bytes, limits, &mut out);
        } else {
            // The secret scanner alone still reads the objects (to decode Secret data and
            // attach findings to objects) but manifest problems are not its business.
            out.objects = load_bytes(&shown, &bytes, limits).objects;
        }
    }
    if let Some(engine) = &s.secrets {
        let path: Arc<str> = Arc::from(shown.as_str());
        out.findings = engine.scan_file(&path, &bytes, &out.objects, &s.options.default_namespace);
    }
    let name = shown.rsplit('/').next().unwrap_or(&shown);
    if bulwark_image::dockerfile::is_dockerfile_name(name) {
        let text = String::from_utf8_lossy(&bytes);
        out.findings
            .extend(bulwark_image::dockerfile::check(&shown, &text, &|m| {
                image_check_selected(s, m)
            }));
    }
    out
}

/// The image check an id or name names.
fn image_check(s: &str) -> Option<&'static bulwark_image::checks::ImageCheckMeta> {
    bulwark_image::checks::all()
        .chain(bulwark_image::dockerfile::all())
        .find(|m| m.id.eq_ignore_ascii_case(s) || m.name == s)
}

/// Whether the image and Dockerfile check `m` runs: the misconfiguration scanner is on and the
/// selection takes it.
fn image_check_selected(s: &Settings, m: &bulwark_image::checks::ImageCheckMeta) -> bool {
    let named = |x: &String| x.eq_ignore_ascii_case(m.id) || x == m.name;
    s.scanners.contains(&Scanner::Misconfig)
        && (s.selection.only.is_empty() || s.selection.only.iter().any(named))
        && !s.selection.skip.iter().any(named)
}

/// An error and its causes, `: `-joined.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

/// Opens an archive (zip, tar, gzip, nested) and scans every text file in it for secrets.
/// Limits and unreadable parts become notes; only an archive that cannot be opened at all is
/// an error.
fn scan_archive(
    shown: &str,
    kind: bulwark_archive::Kind,
    bytes: &[u8],
    engine: &SecretEngine,
    limits: &Limits,
    out: &mut Loaded,
) {
    let archive_limits = bulwark_archive::Limits {
        max_entry_size: limits.max_file_size,
        ..bulwark_archive::Limits::default()
    };
    let mut binary = 0usize;
    let mut findings = Vec::new();
    let walked = bulwark_archive::walk(shown, kind, bytes, archive_limits, &mut |entry| {
        if looks_binary(entry.data) {
            binary += 1;
            return;
        }
        let path: Arc<str> = Arc::from(entry.path);
        findings.extend(engine.scan_file(&path, entry.data, &[], "default"));
    });
    match walked {
        Ok(summary) => {
            out.files += summary.entries;
            out.findings.append(&mut findings);
            for skip in summary.skipped {
                out.notes.push(Note {
                    kind: NoteKind::Skipped,
                    path: Some(skip.path),
                    message: skip.reason,
                });
            }
            if binary > 0 {
                out.notes.push(Note {
                    kind: NoteKind::Binary,
                    path: Some(shown.to_string()),
                    message: format!("{binary} binary files in the archive not scanned"),
                });
            }
        }
        Err(e) => out.errors.push(ScanError {
            path: Some(shown.to_string()),
            line: None,
            column: None,
            message: match e {
                bulwark_archive::ArchiveError::Malformed { kind, message, .. } => {
                    format!("malformed {kind} archive: {message}")
                }
            },
        }),
    }
}

/// Files larger than this are streamed through the secret scanner instead of read whole.
const STREAM_ABOVE: u64 = 32 * 1024 * 1024;

fn binary_note(shown: &str) -> Note {
    Note {
        kind: NoteKind::Binary,
        path: Some(shown.to_string()),
        message: "binary file (a NUL byte in its first 8 KiB); not scanned".to_string(),
    }
}

/// Whether a file named on the command line is meant as manifests: `-` or a YAML/JSON name.
fn looks_like_manifest_name(shown: &str) -> bool {
    let lower = shown.to_ascii_lowercase();
    shown == "-"
        || [".yaml", ".yml", ".json"]
            .iter()
            .any(|e| lower.ends_with(e))
}

fn load_manifests(input: &Input, shown: &str, bytes: &[u8], limits: &Limits, out: &mut Loaded) {
    let error = |line: Option<u32>, column: Option<u32>, message: String| ScanError {
        path: Some(shown.to_string()),
        line,
        column,
        message,
    };
    let loaded = load_bytes(shown, bytes, limits);
    if loaded.helm_template {
        out.notes.push(Note {
            kind: NoteKind::HelmChart,
            path: Some(shown.to_string()),
            message: bulwark_k8s::template_render_hint(),
        });
        return;
    }
    for e in loaded.errors {
        let pos = e.error.pos();
        out.errors.push(error(
            pos.map(|p| p.line),
            pos.map(|p| p.col),
            e.error.to_string(),
        ));
    }
    if loaded.objects.is_empty() && loaded.documents > 0 && out.errors.is_empty() {
        out.notes.push(Note {
            kind: NoteKind::NotKubernetes,
            path: Some(shown.to_string()),
            message: "no Kubernetes objects (no document has apiVersion and kind); skipped"
                .to_string(),
        });
    } else if loaded.documents == 0 && out.errors.is_empty() && input.explicit() {
        out.notes.push(Note {
            kind: NoteKind::NotKubernetes,
            path: Some(shown.to_string()),
            message: "empty: no YAML or JSON documents".to_string(),
        });
    } else {
        for s in &loaded.skipped {
            out.notes.push(Note {
                kind: NoteKind::NotKubernetes,
                path: Some(shown.to_string()),
                message: format!("line {}: {}; skipped", s.pos.line, s.reason),
            });
        }
    }
    out.objects = loaded.objects;
}

/// Applies the configuration's ignores and the severity filter, and moves suppressed findings
/// apart, in place: for large scans the findings are most of the memory, so they are never
/// copied.
fn split_findings(
    report: &mut Report,
    mut findings: Vec<Finding>,
    mut suppressions: Vec<Option<Suppression>>,
    s: &Settings,
) {
    for (f, slot) in findings.iter().zip(suppressions.iter_mut()) {
        if slot.is_none() {
            *slot = s.config.ignores.iter().find_map(|i| i.matches(f));
        }
        if slot.is_none() && s.baseline.contains(&f.fingerprint) {
            *slot = Some(Suppression {
                source: SuppressionSource::Baseline,
                reason: None,
                origin: "baseline".to_string(),
            });
        }
    }
    if !s.severities.is_empty() {
        let keep: Vec<bool> = findings
            .iter()
            .map(|f| s.severities.contains(&f.severity))
            .collect();
        let mut i = 0;
        findings.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        let mut i = 0;
        suppressions.retain(|_| {
            i += 1;
            keep[i - 1]
        });
    }
    let mut i = 0;
    let silenced: Vec<Finding> = findings
        .extract_if(.., |_| {
            i += 1;
            suppressions[i - 1].is_some()
        })
        .collect();
    report.suppressed = silenced
        .into_iter()
        .zip(suppressions.into_iter().flatten())
        .map(|(finding, suppression)| SuppressedFinding {
            finding,
            suppression,
        })
        .collect();
    report.findings = findings;
}

/// The format of baseline files: the fingerprints of the findings to keep quiet.
const BASELINE_SCHEMA: &str = "bulwark-baseline/1";

fn read_baseline(path: &Path) -> anyhow::Result<HashSet<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading baseline {}", path.display()))?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("baseline {} is not JSON", path.display()))?;
    if doc["schema"] != BASELINE_SCHEMA {
        bail!(
            "baseline {} is not a Bulwark baseline (no \"schema\": \"{BASELINE_SCHEMA}\"); write one with --write-baseline",
            path.display()
        );
    }
    let prints = doc["fingerprints"]
        .as_array()
        .with_context(|| format!("baseline {} has no fingerprints list", path.display()))?;
    Ok(prints
        .iter()
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect())
}

/// Writes the fingerprints of `findings` (before any suppression) as a baseline.
fn write_baseline(path: &Path, findings: &[Finding]) -> anyhow::Result<()> {
    let mut prints: Vec<&str> = findings.iter().map(|f| f.fingerprint.as_str()).collect();
    prints.sort_unstable();
    prints.dedup();
    let doc = serde_json::json!({"schema": BASELINE_SCHEMA, "fingerprints": prints});
    write_atomically(path, |w| {
        serde_json::to_writer_pretty(&mut *w, &doc).map_err(std::io::Error::from)?;
        w.write_all(b"\n")
    })
}

fn rule_infos() -> Vec<RuleInfo> {
    let analyses = crate::analyses::checks().map(|m| RuleInfo {
        id: m.id.to_string(),
        name: m.name.to_string(),
        title: m.title.to_string(),
        description: m.what.to_string(),
        help_markdown: m.markdown(),
        help_uri: format!(
            "https://github.com/bulwark-sec/bulwark/blob/main/docs/analysis-checks.md#{}",
            m.id.to_ascii_lowercase()
        ),
        severity: m.severity,
        standards: m.standards.iter().map(|s| (*s).to_string()).collect(),
    });
    bulwark_checks::all()
        .iter()
        .map(|c| {
            let m = c.meta();
            RuleInfo {
                id: m.id.to_string(),
                name: m.name.to_string(),
                title: m.title.to_string(),
                description: m.what.to_string(),
                help_markdown: bulwark_checks::docs::markdown(m),
                help_uri: format!(
                    "https://github.com/bulwark-sec/bulwark/blob/main/docs/checks/{}.md",
                    m.id
                ),
                severity: m.severity,
                standards: m.standards.iter().map(|s| (*s).to_string()).collect(),
            }
        })
        .chain(analyses)
        .collect()
}

pub fn run(args: &ScanArgs) -> anyhow::Result<u8> {
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .context("setting up the worker threads")?;
    }
    let s = settings(args)?;
    let mut discovery = discover(&args.paths);
    for dir in &args.rootfs {
        if dir.is_dir() {
            discovery.inputs.push(Input::Rootfs { path: dir.clone() });
        } else {
            bail!("--rootfs {}: not a directory", dir.display());
        }
    }
    let mut loaded = load_inputs(&discovery.inputs, &s);
    if let Some(repo) = &args.git_history {
        let engine = s
            .secrets
            .as_ref()
            .context("--git-history needs the secret scanner (--scanners secret)")?;
        let history = crate::git_history::scan(repo, engine, s.limits.max_file_size)
            .with_context(|| format!("scanning the git history of {}", repo.display()))?;
        loaded.findings.extend(history.findings);
        loaded.notes.extend(history.notes);
        loaded.files += history.blobs;
    }

    // Vulnerabilities: every inventory (images, root file systems, SBOMs) against the
    // advisory database.
    let mut vuln_findings: Vec<(Finding, Option<Suppression>)> = Vec::new();
    let mut vuln_notes: Vec<Note> = Vec::new();
    if s.scanners.contains(&Scanner::Vuln) && !loaded.images.is_empty() {
        match crate::vulns::VulnScanner::open(args, s.vuln_explicit)? {
            Ok(scanner) => {
                vuln_notes.extend(scanner.notes.iter().cloned());
                for image in &loaded.images {
                    let matched = scanner.scan(image)?;
                    vuln_findings.extend(matched.findings);
                    vuln_notes.extend(matched.notes);
                }
            }
            Err(note) => vuln_notes.push(note),
        }
    }
    if args.format == ScanFormat::Cyclonedx && loaded.images.len() != 1 {
        bail!(
            "--format cyclonedx describes one image or SBOM; this scan has {} (scan them one at a time)",
            loaded.images.len()
        );
    }

    let mut report = Report::new(env!("CARGO_PKG_VERSION"));
    report.errors.extend(discovery.errors);
    report.errors.extend(loaded.errors);
    report.notes.extend(discovery.notes);
    report.notes.extend(loaded.notes);
    report.notes.extend(vuln_notes);
    report.summary.files = loaded.files;
    report.images = std::mem::take(&mut loaded.images);
    report.summary.resources = loaded.objects.len();

    let snapshot = Snapshot::new(
        std::mem::take(&mut loaded.objects),
        &s.options.default_namespace,
    );
    let mut findings: Vec<Finding> = Vec::new();
    let mut suppressions: Vec<Option<Suppression>> = Vec::new();
    // Checks run once, over the categories the chosen scanners cover: the secret scanner
    // owns the Kubernetes secret-hygiene checks, the misconfiguration scanner the rest.
    let misconfig = s.scanners.contains(&Scanner::Misconfig);
    let secret = s.scanners.contains(&Scanner::Secret);
    let mut selection = s.selection.clone();
    selection.categories = match (misconfig, secret) {
        (true, true) => Vec::new(),
        (true, false) => Category::ALL
            .iter()
            .copied()
            .filter(|c| *c != Category::Secret)
            .collect(),
        (false, _) => vec![Category::Secret],
    };
    // Neither scanner that owns the per-object checks was chosen: none run.
    let out = if misconfig || secret {
        bulwark_checks::run(&snapshot, &selection, &s.options)
    } else {
        bulwark_checks::RunOutput::default()
    };
    suppressions.resize(out.findings.len(), None);
    for (i, sup) in out.suppressions {
        suppressions[i] = Some(sup);
    }
    findings.extend(out.findings);
    report.notes.extend(out.notes);
    // The cluster-wide analyses: how the objects relate, not one object at a time.
    let enabled = crate::analyses::Enabled {
        network: s.scanners.contains(&Scanner::Network),
        rbac: s.scanners.contains(&Scanner::Rbac),
        mesh: s.scanners.contains(&Scanner::Mesh),
    };
    let named = |list: &[String], c: &bulwark_model::AnalysisCheck| {
        list.iter()
            .any(|x| x.eq_ignore_ascii_case(c.id) || x == c.name)
    };
    let analysis = crate::analyses::findings(&snapshot, enabled, &|c| {
        (s.selection.only.is_empty() || named(&s.selection.only, c)) && !named(&s.selection.skip, c)
    });
    suppressions.resize(findings.len() + analysis.len(), None);
    findings.extend(analysis);
    // Findings made while reading (secrets; image checks): each only when its scanner ran.
    suppressions.resize(findings.len() + loaded.findings.len(), None);
    findings.append(&mut loaded.findings);
    for (finding, suppression) in vuln_findings {
        findings.push(finding);
        suppressions.push(suppression);
    }
    // The objects are not needed to render: free them before the report grows.
    drop(snapshot);
    if let Some(path) = &args.write_baseline {
        write_baseline(path, &findings)?;
    }
    split_findings(&mut report, findings, suppressions, &s);
    report.finalize();

    let color = use_color(args.no_color, args.output.is_some());
    let rules = (args.format == ScanFormat::Sarif).then(rule_infos);
    let render = |w: &mut dyn std::io::Write| match args.format {
        ScanFormat::Table => render_table(&report, TableStyle { color }, w),
        ScanFormat::Json => render_json(&report, w),
        ScanFormat::Sarif => render_sarif(&report, rules.as_deref().unwrap_or_default(), w),
        ScanFormat::Cyclonedx => {
            let findings: Vec<&Finding> = report
                .findings
                .iter()
                .filter(|f| f.vulnerability.is_some())
                .collect();
            let suppressed: Vec<(&Finding, &Suppression)> = report
                .suppressed
                .iter()
                .map(|s| (&s.finding, &s.suppression))
                .collect();
            render_cyclonedx_with_vulnerabilities(
                &report.images[0],
                &findings,
                &suppressed,
                env!("CARGO_PKG_VERSION"),
                bulwark_model::time::now(),
                w,
            )
        }
    };
    match &args.output {
        Some(path) => write_atomically(path, render)?,
        None => match write_stdout(render) {
            // The reader stopped early (`| head`): the exit code still reports the scan.
            Err(e) if is_broken_pipe(&e) => {}
            other => other?,
        },
    }

    print_diagnostics(args, &report, &discovery.inputs);

    if !report.errors.is_empty() {
        return Ok(2);
    }
    let failing = report.findings.iter().any(|f| f.severity >= s.fail_on);
    Ok(if failing { args.exit_code } else { 0 })
}

/// Notes and errors on stderr. Table output already lists errors on stdout; other formats
/// carry them in the document, so stderr repeats them for whoever watches the terminal.
/// Failing to write to stderr is not a reason to fail the scan, so write errors are ignored.
fn print_diagnostics(args: &ScanArgs, report: &Report, inputs: &[Input]) {
    let mut err = std::io::stderr().lock();
    let explicit = |path: &Option<String>| {
        inputs
            .iter()
            .any(|i| i.explicit() && Some(i.display()) == *path)
    };
    if !args.quiet {
        for n in &report.notes {
            let always = match n.kind {
                NoteKind::HelmChart | NoteKind::Skipped | NoteKind::Other => true,
                NoteKind::NotKubernetes | NoteKind::Binary => explicit(&n.path),
            };
            if always || args.verbose {
                let path = n.path.as_deref().unwrap_or("");
                let _ = writeln!(err, "bulwark: note: {path}: {}", n.message);
            }
        }
    }
    if args.format != ScanFormat::Table || args.output.is_some() {
        for e in &report.errors {
            let place = match (&e.path, e.line) {
                (Some(p), Some(l)) => format!("{p}:{l}: "),
                (Some(p), None) => format!("{p}: "),
                _ => String::new(),
            };
            let _ = writeln!(err, "bulwark: error: {place}{}", e.message);
        }
        if !args.quiet {
            let _ = writeln!(err, "bulwark: {}", bulwark_report::summary_line(report));
        }
    }
}
