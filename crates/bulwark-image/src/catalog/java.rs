//! Java archives (`java-archive`): `*.jar`, `*.war`, `*.ear` and Jenkins plugins (`*.jpi`,
//! `*.hpi`), which are zip files.
//!
//! Decisions:
//! - Each `META-INF/maven/<group>/<artifact>/pom.properties` entry is one package (a shaded or
//!   "uber" jar holds one for every dependency it absorbed). `groupId`, `artifactId` and
//!   `version` come from the file; the group and artifact from the entry's path when the file
//!   lacks them. The same coordinates twice in one archive count once.
//! - An archive with no `pom.properties` is one package when its `META-INF/MANIFEST.MF` main
//!   section names one: `Implementation-Title` with `Implementation-Version` (group from
//!   `Implementation-Vendor-Id` when present), else `Bundle-SymbolicName` (without its `;`
//!   directives) with `Bundle-Version`. Otherwise the archive gives nothing: names are not
//!   guessed from file names.
//! - The name is Maven's `group:artifact` coordinate (OSV names Maven packages so), or the bare
//!   name when no group is known. The purl is `pkg:maven/<group>/<artifact>@<version>`, without
//!   a namespace when there is no group.
//! - Archives inside an archive (any entry with one of the extensions above: `WEB-INF/lib/*.jar`,
//!   `BOOT-INF/lib/*.jar`, an ear's modules) are read the same way, [`MAX_DEPTH`] levels deep at
//!   most. Their location is `outer.war!WEB-INF/lib/inner.jar` (`a.ear!b.war!c.jar` deeper); the
//!   outer archive's own packages are located at its path.
//! - Bounds: at most [`MAX_TOTAL`] bytes are decompressed per archive, nested ones included (the
//!   declared sizes are not trusted: reads are cut at the limit); a metadata entry over
//!   [`MAX_METADATA`] is skipped. Files that are not zip archives, and encrypted, unreadable or
//!   unsupported (not stored or deflated) entries, are skipped; what was read before a limit or
//!   an error stays.
//! - Archives a distribution package installed (`/usr/share/java/*.jar`) are reported as well,
//!   as Python packages of Debian's `python3-*` are; archives over [`super::MAX_WANTED_SIZE`]
//!   are not kept by [`super::wanted`], so not read.

use std::collections::HashSet;
use std::io::{Cursor, Read};

use bulwark_model::{Ecosystem, Package};

use super::purl;

/// Archive extensions (compared without regard to case).
const EXTENSIONS: [&str; 5] = [".jar", ".war", ".ear", ".jpi", ".hpi"];

/// How many levels of archives inside archives are read below the outer one.
const MAX_DEPTH: u32 = 3;

/// Bytes decompressed per outer archive, nested archives included.
const MAX_TOTAL: u64 = 256 * 1024 * 1024;

/// A `pom.properties` or `MANIFEST.MF` larger than this is not read.
const MAX_METADATA: u64 = 1024 * 1024;

/// Whether `path` (a file path or an archive entry name) is a Java archive.
pub(crate) fn is_archive(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    EXTENSIONS.iter().any(|ext| {
        name.len() > ext.len()
            && name
                .get(name.len() - ext.len()..)
                .is_some_and(|end| end.eq_ignore_ascii_case(ext))
    })
}

/// The packages of the archive at `path` and of the archives it holds.
pub(crate) fn parse(path: &str, data: &[u8], layer: Option<&String>) -> Vec<Package> {
    let mut reader = Reader {
        budget: MAX_TOTAL,
        found: Vec::new(),
    };
    reader.archive(path, data, 0);
    reader
        .found
        .into_iter()
        .map(|f| {
            let name = match &f.group {
                Some(group) => format!("{group}:{}", f.artifact),
                None => f.artifact.clone(),
            };
            Package {
                purl: purl::build("maven", f.group.as_deref(), &f.artifact, &f.version, &[]),
                name,
                version: f.version,
                ecosystem: Ecosystem::Maven,
                cataloger: "java-archive".to_owned(),
                location: f.location,
                layer: layer.cloned(),
                source_name: None,
                source_version: None,
                licenses: Vec::new(),
                os_owned: false,
            }
        })
        .collect()
}

/// A package as an archive describes it.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Found {
    location: String,
    group: Option<String>,
    artifact: String,
    version: String,
}

/// Reads archives recursively within one decompression budget.
struct Reader {
    budget: u64,
    found: Vec<Found>,
}

impl Reader {
    /// Up to `limit` bytes of an entry (`None` when it is larger, or the budget ran out).
    fn read(&mut self, entry: &mut impl Read, declared: u64, limit: u64) -> Option<Vec<u8>> {
        let cap = limit.min(self.budget);
        if declared > cap {
            return None;
        }
        let mut data = Vec::new();
        let result = entry.take(cap.saturating_add(1)).read_to_end(&mut data);
        let read = u64::try_from(data.len()).unwrap_or(u64::MAX);
        self.budget = self.budget.saturating_sub(read);
        (result.is_ok() && read <= cap).then_some(data)
    }

