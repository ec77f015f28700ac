//! Service-mesh posture: Istio and Linkerd mTLS modes, authorization policies and sidecar
//! coverage evaluated over a set of manifests.
//!
//! [`Mesh::build`] reads a [`Snapshot`] once: which workloads each mesh injects (replaying the
//! injection webhooks over labels and annotations), Istio's PeerAuthentication,
//! AuthorizationPolicy, RequestAuthentication and DestinationRule, Linkerd's Server,
//! AuthorizationPolicy, MeshTLSAuthentication, NetworkAuthentication and ServerAuthorization.
//! [`Mesh::connection`] then says how one workload's connection to another travels (mTLS or
//! plaintext) and whether the mesh would authorize it; [`findings`] reports the weaknesses, one
//! check per kind ([`checks`]). Nothing here does I/O; every result is deterministic. The
//! semantics and every decision where the meshes are ambiguous are in `docs/mesh.md`.

mod checks;
mod istio;
mod linkerd;
mod membership;
mod util;

use std::collections::BTreeMap;

use bulwark_k8s::{Namespace, Object, Pos, Snapshot, Workload, namespaces};
use bulwark_model::{AnalysisCheck, Finding};

pub use istio::{MtlsLevel, MtlsMode, ROOT_NAMESPACE};
pub use membership::Membership;

use crate::istio::{Istio, Request, inbound_bypassed, outbound_bypassed};
use crate::linkerd::{Client, Linkerd, default_policy_verdict, skipped_ports};
use crate::util::{Service, Tri};

/// A service mesh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MeshKind {
    /// Istio (sidecar mode).
    Istio,
    /// Linkerd.
    Linkerd,
}

impl MeshKind {
    /// `istio` or `linkerd`.
    pub fn as_str(self) -> &'static str {
        match self {
            MeshKind::Istio => "istio",
            MeshKind::Linkerd => "linkerd",
        }
    }
}

/// How a connection travels between the two pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Mutual TLS between the two proxies: the client has a mesh identity.
    Mtls,
    /// Not mesh-authenticated: plaintext, or one-way TLS the client originates itself
    /// (DestinationRule SIMPLE/MUTUAL), which gives the server no mesh identity either.
    Plaintext,
    /// Cannot be decided from manifests (an excluded IP range that may cover pod IPs, some
    /// containers of the client running as the proxy's UID).
    Unknown,
}

/// Whether the destination's proxy lets the connection in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthzDecision {
    /// Every request is allowed.
    Allow,
    /// Every request is denied (or the connection is refused).
    Deny,
    /// Depends on what manifests cannot tell: HTTP attributes, a JWT, the source IP, an
    /// external authorizer.
    Conditional,
}

/// The mesh's verdict on one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionVerdict {
    /// The mesh of the destination.
    pub mesh: MeshKind,
    /// mTLS or plaintext.
    pub transport: Transport,
    /// The authorization decision.
    pub authz: AuthzDecision,
    /// Why, in one sentence a user can check against the manifests.
    pub explanation: String,
    /// `ns/name` of the policies that decided (authorization policies, a STRICT
    /// PeerAuthentication that refused plaintext, a Linkerd Server).
    pub policies: Vec<String>,
}

/// A mesh resource that could not be read as the mesh would (reported by MESH018).
#[derive(Debug, Clone)]
pub(crate) struct Problem<'a> {
    pub(crate) object: &'a Object,
    pub(crate) pos: Pos,
    pub(crate) field: String,
    pub(crate) message: String,
}

/// The effective Istio mTLS mode of a workload (or one of its ports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IstioMtls {
    /// The mode the sidecar accepts.
    pub mode: MtlsMode,
    /// Which level of policy decided it.
    pub level: MtlsLevel,
    /// `ns/name` of the deciding PeerAuthentication (`None`: Istio's default).
    pub policy: Option<String>,
}

/// The service-mesh model of a snapshot.
#[derive(Debug)]
pub struct Mesh<'a> {
    snapshot: &'a Snapshot,
    namespaces: BTreeMap<String, Namespace<'a>>,
    workloads: Vec<(Workload<'a>, Membership)>,
    /// Services with a selector, by namespace.
    services: BTreeMap<String, Vec<Service<'a>>>,
    istio: Istio<'a>,
    linkerd: Linkerd<'a>,
    problems: Vec<Problem<'a>>,
}

