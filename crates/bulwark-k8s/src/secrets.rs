//! What a scan says about Secrets: their decoded values, who produces them (plain Secrets or
//! the controllers that manage them) and which pods reference them.

use base64::Engine as _;
use bulwark_yaml::{Node, Pos};

use crate::object::Object;
use crate::workload::{ContainerRef, PodTemplate};

/// One value of a Secret object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretEntry<'a> {
    /// The data key.
    pub key: &'a str,
    /// Where the key is written.
    pub key_pos: Pos,
    /// The value, base64-decoded for `data`.
    pub value: Vec<u8>,
    /// `true` for `stringData`, `false` for `data`.
    pub string_data: bool,
}

/// Whether `o` is a core `v1` Secret.
pub fn is_core_secret(o: &Object) -> bool {
    &*o.kind == "Secret" && o.group().is_empty()
}

/// The `type` of a Secret (`Opaque` when absent).
pub fn secret_type(o: &Object) -> &str {
    o.root
        .get("type")
        .and_then(Node::as_str)
        .unwrap_or("Opaque")
}

/// Every value of a Secret: `data` decoded from base64 (undecodable values are skipped: the
/// API server would reject them) and `stringData` as written. Empty for other objects.
pub fn secret_entries(o: &Object) -> Vec<SecretEntry<'_>> {
    if !is_core_secret(o) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (field, string_data) in [("data", false), ("stringData", true)] {
        let Some(map) = o.root.get(field).and_then(Node::as_map) else {
            continue;
        };
        for e in map {
            let Some(text) = e.value.as_str() else {
                continue;
            };
            let value = if string_data {
                text.as_bytes().to_vec()
            } else {
                let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
                match base64::engine::general_purpose::STANDARD.decode(&compact) {
                    Ok(v) => v,
                    Err(_) => continue,
                }
            };
            out.push(SecretEntry {
                key: &e.key,
                key_pos: e.key_pos,
                value,
                string_data,
            });
        }
    }
    out
}

/// Kinds whose objects hold ciphertext or references to an external store (sealed-secrets,
/// External Secrets Operator, Secrets Store CSI, Vault and 1Password operators, cert-manager):
/// managed secrets, never literal ones.
pub const MANAGED_SECRET_KINDS: &[&str] = &[
    "SealedSecret",
    "ExternalSecret",
    "ClusterExternalSecret",
    "PushSecret",
    "SecretStore",
    "ClusterSecretStore",
    "SecretProviderClass",
    "VaultStaticSecret",
    "VaultDynamicSecret",
    "VaultPKISecret",
    "OnePasswordItem",
    "Certificate",
];

/// The names of the Secrets `o` creates in its namespace: a plain Secret itself, or the target
/// of a secret-managing controller. Empty for everything else.
pub fn produced_secrets(o: &Object) -> Vec<&str> {
    fn s(n: Option<&Node>) -> Option<&str> {
        n.and_then(Node::as_str)
    }
    let spec = o.root.get("spec");
    let named = match (o.group(), o.kind.as_ref()) {
        ("", "Secret") | ("onepassword.com", "OnePasswordItem") => vec![Some(o.name.as_ref())],
        ("bitnami.com", "SealedSecret") => vec![
            s(spec.and_then(|sp| sp.path(&["template", "metadata", "name"])))
                .or(Some(o.name.as_ref())),
        ],
        ("external-secrets.io", "ExternalSecret") => {
            vec![s(spec.and_then(|sp| sp.path(&["target", "name"]))).or(Some(o.name.as_ref()))]
        }
        ("secrets-store.csi.x-k8s.io", "SecretProviderClass") => spec
            .and_then(|sp| sp.get("secretObjects"))
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .map(|so| s(so.get("secretName")))
            .collect(),
        (
            "secrets.hashicorp.com",
            "VaultStaticSecret" | "VaultDynamicSecret" | "VaultPKISecret",
        ) => {
            vec![s(spec.and_then(|sp| sp.path(&["destination", "name"])))]
        }
        ("cert-manager.io", "Certificate") => vec![s(spec.and_then(|sp| sp.get("secretName")))],
        _ => Vec::new(),
    };
    named.into_iter().flatten().collect()
}

