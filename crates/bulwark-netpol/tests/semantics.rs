//! Kubernetes NetworkPolicy semantics the conformance suite does not pin down, each as a
//! small cluster and the connections it must allow.

use bulwark_k8s::{Limits, Snapshot, load_bytes};
use bulwark_netpol::{Endpoint, Network, render};

fn net(yaml: &str) -> (Snapshot, Network) {
    let snapshot = Snapshot::new(
        load_bytes("t.yaml", yaml.as_bytes(), &Limits::default()).objects,
        "default",
    );
    let net = Network::build(&snapshot);
    (snapshot, net)
}

fn list(net: &Network) -> Vec<String> {
    render::connlist(&render::lines(net, &net.connections()))
        .lines()
        .map(str::to_string)
        .collect()
}

fn pod(ns: &str, name: &str, labels: &str, ports: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}, labels: {labels}}}\nspec:\n  containers: [{{name: c, image: x, ports: {ports}}}]\n---\n"
    )
}

fn find(net: &Network, display: &str) -> Endpoint {
    Endpoint::Pod(
        net.pods()
            .iter()
            .position(|p| p.display() == display)
            .unwrap(),
    )
}

#[test]
fn a_policy_never_covers_pods_in_another_namespace() {
    // The peer bug: a deny-all in `other` must leave `ns1` open, even with equal pod labels.
    let yaml = pod("ns1", "a", "{app: x}", "[]")
        + &pod("ns1", "b", "{app: x}", "[]")
        + &pod("other", "c", "{app: x}", "[]")
        + "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: other}\nspec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n";
    let (_, n) = net(&yaml);
    let (first, second, other) = (
        find(&n, "ns1/a[Pod]"),
        find(&n, "ns1/b[Pod]"),
        find(&n, "other/c[Pod]"),
    );
    assert!(n.allowed(first, second).is_all());
    assert!(n.allowed(other, first).is_empty(), "egress of c is denied");
    assert!(n.allowed(first, other).is_empty(), "ingress of c is denied");
    let ids: Vec<String> = bulwark_netpol::findings(&Snapshot::new(
        load_bytes("t.yaml", yaml.as_bytes(), &Limits::default()).objects,
        "default",
    ))
    .into_iter()
    .filter(|f| f.id.as_ref() == "NET001")
    .map(|f| f.message)
    .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert!(ids[0].starts_with("namespace ns1:"), "{ids:?}");
}

#[test]
fn named_ports_resolve_on_each_destination_pod() {
    let y = pod("s", "client", "{app: client}", "[]")
        + &pod(
            "s",
            "web1",
            "{tier: web}",
            "[{name: http, containerPort: 8080}]",
        )
        + &pod(
            "s",
            "web2",
            "{tier: web}",
            "[{name: http, containerPort: 9090}]",
        )
        + "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: s}\nspec:\n  podSelector: {matchLabels: {tier: web}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: client}}}]\n    ports: [{port: http}]\n";
    let (_, n) = net(&y);
    let client = find(&n, "s/client[Pod]");
    assert_eq!(
        n.allowed(client, find(&n, "s/web1[Pod]")).to_string(),
        "TCP 8080"
    );
    assert_eq!(
        n.allowed(client, find(&n, "s/web2[Pod]")).to_string(),
        "TCP 9090"
    );
    assert!(
        n.allowed(find(&n, "s/web1[Pod]"), find(&n, "s/web2[Pod]"))
            .is_empty()
    );
}

#[test]
fn an_egress_section_isolates_egress_without_policy_types_and_end_port_is_a_range() {
    let y = pod("s", "a", "{app: a}", "[]")
        + &pod("s", "b", "{app: b}", "[]")
        + "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: s}\nspec:\n  podSelector: {matchLabels: {app: a}}\n  ingress: [{}]\n  egress:\n  - ports: [{port: 1000, endPort: 1010, protocol: UDP}]\n";
    let (_, n) = net(&y);
    let (a, b) = (find(&n, "s/a[Pod]"), find(&n, "s/b[Pod]"));
    assert_eq!(n.allowed(a, b).to_string(), "UDP 1000-1010");
    assert!(
        n.allowed(b, a).is_all(),
        "ingress: [{{}}] allows everything"
    );
}

