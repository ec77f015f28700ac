//! Package catalogers: what is installed, read from package databases and manifests.
//!
//! The image reader streams every layer once. It asks [`wanted`] which small metadata files to
//! keep (package databases, manifests, lockfiles), applies whiteouts, and hands the files of
//! the merged view to [`catalog`]. Executables are different: there are too many to keep, so
//! each one is given to [`scan_binary`] while its layer streams by, and the packages found in
//! it are kept with its path and layer. The reader drops those whose file did not survive to
//! the merged view (it knows the whiteouts); [`catalog`] drops those owned by an OS package.

use std::collections::{HashMap, HashSet};

use bulwark_model::Package;

mod apk;
mod cargo_auditable;
mod dpkg;
mod elf;
mod golang;
mod npm;
mod osrelease;
mod purl;
mod python;
#[cfg(test)]
mod tests;

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

/// Largest metadata file kept for cataloging; larger ones are not package databases.
pub const MAX_WANTED_SIZE: u64 = 64 * 1024 * 1024;

/// Whether the catalogers need the file at `path` (absolute) of `size` bytes.
///
/// Package databases (`/var/lib/dpkg/status`, `status.d/*`, `/lib/apk/db/installed`), the lists
/// of files Debian packages own (`/var/lib/dpkg/info/*.list`, `status.d/*.md5sums`, used to
/// drop executables an OS package installed), os-release, Python metadata, installed
/// `node_modules/**/package.json` files and JavaScript lockfiles.
pub fn wanted(path: &str, size: u64) -> bool {
    size <= MAX_WANTED_SIZE
        && (dpkg::is_status(path)
            || dpkg::is_owned_files_list(path)
            || path == apk::INSTALLED
            || osrelease::PATHS.contains(&path)
            || python::is_metadata(path)
            || npm::kind(path).is_some())
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
///   already reports it. Paths are compared as written and through the merged-`/usr` aliases
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
        }
    }
    let mut last: HashMap<String, BinaryPackages> = HashMap::new();
    for binary in binaries {
        last.insert(binary.path.clone(), binary);
    }
    for binary in last.into_values() {
        if usr_aliases(&binary.path).iter().any(|p| owned.contains(p)) {
            continue;
        }
        packages.extend(binary.packages.into_iter().map(|mut p| {
            p.layer.clone_from(&binary.layer);
            p
        }));
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
    fn aliases() {
        assert_eq!(usr_aliases("/bin/ls"), ["/bin/ls", "/usr/bin/ls"]);
        assert_eq!(usr_aliases("/usr/lib/x.so"), ["/usr/lib/x.so", "/lib/x.so"]);
        assert_eq!(usr_aliases("/opt/x"), ["/opt/x"]);
    }
}
