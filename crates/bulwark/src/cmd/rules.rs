//! `bulwark rules [list|check]`: the secret rules, and their self-test.

use std::fmt::Write as _;
use std::io::Write as _;

use bulwark_secrets::check_rules;
use serde_json::json;

use crate::cli::{ChecksFormat, RulesAction, RulesArgs};
use crate::cmd::secrets::{WEAK_PASSWORD, load_rules};
use crate::output::write_stdout;

pub fn run(args: &RulesArgs) -> anyhow::Result<u8> {
    let set = load_rules(&args.rule_files)?;
    match args.action {
        RulesAction::List => {
            let text = match args.format {
                ChecksFormat::Json => {
                    let rules: Vec<_> = set
                        .rules()
                        .iter()
                        .map(|r| {
                            json!({
                                "id": r.id, "name": r.name, "title": r.title, "family": r.family,
                                "confidence": r.confidence.as_str(), "severity": r.severity,
                                "keywords": r.keywords, "pattern": r.pattern,
                                "references": r.references, "origin": r.origin,
                            })
                        })
                        .collect();
                    serde_json::to_string_pretty(&rules)? + "\n"
                }
                ChecksFormat::Table | ChecksFormat::Markdown => {
                    let mut s = String::new();
                    let _ = writeln!(
                        s,
                        "{:<8} {:<14} {:<10} {:<48} TITLE",
                        "ID", "FAMILY", "CONFIDENCE", "NAME"
                    );
                    for r in set.rules() {
                        let _ = writeln!(
                            s,
                            "{:<8} {:<14} {:<10} {:<48} {}",
                            r.id,
                            r.family,
                            r.confidence.as_str(),
                            r.name,
                            r.title
                        );
                    }
                    let _ = writeln!(
                        s,
                        "{:<8} {:<14} {:<10} {:<48} {} (a judgement of the password rules)",
                        WEAK_PASSWORD.0, "generic", "high", WEAK_PASSWORD.1, WEAK_PASSWORD.2
                    );
                    let _ = writeln!(s, "\n{} rules.", set.rules().len());
                    s
                }
            };
            write_stdout(|w| w.write_all(text.as_bytes()))?;
            Ok(0)
        }
        RulesAction::Check if !args.files.is_empty() => check_files(&args.files),
        RulesAction::Check => {
            if let Err(e) = crate::cmd::sensor::load_rules(&[], true) {
                eprintln!("the built-in runtime rules do not load: {e:#}");
                return Ok(1);
            }
            if let Err(e) = crate::cmd::sensor::load_rules_with(
                Some((
                    crate::cmd::audit::AUDIT_RULES_NAME,
                    crate::cmd::audit::AUDIT_RULES,
                )),
                &[],
            ) {
                eprintln!("the built-in audit rules do not load: {e:#}");
                return Ok(1);
            }
            let problems = check_rules(&set);
            let mut err = std::io::stderr().lock();
            for p in &problems {
                let _ = writeln!(err, "{} ({}): {}", p.id, p.origin, p.message);
            }
            let _ = writeln!(
                err,
                "{} rules checked, {} problems",
                set.rules().len(),
                problems.len()
            );
            Ok(u8::from(!problems.is_empty()))
        }
    }
}

/// Whether a YAML file is a Falco rule file (a list of `rule`, `macro`, `list`, … items)
/// rather than a secret rule file (a mapping with `rules:`).
fn is_falco_rules(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .map(str::trim_end)
        .find(|l| !l.is_empty() && !l.starts_with('#') && l != &"---")
        .is_some_and(|l| l.starts_with("- "))
}

