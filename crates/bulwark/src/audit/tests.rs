//! Falco 0.35.1's k8s-audit regression suite
//! (`../shared/runtime/falco-0.35.1-tests/falco_k8s_audit_tests.yaml`), run through
//! [`AuditEvent`] and the rule engine, with Falco's own rule files.
//!
//! Each case names its rule files (mapped from Falco's build tree onto
//! `../shared/runtime/falco-rules` and the suite's `rules/`), a trace (the
//! `plugins[0].open_params` of `addl_cmdline_opts`: JSON lines, each an audit `Event`, an
//! `EventList` or an array of them, read as Falco's k8saudit plugin reads them) and what Falco
//! must print. As Falco's test runner checks them:
//!
//! - `detect: False`: no alert; `detect: True`: at least one alert, one at each
//!   `detect_level` priority, and per rule of `detect_counts` exactly that many alerts;
//! - `stderr_contains`: a message the trace reader logs (a line that is not an audit event).
//!
//! The other keys are the same for every case and need nothing: `enable_source: k8s_audit`
//! (only `k8s_audit` rules run on audit events: the engine indexes rules by source) and
//! `conf_file` (Falco's plugin configuration: the k8saudit and json plugins, whose fields
//! [`AuditEvent`] answers; no priority threshold). No case uses `-t`/`-T`/`-D`, priority
//! options or `validate_rules_file`; a case with a key or option we do not know fails, so that
//! a new one is not silently ignored.
//!
//! `../shared`'s `k8s_audit_rules.yaml` is today's upstream file, not the one Falco 0.35.1
//! shipped. Two adaptations, printed per case, keep the cases' intent:
//!
//! - [`RENAMED_RULES`]: four rules were split (`K8s Role/Clusterrole Created` became
//!   `K8s Role Created` and `K8s ClusterRole Created`, …); a count of the old rule, absent
//!   from the rule set, is a count of the rule the trace now fires.
//! - [`RENAMED_LISTS`]: the image allow-lists were renamed (`falco_privileged_images` became
//!   `k8s_audit_privileged_images`, …); the suite's `trust_nginx_container.yaml` appends to the
//!   old names, so its items are appended to the new lists too, and an old list no earlier file
//!   defines is defined empty first (the suite's `engine_v4` rules still name the old lists).
//!
//! No case is skipped.

use std::collections::BTreeSet;
use std::path::PathBuf;

use bulwark_k8s::Node;
use bulwark_rules::{OutputOptions, Priority, RuleStatus};
use serde_json::Value as Json;

use super::adapter::AuditEvent;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/runtime");

/// The keys the suite's cases use, all handled.
const KNOWN_KEYS: &[&str] = &[
    "detect",
    "detect_level",
    "detect_counts",
    "enable_source",
    "rules_file",
    "conf_file",
    "addl_cmdline_opts",
    "stderr_contains",
];

fn tests_dir() -> String {
    format!("{SHARED}/falco-0.35.1-tests")
}

/// A rule file of the suite, mapped from Falco's build tree.
fn rule_path(name: &str) -> PathBuf {
    const FALCO: &str =
        "BUILD_DIR/falcosecurity-rules-falco-prefix/src/falcosecurity-rules-falco/falco_rules.yaml";
    const AUDIT: &str = "BUILD_DIR/k8saudit-rules-prefix/src/k8saudit-rules/k8s_audit_rules.yaml";
    PathBuf::from(match name {
        FALCO => format!("{SHARED}/falco-rules/falco_rules.yaml"),
        AUDIT => format!("{SHARED}/falco-rules/k8s_audit_rules.yaml"),
        other => match other.strip_prefix("./") {
            Some(rel) => format!("{}/{rel}", tests_dir()),
            None => panic!("unmapped rule file {other}"),
        },
    })
}

