//! NetworkPolicy, AdminNetworkPolicy and BaselineAdminNetworkPolicy, read from objects into the
//! forms the evaluator needs. What cannot be read is a [`Warning`] with its place, and the part
//! is dropped the way the API server would reject it: never guessed.

use std::sync::Arc;

use bulwark_k8s::{LabelSelector, Node, Object, Pos};

use crate::conn::{PortSet, Protocol};
use crate::ip::{CidrError, IpRange, IpSet, parse_cidr};

/// Something in the manifests the analysis could not use, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The file.
    pub path: Arc<str>,
    /// The line, where known.
    pub line: Option<u32>,
    /// What was wrong and what the analysis did about it.
    pub message: String,
}

impl Warning {
    pub(crate) fn at(object: &Object, pos: Pos, message: impl std::fmt::Display) -> Warning {
        Warning {
            path: Arc::clone(&object.path),
            line: Some(pos.line),
            message: format!("{} {}: {message}", object.kind, object.name),
        }
    }
}

/// Which pods a peer (or a subject) stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerSel {
    /// Pods of one namespace matching a selector (a NetworkPolicy `podSelector` peer, or a
    /// policy's own subject).
    InNamespace {
        /// The namespace.
        namespace: String,
        /// The pod selector.
        pods: LabelSelector,
    },
    /// Pods matching `pods` in every namespace matching `namespaces`.
    Namespaces {
        /// The namespace selector.
        namespaces: LabelSelector,
        /// The pod selector (`{}` for every pod).
        pods: LabelSelector,
    },
    /// Addresses outside the cluster (`ipBlock`, `networks`).
    Ips(IpSet),
}

/// A port a rule names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortSpec {
    /// Port numbers of one protocol.
    Numbers(Protocol, PortSet),
    /// A named container port, resolved on the destination pod. `None` protocol (an
    /// AdminNetworkPolicy `namedPort`) takes the container port's own.
    Named(Option<Protocol>, String),
}

/// One ingress or egress rule of a NetworkPolicy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpRule {
    /// The peers; `None` when the rule names none (every source or destination).
    pub peers: Option<Vec<PeerSel>>,
    /// The ports; empty for every port.
    pub ports: Vec<PortSpec>,
}

/// A NetworkPolicy.
#[derive(Debug, Clone)]
pub struct NetworkPolicy {
    /// Index of the object in the snapshot.
    pub object: usize,
    /// `namespace/name`.
    pub id: String,
    /// The pods it selects.
    pub subject: PeerSel,
    /// Ingress rules, when the policy isolates ingress.
    pub ingress: Option<Vec<NpRule>>,
    /// Egress rules, when the policy isolates egress.
    pub egress: Option<Vec<NpRule>>,
}

/// What an admin rule does with the traffic it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Allowed, whatever lower layers say.
    Allow,
    /// Denied, whatever lower layers say.
    Deny,
    /// Handed to the NetworkPolicy layer (AdminNetworkPolicy only).
    Pass,
}

/// A rule of an AdminNetworkPolicy or BaselineAdminNetworkPolicy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRule {
    /// `name`.
    pub name: String,
    /// `action`.
    pub action: Action,
    /// The peers.
    pub peers: Vec<PeerSel>,
    /// The ports; empty for every port.
    pub ports: Vec<PortSpec>,
}

/// An AdminNetworkPolicy (`baseline: false`) or the BaselineAdminNetworkPolicy.
#[derive(Debug, Clone)]
pub struct AdminPolicy {
    /// Index of the object in the snapshot.
    pub object: usize,
    /// The name.
    pub name: String,
    /// Whether this is the BaselineAdminNetworkPolicy.
    pub baseline: bool,
    /// `priority` (lower wins); 0 for the baseline.
    pub priority: i64,
    /// The pods it applies to.
    pub subject: PeerSel,
    /// Ingress rules, in order (the first match decides).
    pub ingress: Vec<AdminRule>,
    /// Egress rules, in order.
    pub egress: Vec<AdminRule>,
}

