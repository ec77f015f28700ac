//! End-to-end tests of vulnerability scanning: the real `bulwark` binary, a real advisory
//! database built from ../shared/vulndata, the real images in ../shared/images, an
//! independent oracle, and a real HTTP mirror on loopback.

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

mod common;
use common::{
    assert_valid, cyclonedx_validator, json, repo_root, run, shared_with, stderr, validator,
};

/// ../shared, which CI provides beside the repository.
fn shared() -> PathBuf {
    shared_with("vulndata/osv")
}

/// `bulwark` with no database of the user's: `BULWARK_DB` points nowhere unless a test sets it.
fn bulwark(db: Option<&Path>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bulwark"));
    cmd.current_dir(repo_root())
        .env_remove("XDG_CACHE_HOME")
        .env("HOME", "/nonexistent-home")
        .env_remove("BULWARK_DB_MIRROR");
    match db {
        Some(p) => cmd.env("BULWARK_DB", p),
        None => cmd.env_remove("BULWARK_DB"),
    };
    cmd
}

/// A database holding all of ../shared/vulndata, built once for the tests of this file.
fn full_db() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = DB.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("advisories.db");
        let v = shared().join("vulndata");
        let out = run(bulwark(None)
            .args(["db", "import", "--db"])
            .arg(&path)
            .arg(v.join("osv/Go"))
            .arg(v.join("osv/crates.io"))
            .arg(v.join("osv/kubernetes"))
            .arg(v.join("osv-yaml/PyPI"))
            .arg(v.join("osv-zip/Debian-12-all.zip")));
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        (dir, path)
    });
    path
}

/// `bulwark scan --scanners vuln -f FORMAT` of a shared image against [`full_db`]; it must
/// succeed.
fn scan_shared(image: &str, format: &str) -> Value {
    let out = run(bulwark(Some(full_db()))
        .args(["scan", "--scanners", "vuln", "-f", format])
        .arg(shared().join(format!("images/{image}.oci.tar"))));
    assert_eq!(out.status.code(), Some(0), "{image}: {}", stderr(&out));
    json(&out)
}

/// Every (ecosystem, package, advisory) a report names, reported or suppressed.
fn triples(report: &Value) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    let findings = report["findings"].as_array().expect("findings").iter();
    let suppressed = report["suppressed"].as_array().expect("suppressed").iter();
    for f in findings.chain(suppressed) {
        let v = &f["vulnerability"];
        if v.is_null() {
            continue;
        }
        for a in v["advisories"].as_array().expect("advisories") {
            out.insert((
                v["ecosystem"].as_str().expect("ecosystem").to_owned(),
                v["package"].as_str().expect("package").to_owned(),
                a.as_str().expect("id").to_owned(),
            ));
        }
    }
    out
}

fn vuln_findings(report: &Value) -> Vec<&Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["category"] == "vulnerability")
        .collect()
}

