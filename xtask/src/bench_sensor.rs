//! `cargo xtask bench-sensor`: the runtime sensor's overhead on syscall-heavy workloads, each
//! timed without and with the sensor running in the same invocation (issue 7's targets: under
//! 5 %, and no lost events at about 10,000 execs per second). Root only.
//!
//! The sensor runs as `target/release/examples/sensor_drain` (the library with the default
//! configuration, draining and counting events, printing its counters when its stdin closes).
//! The workloads come from a small C driver compiled here (`target/bench-sensor/driver.c`):
//! an exec loop (`posix_spawn` of `/bin/true`, 4 in flight), an open/close loop of a watched
//! file (`/etc/shadow`, every open reported) and of an unwatched one (filtered in the
//! kernel), and a build (a generated C file compiled repeatedly with `cc -O2`). Runs
//! alternate without and with the sensor; the median of each is reported. The workloads run
//! without cargo's `LD_LIBRARY_PATH` (under `/root/.rustup`, a watched prefix: the dynamic
//! loader's failed probes there would add some 40 reported opens to every exec).

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use anyhow::{Context as _, bail};

use crate::measure;

const HEADING: &str = "## Runtime sensor overhead (cargo xtask bench-sensor)";
const EXECS: u64 = 20_000;
const EXEC_PARALLEL: u32 = 4;
const OPENS: u64 = 1_000_000;
const BUILDS: u32 = 30;
const TARGET_OVERHEAD: f64 = 5.0;
const TARGET_EXEC_RATE: f64 = 10_000.0;

const DRIVER: &str = r#"#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* driver exec N PARALLEL | driver open N PATH: prints the elapsed seconds */
int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	long n = atol(argv[2]);
	double t0 = now();
	if (!strcmp(argv[1], "exec")) {
		int par = atoi(argv[3]);
		char *args[] = {"/bin/true", NULL};
		long started = 0, running = 0;
		while (started < n || running > 0) {
			while (running < par && started < n) {
				pid_t p;
				if (posix_spawn(&p, "/bin/true", NULL, NULL, args, environ) != 0)
					return 1;
				started++;
				running++;
			}
			int st;
			if (wait(&st) > 0)
				running--;
			else
				break;
		}
	} else if (!strcmp(argv[1], "open")) {
		for (long i = 0; i < n; i++) {
			int fd = open(argv[3], O_RDONLY);
			if (fd < 0)
				return 1;
			close(fd);
		}
	} else {
		return 2;
	}
	printf("%.6f\n", now() - t0);
	return 0;
}
"#;

/// A generated translation unit for the build workload: enough code for `cc -O2` to spend
/// about a tenth of a second.
fn build_source() -> String {
    let mut s = String::from("#include <stddef.h>\n");
    for i in 0..200 {
        let _ = writeln!(
            s,
            "long f{i}(const long *a, size_t n) {{ long s = {i}; for (size_t k = 0; k < n; k++) {{ s = s * 31 + a[k] % ({i} + 7); if (s > 1000000) s -= a[k] << 2; }} return s; }}"
        );
    }
    s
}

/// The sensor process, started and attached.
struct Sensor {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

/// The sensor's counters after a run.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    delivered: u64,
    lost: u64,
    dropped: u64,
    execs: u64,
    opens: u64,
}

impl Sensor {
    fn start(bin: &Path) -> anyhow::Result<Sensor> {
        let mut child = Command::new(bin)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().context("the sensor's stdout")?);
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        if line.trim() != "ready" {
            bail!("the sensor did not start: {line:?}");
        }
        Ok(Sensor {
            child,
            stdin,
            stdout,
        })
    }

    fn finish(mut self) -> anyhow::Result<Counts> {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.flush();
        }
        let mut line = String::new();
        self.stdout.read_line(&mut line)?;
        self.child.wait()?;
        let v: serde_json::Value =
            serde_json::from_str(&line).with_context(|| format!("the sensor printed {line:?}"))?;
        let n = |k: &str| v[k].as_u64().unwrap_or(0);
        Ok(Counts {
            delivered: n("delivered"),
            lost: n("lost"),
            dropped: n("dropped"),
            execs: n("execs"),
            opens: n("opens"),
        })
    }
}

