//! Kubernetes manifests to a typed snapshot: YAML/JSON streams parsed with positions, objects
//! extracted (including `kind: List`), and every workload normalised to one pod spec.
//!
//! This crate reads bytes it is given; it never touches the network. Parsing is
//! `bulwark-yaml`'s, bounded by its [`Limits`]: file size, nesting depth, node count and alias
//! expansion.

mod cluster;
pub(crate) mod helm;
mod load;
mod object;
mod scope;
mod secrets;
mod selector;
mod snapshot;
mod workload;

pub use bulwark_yaml::{
    Entry, Limits, Node, ParseError, Pos, Scalar, ScalarStyle, Value, parse_yaml, resolve_bool,
    resolve_int,
};
pub use cluster::{
    ContainerPort, NAMESPACE_NAME_LABEL, Namespace, Workload, labels_of, namespaces,
};
pub use helm::{chart_render_hint, is_chart_dir, template_render_hint};
pub use load::{LoadError, LoadedFile, SkippedDocument, load_bytes};
pub use object::Object;
pub use scope::is_cluster_scoped;
pub use secrets::{
    MANAGED_SECRET_KINDS, SecretEntry, SecretRef, SecretUse, is_core_secret, names_plain_setting,
    produced_secrets, secret_entries, secret_refs, secret_type,
};
pub use selector::{LabelSelector, Labels, Requirement, SelectorError};
pub use snapshot::{Snapshot, secret_value_hash, shareable_credential};
pub use workload::{ContainerKind, ContainerRef, PodTemplate};
