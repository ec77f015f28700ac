//! Every built-in rule loads, is unique, and behaves on its own examples.

use bulwark_secrets::{RuleSet, check_rules, parse_rules};

#[test]
fn builtin_rules_pass_their_examples() {
    let set = RuleSet::builtin().expect("built-in rules load");
    let problems = check_rules(&set);
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems
            .iter()
            .map(|p| format!("{} ({}): {}", p.id, p.origin, p.message))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn there_are_enough_rules_in_every_family() {
    let set = RuleSet::builtin().expect("built-in rules load");
    assert!(set.rules().len() >= 150, "only {} rules", set.rules().len());
}

#[test]
fn bad_rule_files_are_clear_errors() {
    let cases = [
        ("family: x\nrules:\n  - id: X001\n", "missing `name`"),
        (
            "family: x\nrules:\n  - {id: X001, name: x, title: t, pattern: '(', keywords: [a], confidence: high}\n",
            "pattern does not compile",
        ),
        (
            "family: x\nrules:\n  - {id: X001, name: x, title: t, pattern: 'a', keywords: [], confidence: high}\n",
            "keywords",
        ),
        (
            "family: x\nrules:\n  - {id: X001, name: x, title: t, pattern: 'a', keywords: [a], confidence: sure}\n",
            "confidence",
        ),
        (
            "family: x\nrules:\n  - {id: X001, name: x, title: t, pattern: 'a', keywords: [a], confidence: high, colour: red}\n",
            "unknown key",
        ),
        ("family: x\nrules: [\n", "rules.yaml:"),
        ("a: &a [1]\nb: *a\n", "alias"),
    ];
    for (text, want) in cases {
        let err = parse_rules("rules.yaml", text).expect_err(text).to_string();
        assert!(err.contains(want), "{text:?}: {err}");
    }
}
