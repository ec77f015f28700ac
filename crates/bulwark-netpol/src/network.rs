//! The network a snapshot describes (pods, namespaces, policies, ingress routes) and the
//! evaluation of what it allows between any two endpoints.
//!
//! Pods with identical behaviour are evaluated once: a pod's *class* is the set of selectors it
//! matches plus its named ports, and two pods of one class allow and are allowed exactly the
//! same connections. That keeps a 5,000-pod cluster to a few hundred evaluations per pod pair
//! of classes rather than 25 million.

use std::collections::{BTreeMap, HashMap};

use bulwark_k8s::{Labels, Node, Snapshot, Workload, namespaces};
use rayon::prelude::*;

use crate::conn::{ConnSet, PortSet, Protocol};
use crate::ingress::{self, Route};
use crate::ip::{IpRange, partition};
use crate::policy::{
    Action, AdminPolicy, AdminRule, NetworkPolicy, NpRule, PeerSel, PortSpec, Warning,
    admin_policy, network_policy,
};

/// Named container ports: name, protocol, number.
type NamedPorts = Vec<(String, Protocol, u16)>;

/// A workload as a network endpoint: all pods of one controller, or one bare Pod.
#[derive(Debug, Clone)]
pub struct Pod {
    /// Its namespace.
    pub namespace: String,
    /// Its name: the controller's (a Pod with an owner takes its owner's name).
    pub name: String,
    /// Its kind (`Deployment`, `Pod`, or the owner's kind).
    pub kind: String,
    /// Pod labels.
    pub labels: Labels,
    /// Named container ports: name, protocol, number.
    pub named_ports: Vec<(String, Protocol, u16)>,
    /// Index of its (first) object in the snapshot.
    pub object: usize,
    /// `hostNetwork: true`.
    pub host_network: bool,
    class: usize,
}

impl Pod {
    /// `namespace/name[Kind]`.
    pub fn display(&self) -> String {
        format!("{}/{}[{}]", self.namespace, self.name, self.kind)
    }
}

/// Counts of a whole network's reachability ([`Network::summary`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Workloads (endpoints).
    pub workloads: usize,
    /// Namespaces with workloads.
    pub namespaces: usize,
    /// NetworkPolicies read.
    pub network_policies: usize,
    /// Admin and baseline admin policies read.
    pub admin_policies: usize,
    /// Distinct behaviours among the workloads.
    pub classes: usize,
    /// Ordered pairs of distinct workloads with at least one allowed connection.
    pub pod_pairs: usize,
    /// Workloads some address outside the cluster may connect to.
    pub ingress_from_outside: usize,
    /// Workloads that may connect to some address outside the cluster.
    pub egress_to_outside: usize,
    /// Workloads some policy isolates for ingress.
    pub isolated_ingress: usize,
    /// Workloads some policy isolates for egress.
    pub isolated_egress: usize,
}

/// One end of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// A workload: an index into [`Network::pods`].
    Pod(usize),
    /// Addresses outside the cluster.
    Ips(IpRange),
    /// The cluster's ingress controller, as Ingress and Route objects imply it.
    IngressController,
}

/// An allowed connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Who connects.
    pub src: Endpoint,
    /// To whom.
    pub dst: Endpoint,
    /// What is allowed.
    pub conns: ConnSet,
}

/// A selector as evaluated: pod selectors get an id (their result is part of a pod's class),
/// address sets stay as they are.
#[derive(Debug, Clone)]
enum Sel {
    Pods(usize),
    Ips(crate::ip::IpSet),
}

#[derive(Debug, Clone)]
struct Rule {
    peers: Option<Vec<Sel>>,
    ports: Vec<PortSpec>,
}

#[derive(Debug, Clone)]
struct Np {
    policy: NetworkPolicy,
    subject: usize,
    ingress: Option<Vec<Rule>>,
    egress: Option<Vec<Rule>>,
}

#[derive(Debug, Clone)]
struct ARule {
    action: Action,
    name: String,
    peers: Vec<Sel>,
    ports: Vec<PortSpec>,
}

#[derive(Debug, Clone)]
struct Admin {
    policy: AdminPolicy,
    subject: usize,
    ingress: Vec<ARule>,
    egress: Vec<ARule>,
}

/// What one class of pods matches.
#[derive(Debug, Clone)]
struct Class {
    /// Indexed by selector id.
    matched: Vec<bool>,
    named_ports: Vec<(String, Protocol, u16)>,
    np_ingress: Vec<usize>,
    np_egress: Vec<usize>,
    admin: Vec<usize>,
    baseline: bool,
}

/// The direction of a policy rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Traffic into the subject pod.
    Ingress,
    /// Traffic out of the subject pod.
    Egress,
}

