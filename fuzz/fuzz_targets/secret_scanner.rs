//! Arbitrary bytes through the secrets engine, in memory and streamed: nothing may panic, and
//! both ways must find the same secrets at the same places.
#![no_main]

use std::sync::LazyLock;

use bulwark_secrets::{Context, RuleSet, Scanner};
use libfuzzer_sys::fuzz_target;

static SCANNER: LazyLock<Scanner> =
    LazyLock::new(|| Scanner::new(&RuleSet::builtin().expect("built-in rules")));

fuzz_target!(|data: &[u8]| {
    let cx = Context { path: Some("fuzz.env") };
    let whole = SCANNER.scan(data, &cx);
    let streamed = SCANNER
        .scan_reader(std::io::Cursor::new(data), &cx)
        .expect("reading from memory cannot fail");
    let key = |m: &bulwark_secrets::SecretMatch| (m.start, m.end, m.line, m.column, m.rule);
    assert_eq!(
        whole.iter().map(key).collect::<Vec<_>>(),
        streamed.iter().map(key).collect::<Vec<_>>()
    );
    for m in &whole {
        assert!(m.start <= m.end && m.end as usize <= data.len());
        let _ = bulwark_secrets::redacted(&m.value);
    }
});
