//! End-to-end tests of `bulwark reach` and of the network scanner: the real binary on the
//! conformance suite's manifests (read in place from ../shared) and on small fixtures.

use std::path::PathBuf;
use std::process::Command;

mod common;

use common::{json, run, shared_with, stderr};

fn bulwark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bulwark"))
}

fn case(name: &str) -> PathBuf {
    shared_with("k8s/netpol-conformance")
        .join("k8s/netpol-conformance/tests")
        .join(name)
}

fn expected(name: &str, ext: &str) -> String {
    std::fs::read_to_string(
        shared_with("k8s/netpol-conformance")
            .join("k8s/netpol-conformance/expected")
            .join(format!("{name}_connlist_output.{ext}")),
    )
    .unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn connlist_output_equals_the_conformance_suite_for_an_admin_policy_case() {
    let out = run(bulwark()
        .args(["reach", "-f", "connlist"])
        .arg(case("anp_banp_blog_demo")));
    assert!(out.status.success(), "{}", stderr(&out));
    let want = expected("anp_banp_blog_demo", "txt");
    let want: Vec<&str> = want.lines().filter(|l| !l.is_empty()).collect();
    let got = stdout(&out);
    let got: Vec<&str> = got.lines().collect();
    assert_eq!(got, want);
}

#[test]
fn json_output_equals_the_peers_json() {
    let out = run(bulwark()
        .args(["reach", "-f", "json"])
        .arg(case("acs-security-demos")));
    assert!(out.status.success(), "{}", stderr(&out));
    let want: serde_json::Value =
        serde_json::from_str(&expected("acs-security-demos", "json")).unwrap();
    assert_eq!(json(&out), want);
}

#[test]
fn filters_select_sources_destinations_and_ports() {
    let dir = case("acs-security-demos");
    let all = stdout(&run(bulwark().args(["reach", "-f", "connlist"]).arg(&dir)));
    let out = run(bulwark()
        .args([
            "reach",
            "-f",
            "connlist",
            "--from",
            "backend/*",
            "--to",
            "backend/catalog",
            "--port",
            "8080",
        ])
        .arg(&dir));
    assert!(out.status.success(), "{}", stderr(&out));
    let got = stdout(&out);
    let want: Vec<&str> = all
        .lines()
        .filter(|l| {
            l.starts_with("backend/") && l.contains("=> backend/catalog[") && l.contains("8080")
        })
        .collect();
    assert_eq!(
        want.len(),
        2,
        "the case has two backend => backend/catalog on 8080:\n{all}"
    );
    assert_eq!(got.lines().collect::<Vec<_>>(), want);
    // An address outside the cluster selects the external range holding it.
    let ipblocks = case("ipblockstest_2");
    let ext = stdout(&run(bulwark()
        .args(["reach", "-f", "connlist", "--from", "10.1.2.3"])
        .arg(&ipblocks)));
    assert!(
        !ext.is_empty(),
        "addresses outside the cluster reach unisolated workloads"
    );
    assert!(
        ext.lines()
            .all(|l| l.starts_with("10.0.0.0-10.255.255.255[External] =>")),
        "{ext}"
    );
    let ingress = stdout(&run(bulwark()
        .args(["reach", "-f", "connlist", "--from", "ingress-controller"])
        .arg(&dir)));
    assert!(
        ingress
            .lines()
            .all(|l| l.starts_with("{ingress-controller} => "))
            && !ingress.is_empty()
    );
}

#[test]
fn explain_names_the_policy_rule_that_allows_a_connection() {
    let out = run(bulwark()
        .args([
            "reach",
            "-f",
            "json",
            "--explain",
            "--to",
            "backend/catalog",
            "--from",
            "backend/reports",
        ])
        .arg(case("acs-security-demos")));
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = json(&out);
    let why = rows[0]["why"].as_array().expect("why");
    assert!(
        why.iter().any(
            |w| w.as_str().unwrap().starts_with("NetworkPolicy backend/")
                && w.as_str().unwrap().contains("ingress rule")
        ),
        "{why:?}"
    );
}

#[test]
fn dot_and_mermaid_draw_every_connection() {
    let dir = case("minimal_test_in_ns");
    let lines = stdout(&run(bulwark().args(["reach", "-f", "connlist"]).arg(&dir)))
        .lines()
        .count();
    let dot = stdout(&run(bulwark().args(["reach", "-f", "dot"]).arg(&dir)));
    assert!(
        dot.starts_with("digraph {") && dot.contains("subgraph \"cluster_hello-world\""),
        "{dot}"
    );
    assert_eq!(dot.matches(" -> ").count(), lines);
    let mermaid = stdout(&run(bulwark().args(["reach", "-f", "mermaid"]).arg(&dir)));
    assert!(mermaid.starts_with("flowchart LR"));
    assert_eq!(mermaid.matches(" -->|").count(), lines);
}

#[test]
fn a_broken_manifest_is_an_error_with_file_and_line_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a\nspec: {}\n",
    )
    .unwrap();
    let out = run(bulwark().args(["reach", "-f", "connlist"]).arg(dir.path()));
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "nothing printed as if complete");
    let err = stderr(&out);
    assert!(err.contains("bad.yaml:"), "{err}");
    let bad_peer = run(bulwark()
        .args(["reach", "--from", "nonsense"])
        .arg(dir.path()));
    assert!(!bad_peer.status.success());
    assert!(
        stderr(&bad_peer).contains("not a peer"),
        "{}",
        stderr(&bad_peer)
    );
}