    fn archive(&mut self, location: &str, data: &[u8], depth: u32) {
        let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(data)) else {
            return;
        };
        let mut poms: Vec<Found> = Vec::new();
        let mut manifest: Option<Vec<u8>> = None;
        for index in 0..zip.len() {
            if self.budget == 0 {
                break;
            }
            let Some(name) = zip.name_for_index(index).map(str::to_owned) else {
                continue;
            };
            let pom = pom_path(&name);
            let is_manifest = name == "META-INF/MANIFEST.MF";
            let nested = depth < MAX_DEPTH && is_archive(&name) && !name.ends_with('/');
            if pom.is_none() && !is_manifest && !nested {
                continue;
            }
            let Ok(mut entry) = zip.by_index(index) else {
                continue;
            };
            if !entry.is_file() {
                continue;
            }
            let limit = if nested { MAX_TOTAL } else { MAX_METADATA };
            let declared = entry.size();
            let Some(bytes) = self.read(&mut entry, declared, limit) else {
                continue;
            };
            drop(entry);
            if let Some((group, artifact)) = pom {
                if let Some(found) = pom_properties(location, group, artifact, &bytes) {
                    poms.push(found);
                }
            } else if is_manifest {
                manifest = Some(bytes);
            } else {
                self.archive(&format!("{location}!{name}"), &bytes, depth + 1);
            }
        }
        if poms.is_empty() {
            self.found
                .extend(manifest.and_then(|m| from_manifest(location, &m)));
        } else {
            let mut seen = HashSet::new();
            poms.retain(|f| seen.insert((f.group.clone(), f.artifact.clone(), f.version.clone())));
            self.found.extend(poms);
        }
    }
}

/// `META-INF/maven/<group>/<artifact>/pom.properties` → group and artifact.
fn pom_path(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix("META-INF/maven/")?;
    let rest = rest.strip_suffix("/pom.properties")?;
    let (group, artifact) = rest.split_once('/')?;
    (!group.is_empty() && !artifact.is_empty() && !artifact.contains('/'))
        .then_some((group, artifact))
}

/// `key=value` (or `key: value`) lines of a Java properties file; `#` and `!` start comments.
fn properties(text: &str) -> Vec<(&str, &str)> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            if line.is_empty() || line.starts_with(['#', '!']) {
                return None;
            }
            let (key, value) = line.split_once(['=', ':'])?;
            Some((key.trim(), value.trim()))
        })
        .collect()
}

fn pom_properties(location: &str, group: &str, artifact: &str, data: &[u8]) -> Option<Found> {
    let text = String::from_utf8_lossy(data);
    let fields = properties(&text);
    let field = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .filter(|v| !v.is_empty())
    };
    let version = field("version")?;
    Some(Found {
        location: location.to_owned(),
        group: Some(field("groupId").unwrap_or(group).to_owned()),
        artifact: field("artifactId").unwrap_or(artifact).to_owned(),
        version: version.to_owned(),
    })
}

/// The main section of a manifest: `Name: value` lines up to the first blank line, a line
/// starting with one space continuing the previous value.
fn manifest_main(text: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if let Some(rest) = line.strip_prefix(' ') {
            if let Some((_, value)) = headers.last_mut() {
                value.push_str(rest);
            }
        } else if let Some((key, value)) = line.split_once(':') {
            headers.push((key.trim().to_owned(), value.trim_start().to_owned()));
        }
    }
    headers
}

