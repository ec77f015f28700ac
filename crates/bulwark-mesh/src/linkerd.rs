//! Linkerd's policy resources read from manifests (Server, AuthorizationPolicy,
//! MeshTLSAuthentication, NetworkAuthentication, ServerAuthorization, HTTPRoute parents) and
//! the default inbound policy, evaluated as Linkerd's policy controller does.

use bulwark_k8s::{LabelSelector, Namespace, Node, Object, Workload, parse_yaml};

use crate::util::{
    PortSet, Tri, annotation, covers_everything, oldest_first, opt_strs, pod_annotation, str_at,
};
use crate::{AuthzDecision, Problem};

/// The annotation that sets the default inbound policy of a namespace or pod.
pub(crate) const DEFAULT_POLICY: &str = "config.linkerd.io/default-inbound-policy";
/// Linkerd's install default when the cluster-wide value cannot be seen.
pub(crate) const INSTALL_DEFAULT: &str = "all-unauthenticated";
/// The namespace Linkerd's control plane is installed in.
pub(crate) const CONTROL_NAMESPACE: &str = "linkerd";

/// The identity Linkerd gives a service account (trust domain `cluster.local`).
pub(crate) fn identity(sa: &str, ns: &str) -> String {
    format!("{sa}.{ns}.serviceaccount.identity.linkerd.cluster.local")
}

/// A port a Server names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ServerPort {
    Number(u16),
    Name(String),
}

/// One Server.
#[derive(Debug)]
pub(crate) struct Server<'a> {
    pub(crate) object: &'a Object,
    pub(crate) namespace: String,
    /// `podSelector` (`None`: unreadable, selects nothing).
    pub(crate) selector: Option<LabelSelector>,
    pub(crate) port: Option<ServerPort>,
    /// `accessPolicy` (v1beta3), the policy when no authorization matches; `deny` by default.
    pub(crate) access_policy: Option<String>,
}

impl Server<'_> {
    /// `ns/name`.
    pub(crate) fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.object.name)
    }

    /// Whether the Server selects `w`.
    pub(crate) fn selects(&self, w: &Workload<'_>) -> bool {
        *w.namespace == *self.namespace
            && self.selector.as_ref().is_some_and(|s| s.matches(&w.labels))
    }

    /// Whether the Server covers container port `port` of `w`.
    pub(crate) fn covers(&self, w: &Workload<'_>, port: u16) -> bool {
        self.selects(w)
            && match &self.port {
                Some(ServerPort::Number(n)) => *n == port,
                Some(ServerPort::Name(name)) => w
                    .ports
                    .iter()
                    .any(|p| p.port == port && p.name.as_deref() == Some(name.as_str())),
                None => false,
            }
    }

    fn labels(&self) -> bulwark_k8s::Labels {
        self.object
            .labels()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

/// A reference from an AuthorizationPolicy.
#[derive(Debug, Clone)]
pub(crate) struct Ref {
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
}

/// One policy.linkerd.io AuthorizationPolicy.
#[derive(Debug)]
pub(crate) struct AuthzPolicy<'a> {
    pub(crate) object: &'a Object,
    pub(crate) namespace: String,
    pub(crate) target: Ref,
    pub(crate) target_node: Option<&'a Node>,
    pub(crate) refs: Vec<(Ref, &'a Node)>,
}

impl AuthzPolicy<'_> {
    /// `ns/name`.
    pub(crate) fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.object.name)
    }
}

/// One MeshTLSAuthentication.
#[derive(Debug)]
pub(crate) struct MeshTls<'a> {
    pub(crate) object: &'a Object,
    pub(crate) namespace: String,
    pub(crate) identities: Vec<String>,
    /// `identityRefs`: (kind, name (`None`: all), namespace).
    pub(crate) identity_refs: Vec<(String, Option<String>, String, &'a Node)>,
}

/// One NetworkAuthentication.
#[derive(Debug)]
pub(crate) struct NetworkAuthn<'a> {
    pub(crate) object: &'a Object,
    pub(crate) namespace: String,
    /// (cidr, has `except`).
    pub(crate) networks: Vec<(String, bool)>,
}

/// `client.meshTLS` of a ServerAuthorization.
#[derive(Debug)]
pub(crate) struct LegacyMeshTls {
    pub(crate) identities: Vec<String>,
    /// (name, namespace).
    pub(crate) service_accounts: Vec<(String, String)>,
    pub(crate) unauthenticated_tls: bool,
}

