//! Software bills of materials read as scan targets: the packages a CycloneDX (1.2–1.6) or
//! SPDX (2.2, 2.3) JSON document lists, as [`Package`]s the vulnerability matcher can take.
//!
//! Every package comes from a purl: CycloneDX `components[].purl` (nested `components` too;
//! `metadata.component` is the document's subject, not one of its packages), SPDX
//! `packages[].externalRefs[]` of `referenceType` `purl` in the `PACKAGE-MANAGER` (2.3) or
//! `PACKAGE_MANAGER` (2.2) category. Components without a purl (files, the operating system)
//! are not packages. Purls of types Bulwark has no ecosystem for (`pkg:oci`, `pkg:github`,
//! `pkg:generic` …), purls that do not parse and purls without any version are counted in
//! [`SbomInventory::skipped`]. A purl listed twice (one jar in two places) gives one package.
//!
//! A package is built the way Bulwark's catalogers build it, so an SBOM and an image scan
//! agree:
//!
//! - the name as the ecosystem writes it: npm `@scope/name`, Maven `group:artifact`, Go
//!   `namespace/name`, Composer `vendor/name`; when the document's own name for the component
//!   is the same name in another case (PyPI: the same after PEP 503 normalisation, `Django`
//!   for `pkg:pypi/django`), the document's spelling is kept;
//! - the version from the purl, with an `epoch` qualifier folded in for `deb` and `rpm`
//!   (Trivy writes `pkg:deb/debian/zlib1g@1.2.13.dfsg-1?epoch=1`, Syft
//!   `…/zlib1g@1:1.2.13.dfsg-1`: both become `1:1.2.13.dfsg-1`), and the `go` prefix dropped
//!   from Syft's `stdlib` versions;
//! - [`Package::purl`] as the document gives it, qualifiers and all (`distro=` is what the
//!   matcher reads the distribution release from);
//! - the source package from Trivy's `aquasecurity:trivy:SrcName`/`SrcEpoch`/`SrcVersion`/
//!   `SrcRelease` properties (reassembled as `epoch:version-release`), else Bulwark's own
//!   `bulwark:source-name`/`bulwark:source-version`, else the purl's `upstream` qualifier (Syft:
//!   `glibc`, `bash@5.2.15-2`, or for RPMs the source RPM file name); recorded, as by the
//!   catalogers, only where it differs from the binary package;
//! - licences from CycloneDX `licenses[]` (`license.id`, `license.name`, `expression`) and SPDX
//!   `licenseDeclared`/`licenseConcluded` (not `NOASSERTION` or `NONE`; Bulwark's own
//!   `licenseComments` list when it wrote `NOASSERTION`);
//! - from Bulwark's own SPDX, the `comment` lines `source-package: NAME VERSION` and
//!   `os-owned: true`;
//! - `cataloger` `sbom-cyclonedx` or `sbom-spdx`, `location` the document's label, no layer,
//!   `os_owned` only from Bulwark's own `bulwark:os-owned` property (other SBOMs do not say
//!   which files an OS package installed).
//!
//! Documents over [`MAX_SBOM_SIZE`] are refused before parsing, serde_json's recursion limit
//! bounds nesting, and nothing in a document can make this panic: wrong types are skipped, or
//! reported with the file's name (and line and column for JSON errors).

use std::collections::HashSet;

use bulwark_model::purl::{Purl, pep503};
use bulwark_model::{Ecosystem, Package};
use serde_json::Value;

/// Largest document [`read`] accepts, in bytes.
pub const MAX_SBOM_SIZE: usize = 256 * 1024 * 1024;

/// How much of each end of a document [`is_sbom`] looks at.
const SNIFF_WINDOW: usize = 64 * 1024;

/// The packages an SBOM lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomInventory {
    /// The format and its version: `cyclonedx 1.5`, `spdx 2.3`.
    pub format: String,
    /// What the document describes: CycloneDX `metadata.component.name`, the SPDX document
    /// `name`.
    pub name: Option<String>,
    /// The packages, in document order, each purl once.
    pub packages: Vec<Package>,
    /// Purls that gave no package: a type Bulwark does not match (`pkg:oci`, `pkg:github` …),
    /// no version, or not a valid purl.
    pub skipped: usize,
}

