//! Alpine packages: the installed database `/lib/apk/db/installed`.
//!
//! Records are separated by blank lines; each line is `<letter>:<value>`
//! (<https://wiki.alpinelinux.org/wiki/Apk_spec>). Used: `P` name, `V` version, `A` arch,
//! `L` licence (kept as one string, as written), `o` origin (the source package, recorded when
//! it differs from the name), `F` a directory and the `R` file lines after it (owned files).
//! Records without `P` or `V` are skipped. The purl namespace is the os-release `ID` (`alpine`,
//! or `wolfi` and the like for apk-based distributions), `alpine` when unknown.

use bulwark_model::{Ecosystem, Package};

use super::osrelease::OsRelease;
use super::purl;

/// The installed database.
pub(crate) const INSTALLED: &str = "/lib/apk/db/installed";

/// One record's fields of interest.
#[derive(Default)]
struct Record<'a> {
    name: Option<&'a str>,
    version: Option<&'a str>,
    arch: Option<&'a str>,
    license: Option<&'a str>,
    origin: Option<&'a str>,
}

/// Packages of the installed database.
pub(crate) fn parse(
    path: &str,
    data: &[u8],
    layer: Option<&String>,
    os: &OsRelease,
) -> Vec<Package> {
    let text = String::from_utf8_lossy(data);
    let namespace = os.id.clone().unwrap_or_else(|| "alpine".to_owned());
    let distro = os.distro().unwrap_or_default();
    let mut packages = Vec::new();
    let mut record = Record::default();
    for line in text.lines().chain(std::iter::once("")) {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            let done = std::mem::take(&mut record);
            if let (Some(name), Some(version)) = (done.name, done.version)
                && !name.is_empty()
                && !version.is_empty()
            {
                packages.push(Package {
                    name: name.to_owned(),
                    version: version.to_owned(),
                    ecosystem: Ecosystem::Apk,
                    cataloger: "apk".to_owned(),
                    purl: purl::build(
                        "apk",
                        Some(&namespace),
                        name,
                        version,
                        &[("arch", done.arch.unwrap_or_default()), ("distro", &distro)],
                    ),
                    location: path.to_owned(),
                    layer: layer.cloned(),
                    source_name: done
                        .origin
                        .filter(|o| !o.is_empty() && *o != name)
                        .map(str::to_owned),
                    source_version: None,
                    licenses: done
                        .license
                        .filter(|l| !l.trim().is_empty())
                        .map(|l| vec![l.trim().to_owned()])
                        .unwrap_or_default(),
                    os_owned: false,
                });
            }
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        match key {
            "P" => record.name = Some(value),
            "V" => record.version = Some(value),
            "A" => record.arch = Some(value),
            "L" => record.license = Some(value),
            "o" => record.origin = Some(value),
            _ => {}
        }
    }
    packages
}

/// The absolute paths the database says its packages installed (`F:` directories joined with
/// the `R:` files that follow them).
pub(crate) fn owned_files(data: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(data);
    let mut dir = String::new();
    let mut files = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            dir.clear();
        } else if let Some(d) = line.strip_prefix("F:") {
            d.trim_matches('/').clone_into(&mut dir);
        } else if let Some(file) = line.strip_prefix("R:") {
            if file.is_empty() {
                continue;
            }
            files.push(if dir.is_empty() {
                format!("/{file}")
            } else {
                format!("/{dir}/{file}")
            });
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    const DB: &str = "\
C:Q1zwvKMnYs1b6ZdPTBJ0Z7D5P3jyA=
P:busybox
V:1.36.1-r7
A:x86_64
L:GPL-2.0-only
o:busybox
F:bin
R:busybox
Z:Q1abc=
F:etc
R:securetty

C:Q1other=
P:libcrypto3
V:3.1.7-r0
A:x86_64
L:Apache-2.0
o:openssl
F:usr/lib
R:libcrypto.so.3

P:no-version
";

    #[test]
    fn installed_database() {
        let os = OsRelease {
            id: Some("alpine".into()),
            version_id: Some("3.18.9".into()),
        };
        let packages = parse(INSTALLED, DB.as_bytes(), None, &os);
        assert_eq!(packages.len(), 2);
        let busybox = &packages[0];
        assert_eq!(busybox.name, "busybox");
        assert_eq!(busybox.version, "1.36.1-r7");
        assert_eq!(busybox.source_name, None);
        assert_eq!(busybox.licenses, ["GPL-2.0-only"]);
        assert_eq!(
            busybox.purl,
            "pkg:apk/alpine/busybox@1.36.1-r7?arch=x86_64&distro=alpine-3.18.9"
        );
        assert_eq!(packages[1].source_name.as_deref(), Some("openssl"));
    }

    #[test]
    fn owned() {
        assert_eq!(
            owned_files(DB.as_bytes()),
            ["/bin/busybox", "/etc/securetty", "/usr/lib/libcrypto.so.3"]
        );
    }

    #[test]
    fn malformed_input_does_not_panic() {
        for text in [
            "",
            "P:\nV:\n",
            "R:orphan\n",
            "garbage\n\n\nP:x\nV:1\n",
            "\u{0}:\u{0}",
        ] {
            let _ = parse(INSTALLED, text.as_bytes(), None, &OsRelease::default());
            let _ = owned_files(text.as_bytes());
        }
        let packages = parse(INSTALLED, b"P:x\nV:1\n", None, &OsRelease::default());
        assert_eq!(packages[0].purl, "pkg:apk/alpine/x@1");
    }
}
