//! Replays recorded events (tests/data/*.jsonl, in the sensor's event shape) through Falco's
//! stable rules and asserts exactly which rules fire, and what the alert looks like.

mod common;

use bulwark_rules::{Limits, OutputOptions, RuleFile, RuleSet, load};
use common::read_events;

const SHARED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/runtime/falco-rules"
);
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

fn falco_rules() -> RuleSet {
    let content = std::fs::read(format!("{SHARED}/falco_rules.yaml")).expect("falco_rules.yaml");
    let res = load(
        &[RuleFile {
            name: "falco_rules.yaml",
            content: &content,
        }],
        &Limits::default(),
    );
    assert_eq!(res.errors().count(), 0);
    res.ruleset.expect("rule set")
}

#[test]
fn recorded_events_fire_exactly_the_expected_rules() {
    let rs = falco_rules();
    let events = read_events(&format!("{DATA}/falco_rules_replay.jsonl"));
    assert_eq!(events.len(), 15);
    let mut problems = Vec::new();
    for ev in &events {
        let mut ids = Vec::new();
        rs.all_matches(ev, &mut ids);
        let fired: Vec<&str> = ids.iter().map(|id| rs.rule(*id).name.as_str()).collect();
        if fired != ev.expect {
            problems.push(format!(
                "{}: expected {:?}, fired {:?}",
                ev.comment, ev.expect, fired
            ));
        }
        // first_match agrees with all_matches.
        assert_eq!(rs.first_match(ev), ids.first().copied(), "{}", ev.comment);
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn terminal_shell_alert_is_falcos_json() {
    let rs = falco_rules();
    let events = read_events(&format!("{DATA}/falco_rules_replay.jsonl"));
    let opts = OutputOptions {
        hostname: "node-1".into(),
        time_format_iso_8601: false,
    };
    let alert = rs.alert(&events[0], &opts).expect("an alert");
    assert_eq!(alert.rule, "Terminal shell in container");
    assert_eq!(alert.time, "2025-11-26T23:33:20.000000000Z");
    assert_eq!(
        alert.output,
        "23:33:20.000000000: Notice A shell was spawned in a container with an attached terminal | evt_type=execve user=root user_uid=0 user_loginuid=-1 process=bash proc_exepath=/bin/bash parent=runc command=bash terminal=34816 exe_flags=0"
    );
    let json = serde_json::to_value(&alert).expect("json");
    assert_eq!(json["priority"], "Notice");
    assert_eq!(json["source"], "syscall");
    assert_eq!(json["hostname"], "node-1");
    assert_eq!(json["output_fields"]["proc.tty"], 34816);
    assert_eq!(
        json["output_fields"]["evt.time"],
        1_764_200_000_000_000_000_u64
    );
    assert_eq!(json["output_fields"]["evt.arg.flags"], "0");
    assert_eq!(
        json["tags"],
        serde_json::json!([
            "T1059",
            "container",
            "maturity_stable",
            "mitre_execution",
            "shell"
        ])
    );
    let keys: Vec<&String> = json.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        [
            "hostname",
            "output",
            "output_fields",
            "priority",
            "rule",
            "source",
            "tags",
            "time"
        ]
    );
}

#[test]
fn producers_learn_which_fields_and_event_types_the_rules_need() {
    use bulwark_rules::{EventTypeId, Field};
    let rs = falco_rules();
    let fields = rs.fields_used();
    for f in [
        Field::ProcName,
        Field::ProcAname,
        Field::FdName,
        Field::ProcIsExeUpperLayer,
        Field::EvtArg,
    ] {
        assert!(fields.contains(&f), "{f}");
    }
    assert!(!fields.contains(&Field::KaVerb));
    let types = rs
        .event_types_used()
        .expect("every stable rule names its event types");
    for t in [
        "execve",
        "openat",
        "connect",
        "ptrace",
        "finit_module",
        "dup2",
        "symlinkat",
    ] {
        assert!(
            types.contains(&EventTypeId::from_name(t).expect("known")),
            "{t}"
        );
    }
    assert!(!types.contains(&EventTypeId::from_name("read").expect("known")));
    let shell = rs.rule(rs.find("Terminal shell in container").expect("rule"));
    assert!(shell.condition_fields().contains(&Field::ProcTty));
}