/// Why an SBOM could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    /// Too large, or not JSON (with the line and column).
    #[error(transparent)]
    Document(#[from] bulwark_model::document::DocumentError),
    /// The document is JSON but neither CycloneDX nor SPDX.
    #[error("{label}: not an SBOM (no CycloneDX bomFormat, no SPDX spdxVersion)")]
    NotSbom {
        /// The file.
        label: String,
    },
    /// The document is an SBOM in a version this reader does not handle.
    #[error("{label}: {what} is not supported (CycloneDX JSON and SPDX 2.x JSON are)")]
    Unsupported {
        /// The file.
        label: String,
        /// The format and version found.
        what: String,
    },
    /// The document's structure is wrong where it matters (`components` is not a list).
    #[error("{label}: {path}: {message}")]
    Format {
        /// The file.
        label: String,
        /// Where in the document.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Whether `data` looks like a JSON SBOM: a JSON object with `"bomFormat": "CycloneDX"` or
/// `"spdxVersion": "SPDX-…"` in its first or last 64 KiB (writers that sort keys put
/// `spdxVersion` after the package list). Cheap: nothing is parsed.
pub fn is_sbom(data: &[u8]) -> bool {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    if data.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return false;
    }
    let head = &data[..data.len().min(SNIFF_WINDOW)];
    let tail = &data[data.len().saturating_sub(SNIFF_WINDOW)..];
    [head, tail].iter().any(|window| {
        has_member(window, b"\"bomFormat\"", b"\"CycloneDX\"")
            || has_member(window, b"\"spdxVersion\"", b"\"SPDX-")
    })
}

/// Whether `key`, a colon and a value starting with `value` appear in `window`.
fn has_member(window: &[u8], key: &[u8], value: &[u8]) -> bool {
    let mut from = 0;
    while let Some(at) = find(&window[from..], key) {
        let rest = &window[from + at + key.len()..];
        let rest = trim_start(rest);
        if let Some(rest) = rest.strip_prefix(b":")
            && trim_start(rest).starts_with(value)
        {
            return true;
        }
        from += at + 1;
    }
    false
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn trim_start(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &s[n..]
}

/// Reads the SBOM `data`, read from `label`.
pub fn read(label: &str, data: &[u8]) -> Result<SbomInventory, SbomError> {
    read_limited(label, data, MAX_SBOM_SIZE)
}

fn read_limited(label: &str, data: &[u8], limit: usize) -> Result<SbomInventory, SbomError> {
    let doc: Value = bulwark_model::document::read_json(label, data, limit)?;
    let mut reader = Reader {
        label,
        packages: Vec::new(),
        seen: HashSet::new(),
        skipped: 0,
    };
    let (format, name) = if doc["bomFormat"].as_str() == Some("CycloneDX") {
        reader.cyclonedx(&doc)?
    } else if let Some(version) = doc["spdxVersion"].as_str() {
        match version.strip_prefix("SPDX-") {
            Some(v) if v.starts_with("2.") => reader.spdx(&doc, v)?,
            _ => {
                return Err(SbomError::Unsupported {
                    label: label.to_owned(),
                    what: format!("spdxVersion `{version}`"),
                });
            }
        }
    } else if is_spdx3_context(&doc["@context"]) {
        return Err(SbomError::Unsupported {
            label: label.to_owned(),
            what: "SPDX 3 JSON-LD".to_owned(),
        });
    } else {
        return Err(SbomError::NotSbom {
            label: label.to_owned(),
        });
    };
    Ok(SbomInventory {
        format,
        name,
        packages: reader.packages,
        skipped: reader.skipped,
    })
}

fn is_spdx3_context(v: &Value) -> bool {
    let spdx3 = |s: &str| s.contains("spdx.org/rdf/3");
    match v {
        Value::String(s) => spdx3(s),
        Value::Array(items) => items.iter().any(|i| i.as_str().is_some_and(spdx3)),
        _ => false,
    }
}

/// What a document says about one component besides its purl.
#[derive(Default)]
struct Described<'a> {
    name: Option<&'a str>,
    version: Option<&'a str>,
    source_name: Option<String>,
    source_version: Option<String>,
    licenses: Vec<String>,
    /// Bulwark's own `bulwark:os-owned` property (CycloneDX).
    os_owned: bool,
}

struct Reader<'a> {
    label: &'a str,
    packages: Vec<Package>,
    seen: HashSet<String>,
    skipped: usize,
}

impl Reader<'_> {
    fn format_error(&self, path: &str, message: &str) -> SbomError {
        SbomError::Format {
            label: self.label.to_owned(),
            path: path.to_owned(),
            message: message.to_owned(),
        }
    }

    fn cyclonedx(&mut self, doc: &Value) -> Result<(String, Option<String>), SbomError> {
        let format = match doc["specVersion"].as_str().map(str::trim) {
            Some(v) if !v.is_empty() => format!("cyclonedx {v}"),
            _ => "cyclonedx".to_owned(),
        };
        let name = text(&doc["metadata"]["component"]["name"]).map(str::to_owned);
        let top = match &doc["components"] {
            Value::Null => return Ok((format, name)),
            Value::Array(a) => a,
            _ => return Err(self.format_error("components", "not a list")),
        };
        // Depth-first in document order; serde_json's recursion limit bounds the depth.
        let mut stack: Vec<std::slice::Iter<'_, Value>> = vec![top.iter()];
        while let Some(level) = stack.last_mut() {
            let Some(component) = level.next() else {
                stack.pop();
                continue;
            };
            if let Some(purl) = text(&component["purl"]) {
                let described = cyclonedx_described(component);
                self.add(purl, &described, "sbom-cyclonedx");
            }
            if let Some(nested) = component["components"].as_array() {
                stack.push(nested.iter());
            }
        }
        Ok((format, name))
    }

    fn spdx(&mut self, doc: &Value, version: &str) -> Result<(String, Option<String>), SbomError> {
        let format = format!("spdx {version}");
        let name = text(&doc["name"]).map(str::to_owned);
        let packages = match &doc["packages"] {
            Value::Null => return Ok((format, name)),
            Value::Array(a) => a,
            _ => return Err(self.format_error("packages", "not a list")),
        };
        for package in packages {
            let refs = package["externalRefs"].as_array().into_iter().flatten();
            let purls: Vec<&str> = refs
                .filter(|r| {
                    r["referenceType"]
                        .as_str()
                        .is_some_and(|t| t.eq_ignore_ascii_case("purl"))
                        && r["referenceCategory"].as_str().is_some_and(|c| {
                            c.eq_ignore_ascii_case("PACKAGE-MANAGER")
                                || c.eq_ignore_ascii_case("PACKAGE_MANAGER")
                        })
                })
                .filter_map(|r| text(&r["referenceLocator"]))
                .collect();
            if purls.is_empty() {
                continue;
            }
            let described = spdx_described(package);
            for purl in purls {
                self.add(purl, &described, "sbom-spdx");
            }
        }
        Ok((format, name))
    }

    fn add(&mut self, purl: &str, described: &Described<'_>, cataloger: &str) {
        if self.seen.contains(purl) {
            return;
        }
        match package(purl, described, cataloger, self.label) {
            Some(p) => {
                self.seen.insert(purl.to_owned());
                self.packages.push(p);
            }
            None => self.skipped += 1,
        }
    }
}

