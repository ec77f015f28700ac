//! Package URLs (<https://github.com/package-url/purl-spec>) built from the parts a cataloger
//! knows, and printed in [`Purl`]'s canonical form: every component percent-encoded except the
//! unreserved characters (`1:1.2.13` is `1%3A1.2.13`, an npm scope `@types` is `%40types`),
//! namespaces keeping their `/` separators, qualifiers sorted by key and those with an empty
//! value left out, as the specification asks.

use bulwark_model::purl::Purl;

/// `pkg:<ty>/<namespace>/<name>@<version>?<qualifiers>`; `namespace` may hold several
/// `/`-separated segments (Go module paths). An empty namespace segment, version or qualifier
/// value is left out.
pub(crate) fn build(
    ty: &str,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    qualifiers: &[(&str, &str)],
) -> String {
    let namespace: Vec<&str> = namespace
        .unwrap_or_default()
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let mut qualifiers: Vec<(String, String)> = qualifiers
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|&(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    qualifiers.sort_by(|a, b| a.0.cmp(&b.0));
    Purl {
        ty: ty.to_owned(),
        namespace: Some(namespace.join("/")).filter(|n| !n.is_empty()),
        name: name.to_owned(),
        version: Some(version.to_owned()).filter(|v| !v.is_empty()),
        qualifiers,
        subpath: None,
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_with_sorted_qualifiers() {
        assert_eq!(
            build(
                "deb",
                Some("debian"),
                "zlib1g",
                "1:1.2.13.dfsg-1",
                &[("distro", "debian-12"), ("arch", "amd64")]
            ),
            "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12"
        );
        assert_eq!(
            build(
                "golang",
                Some("github.com/a/b"),
                "c",
                "v1.0.0+incompatible",
                &[]
            ),
            "pkg:golang/github.com/a/b/c@v1.0.0%2Bincompatible"
        );
        assert_eq!(
            build("cargo", None, "libc", "0.2.1", &[("arch", "")]),
            "pkg:cargo/libc@0.2.1"
        );
    }
}
