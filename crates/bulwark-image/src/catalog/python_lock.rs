//! Python lockfiles and pinned requirements.
//!
//! - `requirements*.txt` (`python-requirements`): pip requirements files
//!   (<https://pip.pypa.io/en/stable/reference/requirements-file-format/>). Only pinned
//!   requirements are packages: `name==version` (or `===`), with extras (`name[extra]`),
//!   environment markers (`; python_version < "3.8"`) and per-requirement options (`--hash=…`)
//!   dropped. Ranges (`>=`, `~=`, several specifiers), wildcards (`==1.*`), unpinned names,
//!   options lines (`-r`, `-c`, `-e`, `--index-url` …), URLs and paths (`name @ https://…`,
//!   `./pkg`, `git+…`) are skipped: they do not name one version. `#` comments (at the start of
//!   a line or after whitespace) and `\` continuation lines are handled as pip does.
//! - `poetry.lock` (`poetry-lock`) and `uv.lock` (`uv-lock`): the `name` and `version` of each
//!   `[[package]]` table, read with [`super::toml_lock`]. In `uv.lock` the project itself and
//!   workspace members (`source = { editable = … }` or `{ virtual = … }`) are skipped; they are
//!   not published releases. Other sources (registry, git, url, path) are reported.
//! - `Pipfile.lock` (`pipfile-lock`): the `default` and `develop` maps (JSON) of name to
//!   `{ "version": "==x" }`; entries without a pinned version (editable, git, path) are skipped.
//! - Names are kept as written (`PyYAML`); purls use the PEP 503 normalised name
//!   (`pkg:pypi/pyyaml@5.3`), as for installed packages. Versions are kept as written.
//! - Development groups (`develop`, dev requirements files) are reported too: the files say they
//!   may be installed.
//! - Files under `site-packages`, `dist-packages` or `node_modules` are not read: they ship
//!   inside installed packages and describe those packages' development, not the image.
//! - The location is the file.

use bulwark_model::purl::pep503;
use bulwark_model::{Ecosystem, Package};
use serde_json::Value;

use super::{in_dir, purl, toml_lock};

/// The names of the catalogers of this module.
pub(super) const CATALOGERS: &[&str] = &[
    "python-requirements",
    "poetry-lock",
    "pipfile-lock",
    "uv-lock",
];

/// Which Python lockfile cataloger a file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `requirements*.txt`.
    Requirements,
    /// `poetry.lock`.
    Poetry,
    /// `Pipfile.lock`.
    Pipfile,
    /// `uv.lock`.
    Uv,
}

/// What `path` is for the Python lockfile catalogers, if anything.
pub(crate) fn kind(path: &str) -> Option<Kind> {
    let file = path.rsplit('/').next()?;
    let found = match file {
        "poetry.lock" => Kind::Poetry,
        "Pipfile.lock" => Kind::Pipfile,
        "uv.lock" => Kind::Uv,
        _ if file.starts_with("requirements")
            && std::path::Path::new(file)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("txt")) =>
        {
            Kind::Requirements
        }
        _ => return None,
    };
    (!in_dir(path, &["site-packages", "dist-packages", "node_modules"])).then_some(found)
}

/// Packages of one file of the given kind.
pub(crate) fn parse(kind: Kind, path: &str, data: &[u8], layer: Option<&String>) -> Vec<Package> {
    let (found, cataloger) = match kind {
        Kind::Requirements => (
            requirements(&String::from_utf8_lossy(data)),
            "python-requirements",
        ),
        Kind::Poetry => (toml(&String::from_utf8_lossy(data), false), "poetry-lock"),
        Kind::Uv => (toml(&String::from_utf8_lossy(data), true), "uv-lock"),
        Kind::Pipfile => (pipfile(data), "pipfile-lock"),
    };
    found
        .into_iter()
        .filter(|(name, version)| !name.is_empty() && !version.is_empty())
        .map(|(name, version)| Package {
            purl: purl::build("pypi", None, &pep503(&name), &version, &[]),
            name,
            version,
            ecosystem: Ecosystem::Pypi,
            cataloger: cataloger.to_owned(),
            location: path.to_owned(),
            layer: layer.cloned(),
            source_name: None,
            source_version: None,
            licenses: Vec::new(),
            os_owned: false,
        })
        .collect()
}

