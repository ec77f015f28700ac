//! K8S045 `default-service-account`: a pod runs as its namespace's `default` service account.

use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::{service_account, token_automount};
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct DefaultServiceAccount;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S045",
    name: "default-service-account",
    title: "Pod uses the default service account",
    severity: Severity::Low,
    category: Category::Misconfig,
    standards: &["cis-k8s/5.1.5", "nsa-cisa/service-account-tokens"],
    scope: Scope::Workload,
    what: "Reports a pod whose `serviceAccountName` is unset or `default` and that gets the \
           token mounted (neither the pod nor the namespace's `default` ServiceAccount in the \
           scan sets `automountServiceAccountToken: false`).",
    why: "Every pod in a namespace shares the `default` service account. Permissions granted \
          to it for one workload leak to all others, and its token cannot be revoked for one \
          workload alone. A compromised pod with the default token acts as every pod of the \
          namespace.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
",
    fix: "Create a ServiceAccount per workload and set `serviceAccountName`, or, if the pod \
          does not call the API, set `automountServiceAccountToken: false`.",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  serviceAccountName: web
  containers:
  - name: web
    image: example.com/web:1.4
",
    peers: "kube-linter `default-service-account` reports the default service account \
            regardless of the token; checkov CKV_K8S_41/42 look at the ServiceAccount and \
            bindings instead. Only fixtures that mount the default token agree.",
    references: &[refs::CIS, refs::SERVICE_ACCOUNTS],
};

impl Check for DefaultServiceAccount {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        let (sa, written) = service_account(&pod);
        if sa != "default" || token_automount(cx, &pod, sa) == Some(false) {
            return;
        }
        let message = if written.is_some() {
            "pod runs as service account \"default\" with its token mounted"
        } else {
            "pod sets no serviceAccountName, so it runs as \"default\" with its token mounted"
        };
        cx.report_pod(
            "serviceAccountName",
            written.unwrap_or(pod.spec.pos),
            message,
        );
    }
}
