//! Arbitrary bytes as a Falco rule file through the rule loader and compiler: nothing may
//! panic, and the loader's bounds (condition size, macro expansion) must hold.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = bulwark_rules::check_bytes(data);
});
