//! Other scanners' labelled fixtures as an oracle, where their meaning matches ours.
//!
//! `tests/peer-oracle.yaml` lists, per check, the peer fixtures (under
//! `../shared/k8s/peer-fixtures`, read in place) whose label holds under the check's meaning,
//! and the ones excluded with the reason. Each fixture file is scanned on its own.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bulwark_checks::{Options, Selection, find, run};
use bulwark_k8s::{Limits, Node, Snapshot, load_bytes, parse_yaml};

fn fixtures_root() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/k8s/peer-fixtures");
    assert!(
        p.is_dir(),
        "the peer oracle reads ../shared/k8s/peer-fixtures (the project's shared test data), which is missing at {}",
        p.display()
    );
    p
}

struct Case {
    check: String,
    peer: String,
    file: String,
    fail: bool,
    objects: Vec<String>,
}

fn str_of<'a>(n: &'a Node, key: &str, ctx: &str) -> &'a str {
    n.get(key)
        .and_then(Node::as_str)
        .unwrap_or_else(|| panic!("{ctx}: `{key}` missing"))
}

fn cases() -> (Vec<Case>, usize) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peer-oracle.yaml");
    let text = std::fs::read_to_string(&path).expect("oracle file");
    let docs = parse_yaml(&text, &Limits::default());
    let root = docs
        .into_iter()
        .next()
        .expect("one document")
        .expect("oracle parses");
    let mut out = Vec::new();
    let mut excluded = 0;
    for entry in root.as_seq().expect("a list of entries") {
        let ctx = format!("oracle entry at line {}", entry.pos.line);
        let check = str_of(entry, "check", &ctx).to_string();
        assert!(find(&check).is_some(), "{ctx}: {check} is not a check");
        let peer = str_of(entry, "peer", &ctx).to_string();
        assert!(
            !str_of(entry, "meaning", &ctx).is_empty(),
            "{ctx}: meaning is required"
        );
        for case in entry.get("cases").and_then(Node::as_seq).unwrap_or(&[]) {
            let ctx = format!("case at line {}", case.pos.line);
            let expect = str_of(case, "expect", &ctx);
            assert!(
                expect == "fail" || expect == "pass",
                "{ctx}: expect is fail or pass"
            );
            out.push(Case {
                check: check.clone(),
                peer: peer.clone(),
                file: str_of(case, "file", &ctx).to_string(),
                fail: expect == "fail",
                objects: case
                    .get("objects")
                    .and_then(Node::as_seq)
                    .unwrap_or(&[])
                    .iter()
                    .map(|o| o.as_str().expect("object is kind/name").to_string())
                    .collect(),
            });
        }
        for ex in entry.get("excluded").and_then(Node::as_seq).unwrap_or(&[]) {
            let ctx = format!("exclusion at line {}", ex.pos.line);
            assert!(
                !str_of(ex, "why", &ctx).is_empty(),
                "{ctx}: every exclusion says why"
            );
            excluded += 1;
        }
    }
    (out, excluded)
}

#[test]
fn peer_fixtures_agree_where_the_meaning_matches() {
    let root = fixtures_root();
    let (cases, excluded) = cases();
    assert!(cases.len() > 200, "the oracle lost cases: {}", cases.len());
    let mut failures = Vec::new();
    let mut checks_covered = BTreeSet::new();
    for case in &cases {
        let path = root.join(&case.file);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let loaded = load_bytes(&case.file, &bytes, &Limits::default());
        if !loaded.errors.is_empty() {
            failures.push(format!("{} does not load: {:?}", case.file, loaded.errors));
            continue;
        }
        let known: BTreeSet<String> = loaded
            .objects
            .iter()
            .map(|o| format!("{}/{}", o.kind, o.name))
            .collect();
        for o in &case.objects {
            assert!(
                known.contains(o),
                "{}: no object {o} (has {known:?})",
                case.file
            );
        }
        let snapshot = Snapshot::new(loaded.objects, "default");
        let selection = Selection {
            only: vec![case.check.clone()],
            skip: vec![],
            ..Selection::default()
        };
        let reported: BTreeSet<String> = run(&snapshot, &selection, &Options::default())
            .findings
            .into_iter()
            .filter_map(|f| f.resource.map(|r| format!("{}/{}", r.kind, r.name)))
            .collect();
        let verdict = if case.objects.is_empty() {
            if case.fail {
                (!reported.is_empty())
                    .then_some(())
                    .ok_or("no finding".to_string())
            } else if reported.is_empty() {
                Ok(())
            } else {
                Err(format!("unexpected findings on {reported:?}"))
            }
        } else {
            let wrong: Vec<&String> = case
                .objects
                .iter()
                .filter(|o| reported.contains(*o) != case.fail)
                .collect();
            if wrong.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "{} {wrong:?}",
                    if case.fail {
                        "not reported:"
                    } else {
                        "reported:"
                    }
                ))
            }
        };
        match verdict {
            Ok(()) => {
                checks_covered.insert(case.check.clone());
            }
            Err(why) => failures.push(format!(
                "{} on {} (peer {}, expect {}): {why}",
                case.check,
                case.file,
                case.peer,
                if case.fail { "fail" } else { "pass" }
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} oracle cases disagree:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    eprintln!(
        "peer oracle: {} cases over {} checks agree; {excluded} fixtures excluded with reasons",
        cases.len(),
        checks_covered.len()
    );
}
