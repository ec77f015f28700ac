//! Semantic Versioning 2.0.0 precedence (npm, crates.io, Hex, and OSV's `SEMVER` ranges).
//!
//! A version is `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`. Major, minor and patch compare
//! as numbers; a version with a prerelease is below the same version without one
//! (`1.0.0-rc.1 < 1.0.0`); prereleases compare identifier by identifier (split on `.`):
//! numeric identifiers as numbers, below alphanumeric ones, which compare in ASCII order,
//! and a shorter list of otherwise equal identifiers first
//! (`1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta.2 < 1.0.0-beta.11`).
//! Build metadata is ignored: `1.0.0+a = 1.0.0+b`.
//!
//! Decisions:
//! - A leading `v` or `V` is tolerated (`v1.2.3 = 1.2.3`), as npm's loose mode and most
//!   advisories do.
//! - Numbers compare at any size (the spec sets no limit).
//! - Every string that is not valid SemVer is read leniently, by the same steps that read
//!   a valid one, so valid versions are ordered exactly as the spec says and the rest
//!   sort deterministically among them. After trimming ASCII whitespace and a leading `v`:
//!   build metadata is everything from the first `+`, and is ignored; the version core is
//!   the longest leading run of digits and dots, read as dot-separated numbers (an empty
//!   one is 0) and compared padded with zeros, so `1.2 = 1.2.0` and `1.2.3.4 > 1.2.3`;
//!   whatever follows the core (without one leading `-`) is the prerelease, even when
//!   empty. So `1.0rc1 = 1.0.0-rc1`, `01.2.3 = 1.2.3`, `1.2.3.beta = 1.2.3-beta`, and a
//!   string without a leading number is a prerelease of `0.0.0` (`abc = 0.0.0-abc`,
//!   `"" = 0.0.0`).

use std::cmp::Ordering;

pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    let a = Parts::read(a);
    let b = Parts::read(b);
    compare_core(&a.core, &b.core).then_with(|| match (a.prerelease, b.prerelease) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => compare_identifiers(x, y, compare_identifier),
    })
}

/// A version string split the SemVer way, leniently (see the module documentation).
pub(super) struct Parts<'a> {
    /// The numbers of the version core, without leading zeros (empty for zero).
    pub(super) core: Vec<&'a [u8]>,
    /// The prerelease, without its `-`; `None` for a release.
    pub(super) prerelease: Option<&'a str>,
    /// The build metadata, without its `+`; `None` without build metadata.
    pub(super) build: Option<&'a str>,
}

impl<'a> Parts<'a> {
    pub(super) fn read(version: &'a str) -> Self {
        let version = version.trim_ascii();
        let version = version.strip_prefix(['v', 'V']).unwrap_or(version);
        let (version, build) = match version.split_once('+') {
            Some((version, build)) => (version, Some(build)),
            None => (version, None),
        };
        let core_len = version
            .bytes()
            .take_while(|c| c.is_ascii_digit() || *c == b'.')
            .count();
        let (core, rest) = version.split_at(core_len);
        let core = if core.is_empty() {
            Vec::new()
        } else {
            core.split('.').map(|n| strip_zeros(n.as_bytes())).collect()
        };
        let prerelease = match rest.strip_prefix('-') {
            Some(prerelease) => Some(prerelease),
            None if rest.is_empty() => None,
            None => Some(rest),
        };
        Parts {
            core,
            prerelease,
            build,
        }
    }
}

fn strip_zeros(digits: &[u8]) -> &[u8] {
    &digits[digits.iter().take_while(|&&c| c == b'0').count()..]
}