/// The peer seen from one side's policies.
#[derive(Debug, Clone, Copy)]
enum Peer {
    Class(usize),
    Ip(IpRange),
    Controller,
}

/// Every fact the evaluation needs, built once from a snapshot.
#[derive(Debug)]
pub struct Network {
    pods: Vec<Pod>,
    namespaces: BTreeMap<String, Labels>,
    selectors: Vec<PeerSel>,
    policies: Vec<Np>,
    admins: Vec<Admin>,
    classes: Vec<Class>,
    controller: Class,
    ingress_atoms: Vec<IpRange>,
    egress_atoms: Vec<IpRange>,
    routes: Vec<Route>,
    warnings: Vec<Warning>,
}

/// The namespace the ingress controller is imagined in: unknown, so it matches only selectors
/// that match any namespace.
const CONTROLLER_NAMESPACE: &str = "";

impl Network {
    /// Builds the network of `snapshot`.
    pub fn build(snapshot: &Snapshot) -> Network {
        let mut warnings = Vec::new();
        let ns_map: BTreeMap<String, Labels> = namespaces(snapshot)
            .into_iter()
            .map(|(k, v)| (k, v.labels))
            .collect();
        let pods = collect_pods(snapshot);
        let mut selectors: Vec<PeerSel> = Vec::new();
        let mut sel_ids: HashMap<String, usize> = HashMap::new();
        let mut intern = |s: &PeerSel| -> Sel {
            if let PeerSel::Ips(set) = s {
                return Sel::Ips(set.clone());
            }
            let key = format!("{s:?}");
            let next = selectors.len();
            let id = *sel_ids.entry(key).or_insert(next);
            if id == next {
                selectors.push(s.clone());
            }
            Sel::Pods(id)
        };
        let compile_rules = |rules: &Option<Vec<NpRule>>,
                             intern: &mut dyn FnMut(&PeerSel) -> Sel| {
            rules.as_ref().map(|rules| {
                rules
                    .iter()
                    .map(|r| Rule {
                        peers: r
                            .peers
                            .as_ref()
                            .map(|p| p.iter().map(&mut *intern).collect()),
                        ports: r.ports.clone(),
                    })
                    .collect::<Vec<_>>()
            })
        };
        let compile_admin = |rules: &[AdminRule], intern: &mut dyn FnMut(&PeerSel) -> Sel| {
            rules
                .iter()
                .map(|r| ARule {
                    action: r.action,
                    name: r.name.clone(),
                    peers: r.peers.iter().map(&mut *intern).collect(),
                    ports: r.ports.clone(),
                })
                .collect::<Vec<_>>()
        };
        let mut policies = Vec::new();
        let mut admins = Vec::new();
        for (i, o) in snapshot.objects().iter().enumerate() {
            let group = o.group();
            match (group, o.kind.as_ref()) {
                ("networking.k8s.io", "NetworkPolicy") => {
                    let ns = o
                        .effective_namespace(snapshot.default_namespace())
                        .map(|n| n.to_string())
                        .unwrap_or_default();
                    if let Some(p) = network_policy(i, o, &ns, &mut warnings) {
                        let subject = match intern(&p.subject) {
                            Sel::Pods(id) => id,
                            Sel::Ips(_) => continue,
                        };
                        let ingress = compile_rules(&p.ingress, &mut intern);
                        let egress = compile_rules(&p.egress, &mut intern);
                        policies.push(Np {
                            policy: p,
                            subject,
                            ingress,
                            egress,
                        });
                    }
                }
                (
                    "policy.networking.k8s.io",
                    kind @ ("AdminNetworkPolicy" | "BaselineAdminNetworkPolicy"),
                ) => {
                    let baseline = kind == "BaselineAdminNetworkPolicy";
                    if let Some(p) = admin_policy(i, o, baseline, &mut warnings) {
                        let subject = match intern(&p.subject) {
                            Sel::Pods(id) => id,
                            Sel::Ips(_) => continue,
                        };
                        let ingress = compile_admin(&p.ingress, &mut intern);
                        let egress = compile_admin(&p.egress, &mut intern);
                        admins.push(Admin {
                            policy: p,
                            subject,
                            ingress,
                            egress,
                        });
                    }
                }
                _ => {}
            }
        }
        // Admin policies in evaluation order: priority, then name (two policies with one
        // priority have no defined order in the API; the name makes ours stable).
        admins.sort_by(|a, b| {
            (a.policy.baseline, a.policy.priority, &a.policy.name).cmp(&(
                b.policy.baseline,
                b.policy.priority,
                &b.policy.name,
            ))
        });
        if admins.iter().filter(|a| a.policy.baseline).count() > 1 {
            warnings.push(Warning {
                path: snapshot.objects()[admins.iter().rev().find(|a| a.policy.baseline).map_or(0, |a| a.policy.object)]
                    .path
                    .clone(),
                line: None,
                message: "more than one BaselineAdminNetworkPolicy: the API allows only one (named default); the first by name is used".into(),
            });
            let mut seen = false;
            admins.retain(|a| {
                if !a.policy.baseline {
                    return true;
                }
                let keep = !seen;
                seen = true;
                keep
            });
        }
        for w in priority_clashes(&admins, snapshot) {
            warnings.push(w);
        }
        let ingress_atoms = atoms(&policies, &admins, Direction::Ingress);
        let egress_atoms = atoms(&policies, &admins, Direction::Egress);
        let mut net = Network {
            pods,
            namespaces: ns_map,
            selectors,
            policies,
            admins,
            classes: Vec::new(),
            controller: Class {
                matched: Vec::new(),
                named_ports: Vec::new(),
                np_ingress: Vec::new(),
                np_egress: Vec::new(),
                admin: Vec::new(),
                baseline: false,
            },
            ingress_atoms,
            egress_atoms,
            routes: Vec::new(),
            warnings,
        };
        net.classify();
        let (routes, route_warnings) = ingress::routes(snapshot, &net.pods);
        net.routes = routes;
        net.warnings.extend(route_warnings);
        net
    }

