//! K8S056 `secret-not-rotated`: a Secret has not changed for longer than the rotation period.

use bulwark_k8s::{Node, is_core_secret, secret_type};
use bulwark_model::time::{format_date, parse_rfc3339};
use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct SecretNotRotated;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S056",
    name: "secret-not-rotated",
    title: "Secret older than the rotation period",
    severity: Severity::Low,
    category: Category::Secret,
    standards: &["nsa-cisa/secrets"],
    scope: Scope::Kinds(&["Secret"]),
    what: "For Secrets exported from a cluster (they carry `metadata.creationTimestamp`): \
           reports one whose last change — the newest of its `creationTimestamp` and the \
           `time` of its `metadata.managedFields` entries — is older than the rotation period \
           (90 days; `--secret-max-age DAYS` or `secret-max-age` in the configuration). \
           Long-lived service-account token Secrets (`kubernetes.io/service-account-token`) are \
           reported as such. Not reported: Secrets owned by a controller \
           (`metadata.ownerReferences`, as written by ExternalSecret, SealedSecret and \
           cert-manager, which rotate them), Helm release records, and Secrets without a \
           timestamp (manifests in a repository).",
    why: "A credential that never changes stays valid for everyone who ever saw it: former \
          staff, old laptops, CI logs, backups. Legacy service-account token Secrets never \
          expire at all, unlike the short-lived tokens the kubelet projects into pods.",
    example: r"apiVersion: v1
kind: Secret
metadata:
  name: smtp
  namespace: shop
  creationTimestamp: '2021-03-04T09:12:44Z'
type: Opaque
data: {password: SGM3UHc4TnMxVHE2WmI1TQ==}
",
    fix: "Rotate the credential (issue a new one, update the Secret, revoke the old one), and \
          automate it: an ExternalSecret with a `refreshInterval` backed by a secret manager \
          that rotates, or dynamic credentials. Replace service-account token Secrets with \
          projected tokens (the default since Kubernetes 1.24) or `kubectl create token`.",
    fixed_example: r"apiVersion: v1
kind: Secret
metadata:
  name: smtp
  namespace: shop
  creationTimestamp: '2021-03-04T09:12:44Z'
  ownerReferences:
  - {apiVersion: external-secrets.io/v1, kind: ExternalSecret, name: smtp, uid: 0b9a2c1e-5d11-4c3a-9f0e-6a7b8c9d0e1f}
type: Opaque
data: {password: SGM3UHc4TnMxVHE2WmI1TQ==}
",
    peers: "No peer in our comparison set checks this.",
    references: &[
        refs::SECRETS,
        "https://kubernetes.io/docs/concepts/security/service-accounts/#get-a-token",
    ],
};

impl Check for SecretNotRotated {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let o = cx.object;
        if !is_core_secret(o) || secret_type(o) == "helm.sh/release.v1" {
            return;
        }
        let Some(meta) = o.metadata() else {
            return;
        };
        if meta
            .get("ownerReferences")
            .and_then(Node::as_seq)
            .is_some_and(|s| !s.is_empty())
        {
            return;
        }
        let Some(created_node) = meta.get("creationTimestamp") else {
            return;
        };
        let Some(created) = created_node.as_str().and_then(parse_rfc3339) else {
            return;
        };
        let changed = meta
            .get("managedFields")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .filter_map(|m| m.get("time").and_then(Node::as_str).and_then(parse_rfc3339))
            .fold(created, i64::max);
        let now = cx.options.now.unwrap_or_else(bulwark_model::time::now);
        let max_days = cx.options.secret_max_age_days;
        if now - changed <= i64::from(max_days) * 86_400 {
            return;
        }
        let date = format_date(changed);
        let message = if secret_type(o) == "kubernetes.io/service-account-token" {
            format!(
                "long-lived service-account token Secret, unchanged since {date} (more than {max_days} days); these tokens never expire"
            )
        } else {
            format!("Secret unchanged since {date}, more than {max_days} days ago")
        };
        cx.report_object("metadata.creationTimestamp", created_node.pos, message);
    }
}
