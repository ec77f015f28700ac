//! Semantic tests: each pins one rule of Istio's or Linkerd's behaviour, and fails if the rule
//! is implemented the other way.

use bulwark_k8s::{Limits, Snapshot, Workload, load_bytes};

use crate::{AuthzDecision, ConnectionVerdict, Mesh, MeshKind, MtlsLevel, MtlsMode, Transport};

fn snap(y: &str) -> Snapshot {
    let loaded = load_bytes("t.yaml", y.as_bytes(), &Limits::default());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    Snapshot::new(loaded.objects, "default")
}

fn wl<'a>(s: &'a Snapshot, id: &str) -> Workload<'a> {
    Workload::all(s)
        .into_iter()
        .find(|w| w.id() == id)
        .unwrap_or_else(|| panic!("no workload {id}"))
}

/// A Deployment `name` in `ns` with pod labels `app: name` plus `labels`, service account
/// `name`, port 8080, pod annotations `ann` and extra pod spec `spec`.
fn dep(ns: &str, name: &str, labels: &str, ann: &str, spec: &str) -> String {
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  template:\n    metadata:\n      labels: {{app: {name}{labels}}}\n      annotations: {{{ann}}}\n    spec:\n      serviceAccountName: {name}\n      containers: [{{name: main, image: x, ports: [{{name: http, containerPort: 8080}}, {{containerPort: 9090}}]}}]\n{spec}"
    )
}

fn ns(name: &str, labels: &str, ann: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}, labels: {{{labels}}}, annotations: {{{ann}}}}}\n"
    )
}

const SHOP: &str = "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n";

fn istio_app(extra: &str) -> String {
    format!(
        "{SHOP}{}{}{}{extra}",
        dep("shop", "web", "", "", ""),
        dep("shop", "api", "", "", ""),
        dep("plain", "legacy", "", "", "")
    )
}

fn conn(y: &str, src: Option<&str>, dst: &str, port: u16) -> ConnectionVerdict {
    conn_proto(y, src, dst, port, "TCP")
}

fn conn_proto(y: &str, src: Option<&str>, dst: &str, port: u16, proto: &str) -> ConnectionVerdict {
    let s = snap(y);
    let m = Mesh::build(&s);
    let src = src.map(|id| wl(&s, id));
    let dst = wl(&s, dst);
    m.connection(src.as_ref(), &dst, port, proto)
        .expect("destination is meshed")
}

fn mesh_of(y: &str, id: &str) -> Option<MeshKind> {
    let s = snap(y);
    let m = Mesh::build(&s);
    m.membership(&wl(&s, id)).mesh
}

fn ids(y: &str) -> Vec<String> {
    crate::findings(&snap(y))
        .into_iter()
        .map(|f| f.id.to_string())
        .collect()
}

fn has(y: &str, id: &str) -> bool {
    ids(y).iter().any(|i| i == id)
}

// ---- injection ----

#[test]
fn istio_namespace_label_injects_and_pod_label_false_opts_out() {
    let y = format!("{SHOP}{}", dep("shop", "a", "", "", ""));
    assert_eq!(mesh_of(&y, "shop/a"), Some(MeshKind::Istio));
    let y = format!(
        "{SHOP}{}",
        dep("shop", "a", ", sidecar.istio.io/inject: 'false'", "", "")
    );
    assert_eq!(mesh_of(&y, "shop/a"), None);
}

#[test]
fn istio_pod_label_true_injects_without_namespace_label_but_annotation_alone_does_not() {
    let y = dep("x", "a", ", sidecar.istio.io/inject: 'true'", "", "");
    assert_eq!(mesh_of(&y, "x/a"), Some(MeshKind::Istio));
    let y = dep("x", "a", "", "sidecar.istio.io/inject: 'true'", "");
    assert_eq!(
        mesh_of(&y, "x/a"),
        None,
        "the object webhook selects on the label only"
    );
}

#[test]
fn istio_label_wins_over_annotation_and_annotation_false_opts_out() {
    let y = format!(
        "{SHOP}{}",
        dep(
            "shop",
            "a",
            ", sidecar.istio.io/inject: 'true'",
            "sidecar.istio.io/inject: 'false'",
            ""
        )
    );
    assert_eq!(mesh_of(&y, "shop/a"), Some(MeshKind::Istio));
    let y = format!(
        "{SHOP}{}",
        dep("shop", "a", "", "sidecar.istio.io/inject: 'false'", "")
    );
    assert_eq!(mesh_of(&y, "shop/a"), None);
}

#[test]
fn istio_namespace_disabled_beats_pod_label_true_and_rev_label_injects() {
    let y = format!(
        "{}{}",
        ns("x", "istio-injection: disabled", ""),
        dep("x", "a", ", sidecar.istio.io/inject: 'true'", "", "")
    );
    assert_eq!(mesh_of(&y, "x/a"), None);
    let y = format!(
        "{}{}",
        ns("x", "istio.io/rev: canary", ""),
        dep("x", "a", "", "", "")
    );
    assert_eq!(mesh_of(&y, "x/a"), Some(MeshKind::Istio));
}

#[test]
fn host_network_and_kube_system_pods_are_never_injected_but_manual_injection_counts() {
    let y = format!(
        "{SHOP}{}",
        dep("shop", "a", "", "", "      hostNetwork: true\n")
    );
    assert_eq!(mesh_of(&y, "shop/a"), None);
    let y = format!(
        "{}{}",
        ns("kube-system", "istio-injection: enabled", ""),
        dep("kube-system", "a", "", "", "")
    );
    assert_eq!(mesh_of(&y, "kube-system/a"), None);
    let y = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\nspec:\n  containers: [{name: app, image: a}, {name: istio-proxy, image: proxyv2}]\n";
    assert_eq!(mesh_of(y, "x/p"), Some(MeshKind::Istio));
}

#[test]
fn linkerd_annotation_on_namespace_or_pod_and_pod_overrides() {
    let y = format!(
        "{}{}",
        ns("l", "", "linkerd.io/inject: enabled"),
        dep("l", "a", "", "", "")
    );
    assert_eq!(mesh_of(&y, "l/a"), Some(MeshKind::Linkerd));
    let y = format!(
        "{}{}",
        ns("l", "", "linkerd.io/inject: enabled"),
        dep("l", "a", "", "linkerd.io/inject: disabled", "")
    );
    assert_eq!(mesh_of(&y, "l/a"), None);
    let y = dep("x", "a", "", "linkerd.io/inject: ingress", "");
    assert_eq!(mesh_of(&y, "x/a"), Some(MeshKind::Linkerd));
}

