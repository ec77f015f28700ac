//! Istio's security resources read from manifests (PeerAuthentication, AuthorizationPolicy,
//! RequestAuthentication, DestinationRule) and evaluated the way istiod and Envoy do.

use bulwark_k8s::{LabelSelector, Node, Object, Workload};

use crate::util::{
    PortSet, Service, Tri, covers_everything, oldest_first, opt_strs, port_of, str_at, wildcard,
};
use crate::{AuthzDecision, Problem};

/// Istio's root namespace (meshConfig.rootNamespace), where namespace-wide policies are
/// mesh-wide.
pub const ROOT_NAMESPACE: &str = "istio-system";

/// A PeerAuthentication mTLS mode, once UNSET has been resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MtlsMode {
    /// Only mTLS is accepted.
    Strict,
    /// mTLS and plaintext are both accepted (Istio's default).
    Permissive,
    /// Only plaintext: the sidecar does not terminate mTLS.
    Disable,
}

impl MtlsMode {
    /// Istio's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MtlsMode::Strict => "STRICT",
            MtlsMode::Permissive => "PERMISSIVE",
            MtlsMode::Disable => "DISABLE",
        }
    }
}

/// Which level of PeerAuthentication decided a mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MtlsLevel {
    /// Nothing sets it: Istio's default, PERMISSIVE.
    Default,
    /// A PeerAuthentication without selector in the root namespace.
    Mesh,
    /// A PeerAuthentication without selector in the workload's namespace.
    Namespace,
    /// A PeerAuthentication whose selector matches the workload.
    Workload,
    /// A `portLevelMtls` entry of that workload policy.
    Port,
}

/// Where a policy applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    /// No selector: its namespace (the whole mesh in the root namespace).
    Namespace,
    /// `selector.matchLabels`.
    Selector(LabelSelector),
    /// `targetRef(s)`: gateways and waypoints, never sidecars.
    TargetRefs,
    /// A selector that cannot be read (the API server would reject it): nothing.
    Invalid,
}

fn scope_of<'a>(o: &'a Object, spec: Option<&'a Node>, problems: &mut Vec<Problem<'a>>) -> Scope {
    let Some(spec) = spec else {
        return Scope::Namespace;
    };
    if spec.get("targetRef").is_some() || spec.get("targetRefs").is_some() {
        return Scope::TargetRefs;
    }
    let Some(sel) = spec.get("selector").filter(|n| !n.is_null()) else {
        return Scope::Namespace;
    };
    match LabelSelector::parse(sel) {
        Ok(s) if s.is_empty() => Scope::Namespace,
        Ok(s) => Scope::Selector(s),
        Err(e) => {
            problems.push(Problem {
                object: o,
                pos: e.pos,
                field: "spec.selector".into(),
                message: format!("invalid selector: {}", e.message),
            });
            Scope::Invalid
        }
    }
}

/// Whether an AuthorizationPolicy or RequestAuthentication in `ns` with `scope` applies to `w`
/// (in the root namespace: to every namespace).
pub(crate) fn applies(scope: &Scope, ns: &str, w: &Workload<'_>) -> bool {
    let ns_ok = ns == ROOT_NAMESPACE || ns == &*w.namespace;
    match scope {
        Scope::Namespace => ns_ok,
        Scope::Selector(s) => ns_ok && s.matches(&w.labels),
        Scope::TargetRefs | Scope::Invalid => false,
    }
}

/// One PeerAuthentication.
#[derive(Debug)]
pub(crate) struct PeerAuth<'a> {
    pub(crate) object: &'a Object,
    pub(crate) namespace: String,
    pub(crate) scope: Scope,
    /// `mtls.mode`; `None` for UNSET.
    pub(crate) mode: Option<MtlsMode>,
    pub(crate) mode_node: Option<&'a Node>,
    /// `portLevelMtls` (only honoured on selector policies, as istiod does).
    pub(crate) ports: Vec<(u16, Option<MtlsMode>, &'a Node)>,
}

impl PeerAuth<'_> {
    /// `ns/name`.
    pub(crate) fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.object.name)
    }
}

