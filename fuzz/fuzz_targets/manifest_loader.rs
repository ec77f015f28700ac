//! Arbitrary bytes through the manifest loader and every check: nothing may panic, and the
//! limits must hold (libFuzzer's RSS and time limits catch bombs that slip through).
#![no_main]

use bulwark_checks::{Options, Selection, run};
use bulwark_k8s::{Limits, Snapshot, load_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_file_size: 1 << 20,
        ..Limits::default()
    };
    // The first byte picks how the file is named, which decides JSON or YAML first.
    let (name, body) = match data.split_first() {
        Some((b, rest)) if b % 2 == 0 => ("fuzz.json", rest),
        Some((_, rest)) => ("fuzz.yaml", rest),
        None => ("fuzz.yaml", data),
    };
    let loaded = load_bytes(name, body, &limits);
    for e in &loaded.errors {
        let _ = e.error.to_string();
    }
    let snapshot = Snapshot::new(loaded.objects, "default");
    let out = run(&snapshot, &Selection::default(), &Options::default());
    for f in out.findings {
        assert!(!f.fingerprint.is_empty());
    }
});