#[test]
fn is_empty_only_without_mesh_resources_or_injection() {
    let s = snap(&dep("x", "a", "", "", ""));
    assert!(Mesh::build(&s).is_empty());
    let s = snap(&format!("{SHOP}{}", dep("shop", "a", "", "", "")));
    assert!(!Mesh::build(&s).is_empty());
    let s =
        snap("apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec: {}\n");
    assert!(!Mesh::build(&s).is_empty());
}

#[test]
fn unmeshed_destination_has_no_verdict() {
    let s = snap(&istio_app(""));
    let m = Mesh::build(&s);
    assert!(
        m.connection(None, &wl(&s, "plain/legacy"), 8080, "TCP")
            .is_none()
    );
}

// ---- PeerAuthentication ----

fn pa(ns: &str, name: &str, body: &str) -> String {
    format!(
        "---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n{body}"
    )
}

fn mode(y: &str, id: &str, port: Option<u16>) -> (MtlsMode, MtlsLevel, Option<String>) {
    let s = snap(y);
    let m = Mesh::build(&s);
    let e = m.istio_mtls(&wl(&s, id), port).expect("in istio");
    (e.mode, e.level, e.policy)
}

#[test]
fn mtls_defaults_to_permissive_and_inherits_mesh_namespace_workload() {
    let y = istio_app("");
    assert_eq!(
        mode(&y, "shop/api", None),
        (MtlsMode::Permissive, MtlsLevel::Default, None)
    );
    let y = istio_app(&pa("istio-system", "default", "  mtls: {mode: STRICT}\n"));
    assert_eq!(mode(&y, "shop/api", None).0, MtlsMode::Strict);
    assert_eq!(mode(&y, "shop/api", None).1, MtlsLevel::Mesh);
    let y = istio_app(&format!(
        "{}{}",
        pa("istio-system", "default", "  mtls: {mode: STRICT}\n"),
        pa("shop", "ns", "  mtls: {mode: PERMISSIVE}\n")
    ));
    assert_eq!(
        mode(&y, "shop/api", None).0,
        MtlsMode::Permissive,
        "namespace overrides mesh"
    );
    assert_eq!(mode(&y, "shop/web", None).2.as_deref(), Some("shop/ns"));
    let y = format!(
        "{y}{}",
        pa(
            "shop",
            "api",
            "  selector: {matchLabels: {app: api}}\n  mtls: {mode: DISABLE}\n"
        )
    );
    assert_eq!(
        mode(&y, "shop/api", None).0,
        MtlsMode::Disable,
        "workload overrides namespace"
    );
    assert_eq!(
        mode(&y, "shop/web", None).0,
        MtlsMode::Permissive,
        "selector is exact"
    );
}

#[test]
fn unset_inherits_and_port_level_overrides_only_on_selector_policies() {
    let base = istio_app(&pa("shop", "ns", "  mtls: {mode: STRICT}\n"));
    let y = format!(
        "{base}{}",
        pa(
            "shop",
            "api",
            "  selector: {matchLabels: {app: api}}\n  mtls: {mode: UNSET}\n  portLevelMtls:\n    9090: {mode: DISABLE}\n    8080: {mode: UNSET}\n"
        )
    );
    assert_eq!(
        mode(&y, "shop/api", None).0,
        MtlsMode::Strict,
        "UNSET inherits the namespace"
    );
    assert_eq!(
        mode(&y, "shop/api", Some(9090)),
        (MtlsMode::Disable, MtlsLevel::Port, Some("shop/api".into()))
    );
    assert_eq!(
        mode(&y, "shop/api", Some(8080)).0,
        MtlsMode::Strict,
        "port UNSET inherits"
    );
    // portLevelMtls on a namespace-wide policy is ignored (and reported).
    let y = istio_app(&pa(
        "shop",
        "ns",
        "  mtls: {mode: STRICT}\n  portLevelMtls:\n    9090: {mode: DISABLE}\n",
    ));
    assert_eq!(mode(&y, "shop/api", Some(9090)).0, MtlsMode::Strict);
    assert!(has(&y, "MESH018"));
}

#[test]
fn mesh_wide_policy_with_selector_is_not_mesh_wide() {
    let y = istio_app(&pa(
        "istio-system",
        "sel",
        "  selector: {matchLabels: {app: api}}\n  mtls: {mode: STRICT}\n",
    ));
    assert_eq!(mode(&y, "shop/api", None).1, MtlsLevel::Default);
}

#[test]
fn conflicting_policies_oldest_wins_then_name() {
    let older = "---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: zz, namespace: shop, creationTimestamp: '2024-01-01T00:00:00Z'}\nspec: {mtls: {mode: DISABLE}}\n";
    let newer = "---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: aa, namespace: shop, creationTimestamp: '2025-01-01T00:00:00Z'}\nspec: {mtls: {mode: STRICT}}\n";
    let y = istio_app(&format!("{newer}{older}"));
    assert_eq!(mode(&y, "shop/api", None).2.as_deref(), Some("shop/zz"));
    let y = istio_app(&format!(
        "{}{}",
        pa("shop", "b", "  mtls: {mode: DISABLE}\n"),
        pa("shop", "a", "  mtls: {mode: STRICT}\n")
    ));
    assert_eq!(
        mode(&y, "shop/api", None).0,
        MtlsMode::Strict,
        "same age: by name"
    );
}

// ---- transport ----

