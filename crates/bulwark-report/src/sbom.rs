//! Software bills of materials of an image: CycloneDX 1.6 JSON and SPDX 2.3 JSON.
//!
//! Both documents describe the image as the root (a `container` component, a package with
//! purpose `CONTAINER`) containing every package of its inventory, with its purl, the
//! licences its metadata states, and where it was found (the file and the layer) as evidence.

use std::collections::HashMap;
use std::io::{self, Write};

use bulwark_model::time::format_rfc3339;
use bulwark_model::{Finding, Fingerprint, ImageReport, Package, Suppression, SuppressionSource};
use serde_json::{Value, json};

/// A UUID (version 4 layout, RFC 9562) derived from `seed`: the same image and time give the
/// same serial number, different ones differ.
fn uuid(seed: &str) -> String {
    let h = Fingerprint::new("sbom-serial").part(seed).finish();
    let mut b: Vec<char> = h.chars().take(32).collect();
    b[12] = '4';
    let variant = b[16].to_digit(16).unwrap_or(0) & 3;
    b[16] = ['8', '9', 'a', 'b'][usize::try_from(variant).unwrap_or(0)];
    let s: String = b.into_iter().collect();
    format!(
        "{}-{}-{}-{}-{}",
        &s[..8],
        &s[8..12],
        &s[12..16],
        &s[16..20],
        &s[20..32]
    )
}

/// A `bom-ref`/SPDX id for each package, unique within the document.
fn refs(packages: &[Package]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    packages
        .iter()
        .map(|p| {
            let base = format!("{}@{}", p.purl, p.location);
            let n = seen.entry(base.clone()).or_default();
            *n += 1;
            if *n == 1 { base } else { format!("{base}#{n}") }
        })
        .collect()
}

/// Writes the CycloneDX 1.6 JSON BOM of `image`, made by `tool_version` at `now` (seconds).
pub fn render_cyclonedx(
    image: &ImageReport,
    tool_version: &str,
    now: i64,
    w: &mut dyn Write,
) -> io::Result<()> {
    let doc = cyclonedx(image, tool_version, now);
    serde_json::to_writer_pretty(&mut *w, &doc).map_err(io::Error::from)?;
    w.write_all(b"\n")
}

fn cyclonedx(image: &ImageReport, tool_version: &str, now: i64) -> Value {
    let root_ref = format!("image:{}", image.id.as_deref().unwrap_or(&image.name));
    let refs = refs(&image.packages);
    let components: Vec<Value> = image
        .packages
        .iter()
        .zip(&refs)
        .map(|(p, r)| {
            let mut c = json!({
                "type": "library",
                "bom-ref": r,
                "name": p.name,
                "version": p.version,
                "purl": p.purl,
                "evidence": {"occurrences": [{"location": p.location}]},
                "properties": properties(p),
            });
            if !p.licenses.is_empty() {
                c["licenses"] = Value::Array(
                    p.licenses
                        .iter()
                        .map(|l| json!({"license": {"name": l}}))
                        .collect(),
                );
            }
            c
        })
        .collect();
    let mut root = json!({
        "type": "container",
        "bom-ref": root_ref,
        "name": image.reference.as_deref().unwrap_or(&image.name),
    });
    if let Some(id) = &image.id {
        root["version"] = json!(id);
    }
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", uuid(&format!("{root_ref}{now}"))),
        "version": 1,
        "metadata": {
            "timestamp": format_rfc3339(now),
            "tools": {"components": [{"type": "application", "name": "bulwark", "version": tool_version}]},
            "component": root,
            "properties": [{"name": "bulwark:platform", "value": image.platform}],
        },
        "components": components,
        "dependencies": [{"ref": root_ref, "dependsOn": refs}],
    })
}

