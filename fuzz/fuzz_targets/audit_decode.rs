//! Arbitrary bytes as audit input: a whole document through `decode_document`, and a stream
//! through the JSON-lines reader (plain and, when they look like gzip, decompressed). Nothing
//! may panic, the bounds must hold, and how the stream is cut into reads must not change
//! what comes out.
#![no_main]

use std::io::Read;
use std::path::Path;

use bulwark_audit::decode::{Limits, decode_document};
use bulwark_audit::files::read_lines;
use libfuzzer_sys::fuzz_target;

/// Hands out at most 7 bytes per read.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.len().min(buf.len()).min(7);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_document_bytes: 1 << 20,
        max_line_bytes: 256,
        max_events: 64,
    };
    if let Ok(decoded) = decode_document(data, &limits) {
        for event in &decoded.events {
            assert_eq!(event.get("kind").and_then(|k| k.as_str()), Some("Event"));
        }
    }
    let name = Path::new("fuzz");
    let mut whole = Vec::new();
    let stats = read_lines(data, name, &limits, |e, p| {
        whole.push((e, p.line, p.offset))
    })
    .expect("reading memory cannot fail");
    assert_eq!(stats.bytes, data.len() as u64);
    assert_eq!(stats.events, whole.len() as u64);
    let lines = data.split(|&b| b == b'\n').count() as u64;
    for (_, line, offset) in &whole {
        let line = line.expect("lines have numbers");
        assert!(line >= 1 && line <= lines);
        assert!(*offset <= data.len() as u64);
    }
    let mut trickled = Vec::new();
    let again = read_lines(Trickle(data), name, &limits, |e, p| {
        trickled.push((e, p.line, p.offset));
    })
    .expect("reading memory cannot fail");
    assert_eq!(stats, again);
    assert_eq!(whole, trickled);
    if data.starts_with(&[0x1f, 0x8b]) {
        let gz = flate2::read::MultiGzDecoder::new(data).take(4 << 20);
        let _ = read_lines(gz, name, &limits, |_, _| {});
    }
});
