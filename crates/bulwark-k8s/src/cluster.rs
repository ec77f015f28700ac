//! The cluster a set of manifests describes: the workloads that will run (with their pod labels,
//! ports and service account) and the namespaces they run in. The reachability, RBAC and mesh
//! analyses all start here.

use std::collections::BTreeMap;
use std::sync::Arc;

use bulwark_yaml::Node;

use crate::object::Object;
use crate::selector::Labels;
use crate::snapshot::Snapshot;
use crate::workload::PodTemplate;

/// The label every namespace carries with its own name (set by the API server since 1.21).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A port a container declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerPort {
    /// The container declaring it.
    pub container: String,
    /// `name`, if set (named ports are resolved per pod by NetworkPolicy).
    pub name: Option<String>,
    /// `containerPort`.
    pub port: u16,
    /// `protocol`, upper-case (`TCP` when unset).
    pub protocol: String,
}

/// Something that runs pods: a Pod, a controller (Deployment, StatefulSet, DaemonSet,
/// ReplicaSet, ReplicationController, Job, CronJob) or a custom resource with a pod template.
#[derive(Debug, Clone)]
pub struct Workload<'a> {
    /// The object.
    pub object: &'a Object,
    /// Its pod spec.
    pub pod: PodTemplate<'a>,
    /// The namespace its pods run in.
    pub namespace: Arc<str>,
    /// The labels of its pods (the template's labels for controllers).
    pub labels: Labels,
    /// The service account its pods run as (`default` when unset).
    pub service_account: String,
    /// The ports its containers declare, in declaration order.
    pub ports: Vec<ContainerPort>,
    /// `hostNetwork: true`: the pods use the node's network namespace.
    pub host_network: bool,
}

impl<'a> Workload<'a> {
    /// Every workload of the snapshot, in input order. `PodTemplate` objects are templates, not
    /// workloads, and are left out.
    pub fn all(snapshot: &'a Snapshot) -> Vec<Workload<'a>> {
        snapshot
            .objects()
            .iter()
            .filter(|o| &*o.kind != "PodTemplate")
            .filter_map(|o| Workload::of(o, snapshot.default_namespace()))
            .collect()
    }

    /// The workload `object` describes, if it has a pod spec.
    pub fn of(object: &'a Object, default_namespace: &str) -> Option<Workload<'a>> {
        let pod = PodTemplate::of(object)?;
        let namespace = object
            .namespace
            .clone()
            .unwrap_or_else(|| Arc::from(default_namespace));
        let labels = pod
            .metadata
            .and_then(|m| m.get("labels"))
            .map(labels_of)
            .unwrap_or_default();
        let service_account = ["serviceAccountName", "serviceAccount"]
            .iter()
            .find_map(|k| pod.spec.get(k).and_then(Node::as_str))
            .filter(|s| !s.is_empty())
            .unwrap_or("default")
            .to_string();
        let mut ports = Vec::new();
        for c in pod.containers() {
            for p in c.node.get("ports").and_then(Node::as_seq).unwrap_or(&[]) {
                let Some(port) = p
                    .get("containerPort")
                    .and_then(Node::as_i64)
                    .and_then(|n| u16::try_from(n).ok())
                else {
                    continue;
                };
                ports.push(ContainerPort {
                    container: c.name.to_string(),
                    name: p.get("name").and_then(Node::as_str).map(str::to_string),
                    port,
                    protocol: p
                        .get("protocol")
                        .and_then(Node::as_str)
                        .unwrap_or("TCP")
                        .to_ascii_uppercase(),
                });
            }
        }
        let host_network = pod.spec.get("hostNetwork").and_then(Node::as_bool) == Some(true);
        Some(Workload {
            object,
            pod,
            namespace,
            labels,
            service_account,
            ports,
            host_network,
        })
    }

    /// `namespace/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.object.name)
    }

    /// `namespace/name[Kind]`, as connectivity lists name workloads.
    pub fn display(&self) -> String {
        format!(
            "{}/{}[{}]",
            self.namespace, self.object.name, self.object.kind
        )
    }
}

/// Labels of a `labels` mapping; non-string scalars (`version: 2`) keep their text.
pub fn labels_of(node: &Node) -> Labels {
    node.as_map()
        .unwrap_or(&[])
        .iter()
        .filter_map(|e| Some((e.key.to_string(), e.value.as_scalar()?.text.to_string())))
        .collect()
}

/// A namespace of the cluster.
#[derive(Debug, Clone)]
pub struct Namespace<'a> {
    /// Its name.
    pub name: String,
    /// Its labels, always including `kubernetes.io/metadata.name`.
    pub labels: Labels,
    /// The Namespace object, when the manifests hold one; `None` for a namespace inferred from
    /// the objects placed in it.
    pub object: Option<&'a Object>,
}

