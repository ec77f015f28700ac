//! Small pieces the Istio and Linkerd models share: three-valued matching, string lists,
//! wildcards, port lists, creation order and the Services that name workloads.

use std::cmp::Ordering;

use bulwark_k8s::{Labels, Node, Object, Workload};

/// A match that may depend on something a manifest cannot tell (an HTTP path, a JWT, a pod IP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tri {
    /// Always matches.
    Yes,
    /// Never matches.
    No,
    /// Matches for some requests only.
    Maybe,
}

impl Tri {
    /// Conjunction: `No` wins, then `Maybe`.
    pub(crate) fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Maybe, _) | (_, Tri::Maybe) => Tri::Maybe,
            _ => Tri::Yes,
        }
    }

    /// Disjunction: `Yes` wins, then `Maybe`.
    pub(crate) fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
            (Tri::Maybe, _) | (_, Tri::Maybe) => Tri::Maybe,
            _ => Tri::No,
        }
    }

    /// Negation (`Maybe` stays `Maybe`).
    pub(crate) fn not(self) -> Tri {
        match self {
            Tri::Yes => Tri::No,
            Tri::No => Tri::Yes,
            Tri::Maybe => Tri::Maybe,
        }
    }

    /// `Yes` for true, `No` for false.
    pub(crate) fn from_bool(b: bool) -> Tri {
        if b { Tri::Yes } else { Tri::No }
    }
}

/// The scalars of a list node as strings (an absent or non-list node gives nothing).
pub(crate) fn strs(node: Option<&Node>) -> Vec<String> {
    node.and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect()
}

/// `Some(list)` when the field is set to a list (possibly empty), `None` when absent or null.
pub(crate) fn opt_strs(node: Option<&Node>) -> Option<Vec<String>> {
    let n = node.filter(|n| !n.is_null())?;
    Some(strs(Some(n)))
}

/// A string field.
pub(crate) fn str_at<'a>(node: &'a Node, keys: &[&str]) -> Option<&'a str> {
    node.path(keys).and_then(Node::as_str)
}

/// A port number written as a number or a string.
pub(crate) fn port_of(node: &Node) -> Option<u16> {
    node.as_str()?.trim().parse().ok()
}

/// Istio's string match: `*` matches any non-empty value, `*suffix` and `prefix*` match by
/// suffix and prefix, anything else exactly.
pub(crate) fn wildcard(pattern: &str, value: &str) -> bool {
    if pattern == "*" {
        return !value.is_empty();
    }
    if let Some(suffix) = pattern.strip_prefix('*') {
        return value.ends_with(suffix);
    }
    if let Some(prefix) = pattern.strip_suffix('*') {
        return value.starts_with(prefix);
    }
    pattern == value
}

/// Whether a CIDR (or Istio's `*`) covers every address.
pub(crate) fn covers_everything(cidr: &str) -> bool {
    matches!(cidr.trim(), "*" | "0.0.0.0/0" | "::/0")
}

/// A set of ports written as `8080,9090`, `4190-4191` or `*`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PortSet {
    /// `*`: every port.
    pub(crate) all: bool,
    /// Inclusive ranges.
    pub(crate) ranges: Vec<(u16, u16)>,
}

impl PortSet {
    /// Parses a comma-separated list; entries that are not ports are ignored.
    pub(crate) fn parse(text: &str) -> PortSet {
        let mut set = PortSet::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part == "*" {
                set.all = true;
            } else if let Some((a, b)) = part.split_once('-') {
                if let (Ok(a), Ok(b)) = (a.trim().parse::<u16>(), b.trim().parse::<u16>()) {
                    set.ranges.push((a.min(b), a.max(b)));
                }
            } else if let Ok(p) = part.parse::<u16>() {
                set.ranges.push((p, p));
            }
        }
        set
    }

    /// Whether `port` is in the set.
    pub(crate) fn contains(&self, port: u16) -> bool {
        self.all || self.ranges.iter().any(|(a, b)| (*a..=*b).contains(&port))
    }

    /// Whether the set is empty.
    pub(crate) fn is_empty(&self) -> bool {
        !self.all && self.ranges.is_empty()
    }
}

/// `metadata.creationTimestamp`, empty when absent (RFC 3339 strings order by time).
pub(crate) fn creation(o: &Object) -> &str {
    o.metadata()
        .and_then(|m| m.get("creationTimestamp"))
        .and_then(Node::as_str)
        .unwrap_or("")
}

/// Istio's tie-break between conflicting policies: oldest first, then by name, then by
/// namespace. Objects without `creationTimestamp` count as created together, before any that
/// has one.
pub(crate) fn oldest_first(a: &Object, b: &Object) -> Ordering {
    creation(a)
        .cmp(creation(b))
        .then_with(|| a.name.cmp(&b.name))
        .then_with(|| a.namespace.cmp(&b.namespace))
}

/// A pod annotation of the workload.
pub(crate) fn pod_annotation<'a>(w: &Workload<'a>, key: &str) -> Option<&'a str> {
    w.pod.annotations().find(|(k, _)| *k == key).map(|(_, v)| v)
}

/// The node of a pod annotation, for its position.
pub(crate) fn pod_annotation_node<'a>(w: &Workload<'a>, key: &str) -> Option<&'a Node> {
    w.pod.annotations_node().and_then(|n| n.get(key))
}