fn mode_of<'a>(
    o: &'a Object,
    node: Option<&'a Node>,
    field: &str,
    problems: &mut Vec<Problem<'a>>,
) -> Option<MtlsMode> {
    let n = node?;
    match n.as_str().unwrap_or("") {
        "STRICT" => Some(MtlsMode::Strict),
        "PERMISSIVE" => Some(MtlsMode::Permissive),
        "DISABLE" => Some(MtlsMode::Disable),
        "UNSET" | "" => None,
        other => {
            problems.push(Problem {
                object: o,
                pos: n.pos,
                field: field.into(),
                message: format!(
                    "unknown mTLS mode {other:?} (STRICT, PERMISSIVE, DISABLE, UNSET): read as UNSET"
                ),
            });
            None
        }
    }
}

/// What an AuthorizationPolicy does when a rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Allow,
    Deny,
    Custom,
    Audit,
}

/// An attribute a rule tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attr {
    /// The peer's mTLS principal.
    Principal,
    /// The peer's namespace (from its principal).
    Namespace,
    /// The peer or remote IP.
    Ip,
    /// The JWT principal.
    RequestPrincipal,
    /// The destination port.
    Port,
    /// An HTTP attribute (host, method, path, header) or anything else not known statically.
    Other,
}

/// One field of a rule: attribute, negated (`notX`), values.
#[derive(Debug, Clone)]
pub(crate) struct Clause {
    pub(crate) attr: Attr,
    pub(crate) negated: bool,
    pub(crate) values: Vec<String>,
}

/// One rule: `from` (any source), `to` (any operation) and `when` (all conditions).
#[derive(Debug, Clone)]
pub(crate) struct Rule<'a> {
    pub(crate) node: &'a Node,
    pub(crate) from: Vec<Vec<Clause>>,
    pub(crate) to: Vec<Vec<Clause>>,
    pub(crate) when: Vec<Clause>,
}

/// One AuthorizationPolicy.
#[derive(Debug)]
pub(crate) struct AuthzPolicy<'a> {
    pub(crate) object: &'a Object,
    pub(crate) namespace: String,
    pub(crate) scope: Scope,
    pub(crate) action: Action,
    pub(crate) rules: Vec<Rule<'a>>,
}

impl AuthzPolicy<'_> {
    /// `ns/name`.
    pub(crate) fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.object.name)
    }
}

const SOURCE_KEYS: &[(&str, Attr, bool)] = &[
    ("principals", Attr::Principal, false),
    ("notPrincipals", Attr::Principal, true),
    ("namespaces", Attr::Namespace, false),
    ("notNamespaces", Attr::Namespace, true),
    ("ipBlocks", Attr::Ip, false),
    ("notIpBlocks", Attr::Ip, true),
    ("remoteIpBlocks", Attr::Ip, false),
    ("notRemoteIpBlocks", Attr::Ip, true),
    ("requestPrincipals", Attr::RequestPrincipal, false),
    ("notRequestPrincipals", Attr::RequestPrincipal, true),
];

const OPERATION_KEYS: &[(&str, Attr, bool)] = &[
    ("ports", Attr::Port, false),
    ("notPorts", Attr::Port, true),
    ("hosts", Attr::Other, false),
    ("notHosts", Attr::Other, true),
    ("methods", Attr::Other, false),
    ("notMethods", Attr::Other, true),
    ("paths", Attr::Other, false),
    ("notPaths", Attr::Other, true),
];

fn clauses(node: Option<&Node>, keys: &[(&str, Attr, bool)]) -> Vec<Clause> {
    let Some(node) = node else {
        return Vec::new();
    };
    keys.iter()
        .filter_map(|(k, attr, negated)| {
            let values = opt_strs(node.get(k))?;
            (!values.is_empty()).then_some(Clause {
                attr: *attr,
                negated: *negated,
                values,
            })
        })
        .collect()
}

fn when_attr(key: &str) -> Attr {
    match key {
        "source.principal" => Attr::Principal,
        "source.namespace" => Attr::Namespace,
        "source.ip" | "remote.ip" => Attr::Ip,
        "destination.port" => Attr::Port,
        k if k.starts_with("request.auth.") => Attr::RequestPrincipal,
        _ => Attr::Other,
    }
}

