//! Helpers shared by several checks.

use bulwark_k8s::{ContainerRef, Node, PodTemplate, Pos};

/// `"a", "b"`: each item quoted, joined by `, `.
pub(crate) fn quoted<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| format!("{:?}", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The value of `key` in `map` and the position of the key (the line users look for).
pub(crate) fn field<'a>(map: Option<&'a Node>, key: &str) -> Option<(&'a Node, Pos)> {
    let e = map?.entry(key)?;
    if e.value.is_null() {
        return None;
    }
    Some((&e.value, e.key_pos))
}

/// The position of the deepest existing field along `securityContext.<keys>` below `node`
/// (a container or a pod spec), else of `node` itself: the line a user looks for.
fn descend_pos(node: &Node, keys: &[&str]) -> Pos {
    let mut node = node;
    let mut pos = node.pos;
    for key in std::iter::once(&"securityContext").chain(keys) {
        match node.entry(key) {
            Some(e) if !e.value.is_null() => {
                pos = e.key_pos;
                node = &e.value;
            }
            _ => break,
        }
    }
    pos
}

/// Where to report a container finding about `securityContext.<keys>`.
pub(crate) fn sc_pos(c: &ContainerRef<'_>, keys: &[&str]) -> Pos {
    descend_pos(c.node, keys)
}

/// Where to report a pod finding about `spec.securityContext.<keys>`.
pub(crate) fn pod_sc_pos(pod: &PodTemplate<'_>, keys: &[&str]) -> Pos {
    descend_pos(pod.spec, keys)
}

/// Whether a seccomp or AppArmor profile mapping has an allowed `type` (`RuntimeDefault` or
/// `Localhost`), and the type as written (`""` when missing).
pub(crate) fn profile_type(profile: &Node) -> (bool, &str) {
    let t = profile.get("type").and_then(Node::as_str).unwrap_or("");
    (matches!(t, "RuntimeDefault" | "Localhost"), t)
}

/// Names how a container is referred to in messages: `container "app"`, `init container "x"`.
pub(crate) fn who(c: &ContainerRef<'_>) -> String {
    format!("{} {:?}", c.kind.noun(), c.name)
}

/// The strings of a sequence of scalars, with each item's position.
pub(crate) fn strings(node: Option<&Node>) -> Vec<(&str, Pos)> {
    node.and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .filter_map(|n| Some((n.as_str()?, n.pos)))
        .collect()
}

/// A container image reference split into its parts.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ImageRef<'a> {
    /// Registry and repository, e.g. `ghcr.io/org/app`.
    pub repository: &'a str,
    /// The tag, if one is given.
    pub tag: Option<&'a str>,
    /// The digest (`sha256:…`), if one is given.
    pub digest: Option<&'a str>,
}

/// Splits `[registry[:port]/]path[:tag][@digest]`.
pub(crate) fn parse_image(image: &str) -> ImageRef<'_> {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d).filter(|d| !d.is_empty())),
        None => (image, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (repository, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (
            &rest[..last_slash + i],
            Some(&rest[last_slash + i + 1..]).filter(|t| !t.is_empty()),
        ),
        None => (rest, None),
    };
    ImageRef {
        repository,
        tag,
        digest,
    }
}

/// Whether a capability list entry names `cap` the way container runtimes read it: case
/// does not matter and a `CAP_` prefix is optional (containerd and CRI-O upper-case and prefix
/// the names they are given).
pub(crate) fn cap_matches(entry: &str, cap: &str) -> bool {
    let e = entry.trim();
    let e = e
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("CAP_"))
        .map_or(e, |_| &e[4..]);
    e.eq_ignore_ascii_case(cap)
}

/// Reports `spec.<field>: true` (the host-namespace checks).
pub(crate) fn report_true_pod_field(cx: &mut crate::Cx<'_>, field_name: &str, consequence: &str) {
    let pod = cx.pod();
    if let Some((v, pos)) = field(Some(pod.spec), field_name)
        && v.as_bool() == Some(true)
    {
        cx.report_pod(
            field_name,
            pos,
            format!("pod sets {field_name}: true: {consequence}"),
        );
    }
}

/// Reports containers without `resources.limits.<resource>` (the limit checks). Ephemeral
/// containers are skipped: the API does not allow resources on them.
pub(crate) fn report_missing_limit(cx: &mut crate::Cx<'_>, resource: &str) {
    let pod = cx.pod();
    for c in pod.containers() {
        if c.kind == bulwark_k8s::ContainerKind::Ephemeral {
            continue;
        }
        let limits = c.node.path(&["resources", "limits"]);
        if limits.and_then(|l| l.get(resource)).is_some() {
            continue;
        }
        let resources = c.node.entry("resources");
        let pos = resources
            .and_then(|r| r.value.entry("limits"))
            .or(resources)
            .map_or(c.node.pos, |e| e.key_pos);
        cx.report_container(
            &c,
            &format!("resources.limits.{resource}"),
            pos,
            format!("{} sets no {resource} limit", who(&c)),
        );
    }
}