/// A non-empty string, trimmed.
fn text(v: &Value) -> Option<&str> {
    v.as_str().map(str::trim).filter(|s| !s.is_empty())
}

fn push_unique(out: &mut Vec<String>, licence: &str) {
    let licence = licence.trim();
    if licence.is_empty()
        || licence.eq_ignore_ascii_case("NOASSERTION")
        || licence.eq_ignore_ascii_case("NONE")
        || out.iter().any(|l| l == licence)
    {
        return;
    }
    out.push(licence.to_owned());
}

fn cyclonedx_described(component: &Value) -> Described<'_> {
    let property = |name: &str| -> Option<&str> {
        component["properties"]
            .as_array()?
            .iter()
            .find(|p| p["name"].as_str() == Some(name))
            .and_then(|p| text(&p["value"]))
    };
    let mut licenses = Vec::new();
    for choice in component["licenses"].as_array().into_iter().flatten() {
        let licence = text(&choice["license"]["id"])
            .or_else(|| text(&choice["license"]["name"]))
            .or_else(|| text(&choice["expression"]));
        if let Some(l) = licence {
            push_unique(&mut licenses, l);
        }
    }
    let trivy_name = property("aquasecurity:trivy:SrcName");
    let trivy_version = property("aquasecurity:trivy:SrcVersion").map(|v| {
        let mut full = String::new();
        if let Some(epoch) = property("aquasecurity:trivy:SrcEpoch").filter(|e| *e != "0") {
            full.push_str(epoch);
            full.push(':');
        }
        full.push_str(v);
        if let Some(release) = property("aquasecurity:trivy:SrcRelease") {
            full.push('-');
            full.push_str(release);
        }
        full
    });
    let (source_name, source_version) = if trivy_name.is_some() || trivy_version.is_some() {
        (trivy_name.map(str::to_owned), trivy_version)
    } else {
        (
            property("bulwark:source-name").map(str::to_owned),
            property("bulwark:source-version").map(str::to_owned),
        )
    };
    Described {
        name: text(&component["name"]),
        version: text(&component["version"]),
        source_name,
        source_version,
        licenses,
        os_owned: property("bulwark:os-owned") == Some("true"),
    }
}

fn spdx_described(package: &Value) -> Described<'_> {
    let mut licenses = Vec::new();
    for field in ["licenseDeclared", "licenseConcluded"] {
        if let Some(l) = text(&package[field]) {
            push_unique(&mut licenses, l);
        }
    }
    // Bulwark's SPDX writer keeps licences that are not SPDX expressions here.
    if licenses.is_empty()
        && let Some(stated) = text(&package["licenseComments"])
            .and_then(|c| c.strip_prefix("as the metadata states it: "))
    {
        for l in stated.split("; ") {
            push_unique(&mut licenses, l);
        }
    }
    // Bulwark's SPDX writer keeps the source package and OS ownership in `comment`.
    let mut described = Described {
        name: text(&package["name"]),
        version: text(&package["versionInfo"]),
        licenses,
        ..Described::default()
    };
    for line in text(&package["comment"]).unwrap_or("").lines() {
        if let Some((name, version)) = line
            .strip_prefix("source-package: ")
            .and_then(|v| v.split_once(' '))
        {
            described.source_name = Some(name.to_owned());
            described.source_version = Some(version.to_owned());
        } else if line == "os-owned: true" {
            described.os_owned = true;
        }
    }
    described
}

fn ecosystem(ty: &str) -> Option<Ecosystem> {
    Some(match ty {
        "deb" => Ecosystem::Deb,
        "apk" => Ecosystem::Apk,
        "rpm" => Ecosystem::Rpm,
        "pypi" => Ecosystem::Pypi,
        "npm" => Ecosystem::Npm,
        "cargo" => Ecosystem::Cargo,
        "golang" => Ecosystem::Golang,
        "maven" => Ecosystem::Maven,
        "gem" => Ecosystem::Gem,
        "composer" => Ecosystem::Composer,
        "nuget" => Ecosystem::Nuget,
        _ => return None,
    })
}