/// The events of one trace file, read as Falco's k8saudit plugin reads a file: per non-empty
/// line a JSON value, split into events; what cannot be read is logged (returned as messages)
/// and skipped.
fn read_trace(path: &str) -> (Vec<Json>, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let mut events = Vec::new();
    let mut log = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        match serde_json::from_str::<Json>(line) {
            Ok(v) => split_events(v, &mut events, &mut log),
            Err(e) => log.push(e.to_string()),
        }
    }
    (events, log)
}

/// An array of payloads, an `EventList` or an `Event`; anything else is not an audit event.
/// An event whose `stageTimestamp` does not parse is dropped, as the plugin drops it.
fn split_events(v: Json, events: &mut Vec<Json>, log: &mut Vec<String>) {
    let kind = v.get("kind").and_then(Json::as_str).map(str::to_string);
    match (v, kind.as_deref()) {
        (Json::Array(items), _) => items.into_iter().for_each(|i| split_events(i, events, log)),
        (Json::Object(mut o), Some("EventList")) if o.get("items").is_some_and(Json::is_array) => {
            if let Some(Json::Array(items)) = o.remove("items") {
                for item in items {
                    push_event(item, events, log);
                }
            }
        }
        (v, Some("Event")) => push_event(v, events, log),
        _ => log.push("data not recognized as a k8s audit event".to_string()),
    }
}

fn push_event(v: Json, events: &mut Vec<Json>, log: &mut Vec<String>) {
    if bulwark_rules::Event::time_ns(&AuditEvent::new(&v)) != 0 {
        events.push(v);
    } else {
        log.push("can't read stageTimestamp".to_string());
    }
}

fn strings(n: Option<&Node>) -> Vec<String> {
    n.map(Node::as_strings).unwrap_or_default()
}

/// The trace of `-o plugins[0].open_params=trace_files/...`.
fn trace_of(opts: &str) -> Option<String> {
    let mut words = opts.split_whitespace();
    while let Some(w) = words.next() {
        if w == "-o" {
            let v = words.next()?;
            if let Some(path) = v.strip_prefix("plugins[0].open_params=") {
                return Some(format!("{}/{path}", tests_dir()));
            }
        }
    }
    None
}

/// Rules of Falco 0.35.1's `k8s_audit_rules.yaml` that today's upstream file (the one in
/// `../shared`) splits in two, with the rule each case's trace now fires.
const RENAMED_RULES: &[(&str, &str)] = &[
    ("K8s Role/Clusterrole Created", "K8s ClusterRole Created"),
    ("K8s Role/Clusterrole Deleted", "K8s ClusterRole Deleted"),
    (
        "K8s Role/Clusterrolebinding Created",
        "K8s ClusterRoleBinding Created",
    ),
    (
        "K8s Role/Clusterrolebinding Deleted",
        "K8s ClusterRoleBinding Deleted",
    ),
];

/// Lists of Falco 0.35.1's `k8s_audit_rules.yaml` that today's upstream file renamed; the
/// suite's `trust_nginx_container.yaml` appends to the old names.
const RENAMED_LISTS: &[(&str, &str)] = &[
    (
        "falco_sensitive_mount_images",
        "k8s_audit_sensitive_mount_images",
    ),
    ("falco_privileged_images", "k8s_audit_privileged_images"),
    ("falco_hostnetwork_images", "k8s_audit_hostnetwork_images"),
];

/// What one case did.
enum Outcome {
    Pass,
    Fail(String),
}