#[test]
fn meshed_pair_is_mtls_unmeshed_source_is_plaintext_and_strict_refuses_it() {
    let y = istio_app("");
    let v = conn(&y, Some("shop/web"), "shop/api", 8080);
    assert_eq!(
        (v.transport, v.authz),
        (Transport::Mtls, AuthzDecision::Allow)
    );
    assert!(
        v.explanation.contains("cluster.local/ns/shop/sa/web"),
        "{}",
        v.explanation
    );
    let v = conn(&y, Some("plain/legacy"), "shop/api", 8080);
    assert_eq!(
        (v.transport, v.authz),
        (Transport::Plaintext, AuthzDecision::Allow)
    );
    let y = istio_app(&pa("shop", "strict", "  mtls: {mode: STRICT}\n"));
    let v = conn(&y, Some("plain/legacy"), "shop/api", 8080);
    assert_eq!(
        (v.transport, v.authz),
        (Transport::Plaintext, AuthzDecision::Deny)
    );
    assert_eq!(v.policies, vec!["shop/strict".to_string()]);
    let v = conn(&y, None, "shop/api", 8080);
    assert_eq!(v.authz, AuthzDecision::Deny);
    let v = conn(&y, Some("shop/web"), "shop/api", 8080);
    assert_eq!(
        (v.transport, v.authz),
        (Transport::Mtls, AuthzDecision::Allow)
    );
}

#[test]
fn disabled_peer_authentication_makes_auto_mtls_send_plaintext() {
    let y = istio_app(&pa(
        "shop",
        "off",
        "  selector: {matchLabels: {app: api}}\n  mtls: {mode: DISABLE}\n",
    ));
    let v = conn(&y, Some("shop/web"), "shop/api", 8080);
    assert_eq!(v.transport, Transport::Plaintext);
}

const API_SVC: &str = "---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {app: api}\n  ports: [{port: 80, targetPort: http}, {port: 90, targetPort: 9090}]\n";

fn dr(ns: &str, host: &str, tp: &str) -> String {
    format!(
        "---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: dr-{ns}, namespace: {ns}}}\nspec:\n  host: '{host}'\n  trafficPolicy:\n{tp}"
    )
}

#[test]
fn destination_rule_disable_forces_plaintext_which_strict_refuses() {
    let y = istio_app(&format!(
        "{API_SVC}{}",
        dr("shop", "api", "    tls: {mode: DISABLE}\n")
    ));
    let v = conn(&y, Some("shop/web"), "shop/api", 8080);
    assert_eq!(
        (v.transport, v.authz),
        (Transport::Plaintext, AuthzDecision::Allow)
    );
    assert!(v.explanation.contains("shop/dr-shop"), "{}", v.explanation);
    let y = format!("{y}{}", pa("shop", "s", "  mtls: {mode: STRICT}\n"));
    let v = conn(&y, Some("shop/web"), "shop/api", 8080);
    assert_eq!(v.authz, AuthzDecision::Deny);
    assert!(has(&y, "MESH014"));
}

#[test]
fn destination_rule_port_level_settings_use_the_service_port() {
    let tp = "    portLevelSettings:\n    - port: {number: 90}\n      tls: {mode: SIMPLE}\n";
    let y = istio_app(&format!(
        "{API_SVC}{}",
        dr("shop", "api.shop.svc.cluster.local", tp)
    ));
    assert_eq!(
        conn(&y, Some("shop/web"), "shop/api", 9090).transport,
        Transport::Plaintext
    );
    assert_eq!(
        conn(&y, Some("shop/web"), "shop/api", 8080).transport,
        Transport::Mtls
    );
}

#[test]
fn client_namespace_destination_rule_wins_over_the_service_namespace() {
    let y = istio_app(&format!(
        "{API_SVC}{}{}",
        dr("shop", "api", "    tls: {mode: ISTIO_MUTUAL}\n"),
        dr(
            "istio-system",
            "*.shop.svc.cluster.local",
            "    tls: {mode: DISABLE}\n"
        )
    ));
    assert_eq!(
        conn(&y, Some("shop/web"), "shop/api", 8080).transport,
        Transport::Mtls
    );
}

#[test]
fn bypasses_make_plaintext_and_skip_authorization() {
    let deny_all = "---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: none, namespace: shop}\nspec: {}\n";
    let y = format!(
        "{SHOP}{}{}{deny_all}{}",
        dep("shop", "web", "", "", ""),
        dep(
            "shop",
            "api",
            "",
            "traffic.sidecar.istio.io/excludeInboundPorts: '9090'",
            ""
        ),
        pa("shop", "s", "  mtls: {mode: STRICT}\n")
    );
    let v = conn(&y, None, "shop/api", 9090);
    assert_eq!(
        (v.transport, v.authz),
        (Transport::Plaintext, AuthzDecision::Allow)
    );
    assert_eq!(conn(&y, None, "shop/api", 8080).authz, AuthzDecision::Deny);
    let v = conn_proto(&y, Some("shop/web"), "shop/api", 8080, "UDP");
    assert_eq!(
        (v.transport, v.authz),
        (Transport::Plaintext, AuthzDecision::Allow)
    );
    assert!(has(&y, "MESH009"));
}

#[test]
fn source_running_as_1337_or_excluding_ranges_bypasses_its_sidecar() {
    let y = format!(
        "{SHOP}{}{}{}",
        dep(
            "shop",
            "uid",
            "",
            "",
            "      securityContext: {runAsUser: 1337}\n"
        ),
        dep(
            "shop",
            "ranges",
            "",
            "traffic.sidecar.istio.io/excludeOutboundIPRanges: 10.0.0.0/8",
            ""
        ),
        dep("shop", "api", "", "", "")
    );
    assert_eq!(
        conn(&y, Some("shop/uid"), "shop/api", 8080).transport,
        Transport::Plaintext
    );
    assert_eq!(
        conn(&y, Some("shop/ranges"), "shop/api", 8080).transport,
        Transport::Unknown
    );
    assert!(has(&y, "MESH013"));
}

#[test]
fn linkerd_client_to_istio_server_is_plaintext() {
    let y = format!(
        "{SHOP}{}{}",
        dep("shop", "api", "", "", ""),
        dep("l", "c", "", "linkerd.io/inject: enabled", "")
    );
    assert_eq!(
        conn(&y, Some("l/c"), "shop/api", 8080).transport,
        Transport::Plaintext
    );
}

// ---- AuthorizationPolicy ----

fn ap(ns: &str, name: &str, spec: &str) -> String {
    format!(
        "---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n{spec}"
    )
}

fn authz(policies: &str, src: Option<&str>, port: u16) -> AuthzDecision {
    conn(&istio_app(policies), src, "shop/api", port).authz
}