/// The service account a pod runs as (`serviceAccountName`, the deprecated
/// `serviceAccount`, else `default`) and where that is written.
pub(crate) fn service_account<'a>(pod: &PodTemplate<'a>) -> (&'a str, Option<Pos>) {
    for key in ["serviceAccountName", "serviceAccount"] {
        if let Some((v, pos)) = field(Some(pod.spec), key)
            && let Some(name) = v.as_str().filter(|n| !n.is_empty())
        {
            return (name, Some(pos));
        }
    }
    ("default", None)
}

/// Whether the pod gets a service-account token mounted, and whether someone decided that
/// explicitly: `Some(true/false)` when the pod or its ServiceAccount object sets
/// `automountServiceAccountToken` (the pod's setting wins), `None` when neither does (the
/// token is mounted by default).
pub(crate) fn token_automount(cx: &crate::Cx<'_>, pod: &PodTemplate<'_>, sa: &str) -> Option<bool> {
    if let Some(v) = pod
        .spec
        .get("automountServiceAccountToken")
        .and_then(Node::as_bool)
    {
        return Some(v);
    }
    let ns = cx
        .object
        .effective_namespace(&cx.options.default_namespace)
        .unwrap_or_default();
    cx.snapshot
        .service_account(&ns, sa)
        .and_then(|o| o.root.get("automountServiceAccountToken"))
        .and_then(Node::as_bool)
}

/// Reports every container whose `securityContext.procMount` is set to something other than
/// `Default` (the /proc mount checks); `note` is appended to the message.
pub(crate) fn report_unmasked_proc_mounts(cx: &mut crate::Cx<'_>, note: &str) {
    let pod = cx.pod();
    for c in pod.containers() {
        if let Some(mount) = c.sc(&["procMount"]).and_then(Node::as_str)
            && mount != "Default"
        {
            cx.report_container(
                &c,
                "securityContext.procMount",
                sc_pos(&c, &["procMount"]),
                format!("{} sets securityContext.procMount: {mount}{note}", who(&c)),
            );
        }
    }
}

/// Reports every container whose `securityContext.<key>` is not explicitly `wanted` (Windows
/// pods are skipped by the callers that need it). `unset` completes the message when the field
/// is missing, e.g. `does not set readOnlyRootFilesystem: true`.
pub(crate) fn report_unless_container_sets(
    cx: &mut crate::Cx<'_>,
    key: &str,
    wanted: bool,
    unset: &str,
) {
    let pod = cx.pod();
    for c in pod.containers() {
        let value = c.sc(&[key]);
        if value.and_then(Node::as_bool) == Some(wanted) {
            continue;
        }
        let message = match value {
            Some(v) => format!("{} sets {key}: {v}", who(&c)),
            None => format!("{} {unset}", who(&c)),
        };
        cx.report_container(
            &c,
            &format!("securityContext.{key}"),
            sc_pos(&c, &[key]),
            message,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references() {
        let cases = [
            ("nginx", "nginx", None, None),
            ("nginx:1.25", "nginx", Some("1.25"), None),
            ("localhost:5000/app", "localhost:5000/app", None, None),
            (
                "localhost:5000/app:v1",
                "localhost:5000/app",
                Some("v1"),
                None,
            ),
            (
                "ghcr.io/o/a@sha256:abc",
                "ghcr.io/o/a",
                None,
                Some("sha256:abc"),
            ),
            (
                "ghcr.io/o/a:1@sha256:abc",
                "ghcr.io/o/a",
                Some("1"),
                Some("sha256:abc"),
            ),
        ];
        for (image, repository, tag, digest) in cases {
            assert_eq!(
                parse_image(image),
                ImageRef {
                    repository,
                    tag,
                    digest
                },
                "{image}"
            );
        }
    }

    #[test]
    fn capability_names_as_runtimes_read_them() {
        assert!(cap_matches("NET_RAW", "NET_RAW"));
        assert!(cap_matches("net_raw", "NET_RAW"));
        assert!(cap_matches("CAP_NET_RAW", "NET_RAW"));
        assert!(!cap_matches("NET_ADMIN", "NET_RAW"));
    }
}
