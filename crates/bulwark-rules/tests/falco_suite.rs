//! Falco 0.35.1's regression suite (../shared/runtime/falco-0.35.1-tests): every case of
//! `falco_tests.yaml` and `falco_tests_exceptions.yaml` that validates rule files, or names rule
//! files that must load, is a case here.
//!
//! - `validate_rules_file` cases: the errors Falco expects (item type, item name, code and
//!   message, or `message_contains`) must be exactly our errors, and the warnings it expects
//!   must be among ours. Messages are compared exactly, except for the normalisations in
//!   [`normalise`]: where Falco has since reworded a message (we print today's wording) and
//!   where the YAML parser's own words differ (yaml-cpp vs yaml-rust2: code and line compared).
//! - Cases that name `rules_file`s: the files must load without errors. Their detection
//!   expectations need the scap trace; for `cat_write.scap` the one event the rule files are
//!   about (`cat` opening `/dev/null` from `bash`) is written by hand and the case's `detect`
//!   is checked against it; other traces are skipped (listed below with the reason).
//! - Cases about Falco's command line, configuration or output channels are skipped.

mod common;

use std::collections::BTreeMap;

use bulwark_rules::{Code, Diagnostic, Limits, Priority, RuleFile, load};
use bulwark_yaml::Node;
use common::RecordedEvent;

const TESTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/runtime/falco-0.35.1-tests"
);

/// The case names we skip and why.
fn skip_reason(name: &str, case: &Node) -> Option<&'static str> {
    let has = |k: &str| case.entry(k).is_some();
    if name.starts_with("monitor_syscall_drops") {
        return Some(
            "syscall drop monitoring is the sensor's, configured through Falco's config file",
        );
    }
    if matches!(
        name,
        "disabled_and_enabled_rules_1" | "disabled_and_enabled_rules_2"
    ) {
        return Some("a command-line error of Falco's (-D/-T with -t)");
    }
    if has("grpc") || has("output_strictly_contains") || has("json_output") || has("time_iso_8601")
    {
        return Some(
            "Falco's output channels (gRPC, file, program, JSON options) over a scap trace",
        );
    }
    if name == "detect_counts" {
        return Some("the falco-event-generator trace is not in the suite's files");
    }
    if !has("rules_file") && !has("validate_rules_file") {
        return Some("runs Falco's default rules over a trace: no rule files of the suite");
    }
    None
}

fn text(n: Option<&Node>) -> String {
    n.and_then(Node::as_str).unwrap_or_default().to_string()
}

fn strings(n: Option<&Node>) -> Vec<String> {
    n.map(Node::as_strings).unwrap_or_default()
}

/// Maps the suite's (Falco 0.35.1) wording onto today's Falco wording, which we print.
fn normalise(code: &str, message: &str) -> (String, String) {
    let code = match code {
        "LOAD_UNKNOWN_FIELD" => "LOAD_UNKNOWN_FILTER",
        c => c,
    };
    let message = match message {
        "Macro has 'append' key but no macro by that name already exists" => {
            "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists"
        }
        "List has 'append' key but no list by that name already exists" => {
            "List uses 'append' or 'override.items: append' but no list by that name already exists"
        }
        "Rule has 'append' key but no rule by that name already exists" => {
            "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists"
        }
        "Can't decode YAML scalar value" => {
            "Unable to parse engine version 'not-a-number' as a semver string. Expected \"x.y.z\" semver format."
        }
        m => m,
    };
    (code.to_string(), message.to_string())
}

struct Expected {
    item_type: String,
    item_name: String,
    code: String,
    message: Option<String>,
    contains: Option<String>,
}

fn expected(n: Option<&Node>) -> Vec<Expected> {
    n.and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .map(|e| {
            let (code, message) = normalise(&text(e.get("code")), &text(e.get("message")));
            Expected {
                item_type: text(e.get("item_type")),
                item_name: text(e.get("item_name")),
                code,
                message: e.get("message").map(|_| message),
                contains: e.get("message_contains").map(|m| text(Some(m))),
            }
        })
        .collect()
}

