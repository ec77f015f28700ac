//! Container attribution and drift on the real kernel with podman (runc, overlay storage under a
//! private root): an exec in a container carries podman's container id, and a binary copied into
//! the container's writable layer and run is flagged as upper-layer.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use bulwark_sensor::testing::Podman;
use bulwark_sensor::{Event, EventKind, Runtime, Sensor, SensorConfig};

const IMAGE: &str = "../../../shared/images/alpine-base.oci.tar";

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// The image to load, or `None` (after saying why) when the test cannot run here.
fn prerequisites() -> Option<PathBuf> {
    let root = std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    });
    let image = Path::new(env!("CARGO_MANIFEST_DIR")).join(IMAGE);
    // podman cleans `..` lexically: resolve it first
    let image = image.canonicalize().unwrap_or(image);
    let missing = if !root {
        Some("needs root".to_string())
    } else if !have("podman") || !have("runc") {
        Some("podman and runc are not installed".to_string())
    } else if !image.exists() {
        Some(format!("{} is missing", image.display()))
    } else {
        None
    };
    if let Some(why) = missing {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the podman test, but it {why}"
        );
        eprintln!("skipping the podman test: it {why}");
        return None;
    }

    Some(image)
}

#[test]
fn container_execs_carry_the_container_id_and_drift_is_flagged() {
    let Some(image) = prerequisites() else {
        return;
    };

    let podman = Podman::new("drift");
    let name = load(&podman, &image);

    let sensor = Sensor::start(&SensorConfig {
        syscalls: Vec::new(),
        ..SensorConfig::default()
    })
    .expect("starting the sensor");
    let id = stdout(&podman.run(&[
        "run",
        "-d",
        "--pull=never",
        "--user",
        "root",
        "--network",
        "none",
        &name,
        "sleep",
        "60",
    ]));
    assert_eq!(id.len(), 64, "podman printed {id:?}");
    podman.run(&[
        "exec",
        &id,
        "/bin/sh",
        "-c",
        "mkdir -p /tmp/drop && cp /bin/busybox /tmp/drop/true && /tmp/drop/true",
    ]);

    let in_container = |e: &Event, path: &str| {
        matches!(&e.kind, EventKind::Exec(x) if x.filename == path)
            && e.container_id() == Some(id.as_str())
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut events = Vec::new();
    while Instant::now() < deadline {
        if let Some(e) = sensor.next_event(Duration::from_millis(100)) {
            events.push(e);
            if events.iter().any(|e| in_container(e, "/tmp/drop/true")) {
                break;
            }
        }
    }
    let sleep = events
        .iter()
        // this container's: the metadata test runs a `sleep` container of its own
        .find(|e| e.container_id() == Some(id.as_str()) && matches!(&e.kind, EventKind::Exec(x) if x.args.first().map(String::as_str) == Some("sleep")))
        .expect("the container's sleep exec");
    let container = sleep
        .container
        .as_ref()
        .expect("the sleep exec has a container");
    assert_eq!(container.id, id);
    assert_eq!(container.runtime, Runtime::Podman);
    let EventKind::Exec(x) = &sleep.kind else {
        unreachable!()
    };
    assert!(x.exe_on_overlayfs, "the image's files are on overlayfs");
    assert!(
        !x.exe_upper_layer,
        "sleep comes from the image, not the writable layer"
    );

    let dropped = events
        .iter()
        .find(|e| in_container(e, "/tmp/drop/true"))
        .expect("the dropped binary's exec");
    let EventKind::Exec(x) = &dropped.kind else {
        unreachable!()
    };
    assert!(
        x.exe_on_overlayfs && x.exe_upper_layer,
        "a binary written in the container is upper-layer: {x:?}"
    );
    assert_eq!(x.args, ["/tmp/drop/true"]);
    assert_ne!(dropped.mntns, 0);
    let shell = events
        .iter()
        .find(|e| in_container(e, "/bin/sh"))
        .expect("the exec'd shell");
    let EventKind::Exec(sh) = &shell.kind else {
        unreachable!()
    };
    // podman exec starts the shell from outside the container's cgroup
    assert_ne!(sh.parent_cgroup_id, shell.cgroup_id);
    assert_eq!(sensor.stats().lost(), 0);
}

fn load(podman: &Podman, image: &Path) -> String {
    let loaded = stdout(&podman.run(&["load", "-q", "-i", &image.display().to_string()]));
    loaded
        .rsplit("Loaded image: ")
        .next()
        .expect("podman names the image")
        .trim()
        .to_string()
}

/// Metadata from podman's API: the container's first event goes out without it (the lookup is
/// only queued), later events carry its name, image and digest.
#[test]
fn container_metadata_arrives_from_podmans_api() {
    let Some(image) = prerequisites() else {
        return;
    };
    let mut podman = Podman::new("metadata");
    let image_name = load(&podman, &image);
    let socket = podman.start_service();
    let sensor = Sensor::start(&SensorConfig {
        syscalls: Vec::new(),
        podman_socket: Some(socket),
        cri_socket: Some(PathBuf::from("/nonexistent/cri.sock")),
        ..SensorConfig::default()
    })
    .expect("starting the sensor");
    let name = format!("bulwark-meta-{}", std::process::id());
    let id = stdout(&podman.run(&[
        "run",
        "-d",
        "--pull=never",
        "--user",
        "root",
        "--network",
        "none",
        "--name",
        &name,
        "--label",
        "team=sensor",
        &image_name,
        "sleep",
        "60",
    ]));
    assert_eq!(id.len(), 64, "podman printed {id:?}");

    let deadline = Instant::now() + Duration::from_secs(30);
    let mut first: Option<Event> = None;
    let mut with_metadata: Option<Event> = None;
    let mut last_exec: Option<Instant> = None;
    while Instant::now() < deadline && with_metadata.is_none() {
        if last_exec.is_none_or(|t| t.elapsed() > Duration::from_millis(300)) {
            // more events from the container, until one carries the metadata
            podman.run(&["exec", &id, "/bin/true"]);
            last_exec = Some(Instant::now());
        }
        while let Some(e) = sensor.next_event(Duration::from_millis(50)) {
            if e.container_id() != Some(id.as_str()) {
                continue;
            }
            if first.is_none() {
                first = Some(e.clone());
            }
            if e.container_metadata.is_some() {
                with_metadata = Some(e);
                break;
            }
        }
    }
    let first = first.expect("events from the container");
    assert!(
        first.container_metadata.is_none(),
        "the first event is not held back for the lookup"
    );
    let event = with_metadata.expect("a later event with the container's metadata");
    let m = event.container_metadata.as_ref().unwrap();
    assert_eq!(m.id, id);
    assert_eq!(m.source, "podman");
    assert_eq!(m.name.as_deref(), Some(name.as_str()));
    assert_eq!(m.image.as_deref(), Some(image_name.as_str()));
    let (repo, tag, _) = bulwark_sensor::split_image_ref(&image_name);
    assert_eq!(m.image_repository.as_deref(), Some(repo.as_str()));
    assert_eq!(m.image_tag, tag);
    assert!(
        m.image_digest
            .as_deref()
            .is_some_and(|d| d.starts_with("sha256:")),
        "{m:?}"
    );
    assert_eq!(m.labels.get("team").map(String::as_str), Some("sensor"));
    assert_eq!(m.privileged, Some(false), "started without --privileged");
    assert!(m.pod.is_none());
    assert_eq!(sensor.container_metadata(&id).as_deref(), Some(m.as_ref()));
    let stats = sensor.metadata_stats().expect("lookups are on");
    assert!(stats.found >= 1, "{stats:?}");
    assert!(stats.events_pending >= 1 && stats.events_with_metadata >= 1);
    assert!(stats.latency_sum_seconds > 0.0);
    eprintln!("metadata lookups: {stats:?}");
    assert_eq!(sensor.stats().lost(), 0);
}
