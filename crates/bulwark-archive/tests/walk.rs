//! Real archives built in memory (with the same crates a packager uses) and walked.

use std::io::Write as _;

use bulwark_archive::{Kind, Limits, clean_path, detect, walk};

fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        // `append_data` refuses `..`; write the raw name the way a hostile archive would.
        let raw = &mut h.as_old_mut().name;
        raw[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        b.append(&h, *data).expect("tar entry");
    }
    b.into_inner().expect("tar")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in files {
        z.start_file(*name, opts).expect("zip entry");
        z.write_all(data).expect("zip data");
    }
    z.finish().expect("zip").into_inner()
}

fn collect(
    path: &str,
    data: &[u8],
    limits: Limits,
) -> (Vec<(String, Vec<u8>)>, bulwark_archive::Summary) {
    let kind = detect(data).expect("an archive");
    let mut got = Vec::new();
    let summary = walk(path, kind, data, limits, &mut |e| {
        got.push((e.path.to_string(), e.data.to_vec()));
    })
    .expect("walks");
    (got, summary)
}

#[test]
fn nested_archives_are_opened_with_joined_paths() {
    let inner_zip = zip_of(&[("conf/app.env", b"TOKEN=abc\n")]);
    let tgz = gzip(&tar_of(&[("README", b"hello"), ("bundle.zip", &inner_zip)]));
    assert_eq!(detect(&tgz), Some(Kind::Gzip));
    let (got, summary) = collect("release.tar.gz", &tgz, Limits::default());
    assert_eq!(
        got,
        [
            ("release.tar.gz!README".to_string(), b"hello".to_vec()),
            (
                "release.tar.gz!bundle.zip!conf/app.env".to_string(),
                b"TOKEN=abc\n".to_vec()
            ),
        ]
    );
    assert_eq!(summary.entries, 2);
    assert!(summary.skipped.is_empty());
}

#[test]
fn hostile_paths_are_cleaned() {
    let t = tar_of(&[("../../etc/passwd", b"x")]);
    let (got, _) = collect("a.tar", &t, Limits::default());
    assert_eq!(got[0].0, "a.tar!etc/passwd");
    assert_eq!(clean_path("/abs/./x/../y"), "abs/x/y");
    assert_eq!(clean_path(".."), "<unnamed>");
}

#[test]
fn a_decompression_bomb_stops_at_the_budget() {
    // 64 MiB of zeros deflate to about 64 KiB; four of them claim 256 MiB.
    let zeros = vec![0u8; 64 * 1024 * 1024];
    let bomb = zip_of(&[("a", &zeros), ("b", &zeros), ("c", &zeros), ("d", &zeros)]);
    assert!(bomb.len() < 2 * 1024 * 1024);
    let limits = Limits {
        max_total_size: 100 * 1024 * 1024,
        ..Limits::default()
    };
    let (got, summary) = collect("bomb.zip", &bomb, limits);
    assert_eq!(got.len(), 1, "one entry fits the budget");
    assert!(summary.bytes <= limits.max_total_size + 1);
    assert!(
        summary
            .skipped
            .iter()
            .any(|s| s.reason.contains("decompression bomb")),
        "{:?}",
        summary.skipped
    );
}

#[test]
fn large_entries_are_skipped_and_the_rest_read() {
    let big = vec![b'a'; 2048];
    let z = zip_of(&[("big.txt", &big), ("small.txt", b"ok")]);
    let limits = Limits {
        max_entry_size: 1024,
        ..Limits::default()
    };
    let (got, summary) = collect("x.zip", &z, limits);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "x.zip!small.txt");
    assert_eq!(summary.skipped[0].path, "x.zip!big.txt");
}

#[test]
fn nesting_is_bounded() {
    let mut data = zip_of(&[("deepest.txt", b"found")]);
    for i in 0..6 {
        data = zip_of(&[(&format!("level{i}.zip"), &data)]);
    }
    let (got, summary) = collect("outer.zip", &data, Limits::default());
    assert!(got.is_empty());
    assert!(
        summary.skipped[0]
            .reason
            .contains("nested more than 4 deep")
    );
    let (got, _) = collect(
        "outer.zip",
        &data,
        Limits {
            max_depth: 8,
            ..Limits::default()
        },
    );
    assert_eq!(got.len(), 1);
}

#[test]
fn entry_count_is_bounded() {
    let files: Vec<(String, Vec<u8>)> = (0..50).map(|i| (format!("f{i}"), vec![b'x'])).collect();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    let t = tar_of(&refs);
    let (got, summary) = collect(
        "many.tar",
        &t,
        Limits {
            max_entries: 10,
            ..Limits::default()
        },
    );
    assert_eq!(got.len(), 10);
    assert!(summary.skipped[0].reason.contains("more than 10 entries"));
}

#[test]
fn malformed_archives_are_errors_or_notes_never_panics() {
    let good = gzip(&tar_of(&[("a", b"1")]));
    // Truncated gzip: the top level cannot be read.
    let truncated = &good[..good.len() / 2];
    let mut seen = 0;
    let r = walk(
        "t.tar.gz",
        Kind::Gzip,
        truncated,
        Limits::default(),
        &mut |_| seen += 1,
    );
    assert!(r.is_err() || !r.expect("summary").skipped.is_empty());
    // Not a zip at all.
    let r = walk(
        "x.zip",
        Kind::Zip,
        b"PK\x03\x04garbage",
        Limits::default(),
        &mut |_| {},
    );
    assert!(
        r.expect_err("malformed")
            .to_string()
            .contains("malformed zip archive")
    );
    // A malformed archive nested in a good one is a note; its siblings are still read.
    let outer = zip_of(&[("bad.zip", b"PK\x03\x04garbage"), ("ok.txt", b"fine")]);
    let (got, summary) = collect("outer.zip", &outer, Limits::default());
    assert_eq!(got.len(), 1);
    assert!(summary.skipped[0].reason.contains("malformed zip"));
}
