//! One Kubernetes object from a manifest.

use std::sync::Arc;

use bulwark_model::{Location, ResourceRef};

use crate::scope::is_cluster_scoped;
use bulwark_yaml::{Node, Pos};

/// One Kubernetes object, kept whole (unknown kinds and CRDs included) with its source.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// The file it came from, as shown to the user (`-` for stdin).
    pub path: Arc<str>,
    /// `apiVersion`.
    pub api_version: Arc<str>,
    /// `kind`.
    pub kind: Arc<str>,
    /// `metadata.name`, else `metadata.generateName`, else `<unnamed>`.
    pub name: Arc<str>,
    /// `metadata.namespace` as written, if it was.
    pub namespace: Option<Arc<str>>,
    /// The whole object.
    pub root: Node,
    /// Field-path prefix of the object inside its document (`items[3].` for a member of a
    /// `kind: List`), empty for a top-level object.
    pub field_prefix: String,
}

impl Object {
    /// Builds an object from a mapping that has `apiVersion` and `kind` (else `None`).
    pub fn from_node(path: Arc<str>, root: Node, field_prefix: String) -> Option<Object> {
        let api_version: Arc<str> = Arc::from(root.get("apiVersion")?.as_str()?);
        let kind: Arc<str> = Arc::from(root.get("kind")?.as_str()?);
        if api_version.is_empty() || kind.is_empty() {
            return None;
        }
        let meta = root.get("metadata");
        let name = meta
            .and_then(|m| m.get("name"))
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
            .or_else(|| {
                meta.and_then(|m| m.get("generateName"))
                    .and_then(Node::as_str)
            })
            .unwrap_or("<unnamed>")
            .into();
        let namespace = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
            .map(Arc::from);
        Some(Object {
            path,
            api_version,
            kind,
            name,
            namespace,
            root,
            field_prefix,
        })
    }

    /// Drops what no check reads but that dominates memory: the OpenAPI schemas of a
    /// CustomResourceDefinition (`spec.versions[].schema`, `spec.validation`), which are most of
    /// the bytes of operator bundles. Names, group, scope and versions stay.
    pub(crate) fn shed_weight(&mut self) {
        if &*self.kind != "CustomResourceDefinition" || self.group() != "apiextensions.k8s.io" {
            return;
        }
        let Some(spec) = self.root.get_mut("spec") else {
            return;
        };
        spec.remove("validation");
        if let Some(bulwark_yaml::Node {
            value: bulwark_yaml::Value::Seq(versions),
            ..
        }) = spec.get_mut("versions")
        {
            for v in versions {
                v.remove("schema");
            }
        }
    }

    /// The API group (`apps` for `apps/v1`, `""` for `v1`).
    pub fn group(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
    }

    /// Where the object starts.
    pub fn pos(&self) -> Pos {
        self.root.pos
    }

    /// `metadata`, if present.
    pub fn metadata(&self) -> Option<&Node> {
        self.root.get("metadata")
    }

    /// `metadata.labels` as string pairs.
    pub fn labels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.metadata()
            .and_then(|m| m.get("labels"))
            .into_iter()
            .flat_map(Node::str_pairs)
    }

    /// `metadata.annotations` as string pairs.
    pub fn annotations(&self) -> impl Iterator<Item = (&str, &str)> {
        self.metadata()
            .and_then(|m| m.get("annotations"))
            .into_iter()
            .flat_map(Node::str_pairs)
    }

    /// Whether the kind is cluster-scoped.
    pub fn is_cluster_scoped(&self) -> bool {
        is_cluster_scoped(self.group(), &self.kind)
    }

    /// The namespace the object lands in: its own, else `default_namespace`; `None` when
    /// cluster-scoped.
    pub fn effective_namespace(&self, default_namespace: &str) -> Option<Arc<str>> {
        if self.is_cluster_scoped() {
            None
        } else {
            Some(
                self.namespace
                    .clone()
                    .unwrap_or_else(|| Arc::from(default_namespace)),
            )
        }
    }

    /// A reference to this object (and optionally one of its containers) for findings.
    pub fn resource_ref(&self, default_namespace: &str, container: Option<&str>) -> ResourceRef {
        ResourceRef {
            api_version: self.api_version.clone(),
            kind: self.kind.clone(),
            namespace: self.effective_namespace(default_namespace),
            name: self.name.clone(),
            container: container.map(Arc::from),
        }
    }

    /// A location in this object's file: `field` is relative to the object.
    pub fn location(&self, pos: Pos, field: Option<&str>) -> Location {
        Location {
            path: Arc::clone(&self.path),
            line: Some(pos.line),
            column: Some(pos.col),
            field: field.map(|f| format!("{}{f}", self.field_prefix)),
        }
    }
}