#[test]
fn no_policy_allows_empty_allow_denies_and_empty_rule_allows() {
    assert_eq!(authz("", Some("shop/web"), 8080), AuthzDecision::Allow);
    assert_eq!(
        authz(&ap("shop", "p", "  {}\n"), Some("shop/web"), 8080),
        AuthzDecision::Deny
    );
    assert_eq!(
        authz(
            &ap("shop", "p", "  action: ALLOW\n  rules: [{}]\n"),
            Some("shop/web"),
            8080
        ),
        AuthzDecision::Allow
    );
}

#[test]
fn deny_is_evaluated_before_allow() {
    let p = format!(
        "{}{}",
        ap("shop", "all", "  rules: [{}]\n"),
        ap(
            "shop",
            "no-web",
            "  action: DENY\n  rules: [{from: [{source: {principals: [cluster.local/ns/shop/sa/web]}}]}]\n"
        )
    );
    let v = conn(&istio_app(&p), Some("shop/web"), "shop/api", 8080);
    assert_eq!(v.authz, AuthzDecision::Deny);
    assert_eq!(v.policies, vec!["shop/no-web".to_string()]);
    assert_eq!(authz(&p, Some("shop/api"), 8080), AuthzDecision::Allow);
}

#[test]
fn principals_match_exactly_or_by_wildcard_and_need_mtls() {
    let only = |p: &str| {
        ap(
            "shop",
            "p",
            &format!("  rules: [{{from: [{{source: {{principals: ['{p}']}}}}]}}]\n"),
        )
    };
    assert_eq!(
        authz(
            &only("cluster.local/ns/shop/sa/web"),
            Some("shop/web"),
            8080
        ),
        AuthzDecision::Allow
    );
    assert_eq!(
        authz(
            &only("cluster.local/ns/shop/sa/api"),
            Some("shop/web"),
            8080
        ),
        AuthzDecision::Deny
    );
    assert_eq!(
        authz(&only("cluster.local/ns/shop/*"), Some("shop/web"), 8080),
        AuthzDecision::Allow
    );
    assert_eq!(
        authz(&only("*/sa/web"), Some("shop/web"), 8080),
        AuthzDecision::Allow
    );
    assert_eq!(
        authz(&only("*"), Some("shop/web"), 8080),
        AuthzDecision::Allow
    );
    // A plaintext client has no principal: even `*` does not match it.
    assert_eq!(
        authz(&only("*"), Some("plain/legacy"), 8080),
        AuthzDecision::Deny
    );
    assert_eq!(authz(&only("*"), None, 8080), AuthzDecision::Deny);
}

#[test]
fn not_principals_and_not_namespaces_match_plaintext_clients() {
    let p = ap(
        "shop",
        "p",
        "  action: DENY\n  rules: [{from: [{source: {notPrincipals: ['*']}}]}]\n",
    );
    assert_eq!(authz(&p, Some("plain/legacy"), 8080), AuthzDecision::Deny);
    assert_eq!(authz(&p, Some("shop/web"), 8080), AuthzDecision::Allow);
    let p = ap(
        "shop",
        "p",
        "  rules: [{from: [{source: {notNamespaces: [shop]}}]}]\n",
    );
    assert_eq!(authz(&p, Some("shop/web"), 8080), AuthzDecision::Deny);
    assert_eq!(authz(&p, Some("plain/legacy"), 8080), AuthzDecision::Allow);
}

#[test]
fn namespaces_come_from_the_mtls_identity() {
    let p = ap(
        "shop",
        "p",
        "  rules: [{from: [{source: {namespaces: [shop]}}]}]\n",
    );
    assert_eq!(authz(&p, Some("shop/web"), 8080), AuthzDecision::Allow);
    let y = format!(
        "{}{}{}",
        istio_app(&p),
        ns("other", "istio-injection: enabled", ""),
        dep("other", "o", "", "", "")
    );
    assert_eq!(
        conn(&y, Some("other/o"), "shop/api", 8080).authz,
        AuthzDecision::Deny
    );
}

#[test]
fn ports_are_evaluated_and_http_attributes_are_conditional() {
    let p = ap(
        "shop",
        "p",
        "  rules: [{to: [{operation: {ports: ['8080']}}]}]\n",
    );
    assert_eq!(authz(&p, Some("shop/web"), 8080), AuthzDecision::Allow);
    assert_eq!(authz(&p, Some("shop/web"), 9090), AuthzDecision::Deny);
    let p = ap(
        "shop",
        "p",
        "  rules: [{to: [{operation: {notPorts: ['8080']}}]}]\n",
    );
    assert_eq!(authz(&p, Some("shop/web"), 8080), AuthzDecision::Deny);
    let p = ap(
        "shop",
        "p",
        "  rules: [{to: [{operation: {methods: [GET], ports: ['8080']}}]}]\n",
    );
    assert_eq!(
        authz(&p, Some("shop/web"), 8080),
        AuthzDecision::Conditional
    );
    assert_eq!(
        authz(&p, Some("shop/web"), 9090),
        AuthzDecision::Deny,
        "port decides first"
    );
    let d = ap(
        "shop",
        "d",
        "  action: DENY\n  rules: [{to: [{operation: {paths: [/admin]}}]}]\n",
    );
    assert_eq!(
        authz(&d, Some("shop/web"), 8080),
        AuthzDecision::Conditional
    );
}

#[test]
fn when_conditions_on_known_attributes_are_evaluated_others_conditional() {
    let p = ap(
        "shop",
        "p",
        "  rules: [{when: [{key: source.namespace, values: [shop]}, {key: destination.port, values: ['8080']}]}]\n",
    );
    assert_eq!(authz(&p, Some("shop/web"), 8080), AuthzDecision::Allow);
    assert_eq!(authz(&p, Some("shop/web"), 9090), AuthzDecision::Deny);
    assert_eq!(authz(&p, Some("plain/legacy"), 8080), AuthzDecision::Deny);
    let p = ap(
        "shop",
        "p",
        "  rules: [{when: [{key: source.principal, notValues: [cluster.local/ns/shop/sa/web]}]}]\n",
    );
    assert_eq!(authz(&p, Some("shop/web"), 8080), AuthzDecision::Deny);
    let p = ap(
        "shop",
        "p",
        "  rules: [{when: [{key: 'request.headers[x-user]', values: [a]}]}]\n",
    );
    assert_eq!(
        authz(&p, Some("shop/web"), 8080),
        AuthzDecision::Conditional
    );
}

