//! `/etc/os-release` and `/usr/lib/os-release`: which distribution the image is, for purls.
//!
//! Not a package. The format is shell-like `KEY=value` lines, values optionally in single or
//! double quotes with backslash escapes inside double quotes
//! (<https://www.freedesktop.org/software/systemd/man/os-release.html>).

/// Where the file lives; the first one present wins (`/etc/os-release` is often a symlink to the
/// second, and a symlink is not handed to the catalogers).
pub(crate) const PATHS: [&str; 2] = ["/etc/os-release", "/usr/lib/os-release"];

/// What the purls need from os-release.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OsRelease {
    /// `ID` (`debian`, `alpine`, `ubuntu`, `wolfi`).
    pub(crate) id: Option<String>,
    /// `VERSION_ID` (`12`, `3.18.9`).
    pub(crate) version_id: Option<String>,
}

impl OsRelease {
    /// The `distro` purl qualifier, `<ID>-<VERSION_ID>`, or `<ID>` without a version.
    pub(crate) fn distro(&self) -> Option<String> {
        let id = self.id.as_deref()?;
        Some(match self.version_id.as_deref() {
            Some(version) => format!("{id}-{version}"),
            None => id.to_owned(),
        })
    }
}

/// Parses the file; unknown or malformed lines are ignored.
pub(crate) fn parse(data: &[u8]) -> OsRelease {
    let text = String::from_utf8_lossy(data);
    let mut release = OsRelease::default();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = unquote(value.trim());
        if value.is_empty() {
            continue;
        }
        match key.trim() {
            "ID" => release.id = Some(value.to_ascii_lowercase()),
            "VERSION_ID" => release.version_id = Some(value),
            _ => {}
        }
    }
    release
}

fn unquote(value: &str) -> String {
    if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            } else {
                out.push(c);
            }
        }
        out
    } else if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        inner.to_owned()
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_debian() {
        let release = parse(
            b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
              VERSION_ID=\"12\"\nID=debian\n",
        );
        assert_eq!(release.id.as_deref(), Some("debian"));
        assert_eq!(release.distro().as_deref(), Some("debian-12"));
    }

    #[test]
    fn reads_quotes_and_escapes() {
        let release = parse(b"# comment\nID='alpine'\nVERSION_ID=\"3.18\\\"9\"\nbroken\n=\n");
        assert_eq!(release.distro().as_deref(), Some("alpine-3.18\"9"));
    }

    #[test]
    fn missing_fields() {
        assert_eq!(parse(b"\xff\xfe").distro(), None);
        assert_eq!(parse(b"ID=debian\n").distro().as_deref(), Some("debian"));
    }
}