    fn classify(&mut self) {
        let mut by_signature: HashMap<(Vec<bool>, NamedPorts), usize> = HashMap::new();
        let empty = Labels::new();
        for p in 0..self.pods.len() {
            let pod = &self.pods[p];
            let ns_labels = self.namespaces.get(&pod.namespace).unwrap_or(&empty);
            let matched: Vec<bool> = self
                .selectors
                .iter()
                .map(|s| sel_matches(s, &pod.namespace, ns_labels, &pod.labels))
                .collect();
            let key = (matched, pod.named_ports.clone());
            let next = self.classes.len();
            let class = *by_signature.entry(key.clone()).or_insert(next);
            if class == next {
                self.classes.push(self.new_class(key.0, key.1));
            }
            self.pods[p].class = class;
        }
        let matched = self
            .selectors
            .iter()
            .map(|s| sel_matches(s, CONTROLLER_NAMESPACE, &empty, &empty))
            .collect();
        self.controller = self.new_class(matched, Vec::new());
    }

    fn new_class(&self, matched: Vec<bool>, named_ports: Vec<(String, Protocol, u16)>) -> Class {
        let np_ingress = (0..self.policies.len())
            .filter(|&i| matched[self.policies[i].subject] && self.policies[i].ingress.is_some())
            .collect();
        let np_egress = (0..self.policies.len())
            .filter(|&i| matched[self.policies[i].subject] && self.policies[i].egress.is_some())
            .collect();
        let admin: Vec<usize> = (0..self.admins.len())
            .filter(|&i| matched[self.admins[i].subject])
            .collect();
        let baseline = admin.iter().any(|&i| self.admins[i].policy.baseline);
        Class {
            matched,
            named_ports,
            np_ingress,
            np_egress,
            admin,
            baseline,
        }
    }

    /// The workloads, in a stable order (namespace, name, kind).
    pub fn pods(&self) -> &[Pod] {
        &self.pods
    }

    /// The behaviour class of a pod: pods of one class allow, and are allowed, the same.
    pub fn class_of(&self, pod: usize) -> usize {
        self.pods[pod].class
    }

    /// The namespaces and their labels.
    pub fn namespaces(&self) -> &BTreeMap<String, Labels> {
        &self.namespaces
    }

    /// What could not be used, with where it is.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The NetworkPolicies read.
    pub fn network_policies(&self) -> impl Iterator<Item = &NetworkPolicy> {
        self.policies.iter().map(|p| &p.policy)
    }

    /// The admin policies read, in evaluation order (the baseline last).
    pub fn admin_policies(&self) -> impl Iterator<Item = &AdminPolicy> {
        self.admins.iter().map(|a| &a.policy)
    }

    /// The distinct behaviours among the pods: how many evaluations a full analysis needs
    /// per pair.
    pub fn class_count(&self) -> usize {
        self.classes.len()
    }

    /// The address ranges sources outside the cluster are split into.
    pub fn ingress_atoms(&self) -> &[IpRange] {
        &self.ingress_atoms
    }

    /// The address ranges destinations outside the cluster are split into.
    pub fn egress_atoms(&self) -> &[IpRange] {
        &self.egress_atoms
    }

