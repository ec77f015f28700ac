//! Package URLs (<https://github.com/package-url/purl-spec>): parsed, percent-decoded and
//! printed in canonical form.
//!
//! Parsing follows the specification's "how to parse" steps (subpath split from the right on
//! `#`, qualifiers on `?`, the `pkg` scheme, the type, the version after the last `@`, the name,
//! the namespace), percent-decoding every component; a decoded `/` separates namespace and
//! subpath segments like a written one. Two leniencies, both for purls written by hand (in VEX
//! documents, in SBOMs): an `@` only separates the version when no `/` follows it (so the
//! unencoded `pkg:npm/@angular/core` is a scoped name without a version, not version
//! `angular/core`), and surrounding whitespace is ignored. A [`Purl`] keeps the components as
//! written (decoded); comparing them the way each type asks is left to its users.
//!
//! The canonical form ([`Purl`]'s `Display`) percent-encodes every component except the
//! unreserved characters `A–Z a–z 0–9 . - _ ~`, so `1:1.2.13` becomes `1%3A1.2.13`, `+` becomes
//! `%2B` and an npm scope `@types` becomes `%40types`; namespaces and subpaths keep their `/`
//! separators, and qualifiers are sorted by key.

use std::fmt;
use std::str::FromStr;

/// Longest purl [`Purl::parse`] accepts, in bytes.
pub const MAX_LEN: usize = 64 * 1024;

/// Types that name container images rather than packages.
const IMAGE_TYPES: &[&str] = &["oci", "docker"];

/// A parsed package URL. Components are percent-decoded and otherwise as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    /// The type, lowercased (`deb`, `npm`, `oci` …).
    pub ty: String,
    /// The namespace, its segments joined by `/` (`debian`, `@angular`, `github.com/a/b`); no
    /// segment is empty.
    pub namespace: Option<String>,
    /// The name.
    pub name: String,
    /// The version.
    pub version: Option<String>,
    /// Qualifiers with lowercased keys, sorted by key; empty values are dropped and a repeated
    /// key keeps its first value.
    pub qualifiers: Vec<(String, String)>,
    /// The subpath, its segments joined by `/`; none is empty, `.` or `..`.
    pub subpath: Option<String>,
}

/// Why a string is not a package URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PurlError {
    /// The string is longer than [`MAX_LEN`].
    #[error("longer than {limit} bytes")]
    TooLong {
        /// The limit.
        limit: usize,
    },
    /// The string does not start with the `pkg:` scheme.
    #[error("does not start with `pkg:`")]
    Scheme,
    /// The type is missing or holds characters other than letters, digits, `.`, `+` and `-`
    /// (or starts with a digit).
    #[error("no valid type")]
    Type,
    /// The name is missing.
    #[error("no name")]
    Name,
    /// A `%` is not followed by two hex digits, or the decoded bytes are not UTF-8.
    #[error("bad percent-encoding in the {component}")]
    Encoding {
        /// Which component (`name`, `version`, `qualifier value` …).
        component: &'static str,
    },
}

