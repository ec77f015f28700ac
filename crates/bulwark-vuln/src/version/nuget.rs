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

pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    match (Version::parse(a), Version::parse(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => a.cmp(b),
    }
}

/// A parsed version; metadata is validated and dropped.
struct Version<'a> {
    /// One to four digit strings.
    parts: Vec<&'a str>,
    /// The release labels, empty for a stable version.
    labels: Vec<&'a str>,
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
        if parts.len() > 4
            || !parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
        {
            return None;
        }
        let labels = match release {
            Some(release) if valid_identifiers(release) => release.split('.').collect(),
            Some(_) => return None,
            None => Vec::new(),
        };
        Some(Version { parts, labels })
    }

    fn cmp(&self, other: &Self) -> Ordering {
        (0..4)
            .map(|i| {
                compare_digits(
                    self.parts.get(i).copied().unwrap_or("0"),
                    other.parts.get(i).copied().unwrap_or("0"),
                )
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
            .then_with(|| match (self.labels.is_empty(), other.labels.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_labels(&self.labels, &other.labels),
            })
    }
}

/// Whether `text` is dot-separated non-empty runs of ASCII letters, digits and `-`.
fn valid_identifiers(text: &str) -> bool {
    text.split('.')
        .all(|id| !id.is_empty() && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))
}

fn compare_labels(a: &[&str], b: &[&str]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| compare_label(x, y))
        .find(|o| o.is_ne())
        .unwrap_or_else(|| a.len().cmp(&b.len()))
}

fn compare_label(a: &str, b: &str) -> Ordering {
    let numeric = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    match (numeric(a), numeric(b)) {
        (true, true) => compare_digits(a, b),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        // Ordinal ignoring case, as .NET's `OrdinalIgnoreCase` (which folds to upper case).
        (false, false) => a
            .bytes()
            .map(|c| c.to_ascii_uppercase())
            .cmp(b.bytes().map(|c| c.to_ascii_uppercase())),
    }
}

/// Orders two ASCII digit strings by value, whatever their length.
fn compare_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
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

    #[test]
    fn total_on_garbage() {
        let odd = [
            "",
            "~",
            "-",
            "+",
            "..",
            "v",
            "1..2",
            "1.0-",
            "1.0-+",
            "1.0.0-ünï",
            "ünï.cødé",
            "99999999999999999999999",
            "99999999999999999999999.0-1",
            "1.0.0-99999999999999999999999",
            "1.0.0-a",
            "1.2",
        ];
        for a in odd {
            assert_eq!(compare(a, a), Equal, "{a:?}");
            for b in odd {
                assert_eq!(compare(a, b), compare(b, a).reverse(), "{a:?} vs {b:?}");
            }
        }
    }

    /// Generated versions, dense in the tokens the scheme gives meaning to.
    const GEN: &str = "([0-9]{1,2}|[.+-]|a|B|rc|x){0,8}";

    /// Antisymmetry, and transitivity of `<` and `=`, among three versions.
    fn assert_consistent(versions: [&str; 3]) {
        for a in versions {
            for b in versions {
                let ab = compare(a, b);
                assert_eq!(ab, compare(b, a).reverse(), "{a:?} vs {b:?}");
                for c in versions {
                    let (bc, ac) = (compare(b, c), compare(a, c));
                    if ab == bc || bc == Equal {
                        assert_eq!(ac, ab, "{a:?} {ab:?} {b:?} {bc:?} {c:?}");
                    } else if ab == Equal {
                        assert_eq!(ac, bc, "{a:?} {ab:?} {b:?} {bc:?} {c:?}");
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn consistent_on_generated_strings(a in GEN, b in GEN, c in GEN) {
            assert_consistent([&a, &b, &c]);
        }
    }
}