#[test]
fn ip_blocks_decide_only_when_they_cover_everything_and_jwt_is_conditional() {
    let p = ap(
        "shop",
        "p",
        "  rules: [{from: [{source: {ipBlocks: [0.0.0.0/0]}}]}]\n",
    );
    assert_eq!(authz(&p, None, 8080), AuthzDecision::Allow);
    let p = ap(
        "shop",
        "p",
        "  rules: [{from: [{source: {ipBlocks: [10.0.0.0/8]}}]}]\n",
    );
    assert_eq!(authz(&p, None, 8080), AuthzDecision::Conditional);
    let p = ap(
        "shop",
        "p",
        "  rules: [{from: [{source: {requestPrincipals: ['*']}}]}]\n",
    );
    assert_eq!(
        authz(&p, Some("shop/web"), 8080),
        AuthzDecision::Conditional
    );
}

#[test]
fn custom_policies_are_conditional_and_audit_is_ignored() {
    let p = ap(
        "shop",
        "ext",
        "  action: CUSTOM\n  provider: {name: opa}\n  rules: [{}]\n",
    );
    assert_eq!(
        authz(&p, Some("shop/web"), 8080),
        AuthzDecision::Conditional
    );
    let p = ap("shop", "a", "  action: AUDIT\n  rules: [{}]\n");
    assert_eq!(authz(&p, Some("shop/web"), 8080), AuthzDecision::Allow);
}

#[test]
fn root_namespace_policies_apply_everywhere_other_namespaces_never() {
    assert_eq!(
        authz(
            &ap("istio-system", "deny-all", "  {}\n"),
            Some("shop/web"),
            8080
        ),
        AuthzDecision::Deny
    );
    assert_eq!(
        authz(
            &ap(
                "istio-system",
                "sel",
                "  selector: {matchLabels: {app: api}}\n  action: DENY\n  rules: [{}]\n"
            ),
            Some("shop/web"),
            8080
        ),
        AuthzDecision::Deny
    );
    // Regression: a policy in one namespace never covers pods of another.
    assert_eq!(
        authz(&ap("other", "deny-all", "  {}\n"), Some("shop/web"), 8080),
        AuthzDecision::Allow
    );
    assert_eq!(
        authz(
            &ap(
                "shop",
                "gw",
                "  targetRefs: [{kind: Gateway, name: g}]\n  action: DENY\n  rules: [{}]\n"
            ),
            Some("shop/web"),
            8080
        ),
        AuthzDecision::Allow,
        "targetRefs policies bind gateways and waypoints, not sidecars"
    );
}

// ---- Linkerd ----

const LNS: &str = "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: l, annotations: {linkerd.io/inject: enabled}}\n";

fn linkerd_app(ns_ann: &str, extra: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: l, annotations: {{linkerd.io/inject: enabled{ns_ann}}}}}\n{}{}{}{extra}",
        dep("l", "web", "", "", ""),
        dep("l", "api", "", "", ""),
        dep("plain", "legacy", "", "", "")
    )
}

#[test]
fn linkerd_default_is_all_unauthenticated_and_annotations_override() {
    let y = linkerd_app("", "");
    let v = conn(&y, Some("plain/legacy"), "l/api", 8080);
    assert_eq!(
        (v.transport, v.authz),
        (Transport::Plaintext, AuthzDecision::Allow)
    );
    let v = conn(&y, Some("l/web"), "l/api", 8080);
    assert_eq!(
        (v.transport, v.authz),
        (Transport::Mtls, AuthzDecision::Allow)
    );
    assert!(has(&y, "MESH015"));
    let y = linkerd_app(
        ", config.linkerd.io/default-inbound-policy: all-authenticated",
        "",
    );
    assert_eq!(
        conn(&y, Some("plain/legacy"), "l/api", 8080).authz,
        AuthzDecision::Deny
    );
    assert_eq!(
        conn(&y, Some("l/web"), "l/api", 8080).authz,
        AuthzDecision::Allow
    );
    assert!(!has(&y, "MESH015"));
    let y = linkerd_app(
        ", config.linkerd.io/default-inbound-policy: cluster-unauthenticated",
        "",
    );
    assert_eq!(
        conn(&y, None, "l/api", 8080).authz,
        AuthzDecision::Conditional
    );
    assert_eq!(
        conn(&y, Some("plain/legacy"), "l/api", 8080).authz,
        AuthzDecision::Allow
    );
    let y = format!(
        "{LNS}{}",
        dep(
            "l",
            "api",
            "",
            "config.linkerd.io/default-inbound-policy: deny",
            ""
        )
    );
    assert_eq!(conn(&y, None, "l/api", 8080).authz, AuthzDecision::Deny);
}

#[test]
fn linkerd_cluster_default_is_read_from_linkerd_config() {
    let cm = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: linkerd-config, namespace: linkerd}\ndata:\n  values: |\n    proxy:\n      defaultInboundPolicy: cluster-authenticated\n";
    let y = linkerd_app("", cm);
    assert_eq!(
        conn(&y, Some("plain/legacy"), "l/api", 8080).authz,
        AuthzDecision::Deny
    );
    let s = snap(&y);
    let m = Mesh::build(&s);
    assert_eq!(
        m.linkerd_default_policy(&wl(&s, "l/api")),
        Some((
            "cluster-authenticated".to_string(),
            "cluster (linkerd-config)"
        ))
    );
}

const SERVER: &str = "---\napiVersion: policy.linkerd.io/v1beta3\nkind: Server\nmetadata: {name: api-http, namespace: l}\nspec:\n  podSelector: {matchLabels: {app: api}}\n  port: http\n";

fn mtls_auth(spec: &str) -> String {
    format!(
        "---\napiVersion: policy.linkerd.io/v1alpha1\nkind: MeshTLSAuthentication\nmetadata: {{name: who, namespace: l}}\nspec:\n{spec}"
    )
}

fn lpolicy(target_kind: &str, target: &str, refs: &str) -> String {
    format!(
        "---\napiVersion: policy.linkerd.io/v1alpha1\nkind: AuthorizationPolicy\nmetadata: {{name: pol, namespace: l}}\nspec:\n  targetRef: {{group: policy.linkerd.io, kind: {target_kind}, name: {target}}}\n  requiredAuthenticationRefs: [{refs}]\n"
    )
}