impl Purl {
    /// Parses `s`.
    pub fn parse(s: &str) -> Result<Purl, PurlError> {
        if s.len() > MAX_LEN {
            return Err(PurlError::TooLong { limit: MAX_LEN });
        }
        let s = s.trim();
        let (rest, subpath) = match s.rsplit_once('#') {
            Some((rest, sub)) => (rest, parse_subpath(sub)?),
            None => (s, None),
        };
        let (rest, qualifiers) = match rest.rsplit_once('?') {
            Some((rest, q)) => (rest, parse_qualifiers(q)?),
            None => (rest, Vec::new()),
        };
        let (scheme, rest) = rest.split_once(':').ok_or(PurlError::Scheme)?;
        if !scheme.eq_ignore_ascii_case("pkg") {
            return Err(PurlError::Scheme);
        }
        let rest = rest.trim_start_matches('/');
        let (ty, rest) = rest.split_once('/').ok_or(PurlError::Type)?;
        if !valid_type(ty) {
            return Err(PurlError::Type);
        }
        let (rest, version) = match rest.rfind('@') {
            Some(at) if !rest[at + 1..].contains('/') => {
                let v = decode(&rest[at + 1..], "version")?;
                (&rest[..at], Some(v).filter(|v| !v.is_empty()))
            }
            _ => (rest, None),
        };
        let rest = rest.trim_end_matches('/');
        let (namespace, name) = match rest.rsplit_once('/') {
            Some((ns, name)) => (Some(ns), name),
            None => (None, rest),
        };
        let name = decode(name, "name")?;
        if name.is_empty() {
            return Err(PurlError::Name);
        }
        let namespace = match namespace {
            Some(ns) => {
                let decoded = ns
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(|s| decode(s, "namespace"))
                    .collect::<Result<Vec<_>, _>>()?;
                // A decoded `%2F` separates segments too, so none is empty.
                let segments: Vec<&str> = decoded
                    .iter()
                    .flat_map(|s| s.split('/'))
                    .filter(|s| !s.is_empty())
                    .collect();
                Some(segments.join("/")).filter(|n| !n.is_empty())
            }
            None => None,
        };
        Ok(Purl {
            ty: ty.to_ascii_lowercase(),
            namespace,
            name,
            version,
            qualifiers,
            subpath,
        })
    }

    /// The value of qualifier `key` (lowercase).
    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether this names a container image (`pkg:oci`, `pkg:docker`) rather than a package.
    pub fn is_image(&self) -> bool {
        IMAGE_TYPES.contains(&self.ty.as_str())
    }
}

impl FromStr for Purl {
    type Err = PurlError;

    fn from_str(s: &str) -> Result<Purl, PurlError> {
        Purl::parse(s)
    }
}

impl fmt::Display for Purl {
    /// The canonical form: every component percent-encoded except unreserved characters,
    /// qualifiers sorted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pkg:{}/", self.ty)?;
        if let Some(ns) = &self.namespace {
            for segment in ns.split('/') {
                write!(f, "{}/", encode(segment))?;
            }
        }
        f.write_str(&encode(&self.name))?;
        if let Some(v) = &self.version {
            write!(f, "@{}", encode(v))?;
        }
        for (i, (k, v)) in self.qualifiers.iter().enumerate() {
            write!(f, "{}{k}={}", if i == 0 { '?' } else { '&' }, encode(v))?;
        }
        if let Some(sub) = &self.subpath {
            let encoded: Vec<String> = sub.split('/').map(encode).collect();
            write!(f, "#{}", encoded.join("/"))?;
        }
        Ok(())
    }
}

/// Whether `s` starts like a purl (`pkg:`, any case), whether or not it parses.
pub fn looks_like_purl(s: &str) -> bool {
    s.trim_start()
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("pkg:"))
}

/// PEP 503 normalisation of a Python package name: lowercase, and every run of `-`, `_` and `.`
/// becomes one `-` (`Foo__Bar.-baz` is `foo-bar-baz`). PyPI, and so `pkg:pypi`, compares names
/// this way.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

