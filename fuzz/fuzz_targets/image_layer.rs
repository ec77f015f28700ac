//! Arbitrary bytes as an image layer (raw, or gzip when they say so), in a one-layer OCI
//! layout whose digests match: the layer reader must never panic, write outside its temp
//! root, or hand out more than the limits allow.
#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use bulwark_image::{FileInfo, Image, Limits, Visitor};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

static ROOT: LazyLock<PathBuf> = LazyLock::new(|| {
    let dir = std::env::temp_dir().join(format!("bulwark-fuzz-layer-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("blobs/sha256")).expect("temp dir");
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).expect("write");
    dir
});

fn hex(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

struct Count(u64);

impl Visitor for Count {
    fn wants(&mut self, _: &FileInfo<'_>) -> bool {
        true
    }
    fn file(&mut self, _: &FileInfo<'_>, data: &[u8]) {
        assert!(data.len() as u64 <= 1 << 20);
        self.0 += 1;
    }
}

fuzz_target!(|data: &[u8]| {
    let root = &*ROOT;
    let blobs = root.join("blobs/sha256");
    // The diff id is the digest of the decompressed bytes; for gzip input compute it the way
    // the reader will see it, and skip inputs that do not decompress.
    let uncompressed: Vec<u8> = if data.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        let mut d = flate2::read::MultiGzDecoder::new(data);
        if std::io::Read::read_to_end(&mut std::io::Read::take(&mut d, 8 << 20), &mut out).is_err() {
            return;
        }
        out
    } else {
        data.to_vec()
    };
    let layer = hex(data);
    std::fs::write(blobs.join(&layer), data).expect("write");
    let config = format!(
        r#"{{"os":"linux","architecture":"amd64","config":{{}},"rootfs":{{"type":"layers","diff_ids":["sha256:{}"]}}}}"#,
        hex(&uncompressed)
    );
    std::fs::write(blobs.join(hex(config.as_bytes())), &config).expect("write");
    let manifest = format!(
        r#"{{"schemaVersion":2,"config":{{"digest":"sha256:{}"}},"layers":[{{"digest":"sha256:{layer}"}}]}}"#,
        hex(config.as_bytes())
    );
    std::fs::write(blobs.join(hex(manifest.as_bytes())), &manifest).expect("write");
    std::fs::write(
        root.join("index.json"),
        format!(r#"{{"schemaVersion":2,"manifests":[{{"digest":"sha256:{}"}}]}}"#, hex(manifest.as_bytes())),
    )
    .expect("write");
    let limits = Limits {
        max_file_size: 1 << 20,
        max_paths: 10_000,
        ..Limits::default()
    };
    if let Ok(image) = Image::open(root, "linux/amd64", limits) {
        let mut c = Count(0);
        if let Ok(summary) = image.walk(&mut c) {
            assert!(summary.merged.len() <= 10_000);
            assert!(c.0 <= summary.files);
        }
    }
    let _ = std::fs::remove_file(blobs.join(&layer));
});
