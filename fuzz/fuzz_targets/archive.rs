//! Arbitrary bytes as zip, tar and gzip archives: no panic, and the limits hold (the walk may
//! never hand out more than its budget).
#![no_main]

use bulwark_archive::{Kind, Limits, walk};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_entry_size: 1 << 20,
        max_total_size: 4 << 20,
        max_entries: 1000,
        max_depth: 4,
    };
    for kind in [Kind::Zip, Kind::Tar, Kind::Gzip] {
        let mut handed = 0u64;
        if let Ok(summary) = walk("fuzz", kind, data, limits, &mut |e| {
            handed += e.data.len() as u64;
        }) {
            assert!(handed <= summary.bytes);
            assert!(summary.bytes <= limits.max_total_size + 1);
            assert!(summary.entries <= limits.max_entries);
        }
    }
});