/// Writes the CycloneDX 1.6 JSON BOM of `image` with a `vulnerabilities` array: every
/// vulnerability finding about its packages, and those a VEX document suppressed, with their
/// analysis (`not_affected` and the justification). Findings suppressed otherwise (baseline,
/// ignore file) are left out: they are the user's decisions, not statements about the product.
///
/// # Panics
///
/// Never: the document's `properties` is built as an array just before it is extended.
pub fn render_cyclonedx_with_vulnerabilities(
    image: &ImageReport,
    findings: &[&Finding],
    suppressed: &[(&Finding, &Suppression)],
    tool_version: &str,
    now: i64,
    w: &mut dyn Write,
) -> io::Result<()> {
    let mut doc = cyclonedx(image, tool_version, now);
    let refs = refs(&image.packages);
    let component_ref = |f: &Finding| -> Option<String> {
        let v = f.vulnerability.as_deref()?;
        image
            .packages
            .iter()
            .zip(&refs)
            .find(|(p, _)| p.purl == v.purl && p.location == v.package_location)
            .map(|(_, r)| r.clone())
    };
    let mut vulns = Vec::new();
    let entries = findings.iter().map(|f| (*f, None)).chain(
        suppressed
            .iter()
            .filter(|(_, s)| s.source == SuppressionSource::Vex)
            .map(|(f, s)| (*f, Some(*s))),
    );
    for (f, suppression) in entries {
        let (Some(v), Some(component)) = (f.vulnerability.as_deref(), component_ref(f)) else {
            continue;
        };
        let mut ratings: Vec<Value> = v
            .cvss
            .iter()
            .map(|c| {
                let method = match c.version.as_str() {
                    "2.0" => "CVSSv2",
                    "3.0" => "CVSSv3",
                    "3.1" => "CVSSv31",
                    _ => "CVSSv4",
                };
                json!({
                    "source": {"name": c.source},
                    "score": c.score,
                    "severity": c.severity.as_str(),
                    "method": method,
                    "vector": c.vector,
                })
            })
            .collect();
        if let Some(vendor) = &v.vendor_severity {
            let (source, rating) = vendor.split_once(": ").unwrap_or(("vendor", vendor));
            let severity = match rating {
                "critical" | "emergency" => "critical",
                "high" | "important" => "high",
                "medium" | "moderate" => "medium",
                "low" => "low",
                "negligible" | "unimportant" => "info",
                _ => "unknown",
            };
            ratings.push(json!({"source": {"name": source}, "severity": severity, "method": "other", "justification": vendor}));
        }
        let mut entry = json!({
            "bom-ref": format!("{}:{}", v.id, component),
            "id": v.id,
            "source": {"name": source_name(&v.id), "url": advisory_url(&v.id)},
            "references": v.aliases.iter().map(|a| json!({"id": a, "source": {"name": source_name(a), "url": advisory_url(a)}})).collect::<Vec<_>>(),
            "ratings": ratings,
            "advisories": v.references.iter().map(|u| json!({"url": u})).collect::<Vec<_>>(),
            "affects": [{"ref": component, "versions": [{"version": v.installed_version, "status": "affected"}]}],
            "properties": [
                {"name": "bulwark:status", "value": v.status.as_str()},
                {"name": "bulwark:severity", "value": f.severity.as_str()},
            ],
        });
        if let Some(d) = &v.summary {
            entry["description"] = json!(d);
        }
        if let Some(p) = &v.published {
            entry["published"] = json!(p);
        }
        if let Some(fixed) = &v.fixed_version {
            entry["recommendation"] = json!(format!("Upgrade {} to {fixed} or later.", v.package));
            entry["properties"]
                .as_array_mut()
                .expect("array")
                .push(json!({"name": "bulwark:fixed-version", "value": fixed}));
        }
        if let Some(s) = suppression {
            let mut analysis = json!({"state": "not_affected"});
            let justification = s.reason.as_deref().unwrap_or("");
            let code = justification.split(':').next().unwrap_or("").trim();
            if let Some(j) = cyclonedx_justification(code) {
                analysis["justification"] = json!(j);
            }
            analysis["detail"] = json!(format!("{} {}", s.origin, justification).trim().to_owned());
            entry["analysis"] = analysis;
        }
        vulns.push(entry);
    }
    doc["vulnerabilities"] = Value::Array(vulns);
    serde_json::to_writer_pretty(&mut *w, &doc).map_err(io::Error::from)?;
    w.write_all(b"\n")
}

/// The CycloneDX justification closest to an OpenVEX or CycloneDX one.
fn cyclonedx_justification(j: &str) -> Option<&'static str> {
    Some(match j {
        "code_not_present" | "vulnerable_code_not_present" | "component_not_present" => {
            "code_not_present"
        }
        "code_not_reachable" | "vulnerable_code_not_in_execute_path" => "code_not_reachable",
        "requires_configuration" => "requires_configuration",
        "requires_dependency" => "requires_dependency",
        "requires_environment" => "requires_environment",
        "protected_by_compiler" => "protected_by_compiler",
        "protected_at_runtime" | "vulnerable_code_cannot_be_controlled_by_adversary" => {
            "protected_at_runtime"
        }
        "protected_at_perimeter" => "protected_at_perimeter",
        "protected_by_mitigating_control" | "inline_mitigations_already_exist" => {
            "protected_by_mitigating_control"
        }
        _ => return None,
    })
}

/// The database an advisory id comes from, for `source.name`.
fn source_name(id: &str) -> &'static str {
    match id.split('-').next().unwrap_or("") {
        "CVE" => "NVD",
        "GHSA" => "GitHub Advisory Database",
        "GO" => "Go Vulnerability Database",
        "RUSTSEC" => "RustSec",
        "PYSEC" => "PyPA Advisory Database",
        "DSA" | "DLA" | "DTSA" => "Debian",
        "USN" | "UBUNTU" => "Ubuntu",
        "ALSA" | "ALBA" | "ALEA" => "AlmaLinux",
        _ => "OSV",
    }
}

/// A page about an advisory id.
fn advisory_url(id: &str) -> String {
    if id.starts_with("CVE-") {
        format!("https://nvd.nist.gov/vuln/detail/{id}")
    } else {
        format!("https://osv.dev/vulnerability/{id}")
    }
}