/// `bulwark rules check FILE...`: Falco rule files are loaded together, in order (as the
/// sensor and `bulwark audit` load them); secret rule files are loaded and their examples run.
fn check_files(files: &[std::path::PathBuf]) -> anyhow::Result<u8> {
    let mut falco: Vec<(String, Vec<u8>)> = Vec::new();
    let mut secret: Vec<std::path::PathBuf> = Vec::new();
    for f in files {
        let bytes =
            std::fs::read(f).map_err(|e| anyhow::anyhow!("reading {}: {e}", f.display()))?;
        if is_falco_rules(&bytes) {
            falco.push((f.display().to_string(), bytes));
        } else {
            secret.push(f.clone());
        }
    }
    let mut failed = false;
    let mut err = std::io::stderr().lock();
    if !falco.is_empty() {
        let refs: Vec<bulwark_rules::RuleFile<'_>> = falco
            .iter()
            .map(|(name, content)| bulwark_rules::RuleFile { name, content })
            .collect();
        let loaded = bulwark_rules::load(&refs, &bulwark_rules::Limits::default());
        for d in loaded.errors() {
            let _ = writeln!(err, "error: {}", crate::cmd::sensor::show(d));
            failed = true;
        }
        for d in loaded.warnings() {
            let _ = writeln!(err, "warning: {}", crate::cmd::sensor::show(d));
        }
        if let Some(set) = &loaded.ruleset {
            let count = |f: &dyn Fn(&bulwark_rules::RuleStatus) -> bool| {
                set.rules().iter().filter(|r| f(&r.status)).count()
            };
            let _ = writeln!(
                err,
                "{} rules: {} enabled, {} disabled in the file, {} with fields this engine does not implement",
                set.rules().len(),
                count(&|s| *s == bulwark_rules::RuleStatus::Enabled),
                count(&|s| *s == bulwark_rules::RuleStatus::Disabled),
                count(&|s| matches!(s, bulwark_rules::RuleStatus::Unsupported(_)))
            );
            for (source, events, filler) in [
                (
                    bulwark_rules::Source::Syscall,
                    "the sensor's events",
                    "the sensor does not fill",
                ),
                (
                    bulwark_rules::Source::K8sAudit,
                    "audit events",
                    "audit events do not carry",
                ),
            ] {
                let partial = partially_answered(set, source);
                let enabled = set
                    .rules()
                    .iter()
                    .filter(|r| {
                        r.status == bulwark_rules::RuleStatus::Enabled && r.source == source
                    })
                    .count();
                if enabled == 0 {
                    continue;
                }
                let _ = writeln!(
                    err,
                    "{} of the {enabled} enabled {} rules run fully on {events}",
                    enabled - partial.len(),
                    source.as_str()
                );
                for (rule, missing) in &partial {
                    let _ = writeln!(
                        err,
                        "  partly: {rule:?} compares fields {filler} ({}), which never match",
                        missing.join(", ")
                    );
                }
            }
        }
    }
    if !secret.is_empty() {
        let set = load_rules(&secret)?;
        let problems = check_rules(&set);
        for p in &problems {
            let _ = writeln!(err, "{} ({}): {}", p.id, p.origin, p.message);
        }
        let _ = writeln!(
            err,
            "{} secret rules checked, {} problems",
            set.rules().len(),
            problems.len()
        );
        failed |= !problems.is_empty();
    }
    Ok(u8::from(failed))
}

/// Enabled rules of `source` whose conditions name fields our events of that source (the
/// sensor's, or audit events) do not answer, with those fields.
pub fn partially_answered(
    set: &bulwark_rules::RuleSet,
    source: bulwark_rules::Source,
) -> Vec<(String, Vec<&'static str>)> {
    let answered = match source {
        bulwark_rules::Source::Syscall => crate::runtime::adapter::ANSWERED,
        bulwark_rules::Source::K8sAudit => crate::audit::adapter::ANSWERED,
    };
    set.rules()
        .iter()
        .filter(|r| r.status == bulwark_rules::RuleStatus::Enabled && r.source == source)
        .filter_map(|r| {
            let missing: Vec<&'static str> = r
                .condition_fields()
                .into_iter()
                .filter(|f| !answered.contains(f))
                .map(bulwark_rules::Field::name)
                .collect();
            (!missing.is_empty()).then(|| (r.name.clone(), missing))
        })
        .collect()
}