/// Loads the case's rule files, adapting the suite's files to renamed upstream lists (noted
/// in `notes`).
fn load_case_rules(
    names: &[String],
    notes: &mut Vec<String>,
) -> Result<bulwark_rules::RuleSet, String> {
    let mut files: Vec<(String, String)> = Vec::new();
    for n in names {
        let path = rule_path(n);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        files.push((path.display().to_string(), text));
    }
    let defined = |list: &str, files: &[(String, String)]| {
        files
            .iter()
            .any(|(_, t)| t.contains(&format!("- list: {list}\n  items")))
    };
    for i in 0..files.len() {
        for (old, new) in RENAMED_LISTS {
            let Some(items) = appended_items(&files[i].1, old) else {
                continue;
            };
            if !defined(new, &files[..i]) {
                continue;
            }
            if !defined(old, &files[..i]) {
                // As in Falco 0.35.1's file, the old list exists (rules of the suite name it).
                files[i]
                    .1
                    .insert_str(0, &format!("- list: {old}\n  items: []\n\n"));
                notes.push(format!(
                    "list {old} defined (empty) before the appends to it"
                ));
            }
            files[i].1.push_str(&format!(
                "\n- list: {new}\n  items: {items}\n  append: true\n"
            ));
            notes.push(format!(
                "items appended to list {old} also appended to {new}"
            ));
        }
    }
    let refs: Vec<bulwark_rules::RuleFile<'_>> = files
        .iter()
        .map(|(name, text)| bulwark_rules::RuleFile {
            name,
            content: text.as_bytes(),
        })
        .collect();
    let loaded = bulwark_rules::load(&refs, &bulwark_rules::Limits::default());
    if let Some(e) = loaded.errors().next() {
        return Err(crate::cmd::sensor::show(e));
    }
    loaded
        .ruleset
        .ok_or_else(|| "no rule set and no error".to_string())
}

/// The items (as a YAML flow sequence) a rule file appends to list `name`.
fn appended_items(text: &str, name: &str) -> Option<String> {
    let doc = bulwark_k8s::parse_yaml(text, &bulwark_k8s::Limits::default())
        .into_iter()
        .next()?
        .ok()?;
    let item = doc.as_seq()?.iter().find(|i| {
        i.get("list").and_then(Node::as_str) == Some(name)
            && i.get("append").and_then(Node::as_bool) == Some(true)
    })?;
    Some(item.get("items")?.to_json().to_string())
}

/// Runs one case.
fn run_case(case: &Node, notes: &mut Vec<String>) -> Outcome {
    let mut fails = Vec::new();
    for e in case.as_map().unwrap_or_default() {
        if !KNOWN_KEYS.contains(&e.key.as_str()) {
            fails.push(format!("unhandled key {}", e.key));
        }
    }
    if let Some(src) = case.get("enable_source").and_then(Node::as_str)
        && src != "k8s_audit"
    {
        fails.push(format!("unhandled enable_source {src}"));
    }
    let opts = case
        .get("addl_cmdline_opts")
        .and_then(Node::as_str)
        .unwrap_or_default();
    let Some(trace) = trace_of(opts) else {
        return Outcome::Fail(format!("no trace in addl_cmdline_opts {opts:?}"));
    };
    let leftover: Vec<&str> = opts
        .split_whitespace()
        .filter(|w| *w != "-o" && !w.starts_with("plugins[0].open_params="))
        .collect();
    if !leftover.is_empty() {
        fails.push(format!("unhandled command-line options {leftover:?}"));
    }
    let rules = match load_case_rules(&strings(case.get("rules_file")), notes) {
        Ok(r) => r,
        Err(e) => return Outcome::Fail(format!("rules did not load: {e}")),
    };
    let (events, log) = read_trace(&trace);
    let opts = OutputOptions::default();
    let mut alerts = Vec::new();
    for ev in &events {
        if let Some(a) = rules.alert(&AuditEvent::new(ev), &opts) {
            alerts.push(a);
        }
    }
    let seen: Vec<(String, Priority)> = alerts
        .iter()
        .map(|a| (a.rule.clone(), a.priority))
        .collect();

    // As Falco's test runner: levels and counts are checked only when a detection is expected.
    let detect = case.get("detect").and_then(Node::as_bool).unwrap_or(false);
    if !detect && !alerts.is_empty() {
        fails.push(format!("expected no alert, got {seen:?}"));
    }
    if detect {
        if alerts.is_empty() {
            fails.push("expected an alert, got none".to_string());
        }
        for level in strings(case.get("detect_level")) {
            match Priority::parse(&level) {
                Some(p) if alerts.iter().any(|a| a.priority == p) => {}
                Some(_) => fails.push(format!("no alert at {level}: {seen:?}")),
                None => fails.push(format!("unknown detect_level {level}")),
            }
        }
        for entry in case
            .get("detect_counts")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            for e in entry.as_map().unwrap_or_default() {
                let mut rule = e.key.as_str();
                if rules.find(rule).is_none()
                    && let Some((_, new)) = RENAMED_RULES.iter().find(|(old, _)| *old == rule)
                    && rules.find(new).is_some()
                {
                    notes.push(format!("rule {rule:?} counted as {new:?}"));
                    rule = new;
                }
                let want = e.value.as_i64().unwrap_or(-1);
                let got = alerts.iter().filter(|a| a.rule == rule).count();
                if i64::try_from(got).ok() != Some(want) {
                    fails.push(format!(
                        "rule {rule:?}: expected {want} alerts, got {got} ({seen:?})"
                    ));
                }
            }
        }
    }
    if let Some(want) = case.get("stderr_contains").and_then(Node::as_str)
        && !log.iter().any(|l| l.contains(want))
    {
        fails.push(format!("the reader logged {log:?}, not {want:?}"));
    }
    if fails.is_empty() {
        Outcome::Pass
    } else {
        Outcome::Fail(fails.join("; "))
    }
}

