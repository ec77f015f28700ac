//! Maven versions, ordered as `org.apache.maven.artifact.versioning.ComparableVersion` of
//! maven-artifact 3.8 (the implementation Maven resolves ranges with, and the one the fixtures
//! were generated with).
//!
//! The version is lower-cased and cut into items: a `.` or a `-` ends an item (an empty item is
//! `0`), and so does every change between digits and non-digits. A `-`, and a change between
//! digits and letters, also opens a nested list that holds everything after it, so `1.0-rc-1`
//! is `[1, 0, [rc, [1]]]`. Items are numbers, qualifiers and lists:
//! - a letter `a`, `b` or `m` directly followed by a digit means `alpha`, `beta`, `milestone`;
//!   `ga`, `final` and `release` mean the empty qualifier, and `cr` means `rc`;
//! - known qualifiers order `alpha < beta < milestone < rc < snapshot < "" < sp`, and unknown
//!   ones come after them all, in lexical order;
//! - a number is greater than a qualifier and a list; a list is greater than a qualifier;
//! - a missing item compares like `0`, the empty qualifier or an empty list, so `1 = 1.0 =
//!   1-ga`, `1-alpha < 1 < 1-sp`, and `1 < 1-1`;
//! - after parsing, every list drops its trailing "null" items (`0`, the empty qualifier,
//!   empty lists) from the end back to the last other non-list item (`1.0.0-foo.0.0 =
//!   1-foo`).
//!
//! Decisions:
//! - Numbers of any length compare by value (`ComparableVersion` uses `BigInteger` beyond 18
//!   digits, with the same result).
//! - Only ASCII digits are digits; Java's `Character.isDigit` also accepts other Unicode
//!   digits, which appear in no real Maven version.
//! - Unknown qualifiers compare by Unicode code point, where Java compares UTF-16 code units;
//!   the two differ only between supplementary-plane characters and U+E000..U+FFFF.
//! - The nested lists are kept as a flat chain of levels (each list can only hold one nested
//!   list, as its last item), so neither parsing, comparing nor dropping recurses and a
//!   version of ten thousand `-` cannot exhaust the stack.
//!
//! Every string is a Maven version, so the order is total without a fallback. It is
//! antisymmetric but, like `ComparableVersion`, not transitive on odd inputs: a list compared
//! with a missing item counts only its first item, so `1-0.1 = 1` while `1-0.1 > 1-a > 1`.
//! We keep that rather than order differently from Maven.

use std::cmp::Ordering;

use super::util::compare_digits;

pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    Version::parse(a).cmp(&Version::parse(b))
}

/// An item that is not a list.
#[derive(Debug)]
enum Scalar {
    /// A number as its digits without leading zeros; zero is the empty string.
    Number(String),
    /// A qualifier after the aliases are applied; the release qualifier is the empty string.
    Qualifier(String),
}

impl Scalar {
    fn parse(digits: bool, text: &str) -> Scalar {
        if digits {
            Scalar::Number(text.trim_start_matches('0').to_owned())
        } else {
            Scalar::qualifier(text, false)
        }
    }

    fn qualifier(text: &str, followed_by_digit: bool) -> Scalar {
        let text = match text {
            "a" if followed_by_digit => "alpha",
            "b" if followed_by_digit => "beta",
            "m" if followed_by_digit => "milestone",
            "ga" | "final" | "release" => "",
            "cr" => "rc",
            other => other,
        };
        Scalar::Qualifier(text.to_owned())
    }

    /// `0` and the empty qualifier, which normalisation drops from the end of a list.
    fn is_null(&self) -> bool {
        match self {
            Scalar::Number(digits) => digits.is_empty(),
            Scalar::Qualifier(text) => text.is_empty(),
        }
    }

    /// How this item compares with a missing one.
    fn cmp_missing(&self) -> Ordering {
        match self {
            Scalar::Number(digits) if digits.is_empty() => Ordering::Equal,
            Scalar::Number(_) => Ordering::Greater,
            Scalar::Qualifier(text) => rank(text).cmp(&Rank::Known(RELEASE)),
        }
    }

    fn cmp(&self, other: &Scalar) -> Ordering {
        match (self, other) {
            (Scalar::Number(a), Scalar::Number(b)) => compare_digits(a, b),
            (Scalar::Number(_), Scalar::Qualifier(_)) => Ordering::Greater,
            (Scalar::Qualifier(_), Scalar::Number(_)) => Ordering::Less,
            (Scalar::Qualifier(a), Scalar::Qualifier(b)) => rank(a).cmp(&rank(b)),
        }
    }