#[test]
fn linkerd_server_without_authorization_denies_and_named_port_resolves() {
    let y = linkerd_app("", SERVER);
    let v = conn(&y, Some("l/web"), "l/api", 8080);
    assert_eq!(v.authz, AuthzDecision::Deny);
    assert_eq!(v.policies, vec!["l/api-http".to_string()]);
    // Port 9090 is not the Server's: the default policy decides.
    assert_eq!(
        conn(&y, Some("l/web"), "l/api", 9090).authz,
        AuthzDecision::Allow
    );
    assert!(has(&y, "MESH016"));
}

#[test]
fn linkerd_mesh_tls_authentication_admits_listed_identities_only() {
    let ok = |auth: &str, target_kind: &str, target: &str| {
        let y = linkerd_app(
            "",
            &format!(
                "{SERVER}{}{}",
                mtls_auth(auth),
                lpolicy(
                    target_kind,
                    target,
                    "{kind: MeshTLSAuthentication, name: who}"
                )
            ),
        );
        (
            conn(&y, Some("l/web"), "l/api", 8080).authz,
            conn(&y, Some("l/api"), "l/api", 8080).authz,
            conn(&y, Some("plain/legacy"), "l/api", 8080).authz,
        )
    };
    let web_only = (
        AuthzDecision::Allow,
        AuthzDecision::Deny,
        AuthzDecision::Deny,
    );
    assert_eq!(
        ok(
            "  identities: [web.l.serviceaccount.identity.linkerd.cluster.local]\n",
            "Server",
            "api-http"
        ),
        web_only
    );
    assert_eq!(
        ok(
            "  identityRefs: [{kind: ServiceAccount, name: web}]\n",
            "Server",
            "api-http"
        ),
        web_only
    );
    assert_eq!(
        ok(
            "  identityRefs: [{kind: ServiceAccount, name: web}]\n",
            "Namespace",
            "l"
        ),
        web_only
    );
    assert_eq!(
        ok("  identities: ['*']\n", "Server", "api-http"),
        (
            AuthzDecision::Allow,
            AuthzDecision::Allow,
            AuthzDecision::Deny
        ),
        "* is every meshed identity, never a plaintext client"
    );
    assert_eq!(
        ok(
            "  identityRefs: [{kind: ServiceAccount, name: web}]\n",
            "Server",
            "other"
        )
        .0,
        AuthzDecision::Deny
    );
}

#[test]
fn linkerd_refs_are_anded_and_a_missing_ref_voids_the_policy() {
    let net = |cidr: &str| {
        format!(
            "---\napiVersion: policy.linkerd.io/v1alpha1\nkind: NetworkAuthentication\nmetadata: {{name: net, namespace: l}}\nspec:\n  networks: [{{cidr: {cidr}}}]\n"
        )
    };
    let y = linkerd_app(
        "",
        &format!(
            "{SERVER}{}{}",
            net("0.0.0.0/0"),
            lpolicy(
                "Server",
                "api-http",
                "{kind: NetworkAuthentication, name: net}"
            )
        ),
    );
    assert_eq!(conn(&y, None, "l/api", 8080).authz, AuthzDecision::Allow);
    assert!(has(&y, "MESH017"));
    let y = linkerd_app(
        "",
        &format!(
            "{SERVER}{}{}",
            net("10.0.0.0/8"),
            lpolicy(
                "Server",
                "api-http",
                "{kind: NetworkAuthentication, name: net}"
            )
        ),
    );
    assert_eq!(
        conn(&y, None, "l/api", 8080).authz,
        AuthzDecision::Conditional
    );
    let both = "{kind: NetworkAuthentication, name: net}, {kind: MeshTLSAuthentication, name: who}";
    let y = linkerd_app(
        "",
        &format!(
            "{SERVER}{}{}{}",
            net("0.0.0.0/0"),
            mtls_auth("  identities: ['*']\n"),
            lpolicy("Server", "api-http", both)
        ),
    );
    assert_eq!(
        conn(&y, Some("plain/legacy"), "l/api", 8080).authz,
        AuthzDecision::Deny
    );
    assert_eq!(
        conn(&y, Some("l/web"), "l/api", 8080).authz,
        AuthzDecision::Allow
    );
    let y = linkerd_app(
        "",
        &format!(
            "{SERVER}{}",
            lpolicy(
                "Server",
                "api-http",
                "{kind: MeshTLSAuthentication, name: missing}"
            )
        ),
    );
    assert_eq!(
        conn(&y, Some("l/web"), "l/api", 8080).authz,
        AuthzDecision::Deny
    );
}

#[test]
fn linkerd_route_policies_are_conditional_and_legacy_server_authorizations_work() {
    let route = "---\napiVersion: policy.linkerd.io/v1beta3\nkind: HTTPRoute\nmetadata: {name: r, namespace: l}\nspec:\n  parentRefs: [{group: policy.linkerd.io, kind: Server, name: api-http}]\n";
    let y = linkerd_app(
        "",
        &format!(
            "{SERVER}{route}{}{}",
            mtls_auth("  identities: ['*']\n"),
            lpolicy("HTTPRoute", "r", "{kind: MeshTLSAuthentication, name: who}")
        ),
    );
    assert_eq!(
        conn(&y, Some("l/web"), "l/api", 8080).authz,
        AuthzDecision::Conditional
    );
    let sa = "---\napiVersion: policy.linkerd.io/v1beta1\nkind: ServerAuthorization\nmetadata: {name: sa, namespace: l}\nspec:\n  server: {name: api-http}\n  client:\n    meshTLS:\n      serviceAccounts: [{name: web}]\n";
    let y = linkerd_app("", &format!("{SERVER}{sa}"));
    assert_eq!(
        conn(&y, Some("l/web"), "l/api", 8080).authz,
        AuthzDecision::Allow
    );
    assert_eq!(
        conn(&y, Some("plain/legacy"), "l/api", 8080).authz,
        AuthzDecision::Deny
    );
}

