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

use super::util::compare_integer_lists;

pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    compare_integer_lists(a, b, &['.', '-'])
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
        assert_eq!(compare("000000000000000000000001.2", "1.2"), Equal);
    }

    #[test]
    fn invalid_versions_sort_first() {
        assert_eq!(compare("1.0a", "0.0"), Less);
        assert_eq!(compare("", "0"), Less);
        assert_eq!(compare("1..2", "1.2"), Less);
        assert_eq!(compare("1.0a", "1.0b"), Less);
        assert_eq!(compare("1.0a", "1.0a"), Equal);
    }
}
