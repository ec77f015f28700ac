//! K8S053 `unused-secret-volume`: a pod brings in a Secret that none of its containers mounts.

use bulwark_k8s::Node;
use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct UnusedSecretVolume;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S053",
    name: "unused-secret-volume",
    title: "Secret volume mounted by no container",
    severity: Severity::Low,
    category: Category::Secret,
    standards: &["nsa-cisa/secrets"],
    scope: Scope::Workload,
    what: "Reports a pod volume of type `secret`, or a `projected` volume with a `secret` \
           source, that no container (init, regular or ephemeral) lists in its \
           `volumeMounts`.",
    why: "The kubelet still fetches the Secret and writes it to the node for the pod, and the \
          pod's RBAC footprint and blast radius include it, for no use. Unused references are \
          also how Secrets outlive the code that needed them: nobody dares delete a Secret \
          that a manifest still names.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop}
spec:
  containers:
  - name: api
    image: example.com/api:2.0
    volumeMounts: [{name: config, mountPath: /etc/api}]
  volumes:
  - name: config
    configMap: {name: api}
  - name: old-db
    secret: {secretName: db-2021}
",
    fix: "Remove the volume, or mount it in the container that needs it.",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop}
spec:
  containers:
  - name: api
    image: example.com/api:2.0
    volumeMounts: [{name: config, mountPath: /etc/api}]
  volumes:
  - name: config
    configMap: {name: api}
",
    peers: "No peer in our comparison set checks this.",
    references: &[refs::SECRETS],
};

impl Check for UnusedSecretVolume {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        let mounted: Vec<&str> = pod
            .containers()
            .flat_map(|c| {
                c.node
                    .get("volumeMounts")
                    .and_then(Node::as_seq)
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|m| m.get("name").and_then(Node::as_str))
            })
            .collect();
        for (i, v) in pod.volumes().iter().enumerate() {
            let name = v.get("name").and_then(Node::as_str).unwrap_or("<unnamed>");
            let secrets: Vec<&str> = v
                .path(&["secret", "secretName"])
                .and_then(Node::as_str)
                .into_iter()
                .chain(
                    v.path(&["projected", "sources"])
                        .and_then(Node::as_seq)
                        .unwrap_or(&[])
                        .iter()
                        .filter_map(|s| s.path(&["secret", "name"]).and_then(Node::as_str)),
                )
                .collect();
            if secrets.is_empty() || mounted.contains(&name) {
                continue;
            }
            let list = secrets
                .iter()
                .map(|s| format!("{s:?}"))
                .collect::<Vec<_>>()
                .join(", ");
            let noun = if secrets.len() == 1 {
                "Secret"
            } else {
                "Secrets"
            };
            cx.report_pod_keyed(
                &format!("volumes[{i}]"),
                &format!("volumes[{name}]"),
                v.pos,
                format!(
                    "volume {name:?} brings {noun} {list} into the pod but no container mounts it"
                ),
            );
        }
    }
}
