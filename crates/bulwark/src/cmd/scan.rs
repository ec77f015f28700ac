//! `bulwark scan PATH...`: find targets, run the selected scanners, filter, report, exit.
//!
//! The pipeline is the same for every scanner: targets (files, directories, stdin; later
//! images and git history) are discovered once, each scanner turns the targets it understands
//! into findings, and the report stage applies suppressions and filters, renders and picks the
//! exit code.

use std::io::Write as _;

use anyhow::bail;
use bulwark_checks::{Options, Selection};
use bulwark_k8s::{Limits, Object, Snapshot, load_bytes};
use bulwark_model::{
    Finding, Note, NoteKind, Report, ScanError, Severity, SuppressedFinding, Suppression,
};
use bulwark_report::{RuleInfo, TableStyle, render_json, render_sarif, render_table};
use rayon::prelude::*;

use crate::cli::{ScanArgs, ScanFormat};
use crate::config::{self, Config};
use crate::output::{is_broken_pipe, use_color, write_atomically, write_stdout};
use crate::targets::{Input, ReadOutcome, discover, read_input};

/// The scanners `--scanners` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scanner {
    /// Kubernetes manifest misconfigurations (the checks of `bulwark checks`).
    Misconfig,
}

const SCANNERS: &[(&str, Scanner)] = &[("misconfig", Scanner::Misconfig)];

fn select_scanners(names: &[String]) -> anyhow::Result<Vec<Scanner>> {
    if names.is_empty() {
        return Ok(SCANNERS.iter().map(|(_, s)| *s).collect());
    }
    let mut out = Vec::new();
    for n in names {
        let n = n.trim().to_ascii_lowercase();
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
    severities: Vec<Severity>,
    fail_on: Severity,
    selection: Selection,
    options: Options,
    limits: Limits,
    config: Config,
}

fn settings(args: &ScanArgs) -> anyhow::Result<Settings> {
    let config = config::load(args.config.as_deref())?;
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
    };
    let unknown = selection.unknown();
    if !unknown.is_empty() {
        bail!(
            "not a check: {} (`bulwark checks` lists them all)",
            unknown.join(", ")
        );
    }
    let default_namespace = args
        .default_namespace
        .clone()
        .or_else(|| config.default_namespace.clone());
    let mut limits = Limits::default();
    if let Some(max) = args.max_file_size {
        limits.max_file_size = max;
    }
    Ok(Settings {
        scanners: select_scanners(&args.scanners)?,
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
        },
        limits,
        config,
    })
}

/// What reading and parsing the inputs produced.
#[derive(Default)]
struct Loaded {
    objects: Vec<Object>,
    errors: Vec<ScanError>,
    notes: Vec<Note>,
    files: usize,
}

fn load_inputs(inputs: &[Input], limits: &Limits) -> Loaded {
    let per_input: Vec<Loaded> = inputs
        .par_iter()
        .map(|input| load_one(input, limits))
        .collect();
    let mut all = Loaded::default();
    for mut l in per_input {
        all.objects.append(&mut l.objects);
        all.errors.append(&mut l.errors);
        all.notes.append(&mut l.notes);
        all.files += l.files;
    }
    all
}

fn load_one(input: &Input, limits: &Limits) -> Loaded {
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
    let loaded = load_bytes(&shown, &bytes, limits);
    if loaded.helm_template {
        out.notes.push(Note {
            kind: NoteKind::HelmChart,
            path: Some(shown.clone()),
            message: bulwark_k8s::template_render_hint(),
        });
        return out;
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
            path: Some(shown.clone()),
            message: "no Kubernetes objects (no document has apiVersion and kind); skipped"
                .to_string(),
        });
    } else if loaded.documents == 0 && out.errors.is_empty() && input.explicit() {
        out.notes.push(Note {
            kind: NoteKind::NotKubernetes,
            path: Some(shown.clone()),
            message: "empty: no YAML or JSON documents".to_string(),
        });
    } else {
        for s in &loaded.skipped {
            out.notes.push(Note {
                kind: NoteKind::NotKubernetes,
                path: Some(shown.clone()),
                message: format!("line {}: {}; skipped", s.pos.line, s.reason),
            });
        }
    }
    out.objects = loaded.objects;
    out
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

fn rule_infos() -> Vec<RuleInfo> {
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
        .collect()
}

pub fn run(args: &ScanArgs) -> anyhow::Result<u8> {
    let s = settings(args)?;
    let discovery = discover(&args.paths);
    let loaded = load_inputs(&discovery.inputs, &s.limits);

    let mut report = Report::new(env!("CARGO_PKG_VERSION"));
    report.errors.extend(discovery.errors);
    report.errors.extend(loaded.errors);
    report.notes.extend(discovery.notes);
    report.notes.extend(loaded.notes);
    report.summary.files = loaded.files;
    report.summary.resources = loaded.objects.len();

    let snapshot = Snapshot::new(loaded.objects, &s.options.default_namespace);
    let mut findings: Vec<Finding> = Vec::new();
    let mut suppressions: Vec<Option<Suppression>> = Vec::new();
    for scanner in &s.scanners {
        match scanner {
            Scanner::Misconfig => {
                let out = bulwark_checks::run(&snapshot, &s.selection, &s.options);
                let base = findings.len();
                suppressions.resize(base + out.findings.len(), None);
                for (i, sup) in out.suppressions {
                    suppressions[base + i] = Some(sup);
                }
                findings.extend(out.findings);
                report.notes.extend(out.notes);
            }
        }
    }
    // The objects are not needed to render: free them before the report grows.
    drop(snapshot);
    split_findings(&mut report, findings, suppressions, &s);
    report.finalize();

    let color = use_color(args.no_color, args.output.is_some());
    let rules = (args.format == ScanFormat::Sarif).then(rule_infos);
    let render = |w: &mut dyn std::io::Write| match args.format {
        ScanFormat::Table => render_table(&report, TableStyle { color }, w),
        ScanFormat::Json => render_json(&report, w),
        ScanFormat::Sarif => render_sarif(&report, rules.as_deref().unwrap_or_default(), w),
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
                NoteKind::NotKubernetes => explicit(&n.path),
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
