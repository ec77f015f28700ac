//! PHP packages from Composer lockfiles (`composer-lock`).
//!
//! `composer.lock` is JSON (<https://getcomposer.org/doc/01-basic-usage.md>): its `packages` and
//! `packages-dev` arrays list every locked package with `name` (`vendor/name`), `version` and
//! `license` (an array of SPDX identifiers). Decisions:
//! - Both arrays are read: dev packages are installed unless `--no-dev` was given, and the
//!   lockfile cannot tell (as for npm's dev entries).
//! - The version is kept as written, a leading `v` included (`v5.4.21`, the tag Symfony
//!   releases carry; branch versions such as `dev-main` too): it is what Composer locked, and a
//!   matcher compares versions after its own normalisation.
//! - The purl is `pkg:composer/<vendor>/<name>@<version>`, vendor and name lowercased as the purl
//!   specification asks for the composer type; the package name is kept as written.
//! - Entries without a name or a version are skipped. Lockfiles under `vendor` (packages
//!   installed by Composer, which may ship their own) or `node_modules` are not read.
//! - The location is the lockfile.

use bulwark_model::{Ecosystem, Package};
use serde_json::Value;

use super::{in_dir, purl};

/// Whether `path` is a Composer lockfile this cataloger reads.
pub(crate) fn is_lock(path: &str) -> bool {
    path.rsplit('/').next() == Some("composer.lock") && !in_dir(path, &["vendor", "node_modules"])
}

/// The packages a `composer.lock` locks.
pub(crate) fn parse(path: &str, data: &[u8], layer: Option<&String>) -> Vec<Package> {
    let Ok(json) = serde_json::from_slice::<Value>(data) else {
        return Vec::new();
    };
    let mut packages = Vec::new();
    for key in ["packages", "packages-dev"] {
        let entries = json.get(key).and_then(Value::as_array);
        for entry in entries.into_iter().flatten() {
            let text = |k: &str| {
                entry
                    .get(k)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
            };
            let (Some(name), Some(version)) = (text("name"), text("version")) else {
                continue;
            };
            let lower = name.to_lowercase();
            let purl = match lower.split_once('/') {
                Some((vendor, rest)) => purl::build("composer", Some(vendor), rest, version, &[]),
                None => purl::build("composer", None, &lower, version, &[]),
            };
            packages.push(Package {
                name: name.to_owned(),
                version: version.to_owned(),
                ecosystem: Ecosystem::Composer,
                cataloger: "composer-lock".to_owned(),
                purl,
                location: path.to_owned(),
                layer: layer.cloned(),
                source_name: None,
                source_version: None,
                licenses: licenses(entry.get("license")),
                os_owned: false,
            });
        }
    }
    packages
}

/// `license` is an array of strings (a single string in hand-written files).
fn licenses(value: Option<&Value>) -> Vec<String> {
    let mut out: Vec<String> = match value {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(|l| l.trim().to_owned())
            .collect(),
        Some(Value::String(license)) => vec![license.trim().to_owned()],
        _ => Vec::new(),
    };
    out.retain(|l| !l.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::test_util::{assert_provenance, name_version_purl};

    const LOCK: &str = r#"{
        "_readme": ["This file locks the dependencies of your project to a known state"],
        "content-hash": "0123456789abcdef",
        "packages": [
            {"name": "monolog/monolog", "version": "2.9.1", "source": {"type": "git"},
             "license": ["MIT"], "type": "library"},
            {"name": "symfony/console", "version": "v5.4.21", "license": ["MIT"]},
            {"name": "Acme/Legacy-Lib", "version": "dev-main", "license": "proprietary"},
            {"name": "guzzlehttp/psr7", "version": "1.9.0",
             "license": ["MIT", "", 3]},
            {"name": "no/version"},
            {"version": "1.0.0"},
            "not an object"
        ],
        "packages-dev": [
            {"name": "phpunit/phpunit", "version": "9.6.8", "license": ["BSD-3-Clause"]}
        ],
        "aliases": [],
        "minimum-stability": "stable"
    }"#;

    #[test]
    fn paths() {
        assert!(is_lock("/var/www/html/composer.lock"));
        assert!(is_lock("composer.lock"));
        assert!(!is_lock("/var/www/html/vendor/acme/lib/composer.lock"));
        assert!(!is_lock("/app/node_modules/x/composer.lock"));
        assert!(!is_lock("/app/composer.json"));
    }

    #[test]
    fn packages_and_dev_packages() {
        let packages = parse("/app/composer.lock", LOCK.as_bytes(), Some(&"l".to_owned()));
        let got = name_version_purl(&packages);
        assert_eq!(
            got,
            [
                (
                    "monolog/monolog",
                    "2.9.1",
                    "pkg:composer/monolog/monolog@2.9.1"
                ),
                (
                    "symfony/console",
                    "v5.4.21",
                    "pkg:composer/symfony/console@v5.4.21"
                ),
                (
                    "Acme/Legacy-Lib",
                    "dev-main",
                    "pkg:composer/acme/legacy-lib@dev-main"
                ),
                (
                    "guzzlehttp/psr7",
                    "1.9.0",
                    "pkg:composer/guzzlehttp/psr7@1.9.0"
                ),
                (
                    "phpunit/phpunit",
                    "9.6.8",
                    "pkg:composer/phpunit/phpunit@9.6.8"
                ),
            ]
        );
        assert_eq!(packages[0].licenses, ["MIT"]);
        assert_eq!(packages[2].licenses, ["proprietary"]);
        assert_eq!(packages[3].licenses, ["MIT"]);
        assert_eq!(packages[4].licenses, ["BSD-3-Clause"]);
        assert_provenance(
            &packages,
            "composer-lock",
            Ecosystem::Composer,
            Some("/app/composer.lock"),
            "l",
        );
    }

    #[test]
    fn malformed_input_does_not_panic() {
        for data in [
            &b""[..],
            b"{",
            b"[]",
            b"null",
            br#"{"packages": {}}"#,
            br#"{"packages": [null, 1, [], {"name": 1, "version": 2}]}"#,
            br#"{"packages": [{"name": " ", "version": "1"}]}"#,
            b"\xff\xfe",
        ] {
            assert!(parse("/composer.lock", data, None).is_empty());
        }
        let one = parse(
            "/composer.lock",
            br#"{"packages-dev": [{"name": "novendor", "version": "1"}]}"#,
            None,
        );
        assert_eq!(one[0].purl, "pkg:composer/novendor@1");
    }
}
