//! Container and pod metadata (name, image, digest, labels, pod) from the container runtime,
//! looked up asynchronously and cached.
//!
//! The reader thread asks [`MetadataCache::get`] for every event with a container: a cached
//! answer is attached to the event at once; an unknown id is queued for the lookup thread and
//! the event goes on without metadata (never held back, never dropped). Later events of the
//! same container carry what the lookup found. Sources ([`MetadataSource`]) are tried in order:
//! podman's REST API ([`crate::PodmanSource`]) and the CRI ([`crate::CriSource`]).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::container::{ContainerRef, Runtime};

/// What the runtime says about a container.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerMetadata {
    /// The full container id.
    pub id: String,
    /// Which source answered (`podman`, `cri`).
    pub source: String,
    /// The container's name (Falco's `container.name`; for a Kubernetes container, its name
    /// in the pod spec).
    pub name: Option<String>,
    /// The image as the user named it, `repository:tag` (`docker.io/library/nginx:1.27`).
    pub image: Option<String>,
    /// The image's repository (Falco's `container.image.repository`).
    pub image_repository: Option<String>,
    /// The image's tag (Falco's `container.image.tag`).
    pub image_tag: Option<String>,
    /// The image's manifest digest, `sha256:…` (Falco's `container.image.digest`).
    pub image_digest: Option<String>,
    /// The image id (config digest), `sha256:…` or bare hex as the runtime gives it.
    pub image_id: Option<String>,
    /// The container's labels.
    pub labels: BTreeMap<String, String>,
    /// The Kubernetes pod, when the container belongs to one.
    pub pod: Option<PodMetadata>,
    /// Whether the container runs privileged (Falco's `container.privileged`), when the
    /// runtime says.
    pub privileged: Option<bool>,
}

/// A Kubernetes pod (Falco's `k8s.pod.*`, `k8s.ns.name`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodMetadata {
    /// Pod name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Pod uid.
    pub uid: String,
    /// Pod labels (empty when the runtime gave the container's only).
    pub labels: BTreeMap<String, String>,
    /// The runtime's sandbox id, when known.
    pub sandbox_id: Option<String>,
}

impl PodMetadata {
    /// The pod from the labels kubelet puts on every container
    /// (`io.kubernetes.pod.{name,namespace,uid}`), if present.
    pub fn from_container_labels(labels: &BTreeMap<String, String>) -> Option<PodMetadata> {
        let name = labels.get("io.kubernetes.pod.name")?;
        Some(PodMetadata {
            name: name.clone(),
            namespace: labels
                .get("io.kubernetes.pod.namespace")
                .cloned()
                .unwrap_or_default(),
            uid: labels
                .get("io.kubernetes.pod.uid")
                .cloned()
                .unwrap_or_default(),
            labels: BTreeMap::new(),
            sandbox_id: None,
        })
    }
}

/// Splits an image reference into (repository, tag, digest):
/// `registry:5000/app:1.2@sha256:ab` → (`registry:5000/app`, `1.2`, `sha256:ab`).
pub fn split_image_ref(reference: &str) -> (String, Option<String>, Option<String>) {
    let (name, digest) = match reference.split_once('@') {
        Some((n, d)) => (n, Some(d.to_string())),
        None => (reference, None),
    };
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[slash..].rfind(':') {
        Some(c) => (
            name[..slash + c].to_string(),
            Some(name[slash + c + 1..].to_string()),
            digest,
        ),
        None => (name.to_string(), None, digest),
    }
}

impl ContainerMetadata {
    /// Sets `image`, `image_repository`, `image_tag` (and `image_digest` when the reference
    /// carries one and none is known) from a reference.
    pub fn set_image(&mut self, reference: &str) {
        if reference.is_empty() {
            return;
        }
        let (repo, tag, digest) = split_image_ref(reference);
        self.image = Some(match &tag {
            Some(t) => format!("{repo}:{t}"),
            None => repo.clone(),
        });
        self.image_repository = Some(repo);
        self.image_tag = tag;
        if self.image_digest.is_none() {
            self.image_digest = digest;
        }
    }
}

