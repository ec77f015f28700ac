//! Every workload kind normalised to one pod spec.

use crate::object::Object;
use bulwark_yaml::Node;

/// Which list of the pod spec a container is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContainerKind {
    /// `initContainers` (including native sidecars).
    Init,
    /// `containers`.
    Regular,
    /// `ephemeralContainers` (debug containers added to a running pod).
    Ephemeral,
}

impl ContainerKind {
    /// The pod-spec field that holds this kind.
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Init => "initContainers",
            ContainerKind::Regular => "containers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }

    /// How the kind is named in messages.
    pub fn noun(self) -> &'static str {
        match self {
            ContainerKind::Init => "init container",
            ContainerKind::Regular => "container",
            ContainerKind::Ephemeral => "ephemeral container",
        }
    }
}

/// One container of a pod spec.
#[derive(Debug, Clone, Copy)]
pub struct ContainerRef<'a> {
    /// Which list it is in.
    pub kind: ContainerKind,
    /// Its index in that list.
    pub index: usize,
    /// Its `name` (`<unnamed>` if missing).
    pub name: &'a str,
    /// The container mapping.
    pub node: &'a Node,
}

impl<'a> ContainerRef<'a> {
    /// The container's `securityContext`, if set.
    pub fn security_context(&self) -> Option<&'a Node> {
        self.node.get("securityContext")
    }

    /// A value under the container's `securityContext`.
    pub fn sc(&self, keys: &[&str]) -> Option<&'a Node> {
        self.security_context()?.path(keys)
    }

    /// The container's field path relative to the pod spec, e.g. `containers[0]`.
    pub fn rel_path(&self) -> String {
        format!("{}[{}]", self.kind.field(), self.index)
    }
}

/// A pod spec found in an object, with where it sits.
#[derive(Debug, Clone, Copy)]
pub struct PodTemplate<'a> {
    /// The object the pod spec belongs to.
    pub object: &'a Object,
    /// The pod spec mapping.
    pub spec: &'a Node,
    /// Its field path inside the object (`spec`, `spec.template.spec`, …).
    pub spec_path: &'static str,
    /// The pod's metadata (the object's own for a Pod, the template's otherwise).
    pub metadata: Option<&'a Node>,
    /// The metadata's field path inside the object.
    pub metadata_path: &'static str,
}

const TEMPLATED_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
];

impl<'a> PodTemplate<'a> {
    /// The pod spec of `object`, if it is a workload.
    ///
    /// Pods, PodTemplates, the built-in controllers (Deployment, StatefulSet, DaemonSet,
    /// ReplicaSet, ReplicationController, Job, CronJob) and any other kind whose
    /// `spec.template.spec.containers` is a list (Argo Rollouts, OpenShift DeploymentConfigs,
    /// Knative and other CRDs).
    pub fn of(object: &'a Object) -> Option<PodTemplate<'a>> {
        let root = &object.root;
        let (spec, spec_path, metadata, metadata_path) = match object.kind.as_ref() {
            "Pod" => (root.get("spec")?, "spec", root.get("metadata"), "metadata"),
            "PodTemplate" => (
                root.path(&["template", "spec"])?,
                "template.spec",
                root.path(&["template", "metadata"]),
                "template.metadata",
            ),
            "CronJob" => (
                root.path(&["spec", "jobTemplate", "spec", "template", "spec"])?,
                "spec.jobTemplate.spec.template.spec",
                root.path(&["spec", "jobTemplate", "spec", "template", "metadata"]),
                "spec.jobTemplate.spec.template.metadata",
            ),
            k if TEMPLATED_KINDS.contains(&k) => (
                root.path(&["spec", "template", "spec"])?,
                "spec.template.spec",
                root.path(&["spec", "template", "metadata"]),
                "spec.template.metadata",
            ),
            _ => {
                let spec = root.path(&["spec", "template", "spec"])?;
                spec.get("containers")?.as_seq()?;
                (
                    spec,
                    "spec.template.spec",
                    root.path(&["spec", "template", "metadata"]),
                    "spec.template.metadata",
                )
            }
        };
        spec.as_map()?;
        Some(PodTemplate {
            object,
            spec,
            spec_path,
            metadata,
            metadata_path,
        })
    }

    /// Every container, in the order the admission checks visit them: init containers,
    /// containers, then ephemeral containers.
    pub fn containers(&self) -> impl Iterator<Item = ContainerRef<'a>> + 'a {
        let spec = self.spec;
        [
            ContainerKind::Init,
            ContainerKind::Regular,
            ContainerKind::Ephemeral,
        ]
        .into_iter()
        .flat_map(move |kind| {
            spec.get(kind.field())
                .and_then(Node::as_seq)
                .unwrap_or(&[])
                .iter()
                .enumerate()
                .filter(|(_, n)| n.as_map().is_some())
                .map(move |(index, node)| ContainerRef {
                    kind,
                    index,
                    name: node
                        .get("name")
                        .and_then(Node::as_str)
                        .unwrap_or("<unnamed>"),
                    node,
                })
        })
    }

    /// The pod-level `securityContext`, if set.
    pub fn security_context(&self) -> Option<&'a Node> {
        self.spec.get("securityContext")
    }

