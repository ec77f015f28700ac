//! End-to-end tests: the real `bulwark` binary on real files, asserting exit codes, stdout and
//! stderr.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

mod common;
use common::{
    assert_valid, cyclonedx_validator, json, repo_root, run, shared_with, stderr, validator,
};

fn bulwark() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bulwark"));
    // No advisory database of the user's: vulnerability findings come only from
    // `--advisories` given by a test.
    cmd.current_dir(repo_root())
        .env_remove("NO_COLOR")
        .env("BULWARK_DB", "/nonexistent/bulwark-test/advisories.db");
    cmd
}

/// The README's first command.
const DEMO: [&str; 4] = [
    "scan",
    "examples/demo",
    "--advisories",
    "examples/demo-advisories",
];

/// ../shared, which CI provides beside the repository.
fn shared() -> PathBuf {
    shared_with("k8s/real-world")
}

fn run_stdin(cmd: &mut Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bulwark starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("bulwark finishes")
}

/// A field of every finding, by JSON pointer (`/id`, `/location/line`), as text; missing
/// fields are empty.
fn column(report: &Value, pointer: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| match f.pointer(pointer) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(v) => v.to_string(),
        })
        .collect()
}

/// Two fields of every finding, paired.
fn pairs(report: &Value, a: &str, b: &str) -> Vec<(String, String)> {
    column(report, a)
        .into_iter()
        .zip(column(report, b))
        .collect()
}

fn ids(report: &Value) -> Vec<String> {
    column(report, "/id")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&p, text).expect("write fixture");
    p
}

const PRIVILEGED_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n  containers:\n  - name: c\n    image: c:1\n    securityContext: {privileged: true}\n";

#[test]
fn real_world_manifests_scan_without_errors() {
    let dir = shared().join("k8s/real-world");
    let out = run(bulwark().arg("scan").arg(&dir).args(["--format", "json"]));
    let report = json(&out);
    assert_eq!(report["errors"], Value::Array(vec![]), "{}", stderr(&out));
    assert_eq!(
        out.status.code(),
        Some(0),
        "no --exit-code: findings do not fail the run"
    );
    assert!(report["summary"]["resources"].as_u64().expect("count") > 400);
    assert!(report["summary"]["findings"].as_u64().expect("count") > 300);
    // The two Helm charts in kubernetes-goat are reported as charts, not parsed.
    let charts: Vec<&str> = report["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter(|n| n["kind"] == "helm-chart")
        .map(|n| n["path"].as_str().expect("path"))
        .collect();
    assert_eq!(charts.len(), 2, "{charts:?}");
    assert!(charts.iter().any(|c| c.ends_with("metadata-db")));
    // Known facts about kubernetes-goat: the system monitor is privileged with the host's
    // root mounted.
    let fs = report["findings"].as_array().expect("findings");
    let has = |id: &str, name: &str| {
        fs.iter()
            .any(|f| f["id"] == id && f["resource"]["name"] == name)
    };
    assert!(has("K8S005", "system-monitor-deployment"));
    assert!(has("K8S047", "system-monitor-deployment"));
    assert!(has("K8S003", "system-monitor-deployment"));
    assert!(
        has("K8S047", "health-check-deployment"),
        "docker.sock in health-check"
    );
}

#[test]
fn json_report_validates_against_its_schema() {
    let out = run(bulwark().args(DEMO).args(["--format", "json"]));
    let report = json(&out);
    assert!(
        column(&report, "/category")
            .iter()
            .any(|c| c == "vulnerability")
    );
    assert_valid(
        &validator(&repo_root().join("docs/report.schema.json")),
        &report,
        "the JSON report",
    );
    assert_eq!(report["schema_version"], "1.0");
    assert_eq!(report["tool"]["name"], "bulwark");
    assert_eq!(
        report["summary"]["suppressed"], 1,
        "node-agent's hostNetwork"
    );
    let suppressed = &report["suppressed"][0];
    assert_eq!(suppressed["id"], "K8S002");
    assert_eq!(suppressed["suppression"]["source"], "annotation");
    assert_eq!(
        suppressed["suppression"]["reason"],
        "collects host network metrics"
    );
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let out = run(bulwark().args(DEMO).args(["--format", "sarif"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sarif = json(&out);
    assert_valid(
        &validator(&shared().join("schemas/sarif-2.1.0/sarif-schema-2.1.0.json")),
        &sarif,
        "the SARIF log",
    );
    let run0 = &sarif["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().expect("rules");
    let results = run0["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for r in results {
        let idx = usize::try_from(r["ruleIndex"].as_u64().expect("ruleIndex")).expect("index");
        assert_eq!(
            rules[idx]["id"], r["ruleId"],
            "ruleIndex points at the rule"
        );
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(
            loc["artifactLocation"]["uri"]
                .as_str()
                .expect("uri")
                .starts_with("examples/demo/")
        );
        // Findings inside the demo image point at the archive, with the inner path beside it.
        if loc["artifactLocation"]["uri"]
            .as_str()
            .is_some_and(|u| u.ends_with(".oci.tar"))
        {
            assert!(r["properties"]["innerPath"].is_string(), "{r}");
        } else {
            assert!(loc["region"]["startLine"].as_u64().expect("line") >= 1);
        }
        assert!(r["partialFingerprints"]["bulwarkFingerprint/v1"].is_string());
    }
    // GitHub code scanning reads security-severity from the rule.
    assert!(
        rules
            .iter()
            .all(|r| r["properties"]["security-severity"].is_string())
    );
    // The suppressed finding is present, marked as suppressed.
    assert_eq!(
        results
            .iter()
            .filter(|r| r["suppressions"].is_array())
            .count(),
        1
    );
}

#[test]
fn malformed_input_is_an_error_with_file_and_line_and_other_files_are_still_scanned() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a-good.yaml", PRIVILEGED_POD);
    write(
        dir.path(),
        "b-bad.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: indentation\n",
    );
    write(
        dir.path(),
        "c-bad.json",
        "{\"apiVersion\": \"v1\",\n \"kind\": }",
    );
    let out = run(bulwark()
        .arg("scan")
        .arg(dir.path())
        .args(["--format", "json"]));
    assert_eq!(out.status.code(), Some(2), "unusable input exits 2");
    let report = json(&out);
    assert!(
        ids(&report).contains(&"K8S005".to_string()),
        "the good file is scanned"
    );
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 2, "{errors:?}");
    let yaml_err = errors
        .iter()
        .find(|e| e["path"].as_str().expect("p").ends_with("b-bad.yaml"))
        .expect("yaml error");
    assert_eq!(yaml_err["line"], 5);
    assert!(
        yaml_err["message"]
            .as_str()
            .expect("m")
            .starts_with("invalid YAML")
    );
    let json_err = errors
        .iter()
        .find(|e| e["path"].as_str().expect("p").ends_with("c-bad.json"))
        .expect("json error");
    assert_eq!(json_err["line"], 2);
    assert!(stderr(&out).contains("b-bad.yaml:5:"), "{}", stderr(&out));
}

#[test]
fn hostile_yaml_is_bounded_and_never_panics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..15 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    write(dir.path(), "bomb.yaml", &bomb);
    write(
        dir.path(),
        "deep.json",
        &format!("{}{}", "[".repeat(200_000), "]".repeat(200_000)),
    );
    write(dir.path(), "binary.yaml", "\u{0}\u{1}\u{2}");
    std::fs::write(
        dir.path().join("latin1.yaml"),
        b"kind: Pod\nname: caf\xe9\n",
    )
    .expect("write");
    let started = std::time::Instant::now();
    let out = run(bulwark()
        .arg("scan")
        .arg(dir.path())
        .args(["--format", "json"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(started.elapsed().as_secs() < 30, "bounded work");
    let report = json(&out);
    let messages: Vec<&str> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["message"].as_str().expect("message"))
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("alias bomb")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("nesting deeper")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("not UTF-8")),
        "{messages:?}"
    );
    assert!(!stderr(&out).contains("panicked"));
}

#[test]
fn max_file_size_skips_large_files_with_an_error_when_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(dir.path(), "pod.yaml", PRIVILEGED_POD);
    let out =
        run(bulwark()
            .arg("scan")
            .arg(&f)
            .args(["--max-file-size", "10", "--format", "json"]));
    assert_eq!(out.status.code(), Some(2));
    let report = json(&out);
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .expect("m")
            .contains("larger than the limit")
    );
    // Found in a directory walk, it is a note instead.
    let out = run(bulwark().arg("scan").arg(dir.path()).args([
        "--max-file-size",
        "10",
        "--format",
        "json",
    ]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["notes"][0]["kind"], "skipped");
}

#[test]
fn stdin_takes_helm_rendered_output_and_lists() {
    // What `helm template` prints: a comment per source, `---` separators, empty documents.
    let rendered = format!(
        "---\n# Source: app/templates/pod.yaml\n{PRIVILEGED_POD}---\n# Source: app/templates/empty.yaml\n---\n# Source: app/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata: {{name: s, namespace: app}}\nspec: {{ports: [{{port: 80}}]}}\n"
    );
    let out = run_stdin(bulwark().args(["scan", "-", "--format", "json"]), &rendered);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["summary"]["resources"], 2);
    let f = &report["findings"]
        .as_array()
        .expect("f")
        .iter()
        .find(|f| f["id"] == "K8S005")
        .expect("privileged")["location"];
    assert_eq!(f["path"], "-");
    assert_eq!(
        f["line"], 10,
        "line numbers count from the start of the stream"
    );

    let list = r#"{"apiVersion": "v1", "kind": "List", "items": [
      {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "x"},
       "spec": {"template": {"spec": {"hostPID": true, "containers": [{"name": "c", "image": "c:1"}]}}}}]}"#;
    let out = run_stdin(
        bulwark().args(["scan", "-", "--format", "json", "--only", "K8S003"]),
        list,
    );
    let report = json(&out);
    assert_eq!(ids(&report), ["K8S003"]);
    assert_eq!(
        report["findings"][0]["location"]["field"],
        "items[0].spec.template.spec.hostPID"
    );
}

