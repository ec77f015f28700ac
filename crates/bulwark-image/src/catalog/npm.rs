//! JavaScript packages: installed `node_modules` packages and lockfiles.
//!
//! - Installed (`npm`): `…/node_modules/<name>/package.json` and
//!   `…/node_modules/@scope/<name>/package.json`, nested `node_modules` included. A
//!   `package.json` deeper inside a package (`node_modules/x/lib/package.json`) is not a package.
//!   Name and version come from the file; the location is the `package.json`.
//! - `package-lock.json` and `npm-shrinkwrap.json` (`npm-lockfile`): lockfile v2/v3 read the
//!   `packages` map (keys `node_modules/a/node_modules/b`; the root `""` entry, `link: true`
//!   entries and workspace members outside `node_modules` are skipped); v1 walks the nested
//!   `dependencies` tree. Each entry is one package, so a version nested under another package
//!   is reported beside the top-level one (`minimist 1.2.0` and `minimist 0.0.8`). Dev and
//!   optional entries are reported too: the lockfile says they may be installed.
//! - `yarn.lock` (`yarn-lockfile`): v1 and berry; one package per entry (an entry may list
//!   several ranges resolving to one version); `@workspace:`/`@link:`/`@portal:`/`@file:`
//!   entries and `__metadata` are skipped.
//! - `pnpm-lock.yaml` (`pnpm-lockfile`): the keys of the `packages:` section in the v5
//!   (`/name/1.0.0_peer`), v6 (`/name@1.0.0(peer)`) and v9 (`name@1.0.0`) forms.
//!
//! Lockfiles inside `node_modules` (npm's hidden `node_modules/.package-lock.json`, or those
//! shipped in packages) are not read: they describe a package's development, not the image.
//! The location of a lockfile package is the lockfile. Licences come from `license` (a string,
//! or an old `{ "type": … }` object) or an old `licenses` array.

use bulwark_model::{Ecosystem, Package};
use serde_json::Value;

use super::purl;

/// Which npm cataloger a file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A `package.json` of an installed package.
    Installed,
    /// `package-lock.json` or `npm-shrinkwrap.json`.
    NpmLock,
    /// `yarn.lock`.
    YarnLock,
    /// `pnpm-lock.yaml`.
    PnpmLock,
}

/// What `path` is for the npm catalogers, if anything.
pub(crate) fn kind(path: &str) -> Option<Kind> {
    let mut parts = path.rsplit('/');
    let file = parts.next()?;
    let in_node_modules = path.contains("/node_modules/");
    match file {
        "package.json" => {
            let name = parts.next()?;
            let parent = parts.next()?;
            let installed = !name.is_empty()
                && !name.starts_with('@')
                && (parent == "node_modules"
                    || (parent.len() > 1
                        && parent.starts_with('@')
                        && parts.next() == Some("node_modules")));
            installed.then_some(Kind::Installed)
        }
        "package-lock.json" | "npm-shrinkwrap.json" if !in_node_modules => Some(Kind::NpmLock),
        "yarn.lock" if !in_node_modules => Some(Kind::YarnLock),
        "pnpm-lock.yaml" if !in_node_modules => Some(Kind::PnpmLock),
        _ => None,
    }
}

/// Packages of one file of the given kind.
pub(crate) fn parse(kind: Kind, path: &str, data: &[u8], layer: Option<&String>) -> Vec<Package> {
    let found = match kind {
        Kind::Installed => installed(data).into_iter().collect(),
        Kind::NpmLock => npm_lock(data),
        Kind::YarnLock => yarn_lock(&String::from_utf8_lossy(data)),
        Kind::PnpmLock => pnpm_lock(&String::from_utf8_lossy(data)),
    };
    let cataloger = match kind {
        Kind::Installed => "npm",
        Kind::NpmLock => "npm-lockfile",
        Kind::YarnLock => "yarn-lockfile",
        Kind::PnpmLock => "pnpm-lockfile",
    };
    found
        .into_iter()
        .filter(|f| !f.name.is_empty() && !f.version.is_empty())
        .map(|f| Package {
            purl: npm_purl(&f.name, &f.version),
            name: f.name,
            version: f.version,
            ecosystem: Ecosystem::Npm,
            cataloger: cataloger.to_owned(),
            location: path.to_owned(),
            layer: layer.cloned(),
            source_name: None,
            source_version: None,
            licenses: f.licenses,
            os_owned: false,
        })
        .collect()
}