/// Compares two runs of ASCII digits without leading zeros, as numbers of any size.
pub(super) fn compare_numbers(a: &[u8], b: &[u8]) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Compares two version cores number by number, the shorter padded with zeros.
pub(super) fn compare_core(a: &[&[u8]], b: &[&[u8]]) -> Ordering {
    (0..a.len().max(b.len()))
        .map(|i| {
            let x = a.get(i).copied().unwrap_or_default();
            let y = b.get(i).copied().unwrap_or_default();
            compare_numbers(x, y)
        })
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// Compares two dot-separated identifier lists with `compare`, a shorter list of
/// otherwise equal identifiers first.
pub(super) fn compare_identifiers(
    a: &str,
    b: &str,
    compare: impl Fn(&str, &str) -> Ordering,
) -> Ordering {
    let mut a = a.split('.');
    let mut b = b.split('.');
    loop {
        match (a.next(), b.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => match compare(x, y) {
                Ordering::Equal => {}
                other => return other,
            },
        }
    }
}

/// SemVer's order of two prerelease identifiers: numeric ones (all digits) as numbers and
/// below alphanumeric ones, which compare in ASCII (byte) order.
pub(super) fn compare_identifier(a: &str, b: &str) -> Ordering {
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    match (numeric(a), numeric(b)) {
        (true, true) => compare_numbers(strip_zeros(a.as_bytes()), strip_zeros(b.as_bytes())),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use super::compare;
    use crate::version::{Scheme, assert_fixture};

    #[test]
    fn semver_fixture() {
        assert_fixture(Scheme::Semver, "semver-versions.txt");
    }

    #[test]
    fn spec_precedence_example() {
        // The example list of SemVer 2.0.0 §11, and the build metadata of §10.
        let ordered = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ];
        for pair in ordered.windows(2) {
            assert_eq!(compare(pair[0], pair[1]), Ordering::Less, "{pair:?}");
            assert_eq!(compare(pair[1], pair[0]), Ordering::Greater, "{pair:?}");
        }
        assert_eq!(compare("1.0.0-alpha+001", "1.0.0-alpha"), Ordering::Equal);
        assert_eq!(
            compare("1.0.0+20130313144700", "1.0.0+exp.sha.5114f85"),
            Ordering::Equal
        );
    }

    #[test]
    fn lenient_fallback() {
        assert_eq!(compare("v1.2.3", "1.2.3"), Ordering::Equal);
        assert_eq!(compare("1.2", "1.2.0"), Ordering::Equal);
        assert_eq!(compare("1.2.3.4", "1.2.3"), Ordering::Greater);
        assert_eq!(compare("1.0rc1", "1.0.0-rc1"), Ordering::Equal);
        assert_eq!(compare("01.2.3", "1.2.3"), Ordering::Equal);
        assert_eq!(compare("abc", "0.0.0-abc"), Ordering::Equal);
        assert_eq!(compare("", "0.0.0"), Ordering::Equal);
        assert_eq!(compare("abc", "0.0.0"), Ordering::Less);
        assert_eq!(
            compare("18446744073709551616.0.0", "18446744073709551615.0.0"),
            Ordering::Greater
        );
    }

    /// Odd strings from advisories and inventories order without panicking, and the
    /// order stays antisymmetric and transitive.
    #[test]
    fn total_on_garbage() {
        let odd = [
            "",
            " ",
            "~",
            "-",
            "+",
            "::",
            "1..2",
            "v",
            "V",
            "é",
            "1.0.0-",
            "1.0.0+",
            "1.0.0-+",
            "-1",
            "1.0",
            "1.0.0",
            "1.0.0-0",
            "1.0.0-a..b",
            "1.0.0-é",
            "v1.0.0-rc.1+b",
            "99999999999999999999999.1",
            "\0",
            "1ü2",
        ];
        for a in odd {
            for b in odd {
                assert_eq!(compare(a, b), compare(b, a).reverse(), "{a:?} vs {b:?}");
                for c in odd {
                    if compare(a, b).is_le() && compare(b, c).is_le() {
                        assert!(compare(a, c).is_le(), "{a:?} <= {b:?} <= {c:?}");
                    }
                }
            }
        }
    }
}
