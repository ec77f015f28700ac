//! `cargo xtask bench`: bulwark against checkov on the same manifests, in one run.
//!
//! Two corpora: the shared real-world manifests plus the peers' fixtures (read in place from
//! `../shared/k8s`), and a synthetic corpus of 10,000 workloads generated under `target/bench`.
//! Each tool runs several times per corpus; wall time and peak resident memory come from GNU
//! `time`, and the medians are reported. The same run compares the two tools' verdicts per
//! check on the resources both evaluated. Results are printed and written into
//! docs/BENCHMARKS.md between the `bench:begin` and `bench:end` markers.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};
use serde_json::Value;

use crate::run as run_cmd;

/// The checkov release the issue names as the peer.
const CHECKOV_VERSION: &str = "3.3.30";

/// checkov check ids and the Bulwark check with the closest meaning.
const PAIRS: &[(&str, &str)] = &[
    ("CKV_K8S_16", "K8S005"),
    ("CKV_K8S_17", "K8S003"),
    ("CKV_K8S_18", "K8S004"),
    ("CKV_K8S_19", "K8S002"),
    ("CKV_K8S_20", "K8S021"),
    ("CKV_K8S_22", "K8S040"),
    ("CKV_K8S_23", "K8S022"),
    ("CKV_K8S_26", "K8S008"),
    ("CKV_K8S_27", "K8S047"),
    ("CKV_K8S_28", "K8S048"),
    ("CKV_K8S_37", "K8S025"),
    ("CKV_K8S_25", "K8S006"),
    ("CKV_K8S_39", "K8S006"),
    ("CKV_K8S_11", "K8S052"),
    ("CKV_K8S_13", "K8S041"),
    ("CKV_K8S_14", "K8S042"),
    ("CKV_K8S_43", "K8S043"),
    ("CKV_K8S_21", "K8S046"),
    ("CKV_K8S_31", "K8S024"),
    ("CKV_K8S_35", "K8S049"),
    ("CKV_K8S_38", "K8S044"),
    ("CKV_K8S_40", "K8S023"),
];

struct Measure {
    wall: f64,
    rss_mb: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        f64::midpoint(v[n / 2 - 1], v[n / 2])
    }
}

/// Runs `cmd` under GNU time, sending its stdout to `stdout_to`.
fn timed(program: &Path, args: &[String], stdout_to: &Path) -> anyhow::Result<Measure> {
    let times = stdout_to.with_extension("time");
    let out = std::fs::File::create(stdout_to)
        .with_context(|| format!("creating {}", stdout_to.display()))?;
    let status = Command::new("/usr/bin/time")
        .args(["-f", "%e %M", "-o"])
        .arg(&times)
        .arg(program)
        .args(args)
        .stdout(out)
        .stderr(std::process::Stdio::null())
        .status()
        .context("running /usr/bin/time (Debian package `time`)")?;
    // bulwark exits 2 when some input is unusable (the peer fixtures include malformed
    // files on purpose); checkov exits 1 when checks fail. Neither is a benchmark failure.
    if status.code().is_none_or(|c| c > 2) {
        bail!("{} failed: {status}", program.display());
    }
    let text = std::fs::read_to_string(&times).context("reading time output")?;
    let last = text.lines().last().unwrap_or_default();
    let mut parts = last.split_whitespace();
    let wall: f64 = parts.next().unwrap_or("0").parse().context("wall time")?;
    let rss_kb: f64 = parts.next().unwrap_or("0").parse().context("max RSS")?;
    Ok(Measure {
        wall,
        rss_mb: rss_kb / 1024.0,
    })
}

