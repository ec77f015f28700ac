//! Falco's upstream rule files (../shared/runtime/falco-rules) load, and how many of their
//! rules run fully is pinned (docs/runtime-rules.md quotes these numbers).

use bulwark_rules::{Code, Limits, RuleFile, RuleStatus, WarningCode, load};

const SHARED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/runtime/falco-rules"
);

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("{SHARED}/{name}")).expect("shared rule file")
}

/// Loads `files` together and returns (rules, enabled, disabled by the file, unsupported).
fn summary(files: &[&str]) -> (usize, usize, usize, usize) {
    let contents: Vec<(String, Vec<u8>)> =
        files.iter().map(|f| ((*f).to_string(), read(f))).collect();
    let rf: Vec<RuleFile<'_>> = contents
        .iter()
        .map(|(n, c)| RuleFile {
            name: n,
            content: c,
        })
        .collect();
    let res = load(&rf, &Limits::default());
    let errors: Vec<String> = res.errors().map(ToString::to_string).collect();
    assert!(errors.is_empty(), "{files:?} do not load: {errors:#?}");
    for w in res.warnings() {
        if !matches!(
            w.code,
            Code::Warning(WarningCode::LOAD_UNUSED_MACRO | WarningCode::LOAD_UNUSED_LIST)
        ) {
            println!("warning: {w}");
        }
    }
    let rs = res.ruleset.expect("ruleset");
    let mut enabled = 0;
    let mut disabled = 0;
    let mut unsupported = 0;
    for r in rs.rules() {
        match &r.status {
            RuleStatus::Enabled => enabled += 1,
            RuleStatus::Disabled => disabled += 1,
            RuleStatus::Unsupported(f) => {
                unsupported += 1;
                println!("unsupported: {} ({})", r.name, f.join(", "));
            }
        }
    }
    println!(
        "{files:?}: {} rules, {enabled} enabled, {disabled} disabled in the file, {unsupported} unsupported",
        rs.rules().len()
    );
    (rs.rules().len(), enabled, disabled, unsupported)
}

#[test]
fn stable_rules_load_and_all_run() {
    assert_eq!(summary(&["falco_rules.yaml"]), (25, 25, 0, 0));
}

#[test]
fn incubating_rules_load() {
    assert_eq!(
        summary(&["falco_rules.yaml", "falco-incubating_rules.yaml"]),
        (25 + 31, 25 + 31, 0, 0)
    );
}

#[test]
fn sandbox_rules_load() {
    assert_eq!(
        summary(&["falco_rules.yaml", "falco-sandbox_rules.yaml"]),
        (25 + 37, 25 + 24, 11, 2)
    );
}

#[test]
fn k8s_audit_rules_load() {
    assert_eq!(summary(&["k8s_audit_rules.yaml"]), (48, 48, 0, 0));
}