    /// A value under the pod-level `securityContext`.
    pub fn sc(&self, keys: &[&str]) -> Option<&'a Node> {
        self.security_context()?.path(keys)
    }

    /// The pod's annotations (the template's for controllers).
    pub fn annotations(&self) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.metadata
            .and_then(|m| m.get("annotations"))
            .into_iter()
            .flat_map(Node::str_pairs)
    }

    /// The annotations mapping itself, for positions.
    pub fn annotations_node(&self) -> Option<&'a Node> {
        self.metadata.and_then(|m| m.get("annotations"))
    }

    /// `spec.volumes`, or an empty slice.
    pub fn volumes(&self) -> &'a [Node] {
        self.spec
            .get("volumes")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
    }

    /// Whether the pod declares `spec.os.name: windows`.
    pub fn is_windows(&self) -> bool {
        self.spec
            .path(&["os", "name"])
            .and_then(Node::as_str)
            .is_some_and(|n| n == "windows")
    }

    /// Whether the pod explicitly runs in a user namespace (`hostUsers: false`).
    pub fn in_user_namespace(&self) -> bool {
        self.spec.get("hostUsers").and_then(Node::as_bool) == Some(false)
    }

    /// A field path inside the object: `rel` is relative to the pod spec.
    pub fn field(&self, rel: &str) -> String {
        if rel.is_empty() {
            self.spec_path.to_string()
        } else {
            format!("{}.{rel}", self.spec_path)
        }
    }

    /// A field path inside the object for a field of `container`.
    pub fn container_field(&self, container: &ContainerRef<'_>, rel: &str) -> String {
        if rel.is_empty() {
            format!("{}.{}", self.spec_path, container.rel_path())
        } else {
            format!("{}.{}.{rel}", self.spec_path, container.rel_path())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limits, load_bytes};

    fn objects(text: &str) -> Vec<Object> {
        load_bytes("w.yaml", text.as_bytes(), &Limits::default()).objects
    }

    #[test]
    fn every_workload_kind_has_a_pod_spec() {
        let text = r"
apiVersion: v1
kind: Pod
spec: {containers: [{name: a}]}
---
apiVersion: apps/v1
kind: Deployment
spec: {template: {spec: {containers: [{name: a}]}}}
---
apiVersion: batch/v1
kind: CronJob
spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: a}]}}}}}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
spec: {template: {spec: {containers: [{name: a}]}}}
---
apiVersion: v1
kind: PodTemplate
template: {spec: {containers: [{name: a}]}}
---
apiVersion: example.com/v1
kind: Widget
spec: {template: {spec: {replicas: 1}}}
---
apiVersion: v1
kind: Service
spec: {ports: []}
";
        let objs = objects(text);
        let paths: Vec<_> = objs
            .iter()
            .map(|o| PodTemplate::of(o).map(|p| p.spec_path))
            .collect();
        assert_eq!(
            paths,
            [
                Some("spec"),
                Some("spec.template.spec"),
                Some("spec.jobTemplate.spec.template.spec"),
                Some("spec.template.spec"),
                Some("template.spec"),
                None,
                None
            ]
        );
    }

    #[test]
    fn containers_in_admission_order() {
        let objs = objects(
            "apiVersion: v1\nkind: Pod\nspec:\n  ephemeralContainers: [{name: e}]\n  containers: [{name: c1}, {name: c2}]\n  initContainers: [{name: i}]\n",
        );
        let pod = PodTemplate::of(&objs[0]).expect("pod");
        let names: Vec<_> = pod.containers().map(|c| (c.name, c.rel_path())).collect();
        assert_eq!(
            names,
            [
                ("i", "initContainers[0]".to_string()),
                ("c1", "containers[0]".to_string()),
                ("c2", "containers[1]".to_string()),
                ("e", "ephemeralContainers[0]".to_string())
            ]
        );
    }
}
