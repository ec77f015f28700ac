//! Which mesh, if any, injects a proxy into a workload's pods: Istio's and Linkerd's injection
//! webhooks replayed over labels and annotations.

use bulwark_k8s::{Namespace, Node, Workload};

use crate::MeshKind;
use crate::util::{annotation, pod_annotation};

/// Istio's namespace injection label.
pub(crate) const ISTIO_INJECTION: &str = "istio-injection";
/// Istio's revision label (namespace or pod).
pub(crate) const ISTIO_REV: &str = "istio.io/rev";
/// Istio's per-pod injection label (and deprecated annotation).
pub(crate) const ISTIO_INJECT: &str = "sidecar.istio.io/inject";
/// Linkerd's injection annotation (namespace or pod).
pub(crate) const LINKERD_INJECT: &str = "linkerd.io/inject";

/// Namespaces no injector ever touches.
const NEVER_INJECTED: &[&str] = &["kube-system", "kube-public"];

/// Whether a workload is in a mesh, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The mesh whose proxy runs in the pods, if any.
    pub mesh: Option<MeshKind>,
    /// Why, in words (`namespace label istio-injection=enabled`).
    pub reason: String,
}

/// Istio's truthiness for `sidecar.istio.io/inject` (`y`, `yes`, `true`, `on`; empty means the
/// default, which is to inject).
fn istio_truthy(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "" | "y" | "yes" | "true" | "on"
    )
}

fn has_container(w: &Workload<'_>, name: &str) -> bool {
    w.pod.containers().any(|c| c.name == name)
}

/// Istio's decision, or `None` when Istio does not inject.
fn istio(ns: Option<&Namespace<'_>>, w: &Workload<'_>) -> Result<String, Option<String>> {
    let ns_label = |k: &str| ns.and_then(|n| n.labels.get(k)).map(String::as_str);
    let label = w.labels.get(ISTIO_INJECT).map(String::as_str);
    let ann = pod_annotation(w, ISTIO_INJECT);
    let pod_rev = w.labels.get(ISTIO_REV);
    // Which webhook (if any) the API server calls, per Istio's default
    // MutatingWebhookConfiguration selectors.
    let called = match ns_label(ISTIO_INJECTION) {
        Some("enabled") => {
            if label == Some("false") {
                return Err(Some("pod label sidecar.istio.io/inject=false".into()));
            }
            "namespace label istio-injection=enabled".to_string()
        }
        Some(other) => {
            return Err(
                (other == "disabled").then(|| "namespace label istio-injection=disabled".into())
            );
        }
        None => {
            if let Some(rev) = ns_label(ISTIO_REV) {
                if label == Some("false") {
                    return Err(Some("pod label sidecar.istio.io/inject=false".into()));
                }
                format!("namespace label istio.io/rev={rev}")
            } else if label == Some("true") {
                "pod label sidecar.istio.io/inject=true".to_string()
            } else if let Some(rev) = pod_rev.filter(|_| label != Some("false")) {
                format!("pod label istio.io/rev={rev}")
            } else {
                return Err(None);
            }
        }
    };
    // The injector itself: the label, else the annotation, decides; unset means inject.
    match label
        .map(|v| ("label", v))
        .or(ann.map(|v| ("annotation", v)))
    {
        Some((kind, v)) if !istio_truthy(v) => {
            Err(Some(format!("pod {kind} sidecar.istio.io/inject={v}")))
        }
        _ => Ok(called),
    }
}

