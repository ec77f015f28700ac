//! K8S040 `writable-root-filesystem`: a container can write to its image's file system.

use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::report_unless_container_sets;
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct WritableRootFilesystem;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S040",
    name: "writable-root-filesystem",
    title: "Root file system is writable",
    severity: Severity::Low,
    category: Category::Misconfig,
    standards: &["nsa-cisa/immutable-filesystems"],
    scope: Scope::Workload,
    what: "Reports every container (init, regular or ephemeral) that does not set \
           `securityContext.readOnlyRootFilesystem: true`. Windows pods are exempt: the API \
           does not allow the field for them.",
    why: "A writable root file system lets an attacker drop tools and binaries into the \
          container, replace the application's own files or plant persistence. An immutable \
          container makes such drift impossible (and easy to detect at runtime).",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
",
    fix: "Set `securityContext.readOnlyRootFilesystem: true` and mount an `emptyDir` at the \
          few paths the application writes to (`/tmp`, caches).",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
    securityContext:
      readOnlyRootFilesystem: true
    volumeMounts: [{name: tmp, mountPath: /tmp}]
  volumes:
  - {name: tmp, emptyDir: {}}
",
    peers: "Same meaning as polaris `notReadOnlyRootFilesystem`, kube-linter \
            `no-read-only-root-fs` and checkov CKV_K8S_22 (which look only at regular \
            containers; this check also covers init and ephemeral containers).",
    references: &[refs::NSA, refs::SECURITY_CONTEXT],
};

impl Check for WritableRootFilesystem {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        // Windows containers cannot have a read-only root file system (the API rejects it).
        if cx.pod().is_windows() {
            return;
        }
        report_unless_container_sets(
            cx,
            "readOnlyRootFilesystem",
            true,
            "does not set readOnlyRootFilesystem: true",
        );
    }
}