fn parse_rule(node: &Node) -> Rule<'_> {
    let list = |key: &str, inner: &str, keys: &[(&str, Attr, bool)]| -> Vec<Vec<Clause>> {
        node.get(key)
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .map(|item| clauses(item.get(inner), keys))
            .collect()
    };
    let when = node
        .get("when")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .flat_map(|c| {
            let key = c
                .get("key")
                .and_then(Node::as_str)
                .unwrap_or("")
                .to_string();
            let attr = when_attr(&key);
            let mut out = Vec::new();
            for (field, negated) in [("values", false), ("notValues", true)] {
                if let Some(values) = opt_strs(c.get(field)).filter(|v| !v.is_empty()) {
                    out.push(Clause {
                        attr,
                        negated,
                        values,
                    });
                }
            }
            out
        })
        .collect();
    Rule {
        node,
        from: list("from", "source", SOURCE_KEYS),
        to: list("to", "operation", OPERATION_KEYS),
        when,
    }
}

/// What a request looks like to the destination's sidecar.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// `cluster.local/ns/<ns>/sa/<sa>` over mTLS; `None` over plaintext.
    pub(crate) principal: Option<String>,
    /// The namespace of that principal.
    pub(crate) namespace: Option<String>,
    /// The destination (container) port.
    pub(crate) port: u16,
}

impl Clause {
    fn eval(&self, req: &Request) -> Tri {
        let positive = match self.attr {
            Attr::Principal | Attr::Namespace => {
                let have = if self.attr == Attr::Principal {
                    req.principal.as_deref()
                } else {
                    req.namespace.as_deref()
                };
                let have = have.map(|h| h.strip_prefix("spiffe://").unwrap_or(h));
                Tri::from_bool(have.is_some_and(|h| {
                    self.values
                        .iter()
                        .any(|v| wildcard(v.strip_prefix("spiffe://").unwrap_or(v), h))
                }))
            }
            Attr::Ip => {
                if self.values.iter().any(|v| covers_everything(v)) {
                    Tri::Yes
                } else {
                    Tri::Maybe
                }
            }
            Attr::Port => Tri::from_bool(
                self.values
                    .iter()
                    .any(|v| v.trim().parse::<u16>().ok() == Some(req.port)),
            ),
            Attr::RequestPrincipal | Attr::Other => Tri::Maybe,
        };
        if self.negated {
            positive.not()
        } else {
            positive
        }
    }
}

fn all(clauses: &[Clause], req: &Request) -> Tri {
    clauses.iter().fold(Tri::Yes, |acc, c| acc.and(c.eval(req)))
}

fn any_of(items: &[Vec<Clause>], req: &Request) -> Tri {
    if items.is_empty() {
        return Tri::Yes;
    }
    items.iter().fold(Tri::No, |acc, cs| acc.or(all(cs, req)))
}

impl Rule<'_> {
    pub(crate) fn eval(&self, req: &Request) -> Tri {
        any_of(&self.from, req)
            .and(any_of(&self.to, req))
            .and(all(&self.when, req))
    }

    /// Whether the rule matches every request (`{}`, or only constraints that anything
    /// satisfies: `principals: ["*"]` over mTLS is reported separately).
    pub(crate) fn is_empty(&self) -> bool {
        self.from.iter().all(Vec::is_empty)
            && self.to.iter().all(Vec::is_empty)
            && self.when.is_empty()
    }

    /// Whether every source demands a JWT (`requestPrincipals`), so a request without one
    /// never matches.
    pub(crate) fn requires_jwt(&self) -> bool {
        let source_requires = !self.from.is_empty()
            && self.from.iter().all(|s| {
                s.iter()
                    .any(|c| c.attr == Attr::RequestPrincipal && !c.negated)
            });
        source_requires
            || self
                .when
                .iter()
                .any(|c| c.attr == Attr::RequestPrincipal && !c.negated)
    }
}

impl AuthzPolicy<'_> {
    /// Whether the policy matches the request: the best of its rules (no rules: never).
    pub(crate) fn eval(&self, req: &Request) -> Tri {
        self.rules
            .iter()
            .fold(Tri::No, |acc, r| acc.or(r.eval(req)))
    }
}