fn requirements(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut logical = String::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(start) = line.strip_suffix('\\') {
            logical.push_str(start);
            logical.push(' ');
            continue;
        }
        logical.push_str(line);
        found.extend(pinned(&logical));
        logical.clear();
    }
    found.extend(pinned(&logical));
    found
}

/// A PEP 508 name: ASCII letters and digits, with `.`, `_` and `-` inside.
fn is_name(name: &str) -> bool {
    let inner = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(inner)
}

/// A version as PEP 440 spells it (epoch `!`, local `+`), without wildcards.
fn is_version(version: &str) -> bool {
    !version.is_empty()
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '!'))
}

/// The name and version of one requirement line, if it pins one.
fn pinned(line: &str) -> Option<(String, String)> {
    let mut line = line.trim();
    if line.starts_with('#') {
        return None;
    }
    // A comment starts at a `#` after whitespace; so does a per-requirement option at `-`.
    let cut = line
        .char_indices()
        .zip(line.chars().skip(1))
        .find(|((_, c), next)| c.is_whitespace() && matches!(next, '#' | '-'))
        .map(|((i, _), _)| i);
    if let Some(cut) = cut {
        line = line.get(..cut)?;
    }
    let requirement = line.split(';').next().unwrap_or(line).trim();
    if requirement.is_empty()
        || requirement.starts_with(['-', '.', '/'])
        || requirement.contains(['@', ':'])
    {
        return None;
    }
    let compact: String = requirement.chars().filter(|c| !c.is_whitespace()).collect();
    let (name, version) = compact.split_once("==")?;
    let version = version.strip_prefix('=').unwrap_or(version);
    let name = match name.split_once('[') {
        Some((name, extras)) if extras.ends_with(']') => name,
        Some(_) => return None,
        None => name,
    };
    (is_name(name) && is_version(version)).then(|| (name.to_owned(), version.to_owned()))
}

/// `[[package]]` names and versions; `uv` skips the project and workspace members.
fn toml(text: &str, uv: bool) -> Vec<(String, String)> {
    toml_lock::packages(text)
        .iter()
        .filter(|table| {
            !uv || !matches!(
                toml_lock::inline_table_key(table, "source"),
                Some("editable" | "virtual")
            )
        })
        .filter_map(|table| {
            Some((
                toml_lock::string(table, "name")?,
                toml_lock::string(table, "version")?,
            ))
        })
        .collect()
}

