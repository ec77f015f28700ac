//! NET004 `egress-to-cloud-metadata`: workloads can reach the cloud metadata endpoint.

use std::collections::BTreeMap;

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::{Cx, some};
use crate::conn::Protocol;
use crate::network::Endpoint;

/// The link-local address of the instance metadata service on AWS, GCP, Azure and others.
const METADATA: u32 = u32::from_be_bytes([169, 254, 169, 254]);

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "NET004",
    name: "egress-to-cloud-metadata",
    title: "Workloads can reach the cloud metadata endpoint",
    severity: Severity::Medium,
    category: Category::Network,
    standards: &["nsa-cisa/network-separation"],
    what: "Reports each namespace whose workloads may open TCP port 80 to 169.254.169.254, the instance metadata service of the cloud providers, and says why: no egress policy selects them, or which rule allows it.",
    why: "The metadata service hands out the node's cloud credentials to anyone who asks from the node's network. A compromised pod that reaches it can often act as the node in the cloud account: read buckets, pull images, or move to other machines (the Capital One breach went this way).",
    example: r"apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: example.com/api:1.0}]
",
    fix: "Give the namespace a default-deny egress policy and allow what the workloads need; where a rule must allow the internet, write it as an `ipBlock` of `0.0.0.0/0` with `except: [169.254.169.254/32]`. Blocking the endpoint on the nodes (IMDSv2 hop limit 1, GKE metadata concealment) protects it too.",
    fixed_example: r"apiVersion: apps/v1
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
metadata: {name: egress, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}}]
",
    references: &[
        "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html",
        "https://kubernetes.io/docs/tasks/administer-cluster/securing-a-cluster/#restricting-cloud-metadata-api-access",
    ],
};

pub(crate) fn run(cx: &Cx<'_>) -> Vec<Finding> {
    let Some(atom) = cx
        .net
        .egress_atoms()
        .iter()
        .find(|a| a.contains_addr(METADATA))
        .copied()
    else {
        return Vec::new();
    };
    let mut by_ns: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, p) in cx.net.pods().iter().enumerate() {
        if cx
            .net
            .allowed(Endpoint::Pod(i), Endpoint::Ips(atom))
            .contains(Protocol::Tcp, 80)
        {
            by_ns.entry(p.namespace.as_str()).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    for (ns, pods) in by_ns {
        let names: Vec<String> = pods.iter().map(|&i| cx.net.pods()[i].display()).collect();
        let first = pods[0];
        let (resource, location) = cx.namespace_place(ns, first);
        out.push(META.finding(
            format!(
                "namespace {ns}: {} can reach the cloud metadata endpoint 169.254.169.254:80; for {}: {}",
                some(&names),
                names[0],
                cx.why(Endpoint::Pod(first), Endpoint::Ips(atom))
            ),
            resource,
            location,
            ns,
        ));
    }
    out
}