#[test]
fn exit_code_and_fail_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(dir.path(), "pod.yaml", PRIVILEGED_POD);
    let code = |extra: &[&str]| {
        run(bulwark()
            .arg("scan")
            .arg(&f)
            .args(["--format", "json"])
            .args(extra))
        .status
        .code()
    };
    assert_eq!(code(&[]), Some(0));
    assert_eq!(code(&["--exit-code", "3"]), Some(3));
    assert_eq!(
        code(&["--exit-code", "3", "--fail-on", "critical"]),
        Some(3)
    );
    assert_eq!(
        code(&[
            "--exit-code",
            "3",
            "--fail-on",
            "critical",
            "--skip",
            "K8S005"
        ]),
        Some(0),
        "only the critical finding was at or above the threshold"
    );
    assert_eq!(
        code(&["--exit-code", "3", "--severity", "low"]),
        Some(3),
        "low findings remain"
    );
    assert_eq!(
        code(&["--exit-code", "3", "--severity", "info"]),
        Some(0),
        "nothing remains after the filter"
    );
}

#[test]
fn severity_skip_and_only_filter() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(dir.path(), "pod.yaml", PRIVILEGED_POD);
    let scan = |extra: &[&str]| {
        json(&run(bulwark()
            .arg("scan")
            .arg(&f)
            .args(["--format", "json"])
            .args(extra)))
    };
    let all = ids(&scan(&[]));
    assert!(all.contains(&"K8S005".into()) && all.contains(&"K8S040".into()));
    let crit = scan(&["--severity", "CRITICAL"]);
    assert_eq!(ids(&crit), ["K8S005"]);
    assert_eq!(crit["summary"]["by_severity"]["critical"], 1);
    let only = scan(&["--only", "privileged-container,K8S040"]);
    let mut got = ids(&only);
    got.sort();
    assert_eq!(got, ["K8S005", "K8S040"]);
    assert!(!ids(&scan(&["--skip", "K8S005"])).contains(&"K8S005".into()));
    let out = run(bulwark().arg("scan").arg(&f).args(["--only", "K8S999"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a check or secret rule: K8S999"),
        "{}",
        stderr(&out)
    );
    let out = run(bulwark().arg("scan").arg(&f).args(["--scanners", "vulns"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(
            "unknown scanner \"vulns\" (available: misconfig, secret, vuln, network, rbac, mesh)"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn annotation_suppressions_are_counted_and_can_be_disabled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(
        dir.path(),
        "d.yaml",
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  namespace: app
  annotations:
    bulwark.dev/ignore: "K8S003=node agent, K8S999"
spec:
  template:
    metadata:
      annotations:
        bulwark.dev/ignore.sidecar: "privileged-container=needs iptables"
    spec:
      hostPID: true
      containers:
      - {name: main, image: m:1, securityContext: {privileged: true}}
      - {name: sidecar, image: s:1, securityContext: {privileged: true}}
"#,
    );
    let report = json(&run(bulwark().arg("scan").arg(&f).args([
        "--format",
        "json",
        "--only",
        "K8S003,K8S005",
    ])));
    let reported = pairs(&report, "/id", "/resource/container");
    assert_eq!(reported, [("K8S005".to_string(), "main".to_string())]);
    let suppressed = report["suppressed"].as_array().expect("suppressed");
    assert_eq!(suppressed.len(), 2);
    assert_eq!(report["summary"]["suppressed"], 2);
    let reasons: Vec<&str> = suppressed
        .iter()
        .map(|s| s["suppression"]["reason"].as_str().expect("reason"))
        .collect();
    assert!(
        reasons.contains(&"node agent") && reasons.contains(&"needs iptables"),
        "{reasons:?}"
    );
    assert!(
        report["notes"]
            .as_array()
            .expect("notes")
            .iter()
            .any(|n| n["message"]
                .as_str()
                .expect("m")
                .contains("\"K8S999\", which is not a check")),
        "unknown ids in annotations are noted"
    );
    let admin = json(&run(bulwark().arg("scan").arg(&f).args([
        "--format",
        "json",
        "--only",
        "K8S003,K8S005",
        "--no-annotation-ignores",
    ])));
    assert_eq!(admin["findings"].as_array().expect("f").len(), 3);
    assert_eq!(admin["summary"]["suppressed"], 0);
}

#[test]
fn config_file_sets_defaults_and_ignores() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "manifests/pod.yaml", PRIVILEGED_POD);
    write(
        dir.path(),
        ".bulwark.yaml",
        "severity: [critical, high, medium, low]\nskip: [K8S043]\nignore:\n  - check: K8S005\n    namespace: app\n    name: 'p*'\n    reason: lab pod\n",
    );
    let out =
        run(bulwark()
            .current_dir(dir.path())
            .args(["scan", "manifests", "--format", "json"]));
    let report = json(&out);
    let got = ids(&report);
    assert!(
        !got.contains(&"K8S005".into()) && !got.contains(&"K8S043".into()),
        "{got:?}"
    );
    assert_eq!(report["suppressed"][0]["suppression"]["source"], "config");
    assert_eq!(
        report["suppressed"][0]["suppression"]["origin"],
        ".bulwark.yaml ignore[0] (line 4)"
    );
    // A flag wins over the file.
    let report = json(&run(bulwark().current_dir(dir.path()).args([
        "scan",
        "manifests",
        "--format",
        "json",
        "--skip",
        "K8S040",
    ])));
    assert!(ids(&report).contains(&"K8S043".into()));
    // A broken configuration is an error, never silently ignored.
    write(dir.path(), ".bulwark.yaml", "ignore:\n  - check: K8S005\n");
    let out = run(bulwark()
        .current_dir(dir.path())
        .args(["scan", "manifests"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("needs a `reason`"),
        "{}",
        stderr(&out)
    );
}

/// `-o` to something that is not a regular file (a FIFO, a device such as `/dev/null`) writes
/// into it: the atomic rename used for files must never replace it.
#[test]
fn output_to_fifos_and_devices_writes_in_place() {
    use std::os::unix::fs::FileTypeExt as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("report.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo (coreutils) runs")
            .success()
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).expect("read the FIFO"))
    };
    let out = run(bulwark()
        .args(["scan", "examples/demo", "-f", "json", "-o"])
        .arg(&fifo));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Checked before waiting for the reader, which would wait forever on a replaced FIFO.
    assert!(
        std::fs::symlink_metadata(&fifo)
            .expect("still there")
            .file_type()
            .is_fifo(),
        "the FIFO was replaced by a regular file"
    );
    let text = reader.join().expect("reader");
    let report: Value = serde_json::from_str(&text).expect("the report came through the FIFO");
    assert_eq!(report["tool"]["name"], "bulwark");

    // A character device like /dev/null, made in the temporary directory (needs root, which
    // CI has; elsewhere this part says why it is skipped).
    let null = dir.path().join("null");
    let made = Command::new("mknod")
        .arg(&null)
        .args(["c", "1", "3"])
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("skipping the device-node half: mknod needs root");
        return;
    }
    for args in [
        vec!["scan", "examples/demo", "-o"],
        vec!["sbom", "examples/demo/shop-api.oci.tar", "-o"],
    ] {
        let out = run(bulwark().args(&args).arg(&null));
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let kind = std::fs::symlink_metadata(&null)
            .expect("still there")
            .file_type();
        assert!(kind.is_char_device(), "{args:?} replaced the device node");
    }
}

#[test]
fn output_file_is_written_whole_or_not_at_all() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(dir.path(), "pod.yaml", PRIVILEGED_POD);
    let target = dir.path().join("report.json");
    let out = run(bulwark()
        .arg("scan")
        .arg(&f)
        .args(["--format", "json", "-o"])
        .arg(&target));
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "the report goes to the file");
    let written: Value =
        serde_json::from_slice(&std::fs::read(&target).expect("report")).expect("json");
    assert!(ids(&written).contains(&"K8S005".into()));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("e").file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "no temporary files left: {leftovers:?}");
    let out = run(bulwark()
        .arg("scan")
        .arg(&f)
        .arg("-o")
        .arg(dir.path().join("missing/dir/r.json")));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("creating"), "{}", stderr(&out));
}