    /// The Ingress and Route backends.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// Whether the pods a selector id stands for include `pod`.
    fn class_for(&self, peer: Peer) -> Option<&Class> {
        match peer {
            Peer::Class(c) => Some(&self.classes[c]),
            Peer::Controller => Some(&self.controller),
            Peer::Ip(_) => None,
        }
    }

    fn peer_of(&self, e: Endpoint) -> Peer {
        match e {
            Endpoint::Pod(p) => Peer::Class(self.pods[p].class),
            Endpoint::Ips(r) => Peer::Ip(r),
            Endpoint::IngressController => Peer::Controller,
        }
    }

    fn sel_matches_peer(&self, sel: &Sel, peer: Peer) -> bool {
        match (sel, peer) {
            (Sel::Ips(set), Peer::Ip(r)) => set.covers(&r),
            (Sel::Pods(id), p) => self.class_for(p).is_some_and(|c| c.matched[*id]),
            (Sel::Ips(_), _) => false,
        }
    }

    /// The connections `ports` stand for on a destination with `named` ports.
    fn resolve(ports: &[PortSpec], named: &[(String, Protocol, u16)]) -> ConnSet {
        if ports.is_empty() {
            return ConnSet::all();
        }
        let mut out = ConnSet::none();
        for p in ports {
            match p {
                PortSpec::Numbers(proto, set) => {
                    out = out.union(&ConnSet::of(*proto, set.clone()));
                }
                PortSpec::Named(proto, name) => {
                    for (n, pr, num) in named {
                        if n == name && proto.is_none_or(|p| p == *pr) {
                            out = out.union(&ConnSet::of(*pr, PortSet::range(*num, *num)));
                        }
                    }
                }
            }
        }
        out
    }

    /// What the subject's policies in `dir` allow with `peer`. For ingress the subject is the
    /// destination; for egress, the peer is. `trace` collects the policies that allowed.
    fn direction(
        &self,
        subject: &Class,
        peer: Peer,
        dir: Direction,
        mut trace: Option<&mut Vec<String>>,
    ) -> ConnSet {
        let dst_named: &[(String, Protocol, u16)] = match dir {
            Direction::Ingress => &subject.named_ports,
            Direction::Egress => self.class_for(peer).map_or(&[], |c| &c.named_ports),
        };
        let mut allowed = ConnSet::none();
        // What the admin policies left to the lower layers; `None` is everything (the common
        // case of no admin policy, kept free of allocations: most pairs match no rule at all).
        let rest: Option<ConnSet> = if subject
            .admin
            .iter()
            .any(|&a| !self.admins[a].policy.baseline)
        {
            let mut undecided = ConnSet::all();
            let mut passed = ConnSet::none();
            for &a in subject
                .admin
                .iter()
                .filter(|&&a| !self.admins[a].policy.baseline)
            {
                let admin = &self.admins[a];
                let rules = match dir {
                    Direction::Ingress => &admin.ingress,
                    Direction::Egress => &admin.egress,
                };
                for r in rules {
                    if undecided.is_empty() {
                        break;
                    }
                    if !r.peers.iter().any(|s| self.sel_matches_peer(s, peer)) {
                        continue;
                    }
                    let hit = Self::resolve(&r.ports, dst_named).intersect(&undecided);
                    if hit.is_empty() {
                        continue;
                    }
                    undecided = undecided.subtract(&hit);
                    match r.action {
                        Action::Allow => {
                            allowed = allowed.union(&hit);
                            if let Some(t) = trace.as_deref_mut() {
                                t.push(format!(
                                    "AdminNetworkPolicy {} rule {:?} allows {hit}",
                                    admin.policy.name, r.name
                                ));
                            }
                        }
                        Action::Pass => passed = passed.union(&hit),
                        Action::Deny => {
                            if let Some(t) = trace.as_deref_mut() {
                                t.push(format!(
                                    "AdminNetworkPolicy {} rule {:?} denies {hit}",
                                    admin.policy.name, r.name
                                ));
                            }
                        }
                    }
                }
            }
            Some(undecided.union(&passed))
        } else {
            None
        };
        if rest.as_ref().is_some_and(ConnSet::is_empty) {
            return allowed;
        }
        let nps = match dir {
            Direction::Ingress => &subject.np_ingress,
            Direction::Egress => &subject.np_egress,
        };
        if !nps.is_empty() {
            let mut np_allowed = ConnSet::none();
            for &i in nps {
                let np = &self.policies[i];
                let rules = match dir {
                    Direction::Ingress => np.ingress.as_deref(),
                    Direction::Egress => np.egress.as_deref(),
                }
                .unwrap_or(&[]);
                for (n, r) in rules.iter().enumerate() {
                    let peer_ok = r
                        .peers
                        .as_ref()
                        .is_none_or(|ps| ps.iter().any(|s| self.sel_matches_peer(s, peer)));
                    if !peer_ok {
                        continue;
                    }
                    let c = Self::resolve(&r.ports, dst_named);
                    let c = match &rest {
                        Some(rest) => c.intersect(rest),
                        None => c,
                    };
                    if c.is_empty() {
                        continue;
                    }
                    if let Some(t) = trace.as_deref_mut() {
                        t.push(format!(
                            "NetworkPolicy {} {} rule {} allows {c}",
                            np.policy.id,
                            match dir {
                                Direction::Ingress => "ingress",
                                Direction::Egress => "egress",
                            },
                            n + 1
                        ));
                    }
                    np_allowed = np_allowed.union(&c);
                }
            }
            return allowed.union(&np_allowed);
        }
        let mut rest = rest.unwrap_or_else(ConnSet::all);
        if subject.baseline {
            for &a in subject
                .admin
                .iter()
                .filter(|&&a| self.admins[a].policy.baseline)
            {
                let admin = &self.admins[a];
                let rules = match dir {
                    Direction::Ingress => &admin.ingress,
                    Direction::Egress => &admin.egress,
                };
                for r in rules {
                    if !r.peers.iter().any(|s| self.sel_matches_peer(s, peer)) {
                        continue;
                    }
                    let hit = Self::resolve(&r.ports, dst_named).intersect(&rest);
                    if hit.is_empty() {
                        continue;
                    }
                    rest = rest.subtract(&hit);
                    if r.action == Action::Allow {
                        allowed = allowed.union(&hit);
                    }
                    if let Some(t) = trace.as_deref_mut() {
                        t.push(format!(
                            "BaselineAdminNetworkPolicy {} rule {:?} {} {hit}",
                            admin.policy.name,
                            r.name,
                            if r.action == Action::Allow {
                                "allows"
                            } else {
                                "denies"
                            }
                        ));
                    }
                }
            }
        }
        if !rest.is_empty()
            && let Some(t) = trace
        {
            t.push(format!(
                "no policy isolates {} of the {}: {rest} allowed by default",
                match dir {
                    Direction::Ingress => "ingress",
                    Direction::Egress => "egress",
                },
                match dir {
                    Direction::Ingress => "destination",
                    Direction::Egress => "source",
                }
            ));
        }
        allowed.union(&rest)
    }

