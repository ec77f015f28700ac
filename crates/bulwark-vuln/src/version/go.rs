//! Go module versions, ordered as `golang.org/x/mod/semver.Compare` orders them, plus
//! the Go standard library's release tags.
//!
//! A module version is SemVer with a `v` prefix: `vMAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`,
//! where `v1` and `v1.2` are shorthands for `v1.0.0` and `v1.2.0`. Precedence is SemVer's
//! (see [`super::semver`]); build metadata is ignored, which is how `+incompatible`
//! (`v2.0.0+incompatible = v2.0.0`) drops out. Pseudo-versions need no special case: they
//! are prereleases built to sort correctly, `v0.0.0-20210101120000-abcdef123456` below
//! `v0.0.0`, and `v1.2.4-0.20210101120000-abcdef123456` between `v1.2.3` and `v1.2.4`,
//! ordered among themselves by their timestamps.
//!
//! Accepted forms, each mapped to a module version before comparing:
//! - With or without the `v`: OSV's Go records write `1.2.3` and `1.22.0-rc.1`.
//! - The standard library's tags, mapped the way pkg.go.dev and OSV map them: `go1` is
//!   `v1.0.0`, `go1.21` is `v1.21.0`, `go1.21.3` is `v1.21.3`, `go1.22rc1` is
//!   `v1.22.0-rc.1`, `go1.9beta2` is `v1.9.0-beta.2`. (So `go1.21 = go1.21.0`; the
//!   `go/version` package instead reads `go1.21` as the language version, just below
//!   `go1.21rc1`. Advisories name releases, so the tag mapping is the one we want.)
//!
//! Decisions: a string that is still not a valid version (leading zeros such as `v01.2.3`,
//! a prerelease on a shorthand, four components, empty identifiers, …) is ordered as
//! `x/mod/semver` orders it: below every valid version, and equal to every other invalid
//! one. Numbers compare at any size.

use std::cmp::Ordering;

use super::semver::compare_prerelease;
use super::util::{absent_first, compare_digits, is_digits, leading_digits};

pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    let a = normalize(a);
    let b = normalize(b);
    absent_first(parse(&a), parse(&b), |a, b| {
        compare_digits(a.major, b.major)
            .then_with(|| compare_digits(a.minor, b.minor))
            .then_with(|| compare_digits(a.patch, b.patch))
            .then_with(|| compare_prerelease(a.prerelease, b.prerelease))
    })
}

/// Maps the accepted forms to a module version (which may still be invalid).
fn normalize(version: &str) -> String {
    if let Some(mapped) = version.strip_prefix("go").and_then(stdlib_tag) {
        return mapped;
    }
    if version.starts_with('v') {
        version.to_owned()
    } else {
        format!("v{version}")
    }
}

/// `1.21.3`, `1.21`, `1`, `1.22rc1`, `1.9beta2` (a standard library tag without its `go`)
/// as a module version.
fn stdlib_tag(tag: &str) -> Option<String> {
    let numbers_len = tag
        .bytes()
        .take_while(|c| c.is_ascii_digit() || *c == b'.')
        .count();
    let (numbers, pre) = tag.split_at(numbers_len);
    let numbers: Vec<&str> = numbers.split('.').collect();
    if numbers.len() > 3 || numbers.iter().any(|n| n.is_empty()) {
        return None;
    }
    let pre = if pre.is_empty() {
        String::new()
    } else {
        let kind = ["beta", "rc"].into_iter().find(|k| pre.starts_with(k))?;
        let n = &pre[kind.len()..];
        if !is_digits(n) {
            return None;
        }
        format!("-{kind}.{n}")
    };
    let number = |i: usize| numbers.get(i).copied().unwrap_or("0");
    Some(format!("v{}.{}.{}{pre}", number(0), number(1), number(2)))
}

/// A valid module version; the numbers are digit runs without leading zeros (`0` is
/// kept as `0`), so comparing by length then text compares them as numbers.
struct Parsed<'a> {
    major: &'a [u8],
    minor: &'a [u8],
    patch: &'a [u8],
    prerelease: Option<&'a str>,
}

