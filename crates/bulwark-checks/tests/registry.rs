//! The registry's invariants, and every check's own examples.

use std::collections::HashSet;

use bulwark_checks::{Options, Selection, all, find, run};
use bulwark_k8s::{Limits, Snapshot, load_bytes};

fn findings_of(id: &str, yaml: &str) -> Vec<String> {
    let loaded = load_bytes("example.yaml", yaml.as_bytes(), &Limits::default());
    assert!(
        loaded.errors.is_empty(),
        "{id}: example does not parse: {:?}",
        loaded.errors
    );
    assert!(!loaded.objects.is_empty(), "{id}: example holds no object");
    let snapshot = Snapshot::new(loaded.objects, "default");
    let selection = Selection {
        only: vec![id.to_string()],
        skip: vec![],
        ..Selection::default()
    };
    run(&snapshot, &selection, &Options::default())
        .findings
        .into_iter()
        .map(|f| f.message)
        .collect()
}

#[test]
fn ids_and_names_are_unique_and_well_formed() {
    let mut ids = HashSet::new();
    let mut names = HashSet::new();
    let mut previous = "";
    for check in all() {
        let m = check.meta();
        assert!(ids.insert(m.id), "duplicate id {}", m.id);
        assert!(names.insert(m.name), "duplicate name {}", m.name);
        assert!(
            m.id.len() == 6
                && m.id.starts_with("K8S")
                && m.id[3..].bytes().all(|b| b.is_ascii_digit()),
            "id {} is not K8Snnn",
            m.id
        );
        assert!(m.id > previous, "{} is out of order after {previous}", m.id);
        previous = m.id;
        assert!(
            m.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "name {} is not a slug",
            m.name
        );
        for (field, text) in [
            ("title", m.title),
            ("what", m.what),
            ("why", m.why),
            ("fix", m.fix),
            ("peers", m.peers),
        ] {
            assert!(!text.trim().is_empty(), "{}: empty {field}", m.id);
        }
        assert!(!m.references.is_empty(), "{}: no references", m.id);
        for s in m.standards {
            let (family, control) = s.split_once('/').expect("standard is family/control");
            assert!(
                ["pss-baseline", "pss-restricted", "cis-k8s", "nsa-cisa"].contains(&family),
                "{}: unknown standard family in {s}",
                m.id
            );
            assert!(!control.is_empty(), "{}: empty control in {s}", m.id);
        }
        assert_eq!(find(m.id).map(|c| c.meta().id), Some(m.id));
        assert_eq!(find(m.name).map(|c| c.meta().id), Some(m.id));
        assert_eq!(
            find(&m.id.to_ascii_lowercase()).map(|c| c.meta().id),
            Some(m.id)
        );
    }
}

#[test]
fn pss_controls_use_the_official_slugs() {
    let baseline = [
        "host-process",
        "host-namespaces",
        "privileged-containers",
        "capabilities",
        "hostpath-volumes",
        "host-ports",
        "apparmor",
        "selinux",
        "proc-mount-type",
        "seccomp",
        "sysctls",
        "host-probes-lifecycle-hooks",
    ];
    let restricted = [
        "volume-types",
        "privilege-escalation",
        "running-as-non-root",
        "running-as-non-root-user",
        "seccomp",
        "capabilities",
    ];
    let mut covered = HashSet::new();
    for check in all() {
        for s in check.meta().standards {
            if let Some(c) = s.strip_prefix("pss-baseline/") {
                assert!(
                    baseline.contains(&c),
                    "{}: {s} is not a baseline control",
                    check.meta().id
                );
                covered.insert(*s);
            }
            if let Some(c) = s.strip_prefix("pss-restricted/") {
                assert!(
                    restricted.contains(&c),
                    "{}: {s} is not a restricted control",
                    check.meta().id
                );
                covered.insert(*s);
            }
        }
    }
    for c in baseline {
        assert!(
            covered.contains(format!("pss-baseline/{c}").as_str()),
            "no check for pss-baseline/{c}"
        );
    }
    for c in restricted {
        assert!(
            covered.contains(format!("pss-restricted/{c}").as_str()),
            "no check for pss-restricted/{c}"
        );
    }
}

#[test]
fn every_example_fails_and_every_fixed_example_passes() {
    for check in all() {
        let m = check.meta();
        let bad = findings_of(m.id, m.example);
        assert!(!bad.is_empty(), "{}: its example produces no finding", m.id);
        let good = findings_of(m.id, m.fixed_example);
        assert!(
            good.is_empty(),
            "{}: its fixed example still fails: {good:?}",
            m.id
        );
    }
}

#[test]
fn unknown_selection_entries_are_named() {
    let s = Selection {
        only: vec!["K8S005".into(), "privileged".into()],
        skip: vec!["host-pid".into(), "K8S999".into()],
        ..Selection::default()
    };
    assert_eq!(s.unknown(), ["privileged", "K8S999"]);
}