/// Why a lookup failed (the source could not answer; "not found" is `Ok(None)`).
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// Connecting, writing or reading the socket failed.
    #[error("{source_name} at {socket}: {error}")]
    Io {
        /// The source.
        source_name: &'static str,
        /// Its socket.
        socket: PathBuf,
        /// What failed.
        #[source]
        error: std::io::Error,
    },
    /// The answer could not be understood.
    #[error("{source_name}: {message}")]
    Protocol {
        /// The source.
        source_name: &'static str,
        /// What was wrong.
        message: String,
    },
}

/// A place to ask about containers: a runtime's API.
pub trait MetadataSource: Send + Sync + std::fmt::Debug {
    /// A short name (`podman`, `cri`).
    fn name(&self) -> &'static str;
    /// Whether it can know containers the cgroup path attributes to `runtime`.
    fn handles(&self, runtime: Runtime) -> bool;
    /// Whether the source is there now (its socket exists). Unavailable sources are skipped.
    fn available(&self) -> bool;
    /// The container's metadata; `Ok(None)` when the runtime does not know the id.
    fn lookup(&self, id: &str) -> Result<Option<ContainerMetadata>, LookupError>;
}

/// Histogram bucket bounds of lookup latency, in seconds (Prometheus' `le`).
pub const LATENCY_BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5,
];

/// Counters of the metadata cache, for export.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetadataStats {
    /// Lookups done (each container once, plus retries of failures).
    pub lookups: u64,
    /// Lookups that found the container.
    pub found: u64,
    /// Lookups no source knew the container for.
    pub not_found: u64,
    /// Lookups that failed (the runtime did not answer or answered nonsense).
    pub errors: u64,
    /// Events handed out with metadata from the cache.
    pub events_with_metadata: u64,
    /// Events handed out without it because the lookup had not finished (or failed).
    pub events_pending: u64,
    /// Containers cached.
    pub cached: u64,
    /// Cumulative counts of lookups at or below each bound of [`LATENCY_BUCKETS`]
    /// (Prometheus histogram buckets; `lookups` is the `+Inf` bucket).
    pub latency_buckets: Vec<u64>,
    /// Sum of lookup latencies, in seconds.
    pub latency_sum_seconds: f64,
    /// The slowest lookup, in seconds.
    pub latency_max_seconds: f64,
    /// The last error, in words.
    pub last_error: Option<String>,
}

#[derive(Debug)]
enum Entry {
    Pending,
    Ready(Arc<ContainerMetadata>),
    /// Not found or failed: retried after `RETRY`.
    Missing(Instant),
}

/// How long an unanswered id waits before it is looked up again.
const RETRY: Duration = Duration::from_secs(10);
/// Entries kept at most (the oldest are not tracked: the map is cleared when full).
const MAX_ENTRIES: usize = 8192;

#[derive(Debug, Default)]
struct Latency {
    buckets: Vec<u64>,
    sum: f64,
    max: f64,
    last_error: Option<String>,
}

#[derive(Debug, Default)]
struct Shared {
    entries: RwLock<HashMap<String, Entry>>,
    lookups: AtomicU64,
    found: AtomicU64,
    not_found: AtomicU64,
    errors: AtomicU64,
    with: AtomicU64,
    pending: AtomicU64,
    latency: Mutex<Latency>,
}

/// The cache and its lookup thread. Cheap to clone; the thread ends when the last clone is
/// dropped.
#[derive(Clone, Debug)]
pub struct MetadataCache {
    shared: Arc<Shared>,
    tx: Arc<Mutex<Sender<ContainerRef>>>,
}

impl MetadataCache {
    /// A cache asking `sources` in order, with its lookup thread started.
    pub fn new(sources: Vec<Arc<dyn MetadataSource>>) -> std::io::Result<MetadataCache> {
        let shared = Arc::new(Shared::default());
        let (tx, rx) = std::sync::mpsc::channel();
        let worker = shared.clone();
        std::thread::Builder::new()
            .name("bulwark-metadata".into())
            .spawn(move || lookup_loop(&worker, &sources, &rx))?;
        Ok(MetadataCache {
            shared,
            tx: Arc::new(Mutex::new(tx)),
        })
    }

