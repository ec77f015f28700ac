//! `cargo xtask bench-vuln`: vulnerability scanning against the targets, in one run.
//!
//! - **Import**: every advisory set in `../shared/vulndata` (Go, crates.io, Kubernetes, PyPI as
//!   YAML, Debian 12 as an osv.dev-style zip) into a fresh database with one release
//!   `bulwark db import`; best wall time of N runs and the largest peak RSS. Target: under 10 s.
//! - **Matching**: debian-app's inventory (from `bulwark scan --scanners misconfig -f json`)
//!   against the whole database, in process through `bulwark_vuln::matcher::scan`, after the
//!   database is open: the first call (SQLite's caches cold) and the median of 20 more. It runs
//!   in a release build of xtask (the hidden task `bench-vuln-match`), so the figure is the
//!   optimised library's, not a debug build's. Target: under 50 ms.
//! - **Scan**: `bulwark scan IMAGE --scanners vuln -f json -o /dev/null` against the
//!   decompression floor measured in the same run (`gzip -dc` over each gzip layer blob,
//!   extracted from the archive beforehand, so the floor is decompression alone); best of N
//!   each. Target: within 1.5× the floor. The default scanners and an inventory-only scan are
//!   timed as well, to show where the time goes.
//! - **Peers**: trivy, grype or osv-scanner, whichever is on the `PATH`, on the same image.
//!
//! The Markdown section is printed and replaces (or is appended as) the section of
//! docs/BENCHMARKS.md under [`HEADING`].

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context as _, bail};
use bulwark_model::Package;
use bulwark_vuln::db::Database;
use bulwark_vuln::matcher;

use crate::measure::{self, median};
use crate::run as run_cmd;

/// The heading of this benchmark's section in docs/BENCHMARKS.md.
const HEADING: &str = "## Vulnerability scanning (`cargo xtask bench-vuln`)";

/// The advisory sets imported, relative to `../shared/vulndata`.
const SOURCES: &[&str] = &[
    "osv/Go",
    "osv/crates.io",
    "osv/kubernetes",
    "osv-yaml/PyPI",
    "osv-zip/Debian-12-all.zip",
];

/// Calls of the matcher timed after the first.
const MATCH_RUNS: u64 = 20;

/// Targets from the issue.
const IMPORT_TARGET_S: f64 = 10.0;
const MATCH_TARGET_MS: f64 = 50.0;
const SCAN_TARGET_RATIO: f64 = 1.5;

/// The vulnerability scanners a peer ratio could come from, as `command -v` finds them.
const PEERS: &[&str] = &["trivy", "grype", "osv-scanner"];

fn best(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn verdict(pass: bool) -> &'static str {
    if pass { "PASS" } else { "FAIL" }
}

/// Wall seconds and peak RSS (MB) of one run of a command. Exit status 1 (the scanners' "found
/// something") is not a failure.
fn timed(cmd: &Command, times: &Path) -> anyhow::Result<(f64, f64)> {
    let m = measure::timed(cmd, times, |code| matches!(code, 0 | 1))?;
    Ok((m.wall, m.rss_mb))
}

/// Best wall time and largest peak RSS of `runs` runs.
fn best_of(cmd: &Command, times: &Path, runs: u64) -> anyhow::Result<(f64, f64)> {
    let (mut walls, mut peak) = (Vec::new(), 0.0_f64);
    for _ in 0..runs.max(1) {
        let (wall, rss) = timed(cmd, times)?;
        walls.push(wall);
        peak = peak.max(rss);
    }
    Ok((best(&walls), peak))
}

/// Writes every gzip blob of the OCI archive `image` to `dir`, returning their paths and
/// compressed size.
fn extract_layers(image: &Path, dir: &Path) -> anyhow::Result<(Vec<PathBuf>, u64)> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("emptying {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)?;
    let file =
        std::fs::File::open(image).with_context(|| format!("opening {}", image.display()))?;
    let mut archive = tar::Archive::new(file);
    let (mut layers, mut bytes) = (Vec::new(), 0);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        if !path.starts_with("blobs") || !entry.header().entry_type().is_file() {
            continue;
        }
        let mut blob = Vec::new();
        entry.read_to_end(&mut blob)?;
        if !blob.starts_with(&[0x1f, 0x8b]) {
            continue;
        }
        let name = path.file_name().context("a blob without a name")?;
        let out = dir.join(name);
        std::fs::write(&out, &blob)?;
        bytes += blob.len() as u64;
        layers.push(out);
    }
    if layers.is_empty() {
        bail!("{} has no gzip layers", image.display());
    }
    Ok((layers, bytes))
}