/// How a pod refers to a Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretUse<'a> {
    /// `env[].valueFrom.secretKeyRef` of a container.
    EnvKey {
        /// The container's name.
        container: &'a str,
        /// The env var.
        var: &'a str,
        /// The Secret key.
        key: &'a str,
    },
    /// `envFrom[].secretRef` of a container.
    EnvFrom {
        /// The container's name.
        container: &'a str,
    },
    /// A `secret` volume, or a `projected` volume with a `secret` source.
    Volume {
        /// The volume's name.
        volume: &'a str,
    },
    /// `imagePullSecrets[]`.
    ImagePull,
}

/// One reference from a pod spec to a Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef<'a> {
    /// The Secret's name.
    pub name: &'a str,
    /// How it is used.
    pub via: SecretUse<'a>,
    /// Whether the reference says `optional: true` (the pod starts without the Secret).
    pub optional: bool,
    /// Where the reference is written.
    pub pos: Pos,
    /// Its field path relative to the pod spec.
    pub field: String,
}

fn optional(n: &Node) -> bool {
    n.get("optional").and_then(Node::as_bool) == Some(true)
}

/// Every Secret a pod spec refers to, in spec order (containers, then volumes, then image
/// pull secrets).
pub fn secret_refs<'a>(pod: &PodTemplate<'a>) -> Vec<SecretRef<'a>> {
    let mut out = Vec::new();
    for c in pod.containers() {
        container_refs(&c, &mut out);
    }
    for (i, v) in pod.volumes().iter().enumerate() {
        let volume = v.get("name").and_then(Node::as_str).unwrap_or("<unnamed>");
        if let Some(sec) = v.get("secret")
            && let Some(name) = sec.get("secretName").and_then(Node::as_str)
        {
            out.push(SecretRef {
                name,
                via: SecretUse::Volume { volume },
                optional: optional(sec),
                pos: sec.pos,
                field: format!("volumes[{i}].secret"),
            });
        }
        let sources = v
            .path(&["projected", "sources"])
            .and_then(Node::as_seq)
            .unwrap_or(&[]);
        for (j, src) in sources.iter().enumerate() {
            let Some(sec) = src.get("secret") else {
                continue;
            };
            if let Some(name) = sec.get("name").and_then(Node::as_str) {
                out.push(SecretRef {
                    name,
                    via: SecretUse::Volume { volume },
                    optional: optional(sec),
                    pos: sec.pos,
                    field: format!("volumes[{i}].projected.sources[{j}].secret"),
                });
            }
        }
    }
    let pulls = pod
        .spec
        .get("imagePullSecrets")
        .and_then(Node::as_seq)
        .unwrap_or(&[]);
    for (i, p) in pulls.iter().enumerate() {
        if let Some(name) = p.get("name").and_then(Node::as_str) {
            out.push(SecretRef {
                name,
                via: SecretUse::ImagePull,
                // The kubelet pulls without it (and fails only if the registry needs it).
                optional: false,
                pos: p.pos,
                field: format!("imagePullSecrets[{i}]"),
            });
        }
    }
    out
}

fn container_refs<'a>(c: &ContainerRef<'a>, out: &mut Vec<SecretRef<'a>>) {
    let env = c.node.get("env").and_then(Node::as_seq).unwrap_or(&[]);
    for (i, e) in env.iter().enumerate() {
        let Some(r) = e.path(&["valueFrom", "secretKeyRef"]) else {
            continue;
        };
        let Some(name) = r.get("name").and_then(Node::as_str) else {
            continue;
        };
        out.push(SecretRef {
            name,
            via: SecretUse::EnvKey {
                container: c.name,
                var: e.get("name").and_then(Node::as_str).unwrap_or("<unnamed>"),
                key: r.get("key").and_then(Node::as_str).unwrap_or(""),
            },
            optional: optional(r),
            pos: r.pos,
            field: format!("{}.env[{i}].valueFrom.secretKeyRef", c.rel_path()),
        });
    }
    let env_from = c.node.get("envFrom").and_then(Node::as_seq).unwrap_or(&[]);
    for (i, e) in env_from.iter().enumerate() {
        let Some(r) = e.get("secretRef") else {
            continue;
        };
        let Some(name) = r.get("name").and_then(Node::as_str) else {
            continue;
        };
        out.push(SecretRef {
            name,
            via: SecretUse::EnvFrom { container: c.name },
            optional: optional(r),
            pos: r.pos,
            field: format!("{}.envFrom[{i}].secretRef", c.rel_path()),
        });
    }
}

