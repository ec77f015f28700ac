//! One fixture and one snapshot per check.
//!
//! `tests/fixtures/<ID>.yaml` holds objects named `fail-…` (the check must report each of them)
//! and `pass-…` (it must report none of them); the findings are pinned in
//! `tests/snapshots/fixtures__<ID>.snap`. Run `INSTA_UPDATE=always cargo test` (or
//! `cargo insta review`) after an intended change of messages or positions.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use bulwark_checks::{Options, Selection, all, run};
use bulwark_k8s::{Limits, Snapshot, load_bytes};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn check_fixture(id: &str) -> String {
    let path = fixture_dir().join(format!("{id}.yaml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{id}: every check needs a fixture at {}: {e}",
            path.display()
        )
    });
    let label = format!("{id}.yaml");
    let loaded = load_bytes(&label, text.as_bytes(), &Limits::default());
    assert!(
        loaded.errors.is_empty(),
        "{id}: fixture does not parse: {:?}",
        loaded.errors
    );
    let objects = loaded.objects;
    let fail: BTreeSet<String> = objects
        .iter()
        .filter(|o| o.name.starts_with("fail-"))
        .map(|o| o.name.to_string())
        .collect();
    let pass: BTreeSet<String> = objects
        .iter()
        .filter(|o| o.name.starts_with("pass-"))
        .map(|o| o.name.to_string())
        .collect();
    assert!(!fail.is_empty(), "{id}: fixture has no fail- object");
    assert!(!pass.is_empty(), "{id}: fixture has no pass- object");
    let snapshot = Snapshot::new(objects, "default");
    let selection = Selection {
        only: vec![id.to_string()],
        skip: vec![],
        ..Selection::default()
    };
    let out = run(&snapshot, &selection, &Options::default());
    let mut reported = BTreeSet::new();
    let mut rendered = String::new();
    for f in &out.findings {
        assert_eq!(f.id, id);
        let r = f.resource.as_ref().expect("check findings name a resource");
        reported.insert(r.name.to_string());
        let loc = f.location.as_ref().expect("check findings have a location");
        writeln!(
            rendered,
            "{}:{} {} {}{} [{}]\n    {}",
            loc.path,
            loc.line.unwrap_or(0),
            r.kind,
            r.name,
            r.container
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default(),
            loc.field.as_deref().unwrap_or(""),
            f.message
        )
        .expect("write to string");
    }
    for name in &fail {
        assert!(
            reported.contains(name),
            "{id}: {name} must be reported\n{rendered}"
        );
    }
    for name in &pass {
        assert!(
            !reported.contains(name),
            "{id}: {name} must not be reported\n{rendered}"
        );
    }
    rendered
}

macro_rules! fixture_tests {
    ($($test:ident => $id:literal,)*) => {
        $(
            #[test]
            fn $test() {
                insta::assert_snapshot!($id, check_fixture($id));
            }
        )*

        /// Every check has a fixture test above and every fixture file belongs to a check.
        #[test]
        fn every_check_has_a_fixture_test_and_every_fixture_a_check() {
            let tested: BTreeSet<&str> = [$($id),*].into_iter().collect();
            let checks: BTreeSet<&str> = all().iter().map(|c| c.meta().id).collect();
            assert_eq!(tested, checks, "fixture tests and registry differ");
            let files: BTreeSet<String> = std::fs::read_dir(fixture_dir())
                .expect("fixture dir")
                .map(|e| e.expect("entry").file_name().to_string_lossy().trim_end_matches(".yaml").to_string())
                .collect();
            let expected: BTreeSet<String> = checks.iter().map(|s| (*s).to_string()).collect();
            assert_eq!(files, expected, "fixture files and checks differ");
            let snaps: BTreeSet<String> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots"))
                .expect("snapshot dir")
                .filter_map(|e| {
                    let name = e.expect("entry").file_name().to_string_lossy().to_string();
                    name.strip_prefix("fixtures__").and_then(|n| n.strip_suffix(".snap")).map(str::to_string)
                })
                .collect();
            assert_eq!(snaps, expected, "unreferenced or missing snapshots");
        }
    };
}

fixture_tests! {
    k8s001 => "K8S001",
    k8s002 => "K8S002",
    k8s003 => "K8S003",
    k8s004 => "K8S004",
    k8s005 => "K8S005",
    k8s006 => "K8S006",
    k8s007 => "K8S007",
    k8s008 => "K8S008",
    k8s009 => "K8S009",
    k8s010 => "K8S010",
    k8s011 => "K8S011",
    k8s012 => "K8S012",
    k8s013 => "K8S013",
    k8s014 => "K8S014",
    k8s020 => "K8S020",
    k8s021 => "K8S021",
    k8s022 => "K8S022",
    k8s023 => "K8S023",
    k8s024 => "K8S024",
    k8s025 => "K8S025",
    k8s026 => "K8S026",
    k8s040 => "K8S040",
    k8s041 => "K8S041",
    k8s042 => "K8S042",
    k8s043 => "K8S043",
    k8s044 => "K8S044",
    k8s045 => "K8S045",
    k8s046 => "K8S046",
    k8s047 => "K8S047",
    k8s048 => "K8S048",
    k8s049 => "K8S049",
    k8s052 => "K8S052",
    k8s053 => "K8S053",
    k8s054 => "K8S054",
    k8s055 => "K8S055",
    k8s056 => "K8S056",
}