#[test]
fn invalid_policy_parts_are_warnings_with_a_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("np.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: s}\nspec: {containers: [{name: c, image: x}]}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: s}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/40}\n",
    )
    .unwrap();
    let out = run(bulwark().args(["reach", "-f", "connlist"]).arg(dir.path()));
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("np.yaml:13") && err.contains("10.0.0.0/40"),
        "{err}"
    );
    // The broken peer is dropped, not widened: the rule admits nobody.
    assert!(!stdout(&out).contains("=> s/a[Pod]"), "{}", stdout(&out));
}

#[test]
fn the_network_scanner_reports_a_namespace_left_open_by_a_policy_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: ns1, labels: {app: x}}\nspec: {containers: [{name: c, image: x}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: other, labels: {app: x}}\nspec: {containers: [{name: c, image: x}]}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: other}\nspec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n",
    )
    .unwrap();
    let out = run(bulwark()
        .args(["scan", "--scanners", "network", "-f", "json"])
        .arg(dir.path()));
    let report = json(&out);
    let ids: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let net001: Vec<_> = ids.iter().filter(|(i, _)| i == "NET001").collect();
    assert_eq!(net001.len(), 1, "{ids:?}");
    assert!(net001[0].1.starts_with("namespace ns1:"), "{ids:?}");
    assert!(
        ids.iter().all(|(i, _)| i.starts_with("NET")),
        "only the network scanner ran: {ids:?}"
    );
    // --skip takes an analysis check's id.
    let skipped = json(&run(bulwark()
        .args([
            "scan",
            "--scanners",
            "network",
            "--skip",
            "NET001,NET004",
            "-f",
            "json",
        ])
        .arg(dir.path())));
    assert!(
        skipped["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["id"] != "NET001" && f["id"] != "NET004")
    );
}

#[test]
fn reach_marks_each_connection_with_the_meshs_transport_and_authorization() {
    // shop is injected and STRICT; only the frontend's service account may call the api.
    // legacy is outside the mesh: its connection to the api is allowed by NetworkPolicy (none
    // here) but refused by the mesh (STRICT needs mTLS).
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mesh.yaml"),
        r"apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: legacy}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend, namespace: shop}
spec:
  selector: {matchLabels: {app: frontend}}
  template:
    metadata: {labels: {app: frontend}}
    spec:
      serviceAccountName: frontend
      containers: [{name: c, image: x, ports: [{containerPort: 8080}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      serviceAccountName: api
      containers: [{name: c, image: x, ports: [{containerPort: 9000}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: old, namespace: legacy}
spec:
  selector: {matchLabels: {app: old}}
  template:
    metadata: {labels: {app: old}}
    spec:
      containers: [{name: c, image: x}]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: shop}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  action: ALLOW
  rules:
  - from: [{source: {principals: [cluster.local/ns/shop/sa/frontend]}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - ports: [{port: 9000}]
",
    )
    .unwrap();
    let out = run(bulwark()
        .args(["reach", "-f", "json", "--to", "shop/api"])
        .arg(dir.path()));
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = json(&out);
    let row = |src: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["src"] == src)
            .unwrap_or_else(|| panic!("no row from {src}: {rows:#}"))
            .clone()
    };
    let fe = row("shop/frontend[Deployment]");
    assert_eq!(fe["conn"], "TCP 9000");
    assert_eq!(fe["mesh"]["transport"], "mTLS", "{fe:#}");
    assert_eq!(fe["mesh"]["authorization"], "allow", "{fe:#}");
    let old = row("legacy/old[Deployment]");
    assert_eq!(old["mesh"]["transport"], "plaintext", "{old:#}");
    assert_eq!(
        old["mesh"]["authorization"], "deny",
        "STRICT refuses plaintext: {old:#}"
    );
    // The table shows the same two columns.
    let table = stdout(&run(bulwark()
        .args(["reach", "--to", "shop/api"])
        .arg(dir.path())));
    assert!(
        table.lines().next().unwrap().contains("MESH AUTHZ"),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("shop/frontend") && l.contains("mTLS") && l.contains("allow")),
        "{table}"
    );
}

#[test]
fn the_summary_counts_the_listed_pairs() {
    let dir = case("acs-security-demos");
    let list = stdout(&run(bulwark().args(["reach", "-f", "connlist"]).arg(&dir)));
    let pairs = list
        .lines()
        .filter(|l| !l.contains("[External]") && !l.starts_with('{'))
        .count();
    let summary = json(&run(bulwark().args(["reach", "-f", "summary"]).arg(&dir)));
    assert_eq!(summary["pod_pairs"], pairs);
    assert!(summary["classes"].as_u64().unwrap() <= summary["workloads"].as_u64().unwrap());
    let out = run(bulwark()
        .args(["reach", "-f", "summary", "--from", "backend/*"])
        .arg(&dir));
    assert!(!out.status.success(), "filters do not apply to a summary");
}
