//! Arbitrary bytes as every package database and manifest the catalogers read, and as an
//! executable: no panic, and every package has a name and a purl.
#![no_main]

use bulwark_image::catalog::{CatalogFile, catalog, scan_binary};
use libfuzzer_sys::fuzz_target;

const PATHS: &[&str] = &[
    "/var/lib/dpkg/status",
    "/var/lib/dpkg/status.d/base",
    "/var/lib/dpkg/info/libc6:amd64.list",
    "/lib/apk/db/installed",
    "/etc/os-release",
    "/usr/lib/python3/dist-packages/x-1.0.dist-info/METADATA",
    "/usr/lib/python3/dist-packages/x-1.0.egg-info",
    "/app/node_modules/x/package.json",
    "/app/package-lock.json",
    "/app/yarn.lock",
    "/app/pnpm-lock.yaml",
    "/var/lib/rpm/rpmdb.sqlite",
    "/app/lib/app.jar",
    "/app/Gemfile.lock",
    "/usr/lib/ruby/gems/3.1.0/specifications/rack-2.2.8.gemspec",
    "/app/composer.lock",
    "/app/app.deps.json",
    "/app/requirements.txt",
    "/app/poetry.lock",
    "/app/Pipfile.lock",
    "/app/uv.lock",
    "/app/Cargo.lock",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let path = PATHS[usize::from(pick) % PATHS.len()];
    let files = vec![CatalogFile {
        path: path.to_string(),
        data: body.to_vec(),
        layer: None,
    }];
    for p in catalog(&files, Vec::new()) {
        assert!(p.purl.starts_with("pkg:"));
    }
    let _ = scan_binary("/usr/bin/x", body);
});
