//! The `.bulwarkignore` file: vulnerability ids a team has decided to accept, each optionally
//! until a date, in the spirit of Trivy's `.trivyignore`.
//!
//! ```text
//! # Accepted: not reachable from our code (SEC-1234)
//! CVE-2023-44487
//! GHSA-jfh8-c2jp-5v3q exp:2025-06-30   # until the base image moves to Java 21
//! ```
//!
//! One entry per line: an id, optionally `exp:YYYY-MM-DD`, optionally `# reason`. Blank lines
//! and lines starting with `#` are skipped; a `#` starts a comment only at the start of a word,
//! so ids may contain one. An id is any token without whitespace (CVE, GHSA, GO, RUSTSEC,
//! PYSEC … or a distribution's own) and is matched against an advisory's id and aliases
//! ignoring ASCII case. A malformed date, a second `exp:`, or any other extra word is an error
//! naming `file:line`: a typo must not silently ignore nothing, or everything.
//!
//! An entry expires at the end of its day: with `exp:2025-06-30` it still applies on 30 June
//! and no longer on 1 July. Dates compare as written (`YYYY-MM-DD` sorts chronologically), and
//! `today` comes from the caller so tests and reproducible runs can fix it. Files over
//! [`MAX_FILE_SIZE`] are refused.

/// Largest ignore file [`parse`] reads, in bytes.
pub const MAX_FILE_SIZE: usize = 16 * 1024 * 1024;

/// One accepted vulnerability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreEntry {
    /// The id as written.
    pub id: String,
    /// The last day the entry applies (`YYYY-MM-DD`), if it expires.
    pub expires: Option<String>,
    /// The comment after `#` on the entry's line.
    pub reason: Option<String>,
    /// The line it is on (1-based).
    pub line: u32,
}

/// The entries of one ignore file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreList {
    /// The file the entries came from.
    pub origin: String,
    /// The entries, in file order.
    pub entries: Vec<IgnoreEntry>,
}

/// Why an ignore file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IgnoreError {
    /// A line is malformed.
    #[error("{origin}:{line}: {message}")]
    Syntax {
        /// The file.
        origin: String,
        /// The line (1-based).
        line: u32,
        /// What is wrong.
        message: String,
    },
    /// The file is larger than [`MAX_FILE_SIZE`].
    #[error("{origin}: {size} bytes, more than the {limit} an ignore file may have")]
    TooLarge {
        /// The file.
        origin: String,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
}

/// Parses the ignore file `text` read from `origin`.
pub fn parse(origin: &str, text: &str) -> Result<IgnoreList, IgnoreError> {
    parse_limited(origin, text, MAX_FILE_SIZE)
}

fn parse_limited(origin: &str, text: &str, limit: usize) -> Result<IgnoreList, IgnoreError> {
    if text.len() > limit {
        return Err(IgnoreError::TooLarge {
            origin: origin.to_owned(),
            size: text.len(),
            limit,
        });
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut entries = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        // The size limit keeps the line count far below u32::MAX.
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let syntax = |message: String| IgnoreError::Syntax {
            origin: origin.to_owned(),
            line,
            message,
        };
        let (content, reason) = split_comment(raw);
        let mut words = content.split_whitespace();
        let Some(id) = words.next() else {
            continue;
        };
        if id.starts_with("exp:") {
            return Err(syntax(format!("`{id}` comes before any id")));
        }
        let mut expires = None;
        for word in words {
            match word.strip_prefix("exp:") {
                Some(_) if expires.is_some() => {
                    return Err(syntax(format!("a second expiry `{word}`")));
                }
                Some(date) if valid_date(date) => expires = Some(date.to_owned()),
                Some(date) => {
                    return Err(syntax(format!("`{date}` is not a date (exp:YYYY-MM-DD)")));
                }
                None => {
                    return Err(syntax(format!(
                        "unexpected `{word}` after the id (only exp:YYYY-MM-DD and a # comment may follow)"
                    )));
                }
            }
        }
        entries.push(IgnoreEntry {
            id: id.to_owned(),
            expires,
            reason,
            line,
        });
    }
    Ok(IgnoreList {
        origin: origin.to_owned(),
        entries,
    })
}

