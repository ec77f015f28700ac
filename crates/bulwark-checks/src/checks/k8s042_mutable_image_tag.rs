//! K8S042 `mutable-image-tag`: an image referenced by `latest` or by no tag.

use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::{field, parse_image, who};
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct MutableImageTag;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S042",
    name: "mutable-image-tag",
    title: "Image uses the latest tag or no tag",
    severity: Severity::Medium,
    category: Category::Misconfig,
    standards: &["nsa-cisa/image-security"],
    scope: Scope::Workload,
    what: "Reports every container whose `image` has no tag or the tag `latest` and no \
           digest. An image pinned by digest passes whatever its tag. A container without \
           an `image` is reported too.",
    why: "`latest` (the default when no tag is given) moves: every node pull may run \
          different code, a rollback does not roll back, and a compromised registry or \
          publisher can replace what runs without any change to the manifest. Immutable \
          deployments need immutable references.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: nginx:latest
  - name: sidecar
    image: example.com/proxy
",
    fix: "Reference a specific version tag, and preferably the digest as well \
          (`nginx:1.27.2@sha256:…`).",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: nginx:1.27.2
  - name: sidecar
    image: example.com/proxy:3.1@sha256:0d5fbf9d04dc4ce2ed0e5d6e2d8e27bc3a2e1ca0b4a45b1b2a34a8e14e1a2b3c
",
    peers: "Same meaning as polaris `tagNotSpecified`, kube-linter `latest-tag` and checkov \
            CKV_K8S_14.",
    references: &[refs::NSA, refs::IMAGES],
};

impl Check for MutableImageTag {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        for c in pod.containers() {
            let Some((image_node, pos)) = field(Some(c.node), "image") else {
                cx.report_container(&c, "image", c.node.pos, format!("{} has no image", who(&c)));
                continue;
            };
            let image = image_node.as_str().unwrap_or("");
            let r = parse_image(image);
            if r.digest.is_some() {
                continue;
            }
            match r.tag {
                None => cx.report_container(
                    &c,
                    "image",
                    pos,
                    format!(
                        "{} uses image {image:?} without a tag (defaults to latest)",
                        who(&c)
                    ),
                ),
                Some("latest") => cx.report_container(
                    &c,
                    "image",
                    pos,
                    format!(
                        "{} uses image {image:?} with the mutable tag latest",
                        who(&c)
                    ),
                ),
                Some(_) => {}
            }
        }
    }
}
