//! NET005 `policy-selects-nothing`: a policy whose subject matches no workload.

use bulwark_model::{AnalysisCheck, Category, Finding, Severity};

use super::Cx;

pub(crate) static META: AnalysisCheck = AnalysisCheck {
    id: "NET005",
    name: "policy-selects-nothing",
    title: "Network policy selects no workload",
    severity: Severity::Low,
    category: Category::Network,
    standards: &[],
    what: "Reports a NetworkPolicy whose `podSelector` matches no workload of its namespace, when the manifests describe that namespace's pods (they hold workloads there and no custom resource an operator could turn into pods); and an AdminNetworkPolicy or BaselineAdminNetworkPolicy whose subject matches no workload of the manifests.",
    why: "A policy that selects nothing protects nothing, and nothing fails to tell you so: it is usually a label that was renamed on the workload but not in the policy, leaving the workload open while the policy suggests otherwise.",
    example: r"apiVersion: apps/v1
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
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api-server}}
  policyTypes: [Ingress]
",
    fix: "Make the selector match the workload's pod labels (the template's labels, not the Deployment's), or delete the policy.",
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
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress]
",
    references: &["https://kubernetes.io/docs/concepts/services-networking/network-policies/"],
};

pub(crate) fn run(cx: &Cx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let pods = cx.net.pods();
    for (i, np) in cx.net.network_policies().enumerate() {
        let o = cx.object(np.object);
        let ns = o
            .effective_namespace(cx.snapshot.default_namespace())
            .map(|n| n.to_string())
            .unwrap_or_default();
        if !cx.pods_fully_known(&ns) || !cx.net.pods_selected_by(i).is_empty() {
            continue;
        }
        let sel = o.root.path(&["spec", "podSelector"]);
        out.push(META.finding(
            format!(
                "NetworkPolicy {ns}/{}: podSelector {} matches none of the {} workloads in namespace {ns}",
                o.name,
                sel.map_or_else(String::new, |s| bulwark_k8s::LabelSelector::parse(s).map(|s| s.to_string()).unwrap_or_default()),
                pods.iter().filter(|p| p.namespace == ns).count()
            ),
            Some(o.resource_ref(cx.snapshot.default_namespace(), None)),
            Some(o.location(sel.map_or(o.pos(), |s| s.pos), Some("spec.podSelector"))),
            &format!("{ns}/{}", o.name),
        ));
    }
    if pods.is_empty() {
        return out;
    }
    for (i, a) in cx.net.admin_policies().enumerate() {
        if !cx.net.pods_selected_by_admin(i).is_empty() {
            continue;
        }
        let o = cx.object(a.object);
        out.push(META.finding(
            format!(
                "{} {}: its subject matches none of the {} workloads",
                o.kind,
                o.name,
                pods.len()
            ),
            Some(o.resource_ref(cx.snapshot.default_namespace(), None)),
            Some(o.location(
                o.root.path(&["spec", "subject"]).map_or(o.pos(), |s| s.pos),
                Some("spec.subject"),
            )),
            &format!("{}/{}", o.kind, o.name),
        ));
    }
    out
}
