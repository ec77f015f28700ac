//! Version ordering, exactly as each ecosystem defines it.
//!
//! Every comparison is total: a string a scheme cannot parse still sorts somewhere
//! deterministic (documented per scheme), because advisories and inventories contain such
//! strings and a scan must not stop on them.

use std::cmp::Ordering;

mod apk;
mod cran;
mod dpkg;
mod go;
mod hackage;
mod maven;
mod nuget;
mod packagist;
mod pep440;
mod pubdev;
mod rpm;
mod rubygems;
mod semver;

/// A version ordering scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Debian and Ubuntu: `deb-version(7)`, epochs, `~`.
    Dpkg,
    /// Alpine, Wolfi, Chainguard: apk-tools' `apk_version_compare`.
    Apk,
    /// Red Hat family, SUSE, openEuler: rpm's `rpmvercmp` over epoch, version and release,
    /// with `~` and `^`.
    Rpm,
    /// Semantic Versioning 2.0.0 (npm, crates.io, and the OSV `SEMVER` range type).
    Semver,
    /// PyPI: PEP 440.
    Pep440,
    /// Maven: `ComparableVersion`.
    Maven,
    /// RubyGems: `Gem::Version`.
    RubyGems,
    /// Go modules: semver with a `v` prefix, pseudo-versions, and the standard library's
    /// `go1.x` form.
    Go,
    /// NuGet: `NuGetVersion`.
    NuGet,
    /// Packagist: Composer's `version_compare` after normalisation.
    Packagist,
    /// Pub (Dart).
    Pub,
    /// CRAN (R).
    Cran,
    /// Hackage (Haskell).
    Hackage,
}

impl Scheme {
    /// The scheme an OSV ecosystem uses, from the ecosystem string as OSV writes it
    /// (`Debian:12`, `Alpine:v3.18`, `PyPI`, `crates.io` …); the part after `:` is ignored.
    /// `None` for an ecosystem we do not know.
    pub fn for_ecosystem(ecosystem: &str) -> Option<Scheme> {
        let base = ecosystem.split(':').next().unwrap_or(ecosystem);
        Some(match base {
            "Debian" | "Ubuntu" => Scheme::Dpkg,
            "Alpine" | "Wolfi" | "Chainguard" | "Alpaquita" | "BellSoft Hardened Containers" => {
                Scheme::Apk
            }
            "Red Hat" | "Rocky Linux" | "AlmaLinux" | "openSUSE" | "SUSE" | "Mageia"
            | "openEuler" | "Photon OS" | "Azure Linux" | "Oracle Linux" => Scheme::Rpm,
            "PyPI" => Scheme::Pep440,
            "Maven" => Scheme::Maven,
            "RubyGems" => Scheme::RubyGems,
            "Go" => Scheme::Go,
            "NuGet" => Scheme::NuGet,
            "Packagist" => Scheme::Packagist,
            "Pub" => Scheme::Pub,
            "CRAN" => Scheme::Cran,
            "Hackage" => Scheme::Hackage,
            "npm" | "crates.io" | "Hex" | "SwiftURL" | "Kubernetes" | "kubernetes" | "Bitnami"
            | "GHC" => Scheme::Semver,
            _ => return None,
        })
    }

    /// Orders two versions under this scheme.
    pub fn compare(self, a: &str, b: &str) -> Ordering {
        match self {
            Scheme::Dpkg => dpkg::compare(a, b),
            Scheme::Apk => apk::compare(a, b),
            Scheme::Rpm => rpm::compare(a, b),
            Scheme::Semver => semver::compare(a, b),
            Scheme::Pep440 => pep440::compare(a, b),
            Scheme::Maven => maven::compare(a, b),
            Scheme::RubyGems => rubygems::compare(a, b),
            Scheme::Go => go::compare(a, b),
            Scheme::NuGet => nuget::compare(a, b),
            Scheme::Packagist => packagist::compare(a, b),
            Scheme::Pub => pubdev::compare(a, b),
            Scheme::Cran => cran::compare(a, b),
            Scheme::Hackage => hackage::compare(a, b),
        }
    }
}

/// Test support: checks every pair in a file of `../shared/vulndata/version-fixtures`.
///
/// A line is `a < b`, `a = b` or `a > b`; blank lines and lines starting with `#` or `//` (the
/// fixtures' two comment styles) are skipped.
/// Panics listing every pair the scheme orders wrongly.
#[cfg(test)]
pub(crate) fn assert_fixture(scheme: Scheme, file: &str) {
    assert_fixture_except(scheme, file, &[]);
}

/// Test support: [`assert_fixture`], except for the listed lines (1-based line number, and
/// why the line contradicts the scheme's specification).
///
/// Panics also when an excluded line is not a pair or is ordered as the fixture says, so an
/// exclusion cannot outlive its reason.
#[cfg(test)]
pub(crate) fn assert_fixture_except(scheme: Scheme, file: &str, except: &[(usize, &str)]) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/vulndata/version-fixtures")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the version fixtures are the project's shared test data (../shared/vulndata); \
             cannot read {}: {e}",
            path.display()
        )
    });
    let mut wrong = Vec::new();
    let mut checked = 0;
    let mut excluded = 0;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [a, op, b] = parts[..] else {
            panic!("{file}:{}: not `a OP b`: {line}", n + 1);
        };
        let want = match op {
            "<" => Ordering::Less,
            "=" => Ordering::Equal,
            ">" => Ordering::Greater,
            _ => panic!("{file}:{}: unknown operator {op}", n + 1),
        };
        let got = scheme.compare(a, b);
        let back = scheme.compare(b, a);
        let ok = got == want && back == want.reverse();
        if except.iter().any(|&(at, _)| at == n + 1) {
            excluded += 1;
            assert!(
                !ok,
                "{file}:{}: excluded, but now ordered as the fixture says: {line}",
                n + 1
            );
            continue;
        }
        checked += 1;
        if !ok {
            wrong.push(format!(
                "{file}:{}: {a} {op} {b}, got {got:?} / reverse {back:?}",
                n + 1
            ));
        }
    }
    assert!(checked > 0, "{file} holds no pairs");
    assert_eq!(
        excluded,
        except.len(),
        "{file}: an excluded line is not a pair line: {except:?}"
    );
    assert!(
        wrong.is_empty(),
        "{} of {checked} pairs wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
