//! K8S044 `service-account-token-automounted`: a pod carries an API token it has no use for.

use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::{service_account, token_automount};
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct ServiceAccountTokenAutomounted;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S044",
    name: "service-account-token-automounted",
    title: "Service account token mounted but not needed",
    severity: Severity::Low,
    category: Category::Misconfig,
    standards: &["cis-k8s/5.1.6", "nsa-cisa/service-account-tokens"],
    scope: Scope::Workload,
    what: "Reports a pod that gets its service account's API token mounted by default (neither \
           the pod nor its ServiceAccount object, when that is part of the scan, sets \
           `automountServiceAccountToken`) while no RoleBinding or ClusterRoleBinding in the \
           scanned manifests grants that service account anything (directly or through the \
           `system:serviceaccounts` groups). An explicit `automountServiceAccountToken: true` \
           is taken as a deliberate choice (tokens are also used to authenticate to Vault and \
           other systems) and is not reported.",
    why: "Every pod that mounts a token hands it to whoever compromises the pod. Even a \
          service account without bindings can read discovery endpoints and whatever \
          `system:authenticated` is allowed, and tokens are the usual first step of lateral \
          movement from a pod into the API server.",
    example: r"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers:
      - name: web
        image: example.com/web:1.4
",
    fix: "Set `automountServiceAccountToken: false` in the pod spec (or on the \
          ServiceAccount). Pods that call the API should say so with an explicit `true` and \
          a binding that grants only what they need.",
    fixed_example: r"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      automountServiceAccountToken: false
      containers:
      - name: web
        image: example.com/web:1.4
",
    peers: "Narrower than polaris `automountServiceAccountToken` and checkov CKV_K8S_38, \
            which report every pod that does not set false: this check uses the RBAC \
            objects in the scan to stay quiet about pods that demonstrably need the API, so \
            only their failing fixtures without bindings agree.",
    references: &[refs::CIS, refs::SERVICE_ACCOUNTS, refs::NSA],
};

impl Check for ServiceAccountTokenAutomounted {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        let (sa, _) = service_account(&pod);
        if token_automount(cx, &pod, sa).is_some() {
            return;
        }
        let ns = cx
            .object
            .effective_namespace(&cx.options.default_namespace)
            .unwrap_or_default();
        if cx.snapshot.service_account_is_bound(&ns, sa) {
            return;
        }
        cx.report_pod(
            "automountServiceAccountToken",
            pod.spec.pos,
            format!(
                "pod mounts the API token of service account {ns}/{sa}, which no binding in the scan grants anything; set automountServiceAccountToken: false"
            ),
        );
    }
}
