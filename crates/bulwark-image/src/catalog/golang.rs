//! Go binaries: the build information the Go linker embeds (`go version -m`).
//!
//! The blob starts with the 14-byte magic `\xff Go buildinf:`, then the pointer size and a
//! flags byte (bit 0: big-endian; bit 1: strings inline), padded to 32 bytes. Go 1.18 and later
//! write the version and module strings inline after the header, each prefixed by its length as
//! an unsigned varint; older toolchains write two pointers to Go string headers
//! (`{data pointer, length}`), which are resolved through the ELF section addresses. The module
//! information may be wrapped in 16-byte sentinels, which are removed.
//!
//! Module lines are tab-separated: `path` (the main package), `mod` (the main module),
//! `dep` (a dependency) and `=>` (a replacement of the line before). Decisions:
//! - The main module is reported with its version as recorded, `(devel)` included (a local
//!   build); it is what the binary is.
//! - A replacement with a version (`=> example.com/fork v1.2.3`) reports the replacement
//!   module; a replacement by a local directory (no version) keeps the original module and
//!   version, the best guess of what the code is.
//! - The Go toolchain is reported as a package named `stdlib` with the Go version without its
//!   `go` prefix and without experiment suffixes (`go1.21.5 X:boringcrypto` → `1.21.5`), so
//!   the standard library's vulnerabilities can be matched.
//! - The blob is found through the `.go.buildinfo` section; only a file without section
//!   headers is searched for the magic (16-byte aligned), and then only the inline format can
//!   be read.

use bulwark_model::{Ecosystem, Package};

use super::elf::Elf;
use super::purl;

const MAGIC: &[u8] = b"\xff Go buildinf:";
const HEADER_LEN: usize = 32;
/// Longest version or module string we read.
const MAX_STRING: u64 = 4 * 1024 * 1024;
const SENTINEL_LEN: usize = 16;

/// The Go modules and toolchain of the binary, without `layer`.
pub(crate) fn scan(path: &str, elf: &Elf<'_>, data: &[u8]) -> Vec<Package> {
    let blob = if let Some(section) = elf.section(".go.buildinfo") {
        elf.section_data(section)
    } else if elf.has_sections() {
        None
    } else {
        find_magic(data)
    };
    let Some((version, modinfo)) = blob.and_then(|b| read_blob(elf, b)) else {
        return Vec::new();
    };
    packages(path, &version, &modinfo)
}

fn find_magic(data: &[u8]) -> Option<&[u8]> {
    (0..data.len()).step_by(16).find_map(|at| {
        let rest = data.get(at..)?;
        rest.starts_with(MAGIC).then_some(rest)
    })
}

/// The Go version and module information strings.
fn read_blob(elf: &Elf<'_>, blob: &[u8]) -> Option<(String, String)> {
    if !blob.starts_with(MAGIC) {
        return None;
    }
    let ptr_size = *blob.get(14)?;
    let flags = *blob.get(15)?;
    let big_endian = flags & 1 != 0;
    let (version, modinfo) = if flags & 2 != 0 {
        let rest = blob.get(HEADER_LEN..)?;
        let (version, rest) = varint_string(rest)?;
        let (modinfo, _) = varint_string(rest)?;
        (version.to_vec(), modinfo.to_vec())
    } else {
        let size = usize::from(ptr_size);
        if size != 4 && size != 8 {
            return None;
        }
        let version_at = read_uint(blob.get(16..16 + size)?, big_endian)?;
        let modinfo_at = read_uint(blob.get(16 + size..16 + 2 * size)?, big_endian)?;
        (
            go_string(elf, version_at, size, big_endian)?.to_vec(),
            go_string(elf, modinfo_at, size, big_endian)
                .unwrap_or_default()
                .to_vec(),
        )
    };
    let version = String::from_utf8_lossy(&version).into_owned();
    let modinfo = strip_sentinels(&modinfo);
    Some((version, String::from_utf8_lossy(modinfo).into_owned()))
}

/// A varint-length-prefixed string and what follows it.
fn varint_string(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut len: u64 = 0;
    let mut used = 0;
    for (i, &byte) in data.iter().take(10).enumerate() {
        len |= u64::from(byte & 0x7f).checked_shl(7 * u32::try_from(i).ok()?)?;
        if byte & 0x80 == 0 {
            used = i + 1;
            break;
        }
    }
    if used == 0 || len > MAX_STRING {
        return None;
    }
    let rest = data.get(used..)?;
    let len = usize::try_from(len).ok()?;
    Some((rest.get(..len)?, rest.get(len..)?))
}

