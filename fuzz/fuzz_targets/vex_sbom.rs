//! Arbitrary bytes as a VEX document, an SBOM, a `.bulwarkignore` file and package URLs (the
//! whole text and each line): nothing may panic, and what they read answers consistently.
#![no_main]

use std::collections::HashSet;

use bulwark_image::sbom;
use bulwark_model::purl::Purl;
use bulwark_vuln::ignore;
use bulwark_vuln::vex::{self, VexDocument};
use libfuzzer_sys::fuzz_target;

/// How many statements and packages the cross-checks look at (the harness's cost, not the
/// library's: every lookup walks every statement).
const CROSS: usize = 64;

const TODAY: &str = "2026-01-01";

fuzz_target!(|data: &[u8]| {
    let _ = sbom::is_sbom(data);
    let inventory = sbom::read("fuzz.cdx.json", data).ok();
    let mut purls = Vec::new();
    if let Some(inventory) = &inventory {
        let mut seen = HashSet::new();
        for p in &inventory.packages {
            assert!(!p.name.is_empty() && !p.version.is_empty(), "{p:?}");
            assert!(seen.insert(p.purl.as_str()), "{} listed twice", p.purl);
            assert!(
                Purl::parse(&p.purl).is_ok(),
                "the SBOM reader took {:?}, the purl parser refuses it",
                p.purl
            );
            purls.push(p.purl.as_str());
        }
    }
    if let Ok(doc) = vex::parse("fuzz.vex.json", data) {
        check_vex(&doc, &purls);
    }
    let text = String::from_utf8_lossy(data);
    if let Ok(list) = ignore::parse(".bulwarkignore", &text) {
        for entry in &list.entries {
            assert!(!entry.id.is_empty() && !entry.id.contains(char::is_whitespace));
            let live = entry.expires.as_deref().is_none_or(|last| last >= TODAY);
            if live {
                assert!(list.matching(&[&entry.id], TODAY).is_some(), "{entry:?}");
            }
            assert_eq!(entry.expired_on(TODAY), !live);
        }
        let _ = list.expired(TODAY);
    }
    check_purl(&text);
    for line in text.lines().take(256) {
        check_purl(line);
    }
});

fn check_vex(doc: &VexDocument, packages: &[&str]) {
    for s in doc.statements.iter().take(CROSS) {
        assert!(!s.vulnerability.is_empty());
        let mut ids = vec![s.vulnerability.as_str()];
        ids.extend(s.aliases.iter().map(String::as_str));
        assert!(s.names_any(&ids));
        for product in s.products.iter().take(CROSS) {
            check_purl(product);
            if Purl::parse(product).is_ok() {
                assert!(s.applies_to(product), "{product:?} does not cover itself");
                assert!(doc.decision(&ids, product).is_some());
            }
            let _ = doc.not_affected(&ids, product);
        }
        for purl in packages.iter().take(CROSS) {
            if let Some(hit) = doc.not_affected(&ids, purl) {
                assert!(hit.names_any(&ids) && hit.applies_to(purl));
            }
        }
    }
}

fn check_purl(s: &str) {
    let Ok(purl) = Purl::parse(s) else {
        return;
    };
    assert!(!purl.name.is_empty());
    assert!(
        bulwark_vuln::purl::matches(&purl, &purl),
        "{s:?} does not match itself"
    );
    let canonical = purl.to_string();
    let again = Purl::parse(&canonical)
        .unwrap_or_else(|e| panic!("{s:?}: canonical form {canonical:?} does not parse: {e}"));
    assert_eq!(
        again, purl,
        "{s:?}: canonical form {canonical:?} reads differently"
    );
}
