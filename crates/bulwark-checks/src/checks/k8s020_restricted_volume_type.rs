//! K8S020 `restricted-volume-type`: a volume type the restricted level does not allow.

use bulwark_k8s::Node;
use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct RestrictedVolumeType;

/// Volume sources the restricted level allows.
const ALLOWED: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Volume sources the upstream check names, in the order it looks for them.
const KNOWN_RESTRICTED: &[&str] = &[
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
];

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S020",
    name: "restricted-volume-type",
    title: "Volume type not allowed by the restricted level",
    severity: Severity::Medium,
    category: Category::Misconfig,
    standards: &["pss-restricted/volume-types", "nsa-cisa/pod-security"],
    scope: Scope::Workload,
    what: "Reports every entry of `spec.volumes` that has none of the sources the restricted \
           level allows: configMap, csi, downwardAPI, emptyDir, ephemeral, image, \
           persistentVolumeClaim, projected, secret. hostPath, nfs, gitRepo, iscsi, the \
           in-tree cloud disks and any unknown source are reported. A volume with no source at \
           all is not: the API server defaults it to emptyDir.",
    why: "Volumes outside the allowed set mount storage that bypasses the cluster's \
          PersistentVolume controls: the node's file system (hostPath), network shares \
          chosen by the pod author (nfs, iscsi, cephfs), or a git clone run by the kubelet \
          as root (gitRepo, with known escapes).",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
  volumes:
  - name: content
    nfs: {server: 10.0.0.5, path: /exports/web}
",
    fix: "Use a PersistentVolumeClaim (the cluster administrator defines the PersistentVolume \
          behind it) or one of the ephemeral types: emptyDir, configMap, secret, projected, \
          downwardAPI, csi, ephemeral, image.",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
  volumes:
  - name: content
    persistentVolumeClaim: {claimName: web-content}
",
    peers: "Same meaning as the upstream `restrictedVolumes` admission check (with the \
            `image` type allowed since Kubernetes 1.33).",
    references: &[
        refs::PSS,
        "https://kubernetes.io/docs/concepts/storage/volumes/",
    ],
};

impl Check for RestrictedVolumeType {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        for (i, volume) in pod.volumes().iter().enumerate() {
            let Some(entries) = volume.as_map() else {
                continue;
            };
            let present = |k: &str| entries.iter().any(|e| e.key == k && !e.value.is_null());
            if ALLOWED.iter().any(|k| present(k)) {
                continue;
            }
            // The API server defaults a volume without any source to emptyDir, and admission
            // sees the defaulted pod.
            if entries.iter().all(|e| e.key == "name" || e.value.is_null()) {
                continue;
            }
            let name = volume
                .get("name")
                .and_then(Node::as_str)
                .unwrap_or("<unnamed>");
            let (kind, pos) = KNOWN_RESTRICTED
                .iter()
                .find_map(|k| {
                    volume
                        .entry(k)
                        .filter(|e| !e.value.is_null())
                        .map(|e| (*k, e.key_pos))
                })
                .unwrap_or(("unknown", volume.pos));
            cx.report_pod_keyed(
                &format!("volumes[{i}]"),
                &format!("volumes[{name}]"),
                pos,
                format!("volume {name:?} uses restricted volume type {kind:?}"),
            );
        }
    }
}
