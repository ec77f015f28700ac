//! Pieces of version orderings that several schemes share: runs of digits compared by value at
//! any length, sequences compared element by element (lexicographically or padded with a
//! zero), optional parts that sort before or after their absence, and SemVer-style
//! identifiers.

use std::cmp::Ordering;

/// Whether `s` is a non-empty run of ASCII digits.
pub(super) fn is_digits(s: impl AsRef<[u8]>) -> bool {
    let s = s.as_ref();
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

/// How many ASCII digits `s` starts with.
pub(super) fn leading_digits(s: &[u8]) -> usize {
    s.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// `digits` without its leading zeros (empty for zero).
pub(super) fn strip_zeros(digits: &[u8]) -> &[u8] {
    &digits[digits.iter().take_while(|&&c| c == b'0').count()..]
}

/// Orders two runs of ASCII digits by value, whatever their length: leading zeros do not
/// count, a longer run is a larger number, and runs of one length compare digit by digit.
pub(super) fn compare_digits(a: impl AsRef<[u8]>, b: impl AsRef<[u8]>) -> Ordering {
    let a = strip_zeros(a.as_ref());
    let b = strip_zeros(b.as_ref());
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Orders two versions that are lists of non-negative integers separated by any of
/// `separators`, ignoring surrounding whitespace (CRAN, Hackage): element by element by value,
/// a proper prefix first. A string that is not such a list sorts before every one that is, and
/// two such strings compare by their bytes.
pub(super) fn compare_integer_lists(a: &str, b: &str, separators: &[char]) -> Ordering {
    fn parse<'a>(version: &'a str, separators: &[char]) -> Option<Vec<&'a str>> {
        let parts: Vec<&str> = version.trim().split(separators).collect();
        parts.iter().all(is_digits).then_some(parts)
    }
    match (parse(a, separators), parse(b, separators)) {
        (None, None) => a.cmp(b),
        (x, y) => absent_first(x, y, |x, y| lexicographic(x, y, compare_digits)),
    }
}

/// Orders two sequences element by element with `cmp`; when one is a prefix of the other, the
/// shorter comes first.
pub(super) fn lexicographic<T>(
    a: impl IntoIterator<Item = T>,
    b: impl IntoIterator<Item = T>,
    mut cmp: impl FnMut(T, T) -> Ordering,
) -> Ordering {
    let (mut a, mut b) = (a.into_iter(), b.into_iter());
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) => match cmp(x, y) {
                Ordering::Equal => {}
                other => return other,
            },
            (x, y) => return x.is_some().cmp(&y.is_some()),
        }
    }
}

/// Orders two sequences element by element with `cmp`, the shorter one padded with `zero`.
pub(super) fn padded<T>(
    a: &[T],
    b: &[T],
    zero: &T,
    mut cmp: impl FnMut(&T, &T) -> Ordering,
) -> Ordering {
    (0..a.len().max(b.len()))
        .map(|i| cmp(a.get(i).unwrap_or(zero), b.get(i).unwrap_or(zero)))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// Orders two optional parts: both present by `cmp`, an absent one before a present one
/// (no build metadata before some, an unparsable string before a version).
pub(super) fn absent_first<T>(
    a: Option<T>,
    b: Option<T>,
    cmp: impl FnOnce(T, T) -> Ordering,
) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => cmp(x, y),
        (x, y) => x.is_some().cmp(&y.is_some()),
    }
}

/// Orders two optional parts: both present by `cmp`, an absent one after a present one (a
/// release after its prereleases).
pub(super) fn absent_last<T>(
    a: Option<T>,
    b: Option<T>,
    cmp: impl FnOnce(T, T) -> Ordering,
) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => cmp(x, y),
        (x, y) => x.is_none().cmp(&y.is_none()),
    }
}

/// SemVer's order of two prerelease identifiers, which NuGet's release labels share: numeric
/// identifiers (all ASCII digits) by value and before the others, which compare by `text`.
pub(super) fn compare_identifier(
    a: &str,
    b: &str,
    text: impl FnOnce(&str, &str) -> Ordering,
) -> Ordering {
    match (is_digits(a), is_digits(b)) {
        (true, true) => compare_digits(a, b),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => text(a, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering::{Equal, Greater, Less};

    #[test]
    fn digits_compare_by_value_at_any_length() {
        assert_eq!(compare_digits("10", "9"), Greater);
        assert_eq!(compare_digits("007", "7"), Equal);
        assert_eq!(compare_digits("", "0000"), Equal);
        assert_eq!(
            compare_digits("99999999999999999999999", "100000000000000000000000"),
            Less
        );
        assert_eq!(strip_zeros(b"000"), b"");
        assert_eq!(leading_digits(b"12a3"), 2);
        assert!(is_digits("0123") && !is_digits("") && !is_digits("1a"));
    }

    #[test]
    fn sequences() {
        assert_eq!(lexicographic([1, 2], [1, 2, 0], |x, y| x.cmp(&y)), Less);
        assert_eq!(lexicographic([1, 3], [1, 2, 0], |x, y| x.cmp(&y)), Greater);
        assert_eq!(padded(&[1, 2], &[1, 2, 0], &0, Ord::cmp), Equal);
        assert_eq!(padded(&[1, 2], &[1, 2, 1], &0, Ord::cmp), Less);
        assert_eq!(absent_first(None, Some(1), |x, y| x.cmp(&y)), Less);
        assert_eq!(absent_last(None, Some(1), |x, y| x.cmp(&y)), Greater);
        assert_eq!(absent_last::<u8>(None, None, |x, y| x.cmp(&y)), Equal);
        assert_eq!(compare_identifier("11", "2", str::cmp), Greater);
        assert_eq!(compare_identifier("11", "a", str::cmp), Less);
    }
}
