//! The committed BPF object is what its source compiles to (`cargo xtask ebpf` rebuilds it).

#[path = "../bpf/compile.rs"]
mod compile;

use std::path::Path;

#[test]
fn committed_object_matches_a_fresh_build() {
    if let Err(why) = compile::tools_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must build the BPF object, but {why}"
        );
        eprintln!("skipping the BPF object freshness check: {why}");
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("bpf");
    let fresh =
        std::env::temp_dir().join(format!("bulwark-sensor-test-{}.bpf.o", std::process::id()));
    compile::build(&dir, &fresh).expect("compiling sensor.bpf.c");
    let new = std::fs::read(&fresh).expect("reading the fresh object");
    let _ = std::fs::remove_file(&fresh);
    let committed = std::fs::read(dir.join(compile::OBJECT)).expect("reading the committed object");
    assert!(
        committed == new,
        "{} differs from a fresh build of {} in {}: run `cargo xtask ebpf` and commit it",
        compile::OBJECT,
        compile::SOURCE,
        compile::BPF_DIR
    );
}
