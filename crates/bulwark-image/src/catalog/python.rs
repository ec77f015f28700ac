//! Python packages: `*.dist-info/METADATA` (wheels, pip) and `*.egg-info/PKG-INFO` or a single
//! `*.egg-info` file (setuptools, Debian's python3-* packages).
//!
//! The metadata is RFC 822-style headers up to the first blank line
//! (<https://packaging.python.org/en/latest/specifications/core-metadata/>). Decisions:
//! - The location is the `.dist-info`/`.egg-info` directory (or the `.egg-info` file), as it
//!   names the installed distribution.
//! - The name is kept as the metadata writes it (`PyYAML`); the purl uses the PEP 503
//!   normalised name (`pkg:pypi/pyyaml@5.3`).
//! - Licences: `License-Expression` when present; otherwise `License` when it is a short,
//!   one-line value other than `UNKNOWN` (some packages put the whole licence text there);
//!   otherwise the last part of each `Classifier: License :: …` (`MIT License`).
//! - Packages under `/usr/lib/python3/dist-packages` are Debian's: they are still reported with
//!   cataloger `python` (the dpkg package that ships them is reported too).

use bulwark_model::purl::pep503;
use bulwark_model::{Ecosystem, Package};

use super::purl;

/// A `License` value longer than this is licence text, not a licence name.
const MAX_LICENSE_LEN: usize = 100;

/// Whether `path` is Python package metadata.
pub(crate) fn is_metadata(path: &str) -> bool {
    path.ends_with(".dist-info/METADATA")
        || path.ends_with(".egg-info/PKG-INFO")
        || (path.ends_with(".egg-info") && file_name(path).len() > ".egg-info".len())
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The directory (or single file) that names the distribution.
fn location(path: &str) -> &str {
    if path.ends_with(".egg-info") {
        path
    } else {
        path.rsplit_once('/').map_or(path, |(dir, _)| dir)
    }
}

/// The package described by one metadata file, if it has a name and a version.
pub(crate) fn parse(path: &str, data: &[u8], layer: Option<&String>) -> Option<Package> {
    let text = String::from_utf8_lossy(data);
    let mut headers: Vec<(&str, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push('\n');
                value.push_str(line.trim());
            }
        } else if let Some((key, value)) = line.split_once(':') {
            headers.push((key.trim(), value.trim().to_owned()));
        }
    }
    let field = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let name = field("Name")?;
    let version = field("Version")?;
    let licenses = if let Some(expression) = field("License-Expression") {
        vec![expression.to_owned()]
    } else if let Some(license) = field("License").filter(|l| {
        !l.contains('\n') && l.len() <= MAX_LICENSE_LEN && !l.eq_ignore_ascii_case("UNKNOWN")
    }) {
        vec![license.to_owned()]
    } else {
        let mut from_classifiers: Vec<String> = Vec::new();
        for (key, value) in &headers {
            if !key.eq_ignore_ascii_case("Classifier") {
                continue;
            }
            let mut parts = value.split("::").map(str::trim);
            if parts.next() != Some("License") {
                continue;
            }
            if let Some(last) = parts
                .last()
                .filter(|l| !l.is_empty() && *l != "OSI Approved")
                && !from_classifiers.iter().any(|l| l == last)
            {
                from_classifiers.push(last.to_owned());
            }
        }
        from_classifiers
    };
    Some(Package {
        name: name.to_owned(),
        version: version.to_owned(),
        ecosystem: Ecosystem::Pypi,
        cataloger: "python".to_owned(),
        purl: purl::build("pypi", None, &pep503(name), version, &[]),
        location: location(path).to_owned(),
        layer: layer.cloned(),
        source_name: None,
        source_version: None,
        licenses,
        os_owned: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dist_info() {
        let text = "Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3\nLicense: MIT\n\
                    Classifier: License :: OSI Approved :: MIT License\n\nName: body\n";
        let path = "/usr/local/lib/python3.11/dist-packages/PyYAML-5.3.dist-info/METADATA";
        assert!(is_metadata(path));
        let package = parse(path, text.as_bytes(), None).expect("package");
        assert_eq!(package.name, "PyYAML");
        assert_eq!(package.version, "5.3");
        assert_eq!(package.purl, "pkg:pypi/pyyaml@5.3");
        assert_eq!(
            package.location,
            "/usr/local/lib/python3.11/dist-packages/PyYAML-5.3.dist-info"
        );
        assert_eq!(package.licenses, ["MIT"]);
    }

    #[test]
    fn licences() {
        let expression = "Name: a\nVersion: 1\nLicense-Expression: MIT OR Apache-2.0\nLicense: x\n";
        let package = parse("/x/a-1.dist-info/METADATA", expression.as_bytes(), None);
        assert_eq!(package.expect("package").licenses, ["MIT OR Apache-2.0"]);
        let text = "Name: zope.interface\nVersion: 5.0+local\nLicense: Zope Public\n\
                    \tLicense,  Version 2.1 (ZPL).\nClassifier: License :: OSI Approved :: \
                    Zope Public License\nClassifier: License :: OSI Approved\n";
        let package = parse("/x/z.egg-info/PKG-INFO", text.as_bytes(), None).expect("package");
        assert_eq!(package.licenses, ["Zope Public License"]);
        assert_eq!(package.purl, "pkg:pypi/zope-interface@5.0%2Blocal");
        assert_eq!(package.location, "/x/z.egg-info");
        let unknown = "Name: a\nVersion: 1\nLicense: UNKNOWN\n";
        let package = parse("/x/a-1.dist-info/METADATA", unknown.as_bytes(), None);
        assert!(package.expect("package").licenses.is_empty());
    }

    #[test]
    fn egg_info_file() {
        let path = "/usr/lib/python3/dist-packages/six-1.16.0.egg-info";
        assert!(is_metadata(path));
        assert!(!is_metadata("/x/.egg-info"));
        assert!(!is_metadata("/x/a.dist-info/RECORD"));
        let package = parse(
            path,
            b"Metadata-Version: 1.2\r\nName: six\r\nVersion: 1.16.0\r\n",
            None,
        );
        let package = package.expect("package");
        assert_eq!(package.location, path);
        assert_eq!(package.version, "1.16.0");
    }

    #[test]
    fn malformed_input_does_not_panic() {
        for text in [
            "",
            "Name: a\n",
            "Version: 1\n",
            " x\n",
            "Name:\nVersion:\n",
            "\u{0}",
        ] {
            assert!(parse("/a.dist-info/METADATA", text.as_bytes(), None).is_none());
        }
    }
}