/// One (legacy) ServerAuthorization.
#[derive(Debug)]
pub(crate) struct ServerAuthz<'a> {
    pub(crate) object: &'a Object,
    pub(crate) namespace: String,
    pub(crate) server_name: Option<String>,
    pub(crate) server_selector: Option<LabelSelector>,
    pub(crate) unauthenticated: bool,
    /// `client.meshTLS`.
    pub(crate) mesh_tls: Option<LegacyMeshTls>,
    /// `client.networks`: (cidr, has except).
    pub(crate) networks: Option<Vec<(String, bool)>>,
}

/// An HTTPRoute or GRPCRoute attached to a Server.
#[derive(Debug)]
pub(crate) struct Route<'a> {
    pub(crate) object: &'a Object,
    pub(crate) namespace: String,
    pub(crate) servers: Vec<String>,
}

/// Every Linkerd resource this analysis reads, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Linkerd<'a> {
    pub(crate) servers: Vec<Server<'a>>,
    pub(crate) authz: Vec<AuthzPolicy<'a>>,
    pub(crate) mesh_tls: Vec<MeshTls<'a>>,
    pub(crate) networks: Vec<NetworkAuthn<'a>>,
    pub(crate) server_authz: Vec<ServerAuthz<'a>>,
    pub(crate) routes: Vec<Route<'a>>,
    /// The cluster-wide default from the `linkerd-config` ConfigMap, when present.
    pub(crate) cluster_default: Option<(String, &'a Object)>,
    /// Objects of the `*.linkerd.io` groups.
    pub(crate) resources: usize,
}

fn networks_of(node: Option<&Node>) -> Option<Vec<(String, bool)>> {
    let seq = node?.as_seq()?;
    Some(
        seq.iter()
            .filter_map(|n| {
                let cidr = n.get("cidr")?.as_str()?.to_string();
                let except = n
                    .get("except")
                    .and_then(Node::as_seq)
                    .is_some_and(|e| !e.is_empty());
                Some((cidr, except))
            })
            .collect(),
    )
}

fn network_match(nets: &[(String, bool)]) -> Tri {
    // Pod and client IPs are not known statically: only a network covering everything (and
    // excepting nothing) decides.
    if nets.iter().any(|(c, ex)| covers_everything(c) && !ex) {
        Tri::Yes
    } else if nets.is_empty() {
        Tri::No
    } else {
        Tri::Maybe
    }
}

/// The client as the destination's proxy sees it.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    /// The Linkerd identity, over mTLS.
    pub(crate) identity: Option<String>,
    /// Whether the client is a pod of the cluster (not the outside world or an IP block).
    pub(crate) in_cluster: bool,
}

fn identity_match(pattern: &str, id: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match pattern.strip_prefix('*') {
        Some(suffix) => id.ends_with(suffix),
        None => pattern == id,
    }
}

/// Linkerd's verdict for a default policy name.
pub(crate) fn default_policy_verdict(policy: &str, client: &Client) -> (AuthzDecision, String) {
    let authn = client.identity.is_some();
    let (ok, what) = match policy {
        "all-unauthenticated" => (Tri::Yes, "allows every client"),
        "cluster-unauthenticated" => (
            if client.in_cluster {
                Tri::Yes
            } else {
                Tri::Maybe
            },
            "allows clients from the cluster networks",
        ),
        "all-authenticated" => (Tri::from_bool(authn), "allows only meshed (mTLS) clients"),
        "cluster-authenticated" => (
            Tri::from_bool(authn),
            "allows only meshed (mTLS) clients from the cluster",
        ),
        "deny" => (Tri::No, "denies every client"),
        "audit" => (Tri::Yes, "allows every client and only logs"),
        _ => (
            Tri::Yes,
            "is unknown to Linkerd, which falls back to the cluster default",
        ),
    };
    let decision = match ok {
        Tri::Yes => AuthzDecision::Allow,
        Tri::No => AuthzDecision::Deny,
        Tri::Maybe => AuthzDecision::Conditional,
    };
    (decision, format!("default policy {policy} {what}"))
}

