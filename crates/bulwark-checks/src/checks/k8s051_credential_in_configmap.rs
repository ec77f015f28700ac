//! K8S051 `credential-in-configmap`: a ConfigMap carries a credential.

use bulwark_k8s::Pos;
use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::{is_placeholder, is_sensitive_name, redacted};
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct CredentialInConfigMap;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S051",
    name: "credential-in-configmap",
    title: "Credential stored in a ConfigMap",
    severity: Severity::High,
    category: Category::Secret,
    standards: &["nsa-cisa/secrets"],
    scope: Scope::Kinds(&["ConfigMap"]),
    what: "Reports ConfigMap `data` entries that hold a credential: a key with a credential \
           name (as K8S050 defines it) and a literal value, a private key block (`-----BEGIN \
           … PRIVATE KEY-----`), or, inside an embedded configuration file, a \
           `name = value` / `name: value` line with a credential name and a literal value. \
           One finding per data key; values are never shown.",
    why: "ConfigMaps are not secret: they are readable by anyone with `get configmaps`, not \
          encrypted at rest, shown in dashboards and copied into logs. A credential there is \
          as good as public inside the cluster.",
    example: r"apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, namespace: shop}
data:
  DB_HOST: db.shop.svc
  DB_PASSWORD: s3cr3t-Pa55word
  application.properties: |
    spring.datasource.url=jdbc:postgresql://db/shop
    spring.datasource.password=hunter2hunter2
",
    fix: "Move credentials into a Secret (or an external secret store) and rotate the exposed \
          values. Keep only non-secret settings in ConfigMaps.",
    fixed_example: r"apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, namespace: shop}
data:
  DB_HOST: db.shop.svc
  DB_PASSWORD_FILE: /secrets/db/password
  application.properties: |
    spring.datasource.url=jdbc:postgresql://db/shop
    spring.datasource.password=${DB_PASSWORD}
",
    peers: "Same meaning as polaris `sensitiveConfigmapContent` where the content is a \
            literal credential.",
    references: &[
        refs::SECRETS,
        "https://kubernetes.io/docs/concepts/configuration/configmap/",
    ],
};

/// Why the value of data key `key` is a credential, if it is.
fn credential_in(key: &str, value: &str) -> Option<String> {
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY") {
        return Some("a private key".to_string());
    }
    if is_sensitive_name(key) && !value.contains('\n') && !is_placeholder(value) {
        return Some(redacted(value));
    }
    for line in value.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with("//") {
            continue;
        }
        let Some(i) = line.find(['=', ':']) else {
            continue;
        };
        let (name, rest) = (line[..i].trim(), line[i + 1..].trim());
        let rest = rest.trim_matches(|c| c == '"' || c == '\'' || c == ',' || c == ';');
        if name.is_empty() || name.contains(' ') || !is_sensitive_name(name) {
            continue;
        }
        if !is_placeholder(rest) {
            return Some(format!("{name:?} set to {}", redacted(rest)));
        }
    }
    None
}

impl Check for CredentialInConfigMap {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let object = cx.object;
        let Some(data) = object.root.get("data") else {
            return;
        };
        let hits: Vec<(String, Pos, String)> = data
            .as_map()
            .unwrap_or(&[])
            .iter()
            .filter_map(|e| {
                let value = e.value.as_str()?;
                let why = credential_in(&e.key, value)?;
                Some((e.key.to_string(), e.key_pos, why))
            })
            .collect();
        for (key, pos, why) in hits {
            cx.report_object(
                &format!("data[{key:?}]"),
                pos,
                format!("ConfigMap {} key {key:?} holds {why}", object.name),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_credentials_in_keys_blocks_and_files() {
        assert!(credential_in("DB_PASSWORD", "hunter2hunter2").is_some());
        assert!(credential_in("DB_PASSWORD", "${DB_PASSWORD}").is_none());
        assert!(credential_in("tls.key", "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n").is_some());
        assert!(credential_in("app.yaml", "db:\n  password: hunter2hunter2\n").is_some());
        assert!(credential_in("app.yaml", "db:\n  password: ${DB_PASS}\n").is_none());
        assert!(credential_in("app.ini", "# password = example\nhost = x\n").is_none());
        assert!(credential_in("LOG_LEVEL", "debug").is_none());
    }
}
