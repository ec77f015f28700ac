//! Dart pub versions, ordered as `pub_semver`'s `Version.compareTo` orders them.
//!
//! Pub versions are SemVer 2 (`MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`) with one
//! difference: build metadata takes part in the order. Major, minor and patch compare as
//! numbers; then a version with a prerelease is below one without; then prereleases
//! compare part by part; then a version *without* build metadata is below one with it,
//! and build metadata compares part by part: `1.0.0-pre < 1.0.0-pre+build < 1.0.0 <
//! 1.0.0+build`.
//!
//! Parts are split on `.`. A part that Dart's `int.tryParse` reads as a 64-bit integer
//! (decimal with an optional sign, or `0x` hexadecimal) is a number, compared as one and
//! below every other part; other parts compare as Dart strings (by UTF-16 code unit). A
//! shorter list of otherwise equal parts comes first.
//!
//! Decisions: strings pub would reject (it throws `FormatException`) are read with the
//! same lenient steps as [`super::semver`] (a leading `v` is tolerated, the core is the
//! leading digits and dots compared padded with zeros, and so on), keeping the build
//! metadata; major, minor and patch compare at any size.

use std::cmp::Ordering;

use super::semver::{Parts, compare_core};
use super::util::{absent_first, absent_last, lexicographic};

pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    let a = Parts::read(a);
    let b = Parts::read(b);
    compare_core(&a.core, &b.core)
        // Without a prerelease is above with one; without build metadata is below with it.
        .then_with(|| absent_last(a.prerelease, b.prerelease, compare_parts))
        .then_with(|| absent_first(a.build, b.build, compare_parts))
}

/// Compares two dot-separated prereleases or builds part by part, a shorter list of otherwise
/// equal parts first.
fn compare_parts(a: &str, b: &str) -> Ordering {
    lexicographic(a.split('.'), b.split('.'), compare_part)
}

/// `pub_semver`'s order of two prerelease or build parts.
fn compare_part(a: &str, b: &str) -> Ordering {
    match (dart_int(a), dart_int(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.encode_utf16().cmp(b.encode_utf16()),
    }
}

/// What Dart's `int.tryParse` makes of a part: an optional sign, then decimal digits or
/// `0x` and hexadecimal digits, within 64 bits.
fn dart_int(part: &str) -> Option<i64> {
    let (negative, digits) = match part.as_bytes().first() {
        Some(b'-') => (true, &part[1..]),
        Some(b'+') => (false, &part[1..]),
        _ => (false, part),
    };
    let (radix, digits) = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => (16, hex),
        None => (10, digits),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(digits, radix).ok()?;
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use super::compare;
    use crate::version::{Scheme, assert_ascending, assert_fixture};

    #[test]
    fn pub_fixture() {
        assert_fixture(Scheme::Pub, "pub-versions.txt");
    }

    #[test]
    fn build_metadata_orders() {
        let ordered = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-beta",
            "1.0.0-beta+1",
            "1.0.0-beta+a",
            "1.0.0",
            "1.0.0+1",
            "1.0.0+2",
            "1.0.0+10",
            "1.0.0+a",
            "1.0.0+a.1",
            "1.0.1",
        ];
        assert_ascending(Scheme::Pub, &ordered);
        // `int.tryParse` reads signs and hexadecimal.
        assert_eq!(compare("1.0.0+0x10", "1.0.0+16"), Ordering::Equal);
        assert_eq!(compare("1.0.0-a.-1", "1.0.0-a.0"), Ordering::Less);
        assert_eq!(compare("1.0.0+01", "1.0.0+1"), Ordering::Equal);
        // Beyond 64 bits a part is a string, above every number.
        assert_eq!(
            compare("1.0.0+99999999999999999999", "1.0.0+9"),
            Ordering::Greater
        );
    }
}