/// A JWT rule's key source.
#[derive(Debug)]
pub(crate) struct JwksUri<'a> {
    pub(crate) uri: String,
    pub(crate) node: &'a Node,
    pub(crate) field: String,
}

/// One RequestAuthentication.
#[derive(Debug)]
pub(crate) struct RequestAuthn<'a> {
    pub(crate) object: &'a Object,
    pub(crate) namespace: String,
    pub(crate) scope: Scope,
    pub(crate) jwks: Vec<JwksUri<'a>>,
}

/// A DestinationRule TLS mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TlsMode {
    Disable,
    Simple,
    Mutual,
    IstioMutual,
}

/// A DestinationRule `tls` block.
#[derive(Debug, Clone)]
pub(crate) struct Tls<'a> {
    pub(crate) mode: TlsMode,
    /// `caCertificates` or `credentialName` is set (the server is verified).
    pub(crate) verified: bool,
    pub(crate) insecure_skip_verify: bool,
    pub(crate) node: &'a Node,
    pub(crate) field: String,
}

/// One DestinationRule.
#[derive(Debug)]
pub(crate) struct DestRule<'a> {
    pub(crate) object: &'a Object,
    pub(crate) namespace: String,
    pub(crate) host: String,
    pub(crate) selector: Option<LabelSelector>,
    pub(crate) tls: Option<Tls<'a>>,
    pub(crate) port_tls: Vec<(u16, Tls<'a>)>,
}

impl DestRule<'_> {
    /// `ns/name`.
    pub(crate) fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.object.name)
    }

    /// The host as an FQDN pattern (short names are relative to the rule's namespace).
    pub(crate) fn host_fqdn(&self) -> String {
        if self.host != "*" && !self.host.contains('.') {
            format!("{}.{}.svc.cluster.local", self.host, self.namespace)
        } else {
            self.host.clone()
        }
    }

    /// How specifically the host names `fqdn` (`None`: it does not).
    pub(crate) fn specificity(&self, fqdn: &str) -> Option<usize> {
        let h = self.host_fqdn();
        if h == fqdn {
            return Some(usize::MAX);
        }
        let suffix = h.strip_prefix('*')?;
        fqdn.ends_with(suffix).then_some(suffix.len())
    }

    /// Whether the host names a service inside the cluster (a short name, `*.cluster.local`,
    /// `*`).
    pub(crate) fn in_cluster_host(&self) -> bool {
        let h = self.host_fqdn();
        h == "*" || h.ends_with(".cluster.local") || h == "*.local"
    }
}

fn tls_of<'a>(
    o: &'a Object,
    node: Option<&'a Node>,
    field: String,
    problems: &mut Vec<Problem<'a>>,
) -> Option<Tls<'a>> {
    let node = node.filter(|n| n.as_map().is_some())?;
    let mode_node = node.get("mode");
    let mode = match mode_node.and_then(Node::as_str).unwrap_or("DISABLE") {
        "DISABLE" => TlsMode::Disable,
        "SIMPLE" => TlsMode::Simple,
        "MUTUAL" => TlsMode::Mutual,
        "ISTIO_MUTUAL" => TlsMode::IstioMutual,
        other => {
            problems.push(Problem {
                object: o,
                pos: mode_node.map_or(node.pos, |n| n.pos),
                field: format!("{field}.mode"),
                message: format!(
                    "unknown TLS mode {other:?} (DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL): ignored"
                ),
            });
            return None;
        }
    };
    let set = |k: &str| {
        node.get(k)
            .and_then(Node::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    Some(Tls {
        mode,
        verified: set("caCertificates") || set("credentialName"),
        insecure_skip_verify: node.get("insecureSkipVerify").and_then(Node::as_bool) == Some(true),
        node: mode_node.unwrap_or(node),
        field: if mode_node.is_some() {
            format!("{field}.mode")
        } else {
            field
        },
    })
}

/// Every Istio resource of the snapshot this analysis reads, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Istio<'a> {
    pub(crate) peer: Vec<PeerAuth<'a>>,
    pub(crate) authz: Vec<AuthzPolicy<'a>>,
    pub(crate) request: Vec<RequestAuthn<'a>>,
    pub(crate) dest: Vec<DestRule<'a>>,
    /// Objects of any `*.istio.io` group.
    pub(crate) resources: usize,
}

