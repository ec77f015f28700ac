//! Package URLs (<https://github.com/package-url/purl-spec>) parsed, and compared the way VEX
//! needs: does a product a document names cover a package an inventory holds?
//!
//! Parsing follows the specification's "how to parse" steps (subpath split from the right on
//! `#`, qualifiers on `?`, the `pkg` scheme, the type, the version after the last `@`, the name,
//! the namespace), percent-decoding every component. Two leniencies, both for purls written
//! by hand in VEX documents: an `@` only separates the version when no `/` follows it (so the
//! unencoded `pkg:npm/@angular/core` is a scoped name without a version, not version
//! `angular/core`), and surrounding whitespace is ignored. A [`Purl`] keeps the components as
//! written (decoded); normalisation happens only when comparing.
//!
//! Comparison ([`Purl::matches`]) normalises as the type definitions ask: the type is always
//! lowercase; namespaces and names of types the specification calls case-insensitive (`deb`,
//! `apk`, `npm`, `golang`, `composer`, `github` …) are lowercased, `rpm` namespaces but not
//! names, `nuget` names (NuGet ids are case-insensitive); `pypi` names are PEP 503-normalised.
//! For `deb`, `rpm` and `alpm` an `epoch` qualifier is folded into the version (`epoch=1` and
//! `5.2` compare as `1:5.2`), since writers disagree on where the epoch goes.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// Longest purl [`Purl::parse`] accepts, in bytes.
pub const MAX_LEN: usize = 64 * 1024;

/// Qualifiers that say where a package can be fetched, not which package it is: a product
/// naming one still matches a package that does not carry it.
const LOCATIONAL: &[&str] = &[
    "repository_url",
    "download_url",
    "vcs_url",
    "file_name",
    "checksum",
    "checksums",
];

/// Types whose namespace compares case-insensitively.
const FOLD_NAMESPACE: &[&str] = &[
    "alpm",
    "apk",
    "bitbucket",
    "composer",
    "deb",
    "github",
    "gitlab",
    "golang",
    "hex",
    "luarocks",
    "npm",
    "qpkg",
    "rpm",
];

/// Types whose name compares case-insensitively.
const FOLD_NAME: &[&str] = &[
    "alpm",
    "apk",
    "bitbucket",
    "composer",
    "deb",
    "github",
    "gitlab",
    "golang",
    "hex",
    "luarocks",
    "npm",
    "nuget",
    "oci",
    "pub",
];

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

    /// Whether this purl, read as a product a document names, covers `package`: same type,
    /// namespace and name (normalised per type), the same version if this one gives a version,
    /// and the same value for every qualifier this one gives (locational qualifiers such as
    /// `repository_url` only when `package` carries them too). The subpath is not compared.
    pub fn matches(&self, package: &Purl) -> bool {
        if self.ty != package.ty
            || self.normal_name() != package.normal_name()
            || self.normal_namespace() != package.normal_namespace()
        {
            return false;
        }
        if self.version.is_some() && self.full_version() != package.full_version() {
            return false;
        }
        let folds_epoch = self.folds_epoch();
        self.qualifiers.iter().all(|(key, value)| {
            if folds_epoch && key == "epoch" {
                return true;
            }
            match package.qualifier(key) {
                Some(theirs) => theirs == value,
                None => LOCATIONAL.contains(&key.as_str()),
            }
        })
    }

    fn folds_epoch(&self) -> bool {
        matches!(self.ty.as_str(), "deb" | "rpm" | "alpm")
    }

    /// The version with an `epoch` qualifier folded in, for the types that take one.
    fn full_version(&self) -> Option<Cow<'_, str>> {
        let version = self.version.as_deref()?;
        if self.folds_epoch()
            && !version.contains(':')
            && let Some(epoch) = self.qualifier("epoch")
        {
            return Some(Cow::Owned(format!("{epoch}:{version}")));
        }
        Some(Cow::Borrowed(version))
    }

    fn normal_namespace(&self) -> Option<Cow<'_, str>> {
        let ns = self.namespace.as_deref()?;
        Some(if FOLD_NAMESPACE.contains(&self.ty.as_str()) {
            Cow::Owned(ns.to_lowercase())
        } else {
            Cow::Borrowed(ns)
        })
    }

    fn normal_name(&self) -> Cow<'_, str> {
        if self.ty == "pypi" {
            Cow::Owned(pep503(&self.name))
        } else if FOLD_NAME.contains(&self.ty.as_str()) {
            Cow::Owned(self.name.to_lowercase())
        } else {
            Cow::Borrowed(&self.name)
        }
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

