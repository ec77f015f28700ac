//! Debian packages: `/var/lib/dpkg/status` and distroless `/var/lib/dpkg/status.d/*`.
//!
//! Both hold deb822 stanzas (`Field: value` lines, continuation lines starting with a space or
//! tab, stanzas separated by blank lines). Decisions:
//! - In `status`, a stanza counts when its `Status:` (`want flag state`) has flag `ok` and state
//!   `installed`, whatever the want (`install`, `hold`, and also `deinstall`/`purge`, whose files
//!   are still on disk until dpkg acts). `config-files`, `half-installed`, `not-installed` and
//!   `reinstreq` stanzas are skipped.
//! - A `status.d` file (one or more stanzas, written by distroless builders) has no `Status:`
//!   line: its stanzas are installed. A stanza that does have one is judged as above.
//!   `*.md5sums` files there are not packages: they list owned files.
//! - `Source: name` or `Source: name (version)` fills the source fields. Without a source
//!   version, the source version is the binary version with a trailing binNMU suffix `+bN`
//!   removed (`bash 5.2.15-2+b13` comes from `bash 5.2.15-2`). Each field is set only when it
//!   differs from the binary's own name or version.
//! - The status database has no licences; they are left empty.
//! - Stanzas without `Package` or `Version` are skipped.

use bulwark_model::{Ecosystem, Package};

use super::osrelease::OsRelease;
use super::purl;

/// The dpkg status database.
pub(crate) const STATUS: &str = "/var/lib/dpkg/status";
/// The directory of distroless per-package status files.
pub(crate) const STATUS_D: &str = "/var/lib/dpkg/status.d/";
/// The directory of `<package>[:<arch>].list` files naming what each package installed.
pub(crate) const INFO: &str = "/var/lib/dpkg/info/";

/// Whether `path` is a status database (`status` or a `status.d` stanza file).
pub(crate) fn is_status(path: &str) -> bool {
    path == STATUS
        || path.strip_prefix(STATUS_D).is_some_and(|name| {
            !name.is_empty() && !name.contains('/') && !name.ends_with(".md5sums")
        })
}

/// Whether `path` lists files a package owns (`info/*.list`, `status.d/*.md5sums`).
pub(crate) fn is_owned_files_list(path: &str) -> bool {
    let in_dir = |dir: &str, ext: &str| {
        path.strip_prefix(dir).is_some_and(|name| {
            !name.contains('/') && name.len() > ext.len() && name.ends_with(ext)
        })
    };
    in_dir(INFO, ".list") || in_dir(STATUS_D, ".md5sums")
}

/// The absolute paths an owned-files list names: one path per line in `.list` files,
/// `<md5>  <relative path>` lines in `.md5sums` files.
pub(crate) fn owned_files(path: &str, data: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(data);
    let md5sums = path.ends_with(".md5sums");
    text.lines()
        .filter_map(|line| {
            let file = if md5sums {
                line.split_once(char::is_whitespace)?.1.trim_start()
            } else {
                line
            };
            let file = file.trim_end_matches('\r');
            if file.is_empty() || file == "/." {
                return None;
            }
            Some(if file.starts_with('/') {
                file.to_owned()
            } else {
                format!("/{file}")
            })
        })
        .collect()
}