impl<'a> Linkerd<'a> {
    pub(crate) fn build(
        objects: &'a [Object],
        default_ns: &str,
        problems: &mut Vec<Problem<'a>>,
    ) -> Linkerd<'a> {
        let mut sorted: Vec<&'a Object> = objects.iter().collect();
        sorted.sort_by(|a, b| oldest_first(a, b));
        let mut out = Linkerd::default();
        for o in sorted {
            let group = o.group();
            let Some(namespace) = o.effective_namespace(default_ns).map(|n| n.to_string()) else {
                continue;
            };
            if &*o.kind == "ConfigMap"
                && group.is_empty()
                && &*o.name == "linkerd-config"
                && namespace == CONTROL_NAMESPACE
            {
                out.cluster_default = cluster_default(o).map(|p| (p, o));
                continue;
            }
            if &*o.kind == "HTTPRoute" || &*o.kind == "GRPCRoute" {
                let servers: Vec<String> = o
                    .root
                    .path(&["spec", "parentRefs"])
                    .and_then(Node::as_seq)
                    .unwrap_or(&[])
                    .iter()
                    .filter(|p| p.get("kind").and_then(Node::as_str) == Some("Server"))
                    .filter_map(|p| Some(p.get("name")?.as_str()?.to_string()))
                    .collect();
                if !servers.is_empty() {
                    out.routes.push(Route {
                        object: o,
                        namespace,
                        servers,
                    });
                }
                continue;
            }
            if !(group == "linkerd.io" || group.ends_with(".linkerd.io")) {
                continue;
            }
            out.resources += 1;
            if group != "policy.linkerd.io" {
                continue;
            }
            let Some(spec) = o.root.get("spec").filter(|s| s.as_map().is_some()) else {
                continue;
            };
            match &*o.kind {
                "Server" => {
                    let selector = match spec.get("podSelector") {
                        Some(n) => match LabelSelector::parse(n) {
                            Ok(s) => Some(s),
                            Err(e) => {
                                problems.push(Problem {
                                    object: o,
                                    pos: e.pos,
                                    field: "spec.podSelector".into(),
                                    message: format!("invalid podSelector: {}", e.message),
                                });
                                None
                            }
                        },
                        None => None,
                    };
                    let port = spec.get("port").and_then(|p| {
                        crate::util::port_of(p)
                            .map(ServerPort::Number)
                            .or_else(|| p.as_str().map(|s| ServerPort::Name(s.to_string())))
                    });
                    out.servers.push(Server {
                        object: o,
                        namespace,
                        selector,
                        port,
                        access_policy: str_at(spec, &["accessPolicy"]).map(str::to_string),
                    });
                }
                "AuthorizationPolicy" => {
                    let t = spec.get("targetRef");
                    let target = Ref {
                        kind: t
                            .and_then(|t| str_at(t, &["kind"]))
                            .unwrap_or("")
                            .to_string(),
                        name: t
                            .and_then(|t| str_at(t, &["name"]))
                            .unwrap_or("")
                            .to_string(),
                        namespace: None,
                    };
                    let refs = spec
                        .get("requiredAuthenticationRefs")
                        .and_then(Node::as_seq)
                        .unwrap_or(&[])
                        .iter()
                        .map(|r| {
                            (
                                Ref {
                                    kind: str_at(r, &["kind"]).unwrap_or("").to_string(),
                                    name: str_at(r, &["name"]).unwrap_or("").to_string(),
                                    namespace: str_at(r, &["namespace"]).map(str::to_string),
                                },
                                r,
                            )
                        })
                        .collect();
                    out.authz.push(AuthzPolicy {
                        object: o,
                        namespace,
                        target,
                        target_node: t,
                        refs,
                    });
                }
                "MeshTLSAuthentication" => {
                    let identity_refs = spec
                        .get("identityRefs")
                        .and_then(Node::as_seq)
                        .unwrap_or(&[])
                        .iter()
                        .map(|r| {
                            (
                                str_at(r, &["kind"]).unwrap_or("").to_string(),
                                str_at(r, &["name"]).map(str::to_string),
                                str_at(r, &["namespace"]).unwrap_or(&namespace).to_string(),
                                r,
                            )
                        })
                        .collect();
                    out.mesh_tls.push(MeshTls {
                        object: o,
                        identities: opt_strs(spec.get("identities")).unwrap_or_default(),
                        namespace,
                        identity_refs,
                    });
                }
                "NetworkAuthentication" => {
                    out.networks.push(NetworkAuthn {
                        object: o,
                        namespace,
                        networks: networks_of(spec.get("networks")).unwrap_or_default(),
                    });
                }
                "ServerAuthorization" => {
                    let server = spec.get("server");
                    let client = spec.get("client");
                    let mesh_tls = client.and_then(|c| c.get("meshTLS")).map(|m| {
                        let sas = m
                            .get("serviceAccounts")
                            .and_then(Node::as_seq)
                            .unwrap_or(&[])
                            .iter()
                            .filter_map(|s| {
                                Some((
                                    str_at(s, &["name"])?.to_string(),
                                    str_at(s, &["namespace"]).unwrap_or(&namespace).to_string(),
                                ))
                            })
                            .collect();
                        LegacyMeshTls {
                            identities: opt_strs(m.get("identities")).unwrap_or_default(),
                            service_accounts: sas,
                            unauthenticated_tls: m
                                .get("unauthenticatedTLS")
                                .and_then(Node::as_bool)
                                == Some(true),
                        }
                    });
                    out.server_authz.push(ServerAuthz {
                        object: o,
                        server_name: server
                            .and_then(|s| str_at(s, &["name"]))
                            .map(str::to_string),
                        server_selector: server
                            .and_then(|s| s.get("selector"))
                            .and_then(|s| LabelSelector::parse(s).ok()),
                        unauthenticated: client
                            .and_then(|c| c.get("unauthenticated"))
                            .and_then(Node::as_bool)
                            == Some(true),
                        mesh_tls,
                        networks: networks_of(client.and_then(|c| c.get("networks"))),
                        namespace,
                    });
                }
                _ => {}
            }
        }
        out
    }

    /// The Server that decides traffic to `w`'s `port` (the oldest that covers it).
    pub(crate) fn server_for(&self, w: &Workload<'_>, port: u16) -> Option<&Server<'a>> {
        self.servers.iter().find(|s| s.covers(w, port))
    }

    /// The default inbound policy of `w` and where it comes from: the pod annotation, the
    /// namespace annotation, the `linkerd-config` ConfigMap, else Linkerd's install default.
    pub(crate) fn default_policy(
        &self,
        ns: Option<&Namespace<'_>>,
        w: &Workload<'_>,
    ) -> (String, &'static str) {
        if let Some(p) = pod_annotation(w, DEFAULT_POLICY) {
            return (p.to_string(), "workload");
        }
        if let Some(p) = ns
            .and_then(|n| n.object)
            .and_then(|o| annotation(o, DEFAULT_POLICY))
        {
            return (p.to_string(), "namespace");
        }
        if let Some((p, _)) = &self.cluster_default {
            return (p.clone(), "cluster (linkerd-config)");
        }
        (INSTALL_DEFAULT.to_string(), "cluster (install default)")
    }

    /// The authorizations that apply to `server`: AuthorizationPolicies targeting it or its
    /// namespace, ServerAuthorizations selecting it, and (conditionally) policies targeting a
    /// route attached to it.
    pub(crate) fn authorizations(&self, server: &Server<'_>) -> Vec<Authz<'_, 'a>> {
        let mut out = Vec::new();
        for p in &self.authz {
            if p.namespace != server.namespace {
                continue;
            }
            let t = &p.target;
            let direct = (t.kind == "Server" && t.name == *server.object.name)
                || (t.kind == "Namespace" && t.name == server.namespace);
            let via_route = matches!(t.kind.as_str(), "HTTPRoute" | "GRPCRoute")
                && self.routes.iter().any(|r| {
                    r.namespace == server.namespace
                        && *r.object.name == t.name
                        && r.servers.iter().any(|s| *s == *server.object.name)
                });
            if direct || via_route {
                out.push(Authz::Policy(p, via_route));
            }
        }
        let labels = server.labels();
        for a in &self.server_authz {
            if a.namespace != server.namespace {
                continue;
            }
            let hit = a.server_name.as_deref() == Some(&*server.object.name)
                || a.server_selector
                    .as_ref()
                    .is_some_and(|s| s.matches(&labels));
            if hit {
                out.push(Authz::Legacy(a));
            }
        }
        out
    }

    /// Whether an authentication reference resolves to an object of the snapshot.
    pub(crate) fn resolves(&self, from_ns: &str, r: &Ref) -> bool {
        let ns = r.namespace.as_deref().unwrap_or(from_ns);
        match r.kind.as_str() {
            "MeshTLSAuthentication" => self
                .mesh_tls
                .iter()
                .any(|m| m.namespace == ns && *m.object.name == r.name),
            "NetworkAuthentication" => self
                .networks
                .iter()
                .any(|m| m.namespace == ns && *m.object.name == r.name),
            "ServiceAccount" => true,
            _ => false,
        }
    }

    fn mesh_tls_match(m: &MeshTls<'_>, client: &Client) -> Tri {
        let Some(id) = client.identity.as_deref() else {
            return Tri::No;
        };
        let by_identity = m.identities.iter().any(|p| identity_match(p, id));
        let by_ref = m
            .identity_refs
            .iter()
            .any(|(kind, name, ns, _)| match kind.as_str() {
                "ServiceAccount" => match name.as_deref() {
                    Some(n) => identity(n, ns) == id,
                    None => id.ends_with(&format!(
                        ".{ns}.serviceaccount.identity.linkerd.cluster.local"
                    )),
                },
                "Namespace" => {
                    let ns = name.as_deref().unwrap_or(ns);
                    id.ends_with(&format!(
                        ".{ns}.serviceaccount.identity.linkerd.cluster.local"
                    ))
                }
                _ => false,
            });
        Tri::from_bool(by_identity || by_ref)
    }

    fn ref_match(&self, from_ns: &str, r: &Ref, client: &Client) -> Tri {
        let ns = r.namespace.as_deref().unwrap_or(from_ns);
        match r.kind.as_str() {
            "MeshTLSAuthentication" => self
                .mesh_tls
                .iter()
                .find(|m| m.namespace == ns && *m.object.name == r.name)
                .map_or(Tri::No, |m| Self::mesh_tls_match(m, client)),
            "NetworkAuthentication" => self
                .networks
                .iter()
                .find(|m| m.namespace == ns && *m.object.name == r.name)
                .map_or(Tri::No, |m| network_match(&m.networks)),
            "ServiceAccount" => {
                Tri::from_bool(client.identity.as_deref() == Some(identity(&r.name, ns).as_str()))
            }
            _ => Tri::No,
        }
    }

    /// Whether one authorization lets `client` in.
    pub(crate) fn authz_match(&self, a: &Authz<'_, 'a>, client: &Client) -> Tri {
        match a {
            Authz::Policy(p, via_route) => {
                // Every reference must be satisfied; a reference to a missing object makes
                // Linkerd ignore the whole policy.
                if p.refs.iter().any(|(r, _)| !self.resolves(&p.namespace, r)) {
                    return Tri::No;
                }
                let m = p.refs.iter().fold(Tri::Yes, |acc, (r, _)| {
                    acc.and(self.ref_match(&p.namespace, r, client))
                });
                if *via_route { m.and(Tri::Maybe) } else { m }
            }
            Authz::Legacy(a) => {
                let who = if a.unauthenticated {
                    Tri::Yes
                } else if let Some(t) = &a.mesh_tls {
                    match client.identity.as_deref() {
                        Some(id) => Tri::from_bool(
                            t.unauthenticated_tls
                                || t.identities.iter().any(|p| identity_match(p, id))
                                || t.service_accounts
                                    .iter()
                                    .any(|(n, ns)| identity(n, ns) == id),
                        ),
                        None => Tri::No,
                    }
                } else {
                    Tri::No
                };
                let net = match &a.networks {
                    None => Tri::Yes,
                    Some(n) => network_match(n),
                };
                who.and(net)
            }
        }
    }
}