/// Whether a Secret data key names a plain setting (a user name, a host, a region, a
/// certificate) rather than a credential.
pub fn names_plain_setting(key: &str) -> bool {
    const PLAIN: &[&str] = &[
        "user",
        "username",
        "user_name",
        "login",
        "db_user",
        "database",
        "db",
        "db_name",
        "dbname",
        "host",
        "hostname",
        "port",
        "region",
        "namespace",
        "url",
        "uri",
        "endpoint",
        "address",
        "bucket",
        "email",
        "name",
        "schema",
        "scheme",
        "protocol",
        "mode",
        "version",
        "tls_crt",
        "ca_crt",
        "ca",
        "crt",
        "cert",
        "certificate",
        "domain",
        "zone",
        "cluster",
        "account",
        "account_id",
        "client_id",
        "tenant_id",
        "project",
        "project_id",
        "org",
        "organization",
    ];
    const SECRETISH: &[&str] = &[
        "pass", "secret", "token", "key", "cred", "auth", "cookie", "salt",
    ];
    let k = key.to_ascii_lowercase().replace(['-', '.'], "_");
    !SECRETISH.iter().any(|w| k.contains(w))
        && PLAIN.iter().any(|p| {
            k == *p
                || k.strip_suffix(p).is_some_and(|r| r.ends_with('_'))
                || k.strip_prefix(p).is_some_and(|r| r.starts_with('_'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limits, load_bytes};

    fn objects(text: &str) -> Vec<Object> {
        load_bytes("t.yaml", text.as_bytes(), &Limits::default()).objects
    }

    #[test]
    fn data_is_decoded_and_string_data_kept() {
        let o = &objects(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  a: aHVudGVyMg==\n  bad: '!!'\nstringData:\n  b: plain\n",
        )[0];
        let e = secret_entries(o);
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[0].key, e[0].value.as_slice(), e[0].key_pos.line),
            ("a", &b"hunter2"[..], 5)
        );
        assert_eq!(
            (e[1].key, e[1].value.as_slice(), e[1].string_data),
            ("b", &b"plain"[..], true)
        );
    }

    #[test]
    fn controllers_produce_secrets() {
        let objs = objects(
            "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: es}\nspec: {target: {name: db-creds}}\n---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: sealed}\n---\napiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nmetadata: {name: spc}\nspec: {secretObjects: [{secretName: a}, {secretName: b}]}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n",
        );
        let produced: Vec<Vec<&str>> = objs.iter().map(produced_secrets).collect();
        assert_eq!(
            produced,
            [vec!["db-creds"], vec!["sealed"], vec!["a", "b"], vec![]]
        );
    }

    #[test]
    fn pod_references_are_listed() {
        let objs = objects(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  imagePullSecrets: [{name: reg}]\n  containers:\n  - name: c\n    env:\n    - name: A\n      valueFrom: {secretKeyRef: {name: s1, key: k, optional: true}}\n    envFrom: [{secretRef: {name: s2}}]\n  volumes:\n  - {name: v, secret: {secretName: s3}}\n  - name: pv\n    projected: {sources: [{secret: {name: s4}}, {configMap: {name: cm}}]}\n",
        );
        let pod = PodTemplate::of(&objs[0]).expect("pod");
        let refs = secret_refs(&pod);
        let names: Vec<(&str, bool)> = refs.iter().map(|r| (r.name, r.optional)).collect();
        assert_eq!(
            names,
            [
                ("s1", true),
                ("s2", false),
                ("s3", false),
                ("s4", false),
                ("reg", false)
            ]
        );
        assert_eq!(refs[3].field, "volumes[1].projected.sources[0].secret");
        assert_eq!(refs[0].field, "containers[0].env[0].valueFrom.secretKeyRef");
    }

    #[test]
    fn plain_settings_are_told_from_credentials() {
        for k in ["username", "DB_HOST", "tls.crt", "redis-port", "ca.crt"] {
            assert!(names_plain_setting(k), "{k}");
        }
        for k in [
            "password",
            "api-key",
            "token",
            "user_password",
            "client_secret",
            "x",
        ] {
            assert!(!names_plain_setting(k), "{k}");
        }
    }
}