fn matches(e: &Expected, d: &Diagnostic) -> bool {
    if e.item_type != d.item_type.as_str()
        || e.item_name != d.item_name
        || e.code != d.code.as_str()
    {
        return false;
    }
    if e.code == "LOAD_ERR_YAML_PARSE" {
        // yaml-cpp's words are not ours: the code and the line must agree.
        return e
            .message
            .as_deref()
            .is_none_or(|m| m.contains(&format!("line {}", d.line)));
    }
    if let Some(m) = &e.message
        && m != &d.message
    {
        return false;
    }
    if let Some(c) = &e.contains
        && !d.message.contains(c.as_str())
    {
        return false;
    }
    true
}

fn rule_path(p: &str) -> String {
    format!("{TESTS}/{}", p.trim_start_matches("./"))
}

fn load_files(paths: &[String]) -> bulwark_rules::LoadResult {
    let mut contents = Vec::new();
    for p in paths {
        let full = rule_path(p);
        let meta = std::fs::metadata(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
        if meta.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(&full)
                .expect("rules dir")
                .map(|e| e.expect("entry").path())
                .collect();
            entries.sort();
            for e in entries {
                contents.push((
                    e.display().to_string(),
                    std::fs::read(&e).expect("rule file"),
                ));
            }
        } else {
            contents.push((p.clone(), std::fs::read(&full).expect("rule file")));
        }
    }
    let files: Vec<RuleFile<'_>> = contents
        .iter()
        .map(|(n, c)| RuleFile {
            name: n,
            content: c,
        })
        .collect();
    load(&files, &Limits::default())
}

/// The event of `cat_write.scap` the suite's rule files are written against.
fn cat_open_dev_null() -> RecordedEvent {
    RecordedEvent::from_json(
        r#"{"time": 1470327477881781397, "type": "open", "args": {"name": "/dev/null", "flags": "O_RDONLY"},
            "res": 3, "proc": {"pid": 42, "name": "cat", "exepath": "/bin/cat", "args": ["/dev/null"],
            "ancestors": [{"name": "bash", "pid": 41, "exepath": "/bin/bash", "cmdline": "bash"}]},
            "user": {"uid": 0, "name": "root"}, "fd": {"num": 3, "type": "file", "name": "/dev/null"}}"#,
    )
}

#[derive(Default)]
struct Tally {
    validated: Vec<String>,
    loaded: Vec<String>,
    detected: Vec<String>,
    skipped: Vec<(String, String)>,
    failures: Vec<String>,
}

fn run_case(name: &str, case: &Node, t: &mut Tally) {
    if let Some(reason) = skip_reason(name, case) {
        t.skipped.push((name.to_string(), reason.to_string()));
        return;
    }
    let validate = strings(case.get("validate_rules_file"));
    if !validate.is_empty() {
        let res = load_files(&validate);
        let errors: Vec<&Diagnostic> = res.errors().collect();
        let warnings: Vec<&Diagnostic> = res.warnings().collect();
        let exp_errors = expected(case.get("validate_errors"));
        let exp_warnings = expected(case.get("validate_warnings"));
        let mut problems = Vec::new();
        for e in &exp_errors {
            if !errors.iter().any(|d| matches(e, d)) {
                problems.push(format!(
                    "expected error {} {} '{}': {:?}{:?}",
                    e.code, e.item_type, e.item_name, e.message, e.contains
                ));
            }
        }
        for d in &errors {
            if !exp_errors.iter().any(|e| matches(e, d)) {
                problems.push(format!("unexpected error: {d}"));
            }
        }
        for e in &exp_warnings {
            if !warnings.iter().any(|d| matches(e, d)) {
                problems.push(format!(
                    "expected warning {} {} '{}': {:?}{:?}",
                    e.code, e.item_type, e.item_name, e.message, e.contains
                ));
            }
        }
        let exit_status = case.get("exit_status").and_then(Node::as_i64).unwrap_or(0);
        if (exit_status != 0) == errors.is_empty() {
            problems.push(format!(
                "exit status {exit_status} but {} errors",
                errors.len()
            ));
        }
        if problems.is_empty() {
            t.validated.push(name.to_string());
        } else {
            let ours: Vec<String> = errors
                .iter()
                .chain(warnings.iter())
                .map(ToString::to_string)
                .collect();
            t.failures
                .push(format!("{name}: {problems:#?}\nours: {ours:#?}"));
        }
        return;
    }
    let files = strings(case.get("rules_file"));
    let res = load_files(&files);
    let errors: Vec<String> = res.errors().map(ToString::to_string).collect();
    if !errors.is_empty() {
        t.failures
            .push(format!("{name}: rule files must load: {errors:#?}"));
        return;
    }
    t.loaded.push(name.to_string());
    let Some(mut rs) = res.ruleset else {
        t.failures.push(format!("{name}: no rule set"));
        return;
    };
    // Detection: only against cat_write.scap's event, for cases that expect detection or none.
    let trace = text(case.get("trace_file"));
    let simple = case.get("detect_counts").is_none()
        && case.get("all_events").is_none()
        && case.get("stdout_contains").is_none()
        && case.get("disable_tags").is_none()
        && case.get("run_tags").is_none();
    if trace != "trace_files/cat_write.scap" || !simple || case.get("detect").is_none() {
        t.skipped.push((
            name.to_string(),
            format!("rule files load; detection needs the scap trace {trace} (no scap reader)"),
        ));
        return;
    }
    if let Some(p) = case
        .get("priority")
        .and_then(Node::as_str)
        .and_then(Priority::parse)
    {
        rs.set_min_priority(p);
    }
    let disabled = strings(case.get("disabled_rules"));
    if !disabled.is_empty() {
        rs.set_enabled(|r| {
            disabled
                .iter()
                .any(|d| r.name.contains(d.as_str()))
                .then_some(false)
        });
    }
    let detect = case.get("detect").and_then(Node::as_bool).unwrap_or(false);
    let ev = cat_open_dev_null();
    let fired = rs.first_match(&ev).map(|id| rs.rule(id));
    let mut ok = fired.is_some() == detect;
    if let (Some(r), Some(level)) = (fired, case.get("detect_level").and_then(Node::as_str)) {
        ok &= Priority::parse(level) == Some(r.priority);
    }
    if ok {
        t.detected.push(name.to_string());
    } else {
        t.failures.push(format!(
            "{name}: detect {detect} but {:?} fired",
            fired.map(|r| (&r.name, r.priority))
        ));
    }
}