/// The exact (package, advisory) pairs for the Debian packages, the Python packages and the
/// Rust binary of every shared image equal what an independent oracle derives
/// (tests/oracle/vuln_oracle.py: the real `dpkg --compare-versions`, Python's `packaging`,
/// its own semver; the exclusions it makes are written there and in docs/vulnerabilities.md).
#[test]
fn shared_images_match_the_independent_oracle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let images = ["debian-app", "distroless-like", "alpine-base"];
    let mut sboms = Vec::new();
    for image in images {
        let sbom = dir.path().join(format!("{image}.cdx.json"));
        let out = run(bulwark(None)
            .arg("sbom")
            .arg(shared().join(format!("images/{image}.oci.tar")))
            .arg("-o")
            .arg(&sbom));
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        sboms.push(sbom);
    }
    let python = Path::new("/usr/bin/python3");
    assert!(
        python.exists(),
        "the oracle needs /usr/bin/python3 with packaging and yaml (`cargo xtask setup` installs them)"
    );
    let oracle = Command::new(python)
        .arg(repo_root().join("crates/bulwark/tests/oracle/vuln_oracle.py"))
        .arg(shared().join("vulndata"))
        .args(&sboms)
        .output()
        .expect("the oracle runs");
    assert!(
        oracle.status.success(),
        "the oracle failed (`cargo xtask setup` installs python3-packaging and python3-yaml): {}",
        String::from_utf8_lossy(&oracle.stderr)
    );
    let expected: Value = serde_json::from_slice(&oracle.stdout).expect("oracle JSON");
    let mut total = 0;
    for (image, sbom) in images.iter().zip(&sboms) {
        let want: BTreeSet<(String, String, String)> = expected[sbom.to_str().expect("utf-8")]
            .as_array()
            .expect("oracle list")
            .iter()
            .map(|t| {
                (
                    t[0].as_str().expect("s").to_owned(),
                    t[1].as_str().expect("s").to_owned(),
                    t[2].as_str().expect("s").to_owned(),
                )
            })
            .collect();
        let got: BTreeSet<(String, String, String)> = triples(&scan_shared(image, "json"))
            .into_iter()
            .filter(|(e, _, _)| matches!(e.as_str(), "deb" | "pypi" | "cargo"))
            .collect();
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{image}: {} expected, {} found\nmissing: {missing:#?}\nextra: {extra:#?}",
            want.len(),
            got.len()
        );
        total += want.len();
    }
    // The README of ../shared/vulndata names findings the images must have.
    assert!(total > 150, "only {total} pairs: the data did not load");
}