struct Workload {
    name: &'static str,
    what: String,
    run: Box<dyn Fn() -> anyhow::Result<f64>>,
}

fn driver_run(driver: &Path, args: &[&str]) -> anyhow::Result<f64> {
    let out = Command::new(driver)
        .args(args)
        .env_remove("LD_LIBRARY_PATH")
        .output()?;
    if !out.status.success() {
        bail!("driver {args:?} failed: {}", out.status);
    }
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .context("the driver's time")
}

pub fn run(root: &Path, runs: u64) -> anyhow::Result<()> {
    let is_root = std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    });
    if !is_root {
        bail!("bench-sensor loads BPF programs: run it as root");
    }
    let dir = root.join("target/bench-sensor");
    std::fs::create_dir_all(&dir)?;
    crate::run(crate::cargo().args([
        "build",
        "--release",
        "--locked",
        "-p",
        "bulwark-sensor",
        "--example",
        "sensor_drain",
    ]))?;
    let sensor_bin = root.join("target/release/examples/sensor_drain");
    std::fs::write(dir.join("driver.c"), DRIVER)?;
    let driver = dir.join("driver");
    crate::run(
        Command::new("cc")
            .args(["-O2", "-o"])
            .arg(&driver)
            .arg(dir.join("driver.c")),
    )?;
    let work = dir.join("work.c");
    std::fs::write(&work, build_source())?;
    let unwatched = dir.join("unwatched.txt");
    std::fs::write(&unwatched, "x")?;
    let unwatched_s = unwatched.display().to_string();

    let (exec_driver, open_driver, unwatched_driver) =
        (driver.clone(), driver.clone(), driver.clone());
    let work_o: PathBuf = dir.join("work.o");
    let workloads = vec![
        Workload {
            name: "exec loop",
            what: format!("{EXECS} × `/bin/true` (posix_spawn, {EXEC_PARALLEL} in flight)"),
            run: Box::new(move || {
                driver_run(
                    &exec_driver,
                    &["exec", &EXECS.to_string(), &EXEC_PARALLEL.to_string()],
                )
            }),
        },
        Workload {
            name: "open loop, watched",
            what: format!("{OPENS} × open+close of `/etc/shadow` (every open reported)"),
            run: Box::new(move || {
                driver_run(&open_driver, &["open", &OPENS.to_string(), "/etc/shadow"])
            }),
        },
        Workload {
            name: "open loop, unwatched",
            what: format!("{OPENS} × open+close of a file outside the filter"),
            run: Box::new(move || {
                driver_run(
                    &unwatched_driver,
                    &["open", &OPENS.to_string(), &unwatched_s],
                )
            }),
        },
        Workload {
            name: "build",
            what: format!("{BUILDS} × `cc -O2 -c` of a generated 200-function C file"),
            run: Box::new(move || {
                let t = Instant::now();
                for _ in 0..BUILDS {
                    let st = Command::new("cc")
                        .env_remove("LD_LIBRARY_PATH")
                        .args(["-O2", "-c"])
                        .arg(&work)
                        .arg("-o")
                        .arg(&work_o)
                        .status()?;
                    if !st.success() {
                        bail!("cc failed");
                    }
                }
                Ok(t.elapsed().as_secs_f64())
            }),
        },
    ];

    // warm caches (page cache, dynamic loader) once without the sensor
    for w in &workloads {
        (w.run)()?;
    }
    let runs = runs.max(1);
    let mut rows = Vec::new();
    for w in &workloads {
        let (mut without, mut with, mut counts) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            without.push((w.run)()?);
            let sensor = Sensor::start(&sensor_bin)?;
            with.push((w.run)()?);
            counts.push(sensor.finish()?);
        }
        eprintln!(
            "xtask: {}: without {without:?} s, with {with:?} s, {counts:?}",
            w.name
        );
        rows.push((w, without, with, counts));
    }

    let mut s = String::new();
    let _ = writeln!(s, "{HEADING}\n");
    let _ = writeln!(
        s,
        "`cargo xtask bench-sensor` (root), {}; machine: {}. Each workload runs {runs} times \
         without and {runs} times with the sensor (alternating; a warm-up run first); the table \
         gives the median wall time of each. The sensor is the library with `SensorConfig::default()` \
         (every hook, every watched system call, the default open filter, metadata lookups on), \
         run as `target/release/examples/sensor_drain`, which drains and counts events on the \
         other core; its counters are summed over the runs with it. Workload drivers: \
         `xtask/src/bench_sensor.rs`.\n",
        crate::bench::date(),
        crate::bench::machine()
    );
    let _ = writeln!(
        s,
        "| workload | what | without | with | overhead | events delivered | lost (ring buffer) | dropped (all) |\n|---|---|---|---|---|---|---|---|"
    );
    let mut exec_rate = 0.0;
    let mut exec_lost = 0;
    let mut pipeline = (0.0, 0);
    let mut per_open_ns = 0.0;
    let mut exec_cpu_ms = 0.0;
    #[allow(clippy::cast_precision_loss)]
    let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
    let mut verdicts = Vec::new();
    let verdict = |ok: bool| if ok { "meets" } else { "misses" };
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    for (w, without, with, counts) in &rows {
        let a = measure::median(without.clone());
        let b = measure::median(with.clone());
        let overhead = (b - a) / a * 100.0;
        let delivered: u64 = counts.iter().map(|c| c.delivered).sum();
        let lost: u64 = counts.iter().map(|c| c.lost).sum();
        let dropped: u64 = counts.iter().map(|c| c.dropped).sum();
        let detail = match w.name {
            "exec loop" => {
                exec_rate = EXECS as f64 / b;
                exec_cpu_ms = cores / (EXECS as f64 / a) * 1e3;
                exec_lost = lost;
                let execs: u64 = counts.iter().map(|c| c.execs).sum();
                format!("{delivered} ({execs} execs)")
            }
            n if n.starts_with("open") => {
                let opens: u64 = counts.iter().map(|c| c.opens).sum();
                if n == "open loop, watched" {
                    pipeline = (OPENS as f64 / b, lost);
                } else {
                    per_open_ns = (b - a) / OPENS as f64 * 1e9;
                }
                format!("{delivered} ({opens} opens)")
            }
            _ => delivered.to_string(),
        };
        if w.name != "open loop, watched" {
            verdicts.push(format!(
                "{} {overhead:+.1} % ({})",
                w.name,
                verdict(overhead < TARGET_OVERHEAD)
            ));
        }
        let _ = writeln!(
            s,
            "| {} | {} | {a:.2} s | {b:.2} s | {overhead:+.1} % | {detail} | {lost} | {dropped} |",
            w.name, w.what
        );
    }
    let _ = writeln!(
        s,
        "\nTargets (issue 7): overhead under {TARGET_OVERHEAD:.0} %: {}. The unwatched open loop \
         is a call the sensor hooks (openat) whose path the in-kernel filter then drops: \
         {per_open_ns:.0} ns per open (the perf tracepoint, the path read and the prefix-trie \
         lookup) against some 300 ns for the open itself; calls the sensor does not hook pay \
         only the kernel's syscall-tracepoint check. \
         Exec rate with the sensor: {exec_rate:.0} execs/s with {exec_lost} lost events (this \
         machine cannot start more: an exec costs it about {exec_cpu_ms:.1} ms of CPU on all \
         {cores} cores); target zero \
         lost at about {TARGET_EXEC_RATE:.0}/s: {}. The watched open loop reports every one of \
         its million opens (`/etc/shadow` is a rule input), so it measures the event \
         pipeline's capacity rather than a realistic mix (not held to the 5 % target): \
         {:.0} events/s delivered with {} lost, against the {:.0} records/s that \
         {TARGET_EXEC_RATE:.0} execs/s produce (fork, exec, exit): {}.",
        verdicts.join(", "),
        verdict(exec_lost == 0 && exec_rate >= TARGET_EXEC_RATE * 0.9),
        pipeline.0,
        pipeline.1,
        TARGET_EXEC_RATE * 3.0,
        verdict(pipeline.1 == 0 && pipeline.0 >= TARGET_EXEC_RATE * 3.0),
    );
    print!("{s}");
    measure::record(root, HEADING, &s)?;
    Ok(())
}