fn run_suite(file: &str) -> Tally {
    let text = std::fs::read_to_string(format!("{TESTS}/{file}")).expect("suite file");
    let docs = bulwark_yaml::parse_yaml(&text, &bulwark_yaml::Limits::default());
    let doc = docs
        .into_iter()
        .next()
        .expect("a document")
        .expect("valid YAML");
    let cases = doc
        .get("trace_files")
        .and_then(Node::as_map)
        .expect("trace_files");
    let mut t = Tally::default();
    for c in cases {
        run_case(&c.key, &c.value, &mut t);
    }
    t
}

fn report(file: &str, t: &Tally) {
    println!(
        "{file}: {} validation cases pass, {} cases' rule files load (of which {} detection checked against the hand-written cat_write event), {} skipped, {} failed",
        t.validated.len(),
        t.loaded.len(),
        t.detected.len(),
        t.skipped.len(),
        t.failures.len()
    );
    let mut by_reason: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (n, r) in &t.skipped {
        by_reason.entry(r).or_default().push(n);
    }
    for (r, ns) in by_reason {
        println!("  skipped ({r}): {}", ns.join(", "));
    }
    for f in &t.failures {
        println!("FAILED {f}");
    }
}

/// Runs a suite file: no case may fail, and the counts (validated, loaded, detected, skipped)
/// are pinned so that a case silently moving to "skipped" fails the test.
fn check_suite(file: &str, counts: (usize, usize, usize, usize)) {
    let t = run_suite(file);
    report(file, &t);
    assert!(t.failures.is_empty(), "{} cases failed", t.failures.len());
    assert_eq!(
        (
            t.validated.len(),
            t.loaded.len(),
            t.detected.len(),
            t.skipped.len()
        ),
        counts
    );
}

#[test]
fn falco_tests_yaml() {
    check_suite("falco_tests.yaml", (31, 52, 30, 43));
}

#[test]
fn falco_tests_exceptions_yaml() {
    check_suite("falco_tests_exceptions.yaml", (10, 20, 20, 0));
}

#[test]
fn code_names_are_falcos() {
    assert_eq!(
        Code::Error(bulwark_rules::ErrorCode::LOAD_ERR_VALIDATE).as_str(),
        "LOAD_ERR_VALIDATE"
    );
}