#[test]
fn ip_block_except_and_namespace_name_label() {
    let y = String::from("apiVersion: v1\nkind: Namespace\nmetadata: {name: mon}\n---\n")
        + &pod("mon", "prom", "{app: prom}", "[]")
        + &pod("s", "api", "{app: api}", "[]")
        + "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: api, namespace: s}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: mon}}\n    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}\n";
    let (_, n) = net(&y);
    let l = list(&n);
    assert!(
        l.contains(&"mon/prom[Pod] => s/api[Pod] : All Connections".to_string()),
        "{l:#?}"
    );
    assert!(
        l.contains(&"10.0.0.0-10.0.255.255[External] => s/api[Pod] : All Connections".to_string())
    );
    assert!(l.contains(
        &"10.2.0.0-10.255.255.255[External] => s/api[Pod] : All Connections".to_string()
    ));
    assert!(
        !l.iter()
            .any(|x| x.starts_with("10.1.0.0-10.1.255.255[External] => s/api")),
        "{l:#?}"
    );
    assert!(
        !l.iter()
            .any(|x| x.starts_with("0.0.0.0-9.255.255.255[External] => s/api"))
    );
}

#[test]
fn admin_policies_order_pass_and_baseline() {
    // ANP deny beats a NetworkPolicy allow; Pass hands over to NetworkPolicy; the baseline
    // only applies where no NetworkPolicy selects the pod.
    let y = pod("a", "x", "{app: x}", "[]")
        + &pod("b", "y", "{app: y}", "[]")
        + &pod("c", "z", "{app: z}", "[]")
        + "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: deny-x}\nspec:\n  priority: 10\n  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: b}}}\n  ingress:\n  - {name: pass-c, action: Pass, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: c}}}]}\n  - {name: deny-a, action: Deny, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: a}}}]}\n---\n"
        + "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-all, namespace: b}\nspec: {podSelector: {}, ingress: [{}]}\n---\n"
        + "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\nspec:\n  subject: {namespaces: {}}\n  ingress:\n  - {name: deny-all, action: Deny, from: [{namespaces: {}}]}\n";
    let (_, n) = net(&y);
    let (x, yy, z) = (
        find(&n, "a/x[Pod]"),
        find(&n, "b/y[Pod]"),
        find(&n, "c/z[Pod]"),
    );
    assert!(
        n.allowed(x, yy).is_empty(),
        "ANP Deny overrides the NetworkPolicy allow"
    );
    assert!(
        n.allowed(z, yy).is_all(),
        "Pass goes to the NetworkPolicy, which allows"
    );
    assert!(
        n.allowed(x, z).is_empty(),
        "no NetworkPolicy selects z: the baseline denies"
    );
    let (_, why) = n.explain(x, yy);
    assert!(
        why.iter()
            .any(|w| w.contains("deny-x") && w.contains("denies")),
        "{why:?}"
    );
}

#[test]
fn the_summary_counts_what_the_full_list_lists() {
    for case in [
        "acs-security-demos",
        "ipblockstest_2",
        "anp_banp_blog_demo",
        "minikube_resources",
    ] {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/k8s/netpol-conformance/tests")
            .join(case);
        let mut objects = Vec::new();
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p
                    .extension()
                    .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
                {
                    let bytes = std::fs::read(&p).unwrap();
                    objects.extend(load_bytes("f", &bytes, &Limits::default()).objects);
                }
            }
        }
        let n = Network::build(&Snapshot::new(objects, "default"));
        let conns = n.connections();
        let pairs = conns
            .iter()
            .filter(|c| matches!((c.src, c.dst), (Endpoint::Pod(_), Endpoint::Pod(_))))
            .count();
        let from_outside: std::collections::BTreeSet<_> = conns
            .iter()
            .filter(|c| matches!(c.src, Endpoint::Ips(_)))
            .map(|c| c.dst)
            .collect();
        let s = n.summary();
        assert_eq!(s.pod_pairs, pairs, "{case}");
        assert_eq!(s.ingress_from_outside, from_outside.len(), "{case}");
        assert_eq!(s.workloads, n.pods().len(), "{case}");
        assert!(s.classes <= s.workloads);
    }
}
