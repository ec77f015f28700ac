//! K8S050 `literal-credential-in-env`: a credential is written into the manifest.

use bulwark_k8s::Node;
use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::{is_placeholder, is_sensitive_name, redacted, who};
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct LiteralCredentialInEnv;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S050",
    name: "literal-credential-in-env",
    title: "Credential written literally in an env var",
    severity: Severity::High,
    category: Category::Secret,
    standards: &["cis-k8s/5.4.1", "nsa-cisa/secrets"],
    scope: Scope::Workload,
    what: "Reports every `env` entry whose name says it holds a credential (PASSWORD, \
           SECRET, TOKEN, API_KEY, ACCESS_KEY, PRIVATE_KEY, CREDENTIAL, …; but not names \
           such as `*_FILE`, `*_PATH`, `*_NAME` or `*_ID` that say where a secret is) and \
           whose `value` is a literal: not empty, not a `$(VAR)`/`${VAR}` reference, a \
           template, an angle-bracket placeholder, masked text, a path or a boolean. Values \
           are never shown: messages give only their length and whether they are a \
           well-known default password.",
    why: "A credential in a manifest is in every copy of it: the git history, CI logs, \
          `kubectl get -o yaml` output and everyone with read access to the workload. It \
          cannot be rotated without a deployment, and default passwords (`changeme`, \
          `admin`) are the first thing an attacker tries.",
    example: r"apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: example.com/api:2.0
        env:
        - {name: DB_PASSWORD, value: changeme}
",
    fix: "Move the value into a Secret (created out of band or by an external secrets \
          operator), mount it as a file, and rotate the exposed credential.",
    fixed_example: r"apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: example.com/api:2.0
        env:
        - {name: DB_PASSWORD_FILE, value: /secrets/db/password}
",
    peers: "polaris `sensitiveContainerEnvVar` and checkov CKV_K8S_35-adjacent fixtures \
            flag sensitive names with literal values; their meaning matches where the name \
            is a credential name in the sense above.",
    references: &[refs::SECRETS, refs::CIS],
};

impl Check for LiteralCredentialInEnv {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        for c in pod.containers() {
            let env = c.node.get("env").and_then(Node::as_seq).unwrap_or(&[]);
            for (i, e) in env.iter().enumerate() {
                let name = e.get("name").and_then(Node::as_str).unwrap_or("");
                let Some(value_entry) = e.entry("value") else {
                    continue;
                };
                let Some(value) = value_entry.value.as_str() else {
                    continue;
                };
                if !is_sensitive_name(name) || is_placeholder(value) {
                    continue;
                }
                cx.report_container_keyed(
                    &c,
                    &format!("env[{i}].value"),
                    &format!("env[{name}].value"),
                    value_entry.key_pos,
                    format!("{} env var {name:?} holds {}", who(&c), redacted(value)),
                );
            }
        }
    }
}
