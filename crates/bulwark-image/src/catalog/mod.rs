//! Package catalogers: what is installed, read from package databases and manifests.
//!
//! The image reader streams every layer once. It asks [`wanted`] which small metadata files to
//! keep (package databases, manifests, lockfiles), applies whiteouts, and hands the files of
//! the merged view to [`catalog`]. Executables are different: there are too many to keep, so
//! each one is given to [`scan_binary`] while its layer streams by, and the packages found in
//! it are kept with its path and layer. The reader drops those whose file did not survive to
//! the merged view (it knows the whiteouts); [`catalog`] drops those owned by an OS package.

use std::collections::{HashMap, HashSet};

use bulwark_model::purl::pep503;
use bulwark_model::{Ecosystem, Package};

mod apk;
mod cargo_auditable;
mod cargo_lock;
mod dotnet;
mod dpkg;
mod elf;
mod golang;
mod java;
mod npm;
mod osrelease;
mod php;
mod purl;
mod python;
mod python_lock;
mod rpm;
mod ruby;
#[cfg(test)]
mod tests;

/// Helpers the catalogers' unit tests share.
#[cfg(test)]
pub(super) mod test_util {
    use bulwark_model::{Ecosystem, Package};

    /// `(name, version, purl)` of each package, in order.
    pub(crate) fn name_version_purl(packages: &[Package]) -> Vec<(&str, &str, &str)> {
        packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.purl.as_str()))
            .collect()
    }

    /// Asserts that every package came from `cataloger` in `ecosystem`, read from `location`
    /// (when given) in layer `layer`.
    pub(crate) fn assert_provenance(
        packages: &[Package],
        cataloger: &str,
        ecosystem: Ecosystem,
        location: Option<&str>,
        layer: &str,
    ) {
        for p in packages {
            assert_eq!(p.cataloger, cataloger, "{p:?}");
            assert_eq!(p.ecosystem, ecosystem, "{p:?}");
            if let Some(l) = location {
                assert_eq!(p.location, l, "{p:?}");
            }
            assert_eq!(p.layer.as_deref(), Some(layer), "{p:?}");
        }
    }
}
mod toml_lock;

/// A file of the merged view that [`wanted`] asked for.
#[derive(Debug, Clone)]
pub struct CatalogFile {
    /// Absolute path in the image (`/var/lib/dpkg/status`).
    pub path: String,
    /// Its content.
    pub data: Vec<u8>,
    /// The diff id of the layer that last wrote it, for images.
    pub layer: Option<String>,
}

/// Packages found in one executable while its layer was read.
#[derive(Debug, Clone)]
pub struct BinaryPackages {
    /// Absolute path of the executable.
    pub path: String,
    /// The diff id of its layer.
    pub layer: Option<String>,
    /// What it embeds (cargo-auditable dependencies, Go modules).
    pub packages: Vec<Package>,
}

/// Largest file kept for cataloging; larger ones are not package databases, and Java archives
/// larger than this are not read.
pub const MAX_WANTED_SIZE: u64 = 64 * 1024 * 1024;

/// Whether the catalogers need the file at `path` (absolute) of `size` bytes.
///
/// Package databases (`/var/lib/dpkg/status`, `status.d/*`, `/lib/apk/db/installed`), the lists
/// of files Debian packages own (`/var/lib/dpkg/info/*.list`, `status.d/*.md5sums`, used to
/// drop executables an OS package installed), os-release, Python metadata, installed
/// `node_modules/**/package.json` files, JavaScript lockfiles, Java archives (`*.jar`, `*.war`,
/// `*.ear`, `*.jpi`, `*.hpi`), Ruby lockfiles and installed gemspecs, `composer.lock`,
/// `*.deps.json`, Python requirements files and lockfiles, and `Cargo.lock`.
pub fn wanted(path: &str, size: u64) -> bool {
    size <= MAX_WANTED_SIZE
        && (dpkg::is_status(path)
            || dpkg::is_owned_files_list(path)
            || path == apk::INSTALLED
            || osrelease::PATHS.contains(&path)
            || python::is_metadata(path)
            || npm::kind(path).is_some()
            || java::is_archive(path)
            || ruby::kind(path).is_some()
            || php::is_lock(path)
            || dotnet::is_deps(path)
            || python_lock::kind(path).is_some()
            || cargo_lock::is_lock(path)
            || rpm::wanted(path))
}