/// Findings carry what users act on: versions, fix, status, severity, aliases, layer; a CVE
/// from the distribution and the same CVE in another advisory are one finding.
#[test]
fn findings_carry_package_fix_and_layer() {
    let report = scan_shared("debian-app", "json");
    let findings = vuln_findings(&report);
    // libssl3 is built from openssl: matched by the source package, reported on the binary.
    let ssl: Vec<&&Value> = findings
        .iter()
        .filter(|f| f["vulnerability"]["package"] == "libssl3")
        .collect();
    assert!(!ssl.is_empty());
    for f in &ssl {
        let v = &f["vulnerability"];
        assert_eq!(v["source_package"], "openssl");
        assert_eq!(v["installed_version"], "3.0.20-1~deb12u2");
        assert_eq!(v["status"], "fixed");
        assert!(v["fixed_version"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(v["id"].as_str().is_some_and(|s| s.starts_with("CVE-")));
        assert!(
            v["advisories"][0]
                .as_str()
                .is_some_and(|s| s.starts_with("x_DEB12-"))
        );
        assert!(
            v["layer"]
                .as_str()
                .is_some_and(|l| l.starts_with("sha256:"))
        );
        assert!(
            v["vendor_severity"]
                .as_str()
                .is_some_and(|s| s.starts_with("debian: "))
        );
    }
    // bash 5.2.15-2+b13 is a binNMU: the source version compared is 5.2.15-2.
    let jinja = findings
        .iter()
        .find(|f| f["vulnerability"]["package"] == "Jinja2")
        .expect("Jinja2 2.10 is vulnerable");
    assert_eq!(jinja["vulnerability"]["purl"], "pkg:pypi/jinja2@2.10");
    assert!(
        jinja["vulnerability"]["aliases"]
            .as_array()
            .is_some_and(|a| a
                .iter()
                .any(|x| x.as_str().is_some_and(|s| s.starts_with("PYSEC-")))),
        "{jinja}"
    );
    // Debian's own pip (python3-pip) is not matched against PyPI's upstream ranges.
    assert!(
        !findings
            .iter()
            .any(|f| f["vulnerability"]["package"] == "pip"),
        "Debian-packaged pip must be left to Debian's advisories"
    );
}

/// `--ignore-unfixed`, `--severity`, `.bulwarkignore` with expiry dates, and a VEX document.
#[test]
fn vex_ignore_file_and_unfixed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = [
        "scan",
        "examples/demo/shop-api.oci.tar",
        "--scanners",
        "vuln",
        "-f",
        "json",
        "--advisories",
        "examples/demo-advisories",
    ];
    let out = run(bulwark(None).args(demo));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let all = json(&out);
    let ids: BTreeSet<String> = vuln_findings(&all)
        .iter()
        .map(|f| f["id"].as_str().expect("id").to_owned())
        .collect();
    assert!(ids.contains("CVE-2021-23337"), "{ids:?}");
    assert!(ids.contains("CVE-2021-44906"), "{ids:?}");

    let vex = dir.path().join("vex.json");
    std::fs::write(
        &vex,
        r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/1","author":"sec team","timestamp":"2026-01-01T00:00:00Z","version":1,
            "statements":[{"vulnerability":{"name":"CVE-2021-23337"},"products":[{"@id":"pkg:npm/lodash@4.17.15"}],
            "status":"not_affected","justification":"vulnerable_code_not_in_execute_path","impact_statement":"template() is never called"}]}"#,
    )
    .expect("write");
    let ignore = dir.path().join("ignore");
    std::fs::write(
        &ignore,
        "# accepted until the upgrade\nCVE-2021-44906 exp:2999-01-01 # minimist only parses our own flags\nCVE-2020-7598 exp:2001-01-01\n",
    )
    .expect("write");
    let out = run(bulwark(None)
        .args(demo)
        .arg("--vex")
        .arg(&vex)
        .arg("--ignorefile")
        .arg(&ignore));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    let active: BTreeSet<String> = vuln_findings(&report)
        .iter()
        .map(|f| f["id"].as_str().expect("id").to_owned())
        .collect();
    assert!(!active.contains("CVE-2021-23337"));
    assert!(!active.contains("CVE-2021-44906"));
    // The expired entry no longer applies, and the user is told.
    assert!(active.contains("CVE-2020-7598"), "{active:?}");
    assert!(
        stderr(&out).contains("expired on 2001-01-01"),
        "{}",
        stderr(&out)
    );
    let suppressed = report["suppressed"].as_array().expect("suppressed");
    let by_vex = suppressed
        .iter()
        .find(|s| s["id"] == "CVE-2021-23337")
        .expect("suppressed by VEX");
    assert_eq!(by_vex["suppression"]["source"], "vex");
    assert!(
        by_vex["suppression"]["reason"].as_str().is_some_and(|r| r
            .contains("vulnerable_code_not_in_execute_path")
            && r.contains("never called")),
        "{by_vex}"
    );
    let by_file = suppressed
        .iter()
        .find(|s| s["id"] == "CVE-2021-44906")
        .expect("suppressed by the ignore file");
    assert_eq!(by_file["suppression"]["source"], "ignore-file");
    assert!(
        by_file["suppression"]["origin"]
            .as_str()
            .is_some_and(|o| o.ends_with(":2 (until 2999-01-01)"))
    );

    // A bad ignore file is an error with its line, not a silent no-op.
    std::fs::write(&ignore, "CVE-1 exp:2024-13-01\n").expect("write");
    let out = run(bulwark(None).args(demo).arg("--ignorefile").arg(&ignore));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(":1"), "{}", stderr(&out));

    // --ignore-unfixed: the demo's advisories all have fixes, so nothing goes; the Debian data
    // (fixed versions only) likewise. Unfixed findings come from a record without a fix.
    let adv = dir.path().join("adv");
    std::fs::create_dir(&adv).expect("mkdir");
    std::fs::write(
        adv.join("X-1.json"),
        r#"{"id":"X-1","aliases":["CVE-2099-0001"],"affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}"#,
    )
    .expect("write");
    let base = [
        "scan",
        "examples/demo/shop-api.oci.tar",
        "--scanners",
        "vuln",
        "-f",
        "json",
        "--advisories",
    ];
    let out = run(bulwark(None).args(base).arg(&adv));
    let report = json(&out);
    let unfixed = vuln_findings(&report)
        .into_iter()
        .find(|f| f["id"] == "CVE-2099-0001")
        .expect("the unfixed record matches");
    assert_eq!(unfixed["vulnerability"]["status"], "affected");
    assert!(unfixed["vulnerability"]["fixed_version"].is_null());
    let out = run(bulwark(None).args(base).arg(&adv).arg("--ignore-unfixed"));
    assert!(
        vuln_findings(&json(&out))
            .iter()
            .all(|f| f["id"] != "CVE-2099-0001")
    );
    assert!(
        stderr(&out).contains("without a fix left out"),
        "{}",
        stderr(&out)
    );
}