#[test]
fn named_files_that_are_not_kubernetes_are_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(
        dir.path(),
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n",
    );
    let out = run(bulwark().arg("scan").arg(&f));
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("compose.yaml: no Kubernetes objects"),
        "{}",
        stderr(&out)
    );
    // In a directory walk it is mentioned only with --verbose.
    let out = run(bulwark().arg("scan").arg(dir.path()));
    assert!(!stderr(&out).contains("no Kubernetes objects"));
    let out = run(bulwark().arg("scan").arg(dir.path()).arg("--verbose"));
    assert!(stderr(&out).contains("no Kubernetes objects"));
    let out = run(bulwark().arg("scan").arg(dir.path()).arg("--quiet").arg(&f));
    assert!(stderr(&out).is_empty(), "--quiet: {}", stderr(&out));
}

#[test]
fn default_namespace_flag_quiets_objects_without_namespace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(
        dir.path(),
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
    );
    let scan = |extra: &[&str]| {
        ids(&json(&run(bulwark()
            .arg("scan")
            .arg(&f)
            .args(["--format", "json"])
            .args(extra))))
    };
    assert_eq!(scan(&[]), ["K8S046"]);
    assert!(scan(&["--default-namespace", "shop"]).is_empty());
    assert_eq!(scan(&["--default-namespace", "default"]), ["K8S046"]);
}

#[test]
fn fingerprints_survive_line_moves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(dir.path(), "pod.yaml", PRIVILEGED_POD);
    let first = json(&run(bulwark()
        .arg("scan")
        .arg(&f)
        .args(["--format", "json"])));
    write(
        dir.path(),
        "pod.yaml",
        &format!("# a comment\n\n{PRIVILEGED_POD}"),
    );
    let second = json(&run(bulwark()
        .arg("scan")
        .arg(&f)
        .args(["--format", "json"])));
    let prints = |r: &Value| {
        let mut v: Vec<(String, u64)> = pairs(r, "/fingerprint", "/location/line")
            .into_iter()
            .map(|(f, l)| (f, l.parse().expect("a line")))
            .collect();
        v.sort();
        v
    };
    let (a, b) = (prints(&first), prints(&second));
    assert_eq!(a.len(), b.len());
    for ((fa, la), (fb, lb)) in a.iter().zip(&b) {
        assert_eq!(fa, fb, "same fingerprint");
        assert_eq!(la + 2, *lb, "lines moved by two");
    }
}