/// What the catalogers could not read among `files` and want said (RPM Berkeley DB and NDB
/// databases).
pub fn notes(files: &[CatalogFile]) -> Vec<String> {
    files
        .iter()
        .filter_map(|f| rpm::unsupported(&f.path))
        .collect()
}

/// Packages embedded in an executable (`data` is the whole file), if it is one.
///
/// Only ELF files are read (anything else returns at once): the crates of a cargo-auditable
/// `.dep-v0` section, and the modules and toolchain of Go build information. `layer` is left
/// empty; [`catalog`] fills it from the [`BinaryPackages`].
pub fn scan_binary(path: &str, data: &[u8]) -> Vec<Package> {
    if !elf::is_elf(data) {
        return Vec::new();
    }
    let Some(parsed) = elf::Elf::parse(data) else {
        return Vec::new();
    };
    let mut packages = cargo_auditable::scan(path, &parsed);
    packages.extend(golang::scan(path, &parsed, data));
    packages
}

/// Every package the merged view describes.
///
/// `files` are the merged view's wanted files; `binaries` the packages found in executables,
/// in layer order. Decisions:
/// - The distribution (for purls) is read from `/etc/os-release`, else `/usr/lib/os-release`.
/// - An executable given more than once (rewritten by a later layer) counts once, as the last
///   one given. The caller drops executables a whiteout deleted: only it sees the whiteouts.
/// - Packages of an executable that a dpkg or apk package owns are dropped: the OS package
///   already reports it. Its Go standard library stays, marked `os_owned`.
/// - Language packages whose metadata file an OS package installed (Debian's `python3-pip`)
///   are marked `os_owned`. Paths are compared as written and through the merged-`/usr` aliases
///   (`/bin/x` and `/usr/bin/x`).
/// - The result is sorted by cataloger, location, name and version, so it is deterministic.
pub fn catalog(files: &[CatalogFile], binaries: Vec<BinaryPackages>) -> Vec<Package> {
    let os = osrelease::PATHS
        .iter()
        .find_map(|p| files.iter().find(|f| f.path == *p))
        .map(|f| osrelease::parse(&f.data))
        .unwrap_or_default();
    let mut owned: HashSet<String> = HashSet::new();
    let mut packages = Vec::new();
    for file in files {
        let (path, data, layer) = (
            file.path.as_str(),
            file.data.as_slice(),
            file.layer.as_ref(),
        );
        if dpkg::is_status(path) {
            packages.extend(dpkg::parse(path, data, layer, &os));
        } else if dpkg::is_owned_files_list(path) {
            owned.extend(dpkg::owned_files(path, data));
        } else if path == apk::INSTALLED {
            packages.extend(apk::parse(path, data, layer, &os));
            owned.extend(apk::owned_files(data));
        } else if python::is_metadata(path) {
            packages.extend(python::parse(path, data, layer));
        } else if let Some(kind) = npm::kind(path) {
            packages.extend(npm::parse(kind, path, data, layer));
        } else if java::is_archive(path) {
            packages.extend(java::parse(path, data, layer));
        } else if let Some(kind) = ruby::kind(path) {
            packages.extend(ruby::parse(kind, path, data, layer));
        } else if php::is_lock(path) {
            packages.extend(php::parse(path, data, layer));
        } else if dotnet::is_deps(path) {
            packages.extend(dotnet::parse(path, data, layer));
        } else if let Some(kind) = python_lock::kind(path) {
            packages.extend(python_lock::parse(kind, path, data, layer));
        } else if cargo_lock::is_lock(path) {
            packages.extend(cargo_lock::parse(path, data, layer));
        } else if rpm::wanted(path) {
            let distro = os
                .id
                .as_deref()
                .map(|id| (id, os.version_id.as_deref().unwrap_or("")));
            for (mut package, files) in rpm::parse(path, data, distro) {
                package.layer = layer.cloned();
                owned.extend(files);
                packages.push(package);
            }
        }
    }
    // A pin of a requirements file or lockfile that is installed (the same name and version in
    // the image's Python metadata) is reported once, as installed: the lockfile is how it got
    // there, not a second copy.
    let installed: HashSet<(String, String)> = packages
        .iter()
        .filter(|p| p.cataloger == "python")
        .map(|p| (pep503(&p.name), release_key(&p.version)))
        .collect();
    packages.retain(|p| {
        !(python_lock::CATALOGERS.contains(&p.cataloger.as_str())
            && installed.contains(&(pep503(&p.name), release_key(&p.version))))
    });
    for p in &mut packages {
        if !matches!(
            p.ecosystem,
            Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm
        ) && usr_aliases(&p.location).iter().any(|l| owned.contains(l))
        {
            p.os_owned = true;
        }
    }
    let mut last: HashMap<String, BinaryPackages> = HashMap::new();
    for binary in binaries {
        last.insert(binary.path.clone(), binary);
    }
    for binary in last.into_values() {
        let os_owned = usr_aliases(&binary.path).iter().any(|p| owned.contains(p));
        packages.extend(
            binary
                .packages
                .into_iter()
                // The OS package reports an owned executable's modules; only its Go standard
                // library stays, marked, so the vulnerability matcher can rate its findings as
                // low confidence (distributions backport Go fixes without a version change).
                .filter(|p| !os_owned || (p.cataloger == "go-binary" && p.name == "stdlib"))
                .map(|mut p| {
                    p.os_owned = os_owned;
                    p.layer.clone_from(&binary.layer);
                    p
                }),
        );
    }
    packages.sort_by(|a, b| {
        (&a.cataloger, &a.location, &a.name, &a.version).cmp(&(
            &b.cataloger,
            &b.location,
            &b.name,
            &b.version,
        ))
    });
    packages
}