impl IgnoreList {
    /// The live entry matching any of `ids` on `today` (YYYY-MM-DD); an entry whose expiry date
    /// is before today no longer matches (it expires at the end of its day).
    pub fn matching(&self, ids: &[&str], today: &str) -> Option<&IgnoreEntry> {
        self.entries
            .iter()
            .find(|e| !e.expired_on(today) && ids.iter().any(|id| e.id.eq_ignore_ascii_case(id)))
    }

    /// Entries already expired on `today`, so the CLI can warn about them.
    pub fn expired(&self, today: &str) -> Vec<&IgnoreEntry> {
        self.entries
            .iter()
            .filter(|e| e.expired_on(today))
            .collect()
    }
}

impl IgnoreEntry {
    /// Whether the entry's last day is before `today`.
    pub fn expired_on(&self, today: &str) -> bool {
        self.expires.as_deref().is_some_and(|last| last < today)
    }
}

/// Splits a line at the first `#` that starts a word: the content before, the trimmed comment
/// after (if not empty).
fn split_comment(line: &str) -> (&str, Option<String>) {
    let mut previous_is_space = true;
    for (i, c) in line.char_indices() {
        if c == '#' && previous_is_space {
            let reason = line[i + 1..].trim();
            return (&line[..i], (!reason.is_empty()).then(|| reason.to_owned()));
        }
        previous_is_space = c.is_whitespace();
    }
    (line, None)
}

/// Whether `s` is a real calendar date written `YYYY-MM-DD`.
fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let number = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10)) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FILE: &str = "\
# Accepted risks, reviewed 2025-01-10
CVE-2023-44487

ghsa-jfh8-c2jp-5v3q exp:2025-06-30   # until the base image moves to Java 21
  RUSTSEC-2024-0001\texp:2024-02-29
