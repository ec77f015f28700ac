//! K8S054 `missing-secret`: a pod refers to a Secret the scanned manifests do not define.

use bulwark_k8s::{SecretUse, secret_refs};
use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct MissingSecret;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S054",
    name: "missing-secret",
    title: "Secret referenced but not defined",
    severity: Severity::Medium,
    category: Category::Secret,
    standards: &["nsa-cisa/secrets"],
    scope: Scope::Workload,
    what: "Reports a reference from a pod spec to a Secret (`env[].valueFrom.secretKeyRef`, \
           `envFrom[].secretRef`, a `secret` or `projected` volume, `imagePullSecrets`) when no \
           object in the scan creates that Secret in the pod's namespace. A Secret counts as \
           created by a `Secret` object and by the controllers that manage secrets: \
           ExternalSecret (`spec.target.name`), SealedSecret, SecretProviderClass \
           (`spec.secretObjects`), Vault Secrets Operator (`spec.destination.name`), \
           OnePasswordItem and cert-manager Certificate (`spec.secretName`). References marked \
           `optional: true` are not reported. The check only speaks for namespaces where the \
           scan holds at least one Secret or secret-managing object: when Secrets are kept \
           elsewhere (another repository, created by hand), their absence from the scan says \
           nothing.",
    why: "A pod whose Secret is missing does not start (`CreateContainerConfigError`) — or, \
          worse, someone creates the Secret by hand to unblock it, outside review and \
          rotation. A stale name also hints that the Secret was renamed and the old, \
          unrotated one is still in use somewhere.",
    example: r"apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
stringData: {password: '{{ from the vault }}'}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop}
spec:
  containers:
  - name: api
    image: example.com/api:2.0
    envFrom: [{secretRef: {name: payments}}]
",
    fix: "Define the Secret (better: an ExternalSecret or SealedSecret that produces it) next \
          to the workload, fix the name, or mark the reference `optional: true` if the pod \
          works without it.",
    fixed_example: r"apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
stringData: {password: '{{ from the vault }}'}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: payments, namespace: shop}
spec:
  secretStoreRef: {name: vault, kind: ClusterSecretStore}
  dataFrom: [{extract: {key: shop/payments}}]
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop}
spec:
  containers:
  - name: api
    image: example.com/api:2.0
    envFrom: [{secretRef: {name: payments}}]
",
    peers: "No peer in our comparison set checks this.",
    references: &[refs::SECRETS],
};

impl Check for MissingSecret {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        let Some(ns) = cx.object.effective_namespace(&cx.options.default_namespace) else {
            return;
        };
        if !cx.snapshot.has_secrets_in(&ns) {
            return;
        }
        let mut seen: Vec<&str> = Vec::new();
        for r in secret_refs(&pod) {
            if r.optional || cx.snapshot.secret_exists(&ns, r.name) || seen.contains(&r.name) {
                continue;
            }
            seen.push(r.name);
            let how = match r.via {
                SecretUse::EnvKey { container, var, .. } => {
                    format!("container {container:?} reads env var {var:?} from")
                }
                SecretUse::EnvFrom { container } => {
                    format!("container {container:?} loads env vars from")
                }
                SecretUse::Volume { volume } => format!("volume {volume:?} mounts"),
                SecretUse::ImagePull => "the pod pulls images with".to_string(),
            };
            cx.report_pod_keyed(
                &r.field,
                &format!("secret[{}]", r.name),
                r.pos,
                format!(
                    "{how} Secret {:?}, which no object in the scan creates in namespace {ns}",
                    r.name
                ),
            );
        }
    }
}