/// A Python version for comparing pins with installed metadata: PEP 440 release segments
/// compare with trailing zeros ignored (`3.2.0` is `3.2`), case and a leading `v` aside.
fn release_key(version: &str) -> String {
    let v = version
        .trim()
        .trim_start_matches(['v', 'V'])
        .to_ascii_lowercase();
    let mut parts: Vec<&str> = v.split('.').collect();
    while parts.len() > 1 && parts.last() == Some(&"0") {
        parts.pop();
    }
    parts.join(".")
}

/// Whether a directory above the file at `path` is named one of `dirs` (`node_modules`,
/// `vendor` …): lockfiles there belong to a dependency, not to the image's application.
fn in_dir(path: &str, dirs: &[&str]) -> bool {
    let parent = path.rsplit_once('/').map_or("", |(dir, _)| dir);
    parent.split('/').any(|part| dirs.contains(&part))
}

/// `path` and its other name under merged `/usr` (`/bin` ↔ `/usr/bin`, `/sbin`, `/lib*`).
fn usr_aliases(path: &str) -> Vec<String> {
    let mut aliases = vec![path.to_owned()];
    for dir in ["/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/", "/libx32/"] {
        if path.starts_with(dir) {
            aliases.push(format!("/usr{path}"));
        } else if let Some(rest) = path.strip_prefix("/usr").filter(|r| r.starts_with(dir)) {
            aliases.push(rest.to_owned());
        }
    }
    aliases
}

#[cfg(test)]
mod unit_tests {
    use bulwark_model::Ecosystem;

    use super::*;

    #[test]
    fn installed_pins_are_reported_once() {
        let files = [
            file(
                "/usr/local/lib/python3.11/dist-packages/Django-3.2.dist-info/METADATA",
                "Metadata-Version: 2.1\nName: Django\nVersion: 3.2\n",
            ),
            file("/app/requirements.txt", "django==3.2.0\nrequests==2.31.0\n"),
        ];
        let got: Vec<(String, String)> = catalog(&files, Vec::new())
            .into_iter()
            .map(|p| (p.cataloger, format!("{} {}", p.name, p.version)))
            .collect();
        assert_eq!(
            got,
            [
                ("python".to_string(), "Django 3.2".to_string()),
                (
                    "python-requirements".to_string(),
                    "requests 2.31.0".to_string()
                )
            ]
        );
        assert_eq!(release_key("v3.2.0"), release_key("3.2"));
        assert_ne!(release_key("3.2.1"), release_key("3.2"));
    }

    fn file(path: &str, data: &str) -> CatalogFile {
        CatalogFile {
            path: path.to_owned(),
            data: data.as_bytes().to_vec(),
            layer: Some("l1".into()),
        }
    }

    fn binary_package(path: &str, name: &str) -> Package {
        Package {
            name: name.to_owned(),
            version: "1.0.0".to_owned(),
            ecosystem: Ecosystem::Cargo,
            cataloger: "cargo-auditable".to_owned(),
            purl: format!("pkg:cargo/{name}@1.0.0"),
            location: path.to_owned(),
            layer: None,
            source_name: None,
            source_version: None,
            licenses: Vec::new(),
            os_owned: false,
        }
    }

