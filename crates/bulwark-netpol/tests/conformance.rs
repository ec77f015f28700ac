//! The connectivity-list conformance suite of a peer analyzer (np-guard/netpol-analyzer, in
//! `../shared/k8s/netpol-conformance`): for every case, the `connlist` output must equal the
//! expected list line for line. Cases outside the analysis are listed in [`SKIPPED`] with the
//! reason; everything else must pass.

use std::path::{Path, PathBuf};

use bulwark_k8s::{Limits, Snapshot, load_bytes};
use bulwark_netpol::{Network, render};

/// Cases about features outside Kubernetes' own network model, and why.
const SKIPPED: &[(&str, &str)] = &[
    (
        "cudn_test_1",
        "OVN-Kubernetes ClusterUserDefinedNetworks (OpenShift primary UDNs): not Kubernetes NetworkPolicy semantics",
    ),
    ("cudn_test_2", "OVN-Kubernetes ClusterUserDefinedNetworks"),
    ("cudn_test_5", "OVN-Kubernetes ClusterUserDefinedNetworks"),
    ("cudn_test_6", "OVN-Kubernetes ClusterUserDefinedNetworks"),
    (
        "nad_test_1",
        "Multus NetworkAttachmentDefinitions and MultiNetworkPolicy (secondary networks)",
    ),
    (
        "nad_test_2",
        "Multus NetworkAttachmentDefinitions and MultiNetworkPolicy",
    ),
    (
        "nad_test_3",
        "Multus NetworkAttachmentDefinitions and MultiNetworkPolicy",
    ),
    (
        "nad_test_14",
        "Multus NetworkAttachmentDefinitions and MultiNetworkPolicy",
    ),
    (
        "nad_test_17",
        "Multus NetworkAttachmentDefinitions and MultiNetworkPolicy",
    ),
    (
        "udn_and_vms_test_1",
        "OVN-Kubernetes UserDefinedNetworks and KubeVirt VirtualMachines",
    ),
    (
        "udn_and_vms_test_3",
        "OVN-Kubernetes UserDefinedNetworks and KubeVirt VirtualMachines",
    ),
    (
        "udn_and_vms_test_5",
        "OVN-Kubernetes UserDefinedNetworks and KubeVirt VirtualMachines",
    ),
    ("udn_test_1", "OVN-Kubernetes UserDefinedNetworks"),
    ("udn_test_2", "OVN-Kubernetes UserDefinedNetworks"),
    ("udn_test_4", "OVN-Kubernetes UserDefinedNetworks"),
    (
        "udn_with_ingress_controller",
        "OVN-Kubernetes UserDefinedNetworks",
    ),
];

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/k8s/netpol-conformance")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| ["yaml", "yml", "json"].contains(&e))
        {
            out.push(p);
        }
    }
}

/// The connectivity lines of one case directory.
fn case_lines(dir: &Path) -> Vec<render::Line> {
    let mut paths = Vec::new();
    files(dir, &mut paths);
    let mut objects = Vec::new();
    for p in paths {
        let bytes = std::fs::read(&p).unwrap();
        let loaded = load_bytes(&p.display().to_string(), &bytes, &Limits::default());
        objects.extend(loaded.objects);
    }
    let snapshot = Snapshot::new(objects, "default");
    let net = Network::build(&snapshot);
    let conns = net.connections();
    render::lines(&net, &conns)
}

/// The connectivity list of one case directory.
fn connlist(dir: &Path) -> String {
    render::connlist(&case_lines(dir))
}

#[test]
fn json_lists_equal_the_peers_json_twins() {
    let root = suite();
    let mut compared = 0;
    for entry in std::fs::read_dir(root.join("expected")).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let Some(name) = file.strip_suffix("_connlist_output.json") else {
            continue;
        };
        if SKIPPED.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let got = serde_json::to_value(case_lines(&root.join("tests").join(name))).unwrap();
        assert_eq!(got, expected, "{name}");
        compared += 1;
    }
    assert_eq!(compared, 26, "JSON twins compared: the suite changed");
}

#[test]
fn every_conformance_case_matches_its_expected_list() {
    let root = suite();
    assert!(
        root.exists(),
        "the conformance suite is missing at {}: CI has ../shared next to the repository",
        root.display()
    );
    let mut names: Vec<String> = std::fs::read_dir(root.join("tests"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(names.len(), 86, "the suite changed: review SKIPPED");
    let mut failures = Vec::new();
    let mut passed = 0;
    for name in &names {
        if SKIPPED.iter().any(|(n, _)| n == name) {
            continue;
        }
        let expected = std::fs::read_to_string(
            root.join("expected")
                .join(format!("{name}_connlist_output.txt")),
        )
        .unwrap();
        let got = connlist(&root.join("tests").join(name));
        // The peer appends a workload-to-network mapping for KubeVirt cases; with only the pod
        // network in play it carries no connectivity, and the lists before it must match.
        let norm = |s: &str| {
            s.lines()
                .take_while(|l| !l.starts_with("Workload-to-Networks Mapping"))
                .map(str::trim_end)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        let (e, g) = (norm(&expected), norm(&got));
        if e == g {
            passed += 1;
        } else {
            let missing: Vec<_> = e.iter().filter(|l| !g.contains(l)).take(5).collect();
            let extra: Vec<_> = g.iter().filter(|l| !e.contains(l)).take(5).collect();
            failures.push(format!(
                "{name}: expected {} lines, got {}\n  missing: {missing:#?}\n  extra: {extra:#?}",
                e.len(),
                g.len()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ (passed {passed}):\n{}",
        failures.len(),
        names.len() - SKIPPED.len(),
        failures.join("\n")
    );
    assert_eq!(passed, names.len() - SKIPPED.len());
}
