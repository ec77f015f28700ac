//! MESH015: Linkerd's default inbound policy admits unauthenticated clients.

use std::collections::BTreeMap;

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::{at, list, on_namespace, on_workload};
use crate::linkerd::{DEFAULT_POLICY, INSTALL_DEFAULT};
use crate::util::{annotation, meta_node, pod_annotation_node};
use crate::{Mesh, MeshKind};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "MESH015",
    name: "linkerd-default-policy-unauthenticated",
    title: "Linkerd default inbound policy admits unauthenticated clients",
    severity: Severity::Medium,
    category: Category::Mesh,
    standards: &[],
    what: "Reports a default inbound policy of `all-unauthenticated` or `cluster-unauthenticated`: set cluster-wide (`proxy.defaultInboundPolicy` in the `linkerd-config` ConfigMap), on a namespace or on a pod template (`config.linkerd.io/default-inbound-policy`). When the cluster-wide value is not in the manifests, Linkerd's install default (`all-unauthenticated`) is assumed and reported on each namespace whose Linkerd-injected workloads have a port no Server covers (the ports the default decides).",
    why: "These defaults admit clients without mesh identity: any pod (and, for `all-unauthenticated`, any address) can connect to ports no Server/AuthorizationPolicy covers, in plaintext. Meshing then encrypts traffic between meshed pods but authorizes nothing.",
    example: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  annotations: {linkerd.io/inject: enabled, config.linkerd.io/default-inbound-policy: all-unauthenticated}\n",
    fix: "Set `config.linkerd.io/default-inbound-policy: all-authenticated` (or `cluster-authenticated`, or `deny` with explicit Servers and AuthorizationPolicies) on the namespace, or cluster-wide with `proxy.defaultInboundPolicy` at install.",
    fixed_example: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  annotations: {linkerd.io/inject: enabled, config.linkerd.io/default-inbound-policy: all-authenticated}\n",
    references: &[
        "https://linkerd.io/2/reference/authorization-policy/#default-policies",
        "https://linkerd.io/2/features/server-policy/",
    ],
};

fn unauthenticated(p: &str) -> bool {
    matches!(p, "all-unauthenticated" | "cluster-unauthenticated")
}

pub(crate) fn run(m: &Mesh<'_>, out: &mut Vec<Finding>) {
    if let Some((p, o)) = &m.linkerd.cluster_default
        && unauthenticated(p)
    {
        let pos = o.root.path(&["data", "values"]).map_or(o.pos(), |n| n.pos);
        out.push(at(
                &META,
                m,
                o,
                pos,
                "data.values",
                format!("Linkerd's cluster-wide default inbound policy is {p}: ports without a Server admit unauthenticated clients"),
                "cluster",
            ));
    }
    for ns in m.namespaces.values() {
        let Some(o) = ns.object else { continue };
        if let Some(p) = annotation(o, DEFAULT_POLICY).filter(|p| unauthenticated(p)) {
            out.push(on_namespace(
                &META,
                m,
                ns,
                meta_node(o, "annotations", DEFAULT_POLICY).map(|n| n.pos),
                "metadata.annotations",
                format!("namespace {} sets Linkerd's default inbound policy to {p}: its pods admit unauthenticated clients on ports without a Server", ns.name),
                "namespace",
            ));
        }
    }
    let mut implicit: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (w, mem) in &m.workloads {
        if mem.mesh != Some(MeshKind::Linkerd) {
            continue;
        }
        let (policy, level) = m.linkerd.default_policy(m.namespaces.get(&*w.namespace), w);
        if !unauthenticated(&policy) {
            continue;
        }
        match level {
            "workload" => out.push(on_workload(
                &META,
                m,
                w,
                pod_annotation_node(w, DEFAULT_POLICY).map(|n| n.pos),
                &format!("{}.annotations", w.pod.metadata_path),
                format!("{} sets Linkerd's default inbound policy to {policy}: it admits unauthenticated clients on ports without a Server", w.display()),
                "workload",
            )),
            "cluster (install default)" => {
                let exposed = w.ports.is_empty()
                    || w.ports.iter().any(|p| m.linkerd.server_for(w, p.port).is_none());
                if exposed {
                    implicit.entry(&w.namespace).or_default().push(w.display());
                }
            }
            _ => {}
        }
    }
    for (ns, names) in implicit {
        let Some(n) = m.namespaces.get(ns) else {
            continue;
        };
        out.push(on_namespace(
            &META,
            m,
            n,
            None,
            "metadata",
            format!(
                "no default inbound policy is set for namespace {ns} or in the manifests' linkerd-config, so Linkerd's install default {INSTALL_DEFAULT} admits unauthenticated clients to {} on ports without a Server",
                list(&names)
            ),
            "install-default",
        ));
    }
}
