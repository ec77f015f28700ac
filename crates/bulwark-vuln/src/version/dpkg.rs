//! Debian and Ubuntu package versions, ordered as dpkg orders them (`deb-version(7)`).
//!
//! A version is `[epoch:]upstream[-revision]`. The epoch is the part before the first `:`
//! and compares as a number; a missing epoch is `0`. The revision is the part after the
//! last `-`; a missing revision equals `0`. Upstream version and revision compare with
//! dpkg's `verrevcmp`: from the left, alternately
//!
//! - a run of non-digits, compared character by character, where `~` sorts before
//!   everything (even the end of the run), the end of the run comes next, then letters
//!   (in ASCII order), then every other character (in ASCII order); and
//! - a run of digits, compared as a number (leading zeros do not count).
//!
//! So `1.0~rc1 < 1.0 < 1.0a < 1.0+b1 < 1.0.1`.
//!
//! Decisions for strings `dpkg --compare-versions` rejects as bad syntax, since every
//! string must still sort somewhere deterministic:
//!
//! - Surrounding ASCII whitespace is ignored, as dpkg does.
//! - An empty epoch (`:1`) is `0`. A part before the first `:` that is not all digits
//!   (`a:1`) is not an epoch: the whole string is the version, and its `:` is an ordinary
//!   non-letter character.
//! - An epoch too large for dpkg's `int` still compares as a number, at any size.
//! - An empty revision (`1-`) equals a missing one.
//! - A byte outside ASCII orders like any other non-letter, by its unsigned value (dpkg
//!   would warn; its own result depends on the C `char` signedness of the platform).

use std::cmp::Ordering;

use super::util::{compare_digits, leading_digits};

pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    let a = Version::parse(a);
    let b = Version::parse(b);
    compare_digits(a.epoch, b.epoch)
        .then_with(|| verrevcmp(a.upstream, b.upstream))
        .then_with(|| verrevcmp(a.revision, b.revision))
}

/// A version split into its three parts, each still unparsed.
struct Version<'a> {
    /// Digits only; empty means `0`.
    epoch: &'a [u8],
    upstream: &'a [u8],
    /// Empty when missing.
    revision: &'a [u8],
}