fn ensure_checkov(root: &Path) -> anyhow::Result<PathBuf> {
    let venv = root.join(".venv-checkov");
    let bin = venv.join("bin/checkov");
    if !bin.exists() {
        run_cmd(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run_cmd(
            Command::new(venv.join("bin/pip"))
                .args(["install", "-q"])
                .arg(format!("checkov=={CHECKOV_VERSION}")),
        )?;
    }
    Ok(bin)
}

/// 10,000 workloads (Deployments, each with a Service) in 100 files.
fn synthetic_corpus(dir: &Path) -> anyhow::Result<usize> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut resources = 0;
    for f in 0..100 {
        let mut text = String::new();
        for i in 0..50 {
            let n = f * 50 + i;
            let hardened = n % 3 == 0;
            let _ = write!(
                text,
                "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{n}\n  namespace: team-{ns}\n  labels: {{app: app-{n}}}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: app-{n}}}\n  template:\n    metadata:\n      labels: {{app: app-{n}}}\n    spec:\n      serviceAccountName: app-{n}\n{pod_sc}      containers:\n      - name: app\n        image: registry.example.com/team-{ns}/app-{n}:{tag}\n        ports:\n        - containerPort: 8080\n        env:\n        - {{name: LOG_LEVEL, value: info}}\n        - name: DB_PASSWORD\n          valueFrom:\n            secretKeyRef: {{name: db-{n}, key: password}}\n{c_sc}        resources:\n          limits: {{cpu: 500m, memory: 256Mi}}\n      - name: proxy\n        image: envoyproxy/envoy:v1.31.0\n        securityContext: {{privileged: {priv}}}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: app-{n}\n  namespace: team-{ns}\nspec:\n  selector: {{app: app-{n}}}\n  ports:\n  - {{port: 80, targetPort: 8080}}\n",
                ns = n % 20,
                tag = if n % 7 == 0 { "latest" } else { "1.4.2" },
                pod_sc = if hardened {
                    "      securityContext:\n        runAsNonRoot: true\n        seccompProfile: {type: RuntimeDefault}\n"
                } else {
                    ""
                },
                c_sc = if hardened {
                    "        securityContext:\n          allowPrivilegeEscalation: false\n          readOnlyRootFilesystem: true\n          capabilities: {drop: [ALL]}\n"
                } else {
                    ""
                },
                priv = n % 11 == 0,
            );
            resources += 2;
        }
        std::fs::write(dir.join(format!("apps-{f:03}.yaml")), text)
            .context("writing the synthetic corpus")?;
    }
    Ok(resources)
}

struct Row {
    corpus: String,
    resources: usize,
    tool: &'static str,
    wall: f64,
    rss_mb: f64,
}