#[test]
fn table_output_is_grouped_and_plain_when_piped() {
    let out = run(bulwark().args(DEMO));
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout.clone()).expect("utf8");
    assert!(
        text.contains("CVE-2021-44906"),
        "the demo's vulnerabilities: {text}"
    );
    assert!(
        !text.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    insta::assert_snapshot!("demo_table", text);
    assert!(
        stderr(&out).contains("examples/demo/charts/storefront: Helm chart"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn checks_lists_and_explains() {
    let out = run(bulwark().arg("checks"));
    let text = String::from_utf8(out.stdout.clone()).expect("utf8");
    assert!(
        text.contains("K8S005  CRITICAL  privileged-container"),
        "{text}"
    );
    assert!(text.contains("pss-baseline/privileged-containers, cis-k8s/5.2.2"));
    let out = run(bulwark().args(["checks", "host-pid"]));
    let text = String::from_utf8(out.stdout.clone()).expect("utf8");
    for section in [
        "K8S003 host-pid",
        "WHAT IT DOES",
        "WHY IT MATTERS",
        "EXAMPLE",
        "FIX",
        "REFERENCES",
    ] {
        assert!(text.contains(section), "{section}: {text}");
    }
    let out = run(bulwark().args(["checks", "K8S005", "--format", "json"]));
    assert_eq!(
        json(&out)["standards"][0],
        "pss-baseline/privileged-containers"
    );
    let out = run(bulwark().args(["checks", "nope"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no check is called \"nope\""));
}

#[test]
fn missing_paths_are_errors_but_others_are_scanned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(dir.path(), "pod.yaml", PRIVILEGED_POD);
    let out = run(bulwark()
        .arg("scan")
        .arg(&f)
        .arg(dir.path().join("nope.yaml"))
        .args(["--format", "json"]));
    assert_eq!(out.status.code(), Some(2));
    let report = json(&out);
    assert!(ids(&report).contains(&"K8S005".into()));
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .expect("m")
            .starts_with("cannot read")
    );
}

#[test]
fn secrets_never_appear_in_any_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = "Zq8vT3kWmP9xQ2rLs7Yt4NcB";
    let f = write(
        dir.path(),
        "app.yaml",
        &format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: a}}\nspec:\n  containers:\n  - name: c\n    image: c:1\n    env:\n    - {{name: API_TOKEN, value: {secret}}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c, namespace: a}}\ndata:\n  DB_PASSWORD: {secret}\n"
        ),
    );
    for format in ["table", "json", "sarif"] {
        let out = run(bulwark().arg("scan").arg(&f).args(["--format", format]));
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        // Found twice (the env value and the ConfigMap entry), never printed.
        assert!(
            all.contains("GEN016") && all.contains("GEN001"),
            "{format}: both found:\n{all}"
        );
        assert!(!all.contains(secret), "{format} leaks the secret");
        assert!(
            !all.contains("Zq8vT3kW") && !all.contains("Yt4NcB"),
            "{format} leaks part of the secret"
        );
    }
}

#[test]
fn a_closed_stdout_keeps_the_exit_code() {
    let dir = shared().join("k8s/peer-fixtures");
    let mut child = bulwark()
        .arg("scan")
        .arg(&dir)
        .args(["--format", "json", "--exit-code", "3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bulwark starts");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 16];
    std::io::Read::read_exact(&mut stdout, &mut first).expect("some output");
    drop(stdout);
    let out = child.wait_with_output().expect("bulwark finishes");
    // The peer fixtures include malformed files: the scan's own verdict is 2.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!stderr(&out).contains("Broken pipe"), "{}", stderr(&out));
}

#[test]
fn template_text_inside_strings_does_not_hide_a_rendered_stream() {
    let rendered = format!(
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: tmpl, namespace: app}}\ndata:\n  values.yaml: |\n    image: {{{{ .Values.image }}}}\n---\n{PRIVILEGED_POD}"
    );
    let out = run_stdin(
        bulwark().args(["scan", "-", "--format", "json", "--only", "K8S005"]),
        &rendered,
    );
    let report = json(&out);
    assert_eq!(
        ids(&report),
        ["K8S005"],
        "the stream is scanned: {}",
        stderr(&out)
    );
    let template = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n";
    let out = run_stdin(bulwark().args(["scan", "-", "--format", "json"]), template);
    let report = json(&out);
    assert_eq!(report["notes"][0]["kind"], "helm-chart", "{report}");
    assert_eq!(report["summary"]["resources"], 0);
}

/// The polaris fixtures of the retired K8S050/K8S051 checks, now the secrets engine's business
/// (docs/peer-oracle.md): real values are found, placeholders and references are not.
#[test]
fn secrets_engine_on_the_retired_checks_peer_fixtures() {
    let base = shared().join("k8s/peer-fixtures/polaris");
    let secret_ids = |file: &str| {
        let out = run(bulwark().arg("scan").arg(base.join(file)).args([
            "--scanners",
            "secret",
            "--format",
            "json",
        ]));
        // The engine's findings, not the secret-hygiene checks (K8S049 and friends).
        let mut found = ids(&json(&out));
        found.retain(|id| !id.starts_with("K8S"));
        found
    };
    for file in [
        "sensitiveContainerEnvVar/failure.key_password.yaml",
        "sensitiveContainerEnvVar/failure.key_aws_secret_access_key.yaml",
        "sensitiveConfigmapContent/failure.key_password.yaml",
    ] {
        assert!(!secret_ids(file).is_empty(), "{file}: a finding");
    }
    for file in [
        "sensitiveContainerEnvVar/success.valid_env_vars.yaml",
        "sensitiveContainerEnvVar/success.sensitive_key_uses_valueFrom.yaml",
        "sensitiveConfigmapContent/success.valid_keys_and_values.yaml",
        // `xxxx` between BEGIN and END lines is a placeholder, not a key.
        "sensitiveConfigmapContent/failure.value_private_key.yaml",
        "sensitiveContainerEnvVar/failure.value_private_key.yaml",
        // `xxxxx` under a sensitive name is a placeholder.
        "sensitiveConfigmapContent/failure.key_aws_secret_access_key.yaml",
    ] {
        assert_eq!(secret_ids(file), Vec::<String>::new(), "{file}: clean");
    }
}

/// The Kubernetes secret-hygiene checks belong to the secret scanner: they run with
/// `--scanners secret` alone, and not with `--scanners misconfig`.
#[test]
fn secret_hygiene_checks_run_with_the_secret_scanner() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(
        dir.path(),
        "secrets.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: x, creationTimestamp: '2026-01-01T00:00:00Z'}\nstringData: {token: Qm8Zx3Lv6Tk1Wp4R}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: b, namespace: y}\nstringData: {api-token: Qm8Zx3Lv6Tk1Wp4R}\n",
    );
    let scan = |extra: &[&str]| {
        let out = run(bulwark()
            .arg("scan")
            .arg(&f)
            .args(["--format", "json"])
            .args(extra));
        let mut got = ids(&json(&out));
        got.sort();
        got.dedup();
        got
    };
    let secret_only = scan(&["--scanners", "secret"]);
    assert!(
        secret_only.contains(&"K8S055".to_string()),
        "{secret_only:?}"
    );
    let misconfig_only = scan(&["--scanners", "misconfig"]);
    assert!(
        misconfig_only.iter().all(|id| id != "K8S055"),
        "{misconfig_only:?}"
    );
    // Created 2026-01-01: older than 30 days on any date this test runs, younger than 100 years.
    assert!(scan(&["--secret-max-age", "30"]).contains(&"K8S056".to_string()));
    assert!(!scan(&["--secret-max-age", "36500"]).contains(&"K8S056".to_string()));
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .expect("git runs (`cargo xtask setup` installs it)");
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
    String::from_utf8(out.stdout)
        .expect("utf8")
        .trim()
        .to_string()
}

