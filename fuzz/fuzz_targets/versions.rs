//! Arbitrary text as versions, one per line, compared under every scheme: every comparison is
//! reflexive and antisymmetric (the first two lines), and transitive where the scheme says so
//! (the first three; Maven's follows `ComparableVersion`, which is not, and in Packagist's, as
//! in PHP, a `#` equals every number; see their modules). A range from the lower to the higher
//! of the first two behaves as OSV says, and a range with an event at every line can be
//! evaluated at each of them.
#![no_main]

use std::cmp::Ordering;

use bulwark_vuln::matcher::range_affects;
use bulwark_vuln::osv::{Event, RangeKind, StoredRange};
use bulwark_vuln::version::Scheme;
use libfuzzer_sys::fuzz_target;

/// How many lines become events of one range.
const EVENTS: usize = 64;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.split('\n').take(EVENTS).collect();
    let a = lines.first().copied().unwrap_or("");
    let b = lines.get(1).copied().unwrap_or("");
    let c = lines.get(2).copied();
    for scheme in Scheme::ALL {
        for v in [a, b].into_iter().chain(c) {
            assert_eq!(
                scheme.compare(v, v),
                Ordering::Equal,
                "{scheme:?}: {v:?} is not equal to itself"
            );
        }
        let ab = scheme.compare(a, b);
        assert_eq!(
            ab,
            scheme.compare(b, a).reverse(),
            "{scheme:?}: {a:?} vs {b:?} is not antisymmetric"
        );
        if let Some(c) = c
            && [a, b, c].iter().all(|v| scheme.orders_transitively(v))
        {
            check_transitive(scheme, a, b, c);
        }
        check_range(scheme, a, b, ab);
        check_many(scheme, &lines);
    }
});

/// `a ? b` and `b ? c` decide `a ? c` whenever they can.
fn check_transitive(scheme: Scheme, a: &str, b: &str, c: &str) {
    let ab = scheme.compare(a, b);
    let bc = scheme.compare(b, c);
    let ac = scheme.compare(a, c);
    assert_eq!(
        ac,
        scheme.compare(c, a).reverse(),
        "{scheme:?}: {a:?} vs {c:?} is not antisymmetric"
    );
    let implied = match (ab, bc) {
        (_, Ordering::Equal) => Some(ab),
        (Ordering::Equal, _) => Some(bc),
        _ if ab == bc => Some(ab),
        _ => None,
    };
    if let Some(want) = implied {
        assert_eq!(
            ac, want,
            "{scheme:?}: {a:?} {ab:?} {b:?} and {b:?} {bc:?} {c:?}, but {a:?} {ac:?} {c:?}"
        );
    }
}

/// `introduced: low, fixed: high` affects `low` with fix `high` and not `high`;
/// `introduced: low, last_affected: high` affects `high` without a fix.
fn check_range(scheme: Scheme, a: &str, b: &str, ab: Ordering) {
    // `0` means "the first version" in a range, whatever the scheme says about it.
    if a == "0" || b == "0" {
        return;
    }
    let (low, high) = match ab {
        Ordering::Less => (a, b),
        Ordering::Greater => (b, a),
        Ordering::Equal => return,
    };
    let range = |end: Event| StoredRange {
        kind: RangeKind::Ecosystem,
        events: vec![Event::Introduced(low.to_owned()), end],
    };
    let fixed = range(Event::Fixed(high.to_owned()));
    assert_eq!(
        range_affects(scheme, &fixed, low),
        Some(Some(high.to_owned())),
        "{scheme:?}: [{low:?}, {high:?}) does not affect {low:?}"
    );
    assert_eq!(
        range_affects(scheme, &fixed, high),
        None,
        "{scheme:?}: [{low:?}, {high:?}) affects {high:?}"
    );
    let last = range(Event::LastAffected(high.to_owned()));
    assert_eq!(
        range_affects(scheme, &last, high),
        Some(None),
        "{scheme:?}: [{low:?}, {high:?}] does not affect {high:?}"
    );
}

/// Events alternating `introduced` and `fixed` at every line: whatever the scheme's order makes
/// of them, evaluating the range gives an answer (at the first lines: each evaluation sorts
/// every event, and the sort is what is under test).
fn check_many(scheme: Scheme, lines: &[&str]) {
    if lines.len() < 3 {
        return;
    }
    let events = lines
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if i % 2 == 0 {
                Event::Introduced((*v).to_owned())
            } else {
                Event::Fixed((*v).to_owned())
            }
        })
        .collect();
    let range = StoredRange {
        kind: RangeKind::Ecosystem,
        events,
    };
    for version in &lines[..3] {
        let _ = range_affects(scheme, &range, version);
    }
}