    /// What is allowed from `src` to `dst`. Two address ranges never connect through the
    /// cluster's policies, and an endpoint never "connects" to itself: both give nothing.
    pub fn allowed(&self, src: Endpoint, dst: Endpoint) -> ConnSet {
        self.evaluate(src, dst, None)
    }

    /// What is allowed from `src` to `dst`, and the policy decisions that make it so.
    pub fn explain(&self, src: Endpoint, dst: Endpoint) -> (ConnSet, Vec<String>) {
        let mut trace = Vec::new();
        let c = self.evaluate(src, dst, Some(&mut trace));
        (c, trace)
    }

    fn evaluate(
        &self,
        src: Endpoint,
        dst: Endpoint,
        mut trace: Option<&mut Vec<String>>,
    ) -> ConnSet {
        let (sp, dp) = (self.peer_of(src), self.peer_of(dst));
        if src == dst || matches!((sp, dp), (Peer::Ip(_), Peer::Ip(_))) {
            return ConnSet::none();
        }
        // The ingress controller's own egress is outside the manifests: unrestricted.
        let egress = match sp {
            Peer::Class(c) => self.direction(
                &self.classes[c],
                dp,
                Direction::Egress,
                trace.as_deref_mut(),
            ),
            Peer::Ip(_) | Peer::Controller => ConnSet::all(),
        };
        if egress.is_empty() {
            return egress;
        }
        let ingress = match dp {
            Peer::Class(c) => self.direction(&self.classes[c], sp, Direction::Ingress, trace),
            Peer::Ip(_) | Peer::Controller => ConnSet::all(),
        };
        egress.intersect(&ingress)
    }

    /// What an arbitrary in-cluster client may reach on the pod (used for the ingress
    /// controller, whose own pods the manifests do not describe).
    pub fn from_ingress_controller(&self, pod: usize) -> ConnSet {
        self.allowed(Endpoint::IngressController, Endpoint::Pod(pod))
    }

    /// Every allowed connection, sorted as the conformance suite's lists are: workloads with
    /// each other and with address ranges, and the ingress controller's routes.
    pub fn connections(&self) -> Vec<Connection> {
        self.connections_where(&|_| true, &|_| true)
    }