/// `--git-history`: secrets deleted since, secrets only on a side branch, and one value kept
/// through several commits (one finding listing them all), all found and redacted.
#[test]
fn git_history_finds_deleted_and_branch_secrets_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path();
    git(repo, &["init", "-q"]);
    let aws = "Zq8vT3kWmP9xQ2rLs7Yt4NcB8hJ5fG2dK6pR1wXe";
    write(repo, "app.env", &format!("AWS_SECRET_ACCESS_KEY={aws}\n"));
    write(repo, "logo.bin", "\0\u{1}binary");
    git(repo, &["add", "."]);
    git(repo, &["commit", "-qm", "add config"]);
    let first = git(repo, &["rev-parse", "HEAD"]);
    write(
        repo,
        "app.env",
        &format!("AWS_SECRET_ACCESS_KEY={aws}\nDEBUG=1\n"),
    );
    git(repo, &["commit", "-qam", "debug"]);
    let second = git(repo, &["rev-parse", "HEAD"]);
    git(repo, &["rm", "-q", "app.env"]);
    git(repo, &["commit", "-qm", "remove the key"]);
    git(repo, &["checkout", "-q", "-b", "side"]);
    write(repo, "deploy/db.py", "DB_PASSWORD = \"Hc3Pw8Ns1Tq6Zb5M\"\n");
    git(repo, &["add", "."]);
    git(repo, &["commit", "-qm", "side work"]);
    let side = git(repo, &["rev-parse", "HEAD"]);
    git(repo, &["checkout", "-q", "main"]);

    let out = run(bulwark()
        .args(["scan", "--format", "json", "--git-history"])
        .arg(repo));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        !text.contains(aws) && !text.contains("Hc3Pw8Ns1Tq6Zb5M"),
        "redacted"
    );
    let report = json(&out);
    let findings = report["findings"].as_array().expect("findings");
    let commits_of = |path: &str| -> Vec<String> {
        let f = findings
            .iter()
            .find(|f| f["location"]["path"] == path)
            .unwrap_or_else(|| panic!("a finding in {path}: {findings:?}"));
        f["commits"]
            .as_array()
            .expect("commits")
            .iter()
            .map(|c| c["commit"].as_str().expect("id").to_string())
            .collect()
    };
    assert_eq!(
        commits_of("app.env"),
        [first, second],
        "one finding, both commits"
    );
    assert_eq!(commits_of("deploy/db.py"), [side]);
    assert_eq!(
        findings
            .iter()
            .filter(|f| f["location"]["path"] == "app.env")
            .count(),
        1
    );
    assert!(
        report["notes"]
            .to_string()
            .contains("1 binary blobs not scanned"),
        "{}",
        report["notes"]
    );
    // Not a repository: a clear error, exit 2.
    let plain = tempfile::tempdir().expect("tempdir");
    let out = run(bulwark().args(["scan", "--git-history"]).arg(plain.path()));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a git repository"),
        "{}",
        stderr(&out)
    );
}

fn zip_bytes(files: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write as _;
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in files {
        z.start_file(*name, opts).expect("zip entry");
        z.write_all(data).expect("zip data");
    }
    z.finish().expect("zip").into_inner()
}

/// Archives are opened (nested ones too) and their files scanned; bombs, binaries and broken
/// archives become notes or errors while the rest of the scan completes.
#[test]
fn archives_are_scanned_inside_with_limits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = "sk_live_4eC39HqLyjWDarjtT1zdp7dcXz9QmLv2";
    let inner = zip_bytes(&[
        ("app/.env", format!("STRIPE_KEY={key}\n").as_bytes()),
        ("logo.png", b"\x89PNG\0\0\0"),
    ]);
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(inner.len() as u64);
    h.set_mode(0o644);
    tar.append_data(&mut h, "release/bundle.zip", inner.as_slice())
        .expect("tar");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &tar.into_inner().expect("tar")).expect("gz");
    std::fs::write(dir.path().join("release.tgz"), gz.finish().expect("gz")).expect("write");
    // 1.5 GiB of zeros in 24 entries: past the 1 GiB expansion budget.
    let zeros = vec![0u8; 64 * 1024 * 1024];
    let names: Vec<String> = (0..24).map(|i| format!("z{i}")).collect();
    let files: Vec<(&str, &[u8])> = names
        .iter()
        .map(|n| (n.as_str(), zeros.as_slice()))
        .collect();
    std::fs::write(dir.path().join("bomb.zip"), zip_bytes(&files)).expect("write");
    drop(zeros);
    std::fs::write(dir.path().join("broken.zip"), b"PK\x03\x04garbage").expect("write");
    write(dir.path(), "plain.env", &format!("STRIPE_KEY={key}x\n"));

    let out = run(bulwark().arg("scan").arg(dir.path()).args([
        "--format",
        "json",
        "--scanners",
        "secret",
    ]));
    assert_eq!(out.status.code(), Some(2), "the broken archive is an error");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(key));
    let report = json(&out);
    let paths = column(&report, "/location/path");
    let tgz = dir.path().join("release.tgz").display().to_string();
    assert!(
        paths.contains(&format!("{tgz}!release/bundle.zip!app/.env")),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(|p| p.ends_with("plain.env")),
        "the rest of the scan completes"
    );
    let notes = report["notes"].to_string();
    assert!(notes.contains("decompression bomb"), "{notes}");
    assert!(notes.contains("1 binary files in the archive"), "{notes}");
    assert!(
        report["errors"]
            .to_string()
            .contains("malformed zip archive"),
        "{}",
        report["errors"]
    );
}

/// Bad input: invalid UTF-8 is scanned as bytes, NUL bytes mark a binary (noted, skipped), an
/// unreadable file is an error, and the rest of the scan completes.
#[test]
fn bad_input_is_noted_and_the_rest_is_scanned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = "ghp_Q8mZ3vLk7TxP2wNr5YbC9hJ4dF6sA1eGu0Kq";
    let mut invalid = b"\xff\xfe\xc3\x28 broken ".to_vec();
    invalid.extend_from_slice(format!("GITHUB_TOKEN={token} ").as_bytes());
    invalid.extend_from_slice(b"\xc3\n");
    std::fs::write(dir.path().join("invalid.txt"), &invalid).expect("write");
    std::fs::write(
        dir.path().join("blob.bin"),
        format!("\0\0{token}").as_bytes(),
    )
    .expect("write");
    let out = run(bulwark()
        .arg("scan")
        .arg(dir.path())
        // /proc/self/mem is a regular file that fails on read: an unreadable file.
        .arg("/proc/self/mem")
        .args(["--format", "json", "--scanners", "secret"]));
    assert_eq!(out.status.code(), Some(2));
    let report = json(&out);
    let found = pairs(&report, "/id", "/location/path");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].1.ends_with("invalid.txt"));
    assert!(report["notes"].to_string().contains("binary file"));
    assert!(
        report["errors"].to_string().contains("/proc/self/mem"),
        "{}",
        report["errors"]
    );
}