    /// How this item compares with a list: numbers are greater, qualifiers smaller.
    fn cmp_list(&self) -> Ordering {
        match self {
            Scalar::Number(_) => Ordering::Greater,
            Scalar::Qualifier(_) => Ordering::Less,
        }
    }
}

/// The index of the release (empty) qualifier among the known ones.
const RELEASE: u8 = 5;

/// A qualifier's place: the known ones in their order, then the unknown ones lexically.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Rank<'a> {
    Known(u8),
    Unknown(&'a str),
}

fn rank(qualifier: &str) -> Rank<'_> {
    match qualifier {
        "alpha" => Rank::Known(0),
        "beta" => Rank::Known(1),
        "milestone" => Rank::Known(2),
        "rc" => Rank::Known(3),
        "snapshot" => Rank::Known(4),
        "" => Rank::Known(RELEASE),
        "sp" => Rank::Known(6),
        other => Rank::Unknown(other),
    }
}

/// One item of a list, as seen while comparing.
enum Item<'a> {
    Scalar(&'a Scalar),
    /// The nested list at this level of the chain.
    List(usize),
}

/// A parsed version: `levels[0]` is the top list's non-list items, and `levels[k + 1]` is the
/// list that is the last item of `levels[k]`.
#[derive(Debug)]
struct Version {
    levels: Vec<Vec<Scalar>>,
}

impl Version {
    fn parse(version: &str) -> Version {
        let version = version.to_lowercase();
        let mut levels: Vec<Vec<Scalar>> = vec![Vec::new()];
        let mut digits = false;
        let mut start = 0;
        for (i, c) in version.char_indices() {
            if c == '.' || c == '-' {
                let item = if i == start {
                    Scalar::Number(String::new())
                } else {
                    Scalar::parse(digits, &version[start..i])
                };
                push(&mut levels, item);
                start = i + 1;
                if c == '-' {
                    levels.push(Vec::new());
                }
            } else if c.is_ascii_digit() {
                if !digits && i > start {
                    push(&mut levels, Scalar::qualifier(&version[start..i], true));
                    start = i;
                    levels.push(Vec::new());
                }
                digits = true;
            } else {
                if digits && i > start {
                    push(&mut levels, Scalar::parse(true, &version[start..i]));
                    start = i;
                    levels.push(Vec::new());
                }
                digits = false;
            }
        }
        if version.len() > start {
            push(&mut levels, Scalar::parse(digits, &version[start..]));
        }

        // Normalise from the innermost list out, as `ComparableVersion` does: drop trailing
        // null items (a nested list left empty is one of them).
        for k in (0..levels.len()).rev() {
            let has_nested = k + 1 < levels.len();
            let items = &mut levels[k];
            while items.last().is_some_and(Scalar::is_null) {
                items.pop();
            }
            if items.is_empty() && !has_nested && k > 0 {
                levels.truncate(k);
            }
        }
        Version { levels }
    }

    /// The item at `index` of the list at `level`.
    fn item(&self, level: usize, index: usize) -> Option<Item<'_>> {
        let items = &self.levels[level];
        match items.get(index) {
            Some(scalar) => Some(Item::Scalar(scalar)),
            None if index == items.len() && level + 1 < self.levels.len() => {
                Some(Item::List(level + 1))
            }
            None => None,
        }
    }

    /// How the list at `level` compares with a missing item: like its first item.
    fn cmp_missing(&self, mut level: usize) -> Ordering {
        loop {
            match self.item(level, 0) {
                Some(Item::Scalar(first)) => return first.cmp_missing(),
                Some(Item::List(nested)) => level = nested,
                None => return Ordering::Equal,
            }
        }
    }

    fn cmp_item_missing(&self, item: &Item<'_>) -> Ordering {
        match item {
            Item::Scalar(scalar) => scalar.cmp_missing(),
            Item::List(level) => self.cmp_missing(*level),
        }
    }

    fn cmp(&self, other: &Version) -> Ordering {
        let (mut left, mut right) = (0, 0);
        'lists: loop {
            for index in 0.. {
                let result = match (self.item(left, index), other.item(right, index)) {
                    (None, None) => return Ordering::Equal,
                    (Some(Item::List(l)), Some(Item::List(r))) => {
                        // A nested list is the last item of both lists, so the lists compare
                        // as the nested ones do.
                        left = l;
                        right = r;
                        continue 'lists;
                    }
                    (Some(Item::Scalar(l)), Some(Item::Scalar(r))) => l.cmp(r),
                    (Some(Item::Scalar(l)), Some(Item::List(_))) => l.cmp_list(),
                    (Some(Item::List(_)), Some(Item::Scalar(r))) => r.cmp_list().reverse(),
                    (Some(l), None) => self.cmp_item_missing(&l),
                    (None, Some(r)) => other.cmp_item_missing(&r).reverse(),
                };
                if result.is_ne() {
                    return result;
                }
            }
        }
    }
}