/// Percent-decodes `s`; `component` names it in the error.
pub fn decode(s: &str, component: &'static str) -> Result<String, PurlError> {
    if !s.contains('%') {
        return Ok(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |j: usize| bytes.get(j).and_then(|b| char::from(*b).to_digit(16));
            match (hex(i + 1), hex(i + 2)) {
                (Some(hi), Some(lo)) => {
                    // Two hex digits make at most 0xff.
                    out.push(u8::try_from(hi * 16 + lo).unwrap_or(u8::MAX));
                    i += 3;
                }
                _ => return Err(PurlError::Encoding { component }),
            }
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| PurlError::Encoding { component })
}

/// Percent-encodes `s` as a purl component: every byte but the unreserved characters.
fn encode(s: &str) -> String {
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

fn valid_type(ty: &str) -> bool {
    ty.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'))
        && ty.bytes().next().is_some_and(|b| !b.is_ascii_digit())
}

fn parse_subpath(s: &str) -> Result<Option<String>, PurlError> {
    let mut segments = Vec::new();
    for segment in s.split('/') {
        let segment = decode(segment, "subpath")?;
        // A decoded `%2F` separates segments too.
        for part in segment.split('/') {
            if !part.is_empty() && part != "." && part != ".." {
                segments.push(part.to_owned());
            }
        }
    }
    Ok(Some(segments.join("/")).filter(|s| !s.is_empty()))
}

fn parse_qualifiers(s: &str) -> Result<Vec<(String, String)>, PurlError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for pair in s.split('&') {
        let Some((key, value)) = pair.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let value = decode(value, "qualifier value")?;
        if key.is_empty() || value.is_empty() || out.iter().any(|(k, _)| *k == key) {
            continue;
        }
        out.push((key, value));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> Purl {
        Purl::parse(s).expect("a valid purl")
    }

    #[test]
    fn parses_every_component() {
        let purl = p("pkg:deb/debian/bash@1%3A5.2.15-2%2Bb2?distro=debian-12&ARCH=amd64&x=#a/./b");
        assert_eq!(purl.ty, "deb");
        assert_eq!(purl.namespace.as_deref(), Some("debian"));
        assert_eq!(purl.name, "bash");
        assert_eq!(purl.version.as_deref(), Some("1:5.2.15-2+b2"));
        assert_eq!(
            purl.qualifiers,
            vec![
                ("arch".to_owned(), "amd64".to_owned()),
                ("distro".to_owned(), "debian-12".to_owned())
            ]
        );
        assert_eq!(purl.subpath.as_deref(), Some("a/b"));
        assert_eq!(purl.qualifier("arch"), Some("amd64"));
    }

    #[test]
    fn parses_scopes_namespaces_and_missing_versions() {
        let scoped = p("pkg:npm/%40angular/core@12.3.1");
        assert_eq!(scoped.namespace.as_deref(), Some("@angular"));
        assert_eq!(scoped.name, "core");
        assert_eq!(scoped.version.as_deref(), Some("12.3.1"));
        let unencoded = p("pkg:npm/@angular/core");
        assert_eq!(unencoded.namespace.as_deref(), Some("@angular"));
        assert_eq!(unencoded.name, "core");
        assert_eq!(unencoded.version, None);
        let go = p("pkg:golang/github.com/gorilla/context@v1.1.1");
        assert_eq!(go.namespace.as_deref(), Some("github.com/gorilla"));
        assert_eq!(go.name, "context");
        let plain = p("PKG://PyPI/Django@");
        assert_eq!(plain.ty, "pypi");
        assert_eq!(plain.name, "Django");
        assert_eq!(plain.version, None);
        let unencoded_epoch = p("pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64");
        assert_eq!(unencoded_epoch.version.as_deref(), Some("1:1.2.13.dfsg-1"));
        let oci =
            p("pkg:oci/debian@sha256%3A244fd47e07d10?repository_url=docker.io/library/debian");
        assert!(oci.is_image());
        assert_eq!(oci.version.as_deref(), Some("sha256:244fd47e07d10"));
    }

    #[test]
    fn rejects_what_is_not_a_purl() {
        assert_eq!(Purl::parse("deb/debian/bash"), Err(PurlError::Scheme));
        assert_eq!(Purl::parse("http://x/y"), Err(PurlError::Scheme));
        assert_eq!(Purl::parse("pkg:bash"), Err(PurlError::Type));
        assert_eq!(Purl::parse("pkg:1deb/x"), Err(PurlError::Type));
        assert_eq!(Purl::parse("pkg:d$b/x"), Err(PurlError::Type));
        assert_eq!(Purl::parse("pkg:deb//"), Err(PurlError::Name));
        // Trailing slashes are stripped before the name is split off.
        assert_eq!(p("pkg:deb/debian/").name, "debian");
        assert_eq!(Purl::parse("pkg:deb/@1.0"), Err(PurlError::Name));
        assert_eq!(
            Purl::parse("pkg:deb/debian/ba%zzsh"),
            Err(PurlError::Encoding { component: "name" })
        );
        assert_eq!(
            Purl::parse("pkg:deb/debian/bash@1%"),
            Err(PurlError::Encoding {
                component: "version"
            })
        );
        assert_eq!(
            Purl::parse("pkg:deb/debian/bash@1%FF"),
            Err(PurlError::Encoding {
                component: "version"
            })
        );
        for bad in [
            "",
            "pkg:",
            "pkg:npm",
            "pkg:npm/",
            "pkg:n$m/x",
            "npm/x",
            "pkg:npm/x%4",
            "pkg:npm/%C3",
            "pkg:npm/x#%zz",
        ] {
            assert!(Purl::parse(bad).is_err(), "{bad}");
        }
        let long = format!("pkg:npm/{}", "a".repeat(MAX_LEN));
        assert_eq!(
            Purl::parse(&long),
            Err(PurlError::TooLong { limit: MAX_LEN })
        );
    }

    #[test]
    fn displays_canonically_and_round_trips() {
        for s in [
            "pkg:deb/debian/bash@1%3A5.2.15-2%2Bb2?arch=amd64&distro=debian-12",
            "pkg:npm/%40angular/core@12.3.1",
            "pkg:golang/github.com/a/b/c@v1.0.0%2Bincompatible#sub/dir",
        ] {
            assert_eq!(p(s).to_string(), s);
            assert_eq!(p(&p(s).to_string()), p(s));
        }
    }

    #[test]
    fn an_encoded_slash_separates_segments() {
        // Regression (the `vex_sbom` fuzz target's round-trip check): a `%2F` decoded into a
        // namespace or subpath segment made empty, `.` or `..` segments that the canonical form
        // then spelled out, so `pkg:npm/%2F/x` printed as `pkg:npm///x`, which reads back
        // without a namespace.
        for (s, namespace, subpath) in [
            ("pkg:npm/%2F/x", None, None),
            ("pkg:npm/%2Fa%2F%2Fb/x", Some("a/b"), None),
            ("pkg:golang/github.com%2Fa/b", Some("github.com/a"), None),
            ("pkg:t/a/b#a%2F..", Some("a"), Some("a")),
            ("pkg:t/b#%2F.%2Fc%2F", None, Some("c")),
        ] {
            let purl = p(s);
            assert_eq!(purl.namespace.as_deref(), namespace, "{s}");
            assert_eq!(purl.subpath.as_deref(), subpath, "{s}");
            assert_eq!(p(&purl.to_string()), purl, "{s}");
        }
    }

    #[test]
    fn encodes_reserved_characters() {
        assert_eq!(encode("1:1.2.13.dfsg-1"), "1%3A1.2.13.dfsg-1");
        assert_eq!(encode("5.2.15-2+b13"), "5.2.15-2%2Bb13");
        assert_eq!(encode("3.0.20-1~deb12u2"), "3.0.20-1~deb12u2");
        assert_eq!(encode("@xmldom"), "%40xmldom");
        assert_eq!(encode("é"), "%C3%A9");
    }

    #[test]
    fn normalises_python_names() {
        assert_eq!(pep503("Foo__Bar.-baz"), "foo-bar-baz");
        assert_eq!(pep503("zope.interface"), "zope-interface");
        assert_eq!(pep503("Foo.._-Bar"), "foo-bar");
        assert_eq!(pep503("Django"), "django");
    }

    #[test]
    fn recognises_purl_like_text() {
        assert!(looks_like_purl("  PKG:npm/x"));
        assert!(!looks_like_purl("pk"));
        assert!(!looks_like_purl("ghcr.io/org/app:1"));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,80}") {
            let _ = Purl::parse(&s);
        }

        #[test]
        fn prints_what_parses_so_that_it_parses_back(s in "pkg:[a-z%@/?#=&:.0-9A-F]{0,60}") {
            if let Ok(purl) = Purl::parse(&s) {
                let again = Purl::parse(&purl.to_string());
                prop_assert_eq!(again.as_ref(), Ok(&purl));
            }
        }
    }
}
