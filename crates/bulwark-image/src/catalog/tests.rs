//! The catalogers against the real test images in `shared/images`: each image's layers are
//! read here (OCI archive, gzip layers, whiteouts applied in layer order), the merged view's
//! wanted files and executables are cataloged, and the result must equal the image's inventory
//! (`shared/images/inventory/<image>.json`) exactly. The inventories list what the package
//! databases and the npm lockfile name; the packages other lockfiles in an image name
//! (debian-app's `/app/requirements.txt`) are listed here, and must be found exactly too.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Read;

use serde_json::Value;

use super::{BinaryPackages, CatalogFile, catalog, scan_binary, wanted};
use bulwark_model::Package;

const IMAGES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/images");

/// What a path of the merged view holds, as far as the catalogers care.
#[derive(Clone)]
enum Node {
    Wanted(Vec<u8>, String),
    Binary(Vec<Package>, String),
    Other,
}

fn open(path: &str) -> File {
    File::open(path).unwrap_or_else(|e| {
        panic!("the shared test image {path} is missing ({e}); CI provides /work/shared/images")
    })
}

/// `./usr/bin/x`, `usr/bin/x/` → `/usr/bin/x`.
fn clean(path: &str) -> String {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

fn blobs(image: &str) -> HashMap<String, Vec<u8>> {
    let mut archive = tar::Archive::new(open(&format!("{IMAGES}/{image}.oci.tar")));
    let mut blobs = HashMap::new();
    for entry in archive.entries().expect("outer tar") {
        let mut entry = entry.expect("outer entry");
        let name = clean(&entry.path().expect("path").to_string_lossy());
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("outer entry data");
        blobs.insert(name, data);
    }
    blobs
}

fn json_blob(blobs: &HashMap<String, Vec<u8>>, digest: &str) -> Value {
    let hex = digest.strip_prefix("sha256:").expect("sha256 digest");
    let data = blobs
        .get(&format!("/blobs/sha256/{hex}"))
        .expect("blob present");
    serde_json::from_slice(data).expect("JSON blob")
}

/// The catalogers' view of an image: its wanted files and executables' packages.
fn merged_view(image: &str) -> (Vec<CatalogFile>, Vec<BinaryPackages>) {
    let blobs = blobs(image);
    let index: Value =
        serde_json::from_slice(blobs.get("/index.json").expect("index.json")).expect("index");
    let mut manifest = json_blob(
        &blobs,
        index["manifests"][0]["digest"].as_str().expect("digest"),
    );
    if manifest.get("manifests").is_some() {
        manifest = json_blob(
            &blobs,
            manifest["manifests"][0]["digest"].as_str().expect("digest"),
        );
    }
    let config = json_blob(
        &blobs,
        manifest["config"]["digest"].as_str().expect("config"),
    );
    let diff_ids = config["rootfs"]["diff_ids"].as_array().expect("diff ids");
    let layers = manifest["layers"].as_array().expect("layers");
    assert_eq!(diff_ids.len(), layers.len());
    let mut merged: BTreeMap<String, Node> = BTreeMap::new();
    for (layer, diff_id) in layers.iter().zip(diff_ids) {
        let diff_id = diff_id.as_str().expect("diff id").to_owned();
        let digest = layer["digest"].as_str().expect("layer digest");
        let blob = blobs
            .get(&format!(
                "/blobs/sha256/{}",
                digest.trim_start_matches("sha256:")
            ))
            .expect("layer blob");
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(blob.as_slice()));
        let mut added: HashMap<String, Node> = HashMap::new();
        let mut deleted: Vec<String> = Vec::new();
        let mut opaque: Vec<String> = Vec::new();
        for entry in archive.entries().expect("layer tar") {
            let mut entry = entry.expect("layer entry");
            let path = clean(&entry.path().expect("path").to_string_lossy());
            let (dir, name) = path.rsplit_once('/').expect("absolute");
            if name == ".wh..wh..opq" {
                opaque.push(format!("{dir}/"));
                continue;
            }
            if let Some(target) = name.strip_prefix(".wh.") {
                deleted.push(format!("{dir}/{target}"));
                continue;
            }
            let kind = entry.header().entry_type();
            let node = if kind.is_file() {
                let mut data = Vec::new();
                entry.read_to_end(&mut data).expect("file data");
                let size = u64::try_from(data.len()).expect("size");
                if wanted(&path, size) {
                    Node::Wanted(data, diff_id.clone())
                } else {
                    Node::Binary(scan_binary(&path, &data), diff_id.clone())
                }
            } else if kind.is_hard_link() {
                let target = clean(
                    &entry
                        .link_name()
                        .expect("link")
                        .expect("link name")
                        .to_string_lossy(),
                );
                match added.get(&target).or_else(|| merged.get(&target)) {
                    Some(Node::Wanted(data, _)) => Node::Wanted(data.clone(), diff_id.clone()),
                    Some(Node::Binary(_, _)) => {
                        let Some(Node::Binary(packages, _)) =
                            added.get(&target).or_else(|| merged.get(&target))
                        else {
                            unreachable!()
                        };
                        let packages = packages
                            .iter()
                            .cloned()
                            .map(|mut p| {
                                p.location.clone_from(&path);
                                p
                            })
                            .collect();
                        Node::Binary(packages, diff_id.clone())
                    }
                    _ => Node::Other,
                }
            } else {
                Node::Other
            };
            added.insert(path, node);
        }
        for dir in opaque {
            let doomed: Vec<String> = merged
                .range(dir.clone()..)
                .take_while(|(k, _)| k.starts_with(&dir))
                .map(|(k, _)| k.clone())
                .collect();
            for key in doomed {
                merged.remove(&key);
            }
        }
        for path in deleted {
            merged.remove(&path);
            let below = format!("{path}/");
            let doomed: Vec<String> = merged
                .range(below.clone()..)
                .take_while(|(k, _)| k.starts_with(&below))
                .map(|(k, _)| k.clone())
                .collect();
            for key in doomed {
                merged.remove(&key);
            }
        }
        merged.extend(added);
    }
    let mut files = Vec::new();
    let mut binaries = Vec::new();
    for (path, node) in merged {
        match node {
            Node::Wanted(data, layer) => files.push(CatalogFile {
                path,
                data,
                layer: Some(layer),
            }),
            Node::Binary(packages, layer) if !packages.is_empty() => {
                binaries.push(BinaryPackages {
                    path,
                    layer: Some(layer),
                    packages,
                });
            }
            _ => {}
        }
    }
    (files, binaries)
}

