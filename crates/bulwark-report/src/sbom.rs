//! Software bills of materials of an image: CycloneDX 1.6 JSON and SPDX 2.3 JSON.
//!
//! Both documents describe the image as the root (a `container` component, a package with
//! purpose `CONTAINER`) containing every package of its inventory, with its purl, the
//! licences its metadata states, and where it was found (the file and the layer) as evidence.

use std::collections::HashMap;
use std::io::{self, Write};

use bulwark_model::time::format_rfc3339;
use bulwark_model::{Fingerprint, ImageReport, Package};
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
