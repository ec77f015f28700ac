//! K8S009 `forbidden-apparmor-profile`: AppArmor confinement is turned off.

use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::{pod_sc_pos, profile_type, sc_pos, who};
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct ForbiddenAppArmorProfile;

const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S009",
    name: "forbidden-apparmor-profile",
    title: "AppArmor profile other than RuntimeDefault or Localhost",
    severity: Severity::Medium,
    category: Category::Misconfig,
    standards: &["pss-baseline/apparmor", "nsa-cisa/container-hardening"],
    scope: Scope::Workload,
    what: "Reports a pod or container `securityContext.appArmorProfile` whose `type` is not \
           `RuntimeDefault` or `Localhost` (for example `Unconfined`), and every pod \
           annotation `container.apparmor.security.beta.kubernetes.io/*` whose value is not \
           empty, `runtime/default` or `localhost/<profile>`. An absent profile passes.",
    why: "AppArmor confines what a process may open, mount and signal even when it runs as \
          root. An `Unconfined` profile removes that layer, which several container escapes \
          (for example through `/proc/sys/kernel/core_pattern`) rely on.",
    example: r"apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  annotations:
    container.apparmor.security.beta.kubernetes.io/web: unconfined
spec:
  containers:
  - name: web
    image: example.com/web:1.4
    securityContext:
      appArmorProfile: {type: Unconfined}
",
    fix: "Leave the profile unset (the runtime default applies) or set \
          `appArmorProfile: {type: RuntimeDefault}`; use `Localhost` with a profile loaded \
          on the nodes for stricter confinement. Replace the deprecated annotations with the \
          field.",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: example.com/web:1.4
    securityContext:
      appArmorProfile: {type: RuntimeDefault}
",
    peers: "Same meaning as the upstream `appArmorProfile` admission check. checkov \
            CKV_K8S_31-style AppArmor checks require a profile to be set, which is stricter \
            than the baseline level; their failures agree only where a profile is set to \
            something forbidden.",
    references: &[refs::PSS, refs::APPARMOR],
};

fn allowed_annotation(v: &str) -> bool {
    v.is_empty() || v == "runtime/default" || v.starts_with("localhost/")
}

impl Check for ForbiddenAppArmorProfile {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        if let Some(profile) = pod.sc(&["appArmorProfile"]) {
            let (allowed, t) = profile_type(profile);
            if !allowed {
                cx.report_pod(
                    "securityContext.appArmorProfile.type",
                    pod_sc_pos(&pod, &["appArmorProfile", "type"]),
                    format!("pod sets AppArmor profile type {t:?}"),
                );
            }
        }
        for c in pod.containers() {
            if let Some(profile) = c.sc(&["appArmorProfile"]) {
                let (allowed, t) = profile_type(profile);
                if !allowed {
                    cx.report_container(
                        &c,
                        "securityContext.appArmorProfile.type",
                        sc_pos(&c, &["appArmorProfile", "type"]),
                        format!("{} sets AppArmor profile type {t:?}", who(&c)),
                    );
                }
            }
        }
        let Some(annotations) = pod.annotations_node() else {
            return;
        };
        for e in annotations.as_map().unwrap_or(&[]) {
            if !e.key.starts_with(ANNOTATION_PREFIX) {
                continue;
            }
            let value = e.value.as_str().unwrap_or("");
            if !allowed_annotation(value) {
                cx.report_pod_metadata(
                    &format!("annotations[{:?}]", e.key),
                    e.key_pos,
                    format!(
                        "annotation {}={value:?} sets a forbidden AppArmor profile",
                        e.key
                    ),
                );
            }
        }
    }
}