/// Every namespace: those the snapshot declares (Namespace objects, with their labels) and those
/// its namespaced objects are placed in, by name.
pub fn namespaces(snapshot: &Snapshot) -> BTreeMap<String, Namespace<'_>> {
    let mut out: BTreeMap<String, Namespace<'_>> = BTreeMap::new();
    for o in snapshot.objects() {
        if &*o.kind == "Namespace" && o.group().is_empty() {
            let mut labels = o
                .metadata()
                .and_then(|m| m.get("labels"))
                .map(labels_of)
                .unwrap_or_default();
            labels.insert(NAMESPACE_NAME_LABEL.into(), o.name.to_string());
            out.insert(
                o.name.to_string(),
                Namespace {
                    name: o.name.to_string(),
                    labels,
                    object: Some(o),
                },
            );
        }
    }
    for o in snapshot.objects() {
        if let Some(ns) = o.effective_namespace(snapshot.default_namespace()) {
            out.entry(ns.to_string()).or_insert_with(|| Namespace {
                name: ns.to_string(),
                labels: Labels::from([(NAMESPACE_NAME_LABEL.to_string(), ns.to_string())]),
                object: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limits, load_bytes};

    fn snapshot(y: &str) -> Snapshot {
        Snapshot::new(
            load_bytes("t.yaml", y.as_bytes(), &Limits::default()).objects,
            "default",
        )
    }

    #[test]
    fn workloads_carry_template_labels_ports_and_service_account() {
        let s = snapshot(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  template:\n    metadata: {labels: {app: api, v: 2}}\n    spec:\n      serviceAccountName: api-sa\n      containers:\n      - name: c\n        ports: [{name: http, containerPort: 8080}, {containerPort: 53, protocol: udp}]\n---\napiVersion: v1\nkind: PodTemplate\nmetadata: {name: t}\ntemplate: {spec: {containers: [{name: x}]}}\n",
        );
        let w = Workload::all(&s);
        assert_eq!(w.len(), 1, "a PodTemplate is not a workload");
        assert_eq!(w[0].display(), "shop/api[Deployment]");
        assert_eq!(w[0].labels.get("v").map(String::as_str), Some("2"));
        assert_eq!(w[0].service_account, "api-sa");
        assert_eq!(w[0].ports[0].name.as_deref(), Some("http"));
        assert_eq!(w[0].ports[1].protocol, "UDP");
    }

    #[test]
    fn namespaces_are_declared_or_inferred_and_carry_their_name_label() {
        let s = snapshot(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: a}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n",
        );
        let ns = namespaces(&s);
        assert_eq!(ns.len(), 2);
        assert!(ns["shop"].object.is_some());
        assert_eq!(ns["shop"].labels[NAMESPACE_NAME_LABEL], "shop");
        assert_eq!(ns["shop"].labels["team"], "a");
        assert!(ns["default"].object.is_none());
        assert_eq!(ns["default"].labels[NAMESPACE_NAME_LABEL], "default");
    }
}
