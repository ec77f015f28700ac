//! K8S049 `secret-in-env-var`: a Secret is passed to a container as environment variables.

use bulwark_k8s::Node;
use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::who;
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct SecretInEnvVar;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S049",
    name: "secret-in-env-var",
    title: "Secret consumed as environment variables",
    severity: Severity::Medium,
    category: Category::Secret,
    standards: &["cis-k8s/5.4.1", "nsa-cisa/secrets"],
    scope: Scope::Workload,
    what: "Reports every `env` entry with `valueFrom.secretKeyRef` and every `envFrom` entry \
           with `secretRef`, in any container.",
    why: "Environment variables leak: they are inherited by every child process, written to \
          crash dumps and debug endpoints, visible in `/proc/<pid>/environ` to anything \
          sharing the PID namespace, and logged by frameworks on start-up. Secrets mounted as \
          files avoid all of that and can be rotated without a restart.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop}
spec:
  containers:
  - name: api
    image: example.com/api:2.0
    env:
    - name: DB_PASSWORD
      valueFrom:
        secretKeyRef: {name: db, key: password}
",
    fix: "Mount the Secret as a volume and have the application read the file (many \
          frameworks accept `*_FILE` variables that name it).",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop}
spec:
  containers:
  - name: api
    image: example.com/api:2.0
    env:
    - {name: DB_PASSWORD_FILE, value: /secrets/db/password}
    volumeMounts: [{name: db, mountPath: /secrets/db, readOnly: true}]
  volumes:
  - name: db
    secret: {secretName: db}
",
    peers: "Same meaning as checkov CKV_K8S_35, kube-linter `env-var-secret` (for secretKeyRef \
            only) and polaris `sensitiveContainerEnvVar` where it names a secret reference.",
    references: &[refs::CIS, refs::SECRETS],
};

impl Check for SecretInEnvVar {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        for c in pod.containers() {
            let env = c.node.get("env").and_then(Node::as_seq).unwrap_or(&[]);
            for (i, e) in env.iter().enumerate() {
                let Some(secret_ref) = e.path(&["valueFrom", "secretKeyRef"]) else {
                    continue;
                };
                let var = e.get("name").and_then(Node::as_str).unwrap_or("<unnamed>");
                let secret = secret_ref.get("name").and_then(Node::as_str).unwrap_or("?");
                let key = secret_ref.get("key").and_then(Node::as_str).unwrap_or("?");
                cx.report_container_keyed(
                    &c,
                    &format!("env[{i}].valueFrom.secretKeyRef"),
                    &format!("env[{var}].valueFrom.secretKeyRef"),
                    e.pos,
                    format!(
                        "{} gets env var {var:?} from Secret {secret:?} key {key:?}",
                        who(&c)
                    ),
                );
            }
            let env_from = c.node.get("envFrom").and_then(Node::as_seq).unwrap_or(&[]);
            for (i, e) in env_from.iter().enumerate() {
                let Some(secret_ref) = e.get("secretRef") else {
                    continue;
                };
                let secret = secret_ref.get("name").and_then(Node::as_str).unwrap_or("?");
                cx.report_container_keyed(
                    &c,
                    &format!("envFrom[{i}].secretRef"),
                    &format!("envFrom[{secret}].secretRef"),
                    e.pos,
                    format!(
                        "{} loads every key of Secret {secret:?} as env vars",
                        who(&c)
                    ),
                );
            }
        }
    }
}
