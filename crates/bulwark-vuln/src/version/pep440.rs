//! PyPI versions, ordered by PEP 440 (as the `packaging` library's `Version` orders them),
//! with strings PEP 440 rejects ordered as `packaging`'s former `LegacyVersion`.
//!
//! A valid version is `[v][N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, accepted with every
//! normalisation PEP 440 lists: any letter case; surrounding whitespace; a leading `v`;
//! `alpha`, `beta`, `c`, `pre` and `preview` for `a`, `b`, `rc`, `rc`, `rc`; `rev` and `r` for
//! `post`; `.`, `-` or `_` (or nothing) before and after each of those words; an omitted
//! number meaning `0` (`1.0.post = 1.0.post0`); the implicit post-release `1.0-1`; leading
//! zeros in any number; and `-`, `_` between local segments. Valid versions order by:
//! 1. the epoch (missing is `0`);
//! 2. the release, as integers with trailing zeros ignored (`3.2 = 3.2.0`);
//! 3. the pre-release: `a < b < rc < none`, except that a dev release of a final release
//!    (`1.0.dev1`, no pre- or post-release) sorts before every pre-release of it;
//! 4. the post-release: none before any;
//! 5. the dev release: any before none;
//! 6. the local version: none before any; segments compare one by one, numeric ones as
//!    integers and above alphanumeric ones, alphanumeric ones as lower-case strings, and a
//!    version with more segments is greater when the shared ones are equal.
//!
//! Every string PEP 440 rejects (`2013-01-21T20:33:09+0100`, `0.9-doduo`, `trunk`) sorts
//! before every valid version, and such strings order among themselves exactly as
//! `LegacyVersion` of `packaging` < 22 (the `setuptools` scheme pip used): the lower-cased
//! string is cut into digit runs, letter runs, `.` and `-` (anything else stays as a piece of
//! its own); `pre`, `preview` and `rc` become `c`, `dev` becomes `@` and `-` becomes
//! `final-`; numbers are zero-padded to eight characters and words prefixed with `*`;
//! trailing zero numbers and a `final-` before a pre-release word are dropped; and the
//! resulting string tuples compare lexically. That ordering, quirks included (a number of nine
//! digits or more compares as text), is the one these strings were historically given.
//!
//! Decisions:
//! - Numbers of any length compare by value (Python integers are unbounded too).
//! - Only ASCII digits and letters are recognised, where Python's case-insensitive regex would
//!   also fold two exotic letters (`ſ`, the Kelvin sign) and `LegacyVersion` would also cut
//!   non-ASCII digit runs.

use std::cmp::Ordering;

use super::util::{absent_first, absent_last, compare_digits, is_digits, leading_digits, padded};

pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    match (Version::parse(a), Version::parse(b)) {
        (None, None) => legacy_key(a).cmp(&legacy_key(b)),
        (x, y) => absent_first(x, y, |x, y| x.cmp(&y)),
    }
}

/// A pre-release phase, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Alpha,
    Beta,
    Candidate,
}

/// A valid version; numbers are digit strings without leading zeros (zero is empty).
#[derive(Debug)]
struct Version {
    epoch: String,
    release: Vec<String>,
    pre: Option<(Phase, String)>,
    post: Option<String>,
    dev: Option<String>,
    local: Option<Vec<Local>>,
}

/// A local version segment as parsed.
#[derive(Debug)]
enum Local {
    /// Lower-case letters and digits, at least one letter.
    Text(String),
    /// Digits without leading zeros.
    Number(String),
}

/// Where a pre-release (or its absence) sorts, as `packaging`'s comparison key has it.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum PreKey<'a> {
    /// A dev release of a final release, before all of its pre-releases.
    DevOfFinal,
    Pre(Phase, Number<'a>),
    /// No pre-release.
    Final,
}

/// A local version segment: alphanumeric ones sort below numeric ones.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum LocalSegment<'a> {
    Text(&'a str),
    Number(Number<'a>),
}

/// A digit string without leading zeros, ordered by value.
#[derive(PartialEq, Eq)]
struct Number<'a>(&'a str);

impl Ord for Number<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_digits(self.0, other.0)
    }
}