/// UID of Istio's proxy: traffic from it is never redirected.
pub(crate) const ISTIO_PROXY_UID: i64 = 1337;
/// UID of Linkerd's proxy: traffic from it is never redirected.
pub(crate) const LINKERD_PROXY_UID: i64 = 2102;

/// The containers of `w` (init containers aside) that run as `uid`, with the node that sets it
/// and its field path.
pub(crate) fn containers_running_as<'a>(
    w: &Workload<'a>,
    uid: i64,
) -> (Vec<(&'a str, &'a bulwark_k8s::Node, String)>, usize) {
    let pod = w.pod.sc(&["runAsUser"]);
    let mut hits = Vec::new();
    let mut total = 0;
    for c in w.pod.containers() {
        if c.kind != bulwark_k8s::ContainerKind::Regular
            || matches!(c.name, "istio-proxy" | "linkerd-proxy")
        {
            continue;
        }
        total += 1;
        let own = c.sc(&["runAsUser"]);
        let (node, field) = match (own, pod) {
            (Some(n), _) => (n, w.pod.container_field(&c, "securityContext.runAsUser")),
            (None, Some(n)) => (n, w.pod.field("securityContext.runAsUser")),
            (None, None) => continue,
        };
        if node.as_i64() == Some(uid) {
            hits.push((c.name, node, field));
        }
    }
    (hits, total)
}