    /// The metadata of `container` if known; otherwise `None` at once, with a lookup queued
    /// (once per container, retried 10 s after a failure). Never blocks on the runtime.
    pub fn get(&self, container: &ContainerRef) -> Option<Arc<ContainerMetadata>> {
        let hit = {
            let entries = self.shared.entries.read().ok()?;
            match entries.get(&container.id) {
                Some(Entry::Ready(m)) => Some(Some(m.clone())),
                Some(Entry::Pending) => Some(None),
                Some(Entry::Missing(at)) if at.elapsed() < RETRY => Some(None),
                _ => None,
            }
        };
        match hit {
            Some(Some(m)) => {
                self.shared.with.fetch_add(1, Ordering::Relaxed);
                return Some(m);
            }
            Some(None) => {
                self.shared.pending.fetch_add(1, Ordering::Relaxed);
                return None;
            }
            None => {}
        }
        self.shared.pending.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut entries) = self.shared.entries.write() {
            if entries.len() >= MAX_ENTRIES {
                entries.retain(|_, e| matches!(e, Entry::Pending));
            }
            entries.insert(container.id.clone(), Entry::Pending);
        }
        if let Ok(tx) = self.tx.lock() {
            let _ = tx.send(container.clone());
        }
        None
    }

    /// What is cached for `id`, without queueing a lookup.
    pub fn cached(&self, id: &str) -> Option<Arc<ContainerMetadata>> {
        match self.shared.entries.read().ok()?.get(id) {
            Some(Entry::Ready(m)) => Some(m.clone()),
            _ => None,
        }
    }

    /// The counters now.
    pub fn stats(&self) -> MetadataStats {
        let s = &self.shared;
        let latency = s
            .latency
            .lock()
            .map(|l| (l.buckets.clone(), l.sum, l.max, l.last_error.clone()));
        let (mut buckets, sum, max, last_error) = latency.unwrap_or_default();
        buckets.resize(LATENCY_BUCKETS.len(), 0);
        MetadataStats {
            lookups: s.lookups.load(Ordering::Relaxed),
            found: s.found.load(Ordering::Relaxed),
            not_found: s.not_found.load(Ordering::Relaxed),
            errors: s.errors.load(Ordering::Relaxed),
            events_with_metadata: s.with.load(Ordering::Relaxed),
            events_pending: s.pending.load(Ordering::Relaxed),
            cached: s.entries.read().map_or(0, |e| {
                e.values().filter(|v| matches!(v, Entry::Ready(_))).count() as u64
            }),
            latency_buckets: buckets,
            latency_sum_seconds: sum,
            latency_max_seconds: max,
            last_error,
        }
    }
}

fn lookup_loop(shared: &Shared, sources: &[Arc<dyn MetadataSource>], rx: &Receiver<ContainerRef>) {
    while let Ok(container) = rx.recv() {
        let start = Instant::now();
        let mut result: Result<Option<ContainerMetadata>, LookupError> = Ok(None);
        for source in sources
            .iter()
            .filter(|s| s.handles(container.runtime) && s.available())
        {
            match source.lookup(&container.id) {
                Ok(Some(mut m)) => {
                    if m.pod.is_none()
                        && let Some(uid) = &container.pod_uid
                    {
                        m.pod = Some(PodMetadata {
                            uid: uid.clone(),
                            ..PodMetadata::default()
                        });
                    }
                    result = Ok(Some(m));
                    break;
                }
                Ok(None) => {}
                Err(e) => result = Err(e),
            }
        }
        let seconds = start.elapsed().as_secs_f64();
        shared.lookups.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut l) = shared.latency.lock() {
            l.buckets.resize(LATENCY_BUCKETS.len(), 0);
            for (b, bound) in l.buckets.iter_mut().zip(LATENCY_BUCKETS) {
                if seconds <= bound {
                    *b += 1;
                }
            }
            l.sum += seconds;
            l.max = l.max.max(seconds);
            if let Err(e) = &result {
                l.last_error = Some(e.to_string());
            }
        }
        let entry = match result {
            Ok(Some(m)) => {
                shared.found.fetch_add(1, Ordering::Relaxed);
                Entry::Ready(Arc::new(m))
            }
            Ok(None) => {
                shared.not_found.fetch_add(1, Ordering::Relaxed);
                Entry::Missing(Instant::now())
            }
            Err(_) => {
                shared.errors.fetch_add(1, Ordering::Relaxed);
                Entry::Missing(Instant::now())
            }
        };
        if let Ok(mut entries) = shared.entries.write() {
            entries.insert(container.id, entry);
        }
    }
}

/// The standard podman API sockets (rootful).
pub const PODMAN_SOCKETS: [&str; 2] = ["/run/podman/podman.sock", "/var/run/podman/podman.sock"];
/// The standard CRI sockets: containerd, CRI-O.
pub const CRI_SOCKETS: [&str; 4] = [
    "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock",
    "/run/crio/crio.sock",
    "/var/run/crio/crio.sock",
];

