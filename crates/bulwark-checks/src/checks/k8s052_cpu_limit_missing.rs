//! K8S052 `cpu-limit-missing`: a container can use all of the node's CPU.

use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::report_missing_limit;
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct CpuLimitMissing;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S052",
    name: "cpu-limit-missing",
    title: "Container has no CPU limit",
    severity: Severity::Low,
    category: Category::Misconfig,
    standards: &["nsa-cisa/resource-policies"],
    scope: Scope::Workload,
    what: "Reports every init or regular container without `resources.limits.cpu`. Some \
           operators deliberately leave CPU unlimited (relying on requests and CFS shares to \
           avoid throttling); they can skip this check without losing K8S041.",
    why: "Without a CPU limit a compromised container (a crypto miner, say) can take every \
          idle cycle of the node, slowing other tenants and hiding in the noise.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
    resources:
      limits: {memory: 256Mi}
",
    fix: "Set `resources.limits.cpu` on every container, or give the namespace a LimitRange \
          default.",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
    resources:
      limits: {memory: 256Mi, cpu: 500m}
",
    peers: "Same meaning as polaris `cpuLimitsMissing`, kube-linter `unset-cpu-requirements` \
            (limit part) and checkov CKV_K8S_11.",
    references: &[refs::NSA, refs::RESOURCES],
};

impl Check for CpuLimitMissing {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        report_missing_limit(cx, "cpu");
    }
}
