//! `cargo xtask bench-cluster`: reachability and RBAC analysis of a generated cluster, against
//! the target (5,000 pods in 100 namespaces, 1,000 NetworkPolicies, 500 RBAC bindings:
//! under 2 s and 1 GB).
//!
//! [`generate`] writes the cluster (deterministic: the same files every run) to
//! `target/bench-cluster/`. The release binary then runs `bulwark scan DIR --scanners
//! network,rbac -f json`: loading, building the network, evaluating every pair of pod classes
//! for the findings, and every subject's effective permissions. Best wall time of N runs and the
//! largest peak RSS, from GNU time. `bulwark reach DIR -f summary` evaluates every pair of
//! workloads (and every address range) without listing them: the full reachability analysis.
//! `bulwark reach` over one namespace's sources is timed too, to show the cost of listing
//! connections (the full list of this cluster has millions of lines, which no one reads). The Markdown section replaces its own in docs/BENCHMARKS.md.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::Context as _;

use crate::measure::{self, Measure};
use crate::run as run_cmd;

const HEADING: &str = "## Cluster analysis (`cargo xtask bench-cluster`)";

/// The cluster's shape, from the issue.
pub(crate) const NAMESPACES: usize = 100;
const PODS_PER_NAMESPACE: usize = 50;
const POLICIES_PER_NAMESPACE: usize = 10;
const BINDINGS_PER_NAMESPACE: usize = 5;

const TARGET_S: f64 = 2.0;
const TARGET_MB: f64 = 1024.0;

const TIERS: [&str; 5] = ["web", "api", "db", "cache", "worker"];

/// Writes the generated cluster under `dir`, one file per namespace; returns the counts
/// (pods, policies, bindings).
pub(crate) fn generate(dir: &Path) -> anyhow::Result<(usize, usize, usize)> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let (mut pods, mut policies, mut bindings) = (0, 0, 0);
    for n in 0..NAMESPACES {
        let ns = format!("team-{n:03}");
        let mut y = String::new();
        let _ = write!(
            y,
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels: {{team: t{}, env: {}}}\n---\n",
            n % 10,
            if n % 3 == 0 { "prod" } else { "dev" }
        );
        for p in 0..PODS_PER_NAMESPACE {
            let tier = TIERS[p % TIERS.len()];
            let _ = write!(
                y,
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: svc-{p:02}, namespace: {ns}}}\nspec:\n  selector: {{matchLabels: {{app: svc-{p:02}}}}}\n  template:\n    metadata:\n      labels: {{app: svc-{p:02}, tier: {tier}, version: v{}}}\n    spec:\n      serviceAccountName: sa-{}\n      containers:\n      - name: main\n        image: registry.example.com/{ns}/svc-{p:02}:1.{p}\n        ports:\n        - {{name: http, containerPort: {}}}\n        - {{name: metrics, containerPort: 9090}}\n---\n",
                p % 3,
                p % 5,
                8000 + p % 7
            );
            pods += 1;
        }
        for s in 0..5 {
            let _ = write!(
                y,
                "apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: sa-{s}, namespace: {ns}}}\n---\n"
            );
        }
        // Ten policies per namespace: a default deny, tier-to-tier flows, monitoring from a
        // labelled namespace, DNS and internet egress, and two per-app rules.
        let policy = |name: &str, body: &str| {
            format!(
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n{body}---\n"
            )
        };
        y.push_str(&policy(
            "default-deny",
            "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n",
        ));
        y.push_str(&policy("web-from-ingress", "  podSelector: {matchLabels: {tier: web}}\n  ingress:\n  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: team-000}}}]\n    ports: [{port: http}]\n"));
        y.push_str(&policy("api-from-web", "  podSelector: {matchLabels: {tier: api}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {tier: web}}}]\n    ports: [{port: http}]\n"));
        y.push_str(&policy("db-from-api", "  podSelector: {matchLabels: {tier: db}}\n  ingress:\n  - from: [{podSelector: {matchExpressions: [{key: tier, operator: In, values: [api, worker]}]}}]\n    ports: [{port: 5432}, {port: 6000, endPort: 6010}]\n"));
        y.push_str(&policy("cache-from-all-tiers", "  podSelector: {matchLabels: {tier: cache}}\n  ingress:\n  - from: [{podSelector: {matchExpressions: [{key: tier, operator: NotIn, values: [db]}]}}]\n"));
        y.push_str(&policy("metrics", "  podSelector: {}\n  ingress:\n  - from: [{namespaceSelector: {matchLabels: {team: t0}}, podSelector: {matchLabels: {tier: worker}}}]\n    ports: [{port: metrics}]\n"));
        y.push_str(&policy("dns", "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}]\n    ports: [{port: 53, protocol: UDP}, {port: 53}]\n"));
        y.push_str(&policy("internet", "  podSelector: {matchLabels: {tier: worker}}\n  policyTypes: [Egress]\n  egress:\n  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 169.254.169.254/32]}}]\n    ports: [{port: 443}]\n"));
        y.push_str(&policy(
            "in-namespace",
            "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to: [{podSelector: {}}]\n",
        ));
        let _ = n;
        y.push_str(&policy(
            &format!("svc-{:02}-special", n % PODS_PER_NAMESPACE),
            &format!(
                "  podSelector: {{matchLabels: {{app: svc-{:02}}}}}\n  ingress:\n  - from: [{{namespaceSelector: {{matchLabels: {{env: prod}}}}}}]\n    ports: [{{port: 8443}}]\n",
                n % PODS_PER_NAMESPACE
            ),
        ));
        policies += POLICIES_PER_NAMESPACE;
        // RBAC: a Role per namespace and five bindings (one in ten of them risky).
        let _ = write!(
            y,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: app, namespace: {ns}}}\nrules:\n- apiGroups: [\"\"]\n  resources: [configmaps, services]\n  verbs: [get, list, watch]\n- apiGroups: [\"\"]\n  resources: [secrets]\n  resourceNames: [app-config]\n  verbs: [get]\n---\n"
        );
        for b in 0..BINDINGS_PER_NAMESPACE {
            let (kind, role) = match (n + b) % 10 {
                0 => ("ClusterRole", "edit"),
                1 => ("ClusterRole", "view"),
                _ => ("Role", "app"),
            };
            let _ = write!(
                y,
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: bind-{b}, namespace: {ns}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {kind}, name: {role}}}\nsubjects:\n- {{kind: ServiceAccount, name: sa-{b}, namespace: {ns}}}\n- {{kind: Group, name: team-{}}}\n---\n",
                n % 10
            );
            bindings += 1;
        }
        std::fs::write(dir.join(format!("{ns}.yaml")), y)
            .with_context(|| format!("writing {ns}.yaml"))?;
    }
    Ok((pods, policies, bindings))
}

