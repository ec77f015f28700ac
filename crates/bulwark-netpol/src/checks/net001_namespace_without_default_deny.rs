//! NET001 `namespace-without-default-deny`: workloads whose ingress no policy isolates.

use std::collections::BTreeMap;

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::{Cx, some};
use crate::network::Direction;

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "NET001",
    name: "namespace-without-default-deny",
    title: "Namespace has workloads no network policy isolates",
    severity: Severity::Medium,
    category: Category::Network,
    standards: &["cis-k8s/5.3.2", "nsa-cisa/network-separation"],
    what: "Reports each namespace holding workloads whose ingress no policy isolates: no NetworkPolicy with the `Ingress` type selects them and no AdminNetworkPolicy or BaselineAdminNetworkPolicy with ingress rules applies to them. Only policies in the workload's own namespace count: a default-deny policy in another namespace covers nothing here.",
    why: "Kubernetes allows all traffic to a pod until a policy selects it. One compromised pod anywhere in the cluster, or a client outside it where the network routes, can then reach these workloads on every port: the lateral movement that turns one foothold into many.",
    example: r"apiVersion: v1
kind: Namespace
metadata: {name: shop}
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
metadata: {name: default-deny, namespace: other}
spec:
  podSelector: {}
  policyTypes: [Ingress]
",
    fix: "Add a default-deny ingress policy to the namespace (`podSelector: {}` with `policyTypes: [Ingress]` and no rules), then allow each flow the workloads need with its own policy.",
    fixed_example: r"apiVersion: v1
kind: Namespace
metadata: {name: shop}
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
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
",
    references: &[
        "https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-ingress-traffic",
    ],
};

pub(crate) fn run(cx: &Cx<'_>) -> Vec<Finding> {
    let mut by_ns: BTreeMap<&str, (Vec<String>, usize, Option<usize>)> = BTreeMap::new();
    for (i, p) in cx.net.pods().iter().enumerate() {
        let e = by_ns.entry(p.namespace.as_str()).or_default();
        e.1 += 1;
        if !cx.net.isolated(i, Direction::Ingress) {
            e.0.push(p.display());
            e.2.get_or_insert(i);
        }
    }
    let mut out = Vec::new();
    for (ns, (open, total, first)) in by_ns {
        let Some(first) = first else { continue };
        let (resource, location) = cx.namespace_place(ns, first);
        out.push(META.finding(
            format!(
                "namespace {ns}: {} of {total} workloads accept connections from any pod and any address on every port, because no policy selects them for ingress: {}",
                open.len(),
                some(&open)
            ),
            resource,
            location,
            ns,
        ));
    }
    out
}