/// Adds an item to the innermost list.
fn push(levels: &mut [Vec<Scalar>], item: Scalar) {
    if let Some(innermost) = levels.last_mut() {
        innermost.push(item);
    }
}

#[cfg(test)]
mod tests {
    use super::compare;
    use crate::version::{Scheme, assert_ascending, assert_fixture, assert_fixture_except};
    use std::cmp::Ordering::{Equal, Greater, Less};

    #[test]
    fn fixtures() {
        assert_fixture_except(
            Scheme::Maven,
            "maven-versions.txt",
            &[(
                100,
                "`1-1 = 1-ga-1` is the POM reference's prose example, but ComparableVersion \
                 (3.8.6, and every release since) parses `1-ga-1` to [1, [[1]]] — `ga` is \
                 dropped as a null item, leaving a nested list — and orders it below `1-1` = \
                 [1, [1]], because a list sorts below a number; see `ga_before_a_number`",
            )],
        );
        assert_fixture(Scheme::Maven, "maven-versions-generated.txt");
    }

    #[test]
    fn ga_before_a_number() {
        // What ComparableVersion does, where the POM reference's prose says `=`.
        assert_eq!(compare("1-ga-1", "1-1"), Less);
        assert_eq!(compare("1-sp-1", "1-ga-1"), Less);
        assert_eq!(compare("1-ga-1", "1-final-1"), Equal);
    }

    #[test]
    fn qualifier_order() {
        let ordered = [
            "1-alpha-1",
            "1-beta-1",
            "1-milestone-1",
            "1-rc-1",
            "1-snapshot",
            "1",
            "1-sp",
            "1-abc",
            "1-xyz",
            "1-1",
            "1.0.1",
        ];
        assert_ascending(Scheme::Maven, &ordered);
    }

    #[test]
    fn aliases_and_normalisation() {
        assert_eq!(compare("1.0-cr1", "1.0-RC-1"), Equal);
        assert_eq!(compare("1.0.RELEASE", "1"), Equal);
        assert_eq!(compare("1-final", "1.0.0-ga"), Equal);
        assert_eq!(compare("1a1", "1-alpha-1"), Equal);
        assert_eq!(
            compare("1a", "1-alpha"),
            Greater,
            "a without a digit is unknown"
        );
        assert_eq!(compare("1.0.0-foo.0.0", "1-foo"), Equal);
        assert_eq!(compare("1..1", "1.0.1"), Equal);
        assert_eq!(compare("1.2.0--3", "1.2-0-3"), Equal);
        assert_eq!(compare("001.002", "1.2"), Equal);
    }

    #[test]
    fn deep_nesting_does_not_exhaust_the_stack() {
        // Every `-` opens a nested list; the levels are a flat chain, so neither parsing nor
        // comparing recurses.
        let deep = "-".repeat(20_000);
        let deep_items = "1-a".repeat(5_000);
        assert_eq!(compare(&deep, ""), Equal);
        assert_eq!(compare(&deep_items, &deep_items), Equal);
        assert_eq!(compare(&deep_items, &deep), Greater);
    }

    /// Documented, so the all-scheme consistency tests in `version` skip transitivity for
    /// Maven.
    #[test]
    fn not_transitive() {
        // `ComparableVersion` compares a list with a missing item by the list's first item only,
        // so `1-0.1` = `1`, although `1-0.1` > `1-a` > `1`. Kept, to order as Maven does.
        assert_eq!(compare("1-0.1", "1"), Equal);
        assert_eq!(compare("1-a", "1"), Greater);
        assert_eq!(compare("1-0.1", "1-a"), Greater);
    }
}