/// Packages of one status file.
pub(crate) fn parse(
    path: &str,
    data: &[u8],
    layer: Option<&String>,
    os: &OsRelease,
) -> Vec<Package> {
    let text = String::from_utf8_lossy(data);
    let requires_status = path == STATUS;
    let namespace = os.id.clone().unwrap_or_else(|| "debian".to_owned());
    let distro = os.distro().unwrap_or_default();
    let mut packages = Vec::new();
    for stanza in stanzas(&text) {
        let field = |name: &str| {
            stanza
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim())
        };
        match field("Status") {
            Some(status) if !is_installed(status) => continue,
            None if requires_status => continue,
            _ => {}
        }
        let (Some(name), Some(version)) = (field("Package"), field("Version")) else {
            continue;
        };
        if name.is_empty() || version.is_empty() {
            continue;
        }
        let arch = field("Architecture").unwrap_or_default();
        let (source_name, source_version) = source(field("Source"), name, version);
        packages.push(Package {
            name: name.to_owned(),
            version: version.to_owned(),
            ecosystem: Ecosystem::Deb,
            cataloger: "dpkg".to_owned(),
            purl: purl::build(
                "deb",
                Some(&namespace),
                name,
                version,
                &[("arch", arch), ("distro", &distro)],
            ),
            location: path.to_owned(),
            layer: layer.cloned(),
            source_name,
            source_version,
            licenses: Vec::new(),
            os_owned: false,
        });
    }
    packages
}

/// `want flag state`: installed when the flag is `ok` and the state `installed`.
fn is_installed(status: &str) -> bool {
    let mut words = status.split_whitespace();
    let _want = words.next();
    words.next() == Some("ok") && words.next() == Some("installed")
}

/// The source name and version to record, each only when it differs from the binary's.
fn source(field: Option<&str>, name: &str, version: &str) -> (Option<String>, Option<String>) {
    let (source_name, source_version) = match field.filter(|f| !f.is_empty()) {
        None => (name, None),
        Some(field) => match field.split_once('(') {
            Some((n, v)) => (n.trim(), Some(v.trim().trim_end_matches(')').trim())),
            None => (field.trim(), None),
        },
    };
    let source_version = source_version
        .filter(|v| !v.is_empty())
        .map_or_else(|| strip_binnmu(version), str::to_owned);
    (
        (source_name != name && !source_name.is_empty()).then(|| source_name.to_owned()),
        (source_version != version).then_some(source_version),
    )
}

/// `5.2.15-2+b13` → `5.2.15-2`; versions without a binNMU suffix are returned whole.
fn strip_binnmu(version: &str) -> String {
    if let Some((base, suffix)) = version.rsplit_once("+b")
        && !base.is_empty()
        && !suffix.is_empty()
        && suffix.bytes().all(|b| b.is_ascii_digit())
    {
        return base.to_owned();
    }
    version.to_owned()
}

/// Splits deb822 text into stanzas of `(field, value)`; continuation lines are appended to the
/// previous value (with a newline) and lines that are neither are ignored.
fn stanzas(text: &str) -> Vec<Vec<(&str, String)>> {
    let mut stanzas = Vec::new();
    let mut current: Vec<(&str, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !current.is_empty() {
                stanzas.push(std::mem::take(&mut current));
            }
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = current.last_mut() {
                value.push('\n');
                value.push_str(line.trim());
            }
        } else if let Some((key, value)) = line.split_once(':') {
            current.push((key.trim(), value.trim().to_owned()));
        }
    }
    if !current.is_empty() {
        stanzas.push(current);
    }
    stanzas
}

#[cfg(test)]
mod tests {
    use super::*;

    fn debian() -> OsRelease {
        OsRelease {
            id: Some("debian".into()),
            version_id: Some("12".into()),
        }
    }

    const STATUS_TEXT: &str = "\
Package: bash
Essential: yes
Status: install ok installed
Priority: required
Architecture: amd64
Source: bash (5.2.15-2)
Version: 5.2.15-2+b13
Description: GNU Bourne Again SHell
 Bash is an sh-compatible command language interpreter.
 .
 More text: with a colon.

Package: zlib1g
Status: hold ok installed
Architecture: amd64
Source: zlib
Version: 1:1.2.13.dfsg-1

Package: removed
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1

Package: half
Status: install reinstreq half-installed
Version: 1.0-1

Package: libfoo1
Status: install ok installed
Architecture: amd64
Source: foo
Version: 2.0-1+b2
";