/// `pkg:npm/%40scope/name@version` or `pkg:npm/name@version`.
pub(crate) fn npm_purl(name: &str, version: &str) -> String {
    match name.split_once('/') {
        Some((scope, rest)) if scope.starts_with('@') => {
            purl::build("npm", Some(scope), rest, version, &[])
        }
        _ => purl::build("npm", None, name, version, &[]),
    }
}

/// A package as a file describes it.
struct Found {
    name: String,
    version: String,
    licenses: Vec<String>,
}

fn installed(data: &[u8]) -> Option<Found> {
    let json: Value = serde_json::from_slice(data).ok()?;
    Some(Found {
        name: json.get("name")?.as_str()?.trim().to_owned(),
        version: json.get("version")?.as_str()?.trim().to_owned(),
        licenses: licenses(&json),
    })
}

fn licenses(json: &Value) -> Vec<String> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Object(o) => o
            .get("type")
            .and_then(Value::as_str)
            .map(|s| s.trim().to_owned()),
        _ => None,
    };
    let mut out: Vec<String> = Vec::new();
    if let Some(license) = json.get("license").and_then(one) {
        out.push(license);
    } else if let Some(list) = json.get("licenses").and_then(Value::as_array) {
        out.extend(list.iter().filter_map(one));
    } else if let Some(license) = json.get("licenses").and_then(one) {
        out.push(license);
    }
    out.retain(|l| !l.is_empty());
    out
}

fn npm_lock(data: &[u8]) -> Vec<Found> {
    let Ok(json) = serde_json::from_slice::<Value>(data) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    if let Some(packages) = json.get("packages").and_then(Value::as_object) {
        for (key, entry) in packages {
            let Some((_, installed_as)) = key.rsplit_once("node_modules/") else {
                continue; // the root "" and workspace members
            };
            if entry.get("link").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let name = entry
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(installed_as);
            let Some(version) = entry.get("version").and_then(Value::as_str) else {
                continue;
            };
            found.push(Found {
                name: name.to_owned(),
                version: version.to_owned(),
                licenses: licenses(entry),
            });
        }
        return found;
    }
    // Lockfile v1: a tree of `dependencies`, walked with an explicit stack (serde_json has
    // already bounded its depth).
    let mut stack: Vec<&Value> = json.get("dependencies").into_iter().collect();
    while let Some(dependencies) = stack.pop() {
        let Some(map) = dependencies.as_object() else {
            continue;
        };
        for (name, entry) in map {
            // `file:` versions are local directories (links), not registry packages.
            if let Some(version) = entry.get("version").and_then(Value::as_str)
                && !version.starts_with("file:")
            {
                found.push(Found {
                    name: name.clone(),
                    version: version.to_owned(),
                    licenses: Vec::new(),
                });
            }
            if let Some(nested) = entry.get("dependencies") {
                stack.push(nested);
            }
        }
    }
    found
}

/// Splits `name@range` (`@scope/name@npm:^1`) at the `@` that ends the name.
fn split_spec(spec: &str) -> Option<(&str, &str)> {
    let at = spec.get(1..)?.find('@')? + 1;
    Some((spec.get(..at)?, spec.get(at + 1..)?))
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
        .unwrap_or(s)
}

fn yarn_lock(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    let mut name: Option<&str> = None;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            // An entry: `"a@^1", a@^1.1:` (v1) or `"a@npm:^1, a@npm:^1.1":` (berry).
            name = None;
            let Some(specs) = line.strip_suffix(':') else {
                continue;
            };
            let first = unquote(specs.split(',').next().unwrap_or_default());
            if let Some((n, range)) = split_spec(first) {
                let local = ["workspace:", "link:", "portal:", "file:"]
                    .iter()
                    .any(|p| range.starts_with(p));
                if !local {
                    name = Some(n);
                }
            }
            continue;
        }
        let Some(current) = name else {
            continue;
        };
        let field = line.trim();
        let version = field
            .strip_prefix("version ")
            .or_else(|| field.strip_prefix("version: "))
            .or_else(|| field.strip_prefix("version:"));
        if let Some(version) = version {
            let version = unquote(version);
            found.push(Found {
                name: current.to_owned(),
                version: version.to_owned(),
                licenses: Vec::new(),
            });
            name = None;
        }
    }
    found
}