#[test]
fn linkerd_skip_ports_bypass_the_proxy() {
    let y = format!(
        "{LNS}{}{}",
        dep(
            "l",
            "api",
            "",
            "config.linkerd.io/skip-inbound-ports: '9090', config.linkerd.io/default-inbound-policy: deny",
            ""
        ),
        dep(
            "l",
            "web",
            "",
            "config.linkerd.io/skip-outbound-ports: '8080'",
            ""
        )
    );
    let v = conn(&y, None, "l/api", 9090);
    assert_eq!(
        (v.transport, v.authz),
        (Transport::Plaintext, AuthzDecision::Allow)
    );
    assert_eq!(
        conn(&y, Some("l/web"), "l/api", 8080).transport,
        Transport::Plaintext
    );
    assert!(has(&y, "MESH009"));
}

// ---- findings ----

#[test]
fn authorization_coverage_is_reported_per_namespace_or_per_uncovered_workload() {
    let y = istio_app("");
    let f = crate::findings(&snap(&y));
    let m4: Vec<_> = f.iter().filter(|f| f.id == "MESH004").collect();
    assert_eq!(m4.len(), 1);
    assert_eq!(m4[0].resource.as_ref().map(|r| &*r.kind), Some("Namespace"));
    let y = istio_app(&ap(
        "shop",
        "p",
        "  selector: {matchLabels: {app: api}}\n  rules: [{}]\n",
    ));
    let f = crate::findings(&snap(&y));
    let m4: Vec<_> = f.iter().filter(|f| f.id == "MESH004").collect();
    assert_eq!(m4.len(), 1);
    assert_eq!(m4[0].resource.as_ref().map(|r| &*r.name), Some("web"));
}

#[test]
fn wildcard_principal_allow_is_reported_at_medium() {
    let y = ap(
        "shop",
        "p",
        "  rules: [{from: [{source: {principals: ['*']}}]}]\n",
    );
    let f = crate::findings(&snap(&y));
    let m5: Vec<_> = f.iter().filter(|f| f.id == "MESH005").collect();
    assert_eq!(m5.len(), 1);
    assert_eq!(m5[0].severity, bulwark_model::Severity::Medium);
    let y = ap(
        "shop",
        "p",
        "  rules: [{from: [{source: {principals: ['*']}}], to: [{operation: {ports: ['80']}}]}]\n",
    );
    assert!(!has(&y, "MESH005"));
}

#[test]
fn jwt_is_required_only_when_every_allow_rule_demands_it() {
    let ra = "---\napiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: shop}\nspec:\n  jwtRules: [{issuer: a, jwksUri: 'https://a/k'}]\n";
    assert!(has(&istio_app(ra), "MESH011"));
    let req = ap(
        "shop",
        "req",
        "  rules: [{from: [{source: {requestPrincipals: ['*']}}]}]\n",
    );
    assert!(!has(&istio_app(&format!("{ra}{req}")), "MESH011"));
    let open = ap(
        "shop",
        "open",
        "  rules: [{to: [{operation: {ports: ['9090']}}]}]\n",
    );
    assert!(has(&istio_app(&format!("{ra}{req}{open}")), "MESH011"));
}

#[test]
fn missing_namespaces_are_reported_but_system_namespaces_are_not() {
    let p = ap(
        "shop",
        "p",
        "  rules: [{from: [{source: {principals: [cluster.local/ns/istio-system/sa/ingress, cluster.local/ns/ghost/sa/x]}}]}]\n",
    );
    let f = crate::findings(&snap(&istio_app(&p)));
    let m7: Vec<_> = f
        .iter()
        .filter(|f| f.id == "MESH007")
        .map(|f| f.message.clone())
        .collect();
    assert_eq!(m7.len(), 1, "{m7:?}");
    assert!(m7[0].contains("ghost"));
}

#[test]
fn destination_rule_to_an_unmeshed_service_is_not_reported() {
    let svc = "---\napiVersion: v1\nkind: Service\nmetadata: {name: legacy, namespace: plain}\nspec:\n  selector: {app: legacy}\n  ports: [{port: 80}]\n";
    let y = istio_app(&format!(
        "{svc}{}",
        dr("plain", "legacy", "    tls: {mode: DISABLE}\n")
    ));
    assert!(!has(&y, "MESH014"));
}

#[test]
fn linkerd_install_default_is_not_reported_when_servers_cover_every_port() {
    let s2 = SERVER
        .replace("api-http", "api-9090")
        .replace("port: http", "port: 9090");
    let web_srv = SERVER
        .replace("app: api", "app: web")
        .replace("api-http", "web-http");
    let web_srv2 = s2
        .replace("app: api", "app: web")
        .replace("api-9090", "web-9090");
    let y = format!(
        "{LNS}{}{}{SERVER}{s2}{web_srv}{web_srv2}",
        dep("l", "web", "", "", ""),
        dep("l", "api", "", "", "")
    );
    assert!(!has(&y, "MESH015"), "{:?}", ids(&y));
    let y = format!("{LNS}{}{SERVER}", dep("l", "api", "", "", ""));
    assert!(has(&y, "MESH015"));
}

#[test]
fn malformed_mesh_resources_never_panic() {
    let docs = [
        "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: a, namespace: shop}\nspec: [1, 2]\n",
        "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: a, namespace: shop}\nspec: {mtls: 7, portLevelMtls: {x: 1, '99999': {mode: STRICT}}, selector: {matchLabels: 3}}\n",
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a, namespace: shop}\nspec: {rules: 'x', action: NOPE}\n",
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a, namespace: shop}\nspec: {rules: [1, {from: 2}, {from: [{source: 3}], to: [null], when: [{key: 5}]}]}\n",
        "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: a, namespace: shop}\nspec: {jwtRules: [{jwksUri: 'h'}, 3]}\n",
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a, namespace: shop}\nspec: {host: 3, trafficPolicy: {tls: {mode: WAT}, portLevelSettings: [{port: {number: -1}}, 2]}}\n",
        "apiVersion: policy.linkerd.io/v1beta3\nkind: Server\nmetadata: {name: a, namespace: l}\nspec: {podSelector: {matchExpressions: [{key: a, operator: Bad}]}, port: {x: 1}}\n",
        "apiVersion: policy.linkerd.io/v1alpha1\nkind: AuthorizationPolicy\nmetadata: {name: a, namespace: l}\nspec: {targetRef: 3, requiredAuthenticationRefs: [3, {kind: 4}]}\n",
        "apiVersion: policy.linkerd.io/v1alpha1\nkind: MeshTLSAuthentication\nmetadata: {name: a, namespace: l}\nspec: {identities: '*', identityRefs: [{}]}\n",
        "apiVersion: policy.linkerd.io/v1beta1\nkind: ServerAuthorization\nmetadata: {name: a, namespace: l}\nspec: {server: 1, client: {meshTLS: 2, networks: [{cidr: 1}, 3]}}\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: linkerd-config, namespace: linkerd}\ndata: {values: '{{{: ['}\n",
    ];
    for d in docs {
        let y = format!("{}{}---\n{d}", istio_app(""), linkerd_app("", ""));
        let s = snap(&y);
        let m = Mesh::build(&s);
        let _ = m.findings();
        let all = Workload::all(&s);
        for a in &all {
            for b in &all {
                let _ = m.connection(Some(a), b, 8080, "TCP");
                let _ = m.connection(None, b, 9090, "TCP");
            }
        }
    }
    let y = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: a, namespace: shop}\nspec: {mtls: {mode: STRICTT}}\n";
    assert!(has(y, "MESH018"));
}

