//! Packagist (Composer) versions, ordered as Composer orders them: a light normalisation, then
//! PHP's `version_compare`.
//!
//! Normalisation, as Composer's `VersionParser` does it: surrounding whitespace and one
//! leading `v` or `V` are removed, and a version starting `dev-` is a branch name, not a
//! number (see below). Then `version_compare` as php-src's `versioning.c` implements it:
//! - Canonicalisation: `-`, `_`, `+` and every other byte that is not an ASCII letter or digit
//!   become `.` (runs collapse, a trailing one is dropped), and a `.` is inserted wherever a
//!   digit meets a non-digit, so `1.0rc1`, `1.0-RC-1` and `1.0.RC.1` are all `1.0.RC.1` (the
//!   first byte is kept as it is). The parts between the dots are compared in turn.
//! - Two numeric parts compare as integers. Other parts are "special forms", ranked by prefix:
//!   anything else < `dev` < `alpha` = `a` < `beta` = `b` < `RC` = `rc` < `#` < `pl` = `p`;
//!   a number ranks as `#`. So `1.0-dev < 1.0a1 < 1.0b1 < 1.0RC1 < 1.0 < 1.0pl1`. Prefix
//!   matching is PHP's: `patch` ranks as `p`, `bugfix` as `b`, and `Alpha`, whose case does
//!   not match, as an unknown word.
//! - When one version has parts left after the other ends: a numeric part makes it greater
//!   (`1.0.0 > 1.0`: there is no trailing-zero equality); otherwise the rest is compared with
//!   a lone `#`, so `1.0-beta < 1.0 < 1.0-p1`.
//!
//! Decisions:
//! - Numbers of any length compare by value (PHP's `strtol` saturates, making all numbers past
//!   `i64::MAX` equal; the fixtures want them ordered).
//! - `#` stays part of a version rather than becoming a `.`, and ranks as a number. This is how
//!   PHP compares its own `#` marker and what the fixtures require (`1.2.3.# = 1.2.3 =
//!   1.2.3.#`, `1.2.3.#.beta < 1.2.3`). A `#` equals every number, so orders involving `#`
//!   are not transitive (`1.2.3.# = 1.2.3.1` and `= 1.2.3`) — exactly as in PHP.
//! - An empty version sorts before every other one, as PHP's `version_compare` has it.
//! - Branches (`dev-main`): Composer never orders a branch against a version, and treats two
//!   branches as equal only when they are the same string. So a branch sorts before every
//!   version, and two branches compare by their bytes (equal only when identical). Other
//!   Composer branch spellings (`1.0.x-dev`, `master`) are not rewritten; advisories name
//!   tags.
//!
//! Every string has a place in this order, so it is total without a fallback; it is
//! antisymmetric by construction.

use std::cmp::Ordering;

use super::util::compare_digits;

pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    let (a, b) = (normalise(a), normalise(b));
    match (a.starts_with("dev-"), b.starts_with("dev-")) {
        (true, true) => return a.cmp(b),
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        (false, false) => {}
    }
    match (a.is_empty(), b.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => {
            let (a, b) = (canonicalise(a.as_bytes()), canonicalise(b.as_bytes()));
            compare_parts(&parts(&a), &parts(&b))
        }
    }
}

/// Composer's normalisation: whitespace and one leading `v`/`V` removed.
fn normalise(version: &str) -> &str {
    let version = version.trim();
    version
        .strip_prefix(['v', 'V'])
        .filter(|rest| !rest.starts_with("dev-"))
        .unwrap_or(version)
}

/// Letters, digits and `#` are kept; everything else separates parts.
fn is_kept(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'#'
}

/// PHP's `php_canonicalize_version`, keeping `#`.
fn canonicalise(version: &[u8]) -> Vec<u8> {
    let Some((&first, rest)) = version.split_first() else {
        return Vec::new();
    };
    let not_digit = |b: u8| !b.is_ascii_digit() && b != b'.';
    let mut out = Vec::with_capacity(version.len() * 2);
    out.push(first);
    let mut previous = first;
    for &byte in rest {
        let after_dot = out.last() == Some(&b'.');
        if matches!(byte, b'-' | b'_' | b'+') || !is_kept(byte) {
            if !after_dot {
                out.push(b'.');
            }
        } else if (not_digit(previous) && byte.is_ascii_digit())
            || (previous.is_ascii_digit() && not_digit(byte))
        {
            if !after_dot {
                out.push(b'.');
            }
            out.push(byte);
        } else {
            out.push(byte);
        }
        previous = byte;
    }
    if out.len() > 1 && out.last() == Some(&b'.') {
        out.pop();
    }
    out
}