/// A 1 GiB file that is one line: streamed in bounded memory (the process may not map even
/// its size), every secret found, at line 1.
#[test]
fn a_one_gigabyte_single_line_is_streamed_in_bounded_memory() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("minified.js");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    let unit = "lorem ipsum dolor sit amet, consectetur adipiscing elit; ".repeat(18_000);
    f.write_all(b"var t='ghp_Q8mZ3vLk7TxP2wNr5YbC9hJ4dF6sA1eGu0Kq';")
        .expect("write");
    let mut written = 0usize;
    let mut middle = false;
    while written < 1 << 30 {
        f.write_all(unit.as_bytes()).expect("write");
        written += unit.len();
        if !middle && written > 300 << 20 {
            f.write_all(b" AWS_SECRET_ACCESS_KEY=Zq8vT3kWmP9xQ2rLs7Yt4NcB8hJ5fG2dK6pR1wXe ")
                .expect("write");
            middle = true;
        }
    }
    f.write_all(b"STRIPE='sk_live_4eC39HqLyjWDarjtT1zdp7dcXz9QmLv2'\n")
        .expect("write");
    f.flush().expect("flush");
    drop(f);
    // 1 GiB of address space in all: reading the file whole would fail.
    let out = run(Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_bulwark"))
        .arg("scan")
        .arg(&path)
        .args(["--max-file-size", "2G", "--format", "json"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    let mut found = pairs(&report, "/id", "/location/line");
    found.sort();
    let line_one = |id: &str| (id.to_string(), "1".to_string());
    assert_eq!(
        found,
        [line_one("AWS002"), line_one("GH001"), line_one("PAY001")]
    );
}

#[test]
fn retired_checks_say_so() {
    let out = run(bulwark().args(["checks", "K8S050"]));
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("K8S050 literal-credential-in-env is retired")
            && text.contains("secret scanner"),
        "{text}"
    );
    // Still accepted where ids are: an old configuration keeps working.
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(dir.path(), "pod.yaml", PRIVILEGED_POD);
    let out = run(bulwark().arg("scan").arg(&f).args(["--skip", "K8S050"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// A real image: secrets in every layer (one deleted by a later layer, still reported and
/// said to be) and in the config, redacted; the inventory equals the image's ground truth.
#[test]
fn images_are_scanned_layer_by_layer_with_their_inventory() {
    let image = shared().join("images/debian-app.oci.tar");
    let out = run(bulwark().arg("scan").arg(&image).args(["--format", "json"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        !text.contains("Tr0ub4dor-FAKE-pw-2024"),
        "the ENV secret is redacted"
    );
    assert!(
        !stderr(&out).contains("reading "),
        "no progress line when stderr is not a terminal"
    );
    let report = json(&out);
    let findings = report["findings"].as_array().expect("findings");
    let find = |path_end: &str, id: &str| {
        findings
            .iter()
            .find(|f| {
                f["id"] == id
                    && f["location"]["path"]
                        .as_str()
                        .is_some_and(|p| p.ends_with(path_end))
            })
            .unwrap_or_else(|| panic!("{id} in {path_end}: {findings:#?}"))
    };
    let deleted = find("!/app/config/deploy_key.pem", "KEY001");
    assert!(
        deleted["location"]["field"]
            .as_str()
            .expect("layer")
            .starts_with("layer 6 ")
    );
    assert!(
        deleted["message"]
            .as_str()
            .expect("message")
            .contains("deleted by a later layer")
    );
    find("!/app/config/server.key", "KEY001");
    find("!/app/config/settings.yaml", "AWS002");
    let env = find("!config", "GEN001");
    assert!(
        env["location"]["field"]
            .as_str()
            .expect("field")
            .starts_with("config.Env[")
    );

    // The inventory, against the ground truth taken from the mounted image.
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(shared().join("images/inventory/debian-app.json"))
            .expect("ground truth"),
    )
    .expect("json");
    let mut expected: Vec<(String, String, String)> = Vec::new();
    for (kind, list) in truth.as_object().expect("object") {
        for p in list.as_array().expect("list") {
            let kind = match kind.as_str() {
                "deb" => "dpkg",
                "python-debian" => "python",
                k => k,
            };
            expected.push((
                format!("{kind} {}", p["name"].as_str().expect("name")),
                p["version"].as_str().expect("version").to_string(),
                p["path"].as_str().expect("path").to_string(),
            ));
        }
    }
    let mut got: Vec<(String, String, String)> = report["images"][0]["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            (
                format!(
                    "{} {}",
                    p["cataloger"].as_str().expect("cataloger"),
                    p["name"].as_str().expect("name")
                ),
                p["version"].as_str().expect("version").to_string(),
                p["location"].as_str().expect("location").to_string(),
            )
        })
        .collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    // The uninstalled package is not in the inventory.
    assert!(!got.iter().any(|(n, v, _)| n == "python py" && v == "1.8.0"));
}

/// Image checks follow the scanners and selections like every check; a docker archive found
/// in a directory is scanned as an image.
#[test]
fn image_checks_and_docker_archives_in_directories() {
    let out = run(bulwark()
        .arg("scan")
        .arg(shared().join("images/debian-app.oci.tar"))
        .args([
            "--format",
            "json",
            "--scanners",
            "misconfig",
            "--skip",
            "IMG006",
        ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut got: Vec<String> = ids(&json(&out))
        .into_iter()
        .filter(|id| id.starts_with("IMG"))
        .collect();
    got.sort();
    assert_eq!(got, ["IMG001", "IMG002"]);

    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        shared().join("images/alpine-base.docker.tar"),
        dir.path().join("alpine.tar"),
    )
    .expect("copy");
    let out = run(bulwark()
        .arg("scan")
        .arg(dir.path())
        .args(["--format", "json"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    let packages = report["images"][0]["packages"]
        .as_array()
        .expect("an image");
    assert_eq!(packages.len(), 15);
    assert!(packages.iter().all(|p| p["cataloger"] == "apk"));
    assert!(packages.iter().any(|p| {
        p["purl"]
            .as_str()
            .is_some_and(|u| u.starts_with("pkg:apk/alpine/musl@1.2.4-r2"))
    }));
    // It runs as `app`: no IMG001.
    assert!(!ids(&report).contains(&"IMG001".to_string()));
}

/// `bulwark sbom`: CycloneDX 1.6 and SPDX 2.3 documents that validate against the official
/// schemas and hold the whole inventory with purls and evidence.
#[test]
fn sboms_validate_against_the_official_schemas() {
    let schemas = shared().join("schemas");
    let cdx = cyclonedx_validator(&shared());
    let spdx = validator(&schemas.join("spdx-2.3/spdx-schema.json"));
    for (image, packages) in [("debian-app.oci.tar", 267), ("distroless-like.oci.tar", 14)] {
        let path = shared().join("images").join(image);
        let out = run(bulwark().arg("sbom").arg(&path));
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let bom = json(&out);
        assert_valid(&cdx, &bom, &format!("{image} CycloneDX"));
        let components = bom["components"].as_array().expect("components");
        assert_eq!(components.len(), packages, "{image}");
        assert!(
            components
                .iter()
                .all(|c| c["purl"].as_str().is_some_and(|p| p.starts_with("pkg:")))
        );
        assert_eq!(bom["metadata"]["component"]["type"], "container");
        assert_eq!(
            bom["dependencies"][0]["dependsOn"]
                .as_array()
                .expect("deps")
                .len(),
            packages
        );

        let out = run(bulwark().arg("sbom").arg(&path).args(["--format", "spdx"]));
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let doc = json(&out);
        assert_valid(&spdx, &doc, &format!("{image} SPDX"));
        assert_eq!(
            doc["packages"].as_array().expect("packages").len(),
            packages + 1
        );
        assert_eq!(
            doc["relationships"]
                .as_array()
                .expect("relationships")
                .iter()
                .filter(|r| r["relationshipType"] == "CONTAINS")
                .count(),
            packages
        );
    }
    // Not an image: a clear error.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(bulwark().arg("sbom").arg(dir.path()));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a container image"),
        "{}",
        stderr(&out)
    );
}

/// Dockerfile checks run on Dockerfiles in a tree and on the ones an image ships.
#[test]
fn dockerfiles_are_checked_in_trees_and_images() {
    let out = run(bulwark()
        .arg("scan")
        .arg(shared().join("images/debian-app.oci.tar"))
        .args(["--format", "json", "--scanners", "misconfig"]));
    let report = json(&out);
    // The Kubernetes manifest the image ships goes through the manifest checks.
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["id"] == "K8S005"
                && f["location"]["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with("!/app/deploy/deployment.yaml"))),
        "privileged container in the shipped manifest"
    );
    let mut df: Vec<String> = ids(&report)
        .into_iter()
        .filter(|id| id.starts_with("DF"))
        .collect();
    df.sort();
    // What the shared image's README lists for /app/Dockerfile, one check each.
    assert_eq!(
        df,
        [
            "DF001", "DF002", "DF003", "DF004", "DF005", "DF006", "DF007", "DF008"
        ]
    );
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "Containerfile",
        "FROM alpine:3.20\nRUN wget -qO- https://x.example/i.sh | sh\nUSER 10001\nENTRYPOINT [\"/app\"]\n",
    );
    let out = run(bulwark()
        .arg("scan")
        .arg(dir.path())
        .args(["--format", "json", "--skip", "DF004"]));
    assert_eq!(ids(&json(&out)), Vec::<String>::new(), "skipped by id");
    let out = run(bulwark()
        .arg("scan")
        .arg(dir.path())
        .args(["--format", "json"]));
    let report = json(&out);
    assert_eq!(ids(&report), ["DF004"]);
    assert_eq!(report["findings"][0]["location"]["line"], 2);
}

/// `--rootfs DIR`: an unpacked file system is inventoried like an image.
#[test]
fn a_root_file_system_is_inventoried() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("rootfs");
    std::fs::create_dir_all(&root).expect("mkdir");
    // Unpack the Alpine image's layers in order (its whiteouts delete nothing the test reads).
    let mut outer = tar::Archive::new(
        std::fs::File::open(shared().join("images/alpine-base.docker.tar")).expect("open"),
    );
    let unpacked = dir.path().join("archive");
    outer.unpack(&unpacked).expect("unpack");
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(unpacked.join("manifest.json")).expect("manifest"),
    )
    .expect("json");
    for layer in manifest[0]["Layers"].as_array().expect("layers") {
        let f = std::fs::File::open(unpacked.join(layer.as_str().expect("path"))).expect("layer");
        let mut a = tar::Archive::new(f);
        // Keep the sticky bit of /tmp, or the unpacked tree would have a world-writable one.
        a.set_preserve_permissions(true);
        for e in a.entries().expect("entries") {
            let mut e = e.expect("entry");
            let name = e.path().expect("path").to_string_lossy().to_string();
            if name
                .rsplit('/')
                .next()
                .is_some_and(|n| n.starts_with(".wh."))
            {
                continue;
            }
            let _ = e.unpack_in(&root);
        }
    }
    let out = run(bulwark()
        .args(["scan", "--format", "json", "--rootfs"])
        .arg(&root));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    let packages = report["images"][0]["packages"]
        .as_array()
        .expect("packages");
    assert_eq!(packages.len(), 15);
    assert_eq!(report["images"][0]["platform"], "rootfs");
    // The stock openssl.cnf's commented-out `input_password = secret` is not a finding.
    assert_eq!(ids(&report), Vec::<String>::new());
    let out = run(bulwark()
        .args(["scan", "--rootfs"])
        .arg(root.join("etc/os-release")));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a directory"));
}

/// A real registry (the CNCF distribution registry, Debian's `docker-registry`) on loopback,
/// stopped when dropped.
struct Registry {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Registry {
    /// Starts one, with basic authentication for `user:password` when given.
    fn start(auth: Option<(&str, &str)>) -> Registry {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("a free port")
            .local_addr()
            .expect("addr")
            .port();
        let mut config = format!(
            "version: 0.1\nlog: {{level: error}}\nstorage:\n  filesystem: {{rootdirectory: {}}}\nhttp: {{addr: \"127.0.0.1:{port}\"}}\n",
            dir.path().join("data").display()
        );
        if let Some((user, password)) = auth {
            let out = Command::new("htpasswd")
                .args(["-Bbn", user, password])
                .output()
                .expect("htpasswd runs (`cargo xtask setup` installs apache2-utils)");
            std::fs::write(dir.path().join("htpasswd"), &out.stdout).expect("write");
            config.push_str(&format!(
                "auth:\n  htpasswd: {{realm: test, path: {}}}\n",
                dir.path().join("htpasswd").display()
            ));
        }
        std::fs::write(dir.path().join("config.yml"), config).expect("write");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(dir.path().join("config.yml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry runs (`cargo xtask setup` installs it)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Registry {
            child,
            port,
            _dir: dir,
        }
    }

    /// Pushes an OCI archive as `repo:tag` with skopeo.
    fn push(&self, archive: &Path, repo: &str, creds: Option<&str>) -> String {
        let reference = format!("127.0.0.1:{}/{repo}", self.port);
        let mut cmd = Command::new("skopeo");
        cmd.args(["copy", "--dest-tls-verify=false"]);
        if let Some(c) = creds {
            cmd.args(["--dest-creds", c]);
        }
        let out = cmd
            .arg(format!("oci-archive:{}", archive.display()))
            .arg(format!("docker://{reference}"))
            .output()
            .expect("skopeo runs (`cargo xtask setup` installs it)");
        assert!(out.status.success(), "skopeo: {}", stderr(&out));
        reference
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Images pulled from a real registry on loopback: anonymous and with basic authentication
/// from an auth file; the result equals scanning the archive.
#[test]
fn images_are_pulled_from_registries() {
    let archive = shared().join("images/alpine-base.oci.tar");
    let local = json(&run(bulwark()
        .arg("scan")
        .arg(&archive)
        .args(["--format", "json"])));
    let registry = Registry::start(None);
    let reference = registry.push(&archive, "shop/alpine:3", None);
    let out = run(bulwark().arg("scan").arg(&reference).args([
        "--insecure-registry",
        "--format",
        "json",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let pulled = json(&out);
    assert_eq!(
        pulled["images"][0]["id"], local["images"][0]["id"],
        "same config digest"
    );
    assert_eq!(
        pulled["images"][0]["packages"],
        local["images"][0]["packages"]
    );
    assert_eq!(ids(&pulled), ids(&local));

    // Basic authentication: refused without credentials, pulled with the auth file's.
    let private = Registry::start(Some(("robot", "s3cret-Pw")));
    let reference = private.push(&archive, "private/alpine:3", Some("robot:s3cret-Pw"));
    let out = run(bulwark()
        .arg("scan")
        .arg(&reference)
        .args(["--insecure-registry", "--format", "json"])
        .env("REGISTRY_AUTH_FILE", "/nonexistent"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        json(&out)["errors"]
            .to_string()
            .contains("needs credentials"),
        "{}",
        stderr(&out)
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let auth = write(
        dir.path(),
        "auth.json",
        &format!(
            r#"{{"auths":{{"127.0.0.1:{}":{{"auth":"cm9ib3Q6czNjcmV0LVB3"}}}}}}"#,
            private.port
        ),
    );
    let out = run(bulwark()
        .arg("scan")
        .arg(&reference)
        .args(["--insecure-registry", "--format", "json"])
        .env("REGISTRY_AUTH_FILE", &auth));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        json(&out)["images"][0]["packages"]
            .as_array()
            .expect("packages")
            .len(),
        15
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("s3cret"));
}

/// A token service for the registry's bearer authentication, written for the test: the
/// distribution project ships none (production uses an identity provider). It signs RS256
/// JWTs with `openssl`, grants what is asked to `robot:s3cret-Pw`, and counts its calls.
struct FakeTokenService {
    port: u16,
    calls: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

fn base64url(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

impl FakeTokenService {
    fn start(dir: &Path) -> FakeTokenService {
        let key = dir.join("key.pem");
        let cert = dir.join("cert.pem");
        let ok = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=token",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .expect("openssl runs");
        assert!(ok.status.success(), "{}", stderr(&ok));
        let der = Command::new("openssl")
            .args(["x509", "-outform", "DER", "-in"])
            .arg(&cert)
            .output()
            .expect("openssl runs")
            .stdout;
        let x5c = {
            use std::io::Write as _;
            let mut enc = Vec::new();
            // Standard base64 for x5c.
            let mut child = Command::new("base64")
                .arg("-w0")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("base64 runs");
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(&der)
                .expect("write");
            std::io::Read::read_to_end(&mut child.stdout.take().expect("stdout"), &mut enc)
                .expect("read");
            child.wait().expect("wait");
            String::from_utf8(enc).expect("ascii")
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = std::sync::Arc::clone(&calls);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut stream = stream;
                let mut buf = [0u8; 8192];
                let n = std::io::Read::read(&mut stream, &mut buf).unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).to_string();
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let authorized = request.contains("Basic cm9ib3Q6czNjcmV0LVB3");
                let query = request
                    .split_whitespace()
                    .nth(1)
                    .and_then(|p| p.split_once('?'))
                    .map(|(_, q)| q.to_string())
                    .unwrap_or_default();
                let scope = query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("scope="))
                    .map(|s| {
                        s.replace("%3A", ":")
                            .replace("%2F", "/")
                            .replace("%2C", ",")
                    })
                    .unwrap_or_default();
                let mut access = Vec::new();
                if authorized {
                    let parts: Vec<&str> = scope.splitn(3, ':').collect();
                    if parts.len() == 3 {
                        let actions: Vec<String> =
                            parts[2].split(',').map(|a| format!("\"{a}\"")).collect();
                        access.push(format!(
                            r#"{{"type":"{}","name":"{}","actions":[{}]}}"#,
                            parts[0],
                            parts[1],
                            actions.join(",")
                        ));
                    }
                }
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("clock")
                    .as_secs();
                let header = format!(r#"{{"alg":"RS256","typ":"JWT","x5c":["{x5c}"]}}"#);
                let claims = format!(
                    r#"{{"iss":"test-issuer","sub":"robot","aud":"test-registry","exp":{},"nbf":{},"iat":{},"jti":"{}","access":[{}]}}"#,
                    now + 300,
                    now - 10,
                    now,
                    now,
                    access.join(",")
                );
                let signing_input = format!(
                    "{}.{}",
                    base64url(header.as_bytes()),
                    base64url(claims.as_bytes())
                );
                let mut sign = Command::new("openssl")
                    .args(["dgst", "-sha256", "-sign"])
                    .arg(&key)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .expect("openssl runs");
                {
                    use std::io::Write as _;
                    sign.stdin
                        .take()
                        .expect("stdin")
                        .write_all(signing_input.as_bytes())
                        .expect("write");
                }
                let signature = sign.wait_with_output().expect("signature").stdout;
                let body = format!(r#"{{"token":"{signing_input}.{}"}}"#, base64url(&signature));
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = std::io::Write::write_all(&mut stream, response.as_bytes());
            }
        });
        FakeTokenService { port, calls }
    }
}

/// Bearer-token authentication: the real registry sends us to the token service named in its
/// challenge; the token it issues (for the auth file's credentials) opens the pull.
#[test]
fn registries_with_token_authentication() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tokens = FakeTokenService::start(dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let config = format!(
        "version: 0.1\nlog: {{level: error}}\nstorage:\n  filesystem: {{rootdirectory: {data}}}\nhttp: {{addr: \"127.0.0.1:{port}\"}}\nauth:\n  token:\n    realm: http://127.0.0.1:{tp}/token\n    service: test-registry\n    issuer: test-issuer\n    rootcertbundle: {cert}\n",
        data = dir.path().join("data").display(),
        tp = tokens.port,
        cert = dir.path().join("cert.pem").display()
    );
    std::fs::write(dir.path().join("config.yml"), config).expect("write");
    let mut child = Command::new("docker-registry")
        .arg("serve")
        .arg(dir.path().join("config.yml"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("docker-registry runs");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let reference = format!("127.0.0.1:{port}/tokened/alpine:3");
    let push = Command::new("skopeo")
        .args([
            "copy",
            "--dest-tls-verify=false",
            "--dest-creds",
            "robot:s3cret-Pw",
        ])
        .arg(format!(
            "oci-archive:{}",
            shared().join("images/alpine-base.oci.tar").display()
        ))
        .arg(format!("docker://{reference}"))
        .output()
        .expect("skopeo runs");
    assert!(push.status.success(), "skopeo: {}", stderr(&push));
    let before = tokens.calls.load(std::sync::atomic::Ordering::SeqCst);
    let auth = write(
        dir.path(),
        "auth.json",
        &format!(r#"{{"auths":{{"127.0.0.1:{port}":{{"auth":"cm9ib3Q6czNjcmV0LVB3"}}}}}}"#),
    );
    let out = run(bulwark()
        .arg("scan")
        .arg(&reference)
        .args(["--insecure-registry", "--format", "json"])
        .env("REGISTRY_AUTH_FILE", &auth));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        json(&out)["images"][0]["packages"]
            .as_array()
            .expect("packages")
            .len(),
        15
    );
    assert!(
        tokens.calls.load(std::sync::atomic::Ordering::SeqCst) > before,
        "bulwark asked the token service"
    );
}

/// zstd-compressed layers (converted by skopeo from the shared gzip image) read like gzip ones.
#[test]
fn zstd_layers_are_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = dir.path().join("zstd");
    let out = Command::new("skopeo")
        .args(["copy", "--dest-compress-format", "zstd", "--dest-compress"])
        .arg(format!(
            "oci-archive:{}",
            shared().join("images/alpine-base.oci.tar").display()
        ))
        .arg(format!("oci:{}:alpine", layout.display()))
        .output()
        .expect("skopeo runs (`cargo xtask setup` installs it)");
    assert!(out.status.success(), "skopeo: {}", stderr(&out));
    let index = std::fs::read_to_string(layout.join("index.json")).expect("index");
    let manifest_digest =
        serde_json::from_str::<Value>(&index).expect("json")["manifests"][0]["digest"]
            .as_str()
            .expect("digest")
            .trim_start_matches("sha256:")
            .to_string();
    let manifest = std::fs::read_to_string(layout.join("blobs/sha256").join(manifest_digest))
        .expect("manifest");
    assert!(manifest.contains("tar+zstd"), "{manifest}");
    let out = run(bulwark()
        .arg("scan")
        .arg(&layout)
        .args(["--format", "json"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        json(&out)["images"][0]["packages"]
            .as_array()
            .expect("packages")
            .len(),
        15
    );
}
