//! RubyGems versions, ordered as `Gem::Version#<=>` orders them.
//!
//! RubyGems strips surrounding whitespace, reads `-` as `.pre.` (`1.0-rc1` is
//! `1.0.pre.rc1`), and splits the version into segments: runs of ASCII digits (numbers)
//! and runs of ASCII letters (strings); every other character only separates. A version
//! with a letter is a prerelease. For comparison it uses the canonical segments: the
//! numeric segments before the first string segment, and the segments from that string
//! on, each group with its trailing zeros dropped (`1.0.0 = 1`, `1.0.a = 1.a`). Segments
//! then compare pairwise, a missing segment counting as `0`: numbers as numbers, strings
//! in byte order, and a string below any number (`1.a < 1 < 1.0.1`).
//!
//! Decisions, for strings `Gem::Version.new` rejects as malformed (it raises
//! `ArgumentError`): they are read the same way, segment by segment, whatever else they
//! hold, so `v1.2` has the segments `v, 1, 2` and sorts as a prerelease of `0`. An empty
//! (or all-space) version is `0`, as in RubyGems. Numbers compare at any size, as Ruby's
//! integers do.

use std::cmp::Ordering;

use super::util::{compare_digits, leading_digits, padded, strip_zeros};

pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    let a = canonical_segments(a);
    let b = canonical_segments(b);
    padded(&a, &b, &Segment::Number(b""), Ord::cmp)
}

/// One segment of a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment<'a> {
    /// Letters.
    Text(&'a [u8]),
    /// Digits without their leading zeros (empty for zero).
    Number(&'a [u8]),
}

impl Ord for Segment<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Segment::Number(a), Segment::Number(b)) => compare_digits(a, b),
            (Segment::Text(a), Segment::Text(b)) => a.cmp(b),
            (Segment::Text(_), Segment::Number(_)) => Ordering::Less,
            (Segment::Number(_), Segment::Text(_)) => Ordering::Greater,
        }
    }
}

impl PartialOrd for Segment<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Segment<'_> {
    fn is_zero(self) -> bool {
        self == Segment::Number(b"")
    }
}

/// `Gem::Version#canonical_segments`.
fn canonical_segments(version: &str) -> Vec<Segment<'_>> {
    // Replacing `-` with `.pre.` only adds the string segment `pre` where each `-` was.
    let mut segments = Vec::new();
    let mut rest = version.trim_ascii().as_bytes();
    while let Some(&c) = rest.first() {
        let len = if c.is_ascii_digit() {
            leading_digits(rest)
        } else if c.is_ascii_alphabetic() {
            rest.iter().take_while(|c| c.is_ascii_alphabetic()).count()
        } else {
            if c == b'-' {
                segments.push(Segment::Text(b"pre"));
            }
            1
        };
        let (run, tail) = rest.split_at(len);
        if c.is_ascii_digit() {
            segments.push(Segment::Number(strip_zeros(run)));
        } else if c.is_ascii_alphabetic() {
            segments.push(Segment::Text(run));
        }
        rest = tail;
    }
    // Drop trailing zeros from the numeric part and from the part from the first string.
    let string_start = segments
        .iter()
        .position(|s| matches!(s, Segment::Text(_)))
        .unwrap_or(segments.len());
    let mut strings = segments.split_off(string_start);
    let mut numbers = segments;
    for group in [&mut numbers, &mut strings] {
        while group.last().is_some_and(|s| s.is_zero()) {
            group.pop();
        }
    }
    numbers.append(&mut strings);
    numbers
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use super::compare;
    use crate::version::{Scheme, assert_ascending, assert_fixture};

    #[test]
    fn rubygems_fixture() {
        assert_fixture(Scheme::RubyGems, "rubygems-versions.txt");
    }

    #[test]
    fn rubygems_generated_fixture() {
        assert_fixture(Scheme::RubyGems, "rubygems-versions-generated.txt");
    }

    #[test]
    fn prereleases_and_canonical_segments() {
        let ordered = [
            "1.0.a", "1.0.a.1", "1.0.b", "1.0.beta", "1.0-rc1", "1.0.pre", "1.0.rc2", "1.0",
            "1.0.0.1", "1.1", "1.10", "2",
        ];
        assert_ascending(Scheme::RubyGems, &ordered);
        assert_eq!(compare("1.0.0", "1"), Ordering::Equal);
        assert_eq!(compare("1.0.a", "1.a"), Ordering::Equal);
        assert_eq!(compare("1.a.0", "1.a"), Ordering::Equal);
        // `-` reads as `.pre.`, so `1.0-rc1` is below `1.0.pre`.
        assert_eq!(compare("1.0-rc1", "1.0.pre.rc1"), Ordering::Equal);
        assert_eq!(compare("", "0"), Ordering::Equal);
        assert_eq!(compare(" 1.2 ", "1.2"), Ordering::Equal);
        assert_eq!(compare("1.01", "1.1"), Ordering::Equal);
    }
}
