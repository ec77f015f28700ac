//! K8S041 `memory-limit-missing`: a container can use all of the node's memory.

use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::report_missing_limit;
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct MemoryLimitMissing;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S041",
    name: "memory-limit-missing",
    title: "Container has no memory limit",
    severity: Severity::Low,
    category: Category::Misconfig,
    standards: &["nsa-cisa/resource-policies"],
    scope: Scope::Workload,
    what: "Reports every init or regular container without `resources.limits.memory`. A \
           LimitRange in the namespace can supply a default, which a manifest scan cannot \
           see; suppress the check for such namespaces.",
    why: "Without a memory limit a compromised or leaking container can exhaust the node's \
          memory and get other tenants' pods killed: a denial of service that needs no \
          privileges.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
    resources:
      requests: {memory: 128Mi}
",
    fix: "Set `resources.limits.memory` on every container (equal to the request for a \
          guaranteed quality of service), or give the namespace a LimitRange default.",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
    resources:
      requests: {memory: 128Mi}
      limits: {memory: 256Mi}
",
    peers: "Same meaning as polaris `memoryLimitsMissing`, kube-linter \
            `unset-memory-requirements` (limit part) and checkov CKV_K8S_13.",
    references: &[refs::NSA, refs::RESOURCES],
};

impl Check for MemoryLimitMissing {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        report_missing_limit(cx, "memory");
    }
}