/// An SBOM written by `bulwark sbom` (CycloneDX or SPDX) scans to the same findings as the
/// image itself.
#[test]
fn sboms_are_scan_targets() {
    let db = full_db();
    let image = shared().join("images/debian-app.oci.tar");
    let from_image = triples(&scan_shared("debian-app", "json"));
    assert!(!from_image.is_empty());
    let dir = tempfile::tempdir().expect("tempdir");
    for format in ["cyclonedx", "spdx"] {
        let sbom = dir.path().join(format!("app.{format}.json"));
        let out = run(bulwark(None)
            .arg("sbom")
            .arg(&image)
            .args(["-f", format, "-o"])
            .arg(&sbom));
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let out = run(bulwark(Some(db)).args(["scan", "-f", "json"]).arg(&sbom));
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let report = json(&out);
        let from_sbom = triples(&report);
        assert_eq!(from_sbom, from_image, "{format}");
        assert_eq!(report["images"][0]["name"], sbom.display().to_string());
    }
}

/// `--format cyclonedx`: the BOM with a `vulnerabilities` array validates against the official
/// CycloneDX 1.6 schema; SARIF carries the findings too.
#[test]
fn cyclonedx_vulnerabilities_and_sarif() {
    let bom = scan_shared("distroless-like", "cyclonedx");
    assert_valid(&cyclonedx_validator(&shared()), &bom, "the CycloneDX BOM");
    let vulns = bom["vulnerabilities"].as_array().expect("vulnerabilities");
    assert_eq!(vulns.len(), 15, "{vulns:#?}");
    let refs: BTreeSet<&str> = bom["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| c["bom-ref"].as_str().expect("ref"))
        .collect();
    for v in vulns {
        assert!(
            refs.contains(v["affects"][0]["ref"].as_str().expect("ref")),
            "{v}"
        );
    }
    assert!(
        vulns.iter().any(|v| v["id"] == "CVE-2022-24713"),
        "regex 1.5.4: RUSTSEC-2022-0013"
    );

    let sarif = scan_shared("distroless-like", "sarif");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 15);
    assert!(results.iter().all(|r| {
        r["properties"]["category"] == "vulnerability"
            && r["properties"]["vulnerability"]["purl"]
                .as_str()
                .is_some_and(|p| p.starts_with("pkg:"))
    }));
    assert_valid(
        &validator(&shared().join("schemas/sarif-2.1.0/sarif-schema-2.1.0.json")),
        &sarif,
        "the SARIF log",
    );
}

