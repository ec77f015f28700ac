//! Project automation beyond plain cargo: code generation, fuzzing, benchmarks and the CI entry
//! point. Run `cargo xtask help`.

mod bench;
mod bench_audit;
mod bench_cluster;
mod bench_image;
mod bench_secrets;
mod bench_sensor;
mod bench_vuln;
mod codegen;
mod demo_image;
mod ebpf;
mod measure;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

const USAGE: &str = "\
cargo xtask <task>

Tasks:
  ci                 the whole test suite, as CI runs it: installs what it needs, then
                     fmt, clippy, docs, tests (with generated-file checks) and a fuzz smoke run
  codegen [--check]  regenerate docs/checks/*.md and docs/report.schema.json
                     (--check: fail if they are stale instead of writing)
  demo-image [--check] build examples/demo/shop-api.oci.tar from xtask/demo-image
                     (--check: fail if the committed archive is stale)
  ebpf [--check]     rebuild crates/bulwark-sensor/bpf/sensor.bpf.o with clang
                     (--check: fail if the committed object is stale)
  fuzz [--seconds N] [--target T]
                     run a cargo-fuzz target (manifest_loader, secret_scanner,
                     secret_rules, archive, image_layer, catalogers, advisories,
                     vex_sbom, versions, cluster_analyses, runtime_rules;
                     default manifest_loader, 60 s)
  bench [--runs N]   benchmark bulwark against checkov and update docs/BENCHMARKS.md
  bench-image [--runs N]
                     benchmark an image scan against the gzip -dc floor, and memory on a
                     generated multi-gigabyte image
  bench-secrets [--runs N]
                     benchmark the secret scanner against Kingfisher and Betterleaks
                     (accuracy on ../shared/secrets, throughput on local source trees)
  bench-vuln [--runs N]
                     benchmark vulnerability scanning: importing ../shared/vulndata, matching
                     an inventory in process, and an image scan against the gzip -dc floor
  bench-cluster [--runs N]
                     benchmark reachability and RBAC analysis of a generated cluster (5,000
                     pods, 100 namespaces, 1,000 NetworkPolicies, 500 bindings)
  bench-sensor [--runs N]
                     (root) the runtime sensor's overhead on an exec loop, open loops and a
                     build, each without and with the sensor
  bench-audit [--runs N]
                     audit-log detection: events per second on one core through the rules,
                     and the webhook's latency at 1,000 events per second
  setup              install what the test suite needs (cargo-fuzz; Debian packages as root)
";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    std::env::set_current_dir(&root).context("entering the project root")?;
    let Some(task) = args.first() else {
        print!("{USAGE}");
        return Ok(());
    };
    let rest = &args[1..];
    match task.as_str() {
        "ci" => ci(),
        "codegen" => codegen::run(&root, rest.iter().any(|a| a == "--check")),
        "demo-image" => demo_image::run(&root, rest.iter().any(|a| a == "--check")),
        "ebpf" => ebpf::run(&root, rest.iter().any(|a| a == "--check")),
        "fuzz" => {
            let seconds = flag_value(rest, "--seconds")?.unwrap_or(60);
            let target = flag_str(rest, "--target").unwrap_or("manifest_loader");
            fuzz(target, seconds)
        }
        "bench" => bench::run(&root, flag_value(rest, "--runs")?.unwrap_or(5)),
        "bench-image" => bench_image::run(&root, flag_value(rest, "--runs")?.unwrap_or(5)),
        "bench-secrets" => bench_secrets::run(&root, flag_value(rest, "--runs")?.unwrap_or(3)),
        "bench-vuln" => bench_vuln::run(&root, flag_value(rest, "--runs")?.unwrap_or(3)),
        "bench-cluster" => bench_cluster::run(&root, flag_value(rest, "--runs")?.unwrap_or(3)),
        "bench-sensor" => bench_sensor::run(&root, flag_value(rest, "--runs")?.unwrap_or(3)),
        "bench-audit" => bench_audit::run(&root, flag_value(rest, "--runs")?.unwrap_or(3)),
        // Internal to bench-vuln, which runs it from a release build: times the matcher.
        "bench-vuln-match" => bench_vuln::match_child(rest),
        "setup" => setup(),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown task {other:?}\n\n{USAGE}"),
    }
}

fn flag_str<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn flag_value(args: &[String], name: &str) -> anyhow::Result<Option<u64>> {
    flag_str(args, name)
        .map(|v| {
            v.parse()
                .with_context(|| format!("{name} needs a number, not {v:?}"))
        })
        .transpose()
}

/// The workspace root (the parent of this crate's directory).
///
/// # Panics
/// Never: xtask is always built inside the workspace.
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}

/// Runs a command, echoing it, and fails if it fails.
pub fn run(cmd: &mut Command) -> anyhow::Result<()> {
    eprintln!("xtask: $ {}", show(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("starting {}", show(cmd)))?;
    if !status.success() {
        bail!("{} failed with {status}", show(cmd));
    }
    Ok(())
}

fn show(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().to_string();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string()))
}

/// Debian packages the suite needs, each with a shell command that succeeds when it is already
/// there: a C++ compiler for libFuzzer, git for the `--git-history` tests, a registry, skopeo
/// and htpasswd for the registry-pull tests, rpm (rpmbuild) to build a real RPM database,
/// dpkg and Python's `packaging` and `yaml` for the independent vulnerability oracle and the
/// dpkg ordering property test.
const APT_PACKAGES: &[(&str, &str)] = &[
    ("g++", "command -v g++"),
    ("git", "command -v git"),
    ("rpm", "command -v rpmbuild"),
    ("docker-registry", "command -v docker-registry"),
    ("skopeo", "command -v skopeo"),
    ("apache2-utils", "command -v htpasswd"),
    ("dpkg", "command -v dpkg"),
    (
        "python3-packaging",
        "/usr/bin/python3 -c 'import packaging'",
    ),
    ("python3-yaml", "/usr/bin/python3 -c 'import yaml'"),
    // The sensor's BPF object (`cargo xtask ebpf`): clang, llvm-strip, libbpf's headers,
    // <asm/types.h>; bpftool to inspect objects and dump kernel BTF.
    ("clang", "command -v clang"),
    ("llvm", "command -v llvm-strip"),
    ("libbpf-dev", "test -f /usr/include/bpf/bpf_helpers.h"),
    (
        "linux-libc-dev",
        "test -f /usr/include/x86_64-linux-gnu/asm/types.h",
    ),
    ("bpftool", "command -v bpftool"),
    // The sensor's container tests: podman with runc (crun fails on this kind of machine's
    // hybrid cgroups), overlay storage under a private root.
    ("podman", "command -v podman"),
    ("runc", "command -v runc"),
    // The audit webhook's end-to-end test: certificates made with openssl, batches POSTed by
    // curl with a client certificate, as the API server would.
    ("openssl", "command -v openssl"),
    ("curl", "command -v curl"),
];

/// The cargo-fuzz release the fuzz task uses.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

fn setup() -> anyhow::Result<()> {
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .filter(|(_, command)| {
            !Command::new("sh")
                .args(["-c", command])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(|(package, _)| *package)
        .collect();
    if !missing.is_empty() {
        run(Command::new("apt-get").args(["update", "-q"]))?;
        run(Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"))?;
    }
    let has_fuzz = cargo()
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_fuzz {
        run(cargo().args([
            "install",
            "cargo-fuzz",
            "--locked",
            "--version",
            CARGO_FUZZ_VERSION,
        ]))?;
    }
    Ok(())
}

fn ci() -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    setup()?;
    run(cargo().args(["fmt", "--all", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cargo()
        .args(["doc", "--workspace", "--no-deps", "--locked"])
        .env("RUSTDOCFLAGS", "-D warnings"))?;
    // CI=true keeps insta from writing snapshots: a changed snapshot is a failure.
    run(cargo()
        .args(["test", "--workspace", "--locked"])
        .env("CI", "true"))?;
    for (target, seconds) in FUZZ_SMOKE {
        fuzz(target, *seconds)?;
    }
    eprintln!(
        "xtask: ci passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The fuzz targets CI runs, and for how long (seconds).
const FUZZ_SMOKE: &[(&str, u64)] = &[
    ("manifest_loader", 40),
    ("secret_scanner", 25),
    ("secret_rules", 15),
    ("archive", 15),
    ("image_layer", 20),
    ("catalogers", 20),
    ("advisories", 20),
    ("vex_sbom", 20),
    ("versions", 15),
    ("cluster_analyses", 20),
    ("runtime_rules", 20),
    ("audit_decode", 15),
];

/// Seed directories per target: the project's fixtures and the shared data, read in place
/// (never copied).
fn fuzz_seeds(target: &str) -> &'static [&'static str] {
    match target {
        "secret_scanner" => &[
            "examples/demo",
            "../shared/secrets/k8s-config-corpus/files/auth-proxy",
        ],
        "secret_rules" => &["crates/bulwark-secrets/rules"],
        "archive" => &["../shared/images"],
        // Versions are short: the long fixture files would only slow every run down.
        "image_layer" | "catalogers" | "versions" => &[],
        "advisories" => &[
            "../shared/vulndata/osv/kubernetes",
            "../shared/vulndata/osv-yaml/PyPI/aiohttp",
        ],
        "vex_sbom" => &["crates/bulwark-image/tests/data/sbom"],
        "runtime_rules" => &[
            "crates/bulwark-sensor/rules",
            "crates/bulwark-audit/rules",
            "../shared/runtime/falco-0.35.1-tests/rules",
        ],
        "audit_decode" => &[
            "crates/bulwark-audit/rules",
            "../shared/runtime/falco-0.35.1-tests/trace_files/k8s_audit",
        ],
        "cluster_analyses" => &[
            "../shared/k8s/netpol-conformance/tests/anp_banp_blog_demo",
            "../shared/k8s/netpol-conformance/tests/ipblockstest",
            "../shared/k8s/netpol-conformance/tests/acs-security-demos",
            "../shared/k8s/real-world/microservices-demo",
            "../shared/k8s/real-world/kube-prometheus",
        ],
        _ => &[
            "crates/bulwark-checks/tests/fixtures",
            "examples/demo",
            "../shared/k8s/peer-fixtures/kube-linter",
        ],
    }
}

/// Runs a fuzz target for `seconds`, seeded with [`fuzz_seeds`].
fn fuzz(target: &str, seconds: u64) -> anyhow::Result<()> {
    setup()?;
    let corpus = Path::new("fuzz/corpus").join(target);
    std::fs::create_dir_all(&corpus).context("creating the fuzz corpus directory")?;
    let mut cmd = cargo();
    // cargo-fuzz passes nightly-only flags; this stable toolchain accepts them with
    // RUSTC_BOOTSTRAP (the machine has no nightly toolchain).
    cmd.env("RUSTC_BOOTSTRAP", "1")
        .args(["fuzz", "run", target, "--release", "--"])
        .arg(&corpus);
    for seed in fuzz_seeds(target) {
        if Path::new(seed).is_dir() {
            cmd.arg(seed);
        }
    }
    cmd.args([
        format!("-max_total_time={seconds}"),
        "-max_len=65536".to_string(),
        "-rss_limit_mb=2048".to_string(),
        "-print_final_stats=1".to_string(),
    ]);
    run(&mut cmd)
}