/// The effective mTLS mode of one workload port and what decided it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Effective<'m, 'a> {
    pub(crate) mode: MtlsMode,
    pub(crate) level: MtlsLevel,
    pub(crate) policy: Option<&'m PeerAuth<'a>>,
}

impl<'a> Istio<'a> {
    pub(crate) fn build(
        objects: &'a [Object],
        default_ns: &str,
        problems: &mut Vec<Problem<'a>>,
    ) -> Istio<'a> {
        let mut sorted: Vec<&'a Object> = objects.iter().collect();
        sorted.sort_by(|a, b| oldest_first(a, b));
        let mut out = Istio::default();
        for o in sorted {
            let group = o.group();
            if !(group == "istio.io" || group.ends_with(".istio.io")) {
                continue;
            }
            out.resources += 1;
            let Some(namespace) = o.effective_namespace(default_ns).map(|n| n.to_string()) else {
                continue;
            };
            let spec = o.root.get("spec").filter(|s| s.as_map().is_some());
            match (group, &*o.kind) {
                ("security.istio.io", "PeerAuthentication") => {
                    let scope = scope_of(o, spec, problems);
                    let mode_node = spec.and_then(|s| s.path(&["mtls", "mode"]));
                    let mode = mode_of(o, mode_node, "spec.mtls.mode", problems);
                    let mut ports = Vec::new();
                    for e in spec
                        .and_then(|s| s.get("portLevelMtls"))
                        .and_then(Node::as_map)
                        .unwrap_or(&[])
                    {
                        let Ok(port) = e.key.trim().parse::<u16>() else {
                            problems.push(Problem {
                                object: o,
                                pos: e.key_pos,
                                field: "spec.portLevelMtls".into(),
                                message: format!("portLevelMtls key {:?} is not a port", e.key),
                            });
                            continue;
                        };
                        let n = e.value.get("mode");
                        let field = format!("spec.portLevelMtls.{port}.mode");
                        ports.push((port, mode_of(o, n, &field, problems), n.unwrap_or(&e.value)));
                    }
                    if !ports.is_empty() && scope == Scope::Namespace {
                        problems.push(Problem {
                            object: o,
                            pos: spec.map_or(o.pos(), |s| s.pos),
                            field: "spec.portLevelMtls".into(),
                            message: "portLevelMtls needs a selector: istiod ignores it on a namespace-wide or mesh-wide policy".into(),
                        });
                        ports.clear();
                    }
                    out.peer.push(PeerAuth {
                        object: o,
                        namespace,
                        scope,
                        mode,
                        mode_node,
                        ports,
                    });
                }
                ("security.istio.io", "AuthorizationPolicy") => {
                    let scope = scope_of(o, spec, problems);
                    let action_node = spec.and_then(|s| s.get("action"));
                    let action = match action_node.and_then(Node::as_str).unwrap_or("ALLOW") {
                        "ALLOW" => Action::Allow,
                        "DENY" => Action::Deny,
                        "CUSTOM" => Action::Custom,
                        "AUDIT" => Action::Audit,
                        other => {
                            problems.push(Problem {
                                object: o,
                                pos: action_node.map_or(o.pos(), |n| n.pos),
                                field: "spec.action".into(),
                                message: format!(
                                    "unknown action {other:?} (ALLOW, DENY, CUSTOM, AUDIT): policy ignored"
                                ),
                            });
                            continue;
                        }
                    };
                    let rules = spec
                        .and_then(|s| s.get("rules"))
                        .and_then(Node::as_seq)
                        .unwrap_or(&[])
                        .iter()
                        .map(parse_rule)
                        .collect();
                    out.authz.push(AuthzPolicy {
                        object: o,
                        namespace,
                        scope,
                        action,
                        rules,
                    });
                }
                ("security.istio.io", "RequestAuthentication") => {
                    let scope = scope_of(o, spec, problems);
                    let mut jwks = Vec::new();
                    for (i, r) in spec
                        .and_then(|s| s.get("jwtRules"))
                        .and_then(Node::as_seq)
                        .unwrap_or(&[])
                        .iter()
                        .enumerate()
                    {
                        if let Some(n) = r.get("jwksUri")
                            && let Some(uri) = n.as_str()
                        {
                            jwks.push(JwksUri {
                                uri: uri.to_string(),
                                node: n,
                                field: format!("spec.jwtRules[{i}].jwksUri"),
                            });
                        }
                    }
                    out.request.push(RequestAuthn {
                        object: o,
                        namespace,
                        scope,
                        jwks,
                    });
                }
                ("networking.istio.io", "DestinationRule") => {
                    let Some(spec) = spec else { continue };
                    let Some(host) = str_at(spec, &["host"]) else {
                        problems.push(Problem {
                            object: o,
                            pos: spec.pos,
                            field: "spec.host".into(),
                            message: "a DestinationRule needs a host: ignored".into(),
                        });
                        continue;
                    };
                    let selector = spec
                        .get("workloadSelector")
                        .and_then(|n| LabelSelector::parse(n).ok())
                        .filter(|s| !s.is_empty());
                    let tp = spec.get("trafficPolicy");
                    let tls = tls_of(
                        o,
                        tp.and_then(|t| t.get("tls")),
                        "spec.trafficPolicy.tls".into(),
                        problems,
                    );
                    let mut port_tls = Vec::new();
                    for (i, pls) in tp
                        .and_then(|t| t.get("portLevelSettings"))
                        .and_then(Node::as_seq)
                        .unwrap_or(&[])
                        .iter()
                        .enumerate()
                    {
                        let Some(port) = pls.path(&["port", "number"]).and_then(port_of) else {
                            continue;
                        };
                        if let Some(t) = tls_of(
                            o,
                            pls.get("tls"),
                            format!("spec.trafficPolicy.portLevelSettings[{i}].tls"),
                            problems,
                        ) {
                            port_tls.push((port, t));
                        }
                    }
                    out.dest.push(DestRule {
                        object: o,
                        namespace,
                        host: host.to_string(),
                        selector,
                        tls,
                        port_tls,
                    });
                }
                _ => {}
            }
        }
        out
    }

    /// The mesh-wide PeerAuthentication (the oldest without selector in the root namespace).
    pub(crate) fn mesh_policy(&self) -> Option<&PeerAuth<'a>> {
        self.peer
            .iter()
            .find(|p| p.namespace == ROOT_NAMESPACE && p.scope == Scope::Namespace)
    }

    /// The namespace-wide PeerAuthentication of `ns` (the oldest).
    pub(crate) fn namespace_policy(&self, ns: &str) -> Option<&PeerAuth<'a>> {
        if ns == ROOT_NAMESPACE {
            return None;
        }
        self.peer
            .iter()
            .find(|p| p.namespace == ns && p.scope == Scope::Namespace)
    }

    /// The workload PeerAuthentication of `w` (the oldest whose selector matches).
    pub(crate) fn workload_policy(&self, w: &Workload<'_>) -> Option<&PeerAuth<'a>> {
        self.peer.iter().find(|p| {
            p.namespace == *w.namespace
                && matches!(&p.scope, Scope::Selector(s) if s.matches(&w.labels))
        })
    }

    /// The mode `w` accepts on `port` (`None`: the workload-level mode, ignoring ports).
    pub(crate) fn mtls(&self, w: &Workload<'_>, port: Option<u16>) -> Effective<'_, 'a> {
        let wl = self.workload_policy(w);
        if let (Some(pa), Some(port)) = (wl, port)
            && let Some(mode) = pa.ports.iter().find(|p| p.0 == port).and_then(|p| p.1)
        {
            return Effective {
                mode,
                level: MtlsLevel::Port,
                policy: Some(pa),
            };
        }
        let levels = [
            (wl, MtlsLevel::Workload),
            (self.namespace_policy(&w.namespace), MtlsLevel::Namespace),
            (self.mesh_policy(), MtlsLevel::Mesh),
        ];
        for (pa, level) in levels {
            if let Some(pa) = pa
                && let Some(mode) = pa.mode
            {
                return Effective {
                    mode,
                    level,
                    policy: Some(pa),
                };
            }
        }
        Effective {
            mode: MtlsMode::Permissive,
            level: MtlsLevel::Default,
            policy: None,
        }
    }

    /// The AuthorizationPolicies that apply to `w`'s sidecar.
    pub(crate) fn policies_for<'s>(
        &'s self,
        w: &'s Workload<'_>,
    ) -> impl Iterator<Item = &'s AuthzPolicy<'a>> + 's {
        self.authz
            .iter()
            .filter(move |p| applies(&p.scope, &p.namespace, w))
    }

    /// Istio's decision for `req` at `w`: CUSTOM, then DENY, then ALLOW.
    pub(crate) fn authorize(
        &self,
        w: &Workload<'_>,
        req: &Request,
    ) -> (AuthzDecision, Vec<String>, String) {
        let mut custom = Vec::new();
        let mut deny_maybe = Vec::new();
        let mut allow_yes = Vec::new();
        let mut allow_maybe = Vec::new();
        let mut allow_any = false;
        for p in self.policies_for(w) {
            let m = p.eval(req);
            match p.action {
                Action::Audit => {}
                Action::Custom => {
                    if m != Tri::No {
                        custom.push(p.id());
                    }
                }
                Action::Deny => match m {
                    Tri::Yes => {
                        return (
                            AuthzDecision::Deny,
                            vec![p.id()],
                            format!("DENY policy {} matches", p.id()),
                        );
                    }
                    Tri::Maybe => deny_maybe.push(p.id()),
                    Tri::No => {}
                },
                Action::Allow => {
                    allow_any = true;
                    match m {
                        Tri::Yes => allow_yes.push(p.id()),
                        Tri::Maybe => allow_maybe.push(p.id()),
                        Tri::No => {}
                    }
                }
            }
        }
        let (decision, mut policies, mut why) = if !allow_any {
            (
                AuthzDecision::Allow,
                Vec::new(),
                "no ALLOW policy applies, so everything not denied is allowed".to_string(),
            )
        } else if !allow_yes.is_empty() {
            let why = format!("allowed by {}", allow_yes.join(", "));
            (AuthzDecision::Allow, allow_yes, why)
        } else if !allow_maybe.is_empty() {
            let why = format!(
                "allowed by {} only for some requests (HTTP attributes, JWT or source IP)",
                allow_maybe.join(", ")
            );
            (AuthzDecision::Conditional, allow_maybe, why)
        } else {
            (
                AuthzDecision::Deny,
                self.policies_for(w)
                    .filter(|p| p.action == Action::Allow)
                    .map(AuthzPolicy::id)
                    .collect(),
                "ALLOW policies apply and none matches".to_string(),
            )
        };
        if decision == AuthzDecision::Deny {
            return (decision, policies, why);
        }
        let mut decision = decision;
        if !deny_maybe.is_empty() {
            why = format!(
                "{why}; DENY policy {} may match some requests",
                deny_maybe.join(", ")
            );
            policies.extend(deny_maybe);
            decision = AuthzDecision::Conditional;
        }
        if !custom.is_empty() {
            why = format!(
                "{why}; CUSTOM policy {} delegates the decision to an external authorizer",
                custom.join(", ")
            );
            policies.extend(custom);
            decision = AuthzDecision::Conditional;
        }
        (decision, policies, why)
    }

    /// The DestinationRule TLS settings a client `src` uses towards `dst`'s port (through a
    /// Service that selects it): client namespace first, then the service's, then the root
    /// namespace; the most specific host wins, then the oldest rule.
    pub(crate) fn client_tls<'s>(
        &'s self,
        src: &Workload<'_>,
        dst: &Workload<'_>,
        port: u16,
        services: &[Service<'_>],
    ) -> Option<(&'s DestRule<'a>, &'s Tls<'a>)> {
        if self.dest.is_empty() {
            return None;
        }
        let targets: Vec<(String, String, u16)> = services
            .iter()
            .filter(|s| s.selects(dst))
            .filter_map(|s| Some((s.fqdn(), s.namespace.clone(), s.port_to(dst, port)?)))
            .collect();
        for (fqdn, svc_ns, svc_port) in &targets {
            for ns in [&*src.namespace, svc_ns.as_str(), ROOT_NAMESPACE] {
                let best = self
                    .dest
                    .iter()
                    .filter(|d| d.namespace == ns)
                    .filter(|d| {
                        d.selector
                            .as_ref()
                            .is_none_or(|s| d.namespace == *src.namespace && s.matches(&src.labels))
                    })
                    .filter_map(|d| Some((d.specificity(fqdn)?, d)))
                    .max_by(|a, b| a.0.cmp(&b.0));
                // `max_by` keeps the last of equals; the oldest must win among equals.
                let best = best.and_then(|(spec, _)| {
                    self.dest.iter().find(|d| {
                        d.namespace == ns
                            && d.specificity(fqdn) == Some(spec)
                            && d.selector.as_ref().is_none_or(|s| {
                                d.namespace == *src.namespace && s.matches(&src.labels)
                            })
                    })
                });
                if let Some(d) = best {
                    let tls = d
                        .port_tls
                        .iter()
                        .find(|(p, _)| p == svc_port)
                        .map(|(_, t)| t)
                        .or(d.tls.as_ref())?;
                    return Some((d, tls));
                }
            }
        }
        None
    }
}