fn best(runs: &[Measure]) -> (f64, f64) {
    let wall = runs.iter().map(|m| m.wall).fold(f64::INFINITY, f64::min);
    let rss = runs.iter().map(|m| m.rss_mb).fold(0.0, f64::max);
    (wall, rss)
}

pub fn run(root: &Path, runs: u64) -> anyhow::Result<()> {
    let dir = root.join("target/bench-cluster");
    let manifests = dir.join("manifests");
    let _ = std::fs::remove_dir_all(&manifests);
    let (pods, policies, bindings) = generate(&manifests)?;
    run_cmd(crate::cargo().args(["build", "--release", "--locked", "-p", "bulwark"]))?;
    let bulwark = root.join("target/release/bulwark");
    let times = dir.join("time.txt");
    let out = dir.join("out.json");
    let mut scan = Command::new(&bulwark);
    scan.arg("scan")
        .arg(&manifests)
        .args(["--scanners", "network,rbac", "-f", "json", "-o"])
        .arg(&out);
    let mut scan_runs = Vec::new();
    for _ in 0..runs.max(1) {
        scan_runs.push(measure::timed(&scan, &times, |c| c == 0 || c == 1)?);
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).context("reading the scan's report")?)
            .context("parsing the scan's report")?;
    let findings = report["findings"].as_array().map_or(0, Vec::len);
    let mut full = Command::new(&bulwark);
    full.arg("reach")
        .arg(&manifests)
        .args(["-f", "summary", "-o"])
        .arg(dir.join("summary.json"));
    let mut full_runs = Vec::new();
    for _ in 0..runs.max(1) {
        full_runs.push(measure::timed(&full, &times, |c| c == 0)?);
    }
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("summary.json")).context("reading the summary")?,
    )
    .context("parsing the summary")?;
    let mut reach = Command::new(&bulwark);
    reach
        .arg("reach")
        .arg(&manifests)
        .args(["--from", "team-001/*", "-f", "connlist", "-o"])
        .arg(dir.join("reach.txt"));
    let mut reach_runs = Vec::new();
    for _ in 0..runs.max(1) {
        reach_runs.push(measure::timed(&reach, &times, |c| c == 0)?);
    }
    let lines = std::fs::read_to_string(dir.join("reach.txt"))
        .context("reading the reach output")?
        .lines()
        .count();
    let (scan_wall, scan_rss) = best(&scan_runs);
    let (reach_wall, reach_rss) = best(&reach_runs);
    let (full_wall, full_rss) = best(&full_runs);
    let verdict = |ok: bool| if ok { "meets" } else { "misses" };
    let mut s = String::new();
    let _ = writeln!(s, "{HEADING}\n");
    let _ = writeln!(
        s,
        "Generated cluster (`xtask/src/bench_cluster.rs`, deterministic): {NAMESPACES} namespaces, {pods} Deployments (one workload each), {policies} NetworkPolicies, {bindings} RoleBindings. \
         Release build; best wall time of {runs} runs, largest peak RSS (GNU time). Machine: {}; {}.\n",
        crate::bench::machine(),
        crate::bench::date()
    );
    let _ = writeln!(
        s,
        "| what | command | wall | peak RSS | target |\n|---|---|---|---|---|"
    );
    let _ = writeln!(
        s,
        "| full network + RBAC analysis ({findings} findings) | `bulwark scan DIR --scanners network,rbac -f json` | {scan_wall:.2} s | {scan_rss:.0} MB | under {TARGET_S} s and {TARGET_MB:.0} MB: {} |",
        verdict(scan_wall < TARGET_S && scan_rss < TARGET_MB)
    );
    let _ = writeln!(
        s,
        "| full reachability: every pair evaluated, {} of {} ordered workload pairs connect ({} behaviour classes) | `bulwark reach DIR -f summary` | {full_wall:.2} s | {full_rss:.0} MB | under {TARGET_S} s and {TARGET_MB:.0} MB: {} |",
        summary["pod_pairs"],
        pods * (pods - 1),
        summary["classes"],
        verdict(full_wall < TARGET_S && full_rss < TARGET_MB)
    );
    let _ = writeln!(
        s,
        "| connections from one namespace ({lines} lines) | `bulwark reach DIR --from 'team-001/*' -f connlist` | {reach_wall:.2} s | {reach_rss:.0} MB | none |"
    );
    let _ = writeln!(
        s,
        "\nThe analysis evaluates policies once per pair of pod *classes* (pods that match the same selectors and name the same ports behave alike), not per pair of pods. No peer tool was run: the one connectivity peer with a conformance suite (np-guard's netpol-analyzer) is not installed here."
    );
    print!("{s}");
    measure::record(root, HEADING, &s)?;
    Ok(())
}