    /// The allowed connections whose source satisfies `src` and destination `dst`: only those
    /// are evaluated, so listing one namespace's connections in a large cluster stays cheap.
    pub fn connections_where(
        &self,
        src_ok: &dyn Fn(Endpoint) -> bool,
        dst_ok: &dyn Fn(Endpoint) -> bool,
    ) -> Vec<Connection> {
        let mut cache: HashMap<(usize, usize), ConnSet> = HashMap::new();
        let mut out = Vec::new();
        let sources: Vec<usize> = (0..self.pods.len())
            .filter(|&p| src_ok(Endpoint::Pod(p)))
            .collect();
        let dests: Vec<usize> = (0..self.pods.len())
            .filter(|&p| dst_ok(Endpoint::Pod(p)))
            .collect();
        for &si in &sources {
            let s = &self.pods[si];
            for &di in &dests {
                let d = &self.pods[di];
                if si == di {
                    continue;
                }
                let key = (s.class, d.class);
                let c = cache
                    .entry(key)
                    .or_insert_with(|| self.allowed(Endpoint::Pod(si), Endpoint::Pod(di)));
                if !c.is_empty() {
                    out.push(Connection {
                        src: Endpoint::Pod(si),
                        dst: Endpoint::Pod(di),
                        conns: c.clone(),
                    });
                }
            }
        }
        let mut by_class_in: HashMap<(usize, IpRange), ConnSet> = HashMap::new();
        let mut by_class_out: HashMap<(usize, IpRange), ConnSet> = HashMap::new();
        for (pi, p) in self.pods.iter().enumerate() {
            let (as_src, as_dst) = (src_ok(Endpoint::Pod(pi)), dst_ok(Endpoint::Pod(pi)));
            for a in &self.ingress_atoms {
                if !as_dst || !src_ok(Endpoint::Ips(*a)) {
                    continue;
                }
                let c = by_class_in
                    .entry((p.class, *a))
                    .or_insert_with(|| self.allowed(Endpoint::Ips(*a), Endpoint::Pod(pi)));
                if !c.is_empty() {
                    out.push(Connection {
                        src: Endpoint::Ips(*a),
                        dst: Endpoint::Pod(pi),
                        conns: c.clone(),
                    });
                }
            }
            for a in &self.egress_atoms {
                if !as_src || !dst_ok(Endpoint::Ips(*a)) {
                    continue;
                }
                let c = by_class_out
                    .entry((p.class, *a))
                    .or_insert_with(|| self.allowed(Endpoint::Pod(pi), Endpoint::Ips(*a)));
                if !c.is_empty() {
                    out.push(Connection {
                        src: Endpoint::Pod(pi),
                        dst: Endpoint::Ips(*a),
                        conns: c.clone(),
                    });
                }
            }
        }
        let mut per_pod: BTreeMap<usize, ConnSet> = BTreeMap::new();
        let controller_ok = src_ok(Endpoint::IngressController);
        for r in self
            .routes
            .iter()
            .filter(|r| controller_ok && dst_ok(Endpoint::Pod(r.pod)))
        {
            let c = self.from_ingress_controller(r.pod).intersect(&r.conns);
            if c.is_empty() {
                continue;
            }
            let e = per_pod.entry(r.pod).or_default();
            *e = e.union(&c);
        }
        for (pod, conns) in per_pod {
            out.push(Connection {
                src: Endpoint::IngressController,
                dst: Endpoint::Pod(pod),
                conns,
            });
        }
        out
    }