/// `(cataloger, name, version, location)` of every package the inventory lists, sorted.
fn inventory(image: &str) -> Vec<(String, String, String, String)> {
    let path = format!("{IMAGES}/inventory/{image}.json");
    let mut text = String::new();
    open(&path).read_to_string(&mut text).expect("inventory");
    let json: Value = serde_json::from_str(&text).expect("inventory JSON");
    let mut expected = Vec::new();
    for (kind, entries) in json.as_object().expect("object") {
        let cataloger = match kind.as_str() {
            "deb" => "dpkg",
            "python-debian" => "python",
            other => other,
        };
        for entry in entries.as_array().expect("array") {
            let field = |k: &str| entry[k].as_str().expect("string field").to_owned();
            if kind == "python-debian" {
                assert!(field("path").starts_with("/usr/lib/python3/dist-packages/"));
            }
            expected.push((
                cataloger.to_owned(),
                field("name"),
                field("version"),
                field("path"),
            ));
        }
    }
    expected.sort();
    expected
}

/// `check(image, lockfiles)`: `lockfiles` are `(cataloger, name, version, location)` the
/// inventory does not list.
fn check(image: &str, lockfiles: &[(&str, &str, &str, &str)]) -> Vec<Package> {
    let (files, binaries) = merged_view(image);
    let packages = catalog(&files, binaries);
    let mut got: Vec<_> = packages
        .iter()
        .map(|p| {
            (
                p.cataloger.clone(),
                p.name.clone(),
                p.version.clone(),
                p.location.clone(),
            )
        })
        .collect();
    got.sort();
    let mut expected = inventory(image);
    expected.extend(lockfiles.iter().map(|(c, n, v, l)| {
        (
            (*c).to_owned(),
            (*n).to_owned(),
            (*v).to_owned(),
            (*l).to_owned(),
        )
    }));
    expected.sort();
    let missing: Vec<_> = expected.iter().filter(|e| !got.contains(e)).collect();
    let extra: Vec<_> = got.iter().filter(|g| !expected.contains(g)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{image}: missing {missing:#?}\nextra {extra:#?}"
    );
    assert_eq!(got, expected, "{image}: duplicates");
    for package in &packages {
        assert!(
            package
                .layer
                .as_deref()
                .is_some_and(|l| l.starts_with("sha256:")),
            "{package:?}"
        );
        assert!(package.purl.starts_with("pkg:"), "{package:?}");
    }
    packages
}

fn find<'a>(packages: &'a [Package], cataloger: &str, name: &str) -> &'a Package {
    packages
        .iter()
        .find(|p| p.cataloger == cataloger && p.name == name)
        .unwrap_or_else(|| panic!("{cataloger} {name} not found"))
}

#[test]
fn debian_app() {
    // `/app/requirements.txt` pins exactly what pip installed: each pin is reported once, as
    // installed (Django's pin says 3.2.0, its metadata 3.2), so the inventory is exact.
    let packages = check("debian-app", &[]);
    let bash = find(&packages, "dpkg", "bash");
    assert_eq!(
        bash.purl,
        "pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12"
    );
    assert_eq!(bash.source_version.as_deref(), Some("5.2.15-2"));
    let zlib = find(&packages, "dpkg", "zlib1g");
    assert_eq!(
        zlib.purl,
        "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12"
    );
    assert_eq!(
        find(&packages, "dpkg", "libssl3").source_name.as_deref(),
        Some("openssl")
    );
    assert_eq!(
        find(&packages, "python", "PyYAML").purl,
        "pkg:pypi/pyyaml@5.3"
    );
    assert_eq!(
        find(&packages, "npm", "@xmldom/xmldom").purl,
        "pkg:npm/%40xmldom/xmldom@0.7.5"
    );
    assert!(
        !packages
            .iter()
            .any(|p| p.cataloger == "python-requirements")
    );
    assert!(
        !packages.iter().any(|p| p.name == "py"),
        "py was uninstalled in layer 7"
    );
}

#[test]
fn alpine_base() {
    let packages = check("alpine-base", &[]);
    let libssl = find(&packages, "apk", "libssl3");
    assert_eq!(
        libssl.purl,
        "pkg:apk/alpine/libssl3@3.1.7-r0?arch=x86_64&distro=alpine-3.18.9"
    );
    assert_eq!(libssl.source_name.as_deref(), Some("openssl"));
}

#[test]
fn distroless_like() {
    let packages = check("distroless-like", &[]);
    let libc6 = find(&packages, "dpkg", "libc6");
    assert_eq!(
        libc6.purl,
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12"
    );
    assert_eq!(libc6.source_name.as_deref(), Some("glibc"));
    assert_eq!(
        find(&packages, "cargo-auditable", "regex").purl,
        "pkg:cargo/regex@1.5.4"
    );
}