impl PartialOrd for Number<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Version {
    /// Parses a version as PEP 440 (and `packaging`'s `VERSION_PATTERN`) accepts it.
    fn parse(text: &str) -> Option<Version> {
        let text = text.trim().to_ascii_lowercase();
        let mut c = Cursor {
            text: &text,
            pos: 0,
        };
        c.eat("v");

        let mut epoch = String::new();
        let start = c.pos;
        if let Some(n) = c.number()
            && c.eat("!")
        {
            epoch = n;
        } else {
            c.pos = start;
        }

        let mut release = vec![c.number()?];
        loop {
            let start = c.pos;
            if c.eat(".")
                && let Some(n) = c.number()
            {
                release.push(n);
            } else {
                c.pos = start;
                break;
            }
        }

        let pre = c.labelled(&[
            ("alpha", Phase::Alpha),
            ("a", Phase::Alpha),
            ("beta", Phase::Beta),
            ("b", Phase::Beta),
            ("preview", Phase::Candidate),
            ("pre", Phase::Candidate),
            ("rc", Phase::Candidate),
            ("c", Phase::Candidate),
        ]);

        let start = c.pos;
        let post = if c.eat("-")
            && let Some(n) = c.number()
        {
            Some(n)
        } else {
            c.pos = start;
            c.labelled(&[("post", ()), ("rev", ()), ("r", ())])
                .map(|((), n)| n)
        };

        let dev = c.labelled(&[("dev", ())]).map(|((), n)| n);

        let local = if c.eat("+") {
            let rest = &c.text[c.pos..];
            let segments: Vec<&str> = rest.split(['.', '-', '_']).collect();
            if !segments
                .iter()
                .all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric()))
            {
                return None;
            }
            c.pos = c.text.len();
            Some(
                segments
                    .into_iter()
                    .map(|s| {
                        if is_digits(s) {
                            Local::Number(s.trim_start_matches('0').to_owned())
                        } else {
                            Local::Text(s.to_owned())
                        }
                    })
                    .collect(),
            )
        } else {
            None
        };

        (c.pos == c.text.len()).then_some(Version {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        })
    }

    fn pre_key(&self) -> PreKey<'_> {
        match (&self.pre, &self.post, &self.dev) {
            (Some((phase, n)), _, _) => PreKey::Pre(*phase, Number(n)),
            (None, None, Some(_)) => PreKey::DevOfFinal,
            (None, _, _) => PreKey::Final,
        }
    }

    fn local_key(&self) -> Option<Vec<LocalSegment<'_>>> {
        self.local.as_ref().map(|segments| {
            segments
                .iter()
                .map(|s| match s {
                    Local::Text(text) => LocalSegment::Text(text),
                    Local::Number(n) => LocalSegment::Number(Number(n)),
                })
                .collect()
        })
    }

    fn cmp(&self, other: &Version) -> Ordering {
        Number(&self.epoch)
            .cmp(&Number(&other.epoch))
            .then_with(|| {
                padded(&self.release, &other.release, &String::new(), |a, b| {
                    compare_digits(a, b)
                })
            })
            .then_with(|| self.pre_key().cmp(&other.pre_key()))
            // `None` sorts first, as "no post-release" must.
            .then_with(|| {
                let post = self.post.as_deref().map(Number);
                post.cmp(&other.post.as_deref().map(Number))
            })
            // Any dev release sorts before none.
            .then_with(|| absent_last(self.dev.as_ref(), other.dev.as_ref(), compare_digits))
            // `None` sorts first, as "no local version" must.
            .then_with(|| self.local_key().cmp(&other.local_key()))
    }
}

/// A position in a lower-cased version string.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    /// Consumes `literal` if the text continues with it.
    fn eat(&mut self, literal: &str) -> bool {
        let found = self.text[self.pos..].starts_with(literal);
        if found {
            self.pos += literal.len();
        }
        found
    }

    /// Consumes one of the separators `.`, `-`, `_`.
    fn separator(&mut self) -> bool {
        self.eat(".") || self.eat("-") || self.eat("_")
    }

    /// Consumes a run of ASCII digits and returns it without leading zeros.
    fn number(&mut self) -> Option<String> {
        let rest = &self.text[self.pos..];
        let len = leading_digits(rest.as_bytes());
        (len > 0).then(|| {
            self.pos += len;
            rest[..len].trim_start_matches('0').to_owned()
        })
    }

    /// Consumes `[sep] word [sep] [number]` for the first of `words` found (longer spellings
    /// come first), or nothing. A missing number is zero.
    fn labelled<T: Copy>(&mut self, words: &[(&str, T)]) -> Option<(T, String)> {
        let start = self.pos;
        self.separator();
        let Some(&(_, value)) = words.iter().find(|(word, _)| self.eat(word)) else {
            self.pos = start;
            return None;
        };
        self.separator();
        Some((value, self.number().unwrap_or_default()))
    }
}