/// `db import` refuses a source with invalid records (file and line named, nothing written),
/// imports the rest with `--skip-invalid`, replaces a source on re-import, and `db info`
/// reports it; `--db` and `BULWARK_DB` choose the file; a missing database is explained.
#[test]
fn db_import_info_and_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("sub/dir/adv.db");
    let src = dir.path().join("src");
    std::fs::create_dir(&src).expect("mkdir");
    std::fs::write(
        src.join("A-1.json"),
        r#"{"id":"A-1","modified":"2026-01-02T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"Flask"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0"}]}]}]}"#,
    )
    .expect("write");
    std::fs::write(
        src.join("B-1.json"),
        "{\n  \"id\": \"B-1\",\n  \"affected\": 7\n}",
    )
    .expect("write");
    let out = run(bulwark(None)
        .args(["db", "import", "--db"])
        .arg(&db)
        .arg(&src));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("B-1.json: not an OSV record: line 3"),
        "{}",
        stderr(&out)
    );
    assert!(!db.exists(), "nothing written on a refused import");

    let out = run(bulwark(None)
        .args(["db", "import", "--skip-invalid", "--name", "local", "--db"])
        .arg(&db)
        .arg(&src));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(bulwark(Some(&db)).args(["db", "info", "-f", "json"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let info = json(&out);
    assert_eq!(info["advisories"], 1);
    assert_eq!(info["sources"][0]["name"], "local");
    assert_eq!(info["sources"][0]["invalid"], 1);
    assert_eq!(info["ecosystems"][0][0], "PyPI");

    // Re-importing the source replaces its records.
    std::fs::remove_file(src.join("B-1.json")).expect("rm");
    std::fs::write(
        src.join("A-2.json"),
        r#"{"id":"A-2","affected":[{"package":{"ecosystem":"PyPI","name":"Flask"},"versions":["0.12.2"]}]}"#,
    )
    .expect("write");
    std::fs::remove_file(src.join("A-1.json")).expect("rm");
    let out = run(bulwark(Some(&db))
        .args(["db", "import", "--name", "local"])
        .arg(&src));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let info = json(&run(bulwark(None)
        .args(["db", "info", "-f", "json", "--db"])
        .arg(&db)));
    assert_eq!(info["advisories"], 1);
    let table = run(bulwark(Some(&db)).args(["db", "info"]));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("Schema:      1") && text.contains("local"),
        "{text}"
    );

    // Scans use it, with --db, BULWARK_DB or --advisories alone.
    let out = run(bulwark(Some(&db))
        .args(["scan", "--scanners", "vuln", "-f", "json"])
        .arg(shared().join("images/debian-app.oci.tar")));
    let report = json(&out);
    assert!(vuln_findings(&report).iter().any(|f| f["id"] == "A-2"));

    // No database: an explicit vulnerability scan is an error naming the fix; the default
    // scan notes it and goes on.
    let missing = dir.path().join("none.db");
    let out = run(bulwark(Some(&missing))
        .args(["scan", "--scanners", "vuln"])
        .arg("examples/demo/shop-api.oci.tar"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("bulwark db update"),
        "{}",
        stderr(&out)
    );
    let out = run(bulwark(Some(&missing))
        .args(["scan", "-q", "-f", "json"])
        .arg("examples/demo/shop-api.oci.tar"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        json(&out)["notes"]
            .as_array()
            .expect("notes")
            .iter()
            .any(|n| n["message"]
                .as_str()
                .is_some_and(|m| m.contains("vulnerability scanning skipped"))),
    );

    // A file that is not a database, or one of another schema, is refused with a clear error.
    let bogus = dir.path().join("bogus.db");
    std::fs::write(
        &bogus,
        b"not sqlite at all, just text padding to a page size",
    )
    .expect("write");
    let out = run(bulwark(Some(&bogus)).args(["db", "info"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bogus.db"), "{}", stderr(&out));
}

/// A minimal HTTP/1.1 file server on loopback: GET of a file under `root`, with an ETag and
/// `304 Not Modified` for a matching `If-None-Match`. Records every request line.
fn serve(root: PathBuf) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&log);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            let mut if_none_match = None;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((k, v)) = line.split_once(':')
                    && k.eq_ignore_ascii_case("if-none-match")
                {
                    if_none_match = Some(v.trim().to_owned());
                }
            }
            let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
            seen.lock().expect("log").push(format!(
                "{} {path}{}",
                request.split_whitespace().next().unwrap_or(""),
                if if_none_match.is_some() {
                    " conditional"
                } else {
                    ""
                }
            ));
            let file = root.join(path.trim_start_matches('/').replace("%20", " "));
            let response = match std::fs::read(&file) {
                Ok(body) => {
                    let etag = format!("\"{}\"", body.len());
                    if if_none_match.as_deref() == Some(etag.as_str()) {
                        b"HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n".to_vec()
                    } else {
                        let mut r = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: {}\r\nETag: {etag}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .into_bytes();
                        r.extend_from_slice(&body);
                        r
                    }
                }
                Err(_) => {
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_vec()
                }
            };
            let _ = stream.write_all(&response);
        }
    });
    (format!("http://{addr}"), log)
}

