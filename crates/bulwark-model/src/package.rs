use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The package ecosystem a [`Package`] belongs to, as purl types name them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    /// Debian packages (`pkg:deb`).
    Deb,
    /// Alpine packages (`pkg:apk`).
    Apk,
    /// RPM packages (`pkg:rpm`).
    Rpm,
    /// Python packages (`pkg:pypi`).
    Pypi,
    /// npm packages (`pkg:npm`).
    Npm,
    /// Rust crates (`pkg:cargo`).
    Cargo,
    /// Go modules (`pkg:golang`).
    Golang,
    /// Java artifacts (`pkg:maven`).
    Maven,
    /// Ruby gems (`pkg:gem`).
    Gem,
    /// PHP packages (`pkg:composer`).
    Composer,
    /// .NET packages (`pkg:nuget`).
    Nuget,
}

impl Ecosystem {
    /// The purl type (`deb`, `pypi`, `golang` …).
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Deb => "deb",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Golang => "golang",
            Ecosystem::Maven => "maven",
            Ecosystem::Gem => "gem",
            Ecosystem::Composer => "composer",
            Ecosystem::Nuget => "nuget",
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.purl_type())
    }
}

/// One installed (or locked) package found in an image or a file tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Package {
    /// The name as its ecosystem writes it (`libssl3`, `Django`, `@xmldom/xmldom`).
    pub name: String,
    /// The version as recorded (`3.0.20-1~deb12u2`, `1:1.2.13.dfsg-1`, `3.2`).
    pub version: String,
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// Which cataloger found it and from what kind of record: `dpkg`, `apk`, `python`,
    /// `npm` (an installed `node_modules` package), `npm-lockfile`, `cargo-auditable` …
    pub cataloger: String,
    /// The package URL (<https://github.com/package-url/purl-spec>).
    pub purl: String,
    /// The file it was read from (`/var/lib/dpkg/status`, `…/Django-3.2.dist-info/METADATA`).
    pub location: String,
    /// The digest (diff id) of the image layer that last wrote that file, for images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// The source package, for distributions that build binaries from one (`openssl` for
    /// `libssl3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// The source package's version, when it differs from [`Package::version`] (Debian binNMUs:
    /// `bash 5.2.15-2+b13` is built from source `5.2.15-2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// Licences as the package metadata states them (SPDX expressions where it uses them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// Whether an OS package (dpkg, apk, rpm) installed the file this package was read from
    /// (Debian's `python3-pip`, a distribution-built Go binary). Its vulnerabilities are the
    /// OS package's: distributions backport fixes without changing the upstream version.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub os_owned: bool,
}

/// What a scan learned about one container image besides its findings: its identity and its
/// package inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ImageReport {
    /// The image as the user named it (a file or directory).
    pub name: String,
    /// The reference recorded in the image (`registry.example.com/app:1.2`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The image id: the digest of its config blob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `os/architecture`.
    pub platform: String,
    /// The layers' diff ids, bottom first (findings name layers by index into this list).
    pub layers: Vec<String>,
    /// Every package found in the merged file system.
    pub packages: Vec<Package>,
}
