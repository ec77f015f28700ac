//! NET002 `reachable-from-outside`: a policy lets every address outside the cluster in.

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::Cx;
use crate::conn::ConnSet;
use crate::network::{Direction, Endpoint};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "NET002",
    name: "reachable-from-outside",
    title: "Policy lets any address outside the cluster reach the workload",
    severity: Severity::High,
    category: Category::Network,
    standards: &["nsa-cisa/network-separation"],
    what: "Reports a workload that policies do isolate for ingress, yet whose policies allow connections from every address outside the cluster (an ingress rule without `from`, or an `ipBlock` of `0.0.0.0/0`). The message names the ports and the rules that allow them. Workloads no policy isolates are NET001's.",
    why: "A rule that admits every address makes the workload as exposed as if it had no policy on those ports: wherever the network routes to pods (a LoadBalancer, a NodePort, a flat VPC), anyone can connect. It is usually a rule written to admit one client that admits the world.",
    example: r"apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - {name: db, image: example.com/db:1.0, ports: [{containerPort: 5432}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - ports: [{port: 5432}]
",
    fix: "Name the clients in the rule's `from`: a `podSelector` for the pods that need the workload, a `namespaceSelector` for their namespaces, or an `ipBlock` for the exact address range outside the cluster.",
    fixed_example: r"apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - {name: db, image: example.com/db:1.0, ports: [{containerPort: 5432}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: 5432}]
",
    references: &[
        "https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource",
    ],
};

pub(crate) fn run(cx: &Cx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, p) in cx.net.pods().iter().enumerate() {
        if !cx.net.isolated(i, Direction::Ingress) {
            continue;
        }
        let mut common: Option<ConnSet> = None;
        for a in cx.net.ingress_atoms() {
            let c = cx.net.allowed(Endpoint::Ips(*a), Endpoint::Pod(i));
            common = Some(match common {
                None => c,
                Some(prev) => prev.intersect(&c),
            });
            if common.as_ref().is_some_and(ConnSet::is_empty) {
                break;
            }
        }
        let Some(conns) = common.filter(|c| !c.is_empty()) else {
            continue;
        };
        let atom = cx.net.ingress_atoms()[0];
        let (resource, location) = cx.pod_place(i);
        out.push(META.finding(
            format!(
                "{} accepts {conns} from any address outside the cluster: {}",
                p.display(),
                cx.why(Endpoint::Ips(atom), Endpoint::Pod(i))
            ),
            resource,
            location,
            &p.display(),
        ));
    }
    out
}