impl<'a> Version<'a> {
    fn parse(version: &'a str) -> Self {
        let version = version.trim_ascii().as_bytes();
        let (epoch, rest) = match version.iter().position(|&c| c == b':') {
            Some(colon) if version[..colon].iter().all(u8::is_ascii_digit) => {
                (&version[..colon], &version[colon + 1..])
            }
            _ => (&version[..0], version),
        };
        let (upstream, revision) = match rest.iter().rposition(|&c| c == b'-') {
            Some(hyphen) => (&rest[..hyphen], &rest[hyphen + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        Version {
            epoch,
            upstream,
            revision,
        }
    }
}

/// The weight of a character in a non-digit run; `None` is the end of the run (or of the
/// string), which weighs the same as a digit.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's comparison of an upstream version or a revision.
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let is_digit = |s: &[u8], i: usize| s.get(i).is_some_and(u8::is_ascii_digit);
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        // The non-digit run. Both indexes advance only past equal non-digits, so neither
        // passes the end of its string.
        while (i < a.len() && !is_digit(a, i)) || (j < b.len() && !is_digit(b, j)) {
            let (weight_a, weight_b) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if weight_a != weight_b {
                return weight_a.cmp(&weight_b);
            }
            i += 1;
            j += 1;
        }
        // The digit run (perhaps empty), as a number.
        let (run_a, run_b) = (leading_digits(&a[i..]), leading_digits(&b[j..]));
        let by_value = compare_digits(&a[i..i + run_a], &b[j..j + run_b]);
        if by_value.is_ne() {
            return by_value;
        }
        i += run_a;
        j += run_b;
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;
    use std::process::Command;

    use proptest::prelude::*;

    use super::compare;
    use crate::version::{Scheme, assert_ascending, assert_fixture};

    #[test]
    fn debian_fixture() {
        assert_fixture(Scheme::Dpkg, "debian-versions.txt");
    }

    #[test]
    fn debian_generated_fixture() {
        assert_fixture(Scheme::Dpkg, "debian-versions-generated.txt");
    }

    #[test]
    fn tilde_letters_and_epochs() {
        let ordered = [
            "1.0~~", "1.0~~a", "1.0~", "1.0", "1.0-1", "1.0a", "1.0+b1", "1.0.1", "1:0.1",
        ];
        assert_ascending(Scheme::Dpkg, &ordered);
        assert_eq!(compare("1.0", "0:1.0-0"), Ordering::Equal);
        assert_eq!(compare("001:1.01", "1:1.1"), Ordering::Equal);
        assert_eq!(compare(" 1.0 ", "1.0"), Ordering::Equal);
    }

    /// Versions like the ones in the archive: optional epoch, an upstream part starting
    /// with a digit, an optional revision, drawn from a small alphabet so that pairs often
    /// share prefixes or compare equal.
    fn debian_version() -> impl Strategy<Value = String> {
        let epoch = prop::option::of("(0|1|2|10|01)");
        let upstream = "[0-9][0-9a-cA~+.]{0,5}";
        let revision = prop::option::of("[0-9a-cZ~+.]{1,4}(-[0-9a~.]{1,2})?");
        (epoch, upstream, revision).prop_map(|(epoch, upstream, revision)| {
            let mut v = String::new();
            if let Some(epoch) = epoch {
                v.push_str(&epoch);
                v.push(':');
            }
            v.push_str(&upstream);
            if let Some(revision) = revision {
                // With a revision present, the upstream part may itself contain a `-`;
                // the revision is what follows the last one.
                v.push('-');
                v.push_str(&revision);
            }
            v
        })
    }

    /// A pair of versions, often close to each other.
    fn debian_pair() -> impl Strategy<Value = (String, String)> {
        let tail = prop::sample::select(vec!["", "~", "0", ".0", "a", "+1", "~a", "-0", "-1"]);
        prop_oneof![
            (debian_version(), debian_version()),
            (debian_version(), tail).prop_map(|(v, tail)| {
                // Appending `-x` to a version without a revision turns `x` into one.
                let w = format!("{v}{tail}");
                (v, w)
            }),
            debian_version().prop_map(|v| {
                let w = if v.contains(':') {
                    v.clone()
                } else {
                    format!("0:{v}")
                };
                (v, w)
            }),
        ]
    }

    /// Asks the real dpkg for the order of every pair, in one shell process.
    fn dpkg_orders(pairs: &[(String, String)]) -> Vec<Ordering> {
        let probe = Command::new("dpkg").arg("--version").output();
        assert!(
            probe.is_ok_and(|out| out.status.success()),
            "dpkg is required to run this test (apt-get install dpkg; CI installs it): \
             it checks our ordering against `dpkg --compare-versions`"
        );
        let script = r#"
            while [ "$#" -ge 2 ]; do
                dpkg --compare-versions "$1" lt "$2"; r=$?
                if [ "$r" -eq 0 ]; then echo lt
                elif [ "$r" -eq 1 ]; then
                    dpkg --compare-versions "$1" eq "$2"; r=$?
                    if [ "$r" -eq 0 ]; then echo eq
                    elif [ "$r" -eq 1 ]; then echo gt
                    else echo "error $r"; fi
                else echo "error $r"; fi
                shift 2
            done
        "#;
        let out = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("sh")
            .args(pairs.iter().flat_map(|(a, b)| [a, b]))
            .output()
            .expect("running sh to call dpkg");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.trim().is_empty(),
            "dpkg complained (the generator should only make valid versions): {stderr}"
        );
        let answers: Vec<Ordering> = stdout
            .lines()
            .zip(pairs)
            .map(|(line, (a, b))| match line {
                "lt" => Ordering::Less,
                "eq" => Ordering::Equal,
                "gt" => Ordering::Greater,
                other => panic!("dpkg --compare-versions {a} {b}: {other}"),
            })
            .collect();
        assert_eq!(answers.len(), pairs.len(), "dpkg answered {stdout}");
        answers
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 3,
            // Every mismatch of a batch is reported at once, so shrinking adds nothing
            // but more dpkg runs; and no regression file is written into the sources.
            max_shrink_iters: 0,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn agrees_with_dpkg(pairs in prop::collection::vec(debian_pair(), 200)) {
            let want = dpkg_orders(&pairs);
            let wrong: Vec<String> = pairs
                .iter()
                .zip(&want)
                .filter_map(|((a, b), want)| {
                    let got = compare(a, b);
                    let back = compare(b, a);
                    (got != *want || back != want.reverse())
                        .then(|| format!("{a} vs {b}: dpkg {want:?}, ours {got:?} / reverse {back:?}"))
                })
                .collect();
            prop_assert!(wrong.is_empty(), "{} of {} pairs differ from dpkg:\n{}",
                wrong.len(), pairs.len(), wrong.join("\n"));
        }
    }
}