fn slug(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// Resource key shared by both tools: absolute file, kind, name.
type Key = (String, String, String);

fn bulwark_verdicts(report: &Value) -> (BTreeMap<String, BTreeSet<Key>>, BTreeSet<String>) {
    let mut failing: BTreeMap<String, BTreeSet<Key>> = BTreeMap::new();
    let all = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(report["suppressed"].as_array().into_iter().flatten());
    for f in all {
        let key = (
            f["location"]["path"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            f["resource"]["kind"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            f["resource"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
        failing
            .entry(f["id"].as_str().unwrap_or_default().to_string())
            .or_default()
            .insert(key);
    }
    let broken = report["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["path"].as_str().map(str::to_string))
        .collect();
    (failing, broken)
}

/// checkov's verdicts: check id -> (passed, failed) resource keys.
fn checkov_verdicts(report: &Value) -> BTreeMap<String, (BTreeSet<Key>, BTreeSet<Key>)> {
    let mut out: BTreeMap<String, (BTreeSet<Key>, BTreeSet<Key>)> = BTreeMap::new();
    let reports: Vec<&Value> = match report {
        Value::Array(a) => a
            .iter()
            .flat_map(|d| match d {
                Value::Array(inner) => inner.iter().collect(),
                v => vec![v],
            })
            .collect(),
        v => vec![v],
    };
    for r in reports {
        for (list, failed) in [("passed_checks", false), ("failed_checks", true)] {
            for c in r["results"][list].as_array().into_iter().flatten() {
                let id = c["check_id"].as_str().unwrap_or_default().to_string();
                let resource = c["resource"].as_str().unwrap_or_default();
                // "Kind.namespace.name" (names may contain dots: split at the first two).
                let mut parts = resource.splitn(3, '.');
                let kind = parts.next().unwrap_or_default().to_string();
                let _namespace = parts.next();
                let name = parts.next().unwrap_or_default().to_string();
                let file = c["file_abs_path"].as_str().unwrap_or_default().to_string();
                let entry = out.entry(id).or_default();
                if failed {
                    entry.1.insert((file, kind, name));
                } else {
                    entry.0.insert((file, kind, name));
                }
            }
        }
    }
    out
}

/// The agreement table, and a listing of every disagreeing resource for reading.
fn agreement(bulwark: &Value, checkov: &Value) -> (String, String) {
    let (ours, broken) = bulwark_verdicts(bulwark);
    let theirs = checkov_verdicts(checkov);
    let mut s = String::from(
        "| checkov | Bulwark | resources both evaluated | agree | both fail | only checkov fails | only Bulwark fails |\n|---|---|---|---|---|---|---|\n",
    );
    let mut detail = String::new();
    for (ckv, bw) in PAIRS {
        let Some((passed, failed)) = theirs.get(*ckv) else {
            let _ = writeln!(s, "| {ckv} | {bw} | 0 | – | – | – | – |");
            continue;
        };
        let empty = BTreeSet::new();
        let our_fail = ours.get(*bw).unwrap_or(&empty);
        let (mut both_fail, mut only_ckv, mut only_bw, mut both_pass) = (0, 0, 0, 0);
        let _ = writeln!(detail, "\n## {ckv} / {bw}\n");
        for key in passed.iter().chain(failed) {
            if broken.contains(&key.0) {
                continue;
            }
            // checkov names an object without metadata.name after its labels; Bulwark calls it
            // <unnamed>.
            let unnamed = (key.0.clone(), key.1.clone(), "<unnamed>".to_string());
            let ours = our_fail.contains(key) || our_fail.contains(&unnamed);
            match (failed.contains(key), ours) {
                (true, true) => both_fail += 1,
                (true, false) => {
                    only_ckv += 1;
                    let _ = writeln!(detail, "- only checkov: {} {}/{}", key.0, key.1, key.2);
                }
                (false, true) => {
                    only_bw += 1;
                    let _ = writeln!(detail, "- only Bulwark: {} {}/{}", key.0, key.1, key.2);
                }
                (false, false) => both_pass += 1,
            }
        }
        let total = both_fail + only_ckv + only_bw + both_pass;
        let pct = if total == 0 {
            0.0
        } else {
            f64::from(both_fail + both_pass) * 100.0 / f64::from(total)
        };
        let _ = writeln!(
            s,
            "| {ckv} | {bw} | {total} | {pct:.1}% | {both_fail} | {only_ckv} | {only_bw} |"
        );
    }
    (s, detail)
}

pub(crate) fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cpu}, {cores} cores, {mem_gib:.0} GiB RAM, Linux {}",
        kernel.trim()
    )
}

pub(crate) fn date() -> String {
    Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

pub fn run(root: &Path, runs: u64) -> anyhow::Result<()> {
    let shared = root.join("../shared/k8s");
    if !shared.join("real-world").is_dir() {
        bail!("the benchmark reads ../shared/k8s, which is missing");
    }
    let real = shared.join("real-world").canonicalize()?;
    let fixtures = shared.join("peer-fixtures").canonicalize()?;
    run_cmd(crate::cargo().args(["build", "--release", "--locked", "-p", "bulwark"]))?;
    let bulwark = root.join("target/release/bulwark");
    let checkov = ensure_checkov(root)?;
    let work = root.join("target/bench");
    std::fs::create_dir_all(&work)?;
    let synthetic = work.join("synthetic");
    let synthetic_resources = synthetic_corpus(&synthetic)?;
    let runs = runs.max(1);
    let checkov_runs = runs.min(3);

    let mut rows = Vec::new();
    // One directory per invocation: checkov 3.3.30 given two `-d` directories reports the
    // first one twice and never evaluates the second.
    let corpora: [(&str, &Path, u64); 3] = [
        ("real-world", &real, checkov_runs),
        ("peer fixtures", &fixtures, 1),
        ("synthetic (10,000 resources)", &synthetic, 0),
    ];
    let mut bw_reports = Vec::new();
    let mut ck_reports = Vec::new();
    for (name, dir, checkov_times) in corpora {
        let bw_args: Vec<String> = vec![
            "scan".into(),
            dir.display().to_string(),
            "--format".into(),
            "json".into(),
            "--quiet".into(),
        ];
        let bw_out = work.join(format!("bulwark-{}.json", slug(name)));
        let mut walls = Vec::new();
        let mut rss = Vec::new();
        for _ in 0..runs {
            let m = timed(&bulwark, &bw_args, &bw_out)?;
            walls.push(m.wall);
            rss.push(m.rss_mb);
        }
        let bw_report: Value = serde_json::from_str(&std::fs::read_to_string(&bw_out)?)
            .context("bulwark's JSON report")?;
        let resources = if checkov_times == 0 {
            synthetic_resources
        } else {
            usize::try_from(bw_report["summary"]["resources"].as_u64().unwrap_or(0))?
        };
        rows.push(Row {
            corpus: name.to_string(),
            resources,
            tool: "bulwark",
            wall: median(walls),
            rss_mb: median(rss),
        });
        if checkov_times == 0 {
            continue;
        }
        // Without --quiet: the agreement needs the passed checks too, and one run then serves
        // both the timing and the verdicts (checkov takes minutes on the peer fixtures).
        let ck_args: Vec<String> = [
            "-d",
            &dir.display().to_string(),
            "--framework",
            "kubernetes",
            "--skip-download",
            "-o",
            "json",
        ]
        .map(String::from)
        .to_vec();
        let verdicts_out = work.join(format!("checkov-{}.json", slug(name)));
        let mut walls = Vec::new();
        let mut rss = Vec::new();
        for _ in 0..checkov_times {
            let m = timed(&checkov, &ck_args, &verdicts_out)?;
            walls.push(m.wall);
            rss.push(m.rss_mb);
        }
        rows.push(Row {
            corpus: name.to_string(),
            resources,
            tool: "checkov",
            wall: median(walls),
            rss_mb: median(rss),
        });
        let text = std::fs::read_to_string(&verdicts_out)?;
        let docs: Vec<Value> = serde_json::Deserializer::from_str(&text)
            .into_iter::<Value>()
            .collect::<Result<_, _>>()
            .context("checkov's JSON report")?;
        bw_reports.push(bw_report);
        ck_reports.push(Value::Array(docs));
    }
    // Both checkov corpora together: the wall times add up, the peak is the larger one.
    let sum = |tool: &str| {
        let r: Vec<&Row> = rows
            .iter()
            .filter(|r| r.tool == tool && (r.corpus == "real-world" || r.corpus == "peer fixtures"))
            .collect();
        Row {
            corpus: "real-world + peer fixtures".to_string(),
            resources: r.iter().map(|r| r.resources).sum(),
            tool: if tool == "bulwark" {
                "bulwark"
            } else {
                "checkov"
            },
            wall: r.iter().map(|r| r.wall).sum(),
            rss_mb: r.iter().map(|r| r.rss_mb).fold(0.0, f64::max),
        }
    };
    let combined = [sum("bulwark"), sum("checkov")];
    rows.splice(rows.len() - 1..rows.len() - 1, combined);
    let merge = |reports: Vec<Value>| -> Value {
        let mut findings = Vec::new();
        let mut errors = Vec::new();
        for r in reports {
            if let Value::Array(a) = &r["findings"] {
                findings.extend(a.iter().cloned());
            }
            if let Value::Array(a) = &r["suppressed"] {
                findings.extend(a.iter().cloned());
            }
            if let Value::Array(a) = &r["errors"] {
                errors.extend(a.iter().cloned());
            }
        }
        serde_json::json!({"findings": findings, "errors": errors})
    };
    let (agreement_table, detail) = agreement(&merge(bw_reports), &Value::Array(ck_reports));
    let detail_path = work.join("disagreements.md");
    std::fs::write(&detail_path, detail).context("writing the disagreement listing")?;
    eprintln!(
        "xtask: every disagreeing resource is listed in {}",
        detail_path.display()
    );

    let mut table = String::from(
        "| corpus | resources | tool | wall (median) | peak RSS (median) | checkov ÷ bulwark wall | checkov ÷ bulwark RSS |\n|---|---|---|---|---|---|---|\n",
    );
    for r in &rows {
        let peer = rows
            .iter()
            .find(|p| p.corpus == r.corpus && p.tool == "checkov");
        let ratios = match (r.tool, peer) {
            ("bulwark", Some(p)) => format!(
                "{:.0}× | {:.0}×",
                p.wall / r.wall.max(0.001),
                p.rss_mb / r.rss_mb.max(0.001)
            ),
            _ => "– | –".to_string(),
        };
        let _ = writeln!(
            table,
            "| {} | {} | {} | {:.3} s | {:.1} MB | {ratios} |",
            r.corpus, r.resources, r.tool, r.wall, r.rss_mb
        );
    }
    let section = format!(
        "<!-- bench:begin (generated by `cargo xtask bench`; edit outside the markers) -->\n\
         Measured {date} on {machine}.\n\
         Command: `cargo xtask bench --runs {runs}` (bulwark {runs} runs per corpus, checkov {checkov_runs} on \
         real-world and 1 on the peer fixtures, which take it minutes; medians; wall time and peak RSS from GNU \
         time; the combined row adds the wall times and takes the larger peak). checkov {CHECKOV_VERSION} runs as \
         `checkov -d DIR --framework kubernetes --skip-download -o json` (without `--quiet`, so one run gives \
         both the time and the passed checks the agreement needs); bulwark as \
         `bulwark scan DIR --format json --quiet`.\n\n{table}\n\
         Per-check agreement on the resources both tools evaluated (real-world + peer fixtures; files \
         Bulwark could not parse are left out):\n\n{agreement_table}<!-- bench:end -->",
        date = date(),
        machine = machine(),
    );
    println!("{section}");
    let doc_path = root.join("docs/BENCHMARKS.md");
    let doc = std::fs::read_to_string(&doc_path).unwrap_or_default();
    let updated = match (doc.find("<!-- bench:begin"), doc.find("<!-- bench:end -->")) {
        (Some(a), Some(b)) if b > a => {
            format!(
                "{}{section}{}",
                &doc[..a],
                &doc[b + "<!-- bench:end -->".len()..]
            )
        }
        _ => format!("{doc}\n{section}\n"),
    };
    std::fs::write(&doc_path, updated).context("writing docs/BENCHMARKS.md")?;
    eprintln!("xtask: updated {}", doc_path.display());
    Ok(())
}
