//! Package URLs (<https://github.com/package-url/purl-spec>), built from parts.
//!
//! Every component is percent-encoded except the unreserved characters `A–Z a–z 0–9 . - _ ~`,
//! so `1:1.2.13` becomes `1%3A1.2.13`, `+` becomes `%2B` and an npm scope `@types` becomes
//! `%40types`. Namespaces keep their `/` separators; qualifiers are sorted by key and those with
//! an empty value are left out, as the specification asks.

/// Percent-encodes `s` as a purl component.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(hex_digit(byte >> 4));
            out.push(hex_digit(byte & 0x0f));
        }
    }
    out
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789ABCDEF"[usize::from(nibble & 0x0f)])
}

/// `pkg:<ty>/<namespace>/<name>@<version>?<qualifiers>`; `namespace` may hold several
/// `/`-separated segments (Go module paths).
pub(crate) fn build(
    ty: &str,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    qualifiers: &[(&str, &str)],
) -> String {
    let mut out = format!("pkg:{ty}/");
    if let Some(namespace) = namespace.filter(|n| !n.is_empty()) {
        for segment in namespace.split('/').filter(|s| !s.is_empty()) {
            out.push_str(&encode(segment));
            out.push('/');
        }
    }
    out.push_str(&encode(name));
    if !version.is_empty() {
        out.push('@');
        out.push_str(&encode(version));
    }
    let mut qualifiers: Vec<&(&str, &str)> =
        qualifiers.iter().filter(|(_, v)| !v.is_empty()).collect();
    qualifiers.sort_by_key(|(k, _)| *k);
    for (i, (key, value)) in qualifiers.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(key);
        out.push('=');
        out.push_str(&encode(value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_reserved_characters() {
        assert_eq!(encode("1:1.2.13.dfsg-1"), "1%3A1.2.13.dfsg-1");
        assert_eq!(encode("5.2.15-2+b13"), "5.2.15-2%2Bb13");
        assert_eq!(encode("3.0.20-1~deb12u2"), "3.0.20-1~deb12u2");
        assert_eq!(encode("@xmldom"), "%40xmldom");
        assert_eq!(encode("é"), "%C3%A9");
    }

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