fn pnpm_lock(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    let mut in_packages = false;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            in_packages = line.trim_end() == "packages:";
            continue;
        }
        let Some(key) = line.strip_prefix("  ").filter(|k| !k.starts_with(' ')) else {
            continue;
        };
        if !in_packages {
            continue;
        }
        let Some(key) = key.trim_end().strip_suffix(':') else {
            continue;
        };
        if let Some((name, version)) = pnpm_key(unquote(key)) {
            found.push(Found {
                name: name.to_owned(),
                version: version.to_owned(),
                licenses: Vec::new(),
            });
        }
    }
    found
}

/// `/name/1.0.0_peer` (v5), `/@s/name@1.0.0(peer)` (v6), `name@1.0.0` (v9) → name, version.
fn pnpm_key(key: &str) -> Option<(&str, &str)> {
    let key = key.strip_prefix('/').unwrap_or(key);
    let key = key.split('(').next().unwrap_or(key);
    if let Some((name, version)) = split_spec(key) {
        return Some((name, version));
    }
    let (name, version) = key.rsplit_once('/')?;
    let version = version.split('_').next().unwrap_or(version);
    (!name.is_empty()).then_some((name, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(packages: &[Package]) -> Vec<(String, String)> {
        packages
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect()
    }

    fn pair(name: &str, version: &str) -> (String, String) {
        (name.to_owned(), version.to_owned())
    }

    #[test]
    fn kinds() {
        assert_eq!(
            kind("/app/node_modules/lodash/package.json"),
            Some(Kind::Installed)
        );
        assert_eq!(
            kind("/app/node_modules/@xmldom/xmldom/package.json"),
            Some(Kind::Installed)
        );
        assert_eq!(
            kind("/app/node_modules/a/node_modules/b/package.json"),
            Some(Kind::Installed)
        );
        assert_eq!(kind("/app/node_modules/a/lib/package.json"), None);
        assert_eq!(kind("/app/node_modules/@s/package.json"), None);
        assert_eq!(kind("/app/lib/@s/x/package.json"), None);
        assert_eq!(kind("/app/package.json"), None);
        assert_eq!(kind("package.json"), None);
        assert_eq!(kind("/app/package-lock.json"), Some(Kind::NpmLock));
        assert_eq!(kind("/app/node_modules/.package-lock.json"), None);
        assert_eq!(kind("/app/node_modules/x/package-lock.json"), None);
        assert_eq!(kind("/app/yarn.lock"), Some(Kind::YarnLock));
        assert_eq!(kind("/app/pnpm-lock.yaml"), Some(Kind::PnpmLock));
    }

    #[test]
    fn installed_package() {
        let json = br#"{"name":"@xmldom/xmldom","version":"0.7.5","license":"MIT"}"#;
        let path = "/app/node_modules/@xmldom/xmldom/package.json";
        let packages = parse(Kind::Installed, path, json, None);
        assert_eq!(packages.len(), 1);
        assert_eq!(packages[0].purl, "pkg:npm/%40xmldom/xmldom@0.7.5");
        assert_eq!(packages[0].licenses, ["MIT"]);
        assert_eq!(packages[0].cataloger, "npm");
        let old =
            br#"{"name":"a","version":"1.0.0","licenses":[{"type":"MIT"},{"type":"Apache-2.0"}]}"#;
        let packages = parse(Kind::Installed, "/node_modules/a/package.json", old, None);
        assert_eq!(packages[0].licenses, ["MIT", "Apache-2.0"]);
        let object = br#"{"name":"a","version":"1.0.0","license":{"type":"BSD"}}"#;
        let packages = parse(
            Kind::Installed,
            "/node_modules/a/package.json",
            object,
            None,
        );
        assert_eq!(packages[0].licenses, ["BSD"]);
    }

    #[test]
    fn lockfile_v3() {
        let lock = br#"{"name":"app","version":"1.0.0","lockfileVersion":3,"packages":{
            "":{"name":"app","version":"1.0.0"},
            "node_modules/minimist":{"version":"1.2.0","license":"MIT"},
            "node_modules/mkdirp":{"version":"0.5.1"},
            "node_modules/mkdirp/node_modules/minimist":{"version":"0.0.8"},
            "node_modules/@types/node":{"version":"20.1.0"},
            "node_modules/local":{"resolved":"packages/local","link":true},
            "node_modules/alias":{"name":"real","version":"2.0.0"},
            "packages/local":{"version":"0.0.1"}}}"#;
        let packages = parse(Kind::NpmLock, "/app/package-lock.json", lock, None);
        assert_eq!(
            pairs(&packages),
            [
                pair("minimist", "1.2.0"),
                pair("mkdirp", "0.5.1"),
                pair("minimist", "0.0.8"),
                pair("@types/node", "20.1.0"),
                pair("real", "2.0.0"),
            ]
        );
        assert_eq!(packages[0].licenses, ["MIT"]);
        assert_eq!(packages[0].cataloger, "npm-lockfile");
        assert_eq!(packages[0].location, "/app/package-lock.json");
    }

    #[test]
    fn lockfile_v1() {
        let lock = br#"{"name":"app","lockfileVersion":1,"dependencies":{
            "minimist":{"version":"1.2.0"},
            "mkdirp":{"version":"0.5.1","dependencies":{"minimist":{"version":"0.0.8"}}},
            "local":{"version":"file:../local"}}}"#;
        let mut got = pairs(&parse(Kind::NpmLock, "/package-lock.json", lock, None));
        got.sort();
        assert_eq!(
            got,
            [
                pair("minimist", "0.0.8"),
                pair("minimist", "1.2.0"),
                pair("mkdirp", "0.5.1")
            ]
        );
    }

    #[test]
    fn yarn_v1_and_berry() {
        let v1 = "# yarn lockfile v1\n\n\"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.10.4\":\n  \
                  version \"7.12.13\"\n  resolved \"https://x\"\n\nlodash@^4.17.0:\n  version \"4.17.21\"\n";
        assert_eq!(
            pairs(&parse(Kind::YarnLock, "/yarn.lock", v1.as_bytes(), None)),
            [
                pair("@babel/code-frame", "7.12.13"),
                pair("lodash", "4.17.21")
            ]
        );
        let berry = "__metadata:\n  version: 6\n\n\"lodash@npm:^4.17.0\":\n  version: 4.17.21\n\n\
                     \"app@workspace:.\":\n  version: 0.0.0-use.local\n";
        assert_eq!(
            pairs(&parse(Kind::YarnLock, "/yarn.lock", berry.as_bytes(), None)),
            [pair("lodash", "4.17.21")]
        );
    }

    #[test]
    fn pnpm_versions() {
        let lock = "lockfileVersion: '6.0'\n\ndependencies:\n  lodash:\n    specifier: ^4\n\n\
                    packages:\n\n  /lodash@4.17.21:\n    resolution: {integrity: x}\n\n  \
                    /@types/react@18.0.0(react@18.0.0):\n    dev: true\n  \
                    '/ms/2.1.3_peer':\n    dev: false\n  debug@4.3.4:\n    x: y\n\nsnapshots:\n  \
                    other@1.0.0:\n    x: y\n";
        assert_eq!(
            pairs(&parse(
                Kind::PnpmLock,
                "/pnpm-lock.yaml",
                lock.as_bytes(),
                None
            )),
            [
                pair("lodash", "4.17.21"),
                pair("@types/react", "18.0.0"),
                pair("ms", "2.1.3"),
                pair("debug", "4.3.4"),
            ]
        );
    }

    #[test]
    fn malformed_input_does_not_panic() {
        let inputs: [&[u8]; 8] = [
            b"",
            b"{",
            b"[]",
            br#"{"packages":[]}"#,
            br#"{"packages":{"node_modules/":{"version":1}}}"#,
            br#"{"dependencies":{"a":{"dependencies":"x"}}}"#,
            b"@:\n  version\n\"\n  version \"\n@\n",
            b"packages:\n  @:\n  /:\n  '':\n  /a/:\n",
        ];
        for data in inputs {
            for kind in [
                Kind::Installed,
                Kind::NpmLock,
                Kind::YarnLock,
                Kind::PnpmLock,
            ] {
                let _ = parse(kind, "/x", data, None);
            }
        }
    }
}
