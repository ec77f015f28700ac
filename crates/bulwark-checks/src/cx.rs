//! The context a check runs in, and how it reports.

use bulwark_k8s::{ContainerRef, Object, PodTemplate, Pos, Snapshot};
use bulwark_model::{Finding, Fingerprint};

use crate::meta::CheckMeta;
use crate::run::Options;

/// What a check sees of one object, and where it reports findings.
pub struct Cx<'a> {
    /// Every object of the scan, for cross-object lookups.
    pub snapshot: &'a Snapshot,
    /// The object being checked.
    pub object: &'a Object,
    /// Its pod spec, when it is a workload.
    pub pod: Option<PodTemplate<'a>>,
    /// Scan options.
    pub options: &'a Options,
    pub(crate) meta: &'static CheckMeta,
    pub(crate) out: Vec<Finding>,
}

impl<'a> Cx<'a> {
    /// The pod spec. Only call from checks with [`crate::Scope::Workload`], which run only on
    /// workloads.
    pub(crate) fn pod(&self) -> PodTemplate<'a> {
        self.pod
            .expect("workload-scoped checks only run on objects with a pod spec")
    }

    /// Reports a finding about a field of the object. `field` is relative to the object.
    pub fn report_object(&mut self, field: &str, pos: Pos, message: impl Into<String>) {
        self.push(None, field, field, pos, message.into());
    }

    /// Reports a finding about a pod-level field. `rel` is relative to the pod spec.
    pub fn report_pod(&mut self, rel: &str, pos: Pos, message: impl Into<String>) {
        let field = self.pod().field(rel);
        self.push(None, &field, rel, pos, message.into());
    }

    /// Like [`Cx::report_pod`] for an element of a list (a volume, a sysctl): `key` names the
    /// element by what identifies it (`volumes[docker]`) rather than by its index, so the
    /// fingerprint survives reordering.
    pub fn report_pod_keyed(&mut self, rel: &str, key: &str, pos: Pos, message: impl Into<String>) {
        let field = self.pod().field(rel);
        self.push(None, &field, key, pos, message.into());
    }

    /// Reports a finding about a pod-metadata field (`annotations…`), relative to the pod's
    /// metadata.
    pub fn report_pod_metadata(&mut self, rel: &str, pos: Pos, message: impl Into<String>) {
        let field = format!("{}.{rel}", self.pod().metadata_path);
        self.push(None, &field, &field, pos, message.into());
    }

    /// Reports a finding about a container field. `rel` is relative to the container.
    pub fn report_container(
        &mut self,
        container: &ContainerRef<'_>,
        rel: &str,
        pos: Pos,
        message: impl Into<String>,
    ) {
        let field = self.pod().container_field(container, rel);
        let key = format!("{}/{}", container.kind.field(), rel);
        self.push(Some(container.name), &field, &key, pos, message.into());
    }

    /// Like [`Cx::report_container`] for an element of a list (an env var, a port): `key`
    /// names the element by what identifies it (`env[DB_PASSWORD]`) rather than by its index.
    pub fn report_container_keyed(
        &mut self,
        container: &ContainerRef<'_>,
        rel: &str,
        key: &str,
        pos: Pos,
        message: impl Into<String>,
    ) {
        let field = self.pod().container_field(container, rel);
        let key = format!("{}/{}", container.kind.field(), key);
        self.push(Some(container.name), &field, &key, pos, message.into());
    }

    /// Builds the finding. The fingerprint hashes the check, the file, the object's kind,
    /// namespace and name, the container *name* and a key for the field (relative to the
    /// container, naming list elements by identity): never lines, list positions or the
    /// object's position in a `kind: List`, so it survives edits that move or reorder things.
    fn push(&mut self, container: Option<&str>, field: &str, key: &str, pos: Pos, message: String) {
        let meta = self.meta;
        let ns = self.options.default_namespace.as_str();
        let resource = self.object.resource_ref(ns, container);
        let fingerprint = Fingerprint::new(meta.id)
            .part(&self.object.path)
            .part(&resource.kind)
            .opt_part(resource.namespace.as_deref())
            .part(&resource.name)
            .opt_part(container)
            .part(key)
            .finish();
        self.out.push(Finding {
            id: meta.id.into(),
            check: Some(meta.name.into()),
            category: meta.category,
            severity: meta.severity,
            title: meta.title.into(),
            message,
            location: Some(self.object.location(pos, Some(field))),
            resource: Some(resource),
            standards: meta.standards.iter().map(|s| (*s).into()).collect(),
            remediation: meta.fix.into(),
            fingerprint,
            secret: None,
            commits: Vec::new(),
            vulnerability: None,
        });
    }
}