/// An authorization that applies to a Server.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Authz<'m, 'a> {
    /// An AuthorizationPolicy (true: through an HTTPRoute/GRPCRoute, so per request).
    Policy(&'m AuthzPolicy<'a>, bool),
    /// A ServerAuthorization.
    Legacy(&'m ServerAuthz<'a>),
}

impl Authz<'_, '_> {
    /// `ns/name` of the policy.
    pub(crate) fn id(&self) -> String {
        match self {
            Authz::Policy(p, _) => p.id(),
            Authz::Legacy(a) => format!("{}/{}", a.namespace, a.object.name),
        }
    }
}

/// `proxy.defaultInboundPolicy` of the `values` document of `linkerd-config`.
fn cluster_default(o: &Object) -> Option<String> {
    let text = o.root.path(&["data", "values"])?.as_str()?;
    let limits = bulwark_k8s::Limits::default();
    let doc = parse_yaml(text, &limits).into_iter().next()?.ok()?;
    doc.path(&["proxy", "defaultInboundPolicy"])
        .and_then(Node::as_str)
        .map(str::to_string)
}

/// The ports whose traffic skips the Linkerd proxy, from the pod or else its namespace.
pub(crate) fn skipped_ports(
    ns: Option<&Namespace<'_>>,
    w: &Workload<'_>,
    key: &str,
) -> Option<PortSet> {
    pod_annotation(w, key)
        .or_else(|| ns.and_then(|n| n.object).and_then(|o| annotation(o, key)))
        .map(PortSet::parse)
}