/// Seconds `gzip -dc` takes over every layer, one process per layer, added up.
fn gzip_floor(layers: &[PathBuf]) -> anyhow::Result<f64> {
    let mut total = 0.0;
    for layer in layers {
        let started = Instant::now();
        let status = Command::new("gzip")
            .arg("-dc")
            .arg(layer)
            .stdout(Stdio::null())
            .status()
            .context("running gzip")?;
        total += started.elapsed().as_secs_f64();
        if !status.success() {
            bail!("gzip -dc {} failed: {status}", layer.display());
        }
    }
    Ok(total)
}

/// The peers on the `PATH`.
fn installed_peers() -> Vec<(&'static str, PathBuf)> {
    PEERS
        .iter()
        .filter_map(|name| {
            let out = Command::new("sh")
                .args(["-c", &format!("command -v {name}")])
                .output()
                .ok()?;
            let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
            (out.status.success() && !path.is_empty()).then(|| (*name, PathBuf::from(path)))
        })
        .collect()
}

/// How a peer scans an OCI archive for vulnerabilities, offline, with JSON output (which each
/// discards): each uses whatever database it already has.
fn peer_command(name: &str, program: &Path, image: &Path) -> Command {
    let mut c = Command::new(program);
    match name {
        "trivy" => {
            c.args([
                "image",
                "--scanners",
                "vuln",
                "--skip-db-update",
                "--offline-scan",
            ])
            .args(["--format", "json", "--output", "/dev/null", "--input"])
            .arg(image);
        }
        "grype" => {
            c.arg(format!("oci-archive:{}", image.display()))
                .args(["-o", "json", "--file", "/dev/null"])
                .env("GRYPE_DB_AUTO_UPDATE", "false");
        }
        _ => {
            c.args(["scan", "image", "--format", "json", "--archive"])
                .arg(image);
        }
    }
    c
}

fn rustc_version() -> String {
    Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string()))
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "rustc (version unknown)".to_string())
}

/// The one-minute load average, from `/proc/loadavg`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

/// What the hidden task `bench-vuln-match` measured.
struct MatchTimes {
    packages: u64,
    findings: u64,
    open_ms: f64,
    first_ms: f64,
    median_ms: f64,
    min_ms: f64,
    max_ms: f64,
    /// Distinct (ecosystem, name) keys looked up.
    keys: u64,
    /// `Database::ecosystem_names`, which `matcher::scan` calls first (median).
    ecosystems_ms: f64,
    /// `Database::affected` for every key, rows decoded (median).
    lookups_ms: f64,
}