/// Linkerd's decision: `Ok(reason)` when injected, `Err(Some(reason))` when explicitly
/// disabled, `Err(None)` when nothing asks for it.
fn linkerd(ns: Option<&Namespace<'_>>, w: &Workload<'_>) -> Result<String, Option<String>> {
    if ns
        .and_then(|n| n.labels.get("config.linkerd.io/admission-webhooks"))
        .is_some_and(|v| v == "disabled")
    {
        return Err(None);
    }
    let decide = |v: &str, whose: &str| match v {
        "enabled" | "ingress" => Ok(format!("{whose} annotation linkerd.io/inject={v}")),
        "disabled" => Err(Some(format!(
            "{whose} annotation linkerd.io/inject=disabled"
        ))),
        _ => Err(None),
    };
    if let Some(v) = pod_annotation(w, LINKERD_INJECT) {
        return decide(v, "pod");
    }
    match ns
        .and_then(|n| n.object)
        .and_then(|o| annotation(o, LINKERD_INJECT))
    {
        Some(v) => decide(v, "namespace"),
        None => Err(None),
    }
}

/// The mesh that injects `w`, given its namespace.
pub(crate) fn membership(ns: Option<&Namespace<'_>>, w: &Workload<'_>) -> Membership {
    // Pods injected by hand (`istioctl kube-inject`, `linkerd inject --manual`) carry the proxy.
    if has_container(w, "istio-proxy") {
        return Membership {
            mesh: Some(MeshKind::Istio),
            reason: "the pod template already has an istio-proxy container".into(),
        };
    }
    if has_container(w, "linkerd-proxy") {
        return Membership {
            mesh: Some(MeshKind::Linkerd),
            reason: "the pod template already has a linkerd-proxy container".into(),
        };
    }
    if NEVER_INJECTED.contains(&&*w.namespace) {
        return Membership {
            mesh: None,
            reason: format!("namespace {} is never injected", w.namespace),
        };
    }
    let istio = istio(ns, w);
    let linkerd = linkerd(ns, w);
    if w.host_network && (istio.is_ok() || linkerd.is_ok()) {
        return Membership {
            mesh: None,
            reason: "hostNetwork pods are never injected".into(),
        };
    }
    match (istio, linkerd) {
        (Ok(r), _) => Membership {
            mesh: Some(MeshKind::Istio),
            reason: r,
        },
        (_, Ok(r)) => Membership {
            mesh: Some(MeshKind::Linkerd),
            reason: r,
        },
        (Err(a), Err(b)) => Membership {
            mesh: None,
            reason: a
                .or(b)
                .unwrap_or_else(|| "no injection label or annotation".into()),
        },
    }
}

/// Whether a namespace would inject pods that say nothing themselves (what hostNetwork and
/// opted-out pods miss), and by which mesh.
pub(crate) fn namespace_injects(ns: &Namespace<'_>) -> Option<MeshKind> {
    if NEVER_INJECTED.contains(&ns.name.as_str()) {
        return None;
    }
    let istio = match ns.labels.get(ISTIO_INJECTION) {
        Some(v) => v == "enabled",
        None => ns.labels.contains_key(ISTIO_REV),
    };
    if istio {
        return Some(MeshKind::Istio);
    }
    ns.object
        .and_then(|o| annotation(o, LINKERD_INJECT))
        .filter(|v| matches!(*v, "enabled" | "ingress"))
        .map(|_| MeshKind::Linkerd)
}

/// Whether the pod template turns injection off explicitly, with the node that does.
pub(crate) fn pod_opt_out<'a>(w: &Workload<'a>) -> Option<(&'a Node, String)> {
    let meta = w.pod.metadata?;
    if let Some(n) = meta.path(&["labels", ISTIO_INJECT])
        && n.as_str().is_some_and(|v| !istio_truthy(v))
    {
        return Some((n, format!("{}.labels", w.pod.metadata_path)));
    }
    for key in [ISTIO_INJECT, LINKERD_INJECT] {
        if let Some(n) = meta.path(&["annotations", key]) {
            let off = n.as_str().is_some_and(|v| {
                if key == LINKERD_INJECT {
                    v == "disabled"
                } else {
                    !istio_truthy(v)
                }
            });
            if off {
                return Some((n, format!("{}.annotations", w.pod.metadata_path)));
            }
        }
    }
    None
}