/// `db update` from a mirror on loopback: downloads each ecosystem's `all.zip`, imports it,
/// and the next update is a conditional request that changes nothing. A failing ecosystem
/// is reported and the rest still lands.
#[test]
fn db_update_from_a_loopback_mirror() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mirror = dir.path().join("mirror");
    std::fs::create_dir_all(mirror.join("Debian")).expect("mkdir");
    std::fs::copy(
        shared().join("vulndata/osv-zip/Debian-12-all.zip"),
        mirror.join("Debian/all.zip"),
    )
    .expect("copy into the temporary mirror");
    // Go's zip on the mirror is corrupt (a local file header and garbage).
    std::fs::create_dir_all(mirror.join("Go")).expect("mkdir");
    std::fs::write(mirror.join("Go/all.zip"), b"PK\x03\x04 not really a zip").expect("write");
    let (url, log) = serve(mirror);
    let db = dir.path().join("adv.db");
    let out =
        run(bulwark(Some(&db)).args(["db", "update", "--ecosystems", "Debian", "--mirror", &url]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let info = json(&run(bulwark(Some(&db)).args(["db", "info", "-f", "json"])));
    assert_eq!(info["advisories"], 26_757);
    assert_eq!(info["sources"][0]["name"], "osv:Debian");
    assert!(info["sources"][0]["etag"].is_string());
    let before = std::fs::read(&db).expect("db");

    // Again: a conditional request, 304, the database untouched.
    let out = run(bulwark(Some(&db)).args(["db", "update", "--mirror", &url]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("not modified"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&db).expect("db"), before);
    let requests = log.lock().expect("log").clone();
    assert!(
        requests
            .iter()
            .any(|r| r == "GET /Debian/all.zip conditional"),
        "{requests:?}"
    );

    // An ecosystem the mirror lacks: an error naming it, exit 2, the database still whole.
    let out =
        run(bulwark(Some(&db)).args(["db", "update", "--ecosystems", "PyPI", "--mirror", &url]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("PyPI"), "{}", stderr(&out));
    assert_eq!(
        json(&run(bulwark(Some(&db)).args(["db", "info", "-f", "json"])))["advisories"],
        26_757
    );

    // A corrupt download for one ecosystem: reported, exit 2, and the next ecosystem still
    // lands in the same update.
    let fresh = dir.path().join("fresh.db");
    let out = run(bulwark(Some(&fresh)).args([
        "db",
        "update",
        "--ecosystems",
        "Go,Debian",
        "--mirror",
        &url,
    ]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("error: Go:"), "{}", stderr(&out));
    let info = json(&run(
        bulwark(Some(&fresh)).args(["db", "info", "-f", "json"])
    ));
    assert_eq!(info["advisories"], 26_757);
    assert_eq!(info["sources"].as_array().map(Vec::len), Some(1));
}

/// The README's first command shows vulnerabilities in the demo image offline.
#[test]
fn the_demo_shows_vulnerabilities_offline() {
    let out = run(bulwark(None).args([
        "scan",
        "examples/demo",
        "--advisories",
        "examples/demo-advisories",
        "-f",
        "json",
    ]));
    let report = json(&out);
    let packages: BTreeSet<&str> = vuln_findings(&report)
        .iter()
        .map(|f| f["vulnerability"]["package"].as_str().expect("package"))
        .collect();
    assert_eq!(
        packages,
        BTreeSet::from(["lodash", "minimist"]),
        "{}",
        stderr(&out)
    );
}
