//! The real images in `../shared/images`, read in every format, and hostile images built here.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use bulwark_image::{FileInfo, Image, ImageError, Limits, Visitor, WalkSummary};
use sha2::{Digest, Sha256};

fn shared(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/images")
        .join(name);
    assert!(
        p.exists(),
        "{} is missing: the tests read ../shared/images in place",
        p.display()
    );
    p
}

/// Every file of every layer, and the content of the ones whose path ends with a suffix.
#[derive(Default)]
struct Collect {
    per_layer: BTreeMap<usize, BTreeSet<String>>,
    keep: Vec<&'static str>,
    content: BTreeMap<(usize, String), Vec<u8>>,
}

impl Visitor for Collect {
    fn wants(&mut self, f: &FileInfo<'_>) -> bool {
        self.per_layer
            .entry(f.layer)
            .or_default()
            .insert(f.path.to_string());
        self.keep.iter().any(|k| f.path.ends_with(k))
    }
    fn file(&mut self, f: &FileInfo<'_>, data: &[u8]) {
        self.content
            .insert((f.layer, f.path.to_string()), data.to_vec());
    }
}

fn walk(path: &Path, keep: &[&'static str]) -> (Image, Collect, WalkSummary) {
    let image = Image::open(path, "linux/amd64", Limits::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut c = Collect {
        keep: keep.to_vec(),
        ..Collect::default()
    };
    let summary = image.walk(&mut c).expect("layers read and verified");
    (image, c, summary)
}

#[test]
fn debian_app_layers_whiteouts_and_config() {
    let (image, c, s) = walk(
        &shared("debian-app.oci.tar"),
        &["/app/config/deploy_key.pem", "/app/config/server.key"],
    );
    assert_eq!(image.layers.len(), 8);
    assert!(
        image
            .config_digest
            .as_deref()
            .is_some_and(|d| d.starts_with("sha256:2638bd9db227"))
    );
    // The key added in layer 6 and deleted in layer 7 is in layer 6, not in the merged view.
    assert!(
        c.content
            .contains_key(&(6, "/app/config/deploy_key.pem".to_string()))
    );
    assert_eq!(s.merged.layer_of("/app/config/deploy_key.pem"), None);
    assert_eq!(s.merged.layer_of("/app/config/server.key"), Some(5));
    // A directory whiteout and an uninstalled pip package.
    let cache: Vec<&String> = c.per_layer[&6]
        .iter()
        .filter(|p| p.starts_with("/tmp/build-cache/"))
        .collect();
    assert!(!cache.is_empty());
    assert!(cache.iter().all(|p| s.merged.layer_of(p).is_none()));
    let py_files: Vec<&String> = c.per_layer[&3]
        .iter()
        .filter(|p| p.contains("/py-1.8.0.dist-info/"))
        .collect();
    assert!(!py_files.is_empty());
    assert!(py_files.iter().all(|p| s.merged.layer_of(p).is_none()));
    // The config.
    assert_eq!(image.config.user, "");
    assert!(image.config.exposed_ports.contains(&"22/tcp".to_string()));
    assert!(
        image
            .config
            .env
            .iter()
            .any(|e| e.starts_with("DB_PASSWORD="))
    );
    assert_eq!(image.config.history.len(), 14);
    assert!(
        s.bytes > 200_000_000,
        "every layer decompressed: {}",
        s.bytes
    );
}

#[test]
fn docker_and_oci_archives_give_the_same_merged_view() {
    let (oci, _, a) = walk(&shared("alpine-base.oci.tar"), &[]);
    let (docker, _, b) = walk(&shared("alpine-base.docker.tar"), &[]);
    assert_eq!(oci.config.diff_ids, docker.config.diff_ids);
    assert_eq!(oci.config.user, "app");
    let files = |s: &WalkSummary, c: &[&str]| -> Vec<Option<usize>> {
        c.iter().map(|p| s.merged.layer_of(p)).collect()
    };
    let probe = ["/lib/apk/db/installed", "/etc/os-release", "/bin/busybox"];
    assert_eq!(files(&a, &probe), files(&b, &probe));
    assert!(a.merged.layer_of("/lib/apk/db/installed").is_some());
    assert_eq!(a.merged.len(), b.merged.len());

    // The same docker archive gzipped, and the OCI archive unpacked into a layout directory.
    let dir = tempfile::tempdir().expect("tempdir");
    let gz = dir.path().join("alpine.docker.tar.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).expect("create"),
        flate2::Compression::fast(),
    );
    enc.write_all(&std::fs::read(shared("alpine-base.docker.tar")).expect("read"))
        .expect("gzip");
    enc.finish().expect("gzip");
    let (_, _, c) = walk(&gz, &[]);
    assert_eq!(c.merged.len(), a.merged.len());
    let layout = dir.path().join("layout");
    tar::Archive::new(std::fs::File::open(shared("alpine-base.oci.tar")).expect("open"))
        .unpack(&layout)
        .expect("unpack");
    assert!(Image::looks_like_image(&layout));
    let (_, _, d) = walk(&layout, &[]);
    assert_eq!(d.merged.len(), a.merged.len());
}

#[test]
fn a_tampered_layer_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = dir.path().join("layout");
    tar::Archive::new(std::fs::File::open(shared("alpine-base.oci.tar")).expect("open"))
        .unpack(&layout)
        .expect("unpack");
    let image = Image::open(&layout, "linux/amd64", Limits::default()).expect("opens");
    // Replace the second layer's blob by another valid gzipped tar.
    let member = layout.join(&image.layers[1].member);
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(4);
    h.set_mode(0o644);
    b.append_data(&mut h, "etc/evil", &b"evil"[..])
        .expect("tar");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&b.into_inner().expect("tar")).expect("gz");
    std::fs::write(&member, enc.finish().expect("gz")).expect("write");
    let err = image
        .walk(&mut Collect::default())
        .expect_err("digest mismatch");
    assert!(matches!(err, ImageError::Digest { .. }), "{err}");
}