/// `x/mod/semver`'s parser: `None` for an invalid version.
fn parse(version: &str) -> Option<Parsed<'_>> {
    let rest = version.strip_prefix('v')?;
    let (major, rest) = number(rest)?;
    let (minor, patch, rest) = match rest.strip_prefix('.') {
        None if rest.is_empty() => ("0", "0", rest),
        None => return None,
        Some(rest) => {
            let (minor, rest) = number(rest)?;
            match rest.strip_prefix('.') {
                None if rest.is_empty() => (minor, "0", rest),
                None => return None,
                Some(rest) => {
                    let (patch, rest) = number(rest)?;
                    (minor, patch, rest)
                }
            }
        }
    };
    let (rest, build) = match rest.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (rest, None),
    };
    let prerelease = match rest.strip_prefix('-') {
        Some(prerelease) => Some(prerelease),
        None if rest.is_empty() => None,
        None => return None,
    };
    let identifiers_ok = |s: &str, numeric_without_zeros: bool| {
        s.split('.').all(|id| {
            !id.is_empty()
                && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                && !(numeric_without_zeros && id.len() > 1 && id.starts_with('0') && is_digits(id))
        })
    };
    if prerelease.is_some_and(|p| !identifiers_ok(p, true))
        || build.is_some_and(|b| !identifiers_ok(b, false))
    {
        return None;
    }
    Some(Parsed {
        major: major.as_bytes(),
        minor: minor.as_bytes(),
        patch: patch.as_bytes(),
        prerelease,
    })
}

/// A leading number without leading zeros, and what follows it.
fn number(s: &str) -> Option<(&str, &str)> {
    let (n, rest) = s.split_at(leading_digits(s.as_bytes()));
    (!n.is_empty() && (n == "0" || !n.starts_with('0'))).then_some((n, rest))
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use super::compare;
    use crate::version::{Scheme, assert_all_equal, assert_ascending, assert_fixture};

    /// The SemVer fixture holds for Go too (osv-scalibr runs it for Go as well).
    #[test]
    fn semver_fixture() {
        assert_fixture(Scheme::Go, "semver-versions.txt");
    }

    #[test]
    fn pseudo_versions() {
        assert_ascending(
            Scheme::Go,
            &[
                "v0.0.0-20190101000000-aaaaaaaaaaaa",
                "v0.0.0-20210101120000-abcdef123456",
                "v0.0.0-20210101120001-000000000000",
                "v0.0.0",
                "v1.2.3",
                "v1.2.4-0.20210101120000-abcdef123456",
                "v1.2.4-0.20220101120000-abcdef123456",
                "v1.2.4-pre",
                "v1.2.4-pre.0.20210101120000-abcdef123456",
                "v1.2.4-pre.1",
                "v1.2.4",
            ],
        );
        assert_all_equal(
            Scheme::Go,
            &[
                "0.0.0-20210101120000-abcdef123456",
                "v0.0.0-20210101120000-abcdef123456",
            ],
        );
    }

    #[test]
    fn incompatible_is_ignored() {
        assert_all_equal(Scheme::Go, &["v2.0.0+incompatible", "v2.0.0"]);
        assert_all_equal(Scheme::Go, &["2.3.1+incompatible", "v2.3.1"]);
        assert_ascending(
            Scheme::Go,
            &["v2.0.0+incompatible", "v2.0.1+incompatible", "v3.0.0"],
        );
    }

    #[test]
    fn standard_library_tags() {
        assert_all_equal(Scheme::Go, &["go1.21.3", "1.21.3"]);
        assert_all_equal(Scheme::Go, &["go1.21.3", "v1.21.3"]);
        assert_all_equal(Scheme::Go, &["go1.21", "1.21.0"]);
        assert_all_equal(Scheme::Go, &["go1", "1.0.0"]);
        assert_all_equal(Scheme::Go, &["1.22.0-rc.1", "go1.22rc1"]);
        assert_all_equal(Scheme::Go, &["go1.9beta2", "1.9.0-beta.2"]);
        assert_ascending(
            Scheme::Go,
            &[
                "go1.9beta2",
                "go1.9rc1",
                "go1.9",
                "go1.9.1",
                "go1.10",
                "go1.21.13",
                "go1.22rc1",
                "go1.22rc2",
                "1.22.0",
                "go1.22.1",
            ],
        );
        assert_eq!(compare("go1.22rc1", "1.22.0"), Ordering::Less);
    }

    #[test]
    fn shorthand_and_invalid() {
        assert_all_equal(Scheme::Go, &["v1", "v1.0.0"]);
        assert_all_equal(Scheme::Go, &["v1.2", "v1.2.0"]);
        // Invalid versions are below every valid one and equal among themselves.
        for invalid in [
            "v01.2.3",
            "v1.2-pre",
            "v1.2.3.4",
            "v1.2.3-01",
            "v1.2.3-a..b",
            "go1.x",
        ] {
            assert_eq!(compare(invalid, "v0.0.0-0"), Ordering::Less, "{invalid}");
            assert_eq!(compare(invalid, "garbage"), Ordering::Equal, "{invalid}");
        }
    }
}
