//! Ingress and OpenShift Route objects: the connections they imply from the cluster's
//! ingress controller to the workloads behind their Services.

use std::collections::BTreeMap;

use bulwark_k8s::{Node, Object, Snapshot, labels_of};

use crate::conn::{ConnSet, PortSet, Protocol};
use crate::network::Pod;
use crate::policy::Warning;

/// A backend an Ingress or Route sends traffic to: one workload and the ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Index into the network's pods.
    pub pod: usize,
    /// The ports the controller connects to.
    pub conns: ConnSet,
    /// `Ingress ns/name` or `Route ns/name`.
    pub via: String,
}

/// A Service port: `port`, `name`, `targetPort` (number or container port name), protocol.
#[derive(Debug, Clone)]
struct ServicePort {
    name: Option<String>,
    port: Option<u16>,
    target: Target,
    protocol: Protocol,
}

#[derive(Debug, Clone)]
enum Target {
    Number(u16),
    Name(String),
}

#[derive(Debug, Clone)]
struct Service {
    selector: Option<bulwark_k8s::Labels>,
    ports: Vec<ServicePort>,
}

/// How a backend names the Service port it wants.
enum Want {
    All,
    ServicePort(u16),
    ServicePortName(String),
    /// A Route's `targetPort` number: a Service port's target, else the number itself.
    RouteNumber(u16),
    /// A Route's `targetPort` name: a Service port's name, else a container port's.
    RouteName(String),
}

fn services(snapshot: &Snapshot) -> BTreeMap<(String, String), Service> {
    let mut out = BTreeMap::new();
    for o in snapshot.objects() {
        if &*o.kind != "Service" || !o.group().is_empty() {
            continue;
        }
        let ns = o
            .effective_namespace(snapshot.default_namespace())
            .map(|n| n.to_string())
            .unwrap_or_default();
        let spec = o.root.get("spec");
        let selector = spec
            .and_then(|s| s.get("selector"))
            .map(labels_of)
            .filter(|l| !l.is_empty());
        let ports = spec
            .and_then(|s| s.get("ports"))
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .filter_map(|p| {
                let port = p
                    .get("port")
                    .and_then(Node::as_i64)
                    .and_then(|n| u16::try_from(n).ok());
                let target = match p.get("targetPort") {
                    Some(t) if t.as_i64().is_some() => {
                        Target::Number(u16::try_from(t.as_i64()?).ok()?)
                    }
                    Some(t) if t.as_str().is_some() => Target::Name(t.as_str()?.to_string()),
                    _ => Target::Number(port?),
                };
                Some(ServicePort {
                    name: p.get("name").and_then(Node::as_str).map(str::to_string),
                    port,
                    target,
                    protocol: p
                        .get("protocol")
                        .and_then(Node::as_str)
                        .and_then(Protocol::parse)
                        .unwrap_or(Protocol::Tcp),
                })
            })
            .collect();
        out.insert((ns, o.name.to_string()), Service { selector, ports });
    }
    out
}

