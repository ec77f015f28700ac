//! Ruby gems: Bundler lockfiles and installed gem specifications.
//!
//! - `Gemfile.lock` and `gems.locked` (`gemfile-lock`): the `specs:` of each `GEM` section
//!   (gems from a gem server), one package per `    name (version)` line at four spaces; the
//!   dependency lines below them (six spaces) are skipped. `GIT` and `PATH` sections are not
//!   read: their gems are a repository's or the application's own code, not releases of the
//!   gem server, so a version there does not name a published gem.
//! - `…/specifications/*.gemspec` and `…/specifications/default/*.gemspec` (`gemspec`): the
//!   specifications RubyGems writes for installed gems, one package each, from the first
//!   `<spec>.name = …` and `<spec>.version = …` lines (`s.name = "rack".freeze`), with
//!   `license`/`licenses` and `platform`. Gemspecs elsewhere (a gem's own source tree) are not
//!   read. Debian's `ruby-*` packages install such specifications too; they are reported as well.
//! - A lockfile version names a platform after its first `-` (`nokogiri (1.15.5-x86_64-linux)`,
//!   as Bundler writes platform gems). The version is the part before it (`1.15.5`, what
//!   advisories name) and the platform becomes the purl's `platform` qualifier
//!   (`pkg:gem/nokogiri@1.15.5?platform=x86_64-linux`); a gemspec's `platform` does the same,
//!   except `ruby`, the default.
//! - Lockfiles under a `gems` directory (inside installed gems, `vendor/bundle` included) or
//!   `node_modules` are not read: they describe a gem's development, not the image.
//! - The location is the lockfile or the gemspec.

use bulwark_model::{Ecosystem, Package};

use super::{in_dir, purl};

/// Which Ruby cataloger a file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `Gemfile.lock` or `gems.locked`.
    GemfileLock,
    /// An installed gem's specification.
    Gemspec,
}

/// What `path` is for the Ruby catalogers, if anything.
pub(crate) fn kind(path: &str) -> Option<Kind> {
    let mut parts = path.rsplit('/');
    let file = parts.next()?;
    if matches!(file, "Gemfile.lock" | "gems.locked") {
        return (!in_dir(path, &["gems", "node_modules"])).then_some(Kind::GemfileLock);
    }
    if file.len() > ".gemspec".len() && file.ends_with(".gemspec") {
        let parent = parts.next()?;
        if parent == "specifications" || (parent == "default" && parts.next()? == "specifications")
        {
            return Some(Kind::Gemspec);
        }
    }
    None
}

/// Packages of one file of the given kind.
pub(crate) fn parse(kind: Kind, path: &str, data: &[u8], layer: Option<&String>) -> Vec<Package> {
    let text = String::from_utf8_lossy(data);
    let (found, cataloger) = match kind {
        Kind::GemfileLock => (gemfile_lock(&text), "gemfile-lock"),
        Kind::Gemspec => (gemspec(&text).into_iter().collect(), "gemspec"),
    };
    found
        .into_iter()
        .map(|f| Package {
            purl: purl::build(
                "gem",
                None,
                &f.name,
                &f.version,
                &[("platform", f.platform.as_str())],
            ),
            name: f.name,
            version: f.version,
            ecosystem: Ecosystem::Gem,
            cataloger: cataloger.to_owned(),
            location: path.to_owned(),
            layer: layer.cloned(),
            source_name: None,
            source_version: None,
            licenses: f.licenses,
            os_owned: false,
        })
        .collect()
}

/// A gem as a file describes it (`platform` empty for plain Ruby gems).
#[derive(Debug, PartialEq, Eq)]
struct Found {
    name: String,
    version: String,
    platform: String,
    licenses: Vec<String>,
}

fn gemfile_lock(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    let mut in_gem = false;
    let mut in_specs = false;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            in_gem = line.trim_end() == "GEM";
            in_specs = false;
            continue;
        }
        if !in_gem {
            continue;
        }
        if let Some(key) = line.strip_prefix("  ").filter(|k| !k.starts_with(' ')) {
            in_specs = key.trim_end() == "specs:";
            continue;
        }
        let Some(spec) = line.strip_prefix("    ").filter(|s| !s.starts_with(' ')) else {
            continue; // a dependency of the spec above
        };
        if !in_specs {
            continue;
        }
        let Some((name, rest)) = spec.trim_end().split_once(" (") else {
            continue;
        };
        let Some(full) = rest.strip_suffix(')') else {
            continue;
        };
        let (version, platform) = full.split_once('-').unwrap_or((full, ""));
        if name.is_empty() || name.contains(char::is_whitespace) || version.trim().is_empty() {
            continue;
        }
        found.push(Found {
            name: name.to_owned(),
            version: version.trim().to_owned(),
            platform: platform.trim().to_owned(),
            licenses: Vec::new(),
        });
    }
    found
}