    #[test]
    fn status_database() {
        let layer = Some("sha256:abc".to_owned());
        let packages = parse(STATUS, STATUS_TEXT.as_bytes(), layer.as_ref(), &debian());
        let names: Vec<_> = packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["bash", "zlib1g", "libfoo1"]);
        let bash = &packages[0];
        assert_eq!(bash.version, "5.2.15-2+b13");
        assert_eq!(bash.source_name, None);
        assert_eq!(bash.source_version.as_deref(), Some("5.2.15-2"));
        assert_eq!(
            bash.purl,
            "pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12"
        );
        assert_eq!(bash.layer.as_deref(), Some("sha256:abc"));
        assert_eq!(bash.cataloger, "dpkg");
        assert_eq!(bash.location, STATUS);
        let zlib = &packages[1];
        assert_eq!(zlib.source_name.as_deref(), Some("zlib"));
        assert_eq!(zlib.source_version, None);
        assert_eq!(
            zlib.purl,
            "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12"
        );
        let foo = &packages[2];
        assert_eq!(foo.source_name.as_deref(), Some("foo"));
        assert_eq!(foo.source_version.as_deref(), Some("2.0-1"));
    }

    #[test]
    fn status_d_without_status_lines() {
        let text = "Package: libssl3\nSource: openssl\nVersion: 3.0.20-1~deb12u2\n\
                    Architecture: amd64\n\nPackage: openssl\nVersion: 3.0.20-1~deb12u2\n";
        let path = "/var/lib/dpkg/status.d/libssl3";
        assert!(is_status(path));
        let packages = parse(path, text.as_bytes(), None, &OsRelease::default());
        assert_eq!(packages.len(), 2);
        assert_eq!(
            packages[0].purl,
            "pkg:deb/debian/libssl3@3.0.20-1~deb12u2?arch=amd64"
        );
        assert_eq!(packages[0].location, path);
        assert_eq!(packages[1].source_name, None);
    }

    #[test]
    fn paths() {
        assert!(is_status(STATUS));
        assert!(!is_status("/var/lib/dpkg/status.d/libc6.md5sums"));
        assert!(!is_status("/var/lib/dpkg/status.d/"));
        assert!(!is_status("/var/lib/dpkg/status-old"));
        assert!(is_owned_files_list("/var/lib/dpkg/info/libc6:amd64.list"));
        assert!(is_owned_files_list("/var/lib/dpkg/status.d/libc6.md5sums"));
        assert!(!is_owned_files_list("/var/lib/dpkg/info/.list"));
        assert!(!is_owned_files_list("/var/lib/dpkg/info/libc6.md5sums"));
    }

    #[test]
    fn owned_file_lists() {
        assert_eq!(
            owned_files(
                "/var/lib/dpkg/info/curl.list",
                b"/.\n/usr\n/usr/bin/curl\n\n"
            ),
            ["/usr", "/usr/bin/curl"]
        );
        assert_eq!(
            owned_files(
                "/var/lib/dpkg/status.d/netbase.md5sums",
                b"d41d8cd98f00b204e9800998ecf8427e  etc/protocols\nbad\n"
            ),
            ["/etc/protocols"]
        );
    }

    #[test]
    fn binnmu_and_sources() {
        assert_eq!(strip_binnmu("1.0-1+b1"), "1.0-1");
        assert_eq!(strip_binnmu("1.0+bad"), "1.0+bad");
        assert_eq!(strip_binnmu("+b1"), "+b1");
        assert_eq!(source(Some("x (1.0)"), "x", "1.0"), (None, None));
        assert_eq!(source(Some("y ("), "x", "1.0"), (Some("y".into()), None));
    }

    #[test]
    fn malformed_input_does_not_panic() {
        for text in [
            "",
            "\n\n",
            " continuation first\n",
            "Package:\nVersion:\n",
            "::::\n\u{0}",
        ] {
            assert!(parse(STATUS, text.as_bytes(), None, &debian()).is_empty());
        }
        assert!(parse(STATUS, b"\xff\xfe\x00", None, &debian()).is_empty());
    }
}