    #[test]
    fn wanted_paths() {
        for path in [
            "/var/lib/dpkg/status",
            "/var/lib/dpkg/status.d/libc6",
            "/var/lib/dpkg/status.d/libc6.md5sums",
            "/var/lib/dpkg/info/libc6:amd64.list",
            "/lib/apk/db/installed",
            "/etc/os-release",
            "/usr/lib/os-release",
            "/usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA",
            "/usr/lib/python3/dist-packages/wheel-0.38.4.egg-info/PKG-INFO",
            "/usr/lib/python3/dist-packages/six-1.16.0.egg-info",
            "/app/node_modules/@xmldom/xmldom/package.json",
            "/app/package-lock.json",
            "/app/yarn.lock",
            "/app/pnpm-lock.yaml",
            "/app/app.jar",
            "/opt/jboss/deployments/shop.ear",
            "/app/Gemfile.lock",
            "/usr/local/bundle/specifications/rack-2.2.8.gemspec",
            "/var/www/composer.lock",
            "/app/WebApi.deps.json",
            "/app/requirements.txt",
            "/app/poetry.lock",
            "/app/Pipfile.lock",
            "/app/uv.lock",
            "/src/Cargo.lock",
        ] {
            assert!(wanted(path, 10), "{path}");
        }
        for path in [
            "/var/lib/dpkg/status-old",
            "/var/lib/dpkg/info/libc6.md5sums",
            "/app/package.json",
            "/app/node_modules/.package-lock.json",
            "/usr/bin/python3",
            "/x/a.dist-info/RECORD",
            "/app/node_modules/x/Gemfile.lock",
            "/var/www/vendor/a/b/composer.lock",
            "/usr/lib/python3/dist-packages/x/requirements.txt",
            "/root/.cargo/registry/src/index.crates.io-0/a-1.0.0/Cargo.lock",
            "/app/Gemfile",
            "/app/Cargo.toml",
        ] {
            assert!(!wanted(path, 10), "{path}");
        }
        assert!(!wanted("/var/lib/dpkg/status", MAX_WANTED_SIZE + 1));
    }

    #[test]
    fn scan_binary_ignores_non_elf() {
        assert!(scan_binary("/bin/sh", b"#!/bin/sh\n").is_empty());
        assert!(scan_binary("/bin/x", b"\x7fELF").is_empty());
        assert!(scan_binary("/bin/x", b"").is_empty());
    }

