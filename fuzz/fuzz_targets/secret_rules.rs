//! Arbitrary text through the rule-file loader: a rule set or a clear error, never a panic,
//! and a loaded rule set must compile and scan.
#![no_main]

use bulwark_secrets::{Context, RuleSet, Scanner, parse_rules};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_rules("fuzz.yaml", text) {
        Ok(rules) => {
            let mut set = RuleSet::default();
            if set.extend(rules).is_ok() {
                let scanner = Scanner::new(&set);
                let _ = scanner.scan(text.as_bytes(), &Context::default());
            }
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
        }
    }
});
