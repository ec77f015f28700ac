//! Arbitrary bytes as an OSV record, read as JSON and as YAML, reduced for the database and
//! every range evaluated; and the same bytes as CVSS vectors (the whole text and each line).
//! Nothing may panic, a score is a CVSS score, and a reduced record keeps its promises.
#![no_main]

use bulwark_vuln::cvss;
use bulwark_vuln::matcher::{entry_affects, range_affects};
use bulwark_vuln::osv::{self, Event, Record};
use bulwark_vuln::version::Scheme;
use libfuzzer_sys::fuzz_target;

/// How many versions each entry is evaluated at (the harness's cost, not the library's).
const PROBES: usize = 32;

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = osv::parse_json(data) {
        check_record(&record);
    }
    if let Ok(record) = osv::parse_yaml(data) {
        check_record(&record);
    }
    let text = String::from_utf8_lossy(data);
    check_vector(&text);
    for line in text.lines().take(256) {
        check_vector(line);
    }
});

fn check_record(record: &Record) {
    let reduced = osv::reduce(record);
    assert_eq!(reduced.advisory.id, record.id.trim());
    assert!(
        !reduced.advisory.id.is_empty(),
        "parse refuses records without an id"
    );
    assert!(
        reduced
            .advisory
            .summary
            .as_ref()
            .is_none_or(|s| s.len() <= 300),
        "summaries are cut at 300 bytes"
    );
    assert!(reduced.advisory.references.len() <= 10);
    for s in &reduced.advisory.severity {
        check_vector(&s.score);
    }
    for (ecosystem, _, entry) in &reduced.affected {
        let scheme =
            Scheme::for_ecosystem(ecosystem).expect("reduce keeps only ecosystems it knows");
        assert_eq!(entry.advisory, reduced.advisory.id);
        for s in &entry.severity {
            check_vector(&s.score);
        }
        let probes = entry
            .ranges
            .iter()
            .flat_map(|r| r.events.iter().map(Event::version))
            .chain(entry.versions.iter().map(String::as_str))
            .chain(["0", "1.0"])
            .take(PROBES);
        for version in probes {
            for range in &entry.ranges {
                if let Some(Some(fixed)) = range_affects(scheme, range, version) {
                    assert_ne!(fixed, version, "a version is never fixed by itself");
                }
            }
            if let Some(verdict) = entry_affects(scheme, entry, version) {
                assert_eq!(verdict.vendor, entry.status);
            }
        }
    }
}

fn check_vector(vector: &str) {
    let Ok(parsed) = cvss::parse(vector) else {
        return;
    };
    let score = parsed.base_score;
    assert!((0.0..=10.0).contains(&score), "{vector:?} scored {score}");
    let tenths = score * 10.0;
    assert!(
        (tenths - tenths.round()).abs() < 1e-9,
        "{vector:?} scored {score}, not rounded to one decimal"
    );
    let _ = parsed.severity();
    assert_eq!(
        cvss::parse(&parsed.vector).as_ref(),
        Ok(&parsed),
        "the vector a score keeps scores the same"
    );
}