impl<'a> Mesh<'a> {
    /// Reads every mesh-relevant object of `snapshot`.
    pub fn build(snapshot: &'a Snapshot) -> Mesh<'a> {
        let default_ns = snapshot.default_namespace();
        let namespaces = namespaces(snapshot);
        let workloads = Workload::all(snapshot)
            .into_iter()
            .map(|w| {
                let m = membership::membership(namespaces.get(&*w.namespace), &w);
                (w, m)
            })
            .collect();
        let mut services: BTreeMap<String, Vec<Service<'a>>> = BTreeMap::new();
        for svc in snapshot
            .objects()
            .iter()
            .filter_map(|o| Service::of(o, default_ns))
        {
            services.entry(svc.namespace.clone()).or_default().push(svc);
        }
        let mut problems = Vec::new();
        let istio = Istio::build(snapshot.objects(), default_ns, &mut problems);
        let linkerd = Linkerd::build(snapshot.objects(), default_ns, &mut problems);
        Mesh {
            snapshot,
            namespaces,
            workloads,
            services,
            istio,
            linkerd,
            problems,
        }
    }

    /// No mesh resource and no injected workload or injecting namespace at all.
    pub fn is_empty(&self) -> bool {
        self.istio.resources == 0
            && self.linkerd.resources == 0
            && self.linkerd.cluster_default.is_none()
            && self.workloads.iter().all(|(_, m)| m.mesh.is_none())
            && self
                .namespaces
                .values()
                .all(|n| membership::namespace_injects(n).is_none())
    }

    /// Every workload with its mesh membership, in input order.
    pub fn workloads(&self) -> impl Iterator<Item = (&Workload<'a>, &Membership)> {
        self.workloads.iter().map(|(w, m)| (w, m))
    }

    /// Whether (and why) `w` is in a mesh.
    pub fn membership(&self, w: &Workload<'_>) -> Membership {
        membership::membership(self.namespaces.get(&*w.namespace), w)
    }

    /// The mTLS mode Istio's sidecar of `w` accepts on `port` (`None`: the workload-level
    /// mode); `None` when `w` is not in Istio.
    pub fn istio_mtls(&self, w: &Workload<'_>, port: Option<u16>) -> Option<IstioMtls> {
        if self.membership(w).mesh != Some(MeshKind::Istio) {
            return None;
        }
        let e = self.istio.mtls(w, port);
        Some(IstioMtls {
            mode: e.mode,
            level: e.level,
            policy: e.policy.map(istio::PeerAuth::id),
        })
    }

    /// Linkerd's default inbound policy for `w` and the level that set it; `None` when `w` is
    /// not in Linkerd.
    pub fn linkerd_default_policy(&self, w: &Workload<'_>) -> Option<(String, &'static str)> {
        if self.membership(w).mesh != Some(MeshKind::Linkerd) {
            return None;
        }
        Some(
            self.linkerd
                .default_policy(self.namespaces.get(&*w.namespace), w),
        )
    }

    /// The mesh's verdict on a connection from `src` (`None`: a client outside the cluster or
    /// an IP block, without mesh identity) to container port `port`/`protocol` of `dst`.
    /// `None` when `dst` is in no mesh.
    pub fn connection(
        &self,
        src: Option<&Workload<'_>>,
        dst: &Workload<'_>,
        port: u16,
        protocol: &str,
    ) -> Option<ConnectionVerdict> {
        match self.membership(dst).mesh? {
            MeshKind::Istio => Some(self.istio_connection(src, dst, port, protocol)),
            MeshKind::Linkerd => Some(self.linkerd_connection(src, dst, port, protocol)),
        }
    }

    /// Every finding of every check, in a deterministic order.
    pub fn findings(&self) -> Vec<Finding> {
        checks::run_all(self)
    }

    fn istio_connection(
        &self,
        src: Option<&Workload<'_>>,
        dst: &Workload<'_>,
        port: u16,
        protocol: &str,
    ) -> ConnectionVerdict {
        let verdict = |transport, authz, explanation: String, policies| ConnectionVerdict {
            mesh: MeshKind::Istio,
            transport,
            authz,
            explanation,
            policies,
        };
        let proto = protocol.to_ascii_uppercase();
        if proto != "TCP" {
            return verdict(
                Transport::Plaintext,
                AuthzDecision::Allow,
                format!(
                    "Istio's sidecar captures TCP only: {proto} traffic bypasses it, unauthenticated and unauthorized"
                ),
                Vec::new(),
            );
        }
        if let Some(why) = inbound_bypassed(dst, port) {
            return verdict(
                Transport::Plaintext,
                AuthzDecision::Allow,
                format!(
                    "{why}: the traffic bypasses the sidecar, unauthenticated and unauthorized"
                ),
                Vec::new(),
            );
        }
        let eff = self.istio.mtls(dst, Some(port));
        let mode_desc = match eff.policy {
            Some(p) => format!(
                "{} ({} from {})",
                eff.mode.as_str(),
                level_word(eff.level),
                p.id()
            ),
            None => format!("{} (Istio's default)", eff.mode.as_str()),
        };
        let sends = match src {
            None => Sends::Plain("the client is outside the cluster, without mesh identity".into()),
            Some(s) => match self.membership(s).mesh {
                None => Sends::Plain(format!("{} has no sidecar", s.display())),
                Some(MeshKind::Linkerd) => Sends::Plain(format!(
                    "{} is in Linkerd, whose proxy cannot do Istio mTLS",
                    s.display()
                )),
                Some(MeshKind::Istio) => {
                    let (uid, total) = containers_running_as(s, ISTIO_PROXY_UID);
                    if !uid.is_empty() && uid.len() == total {
                        Sends::Plain(format!(
                            "{} runs as UID 1337, whose traffic Istio never captures",
                            s.display()
                        ))
                    } else if !uid.is_empty() {
                        Sends::Unknown(format!(
                            "container {} of {} runs as UID 1337 and bypasses the sidecar",
                            uid[0].0,
                            s.display()
                        ))
                    } else {
                        match outbound_bypassed(s, port) {
                            Ok(Some(why)) => Sends::Plain(why),
                            Err(why) => Sends::Unknown(why),
                            Ok(None) => match self.istio.client_tls(
                                s,
                                dst,
                                port,
                                self.services
                                    .get(&*dst.namespace)
                                    .map_or(&[], Vec::as_slice),
                            ) {
                                Some((dr, tls)) => match tls.mode {
                                    istio::TlsMode::Disable => Sends::Plain(format!(
                                        "DestinationRule {} sets TLS mode DISABLE",
                                        dr.id()
                                    )),
                                    istio::TlsMode::Simple | istio::TlsMode::Mutual => {
                                        Sends::Plain(format!(
                                            "DestinationRule {} originates its own TLS (no mesh identity)",
                                            dr.id()
                                        ))
                                    }
                                    istio::TlsMode::IstioMutual => Sends::Mtls,
                                },
                                None if eff.mode == MtlsMode::Disable => Sends::Plain(format!(
                                    "auto mTLS sends plaintext because the destination port is {mode_desc}"
                                )),
                                None => Sends::Mtls,
                            },
                        }
                    }
                }
            },
        };
        let mtls_request = src.map(|s| Request {
            principal: Some(format!(
                "cluster.local/ns/{}/sa/{}",
                s.namespace, s.service_account
            )),
            namespace: Some(s.namespace.to_string()),
            port,
        });
        let plain_request = Request {
            principal: None,
            namespace: None,
            port,
        };
        let refused = |why: &str| {
            verdict(
                Transport::Plaintext,
                AuthzDecision::Deny,
                format!("{why}, and the destination port is {mode_desc}, which refuses plaintext"),
                eff.policy.map(istio::PeerAuth::id).into_iter().collect(),
            )
        };
        match sends {
            Sends::Mtls => {
                let req = mtls_request.unwrap_or(plain_request);
                if eff.mode == MtlsMode::Disable {
                    return verdict(
                        Transport::Mtls,
                        AuthzDecision::Deny,
                        format!(
                            "the client's DestinationRule forces ISTIO_MUTUAL but the destination port is {mode_desc}: the handshake fails"
                        ),
                        eff.policy.map(istio::PeerAuth::id).into_iter().collect(),
                    );
                }
                let (authz, policies, why) = self.istio.authorize(dst, &req);
                verdict(
                    Transport::Mtls,
                    authz,
                    format!(
                        "mTLS as {} (destination port {mode_desc}); {why}",
                        req.principal.as_deref().unwrap_or("?")
                    ),
                    policies,
                )
            }
            Sends::Plain(why) => {
                if eff.mode == MtlsMode::Strict {
                    return refused(&why);
                }
                let (authz, policies, az) = self.istio.authorize(dst, &plain_request);
                verdict(
                    Transport::Plaintext,
                    authz,
                    format!("plaintext: {why} (destination port {mode_desc}, no principal); {az}"),
                    policies,
                )
            }
            Sends::Unknown(why) => {
                let req = mtls_request.unwrap_or_else(|| plain_request.clone());
                let (a1, mut p1, w1) = self.istio.authorize(dst, &req);
                let (a2, p2, w2) = if eff.mode == MtlsMode::Strict {
                    (
                        AuthzDecision::Deny,
                        eff.policy.map(istio::PeerAuth::id).into_iter().collect(),
                        "plaintext is refused".to_string(),
                    )
                } else {
                    self.istio.authorize(dst, &plain_request)
                };
                let authz = if a1 == a2 {
                    a1
                } else {
                    AuthzDecision::Conditional
                };
                for p in p2 {
                    if !p1.contains(&p) {
                        p1.push(p);
                    }
                }
                verdict(
                    Transport::Unknown,
                    authz,
                    format!("mTLS or plaintext: {why}; over mTLS {w1}; over plaintext {w2}"),
                    p1,
                )
            }
        }
    }

    fn linkerd_connection(
        &self,
        src: Option<&Workload<'_>>,
        dst: &Workload<'_>,
        port: u16,
        protocol: &str,
    ) -> ConnectionVerdict {
        let verdict = |transport, authz, explanation: String, policies| ConnectionVerdict {
            mesh: MeshKind::Linkerd,
            transport,
            authz,
            explanation,
            policies,
        };
        let dst_ns = self.namespaces.get(&*dst.namespace);
        let proto = protocol.to_ascii_uppercase();
        if proto != "TCP" {
            return verdict(
                Transport::Plaintext,
                AuthzDecision::Allow,
                format!(
                    "Linkerd's proxy handles TCP only: {proto} traffic bypasses it, unauthenticated and unauthorized"
                ),
                Vec::new(),
            );
        }
        if skipped_ports(dst_ns, dst, "config.linkerd.io/skip-inbound-ports")
            .is_some_and(|s| s.contains(port))
        {
            return verdict(
                Transport::Plaintext,
                AuthzDecision::Allow,
                format!(
                    "port {port} is in config.linkerd.io/skip-inbound-ports: the traffic bypasses the proxy, unauthenticated and unauthorized"
                ),
                Vec::new(),
            );
        }
        let (identity, transport_why) = match src {
            None => (
                None,
                "the client is outside the cluster, without mesh identity".to_string(),
            ),
            Some(s) => match self.membership(s).mesh {
                Some(MeshKind::Linkerd) => {
                    let (uid, total) = containers_running_as(s, LINKERD_PROXY_UID);
                    let s_ns = self.namespaces.get(&*s.namespace);
                    if skipped_ports(s_ns, s, "config.linkerd.io/skip-outbound-ports")
                        .is_some_and(|p| p.contains(port))
                    {
                        (
                            None,
                            format!(
                                "{} skips outbound port {port} (config.linkerd.io/skip-outbound-ports)",
                                s.display()
                            ),
                        )
                    } else if !uid.is_empty() && uid.len() == total {
                        (
                            None,
                            format!(
                                "{} runs as UID 2102, whose traffic Linkerd never captures",
                                s.display()
                            ),
                        )
                    } else {
                        let id = linkerd::identity(&s.service_account, &s.namespace);
                        let why = format!("mTLS as {id}");
                        (Some(id), why)
                    }
                }
                Some(MeshKind::Istio) => (
                    None,
                    format!(
                        "{} is in Istio, whose sidecar cannot do Linkerd mTLS",
                        s.display()
                    ),
                ),
                None => (None, format!("{} has no Linkerd proxy", s.display())),
            },
        };
        let transport = if identity.is_some() {
            Transport::Mtls
        } else {
            Transport::Plaintext
        };
        let client = Client {
            identity,
            in_cluster: src.is_some(),
        };
        let decide = |t: Tri| match t {
            Tri::Yes => AuthzDecision::Allow,
            Tri::No => AuthzDecision::Deny,
            Tri::Maybe => AuthzDecision::Conditional,
        };
        if let Some(server) = self.linkerd.server_for(dst, port) {
            let authz = self.linkerd.authorizations(server);
            let mut best = Tri::No;
            let mut deciding = Vec::new();
            for a in &authz {
                let m = self.linkerd.authz_match(a, &client);
                if m != Tri::No {
                    if m == Tri::Yes && best != Tri::Yes {
                        deciding.clear();
                    }
                    if m == Tri::Yes || best != Tri::Yes {
                        deciding.push(a.id());
                    }
                    best = best.or(m);
                }
            }
            let mut policies = vec![server.id()];
            if best != Tri::No {
                policies.extend(deciding.iter().cloned());
                let how = if best == Tri::Yes {
                    "allows"
                } else {
                    "may allow (per route)"
                };
                return verdict(
                    transport,
                    decide(best),
                    format!(
                        "{transport_why}; Server {} covers port {port} and {} {how} the client",
                        server.id(),
                        deciding.join(", ")
                    ),
                    policies,
                );
            }
            let fallback = server.access_policy.as_deref().unwrap_or("deny");
            let (d, why) = default_policy_verdict(fallback, &client);
            return verdict(
                transport,
                d,
                format!(
                    "{transport_why}; Server {} covers port {port}, no authorization admits the client, and its access policy {why}",
                    server.id()
                ),
                policies,
            );
        }
        let (policy, level) = self.linkerd.default_policy(dst_ns, dst);
        let (d, why) = default_policy_verdict(&policy, &client);
        verdict(
            transport,
            d,
            format!("{transport_why}; no Server covers port {port}, so the {level} {why}"),
            Vec::new(),
        )
    }
}

/// What an Istio client sends.
enum Sends {
    Mtls,
    Plain(String),
    Unknown(String),
}

fn level_word(level: MtlsLevel) -> &'static str {
    match level {
        MtlsLevel::Default => "default",
        MtlsLevel::Mesh => "mesh-wide",
        MtlsLevel::Namespace => "namespace-wide",
        MtlsLevel::Workload => "workload",
        MtlsLevel::Port => "port-level",
    }
}

/// Every mesh check, in id order.
pub fn checks() -> &'static [&'static AnalysisCheck] {
    checks::ALL
}

/// Every mesh finding of `snapshot`, in a deterministic order.
pub fn findings(snapshot: &Snapshot) -> Vec<Finding> {
    Mesh::build(snapshot).findings()
}

#[cfg(test)]
mod tests;