fn gemspec(text: &str) -> Option<Found> {
    let mut name = None;
    let mut version = None;
    let mut platform = None;
    let mut licenses = None;
    for line in text.lines() {
        let line = line.trim();
        let Some((target, value)) = line.split_once('=') else {
            continue;
        };
        let Some((receiver, field)) = target.trim_end().split_once('.') else {
            continue;
        };
        if receiver.is_empty()
            || !receiver
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            continue;
        }
        // `==` and `=>` are not assignments.
        if value.starts_with(['=', '>', '~']) {
            continue;
        }
        let slot = match field {
            "name" => &mut name,
            "version" => &mut version,
            "platform" => &mut platform,
            "license" | "licenses" => &mut licenses,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(ruby_strings(value));
        }
    }
    let first = |v: Option<Vec<String>>| v.and_then(|v| v.into_iter().next());
    let name = first(name).filter(|n| !n.is_empty())?;
    let version = first(version).filter(|v| !v.is_empty())?;
    let platform = first(platform).filter(|p| p != "ruby").unwrap_or_default();
    Some(Found {
        name,
        version,
        platform,
        licenses: licenses
            .unwrap_or_default()
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect(),
    })
}

/// The string literals of a Ruby expression: `"…"`, `'…'` and `%q{…}` (escapes kept as
/// written, except `\"` and `\\`).
fn ruby_strings(expression: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = expression.chars().peekable();
    while let Some(c) = chars.next() {
        let close = match c {
            '"' | '\'' => c,
            '%' if chars.peek() == Some(&'q') => {
                chars.next();
                if chars.next() != Some('{') {
                    continue;
                }
                '}'
            }
            '#' => break, // a comment
            _ => continue,
        };
        let mut s = String::new();
        let mut closed = false;
        while let Some(c) = chars.next() {
            if c == close {
                closed = true;
                break;
            }
            if c == '\\'
                && let Some(&next) = chars.peek()
                && (next == close || next == '\\')
            {
                chars.next();
                s.push(next);
                continue;
            }
            s.push(c);
        }
        if closed {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(name: &str, version: &str, platform: &str) -> Found {
        Found {
            name: name.to_owned(),
            version: version.to_owned(),
            platform: platform.to_owned(),
            licenses: Vec::new(),
        }
    }

    const LOCK: &str = "GIT\n  remote: https://github.com/acme/private.git\n  revision: 0123abc\n  \
        specs:\n    private (0.3.0)\n\nPATH\n  remote: .\n  specs:\n    myapp (0.1.0)\n      \
        rack (>= 2)\n\nGEM\n  remote: https://rubygems.org/\n  specs:\n    actionpack (7.0.4)\n      \
        rack (~> 2.0, >= 2.2.0)\n    nokogiri (1.15.5-x86_64-linux)\n      racc (~> 1.4)\n    \
        nokogiri (1.15.5-java)\n    rack (2.2.8)\r\n    broken (1.0\n    (1.0)\n\nGEM\n  \
        remote: https://gems.example.com/\n  specs:\n    internal (2.0.0.pre.1)\n\n\
        PLATFORMS\n  ruby\n  x86_64-linux\n\nDEPENDENCIES\n  actionpack (~> 7.0)\n  \
        private!\n\nCHECKSUMS\n  rack (2.2.8) sha256=abc\n\nBUNDLED WITH\n   2.4.10\n";

    #[test]
    fn kinds() {
        assert_eq!(kind("/app/Gemfile.lock"), Some(Kind::GemfileLock));
        assert_eq!(kind("/app/gems.locked"), Some(Kind::GemfileLock));
        assert_eq!(kind("/usr/local/bundle/gems/rack-2.2.8/Gemfile.lock"), None);
        assert_eq!(
            kind("/app/vendor/bundle/ruby/3.2.0/gems/x-1/Gemfile.lock"),
            None
        );
        assert_eq!(kind("/app/node_modules/x/Gemfile.lock"), None);
        assert_eq!(
            kind("/usr/local/bundle/specifications/rack-2.2.8.gemspec"),
            Some(Kind::Gemspec)
        );
        assert_eq!(
            kind("/usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec"),
            Some(Kind::Gemspec)
        );
        assert_eq!(kind("/usr/local/bundle/gems/rack-2.2.8/rack.gemspec"), None);
        assert_eq!(kind("/x/default/a.gemspec"), None);
        assert_eq!(kind("/specifications/.gemspec"), None);
        assert_eq!(kind("Gemfile"), None);
    }

    #[test]
    fn lockfile_gem_sections() {
        assert_eq!(
            gemfile_lock(LOCK),
            [
                found("actionpack", "7.0.4", ""),
                found("nokogiri", "1.15.5", "x86_64-linux"),
                found("nokogiri", "1.15.5", "java"),
                found("rack", "2.2.8", ""),
                found("internal", "2.0.0.pre.1", ""),
            ]
        );
        let packages = parse(
            Kind::GemfileLock,
            "/app/Gemfile.lock",
            LOCK.as_bytes(),
            None,
        );
        assert_eq!(
            packages[1].purl,
            "pkg:gem/nokogiri@1.15.5?platform=x86_64-linux"
        );
        assert_eq!(packages[3].purl, "pkg:gem/rack@2.2.8");
        assert_eq!(packages[3].cataloger, "gemfile-lock");
        assert_eq!(packages[3].location, "/app/Gemfile.lock");
        assert_eq!(packages[3].ecosystem, Ecosystem::Gem);
    }

    #[test]
    fn installed_gemspecs() {
        let rack = "# -*- encoding: utf-8 -*-\n# stub: rack 2.2.8 ruby lib\n\n\
            Gem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  s.version = \"2.2.8\"\n\n  \
            s.required_rubygems_version = Gem::Requirement.new(\">= 0\".freeze) if s.respond_to? \
            :required_rubygems_version=\n  s.authors = [\"Leah Neukirchen\".freeze]\n  \
            s.licenses = [\"MIT\".freeze]\n  s.summary = \"a modular Ruby webserver interface\".freeze\n\n  \
            s.add_development_dependency(%q<minitest>.freeze, [\"~> 5.0\"])\nend\n";
        let path = "/usr/local/bundle/specifications/rack-2.2.8.gemspec";
        let packages = parse(Kind::Gemspec, path, rack.as_bytes(), Some(&"l".to_owned()));
        assert_eq!(packages.len(), 1);
        assert_eq!(packages[0].name, "rack");
        assert_eq!(packages[0].version, "2.2.8");
        assert_eq!(packages[0].licenses, ["MIT"]);
        assert_eq!(packages[0].purl, "pkg:gem/rack@2.2.8");
        assert_eq!(packages[0].cataloger, "gemspec");
        assert_eq!(packages[0].location, path);
        let old = "Gem::Specification.new do |spec|\n  spec.name = %q{json}\n  \
            spec.version = \"2.6.1\" # default gem\n  spec.platform = 'java'\n  \
            spec.license = 'Ruby'\n  spec.name = \"other\"\nend\n";
        let package = gemspec(old).expect("gem");
        assert_eq!(
            (
                package.name.as_str(),
                package.version.as_str(),
                package.platform.as_str()
            ),
            ("json", "2.6.1", "java")
        );
        assert_eq!(package.licenses, ["Ruby"]);
        let ruby_platform = "s.name = \"a\"\ns.version = \"1\"\ns.platform = \"ruby\"\n";
        assert_eq!(gemspec(ruby_platform).expect("gem").platform, "");
    }

    #[test]
    fn strings() {
        assert_eq!(
            ruby_strings(r#"["MIT".freeze, 'Apache-2.0', %q{a\}b}] # "no""#),
            ["MIT", "Apache-2.0", "a}b"]
        );
        assert_eq!(ruby_strings(r#""a\"b\\c\n""#), ["a\"b\\c\\n"]);
        assert!(ruby_strings("\"open").is_empty());
        assert!(ruby_strings("%q(x) %").is_empty());
    }

    #[test]
    fn malformed_input_does_not_panic() {
        for text in [
            "",
            "GEM\n  specs:\n    \n    (\n    a ()\n    a (-)\n     b (1)\n",
            "GEM\nspecs:\n    a (1)\n",
            "s.name == \"a\"\ns.version => \"1\"\n",
            ".name = \"a\"\n.version = \"1\"\n",
            "s.name = \"\"\ns.version = \"1\"\n",
            "s.name = \"é\u{0}\nx.version = %q",
            "\u{feff}=.=",
        ] {
            for kind in [Kind::GemfileLock, Kind::Gemspec] {
                assert!(
                    parse(kind, "/x", text.as_bytes(), None).is_empty(),
                    "{text:?}"
                );
            }
        }
    }
}