fn selector(
    object: &Object,
    node: Option<&Node>,
    warnings: &mut Vec<Warning>,
) -> Option<LabelSelector> {
    match node {
        None => Some(LabelSelector::everything()),
        Some(n) => match LabelSelector::parse(n) {
            Ok(s) => Some(s),
            Err(e) => {
                warnings.push(Warning::at(
                    object,
                    e.pos,
                    format!("{}; the selector matches nothing", e.message),
                ));
                None
            }
        },
    }
}

fn ip_block(object: &Object, node: &Node, warnings: &mut Vec<Warning>) -> Option<IpSet> {
    let cidr = node.get("cidr").and_then(Node::as_str);
    let Some(cidr) = cidr else {
        warnings.push(Warning::at(
            object,
            node.pos,
            "ipBlock without cidr; the peer is ignored",
        ));
        return None;
    };
    let range = match parse_cidr(cidr) {
        Ok(r) => r,
        Err(e) => {
            warnings.push(Warning::at(object, node.pos, cidr_message(&e)));
            return None;
        }
    };
    let mut set = IpSet::from_range(range);
    for ex in node.get("except").and_then(Node::as_seq).unwrap_or(&[]) {
        match ex.as_str().map(parse_cidr) {
            Some(Ok(r)) => set = set.minus(&r),
            Some(Err(e)) => warnings.push(Warning::at(object, ex.pos, cidr_message(&e))),
            None => warnings.push(Warning::at(object, ex.pos, "except entry is not a CIDR")),
        }
    }
    Some(set)
}

fn cidr_message(e: &CidrError) -> String {
    match e {
        CidrError::Ipv6(_) => format!("{e}: the peer is left out"),
        CidrError::Invalid(_) => format!("{e}: the peer is ignored"),
    }
}

fn protocol(object: &Object, node: &Node, warnings: &mut Vec<Warning>) -> Option<Protocol> {
    match node.get("protocol").and_then(Node::as_str) {
        None => Some(Protocol::Tcp),
        Some(p) => {
            let parsed = Protocol::parse(p);
            if parsed.is_none() {
                warnings.push(Warning::at(
                    object,
                    node.pos,
                    format!("unknown protocol {p:?} (TCP, UDP, SCTP); the port is ignored"),
                ));
            }
            parsed
        }
    }
}

fn port_number(n: &Node) -> Option<u16> {
    n.as_i64()
        .and_then(|v| u16::try_from(v).ok())
        .filter(|v| *v > 0)
}

/// Reads a NetworkPolicy `ports` entry.
fn np_port(object: &Object, node: &Node, warnings: &mut Vec<Warning>) -> Option<PortSpec> {
    let proto = protocol(object, node, warnings)?;
    let Some(port) = node.get("port").filter(|p| !p.is_null()) else {
        return Some(PortSpec::Numbers(proto, PortSet::all()));
    };
    if let Some(n) = port_number(port) {
        let end = node.get("endPort").and_then(port_number).unwrap_or(n);
        if end < n {
            warnings.push(Warning::at(
                object,
                node.pos,
                format!("endPort {end} is below port {n}; the port is ignored"),
            ));
            return None;
        }
        return Some(PortSpec::Numbers(proto, PortSet::range(n, end)));
    }
    match port.as_str() {
        Some(name) if port.as_i64().is_none() => {
            Some(PortSpec::Named(Some(proto), name.to_string()))
        }
        _ => {
            warnings.push(Warning::at(
                object,
                port.pos,
                format!("port {port} is not a port number or name; the port is ignored"),
            ));
            None
        }
    }
}

fn np_peer(
    object: &Object,
    namespace: &str,
    node: &Node,
    warnings: &mut Vec<Warning>,
) -> Option<PeerSel> {
    if let Some(b) = node.get("ipBlock") {
        return ip_block(object, b, warnings).map(PeerSel::Ips);
    }
    let pod_sel = node.get("podSelector");
    let ns_sel = node.get("namespaceSelector");
    match (pod_sel, ns_sel) {
        (_, Some(ns)) => Some(PeerSel::Namespaces {
            namespaces: selector(object, Some(ns), warnings)?,
            pods: selector(object, pod_sel, warnings)?,
        }),
        (Some(p), None) => Some(PeerSel::InNamespace {
            namespace: namespace.to_string(),
            pods: selector(object, Some(p), warnings)?,
        }),
        (None, None) => {
            warnings.push(Warning::at(
                object,
                node.pos,
                "a peer needs podSelector, namespaceSelector or ipBlock; it is ignored",
            ));
            None
        }
    }
}