/// The package `purl` names, or `None` if it names none Bulwark can match.
fn package(
    purl_text: &str,
    described: &Described<'_>,
    cataloger: &str,
    label: &str,
) -> Option<Package> {
    let purl = Purl::parse(purl_text).ok()?;
    let ecosystem = ecosystem(&purl.ty)?;
    let from_purl = match (ecosystem, purl.namespace.as_deref()) {
        (Ecosystem::Npm, Some(scope)) if scope.starts_with('@') => format!("{scope}/{}", purl.name),
        (Ecosystem::Npm, Some(scope)) => format!("@{scope}/{}", purl.name),
        (Ecosystem::Maven, Some(group)) => format!("{group}:{}", purl.name),
        (Ecosystem::Golang | Ecosystem::Composer, Some(ns)) => format!("{ns}/{}", purl.name),
        _ => purl.name.clone(),
    };
    let name = match described.name {
        Some(theirs) if same_name(ecosystem, theirs, &from_purl) => theirs.to_owned(),
        _ => from_purl,
    };
    let epoch = purl
        .qualifier("epoch")
        .filter(|_| matches!(ecosystem, Ecosystem::Deb | Ecosystem::Rpm));
    let mut version = purl
        .version
        .clone()
        .or_else(|| described.version.map(str::to_owned))?;
    if let Some(epoch) = epoch
        && !version.contains(':')
    {
        version = format!("{epoch}:{version}");
    }
    if ecosystem == Ecosystem::Golang
        && name == "stdlib"
        && version
            .strip_prefix("go")
            .is_some_and(|bare| bare.starts_with(|c: char| c.is_ascii_digit()))
    {
        version.drain(..2);
    }
    let (mut source_name, mut source_version) = (
        described.source_name.clone(),
        described.source_version.clone(),
    );
    if source_name.is_none()
        && source_version.is_none()
        && let Some(upstream) = purl.qualifier("upstream")
    {
        (source_name, source_version) = upstream_source(ecosystem, upstream, epoch);
    }
    Some(Package {
        source_name: source_name.filter(|s| *s != name),
        source_version: source_version.filter(|s| *s != version),
        name,
        version,
        ecosystem,
        cataloger: cataloger.to_owned(),
        purl: purl_text.to_owned(),
        location: label.to_owned(),
        layer: None,
        licenses: described.licenses.clone(),
        // Only Bulwark's own CycloneDX says which files an OS package installed.
        os_owned: described.os_owned,
    })
}

/// Whether the document's name for a component is the purl's name spelled another way.
fn same_name(ecosystem: Ecosystem, theirs: &str, ours: &str) -> bool {
    if ecosystem == Ecosystem::Pypi {
        pep503(theirs) == pep503(ours)
    } else {
        theirs.eq_ignore_ascii_case(ours)
    }
}

