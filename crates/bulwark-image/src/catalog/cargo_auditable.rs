//! Rust binaries built with cargo-auditable: the `.dep-v0` ELF section holds zlib-compressed
//! JSON `{"packages":[{"name","version","source","kind","dependencies","root"}…]}`
//! (<https://github.com/rust-secure-code/cargo-auditable/blob/master/PARAMETERS.md>).
//!
//! Decisions:
//! - Every package is reported, the root crate (the binary's own package) included.
//! - Packages whose `kind` is `build` are not reported: they ran at build time (build scripts,
//!   proc macros) and are not part of the executable.
//! - Decompression stops at [`MAX_JSON`] bytes; a larger or broken section yields nothing.

use std::io::Read;

use bulwark_model::{Ecosystem, Package};
use serde::Deserialize;

use super::elf::Elf;
use super::purl;

/// The section cargo-auditable writes.
const SECTION: &str = ".dep-v0";
/// Largest decompressed dependency list we accept.
const MAX_JSON: u64 = 8 * 1024 * 1024;

#[derive(Deserialize)]
struct Manifest {
    packages: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    version: String,
    #[serde(default)]
    kind: Option<String>,
}

/// The crates recorded in the binary, without `layer` (filled in by [`super::catalog`]).
pub(crate) fn scan(path: &str, elf: &Elf<'_>) -> Vec<Package> {
    let Some(compressed) = elf.section(SECTION).and_then(|s| elf.section_data(s)) else {
        return Vec::new();
    };
    let mut json = Vec::new();
    let decoder = flate2::read::ZlibDecoder::new(compressed);
    if decoder.take(MAX_JSON + 1).read_to_end(&mut json).is_err()
        || u64::try_from(json.len()).map_or(true, |len| len > MAX_JSON)
    {
        return Vec::new();
    }
    let Ok(manifest) = serde_json::from_slice::<Manifest>(&json) else {
        return Vec::new();
    };
    manifest
        .packages
        .into_iter()
        .filter(|p| p.kind.as_deref() != Some("build"))
        .filter(|p| !p.name.is_empty() && !p.version.is_empty())
        .map(|p| Package {
            purl: purl::build("cargo", None, &p.name, &p.version, &[]),
            name: p.name,
            version: p.version,
            ecosystem: Ecosystem::Cargo,
            cataloger: "cargo-auditable".to_owned(),
            location: path.to_owned(),
            layer: None,
            source_name: None,
            source_version: None,
            licenses: Vec::new(),
            os_owned: false,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::super::elf::build::{Spec, elf};
    use super::*;

    fn compress(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(data).expect("in memory");
        encoder.finish().expect("in memory")
    }

    const JSON: &[u8] = br#"{"packages":[
        {"name":"probe","version":"0.3.1","source":"local","dependencies":[1,2],"root":true},
        {"name":"regex","version":"1.5.4","source":"crates.io"},
        {"name":"cc","version":"1.0.0","source":"crates.io","kind":"build"},
        {"name":"libc","version":"0.2.191","source":"crates.io","kind":"runtime"}],"format":1}"#;

    #[test]
    fn reads_dep_section() {
        for (is64, big) in [(true, false), (false, true)] {
            let section = compress(JSON);
            let data = elf(
                is64,
                big,
                &[Spec {
                    name: ".dep-v0",
                    kind: 1,
                    addr: 0,
                    data: &section,
                }],
            );
            let parsed = Elf::parse(&data).expect("elf");
            let packages = scan("/usr/local/bin/probe", &parsed);
            let names: Vec<_> = packages
                .iter()
                .map(|p| (p.name.as_str(), p.version.as_str()))
                .collect();
            assert_eq!(
                names,
                [("probe", "0.3.1"), ("regex", "1.5.4"), ("libc", "0.2.191")]
            );
            assert_eq!(packages[1].purl, "pkg:cargo/regex@1.5.4");
            assert_eq!(packages[1].location, "/usr/local/bin/probe");
            assert_eq!(packages[1].cataloger, "cargo-auditable");
        }
    }

    #[test]
    fn broken_sections_yield_nothing() {
        let truncated = compress(JSON);
        let truncated = truncated.get(..truncated.len() / 2).expect("half");
        let not_json = compress(b"{\"packages\":7}");
        for content in [&b"not zlib"[..], truncated, &not_json, b""] {
            let data = elf(
                true,
                false,
                &[Spec {
                    name: ".dep-v0",
                    kind: 1,
                    addr: 0,
                    data: content,
                }],
            );
            let parsed = Elf::parse(&data).expect("elf");
            assert!(scan("/bin/x", &parsed).is_empty());
        }
    }
}