fn np_rules(
    object: &Object,
    namespace: &str,
    rules: Option<&Node>,
    peers_key: &str,
    warnings: &mut Vec<Warning>,
) -> Vec<NpRule> {
    let mut out = Vec::new();
    for rule in rules.and_then(Node::as_seq).unwrap_or(&[]) {
        let peers = match rule.get(peers_key).and_then(Node::as_seq) {
            None | Some([]) => None,
            Some(list) => Some(
                list.iter()
                    .filter_map(|p| np_peer(object, namespace, p, warnings))
                    .collect(),
            ),
        };
        let port_nodes = rule.get("ports").and_then(Node::as_seq).unwrap_or(&[]);
        let ports: Vec<PortSpec> = port_nodes
            .iter()
            .filter_map(|p| np_port(object, p, warnings))
            .collect();
        if !port_nodes.is_empty() && ports.is_empty() {
            // Every port was unreadable: the rule allows nothing rather than everything.
            continue;
        }
        out.push(NpRule { peers, ports });
    }
    out
}

/// Reads a NetworkPolicy.
pub fn network_policy(
    index: usize,
    object: &Object,
    namespace: &str,
    warnings: &mut Vec<Warning>,
) -> Option<NetworkPolicy> {
    let spec = object.root.get("spec")?;
    let subject = PeerSel::InNamespace {
        namespace: namespace.to_string(),
        // An unreadable subject selects nothing: the policy has no effect.
        pods: selector(object, Some(spec.get("podSelector")?), warnings)?,
    };
    let types: Option<Vec<&str>> = spec
        .get("policyTypes")
        .and_then(Node::as_seq)
        .map(|t| t.iter().filter_map(Node::as_str).collect());
    let has_egress = spec
        .get("egress")
        .and_then(Node::as_seq)
        .is_some_and(|e| !e.is_empty());
    let (isolates_ingress, isolates_egress) = match &types {
        Some(t) => (t.contains(&"Ingress"), t.contains(&"Egress")),
        None => (true, has_egress),
    };
    Some(NetworkPolicy {
        object: index,
        id: format!("{namespace}/{}", object.name),
        subject,
        ingress: isolates_ingress
            .then(|| np_rules(object, namespace, spec.get("ingress"), "from", warnings)),
        egress: isolates_egress
            .then(|| np_rules(object, namespace, spec.get("egress"), "to", warnings)),
    })
}

fn admin_subject(
    object: &Object,
    node: Option<&Node>,
    warnings: &mut Vec<Warning>,
) -> Option<PeerSel> {
    let node = node?;
    if let Some(ns) = node.get("namespaces") {
        return Some(PeerSel::Namespaces {
            namespaces: selector(object, Some(ns), warnings)?,
            pods: LabelSelector::everything(),
        });
    }
    if let Some(p) = node.get("pods") {
        return Some(PeerSel::Namespaces {
            namespaces: selector(object, p.get("namespaceSelector"), warnings)?,
            pods: selector(object, p.get("podSelector"), warnings)?,
        });
    }
    warnings.push(Warning::at(
        object,
        node.pos,
        "subject needs namespaces or pods; the policy applies to nothing",
    ));
    None
}

fn admin_ports(object: &Object, rule: &Node, warnings: &mut Vec<Warning>) -> Option<Vec<PortSpec>> {
    let Some(list) = rule.get("ports").and_then(Node::as_seq) else {
        return Some(Vec::new());
    };
    let mut out = Vec::new();
    for p in list {
        if let Some(n) = p.get("portNumber") {
            let proto = protocol(object, n, warnings)?;
            if let Some(port) = n.get("port").and_then(port_number) {
                out.push(PortSpec::Numbers(proto, PortSet::range(port, port)));
            }
        } else if let Some(r) = p.get("portRange") {
            let proto = protocol(object, r, warnings)?;
            let start = r.get("start").and_then(port_number);
            let end = r.get("end").and_then(port_number);
            match (start, end) {
                (Some(s), Some(e)) if s <= e => {
                    out.push(PortSpec::Numbers(proto, PortSet::range(s, e)));
                }
                _ => warnings.push(Warning::at(
                    object,
                    r.pos,
                    "portRange needs start <= end; the port is ignored",
                )),
            }
        } else if let Some(name) = p.get("namedPort").and_then(Node::as_str) {
            out.push(PortSpec::Named(None, name.to_string()));
        } else {
            warnings.push(Warning::at(
                object,
                p.pos,
                "a port needs portNumber, portRange or namedPort; it is ignored",
            ));
        }
    }
    if out.is_empty() {
        return None;
    }
    Some(out)
}