fn pipfile(data: &[u8]) -> Vec<(String, String)> {
    let Ok(json) = serde_json::from_slice::<Value>(data) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for section in ["default", "develop"] {
        let Some(map) = json.get(section).and_then(Value::as_object) else {
            continue;
        };
        for (name, entry) in map {
            let Some(spec) = entry.get("version").and_then(Value::as_str) else {
                continue;
            };
            let Some(version) = spec
                .trim()
                .strip_prefix("===")
                .or_else(|| spec.trim().strip_prefix("=="))
            else {
                continue;
            };
            let version = version.trim();
            if is_name(name) && is_version(version) {
                found.push((name.clone(), version.to_owned()));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(kind: Kind, text: &str) -> Vec<(String, String)> {
        parse(kind, "/app/x", text.as_bytes(), None)
            .into_iter()
            .map(|p| (p.name, p.version))
            .collect()
    }

    fn pair(name: &str, version: &str) -> (String, String) {
        (name.to_owned(), version.to_owned())
    }

    #[test]
    fn kinds() {
        assert_eq!(kind("/app/requirements.txt"), Some(Kind::Requirements));
        assert_eq!(kind("/app/requirements-dev.txt"), Some(Kind::Requirements));
        assert_eq!(kind("/app/requirements/base.txt"), None);
        assert_eq!(kind("/app/poetry.lock"), Some(Kind::Poetry));
        assert_eq!(kind("/app/Pipfile.lock"), Some(Kind::Pipfile));
        assert_eq!(kind("/app/uv.lock"), Some(Kind::Uv));
        assert_eq!(kind("/app/Pipfile"), None);
        assert_eq!(kind("/app/requirements.in"), None);
        assert_eq!(
            kind("/usr/lib/python3/dist-packages/x/requirements.txt"),
            None
        );
        assert_eq!(
            kind("/venv/lib/python3.12/site-packages/y/poetry.lock"),
            None
        );
    }

    #[test]
    fn pinned_requirements() {
        let text = "# Intentionally outdated pins\n\
            -r base.txt\n--index-url https://pypi.org/simple\n-e git+https://x/y.git#egg=y\n\
            requests==2.19.1\nPyYAML == 5.3   # pinned for the fixture\n\
            requests[security,socks]==2.31.0 ; python_version >= \"3.8\"\n\
            Django==3.2.0 \\\n    --hash=sha256:0123 \\\n    --hash=sha256:4567\n\
            zope.interface===5.0+local\n\
            flask>=2.0\nclick~=8.0\nidna==2.*\nsix>=1,==1.16.0\nnumpy\n\
            pkg @ https://example.com/pkg-1.0.tar.gz\n./local/pkg\n\
            https://example.com/x-1.0.whl\nfoo==${VERSION}\nbar[oops==1\n\
            \tcertifi==2018.4.16\r\nurllib3==1.23#not-a-comment\n";
        assert_eq!(
            pairs(Kind::Requirements, text),
            [
                pair("requests", "2.19.1"),
                pair("PyYAML", "5.3"),
                pair("requests", "2.31.0"),
                pair("Django", "3.2.0"),
                pair("zope.interface", "5.0+local"),
                pair("certifi", "2018.4.16"),
            ]
        );
        let packages = parse(
            Kind::Requirements,
            "/app/requirements.txt",
            b"PyYAML==5.3\n",
            None,
        );
        assert_eq!(packages[0].purl, "pkg:pypi/pyyaml@5.3");
        assert_eq!(packages[0].cataloger, "python-requirements");
        assert_eq!(packages[0].ecosystem, Ecosystem::Pypi);
        assert_eq!(packages[0].location, "/app/requirements.txt");
        // A trailing continuation still ends the last requirement.
        assert_eq!(pairs(Kind::Requirements, "a==1 \\"), [pair("a", "1")]);
    }

    #[test]
    fn poetry() {
        let text = "# This file is automatically @generated by Poetry 1.8.2 and should not be changed by hand.\n\n\
            [[package]]\nname = \"certifi\"\nversion = \"2023.7.22\"\n\
            description = \"Python package for providing Mozilla's CA Bundle.\"\noptional = false\n\
            python-versions = \">=3.6\"\nfiles = [\n    {file = \"certifi-2023.7.22-py3-none-any.whl\", \
            hash = \"sha256:92d6\"},\n]\n\n[[package]]\nname = \"Jinja2\"\nversion = \"3.1.2\"\n\n\
            [package.dependencies]\nMarkupSafe = \">=2.0\"\n\n[package.extras]\ni18n = [\"Babel (>=2.7)\"]\n\n\
            [[package]]\nname = \"my-lib\"\nversion = \"0.1.0\"\ndevelop = true\n\n\
            [package.source]\ntype = \"directory\"\nurl = \"libs/my-lib\"\n\n\
            [metadata]\nlock-version = \"2.0\"\npython-versions = \"^3.11\"\n";
        assert_eq!(
            pairs(Kind::Poetry, text),
            [
                pair("certifi", "2023.7.22"),
                pair("Jinja2", "3.1.2"),
                pair("my-lib", "0.1.0"),
            ]
        );
        let packages = parse(Kind::Poetry, "/app/poetry.lock", text.as_bytes(), None);
        assert_eq!(packages[1].purl, "pkg:pypi/jinja2@3.1.2");
        assert_eq!(packages[1].cataloger, "poetry-lock");
    }

    #[test]
    fn uv() {
        let text = "version = 1\nrequires-python = \">=3.12\"\n\n[[package]]\nname = \"anyio\"\n\
            version = \"4.3.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n\
            dependencies = [\n    { name = \"idna\" },\n    { name = \"sniffio\" },\n]\n\
            sdist = { url = \"https://files/anyio-4.3.0.tar.gz\", hash = \"sha256:f7\", size = 1 }\n\n\
            [[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = { editable = \".\" }\n\n\
            [[package]]\nname = \"member\"\nversion = \"0.2.0\"\nsource = { virtual = \"packages/member\" }\n\n\
            [[package]]\nname = \"dyn\"\nsource = { registry = \"https://pypi.org/simple\" }\n\n\
            [[package]]\nname = \"forked\"\nversion = \"1.0.0\"\n\
            source = { git = \"https://github.com/acme/forked?rev=abc#abc\" }\n\n\
            [package.optional-dependencies]\nname = [\"x\"]\n";
        assert_eq!(
            pairs(Kind::Uv, text),
            [pair("anyio", "4.3.0"), pair("forked", "1.0.0")]
        );
        let packages = parse(Kind::Uv, "/app/uv.lock", text.as_bytes(), None);
        assert_eq!(packages[0].cataloger, "uv-lock");
        assert_eq!(packages[0].purl, "pkg:pypi/anyio@4.3.0");
    }

    #[test]
    fn pipfile_lock() {
        let text = r#"{
            "_meta": {"hash": {"sha256": "ab"}, "pipfile-spec": 6, "requires": {"python_version": "3.11"},
                      "sources": [{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": true}]},
            "default": {
                "requests": {"hashes": ["sha256:1", "sha256:2"], "index": "pypi",
                             "markers": "python_version >= '3.7'", "version": "==2.31.0"},
                "Zope.Interface": {"version": "===5.0"},
                "mylib": {"editable": true, "path": "."},
                "forked": {"git": "https://github.com/acme/forked.git", "ref": "abc"},
                "ranged": {"version": ">=1.0"},
                "odd": {"version": 1}
            },
            "develop": {"pytest": {"version": "==7.4.0"}}
        }"#;
        assert_eq!(
            pairs(Kind::Pipfile, text),
            [
                pair("requests", "2.31.0"),
                pair("Zope.Interface", "5.0"),
                pair("pytest", "7.4.0"),
            ]
        );
        let packages = parse(Kind::Pipfile, "/app/Pipfile.lock", text.as_bytes(), None);
        assert_eq!(packages[1].purl, "pkg:pypi/zope-interface@5.0");
        assert_eq!(packages[2].cataloger, "pipfile-lock");
    }

    #[test]
    fn malformed_input_does_not_panic() {
        for text in [
            "",
            "\\",
            "==\n==1\na==\n[==1\n[a]==1\n a [ ==1\n-==1\n\u{0}==\u{0}\n",
            "é==1\n#==1\n \t#\n",
            "{",
            "[]",
            r#"{"default": [], "develop": {"a": null, "b": {"version": "=="}}}"#,
            "[[package]]\nname = 1\nversion = \"1\"\n[[package]]\nsource = {\n",
            "\u{feff}[[package]]\n\"\"\"",
        ] {
            for kind in [Kind::Requirements, Kind::Poetry, Kind::Pipfile, Kind::Uv] {
                assert!(
                    parse(kind, "/x", text.as_bytes(), None).is_empty(),
                    "{kind:?} {text:?}"
                );
            }
        }
    }
}