    #[test]
    fn catalog_uses_os_release_and_drops_owned_binaries() {
        let files = [
            file("/usr/lib/os-release", "ID=debian\nVERSION_ID=\"11\"\n"),
            file("/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
            file(
                "/var/lib/dpkg/status",
                "Package: rg\nStatus: install ok installed\nVersion: 13.0.0-4+b2\nArchitecture: amd64\n",
            ),
            file("/var/lib/dpkg/info/rg.list", "/.\n/usr\n/usr/bin/rg\n"),
        ];
        let binaries = vec![
            BinaryPackages {
                path: "/bin/rg".into(),
                layer: Some("l0".into()),
                packages: vec![binary_package("/bin/rg", "regex")],
            },
            BinaryPackages {
                path: "/opt/tool".into(),
                layer: Some("l0".into()),
                packages: vec![binary_package("/opt/tool", "old")],
            },
            BinaryPackages {
                path: "/opt/tool".into(),
                layer: Some("l2".into()),
                packages: vec![binary_package("/opt/tool", "new")],
            },
        ];
        let packages = catalog(&files, binaries);
        let got: Vec<_> = packages
            .iter()
            .map(|p| (p.cataloger.as_str(), p.name.as_str()))
            .collect();
        assert_eq!(got, [("cargo-auditable", "new"), ("dpkg", "rg")]);
        assert_eq!(packages[0].layer.as_deref(), Some("l2"));
        assert_eq!(packages[1].layer.as_deref(), Some("l1"));
        assert_eq!(
            packages[1].purl,
            "pkg:deb/debian/rg@13.0.0-4%2Bb2?arch=amd64&distro=debian-12"
        );
    }

    #[test]
    fn scan_binary_survives_truncation_and_corruption() {
        use std::io::Write;

        use elf::build::{Spec, elf};

        let mut encoder =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        encoder
            .write_all(br#"{"packages":[{"name":"a","version":"1.0.0","root":true}]}"#)
            .expect("in memory");
        let deps = encoder.finish().expect("in memory");
        let mut go = b"\xff Go buildinf:\x08\x02".to_vec();
        go.resize(32, 0);
        go.extend(b"\x08go1.22.0\x19mod\texample.com/m\tv1.0.0\n");
        let data = elf(
            true,
            false,
            &[
                Spec {
                    name: ".dep-v0",
                    kind: 1,
                    addr: 0,
                    data: &deps,
                },
                Spec {
                    name: ".go.buildinfo",
                    kind: 1,
                    addr: 0x1000,
                    data: &go,
                },
            ],
        );
        let found = scan_binary("/bin/x", &data);
        let names: Vec<_> = found.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["a", "example.com/m", "stdlib"]);
        for len in 0..data.len() {
            let _ = scan_binary("/bin/x", data.get(..len).expect("in range"));
        }
        let mut corrupt = data.clone();
        for i in 0..corrupt.len() {
            for delta in [1u8, 0x80, 0xff] {
                corrupt[i] = data[i].wrapping_add(delta);
                let _ = scan_binary("/bin/x", &corrupt);
            }
            corrupt[i] = data[i];
        }
    }

    #[test]
    fn catalog_reads_the_new_catalogers() {
        let mut jar = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        jar.start_file(
            "META-INF/maven/org.yaml/snakeyaml/pom.properties",
            zip::write::SimpleFileOptions::default(),
        )
        .expect("in memory");
        std::io::Write::write_all(
            &mut jar,
            b"groupId=org.yaml\nartifactId=snakeyaml\nversion=1.33\n",
        )
        .expect("in memory");
        let jar = jar.finish().expect("in memory").into_inner();
        let files = [
            CatalogFile {
                path: "/app/app.jar".into(),
                data: jar,
                layer: Some("l1".into()),
            },
            file("/app/Gemfile.lock", "GEM\n  specs:\n    rack (2.2.8)\n"),
            file(
                "/usr/local/bundle/specifications/rack-2.2.8.gemspec",
                "s.name = \"rack\"\ns.version = \"2.2.8\"\n",
            ),
            file(
                "/app/composer.lock",
                r#"{"packages":[{"name":"monolog/monolog","version":"2.9.1"}]}"#,
            ),
            file(
                "/app/App.deps.json",
                r#"{"libraries":{"Newtonsoft.Json/13.0.3":{"type":"package"}}}"#,
            ),
            file("/app/requirements.txt", "flask==2.3.2\n"),
            file(
                "/app/poetry.lock",
                "[[package]]\nname = \"idna\"\nversion = \"3.4\"\n",
            ),
            file(
                "/app/Pipfile.lock",
                r#"{"default":{"six":{"version":"==1.16.0"}}}"#,
            ),
            file(
                "/app/uv.lock",
                "[[package]]\nname = \"anyio\"\nversion = \"4.3.0\"\n",
            ),
            file(
                "/src/Cargo.lock",
                "[[package]]\nname = \"libc\"\nversion = \"0.2.150\"\nsource = \"registry+x\"\n",
            ),
        ];
        let got: Vec<_> = catalog(&files, Vec::new())
            .into_iter()
            .map(|p| (p.cataloger, p.purl))
            .collect();
        let expected = [
            ("cargo-lock", "pkg:cargo/libc@0.2.150"),
            ("composer-lock", "pkg:composer/monolog/monolog@2.9.1"),
            ("dotnet-deps", "pkg:nuget/Newtonsoft.Json@13.0.3"),
            ("gemfile-lock", "pkg:gem/rack@2.2.8"),
            ("gemspec", "pkg:gem/rack@2.2.8"),
            ("java-archive", "pkg:maven/org.yaml/snakeyaml@1.33"),
            ("pipfile-lock", "pkg:pypi/six@1.16.0"),
            ("poetry-lock", "pkg:pypi/idna@3.4"),
            ("python-requirements", "pkg:pypi/flask@2.3.2"),
            ("uv-lock", "pkg:pypi/anyio@4.3.0"),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(c, p)| ((*c).to_owned(), (*p).to_owned()))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn dirs() {
        assert!(in_dir("/app/node_modules/x/yarn.lock", &["node_modules"]));
        assert!(!in_dir("/app/node_modules", &["node_modules"]));
        assert!(!in_dir("/app/my_vendor/composer.lock", &["vendor"]));
        assert!(!in_dir("composer.lock", &["vendor"]));
    }

    #[test]
    fn aliases() {
        assert_eq!(usr_aliases("/bin/ls"), ["/bin/ls", "/usr/bin/ls"]);
        assert_eq!(usr_aliases("/usr/lib/x.so"), ["/usr/lib/x.so", "/lib/x.so"]);
        assert_eq!(usr_aliases("/opt/x"), ["/opt/x"]);
    }
}
