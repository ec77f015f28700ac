//! How `sensor.bpf.o` is built from `sensor.bpf.c`: one definition, used by `cargo xtask ebpf`
//! (through `#[path]`) and by the crate's freshness test, so both run the same command line.
//!
//! The object is compiled with clang for the BPF target with debug info (which produces the BTF
//! and the CO-RE relocation records in `.BTF.ext`), then `llvm-strip -g` drops the DWARF
//! sections and keeps `.BTF`/`.BTF.ext`. clang runs inside the source directory on relative
//! paths, and the directory is mapped to `.` in the debug info (from which the BTF line info
//! is made), so nothing about the checkout's location ends up in the object.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory, relative to the workspace root, holding the BPF source and the object.
pub const BPF_DIR: &str = "crates/bulwark-sensor/bpf";
/// The committed object's file name inside [`BPF_DIR`].
pub const OBJECT: &str = "sensor.bpf.o";
/// The C source's file name inside [`BPF_DIR`].
pub const SOURCE: &str = "sensor.bpf.c";

/// The clang executable: `$BPF_CLANG`, else `clang`.
pub fn clang() -> String {
    std::env::var("BPF_CLANG").unwrap_or_else(|_| "clang".to_string())
}

/// The strip executable: `$BPF_STRIP`, else `llvm-strip`.
pub fn strip() -> String {
    std::env::var("BPF_STRIP").unwrap_or_else(|_| "llvm-strip".to_string())
}

/// Whether the tools the build needs can be started.
pub fn tools_available() -> Result<(), String> {
    for tool in [clang(), strip()] {
        let ok = Command::new(&tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            return Err(format!(
                "{tool} is not installed (cargo xtask setup installs it)"
            ));
        }
    }
    Ok(())
}

/// Compiles `bpf_dir/sensor.bpf.c` into `out` (stripped of DWARF, BTF kept).
pub fn build(bpf_dir: &Path, out: &Path) -> Result<(), String> {
    let scratch = std::env::temp_dir().join(format!(
        "bulwark-bpf-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir_all(&scratch)
        .map_err(|e| format!("creating {}: {e}", scratch.display()))?;
    let unstripped: PathBuf = scratch.join("sensor.unstripped.o");
    // BTF line info records the source's absolute path (the compilation directory joined with
    // the file name): map the directory to `.` so the object is the same in every checkout.
    let abs_dir = bpf_dir
        .canonicalize()
        .map_err(|e| format!("resolving {}: {e}", bpf_dir.display()))?;
    let prefix_map = format!("-fdebug-prefix-map={}=.", abs_dir.display());
    let result = (|| {
        run(Command::new(clang())
            .current_dir(bpf_dir)
            .arg(&prefix_map)
            .args([
                "-O2",
                "-g",
                "-target",
                "bpf",
                "-mcpu=v3",
                "-D__TARGET_ARCH_x86",
                "-I.",
                // asm/types.h for <linux/types.h>, from linux-libc-dev
                "-idirafter",
                "/usr/include/x86_64-linux-gnu",
                "-c",
                SOURCE,
                "-o",
            ])
            .arg(&unstripped))?;
        run(Command::new(strip())
            .arg("-g")
            .arg(&unstripped)
            .arg("-o")
            .arg(out))
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let output = cmd.output().map_err(|e| format!("starting {shown}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{shown} failed with {}:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(())
}