/// The sources for a configuration: the given sockets, or else every standard path (each
/// skipped while its socket does not exist, so a runtime started later is found).
pub fn default_sources(
    podman_socket: Option<&Path>,
    cri_socket: Option<&Path>,
) -> Vec<Arc<dyn MetadataSource>> {
    let mut out: Vec<Arc<dyn MetadataSource>> = Vec::new();
    match podman_socket {
        Some(p) => out.push(Arc::new(crate::podman::PodmanSource::new(p))),
        None => {
            for p in PODMAN_SOCKETS {
                out.push(Arc::new(crate::podman::PodmanSource::new(Path::new(p))));
            }
        }
    }
    match cri_socket {
        Some(p) => out.push(Arc::new(crate::cri::CriSource::new(p))),
        None => {
            for p in CRI_SOCKETS {
                out.push(Arc::new(crate::cri::CriSource::new(Path::new(p))));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_split() {
        assert_eq!(
            split_image_ref("localhost/alpine-base:latest"),
            ("localhost/alpine-base".into(), Some("latest".into()), None)
        );
        assert_eq!(
            split_image_ref("registry:5000/team/app:1.2@sha256:ab"),
            (
                "registry:5000/team/app".into(),
                Some("1.2".into()),
                Some("sha256:ab".into())
            )
        );
        assert_eq!(
            split_image_ref("registry:5000/app"),
            ("registry:5000/app".into(), None, None)
        );
    }

    #[derive(Debug)]
    struct Slow {
        delay: Duration,
    }

    impl MetadataSource for Slow {
        fn name(&self) -> &'static str {
            "slow"
        }
        fn handles(&self, _: Runtime) -> bool {
            true
        }
        fn available(&self) -> bool {
            true
        }
        fn lookup(&self, id: &str) -> Result<Option<ContainerMetadata>, LookupError> {
            std::thread::sleep(self.delay);
            if id.starts_with('0') {
                return Ok(None);
            }
            Ok(Some(ContainerMetadata {
                id: id.into(),
                source: "slow".into(),
                name: Some("web".into()),
                ..ContainerMetadata::default()
            }))
        }
    }

    fn container(id: char) -> ContainerRef {
        ContainerRef {
            id: id.to_string().repeat(64),
            runtime: Runtime::Podman,
            pod_uid: Some("0b8a3c3e-2f0e-4d5e-9d3b-0123456789ab".into()),
        }
    }

    #[test]
    fn lookups_never_block_and_are_cached() {
        let cache = MetadataCache::new(vec![Arc::new(Slow {
            delay: Duration::from_millis(200),
        })])
        .unwrap();
        let c = container('a');
        let t = Instant::now();
        assert!(cache.get(&c).is_none(), "the first ask queues a lookup");
        assert!(cache.get(&c).is_none());
        assert!(t.elapsed() < Duration::from_millis(100), "get never waits");
        let deadline = Instant::now() + Duration::from_secs(5);
        let m = loop {
            if let Some(m) = cache.get(&c) {
                break m;
            }
            assert!(Instant::now() < deadline, "the lookup finished");
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(m.name.as_deref(), Some("web"));
        let pod = m.pod.as_ref().expect("the cgroup's pod uid is kept");
        assert_eq!(pod.uid, "0b8a3c3e-2f0e-4d5e-9d3b-0123456789ab");
        assert!(cache.get(&container('0')).is_none());
        std::thread::sleep(Duration::from_millis(400));
        let s = cache.stats();
        assert_eq!((s.lookups, s.found, s.not_found, s.errors), (2, 1, 1, 0));
        assert_eq!(s.cached, 1);
        assert!(s.events_with_metadata >= 1 && s.events_pending >= 3);
        assert!(s.latency_sum_seconds >= 0.4 && s.latency_max_seconds >= 0.2);
        assert_eq!(s.latency_buckets.len(), LATENCY_BUCKETS.len());
        assert_eq!(s.latency_buckets[LATENCY_BUCKETS.len() - 1], 2);
        assert_eq!(s.latency_buckets[0], 0);
        assert_eq!(cache.cached(&c.id).unwrap().name.as_deref(), Some("web"));
    }
}
