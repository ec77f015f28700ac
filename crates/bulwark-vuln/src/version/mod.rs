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
mod util;

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
    /// Every scheme.
    pub const ALL: [Scheme; 13] = [
        Scheme::Dpkg,
        Scheme::Apk,
        Scheme::Rpm,
        Scheme::Semver,
        Scheme::Pep440,
        Scheme::Maven,
        Scheme::RubyGems,
        Scheme::Go,
        Scheme::NuGet,
        Scheme::Packagist,
        Scheme::Pub,
        Scheme::Cran,
        Scheme::Hackage,
    ];

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

    /// Whether this scheme orders `version` transitively against every other version. Every
    /// scheme does but two, which keep the ecosystem's own order: Maven's `ComparableVersion`
    /// is not transitive, and in Packagist, as in PHP, a `#` equals every number (see their
    /// modules). An intransitive order still compares every pair antisymmetrically.
    pub fn orders_transitively(self, version: &str) -> bool {
        match self {
            Scheme::Maven => false,
            Scheme::Packagist => !version.contains('#'),
            _ => true,
        }
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

/// Test support: checks that `scheme` orders `versions` strictly ascending (each pair of
/// neighbours both ways).
#[cfg(test)]
pub(crate) fn assert_ascending(scheme: Scheme, versions: &[&str]) {
    for pair in versions.windows(2) {
        assert_eq!(scheme.compare(pair[0], pair[1]), Ordering::Less, "{pair:?}");
        assert_eq!(
            scheme.compare(pair[1], pair[0]),
            Ordering::Greater,
            "{pair:?}"
        );
    }
}

/// Test support: checks that `scheme` orders all of `versions` equal.
#[cfg(test)]
pub(crate) fn assert_all_equal(scheme: Scheme, versions: &[&str]) {
    for a in versions {
        for b in versions {
            assert_eq!(scheme.compare(a, b), Ordering::Equal, "{a} = {b}");
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

#[cfg(test)]
mod tests {
    use std::cmp::Ordering::{self, Equal, Greater, Less};

    use proptest::prelude::*;

    use super::Scheme;

    /// Generated versions for `scheme`: regular expressions dense in the tokens it gives
    /// meaning to, so that generated pairs often share prefixes or compare equal.
    fn generator(scheme: Scheme) -> &'static str {
        match scheme {
            Scheme::Dpkg => "([0-9]{1,2}|[.:~+-]|a|Z|é| ){0,7}",
            Scheme::Apk => "([0-9]{1,2}|[._-]|r|a|z|alpha|pre|rc|p|git|x){0,7}",
            Scheme::Rpm => "([0-9]{1,2}|[.:~^_+-]|a|Z|el|é){0,7}",
            Scheme::Semver => "(v|[0-9]{1,2}|[.+-]|a|B|rc|x| ){0,8}",
            Scheme::Pep440 => "(v|V|[0-9]{1,2}|[._+!-]|a|B|c|rc|pre|post|r|dev|alpha|x|:){0,7}",
            Scheme::Maven => "([0-9]{1,2}|[.-]|a|b|M|alpha|rc|cr|ga|final|sp|snapshot|x|foo){0,7}",
            Scheme::RubyGems => "([0-9]{1,2}|[. -]|a|B|pre|rc|x){0,7}",
            Scheme::Go => "(v|go|[0-9]{1,2}|[.+-]|beta|rc|incompatible|x){0,8}",
            Scheme::NuGet => "([0-9]{1,2}|[.+-]|a|B|rc|x){0,8}",
            // Without `#`, which is not transitive (see `Scheme::orders_transitively`).
            Scheme::Packagist => "(v|[0-9]{1,2}|[._+~-]|a|b|RC|rc|p|pl|dev|x|dev-){0,7}",
            Scheme::Pub => "(v|[0-9]{1,2}|[.+-]|a|B|0x|1f|x){0,8}",
            Scheme::Cran | Scheme::Hackage => "([0-9]{1,2}|[.-]|x| ){0,6}",
        }
    }

    /// Checks that `scheme` orders `versions` antisymmetrically (so every version equals
    /// itself) and, where [`Scheme::orders_transitively`] allows, transitively in `<` and `=`.
    fn assert_consistent(scheme: Scheme, versions: &[&str]) {
        let order: Vec<Vec<Ordering>> = versions
            .iter()
            .map(|a| versions.iter().map(|b| scheme.compare(a, b)).collect())
            .collect();
        let n = versions.len();
        for i in 0..n {
            for j in 0..n {
                assert_eq!(
                    order[i][j],
                    order[j][i].reverse(),
                    "{scheme:?}: {:?} vs {:?}",
                    versions[i],
                    versions[j]
                );
            }
        }
        let transitive: Vec<bool> = versions
            .iter()
            .map(|v| scheme.orders_transitively(v))
            .collect();
        for i in (0..n).filter(|&i| transitive[i]) {
            for j in (0..n).filter(|&j| transitive[j]) {
                for k in (0..n).filter(|&k| transitive[k]) {
                    let (ab, bc, ac) = (order[i][j], order[j][k], order[i][k]);
                    let want = if ab == bc || bc == Equal {
                        ab
                    } else if ab == Equal {
                        bc
                    } else {
                        continue;
                    };
                    assert_eq!(
                        ac, want,
                        "{scheme:?}: {:?} {ab:?} {:?} {bc:?} {:?}",
                        versions[i], versions[j], versions[k]
                    );
                }
            }
        }
    }

    /// Odd strings from advisories and inventories, and ones each scheme reads in a special
    /// way, order in every scheme without panicking, and consistently.
    #[test]
    fn every_scheme_is_consistent_on_garbage() {
        // Ten thousand nested lists for Maven; long inputs for every other scheme.
        let deep = "-".repeat(20_000);
        let deep_items = "1-a".repeat(5_000);
        let odd = [
            "",
            " ",
            "~",
            "-",
            "--",
            "+",
            ".",
            "..",
            ":",
            "::",
            "_",
            "^",
            "~~^",
            "#",
            "#.1",
            "!1",
            "1!",
            "v",
            "V",
            "A",
            "a",
            "é",
            "ünï.cødé",
            "١٢",
            "\0",
            "1\u{0}1",
            "1ü",
            "1ü2",
            "0",
            "0.0.0",
            "1.",
            ".1",
            ".a",
            "-1",
            "1-",
            "1_",
            "1:",
            ":1",
            "a:1",
            "a.1",
            "1..2",
            "1.2",
            "v1.2",
            "1.0",
            "1.0~",
            "1.0^",
            "1.0-",
            "1.0+",
            "1.0-+",
            "1.0-0",
            "0:1.0-0",
            "1-0-0-1",
            "1-r",
            "1-r-",
            "1-r0-r1",
            "1-sp",
            "1.0_rc",
            "1.0_foo",
            "1.0a1",
            "1.0.a",
            "1.a.0.1",
            "1.#.beta",
            "1.0+a..b",
            "1.0.post-",
            "dev-",
            "go",
            "go1.",
            "go1.2.3.4",
            "go1rc",
            "go1.2rc1x",
            "1.0.0",
            "1.0.0-",
            "1.0.0+",
            "1.0.0-+",
            "1.0.0+-",
            "1.0.0-0",
            "1.0.0-1",
            "1.0.0-a",
            "1.0.0-a..b",
            "1.0.0-é",
            "1.0.0-ünï",
            "1.0.0+0x",
            "1.0.0+-0x1f",
            "1.0.0+1",
            "1.0.0+a",
            "1.0.0+\u{10000}",
            "1.0.0+\u{ffff}",
            "v1.0.0-",
            "v1.0.0+",
            "v1.0.0-é",
            "v1.0.0-rc.1+b",
            "123456789.x",
            "99999999.x",
            "99999999999999999999999",
            "99999999999999999999999.0",
            "99999999999999999999999.1",
            "99999999999999999999999.#",
            "99999999999999999999999.0-1",
            "99999999999999999999999:1",
            "99999999999999999999999!1",
            "000000000000000000000001.2",
            "1.0.dev99999999999999999999999",
            "1.0.0-99999999999999999999999",
            &deep,
            &deep_items,
        ];
        for scheme in Scheme::ALL {
            assert_consistent(scheme, &odd);
        }
    }

    #[test]
    fn every_scheme_compares_numbers_past_64_bits_by_value() {
        for scheme in Scheme::ALL {
            let compare = |a, b| scheme.compare(a, b);
            assert_eq!(
                compare("99999999999999999999999", "99999999999999999999998"),
                Greater,
                "{scheme:?}"
            );
            assert_eq!(
                compare("99999999999999999999999", "100000000000000000000000"),
                Less,
                "{scheme:?}"
            );
        }
    }

    /// A scheme and three versions generated for it.
    fn scheme_and_versions() -> impl Strategy<Value = (Scheme, [String; 3])> {
        prop::sample::select(Scheme::ALL.to_vec())
            .prop_flat_map(|scheme| (Just(scheme), prop::array::uniform3(generator(scheme))))
    }

    proptest! {
        // 256 cases for each of the 13 schemes.
        #![proptest_config(ProptestConfig::with_cases(256 * 13))]

        #[test]
        fn every_scheme_is_consistent_on_generated_strings(
            (scheme, versions) in scheme_and_versions()
        ) {
            let [a, b, c] = &versions;
            assert_consistent(scheme, &[a, b, c]);
        }
    }
}