fn admin_rules(
    object: &Object,
    rules: Option<&Node>,
    peers_key: &str,
    baseline: bool,
    warnings: &mut Vec<Warning>,
) -> Vec<AdminRule> {
    let mut out = Vec::new();
    for rule in rules.and_then(Node::as_seq).unwrap_or(&[]) {
        let action = match rule.get("action").and_then(Node::as_str) {
            Some("Allow") => Action::Allow,
            Some("Deny") => Action::Deny,
            Some("Pass") if !baseline => Action::Pass,
            other => {
                warnings.push(Warning::at(
                    object,
                    rule.pos,
                    format!(
                        "unknown action {} ({}); the rule is ignored",
                        other.unwrap_or("(none)"),
                        if baseline {
                            "Allow, Deny"
                        } else {
                            "Allow, Deny, Pass"
                        }
                    ),
                ));
                continue;
            }
        };
        let mut peers = Vec::new();
        for p in rule.get(peers_key).and_then(Node::as_seq).unwrap_or(&[]) {
            if let Some(ns) = p.get("namespaces") {
                if let Some(namespaces) = selector(object, Some(ns), warnings) {
                    peers.push(PeerSel::Namespaces {
                        namespaces,
                        pods: LabelSelector::everything(),
                    });
                }
            } else if let Some(pods) = p.get("pods") {
                if let (Some(namespaces), Some(pod_sel)) = (
                    selector(object, pods.get("namespaceSelector"), warnings),
                    selector(object, pods.get("podSelector"), warnings),
                ) {
                    peers.push(PeerSel::Namespaces {
                        namespaces,
                        pods: pod_sel,
                    });
                }
            } else if let Some(nets) = p.get("networks").and_then(Node::as_seq) {
                let mut set: Vec<IpRange> = Vec::new();
                for n in nets {
                    match n.as_str().map(parse_cidr) {
                        Some(Ok(r)) => set.push(r),
                        Some(Err(e)) => warnings.push(Warning::at(object, n.pos, cidr_message(&e))),
                        None => {}
                    }
                }
                for r in set {
                    peers.push(PeerSel::Ips(IpSet::from_range(r)));
                }
            } else if p.get("nodes").is_some() {
                warnings.push(Warning::at(
                    object,
                    p.pos,
                    "nodes peers are outside the analysis (manifests hold no nodes); ignored",
                ));
            }
        }
        let Some(ports) = admin_ports(object, rule, warnings) else {
            continue;
        };
        out.push(AdminRule {
            name: rule
                .get("name")
                .and_then(Node::as_str)
                .unwrap_or("")
                .to_string(),
            action,
            peers,
            ports,
        });
    }
    out
}

/// Reads an AdminNetworkPolicy or BaselineAdminNetworkPolicy.
pub fn admin_policy(
    index: usize,
    object: &Object,
    baseline: bool,
    warnings: &mut Vec<Warning>,
) -> Option<AdminPolicy> {
    let spec = object.root.get("spec")?;
    let subject = admin_subject(object, spec.get("subject"), warnings)?;
    let priority = if baseline {
        0
    } else {
        match spec.get("priority").and_then(Node::as_i64) {
            Some(p) if (0..=1000).contains(&p) => p,
            _ => {
                warnings.push(Warning::at(
                    object,
                    spec.pos,
                    "priority must be 0..1000; the policy is ignored",
                ));
                return None;
            }
        }
    };
    Some(AdminPolicy {
        object: index,
        name: object.name.to_string(),
        baseline,
        priority,
        subject,
        ingress: admin_rules(object, spec.get("ingress"), "from", baseline, warnings),
        egress: admin_rules(object, spec.get("egress"), "to", baseline, warnings),
    })
}