/// The inbound ports whose traffic never reaches the sidecar (`excludeInboundPorts`, or
/// `includeInboundPorts` not covering them).
pub(crate) fn inbound_bypassed(w: &Workload<'_>, port: u16) -> Option<String> {
    use crate::util::pod_annotation;
    if let Some(ex) = pod_annotation(w, "traffic.sidecar.istio.io/excludeInboundPorts")
        && PortSet::parse(ex).contains(port)
    {
        return Some(format!(
            "port {port} is in traffic.sidecar.istio.io/excludeInboundPorts"
        ));
    }
    if let Some(inc) = pod_annotation(w, "traffic.sidecar.istio.io/includeInboundPorts")
        && !PortSet::parse(inc).contains(port)
    {
        return Some(format!(
            "port {port} is not in traffic.sidecar.istio.io/includeInboundPorts"
        ));
    }
    None
}

/// Why `w`'s outbound traffic to `port` may skip its sidecar: `Ok(Some)` surely, `Err` maybe
/// (an IP range that may or may not cover the destination pod).
pub(crate) fn outbound_bypassed(w: &Workload<'_>, port: u16) -> Result<Option<String>, String> {
    use crate::util::pod_annotation;
    if let Some(ex) = pod_annotation(w, "traffic.sidecar.istio.io/excludeOutboundPorts")
        && PortSet::parse(ex).contains(port)
    {
        return Ok(Some(format!(
            "the source excludes port {port} (traffic.sidecar.istio.io/excludeOutboundPorts)"
        )));
    }
    if let Some(ranges) = pod_annotation(w, "traffic.sidecar.istio.io/excludeOutboundIPRanges") {
        let ranges: Vec<&str> = ranges
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .collect();
        if ranges.iter().any(|r| covers_everything(r)) {
            return Ok(Some(
                "the source excludes every IP from capture (traffic.sidecar.istio.io/excludeOutboundIPRanges)".into(),
            ));
        }
        if !ranges.is_empty() {
            return Err(format!(
                "the source excludes {} from capture and pod IPs are not known statically",
                ranges.join(",")
            ));
        }
    }
    if let Some(inc) = pod_annotation(w, "traffic.sidecar.istio.io/includeOutboundIPRanges") {
        let ranges: Vec<&str> = inc
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .collect();
        if ranges.is_empty() {
            return Ok(Some(
                "the source captures no outbound IP (traffic.sidecar.istio.io/includeOutboundIPRanges is empty)".into(),
            ));
        }
        if !ranges.iter().any(|r| covers_everything(r)) {
            return Err(format!(
                "the source captures only {} and pod IPs are not known statically",
                ranges.join(",")
            ));
        }
    }
    Ok(None)
}