fn read_uint(bytes: &[u8], big_endian: bool) -> Option<u64> {
    Some(match bytes.len() {
        4 => {
            let b: [u8; 4] = bytes.try_into().ok()?;
            u64::from(if big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            })
        }
        8 => {
            let b: [u8; 8] = bytes.try_into().ok()?;
            if big_endian {
                u64::from_be_bytes(b)
            } else {
                u64::from_le_bytes(b)
            }
        }
        _ => return None,
    })
}

/// The bytes of the Go string whose header (`{pointer, length}`) is at `addr`.
fn go_string<'a>(elf: &Elf<'a>, addr: u64, size: usize, big_endian: bool) -> Option<&'a [u8]> {
    let size64 = u64::try_from(size).ok()?;
    let header = elf.read_addr(addr, 2 * size64)?;
    let data = read_uint(header.get(..size)?, big_endian)?;
    let len = read_uint(header.get(size..)?, big_endian)?;
    if len > MAX_STRING {
        return None;
    }
    if len == 0 {
        return Some(&[]);
    }
    elf.read_addr(data, len)
}

/// Removes the 16-byte sentinels around module information, when they are there (the byte
/// before the closing sentinel is the last line's newline).
fn strip_sentinels(modinfo: &[u8]) -> &[u8] {
    if modinfo.len() > 2 * SENTINEL_LEN
        && modinfo.get(modinfo.len() - SENTINEL_LEN - 1) == Some(&b'\n')
    {
        modinfo
            .get(SENTINEL_LEN..modinfo.len() - SENTINEL_LEN)
            .unwrap_or(modinfo)
    } else {
        modinfo
    }
}

fn packages(path: &str, go_version: &str, modinfo: &str) -> Vec<Package> {
    let mut modules: Vec<(String, String)> = Vec::new();
    for line in modinfo.lines() {
        let mut fields = line.split('\t');
        let (Some(kind), Some(module)) = (fields.next(), fields.next()) else {
            continue;
        };
        let version = fields.next().unwrap_or_default();
        match kind {
            "mod" | "dep" if !module.is_empty() => {
                modules.push((module.to_owned(), version.to_owned()));
            }
            "=>" if !version.is_empty() && !module.is_empty() => {
                if let Some(last) = modules.last_mut() {
                    *last = (module.to_owned(), version.to_owned());
                }
            }
            _ => {}
        }
    }
    let mut packages: Vec<Package> = modules
        .into_iter()
        .filter(|(_, version)| !version.is_empty())
        .map(|(module, version)| package(path, &module, &version))
        .collect();
    let toolchain = go_version.split_whitespace().next().unwrap_or_default();
    let toolchain = toolchain.strip_prefix("go").unwrap_or(toolchain);
    if !toolchain.is_empty() {
        packages.push(package(path, "stdlib", toolchain));
    }
    packages
}

