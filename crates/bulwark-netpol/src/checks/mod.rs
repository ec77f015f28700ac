//! Network findings: one file per check, stable ids `NETnnn`, each with its documentation.

mod net001_namespace_without_default_deny;
mod net002_reachable_from_outside;
mod net003_reachable_from_all_pods;
mod net004_egress_to_cloud_metadata;
mod net005_policy_selects_nothing;
mod net006_peer_matches_nothing;
mod net007_overly_broad_allow;

use bulwark_k8s::{Object, Snapshot};
use bulwark_model::{AnalysisCheck, Finding, Location, ResourceRef};

use crate::network::{Endpoint, Network};

/// What a check sees: the manifests and the network built from them.
pub struct Cx<'a> {
    /// The manifests.
    pub snapshot: &'a Snapshot,
    /// Their network.
    pub net: &'a Network,
}

impl Cx<'_> {
    fn object(&self, index: usize) -> &Object {
        &self.snapshot.objects()[index]
    }

    /// The resource and location of a workload endpoint.
    fn pod_place(&self, pod: usize) -> (Option<ResourceRef>, Option<Location>) {
        let o = self.object(self.net.pods()[pod].object);
        (
            Some(o.resource_ref(self.snapshot.default_namespace(), None)),
            Some(o.location(o.pos(), None)),
        )
    }

    /// The resource and location of a namespace finding: the Namespace object when the
    /// manifests hold one, else the namespace by name, located at `pod` (one of its workloads).
    fn namespace_place(&self, ns: &str, pod: usize) -> (Option<ResourceRef>, Option<Location>) {
        let object = self
            .snapshot
            .objects()
            .iter()
            .find(|o| &*o.kind == "Namespace" && o.group().is_empty() && &*o.name == ns);
        match object {
            Some(o) => (
                Some(o.resource_ref(self.snapshot.default_namespace(), None)),
                Some(o.location(o.pos(), None)),
            ),
            None => (
                Some(ResourceRef {
                    api_version: "v1".into(),
                    kind: "Namespace".into(),
                    namespace: None,
                    name: ns.into(),
                    container: None,
                }),
                self.pod_place(pod).1,
            ),
        }
    }

    /// Whether the manifests describe every pod of `ns`: they hold workloads there, and no
    /// custom resource that an operator may turn into pods (a Prometheus, a Kafka cluster …).
    /// Only then is a selector that matches nothing evidence of a mistake.
    fn pods_fully_known(&self, ns: &str) -> bool {
        self.net.pods().iter().any(|p| p.namespace == ns)
            && !self.snapshot.objects().iter().any(|o| {
                let group = o.group();
                group.contains('.')
                    && !group.ends_with("k8s.io")
                    && o.effective_namespace(self.snapshot.default_namespace())
                        .is_some_and(|n| &*n == ns)
            })
    }

    /// The explanation of a connection, as one sentence.
    fn why(&self, src: Endpoint, dst: Endpoint) -> String {
        let (_, mut trace) = self.net.explain(src, dst);
        // Manifests applied twice (an install and an HA install) repeat a policy's reason.
        let mut seen = std::collections::HashSet::new();
        trace.retain(|t| seen.insert(t.clone()));
        trace.join("; ")
    }
}

type Run = fn(&Cx<'_>) -> Vec<Finding>;

const CHECKS: &[(&AnalysisCheck, Run)] = &[
    (
        &net001_namespace_without_default_deny::META,
        net001_namespace_without_default_deny::run,
    ),
    (
        &net002_reachable_from_outside::META,
        net002_reachable_from_outside::run,
    ),
    (
        &net003_reachable_from_all_pods::META,
        net003_reachable_from_all_pods::run,
    ),
    (
        &net004_egress_to_cloud_metadata::META,
        net004_egress_to_cloud_metadata::run,
    ),
    (
        &net005_policy_selects_nothing::META,
        net005_policy_selects_nothing::run,
    ),
    (
        &net006_peer_matches_nothing::META,
        net006_peer_matches_nothing::run,
    ),
    (
        &net007_overly_broad_allow::META,
        net007_overly_broad_allow::run,
    ),
];

/// Every network check's metadata, in id order.
pub static METAS: &[&AnalysisCheck] = &[
    &net001_namespace_without_default_deny::META,
    &net002_reachable_from_outside::META,
    &net003_reachable_from_all_pods::META,
    &net004_egress_to_cloud_metadata::META,
    &net005_policy_selects_nothing::META,
    &net006_peer_matches_nothing::META,
    &net007_overly_broad_allow::META,
];

/// The network findings of `snapshot`, given its network.
pub fn run(snapshot: &Snapshot, net: &Network) -> Vec<Finding> {
    let cx = Cx { snapshot, net };
    CHECKS.iter().flat_map(|(_, run)| run(&cx)).collect()
}

/// Names a few workloads: `a, b, c and 4 more`.
fn some(names: &[String]) -> String {
    const SHOWN: usize = 3;
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

#[cfg(test)]
mod tests {
    use super::*;
    use bulwark_k8s::{Limits, load_bytes};

    fn ids(yaml: &str) -> Vec<String> {
        let snapshot = Snapshot::new(
            load_bytes("example.yaml", yaml.as_bytes(), &Limits::default()).objects,
            "default",
        );
        let net = Network::build(&snapshot);
        run(&snapshot, &net)
            .into_iter()
            .map(|f| f.id.to_string())
            .collect()
    }

    #[test]
    fn every_example_fails_and_every_fixed_example_passes() {
        for (meta, _) in CHECKS {
            let found = ids(meta.example);
            assert!(
                found.iter().any(|i| i == meta.id),
                "{}: example gives {found:?}",
                meta.id
            );
            let fixed = ids(meta.fixed_example);
            assert!(
                !fixed.iter().any(|i| i == meta.id),
                "{}: fixed example gives {fixed:?}",
                meta.id
            );
        }
    }

    #[test]
    fn ids_are_unique_and_in_order() {
        let ids: Vec<&str> = CHECKS.iter().map(|(m, _)| m.id).collect();
        let metas: Vec<&str> = METAS.iter().map(|m| m.id).collect();
        assert_eq!(ids, metas);
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
    }
}