/// `LegacyVersion`'s comparison key for a string PEP 440 rejects.
fn legacy_key(version: &str) -> Vec<String> {
    let mut key: Vec<String> = Vec::new();
    for part in legacy_parts(&version.to_lowercase()) {
        if part.starts_with('*') {
            // A pre-release word drops the `-` (`final-`) before it.
            if part.as_str() < "*final" {
                while key.last().is_some_and(|p| p == "*final-") {
                    key.pop();
                }
            }
            // Trailing zeros of each run of numbers are dropped.
            while key.last().is_some_and(|p| p == "00000000") {
                key.pop();
            }
        }
        key.push(part);
    }
    key
}

/// The pieces of a lower-cased legacy version, rewritten and padded for comparison, with
/// `*final` at the end.
fn legacy_parts(version: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut add = |piece: &str| {
        let piece = match piece {
            "pre" | "preview" | "rc" => "c",
            "dev" => "@",
            "-" => "final-",
            other => other,
        };
        if piece.is_empty() || piece == "." {
            return;
        }
        if piece.starts_with(|c: char| c.is_ascii_digit()) {
            parts.push(format!("{piece:0>8}"));
        } else {
            parts.push(format!("*{piece}"));
        }
    };
    let mut other_start = 0;
    let mut pos = 0;
    while let Some(c) = version[pos..].chars().next() {
        let rest = &version.as_bytes()[pos..];
        let len = if c.is_ascii_digit() {
            leading_digits(rest)
        } else if c.is_ascii_lowercase() {
            rest.iter().take_while(|b| b.is_ascii_lowercase()).count()
        } else if c == '.' || c == '-' {
            1
        } else {
            pos += c.len_utf8();
            continue;
        };
        // Text between two pieces is a piece of its own.
        add(&version[other_start..pos]);
        add(&version[pos..pos + len]);
        pos += len;
        other_start = pos;
    }
    add(&version[other_start..]);
    parts.push("*final".to_owned());
    parts
}

#[cfg(test)]
mod tests {
    use super::compare;
    use crate::version::{Scheme, assert_all_equal, assert_ascending, assert_fixture};
    use std::cmp::Ordering::{Equal, Less};

    #[test]
    fn fixtures() {
        assert_fixture(Scheme::Pep440, "pypi-versions.txt");
        assert_fixture(Scheme::Pep440, "pypi-versions-generated.txt");
    }

    #[test]
    fn normalisations() {
        assert_all_equal(
            Scheme::Pep440,
            &[
                "3.2", "3.2.0", "3.2.0.0", "v3.2", " 3.2\n", "0!3.2", "03.02",
            ],
        );
        assert_all_equal(
            Scheme::Pep440,
            &[
                "1.0.post1",
                "1.0-1",
                "1.0.post.1",
                "1.0post1",
                "1.0-post-1",
                "1.0_post_1",
                "1.0.rev1",
                "1.0r1",
                "1.0.POST1",
                "1.0-r-01",
            ],
        );
        assert_all_equal(
            Scheme::Pep440,
            &["1.0a1", "1.0alpha1", "1.0.a.1", "1.0-A1", "1.0_alpha_1"],
        );
        assert_all_equal(
            Scheme::Pep440,
            &["1.0b2", "1.0beta2", "1.0-beta.2", "1.0B2"],
        );
        assert_all_equal(
            Scheme::Pep440,
            &["1.0rc1", "1.0c1", "1.0pre1", "1.0preview1", "1.0-RC-1"],
        );
        assert_all_equal(Scheme::Pep440, &["1.0a", "1.0a0", "1.0-a."]);
        assert_all_equal(Scheme::Pep440, &["1.0.post", "1.0.post0", "1.0-r"]);
        assert_all_equal(
            Scheme::Pep440,
            &["1.0.dev", "1.0.dev0", "1.0-DEV", "1.0dev"],
        );
        assert_all_equal(
            Scheme::Pep440,
            &["1.0+ubuntu-1", "1.0+ubuntu.1", "1.0+UBUNTU_01"],
        );
    }

    #[test]
    fn ordering() {
        let ordered = [
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
            "1!0.1",
        ];
        assert_ascending(Scheme::Pep440, &ordered);
    }

    #[test]
    fn legacy_versions_sort_first() {
        assert_eq!(compare("trunk", "0.0.dev0"), Less);
        assert_eq!(compare("1.0-1-1", "0"), Less);
        assert_eq!(compare("0.9-doduo", "0.9-eevee"), Less);
        assert_eq!(compare("1.0-final", "1.0"), Less);
        assert_eq!(compare("1.0.0-final", "1-final"), Equal);
        assert_eq!(compare("1.0+local+twice", "1.0+local+twice"), Equal);
    }
}