/// The routes of every Ingress and Route in the snapshot.
pub fn routes(snapshot: &Snapshot, pods: &[Pod]) -> (Vec<Route>, Vec<Warning>) {
    let services = services(snapshot);
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for o in snapshot.objects() {
        let ns = o
            .effective_namespace(snapshot.default_namespace())
            .map(|n| n.to_string())
            .unwrap_or_default();
        let mut backends: Vec<(String, Want)> = Vec::new();
        let via;
        match (o.group(), o.kind.as_ref()) {
            ("networking.k8s.io" | "extensions", "Ingress") => {
                via = format!("Ingress {ns}/{}", o.name);
                let spec = o.root.get("spec");
                let mut add = |b: &Node| {
                    if let Some(svc) = b.get("service") {
                        let Some(name) = svc.get("name").and_then(Node::as_str) else {
                            return;
                        };
                        let want = match svc.get("port") {
                            Some(p) => match (
                                p.get("number").and_then(Node::as_i64),
                                p.get("name").and_then(Node::as_str),
                            ) {
                                (Some(n), _) => {
                                    u16::try_from(n).map_or(Want::All, Want::ServicePort)
                                }
                                (None, Some(n)) => Want::ServicePortName(n.to_string()),
                                _ => Want::All,
                            },
                            None => Want::All,
                        };
                        backends.push((name.to_string(), want));
                    } else if let Some(name) = b.get("serviceName").and_then(Node::as_str) {
                        let want = match b.get("servicePort") {
                            Some(p) if p.as_i64().is_some() => p
                                .as_i64()
                                .and_then(|n| u16::try_from(n).ok())
                                .map_or(Want::All, Want::ServicePort),
                            Some(p) => p
                                .as_str()
                                .map_or(Want::All, |n| Want::ServicePortName(n.to_string())),
                            None => Want::All,
                        };
                        backends.push((name.to_string(), want));
                    }
                };
                for key in ["defaultBackend", "backend"] {
                    if let Some(b) = spec.and_then(|s| s.get(key)) {
                        add(b);
                    }
                }
                for rule in spec
                    .and_then(|s| s.get("rules"))
                    .and_then(Node::as_seq)
                    .unwrap_or(&[])
                {
                    for path in rule
                        .path(&["http", "paths"])
                        .and_then(Node::as_seq)
                        .unwrap_or(&[])
                    {
                        if let Some(b) = path.get("backend") {
                            add(b);
                        }
                    }
                }
            }
            ("route.openshift.io", "Route") => {
                via = format!("Route {ns}/{}", o.name);
                let spec = o.root.get("spec");
                let port = spec.and_then(|s| s.path(&["port", "targetPort"]));
                let targets = spec.and_then(|s| s.get("to")).into_iter().chain(
                    spec.and_then(|s| s.get("alternateBackends"))
                        .and_then(Node::as_seq)
                        .unwrap_or(&[]),
                );
                for t in targets {
                    if t.get("kind")
                        .and_then(Node::as_str)
                        .is_some_and(|k| k != "Service")
                    {
                        continue;
                    }
                    if let Some(name) = t.get("name").and_then(Node::as_str) {
                        let want = match port {
                            Some(p) if p.as_i64().is_some() => p
                                .as_i64()
                                .and_then(|n| u16::try_from(n).ok())
                                .map_or(Want::All, Want::RouteNumber),
                            Some(p) => p
                                .as_str()
                                .map_or(Want::All, |n| Want::RouteName(n.to_string())),
                            None => Want::All,
                        };
                        backends.push((name.to_string(), want));
                    }
                }
            }
            _ => continue,
        }
        for (svc_name, want) in backends {
            let Some(svc) = services.get(&(ns.clone(), svc_name.clone())) else {
                warnings.push(missing(
                    o,
                    &format!(
                        "Service {ns}/{svc_name} is not in the manifests; its backends are unknown"
                    ),
                ));
                continue;
            };
            let Some(selector) = &svc.selector else {
                continue;
            };
            for (pi, pod) in pods.iter().enumerate() {
                if pod.namespace != ns
                    || !selector.iter().all(|(k, v)| pod.labels.get(k) == Some(v))
                {
                    continue;
                }
                let conns = backend_conns(svc, &want, pod);
                if !conns.is_empty() {
                    out.push(Route {
                        pod: pi,
                        conns,
                        via: via.clone(),
                    });
                }
            }
        }
    }
    (out, warnings)
}

fn missing(o: &Object, message: &str) -> Warning {
    Warning::at(o, o.pos(), message)
}

/// The pod ports a backend reaches on `pod`.
fn backend_conns(svc: &Service, want: &Want, pod: &Pod) -> ConnSet {
    let target = |p: &ServicePort| -> ConnSet {
        match &p.target {
            Target::Number(n) => ConnSet::of(p.protocol, PortSet::range(*n, *n)),
            Target::Name(name) => named(pod, name, Some(p.protocol)),
        }
    };
    let mut out = ConnSet::none();
    match want {
        Want::All => {
            for p in &svc.ports {
                out = out.union(&target(p));
            }
        }
        Want::ServicePort(n) => {
            for p in svc.ports.iter().filter(|p| p.port == Some(*n)) {
                out = out.union(&target(p));
            }
        }
        Want::ServicePortName(name) => {
            for p in svc
                .ports
                .iter()
                .filter(|p| p.name.as_deref() == Some(name.as_str()))
            {
                out = out.union(&target(p));
            }
        }
        Want::RouteNumber(n) => {
            let matching: Vec<&ServicePort> = svc
                .ports
                .iter()
                .filter(|p| matches!(p.target, Target::Number(t) if t == *n))
                .collect();
            if matching.is_empty() {
                out = ConnSet::of(Protocol::Tcp, PortSet::range(*n, *n));
            }
            for p in matching {
                out = out.union(&target(p));
            }
        }
        Want::RouteName(name) => {
            let by_name: Vec<&ServicePort> = svc
                .ports
                .iter()
                .filter(|p| p.name.as_deref() == Some(name.as_str()))
                .collect();
            if by_name.is_empty() {
                out = named(pod, name, None);
            }
            for p in by_name {
                out = out.union(&target(p));
            }
        }
    }
    out
}

fn named(pod: &Pod, name: &str, protocol: Option<Protocol>) -> ConnSet {
    let mut out = ConnSet::none();
    for (n, p, num) in &pod.named_ports {
        if n == name && protocol.is_none_or(|x| x == *p) {
            out = out.union(&ConnSet::of(*p, PortSet::range(*num, *num)));
        }
    }
    out
}
