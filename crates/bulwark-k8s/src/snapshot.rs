//! All objects of one scan, with the lookups checks need across objects.

use std::collections::{HashMap, HashSet};

use crate::object::Object;
use crate::secrets::{names_plain_setting, produced_secrets, secret_entries, secret_type};
use bulwark_model::Fingerprint;
use bulwark_yaml::Node;

/// Every object of one scan, indexed for cross-object lookups. Checks read a snapshot and never
/// a live cluster, so the CLI, a future admission webhook and the tests run the same code.
#[derive(Debug, Default)]
pub struct Snapshot {
    objects: Vec<Object>,
    default_namespace: String,
    service_accounts: HashMap<(String, String), usize>,
    bound_service_accounts: HashSet<(String, String)>,
    bound_sa_namespaces: HashSet<String>,
    all_service_accounts_bound: bool,
    /// Objects producing each Secret `(namespace, name)` (Secrets and managing controllers).
    secrets: HashMap<(String, String), Vec<usize>>,
    /// Namespaces where the scan holds at least one Secret or secret-producing object.
    secret_namespaces: HashSet<String>,
    /// Credential values of Secrets by hash: the Secrets (object index, key) holding each.
    secret_values: HashMap<String, Vec<(usize, String)>>,
}

impl Snapshot {
    /// Indexes `objects`. Objects without a namespace land in `default_namespace`.
    pub fn new(objects: Vec<Object>, default_namespace: &str) -> Snapshot {
        let mut s = Snapshot {
            objects,
            default_namespace: default_namespace.to_string(),
            ..Snapshot::default()
        };
        for (i, o) in s.objects.iter().enumerate() {
            let ns = o.effective_namespace(default_namespace);
            match o.kind.as_ref() {
                "ServiceAccount" if o.group().is_empty() => {
                    if let Some(ns) = &ns {
                        s.service_accounts
                            .insert((ns.to_string(), o.name.to_string()), i);
                    }
                }
                "RoleBinding" | "ClusterRoleBinding"
                    if o.group() == "rbac.authorization.k8s.io" =>
                {
                    let subjects = o.root.get("subjects").and_then(Node::as_seq).unwrap_or(&[]);
                    for subject in subjects {
                        let kind = subject.get("kind").and_then(Node::as_str).unwrap_or("");
                        let name = subject.get("name").and_then(Node::as_str).unwrap_or("");
                        match kind {
                            "ServiceAccount" => {
                                let sa_ns = subject
                                    .get("namespace")
                                    .and_then(Node::as_str)
                                    .map(str::to_string)
                                    .or_else(|| ns.as_deref().map(str::to_string))
                                    .unwrap_or_else(|| default_namespace.to_string());
                                s.bound_service_accounts.insert((sa_ns, name.to_string()));
                            }
                            "Group" if name == "system:serviceaccounts" => {
                                s.all_service_accounts_bound = true;
                            }
                            "Group" => {
                                if let Some(sa_ns) = name.strip_prefix("system:serviceaccounts:") {
                                    s.bound_sa_namespaces.insert(sa_ns.to_string());
                                }
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
            if let Some(ns) = &ns {
                let produced = produced_secrets(o);
                if !produced.is_empty() {
                    s.secret_namespaces.insert(ns.to_string());
                }
                for name in produced {
                    s.secrets
                        .entry((ns.to_string(), name.to_string()))
                        .or_default()
                        .push(i);
                }
            }
            for e in secret_entries(o) {
                if shareable_credential(secret_type(o), e.key, &e.value) {
                    s.secret_values
                        .entry(secret_value_hash(&e.value))
                        .or_default()
                        .push((i, e.key.to_string()));
                }
            }
        }
        s
    }

    /// Whether the scan holds the Secret `namespace/name`, as a Secret object or as the target
    /// of a controller that creates it (ExternalSecret, SealedSecret, SecretProviderClass …).
    pub fn secret_exists(&self, namespace: &str, name: &str) -> bool {
        self.secrets
            .contains_key(&(namespace.to_string(), name.to_string()))
    }

    /// The objects that produce the Secret `namespace/name`.
    pub fn secret_producers(&self, namespace: &str, name: &str) -> impl Iterator<Item = &Object> {
        self.secrets
            .get(&(namespace.to_string(), name.to_string()))
            .into_iter()
            .flatten()
            .map(|&i| &self.objects[i])
    }

    /// Whether the scan holds any Secret (or secret-producing object) in `namespace`: only
    /// then is a Secret missing from the scan evidence that it is missing from the cluster.
    pub fn has_secrets_in(&self, namespace: &str) -> bool {
        self.secret_namespaces.contains(namespace)
    }

    /// The Secrets (object and key) holding the credential value whose
    /// [`secret_value_hash`] is `hash`.
    pub fn secrets_with_value(&self, hash: &str) -> impl Iterator<Item = (&Object, &str)> {
        self.secret_values
            .get(hash)
            .into_iter()
            .flatten()
            .map(|(i, k)| (&self.objects[*i], k.as_str()))
    }

    /// Every object, in input order.
    pub fn objects(&self) -> &[Object] {
        &self.objects
    }

    /// Consumes the snapshot, returning its objects.
    pub fn into_objects(self) -> Vec<Object> {
        self.objects
    }

    /// The namespace given to objects that do not name one.
    pub fn default_namespace(&self) -> &str {
        &self.default_namespace
    }

    /// The ServiceAccount object `namespace/name`, if it is part of the scan.
    pub fn service_account(&self, namespace: &str, name: &str) -> Option<&Object> {
        self.service_accounts
            .get(&(namespace.to_string(), name.to_string()))
            .map(|&i| &self.objects[i])
    }

    /// Whether any RoleBinding or ClusterRoleBinding in the scan names the service account
    /// `namespace/name` (directly, or through the `system:serviceaccounts[:namespace]` groups).
    pub fn service_account_is_bound(&self, namespace: &str, name: &str) -> bool {
        self.all_service_accounts_bound
            || self.bound_sa_namespaces.contains(namespace)
            || self
                .bound_service_accounts
                .contains(&(namespace.to_string(), name.to_string()))
    }
}

/// The hash Secret values are compared by: never the value itself.
pub fn secret_value_hash(value: &[u8]) -> String {
    Fingerprint::new("secret-value").bytes(value).finish()
}

/// Whether a Secret value is a credential worth comparing across Secrets: long enough to be
/// one, under a key that does not name a plain setting, not a certificate or public key, and
/// not in a Secret type that is replicated or generated by design (registry pull credentials
/// are copied into every namespace that pulls; service-account tokens and Helm release records
/// are written by the cluster).
pub fn shareable_credential(secret_type: &str, key: &str, value: &[u8]) -> bool {
    const REPLICATED: &[&str] = &[
        "kubernetes.io/service-account-token",
        "kubernetes.io/dockerconfigjson",
        "kubernetes.io/dockercfg",
        "helm.sh/release.v1",
    ];
    let trimmed = value.trim_ascii();
    trimmed.len() >= 8
        && !REPLICATED.contains(&secret_type)
        && !names_plain_setting(key)
        && ![
            &b"-----BEGIN CERTIFICATE"[..],
            b"-----BEGIN PUBLIC KEY",
            b"ssh-rsa ",
            b"ssh-ed25519 ",
        ]
        .iter()
        .any(|p| trimmed.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limits, load_bytes};

    #[test]
    fn bindings_and_service_accounts_are_indexed() {
        let text = r"
apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: prod}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb, namespace: prod}
subjects: [{kind: ServiceAccount, name: app}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: crb}
subjects: [{kind: Group, name: 'system:serviceaccounts:ops'}]
";
        let objs = load_bytes("s.yaml", text.as_bytes(), &Limits::default()).objects;
        let snap = Snapshot::new(objs, "default");
        assert!(snap.service_account("prod", "app").is_some());
        assert!(snap.service_account("default", "app").is_none());
        assert!(snap.service_account_is_bound("prod", "app"));
        assert!(!snap.service_account_is_bound("prod", "other"));
        assert!(snap.service_account_is_bound("ops", "anything"));
    }
}
