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

use super::util::compare_integer_lists;

pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    compare_integer_lists(a, b, &['.'])
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
}
