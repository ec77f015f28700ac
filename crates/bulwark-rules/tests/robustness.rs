//! Rule files are untrusted: mutated versions of real rule files must load or fail with
//! diagnostics, never panic. (The lead's cargo-fuzz target calls the same `check_bytes`.)

use bulwark_rules::check_bytes;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/runtime");

/// A deterministic generator (64-bit LCG).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(self.0 >> 33).expect("fits") % n.max(1)
    }
}

/// Two random positions in `v`, in order.
fn span(v: &[u8], rng: &mut Lcg) -> (usize, usize) {
    let first = rng.next(v.len());
    let second = rng.next(v.len());
    (first.min(second), first.max(second))
}

fn mutate(content: &[u8], rng: &mut Lcg) -> Vec<u8> {
    const BYTES: &[u8] = b"()[]{}\"'%:- \n\tandornot=,!<>*?\\#&|0xyz.";
    let mut v = content.to_vec();
    match rng.next(4) {
        0 => v.truncate(rng.next(v.len() + 1)),
        1 => {
            for _ in 0..=rng.next(8) {
                let i = rng.next(v.len());
                if let Some(b) = v.get_mut(i) {
                    *b = BYTES[rng.next(BYTES.len())];
                }
            }
        }
        2 => {
            let (from, to) = span(&v, rng);
            let chunk = v[from..to.min(from + 200)].to_vec();
            v.splice(from..from, chunk);
        }
        _ => {
            let (from, to) = span(&v, rng);
            v.drain(from..to);
        }
    }
    v
}

#[test]
fn mutated_rule_files_never_panic() {
    let mut files = vec![format!("{SHARED}/falco-rules/falco_rules.yaml")];
    for dir in [
        "falco-0.35.1-tests/rules",
        "falco-0.35.1-tests/rules/exceptions",
    ] {
        let mut entries: Vec<_> = std::fs::read_dir(format!("{SHARED}/{dir}"))
            .expect("rules dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        entries.sort();
        files.extend(entries.into_iter().map(|p| p.display().to_string()));
    }
    let mut rng = Lcg(0x00b0_1a4c);
    let mut runs = 0;
    for f in &files {
        let content = std::fs::read(f).expect("rule file");
        let n = if content.len() > 100_000 { 40 } else { 25 };
        for _ in 0..n {
            let m = mutate(&content, &mut rng);
            check_bytes(&m);
            runs += 1;
        }
    }
    assert!(runs > 1000, "{runs} runs");
}