/// An annotation of an object.
pub(crate) fn annotation<'a>(o: &'a Object, key: &str) -> Option<&'a str> {
    o.annotations().find(|(k, _)| *k == key).map(|(_, v)| v)
}

/// The node of an object's label or annotation, for its position.
pub(crate) fn meta_node<'a>(o: &'a Object, map: &str, key: &str) -> Option<&'a Node> {
    o.metadata()
        .and_then(|m| m.get(map))
        .and_then(|n| n.get(key))
}

/// Whether two objects are the same one (same place in memory).
pub(crate) fn same(a: &Object, b: &Object) -> bool {
    std::ptr::eq(a, b)
}

/// The port a Service forwards to on its pods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TargetPort {
    /// A number.
    Number(u16),
    /// A container port name.
    Name(String),
}

/// One port of a Service.
#[derive(Debug, Clone)]
pub(crate) struct ServicePort {
    /// `port`.
    pub(crate) port: u16,
    /// `targetPort` (defaults to `port`).
    pub(crate) target: TargetPort,
}

/// A Service with a selector: how Istio hosts name workloads.
#[derive(Debug, Clone)]
pub(crate) struct Service<'a> {
    /// The object.
    pub(crate) object: &'a Object,
    /// Its namespace.
    pub(crate) namespace: String,
    /// `spec.selector` (`None`: a Service without selector selects no pod).
    pub(crate) selector: Option<Labels>,
    /// Its ports.
    pub(crate) ports: Vec<ServicePort>,
}

impl<'a> Service<'a> {
    /// Reads a core Service.
    pub(crate) fn of(o: &'a Object, default_namespace: &str) -> Option<Service<'a>> {
        if &*o.kind != "Service" || !o.group().is_empty() {
            return None;
        }
        let spec = o.root.get("spec")?;
        let selector = spec
            .get("selector")
            .filter(|n| n.as_map().is_some_and(|m| !m.is_empty()))
            .map(bulwark_k8s::labels_of);
        let ports = spec
            .get("ports")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .filter_map(|p| {
                let port = port_of(p.get("port")?)?;
                let target = match p.get("targetPort") {
                    None => TargetPort::Number(port),
                    Some(t) => match port_of(t) {
                        Some(n) => TargetPort::Number(n),
                        None => TargetPort::Name(t.as_str()?.to_string()),
                    },
                };
                Some(ServicePort { port, target })
            })
            .collect();
        Some(Service {
            object: o,
            namespace: o.effective_namespace(default_namespace)?.to_string(),
            selector,
            ports,
        })
    }

    /// Whether the Service sends traffic to `w`.
    pub(crate) fn selects(&self, w: &Workload<'_>) -> bool {
        *w.namespace == *self.namespace
            && self
                .selector
                .as_ref()
                .is_some_and(|s| s.iter().all(|(k, v)| w.labels.get(k) == Some(v)))
    }

    /// The Service port that forwards to container port `port` of `w`.
    pub(crate) fn port_to(&self, w: &Workload<'_>, port: u16) -> Option<u16> {
        self.ports.iter().find_map(|sp| {
            let hit = match &sp.target {
                TargetPort::Number(n) => *n == port,
                TargetPort::Name(name) => w
                    .ports
                    .iter()
                    .any(|cp| cp.port == port && cp.name.as_deref() == Some(name.as_str())),
            };
            hit.then_some(sp.port)
        })
    }

    /// `name.namespace.svc.cluster.local`.
    pub(crate) fn fqdn(&self) -> String {
        format!("{}.{}.svc.cluster.local", self.object.name, self.namespace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tri_logic_is_kleene() {
        assert_eq!(Tri::Yes.and(Tri::Maybe), Tri::Maybe);
        assert_eq!(Tri::No.and(Tri::Maybe), Tri::No);
        assert_eq!(Tri::No.or(Tri::Maybe), Tri::Maybe);
        assert_eq!(Tri::Yes.or(Tri::Maybe), Tri::Yes);
        assert_eq!(Tri::Maybe.not(), Tri::Maybe);
        assert_eq!(Tri::Yes.not(), Tri::No);
    }

    #[test]
    fn istio_wildcards_match_prefix_suffix_and_presence() {
        assert!(wildcard("*", "cluster.local/ns/a/sa/b"));
        assert!(!wildcard("*", ""));
        assert!(wildcard("cluster.local/ns/a/*", "cluster.local/ns/a/sa/b"));
        assert!(!wildcard(
            "cluster.local/ns/a/*",
            "cluster.local/ns/ab/sa/b"
        ));
        assert!(wildcard("*/sa/b", "cluster.local/ns/a/sa/b"));
        assert!(!wildcard(
            "cluster.local/ns/a/sa/b",
            "cluster.local/ns/a/sa/bc"
        ));
    }

    #[test]
    fn port_sets_read_lists_ranges_and_star() {
        let s = PortSet::parse("8080, 4190-4191,x");
        assert!(s.contains(8080) && s.contains(4191) && !s.contains(4192));
        assert!(PortSet::parse("*").contains(1));
        assert!(PortSet::parse("").is_empty());
    }
}