fn suite() -> Vec<(String, Node)> {
    let path = format!("{}/falco_k8s_audit_tests.yaml", tests_dir());
    let text = std::fs::read_to_string(&path).expect("the suite file");
    let doc = bulwark_k8s::parse_yaml(&text, &bulwark_k8s::Limits::default())
        .into_iter()
        .next()
        .expect("a document")
        .expect("valid YAML");
    doc.get("trace_files")
        .and_then(Node::as_map)
        .expect("trace_files")
        .iter()
        .map(|e| (e.key.to_string(), e.value.clone()))
        .collect()
}

/// Every case of Falco's k8s-audit suite passes, none skipped; the adaptations to today's
/// upstream rule file ([`RENAMED_RULES`], [`RENAMED_LISTS`], [`MISSING_FIELD`]) are printed.
#[test]
fn falco_k8s_audit_suite() {
    let cases = suite();
    assert_eq!(cases.len(), 66, "the suite's case count");
    let (mut passed, mut failures) = (0, Vec::new());
    for (name, case) in &cases {
        let mut notes = Vec::new();
        match run_case(case, &mut notes) {
            Outcome::Pass => passed += 1,
            Outcome::Fail(why) => failures.push(format!("{name}: {why}")),
        }
        for n in notes {
            println!("{name}: adapted: {n}");
        }
    }
    println!(
        "falco_k8s_audit_tests.yaml: {} cases: {passed} pass, {} fail, 0 skipped",
        cases.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "failing cases:\n{}",
        failures.join("\n")
    );
    assert_eq!(passed, cases.len());
}