fn parts(canonical: &[u8]) -> Vec<&[u8]> {
    canonical.split(|&b| b == b'.').collect()
}

/// PHP's part-by-part loop, with the rule for a longer version.
fn compare_parts(a: &[&[u8]], b: &[&[u8]]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let result = compare_part(x, y);
        if result.is_ne() {
            return result;
        }
    }
    let common = a.len().min(b.len());
    match (a.get(common), b.get(common)) {
        (Some(_), Some(_)) | (None, None) => Ordering::Equal,
        (Some(_), None) => compare_rest(&a[common..]),
        (None, Some(_)) => compare_rest(&b[common..]).reverse(),
    }
}

/// How the parts a version has beyond the other's end compare with that end: a number wins,
/// otherwise the parts compare with a lone `#`, again and again while they equal it.
fn compare_rest(mut rest: &[&[u8]]) -> Ordering {
    while let Some((first, after)) = rest.split_first() {
        if is_numeric(first) {
            return Ordering::Greater;
        }
        let result = rank(first).cmp(&NUMBER_RANK);
        if result.is_ne() || after.is_empty() {
            return result;
        }
        rest = after;
    }
    Ordering::Equal
}

fn is_numeric(part: &[u8]) -> bool {
    part.first().is_some_and(u8::is_ascii_digit)
}

fn compare_part(a: &[u8], b: &[u8]) -> Ordering {
    match (is_numeric(a), is_numeric(b)) {
        (true, true) => compare_digits(a, b),
        (false, false) => rank(a).cmp(&rank(b)),
        (true, false) => NUMBER_RANK.cmp(&rank(b)),
        (false, true) => rank(a).cmp(&NUMBER_RANK),
    }
}

/// The rank of `#`, which a number takes against a special form.
const NUMBER_RANK: i8 = 4;

/// PHP's special forms, matched by prefix in this order.
const SPECIAL_FORMS: [(&[u8], i8); 10] = [
    (b"dev", 0),
    (b"alpha", 1),
    (b"a", 1),
    (b"beta", 2),
    (b"b", 2),
    (b"RC", 3),
    (b"rc", 3),
    (b"#", NUMBER_RANK),
    (b"pl", 5),
    (b"p", 5),
];

fn rank(part: &[u8]) -> i8 {
    SPECIAL_FORMS
        .iter()
        .find(|(form, _)| part.starts_with(form))
        .map_or(-1, |&(_, rank)| rank)
}

#[cfg(test)]
mod tests {
    use super::compare;
    use crate::version::{Scheme, assert_ascending, assert_fixture};
    use std::cmp::Ordering::{Equal, Greater, Less};

    #[test]
    fn fixtures() {
        assert_fixture(Scheme::Packagist, "packagist-versions.txt");
        assert_fixture(Scheme::Packagist, "packagist-versions-generated.txt");
    }

    #[test]
    fn normalisations() {
        for (a, b) in [
            ("1.0rc1", "1.0-RC-1"),
            ("1.0rc1", "1.0.RC.1"),
            ("1.0_beta+2", "1.0.b2"),
            ("v1.2.3", "1.2.3"),
            ("V1.2.3", " 1.2.3 "),
            ("1.0-patch1", "1.0.p1"),
            ("1.0~beta", "1.0-beta"),
            ("1.0.", "1.0"),
            ("1.0-foo", "1.0-stable"),
            ("01.2", "1.02"),
        ] {
            assert_eq!(compare(a, b), Equal, "{a} = {b}");
        }
    }

    #[test]
    fn ordering() {
        let ordered = [
            "1.0-stable",
            "1.0-dev",
            "1.0-alpha",
            "1.0a1",
            "1.0-beta",
            "1.0RC1",
            "1.0",
            "1.0.0",
            "1.0.1",
            // A patch level beats any number in its place, as in PHP.
            "1.0-p1",
        ];
        assert_ascending(Scheme::Packagist, &ordered);
    }

    #[test]
    fn empty_sorts_first() {
        assert_eq!(compare("", "~"), Less);
        assert_eq!(compare("", "0"), Less);
        assert_eq!(compare("", " "), Equal);
    }

    #[test]
    fn branches() {
        assert_eq!(compare("dev-main", "0.0.1-dev"), Less);
        assert_eq!(compare("dev-main", ""), Less);
        assert_eq!(compare("dev-main", "dev-main"), Equal);
        assert_eq!(compare("dev-main", "dev-master"), Less);
        assert_eq!(compare("dev-feature", "dev-bugfix"), Greater);
        assert_eq!(
            compare("vdev-1", "dev-1"),
            Greater,
            "not a branch once `v` is kept"
        );
    }
}