fn properties(p: &Package) -> Vec<Value> {
    let mut out = vec![
        json!({"name": "bulwark:cataloger", "value": p.cataloger}),
        json!({"name": "bulwark:ecosystem", "value": p.ecosystem.purl_type()}),
    ];
    if let Some(l) = &p.layer {
        out.push(json!({"name": "bulwark:layer", "value": l}));
    }
    if let Some(s) = &p.source_name {
        out.push(json!({"name": "bulwark:source-name", "value": s}));
    }
    if let Some(s) = &p.source_version {
        out.push(json!({"name": "bulwark:source-version", "value": s}));
    }
    if p.os_owned {
        out.push(json!({"name": "bulwark:os-owned", "value": "true"}));
    }
    out
}

/// Writes the SPDX 2.3 JSON document of `image`, made by `tool_version` at `now` (seconds).
pub fn render_spdx(
    image: &ImageReport,
    tool_version: &str,
    now: i64,
    w: &mut dyn Write,
) -> io::Result<()> {
    let doc = spdx(image, tool_version, now);
    serde_json::to_writer_pretty(&mut *w, &doc).map_err(io::Error::from)?;
    w.write_all(b"\n")
}

/// Whether `s` reads as an SPDX licence expression (ids joined by AND/OR/WITH, parentheses):
/// only such strings may stand in `licenseDeclared`.
fn spdx_expression(s: &str) -> bool {
    let spaced = s.replace(['(', ')'], " ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let id = |t: &str| {
        t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+' | ':'))
            && t.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && !matches!(t, "AND" | "OR" | "WITH")
    };
    tokens.len() % 2 == 1
        && tokens.iter().enumerate().all(|(i, t)| {
            if i % 2 == 0 {
                id(t)
            } else {
                matches!(*t, "AND" | "OR" | "WITH")
            }
        })
}

fn spdx(image: &ImageReport, tool_version: &str, now: i64) -> Value {
    let name = image.reference.as_deref().unwrap_or(&image.name);
    let serial = uuid(&format!(
        "{}{now}",
        image.id.as_deref().unwrap_or(&image.name)
    ));
    let mut packages = vec![json!({
        "name": name,
        "SPDXID": "SPDXRef-Image",
        "versionInfo": image.id.as_deref().unwrap_or("NOASSERTION"),
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": "CONTAINER",
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
    })];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": "SPDXRef-Image",
    })];
    for (i, p) in image.packages.iter().enumerate() {
        let id = format!("SPDXRef-Package-{}", i + 1);
        let declared = match p.licenses.as_slice() {
            [one] if spdx_expression(one) => one.clone(),
            [] => "NOASSERTION".to_string(),
            many if many.iter().all(|l| spdx_expression(l)) => many
                .iter()
                .map(|l| format!("({l})"))
                .collect::<Vec<_>>()
                .join(" AND "),
            _ => "NOASSERTION".to_string(),
        };
        let mut pkg = json!({
            "name": p.name,
            "SPDXID": id,
            "versionInfo": p.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": declared,
            "copyrightText": "NOASSERTION",
            "externalRefs": [{
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": p.purl,
            }],
            "sourceInfo": match &p.layer {
                Some(l) => format!("found by the bulwark {} cataloger in {} (layer {l})", p.cataloger, p.location),
                None => format!("found by the bulwark {} cataloger in {}", p.cataloger, p.location),
            },
        });
        // What SPDX has no field for, as `key: value` lines Bulwark reads back.
        let mut comment = Vec::new();
        if p.source_name.is_some() || p.source_version.is_some() {
            comment.push(format!(
                "source-package: {} {}",
                p.source_name.as_deref().unwrap_or(&p.name),
                p.source_version.as_deref().unwrap_or(&p.version)
            ));
        }
        if p.os_owned {
            comment.push("os-owned: true".to_owned());
        }
        if !comment.is_empty() {
            pkg["comment"] = json!(comment.join("\n"));
        }
        if declared == "NOASSERTION" && !p.licenses.is_empty() {
            pkg["licenseComments"] = json!(format!(
                "as the metadata states it: {}",
                p.licenses.join("; ")
            ));
        }
        packages.push(pkg);
        relationships.push(json!({
            "spdxElementId": "SPDXRef-Image",
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": id,
        }));
    }
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": format!("https://bulwark.invalid/spdx/{serial}"),
        "creationInfo": {
            "created": format_rfc3339(now),
            "creators": [format!("Tool: bulwark-{tool_version}")],
        },
        "packages": packages,
        "relationships": relationships,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_numbers_are_uuids() {
        let u = uuid("x");
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!("89ab".contains(&u[19..20]));
        assert_ne!(uuid("x"), uuid("y"));
    }

    #[test]
    fn licence_expressions_are_told_from_prose() {
        for ok in [
            "MIT",
            "Apache-2.0 OR MIT",
            "(MIT AND BSD-3-Clause)",
            "GPL-2.0-or-later WITH Classpath-exception-2.0",
            "LicenseRef-x",
        ] {
            assert!(spdx_expression(ok), "{ok}");
        }
        for bad in [
            "",
            "BSD License",
            "MIT/X11",
            "see LICENSE.txt",
            "GPL (>= 2)",
        ] {
            assert!(!spdx_expression(bad), "{bad}");
        }
    }
}