GO-2024-2687 # no reachable path
PYSEC-2023-1#2
";

    fn list() -> IgnoreList {
        parse(".bulwarkignore", FILE).expect("a valid ignore file")
    }

    #[test]
    fn reads_ids_expiries_and_reasons() {
        let l = list();
        assert_eq!(l.origin, ".bulwarkignore");
        let summary: Vec<(&str, Option<&str>, Option<&str>, u32)> = l
            .entries
            .iter()
            .map(|e| {
                (
                    e.id.as_str(),
                    e.expires.as_deref(),
                    e.reason.as_deref(),
                    e.line,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("CVE-2023-44487", None, None, 2),
                (
                    "ghsa-jfh8-c2jp-5v3q",
                    Some("2025-06-30"),
                    Some("until the base image moves to Java 21"),
                    4
                ),
                ("RUSTSEC-2024-0001", Some("2024-02-29"), None, 5),
                ("GO-2024-2687", None, Some("no reachable path"), 6),
                ("PYSEC-2023-1#2", None, None, 7),
            ]
        );
    }

    #[test]
    fn matches_ids_and_aliases_ignoring_case() {
        let l = list();
        let today = "2025-01-01";
        assert_eq!(
            l.matching(&["cve-2023-44487"], today).map(|e| e.line),
            Some(2)
        );
        assert_eq!(
            l.matching(&["CVE-2021-44228", "GHSA-JFH8-C2JP-5V3Q"], today)
                .map(|e| e.line),
            Some(4)
        );
        assert!(l.matching(&["CVE-2023-4448"], today).is_none());
        assert!(l.matching(&[], today).is_none());
    }

    #[test]
    fn entries_expire_at_the_end_of_their_day() {
        let l = list();
        let ghsa = ["GHSA-jfh8-c2jp-5v3q"];
        assert!(l.matching(&ghsa, "2025-06-29").is_some());
        assert!(l.matching(&ghsa, "2025-06-30").is_some());
        assert!(l.matching(&ghsa, "2025-07-01").is_none());
        assert!(l.matching(&["CVE-2023-44487"], "2999-12-31").is_some());
        let expired: Vec<u32> = l.expired("2025-07-01").iter().map(|e| e.line).collect();
        assert_eq!(expired, [4, 5]);
        assert!(l.expired("2024-02-29").is_empty());
        assert_eq!(l.expired("2024-03-01").len(), 1);
    }

    #[test]
    fn a_live_duplicate_wins_over_an_expired_one() {
        let l = parse(
            "f",
            "CVE-1 exp:2020-01-01\ncve-1 exp:2030-01-01 # renewed\n",
        )
        .expect("valid");
        let live = l
            .matching(&["CVE-1"], "2025-01-01")
            .expect("the renewed entry");
        assert_eq!(live.line, 2);
        assert_eq!(live.reason.as_deref(), Some("renewed"));
    }

    #[test]
    fn errors_name_file_and_line() {
        let cases = [
            (
                "CVE-1\nCVE-2 exp:2025-02-30\n",
                2,
                "`2025-02-30` is not a date",
            ),
            ("CVE-1 exp:2023-02-29", 1, "`2023-02-29` is not a date"),
            ("CVE-1 exp:", 1, "`` is not a date"),
            ("CVE-1 exp:25-01-01", 1, "is not a date"),
            ("CVE-1 exp:2025-1-011", 1, "is not a date"),
            ("CVE-1 exp:2025-13-01", 1, "is not a date"),
            ("CVE-1 exp:+025-01-01", 1, "is not a date"),
            (
                "\n\n# c\nCVE-1 until:2025-01-01",
                4,
                "unexpected `until:2025-01-01`",
            ),
            ("CVE-1 CVE-2", 1, "unexpected `CVE-2`"),
            ("CVE-1 exp:2025-01-01 exp:2026-01-01", 1, "a second expiry"),
            ("exp:2025-01-01 CVE-1", 1, "comes before any id"),
        ];
        for (text, line, message) in cases {
            match parse("dir/.bulwarkignore", text) {
                Err(IgnoreError::Syntax {
                    origin,
                    line: got,
                    message: m,
                }) => {
                    assert_eq!(origin, "dir/.bulwarkignore");
                    assert_eq!(got, line, "{text:?}");
                    assert!(m.contains(message), "{text:?}: {m}");
                }
                other => panic!("{text:?}: expected a syntax error, got {other:?}"),
            }
        }
        let err = parse("f", "CVE-1\nCVE-2 junk").expect_err("junk");
        assert!(
            err.to_string().starts_with("f:2: unexpected `junk`"),
            "{err}"
        );
    }

    #[test]
    fn tolerates_crlf_bom_tabs_and_comment_only_lines() {
        let l = parse(
            "f",
            "\u{feff}CVE-1\r\n\t# only a comment\r\n   \r\n#CVE-2\r\nCVE-3\t#why\r\n",
        )
        .expect("valid");
        let ids: Vec<&str> = l.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["CVE-1", "CVE-3"]);
        assert_eq!(l.entries[1].line, 5);
        assert_eq!(l.entries[1].reason.as_deref(), Some("why"));
        let empty = parse("f", "").expect("valid");
        assert!(empty.entries.is_empty());
        let bare_hash = parse("f", "CVE-1 #").expect("valid");
        assert_eq!(bare_hash.entries[0].reason, None);
    }

    #[test]
    fn refuses_oversized_files() {
        let err = parse_limited("big", "CVE-1\n", 3).expect_err("too large");
        assert_eq!(
            err,
            IgnoreError::TooLarge {
                origin: "big".to_owned(),
                size: 6,
                limit: 3
            }
        );
    }

    #[test]
    fn validates_calendar_dates() {
        for good in ["2024-02-29", "2000-02-29", "1999-12-31", "2025-01-01"] {
            assert!(valid_date(good), "{good}");
        }
        for bad in [
            "1900-02-29",
            "2025-04-31",
            "2025-00-10",
            "2025-01-00",
            "2025/01/01",
            "２０２５-01-01",
        ] {
            assert!(!valid_date(bad), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
            if let Ok(l) = parse("p", &text) {
                let _ = l.matching(&["CVE-1"], "2025-01-01");
                let _ = l.expired("2025-01-01");
            }
        }

        #[test]
        fn arbitrary_lines_of_entry_shape_never_panic(
            lines in proptest::collection::vec("[A-Za-z0-9-]{0,12}( exp:[0-9-]{0,12})?( #.{0,10})?", 0..8)
        ) {
            let text = lines.join("\n");
            if let Ok(l) = parse("p", &text) {
                for e in &l.entries {
                    prop_assert!(!e.id.is_empty());
                    prop_assert!(e.expires.as_deref().is_none_or(valid_date));
                }
            }
        }
    }
}
