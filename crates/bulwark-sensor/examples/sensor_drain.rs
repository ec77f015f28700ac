//! Starts the sensor with the default configuration and drains its events, counting them,
//! until standard input closes; then prints the counters as one JSON line. Used by
//! `cargo xtask bench-sensor` to measure the sensor's overhead (root only).
//!
//! Protocol: prints `ready` once the programs are attached; after stdin's EOF, keeps draining
//! until the stream has been quiet for 300 ms (at most 3 s: other processes on the host never
//! fall entirely silent), then prints
//! `{"delivered":…,"submitted":…,"lost":…,"dropped":…,"execs":…,"opens":…,"with_metadata":…}`.

use std::io::{BufRead as _, Write as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bulwark_sensor::{EventKind, Sensor, SensorConfig, SyscallDetail};

fn main() {
    let sensor = match Sensor::start(&SensorConfig::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sensor_drain: {e}");
            std::process::exit(1);
        }
    };
    let done = Arc::new(AtomicBool::new(false));
    let flag = done.clone();
    std::thread::spawn(move || {
        for _ in std::io::stdin().lock().lines() {}
        flag.store(true, Ordering::Relaxed);
    });
    println!("ready");
    let _ = std::io::stdout().flush();
    let (mut delivered, mut execs, mut opens, mut with_metadata) = (0u64, 0u64, 0u64, 0u64);
    let mut quiet_since: Option<Instant> = None;
    let mut done_at: Option<Instant> = None;
    loop {
        if done.load(Ordering::Relaxed)
            && done_at.get_or_insert_with(Instant::now).elapsed() > Duration::from_secs(3)
        {
            break;
        }
        match sensor.next_event(Duration::from_millis(50)) {
            Some(e) => {
                quiet_since = None;
                delivered += 1;
                with_metadata += u64::from(e.container_metadata.is_some());
                match &e.kind {
                    EventKind::Exec(_) => execs += 1,
                    EventKind::Syscall(s) if matches!(s.detail, SyscallDetail::Open { .. }) => {
                        opens += 1;
                    }
                    _ => {}
                }
            }
            None => {
                if done.load(Ordering::Relaxed) {
                    let since = *quiet_since.get_or_insert_with(Instant::now);
                    if since.elapsed() > Duration::from_millis(300) {
                        break;
                    }
                }
            }
        }
    }
    let stats = sensor.stop();
    println!(
        "{}",
        serde_json::json!({
            "delivered": delivered,
            "submitted": stats.submitted,
            "lost": stats.lost(),
            "dropped": stats.dropped(),
            "execs": execs,
            "opens": opens,
            "with_metadata": with_metadata,
        })
    );
}