/// PEP 503 normalisation: lowercase, every run of `-`, `_` and `.` becomes one `-`.
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
pub(crate) fn decode(s: &str, component: &'static str) -> Result<String, PurlError> {
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

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
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
    fn matching_normalises_per_type() {
        let package = p("pkg:pypi/django-allauth@0.54.0");
        assert!(p("pkg:pypi/Django_Allauth@0.54.0").matches(&package));
        assert!(p("pkg:pypi/django.allauth").matches(&package));
        assert!(p("pkg:PYPI/django-allauth").matches(&package));
        assert!(!p("pkg:pypi/django-allauth@0.54.1").matches(&package));
        assert!(!p("pkg:npm/django-allauth@0.54.0").matches(&package));

        let npm = p("pkg:npm/%40Babel/Core@7.0.0");
        assert!(p("pkg:npm/@babel/core@7.0.0").matches(&npm));
        let deb = p("pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12");
        assert!(p("pkg:deb/Debian/LIBSSL3").matches(&deb));
        let rpm = p("pkg:rpm/redhat/NetworkManager@1.0-1");
        assert!(p("pkg:rpm/RedHat/NetworkManager").matches(&rpm));
        assert!(!p("pkg:rpm/redhat/networkmanager").matches(&rpm));
        let maven = p("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1");
        assert!(!p("pkg:maven/org.apache.logging.log4j/Log4j-Core").matches(&maven));
        assert!(p("pkg:maven/org.apache.logging.log4j/log4j-core").matches(&maven));
        assert!(!p("pkg:maven/log4j-core").matches(&maven));
        let nuget = p("pkg:nuget/Newtonsoft.Json@13.0.1");
        assert!(p("pkg:nuget/newtonsoft.json@13.0.1").matches(&nuget));
    }

    #[test]
    fn matching_compares_only_the_qualifiers_the_product_gives() {
        let package = p("pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64&distro=wolfi-20230201");
        assert!(p("pkg:apk/wolfi/git@2.39.0-r1").matches(&package));
        assert!(p("pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64").matches(&package));
        assert!(!p("pkg:apk/wolfi/git@2.39.0-r1?arch=armv7").matches(&package));
        assert!(!p("pkg:apk/wolfi/git?os=linux").matches(&package));
        assert!(p("pkg:apk/wolfi/git?repository_url=https://packages.wolfi.dev").matches(&package));
        let fetched = p("pkg:apk/wolfi/git?repository_url=https://elsewhere");
        assert!(fetched.matches(&fetched));
        assert!(
            !p("pkg:apk/wolfi/git?repository_url=https://packages.wolfi.dev").matches(&fetched)
        );
    }

    #[test]
    fn matching_folds_epochs_for_distribution_packages() {
        let trivy = p("pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&epoch=1");
        let syft = p("pkg:deb/debian/bash@1:5.2.15-2+b2?arch=amd64");
        assert!(p("pkg:deb/debian/bash@1:5.2.15-2%2Bb2").matches(&trivy));
        assert!(p("pkg:deb/debian/bash@5.2.15-2%2Bb2?epoch=1").matches(&syft));
        assert!(!p("pkg:deb/debian/bash@5.2.15-2%2Bb2").matches(&syft));
        let rpm = p("pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1");
        assert!(p("pkg:rpm/redhat/openssl-libs@1:3.0.7-24.el9").matches(&rpm));
        assert!(!p("pkg:rpm/redhat/openssl-libs@2:3.0.7-24.el9").matches(&rpm));
        // Only distribution types fold the epoch.
        assert!(!p("pkg:npm/x@1.0.0?epoch=1").matches(&p("pkg:npm/x@1.0.0")));
    }

    #[test]
    fn normalises_python_names() {
        assert_eq!(pep503("Foo__Bar.-baz"), "foo-bar-baz");
        assert_eq!(pep503("zope.interface"), "zope-interface");
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
        fn never_panics_on_purl_shaped_text(s in "pkg:[a-z%@/?#=&:.0-9A-F]{0,60}") {
            if let Ok(purl) = Purl::parse(&s) {
                // What parses, prints and parses back the same, and matches itself.
                let again = Purl::parse(&purl.to_string());
                prop_assert_eq!(again.as_ref(), Ok(&purl));
                prop_assert!(purl.matches(&purl));
            }
        }
    }
}