/// Falco's upstream audit rules load with every rule able to run (no rule names a field we do
/// not answer), and a pinned number of them fire across the suite's traces.
#[test]
fn upstream_audit_rules_all_run_and_fire_on_the_suite_traces() {
    let path = PathBuf::from(format!("{SHARED}/falco-rules/k8s_audit_rules.yaml"));
    let mut rules = crate::cmd::sensor::load_rules(&[path], false).expect("the rules load");
    let unsupported: Vec<&str> = rules
        .rules()
        .iter()
        .filter(|r| matches!(r.status, RuleStatus::Unsupported(_)))
        .map(|r| r.name.as_str())
        .collect();
    assert!(unsupported.is_empty(), "unsupported rules: {unsupported:?}");
    rules.set_enabled(|_| Some(true));
    assert!(
        rules
            .rules()
            .iter()
            .all(|r| r.status == RuleStatus::Enabled)
    );

    let dir = format!("{}/trace_files/k8s_audit", tests_dir());
    let mut traces: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the trace directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    traces.sort();
    let mut fired = BTreeSet::new();
    let mut matches = Vec::new();
    for t in &traces {
        let (events, _) = read_trace(&t.display().to_string());
        for ev in &events {
            matches.clear();
            rules.all_matches(&AuditEvent::new(ev), &mut matches);
            fired.extend(matches.iter().map(|id| rules.rule(*id).name.clone()));
        }
    }
    let total = rules.rules().len();
    println!(
        "{} of {total} upstream audit rules fire on the suite's traces: {fired:?}",
        fired.len()
    );
    // Pinned: 32 of the file's 48 rules match some event of the suite's 47 traces (every
    // rule enabled, every match counted, not only the first). The other 16 look for what no
    // trace holds (HostPID/HostIPC pods, port-forward, ephemeral containers, roles and role
    // bindings, secret reads, ingresses, node joins) or wait for the user to fill their
    // allow-lists (`Create Disallowed Pod`, `Full K8s Administrative Access`), or never
    // match by design (`All K8s Audit Events`, gated on `k8s_audit_never_true`).
    assert_eq!(traces.len(), 47);
    assert_eq!(total, 48);
    assert_eq!(fired.len(), PINNED_FIRED, "{fired:?}");
    assert!(fired.contains("Create Privileged Pod"));
}

/// How many upstream audit rules fire on the suite's traces (see the test).
const PINNED_FIRED: usize = 32;

/// Bulwark's built-in audit rules, on their examples (`crates/bulwark-audit/rules/examples.jsonl`):
/// each positive example fires its rule first, each negative one does not fire it, every rule
/// has both, and every rule carries its `AUnnn` id and a MITRE technique.
#[test]
fn builtin_audit_rules_fire_on_their_examples_and_not_on_their_near_misses() {
    let rules = crate::cmd::audit::load_audit_rules(&[], true).expect("the built-in rules load");
    let enabled: Vec<&bulwark_rules::Rule> = rules
        .rules()
        .iter()
        .filter(|r| r.status == RuleStatus::Enabled)
        .collect();
    assert_eq!(enabled.len(), rules.rules().len(), "every rule enabled");
    assert_eq!(enabled.len(), 14, "AU001–AU014 (AU015 and AU016 are code)");
    for r in &enabled {
        assert!(
            r.tags.iter().any(|t| t.len() == 5 && t.starts_with("AU")),
            "{}: no AU id",
            r.name
        );
        assert!(
            r.tags
                .iter()
                .any(|t| t.starts_with('T') && t[1..].chars().take(4).all(|c| c.is_ascii_digit())),
            "{}: no MITRE technique",
            r.name
        );
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../bulwark-audit/rules/examples.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("the examples");
    let mut positives = BTreeSet::new();
    let mut negatives = BTreeSet::new();
    let mut failures = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let ex: Json = serde_json::from_str(line).expect("an example is JSON");
        let rule = ex["rule"].as_str().expect("rule").to_string();
        let fires = ex["fires"].as_bool().expect("fires");
        let why = ex["why"].as_str().unwrap_or_default();
        assert!(
            enabled.iter().any(|r| r.name == rule),
            "line {}: no rule {rule:?}",
            i + 1
        );
        let got = rules
            .alert(&AuditEvent::new(&ex["event"]), &OutputOptions::default())
            .map(|a| a.rule);
        let ok = if fires {
            got.as_deref() == Some(rule.as_str())
        } else {
            got.as_deref() != Some(rule.as_str())
        };
        if !ok {
            failures.push(format!(
                "line {} ({why}): expected {rule:?} {}, got {got:?}",
                i + 1,
                if fires { "to fire" } else { "not to fire" }
            ));
        }
        if fires {
            positives.insert(rule);
        } else {
            negatives.insert(rule);
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    for r in &enabled {
        assert!(positives.contains(&r.name), "{}: no firing example", r.name);
        assert!(negatives.contains(&r.name), "{}: no near miss", r.name);
    }
}
