//! NET003 `reachable-from-all-pods`: a policy lets every pod of the cluster in.

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::Cx;
use crate::network::{Direction, Endpoint};

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "NET003",
    name: "reachable-from-all-pods",
    title: "Policy lets every pod in the cluster reach the workload",
    severity: Severity::Medium,
    category: Category::Network,
    standards: &["nsa-cisa/network-separation"],
    what: "Reports a workload that policies do isolate for ingress, yet which every other workload of the manifests, in every namespace, may connect to (on some port). Only reported when the manifests hold workloads in more than one namespace. The message names the rule that admits them, typically `namespaceSelector: {}`.",
    why: "Isolation is there to contain a compromised pod. A rule admitting every namespace means a foothold in any workload, however unimportant, reaches this one: exactly the lateral movement the policy was meant to stop.",
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
apiVersion: apps/v1
kind: Deployment
metadata: {name: blog, namespace: marketing}
spec:
  selector: {matchLabels: {app: blog}}
  template:
    metadata: {labels: {app: blog}}
    spec:
      containers: [{name: blog, image: example.com/blog:1.0}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{namespaceSelector: {}}]
    ports: [{port: 5432}]
",
    fix: "Narrow the `from` to the namespaces (by `kubernetes.io/metadata.name`) and pods that need the workload.",
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
metadata: {name: blog, namespace: marketing}
spec:
  selector: {matchLabels: {app: blog}}
  template:
    metadata: {labels: {app: blog}}
    spec:
      containers: [{name: blog, image: example.com/blog:1.0}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}}]
    ports: [{port: 5432}]
",
    references: &[
        "https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors",
    ],
};

pub(crate) fn run(cx: &Cx<'_>) -> Vec<Finding> {
    let pods = cx.net.pods();
    let namespaces: std::collections::BTreeSet<&str> =
        pods.iter().map(|p| p.namespace.as_str()).collect();
    if namespaces.len() < 2 {
        return Vec::new();
    }
    let mut out = Vec::new();
    // Pods of one class behave alike: evaluate pairs of classes, each once, through a
    // representative pod of each.
    let mut reps: std::collections::BTreeMap<usize, Vec<usize>> = std::collections::BTreeMap::new();
    for i in 0..pods.len() {
        reps.entry(cx.net.class_of(i)).or_default().push(i);
    }
    let mut reached_by_all: std::collections::HashMap<usize, bool> =
        std::collections::HashMap::new();
    for (i, p) in pods.iter().enumerate() {
        if !cx.net.isolated(i, Direction::Ingress) {
            continue;
        }
        let dst_class = cx.net.class_of(i);
        let everyone = *reached_by_all.entry(dst_class).or_insert_with(|| {
            reps.values().all(|members| {
                // A source of the destination's own class: any member other than the
                // destination stands for it; a class of one (the destination itself) has no
                // other member to test.
                let Some(&src) = members.iter().find(|&&m| m != i) else {
                    return true;
                };
                !cx.net
                    .allowed(Endpoint::Pod(src), Endpoint::Pod(i))
                    .is_empty()
            })
        });
        if !everyone {
            continue;
        }
        // Explain with a workload from another namespace.
        let Some(other) = (0..pods.len()).find(|&s| pods[s].namespace != p.namespace) else {
            continue;
        };
        let (resource, location) = cx.pod_place(i);
        out.push(META.finding(
            format!(
                "every other workload of the cluster ({} in {} namespaces) can connect to {}; e.g. from {}: {}",
                pods.len() - 1,
                namespaces.len(),
                p.display(),
                pods[other].display(),
                cx.why(Endpoint::Pod(other), Endpoint::Pod(i))
            ),
            resource,
            location,
            &p.display(),
        ));
    }
    out
}
