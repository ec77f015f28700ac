//! Embeds every rule file under `rules/` in the binary (generates `builtin_rules.rs`).

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("rules/ exists")
        .filter_map(|e| {
            let name = e
                .expect("readable rules/ entry")
                .file_name()
                .into_string()
                .ok()?;
            // Exactly `.yaml`: the rule files are ours, one spelling.
            (Path::new(&name).extension().and_then(|e| e.to_str()) == Some("yaml")).then_some(name)
        })
        .collect();
    files.sort();
    let mut out = String::from(
        "/// The rule files built into the binary, by file name.\npub(crate) const BUILTIN: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        println!("cargo::rerun-if-changed={}", dir.join(f).display());
        let _ = writeln!(
            out,
            "    ({f:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/rules/{f}\"))),"
        );
    }
    out.push_str("];\n");
    let dest =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_rules.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