/// The source package Syft's `upstream` qualifier names: `glibc`, `bash@5.2.15-2`, or an RPM's
/// source file `openssl-3.0.7-24.el9.src.rpm` (whose version takes the binary's epoch, as the
/// RPM cataloger records it).
fn upstream_source(
    ecosystem: Ecosystem,
    upstream: &str,
    epoch: Option<&str>,
) -> (Option<String>, Option<String>) {
    if ecosystem == Ecosystem::Rpm
        && let Some(stem) = upstream
            .strip_suffix(".src.rpm")
            .or_else(|| upstream.strip_suffix(".nosrc.rpm"))
    {
        if let Some((rest, release)) = stem.rsplit_once('-')
            && let Some((name, version)) = rest.rsplit_once('-')
            && !name.is_empty()
            && !version.is_empty()
            && !release.is_empty()
        {
            let version = match epoch {
                Some(e) => format!("{e}:{version}-{release}"),
                None => format!("{version}-{release}"),
            };
            return (Some(name.to_owned()), Some(version));
        }
        return (None, None);
    }
    match upstream.split_once('@') {
        Some((name, version)) => (
            Some(name.trim().to_owned()).filter(|n| !n.is_empty()),
            Some(version.trim().to_owned()).filter(|v| !v.is_empty()),
        ),
        None => (
            Some(upstream.trim().to_owned()).filter(|n| !n.is_empty()),
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulwark_model::document::DocumentError;

    const SYFT_CYCLONEDX: &str = include_str!("../tests/data/sbom/syft-cyclonedx-1.5.json");
    const TRIVY_CYCLONEDX: &str = include_str!("../tests/data/sbom/trivy-cyclonedx-1.6.json");
    const SYFT_SPDX: &str = include_str!("../tests/data/sbom/syft-spdx-2.3.json");

    fn inventory(label: &str, json: &str) -> SbomInventory {
        read(label, json.as_bytes()).expect("a valid SBOM")
    }

    fn find<'a>(inv: &'a SbomInventory, name: &str) -> &'a Package {
        inv.packages
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no package {name} in {:?}", inv.packages))
    }

    /// `(name, version, ecosystem, source name, source version)` of a package.
    type Row = (String, String, Ecosystem, Option<String>, Option<String>);

    fn summary(inv: &SbomInventory) -> Vec<Row> {
        inv.packages
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.version.clone(),
                    p.ecosystem,
                    p.source_name.clone(),
                    p.source_version.clone(),
                )
            })
            .collect()
    }

    fn row(
        name: &str,
        version: &str,
        ecosystem: Ecosystem,
        source: Option<&str>,
        source_version: Option<&str>,
    ) -> Row {
        (
            name.to_owned(),
            version.to_owned(),
            ecosystem,
            source.map(str::to_owned),
            source_version.map(str::to_owned),
        )
    }

    #[test]
    fn reads_syft_cyclonedx() {
        let inv = inventory("app.cdx.json", SYFT_CYCLONEDX);
        assert_eq!(inv.format, "cyclonedx 1.5");
        assert_eq!(
            inv.name.as_deref(),
            Some("registry.example.com/debian-app:1.0")
        );
        assert_eq!(
            summary(&inv),
            [
                row(
                    "bash",
                    "5.2.15-2+b2",
                    Ecosystem::Deb,
                    None,
                    Some("5.2.15-2")
                ),
                row(
                    "libc6",
                    "2.36-9+deb12u4",
                    Ecosystem::Deb,
                    Some("glibc"),
                    None
                ),
                row(
                    "zlib1g",
                    "1:1.2.13.dfsg-1",
                    Ecosystem::Deb,
                    Some("zlib"),
                    None
                ),
                row("Django", "4.2.7", Ecosystem::Pypi, None, None),
                row("@babel/core", "7.23.2", Ecosystem::Npm, None, None),
                row(
                    "github.com/sirupsen/logrus",
                    "v1.9.3",
                    Ecosystem::Golang,
                    None,
                    None
                ),
                row("stdlib", "1.21.5", Ecosystem::Golang, None, None),
                row(
                    "org.apache.logging.log4j:log4j-core",
                    "2.14.1",
                    Ecosystem::Maven,
                    None,
                    None
                ),
            ]
        );
        // pkg:generic/python is counted, the OS and file components have no purl.
        assert_eq!(inv.skipped, 1);
        let bash = find(&inv, "bash");
        assert_eq!(
            bash.purl,
            "pkg:deb/debian/bash@5.2.15-2+b2?arch=amd64&upstream=bash%405.2.15-2&distro=debian-12"
        );
        assert_eq!(bash.cataloger, "sbom-cyclonedx");
        assert_eq!(bash.location, "app.cdx.json");
        assert_eq!(bash.layer, None);
        assert_eq!(bash.licenses, ["GPL-3.0-only"]);
        assert_eq!(
            find(&inv, "libc6").licenses,
            ["GPL-2.0-only", "LGPL-2.1-only", "LGPL-2.1+"]
        );
        assert_eq!(find(&inv, "@babel/core").licenses, ["MIT"]);
    }

    #[test]
    fn reads_trivy_cyclonedx() {
        let inv = inventory("trivy.json", TRIVY_CYCLONEDX);
        assert_eq!(inv.format, "cyclonedx 1.6");
        assert_eq!(inv.name.as_deref(), Some("ghcr.io/example/app:1.2"));
        assert_eq!(
            summary(&inv),
            [
                row(
                    "bash",
                    "5.2.15-2+b2",
                    Ecosystem::Deb,
                    None,
                    Some("5.2.15-2")
                ),
                row(
                    "libssl3",
                    "3.0.11-1~deb12u2",
                    Ecosystem::Deb,
                    Some("openssl"),
                    None
                ),
                row(
                    "zlib1g",
                    "1:1.2.13.dfsg-1",
                    Ecosystem::Deb,
                    Some("zlib"),
                    None
                ),
                row(
                    "com.fasterxml.jackson.core:jackson-databind",
                    "2.9.10",
                    Ecosystem::Maven,
                    None,
                    None
                ),
                row("Jinja2", "3.1.2", Ecosystem::Pypi, None, None),
                row("@xmldom/xmldom", "0.8.10", Ecosystem::Npm, None, None),
                row("monolog/monolog", "2.9.1", Ecosystem::Composer, None, None),
                row("openssl", "0.10.55", Ecosystem::Cargo, None, None),
                row("rack", "2.2.8", Ecosystem::Gem, None, None),
                row("Newtonsoft.Json", "13.0.1", Ecosystem::Nuget, None, None),
            ]
        );
        // The duplicate jackson-databind is one package, not a skipped one.
        assert_eq!(inv.skipped, 0);
        assert_eq!(
            find(&inv, "zlib1g").purl,
            "pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&distro=debian-12.5&epoch=1"
        );
        assert_eq!(
            find(&inv, "libssl3").licenses,
            ["Apache-2.0", "Artistic-2.0"]
        );
    }

    #[test]
    fn reads_syft_spdx() {
        let inv = inventory("ubi.spdx.json", SYFT_SPDX);
        assert_eq!(inv.format, "spdx 2.3");
        assert_eq!(
            inv.name.as_deref(),
            Some("registry.access.redhat.com/ubi9/ubi-minimal:9.3")
        );
        assert_eq!(
            summary(&inv),
            [
                // The source RPM takes the binary's epoch: same version, not recorded.
                row(
                    "openssl-libs",
                    "1:3.0.7-24.el9",
                    Ecosystem::Rpm,
                    Some("openssl"),
                    None
                ),
                row("bash", "5.1.8-6.el9_1", Ecosystem::Rpm, None, None),
                row(
                    "python3-setuptools-wheel",
                    "53.0.0-12.el9",
                    Ecosystem::Rpm,
                    Some("python-setuptools"),
                    None
                ),
                row("urllib3", "1.26.5", Ecosystem::Pypi, None, None),
            ]
        );
        // pkg:github and pkg:oci are counted; the package without a purl is not.
        assert_eq!(inv.skipped, 2);
        let openssl = find(&inv, "openssl-libs");
        assert_eq!(openssl.cataloger, "sbom-spdx");
        assert_eq!(openssl.licenses, ["Apache-2.0"]);
        assert_eq!(find(&inv, "bash").licenses, ["GPL-3.0-or-later"]);
        assert_eq!(
            find(&inv, "python3-setuptools-wheel").licenses,
            ["MIT AND (BSD-2-Clause OR Apache-2.0)"]
        );
    }

    #[test]
    fn rpm_source_versions_take_the_binary_epoch() {
        // A source RPM file name carries no epoch; like the RPM cataloger, the source version
        // takes the binary's, and is recorded only when it then differs.
        let described = Described::default();
        let p = package(
            "pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?epoch=1&upstream=openssl-3.0.7-23.el9.src.rpm",
            &described,
            "sbom-spdx",
            "x",
        )
        .expect("a package");
        assert_eq!(p.version, "1:3.0.7-24.el9");
        assert_eq!(p.source_version.as_deref(), Some("1:3.0.7-23.el9"));
        let p = package(
            "pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?upstream=openssl-3.0.7-24.el9.src.rpm",
            &described,
            "sbom-spdx",
            "x",
        )
        .expect("a package");
        assert_eq!(p.source_name.as_deref(), Some("openssl"));
        assert_eq!(p.source_version, None);
    }

    #[test]
    fn reads_spdx_2_2_package_manager_refs_and_apk_upstreams() {
        let inv = inventory(
            "alpine.spdx.json",
            r#"{
              "spdxVersion": "SPDX-2.2",
              "SPDXID": "SPDXRef-DOCUMENT",
              "name": "alpine:3.19",
              "packages": [
                {"name": "libcrypto3", "SPDXID": "SPDXRef-1", "versionInfo": "3.1.4-r5",
                 "licenseConcluded": "Apache-2.0", "licenseDeclared": "NOASSERTION",
                 "externalRefs": [
                   {"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl",
                    "referenceLocator": "pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&upstream=openssl&distro=alpine-3.19.1"}]},
                {"name": "musl", "SPDXID": "SPDXRef-2",
                 "externalRefs": [
                   {"referenceCategory": "SECURITY", "referenceType": "purl",
                    "referenceLocator": "pkg:apk/alpine/musl@1.2.4-r2"},
                   {"referenceCategory": "OTHER", "referenceType": "swh",
                    "referenceLocator": "swh:1:cnt:94a9ed024d3859793618152ea559a168bbcbb5e2"}]}
              ]
            }"#,
        );
        assert_eq!(inv.format, "spdx 2.2");
        assert_eq!(
            summary(&inv),
            [row(
                "libcrypto3",
                "3.1.4-r5",
                Ecosystem::Apk,
                Some("openssl"),
                None
            )]
        );
        assert_eq!(inv.packages[0].licenses, ["Apache-2.0"]);
    }

    #[test]
    fn walks_nested_components_and_counts_what_it_skips() {
        let inv = inventory(
            "nested.json",
            r#"{
              "bomFormat": "CycloneDX", "specVersion": "1.2",
              "metadata": {"component": {"type": "application", "name": "shop",
                                         "purl": "pkg:npm/shop@1.0.0"}},
              "components": [
                {"type": "library", "name": "a", "purl": "pkg:npm/a@1.0.0",
                 "components": [
                   {"type": "library", "name": "b", "purl": "pkg:npm/b@2.0.0",
                    "components": [{"type": "library", "name": "c", "purl": "pkg:npm/c@3.0.0"}]},
                   {"type": "library", "name": "d", "purl": "pkg:cargo/d"},
                   {"type": "library", "name": "e", "version": "5.0.0", "purl": "pkg:cargo/e"}
                 ]},
                {"type": "library", "name": "broken", "purl": "pkg:npm/%zz@1"},
                {"type": "library", "name": "not-a-purl", "purl": "npm:x@1"},
                {"type": "library", "name": "a", "purl": "pkg:npm/a@1.0.0"},
                {"type": "library", "name": "wrong", "purl": 7, "components": "nope"},
                {"type": "library", "name": "f", "purl": "pkg:npm/f@6.0.0"}
              ]
            }"#,
        );
        let names: Vec<(&str, &str)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("a", "1.0.0"),
                ("b", "2.0.0"),
                ("c", "3.0.0"),
                ("e", "5.0.0"),
                ("f", "6.0.0")
            ]
        );
        // d has no version anywhere, the broken and non-purl ones do not parse.
        assert_eq!(inv.skipped, 3);
        assert_eq!(inv.format, "cyclonedx 1.2");
    }

    #[test]
    fn reads_what_bulwarks_own_writers_produce() {
        // The shape of crates/bulwark-report's CycloneDX output, with an RPM whose epoch is a
        // qualifier and a Python package whose purl name is normalised.
        let inv = inventory(
            "bulwark.cdx.json",
            r#"{
              "bomFormat": "CycloneDX", "specVersion": "1.6",
              "metadata": {"component": {"type": "container", "bom-ref": "image:sha256:1", "name": "app:1"}},
              "components": [
                {"type": "library", "bom-ref": "r1", "name": "openssl-libs", "version": "1:3.0.7-24.el9",
                 "purl": "pkg:rpm/rhel/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=rhel-9.3&epoch=1",
                 "licenses": [{"license": {"name": "ASL 2.0"}}],
                 "properties": [{"name": "bulwark:cataloger", "value": "rpm"},
                                {"name": "bulwark:source-name", "value": "openssl"},
                                {"name": "bulwark:source-version", "value": "1:3.0.7-24.el9"}]},
                {"type": "library", "bom-ref": "r2", "name": "zope.interface", "version": "6.0",
                 "purl": "pkg:pypi/zope-interface@6.0",
                 "properties": [{"name": "bulwark:cataloger", "value": "python"}]},
                {"type": "library", "bom-ref": "r3", "name": "Vendor/Package", "version": "1.0.0",
                 "purl": "pkg:composer/vendor/package@1.0.0"},
                {"type": "library", "bom-ref": "r4", "name": "bash", "version": "5.2.15-2+b13",
                 "purl": "pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12",
                 "properties": [{"name": "bulwark:source-version", "value": "5.2.15-2"}]}
              ]
            }"#,
        );
        assert_eq!(
            summary(&inv),
            [
                row(
                    "openssl-libs",
                    "1:3.0.7-24.el9",
                    Ecosystem::Rpm,
                    Some("openssl"),
                    None
                ),
                row("zope.interface", "6.0", Ecosystem::Pypi, None, None),
                row("Vendor/Package", "1.0.0", Ecosystem::Composer, None, None),
                row(
                    "bash",
                    "5.2.15-2+b13",
                    Ecosystem::Deb,
                    None,
                    Some("5.2.15-2")
                ),
            ]
        );
        assert_eq!(inv.packages[0].licenses, ["ASL 2.0"]);

        let spdx = inventory(
            "bulwark.spdx.json",
            r#"{
              "spdxVersion": "SPDX-2.3", "name": "app:1",
              "packages": [{
                "name": "libfoo", "versionInfo": "1.0-1",
                "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION",
                "licenseComments": "as the metadata states it: GPLv2+; BSD-like",
                "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                  "referenceLocator": "pkg:deb/debian/libfoo@1.0-1?arch=amd64&distro=debian-12"}]
              }]
            }"#,
        );
        assert_eq!(spdx.packages[0].licenses, ["GPLv2+", "BSD-like"]);
    }

    #[test]
    fn sniffs_sboms_cheaply() {
        assert!(is_sbom(SYFT_CYCLONEDX.as_bytes()));
        assert!(is_sbom(TRIVY_CYCLONEDX.as_bytes()));
        assert!(is_sbom(SYFT_SPDX.as_bytes()));
        assert!(is_sbom(b"\xEF\xBB\xBF \n{\"bomFormat\" : \"CycloneDX\"}"));
        assert!(is_sbom(
            b"{\"x\": \"\\\"bomFormat\\\"\", \"spdxVersion\":\"SPDX-2.3\"}"
        ));
        // Keys sorted: spdxVersion comes after a package list longer than the window.
        let padding = "x".repeat(2 * SNIFF_WINDOW);
        let sorted = format!(
            r#"{{"SPDXID": "SPDXRef-DOCUMENT", "packages": [{{"name": "{padding}"}}], "spdxVersion": "SPDX-2.3"}}"#
        );
        assert!(is_sbom(sorted.as_bytes()));
        for not in [
            &b""[..],
            b"[]",
            b"{\"bomFormat\": \"SWID\"}",
            b"{\"SchemaVersion\": 2, \"ArtifactName\": \"x\"}",
            b"bomFormat: CycloneDX",
            b"{\"bomFormat\"",
            b"{\"spdxVersion\" \"SPDX-2.3\"}",
            b"{\"@context\": \"https://openvex.dev/ns/v0.2.0\"}",
        ] {
            assert!(!is_sbom(not), "{}", String::from_utf8_lossy(not));
        }
    }

    #[test]
    fn errors_name_the_file() {
        let err = read(
            "bad.json",
            b"{\n  \"bomFormat\": \"CycloneDX\",\n  \"components\": [,]\n}",
        )
        .expect_err("not JSON");
        assert!(
            matches!(
                err,
                SbomError::Document(DocumentError::Json {
                    line: 3,
                    column: 18,
                    ..
                })
            ),
            "{err:?}"
        );
        assert!(err.to_string().starts_with("bad.json:3:18: "), "{err}");

        let err = read("other.json", br#"{"hello": 1}"#).expect_err("not an SBOM");
        assert_eq!(
            err.to_string(),
            "other.json: not an SBOM (no CycloneDX bomFormat, no SPDX spdxVersion)"
        );
        let err = read("list.json", b"[1]").expect_err("not an SBOM");
        assert!(matches!(err, SbomError::NotSbom { .. }));

        let err = read(
            "spdx3.json",
            br#"{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": []}"#,
        )
        .expect_err("SPDX 3");
        assert_eq!(
            err.to_string(),
            "spdx3.json: SPDX 3 JSON-LD is not supported (CycloneDX JSON and SPDX 2.x JSON are)"
        );
        let err = read("spdx1.json", br#"{"spdxVersion": "SPDX-1.2"}"#).expect_err("SPDX 1");
        assert!(matches!(err, SbomError::Unsupported { .. }), "{err:?}");

        let err = read("c.json", br#"{"bomFormat": "CycloneDX", "components": {}}"#)
            .expect_err("components not a list");
        assert_eq!(err.to_string(), "c.json: components: not a list");
        let err = read("s.json", br#"{"spdxVersion": "SPDX-2.3", "packages": "x"}"#)
            .expect_err("packages not a list");
        assert_eq!(err.to_string(), "s.json: packages: not a list");
    }

    #[test]
    fn refuses_oversized_documents_and_deep_nesting() {
        let err = read_limited("big.json", &[b' '; 10], 9).expect_err("too large");
        assert!(
            matches!(
                err,
                SbomError::Document(DocumentError::TooLarge {
                    size: 10,
                    limit: 9,
                    ..
                })
            ),
            "{err:?}"
        );
        let mut deep = String::from(r#"{"bomFormat": "CycloneDX", "components": "#);
        for _ in 0..10_000 {
            deep.push_str(r#"[{"purl": "pkg:npm/x@1", "components": "#);
        }
        deep.push_str("[]");
        for _ in 0..10_000 {
            deep.push_str("}]");
        }
        deep.push('}');
        let err = read("deep.json", deep.as_bytes()).expect_err("too deep");
        assert!(
            matches!(err, SbomError::Document(DocumentError::Json { .. })),
            "{err:?}"
        );
    }

    #[test]
    fn empty_documents_have_no_packages() {
        let inv = inventory(
            "e.json",
            r#"{"bomFormat": "CycloneDX", "specVersion": " "}"#,
        );
        assert_eq!(inv.format, "cyclonedx");
        assert!(inv.packages.is_empty());
        assert_eq!(inv.name, None);
        let inv = inventory("e.json", r#"{"spdxVersion": "SPDX-2.3"}"#);
        assert_eq!(inv.format, "spdx 2.3");
        assert!(inv.packages.is_empty());
    }

    #[test]
    fn reads_purls_as_the_vulnerability_engine_does() {
        // One purl parser (`bulwark_model::purl`) for both: a decoded `%2F` separates namespace
        // segments and empty ones are dropped, where this reader once kept them (`@//x`); a
        // subpath is decoded too, so a malformed one makes the purl invalid.
        let inv = inventory(
            "slashes.cdx.json",
            r#"{
              "bomFormat": "CycloneDX", "specVersion": "1.5",
              "components": [
                {"type": "library", "purl": "pkg:npm/%2F/x@1.0.0"},
                {"type": "library", "purl": "pkg:npm/%40scope%2F/y@2.0.0"},
                {"type": "library", "purl": "pkg:golang/github.com%2Fa/b@v1.0.0#sub"},
                {"type": "library", "purl": "pkg:npm/z@3.0.0#%zz"}
              ]
            }"#,
        );
        let names: Vec<&str> = inv.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["x", "@scope/y", "github.com/a/b"]);
        assert_eq!(inv.skipped, 1);
    }

    /// A small deterministic generator (xorshift), so the fuzz-style tests need no extra crate.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % (n as u64)).unwrap_or(0)
        }
    }

    #[test]
    fn garbage_never_panics() {
        for garbage in [
            &b""[..],
            b"null",
            b"{",
            b"{\"bomFormat\": \"CycloneDX\", \"components\": [null, 1, \"x\", [], {\"purl\": {}}]}",
            b"{\"bomFormat\": \"CycloneDX\", \"metadata\": 5, \"components\": [{\"purl\": \"pkg:npm/a@1\", \"licenses\": {\"x\": 1}, \"properties\": [null, {\"name\": 5}]}]}",
            b"{\"spdxVersion\": \"SPDX-2.3\", \"packages\": [null, {\"externalRefs\": 5}, {\"externalRefs\": [null, {\"referenceType\": \"purl\"}]}]}",
            b"{\"spdxVersion\": 2.3}",
            b"\xff\xfe\x00{",
        ] {
            let _ = read("g.json", garbage);
            let _ = is_sbom(garbage);
        }
        // Byte-level mutations of the real fixtures: flips, truncations, insertions.
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let specials = b"{}[]\",:%@?#/\\\x00\xff";
        for fixture in [SYFT_CYCLONEDX, TRIVY_CYCLONEDX, SYFT_SPDX] {
            for _ in 0..300 {
                let mut bytes = fixture.as_bytes().to_vec();
                for _ in 0..=rng.below(4) {
                    let at = rng.below(bytes.len());
                    match rng.below(3) {
                        0 => bytes[at] = specials[rng.below(specials.len())],
                        1 => bytes.truncate(at),
                        _ => bytes.insert(at, specials[rng.below(specials.len())]),
                    }
                    if bytes.is_empty() {
                        break;
                    }
                }
                let _ = read("m.json", &bytes);
                let _ = is_sbom(&bytes);
            }
        }
    }

    #[test]
    fn wrong_types_anywhere_never_panic() {
        fn mutate(v: &mut Value, target: usize, counter: &mut usize, with: &Value) {
            if *counter == target {
                *v = with.clone();
            }
            *counter += 1;
            match v {
                Value::Object(o) => o
                    .values_mut()
                    .for_each(|c| mutate(c, target, counter, with)),
                Value::Array(a) => a.iter_mut().for_each(|c| mutate(c, target, counter, with)),
                _ => {}
            }
        }
        let replacements = [
            Value::Null,
            Value::from(1),
            Value::from("pkg:"),
            Value::Array(vec![]),
            serde_json::json!({}),
        ];
        for fixture in [SYFT_CYCLONEDX, TRIVY_CYCLONEDX, SYFT_SPDX] {
            let original: Value = serde_json::from_str(fixture).expect("fixture JSON");
            let mut nodes = 0;
            mutate(&mut original.clone(), usize::MAX, &mut nodes, &Value::Null);
            for target in 0..nodes {
                for with in &replacements {
                    let mut doc = original.clone();
                    mutate(&mut doc, target, &mut 0, with);
                    let bytes = serde_json::to_vec(&doc).expect("serialisable");
                    let _ = read("w.json", &bytes);
                }
            }
        }
    }
}