fn from_manifest(location: &str, data: &[u8]) -> Option<Found> {
    let text = String::from_utf8_lossy(data);
    let headers = manifest_main(&text);
    let field = |key: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let (group, artifact, version) = if let (Some(title), Some(version)) = (
        field("Implementation-Title"),
        field("Implementation-Version"),
    ) {
        (field("Implementation-Vendor-Id"), title, version)
    } else {
        let symbolic = field("Bundle-SymbolicName")?;
        let symbolic = symbolic.split(';').next().unwrap_or(symbolic).trim();
        (None, symbolic, field("Bundle-Version")?)
    };
    (!artifact.is_empty()).then(|| Found {
        location: location.to_owned(),
        group: group.map(str::to_owned),
        artifact: artifact.to_owned(),
        version: version.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use zip::write::SimpleFileOptions;

    use super::*;
    use crate::catalog::test_util::assert_provenance;

    /// A zip archive of `(name, content)` entries; `stored` leaves them uncompressed.
    fn archive(entries: &[(&str, &[u8])], stored: bool) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let method = if stored {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let options = SimpleFileOptions::default().compression_method(method);
        for (name, data) in entries {
            if name.ends_with('/') {
                writer.add_directory(*name, options).expect("in memory");
            } else {
                writer.start_file(*name, options).expect("in memory");
                writer.write_all(data).expect("in memory");
            }
        }
        writer.finish().expect("in memory").into_inner()
    }

    fn summary(packages: &[Package]) -> Vec<(String, String, String, String)> {
        let mut out: Vec<_> = packages
            .iter()
            .map(|p| {
                (
                    p.location.clone(),
                    p.name.clone(),
                    p.version.clone(),
                    p.purl.clone(),
                )
            })
            .collect();
        out.sort();
        out
    }

    fn row(
        location: &str,
        name: &str,
        version: &str,
        purl: &str,
    ) -> (String, String, String, String) {
        (
            location.to_owned(),
            name.to_owned(),
            version.to_owned(),
            purl.to_owned(),
        )
    }

    const LOG4J_POM: &[u8] = b"#Created by Apache Maven 3.8.1\r\nversion=2.14.1\r\n\
        groupId=org.apache.logging.log4j\r\nartifactId=log4j-core\r\n";

    #[test]
    fn paths() {
        for path in [
            "/app/app.jar",
            "/srv/ROOT.war",
            "/x/app.EAR",
            "/var/jenkins_home/plugins/git.jpi",
            "/x/y.hpi",
        ] {
            assert!(is_archive(path), "{path}");
        }
        for path in [
            "/app/.jar",
            "/app/jar",
            "/app/a.jar.sha1",
            "/app/a.zip",
            "é",
        ] {
            assert!(!is_archive(path), "{path}");
        }
    }

    #[test]
    fn pom_properties_per_entry() {
        let shaded = archive(
            &[
                ("META-INF/", b""),
                (
                    "META-INF/MANIFEST.MF",
                    b"Manifest-Version: 1.0\nImplementation-Title: ignored\nImplementation-Version: 9\n",
                ),
                ("META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties", LOG4J_POM),
                (
                    "META-INF/maven/com.google.guava/guava/pom.properties",
                    b"# comment\n! other comment\nversion = 31.1-jre\n",
                ),
                ("META-INF/maven/com.google.guava/guava/pom.xml", b"<project/>"),
                ("META-INF/maven/x/y/pom.properties", b"groupId=x\nartifactId=y\n"),
                ("org/example/Main.class", b"\xca\xfe\xba\xbe"),
            ],
            false,
        );
        let packages = parse("/app/app.jar", &shaded, Some(&"l1".to_owned()));
        assert_eq!(
            summary(&packages),
            [
                row(
                    "/app/app.jar",
                    "com.google.guava:guava",
                    "31.1-jre",
                    "pkg:maven/com.google.guava/guava@31.1-jre"
                ),
                row(
                    "/app/app.jar",
                    "org.apache.logging.log4j:log4j-core",
                    "2.14.1",
                    "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
                ),
            ]
        );
        assert_provenance(&packages, "java-archive", Ecosystem::Maven, None, "l1");
    }

    #[test]
    fn manifest_fallback() {
        let implementation = archive(
            &[(
                "META-INF/MANIFEST.MF",
                b"Manifest-Version: 1.0\r\nImplementation-Title: commons-lang\r\n\
                  Implementation-Version: 2.6\r\nImplementation-Vendor-Id: commons-l\r\n \
                  ang\r\n\r\nName: org/x/\r\nImplementation-Title: other\r\n",
            )],
            false,
        );
        assert_eq!(
            summary(&parse("/lib/commons-lang.jar", &implementation, None)),
            [row(
                "/lib/commons-lang.jar",
                "commons-lang:commons-lang",
                "2.6",
                "pkg:maven/commons-lang/commons-lang@2.6"
            )]
        );
        let bundle = archive(
            &[(
                "META-INF/MANIFEST.MF",
                b"Manifest-Version: 1.0\nBundle-SymbolicName: org.eclipse.jetty.ut\n il;singleton:=true\nBundle-Version: 9.4.51.v20230217\n",
            )],
            true,
        );
        assert_eq!(
            summary(&parse("/x.jar", &bundle, None)),
            [row(
                "/x.jar",
                "org.eclipse.jetty.util",
                "9.4.51.v20230217",
                "pkg:maven/org.eclipse.jetty.util@9.4.51.v20230217"
            )]
        );
        let nameless = archive(
            &[(
                "META-INF/MANIFEST.MF",
                b"Manifest-Version: 1.0\nCreated-By: javac\nImplementation-Version: 1\n",
            )],
            false,
        );
        assert!(parse("/x.jar", &nameless, None).is_empty());
    }

    #[test]
    fn nested_archives() {
        let innermost = archive(
            &[("META-INF/maven/d/d/pom.properties", b"version=4\n")],
            false,
        );
        let level3 = archive(&[("lib/innermost.jar", &innermost)], true);
        let level2 = archive(&[("lib/level3.jar", &level3)], false);
        let snake = archive(
            &[(
                "META-INF/maven/org.yaml/snakeyaml/pom.properties",
                b"groupId=org.yaml\nartifactId=snakeyaml\nversion=1.33\n",
            )],
            false,
        );
        let manifest_only = archive(
            &[(
                "META-INF/MANIFEST.MF",
                b"Implementation-Title: tool\nImplementation-Version: 0.1\n",
            )],
            false,
        );
        let boot = archive(
            &[
                (
                    "META-INF/maven/com.acme/app/pom.properties",
                    b"groupId=com.acme\nartifactId=app\nversion=1.0.0\n",
                ),
                ("BOOT-INF/lib/", b""),
                ("BOOT-INF/lib/snakeyaml-1.33.jar", &snake),
                ("BOOT-INF/lib/tool.jar", &manifest_only),
                ("BOOT-INF/lib/level2.jar", &level2),
                ("BOOT-INF/lib/broken.jar", b"PK\x03\x04 not really"),
            ],
            true,
        );
        let war = archive(&[("WEB-INF/lib/boot.jar", &boot)], false);
        assert_eq!(
            summary(&parse("/srv/app.war", &war, None)),
            [
                row(
                    "/srv/app.war!WEB-INF/lib/boot.jar",
                    "com.acme:app",
                    "1.0.0",
                    "pkg:maven/com.acme/app@1.0.0"
                ),
                row(
                    "/srv/app.war!WEB-INF/lib/boot.jar!BOOT-INF/lib/snakeyaml-1.33.jar",
                    "org.yaml:snakeyaml",
                    "1.33",
                    "pkg:maven/org.yaml/snakeyaml@1.33"
                ),
                row(
                    "/srv/app.war!WEB-INF/lib/boot.jar!BOOT-INF/lib/tool.jar",
                    "tool",
                    "0.1",
                    "pkg:maven/tool@0.1"
                ),
            ]
        );
        // `innermost.jar` is four levels below `app.war`, so it was not read; it is two below
        // `level2.jar`.
        let names: Vec<_> = parse("/level2.jar", &level2, None)
            .into_iter()
            .map(|p| p.location)
            .collect();
        assert_eq!(names, ["/level2.jar!lib/level3.jar!lib/innermost.jar"]);
    }

    #[test]
    fn budget_stops_reading() {
        let mut reader = Reader {
            budget: 10,
            found: Vec::new(),
        };
        let big = [0u8; 64];
        assert!(reader.read(&mut &big[..], 0, MAX_METADATA).is_none());
        assert_eq!(reader.budget, 0);
        let mut reader = Reader {
            budget: 100,
            found: Vec::new(),
        };
        assert!(reader.read(&mut &big[..], 64, 10).is_none());
        assert_eq!(reader.budget, 100, "declared size over the limit: not read");
        assert_eq!(reader.read(&mut &big[..], 0, 64).map(|d| d.len()), Some(64));
        assert_eq!(reader.budget, 36);
    }

    #[test]
    fn malformed_input_does_not_panic() {
        for data in [
            &b""[..],
            b"PK",
            b"PK\x05\x06",
            b"not a zip at all",
            &[0xff; 100],
        ] {
            assert!(parse("/x.jar", data, None).is_empty());
        }
        let inner = archive(
            &[("META-INF/maven/a/b/pom.properties", b"version=1\n")],
            false,
        );
        let data = archive(
            &[
                ("META-INF/maven/g/a/pom.properties", LOG4J_POM),
                (
                    "META-INF/MANIFEST.MF",
                    b"Implementation-Title: t\nImplementation-Version: 1\n",
                ),
                ("lib/inner.jar", &inner),
            ],
            false,
        );
        assert_eq!(parse("/x.jar", &data, None).len(), 2);
        for len in 0..data.len() {
            let _ = parse("/x.jar", data.get(..len).expect("in range"), None);
        }
        let mut corrupt = data.clone();
        for i in 0..corrupt.len() {
            for delta in [1u8, 0x80, 0xff] {
                corrupt[i] = data[i].wrapping_add(delta);
                let _ = parse("/x.jar", &corrupt, None);
            }
            corrupt[i] = data[i];
        }
        let pom = b"=\n:\nversion\nversion=\n\xff\xfe=\xff";
        assert!(pom_properties("/x", "g", "a", pom).is_none());
        assert!(
            from_manifest(
                "/x",
                b" continuation first\n:\nBundle-SymbolicName: ;x\nBundle-Version: 1\n"
            )
            .is_none()
        );
        assert_eq!(pom_path("META-INF/maven//a/pom.properties"), None);
        assert_eq!(pom_path("META-INF/maven/g/a/b/pom.properties"), None);
    }
}