/// A one-layer OCI layout with the given (uncompressed) layer tar, written by hand.
fn layout_with_layer(dir: &Path, layer: &[u8]) -> PathBuf {
    let sha = |b: &[u8]| {
        Sha256::digest(b)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<String>()
    };
    let root = dir.join("img");
    std::fs::create_dir_all(root.join("blobs/sha256")).expect("mkdir");
    let layer_hex = sha(layer);
    std::fs::write(root.join("blobs/sha256").join(&layer_hex), layer).expect("write");
    let config = format!(
        r#"{{"os":"linux","architecture":"amd64","config":{{}},"rootfs":{{"type":"layers","diff_ids":["sha256:{layer_hex}"]}}}}"#
    );
    let config_hex = sha(config.as_bytes());
    std::fs::write(root.join("blobs/sha256").join(&config_hex), &config).expect("write");
    let manifest = format!(
        r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{config_hex}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:{layer_hex}","size":{}}}]}}"#,
        config.len(),
        layer.len()
    );
    let manifest_hex = sha(manifest.as_bytes());
    std::fs::write(root.join("blobs/sha256").join(&manifest_hex), &manifest).expect("write");
    std::fs::write(
        root.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{manifest_hex}","size":{}}}]}}"#,
            manifest.len()
        ),
    )
    .expect("write");
    std::fs::write(root.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).expect("write");
    root
}

/// A raw tar header for `name` (the tar crate refuses `..` in names it writes itself).
fn raw_entry(name: &str, kind: tar::EntryType, data: &[u8], link: Option<&str>) -> Vec<u8> {
    let mut h = tar::Header::new_old();
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_entry_type(kind);
    if let Some(l) = link {
        h.as_old_mut().linkname[..l.len()].copy_from_slice(l.as_bytes());
    }
    h.set_cksum();
    let mut out = h.as_bytes().to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

#[test]
fn hostile_layers_are_read_safely() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut layer = Vec::new();
    layer.extend(raw_entry(
        "../../../etc/cron.d/evil",
        tar::EntryType::Regular,
        b"x",
        None,
    ));
    layer.extend(raw_entry("/abs/file", tar::EntryType::Regular, b"y", None));
    layer.extend(raw_entry(
        "link",
        tar::EntryType::Symlink,
        b"",
        Some("../../../../etc/shadow"),
    ));
    layer.extend(raw_entry(
        "hard",
        tar::EntryType::Link,
        b"",
        Some("missing/target"),
    ));
    layer.extend(raw_entry("dup", tar::EntryType::Regular, b"one", None));
    layer.extend(raw_entry("dup", tar::EntryType::Regular, b"two", None));
    layer.extend([0u8; 1024]);
    let root = layout_with_layer(dir.path(), &layer);
    let before: BTreeSet<PathBuf> = walkdir(dir.path());
    let (_, c, s) = walk(&root, &["/dup", "/etc/cron.d/evil"]);
    // Paths are normalised inside the image root, and the climb is noted.
    assert_eq!(s.merged.layer_of("/etc/cron.d/evil"), Some(0));
    assert_eq!(s.merged.layer_of("/abs/file"), Some(0));
    assert!(
        s.notes.iter().any(|n| n.contains("climbs out")),
        "{:?}",
        s.notes
    );
    // Duplicates: the last one is what a container sees; both were offered.
    assert_eq!(
        c.content.get(&(0, "/dup".to_string())).map(Vec::as_slice),
        Some(&b"two"[..])
    );
    // A hard link to a missing file is a path, not an error; nothing was written anywhere.
    assert_eq!(s.merged.layer_of("/hard"), Some(0));
    assert_eq!(walkdir(dir.path()), before);

    // A truncated layer: an error, not a panic.
    let root = layout_with_layer(&dir.path().join("t"), &layer[..700]);
    let image = Image::open(&root, "linux/amd64", Limits::default()).expect("opens");
    assert!(image.walk(&mut Collect::default()).is_err());
}

fn walkdir(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("readable").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            out.insert(p);
        }
    }
    out
}

#[test]
fn a_decompression_bomb_stops_at_the_limit() {
    // 64 MiB of one file in a small gzip layer, against a 16 MiB budget.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(64 << 20);
    h.set_mode(0o644);
    b.append_data(&mut h, "zeros", std::io::repeat(0).take(64 << 20))
        .expect("tar");
    b.append_data(&mut tar::Header::new_gnu(), "after", &b""[..])
        .expect("tar");
    let layer = b.into_inner().expect("tar");
    let root = layout_with_layer(dir.path(), &layer);
    let limits = Limits {
        max_uncompressed: 16 << 20,
        ..Limits::default()
    };
    let image = Image::open(&root, "linux/amd64", limits).expect("opens");
    let err = image.walk(&mut Collect::default()).expect_err("stopped");
    assert!(matches!(err, ImageError::Limit { .. }), "{err}");
}

#[test]
fn not_an_image_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = Image::open(dir.path(), "linux/amd64", Limits::default()).expect_err("no image");
    assert!(matches!(err, ImageError::NotAnImage { .. }), "{err}");
    assert!(!Image::looks_like_image(dir.path()));
    assert!(Image::looks_like_image(&shared("debian-app.oci.tar")));
    assert!(!Image::looks_like_image(&shared("dev-contexts.tar.gz")));
}
