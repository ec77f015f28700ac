//! NuGet versions, ordered as `NuGet.Versioning`'s `NuGetVersion` with the default
//! `VersionComparer`: SemVer 2.0.0 extended to four numeric parts.
//!
//! A version is `major[.minor[.patch[.revision]]][-label(.label)*][+metadata]`. Missing
//! numeric parts are zero (`1.0 = 1.0.0.0`), leading zeros are ignored (`1.0.01 = 1.0.1`).
//! A version with release labels sorts before the same version without; labels compare one by
//! one: two numeric labels by value, a numeric label before an alphanumeric one, two
//! alphanumeric labels ordinally ignoring ASCII case (`BETA = beta`), and when all shared
//! labels are equal the version with fewer labels is smaller. Build metadata is ignored.
//!
//! Decisions:
//! - Numbers (parts and numeric labels) of any length compare by value. NuGet itself rejects
//!   a part above `i32::MAX`, but such strings exist in advisories and their order is
//!   unambiguous.
//! - Surrounding whitespace is ignored (NuGet trims); a single number is `n.0` (NuGet pads
//!   it too). Labels and metadata are dot-separated non-empty runs of `[0-9A-Za-z-]`.
//! - A string that is not such a version (NuGet rejects it: `v1.0`, `1.0.0.0.0`, `1.0-`) sorts
//!   before every valid version; two such strings compare by their bytes, so the order stays
//!   total and deterministic.

use std::cmp::Ordering;

use super::util::{
    absent_first, absent_last, compare_digits, compare_identifier, is_digits, lexicographic, padded,
};

pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    match (Version::parse(a), Version::parse(b)) {
        (None, None) => a.cmp(b),
        (x, y) => absent_first(x, y, |x, y| x.cmp(&y)),
    }
}

/// A parsed version; metadata is validated and dropped.
struct Version<'a> {
    /// One to four digit strings.
    parts: Vec<&'a str>,
    /// The release labels; `None` for a stable version.
    labels: Option<Vec<&'a str>>,
}

impl<'a> Version<'a> {
    fn parse(text: &'a str) -> Option<Self> {
        let text = text.trim();
        let (rest, metadata) = match text.split_once('+') {
            Some((rest, metadata)) => (rest, Some(metadata)),
            None => (text, None),
        };
        if let Some(metadata) = metadata
            && !valid_identifiers(metadata)
        {
            return None;
        }
        let (numbers, release) = match rest.split_once('-') {
            Some((numbers, release)) => (numbers, Some(release)),
            None => (rest, None),
        };
        let parts: Vec<&str> = numbers.split('.').collect();
        if parts.len() > 4 || !parts.iter().all(is_digits) {
            return None;
        }
        let labels = match release {
            Some(release) if valid_identifiers(release) => Some(release.split('.').collect()),
            Some(_) => return None,
            None => None,
        };
        Some(Version { parts, labels })
    }

    fn cmp(&self, other: &Self) -> Ordering {
        padded(&self.parts, &other.parts, &"0", |x, y| compare_digits(x, y)).then_with(|| {
            absent_last(self.labels.as_deref(), other.labels.as_deref(), |x, y| {
                lexicographic(x, y, |x, y| compare_identifier(x, y, compare_ignoring_case))
            })
        })
    }
}

/// Whether `text` is dot-separated non-empty runs of ASCII letters, digits and `-`.
fn valid_identifiers(text: &str) -> bool {
    text.split('.')
        .all(|id| !id.is_empty() && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))
}

/// Ordinal ignoring case, as .NET's `OrdinalIgnoreCase` (which folds to upper case).
fn compare_ignoring_case(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_uppercase())
        .cmp(b.bytes().map(|c| c.to_ascii_uppercase()))
}

#[cfg(test)]
mod tests {
    use super::compare;
    use crate::version::{Scheme, assert_fixture};
    use std::cmp::Ordering::{Equal, Greater, Less};

    #[test]
    fn fixtures() {
        assert_fixture(Scheme::NuGet, "nuget-versions.txt");
    }

    #[test]
    fn normalisations() {
        assert_eq!(compare("1", "1.0.0.0"), Equal);
        assert_eq!(compare("1.0.01", "1.0.1"), Equal);
        assert_eq!(compare(" 1.2.3 ", "1.2.3"), Equal);
        assert_eq!(compare("1.0.0-RC.1", "1.0.0-rc.1"), Equal);
        assert_eq!(compare("1.0.0+build.5", "1.0.0+other"), Equal);
        assert_eq!(compare("1.0.0-beta.01", "1.0.0-beta.1"), Equal);
    }

    #[test]
    fn release_labels() {
        assert_eq!(compare("1.0.0-alpha", "1.0.0"), Less);
        assert_eq!(compare("1.0.0-alpha", "1.0.0-alpha.1"), Less);
        assert_eq!(compare("1.0.0-alpha.1", "1.0.0-alpha.beta"), Less);
        assert_eq!(compare("1.0.0-beta.2", "1.0.0-beta.11"), Less);
        assert_eq!(compare("1.0.0-rc-1", "1.0.0-rc.1"), Greater);
        assert_eq!(compare("1.0.0.1-alpha", "1.0.0"), Greater);
    }

    #[test]
    fn invalid_versions_sort_first() {
        for bad in [
            "v1.0.0",
            "1.0.0.0.0",
            "1.0-",
            "1.0+",
            "1..0",
            "",
            "1.0-a..b",
        ] {
            assert_eq!(compare(bad, "0.0"), Less, "{bad:?}");
        }
    }
}
