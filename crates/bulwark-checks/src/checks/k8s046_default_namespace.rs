//! K8S046 `default-namespace`: an object lands in the `default` namespace.

use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct DefaultNamespace;

/// Built-in namespaced kinds. Custom resources are reported only when they name `default`
/// explicitly, since their scope is unknown without the CRD.
const NAMESPACED_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "PodTemplate",
    "Service",
    "ConfigMap",
    "Secret",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "Ingress",
    "NetworkPolicy",
    "PersistentVolumeClaim",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "Endpoints",
    "EndpointSlice",
    "LimitRange",
    "ResourceQuota",
    "Lease",
];

/// Objects every cluster has in `default`, which nobody can move: they show up in every
/// `kubectl get -A -o yaml` dump.
const BUILT_IN: &[(&str, &str)] = &[
    ("Service", "kubernetes"),
    ("ServiceAccount", "default"),
    ("ConfigMap", "kube-root-ca.crt"),
];

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S046",
    name: "default-namespace",
    title: "Object in the default namespace",
    severity: Severity::Low,
    category: Category::Misconfig,
    standards: &["cis-k8s/5.7.4", "nsa-cisa/namespaces"],
    scope: Scope::AnyObject,
    what: "Reports a namespaced object whose `metadata.namespace` is `default`, and a \
           built-in namespaced object that names no namespace, unless `--default-namespace` \
           says where such objects go (and it is not `default`). Custom resources are \
           reported only when they name `default` explicitly. The objects every cluster \
           creates there (the `kubernetes` Service, the `default` ServiceAccount, the \
           `kube-root-ca.crt` ConfigMap) are never reported.",
    why: "The `default` namespace is where everything lands by accident. Objects there share \
          RBAC grants, quotas and NetworkPolicies with whatever else was applied without a \
          namespace, so isolating one workload from another is impossible.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
",
    fix: "Set `metadata.namespace` to a namespace created for the application. If the \
          manifests are applied with `kubectl apply -n NS` or rendered by Helm, scan with \
          `--default-namespace NS`.",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
",
    peers: "Same meaning as checkov CKV_K8S_21 (which exempts the same built-in objects) and \
            kube-linter `use-namespace` for objects that name `default`. Both also report \
            objects without a namespace, which this check does only without \
            `--default-namespace`.",
    references: &[refs::CIS, refs::NAMESPACES],
};

impl Check for DefaultNamespace {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let object = cx.object;
        if object.is_cluster_scoped()
            || BUILT_IN.contains(&(object.kind.as_ref(), object.name.as_ref()))
        {
            return;
        }
        let ns_entry = object.metadata().and_then(|m| m.entry("namespace"));
        match object.namespace.as_deref() {
            Some("default") => {
                let pos = ns_entry.map_or(object.pos(), |e| e.key_pos);
                cx.report_object(
                    "metadata.namespace",
                    pos,
                    format!(
                        "{} {} is in the default namespace",
                        object.kind, object.name
                    ),
                );
            }
            Some(_) => {}
            None => {
                if !NAMESPACED_KINDS.contains(&object.kind.as_ref()) {
                    return;
                }
                let opts = cx.options;
                let message = if !opts.default_namespace_given {
                    format!(
                        "{} {} names no namespace, so it lands in the current context's namespace (usually default); use --default-namespace if it is applied with -n",
                        object.kind, object.name
                    )
                } else if opts.default_namespace == "default" {
                    format!(
                        "{} {} names no namespace and is applied to the default namespace",
                        object.kind, object.name
                    )
                } else {
                    return;
                };
                let pos = object
                    .root
                    .entry("metadata")
                    .map_or(object.pos(), |e| e.key_pos);
                cx.report_object("metadata.namespace", pos, message);
            }
        }
    }
}
