//! CRAN (R) package versions, ordered as R's `package_version` / `numeric_version` orders them.
//!
//! A version is a sequence of non-negative integers separated by `.` or `-` (`1.0-3`,
//! `0.9.12`); the two separators mean the same. Sequences are compared element by element as
//! integers, and when one is a prefix of the other the longer one is greater, so `0.1.0 <
//! 0.1.0.0` and `0.9 < 0.75` (there is no trailing-zero equality and no decimal reading).
//!
//! Decisions:
//! - Integers of any length compare by value (no overflow), and leading zeros are ignored
//!   (`0.01.0 = 0.1-0`), as R's integer conversion ignores them.
//! - A single integer (`3`) is accepted, as `numeric_version` accepts it, although
//!   `package_version` itself wants two parts. Surrounding whitespace is ignored.
//! - A string that is not such a sequence (R rejects it) sorts before every valid version;
//!   two such strings compare by their bytes, so the order stays total and deterministic.

use std::cmp::Ordering;

pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => compare_parts(&x, &y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => a.cmp(b),
    }
}

/// The integer parts of a valid version, as digit strings; `None` for anything else.
fn parse(version: &str) -> Option<Vec<&str>> {
    let version = version.trim();
    let parts: Vec<&str> = version.split(['.', '-']).collect();
    parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
        .then_some(parts)
}

/// Element-wise integer order; a proper prefix is smaller.
fn compare_parts(a: &[&str], b: &[&str]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| compare_digits(x, y))
        .find(|o| o.is_ne())
        .unwrap_or_else(|| a.len().cmp(&b.len()))
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
        assert_fixture(Scheme::Cran, "cran-versions.txt");
        assert_fixture(Scheme::Cran, "cran-versions-generated.txt");
    }

    #[test]
    fn separators_and_zeros() {
        assert_eq!(compare("1.0-3", "1.0.3"), Equal);
        assert_eq!(compare("1.01", "1.1"), Equal);
        assert_eq!(compare("0.9", "0.75"), Less);
        assert_eq!(compare("0.1.0.0", "0.1.0"), Greater);
        assert_eq!(compare(" 1.2 ", "1.2"), Equal);
        assert_eq!(compare("3", "2.9"), Greater);
    }

    #[test]
    fn invalid_versions_sort_first() {
        assert_eq!(compare("1.0a", "0.0"), Less);
        assert_eq!(compare("", "0"), Less);
        assert_eq!(compare("1..2", "1.2"), Less);
        assert_eq!(compare("1.0a", "1.0b"), Less);
        assert_eq!(compare("1.0a", "1.0a"), Equal);
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
            "1-",
            "-1",
            "1.0-0",
            "ünï.cødé",
            "99999999999999999999999",
            "99999999999999999999999.1",
            "000000000000000000000001.2",
            "1.2",
        ];
        for a in odd {
            assert_eq!(compare(a, a), Equal, "{a:?}");
            for b in odd {
                assert_eq!(compare(a, b), compare(b, a).reverse(), "{a:?} vs {b:?}");
            }
        }
        assert_eq!(
            compare("99999999999999999999999", "99999999999999999999998"),
            Greater
        );
        assert_eq!(compare("000000000000000000000001.2", "1.2"), Equal);
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
