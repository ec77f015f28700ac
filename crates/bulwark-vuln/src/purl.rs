//! Package URLs compared the way VEX needs: does a product a document names cover a package an
//! inventory holds? [`matches()`] answers; [`bulwark_model::purl`] parses them.
//!
//! Comparison normalises as the type definitions ask: the type is always lowercase (the parser
//! sees to that); namespaces and names of types the specification calls case-insensitive
//! (`deb`, `apk`, `npm`, `golang`, `composer`, `github` …) are lowercased, `rpm` namespaces but
//! not names, `nuget` names (NuGet ids are case-insensitive); `pypi` names are PEP
//! 503-normalised. For `deb`, `rpm` and `alpm` an `epoch` qualifier is folded into the version
//! (`epoch=1` and `5.2` compare as `1:5.2`), since writers disagree on where the epoch goes.

use std::borrow::Cow;

use bulwark_model::purl::{Purl, pep503};

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

/// Whether `product`, a purl a document names, covers `package`: same type, namespace and name
/// (normalised per type), the same version if the product gives a version, and the same value
/// for every qualifier the product gives (locational qualifiers such as `repository_url` only
/// when `package` carries them too). The subpath is not compared.
pub fn matches(product: &Purl, package: &Purl) -> bool {
    if product.ty != package.ty
        || normal_name(product) != normal_name(package)
        || normal_namespace(product) != normal_namespace(package)
    {
        return false;
    }
    if product.version.is_some() && full_version(product) != full_version(package) {
        return false;
    }
    let folds_epoch = folds_epoch(product);
    product.qualifiers.iter().all(|(key, value)| {
        if folds_epoch && key == "epoch" {
            return true;
        }
        match package.qualifier(key) {
            Some(theirs) => theirs == value,
            None => LOCATIONAL.contains(&key.as_str()),
        }
    })
}

fn folds_epoch(purl: &Purl) -> bool {
    matches!(purl.ty.as_str(), "deb" | "rpm" | "alpm")
}

/// The version with an `epoch` qualifier folded in, for the types that take one.
fn full_version(purl: &Purl) -> Option<Cow<'_, str>> {
    let version = purl.version.as_deref()?;
    if folds_epoch(purl)
        && !version.contains(':')
        && let Some(epoch) = purl.qualifier("epoch")
    {
        return Some(Cow::Owned(format!("{epoch}:{version}")));
    }
    Some(Cow::Borrowed(version))
}

fn normal_namespace(purl: &Purl) -> Option<Cow<'_, str>> {
    let ns = purl.namespace.as_deref()?;
    Some(if FOLD_NAMESPACE.contains(&purl.ty.as_str()) {
        Cow::Owned(ns.to_lowercase())
    } else {
        Cow::Borrowed(ns)
    })
}

fn normal_name(purl: &Purl) -> Cow<'_, str> {
    if purl.ty == "pypi" {
        Cow::Owned(pep503(&purl.name))
    } else if FOLD_NAME.contains(&purl.ty.as_str()) {
        Cow::Owned(purl.name.to_lowercase())
    } else {
        Cow::Borrowed(&purl.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> Purl {
        Purl::parse(s).expect("a valid purl")
    }

    /// Whether `product` covers `package`.
    fn covers(product: &str, package: &Purl) -> bool {
        matches(&p(product), package)
    }

    #[test]
    fn matching_normalises_per_type() {
        let package = p("pkg:pypi/django-allauth@0.54.0");
        assert!(covers("pkg:pypi/Django_Allauth@0.54.0", &package));
        assert!(covers("pkg:pypi/django.allauth", &package));
        assert!(covers("pkg:PYPI/django-allauth", &package));
        assert!(!covers("pkg:pypi/django-allauth@0.54.1", &package));
        assert!(!covers("pkg:npm/django-allauth@0.54.0", &package));

        let npm = p("pkg:npm/%40Babel/Core@7.0.0");
        assert!(covers("pkg:npm/@babel/core@7.0.0", &npm));
        let deb = p("pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12");
        assert!(covers("pkg:deb/Debian/LIBSSL3", &deb));
        let rpm = p("pkg:rpm/redhat/NetworkManager@1.0-1");
        assert!(covers("pkg:rpm/RedHat/NetworkManager", &rpm));
        assert!(!covers("pkg:rpm/redhat/networkmanager", &rpm));
        let maven = p("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1");
        assert!(!covers(
            "pkg:maven/org.apache.logging.log4j/Log4j-Core",
            &maven
        ));
        assert!(covers(
            "pkg:maven/org.apache.logging.log4j/log4j-core",
            &maven
        ));
        assert!(!covers("pkg:maven/log4j-core", &maven));
        let nuget = p("pkg:nuget/Newtonsoft.Json@13.0.1");
        assert!(covers("pkg:nuget/newtonsoft.json@13.0.1", &nuget));
    }

    #[test]
    fn matching_compares_only_the_qualifiers_the_product_gives() {
        let package = p("pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64&distro=wolfi-20230201");
        assert!(covers("pkg:apk/wolfi/git@2.39.0-r1", &package));
        assert!(covers("pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64", &package));
        assert!(!covers("pkg:apk/wolfi/git@2.39.0-r1?arch=armv7", &package));
        assert!(!covers("pkg:apk/wolfi/git?os=linux", &package));
        assert!(covers(
            "pkg:apk/wolfi/git?repository_url=https://packages.wolfi.dev",
            &package
        ));
        let fetched = p("pkg:apk/wolfi/git?repository_url=https://elsewhere");
        assert!(matches(&fetched, &fetched));
        assert!(!covers(
            "pkg:apk/wolfi/git?repository_url=https://packages.wolfi.dev",
            &fetched
        ));
    }

    #[test]
    fn matching_folds_epochs_for_distribution_packages() {
        let trivy = p("pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&epoch=1");
        let syft = p("pkg:deb/debian/bash@1:5.2.15-2+b2?arch=amd64");
        assert!(covers("pkg:deb/debian/bash@1:5.2.15-2%2Bb2", &trivy));
        assert!(covers("pkg:deb/debian/bash@5.2.15-2%2Bb2?epoch=1", &syft));
        assert!(!covers("pkg:deb/debian/bash@5.2.15-2%2Bb2", &syft));
        let rpm = p("pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1");
        assert!(covers("pkg:rpm/redhat/openssl-libs@1:3.0.7-24.el9", &rpm));
        assert!(!covers("pkg:rpm/redhat/openssl-libs@2:3.0.7-24.el9", &rpm));
        // Only distribution types fold the epoch.
        assert!(!covers("pkg:npm/x@1.0.0?epoch=1", &p("pkg:npm/x@1.0.0")));
    }

    proptest! {
        #[test]
        fn every_purl_matches_itself(s in "pkg:[a-z%@/?#=&:.0-9A-F]{0,60}") {
            if let Ok(purl) = Purl::parse(&s) {
                prop_assert!(matches(&purl, &purl));
            }
        }
    }
}
