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

use super::util::{absent_last, compare_digits, compare_identifier, lexicographic, padded};

pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    let a = Parts::read(a);
    let b = Parts::read(b);
    compare_core(&a.core, &b.core).then_with(|| compare_prerelease(a.prerelease, b.prerelease))
}

/// A version string split the SemVer way, leniently (see the module documentation).
pub(super) struct Parts<'a> {
    /// The numbers of the version core, as digit runs (an empty run is zero).
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
            core.split('.').map(str::as_bytes).collect()
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

/// Compares two version cores number by number, the shorter padded with zeros.
pub(super) fn compare_core(a: &[&[u8]], b: &[&[u8]]) -> Ordering {
    padded(a, b, &&b""[..], |x, y| compare_digits(x, y))
}

/// SemVer's order of two prereleases (`None` for a release, which sorts after them):
/// identifier by identifier, numeric ones by value and below alphanumeric ones, which compare
/// in ASCII (byte) order, and a shorter list of otherwise equal identifiers first.
pub(super) fn compare_prerelease(a: Option<&str>, b: Option<&str>) -> Ordering {
    absent_last(a, b, |a, b| {
        lexicographic(a.split('.'), b.split('.'), |x, y| {
            compare_identifier(x, y, str::cmp)
        })
    })
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use super::compare;
    use crate::version::{Scheme, assert_ascending, assert_fixture};

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
        assert_ascending(Scheme::Semver, &ordered);
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
}