    /// Counts every allowed connection without listing them: each pair of pod classes is
    /// evaluated once (through representative pods) and weighted by the classes' sizes. This
    /// is the whole reachability analysis of a cluster whose full list would run to millions
    /// of lines.
    pub fn summary(&self) -> Summary {
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); self.classes.len()];
        for (i, p) in self.pods.iter().enumerate() {
            members[p.class].push(i);
        }
        let mut out = Summary {
            workloads: self.pods.len(),
            namespaces: self
                .pods
                .iter()
                .map(|p| p.namespace.as_str())
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            network_policies: self.policies.len(),
            admin_policies: self.admins.len(),
            classes: self.classes.len(),
            ..Summary::default()
        };
        // Sources in parallel: each evaluates its row of destinations and address ranges.
        let rows: Vec<(usize, usize, usize)> = members
            .par_iter()
            .map(|src| {
                let Some(&s) = src.first() else {
                    return (0, 0, 0);
                };
                let mut pairs = 0;
                for dst in &members {
                    // Two distinct pods stand for the pair (a class of one has no pair with
                    // itself).
                    let Some(&d) = dst.iter().find(|&&d| d != s) else {
                        continue;
                    };
                    if self.allowed(Endpoint::Pod(s), Endpoint::Pod(d)).is_empty() {
                        continue;
                    }
                    pairs += if std::ptr::eq(src, dst) {
                        src.len() * (src.len() - 1)
                    } else {
                        src.len() * dst.len()
                    };
                }
                let out_n = if self
                    .egress_atoms
                    .iter()
                    .any(|a| !self.allowed(Endpoint::Pod(s), Endpoint::Ips(*a)).is_empty())
                {
                    src.len()
                } else {
                    0
                };
                let in_n = if self
                    .ingress_atoms
                    .iter()
                    .any(|a| !self.allowed(Endpoint::Ips(*a), Endpoint::Pod(s)).is_empty())
                {
                    src.len()
                } else {
                    0
                };
                (pairs, out_n, in_n)
            })
            .collect();
        for (pairs, out_n, in_n) in rows {
            out.pod_pairs += pairs;
            out.egress_to_outside += out_n;
            out.ingress_from_outside += in_n;
        }
        let n = self.pods.len();
        out.isolated_ingress = (0..n)
            .filter(|&p| self.isolated(p, Direction::Ingress))
            .count();
        out.isolated_egress = (0..n)
            .filter(|&p| self.isolated(p, Direction::Egress))
            .count();
        out
    }

    /// How a connection endpoint is written in connectivity lists.
    pub fn display(&self, e: Endpoint) -> String {
        match e {
            Endpoint::Pod(p) => self.pods[p].display(),
            Endpoint::Ips(r) => format!("{r}[External]"),
            Endpoint::IngressController => "{ingress-controller}".to_string(),
        }
    }

    /// Whether any policy isolates `pod` in `dir` (a NetworkPolicy of that type, or an admin
    /// policy with rules in that direction).
    pub fn isolated(&self, pod: usize, dir: Direction) -> bool {
        let c = &self.classes[self.pods[pod].class];
        let nps = match dir {
            Direction::Ingress => &c.np_ingress,
            Direction::Egress => &c.np_egress,
        };
        !nps.is_empty()
            || c.admin.iter().any(|&a| {
                let admin = &self.admins[a];
                match dir {
                    Direction::Ingress => !admin.ingress.is_empty(),
                    Direction::Egress => !admin.egress.is_empty(),
                }
            })
    }

    /// The NetworkPolicies (by index into [`Network::network_policies`]) that select `pod`.
    pub fn policies_selecting(&self, pod: usize) -> Vec<usize> {
        let c = &self.classes[self.pods[pod].class];
        (0..self.policies.len())
            .filter(|&i| c.matched[self.policies[i].subject])
            .collect()
    }

    /// The pods a NetworkPolicy (index into [`Network::network_policies`]) selects.
    pub fn pods_selected_by(&self, policy: usize) -> Vec<usize> {
        let sel = self.policies[policy].subject;
        (0..self.pods.len())
            .filter(|&p| self.classes[self.pods[p].class].matched[sel])
            .collect()
    }

    /// The pods an admin policy (index into [`Network::admin_policies`]) applies to.
    pub fn pods_selected_by_admin(&self, policy: usize) -> Vec<usize> {
        let sel = self.admins[policy].subject;
        (0..self.pods.len())
            .filter(|&p| self.classes[self.pods[p].class].matched[sel])
            .collect()
    }

    /// Whether any pod matches a pod selector peer.
    pub fn selector_matches_any(&self, sel: &PeerSel) -> bool {
        let empty = Labels::new();
        self.pods.iter().any(|p| {
            sel_matches(
                sel,
                &p.namespace,
                self.namespaces.get(&p.namespace).unwrap_or(&empty),
                &p.labels,
            )
        })
    }
}

fn sel_matches(sel: &PeerSel, namespace: &str, ns_labels: &Labels, labels: &Labels) -> bool {
    match sel {
        PeerSel::InNamespace {
            namespace: ns,
            pods,
        } => ns == namespace && pods.matches(labels),
        PeerSel::Namespaces { namespaces, pods } => {
            namespaces.matches(ns_labels) && pods.matches(labels)
        }
        PeerSel::Ips(_) => false,
    }
}

fn atoms(policies: &[Np], admins: &[Admin], dir: Direction) -> Vec<IpRange> {
    let mut cuts = Vec::new();
    let mut add = |s: &Sel| {
        if let Sel::Ips(set) = s {
            cuts.extend_from_slice(set.ranges());
        }
    };
    for p in policies {
        let rules = match dir {
            Direction::Ingress => p.ingress.as_deref(),
            Direction::Egress => p.egress.as_deref(),
        };
        for r in rules.unwrap_or(&[]) {
            for s in r.peers.iter().flatten() {
                add(s);
            }
        }
    }
    for a in admins {
        let rules = match dir {
            Direction::Ingress => &a.ingress,
            Direction::Egress => &a.egress,
        };
        for r in rules {
            for s in &r.peers {
                add(s);
            }
        }
    }
    // An ipBlock's `except` holes show as separate ranges; cut at their edges too.
    partition(&cuts)
}