fn package(path: &str, module: &str, version: &str) -> Package {
    let (namespace, name) = module
        .rsplit_once('/')
        .map_or((None, module), |(n, m)| (Some(n), m));
    Package {
        name: module.to_owned(),
        version: version.to_owned(),
        ecosystem: Ecosystem::Golang,
        cataloger: "go-binary".to_owned(),
        purl: purl::build("golang", namespace, name, version, &[]),
        location: path.to_owned(),
        layer: None,
        source_name: None,
        source_version: None,
        licenses: Vec::new(),
        os_owned: false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::elf::build::{Spec, elf};
    use super::*;

    const MODINFO: &str = "path\texample.com/app/cmd/app\nmod\texample.com/app\t(devel)\t\n\
        dep\tgithub.com/pkg/errors\tv0.9.1\th1:abc=\n\
        dep\tgolang.org/x/net\tv0.0.1\th1:def=\n=>\tgithub.com/fork/net\tv0.17.0\th1:ghi=\n\
        dep\texample.com/local\tv1.0.0\n=>\t../local\t\t\n\
        build\t-compiler=gc\n";

    fn with_sentinels(text: &str) -> Vec<u8> {
        let mut out = vec![0x30; SENTINEL_LEN];
        out.extend(text.as_bytes());
        out.extend([0xf9; SENTINEL_LEN]);
        out
    }

    fn varint(out: &mut Vec<u8>, mut n: usize) {
        loop {
            let byte = u8::try_from(n & 0x7f).expect("7 bits");
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    fn expect_modules(packages: &[Package]) {
        let got: Vec<_> = packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("example.com/app", "(devel)"),
                ("github.com/pkg/errors", "v0.9.1"),
                ("github.com/fork/net", "v0.17.0"),
                ("example.com/local", "v1.0.0"),
                ("stdlib", "1.21.5"),
            ]
        );
        assert_eq!(packages[1].purl, "pkg:golang/github.com/pkg/errors@v0.9.1");
        assert_eq!(packages[4].purl, "pkg:golang/stdlib@1.21.5");
        assert_eq!(packages[4].cataloger, "go-binary");
    }

    #[test]
    fn inline_format() {
        let mut blob = MAGIC.to_vec();
        blob.extend([8, 2]);
        blob.resize(HEADER_LEN, 0);
        let version = b"go1.21.5 X:boringcrypto";
        varint(&mut blob, version.len());
        blob.extend(version);
        let modinfo = with_sentinels(MODINFO);
        varint(&mut blob, modinfo.len());
        blob.extend(&modinfo);
        let data = elf(
            true,
            false,
            &[Spec {
                name: ".go.buildinfo",
                kind: 1,
                addr: 0x1000,
                data: &blob,
            }],
        );
        let parsed = Elf::parse(&data).expect("elf");
        expect_modules(&scan("/bin/app", &parsed, &data));
    }

    #[test]
    fn pointer_format() {
        for (is64, big) in [(true, false), (false, true)] {
            let size: usize = if is64 { 8 } else { 4 };
            let put = |out: &mut Vec<u8>, v: u64| {
                if is64 {
                    out.extend(if big {
                        v.to_be_bytes()
                    } else {
                        v.to_le_bytes()
                    });
                } else {
                    let v = u32::try_from(v).expect("small");
                    out.extend(if big {
                        v.to_be_bytes()
                    } else {
                        v.to_le_bytes()
                    });
                }
            };
            let version = b"go1.21.5";
            let modinfo = with_sentinels(MODINFO);
            let n = |x: usize| u64::try_from(x).expect("small");
            let strings_at = 0x3000 + n(4 * size);
            let mut rodata = Vec::new();
            put(&mut rodata, strings_at);
            put(&mut rodata, n(version.len()));
            put(&mut rodata, strings_at + n(version.len()));
            put(&mut rodata, n(modinfo.len()));
            rodata.extend(version);
            rodata.extend(&modinfo);
            let mut blob = MAGIC.to_vec();
            blob.extend([u8::try_from(size).expect("small"), u8::from(big)]);
            put(&mut blob, 0x3000);
            put(&mut blob, 0x3000 + n(2 * size));
            blob.resize(HEADER_LEN, 0);
            let data = elf(
                is64,
                big,
                &[
                    Spec {
                        name: ".go.buildinfo",
                        kind: 1,
                        addr: 0x2000,
                        data: &blob,
                    },
                    Spec {
                        name: ".rodata",
                        kind: 1,
                        addr: 0x3000,
                        data: &rodata,
                    },
                ],
            );
            let parsed = Elf::parse(&data).expect("elf");
            expect_modules(&scan("/bin/app", &parsed, &data));
        }
    }

    #[test]
    fn broken_blobs() {
        let mut blob = MAGIC.to_vec();
        blob.extend([8, 2]);
        blob.resize(HEADER_LEN, 0);
        blob.extend([0xff; 12]);
        for content in [&blob[..], &blob[..20], MAGIC, b"", &[0xff; 40][..]] {
            let data = elf(
                true,
                false,
                &[Spec {
                    name: ".go.buildinfo",
                    kind: 1,
                    addr: 0,
                    data: content,
                }],
            );
            let parsed = Elf::parse(&data).expect("elf");
            assert!(scan("/bin/x", &parsed, &data).is_empty());
        }
        let mut pointers = MAGIC.to_vec();
        pointers.extend([8, 0]);
        pointers.extend([0xff; 16]);
        let data = elf(
            true,
            false,
            &[Spec {
                name: ".go.buildinfo",
                kind: 1,
                addr: 0,
                data: &pointers,
            }],
        );
        let parsed = Elf::parse(&data).expect("elf");
        assert!(scan("/bin/x", &parsed, &data).is_empty());
    }
}
