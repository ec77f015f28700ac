//! K8S043 `image-not-pinned-by-digest`: an image referenced by tag alone.

use bulwark_model::{Category, Severity};

use crate::checks::refs;
use crate::util::{field, parse_image, who};
use crate::{Check, CheckMeta, Cx, Scope};

pub(crate) struct ImageNotPinnedByDigest;

pub(crate) static META: CheckMeta = CheckMeta {
    id: "K8S043",
    name: "image-not-pinned-by-digest",
    title: "Image is not pinned by digest",
    severity: Severity::Low,
    category: Category::Misconfig,
    standards: &["nsa-cisa/image-security"],
    scope: Scope::Workload,
    what: "Reports every container whose `image` has no `@sha256:` (or other) digest.",
    why: "Tags can be moved to other content. Only a digest guarantees that the image \
          that was scanned and approved is the image that runs, on every node and after \
          every restart.",
    example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: nginx:1.27.2
",
    fix: "Append the digest of the approved image (`crane digest`, `skopeo inspect` or your \
          registry shows it): `nginx:1.27.2@sha256:…`. Let a bot (Renovate, Dependabot) keep \
          digests current.",
    fixed_example: r"apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: nginx:1.27.2@sha256:0d5fbf9d04dc4ce2ed0e5d6e2d8e27bc3a2e1ca0b4a45b1b2a34a8e14e1a2b3c
",
    peers: "Same meaning as checkov CKV_K8S_43.",
    references: &[refs::NSA, refs::IMAGES],
};

impl Check for ImageNotPinnedByDigest {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let pod = cx.pod();
        for c in pod.containers() {
            let Some((image_node, pos)) = field(Some(c.node), "image") else {
                continue;
            };
            let image = image_node.as_str().unwrap_or("");
            if parse_image(image).digest.is_none() {
                cx.report_container(
                    &c,
                    "image",
                    pos,
                    format!("{} uses image {image:?} without a digest", who(&c)),
                );
            }
        }
    }
}
