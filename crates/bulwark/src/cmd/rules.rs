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
        RulesAction::Check => {
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
