//! RPM package versions (Red Hat family, SUSE, openEuler …), ordered as rpm orders them:
//! `rpmvercmp` over epoch, version and release.
//!
//! A version is `[epoch:]version[-release]`, split as rpm's `parseEVR` splits it: the
//! epoch is the part before the first `:` when that part is all digits (an empty or
//! missing epoch is `0`); the release is the part after the last `-`. Epochs, versions and
//! releases each compare with `rpmvercmp`:
//!
//! - Characters other than ASCII letters, digits, `~` and `^` only separate segments;
//!   their kind and number do not matter (`1.0 = 1_0`, `1.1.α = 1.1.β`).
//! - `~` sorts before everything, even the end: `1.0~rc1 < 1.0`.
//! - `^` sorts after the end but before anything else: `1.0 < 1.0^git1 < 1.0.1`.
//! - Otherwise the next segment is a run of digits or a run of letters. Digits compare as
//!   numbers and beat letters (`1.0 > 1.a`); letters compare in ASCII order.
//! - When one string runs out, the one with something left is greater.
//!
//! Decisions:
//! - A version without a release sorts before the same version with any release, even an
//!   empty one (`1 < 1-0`, `1 < 1-`). rpm itself skips the release when one side has
//!   none (in dependency matching "no release" means "any release"), which makes `1`
//!   equal to both `1-1` and `1-2` and so is not an order.
//! - A colon after a non-digit is not an epoch separator but part of the version (rpm
//!   reads it the same way), e.g. `1.m+e2:1`.
//! - Numbers compare at any size; bytes outside ASCII are separators (rpm's `risalnum`
//!   is ASCII-only).

use std::cmp::Ordering;

use super::util::{absent_first, compare_digits};

pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    let a = Evr::parse(a);
    let b = Evr::parse(b);
    rpmvercmp(a.epoch, b.epoch)
        .then_with(|| rpmvercmp(a.version, b.version))
        .then_with(|| absent_first(a.release, b.release, rpmvercmp))
}

/// Epoch, version and release, as rpm's `parseEVR` splits them.
struct Evr<'a> {
    epoch: &'a [u8],
    version: &'a [u8],
    release: Option<&'a [u8]>,
}

impl<'a> Evr<'a> {
    fn parse(evr: &'a str) -> Self {
        let evr = evr.as_bytes();
        let digits = evr.iter().take_while(|c| c.is_ascii_digit()).count();
        let (epoch, rest) = if evr.get(digits) == Some(&b':') {
            let epoch = &evr[..digits];
            (
                if epoch.is_empty() { b"0" } else { epoch },
                &evr[digits + 1..],
            )
        } else {
            (&b"0"[..], evr)
        };
        let (version, release) = match rest.iter().rposition(|&c| c == b'-') {
            Some(hyphen) => (&rest[..hyphen], Some(&rest[hyphen + 1..])),
            None => (rest, None),
        };
        Evr {
            epoch,
            version,
            release,
        }
    }
}

/// rpm's comparison of one epoch, version or release with another.
fn rpmvercmp(a: &[u8], b: &[u8]) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let separator = |c: &u8| !c.is_ascii_alphanumeric() && *c != b'~' && *c != b'^';
    let (mut a, mut b) = (a, b);
    loop {
        a = &a[a.iter().take_while(|c| separator(c)).count()..];
        b = &b[b.iter().take_while(|c| separator(c)).count()..];
        let (x, y) = (a.first(), b.first());

        if x == Some(&b'~') || y == Some(&b'~') {
            if x != Some(&b'~') {
                return Ordering::Greater;
            }
            if y != Some(&b'~') {
                return Ordering::Less;
            }
            (a, b) = (&a[1..], &b[1..]);
            continue;
        }
        if x == Some(&b'^') || y == Some(&b'^') {
            // The end sorts before `^`; `^` sorts before any segment.
            match (x, y) {
                (None, _) => return Ordering::Less,
                (_, None) => return Ordering::Greater,
                (Some(&b'^'), Some(&b'^')) => {}
                (Some(&b'^'), _) => return Ordering::Less,
                _ => return Ordering::Greater,
            }
            (a, b) = (&a[1..], &b[1..]);
            continue;
        }
        let Some(&first) = x else { break };
        if y.is_none() {
            break;
        }

        let numeric = first.is_ascii_digit();
        let in_segment = |c: &u8| {
            if numeric {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let (seg_a, rest_a) = a.split_at(a.iter().take_while(|c| in_segment(c)).count());
        let (seg_b, rest_b) = b.split_at(b.iter().take_while(|c| in_segment(c)).count());
        (a, b) = (rest_a, rest_b);
        if seg_b.is_empty() {
            // Segments of different kinds: a number beats letters.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let by_value = if numeric {
            compare_digits(seg_a, seg_b)
        } else {
            seg_a.cmp(seg_b)
        };
        if by_value.is_ne() {
            return by_value;
        }
    }
    // One of them ran out (after separators): whichever has something left is greater.
    (!a.is_empty()).cmp(&!b.is_empty())
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use super::compare;
    use crate::version::{Scheme, assert_ascending, assert_fixture};

    #[test]
    fn redhat_fixture() {
        assert_fixture(Scheme::Rpm, "redhat-versions.txt");
    }

    #[test]
    fn tilde_caret_and_releases() {
        let ordered = [
            "1.0~rc1~git1",
            "1.0~rc1",
            "1.0~rc1^git1",
            "1.0",
            "1.0-1.el9",
            "1.0-1.el9_2",
            "1.0-2.el9",
            "1.0^20240101",
            "1.0^20240101.1",
            "1.0^20240102",
            "1.0a",
            "1.0.1",
            "1:0.9",
        ];
        assert_ascending(Scheme::Rpm, &ordered);
        assert_eq!(compare("0:1.0-1", "1.0-1"), Ordering::Equal);
        assert_eq!(compare(":1.0", "1.0"), Ordering::Equal);
        assert_eq!(compare("1.0-0001", "1.0-1"), Ordering::Equal);
        // The release is what follows the last hyphen.
        assert_eq!(compare("1.0-rc-2", "1.0-rc-10"), Ordering::Less);
    }
}
