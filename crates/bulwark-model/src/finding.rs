use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Severity;

/// The family a finding belongs to. Each engine produces one or a few categories.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// A workload or object configured less safely than it should be.
    Misconfig,
    /// A credential found where it should not be.
    Secret,
    /// A known vulnerability in a package.
    Vulnerability,
    /// A permission problem in Kubernetes RBAC.
    Rbac,
    /// A network exposure or missing isolation.
    Network,
    /// A service-mesh weakness.
    Mesh,
    /// A threat detected at runtime.
    Runtime,
    /// A threat detected in the Kubernetes audit log.
    Audit,
}

impl Category {
    /// Every category, in declaration order.
    pub const ALL: &'static [Category] = &[
        Category::Misconfig,
        Category::Secret,
        Category::Vulnerability,
        Category::Rbac,
        Category::Network,
        Category::Mesh,
        Category::Runtime,
        Category::Audit,
    ];

    /// The lowercase name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Misconfig => "misconfig",
            Category::Secret => "secret",
            Category::Vulnerability => "vulnerability",
            Category::Rbac => "rbac",
            Category::Network => "network",
            Category::Mesh => "mesh",
            Category::Runtime => "runtime",
            Category::Audit => "audit",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Kubernetes object (and container, where there is one) a finding is about.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct ResourceRef {
    /// `apiVersion` of the object, e.g. `apps/v1`.
    pub api_version: Arc<str>,
    /// `kind` of the object, e.g. `Deployment`.
    pub kind: Arc<str>,
    /// The namespace the object lands in; absent for cluster-scoped objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Arc<str>>,
    /// `metadata.name` (or `metadata.generateName` when there is no name).
    pub name: Arc<str>,
    /// The container the finding is about, for container-level findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<Arc<str>>,
}

impl ResourceRef {
    /// The same object without a container, as used to group findings by resource.
    pub fn without_container(&self) -> ResourceRef {
        ResourceRef {
            container: None,
            ..self.clone()
        }
    }
}

impl fmt::Display for ResourceRef {
    /// `Deployment prod/web` or, for a cluster-scoped object, `ClusterRole admin`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name)?,
            None => write!(f, "{} {}", self.kind, self.name)?,
        }
        if let Some(c) = &self.container {
            write!(f, " (container {c})")?;
        }
        Ok(())
    }
}

/// Where in a file a finding was made.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct Location {
    /// The file, as the user named it or relative to the directory they named; `-` for stdin.
    pub path: Arc<str>,
    /// 1-based line of the offending field (or of the object when no single field is at fault).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column on that line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// Field path inside the object, e.g. `spec.template.spec.containers[0].securityContext`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Text that is usually a constant of the engine (a check's title, its fix) and only sometimes
/// built at run time: findings share the constant instead of copying it.
pub type Text = Cow<'static, str>;

/// One problem one engine found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Stable identifier of what was found: a check id (`K8S005`), later a CVE or rule id.
    pub id: Text,
    /// Human-readable slug of the check, e.g. `privileged-container`, where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<Text>,
    /// The family of the finding.
    pub category: Category,
    /// How bad it is.
    pub severity: Severity,
    /// One-line summary of the check (the same for every finding of one id).
    pub title: Text,
    /// What exactly is wrong here, naming the field and value.
    pub message: String,
    /// The object the finding is about, where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceRef>,
    /// Where the finding was made, where there is a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Machine-readable references to the standards this violates, e.g.
    /// `pss-baseline/privileged-containers`, `cis-k8s/5.2.2`, `nsa-cisa/non-root-containers`.
    #[serde(default)]
    pub standards: Vec<Text>,
    /// How to fix it.
    #[serde(default)]
    pub remediation: Text,
    /// Stable identity of this finding, the same across runs and line moves (see [`crate::Fingerprint`]).
    /// For secrets it is a hash of the rule and the value, the same wherever the value appears.
    pub fingerprint: String,
    /// The secret itself, for secret findings, only when the user asked for it
    /// (`--show-secrets`). Absent by default in every output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// For findings in git history (`--git-history`): every commit and path where the value
    /// was added, oldest first. Empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commits: Vec<CommitRef>,
    /// For vulnerability findings: the package, versions, fix and scores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerability: Option<Box<crate::Vulnerability>>,
}

/// One place in git history where a finding's content was added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CommitRef {
    /// The commit id (full hex).
    pub commit: String,
    /// The file's path in that commit.
    pub path: Arc<str>,
    /// The author date (ISO 8601), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// Where a suppression came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SuppressionSource {
    /// A `bulwark.dev/ignore` annotation on the object, pod template or container.
    Annotation,
    /// An `ignore` entry in the configuration file.
    Config,
    /// A fingerprint listed in the baseline file (`--baseline`).
    Baseline,
    /// A VEX statement (`--vex`) saying the product is not affected.
    Vex,
    /// An entry of a `.bulwarkignore` file.
    IgnoreFile,
}

/// Why a finding was suppressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Suppression {
    /// Where the suppression was declared.
    pub source: SuppressionSource,
    /// The reason given with the suppression, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What declared it, e.g. `annotation bulwark.dev/ignore on the pod template` or
    /// `.bulwark.yaml ignore[2]`.
    pub origin: String,
}