// ---- real manifests ----

const DEMO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/k8s/real-world/microservices-demo"
);

fn demo(extra: &str) -> Snapshot {
    let mut objects = Vec::new();
    for f in ["kubernetes-manifests.yaml", "istio-manifests.yaml"] {
        let path = format!("{DEMO}/{f}");
        let bytes = std::fs::read(&path).expect("the shared microservices-demo manifests");
        let loaded = load_bytes(f, &bytes, &Limits::default());
        assert!(loaded.errors.is_empty(), "{f}: {:?}", loaded.errors);
        objects.extend(loaded.objects);
    }
    objects.extend(load_bytes("extra.yaml", extra.as_bytes(), &Limits::default()).objects);
    Snapshot::new(objects, "default")
}

#[test]
fn microservices_demo_as_shipped_has_istio_resources_but_no_injected_workload() {
    let s = demo("");
    let m = Mesh::build(&s);
    assert!(
        !m.is_empty(),
        "Gateway, VirtualService and ServiceEntry are Istio resources"
    );
    assert_eq!(m.workloads().count(), 12);
    assert!(
        m.workloads().all(|(_, mem)| mem.mesh.is_none()),
        "namespace default carries no injection label in these files"
    );
    assert!(
        m.connection(None, &wl(&s, "default/frontend"), 8080, "TCP")
            .is_none()
    );
    assert!(m.findings().is_empty(), "{:?}", m.findings());
}

#[test]
fn microservices_demo_in_an_injected_namespace() {
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata: {name: default, labels: {istio-injection: enabled}}\n";
    let snapshot = demo(ns);
    let mesh = Mesh::build(&snapshot);
    assert!(
        mesh.workloads()
            .all(|(_, mem)| mem.mesh == Some(MeshKind::Istio))
    );
    let found = mesh.findings();
    let got: Vec<(&str, &str)> = found
        .iter()
        .map(|f| (&*f.id, f.resource.as_ref().map_or("", |r| &*r.name)))
        .collect();
    assert_eq!(
        got,
        vec![("MESH003", "default"), ("MESH004", "default")],
        "{found:#?}"
    );
    assert!(found[0].message.contains("default/frontend[Deployment]"));
    // frontend -> cartservice (gRPC 7070): mTLS as the frontend service account, allowed.
    let verdict = mesh
        .connection(
            Some(&wl(&snapshot, "default/frontend")),
            &wl(&snapshot, "default/cartservice"),
            7070,
            "TCP",
        )
        .expect("meshed");
    assert_eq!(
        (verdict.transport, verdict.authz),
        (Transport::Mtls, AuthzDecision::Allow)
    );
    assert!(
        verdict
            .explanation
            .contains("cluster.local/ns/default/sa/frontend"),
        "{}",
        verdict.explanation
    );
    // From outside (the LoadBalancer frontend-external): plaintext, accepted under PERMISSIVE.
    let verdict = mesh
        .connection(None, &wl(&snapshot, "default/frontend"), 8080, "TCP")
        .expect("meshed");
    assert_eq!(
        (verdict.transport, verdict.authz),
        (Transport::Plaintext, AuthzDecision::Allow)
    );
    // redis-cart serves cartservice only once a policy says so.
    let policies = "---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: istio-system}\nspec: {mtls: {mode: STRICT}}\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: redis, namespace: default}\nspec:\n  selector: {matchLabels: {app: redis-cart}}\n  rules: [{from: [{source: {principals: [cluster.local/ns/default/sa/cartservice]}}], to: [{operation: {ports: ['6379']}}]}]\n";
    let snapshot = demo(&format!("{ns}{policies}"));
    let mesh = Mesh::build(&snapshot);
    let redis = wl(&snapshot, "default/redis-cart");
    let from = |id: &str| {
        mesh.connection(Some(&wl(&snapshot, id)), &redis, 6379, "TCP")
            .expect("meshed")
            .authz
    };
    assert_eq!(from("default/cartservice"), AuthzDecision::Allow);
    assert_eq!(from("default/frontend"), AuthzDecision::Deny);
    assert_eq!(
        mesh.connection(None, &redis, 6379, "TCP")
            .expect("meshed")
            .authz,
        AuthzDecision::Deny
    );
    let found = mesh.findings();
    assert!(found.iter().all(|f| f.id != "MESH003"), "STRICT mesh-wide");
    let m4: Vec<_> = found.iter().filter(|f| f.id == "MESH004").collect();
    assert_eq!(m4.len(), 11, "every workload but redis-cart lacks a policy");
}

#[test]
fn other_real_world_manifests_yield_no_mesh_findings() {
    let root = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/k8s/real-world"
    );
    for dir in ["argo-cd", "kube-prometheus", "kubernetes-goat"] {
        let mut objects = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(format!("{root}/{dir}"))];
        while let Some(p) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&p) else {
                continue;
            };
            for e in entries.flatten() {
                let path = e.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path
                    .extension()
                    .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
                {
                    let bytes = std::fs::read(&path).expect("readable");
                    let loaded =
                        load_bytes(&path.display().to_string(), &bytes, &Limits::default());
                    objects.extend(loaded.objects);
                }
            }
        }
        let s = Snapshot::new(objects, "default");
        let m = Mesh::build(&s);
        assert!(m.is_empty(), "{dir} has no mesh configuration");
        let f = m.findings();
        assert!(f.is_empty(), "{dir}: {f:#?}");
    }
}
