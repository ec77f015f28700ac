//! NET007 `overly-broad-allow`: a rule that admits everyone or everywhere.

use bulwark_k8s::{LabelSelector, Node};
use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::Cx;
use crate::ip::{IpRange, parse_cidr};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "NET007",
    name: "overly-broad-allow",
    title: "Network policy rule allows everything",
    severity: Severity::Medium,
    category: Category::Network,
    standards: &["nsa-cisa/network-separation"],
    what: "Reports a NetworkPolicy rule that names no peers (`from`/`to` missing or empty: every pod and every address), a peer of `ipBlock: 0.0.0.0/0` without exceptions, or a peer of `namespaceSelector: {}` with an empty or missing `podSelector` (every pod in the cluster). Ingress rules are medium; egress rules are low, since allowing the internet out on named ports is often intended. An ingress rule open to every address in a policy that selects workloads is left to NET002, which reports it per workload with the ports.",
    why: "A policy is only as tight as its broadest rule. An allow-all rule makes the workload reachable from (or able to reach) everything on those ports, while the policy's presence suggests it is isolated.",
    example: r"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{ipBlock: {cidr: 0.0.0.0/0}}]
",
    fix: "Name the peers the workload needs: the client namespaces and pods, or the exact address ranges (with `except` for private and link-local ranges when the internet is meant).",
    fixed_example: r"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}]
    ports: [{port: 8080}]
",
    references: &[
        "https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource",
    ],
};

pub(crate) fn run(cx: &Cx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (index, np) in cx.net.network_policies().enumerate() {
        let o = cx.object(np.object);
        // Where the policy selects workloads, NET002 reports an ingress rule open to every
        // address, per workload and with the path; this check keeps the rest.
        let reported_by_net002 = !cx.net.pods_selected_by(index).is_empty();
        let ns = o
            .effective_namespace(cx.snapshot.default_namespace())
            .map(|n| n.to_string())
            .unwrap_or_default();
        for (dir, key, isolates) in [
            ("ingress", "from", np.ingress.is_some()),
            ("egress", "to", np.egress.is_some()),
        ] {
            if !isolates {
                continue;
            }
            let rules = o
                .root
                .path(&["spec", dir])
                .and_then(Node::as_seq)
                .unwrap_or(&[]);
            for (ri, rule) in rules.iter().enumerate() {
                let peers = rule.get(key).and_then(Node::as_seq).unwrap_or(&[]);
                let mut broad: Vec<(String, String, bulwark_k8s::Pos)> = Vec::new();
                let every_address_reported = dir == "ingress" && reported_by_net002;
                if peers.is_empty() && !every_address_reported {
                    broad.push((
                        format!(
                            "names no peers in `{key}`, so it {}",
                            if dir == "ingress" {
                                "admits every pod and every address"
                            } else {
                                "reaches every pod and every address"
                            }
                        ),
                        format!("spec.{dir}[{ri}]"),
                        rule.pos,
                    ));
                }
                for (pi, peer) in peers.iter().enumerate() {
                    if let Some(cidr) = peer.path(&["ipBlock", "cidr"]).and_then(Node::as_str) {
                        let no_except = peer
                            .path(&["ipBlock", "except"])
                            .and_then(Node::as_seq)
                            .is_none_or(<[Node]>::is_empty);
                        if parse_cidr(cidr).ok() == Some(IpRange::ALL)
                            && no_except
                            && !every_address_reported
                        {
                            broad.push((
                                format!("allows ipBlock {cidr}, every address"),
                                format!("spec.{dir}[{ri}].{key}[{pi}].ipBlock"),
                                peer.pos,
                            ));
                        }
                    } else if let Some(nsel) = peer.get("namespaceSelector") {
                        let all_ns = LabelSelector::parse(nsel).is_ok_and(|s| s.is_empty());
                        let all_pods = peer
                            .get("podSelector")
                            .is_none_or(|p| LabelSelector::parse(p).is_ok_and(|s| s.is_empty()));
                        if all_ns && all_pods {
                            broad.push((
                                "allows namespaceSelector {}, every pod of every namespace"
                                    .to_string(),
                                format!("spec.{dir}[{ri}].{key}[{pi}]"),
                                peer.pos,
                            ));
                        }
                    }
                }
                let ports = match rule.get("ports").and_then(Node::as_seq) {
                    Some(p) if !p.is_empty() => format!("on {} listed port(s)", p.len()),
                    _ => "on every port".to_string(),
                };
                for (what, field, pos) in broad {
                    let mut f = META.finding(
                        format!(
                            "NetworkPolicy {ns}/{}: {dir} rule {} {what}, {ports}",
                            o.name,
                            ri + 1
                        ),
                        Some(o.resource_ref(cx.snapshot.default_namespace(), None)),
                        Some(o.location(pos, Some(&field))),
                        &format!("{ns}/{}/{field}", o.name),
                    );
                    if dir == "egress" {
                        f.severity = Severity::Low;
                    }
                    out.push(f);
                }
            }
        }
    }
    out
}
