//! NET006 `peer-matches-nothing`: a rule's pod selector matches no workload.

use bulwark_k8s::{LabelSelector, Node};
use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::Cx;
use crate::policy::PeerSel;

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "NET006",
    name: "peer-matches-nothing",
    title: "Network policy rule names pods that do not exist",
    severity: Severity::Low,
    category: Category::Network,
    standards: &[],
    what: "Reports a NetworkPolicy rule peer with only a `podSelector` (pods of the policy's own namespace) that matches no workload of that namespace, when the manifests describe that namespace's pods (they hold workloads there and no custom resource, such as a `Prometheus`, that an operator could turn into pods). Peers with a `namespaceSelector` are left alone: their pods may live in namespaces the manifests do not describe.",
    why: "A peer that matches nothing allows nothing: the traffic the rule was written for is blocked (an outage waiting to be noticed), and the usual fix under pressure is a broader rule than needed. It is typically a label typo or a label changed on one side only.",
    example: r"apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: example.com/db:1.0}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
",
    fix: "Correct the selector to the client pods' labels, or remove the rule if the client is gone.",
    fixed_example: r"apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: example.com/db:1.0}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: example.com/api:1.0}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
",
    references: &[
        "https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors",
    ],
};

pub(crate) fn run(cx: &Cx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for np in cx.net.network_policies() {
        let o = cx.object(np.object);
        let ns = o
            .effective_namespace(cx.snapshot.default_namespace())
            .map(|n| n.to_string())
            .unwrap_or_default();
        if !cx.pods_fully_known(&ns) {
            continue;
        }
        for (dir, key) in [("ingress", "from"), ("egress", "to")] {
            let rules = o
                .root
                .path(&["spec", dir])
                .and_then(Node::as_seq)
                .unwrap_or(&[]);
            for (ri, rule) in rules.iter().enumerate() {
                let peers = rule.get(key).and_then(Node::as_seq).unwrap_or(&[]);
                for (pi, peer) in peers.iter().enumerate() {
                    if peer.get("namespaceSelector").is_some() || peer.get("ipBlock").is_some() {
                        continue;
                    }
                    let Some(sel) = peer.get("podSelector") else {
                        continue;
                    };
                    let Ok(selector) = LabelSelector::parse(sel) else {
                        continue;
                    };
                    let shown = selector.to_string();
                    if cx.net.selector_matches_any(&PeerSel::InNamespace {
                        namespace: ns.clone(),
                        pods: selector,
                    }) {
                        continue;
                    }
                    let field = format!("spec.{dir}[{ri}].{key}[{pi}].podSelector");
                    out.push(META.finding(
                        format!(
                            "NetworkPolicy {ns}/{}: {dir} rule {} names pods {shown} in namespace {ns}, and no workload there has those labels, so the rule allows nothing",
                            o.name,
                            ri + 1
                        ),
                        Some(o.resource_ref(cx.snapshot.default_namespace(), None)),
                        Some(o.location(sel.pos, Some(&field))),
                        &format!("{ns}/{}/{field}", o.name),
                    ));
                }
            }
        }
    }
    out
}