fn priority_clashes(admins: &[Admin], snapshot: &Snapshot) -> Vec<Warning> {
    let mut out = Vec::new();
    for w in admins.windows(2) {
        let (a, b) = (&w[0].policy, &w[1].policy);
        if !a.baseline && !b.baseline && a.priority == b.priority {
            let o = &snapshot.objects()[b.object];
            out.push(Warning {
                path: o.path.clone(),
                line: Some(o.pos().line),
                message: format!(
                    "AdminNetworkPolicies {} and {} share priority {}: their order is undefined in Kubernetes; evaluated by name",
                    a.name, b.name, a.priority
                ),
            });
        }
    }
    out
}

/// The workloads of a snapshot as endpoints: controllers and bare Pods, Pods with an owner
/// merged into their owner (the first Pod's labels and ports stand for all).
fn collect_pods(snapshot: &Snapshot) -> Vec<Pod> {
    let mut out: Vec<Pod> = Vec::new();
    let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
    let index_of: HashMap<*const bulwark_k8s::Object, usize> = snapshot
        .objects()
        .iter()
        .enumerate()
        .map(|(i, o)| (std::ptr::from_ref(o), i))
        .collect();
    for w in Workload::all(snapshot) {
        if &*w.object.kind == "PodTemplate" {
            continue;
        }
        let (name, kind) = owner(w.object)
            .unwrap_or_else(|| (w.object.name.to_string(), w.object.kind.to_string()));
        let key = (w.namespace.to_string(), name.clone(), kind.clone());
        if seen.contains_key(&key) {
            continue;
        }
        let mut named_ports: Vec<(String, Protocol, u16)> = w
            .ports
            .iter()
            .filter_map(|p| Some((p.name.clone()?, Protocol::parse(&p.protocol)?, p.port)))
            .collect();
        named_ports.sort();
        named_ports.dedup();
        seen.insert(key, out.len());
        out.push(Pod {
            namespace: w.namespace.to_string(),
            name,
            kind,
            labels: w.labels.clone(),
            named_ports,
            object: index_of
                .get(&std::ptr::from_ref(w.object))
                .copied()
                .unwrap_or(0),
            host_network: w.host_network,
            class: 0,
        });
    }
    // KubeVirt VirtualMachines run as pods carrying their template's labels.
    for (i, o) in snapshot.objects().iter().enumerate() {
        if o.group() != "kubevirt.io" || &*o.kind != "VirtualMachine" {
            continue;
        }
        let namespace = o
            .effective_namespace(snapshot.default_namespace())
            .map(|n| n.to_string())
            .unwrap_or_default();
        let key = (namespace.clone(), o.name.to_string(), o.kind.to_string());
        if seen.contains_key(&key) {
            continue;
        }
        seen.insert(key, out.len());
        out.push(Pod {
            namespace,
            name: o.name.to_string(),
            kind: o.kind.to_string(),
            labels: o
                .root
                .path(&["spec", "template", "metadata", "labels"])
                .map(bulwark_k8s::labels_of)
                .unwrap_or_default(),
            named_ports: Vec::new(),
            object: i,
            host_network: false,
            class: 0,
        });
    }
    out.sort_by(|a, b| (&a.namespace, &a.name, &a.kind).cmp(&(&b.namespace, &b.name, &b.kind)));
    out
}

/// A Pod's controlling owner: name and kind (a reference without a kind keeps the Pod's;
/// a Node, the owner of static pods, is no workload).
fn owner(o: &bulwark_k8s::Object) -> Option<(String, String)> {
    if &*o.kind != "Pod" {
        return None;
    }
    let refs = o.metadata()?.get("ownerReferences")?.as_seq()?;
    let r = refs
        .iter()
        .find(|r| r.get("controller").and_then(Node::as_bool) == Some(true))
        .or_else(|| refs.first())?;
    let name = r.get("name").and_then(Node::as_str)?.to_string();
    let kind = r
        .get("kind")
        .and_then(Node::as_str)
        .filter(|k| !k.is_empty())
        .unwrap_or("Pod")
        .to_string();
    // Static pods are "owned" by their Node: each is a workload of its own.
    if kind == "Node" {
        return None;
    }
    Some((name, kind))
}