/// Runs the matching benchmark in the release build of xtask (built by [`run`]) and reads its
/// JSON line.
fn measure_matching(root: &Path, db: &Path, report: &Path) -> anyhow::Result<MatchTimes> {
    let exe = root.join("target/release/xtask");
    let out = Command::new(&exe)
        .arg("bench-vuln-match")
        .arg("--db")
        .arg(db)
        .arg("--report")
        .arg(report)
        .args(["--runs", &MATCH_RUNS.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running {}", exe.display()))?;
    if !out.status.success() {
        bail!("xtask bench-vuln-match failed: {}", out.status);
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("reading bench-vuln-match's JSON")?;
    let int = |k: &str| v[k].as_u64().with_context(|| format!("{k} in {v}"));
    let float = |k: &str| v[k].as_f64().with_context(|| format!("{k} in {v}"));
    Ok(MatchTimes {
        packages: int("packages")?,
        findings: int("findings")?,
        open_ms: float("open_ms")?,
        first_ms: float("first_ms")?,
        median_ms: float("median_ms")?,
        min_ms: float("min_ms")?,
        max_ms: float("max_ms")?,
        keys: int("keys")?,
        ecosystems_ms: float("ecosystems_ms")?,
        lookups_ms: float("lookups_ms")?,
    })
}

/// The hidden task `bench-vuln-match --db PATH --report REPORT.json [--runs N]`: opens the
/// database once, then times `matcher::scan` over `images[0].packages` of the report: the first
/// call and `N` more. Prints one JSON object on stdout.
pub fn match_child(args: &[String]) -> anyhow::Result<()> {
    let db_path = crate::flag_str(args, "--db").context("bench-vuln-match needs --db PATH")?;
    let report =
        crate::flag_str(args, "--report").context("bench-vuln-match needs --report PATH")?;
    let runs = crate::flag_value(args, "--runs")?.unwrap_or(MATCH_RUNS);
    if cfg!(debug_assertions) {
        eprintln!("xtask: warning: bench-vuln-match is a debug build; its times mean little");
    }
    let text = std::fs::read_to_string(report).with_context(|| format!("reading {report}"))?;
    let mut v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {report}"))?;
    let packages: Vec<Package> = serde_json::from_value(v["images"][0]["packages"].take())
        .with_context(|| format!("reading images[0].packages of {report}"))?;

    let started = Instant::now();
    let db = Database::open(Path::new(db_path)).with_context(|| format!("opening {db_path}"))?;
    let open_ms = started.elapsed().as_secs_f64() * 1000.0;

    let started = Instant::now();
    let (findings, stats) =
        matcher::scan(&[&db], &packages, "debian-app.oci.tar").context("matching the inventory")?;
    let first_ms = started.elapsed().as_secs_f64() * 1000.0;

    let mut warm = Vec::new();
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let (again, _) = matcher::scan(&[&db], &packages, "debian-app.oci.tar")
            .context("matching the inventory")?;
        warm.push(started.elapsed().as_secs_f64() * 1000.0);
        if again.len() != findings.len() {
            bail!(
                "matching is not deterministic: {} findings, then {}",
                findings.len(),
                again.len()
            );
        }
    }
    let min_ms = best(&warm);
    let max_ms = warm.iter().copied().fold(0.0, f64::max);

    // Stages, to show where matching spends its time: the ecosystem list it starts with, and
    // the lookups of each distinct package key (with the decoding of their rows).
    let keys: BTreeSet<(String, String)> = packages
        .iter()
        .filter_map(matcher::lookup_key)
        .map(|k| (k.ecosystem, k.name))
        .collect();
    let (mut ecosystems, mut lookups) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        db.ecosystem_names().context("listing the ecosystems")?;
        ecosystems.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        for (ecosystem, name) in &keys {
            db.affected(ecosystem, name)
                .with_context(|| format!("looking up {ecosystem}/{name}"))?;
        }
        lookups.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "{}",
        serde_json::json!({
            "packages": stats.packages,
            "findings": findings.len(),
            "open_ms": open_ms,
            "first_ms": first_ms,
            "median_ms": median(warm),
            "min_ms": min_ms,
            "max_ms": max_ms,
            "keys": keys.len(),
            "ecosystems_ms": median(ecosystems),
            "lookups_ms": median(lookups),
        })
    );
    Ok(())
}

#[allow(clippy::too_many_lines)] // one benchmark, stage after stage, then its report
pub fn run(root: &Path, runs: u64) -> anyhow::Result<()> {
    let runs = runs.max(1);
    let shared = root.join("../shared");
    let image = shared.join("images/debian-app.oci.tar");
    if !image.is_file() {
        bail!("the benchmark reads ../shared/images/debian-app.oci.tar, which is missing");
    }
    let sources: Vec<PathBuf> = SOURCES
        .iter()
        .map(|s| shared.join("vulndata").join(s))
        .collect();
    if let Some(missing) = sources.iter().find(|s| !s.exists()) {
        bail!(
            "the benchmark reads {}, which is missing",
            missing.display()
        );
    }
    run_cmd(crate::cargo().args(["build", "--release", "--locked", "-p", "bulwark"]))?;
    // Matching is timed in a release xtask (see `measure_matching`), built separately so the
    // bulwark binary keeps its own features.
    run_cmd(crate::cargo().args(["build", "--release", "--locked", "-p", "xtask"]))?;
    let load_before = load_average();
    let bulwark = root.join("target/release/bulwark");
    let work = root.join("target/bench-vuln");
    std::fs::create_dir_all(&work)?;
    let times = work.join("time.txt");
    let db_dir = work.join("db");
    let db = db_dir.join("advisories.db");

    // 1. Import, into a fresh database every time.
    let mut import = Command::new(&bulwark);
    import
        .args(["db", "import", "--db"])
        .arg(&db)
        .args(&sources);
    eprintln!("xtask: $ {} (x{runs})", crate::show(&import));
    let (mut import_walls, mut import_rss) = (Vec::new(), 0.0_f64);
    for _ in 0..runs {
        if db_dir.exists() {
            std::fs::remove_dir_all(&db_dir)?;
        }
        std::fs::create_dir_all(&db_dir)?;
        let (wall, rss) = timed(&import, &times)?;
        import_walls.push(wall);
        import_rss = import_rss.max(rss);
    }
    let import_wall = best(&import_walls);
    let info = Database::open(&db)
        .and_then(|d| d.info())
        .context("reading the imported database")?;

    // 2. Matching, in process (a release xtask), on the inventory of a scan.
    let report = work.join("inventory.json");
    let inventory = Command::new(&bulwark)
        .arg("scan")
        .arg(&image)
        .args(["--scanners", "misconfig", "-f", "json", "-o"])
        .arg(&report)
        .stderr(Stdio::null())
        .status()
        .context("running bulwark scan for the inventory")?;
    if !matches!(inventory.code(), Some(0..=1)) {
        bail!("bulwark scan --scanners misconfig failed: {inventory}");
    }
    let matching = measure_matching(root, &db, &report)?;

    // 3. Scans against the floor. Warm the page cache first.
    let (layers, layer_bytes) = extract_layers(&image, &work.join("layers"))?;
    let scan = |scanners: &str| {
        let mut c = Command::new(&bulwark);
        c.arg("scan")
            .arg(&image)
            .args([
                "--scanners",
                scanners,
                "-f",
                "json",
                "-o",
                "/dev/null",
                "--db",
            ])
            .arg(&db);
        c
    };
    let (vuln, all, inventory_only) = (
        scan("vuln"),
        scan("vuln,secret,misconfig"),
        scan("misconfig"),
    );
    eprintln!("xtask: $ {} (x{runs})", crate::show(&vuln));
    gzip_floor(&layers)?;
    timed(&vuln, &times)?;
    let (mut floors, mut vuln_walls, mut vuln_rss) = (Vec::new(), Vec::new(), 0.0_f64);
    for _ in 0..runs {
        floors.push(gzip_floor(&layers)?);
        let (wall, rss) = timed(&vuln, &times)?;
        vuln_walls.push(wall);
        vuln_rss = vuln_rss.max(rss);
    }
    let (floor, vuln_wall) = (best(&floors), best(&vuln_walls));
    eprintln!("xtask: $ {} (x{runs})", crate::show(&all));
    let (all_wall, all_rss) = best_of(&all, &times, runs)?;
    eprintln!("xtask: $ {} (x{runs})", crate::show(&inventory_only));
    let (inv_wall, inv_rss) = best_of(&inventory_only, &times, runs)?;

    // 4. Peers.
    let peers = installed_peers();
    let mut peer_rows = String::new();
    for (name, program) in &peers {
        let cmd = peer_command(name, program, &image);
        eprintln!("xtask: $ {} (x{runs})", crate::show(&cmd));
        match best_of(&cmd, &times, runs) {
            Ok((wall, rss)) => {
                let _ = writeln!(
                    peer_rows,
                    "| `{}` | {wall:.2} s | {rss:.0} MB | {:.2}× bulwark's wall | – | – |",
                    crate::show(&cmd),
                    wall / vuln_wall.max(0.001)
                );
            }
            Err(e) => {
                let _ = writeln!(
                    peer_rows,
                    "| `{}` | failed: {e:#} | – | no ratio | – | – |",
                    crate::show(&cmd)
                );
            }
        }
    }
    let peer_note = if peers.is_empty() {
        format!(
            "No peer vulnerability scanner is installed on this machine (`command -v {}` finds none), so no peer ratio is given.",
            PEERS.join(" ")
        )
    } else {
        "Peers run on the same image in the same run, each with the database it already has (offline); their rows are in the table.".to_string()
    };

    // The report.
    let load_after = load_average();
    let ratio = vuln_wall / floor.max(0.001);
    let all_ratio = all_wall / floor.max(0.001);
    #[allow(clippy::cast_precision_loss)] // sizes of tens of MB: exact in f64
    let (db_mb, layer_mb) = (info.size as f64 / 1e6, layer_bytes as f64 / 1e6);
    let ecosystems = info
        .ecosystems
        .iter()
        .map(|(e, n)| format!("{e} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let source_list = SOURCES
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let import_pass = import_wall < IMPORT_TARGET_S;
    let first_pass = matching.first_ms < MATCH_TARGET_MS;
    let median_pass = matching.median_ms < MATCH_TARGET_MS;
    let scan_pass = ratio <= SCAN_TARGET_RATIO;
    let mut section = format!(
        "{HEADING}\n\n\
         `cargo xtask bench-vuln` builds the release binary, then in one run: imports every advisory set of \
         `../shared/vulndata` ({source_list}) into a fresh database with one `bulwark db import`; matches \
         debian-app's inventory (`images[0].packages` of `bulwark scan IMAGE --scanners misconfig -f json`) \
         against the whole database in process, through `bulwark_vuln::matcher::scan` in a release build of \
         xtask, after `Database::open`; and scans `../shared/images/debian-app.oci.tar` end to end against the \
         decompression floor: `gzip -dc` over each of the image's gzip layer blobs, extracted from the archive \
         first (so the floor is decompression alone), one process per layer, added up. Wall times and peak RSS \
         come from GNU time; every figure is the best of {runs} runs (peak RSS: the largest of them), except \
         matching (first call, then the median of {MATCH_RUNS}). The page cache is warm.\n\n\
         Measured {date} on {machine}; {rustc}; one-minute load average {load_before} before the \
         measurements and {load_after} after (other work on the machine shows up as noise, most in the \
         millisecond figures).\n\
         Command: `cargo xtask bench-vuln --runs {runs}`.\n\n\
         Database: {db_mb:.1} MB, {advisories} advisories, {affected} affected-package rows ({ecosystems}).\n\n\
         | what | wall | peak RSS | ratio | target | result |\n\
         |---|---:|---:|---:|---|---|\n\
         | `bulwark db import --db DB` of all five sets into a fresh database | {import_wall:.2} s | {import_rss:.0} MB | – | under {IMPORT_TARGET_S:.0} s | {import_v} |\n\
         | matching {packages} packages ({findings} findings), first call after opening the database (open: {open:.1} ms) | {first:.1} ms | – | – | under {MATCH_TARGET_MS:.0} ms | {first_v} |\n\
         | matching, median of the next {MATCH_RUNS} calls (fastest {min:.1} ms, slowest {max:.1} ms) | {med:.1} ms | – | – | under {MATCH_TARGET_MS:.0} ms | {median_v} |\n\
         | floor: `gzip -dc` over the {nlayers} gzip layer blobs ({layer_mb:.0} MB compressed) | {floor:.2} s | – | 1.00× | – | – |\n\
         | `bulwark scan IMAGE --scanners vuln -f json -o /dev/null` | {vuln_wall:.2} s | {vuln_rss:.0} MB | {ratio:.2}× the floor | within {SCAN_TARGET_RATIO}× the floor | {scan_v} |\n\
         | `bulwark scan IMAGE --scanners vuln,secret,misconfig -f json -o /dev/null` (the default; for context) | {all_wall:.2} s | {all_rss:.0} MB | {all_ratio:.2}× the floor | – | – |\n\
         | `bulwark scan IMAGE --scanners misconfig -f json -o /dev/null` (inventory and image checks, no matching; for context) | {inv_wall:.2} s | {inv_rss:.0} MB | {inv_ratio:.2}× the floor | – | – |\n\
         {peer_rows}\n\
         {peer_note}\n",
        date = crate::bench::date(),
        machine = crate::bench::machine(),
        rustc = rustc_version(),
        advisories = info.advisories,
        affected = info.affected,
        import_v = verdict(import_pass),
        packages = matching.packages,
        findings = matching.findings,
        open = matching.open_ms,
        first = matching.first_ms,
        first_v = verdict(first_pass),
        min = matching.min_ms,
        max = matching.max_ms,
        med = matching.median_ms,
        median_v = verdict(median_pass),
        nlayers = layers.len(),
        scan_v = verdict(scan_pass),
        inv_ratio = inv_wall / floor.max(0.001),
    );
    let missed: Vec<&str> = [
        (import_pass, "import"),
        (first_pass && median_pass, "matching"),
        (scan_pass, "scan vs floor"),
    ]
    .iter()
    .filter(|(pass, _)| !pass)
    .map(|(_, what)| *what)
    .collect();
    let _ = write!(
        section,
        "\nTargets: {}.\n\n\
         Where the time goes. Matching (in process, median of {MATCH_RUNS} calls each): \
         `Database::ecosystem_names` (the ecosystems that have advisories, from the index), which \
         `matcher::scan` calls first to tell supported ecosystems from unsupported ones, takes {eco:.1} ms; the {keys} `Database::affected` lookups with their rows decoded take \
         {lookups:.1} ms; range evaluation, advisory reads and building findings take the rest of the \
         {med:.1} ms. The vulnerability scan: the inventory-only scan (reading, decompressing and \
         cataloguing the layers, and the image checks) takes {inv_wall:.2} s of its {vuln_wall:.2} s \
         ({share:.0}%); matching, opening the database and writing the report take the rest.\n",
        if missed.is_empty() {
            "all met".to_string()
        } else {
            format!("missed: {}", missed.join(", "))
        },
        eco = matching.ecosystems_ms,
        keys = matching.keys,
        lookups = matching.lookups_ms,
        med = matching.median_ms,
        share = 100.0 * inv_wall / vuln_wall.max(0.001),
    );
    println!("{section}");
    measure::record(root, HEADING, &section)
}
