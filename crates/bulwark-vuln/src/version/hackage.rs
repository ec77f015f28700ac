//! Hackage (Haskell) versions, ordered by the Package Versioning Policy: a version is a
//! non-empty list of non-negative integers separated by `.`, and lists compare
//! lexicographically as Haskell's `Ord [Int]` does (Cabal's `Version`).
//!
//! So `1.0 < 1.0.0` (a proper prefix is smaller; there is no trailing-zero equality) and
//! `0.11.3.0 < 1.0`.
//!
//! Decisions:
//! - Integers of any length compare by value (no overflow), and leading zeros are ignored,
//!   although Cabal's parser rejects them and limits a part to nine digits: being lenient
//!   costs nothing and keeps odd inventory strings in their natural place. Surrounding
//!   whitespace is ignored.
//! - A string that is not such a list (including the long-deprecated tagged form `1.0-tag`)
//!   sorts before every valid version; two such strings compare by their bytes, so the order
//!   stays total and deterministic.

use std::cmp::Ordering;

pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x
            .iter()
            .zip(&y)
            .map(|(p, q)| compare_digits(p, q))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| x.len().cmp(&y.len())),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => a.cmp(b),
    }
}

/// The integer parts of a valid version, as digit strings; `None` for anything else.
fn parse(version: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = version.trim().split('.').collect();
    parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
        .then_some(parts)
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
        assert_fixture(Scheme::Hackage, "hackage-versions.txt");
    }

    #[test]
    fn lexicographic_lists() {
        assert_eq!(compare("1.0", "1.0.0"), Less);
        assert_eq!(compare("1.10", "1.9"), Greater);
        assert_eq!(compare("2", "1.99.99"), Greater);
        assert_eq!(compare("1.02", "1.2"), Equal);
    }

    #[test]
    fn invalid_versions_sort_first() {
        assert_eq!(compare("1.0-tag", "0"), Less);
        assert_eq!(compare("1-0", "0"), Less);
        assert_eq!(compare("", "0"), Less);
        assert_eq!(compare("1.0-a", "1.0-b"), Less);
    }

    #[test]
    fn total_on_garbage() {
        let odd = [
            "",
            "~",
            "-",
            "..",
            "v",
            "1..2",
            "1.",
            ".1",
            "ünï.cødé",
            "99999999999999999999999",
            "99999999999999999999999.0",
            "1.2",
        ];
        for a in odd {
            assert_eq!(compare(a, a), Equal, "{a:?}");
            for b in odd {
                assert_eq!(compare(a, b), compare(b, a).reverse(), "{a:?} vs {b:?}");
            }
        }
        assert_eq!(
            compare("99999999999999999999999", "100000000000000000000000"),
            Less
        );
    }

    /// Generated versions, dense in the tokens the scheme gives meaning to.
    const GEN: &str = "([0-9]{1,2}|[.-]|x| ){0,6}";

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
