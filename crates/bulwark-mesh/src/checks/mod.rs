//! The mesh checks, one file each: `META` (the documentation, with tested examples) and `run`.

use bulwark_k8s::{Namespace, Object, Pos, Workload};
use bulwark_model::{AnalysisCheck, Finding, ResourceRef, Severity};

use crate::Mesh;

mod mesh001_istio_mtls_permissive;
mod mesh002_istio_mtls_disabled;
mod mesh003_istio_mtls_not_enforced;
mod mesh004_istio_no_authorization_policy;
mod mesh005_istio_authz_allows_everyone;
mod mesh006_policy_selects_nothing;
mod mesh007_reference_missing_namespace;
mod mesh008_injection_disabled;
mod mesh009_sidecar_capture_excluded;
mod mesh010_host_network_in_meshed_namespace;
mod mesh011_istio_jwt_not_required;
mod mesh012_istio_jwks_plain_http;
mod mesh013_proxy_uid_workload;
mod mesh014_istio_destination_rule_tls_insecure;
mod mesh015_linkerd_default_policy_unauthenticated;
mod mesh016_linkerd_server_without_authorization;
mod mesh017_linkerd_authz_allows_everyone;
mod mesh018_resource_invalid;

type Run = fn(&Mesh<'_>, &mut Vec<Finding>);

const CHECKS: &[(&AnalysisCheck, Run)] = &[
    (
        &mesh001_istio_mtls_permissive::META,
        mesh001_istio_mtls_permissive::run,
    ),
    (
        &mesh002_istio_mtls_disabled::META,
        mesh002_istio_mtls_disabled::run,
    ),
    (
        &mesh003_istio_mtls_not_enforced::META,
        mesh003_istio_mtls_not_enforced::run,
    ),
    (
        &mesh004_istio_no_authorization_policy::META,
        mesh004_istio_no_authorization_policy::run,
    ),
    (
        &mesh005_istio_authz_allows_everyone::META,
        mesh005_istio_authz_allows_everyone::run,
    ),
    (
        &mesh006_policy_selects_nothing::META,
        mesh006_policy_selects_nothing::run,
    ),
    (
        &mesh007_reference_missing_namespace::META,
        mesh007_reference_missing_namespace::run,
    ),
    (
        &mesh008_injection_disabled::META,
        mesh008_injection_disabled::run,
    ),
    (
        &mesh009_sidecar_capture_excluded::META,
        mesh009_sidecar_capture_excluded::run,
    ),
    (
        &mesh010_host_network_in_meshed_namespace::META,
        mesh010_host_network_in_meshed_namespace::run,
    ),
    (
        &mesh011_istio_jwt_not_required::META,
        mesh011_istio_jwt_not_required::run,
    ),
    (
        &mesh012_istio_jwks_plain_http::META,
        mesh012_istio_jwks_plain_http::run,
    ),
    (
        &mesh013_proxy_uid_workload::META,
        mesh013_proxy_uid_workload::run,
    ),
    (
        &mesh014_istio_destination_rule_tls_insecure::META,
        mesh014_istio_destination_rule_tls_insecure::run,
    ),
    (
        &mesh015_linkerd_default_policy_unauthenticated::META,
        mesh015_linkerd_default_policy_unauthenticated::run,
    ),
    (
        &mesh016_linkerd_server_without_authorization::META,
        mesh016_linkerd_server_without_authorization::run,
    ),
    (
        &mesh017_linkerd_authz_allows_everyone::META,
        mesh017_linkerd_authz_allows_everyone::run,
    ),
    (
        &mesh018_resource_invalid::META,
        mesh018_resource_invalid::run,
    ),
];

/// Every check, in id order.
pub(crate) static ALL: &[&AnalysisCheck] = &[
    &mesh001_istio_mtls_permissive::META,
    &mesh002_istio_mtls_disabled::META,
    &mesh003_istio_mtls_not_enforced::META,
    &mesh004_istio_no_authorization_policy::META,
    &mesh005_istio_authz_allows_everyone::META,
    &mesh006_policy_selects_nothing::META,
    &mesh007_reference_missing_namespace::META,
    &mesh008_injection_disabled::META,
    &mesh009_sidecar_capture_excluded::META,
    &mesh010_host_network_in_meshed_namespace::META,
    &mesh011_istio_jwt_not_required::META,
    &mesh012_istio_jwks_plain_http::META,
    &mesh013_proxy_uid_workload::META,
    &mesh014_istio_destination_rule_tls_insecure::META,
    &mesh015_linkerd_default_policy_unauthenticated::META,
    &mesh016_linkerd_server_without_authorization::META,
    &mesh017_linkerd_authz_allows_everyone::META,
    &mesh018_resource_invalid::META,
];

/// Runs every check; findings sorted by id, resource, line and fingerprint.
pub(crate) fn run_all(m: &Mesh<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (_, run) in CHECKS {
        run(m, &mut out);
    }
    out.sort_by(|a, b| {
        let key = |f: &Finding| {
            (
                f.id.clone(),
                f.resource
                    .as_ref()
                    .map(|r| (r.namespace.clone(), r.kind.clone(), r.name.clone())),
                f.location.as_ref().map(|l| (l.path.clone(), l.line)),
                f.fingerprint.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    out.dedup_by(|a, b| a.fingerprint == b.fingerprint);
    out
}

/// A finding about `o`, at `pos`/`field`.
pub(crate) fn at(
    meta: &'static AnalysisCheck,
    m: &Mesh<'_>,
    o: &Object,
    pos: Pos,
    field: &str,
    message: String,
    detail: &str,
) -> Finding {
    let key = format!(
        "{}/{}/{}|{field}|{detail}",
        o.kind,
        o.effective_namespace(m.snapshot.default_namespace())
            .as_deref()
            .unwrap_or(""),
        o.name
    );
    meta.finding(
        message,
        Some(o.resource_ref(m.snapshot.default_namespace(), None)),
        Some(o.location(pos, Some(field))),
        &key,
    )
}

/// A finding about a workload, at a field of its pod template (or the object).
pub(crate) fn on_workload(
    meta: &'static AnalysisCheck,
    m: &Mesh<'_>,
    w: &Workload<'_>,
    pos: Option<Pos>,
    field: &str,
    message: String,
    detail: &str,
) -> Finding {
    at(
        meta,
        m,
        w.object,
        pos.unwrap_or_else(|| w.object.pos()),
        field,
        message,
        detail,
    )
}

/// A finding about a namespace (its object when declared; else by name, without location).
pub(crate) fn on_namespace(
    meta: &'static AnalysisCheck,
    m: &Mesh<'_>,
    ns: &Namespace<'_>,
    pos: Option<Pos>,
    field: &str,
    message: String,
    detail: &str,
) -> Finding {
    match ns.object {
        Some(o) => at(
            meta,
            m,
            o,
            pos.unwrap_or_else(|| o.pos()),
            field,
            message,
            detail,
        ),
        None => meta.finding(
            message,
            Some(ResourceRef {
                api_version: "v1".into(),
                kind: "Namespace".into(),
                namespace: None,
                name: ns.name.as_str().into(),
                container: None,
            }),
            None,
            &format!("Namespace//{}|{field}|{detail}", ns.name),
        ),
    }
}

/// The same finding at another severity (an analysis raising or lowering one finding).
pub(crate) fn with_severity(mut f: Finding, s: Severity) -> Finding {
    f.severity = s;
    f
}

/// Names for a message: the first few, then a count.
pub(crate) fn list(names: &[String]) -> String {
    const SHOWN: usize = 5;
    if names.len() <= SHOWN {
        names.join(", ")
    } else {
        format!(
            "{} and {} more",
            names[..SHOWN].join(", "),
            names.len() - SHOWN
        )
    }
}

/// Workloads that are Istio gateways or control plane, which terminate or serve traffic
/// themselves: not judged as mesh applications by MESH003/MESH004.
pub(crate) fn is_istio_infrastructure(w: &Workload<'_>) -> bool {
    *w.namespace == *crate::ROOT_NAMESPACE
        || w.labels
            .get("istio")
            .is_some_and(|v| v.ends_with("gateway") || v == "pilot")
        || w.labels
            .contains_key("gateway.networking.k8s.io/gateway-name")
        || w.labels.contains_key("gateway.istio.io/managed")
}

/// Namespaces where a mesh's own components live: opting them out is expected.
pub(crate) fn is_control_plane_namespace(ns: &str) -> bool {
    matches!(
        ns,
        "kube-system"
            | "kube-public"
            | "kube-node-lease"
            | "istio-system"
            | "istio-ingress"
            | "istio-egress"
            | "istio-gateways"
            | "istio-cni"
            | "linkerd"
            | "linkerd-viz"
            | "linkerd-jaeger"
            | "linkerd-multicluster"
            | "linkerd-cni"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulwark_k8s::{Limits, Snapshot, load_bytes};

    fn snapshot(y: &str) -> Snapshot {
        let loaded = load_bytes("example.yaml", y.as_bytes(), &Limits::default());
        assert!(
            loaded.errors.is_empty(),
            "example does not parse: {:?}",
            loaded.errors
        );
        Snapshot::new(loaded.objects, "default")
    }

    #[test]
    fn ids_are_unique_sequential_and_in_order() {
        assert_eq!(ALL.len(), CHECKS.len());
        for (i, (meta, check)) in ALL.iter().zip(CHECKS).enumerate() {
            assert_eq!(meta.id, format!("MESH{:03}", i + 1));
            assert!(std::ptr::eq(*meta, check.0), "{} out of order", meta.id);
            assert_eq!(meta.category, bulwark_model::Category::Mesh);
            assert!(!meta.name.is_empty() && !meta.what.is_empty() && !meta.fix.is_empty());
        }
        assert!(std::ptr::eq(crate::checks(), ALL));
    }

    #[test]
    fn every_example_yields_its_finding_and_every_fixed_example_does_not() {
        for meta in ALL {
            let found = crate::findings(&snapshot(meta.example));
            assert!(
                found.iter().any(|f| f.id == meta.id),
                "{}: example yields no {} finding; got {:?}",
                meta.id,
                meta.id,
                found
                    .iter()
                    .map(|f| (&f.id, &f.message))
                    .collect::<Vec<_>>()
            );
            let fixed = crate::findings(&snapshot(meta.fixed_example));
            let bad: Vec<_> = fixed
                .iter()
                .filter(|f| f.id == meta.id)
                .map(|f| &f.message)
                .collect();
            assert!(
                bad.is_empty(),
                "{}: fixed example still yields {bad:?}",
                meta.id
            );
        }
    }

    #[test]
    fn findings_are_deterministic_and_have_resources() {
        for meta in ALL {
            let a = crate::findings(&snapshot(meta.example));
            let b = crate::findings(&snapshot(meta.example));
            assert_eq!(a, b, "{}", meta.id);
            assert!(a.iter().all(|f| f.resource.is_some()), "{}", meta.id);
        }
    }
}
